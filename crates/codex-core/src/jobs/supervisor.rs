//! Supervisor: per-track health (main, dashboard) and deterioration against the previous run.

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::github::Issue;
use crate::jobs::{Context, Outcome, Report, finish, managed_issues, reporting_track};
use crate::rules::{self, ActivityStatus, PerTrack, TrackDecision, classify_activity};
use crate::telemetry::{Component, Health, SupervisorFields, TrackHealth};

/// Per track: its milestone exists (a missing one makes the track `failing`).
pub type Configured = PerTrack<bool>;

/// Assess both tracks (pure). `previous` is the last supervisor run's fields, if any.
pub fn assess(
    issues: &[Issue],
    settings: &Settings,
    configured: Configured,
    previous: Option<&SupervisorFields>,
    now: DateTime<Utc>,
) -> SupervisorFields {
    let mut tracks = PerTrack::<TrackHealth>::default();
    for issue in issues {
        let track = reporting_track(issue);
        let h = &mut tracks[track];
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
        match classify_activity(issue.updated_at, now, settings.track(track).thresholds).0 {
            ActivityStatus::Stale => h.stale += 1,
            ActivityStatus::Escalation => h.escalated += 1,
            ActivityStatus::Active => {}
        }
    }
    for (track, h) in tracks.iter_mut() {
        h.problems =
            h.missing_codex_label + h.missing_milestone + h.wrong_track + h.missing_track_label;
        h.health = if h.escalated > 0 || !configured[track] {
            Health::Failing
        } else if h.problems > 0 || h.stale > 0 {
            Health::Degraded
        } else {
            Health::Healthy
        };
        h.previous_problems = previous.map(|p| p.tracks[track].problems);
        h.deteriorating = h
            .previous_problems
            .is_some_and(|before| h.problems > before);
    }
    let deteriorating = tracks.values().any(|h| h.deteriorating);
    SupervisorFields {
        tracks,
        deteriorating,
    }
}

/// Run the supervisor.
pub async fn run(ctx: &Context) -> Outcome<SupervisorFields> {
    let mut report = Report::new(assess(
        &[],
        &ctx.config.settings,
        PerTrack::splat(true),
        None,
        ctx.now,
    ));
    let settings = &ctx.config.settings;
    let previous = match ctx.pages.latest_typed::<SupervisorFields>() {
        Ok((latest, warnings)) => {
            for w in warnings {
                report.warn(w);
            }
            latest.map(|t| t.fields)
        }
        Err(e) => {
            report.warn(format!("could not read previous supervisor telemetry: {e}"));
            None
        }
    };
    let configured = match ctx.github().milestones(ctx.repo()).await {
        Ok(list) => PerTrack::from_fn(|track| {
            list.iter()
                .any(|m| m.title == settings.track(track).milestone)
        }),
        Err(e) => {
            report.api_failure("could not list milestones", &e);
            return finish(ctx, Component::Supervisor, report);
        }
    };
    for (track, _) in configured.iter().filter(|(_, exists)| !**exists) {
        report.warn(format!(
            "milestone {:?} is missing: {} track failing",
            settings.track(track).milestone,
            track.key()
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
            for (track, h) in tracks.iter() {
                let line = format!(
                    "supervisor: {} {}: {} open, {} problems, {} stale, {} escalated{}",
                    track.key(),
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
            for (track, h) in tracks.iter() {
                // A missing milestone was warned about above; here, the escalations.
                if h.escalated > 0 {
                    report.warn(format!(
                        "{} track failing: {} escalated issue(s)",
                        track.key(),
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
    use crate::rules::Track;

    fn issue(n: u64, title: &str, labels: &[&str], milestone: bool, days: i64) -> Issue {
        let now: DateTime<Utc> = "2026-11-23T00:00:00Z".parse().unwrap();
        Issue::from_json(&json!({"number": n, "title": title, "state": "open", "labels": labels,
            "milestone": if milestone { json!({"number": 2, "title": "Codex Main Track"}) } else { json!(null) },
            "updated_at": (now - chrono::Duration::days(days)).to_rfc3339()})).unwrap()
    }

    const ALL: Configured = PerTrack::splat(true);

    #[test]
    fn health_levels() {
        let s = Settings::from_env(&|_| None).unwrap();
        let now = "2026-11-23T00:00:00Z".parse().unwrap();
        let good = issue(1, "x", &["codex", "codex-trackmain"], true, 1);
        assert_eq!(
            assess(std::slice::from_ref(&good), &s, ALL, None, now).tracks[Track::Main].health,
            Health::Healthy
        );
        let stale = issue(2, "x", &["codex", "codex-trackmain"], true, 20);
        assert_eq!(
            assess(&[good.clone(), stale], &s, ALL, None, now).tracks[Track::Main].health,
            Health::Degraded
        );
        let unlabelled = issue(3, "x", &[], true, 1);
        let f = assess(&[good.clone(), unlabelled], &s, ALL, None, now);
        assert_eq!(
            (f.tracks[Track::Main].problems, f.tracks[Track::Main].health),
            (2, Health::Degraded)
        );
        let escalated = issue(4, "x", &["codex", "codex-trackmain"], true, 31);
        assert_eq!(
            assess(&[escalated], &s, ALL, None, now).tracks[Track::Main].health,
            Health::Failing
        );
        let mut no_milestone = ALL;
        no_milestone[Track::Main] = false;
        let f = assess(std::slice::from_ref(&good), &s, no_milestone, None, now);
        assert_eq!(
            (
                f.tracks[Track::Main].health,
                f.tracks[Track::Dashboard].health
            ),
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
        assert_eq!(first.tracks[Track::Main].wrong_track, 1);
        assert!(!first.deteriorating);
        let second = assess(&[both, mislabelled], &s, ALL, Some(&first), now);
        assert_eq!(second.tracks[Track::Main].wrong_track, 2);
        assert_eq!(second.tracks[Track::Main].previous_problems, Some(1));
        assert!(second.tracks[Track::Main].deteriorating && second.deteriorating);
        assert!(!second.tracks[Track::Dashboard].deteriorating);
    }
}
