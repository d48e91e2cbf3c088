//! Project sync: enumerate open issues by REST and repair what people forget: the `codex`
//! label, the track label, the track's milestone, Project membership. Additive only.
//!
//! [`plan_issue`] decides (pure); [`run`] streams the enumeration page by page and applies each
//! plan through the client's dry-run gate. Before writing to an issue it reads that issue
//! again and re-plans from the fresh copy, so an edit a person made since the listing is never
//! clobbered (a read, never an extra write: at most two writes per issue, `POST …/labels` and a
//! milestone-only `PATCH`, plus the Project item). Dry-run reads the same way, so it plans
//! exactly what a real run would write; when an issue's labels cannot be read from its payload
//! (a label without a name, `labels: null`), its labels are read from `…/issues/{n}/labels`.
//!
//! The Project's members are read beside the listing (two reads in flight at most), and the
//! issues missing from it are added [`PROJECT_BATCH`] to a GraphQL document: an addition
//! changes nothing a person set, so it needs no fresh copy, and GitHub answers each one under
//! its own alias.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::OnceLock;

use crate::config::Settings;
use crate::error::Error;
use crate::github::graphql::PROJECT_BATCH;
use crate::github::{GitHub, Issue, Malformed, Milestone, MilestoneNumber, Project, Written};
use crate::jobs::listing::{self, OpenIssues};
use crate::jobs::{Context, Outcome, Report, bound_list, finish, with_readable_labels, write_rest};
use crate::rules::{self, Track, TrackDecision};
use crate::telemetry::{Component, Detail, SyncFields, split_at_limit};

/// Milestones by title and number.
#[derive(Debug, Clone, Default)]
pub struct MilestoneIndex {
    by_title: HashMap<String, MilestoneNumber>,
    numbers: HashSet<MilestoneNumber>,
}

impl MilestoneIndex {
    /// Index a repository's milestones; an open one wins over a closed one of the same title.
    pub fn new(milestones: &[Milestone]) -> Self {
        let mut index = MilestoneIndex::default();
        for m in milestones
            .iter()
            .filter(|m| !m.open)
            .chain(milestones.iter().filter(|m| m.open))
        {
            index.by_title.insert(m.title.clone(), m.number);
            index.numbers.insert(m.number);
        }
        index
    }

    /// The number of the milestone titled `title`.
    pub fn number(&self, title: &str) -> Option<MilestoneNumber> {
        self.by_title.get(title).copied()
    }

    /// True when a milestone with this number exists.
    pub fn contains(&self, number: MilestoneNumber) -> bool {
        self.numbers.contains(&number)
    }
}

/// What to do to one issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuePlan {
    /// Labels to add.
    pub add_labels: Vec<&'static str>,
    /// Milestone to set (the issue has none).
    pub set_milestone: Option<MilestoneNumber>,
    /// Add to the Project (the issue's node id).
    pub add_to_project: Option<String>,
    /// The issue carries both track labels (reported, not changed).
    pub conflict: bool,
    /// Its track's milestone does not exist (reported).
    pub missing_milestone: Option<String>,
}

impl IssuePlan {
    /// True when nothing is to be written.
    pub fn is_empty(&self) -> bool {
        self.add_labels.is_empty() && self.set_milestone.is_none() && self.add_to_project.is_none()
    }

    /// The writes it takes: one `POST …/labels` for all the labels, one milestone `PATCH`, one
    /// Project item.
    pub fn writes(&self) -> u64 {
        u64::from(!self.add_labels.is_empty())
            + u64::from(self.set_milestone.is_some())
            + u64::from(self.add_to_project.is_some())
    }
}

/// Decide what a managed issue lacks. `project` is the set of content node ids already in the
/// Project, or `None` when the Project cannot be read (then membership is left alone).
/// Returns `None` for issues Codex does not manage.
pub fn plan_issue(
    issue: &Issue,
    settings: &Settings,
    milestones: &MilestoneIndex,
    project: Option<&HashSet<String>>,
) -> Option<IssuePlan> {
    if !rules::is_managed(issue, settings) {
        return None;
    }
    let decision = rules::decide_track(issue);
    let mut plan = IssuePlan {
        add_labels: rules::missing_labels(issue, decision),
        set_milestone: None,
        add_to_project: None,
        conflict: decision == TrackDecision::Conflict,
        missing_milestone: None,
    };
    if issue.milestone.is_none()
        && let Some(track) = decision.track()
    {
        let title = settings.track(track).milestone.as_str();
        match milestones.number(title) {
            Some(number) => plan.set_milestone = Some(number),
            None => plan.missing_milestone = Some(title.to_owned()),
        }
    }
    if let (Some(members), Some(node_id)) = (project, issue.node_id.as_ref())
        && !members.contains(node_id)
    {
        plan.add_to_project = Some(node_id.clone());
    }
    Some(plan)
}

/// The change names a [`Detail`] lists, in the order it lists them: bit `k` of a
/// [`Changes`] is `CHANGES[k]`.
const CHANGES: [&str; 5] = [
    "add_codex_label",
    rules::LABEL_TRACK_MAIN,
    rules::LABEL_TRACK_DASHBOARD,
    "milestone",
    "project",
];

/// Which of [`CHANGES`] an issue's repair made, as bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Changes(u8);

impl Changes {
    const PROJECT: Changes = Changes(1 << 4);

    fn of(plan: &IssuePlan) -> Changes {
        let mut bits = 0u8;
        for label in &plan.add_labels {
            let name = if *label == rules::LABEL_CODEX {
                CHANGES[0]
            } else {
                label
            };
            // Sync adds only the codex label and the track labels (rules::missing_labels).
            if let Some(k) = CHANGES.iter().position(|c| *c == name) {
                bits |= 1 << k;
            }
        }
        if plan.set_milestone.is_some() {
            bits |= 1 << 3;
        }
        if plan.add_to_project.is_some() {
            bits |= Changes::PROJECT.0;
        }
        Changes(bits)
    }

    fn names(self) -> impl Iterator<Item = &'static str> {
        CHANGES
            .into_iter()
            .enumerate()
            .filter(move |(k, _)| self.0 & (1 << k) != 0)
            .map(|(_, name)| name)
    }
}

/// The change names telemetry uses.
fn change_names(plan: &IssuePlan) -> Vec<&'static str> {
    Changes::of(plan).names().collect()
}

/// One issue's repair as the run keeps it until it ends: 16 bytes, where a [`Detail`] with a
/// `String` per change took about 100 (a first run of 100,000 issues repairs 59,000). It
/// serialises as the [`Detail`] it stands for, so the pieces it is written to are the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Repair {
    number: u64,
    changes: Changes,
}

impl Repair {
    fn detail(self) -> Detail {
        Detail {
            number: self.number,
            changes: self.changes.names().map(str::to_owned).collect(),
        }
    }
}

impl serde::Serialize for Repair {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Names(Changes);
        impl serde::Serialize for Names {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.names())
            }
        }
        let mut out = serializer.serialize_struct("Detail", 2)?;
        out.serialize_field("number", &self.number)?;
        out.serialize_field("changes", &Names(self.changes))?;
        out.end()
    }
}

fn count(fields: &mut SyncFields, plan: &IssuePlan) {
    let c = &mut fields.corrections;
    for label in &plan.add_labels {
        match *label {
            rules::LABEL_CODEX => c.codex_label += 1,
            l if l == Track::Main.label() => c.track_main += 1,
            l if l == Track::Dashboard.label() => c.track_dashboard += 1,
            _ => {}
        }
    }
    if plan.set_milestone.is_some() {
        c.milestone += 1;
    }
    if plan.add_to_project.is_some() {
        c.project_adjustments += 1;
    }
}

/// Why the Project cannot be used this run (sync then leaves membership alone).
#[derive(Debug, thiserror::Error)]
enum ProjectUnavailable {
    #[error("Project {title:?} not found under {owner} (or not visible to this token)")]
    NotFound { title: String, owner: String },
    #[error(
        "Project {title:?} of {owner} is not visible to this token ({source}); GITHUB_TOKEN cannot see Projects: use GH_CI_PAT with the project scope"
    )]
    NotVisible {
        title: String,
        owner: String,
        source: Error,
    },
    #[error("Project {title:?} of {owner} could not be read: {source}")]
    Unreadable {
        title: String,
        owner: String,
        source: Error,
    },
}

impl ProjectUnavailable {
    fn of(title: &str, owner: &str, source: Error) -> Self {
        let (title, owner) = (title.to_owned(), owner.to_owned());
        if source.is_permission() {
            ProjectUnavailable::NotVisible {
                title,
                owner,
                source,
            }
        } else {
            ProjectUnavailable::Unreadable {
                title,
                owner,
                source,
            }
        }
    }

    /// True when the Project is absent or hidden from this token: the configuration, not a
    /// failed read.
    fn is_finding(&self) -> bool {
        !matches!(self, ProjectUnavailable::Unreadable { .. })
    }

    /// The API failure behind it, when there was one.
    fn api_error(&self) -> Option<&Error> {
        match self {
            ProjectUnavailable::NotFound { .. } => None,
            ProjectUnavailable::NotVisible { source, .. }
            | ProjectUnavailable::Unreadable { source, .. } => Some(source),
        }
    }
}

/// The configured Project, or why it is unavailable.
async fn find_project(ctx: &Context) -> std::result::Result<Project, ProjectUnavailable> {
    let owner = ctx.config.project_owner();
    let title = &ctx.config.settings.project_title;
    match ctx.github().find_project(owner, title).await {
        Ok(Some(project)) => Ok(project),
        Ok(None) => Err(ProjectUnavailable::NotFound {
            title: title.clone(),
            owner: owner.to_owned(),
        }),
        Err(e) => Err(unreadable(ctx, e)),
    }
}

/// The configured Project could not be read: why.
fn unreadable(ctx: &Context, e: Error) -> ProjectUnavailable {
    ProjectUnavailable::of(
        &ctx.config.settings.project_title,
        ctx.config.project_owner(),
        e,
    )
}

/// The Project's id and its current members, or why it is unavailable.
async fn load_project(ctx: &Context) -> std::result::Result<(String, Members), ProjectUnavailable> {
    let gh = ctx.github();
    let project = find_project(ctx).await?;
    let items = gh
        .read_project(&project.id)
        .await
        .map_err(|e| unreadable(ctx, e))?;
    tracing::info!(project = %project.title, items, "project items read");
    Ok((
        project.id.clone(),
        Members::Run {
            github: gh.clone(),
            project_id: project.id,
        },
    ))
}

/// The Project, and which of `among` (changed issues' node ids) are its items: what a run
/// with a snapshot needs instead of the whole Project.
async fn load_project_among(
    ctx: &Context,
    among: &[String],
) -> std::result::Result<(String, Members), ProjectUnavailable> {
    let gh = ctx.github();
    let project = find_project(ctx).await?;
    let members = gh
        .project_members_among(&project.id, among)
        .await
        .map_err(|e| unreadable(ctx, e))?;
    tracing::info!(project = %project.title, asked = among.len(), members = members.len(), "project membership of the changed issues read");
    Ok((project.id, Members::Among(members)))
}

/// Who is in the Project: the run's one copy of the whole Project (kept by the session, so
/// that sync never holds a second one), or, on an incremental run, which of the changed
/// issues are.
#[derive(Debug)]
enum Members {
    /// The whole Project, as the run read it.
    Run { github: GitHub, project_id: String },
    /// Of the issues asked about, those in the Project.
    Among(HashSet<String>),
}

impl Members {
    fn contains(&self, content_id: &str) -> bool {
        match self {
            Members::Run { github, project_id } => github.project_contains(project_id, content_id),
            Members::Among(members) => members.contains(content_id),
        }
    }
}

/// Run project-sync.
pub async fn run(ctx: &Context) -> Outcome<SyncFields> {
    let mut report = Report::new(SyncFields::default());
    let mut repairs = Vec::new();
    execute(ctx, &mut report, &mut repairs).await;
    // Issue order (oldest first), whatever order the repairs were sent in: Project additions
    // go in batches, after the labels and milestones of the pages they came from.
    repairs.sort_by_key(|r| r.number);
    let rest = split_at_limit(&mut repairs);
    report.fields.details = repairs.into_iter().map(Repair::detail).collect();
    let c = Component::Sync;
    report.fields.details_omitted = write_rest(ctx, &mut report, c, "details", &rest);
    report.fields.track_conflicts_omitted =
        bound_list(ctx, &mut report, c, "track_conflicts", |f| {
            &mut f.track_conflicts
        });
    finish(ctx, Component::Sync, report)
}

async fn execute(ctx: &Context, report: &mut Report<SyncFields>, repairs: &mut Vec<Repair>) {
    let gh = ctx.github();
    let repo = ctx.repo();
    let settings = &ctx.config.settings;

    let milestones = match gh.milestones(repo).await {
        Ok(list) => MilestoneIndex::new(&list),
        Err(e) => {
            report.api_failure("could not list milestones", &e);
            return;
        }
    };
    let mut missing_milestones: HashSet<String> = HashSet::new();
    // Once a rate limit or the write budget stops the run, no more writes: what is left is
    // counted and done by the next run (oldest first).
    let mut deferred = 0u64;
    let mut membership = Membership::default();

    // The Project pass and the listing are independent reads: they run side by side, within
    // this task, each one request at a time (so at most two reads in flight, and no more
    // than `CODEX_READ_CONCURRENCY` allows: with 1, the governor takes them in turn). Labels
    // and milestones are repaired page by page as the listing comes; membership needs the
    // Project, so an issue listed before the Project pass ends is checked once it has.
    //
    // With a snapshot (`CODEX_CACHE_DIR`), only the issues that changed since are checked:
    // the Project is asked about them alone, and the rest were checked by an earlier run (the
    // daily full listing catches an item a person removed from the Project).
    let mut source = match OpenIssues::open(ctx, Component::Sync).await {
        Ok(source) => source,
        Err(e) => {
            report.api_failure("could not list the issues that changed", &e);
            listing::mark_pending(ctx, true);
            return;
        }
    };
    let among = source.changed_open_node_ids(|issue| rules::is_managed(issue, settings));
    let project: OnceLock<Option<(String, Members)>> = OnceLock::new();
    let project_pass = async {
        let loaded = match &among {
            None => load_project(ctx).await,
            // No managed issue changed: nothing to ask the Project (whether it is still there
            // is the next full listing's to say).
            Some(ids) if ids.is_empty() => Ok((String::new(), Members::Among(HashSet::new()))),
            Some(ids) => load_project_among(ctx, ids).await,
        };
        let (known, unavailable) = match loaded {
            Ok(p) => (Some(p), None),
            Err(unavailable) => (None, Some(unavailable)),
        };
        let _ = project.set(known);
        unavailable
    };
    let listing = async {
        loop {
            let page = match source.next_page().await {
                Ok(Some(page)) => page,
                Ok(None) => break,
                Err(e) => {
                    let what = format!("enumeration stopped after {} items", source.scanned());
                    report.api_failure(&what, &e);
                    break;
                }
            };
            report.fields.integrity.malformed.extend(page.malformed);
            ctx.progress.plan_writes(
                page.issues
                    .iter()
                    .filter_map(|i| plan_issue(i, settings, &milestones, None))
                    .map(|plan| plan.writes())
                    .sum(),
            );
            for issue in &page.issues {
                let Some(plan) = plan_issue(issue, settings, &milestones, None) else {
                    continue;
                };
                report.fields.managed += 1;
                if plan.conflict {
                    report.fields.track_conflicts.push(issue.number.0);
                }
                if let Some(title) = &plan.missing_milestone {
                    missing_milestones.insert(title.clone());
                }
                let mut detail = None;
                if !plan.is_empty() {
                    if report.stopped() {
                        deferred += 1;
                        continue;
                    }
                    match apply(ctx, issue, &milestones).await {
                        Applied::Done(plan) | Applied::DryRun(plan) if !plan.is_empty() => {
                            count(&mut report.fields, &plan);
                            detail = Some(repairs.len());
                            repairs.push(Repair {
                                number: issue.number.0,
                                changes: Changes::of(&plan),
                            });
                        }
                        Applied::Done(_) | Applied::DryRun(_) => {}
                        Applied::Unmanaged => continue,
                        Applied::Vanished(reason) => {
                            report.fields.integrity.malformed.push(Malformed {
                                number: Some(issue.number.0),
                                reason,
                            });
                            continue;
                        }
                        Applied::Failed(what, e) => {
                            report.api_failure(&format!("#{}{what}", issue.number), &e);
                            if e.stops_run() {
                                deferred += 1;
                            }
                            continue;
                        }
                    }
                }
                if let Some(node_id) = &issue.node_id
                    && source.is_changed(issue.number.0)
                {
                    membership.listed(issue.number.0, node_id, detail);
                }
            }
            if let Some(known) = project.get() {
                loop {
                    membership.check(known.as_ref().map(|(_, members)| members));
                    if membership.ready.len() < PROJECT_BATCH {
                        break;
                    }
                    add_to_project(
                        ctx,
                        project.get(),
                        &mut membership,
                        report,
                        repairs,
                        &mut deferred,
                    )
                    .await;
                }
            }
        }
    };
    let (unavailable, ()) = tokio::join!(project_pass, listing);
    let project = project.into_inner().flatten();
    if let Some(unavailable) = unavailable {
        // The one rule (CONTRACT.md section 3): a Project that is not there or not visible to
        // this token is a finding about the configuration (a warning, membership left alone);
        // a Project that could not be read (after the retries) is an error.
        match unavailable.api_error() {
            Some(e) if e.stops_run() => report.api_failure("could not read the Project", e),
            _ if unavailable.is_finding() => report.warn(unavailable.to_string()),
            _ => report.error(unavailable.to_string()),
        }
    }
    let known = project.map(Some);
    loop {
        membership.check(
            known
                .as_ref()
                .and_then(|k| k.as_ref().map(|(_, members)| members)),
        );
        if membership.ready.is_empty() {
            break;
        }
        add_to_project(
            ctx,
            known.as_ref(),
            &mut membership,
            report,
            repairs,
            &mut deferred,
        )
        .await;
    }
    report.fields.scanned = source.scanned();
    report.listing = Some(source.listing().clone());

    let mut missing: Vec<_> = missing_milestones.into_iter().collect();
    missing.sort();
    for title in missing {
        report.warn(format!(
            "milestone {title:?} does not exist: run codex-diagnostics --repair to create it"
        ));
    }
    if !report.fields.track_conflicts.is_empty() {
        report.warn(format!(
            "{} issue(s) carry both track labels (left unchanged): {}",
            report.fields.track_conflicts.len(),
            list(&report.fields.track_conflicts)
        ));
    }
    report.left_for_next_run(deferred, "issue(s)");
    // Work left undone (writes deferred or failed; in a dry run, Project additions not made)
    // makes the next run list every issue, not only what changed: a delta would not show it.
    listing::mark_pending(
        ctx,
        deferred > 0
            || !report.errors.is_empty()
            || (ctx.config.dry_run && report.fields.corrections.project_adjustments > 0),
    );
    let c = &report.fields.corrections;
    let verb = if ctx.config.dry_run {
        "would repair"
    } else {
        "repaired"
    };
    report.say(format!(
        "sync: scanned {} items, {} managed issues; {verb} {} issues (codex label {}, main {}, dashboard {}, milestone {}, project {}); {} items skipped (codex integrity scans for defects)",
        report.fields.scanned,
        report.fields.managed,
        repairs.len(),
        c.codex_label,
        c.track_main,
        c.track_dashboard,
        c.milestone,
        c.project_adjustments,
        report.fields.integrity.malformed.len()
    ));
}

fn list(numbers: &[u64]) -> String {
    let shown: Vec<String> = numbers.iter().take(20).map(|n| format!("#{n}")).collect();
    let more = numbers.len().saturating_sub(20);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// A managed issue as listed, whose Project membership is to be checked.
#[derive(Debug)]
struct Listed {
    number: u64,
    node_id: String,
    /// Where its labels and milestone repair is in `details`, if it had one.
    detail: Option<usize>,
}

/// Project membership as the run checks it: issues listed before the Project pass ended wait
/// for it; those missing from the Project are added [`PROJECT_BATCH`] to a request, checked
/// a batch at a time (so that a first run with 20,000 to add holds one batch of owned ids,
/// not 20,000).
#[derive(Debug, Default)]
struct Membership {
    waiting: Waiting,
    /// How many of `waiting` were checked.
    checked: usize,
    ready: VecDeque<Listed>,
}

impl Membership {
    fn listed(&mut self, number: u64, node_id: &str, detail: Option<usize>) {
        self.waiting.push(number, node_id, detail);
    }

    /// Check waiting issues against the Project's members until a batch is ready or none
    /// waits (`None`: the Project is unavailable and membership is left alone).
    fn check(&mut self, members: Option<&Members>) {
        let Some(members) = members else {
            self.waiting = Waiting::default();
            self.checked = 0;
            return;
        };
        while self.ready.len() < PROJECT_BATCH {
            let Some(l) = self.waiting.get(self.checked) else {
                self.waiting.clear();
                self.checked = 0;
                return;
            };
            self.checked += 1;
            if !members.contains(l.node_id) {
                self.ready.push_back(Listed {
                    number: l.number,
                    node_id: l.node_id.to_owned(),
                    detail: l.detail,
                });
            }
        }
    }
}

/// The issues listed while the Project pass was still reading, compactly: on a first run of
/// a large repository that is most of them (74,000 of 100,000 in the benchmark), so their
/// node ids share one string and each issue takes 16 bytes besides (where a [`Listed`] of its
/// own took 48 and an allocation).
#[derive(Debug, Default)]
struct Waiting {
    ids: String,
    issues: Vec<WaitingIssue>,
}

#[derive(Debug)]
struct WaitingIssue {
    number: u64,
    /// Where its node id ends in `ids` (it starts where the one before ends).
    end: u32,
    /// Its index in `details` plus one; 0 for none.
    detail: u32,
}

/// A waiting issue as read back.
struct WaitingRef<'a> {
    number: u64,
    node_id: &'a str,
    detail: Option<usize>,
}

impl Waiting {
    fn push(&mut self, number: u64, node_id: &str, detail: Option<usize>) {
        // A node id is a few dozen bytes; 4 GB of them is past any repository.
        let Ok(end) = u32::try_from(self.ids.len() + node_id.len()) else {
            return;
        };
        let detail = detail.and_then(|k| u32::try_from(k + 1).ok()).unwrap_or(0);
        self.ids.push_str(node_id);
        self.issues.push(WaitingIssue {
            number,
            end,
            detail,
        });
    }

    /// The `k`th waiting issue.
    fn get(&self, k: usize) -> Option<WaitingRef<'_>> {
        let w = self.issues.get(k)?;
        let start = match k.checked_sub(1) {
            Some(before) => self.issues[before].end as usize,
            None => 0,
        };
        Some(WaitingRef {
            number: w.number,
            node_id: &self.ids[start..w.end as usize],
            detail: (w.detail as usize).checked_sub(1),
        })
    }

    /// Forget them all (keeping the room).
    fn clear(&mut self) {
        self.ids.clear();
        self.issues.clear();
    }
}

/// Send the next batch of Project additions (at most [`PROJECT_BATCH`], one request; none in
/// a dry run). Each success is counted and reported in the issue's detail; each failure is
/// reported per issue, and the others of its batch still count.
async fn add_to_project(
    ctx: &Context,
    project: Option<&Option<(String, Members)>>,
    membership: &mut Membership,
    report: &mut Report<SyncFields>,
    repairs: &mut Vec<Repair>,
    deferred: &mut u64,
) {
    let take = membership.ready.len().min(PROJECT_BATCH);
    let batch: Vec<Listed> = membership.ready.drain(..take).collect();
    let Some(Some((project_id, _))) = project else {
        return;
    };
    if report.stopped() {
        *deferred += batch.len() as u64;
        return;
    }
    ctx.progress.plan_writes(batch.len() as u64);
    let ids: Vec<String> = batch.iter().map(|l| l.node_id.clone()).collect();
    let outcomes: Vec<Result<(), Error>> =
        match ctx.github().add_project_items(project_id, &ids).await {
            Ok(Written::DryRun) => batch.iter().map(|_| Ok(())).collect(),
            Ok(Written::Done(outcomes)) => outcomes.into_iter().map(|o| o.map(|_| ())).collect(),
            Err(e) => {
                let numbers: Vec<u64> = batch.iter().map(|l| l.number).collect();
                report.api_failure(&format!("{}: adding to the Project", list(&numbers)), &e);
                if e.stops_run() {
                    *deferred += batch.len() as u64;
                }
                return;
            }
        };
    for (listed, outcome) in batch.into_iter().zip(outcomes) {
        match outcome {
            Ok(()) => {
                report.fields.corrections.project_adjustments += 1;
                match listed
                    .detail
                    .and_then(|k| repairs.get_mut(k))
                    .filter(|r| r.number == listed.number)
                {
                    Some(repair) => repair.changes.0 |= Changes::PROJECT.0,
                    None => repairs.push(Repair {
                        number: listed.number,
                        changes: Changes::PROJECT,
                    }),
                }
                if !ctx.config.dry_run {
                    tracing::info!(issue = listed.number, "added to the Project");
                }
            }
            Err(e) => {
                report.api_failure(&format!("#{}: adding to the Project", listed.number), &e);
                if e.stops_run() {
                    *deferred += 1;
                }
            }
        }
    }
}

enum Applied {
    Done(IssuePlan),
    DryRun(IssuePlan),
    /// The fresh copy is no longer managed: nothing to do, its membership included.
    Unmanaged,
    Vanished(String),
    /// What failed (empty, or `": adding labels"` and the like) and why; a failure that stops
    /// the run ([`Error::stops_run`]) stops the writing.
    Failed(&'static str, Error),
}

/// Apply one plan's labels and milestone (Project membership is batched: [`add_to_project`]).
/// The issue is read again first and the plan remade from the fresh copy; only what is still
/// missing is written (in dry-run: reported as what would be written).
async fn apply(ctx: &Context, listed: &Issue, milestones: &MilestoneIndex) -> Applied {
    let gh = ctx.github();
    let repo = ctx.repo();
    // A dry run writes nothing, so nothing can be clobbered: the listing is fresh enough, and
    // re-reading every issue would cost a request each. Both paths see the same labels: where
    // a payload hides some, they are read from the labels endpoint.
    let fresh = if gh.dry_run() {
        Ok(listed.clone())
    } else {
        gh.issue(repo, listed.number).await
    };
    let fresh = match fresh {
        Ok(issue) => issue,
        Err(Error::Moved { location, .. }) => {
            return Applied::Vanished(format!("transferred since listing (now {location})"));
        }
        Err(Error::Gone { .. }) => return Applied::Vanished("deleted since listing".into()),
        Err(e) => return Applied::Failed("", e),
    };
    let fresh = match with_readable_labels(ctx, fresh).await {
        Ok(issue) => issue,
        Err(e) => return Applied::Failed(": reading its labels", e),
    };
    let Some(mut plan) = plan_issue(&fresh, &ctx.config.settings, milestones, None) else {
        return Applied::Unmanaged;
    };
    if gh.dry_run() {
        return Applied::DryRun(plan);
    }
    let mut done = IssuePlan {
        add_labels: vec![],
        set_milestone: None,
        add_to_project: None,
        ..plan.clone()
    };
    if !plan.add_labels.is_empty() {
        let labels: Vec<String> = plan.add_labels.iter().map(|l| (*l).to_owned()).collect();
        match gh.add_labels(repo, fresh.number, &labels).await {
            Ok(Written::Done(_) | Written::DryRun) => {
                done.add_labels = std::mem::take(&mut plan.add_labels);
            }
            Err(e) => return partial(done, Applied::Failed(": adding labels", e)),
        }
    }
    if let Some(number) = plan.set_milestone {
        match gh.set_milestone(repo, fresh.number, number).await {
            Ok(_) => done.set_milestone = Some(number),
            Err(e) => return partial(done, Applied::Failed(": setting the milestone", e)),
        }
    }
    if !done.is_empty() {
        tracing::info!(issue = fresh.number.0, changes = ?change_names(&done), "repaired");
    }
    Applied::Done(done)
}

/// A failure after some writes succeeded: the successful part is still reported.
fn partial(done: IssuePlan, failure: Applied) -> Applied {
    if done.is_empty() {
        failure
    } else {
        tracing::warn!("partially applied: {:?}", change_names(&done));
        // The successful part counts; the failure is reported on the next run's plan.
        Applied::Done(done)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn settings() -> Settings {
        Settings::from_env(&|_| None).unwrap()
    }

    fn milestones() -> MilestoneIndex {
        MilestoneIndex::new(&[
            Milestone {
                number: MilestoneNumber(1),
                title: "Codex Internal".into(),
                open: true,
            },
            Milestone {
                number: MilestoneNumber(2),
                title: "Codex Main Track".into(),
                open: true,
            },
            Milestone {
                number: MilestoneNumber(3),
                title: "Codex Dashboard Track".into(),
                open: true,
            },
            Milestone {
                number: MilestoneNumber(9),
                title: "Codex Main Track".into(),
                open: false,
            },
        ])
    }

    fn issue(number: u64, title: &str, labels: &[&str], milestone: Option<u64>) -> Issue {
        Issue::from_json(&json!({
            "number": number, "node_id": format!("I_{number}"), "title": title, "state": "open",
            "labels": labels,
            "milestone": milestone.map(|n| json!({"number": n, "title": match n {
                1 => "Codex Internal", 2 => "Codex Main Track", 3 => "Codex Dashboard Track", _ => "Other" }})),
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
        }))
        .unwrap()
    }

    #[test]
    fn a_repair_serialises_as_the_detail_it_stands_for() {
        for bits in 0..(1u8 << CHANGES.len()) {
            let repair = Repair {
                number: 42,
                changes: Changes(bits),
            };
            assert_eq!(
                serde_json::to_value(repair).unwrap(),
                serde_json::to_value(repair.detail()).unwrap(),
                "bits {bits:05b}"
            );
        }
        let all = Repair {
            number: 7,
            changes: Changes(0b1_1111),
        };
        assert_eq!(all.detail().changes, CHANGES);
    }

    #[test]
    fn a_bare_issue_gets_everything_it_lacks() {
        let members = HashSet::new();
        let plan = plan_issue(
            &issue(5, "Dashboard: add chart", &[], None),
            &settings(),
            &milestones(),
            Some(&members),
        )
        .unwrap();
        assert_eq!(plan.add_labels, vec!["codex", "codex-trackdashboard"]);
        assert_eq!(plan.set_milestone, Some(MilestoneNumber(3)));
        assert_eq!(plan.add_to_project.as_deref(), Some("I_5"));
        assert_eq!(plan.writes(), 3);
        assert_eq!(
            change_names(&plan),
            vec![
                "add_codex_label",
                "codex-trackdashboard",
                "milestone",
                "project"
            ]
        );
    }

    #[test]
    fn a_complete_issue_needs_nothing() {
        let members: HashSet<String> = ["I_6".to_owned()].into();
        let i = issue(6, "pipeline", &["codex", "codex-trackmain"], Some(2));
        let plan = plan_issue(&i, &settings(), &milestones(), Some(&members)).unwrap();
        assert!(plan.is_empty(), "{plan:?}");
    }

    #[test]
    fn a_milestone_a_person_set_is_never_replaced() {
        // In the dashboard milestone though the title says main: left alone.
        let members: HashSet<String> = ["I_7".to_owned()].into();
        let plan = plan_issue(
            &issue(7, "pipeline", &["codex", "codex-trackmain"], Some(3)),
            &settings(),
            &milestones(),
            Some(&members),
        )
        .unwrap();
        assert!(plan.is_empty());
    }

    #[test]
    fn open_milestone_wins_over_a_closed_one_of_the_same_title() {
        assert_eq!(
            milestones().number("Codex Main Track"),
            Some(MilestoneNumber(2))
        );
    }

    #[test]
    fn conflicts_get_only_the_codex_label_and_no_milestone() {
        let plan = plan_issue(
            &issue(8, "x", &["codex-trackmain", "codex-trackdashboard"], None),
            &settings(),
            &milestones(),
            None,
        )
        .unwrap();
        assert!(plan.conflict);
        assert_eq!(plan.add_labels, vec!["codex"]);
        assert_eq!(plan.set_milestone, None);
        assert_eq!(
            plan.add_to_project, None,
            "project unknown: membership left alone"
        );
    }

    #[test]
    fn missing_milestones_are_reported_not_invented() {
        let empty = MilestoneIndex::default();
        let plan = plan_issue(&issue(9, "x", &["codex"], None), &settings(), &empty, None).unwrap();
        assert_eq!(plan.set_milestone, None);
        assert_eq!(plan.missing_milestone.as_deref(), Some("Codex Main Track"));
        assert_eq!(plan.add_labels, vec!["codex-trackmain"]);
    }

    #[test]
    fn membership_waits_for_the_project_and_keeps_only_the_missing() {
        let mut m = Membership::default();
        for n in 1..=4 {
            // Ids of different lengths, and a detail for one: each reads back as it went in.
            let id = format!("I_{}", "x".repeat(n as usize));
            m.listed(n, &id, (n == 3).then_some(7));
        }
        assert!(
            m.ready.is_empty(),
            "nothing is added before the Project is read"
        );
        let members = Members::Among(["I_xx".to_owned(), "I_xxxx".to_owned()].into());
        m.check(Some(&members));
        let ready: Vec<(u64, &str, Option<usize>)> = m
            .ready
            .iter()
            .map(|l| (l.number, l.node_id.as_str(), l.detail))
            .collect();
        assert_eq!(
            ready,
            [(1, "I_x", None), (3, "I_xxx", Some(7))],
            "the missing ones, in listing order"
        );
        assert!(m.waiting.issues.is_empty(), "all checked");

        // Checked a batch at a time: one batch of owned ids at most.
        let mut many = Membership::default();
        for n in 0..(PROJECT_BATCH as u64 * 2 + 3) {
            many.listed(n, &format!("I_{n}"), None);
        }
        let none = Members::Among(HashSet::new());
        let mut batches = Vec::new();
        loop {
            many.check(Some(&none));
            if many.ready.is_empty() {
                break;
            }
            batches.push(many.ready.len());
            assert!(many.ready.len() <= PROJECT_BATCH);
            many.ready.clear();
        }
        assert_eq!(batches, [PROJECT_BATCH, PROJECT_BATCH, 3]);

        let mut unavailable = Membership::default();
        unavailable.listed(5, "I_5", None);
        unavailable.check(None);
        assert!(unavailable.ready.is_empty() && unavailable.waiting.issues.is_empty());
    }

    #[test]
    fn unmanaged_issues_are_not_planned() {
        assert!(
            plan_issue(
                &issue(10, "x", &["codex-selftest"], None),
                &settings(),
                &milestones(),
                None
            )
            .is_none()
        );
        assert!(
            plan_issue(
                &issue(11, "x", &[], Some(1)),
                &settings(),
                &milestones(),
                None
            )
            .is_none()
        );
    }
}
