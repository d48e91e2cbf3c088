//! The HTTP side: one axum fallback handler that authenticates, applies the per-token primary and
//! secondary rate limits, injects the configured faults, routes to REST or GraphQL, adds the
//! headers every GitHub answer carries (`x-ratelimit-*`, `x-github-request-id`, weak `ETag`, `304`
//! on `If-None-Match`), and records stats, exchanges and the JSON-lines log.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State as AxState};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::app::{AppStats, Apps, Authn, Call};
use crate::auth::{Token, TokenKind};
use crate::faults::{self, Decision, Dice, Secondary, SecondaryLimiter, SecondaryWindow};
use crate::graphql::{self, RateView};
use crate::render;
use crate::rest::{self, Reply, Req};
use crate::state::State;
use crate::{Exchange, SandboxOptions};

/// Locks a mutex, ignoring poisoning (a panicked handler must not take the sandbox down).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Counters behind `GET /_sandbox/stats`.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct Stats {
    requests: u64,
    by_status: BTreeMap<String, u64>,
    by_route: BTreeMap<String, u64>,
    /// Writes applied: each REST write, and each GraphQL mutation that changed something (a
    /// document of several mutations counts each).
    writes: u64,
    graphql: u64,
    not_modified: u64,
    /// 5xx answers injected by `fault_rate`.
    faults_injected: u64,
    /// Of those, the ones whose write was applied before the answer was lost.
    faults_after_write: u64,
    /// Requests left unanswered by `hang_rate`.
    hangs: u64,
    /// Of those, the ones whose write was applied before hanging.
    hangs_after_write: u64,
    /// Requests that arrived while their primary budget was spent (each answered `403`).
    rate_limited_requests: u64,
    /// Writes refused by the secondary limit (`403` + `retry-after`), early retries included.
    secondary_limited: u64,
    /// Writes that arrived before the `retry-after` of an open secondary window expired.
    early_retries: u64,
    /// Every secondary window opened, in order.
    secondary_windows: Vec<SecondaryWindow>,
    /// `200` + `errors` answers injected by `graphql_fault_rate`.
    graphql_faults: u64,
    /// Of those, the mutations applied before the answer was replaced.
    graphql_faults_after_write: u64,
    /// The GitHub App side: JWTs seen and refused, installation tokens minted and used.
    pub(crate) app: AppStats,
    /// The most GitHub requests in flight at once (arrived, not yet answered) since the last
    /// reset: how concurrent the client was.
    max_in_flight: u64,
}

#[derive(Clone, Copy, Debug)]
struct Window {
    reset: i64,
    used: u64,
}

/// Everything the handler shares.
pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
    pub(crate) stats: Mutex<Stats>,
    pub(crate) exchanges: Mutex<Vec<Exchange>>,
    rate: Mutex<HashMap<(String, &'static str), Window>>,
    /// The GitHub App, when one is configured.
    pub(crate) apps: Option<Mutex<Apps>>,
    /// Added to the wall clock (`POST /_sandbox/clock`): token expiry and rate windows follow it.
    pub(crate) clock_offset_ms: AtomicI64,
    dice: Mutex<Dice>,
    secondary: Mutex<SecondaryLimiter>,
    /// Requests hanging right now.
    hanging: AtomicU64,
    /// GitHub requests arrived and not yet answered.
    in_flight: AtomicU64,
    /// Set when the sandbox stops: hung requests end.
    pub(crate) shutdown: tokio::sync::watch::Sender<bool>,
    log: Option<Mutex<std::fs::File>>,
    opts: SandboxOptions,
    seq: AtomicU64,
}

fn check_options(opts: &SandboxOptions) -> anyhow::Result<()> {
    for (name, p) in [
        ("fault_rate", opts.fault_rate),
        ("hang_rate", opts.hang_rate),
        ("graphql_fault_rate", opts.graphql_fault_rate),
    ] {
        anyhow::ensure!(
            (0.0..=1.0).contains(&p),
            "{name} must be a fraction between 0 and 1, not {p}"
        );
    }
    anyhow::ensure!(
        opts.rate_limit_reset_secs > 0,
        "rate_limit_reset_secs must be at least 1"
    );
    anyhow::ensure!(
        opts.secondary_window_secs > 0,
        "secondary_window_secs must be at least 1"
    );
    Ok(())
}

impl Shared {
    pub(crate) fn new(state: State, opts: SandboxOptions) -> anyhow::Result<Self> {
        check_options(&opts)?;
        let log = match &opts.log {
            Some(path) => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| anyhow::anyhow!("cannot open log file {}: {e}", path.display()))?;
                Some(Mutex::new(f))
            }
            None => None,
        };
        let apps = match &opts.app {
            Some(app) => Some(Mutex::new(Apps::new(app.clone(), &state, opts.seed)?)),
            None => None,
        };
        Ok(Self {
            apps,
            clock_offset_ms: AtomicI64::new(0),
            state: Mutex::new(state),
            stats: Mutex::new(Stats::default()),
            exchanges: Mutex::new(Vec::new()),
            rate: Mutex::new(HashMap::new()),
            dice: Mutex::new(Dice::new(
                opts.seed,
                opts.fault_rate,
                opts.hang_rate,
                opts.graphql_fault_rate,
            )),
            secondary: Mutex::new(SecondaryLimiter::default()),
            hanging: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            shutdown: tokio::sync::watch::Sender::new(false),
            log,
            opts,
            seq: AtomicU64::new(1),
        })
    }

    pub(crate) fn stats_json(&self) -> Value {
        let mut v = serde_json::to_value(&*lock(&self.stats)).unwrap_or(Value::Null);
        if let Some(m) = v.as_object_mut() {
            m.insert(
                "hanging".to_owned(),
                self.hanging.load(Ordering::SeqCst).into(),
            );
        }
        v
    }

    pub(crate) fn reset_stats(&self) {
        *lock(&self.stats) = Stats::default();
    }

    pub(crate) fn ghes(&self) -> bool {
        self.opts.ghes
    }

    /// The sandbox's clock: the wall clock plus what `POST /_sandbox/clock` added, epoch ms.
    pub(crate) fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis() + self.clock_offset_ms.load(Ordering::SeqCst)
    }

    /// `POST /_sandbox/{what}`: the test controls. `None` when there is no such control.
    fn control(&self, what: &str, body: Option<&Value>) -> Option<Result<Value, String>> {
        match what {
            "clock" => {
                let Some(secs) = body.and_then(|b| b["advance_secs"].as_i64()) else {
                    return Some(Err("expected {\"advance_secs\": N}".to_owned()));
                };
                // One clock: the dates written on what changes from now on move with the
                // `Date` header (GitHub stamps both from the same clock).
                lock(&self.state).advance(secs);
                let total = self
                    .clock_offset_ms
                    .fetch_add(secs * 1000, Ordering::SeqCst)
                    + secs * 1000;
                Some(Ok(json!({"offset_ms": total})))
            }
            "installations" => {
                let Some(apps) = &self.apps else {
                    return Some(Err("no App configured".to_owned()));
                };
                let id = body.and_then(|b| b["id"].as_u64());
                let repos: Option<Vec<String>> =
                    body.and_then(|b| b["repositories"].as_array()).map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    });
                let permissions = body.and_then(|b| b["permissions"].as_object()).map(|p| {
                    crate::app::parse_permissions(
                        p.iter()
                            .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default())),
                    )
                });
                let (Some(id), true) = (id, repos.is_some() || permissions.is_some()) else {
                    return Some(Err("expected {\"id\": N, \"repositories\": [\"owner/name\", ...], \"permissions\": {\"issues\": \"write\", ...}} (repositories, permissions or both)".to_owned()));
                };
                let permissions = match permissions.transpose() {
                    Ok(p) => p,
                    Err(e) => return Some(Err(e)),
                };
                let mut apps = lock(apps);
                let done = repos
                    .as_ref()
                    .map_or(Ok(()), |r| apps.set_installation(id, r))
                    .and_then(|()| match permissions {
                        Some(p) => apps.set_permissions(id, p),
                        None => Ok(()),
                    });
                Some(done.map(|()| json!({"id": id})))
            }
            _ => None,
        }
    }

    fn write_log(&self, line: &Value) {
        if let Some(log) = &self.log {
            let mut f = lock(log);
            let _ = writeln!(f, "{line}");
        }
    }
}

const LIMIT: u64 = 5_000;
const ANON_LIMIT: u64 = 60;
/// How long a hung request sleeps: far longer than any client timeout.
const HANG: Duration = Duration::from_secs(600);
const RATE_DOCS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";
const SECONDARY_DOCS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";

fn weak_etag(bytes: &[u8]) -> String {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x8422_2325_cbf2_9ce4;
    for &x in bytes {
        a = (a ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3);
        b = (b ^ u64::from(x))
            .wrapping_mul(0x0000_0100_0000_01b3)
            .rotate_left(5);
    }
    format!("W/\"{a:016x}{b:016x}\"")
}

fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |s: &str| {
        s.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_owned()
    };
    let want = bare(etag);
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == want)
}

/// One parsed request, as the executors need it.
struct Incoming {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    body_json: Option<Value>,
    body_bad: bool,
    api: String,
    now: i64,
    limit: u64,
    window: Window,
}

/// Runs one authenticated request that no limit stopped: `(reply, whether it changed state)`.
fn execute(sh: &Shared, t: &Token, inc: &Incoming) -> (Reply, u64) {
    let (method, path, now, limit) = (&inc.method, &inc.path, inc.now, inc.limit);
    if inc.body_bad && method != "GET" {
        let mut r = rest::error(400, "Problems parsing JSON", rest::DOCS);
        r.route = format!("{method} {path}");
        return (r, 0);
    }
    if path == "/rate_limit" && method == "GET" {
        let core = lock(&sh.rate).get(&(t.raw.clone(), "core")).copied();
        let gql = lock(&sh.rate).get(&(t.raw.clone(), "graphql")).copied();
        let len = i64::try_from(sh.opts.rate_limit_reset_secs).unwrap_or(3600);
        let part = |w: Option<Window>| {
            let (used, reset) = w
                .filter(|w| now < w.reset)
                .map_or((0, now + len), |w| (w.used, w.reset));
            json!({"limit": limit, "used": used, "remaining": limit - used.min(limit), "reset": reset})
        };
        let zero = |l: u64| json!({"limit": l, "used": 0, "remaining": l, "reset": now + 3600});
        let mut r = Reply::json(
            200,
            json!({
                "resources": {
                    "core": part(core), "graphql": part(gql), "search": zero(30),
                    "code_search": zero(10), "integration_manifest": zero(5000),
                    "source_import": zero(100), "code_scanning_upload": zero(1000),
                    "actions_runner_registration": zero(10000), "scim": zero(15000),
                    "dependency_snapshots": zero(100), "audit_log": zero(1750),
                    "code_scanning_autofix": zero(10),
                },
                "rate": part(core),
            }),
        );
        r.route = "GET /rate_limit".to_owned();
        return (r, 0);
    }
    if t.kind == TokenKind::AppJwt {
        let Some(apps) = &sh.apps else {
            return (rest::not_found(), 0);
        };
        let call = Call {
            method,
            path,
            body: inc.body_json.as_ref(),
            api: &inc.api,
            now,
        };
        let r = lock(apps).dispatch(&lock(&sh.state), &call, &mut lock(&sh.stats).app);
        return (r, 0);
    }
    if path == "/graphql" && method == "POST" {
        let rate = RateView {
            limit,
            used: inc.window.used + 1,
            reset: inc.window.reset,
        };
        let html = render::html_base(&inc.api);
        let out = graphql::execute(&mut lock(&sh.state), inc.body_json.as_ref(), t, rate, &html);
        let mut r = Reply::json(200, out.body);
        r.route = "POST /graphql".to_owned();
        return (r, out.writes);
    }
    let req = Req {
        method: method.clone(),
        path: path.clone(),
        query: inc.query.clone(),
        body: inc.body_json.clone(),
        token: t.clone(),
        api: inc.api.clone(),
    };
    let r = rest::dispatch(&mut lock(&sh.state), &req);
    if r.route.ends_with(rest::OUT_OF_REACH) {
        lock(&sh.stats).app.out_of_reach += 1;
    }
    let wrote = method != "GET" && (200..300).contains(&r.status);
    (r, u64::from(wrote))
}

/// The github.com path a GitHub Enterprise Server path stands for: `/api/v3/x` → `/x`,
/// `/api/graphql` → `/graphql`; `None` for anything else (`/api/v3/graphql` included).
fn ghes_path(path: &str) -> Option<String> {
    if path == "/api/graphql" {
        return Some("/graphql".to_owned());
    }
    let rest = path.strip_prefix(render::GHES_API_PREFIX)?;
    match rest {
        "" | "/" => Some("/".to_owned()),
        "/graphql" => None,
        r if r.starts_with('/') => Some(r.to_owned()),
        _ => None,
    }
}

/// Decrements the hanging gauge however the hung request ends.
struct Hanging<'a>(&'a AtomicU64);

impl Drop for Hanging<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The route of a request no executor saw (for the stats of a hang or an injected fault).
fn route_of(method: &str, path: &str) -> String {
    if path == "/graphql" {
        "POST /graphql".to_owned()
    } else {
        format!("{method} {path}")
    }
}

/// True when `path` is under `/repos/{owner}/{name}/` (or is it) of one of `repos`.
fn faulted_repo(repos: &[String], path: &str) -> bool {
    let mut segs = path.trim_start_matches('/').split('/');
    let (Some("repos"), Some(owner), Some(name)) = (segs.next(), segs.next(), segs.next()) else {
        return false;
    };
    repos.iter().any(|r| {
        r.split_once('/')
            .is_some_and(|(o, n)| o.eq_ignore_ascii_case(owner) && n.eq_ignore_ascii_case(name))
    })
}

/// The one handler: everything but `/_sandbox/*` is a GitHub request.
/// One GitHub request in flight, counted from its arrival until it is answered or dropped.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(sh: &'a Shared) -> Self {
        let now = sh.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let mut st = lock(&sh.stats);
        st.max_in_flight = st.max_in_flight.max(now);
        InFlight(sh)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

pub(crate) async fn handle(AxState(sh): AxState<Arc<Shared>>, req: Request) -> Response {
    let started = Instant::now();
    let _in_flight = (!req.uri().path().starts_with("/_sandbox/")).then(|| InFlight::enter(&sh));
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, 32 << 20).await.unwrap_or_default();
    if sh.opts.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(sh.opts.latency_ms)).await;
    }
    let method = parts.method.as_str().to_owned();
    let full_path = parts.uri.path().to_owned();
    // GitHub Enterprise Server: REST under /api/v3, GraphQL at /api/graphql, nothing else.
    let path = if sh.opts.ghes && !full_path.starts_with("/_sandbox/") {
        match ghes_path(&full_path) {
            Some(p) => p,
            None => {
                return json_response(
                    404,
                    Vec::new(),
                    Some(&rest::not_found().body.unwrap_or_default()),
                );
            }
        }
    } else {
        full_path
    };
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    if let Some(what) = path.strip_prefix("/_sandbox/") {
        if method == "POST" {
            let body = serde_json::from_slice::<Value>(&bytes).ok();
            if let Some((status, v)) =
                crate::admin::control(&mut lock(&sh.state), what, body.as_ref())
            {
                return json_response(status, Vec::new(), Some(&v));
            }
            return match sh.control(what, body.as_ref()) {
                Some(Ok(v)) => json_response(200, Vec::new(), Some(&v)),
                Some(Err(e)) => json_response(400, Vec::new(), Some(&json!({"message": e}))),
                None => json_response(
                    404,
                    Vec::new(),
                    Some(&rest::not_found().body.unwrap_or_default()),
                ),
            };
        }
        let v = match what {
            "state" => Some(lock(&sh.state).to_json()),
            "stats" => Some(sh.stats_json()),
            _ => None,
        };
        return match v {
            Some(v) => json_response(200, Vec::new(), Some(&v)),
            None => json_response(
                404,
                Vec::new(),
                Some(&rest::not_found().body.unwrap_or_default()),
            ),
        };
    }
    // The fault stream is consumed here, in arrival order, by every GitHub request.
    let mut decision: Decision = lock(&sh.dice).decide();
    if faulted_repo(&sh.opts.fault_repos, &path) {
        // A repository whose every REST request fails (`--fault-repo`): a 502 page, nothing run.
        decision.fault = Some(502);
        decision.hang = false;
        decision.apply = false;
    }
    let headers = &parts.headers;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let api = if sh.opts.ghes {
        format!("http://{host}{}", render::GHES_API_PREFIX)
    } else {
        format!("http://{host}")
    };
    let mut token = Token::from_header(
        headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok()),
    );
    let resource: &'static str = if path == "/graphql" {
        "graphql"
    } else {
        "core"
    };
    let is_graphql = path == "/graphql" && method == "POST";
    let query: Vec<(String, String)> = url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    let (body_json, body_bad) = if bytes.is_empty() {
        (None, false)
    } else {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) => (Some(v), false),
            Err(_) => (None, true),
        }
    };
    // A GraphQL document's writes: one per mutation field (GitHub counts each as content
    // created); a REST write is one.
    let mutations = if is_graphql {
        graphql::mutation_fields(body_json.as_ref())
    } else {
        0
    };
    let is_write = if is_graphql {
        mutations > 0
    } else {
        !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS")
    };
    let now_ms = sh.now_ms();
    let now = now_ms.div_euclid(1000);
    let window_len = i64::try_from(sh.opts.rate_limit_reset_secs).unwrap_or(3600);
    // The App side first: JWTs on App endpoints, installation tokens everywhere else.
    let mut refused: Option<Reply> = None;
    let mut budget: Option<(String, u64)> = None;
    if let Some(apps) = &sh.apps {
        let authn = lock(apps).authenticate(
            token.as_ref(),
            &method,
            &path,
            now,
            &mut lock(&sh.stats).app,
        );
        match authn {
            Authn::Plain => {}
            Authn::Refused(r) => refused = Some(r),
            Authn::Jwt(t) => {
                budget = Some((t.raw.clone(), LIMIT));
                token = Some(t);
            }
            Authn::Installation {
                token: t,
                key,
                limit,
            } => {
                budget = Some((key, limit));
                token = Some(t);
            }
        }
    }
    let rate_key = (
        match &budget {
            Some((key, _)) => key.clone(),
            None => token.as_ref().map_or_else(String::new, |t| t.raw.clone()),
        },
        resource,
    );
    let limit = match (sh.opts.rate_limit, &token, &budget) {
        (Some(n), _, _) => n,
        (None, _, Some((_, n))) => *n,
        (None, Some(_), None) => LIMIT,
        (None, None, None) => ANON_LIMIT,
    };
    let window = {
        let mut rate = lock(&sh.rate);
        let w = rate.entry(rate_key.clone()).or_insert(Window {
            reset: now + window_len,
            used: 0,
        });
        if now >= w.reset {
            *w = Window {
                reset: now + window_len,
                used: 0,
            };
        }
        *w
    };
    let inc = Incoming {
        method: method.clone(),
        path: path.clone(),
        query,
        body_json,
        body_bad,
        api,
        now,
        limit,
        window,
    };
    // Writes applied: 1 for a REST write, one per applied mutation of a GraphQL document.
    let mut applied = 0u64;
    let mut fault: Option<&'static str> = None;
    let mut html: Option<&'static str> = None;
    // Limits first, as GitHub's front end: no token, the primary budget, the secondary limit.
    let gated: Result<&Token, Reply> = match &token {
        _ if refused.is_some() => Err(refused.take().unwrap_or_else(rest::not_found)),
        None => {
            let mut r = rest::error(401, "Requires authentication", rest::DOCS);
            r.route = format!("{method} unauthenticated");
            Err(r)
        }
        Some(_) if window.used >= limit && path != "/rate_limit" => {
            lock(&sh.stats).rate_limited_requests += 1;
            let mut r = rest::error(403, "API rate limit exceeded for user ID 1.", RATE_DOCS);
            r.route = format!("{method} rate-limited");
            Err(r)
        }
        Some(t) if is_write && sh.opts.secondary_limit.is_some() => {
            let verdict = lock(&sh.secondary).check_writes(
                &t.raw,
                now_ms,
                sh.opts.secondary_limit.unwrap_or(u64::MAX),
                sh.opts.secondary_window_secs,
                sh.opts.secondary_retry_after_secs,
                mutations.max(1),
            );
            let retry_after = match verdict {
                Secondary::Pass => None,
                Secondary::Tripped {
                    retry_after,
                    window_until_ms,
                } => {
                    let mut st = lock(&sh.stats);
                    st.secondary_limited += 1;
                    st.secondary_windows.push(SecondaryWindow {
                        at_ms: now_ms,
                        until_ms: window_until_ms,
                        retry_after,
                    });
                    Some(retry_after)
                }
                Secondary::Early { retry_after } => {
                    let mut st = lock(&sh.stats);
                    st.secondary_limited += 1;
                    st.early_retries += 1;
                    Some(retry_after)
                }
            };
            match retry_after {
                None => Ok(t),
                Some(secs) => {
                    let mut r = rest::error(
                        403,
                        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                        SECONDARY_DOCS,
                    );
                    r.headers.push(("retry-after".to_owned(), secs.to_string()));
                    r.route = format!("{method} secondary-limited");
                    fault = Some("secondary-limit");
                    Err(r)
                }
            }
        }
        Some(t) => Ok(t),
    };
    let mut reply = match gated {
        Err(r) => r,
        Ok(t) if decision.hang => {
            if decision.apply {
                applied = execute(&sh, t, &inc).1;
            }
            return hang(&sh, &inc, rate_key, applied).await;
        }
        Ok(t) if decision.fault.is_some() => {
            let status = decision.fault.unwrap_or(500);
            if decision.apply {
                applied = execute(&sh, t, &inc).1;
            }
            let wrote = applied > 0;
            {
                let mut st = lock(&sh.stats);
                st.faults_injected += 1;
                if wrote {
                    st.faults_after_write += 1;
                }
            }
            fault = Some(if wrote { "5xx-after-write" } else { "5xx" });
            let mut r = match faults::fault_body(status) {
                Some(b) => Reply::json(status, b),
                None => {
                    html = Some(faults::BAD_GATEWAY_HTML);
                    Reply::json(status, Value::String(faults::BAD_GATEWAY_HTML.to_owned()))
                }
            };
            r.route = route_of(&method, &path);
            r
        }
        Ok(t) if is_graphql && decision.graphql_fault.is_some() => {
            if decision.apply {
                applied = execute(&sh, t, &inc).1;
            }
            let wrote = applied > 0;
            {
                let mut st = lock(&sh.stats);
                st.graphql_faults += 1;
                if wrote {
                    st.graphql_faults_after_write += 1;
                }
            }
            fault = Some(if wrote {
                "graphql-error-after-write"
            } else {
                "graphql-error"
            });
            // The body needs the request id: filled in below.
            let mut r = Reply::json(200, Value::Null);
            r.route = "POST /graphql".to_owned();
            r
        }
        Ok(t) => {
            let (r, w) = execute(&sh, t, &inc);
            applied = w;
            r
        }
    };
    // Conditional GET: a weak ETag over the body; a match answers 304 with no body.
    let mut extra: Vec<(String, String)> = std::mem::take(&mut reply.headers);
    let mut status = reply.status;
    let mut body = reply.body.take();
    if method == "GET" && status == 200 {
        let bytes = body
            .as_ref()
            .map(|b| serde_json::to_vec(b).unwrap_or_default())
            .unwrap_or_default();
        let etag = weak_etag(&bytes);
        let inm = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|h| h.to_str().ok());
        if inm.is_some_and(|v| etag_matches(v, &etag)) {
            status = 304;
            body = None;
        }
        extra.push(("etag".to_owned(), etag));
        extra.push((
            "cache-control".to_owned(),
            "private, max-age=60, s-maxage=60".to_owned(),
        ));
        extra.push((
            "vary".to_owned(),
            "Accept, Authorization, Cookie, X-GitHub-OTP".to_owned(),
        ));
    }
    // Rate accounting: 304s and /rate_limit are free, as on GitHub.
    let counts = status != 304 && path != "/rate_limit";
    let used = spend(&sh, rate_key, window, limit, counts);
    let seq = sh.seq.fetch_add(1, Ordering::Relaxed);
    let request_id = format!(
        "5A17:{:04X}:{seq:06X}:{:08X}:{:08X}",
        seq % 0xFFFF,
        seq * 7,
        now
    );
    if let Some(kind) = decision.graphql_fault
        && fault.is_some_and(|f| f.starts_with("graphql-error"))
    {
        body = Some(faults::graphql_fault_body(kind, &request_id));
    }
    let mut common = vec![
        ("x-ratelimit-limit".to_owned(), limit.to_string()),
        (
            "x-ratelimit-remaining".to_owned(),
            limit.saturating_sub(used).to_string(),
        ),
        ("x-ratelimit-used".to_owned(), used.to_string()),
        ("x-ratelimit-reset".to_owned(), window.reset.to_string()),
        ("x-ratelimit-resource".to_owned(), resource.to_owned()),
        ("x-github-request-id".to_owned(), request_id),
        (
            "x-github-api-version-selected".to_owned(),
            "2022-11-28".to_owned(),
        ),
        (
            "x-github-media-type".to_owned(),
            "github.v3; format=json".to_owned(),
        ),
        ("date".to_owned(), http_date(now_ms)),
    ];
    if let Some(t) = &token
        && t.kind == TokenKind::Classic
    {
        common.push((
            "x-oauth-scopes".to_owned(),
            "repo, project, workflow".to_owned(),
        ));
        common.push(("x-accepted-oauth-scopes".to_owned(), "repo".to_owned()));
    }
    common.extend(extra);
    {
        let mut st = lock(&sh.stats);
        st.requests += 1;
        *st.by_status.entry(status.to_string()).or_default() += 1;
        *st.by_route.entry(reply.route.clone()).or_default() += 1;
        st.writes += applied;
        if resource == "graphql" {
            st.graphql += 1;
        }
        if status == 304 {
            st.not_modified += 1;
        }
    }
    if sh.opts.clock_step_secs > 0 {
        let step = i64::try_from(sh.opts.clock_step_secs).unwrap_or(i64::MAX / 2000) * 1000;
        sh.clock_offset_ms.fetch_add(step, Ordering::SeqCst);
    }
    if sh.opts.record {
        lock(&sh.exchanges).push(Exchange {
            method: method.clone(),
            path: path.clone(),
            query: raw_query.clone(),
            request_body: inc.body_json,
            status,
            response_headers: common.clone(),
            response_body: body.clone(),
        });
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if sh.log.is_some() {
        let mut line = json!({
            "ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "method": method, "path": path, "query": raw_query, "status": status, "ms": (ms * 1000.0).round() / 1000.0,
        });
        if let Some(f) = fault {
            line["fault"] = f.into();
        }
        if applied > 0 {
            line["writes"] = applied.into();
        }
        match token.as_ref().map(|t| t.kind) {
            Some(TokenKind::AppJwt) => line["auth"] = "jwt".into(),
            Some(TokenKind::Installation) => line["auth"] = "installation".into(),
            _ => {}
        }
        sh.write_log(&line);
    }
    tracing::debug!(%method, %path, status, ms, fault, "request");
    match html {
        Some(page) => html_response(status, common, page),
        None => json_response(status, common, body.as_ref()),
    }
}

/// Counts one request against its primary window (when `counts`); returns the window's `used`.
fn spend(
    sh: &Shared,
    key: (String, &'static str),
    window: Window,
    limit: u64,
    counts: bool,
) -> u64 {
    let mut rate = lock(&sh.rate);
    let w = rate.entry(key).or_insert(window);
    if counts && w.used < limit {
        w.used += 1;
    }
    w.used
}

/// Never answers (until [`HANG`] passes, the client hangs up — axum then drops this future — or
/// the sandbox stops). The request is counted, logged and charged before it hangs.
async fn hang(sh: &Shared, inc: &Incoming, key: (String, &'static str), applied: u64) -> Response {
    let resource = key.1;
    let wrote = applied > 0;
    spend(sh, key, inc.window, inc.limit, inc.path != "/rate_limit");
    {
        let mut st = lock(&sh.stats);
        st.requests += 1;
        st.hangs += 1;
        *st.by_route
            .entry(route_of(&inc.method, &inc.path))
            .or_default() += 1;
        if wrote {
            st.writes += applied;
            st.hangs_after_write += 1;
        }
        if resource == "graphql" {
            st.graphql += 1;
        }
    }
    sh.write_log(&json!({
        "ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "method": inc.method, "path": inc.path, "status": 0, "ms": 0.0,
        "fault": if wrote { "hang-after-write" } else { "hang" },
    }));
    tracing::debug!(method = %inc.method, path = %inc.path, wrote, "hanging");
    sh.hanging.fetch_add(1, Ordering::SeqCst);
    let _gauge = Hanging(&sh.hanging);
    let mut stop = sh.shutdown.subscribe();
    tokio::select! {
        () = tokio::time::sleep(HANG) => {}
        _ = stop.wait_for(|s| *s) => {}
    }
    let body = json!({
        "message": "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.",
    });
    json_response(504, Vec::new(), Some(&body))
}

fn html_response(status: u16, headers: Vec<(String, String)>, page: &'static str) -> Response {
    let mut resp = json_response(status, headers, None);
    *resp.body_mut() = Body::from(page);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

/// RFC 9110's IMF-fixdate (`Wed, 02 Dec 2026 11:40:26 GMT`) of epoch milliseconds.
fn http_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn json_response(status: u16, headers: Vec<(String, String)>, body: Option<&Value>) -> Response {
    let bytes = match body {
        Some(b) => serde_json::to_vec(b).unwrap_or_default(),
        None => Vec::new(),
    };
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h: &mut HeaderMap = resp.headers_mut();
    if status != 304 {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            h.append(k, v);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_headers_are_imf_fixdates() {
        assert_eq!(
            http_date(1_796_211_626_000),
            "Wed, 02 Dec 2026 11:40:26 GMT"
        );
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn etags_are_weak_and_stable() {
        let a = weak_etag(b"[1,2]");
        assert!(a.starts_with("W/\""));
        assert_eq!(a, weak_etag(b"[1,2]"));
        assert_ne!(a, weak_etag(b"[1,3]"));
        assert!(etag_matches(&a, &a));
        assert!(etag_matches(&a.replace("W/", ""), &a));
        assert!(etag_matches(&format!("\"x\", {a}"), &a));
        assert!(!etag_matches("\"x\"", &a));
    }
}
