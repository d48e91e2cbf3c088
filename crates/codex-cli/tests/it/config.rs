//! Configuration errors (CONTRACT.md section 2): exit code 2, one line on stderr naming the
//! flag or variable, and not a single request sent.

use crate::common::{ADMIN_TOKEN, COMPONENT_BINS, REPO, World, clean_command};

/// Run `binary` against the sandbox with `vars` (nothing else but `PATH` and the sandbox's
/// URL unless `vars` overrides it) and check the rejection.
#[track_caller]
fn rejected(world: &World, binary: &str, vars: &[(&str, &str)], args: &[&str], names: &str) {
    world.sandbox.reset_stats();
    let mut cmd = clean_command(binary);
    cmd.env("GITHUB_API_URL", world.sandbox.base_url())
        .env("CODEX_PAGES_DIR", world.pages.path())
        .envs(vars.iter().copied())
        .args(args);
    let out = cmd.output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{binary} {vars:?} {args:?}: {stderr}"
    );
    assert_eq!(
        lines.len(),
        1,
        "{binary} {vars:?} {args:?}: one line on stderr, got {stderr:?}"
    );
    assert!(
        lines[0].contains(names),
        "{binary} {vars:?}: {:?} does not name {names}",
        lines[0]
    );
    assert!(
        out.stdout.is_empty(),
        "{binary}: stdout {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(world.requests(), 0, "{binary} {vars:?}: a request was sent");
    assert!(
        world.telemetry_files().is_empty(),
        "{binary} {vars:?}: telemetry written"
    );
}

#[test]
fn every_bad_value_exits_2_naming_it_before_any_request() {
    let world = World::demo();
    let ok = [
        ("GITHUB_REPOSITORY", REPO),
        ("GH_CI_PAT", ADMIN_TOKEN),
        ("GITHUB_RUN_ID", "1"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| -> Vec<(&'static str, &'static str)> {
        let mut v: Vec<_> = ok
            .iter()
            .copied()
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .collect();
        v.extend_from_slice(extra);
        v
    };
    let sync = "codex-project-sync";

    // The repository: missing, malformed (flag and variable).
    rejected(
        &world,
        sync,
        &[("GH_CI_PAT", ADMIN_TOKEN)],
        &[],
        "GITHUB_REPOSITORY",
    );
    for bad in ["acme", "acme/", "/widgets", "acme/wid gets", "a/b/c"] {
        rejected(
            &world,
            sync,
            &with(&[("GITHUB_REPOSITORY", bad)]),
            &[],
            "GITHUB_REPOSITORY",
        );
    }
    rejected(&world, sync, &with(&[]), &["--repo", "acme"], "--repo");
    // The token.
    rejected(
        &world,
        sync,
        &[("GITHUB_REPOSITORY", REPO)],
        &[],
        "GH_CI_PAT",
    );
    // Every number.
    for var in [
        "CODEX_MAX_MUTATIONS",
        "CODEX_MAX_WAIT_SECS",
        "CODEX_SELFTEST_RETAIN",
        "CODEX_SELFTEST_MAX_AGE_DAYS",
        "CODEX_TELEMETRY_MAX_AGE_DAYS",
        "CODEX_MAIN_STALE_DAYS",
        "CODEX_MAIN_ESCALATION_DAYS",
        "CODEX_DASHBOARD_STALE_DAYS",
        "CODEX_DASHBOARD_ESCALATION_DAYS",
        "GITHUB_RUN_ATTEMPT",
        // The client's tuning (documented in --help beside the contract's).
        "CODEX_READ_CONCURRENCY",
        "CODEX_WRITE_SPACING_MS",
        "CODEX_HTTP_TIMEOUT_SECS",
        "CODEX_RETRY_BASE_MS",
        "CODEX_MAX_RETRIES",
        "CODEX_DEADLINE_SECS",
    ] {
        for bad in ["ten", "-1", "1.5"] {
            rejected(&world, sync, &with(&[(var, bad)]), &[], var);
        }
        // Too large for the setting, for any u64, and u64::MAX itself (once a panic, exit
        // 101): one line naming the variable and its range.
        for bad in ["100000000", "18446744073709551615", "18446744073709551616"] {
            rejected(&world, sync, &with(&[(var, bad)]), &[], var);
            rejected(&world, sync, &with(&[(var, bad)]), &[], "at most");
        }
    }
    // Below the range, where zero makes no sense.
    for var in [
        "CODEX_HTTP_TIMEOUT_SECS",
        "CODEX_READ_CONCURRENCY",
        "CODEX_TELEMETRY_MAX_AGE_DAYS",
        "GITHUB_RUN_ATTEMPT",
    ] {
        rejected(&world, sync, &with(&[(var, "0")]), &[], var);
    }
    // URLs, by variable and by flag.
    rejected(
        &world,
        sync,
        &with(&[("GITHUB_API_URL", "not a url")]),
        &[],
        "GITHUB_API_URL",
    );
    rejected(
        &world,
        sync,
        &with(&[("GITHUB_API_URL", "ftp://example.com")]),
        &[],
        "GITHUB_API_URL",
    );
    rejected(
        &world,
        sync,
        &with(&[]),
        &["--api-url", "localhost:8080"],
        "--api-url",
    );
    rejected(
        &world,
        sync,
        &with(&[("GITHUB_GRAPHQL_URL", "/graphql")]),
        &[],
        "GITHUB_GRAPHQL_URL",
    );
    // Escalation below stale, for each track.
    rejected(
        &world,
        sync,
        &with(&[
            ("CODEX_MAIN_STALE_DAYS", "20"),
            ("CODEX_MAIN_ESCALATION_DAYS", "10"),
        ]),
        &[],
        "CODEX_MAIN_ESCALATION_DAYS",
    );
    rejected(
        &world,
        sync,
        &with(&[("CODEX_DASHBOARD_ESCALATION_DAYS", "7")]),
        &[],
        "CODEX_DASHBOARD_ESCALATION_DAYS",
    );
    // Other variables with a fixed form.
    rejected(
        &world,
        sync,
        &with(&[("CODEX_DRY_RUN", "maybe")]),
        &[],
        "CODEX_DRY_RUN",
    );
    rejected(
        &world,
        sync,
        &with(&[("GITHUB_RUN_ID", "../../etc")]),
        &[],
        "GITHUB_RUN_ID",
    );
    // An unknown flag.
    rejected(&world, sync, &with(&[]), &["--frobnicate"], "--frobnicate");
}

#[test]
fn every_binary_rejects_a_missing_repository_and_an_unknown_flag() {
    let world = World::demo();
    for binary in COMPONENT_BINS {
        rejected(
            &world,
            binary,
            &[("GH_CI_PAT", ADMIN_TOKEN)],
            &[],
            "GITHUB_REPOSITORY",
        );
        rejected(
            &world,
            binary,
            &[("GITHUB_REPOSITORY", REPO), ("GH_CI_PAT", ADMIN_TOKEN)],
            &["--no-such-flag"],
            "--no-such-flag",
        );
        let needs_token = codex_core::component::PIPELINE
            .iter()
            .any(|i| i.binary == binary && i.needs_token);
        if needs_token {
            rejected(
                &world,
                binary,
                &[("GITHUB_REPOSITORY", REPO)],
                &[],
                "GH_CI_PAT",
            );
        }
    }
    for sub in ["sync", "cleaner", "diagnostics"] {
        rejected(
            &world,
            "codex",
            &[("GH_CI_PAT", ADMIN_TOKEN)],
            &[sub],
            "GITHUB_REPOSITORY",
        );
    }
    rejected(
        &world,
        "codex",
        &[],
        &["no-such-component"],
        "no-such-component",
    );
}

#[test]
fn github_token_is_the_fallback_and_gh_ci_pat_wins() {
    let world = World::demo();
    let mut cmd = clean_command("codex-self-test");
    cmd.env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_TOKEN", "ghs_itfallback000000000000000000000000")
        .env("GITHUB_API_URL", world.sandbox.base_url())
        .env("CODEX_PAGES_DIR", world.pages.path())
        .env("GITHUB_RUN_ID", "fallback");
    assert_eq!(cmd.output().expect("runs").status.code(), Some(0));
    let t = world.telemetry("self-test", "fallback");
    assert_eq!(t["token"]["source"], "GITHUB_TOKEN");
    assert_eq!(t["token"]["kind"], "installation");
    cmd.env("GH_CI_PAT", ADMIN_TOKEN)
        .env("GITHUB_RUN_ID", "both");
    assert_eq!(cmd.output().expect("runs").status.code(), Some(0));
    let t = world.telemetry("self-test", "both");
    assert_eq!(t["token"]["source"], "GH_CI_PAT");
    assert_eq!(t["token"]["kind"], "classic");
}

/// A bad GitHub App configuration: exit 2 with one line, no request, and never a line of the
/// key on stderr (CONTRACT.md section 2). End-to-end App runs are tested against the sandbox.
#[test]
fn bad_app_configurations_exit_2_before_any_request() {
    let world = World::demo();
    let key_file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../codex-core/tests/fixtures/app-key-pkcs1.pem"
    );
    let key = std::fs::read_to_string(key_file).unwrap();
    let key = key.as_str();
    let pair = codex_sandbox::AppKeyPair::generate();
    let public_key = pair.public_pem.as_str();
    // A P-256 key made for this test only (`openssl ecparam -name prime256v1 -genkey`).
    const EC_KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIOdbQLet6IECMcQoIK+IY0OWgOran767Z8QCFaz9V07PoAoGCCqGSM49\nAwEHoUQDQgAEnfpNkcghG6HoKdeQZ8h7xog+WE14xn4vrDK93FiLddRrKiIbRuf/\n4DWPn+ocsnj+0Cq+MtE3vbvtGSr3ApD5xQ==\n-----END EC PRIVATE KEY-----\n";
    let base = [("GITHUB_REPOSITORY", REPO), ("GITHUB_RUN_ID", "1")];
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("GH_CI_PAT", ADMIN_TOKEN),
                ("CODEX_APP_ID", "1"),
                ("CODEX_APP_PRIVATE_KEY", key),
            ],
            "CODEX_APP_ID",
        ),
        (
            vec![("CODEX_APP_ID", "my-app"), ("CODEX_APP_PRIVATE_KEY", key)],
            "CODEX_APP_ID",
        ),
        (
            vec![
                ("CODEX_APP_ID", "1"),
                ("CODEX_APP_PRIVATE_KEY", "MIIEnotakey"),
            ],
            "CODEX_APP_PRIVATE_KEY",
        ),
        (
            vec![
                ("CODEX_APP_ID", "1"),
                ("CODEX_APP_PRIVATE_KEY", key),
                ("CODEX_APP_PRIVATE_KEY_FILE", key_file),
            ],
            "CODEX_APP_PRIVATE_KEY_FILE",
        ),
        (
            vec![
                ("CODEX_APP_ID", "1"),
                ("CODEX_APP_PRIVATE_KEY_FILE", "/nonexistent/key.pem"),
            ],
            "CODEX_APP_PRIVATE_KEY_FILE",
        ),
        (
            vec![
                ("CODEX_APP_ID", "1"),
                ("CODEX_APP_PRIVATE_KEY_FILE", key_file),
                ("CODEX_APP_INSTALLATION_ID", "one"),
            ],
            "CODEX_APP_INSTALLATION_ID",
        ),
        // The public half pasted instead of the private key.
        (
            vec![("CODEX_APP_ID", "1"), ("CODEX_APP_PRIVATE_KEY", public_key)],
            "CODEX_APP_PRIVATE_KEY",
        ),
        // Not an RSA key (GitHub Apps sign with RSA only).
        (
            vec![("CODEX_APP_ID", "1"), ("CODEX_APP_PRIVATE_KEY", EC_KEY)],
            "CODEX_APP_PRIVATE_KEY",
        ),
        (vec![("CODEX_APP_ID", "1")], "CODEX_APP_PRIVATE_KEY"),
        (vec![("CODEX_APP_PRIVATE_KEY", key)], "CODEX_APP_ID"),
    ];
    for (app, names) in cases {
        let vars: Vec<(&str, &str)> = base.iter().copied().chain(app).collect();
        rejected(&world, "codex-project-sync", &vars, &[], names);
    }
}
