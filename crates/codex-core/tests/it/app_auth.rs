//! GitHub App authentication in the client. Against a tiny in-test fake that checks every JWT
//! itself: the installation is looked up and its token obtained with a JWT that verifies with
//! the App's public key, the token carries every other request, is replaced before a request
//! when it expires within five minutes and once after a 401, and no key, JWT or token reaches
//! a log line at trace level. Against the sandbox's App: a token narrowed to one repository
//! is refused on another, and one the server expired early is replaced once.

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use codex_core::app::{AppCredentials, AppId, AppKey};
use codex_core::github::ClientOptions;
use codex_core::{Credentials, Error, GitHub, RepoSlug};
use serde_json::{Value, json};

const KEY: &str = include_str!("../fixtures/app-key-pkcs1.pem");
const PUBLIC_KEY_DER: &[u8] = include_bytes!("../fixtures/app-key-public.der");

/// What the fake saw and how it answers.
#[derive(Default)]
struct Fake {
    /// Lifetime of each token it issues.
    ttl_secs: i64,
    /// Answer 401 to this many more uses of a valid installation token.
    refuse: u32,
    lookups: u32,
    minted: Vec<String>,
    mint_bodies: Vec<Value>,
    jwts: Vec<String>,
    /// The token each repository request carried.
    uses: Vec<String>,
    refused: u32,
    violations: Vec<String>,
}

type Shared = Arc<Mutex<Fake>>;

fn bearer(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned()
}

/// A JWT as GitHub checks it: RS256 signed by the App's key, `iss` 42, issued in the past,
/// at most ten minutes long.
fn jwt_problem(jwt: &str) -> Option<String> {
    check_jwt(jwt).err()
}

fn check_jwt(jwt: &str) -> Result<(), String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts.as_slice() else {
        return Err("not a JWT".into());
    };
    let decode = |p: &str| -> Result<Value, String> {
        let bytes = URL_SAFE_NO_PAD.decode(p).map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    };
    let (header, claims) = (decode(header)?, decode(claims)?);
    if header["alg"] != "RS256" {
        return Err(format!("alg {}", header["alg"]));
    }
    let now = chrono::Utc::now().timestamp();
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap_or(i64::MAX),
        claims["exp"].as_i64().unwrap_or(0),
    );
    if claims["iss"] != 42 || iat > now - 30 || exp <= now || exp - iat > 600 {
        return Err(format!("claims {claims}"));
    }
    let key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        PUBLIC_KEY_DER,
    );
    let signed = format!("{}.{}", parts[0], parts[1]);
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|e| e.to_string())?;
    key.verify(signed.as_bytes(), &signature)
        .map_err(|_| "bad signature".to_owned())
}

fn unauthorized() -> (StatusCode, Json<Value>) {
    (
        StatusCode::UNAUTHORIZED,
        Json(
            json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
        ),
    )
}

fn with_jwt(fake: &Shared, headers: &HeaderMap) -> bool {
    let jwt = bearer(headers);
    let mut f = fake.lock().unwrap();
    f.jwts.push(jwt.clone());
    match jwt_problem(&jwt) {
        None => true,
        Some(p) => {
            f.violations.push(format!("JWT refused: {p}"));
            false
        }
    }
}

async fn installation(State(fake): State<Shared>, headers: HeaderMap) -> (StatusCode, Json<Value>) {
    if !with_jwt(&fake, &headers) {
        return unauthorized();
    }
    fake.lock().unwrap().lookups += 1;
    (StatusCode::OK, Json(json!({"id": 77, "app_id": 42})))
}

async fn access_tokens(
    State(fake): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if !with_jwt(&fake, &headers) {
        return unauthorized();
    }
    let mut f = fake.lock().unwrap();
    f.mint_bodies.push(body);
    // Not GitHub's `ghs_` form, so only registration (not the prefix rule) can redact it.
    let token = format!("v1.canarytoken{:04}abcdef", f.minted.len());
    f.minted.push(token.clone());
    let expires_at = chrono::Utc::now() + chrono::Duration::seconds(f.ttl_secs);
    (
        StatusCode::CREATED,
        Json(json!({
            "token": token,
            "expires_at": expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "permissions": {"issues": "write", "metadata": "read"},
            "repository_selection": "selected",
        })),
    )
}

async fn repository(State(fake): State<Shared>, headers: HeaderMap) -> (StatusCode, Json<Value>) {
    let used = bearer(&headers);
    let mut f = fake.lock().unwrap();
    if used.starts_with("eyJ") {
        f.violations.push("a JWT on a repository endpoint".into());
        return unauthorized();
    }
    f.uses.push(used.clone());
    if f.minted.last() != Some(&used) {
        f.violations
            .push(format!("a stale or unknown token: {used}"));
        return unauthorized();
    }
    if f.refuse > 0 {
        f.refuse -= 1;
        f.refused += 1;
        return unauthorized();
    }
    (StatusCode::OK, Json(json!({"full_name": "acme/widgets"})))
}

async fn start(fake: Fake) -> (Shared, url::Url) {
    let shared = Arc::new(Mutex::new(fake));
    let app = Router::new()
        .route("/repos/acme/widgets/installation", get(installation))
        .route("/app/installations/77/access_tokens", post(access_tokens))
        .route("/repos/acme/widgets", get(repository))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (shared, url::Url::parse(&format!("http://{addr}")).unwrap())
}

fn client(api: &url::Url) -> GitHub {
    GitHub::new(ClientOptions {
        credentials: Some(Credentials::App(AppCredentials {
            app_id: AppId::Id(42),
            key: AppKey::from_pem(KEY).unwrap(),
            installation_id: None,
        })),
        repo: Some(RepoSlug::parse("acme/widgets").unwrap()),
        ..crate::common::options_at(api.clone())
    })
    .unwrap()
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_installation_token_is_obtained_once_used_everywhere_and_never_logged() {
    let capture = Capture::default();
    let sink = capture.clone();
    codex_core::logging::init_to(2, move || sink.clone());
    let (fake, api) = start(Fake {
        ttl_secs: 3600,
        ..Fake::default()
    })
    .await;
    let gh = client(&api);
    for _ in 0..2 {
        gh.get_json("repos/acme/widgets").await.unwrap();
    }
    assert_eq!(gh.credential_description().await, "App 42, installation 77");
    let permissions = gh.app_permissions().await.unwrap().unwrap();
    assert_eq!(permissions["issues"], "write");
    let f = fake.lock().unwrap();
    assert!(f.violations.is_empty(), "{:?}", f.violations);
    assert_eq!((f.lookups, f.minted.len()), (1, 1));
    assert_eq!(f.mint_bodies, [json!({"repositories": ["widgets"]})]);
    assert_eq!(f.uses, [f.minted[0].clone(), f.minted[0].clone()]);
    let stats = gh.stats();
    assert_eq!((stats.app_jwt_requests, stats.installation_tokens), (2, 1));
    assert_eq!(stats.requests, 4);

    tracing::trace!(a = %f.minted[0], b = %f.jwts[0], "a careless trace line");
    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("a careless trace line"), "{log}");
    let key_lines = KEY.lines().filter(|l| !l.starts_with("-----"));
    let secrets: Vec<&str> = f
        .minted
        .iter()
        .chain(&f.jwts)
        .map(String::as_str)
        .chain(key_lines)
        .collect();
    let debug = format!("{gh:?} {:?}", client(&api));
    for secret in secrets {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[tokio::test]
async fn a_token_about_to_expire_is_replaced_before_the_request() {
    // Four minutes of life: inside the five-minute margin, so each request gets a new one.
    let (fake, api) = start(Fake {
        ttl_secs: 240,
        ..Fake::default()
    })
    .await;
    let gh = client(&api);
    for _ in 0..3 {
        gh.get_json("repos/acme/widgets").await.unwrap();
    }
    let f = fake.lock().unwrap();
    assert!(f.violations.is_empty(), "{:?}", f.violations);
    assert_eq!((f.lookups, f.minted.len(), f.refused), (1, 3, 0));
    assert_eq!(f.uses, f.minted);
    assert_eq!(gh.stats().installation_tokens, 3);
}

#[tokio::test]
async fn a_refused_token_is_replaced_once_and_the_request_sent_again() {
    let (fake, api) = start(Fake {
        ttl_secs: 3600,
        refuse: 1,
        ..Fake::default()
    })
    .await;
    let gh = client(&api);
    gh.get_json("repos/acme/widgets").await.unwrap();
    assert_eq!(fake.lock().unwrap().minted.len(), 2);

    // Refused again and again: one replacement, then the 401 stands.
    fake.lock().unwrap().refuse = 5;
    let err = gh.get_json("repos/acme/widgets").await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    let f = fake.lock().unwrap();
    assert_eq!((f.minted.len(), f.refused), (3, 3));
    assert!(f.violations.is_empty(), "{:?}", f.violations);
}

#[tokio::test]
async fn a_token_narrowed_to_one_repository_is_refused_on_another() {
    let (sb, gh) = sandbox_and_app_client().await;
    let widgets = RepoSlug::parse("acme/widgets").unwrap();
    let gadgets = RepoSlug::parse("acme/gadgets").unwrap();
    gh.repository(&widgets).await.unwrap();
    // Same installation, but the token was narrowed to acme/widgets.
    let err = gh.repository(&gadgets).await.unwrap_err();
    assert!(err.is_missing(), "{err:?}");
    let app = &sb.stats()["app"];
    assert_eq!(app["out_of_reach"], 1, "{app:#}");
    assert_eq!(app["tokens_issued"], 1, "refused, not replaced: {app:#}");
    assert_eq!(
        app["issued"][0]["repositories"],
        json!(["acme/widgets"]),
        "{app:#}"
    );
}

#[tokio::test]
async fn a_token_the_server_expired_early_is_replaced_once_and_the_request_repeated() {
    let (sb, gh) = sandbox_and_app_client().await;
    let widgets = RepoSlug::parse("acme/widgets").unwrap();
    gh.repository(&widgets).await.unwrap();
    gh.labels(&widgets).await.unwrap();
    assert_eq!(
        sb.stats()["app"]["tokens_issued"],
        1,
        "one token serves both"
    );
    // GitHub's clock jumps past the token's end between two requests: the client, which
    // last heard an hour earlier, sends the old token once, then a new one.
    sb.advance_clock(3700);
    gh.labels(&widgets).await.unwrap();
    let app = &sb.stats()["app"];
    assert_eq!(app["tokens_issued"], 2, "{app:#}");
    assert_eq!(app["expired_token_requests"], 1, "{app:#}");
    assert_eq!(gh.stats().installation_tokens, 2);
    // The answers' Date headers moved the client's idea of the server's clock.
    let ahead = gh.server_now() - chrono::Utc::now();
    assert!(ahead > chrono::Duration::seconds(3600), "{ahead:?}");
}

/// The demo sandbox with the tests' App, and a client of it as that App for acme/widgets.
async fn sandbox_and_app_client() -> (codex_sandbox::Sandbox, GitHub) {
    let sb = crate::common::sandbox(codex_sandbox::SandboxOptions {
        app: Some(crate::common::app_options()),
        ..codex_sandbox::SandboxOptions::default()
    })
    .await;
    let gh = GitHub::new(ClientOptions {
        credentials: Some(Credentials::App(crate::common::app_credentials())),
        repo: Some(RepoSlug::parse("acme/widgets").unwrap()),
        ..crate::common::options(&sb)
    })
    .unwrap();
    (sb, gh)
}
