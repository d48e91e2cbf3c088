//! Enumeration costs exactly ceil(items/100) requests, reaches deep pages through `after=`
//! cursors, drops pull requests, and never lets an odd item sink a page.

use std::collections::HashSet;

use codex_core::github::{IssueLister, IssueQuery};
use codex_sandbox::{SandboxOptions, Scenario};
use serde_json::Value;

use crate::common::{client, repo, sandbox};

/// A client whose conditional-request cache lives in `dir`.
fn cached_client(sb: &codex_sandbox::Sandbox, dir: &std::path::Path) -> codex_core::GitHub {
    let mut opts = crate::common::options(sb);
    opts.cache_dir = Some(dir.to_path_buf());
    codex_core::GitHub::new(opts).unwrap()
}

fn state_items(state: &Value) -> &Vec<Value> {
    state["repos"][0]["issues"].as_array().unwrap()
}

async fn enumerate_all(n: usize) {
    let sb = sandbox(SandboxOptions {
        scenario: Scenario::Large,
        issues: n,
        record: true,
        ..SandboxOptions::default()
    })
    .await;
    let state = sb.state();
    let items = state_items(&state);
    let expected_prs = items
        .iter()
        .filter(|i| i["is_pull_request"] == true)
        .count() as u64;
    let expected_issues: HashSet<u64> = items
        .iter()
        .filter(|i| i["is_pull_request"] == false)
        .map(|i| i["number"].as_u64().unwrap())
        .collect();
    let gh = client(&sb, false);
    sb.reset_stats();

    let mut lister = IssueLister::new(&gh, &repo(), &IssueQuery::all());
    let mut seen = HashSet::new();
    let mut prs = 0;
    let mut page_sizes = Vec::new();
    while let Some(page) = lister.next_page().await.unwrap() {
        assert!(page.malformed.is_empty(), "{:?}", page.malformed);
        page_sizes.push((page.issues.len() + page.pull_requests.len()) as u64);
        prs += page.pull_requests.len() as u64;
        for issue in page.issues {
            assert!(seen.insert(issue.number.0), "#{} seen twice", issue.number);
        }
    }
    let total = items.len() as u64;
    let expected_requests = total.div_ceil(100).max(1);
    assert_eq!(
        gh.stats().requests,
        expected_requests,
        "requests for {total} items"
    );
    assert_eq!(
        sb.stats()["requests"].as_u64(),
        Some(expected_requests),
        "as the sandbox counted them"
    );
    assert_eq!(lister.pages(), expected_requests);
    assert_eq!(lister.items(), total);
    assert_eq!(seen, expected_issues, "every issue exactly once");
    assert_eq!(prs, expected_prs, "pull requests dropped, not lost");
    // Full pages of 100 but the last.
    if let Some((last, full)) = page_sizes.split_last() {
        assert!(full.iter().all(|&s| s == 100), "{page_sizes:?}");
        assert!(*last <= 100);
    }
    // Deep pages come from the Link header's cursors, never from page numbers.
    let exchanges = sb.exchanges();
    assert_eq!(exchanges.len() as u64, expected_requests);
    assert!(exchanges[0].path == "/repos/acme/widgets/issues");
    for ex in &exchanges[1..] {
        assert!(ex.path.starts_with("/repositories/"), "{}", ex.path);
        assert!(ex.query.contains("after="), "{}", ex.query);
        assert!(
            !ex.query.split('&').any(|kv| kv.starts_with("page=")),
            "{}",
            ex.query
        );
    }
}

#[tokio::test]
async fn zero_issues_cost_one_request() {
    enumerate_all(0).await;
}

#[tokio::test]
async fn one_issue() {
    enumerate_all(1).await;
}

#[tokio::test]
async fn exactly_one_full_page() {
    enumerate_all(100).await;
}

#[tokio::test]
async fn one_past_a_full_page() {
    enumerate_all(101).await;
}

#[tokio::test]
async fn twelve_thousand_issues_past_the_page_number_limit() {
    enumerate_all(12_000).await;
}

#[tokio::test]
async fn odd_items_become_findings_and_the_page_goes_on() {
    let sb = sandbox(SandboxOptions {
        scenario: Scenario::Demo,
        off_spec: true,
        ..SandboxOptions::default()
    })
    .await;
    let gh = client(&sb, false);
    let all = IssueLister::new(&gh, &repo(), &IssueQuery::all())
        .collect()
        .await
        .unwrap();
    let findings: Vec<&str> = all
        .issues
        .iter()
        .flat_map(|i| i.findings.iter().map(|o| o.detail.as_str()))
        .collect();
    for expected in [
        "missing created_at",
        "missing labels[]",
        "label without a name",
    ] {
        assert!(
            findings.contains(&expected),
            "{expected} not in {findings:?}"
        );
    }
    assert!(
        all.issues.iter().any(|i| i.author.is_none()),
        "user: null is tolerated"
    );
    let state = sb.state();
    let open_or_closed_issues = state_items(&state)
        .iter()
        .filter(|i| i["is_pull_request"] == false)
        .count();
    assert_eq!(all.issues.len(), open_or_closed_issues);
}

#[tokio::test]
async fn server_side_filters_reach_github() {
    let sb = sandbox(SandboxOptions {
        scenario: Scenario::Demo,
        off_spec: false,
        ..SandboxOptions::default()
    })
    .await;
    let gh = client(&sb, false);
    let milestones = gh.milestones(&repo()).await.unwrap();
    let internal = milestones
        .iter()
        .find(|m| m.title == "Codex Internal")
        .unwrap();
    let query = IssueQuery {
        labels: vec!["codex-selftest".into()],
        milestone: Some(internal.number),
        ..IssueQuery::open()
    };
    let found = IssueLister::new(&gh, &repo(), &query)
        .collect()
        .await
        .unwrap();
    assert!(!found.issues.is_empty());
    assert!(found.issues.iter().all(|i| i.is_open()
        && i.has_label("codex-selftest")
        && i.milestone.as_ref().unwrap().number == internal.number));
    let state = sb.state();
    let expected = state_items(&state)
        .iter()
        .filter(|i| {
            i["state"] == "open"
                && i["milestone"] == "Codex Internal"
                && i["labels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|l| l == "codex-selftest")
        })
        .count();
    assert_eq!(found.issues.len(), expected);
}

#[tokio::test]
async fn moved_and_deleted_issues_are_told_apart() {
    let sb = sandbox(SandboxOptions {
        scenario: Scenario::Demo,
        off_spec: false,
        ..SandboxOptions::default()
    })
    .await;
    let gh = client(&sb, false);
    let state = sb.state();
    let moved = state["repos"][0]["transferred"][0]["number"]
        .as_u64()
        .unwrap();
    let deleted = state["repos"][0]["deleted"][0].as_u64().unwrap();
    let err = gh
        .issue(&repo(), codex_core::IssueNumber(moved))
        .await
        .unwrap_err();
    assert!(
        matches!(err, codex_core::Error::Moved { ref location, .. } if !location.is_empty()),
        "{err:?}"
    );
    let err = gh
        .issue(&repo(), codex_core::IssueNumber(deleted))
        .await
        .unwrap_err();
    assert!(matches!(err, codex_core::Error::Gone { .. }), "{err:?}");
}

#[tokio::test]
async fn dry_run_sends_no_write() {
    let sb = sandbox(SandboxOptions {
        scenario: Scenario::Demo,
        off_spec: false,
        ..SandboxOptions::default()
    })
    .await;
    let gh = client(&sb, true);
    let written = gh
        .create_issue(&repo(), "x", "y", &["codex"], None)
        .await
        .unwrap();
    assert_eq!(written, codex_core::github::Written::DryRun);
    let written = gh
        .add_labels(&repo(), codex_core::IssueNumber(1), &["codex".into()])
        .await
        .unwrap();
    assert_eq!(written, codex_core::github::Written::DryRun);
    assert_eq!(sb.stats()["writes"].as_u64(), Some(0));
    assert_eq!(gh.stats().mutations, 0);
    assert_eq!(gh.stats().writes_skipped, 2);
}

#[tokio::test]
async fn a_rerun_with_a_cache_answers_304_and_only_changed_pages_cost() {
    let sb = sandbox(SandboxOptions {
        scenario: Scenario::Large,
        issues: 1_000,
        ..SandboxOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cached_client = || cached_client(&sb, dir.path());
    let numbers = |page: &codex_core::github::IssuePage| {
        page.issues.iter().map(|i| i.number.0).collect::<Vec<_>>()
    };

    let first = cached_client();
    let cold = IssueLister::new(&first, &repo(), &IssueQuery::all())
        .collect()
        .await
        .unwrap();
    let pages = first.stats().requests;
    assert_eq!(pages, 10);
    assert_eq!(first.stats().not_modified, 0);

    // Unchanged repository: every list request is a 304, and the result is the same.
    let second = cached_client();
    let warm = IssueLister::new(&second, &repo(), &IssueQuery::all())
        .collect()
        .await
        .unwrap();
    assert_eq!(second.stats().requests, pages);
    assert_eq!(
        second.stats().not_modified,
        pages,
        "100% of list requests answered 304"
    );
    assert_eq!(numbers(&warm), numbers(&cold));
    assert_eq!(sb.stats()["not_modified"].as_u64(), Some(pages));

    // One issue edited: only its page (oldest first, so order is stable) costs a full answer.
    let edited = cold.issues[450].number.0 as u32;
    assert!(sb.with_state(|st| st.set_labels("acme/widgets", edited, &["codex", "bug"])));
    let third = cached_client();
    let after = IssueLister::new(&third, &repo(), &IssueQuery::all())
        .collect()
        .await
        .unwrap();
    assert_eq!(third.stats().not_modified, pages - 1, "one page changed");
    let issue = after
        .issues
        .iter()
        .find(|i| i.number.0 == u64::from(edited))
        .unwrap();
    assert_eq!(
        issue.labels,
        vec!["codex", "bug"],
        "the changed page was read fresh"
    );
}

#[tokio::test]
async fn a_truncated_cache_entry_is_dropped_and_asked_for_afresh() {
    let sb = sandbox(SandboxOptions {
        scenario: Scenario::Large,
        issues: 500,
        record: true,
        ..SandboxOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cached_client = || cached_client(&sb, dir.path());
    let list = |gh: codex_core::GitHub| async move {
        let all = IssueLister::new(&gh, &repo(), &IssueQuery::all())
            .collect()
            .await;
        (gh.stats(), all)
    };
    let (cold_stats, cold) = list(cached_client()).await;
    let cold = cold.unwrap();
    let pages = cold_stats.requests;
    assert_eq!(pages, 5);

    // Cut one cached body in half, as a crash or a full disk would.
    let mut bodies: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "body"))
        .collect();
    bodies.sort();
    assert_eq!(bodies.len() as u64, pages);
    let body = std::fs::read(&bodies[2]).unwrap();
    std::fs::write(&bodies[2], &body[..body.len() / 2]).unwrap();

    // The next run asks for that page without `If-None-Match` (a full 200), the others
    // still answer 304, and the result is whole.
    let before = sb.exchanges().len();
    let (stats, warm) = list(cached_client()).await;
    let warm = warm.expect("a bad cache entry does not fail the run");
    assert_eq!(stats.requests, pages, "no extra request");
    assert_eq!(stats.not_modified, pages - 1);
    let statuses: Vec<u16> = sb.exchanges()[before..].iter().map(|e| e.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    let numbers =
        |p: &codex_core::github::IssuePage| p.issues.iter().map(|i| i.number.0).collect::<Vec<_>>();
    assert_eq!(numbers(&warm), numbers(&cold));

    // And the entry was replaced: the run after is all 304 again.
    let (stats, again) = list(cached_client()).await;
    assert_eq!(stats.not_modified, pages, "recovered");
    assert_eq!(numbers(&again.unwrap()), numbers(&cold));
}
