//! `--help` of every binary, snapshotted, and checked to name every flag's environment
//! variable and every environment-only setting of CONTRACT.md section 2.

use crate::common::{COMPONENT_BINS, clean_command};

fn help(binary: &str, args: &[&str]) -> String {
    let out = clean_command(binary)
        .args(args)
        .arg("--help")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{binary} --help");
    assert!(out.stderr.is_empty(), "{binary} --help wrote to stderr");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn help_snapshots() {
    for binary in COMPONENT_BINS.iter().chain(&["codex"]) {
        insta::assert_snapshot!(*binary, help(binary, &[]));
    }
    insta::assert_snapshot!("codex-demo", help("codex", &["demo"]));
    insta::assert_snapshot!("codex-pipeline", help("codex", &["pipeline"]));
}

#[test]
fn help_documents_every_flag_and_variable() {
    let flags = [
        ("--repo", "GITHUB_REPOSITORY"),
        ("--api-url", "GITHUB_API_URL"),
        ("--graphql-url", "GITHUB_GRAPHQL_URL"),
        ("--pages-dir", "CODEX_PAGES_DIR"),
        ("--run-id", "GITHUB_RUN_ID"),
        ("--dry-run", "CODEX_DRY_RUN"),
        ("--cache-dir", "CODEX_CACHE_DIR"),
    ];
    let mut pages: Vec<(String, String)> = COMPONENT_BINS
        .iter()
        .map(|b| ((*b).to_owned(), help(b, &[])))
        .collect();
    for info in &codex_core::component::PIPELINE {
        for sub in std::iter::once(info.subcommand).chain(info.aliases.iter().copied()) {
            pages.push((format!("codex {sub}"), help("codex", &[sub])));
        }
    }
    pages.push(("codex pipeline".into(), help("codex", &["pipeline"])));
    for (name, text) in &pages {
        for (flag, var) in flags {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with(flag))
                .unwrap_or_else(|| panic!("{name}: {flag} undocumented"));
            // clap wraps: the variable is on the flag's line or the next two.
            let block: String = text
                .lines()
                .skip(line)
                .take(3)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                block.contains(var),
                "{name}: {flag} does not name {var}: {block}"
            );
        }
        for var in codex_core::env::CONTRACT_VARIABLES {
            assert!(text.contains(var), "{name}: {var} undocumented");
        }
        for flag in ["--strict", "--verbose"] {
            assert!(text.contains(flag), "{name}: {flag} undocumented");
        }
    }
    assert!(help("codex-cleaner", &[]).contains("--delete"));
    assert!(help("codex-diagnostics", &[]).contains("--repair"));
    assert!(help("codex", &["demo"]).contains("--out"));
    let pipeline = help("codex", &["pipeline"]);
    assert!(pipeline.contains("--delete") && pipeline.contains("--repair"));
}
