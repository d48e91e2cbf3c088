//! Cleaner: retire stale self-test issues and prune old telemetry.
//!
//! Candidates are open issues labelled `codex-selftest` in the self-test milestone (filtered by
//! GitHub, then checked again here). The newest `CODEX_SELFTEST_RETAIN` are kept unless older
//! than `CODEX_SELFTEST_MAX_AGE_DAYS`; every other one is closed as `not_planned` (or deleted
//! with `--delete`, falling back to closing where the token may not delete). Telemetry older
//! than `CODEX_TELEMETRY_MAX_AGE_DAYS` is pruned, never the newest file of a component.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};

use crate::config::{SELFTEST_FALLBACK_MILESTONE, Settings};
use crate::github::{Issue, IssueLister, IssueQuery, Milestone, Written};
use crate::jobs::{Context, Outcome, Report, bound_list, finish};
use crate::pages::StoredTelemetry;
use crate::rules;
use crate::telemetry::{CleanerFields, Component};

/// Cleaner options beyond the common flags.
#[derive(Debug, Clone, Copy, Default)]
pub struct CleanerOptions {
    /// Delete (GraphQL `deleteIssue`) instead of closing.
    pub delete: bool,
}

/// The self-test milestone: `CODEX_SELFTEST_MILESTONE`, else `Codex Internal`. The flag says
/// whether the fallback was used.
pub fn selftest_milestone<'a>(
    milestones: &'a [Milestone],
    settings: &Settings,
) -> Option<(&'a Milestone, bool)> {
    let find = |title: &str| {
        milestones
            .iter()
            .filter(|m| m.title == title)
            .max_by_key(|m| m.open)
    };
    find(&settings.selftest_milestone)
        .map(|m| (m, false))
        .or_else(|| {
            find(SELFTEST_FALLBACK_MILESTONE).map(|m| {
                (
                    m,
                    settings.selftest_milestone != SELFTEST_FALLBACK_MILESTONE,
                )
            })
        })
}

/// Which candidates to keep and which to retire (pure). Newest first by creation; an issue
/// without a creation date counts as oldest and is never retired for age alone.
pub fn plan_retention(
    candidates: &[Issue],
    retain: u32,
    max_age_days: u32,
    now: DateTime<Utc>,
) -> (Vec<&Issue>, Vec<&Issue>) {
    let mut sorted: Vec<&Issue> = candidates.iter().collect();
    sorted.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then(b.number.cmp(&a.number))
    });
    let max_age = Duration::days(i64::from(max_age_days));
    let (mut keep, mut retire) = (Vec::new(), Vec::new());
    for (rank, issue) in sorted.into_iter().enumerate() {
        let too_old = issue.created_at.is_some_and(|c| now - c > max_age);
        if rank < retain as usize && !too_old {
            keep.push(issue);
        } else {
            retire.push(issue);
        }
    }
    (keep, retire)
}

/// Telemetry files to prune (pure): older than `max_age_days` by `finished_at`, never the
/// newest valid file of a component (a file from the future is not the newest), never a file
/// that cannot be read (a person may need it).
pub fn plan_prune(scan: &[StoredTelemetry], max_age_days: u32, now: DateTime<Utc>) -> Vec<PathBuf> {
    let mut newest: HashMap<Component, (DateTime<Utc>, String)> = HashMap::new();
    for s in scan {
        if let Some(at) = s.finished_at().filter(|_| !s.from_the_future(now)) {
            let key = (at, s.file_name());
            let entry = newest.entry(s.component).or_insert_with(|| key.clone());
            if key > *entry {
                *entry = key;
            }
        }
    }
    let cutoff = now - Duration::days(i64::from(max_age_days));
    scan.iter()
        .filter(|s| {
            let Some(at) = s.finished_at() else {
                return false;
            };
            let is_newest = newest
                .get(&s.component)
                .is_some_and(|(t, name)| *t == at && *name == s.file_name());
            at < cutoff && !is_newest
        })
        .map(|s| s.path.clone())
        .collect()
}

/// Run the cleaner.
pub async fn run(ctx: &Context, opts: CleanerOptions) -> Outcome<CleanerFields> {
    let mut report = Report::new(CleanerFields::default());
    retire_issues(ctx, opts, &mut report).await;
    prune(ctx, &mut report);
    let f = &report.fields;
    let verb = if ctx.config.dry_run {
        "would retire"
    } else {
        "retired"
    };
    report.say(format!(
        "cleaner: {} self-test candidates, kept {}, {verb} {} (closed {}, deleted {}); pruned {} telemetry files",
        f.candidates, f.kept.len(), f.issues_closed.len() + f.issues_deleted.len(), f.issues_closed.len(), f.issues_deleted.len(), f.telemetry_pruned_count
    ));
    let c = Component::Cleaner;
    report.fields.kept_omitted = bound_list(ctx, &mut report, c, "kept", |f| &mut f.kept);
    report.fields.issues_closed_omitted = bound_list(ctx, &mut report, c, "issues_closed", |f| {
        &mut f.issues_closed
    });
    report.fields.issues_deleted_omitted = bound_list(ctx, &mut report, c, "issues_deleted", |f| {
        &mut f.issues_deleted
    });
    report.fields.telemetry_pruned_omitted =
        bound_list(ctx, &mut report, c, "telemetry_pruned", |f| {
            &mut f.telemetry_pruned
        });
    finish(ctx, Component::Cleaner, report)
}

async fn retire_issues(ctx: &Context, opts: CleanerOptions, report: &mut Report<CleanerFields>) {
    let gh = ctx.github();
    let repo = ctx.repo();
    let settings = &ctx.config.settings;
    let milestones = match gh.milestones(repo).await {
        Ok(m) => m,
        Err(e) => return report.api_failure("could not list milestones", &e),
    };
    let Some((milestone, _)) = selftest_milestone(&milestones, settings) else {
        return report.warn(format!(
            "self-test milestone {:?} (or {SELFTEST_FALLBACK_MILESTONE:?}) not found: no self-test issue to clean",
            settings.selftest_milestone
        ));
    };
    let query = IssueQuery {
        labels: vec![rules::LABEL_SELFTEST.to_owned()],
        milestone: Some(milestone.number),
        ..IssueQuery::open()
    };
    let page = match IssueLister::new(gh, repo, &query).collect().await {
        Ok(p) => p,
        Err(e) => return report.api_failure("could not list self-test issues", &e),
    };
    // Trust, but verify the server-side filters.
    let candidates: Vec<Issue> = page
        .issues
        .into_iter()
        .filter(|i| {
            i.is_open()
                && i.has_label(rules::LABEL_SELFTEST)
                && i.milestone
                    .as_ref()
                    .is_some_and(|m| m.number == milestone.number)
        })
        .collect();
    report.fields.candidates = candidates.len() as u64;
    let (keep, retire) = plan_retention(
        &candidates,
        settings.selftest_retain,
        settings.selftest_max_age_days,
        ctx.now,
    );
    report.fields.kept = keep.iter().map(|i| i.number.0).collect();
    ctx.progress.plan_writes(retire.len() as u64);
    let mut delete_allowed = opts.delete;
    let mut retire = retire.into_iter();
    while let Some(issue) = retire.next() {
        retire_one(ctx, issue, &mut delete_allowed, report).await;
        if report.stopped() {
            let left = 1 + retire.len() as u64;
            report.left_for_next_run(left, "self-test issue(s)");
            break;
        }
    }
}

/// Delete (where allowed) or close one self-test issue.
async fn retire_one(
    ctx: &Context,
    issue: &Issue,
    delete_allowed: &mut bool,
    report: &mut Report<CleanerFields>,
) {
    let gh = ctx.github();
    if *delete_allowed && let Some(node_id) = &issue.node_id {
        match gh.delete_issue(node_id).await {
            Ok(Written::Done(()) | Written::DryRun) => {
                report.fields.issues_deleted.push(issue.number.0);
                return;
            }
            Err(e) if e.is_permission() => {
                report.warn(format!(
                    "this token may not delete issues ({e}): closing instead"
                ));
                *delete_allowed = false;
            }
            Err(e) => return report.api_failure(&format!("deleting #{}", issue.number), &e),
        }
    }
    match gh
        .close_issue(&ctx.config.repo, issue.number, "not_planned")
        .await
    {
        Ok(_) => report.fields.issues_closed.push(issue.number.0),
        Err(e) if e.is_missing() => report.warn(format!(
            "#{} vanished before it could be closed: {e}",
            issue.number
        )),
        Err(e) => report.api_failure(&format!("closing #{}", issue.number), &e),
    }
}

fn prune(ctx: &Context, report: &mut Report<CleanerFields>) {
    // One file at a time, each document dropped once read: pruning needs only the envelopes,
    // and a month of runs' documents would not fit in memory together.
    let mut scan = Vec::new();
    let scanned = ctx.pages.scan_each(|mut stored| {
        if let Ok(content) = &mut stored.content {
            content.document = serde_json::Value::Null;
        }
        scan.push(stored);
    });
    if let Err(e) = scanned {
        return report.warn(format!("could not read telemetry to prune: {e}"));
    }
    for path in plan_prune(&scan, ctx.config.settings.telemetry_max_age_days, ctx.now) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if ctx.config.dry_run {
            tracing::info!(file = %name, "dry-run: would prune");
        } else if let Err(e) = std::fs::remove_file(&path) {
            report.warn(format!("could not prune {name}: {e}"));
            continue;
        }
        report.fields.telemetry_pruned.push(name);
    }
    report.fields.telemetry_pruned_count = report.fields.telemetry_pruned.len() as u64;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-23T12:00:00Z".parse().unwrap()
    }

    fn aged(n: u64, age: Duration) -> Issue {
        Issue::from_json(
            &json!({"number": n, "state": "open", "labels": ["codex-selftest"],
            "created_at": (now() - age).to_rfc3339()}),
        )
        .unwrap()
    }

    fn numbers(list: &[&Issue]) -> Vec<u64> {
        list.iter().map(|i| i.number.0).collect()
    }

    #[test]
    fn keeps_the_newest_retain() {
        let issues: Vec<Issue> = (1..=8)
            .map(|n| aged(n, Duration::hours(10 - n as i64)))
            .collect();
        let (keep, retire) = plan_retention(&issues, 5, 7, now());
        assert_eq!(numbers(&keep), vec![8, 7, 6, 5, 4]);
        assert_eq!(numbers(&retire), vec![3, 2, 1]);
    }

    #[test]
    fn age_boundary_is_strictly_older_than() {
        let exactly = aged(1, Duration::days(7));
        let older = aged(2, Duration::days(7) + Duration::seconds(1));
        let issues = [exactly, older];
        let (keep, retire) = plan_retention(&issues, 5, 7, now());
        assert_eq!((numbers(&keep), numbers(&retire)), (vec![1], vec![2]));
    }

    #[test]
    fn retain_zero_retires_all_and_fewer_than_retain_keeps_all() {
        let issues = vec![aged(1, Duration::hours(1)), aged(2, Duration::hours(2))];
        assert_eq!(plan_retention(&issues, 0, 7, now()).1.len(), 2);
        assert_eq!(plan_retention(&issues, 5, 7, now()).0.len(), 2);
    }

    #[test]
    fn a_file_from_the_future_does_not_shield_nor_replace_the_newest() {
        let at = |run: &str, finished: DateTime<Utc>| {
            let doc = json!({
                "schema_version": crate::telemetry::SCHEMA_VERSION, "component": "cleaner",
                "status": "ok", "run_id": run, "repo": "acme/widgets",
                "started_at": finished, "finished_at": finished, "dry_run": false,
                "warnings": [], "errors": [],
                "api": {"requests": 0, "mutations": 0, "rate_limit_remaining": null},
                "issues_closed": [], "issues_deleted": [], "telemetry_pruned": [],
                "telemetry_pruned_count": 0, "kept": [], "candidates": 0,
            });
            StoredTelemetry {
                path: PathBuf::from(format!("cleaner-{run}.json")),
                component: Component::Cleaner,
                content: crate::pages::parse_telemetry(
                    doc.to_string().as_bytes(),
                    Component::Cleaner,
                ),
            }
        };
        let scan = [
            at("old", now() - Duration::days(40)),
            at("newest", now() - Duration::days(35)),
            at("future", now() + Duration::days(365)),
        ];
        assert!(scan.iter().all(|s| s.content.is_ok()), "{scan:?}");
        // The newest trusted file is kept though a file claims a later date; the file from
        // the future is not old, so it is not pruned either.
        assert_eq!(
            plan_prune(&scan, 30, now()),
            vec![PathBuf::from("cleaner-old.json")]
        );
    }

    #[test]
    fn fallback_milestone() {
        let ms = vec![Milestone {
            number: crate::github::MilestoneNumber(4),
            title: "Codex Internal".into(),
            open: true,
        }];
        let custom =
            Settings::from_env(&|k| (k == "CODEX_SELFTEST_MILESTONE").then(|| "QA".into()))
                .unwrap();
        assert_eq!(
            selftest_milestone(&ms, &custom).map(|(m, f)| (m.number.0, f)),
            Some((4, true))
        );
        let default = Settings::from_env(&|_| None).unwrap();
        assert_eq!(
            selftest_milestone(&ms, &default).map(|(m, f)| (m.number.0, f)),
            Some((4, false))
        );
        assert!(selftest_milestone(&[], &default).is_none());
    }
}
