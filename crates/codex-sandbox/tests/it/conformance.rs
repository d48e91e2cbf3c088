//! Conformance: drives every documented route of the demo scenario (successes and errors) with
//! recording on, then holds every recorded answer to GitHub's published OpenAPI description, and
//! every GraphQL document sent to GitHub's schema, through `codex-conformance`.
//!
//! GitHub's description leaves a few real answers undocumented (no operation lists 401, and
//! pull-only or Actions tokens get 403 where only 2xx/404/422 are listed). Those exchanges are
//! named in [`UNDOCUMENTED`] and checked for the `basic-error` shape instead; anything else
//! undocumented fails.

use codex_conformance::{GraphqlSpec, RestSpec};
use codex_sandbox::{Sandbox, SandboxOptions, Scenario};
use serde_json::{Value, json};

use crate::common::{Client, kind, opts};

/// (method, path suffix, status) answers GitHub sends but its description does not list.
const UNDOCUMENTED: &[(&str, &str, u16)] = &[
    ("GET", "/repos/acme/widgets", 401),
    ("GET", "/repos/acme/widgets/issues", 401),
    ("POST", "/repos/acme/widgets/issues", 401),
    ("GET", "/repos/acme/widgets/actions/variables", 403),
    ("POST", "/labels", 403),
];

const DOCUMENTS: &[&str] = &[
    "query($login: String!, $n: Int!) { organization(login: $login) { projectV2(number: $n) { id number title closed url } } }",
    "query($login: String!) { user(login: $login) { projectsV2(first: 10) { totalCount nodes { id number title closed url } pageInfo { hasNextPage endCursor } } } }",
    "query($login: String!, $q: String) { repositoryOwner(login: $login) { id login ... on Organization { projectsV2(first: 20, query: $q) { totalCount nodes { id number title closed url } pageInfo { hasNextPage endCursor } } } } }",
    "query($id: ID!, $after: String) { node(id: $id) { __typename ... on ProjectV2 { items(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id type content { __typename ... on Issue { id number title repository { nameWithOwner } } ... on PullRequest { id number } ... on DraftIssue { id title } } } } } } }",
    "query($n: Int!) { repository(owner: \"acme\", name: \"widgets\") { id issue(number: $n) { id number } } }",
    "query { rateLimit { limit remaining resetAt cost used } }",
    "fragment Item on ProjectV2Item { id } mutation Add($p: ID!, $c: ID!) { addProjectV2ItemById(input: {projectId: $p, contentId: $c}) { item { ...Item } } }",
    "mutation($id: ID!) { deleteIssue(input: {issueId: $id}) { clientMutationId repository { nameWithOwner } } }",
];

#[expect(clippy::too_many_lines, reason = "one scripted tour of every route")]
async fn exercise(sb: &Sandbox) {
    let admin = Client::new(sb, Some("ghp_conformance"));
    let fine = Client::new(sb, Some("github_pat_conformance"));
    let actions = Client::new(sb, Some("ghs_conformance"));
    let reader = Client::new(sb, Some("ghp_readonly_conformance"));
    let anon = Client::new(sb, None);
    let r = "/repos/acme/widgets";

    admin.get("/rate_limit").await;
    for c in [&admin, &fine, &actions, &reader] {
        c.get(r).await;
    }
    admin.get("/repos/acme/nope").await;
    anon.get(r).await;
    anon.get(&format!("{r}/issues")).await;
    anon.post(&format!("{r}/issues"), &json!({"title": "x"}))
        .await;

    admin.get(&format!("{r}/actions/variables")).await;
    admin
        .get(&format!("{r}/actions/variables?per_page=1&page=2"))
        .await;
    actions.get(&format!("{r}/actions/variables")).await;

    for b in ["main", "gh-pages", "nope"] {
        admin.get(&format!("{r}/branches/{b}")).await;
    }
    for p in [
        "telemetry?ref=gh-pages",
        "dashboard?ref=gh-pages",
        "telemetry/.keep?ref=gh-pages",
        "README.md",
        "nope",
        "x?ref=nope",
    ] {
        admin.get(&format!("{r}/contents/{p}")).await;
    }

    // Every issue of the demo, through the list (cursor links included) and one by one.
    let mut url = format!("{r}/issues?state=all&per_page=100");
    loop {
        let page = admin.get(&url).await;
        match page.link("next") {
            Some(n) => url = n,
            None => break,
        }
    }
    for q in [
        "",
        "state=closed",
        "labels=codex,codex-trackmain",
        "milestone=none",
        "milestone=*",
        "milestone=3",
        "since=2025-05-01T00:00:00Z",
        "sort=updated&direction=asc",
        "sort=comments",
        "per_page=50&page=3",
        "state=bogus",
        "per_page=100&page=150",
        "after=garbage",
    ] {
        admin.get(&format!("{r}/issues?{q}")).await;
    }
    let last = sb.state()["scenario"]["last_number"].as_u64().unwrap();
    for n in 1..=last {
        admin.get(&format!("{r}/issues/{n}")).await;
    }
    admin.get(&format!("{r}/issues/99999")).await;
    let first = admin.get(&format!("{r}/issues/98")).await;
    admin
        .get_with(
            &format!("{r}/issues/98"),
            "if-none-match",
            first.header("etag").unwrap(),
        )
        .await;

    // Writes.
    let moved = kind(sb, "transferred")[0];
    let deleted = kind(sb, "deleted")[0];
    let created = admin
        .post(&format!("{r}/issues"), &json!({"title": "Conformance", "body": null, "labels": ["codex", "new-one"], "milestone": 2, "assignees": ["alice"]}))
        .await;
    let n = created.body["number"].as_u64().unwrap();
    reader
        .post(
            &format!("{r}/issues"),
            &json!({"title": "Reader", "labels": ["codex"], "milestone": 1}),
        )
        .await;
    // Written by `github-actions[bot]`: its user's URLs must be URIs, as GitHub's are.
    let by_bot = actions
        .post(
            &format!("{r}/issues"),
            &json!({"title": "From a workflow", "labels": ["codex"]}),
        )
        .await;
    assert_eq!(by_bot.body["user"]["login"], "github-actions[bot]");
    let bot_number = by_bot.body["number"].as_u64().unwrap();
    admin.get(&format!("{r}/issues/{bot_number}")).await;
    admin
        .post(
            &format!("{r}/issues"),
            &json!({"title": "x", "milestone": 404}),
        )
        .await;
    admin
        .post(&format!("{r}/issues"), &json!({"body": "no title"}))
        .await;
    admin.patch(&format!("{r}/issues/{n}"), &json!({"state": "closed", "state_reason": "not_planned", "milestone": null, "labels": ["bug"]})).await;
    admin
        .patch(&format!("{r}/issues/{n}"), &json!({"state": "open"}))
        .await;
    admin
        .patch(&format!("{r}/issues/{n}"), &json!({"state": "bogus"}))
        .await;
    admin
        .patch(&format!("{r}/issues/{moved}"), &json!({"title": "x"}))
        .await;
    admin
        .patch(&format!("{r}/issues/{deleted}"), &json!({"title": "x"}))
        .await;
    admin
        .patch(&format!("{r}/issues/99999"), &json!({"title": "x"}))
        .await;
    reader
        .patch(&format!("{r}/issues/98"), &json!({"title": "not mine"}))
        .await;
    admin
        .post(
            &format!("{r}/issues/{n}/labels"),
            &json!({"labels": ["codex", "brand-new"]}),
        )
        .await;
    admin
        .post(&format!("{r}/issues/{n}/labels"), &json!(["bug"]))
        .await;
    let many: Vec<String> = (0..101).map(|i| format!("many-{i}")).collect();
    admin
        .post(&format!("{r}/issues/{n}/labels"), &json!(many))
        .await;
    admin
        .post(&format!("{r}/issues/{moved}/labels"), &json!(["bug"]))
        .await;
    admin
        .post(&format!("{r}/issues/{deleted}/labels"), &json!(["bug"]))
        .await;
    admin
        .post(&format!("{r}/issues/99999/labels"), &json!(["bug"]))
        .await;
    reader
        .post(&format!("{r}/labels"), &json!({"name": "nope"}))
        .await;

    admin.get(&format!("{r}/labels")).await;
    admin.get(&format!("{r}/labels?per_page=2&page=2")).await;
    admin
        .post(
            &format!("{r}/labels"),
            &json!({"name": "conformance", "color": "abcdef", "description": null}),
        )
        .await;
    admin
        .post(&format!("{r}/labels"), &json!({"name": "Conformance"}))
        .await;
    admin.get("/repos/acme/nope/labels").await;
    for q in [
        "",
        "?state=all",
        "?state=closed",
        "?sort=completeness&direction=desc",
    ] {
        admin.get(&format!("{r}/milestones{q}")).await;
    }
    admin
        .post(
            &format!("{r}/milestones"),
            &json!({"title": "Conformance", "description": "d", "due_on": "2025-07-01T00:00:00Z"}),
        )
        .await;
    admin
        .post(&format!("{r}/milestones"), &json!({"title": "Conformance"}))
        .await;
    admin
        .post(
            &format!("{r}/milestones"),
            &json!({"title": "Closed one", "state": "closed"}),
        )
        .await;

    // GraphQL.
    let project = admin
        .graphql(DOCUMENTS[0], json!({"login": "acme", "n": 1}))
        .await;
    let pid = project.body["data"]["organization"]["projectV2"]["id"].clone();
    admin
        .graphql(DOCUMENTS[1], json!({"login": "octocat"}))
        .await;
    admin
        .graphql(DOCUMENTS[2], json!({"login": "acme", "q": "Codex"}))
        .await;
    admin
        .graphql(DOCUMENTS[3], json!({"id": pid, "after": null}))
        .await;
    let issue = admin
        .graphql(DOCUMENTS[4], json!({"n": kind(sb, "missing_project")[0]}))
        .await;
    let iid = issue.body["data"]["repository"]["issue"]["id"].clone();
    admin.graphql(DOCUMENTS[5], json!({})).await;
    admin
        .graphql(DOCUMENTS[6], json!({"p": pid, "c": iid}))
        .await;
    admin.graphql(DOCUMENTS[7], json!({"id": iid})).await;
    actions
        .graphql(DOCUMENTS[0], json!({"login": "acme", "n": 1}))
        .await;
}

fn undocumented(method: &str, path: &str, status: u16) -> bool {
    UNDOCUMENTED
        .iter()
        .any(|(m, p, s)| *m == method && path.ends_with(p) && *s == status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_follows_githubs_description() {
    let sb = Sandbox::start(SandboxOptions {
        record: true,
        ..opts(Scenario::Demo)
    })
    .await
    .unwrap();
    exercise(&sb).await;
    let rest = RestSpec::load();
    let gql = GraphqlSpec::load();
    let exchanges = sb.exchanges();
    assert!(exchanges.len() > 350, "{}", exchanges.len());
    let mut failures = Vec::new();
    let mut statuses = std::collections::BTreeSet::new();
    for x in &exchanges {
        if x.path == "/graphql" {
            let doc = x
                .request_body
                .as_ref()
                .and_then(|b| b["query"].as_str())
                .unwrap_or_default();
            if let Err(e) = gql.validate(doc) {
                failures.push(format!("GraphQL document {doc:?}: {e:?}"));
            }
            let body = x.response_body.clone().unwrap_or(Value::Null);
            if body.get("data").is_none() {
                failures.push(format!("GraphQL answer without data: {body}"));
            }
            continue;
        }
        statuses.insert((x.method.clone(), x.status));
        if undocumented(&x.method, &x.path, x.status) {
            let b = x.response_body.as_ref();
            if !b.is_some_and(|b| b["message"].is_string() && b["documentation_url"].is_string()) {
                failures.push(format!(
                    "{} {} {}: not a basic-error: {b:?}",
                    x.method, x.path, x.status
                ));
            }
            continue;
        }
        if let Err(errors) =
            rest.validate_response(&x.method, &x.path, x.status, x.response_body.as_ref())
        {
            failures.push(format!(
                "{} {}?{} → {}: {errors:#?}",
                x.method, x.path, x.query, x.status
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} exchanges fail:\n{}",
        failures.len(),
        exchanges.len(),
        failures.join("\n")
    );
    // The tour really covered successes and errors.
    for want in [200, 201, 301, 304, 401, 403, 404, 410, 422] {
        assert!(
            statuses.iter().any(|(_, s)| *s == want),
            "no {want} exercised: {statuses:?}"
        );
    }
}

#[tokio::test]
async fn the_validator_rejects_what_the_sandbox_must_not_send() {
    // Guards against a check that passes everything: a real issue missing a required field, a
    // mistyped one, and an unknown GraphQL field all fail.
    let rest = RestSpec::load();
    let sb = Sandbox::start(opts(Scenario::Demo)).await.unwrap();
    let good = Client::new(&sb, Some("ghp_x"))
        .get("/repos/acme/widgets/issues/98")
        .await
        .body;
    let path = "/repos/acme/widgets/issues/98";
    assert!(
        rest.validate_response("GET", path, 200, Some(&good))
            .is_ok()
    );
    for field in ["node_id", "user", "milestone", "locked"] {
        let mut bad = good.clone();
        bad.as_object_mut().unwrap().remove(field);
        assert!(
            rest.validate_response("GET", path, 200, Some(&bad))
                .is_err(),
            "{field}"
        );
    }
    let mut bad = good.clone();
    bad["labels"][0]["default"] = json!("yes");
    assert!(
        rest.validate_response("GET", path, 200, Some(&bad))
            .is_err()
    );
    assert!(
        GraphqlSpec::load()
            .validate("{ rateLimit { nope } }")
            .is_err()
    );
}

#[tokio::test]
async fn off_spec_items_really_are_off_spec() {
    let sb = Sandbox::start(SandboxOptions {
        off_spec: true,
        ..opts(Scenario::Demo)
    })
    .await
    .unwrap();
    let c = Client::new(&sb, Some("ghp_x"));
    let odd = kind(&sb, "off_spec");
    assert_eq!(odd.len(), 2);
    let rest = RestSpec::load();
    let mut url = "/repos/acme/widgets/issues?per_page=100".to_owned();
    let mut failing = 0;
    loop {
        let page = c.get(&url).await;
        let result =
            rest.validate_response("GET", "/repos/acme/widgets/issues", 200, Some(&page.body));
        if let Err(e) = result {
            let text = format!("{e:?}");
            assert!(
                text.contains("created_at") || text.contains("labels"),
                "{text}"
            );
            failing += 1;
        }
        match page.link("next") {
            Some(n) => url = n,
            None => break,
        }
    }
    assert!(failing >= 1, "the off-spec items break the schema in lists");
    let single = c
        .get(&format!("/repos/acme/widgets/issues/{}", odd[0]))
        .await;
    assert!(
        rest.validate_response(
            "GET",
            &format!("/repos/acme/widgets/issues/{}", odd[0]),
            200,
            Some(&single.body)
        )
        .is_ok()
    );
}
