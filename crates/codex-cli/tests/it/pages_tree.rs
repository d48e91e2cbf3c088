//! A poisoned or broken pages tree (CONTRACT.md section 4): an unusable `--pages-dir` is bad
//! configuration found before any request; `telemetry/` and `dashboard/` are never written
//! through a symlink; merge reads only regular files inside the tree, up to a cap, so a FIFO or
//! `/dev/zero` cannot hang it or exhaust memory; a file dated in the future is never the
//! latest.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use serde_json::Value;

use crate::common::{
    COMPONENT_BINS, REPO, Run, World, clean_command, fake_telemetry, read_dashboard, strings,
    write_telemetry,
};

/// Run `binary` with `CODEX_PAGES_DIR` set to `pages` and expect the rejection: exit 2, one
/// line on stderr naming the flag and variable and saying `says`, no request.
#[track_caller]
fn rejected(world: &World, binary: &str, pages: &Path, says: &str) {
    world.sandbox.reset_stats();
    let run = world.run(
        binary,
        "1",
        &[("CODEX_PAGES_DIR", pages.to_str().expect("utf-8 path"))],
        &[],
    );
    run.expect_code(2);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "{binary}: one line, got {:?}", run.stderr);
    assert!(
        lines[0].contains("--pages-dir / CODEX_PAGES_DIR") && lines[0].contains(says),
        "{binary}: {:?}",
        lines[0]
    );
    assert!(run.stdout.is_empty(), "{binary}: stdout {:?}", run.stdout);
    assert_eq!(world.requests(), 0, "{binary}: a request was sent");
}

#[test]
fn an_unusable_pages_dir_stops_every_binary_before_any_request() {
    let world = World::demo();
    let file = world.pages.path().join("not-a-dir");
    std::fs::write(&file, b"x").expect("write");
    for binary in COMPONENT_BINS {
        rejected(&world, binary, &file, "not a directory");
        // Read-only cannot be had with permission bits (the tests run as root, whom they do
        // not stop; chattr is not available): a path under a regular file is unwritable for
        // everyone.
        rejected(&world, binary, &file.join("pages"), "cannot be created");
    }
    assert_eq!(std::fs::read(&file).expect("read"), b"x");
}

#[cfg(unix)]
#[test]
fn symlinked_telemetry_or_dashboard_dirs_are_refused_and_nothing_is_written_outside() {
    let world = World::demo();
    let outside = tempfile::tempdir().expect("tempdir");
    let pages = tempfile::tempdir().expect("tempdir");
    for (dir, binary) in [
        ("telemetry", "codex-supervisor"),
        ("dashboard", "codex-telemetry-merge"),
    ] {
        let link = pages.path().join(dir);
        std::os::unix::fs::symlink(outside.path(), &link).expect("symlink");
        rejected(&world, binary, pages.path(), "is a symlink");
        std::fs::remove_file(&link).expect("unlink");
    }
    let written: Vec<_> = std::fs::read_dir(outside.path())
        .expect("read")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(written.is_empty(), "written outside the tree: {written:?}");
}

/// Merge `pages`, failing the test if it does not finish within 30 seconds (a FIFO once hung
/// it for ever).
fn merge_within(pages: &Path) -> Run {
    let mut child = clean_command("codex-telemetry-merge")
        .env("GITHUB_REPOSITORY", REPO)
        .env("CODEX_PAGES_DIR", pages)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > StdDuration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("telemetry-merge did not finish within 30s");
        }
        std::thread::sleep(StdDuration::from_millis(50));
    }
    child.wait_with_output().expect("output").into()
}

#[cfg(unix)]
#[test]
fn merge_skips_a_fifo_and_a_link_to_dev_zero_with_warnings() {
    let pages = tempfile::tempdir().expect("tempdir");
    let p = pages.path();
    write_telemetry(
        p,
        "sync",
        "good",
        &fake_telemetry("sync", "good", Duration::hours(1)),
    );
    let dir = p.join("telemetry");
    let made = Command::new("mkfifo")
        .arg(dir.join("sync-fifo.json"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    std::os::unix::fs::symlink("/dev/zero", dir.join("activity-zero.json")).expect("symlink");
    // The previous dashboard a FIFO too: not read, said.
    std::fs::create_dir(p.join("dashboard")).expect("mkdir");
    let made = Command::new("mkfifo")
        .arg(p.join("dashboard/dashboard.json"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    // Merge refuses to replace a FIFO where dashboard.json goes: an error, not a hang.
    let refused = merge_within(p);
    assert!(
        refused.stderr.contains("dashboard.json") && refused.stderr.contains("FIFO"),
        "{}",
        refused.stderr
    );
    std::fs::remove_file(p.join("dashboard/dashboard.json")).expect("unlink");

    let run = merge_within(p);
    run.expect_code(0);
    let dash = read_dashboard(p);
    assert_eq!(dash["sync"]["run_id"], "good");
    assert_eq!(dash["activity"], Value::Null);
    let warnings = strings(&dash["warnings"]);
    for (name, what) in [
        ("sync-fifo.json", "a FIFO, not a regular file"),
        ("activity-zero.json", "a symlink out of the pages tree"),
    ] {
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(name) && w.contains(what)),
            "{name}: {warnings:?}"
        );
        assert!(
            run.stderr.contains(name),
            "{name} not warned: {}",
            run.stderr
        );
    }
}

#[test]
fn a_telemetry_file_from_the_future_is_not_the_latest() {
    let pages = tempfile::tempdir().expect("tempdir");
    let p = pages.path();
    write_telemetry(
        p,
        "supervisor",
        "real",
        &fake_telemetry("supervisor", "real", Duration::hours(1)),
    );
    write_telemetry(
        p,
        "supervisor",
        "future",
        &fake_telemetry("supervisor", "future", Duration::days(-30)),
    );
    let run = merge_within(p);
    run.expect_code(0);
    let dash = read_dashboard(p);
    assert_eq!(dash["supervisor"]["run_id"], "real");
    let history: Vec<&Value> = dash["history"]["supervisor"]
        .as_array()
        .expect("history")
        .iter()
        .collect();
    assert_eq!(history.len(), 1, "{history:?}");
    let warnings = strings(&dash["warnings"]);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("supervisor-future.json") && w.contains("in the future")),
        "{warnings:?}"
    );
    assert!(
        run.stderr.contains("supervisor-future.json"),
        "{}",
        run.stderr
    );
}
