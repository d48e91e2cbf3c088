//! Injected faults: 5xx (some after the write was applied), hangs, the primary and secondary rate
//! limits, GraphQL errors inside a 200, all replayable from the seed.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use codex_sandbox::{Sandbox, SandboxOptions, Scenario};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{Client, Resp, kind, opts};

const ISSUES: &str = "/repos/acme/widgets/issues";
const QUERY: &str =
    "{ repository(owner: \"acme\", name: \"widgets\") { issue(number: 1) { number title } } }";
const ADD_ITEM: &str = "mutation($p: ID!, $c: ID!) { addProjectV2ItemById(input: {projectId: $p, contentId: $c}) { item { id } } }";

async fn start(f: impl FnOnce(&mut SandboxOptions)) -> Sandbox {
    let mut o = opts(Scenario::Demo);
    f(&mut o);
    Sandbox::start(o).await.unwrap()
}

fn issue_count(sb: &Sandbox) -> usize {
    sb.with_state(|s| {
        let i = s.repo_index("acme", "widgets").unwrap();
        s.repos[i].issues().len()
    })
}

fn project_items(sb: &Sandbox) -> usize {
    sb.with_state(|s| s.projects[0].items.len())
}

fn stat(sb: &Sandbox, name: &str) -> u64 {
    sb.stats()[name]
        .as_u64()
        .unwrap_or_else(|| panic!("no stat {name}"))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Sleeps until the wall clock reaches `epoch_ms`.
async fn sleep_until_ms(epoch_ms: i64) {
    let left = epoch_ms - now_ms();
    if left > 0 {
        tokio::time::sleep(Duration::from_millis(u64::try_from(left).unwrap())).await;
    }
}

fn is_5xx(r: &Resp) -> bool {
    matches!(r.status, 500 | 502 | 503)
}

#[tokio::test]
async fn fault_rate_one_fails_every_request_and_applies_about_half_the_writes() {
    let sb = start(|o| o.fault_rate = 1.0).await;
    let c = Client::new(&sb, Some("ghp_x"));
    let before = issue_count(&sb);
    let mut seen = BTreeSet::new();
    for i in 0..40 {
        let r = c
            .post(
                ISSUES,
                &json!({"title": format!("created under faults {i}")}),
            )
            .await;
        assert!(is_5xx(&r), "{} {}", r.status, r.body);
        seen.insert(r.status);
        match r.status {
            502 => {
                assert!(r.header("content-type").unwrap().starts_with("text/html"));
                assert!(r.body.as_str().unwrap().contains("<html>"));
            }
            500 => assert_eq!(r.body, json!({"message": "Server Error"})),
            _ => assert_eq!(r.body["message"], "Service Unavailable"),
        }
        assert!(r.header("x-github-request-id").is_some());
    }
    assert_eq!(seen, BTreeSet::from([500, 502, 503]), "the three kinds");
    let applied = issue_count(&sb) - before;
    assert!(
        (12..=28).contains(&applied),
        "about half the writes applied: {applied} of 40"
    );
    for path in [
        "/repos/acme/widgets/issues/1",
        "/repos/acme/widgets",
        "/rate_limit",
    ] {
        assert!(is_5xx(&c.get(path).await), "{path}");
    }
    assert!(is_5xx(&c.graphql(QUERY, json!({})).await));
    // `/_sandbox/*` is never faulted.
    assert_eq!(c.get("/_sandbox/stats").await.status, 200);
    let stats = sb.stats();
    assert_eq!(stats["faults_injected"], 44);
    assert_eq!(stats["faults_after_write"], applied as u64);
    assert_eq!(stats["writes"], applied as u64);
    assert_eq!(stats["requests"], 44);
    assert_eq!(stats["hangs"], 0);
}

/// One serial run at fault-rate 0.3: every status, and the issues it created.
async fn serial_run(seed: u64) -> (Vec<u16>, Vec<String>, u64) {
    let sb = start(|o| {
        o.fault_rate = 0.3;
        o.seed = seed;
    })
    .await;
    let c = Client::new(&sb, Some("ghp_x"));
    let before = issue_count(&sb);
    let mut statuses = Vec::new();
    for i in 0..30 {
        statuses.push(c.get("/repos/acme/widgets/issues/1").await.status);
        statuses.push(
            c.post(ISSUES, &json!({"title": format!("replay {i}")}))
                .await
                .status,
        );
        statuses.push(c.graphql(QUERY, json!({})).await.status);
    }
    let titles = sb.with_state(|s| {
        let r = &s.repos[s.repo_index("acme", "widgets").unwrap()];
        r.issues()[before..]
            .iter()
            .map(|i| i.title.clone())
            .collect()
    });
    (statuses, titles, stat(&sb, "faults_injected"))
}

#[tokio::test]
async fn the_same_seed_replays_the_same_faults() {
    let (a, a_titles, a_faults) = serial_run(42).await;
    let (b, b_titles, b_faults) = serial_run(42).await;
    assert_eq!(a, b, "same seed, same statuses");
    assert_eq!(a_titles, b_titles, "same seed, same writes applied");
    assert_eq!(a_faults, b_faults);
    let faulted = a.iter().filter(|s| **s >= 500).count();
    assert_eq!(faulted as u64, a_faults);
    assert!((12..=45).contains(&faulted), "{faulted} of 90 at 0.3");
    let (c, _, _) = serial_run(43).await;
    assert_ne!(a, c, "another seed, other faults");
}

/// Sends a raw HTTP/1.1 request on its own connection (kept open by the caller).
async fn raw(sb: &Sandbox, method: &str, path: &str, body: &str) -> tokio::net::TcpStream {
    let mut s = tokio::net::TcpStream::connect(sb.addr()).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: token ghp_t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        sb.addr(),
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    s
}

async fn wait_for(sb: &Sandbox, name: &str, want: u64) {
    let deadline = Instant::now() + Duration::from_secs(3);
    while stat(sb, name) != want {
        assert!(
            Instant::now() < deadline,
            "{name} stays {} (want {want})",
            stat(sb, name)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn hang_rate_one_times_clients_out_and_applies_about_half_the_writes() {
    let sb = start(|o| o.hang_rate = 1.0).await;
    let c = Client::new(&sb, Some("ghp_x"));
    let t = Instant::now();
    let r = tokio::time::timeout(
        Duration::from_secs(1),
        c.get("/repos/acme/widgets/issues/1"),
    )
    .await;
    assert!(r.is_err(), "a client with a 1 s timeout times out");
    assert!(t.elapsed() >= Duration::from_secs(1));
    assert_eq!(stat(&sb, "hangs"), 1);

    // Writes: each on its own connection, sent one after another.
    let before = issue_count(&sb);
    let mut conns = Vec::new();
    for i in 0..16 {
        conns.push(raw(&sb, "POST", ISSUES, &format!("{{\"title\":\"hung {i}\"}}")).await);
        wait_for(&sb, "hangs", 2 + i).await;
    }
    let applied = issue_count(&sb) - before;
    assert!((3..=13).contains(&applied), "{applied} of 16");
    assert_eq!(stat(&sb, "hangs_after_write"), applied as u64);
    assert!(stat(&sb, "hanging") >= 16);
    // Nothing ever answers, and the hung request ends when its client hangs up.
    let mut buf = [0_u8; 64];
    let read = tokio::time::timeout(Duration::from_millis(200), conns[0].read(&mut buf)).await;
    assert!(read.is_err(), "no answer");
    let hanging = stat(&sb, "hanging");
    drop(conns);
    wait_for(&sb, "hanging", hanging - 16).await;
}

#[tokio::test]
async fn primary_limit_answers_403_until_the_reset_then_serves_again() {
    let sb = start(|o| {
        o.rate_limit = Some(3);
        o.rate_limit_reset_secs = 2;
    })
    .await;
    let c = Client::new(&sb, Some("ghp_x"));
    for left in ["2", "1", "0"] {
        let r = c.get("/repos/acme/widgets/issues/1").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-ratelimit-limit"), Some("3"));
        assert_eq!(r.header("x-ratelimit-remaining"), Some(left));
    }
    let r = c.get("/repos/acme/widgets/issues/2").await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.body,
        json!({
            "message": "API rate limit exceeded for user ID 1.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            "status": "403",
        })
    );
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(r.header("x-ratelimit-limit"), Some("3"));
    let reset: i64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert!(reset > chrono::Utc::now().timestamp(), "the reset is ahead");
    assert!(reset <= chrono::Utc::now().timestamp() + 2);
    // Writes are refused too; `/rate_limit` is free and tells the same story.
    assert_eq!(c.post(ISSUES, &json!({"title": "no"})).await.status, 403);
    let rl = c.get("/rate_limit").await;
    assert_eq!(rl.status, 200);
    assert_eq!(rl.body["resources"]["core"]["remaining"], 0);
    assert_eq!(rl.body["resources"]["core"]["limit"], 3);
    assert_eq!(rl.body["resources"]["core"]["reset"], reset);
    assert_eq!(stat(&sb, "rate_limited_requests"), 2);

    sleep_until_ms(reset * 1000).await;
    let r = c.get("/repos/acme/widgets/issues/2").await;
    assert_eq!(r.status, 200, "a new window");
    assert_eq!(r.header("x-ratelimit-remaining"), Some("2"));
    assert!(
        r.header("x-ratelimit-reset")
            .unwrap()
            .parse::<i64>()
            .unwrap()
            > reset
    );
    assert_eq!(stat(&sb, "rate_limited_requests"), 2, "nothing since");
}

#[tokio::test]
async fn secondary_limit_answers_retry_after_on_the_write_past_the_limit() {
    let sb = start(|o| {
        o.secondary_limit = Some(2);
        o.secondary_retry_after_secs = 1;
    })
    .await;
    let c = Client::new(&sb, Some("ghp_x"));
    for i in 0..2 {
        let r = c.post(ISSUES, &json!({"title": format!("w{i}")})).await;
        assert_eq!(r.status, 201);
    }
    // Reads and GraphQL queries are not writes.
    assert_eq!(c.get("/repos/acme/widgets/issues/1").await.status, 200);
    assert!(
        c.graphql(QUERY, json!({}))
            .await
            .body
            .get("errors")
            .is_none()
    );
    let before = issue_count(&sb);
    let r = c.post(ISSUES, &json!({"title": "w2"})).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(
        r.body,
        json!({
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
            "status": "403",
        })
    );
    assert_ne!(r.header("x-ratelimit-remaining"), Some("0"), "not primary");
    assert_eq!(issue_count(&sb), before, "refused writes change nothing");
    // Reads go on; a write before the retry-after expires is an early retry.
    assert_eq!(c.get("/repos/acme/widgets/issues/1").await.status, 200);
    let early = c
        .patch("/repos/acme/widgets/issues/1", &json!({"title": "x"}))
        .await;
    assert_eq!(early.status, 403);
    assert_eq!(early.header("retry-after"), Some("1"));
    let stats = sb.stats();
    assert_eq!(stats["secondary_limited"], 2);
    assert_eq!(stats["early_retries"], 1);
    let windows = stats["secondary_windows"].as_array().unwrap();
    assert_eq!(windows.len(), 1);
    let until = windows[0]["until_ms"].as_i64().unwrap();
    assert_eq!(until - windows[0]["at_ms"].as_i64().unwrap(), 1000);
    assert_eq!(windows[0]["retry_after"], 1);

    // After the retry-after: a fresh budget, and GraphQL mutations count as writes.
    sleep_until_ms(until).await;
    assert_eq!(c.post(ISSUES, &json!({"title": "w3"})).await.status, 201);
    let node = c.get("/repos/acme/widgets/issues/1").await.body["node_id"].clone();
    let project = sb.with_state(|s| s.projects[0].node_id());
    let m = c.graphql(ADD_ITEM, json!({"p": project, "c": node})).await;
    assert!(m.body.get("errors").is_none(), "{}", m.body);
    let r = c.post(ISSUES, &json!({"title": "w4"})).await;
    assert_eq!(r.status, 403, "the mutation was the second write");
    assert_eq!(sb.stats()["secondary_windows"].as_array().unwrap().len(), 2);
    assert_eq!(stat(&sb, "early_retries"), 1);
}

#[tokio::test]
async fn graphql_fault_rate_one_answers_200_with_errors() {
    let sb = start(|o| o.graphql_fault_rate = 1.0).await;
    let c = Client::new(&sb, Some("ghp_x"));
    let mut kinds = BTreeSet::new();
    for _ in 0..20 {
        let r = c.graphql(QUERY, json!({})).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["data"], Value::Null);
        let e = &r.body["errors"][0];
        if e["type"] == "RATE_LIMITED" {
            assert!(
                e["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("API rate limit exceeded")
            );
            kinds.insert("rate-limited");
        } else {
            let msg = e["message"].as_str().unwrap();
            assert!(
                msg.starts_with("Something went wrong while executing your query. This may be the result of a timeout"),
                "{msg}"
            );
            assert!(msg.contains(r.header("x-github-request-id").unwrap()));
            kinds.insert("timeout");
        }
    }
    assert_eq!(kinds.len(), 2, "both kinds");
    // REST is untouched.
    assert_eq!(c.get("/repos/acme/widgets/issues/1").await.status, 200);

    // Mutations: about half applied, their answers replaced all the same.
    let project = sb.with_state(|s| s.projects[0].node_id());
    let before = project_items(&sb);
    let missing = kind(&sb, "missing_project");
    for n in &missing {
        let node = c.get(&format!("/repos/acme/widgets/issues/{n}")).await.body["node_id"].clone();
        let r = c.graphql(ADD_ITEM, json!({"p": project, "c": node})).await;
        assert_eq!(r.body["data"], Value::Null);
    }
    let applied = project_items(&sb) - before;
    assert!(
        (4..=16).contains(&applied),
        "{applied} of {} mutations applied",
        missing.len()
    );
    let stats = sb.stats();
    assert_eq!(stats["graphql_faults"], 20 + missing.len() as u64);
    assert_eq!(stats["graphql_faults_after_write"], applied as u64);
    assert_eq!(stats["faults_injected"], 0);
}

#[tokio::test]
async fn out_of_range_rates_are_refused() {
    for o in [
        SandboxOptions {
            fault_rate: 1.5,
            ..SandboxOptions::default()
        },
        SandboxOptions {
            hang_rate: -0.1,
            ..SandboxOptions::default()
        },
        SandboxOptions {
            graphql_fault_rate: f64::NAN,
            ..SandboxOptions::default()
        },
    ] {
        assert!(Sandbox::start(o).await.is_err());
    }
}
