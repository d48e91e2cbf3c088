//! The workflows and the binaries cannot drift apart: every environment variable a binary
//! reads (CONTRACT.md section 2, `codex_core::env::CONTRACT_VARIABLES`, plus the tuning
//! variables `--help` lists) is passed by each component workflow, from the place the setup
//! guide says (`vars.NAME`, `secrets.GH_CI_PAT`, `github.token`), except the ones GitHub
//! Actions sets on every runner by itself. Also: each workflow runs its binary, the pipeline
//! calls all seven, every remote action is pinned to a full commit SHA with its version in a
//! comment, and every workflow starts from `permissions: {}`.
//!
//! No YAML crate: the workflows are read line by line, which is enough for `KEY: value`
//! entries of block mappings (the only form used under `env:`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use codex_core::component::PIPELINE;
use codex_core::config::ENV_HELP;
use codex_core::env;

/// Set by GitHub Actions on every runner; a workflow need not (and should not) pass them.
const SET_BY_ACTIONS: &[&str] = &[
    env::GITHUB_REPOSITORY,
    env::GITHUB_API_URL,
    env::GITHUB_GRAPHQL_URL,
    env::GITHUB_RUN_ID,
    env::GITHUB_RUN_ATTEMPT,
];

/// Variables the workflow itself decides rather than a repository variable.
const SET_BY_WORKFLOW: &[&str] = &[env::CODEX_PAGES_DIR];

fn workflows_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.github/workflows")
}

fn read(file: &str) -> String {
    let path = workflows_dir().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// `(NAME, value)` of every entry of every `env:` block: an `env:` key with nothing after it
/// opens a block whose entries are the following lines indented deeper than it; the block
/// ends at the first line (not blank, not a comment) indented no deeper than `env:`. Only the
/// block's own level counts (deeper lines would be a nested value).
fn env_entries(text: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let key = line.trim_start().trim_start_matches("- ");
        let opens = key
            .split('#')
            .next()
            .is_some_and(|k| k.trim_end() == "env:");
        i += 1;
        if !opens {
            continue;
        }
        let base = indent(line);
        let mut level = None;
        while i < lines.len() {
            let entry = lines[i];
            if is_blank_or_comment(entry) {
                i += 1;
                continue;
            }
            let ind = indent(entry);
            if ind <= base {
                break;
            }
            let level = *level.get_or_insert(ind);
            if ind == level
                && let Some((name, value)) = entry.trim().split_once(':')
            {
                out.push((name.trim().to_owned(), value.trim().to_owned()));
            }
            i += 1;
        }
    }
    out
}

/// Every variable a binary reads: CONTRACT.md section 2 plus the `CODEX_*` names `--help`
/// lists for the environment-only settings.
fn read_by_binaries() -> BTreeSet<String> {
    let mut names: BTreeSet<String> = env::CONTRACT_VARIABLES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    for word in
        ENV_HELP.split(|c: char| !(c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()))
    {
        if word.starts_with("CODEX_") && word.len() > "CODEX_".len() {
            names.insert(word.trim_end_matches('_').to_owned());
        }
    }
    names
}

/// What a component workflow must pass.
fn expected(needs_token: bool) -> BTreeSet<String> {
    read_by_binaries()
        .into_iter()
        .filter(|n| !SET_BY_ACTIONS.contains(&n.as_str()))
        .filter(|n| needs_token || (n != env::GH_CI_PAT && n != env::GITHUB_TOKEN))
        .collect()
}

/// Problems with one component workflow's text (empty when all is well).
fn problems(text: &str, binary: &str, needs_token: bool) -> Vec<String> {
    let entries = env_entries(text);
    let passed: BTreeSet<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    let mut out = Vec::new();
    for name in expected(needs_token) {
        if !passed.contains(name.as_str()) {
            out.push(format!("{name} is not passed"));
        }
    }
    for (name, value) in &entries {
        let name = name.as_str();
        let ok = match name {
            n if n == env::GH_CI_PAT => value == "${{ secrets.GH_CI_PAT }}",
            n if n == env::GITHUB_TOKEN => value == "${{ github.token }}",
            n if SET_BY_WORKFLOW.contains(&n) => !value.is_empty(),
            n if n.starts_with("CODEX_") => value.contains(&format!("vars.{n} ")),
            _ => true,
        };
        if !ok {
            out.push(format!("{name} has an unexpected value: {value}"));
        }
    }
    if !needs_token && (passed.contains(env::GH_CI_PAT) || passed.contains(env::GITHUB_TOKEN)) {
        out.push(format!("{binary} needs no token but is given one"));
    }
    if !text
        .lines()
        .any(|l| l.trim_start().starts_with(&format!("{binary} ")))
    {
        out.push(format!("{binary} is never run"));
    }
    for needle in [
        "workflow_dispatch:",
        "workflow_call:",
        "dry_run:",
        "publish-gh-pages.sh publish",
    ] {
        if !text.contains(needle) {
            out.push(format!("no {needle}"));
        }
    }
    out
}

#[test]
fn every_component_workflow_passes_every_variable_its_binary_reads() {
    let mut all = Vec::new();
    for info in &PIPELINE {
        let file = info.workflow;
        for p in problems(&read(file), info.binary, info.needs_token) {
            all.push(format!("{file}: {p}"));
        }
    }
    assert!(all.is_empty(), "workflow drift:\n{}", all.join("\n"));
}

#[test]
fn the_check_fails_when_a_variable_is_removed() {
    let text = read("codex-self-test.yml");
    assert!(problems(&text, "codex-self-test", true).is_empty());
    for removed in [
        env::CODEX_MAIN_STALE_DAYS,
        env::CODEX_PROJECT_OWNER,
        env::CODEX_DRY_RUN,
        env::GH_CI_PAT,
        env::GITHUB_TOKEN,
        env::CODEX_RETRY_BASE_MS,
    ] {
        let edited: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with(&format!("{removed}:")))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_ne!(edited, text, "{removed} should be in the workflow");
        assert_eq!(
            problems(&edited, "codex-self-test", true),
            vec![format!("{removed} is not passed")],
            "removing {removed}"
        );
    }
    let renamed = text.replace(
        "${{ vars.CODEX_SELFTEST_RETAIN }}",
        "${{ vars.CODEX_SELFTEST_KEEP }}",
    );
    assert_eq!(
        problems(&renamed, "codex-self-test", true),
        vec!["CODEX_SELFTEST_RETAIN has an unexpected value: ${{ vars.CODEX_SELFTEST_KEEP }}"]
    );
}

#[test]
fn env_blocks_are_read_at_their_own_level_only() {
    let text = "\
jobs:
  a:
    env:
      A: ${{ vars.A }}
      # a comment
      B: |
        NOT_A_KEY: x

      C: c
    steps:
      - env:
          D: d
        run: echo
      - name: x
        env:
          E: e
        with:
          F: f
";
    let names: Vec<String> = env_entries(text).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["A", "B", "C", "D", "E"]);
}

#[test]
fn the_pipeline_calls_all_seven_in_order_and_keeps_going() {
    let text = read("codex-pipeline.yml");
    let mut at = 0;
    for file in PIPELINE.map(|i| i.workflow) {
        let needle = format!("uses: ./.github/workflows/{file}");
        let pos = text[at..]
            .find(&needle)
            .unwrap_or_else(|| panic!("the pipeline does not call {file} in order"));
        at += pos + needle.len();
    }
    assert!(
        text.contains("- cron: \"17 */6 * * *\""),
        "every 6 hours at :17"
    );
    assert_eq!(
        text.matches("if: ${{ !cancelled() && needs.build.result == 'success' }}")
            .count(),
        5,
        "every component after self-test (except diagnostics, which needs only the build) runs whatever came before"
    );
}

#[test]
fn actions_are_pinned_and_permissions_start_empty() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(workflows_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    files.push(workflows_dir().join("../actions/setup-codex/action.yml"));
    assert!(files.len() >= 10, "{files:?}");
    let mut bad = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name != "action.yml" && !text.lines().any(|l| l == "permissions: {}") {
            bad.push(format!("{name}: no top-level `permissions: {{}}`"));
        }
        for line in text.lines() {
            let Some(target) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses: ")
            else {
                continue;
            };
            if target.starts_with("./") {
                continue;
            }
            let pinned = target.split_once('@').is_some_and(|(_, rest)| {
                let (sha, comment) = rest.split_once(' ').unwrap_or((rest, ""));
                sha.len() == 40
                    && sha.chars().all(|c| c.is_ascii_hexdigit())
                    && comment.trim_start().starts_with("# v")
            });
            if !pinned {
                bad.push(format!(
                    "{name}: not pinned to a SHA with its version: {target}"
                ));
            }
        }
        if text.contains("actions/checkout@") {
            let checkouts = text.matches("actions/checkout@").count();
            let off = text.matches("persist-credentials: false").count();
            if checkouts != off {
                bad.push(format!("{name}: a checkout keeps its credentials"));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// A cancelled or timed-out run writes telemetry saying so (exit 130/143); the publish step
/// must still run to put it on gh-pages, so it is `always()`, never `!cancelled()`.
#[test]
fn a_cancelled_run_still_publishes_its_telemetry() {
    for file in PIPELINE.map(|i| i.workflow) {
        let text = read(file);
        let lines: Vec<&str> = text.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.trim() == "- name: Publish to gh-pages")
            .unwrap_or_else(|| panic!("{file} has no publish step"));
        let condition = lines[at + 1..]
            .iter()
            .find(|l| l.trim_start().starts_with("if:"))
            .unwrap_or_else(|| panic!("{file}: the publish step has no condition"));
        assert!(
            condition.contains("always()") && condition.contains("CODEX_DRY_RUN != 'true'"),
            "{file}: the publish step must run on cancellation and skip dry runs: {condition}"
        );
    }
}
