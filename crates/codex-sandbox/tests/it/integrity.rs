//! The integrity plantings (issue 15): the new issue fields, GraphQL's issue enumeration with
//! hidden numbers, Project items archived or orphaned, and the `/_sandbox` controls that move,
//! delete and bend issues between two runs. Every REST answer checked here is also held to
//! GitHub's description.

use codex_conformance::{GraphqlSpec, RestSpec};
use codex_sandbox::{Sandbox, SandboxOptions, Scenario};
use serde_json::{Value, json};

use crate::common::{Client, Resp, demo, kind, opts};

const NUMBERS: &str = "query($owner:String!,$name:String!,$after:String){repository(owner:$owner,name:$name){issues(first:100,after:$after,states:[OPEN,CLOSED]){totalCount pageInfo{hasNextPage endCursor} nodes{number}}}}";
const ITEMS: &str = "query($project:ID!,$after:String){node(id:$project){... on ProjectV2{items(first:100,after:$after){totalCount pageInfo{hasNextPage endCursor} nodes{id isArchived content{__typename ... on Issue{number repository{nameWithOwner}} ... on PullRequest{number repository{nameWithOwner}}}}}}}}";

/// Every number GraphQL's `repository.issues` enumerates, and its `totalCount`.
async fn graphql_numbers(c: &Client) -> (Vec<u64>, u64) {
    let mut after = Value::Null;
    let mut numbers = Vec::new();
    loop {
        let r = c
            .graphql(
                NUMBERS,
                json!({"owner": "acme", "name": "widgets", "after": after}),
            )
            .await;
        assert!(r.body.get("errors").is_none(), "{}", r.body);
        let issues = &r.body["data"]["repository"]["issues"];
        numbers.extend(
            issues["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["number"].as_u64().unwrap()),
        );
        if issues["pageInfo"]["hasNextPage"] != true {
            return (numbers, issues["totalCount"].as_u64().unwrap());
        }
        after = issues["pageInfo"]["endCursor"].clone();
    }
}

/// Every item of the REST listing (`state=all`), each page held to the description.
async fn rest_items(c: &Client) -> Vec<Value> {
    let rest = RestSpec::load();
    let mut url = "/repos/acme/widgets/issues?state=all&per_page=100".to_owned();
    let mut items = Vec::new();
    loop {
        let page = c.get(&url).await;
        assert_eq!(page.status, 200);
        rest.validate_response("GET", "/repos/acme/widgets/issues", 200, Some(&page.body))
            .unwrap_or_else(|e| panic!("{url}: {e:#?}"));
        items.extend(page.array().iter().cloned());
        match page.link("next") {
            Some(n) => url = n,
            None => return items,
        }
    }
}

fn numbers_of(items: &[Value]) -> Vec<u64> {
    items
        .iter()
        .map(|i| i["number"].as_u64().unwrap())
        .collect()
}

async fn project_items(c: &Client) -> (Vec<Value>, u64) {
    let p = c
        .graphql(
            "{organization(login:\"acme\"){projectV2(number:1){id}}}",
            json!({}),
        )
        .await;
    let pid = p.body["data"]["organization"]["projectV2"]["id"].clone();
    let mut after = Value::Null;
    let mut items = Vec::new();
    loop {
        let r = c
            .graphql(ITEMS, json!({"project": pid, "after": after}))
            .await;
        assert!(r.body.get("errors").is_none(), "{}", r.body);
        let conn = &r.body["data"]["node"]["items"];
        items.extend(conn["nodes"].as_array().unwrap().iter().cloned());
        if conn["pageInfo"]["hasNextPage"] != true {
            return (items, conn["totalCount"].as_u64().unwrap());
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
}

fn item_for<'a>(items: &'a [Value], repo: &str, n: u64) -> Option<&'a Value> {
    items.iter().find(|i| {
        i["content"]["number"].as_u64() == Some(n)
            && i["content"]["repository"]["nameWithOwner"] == repo
    })
}

async fn control(sb: &Sandbox, what: &str, body: Value) -> Resp {
    Client::new(sb, None)
        .post(&format!("/_sandbox/{what}"), &body)
        .await
}

#[test]
fn the_documents_validate_against_githubs_schema() {
    let gql = GraphqlSpec::load();
    gql.validate(NUMBERS).unwrap();
    gql.validate(ITEMS).unwrap();
}

#[tokio::test]
async fn new_issue_fields_follow_the_description() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let rest = RestSpec::load();
    let get = |n: u64| {
        let c = &c;
        let rest = &rest;
        async move {
            let path = format!("/repos/acme/widgets/issues/{n}");
            let r = c.get(&path).await;
            assert_eq!(r.status, 200, "{n}");
            rest.validate_response("GET", &path, 200, Some(&r.body))
                .unwrap_or_else(|e| panic!("{n}: {e:#?}"));
            r.body
        }
    };
    assert_eq!(kind(&sb, "issue_type_bug"), [110, 111, 112]);
    let bug = get(110).await;
    assert_eq!(bug["type"]["name"], "Bug");
    assert_eq!(bug["type"]["color"], "red");
    assert!(bug["type"]["node_id"].is_string());
    assert_eq!(get(113).await["type"]["name"], "Task");
    assert_eq!(get(118).await["type"]["name"], "Feature");
    let plain = get(98).await;
    assert!(plain["type"].is_null());
    assert!(plain["parent_issue_url"].is_null());
    assert_eq!(
        plain["sub_issues_summary"],
        json!({"total": 0, "completed": 0, "percent_completed": 0})
    );
    assert_eq!(
        plain["issue_dependencies_summary"],
        json!({"blocked_by": 0, "blocking": 0, "total_blocked_by": 0, "total_blocking": 0})
    );
    assert_eq!(plain["locked"], false);
    assert!(plain["active_lock_reason"].is_null());

    assert_eq!(kind(&sb, "sub_issue_parent"), [120, 140]);
    assert_eq!(
        get(120).await["sub_issues_summary"],
        json!({"total": 4, "completed": 1, "percent_completed": 25})
    );
    assert_eq!(
        get(140).await["sub_issues_summary"],
        json!({"total": 1, "completed": 0, "percent_completed": 0})
    );
    for child in [71, 121, 122, 123] {
        assert_eq!(
            get(child).await["parent_issue_url"],
            format!("{}/repos/acme/widgets/issues/120", sb.base_url())
        );
    }
    assert_eq!(
        get(150).await["issue_dependencies_summary"],
        json!({"blocked_by": 1, "blocking": 0, "total_blocked_by": 2, "total_blocking": 0})
    );
    for blocker in [59, 151] {
        assert_eq!(
            get(blocker).await["issue_dependencies_summary"],
            json!({"blocked_by": 0, "blocking": 1, "total_blocked_by": 0, "total_blocking": 1})
        );
    }
    let locked = get(170).await;
    assert_eq!(locked["locked"], true);
    assert_eq!(locked["active_lock_reason"], "too heated");

    // The list renders the same fields, and validates.
    let items = rest_items(&c).await;
    let in_list = items.iter().find(|i| i["number"] == 120).unwrap();
    assert_eq!(in_list["sub_issues_summary"]["total"], 4);
    assert_eq!(
        items.iter().find(|i| i["number"] == 110).unwrap()["type"]["name"],
        "Bug"
    );
}

#[tokio::test]
async fn graphql_enumerates_issues_less_the_hidden_ones() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    assert_eq!(kind(&sb, "hidden_from_graphql"), [160]);
    let rest: Vec<u64> = rest_items(&c)
        .await
        .into_iter()
        .filter(|i| i.get("pull_request").is_none())
        .map(|i| i["number"].as_u64().unwrap())
        .collect();
    let (gql, total) = graphql_numbers(&c).await;
    assert_eq!(gql.len() as u64, total);
    let rest_only: Vec<u64> = rest.iter().filter(|n| !gql.contains(n)).copied().collect();
    let gql_only: Vec<u64> = gql.iter().filter(|n| !rest.contains(n)).copied().collect();
    assert_eq!(rest_only, [160]);
    assert!(gql_only.is_empty(), "{gql_only:?}");
    assert!(gql.windows(2).all(|w| w[0] < w[1]), "by number");
    // states narrows; pull requests never appear.
    let open = c
        .graphql(
            "{repository(owner:\"acme\",name:\"widgets\"){issues(first:5,states:[OPEN]){totalCount nodes{number state}}}}",
            json!({}),
        )
        .await;
    let open_total = open.body["data"]["repository"]["issues"]["totalCount"]
        .as_u64()
        .unwrap();
    assert!(open_total < total);
    assert!(
        open.body["data"]["repository"]["issues"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["state"] == "OPEN")
    );
    assert!(!gql.iter().any(|n| (13..=57).contains(n)));
}

#[tokio::test]
async fn hide_flags_leave_numbers_out_of_one_enumeration_each() {
    let sb = Sandbox::start(SandboxOptions {
        hide_from_graphql: vec![100, 101],
        hide_from_rest: vec![102, 98],
        ..opts(Scenario::Demo)
    })
    .await
    .unwrap();
    let c = Client::new(&sb, Some("ghp_x"));
    let rest = numbers_of(&rest_items(&c).await);
    let (gql, total) = graphql_numbers(&c).await;
    assert_eq!(gql.len() as u64, total);
    for n in [100, 101, 160] {
        assert!(rest.contains(&n) && !gql.contains(&n), "{n}");
    }
    for n in [98, 102] {
        assert!(!rest.contains(&n) && gql.contains(&n), "{n}");
        // Still there one by one.
        assert_eq!(
            c.get(&format!("/repos/acme/widgets/issues/{n}"))
                .await
                .status,
            200
        );
    }
    // Left out of every page and every filter, small pages included.
    let small = c
        .get("/repos/acme/widgets/issues?labels=codex&per_page=5&sort=created&direction=asc")
        .await;
    assert!(!numbers_of(small.array()).contains(&98));
    // open_issues_count still counts them: the listing falls short of it by the two.
    let open_listed = numbers_of(
        &rest_items(&c)
            .await
            .into_iter()
            .filter(|i| i["state"] == "open")
            .collect::<Vec<_>>(),
    )
    .len() as u64;
    let repo = c.get("/repos/acme/widgets").await;
    assert_eq!(
        repo.body["open_issues_count"].as_u64().unwrap(),
        open_listed + 2
    );
}

#[tokio::test]
async fn demo_project_items_archived_and_orphaned() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let (items, total) = project_items(&c).await;
    assert_eq!(items.len() as u64, total);
    let archived: Vec<&Value> = items.iter().filter(|i| i["isArchived"] == true).collect();
    assert_eq!(archived.len(), 1);
    assert_eq!(archived[0]["content"]["number"], 175);
    assert_eq!(kind(&sb, "archived_item"), [175]);
    // The deleted issue's item: content null; the draft has content too, of its own type.
    let orphans: Vec<&Value> = items.iter().filter(|i| i["content"].is_null()).collect();
    assert_eq!(orphans.len(), 1);
    assert_eq!(kind(&sb, "orphaned_item"), [281]);
    assert_eq!(c.get("/repos/acme/widgets/issues/281").await.status, 410);
    let pr = items
        .iter()
        .find(|i| i["content"]["__typename"] == "PullRequest")
        .unwrap();
    assert_eq!(pr["content"]["repository"]["nameWithOwner"], "acme/widgets");
}

#[tokio::test]
async fn transfer_moves_the_issue_and_its_item() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let r = control(
        &sb,
        "transfer",
        json!({"repo": "acme/widgets", "number": 99, "to": "acme/gadgets"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["ok"], true);
    assert_eq!(r.body["to"], "acme/gadgets");
    let to = r.body["to_number"].as_u64().unwrap();
    assert_eq!(to, 2, "gadgets held one issue");
    assert_eq!(r.body["project_items_moved"], 1);
    let old = c.get("/repos/acme/widgets/issues/99").await;
    assert_eq!(old.status, 301);
    let location = old.header("location").unwrap().to_owned();
    assert!(location.ends_with(&format!("/issues/{to}")), "{location}");
    let new = c.get(&location).await;
    assert_eq!(new.status, 200);
    assert_eq!(
        new.body["html_url"],
        format!("https://github.com/acme/gadgets/issues/{to}")
    );
    assert_eq!(new.body["labels"][0]["name"], "codex");
    assert!(!numbers_of(&rest_items(&c).await).contains(&99));
    let (items, _) = project_items(&c).await;
    assert!(item_for(&items, "acme/gadgets", to).is_some());
    assert!(item_for(&items, "acme/widgets", 99).is_none());
    // In process too; errors name what is missing.
    assert_eq!(
        sb.transfer_issue("acme/widgets", 100, "acme/gadgets")
            .unwrap(),
        3
    );
    let e = sb
        .transfer_issue("acme/widgets", 100, "acme/gadgets")
        .unwrap_err();
    assert!(e.to_string().contains("no issue acme/widgets#100"), "{e}");
    let r = control(
        &sb,
        "transfer",
        json!({"repo": "acme/widgets", "number": 101, "to": "acme/nope"}),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = control(
        &sb,
        "transfer",
        json!({"repo": "acme/widgets", "number": 13, "to": "acme/gadgets"}),
    )
    .await;
    assert_eq!(r.status, 422, "a pull request: {}", r.body);
}

#[tokio::test]
async fn delete_leaves_an_orphaned_item_and_archive_marks_one() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let (before, total_before) = project_items(&c).await;
    let r = control(&sb, "delete", json!({"repo": "acme/widgets", "number": 98})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["orphaned_items"], 1);
    assert_eq!(c.get("/repos/acme/widgets/issues/98").await.status, 410);
    let (after, total_after) = project_items(&c).await;
    assert_eq!(total_after, total_before, "the item stays");
    assert_eq!(
        after.iter().filter(|i| i["content"].is_null()).count(),
        before.iter().filter(|i| i["content"].is_null()).count() + 1
    );
    let r = control(&sb, "delete", json!({"repo": "acme/widgets", "number": 98})).await;
    assert_eq!(r.status, 404);

    let r = control(
        &sb,
        "archive-item",
        json!({"repo": "acme/widgets", "number": 99}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (items, _) = project_items(&c).await;
    assert_eq!(
        item_for(&items, "acme/widgets", 99).unwrap()["isArchived"],
        true
    );
    // Not in the Project: 404.
    let missing = kind(&sb, "missing_project")[0];
    let r = control(
        &sb,
        "archive-item",
        json!({"repo": "acme/widgets", "number": missing}),
    )
    .await;
    assert_eq!(r.status, 404);
    sb.archive_item("acme/widgets", 100).unwrap();
    sb.delete_issue("acme/widgets", 100).unwrap();
    let r = control(&sb, "delete", json!({"number": 1})).await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn issue_controls_plant_the_shape_findings() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let set = |n: u64, set: Value| {
        let sb = &sb;
        async move {
            let r = control(
                sb,
                "issue",
                json!({"repo": "acme/widgets", "number": n, "set": set}),
            )
            .await;
            assert_eq!(r.status, 200, "{n}: {}", r.body);
        }
    };
    set(105, json!({"quirk": "no_number"})).await;
    set(106, json!({"quirk": "no_title"})).await;
    set(107, json!({"quirk": "milestone_without_number"})).await;
    set(108, json!({"quirk": "unknown_state_reason"})).await;
    set(
        109,
        json!({"labels": ["codex", "codex-trackmain", "ghost"]}),
    )
    .await;
    set(119, json!({"milestone": 42})).await;
    set(124, json!({"type": "Bug", "locked": true, "lock_reason": "spam", "parent": 125, "blocked_by": [126]})).await;
    set(127, json!({"not_visible": true})).await;
    set(
        128,
        json!({"hidden_from_graphql": true, "hidden_from_rest": true}),
    )
    .await;
    let gadget = control(
        &sb,
        "issue",
        json!({"repo": "acme/gadgets", "number": 1, "set": {"in_project": true}}),
    )
    .await;
    assert_eq!(gadget.status, 200);

    let rest = RestSpec::load();
    let mut url = "/repos/acme/widgets/issues?state=all&per_page=100".to_owned();
    let mut items = Vec::new();
    let mut errors = String::new();
    loop {
        let page = c.get(&url).await;
        if let Err(e) =
            rest.validate_response("GET", "/repos/acme/widgets/issues", 200, Some(&page.body))
        {
            errors.push_str(&format!("{e:?}"));
        }
        items.extend(page.array().iter().cloned());
        match page.link("next") {
            Some(n) => url = n,
            None => break,
        }
    }
    // The schema-breaking quirks break it, in the list.
    for field in ["number", "title", "state_reason"] {
        assert!(errors.contains(field), "{field}: {errors}");
    }
    assert!(items.iter().any(|i| i.get("number").is_none()));
    assert!(items.iter().any(|i| i.get("title").is_none()));
    let find = |n: u64| items.iter().find(|i| i["number"] == n).cloned();
    assert!(find(107).unwrap()["milestone"].get("number").is_none());
    assert_eq!(
        find(108).unwrap()["state_reason"],
        codex_sandbox::UNKNOWN_STATE_REASON
    );
    let ghost = find(109).unwrap();
    assert_eq!(ghost["labels"][2]["name"], "ghost");
    let labels = c.get("/repos/acme/widgets/labels?per_page=100").await;
    assert!(!labels.array().iter().any(|l| l["name"] == "ghost"));
    assert_eq!(find(119).unwrap()["milestone"]["number"], 42);
    let milestones = c.get("/repos/acme/widgets/milestones?state=all").await;
    assert!(!milestones.array().iter().any(|m| m["number"] == 42));
    assert!(find(127).is_none() && find(128).is_none());
    // One by one: the quirks are list-only and the single answers validate.
    for n in [105, 106, 107, 108, 109, 119, 124, 128] {
        let path = format!("/repos/acme/widgets/issues/{n}");
        let r = c.get(&path).await;
        assert_eq!(r.status, 200, "{n}");
        rest.validate_response("GET", &path, 200, Some(&r.body))
            .unwrap_or_else(|e| panic!("{n}: {e:#?}"));
    }
    let i124 = c.get("/repos/acme/widgets/issues/124").await.body;
    assert_eq!(i124["type"]["name"], "Bug");
    assert_eq!(i124["active_lock_reason"], "spam");
    assert!(
        i124["parent_issue_url"]
            .as_str()
            .unwrap()
            .ends_with("/issues/125")
    );
    assert_eq!(i124["issue_dependencies_summary"]["blocked_by"], 1);
    assert_eq!(
        c.get("/repos/acme/widgets/issues/125").await.body["sub_issues_summary"]["total"],
        1
    );
    assert_eq!(c.get("/repos/acme/widgets/issues/127").await.status, 404);
    let (gql, _) = graphql_numbers(&c).await;
    assert!(!gql.contains(&127) && !gql.contains(&128));
    let (project, _) = project_items(&c).await;
    assert!(
        item_for(&project, "acme/gadgets", 1).is_some(),
        "a foreign item"
    );
    assert!(
        item_for(&project, "acme/widgets", 127).is_none(),
        "content hidden"
    );

    // Refusals change nothing.
    for (body, status) in [
        (
            json!({"repo": "acme/widgets", "number": 130, "set": {"quirk": "nope"}}),
            422,
        ),
        (
            json!({"repo": "acme/widgets", "number": 130, "set": {"state_reason": "bogus"}}),
            422,
        ),
        (
            json!({"repo": "acme/widgets", "number": 130, "set": {"type": "Epic"}}),
            422,
        ),
        (
            json!({"repo": "acme/widgets", "number": 130, "set": {"locked": true, "colour": 1}}),
            422,
        ),
        (
            json!({"repo": "acme/widgets", "number": 99999, "set": {}}),
            404,
        ),
        (json!({"repo": "acme/nope", "number": 1, "set": {}}), 404),
    ] {
        let r = control(&sb, "issue", body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert!(r.body["message"].is_string());
    }
    assert_eq!(
        c.get("/repos/acme/widgets/issues/130").await.body["locked"],
        false
    );
    sb.set_issue("acme/widgets", 130, &json!({"state_reason": "duplicate"}))
        .unwrap();
    assert_eq!(
        c.get("/repos/acme/widgets/issues/130").await.body["state_reason"],
        "duplicate"
    );
}

#[tokio::test]
async fn label_controls_rename_and_delete() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let r = control(
        &sb,
        "label",
        json!({"repo": "acme/widgets", "name": "codex", "rename": "Codex"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let labels = c.get("/repos/acme/widgets/labels?per_page=100").await;
    assert!(labels.array().iter().any(|l| l["name"] == "Codex"));
    assert_eq!(
        c.get("/repos/acme/widgets/issues/98").await.body["labels"][0]["name"],
        "Codex"
    );
    let r = control(
        &sb,
        "label",
        json!({"repo": "acme/widgets", "name": "bug", "delete": true}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let labels = c.get("/repos/acme/widgets/labels?per_page=100").await;
    assert!(!labels.array().iter().any(|l| l["name"] == "bug"));
    let bare_bug = kind(&sb, "bare").into_iter().find(|n| n % 4 == 1).unwrap();
    assert_eq!(
        c.get(&format!("/repos/acme/widgets/issues/{bare_bug}"))
            .await
            .body["labels"][0]["name"],
        "bug"
    );
    let r = control(
        &sb,
        "label",
        json!({"repo": "acme/widgets", "name": "codex-trackmain", "rename": "codex-trackdashboard"}),
    )
    .await;
    assert_eq!(r.status, 422);
    let r = control(
        &sb,
        "label",
        json!({"repo": "acme/widgets", "name": "nope", "delete": true}),
    )
    .await;
    assert_eq!(r.status, 404);
}
