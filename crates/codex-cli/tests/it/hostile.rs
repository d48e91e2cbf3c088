//! The real binaries against a hostile server: every answer reflects the request's
//! `Authorization` header (as written, percent-encoded and JSON-escaped), carries workflow
//! commands after line breaks, ANSI escapes and a 2 MB message, as 500, 403, 422 and HTML 502
//! answers and GraphQL 200 errors. The canary token must reach no output: telemetry,
//! `dashboard.json`, stdout, stderr or the job summary; no output line may begin with `::`
//! but Codex's own annotations; no message in telemetry may exceed the bound.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{REPO, Run, clean_command};

const CANARY: &str = "ghp_CanaryZ0123456789canaryZ9876543210Q";
/// A stretch of the canary that no redaction mask or ordinary text contains.
const CANARY_CORE: &str = "CanaryZ0123456789canaryZ";
/// `codex_core::redact::MESSAGE_LIMIT`.
const MESSAGE_LIMIT: usize = 500;
const BIG: usize = 2 * 1024 * 1024;

/// A GitHub App's installation token the hostile server hands out: not in `ghs_` form, so no
/// prefix rule can hide it; only its registration as a secret can.
const TOKEN_CANARY: &str = "v1.InstCanary0123456789abcdefInstCanary";
const TOKEN_CANARY_CORE: &str = "InstCanary0123456789abcdef";

/// What the hostile server saw: every `Authorization` header.
type Seen = Arc<Mutex<Vec<String>>>;

/// A server that answers every request with hostile text, on its own threads. With `app`, it
/// plays a GitHub App's side well enough for Codex to get an installation token
/// ([`TOKEN_CANARY`]), echoing the JWT in its answers, then echoes the token everywhere else.
fn hostile_server(app: bool) -> (SocketAddr, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let seen = Seen::default();
    let recorder = Arc::clone(&seen);
    std::thread::spawn(move || {
        let count = Arc::new(AtomicUsize::new(0));
        for stream in listener.incoming().flatten() {
            let count = Arc::clone(&count);
            let seen = Arc::clone(&recorder);
            std::thread::spawn(move || {
                let _ = answer(stream, &count, app, &seen);
            });
        }
    });
    (addr, seen)
}

fn percent_encode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn answer(
    mut stream: TcpStream,
    count: &AtomicUsize,
    app: bool,
    seen: &Seen,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let length: usize = header("content-length").parse().unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body)?;
    let auth = header("authorization");
    seen.lock().expect("not poisoned").push(auth.clone());
    let n = count.fetch_add(1, Ordering::Relaxed);
    let escaped: String = auth
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let message = format!(
        "proxy echo: Authorization: {auth}; encoded {}; escaped {escaped}\n::add-mask::x\n::stop-commands::y\r\n::error::forged\n\u{1b}[31mred\u{1b}[0m\u{1b}]0;title\u{7}\u{1b}[2K\r##[set-env name=X]y\n{}\n{auth}",
        percent_encode(&auth),
        "A".repeat(BIG)
    );
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let app_route = |suffix: &str| {
        app && request_line
            .split(' ')
            .nth(1)
            .is_some_and(|p| p.ends_with(suffix))
    };
    let (status, content_type, body) = if app_route("/installation") && n.is_multiple_of(2) {
        // The installation: its JWT echoed in a 500 first, then found.
        (
            "500 Internal Server Error",
            "application/json",
            json!({"message": message}).to_string(),
        )
    } else if app_route("/installation") {
        (
            "200 OK",
            "application/json",
            json!({"id": 7, "app_id": 42, "echo": message.chars().take(4000).collect::<String>()})
                .to_string(),
        )
    } else if app_route("/access_tokens") {
        let expires = chrono::Utc::now() + chrono::Duration::hours(1);
        (
            "201 Created",
            "application/json",
            json!({
                "token": TOKEN_CANARY,
                "expires_at": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "permissions": {"issues": format!("write {auth}"), "metadata": "read"},
                "echo": message.chars().take(4000).collect::<String>(),
            })
            .to_string(),
        )
    } else if request_line.contains("/graphql") {
        (
            "200 OK",
            "application/json",
            json!({"data": null, "errors": [{"type": "FORBIDDEN", "message": message}]})
                .to_string(),
        )
    } else {
        match n % 4 {
            0 => (
                "500 Internal Server Error",
                "application/json",
                json!({"message": message}).to_string(),
            ),
            1 => (
                "403 Forbidden",
                "application/json",
                json!({"message": message, "documentation_url": "https://docs.github.com"})
                    .to_string(),
            ),
            2 => (
                "422 Unprocessable Entity",
                "application/json",
                json!({"message": message, "errors": [{"message": message}]}).to_string(),
            ),
            _ => (
                "502 Bad Gateway",
                "text/html",
                format!("<html><body><h1>502 Bad Gateway</h1>\n<pre>{message}</pre></body></html>"),
            ),
        }
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nX-Echo: {}\r\nConnection: close\r\n\r\n",
        body.len(),
        percent_encode(&auth)
    )?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

fn run(
    binary: &str,
    credentials: &[(&str, &str)],
    api: &str,
    pages: &Path,
    summary: &Path,
    args: &[&str],
) -> Run {
    let mut cmd = clean_command(binary);
    cmd.env("GITHUB_REPOSITORY", REPO)
        .envs(credentials.iter().copied())
        .env("GITHUB_API_URL", api)
        .env("CODEX_PAGES_DIR", pages)
        .env("GITHUB_RUN_ID", "hostile")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", summary)
        .env("CODEX_MAX_RETRIES", "1")
        .env("CODEX_RETRY_BASE_MS", "0")
        .env("CODEX_MAX_WAIT_SECS", "0")
        .env("CODEX_HTTP_TIMEOUT_SECS", "20")
        .env("RUST_LOG", "trace")
        .args(args);
    cmd.output().expect("binary runs").into()
}

/// Any of `secrets` (each a secret or a stretch of one no ordinary text contains) in `text`,
/// as written or percent-encoded.
#[track_caller]
fn assert_no_secret(what: &str, text: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a secret ({}…) reached {what}",
            &secret[..secret.len().min(6)]
        );
        let encoded = percent_encode(secret);
        assert!(
            !text.contains(&encoded[..encoded.len().min(30)]),
            "a percent-encoded secret reached {what}"
        );
    }
}

/// The token canary and its core.
fn token_secrets() -> Vec<String> {
    vec![CANARY.to_owned(), CANARY_CORE.to_owned()]
}

/// No line of a stream begins with `::` but Codex's own annotations, and no escape sequence.
#[track_caller]
fn assert_no_commands(what: &str, text: &str) {
    for line in text.lines() {
        let start = line.trim_start();
        assert!(
            !start.starts_with("::")
                || start.starts_with("::warning::")
                || start.starts_with("::error::"),
            "{what} has a workflow command line: {}",
            &line[..line.len().min(200)]
        );
        assert!(
            !line.contains("##["),
            "{what} has a v1 workflow command: {}",
            &line[..line.len().min(200)]
        );
    }
    assert!(
        !text.contains('\u{1b}'),
        "{what} carries an escape sequence"
    );
}

/// Every string of a JSON document within the bound, and no secret.
fn assert_json_clean(what: &str, value: &Value, secrets: &[String]) {
    match value {
        Value::String(s) => {
            assert_no_secret(what, s, secrets);
            assert!(
                s.chars().count() <= MESSAGE_LIMIT,
                "{what}: a string of {} characters: {}…",
                s.chars().count(),
                &s[..s.len().min(200)]
            );
            assert!(!s.contains('\u{1b}'), "{what}: an escape sequence");
            assert!(
                !s.trim_start().starts_with("::"),
                "{what}: a message beginning with a workflow command: {s}"
            );
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| assert_json_clean(what, v, secrets)),
        Value::Object(map) => map
            .values()
            .for_each(|v| assert_json_clean(what, v, secrets)),
        _ => {}
    }
}

#[test]
fn a_hostile_server_cannot_leak_the_token_or_steer_the_runner() {
    let (addr, _) = hostile_server(false);
    hostile_run(&format!("http://{addr}"), &[("GH_CI_PAT", CANARY)], &|| {
        token_secrets()
    });
}

#[test]
fn a_hostile_server_cannot_leak_an_app_key_jwt_or_installation_token() {
    let key = include_str!("../../../codex-core/tests/fixtures/app-key-pkcs1.pem");
    let (addr, seen) = hostile_server(true);
    let secrets = || {
        // The key's body lines, every JWT Codex sent (whole and its signature), the token.
        let mut secrets: Vec<String> = key
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .map(str::to_owned)
            .collect();
        let seen = seen.lock().expect("not poisoned");
        let jwts: Vec<&str> = seen
            .iter()
            .filter_map(|auth| auth.strip_prefix("Bearer "))
            .filter(|t| t.matches('.').count() == 2 && t.starts_with("eyJ"))
            .collect();
        assert!(!jwts.is_empty(), "Codex sent no JWT: {seen:?}");
        for jwt in jwts {
            secrets.push(jwt.to_owned());
            secrets.push(jwt.rsplit('.').next().unwrap_or_default().to_owned());
        }
        assert!(
            seen.iter().any(|auth| auth.ends_with(TOKEN_CANARY)),
            "Codex never used the installation token"
        );
        secrets.extend([TOKEN_CANARY.to_owned(), TOKEN_CANARY_CORE.to_owned()]);
        secrets
    };
    hostile_run(
        &format!("http://{addr}"),
        &[("CODEX_APP_ID", "42"), ("CODEX_APP_PRIVATE_KEY", key)],
        &secrets,
    );
}

/// Codex's components against the hostile server at `api` with `credentials`: nothing
/// `secrets` names (asked for once the runs are over) reaches any output, and no output
/// steers the runner.
fn hostile_run(api: &str, credentials: &[(&str, &str)], secrets: &dyn Fn() -> Vec<String>) {
    let pages = tempfile::tempdir().expect("temporary directory");
    let summary_dir = tempfile::tempdir().expect("temporary directory");
    let summary = summary_dir.path().join("step-summary.md");

    let mut outputs = Vec::new();
    for (binary, args) in [
        ("codex-project-sync", &[][..]),
        ("codex-diagnostics", &["--repair"][..]),
        ("codex-self-test", &[][..]),
        ("codex-telemetry-merge", &[][..]),
    ] {
        let out = run(binary, credentials, api, pages.path(), &summary, args);
        out.expect_code(0);
        assert_no_commands(&format!("{binary}'s stdout"), &out.stdout);
        assert_no_commands(&format!("{binary}'s stderr"), &out.stderr);
        assert!(
            out.stdout.len() + out.stderr.len() < 200_000,
            "{binary} printed {} bytes",
            out.stdout.len() + out.stderr.len()
        );
        outputs.push((format!("{binary}'s stdout"), out.stdout));
        outputs.push((format!("{binary}'s stderr"), out.stderr));
    }
    let secrets = secrets();
    for (what, text) in &outputs {
        assert_no_secret(what, text, &secrets);
    }

    let telemetry: Vec<_> = std::fs::read_dir(pages.path().join("telemetry"))
        .expect("telemetry written")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(telemetry.len(), 3, "{telemetry:?}");
    let mut errors = 0;
    for path in &telemetry {
        let text = std::fs::read_to_string(path).expect("telemetry readable");
        assert_no_secret(&path.display().to_string(), &text, &secrets);
        assert!(
            text.len() < 100_000,
            "{} is {} bytes",
            path.display(),
            text.len()
        );
        let doc: Value = serde_json::from_str(&text).expect("telemetry is JSON");
        assert_json_clean(&path.display().to_string(), &doc, &secrets);
        errors += doc["errors"].as_array().map_or(0, Vec::len);
        errors += doc["warnings"].as_array().map_or(0, Vec::len);
    }
    assert!(errors > 0, "the server's failures were not reported at all");

    let dashboard = pages.path().join("dashboard").join("dashboard.json");
    let text = std::fs::read_to_string(&dashboard).expect("dashboard.json written");
    assert_no_secret("dashboard.json", &text, &secrets);
    assert_json_clean(
        "dashboard.json",
        &serde_json::from_str(&text).expect("dashboard.json is JSON"),
        &secrets,
    );

    let md = std::fs::read_to_string(&summary).expect("job summary written");
    assert_no_secret("the job summary", &md, &secrets);
    assert!(!md.contains('\u{1b}'), "the job summary carries escapes");
    assert!(md.len() < 100_000, "the job summary is {} bytes", md.len());
}

#[test]
fn credentials_in_the_api_url_are_refused_without_echoing_them() {
    let pages = tempfile::tempdir().expect("temporary directory");
    let summary = pages.path().join("summary.md");
    for (var, url) in [
        (
            "GITHUB_API_URL",
            format!("https://x-access-token:{CANARY}@127.0.0.1:9/api/v3"),
        ),
        (
            "GITHUB_GRAPHQL_URL",
            format!("https://{CANARY}@127.0.0.1:9/graphql"),
        ),
    ] {
        let mut cmd = clean_command("codex-project-sync");
        cmd.env("GITHUB_REPOSITORY", REPO)
            .env("GH_CI_PAT", "ghp_anothertoken0000000000000000000000")
            .env("CODEX_PAGES_DIR", pages.path())
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env(var, &url);
        let out: Run = cmd.output().expect("binary runs").into();
        out.expect_code(2);
        assert_no_secret("stderr", &out.stderr, &token_secrets());
        assert_no_secret("stdout", &out.stdout, &token_secrets());
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{}", out.stderr);
        assert!(
            lines[0].contains("must not carry credentials") && lines[0].contains("GH_CI_PAT"),
            "{}",
            lines[0]
        );
        assert!(
            !pages.path().join("telemetry").exists(),
            "nothing is written"
        );
    }
}
