//! `codex-self-test` end to end: the issue it creates, a rerun that does not create a second
//! one, `skipped` without milestones, `verified: false` when GitHub drops labels silently.

use crate::common::{World, strings};

fn titled(world: &World, title: &str) -> Vec<serde_json::Value> {
    world.repo_state()["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .filter(|i| i["title"] == title)
        .cloned()
        .collect()
}

#[test]
fn creates_a_verified_issue_once_per_run_id() {
    let world = World::demo();
    world.sandbox.reset_stats();
    let run = world.run("codex-self-test", "4242", &[], &[]);
    run.expect_code(0);
    let t = world.telemetry("self-test", "4242");
    let created = titled(&world, "Codex self-test 4242");
    assert_eq!(created.len(), 1, "{created:?}");
    let issue = &created[0];
    assert_eq!(issue["state"], "open");
    let mut labels = strings(&issue["labels"]);
    labels.sort();
    assert_eq!(labels, ["codex", "codex-selftest"]);
    assert_eq!(issue["milestone"], "Codex Internal");
    assert_eq!(t["status"], "ok");
    assert_eq!(t["verified"], true);
    assert_eq!(t["issue_number"], issue["number"]);
    assert_eq!(t["milestone"], "Codex Internal");
    assert_eq!(t["milestone_fallback"], false);
    assert_eq!(t["token"]["kind"], "classic");
    assert_eq!(t["token"]["permissions"]["push"], true);
    assert_eq!(world.writes(), 1, "one create: {}", world.sandbox.stats());

    // The same run id again (a re-run of the job): found, not created twice.
    world.sandbox.reset_stats();
    world
        .run("codex-self-test", "4242", &[], &[])
        .expect_code(0);
    assert_eq!(titled(&world, "Codex self-test 4242").len(), 1);
    assert_eq!(world.writes(), 0);
    let again = world.telemetry("self-test", "4242-r2");
    assert_eq!(again["issue_number"], issue["number"]);
    assert_eq!(again["verified"], true);
    // The first run's telemetry was not overwritten.
    assert_eq!(
        world.telemetry("self-test", "4242")["finished_at"],
        t["finished_at"]
    );

    // A run attempt makes a new run id, and a new issue.
    world
        .run(
            "codex-self-test",
            "4242",
            &[("GITHUB_RUN_ATTEMPT", "2")],
            &[],
        )
        .expect_code(0);
    assert_eq!(titled(&world, "Codex self-test 4242-2").len(), 1);
}

#[test]
fn without_milestones_it_is_skipped_and_creates_nothing() {
    let world = World::empty();
    world
        .run("codex-self-test", "none", &[], &[])
        .expect_code(0);
    let t = world.telemetry("self-test", "none");
    assert_eq!(t["status"], "skipped");
    assert!(!strings(&t["warnings"]).is_empty());
    assert!(strings(&t["warnings"])[0].contains("Codex Internal"), "{t}");
    assert_eq!(t["issue_number"], serde_json::Value::Null);
    assert_eq!(t["verified"], false);
    assert_eq!(world.writes(), 0);
    assert_eq!(world.repo_state()["issues"], serde_json::json!([]));
}

#[test]
fn a_read_only_token_is_not_verified() {
    let world = World::demo();
    world
        .run_as(
            "codex-self-test",
            "ghp_readonly_it0000000000000000000000000",
            "ro",
            &[],
            &[],
        )
        .expect_code(0);
    let t = world.telemetry("self-test", "ro");
    assert_eq!(t["verified"], false);
    assert_eq!(t["status"], "warning");
    let warnings = strings(&t["warnings"]);
    assert!(
        warnings.iter().any(|w| w.contains("did not stick")),
        "{warnings:?}"
    );
    assert_eq!(t["token"]["permissions"]["push"], false);
    // GitHub kept the issue and dropped its labels and milestone.
    let created = titled(&world, "Codex self-test ro");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["labels"], serde_json::json!([]));
    assert_eq!(created[0]["milestone"], serde_json::Value::Null);
}
