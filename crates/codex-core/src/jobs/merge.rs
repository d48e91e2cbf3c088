//! Telemetry merge: the latest valid telemetry of every component into
//! `dashboard/dashboard.json`, a bounded history for trends, and the dashboard page files.
//!
//! A malformed or missing file never blanks the dashboard: the component keeps the data the
//! previous `dashboard.json` had for it, marked in `stale_components`.
//!
//! `dashboard.json` is described by a JSON Schema generated from [`Dashboard`] and checked in
//! at `docs/dashboard.schema.json`: the dashboard's `app.js` depends on its keys.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::pages::{Latest, PagesPath, StoredTelemetry, to_json};
use crate::telemetry::{
    ActivityFields, CleanerFields, Component, DiagnosticsFields, Figures, IntegrityFields,
    SelfTestFields, Status, SupervisorFields, SyncFields, Telemetry,
};

/// Runs kept per component in `history`.
pub const HISTORY_LIMIT: usize = 50;

/// The dashboard page files, embedded at build time.
pub const DASHBOARD_FILES: [(&str, &str); 4] = [
    (
        "index.html",
        include_str!("../../../../docs/dashboard/index.html"),
    ),
    ("dom.js", include_str!("../../../../docs/dashboard/dom.js")),
    ("app.js", include_str!("../../../../docs/dashboard/app.js")),
    (
        "styles.css",
        include_str!("../../../../docs/dashboard/styles.css"),
    ),
];

/// One past run, for trends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistoryEntry {
    /// Run id.
    pub run_id: String,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// Its status.
    pub status: Status,
    /// Headline figures.
    pub figures: Figures,
}

/// `dashboard.json` (CONTRACT.md section 4), keys in contract order.
///
/// A component's latest telemetry is kept as the document the component wrote (a `Value`,
/// checked as the component's typed telemetry when it was read): the dashboard passes on
/// fields a newer writer added, and a component without valid telemetry keeps the previous
/// dashboard's document as it was. The schema describes each as the component's telemetry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Codex dashboard data")]
pub struct Dashboard {
    /// When merged.
    pub generated_at: DateTime<Utc>,
    /// `owner/name`.
    pub repo: String,
    /// The repository's page on its server (`https://HOST/OWNER/NAME`): the base of every
    /// link the dashboard builds. Absent in files written before it existed (the dashboard
    /// then links to `https://github.com/OWNER/NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_url: Option<String>,
    /// Latest integrity telemetry (absent in files written before the component existed).
    #[serde(default)]
    #[schemars(with = "Option<Telemetry<IntegrityFields>>")]
    pub integrity: Option<Value>,
    /// Latest supervisor telemetry.
    #[schemars(with = "Option<Telemetry<SupervisorFields>>")]
    pub supervisor: Option<Value>,
    /// Latest cleaner telemetry.
    #[schemars(with = "Option<Telemetry<CleanerFields>>")]
    pub cleaner: Option<Value>,
    /// Latest self-test telemetry.
    #[schemars(with = "Option<Telemetry<SelfTestFields>>")]
    pub selftest: Option<Value>,
    /// Latest sync telemetry.
    #[schemars(with = "Option<Telemetry<SyncFields>>")]
    pub sync: Option<Value>,
    /// Latest activity telemetry.
    #[schemars(with = "Option<Telemetry<ActivityFields>>")]
    pub activity: Option<Value>,
    /// Latest diagnostics telemetry.
    #[schemars(with = "Option<Telemetry<DiagnosticsFields>>")]
    pub diagnostics: Option<Value>,
    /// Up to [`HISTORY_LIMIT`] runs per component, oldest first.
    pub history: BTreeMap<String, Vec<HistoryEntry>>,
    /// Components shown from the previous dashboard because no valid telemetry was found.
    pub stale_components: Vec<String>,
    /// What the merge skipped, one sentence each.
    pub warnings: Vec<String>,
}

impl Dashboard {
    /// The dashboard of `repo` (its page at `web_url`) merged at `now` with nothing in it: no
    /// component's telemetry, no history, no warnings.
    pub fn empty(repo: &str, web_url: &str, now: DateTime<Utc>) -> Dashboard {
        Dashboard {
            generated_at: now,
            repo: repo.to_owned(),
            web_url: Some(web_url.to_owned()),
            supervisor: None,
            cleaner: None,
            selftest: None,
            sync: None,
            integrity: None,
            activity: None,
            diagnostics: None,
            history: BTreeMap::new(),
            stale_components: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The latest telemetry of a component, if any.
    pub fn get(&self, component: Component) -> Option<&Value> {
        match component {
            Component::SelfTest => self.selftest.as_ref(),
            Component::Cleaner => self.cleaner.as_ref(),
            Component::Sync => self.sync.as_ref(),
            Component::Integrity => self.integrity.as_ref(),
            Component::Supervisor => self.supervisor.as_ref(),
            Component::Activity => self.activity.as_ref(),
            Component::Diagnostics => self.diagnostics.as_ref(),
        }
    }

    fn slot(&mut self, component: Component) -> &mut Option<Value> {
        match component {
            Component::SelfTest => &mut self.selftest,
            Component::Cleaner => &mut self.cleaner,
            Component::Sync => &mut self.sync,
            Component::Integrity => &mut self.integrity,
            Component::Supervisor => &mut self.supervisor,
            Component::Activity => &mut self.activity,
            Component::Diagnostics => &mut self.diagnostics,
        }
    }
}

/// Merge a scan of the telemetry directory (pure): latest valid file per component, history,
/// and for components without a valid file, the previous dashboard's data. A file that says
/// it finished in the future ([`StoredTelemetry::from_the_future`]) is in neither, with a
/// warning.
pub fn merge(
    scan: Vec<StoredTelemetry>,
    previous: Option<&Dashboard>,
    repo: &str,
    web_url: &str,
    now: DateTime<Utc>,
) -> Dashboard {
    let mut merging = Merging::new(now);
    for stored in scan {
        merging.add(stored);
    }
    merging.finish(previous, repo, web_url)
}

/// [`merge`], fed one telemetry file at a time (pure): of each file it keeps the history
/// entry (run id, times, status, figures) and, while it is its component's latest valid file,
/// the document; every other document is dropped when offered. So a merge over many runs
/// holds one document per component, not every file.
#[derive(Debug)]
pub struct Merging {
    now: DateTime<Utc>,
    /// Per component, in [`Component::ALL`] order: its latest valid file so far.
    latest: Vec<Latest>,
    /// Per component, in [`Component::ALL`] order: every valid file's entry, in the order
    /// offered.
    history: Vec<Vec<HistoryEntry>>,
}

impl Merging {
    /// Nothing offered yet; merged as of `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Merging {
            now,
            latest: Component::ALL
                .into_iter()
                .map(|c| Latest::new(c, now))
                .collect(),
            history: Component::ALL.iter().map(|_| Vec::new()).collect(),
        }
    }

    fn index(component: Component) -> usize {
        Component::ALL
            .iter()
            .position(|c| *c == component)
            .expect("every component is in Component::ALL")
    }

    /// Take in one file of the scan (files are offered in file name order, as
    /// [`crate::pages::Pages::scan_each`] reads them).
    pub fn add(&mut self, stored: StoredTelemetry) {
        let i = Self::index(stored.component);
        if !stored.from_the_future(self.now)
            && let Ok(s) = &stored.content
        {
            self.history[i].push(HistoryEntry {
                run_id: s.envelope.run_id.clone(),
                finished_at: s.envelope.finished_at,
                status: s.envelope.status,
                figures: s.figures.clone(),
            });
        }
        self.latest[i].offer(stored);
    }

    /// True when [`Merging::finish`] would consult the previous dashboard: some component has
    /// no valid file (its latest telemetry and its history then come from there). Otherwise
    /// the previous dashboard need not be read at all.
    pub fn needs_previous(&self) -> bool {
        self.history.iter().any(Vec::is_empty)
    }

    /// The dashboard: as [`merge`] of the files offered.
    pub fn finish(self, previous: Option<&Dashboard>, repo: &str, web_url: &str) -> Dashboard {
        let mut dash = Dashboard::empty(repo, web_url, self.now);
        for ((component, latest), mut history) in Component::ALL
            .into_iter()
            .zip(self.latest)
            .zip(self.history)
        {
            let (latest, warnings) = latest.finish();
            dash.warnings.extend(warnings);
            history.sort_by(|a, b| {
                a.finished_at
                    .cmp(&b.finished_at)
                    .then(a.run_id.cmp(&b.run_id))
            });
            let skip = history.len().saturating_sub(HISTORY_LIMIT);
            history.drain(..skip);
            if history.is_empty()
                && let Some(prev) = previous.and_then(|p| p.history.get(component.dashboard_key()))
            {
                history = prev.clone();
            }
            dash.history
                .insert(component.dashboard_key().to_owned(), history);
            match latest.and_then(|s| s.content.ok()) {
                Some(stored) => *dash.slot(component) = Some(stored.document),
                None => {
                    let kept = previous.and_then(|p| p.get(component).cloned());
                    if kept.is_some() {
                        dash.stale_components
                            .push(component.dashboard_key().to_owned());
                        dash.warnings.push(format!(
                            "no valid {} telemetry: showing the previous data",
                            component.name()
                        ));
                    }
                    *dash.slot(component) = kept;
                }
            }
        }
        dash
    }
}

/// `dashboard` with every string cleaned by the process-wide redactor, as
/// [`crate::redact::scrub`] of the whole would clean it, without a copy of the documents: each
/// is cleaned in place, and only the rest (history, warnings) makes the round trip.
fn scrub_dashboard(mut dashboard: Dashboard) -> Result<Dashboard, serde_json::Error> {
    let documents: Vec<Option<Value>> = Component::ALL
        .into_iter()
        .map(|c| dashboard.slot(c).take())
        .collect();
    let mut scrubbed = crate::redact::scrub(&dashboard)?;
    drop(dashboard);
    let redactor = crate::redact::redactor();
    for (component, document) in Component::ALL.into_iter().zip(documents) {
        if let Some(mut document) = document {
            crate::redact::scrub_json(&redactor, &mut document);
            *scrubbed.slot(component) = Some(document);
        }
    }
    Ok(scrubbed)
}

/// The JSON Schema of `dashboard.json`, as checked in at `docs/dashboard.schema.json`.
pub fn json_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<Dashboard>().to_value();
    if let Some(object) = schema.as_object_mut() {
        // Every key is always written (a component without telemetry as `null`), though serde
        // would read a missing `Option` as `None`: app.js relies on the keys. `web_url` came
        // later: files without it are still valid.
        let keys: Vec<Value> = object
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| {
                p.keys()
                    .filter(|k| k.as_str() != "web_url")
                    .cloned()
                    .map(Value::from)
                    .collect()
            })
            .unwrap_or_default();
        object.insert("required".into(), keys.into());
        object.insert(
            "$id".into(),
            "https://github.com/acme/codex/docs/dashboard.schema.json".into(),
        );
        object.insert(
            "description".into(),
            format!(
                "dashboard/dashboard.json: the latest telemetry of every component (telemetry schema_version {}), a bounded history and what the merge skipped",
                crate::telemetry::SCHEMA_VERSION
            )
            .into(),
        );
    }
    schema
}

/// Result of a merge run.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    /// The dashboard written.
    pub dashboard: Dashboard,
    /// Where `dashboard.json` went.
    pub path: std::path::PathBuf,
    /// Lines for people.
    pub summary: Vec<String>,
}

/// Run telemetry-merge over a pages directory.
pub fn run(
    pages: &crate::pages::Pages,
    repo: &str,
    web_url: &str,
    now: DateTime<Utc>,
) -> crate::Result<MergeOutcome> {
    let path = pages.dashboard_path();
    // One file at a time: the history entries of every file, the document of each component's
    // latest only.
    let mut merging = Merging::new(now);
    pages.scan_each(|stored| merging.add(stored))?;
    // The previous dashboard, when it is a regular file of a sane size (never a FIFO); parsed
    // only when a component has no valid telemetry of its own (its data comes from there).
    let (previous, unread) = match pages.read(PagesPath::Dashboard) {
        Ok(bytes) => (
            bytes
                .filter(|_| merging.needs_previous())
                .and_then(|b| serde_json::from_slice::<Dashboard>(&b).ok()),
            None,
        ),
        Err(reason) => (
            None,
            Some(format!("previous dashboard.json not read: {reason}")),
        ),
    };
    let mut merged = merging.finish(previous.as_ref(), repo, web_url);
    drop(previous);
    merged.warnings.extend(unread);
    // telemetry written by an older Codex, or by hand, passes the redaction point too
    let dashboard = scrub_dashboard(merged).map_err(|e| crate::Error::Io {
        action: "redacting",
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    let path = pages.write_dashboard_data(&to_json(&dashboard)?)?;
    for (name, content) in DASHBOARD_FILES {
        pages.write_dashboard_file(name, content.as_bytes())?;
    }
    for w in &dashboard.warnings {
        tracing::warn!("{w}");
    }
    let present: Vec<&str> = Component::ALL
        .into_iter()
        .filter(|c| dashboard.get(*c).is_some())
        .map(Component::dashboard_key)
        .collect();
    let summary = vec![format!(
        "telemetry-merge: {} of {} components in {} ({} warnings)",
        present.len(),
        Component::ALL.len(),
        path.display(),
        dashboard.warnings.len()
    )];
    tracing::info!(path = %path.display(), components = present.len(), "dashboard written");
    Ok(MergeOutcome {
        dashboard,
        path,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::parse_telemetry;
    use crate::rules::PerTrack;
    use crate::telemetry::{ActivityCounts, TrackHealth};

    /// The checked-in schema must match the types. Regenerate with
    /// `CODEX_UPDATE_SCHEMA=1 cargo nextest run -p codex-core schema`.
    #[test]
    fn checked_in_dashboard_schema_is_up_to_date() {
        crate::telemetry::check_schema_file("dashboard.schema.json", &json_schema());
    }

    use crate::telemetry::test_envelope as envelope;

    fn stored<F: crate::telemetry::Fields>(
        run: &str,
        finished: &str,
        fields: F,
    ) -> StoredTelemetry {
        let t = Telemetry {
            envelope: envelope(F::COMPONENT, run, finished),
            fields,
        };
        StoredTelemetry {
            path: format!("telemetry/{}-{run}.json", F::COMPONENT.name()).into(),
            component: F::COMPONENT,
            content: parse_telemetry(&to_json(&t).unwrap(), F::COMPONENT),
        }
    }

    /// The merge as it was before it streamed (kept verbatim as the reference): every file's
    /// document held, the scan cloned per component, the previous dashboard always parsed, the
    /// whole dashboard redacted through one round trip.
    fn whole_scan_merge(pages: &crate::pages::Pages, now: DateTime<Utc>) -> Vec<u8> {
        let (previous, unread) = match pages.read(PagesPath::Dashboard) {
            Ok(bytes) => (
                bytes.and_then(|b| serde_json::from_slice::<Dashboard>(&b).ok()),
                None,
            ),
            Err(reason) => (
                None,
                Some(format!("previous dashboard.json not read: {reason}")),
            ),
        };
        let scan = pages.scan().unwrap();
        let previous = previous.as_ref();
        let mut dash = Dashboard::empty("acme/widgets", "https://github.com/acme/widgets", now);
        for component in Component::ALL {
            let (latest, warnings) = crate::pages::latest_of(scan.clone(), component, now);
            dash.warnings.extend(warnings);
            let mut history: Vec<HistoryEntry> = scan
                .iter()
                .filter(|s| s.component == component && !s.from_the_future(now))
                .filter_map(|s| s.content.as_ref().ok())
                .map(|stored| HistoryEntry {
                    run_id: stored.envelope.run_id.clone(),
                    finished_at: stored.envelope.finished_at,
                    status: stored.envelope.status,
                    figures: stored.figures.clone(),
                })
                .collect();
            history.sort_by(|a, b| {
                a.finished_at
                    .cmp(&b.finished_at)
                    .then(a.run_id.cmp(&b.run_id))
            });
            let skip = history.len().saturating_sub(HISTORY_LIMIT);
            history.drain(..skip);
            if history.is_empty()
                && let Some(prev) = previous.and_then(|p| p.history.get(component.dashboard_key()))
            {
                history = prev.clone();
            }
            dash.history
                .insert(component.dashboard_key().to_owned(), history);
            match latest.and_then(|s| s.content.ok()) {
                Some(stored) => *dash.slot(component) = Some(stored.document),
                None => {
                    let kept = previous.and_then(|p| p.get(component).cloned());
                    if kept.is_some() {
                        dash.stale_components
                            .push(component.dashboard_key().to_owned());
                        dash.warnings.push(format!(
                            "no valid {} telemetry: showing the previous data",
                            component.name()
                        ));
                    }
                    *dash.slot(component) = kept;
                }
            }
        }
        dash.warnings.extend(unread);
        to_json(&crate::redact::scrub(&dash).unwrap()).unwrap()
    }

    /// The streaming merge (one file at a time, the previous dashboard parsed only when
    /// needed, documents redacted in place) writes the very bytes the whole-scan merge wrote:
    /// many runs per component, malformed files, a file from the future, a component with no
    /// file (shown from the previous dashboard), more runs than the history keeps, and a
    /// secret-shaped string in a document.
    #[test]
    fn streaming_merge_writes_what_the_whole_scan_merge_wrote() {
        use crate::rules::ActivityStatus;
        use crate::rules::Track;
        use crate::telemetry::ActivityItem;

        let dir = tempfile::tempdir().unwrap();
        let now: DateTime<Utc> = "2026-03-01T00:00:00Z".parse().unwrap();
        let repo = crate::config::RepoSlug::parse("acme/widgets").unwrap();
        let pages = crate::pages::Pages::new(dir.path(), repo, now);
        let write = |t: &Value, name: &str| {
            std::fs::create_dir_all(pages.telemetry_dir()).unwrap();
            std::fs::write(pages.telemetry_dir().join(name), to_json(t).unwrap()).unwrap();
        };
        let doc = |fields: Value, component: Component, run: &str, finished: &str| {
            let mut v = serde_json::to_value(envelope(component, run, finished)).unwrap();
            v.as_object_mut()
                .unwrap()
                .extend(fields.as_object().unwrap().clone());
            v
        };
        for day in 1..=(HISTORY_LIMIT as u32 + 5) {
            let finished = format!("2026-01-01T{:02}:{:02}:00Z", day / 60, day % 60);
            let mut activity = ActivityFields::default();
            activity.summary[Track::Main].stale = u64::from(day);
            activity.issues[Track::Main].push(ActivityItem {
                number: u64::from(day),
                title: format!("run {day}: token ghp_{}", "a".repeat(36)),
                status: ActivityStatus::Stale,
                days_inactive: Some(day),
                url: Some(format!("https://github.com/acme/widgets/issues/{day}")),
            });
            let run = format!("{day:03}");
            let activity = serde_json::to_value(activity).unwrap();
            write(
                &doc(activity, Component::Activity, &run, &finished),
                &format!("activity-{run}.json"),
            );
            let sync = serde_json::to_value(SyncFields {
                scanned: u64::from(day),
                ..SyncFields::default()
            })
            .unwrap();
            write(
                &doc(sync, Component::Sync, &run, &finished),
                &format!("sync-{run}.json"),
            );
        }
        let cleaner = serde_json::to_value(CleanerFields {
            issues_closed: vec![1, 2],
            ..CleanerFields::default()
        })
        .unwrap();
        write(
            &doc(
                cleaner,
                Component::Cleaner,
                "future",
                "2099-01-01T00:00:00Z",
            ),
            "cleaner-future.json",
        );
        std::fs::write(pages.telemetry_dir().join("sync-zzz.json"), b"{not json").unwrap();
        std::fs::write(pages.telemetry_dir().join("activity-bad.json"), b"[1]").unwrap();

        // No previous dashboard; then the merge's own output as the previous one (the
        // supervisor and the cleaner have no valid file: their data comes from there).
        let first = whole_scan_merge(&pages, now);
        run(
            &pages,
            "acme/widgets",
            "https://github.com/acme/widgets",
            now,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(std::fs::read(pages.dashboard_path()).unwrap()).unwrap(),
            String::from_utf8(first).unwrap()
        );
        let mut previous: Dashboard =
            serde_json::from_slice(&std::fs::read(pages.dashboard_path()).unwrap()).unwrap();
        previous.supervisor = Some(serde_json::json!({"kept": "from before"}));
        previous.history.insert(
            "supervisor".into(),
            vec![HistoryEntry {
                run_id: "old".into(),
                finished_at: "2025-12-01T00:00:00Z".parse().unwrap(),
                status: Status::Ok,
                figures: Figures::new(),
            }],
        );
        std::fs::write(pages.dashboard_path(), to_json(&previous).unwrap()).unwrap();
        let second = whole_scan_merge(&pages, now);
        let outcome = run(
            &pages,
            "acme/widgets",
            "https://github.com/acme/widgets",
            now,
        )
        .unwrap();
        let written = std::fs::read(pages.dashboard_path()).unwrap();
        assert_eq!(
            String::from_utf8(written.clone()).unwrap(),
            String::from_utf8(second).unwrap()
        );
        assert_eq!(outcome.dashboard.stale_components, ["supervisor"]);
        assert_eq!(outcome.dashboard.history["activity"].len(), HISTORY_LIMIT);
        let text = String::from_utf8(written).unwrap();
        assert!(!text.contains(&"a".repeat(36)), "redacted");
        assert!(text.contains("from before"));
    }

    #[test]
    fn history_figures_come_from_the_typed_fields() {
        let mut supervisor = SupervisorFields {
            tracks: PerTrack::from_fn(|_| TrackHealth::default()),
            deteriorating: false,
        };
        supervisor.tracks[crate::rules::Track::Dashboard].problems = 3;
        supervisor.tracks[crate::rules::Track::Main].escalated = 2;
        let mut activity = ActivityFields::default();
        activity.summary[crate::rules::Track::Main] = ActivityCounts {
            active: 4,
            stale: 1,
            escalation: 0,
        };
        let scan = vec![
            stored("1", "2026-01-01T00:00:00Z", supervisor),
            stored("2", "2026-01-01T00:00:00Z", activity),
            stored(
                "3",
                "2026-01-01T00:00:00Z",
                CleanerFields {
                    issues_closed: vec![4, 5],
                    telemetry_pruned_count: 7,
                    ..CleanerFields::default()
                },
            ),
        ];
        let dash = merge(
            scan,
            None,
            "acme/widgets",
            "https://github.com/acme/widgets",
            "2026-01-02T00:00:00Z".parse().unwrap(),
        );
        let figures = |key: &str| dash.history[key][0].figures.clone();
        let expect = |pairs: &[(&str, u64)]| -> Figures {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
        };
        assert_eq!(
            figures("supervisor"),
            expect(&[
                ("dashboard_escalated", 0),
                ("dashboard_problems", 3),
                ("dashboard_stale", 0),
                ("main_escalated", 2),
                ("main_problems", 0),
                ("main_stale", 0),
            ])
        );
        assert_eq!(
            figures("activity"),
            expect(&[
                ("dashboard_active", 0),
                ("dashboard_escalated", 0),
                ("dashboard_stale", 0),
                ("main_active", 4),
                ("main_escalated", 0),
                ("main_stale", 1),
            ])
        );
        assert_eq!(
            figures("cleaner"),
            expect(&[("closed", 2), ("deleted", 0), ("pruned", 7)])
        );
        assert!(dash.history["sync"].is_empty());
        assert_eq!(dash.sync, None);
    }

    #[test]
    fn a_newer_writers_extra_field_passes_through_and_a_missing_field_is_malformed() {
        let good = Telemetry {
            envelope: envelope(Component::Sync, "new", "2026-01-01T00:00:00Z"),
            fields: SyncFields {
                scanned: 9,
                ..SyncFields::default()
            },
        };
        let mut newer = serde_json::to_value(&good).unwrap();
        newer["added_later"] = serde_json::json!({"x": 1});
        newer["corrections"]["also_new"] = 5.into();
        let read = parse_telemetry(&serde_json::to_vec(&newer).unwrap(), Component::Sync)
            .expect("unknown fields are ignored");
        assert_eq!(read.figures["scanned"], 9);
        assert_eq!(read.read::<SyncFields>().unwrap(), good);
        assert!(
            read.read::<CleanerFields>().is_err(),
            "a sync file is not a cleaner's"
        );

        let mut renamed = serde_json::to_value(&good).unwrap();
        let scanned = renamed.as_object_mut().unwrap().remove("scanned").unwrap();
        renamed["scanned_items"] = scanned;
        let err =
            parse_telemetry(&serde_json::to_vec(&renamed).unwrap(), Component::Sync).unwrap_err();
        assert!(err.contains("missing field `scanned`"), "{err}");

        let scan = vec![StoredTelemetry {
            path: "telemetry/sync-new.json".into(),
            component: Component::Sync,
            content: Ok(read),
        }];
        let dash = merge(
            scan,
            None,
            "acme/widgets",
            "https://github.com/acme/widgets",
            "2026-01-02T00:00:00Z".parse().unwrap(),
        );
        assert_eq!(dash.sync.as_ref().unwrap()["added_later"]["x"], 1);
        let text = String::from_utf8(to_json(&dash).unwrap()).unwrap();
        let keys = [
            "generated_at",
            "repo",
            "web_url",
            "supervisor",
            "cleaner",
            "selftest",
            "sync",
            "activity",
            "diagnostics",
            "history",
            "stale_components",
            "warnings",
        ];
        let positions: Vec<usize> = keys
            .iter()
            .map(|k| {
                text.find(&format!("\n  \"{k}\":"))
                    .unwrap_or_else(|| panic!("{k}"))
            })
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}
