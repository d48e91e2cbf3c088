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
    options_at(url::Url::parse(&sandbox.base_url()).unwrap())
}

/// Options for a client of the server at `api` (GraphQL at `/graphql`), with the tests' token.
pub(crate) fn options_at(api: url::Url) -> ClientOptions {
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
        session: codex_core::github::Session::default(),
    }
}

pub(crate) fn repo() -> codex_core::RepoSlug {
    codex_core::RepoSlug::parse("acme/widgets").unwrap()
}

/// The App of the tests' sandboxes.
pub(crate) const APP_ID: u64 = 42;

/// The App's key pair, generated once per test process as GitHub generates an App's key.
static APP_KEYS: std::sync::LazyLock<codex_sandbox::AppKeyPair> =
    std::sync::LazyLock::new(codex_sandbox::AppKeyPair::generate);

/// A sandbox's App: [`APP_ID`] with the generated key's public half.
pub(crate) fn app_options() -> codex_sandbox::AppOptions {
    codex_sandbox::AppOptions::new(APP_ID, APP_KEYS.public_pem.clone())
}

/// The App's credentials, installation looked up per repository.
pub(crate) fn app_credentials() -> codex_core::app::AppCredentials {
    codex_core::app::AppCredentials {
        app_id: codex_core::app::AppId::Id(APP_ID),
        key: codex_core::app::AppKey::from_pem(&APP_KEYS.private_pem).unwrap(),
        installation_id: None,
    }
}
