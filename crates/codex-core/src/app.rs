//! GitHub App authentication: the App's id and private key, the RS256 JWT signed with it, and
//! the installation access token it buys (CONTRACT.md section 2).
//!
//! Every secret here is registered with [`crate::redact`] the moment it exists (the key's PEM
//! text and each of its lines, every JWT, every installation token), and no type here prints
//! one: their `Debug` says `<redacted>` and none has a `Display`.
//!
//! # Why not octocrab's App support
//!
//! octocrab has it (`OctocrabBuilder::app`, `Octocrab::installation`, with its `jwt-*`
//! features), and it does not fit our transport ([`crate::GitHub`]):
//!
//! - it mints and refreshes installation tokens *inside* `Octocrab::execute`, through its own
//!   sender: those requests would bypass our governor (rate limits, retries, the run's stop)
//!   and our request counts, and the token would never pass through our hands to be
//!   registered with the redactor;
//! - it attaches the `Authorization` header only to requests whose URL has no authority or
//!   the authority `api.github.com`: our requests carry absolute URLs, so on GitHub Enterprise
//!   Server and against the sandbox it would send none at all;
//! - it refreshes 30 seconds before expiry, and on a 401 it repeats the request itself,
//!   writes included, invisibly to our retry policy;
//! - it needs `jsonwebtoken` plus a crypto backend (`rsa` or `aws-lc-rs`) that are not in
//!   the tree, where `ring` (rustls's backend) and `rustls-pki-types` (PEM) already are.
//!
//! So the client keeps octocrab as a transport and does the App flow in its one request path
//! ([`crate::GitHub`]): the JWT is a few lines over `ring`'s RSASSA-PKCS1-v1_5 SHA-256.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use serde_json::Value;

use crate::config::Token;

/// How far in the past a JWT's `iat` is put, for clock drift (GitHub's advice: 60 s).
pub const JWT_BACKDATE: Duration = Duration::seconds(60);
/// A JWT's lifetime from its `iat` (GitHub allows at most 10 minutes; a margin stays).
pub const JWT_LIFETIME: Duration = Duration::seconds(9 * 60);
/// An installation token is replaced before a request when it expires within this long, so
/// no request is sent with a token that could expire in flight.
pub const REFRESH_MARGIN: Duration = Duration::minutes(5);

/// The App, as `iss` of its JWTs: its numeric id, or its client id (`Iv1.…`, `Iv23…`), which
/// GitHub accepts as `iss` too (and recommends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppId {
    /// The numeric App id.
    Id(u64),
    /// The client id.
    ClientId(String),
}

impl AppId {
    /// Parse `CODEX_APP_ID`: a positive whole number, or a client id (`Iv` then letters,
    /// digits and dots, 10 to 40 characters). The error is the message of a one-line
    /// configuration error.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if let Ok(n) = raw.parse::<u64>()
            && n > 0
        {
            return Ok(AppId::Id(n));
        }
        let client_id = raw.starts_with("Iv")
            && (10..=40).contains(&raw.len())
            && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '.');
        if client_id {
            Ok(AppId::ClientId(raw.to_owned()))
        } else {
            Err(format!(
                "expected the App's numeric id (or its client id, Iv…), got {raw:?}"
            ))
        }
    }

    fn claim(&self) -> Value {
        match self {
            AppId::Id(n) => Value::from(*n),
            AppId::ClientId(s) => Value::from(s.as_str()),
        }
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppId::Id(n) => write!(f, "{n}"),
            AppId::ClientId(s) => f.write_str(s),
        }
    }
}

/// The App's RSA private key, parsed. Its `Debug` is redacted; the PEM text was registered
/// with the redactor before parsing.
#[derive(Clone)]
pub struct AppKey(Arc<RsaKeyPair>);

impl fmt::Debug for AppKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppKey(<redacted>)")
    }
}

impl PartialEq for AppKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.public().as_ref() == other.0.public().as_ref()
    }
}

impl Eq for AppKey {}

impl AppKey {
    /// Parse a PEM RSA private key (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`). The
    /// text, and each of its lines, is registered as a secret first. The error never quotes
    /// the key.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        crate::redact::register_secret(pem.trim());
        for line in pem.lines().map(str::trim) {
            if !line.starts_with("-----") {
                crate::redact::register_secret(line);
            }
        }
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|_| {
            "not a PEM private key (expected -----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----)"
                .to_owned()
        })?;
        let pair = match &der {
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
            PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            _ => return Err("not an RSA private key (an App's key is RSA)".to_owned()),
        }
        .map_err(|e| format!("not a usable RSA private key ({e})"))?;
        Ok(AppKey(Arc::new(pair)))
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let mut signature = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| "RSA signing failed".to_owned())?;
        Ok(signature)
    }
}

/// What a run authenticates as: one place for the credential kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A token (`GH_CI_PAT` or `GITHUB_TOKEN`).
    Token {
        /// The token.
        token: Token,
        /// The variable it came from.
        source: &'static str,
    },
    /// A GitHub App: JWTs on `/app…`, installation tokens on everything else.
    App(AppCredentials),
}

impl Credentials {
    /// The token, when the credential is one.
    pub fn token(&self) -> Option<&Token> {
        match self {
            Credentials::Token { token, .. } => Some(token),
            Credentials::App(_) => None,
        }
    }

    /// The variable a token came from; `CODEX_APP_ID` for an App.
    pub fn source(&self) -> &'static str {
        match self {
            Credentials::Token { source, .. } => source,
            Credentials::App(_) => crate::env::CODEX_APP_ID,
        }
    }
}

/// A GitHub App's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCredentials {
    /// `CODEX_APP_ID`.
    pub app_id: AppId,
    /// `CODEX_APP_PRIVATE_KEY` or the file `CODEX_APP_PRIVATE_KEY_FILE` names.
    pub key: AppKey,
    /// `CODEX_APP_INSTALLATION_ID`; none: looked up for the repository
    /// (`GET /repos/{owner}/{repo}/installation`).
    pub installation_id: Option<u64>,
}

impl AppCredentials {
    /// A fresh JWT for `/app…` requests: RS256, `iat` a minute before `now`, `exp`
    /// [`JWT_LIFETIME`] after `iat`, `iss` the App. Registered with the redactor.
    pub fn jwt(&self, now: DateTime<Utc>) -> Result<Jwt, String> {
        let iat = now - JWT_BACKDATE;
        let exp = iat + JWT_LIFETIME;
        let header = serde_json::json!({ "alg": "RS256", "typ": "JWT" });
        let claims = serde_json::json!({
            "iat": iat.timestamp(),
            "exp": exp.timestamp(),
            "iss": self.app_id.claim(),
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.key.sign(signing_input.as_bytes())?;
        let jwt = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature));
        crate::redact::register_secret(&jwt);
        Ok(Jwt(jwt))
    }
}

/// A signed JWT. Redacted `Debug`, no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Jwt(String);

impl Jwt {
    /// The JWT itself, for the one place that builds the `Authorization` header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Jwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Jwt(<redacted>)")
    }
}

/// An installation access token, from `POST /app/installations/{id}/access_tokens`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallationToken {
    /// The token (registered with the redactor by [`Token::new`]).
    pub token: Token,
    /// When GitHub stops accepting it.
    pub expires_at: DateTime<Utc>,
    /// What it may do: permission name → `read` / `write` / `admin`.
    pub permissions: BTreeMap<String, String>,
}

impl InstallationToken {
    /// Read GitHub's answer (`{token, expires_at, permissions, …}`). The token is registered
    /// before anything else is read.
    pub fn from_answer(answer: &Value) -> Result<Self, String> {
        let token = answer
            .get("token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(Token::new)
            .ok_or("the access_tokens answer has no token")?;
        let expires_at = answer
            .get("expires_at")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<DateTime<Utc>>().ok())
            .ok_or("the access_tokens answer has no valid expires_at")?;
        let permissions = permissions_of(answer);
        Ok(InstallationToken {
            token,
            expires_at,
            permissions,
        })
    }

    /// True when the token must be replaced before a request sent at `now`.
    pub fn needs_refresh(&self, now: DateTime<Utc>) -> bool {
        self.expires_at - now < REFRESH_MARGIN
    }
}

/// An answer's `permissions` object: permission name → `read` / `write` / `admin`.
fn permissions_of(answer: &Value) -> BTreeMap<String, String> {
    answer
        .get("permissions")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// The App itself (`GET /app`): what its settings ask of every installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInfo {
    /// The App's numeric id.
    pub id: u64,
    /// Its URL name (`codex-bot`); the bot account is `<slug>[bot]`.
    pub slug: String,
    /// The permissions the App asks for; an installation grants them once an owner accepts.
    pub permissions: BTreeMap<String, String>,
}

impl AppInfo {
    /// Read `GET /app`'s answer.
    pub fn from_answer(answer: &Value) -> Result<Self, String> {
        Ok(AppInfo {
            id: answer
                .get("id")
                .and_then(Value::as_u64)
                .ok_or("the App answer has no id")?,
            slug: answer
                .get("slug")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            permissions: permissions_of(answer),
        })
    }
}

/// One installation of the App (`GET /app/installations`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    /// The installation id (`CODEX_APP_INSTALLATION_ID`).
    pub id: u64,
    /// The user or organisation it is installed on (empty when GitHub did not say).
    pub account: String,
    /// `all` or `selected` repositories.
    pub repository_selection: String,
}

impl Installation {
    /// Read the installations of `GET /app/installations`' answer (items without an id are
    /// skipped).
    pub fn list_from_answer(answer: &Value) -> Vec<Self> {
        answer
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| {
                Some(Installation {
                    id: item.get("id")?.as_u64()?,
                    account: item
                        .pointer("/account/login")
                        .or_else(|| item.pointer("/account/slug"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    repository_selection: item
                        .get("repository_selection")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                })
            })
            .collect()
    }
}

/// Where a missing permission must be fixed: [`missing_permissions`] of what the App asks
/// for names what its settings lack (an App owner adds them there); what the App asks for
/// but the installation lacks waits for an owner of the account to accept it.
pub fn missing_where(
    app: &BTreeMap<String, String>,
    installation: &BTreeMap<String, String>,
    pages: bool,
) -> (Vec<String>, Vec<String>) {
    let in_settings = missing_permissions(app, pages);
    let unaccepted = missing_permissions(installation, pages)
        .into_iter()
        .filter(|p| !in_settings.contains(p))
        .collect();
    (in_settings, unaccepted)
}

/// The permissions Codex needs of an installation, each as `(name, level)`; `contents: write`
/// (instead of `read`) only where this credential publishes Pages.
pub fn needed_permissions(pages: bool) -> Vec<(&'static str, &'static str)> {
    vec![
        ("issues", "write"),
        ("organization_projects", "write"),
        ("actions_variables", "read"),
        ("metadata", "read"),
        // Diagnostics reads the gh-pages layout; publishing needs more.
        ("contents", if pages { "write" } else { "read" }),
    ]
}

/// What `granted` lacks of [`needed_permissions`], as `name: level` (`admin` ⊇ `write` ⊇
/// `read`). Projects (v2) belong to an organisation and an App reaches them only through
/// `organization_projects`: `repository_projects` is for classic projects, which GitHub
/// retired, and an App cannot reach a user's Projects at all.
pub fn missing_permissions(granted: &BTreeMap<String, String>, pages: bool) -> Vec<String> {
    let rank = |level: &str| match level {
        "read" => 1,
        "write" => 2,
        "admin" => 3,
        _ => 0,
    };
    let has = |name: &str, level: &str| {
        granted
            .get(name)
            .is_some_and(|got| rank(got) >= rank(level))
    };
    needed_permissions(pages)
        .into_iter()
        .filter(|(name, level)| !has(name, level))
        .map(|(name, level)| format!("{name}: {level}"))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A 2048-bit RSA key generated for these tests only (PKCS#1); it signs nothing real.
    pub(crate) const TEST_KEY_PKCS1: &str = include_str!("../tests/fixtures/app-key-pkcs1.pem");
    /// The same key as PKCS#8.
    pub(crate) const TEST_KEY_PKCS8: &str = include_str!("../tests/fixtures/app-key-pkcs8.pem");
    /// Its public key (PKCS#1 `RSAPublicKey` DER), for verifying signatures.
    const TEST_PUBLIC_KEY_DER: &[u8] = include_bytes!("../tests/fixtures/app-key-public.der");

    fn creds() -> AppCredentials {
        AppCredentials {
            app_id: AppId::Id(42),
            key: AppKey::from_pem(TEST_KEY_PKCS1).unwrap(),
            installation_id: None,
        }
    }

    #[test]
    fn app_ids_are_numbers_or_client_ids() {
        assert_eq!(AppId::parse(" 123 "), Ok(AppId::Id(123)));
        assert_eq!(
            AppId::parse("Iv23liAbCdEf012345"),
            Ok(AppId::ClientId("Iv23liAbCdEf012345".into()))
        );
        for bad in ["0", "-3", "abc", "12a", "Iv1", "Iv1.../x", ""] {
            assert!(AppId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn pkcs1_and_pkcs8_keys_parse_to_the_same_key_and_others_are_refused() {
        let one = AppKey::from_pem(TEST_KEY_PKCS1).unwrap();
        let eight = AppKey::from_pem(TEST_KEY_PKCS8).unwrap();
        assert_eq!(one, eight);
        for bad in [
            "",
            "hello",
            "-----BEGIN RSA PRIVATE KEY-----\nAAAAAAAAAAAA\n-----END RSA PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKQ3NxsY1Nd0lPOBMtB5m7xT+CSP6aKbnvqqBC8Npe2f\n-----END PRIVATE KEY-----\n",
        ] {
            let err = AppKey::from_pem(bad).unwrap_err();
            assert!(
                !err.contains("AAAAAAAAAAAA") && !err.contains("MC4C"),
                "{err}"
            );
        }
    }

    #[test]
    fn the_jwt_is_rs256_backdated_short_lived_and_verifies_with_the_public_key() {
        let now: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        let jwt = creds().jwt(now).unwrap();
        let parts: Vec<&str> = jwt.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        let decode = |p: &str| -> Value {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
        };
        assert_eq!(
            decode(parts[0]),
            serde_json::json!({"alg": "RS256", "typ": "JWT"})
        );
        let claims = decode(parts[1]);
        let iat = claims["iat"].as_i64().unwrap();
        let exp = claims["exp"].as_i64().unwrap();
        assert_eq!(iat, now.timestamp() - 60);
        assert!(exp > now.timestamp() && exp - iat <= 600, "{claims}");
        assert_eq!(claims["iss"], 42);
        let public = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            TEST_PUBLIC_KEY_DER,
        );
        let signed = format!("{}.{}", parts[0], parts[1]);
        public
            .verify(
                signed.as_bytes(),
                &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
            )
            .expect("signature verifies");
        assert_eq!(format!("{jwt:?}"), "Jwt(<redacted>)");
    }

    #[test]
    fn installation_tokens_refresh_within_five_minutes_of_expiry() {
        let answer = serde_json::json!({
            "token": "ghs_canaryInstallationToken0123",
            "expires_at": "2026-12-01T11:00:00Z",
            "permissions": {"issues": "write", "metadata": "read"},
        });
        let token = InstallationToken::from_answer(&answer).unwrap();
        assert!(!token.needs_refresh("2026-12-01T10:54:59Z".parse().unwrap()));
        assert!(token.needs_refresh("2026-12-01T10:55:01Z".parse().unwrap()));
        assert!(!format!("{token:?}").contains("canary"));
        assert!(!crate::redact::clean("x ghs_canaryInstallationToken0123 y").contains("canary"));
        assert!(InstallationToken::from_answer(&serde_json::json!({"token": "x"})).is_err());
    }

    #[test]
    fn missing_permissions_are_named() {
        let granted = perms(&[
            ("issues", "write"),
            // Classic projects: not the organisation's Projects Codex works with.
            ("repository_projects", "admin"),
            ("contents", "read"),
            ("metadata", "read"),
        ]);
        assert_eq!(
            missing_permissions(&granted, true),
            [
                "organization_projects: write",
                "actions_variables: read",
                "contents: write"
            ]
        );
        assert_eq!(
            missing_permissions(&granted, false),
            ["organization_projects: write", "actions_variables: read"]
        );
        assert_eq!(missing_permissions(&BTreeMap::new(), false).len(), 5);
        // admin covers write covers read.
        let ample = perms(&[
            ("issues", "admin"),
            ("organization_projects", "admin"),
            ("actions_variables", "write"),
            ("metadata", "read"),
            ("contents", "write"),
        ]);
        assert!(missing_permissions(&ample, true).is_empty());
    }

    fn perms(list: &[(&str, &str)]) -> BTreeMap<String, String> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn what_the_app_lacks_is_told_apart_from_what_the_installation_has_not_accepted() {
        let app = perms(&[
            ("issues", "write"),
            ("organization_projects", "write"),
            ("metadata", "read"),
            ("contents", "read"),
        ]);
        let installation = perms(&[("issues", "write"), ("metadata", "read")]);
        let (settings, unaccepted) = missing_where(&app, &installation, false);
        assert_eq!(settings, ["actions_variables: read"]);
        assert_eq!(
            unaccepted,
            ["organization_projects: write", "contents: read"]
        );
    }

    #[test]
    fn app_and_installations_answers_are_read() {
        let app = AppInfo::from_answer(&serde_json::json!({
            "id": 42, "slug": "codex-bot", "permissions": {"issues": "write", "odd": 3}
        }))
        .unwrap();
        assert_eq!((app.id, app.slug.as_str()), (42, "codex-bot"));
        assert_eq!(app.permissions, perms(&[("issues", "write")]));
        assert!(AppInfo::from_answer(&serde_json::json!({"slug": "x"})).is_err());
        let list = Installation::list_from_answer(&serde_json::json!([
            {"id": 1, "account": {"login": "acme"}, "repository_selection": "all"},
            {"id": 2, "account": {"slug": "big-enterprise"}, "repository_selection": "selected"},
            {"id": 3, "account": null},
            {"account": {"login": "no-id"}}
        ]));
        assert_eq!(
            list.iter()
                .map(|i| (i.id, i.account.as_str()))
                .collect::<Vec<_>>(),
            [(1, "acme"), (2, "big-enterprise"), (3, "")]
        );
        assert!(Installation::list_from_answer(&serde_json::json!({"message": "x"})).is_empty());
    }
}
