//! The organisation overview: when Codex manages several repositories, each has its own
//! subtree of the pages tree (`<owner>/<name>/telemetry/…`, `<owner>/<name>/dashboard/…`) and
//! the root gets `federation.json`, one row per repository derived from that repository's
//! `dashboard.json`, plus the organisation page (`index.html`, `org.js`, `org.css`,
//! `styles.css`) that renders it.
//!
//! [`federate`] is pure: it decides every row from the [`Dashboard`]s it is given. [`run`]
//! finds the dashboards under a pages root, skips the unreadable ones with a warning (one
//! repository's broken file never blanks the overview) and writes the files.
//!
//! `federation.json` is described by a JSON Schema generated from [`Federation`] and checked in
//! at `docs/federation.schema.json`: the page's `org.js` depends on its keys.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::RepoSlug;
use crate::jobs::merge::{DASHBOARD_FILES, Dashboard};
use crate::pages::{DASHBOARD_MAX_BYTES, to_json, write_atomic};
use crate::rules::{PerTrack, Track};
use crate::telemetry::{Component, Envelope, Health, Status, SupervisorFields, SyncFields};

/// The overview's file name, at the root of the pages tree.
pub const FEDERATION_FILE: &str = "federation.json";

/// The most of a `federation.json` read back (for the last run's `pending`).
pub const FEDERATION_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// The version of the `federation.json` format this build writes.
pub const FEDERATION_SCHEMA_VERSION: u32 = 1;

/// Supervisor runs kept per repository in [`RepoRow::trend`].
pub const TREND_LIMIT: usize = 12;

/// Reasons kept per repository in [`RepoRow::reasons`].
pub const REASONS_LIMIT: usize = 5;

/// Data older than this is not fresh (the same 12 hours as the repository dashboard).
pub const FRESH_FOR: Duration = Duration::hours(12);

/// The organisation page files, embedded at build time, by the name they get at the root of
/// the pages tree. `styles.css` and `dom.js` are the repository dashboard's, shared.
pub const FEDERATION_FILES: [(&str, &str); 3] = [
    (
        "index.html",
        include_str!("../../../../docs/dashboard/org.html"),
    ),
    ("org.js", include_str!("../../../../docs/dashboard/org.js")),
    (
        "org.css",
        include_str!("../../../../docs/dashboard/org.css"),
    ),
];

/// One repository's verdict, in the repository dashboard's words.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Overall {
    /// Every component reported ok, recently, and both tracks are healthy.
    Ok,
    /// Something is worth a look (a warning, a degraded track, stale telemetry, …).
    Attention,
    /// A component failed, a track is failing, or the pipeline has been silent.
    Failing,
    /// No component has reported yet.
    Nodata,
}

/// One track of one repository, from its latest supervisor run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TrackRow {
    /// The verdict; `null` when the repository has no readable supervisor telemetry.
    pub health: Option<Health>,
    /// Open managed issues.
    pub open: u64,
    /// Stale.
    pub stale: u64,
    /// Escalated.
    pub escalated: u64,
    /// Label and milestone problems.
    pub problems: u64,
}

/// One supervisor run of a repository, for the trend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TrendPoint {
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// Its status.
    pub status: Status,
    /// Problems plus stale plus escalated, over both tracks.
    pub attention: u64,
}

/// One repository's row of the overview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RepoRow {
    /// `owner/name` (from the pages tree's directories, never from the file's contents).
    pub repo: String,
    /// The repository's page on its server, when its dashboard says so and it is an
    /// `http(s)://` URL.
    pub web_url: Option<String>,
    /// Its dashboard, relative to `federation.json`: `owner/name/dashboard/`.
    pub dashboard: String,
    /// The verdict.
    pub overall: Overall,
    /// Why, at most [`REASONS_LIMIT`] sentences, the worst first.
    pub reasons: Vec<String>,
    /// Per track (`main`, `dashboard`).
    pub tracks: PerTrack<TrackRow>,
    /// Corrections the latest sync run made; `null` without sync telemetry.
    pub corrections: Option<u64>,
    /// Warnings of the latest run of every component, plus the merge's own.
    pub warnings: u64,
    /// Errors of the latest run of every component.
    pub errors: u64,
    /// When the latest component run finished.
    pub last_run: Option<DateTime<Utc>>,
    /// Seconds from `last_run` to the overview's `generated_at` (negative: clock skew).
    pub age_seconds: Option<i64>,
    /// `last_run` is within [`FRESH_FOR`] of `generated_at`.
    pub fresh: bool,
    /// The latest supervisor runs, at most [`TREND_LIMIT`], oldest first.
    pub trend: Vec<TrendPoint>,
}

/// How many repositories have each verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Totals {
    /// Repositories shown.
    pub repositories: u64,
    /// [`Overall::Ok`].
    pub ok: u64,
    /// [`Overall::Attention`].
    pub attention: u64,
    /// [`Overall::Failing`].
    pub failing: u64,
    /// [`Overall::Nodata`].
    pub nodata: u64,
}

/// `federation.json` (CONTRACT.md section 4), keys in contract order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Codex organisation overview data")]
pub struct Federation {
    /// [`FEDERATION_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// When written.
    pub generated_at: DateTime<Utc>,
    /// Verdict counts.
    pub totals: Totals,
    /// One row per repository, ordered by `repo`.
    pub repositories: Vec<RepoRow>,
    /// Repositories not reached by the latest run (the budget ran out): they go first next
    /// time.
    pub pending: Vec<String>,
    /// Dashboards that could not be read, one sentence each.
    pub warnings: Vec<String>,
}

/// Build the overview (pure): one row per `(repository, its dashboard)`, ordered by
/// repository, as of `now`. The repository's name comes from the slug, never from the
/// dashboard's contents; everything else in a row is derived from its dashboard.
pub fn federate(
    rows_in: &[(RepoSlug, Dashboard)],
    pending: &[RepoSlug],
    now: DateTime<Utc>,
) -> Federation {
    let mut repositories: Vec<RepoRow> = rows_in.iter().map(|(s, d)| row(s, d, now)).collect();
    repositories.sort_by(|a, b| a.repo.cmp(&b.repo));
    let mut totals = Totals {
        repositories: repositories.len() as u64,
        ..Totals::default()
    };
    for r in &repositories {
        *match r.overall {
            Overall::Ok => &mut totals.ok,
            Overall::Attention => &mut totals.attention,
            Overall::Failing => &mut totals.failing,
            Overall::Nodata => &mut totals.nodata,
        } += 1;
    }
    let mut pending: Vec<String> = pending.iter().map(ToString::to_string).collect();
    pending.sort();
    pending.dedup();
    Federation {
        schema_version: FEDERATION_SCHEMA_VERSION,
        generated_at: now,
        totals,
        repositories,
        pending,
        warnings: Vec::new(),
    }
}

/// Failing and attention reasons, gathered in order of discovery.
#[derive(Default)]
struct Reasons {
    failing: Vec<String>,
    attention: Vec<String>,
}

fn row(slug: &RepoSlug, dash: &Dashboard, now: DateTime<Utc>) -> RepoRow {
    let mut why = Reasons::default();
    let mut warnings = dash.warnings.len() as u64;
    let mut errors = 0u64;
    let mut last_run: Option<DateTime<Utc>> = None;
    let mut present = 0;
    if now - dash.generated_at > FRESH_FOR {
        why.failing
            .push("the pipeline has been silent: the dashboard is over 12 hours old".into());
    }
    for component in Component::ALL {
        let Some(doc) = dash.get(component) else {
            why.attention
                .push(format!("{}: no data yet", component.name()));
            continue;
        };
        present += 1;
        let Ok(envelope) = serde_json::from_value::<Envelope>(doc.clone()) else {
            why.attention
                .push(format!("{}: telemetry not understood", component.name()));
            continue;
        };
        warnings += envelope.warnings.len() as u64;
        errors += envelope.errors.len() as u64;
        last_run = last_run.max(Some(envelope.finished_at));
        match envelope.status {
            Status::Error => why.failing.push(format!("{} failed", component.name())),
            Status::Warning => why.attention.push(format!("{}: warning", component.name())),
            Status::Skipped => why
                .attention
                .push(format!("{} was skipped", component.name())),
            Status::Ok => {}
        }
        if now - envelope.finished_at > FRESH_FOR {
            why.attention
                .push(format!("{} telemetry is stale", component.name()));
        }
    }
    let supervisor = dash
        .supervisor
        .as_ref()
        .and_then(|v| serde_json::from_value::<SupervisorFields>(v.clone()).ok());
    let tracks = PerTrack::from_fn(|track| match &supervisor {
        Some(s) => {
            let t = &s.tracks[track];
            TrackRow {
                health: Some(t.health),
                open: t.open,
                stale: t.stale,
                escalated: t.escalated,
                problems: t.problems,
            }
        }
        None => TrackRow::default(),
    });
    for track in Track::ALL {
        let t = &tracks[track];
        let name = track_name(track);
        match t.health {
            Some(Health::Failing) => why.failing.push(format!("{name} track failing")),
            Some(Health::Degraded) => why.attention.push(format!("{name} track degraded")),
            Some(Health::Unknown) => why.attention.push(format!("{name} track unknown")),
            Some(Health::Healthy) | None => {}
        }
        if supervisor
            .as_ref()
            .is_some_and(|s| s.tracks[track].deteriorating)
        {
            why.attention.push(format!("{name} track is deteriorating"));
        }
    }
    if dash.supervisor.is_some() && supervisor.is_none() {
        why.attention
            .push("Supervisor: track figures not understood".into());
    }
    if !dash.stale_components.is_empty() {
        why.attention.push(format!(
            "shown from an earlier merge: {}",
            dash.stale_components.join(", ")
        ));
    }
    if !dash.warnings.is_empty() {
        why.attention.push(format!(
            "telemetry-merge: {} warning(s)",
            dash.warnings.len()
        ));
    }
    let corrections = dash
        .sync
        .as_ref()
        .and_then(|v| serde_json::from_value::<SyncFields>(v.clone()).ok())
        .map(|s| {
            let c = s.corrections;
            c.codex_label + c.track_main + c.track_dashboard + c.milestone + c.project_adjustments
        });
    let overall = if present == 0 {
        Overall::Nodata
    } else if !why.failing.is_empty() {
        Overall::Failing
    } else if !why.attention.is_empty() {
        Overall::Attention
    } else {
        Overall::Ok
    };
    let mut reasons = if present == 0 {
        vec!["no component has reported telemetry yet".to_owned()]
    } else {
        why.failing.into_iter().chain(why.attention).collect()
    };
    reasons.truncate(REASONS_LIMIT);
    let history = dash
        .history
        .get(Component::Supervisor.dashboard_key())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let trend = history[history.len().saturating_sub(TREND_LIMIT)..]
        .iter()
        .map(|h| TrendPoint {
            finished_at: h.finished_at,
            status: h.status,
            attention: h
                .figures
                .iter()
                .filter(|(k, _)| {
                    k.ends_with("_problems") || k.ends_with("_stale") || k.ends_with("_escalated")
                })
                .map(|(_, v)| *v)
                .sum(),
        })
        .collect();
    let age_seconds = last_run.map(|t| (now - t).num_seconds());
    RepoRow {
        repo: slug.to_string(),
        web_url: dash
            .web_url
            .clone()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        dashboard: format!("{}/{}/dashboard/", slug.owner, slug.name),
        overall,
        reasons,
        tracks,
        corrections,
        warnings,
        errors,
        last_run,
        age_seconds,
        fresh: last_run.is_some_and(|t| now - t <= FRESH_FOR),
        trend,
    }
}

fn track_name(track: Track) -> &'static str {
    match track {
        Track::Main => "Main",
        Track::Dashboard => "Dashboard",
    }
}

/// The JSON Schema of `federation.json`, as checked in at `docs/federation.schema.json`.
pub fn json_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<Federation>().to_value();
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "$id".into(),
            "https://github.com/acme/codex/docs/federation.schema.json".into(),
        );
        object.insert(
            "description".into(),
            format!(
                "federation.json (schema_version {FEDERATION_SCHEMA_VERSION}): at the root of a pages tree of several repositories, one row per repository derived from <owner>/<name>/dashboard/dashboard.json"
            )
            .into(),
        );
    }
    schema
}

/// Result of an overview run.
#[derive(Debug, Clone)]
pub struct FederationOutcome {
    /// The overview written.
    pub federation: Federation,
    /// Where `federation.json` went.
    pub path: PathBuf,
    /// Lines for people.
    pub summary: Vec<String>,
}

/// What [`scan`] found under a pages root.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// Each repository with its dashboard, ordered by repository.
    pub dashboards: Vec<(RepoSlug, Dashboard)>,
    /// The repositories left out, one sentence each.
    pub warnings: Vec<String>,
}

/// Read every `<owner>/<name>/dashboard/dashboard.json` under `pages_root` (directories only,
/// symlinks to outside the tree, FIFOs and oversized files refused), ordered by repository.
/// A directory pair that is not an `owner/name` is not a repository and is passed over in
/// silence; a repository whose dashboard cannot be read or parsed is left out with a warning.
pub fn scan(pages_root: &Path) -> crate::Result<Scan> {
    let io = |action: &'static str, path: &Path| {
        let path = path.display().to_string();
        move |source| crate::Error::Io {
            action,
            path,
            source,
        }
    };
    let root = std::fs::canonicalize(pages_root).map_err(io("reading", pages_root))?;
    let mut found = Vec::new();
    let mut warnings = Vec::new();
    for owner in subdirs(&root)? {
        for name in subdirs(&root.join(&owner))? {
            let Ok(slug) = RepoSlug::parse(&format!("{owner}/{name}")) else {
                continue;
            };
            let path = root
                .join(&owner)
                .join(&name)
                .join("dashboard/dashboard.json");
            if std::fs::symlink_metadata(&path).is_err() {
                warnings.push(format!("{slug}: no dashboard/dashboard.json yet"));
                continue;
            }
            let parsed =
                crate::pages::read_regular(&path, &root, DASHBOARD_MAX_BYTES).and_then(|bytes| {
                    serde_json::from_slice::<Dashboard>(&bytes).map_err(|e| e.to_string())
                });
            match parsed {
                Ok(dash) => found.push((slug, dash)),
                Err(reason) => {
                    warnings.push(format!("{slug}: dashboard.json not used: {reason}"));
                }
            }
        }
    }
    found.sort_by_cached_key(|(slug, _)| slug.to_string());
    Ok(Scan {
        dashboards: found,
        warnings,
    })
}

/// Names of the real directories (not symlinks) in `dir`, sorted; hidden ones left out.
fn subdirs(dir: &Path) -> crate::Result<Vec<String>> {
    let entries = std::fs::read_dir(dir).map_err(|source| crate::Error::Io {
        action: "listing",
        path: dir.display().to_string(),
        source,
    })?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    Ok(names)
}

/// Write the organisation overview at the root of `pages_root`: `federation.json` from every
/// repository's dashboard found there ([`scan`], [`federate`]), with `pending` the
/// repositories the run did not reach, then the page files ([`FEDERATION_FILES`] and the
/// dashboard's `styles.css`).
pub fn run(
    pages_root: &Path,
    pending: &[RepoSlug],
    now: DateTime<Utc>,
) -> crate::Result<FederationOutcome> {
    let found = scan(pages_root)?;
    let mut federation = federate(&found.dashboards, pending, now);
    federation.warnings = found.warnings;
    let path = pages_root.join(FEDERATION_FILE);
    let federation = crate::redact::scrub(&federation).map_err(|e| crate::Error::Io {
        action: "redacting",
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    write_atomic(&path, &to_json(&federation)?)?;
    let styles = DASHBOARD_FILES
        .iter()
        .filter(|(n, _)| matches!(*n, "styles.css" | "dom.js"));
    for (name, content) in FEDERATION_FILES.iter().chain(styles) {
        write_atomic(&pages_root.join(name), content.as_bytes())?;
    }
    for w in &federation.warnings {
        tracing::warn!("{w}");
    }
    let t = &federation.totals;
    let summary = vec![format!(
        "federation: {} repositories ({} ok, {} attention, {} failing, {} without data) in {} ({} warnings)",
        t.repositories,
        t.ok,
        t.attention,
        t.failing,
        t.nodata,
        path.display(),
        federation.warnings.len()
    )];
    Ok(FederationOutcome {
        federation,
        path,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::merge::HistoryEntry;
    use crate::telemetry::{Corrections, Telemetry, TrackHealth, test_envelope};

    /// The checked-in schema must match the types. Regenerate with
    /// `CODEX_UPDATE_SCHEMA=1 cargo nextest run -p codex-core schema`.
    #[test]
    fn checked_in_federation_schema_is_up_to_date() {
        crate::telemetry::check_schema_file("federation.schema.json", &json_schema());
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn slug(s: &str) -> RepoSlug {
        RepoSlug::parse(s).unwrap()
    }

    fn empty(repo: &str, generated: &str) -> Dashboard {
        Dashboard::empty(repo, &format!("https://github.com/{repo}"), t(generated))
    }

    fn doc<F: crate::telemetry::Fields>(finished: &str, status: Status, fields: F) -> Value {
        let mut envelope = test_envelope(F::COMPONENT, "r1", finished);
        envelope.status = status;
        serde_json::to_value(Telemetry { envelope, fields }).unwrap()
    }

    /// Every component ok at `finished`, tracks healthy.
    fn all_ok(repo: &str, finished: &str) -> Dashboard {
        let mut d = empty(repo, finished);
        d.cleaner = Some(doc(
            finished,
            Status::Ok,
            crate::telemetry::CleanerFields::default(),
        ));
        d.sync = Some(doc(finished, Status::Ok, SyncFields::default()));
        d.integrity = Some(doc(
            finished,
            Status::Ok,
            crate::telemetry::IntegrityFields::default(),
        ));
        d.supervisor = Some(doc(finished, Status::Ok, SupervisorFields::default()));
        d.activity = Some(doc(
            finished,
            Status::Ok,
            crate::telemetry::ActivityFields::default(),
        ));
        d.diagnostics = Some(doc(
            finished,
            Status::Ok,
            crate::telemetry::DiagnosticsFields::default(),
        ));
        d.selftest = Some(doc(
            finished,
            Status::Ok,
            crate::telemetry::SelfTestFields::default(),
        ));
        d
    }

    #[test]
    fn counts_corrections_and_verdicts_come_from_each_dashboard() {
        let now = t("2026-03-01T12:00:00Z");
        let healthy = all_ok("acme/b", "2026-03-01T11:00:00Z");
        let mut failing = all_ok("acme/a", "2026-03-01T11:30:00Z");
        let mut sup = SupervisorFields::default();
        sup.tracks[Track::Main] = TrackHealth {
            open: 40,
            stale: 3,
            escalated: 2,
            problems: 5,
            health: Health::Failing,
            ..TrackHealth::default()
        };
        sup.tracks[Track::Dashboard].open = 7;
        failing.supervisor = Some(doc("2026-03-01T11:30:00Z", Status::Warning, sup));
        failing.sync = Some(doc(
            "2026-03-01T11:30:00Z",
            Status::Ok,
            SyncFields {
                corrections: Corrections {
                    codex_label: 2,
                    milestone: 3,
                    project_adjustments: 1,
                    ..Corrections::default()
                },
                ..SyncFields::default()
            },
        ));
        failing.warnings.push("merge skipped a file".into());
        let mut errored = test_envelope(Component::Cleaner, "r2", "2026-03-01T11:45:00Z");
        errored.status = Status::Error;
        errored.errors = vec!["boom".into(), "bang".into()];
        errored.warnings = vec!["careful".into()];
        failing.cleaner = Some(
            serde_json::to_value(Telemetry {
                envelope: errored,
                fields: crate::telemetry::CleanerFields::default(),
            })
            .unwrap(),
        );
        let nothing = empty("acme/c", "2026-03-01T11:00:00Z");

        let fed = federate(
            &[
                (slug("acme/b"), healthy),
                (slug("acme/c"), nothing),
                (slug("acme/a"), failing),
            ],
            &[slug("acme/z"), slug("acme/y"), slug("acme/z")],
            now,
        );
        let names: Vec<&str> = fed.repositories.iter().map(|r| r.repo.as_str()).collect();
        assert_eq!(names, ["acme/a", "acme/b", "acme/c"]);
        assert_eq!(fed.pending, ["acme/y", "acme/z"]);
        assert_eq!(
            fed.totals,
            Totals {
                repositories: 3,
                ok: 1,
                attention: 0,
                failing: 1,
                nodata: 1
            }
        );

        let a = &fed.repositories[0];
        assert_eq!(a.overall, Overall::Failing);
        assert_eq!(a.reasons[0], "cleaner failed", "{:?}", a.reasons);
        assert!(a.reasons.contains(&"Main track failing".to_owned()));
        assert_eq!(a.tracks[Track::Main].open, 40);
        assert_eq!(a.tracks[Track::Main].stale, 3);
        assert_eq!(a.tracks[Track::Main].escalated, 2);
        assert_eq!(a.tracks[Track::Main].health, Some(Health::Failing));
        assert_eq!(a.tracks[Track::Dashboard].open, 7);
        assert_eq!(a.corrections, Some(6));
        assert_eq!(a.errors, 2);
        assert_eq!(a.warnings, 2, "the cleaner's warning and the merge's");
        assert_eq!(a.last_run, Some(t("2026-03-01T11:45:00Z")));
        assert_eq!(a.age_seconds, Some(15 * 60));
        assert_eq!(a.dashboard, "acme/a/dashboard/");

        let b = &fed.repositories[1];
        assert_eq!(b.overall, Overall::Ok, "{:?}", b.reasons);
        assert_eq!(b.corrections, Some(0));
        assert!(b.fresh);

        let c = &fed.repositories[2];
        assert_eq!(c.overall, Overall::Nodata);
        assert_eq!(c.tracks[Track::Main].health, None);
        assert_eq!(c.corrections, None);
        assert_eq!(c.last_run, None);
        assert!(!c.fresh);
    }

    #[test]
    fn freshness_is_measured_from_the_latest_run() {
        let now = t("2026-03-02T12:00:00Z");
        let old = all_ok("acme/old", "2026-03-01T23:59:00Z");
        let mut future = all_ok("acme/skew", "2026-03-02T12:00:00Z");
        future.activity = Some(doc(
            "2026-03-02T12:05:00Z",
            Status::Ok,
            crate::telemetry::ActivityFields::default(),
        ));
        let fed = federate(
            &[(slug("acme/old"), old), (slug("acme/skew"), future)],
            &[],
            now,
        );
        let old = &fed.repositories[0];
        assert!(!old.fresh);
        assert_eq!(old.age_seconds, Some(12 * 3600 + 60));
        assert_eq!(old.overall, Overall::Failing, "silent for over 12 hours");
        assert!(old.reasons[0].contains("silent"), "{:?}", old.reasons);
        let skew = &fed.repositories[1];
        assert!(skew.fresh);
        assert_eq!(skew.age_seconds, Some(-300));
    }

    #[test]
    fn hostile_dashboard_contents_are_data_and_never_the_name() {
        let now = t("2026-03-01T12:00:00Z");
        let mut d = all_ok("<img src=x onerror=alert(1)>/x", "2026-03-01T11:00:00Z");
        d.web_url = Some("javascript:alert(1)".into());
        d.warnings
            .push("<script>alert(1)</script>\u{202e}txt.exe".into());
        let mut sup = doc(
            "2026-03-01T11:00:00Z",
            Status::Ok,
            SupervisorFields::default(),
        );
        sup["tracks"]["main"]["open"] = "lots".into();
        d.supervisor = Some(sup);
        let fed = federate(&[(slug("acme/widgets"), d)], &[], now);
        let r = &fed.repositories[0];
        assert_eq!(r.repo, "acme/widgets");
        assert_eq!(r.dashboard, "acme/widgets/dashboard/");
        assert_eq!(r.web_url, None, "only http(s) URLs are kept");
        assert_eq!(r.warnings, 1);
        assert_eq!(
            r.tracks[Track::Main].health,
            None,
            "malformed supervisor fields are not guessed at"
        );
        assert_eq!(r.overall, Overall::Attention, "{:?}", r.reasons);
    }

    #[test]
    fn the_trend_is_the_latest_supervisor_runs_oldest_first() {
        let now = t("2026-03-01T12:00:00Z");
        let mut d = all_ok("acme/w", "2026-03-01T11:00:00Z");
        let runs: Vec<HistoryEntry> = (0..20u64)
            .map(|i| HistoryEntry {
                run_id: format!("r{i}"),
                finished_at: t("2026-03-01T00:00:00Z") + Duration::minutes(i as i64),
                status: Status::Ok,
                figures: [
                    ("main_problems".to_owned(), i),
                    ("dashboard_stale".to_owned(), 1),
                    ("main_open".to_owned(), 100),
                ]
                .into(),
            })
            .collect();
        d.history.insert("supervisor".into(), runs);
        let fed = federate(&[(slug("acme/w"), d)], &[], now);
        let trend: Vec<u64> = fed.repositories[0]
            .trend
            .iter()
            .map(|p| p.attention)
            .collect();
        assert_eq!(trend, (8..20).map(|i| i + 1).collect::<Vec<u64>>());
    }

    #[test]
    fn run_reads_every_subtree_and_skips_broken_ones_with_a_warning() {
        let now = t("2026-03-01T12:00:00Z");
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let put = |rel: &str, bytes: &[u8]| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        };
        let good = all_ok("acme/good", "2026-03-01T11:00:00Z");
        put(
            "acme/good/dashboard/dashboard.json",
            &to_json(&good).unwrap(),
        );
        put("acme/broken/dashboard/dashboard.json", b"{not json");
        put("acme/telemetry-only/telemetry/x.json", b"{}");
        put("dashboard/dashboard.json", b"{}");
        put("not a slug/x y/dashboard/dashboard.json", b"{}");
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("dashboard.json");
        std::fs::write(&secret, to_json(&good).unwrap()).unwrap();
        std::fs::create_dir_all(root.join("acme/linked/dashboard")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&secret, root.join("acme/linked/dashboard/dashboard.json"))
            .unwrap();
        let out = run(root, &[slug("acme/later")], now).unwrap();
        let fed = &out.federation;
        let names: Vec<&str> = fed.repositories.iter().map(|r| r.repo.as_str()).collect();
        assert_eq!(names, ["acme/good"]);
        assert_eq!(fed.pending, ["acme/later"]);
        assert_eq!(fed.warnings.len(), 3, "{:?}", fed.warnings);
        assert!(fed.warnings[0].starts_with("acme/broken: dashboard.json not used"));
        assert!(
            fed.warnings[1].contains("a symlink out of the pages tree"),
            "{:?}",
            fed.warnings
        );
        assert!(fed.warnings[2].starts_with("acme/telemetry-only: no dashboard"));
        let written: Federation =
            serde_json::from_slice(&std::fs::read(root.join("federation.json")).unwrap()).unwrap();
        assert_eq!(&written, fed);
        for name in ["index.html", "dom.js", "org.js", "org.css", "styles.css"] {
            assert!(root.join(name).is_file(), "{name}");
        }
    }
}
