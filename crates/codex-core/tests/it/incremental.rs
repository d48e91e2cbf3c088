//! Incremental runs (issue 16): with a cache directory, a rerun of the whole pipeline asks
//! GitHub only for what changed since its snapshot, still sees a person's edit made a minute
//! ago, and lists everything again when told to or when the snapshot cannot be used. Request
//! counts are the sandbox's, exact where they do not depend on the repository's size.

use chrono::Utc;
use codex_core::jobs;
use codex_core::jobs::pipeline::{self, Quiet, Step, StepOutcome};
use codex_core::{CommonArgs, Config, Needs, Stop};
use codex_sandbox::{Sandbox, SandboxOptions, Scenario};
use serde_json::Value;

use crate::common::TOKEN;

const REPO: &str = "acme/widgets";

/// Between two scheduled runs (the sandbox's clock, which dates its answers and its edits).
const HOUR: i64 = 3_600;

struct Dirs {
    pages: tempfile::TempDir,
    cache: tempfile::TempDir,
}

/// A `large` sandbox of `issues` items, and fresh pages and cache directories.
async fn large(issues: usize) -> (Sandbox, Dirs) {
    start(SandboxOptions {
        scenario: Scenario::Large,
        issues,
        ..SandboxOptions::default()
    })
    .await
}

/// A sandbox, and fresh pages and cache directories.
async fn start(options: SandboxOptions) -> (Sandbox, Dirs) {
    let sandbox = Sandbox::start(options).await.unwrap();
    let dirs = Dirs {
        pages: tempfile::tempdir().unwrap(),
        cache: tempfile::tempdir().unwrap(),
    };
    (sandbox, dirs)
}

async fn run(
    sandbox: &Sandbox,
    dirs: &Dirs,
    run_id: &str,
    full: bool,
    env: &[(&str, &str)],
) -> Vec<Step> {
    let args = CommonArgs {
        repo: Some(REPO.into()),
        api_url: Some(sandbox.base_url()),
        pages_dir: Some(dirs.pages.path().to_path_buf()),
        cache_dir: Some(dirs.cache.path().to_path_buf()),
        run_id: Some(run_id.into()),
        full,
        ..CommonArgs::default()
    };
    let lookup = |name: &str| {
        if name == "GH_CI_PAT" {
            return Some(TOKEN.to_owned());
        }
        env.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    };
    let config = Config::resolve(&args, &lookup, Needs { token: true }, Utc::now()).unwrap();
    pipeline::run(
        &config,
        &jobs::Options::default(),
        &Stop::default(),
        &mut Quiet,
    )
    .await
}

/// What a component's run came to.
fn outcome<'a>(steps: &'a [Step], subcommand: &str) -> &'a jobs::Outcome<Value> {
    let step = steps
        .iter()
        .find(|s| s.info.subcommand == subcommand)
        .unwrap_or_else(|| panic!("{subcommand} ran"));
    let StepOutcome::Ran(outcome) = &step.outcome else {
        panic!("{subcommand} ran");
    };
    outcome
}

/// A component's telemetry as written.
fn telemetry(steps: &[Step], subcommand: &str) -> Value {
    let outcome = outcome(steps, subcommand);
    let mut v = serde_json::to_value(&outcome.telemetry.envelope).unwrap();
    for (k, f) in outcome.telemetry.fields.as_object().unwrap() {
        v[k] = f.clone();
    }
    v
}

fn mode(steps: &[Step], subcommand: &str) -> String {
    telemetry(steps, subcommand)["api"]["listing"]["mode"]
        .as_str()
        .unwrap_or("none")
        .to_owned()
}

/// Requests the sandbox answered, and those a rate limit counts (every one but a 304).
fn spent(sandbox: &Sandbox) -> (u64, u64) {
    let s = sandbox.stats();
    let requests = s["requests"].as_u64().unwrap();
    (requests, requests - s["not_modified"].as_u64().unwrap())
}

#[tokio::test]
async fn an_unchanged_rerun_costs_a_few_requests_and_still_sees_a_fresh_edit() {
    let (sandbox, dirs) = large(2_000).await;

    // First run: no snapshot, everything listed and repaired.
    let first = run(&sandbox, &dirs, "r1", false, &[]).await;
    assert_eq!(mode(&first, "project-sync"), "full");
    let reason = telemetry(&first, "project-sync")["api"]["listing"]["reason"].clone();
    assert_eq!(reason, "no snapshot yet");
    let repaired = telemetry(&first, "project-sync")["details_omitted"]["count"]
        .as_u64()
        .unwrap_or(0)
        + telemetry(&first, "project-sync")["details"]
            .as_array()
            .unwrap()
            .len() as u64;
    assert!(repaired > 100, "{repaired} repaired");
    // Supervisor and activity follow sync's writes with a delta of what sync changed.
    assert_eq!(mode(&first, "supervisor"), "delta");
    assert_eq!(mode(&first, "activity"), "reused");

    // Second run: the snapshot plus what the first run's writes changed.
    sandbox.advance_clock(HOUR);
    let second = run(&sandbox, &dirs, "r2", false, &[]).await;
    assert_eq!(mode(&second, "project-sync"), "delta");
    assert_eq!(
        telemetry(&second, "project-sync")["details"],
        serde_json::json!([]),
        "nothing left to repair"
    );

    // Third run over an unchanged repository (but for self-test's own issue and the
    // cleaner's closures): a handful of requests, whatever the repository's size.
    sandbox.reset_stats();
    sandbox.advance_clock(HOUR);
    let third = run(&sandbox, &dirs, "r3", false, &[]).await;
    let (requests, counted) = spent(&sandbox);
    for c in ["project-sync", "supervisor", "activity"] {
        assert_ne!(mode(&third, c), "full", "{c}");
    }
    assert_eq!(mode(&third, "activity"), "reused");
    let integrity = telemetry(&third, "integrity");
    assert_eq!(
        integrity["scanned_at"],
        telemetry(&first, "integrity")["scanned_at"],
        "the first run's full scan stands"
    );
    assert!(
        requests <= 30,
        "{requests} requests: {:#}",
        sandbox.stats()["by_route"]
    );
    let per_component: Vec<(String, Value)> = third
        .iter()
        .filter_map(|s| match &s.outcome {
            StepOutcome::Ran(o) => Some((
                s.info.subcommand.to_owned(),
                serde_json::to_value(&o.telemetry.envelope.api).unwrap(),
            )),
            _ => None,
        })
        .collect();
    eprintln!("unchanged rerun: {requests} requests, {counted} counted: {per_component:?}");
    assert!(
        counted <= 10,
        "{counted} counted: {:#} {per_component:#?}",
        sandbox.stats()
    );
    let sync_requests = telemetry(&third, "project-sync")["api"]["requests"]
        .as_u64()
        .unwrap();
    // Milestones (a 304) and the delta: no managed issue changed, so the Project is not asked.
    assert_eq!(sync_requests, 2, "sync: {sync_requests} requests");

    // A person edits an issue a moment before the next run: it is repaired, and it is the
    // only repair. Ten issues edited cost a few requests more, not a full listing.
    let victim = sandbox.with_state(|st| {
        let r = st.repo(REPO).unwrap();
        let open: Vec<u32> = r
            .issues()
            .iter()
            .filter(|i| i.open && !i.is_pull_request())
            .map(|i| i.number)
            .collect();
        open[open.len() / 2]
    });
    let victim_labels = sandbox.with_state(|st| {
        let r = st.repo(REPO).unwrap();
        r.label_names(r.issue(victim).unwrap())
    });
    assert!(
        victim_labels.iter().any(|l| l == "codex"),
        "{victim_labels:?}"
    );
    let kept: Vec<&str> = victim_labels
        .iter()
        .map(String::as_str)
        .filter(|l| *l != "codex")
        .collect();
    assert!(sandbox.with_state(|st| st.set_labels(REPO, victim, &kept)));
    let others: Vec<u32> = sandbox.with_state(|st| {
        st.repo(REPO)
            .unwrap()
            .issues()
            .iter()
            .filter(|i| i.open && !i.is_pull_request() && i.number != victim)
            .map(|i| i.number)
            .take(9)
            .collect()
    });
    for n in &others {
        sandbox.with_state(|st| st.touch(REPO, *n));
    }
    sandbox.reset_stats();
    sandbox.advance_clock(HOUR);
    let fourth = run(&sandbox, &dirs, "r4", false, &[]).await;
    let (requests, counted) = spent(&sandbox);
    eprintln!("ten issues changed: {requests} requests, {counted} counted");
    let sync = telemetry(&fourth, "project-sync");
    assert_eq!(sync["api"]["listing"]["mode"], "delta");
    assert_eq!(
        sync["details"],
        serde_json::json!([{"number": victim, "changes": ["add_codex_label"]}]),
        "the person's edit is seen and repaired, and nothing else is touched"
    );
    assert!(
        requests <= 40,
        "{requests} requests: {:#}",
        sandbox.stats()["by_route"]
    );
    let labels = sandbox.with_state(|st| {
        let r = st.repo(REPO).unwrap();
        r.label_names(r.issue(victim).unwrap())
    });
    assert!(labels.iter().any(|l| l == "codex"), "{labels:?}");

    // --full lists everything again (and finds nothing to repair: nothing drifted).
    sandbox.reset_stats();
    sandbox.advance_clock(HOUR);
    let full = run(&sandbox, &dirs, "r5", true, &[]).await;
    let sync = telemetry(&full, "project-sync");
    assert_eq!(sync["api"]["listing"]["mode"], "full");
    assert_eq!(sync["api"]["listing"]["reason"], "--full");
    assert_eq!(sync["details"], serde_json::json!([]));
    assert!(
        telemetry(&full, "integrity")["scanned_at"] != telemetry(&first, "integrity")["scanned_at"]
    );
    assert!(spent(&sandbox).0 > 40, "a full listing of 2,000 items");
}

#[tokio::test]
async fn a_damaged_snapshot_or_a_zero_resync_period_lists_everything() {
    let (sandbox, dirs) = start(SandboxOptions {
        scenario: Scenario::Demo,
        ..SandboxOptions::default()
    })
    .await;
    run(&sandbox, &dirs, "r1", false, &[]).await;
    let snapshots: Vec<_> = std::fs::read_dir(dirs.cache.path().join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    assert_eq!(snapshots.len(), 1, "{snapshots:?}");
    let whole = std::fs::read_to_string(&snapshots[0]).unwrap();
    assert!(!whole.contains(TOKEN));

    // Cut short, as a full disk would leave it.
    std::fs::write(&snapshots[0], &whole[..whole.len() / 2]).unwrap();
    let steps = run(&sandbox, &dirs, "r2", false, &[]).await;
    let listing = telemetry(&steps, "project-sync")["api"]["listing"].clone();
    assert_eq!(listing["mode"], "full", "{listing}");
    assert!(
        listing["reason"]
            .as_str()
            .unwrap()
            .starts_with("the snapshot is unusable"),
        "{listing}"
    );
    // ... and the run wrote a whole one again.
    let steps = run(&sandbox, &dirs, "r3", false, &[]).await;
    assert_eq!(mode(&steps, "project-sync"), "delta");

    // CODEX_FULL_RESYNC_HOURS=0: every run lists everything, and the scanner scans.
    let steps = run(
        &sandbox,
        &dirs,
        "r4",
        false,
        &[("CODEX_FULL_RESYNC_HOURS", "0")],
    )
    .await;
    assert_eq!(mode(&steps, "project-sync"), "full");
    // Sync found nothing to write, so what it listed is as good as new for the others.
    assert_eq!(mode(&steps, "supervisor"), "reused");
    let scanned_at = telemetry(&steps, "integrity")["scanned_at"].clone();
    let started_at = telemetry(&steps, "integrity")["started_at"].clone();
    assert_eq!(scanned_at, started_at);
}

/// A carried integrity scan keeps the rest of its bounded lists: the pieces the scan's run
/// wrote are written again under the carrying run's id (the dashboard takes only the pieces of
/// the run whose telemetry counts them), and pieces that cannot be read are said, not pointed at.
#[tokio::test]
async fn a_carried_scan_carries_the_pieces_of_its_lists() {
    let (sandbox, dirs) = large(300).await;
    let first = run(&sandbox, &dirs, "r1", false, &[]).await;
    // The scan found 1,400 more blocked issues on the main track than its list holds: give
    // its telemetry the omitted count and its run the pieces, as a scan of that size writes.
    let file = outcome(&first, "integrity")
        .written
        .as_ref()
        .expect("telemetry written")
        .clone();
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let pages = codex_core::Pages::new(
        dirs.pages.path(),
        codex_core::RepoSlug::parse(REPO).unwrap(),
        Utc::now(),
    );
    let rest: Vec<u64> = (10_000..11_400).collect();
    let omitted = pages
        .write_pieces(
            codex_core::Component::Integrity,
            "blocked_issues-main",
            "r1",
            &rest,
        )
        .unwrap();
    assert_eq!(omitted.pieces, 2);
    doc["fields"]["main"]["blocked_issues_omitted"] = serde_json::to_value(omitted).unwrap();
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();

    sandbox.advance_clock(HOUR);
    let second = run(&sandbox, &dirs, "r2", false, &[]).await;
    let integrity = telemetry(&second, "integrity");
    assert_eq!(
        integrity["scanned_at"], doc["scanned_at"],
        "the scan was carried"
    );
    assert_eq!(
        integrity["fields"]["main"]["blocked_issues_omitted"],
        serde_json::json!({"count": 1400, "pieces": 2})
    );
    let carried: Vec<u64> = pages
        .read_pieces(
            codex_core::Component::Integrity,
            "blocked_issues-main",
            "r2",
            codex_core::telemetry::Omitted {
                count: 1400,
                pieces: 2,
            },
        )
        .expect("the pieces are the carrying run's");
    assert_eq!(carried, rest);

    // A piece gone: the count stands, the pieces are not pointed at, and a warning says why.
    let details = dirs.pages.path().join("dashboard/details");
    std::fs::remove_file(details.join("integrity-blocked_issues-main-2.json")).unwrap();
    sandbox.advance_clock(HOUR);
    let third = run(&sandbox, &dirs, "r3", false, &[]).await;
    let integrity = telemetry(&third, "integrity");
    assert_eq!(
        integrity["fields"]["main"]["blocked_issues_omitted"],
        serde_json::json!({"count": 1400, "pieces": 0})
    );
    let warnings = integrity["warnings"].to_string();
    assert!(
        warnings.contains("blocked_issues-main")
            && warnings.contains("integrity-blocked_issues-main-2.json is missing"),
        "{warnings}"
    );
    assert!(
        !details
            .join("integrity-blocked_issues-main-1.json")
            .exists()
    );
}
