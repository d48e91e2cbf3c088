//! A cancelled run and a run out of time: SIGTERM in the middle of a slow sync, SIGINT while a
//! request hangs, and `CODEX_DEADLINE_SECS` against a slow and a hanging sandbox. Each leaves
//! telemetry that says what happened; a cancelled run exits with the shell's code for the
//! signal, a run out of time exits 0 with a warning.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use codex_sandbox::{SandboxOptions, Scenario};
use serde_json::Value;

use crate::common::{ADMIN_TOKEN, Run, World, strings};

/// A large repository answered slowly: a full sync takes minutes.
fn slow_world() -> World {
    World::with(SandboxOptions {
        scenario: Scenario::Large,
        issues: 300,
        latency_ms: 200,
        ..SandboxOptions::default()
    })
}

/// A sandbox that never answers.
fn hanging_world() -> World {
    World::with(SandboxOptions {
        scenario: Scenario::Demo,
        hang_rate: 1.0,
        ..SandboxOptions::default()
    })
}

fn spawn(world: &World, run_id: &str, vars: &[(&str, &str)]) -> Child {
    world
        .command("codex-project-sync", ADMIN_TOKEN, run_id)
        .envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("codex-project-sync starts")
}

fn send(child: &Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {signal} failed");
}

/// Wait for the child, at most `limit`; kill it and fail past that.
fn wait(mut child: Child, limit: Duration) -> (Run, Duration) {
    let started = Instant::now();
    while started.elapsed() < limit {
        if child.try_wait().expect("wait").is_some() {
            let run = Run::from(child.wait_with_output().expect("output"));
            return (run, started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().ok();
    let run = Run::from(child.wait_with_output().expect("output"));
    panic!(
        "still running after {limit:?}\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
}

/// Poll until `ready` holds, at most `limit`.
fn until(limit: Duration, ready: impl Fn() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < limit, "not ready within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn messages(telemetry: &Value) -> (Vec<String>, Vec<String>) {
    (
        strings(&telemetry["warnings"]),
        strings(&telemetry["errors"]),
    )
}

#[test]
fn sigterm_in_the_middle_of_a_slow_sync_stops_it_with_telemetry_and_exit_143() {
    let world = slow_world();
    let child = spawn(&world, "term", &[]);
    // In the middle: repairs under way.
    until(Duration::from_secs(60), || world.writes() > 0);
    let writes_at_signal = world.writes();
    send(&child, "-TERM");
    let (run, took) = wait(child, Duration::from_secs(15));
    run.expect_code(143);
    assert!(took < Duration::from_secs(5), "stopped in {took:?}");
    // Nothing new after the signal: at most the request in flight when `kill` ran, and one
    // that may have started while `kill` itself was starting, landed.
    assert!(
        world.writes() <= writes_at_signal + 2,
        "{} writes after the signal",
        world.writes() - writes_at_signal
    );

    let telemetry = world.telemetry("sync", "term");
    assert_eq!(telemetry["status"], "error", "{telemetry:#}");
    let (warnings, errors) = messages(&telemetry);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("cancelled by SIGTERM: ")
                && e.ends_with("issue(s) left for the next run")),
        "{errors:?}"
    );
    assert!(
        warnings
            .iter()
            .chain(&errors)
            .any(|m| m.starts_with("stopped early: ") && m.contains("cancelled by SIGTERM")),
        "{warnings:?} {errors:?}"
    );
    assert!(run.stderr.contains("SIGTERM received"), "{}", run.stderr);
}

#[test]
fn sigint_while_a_read_hangs_abandons_it_after_the_grace_with_a_warning_and_exit_130() {
    let world = hanging_world();
    let child = spawn(&world, "int", &[]);
    until(Duration::from_secs(30), || {
        world.sandbox.stats()["hanging"].as_u64().unwrap_or(0) > 0
    });
    send(&child, "-INT");
    let (run, took) = wait(child, Duration::from_secs(15));
    run.expect_code(130);
    // The grace is 3 s.
    assert!(
        (Duration::from_millis(2_500)..Duration::from_secs(6)).contains(&took),
        "stopped in {took:?}"
    );
    let telemetry = world.telemetry("sync", "int");
    // A read was abandoned: nothing was lost, so a warning.
    assert_eq!(telemetry["status"], "warning", "{telemetry:#}");
    let (warnings, errors) = messages(&telemetry);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        warnings.iter().any(|w| w.contains("cancelled by SIGINT")),
        "{warnings:?}"
    );
    assert_eq!(world.writes(), 0);
}

#[test]
fn a_second_signal_exits_at_once() {
    let world = hanging_world();
    let child = spawn(&world, "twice", &[]);
    until(Duration::from_secs(30), || {
        world.sandbox.stats()["hanging"].as_u64().unwrap_or(0) > 0
    });
    send(&child, "-TERM");
    std::thread::sleep(Duration::from_millis(300));
    send(&child, "-INT");
    let (run, took) = wait(child, Duration::from_secs(15));
    // The first signal names the code.
    run.expect_code(143);
    assert!(took < Duration::from_millis(2_000), "exited in {took:?}");
    assert!(run.stderr.contains("exiting at once"), "{}", run.stderr);
}

#[test]
fn the_deadline_stops_a_slow_sync_cleanly_with_a_warning() {
    let world = slow_world();
    let started = Instant::now();
    let child = spawn(&world, "deadline", &[("CODEX_DEADLINE_SECS", "10")]);
    let (run, _) = wait(child, Duration::from_secs(40));
    run.expect_code(0);
    let took = started.elapsed();
    assert!(
        (Duration::from_secs(10)..Duration::from_secs(15)).contains(&took),
        "stopped after {took:?}"
    );
    let telemetry = world.telemetry("sync", "deadline");
    assert_eq!(telemetry["status"], "warning", "{telemetry:#}");
    let (warnings, errors) = messages(&telemetry);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        warnings.iter().any(|w| w.starts_with("stopped early: ")
            && w.contains("deadline of 10 s reached")
            && w.ends_with("the next run carries on")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.ends_with("issue(s) left for the next run")),
        "{warnings:?}"
    );
}

#[test]
fn a_hang_does_not_outlive_the_deadline() {
    let world = hanging_world();
    let started = Instant::now();
    // The answer timeout alone would wait 60 s a try.
    let child = spawn(
        &world,
        "hang",
        &[
            ("CODEX_DEADLINE_SECS", "10"),
            ("CODEX_HTTP_TIMEOUT_SECS", "30"),
        ],
    );
    let (run, _) = wait(child, Duration::from_secs(40));
    run.expect_code(0);
    let took = started.elapsed();
    // The deadline, plus the 3 s grace for the request in flight.
    assert!(
        (Duration::from_secs(10)..Duration::from_secs(16)).contains(&took),
        "stopped after {took:?}"
    );
    let telemetry = world.telemetry("sync", "hang");
    assert_eq!(telemetry["status"], "warning", "{telemetry:#}");
    assert!(
        strings(&telemetry["warnings"])
            .iter()
            .any(|w| w.contains("deadline of 10 s reached")),
        "{telemetry:#}"
    );
}

/// `codex pipeline` cancelled in the middle of sync: sync writes its telemetry ("cancelled by
/// SIGINT"), the components after it are not run, and the exit code is SIGINT's.
#[test]
fn sigint_in_the_middle_of_a_pipeline_stops_the_component_running_and_the_rest() {
    let world = slow_world();
    let child = world
        .command("codex", ADMIN_TOKEN, "pipe")
        .arg("pipeline")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("codex pipeline starts");
    // Sync's repairs under way: the cleaner has written its telemetry, then writes went on.
    until(Duration::from_secs(60), || {
        world.telemetry_files().contains("cleaner-pipe.json")
    });
    let before_sync = world.writes();
    until(Duration::from_secs(60), || world.writes() > before_sync);
    send(&child, "-INT");
    let (run, _) = wait(child, Duration::from_secs(15));
    run.expect_code(130);

    let telemetry = world.telemetry("sync", "pipe");
    let (warnings, errors) = messages(&telemetry);
    assert!(
        warnings
            .iter()
            .chain(&errors)
            .any(|m| m.contains("cancelled by SIGINT")),
        "{warnings:?} {errors:?}"
    );
    assert_eq!(
        world.telemetry_files(),
        ["cleaner-pipe.json", "self-test-pipe.json", "sync-pipe.json"]
            .map(str::to_owned)
            .into(),
        "nothing after sync ran"
    );
    for name in ["supervisor", "activity", "diagnostics", "telemetry-merge"] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with(name) && l.contains("not run: cancelled by SIGINT")),
            "{name} in\n{}",
            run.stdout
        );
    }
    assert!(!world.pages.path().join("dashboard").exists());
}
