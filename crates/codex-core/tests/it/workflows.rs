//! The workflows, the Action and the binaries cannot drift apart.
//!
//! - Every environment variable a binary reads (CONTRACT.md section 2,
//!   `codex_core::env::CONTRACT_VARIABLES`, plus the tuning variables `--help` lists) is passed
//!   by each component workflow and by the reusable workflow (`codex.yml`), from the place the
//!   setup guide says (`vars.NAME`), except the ones GitHub Actions sets on every runner and the
//!   ones the Action sets itself (the token, the pages directory).
//! - Each component workflow runs its own subcommand through this repository's Action
//!   (`uses: ./`) with the token, dry run and pages it needs and a flag per input; the
//!   pipeline calls all seven in order, handing them one local release; the reusable workflow
//!   runs `pipeline` through the Action pinned by SHA, compiles nothing and resolves no path in
//!   the caller's checkout, and its pin and `version` match this commit.
//! - The Action publishes gh-pages on `always()` and never on a dry run.
//! - Every remote action is pinned to a full commit SHA with its version in a comment, and
//!   every workflow starts from `permissions: {}`.
//!
//! No YAML crate: the files are read line by line, which is enough for `KEY: value` entries of
//! block mappings (the only form used under `env:` and `with:`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use codex_core::component::{Info, PIPELINE};
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

/// Set by Codex's Action from its inputs: `token` (as `GH_CI_PAT`; `GITHUB_TOKEN` is only its
/// fallback), `pages: "true"` (`CODEX_PAGES_DIR`, its own checkout of gh-pages) and a GitHub
/// App's `app-id`, `app-private-key`, `app-installation-id` (then `GH_CI_PAT` is left empty).
const SET_BY_THE_ACTION: &[&str] = &[
    env::GH_CI_PAT,
    env::GITHUB_TOKEN,
    env::CODEX_PAGES_DIR,
    env::CODEX_APP_ID,
    env::CODEX_APP_PRIVATE_KEY,
    env::CODEX_APP_INSTALLATION_ID,
];

/// Read by the binaries but not passed by the workflows: the App's key as a file (in Actions
/// the key is a secret, handed over as text through the Action's `app-private-key`).
const NOT_PASSED_BY_WORKFLOWS: &[&str] = &[env::CODEX_APP_PRIVATE_KEY_FILE];

/// The action files whose content a pinned `acme/codex@<sha>` must share with this commit for
/// the reusable workflow to install and publish the way this commit does (the binaries
/// themselves come from the release named by `version`).
const PINNED_ACTION_FILES: &[&str] = &[
    "action.yml",
    "action/",
    "scripts/publish-gh-pages.sh",
    "scripts/release/lib.sh",
];

const REUSABLE: &str = "codex.yml";

/// The reusable workflow of a control repository (many repositories, one gh-pages).
const REUSABLE_ORG: &str = "codex-org.yml";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn workflows_dir() -> PathBuf {
    repo_root().join(".github/workflows")
}

fn read_path(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read(file: &str) -> String {
    read_path(&workflows_dir().join(file))
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// `(NAME, value)` of every entry of every `KEY:` block (`env:`, `with:`): a key with nothing
/// after it opens a block whose entries are the following lines indented deeper than it; the
/// block ends at the first line (not blank, not a comment) indented no deeper than the key.
/// Only the block's own level counts (deeper lines would be a nested value). A value keeps
/// its trailing comment, if any, stripped.
fn block_entries(text: &str, key: &str) -> Vec<(String, String)> {
    let opener = format!("{key}:");
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let k = line.trim_start().trim_start_matches("- ");
        let opens = k.split('#').next().is_some_and(|k| k.trim_end() == opener);
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
                let value = value.split(" # ").next().unwrap_or_default();
                out.push((name.trim().to_owned(), value.trim().to_owned()));
            }
            i += 1;
        }
    }
    out
}

fn env_entries(text: &str) -> Vec<(String, String)> {
    block_entries(text, "env")
}

/// The value of `with: NAME` (the one action step taking it), if any.
fn with_value(text: &str, name: &str) -> Option<String> {
    block_entries(text, "with")
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// The targets of every `uses:` line, trailing comments included.
fn uses_targets(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| {
            l.trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses: ")
        })
        .collect()
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

/// What a workflow running Codex through the Action must pass in its `env:`.
fn expected_env() -> BTreeSet<String> {
    read_by_binaries()
        .into_iter()
        .filter(|n| !SET_BY_ACTIONS.contains(&n.as_str()))
        .filter(|n| !SET_BY_THE_ACTION.contains(&n.as_str()))
        .filter(|n| !NOT_PASSED_BY_WORKFLOWS.contains(&n.as_str()))
        .collect()
}

/// Problems with the `env:` entries: a variable not passed, one passed from elsewhere than
/// `vars.NAME`, one the Action sets passed beside it.
fn env_problems(text: &str) -> Vec<String> {
    let entries = env_entries(text);
    let passed: BTreeSet<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    let mut out = Vec::new();
    for name in expected_env() {
        if !passed.contains(name.as_str()) {
            out.push(format!("{name} is not passed"));
        }
    }
    for (name, value) in &entries {
        let name = name.as_str();
        if SET_BY_THE_ACTION.contains(&name) {
            out.push(format!("{name} is set by the action, not in env:"));
        } else if name.starts_with("CODEX_")
            && name != "CODEX_RELEASE_BASE_URL"
            && !value.contains(&format!("vars.{name} "))
        {
            out.push(format!("{name} has an unexpected value: {value}"));
        }
    }
    out
}

/// Problems with the Action's inputs common to every workflow running Codex through it.
fn action_input_problems(text: &str, command: &str, token: &str) -> Vec<String> {
    let mut out = Vec::new();
    let want = [
        ("command", command),
        ("token", token),
        // The Action sets CODEX_DRY_RUN from this (and skips publishing): every spelling of
        // "on" that the binaries accept (CONTRACT.md section 2) must count.
        (
            "dry-run",
            r#"${{ contains(fromJSON('["true", "1", "yes", "on"]'), env.CODEX_DRY_RUN) }}"#,
        ),
        ("pages", "\"true\""),
    ];
    for (name, value) in want {
        match with_value(text, name) {
            Some(v) if v == value => {}
            Some(v) => out.push(format!("the action's {name} is {v}, expected {value}")),
            None => out.push(format!("the action gets no {name}")),
        }
    }
    out
}

/// Names of the `workflow_dispatch` inputs.
fn dispatch_inputs(text: &str) -> Vec<String> {
    let Some(start) = text.find("  workflow_dispatch:\n    inputs:\n") else {
        return Vec::new();
    };
    text[start..]
        .lines()
        .skip(2)
        .take_while(|l| is_blank_or_comment(l) || indent(l) > 4)
        .filter(|l| indent(l) == 6 && !is_blank_or_comment(l))
        .filter_map(|l| l.trim().strip_suffix(':').map(str::to_owned))
        .collect()
}

/// Problems with one component workflow's text (empty when all is well).
fn problems(text: &str, info: &Info) -> Vec<String> {
    let mut out = env_problems(text);
    let token = if info.needs_token {
        "${{ secrets.GH_CI_PAT || github.token }}"
    } else {
        // No API call: the token only pushes gh-pages.
        "${{ github.token }}"
    };
    out.extend(action_input_problems(text, info.subcommand, token));
    if !uses_targets(text).iter().any(|t| t.starts_with("./ ")) {
        out.push("the action at this commit (uses: ./) is never run".to_owned());
    }
    let args = with_value(text, "args").unwrap_or_default();
    for input in dispatch_inputs(text) {
        if input == "dry_run" {
            continue;
        }
        let flag = format!("${{{{ inputs.{input} && '--{input}' || '' }}}}");
        if !args.contains(&flag) {
            out.push(format!("the input {input} does not give --{input}"));
        }
    }
    for needle in [
        "workflow_dispatch:",
        "workflow_call:",
        "dry_run:",
        "release-artifact:",
    ] {
        if !text.contains(needle) {
            out.push(format!("no {needle}"));
        }
    }
    out
}

#[test]
fn every_component_workflow_runs_its_subcommand_with_every_variable() {
    let mut all = Vec::new();
    for info in &PIPELINE {
        let file = info.workflow;
        for p in problems(&read(file), info) {
            all.push(format!("{file}: {p}"));
        }
    }
    assert!(all.is_empty(), "workflow drift:\n{}", all.join("\n"));
}

#[test]
fn the_check_fails_when_a_variable_or_an_input_is_wrong() {
    let info = &PIPELINE[0];
    assert_eq!(info.workflow, "codex-self-test.yml");
    let text = read(info.workflow);
    assert!(problems(&text, info).is_empty());
    for removed in [
        env::CODEX_MAIN_STALE_DAYS,
        env::CODEX_PROJECT_OWNER,
        env::CODEX_DRY_RUN,
        env::CODEX_RETRY_BASE_MS,
    ] {
        let edited: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with(&format!("{removed}:")))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_ne!(edited, text, "{removed} should be in the workflow");
        assert_eq!(
            problems(&edited, info),
            vec![format!("{removed} is not passed")],
            "removing {removed}"
        );
    }
    let renamed = text.replace(
        "${{ vars.CODEX_SELFTEST_RETAIN }}",
        "${{ vars.CODEX_SELFTEST_KEEP }}",
    );
    assert_eq!(
        problems(&renamed, info),
        vec!["CODEX_SELFTEST_RETAIN has an unexpected value: ${{ vars.CODEX_SELFTEST_KEEP }}"]
    );
    let other = text.replace("command: self-test", "command: cleaner");
    assert_eq!(
        problems(&other, info),
        vec!["the action's command is cleaner, expected self-test"]
    );
    let tokenless = text.replace(
        "token: ${{ secrets.GH_CI_PAT || github.token }}",
        "token: ${{ github.token }}",
    );
    assert_eq!(
        problems(&tokenless, info),
        vec![
            "the action's token is ${{ github.token }}, expected ${{ secrets.GH_CI_PAT || github.token }}"
        ]
    );
    let unflagged = text.replace("${{ inputs.strict && '--strict' || '' }}", "");
    assert_eq!(
        problems(&unflagged, info),
        vec!["the input strict does not give --strict"]
    );
    let beside = text.replace(
        "      RUST_BACKTRACE: \"1\"\n",
        "      RUST_BACKTRACE: \"1\"\n      CODEX_PAGES_DIR: gh-pages\n",
    );
    assert_eq!(
        problems(&beside, info),
        vec!["CODEX_PAGES_DIR is set by the action, not in env:"]
    );
}

#[test]
fn blocks_are_read_at_their_own_level_only() {
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
          F: f # a comment
";
    let names: Vec<String> = env_entries(text).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["A", "B", "C", "D", "E"]);
    assert_eq!(with_value(text, "F").as_deref(), Some("f"));
}

#[test]
fn component_flags_come_from_the_dispatch_inputs() {
    let diagnostics = read("codex-diagnostics.yml");
    assert_eq!(
        dispatch_inputs(&diagnostics),
        ["dry_run", "strict", "repair"]
    );
    let cleaner = read("codex-cleaner-selftest.yml");
    assert_eq!(dispatch_inputs(&cleaner), ["dry_run", "strict", "delete"]);
}

#[test]
fn the_pipeline_calls_every_component_in_order_with_one_local_release() {
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
        6,
        "every component after self-test (except diagnostics, which needs only the build) runs whatever came before"
    );
    assert_eq!(
        text.matches("      release-artifact: codex-release\n")
            .count(),
        PIPELINE.len(),
        "every component installs the build job's local release"
    );
    for needle in [
        "name: codex-release\n",
        "cargo \"+$RUST_TOOLCHAIN\" build --release --locked -p codex-cli --target \"$TARGET\"",
        "bash scripts/release/package.sh --target \"$TARGET\"",
        "bash scripts/release/package.sh checksums",
    ] {
        assert!(text.contains(needle), "the build job lacks {needle}");
    }
    // The local release is built for a real release target, so the Action installs it as it
    // would install a published one on this runner (Linux X64).
    let lib = read_path(&repo_root().join("scripts/release/lib.sh"));
    let target = block_entries(&text, "env")
        .into_iter()
        .find(|(n, _)| n == "TARGET")
        .map(|(_, v)| v)
        .expect("the build job names its TARGET");
    assert!(
        lib.contains(&format!("Linux/X64) echo {target} ;;")),
        "{target} is not the release target of an ubuntu-latest runner"
    );
}

/// `OWNER/NAME` of Codex itself, from the workspace manifest's `repository`.
fn own_slug() -> String {
    let manifest = read_path(&repo_root().join("Cargo.toml"));
    manifest
        .lines()
        .find_map(|l| l.strip_prefix("repository = \"https://github.com/"))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("Cargo.toml: [workspace.package] repository = \"https://github.com/OWNER/NAME\"")
        .to_owned()
}

/// The `default:` of the `workflow_call` input NAME.
fn input_default(text: &str, name: &str) -> Option<String> {
    let start = text.find(&format!("\n      {name}:\n"))?;
    text[start + 1..]
        .lines()
        .skip(1)
        .take_while(|l| indent(l) > 6)
        .find_map(|l| l.trim().strip_prefix("default: "))
        .map(|v| v.trim_matches('"').to_owned())
}

/// The reusable workflow's `uses: OWNER/NAME@SHA # vVERSION` of the Action: (SHA, comment).
fn pinned_action(text: &str) -> Option<(String, String)> {
    let prefix = format!("{}@", own_slug());
    uses_targets(text).into_iter().find_map(|t| {
        let rest = t.strip_prefix(&prefix)?;
        let (sha, comment) = rest.split_once(' ').unwrap_or((rest, ""));
        Some((sha.to_owned(), comment.trim().to_owned()))
    })
}

/// Problems with the reusable workflow's text (empty when all is well).
fn reusable_problems(text: &str) -> Vec<String> {
    let mut out = env_problems(text);
    out.extend(action_input_problems(
        text,
        "pipeline",
        "${{ secrets.token || github.token }}",
    ));
    for (name, value) in [
        ("version", "${{ inputs.version }}"),
        ("build-from-source", "never"),
        (
            "pages-history-days",
            "${{ vars.CODEX_PAGES_HISTORY_DAYS || '14' }}",
        ),
        (
            "args",
            "${{ inputs.args }}${{ inputs.strict && ' --strict' || '' }}${{ vars.CODEX_CLEANER_DELETE == 'true' && ' --delete' || '' }}",
        ),
    ] {
        let got = with_value(text, name);
        if got.as_deref() != Some(value) {
            out.push(format!("the action's {name} is {got:?}, expected {value}"));
        }
    }
    let version = env!("CARGO_PKG_VERSION");
    match pinned_action(text) {
        Some((sha, comment)) => {
            if sha.len() != 40 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
                out.push(format!("the action is not pinned to a full SHA: {sha}"));
            }
            if comment != format!("# v{version}") {
                out.push(format!(
                    "the pin's comment is {comment:?}, expected \"# v{version}\""
                ));
            }
        }
        None => out.push(format!("the action {}@<sha> is never run", own_slug())),
    }
    match input_default(text, "version") {
        Some(v) if v == version => {}
        other => out.push(format!(
            "the version input defaults to {other:?}, not the workspace version {version}"
        )),
    }
    // Callable only; no path of the caller's checkout (`./`, scripts/), no checkout at all,
    // no shell step (nothing compiled, nothing the caller's files could change).
    let on = text.split("\non:\n").nth(1).unwrap_or_default();
    let triggers: Vec<&str> = on
        .lines()
        .take_while(|l| is_blank_or_comment(l) || indent(l) > 0)
        .filter(|l| indent(l) == 2 && !is_blank_or_comment(l))
        .map(str::trim)
        .collect();
    if triggers != ["workflow_call:"] {
        out.push(format!(
            "triggers are {triggers:?}, expected only workflow_call"
        ));
    }
    for t in uses_targets(text) {
        if t.starts_with("./") || t.starts_with("actions/checkout@") {
            out.push(format!("uses the caller's checkout: {t}"));
        }
    }
    for line in text.lines().filter(|l| !is_blank_or_comment(l)) {
        let l = line.trim_start().trim_start_matches("- ");
        if l.starts_with("run:") || l.contains("scripts/") || l.contains("cargo ") {
            out.push(format!(
                "runs or resolves something itself: {}",
                line.trim()
            ));
        }
    }
    if !text.contains("secrets:\n      token:\n") {
        out.push("no secret `token`".to_owned());
    }
    out
}

#[test]
fn the_reusable_workflow_runs_the_pinned_action_with_every_variable() {
    let text = read(REUSABLE);
    let problems = reusable_problems(&text);
    assert!(
        problems.is_empty(),
        "{REUSABLE} drift:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_reusable_workflow_check_fails_when_it_drifts() {
    let text = read(REUSABLE);
    let version = env!("CARGO_PKG_VERSION");
    let cases = [
        (
            format!("        default: \"{version}\""),
            "        default: \"0.9.0\"".to_owned(),
            format!(
                "the version input defaults to Some(\"0.9.0\"), not the workspace version {version}"
            ),
        ),
        (
            "build-from-source: never".to_owned(),
            "build-from-source: auto".to_owned(),
            "the action's build-from-source is Some(\"auto\"), expected never".to_owned(),
        ),
        (
            "command: pipeline".to_owned(),
            "command: cleaner".to_owned(),
            "the action's command is cleaner, expected pipeline".to_owned(),
        ),
        (
            "    steps:\n".to_owned(),
            "    steps:\n      - run: bash scripts/x.sh\n".to_owned(),
            "runs or resolves something itself: - run: bash scripts/x.sh".to_owned(),
        ),
        (
            "on:\n  workflow_call:\n".to_owned(),
            "on:\n  workflow_dispatch:\n  workflow_call:\n".to_owned(),
            "triggers are [\"workflow_dispatch:\", \"workflow_call:\"], expected only workflow_call"
                .to_owned(),
        ),
    ];
    for (from, to, problem) in cases {
        assert!(text.contains(&from), "{REUSABLE} should contain {from}");
        let edited = text.replacen(&from, &to, 1);
        assert_eq!(reusable_problems(&edited), vec![problem], "{from} -> {to}");
    }
}

fn git(args: &[&str]) -> Option<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(repo_root())
        .args(args)
        .output()
        .ok()
}

/// The reusable workflow runs the Action at its pinned commit, not at this one: that commit's
/// install and publish logic must be this commit's, or callers would run something untested.
#[test]
fn the_pinned_action_is_this_commits_action() {
    let text = read(REUSABLE);
    let (pin, _) = pinned_action(&text).expect("codex.yml pins the action");
    // codex-org.yml pins the same commit (org_problems holds every pin in it equal), so what
    // is checked here holds for it too.
    let org = pinned_action(&read(REUSABLE_ORG)).map(|(sha, _)| sha);
    assert_eq!(
        org.as_deref(),
        Some(pin.as_str()),
        "{REUSABLE_ORG} pins the action to another commit than {REUSABLE}"
    );
    let paths = PINNED_ACTION_FILES.join(" ");
    let bump = format!(
        "commit the action's changes, then set the pin in .github/workflows/{REUSABLE} to that \
         commit (`git rev-parse HEAD`; any commit where `git diff --quiet <sha> -- {paths}` \
         succeeds will do)"
    );
    let exists = git(&["cat-file", "-e", &format!("{pin}^{{commit}}")]);
    let Some(exists) = exists else {
        eprintln!("note: git is not available; the pin {pin} was not checked");
        return;
    };
    if !exists.status.success() {
        let shallow = git(&["rev-parse", "--is-shallow-repository"])
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
        match shallow.as_deref() {
            Some("true") => {
                eprintln!(
                    "note: shallow clone without the pinned commit {pin}; the pin was not checked"
                );
                return;
            }
            Some("false") => {}
            _ => {
                eprintln!("note: not a git checkout; the pin {pin} was not checked");
                return;
            }
        }
        panic!(
            "{REUSABLE} pins the action to {pin}, which is not in this repository's history: {bump}"
        );
    }
    let mut args = vec!["diff", "--quiet", pin.as_str(), "--"];
    args.extend(PINNED_ACTION_FILES);
    let diff = git(&args).expect("git ran above");
    assert!(
        diff.status.success(),
        "{REUSABLE} pins the action to {pin}, whose {paths} differ from this checkout's: {bump}"
    );
}

/// A cancelled or timed-out run writes telemetry saying so (exit 130/143); the Action's
/// publish step must still run to put it on gh-pages, so it is `always()`, never
/// `!cancelled()`, and a dry run publishes nothing.
#[test]
fn a_cancelled_run_still_publishes_its_telemetry() {
    let text = read_path(&repo_root().join("action.yml"));
    let steps: Vec<&str> = text.split("\n    - name: ").skip(1).collect();
    let publish: Vec<&&str> = steps
        .iter()
        .filter(|s| s.contains("publish-gh-pages.sh\" publish"))
        .collect();
    assert_eq!(publish.len(), 1, "action.yml has one publish step");
    let condition = publish[0]
        .lines()
        .find(|l| l.trim_start().starts_with("if:"))
        .expect("action.yml: the publish step has no condition");
    assert!(
        condition.contains("always()")
            && !condition.contains("cancelled()")
            && condition.contains("inputs.dry-run != 'true'"),
        "action.yml: the publish step must run on cancellation and skip dry runs: {condition}"
    );
}

#[test]
fn actions_are_pinned_and_permissions_start_empty() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(workflows_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    files.push(repo_root().join("action.yml"));
    if let Ok(dirs) = std::fs::read_dir(repo_root().join(".github/actions")) {
        files.extend(dirs.map(|e| e.unwrap().path().join("action.yml")));
    }
    assert!(files.len() >= 11, "{files:?}");
    let mut bad = Vec::new();
    for path in &files {
        let text = read_path(path);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name != "action.yml" && !text.lines().any(|l| l == "permissions: {}") {
            bad.push(format!("{name}: no top-level `permissions: {{}}`"));
        }
        if text.contains("secrets: inherit") {
            bad.push(format!("{name}: secrets: inherit"));
        }
        for target in uses_targets(&text) {
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

/// The steps of every job: each `- ` item at the steps' indentation (6), up to the next one or
/// the end of its job.
fn steps(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        if !is_blank_or_comment(line) && indent(line) < 6 {
            open = false;
        }
        if indent(line) == 6 && line.trim_start().starts_with("- ") {
            out.push(String::new());
            open = true;
        }
        if open && let Some(step) = out.last_mut() {
            step.push_str(line);
            step.push('\n');
        }
    }
    out
}

/// The bodies of every `run:` of a step (the lines after `run: |`, or the value itself).
fn run_scripts(step: &str) -> Vec<String> {
    let lines: Vec<&str> = step.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let key = line.trim_start().trim_start_matches("- ");
        let Some(value) = key.strip_prefix("run:") else {
            continue;
        };
        let value = value.split(" # ").next().unwrap_or_default().trim();
        if value.starts_with('|') || value.starts_with('>') {
            let base = indent(line);
            let body: Vec<&str> = lines[i + 1..]
                .iter()
                .take_while(|l| l.trim().is_empty() || indent(l) > base)
                .copied()
                .collect();
            out.push(body.join("\n"));
        } else {
            out.push(value.to_owned());
        }
    }
    out
}

/// Where the discover step runs the installed binary itself (the Action cannot hand its output
/// to a job output), it passes the credentials exactly as the Action would.
const ORG_DISCOVER_CREDENTIALS: &[&str] = &[
    "CODEX_BIN_DIR: ${{ steps.codex.outputs.bin-dir }}",
    "GH_CI_PAT: ${{ inputs.app-id == '' && secrets.token || '' }}",
    "CODEX_APP_ID: ${{ inputs.app-id }}",
    "CODEX_APP_PRIVATE_KEY: ${{ secrets.app-private-key }}",
];

/// The only script of Codex's the organisation workflow runs, from its own checkout of Codex at
/// the Action's pinned commit.
const ORG_PUBLISHER: &str = "bash codex-action/scripts/publish-gh-pages.sh ";

/// Problems with the control repository's reusable workflow (empty when all is well).
fn org_problems(text: &str) -> Vec<String> {
    // Every variable from vars.NAME (the selection from its input first), as in codex.yml.
    let without_credentials: String = text
        .lines()
        .filter(|l| !ORG_DISCOVER_CREDENTIALS.contains(&l.trim()))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut out = env_problems(&without_credentials);
    for line in ORG_DISCOVER_CREDENTIALS {
        if text.lines().filter(|l| l.trim() == *line).count() != 1 {
            out.push(format!("the discover step does not pass {line} once"));
        }
    }
    for name in ["org", "repos", "exclude", "topics"] {
        let var = format!("CODEX_{}", name.to_uppercase());
        let entry = format!("{var}: ${{{{ inputs.{name} || vars.{var} }}}}");
        // discover and serial select; a matrix leg names its repositories with --repos only.
        let n = text.lines().filter(|l| l.trim() == entry).count();
        if n != 2 {
            out.push(format!(
                "{entry} is passed {n} times, expected 2 (discover, serial)"
            ));
        }
    }

    let version = env!("CARGO_PKG_VERSION");
    let pin = pinned_action(text).map(|(sha, _)| sha).unwrap_or_default();
    if pin.len() != 40 || !pin.chars().all(|c| c.is_ascii_hexdigit()) {
        out.push(format!("the action is not pinned to a full SHA: {pin:?}"));
    }
    let pinned = format!("{}@{pin} # v{version}", own_slug());
    let args_tail = "${{ inputs.args }}${{ inputs.strict && ' --strict' || '' }}${{ vars.CODEX_CLEANER_DELETE == 'true' && ' --delete' || '' }}";
    let dry_run = r#"${{ contains(fromJSON('["true", "1", "yes", "on"]'), env.CODEX_DRY_RUN) }}"#;
    let leg_args = format!(
        "--repos ${{{{ matrix.leg.repos }}}} --pages-dir ${{{{ github.workspace }}}}/codex-pages {args_tail}"
    );
    let overview_args = "--pages-dir ${{ github.workspace }}/codex-pages";
    // (command, pages, args) of each run of the Action, in order.
    let expected: [(&str, &str, Option<&str>); 4] = [
        ("discover", "\"false\"", None),
        ("pipeline", "\"false\"", Some(&leg_args)),
        ("overview", "\"false\"", Some(overview_args)),
        ("pipeline", "\"true\"", Some(args_tail)),
    ];
    let all_steps = steps(text);
    let action_steps: Vec<&String> = all_steps
        .iter()
        .filter(|s| {
            uses_targets(s)
                .iter()
                .any(|t| t.starts_with(&format!("{}@", own_slug())))
        })
        .collect();
    if action_steps.len() != expected.len() {
        out.push(format!(
            "the action runs {} times, expected {}",
            action_steps.len(),
            expected.len()
        ));
    }
    for (step, (command, pages, args)) in action_steps.iter().zip(expected) {
        let with = block_entries(step, "with");
        let get = |name: &str| {
            with.iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        if !uses_targets(step).contains(&pinned.as_str()) {
            out.push(format!("{command}: the action is not {pinned}"));
        }
        let token = if command == "overview" {
            "${{ github.token }}"
        } else {
            "${{ secrets.token || github.token }}"
        };
        let mut want = vec![
            ("command", Some(command)),
            ("version", Some("${{ inputs.version }}")),
            ("build-from-source", Some("never")),
            ("token", Some(token)),
            ("pages", Some(pages)),
            ("args", args),
        ];
        if command != "overview" {
            want.push(("dry-run", Some(dry_run)));
            want.push(("app-id", Some("${{ inputs.app-id }}")));
            want.push(("app-private-key", Some("${{ secrets.app-private-key }}")));
        }
        for (name, value) in want {
            if get(name) != value {
                out.push(format!(
                    "{command}: the action's {name} is {:?}, expected {value:?}",
                    get(name)
                ));
            }
        }
    }

    match input_default(text, "version") {
        Some(v) if v == version => {}
        other => out.push(format!(
            "the version input defaults to {other:?}, not the workspace version {version}"
        )),
    }
    if input_default(text, "max-parallel").as_deref() != Some("4") {
        out.push("max-parallel does not default to 4".to_owned());
    }
    for needle in [
        "      fail-fast: false\n",
        "      max-parallel: ${{ inputs.max-parallel }}\n",
        "        leg: ${{ fromJSON(needs.discover.outputs.legs) }}\n",
        "    if: inputs.mode == 'matrix' && needs.discover.outputs.count != '0'\n",
        "    if: inputs.mode == 'serial' && needs.discover.outputs.count != '0'\n",
        "secrets:\n      token:\n",
        "      app-private-key:\n",
        "\nconcurrency:\n",
    ] {
        if !text.contains(needle) {
            out.push(format!("no {:?}", needle.trim()));
        }
    }

    let on = text.split("\non:\n").nth(1).unwrap_or_default();
    let triggers: Vec<&str> = on
        .lines()
        .take_while(|l| is_blank_or_comment(l) || indent(l) > 0)
        .filter(|l| indent(l) == 2 && !is_blank_or_comment(l))
        .map(str::trim)
        .collect();
    if triggers != ["workflow_call:"] {
        out.push(format!(
            "triggers are {triggers:?}, expected only workflow_call"
        ));
    }
    // Checkouts: this repository's gh-pages (data), or Codex itself at the pinned commit.
    for step in &all_steps {
        for t in uses_targets(step) {
            if t.starts_with("./") {
                out.push(format!("uses the caller's checkout: {t}"));
            }
        }
        if !step.contains("actions/checkout@") {
            continue;
        }
        let with = block_entries(step, "with");
        let get = |name: &str| {
            with.iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let ours =
            get("repository") == Some(own_slug().as_str()) && get("ref") == Some(pin.as_str());
        let pages = get("repository").is_none() && get("ref") == Some("gh-pages");
        if !(ours || pages) {
            out.push(format!(
                "a checkout of neither gh-pages nor Codex at the pin: {:?} {:?}",
                get("repository"),
                get("ref")
            ));
        }
    }
    // Scripts: no expression (inputs come through env:), nothing compiled, no path of the
    // caller's checkout; Codex's publisher only from Codex's own checkout.
    for script in all_steps.iter().flat_map(|s| run_scripts(s)) {
        for line in script.lines() {
            let l = line.trim();
            if l.contains("${{") {
                out.push(format!("an expression in a script: {l}"));
            }
            if l.contains("cargo ") || l.contains("./") {
                out.push(format!("runs or resolves something itself: {l}"));
            }
            if l.contains("scripts/") && !l.starts_with(ORG_PUBLISHER) {
                out.push(format!("runs a script other than Codex's publisher: {l}"));
            }
        }
    }
    out
}

#[test]
fn the_org_workflow_runs_the_pinned_action_with_every_variable() {
    let problems = org_problems(&read(REUSABLE_ORG));
    assert!(
        problems.is_empty(),
        "{REUSABLE_ORG} drift:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_org_workflow_check_fails_when_it_drifts() {
    let text = read(REUSABLE_ORG);
    let (pin, _) = pinned_action(&text).expect("pinned");
    let other = "0123456789abcdef0123456789abcdef01234567";
    let cases = [
        (
            "      fail-fast: false\n".to_owned(),
            "      fail-fast: true\n".to_owned(),
            "no \"fail-fast: false\"".to_owned(),
        ),
        (
            "          command: overview\n".to_owned(),
            "          command: telemetry-merge\n".to_owned(),
            "overview: the action's command is Some(\"telemetry-merge\"), expected Some(\"overview\")"
                .to_owned(),
        ),
        (
            "          pages: \"false\"\n\n      # Even after".to_owned(),
            "          pages: \"true\"\n\n      # Even after".to_owned(),
            "pipeline: the action's pages is Some(\"\\\"true\\\"\"), expected Some(\"\\\"false\\\"\")"
                .to_owned(),
        ),
        (
            format!("          ref: {pin} # v"),
            format!("          ref: {other} # v"),
            format!("a checkout of neither gh-pages nor Codex at the pin: Some(\"acme/codex\") Some(\"{other}\")"),
        ),
        (
            "          mkdir -p \"$STAGE\"\n".to_owned(),
            "          mkdir -p \"${{ runner.temp }}\"\n".to_owned(),
            "an expression in a script: mkdir -p \"${{ runner.temp }}\"".to_owned(),
        ),
        (
            "      CODEX_TOPICS: ${{ inputs.topics || vars.CODEX_TOPICS }}\n".to_owned(),
            "      CODEX_TOPICS: ${{ inputs.topics }}\n".to_owned(),
            "CODEX_TOPICS has an unexpected value: ${{ inputs.topics }}".to_owned(),
        ),
    ];
    for (from, to, problem) in cases {
        assert!(
            text.contains(&from),
            "{REUSABLE_ORG} should contain {from:?}"
        );
        let edited = text.replacen(&from, &to, 1);
        let problems = org_problems(&edited);
        assert!(
            problems.contains(&problem),
            "{from:?} -> {to:?}: expected {problem:?} in {problems:#?}"
        );
    }
    // One pin moved alone: that run of the action is no longer the pinned one.
    let moved = text.replacen(
        &format!(
            "acme/codex@{pin} # v{}\n        with:\n          command: overview",
            env!("CARGO_PKG_VERSION")
        ),
        &format!(
            "acme/codex@{other} # v{}\n        with:\n          command: overview",
            env!("CARGO_PKG_VERSION")
        ),
        1,
    );
    assert_ne!(moved, text);
    assert!(
        org_problems(&moved)
            .iter()
            .any(|p| p.starts_with("overview: the action is not acme/codex@")),
        "{:#?}",
        org_problems(&moved)
    );
}
