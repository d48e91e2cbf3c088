//! Whole runs: `--strict` and exit codes, the token kept out of every output, and
//! `codex demo`.

use std::path::Path;

use codex_core::Component;
use serde_json::Value;

use crate::common::{
    COMPONENT_BINS, REPO, Run, TELEMETRY_SCHEMA, World, assert_valid, clean_command,
    read_dashboard, read_json, strings,
};

#[test]
fn strict_exits_1_only_when_the_status_is_error() {
    let world = World::demo();
    let missing = [("GITHUB_REPOSITORY", "acme/no-such-repo")];
    world
        .run("codex-project-sync", "lenient", &missing, &[])
        .expect_code(0);
    let t = world.telemetry("sync", "lenient");
    assert_eq!(t["status"], "error");
    assert!(!strings(&t["errors"]).is_empty());
    assert_eq!(t["repo"], "acme/no-such-repo");

    let strict = world.run("codex-project-sync", "strict", &missing, &["--strict"]);
    strict.expect_code(1);
    assert_eq!(
        world.telemetry("sync", "strict")["status"],
        "error",
        "telemetry is written even so"
    );
    for binary in [
        "codex-self-test",
        "codex-cleaner",
        "codex-supervisor",
        "codex-activity",
    ] {
        world
            .run(binary, "strict", &missing, &["--strict"])
            .expect_code(1);
    }
    // A warning is not an error: the demo's sync warns (both-track issues) and exits 0.
    world
        .run(
            "codex-project-sync",
            "warns",
            &[],
            &["--strict", "--dry-run"],
        )
        .expect_code(0);
    assert_eq!(world.telemetry("sync", "warns")["status"], "warning");
}

/// Every file under `dir`, recursively, as text.
fn all_files(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            all_files(&path, out);
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
            out.push((path.display().to_string(), text));
        }
    }
}

#[test]
fn the_token_never_appears_in_any_output() {
    const SECRET: &str = "ghp_TOPSECRETzz9Qx7Kd31vLmN0pR5tUwY2bC4eF";
    let world = World::demo();
    let mut outputs: Vec<(String, Run)> = Vec::new();
    for binary in COMPONENT_BINS {
        let mut args = vec!["-vv"];
        if binary == "codex-cleaner" {
            args.push("--delete");
        }
        if binary == "codex-diagnostics" {
            args.push("--repair");
        }
        // A write budget keeps sync short; its writes still carry the token.
        let budget = [("CODEX_MAX_MUTATIONS", "20")];
        outputs.push((
            binary.to_owned(),
            world.run_as(binary, SECRET, &format!("{binary}-v"), &budget, &args),
        ));
    }
    // The front door, a failing run, a dry run, RUST_LOG asking for everything.
    outputs.push((
        "codex sync".into(),
        world.run_as(
            "codex",
            SECRET,
            "front",
            &[("RUST_LOG", "trace"), ("CODEX_MAX_MUTATIONS", "20")],
            &["sync", "-vv"],
        ),
    ));
    outputs.push((
        "404".into(),
        world.run_as(
            "codex-project-sync",
            SECRET,
            "missing",
            &[("GITHUB_REPOSITORY", "acme/nope")],
            &["-vv", "--strict"],
        ),
    ));
    outputs.push((
        "dry".into(),
        world.run_as(
            "codex-self-test",
            SECRET,
            "dry",
            &[("RUST_LOG", "trace")],
            &["-vv", "--dry-run"],
        ),
    ));
    // A rejected configuration next to the token.
    outputs.push((
        "bad".into(),
        world.run_as(
            "codex-activity",
            SECRET,
            "bad",
            &[("CODEX_MAIN_STALE_DAYS", "x")],
            &[],
        ),
    ));

    let needles = [SECRET, "TOPSECRETzz9Qx7Kd31vLmN0pR5tUwY2bC4eF", "TOPSECRET"];
    for (name, run) in &outputs {
        for needle in needles {
            assert!(!run.stdout.contains(needle), "{name}: token on stdout");
            assert!(!run.stderr.contains(needle), "{name}: token on stderr");
        }
    }
    // The runs did run, verbosely (so the check above had something to look at).
    assert!(
        outputs
            .iter()
            .any(|(_, r)| r.stderr.contains("TRACE") || r.stderr.contains("DEBUG"))
    );
    let mut files = Vec::new();
    all_files(world.pages.path(), &mut files);
    assert!(files.len() >= 7, "{files:?}");
    for (path, text) in &files {
        for needle in needles {
            assert!(!text.contains(needle), "token in {path}");
        }
    }
}

#[test]
fn demo_runs_the_whole_pipeline() {
    let out = tempfile::tempdir().expect("tempdir");
    let dir = out.path().join("site");
    let run: Run = clean_command("codex")
        .args(["demo", "--out"])
        .arg(&dir)
        .output()
        .expect("runs")
        .into();
    run.expect_code(0);
    assert!(run.stdout.contains("dashboard.json"), "{}", run.stdout);

    let telemetry: Vec<String> = std::fs::read_dir(dir.join("telemetry"))
        .expect("telemetry dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for component in Component::ALL.map(Component::name) {
        assert_eq!(
            telemetry
                .iter()
                .filter(|f| f.starts_with(&format!("{component}-demo-")))
                .count(),
            1,
            "{component}: {telemetry:?}"
        );
    }
    // Every file the demo wrote validates against the checked-in schemas.
    for name in &telemetry {
        let path = dir.join("telemetry").join(name);
        assert_valid(&TELEMETRY_SCHEMA, &read_json(&path), &path);
    }
    let dash = read_dashboard(&dir);
    assert_eq!(dash["repo"], REPO);
    for key in Component::ALL.map(Component::dashboard_key) {
        let doc = &dash[key];
        assert!(doc.is_object(), "{key} is null");
        assert_ne!(doc["status"], "error", "{key}: {}", doc["errors"]);
        assert_eq!(doc["repo"], REPO);
    }
    let corrections: u64 = dash["sync"]["corrections"]
        .as_object()
        .expect("corrections")
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert!(corrections > 0, "{}", dash["sync"]["corrections"]);
    assert_eq!(dash["selftest"]["verified"], true);
    for file in ["index.html", "dom.js", "app.js", "styles.css"] {
        assert!(dir.join("dashboard").join(file).is_file(), "{file}");
    }
}
