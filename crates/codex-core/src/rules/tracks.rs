//! Managed issues, tracks, and the labels and milestone each managed issue must carry.

use crate::config::Settings;
use crate::github::Issue;

/// Required on every Codex-managed issue.
pub const LABEL_CODEX: &str = "codex";
/// Main track.
pub const LABEL_TRACK_MAIN: &str = "codex-trackmain";
/// Dashboard track.
pub const LABEL_TRACK_DASHBOARD: &str = "codex-trackdashboard";
/// Issues created by self-test.
pub const LABEL_SELFTEST: &str = "codex-selftest";

/// A track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Track {
    /// Architecture and workflow work.
    Main,
    /// Dashboard UI and telemetry.
    Dashboard,
}

impl Track {
    /// Both tracks, in report order.
    pub const ALL: [Track; 2] = [Track::Main, Track::Dashboard];

    /// The track's label.
    pub fn label(self) -> &'static str {
        match self {
            Track::Main => LABEL_TRACK_MAIN,
            Track::Dashboard => LABEL_TRACK_DASHBOARD,
        }
    }

    /// `main` or `dashboard`, as telemetry keys it.
    pub fn key(self) -> &'static str {
        match self {
            Track::Main => "main",
            Track::Dashboard => "dashboard",
        }
    }
}

/// The title rule: contains `dashboard` (any case) → dashboard, else main.
pub fn title_track(title: &str) -> Track {
    if title.to_lowercase().contains("dashboard") {
        Track::Dashboard
    } else {
        Track::Main
    }
}

/// How an issue's track was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackDecision {
    /// It carries exactly one track label: it keeps it.
    Labelled(Track),
    /// No track label: the title decides, and the label is to be added.
    FromTitle(Track),
    /// Both track labels: reported, not changed.
    Conflict,
}

impl TrackDecision {
    /// The track, unless in conflict.
    pub fn track(self) -> Option<Track> {
        match self {
            TrackDecision::Labelled(t) | TrackDecision::FromTitle(t) => Some(t),
            TrackDecision::Conflict => None,
        }
    }
}

/// Decide an issue's track.
pub fn decide_track(issue: &Issue) -> TrackDecision {
    match (
        issue.has_label(LABEL_TRACK_MAIN),
        issue.has_label(LABEL_TRACK_DASHBOARD),
    ) {
        (true, true) => TrackDecision::Conflict,
        (true, false) => TrackDecision::Labelled(Track::Main),
        (false, true) => TrackDecision::Labelled(Track::Dashboard),
        (false, false) => TrackDecision::FromTitle(title_track(&issue.title)),
    }
}

/// A self-test issue: labelled `codex-selftest`, or in the self-test milestone.
pub fn is_selftest(issue: &Issue, selftest_milestone: &str) -> bool {
    issue.has_label(LABEL_SELFTEST)
        || issue
            .milestone
            .as_ref()
            .and_then(|m| m.title.as_deref())
            .is_some_and(|t| t == selftest_milestone)
}

/// Managed issues: open issues, pull requests excluded, minus self-test issues.
pub fn is_managed(issue: &Issue, settings: &Settings) -> bool {
    issue.is_open() && !issue.is_pull_request && !is_selftest(issue, &settings.selftest_milestone)
}

/// The milestone a track's issues belong to.
pub fn milestone_for(track: Track, settings: &Settings) -> &str {
    match track {
        Track::Main => &settings.main_milestone,
        Track::Dashboard => &settings.dashboard_milestone,
    }
}

/// Labels a managed issue lacks: `codex`, and its track label when it has none. Never one to
/// remove; an issue in track conflict gets only `codex`.
pub fn missing_labels(issue: &Issue, decision: TrackDecision) -> Vec<&'static str> {
    let mut out = Vec::new();
    if !issue.has_label(LABEL_CODEX) {
        out.push(LABEL_CODEX);
    }
    if let TrackDecision::FromTitle(track) = decision {
        out.push(track.label());
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn settings() -> Settings {
        Settings::from_env(&|_| None).unwrap()
    }

    fn issue(title: &str, labels: &[&str], milestone: Option<&str>) -> Issue {
        let milestone = milestone.map(|t| json!({"number": 1, "title": t}));
        Issue::from_json(
            &json!({"number": 1, "title": title, "state": "open", "labels": labels,
            "milestone": milestone}),
        )
        .unwrap()
    }

    #[test]
    fn title_rule_is_case_insensitive() {
        assert_eq!(title_track("Fix the Dashboard chart"), Track::Dashboard);
        assert_eq!(title_track("DASHBOARD"), Track::Dashboard);
        assert_eq!(title_track("dashboards are nice"), Track::Dashboard);
        assert_eq!(title_track("Fix the pipeline"), Track::Main);
        assert_eq!(title_track(""), Track::Main);
    }

    #[test]
    fn one_track_label_is_kept_even_against_the_title() {
        let i = issue("Dashboard colours", &["codex-trackmain"], None);
        assert_eq!(decide_track(&i), TrackDecision::Labelled(Track::Main));
        assert!(missing_labels(&i, decide_track(&i)) == vec!["codex"]);
    }

    #[test]
    fn no_track_label_means_the_title_decides() {
        let i = issue("dashboard: add chart", &["codex"], None);
        assert_eq!(decide_track(&i), TrackDecision::FromTitle(Track::Dashboard));
        assert_eq!(
            missing_labels(&i, decide_track(&i)),
            vec!["codex-trackdashboard"]
        );
        let i = issue("pipeline", &[], None);
        assert_eq!(
            missing_labels(&i, decide_track(&i)),
            vec!["codex", "codex-trackmain"]
        );
    }

    #[test]
    fn both_track_labels_is_a_conflict_and_nothing_track_related_is_added() {
        let i = issue("x", &["codex-trackmain", "Codex-TrackDashboard"], None);
        assert_eq!(decide_track(&i), TrackDecision::Conflict);
        assert_eq!(decide_track(&i).track(), None);
        assert_eq!(missing_labels(&i, decide_track(&i)), vec!["codex"]);
    }

    #[test]
    fn managed_excludes_prs_closed_and_selftest() {
        let s = settings();
        assert!(is_managed(&issue("x", &[], None), &s));
        assert!(!is_managed(&issue("x", &["codex-selftest"], None), &s));
        assert!(!is_managed(&issue("x", &[], Some("Codex Internal")), &s));
        assert!(is_managed(&issue("x", &[], Some("Codex Main Track")), &s));
        let mut closed = issue("x", &[], None);
        closed.state = crate::github::IssueState::Closed;
        assert!(!is_managed(&closed, &s));
        let mut pr = issue("x", &[], None);
        pr.is_pull_request = true;
        assert!(!is_managed(&pr, &s));
    }

    #[test]
    fn milestones_per_track() {
        let s = settings();
        assert_eq!(milestone_for(Track::Main, &s), "Codex Main Track");
        assert_eq!(milestone_for(Track::Dashboard, &s), "Codex Dashboard Track");
    }
}
