//! The GitHub App side: one App (`--app-id`, `--app-public-key`) whose JWTs are verified as
//! GitHub verifies them, its installations (by default one per repository owner, ids from 1),
//! and the installation access tokens it mints, which expire and reach only their
//! installation's repositories (or the narrowed list they were minted for).
//!
//! JWTs are checked with `jsonwebtoken` (RS256 only, the signature against the App's public
//! key), then the claims the way GitHub documents them: `iss` the App id (string or number) or
//! its client id, `exp` in the future and at most 10 minutes after `iat`, `iat` not ahead of the
//! sandbox's clock by more than [`SKEW`] seconds.

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

use crate::auth::{Access, Reach, Token, TokenKind};
use crate::render;
use crate::rest::{self, Reply};
use crate::state::State;

/// Seconds a JWT's `iat` may be ahead of the sandbox's clock.
pub(crate) const SKEW: i64 = 60;
/// GitHub's longest JWT lifetime.
pub(crate) const MAX_JWT_SECS: i64 = 600;
const DOC_JWT: &str = "https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app";
const DOC_TOKENS: &str =
    "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app";
/// The permissions of a new installation (and of the App): those of a properly configured Codex
/// App, by GitHub's names (`actions_variables` is the repository permission "Variables", which
/// GitHub's `app-permissions` schema does not list yet). Change them per installation with
/// [`crate::Sandbox::set_installation_permissions`].
pub const DEFAULT_INSTALLATION_PERMISSIONS: &[(&str, &str)] = &[
    ("actions_variables", "read"),
    ("contents", "write"),
    ("issues", "write"),
    ("metadata", "read"),
    ("organization_projects", "write"),
    ("pull_requests", "read"),
];

/// A permission list: GitHub's name and level.
type Permissions = Vec<(String, Access)>;

fn default_permissions() -> Permissions {
    DEFAULT_INSTALLATION_PERMISSIONS
        .iter()
        .filter_map(|(k, v)| Some(((*k).to_owned(), Access::parse(v)?)))
        .collect()
}

fn permissions_json(p: &[(String, Access)]) -> Value {
    Value::Object(
        p.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

/// Parses `{"issues": "write", ...}`; the error names the bad entry.
pub(crate) fn parse_permissions<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Permissions, String> {
    let mut out: Permissions = Vec::new();
    for (k, v) in entries {
        let level = Access::parse(v)
            .ok_or_else(|| format!("permission {k:?}: {v:?} is not read, write or admin"))?;
        out.retain(|(name, _)| name != k);
        out.push((k.to_owned(), level));
    }
    out.sort();
    Ok(out)
}

/// The App the sandbox plays GitHub for.
#[derive(Clone, Debug)]
pub struct AppOptions {
    /// The App's numeric id (a JWT's `iss`).
    pub id: u64,
    /// The App's public key, PEM (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`).
    pub public_key_pem: String,
    /// Lifetime of an installation access token, in seconds (GitHub's: 3600).
    pub installation_token_ttl_secs: u64,
}

impl AppOptions {
    /// An App with this id and public key (PEM), whose installation tokens live an hour, as
    /// GitHub's do.
    pub fn new(id: u64, public_key_pem: impl Into<String>) -> Self {
        Self {
            id,
            public_key_pem: public_key_pem.into(),
            installation_token_ttl_secs: 3600,
        }
    }

    /// The App's client id (also accepted as a JWT's `iss`, as GitHub does).
    pub fn client_id(&self) -> String {
        format!("Iv23sandbox{:08}", self.id)
    }
}

/// One installation: an account, the repositories (`owner/name`) it was given and its
/// permissions.
#[derive(Clone, Debug)]
struct Installation {
    id: u64,
    account: String,
    repos: Vec<String>,
    permissions: Permissions,
}

#[derive(Clone, Debug)]
struct Issued {
    installation: u64,
    repos: Option<Vec<String>>,
    /// The permissions the token was narrowed to (`None`: its installation's).
    permissions: Option<Permissions>,
    expires_at: i64,
}

/// One minted installation token, as `/_sandbox/stats` lists it (never the token itself).
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct IssueRecord {
    installation_id: u64,
    at: i64,
    expires_at: i64,
    repositories: Option<Vec<String>>,
}

/// The App counters of `/_sandbox/stats` (under `app`).
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct AppStats {
    /// Requests carrying a valid JWT.
    pub(crate) jwt_requests: u64,
    /// JWTs refused (bad algorithm, signature, issuer or lifetime; or on a non-App endpoint).
    pub(crate) jwt_rejected: u64,
    /// Installation tokens minted (`POST /app/installations/{id}/access_tokens` answered 201).
    pub(crate) tokens_issued: u64,
    /// Requests made with a live installation token.
    pub(crate) installation_requests: u64,
    /// Requests refused because their installation token had expired.
    pub(crate) expired_token_requests: u64,
    /// Requests refused because the repository lies outside the token's reach.
    pub(crate) out_of_reach: u64,
    /// Every token minted, in order.
    pub(crate) issued: Vec<IssueRecord>,
}

/// One request to an App endpoint.
#[derive(Clone, Copy)]
pub(crate) struct Call<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) body: Option<&'a Value>,
    /// The API base URL as the client addressed it.
    pub(crate) api: &'a str,
    pub(crate) now: i64,
}

/// The App, its installations and the tokens it minted.
pub(crate) struct Apps {
    opts: AppOptions,
    key: DecodingKey,
    installations: Vec<Installation>,
    tokens: HashMap<String, Issued>,
    minted: u64,
    seed: u64,
}

/// How the App side sees one request.
pub(crate) enum Authn {
    /// Not the App's business: the ordinary token rules apply.
    Plain,
    /// Refused with this answer (401).
    Refused(Reply),
    /// A valid JWT on an App endpoint.
    Jwt(Token),
    /// A live installation token: the caller, its rate-limit key and budget.
    Installation {
        token: Token,
        key: String,
        limit: u64,
    },
}

fn looks_like_jwt(raw: &str) -> bool {
    raw.starts_with("eyJ") && raw.split('.').count() == 3
}

/// `/app`, `/app/…` and `GET /repos/{o}/{r}/installation`: the endpoints that take a JWT.
pub(crate) fn is_app_endpoint(method: &str, path: &str) -> bool {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    segs.first() == Some(&"app")
        || (method == "GET" && matches!(segs.as_slice(), ["repos", _, _, "installation"]))
}

fn unauthorized(message: &str, doc: &str) -> Reply {
    let mut r = Reply::json(401, json!({"message": message, "documentation_url": doc}));
    r.route = "unauthorized".to_owned();
    r
}

impl Apps {
    pub(crate) fn new(opts: AppOptions, state: &State, seed: u64) -> anyhow::Result<Self> {
        let key = DecodingKey::from_rsa_pem(opts.public_key_pem.as_bytes())
            .map_err(|e| anyhow::anyhow!("the App public key is not an RSA PEM public key: {e}"))?;
        anyhow::ensure!(
            opts.installation_token_ttl_secs > 0,
            "installation_token_ttl_secs must be at least 1"
        );
        let mut installations: Vec<Installation> = Vec::new();
        for r in &state.repos {
            let full = r.full_name();
            match installations
                .iter_mut()
                .find(|i| i.account.eq_ignore_ascii_case(&r.owner))
            {
                Some(i) => i.repos.push(full),
                None => installations.push(Installation {
                    id: installations.len() as u64 + 1,
                    account: r.owner.clone(),
                    repos: vec![full],
                    permissions: default_permissions(),
                }),
            }
        }
        Ok(Self {
            opts,
            key,
            installations,
            tokens: HashMap::new(),
            minted: 0,
            seed,
        })
    }

    /// Moves `repos` (`owner/name`) into installation `id`, creating it (on the first
    /// repository's owner) when it does not exist; an empty installation is kept.
    pub(crate) fn set_installation(&mut self, id: u64, repos: &[String]) -> Result<(), String> {
        let Some(first) = repos.first() else {
            return Err("repositories must name at least one owner/name".to_owned());
        };
        let account = first
            .split_once('/')
            .map(|(o, _)| o.to_owned())
            .ok_or_else(|| format!("{first:?} is not owner/name"))?;
        for i in &mut self.installations {
            i.repos
                .retain(|r| !repos.iter().any(|x| x.eq_ignore_ascii_case(r)));
        }
        match self.installations.iter_mut().find(|i| i.id == id) {
            Some(i) => i.repos.extend(repos.iter().cloned()),
            None => self.installations.push(Installation {
                id,
                account,
                repos: repos.to_vec(),
                permissions: default_permissions(),
            }),
        }
        Ok(())
    }

    /// Replaces the permissions of installation `id`; its tokens hold no more than these from
    /// their next request on.
    pub(crate) fn set_permissions(
        &mut self,
        id: u64,
        permissions: Permissions,
    ) -> Result<(), String> {
        let inst = self
            .installations
            .iter_mut()
            .find(|i| i.id == id)
            .ok_or_else(|| format!("no installation {id}"))?;
        inst.permissions = permissions;
        Ok(())
    }

    /// Classifies one request (see [`Authn`]); `stats` counts what it sees.
    pub(crate) fn authenticate(
        &self,
        token: Option<&Token>,
        method: &str,
        path: &str,
        now: i64,
        stats: &mut AppStats,
    ) -> Authn {
        let Some(t) = token else {
            return Authn::Plain;
        };
        if is_app_endpoint(method, path) {
            if !looks_like_jwt(&t.raw) {
                return Authn::Refused(unauthorized(
                    "A JSON web token could not be decoded",
                    DOC_JWT,
                ));
            }
            return match self.verify(&t.raw, now) {
                Ok(()) => {
                    stats.jwt_requests += 1;
                    Authn::Jwt(Token {
                        raw: format!("app:{}", self.opts.id),
                        kind: TokenKind::AppJwt,
                        reach: None,
                    })
                }
                Err(message) => {
                    stats.jwt_rejected += 1;
                    Authn::Refused(unauthorized(message, DOC_JWT))
                }
            };
        }
        if looks_like_jwt(&t.raw) {
            stats.jwt_rejected += 1;
            return Authn::Refused(unauthorized("Bad credentials", rest::DOCS));
        }
        let Some(issued) = self.tokens.get(&t.raw) else {
            return Authn::Plain;
        };
        if now >= issued.expires_at {
            stats.expired_token_requests += 1;
            return Authn::Refused(unauthorized("Bad credentials", rest::DOCS));
        }
        let Some(inst) = self
            .installations
            .iter()
            .find(|i| i.id == issued.installation)
        else {
            return Authn::Refused(unauthorized("Bad credentials", rest::DOCS));
        };
        let repos: Vec<String> = inst
            .repos
            .iter()
            .filter(|r| {
                issued
                    .repos
                    .as_ref()
                    .is_none_or(|only| only.iter().any(|o| o.eq_ignore_ascii_case(r)))
            })
            .map(|r| r.to_ascii_lowercase())
            .collect();
        // What the token was minted with, within what its installation holds now.
        let permissions = inst
            .permissions
            .iter()
            .filter_map(|(name, has)| match &issued.permissions {
                None => Some((name.clone(), *has)),
                Some(asked) => asked
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, want)| (name.clone(), (*want).min(*has))),
            })
            .collect();
        stats.installation_requests += 1;
        let limit = installation_limit(inst.repos.len() as u64);
        Authn::Installation {
            token: Token {
                raw: t.raw.clone(),
                kind: TokenKind::Installation,
                reach: Some(Arc::new(Reach {
                    repos,
                    narrowed: issued.repos.is_some(),
                    permissions,
                })),
            },
            key: format!("installation:{}", inst.id),
            limit,
        }
    }

    /// GitHub's checks of an App JWT; the error is the `message` GitHub answers with.
    fn verify(&self, raw: &str, now: i64) -> Result<(), &'static str> {
        const UNDECODABLE: &str = "A JSON web token could not be decoded";
        let header = jsonwebtoken::decode_header(raw).map_err(|_| UNDECODABLE)?;
        if header.alg != Algorithm::RS256 {
            return Err(UNDECODABLE);
        }
        let mut v = Validation::new(Algorithm::RS256);
        // The claims are checked below against the sandbox's clock (which tests can advance).
        v.validate_exp = false;
        v.validate_nbf = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Value>(raw, &self.key, &v).map_err(|_| UNDECODABLE)?;
        let c = data.claims;
        let iss_ok = match &c["iss"] {
            Value::Number(n) => n.as_u64() == Some(self.opts.id),
            Value::String(s) => *s == self.opts.id.to_string() || *s == self.opts.client_id(),
            _ => false,
        };
        if !iss_ok {
            return Err("'Issuer' claim ('iss') must be an Integer");
        }
        let Some(iat) = c["iat"].as_i64() else {
            return Err(
                "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
            );
        };
        if iat > now + SKEW {
            return Err(
                "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
            );
        }
        let Some(exp) = c["exp"].as_i64() else {
            return Err(
                "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
            );
        };
        if exp <= now {
            return Err(
                "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
            );
        }
        if exp - iat > MAX_JWT_SECS || exp > now + MAX_JWT_SECS + SKEW {
            return Err("'Expiration time' claim ('exp') is too far in the future");
        }
        Ok(())
    }

    /// Answers an App endpoint called with a valid JWT.
    pub(crate) fn dispatch(&mut self, s: &State, call: &Call<'_>, stats: &mut AppStats) -> Reply {
        let Call {
            method,
            path,
            body,
            api,
            now,
        } = *call;
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (route, reply) = match (method, segs.as_slice()) {
            ("GET", ["app"]) => ("/app", Reply::json(200, self.app_json(s, api))),
            ("GET", ["app", "installations"]) => {
                let list: Vec<Value> = self
                    .installations
                    .iter()
                    .map(|i| self.installation_json(s, api, i))
                    .collect();
                ("/app/installations", Reply::json(200, Value::Array(list)))
            }
            ("GET", ["repos", o, r, "installation"]) => {
                let full = format!("{o}/{r}");
                let found = self
                    .installations
                    .iter()
                    .find(|i| i.repos.iter().any(|x| x.eq_ignore_ascii_case(&full)));
                let reply = match found {
                    Some(i) if s.repo_index(o, r).is_some() => {
                        Reply::json(200, self.installation_json(s, api, i))
                    }
                    _ => rest::not_found(),
                };
                ("/repos/{owner}/{repo}/installation", reply)
            }
            ("POST", ["app", "installations", id, "access_tokens"]) => (
                "/app/installations/{installation_id}/access_tokens",
                self.mint(s, id, body, api, now, stats),
            ),
            _ => ("unknown", rest::not_found()),
        };
        let mut reply = reply;
        reply.route = format!("{method} {route}");
        reply
    }

    fn mint(
        &mut self,
        s: &State,
        id: &str,
        body: Option<&Value>,
        api: &str,
        now: i64,
        stats: &mut AppStats,
    ) -> Reply {
        let Some(inst) = id
            .parse::<u64>()
            .ok()
            .and_then(|id| self.installations.iter().find(|i| i.id == id))
            .cloned()
        else {
            return rest::not_found();
        };
        let empty = json!({});
        let body = body.unwrap_or(&empty);
        let unreachable = || {
            Reply::json(
                422,
                json!({
                    "message": "There is at least one repository that does not exist or is not accessible to the parent installation.",
                    "documentation_url": DOC_TOKENS,
                    "status": "422",
                }),
            )
        };
        let mut narrowed: Option<Vec<String>> = None;
        if let Some(names) = body.get("repositories") {
            let Some(names) = names.as_array() else {
                return unreachable();
            };
            let mut out = Vec::new();
            for n in names {
                let Some(n) = n.as_str() else {
                    return unreachable();
                };
                // A name, as GitHub takes it (`owner/name` is accepted too).
                let hit = inst.repos.iter().find(|r| {
                    r.eq_ignore_ascii_case(n)
                        || r.split_once('/')
                            .is_some_and(|(_, name)| name.eq_ignore_ascii_case(n))
                });
                match hit {
                    Some(r) => out.push(r.clone()),
                    None => return unreachable(),
                }
            }
            narrowed = Some(out);
        }
        if let Some(ids) = body.get("repository_ids") {
            let Some(ids) = ids.as_array() else {
                return unreachable();
            };
            let out = narrowed.get_or_insert_with(Vec::new);
            for id in ids {
                let hit = id
                    .as_u64()
                    .and_then(|id| s.repo_by_id(id))
                    .map(|ri| s.repos[ri].full_name())
                    .filter(|f| inst.repos.iter().any(|r| r.eq_ignore_ascii_case(f)));
                match hit {
                    Some(f) => out.push(f),
                    None => return unreachable(),
                }
            }
        }
        let mut asked: Option<Permissions> = None;
        if let Some(wanted) = body.get("permissions").and_then(Value::as_object) {
            let not_granted = || {
                Reply::json(
                    422,
                    json!({
                        "message": "The permissions requested are not granted to this installation.",
                        "documentation_url": DOC_TOKENS,
                        "status": "422",
                    }),
                )
            };
            let mut out: Permissions = Vec::new();
            for (k, v) in wanted {
                let want = v.as_str().and_then(Access::parse);
                let has = inst
                    .permissions
                    .iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, a)| *a);
                match (want, has) {
                    (Some(want), Some(has)) if want <= has => out.push((k.clone(), want)),
                    _ => return not_granted(),
                }
            }
            asked = Some(out);
        }
        let permissions = permissions_json(asked.as_ref().unwrap_or(&inst.permissions));
        self.minted += 1;
        let token = format!("ghs_{}", token_body(self.seed, self.minted));
        let ttl = i64::try_from(self.opts.installation_token_ttl_secs).unwrap_or(3600);
        let expires_at = now + ttl;
        self.tokens.insert(
            token.clone(),
            Issued {
                installation: inst.id,
                repos: narrowed.clone(),
                permissions: asked,
                expires_at,
            },
        );
        stats.tokens_issued += 1;
        stats.issued.push(IssueRecord {
            installation_id: inst.id,
            at: now,
            expires_at,
            repositories: narrowed.clone(),
        });
        let mut out = json!({
            "token": token,
            "expires_at": crate::fmt_ts(expires_at),
            "permissions": permissions,
            "repository_selection": if narrowed.is_some() { "selected" } else { "all" },
        });
        if let Some(list) = &narrowed {
            let perms = render::permissions(false, true);
            out["repositories"] = list
                .iter()
                .filter_map(|f| s.repo(f))
                .map(|r| render::repository(api, s, r, perms.clone()))
                .collect();
        }
        Reply::json(201, out)
    }

    fn account_json(&self, s: &State, api: &str, login: &str) -> Value {
        s.user_index(login)
            .and_then(|i| s.users.get(i as usize))
            .map_or(Value::Null, |u| render::user(api, u))
    }

    fn app_json(&self, s: &State, api: &str) -> Value {
        let owner = self
            .installations
            .first()
            .map_or(Value::Null, |i| self.account_json(s, api, &i.account));
        json!({
            "id": self.opts.id,
            "slug": "codex-sandbox",
            "node_id": format!("A_kwDOsandbox{}", self.opts.id),
            "client_id": self.opts.client_id(),
            "owner": owner,
            "name": "Codex Sandbox",
            "description": "The App the Codex sandbox plays GitHub for.",
            "external_url": "https://example.com/codex",
            "html_url": format!("{}/apps/codex-sandbox", render::html_base(api)),
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
            "permissions": permissions_json(&default_permissions()),
            "events": ["issues"],
            "installations_count": self.installations.len(),
        })
    }

    fn installation_json(&self, s: &State, api: &str, i: &Installation) -> Value {
        let account = self.account_json(s, api, &i.account);
        let target_type = account["type"]
            .as_str()
            .unwrap_or("Organization")
            .to_owned();
        let target_id = account["id"].clone();
        json!({
            "id": i.id,
            "client_id": self.opts.client_id(),
            "account": account,
            "app_id": self.opts.id,
            "app_slug": "codex-sandbox",
            "target_id": if target_id.is_null() { json!(i.id) } else { target_id },
            "target_type": target_type,
            "repository_selection": "selected",
            "access_tokens_url": format!("{api}/app/installations/{}/access_tokens", i.id),
            "repositories_url": format!("{api}/installation/repositories"),
            "html_url": format!("{}/organizations/{}/settings/installations/{}", render::html_base(api), i.account, i.id),
            "events": ["issues"],
            "permissions": permissions_json(&i.permissions),
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
            "single_file_name": null,
            "suspended_by": null,
            "suspended_at": null,
        })
    }
}

/// GitHub's hourly budget of an installation with `repos` repositories: 5,000, 50 more per
/// repository beyond 20, at most 12,500.
fn installation_limit(repos: u64) -> u64 {
    (5_000 + 50 * repos.saturating_sub(20)).min(12_500)
}

/// 36 characters of `[a-zA-Z0-9]`, distinct per mint and seed (GitHub's tokens are 40 in all).
fn token_body(seed: u64, n: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    (0..36)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALPHABET[(x % ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installation_budgets_grow_with_repositories_up_to_the_cap() {
        assert_eq!(installation_limit(1), 5_000);
        assert_eq!(installation_limit(20), 5_000);
        assert_eq!(installation_limit(21), 5_050);
        assert_eq!(installation_limit(100), 9_000);
        assert_eq!(installation_limit(170), 12_500);
        assert_eq!(installation_limit(1_000), 12_500);
    }

    #[test]
    fn tokens_differ_per_mint_and_look_like_githubs() {
        let a = token_body(1, 1);
        assert_eq!(a.len(), 36);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, token_body(1, 2));
        assert_ne!(a, token_body(2, 1));
    }

    #[test]
    fn app_endpoints_are_the_jwt_ones() {
        assert!(is_app_endpoint("GET", "/app"));
        assert!(is_app_endpoint(
            "POST",
            "/app/installations/1/access_tokens"
        ));
        assert!(is_app_endpoint("GET", "/repos/acme/widgets/installation"));
        assert!(!is_app_endpoint("GET", "/repos/acme/widgets"));
        assert!(!is_app_endpoint("GET", "/apps/codex"));
        assert!(!is_app_endpoint("POST", "/graphql"));
    }
}
