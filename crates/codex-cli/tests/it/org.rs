//! Several repositories: `codex discover` and `codex pipeline --org` against the sandbox's
//! organisation (`acme/repo-001`…, every 10th archived, every 7th a fork), with a token and
//! with only a GitHub App; one repository failing alone; a write budget spent mid-organisation
//! and the next run taking the repositories left first.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::LazyLock;

use codex_sandbox::{AppOptions, SandboxOptions, Scenario};
use serde_json::Value;

use crate::common::{ADMIN_TOKEN, Run, World, assert_valid, read_dashboard, read_json};

const APP_ID: u64 = 42;

/// `docs/federation.schema.json`.
static FEDERATION_SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/federation.schema.json");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&read_json(&path))
        .expect("federation.schema.json compiles")
});

/// The organisation of `repos` repositories of `items` items each, recording exchanges.
fn org(repos: usize, items: usize, app: Option<AppOptions>, fault_repos: &[&str]) -> World {
    World::with(SandboxOptions {
        scenario: Scenario::Org,
        repos,
        issues_per_repo: items,
        record: true,
        app,
        fault_repos: fault_repos.iter().map(|r| (*r).to_owned()).collect(),
        ..SandboxOptions::default()
    })
}

/// The sandbox's repositories with their flags: (full name, archived, fork, topics).
fn listed(world: &World) -> Vec<(String, bool, bool, Vec<String>)> {
    world.sandbox.state()["scenario"]["repos"]
        .as_array()
        .expect("scenario.repos")
        .iter()
        .map(|r| {
            (
                r["full_name"].as_str().unwrap().to_owned(),
                r["archived"].as_bool().unwrap(),
                r["fork"].as_bool().unwrap(),
                crate::common::strings(&r["topics"]),
            )
        })
        .collect()
}

/// `codex <args>` with the admin token (and the workflow's other variables).
fn codex(world: &World, run_id: &str, vars: &[(&str, &str)], args: &[&str]) -> Run {
    world.run_as("codex", ADMIN_TOKEN, run_id, vars, args)
}

/// `codex <args>` with only a GitHub App's id and key.
fn codex_as_app(world: &World, key: &str, run_id: &str, args: &[&str]) -> Run {
    let mut cmd = world.command("codex", "", run_id);
    cmd.env_remove("GH_CI_PAT")
        .env("CODEX_APP_ID", APP_ID.to_string())
        .env("CODEX_APP_PRIVATE_KEY", key)
        .args(args);
    cmd.output().expect("codex runs").into()
}

/// How many requests went to `path` (any query).
fn requests_to(world: &World, method: &str, path: &str) -> usize {
    world
        .sandbox
        .exchanges()
        .iter()
        .filter(|e| e.method == method && e.path == path)
        .count()
}

/// The JSON array `discover --json` printed.
fn matrix(run: &Run) -> Vec<String> {
    let line = run.stdout.trim();
    assert_eq!(run.stdout.lines().count(), 1, "one line: {}", run.stdout);
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?} is not JSON: {e}"))
}

#[test]
fn discover_lists_forty_repositories_over_several_pages() {
    let (app, key) = AppOptions::generate(APP_ID);
    let world = org(40, 1, Some(app), &[]);
    // Ten a page, whatever per_page asks: 40 repositories are four pages.
    world.sandbox.with_state(|s| s.repo_page_max = 10);
    let all = listed(&world);
    assert_eq!(all.len(), 40);
    let expected: Vec<String> = all
        .iter()
        .filter(|(_, archived, fork, _)| !archived && !fork)
        .map(|(name, ..)| name.clone())
        .collect();
    assert!(expected.len() < 40 && expected.len() > 25);

    let run = codex(&world, "d1", &[], &["discover", "--org", "acme", "--json"]);
    run.expect_code(0);
    assert_eq!(matrix(&run), expected);
    assert_eq!(requests_to(&world, "GET", "/orgs/acme/repos"), 4);
    assert!(
        run.stderr.contains("acme/repo-010: archived"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("acme/repo-007: a fork"),
        "{}",
        run.stderr
    );

    // Filters: every archived one and fork kept, one excluded by name, then a topic.
    let run = codex(
        &world,
        "d2",
        &[("CODEX_INCLUDE_ARCHIVED", "true")],
        &[
            "discover",
            "--org",
            "acme",
            "--include-forks",
            "--exclude",
            "repo-001,ACME/repo-002",
        ],
    );
    run.expect_code(0);
    let names: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(names.len(), 38);
    assert!(!names.contains(&"acme/repo-001") && !names.contains(&"acme/repo-002"));
    let topic = "rust";
    let with_topic: Vec<String> = all
        .iter()
        .filter(|(_, archived, fork, topics)| {
            !archived && !fork && topics.iter().any(|t| t == topic)
        })
        .map(|(name, ..)| name.clone())
        .collect();
    assert!(!with_topic.is_empty());
    let run = codex(
        &world,
        "d3",
        &[],
        &["discover", "--org", "acme", "--topic", topic, "--json"],
    );
    assert_eq!(matrix(run.expect_code(0)), with_topic);

    // With only the App: every repository its installation on acme can see, same pages.
    let before = requests_to(&world, "GET", "/installation/repositories");
    let run = codex_as_app(
        &world,
        &key,
        "d4",
        &["discover", "--installation", "--json"],
    );
    // Two installations (acme and octocat): the App cannot guess which.
    run.expect_code(1);
    assert!(
        run.stderr.contains("several installations"),
        "{}",
        run.stderr
    );
    let run = codex_as_app(&world, &key, "d5", &["discover", "--org", "acme", "--json"]);
    assert_eq!(matrix(run.expect_code(0)), expected);
    assert_eq!(
        requests_to(&world, "GET", "/installation/repositories") - before,
        4
    );
    assert!(!run.stdout.contains(&key) && !run.stderr.contains("BEGIN"));
    // A user account the App is installed on: its installation's repositories.
    let run = codex_as_app(
        &world,
        &key,
        "d6",
        &["discover", "--org", "octocat", "--json"],
    );
    assert_eq!(
        matrix(run.expect_code(0)),
        vec!["octocat/dotfiles".to_owned()]
    );
}

#[test]
fn bad_selections_are_refused_before_any_request() {
    let world = org(3, 1, None, &[]);
    let cases: [(&[&str], &str); 7] = [
        (&["discover", "--org", "bad--name"], "--org"),
        (
            &["discover", "--org", "acme", "--repos", "acme/repo-001"],
            "give one of them",
        ),
        (&["discover", "--installation"], "needs a GitHub App"),
        (&["discover", "--repos", "acme/ok,not a repo"], "--repos"),
        (
            &["pipeline", "--exclude", "repo-001"],
            "give --org, --repos or --installation",
        ),
        (
            &["discover", "--org", "acme", "--topic", "Not!A!Topic"],
            "--topic",
        ),
        (&["discover"], "discover needs one of them"),
    ];
    let unknown = codex(&world, "nobody", &[], &["discover", "--org", "octocat"]);
    unknown.expect_code(1);
    assert!(
        unknown
            .stderr
            .contains("GitHub shows no organisation octocat to this token"),
        "{}",
        unknown.stderr
    );
    world.sandbox.reset_stats();
    for (args, says) in cases {
        let run = codex(&world, "bad", &[], args);
        run.expect_code(2);
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
    assert_eq!(world.requests(), 0);
}

/// The repositories of the pages tree that have a subtree: `owner/name` with a dashboard.
fn subtrees(pages: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for owner in std::fs::read_dir(pages).unwrap().flatten() {
        if !owner.path().is_dir() {
            continue;
        }
        for repo in std::fs::read_dir(owner.path()).unwrap().flatten() {
            if repo.path().join("dashboard/dashboard.json").is_file() {
                out.insert(format!(
                    "{}/{}",
                    owner.file_name().to_string_lossy(),
                    repo.file_name().to_string_lossy()
                ));
            }
        }
    }
    out
}

/// `federation.json` at the pages root, validated against its schema.
fn federation(world: &World) -> Value {
    let path = world.pages.path().join("federation.json");
    let doc = read_json(&path);
    assert_valid(&FEDERATION_SCHEMA, &doc, &path);
    doc
}

#[test]
fn with_only_an_app_the_pipeline_covers_the_org_in_subtrees_and_one_overview() {
    let (app, key) = AppOptions::generate(APP_ID);
    // 13 repositories: repo-010 archived is left out, the fork repo-007 is asked for: 12.
    let world = org(13, 12, Some(app), &[]);
    let run = codex_as_app(
        &world,
        &key,
        "o1",
        &["pipeline", "--org", "acme", "--include-forks"],
    );
    run.expect_code(0);
    let expected: BTreeSet<String> = (1..=13)
        .filter(|k| k % 10 != 0)
        .map(|k| format!("acme/repo-{k:03}"))
        .collect();
    assert_eq!(expected.len(), 12);
    let pages = world.pages.path();
    assert_eq!(subtrees(pages), expected);
    for repo in &expected {
        let dir = pages.join(repo);
        let dashboard = read_dashboard(&dir);
        assert_eq!(dashboard["repo"], repo.as_str());
        let telemetry: Vec<_> = std::fs::read_dir(dir.join("telemetry"))
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(telemetry.len(), 7, "{repo}: seven components' telemetry");
        for file in telemetry {
            let doc = read_json(&file.path());
            assert_valid(&crate::common::TELEMETRY_SCHEMA, &doc, &file.path());
            assert_eq!(doc["repo"], repo.as_str());
            assert_ne!(doc["status"], "error", "{}: {doc:#}", file.path().display());
            if doc["component"] == "diagnostics" {
                // The pages tree is the control repository's: no gh-pages check per repository.
                let checks = doc["checks"].as_array().expect("checks");
                assert!(
                    checks
                        .iter()
                        .any(|c| c["name"] == "gh-pages" && c["ok"] == true)
                );
                assert!(!checks.iter().any(|c| c["name"] == "branch:gh-pages"));
            }
        }
    }
    // Today's single-repository files are not at the root; the overview is.
    assert!(!pages.join("telemetry").exists() && !pages.join("dashboard").exists());
    for file in ["index.html", "dom.js", "org.js", "org.css", "styles.css"] {
        assert!(pages.join(file).is_file(), "{file} at the root");
    }
    let overview = federation(&world);
    assert_eq!(overview["totals"]["repositories"], 12);
    let rows: BTreeSet<String> = overview["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["repo"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rows, expected);
    assert_eq!(overview["pending"], serde_json::json!([]));
    // One installation token to list, then one per repository, narrowed to it.
    let minted: Vec<_> = world
        .sandbox
        .exchanges()
        .into_iter()
        .filter(|e| e.method == "POST" && e.path.ends_with("/access_tokens"))
        .collect();
    assert_eq!(minted.len(), 13);
    let narrowed = minted
        .iter()
        .filter(|e| {
            e.request_body
                .as_ref()
                .and_then(|b| b["repositories"].as_array())
                .is_some_and(|r| r.len() == 1)
        })
        .count();
    assert_eq!(narrowed, 12);
    assert!(!run.stdout.contains(&key) && !run.stderr.contains("PRIVATE KEY"));
    assert!(
        run.stdout.contains("12 repositories chosen of 13 listed"),
        "{}",
        run.stdout
    );
    // The organisation's one Project is read in one pass for the whole run, not once per
    // repository (which would be quadratic in the organisation's size).
    let project_pages: Vec<Option<String>> = world
        .sandbox
        .exchanges()
        .iter()
        .filter(|e| e.path == "/graphql")
        .filter_map(|e| e.request_body.as_ref())
        .filter(|b| {
            b["query"]
                .as_str()
                .is_some_and(|q| q.contains("query ProjectItems"))
        })
        .map(|b| b["variables"]["after"].as_str().map(str::to_owned))
        .collect();
    let first_pages = project_pages.iter().filter(|after| after.is_none()).count();
    assert_eq!(first_pages, 1, "{project_pages:?}");
}

#[test]
fn one_failing_repository_is_its_own_telemetry_and_the_others_finish() {
    let world = org(13, 12, None, &["acme/repo-003"]);
    let run = codex(
        &world,
        "f1",
        &[("CODEX_MAX_RETRIES", "0")],
        &["pipeline", "--org", "acme", "--include-forks"],
    );
    run.expect_code(0);
    let pages = world.pages.path();
    assert_eq!(subtrees(pages).len(), 12);
    let status = |repo: &str, component: &str| -> String {
        let dir = pages.join(repo).join("telemetry");
        let file = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .find(|f| f.file_name().to_string_lossy().starts_with(component))
            .unwrap_or_else(|| panic!("{repo}: {component} telemetry"));
        read_json(&file.path())["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(status("acme/repo-003", "sync"), "error");
    for k in [1, 2, 4, 5, 6, 7, 8, 9, 11, 12, 13] {
        let repo = format!("acme/repo-{k:03}");
        for component in ["sync", "activity", "supervisor", "cleaner"] {
            assert_ne!(status(&repo, component), "error", "{repo} {component}");
        }
    }
    let overview = federation(&world);
    let row = overview["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["repo"] == "acme/repo-003")
        .expect("a row for the failing repository");
    assert_eq!(row["overall"], "failing");
    assert!(row["errors"].as_u64().unwrap() > 0);
    // --strict makes the whole run fail for it.
    let strict = codex(
        &world,
        "f2",
        &[("CODEX_MAX_RETRIES", "0")],
        &[
            "pipeline",
            "--repos",
            "acme/repo-003,acme/repo-004",
            "--strict",
        ],
    );
    strict.expect_code(1);
}

#[test]
fn a_spent_budget_leaves_repositories_that_the_next_run_takes_first() {
    let world = org(6, 30, None, &[]);
    let budget = [("CODEX_MAX_MUTATIONS", "40")];
    let first = codex(&world, "b1", &budget, &["pipeline", "--org", "acme"]);
    first.expect_code(0);
    let pending = crate::common::strings(&federation(&world)["pending"]);
    assert!(!pending.is_empty(), "{}", first.stdout);
    // Those left are the last ones of the order (by name; none is archived or a fork).
    let order: Vec<String> = (1..=6).map(|k| format!("acme/repo-{k:03}")).collect();
    assert_eq!(pending, order[order.len() - pending.len()..].to_vec());
    assert!(
        first.stdout.contains(&format!(
            "{} repositories left for the next run, which takes them first: {}",
            pending.len(),
            pending.join(", ")
        )),
        "{}",
        first.stdout
    );
    assert!(world.writes() <= 40);

    let second = codex(&world, "b2", &budget, &["pipeline", "--org", "acme"]);
    second.expect_code(0);
    let started: Vec<&str> = second
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("== "))
        .collect();
    assert!(
        started[0].starts_with(&format!("{} (1 of 6)", pending[0])),
        "{}",
        second.stdout
    );
    assert!(
        second.stdout.contains(&format!(
            "first, those the last run left: {}",
            pending.join(", ")
        )),
        "{}",
        second.stdout
    );
}

#[test]
fn a_spent_rate_limit_stops_the_run_and_leaves_the_rest_for_the_next() {
    let world = World::with(SandboxOptions {
        scenario: Scenario::Org,
        repos: 6,
        issues_per_repo: 30,
        record: true,
        // Enough for the listing and about two repositories, reset in an hour.
        rate_limit: Some(80),
        ..SandboxOptions::default()
    });
    let wait = [("CODEX_MAX_WAIT_SECS", "0"), ("CODEX_MAX_RETRIES", "0")];
    let run = codex(&world, "r1", &wait, &["pipeline", "--org", "acme"]);
    run.expect_code(0);
    let pending = crate::common::strings(&federation(&world)["pending"]);
    let order: Vec<String> = (1..=6).map(|k| format!("acme/repo-{k:03}")).collect();
    assert!(!pending.is_empty() && pending.len() < 6, "{}", run.stdout);
    assert_eq!(pending, order[order.len() - pending.len()..].to_vec());
    assert!(
        run.stdout.contains("not run: GitHub's rate limit is spent"),
        "{}",
        run.stdout
    );
    // Nothing is asked of GitHub for the repositories not started.
    let refused = world
        .sandbox
        .exchanges()
        .iter()
        .filter(|e| e.status == 403 || e.status == 429)
        .count();
    assert!(refused <= 1, "{refused} refused requests");
}
