//! Repository-level routes: the repository, labels, milestones, branches, contents, variables,
//! rate limit, headers per token kind, and the introspection endpoints.

use serde_json::json;

use crate::common::{Client, demo, opts};
use codex_sandbox::{Sandbox, SandboxOptions, Scenario};

#[tokio::test]
async fn repository_and_token_kinds() {
    let sb = demo().await;
    let classic = Client::new(&sb, Some("ghp_classic"))
        .get("/repos/acme/widgets")
        .await;
    assert_eq!(classic.status, 200);
    assert_eq!(classic.body["full_name"], "acme/widgets");
    assert_eq!(classic.body["default_branch"], "main");
    assert_eq!(classic.body["permissions"]["admin"], true);
    assert_eq!(
        classic.header("x-oauth-scopes"),
        Some("repo, project, workflow")
    );
    assert_eq!(
        classic.header("x-github-api-version-selected"),
        Some("2022-11-28")
    );
    assert_eq!(
        classic.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(classic.header("x-ratelimit-resource"), Some("core"));
    assert!(classic.header("x-github-request-id").is_some());
    let fine = Client::new(&sb, Some("github_pat_x"))
        .get("/repos/acme/widgets")
        .await;
    assert!(fine.header("x-oauth-scopes").is_none());
    assert_eq!(fine.body["permissions"]["admin"], true);
    let actions = Client::new(&sb, Some("ghs_run"))
        .get("/repos/acme/widgets")
        .await;
    assert_eq!(
        actions.body["permissions"],
        json!({"admin": false, "maintain": false, "push": true, "triage": true, "pull": true})
    );
    let missing = Client::new(&sb, Some("ghp_x"))
        .get("/repos/acme/missing")
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["message"], "Not Found");
}

#[tokio::test]
async fn labels_and_milestones() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let labels = c.get("/repos/acme/widgets/labels").await;
    let names: Vec<&str> = labels
        .array()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "codex",
            "codex-trackmain",
            "codex-trackdashboard",
            "codex-selftest",
            "bug",
            "enhancement"
        ]
    );
    let r = c
        .post(
            "/repos/acme/widgets/labels",
            &json!({"name": "triage", "color": "#FF0000", "description": "d"}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["color"], "ff0000");
    let r = c
        .post("/repos/acme/widgets/labels", &json!({"name": "Triage"}))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["code"], "already_exists");
    let paged = c.get("/repos/acme/widgets/labels?per_page=2&page=2").await;
    assert_eq!(paged.array().len(), 2);
    assert!(paged.link("next").unwrap().contains("page=3"));
    assert!(paged.link("last").unwrap().contains("page=4"));

    let open = c.get("/repos/acme/widgets/milestones").await;
    let titles: Vec<&str> = open
        .array()
        .iter()
        .map(|m| m["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 3, "{titles:?}");
    assert!(titles.contains(&"Codex Main Track"));
    assert!(
        !titles.contains(&"Codex Legacy Track"),
        "the deleted milestone is not listed"
    );
    let internal = open
        .array()
        .iter()
        .find(|m| m["title"] == "Codex Internal")
        .unwrap();
    assert_eq!(internal["open_issues"], 12);
    let closed = c.get("/repos/acme/widgets/milestones?state=closed").await;
    assert_eq!(closed.array().len(), 1);
    assert_eq!(
        c.get("/repos/acme/widgets/milestones?state=all")
            .await
            .array()
            .len(),
        4
    );
    let r = c
        .post(
            "/repos/acme/widgets/milestones",
            &json!({"title": "Next", "due_on": "2025-07-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["number"], 6,
        "numbers continue after the deleted milestone"
    );
    assert_eq!(r.body["due_on"], "2025-07-01T00:00:00Z");
    let r = c
        .post("/repos/acme/widgets/milestones", &json!({"title": "Next"}))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["code"], "already_exists");
    assert_eq!(
        c.get("/repos/acme/widgets/milestones/2").await.body["title"],
        "Codex Main Track"
    );
}

#[tokio::test]
async fn branches_contents_variables_rate_limit() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let b = c.get("/repos/acme/widgets/branches/gh-pages").await;
    assert_eq!(b.status, 200);
    assert_eq!(b.body["name"], "gh-pages");
    assert_eq!(b.body["commit"]["sha"].as_str().unwrap().len(), 40);
    assert_eq!(c.get("/repos/acme/widgets/branches/nope").await.status, 404);

    let root = c.get("/repos/acme/widgets/contents?ref=gh-pages").await;
    let names: Vec<&str> = root
        .array()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dashboard", "telemetry"]);
    assert!(root.array().iter().all(|e| e["type"] == "dir"));
    let dir = c
        .get("/repos/acme/widgets/contents/telemetry?ref=gh-pages")
        .await;
    assert_eq!(dir.array()[0]["path"], "telemetry/.keep");
    assert_eq!(dir.array()[0]["type"], "file");
    assert_eq!(
        c.get("/repos/acme/widgets/contents/telemetry").await.status,
        404,
        "not on main"
    );
    assert_eq!(
        c.get("/repos/acme/widgets/contents/x?ref=nope")
            .await
            .status,
        404
    );

    let vars = c.get("/repos/acme/widgets/actions/variables").await;
    assert_eq!(vars.body["total_count"], 2);
    assert_eq!(vars.body["variables"][0]["name"], "CODEX_MAIN_MILESTONE");
    let one = c
        .get("/repos/acme/widgets/actions/variables?per_page=1")
        .await;
    assert_eq!(one.body["variables"].as_array().unwrap().len(), 1);
    assert!(one.link("next").unwrap().contains("page=2"));
    assert_eq!(
        Client::new(&sb, Some("ghs_x"))
            .get("/repos/acme/widgets/actions/variables")
            .await
            .status,
        403
    );

    let before = c.get("/rate_limit").await;
    let after = c.get("/rate_limit").await;
    assert_eq!(
        before.body["resources"]["core"]["used"], after.body["resources"]["core"]["used"],
        "free"
    );
    assert_eq!(after.body["rate"]["limit"], 5000);
    assert!(after.body["resources"]["core"]["used"].as_u64().unwrap() >= 8);
}

#[tokio::test]
async fn empty_scenario_has_nothing() {
    let sb = Sandbox::start(opts(Scenario::Empty)).await.unwrap();
    let c = Client::new(&sb, Some("ghp_x"));
    assert_eq!(c.get("/repos/acme/widgets/labels").await.body, json!([]));
    assert_eq!(
        c.get("/repos/acme/widgets/milestones?state=all").await.body,
        json!([])
    );
    assert_eq!(
        c.get("/repos/acme/widgets/issues?state=all").await.body,
        json!([])
    );
    assert_eq!(
        c.get("/repos/acme/widgets/actions/variables").await.body["total_count"],
        0
    );
    assert_eq!(
        c.get("/repos/acme/widgets/branches/gh-pages").await.status,
        404
    );
    let g = c
        .graphql(
            "{ organization(login: \"acme\") { projectsV2(first: 10) { totalCount } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        g.body["data"]["organization"]["projectsV2"]["totalCount"],
        0
    );
}

#[tokio::test]
async fn introspection_stats_log_and_human_edits() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.jsonl");
    let sb = Sandbox::start(SandboxOptions {
        log: Some(log.clone()),
        ..opts(Scenario::Demo)
    })
    .await
    .unwrap();
    let c = Client::new(&sb, Some("ghp_secret_token"));
    c.get("/repos/acme/widgets/issues?state=all").await;
    c.get("/repos/acme/widgets/issues/1").await;
    c.post("/repos/acme/widgets/issues/220/labels", &json!(["bug"]))
        .await;
    Client::new(&sb, None).get("/repos/acme/widgets").await;
    let stats = sb.stats();
    assert_eq!(stats["requests"], 4);
    assert_eq!(stats["writes"], 1);
    assert_eq!(stats["by_status"]["401"], 1);
    assert_eq!(stats["by_route"]["GET /repos/{owner}/{repo}/issues"], 1);
    let over_http = c.get("/_sandbox/stats").await;
    assert_eq!(over_http.body, stats);
    sb.reset_stats();
    assert_eq!(sb.stats()["requests"], 0);

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["query"], "state=all");
    assert!(lines[0]["ms"].is_number() && lines[0]["ts"].is_string());
    assert!(
        !text.contains("ghp_secret_token"),
        "the token is never logged"
    );

    // A human edit between requests is visible to the next read.
    sb.with_state(|s| {
        assert!(s.set_labels("acme/widgets", 98, &["bug"]));
        assert!(s.set_milestone("acme/widgets", 98, None));
        s.add_issue(
            "acme/widgets",
            "Added by a test",
            &["codex"],
            Some("Codex Main Track"),
        )
        .unwrap()
    });
    let r = c.get("/repos/acme/widgets/issues/98").await;
    assert_eq!(r.body["labels"][0]["name"], "bug");
    assert!(r.body["milestone"].is_null());
    let state = Client::new(&sb, None).get("/_sandbox/state").await;
    assert_eq!(state.status, 200, "token-free");
    let last = state.body["repos"][0]["issues"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["title"], "Added by a test");
    assert_eq!(last["milestone"], "Codex Main Track");
    assert_eq!(state.body["scenario"]["counts"]["selftest"], 12);
}
