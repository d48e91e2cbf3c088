//! The one place every request goes through: transport over octocrab, counters, rate-limit
//! headers, status classification, and the dry-run and budget gate for writes.
//!
//! octocrab is used as a transport only (its built-in retry is off: it would retry POSTs and
//! could duplicate issues). Answers are raw JSON; [`crate::github::model`] turns them into our
//! own types.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use serde_json::Value;
use url::Url;

use crate::app::{AppCredentials, Credentials, InstallationToken};
use crate::config::{Config, RepoSlug, Token, join};
use crate::error::{Error, GraphQlErrorKind, Result};
use crate::github::governor::{Answer, Governor, GovernorOptions, Refusal, classify};
use crate::progress::Progress;
use crate::stop::Stop;

/// `User-Agent` GitHub sees: `codex/<version>`.
pub const USER_AGENT_VALUE: &str = concat!("codex/", env!("CARGO_PKG_VERSION"));

/// How to reach GitHub.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// REST base URL.
    pub api_url: Url,
    /// GraphQL endpoint.
    pub graphql_url: Url,
    /// A token or a GitHub App (none: unauthenticated, which GitHub answers with 401 for most
    /// of our calls).
    pub credentials: Option<Credentials>,
    /// The repository in hand: a GitHub App's installation is looked up for it (unless
    /// configured), and its installation tokens are narrowed to it.
    pub repo: Option<RepoSlug>,
    /// No writes when true.
    pub dry_run: bool,
    /// Per-run write budget.
    pub max_mutations: Option<u64>,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Read timeout (per read of the answer).
    pub read_timeout: Duration,
    /// Pace, limits and retries.
    pub governor: GovernorOptions,
    /// Conditional-request cache directory (`--cache-dir`), if any.
    pub cache_dir: Option<std::path::PathBuf>,
    /// The run's stop (cancellation and deadline), which every request races.
    pub stop: Stop,
    /// Where pages read and writes sent are reported (nobody, by default).
    pub progress: Progress,
    /// What this client shares with the run's other clients (a new one, by default).
    pub session: Session,
}

/// What the clients of one run share (`codex pipeline` builds one client per component, and
/// one set per repository when it runs over several): the server's clock as its `Date` headers
/// tell it, the rate-limit governor (one pace, one view of GitHub's limits), the write budget
/// (`CODEX_MAX_MUTATIONS` counts every write of the run, whatever the repository), and a
/// GitHub App's installation and token, so the components of one repository ask for one token,
/// not one each. Cloning shares all of it; [`Session::for_repository`] shares all but the App's
/// token, which is narrowed to one repository.
#[derive(Clone, Default)]
pub struct Session {
    run: Arc<RunState>,
    app: Arc<tokio::sync::Mutex<AppState>>,
}

#[derive(Default)]
struct RunState {
    /// The server's clock less ours, in milliseconds (see [`GitHub::server_now`]).
    server_offset_ms: std::sync::atomic::AtomicI64,
    /// Set once an answer's `Date` told the run the server's clock.
    clock_known: std::sync::atomic::AtomicBool,
    /// The run's governor, made by its first client from that client's options.
    governor: std::sync::OnceLock<Arc<Governor>>,
    /// Writes admitted so far, by every client of the run (against `max_mutations`).
    mutations: std::sync::atomic::AtomicU64,
    /// Set once a client found the write budget spent.
    budget_spent: std::sync::atomic::AtomicBool,
    /// Set once a request was refused because GitHub's rate limit resets later than
    /// `CODEX_MAX_WAIT_SECS` from now: every request of the run would be until then.
    rate_limited: std::sync::atomic::AtomicBool,
    /// Each Project's members (content node ids) as read once this run, plus what the run
    /// added since: a run over several repositories of one organisation Project reads it
    /// once, not once per repository (which would be quadratic in the organisation's size).
    projects: Mutex<std::collections::HashMap<String, KnownProject>>,
    /// The issue snapshots written this run (see [`crate::snapshot`]), each with the run's
    /// write count when it was: while that has not moved, the snapshot is still current.
    snapshots: Mutex<std::collections::HashMap<std::path::PathBuf, u64>>,
}

/// A Project as read once this run: its members (content node ids, plus what the run added
/// since) and its items as the integrity scanner looks at them.
#[derive(Debug, Clone, Default)]
pub(crate) struct KnownProject {
    pub(crate) members: super::graphql::ContentIds,
    pub(crate) items: super::graphql::ProjectItems,
}

impl Session {
    /// A session for the next repository of the run: the same clock, governor and budget, and
    /// its own App installation token (narrowed to that repository).
    pub fn for_repository(&self) -> Session {
        Session {
            run: Arc::clone(&self.run),
            app: Arc::default(),
        }
    }

    /// Writes sent so far by the whole run.
    pub fn mutations(&self) -> u64 {
        self.run
            .mutations
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Note that the snapshot at `path` was listed (and written) now.
    pub fn snapshot_listed(&self, path: &std::path::Path) {
        let writes = self.mutations();
        lock_or_recover(&self.run.snapshots).insert(path.to_owned(), writes);
    }

    /// True when the snapshot at `path` was listed earlier this run and the run has made no
    /// write since: it is as current as a new listing would make it, bar other people's edits
    /// of the last seconds (which the next run's delta lists).
    pub fn snapshot_fresh(&self, path: &std::path::Path) -> bool {
        lock_or_recover(&self.run.snapshots).get(path) == Some(&self.mutations())
    }

    /// A Project as this run knows it (see [`GitHub::project_content_ids`]), seen through `f`.
    pub(crate) fn known_project<T>(
        &self,
        project_id: &str,
        f: impl FnOnce(&KnownProject) -> T,
    ) -> Option<T> {
        lock_or_recover(&self.run.projects).get(project_id).map(f)
    }

    /// Remember a Project as read.
    pub(crate) fn remember_project(&self, project_id: &str, known: KnownProject) {
        lock_or_recover(&self.run.projects).insert(project_id.to_owned(), known);
    }

    /// Note content added to a Project (when it was read this run).
    pub(crate) fn project_added(&self, project_id: &str, content_id: &str) {
        if let Some(known) = lock_or_recover(&self.run.projects).get_mut(project_id)
            && known.members.insert(content_id)
        {
            known.items.total += 1;
        }
    }

    /// True once a request was refused because GitHub's rate limit resets beyond the longest
    /// wait (`CODEX_MAX_WAIT_SECS`).
    pub fn rate_limited(&self) -> bool {
        self.run
            .rate_limited
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// True once a write was refused because the run's budget was spent.
    pub fn budget_spent(&self) -> bool {
        self.run
            .budget_spent
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

fn lock_or_recover<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Session(..)")
    }
}

impl ClientOptions {
    /// Options from a resolved configuration. The stop has no deadline:
    /// [`crate::jobs::Context::new`] gives the client the run's own.
    pub fn from_config(cfg: &Config) -> Self {
        ClientOptions {
            api_url: cfg.api_url.clone(),
            graphql_url: cfg.graphql_url.clone(),
            credentials: cfg.credentials.clone(),
            // A run over several repositories lists them with a client narrowed to none.
            repo: (cfg.selection.is_none() || cfg.layout == crate::pages::Layout::PerRepository)
                .then(|| cfg.repo.clone()),
            dry_run: cfg.dry_run,
            max_mutations: cfg.settings.max_mutations,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(cfg.settings.http_timeout_secs),
            governor: governor_options(cfg),
            cache_dir: cfg.cache_dir.clone(),
            stop: Stop::default(),
            progress: Progress::default(),
            session: Session::default(),
        }
    }
}

/// The governor's options for a configuration: against a remote API, writes spaced 1 s apart
/// and counted against GitHub's content-creation limits; against a loopback sandbox, neither
/// (its own `--secondary-limit` plays GitHub's part). `CODEX_WRITE_SPACING_MS` overrides the
/// spacing.
pub fn governor_options(cfg: &Config) -> GovernorOptions {
    let s = &cfg.settings;
    let loopback = match cfg.api_url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    let spacing_ms = s
        .write_spacing_ms
        .unwrap_or(if loopback { 0 } else { 1000 });
    let defaults = GovernorOptions::default();
    GovernorOptions {
        read_concurrency: s.read_concurrency as usize,
        write_spacing: Duration::from_millis(spacing_ms),
        writes_per_minute: if loopback {
            usize::MAX
        } else {
            defaults.writes_per_minute
        },
        writes_per_hour: if loopback {
            usize::MAX
        } else {
            defaults.writes_per_hour
        },
        max_wait: Duration::from_secs(s.max_wait_secs),
        max_retries: s.max_retries,
        backoff_base: Duration::from_millis(s.retry_base_ms),
        ..defaults
    }
}

/// May a request be sent again after a transport error, a timeout or a 5xx?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Yes: a read, or a write whose repetition changes nothing (adding labels, setting a
    /// milestone, closing, adding a Project item).
    Safe,
    /// No: the first attempt may have been applied (creating an issue). Rate-limit answers
    /// are still retried: GitHub applied nothing.
    Never,
}

/// How an answer's body reports failure: REST by its status only; GraphQL also by an
/// `errors` array inside a 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Rest,
    GraphQl,
}

/// What to do after one attempt: return its outcome, or try again after a wait (keeping the
/// outcome for when the retries run out).
enum Step {
    Done(Result<Response>),
    Again(Duration, Result<Response>),
}

/// What a run spent, for telemetry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiStats {
    /// Requests sent (answered or not).
    pub requests: u64,
    /// Writes sent (REST non-GET and GraphQL mutations).
    pub mutations: u64,
    /// Writes that dry-run stopped.
    pub writes_skipped: u64,
    /// Answers that were `304 Not Modified`.
    pub not_modified: u64,
    /// Requests sent again (after a limit, a 5xx, a timeout or a transport error).
    pub retries: u64,
    /// Rate-limit answers received (primary and secondary).
    pub rate_limited: u64,
    /// Last `x-ratelimit-remaining` seen.
    pub rate_limit_remaining: Option<u64>,
    /// Last `x-ratelimit-reset` seen (epoch seconds).
    pub rate_limit_reset: Option<i64>,
    /// Last `x-oauth-scopes` seen (classic tokens only).
    pub oauth_scopes: Option<String>,
    /// GitHub App: requests sent with a JWT (installation look-ups and token exchanges).
    pub app_jwt_requests: u64,
    /// GitHub App: installation tokens obtained (the first one, and each refresh).
    pub installation_tokens: u64,
}

/// A raw answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
    /// The URL asked for (never carries the token).
    pub url: String,
}

impl Response {
    /// The body as JSON.
    pub fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            url: self.url.clone(),
            message: e.to_string(),
        })
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The outcome of a write: done (with GitHub's answer), or stopped by dry-run.
#[derive(Debug, Clone, PartialEq)]
pub enum Written<T> {
    /// GitHub applied it.
    Done(T),
    /// Dry-run: nothing was sent.
    DryRun,
}

/// A GitHub client. Cheap to clone; clones share counters.
///
/// Reads go through [`GitHub::get`] (and the typed calls built on it); writes only through
/// [`GitHub::write`] and [`GitHub::graphql_mutation`], the dry-run and budget gate:
///
/// ```no_run
/// # async fn read(gh: &codex_core::GitHub, url: &url::Url) -> codex_core::Result<()> {
/// gh.get(url).await?;
/// # Ok(()) }
/// ```
///
/// The raw sender behind them is private, so no caller can send a write around the gate:
///
/// ```compile_fail
/// # async fn write(gh: &codex_core::GitHub, url: &url::Url) -> codex_core::Result<()> {
/// gh.send(http::Method::POST, url, None, &[], codex_core::github::Retry::Safe).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct GitHub {
    inner: Arc<Inner>,
}

struct Inner {
    octo: Octocrab,
    auth: Auth,
    api_url: Url,
    graphql_url: Url,
    dry_run: bool,
    max_mutations: Option<u64>,
    read_timeout: Duration,
    governor: Arc<Governor>,
    cache: Option<crate::github::cache::EtagCache>,
    stop: Stop,
    progress: Progress,
    stats: Mutex<ApiStats>,
    session: Session,
}

impl std::fmt::Debug for GitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHub")
            .field("api_url", &self.inner.api_url.as_str())
            .field("dry_run", &self.inner.dry_run)
            .finish_non_exhaustive()
    }
}

impl GitHub {
    /// Build a client. No request is sent.
    pub fn new(opts: ClientOptions) -> Result<Self> {
        let base = opts.api_url.as_str().trim_end_matches('/').to_owned();
        let build_err = |e: String| Error::Transport {
            url: base.clone(),
            message: format!("client setup: {e}"),
        };
        // Every request carries an absolute URL, yet octocrab's base-URI layer puts the base's
        // path in front of any request path that does not start with it: with a GitHub
        // Enterprise base (`https://HOST/api/v3`), GraphQL at `https://HOST/api/graphql` would
        // go to `/api/v3/api/graphql`. So octocrab's base is the origin alone.
        let mut origin = opts.api_url.clone();
        origin.set_path("");
        let builder = Octocrab::builder()
            .base_uri(origin.as_str().trim_end_matches('/'))
            .map_err(|e| build_err(e.to_string()))?
            .add_header(ACCEPT, "application/vnd.github+json".to_owned())
            .set_connect_timeout(Some(opts.connect_timeout))
            .set_read_timeout(Some(opts.read_timeout));
        let octo = builder.build().map_err(|e| build_err(e.to_string()))?;
        let auth = match opts.credentials {
            None => Auth::None,
            Some(Credentials::Token { token, .. }) => Auth::Token(token),
            Some(Credentials::App(creds)) => Auth::App(Box::new(AppAuth {
                creds,
                repo: opts.repo,
            })),
        };
        Ok(GitHub {
            inner: Arc::new(Inner {
                octo,
                auth,
                api_url: opts.api_url,
                graphql_url: opts.graphql_url,
                dry_run: opts.dry_run,
                max_mutations: opts.max_mutations,
                read_timeout: opts.read_timeout,
                governor: Arc::clone(
                    opts.session
                        .run
                        .governor
                        .get_or_init(|| Arc::new(Governor::new(opts.governor))),
                ),
                cache: opts.cache_dir.map(crate::github::cache::EtagCache::new),
                stop: opts.stop,
                progress: opts.progress,
                stats: Mutex::new(ApiStats::default()),
                session: opts.session,
            }),
        })
    }

    /// The time on the server's clock, as its last `Date` header told it (our clock until an
    /// answer came). Installation tokens expire, JWTs are dated and rate limits reset on
    /// GitHub's clock; a runner whose clock is off would otherwise send expired tokens or
    /// JWTs GitHub calls "issued in the future", or wait for resets that already happened.
    pub fn server_now(&self) -> chrono::DateTime<chrono::Utc> {
        let offset = self
            .inner
            .session
            .run
            .server_offset_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        chrono::Utc::now() + chrono::Duration::milliseconds(offset)
    }

    /// Learns the server's clock from an answer's `Date` header (ignored when missing,
    /// malformed or more than [`MAX_CLOCK_OFFSET`] away from ours: a server cannot move
    /// the client's idea of time by days).
    fn observe_date(&self, response: &Response) {
        if let Some(offset) = response
            .header("date")
            .and_then(|date| clock_offset(date, chrono::Utc::now()))
        {
            self.inner
                .session
                .run
                .server_offset_ms
                .store(offset, std::sync::atomic::Ordering::Relaxed);
            self.inner
                .session
                .run
                .clock_known
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// The server's time now, as [`GitHub::server_now`], but asked of the server first
    /// (`GET /rate_limit`, which no rate limit counts) when no answer of the run has told it
    /// yet: what an issue snapshot is dated by, so that a runner whose clock is off never
    /// dates one in the server's past or future.
    pub async fn server_clock(&self) -> chrono::DateTime<chrono::Utc> {
        let known = self
            .inner
            .session
            .run
            .clock_known
            .load(std::sync::atomic::Ordering::Relaxed);
        if !known && let Err(e) = self.get_json("rate_limit").await {
            tracing::debug!(error = %e, "the server's clock could not be read; using ours");
        }
        self.server_now()
    }

    /// True when writes are stopped.
    pub fn dry_run(&self) -> bool {
        self.inner.dry_run
    }

    /// The REST base URL.
    pub fn api_url(&self) -> &Url {
        &self.inner.api_url
    }

    /// A REST URL for `path` (e.g. `repos/acme/widgets/issues`).
    pub fn url(&self, path: &str) -> Url {
        join(&self.inner.api_url, path)
    }

    /// The run's stop this client's requests race.
    pub fn stop(&self) -> &Stop {
        &self.inner.stop
    }

    /// What this client has spent so far.
    pub fn stats(&self) -> ApiStats {
        self.lock_stats().clone()
    }

    fn lock_stats(&self) -> std::sync::MutexGuard<'_, ApiStats> {
        // A poisoned lock only means another task panicked mid-update of plain counters.
        self.inner
            .stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Check that a URL is on the API's origin, so pagination never wanders off it.
    pub fn check_same_origin(&self, url: &Url) -> Result<()> {
        let api = &self.inner.api_url;
        if url.scheme() == api.scheme()
            && url.host() == api.host()
            && url.port_or_known_default() == api.port_or_known_default()
        {
            Ok(())
        } else {
            Err(Error::ForeignLink {
                url: url.to_string(),
            })
        }
    }

    /// Send a REST request through the governor. A GET or HEAD is a read; anything else a
    /// write. Private: reads go through [`GitHub::get`], writes through [`GitHub::write`]
    /// (the dry-run and budget gate).
    async fn send(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
        headers: &[(HeaderName, HeaderValue)],
        retry: Retry,
    ) -> Result<Response> {
        let write = method != Method::GET && method != Method::HEAD;
        self.governed(
            method,
            url,
            body,
            headers,
            u32::from(write),
            retry,
            Protocol::Rest,
            Bearer::Default,
        )
        .await
    }

    /// The governed loop, the one retry policy: wait for a slot and for any limit to lift,
    /// send, and on a limit, a 5xx, a timeout, a transport error or (GraphQL) a `RATE_LIMITED`
    /// or timeout error inside a 200, try again where `retry` allows: at most
    /// `max_retries + 1` attempts in all. Returns the last attempt's raw answer, whatever its
    /// status; [`Error::RateLimited`] when a limit outlasts the maximum wait.
    ///
    /// Each attempt is authenticated afresh ([`GitHub::authorization`]): a GitHub App's
    /// installation token about to expire is replaced before the request, and after a 401
    /// the token is replaced once and the request sent again (GitHub applied nothing).
    /// The App's own exchanges ([`Bearer::AppJwt`]) take no concurrency permit: the request
    /// they authenticate already holds one. `writes` is how many writes the request carries
    /// (0: a read; a GraphQL document of several mutations, several), each counted by the
    /// governor.
    #[allow(clippy::too_many_arguments)]
    async fn governed(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
        headers: &[(HeaderName, HeaderValue)],
        writes: u32,
        retry: Retry,
        protocol: Protocol,
        bearer: Bearer,
    ) -> Result<Response> {
        let governor = &self.inner.governor;
        let stop = &self.inner.stop;
        let write = writes > 0;
        // Once the run is stopped nothing new goes out, and no wait outlasts the stop.
        let refused = |reason| {
            tracing::info!(%method, url = %url, %reason, "run stopped: request not sent");
            Error::Stopped {
                reason,
                write_abandoned: false,
            }
        };
        stop.check().map_err(refused)?;
        let _permit = if bearer == Bearer::AppJwt {
            None
        } else {
            tokio::select! {
                biased;
                reason = stop.stopped() => return Err(refused(reason)),
                permit = governor.permit(write) => Some(permit),
            }
        };
        let mut attempt = 0u32;
        // The installation token a 401 answered, replaced before the next attempt (once).
        let mut refused_token: Option<Token> = None;
        let mut reauthenticated = false;
        loop {
            tokio::select! {
                biased;
                reason = stop.stopped() => return Err(refused(reason)),
                ready = governor.ready_writes(writes) => ready.map_err(|Refusal::TooLong(wait)| {
                    self.inner
                        .session
                        .run
                        .rate_limited
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    Error::RateLimited {
                        url: url.to_string(),
                        wait: Some(wait),
                    }
                })?,
            }
            let (authorization, used_token) =
                self.authorization(bearer, refused_token.take()).await?;
            // A request in flight when the run stops gets the grace to finish, then is
            // abandoned: a hang cannot outlive the deadline, nor a cancellation, by more.
            let outcome = tokio::select! {
                outcome = self.send_once(method.clone(), url, body, headers, authorization) => outcome,
                reason = stop.stopped_then_grace() => {
                    tracing::warn!(%method, url = %url, %reason, "run stopped: request in flight abandoned");
                    return Err(Error::Stopped {
                        reason,
                        write_abandoned: write,
                    });
                }
            };
            if let Ok(response) = &outcome {
                self.observe_date(response);
            }
            // A refused installation token is replaced once; a refused JWT is signed again
            // once, on the server's clock its answer just told (a runner whose clock is off
            // dates its first JWT wrongly).
            if let Ok(response) = &outcome
                && response.status == StatusCode::UNAUTHORIZED
                && !reauthenticated
                && (used_token.is_some() || bearer == Bearer::AppJwt)
            {
                if bearer == Bearer::AppJwt {
                    tracing::info!(%method, url = %url, "App JWT refused (401): signing it again on the server's clock, once");
                } else {
                    tracing::info!(%method, url = %url, "installation token refused (401): replacing it once");
                }
                reauthenticated = true;
                refused_token = used_token;
                continue;
            }
            match self.judge(outcome, retry, attempt, protocol) {
                Step::Done(last) => return last,
                Step::Again(wait, last) => {
                    if attempt >= governor.options().max_retries {
                        return last;
                    }
                    attempt += 1;
                    self.lock_stats().retries += 1;
                    if !wait.is_zero() {
                        tracing::info!(%method, url = %url, attempt, wait_ms = wait.as_millis() as u64, "retrying");
                        tokio::select! {
                            biased;
                            reason = stop.stopped() => return Err(refused(reason)),
                            () = tokio::time::sleep(wait) => {}
                        }
                    }
                }
            }
        }
    }

    /// Decide what one attempt's outcome means for the request.
    fn judge(
        &self,
        outcome: Result<Response>,
        retry: Retry,
        attempt: u32,
        protocol: Protocol,
    ) -> Step {
        let governor = &self.inner.governor;
        let response = match outcome {
            Err(e) if e.is_answer_lost() && retry == Retry::Safe => {
                tracing::warn!(error = %e, "transport failure");
                return Step::Again(governor.retry_wait(attempt), Err(e));
            }
            Err(e) => return Step::Done(Err(e)),
            Ok(r) => r,
        };
        let remaining = response.header("x-ratelimit-remaining").map(str::to_owned);
        let now = self.server_now();
        let reset_in = reset_in(&response, now);
        match answer_of(&response, now) {
            Answer::Final => {
                if response.status.is_success() && remaining.as_deref() == Some("0") {
                    // The budget is spent: nothing more goes out until the reset.
                    let wait = reset_in.unwrap_or_default() + Duration::from_secs(1);
                    tracing::warn!(
                        wait_s = wait.as_secs(),
                        "rate limit spent: holding requests until the reset"
                    );
                    governor.hold_for(wait);
                }
                if protocol == Protocol::GraphQl
                    && retry == Retry::Safe
                    && response.status.is_success()
                    && let Some(e) = transient_graphql_error(&response)
                {
                    if e.is_rate_limit() {
                        self.lock_stats().rate_limited += 1;
                    }
                    let wait = governor.retry_wait(attempt);
                    tracing::warn!(
                        error = %e,
                        wait_ms = wait.as_millis() as u64,
                        "GraphQL error in a 200 answer, asking again"
                    );
                    return Step::Again(wait, Ok(response));
                }
                Step::Done(Ok(response))
            }
            Answer::PrimaryLimit { wait } => {
                self.lock_stats().rate_limited += 1;
                let wait = wait + Duration::from_secs(1);
                tracing::warn!(wait_s = wait.as_secs(), url = %response.url, "primary rate limit");
                governor.hold_for(wait);
                // GitHub applied nothing: any request may go again after the reset.
                Step::Again(Duration::ZERO, Ok(response))
            }
            Answer::SecondaryLimit { retry_after } => {
                self.lock_stats().rate_limited += 1;
                let wait = match retry_after {
                    Some(wait) => wait,
                    None => governor.options().secondary_wait + governor.retry_wait(attempt),
                };
                tracing::warn!(wait_s = wait.as_secs(), url = %response.url, "secondary rate limit");
                governor.hold_for(wait);
                Step::Again(Duration::ZERO, Ok(response))
            }
            Answer::ServerError if retry == Retry::Safe => {
                tracing::warn!(status = response.status.as_u16(), url = %response.url, "server error");
                Step::Again(governor.retry_wait(attempt), Ok(response))
            }
            Answer::ServerError => Step::Done(Ok(response)),
        }
    }

    /// Send one request and return the raw answer, whatever its status. Transport failures
    /// and timeouts are [`Error::Transport`].
    async fn send_once(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
        headers: &[(HeaderName, HeaderValue)],
        authorization: Option<HeaderValue>,
    ) -> Result<Response> {
        let url_text = url.to_string();
        let mut builder = http::Request::builder()
            .method(method.clone())
            .uri(url.as_str())
            .header(USER_AGENT, USER_AGENT_VALUE);
        if let Some(value) = authorization {
            builder = builder.header(http::header::AUTHORIZATION, value);
        }
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let request =
            self.inner
                .octo
                .build_request(builder, body)
                .map_err(|e| Error::Transport {
                    url: url_text.clone(),
                    message: e.to_string(),
                })?;
        self.lock_stats().requests += 1;
        let started = Instant::now();
        let overall = self.inner.read_timeout * 2;
        let failed = |message: String| Error::Transport {
            url: url_text.clone(),
            message,
        };
        let answer = tokio::time::timeout(overall, async {
            let response = self
                .inner
                .octo
                .execute(request)
                .await
                .map_err(|e| failed(e.to_string()))?;
            let (parts, body) = response.into_parts();
            let bytes = body
                .collect()
                .await
                .map_err(|e| failed(e.to_string()))?
                .to_bytes();
            Ok::<_, Error>((parts, bytes))
        })
        .await;
        let (parts, bytes) = match answer {
            Ok(Ok(ok)) => ok,
            Ok(Err(e)) => {
                tracing::warn!(%method, error = %e, "request failed");
                return Err(e);
            }
            Err(_) => {
                tracing::warn!(%method, url = %url_text, "request timed out");
                return Err(Error::TimedOut {
                    url: url_text,
                    after: overall,
                });
            }
        };
        let response = Response {
            status: parts.status,
            headers: parts.headers,
            body: bytes,
            url: url_text,
        };
        self.observe(&response);
        tracing::debug!(
            %method,
            url = %response.url,
            status = response.status.as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "github"
        );
        Ok(response)
    }

    fn observe(&self, response: &Response) {
        let mut stats = self.lock_stats();
        if response.status == StatusCode::NOT_MODIFIED {
            stats.not_modified += 1;
        }
        if let Some(remaining) = response
            .header("x-ratelimit-remaining")
            .and_then(|v| v.parse().ok())
        {
            stats.rate_limit_remaining = Some(remaining);
        }
        if let Some(reset) = response
            .header("x-ratelimit-reset")
            .and_then(|v| v.parse().ok())
        {
            stats.rate_limit_reset = Some(reset);
        }
        if let Some(scopes) = response.header("x-oauth-scopes") {
            stats.oauth_scopes = Some(scopes.to_owned());
        }
    }

    /// GET that must succeed (2xx); other statuses become the matching [`Error`].
    /// With a cache directory, the request is conditional and a 304 is answered from disk.
    pub async fn get(&self, url: &Url) -> Result<Response> {
        let cache = self.inner.cache.as_ref();
        let cached = cache.and_then(|c| c.get(url.as_str()));
        let mut headers = Vec::new();
        if let Some(value) = cached
            .as_ref()
            .and_then(|e| HeaderValue::from_str(&e.etag).ok())
        {
            headers.push((http::header::IF_NONE_MATCH, value));
        }
        let mut response = self
            .send(Method::GET, url, None, &headers, Retry::Safe)
            .await?;
        if response.status == StatusCode::NOT_MODIFIED
            && let Some(entry) = cached
        {
            response.status = StatusCode::OK;
            response.body = entry.body;
            if response.headers.get(http::header::LINK).is_none()
                && let Some(link) = entry
                    .link
                    .as_deref()
                    .and_then(|l| HeaderValue::from_str(l).ok())
            {
                response.headers.insert(http::header::LINK, link);
            }
            return Ok(response);
        }
        let response = check_status(response)?;
        if let (Some(cache), Some(etag)) = (cache, response.header("etag"))
            && response.status == StatusCode::OK
            && worth_caching(url, &response.body)
        {
            cache.put(url.as_str(), etag, response.header("link"), &response.body);
        }
        Ok(response)
    }

    /// GET one page of a paginated endpoint: its JSON and the `Link` rel="next" URL, which
    /// must stay on the API's origin. Every page loop goes through here, with one `guard` per
    /// listing: a page already read or one past the cap is an error, and nothing is sent.
    /// Each page read is reported to the run's [`Progress`], with the listing's total when
    /// known.
    pub async fn get_page(
        &self,
        url: &Url,
        guard: &mut crate::github::pagination::PageGuard,
    ) -> Result<(Value, Option<Url>)> {
        self.check_same_origin(url)?;
        guard.enter(url)?;
        let response = self.get(url).await?;
        guard.observe(response.header("link"));
        let next = match response
            .header("link")
            .and_then(crate::github::pagination::next_link)
        {
            Some(link) => Some(Url::parse(&link).map_err(|e| Error::Decode {
                url: response.url.clone(),
                message: format!("bad Link URL {link:?}: {e}"),
            })?),
            None => None,
        };
        let total = if next.is_none() {
            Some(guard.pages())
        } else {
            guard.last()
        };
        self.inner
            .progress
            .page_read(guard.id(), guard.pages(), total);
        Ok((response.json()?, next))
    }

    /// GET a REST path and parse the JSON answer.
    pub async fn get_json(&self, path: &str) -> Result<Value> {
        self.get(&self.url(path)).await?.json()
    }

    /// Send a write (REST POST/PATCH/PUT/DELETE) unless dry-run is on, within the budget.
    /// This is the only way Codex changes anything on GitHub over REST. `retry` says whether
    /// the write may be repeated after a lost answer.
    pub async fn write(
        &self,
        method: Method,
        path: &str,
        body: &Value,
        retry: Retry,
    ) -> Result<Written<Value>> {
        let url = self.url(path);
        if !self.admit_write(&method, url.as_str())? {
            return Ok(Written::DryRun);
        }
        let response = check_status(self.send(method, &url, Some(body), &[], retry).await?)?;
        if response.body.is_empty() {
            Ok(Written::Done(Value::Null))
        } else {
            response.json().map(Written::Done)
        }
    }

    /// The dry-run and budget gate: `Ok(false)` means "stop here, dry-run".
    fn admit_write(&self, what: &Method, target: &str) -> Result<bool> {
        Ok(self.admit_writes(what, target, 1)? > 0)
    }

    /// The dry-run and budget gate for a request of `n` writes: how many of them may go. 0
    /// means "stop here, dry-run"; fewer than `n` when the budget has room for fewer (the rest
    /// are refused, and the budget is spent); [`Error::BudgetExhausted`] when it has room for
    /// none. Each admitted write counts once against the budget, in the stats and the progress.
    fn admit_writes(&self, what: &Method, target: &str, n: u64) -> Result<u64> {
        let mut stats = self.lock_stats();
        if self.inner.dry_run {
            stats.writes_skipped += n;
            tracing::info!(method = %what, url = %target, writes = n, "dry-run: write not sent");
            return Ok(0);
        }
        self.inner.stop.check().map_err(|reason| Error::Stopped {
            reason,
            write_abandoned: false,
        })?;
        let run = &self.inner.session.run;
        let admitted = if let Some(budget) = self.inner.max_mutations {
            let before = run.mutations.fetch_update(
                std::sync::atomic::Ordering::Relaxed,
                std::sync::atomic::Ordering::Relaxed,
                |sent| (sent < budget).then(|| sent + n.min(budget - sent)),
            );
            match before {
                Ok(sent) => {
                    let admitted = n.min(budget - sent);
                    if admitted < n {
                        run.budget_spent
                            .store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    admitted
                }
                Err(_) => {
                    run.budget_spent
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    return Err(Error::BudgetExhausted { budget });
                }
            }
        } else {
            run.mutations
                .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            n
        };
        stats.mutations += admitted;
        drop(stats);
        for _ in 0..admitted {
            self.inner.progress.wrote();
        }
        Ok(admitted)
    }

    /// Run a GraphQL query (never a mutation: use [`GitHub::graphql_mutation`]).
    pub async fn graphql(&self, query: &str, variables: Value) -> Result<Value> {
        self.graphql_send(query, variables, false, Retry::Safe)
            .await
    }

    /// Run a GraphQL mutation through the dry-run and budget gate.
    pub async fn graphql_mutation(
        &self,
        query: &str,
        variables: Value,
        retry: Retry,
    ) -> Result<Written<Value>> {
        let target = self.inner.graphql_url.to_string();
        if !self.admit_write(&Method::POST, &target)? {
            return Ok(Written::DryRun);
        }
        self.graphql_send(query, variables, true, retry)
            .await
            .map(Written::Done)
    }

    /// Run one GraphQL document of up to `n` mutations through the dry-run and budget gate,
    /// each counted as one write (against `CODEX_MAX_MUTATIONS`, in the spacing and against
    /// the content-creation limits): GitHub counts every mutation of a document as content
    /// created. `build(k)` makes the document and its variables for the first `k` mutations,
    /// `k` being how many the budget admits (fewer than `n` once it runs short; the budget is
    /// then spent). Returns `k` and the whole answer: its `data` and any `errors`, which name
    /// the fields that failed by their `path` (GitHub runs the other fields). An answer with
    /// no `data` at all is an error.
    pub(crate) async fn graphql_mutations(
        &self,
        n: usize,
        build: impl FnOnce(usize) -> (String, Value),
        retry: Retry,
    ) -> Result<Written<(usize, Value)>> {
        let target = self.inner.graphql_url.to_string();
        let admitted = self.admit_writes(&Method::POST, &target, n as u64)?;
        if admitted == 0 {
            return Ok(Written::DryRun);
        }
        // `admitted` is at most `n`, a usize.
        let k = usize::try_from(admitted).unwrap_or(n);
        let (query, variables) = build(k);
        let writes = u32::try_from(k).unwrap_or(u32::MAX);
        let answer = self
            .graphql_answer(&query, variables, writes, retry)
            .await?;
        if answer.get("data").is_none_or(Value::is_null)
            && let Some(e) = graphql_error(&answer)
        {
            return Err(e);
        }
        Ok(Written::Done((k, answer)))
    }

    /// POST a GraphQL document: a query is governed as a read, a mutation as a write. Errors
    /// inside a 200 answer are errors; a `RATE_LIMITED` one or a timeout is asked again
    /// (after a backoff, and after the reset when the headers say the budget is spent) where
    /// `retry` allows, within the same bounded retries as every other request.
    async fn graphql_send(
        &self,
        query: &str,
        variables: Value,
        mutation: bool,
        retry: Retry,
    ) -> Result<Value> {
        graphql_data(
            self.graphql_answer(query, variables, u32::from(mutation), retry)
                .await?,
        )
    }

    /// POST a GraphQL document carrying `writes` mutations (0: a query) and return its whole
    /// answer (a non-2xx status is an error; `errors` inside a 200 are left to the caller).
    async fn graphql_answer(
        &self,
        query: &str,
        variables: Value,
        writes: u32,
        retry: Retry,
    ) -> Result<Value> {
        let body = serde_json::json!({ "query": query, "variables": variables });
        let url = self.inner.graphql_url.clone();
        let response = self
            .governed(
                Method::POST,
                &url,
                Some(&body),
                &[],
                writes,
                retry,
                Protocol::GraphQl,
                Bearer::Default,
            )
            .await?;
        check_status(response)?.json()
    }
}

/// How a client authenticates its requests (from [`Credentials`]).
enum Auth {
    None,
    Token(Token),
    App(Box<AppAuth>),
}

/// A GitHub App's credentials and the repository its tokens are narrowed to.
struct AppAuth {
    creds: AppCredentials,
    repo: Option<RepoSlug>,
}

#[derive(Default)]
struct AppState {
    installation_id: Option<u64>,
    token: Option<InstallationToken>,
    /// Why GitHub will not give this App a token (a refused JWT, no installation, a
    /// repository outside it): asking again before every request would only repeat it.
    failed: Option<String>,
}

/// Which credential a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bearer {
    /// The token, or a GitHub App's installation token.
    Default,
    /// A GitHub App's JWT: only for the App's own exchanges.
    AppJwt,
}

/// An `Authorization` header value, marked sensitive (never shown by `http`'s `Debug`).
fn bearer_header(secret: &str) -> Result<HeaderValue> {
    let mut value =
        HeaderValue::from_str(&format!("Bearer {secret}")).map_err(|_| Error::AppAuth {
            message: "a credential is not a valid header value".to_owned(),
        })?;
    value.set_sensitive(true);
    Ok(value)
}

impl GitHub {
    /// The `Authorization` header for one attempt, and the installation token it carries
    /// (for the 401 rule). A token as given; for a GitHub App, a fresh JWT on its own
    /// exchanges, else the installation token, obtained or replaced first when there is
    /// none, when it expires within [`crate::app::REFRESH_MARGIN`], or when it is `refused`.
    async fn authorization(
        &self,
        bearer: Bearer,
        refused: Option<Token>,
    ) -> Result<(Option<HeaderValue>, Option<Token>)> {
        let app = match &self.inner.auth {
            Auth::None => return Ok((None, None)),
            Auth::Token(token) => return Ok((Some(bearer_header(token.expose())?), None)),
            Auth::App(app) => app,
        };
        if bearer == Bearer::AppJwt {
            let jwt = app
                .creds
                .jwt(self.server_now())
                .map_err(|message| Error::AppAuth { message })?;
            self.lock_stats().app_jwt_requests += 1;
            return Ok((Some(bearer_header(jwt.expose())?), None));
        }
        let token = self.installation_token(app, refused).await?;
        Ok((Some(bearer_header(token.expose())?), Some(token)))
    }

    /// The App's installation token, obtained when there is none, when it expires within
    /// [`crate::app::REFRESH_MARGIN`], or when it is the `refused` one. The installation is
    /// the configured one, else the repository's (`GET /repos/{owner}/{repo}/installation`);
    /// the token is narrowed to the repository in hand.
    async fn installation_token(&self, app: &AppAuth, refused: Option<Token>) -> Result<Token> {
        let mut state = self.inner.session.app.lock().await;
        if let Some(message) = &state.failed {
            return Err(Error::AppAuth {
                message: message.clone(),
            });
        }
        match self.obtain_token(app, &mut state, refused).await {
            Err(e) => Err(match app_refusal(&e, app, state.installation_id) {
                Some(message) => {
                    tracing::warn!(%message, "GitHub App: no installation token for this run");
                    state.failed = Some(message.clone());
                    Error::AppAuth { message }
                }
                None => e,
            }),
            ok => ok,
        }
    }

    /// [`GitHub::installation_token`]'s work, with the App's state locked.
    async fn obtain_token(
        &self,
        app: &AppAuth,
        state: &mut AppState,
        refused: Option<Token>,
    ) -> Result<Token> {
        if let Some(current) = &state.token
            && !current.needs_refresh(self.server_now())
            && refused.as_ref() != Some(&current.token)
        {
            return Ok(current.token.clone());
        }
        let installation_id = match state.installation_id.or(app.creds.installation_id) {
            Some(id) => id,
            None => {
                let repo = app.repo.as_ref().ok_or_else(|| Error::AppAuth {
                    message: "no installation id and no repository to look it up for".into(),
                })?;
                let answer = self
                    .app_exchange(
                        Method::GET,
                        &format!("repos/{}/{}/installation", repo.owner, repo.name),
                        None,
                    )
                    .await?;
                answer
                    .get("id")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| Error::AppAuth {
                        message: format!("the installation answer for {repo} has no id"),
                    })?
            }
        };
        state.installation_id = Some(installation_id);
        let body = match &app.repo {
            Some(repo) => serde_json::json!({ "repositories": [repo.name] }),
            None => serde_json::json!({}),
        };
        let answer = self
            .app_exchange(
                Method::POST,
                &format!("app/installations/{installation_id}/access_tokens"),
                Some(&body),
            )
            .await?;
        let token = InstallationToken::from_answer(&answer)
            .map_err(|message| Error::AppAuth { message })?;
        self.lock_stats().installation_tokens += 1;
        tracing::debug!(
            installation_id,
            expires_at = %token.expires_at,
            "installation token obtained"
        );
        let value = token.token.clone();
        state.token = Some(token);
        Ok(value)
    }

    /// One of the App's own requests, with a JWT, governed and retried like any read.
    async fn app_exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value> {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut url = self.url(path);
        if !query.is_empty() {
            url.set_query(Some(query));
        }
        let response = Box::pin(self.governed(
            method,
            &url,
            body,
            &[],
            0,
            Retry::Safe,
            Protocol::Rest,
            Bearer::AppJwt,
        ))
        .await?;
        check_status(response)?.json()
    }

    /// What the run authenticates as, for reports: `None` (no credential), a token's kind, or
    /// `App N, installation M` (M once known).
    pub async fn credential_description(&self) -> String {
        match &self.inner.auth {
            Auth::None => "none".to_owned(),
            Auth::Token(token) => format!("{:?} token", token.kind()),
            Auth::App(app) => {
                let state = self.inner.session.app.lock().await;
                match state.installation_id.or(app.creds.installation_id) {
                    Some(id) => format!("App {}, installation {id}", app.creds.app_id),
                    None => format!("App {}", app.creds.app_id),
                }
            }
        }
    }

    /// The App itself (`GET /app`, with a JWT); `None` for a token.
    pub async fn app_info(&self) -> Result<Option<crate::app::AppInfo>> {
        if !matches!(self.inner.auth, Auth::App(_)) {
            return Ok(None);
        }
        let answer = self.app_exchange(Method::GET, "app", None).await?;
        crate::app::AppInfo::from_answer(&answer)
            .map(Some)
            .map_err(|message| Error::AppAuth { message })
    }

    /// What this client shares with the run's other clients.
    pub(crate) fn session(&self) -> &Session {
        &self.inner.session
    }

    /// The run's write budget (`CODEX_MAX_MUTATIONS`), if any.
    pub(crate) fn max_mutations(&self) -> Option<u64> {
        self.inner.max_mutations
    }

    /// True when the client calls the API as a GitHub App.
    pub fn is_app(&self) -> bool {
        matches!(self.inner.auth, Auth::App(_))
    }

    /// The App's installation to list repositories through, remembered for this client's
    /// tokens: the configured one (`CODEX_APP_INSTALLATION_ID`), else the one on `org`, else
    /// the App's only one (`GET /app/installations`). An error that says what to set when
    /// there is none, or several to choose from. Not for a token.
    pub async fn app_installation_for(&self, org: Option<&str>) -> Result<u64> {
        let Auth::App(app) = &self.inner.auth else {
            return Err(Error::AppAuth {
                message: "listing an installation's repositories needs a GitHub App \
                          (CODEX_APP_ID and its private key)"
                    .to_owned(),
            });
        };
        let id = app.creds.app_id.clone();
        let found = match app.creds.installation_id {
            Some(configured) => configured,
            None => {
                let installations = self.app_installations().await?;
                let accounts = || {
                    installations
                        .iter()
                        .map(|i| format!("{} ({})", crate::redact::clean(&i.account), i.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                match org {
                    Some(org) => installations
                        .iter()
                        .find(|i| i.account.eq_ignore_ascii_case(org))
                        .map(|i| i.id)
                        .ok_or_else(|| Error::AppAuth {
                            message: format!(
                                "App {id} is not installed on {org} (its installations: {}): install it there, or set CODEX_APP_INSTALLATION_ID",
                                if installations.is_empty() { "none".to_owned() } else { accounts() }
                            ),
                        })?,
                    None => match installations.as_slice() {
                        [only] => only.id,
                        [] => {
                            return Err(Error::AppAuth {
                                message: format!("App {id} is not installed anywhere"),
                            });
                        }
                        _ => {
                            return Err(Error::AppAuth {
                                message: format!(
                                    "App {id} has several installations ({}): set CODEX_APP_INSTALLATION_ID or --org",
                                    accounts()
                                ),
                            });
                        }
                    },
                }
            }
        };
        self.inner.session.app.lock().await.installation_id = Some(found);
        Ok(found)
    }

    /// Where the App is installed (`GET /app/installations`, the first 100); empty for a
    /// token.
    pub async fn app_installations(&self) -> Result<Vec<crate::app::Installation>> {
        if !matches!(self.inner.auth, Auth::App(_)) {
            return Ok(Vec::new());
        }
        let answer = self
            .app_exchange(Method::GET, "app/installations?per_page=100", None)
            .await?;
        Ok(crate::app::Installation::list_from_answer(&answer))
    }

    /// A GitHub App's installation permissions (from its current token's answer), obtaining
    /// a token first if none was; `None` for a token.
    pub async fn app_permissions(
        &self,
    ) -> Result<Option<std::collections::BTreeMap<String, String>>> {
        let Auth::App(app) = &self.inner.auth else {
            return Ok(None);
        };
        self.installation_token(app, None).await?;
        let state = self.inner.session.app.lock().await;
        Ok(state.token.as_ref().map(|t| t.permissions.clone()))
    }
}

/// What a failed App exchange means for the whole run, in words an App owner can act on;
/// `None` when asking again later may help (a server error, a lost answer, a rate limit).
fn app_refusal(e: &Error, app: &AppAuth, installation_id: Option<u64>) -> Option<String> {
    let id = &app.creds.app_id;
    let repo = app
        .repo
        .as_ref()
        .map_or_else(|| "the repository".to_owned(), ToString::to_string);
    let installation = installation_id.map_or_else(String::new, |i| format!("installation {i}"));
    match e {
        Error::AppAuth { message } => Some(message.clone()),
        Error::Unauthorized { .. } => Some(format!(
            "GitHub refused App {id}'s JWT: CODEX_APP_ID and the private key do not belong together, or the key was deleted from the App's settings"
        )),
        Error::NotFound { .. } if installation_id.is_none() => Some(format!(
            "App {id} is not installed on {repo}: install it there, or set CODEX_APP_INSTALLATION_ID"
        )),
        Error::NotFound { .. } => Some(format!(
            "App {id} has no {installation} (CODEX_APP_INSTALLATION_ID)"
        )),
        Error::Status {
            status: 422,
            message,
            ..
        } => Some(format!(
            "{installation} of App {id} cannot give a token for {repo}: the repository is not in it, or it lacks a permission asked for (GitHub: {message})"
        )),
        Error::Forbidden { message, .. } => Some(format!(
            "GitHub refused App {id} a token for {repo}: {message}"
        )),
        _ => None,
    }
}

/// The error inside a GraphQL answer when asking again may help: `RATE_LIMITED`, or a
/// timeout.
fn transient_graphql_error(response: &Response) -> Option<Error> {
    let answer = serde_json::from_slice::<Value>(&response.body).ok()?;
    graphql_error(&answer).filter(|e| e.is_rate_limit() || e.is_timeout())
}

/// Split a GraphQL answer: `data` when there are no `errors`, else [`Error::GraphQl`].
pub fn graphql_data(mut answer: Value) -> Result<Value> {
    match graphql_error(&answer) {
        Some(e) => Err(e),
        None => Ok(answer
            .get_mut("data")
            .map(Value::take)
            .unwrap_or(Value::Null)),
    }
}

/// The [`Error::GraphQl`] a GraphQL answer's `errors` array makes, if it has one.
fn graphql_error(answer: &Value) -> Option<Error> {
    let errors = answer
        .get("errors")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())?;
    let kind = errors[0]
        .get("type")
        .and_then(Value::as_str)
        .map(GraphQlErrorKind::parse);
    let messages = errors
        .iter()
        .map(|e| {
            e.get("message")
                .and_then(Value::as_str)
                .unwrap_or("unknown error")
                .to_owned()
        })
        .collect();
    Some(Error::GraphQl { kind, messages })
}

/// Map a non-success status to the [`Error`] a caller branches on.
pub fn check_status(response: Response) -> Result<Response> {
    let status = response.status;
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        return Ok(response);
    }
    let url = response.url.clone();
    let message = message_of(&response);
    Err(match status.as_u16() {
        301 | 302 | 307 | 308 => Error::Moved {
            location: response.header("location").unwrap_or_default().to_owned(),
            url,
        },
        401 => Error::Unauthorized { url },
        403 | 429 => match answer_of(&response, chrono::Utc::now()) {
            Answer::PrimaryLimit { wait } => Error::RateLimited {
                url,
                wait: Some(wait),
            },
            Answer::SecondaryLimit { retry_after } => Error::RateLimited {
                url,
                wait: retry_after,
            },
            _ if status == StatusCode::FORBIDDEN => Error::Forbidden { url, message },
            _ => Error::Status {
                status: 429,
                url,
                message,
            },
        },
        404 => Error::NotFound { url },
        410 => Error::Gone { url },
        code => Error::Status {
            status: code,
            url,
            message,
        },
    })
}

/// What the governor's policy makes of an answer (one definition of a rate limit).
fn answer_of(response: &Response, now: chrono::DateTime<chrono::Utc>) -> Answer {
    let message = if response.status.is_success() {
        String::new()
    } else {
        message_of(response)
    };
    classify(
        response.status,
        response.header("x-ratelimit-remaining"),
        reset_in(response, now),
        response.header("retry-after"),
        &message,
    )
}

/// Time until `x-ratelimit-reset`, when the answer names it (zero once past).
fn reset_in(response: &Response, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let reset = response
        .header("x-ratelimit-reset")?
        .trim()
        .parse::<i64>()
        .ok()?;
    let secs = reset - now.timestamp();
    Some(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

/// The farthest a server's `Date` may move our idea of its clock.
pub const MAX_CLOCK_OFFSET: chrono::Duration = chrono::Duration::hours(24);

/// Whether an answer is kept in the conditional-request cache. Every one is, but a non-empty
/// answer to a listing of what changed `since` a time: the next run asks from a later time
/// (a new URL) unless nothing changed, so only the empty answer is ever asked for again, and
/// keeping the others would only grow the cache directory run after run.
fn worth_caching(url: &url::Url, body: &[u8]) -> bool {
    !url.query_pairs().any(|(k, _)| k == "since") || body.trim_ascii() == b"[]"
}

/// The server's clock less ours, in milliseconds, from a `Date` header (RFC 9110's
/// IMF-fixdate, `Wed, 02 Dec 2026 11:40:26 GMT`), or `None`.
fn clock_offset(date: &str, now: chrono::DateTime<chrono::Utc>) -> Option<i64> {
    let server = chrono::DateTime::parse_from_rfc2822(date.trim()).ok()?;
    let offset = server.with_timezone(&chrono::Utc) - now;
    (offset.abs() <= MAX_CLOCK_OFFSET).then(|| offset.num_milliseconds())
}

fn message_of(response: &Response) -> String {
    serde_json::from_slice::<Value>(&response.body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&response.body)
                .chars()
                .take(200)
                .collect()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_empty_answer_of_what_changed_is_kept_in_the_cache() {
        let url = |q: &str| {
            url::Url::parse(&format!("https://api.github.com/repos/a/b/issues?{q}")).unwrap()
        };
        assert!(worth_caching(
            &url("state=open&per_page=100"),
            b"[{\"number\":1}]"
        ));
        assert!(worth_caching(
            &url("state=all&since=2026-12-01T00:00:00Z"),
            b" [] "
        ));
        assert!(!worth_caching(
            &url("state=all&since=2026-12-01T00:00:00Z"),
            b"[{\"number\":1}]"
        ));
    }

    #[test]
    fn app_refusals_say_what_to_do_and_transient_failures_are_not_refusals() {
        let app = AppAuth {
            creds: AppCredentials {
                app_id: crate::app::AppId::Id(42),
                key: crate::app::AppKey::from_pem(crate::app::tests::TEST_KEY_PKCS1).unwrap(),
                installation_id: None,
            },
            repo: Some(RepoSlug::parse("acme/widgets").unwrap()),
        };
        let url = || "http://x/y".to_owned();
        let said = |e: Error, installation| app_refusal(&e, &app, installation);
        assert_eq!(
            said(Error::NotFound { url: url() }, None).as_deref(),
            Some(
                "App 42 is not installed on acme/widgets: install it there, or set CODEX_APP_INSTALLATION_ID"
            )
        );
        assert_eq!(
            said(Error::NotFound { url: url() }, Some(9)).as_deref(),
            Some("App 42 has no installation 9 (CODEX_APP_INSTALLATION_ID)")
        );
        assert!(
            said(Error::Unauthorized { url: url() }, None)
                .is_some_and(|m| m.contains("do not belong together"))
        );
        let unprocessable = Error::Status {
            status: 422,
            url: url(),
            message: "not accessible".into(),
        };
        assert!(said(unprocessable, Some(2)).is_some_and(|m| {
            m.starts_with("installation 2 of App 42 cannot give a token for acme/widgets")
        }));
        // Asking again later may help: not remembered as a refusal.
        for transient in [
            Error::Status {
                status: 502,
                url: url(),
                message: String::new(),
            },
            Error::RateLimited {
                url: url(),
                wait: None,
            },
            Error::Transport {
                url: url(),
                message: "reset".into(),
            },
        ] {
            assert_eq!(said(transient, Some(1)), None);
        }
    }

    #[test]
    fn the_servers_clock_comes_from_its_date_header() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-02T11:40:26Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        // Ten minutes ahead of us, behind us, and the same second.
        assert_eq!(
            clock_offset("Wed, 02 Dec 2026 11:50:26 GMT", now),
            Some(600_000)
        );
        assert_eq!(
            clock_offset("Wed, 02 Dec 2026 11:30:26 GMT", now),
            Some(-600_000)
        );
        assert_eq!(
            clock_offset(" Wed, 02 Dec 2026 11:40:26 GMT ", now),
            Some(0)
        );
        // Not a date, or a server trying to move us by more than a day: ignored.
        assert_eq!(clock_offset("yesterday", now), None);
        assert_eq!(clock_offset("", now), None);
        assert_eq!(clock_offset("Fri, 31 Dec 9999 23:59:59 GMT", now), None);
        assert_eq!(clock_offset("Thu, 01 Jan 1970 00:00:00 GMT", now), None);
    }

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
            body: Bytes::from(body.to_owned()),
            url: "https://api.github.com/x".into(),
        }
    }

    #[test]
    fn statuses_map_to_the_errors_callers_branch_on() {
        let limited =
            check_status(answer(403, &[("x-ratelimit-remaining", "0")], "{}")).unwrap_err();
        assert!(
            matches!(limited, Error::RateLimited { wait: Some(_), .. }),
            "{limited:?}"
        );
        let secondary = check_status(answer(403, &[("retry-after", "7")], "{}")).unwrap_err();
        assert!(
            matches!(secondary, Error::RateLimited { wait: Some(w), .. } if w == Duration::from_secs(7))
        );
        let denied = check_status(answer(
            403,
            &[("x-ratelimit-remaining", "4999")],
            r#"{"message":"Resource not accessible by integration"}"#,
        ))
        .unwrap_err();
        assert!(
            matches!(denied, Error::Forbidden { ref message, .. } if message.contains("not accessible")),
            "{denied:?}"
        );
        assert!(matches!(
            check_status(answer(429, &[], "{}")).unwrap_err(),
            Error::RateLimited { .. }
        ));
        assert!(matches!(
            check_status(answer(410, &[], "{}")).unwrap_err(),
            Error::Gone { .. }
        ));
        assert!(
            matches!(check_status(answer(301, &[("location", "https://x/y")], "{}")).unwrap_err(), Error::Moved { ref location, .. } if location == "https://x/y")
        );
        assert!(check_status(answer(304, &[], "")).is_ok());
    }
}
