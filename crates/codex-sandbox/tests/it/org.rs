//! The `org` scenario: an organisation of many repositories, listed by `GET /orgs/{org}/repos`
//! and (to an installation token) `GET /installation/repositories`, both page-numbered with
//! `Link` headers; archived, forked and private repositories and topics; the App installed on
//! the organisation; and every exchange held to GitHub's OpenAPI description.

use codex_conformance::RestSpec;
use codex_sandbox::{AppOptions, ORG_TOPICS, Sandbox, SandboxOptions, Scenario};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::common::{Client, Resp, opts};

const APP_ID: u64 = 77;

fn org_opts(repos: usize, per_repo: usize) -> SandboxOptions {
    SandboxOptions {
        repos,
        issues_per_repo: per_repo,
        ..opts(Scenario::Org)
    }
}

async fn org(repos: usize, per_repo: usize) -> Sandbox {
    Sandbox::start(org_opts(repos, per_repo)).await.unwrap()
}

/// Every page of a list, following `rel="next"`; the pages as answered.
async fn pages(c: &Client, first: &str) -> Vec<Resp> {
    let mut out = Vec::new();
    let mut url = first.to_owned();
    loop {
        let page = c.get(&url).await;
        assert_eq!(page.status, 200, "{url}: {}", page.body);
        let next = page.link("next");
        out.push(page);
        match next {
            Some(n) => url = n,
            None => return out,
        }
    }
}

fn names(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|r| r["full_name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn org_repositories_page_through_link_headers() {
    let sb = org(45, 3).await;
    let c = Client::new(&sb, Some("ghp_org"));
    let got = pages(&c, "/orgs/acme/repos?per_page=10&sort=full_name").await;
    assert_eq!(got.len(), 5, "45 repositories, 10 a page");
    let first = &got[0];
    assert!(first.link("prev").is_none() && first.link("first").is_none());
    let last = first.link("last").unwrap();
    assert!(
        last.contains("page=5") && last.contains("per_page=10"),
        "{last}"
    );
    assert!(last.starts_with(&sb.base_url()), "absolute: {last}");
    let end = got.last().unwrap();
    assert!(end.link("next").is_none() && end.link("last").is_none());
    assert!(end.link("prev").unwrap().contains("page=4"));
    assert!(end.link("first").unwrap().contains("page=1"));
    assert_eq!(end.array().len(), 5);
    let all: Vec<String> = got.iter().flat_map(|p| names(p.array())).collect();
    let want: Vec<String> = (1..=45).map(|k| format!("acme/repo-{k:03}")).collect();
    assert_eq!(all, want, "full_name sorts ascending by default");

    // Explicit pages, the other orders, and a page past the end.
    let desc = c
        .get("/orgs/acme/repos?sort=full_name&direction=desc&per_page=3")
        .await;
    assert_eq!(
        names(desc.array()),
        ["acme/repo-045", "acme/repo-044", "acme/repo-043"]
    );
    // Created: newest first by default; repository k was created k days before repository 1's
    // 400 days ago, so repo-001 is the newest.
    let created = c.get("/orgs/acme/repos?per_page=2&page=2").await;
    assert_eq!(names(created.array()), ["acme/repo-003", "acme/repo-004"]);
    let pushed = c.get("/orgs/acme/repos?sort=pushed&per_page=100").await;
    let stamps: Vec<&str> = pushed
        .array()
        .iter()
        .map(|r| r["pushed_at"].as_str().unwrap())
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] >= w[1]), "{stamps:?}");
    let beyond = c.get("/orgs/acme/repos?per_page=10&page=9").await;
    assert!(beyond.array().is_empty());
    // per_page is capped at 100, as on GitHub.
    let big = org(130, 0).await;
    let c = Client::new(&big, Some("ghp_org"));
    let capped = c.get("/orgs/acme/repos?per_page=500").await;
    assert_eq!(capped.array().len(), 100);
    assert!(capped.link("last").unwrap().contains("page=2"));
    let default = c.get("/orgs/acme/repos").await;
    assert_eq!(default.array().len(), 30, "GitHub's default page size");
}

#[tokio::test]
async fn archived_forked_private_repositories_and_topics() {
    let sb = org(30, 12).await;
    let c = Client::new(&sb, Some("ghp_org"));
    let all = c.get("/orgs/acme/repos?per_page=100&sort=full_name").await;
    let repos = all.array();
    assert_eq!(repos.len(), 30, "octocat/dotfiles belongs to another owner");
    let mut topics_seen = 0;
    for (k, r) in (1u64..).zip(repos) {
        assert_eq!(r["archived"], k % 10 == 0, "{k}");
        assert_eq!(r["fork"], k % 7 == 0, "{k}");
        assert_eq!(r["private"], k % 5 == 0, "{k}");
        let vis = if k % 5 == 0 { "private" } else { "public" };
        assert_eq!(r["visibility"], vis, "{k}");
        let topics = r["topics"].as_array().unwrap();
        assert!(
            topics
                .iter()
                .all(|t| ORG_TOPICS.contains(&t.as_str().unwrap()))
        );
        topics_seen += usize::from(!topics.is_empty());
        assert_eq!(r["owner"]["login"], "acme");
        assert_eq!(r["owner"]["type"], "Organization");
    }
    assert!(
        (5..30).contains(&topics_seen),
        "topics on some: {topics_seen}"
    );
    let count = |q: &'static str| {
        let c = &c;
        async move {
            c.get(&format!("/orgs/acme/repos?per_page=100&{q}"))
                .await
                .array()
                .len()
        }
    };
    assert_eq!(count("type=forks").await, 4);
    assert_eq!(count("type=sources").await, 26);
    assert_eq!(count("type=private").await, 6);
    assert_eq!(count("type=public").await, 24);
    assert_eq!(count("type=member").await, 30);
    assert_eq!(c.get("/orgs/acme/repos?type=bogus").await.status, 422);
    assert_eq!(c.get("/orgs/octocat/repos").await.status, 404, "a user");
    assert_eq!(c.get("/orgs/nope/repos").await.status, 404);

    // Every repository answers the other routes; an archived one is read-only.
    let one = c.get("/repos/acme/repo-010").await;
    assert_eq!(one.body["archived"], true);
    assert!(c.get("/repos/acme/repo-010/issues").await.array().len() > 1);
    let refused = c
        .post("/repos/acme/repo-010/issues", &json!({"title": "x"}))
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.body["message"],
        "Repository was archived so is read-only."
    );
    let node = c
        .graphql(
            "query { repository(owner: \"acme\", name: \"repo-010\") { issue(number: 1) { id } } }",
            json!({}),
        )
        .await;
    let id = node.body["data"]["repository"]["issue"]["id"].clone();
    let gone = c
        .graphql(
            "mutation($id: ID!) { deleteIssue(input: {issueId: $id}) { clientMutationId } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(gone.body["errors"][0]["type"], "FORBIDDEN", "{}", gone.body);
    assert_eq!(c.get("/repos/acme/repo-010/issues/1").await.status, 200);
    let made = c
        .post("/repos/acme/repo-011/issues", &json!({"title": "x"}))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(c.get("/repos/acme/repo-030/labels").await.status, 200);
    assert_eq!(c.get("/repos/octocat/dotfiles").await.status, 200);
    assert_eq!(c.get("/repos/acme/repo-031").await.status, 404);
}

#[test]
fn every_repository_carries_the_kinds_of_mess() {
    let sb = Sandbox::start_in_thread(org_opts(4, 200)).unwrap();
    let state = sb.state();
    let scenario = &state["scenario"];
    assert_eq!(scenario["name"], "org");
    assert_eq!(scenario["repos"].as_array().unwrap().len(), 4);
    for r in scenario["repos"].as_array().unwrap() {
        let counts = &r["counts"];
        assert_eq!(counts["issues"], 200);
        assert!(counts["pull_requests"].as_u64().unwrap() > 5, "{r}");
        assert!(counts["in_project"].as_u64().unwrap() > 50, "{r}");
        for q in [
            "user_null",
            "body_null",
            "labels_as_strings",
            "milestone_gone",
            "deleted",
        ] {
            assert!(
                r["quirks"][q].as_array().is_some_and(|v| !v.is_empty()),
                "{q}: {r}"
            );
        }
    }
    let repo = &state["repos"][1];
    assert_eq!(repo["full_name"], "acme/repo-002");
    let issues = repo["issues"].as_array().unwrap();
    let selftests: u64 = scenario["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["counts"]["selftest"].as_u64().unwrap())
        .sum();
    assert!(selftests >= 1, "self-test issues");
    let unmanaged = issues
        .iter()
        .filter(|i| {
            i["is_pull_request"] == false
                && !i["labels"].as_array().unwrap().iter().any(|x| x == "codex")
        })
        .count();
    assert!(unmanaged > 5, "issues needing the codex label: {unmanaged}");
    let names: Vec<&str> = repo["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"codex-trackmain") && names.contains(&"codex-trackdashboard"));
    // One Project for the organisation, holding items of every repository.
    let project = &state["projects"][0];
    assert_eq!(project["owner"], "acme");
    for k in 1..=4 {
        let full = format!("acme/repo-{k:03}");
        assert!(
            project["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["repo"] == full.as_str()),
            "{full}"
        );
    }
    // Same seed, same world; another seed, other details.
    let again = Sandbox::start_in_thread(org_opts(4, 200)).unwrap();
    assert_eq!(again.state()["repos"], state["repos"]);
    let other = Sandbox::start_in_thread(SandboxOptions {
        seed: 2,
        ..org_opts(4, 200)
    })
    .unwrap();
    assert_ne!(other.state()["repos"], state["repos"]);
    // Adding repositories leaves the earlier ones as they were.
    let more = Sandbox::start_in_thread(org_opts(6, 200)).unwrap();
    assert_eq!(more.state()["repos"][2], state["repos"][2]);
}

#[tokio::test]
async fn three_hundred_repositories_list_in_three_pages() {
    let sb = org(300, 10).await;
    let c = Client::new(&sb, Some("ghp_org"));
    let got = pages(&c, "/orgs/acme/repos?per_page=100").await;
    assert_eq!(got.len(), 3);
    let all: std::collections::BTreeSet<String> =
        got.iter().flat_map(|p| names(p.array())).collect();
    assert_eq!(all.len(), 300);
    assert!(all.contains("acme/repo-300"));
    let r = c
        .get("/repos/acme/repo-300/issues?state=all&per_page=100")
        .await;
    assert_eq!(r.array().len(), 10);
}

/// An App sandbox over the org: the private key, to sign JWTs.
async fn app_org(repos: usize, record: bool) -> (Sandbox, String) {
    let (app, private_pem) = AppOptions::generate(APP_ID);
    let sb = Sandbox::start(SandboxOptions {
        app: Some(app),
        record,
        ..org_opts(repos, 2)
    })
    .await
    .unwrap();
    (sb, private_pem)
}

fn jwt(sb: &Sandbox, private_pem: &str) -> String {
    let now = sb.now();
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &json!({"iat": now - 60, "exp": now + 540, "iss": APP_ID}),
        &key,
    )
    .unwrap()
}

async fn mint(sb: &Sandbox, pem: &str, installation: u64, body: &Value) -> String {
    let r = Client::new(sb, Some(&jwt(sb, pem)))
        .post(
            &format!("/app/installations/{installation}/access_tokens"),
            body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["token"].as_str().unwrap().to_owned()
}

/// What the App, installation tokens and other tokens see of the org; with `record`, every
/// exchange is kept for the conformance check.
async fn tour_installations(sb: &Sandbox, pem: &str) {
    // The App is installed on the org (installation 1, all 42 repositories) and on octocat (2).
    let installations = Client::new(sb, Some(&jwt(sb, pem)))
        .get("/app/installations")
        .await;
    let accounts: Vec<&Value> = installations
        .array()
        .iter()
        .map(|i| &i["account"]["login"])
        .collect();
    assert_eq!(accounts, [&json!("acme"), &json!("octocat")]);
    let inst = Client::new(sb, Some(&jwt(sb, pem)))
        .get("/repos/acme/repo-042/installation")
        .await;
    assert_eq!(inst.body["id"], 1);

    let token = mint(sb, pem, 1, &json!({})).await;
    let c = Client::new(sb, Some(&token));
    let got = pages(&c, "/installation/repositories?per_page=20").await;
    assert_eq!(got.len(), 3, "42 repositories, 20 a page");
    for p in &got {
        assert_eq!(p.body["total_count"], 42);
        assert_eq!(p.body["repository_selection"], "all");
    }
    assert!(got[0].link("last").unwrap().contains("page=3"));
    let all: Vec<String> = got
        .iter()
        .flat_map(|p| names(p.body["repositories"].as_array().unwrap()))
        .collect();
    let want: Vec<String> = (1..=42).map(|k| format!("acme/repo-{k:03}")).collect();
    assert_eq!(all, want);
    assert_eq!(
        c.get("/orgs/acme/repos?per_page=100").await.array().len(),
        42
    );

    // Narrowed to two: only those, everywhere.
    let narrow = mint(
        sb,
        pem,
        1,
        &json!({"repositories": ["repo-003", "repo-040"]}),
    )
    .await;
    let n = Client::new(sb, Some(&narrow));
    let listed = n.get("/installation/repositories").await;
    assert_eq!(listed.body["total_count"], 2);
    assert_eq!(listed.body["repository_selection"], "selected");
    assert_eq!(
        names(listed.body["repositories"].as_array().unwrap()),
        ["acme/repo-003", "acme/repo-040"]
    );
    assert!(listed.link("next").is_none());
    assert_eq!(
        names(n.get("/orgs/acme/repos?sort=full_name").await.array()),
        ["acme/repo-003", "acme/repo-040"]
    );
    assert_eq!(n.get("/repos/acme/repo-004").await.status, 404);

    // A token of the other installation sees none of the org's repositories.
    let other = mint(sb, pem, 2, &json!({})).await;
    let o = Client::new(sb, Some(&other));
    let mine = o.get("/installation/repositories").await;
    assert_eq!(mine.body["total_count"], 1);
    assert_eq!(
        names(mine.body["repositories"].as_array().unwrap()),
        ["octocat/dotfiles"]
    );
    assert_eq!(o.get("/repos/acme/repo-001").await.status, 404);
    assert_eq!(o.get("/repos/acme/repo-001/issues").await.status, 404);
    assert!(o.get("/orgs/acme/repos").await.array().is_empty());

    // Only an installation token lists an installation's repositories.
    for t in ["ghp_classic", "ghs_actions"] {
        let r = Client::new(sb, Some(t))
            .get("/installation/repositories")
            .await;
        assert_eq!(r.status, 403, "{t}");
        assert!(
            r.body["message"]
                .as_str()
                .unwrap()
                .contains("installation access token")
        );
    }
    let r = Client::new(sb, Some(&jwt(sb, pem)))
        .get("/installation/repositories")
        .await;
    assert_eq!(r.status, 401, "a JWT is not an installation token");
    assert_eq!(
        Client::new(sb, None)
            .get("/installation/repositories")
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn the_app_is_installed_on_the_org_and_lists_its_repositories() {
    let (sb, pem) = app_org(42, false).await;
    tour_installations(&sb, &pem).await;
}

/// (method, path suffix, status) answers GitHub sends but its description does not list.
const UNDOCUMENTED: &[(&str, &str, u16)] = &[
    ("GET", "/orgs/nope/repos", 404),
    ("GET", "/orgs/acme/repos", 422),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_org_exchange_follows_githubs_description() {
    let (sb, pem) = app_org(42, true).await;
    tour_installations(&sb, &pem).await;
    let c = Client::new(&sb, Some("ghp_org"));
    for q in [
        "",
        "?type=forks&sort=updated",
        "?type=private&sort=pushed&direction=asc",
        "?type=sources&sort=full_name&per_page=7&page=3",
        "?per_page=100&page=9",
        "?type=bogus",
    ] {
        c.get(&format!("/orgs/acme/repos{q}")).await;
    }
    c.get("/orgs/nope/repos").await;
    c.get("/repos/acme/repo-020").await;
    c.post("/repos/acme/repo-020/issues", &json!({"title": "x"}))
        .await;
    let spec = RestSpec::load();
    let mut failures = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for x in sb.exchanges() {
        seen.insert((x.path.clone(), x.status));
        // The one request meant to be wrong (`type=bogus`) is only checked for its answer.
        if let (false, Err(e)) = (
            x.query.contains("bogus"),
            spec.validate_request(&x.method, &x.path, &x.query, x.request_body.as_ref()),
        ) {
            failures.push(format!(
                "request {} {}?{}: {e:?}",
                x.method, x.path, x.query
            ));
        }
        let undocumented = UNDOCUMENTED
            .iter()
            .any(|(m, p, s)| *m == x.method && x.path.ends_with(p) && *s == x.status);
        if undocumented {
            let b = x.response_body.clone().unwrap_or_default();
            if !(b["message"].is_string() && b["documentation_url"].is_string()) {
                failures.push(format!(
                    "{} {} {}: not a basic-error: {b}",
                    x.method, x.path, x.status
                ));
            }
            continue;
        }
        if let Err(e) =
            spec.validate_response(&x.method, &x.path, x.status, x.response_body.as_ref())
        {
            failures.push(format!(
                "answer {} {}?{} {}: {e:?}",
                x.method, x.path, x.query, x.status
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    for want in [
        ("/orgs/acme/repos", 200),
        ("/orgs/acme/repos", 422),
        ("/orgs/nope/repos", 404),
        ("/installation/repositories", 200),
        ("/installation/repositories", 403),
        ("/installation/repositories", 401),
        ("/repos/acme/repo-020/issues", 403),
    ] {
        assert!(
            seen.contains(&(want.0.to_owned(), want.1)),
            "{want:?} not exercised"
        );
    }
}

#[tokio::test]
async fn enterprise_server_links_carry_the_api_prefix() {
    let sb = Sandbox::start(SandboxOptions {
        ghes: true,
        ..org_opts(5, 1)
    })
    .await
    .unwrap();
    let c = Client::new(&sb, Some("ghp_ghes"));
    assert_eq!(
        c.get("/orgs/acme/repos").await.status,
        404,
        "only under /api/v3"
    );
    let page = c.get("/api/v3/orgs/acme/repos?per_page=2").await;
    assert_eq!(page.array().len(), 2);
    let next = page.link("next").unwrap();
    assert!(
        next.starts_with(&format!("{}/orgs/acme/repos?", sb.api_url())),
        "{next}"
    );
    assert_eq!(c.get(&next).await.array().len(), 2);
    assert!(
        page.array()[0]["url"]
            .as_str()
            .unwrap()
            .starts_with(&sb.api_url())
    );
}
