//! `codex pipeline`: a dry run writes nothing, the real run leaves the repository as the seven
//! binaries run one by one do, bad input stops it before any request, and piped output is the
//! components' own lines plus the summary table (no progress bar off a terminal).

use serde_json::Value;

use crate::common::{COMPONENT_BINS, World, read_dashboard};

/// The repository's issues as the sandbox holds them, without what legitimately differs
/// between two sandboxes started seconds apart: `updated_at` (the time of the last write), and
/// the titles of the scenario's earlier self-test issues, which carry the time the sandbox
/// made them (`Codex self-test 20261112T062620Z`).
fn issues(world: &World) -> Vec<Value> {
    let mut issues: Vec<Value> = world.repo_state()["issues"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for issue in &mut issues {
        let Some(fields) = issue.as_object_mut() else {
            continue;
        };
        fields.remove("updated_at");
        let seeded = fields["title"]
            .as_str()
            .and_then(|t| t.strip_prefix("Codex self-test "))
            .is_some_and(|run| run.len() == 16 && run.as_bytes()[8] == b'T' && run.ends_with('Z'));
        if seeded {
            fields.insert("title".into(), "Codex self-test <seeded>".into());
        }
    }
    issues
}

#[test]
fn a_dry_run_shows_every_component_and_writes_nothing() {
    let world = World::demo();
    let run = world.run("codex", "dry", &[], &["pipeline", "--dry-run"]);
    run.expect_code(0);
    assert!(world.requests() > 0, "it did read the repository");
    assert_eq!(world.writes(), 0, "no write reached the sandbox");
    assert_eq!(
        world.sandbox.stats()["by_route"]
            .as_object()
            .map(|routes| routes
                .keys()
                .filter(|r| !r.starts_with("GET ") && *r != "POST /graphql")
                .count()),
        Some(0)
    );
    // Each component's report, in order, as the component alone prints it, then the table.
    let mut at = 0;
    for info in &codex_core::component::PIPELINE {
        let line = if info.writes_telemetry() {
            format!("{}: ", info.subcommand)
        } else {
            "telemetry-merge: ".to_owned()
        };
        let found = run.stdout[at..]
            .find(&line)
            .unwrap_or_else(|| panic!("{line:?} after byte {at} in\n{}", run.stdout));
        at += found + line.len();
    }
    assert!(
        run.stdout.contains("would repair 98 issues"),
        "{}",
        run.stdout
    );
    let table = &run.stdout[run
        .stdout
        .find("component        status   summary")
        .expect("the table")..];
    assert_eq!(table.lines().count(), 9, "{table}");
    // Off a terminal: no bar, no carriage return or escape sequence anywhere.
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains('\r') && !text.contains('\u{1b}'), "{text}");
    }
    for info in codex_core::component::PIPELINE
        .iter()
        .filter(|i| i.writes_telemetry())
    {
        assert_eq!(world.telemetry(info.name, "dry")["dry_run"], true);
    }
    read_dashboard(world.pages.path());
}

/// Two sandboxes from the same seed: the seven binaries in order on one, `codex pipeline` on
/// the other, with the same run id. The repositories end the same, issue for issue (the
/// self-test issue included: same title from the run id, same number since both create it at
/// the same point), and sync reports the same repairs.
#[test]
fn the_pipeline_repairs_the_same_issues_as_the_seven_binaries() {
    let one_by_one = World::demo();
    for binary in COMPONENT_BINS {
        one_by_one.run(binary, "same", &[], &[]).expect_code(0);
    }
    let pipeline = World::demo();
    let before = issues(&pipeline);
    pipeline
        .run("codex", "same", &[], &["pipeline"])
        .expect_code(0);
    let after = issues(&pipeline);
    assert_ne!(before, after, "the pipeline changed the repository");
    let expected = issues(&one_by_one);
    assert_eq!(after.len(), expected.len());
    let differ: Vec<(&Value, &Value)> = after
        .iter()
        .zip(&expected)
        .filter(|(a, b)| a != b)
        .collect();
    assert!(differ.is_empty(), "{differ:#?}");
    assert_eq!(pipeline.writes(), one_by_one.writes());
    let repaired = |w: &World| w.telemetry("sync", "same")["details"].clone();
    assert_eq!(repaired(&pipeline), repaired(&one_by_one));
    assert_eq!(
        repaired(&pipeline).as_array().map(Vec::len),
        Some(98),
        "the demo's 98 repairs"
    );
    assert_eq!(pipeline.telemetry_files(), one_by_one.telemetry_files());
}

#[test]
fn bad_input_exits_2_before_any_request() {
    let world = World::demo();
    let file = world.pages.path().join("not-a-directory");
    std::fs::write(&file, "x").expect("write a file");
    let file = file.display().to_string();
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 4] = [
        (&[("CODEX_MAIN_STALE_DAYS", "x")], &["pipeline"]),
        (
            &[("GITHUB_REPOSITORY", "not a slug")],
            &["pipeline", "--dry-run"],
        ),
        (&[("CODEX_PAGES_DIR", file.as_str())], &["pipeline"]),
        (&[], &["pipeline", "--no-such-flag"]),
    ];
    for (vars, args) in cases {
        let run = world.run("codex", "bad", vars, args);
        run.expect_code(2);
        assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
    let run = crate::common::clean_command("codex")
        .args(["pipeline", "--dry-run"])
        .env("GITHUB_REPOSITORY", "acme/widgets")
        .env("GITHUB_API_URL", world.sandbox.base_url())
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(2), "no token");
    assert_eq!(world.requests(), 0, "the sandbox saw no request");
}

/// In Actions: a job summary section per component, as each prints alone, then the table.
#[test]
fn in_actions_the_job_summary_has_a_section_per_component_and_the_table() {
    let world = World::demo();
    let summary = world.pages.path().join("step-summary.md");
    let summary_path = summary.display().to_string();
    let run = world.run(
        "codex",
        "actions",
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary_path.as_str()),
        ],
        &["pipeline", "--dry-run"],
    );
    run.expect_code(0);
    let text = std::fs::read_to_string(&summary).expect("the job summary");
    let headings: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("### Codex "))
        .map(|l| l.split(':').next().unwrap_or(l))
        .collect();
    assert_eq!(
        headings,
        [
            "### Codex self-test",
            "### Codex cleaner",
            "### Codex project-sync",
            "### Codex integrity",
            "### Codex supervisor",
            "### Codex activity",
            "### Codex diagnostics",
            "### Codex telemetry-merge",
            "### Codex pipeline (dry-run",
        ],
        "{text}"
    );
    let table = &text[text
        .find("| component | status | summary |")
        .expect("the table")..];
    assert_eq!(table.lines().filter(|l| l.starts_with("| ")).count(), 9);
    assert!(
        table.contains("| project-sync | warning | sync: scanned"),
        "{table}"
    );
    // Annotations go to stdout in Actions, as for each component alone.
    assert!(
        run.stdout.contains("::warning::project-sync: "),
        "{}",
        run.stdout
    );
}

/// Every component runs even when the first fail; `--strict` turns an `error` anywhere into
/// exit 1.
#[test]
fn strict_exits_1_when_any_component_errs_and_every_component_still_runs() {
    let world = World::demo();
    let missing = [("GITHUB_REPOSITORY", "acme/no-such-repo")];
    let lenient = world.run("codex", "lenient", &missing, &["pipeline"]);
    lenient.expect_code(0);
    // Each ran and wrote its telemetry (diagnostics finds the repository missing: a warning).
    for info in codex_core::component::PIPELINE
        .iter()
        .filter(|i| i.writes_telemetry())
    {
        let status = world.telemetry(info.name, "lenient")["status"].clone();
        assert!(
            status == "error" || info.name == "diagnostics",
            "{}: {status}",
            info.name
        );
    }
    assert!(
        lenient.stdout.contains("telemetry-merge  "),
        "{}",
        lenient.stdout
    );
    world
        .run("codex", "strict", &missing, &["pipeline", "--strict"])
        .expect_code(1);
    // Warnings are not errors: the demo's pipeline warns and exits 0 with --strict.
    world
        .run(
            "codex",
            "warns",
            &[],
            &["pipeline", "--strict", "--dry-run"],
        )
        .expect_code(0);
}
