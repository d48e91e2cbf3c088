//! `codex-telemetry-merge` end to end: the contract's keys, the latest valid file per
//! component, `null` for a component without telemetry, and a malformed file never blanking
//! the dashboard.

use chrono::Duration;
use codex_core::Component;
use serde_json::Value;
use tempfile::TempDir;

use crate::common::{
    DASHBOARD_SCHEMA, REPO, Run, TELEMETRY_SCHEMA, clean_command, fake_telemetry, read_dashboard,
    strings, write_telemetry,
};

/// `generated_at`, `repo`, then one key per telemetry-writing component.
fn contract_keys() -> Vec<&'static str> {
    ["generated_at", "repo"]
        .into_iter()
        .chain(Component::ALL.map(Component::dashboard_key))
        .collect()
}

/// Merge with no token and no API: telemetry-merge needs neither.
fn merge(pages: &TempDir) -> (Run, Value) {
    let run: Run = clean_command("codex-telemetry-merge")
        .env("GITHUB_REPOSITORY", REPO)
        .env("CODEX_PAGES_DIR", pages.path())
        .output()
        .expect("runs")
        .into();
    run.expect_code(0);
    let dashboard = read_dashboard(pages.path());
    (run, dashboard)
}

#[test]
fn merge_keeps_the_latest_valid_data_and_survives_malformed_files() {
    let pages = tempfile::tempdir().expect("tempdir");
    let p = pages.path();
    write_telemetry(
        p,
        "sync",
        "older",
        &fake_telemetry("sync", "older", Duration::hours(5)),
    );
    write_telemetry(
        p,
        "sync",
        "newer",
        &fake_telemetry("sync", "newer", Duration::hours(1)),
    );
    write_telemetry(
        p,
        "activity",
        "good",
        &fake_telemetry("activity", "good", Duration::hours(2)),
    );
    // Malformed: not JSON, a wrong component, an unknown schema version.
    std::fs::write(
        p.join("telemetry/supervisor-broken.json"),
        b"{\"schema_version\": 1, trunc",
    )
    .expect("write");
    write_telemetry(
        p,
        "diagnostics",
        "liar",
        &fake_telemetry("sync", "liar", Duration::hours(1)),
    );
    let mut future = fake_telemetry("sync", "future", Duration::zero());
    future["schema_version"] = 99.into();
    write_telemetry(p, "sync", "future", &future);

    let (run, dash) = merge(&pages);
    let keys: Vec<&str> = dash
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    for key in contract_keys() {
        assert!(keys.contains(&key), "dashboard.json lacks {key}: {keys:?}");
    }
    assert_eq!(dash["repo"], REPO);
    // no --api-url: the repository's page on github.com
    assert_eq!(dash["web_url"], format!("https://github.com/{REPO}"));
    assert_eq!(
        dash["sync"]["marker"], "newer",
        "latest valid sync by finished_at"
    );
    assert_eq!(dash["activity"]["marker"], "good");
    for missing in ["supervisor", "cleaner", "selftest", "diagnostics"] {
        assert_eq!(
            dash[missing],
            Value::Null,
            "{missing} has no valid telemetry"
        );
    }
    let warnings = strings(&dash["warnings"]);
    for file in [
        "supervisor-broken.json",
        "diagnostics-liar.json",
        "sync-future.json",
    ] {
        assert!(
            warnings.iter().any(|w| w.contains(file)),
            "no warning for {file}: {warnings:?}"
        );
    }
    assert!(run.stdout.contains("2 of 7 components"), "{}", run.stdout);
    for file in ["index.html", "dom.js", "app.js", "styles.css"] {
        let path = p.join("dashboard").join(file);
        assert!(
            std::fs::metadata(&path).is_ok_and(|m| m.len() > 0),
            "{file}"
        );
    }

    // The only activity file goes bad (a truncated upload): the previous data stays.
    std::fs::remove_file(p.join("telemetry/activity-good.json")).expect("remove");
    std::fs::write(p.join("telemetry/activity-later.json"), b"").expect("write");
    let (_, dash) = merge(&pages);
    assert_eq!(
        dash["activity"]["marker"], "good",
        "a malformed file blanked the dashboard"
    );
    assert!(strings(&dash["stale_components"]).contains(&"activity".to_owned()));
    assert!(
        strings(&dash["warnings"])
            .iter()
            .any(|w| w.contains("activity-later.json"))
    );
    assert_eq!(dash["sync"]["marker"], "newer");

    // A newer valid file replaces it and clears the staleness.
    write_telemetry(
        p,
        "activity",
        "fresh",
        &fake_telemetry("activity", "fresh", Duration::minutes(1)),
    );
    let (_, dash) = merge(&pages);
    assert_eq!(dash["activity"]["marker"], "fresh");
    assert!(!strings(&dash["stale_components"]).contains(&"activity".to_owned()));
}

#[test]
fn merge_of_nothing_writes_a_dashboard_of_nulls() {
    let pages = tempfile::tempdir().expect("tempdir");
    let (_, dash) = merge(&pages);
    for key in &contract_keys()[2..] {
        assert_eq!(dash[*key], Value::Null, "{key}");
    }
    assert!(
        dash["generated_at"]
            .as_str()
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok())
    );
}

#[test]
fn the_checked_in_schemas_reject_a_renamed_field() {
    let mut doc = fake_telemetry("sync", "renamed", Duration::zero());
    assert!(TELEMETRY_SCHEMA.is_valid(&doc));
    let scanned = doc
        .as_object_mut()
        .and_then(|d| d.remove("scanned"))
        .expect("scanned");
    doc["scanned_items"] = scanned;
    assert!(!TELEMETRY_SCHEMA.is_valid(&doc));

    let pages = tempfile::tempdir().expect("tempdir");
    write_telemetry(
        pages.path(),
        "activity",
        "a",
        &fake_telemetry("activity", "a", Duration::hours(1)),
    );
    let (_, mut dash) = merge(&pages);
    assert!(dash["activity"].is_object());
    dash["activity"]["summary"]["dashboard"]["escalated"] =
        dash["activity"]["summary"]["dashboard"]
            .as_object_mut()
            .and_then(|c| c.remove("escalation"))
            .expect("escalation");
    assert!(!DASHBOARD_SCHEMA.is_valid(&dash));
}
