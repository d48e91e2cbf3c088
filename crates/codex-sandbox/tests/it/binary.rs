//! The `codex-sandbox` binary: prints its URL first, serves, documents every flag.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_codex-sandbox");

#[test]
fn serve_prints_its_url_first_and_serves() {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--scenario",
            "empty",
            "--latency-ms",
            "1",
            "--seed",
            "3",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let state = rt.block_on(async {
        let octo = octocrab::Octocrab::builder()
            .base_uri(url.as_str())
            .unwrap()
            .build()
            .unwrap();
        let r = octo._get(format!("{url}/_sandbox/state")).await.unwrap();
        use http_body_util::BodyExt;
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
    });
    assert_eq!(state["scenario"]["name"], "empty");
    assert_eq!(state["scenario"]["seed"], 3);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn ghes_prints_the_api_url_and_a_bad_app_key_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("app.pem");
    std::fs::write(
        &key,
        "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    let bad = Command::new(BIN)
        .args(["serve", "--app-id", "1", "--app-public-key"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not an RSA PEM public key"));
    assert!(
        bad.stdout.is_empty(),
        "no URL printed for a sandbox that did not start"
    );

    let mut child = Command::new(BIN)
        .args(["serve", "--ghes", "--scenario", "empty"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let url = line.trim();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/api/v3"),
        "{url:?}"
    );
}

#[test]
fn app_private_key_out_writes_a_key_the_running_sandbox_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("app.pem");
    // An existing file is replaced and narrowed to its owner.
    std::fs::write(&key, "old").unwrap();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--scenario",
            "empty",
            "--app-id",
            "77",
            "--app-private-key-out",
        ])
        .arg(&key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    let pem = std::fs::read_to_string(&key).unwrap();
    assert!(
        pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"),
        "{url}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A JWT signed with the written key is the App's.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &serde_json::json!({"iat": now - 60, "exp": now + 540, "iss": 77}),
        &jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(async {
        let octo = octocrab::Octocrab::builder()
            .base_uri(url.as_str())
            .unwrap()
            .personal_token(jwt)
            .build()
            .unwrap();
        let r = octo._get(format!("{url}/app")).await.unwrap();
        use http_body_util::BodyExt;
        let status = r.status();
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
        )
    });
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(app.0, 200, "{}", app.1);
    assert_eq!(app.1["id"], 77);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("PRIVATE KEY") && !stderr.contains(&pem[40..80]));
}

#[test]
fn serve_builds_the_org_of_its_flags() {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--scenario",
            "org",
            "--repos",
            "3",
            "--issues-per-repo",
            "4",
            "--seed",
            "5",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let state = rt.block_on(async {
        let octo = octocrab::Octocrab::builder()
            .base_uri(url.as_str())
            .unwrap()
            .build()
            .unwrap();
        let r = octo._get(format!("{url}/_sandbox/state")).await.unwrap();
        use http_body_util::BodyExt;
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(state["scenario"]["name"], "org");
    assert_eq!(state["scenario"]["seed"], 5);
    let repos = state["scenario"]["repos"].as_array().unwrap();
    assert_eq!(repos.len(), 3);
    assert_eq!(repos[2]["full_name"], "acme/repo-003");
    assert_eq!(repos[0]["counts"]["issues"], 4);
}

#[test]
fn help_documents_every_flag() {
    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--addr",
        "--scenario",
        "--issues",
        "--latency-ms",
        "--seed",
        "--log",
        "--fault-rate",
        "--hang-rate",
        "--rate-limit",
        "--rate-limit-reset-secs",
        "--secondary-limit",
        "--secondary-retry-after-secs",
        "--secondary-window-secs",
        "--graphql-fault-rate",
        "--app-id",
        "--app-public-key",
        "--app-private-key-out",
        "--installation-token-ttl-secs",
        "--ghes",
        "--repos",
        "--issues-per-repo",
        "org",
        "/orgs/acme/repos",
    ] {
        assert!(text.contains(flag), "{flag} missing from:\n{text}");
    }
    let bad = Command::new(BIN)
        .args(["serve", "--fault-rate", "1.5"])
        .output()
        .unwrap();
    assert_eq!(
        bad.status.code(),
        Some(2),
        "a rate above 1 is a usage error"
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("between 0 and 1"));
    // --app-id with exactly one key source; a key source without --app-id: one line, exit 2.
    for args in [
        &["--app-id", "1"][..],
        &[
            "--app-id",
            "1",
            "--app-public-key",
            "a.pem",
            "--app-private-key-out",
            "b.pem",
        ],
        &["--app-public-key", "a.pem"],
        &["--app-private-key-out", "b.pem"],
    ] {
        let bad = Command::new(BIN).arg("serve").args(args).output().unwrap();
        assert_eq!(bad.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(bad.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains("--app-"), "{err}");
        assert!(bad.stdout.is_empty());
    }
    let top = Command::new(BIN).arg("--help").output().unwrap();
    assert!(String::from_utf8(top.stdout).unwrap().contains("serve"));
}

#[test]
fn start_in_thread_serves_blocking_callers_and_stops_on_drop() {
    let sb =
        codex_sandbox::Sandbox::start_in_thread(crate::common::opts(codex_sandbox::Scenario::Demo))
            .unwrap();
    let addr = sb.addr();
    // A plain blocking HTTP/1.1 exchange, as a binary under test would make.
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET /repos/acme/widgets/issues/1 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: token ghp_t\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("Codex self-test"));
    assert_eq!(sb.stats()["requests"], 1);
    drop(sb);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "the server stopped with its handle"
    );
}
