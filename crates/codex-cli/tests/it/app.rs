//! Codex as a GitHub App: the real binaries with only `CODEX_APP_ID` and a private key,
//! against a sandbox that verifies every JWT and mints installation tokens that expire and
//! reach only their installation's repositories.

use codex_sandbox::{AppOptions, SandboxOptions, Scenario};
use serde_json::Value;

use crate::common::{COMPONENT_BINS, REPO, Run, World};

const APP_ID: u64 = 42;

/// The demo repository, owned by an App's installation (installation tokens that live
/// `ttl_secs`), with the sandbox's clock moving `clock_step_secs` per request.
fn app_world(ttl_secs: u64, clock_step_secs: u64) -> (World, String) {
    app_world_with(ttl_secs, clock_step_secs, false)
}

/// [`app_world`], recording every exchange (`record`) for the conformance check, on the demo
/// without GitHub's off-spec items.
fn app_world_with(ttl_secs: u64, clock_step_secs: u64, record: bool) -> (World, String) {
    // A key pair made for this test, as GitHub makes an App's.
    let (app, private) = AppOptions::generate(APP_ID);
    let world = World::with(SandboxOptions {
        scenario: Scenario::Demo,
        app: Some(AppOptions {
            installation_token_ttl_secs: ttl_secs,
            ..app
        }),
        clock_step_secs,
        record,
        off_spec: !record,
        ..SandboxOptions::default()
    });
    (world, private)
}

/// `binary` as a workflow runs it, with the App's id and key and no token at all.
fn run_as_app(world: &World, key: &str, binary: &str, run_id: &str, args: &[&str]) -> Run {
    let mut cmd = world.command(binary, "", run_id);
    cmd.env_remove("GH_CI_PAT")
        .env("CODEX_APP_ID", APP_ID.to_string())
        .env("CODEX_APP_PRIVATE_KEY", key)
        .args(args);
    cmd.output().expect("binary runs").into()
}

/// Every telemetry file of the pages directory, parsed.
fn telemetry(world: &World) -> Vec<(String, Value)> {
    world
        .telemetry_files()
        .into_iter()
        .map(|name| {
            let doc = crate::common::read_json(&world.telemetry_dir().join(&name));
            (name, doc)
        })
        .collect()
}

/// The App's counts summed over every telemetry file: (JWT requests, installation tokens).
fn app_counts(files: &[(String, Value)]) -> (u64, u64) {
    files.iter().fold((0, 0), |(jwt, tokens), (name, doc)| {
        let app = &doc["api"]["app"];
        assert!(app.is_object(), "{name}: no api.app in an App run");
        (
            jwt + app["jwt_requests"].as_u64().unwrap_or(0),
            tokens + app["installation_tokens"].as_u64().unwrap_or(0),
        )
    })
}

/// Every exchange the sandbox recorded, held against GitHub's OpenAPI description and GraphQL
/// schema; the App's operations among them.
fn assert_conforms(world: &World) {
    let mut seen = codex_conformance::Exchanges::load();
    for ex in world.sandbox.exchanges() {
        seen.check(
            &ex.method,
            &ex.path,
            &ex.query,
            ex.request_body.as_ref(),
            ex.status,
            ex.response_body.as_ref(),
        );
    }
    let (problems, operations) = (&seen.problems, &seen.operations);
    assert!(problems.is_empty(), "{problems:#?}");
    for op in [
        "apps/get-repo-installation",
        "apps/create-installation-access-token",
    ] {
        assert!(
            operations.contains(op),
            "{op} not exercised: {operations:?}"
        );
    }
}

#[test]
fn every_component_and_the_pipeline_run_on_app_credentials_alone() {
    let (world, key) = app_world_with(3600, 0, true);
    for binary in COMPONENT_BINS {
        run_as_app(&world, &key, binary, "one", &[]).expect_code(0);
    }
    run_as_app(&world, &key, "codex", "all", &["pipeline"]).expect_code(0);

    let stats = world.sandbox.stats();
    let app = &stats["app"];
    assert_eq!(app["jwt_rejected"], 0, "{app:#}");
    assert_eq!(app["expired_token_requests"], 0, "{app:#}");
    assert_eq!(app["out_of_reach"], 0, "{app:#}");
    assert!(
        stats["by_status"].get("401").is_none(),
        "no request was refused: {:#}",
        stats["by_status"]
    );
    // Every token Codex asked for is narrowed to the repository in hand.
    let issued = app["issued"].as_array().expect("issued tokens");
    assert!(!issued.is_empty());
    for token in issued {
        assert_eq!(
            token["repositories"],
            serde_json::json!([REPO]),
            "{token:#}"
        );
    }

    // What telemetry says the App cost is what the sandbox saw.
    let files = telemetry(&world);
    assert_eq!(files.len(), 14, "seven components twice: {files:?}");
    let (jwt, tokens) = app_counts(&files);
    assert_eq!(Some(tokens), app["tokens_issued"].as_u64());
    assert_eq!(Some(jwt), app["jwt_requests"].as_u64());
    let self_test = world.telemetry("self-test", "all");
    assert_eq!(self_test["token"]["kind"], "app");
    let notes = crate::common::strings(&self_test["token"]["notes"]);
    assert_eq!(
        notes.first().map(String::as_str),
        Some("GitHub App 42, installation 1"),
        "{notes:?}"
    );
    assert!(
        notes.contains(&"the installation has what Codex needs".to_owned()),
        "{notes:?}"
    );
    // The repairs an App makes are the repairs a token makes.
    let (with_token, _) = app_world_with(3600, 0, true);
    with_token
        .run("codex-project-sync", "one", &[], &[])
        .expect_code(0);
    let repairs = |w: &World| w.telemetry("sync", "one")["details"].clone();
    assert!(repairs(&world).as_array().is_some_and(|d| d.len() > 90));
    assert_eq!(repairs(&world), repairs(&with_token));
    let diagnostics = world.telemetry("diagnostics", "all");
    let token_check = diagnostics["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "token"))
        .cloned()
        .expect("a token check");
    assert_eq!(token_check["ok"], true, "{token_check:#}");
    assert_conforms(&world);
}

#[test]
fn an_installation_token_expiring_mid_run_is_replaced_before_any_request_fails() {
    // Tokens live 10 minutes and the sandbox's clock moves 30 s a request: Codex must replace
    // its token every ten or so requests, on GitHub's clock, not its own.
    let (world, key) = app_world(600, 30);
    run_as_app(&world, &key, "codex", "clock", &["pipeline"]).expect_code(0);
    let stats = world.sandbox.stats();
    let app = &stats["app"];
    assert_eq!(app["expired_token_requests"], 0, "{app:#}");
    assert_eq!(app["jwt_rejected"], 0, "{app:#}");
    assert!(
        stats["by_status"].get("401").is_none(),
        "{:#}",
        stats["by_status"]
    );
    let issued = app["tokens_issued"].as_u64().unwrap_or(0);
    assert!(issued >= 5, "{issued} tokens over the run: {app:#}");
    let (_, tokens) = app_counts(&telemetry(&world));
    assert_eq!(tokens, issued);
    // Each token was used until five minutes before its end, not replaced on every request.
    let requests = stats["requests"].as_u64().unwrap_or(0);
    assert!(
        issued * 4 < requests,
        "{issued} tokens for {requests} requests"
    );
}

#[test]
fn an_installation_without_the_repository_is_named_by_diagnostics() {
    let (world, key) = app_world(3600, 0);
    world
        .sandbox
        .set_installation(2, &["acme/gadgets"])
        .expect("a second installation");
    let mut cmd = world.command("codex-diagnostics", "", "other");
    cmd.env_remove("GH_CI_PAT")
        .env("CODEX_APP_ID", APP_ID.to_string())
        .env("CODEX_APP_PRIVATE_KEY", &key)
        .env("CODEX_APP_INSTALLATION_ID", "2");
    let run: Run = cmd.output().expect("binary runs").into();
    run.expect_code(0);
    let doc = world.telemetry("diagnostics", "other");
    let token = doc["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "token"))
        .cloned()
        .expect("a token check");
    assert_eq!(token["ok"], false);
    let detail = token["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("installation 2 of App 42 cannot give a token for acme/widgets")
            && detail.contains("it is installed on acme (installation 1), acme (installation 2)"),
        "{detail}"
    );
    // One refused exchange, then the App's installations: the refusal is not asked again
    // before each of diagnostics' other checks.
    assert_eq!(doc["api"]["app"]["jwt_requests"], 2, "{:#}", doc["api"]);
    assert_eq!(world.sandbox.stats()["app"]["tokens_issued"], 0);
}

#[test]
fn permissions_an_installation_has_not_accepted_are_named_by_diagnostics() {
    let (world, key) = app_world(3600, 0);
    // The App asks for what Codex needs; its installation on acme has not accepted Variables.
    world
        .sandbox
        .set_installation_permissions(
            1,
            &[
                ("issues", "write"),
                ("metadata", "read"),
                ("contents", "write"),
                ("organization_projects", "write"),
            ],
        )
        .expect("installation 1");
    run_as_app(&world, &key, "codex-diagnostics", "perm", &[]).expect_code(0);
    let doc = world.telemetry("diagnostics", "perm");
    let checks = doc["checks"].as_array().cloned().unwrap_or_default();
    let check = |name: &str| {
        checks
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} check in {checks:#?}"))
    };
    let token = check("token");
    assert_eq!(token["ok"], false);
    assert_eq!(
        token["detail"],
        "App 42, installation 1: the installation has not accepted actions_variables: read (an owner of the account approves the App's new permissions)"
    );
    // And GitHub refuses the variables as it would: the check that reads them fails too.
    assert_eq!(check("actions-variables")["ok"], false);
    // One lookup, one token, one GET /app.
    assert_eq!(doc["api"]["app"]["jwt_requests"], 3, "{:#}", doc["api"]);
}

#[test]
fn an_app_on_enterprise_server_needs_only_the_api_url() {
    let (app, key) = AppOptions::generate(APP_ID);
    let world = World::with(SandboxOptions {
        scenario: Scenario::Demo,
        app: Some(app),
        ghes: true,
        ..SandboxOptions::default()
    });
    let mut cmd = world.command("codex", "", "ghes");
    cmd.env_remove("GH_CI_PAT")
        .env("GITHUB_API_URL", world.sandbox.api_url())
        .env("CODEX_APP_ID", APP_ID.to_string())
        .env("CODEX_APP_PRIVATE_KEY", &key)
        .arg("pipeline");
    let run: Run = cmd.output().expect("binary runs").into();
    run.expect_code(0);
    let stats = world.sandbox.stats();
    assert_eq!(stats["app"]["tokens_issued"], 1, "{:#}", stats["app"]);
    assert_eq!(stats["app"]["jwt_rejected"], 0, "{:#}", stats["app"]);
    assert!(
        stats["by_status"].get("404").is_none(),
        "{:#}",
        stats["by_status"]
    );
    assert!(stats["graphql"].as_u64().unwrap_or(0) > 0);
    let self_test = world.telemetry("self-test", "ghes");
    assert_eq!(self_test["status"], "ok", "{self_test:#}");
    let url = self_test["issue_url"].as_str().unwrap_or_default();
    assert!(url.starts_with(&world.sandbox.base_url()), "{url}");
}
