//! Paging the issues list like GitHub: cursor `Link` headers over a large repository, the
//! page-number window, and the links' shape.

use std::collections::BTreeSet;

use codex_sandbox::{Sandbox, SandboxOptions, Scenario};

use crate::common::{Client, demo, opts};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_next_reaches_every_issue_once_in_120_pages() {
    let sb = Sandbox::start(SandboxOptions {
        issues: 12_000,
        ..opts(Scenario::Large)
    })
    .await
    .unwrap();
    let c = Client::new(&sb, Some("ghp_pager"));
    let mut url = "/repos/acme/widgets/issues?state=all&per_page=100".to_owned();
    let mut seen = BTreeSet::new();
    let mut pages = 0;
    let mut prs = 0;
    loop {
        let r = c.get(&url).await;
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        pages += 1;
        assert_eq!(r.array().len(), 100, "page {pages} is full");
        for i in r.array() {
            assert!(
                seen.insert(i["number"].as_u64().unwrap()),
                "duplicate {}",
                i["number"]
            );
            prs += u64::from(i.get("pull_request").is_some());
        }
        match r.link("next") {
            Some(next) => {
                assert!(
                    next.starts_with(&format!("{}/repositories/", sb.base_url())),
                    "{next}"
                );
                assert!(
                    next.contains("state=all") && next.contains("per_page=100"),
                    "{next}"
                );
                assert!(
                    next.contains("after=") && !next.contains("page=2"),
                    "{next}"
                );
                if pages > 1 {
                    assert!(r.link("prev").unwrap().contains("before="));
                }
                url = next;
            }
            None => break,
        }
    }
    assert_eq!(pages, 120);
    assert_eq!(seen.len(), 12_000);
    assert_eq!(seen.first(), Some(&1));
    assert_eq!(seen.last(), Some(&12_000));
    assert!(prs > 600, "pull requests are in the list: {prs}");

    let r = c
        .get("/repos/acme/widgets/issues?state=all&per_page=100&page=150")
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body["message"],
        "Pagination with the page parameter is not supported for large datasets, please use cursor based pagination (after/before)"
    );
    let r = c
        .get("/repos/acme/widgets/issues?state=all&per_page=100&page=100")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.array().len(), 100);

    let anon = Client::new(&sb, None)
        .get("/repos/acme/widgets/issues")
        .await;
    assert_eq!(anon.status, 401);
    assert_eq!(anon.body["message"], "Requires authentication");
    assert_eq!(anon.body["status"], "401");
}

#[tokio::test]
async fn page_numbers_get_last_and_first_links_and_cursors_go_back() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    let first = c
        .get("/repos/acme/widgets/issues?state=all&per_page=50")
        .await;
    assert!(first.link("prev").is_none() && first.link("first").is_none());
    let last = first
        .link("last")
        .expect("page-number requests carry rel=last");
    assert!(last.contains("page=6"), "298 items / 50 → 6 pages: {last}");
    let second = c.get(&first.link("next").unwrap()).await;
    assert!(second.link("first").is_some());
    let back = c.get(&second.link("prev").unwrap()).await;
    assert_eq!(back.body, first.body, "before= returns the previous page");

    let p2 = c
        .get("/repos/acme/widgets/issues?state=all&per_page=50&page=2")
        .await;
    assert_eq!(p2.body, second.body, "page=2 and the cursor agree");
    let lastp = c.get(&last).await;
    assert_eq!(lastp.array().len(), 298 - 250);
    assert!(lastp.link("next").is_none());
}

#[tokio::test]
async fn cursor_pagination_is_stable_under_other_sorts() {
    let sb = demo().await;
    let c = Client::new(&sb, Some("ghp_x"));
    for q in [
        "sort=updated&direction=asc",
        "sort=comments",
        "sort=created&direction=asc&labels=codex",
    ] {
        let mut url = format!("/repos/acme/widgets/issues?state=all&per_page=17&{q}");
        let mut numbers = Vec::new();
        let mut keys = Vec::new();
        loop {
            let r = c.get(&url).await;
            for i in r.array() {
                numbers.push(i["number"].as_u64().unwrap());
                keys.push((i["updated_at"].clone(), i["comments"].as_u64().unwrap()));
            }
            match r.link("next") {
                Some(n) => url = n,
                None => break,
            }
        }
        let unique: BTreeSet<_> = numbers.iter().collect();
        assert_eq!(unique.len(), numbers.len(), "{q}: no duplicates");
        let all = c
            .get(&format!(
                "/repos/acme/widgets/issues?state=all&per_page=100&{q}"
            ))
            .await;
        let expected = if q.contains("labels") {
            all.array().len()
        } else {
            298
        };
        assert!(
            numbers.len() >= expected,
            "{q}: {} < {expected}",
            numbers.len()
        );
        if q.starts_with("sort=updated") {
            assert!(
                keys.windows(2).all(|w| w[0].0.as_str() <= w[1].0.as_str()),
                "{q}: ascending"
            );
        }
        if q == "sort=comments" {
            assert!(
                keys.windows(2).all(|w| w[0].1 >= w[1].1),
                "{q}: descending comments"
            );
        }
    }
}
