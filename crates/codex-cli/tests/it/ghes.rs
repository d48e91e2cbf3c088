//! GitHub Enterprise Server: the seven components and `codex pipeline` against a `--ghes`
//! sandbox given only `--api-url https://HOST/api/v3` (CONTRACT.md sections 2 and 4): GraphQL
//! found at `/api/graphql` with no `--graphql-url`, and every link shown to people on the
//! server's own host, never github.com.

use std::path::Path;

use codex_sandbox::{SandboxOptions, Scenario};
use serde_json::Value;

use crate::common::{ADMIN_TOKEN, COMPONENT_BINS, REPO, World, clean_command, read_dashboard};

/// Every string in a JSON document, with its path.
fn strings<'a>(value: &'a Value, path: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::String(s) => out.push((path, s)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                strings(item, format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                strings(v, format!("{path}.{k}"), out);
            }
        }
        _ => {}
    }
}

/// Every `http(s)://…` link in a text, up to whitespace or Markdown/JSON punctuation.
fn links(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("http") {
        let tail = &rest[at..];
        if tail.starts_with("http://") || tail.starts_with("https://") {
            let end = tail
                .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '`' | '<' | '>'))
                .unwrap_or(tail.len());
            out.push(&tail[..end]);
            rest = &tail[end..];
        } else {
            rest = &tail[4..];
        }
    }
    out
}

/// Panics unless every link in `what` is under `web` and nothing names github.com.
#[track_caller]
fn assert_links_on(web: &str, what: &str, found: &[(String, &str)]) -> usize {
    let mut count = 0;
    for (path, text) in found {
        assert!(
            !text.contains("github.com"),
            "{what}{path} names github.com: {text}"
        );
        for link in links(text) {
            assert!(
                link.starts_with(&format!("{web}/")),
                "{what}{path}: a link off the server {web}: {link}"
            );
            count += 1;
        }
    }
    count
}

#[test]
fn ghes_runs_everything_with_only_the_api_url_and_links_on_its_host() {
    let world = World::with(SandboxOptions {
        scenario: Scenario::Demo,
        ghes: true,
        ..SandboxOptions::default()
    });
    let api = world.sandbox.api_url();
    let web = world.sandbox.base_url();
    assert!(api.ends_with("/api/v3"), "{api}");
    let summary = world.pages.path().join("job-summary.md");
    // What a workflow sets, minus every URL but --api-url: the GraphQL endpoint and the web
    // host must come from it alone (the cleared environment holds no GITHUB_GRAPHQL_URL or
    // GITHUB_SERVER_URL).
    let run = |binary: &str, run_id: &str, args: &[&str]| {
        let mut cmd = clean_command(binary);
        cmd.env("GITHUB_REPOSITORY", REPO)
            .env("GH_CI_PAT", ADMIN_TOKEN)
            .env("CODEX_PAGES_DIR", world.pages.path())
            .env("GITHUB_RUN_ID", run_id)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env_remove("GITHUB_GRAPHQL_URL")
            .env_remove("GITHUB_SERVER_URL")
            .env_remove("GITHUB_API_URL")
            .args(args)
            .args(["--api-url", &api]);
        let out: crate::common::Run = cmd.output().expect("binary runs").into();
        out.expect_code(0);
        assert!(
            !out.stdout.contains("github.com") && !out.stderr.contains("github.com"),
            "{binary} printed github.com\n--- stdout\n{}\n--- stderr\n{}",
            out.stdout,
            out.stderr
        );
        out
    };

    for binary in COMPONENT_BINS {
        run(binary, "ghes-alone", &[]);
    }
    let pipeline = run("codex", "ghes-pipeline", &["pipeline"]);
    let failed: Vec<&str> = pipeline
        .stdout
        .lines()
        .filter(|l| l.contains("  error"))
        .collect();
    assert!(
        failed.is_empty(),
        "components failed on GHES: {failed:?}\n{}",
        pipeline.stdout
    );

    // GraphQL reached the sandbox at /api/graphql: in --ghes mode that is the only path its
    // GraphQL answers on (/api/v3/graphql is a 404).
    let stats = world.sandbox.stats();
    assert!(
        stats["graphql"].as_u64().unwrap_or(0) > 0,
        "no GraphQL request reached /api/graphql: {stats}"
    );
    assert_eq!(stats["by_status"].get("404"), None, "{stats}");

    // Every request Codex counted was one the sandbox routed: the --ghes sandbox answers a path
    // outside /api/v3 and /api/graphql with a 404 it does not count, so any such request would
    // show as a difference here.
    let mut sent = 0;
    let mut telemetry_strings = Vec::new();
    let docs: Vec<(String, Value)> = world
        .telemetry_files()
        .into_iter()
        .map(|name| {
            let doc = crate::common::read_json(&world.telemetry_dir().join(&name));
            (name, doc)
        })
        .collect();
    assert_eq!(
        docs.len(),
        14,
        "seven components, twice: {:?}",
        world.telemetry_files()
    );
    for (name, doc) in &docs {
        assert!(
            doc["errors"].as_array().is_some_and(Vec::is_empty),
            "{name}: {}",
            doc["errors"]
        );
        sent += doc["api"]["requests"].as_u64().expect("api.requests");
        strings(doc, name.clone(), &mut telemetry_strings);
    }
    assert_eq!(
        Some(sent),
        stats["requests"].as_u64(),
        "requests Codex sent against those the sandbox routed: {stats}"
    );

    // Links: the telemetry's, the dashboard's and the job summary's, all on the server.
    let telemetry_links = assert_links_on(&web, "telemetry ", &telemetry_strings);
    let self_tests: Vec<&Value> = docs
        .iter()
        .filter(|(n, _)| n.starts_with("self-test-"))
        .map(|(_, d)| d)
        .collect();
    for doc in &self_tests {
        let number = doc["issue_number"]
            .as_u64()
            .expect("self-test made an issue");
        assert_eq!(
            doc["issue_url"],
            format!("{web}/{REPO}/issues/{number}"),
            "the issue's html_url, on the server"
        );
    }
    let activity = docs
        .iter()
        .find(|(n, _)| n.starts_with("activity-"))
        .map(|(_, d)| d)
        .expect("activity telemetry");
    let items = activity["main"].as_array().expect("activity.main");
    assert!(!items.is_empty());
    for item in items {
        assert_eq!(
            item["url"],
            format!("{web}/{REPO}/issues/{}", item["number"]),
        );
    }
    assert!(telemetry_links > items.len(), "{telemetry_links}");

    let dashboard = read_dashboard(world.pages.path());
    assert_eq!(dashboard["web_url"], format!("{web}/{REPO}"));
    let mut dashboard_strings = Vec::new();
    strings(&dashboard, String::new(), &mut dashboard_strings);
    assert!(assert_links_on(&web, "dashboard.json ", &dashboard_strings) > items.len());

    let markdown = std::fs::read_to_string(&summary).expect("the job summary");
    let lines: Vec<(String, &str)> = markdown
        .lines()
        .enumerate()
        .map(|(i, l)| (format!(" line {}", i + 1), l))
        .collect();
    assert!(
        assert_links_on(&web, "job summary", &lines) >= 2,
        "both self-test runs link their issue:\n{markdown}"
    );
    assert!(Path::new(&summary).exists());
}
