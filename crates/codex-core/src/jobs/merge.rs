//! Telemetry merge: the latest valid telemetry of every component into
//! `dashboard/dashboard.json`, a bounded history for trends, and the dashboard page files.
//!
//! A malformed or missing file never blanks the dashboard: the component keeps the data the
//! previous `dashboard.json` had for it, marked in `stale_components`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::pages::{StoredTelemetry, latest_of, to_json, write_atomic};
use crate::telemetry::{Component, Status};

/// Runs kept per component in `history`.
pub const HISTORY_LIMIT: usize = 50;

/// The dashboard page files, embedded at build time.
pub const DASHBOARD_FILES: [(&str, &str); 3] = [
    (
        "index.html",
        include_str!("../../../../docs/dashboard/index.html"),
    ),
    ("app.js", include_str!("../../../../docs/dashboard/app.js")),
    (
        "styles.css",
        include_str!("../../../../docs/dashboard/styles.css"),
    ),
];

/// One past run, for trends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Run id.
    pub run_id: String,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// Its status.
    pub status: Status,
    /// Headline figures.
    pub figures: BTreeMap<String, u64>,
}

/// `dashboard.json` (CONTRACT.md section 4), keys in contract order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// When merged.
    pub generated_at: DateTime<Utc>,
    /// `owner/name`.
    pub repo: String,
    /// Latest supervisor telemetry.
    pub supervisor: Option<Value>,
    /// Latest cleaner telemetry.
    pub cleaner: Option<Value>,
    /// Latest self-test telemetry.
    pub selftest: Option<Value>,
    /// Latest sync telemetry.
    pub sync: Option<Value>,
    /// Latest activity telemetry.
    pub activity: Option<Value>,
    /// Latest diagnostics telemetry.
    pub diagnostics: Option<Value>,
    /// Up to [`HISTORY_LIMIT`] runs per component, oldest first.
    pub history: BTreeMap<String, Vec<HistoryEntry>>,
    /// Components shown from the previous dashboard because no valid telemetry was found.
    pub stale_components: Vec<String>,
    /// What the merge skipped, one sentence each.
    pub warnings: Vec<String>,
}

impl Dashboard {
    /// The latest telemetry of a component, if any.
    pub fn get(&self, component: Component) -> Option<&Value> {
        match component {
            Component::SelfTest => self.selftest.as_ref(),
            Component::Cleaner => self.cleaner.as_ref(),
            Component::Sync => self.sync.as_ref(),
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
            Component::Supervisor => &mut self.supervisor,
            Component::Activity => &mut self.activity,
            Component::Diagnostics => &mut self.diagnostics,
        }
    }
}

/// Headline figures of one telemetry document, for the history (pure).
pub fn figures(component: Component, doc: &Value) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let mut put = |key: &str, value: Option<u64>| {
        if let Some(v) = value {
            out.insert(key.to_owned(), v);
        }
    };
    let len = |v: &Value| v.as_array().map(|a| a.len() as u64);
    match component {
        Component::Sync => {
            put("scanned", doc["scanned"].as_u64());
            let c = &doc["corrections"];
            let total: u64 = [
                "codex_label",
                "track_main",
                "track_dashboard",
                "milestone",
                "project_adjustments",
            ]
            .iter()
            .filter_map(|k| c[*k].as_u64())
            .sum();
            put("corrections", Some(total));
            put("malformed", len(&doc["integrity"]["malformed"]));
        }
        Component::Supervisor | Component::Activity => {
            for track in ["main", "dashboard"] {
                let (stale, escalated) = if component == Component::Supervisor {
                    let t = &doc["tracks"][track];
                    put(&format!("{track}_problems"), t["problems"].as_u64());
                    (t["stale"].as_u64(), t["escalated"].as_u64())
                } else {
                    let t = &doc["summary"][track];
                    put(&format!("{track}_active"), t["active"].as_u64());
                    (t["stale"].as_u64(), t["escalation"].as_u64())
                };
                put(&format!("{track}_stale"), stale);
                put(&format!("{track}_escalated"), escalated);
            }
        }
        Component::Cleaner => {
            put("closed", len(&doc["issues_closed"]));
            put("deleted", len(&doc["issues_deleted"]));
            put("pruned", doc["telemetry_pruned_count"].as_u64());
        }
        Component::SelfTest => put("verified", doc["verified"].as_bool().map(u64::from)),
        Component::Diagnostics => {
            put(
                "failed_checks",
                doc["checks"]
                    .as_array()
                    .map(|c| c.iter().filter(|c| c["ok"] == false).count() as u64),
            );
        }
    }
    out
}

/// Merge a scan of the telemetry directory (pure): latest valid file per component, history,
/// and for components without a valid file, the previous dashboard's data.
pub fn merge(
    scan: Vec<StoredTelemetry>,
    previous: Option<&Dashboard>,
    repo: &str,
    now: DateTime<Utc>,
) -> Dashboard {
    let mut dash = Dashboard {
        generated_at: now,
        repo: repo.to_owned(),
        supervisor: None,
        cleaner: None,
        selftest: None,
        sync: None,
        activity: None,
        diagnostics: None,
        history: BTreeMap::new(),
        stale_components: Vec::new(),
        warnings: Vec::new(),
    };
    for component in Component::ALL {
        let (latest, warnings) = latest_of(scan.clone(), component);
        dash.warnings.extend(warnings);
        let mut history: Vec<HistoryEntry> = scan
            .iter()
            .filter(|s| s.component == component)
            .filter_map(|s| s.content.as_ref().ok())
            .map(|(env, doc)| HistoryEntry {
                run_id: env.run_id.clone(),
                finished_at: env.finished_at,
                status: env.status,
                figures: figures(component, doc),
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
            Some((_, doc)) => *dash.slot(component) = Some(doc),
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
    now: DateTime<Utc>,
) -> crate::Result<MergeOutcome> {
    let dir = pages.dashboard_dir();
    let path = pages.dashboard_path();
    let previous: Option<Dashboard> = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let dashboard = merge(pages.scan()?, previous.as_ref(), repo, now);
    write_atomic(&path, &to_json(&dashboard)?)?;
    for (name, content) in DASHBOARD_FILES {
        write_atomic(&dir.join(name), content.as_bytes())?;
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
        "telemetry-merge: {} of 6 components in {} ({} warnings)",
        present.len(),
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
