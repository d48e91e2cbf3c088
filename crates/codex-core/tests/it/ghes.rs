//! GitHub Enterprise Server: the client given only the API URL (`…/api/v3`) reaches REST under
//! the prefix and GraphQL at `/api/graphql`, where the `--ghes` sandbox answers (everything
//! else is a 404 there, `/api/v3/graphql` and `/api/v3/api/graphql` included).

use codex_core::github::{ClientOptions, GitHub};
use codex_core::web::{WebBase, default_graphql_url};
use codex_sandbox::SandboxOptions;

use crate::common::{options, repo, sandbox};

#[tokio::test]
async fn rest_and_graphql_reach_a_ghes_from_the_api_url_alone() {
    let sb = sandbox(SandboxOptions {
        ghes: true,
        ..SandboxOptions::default()
    })
    .await;
    let api = url::Url::parse(&sb.api_url()).unwrap();
    let graphql = default_graphql_url(&api);
    assert_eq!(graphql.as_str(), format!("{}/api/graphql", sb.base_url()));
    let gh = GitHub::new(ClientOptions {
        api_url: api.clone(),
        graphql_url: graphql,
        ..options(&sb)
    })
    .unwrap();

    let repository = gh.repository(&repo()).await.expect("REST under /api/v3");
    let project = gh
        .find_project("acme", "Codex Dual-Track Development")
        .await
        .expect("GraphQL at /api/graphql");
    assert!(project.is_some());
    let stats = sb.stats();
    assert_eq!(stats["requests"], 2, "both routed by the sandbox: {stats}");
    assert_eq!(stats["graphql"], 1, "{stats}");

    // The server's own link for the repository is on the web host Codex derives.
    let web = WebBase::from_api_url(&api);
    let html_url = repository["html_url"].as_str().expect("html_url");
    assert_eq!(web.accept(html_url).as_deref(), Some(html_url));
    assert_eq!(web.repo(&repo()), html_url);
}
