//! Supervisor: per-track health (main, dashboard) and deterioration against the previous run.

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::github::Issue;
use crate::jobs::{Context, Outcome, Report, finish, managed_issues, reporting_track};
use crate::rules::{self, ActivityStatus, PerTrack, TrackDecision, classify_activity};
use crate::telemetry::{Component, Health, SupervisorFields, TrackHealth};

/// Per track: its milestone exists (a missing one makes the track `failing`).
pub type Configured = PerTrack<bool>;

/// The baseline a track is compared against: the problems of `previous` when it knew the
/// track, else the baseline it carried (pure). A run that could not assess a track never
/// becomes the baseline: the next run compares with the latest one that could.
pub fn baseline(previous: Option<&SupervisorFields>, track: rules::Track) -> Option<u64> {
    let before = &previous?.tracks[track];
    if before.health == Health::Unknown {
        before.previous_problems
    } else {
        Some(before.problems)
    }
}

/// Both tracks `unknown` (pure): what the supervisor reports when it could not read what a
/// verdict needs. Counts are 0 (nothing was counted), nothing deteriorates, and each track
/// carries its baseline forward from `previous`.
pub fn unknown(previous: Option<&SupervisorFields>) -> SupervisorFields {
    let tracks = PerTrack::from_fn(|track| TrackHealth {
        health: Health::Unknown,
        previous_problems: baseline(previous, track),
        ..TrackHealth::default()
    });
    SupervisorFields {
        tracks,
        deteriorating: false,
    }
}

/// Assess both tracks (pure). `previous` is the latest supervisor run's fields, if any.
pub fn assess(
    issues: &[Issue],
    settings: &Settings,
    configured: Configured,
    previous: Option<&SupervisorFields>,
    now: DateTime<Utc>,
) -> SupervisorFields {
    let mut tally = Tally::default();
    for issue in issues {
        tally.add(issue, settings, now);
    }
    tally.assess(configured, previous)
}

/// [`assess`] one issue at a time (pure): the per-track counts of the issues added so far,
/// so that a run streaming the listing keeps counts, not issues.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    tracks: PerTrack<TrackHealth>,
}

impl Tally {
    /// Count `issue` in its track.
    pub fn add(&mut self, issue: &Issue, settings: &Settings, now: DateTime<Utc>) {
        let track = reporting_track(issue);
        let h = &mut self.tracks[track];
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

    /// Both tracks' health from the counts: [`assess`] of the issues added.
    pub fn assess(
        self,
        configured: Configured,
        previous: Option<&SupervisorFields>,
    ) -> SupervisorFields {
        let mut tracks = self.tracks;
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
            h.previous_problems = baseline(previous, track);
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
}

/// Run the supervisor. Until the milestones and every managed issue (with its labels) have
/// been read, both tracks are `unknown`: a failed read never reads as healthy.
pub async fn run(ctx: &Context) -> Outcome<SupervisorFields> {
    let mut report = Report::new(unknown(None));
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
    report.fields = unknown(previous.as_ref());
    let configured = match ctx.github().milestones(ctx.repo()).await {
        Ok(list) => PerTrack::from_fn(|track| {
            list.iter()
                .any(|m| m.title == settings.track(track).milestone)
        }),
        Err(e) => {
            report.api_failure("could not list milestones", &e);
            return finish_unknown(ctx, report);
        }
    };
    for (track, _) in configured.iter().filter(|(_, exists)| !**exists) {
        report.warn(format!(
            "milestone {:?} is missing: {} track failing",
            settings.track(track).milestone,
            track.key()
        ));
    }
    // The listing is streamed: only the counts are kept, never the issues.
    let mut tally = Tally::default();
    let listed = managed_issues(ctx, Component::Supervisor, |issue| {
        tally.add(issue, settings, ctx.now);
    })
    .await;
    if let Ok(managed) = &listed {
        report.listing.clone_from(&managed.listing);
    }
    match listed {
        Ok(managed) if !managed.labels_unreadable.is_empty() => {
            managed.report_unreadable_labels(&mut report);
            return finish_unknown(ctx, report);
        }
        Ok(_) => {
            report.fields = tally.assess(configured, previous.as_ref());
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
        Err(e) => {
            report.api_failure("could not enumerate issues", &e);
            return finish_unknown(ctx, report);
        }
    }
    finish(ctx, Component::Supervisor, report)
}

/// Finish a run that could not assess the tracks: they stay `unknown`, and people are told.
fn finish_unknown(
    ctx: &Context,
    mut report: Report<SupervisorFields>,
) -> Outcome<SupervisorFields> {
    for track in rules::Track::ALL {
        report.say(format!(
            "supervisor: {} unknown: not assessed, what it needs could not be read",
            track.key()
        ));
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

    #[test]
    fn a_track_not_assessed_is_unknown_and_never_the_baseline() {
        let s = Settings::from_env(&|_| None).unwrap();
        let now = "2026-11-23T00:00:00Z".parse().unwrap();
        let unlabelled = issue(1, "x", &[], true, 1);
        let known = assess(std::slice::from_ref(&unlabelled), &s, ALL, None, now);
        assert_eq!(known.tracks[Track::Main].problems, 2);

        // The listing failed: unknown, no figures pretended, the baseline carried.
        let failed = unknown(Some(&known));
        for (track, h) in failed.tracks.iter() {
            assert_eq!(h.health, Health::Unknown, "{track:?}");
            assert_eq!((h.open, h.problems, h.deteriorating), (0, 0, false));
        }
        assert_eq!(failed.tracks[Track::Main].previous_problems, Some(2));
        assert_eq!(failed.tracks[Track::Dashboard].previous_problems, Some(0));
        assert!(!failed.deteriorating);
        // Failing twice keeps it.
        let again = unknown(Some(&failed));
        assert_eq!(again.tracks[Track::Main].previous_problems, Some(2));

        // The next good run compares with the last known run, not with the unknown's zeros.
        let same = assess(
            std::slice::from_ref(&unlabelled),
            &s,
            ALL,
            Some(&again),
            now,
        );
        assert_eq!(same.tracks[Track::Main].previous_problems, Some(2));
        assert!(
            !same.deteriorating,
            "2 problems then 2 is not deteriorating"
        );
        let worse = assess(
            &[unlabelled.clone(), issue(2, "y", &[], true, 1)],
            &s,
            ALL,
            Some(&again),
            now,
        );
        assert!(worse.tracks[Track::Main].deteriorating);
        assert_eq!(unknown(None).tracks[Track::Main].previous_problems, None);
    }
}
