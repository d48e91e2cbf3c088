//! GraphQL: validation errors worded like GitHub's, Projects v2 reads and pagination, idempotent
//! `addProjectV2ItemById`, `deleteIssue`, and what the Actions token may not see.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::common::{Client, demo, kind};

const PROJECT: &str = "query($login: String!, $n: Int!) { organization(login: $login) { projectV2(number: $n) { id title closed url } } }";
const ITEMS: &str = "query($id: ID!, $after: String) { node(id: $id) { ... on ProjectV2 { items(first: 100, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { id type content { __typename ... on Issue { id number title repository { nameWithOwner } } ... on PullRequest { id number } ... on DraftIssue { id title } } } } } } }";

async fn project_id(c: &Client) -> String {
    let r = c.graphql(PROJECT, json!({"login": "acme", "n": 1})).await;
    r.body["data"]["organization"]["projectV2"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn issue_id(c: &Client, n: u64) -> String {
    let q = "query($n: Int!) { repository(owner: \"acme\", name: \"widgets\") { id issue(number: $n) { id number } } }";
    let r = c.graphql(q, json!({"n": n})).await;
    r.body["data"]["repository"]["issue"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", r.body))
        .to_owned()
}

async fn items(c: &Client, id: &str) -> Vec<Value> {
    let mut after = Value::Null;
    let mut out = Vec::new();
    loop {
        let r = c.graphql(ITEMS, json!({"id": id, "after": after})).await;
        assert!(r.body.get("errors").is_none(), "{}", r.body);
        let items = &r.body["data"]["node"]["items"];
        out.extend(items["nodes"].as_array().unwrap().iter().cloned());
        if items["pageInfo"]["hasNextPage"] == true {
            after = items["pageInfo"]["endCursor"].clone();
        } else {
            assert_eq!(items["totalCount"].as_u64().unwrap() as usize, out.len());
            return out;
        }
    }
}

#[tokio::test]
async fn project_reads_and_item_pagination() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let r = c.graphql(PROJECT, json!({"login": "acme", "n": 1})).await;
    assert_eq!(r.header("x-ratelimit-resource"), Some("graphql"));
    let p = &r.body["data"]["organization"]["projectV2"];
    assert_eq!(p["title"], "Codex Dual-Track Development");
    assert!(p["id"].as_str().unwrap().starts_with("PVT_"));
    let list = c
        .graphql(
            "{ organization(login: \"acme\") { projectsV2(first: 5, query: \"dual-track\") { totalCount nodes { number title } pageInfo { hasNextPage endCursor } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        list.body["data"]["organization"]["projectsV2"]["totalCount"],
        1
    );
    let none = c.graphql("{ organization(login: \"acme\") { projectsV2(first: 5, query: \"zzz\") { totalCount } } }", json!({})).await;
    assert_eq!(
        none.body["data"]["organization"]["projectsV2"]["totalCount"],
        0
    );

    let all = items(&c, p["id"].as_str().unwrap()).await;
    assert!(all.len() > 100, "more than one page: {}", all.len());
    let numbers: BTreeSet<u64> = all
        .iter()
        .filter_map(|i| i["content"]["number"].as_u64())
        .collect();
    let state_numbers: BTreeSet<u64> = sb.state()["projects"][0]["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        // The deleted issue's item (the demo's orphaned item) has content null.
        .filter(|n| !kind(&sb, "orphaned_item").contains(n))
        .collect();
    assert_eq!(numbers, state_numbers);
    assert!(
        all.iter()
            .any(|i| i["type"] == "DRAFT_ISSUE" && i["content"]["__typename"] == "DraftIssue")
    );
    assert!(
        all.iter()
            .any(|i| i["type"] == "PULL_REQUEST" && i["content"]["__typename"] == "PullRequest")
    );
    let issue = all.iter().find(|i| i["type"] == "ISSUE").unwrap();
    assert_eq!(
        issue["content"]["repository"]["nameWithOwner"],
        "acme/widgets"
    );
    for missing in kind(&sb, "missing_project") {
        assert!(!numbers.contains(&missing));
    }
    // The GraphQL id of an issue is the REST node_id.
    let rest = c.get("/repos/acme/widgets/issues/98").await;
    assert_eq!(
        issue_id(&c, 98).await,
        rest.body["node_id"].as_str().unwrap()
    );

    let rl = c
        .graphql(
            "{ rateLimit { limit remaining resetAt cost used } }",
            json!({}),
        )
        .await;
    assert_eq!(rl.body["data"]["rateLimit"]["limit"], 5000);
    assert_eq!(rl.body["data"]["rateLimit"]["cost"], 1);
    assert!(
        rl.body["data"]["rateLimit"]["resetAt"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
}

#[tokio::test]
async fn add_item_is_idempotent() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let project = project_id(&c).await;
    let add = "mutation($p: ID!, $c: ID!) { addProjectV2ItemById(input: {projectId: $p, contentId: $c}) { item { id } } }";
    let outside = kind(&sb, "missing_project")[0];
    let content = issue_id(&c, outside).await;
    let before = sb.state()["projects"][0]["items"].as_array().unwrap().len();
    let first = c.graphql(add, json!({"p": project, "c": content})).await;
    let id = first.body["data"]["addProjectV2ItemById"]["item"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(id.starts_with("PVTI_"));
    let second = c.graphql(add, json!({"p": project, "c": content})).await;
    assert_eq!(
        second.body["data"]["addProjectV2ItemById"]["item"]["id"],
        id.as_str()
    );
    assert_eq!(
        sb.state()["projects"][0]["items"].as_array().unwrap().len(),
        before + 1
    );
    assert_eq!(sb.stats()["writes"], 1, "only the first add wrote");

    let inside = kind(&sb, "managed_ok")[0];
    let existing = c
        .graphql(add, json!({"p": project, "c": issue_id(&c, inside).await}))
        .await;
    assert!(existing.body["data"]["addProjectV2ItemById"]["item"]["id"].is_string());
    assert_eq!(
        sb.state()["projects"][0]["items"].as_array().unwrap().len(),
        before + 1
    );

    let bad = c
        .graphql(add, json!({"p": project, "c": "I_kwDOnope"}))
        .await;
    assert!(bad.body["data"]["addProjectV2ItemById"].is_null());
    assert_eq!(bad.body["errors"][0]["type"], "NOT_FOUND");
}

#[tokio::test]
async fn aliased_additions_in_one_document_are_answered_each_under_its_alias() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let project = project_id(&c).await;
    let missing = kind(&sb, "missing_project");
    let refused = missing[1];
    sb.set_issue(
        "acme/widgets",
        refused as u32,
        &json!({"project_refused": true}),
    )
    .unwrap();
    let mut ids = Vec::new();
    for n in &missing[..3] {
        ids.push(issue_id(&c, *n).await);
    }
    ids.push("I_kwDOnope".to_owned());
    let doc = "mutation($p: ID!, $c0: ID!, $c1: ID!, $c2: ID!, $c3: ID!) {
      a0: addProjectV2ItemById(input: {projectId: $p, contentId: $c0}) { item { id } }
      a1: addProjectV2ItemById(input: {projectId: $p, contentId: $c1}) { item { id } }
      a2: addProjectV2ItemById(input: {projectId: $p, contentId: $c2}) { item { id } }
      a3: addProjectV2ItemById(input: {projectId: $p, contentId: $c3}) { item { id } }
    }";
    let before = sb.state()["projects"][0]["items"].as_array().unwrap().len();
    sb.reset_stats();
    let r = c
        .graphql(
            doc,
            json!({"p": project, "c0": ids[0], "c1": ids[1], "c2": ids[2], "c3": ids[3]}),
        )
        .await;
    let data = &r.body["data"];
    assert!(
        data["a0"]["item"]["id"]
            .as_str()
            .unwrap()
            .starts_with("PVTI_")
    );
    assert!(
        data["a2"]["item"]["id"]
            .as_str()
            .unwrap()
            .starts_with("PVTI_")
    );
    assert!(data["a1"].is_null() && data["a3"].is_null(), "{}", r.body);
    let errors = r.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{}", r.body);
    assert_eq!(errors[0]["path"], json!(["a1"]));
    assert_eq!(errors[0]["type"], "UNPROCESSABLE");
    assert_eq!(errors[1]["path"], json!(["a3"]));
    assert_eq!(errors[1]["type"], "NOT_FOUND");
    assert_eq!(
        sb.state()["projects"][0]["items"].as_array().unwrap().len(),
        before + 2
    );
    let stats = sb.stats();
    assert_eq!(stats["requests"], 1);
    assert_eq!(stats["writes"], 2, "each applied mutation is a write");
}

#[tokio::test]
async fn delete_issue_then_rest_answers_410() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let victim = kind(&sb, "selftest")[0];
    let id = issue_id(&c, victim).await;
    let del = "mutation($id: ID!) { deleteIssue(input: {issueId: $id, clientMutationId: \"m1\"}) { clientMutationId repository { nameWithOwner } } }";
    let ghs = Client::new(&sb, Some("ghs_actions"))
        .graphql(del, json!({"id": id}))
        .await;
    assert!(ghs.body["data"]["deleteIssue"].is_null());
    assert_eq!(ghs.body["errors"][0]["type"], "FORBIDDEN");
    assert_eq!(
        c.get(&format!("/repos/acme/widgets/issues/{victim}"))
            .await
            .status,
        200
    );
    let r = c.graphql(del, json!({"id": id})).await;
    assert_eq!(
        r.body["data"]["deleteIssue"],
        json!({"clientMutationId": "m1", "repository": {"nameWithOwner": "acme/widgets"}})
    );
    let gone = c.get(&format!("/repos/acme/widgets/issues/{victim}")).await;
    assert_eq!(gone.status, 410);
    let again = c.graphql(del, json!({"id": id})).await;
    assert_eq!(again.body["errors"][0]["type"], "NOT_FOUND");
}

#[tokio::test]
async fn invalid_documents_answer_200_with_errors() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let r = c
        .graphql(
            "{ repository(owner: \"acme\", name: \"widgets\") { id nameWithOwnr } }",
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.get("data").is_none());
    let e = &r.body["errors"][0];
    assert_eq!(
        e["message"],
        "Field 'nameWithOwnr' doesn't exist on type 'Repository'"
    );
    assert_eq!(e["locations"][0]["line"], 1);
    let r = c
        .graphql(
            "{ organization(login: \"acme\", size: 3) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r.body["errors"][0]["message"],
        "Field 'organization' doesn't accept argument 'size'"
    );
    let r = c.graphql("{ organization { id } }", json!({})).await;
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("missing required arguments")
    );
    let r = c.graphql("{ organization(login: \"acme\") { projectV2(number: 1) { items(first: 101) { totalCount } } } }", json!({})).await;
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("exceeds the `first` limit of 100")
    );
    let anon = Client::new(&sb, None)
        .graphql("{ rateLimit { limit } }", json!({}))
        .await;
    assert_eq!(anon.status, 401);
}

#[tokio::test]
async fn actions_token_cannot_see_org_projects() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghs_workflow"));
    let r = c.graphql(PROJECT, json!({"login": "acme", "n": 1})).await;
    assert!(r.body["data"]["organization"]["projectV2"].is_null());
    assert_eq!(r.body["errors"][0]["type"], "NOT_FOUND");
    assert_eq!(
        r.body["errors"][0]["path"],
        json!(["organization", "projectV2"])
    );
    let list = c.graphql("{ organization(login: \"acme\") { projectsV2(first: 10) { totalCount nodes { id } } } }", json!({})).await;
    assert_eq!(
        list.body["data"]["organization"]["projectsV2"]["totalCount"],
        0
    );
    // An admin token sees it; the issue itself is readable by both.
    let admin = Client::new(&sb, Some("ghp_x"));
    let id = project_id(&admin).await;
    let r = c.graphql(ITEMS, json!({"id": id})).await;
    assert!(r.body["data"]["node"].is_null());
    assert_eq!(issue_id(&c, 98).await, issue_id(&admin, 98).await);
}
