//! The HTTP side: one axum fallback handler that authenticates, applies the per-token hourly rate
//! limit, routes to REST or GraphQL, adds the headers every GitHub answer carries (`x-ratelimit-*`,
//! `x-github-request-id`, weak `ETag`, `304` on `If-None-Match`), and records stats, exchanges
//! and the JSON-lines log.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State as AxState};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::auth::{Token, TokenKind};
use crate::graphql::{self, RateView};
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
    writes: u64,
    graphql: u64,
    not_modified: u64,
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
    log: Option<Mutex<std::fs::File>>,
    opts: SandboxOptions,
    seq: AtomicU64,
}

impl Shared {
    pub(crate) fn new(state: State, opts: SandboxOptions) -> anyhow::Result<Self> {
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
        Ok(Self {
            state: Mutex::new(state),
            stats: Mutex::new(Stats::default()),
            exchanges: Mutex::new(Vec::new()),
            rate: Mutex::new(HashMap::new()),
            log,
            opts,
            seq: AtomicU64::new(1),
        })
    }

    pub(crate) fn stats_json(&self) -> Value {
        serde_json::to_value(&*lock(&self.stats)).unwrap_or(Value::Null)
    }

    pub(crate) fn reset_stats(&self) {
        *lock(&self.stats) = Stats::default();
    }
}

const LIMIT: u64 = 5_000;
const ANON_LIMIT: u64 = 60;

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

/// The one handler: everything but `/_sandbox/*` is a GitHub request.
pub(crate) async fn handle(AxState(sh): AxState<Arc<Shared>>, req: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, 32 << 20).await.unwrap_or_default();
    if sh.opts.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(sh.opts.latency_ms)).await;
    }
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    if let Some(what) = path.strip_prefix("/_sandbox/") {
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
    let headers = &parts.headers;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let api = format!("http://{host}");
    let token = Token::from_header(
        headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok()),
    );
    let resource: &'static str = if path == "/graphql" {
        "graphql"
    } else {
        "core"
    };
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
    let now = chrono::Utc::now().timestamp();
    let rate_key = (
        token.as_ref().map_or_else(String::new, |t| t.raw.clone()),
        resource,
    );
    let limit = if token.is_some() { LIMIT } else { ANON_LIMIT };
    let window = {
        let mut rate = lock(&sh.rate);
        let w = rate.entry(rate_key.clone()).or_insert(Window {
            reset: now + 3600,
            used: 0,
        });
        if now >= w.reset {
            *w = Window {
                reset: now + 3600,
                used: 0,
            };
        }
        *w
    };
    let mut wrote = false;
    let mut reply = match &token {
        None => {
            let mut r = rest::error(401, "Requires authentication", rest::DOCS);
            r.route = format!("{method} unauthenticated");
            r
        }
        Some(_) if window.used >= limit && path != "/rate_limit" => {
            let mut r = rest::error(
                403,
                "API rate limit exceeded for user ID 1.",
                "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
            );
            r.route = format!("{method} rate-limited");
            r
        }
        Some(_) if body_bad && method != "GET" => {
            let mut r = rest::error(400, "Problems parsing JSON", rest::DOCS);
            r.route = format!("{method} {path}");
            r
        }
        Some(t) if path == "/rate_limit" && method == "GET" => {
            let core = lock(&sh.rate).get(&(t.raw.clone(), "core")).copied();
            let gql = lock(&sh.rate).get(&(t.raw.clone(), "graphql")).copied();
            let part = |w: Option<Window>| {
                let (used, reset) = w
                    .filter(|w| now < w.reset)
                    .map_or((0, now + 3600), |w| (w.used, w.reset));
                json!({"limit": LIMIT, "used": used, "remaining": LIMIT - used.min(LIMIT), "reset": reset})
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
            r
        }
        Some(t) if path == "/graphql" && method == "POST" => {
            let rate = RateView {
                limit,
                used: window.used + 1,
                reset: window.reset,
            };
            let out = graphql::execute(&mut lock(&sh.state), body_json.as_ref(), t, rate);
            wrote = out.wrote;
            let mut r = Reply::json(200, out.body);
            r.route = "POST /graphql".to_owned();
            r
        }
        Some(t) => {
            let req = Req {
                method: method.clone(),
                path: path.clone(),
                query,
                body: body_json.clone(),
                token: t.clone(),
                api: api.clone(),
            };
            let r = rest::dispatch(&mut lock(&sh.state), &req);
            wrote = method != "GET" && (200..300).contains(&r.status);
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
    let used = {
        let mut rate = lock(&sh.rate);
        let w = rate.entry(rate_key).or_insert(window);
        if counts && w.used < limit {
            w.used += 1;
        }
        w.used
    };
    let seq = sh.seq.fetch_add(1, Ordering::Relaxed);
    let mut common = vec![
        ("x-ratelimit-limit".to_owned(), limit.to_string()),
        (
            "x-ratelimit-remaining".to_owned(),
            limit.saturating_sub(used).to_string(),
        ),
        ("x-ratelimit-used".to_owned(), used.to_string()),
        ("x-ratelimit-reset".to_owned(), window.reset.to_string()),
        ("x-ratelimit-resource".to_owned(), resource.to_owned()),
        (
            "x-github-request-id".to_owned(),
            format!(
                "5A17:{:04X}:{seq:06X}:{:08X}:{:08X}",
                seq % 0xFFFF,
                seq * 7,
                now
            ),
        ),
        (
            "x-github-api-version-selected".to_owned(),
            "2022-11-28".to_owned(),
        ),
        (
            "x-github-media-type".to_owned(),
            "github.v3; format=json".to_owned(),
        ),
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
        if wrote {
            st.writes += 1;
        }
        if resource == "graphql" {
            st.graphql += 1;
        }
        if status == 304 {
            st.not_modified += 1;
        }
    }
    if sh.opts.record {
        lock(&sh.exchanges).push(Exchange {
            method: method.clone(),
            path: path.clone(),
            query: raw_query.clone(),
            request_body: body_json,
            status,
            response_headers: common.clone(),
            response_body: body.clone(),
        });
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Some(log) = &sh.log {
        let line = json!({
            "ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "method": method, "path": path, "query": raw_query, "status": status, "ms": (ms * 1000.0).round() / 1000.0,
        });
        let mut f = lock(log);
        let _ = writeln!(f, "{line}");
    }
    tracing::debug!(%method, %path, status, ms, "request");
    json_response(status, common, body.as_ref())
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
