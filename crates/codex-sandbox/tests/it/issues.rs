//! Issues over REST: filters, moved/deleted numbers, conditional requests, writes and the
//! permissions of each token kind.

use serde_json::json;

use crate::common::{Client, demo, kind};

async fn all(c: &Client, query: &str) -> Vec<serde_json::Value> {
    let mut url = format!("/repos/acme/widgets/issues?per_page=100&{query}");
    let mut out = Vec::new();
    loop {
        let r = c.get(&url).await;
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        out.extend(r.array().iter().cloned());
        match r.link("next") {
            Some(n) => url = n,
            None => return out,
        }
    }
}

fn numbers(items: &[serde_json::Value]) -> Vec<u64> {
    let mut n: Vec<u64> = items
        .iter()
        .map(|i| i["number"].as_u64().unwrap())
        .collect();
    n.sort_unstable();
    n
}

#[tokio::test]
async fn list_filters_match_the_scenario() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let open = all(&c, "").await;
    let closed = all(&c, "state=closed").await;
    let every = all(&c, "state=all").await;
    assert_eq!(open.len() + closed.len(), every.len());
    assert_eq!(every.len(), 298);
    assert!(open.iter().all(|i| i["state"] == "open"));
    assert!(
        closed
            .iter()
            .all(|i| i["state"] == "closed" && !i["closed_at"].is_null())
    );
    let closed_issues: Vec<u64> = numbers(&closed)
        .into_iter()
        .filter(|n| !(13..=57).contains(n))
        .collect();
    assert_eq!(closed_issues, kind(&sb, "closed"));

    let selftest = all(&c, "labels=codex-selftest").await;
    assert_eq!(numbers(&selftest), kind(&sb, "selftest"));
    let both = all(&c, "labels=CODEX-TRACKMAIN,codex-trackdashboard").await;
    assert_eq!(
        numbers(&both),
        kind(&sb, "both_tracks"),
        "all labels must match, any case"
    );
    assert!(all(&c, "labels=no-such-label").await.is_empty());

    let none = all(&c, "milestone=none").await;
    assert!(none.iter().all(|i| i["milestone"].is_null()));
    for n in kind(&sb, "missing_milestone") {
        assert!(numbers(&none).contains(&n));
    }
    let any = all(&c, "milestone=*").await;
    assert_eq!(none.len() + any.len(), open.len());
    let internal = all(&c, "milestone=1").await;
    assert!(
        internal
            .iter()
            .all(|i| i["milestone"]["title"] == "Codex Internal")
    );
    assert_eq!(numbers(&internal), kind(&sb, "selftest"));

    let since = (crate::common::now() - chrono::Duration::days(14)).to_rfc3339();
    let recent = all(&c, &format!("since={}", since.replace('+', "%2B"))).await;
    assert!(!recent.is_empty() && recent.len() < open.len());
    assert!(
        recent
            .iter()
            .all(|i| i["updated_at"].as_str().unwrap() >= "2025-05-18")
    );

    let asc = all(&c, "sort=updated&direction=asc").await;
    let ts: Vec<&str> = asc
        .iter()
        .map(|i| i["updated_at"].as_str().unwrap())
        .collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]));
    let desc = all(&c, "sort=created").await;
    let ts: Vec<&str> = desc
        .iter()
        .map(|i| i["created_at"].as_str().unwrap())
        .collect();
    assert!(
        ts.windows(2).all(|w| w[0] >= w[1]),
        "created desc is the default"
    );

    for bad in [
        "state=opened",
        "sort=size",
        "direction=up",
        "milestone=abc",
        "since=yesterday",
    ] {
        let r = c.get(&format!("/repos/acme/widgets/issues?{bad}")).await;
        assert_eq!(r.status, 422, "{bad}");
        assert_eq!(r.body["message"], "Validation Failed");
    }
    let repo_id = sb.state()["repos"][0]["id"].as_u64().unwrap();
    let by_id = c
        .get(&format!("/repositories/{repo_id}/issues?per_page=5"))
        .await;
    assert_eq!(by_id.array().len(), 5);
}

#[tokio::test]
async fn moved_deleted_and_unknown_numbers() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let moved = kind(&sb, "transferred")[0];
    let r = c.get(&format!("/repos/acme/widgets/issues/{moved}")).await;
    assert_eq!(r.status, 301);
    assert_eq!(r.body["message"], "Moved Permanently");
    let location = r.header("location").unwrap().to_owned();
    assert_eq!(
        location,
        format!("{}/repos/acme/gadgets/issues/1", sb.base_url())
    );
    let there = c.get(&location).await;
    assert_eq!(there.status, 200);
    assert_eq!(there.body["number"], 1);

    let deleted = kind(&sb, "deleted")[0];
    let r = c
        .get(&format!("/repos/acme/widgets/issues/{deleted}"))
        .await;
    assert_eq!(r.status, 410);
    assert_eq!(r.body["message"], "This issue was deleted");
    assert_eq!(c.get("/repos/acme/widgets/issues/99999").await.status, 404);
    assert_eq!(c.get("/repos/acme/nope/issues/1").await.status, 404);
    let r = c.get("/no/such/route").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
    );
}

#[tokio::test]
async fn etag_and_304_do_not_cost_rate_limit() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_etag"));
    let first = c.get("/repos/acme/widgets/issues/98").await;
    let etag = first.header("etag").unwrap().to_owned();
    assert!(etag.starts_with("W/\""));
    let remaining: u64 = first
        .header("x-ratelimit-remaining")
        .unwrap()
        .parse()
        .unwrap();
    let again = c
        .get_with("/repos/acme/widgets/issues/98", "if-none-match", &etag)
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_null());
    assert_eq!(
        again
            .header("x-ratelimit-remaining")
            .unwrap()
            .parse::<u64>()
            .unwrap(),
        remaining
    );
    assert_eq!(again.header("x-ratelimit-limit"), Some("5000"));
    assert_eq!(sb.stats()["not_modified"], 1);

    let r = c
        .patch(
            "/repos/acme/widgets/issues/98",
            &json!({"title": "Renamed"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let after = c
        .get_with("/repos/acme/widgets/issues/98", "if-none-match", &etag)
        .await;
    assert_eq!(after.status, 200, "a write changes the ETag");
    assert_eq!(after.body["title"], "Renamed");
    assert_eq!(
        after
            .header("x-ratelimit-remaining")
            .unwrap()
            .parse::<u64>()
            .unwrap(),
        remaining - 2
    );
}

#[tokio::test]
async fn create_and_patch_issues() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_writer"));
    let r = c
        .post(
            "/repos/acme/widgets/issues",
            &json!({"title": "New one", "body": "b", "labels": ["codex", "brand-new"], "milestone": 2, "assignees": ["alice"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let n = r.body["number"].as_u64().unwrap();
    assert_eq!(
        r.header("location").unwrap(),
        format!("{}/repos/acme/widgets/issues/{n}", sb.base_url())
    );
    assert_eq!(r.body["milestone"]["title"], "Codex Main Track");
    assert_eq!(r.body["labels"][1]["color"], "ededed");
    assert_eq!(r.body["assignees"][0]["login"], "alice");
    let created_at = r.body["updated_at"].as_str().unwrap().to_owned();
    assert!(
        created_at.as_str() >= "2025-06-01T12:00:00Z",
        "writes use the scenario clock"
    );

    let r = c
        .post(
            "/repos/acme/widgets/issues",
            &json!({"title": "x", "milestone": 77}),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = c
        .post("/repos/acme/widgets/issues", &json!({"body": "no title"}))
        .await;
    assert_eq!(r.status, 422);

    let path = format!("/repos/acme/widgets/issues/{n}");
    let r = c.patch(&path, &json!({"state": "closed", "state_reason": "not_planned", "labels": ["bug"], "milestone": null})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["state"], "closed");
    assert_eq!(r.body["state_reason"], "not_planned");
    assert_eq!(r.body["closed_by"]["login"], "octocat");
    assert!(r.body["closed_at"].is_string());
    assert!(r.body["milestone"].is_null());
    assert_eq!(
        r.body["labels"].as_array().unwrap().len(),
        1,
        "labels replace the set"
    );
    let r = c.patch(&path, &json!({"state": "open"})).await;
    assert_eq!(r.body["state_reason"], "reopened");
    assert!(r.body["closed_at"].is_null());
    assert_eq!(c.patch(&path, &json!({"state": "gone"})).await.status, 422);
    assert_eq!(c.patch(&path, &json!({"milestone": 99})).await.status, 422);
    let deleted = kind(&sb, "deleted")[0];
    assert_eq!(
        c.patch(
            &format!("/repos/acme/widgets/issues/{deleted}"),
            &json!({"title": "x"})
        )
        .await
        .status,
        410
    );
    assert!(sb.stats()["writes"].as_u64().unwrap() >= 3);
}

#[tokio::test]
async fn adding_labels_is_additive_and_capped_at_100() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let before = c.get("/repos/acme/widgets/issues/218").await;
    let updated = before.body["updated_at"].as_str().unwrap().to_owned();
    let r = c
        .post(
            "/repos/acme/widgets/issues/218/labels",
            &json!({"labels": ["bug", "fresh-label"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let names: Vec<&str> = r
        .array()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.contains(&"codex") && names.contains(&"fresh-label"));
    let fresh = r
        .array()
        .iter()
        .find(|l| l["name"] == "fresh-label")
        .unwrap();
    assert_eq!(fresh["color"], "ededed");
    let r = c
        .post(
            "/repos/acme/widgets/issues/218/labels",
            &json!(["another", "bug"]),
        )
        .await;
    assert_eq!(
        r.array().len(),
        5,
        "a bare array works too; bug is not duplicated"
    );
    let after = c.get("/repos/acme/widgets/issues/218").await;
    assert!(after.body["updated_at"].as_str().unwrap() > updated.as_str());

    let many: Vec<String> = (0..95).map(|i| format!("bulk-{i}")).collect();
    assert_eq!(
        c.post("/repos/acme/widgets/issues/218/labels", &json!(many))
            .await
            .status,
        200
    );
    let r = c
        .post(
            "/repos/acme/widgets/issues/218/labels",
            &json!(["one-too-many"]),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["message"], "Validation Failed");
}

#[tokio::test]
async fn readonly_token_has_labels_and_milestone_dropped() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_readonly_1"));
    let repo = c.get("/repos/acme/widgets").await;
    assert_eq!(repo.body["permissions"]["push"], false);
    assert_eq!(repo.body["permissions"]["pull"], true);
    let r = c.post("/repos/acme/widgets/issues", &json!({"title": "From a reader", "labels": ["codex"], "milestone": 1, "assignees": ["bob"]})).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["labels"], json!([]));
    assert!(r.body["milestone"].is_null());
    assert_eq!(r.body["assignees"], json!([]));
    let n = r.body["number"].as_u64().unwrap();
    let r = c
        .patch(
            &format!("/repos/acme/widgets/issues/{n}"),
            &json!({"title": "Edited", "labels": ["bug"], "milestone": 2}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["title"], "Edited");
    assert_eq!(
        r.body["labels"],
        json!([]),
        "label changes are silently ignored"
    );
    assert!(r.body["milestone"].is_null());
    assert_eq!(
        c.post(
            &format!("/repos/acme/widgets/issues/{n}/labels"),
            &json!(["bug"])
        )
        .await
        .status,
        403
    );
    assert_eq!(
        c.post("/repos/acme/widgets/labels", &json!({"name": "x"}))
            .await
            .status,
        403
    );
    assert_eq!(
        c.post("/repos/acme/widgets/milestones", &json!({"title": "x"}))
            .await
            .status,
        403
    );
    assert_eq!(
        c.patch(
            "/repos/acme/widgets/issues/98",
            &json!({"title": "not mine"})
        )
        .await
        .status,
        403
    );
}
