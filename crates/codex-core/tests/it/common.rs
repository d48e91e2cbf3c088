//! Shared set-up: a sandbox on 127.0.0.1:0 and a client pointed at it.

use std::time::Duration;

use codex_core::config::Token;
use codex_core::github::{ClientOptions, GitHub};
use codex_sandbox::{Sandbox, SandboxOptions};

pub(crate) const TOKEN: &str = "ghp_integrationtesttoken000000000000000";

pub(crate) async fn sandbox(opts: SandboxOptions) -> Sandbox {
    Sandbox::start(opts).await.expect("sandbox starts")
}

pub(crate) fn client(sandbox: &Sandbox, dry_run: bool) -> GitHub {
    GitHub::new(ClientOptions {
        dry_run,
        ..options(sandbox)
    })
    .unwrap()
}

/// Options for a client of `sandbox`: no write spacing, no cache.
pub(crate) fn options(sandbox: &Sandbox) -> ClientOptions {
    let api = url::Url::parse(&sandbox.base_url()).unwrap();
    let graphql = api.join("/graphql").unwrap();
    ClientOptions {
        api_url: api,
        graphql_url: graphql,
        credentials: Some(codex_core::Credentials::Token {
            token: Token::new(TOKEN),
            source: "GH_CI_PAT",
        }),
        repo: None,
        dry_run: false,
        max_mutations: None,
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(30),
        governor: codex_core::github::governor::GovernorOptions {
            write_spacing: Duration::ZERO,
            ..Default::default()
        },
        cache_dir: None,
        stop: codex_core::Stop::default(),
        progress: codex_core::Progress::default(),
    }
}

pub(crate) fn repo() -> codex_core::RepoSlug {
    codex_core::RepoSlug::parse("acme/widgets").unwrap()
}
