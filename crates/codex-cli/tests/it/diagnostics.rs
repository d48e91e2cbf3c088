//! `codex-diagnostics` end to end on an empty repository: what is missing is reported,
//! `--repair` creates labels and milestones (idempotently), and what it cannot create (the
//! Project, gh-pages) stays reported.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::{World, strings};

const LABELS: [&str; 4] = [
    "codex",
    "codex-trackmain",
    "codex-trackdashboard",
    "codex-selftest",
];
const MILESTONES: [&str; 3] = [
    "Codex Internal",
    "Codex Main Track",
    "Codex Dashboard Track",
];
const UNREPAIRABLE: [&str; 4] = [
    "project:Codex Dual-Track Development",
    "branch:gh-pages",
    "gh-pages:telemetry/",
    "gh-pages:dashboard/",
];

fn checks(t: &Value) -> BTreeMap<String, bool> {
    t["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().expect("name").to_owned(),
                c["ok"] == true,
            )
        })
        .collect()
}

fn expected_names() -> Vec<String> {
    LABELS
        .iter()
        .map(|l| format!("label:{l}"))
        .chain(MILESTONES.iter().map(|m| format!("milestone:{m}")))
        .collect()
}

#[test]
fn repair_creates_labels_and_milestones_once_and_reports_what_it_cannot_create() {
    let world = World::empty();
    world
        .run("codex-diagnostics", "before", &[], &[])
        .expect_code(0);
    let before = checks(&world.telemetry("diagnostics", "before"));
    for name in expected_names()
        .iter()
        .map(String::as_str)
        .chain(UNREPAIRABLE)
    {
        assert_eq!(
            before.get(name),
            Some(&false),
            "{name} should be reported missing: {before:?}"
        );
    }
    assert_eq!(world.writes(), 0, "diagnostics without --repair wrote");
    assert_eq!(
        world.telemetry("diagnostics", "before")["status"],
        "warning"
    );

    world
        .run("codex-diagnostics", "repair", &[], &["--repair"])
        .expect_code(0);
    let repair = world.telemetry("diagnostics", "repair");
    assert_eq!(strings(&repair["repaired"]).len(), 7, "{repair}");
    let repo = world.repo_state();
    let mut labels: Vec<String> = repo["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .filter_map(|l| l["name"].as_str().map(str::to_owned))
        .collect();
    labels.sort();
    let mut want: Vec<String> = LABELS.iter().map(|s| (*s).to_owned()).collect();
    want.sort();
    assert_eq!(labels, want);
    let milestones: Vec<(String, String)> = repo["milestones"]
        .as_array()
        .expect("milestones")
        .iter()
        .map(|m| {
            (
                m["title"].as_str().unwrap_or("").to_owned(),
                m["state"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(milestones.len(), 3);
    for title in MILESTONES {
        assert!(
            milestones.contains(&(title.to_owned(), "open".to_owned())),
            "{title}: {milestones:?}"
        );
    }

    world
        .run("codex-diagnostics", "after", &[], &[])
        .expect_code(0);
    let after = checks(&world.telemetry("diagnostics", "after"));
    for name in expected_names() {
        assert_eq!(
            after.get(&name),
            Some(&true),
            "{name} after --repair: {after:?}"
        );
    }
    for name in UNREPAIRABLE {
        assert_eq!(
            after.get(name),
            Some(&false),
            "{name} cannot be repaired and stays reported"
        );
    }

    // A second --repair has nothing to create.
    world.sandbox.reset_stats();
    world
        .run("codex-diagnostics", "again", &[], &["--repair"])
        .expect_code(0);
    assert_eq!(world.writes(), 0, "{}", world.sandbox.stats());
    assert_eq!(
        world.telemetry("diagnostics", "again")["repaired"],
        serde_json::json!([])
    );
    assert_eq!(
        world.repo_state()["milestones"].as_array().map(Vec::len),
        Some(3)
    );

    // Now self-test can run: the milestone exists.
    world.run("codex-self-test", "now", &[], &[]).expect_code(0);
    assert_eq!(world.telemetry("self-test", "now")["verified"], true);
}

#[test]
fn repair_in_dry_run_creates_nothing() {
    let world = World::empty();
    world
        .run("codex-diagnostics", "dry", &[], &["--repair", "--dry-run"])
        .expect_code(0);
    assert_eq!(world.writes(), 0);
    assert_eq!(world.repo_state()["labels"], serde_json::json!([]));
    assert_eq!(world.repo_state()["milestones"], serde_json::json!([]));
    let t = world.telemetry("diagnostics", "dry");
    assert_eq!(t["dry_run"], true);
    assert_eq!(
        checks(&t).get("label:codex"),
        Some(&false),
        "nothing was created, so still missing"
    );
}
