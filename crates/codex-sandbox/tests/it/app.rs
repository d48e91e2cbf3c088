//! The GitHub App side: JWT verification (each way GitHub refuses one), installation tokens
//! (minting, expiry on the sandbox's clock, narrowing, their own budget), the separation of JWT
//! and token endpoints, and every App exchange held to GitHub's OpenAPI description. Key pairs
//! come from [`AppKeyPair::generate`] / [`AppOptions::generate`], as the other crates' tests get them.

use codex_conformance::RestSpec;
use codex_sandbox::{AppKeyPair, AppOptions, Sandbox, SandboxOptions, Scenario};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::common::{Client, opts};

const APP_ID: u64 = 4242;

struct App {
    sb: Sandbox,
    private_pem: String,
    public_pem: String,
}

async fn app_sandbox(ttl: u64, record: bool) -> App {
    let (mut options, private_pem) = AppOptions::generate(APP_ID);
    options.installation_token_ttl_secs = ttl;
    let public_pem = options.public_key_pem.clone();
    let sb = Sandbox::start(SandboxOptions {
        record,
        app: Some(options),
        ..opts(Scenario::Demo)
    })
    .await
    .unwrap();
    App {
        sb,
        private_pem,
        public_pem,
    }
}

fn sign(private_pem: &str, claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).unwrap()
}

impl App {
    /// A JWT as a client should make it: issued a minute ago, nine minutes long.
    fn jwt(&self) -> String {
        let now = self.sb.now();
        sign(
            &self.private_pem,
            &json!({"iat": now - 60, "exp": now + 540, "iss": APP_ID}),
        )
    }

    fn client(&self, token: &str) -> Client {
        Client::new(&self.sb, Some(token))
    }

    /// Mints an installation token with `body`; returns the answer.
    async fn mint(&self, installation: u64, body: &Value) -> crate::common::Resp {
        self.client(&self.jwt())
            .post(
                &format!("/app/installations/{installation}/access_tokens"),
                body,
            )
            .await
    }

    async fn token(&self, body: &Value) -> String {
        let r = self.mint(1, body).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["token"].as_str().unwrap().to_owned()
    }
}

fn b64url(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test]
async fn a_valid_jwt_is_accepted_and_every_bad_one_refused_as_github_does() {
    let app = app_sandbox(3600, false).await;
    let now = app.sb.now();
    let ok = app.client(&app.jwt()).get("/app").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["id"], APP_ID);
    // `iss` as a string, and as the client id, are accepted too.
    let as_string = sign(
        &app.private_pem,
        &json!({"iat": now - 60, "exp": now + 540, "iss": APP_ID.to_string()}),
    );
    assert_eq!(app.client(&as_string).get("/app").await.status, 200);
    let client_id = ok.body["client_id"].as_str().unwrap().to_owned();
    let by_client_id = sign(
        &app.private_pem,
        &json!({"iat": now - 60, "exp": now + 540, "iss": client_id}),
    );
    assert_eq!(app.client(&by_client_id).get("/app").await.status, 200);

    let claims = json!({"iat": now - 60, "exp": now + 540, "iss": APP_ID});
    let none = format!(
        "{}.{}.",
        b64url(br#"{"alg":"none","typ":"JWT"}"#),
        b64url(claims.to_string().as_bytes())
    );
    // HS256 keyed with the public key: the classic algorithm confusion.
    let hs256 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(app.public_pem.as_bytes()),
    )
    .unwrap();
    let other_private = AppKeyPair::generate().private_pem;
    let undecodable = "A JSON web token could not be decoded";
    let cases = [
        ("alg none", none, undecodable),
        ("HS256", hs256, undecodable),
        ("wrong key", sign(&other_private, &claims), undecodable),
        (
            "wrong iss",
            sign(
                &app.private_pem,
                &json!({"iat": now - 60, "exp": now + 540, "iss": APP_ID + 1}),
            ),
            "'Issuer' claim ('iss') must be an Integer",
        ),
        (
            "expired",
            sign(
                &app.private_pem,
                &json!({"iat": now - 700, "exp": now - 100, "iss": APP_ID}),
            ),
            "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
        ),
        (
            "longer than 10 minutes",
            sign(
                &app.private_pem,
                &json!({"iat": now - 60, "exp": now + 600, "iss": APP_ID}),
            ),
            "'Expiration time' claim ('exp') is too far in the future",
        ),
        (
            "iat in the future",
            sign(
                &app.private_pem,
                &json!({"iat": now + 120, "exp": now + 500, "iss": APP_ID}),
            ),
            "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
        ),
        ("not a JWT", "ghp_classic".to_owned(), undecodable),
    ];
    for (what, jwt, message) in &cases {
        let r = app.client(jwt).get("/app").await;
        assert_eq!(r.status, 401, "{what}: {}", r.body);
        assert_eq!(r.body["message"], *message, "{what}");
        assert!(r.body["documentation_url"].is_string(), "{what}");
    }
    let stats = app.sb.stats();
    assert_eq!(stats["app"]["jwt_requests"], 3);
    assert_eq!(stats["app"]["jwt_rejected"], 7, "{stats}");
    // The clock moves the JWT's verdict too: nine minutes on, the same JWT has expired.
    let jwt = app.jwt();
    assert_eq!(app.client(&jwt).get("/app").await.status, 200);
    app.sb.advance_clock(540);
    assert_eq!(app.client(&jwt).get("/app").await.status, 401);
}

#[tokio::test]
async fn installation_tokens_work_elsewhere_expire_and_keep_to_their_side() {
    let app = app_sandbox(120, false).await;
    let jwt = app.jwt();
    let list = app.client(&jwt).get("/app/installations").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.array().len(), 1);
    assert_eq!(list.body[0]["account"]["login"], "acme");
    let found = app
        .client(&jwt)
        .get("/repos/acme/widgets/installation")
        .await;
    assert_eq!(found.status, 200);
    assert_eq!(found.body["id"], 1);

    let before = app.sb.now();
    let minted = app.mint(1, &json!({})).await;
    let after = app.sb.now();
    assert_eq!(minted.status, 201, "{}", minted.body);
    assert_eq!(minted.body["repository_selection"], "all");
    assert_eq!(minted.body["permissions"]["issues"], "write");
    let token = minted.body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("ghs_") && token.len() == 40, "{token}");
    let expires = chrono::DateTime::parse_from_rfc3339(minted.body["expires_at"].as_str().unwrap())
        .unwrap()
        .timestamp();
    assert!((before + 120..=after + 120).contains(&expires), "{expires}");

    let c = app.client(&token);
    let repo = c.get("/repos/acme/widgets").await;
    assert_eq!(repo.status, 200);
    assert_eq!(repo.header("x-ratelimit-limit"), Some("5000"));
    assert_eq!(repo.header("x-ratelimit-used"), Some("1"));
    // Not an Actions token: variables and the organisation's Projects are visible.
    assert_eq!(
        c.get("/repos/acme/widgets/actions/variables").await.status,
        200
    );
    let gql = c
        .graphql(
            "query { organization(login: \"acme\") { projectV2(number: 1) { id } } repository(owner: \"acme\", name: \"widgets\") { id } }",
            json!({}),
        )
        .await;
    assert!(gql.body["errors"].is_null(), "{}", gql.body);
    assert!(gql.body["data"]["repository"]["id"].is_string());
    // A second token of the same installation shares its (core) budget: repo, variables, this.
    let second = app.token(&json!({})).await;
    let r = app.client(&second).get("/repos/acme/widgets").await;
    assert_eq!(r.header("x-ratelimit-used"), Some("3"));

    // Endpoint separation: a token on /app, a JWT elsewhere.
    for path in [
        "/app",
        "/app/installations",
        "/repos/acme/widgets/installation",
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status, 401, "{path}");
        assert_eq!(r.body["message"], "A JSON web token could not be decoded");
    }
    let r = app.client(&jwt).get("/repos/acme/widgets").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["message"], "Bad credentials");
    assert_eq!(
        app.client(&jwt)
            .graphql("query { viewer { login } }", json!({}))
            .await
            .status,
        401
    );

    // Expiry on the sandbox's clock: alive well before, refused from expires_at on.
    app.sb.advance_clock(expires - app.sb.now() - 30);
    assert_eq!(c.get("/repos/acme/widgets").await.status, 200);
    app.sb.advance_clock(30);
    let dead = c.get("/repos/acme/widgets").await;
    assert_eq!(dead.status, 401);
    assert_eq!(dead.body["message"], "Bad credentials");
    let dead_gql = c.graphql("query { viewer { login } }", json!({})).await;
    assert_eq!(dead_gql.status, 401);

    let stats = app.sb.stats();
    assert_eq!(stats["app"]["tokens_issued"], 2, "{stats}");
    assert_eq!(stats["app"]["expired_token_requests"], 2);
    assert_eq!(stats["app"]["issued"][0]["installation_id"], 1);
    assert!(
        !stats.to_string().contains(&token),
        "a token leaked into the stats"
    );
}

#[tokio::test]
async fn narrowed_tokens_and_other_installations_are_out_of_reach() {
    let app = app_sandbox(3600, false).await;
    let narrowed = app.mint(1, &json!({"repositories": ["widgets"]})).await;
    assert_eq!(narrowed.status, 201, "{}", narrowed.body);
    assert_eq!(narrowed.body["repository_selection"], "selected");
    assert_eq!(
        narrowed.body["repositories"][0]["full_name"],
        "acme/widgets"
    );
    let c = app.client(narrowed.body["token"].as_str().unwrap());
    assert_eq!(c.get("/repos/acme/widgets/issues/1").await.status, 200);
    let outside = c
        .post("/repos/acme/gadgets/issues", &json!({"title": "nope"}))
        .await;
    assert_eq!(outside.status, 404, "{}", outside.body);
    assert_eq!(c.get("/repos/acme/gadgets").await.status, 404);
    let gql = c
        .graphql(
            "query { repository(owner: \"acme\", name: \"gadgets\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(gql.body["errors"][0]["type"], "NOT_FOUND", "{}", gql.body);
    // Nor by node id: the gadgets repository's id, looked up with a token that reaches it.
    let admin = app.client("ghp_admin");
    let gadgets = admin
        .graphql(
            "query { repository(owner: \"acme\", name: \"gadgets\") { id } }",
            json!({}),
        )
        .await;
    let node = gadgets.body["data"]["repository"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_id = c
        .graphql(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({"id": node}),
        )
        .await;
    assert_eq!(
        by_id.body["errors"][0]["type"], "NOT_FOUND",
        "{}",
        by_id.body
    );

    // A second installation takes gadgets: the whole-installation token of 1 loses it too.
    let whole = app.token(&json!({})).await;
    assert_eq!(
        app.client(&whole).get("/repos/acme/gadgets").await.status,
        200
    );
    app.sb.set_installation(2, &["acme/gadgets"]).unwrap();
    assert_eq!(
        app.client(&whole).get("/repos/acme/gadgets").await.status,
        404
    );
    let found = app
        .client(&app.jwt())
        .get("/repos/acme/gadgets/installation")
        .await;
    assert_eq!(found.body["id"], 2);
    let other = app.mint(2, &json!({})).await;
    assert_eq!(other.status, 201);
    let c2 = app.client(other.body["token"].as_str().unwrap());
    assert_eq!(c2.get("/repos/acme/gadgets").await.status, 200);
    assert_eq!(c2.get("/repos/acme/widgets").await.status, 404);
    // Asking installation 1 for a repository it no longer has, or a permission it lacks: 422.
    assert_eq!(
        app.mint(1, &json!({"repositories": ["gadgets"]}))
            .await
            .status,
        422
    );
    assert_eq!(
        app.mint(1, &json!({"permissions": {"administration": "write"}}))
            .await
            .status,
        422
    );
    assert_eq!(app.mint(9, &json!({})).await.status, 404);
    assert_eq!(app.sb.stats()["app"]["out_of_reach"], 4);
}

#[tokio::test]
async fn the_control_endpoints_move_repositories_and_the_clock() {
    let app = app_sandbox(60, false).await;
    let http = Client::new(&app.sb, None);
    let r = http
        .post(
            "/_sandbox/installations",
            &json!({"id": 7, "repositories": ["acme/gadgets"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let found = app
        .client(&app.jwt())
        .get("/repos/acme/gadgets/installation")
        .await;
    assert_eq!(found.body["id"], 7);
    let before = app.sb.now();
    let r = http
        .post("/_sandbox/clock", &json!({"advance_secs": 3600}))
        .await;
    assert_eq!(r.status, 200);
    assert!(app.sb.now() >= before + 3600);
    assert_eq!(http.post("/_sandbox/clock", &json!({})).await.status, 400);
}

/// The node ids of the organisation's Project 1 and of acme/widgets#1, as an admin sees them.
async fn project_and_issue(sb: &Sandbox) -> (String, String) {
    let r = Client::new(sb, Some("ghp_admin"))
        .graphql(
            "query { organization(login: \"acme\") { projectV2(number: 1) { id } } repository(owner: \"acme\", name: \"widgets\") { issue(number: 1) { id } } }",
            json!({}),
        )
        .await;
    let d = &r.body["data"];
    (
        d["organization"]["projectV2"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        d["repository"]["issue"]["id"].as_str().unwrap().to_owned(),
    )
}

const ADD_ITEM: &str = "mutation($p: ID!, $c: ID!) { addProjectV2ItemById(input: {projectId: $p, contentId: $c}) { item { id } } }";
const NOT_ACCESSIBLE: &str = "Resource not accessible by integration";

/// What an installation token may do when its installation holds `permissions`, in the order:
/// create an issue, create a label, create a milestone, update an issue, add labels to an issue,
/// list issues, list variables, add a Project item (GraphQL). `true`: allowed; a refusal must be
/// GitHub's 403 (REST) or `FORBIDDEN` (GraphQL) "Resource not accessible by integration".
async fn allowed(app: &App, token: &str) -> Vec<bool> {
    static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let c = app.client(token);
    let mut out = Vec::new();
    let rest = [
        c.post("/repos/acme/widgets/issues", &json!({"title": "t"}))
            .await,
        c.post(
            "/repos/acme/widgets/labels",
            &json!({"name": format!("label {n}")}),
        )
        .await,
        c.post(
            "/repos/acme/widgets/milestones",
            &json!({"title": format!("milestone {n}")}),
        )
        .await,
        c.patch("/repos/acme/widgets/issues/1", &json!({"body": "b"}))
            .await,
        c.post(
            "/repos/acme/widgets/issues/1/labels",
            &json!({"labels": ["codex"]}),
        )
        .await,
        c.get("/repos/acme/widgets/issues").await,
        c.get("/repos/acme/widgets/actions/variables").await,
    ];
    for r in rest {
        if r.status == 403 {
            assert_eq!(r.body["message"], NOT_ACCESSIBLE, "{}", r.body);
            assert!(
                r.body["documentation_url"]
                    .as_str()
                    .unwrap()
                    .starts_with("https://docs.github.com/rest")
            );
        } else {
            assert!(r.status < 300, "{}: {}", r.status, r.body);
        }
        out.push(r.status != 403);
    }
    let (project, issue) = project_and_issue(&app.sb).await;
    let r = c.graphql(ADD_ITEM, json!({"p": project, "c": issue})).await;
    let refused = !r.body["errors"].is_null();
    if refused {
        assert_eq!(r.body["errors"][0]["type"], "FORBIDDEN", "{}", r.body);
        assert_eq!(r.body["errors"][0]["message"], NOT_ACCESSIBLE);
    }
    out.push(!refused);
    out
}

#[tokio::test]
async fn installation_permissions_are_those_of_a_codex_app_and_enforced() {
    let app = app_sandbox(3600, false).await;
    let codex_app = json!({
        "actions_variables": "read", "contents": "write", "issues": "write",
        "metadata": "read", "organization_projects": "write", "pull_requests": "read",
    });
    let listed = app.client(&app.jwt()).get("/app/installations").await;
    assert_eq!(listed.body[0]["permissions"], codex_app);
    let minted = app.mint(1, &json!({})).await;
    assert_eq!(minted.body["permissions"], codex_app);
    let token = minted.body["token"].as_str().unwrap().to_owned();
    assert_eq!(allowed(&app, &token).await, [true; 8]);

    // The installation loses everything but metadata and contents: the live token with it.
    app.sb
        .set_installation_permissions(1, &[("metadata", "read"), ("contents", "read")])
        .unwrap();
    assert_eq!(allowed(&app, &token).await, [false; 8]);
    assert_eq!(
        app.client(&token).get("/repos/acme/widgets").await.status,
        200
    );
    assert_eq!(
        app.client(&token)
            .get("/repos/acme/widgets/branches/main")
            .await
            .status,
        200
    );
    let listed = app.client(&app.jwt()).get("/app/installations").await;
    assert_eq!(
        listed.body[0]["permissions"],
        json!({"contents": "read", "metadata": "read"})
    );
    // Asking for more than the installation holds: 422.
    assert_eq!(
        app.mint(1, &json!({"permissions": {"issues": "write"}}))
            .await
            .status,
        422
    );

    // Through the control endpoint: issues write and variables read come back, Projects do not.
    let http = Client::new(&app.sb, None);
    let r = http
        .post(
            "/_sandbox/installations",
            &json!({"id": 1, "permissions": {"issues": "write", "metadata": "read", "actions_variables": "read"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        allowed(&app, &token).await,
        [true, true, true, true, true, true, true, false]
    );
    let bad = http
        .post(
            "/_sandbox/installations",
            &json!({"id": 1, "permissions": {"issues": "all"}}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        app.sb
            .set_installation_permissions(9, &[("issues", "read")])
            .is_err()
    );

    // A token minted narrower holds only what it asked for, whatever its installation has.
    app.sb
        .set_installation_permissions(1, codex_sandbox::DEFAULT_INSTALLATION_PERMISSIONS)
        .unwrap();
    let narrow = app
        .mint(
            1,
            &json!({"permissions": {"issues": "read", "organization_projects": "write"}}),
        )
        .await;
    assert_eq!(narrow.status, 201, "{}", narrow.body);
    assert_eq!(
        narrow.body["permissions"],
        json!({"issues": "read", "organization_projects": "write"})
    );
    let narrow = narrow.body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        allowed(&app, &narrow).await,
        [false, false, false, false, false, true, false, true]
    );
    // No metadata asked: not even the repository.
    assert_eq!(
        app.client(&narrow).get("/repos/acme/widgets").await.status,
        403
    );
}

#[tokio::test]
async fn installation_tokens_and_jwts_work_as_bearer_and_as_token() {
    let app = app_sandbox(3600, false).await;
    let token = app.token(&json!({})).await;
    let bare = Client::new(&app.sb, None);
    for scheme in ["Bearer", "token"] {
        let auth = format!("{scheme} {token}");
        let r = bare
            .get_with("/repos/acme/widgets", "authorization", &auth)
            .await;
        assert_eq!(r.status, 200, "{scheme}: {}", r.body);
        // An installation token, not the Actions token its prefix resembles: variables are there.
        let v = bare
            .get_with(
                "/repos/acme/widgets/actions/variables",
                "authorization",
                &auth,
            )
            .await;
        assert_eq!(v.status, 200, "{scheme}: {}", v.body);
        let g = bare
            .post_with(
                "/graphql",
                &json!({"query": "query { organization(login: \"acme\") { projectV2(number: 1) { id } } repository(owner: \"acme\", name: \"widgets\") { id } }"}),
                "authorization",
                &auth,
            )
            .await;
        assert_eq!(g.status, 200, "{scheme}");
        assert!(g.body["errors"].is_null(), "{scheme}: {}", g.body);
        assert!(g.body["data"]["organization"]["projectV2"]["id"].is_string());
        // A JWT whose `iss` is a JSON number, in either scheme.
        let jwt = app.jwt();
        let r = bare
            .get_with("/app", "authorization", &format!("{scheme} {jwt}"))
            .await;
        assert_eq!(r.status, 200, "{scheme}: {}", r.body);
    }
    let stats = app.sb.stats();
    assert_eq!(stats["app"]["installation_requests"], 6, "{stats}");
}

/// The installation objects of an answer (one, or a list of them).
fn installations(body: &mut Option<Value>) -> Vec<&mut Value> {
    match body {
        Some(Value::Array(items)) => items
            .iter_mut()
            .filter(|i| i.get("app_id").is_some())
            .collect(),
        Some(v) if v.get("app_id").is_some() => vec![v],
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn every_app_exchange_follows_githubs_description() {
    let app = app_sandbox(3600, true).await;
    let jwt = app.client(&app.jwt());
    jwt.get("/app").await;
    jwt.get("/app/installations").await;
    jwt.get("/app/installations?per_page=10&page=1").await;
    jwt.get("/repos/acme/widgets/installation").await;
    jwt.get("/repos/acme/nope/installation").await;
    app.mint(1, &json!({})).await;
    app.mint(
        1,
        &json!({"repositories": ["widgets"], "permissions": {"issues": "write"}}),
    )
    .await;
    app.mint(
        1,
        &json!({"repository_ids": [app.sb.state()["repos"][0]["id"].clone()]}),
    )
    .await;
    app.mint(1, &json!({"repositories": ["nope"]})).await;
    app.mint(404, &json!({})).await;
    let token = app.token(&json!({})).await;
    app.client(&token).get("/repos/acme/widgets").await;
    app.client(&token).get("/app").await;

    // The owner as GET /repos renders it (a simple-user, validated by the conformance module).
    let owner = app.client(&token).get("/repos/acme/widgets").await.body["owner"].clone();
    let spec = RestSpec::load();
    let mut failures = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for x in app.sb.exchanges() {
        seen.insert((x.method.clone(), x.status));
        if let Err(e) = spec.validate_request(&x.method, &x.path, &x.query, x.request_body.as_ref())
        {
            failures.push(format!("request {} {}: {e:?}", x.method, x.path));
        }
        // GitHub documents no 401 for the App's GETs: hold those to the basic-error shape.
        if x.status == 401 && x.method == "GET" {
            let b = x.response_body.clone().unwrap_or_default();
            if !(b["message"].is_string() && b["documentation_url"].is_string()) {
                failures.push(format!("{} {} 401: {b}", x.method, x.path));
            }
            continue;
        }
        // Each installation's account is the repository's owner, as a simple-user.
        let mut body = x.response_body.clone();
        for item in installations(&mut body) {
            assert_eq!(item["account"], owner, "{}", x.path);
        }
        if let Err(e) = spec.validate_response(&x.method, &x.path, x.status, body.as_ref()) {
            failures.push(format!(
                "answer {} {} {}: {e:?}",
                x.method, x.path, x.status
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    for want in [
        ("GET", 200),
        ("POST", 201),
        ("POST", 422),
        ("POST", 404),
        ("GET", 404),
    ] {
        assert!(
            seen.contains(&(want.0.to_owned(), want.1)),
            "{want:?} not exercised: {seen:?}"
        );
    }
}
