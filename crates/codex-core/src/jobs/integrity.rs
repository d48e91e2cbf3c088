//! The integrity scanner (reference section 16.1): search a repository for issues other
//! components would silently skip. It writes nothing to GitHub: every request is a GET or a
//! GraphQL query.
//!
//! One REST listing of every item (`state=all`) feeds [`Scan`], which checks each payload's
//! shape, labels and milestone and counts the newer issue fields per track as the pages
//! arrive (pure, page by page). Then GraphQL's numbers are compared with REST's, the Codex
//! Project's items are checked, and the numbers that were managed issues in the previous scan
//! (on a first scan, the gaps in the numbering) and are missing now are read one by one: 301
//! transferred, 410 deleted, 404 not visible. The findings, each with its remedy, are the
//! telemetry.

use std::collections::HashSet;

use crate::config::Settings;
use crate::error::Error;
use crate::github::graphql::{ItemContent, ProjectItems};
use crate::github::{Issue, IssueLister, IssueNumber, IssueQuery, Malformed};
use crate::jobs::sync::MilestoneIndex;
use crate::jobs::{Context, Outcome, Report, bound_list, finish};
use crate::numbers::Numbers;
use crate::pages::Layout;
use crate::rules::integrity::{
    self, Baseline, FindingKind, Found, compare_listings, compare_open_count, numbers_to_check,
};
use crate::rules::{self, FindingGroup, LABEL_CODEX, LABEL_TRACK_DASHBOARD, LABEL_TRACK_MAIN};
use crate::telemetry::{
    Component, FINDINGS_LIMIT, Finding, Integrity, IntegrityFields, IssueFieldCounts,
};

/// What the REST listing showed, gathered page by page (pure).
#[derive(Debug, Default)]
pub struct Scan {
    /// Every listed number, issues and pull requests.
    pub listed: Numbers,
    /// Listed issues.
    pub issues: Numbers,
    /// Listed pull requests.
    pub pull_requests: Numbers,
    /// Open items listed (issues and pull requests).
    pub open: u64,
    /// Open managed issues.
    pub managed: Numbers,
    /// Findings about single items.
    pub found: Vec<Found>,
    /// The newer fields per track.
    pub fields: rules::PerTrack<IssueFieldCounts>,
}

impl Scan {
    /// Items that could not be read at all.
    pub fn add_unreadable(&mut self, malformed: &[Malformed]) {
        for m in malformed {
            self.found.push(Found {
                kind: FindingKind::Unreadable,
                number: m.number,
                detail: format!("an item of the listing could not be read: {}", m.reason),
                moved_to: None,
            });
        }
    }

    /// Listed pull requests: `(number, open)`.
    pub fn add_pull_requests(&mut self, pull_requests: &[(u64, bool)]) {
        for &(n, open) in pull_requests {
            if self.listed.insert(n) {
                self.pull_requests.insert(n);
                self.open += u64::from(open);
            }
        }
    }

    /// One listed item. `labels` are the repository's label names, lower-cased (`None`: not
    /// read, no label checks).
    pub fn add(
        &mut self,
        issue: &Issue,
        settings: &Settings,
        milestones: &MilestoneIndex,
        labels: Option<&HashSet<String>>,
    ) {
        let n = issue.number.0;
        if !self.listed.insert(n) {
            return;
        }
        if issue.is_open() {
            self.open += 1;
        }
        if issue.is_pull_request {
            self.pull_requests.insert(n);
            return;
        }
        self.issues.insert(n);
        for oddity in &issue.findings {
            self.found.push(Found::issue(
                oddity.kind,
                n,
                format!("#{n}: {}", oddity.detail),
            ));
        }
        if let Some(m) = &issue.milestone
            && !milestones.contains(m.number)
        {
            self.found.push(Found::issue(
                FindingKind::MilestoneUnknown,
                n,
                format!("#{n} is in milestone #{}, which does not exist", m.number),
            ));
        }
        if let Some(known) = labels {
            for label in issue
                .labels
                .iter()
                .filter(|l| !known.contains(&l.to_lowercase()))
            {
                self.found.push(Found::issue(
                    FindingKind::LabelUndefined,
                    n,
                    format!(
                        "#{n} carries label {label:?}, which is not in the repository's label list"
                    ),
                ));
            }
        }
        if !rules::is_managed(issue, settings) {
            return;
        }
        self.managed.insert(n);
        let decision = rules::decide_track(issue);
        let Some(track) = decision.track() else {
            self.found.push(Found::issue(
                FindingKind::TrackConflict,
                n,
                format!("#{n} carries both {LABEL_TRACK_MAIN} and {LABEL_TRACK_DASHBOARD}"),
            ));
            return;
        };
        let f = &mut self.fields[track];
        let x = &issue.extras;
        f.issues += 1;
        match &x.issue_type {
            Some(name) => *f.types.entry(name.clone()).or_default() += 1,
            None => f.untyped += 1,
        }
        if let Some(sub) = x.sub_issues.filter(|s| s.total > 0) {
            f.sub_issues.parents += 1;
            f.sub_issues.total += sub.total;
            f.sub_issues.completed += sub.completed.min(sub.total);
        }
        f.children += u64::from(x.has_parent);
        if let Some(deps) = x.dependencies {
            if deps.blocked_by > 0 {
                f.blocked += 1;
                f.blocked_issues.push(n);
            }
            f.blocking += u64::from(deps.blocking > 0);
        }
        f.locked += u64::from(x.locked);
    }
}

/// The Project's items against the listings (pure): orphaned, foreign (only when this
/// repository has the Project to itself), archived, and the item count against `limit`.
pub fn check_project(
    items: &ProjectItems,
    repo: &str,
    listed: &Numbers,
    graphql: &Numbers,
    shared_project: bool,
    limit: u64,
) -> Vec<Found> {
    let mut out = Vec::new();
    for (archived, content) in items.iter() {
        match content {
            ItemContent::Missing => out.push(Found::repository(
                FindingKind::ProjectItemOrphaned,
                "a Project item points at an issue that no longer exists (content: null)",
            )),
            ItemContent::Other => {}
            ItemContent::Issue {
                repository,
                number,
                pull_request,
            } => {
                let n = number;
                let ours = repository.eq_ignore_ascii_case(repo);
                if ours && !pull_request && !listed.contains(n) && !graphql.contains(n) {
                    out.push(Found::issue(
                        FindingKind::ProjectItemOrphaned,
                        n,
                        format!(
                            "a Project item points at #{n}, which neither REST nor GraphQL lists"
                        ),
                    ));
                } else if !ours && !shared_project {
                    out.push(Found {
                        kind: FindingKind::ProjectItemForeign,
                        number: None,
                        detail: format!(
                            "a Project item points at {repository:?} #{n}, another repository"
                        ),
                        moved_to: None,
                    });
                }
                if archived && ours {
                    out.push(Found::issue(
                        FindingKind::ProjectItemArchived,
                        n,
                        format!("#{n}'s Project item is archived"),
                    ));
                }
            }
        }
    }
    // A limit of 1 or more; 80% of it, rounded up.
    let threshold = limit.saturating_mul(4).div_ceil(5).max(1);
    if items.total >= threshold {
        out.push(Found::repository(
            FindingKind::ProjectNearLimit,
            format!(
                "the Project holds {} items, {}% of its limit of {limit}",
                items.total,
                items.total.saturating_mul(100) / limit.max(1)
            ),
        ));
    }
    out
}

/// Sort, count and bound the findings into the telemetry's fields (pure).
pub fn assemble(mut found: Vec<Found>, fields: &mut IntegrityFields) {
    // Two findings may read alike (two orphaned items): each is counted.
    found.sort();
    fields.counts = integrity::counts(&found);
    fields.findings_omitted = found.len().saturating_sub(FINDINGS_LIMIT) as u64;
    fields.integrity = Integrity {
        malformed: found
            .iter()
            .filter(|f| f.kind.group() == FindingGroup::Shape)
            .take(FINDINGS_LIMIT)
            .map(|f| Malformed {
                number: f.number,
                reason: f.detail.clone(),
            })
            .collect(),
    };
    fields.findings = found
        .into_iter()
        .take(FINDINGS_LIMIT)
        .map(|f| Finding {
            remedy: f.kind.remedy().to_owned(),
            kind: f.kind,
            number: f.number,
            detail: f.detail,
            moved_to: f.moved_to,
        })
        .collect();
}

/// Run the integrity scanner.
pub async fn run(ctx: &Context) -> Outcome<IntegrityFields> {
    let mut report = Report::new(IntegrityFields::default());
    if carry_forward(ctx, &mut report) {
        return finish(ctx, Component::Integrity, report);
    }
    execute(ctx, &mut report).await;
    report.fields.scanned_at = Some(ctx.now);
    for track in rules::Track::ALL {
        let name = format!("blocked_issues-{}", track.key());
        report.fields.fields[track].blocked_issues_omitted =
            bound_list(ctx, &mut report, Component::Integrity, &name, |f| {
                &mut f.fields[track].blocked_issues
            });
    }
    finish(ctx, Component::Integrity, report)
}

/// Incremental runs (a cache directory, CONTRACT.md section 4): the scan reads every issue
/// twice and the whole Project, so it is made once per resync period
/// (`CODEX_FULL_RESYNC_HOURS`, as the issue listings' full resync) or with `--full`; in
/// between, the last full scan's findings stand, carried forward with their `scanned_at` and
/// no request. True when it carried them.
fn carry_forward(ctx: &Context, report: &mut Report<IntegrityFields>) -> bool {
    let hours = ctx.config.settings.full_resync_hours;
    if ctx.config.cache_dir.is_none() || ctx.config.full || hours == 0 {
        return false;
    }
    let Ok((Some(latest), _)) = ctx.pages.latest_typed::<IntegrityFields>() else {
        return false;
    };
    // Only a scan that was whole stands for the next runs.
    if !latest.envelope.errors.is_empty()
        || latest.envelope.status == crate::telemetry::Status::Skipped
    {
        return false;
    }
    let scanned_at = latest
        .fields
        .scanned_at
        .unwrap_or(latest.envelope.started_at);
    let age = ctx.now - scanned_at;
    if age < chrono::Duration::zero() || age >= chrono::Duration::hours(hours as i64) {
        return false;
    }
    let scan_run = latest.envelope.run_id.clone();
    report.fields = latest.fields;
    report.fields.scanned_at = Some(scanned_at);
    report.warnings = latest.envelope.warnings;
    // The scan's pieces belong to its run: written again under this run's id, as the
    // dashboard takes only the pieces of the run whose telemetry counts them.
    for track in rules::Track::ALL {
        let name = format!("blocked_issues-{}", track.key());
        let omitted = report.fields.fields[track].blocked_issues_omitted;
        if omitted.pieces == 0 {
            continue;
        }
        let rest = match ctx.pages.read_pieces::<u64>(
            Component::Integrity,
            &name,
            &scan_run,
            omitted,
        ) {
            Ok(rest) => rest,
            Err(e) => {
                report.warn(format!(
                    "the {} entries left out of integrity `{name}` by the scan of run {scan_run} could not be read again: {e}",
                    omitted.count
                ));
                Vec::new()
            }
        };
        let pieces = match ctx.pages.write_pieces(
            Component::Integrity,
            &name,
            &ctx.config.run_id,
            &rest,
        ) {
            Ok(written) => written.pieces,
            Err(e) => {
                report.warn(format!(
                    "the {} entries left out of integrity `{name}` could not be written as pieces: {e}",
                    rest.len()
                ));
                0
            }
        };
        report.fields.fields[track].blocked_issues_omitted.pieces = pieces;
    }
    report.say(format!(
        "integrity: the full scan of {} (run {}) stands, {} findings; the next is made {} hours after it (CODEX_FULL_RESYNC_HOURS), or now with --full",
        scanned_at.format("%Y-%m-%d %H:%M UTC"),
        latest.envelope.run_id,
        report.fields.counts.values().sum::<u64>(),
        hours
    ));
    true
}

async fn execute(ctx: &Context, report: &mut Report<IntegrityFields>) {
    let gh = ctx.github();
    let repo = ctx.repo();
    let settings = &ctx.config.settings;
    let mut found: Vec<Found> = Vec::new();

    let milestones = match gh.milestones(repo).await {
        Ok(list) => MilestoneIndex::new(&list),
        Err(e) => return report.api_failure("could not list milestones", &e),
    };
    let labels = match gh.labels(repo).await {
        Ok(list) => {
            let names: Vec<String> = list.iter().map(|l| l.name.clone()).collect();
            for (want, seen) in integrity::label_case(
                &[LABEL_CODEX, LABEL_TRACK_MAIN, LABEL_TRACK_DASHBOARD],
                &names,
            ) {
                found.push(Found::repository(
                    FindingKind::LabelCase,
                    format!("the repository has label {seen:?} where Codex expects {want:?}"),
                ));
            }
            Some(
                names
                    .iter()
                    .map(|n| n.to_lowercase())
                    .collect::<HashSet<_>>(),
            )
        }
        Err(e) if e.stops_run() => return report.api_failure("could not list labels", &e),
        Err(e) => {
            report.error(format!("could not list labels (label checks skipped): {e}"));
            None
        }
    };
    let repository_open = match gh.repository(repo).await {
        Ok(r) => r["open_issues_count"].as_u64(),
        Err(e) if e.stops_run() => return report.api_failure("could not read the repository", &e),
        Err(e) => {
            report.error(format!("could not read the repository: {e}"));
            None
        }
    };

    // The REST listing, every state: the source of truth.
    let mut scan = Scan::default();
    let mut lister = IssueLister::new(gh, repo, &IssueQuery::all());
    let mut listing_complete = true;
    loop {
        match lister.next_page().await {
            Ok(Some(page)) => {
                scan.add_unreadable(&page.malformed);
                scan.add_pull_requests(&page.pull_requests);
                for issue in &page.issues {
                    scan.add(issue, settings, &milestones, labels.as_ref());
                }
            }
            Ok(None) => break,
            Err(e) => {
                let what = format!("the listing stopped after {} pages", lister.pages());
                report.api_failure(&what, &e);
                listing_complete = false;
                break;
            }
        }
    }
    report.fields.scanned.rest = scan.listed.len() as u64;
    report.fields.scanned.rest_issues = scan.issues.len() as u64;
    report.fields.fields = std::mem::take(&mut scan.fields);
    found.append(&mut scan.found);
    if !listing_complete {
        // Without the whole listing, nothing is missing from it: only what was seen counts.
        report.fields.comparison_complete = false;
        report.fields.managed = integrity::ranges(&scan.managed);
        report.warn("the scan is incomplete: the REST listing did not finish");
        return conclude(report, found);
    }
    if let Some(f) = compare_open_count(scan.open, repository_open) {
        found.push(f);
    }
    report.fields.scanned.repository_open = repository_open;

    // GraphQL's numbers, compared with REST's.
    let graphql = if report.stopped() {
        None
    } else {
        match gh.issue_numbers(&repo.owner, &repo.name).await {
            Ok(numbers) => {
                found.extend(compare_listings(
                    &scan.issues,
                    &scan.pull_requests,
                    &numbers.numbers,
                    numbers.total,
                ));
                report.fields.comparison_complete = true;
                Some(numbers)
            }
            Err((partial, e)) => {
                // What GraphQL did return that REST lacks stands; REST-only cannot be told.
                found.extend(
                    compare_listings(&scan.issues, &scan.pull_requests, &partial.numbers, None)
                        .into_iter()
                        .filter(|f| f.kind != FindingKind::RestOnly),
                );
                // GraphQL has its own rate limit: its trouble stops the comparison, not the
                // REST work; only the run's own stop (a cancellation, the deadline) stops all.
                if e.is_run_limit() {
                    report.api_failure("the GraphQL enumeration", &e);
                } else {
                    report.warn(format!(
                        "the REST/GraphQL comparison is incomplete: GraphQL failed after {} numbers: {e}",
                        partial.numbers.len()
                    ));
                }
                Some(partial)
            }
        }
    };
    let graphql_numbers = graphql.as_ref().map(|g| &g.numbers);
    report.fields.scanned.graphql = graphql.as_ref().map(|g| g.numbers.len() as u64);
    report.fields.scanned.graphql_total = graphql.as_ref().and_then(|g| g.total);
    let empty = Numbers::new();
    let graphql_set = graphql_numbers.unwrap_or(&empty);

    // The Codex Project.
    if !report.stopped() {
        check_project_items(ctx, report, &scan, graphql_set, &mut found).await;
    }

    // Gone since the last scan, one by one.
    let previous = previous_managed(ctx, report);
    report.fields.baseline = Some(if previous.is_some() {
        Baseline::Previous
    } else {
        Baseline::Gaps
    });
    let (check, more) = numbers_to_check(previous.as_ref(), &scan.listed, graphql_set);
    if !report.stopped() {
        let mut left = 0u64;
        for (i, &n) in check.iter().enumerate() {
            if report.stopped() {
                left = (check.len() - i) as u64;
                break;
            }
            report.fields.scanned.checked += 1;
            if let Some(f) = check_one(ctx, report, n).await {
                found.push(f);
            }
        }
        if more > 0 {
            report.warn(format!(
                "{more} more missing numbers were not checked one by one (at most {} a scan); the next scan takes them",
                integrity::MAX_CHECKS
            ));
        }
        report.left_for_next_run(left, "number(s) to check");
    }
    // A number gone since last time stays in the baseline until it has been checked.
    let mut managed = std::mem::take(&mut scan.managed);
    if let Some(previous) = &previous {
        let checked: Numbers = check
            .iter()
            .take(report.fields.scanned.checked as usize)
            .copied()
            .collect();
        managed.extend(
            previous
                .iter()
                .filter(|&n| !scan.listed.contains(n) && !checked.contains(n)),
        );
    }
    report.fields.managed = integrity::ranges(&managed);
    conclude(report, found);
}

fn conclude(report: &mut Report<IntegrityFields>, found: Vec<Found>) {
    assemble(found, &mut report.fields);
    let f = &report.fields;
    let total: u64 = f.counts.values().sum();
    let by_kind: Vec<String> = f
        .counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let graphql = f
        .scanned
        .graphql
        .map_or_else(|| "not compared".to_owned(), |n| n.to_string());
    let line = format!(
        "integrity: listed {} items ({} issues) by REST, {graphql} by GraphQL, {} Project items, {} checked one by one; {total} findings{}",
        f.scanned.rest,
        f.scanned.rest_issues,
        f.scanned
            .project_items
            .map_or_else(|| "no".to_owned(), |n| n.to_string()),
        f.scanned.checked,
        if by_kind.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_kind.join(", "))
        }
    );
    if total > 0 {
        report.warn(format!(
            "{total} integrity findings: {}; see the integrity telemetry for each issue and what to do",
            by_kind.join(", ")
        ));
    }
    report.say(line);
}

async fn check_project_items(
    ctx: &Context,
    report: &mut Report<IntegrityFields>,
    scan: &Scan,
    graphql: &Numbers,
    found: &mut Vec<Found>,
) {
    let gh = ctx.github();
    let owner = ctx.config.project_owner();
    let title = &ctx.config.settings.project_title;
    let project = match gh.find_project(owner, title).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            report.say(format!(
                "integrity: no Project {title:?} under {owner}: Project items not checked"
            ));
            return;
        }
        Err(e) if e.is_run_limit() => return report.api_failure("could not find the Project", &e),
        Err(e) if e.is_permission() || e.is_missing() => {
            report.say(format!(
                "integrity: the Project {title:?} of {owner} is not visible to this token: Project items not checked"
            ));
            return;
        }
        Err(e) => return report.error(format!("could not find the Project: {e}")),
    };
    let repo = ctx.repo().to_string();
    let checked = gh
        .project_items(&project.id, |items| {
            let found = check_project(
                items,
                &repo,
                &scan.listed,
                graphql,
                ctx.config.layout == Layout::PerRepository,
                ctx.config.settings.project_item_limit,
            );
            (items.total, found)
        })
        .await;
    match checked {
        Ok((total, checked)) => {
            report.fields.scanned.project_items = Some(total);
            found.extend(checked);
        }
        Err(e) if e.is_run_limit() => report.api_failure("could not read the Project's items", &e),
        Err(e) => report.error(format!(
            "could not read the Project's items (not checked): {e}"
        )),
    }
}

/// The previous scan's managed numbers, if there was a readable previous scan.
fn previous_managed(ctx: &Context, report: &mut Report<IntegrityFields>) -> Option<Numbers> {
    match ctx.pages.latest_typed::<IntegrityFields>() {
        Ok((latest, warnings)) => {
            for w in warnings {
                report.warn(w);
            }
            let latest = latest?;
            match integrity::parse_ranges(&latest.fields.managed) {
                Some(set) => Some(set),
                None => {
                    report.warn(format!(
                        "the previous integrity telemetry ({}) has an unreadable managed list: checking the gaps in the numbering instead",
                        latest.envelope.run_id
                    ));
                    None
                }
            }
        }
        Err(e) => {
            report.warn(format!("could not read previous integrity telemetry: {e}"));
            None
        }
    }
}

/// Read one missing number: what became of it.
async fn check_one(ctx: &Context, report: &mut Report<IntegrityFields>, n: u64) -> Option<Found> {
    let gh = ctx.github();
    match gh.issue(ctx.repo(), IssueNumber(n)).await {
        Ok(issue) => Some(Found::issue(
            FindingKind::Unlisted,
            n,
            format!(
                "#{n} answers by number ({}) but the listing did not return it",
                if issue.is_open() { "open" } else { "not open" }
            ),
        )),
        Err(Error::Moved { location, .. }) => {
            // A GitHub App's token is narrowed to this repository: the issue's new home is
            // out of its reach, so it is not asked.
            let narrowed = matches!(ctx.config.credentials, Some(crate::Credentials::App(_)));
            let followed = if narrowed {
                Ok(None)
            } else {
                gh.issue_at(&location).await
            };
            let moved_to = match followed {
                Ok(Some(there)) => there.html_url,
                Ok(None) => None,
                Err(e) if e.stops_run() => {
                    report.api_failure(&format!("following #{n}'s transfer"), &e);
                    None
                }
                Err(_) => None,
            };
            let detail = match &moved_to {
                Some(url) => format!("#{n} was transferred to {url}"),
                None => format!("#{n} was transferred (its new location could not be read)"),
            };
            Some(Found {
                kind: FindingKind::Transferred,
                number: Some(n),
                detail,
                moved_to,
            })
        }
        Err(Error::Gone { .. }) => Some(Found::issue(
            FindingKind::Deleted,
            n,
            format!("#{n} was deleted (410)"),
        )),
        Err(Error::NotFound { .. }) => Some(Found::issue(
            FindingKind::NotVisible,
            n,
            format!("#{n} is not found (404): no longer visible to this token"),
        )),
        Err(e) => {
            report.api_failure(&format!("could not check #{n}"), &e);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::{Milestone, MilestoneNumber};
    use serde_json::json;

    fn settings() -> Settings {
        Settings::from_env(&|_| None).unwrap()
    }

    fn milestones() -> MilestoneIndex {
        MilestoneIndex::new(&[Milestone {
            number: MilestoneNumber(1),
            title: "Codex Main Track".into(),
            open: true,
        }])
    }

    fn issue(value: serde_json::Value) -> Issue {
        let mut v = json!({"title": "Fix the parser", "state": "open", "labels": ["codex"],
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"});
        for (k, x) in value.as_object().unwrap() {
            v[k] = x.clone();
        }
        Issue::from_json(&v).unwrap()
    }

    #[test]
    fn the_scan_checks_shape_labels_and_milestones_and_counts_fields() {
        let known: HashSet<String> = ["codex", "codex-trackmain", "codex-trackdashboard", "bug"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut scan = Scan::default();
        let s = settings();
        let m = milestones();
        for i in [
            issue(
                json!({"number": 1, "labels": ["codex", "codex-trackmain"], "milestone": {"number": 1},
                "type": {"name": "Bug"}, "sub_issues_summary": {"total": 3, "completed": 2},
                "issue_dependencies_summary": {"blocked_by": 1, "blocking": 0}}),
            ),
            issue(
                json!({"number": 2, "labels": ["codex", "ghost"], "milestone": {"number": 9}, "locked": true}),
            ),
            issue(json!({"number": 3, "labels": null})),
            issue(json!({"number": 4, "labels": ["codex-trackmain", "codex-trackdashboard"]})),
            issue(json!({"number": 5, "pull_request": {}, "labels": ["nope"]})),
            issue(json!({"number": 6, "state": "closed", "state_reason": "eaten"})),
            issue(json!({"number": 1})),
        ] {
            scan.add(&i, &s, &m, Some(&known));
        }
        scan.add_unreadable(&[Malformed {
            number: None,
            reason: "not an object (a string)".into(),
        }]);
        let kinds: Vec<(FindingKind, Option<u64>)> =
            scan.found.iter().map(|f| (f.kind, f.number)).collect();
        assert_eq!(
            kinds,
            [
                (FindingKind::MilestoneUnknown, Some(2)),
                (FindingKind::LabelUndefined, Some(2)),
                (FindingKind::LabelsMissing, Some(3)),
                (FindingKind::TrackConflict, Some(4)),
                (FindingKind::StateUnknown, Some(6)),
                (FindingKind::Unreadable, None),
            ]
        );
        assert_eq!(scan.listed, Numbers::from([1, 2, 3, 4, 5, 6]));
        assert_eq!(scan.pull_requests, Numbers::from([5]));
        assert_eq!(scan.managed, Numbers::from([1, 2, 3, 4]));
        assert_eq!(scan.open, 5);
        let main = &scan.fields[rules::Track::Main];
        assert_eq!(main.issues, 3, "1, 2 and 3 are main; 4 is in conflict");
        assert_eq!(main.types.get("Bug"), Some(&1));
        assert_eq!(main.untyped, 2);
        assert_eq!(main.sub_issues.parents, 1);
        assert_eq!((main.sub_issues.total, main.sub_issues.completed), (3, 2));
        assert_eq!(main.blocked_issues, [1]);
        assert_eq!(main.locked, 1);
    }

    fn item(repository: &str, number: u64) -> ItemContent<'_> {
        ItemContent::Issue {
            repository,
            number,
            pull_request: false,
        }
    }

    #[test]
    fn project_items_orphaned_foreign_archived_and_near_the_limit() {
        let mut items = ProjectItems::default();
        items.total = 8;
        items.push(false, item("acme/widgets", 1));
        items.push(true, item("acme/widgets", 2));
        items.push(false, item("ACME/Widgets", 9));
        items.push(false, item("acme/gadgets", 1));
        items.push(false, ItemContent::Missing);
        items.push(false, ItemContent::Other);
        // The compact form gives back what was pushed, in order, names and all.
        assert_eq!(items.len(), 6);
        assert_eq!(
            items.iter().map(|(_, c)| c).collect::<Vec<_>>()[2..5],
            [
                item("ACME/Widgets", 9),
                item("acme/gadgets", 1),
                ItemContent::Missing
            ]
        );
        let listed = Numbers::from([1, 2, 3]);
        let found = check_project(&items, "acme/widgets", &listed, &Numbers::new(), false, 10);
        let kinds: Vec<(FindingKind, Option<u64>)> =
            found.iter().map(|f| (f.kind, f.number)).collect();
        assert_eq!(
            kinds,
            [
                (FindingKind::ProjectItemArchived, Some(2)),
                (FindingKind::ProjectItemOrphaned, Some(9)),
                (FindingKind::ProjectItemForeign, None),
                (FindingKind::ProjectItemOrphaned, None),
                (FindingKind::ProjectNearLimit, None),
            ]
        );
        assert!(found[4].detail.contains("8 items, 80% of its limit of 10"));
        // One Project for several repositories: others' items are expected; 7 of 10 is fine.
        let mut shared = items;
        shared.total = 7;
        let found = check_project(&shared, "acme/widgets", &listed, &Numbers::new(), true, 10);
        assert!(
            found
                .iter()
                .all(|f| f.kind != FindingKind::ProjectItemForeign)
        );
        assert!(
            found
                .iter()
                .all(|f| f.kind != FindingKind::ProjectNearLimit)
        );
    }

    #[test]
    fn assembly_sorts_counts_bounds_and_keeps_the_reference_shape() {
        let mut found: Vec<Found> = (1..=FINDINGS_LIMIT as u64 + 5)
            .map(|n| Found::issue(FindingKind::Deleted, n, format!("#{n} was deleted (410)")))
            .collect();
        found.push(Found::issue(
            FindingKind::LabelsMissing,
            7,
            "#7: missing labels[]",
        ));
        let mut fields = IntegrityFields::default();
        assemble(found, &mut fields);
        assert_eq!(fields.counts["deleted"], FINDINGS_LIMIT as u64 + 5);
        assert_eq!(fields.counts["labels_missing"], 1);
        assert_eq!(fields.findings.len(), FINDINGS_LIMIT);
        assert_eq!(
            fields.findings_omitted, 6,
            "the first 500 of 506 by kind then number"
        );
        assert_eq!(fields.findings[0].kind, FindingKind::LabelsMissing);
        assert_eq!(
            fields.findings[0].remedy,
            FindingKind::LabelsMissing.remedy()
        );
        assert_eq!(
            fields.integrity.malformed,
            [Malformed {
                number: Some(7),
                reason: "#7: missing labels[]".into()
            }]
        );
    }
}
