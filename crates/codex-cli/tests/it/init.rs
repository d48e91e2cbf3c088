//! `codex init` end to end: the file it writes (snapshotted), idempotence, refusing someone's
//! file, `--force`, `--dry-run`, and bad input. Each test works in a temporary checkout.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::common::{Run, clean_command};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const OTHER_COMMIT: &str = "89abcdef0123456789abcdef0123456789abcdef";

/// A temporary directory with a `.git` directory in it (enough for `codex init`; no remote).
fn checkout() -> TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    dir
}

fn workflow(dir: &Path) -> PathBuf {
    dir.join(".github/workflows/codex.yml")
}

fn init(dir: &Path, args: &[&str]) -> Run {
    clean_command("codex")
        .arg("init")
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("runs")
        .into()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("the workflow file")
}

/// Every file in the directory tree, with its contents.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                out.push((path, bytes));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_file_it_writes() {
    let dir = checkout();
    let run = init(dir.path(), &["--dry-run", "--ref", COMMIT]);
    run.expect_code(0);
    insta::assert_snapshot!("codex-init-workflow", run.stdout);
    assert!(run.stdout.lines().count() < 25);
}

#[test]
fn init_help() {
    let out = clean_command("codex")
        .args(["init", "--help"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!("codex-init-help", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn writes_once_then_up_to_date_then_upgrades() {
    let dir = checkout();
    let path = workflow(dir.path());
    let first = init(dir.path(), &["--ref", COMMIT]);
    first.expect_code(0);
    assert!(first.stdout.is_empty(), "stdout: {}", first.stdout);
    assert!(first.stderr.contains("created"), "{}", first.stderr);
    assert!(
        first
            .stderr
            .contains("gh secret set GH_CI_PAT --repo OWNER/NAME")
    );
    let written = read(&path);
    assert!(written.contains(&format!("codex.yml@{COMMIT} # v")));
    let stamp = |path: &Path| {
        let meta = std::fs::metadata(path).expect("metadata");
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        (meta.modified().expect("mtime"), inode)
    };
    let before = stamp(&path);

    let second = init(dir.path(), &["--ref", COMMIT]);
    second.expect_code(0);
    assert!(second.stderr.contains("up to date"), "{}", second.stderr);
    assert_eq!(read(&path), written);
    assert_eq!(
        stamp(&path),
        before,
        "an up-to-date file is not rewritten (same mtime and inode)"
    );

    // A file an earlier codex init wrote and nobody edited is replaced.
    let upgrade = init(dir.path(), &["--ref", OTHER_COMMIT]);
    upgrade.expect_code(0);
    assert!(
        upgrade.stderr.contains(&format!(
            "updated from codex init v{}",
            env!("CARGO_PKG_VERSION")
        )),
        "{}",
        upgrade.stderr
    );
    assert!(read(&path).contains(&format!("codex.yml@{OTHER_COMMIT} # v")));
    // Only the one file, no temporary left behind.
    let files = tree(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
}

#[test]
fn an_edited_file_is_refused_then_forced() {
    let dir = checkout();
    let path = workflow(dir.path());
    init(dir.path(), &["--ref", COMMIT]).expect_code(0);
    let edited = read(&path).replace("every 6 hours", "four times a day");
    std::fs::write(&path, &edited).expect("edit");

    let refused = init(dir.path(), &["--ref", COMMIT]);
    refused.expect_code(1);
    assert!(refused.stderr.contains("was edited"), "{}", refused.stderr);
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("Next steps"));
    assert_eq!(read(&path), edited, "the edited file is untouched");

    // --dry-run says the same and writes nothing.
    let dry = init(dir.path(), &["--ref", COMMIT, "--dry-run"]);
    dry.expect_code(1);
    assert_eq!(read(&path), edited);

    let forced = init(dir.path(), &["--ref", COMMIT, "--force"]);
    forced.expect_code(0);
    assert!(forced.stderr.contains("replaced"), "{}", forced.stderr);
    assert_eq!(
        read(&path),
        dry.stdout,
        "--force writes the file --dry-run shows"
    );
}

#[test]
fn someone_elses_or_a_newer_file_is_refused() {
    let dir = checkout();
    let path = workflow(dir.path());
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, "name: Codex\non: push\n").expect("write");
    let refused = init(dir.path(), &["--ref", COMMIT]);
    refused.expect_code(1);
    assert!(refused.stderr.contains("not written by codex init"));
    assert_eq!(read(&path), "name: Codex\non: push\n");

    // A newer codex init's file is not downgraded.
    let newer = codex_cli::init::render(codex_cli::init::slug(), "99.0.0", OTHER_COMMIT);
    std::fs::write(&path, &newer).expect("write");
    let refused = init(dir.path(), &["--ref", COMMIT]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("codex init v99.0.0, newer than"),
        "{}",
        refused.stderr
    );
    assert_eq!(read(&path), newer);
    init(dir.path(), &["--ref", COMMIT, "--force"]).expect_code(0);
    assert!(read(&path).contains(&format!("@{COMMIT} # v")));
}

#[test]
fn dry_run_writes_nothing_and_prints_the_file() {
    let dir = checkout();
    let before = tree(dir.path());
    let dry = init(dir.path(), &["--ref", COMMIT, "--dry-run"]);
    dry.expect_code(0);
    assert!(dry.stderr.contains("would be created"), "{}", dry.stderr);
    assert!(dry.stderr.contains("Next steps"));
    assert_eq!(tree(dir.path()), before);
    assert!(!dir.path().join(".github").exists());
    assert!(dry.stdout.starts_with("# codex init v"));

    init(dir.path(), &["--ref", COMMIT]).expect_code(0);
    assert_eq!(read(&workflow(dir.path())), dry.stdout);
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let dir = checkout();
    for (args, needle) in [
        (vec!["--ref", "v1.0.0"], "zizmor"),
        (vec!["--ref", &COMMIT[..7]], "40-character"),
        (
            vec!["--ref", "0123456789ABCDEF0123456789ABCDEF01234567"],
            "--ref",
        ),
        (vec!["--ref", COMMIT, "--repo", "acme"], "OWNER/NAME"),
    ] {
        let run = init(dir.path(), &args);
        run.expect_code(2);
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
    assert!(!dir.path().join(".github").exists());

    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "").expect("write");
    init(&file, &["--ref", COMMIT]).expect_code(2);

    // Not a checkout: refused unless --force.
    let plain = tempfile::tempdir().expect("temporary directory");
    let run = init(plain.path(), &["--ref", COMMIT]);
    run.expect_code(2);
    assert!(run.stderr.contains("no .git"), "{}", run.stderr);
    assert!(!plain.path().join(".github").exists());
    init(plain.path(), &["--ref", COMMIT, "--force"]).expect_code(0);
    assert!(workflow(plain.path()).is_file());
}

/// Without --ref the commit is the one embedded at build time (`CODEX_SOURCE_COMMIT`, set by
/// the release workflow); a build without it exits 2 and says what to pass.
#[test]
fn the_commit_comes_from_the_build_or_ref() {
    let dir = checkout();
    let run = init(dir.path(), &["--dry-run"]);
    match option_env!("CODEX_SOURCE_COMMIT").filter(|c| codex_cli::init::is_full_sha(c)) {
        Some(commit) => {
            run.expect_code(0);
            assert!(run.stdout.contains(&format!("codex.yml@{commit} # v")));
        }
        None => {
            run.expect_code(2);
            assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
            assert!(
                run.stderr.contains(&format!(
                    "pass --ref with the full commit SHA of tag v{}",
                    env!("CARGO_PKG_VERSION")
                )),
                "{}",
                run.stderr
            );
            assert!(run.stdout.is_empty());
        }
    }
}

/// The steps name the repository: from --repo, GITHUB_REPOSITORY, or the github.com origin.
#[test]
fn the_steps_name_the_repository() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir.path())
            .args(args)
            .status()
            .expect("git runs")
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "--quiet"]);
    git(&["remote", "add", "origin", "git@github.com:octo/widgets.git"]);
    let run = init(dir.path(), &["--ref", COMMIT, "--dry-run"]);
    run.expect_code(0);
    assert!(
        run.stderr
            .contains("codex diagnostics --repo octo/widgets --repair --dry-run"),
        "{}",
        run.stderr
    );
    let run = init(dir.path(), &["--ref", COMMIT, "--dry-run", "--repo", "o/n"]);
    assert!(run.stderr.contains("gh secret set GH_CI_PAT --repo o/n"));
    let run: Run = clean_command("codex")
        .args(["init", "--ref", COMMIT, "--dry-run", "--dir"])
        .arg(dir.path())
        .env("GITHUB_REPOSITORY", "e/n")
        .output()
        .expect("runs")
        .into();
    assert!(run.stderr.contains("gh workflow run codex.yml --repo e/n"));
}

fn org_workflow(dir: &Path) -> PathBuf {
    dir.join(".github/workflows/codex-org.yml")
}

/// `--org`: the control repository's file (a GitHub App by default, `--auth token` for a
/// token), beside and independent of the single-repository file.
#[test]
fn the_org_file_it_writes() {
    let dir = checkout();
    let app = init(dir.path(), &["--org", "acme", "--dry-run", "--ref", COMMIT]);
    app.expect_code(0);
    insta::assert_snapshot!("codex-init-org-workflow", app.stdout);
    assert!(
        app.stderr.contains("codex-org.yml: would be created"),
        "{}",
        app.stderr
    );
    assert!(
        app.stderr.contains("codex discover --org acme"),
        "{}",
        app.stderr
    );
    assert!(!dir.path().join(".github").exists());

    let token = init(
        dir.path(),
        &[
            "--org",
            "acme",
            "--auth",
            "token",
            "--dry-run",
            "--ref",
            COMMIT,
        ],
    );
    token.expect_code(0);
    assert!(
        token
            .stdout
            .contains("      token: ${{ secrets.GH_CI_PAT }}\n")
    );
    assert!(!token.stdout.contains("app-private-key"));
    assert!(
        token.stderr.contains("cannot be narrowed"),
        "{}",
        token.stderr
    );

    init(dir.path(), &["--org", "acme", "--ref", COMMIT]).expect_code(0);
    assert_eq!(read(&org_workflow(dir.path())), app.stdout);
    assert!(!workflow(dir.path()).exists(), "codex.yml is not written");
    // Both files live side by side; each is up to date on its own.
    init(dir.path(), &["--ref", COMMIT]).expect_code(0);
    let again = init(dir.path(), &["--org", "acme", "--ref", COMMIT]);
    again.expect_code(0);
    assert!(again.stderr.contains("up to date"), "{}", again.stderr);
    assert_eq!(tree(dir.path()).len(), 2);
}

#[test]
fn a_bad_org_exits_2_with_one_line() {
    let dir = checkout();
    for org in [
        "-acme",
        "acme-",
        "ac--me",
        "acme/widgets",
        "ac_me",
        "",
        "a b",
        "${{ x }}",
    ] {
        // --org=VALUE: a value starting with '-' would be read as a flag otherwise.
        let flag = format!("--org={org}");
        let run = init(dir.path(), &[&flag, "--ref", COMMIT]);
        run.expect_code(2);
        assert_eq!(run.stderr.lines().count(), 1, "{org:?}: {}", run.stderr);
        assert!(run.stderr.contains("--org"), "{org:?}: {}", run.stderr);
    }
    let long = "x".repeat(40);
    init(dir.path(), &["--org", &long, "--ref", COMMIT]).expect_code(2);
    // --auth means nothing without --org; an unknown --auth is refused.
    init(dir.path(), &["--auth", "token", "--ref", COMMIT]).expect_code(2);
    init(
        dir.path(),
        &["--org", "acme", "--auth", "pat", "--ref", COMMIT],
    )
    .expect_code(2);
    assert!(!dir.path().join(".github").exists());
}
