//! GitHub Enterprise Server mode: REST under `/api/v3`, GraphQL at `/api/graphql`, nothing at
//! the github.com paths, links for people on the sandbox's own host and API urls under the prefix.

use codex_sandbox::{Sandbox, SandboxOptions, Scenario};
use serde_json::json;

use crate::common::{Client, opts};

async fn ghes() -> Sandbox {
    Sandbox::start(SandboxOptions {
        ghes: true,
        ..opts(Scenario::Demo)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn rest_and_graphql_live_under_the_enterprise_prefixes() {
    let sb = ghes().await;
    let base = sb.base_url();
    assert_eq!(sb.api_url(), format!("{base}/api/v3"));
    let c = Client::new(&sb, Some("ghp_ghes"));
    for path in [
        "/repos/acme/widgets",
        "/graphql",
        "/api/v3/graphql",
        "/api/repos/acme/widgets",
        "/api/v3repos/acme/widgets",
    ] {
        let r = if path.ends_with("graphql") {
            c.post(path, &json!({"query": "query { viewer { login } }"}))
                .await
        } else {
            c.get(path).await
        };
        assert_eq!(r.status, 404, "{path}: {}", r.body);
    }

    let repo = c.get("/api/v3/repos/acme/widgets").await;
    assert_eq!(repo.status, 200, "{}", repo.body);
    assert_eq!(repo.body["html_url"], format!("{base}/acme/widgets"));
    assert_eq!(
        repo.body["url"],
        format!("{base}/api/v3/repos/acme/widgets")
    );
    assert_eq!(repo.body["owner"]["html_url"], format!("{base}/acme"));

    let issue = c.get("/api/v3/repos/acme/widgets/issues/1").await;
    assert_eq!(issue.status, 200);
    assert_eq!(
        issue.body["html_url"],
        format!("{base}/acme/widgets/issues/1")
    );
    assert_eq!(
        issue.body["url"],
        format!("{base}/api/v3/repos/acme/widgets/issues/1")
    );
    let page = c.get("/api/v3/repos/acme/widgets/issues?per_page=2").await;
    let next = page.link("next").unwrap();
    assert!(
        next.starts_with(&format!("{base}/api/v3/repositories/")),
        "{next}"
    );
    assert_eq!(c.get(&next).await.status, 200);
    // A transferred issue points at the new place under the prefix.
    let moved = c.get("/api/v3/repos/acme/widgets/issues/280").await;
    assert_eq!(moved.status, 301);
    assert!(
        moved
            .header("location")
            .unwrap()
            .starts_with(&format!("{base}/api/v3/repos/acme/gadgets/issues/"))
    );

    let gql = c
        .post(
            "/api/graphql",
            &json!({"query": "query { repository(owner: \"acme\", name: \"widgets\") { issue(number: 1) { url } } organization(login: \"acme\") { projectV2(number: 1) { url } } }"}),
        )
        .await;
    assert_eq!(gql.status, 200, "{}", gql.body);
    assert_eq!(
        gql.body["data"]["repository"]["issue"]["url"],
        format!("{base}/acme/widgets/issues/1")
    );
    assert_eq!(
        gql.body["data"]["organization"]["projectV2"]["url"],
        format!("{base}/orgs/acme/projects/1")
    );
    // The controls stay at the root.
    assert_eq!(c.get("/_sandbox/stats").await.status, 200);
}

#[tokio::test]
async fn github_com_mode_keeps_github_links() {
    let sb = Sandbox::start(opts(Scenario::Demo)).await.unwrap();
    assert_eq!(sb.api_url(), sb.base_url());
    let c = Client::new(&sb, Some("ghp_dotcom"));
    assert_eq!(c.get("/api/v3/repos/acme/widgets").await.status, 404);
    let repo = c.get("/repos/acme/widgets").await;
    assert_eq!(repo.body["html_url"], "https://github.com/acme/widgets");
}
