//! Supervisor: per-track health (main, dashboard) and deterioration against the previous run.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::config::Settings;
use crate::github::Issue;
use crate::jobs::{Context, Outcome, Report, finish, managed_issues, reporting_track};
use crate::rules::{self, ActivityStatus, Track, TrackDecision, classify_activity};
use crate::telemetry::{Component, Health, SupervisorFields, TrackHealth, Tracks};

/// Which track milestones exist (a missing one makes its track `failing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Configured {
    /// The main track's milestone exists.
    pub main_milestone: bool,
    /// The dashboard track's milestone exists.
    pub dashboard_milestone: bool,
}

/// Assess both tracks (pure). `previous` is the last supervisor telemetry, if any.
pub fn assess(
    issues: &[Issue],
    settings: &Settings,
    configured: Configured,
    previous: Option<&Value>,
    now: DateTime<Utc>,
) -> SupervisorFields {
    let mut main = empty();
    let mut dashboard = empty();
    for issue in issues {
        let track = reporting_track(issue);
        let h = match track {
            Track::Main => &mut main,
            Track::Dashboard => &mut dashboard,
        };
        h.open += 1;
        if !issue.has_label(rules::LABEL_CODEX) {
            h.missing_codex_label += 1;
        }
        if issue.milestone.is_none() {
            h.missing_milestone += 1;
        }
        match rules::decide_track(issue) {
            TrackDecision::Conflict => h.wrong_track += 1,
            TrackDecision::Labelled(t) if t != rules::title_track(&issue.title) => {
                h.wrong_track += 1;
            }
            TrackDecision::FromTitle(_) => h.missing_track_label += 1,
            TrackDecision::Labelled(_) => {}
        }
        let thresholds = match track {
            Track::Main => settings.main,
            Track::Dashboard => settings.dashboard,
        };
        match classify_activity(issue.updated_at, now, thresholds).0 {
            ActivityStatus::Stale => h.stale += 1,
            ActivityStatus::Escalation => h.escalated += 1,
            ActivityStatus::Active => {}
        }
    }
    for (h, key, ok) in [
        (&mut main, "main", configured.main_milestone),
        (&mut dashboard, "dashboard", configured.dashboard_milestone),
    ] {
        h.problems =
            h.missing_codex_label + h.missing_milestone + h.wrong_track + h.missing_track_label;
        h.health = if h.escalated > 0 || !ok {
            Health::Failing
        } else if h.problems > 0 || h.stale > 0 {
            Health::Degraded
        } else {
            Health::Healthy
        };
        h.previous_problems = previous.and_then(|p| p["tracks"][key]["problems"].as_u64());
        h.deteriorating = h
            .previous_problems
            .is_some_and(|before| h.problems > before);
    }
    let deteriorating = main.deteriorating || dashboard.deteriorating;
    SupervisorFields {
        tracks: Tracks { main, dashboard },
        deteriorating,
    }
}

fn empty() -> TrackHealth {
    TrackHealth {
        open: 0,
        missing_codex_label: 0,
        missing_milestone: 0,
        missing_track_label: 0,
        wrong_track: 0,
        stale: 0,
        escalated: 0,
        problems: 0,
        health: Health::Healthy,
        deteriorating: false,
        previous_problems: None,
    }
}

/// Run the supervisor.
pub async fn run(ctx: &Context) -> Outcome<SupervisorFields> {
    let mut report = Report::new(assess(
        &[],
        &ctx.config.settings,
        Configured {
            main_milestone: true,
            dashboard_milestone: true,
        },
        None,
        ctx.now,
    ));
    let settings = &ctx.config.settings;
    let previous = match ctx.pages.latest(Component::Supervisor) {
        Ok((latest, warnings)) => {
            for w in warnings {
                report.warn(w);
            }
            latest.and_then(|s| s.content.ok()).map(|(_, v)| v)
        }
        Err(e) => {
            report.warn(format!("could not read previous supervisor telemetry: {e}"));
            None
        }
    };
    let configured = match ctx.github().milestones(&ctx.config.repo).await {
        Ok(list) => {
            let has = |t: &str| list.iter().any(|m| m.title == t);
            Configured {
                main_milestone: has(&settings.main_milestone),
                dashboard_milestone: has(&settings.dashboard_milestone),
            }
        }
        Err(e) => {
            report.api_failure("could not list milestones", &e);
            return finish(ctx, Component::Supervisor, report);
        }
    };
    if !configured.main_milestone {
        report.warn(format!(
            "milestone {:?} is missing: main track failing",
            settings.main_milestone
        ));
    }
    if !configured.dashboard_milestone {
        report.warn(format!(
            "milestone {:?} is missing: dashboard track failing",
            settings.dashboard_milestone
        ));
    }
    match managed_issues(ctx).await {
        Ok(managed) => {
            report.fields = assess(
                &managed.issues,
                settings,
                configured,
                previous.as_ref(),
                ctx.now,
            );
            let tracks = report.fields.tracks.clone();
            for (key, h) in [("main", &tracks.main), ("dashboard", &tracks.dashboard)] {
                let line = format!(
                    "supervisor: {key} {}: {} open, {} problems, {} stale, {} escalated{}",
                    h.health,
                    h.open,
                    h.problems,
                    h.stale,
                    h.escalated,
                    if h.deteriorating {
                        " (deteriorating)"
                    } else {
                        ""
                    }
                );
                report.say(line.to_lowercase());
            }
            for (key, h) in [("main", &tracks.main), ("dashboard", &tracks.dashboard)] {
                // A missing milestone was warned about above; here, the escalations.
                if h.escalated > 0 {
                    report.warn(format!(
                        "{key} track failing: {} escalated issue(s)",
                        h.escalated
                    ));
                }
            }
            if report.fields.deteriorating {
                report.warn("track health is deteriorating: problems rose since the previous run");
            }
        }
        Err(e) => report.api_failure("could not enumerate issues", &e),
    }
    finish(ctx, Component::Supervisor, report)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn issue(n: u64, title: &str, labels: &[&str], milestone: bool, days: i64) -> Issue {
        let now: DateTime<Utc> = "2026-11-23T00:00:00Z".parse().unwrap();
        Issue::from_json(&json!({"number": n, "title": title, "state": "open", "labels": labels,
            "milestone": if milestone { json!({"number": 2, "title": "Codex Main Track"}) } else { json!(null) },
            "updated_at": (now - chrono::Duration::days(days)).to_rfc3339()})).unwrap()
    }

    const ALL: Configured = Configured {
        main_milestone: true,
        dashboard_milestone: true,
    };

    #[test]
    fn health_levels() {
        let s = Settings::from_env(&|_| None).unwrap();
        let now = "2026-11-23T00:00:00Z".parse().unwrap();
        let good = issue(1, "x", &["codex", "codex-trackmain"], true, 1);
        assert_eq!(
            assess(std::slice::from_ref(&good), &s, ALL, None, now)
                .tracks
                .main
                .health,
            Health::Healthy
        );
        let stale = issue(2, "x", &["codex", "codex-trackmain"], true, 20);
        assert_eq!(
            assess(&[good.clone(), stale], &s, ALL, None, now)
                .tracks
                .main
                .health,
            Health::Degraded
        );
        let unlabelled = issue(3, "x", &[], true, 1);
        let f = assess(&[good.clone(), unlabelled], &s, ALL, None, now);
        assert_eq!(
            (f.tracks.main.problems, f.tracks.main.health),
            (2, Health::Degraded)
        );
        let escalated = issue(4, "x", &["codex", "codex-trackmain"], true, 31);
        assert_eq!(
            assess(&[escalated], &s, ALL, None, now).tracks.main.health,
            Health::Failing
        );
        let no_milestone = Configured {
            main_milestone: false,
            dashboard_milestone: true,
        };
        let f = assess(std::slice::from_ref(&good), &s, no_milestone, None, now);
        assert_eq!(
            (f.tracks.main.health, f.tracks.dashboard.health),
            (Health::Failing, Health::Healthy)
        );
    }

    #[test]
    fn wrong_track_and_deterioration() {
        let s = Settings::from_env(&|_| None).unwrap();
        let now = "2026-11-23T00:00:00Z".parse().unwrap();
        let both = issue(
            1,
            "x",
            &["codex", "codex-trackmain", "codex-trackdashboard"],
            true,
            1,
        );
        let mislabelled = issue(2, "Dashboard thing", &["codex", "codex-trackmain"], true, 1);
        let first = assess(std::slice::from_ref(&both), &s, ALL, None, now);
        assert_eq!(first.tracks.main.wrong_track, 1);
        assert!(!first.deteriorating);
        let previous = serde_json::to_value(&first).unwrap();
        let second = assess(&[both, mislabelled], &s, ALL, Some(&previous), now);
        assert_eq!(second.tracks.main.wrong_track, 2);
        assert_eq!(second.tracks.main.previous_problems, Some(1));
        assert!(second.tracks.main.deteriorating && second.deteriorating);
        assert!(!second.tracks.dashboard.deteriorating);
    }
}
