//! A local, stateful fake of GitHub (REST at the root, GraphQL at `/graphql`) for tests, for
//! `codex demo` and for benchmarks. Its answers follow GitHub's published OpenAPI description
//! (field names, required fields, nullability, `Link` and `x-ratelimit-*` headers), and every
//! GraphQL document is validated against GitHub's schema (the subsets in `spec/`).
//!
//! ```no_run
//! # async fn f() -> anyhow::Result<()> {
//! use codex_sandbox::{Sandbox, SandboxOptions, Scenario};
//! let sb = Sandbox::start(SandboxOptions { scenario: Scenario::Demo, ..Default::default() }).await?;
//! println!("{}", sb.base_url()); // http://127.0.0.1:PORT
//! # Ok(()) }
//! ```
//!
//! # Routes
//!
//! `GET /repos/{o}/{r}`, `GET|POST /repos/{o}/{r}/issues`, `GET /repositories/{id}/issues`,
//! `GET|PATCH /repos/{o}/{r}/issues/{n}` (301 transferred, 410 deleted),
//! `GET|POST /repos/{o}/{r}/issues/{n}/labels`, `GET|POST /repos/{o}/{r}/labels`,
//! `GET /repos/{o}/{r}/labels/{name}`, `GET|POST /repos/{o}/{r}/milestones`,
//! `GET /repos/{o}/{r}/milestones/{n}`, `GET /repos/{o}/{r}/branches/{branch}`,
//! `GET /repos/{o}/{r}/contents/{path}?ref=`, `GET|POST /repos/{o}/{r}/actions/variables`,
//! `GET /rate_limit`, `POST /graphql`, and token-free `GET /_sandbox/state`,
//! `GET /_sandbox/stats`.
//!
//! # Tokens
//!
//! `ghp_…` classic (admin, `x-oauth-scopes`), `github_pat_…` fine-grained (admin), `ghs_…` the
//! Actions `GITHUB_TOKEN` (push; org Projects invisible, variables 403, `deleteIssue` FORBIDDEN),
//! any token containing `readonly` (pull only: labels, milestone and assignees of a new issue are
//! silently dropped), anything else admin. No token: 401.
//!
//! # The demo scenario's issue numbers
//!
//! Fixed for every seed (the seed varies ages, titles and comment counts). `acme/widgets`:
//!
//! | numbers | kind |
//! |---|---|
//! | 1–12 | self-test issues `Codex self-test <stamp>`, `codex`+`codex-selftest`, milestone `Codex Internal`, ages 20 → 0 days |
//! | 13–57 | pull requests (45); 13–20 labelled `codex` + track; 13–17 in the Project |
//! | 58–97 | closed issues; 58–65 in the closed milestone `v0.9 Launch`; 58–70 in the Project |
//! | 98–177, 283–300 | fully-correct managed issues (`codex`, one track label, its milestone, in the Project); multiples of 4 and 283–300 are dashboard track |
//! | 178–197 | missing the `codex` label |
//! | 198–217 | missing a track label (even numbers mention the dashboard in the title) |
//! | 218–237 | missing a milestone |
//! | 238–257 | missing Project membership |
//! | 258–263 | carrying both track labels |
//! | 264–279 | bare issues (no codex label, track, milestone or Project) |
//! | 280 | transferred to `acme/gadgets#1` (301) |
//! | 281 | deleted (410) |
//! | 282 | milestone `Codex Legacy Track`, which no longer exists in the milestones list |
//! | 301, 302 | only with `off_spec`: no `created_at` / `labels: null`, in list responses only |
//!
//! Overlaid quirks: `user: null` on 100, 180, 266; labels as plain strings on 101, 102, 199; a
//! label object without `name` on 103; `body: null` on 104, 181, 267. Open non-PR issues from 13
//! up are active (< 14 days since update) when `n % 3 == 0`, stale (14–29) when `n % 3 == 1`,
//! escalated (≥ 30) when `n % 3 == 2`. `/_sandbox/state` lists all of these under
//! `scenario.kinds` (and their sizes under `scenario.counts`). The Project also holds one draft
//! issue.

#![recursion_limit = "256"]

use std::net::SocketAddr;
use std::sync::Arc;

pub use scenario::Scenario;
pub use state::{
    Branch, Issue, ItemContent, Label, Milestone, Project, ProjectItem, PullRequest, Quirk, Repo,
    State, StateReason, Transfer, Ts, User, UserKind, Variable, fmt_ts,
};

mod auth;
mod graphql;
mod ids;
mod prng;
mod render;
mod rest;
mod scenario;
mod server;
mod state;

use server::{Shared, lock};

/// How to start a sandbox.
#[derive(Clone, Debug)]
pub struct SandboxOptions {
    /// Which world to build.
    pub scenario: Scenario,
    /// For `Large`: the number of issues (default 10,000).
    pub issues: usize,
    /// Seed of the generated details (default 1).
    pub seed: u64,
    /// Added to every answer (async sleep), in milliseconds (default 0).
    pub latency_ms: u64,
    /// JSON lines, one per request: `{ts, method, path, query, status, ms}` (default none).
    pub log: Option<std::path::PathBuf>,
    /// Keep full exchanges in memory for conformance tests (default false).
    pub record: bool,
    /// Demo only: include items GitHub has been seen to send that break its own schema
    /// (default true; tests of conformance set false).
    pub off_spec: bool,
    /// Clock for generated ages; `None` = now.
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            scenario: Scenario::Demo,
            issues: 10_000,
            seed: 1,
            latency_ms: 0,
            log: None,
            record: false,
            off_spec: true,
            now: None,
        }
    }
}

/// One recorded request and its answer (when [`SandboxOptions::record`] is set).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Exchange {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Raw query string (may be empty).
    pub query: String,
    /// The JSON request body, if any.
    pub request_body: Option<serde_json::Value>,
    /// Status code.
    pub status: u16,
    /// Response headers (lower-case names).
    pub response_headers: Vec<(String, String)>,
    /// The JSON response body, if any (none for 304).
    pub response_body: Option<serde_json::Value>,
}

/// A running sandbox; the server stops when this is dropped.
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

fn build_shared(opts: SandboxOptions) -> anyhow::Result<Arc<Shared>> {
    let now = opts.now.unwrap_or_else(chrono::Utc::now).timestamp();
    let state = scenario::build(opts.scenario, opts.seed, opts.issues, opts.off_spec, now);
    Ok(Arc::new(Shared::new(state, opts)?))
}

fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new()
        .fallback(server::handle)
        .with_state(shared)
}

impl Sandbox {
    /// Builds the scenario and serves it on `127.0.0.1:0` on the current tokio runtime.
    pub async fn start(opts: SandboxOptions) -> anyhow::Result<Sandbox> {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0)), opts).await
    }

    /// Builds the scenario and serves it on `addr` on the current tokio runtime.
    pub async fn bind(addr: SocketAddr, opts: SandboxOptions) -> anyhow::Result<Sandbox> {
        let shared = build_shared(opts)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot bind {addr}: {e}"))?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = router(shared.clone());
        tokio::spawn(async move {
            tokio::select! {
                r = axum::serve(listener, app) => {
                    if let Err(e) = r {
                        tracing::error!(error = %e, "sandbox server stopped");
                    }
                }
                _ = rx => {}
            }
        });
        Ok(Sandbox {
            addr,
            shared,
            shutdown: Some(tx),
            thread: None,
        })
    }

    /// Like [`Sandbox::start`], on its own thread with its own runtime (for tests that run
    /// blocking binaries against it).
    pub fn start_in_thread(opts: SandboxOptions) -> anyhow::Result<Sandbox> {
        let shared = build_shared(opts)?;
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<anyhow::Result<SocketAddr>>();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = router(shared.clone());
        let thread = std::thread::Builder::new()
            .name("codex-sandbox".to_owned())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.into()));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", 0)).await {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.into()));
                            return;
                        }
                    };
                    let _ = ready_tx.send(listener.local_addr().map_err(Into::into));
                    tokio::select! {
                        r = axum::serve(listener, app) => {
                            if let Err(e) = r {
                                tracing::error!(error = %e, "sandbox server stopped");
                            }
                        }
                        _ = rx => {}
                    }
                });
            })?;
        let addr = ready_rx
            .recv()
            .map_err(|_| anyhow::anyhow!("sandbox thread exited before binding"))??;
        Ok(Sandbox {
            addr,
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The JSON of `GET /_sandbox/state`.
    pub fn state(&self) -> serde_json::Value {
        lock(&self.shared.state).to_json()
    }

    /// The JSON of `GET /_sandbox/stats`: `{requests, by_status, by_route, writes, graphql,
    /// not_modified}`.
    pub fn stats(&self) -> serde_json::Value {
        self.shared.stats_json()
    }

    /// Recorded exchanges (empty unless [`SandboxOptions::record`]).
    pub fn exchanges(&self) -> Vec<Exchange> {
        lock(&self.shared.exchanges).clone()
    }

    /// Zeroes the stats.
    pub fn reset_stats(&self) {
        self.shared.reset_stats();
    }

    /// Runs `f` on the live state (to simulate a human edit between requests).
    pub fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut lock(&self.shared.state))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
