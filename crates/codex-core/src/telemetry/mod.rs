//! Telemetry: the JSON every component writes under `<pages-dir>/telemetry/` (CONTRACT.md
//! section 4). It is a contract with the dashboard: versioned by `schema_version`, field order
//! fixed by the struct order, maps ordered (`BTreeMap`), and described by a JSON Schema generated
//! from these types and checked in at `docs/telemetry.schema.json`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::TokenKind;
use crate::github::Malformed;
use crate::rules::ActivityStatus;

/// The version of the telemetry format this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

pub use crate::component::Component;

/// How a run went.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// All done.
    Ok,
    /// Done, with something worth a look.
    Warning,
    /// Something failed.
    Error,
    /// Nothing to do or could not start (e.g. no self-test milestone).
    Skipped,
}

/// The word people see: the serde name (`ok`, `warning`, `error`, `skipped`).
impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::component::fmt_serde_name(self, f)
    }
}

/// What the run spent of the API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApiSummary {
    /// Requests sent.
    pub requests: u64,
    /// Writes sent.
    pub mutations: u64,
    /// Last `x-ratelimit-remaining` seen.
    pub rate_limit_remaining: Option<u64>,
}

/// The envelope every telemetry file starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Envelope {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Which component wrote it.
    pub component: Component,
    /// How it went.
    pub status: Status,
    /// The run's id.
    pub run_id: String,
    /// `owner/name`.
    pub repo: String,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// True when no write was made.
    pub dry_run: bool,
    /// Warnings, one sentence each.
    pub warnings: Vec<String>,
    /// Errors, one sentence each.
    pub errors: Vec<String>,
    /// API usage.
    pub api: ApiSummary,
}

/// A telemetry file: the envelope, then the component's own fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "{F}File")]
pub struct Telemetry<F> {
    /// The common envelope.
    #[serde(flatten)]
    pub envelope: Envelope,
    /// The component's fields.
    #[serde(flatten)]
    pub fields: F,
}

/// What the token may do, as self-test saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TokenReport {
    /// Token family, from its prefix.
    pub kind: TokenKind,
    /// `GH_CI_PAT` or `GITHUB_TOKEN`.
    pub source: Option<String>,
    /// `X-OAuth-Scopes` (classic tokens only; fine-grained tokens have none).
    pub scopes: Option<Vec<String>>,
    /// `permissions` of `GET /repos/{owner}/{repo}`.
    pub permissions: BTreeMap<String, bool>,
    /// What that means, in words.
    pub notes: Vec<String>,
}

/// `self-test` fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SelfTestFields {
    /// The issue created (or found again), if any.
    pub issue_number: Option<u64>,
    /// Its web URL.
    pub issue_url: Option<String>,
    /// The milestone used.
    pub milestone: Option<String>,
    /// True when `CODEX_SELFTEST_MILESTONE` was missing and `Codex Internal` was used.
    pub milestone_fallback: bool,
    /// True only when reading the issue back showed its labels and milestone really stuck.
    pub verified: bool,
    /// What the token may do.
    pub token: TokenReport,
}

/// `cleaner` fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CleanerFields {
    /// Open self-test issues found.
    pub candidates: u64,
    /// Kept (the newest `CODEX_SELFTEST_RETAIN` within the age limit).
    pub kept: Vec<u64>,
    /// Closed (or, in dry-run, to be closed).
    pub issues_closed: Vec<u64>,
    /// Deleted with `--delete`.
    pub issues_deleted: Vec<u64>,
    /// Telemetry files removed.
    pub telemetry_pruned_count: u64,
    /// Their names.
    pub telemetry_pruned: Vec<String>,
}

/// Corrections by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Corrections {
    /// `codex` label added.
    pub codex_label: u64,
    /// `codex-trackmain` added.
    pub track_main: u64,
    /// `codex-trackdashboard` added.
    pub track_dashboard: u64,
    /// Milestone set.
    pub milestone: u64,
    /// Added to the Project.
    pub project_adjustments: u64,
}

/// What was done to one issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Detail {
    /// The issue.
    pub number: u64,
    /// `add_codex_label`, `codex-trackmain`, `codex-trackdashboard`, `milestone`, `project`.
    pub changes: Vec<String>,
}

/// Integrity findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Integrity {
    /// Items that could not be understood, or were odd.
    pub malformed: Vec<Malformed>,
}

/// `sync` fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SyncFields {
    /// Items enumerated (issues, pull requests, malformed).
    pub scanned: u64,
    /// Managed issues among them.
    pub managed: u64,
    /// Corrections by kind.
    pub corrections: Corrections,
    /// Per issue.
    pub details: Vec<Detail>,
    /// Issues carrying both track labels: reported, not changed.
    pub track_conflicts: Vec<u64>,
    /// Integrity findings.
    pub integrity: Integrity,
}

/// A track's health verdict.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// No problems.
    Healthy,
    /// Problems or stale issues.
    Degraded,
    /// Escalations, or configuration missing.
    Failing,
}

/// The word people see: the serde name (`healthy`, `degraded`, `failing`).
impl std::fmt::Display for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::component::fmt_serde_name(self, f)
    }
}

/// One track's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TrackHealth {
    /// Open managed issues.
    pub open: u64,
    /// Without the `codex` label.
    pub missing_codex_label: u64,
    /// Without a milestone.
    pub missing_milestone: u64,
    /// No track label at all.
    pub missing_track_label: u64,
    /// Track label disagreeing with the title rule, or both labels.
    pub wrong_track: u64,
    /// Stale.
    pub stale: u64,
    /// Escalated.
    pub escalated: u64,
    /// missing_codex_label + missing_milestone + missing_track_label + wrong_track.
    pub problems: u64,
    /// Verdict.
    pub health: Health,
    /// Problems rose since the previous supervisor run.
    pub deteriorating: bool,
    /// The previous run's problem count, when there was one.
    pub previous_problems: Option<u64>,
}

/// Both tracks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tracks {
    /// Main track.
    pub main: TrackHealth,
    /// Dashboard track.
    pub dashboard: TrackHealth,
}

/// `supervisor` fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SupervisorFields {
    /// Per track.
    pub tracks: Tracks,
    /// Any track deteriorating.
    pub deteriorating: bool,
}

/// One issue's activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ActivityItem {
    /// Number.
    pub number: u64,
    /// Title (written by anyone: the dashboard shows it as text).
    pub title: String,
    /// Status.
    pub status: ActivityStatus,
    /// Days since the last update (`null` when GitHub gave no date).
    pub days_inactive: Option<u32>,
    /// Web URL.
    pub url: Option<String>,
}

/// Counts per status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ActivityCounts {
    /// Active.
    pub active: u64,
    /// Stale.
    pub stale: u64,
    /// Escalated.
    pub escalation: u64,
}

/// Counts for both tracks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ActivitySummary {
    /// Main track.
    pub main: ActivityCounts,
    /// Dashboard track.
    pub dashboard: ActivityCounts,
}

/// `activity` fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ActivityFields {
    /// Main track issues.
    pub main: Vec<ActivityItem>,
    /// Dashboard track issues.
    pub dashboard: Vec<ActivityItem>,
    /// Counts.
    pub summary: ActivitySummary,
}

/// One diagnostics check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Check {
    /// What was checked, e.g. `label:codex`.
    pub name: String,
    /// Passed.
    pub ok: bool,
    /// What was seen, or what to do.
    pub detail: String,
}

/// `diagnostics` fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DiagnosticsFields {
    /// The checks.
    pub checks: Vec<Check>,
    /// What `--repair` created.
    pub repaired: Vec<String>,
}

/// The JSON Schema of every telemetry file, as checked in at `docs/telemetry.schema.json`.
pub fn json_schema() -> serde_json::Value {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let variants = [
        generator.subschema_for::<Telemetry<SelfTestFields>>(),
        generator.subschema_for::<Telemetry<CleanerFields>>(),
        generator.subschema_for::<Telemetry<SyncFields>>(),
        generator.subschema_for::<Telemetry<SupervisorFields>>(),
        generator.subschema_for::<Telemetry<ActivityFields>>(),
        generator.subschema_for::<Telemetry<DiagnosticsFields>>(),
    ];
    let defs: serde_json::Map<String, serde_json::Value> =
        generator.take_definitions(true).into_iter().collect();
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/acme/codex/docs/telemetry.schema.json",
        "title": "Codex telemetry file",
        "description": format!("schema_version {SCHEMA_VERSION}: the envelope, then one component's fields"),
        "oneOf": variants.iter().map(|s| s.as_value().clone()).collect::<Vec<_>>(),
        "$defs": defs,
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn schema_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/telemetry.schema.json")
    }

    /// The checked-in schema must match the types. Regenerate with
    /// `CODEX_UPDATE_SCHEMA=1 cargo nextest run -p codex-core schema`.
    #[test]
    fn checked_in_schema_is_up_to_date() {
        let generated = serde_json::to_string_pretty(&json_schema()).unwrap() + "\n";
        let path = schema_path();
        if std::env::var_os("CODEX_UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == generated,
            "docs/telemetry.schema.json is out of date: run CODEX_UPDATE_SCHEMA=1 cargo nextest run -p codex-core schema"
        );
    }

    fn sample() -> Telemetry<SyncFields> {
        Telemetry {
            envelope: Envelope {
                schema_version: SCHEMA_VERSION,
                component: Component::Sync,
                status: Status::Warning,
                run_id: "42".into(),
                repo: "acme/widgets".into(),
                started_at: "2026-11-23T10:00:00Z".parse().unwrap(),
                finished_at: "2026-11-23T10:00:05Z".parse().unwrap(),
                dry_run: false,
                warnings: vec!["1 issue carries both track labels".into()],
                errors: vec![],
                api: ApiSummary {
                    requests: 4,
                    mutations: 3,
                    rate_limit_remaining: Some(4996),
                },
            },
            fields: SyncFields {
                scanned: 120,
                managed: 80,
                corrections: Corrections {
                    codex_label: 1,
                    track_main: 1,
                    milestone: 1,
                    ..Default::default()
                },
                details: vec![Detail {
                    number: 88,
                    changes: vec![
                        "add_codex_label".into(),
                        "codex-trackmain".into(),
                        "milestone".into(),
                    ],
                }],
                track_conflicts: vec![12],
                integrity: Integrity {
                    malformed: vec![Malformed {
                        number: Some(7),
                        reason: "label without a name".into(),
                    }],
                },
            },
        }
    }

    #[test]
    fn serialised_sync_telemetry_keeps_the_contract_shape() {
        insta::assert_json_snapshot!(sample(), @r#"
        {
          "schema_version": 1,
          "component": "sync",
          "status": "warning",
          "run_id": "42",
          "repo": "acme/widgets",
          "started_at": "2026-11-23T10:00:00Z",
          "finished_at": "2026-11-23T10:00:05Z",
          "dry_run": false,
          "warnings": [
            "1 issue carries both track labels"
          ],
          "errors": [],
          "api": {
            "requests": 4,
            "mutations": 3,
            "rate_limit_remaining": 4996
          },
          "scanned": 120,
          "managed": 80,
          "corrections": {
            "codex_label": 1,
            "track_main": 1,
            "track_dashboard": 0,
            "milestone": 1,
            "project_adjustments": 0
          },
          "details": [
            {
              "number": 88,
              "changes": [
                "add_codex_label",
                "codex-trackmain",
                "milestone"
              ]
            }
          ],
          "track_conflicts": [
            12
          ],
          "integrity": {
            "malformed": [
              {
                "number": 7,
                "reason": "label without a name"
              }
            ]
          }
        }
        "#);
    }

    #[test]
    fn every_component_file_validates_against_the_schema_shape() {
        // The envelope comes first, in contract order, then the component's fields.
        let text = serde_json::to_string(&sample()).unwrap();
        let order = [
            "schema_version",
            "component",
            "status",
            "run_id",
            "repo",
            "started_at",
            "finished_at",
            "dry_run",
            "warnings",
            "errors",
            "api",
            "scanned",
            "corrections",
        ];
        let positions: Vec<usize> = order
            .iter()
            .map(|k| text.find(&format!("\"{k}\":")).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
        let value = serde_json::to_value(sample()).unwrap();
        let back: Telemetry<SyncFields> = serde_json::from_value(value).unwrap();
        assert_eq!(back, sample());
    }
}
