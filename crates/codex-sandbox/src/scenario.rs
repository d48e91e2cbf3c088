//! The built-in worlds (`demo`, `empty`, `large`, `org`), generated deterministically from a seed
//! and a clock. Which issue numbers are which kind in `demo` is fixed (the seed only varies ages, titles
//! and comment counts), is documented in the crate docs, and is exposed under `"scenario"` in
//! `/_sandbox/state`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::prng::SplitMix64;
use crate::state::{
    Branch, Issue, Label, Milestone, Project, PullRequest, Quirk, Repo, State, StateReason,
    Transfer, Ts, UserKind, Variable, fake_sha,
};

/// Which world to build.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// `acme/widgets` with ~300 issues and pull requests of every kind Codex meets.
    #[default]
    Demo,
    /// `acme/widgets` with nothing in it: no labels, milestones, project, variables or gh-pages.
    Empty,
    /// `acme/widgets` with `--issues` generated items (default 10,000): issues and pull requests
    /// together, about one in ten a pull request.
    Large,
    /// The organisation `acme` with `--repos` repositories `acme/repo-001`… (default 12) of
    /// `--issues-per-repo` generated items each (default 200), some archived, forked or private,
    /// with topics; and one user repository, `octocat/dotfiles`.
    Org,
}

/// Repositories of the `org` scenario unless told (`--repos`).
pub const ORG_REPOS: usize = 12;
/// Items per repository of the `org` scenario unless told (`--issues-per-repo`).
pub const ORG_ISSUES_PER_REPO: usize = 200;
/// The topics `org` repositories draw from.
pub const ORG_TOPICS: &[&str] = &["codex", "rust", "python", "web", "infra", "docs"];
/// Id of `acme/repo-001`; repository `k` (from 1) has `ORG_REPO_BASE_ID + k`.
const ORG_REPO_BASE_ID: u64 = 10_000_000;

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

/// Repository id of `acme/widgets`.
pub(crate) const WIDGETS_ID: u64 = 100_001;
/// Repository id of `acme/gadgets` (target of the demo's transferred issue).
pub(crate) const GADGETS_ID: u64 = 100_002;

// Label indexes in demo and large.
const L_CODEX: u32 = 0;
const L_MAIN: u32 = 1;
const L_DASH: u32 = 2;
const L_SELFTEST: u32 = 3;
const L_BUG: u32 = 4;
const L_ENH: u32 = 5;

// Milestone numbers in demo and large.
const M_INTERNAL: u32 = 1;
const M_MAIN: u32 = 2;
const M_DASH: u32 = 3;
const M_CLOSED: u32 = 4;
const M_GONE: u32 = 5;

// User indexes.
const U_OCTOCAT: u32 = 1;
const U_ALICE: u32 = 2;
const U_BOB: u32 = 3;
const U_CAROL: u32 = 4;
const U_ACTIONS: u32 = 6;
const U_DEPENDABOT: u32 = 7;

const NOUNS: &[&str] = &[
    "cache",
    "parser",
    "scheduler",
    "exporter",
    "login flow",
    "settings page",
    "webhook",
    "search index",
    "CLI",
    "report",
    "sync job",
    "retry loop",
    "config loader",
    "API client",
];
const VERBS: &[&str] = &[
    "Fix",
    "Improve",
    "Refactor",
    "Document",
    "Speed up",
    "Harden",
    "Add tests for",
    "Simplify",
];

/// Builds the world for `scenario`.
pub(crate) fn build(
    scenario: Scenario,
    seed: u64,
    issues: usize,
    off_spec: bool,
    now: Ts,
) -> State {
    let mut s = people(now);
    let mut rng = SplitMix64::new(seed);
    let mut repo = Repo::new(WIDGETS_ID, "acme", "widgets", now - 400 * DAY);
    repo.description = Some("Widgets, managed by Codex".to_owned());
    match scenario {
        Scenario::Org => return org(seed, ORG_REPOS, ORG_ISSUES_PER_REPO, now),
        Scenario::Empty => {
            s.repos.push(repo);
            s.scenario = json!({"name": "empty", "seed": seed, "counts": {"issues": 0}});
        }
        Scenario::Demo => {
            furnish(&mut s, &mut repo, now);
            let mut project = Project::new("acme", 1, "Codex Dual-Track Development");
            let mut gadgets = Repo::new(GADGETS_ID, "acme", "gadgets", now - 300 * DAY);
            let mut kinds = demo_issues(
                &mut rng,
                &mut repo,
                &mut gadgets,
                &mut project,
                off_spec,
                now,
            );
            integrity_plantings(&mut s, &mut repo, &mut project, &mut kinds);
            project.add_draft("Draft: plan the dashboard refresh");
            let mut counts = serde_json::Map::new();
            for (k, v) in &kinds {
                counts.insert((*k).to_owned(), json!(v.len()));
            }
            s.scenario = json!({
                "name": "demo",
                "seed": seed,
                "repo": "acme/widgets",
                "project": {"owner": "acme", "number": 1, "title": "Codex Dual-Track Development"},
                "last_number": repo.next_number() - 1,
                "kinds": kinds,
                "counts": Value::Object(counts),
            });
            s.repos.push(repo);
            s.repos.push(gadgets);
            s.projects.push(project);
        }
        Scenario::Large => {
            furnish(&mut s, &mut repo, now);
            let mut project = Project::new("acme", 1, "Codex Dual-Track Development");
            let counts = large_issues(&mut rng, &mut repo, &mut project, issues, now);
            project.add_draft("Draft: plan the dashboard refresh");
            s.scenario = json!({
                "name": "large", "seed": seed, "repo": "acme/widgets",
                "project": {"owner": "acme", "number": 1, "title": "Codex Dual-Track Development"},
                "counts": counts,
            });
            s.repos.push(repo);
            s.projects.push(project);
        }
    }
    s
}

/// The `org` world: `repos` repositories of `acme` named `repo-001`… with `per_repo` items each,
/// made by the `large` generator (self-tests, pull requests, closed issues, missing labels,
/// milestones and Project membership in its proportions) with some of the demo's quirks laid
/// over (`user: null`, `body: null`, labels as strings, a milestone gone, a deleted number),
/// all in one organisation Project; plus `octocat/dotfiles`, a user's repository (a second
/// owner, so a second App installation). Repository `k` (from 1) is archived when `k % 10 ==
/// 0`, a fork when `k % 7 == 0`, private when `k % 5 == 0`; its topics (none to two from
/// [`ORG_TOPICS`]) and its items come from a generator seeded with `seed` and `k`, so adding
/// repositories leaves the earlier ones unchanged.
pub(crate) fn org(seed: u64, repos: usize, per_repo: usize, now: Ts) -> State {
    let mut s = people(now);
    let mut project = Project::new("acme", 1, "Codex Dual-Track Development");
    let mut listed = Vec::with_capacity(repos);
    for k in 1..=repos as u64 {
        let mut rng = SplitMix64::new(seed ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let name = format!("repo-{k:03}");
        let age = 400 + i64::try_from(k).unwrap_or(0);
        let mut repo = Repo::new(ORG_REPO_BASE_ID + k, "acme", &name, now - age * DAY);
        repo.description = Some(format!("Repository {k} of acme, managed by Codex"));
        repo.archived = k % 10 == 0;
        repo.fork = k % 7 == 0;
        repo.private = k % 5 == 0;
        repo.topics = match rng.below(3) {
            0 => Vec::new(),
            n => {
                let mut t: Vec<String> =
                    (0..n).map(|_| (*rng.pick(ORG_TOPICS)).to_owned()).collect();
                t.sort();
                t.dedup();
                t
            }
        };
        repo.pushed_at = now - rng.range(HOUR, 90 * DAY);
        repo.updated_at = repo.pushed_at;
        furnish(&mut s, &mut repo, now);
        let counts = large_issues(&mut rng, &mut repo, &mut project, per_repo, now);
        let quirks = quirks(&mut repo);
        listed.push(json!({
            "full_name": repo.full_name(), "id": repo.id, "archived": repo.archived,
            "fork": repo.fork, "private": repo.private, "topics": repo.topics,
            "counts": counts, "quirks": quirks,
        }));
        s.repos.push(repo);
    }
    project.add_draft("Draft: plan the dashboard refresh");
    s.projects.push(project);
    let mut dotfiles = Repo::new(ORG_REPO_BASE_ID, "octocat", "dotfiles", now - 900 * DAY);
    dotfiles.description = Some("A user's repository, outside the organisation".to_owned());
    s.repos.push(dotfiles);
    s.scenario = json!({
        "name": "org", "seed": seed, "owner": "acme",
        "project": {"owner": "acme", "number": 1, "title": "Codex Dual-Track Development"},
        "issues_per_repo": per_repo,
        "repos": listed,
        "other_repos": ["octocat/dotfiles"],
    });
    s
}

/// The demo's oddities, laid over a generated repository one in fifty items each (from the
/// eighth item on), and one number after the last deleted (410): `{kind: [numbers]}`.
fn quirks(repo: &mut Repo) -> Value {
    let mut kinds: BTreeMap<&'static str, Vec<u32>> = BTreeMap::new();
    let last = repo.next_number().saturating_sub(1);
    for n in 1..=last {
        let Some(i) = repo.issue_mut(n) else { continue };
        let kind = match n % 50 {
            8 => {
                i.user = None;
                "user_null"
            }
            16 => {
                i.body = None;
                "body_null"
            }
            24 => {
                i.quirk = Quirk::LabelsAsStrings;
                "labels_as_strings"
            }
            32 if i.pull_request.is_none() => {
                i.milestone = Some(M_GONE);
                "milestone_gone"
            }
            _ => continue,
        };
        kinds.entry(kind).or_default().push(n);
    }
    if last > 0 {
        let gone = repo.skip_number();
        repo.deleted.insert(gone);
        kinds.entry("deleted").or_default().push(gone);
    }
    json!(kinds)
}

/// A world with the scenarios' accounts and nothing else.
fn people(now: Ts) -> State {
    let now_dt = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default();
    let mut s = State::new(now_dt);
    for (login, kind) in [
        ("acme", UserKind::Organization),
        ("octocat", UserKind::User),
        ("alice", UserKind::User),
        ("bob", UserKind::User),
        ("carol", UserKind::User),
        ("codex-bot", UserKind::User),
        ("github-actions[bot]", UserKind::Bot),
        ("dependabot[bot]", UserKind::Bot),
    ] {
        s.add_user(login, kind);
    }
    s
}

/// Labels, milestones, variables and the gh-pages branch shared by `demo` and `large`.
fn furnish(s: &mut State, repo: &mut Repo, now: Ts) {
    for (name, color, desc, default) in [
        ("codex", "0e8a16", Some("Managed by Codex"), false),
        ("codex-trackmain", "1d76db", Some("Codex main track"), false),
        (
            "codex-trackdashboard",
            "5319e7",
            Some("Codex dashboard track"),
            false,
        ),
        (
            "codex-selftest",
            "c5def5",
            Some("Codex self-test issue"),
            false,
        ),
        ("bug", "d73a4a", Some("Something isn't working"), true),
        (
            "enhancement",
            "a2eeef",
            Some("New feature or request"),
            true,
        ),
    ] {
        let id = s.next_id();
        repo.labels.push(Label {
            id,
            name: name.to_owned(),
            color: color.to_owned(),
            description: desc.map(str::to_owned),
            default,
            listed: true,
        });
    }
    for (number, title, open, listed) in [
        (M_INTERNAL, "Codex Internal", true, true),
        (M_MAIN, "Codex Main Track", true, true),
        (M_DASH, "Codex Dashboard Track", true, true),
        (M_CLOSED, "v0.9 Launch", false, true),
        (M_GONE, "Codex Legacy Track", true, false),
    ] {
        let id = s.next_id();
        let created = now - 200 * DAY + i64::from(number) * DAY;
        repo.milestones.push(Milestone {
            id,
            number,
            title: title.to_owned(),
            open,
            description: if number == M_CLOSED {
                None
            } else {
                Some(format!("{title} work"))
            },
            created_at: created,
            updated_at: if open { created } else { now - 60 * DAY },
            due_on: if number == M_MAIN {
                Some(now + 30 * DAY)
            } else {
                None
            },
            closed_at: if open { None } else { Some(now - 60 * DAY) },
            creator: Some(U_OCTOCAT),
            listed,
        });
    }
    for (name, value) in [
        ("CODEX_MAIN_MILESTONE", "Codex Main Track"),
        ("CODEX_DASHBOARD_MILESTONE", "Codex Dashboard Track"),
    ] {
        repo.variables.push(Variable {
            name: name.to_owned(),
            value: value.to_owned(),
            created_at: now - 100 * DAY,
            updated_at: now - 50 * DAY,
        });
    }
    repo.branches.push(Branch {
        name: "gh-pages".to_owned(),
        sha: fake_sha(repo.id, "gh-pages"),
        files: ["telemetry/.keep", "dashboard/.keep"]
            .into_iter()
            .map(str::to_owned)
            .collect(),
    });
}

/// An `updated_at` age in one of the activity buckets (with an hour's margin at each edge).
fn age(rng: &mut SplitMix64, bucket: u32) -> i64 {
    match bucket {
        0 => rng.range(10 * 60, 13 * DAY + 20 * HOUR),
        1 => rng.range(14 * DAY + HOUR, 29 * DAY + 20 * HOUR),
        _ => rng.range(30 * DAY + HOUR, 120 * DAY),
    }
}

fn phrase(rng: &mut SplitMix64) -> String {
    format!("{} {}", rng.pick(VERBS), rng.pick(NOUNS))
}

struct DemoIssue {
    labels: Vec<u32>,
    milestone: Option<u32>,
    in_project: bool,
}

#[expect(
    clippy::too_many_lines,
    reason = "one table of the demo's issue kinds, read top to bottom"
)]
fn demo_issues(
    rng: &mut SplitMix64,
    repo: &mut Repo,
    gadgets: &mut Repo,
    project: &mut Project,
    off_spec: bool,
    now: Ts,
) -> BTreeMap<&'static str, Vec<u32>> {
    let mut kinds: BTreeMap<&'static str, Vec<u32>> = BTreeMap::new();
    let mut note = |k: &'static str, n: u32| kinds.entry(k).or_default().push(n);
    for n in 1..=302u32 {
        // Shared defaults for an open issue in an activity bucket.
        let bucket = n % 3;
        let mut issue = Issue::new(phrase(rng), 0);
        issue.user = Some(*rng.pick(&[U_OCTOCAT, U_ALICE, U_BOB, U_CAROL]));
        issue.body = Some(format!("Issue {n} of the demo repository."));
        issue.comments = u32::try_from(rng.below(8)).unwrap_or(0);
        let mut updated_age = age(rng, bucket);
        let track_dash = n % 4 == 0;
        let track = if track_dash { L_DASH } else { L_MAIN };
        let track_ms = if track_dash { M_DASH } else { M_MAIN };
        if track_dash {
            issue.title = format!("Dashboard: {}", issue.title);
        }
        let mut d = DemoIssue {
            labels: Vec::new(),
            milestone: None,
            in_project: false,
        };
        match n {
            1..=12 => {
                // Self-test issues: oldest first, ages 20 → 0 days.
                let days = i64::from(12 - n) * 20 / 11;
                updated_age = days * DAY + rng.range(0, 4 * HOUR);
                let created = now - updated_age;
                issue.title = format!(
                    "Codex self-test {}",
                    chrono::DateTime::from_timestamp(created, 0)
                        .unwrap_or_default()
                        .format("%Y%m%dT%H%M%SZ")
                );
                issue.user = Some(U_ACTIONS);
                issue.comments = 0;
                d.labels = vec![L_CODEX, L_SELFTEST];
                d.milestone = Some(M_INTERNAL);
                note("selftest", n);
            }
            13..=57 => {
                issue.title = if n % 6 == 0 {
                    format!(
                        "Bump {} from 1.{} to 1.{}",
                        rng.pick(NOUNS),
                        n % 7,
                        n % 7 + 1
                    )
                } else {
                    format!("PR: {}", phrase(rng))
                };
                if n % 6 == 0 {
                    issue.user = Some(U_DEPENDABOT);
                }
                updated_age = rng.range(HOUR, 60 * DAY);
                let closed = n % 3 == 0 || n % 5 == 0;
                let merged = n % 3 == 0;
                issue.pull_request = Some(PullRequest {
                    merged_at: merged.then_some(now - updated_age),
                });
                if closed {
                    issue.open = false;
                    issue.closed_at = Some(now - updated_age);
                    issue.closed_by = Some(U_OCTOCAT);
                }
                if n <= 20 {
                    d.labels = vec![L_CODEX, track];
                    d.milestone = Some(track_ms);
                }
                d.in_project = n <= 17;
                note("pull_request", n);
                if !closed {
                    note("pull_request_open", n);
                }
            }
            58..=97 => {
                updated_age = rng.range(DAY, 90 * DAY);
                issue.open = false;
                issue.closed_at = Some(now - updated_age);
                issue.closed_by = Some(U_OCTOCAT);
                issue.state_reason = Some(if n % 4 == 0 {
                    StateReason::NotPlanned
                } else {
                    StateReason::Completed
                });
                if n <= 77 {
                    d.labels = vec![L_CODEX, track];
                    d.milestone = Some(if n <= 65 { M_CLOSED } else { track_ms });
                } else if n % 2 == 0 {
                    d.labels = vec![L_BUG];
                }
                d.in_project = n <= 70;
                note("closed", n);
            }
            98..=177 | 283..=300 => {
                if n >= 283 && !track_dash {
                    issue.title = format!("Dashboard {}", issue.title.to_lowercase());
                }
                let (t, ms) = if n >= 283 {
                    (L_DASH, M_DASH)
                } else {
                    (track, track_ms)
                };
                d.labels = vec![L_CODEX, t];
                d.milestone = Some(ms);
                d.in_project = true;
                note("managed_ok", n);
            }
            178..=197 => {
                d.labels = vec![track];
                d.milestone = Some(track_ms);
                d.in_project = true;
                note("missing_codex", n);
            }
            198..=217 => {
                // No track label: the title decides (even numbers mention the dashboard).
                if n % 2 == 0 && !track_dash {
                    issue.title = format!("{} for the dashboard", issue.title);
                }
                let dash = n % 2 == 0 || track_dash;
                d.labels = vec![L_CODEX];
                d.milestone = Some(if dash { M_DASH } else { M_MAIN });
                d.in_project = true;
                note("missing_track", n);
            }
            218..=237 => {
                d.labels = vec![L_CODEX, track];
                d.in_project = true;
                note("missing_milestone", n);
            }
            238..=257 => {
                d.labels = vec![L_CODEX, track];
                d.milestone = Some(track_ms);
                note("missing_project", n);
            }
            258..=263 => {
                d.labels = vec![L_CODEX, L_MAIN, L_DASH];
                d.milestone = Some(M_MAIN);
                d.in_project = true;
                note("both_tracks", n);
            }
            264..=279 => {
                if n % 3 == 0 && !track_dash {
                    issue.title = format!("Fix dashboard {}", rng.pick(NOUNS));
                }
                if n % 2 == 1 {
                    d.labels = vec![if n % 4 == 1 { L_BUG } else { L_ENH }];
                }
                note("bare", n);
            }
            280 => {
                // Transferred to acme/gadgets#1.
                let mut moved = issue.clone();
                moved.created_at = now - 50 * DAY;
                moved.updated_at = now - 10 * DAY;
                let to = gadgets.push_issue(moved);
                let old = repo.skip_number();
                repo.transferred.insert(
                    old,
                    Transfer {
                        full_name: gadgets.full_name(),
                        number: to,
                    },
                );
                note("transferred", n);
                continue;
            }
            281 => {
                repo.skip_number();
                repo.deleted.insert(n);
                note("deleted", n);
                continue;
            }
            282 => {
                d.labels = vec![L_CODEX, L_MAIN];
                d.milestone = Some(M_GONE);
                d.in_project = true;
                note("milestone_gone", n);
            }
            301 | 302 => {
                if !off_spec {
                    break;
                }
                if n == 301 {
                    issue.quirk = Quirk::NoCreatedAt;
                } else {
                    issue.quirk = Quirk::LabelsNull;
                    d.labels = vec![L_CODEX];
                }
                note("off_spec", n);
            }
            _ => {}
        }
        match n {
            100 | 180 | 266 => {
                issue.user = None;
                note("user_null", n);
            }
            101 | 102 | 199 => {
                issue.quirk = Quirk::LabelsAsStrings;
                note("labels_as_strings", n);
            }
            103 => {
                issue.quirk = Quirk::LabelWithoutName;
                note("label_without_name", n);
            }
            104 | 181 | 267 => {
                issue.body = None;
                note("body_null", n);
            }
            _ => {}
        }
        if issue.open && issue.pull_request.is_none() && n > 12 {
            // Open, not a PR, not a self-test: the activity buckets apply.
            note(["active", "stale", "escalated"][bucket as usize], n);
            if track_dash || issue.title.to_lowercase().contains("dashboard") {
                note("title_dashboard", n);
            }
        }
        issue.updated_at = now - updated_age;
        issue.created_at = issue.updated_at - rng.range(0, 60 * DAY);
        if issue.pull_request.is_none() && n > 12 && n % 7 == 0 {
            issue.assignees = vec![U_ALICE];
        }
        issue.labels = d.labels;
        issue.milestone = d.milestone;
        let num = repo.push_issue(issue);
        debug_assert_eq!(num, n);
        if d.in_project {
            project.add_issue(repo.id, num);
        }
    }
    kinds
}

/// The demo's plantings for the integrity scanner, on issues whose other figures they leave
/// alone (every one of them a fully-correct managed issue, but for the deleted 281): issue
/// types, sub-issues, dependencies, a locked issue, an issue GraphQL's enumeration misses, an
/// archived Project item and an orphaned one (the deleted issue's).
fn integrity_plantings(
    s: &mut State,
    repo: &mut Repo,
    project: &mut Project,
    kinds: &mut BTreeMap<&'static str, Vec<u32>>,
) {
    let bug = s.add_issue_type("acme", "Bug", "red");
    let task = s.add_issue_type("acme", "Task", "yellow");
    let feature = s.add_issue_type("acme", "Feature", "blue");
    let mut note = |k: &'static str, n: u32| kinds.entry(k).or_default().push(n);
    let mut with = |n: u32, f: &mut dyn FnMut(&mut Issue)| {
        if let Some(i) = repo.issue_mut(n) {
            f(i);
        }
    };
    for (numbers, t, kind) in [
        (110..=112, bug, "issue_type_bug"),
        (113..=117, task, "issue_type_task"),
        (118..=118, feature, "issue_type_feature"),
    ] {
        for n in numbers {
            with(n, &mut |i| i.issue_type = Some(t));
            note(kind, n);
        }
    }
    for (parent, children) in [(120, &[71, 121, 122, 123][..]), (140, &[141][..])] {
        note("sub_issue_parent", parent);
        for &c in children {
            with(c, &mut |i| i.parent = Some(parent));
            note("sub_issue_child", c);
        }
    }
    with(150, &mut |i| i.blocked_by = vec![59, 151]);
    note("blocked", 150);
    note("blocking", 59);
    note("blocking", 151);
    with(170, &mut |i| {
        i.locked = true;
        i.lock_reason = Some("too heated".to_owned());
    });
    note("locked", 170);
    repo.hidden_from_graphql.insert(160);
    note("hidden_from_graphql", 160);
    if let Some(p) = project.find_issue(repo.id, 175) {
        project.items[p].archived = true;
    }
    note("archived_item", 175);
    project.add_issue(repo.id, 281);
    note("orphaned_item", 281);
    for v in kinds.values_mut() {
        v.sort_unstable();
    }
}

fn large_issues(
    rng: &mut SplitMix64,
    repo: &mut Repo,
    project: &mut Project,
    count: usize,
    now: Ts,
) -> Value {
    let (mut prs, mut open, mut selftest, mut in_project) = (0u64, 0u64, 0u64, 0u64);
    for k in 0..count {
        let updated_age = rng.range(5 * 60, 365 * DAY);
        let mut issue = Issue::new(String::new(), now - updated_age);
        issue.created_at = issue.updated_at - rng.range(0, 200 * DAY);
        issue.user = Some(U_OCTOCAT + u32::try_from(rng.below(4)).unwrap_or(0));
        issue.comments = u32::try_from(rng.below(20)).unwrap_or(0);
        let dash = rng.chance(25);
        issue.title = if dash {
            format!("Dashboard: {} #{k}", phrase(rng))
        } else {
            format!("{} #{k}", phrase(rng))
        };
        if rng.chance(10) {
            issue.pull_request = Some(PullRequest { merged_at: None });
            prs += 1;
        }
        if rng.chance(25) {
            issue.open = false;
            issue.closed_at = Some(issue.updated_at);
            issue.closed_by = Some(U_OCTOCAT);
            issue.state_reason = Some(StateReason::Completed);
            if let Some(pr) = issue.pull_request.as_mut() {
                pr.merged_at = Some(issue.updated_at);
                issue.state_reason = None;
            }
        } else {
            open += 1;
        }
        let mut project_member = false;
        if issue.pull_request.is_none() && rng.chance(1) {
            issue.title = format!("Codex self-test large-{k}");
            issue.labels = vec![L_CODEX, L_SELFTEST];
            issue.milestone = Some(M_INTERNAL);
            selftest += 1;
        } else {
            if rng.chance(85) {
                issue.labels.push(L_CODEX);
            }
            let roll = rng.below(100);
            let track = if dash { L_DASH } else { L_MAIN };
            if roll < 80 {
                issue.labels.push(track);
            } else if roll < 85 {
                issue.labels.extend([L_MAIN, L_DASH]);
            }
            if rng.chance(80) {
                issue.milestone = Some(if dash { M_DASH } else { M_MAIN });
            }
            if rng.chance(5) {
                issue.labels.push(L_BUG);
            }
            project_member = rng.chance(70);
        }
        let n = repo.push_issue(issue);
        if project_member {
            project.add_issue(repo.id, n);
            in_project += 1;
        }
    }
    json!({
        "issues": count, "pull_requests": prs, "open": open,
        "closed": count as u64 - open, "selftest": selftest, "in_project": in_project,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Ts = 1_750_000_000;

    #[test]
    fn demo_is_deterministic_and_has_every_kind() {
        let a = build(Scenario::Demo, 1, 0, false, NOW);
        let b = build(Scenario::Demo, 1, 0, false, NOW);
        assert_eq!(a.to_json(), b.to_json());
        let kinds = &a.scenario["kinds"];
        for k in [
            "selftest",
            "pull_request",
            "closed",
            "managed_ok",
            "missing_codex",
            "missing_track",
            "missing_milestone",
            "missing_project",
            "both_tracks",
            "bare",
            "transferred",
            "deleted",
            "milestone_gone",
            "user_null",
            "labels_as_strings",
            "label_without_name",
            "body_null",
            "active",
            "stale",
            "escalated",
        ] {
            assert!(
                kinds[k].as_array().is_some_and(|v| !v.is_empty()),
                "{k} missing"
            );
        }
        assert!(kinds.get("off_spec").is_none());
        let r = a.repo("acme/widgets").unwrap();
        assert_eq!(
            r.issues().len(),
            298,
            "300 numbers minus one transferred, one deleted"
        );
        let prs = r.issues().iter().filter(|i| i.is_pull_request()).count();
        assert_eq!(prs, 45);
        let with_off = build(Scenario::Demo, 1, 0, true, NOW);
        assert_eq!(with_off.repo("acme/widgets").unwrap().issues().len(), 300);
    }

    #[test]
    fn seeds_change_details_not_kinds() {
        let a = build(Scenario::Demo, 1, 0, false, NOW);
        let b = build(Scenario::Demo, 2, 0, false, NOW);
        assert_eq!(a.scenario["kinds"], b.scenario["kinds"]);
        assert_ne!(a.to_json()["repos"], b.to_json()["repos"]);
    }

    #[test]
    fn large_builds_quickly_with_prs() {
        let t = std::time::Instant::now();
        let s = build(Scenario::Large, 3, 20_000, false, NOW);
        let r = s.repo("acme/widgets").unwrap();
        assert_eq!(r.issues().len(), 20_000);
        let prs = r.issues().iter().filter(|i| i.is_pull_request()).count();
        assert!((1_500..2_500).contains(&prs), "{prs}");
        assert!(t.elapsed().as_secs() < 5);
    }

    #[test]
    fn empty_has_nothing() {
        let s = build(Scenario::Empty, 1, 0, true, NOW);
        let r = s.repo("acme/widgets").unwrap();
        assert!(r.labels.is_empty() && r.milestones.is_empty() && r.variables.is_empty());
        assert!(r.branch("gh-pages").is_none());
        assert!(s.projects.is_empty());
    }
}
