//! The REST routes: one `dispatch` that matches method and path segments and hands the locked
//! state to one function per route. Each returns a [`Reply`]; the server adds the headers every
//! answer carries (rate limit, request id, ETag) around it.

use chrono::DateTime;
use serde_json::{Value, json};

use crate::auth::{Access, Token, TokenKind};
use crate::ids;
use crate::render;
use crate::state::{Issue, Label, Milestone, SortKey, State, StateReason, Ts, UserKind, Variable};

/// Documentation URL of error bodies that name no operation.
pub(crate) const DOCS: &str = "https://docs.github.com/rest";
/// The stats route of a request refused because its repository is outside the token's reach.
pub(crate) const OUT_OF_REACH: &str = "out-of-reach";
const DOC_LIST_ISSUES: &str = "https://docs.github.com/rest/issues/issues#list-repository-issues";
const DOC_GET_ISSUE: &str = "https://docs.github.com/rest/issues/issues#get-an-issue";
const DOC_CREATE_ISSUE: &str = "https://docs.github.com/rest/issues/issues#create-an-issue";
const DOC_UPDATE_ISSUE: &str = "https://docs.github.com/rest/issues/issues#update-an-issue";
const DOC_ADD_LABELS: &str = "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue";
const DOC_LABELS: &str = "https://docs.github.com/rest/issues/labels#create-a-label";
const DOC_MILESTONES: &str = "https://docs.github.com/rest/issues/milestones#create-a-milestone";
const DOC_VARIABLES: &str =
    "https://docs.github.com/rest/actions/variables#list-repository-variables";
const DOC_ORG_REPOS: &str =
    "https://docs.github.com/rest/repos/repos#list-organization-repositories";
const DOC_INSTALLATION_REPOS: &str = "https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation";
/// The stats route of a write refused because its repository is archived.
pub(crate) const ARCHIVED: &str = "archived";

/// The stats route of a request refused because its installation lacks the permission.
pub(crate) const NOT_PERMITTED: &str = "not-permitted";

/// The App permission (GitHub's name and level) a route asks of an installation token, and the
/// documentation URL of the 403 it answers without it.
fn required_permission(m: &str, segs: &[&str]) -> Option<(&'static str, Access, &'static str)> {
    let read = m == "GET";
    let level = if read { Access::Read } else { Access::Write };
    let need = match segs {
        ["repos", _, _] if read => ("metadata", Access::Read, DOCS),
        ["orgs", _, "repos"] => ("metadata", Access::Read, DOC_ORG_REPOS),
        ["installation", "repositories"] => ("metadata", Access::Read, DOC_INSTALLATION_REPOS),
        ["repositories", _, "issues"] => ("issues", level, DOC_LIST_ISSUES),
        ["repos", _, _, "issues"] if read => ("issues", level, DOC_LIST_ISSUES),
        ["repos", _, _, "issues"] => ("issues", level, DOC_CREATE_ISSUE),
        ["repos", _, _, "issues", _] if read => ("issues", level, DOC_GET_ISSUE),
        ["repos", _, _, "issues", _] => ("issues", level, DOC_UPDATE_ISSUE),
        ["repos", _, _, "issues", _, "labels"] => ("issues", level, DOC_ADD_LABELS),
        ["repos", _, _, "labels", ..] => ("issues", level, DOC_LABELS),
        ["repos", _, _, "milestones", ..] => ("issues", level, DOC_MILESTONES),
        ["repos", _, _, "branches" | "contents", ..] => ("contents", level, DOCS),
        ["repos", _, _, "actions", "variables", ..] => ("actions_variables", level, DOC_VARIABLES),
        _ => return None,
    };
    Some(need)
}

/// The most items GitHub pages through with `page` on the issues list.
const PAGE_WINDOW: u64 = 10_000;
/// The most labels one issue may carry.
const MAX_LABELS: usize = 100;

/// A parsed request.
#[derive(Debug)]
pub(crate) struct Req {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<Value>,
    pub(crate) token: Token,
    /// `http://host:port` of the sandbox as the client addressed it.
    pub(crate) api: String,
}

impl Req {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An answer before the common headers are added.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Value>,
    /// Route template for the stats (`GET /repos/{owner}/{repo}/issues`).
    pub(crate) route: String,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(body),
            route: String::new(),
        }
    }

    fn header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_owned(), value));
        self
    }

    fn link(self, link: Option<String>) -> Self {
        match link {
            Some(l) => self.header("link", l),
            None => self,
        }
    }
}

/// A `basic-error` body.
pub(crate) fn error(status: u16, message: &str, doc: &str) -> Reply {
    Reply::json(
        status,
        json!({"message": message, "documentation_url": doc, "status": status.to_string()}),
    )
}

pub(crate) fn not_found() -> Reply {
    error(404, "Not Found", DOCS)
}

/// A `validation-error` body (422).
fn invalid(resource: &str, field: &str, code: &str, doc: &str) -> Reply {
    Reply::json(
        422,
        json!({
            "message": "Validation Failed",
            "errors": [{"resource": resource, "field": field, "code": code}],
            "documentation_url": doc,
            "status": "422",
        }),
    )
}

fn invalid_value(resource: &str, field: &str, value: &Value, doc: &str) -> Reply {
    Reply::json(
        422,
        json!({
            "message": "Validation Failed",
            "errors": [{"value": value, "resource": resource, "field": field, "code": "invalid"}],
            "documentation_url": doc,
            "status": "422",
        }),
    )
}

fn forbidden(message: &str, doc: &str) -> Reply {
    error(403, message, doc)
}

/// Decodes `%xx` escapes of one path segment.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Routes one request. `/rate_limit`, `/graphql` and `/_sandbox/*` are handled by the server.
pub(crate) fn dispatch(s: &mut State, req: &Req) -> Reply {
    let segs: Vec<String> = req
        .path
        .trim_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = req.method.as_str();
    // An installation token sees only its repositories: GitHub answers 404, as for a private
    // repository it cannot see.
    let reach = match segs.as_slice() {
        ["repos", o, r, ..] => req.token.reaches(o, r),
        ["repositories", id, ..] => id
            .parse::<u64>()
            .ok()
            .and_then(|id| s.repo_by_id(id))
            .is_none_or(|ri| req.token.reaches(&s.repos[ri].owner, &s.repos[ri].name)),
        _ => true,
    };
    if !reach {
        let mut reply = not_found();
        reply.route = format!("{m} {OUT_OF_REACH}");
        return reply;
    }
    // An installation token needs its installation's permission for the route, as GitHub asks.
    if let Some((permission, level, doc)) = required_permission(m, &segs)
        && !req.token.may(permission, level)
    {
        let mut reply = forbidden("Resource not accessible by integration", doc);
        reply.route = format!("{m} {NOT_PERMITTED}");
        return reply;
    }
    // An archived repository is read-only, as on GitHub.
    if m != "GET"
        && let ["repos", o, r, ..] = segs.as_slice()
        && s.repo_index(o, r).is_some_and(|ri| s.repos[ri].archived)
    {
        let mut reply = forbidden("Repository was archived so is read-only.", DOCS);
        reply.route = format!("{m} {ARCHIVED}");
        return reply;
    }
    let (route, mut reply) = match (m, segs.as_slice()) {
        ("GET", ["orgs", org, "repos"]) => ("/orgs/{org}/repos", list_org_repos(s, org, req)),
        ("GET", ["installation", "repositories"]) => (
            "/installation/repositories",
            list_installation_repos(s, req),
        ),
        ("GET", ["repos", o, r]) => (
            "/repos/{owner}/{repo}",
            with_repo(s, o, r, |s, ri| get_repo(s, ri, req)),
        ),
        ("GET", ["repos", o, r, "issues"]) => (
            "/repos/{owner}/{repo}/issues",
            with_repo(s, o, r, |s, ri| list_issues(s, ri, req)),
        ),
        ("GET", ["repositories", id, "issues"]) => {
            let ri = id.parse::<u64>().ok().and_then(|id| s.repo_by_id(id));
            let reply = match ri {
                Some(ri) => list_issues(s, ri, req),
                None => not_found(),
            };
            ("/repositories/{id}/issues", reply)
        }
        ("POST", ["repos", o, r, "issues"]) => (
            "/repos/{owner}/{repo}/issues",
            with_repo(s, o, r, |s, ri| create_issue(s, ri, req)),
        ),
        ("GET", ["repos", o, r, "issues", n]) => (
            "/repos/{owner}/{repo}/issues/{issue_number}",
            with_issue(s, o, r, n, DOC_GET_ISSUE, req, |s, ri, n| {
                get_issue(s, ri, n, req)
            }),
        ),
        ("PATCH", ["repos", o, r, "issues", n]) => (
            "/repos/{owner}/{repo}/issues/{issue_number}",
            with_issue(s, o, r, n, DOC_UPDATE_ISSUE, req, |s, ri, n| {
                update_issue(s, ri, n, req)
            }),
        ),
        ("GET", ["repos", o, r, "issues", n, "labels"]) => (
            "/repos/{owner}/{repo}/issues/{issue_number}/labels",
            with_issue(s, o, r, n, DOC_ADD_LABELS, req, |s, ri, n| {
                issue_labels(s, ri, n, req)
            }),
        ),
        ("POST", ["repos", o, r, "issues", n, "labels"]) => (
            "/repos/{owner}/{repo}/issues/{issue_number}/labels",
            with_issue(s, o, r, n, DOC_ADD_LABELS, req, |s, ri, n| {
                add_labels(s, ri, n, req)
            }),
        ),
        ("GET", ["repos", o, r, "labels"]) => (
            "/repos/{owner}/{repo}/labels",
            with_repo(s, o, r, |s, ri| list_labels(s, ri, req)),
        ),
        ("POST", ["repos", o, r, "labels"]) => (
            "/repos/{owner}/{repo}/labels",
            with_repo(s, o, r, |s, ri| create_label(s, ri, req)),
        ),
        ("GET", ["repos", o, r, "labels", name]) => (
            "/repos/{owner}/{repo}/labels/{name}",
            with_repo(s, o, r, |s, ri| get_label(s, ri, name, req)),
        ),
        ("GET", ["repos", o, r, "milestones"]) => (
            "/repos/{owner}/{repo}/milestones",
            with_repo(s, o, r, |s, ri| list_milestones(s, ri, req)),
        ),
        ("POST", ["repos", o, r, "milestones"]) => (
            "/repos/{owner}/{repo}/milestones",
            with_repo(s, o, r, |s, ri| create_milestone(s, ri, req)),
        ),
        ("GET", ["repos", o, r, "milestones", n]) => (
            "/repos/{owner}/{repo}/milestones/{milestone_number}",
            with_repo(s, o, r, |s, ri| get_milestone(s, ri, n, req)),
        ),
        ("GET", ["repos", o, r, "branches", rest @ ..]) if !rest.is_empty() => (
            "/repos/{owner}/{repo}/branches/{branch}",
            with_repo(s, o, r, |s, ri| get_branch(s, ri, &rest.join("/"), req)),
        ),
        ("GET", ["repos", o, r, "contents", rest @ ..]) => (
            "/repos/{owner}/{repo}/contents/{path}",
            with_repo(s, o, r, |s, ri| get_contents(s, ri, &rest.join("/"), req)),
        ),
        ("GET", ["repos", o, r, "actions", "variables"]) => (
            "/repos/{owner}/{repo}/actions/variables",
            with_repo(s, o, r, |s, ri| list_variables(s, ri, req)),
        ),
        ("POST", ["repos", o, r, "actions", "variables"]) => (
            "/repos/{owner}/{repo}/actions/variables",
            with_repo(s, o, r, |s, ri| create_variable(s, ri, req)),
        ),
        _ => ("unknown", not_found()),
    };
    reply.route = format!("{m} {route}");
    reply
}

fn with_repo(s: &mut State, o: &str, r: &str, f: impl FnOnce(&mut State, usize) -> Reply) -> Reply {
    match s.repo_index(o, r) {
        Some(ri) => f(s, ri),
        None => not_found(),
    }
}

/// Resolves `{issue_number}`: 301 for a transferred number, 410 for a deleted one, 404 unknown.
fn with_issue(
    s: &mut State,
    o: &str,
    r: &str,
    n: &str,
    doc: &str,
    req: &Req,
    f: impl FnOnce(&mut State, usize, u32) -> Reply,
) -> Reply {
    let Some(ri) = s.repo_index(o, r) else {
        return not_found();
    };
    let Ok(n) = n.parse::<u32>() else {
        return not_found();
    };
    let repo = &s.repos[ri];
    if let Some(t) = repo.transferred.get(&n) {
        let location = format!("{}/repos/{}/issues/{}", req.api, t.full_name, t.number);
        return Reply::json(
            301,
            json!({"message": "Moved Permanently", "url": location, "documentation_url": doc}),
        )
        .header("location", location);
    }
    if repo.deleted.contains(&n) {
        return error(410, "This issue was deleted", doc);
    }
    if repo.issue(n).is_none() || repo.not_visible.contains(&n) {
        return not_found();
    }
    f(s, ri, n)
}

fn get_repo(s: &mut State, ri: usize, req: &Req) -> Reply {
    let t = &req.token;
    let perms = render::permissions(t.is_admin(), t.can_push());
    Reply::json(200, render::repository(&req.api, s, &s.repos[ri], perms))
}

fn get_issue(s: &mut State, ri: usize, n: u32, req: &Req) -> Reply {
    // The sub-issue and dependency figures are built once after a write, on first use.
    let r = &s.repos[ri];
    match r.issue(n) {
        Some(i) => Reply::json(200, render::issue(&req.api, s, r, i, false)),
        None => not_found(),
    }
}

// ---------------------------------------------------------------------------------------------
// Listing repositories

/// The `Link` header of page `page` (from 1) of `total` items, `per_page` a page, numbered as
/// GitHub numbers the pages of its repository lists: `prev`, `next`, `last`, `first`.
fn page_links(req: &Req, path: &str, page: u64, per_page: u64, total: u64) -> Option<String> {
    let last = total.div_ceil(per_page).max(1);
    let url = |p: u64| link_url(&req.api, path, req, &["page"], &[("page", p.to_string())]);
    let mut links: Vec<(String, &str)> = Vec::new();
    if page > 1 {
        links.push((url(page - 1), "prev"));
    }
    if page < last {
        links.push((url(page + 1), "next"));
        links.push((url(last), "last"));
    }
    if page > 1 {
        links.push((url(1), "first"));
    }
    join_links(&links)
}

/// One page of repositories (positions in [`State::repos`]): the rendered page and its `Link`.
fn repo_page(
    s: &State,
    req: &Req,
    path: &str,
    hits: &[usize],
) -> Result<(Value, Option<String>), Reply> {
    let per_page = parse_per_page(req, 30, 100)?.min(s.repo_page_max.max(1));
    let page = parse_page(req)?.unwrap_or(1);
    let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let take = usize::try_from(per_page).unwrap_or(30);
    let perms = render::permissions(req.token.is_admin(), req.token.can_push());
    let body: Vec<Value> = hits
        .iter()
        .skip(skip)
        .take(take)
        .map(|ri| render::repository(&req.api, s, &s.repos[*ri], perms.clone()))
        .collect();
    let link = page_links(req, path, page, per_page, hits.len() as u64);
    Ok((Value::Array(body), link))
}

/// `GET /orgs/{org}/repos`: the organisation's repositories the token can see, filtered by
/// `type`, in `sort` order (`created` by default; `direction` `asc` by default for `full_name`,
/// else `desc`), page-numbered.
fn list_org_repos(s: &mut State, org: &str, req: &Req) -> Reply {
    let bad = |field: &str| invalid("Repository", field, "invalid", DOC_ORG_REPOS);
    let is_org = s
        .user_index(org)
        .is_some_and(|u| s.users[u as usize].kind == UserKind::Organization);
    if !is_org {
        return not_found();
    }
    let kind = req.param("type").unwrap_or("all");
    if !matches!(
        kind,
        "all" | "public" | "private" | "forks" | "sources" | "member"
    ) {
        return bad("type");
    }
    let sort = req.param("sort").unwrap_or("created");
    if !matches!(sort, "created" | "updated" | "pushed" | "full_name") {
        return bad("sort");
    }
    let asc = match req.param("direction") {
        None | Some("") => sort == "full_name",
        Some("asc") => true,
        Some("desc") => false,
        Some(_) => return bad("direction"),
    };
    let mut hits: Vec<usize> = s
        .repos
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.owner.eq_ignore_ascii_case(org)
                && req.token.reaches(&r.owner, &r.name)
                && match kind {
                    "public" => !r.private,
                    "private" => r.private,
                    "forks" => r.fork,
                    "sources" => !r.fork,
                    _ => true,
                }
        })
        .map(|(i, _)| i)
        .collect();
    hits.sort_by(|a, b| {
        let (x, y) = (&s.repos[*a], &s.repos[*b]);
        let order = match sort {
            "updated" => x.updated_at.cmp(&y.updated_at),
            "pushed" => x.pushed_at.cmp(&y.pushed_at),
            "full_name" => x
                .full_name()
                .to_ascii_lowercase()
                .cmp(&y.full_name().to_ascii_lowercase()),
            _ => x.created_at.cmp(&y.created_at),
        }
        .then(x.id.cmp(&y.id));
        if asc { order } else { order.reverse() }
    });
    let path = format!("/orgs/{org}/repos");
    match repo_page(s, req, &path, &hits) {
        Ok((body, link)) => Reply::json(200, body).link(link),
        Err(r) => r,
    }
}

/// `GET /installation/repositories`: an installation token's repositories (its installation's,
/// or the ones it was narrowed to), by id, page-numbered.
fn list_installation_repos(s: &mut State, req: &Req) -> Reply {
    let reach = match (&req.token.kind, &req.token.reach) {
        (TokenKind::Installation, Some(reach)) => reach.clone(),
        _ => {
            return forbidden(
                "You must authenticate with an installation access token in order to list repositories for an installation.",
                DOC_INSTALLATION_REPOS,
            );
        }
    };
    let mut hits: Vec<usize> = s
        .repos
        .iter()
        .enumerate()
        .filter(|(_, r)| req.token.reaches(&r.owner, &r.name))
        .map(|(i, _)| i)
        .collect();
    hits.sort_by_key(|ri| s.repos[*ri].id);
    match repo_page(s, req, "/installation/repositories", &hits) {
        Ok((repos, link)) => Reply::json(
            200,
            json!({
                "total_count": hits.len(),
                "repository_selection": if reach.narrowed { "selected" } else { "all" },
                "repositories": repos,
            }),
        )
        .link(link),
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------------------------
// Listing issues

#[derive(Debug)]
enum MilestoneFilter {
    Any,
    Some,
    None,
    Number(u32),
}

#[derive(Debug)]
struct IssueFilter {
    state: Option<bool>,
    /// `None`: some named label does not exist, so nothing matches.
    labels: Option<Vec<u32>>,
    milestone: MilestoneFilter,
    since: Option<Ts>,
}

impl IssueFilter {
    fn matches(&self, i: &Issue) -> bool {
        if let Some(open) = self.state
            && i.open != open
        {
            return false;
        }
        match &self.labels {
            None => return false,
            Some(ls) => {
                if !ls.iter().all(|l| i.labels.contains(l)) {
                    return false;
                }
            }
        }
        let ms_ok = match self.milestone {
            MilestoneFilter::Any => true,
            MilestoneFilter::Some => i.milestone.is_some(),
            MilestoneFilter::None => i.milestone.is_none(),
            MilestoneFilter::Number(n) => i.milestone == Some(n),
        };
        ms_ok && self.since.is_none_or(|t| i.updated_at >= t)
    }
}

fn parse_time(s: &str) -> Option<Ts> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

fn parse_per_page(req: &Req, default: u64, max: u64) -> Result<u64, Reply> {
    match req.param("per_page") {
        None | Some("") => Ok(default),
        Some(v) => match v.parse::<u64>() {
            Ok(0) => Ok(default),
            Ok(n) => Ok(n.min(max)),
            Err(_) => Err(invalid("Issue", "per_page", "invalid", DOCS)),
        },
    }
}

fn parse_page(req: &Req) -> Result<Option<u64>, Reply> {
    match req.param("page") {
        None | Some("") => Ok(None),
        Some(v) => match v.parse::<u64>() {
            Ok(n) => Ok(Some(n.max(1))),
            Err(_) => Err(invalid("Issue", "page", "invalid", DOCS)),
        },
    }
}

/// An absolute URL: `api` + `path` + the request's query minus `drop`, plus `extra`.
fn link_url(api: &str, path: &str, req: &Req, drop: &[&str], extra: &[(&str, String)]) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in &req.query {
        if !drop.contains(&k.as_str()) {
            ser.append_pair(k, v);
        }
    }
    for (k, v) in extra {
        ser.append_pair(k, v);
    }
    let q = ser.finish();
    if q.is_empty() {
        format!("{api}{path}")
    } else {
        format!("{api}{path}?{q}")
    }
}

fn join_links(links: &[(String, &str)]) -> Option<String> {
    if links.is_empty() {
        return None;
    }
    Some(
        links
            .iter()
            .map(|(u, rel)| format!("<{u}>; rel=\"{rel}\""))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

fn list_issues(s: &mut State, ri: usize, req: &Req) -> Reply {
    let doc = DOC_LIST_ISSUES;
    let bad = |field: &str| invalid("Issue", field, "invalid", doc);
    let state = match req.param("state").unwrap_or("open") {
        "open" => Some(true),
        "closed" => Some(false),
        "all" => None,
        _ => return bad("state"),
    };
    let sort = match req.param("sort").unwrap_or("created") {
        "created" => SortKey::Created,
        "updated" => SortKey::Updated,
        "comments" => SortKey::Comments,
        _ => return bad("sort"),
    };
    let asc = match req.param("direction").unwrap_or("desc") {
        "asc" => true,
        "desc" => false,
        _ => return bad("direction"),
    };
    let milestone = match req.param("milestone") {
        None | Some("") => MilestoneFilter::Any,
        Some("*") => MilestoneFilter::Some,
        Some("none") => MilestoneFilter::None,
        Some(v) => match v.parse::<u32>() {
            Ok(n) => MilestoneFilter::Number(n),
            Err(_) => return bad("milestone"),
        },
    };
    let since = match req.param("since") {
        None | Some("") => None,
        Some(v) => match parse_time(v) {
            Some(t) => Some(t),
            None => return bad("since"),
        },
    };
    let repo = &s.repos[ri];
    let labels = match req.param("labels") {
        None | Some("") => Some(Vec::new()),
        Some(v) => v
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| repo.label_index(n))
            .collect::<Option<Vec<u32>>>(),
    };
    let filter = IssueFilter {
        state,
        labels,
        milestone,
        since,
    };
    let per_page = match parse_per_page(req, 30, 100) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let page = match parse_page(req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let cursor = |name: &str| -> Result<Option<(i64, u32)>, Reply> {
        match req.param(name) {
            None | Some("") => Ok(None),
            Some(c) => ids::decode_cursor(c).map(Some).ok_or_else(|| bad(name)),
        }
    };
    let (after, before) = match (cursor("after"), cursor("before")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let cursor_mode = after.is_some() || before.is_some();
    if !cursor_mode && page.unwrap_or(1).saturating_mul(per_page) > PAGE_WINDOW {
        return error(
            422,
            "Pagination with the page parameter is not supported for large datasets, please use cursor based pagination (after/before)",
            doc,
        );
    }
    let repo_id = s.repos[ri].id;
    // Left out of every page (`--hide-from-rest`, issues no longer visible).
    let hidden: std::collections::BTreeSet<u32> = s.repos[ri]
        .hidden_from_rest
        .union(&s.repos[ri].not_visible)
        .copied()
        .collect();
    let (issues, idx) = s.repos[ri].sorted(sort);
    let len = idx.len();
    // Logical position j walks the requested order; `at(j)` is its index entry.
    let at = |j: usize| if asc { idx[j] } else { idx[len - 1 - j] };
    let hit = |j: usize| {
        let e = at(j);
        !hidden.contains(&e.1) && filter.matches(&issues[e.2 as usize])
    };
    let want = usize::try_from(per_page).unwrap_or(30);
    let (positions, has_prev, has_next): (Vec<usize>, bool, bool) = if let Some(b) = before {
        let end = if asc {
            idx.partition_point(|e| (e.0, e.1) < b)
        } else {
            len - idx.partition_point(|e| (e.0, e.1) <= b)
        };
        let mut got = Vec::with_capacity(want + 1);
        let mut j = end;
        while j > 0 && got.len() <= want {
            j -= 1;
            if hit(j) {
                got.push(j);
            }
        }
        let has_prev = got.len() > want;
        got.truncate(want);
        got.reverse();
        let has_next = (end..len).any(hit);
        (got, has_prev, has_next)
    } else {
        let (start, skip) = match after {
            Some(a) => {
                let start = if asc {
                    idx.partition_point(|e| (e.0, e.1) <= a)
                } else {
                    len - idx.partition_point(|e| (e.0, e.1) < a)
                };
                (start, 0)
            }
            None => (
                0,
                usize::try_from((page.unwrap_or(1) - 1) * per_page).unwrap_or(0),
            ),
        };
        let mut got = Vec::with_capacity(want + 1);
        let mut skipped = 0;
        let mut j = start;
        while j < len && got.len() <= want {
            if hit(j) {
                if skipped < skip {
                    skipped += 1;
                } else {
                    got.push(j);
                }
            }
            j += 1;
        }
        let has_next = got.len() > want;
        got.truncate(want);
        let has_prev = if after.is_some() {
            (0..start).rev().any(hit)
        } else {
            skipped > 0
        };
        (got, has_prev, has_next)
    };
    let entries: Vec<(i64, u32, u32)> = positions.iter().map(|j| at(*j)).collect();
    let last_page = if !cursor_mode && has_next {
        let total = (0..len).filter(|j| hit(*j)).count() as u64;
        Some(total.div_ceil(per_page))
    } else {
        None
    };
    let path = format!("/repositories/{repo_id}/issues");
    let drop = ["page", "after", "before"];
    let mut links: Vec<(String, &str)> = Vec::new();
    if let (Some(first), true) = (entries.first(), has_prev) {
        let c = ids::encode_cursor(first.0, first.1);
        links.push((
            link_url(&req.api, &path, req, &drop, &[("before", c)]),
            "prev",
        ));
    }
    if let (Some(last), true) = (entries.last(), has_next) {
        let c = ids::encode_cursor(last.0, last.1);
        links.push((
            link_url(&req.api, &path, req, &drop, &[("after", c)]),
            "next",
        ));
    }
    if let Some(lp) = last_page {
        links.push((
            link_url(&req.api, &path, req, &drop, &[("page", lp.to_string())]),
            "last",
        ));
    }
    if has_prev {
        links.push((link_url(&req.api, &path, req, &drop, &[]), "first"));
    }
    let repo = &s.repos[ri];
    let body: Vec<Value> = entries
        .iter()
        .map(|e| render::issue(&req.api, s, repo, &repo.issues()[e.2 as usize], true))
        .collect();
    Reply::json(200, Value::Array(body)).link(join_links(&links))
}

// ---------------------------------------------------------------------------------------------
// Writing issues

/// Label names from `["a", {"name": "b"}]`.
fn label_names(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|x| match x {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        })
        .collect()
}

fn milestone_number(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn create_issue(s: &mut State, ri: usize, req: &Req) -> Reply {
    let doc = DOC_CREATE_ISSUE;
    let Some(body) = req.body.as_ref().and_then(Value::as_object) else {
        return error(400, "Problems parsing JSON", doc);
    };
    let title = match body.get("title") {
        Some(Value::String(t)) if !t.is_empty() => t.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return invalid("Issue", "title", "missing_field", doc),
    };
    let push = req.token.can_push();
    let full = s.repos[ri].full_name();
    let mut milestone = None;
    let mut labels = Vec::new();
    let mut assignees = Vec::new();
    if push {
        if let Some(v) = body.get("milestone").filter(|v| !v.is_null()) {
            match milestone_number(v)
                .filter(|n| s.repos[ri].milestone(*n).is_some_and(|m| m.listed))
            {
                Some(n) => milestone = Some(n),
                None => return invalid_value("Issue", "milestone", v, doc),
            }
        }
        if let Some(v) = body.get("labels").filter(|v| !v.is_null()) {
            let Some(names) = label_names(v) else {
                return invalid("Issue", "labels", "invalid", doc);
            };
            if names.len() > MAX_LABELS {
                return invalid("Issue", "labels", "invalid", doc);
            }
            for n in names {
                if let Some(i) = s.ensure_label(&full, &n)
                    && !labels.contains(&i)
                {
                    labels.push(i);
                }
            }
        }
        if let Some(v) = body.get("assignees").and_then(Value::as_array) {
            for a in v.iter().filter_map(Value::as_str) {
                assignees.push(s.ensure_user(a));
            }
        }
    }
    let now = s.clock();
    let actor = s.ensure_user(req.token.login());
    let mut issue = Issue::new(title, now);
    issue.body = body.get("body").and_then(Value::as_str).map(str::to_owned);
    issue.user = Some(actor);
    issue.labels = labels;
    issue.milestone = milestone;
    issue.assignees = assignees;
    let repo = &mut s.repos[ri];
    repo.updated_at = now;
    let n = repo.push_issue(issue);
    let repo = &s.repos[ri];
    let Some(i) = repo.issue(n) else {
        return not_found();
    };
    let v = render::issue(&req.api, s, repo, i, false);
    let location = format!("{}/repos/{}/issues/{n}", req.api, repo.full_name());
    Reply::json(201, v).header("location", location)
}

#[expect(
    clippy::too_many_lines,
    reason = "one field at a time, in GitHub's order"
)]
fn update_issue(s: &mut State, ri: usize, n: u32, req: &Req) -> Reply {
    let doc = DOC_UPDATE_ISSUE;
    let Some(body) = req.body.as_ref().and_then(Value::as_object) else {
        return error(400, "Problems parsing JSON", doc);
    };
    let push = req.token.can_push();
    let actor = s.ensure_user(req.token.login());
    let full = s.repos[ri].full_name();
    let Some(current) = s.repos[ri].issue(n) else {
        return not_found();
    };
    if !push && current.user != Some(actor) {
        return forbidden("Must have admin rights to Repository.", doc);
    }
    // Validate everything before changing anything.
    let state = match body.get("state") {
        None | Some(Value::Null) => None,
        Some(Value::String(v)) if v == "open" => Some(true),
        Some(Value::String(v)) if v == "closed" => Some(false),
        Some(v) => return invalid_value("Issue", "state", v, doc),
    };
    let reason = match body.get("state_reason") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_str().and_then(StateReason::parse) {
            Some(r) => Some(r),
            None => return invalid_value("Issue", "state_reason", v, doc),
        },
    };
    let milestone = if push {
        match body.get("milestone") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v) => match milestone_number(v)
                .filter(|m| s.repos[ri].milestone(*m).is_some_and(|m| m.listed))
            {
                Some(m) => Some(Some(m)),
                None => return invalid_value("Issue", "milestone", v, doc),
            },
        }
    } else {
        None
    };
    let labels = if push {
        match body.get("labels") {
            None | Some(Value::Null) => None,
            Some(v) => match label_names(v) {
                Some(names) if names.len() <= MAX_LABELS => Some(names),
                _ => return invalid("Issue", "labels", "invalid", doc),
            },
        }
    } else {
        None
    };
    let label_idx: Option<Vec<u32>> = labels.map(|names| {
        let mut out = Vec::new();
        for name in names {
            if let Some(i) = s.ensure_label(&full, &name)
                && !out.contains(&i)
            {
                out.push(i);
            }
        }
        out
    });
    let assignees: Option<Vec<u32>> = if push {
        body.get("assignees").and_then(Value::as_array).map(|v| {
            v.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
    } else {
        None
    }
    .map(|names| names.iter().map(|a| s.ensure_user(a)).collect());
    let now = s.clock();
    let repo = &mut s.repos[ri];
    repo.updated_at = now;
    let Some(i) = repo.issue_mut(n) else {
        return not_found();
    };
    if let Some(Value::String(t)) = body.get("title") {
        i.title.clone_from(t);
    }
    match body.get("body") {
        Some(Value::String(b)) => i.body = Some(b.clone()),
        Some(Value::Null) => i.body = None,
        _ => {}
    }
    match state {
        Some(false) if i.open => {
            i.open = false;
            i.closed_at = Some(now);
            i.closed_by = Some(actor);
            i.state_reason = Some(reason.unwrap_or(StateReason::Completed));
        }
        Some(true) if !i.open => {
            i.open = true;
            i.closed_at = None;
            i.closed_by = None;
            i.state_reason = Some(StateReason::Reopened);
        }
        _ => {
            if let Some(r) = reason
                && !i.open
            {
                i.state_reason = Some(r);
            }
        }
    }
    if let Some(m) = milestone {
        i.milestone = m;
    }
    if let Some(l) = label_idx {
        i.labels = l;
    }
    if let Some(a) = assignees {
        i.assignees = a;
    }
    i.updated_at = now;
    let repo = &s.repos[ri];
    match repo.issue(n) {
        Some(i) => Reply::json(200, render::issue(&req.api, s, repo, i, false)),
        None => not_found(),
    }
}

fn issue_labels(s: &mut State, ri: usize, n: u32, req: &Req) -> Reply {
    let repo = &s.repos[ri];
    let Some(i) = repo.issue(n) else {
        return not_found();
    };
    let v: Vec<Value> = i
        .labels
        .iter()
        .filter_map(|l| repo.labels.get(*l as usize))
        .map(|l| render::label(&req.api, repo, l))
        .collect();
    Reply::json(200, Value::Array(v))
}

fn add_labels(s: &mut State, ri: usize, n: u32, req: &Req) -> Reply {
    let doc = DOC_ADD_LABELS;
    if !req.token.can_push() {
        return forbidden("Resource not accessible by personal access token", doc);
    }
    let names = match &req.body {
        Some(Value::Object(o)) => o.get("labels").and_then(label_names),
        Some(v @ Value::Array(_)) => label_names(v),
        _ => None,
    };
    let Some(names) = names.filter(|n| !n.is_empty()) else {
        return invalid("Label", "labels", "missing_field", doc);
    };
    let full = s.repos[ri].full_name();
    let existing = s.repos[ri]
        .issue(n)
        .map(|i| i.labels.clone())
        .unwrap_or_default();
    let mut merged = existing;
    let mut new_names = Vec::new();
    for name in &names {
        match s.repos[ri].label_index(name) {
            Some(i) => {
                if !merged.contains(&i) {
                    merged.push(i);
                }
            }
            None => {
                if !new_names
                    .iter()
                    .any(|x: &String| x.eq_ignore_ascii_case(name))
                {
                    new_names.push(name.clone());
                }
            }
        }
    }
    if merged.len() + new_names.len() > MAX_LABELS {
        return Reply::json(
            422,
            json!({
                "message": "Validation Failed",
                "errors": [{"resource": "Issue", "field": "labels", "code": "invalid",
                            "message": "An issue can have at most 100 labels"}],
                "documentation_url": doc,
                "status": "422",
            }),
        );
    }
    for name in &new_names {
        if let Some(i) = s.ensure_label(&full, name) {
            merged.push(i);
        }
    }
    if let Some(i) = s.repos[ri].issue_mut(n) {
        i.labels = merged;
    }
    s.touch(&full, n);
    issue_labels(s, ri, n, req)
}

// ---------------------------------------------------------------------------------------------
// Labels, milestones, branches, contents, variables

/// Page-number pagination of a small list: the slice and the `Link` header.
fn paged<'a, T>(
    items: &'a [T],
    req: &Req,
    path: &str,
    default: u64,
    max: u64,
) -> Result<(&'a [T], Option<String>), Reply> {
    let per_page = parse_per_page(req, default, max)?;
    let page = parse_page(req)?.unwrap_or(1);
    let total = items.len() as u64;
    let last = total.div_ceil(per_page).max(1);
    let start = usize::try_from(((page - 1) * per_page).min(total)).unwrap_or(0);
    let end = usize::try_from((page * per_page).min(total)).unwrap_or(0);
    let mut links: Vec<(String, &str)> = Vec::new();
    let drop = ["page"];
    let at = |p: u64| link_url(&req.api, path, req, &drop, &[("page", p.to_string())]);
    if page > 1 {
        links.push((at((page - 1).min(last)), "prev"));
    }
    if page < last {
        links.push((at(page + 1), "next"));
        links.push((at(last), "last"));
    }
    if page > 1 {
        links.push((at(1), "first"));
    }
    Ok((&items[start..end.max(start)], join_links(&links)))
}

fn list_labels(s: &mut State, ri: usize, req: &Req) -> Reply {
    let repo = &s.repos[ri];
    let path = format!("/repos/{}/labels", repo.full_name());
    let listed: Vec<&Label> = repo.labels.iter().filter(|l| l.listed).collect();
    match paged(&listed, req, &path, 30, 100) {
        Ok((page, link)) => {
            let v: Vec<Value> = page
                .iter()
                .map(|l| render::label(&req.api, repo, l))
                .collect();
            Reply::json(200, Value::Array(v)).link(link)
        }
        Err(r) => r,
    }
}

fn get_label(s: &mut State, ri: usize, name: &str, req: &Req) -> Reply {
    let repo = &s.repos[ri];
    match repo
        .label_index(name)
        .and_then(|i| repo.labels.get(i as usize))
    {
        Some(l) => Reply::json(200, render::label(&req.api, repo, l)),
        None => not_found(),
    }
}

fn create_label(s: &mut State, ri: usize, req: &Req) -> Reply {
    let doc = DOC_LABELS;
    if !req.token.can_push() {
        return forbidden("Resource not accessible by personal access token", doc);
    }
    let Some(body) = req.body.as_ref().and_then(Value::as_object) else {
        return error(400, "Problems parsing JSON", doc);
    };
    let Some(name) = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    else {
        return invalid("Label", "name", "missing_field", doc);
    };
    if s.repos[ri].label_index(name).is_some() {
        return invalid("Label", "name", "already_exists", doc);
    }
    let color = body
        .get("color")
        .and_then(Value::as_str)
        .map_or("ededed", |c| c.trim_start_matches('#'))
        .to_lowercase();
    if color.len() != 6 || !color.chars().all(|c| c.is_ascii_hexdigit()) {
        return invalid_value("Label", "color", &json!(color), doc);
    }
    let id = s.next_id();
    let now = s.clock();
    let repo = &mut s.repos[ri];
    repo.updated_at = now;
    repo.labels.push(Label {
        id,
        name: name.to_owned(),
        color,
        description: body
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        default: false,
        listed: true,
    });
    let repo = &s.repos[ri];
    let Some(l) = repo.labels.last() else {
        return not_found();
    };
    let location = format!(
        "{}/repos/{}/labels/{}",
        req.api,
        repo.full_name(),
        render::encode_path(name)
    );
    Reply::json(201, render::label(&req.api, repo, l)).header("location", location)
}

fn list_milestones(s: &mut State, ri: usize, req: &Req) -> Reply {
    let doc = "https://docs.github.com/rest/issues/milestones#list-milestones";
    let repo = &s.repos[ri];
    let state = match req.param("state").unwrap_or("open") {
        "open" => Some(true),
        "closed" => Some(false),
        "all" => None,
        _ => return invalid("Milestone", "state", "invalid", doc),
    };
    let completeness = match req.param("sort").unwrap_or("due_on") {
        "due_on" => false,
        "completeness" => true,
        _ => return invalid("Milestone", "sort", "invalid", doc),
    };
    let desc = match req.param("direction").unwrap_or("asc") {
        "asc" => false,
        "desc" => true,
        _ => return invalid("Milestone", "direction", "invalid", doc),
    };
    let mut ms: Vec<&Milestone> = repo
        .milestones
        .iter()
        .filter(|m| m.listed && state.is_none_or(|o| m.open == o))
        .collect();
    if completeness {
        ms.sort_by_key(|m| {
            let (open, closed) = repo.milestone_counts(m.number);
            let total = open + closed;
            ((closed * 1000).checked_div(total).unwrap_or(0), m.number)
        });
    } else {
        // Milestones without a due date come last, as on GitHub.
        ms.sort_by_key(|m| (m.due_on.is_none(), m.due_on, m.number));
    }
    if desc {
        ms.reverse();
    }
    let path = format!("/repos/{}/milestones", repo.full_name());
    match paged(&ms, req, &path, 30, 100) {
        Ok((page, link)) => {
            let v: Vec<Value> = page
                .iter()
                .map(|m| render::milestone(&req.api, s, repo, m))
                .collect();
            Reply::json(200, Value::Array(v)).link(link)
        }
        Err(r) => r,
    }
}

fn get_milestone(s: &mut State, ri: usize, n: &str, req: &Req) -> Reply {
    let repo = &s.repos[ri];
    match n
        .parse::<u32>()
        .ok()
        .and_then(|n| repo.milestone(n))
        .filter(|m| m.listed)
    {
        Some(m) => Reply::json(200, render::milestone(&req.api, s, repo, m)),
        None => not_found(),
    }
}

fn create_milestone(s: &mut State, ri: usize, req: &Req) -> Reply {
    let doc = DOC_MILESTONES;
    if !req.token.can_push() {
        return forbidden("Resource not accessible by personal access token", doc);
    }
    let Some(body) = req.body.as_ref().and_then(Value::as_object) else {
        return error(400, "Problems parsing JSON", doc);
    };
    let Some(title) = body
        .get("title")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    else {
        return invalid("Milestone", "title", "missing_field", doc);
    };
    if s.repos[ri]
        .milestones
        .iter()
        .any(|m| m.listed && m.title == title)
    {
        return invalid("Milestone", "title", "already_exists", doc);
    }
    let open = match body.get("state").and_then(Value::as_str) {
        None | Some("open") => true,
        Some("closed") => false,
        Some(v) => return invalid_value("Milestone", "state", &json!(v), doc),
    };
    let due_on = match body.get("due_on") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_str().and_then(parse_time) {
            Some(t) => Some(t),
            None => return invalid_value("Milestone", "due_on", v, doc),
        },
    };
    let id = s.next_id();
    let now = s.clock();
    let creator = s.ensure_user(req.token.login());
    let repo = &mut s.repos[ri];
    let number = repo.milestones.iter().map(|m| m.number).max().unwrap_or(0) + 1;
    repo.updated_at = now;
    repo.milestones.push(Milestone {
        id,
        number,
        title: title.to_owned(),
        open,
        description: body
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        created_at: now,
        updated_at: now,
        due_on,
        closed_at: (!open).then_some(now),
        creator: Some(creator),
        listed: true,
    });
    let repo = &s.repos[ri];
    let Some(m) = repo.milestone(number) else {
        return not_found();
    };
    let location = format!("{}/repos/{}/milestones/{number}", req.api, repo.full_name());
    Reply::json(201, render::milestone(&req.api, s, repo, m)).header("location", location)
}

fn get_branch(s: &mut State, ri: usize, name: &str, req: &Req) -> Reply {
    let repo = &s.repos[ri];
    match repo.branch(name) {
        Some(b) => Reply::json(200, render::branch(&req.api, s, repo, &b.name, &b.sha)),
        None => error(
            404,
            "Branch not found",
            "https://docs.github.com/rest/branches/branches#get-a-branch",
        ),
    }
}

fn get_contents(s: &mut State, ri: usize, path: &str, req: &Req) -> Reply {
    let doc = "https://docs.github.com/rest/repos/contents#get-repository-content";
    let repo = &s.repos[ri];
    let reference = req.param("ref").filter(|r| !r.is_empty()).unwrap_or("main");
    let Some(branch) = repo.branch(reference) else {
        return error(
            404,
            &format!("No commit found for the ref {reference}"),
            doc,
        );
    };
    let path = path.trim_matches('/');
    if branch.files.contains(path) {
        let mut v = render::content_entry(&req.api, repo, &branch.name, path, false);
        if let Some(o) = v.as_object_mut() {
            o.insert("content".to_owned(), json!(""));
            o.insert("encoding".to_owned(), json!("base64"));
        }
        return Reply::json(200, v);
    }
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    let mut children = std::collections::BTreeSet::new();
    for f in &branch.files {
        if let Some(rest) = f.strip_prefix(&prefix) {
            match rest.split_once('/') {
                Some((dir, _)) => children.insert((format!("{prefix}{dir}"), true)),
                None => children.insert((f.clone(), false)),
            };
        }
    }
    if children.is_empty() {
        return error(404, "Not Found", doc);
    }
    let v: Vec<Value> = children
        .iter()
        .map(|(p, dir)| render::content_entry(&req.api, repo, &branch.name, p, *dir))
        .collect();
    Reply::json(200, Value::Array(v))
}

fn list_variables(s: &mut State, ri: usize, req: &Req) -> Reply {
    let doc = DOC_VARIABLES;
    if req.token.is_actions() || !req.token.can_push() {
        return forbidden("Resource not accessible by integration", doc);
    }
    let repo = &s.repos[ri];
    let path = format!("/repos/{}/actions/variables", repo.full_name());
    match paged(&repo.variables, req, &path, 10, 30) {
        Ok((page, link)) => {
            let v: Vec<Value> = page.iter().map(render::variable).collect();
            Reply::json(
                200,
                json!({"total_count": repo.variables.len(), "variables": v}),
            )
            .link(link)
        }
        Err(r) => r,
    }
}

fn create_variable(s: &mut State, ri: usize, req: &Req) -> Reply {
    let doc = "https://docs.github.com/rest/actions/variables#create-a-repository-variable";
    if req.token.is_actions() || !req.token.can_push() {
        return forbidden("Resource not accessible by integration", doc);
    }
    let body = req.body.as_ref().and_then(Value::as_object);
    let name = body.and_then(|b| b.get("name")).and_then(Value::as_str);
    let value = body.and_then(|b| b.get("value")).and_then(Value::as_str);
    let (Some(name), Some(value)) = (name, value) else {
        return invalid("Variable", "name", "missing_field", doc);
    };
    let name = name.to_uppercase();
    if s.repos[ri].variables.iter().any(|v| v.name == name) {
        return error(409, "Already exists - Variable already exists", doc);
    }
    let now = s.clock();
    let repo = &mut s.repos[ri];
    repo.variables.push(Variable {
        name,
        value: value.to_owned(),
        created_at: now,
        updated_at: now,
    });
    repo.updated_at = now;
    Reply::json(201, json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("good%20first%20issue"), "good first issue");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("a%2"), "a%2");
    }

    #[test]
    fn time_parsing() {
        assert_eq!(parse_time("1970-01-02T00:00:00Z"), Some(86_400));
        assert_eq!(parse_time("1970-01-02"), Some(86_400));
        assert_eq!(parse_time("yesterday"), None);
    }
}
