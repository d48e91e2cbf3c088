//! Telemetry: the JSON every component writes under `<pages-dir>/telemetry/` (CONTRACT.md
//! section 4). It is a contract with the dashboard: versioned by `schema_version`, field order
//! fixed by the struct order, maps ordered (`BTreeMap`), and described by a JSON Schema generated
//! from these types and checked in at `docs/telemetry.schema.json`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::TokenKind;
use crate::github::Malformed;
use crate::rules::integrity::Baseline;
use crate::rules::{ActivityStatus, FindingKind, PerTrack};

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

impl Status {
    /// How bad it is: `Ok` < `Skipped` < `Warning` < `Error`. Not the derived `Ord`, which
    /// follows the declaration order (and so the schema's) and ranks `Skipped` last.
    fn severity(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Skipped => 1,
            Status::Warning => 2,
            Status::Error => 3,
        }
    }

    /// The worse of the two (`Error` over `Warning` over `Skipped` over `Ok`).
    pub fn worse(self, other: Status) -> Status {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    /// The worst of `statuses` (`None` when there are none).
    pub fn worst(statuses: impl IntoIterator<Item = Status>) -> Option<Status> {
        statuses.into_iter().reduce(Status::worse)
    }
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
    /// GitHub App runs only (absent for a token): what the App's own exchanges cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppApiSummary>,
    /// The components that read every open issue (project-sync, supervisor, activity): how
    /// they got them this run (absent for the others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing: Option<Listing>,
}

/// How a component read every open issue: in full, or only what changed since its snapshot
/// (`CODEX_CACHE_DIR`; CONTRACT.md section 4, "Incremental runs").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Listing {
    /// `full`, `delta` or `reused`.
    pub mode: ListingMode,
    /// Why every issue was listed (one sentence), for a full listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a delta: what was listed was updated at or after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// Items GitHub sent: every open item for a full listing, the changed ones (open or
    /// closed) for a delta, none when reused.
    pub listed: u64,
}

/// See [`Listing::mode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListingMode {
    /// Every open issue was listed (no snapshot, `--full`, or the resync was due).
    Full,
    /// Only what was updated since the snapshot, merged into it.
    Delta,
    /// The snapshot another component listed earlier in the same run, with no write since.
    Reused,
}

/// What a GitHub App run spent beyond a token run (its requests are in
/// [`ApiSummary::requests`] too).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AppApiSummary {
    /// Requests sent with a JWT: installation look-ups and token exchanges.
    pub jwt_requests: u64,
    /// Installation tokens obtained: the first, and each replacement (before expiry, or
    /// after a 401).
    pub installation_tokens: u64,
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SelfTestFields {
    /// The issue created (or found again), if any.
    pub issue_number: Option<u64>,
    /// Its web URL, on the server's web host (CONTRACT.md section 4, "Links").
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

/// At most this many entries in a per-issue list of telemetry (CONTRACT.md section 4): the
/// first ones, with an [`Omitted`] beside the list for the rest, which go to piece files under
/// `dashboard/details/` that the dashboard loads on demand.
pub const LIST_LIMIT: usize = 200;

/// At most this many entries in one piece file (`dashboard/details/…`).
pub const PIECE_LIMIT: usize = 1_000;

/// What a bounded list left out: the entries beyond its first [`LIST_LIMIT`], and the piece
/// files that hold them (`dashboard/details/COMPONENT-LIST-K.json`, K from 1 to `pieces`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Omitted {
    /// Entries left out of the list.
    pub count: u64,
    /// Piece files holding them, in order; 0 when none were written (nothing left out, or
    /// the pieces could not be written: a warning says so).
    pub pieces: u64,
}

impl Omitted {
    /// The number of pieces `count` entries take ([`PIECE_LIMIT`] a piece).
    pub fn pieces_for(count: usize) -> u64 {
        count.div_ceil(PIECE_LIMIT) as u64
    }
}

/// Keep the first [`LIST_LIMIT`] entries of `list` and give back the rest, in order: the one
/// rule that bounds a per-issue list (the rest go to pieces, [`crate::pages::Pages::write_pieces`]).
pub fn split_at_limit<T>(list: &mut Vec<T>) -> Vec<T> {
    if list.len() > LIST_LIMIT {
        list.split_off(LIST_LIMIT)
    } else {
        Vec::new()
    }
}

/// A piece file, `dashboard/details/COMPONENT-LIST-K.json`: entries a bounded list left out,
/// [`PIECE_LIMIT`] at most, in the list's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Piece<T> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The component that wrote it.
    pub component: Component,
    /// The list's name (`details`, `main`, `blocked_issues-main`, …).
    pub list: String,
    /// The run it belongs to: the `run_id` of the telemetry that counts it.
    pub run_id: String,
    /// Its place, from 1.
    pub piece: u64,
    /// How many pieces the list has.
    pub pieces: u64,
    /// The position of its first entry in the whole list (from 0; the telemetry holds
    /// positions 0 to [`LIST_LIMIT`] - 1).
    pub offset: u64,
    /// The entries.
    pub entries: Vec<T>,
}

/// `cleaner` fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CleanerFields {
    /// Open self-test issues found.
    pub candidates: u64,
    /// Kept (the newest `CODEX_SELFTEST_RETAIN` within the age limit): the first
    /// [`LIST_LIMIT`].
    pub kept: Vec<u64>,
    /// Kept issues left out of `kept`.
    #[serde(default)]
    pub kept_omitted: Omitted,
    /// Closed (or, in dry-run, to be closed): the first [`LIST_LIMIT`].
    pub issues_closed: Vec<u64>,
    /// Closed issues left out of `issues_closed`.
    #[serde(default)]
    pub issues_closed_omitted: Omitted,
    /// Deleted with `--delete`: the first [`LIST_LIMIT`].
    pub issues_deleted: Vec<u64>,
    /// Deleted issues left out of `issues_deleted`.
    #[serde(default)]
    pub issues_deleted_omitted: Omitted,
    /// Telemetry files removed.
    pub telemetry_pruned_count: u64,
    /// Their names: the first [`LIST_LIMIT`].
    pub telemetry_pruned: Vec<String>,
    /// Names left out of `telemetry_pruned`.
    #[serde(default)]
    pub telemetry_pruned_omitted: Omitted,
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
    /// Per issue: the first [`LIST_LIMIT`].
    pub details: Vec<Detail>,
    /// Issues left out of `details`.
    #[serde(default)]
    pub details_omitted: Omitted,
    /// Issues carrying both track labels: reported, not changed. The first [`LIST_LIMIT`].
    pub track_conflicts: Vec<u64>,
    /// Issues left out of `track_conflicts`.
    #[serde(default)]
    pub track_conflicts_omitted: Omitted,
    /// Integrity findings.
    pub integrity: Integrity,
}

/// What the integrity scanner enumerated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IntegrityScanned {
    /// Items the REST listing (`state=all`) returned: issues and pull requests.
    pub rest: u64,
    /// Of which issues.
    pub rest_issues: u64,
    /// Numbers GraphQL's `repository.issues` enumerated (`null`: the comparison was not made).
    pub graphql: Option<u64>,
    /// Its `totalCount` (`null` when not read).
    pub graphql_total: Option<u64>,
    /// The repository's `open_issues_count` (`null` when not read).
    pub repository_open: Option<u64>,
    /// The Codex Project's items (`null`: the Project was not read).
    pub project_items: Option<u64>,
    /// Issues read one by one (`GET …/issues/{n}`).
    pub checked: u64,
}

/// One integrity finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Its kind.
    pub kind: FindingKind,
    /// The issue, when it is about one.
    pub number: Option<u64>,
    /// What was seen (text from GitHub is quoted, never trusted).
    pub detail: String,
    /// What a maintainer can do about it.
    pub remedy: String,
    /// A transferred issue's new page, when known.
    pub moved_to: Option<String>,
}

/// Sub-issue progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SubIssueCounts {
    /// Issues with sub-issues.
    pub parents: u64,
    /// Their sub-issues.
    pub total: u64,
    /// Of which completed.
    pub completed: u64,
}

/// The newer issue fields over one track's open managed issues.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IssueFieldCounts {
    /// Open managed issues of the track.
    pub issues: u64,
    /// Issue type name (as GitHub sent it) → issues.
    pub types: BTreeMap<String, u64>,
    /// Issues without a type.
    pub untyped: u64,
    /// Sub-issue progress.
    pub sub_issues: SubIssueCounts,
    /// Issues that are sub-issues of another.
    pub children: u64,
    /// Issues blocked by an open issue.
    pub blocked: u64,
    /// Issues blocking an open issue.
    pub blocking: u64,
    /// The blocked issues' numbers, in the listing's order: the first [`LIST_LIMIT`].
    pub blocked_issues: Vec<u64>,
    /// Blocked issues left out of `blocked_issues`.
    #[serde(default)]
    pub blocked_issues_omitted: Omitted,
    /// Locked issues.
    pub locked: u64,
}

/// `integrity` fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IntegrityFields {
    /// What was enumerated.
    pub scanned: IntegrityScanned,
    /// False when the REST/GraphQL comparison could not be made in full (the REST findings
    /// stand).
    pub comparison_complete: bool,
    /// Where the numbers read one by one came from; `null` when no listing was made.
    pub baseline: Option<Baseline>,
    /// Findings per kind: every kind, 0 when none.
    pub counts: BTreeMap<String, u64>,
    /// The findings, by kind then number: the first [`FINDINGS_LIMIT`].
    pub findings: Vec<Finding>,
    /// Findings beyond [`FINDINGS_LIMIT`] (counted in `counts`).
    pub findings_omitted: u64,
    /// The reference's shape (section 16.1): the payload findings as number and reason.
    pub integrity: Integrity,
    /// The newer issue fields, per track.
    pub fields: PerTrack<IssueFieldCounts>,
    /// Managed issue numbers seen, as ascending ranges (`1-40,42`): the next scan's baseline.
    pub managed: String,
    /// When the scan these findings come from began: this run's start, or, for a run that
    /// carried the last full scan forward (incremental runs, CONTRACT.md section 4), that
    /// scan's. Absent in files written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanned_at: Option<DateTime<Utc>>,
}

/// At most this many findings are listed in integrity telemetry.
pub const FINDINGS_LIMIT: usize = 500;

/// A track's health verdict.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// No problems.
    #[default]
    Healthy,
    /// Problems or stale issues.
    Degraded,
    /// Escalations, or configuration missing.
    Failing,
    /// Not assessed: what the verdict needs could not be read (the milestones, the listing,
    /// an issue's labels). The track's counts are then 0 because nothing was counted, not
    /// because nothing is there; they are left out of the history and a later run compares
    /// against the latest run that knew the track.
    Unknown,
}

/// The word people see: the serde name (`healthy`, `degraded`, `failing`, `unknown`).
impl std::fmt::Display for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::component::fmt_serde_name(self, f)
    }
}

/// One track's figures (all 0 when its `health` is `unknown`: nothing was counted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
    /// Problems rose since the latest supervisor run that knew this track.
    pub deteriorating: bool,
    /// The problem count of the latest earlier run whose health for this track was not
    /// `unknown`, when there was one: the baseline for `deteriorating`. A track that is
    /// `unknown` carries it forward unchanged.
    pub previous_problems: Option<u64>,
}

/// `supervisor` fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SupervisorFields {
    /// Per track.
    pub tracks: PerTrack<TrackHealth>,
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
    /// Web URL, on the server's web host (CONTRACT.md section 4, "Links").
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

/// `activity` fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ActivityFields {
    /// Each track's stale and escalated issues, under the track's key (`main`, `dashboard`),
    /// most days inactive first: the first [`LIST_LIMIT`] (active issues are only counted).
    #[serde(flatten)]
    pub issues: PerTrack<Vec<ActivityItem>>,
    /// Per track, the stale and escalated issues left out of its list.
    #[serde(default)]
    pub omitted: PerTrack<Omitted>,
    /// Counts per track.
    pub summary: PerTrack<ActivityCounts>,
    /// Present (`true`) only when the issues could not be listed: the lists are empty and the
    /// counts 0 because nothing was counted. Such a run has no figures in the history.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unknown: bool,
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

/// Headline figures of one run, for the dashboard's history (name → count).
pub type Figures = BTreeMap<String, u64>;

/// A component's own telemetry fields: what follows the [`Envelope`] in its file.
///
/// Reading a stored file back goes through this type, so a renamed field fails to compile
/// where it is used (merge's figures, the supervisor's deterioration) instead of reading as
/// zero. Unknown fields are ignored: a file from a newer writer still reads.
pub trait Fields: Serialize + DeserializeOwned + JsonSchema + Default {
    /// The component that writes these fields.
    const COMPONENT: Component;

    /// Headline figures of a run, for trends (pure).
    fn figures(&self) -> Figures;
}

/// Something to do with a component's [`Fields`] type; see [`for_fields`].
pub trait FieldsVisitor {
    /// What it gives back.
    type Output;
    /// Do it with `F`.
    fn visit<F: Fields>(self) -> Self::Output;
}

/// Run `visitor` with the fields type of `component`: the one place a component is tied to the
/// type of its telemetry.
pub fn for_fields<V: FieldsVisitor>(component: Component, visitor: V) -> V::Output {
    match component {
        Component::SelfTest => visitor.visit::<SelfTestFields>(),
        Component::Cleaner => visitor.visit::<CleanerFields>(),
        Component::Sync => visitor.visit::<SyncFields>(),
        Component::Integrity => visitor.visit::<IntegrityFields>(),
        Component::Supervisor => visitor.visit::<SupervisorFields>(),
        Component::Activity => visitor.visit::<ActivityFields>(),
        Component::Diagnostics => visitor.visit::<DiagnosticsFields>(),
    }
}

impl<F: Fields> Telemetry<F> {
    /// Read a stored telemetry document as `F`'s telemetry: the envelope must name `F`'s
    /// component, every field must be there with its type; unknown fields are ignored.
    pub fn from_value(document: &serde_json::Value) -> Result<Self, String> {
        let telemetry: Self = Self::deserialize(document)
            .map_err(|e| format!("not {} telemetry ({e})", F::COMPONENT.name()))?;
        if telemetry.envelope.component != F::COMPONENT {
            return Err(format!(
                "component {:?} in {} telemetry",
                telemetry.envelope.component.name(),
                F::COMPONENT.name()
            ));
        }
        Ok(telemetry)
    }
}

fn count(items: &[impl Sized]) -> u64 {
    items.len() as u64
}

impl Fields for SelfTestFields {
    const COMPONENT: Component = Component::SelfTest;
    fn figures(&self) -> Figures {
        Figures::from([("verified".into(), u64::from(self.verified))])
    }
}

impl Fields for CleanerFields {
    const COMPONENT: Component = Component::Cleaner;
    fn figures(&self) -> Figures {
        Figures::from([
            (
                "closed".into(),
                count(&self.issues_closed) + self.issues_closed_omitted.count,
            ),
            (
                "deleted".into(),
                count(&self.issues_deleted) + self.issues_deleted_omitted.count,
            ),
            ("pruned".into(), self.telemetry_pruned_count),
        ])
    }
}

impl Fields for SyncFields {
    const COMPONENT: Component = Component::Sync;
    fn figures(&self) -> Figures {
        let c = &self.corrections;
        let corrections =
            c.codex_label + c.track_main + c.track_dashboard + c.milestone + c.project_adjustments;
        Figures::from([
            ("scanned".into(), self.scanned),
            ("corrections".into(), corrections),
            ("malformed".into(), count(&self.integrity.malformed)),
        ])
    }
}

impl Fields for IntegrityFields {
    const COMPONENT: Component = Component::Integrity;
    fn figures(&self) -> Figures {
        let of = |kinds: &[FindingKind]| -> u64 {
            kinds
                .iter()
                .map(|k| self.counts.get(k.key()).copied().unwrap_or(0))
                .sum()
        };
        Figures::from([
            ("findings".into(), self.counts.values().sum()),
            (
                "visibility".into(),
                of(&[FindingKind::RestOnly, FindingKind::GraphqlOnly]),
            ),
            (
                "gone".into(),
                of(&[
                    FindingKind::Transferred,
                    FindingKind::Deleted,
                    FindingKind::NotVisible,
                ]),
            ),
        ])
    }
}

impl Fields for SupervisorFields {
    const COMPONENT: Component = Component::Supervisor;
    fn figures(&self) -> Figures {
        let mut out = Figures::new();
        // A track not assessed has no figures: its zeros are not counts.
        for (track, h) in self
            .tracks
            .iter()
            .filter(|(_, h)| h.health != Health::Unknown)
        {
            let key = track.key();
            out.insert(format!("{key}_problems"), h.problems);
            out.insert(format!("{key}_stale"), h.stale);
            out.insert(format!("{key}_escalated"), h.escalated);
        }
        out
    }
}

impl Fields for ActivityFields {
    const COMPONENT: Component = Component::Activity;
    fn figures(&self) -> Figures {
        let mut out = Figures::new();
        if self.unknown {
            return out;
        }
        for (track, c) in self.summary.iter() {
            let key = track.key();
            out.insert(format!("{key}_active"), c.active);
            out.insert(format!("{key}_stale"), c.stale);
            out.insert(format!("{key}_escalated"), c.escalation);
        }
        out
    }
}

impl Fields for DiagnosticsFields {
    const COMPONENT: Component = Component::Diagnostics;
    fn figures(&self) -> Figures {
        let failed = self.checks.iter().filter(|c| !c.ok).count() as u64;
        Figures::from([("failed_checks".into(), failed)])
    }
}

/// The headline figures of a stored document of `component`, read as its typed telemetry, or
/// why it cannot be read so.
pub fn stored_figures(
    component: Component,
    document: &serde_json::Value,
) -> Result<Figures, String> {
    struct Read<'a>(&'a serde_json::Value);
    impl FieldsVisitor for Read<'_> {
        type Output = Result<Figures, String>;
        fn visit<F: Fields>(self) -> Self::Output {
            Telemetry::<F>::from_value(self.0).map(|t| t.fields.figures())
        }
    }
    for_fields(component, Read(document))
}

/// The schema of every component's telemetry file, in [`Component::ALL`] order, from
/// `generator` (their definitions stay in it).
pub fn file_schemas(generator: &mut schemars::SchemaGenerator) -> Vec<serde_json::Value> {
    struct Schema<'a>(&'a mut schemars::SchemaGenerator);
    impl FieldsVisitor for Schema<'_> {
        type Output = serde_json::Value;
        fn visit<F: Fields>(self) -> Self::Output {
            self.0.subschema_for::<Telemetry<F>>().to_value()
        }
    }
    Component::ALL
        .into_iter()
        .map(|c| for_fields(c, Schema(generator)))
        .collect()
}

/// The JSON Schema of every telemetry file, as checked in at `docs/telemetry.schema.json`.
pub fn json_schema() -> serde_json::Value {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let variants = file_schemas(&mut generator);
    let defs: serde_json::Map<String, serde_json::Value> =
        generator.take_definitions(true).into_iter().collect();
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/acme/codex/docs/telemetry.schema.json",
        "title": "Codex telemetry file",
        "description": format!("schema_version {SCHEMA_VERSION}: the envelope, then one component's fields"),
        "oneOf": variants,
        "$defs": defs,
    })
}

/// A plain `ok` envelope for tests: `acme/widgets`, started and finished at `finished`.
#[cfg(test)]
pub(crate) fn test_envelope(component: Component, run: &str, finished: &str) -> Envelope {
    Envelope {
        schema_version: SCHEMA_VERSION,
        component,
        status: Status::Ok,
        run_id: run.into(),
        repo: "acme/widgets".into(),
        started_at: finished.parse().unwrap(),
        finished_at: finished.parse().unwrap(),
        dry_run: false,
        warnings: vec![],
        errors: vec![],
        api: ApiSummary::default(),
    }
}

/// Compare `docs/<name>` with `schema`; with `CODEX_UPDATE_SCHEMA` set, write it first.
#[cfg(test)]
pub(crate) fn check_schema_file(name: &str, schema: &serde_json::Value) {
    let generated = serde_json::to_string_pretty(schema).unwrap() + "\n";
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(name);
    if std::env::var_os("CODEX_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "docs/{name} is out of date: run CODEX_UPDATE_SCHEMA=1 cargo nextest run -p codex-core schema"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Track;

    #[test]
    fn status_ranks_error_over_warning_over_skipped_over_ok() {
        use Status::{Error, Ok, Skipped, Warning};
        let ranked = [Ok, Skipped, Warning, Error];
        for (i, &a) in ranked.iter().enumerate() {
            for (j, &b) in ranked.iter().enumerate() {
                let expected = ranked[i.max(j)];
                assert_eq!(a.worse(b), expected, "{a}.worse({b})");
            }
        }
        assert_eq!(Status::worst([Warning, Ok, Skipped]), Some(Warning));
        assert_eq!(Status::worst([Skipped, Error, Warning]), Some(Error));
        assert_eq!(Status::worst([Ok]), Some(Ok));
        assert_eq!(Status::worst([]), None);
    }

    /// The checked-in schema must match the types. Regenerate with
    /// `CODEX_UPDATE_SCHEMA=1 cargo nextest run -p codex-core schema`.
    #[test]
    fn checked_in_schema_is_up_to_date() {
        check_schema_file("telemetry.schema.json", &json_schema());
    }

    #[test]
    fn per_track_fields_keep_the_contract_shape() {
        let mut activity = ActivityFields::default();
        activity.issues[Track::Dashboard].push(ActivityItem {
            number: 3,
            title: "chart".into(),
            status: ActivityStatus::Stale,
            days_inactive: Some(20),
            url: None,
        });
        activity.summary[Track::Dashboard].stale = 1;
        insta::assert_json_snapshot!(activity, @r#"
        {
          "main": [],
          "dashboard": [
            {
              "number": 3,
              "title": "chart",
              "status": "stale",
              "days_inactive": 20,
              "url": null
            }
          ],
          "omitted": {
            "main": {
              "count": 0,
              "pieces": 0
            },
            "dashboard": {
              "count": 0,
              "pieces": 0
            }
          },
          "summary": {
            "main": {
              "active": 0,
              "stale": 0,
              "escalation": 0
            },
            "dashboard": {
              "active": 0,
              "stale": 1,
              "escalation": 0
            }
          }
        }
        "#);
        let mut supervisor = SupervisorFields::default();
        supervisor.tracks[Track::Main].problems = 2;
        let text = serde_json::to_string(&supervisor).unwrap();
        let health = r#"{"open":0,"missing_codex_label":0,"missing_milestone":0,"missing_track_label":0,"wrong_track":0,"stale":0,"escalated":0,"problems":PROBLEMS,"health":"healthy","deteriorating":false,"previous_problems":null}"#;
        assert_eq!(
            text,
            format!(
                r#"{{"tracks":{{"main":{},"dashboard":{}}},"deteriorating":false}}"#,
                health.replace("PROBLEMS", "2"),
                health.replace("PROBLEMS", "0")
            )
        );
        // And both read back through the telemetry envelope.
        let file = Telemetry {
            envelope: sample().envelope,
            fields: activity.clone(),
        };
        let mut value = serde_json::to_value(&file).unwrap();
        value["component"] = "activity".into();
        let back = Telemetry::<ActivityFields>::from_value(&value).unwrap();
        assert_eq!(back.fields, activity);
    }

    #[test]
    fn a_list_is_bounded_at_list_limit_and_counts_come_from_counts() {
        let mut list: Vec<u32> = (0..1234).collect();
        let rest = split_at_limit(&mut list);
        assert_eq!(list.len(), LIST_LIMIT);
        assert_eq!((rest.len(), rest[0]), (1034, 200));
        assert_eq!(Omitted::pieces_for(rest.len()), 2);
        assert_eq!(
            [0, 1, 1000, 1001].map(Omitted::pieces_for),
            [0, 1, 1, 2],
            "PIECE_LIMIT entries a piece"
        );
        let mut short = vec![1, 2];
        assert!(split_at_limit(&mut short).is_empty());
        assert_eq!(short, [1, 2]);

        // The history counts what was left out, too.
        let cleaner = CleanerFields {
            issues_closed: vec![1; LIST_LIMIT],
            issues_closed_omitted: Omitted {
                count: 50,
                pieces: 1,
            },
            ..CleanerFields::default()
        };
        assert_eq!(cleaner.figures()["closed"], 250);

        // A file written before lists were bounded reads as nothing left out.
        let mut old = serde_json::to_value(SyncFields::default()).unwrap();
        old.as_object_mut().unwrap().remove("details_omitted");
        let mut activity = serde_json::to_value(ActivityFields::default()).unwrap();
        activity.as_object_mut().unwrap().remove("omitted");
        assert_eq!(
            serde_json::from_value::<SyncFields>(old).unwrap(),
            SyncFields::default()
        );
        assert_eq!(
            serde_json::from_value::<ActivityFields>(activity).unwrap(),
            ActivityFields::default()
        );
    }

    #[test]
    fn what_could_not_be_read_has_no_figures() {
        let mut activity = ActivityFields::default();
        activity.summary[Track::Main].active = 3;
        assert_eq!(activity.figures()["main_active"], 3);
        let text = serde_json::to_value(&activity).unwrap();
        assert!(text.get("unknown").is_none(), "{text}");
        activity.unknown = true;
        assert!(activity.figures().is_empty());
        let text = serde_json::to_value(&activity).unwrap();
        assert_eq!(text["unknown"], true);
        assert_eq!(
            serde_json::from_value::<ActivityFields>(text).unwrap(),
            activity
        );

        let mut supervisor = SupervisorFields::default();
        supervisor.tracks[Track::Main].problems = 2;
        supervisor.tracks[Track::Dashboard].health = Health::Unknown;
        let figures = supervisor.figures();
        assert_eq!(figures["main_problems"], 2);
        assert!(
            figures.keys().all(|k| k.starts_with("main_")),
            "{figures:?}"
        );
        assert_eq!(
            serde_json::to_value(Health::Unknown).unwrap(),
            serde_json::json!("unknown")
        );
        assert_eq!(Health::Unknown.to_string(), "unknown");
    }

    #[test]
    fn every_component_has_its_fields_type() {
        struct Of;
        impl FieldsVisitor for Of {
            type Output = Component;
            fn visit<F: Fields>(self) -> Component {
                F::COMPONENT
            }
        }
        for component in Component::ALL {
            assert_eq!(for_fields(component, Of), component);
        }
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
                    app: None,
                    listing: Some(Listing {
                        mode: ListingMode::Delta,
                        reason: None,
                        since: Some("2026-11-23T04:00:00Z".parse().unwrap()),
                        listed: 3,
                    }),
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
                details_omitted: Omitted::default(),
                track_conflicts: vec![12],
                track_conflicts_omitted: Omitted::default(),
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
            "rate_limit_remaining": 4996,
            "listing": {
              "mode": "delta",
              "since": "2026-11-23T04:00:00Z",
              "listed": 3
            }
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
          "details_omitted": {
            "count": 0,
            "pieces": 0
          },
          "track_conflicts": [
            12
          ],
          "track_conflicts_omitted": {
            "count": 0,
            "pieces": 0
          },
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
