//! A local, stateful fake of GitHub (REST at the root, GraphQL at `/graphql`) for tests, for
//! `codex demo` and for benchmarks. Its answers follow GitHub's published OpenAPI description
//! (field names, required fields, nullability, `Link` and `x-ratelimit-*` headers), and every
//! GraphQL document is validated against GitHub's schema (the subsets in `spec/`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> anyhow::Result<()> {
//! use codex_sandbox::{Sandbox, SandboxOptions, Scenario};
//! let sb = Sandbox::start(SandboxOptions { scenario: Scenario::Demo, ..Default::default() }).await?;
//! assert!(sb.base_url().starts_with("http://127.0.0.1:")); // http://127.0.0.1:PORT
//! assert_eq!(sb.state()["repos"][0]["full_name"], "acme/widgets");
//! # Ok(()) }
//! ```
//!
//! # Routes
//!
//! `GET /repos/{o}/{r}`, `GET|POST /repos/{o}/{r}/issues`, `GET /repositories/{id}/issues`,
//! `GET|PATCH /repos/{o}/{r}/issues/{n}` (301 transferred, 410 deleted),
//! `GET|POST /repos/{o}/{r}/issues/{n}/labels`, `GET|POST /repos/{o}/{r}/labels`,
//! `GET /repos/{o}/{r}/labels/{name}`, `GET|POST /repos/{o}/{r}/milestones`,
//! `GET /repos/{o}/{r}/milestones/{n}`, `GET /repos/{o}/{r}/branches/{branch}`,
//! `GET /repos/{o}/{r}/contents/{path}?ref=`, `GET|POST /repos/{o}/{r}/actions/variables`,
//! `GET /orgs/{org}/repos`, `GET /installation/repositories` (an installation token only),
//! `GET /rate_limit`, `POST /graphql`, and token-free `GET /_sandbox/state`,
//! `GET /_sandbox/stats`, `POST /_sandbox/{clock,installations,transfer,delete,archive-item,issue,label}`.
//!
//! Every issue object carries the fields GitHub's description documents for issue types,
//! sub-issues and dependencies: `type` (`issue-type`: `{id, node_id, name, description, color,
//! created_at, updated_at, is_enabled}`, or null), `parent_issue_url` (the parent's API URL, or
//! null), `sub_issues_summary` `{total, completed, percent_completed}` (computed from the
//! issues whose parent it is; completed = closed), `issue_dependencies_summary` `{blocked_by,
//! blocking, total_blocked_by, total_blocking}` (computed from each issue's blockers;
//! `blocked_by` / `blocking` count the open ones, `total_*` all), `locked` and
//! `active_lock_reason`, and `state_reason` (`completed`, `not_planned`, `reopened`,
//! `duplicate`). GraphQL serves `repository.issues(first, after, states, labels, filterBy,
//! orderBy) { totalCount pageInfo nodes }` (issues only, by number) and `ProjectV2Item.isArchived`;
//! an item whose issue was deleted (or is no longer visible) has `content: null`.
//!
//! # The org scenario
//!
//! [`Scenario::Org`] (`--scenario org --repos N --issues-per-repo M`, [`SandboxOptions::repos`]
//! default [`ORG_REPOS`] = 12, [`SandboxOptions::issues_per_repo`] default
//! [`ORG_ISSUES_PER_REPO`] = 200): the organisation `acme` with repositories
//! `acme/repo-001`, `acme/repo-002`, … (three digits, more when N > 999), each furnished as
//! `large` is (labels, the five milestones, variables, gh-pages) and holding M items made by the
//! `large` generator (about one in ten a pull request, a quarter closed, self-tests, issues
//! missing the `codex` label, a track, a milestone or Project membership, both tracks), with the
//! demo's quirks laid over one item in fifty each (`user: null` on numbers ≡ 8 mod 50,
//! `body: null` ≡ 16, labels as strings ≡ 24, the vanished milestone ≡ 32) and the number after
//! the last deleted (410). All items sit in one organisation Project, `acme` #1. Repository `k`
//! is archived when `k % 10 == 0` (REST writes answer `403 Repository was archived so is
//! read-only.`, GraphQL `deleteIssue` a `FORBIDDEN` error with that message), a fork when `k % 7 == 0`, private when `k % 5 == 0`, and carries none to two
//! [`ORG_TOPICS`]; ids are `10_000_000 + k`. Topics and items come from a generator seeded by
//! `seed` and `k`, so the same seed gives the same org and more repositories leave the first
//! ones unchanged. A user repository, `octocat/dotfiles` (empty), is a second owner, so with an
//! App the org is installation 1 (every `acme` repository) and octocat installation 2.
//! `/_sandbox/state` lists each repository under `scenario.repos` (`full_name`, `id`,
//! `archived`, `fork`, `private`, `topics`, `counts`, `quirks`). 300 repositories of 200 items
//! build in about 0.2 s and the server peaks near 35 MB (debug build).
//!
//! - `GET /orgs/{org}/repos` (`type` = `all`|`public`|`private`|`forks`|`sources`|`member`,
//!   `sort` = `created`|`updated`|`pushed`|`full_name`, `direction` (default `asc` for
//!   `full_name`, else `desc`), `per_page` (default 30, at most 100), `page`): the
//!   organisation's repositories the token can see (an installation token: those within its
//!   reach), rendered as `GET /repos/{o}/{r}` renders one (`archived`, `fork`, `private`,
//!   `visibility`, `topics`); `404` for an unknown login or a user, `422` for a bad value.
//! - `GET /installation/repositories` (`per_page`, `page`): `{total_count,
//!   repository_selection, repositories}`, the repositories of the token's installation by id
//!   (or the ones it was narrowed to: `repository_selection: "selected"`, else `"all"`). Any
//!   other token: `403 You must authenticate with an installation access token…`; a JWT `401`.
//! - Both page by number, as GitHub pages its repository lists: `Link` with `prev`, `next`,
//!   `last`, `first` (absolute URLs keeping the other query parameters); a page past the end is
//!   `[]`.
//!
//! # Tokens
//!
//! `ghp_…` classic (admin, `x-oauth-scopes`), `github_pat_…` fine-grained (admin), `ghs_…` the
//! Actions `GITHUB_TOKEN` (push; org Projects invisible, variables 403, `deleteIssue` FORBIDDEN),
//! any token containing `readonly` (pull only: labels, milestone and assignees of a new issue are
//! silently dropped), anything else admin. No token: 401.
//!
//! # The demo scenario's issue numbers
//!
//! Fixed for every seed (the seed varies ages, titles and comment counts). `acme/widgets`:
//!
//! | numbers | kind |
//! |---|---|
//! | 1–12 | self-test issues `Codex self-test <stamp>`, `codex`+`codex-selftest`, milestone `Codex Internal`, ages 20 → 0 days |
//! | 13–57 | pull requests (45); 13–20 labelled `codex` + track; 13–17 in the Project |
//! | 58–97 | closed issues; 58–65 in the closed milestone `v0.9 Launch`; 58–70 in the Project |
//! | 98–177, 283–300 | fully-correct managed issues (`codex`, one track label, its milestone, in the Project); multiples of 4 and 283–300 are dashboard track |
//! | 178–197 | missing the `codex` label |
//! | 198–217 | missing a track label (even numbers mention the dashboard in the title) |
//! | 218–237 | missing a milestone |
//! | 238–257 | missing Project membership |
//! | 258–263 | carrying both track labels |
//! | 264–279 | bare issues (no codex label, track, milestone or Project) |
//! | 280 | transferred to `acme/gadgets#1` (301) |
//! | 281 | deleted (410) |
//! | 282 | milestone `Codex Legacy Track`, which no longer exists in the milestones list |
//! | 301, 302 | only with `off_spec`: no `created_at` / `labels: null`, in list responses only |
//!
//! Overlaid quirks: `user: null` on 100, 180, 266; labels as plain strings on 101, 102, 199; a
//! label object without `name` on 103; `body: null` on 104, 181, 267. Open non-PR issues from 13
//! up are active (< 14 days since update) when `n % 3 == 0`, stale (14–29) when `n % 3 == 1`,
//! escalated (≥ 30) when `n % 3 == 2`. `/_sandbox/state` lists all of these under
//! `scenario.kinds` (and their sizes under `scenario.counts`). The Project also holds one draft
//! issue.
//!
//! # Planting integrity defects
//!
//! All token-free, never faulted nor limited, answering `{"ok": true, …}` or `404` (no such
//! repository, issue or item) / `422` (a bad request) with `{"message": …}`:
//!
//! - `--hide-from-graphql N,N` / `--hide-from-rest N,N` ([`SandboxOptions::hide_from_graphql`],
//!   [`SandboxOptions::hide_from_rest`]): issue numbers of the scenario's main repository that
//!   GraphQL's `repository.issues` leaves out (its nodes and `totalCount`), or that every page
//!   of `GET /repos/{o}/{r}/issues` leaves out (GET of the issue still answers 200;
//!   `open_issues_count` still counts it).
//! - `POST /_sandbox/transfer {"repo": "acme/widgets", "number": N, "to": "acme/gadgets"}`
//!   ([`Sandbox::transfer_issue`]): moves the issue (labels by name, milestone by title; sub-issue
//!   and dependency links dropped); the old number answers `301` with `Location` at the new
//!   issue; its Project item now holds the issue in the new repository. Answers `{"ok", "repo",
//!   "number", "to", "to_number", "project_items_moved"}`.
//! - `POST /_sandbox/delete {"repo", "number"}` ([`Sandbox::delete_issue`]): the number answers
//!   `410`; its Project item stays, with `content: null` (`{"ok", …, "orphaned_items"}`).
//! - `POST /_sandbox/archive-item {"repo", "number", "archived": true}`
//!   ([`Sandbox::archive_item`]; `archived` defaults to true): that issue's Project item's
//!   `isArchived` (`{"ok", …, "items": [item node ids]}`).
//! - `POST /_sandbox/issue {"repo", "number", "set": {…}}` ([`Sandbox::set_issue`]); all keys
//!   checked before any applies: `quirk` (a [`Quirk`] name: `labels_as_strings`,
//!   `label_without_name`, and the schema-breaking, list-only `no_created_at`, `labels_null`,
//!   `no_number`, `no_title`, `milestone_without_number`, `unknown_state_reason` (shows
//!   [`UNKNOWN_STATE_REASON`]), or `none`), `state_reason` (a documented value or null),
//!   `labels` (names; one not in the label list is left on the issue as a deleted label),
//!   `milestone` (a number; one that does not exist becomes a deleted milestone the issue still
//!   shows), `type` (an issue type name of the owner: `Bug`, `Task`, `Feature`; or null),
//!   `parent` (a number in the same repository, or null), `blocked_by` (numbers), `locked`,
//!   `lock_reason`, `hidden_from_graphql`, `hidden_from_rest`, `not_visible` (GET answers
//!   `404`, neither listing nor GraphQL shows it, its Project item's content is null),
//!   `project_refused` (`addProjectV2ItemById` answers an `UNPROCESSABLE` error for it, under
//!   its alias, and applies the document's other mutations), and `in_project` (adds it to, or removes it from, the scenario's Project: an issue of another
//!   repository makes a foreign item).
//! - `POST /_sandbox/label {"repo", "name", "rename": "Codex"}` renames a label (another case
//!   makes the managed label `Codex`); `{"repo", "name", "delete": true}` deletes it from the
//!   label list while the issues keep showing it.
//!
//! The demo's own plantings (under `scenario.kinds`; none changes a figure listed above):
//!
//! | kind | numbers | what the integrity scanner should report |
//! |---|---|---|
//! | `hidden_from_graphql` | 160 | `rest_only` |
//! | `archived_item` | 175 (its item) | `project_item_archived` |
//! | `orphaned_item` | 281 (the deleted issue's item, content null) | `project_item_orphaned` |
//! | `issue_type_bug`, `_task`, `_feature` | 110–112, 113–117, 118 | counted in `fields` (types) |
//! | `sub_issue_parent` / `sub_issue_child` | 120 (children 71 closed, 121–123), 140 (141) | `fields.sub_issues`, `children` |
//! | `blocked` / `blocking` | 150 blocked by 59 (closed) and 151 | `fields.blocked`, `blocking` |
//! | `locked` | 170 (`too heated`) | `fields.locked` |
//!
//! The demo's older kinds give the other findings: 103 (`label_malformed`), 258–263
//! (`track_conflict`), 280 (`transferred`), 281 (`deleted`), 282 (`milestone_unknown`), and
//! with `off_spec` 301 (`date_invalid`) and 302 (`labels_missing`).
//!
//! # Faults
//!
//! All off by default; each is a [`SandboxOptions`] field and a `serve` flag of the same name.
//! `/_sandbox/*` is never limited nor faulted.
//!
//! **Order.** A request without a token is answered `401`; then the primary limit, then (for
//! writes) the secondary limit; only a request both let through can be faulted, and at most one
//! fault applies, in this precedence: hang, 5xx, GraphQL error.
//!
//! **Determinism.** Every request outside `/_sandbox/*` draws exactly four values from one
//! generator seeded by `seed` (a stream separate from the scenario's) as it arrives, whether or
//! not a fault or limit then applies; the draws decide hang / 5xx / GraphQL error, which 5xx
//! (500, 502, 503), which GraphQL error, and whether the request runs first. With a serial client
//! the same seed and the same requests give the same faults (timing enters only through the rate
//! limits).
//!
//! **Faulted writes.** A request picked by `fault_rate`, `hang_rate` or `graphql_fault_rate` runs
//! first in half of the cases (the `apply` draw, independent of the method): a write is then
//! applied and only its answer is lost (`faults_after_write`, `hangs_after_write`,
//! `graphql_faults_after_write`); in the other half nothing runs and nothing changes.
//!
//! - `fault_rate` (`--fault-rate P`): `500` `{"message":"Server Error"}`, `502` with GitHub's
//!   "Unicorn!" HTML page (`content-type: text/html`), or `503` `{"message":"Service
//!   Unavailable"}`, with the usual `x-ratelimit-*` and `x-github-request-id` headers.
//! - `hang_rate` (`--hang-rate P`): no answer for 10 minutes; the request is counted, logged
//!   (`"status": 0, "fault": "hang"`) and charged to the budget when it starts to hang, and ends
//!   when the client hangs up or the [`Sandbox`] is dropped. `hanging` in the stats is the number
//!   hanging right now.
//! - `rate_limit` + `rate_limit_reset_secs` (`--rate-limit N --rate-limit-reset-secs S`): N
//!   requests per token and resource (`core` for REST, `graphql`, as `x-ratelimit-resource`
//!   says) per window of S seconds starting at the token's first request; `304`s and
//!   `/rate_limit` are free. Every answer carries `x-ratelimit-limit: N`, `-remaining`, `-used`
//!   and `-reset` (epoch seconds of the window's end). Once spent, every request until `reset`
//!   (REST or GraphQL) answers `403` with `x-ratelimit-remaining: 0` and
//!   `{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api","status":"403"}`,
//!   costs nothing and counts in `rate_limited_requests`; the first request at or after `reset`
//!   opens a new window.
//! - `secondary_limit` (`--secondary-limit N`, `--secondary-retry-after-secs S` default 60,
//!   `--secondary-window-secs W` default 60): writes are REST `POST`/`PATCH`/`PUT`/`DELETE` and
//!   GraphQL mutations, each mutation field of a document one write (a document of k counts k,
//!   and is refused when the window has no room for all k, unless the window is empty). A
//!   token's write arriving when N writes were accepted within the last W seconds answers `403` with `retry-after: S` and GitHub's secondary-limit body, opens a
//!   window (recorded in `secondary_windows` as `{at_ms, until_ms, retry_after}`, epoch ms) and
//!   clears the count; every write before `until_ms` answers the same `403` with what is left
//!   of the window as `retry-after` (rounded up) and counts in `early_retries` (the window is not
//!   extended); from `until_ms` the token has N fresh writes. Reads are never refused. Refused
//!   writes change nothing and cost a request of the primary budget.
//! - `graphql_fault_rate` (`--graphql-fault-rate P`): a `POST /graphql` answers `200`,
//!   `{"data": null, "errors": [...]}` with either `{"type":"RATE_LIMITED","message":"API rate
//!   limit exceeded for user ID 1."}` or GitHub's `{"message":"Something went wrong while
//!   executing your query. This may be the result of a timeout, or it could be a GitHub bug.
//!   Please include …"}` (naming the answer's `x-github-request-id`), half each; the rate-limit
//!   headers are the normal ones (remaining > 0).
//!
//! # GitHub Enterprise Server
//!
//! With [`SandboxOptions::ghes`] (`--ghes`) REST answers under `/api/v3` and GraphQL at
//! `/api/graphql` (not `/api/v3/graphql`); every other path answers `404`. API urls in answers
//! (`url`, `Link`, `Location`) carry the `/api/v3` prefix, and links for people (`html_url`,
//! GraphQL `url`) are on the sandbox's own host (`http://127.0.0.1:PORT/acme/widgets/issues/1`).
//! `/_sandbox/*` stays at the root; recorded exchanges and log lines carry the path without the
//! prefix (`/repos/…`, `/graphql`), as GitHub's description names them.
//!
//! # GitHub App
//!
//! With [`SandboxOptions::app`] (`--app-id N --app-public-key FILE
//! [--installation-token-ttl-secs S]`) the sandbox is also GitHub for one App. As on GitHub,
//! the sandbox can make the App's key pair and hand out the private half:
//! [`AppOptions::generate`] (or [`AppKeyPair::generate`] with [`AppOptions::new`]), or
//! `serve --app-id N --app-private-key-out FILE`. Keys are 2048-bit RSA, the private one PKCS#1
//! PEM (`BEGIN RSA PRIVATE KEY`, as GitHub's download) and the public one SPKI PEM; generating
//! one takes well under a second in debug builds. Key generation is the `keygen` feature (on by
//! default; the workspace turns it off for `codex-demo`, so the release binary carries no RSA
//! code, and on for the test suites).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> anyhow::Result<()> {
//! use codex_sandbox::{AppOptions, Sandbox, SandboxOptions};
//! let (app, private_pem) = AppOptions::generate(4242); // private_pem: the client's key
//! let sb = Sandbox::start(SandboxOptions { app: Some(app), ..Default::default() }).await?;
//! sb.set_installation_permissions(1, &[("metadata", "read"), ("issues", "read")])?;
//! # drop(private_pem); Ok(()) }
//! ```
//!
//! - `GET /app`, `GET /app/installations`, `GET /repos/{o}/{r}/installation` and
//!   `POST /app/installations/{id}/access_tokens` (body optional: `repositories` (names),
//!   `repository_ids`, `permissions`; answers `201 {token: "ghs_…", expires_at, permissions,
//!   repository_selection, repositories?}`; a repository outside the installation or a
//!   permission it lacks: `422`) take only an App JWT (`Authorization: Bearer`): RS256 signed by
//!   the App's key, `iss` its id (number or string) or client id, `exp` in the future and at
//!   most 10 minutes after `iat`, `iat` at most 60 s ahead of the sandbox's clock. Anything else
//!   there answers `401` with GitHub's message ("A JSON web token could not be decoded",
//!   "'Expiration time' claim ('exp') is too far in the future", …).
//! - A JWT anywhere else answers `401 Bad credentials`. An installation token works on every
//!   other REST route and on GraphQL until `expires_at` (then `401 Bad credentials`), sees only
//!   its installation's repositories (or the narrowed list): any other answers `404 Not Found`,
//!   as GitHub does for a private repository it cannot see (GraphQL: `NOT_FOUND`). Its budget is
//!   per installation: 5,000, plus 50 per repository beyond 20, at most 12,500
//!   (`rate_limit` overrides), shared by all its tokens; JWT requests share the App's budget.
//! - Installations: one per repository owner, ids from 1, holding all its repositories, with
//!   [`DEFAULT_INSTALLATION_PERMISSIONS`] (a Codex App's). `POST /_sandbox/installations {"id":
//!   N, "repositories": ["owner/name"], "permissions": {"issues": "read"}}` (either key or both;
//!   or [`Sandbox::set_installation`], [`Sandbox::set_installation_permissions`]) moves
//!   repositories into installation N (created when new) and replaces its permissions.
//! - Permissions are enforced as GitHub does for an installation token (it holds its
//!   installation's permissions, or the narrower ones it was minted with): without the one a
//!   route asks (`metadata: read` for the repository, `issues` read/write for issues, labels and
//!   milestones, `contents: read` for branches and contents, `actions_variables` read/write for
//!   variables) REST answers `403 Resource not accessible by integration`; GraphQL
//!   `addProjectV2ItemById` needs `organization_projects: write`, `deleteIssue` `issues: write`
//!   (else `FORBIDDEN`), and organisation Projects are invisible without
//!   `organization_projects: read`.
//! - The clock: `POST /_sandbox/clock {"advance_secs": N}` (or [`Sandbox::advance_clock`]) moves
//!   the sandbox's clock forward, so tests expire tokens without sleeping;
//!   [`SandboxOptions::clock_step_secs`] (`--clock-step-secs`) moves it after every request, so
//!   tokens expire in the middle of a run. Every answer's `Date` header is the sandbox's clock.
//! - `/_sandbox/stats` gains `app`: `jwt_requests`, `jwt_rejected`, `tokens_issued`,
//!   `installation_requests`, `expired_token_requests`, `out_of_reach`, and `issued` (each
//!   token minted: `{installation_id, at, expires_at, repositories}`, never the token). Log lines
//!   carry `"auth": "jwt"` or `"auth": "installation"`.
//!
//! `/_sandbox/stats` adds: `faults_injected` (5xx), `faults_after_write`, `hangs`,
//! `hangs_after_write`, `hanging`, `rate_limited_requests`, `secondary_limited` (early retries
//! included), `early_retries`, `secondary_windows`, `graphql_faults`,
//! `graphql_faults_after_write`, `max_in_flight` (the most GitHub requests in flight at once
//! since the last reset). `writes` counts every applied write, faulted or not: each REST
//! write, and each mutation of a GraphQL document that changed something (a document of
//! several aliased mutations counts each); a log line whose request applied writes carries
//! `"writes": n`.

#![recursion_limit = "256"]

use std::net::SocketAddr;
use std::sync::Arc;

pub use app::{AppOptions, DEFAULT_INSTALLATION_PERMISSIONS};
#[cfg(feature = "keygen")]
pub use keys::AppKeyPair;
pub use scenario::{ORG_ISSUES_PER_REPO, ORG_REPOS, ORG_TOPICS, Scenario};
pub use state::{
    Branch, Dependencies, Issue, IssueType, ItemContent, Label, Milestone, Project, ProjectItem,
    PullRequest, Quirk, Repo, State, StateReason, SubIssues, Transfer, Ts, UNKNOWN_STATE_REASON,
    User, UserKind, Variable, fmt_ts,
};

mod admin;
mod app;
mod auth;
mod faults;
mod graphql;
mod ids;
#[cfg(feature = "keygen")]
mod keys;
mod prng;
mod render;
mod rest;
mod scenario;
mod server;
mod state;

use server::{Shared, lock};

/// How to start a sandbox.
#[derive(Clone, Debug)]
pub struct SandboxOptions {
    /// Which world to build.
    pub scenario: Scenario,
    /// For `Large`: the number of items, issues and pull requests together (about one in ten is
    /// a pull request), as GitHub numbers and lists them (default 10,000).
    pub issues: usize,
    /// For `Org`: the number of repositories of `acme` (default [`ORG_REPOS`], 12).
    pub repos: usize,
    /// For `Org`: items per repository, issues and pull requests together (default
    /// [`ORG_ISSUES_PER_REPO`], 200).
    pub issues_per_repo: usize,
    /// Seed of the generated details (default 1).
    pub seed: u64,
    /// Added to every answer (async sleep), in milliseconds (default 0).
    pub latency_ms: u64,
    /// JSON lines, one per request: `{ts, method, path, query, status, ms}` (default none).
    pub log: Option<std::path::PathBuf>,
    /// Keep full exchanges in memory for conformance tests (default false).
    pub record: bool,
    /// Demo only: include items GitHub has been seen to send that break its own schema
    /// (default true; tests of conformance set false).
    pub off_spec: bool,
    /// Clock for generated ages; `None` = now.
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Fraction (0–1) of requests, REST and GraphQL, answered `500`, `502` (an HTML page, as
    /// GitHub's load balancers send) or `503` instead (default 0). Half of them, drawn per
    /// request, run first: a faulted write is then applied and only its answer is lost.
    pub fault_rate: f64,
    /// Fraction (0–1) of requests never answered: the handler sleeps 10 minutes, until the
    /// client hangs up or the sandbox stops (default 0). Half of them, drawn per request, run
    /// first: a hung write is then applied.
    pub hang_rate: f64,
    /// Primary budget per token and resource (`core`, `graphql`) per window (default `None`:
    /// GitHub's 5,000, 60 without a token). Once spent: `403`, `x-ratelimit-remaining: 0`, until
    /// the window ends.
    pub rate_limit: Option<u64>,
    /// Length of the primary window in seconds, from the token's first request (default 3600).
    pub rate_limit_reset_secs: u64,
    /// More than this many writes (REST `POST`/`PATCH`/`PUT`/`DELETE`, GraphQL mutations) per
    /// token within [`SandboxOptions::secondary_window_secs`] answer `403` with `retry-after`
    /// (default `None`: no secondary limit).
    pub secondary_limit: Option<u64>,
    /// The `retry-after` of a secondary limit, in seconds (default 60). Every write before it
    /// expires is refused too (and counted as an early retry); after it, the token starts afresh.
    pub secondary_retry_after_secs: u64,
    /// The rolling window of the secondary limit, in seconds (default 60).
    pub secondary_window_secs: u64,
    /// Fraction (0–1) of `POST /graphql` answered `200` with `data: null` and an `errors` array
    /// (`RATE_LIMITED`, or GitHub's "Something went wrong … timeout" error) (default 0). Half
    /// of them, drawn per request, run first: a faulted mutation is then applied.
    pub graphql_fault_rate: f64,
    /// A GitHub App whose JWTs and installation tokens the sandbox accepts (default none: the
    /// `/app` endpoints answer 404). See the crate documentation, "GitHub App".
    pub app: Option<AppOptions>,
    /// Serve as GitHub Enterprise Server does (default false): REST under `/api/v3`, GraphQL at
    /// `/api/graphql`, every other path `404`; `html_url`s and GraphQL `url`s on the sandbox's own
    /// host, API urls under `/api/v3`.
    pub ghes: bool,
    /// Seconds the sandbox's clock moves forward after each GitHub request (default 0), so a
    /// run of a few seconds spans hours of tokens, JWTs and rate windows. Every answer's `Date`
    /// header tells the sandbox's clock, as GitHub's tell its own.
    pub clock_step_secs: u64,
    /// Repositories (`owner/name`) whose every REST request under `/repos/{owner}/{name}`
    /// answers 502 with an HTML page, whatever the dice say (`--fault-repo`): one repository
    /// of an organisation failing while the others answer.
    pub fault_repos: Vec<String>,
    /// Issue numbers of the scenario's main repository (demo, large: `acme/widgets`; org:
    /// `acme/repo-001`) that GraphQL's `repository.issues` leaves out, from its nodes and its
    /// `totalCount` (`--hide-from-graphql N,N`), on top of the demo's own planting. Numbers
    /// that are not issues are ignored.
    pub hide_from_graphql: Vec<u32>,
    /// Issue numbers of the scenario's main repository left out of every page of
    /// `GET /repos/{o}/{r}/issues` (`--hide-from-rest N,N`); a GET of the issue still answers
    /// 200 and `open_issues_count` still counts it.
    pub hide_from_rest: Vec<u32>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            scenario: Scenario::Demo,
            issues: 10_000,
            repos: ORG_REPOS,
            issues_per_repo: ORG_ISSUES_PER_REPO,
            seed: 1,
            latency_ms: 0,
            log: None,
            record: false,
            off_spec: true,
            now: None,
            fault_rate: 0.0,
            hang_rate: 0.0,
            rate_limit: None,
            rate_limit_reset_secs: 3600,
            secondary_limit: None,
            secondary_retry_after_secs: 60,
            secondary_window_secs: 60,
            graphql_fault_rate: 0.0,
            app: None,
            ghes: false,
            clock_step_secs: 0,
            fault_repos: Vec::new(),
            hide_from_graphql: Vec::new(),
            hide_from_rest: Vec::new(),
        }
    }
}

/// One recorded request and its answer (when [`SandboxOptions::record`] is set).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Exchange {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Raw query string (may be empty).
    pub query: String,
    /// The JSON request body, if any.
    pub request_body: Option<serde_json::Value>,
    /// Status code.
    pub status: u16,
    /// Response headers (lower-case names).
    pub response_headers: Vec<(String, String)>,
    /// The JSON response body, if any (none for 304).
    pub response_body: Option<serde_json::Value>,
}

/// A running sandbox; the server stops when this is dropped.
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

fn build_shared(opts: SandboxOptions) -> anyhow::Result<Arc<Shared>> {
    let now = opts.now.unwrap_or_else(chrono::Utc::now).timestamp();
    let mut state = match opts.scenario {
        Scenario::Org => scenario::org(opts.seed, opts.repos, opts.issues_per_repo, now),
        other => scenario::build(other, opts.seed, opts.issues, opts.off_spec, now),
    };
    if let Some(main) = state.repos.first_mut() {
        main.hidden_from_graphql
            .extend(opts.hide_from_graphql.iter().copied());
        main.hidden_from_rest
            .extend(opts.hide_from_rest.iter().copied());
    }
    Ok(Arc::new(Shared::new(state, opts)?))
}

fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new()
        .fallback(server::handle)
        .with_state(shared)
}

impl Sandbox {
    /// Builds the scenario and serves it on `127.0.0.1:0` on the current tokio runtime.
    pub async fn start(opts: SandboxOptions) -> anyhow::Result<Sandbox> {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0)), opts).await
    }

    /// Builds the scenario and serves it on `addr` on the current tokio runtime.
    pub async fn bind(addr: SocketAddr, opts: SandboxOptions) -> anyhow::Result<Sandbox> {
        let shared = build_shared(opts)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot bind {addr}: {e}"))?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = router(shared.clone());
        tokio::spawn(async move {
            tokio::select! {
                r = axum::serve(listener, app) => {
                    if let Err(e) = r {
                        tracing::error!(error = %e, "sandbox server stopped");
                    }
                }
                _ = rx => {}
            }
        });
        Ok(Sandbox {
            addr,
            shared,
            shutdown: Some(tx),
            thread: None,
        })
    }

    /// Like [`Sandbox::start`], on its own thread with its own runtime (for tests that run
    /// blocking binaries against it).
    pub fn start_in_thread(opts: SandboxOptions) -> anyhow::Result<Sandbox> {
        let shared = build_shared(opts)?;
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<anyhow::Result<SocketAddr>>();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = router(shared.clone());
        let thread = std::thread::Builder::new()
            .name("codex-sandbox".to_owned())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.into()));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", 0)).await {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.into()));
                            return;
                        }
                    };
                    let _ = ready_tx.send(listener.local_addr().map_err(Into::into));
                    tokio::select! {
                        r = axum::serve(listener, app) => {
                            if let Err(e) = r {
                                tracing::error!(error = %e, "sandbox server stopped");
                            }
                        }
                        _ = rx => {}
                    }
                });
            })?;
        let addr = ready_rx
            .recv()
            .map_err(|_| anyhow::anyhow!("sandbox thread exited before binding"))??;
        Ok(Sandbox {
            addr,
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where the REST API answers: [`Sandbox::base_url`], plus `/api/v3` in GHES mode (what a
    /// client takes as `--api-url`).
    pub fn api_url(&self) -> String {
        if self.shared.ghes() {
            format!("{}/api/v3", self.base_url())
        } else {
            self.base_url()
        }
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The JSON of `GET /_sandbox/state`.
    pub fn state(&self) -> serde_json::Value {
        lock(&self.shared.state).to_json()
    }

    /// The JSON of `GET /_sandbox/stats`: `{requests, by_status, by_route, writes, graphql,
    /// not_modified}` and the fault counters (see the crate documentation, "Faults").
    pub fn stats(&self) -> serde_json::Value {
        self.shared.stats_json()
    }

    /// Recorded exchanges (empty unless [`SandboxOptions::record`]).
    pub fn exchanges(&self) -> Vec<Exchange> {
        lock(&self.shared.exchanges).clone()
    }

    /// Zeroes the stats.
    pub fn reset_stats(&self) {
        self.shared.reset_stats();
    }

    /// Moves the sandbox's clock `secs` seconds forward (backward when negative), as
    /// `POST /_sandbox/clock {"advance_secs": N}` does: installation tokens and rate-limit windows
    /// expire by it, JWT lifetimes are judged by it, and what changes from now on is dated by it.
    pub fn advance_clock(&self, secs: i64) {
        lock(&self.shared.state).advance(secs);
        self.shared
            .clock_offset_ms
            .fetch_add(secs * 1000, std::sync::atomic::Ordering::SeqCst);
    }

    /// The sandbox's clock, epoch seconds (the wall clock plus every [`Sandbox::advance_clock`]).
    pub fn now(&self) -> i64 {
        self.shared.now_ms().div_euclid(1000)
    }

    /// Moves `repos` (`owner/name`) into App installation `id` (created when new), as
    /// `POST /_sandbox/installations {"id": N, "repositories": [...]}` does; tokens of other
    /// installations lose them at once. Errors when no App is configured.
    pub fn set_installation(&self, id: u64, repos: &[&str]) -> anyhow::Result<()> {
        let apps = self
            .shared
            .apps
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no App configured"))?;
        let repos: Vec<String> = repos.iter().map(|r| (*r).to_owned()).collect();
        lock(apps)
            .set_installation(id, &repos)
            .map_err(anyhow::Error::msg)
    }

    /// Sets the permissions of App installation `id` (GitHub's names and levels: `("issues",
    /// "write")`, `("actions_variables", "read")`; every permission not named is withheld), as
    /// `POST /_sandbox/installations {"id": N, "permissions": {"issues": "read"}}` does. Its
    /// tokens, live ones included, hold no more from their next request on. Errors when no App is
    /// configured, the installation does not exist or a level is not `read`, `write` or `admin`.
    pub fn set_installation_permissions(
        &self,
        id: u64,
        permissions: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        let apps = self
            .shared
            .apps
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no App configured"))?;
        let permissions =
            app::parse_permissions(permissions.iter().copied()).map_err(anyhow::Error::msg)?;
        lock(apps)
            .set_permissions(id, permissions)
            .map_err(anyhow::Error::msg)
    }

    /// Transfers issue `number` of `repo` (`owner/name`) to repository `to`, as
    /// `POST /_sandbox/transfer` does; returns its number there.
    pub fn transfer_issue(&self, repo: &str, number: u32, to: &str) -> anyhow::Result<u32> {
        let v = admin::transfer(&mut lock(&self.shared.state), repo, number, to)
            .map_err(|(_, m)| anyhow::anyhow!(m))?;
        Ok(v["to_number"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0))
    }

    /// Deletes issue `number` of `repo`, keeping its Project items (content null), as
    /// `POST /_sandbox/delete` does.
    pub fn delete_issue(&self, repo: &str, number: u32) -> anyhow::Result<()> {
        admin::delete(&mut lock(&self.shared.state), repo, number)
            .map(drop)
            .map_err(|(_, m)| anyhow::anyhow!(m))
    }

    /// Archives the Project item holding issue `number` of `repo`, as
    /// `POST /_sandbox/archive-item` does.
    pub fn archive_item(&self, repo: &str, number: u32) -> anyhow::Result<()> {
        admin::archive_item(&mut lock(&self.shared.state), repo, number, true)
            .map(drop)
            .map_err(|(_, m)| anyhow::anyhow!(m))
    }

    /// Applies `set` (a JSON object, the keys of `POST /_sandbox/issue`) to issue `number` of
    /// `repo`; nothing changes when a key is refused.
    pub fn set_issue(
        &self,
        repo: &str,
        number: u32,
        set: &serde_json::Value,
    ) -> anyhow::Result<()> {
        let Some(set) = set.as_object() else {
            anyhow::bail!("set must be a JSON object");
        };
        admin::set_issue(&mut lock(&self.shared.state), repo, number, set)
            .map(drop)
            .map_err(|(_, m)| anyhow::anyhow!(m))
    }

    /// Runs one `POST /_sandbox/{what}` control in process (`what`: `transfer`, `delete`,
    /// `archive-item`, `issue`, `label`): the status and the JSON answer.
    pub fn control(&self, what: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        admin::control(&mut lock(&self.shared.state), what, Some(body))
            .unwrap_or((404, serde_json::json!({"message": "Not Found"})))
    }

    /// Runs `f` on the live state (to simulate a human edit between requests).
    pub fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut lock(&self.shared.state))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Ends every hung request (`hang_rate`) whatever runtime it runs on.
        self.shared.shutdown.send_replace(true);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
