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

    /// `main` or `dashboard`, as telemetry keys it. The only place these words are written.
    pub fn key(self) -> &'static str {
        match self {
            Track::Main => "main",
            Track::Dashboard => "dashboard",
        }
    }

    /// The track a telemetry key names.
    pub fn from_key(key: &str) -> Option<Track> {
        Track::ALL.into_iter().find(|t| t.key() == key)
    }

    /// Its position in [`Track::ALL`].
    fn index(self) -> usize {
        self as usize
    }
}

/// One value per track, serialised as a JSON object keyed by [`Track::key`] in [`Track::ALL`]
/// order (`{"main": …, "dashboard": …}`). Unknown keys are ignored when reading (a newer
/// writer's extra track does not break an older reader); a missing track is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PerTrack<T>([T; Track::ALL.len()]);

impl<T> PerTrack<T> {
    /// The same value for every track.
    pub const fn splat(value: T) -> Self
    where
        T: Copy,
    {
        PerTrack([value; Track::ALL.len()])
    }

    /// A value for every track, from `f(track)`.
    pub fn from_fn(mut f: impl FnMut(Track) -> T) -> Self {
        PerTrack(Track::ALL.map(&mut f))
    }

    /// Like [`PerTrack::from_fn`], stopping at the first error (in [`Track::ALL`] order).
    pub fn try_from_fn<E>(mut f: impl FnMut(Track) -> Result<T, E>) -> Result<Self, E> {
        // Destructured so that a third track fails to compile here rather than pass silently.
        let [first, second] = Track::ALL.map(&mut f);
        Ok(PerTrack([first?, second?]))
    }

    /// Each track with its value, in [`Track::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Track, &T)> {
        Track::ALL.into_iter().zip(self.0.iter())
    }

    /// Each track with its value, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Track, &mut T)> {
        Track::ALL.into_iter().zip(self.0.iter_mut())
    }

    /// The values, in [`Track::ALL`] order.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.0.iter()
    }

    /// A value per track computed from this one's.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> PerTrack<U> {
        PerTrack(self.0.map(f))
    }
}

impl<T> std::ops::Index<Track> for PerTrack<T> {
    type Output = T;
    fn index(&self, track: Track) -> &T {
        &self.0[track.index()]
    }
}

impl<T> std::ops::IndexMut<Track> for PerTrack<T> {
    fn index_mut(&mut self, track: Track) -> &mut T {
        &mut self.0[track.index()]
    }
}

impl<T: serde::Serialize> serde::Serialize for PerTrack<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(Track::ALL.len()))?;
        for (track, value) in self.iter() {
            map.serialize_entry(track.key(), value)?;
        }
        map.end()
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for PerTrack<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Visitor<T> {
            type Value = PerTrack<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object with one entry per track")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut found: [Option<T>; Track::ALL.len()] = Default::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match Track::from_key(&key) {
                        Some(track) if found[track.index()].is_some() => {
                            return Err(serde::de::Error::custom(format_args!(
                                "duplicate field `{}`",
                                track.key()
                            )));
                        }
                        Some(track) => found[track.index()] = Some(map.next_value()?),
                        None => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                PerTrack::try_from_fn(|track| {
                    found[track.index()]
                        .take()
                        .ok_or_else(|| serde::de::Error::missing_field(track.key()))
                })
            }
        }
        deserializer.deserialize_map(Visitor(std::marker::PhantomData))
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for PerTrack<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("{}PerTrack", T::schema_name()).into()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        format!("codex_core::rules::PerTrack<{}>", T::schema_id()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut properties = serde_json::Map::new();
        for track in Track::ALL {
            let mut schema = generator.subschema_for::<T>().to_value();
            if let Some(object) = schema.as_object_mut() {
                object.insert(
                    "description".into(),
                    format!("The {} track.", track.key()).into(),
                );
            }
            properties.insert(track.key().into(), schema);
        }
        schemars::json_schema!({
            "description": "One entry per track.",
            "type": "object",
            "properties": properties,
            "required": Track::ALL.map(Track::key),
        })
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
        assert_eq!(s.track(Track::Main).milestone, "Codex Main Track");
        assert_eq!(s.track(Track::Dashboard).milestone, "Codex Dashboard Track");
    }

    #[test]
    fn per_track_serialises_keyed_by_track_in_order() {
        let mut p = PerTrack::from_fn(|t| t.label().len());
        p[Track::Dashboard] += 1;
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"main":15,"dashboard":21}"#
        );
        let keys: Vec<&str> = p.iter().map(|(t, _)| t.key()).collect();
        assert_eq!(keys, ["main", "dashboard"]);
        assert_eq!(p.map(|n| n * 2)[Track::Main], 30);
        // Unknown keys are ignored, in any order; a missing or repeated track is an error.
        let back: PerTrack<usize> =
            serde_json::from_str(r#"{"later": [1], "dashboard": 21, "main": 15}"#).unwrap();
        assert_eq!(back, p);
        let missing = serde_json::from_str::<PerTrack<usize>>(r#"{"main": 1}"#).unwrap_err();
        assert!(
            missing.to_string().contains("missing field `dashboard`"),
            "{missing}"
        );
        let twice =
            serde_json::from_str::<PerTrack<usize>>(r#"{"main": 1, "main": 2, "dashboard": 3}"#);
        assert!(twice.is_err());
    }
}
