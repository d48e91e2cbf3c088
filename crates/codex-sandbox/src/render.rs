//! Turns compact state into GitHub's JSON shapes (`issue`, `label`, `milestone`, `simple-user`,
//! `full-repository`, `branch-with-protection`, `content-directory`, …), emitting every field the
//! OpenAPI description marks required, with its nullability. API URLs point at the sandbox itself
//! (built from the request's `Host`), so clients can follow them.

use serde_json::{Map, Value, json};

use crate::ids;
use crate::state::{
    Issue, IssueType, Label, Milestone, Quirk, Repo, State, UNKNOWN_STATE_REASON, User, UserKind,
    Variable, fmt_ts,
};

/// Where web links point (never served by the sandbox).
pub(crate) const HTML: &str = "https://github.com";

/// The web host of the server whose REST API answers at `api`, for links a person follows:
/// `https://github.com` for the sandbox's github.com mode, the server itself
/// (`http://127.0.0.1:PORT`) when the API lives under `/api/v3` (GitHub Enterprise Server).
pub(crate) fn html_base(api: &str) -> String {
    match api.strip_suffix(GHES_API_PREFIX) {
        Some(host) => host.to_owned(),
        None => HTML.to_owned(),
    }
}

/// Where GitHub Enterprise Server serves REST.
pub(crate) const GHES_API_PREFIX: &str = "/api/v3";

/// `simple-user`.
pub(crate) fn user(api: &str, u: &User) -> Value {
    let html = html_base(api);
    let login = &u.login;
    let (kind, prefix) = match u.kind {
        UserKind::User => ("User", ids::USER),
        UserKind::Organization => ("Organization", ids::ORG),
        UserKind::Bot => ("Bot", ids::BOT),
    };
    // GitHub percent-encodes a login in its API URLs (`github-actions%5Bbot%5D`: brackets are
    // not allowed in a URI path) and links an app's bot account to the app's page.
    let base = format!("{api}/users/{}", encode_path(login));
    let html_url = match (u.kind, login.strip_suffix("[bot]")) {
        (UserKind::Bot, Some(app)) => format!("{html}/apps/{}", encode_path(app)),
        _ => format!("{html}/{}", encode_path(login)),
    };
    json!({
        "login": login,
        "id": u.id,
        "node_id": ids::node_id(prefix, &u.id.to_string()),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", u.id),
        "gravatar_id": "",
        "url": base,
        "html_url": html_url,
        "followers_url": format!("{base}/followers"),
        "following_url": format!("{base}/following{{/other_user}}"),
        "gists_url": format!("{base}/gists{{/gist_id}}"),
        "starred_url": format!("{base}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{base}/subscriptions"),
        "organizations_url": format!("{base}/orgs"),
        "repos_url": format!("{base}/repos"),
        "events_url": format!("{base}/events{{/privacy}}"),
        "received_events_url": format!("{base}/received_events"),
        "type": kind,
        "user_view_type": "public",
        "site_admin": false,
    })
}

/// `nullable-simple-user` from an index into [`State::users`].
pub(crate) fn user_ref(api: &str, s: &State, idx: Option<u32>) -> Value {
    idx.and_then(|i| s.users.get(i as usize))
        .map_or(Value::Null, |u| user(api, u))
}

/// `label`.
pub(crate) fn label(api: &str, repo: &Repo, l: &Label) -> Value {
    json!({
        "id": l.id,
        "node_id": ids::node_id(ids::LABEL, &l.id.to_string()),
        "url": format!("{api}/repos/{}/labels/{}", repo.full_name(), encode_path(&l.name)),
        "name": l.name,
        "color": l.color,
        "default": l.default,
        "description": l.description,
    })
}

/// `milestone`.
pub(crate) fn milestone(api: &str, s: &State, repo: &Repo, m: &Milestone) -> Value {
    let html = html_base(api);
    let (open, closed) = repo.milestone_counts(m.number);
    let full = repo.full_name();
    json!({
        "url": format!("{api}/repos/{full}/milestones/{}", m.number),
        "html_url": format!("{html}/{full}/milestone/{}", m.number),
        "labels_url": format!("{api}/repos/{full}/milestones/{}/labels", m.number),
        "id": m.id,
        "node_id": ids::node_id(ids::MILESTONE, &m.id.to_string()),
        "number": m.number,
        "state": if m.open { "open" } else { "closed" },
        "title": m.title,
        "description": m.description,
        "creator": user_ref(api, s, m.creator),
        "open_issues": open,
        "closed_issues": closed,
        "created_at": fmt_ts(m.created_at),
        "updated_at": fmt_ts(m.updated_at),
        "closed_at": m.closed_at.map(fmt_ts),
        "due_on": m.due_on.map(fmt_ts),
    })
}

/// `issue-type`.
pub(crate) fn issue_type(t: &IssueType) -> Value {
    json!({
        "id": t.id,
        "node_id": ids::node_id("IT_kwDO", &t.id.to_string()),
        "name": t.name,
        "description": t.description,
        "color": t.color,
        "created_at": "2025-01-15T10:00:00Z",
        "updated_at": "2025-01-15T10:00:00Z",
        "is_enabled": true,
    })
}

/// The GraphQL node id of an issue or pull request.
pub(crate) fn issue_node_id(repo: &Repo, i: &Issue) -> String {
    let prefix = if i.is_pull_request() {
        ids::PULL
    } else {
        ids::ISSUE
    };
    ids::node_id(prefix, &format!("{}:{}", repo.id, i.number))
}

/// The numeric id of an issue.
pub(crate) fn issue_id(repo: &Repo, i: &Issue) -> u64 {
    repo.id * 1_000_000 + u64::from(i.number)
}

/// `issue`. `list` applies the off-spec quirks that GitHub has been seen to send in lists only.
pub(crate) fn issue(api: &str, s: &State, repo: &Repo, i: &Issue, list: bool) -> Value {
    let html = html_base(api);
    let full = repo.full_name();
    let n = i.number;
    let url = format!("{api}/repos/{full}/issues/{n}");
    let kind = if i.is_pull_request() {
        "pull"
    } else {
        "issues"
    };
    let labels: Vec<Value> = i
        .labels
        .iter()
        .filter_map(|l| repo.labels.get(*l as usize))
        .enumerate()
        .map(|(k, l)| match i.quirk {
            Quirk::LabelsAsStrings => Value::String(l.name.clone()),
            Quirk::LabelWithoutName if k == 0 => {
                let mut v = label(api, repo, l);
                if let Some(o) = v.as_object_mut() {
                    o.remove("name");
                }
                v
            }
            _ => label(api, repo, l),
        })
        .collect();
    let ms = i
        .milestone
        .and_then(|m| repo.milestone(m))
        .map_or(Value::Null, |m| milestone(api, s, repo, m));
    let assignees: Vec<Value> = i
        .assignees
        .iter()
        .map(|a| user_ref(api, s, Some(*a)))
        .collect();
    let association = match i.user.and_then(|u| s.users.get(u as usize)) {
        Some(u) if u.login == "octocat" => "OWNER",
        Some(u) if u.kind == UserKind::Bot => "NONE",
        Some(_) => "MEMBER",
        None => "NONE",
    };
    let mut o = Map::new();
    let mut put = |k: &str, v: Value| {
        o.insert(k.to_owned(), v);
    };
    put("url", json!(url));
    put("repository_url", json!(format!("{api}/repos/{full}")));
    put("labels_url", json!(format!("{url}/labels{{/name}}")));
    put("comments_url", json!(format!("{url}/comments")));
    put("events_url", json!(format!("{url}/events")));
    put("html_url", json!(format!("{html}/{full}/{kind}/{n}")));
    put("id", json!(issue_id(repo, i)));
    put("node_id", json!(issue_node_id(repo, i)));
    put("number", json!(n));
    put("title", json!(i.title));
    put("user", user_ref(api, s, i.user));
    put("labels", Value::Array(labels));
    put("state", json!(if i.open { "open" } else { "closed" }));
    put("locked", json!(i.locked));
    put(
        "assignee",
        assignees.first().cloned().unwrap_or(Value::Null),
    );
    put("assignees", Value::Array(assignees));
    put("milestone", ms);
    put("comments", json!(i.comments));
    put("created_at", json!(fmt_ts(i.created_at)));
    put("updated_at", json!(fmt_ts(i.updated_at)));
    put(
        "closed_at",
        i.closed_at.map_or(Value::Null, |t| json!(fmt_ts(t))),
    );
    put("author_association", json!(association));
    put(
        "active_lock_reason",
        i.lock_reason
            .as_ref()
            .filter(|_| i.locked)
            .map_or(Value::Null, |r| json!(r)),
    );
    if let Some(pr) = &i.pull_request {
        put("draft", json!(false));
        put(
            "pull_request",
            json!({
                "url": format!("{api}/repos/{full}/pulls/{n}"),
                "html_url": format!("{html}/{full}/pull/{n}"),
                "diff_url": format!("{html}/{full}/pull/{n}.diff"),
                "patch_url": format!("{html}/{full}/pull/{n}.patch"),
                "merged_at": pr.merged_at.map(fmt_ts),
            }),
        );
    }
    put("body", json!(i.body));
    put("closed_by", user_ref(api, s, i.closed_by));
    put(
        "reactions",
        json!({
            "url": format!("{url}/reactions"), "total_count": 0, "+1": 0, "-1": 0, "laugh": 0,
            "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0,
        }),
    );
    put("timeline_url", json!(format!("{url}/timeline")));
    put("performed_via_github_app", Value::Null);
    put("state_reason", json!(i.state_reason.map(|r| r.as_str())));
    put(
        "type",
        i.issue_type
            .and_then(|t| s.issue_types.get(t as usize))
            .map_or(Value::Null, issue_type),
    );
    put(
        "parent_issue_url",
        i.parent.map_or(Value::Null, |p| {
            json!(format!("{api}/repos/{full}/issues/{p}"))
        }),
    );
    let sub = repo.sub_issues(n);
    put(
        "sub_issues_summary",
        json!({
            "total": sub.total,
            "completed": sub.completed,
            "percent_completed": (sub.completed * 100).checked_div(sub.total).unwrap_or(0),
        }),
    );
    let dep = repo.dependencies(n);
    put(
        "issue_dependencies_summary",
        json!({
            "blocked_by": dep.blocked_by,
            "blocking": dep.blocking,
            "total_blocked_by": dep.total_blocked_by,
            "total_blocking": dep.total_blocking,
        }),
    );
    if list {
        match i.quirk {
            Quirk::NoNumber => {
                o.remove("number");
            }
            Quirk::NoTitle => {
                o.remove("title");
            }
            Quirk::MilestoneWithoutNumber => {
                if let Some(m) = o.get_mut("milestone").and_then(Value::as_object_mut) {
                    m.remove("number");
                }
            }
            Quirk::UnknownStateReason => {
                o.insert("state_reason".to_owned(), json!(UNKNOWN_STATE_REASON));
            }
            Quirk::NoCreatedAt => {
                o.remove("created_at");
            }
            Quirk::LabelsNull => {
                o.insert("labels".to_owned(), Value::Null);
            }
            _ => {}
        }
    }
    Value::Object(o)
}

/// `permissions` of a repository for the token's kind.
pub(crate) fn permissions(admin: bool, push: bool) -> Value {
    json!({"admin": admin, "maintain": admin, "push": push, "triage": push, "pull": true})
}

/// `full-repository`.
pub(crate) fn repository(api: &str, s: &State, r: &Repo, perms: Value) -> Value {
    let html = html_base(api);
    let full = r.full_name();
    let base = format!("{api}/repos/{full}");
    let owner = s
        .user_index(&r.owner)
        .and_then(|i| s.users.get(i as usize))
        .map_or(Value::Null, |u| user(api, u));
    let open = r.open_count();
    json!({
        "id": r.id,
        "node_id": r.node_id(),
        "name": r.name,
        "full_name": full,
        "private": r.private,
        "owner": owner,
        "organization": owner,
        "html_url": format!("{html}/{full}"),
        "description": r.description,
        "fork": r.fork,
        "url": base,
        "forks_url": format!("{base}/forks"),
        "keys_url": format!("{base}/keys{{/key_id}}"),
        "collaborators_url": format!("{base}/collaborators{{/collaborator}}"),
        "teams_url": format!("{base}/teams"),
        "hooks_url": format!("{base}/hooks"),
        "issue_events_url": format!("{base}/issues/events{{/number}}"),
        "events_url": format!("{base}/events"),
        "assignees_url": format!("{base}/assignees{{/user}}"),
        "branches_url": format!("{base}/branches{{/branch}}"),
        "tags_url": format!("{base}/tags"),
        "blobs_url": format!("{base}/git/blobs{{/sha}}"),
        "git_tags_url": format!("{base}/git/tags{{/sha}}"),
        "git_refs_url": format!("{base}/git/refs{{/sha}}"),
        "trees_url": format!("{base}/git/trees{{/sha}}"),
        "statuses_url": format!("{base}/statuses/{{sha}}"),
        "languages_url": format!("{base}/languages"),
        "stargazers_url": format!("{base}/stargazers"),
        "contributors_url": format!("{base}/contributors"),
        "subscribers_url": format!("{base}/subscribers"),
        "subscription_url": format!("{base}/subscription"),
        "commits_url": format!("{base}/commits{{/sha}}"),
        "git_commits_url": format!("{base}/git/commits{{/sha}}"),
        "comments_url": format!("{base}/comments{{/number}}"),
        "issue_comment_url": format!("{base}/issues/comments{{/number}}"),
        "contents_url": format!("{base}/contents/{{+path}}"),
        "compare_url": format!("{base}/compare/{{base}}...{{head}}"),
        "merges_url": format!("{base}/merges"),
        "archive_url": format!("{base}/{{archive_format}}{{/ref}}"),
        "downloads_url": format!("{base}/downloads"),
        "issues_url": format!("{base}/issues{{/number}}"),
        "pulls_url": format!("{base}/pulls{{/number}}"),
        "milestones_url": format!("{base}/milestones{{/number}}"),
        "notifications_url": format!("{base}/notifications{{?since,all,participating}}"),
        "labels_url": format!("{base}/labels{{/name}}"),
        "releases_url": format!("{base}/releases{{/id}}"),
        "deployments_url": format!("{base}/deployments"),
        "created_at": fmt_ts(r.created_at),
        "updated_at": fmt_ts(r.updated_at),
        "pushed_at": fmt_ts(r.pushed_at),
        "git_url": format!("git://{}/{full}.git", html.split("://").nth(1).unwrap_or("github.com")),
        "ssh_url": format!("git@{}:{full}.git", html.split("://").nth(1).unwrap_or("github.com")),
        "clone_url": format!("{html}/{full}.git"),
        "svn_url": format!("{html}/{full}"),
        "homepage": null,
        "size": 1024,
        "stargazers_count": 3,
        "watchers_count": 3,
        "language": "Rust",
        "has_issues": true,
        "has_projects": true,
        "has_downloads": true,
        "has_wiki": false,
        "has_pages": r.branch("gh-pages").is_some(),
        "has_discussions": false,
        "forks_count": 0,
        "mirror_url": null,
        "archived": r.archived,
        "disabled": false,
        "open_issues_count": open,
        "license": null,
        "allow_forking": true,
        "is_template": false,
        "web_commit_signoff_required": false,
        "topics": r.topics,
        "visibility": if r.private { "private" } else { "public" },
        "forks": 0,
        "open_issues": open,
        "watchers": 3,
        "default_branch": "main",
        "permissions": perms,
        "network_count": 0,
        "subscribers_count": 2,
    })
}

/// `branch-with-protection`.
pub(crate) fn branch(api: &str, s: &State, r: &Repo, name: &str, sha: &str) -> Value {
    let html = html_base(api);
    let full = r.full_name();
    let base = format!("{api}/repos/{full}");
    let date = fmt_ts(r.pushed_at);
    let author = user_ref(api, s, s.user_index("octocat"));
    json!({
        "name": name,
        "commit": {
            "sha": sha,
            "node_id": ids::node_id("C_kwDO", sha),
            "commit": {
                "author": {"name": "Octocat", "email": "octocat@github.com", "date": date},
                "committer": {"name": "GitHub", "email": "noreply@github.com", "date": date},
                "message": "Update files",
                "tree": {"sha": crate::state::fake_sha(r.id, sha), "url": format!("{base}/git/trees/{sha}")},
                "url": format!("{base}/git/commits/{sha}"),
                "comment_count": 0,
                "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null},
            },
            "url": format!("{base}/commits/{sha}"),
            "html_url": format!("{html}/{full}/commit/{sha}"),
            "comments_url": format!("{base}/commits/{sha}/comments"),
            "author": author,
            "committer": author,
            "parents": [],
        },
        "_links": {"self": format!("{base}/branches/{name}"), "html": format!("{html}/{full}/tree/{name}")},
        "protected": false,
        "protection": {
            "enabled": false,
            "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
        },
        "protection_url": format!("{base}/branches/{name}/protection"),
    })
}

/// One entry of `content-directory` (or a `content-file` without content for `listing=false`).
pub(crate) fn content_entry(api: &str, r: &Repo, branch: &str, path: &str, is_dir: bool) -> Value {
    let html = html_base(api);
    let full = r.full_name();
    let name = path.rsplit('/').next().unwrap_or(path);
    let sha = crate::state::fake_sha(r.id, path);
    let self_url = format!("{api}/repos/{full}/contents/{path}?ref={branch}");
    let git_url = format!(
        "{api}/repos/{full}/git/{}/{sha}",
        if is_dir { "trees" } else { "blobs" }
    );
    let html_url = format!(
        "{html}/{full}/{}/{branch}/{path}",
        if is_dir { "tree" } else { "blob" }
    );
    json!({
        "type": if is_dir { "dir" } else { "file" },
        "size": 0,
        "name": name,
        "path": path,
        "sha": sha,
        "url": self_url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": if is_dir { Value::Null } else {
            json!(format!("https://raw.githubusercontent.com/{full}/{branch}/{path}"))
        },
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    })
}

/// `actions-variable`.
pub(crate) fn variable(v: &Variable) -> Value {
    json!({
        "name": v.name, "value": v.value,
        "created_at": fmt_ts(v.created_at), "updated_at": fmt_ts(v.updated_at),
    })
}

/// Percent-encodes one path segment (label names may hold spaces).
pub(crate) fn encode_path(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Scenario, build};

    #[test]
    fn issue_has_every_required_field() {
        let s = build(Scenario::Demo, 1, 0, true, 1_750_000_000);
        let r = s.repo("acme/widgets").unwrap();
        let v = issue("http://x", &s, r, r.issue(98).unwrap(), false);
        for k in [
            "assignee",
            "closed_at",
            "comments",
            "comments_url",
            "events_url",
            "html_url",
            "id",
            "node_id",
            "labels",
            "labels_url",
            "milestone",
            "number",
            "repository_url",
            "state",
            "locked",
            "title",
            "url",
            "user",
            "created_at",
            "updated_at",
        ] {
            assert!(v.get(k).is_some(), "{k}");
        }
        assert_eq!(v["labels"][0]["name"], "codex");
        assert_eq!(v["milestone"]["title"], "Codex Main Track");
        let quirky = r.issue(301).unwrap();
        assert!(
            issue("http://x", &s, r, quirky, true)
                .get("created_at")
                .is_none()
        );
        assert!(
            issue("http://x", &s, r, quirky, false)
                .get("created_at")
                .is_some()
        );
        let strings = issue("http://x", &s, r, r.issue(101).unwrap(), false);
        assert!(strings["labels"][0].is_string());
    }

    #[test]
    fn bot_users_are_rendered_as_github_does() {
        let s = build(Scenario::Demo, 1, 0, false, 1_750_000_000);
        let find = |login: &str| s.users.iter().find(|u| u.login == login).unwrap();
        let bot = user("https://api.github.com", find("github-actions[bot]"));
        assert_eq!(bot["login"], "github-actions[bot]");
        assert_eq!(bot["type"], "Bot");
        assert_eq!(
            bot["url"],
            "https://api.github.com/users/github-actions%5Bbot%5D"
        );
        assert_eq!(bot["html_url"], "https://github.com/apps/github-actions");
        assert_eq!(
            bot["followers_url"],
            "https://api.github.com/users/github-actions%5Bbot%5D/followers"
        );
        assert_eq!(
            bot["following_url"],
            "https://api.github.com/users/github-actions%5Bbot%5D/following{/other_user}"
        );
        let dependabot = user("https://api.github.com", find("dependabot[bot]"));
        assert_eq!(dependabot["html_url"], "https://github.com/apps/dependabot");
        let person = user("https://api.github.com", find("octocat"));
        assert_eq!(person["url"], "https://api.github.com/users/octocat");
        assert_eq!(person["html_url"], "https://github.com/octocat");
    }

    #[test]
    fn pull_requests_carry_pull_request_object() {
        let s = build(Scenario::Demo, 1, 0, false, 1_750_000_000);
        let r = s.repo("acme/widgets").unwrap();
        let v = issue("http://x", &s, r, r.issue(13).unwrap(), true);
        assert_eq!(
            v["pull_request"]["url"],
            "http://x/repos/acme/widgets/pulls/13"
        );
        assert!(v["node_id"].as_str().unwrap().starts_with("PR_"));
    }
}
