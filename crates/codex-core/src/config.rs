//! Configuration: flag, then environment, then default (CONTRACT.md section 2).
//!
//! [`CommonArgs`] is the clap struct every binary flattens; it only collects raw strings so that
//! validation happens in one place, [`Config::resolve`], which names the flag *and* the variable
//! in a single-line [`ConfigError`]. A rejected configuration means exit code 2 and no request.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use url::Url;

use crate::app::{AppCredentials, AppId, AppKey, Credentials};
use crate::env;
use crate::pages::Layout;
use crate::rules::{PerTrack, Track};
use crate::select::{Filters, Selection, Source};
use crate::web::WebBase;

/// Flags shared by every component. Each has an environment fallback (shown by `--help`).
#[derive(Debug, Clone, Default, clap::Args)]
#[expect(
    rustdoc::bare_urls,
    rustdoc::invalid_html_tags,
    reason = "the field docs are --help text, where Markdown link syntax would show literally"
)]
pub struct CommonArgs {
    /// Repository to work on, as OWNER/NAME.
    #[arg(long, env = env::GITHUB_REPOSITORY, value_name = "OWNER/NAME", global = true)]
    pub repo: Option<String>,

    /// REST API base URL (GitHub Enterprise: https://HOST/api/v3) [default: https://api.github.com]
    #[arg(long, env = env::GITHUB_API_URL, value_name = "URL", global = true)]
    pub api_url: Option<String>,

    /// GraphQL endpoint; GITHUB_GRAPHQL_URL is not used when --api-url overrides GITHUB_API_URL [default: https://api.github.com/graphql; for an API URL ending in /api/v3 (GitHub Enterprise), https://HOST/api/graphql; otherwise <api-url>/graphql]
    #[arg(long, env = env::GITHUB_GRAPHQL_URL, value_name = "URL", global = true)]
    pub graphql_url: Option<String>,

    /// Checkout of the gh-pages branch, where telemetry and the dashboard are written [default: gh-pages]
    #[arg(long, env = env::CODEX_PAGES_DIR, value_name = "DIR", global = true)]
    pub pages_dir: Option<PathBuf>,

    /// Run identifier used in telemetry file names (GITHUB_RUN_ID, plus -GITHUB_RUN_ATTEMPT when > 1) [default: UTC YYYYMMDDTHHMMSSZ]
    #[arg(long, env = env::GITHUB_RUN_ID, value_name = "ID", global = true)]
    pub run_id: Option<String>,

    /// Plan and report, but make no write of any kind to GitHub (CODEX_DRY_RUN=true)
    #[arg(long, global = true)]
    pub dry_run: bool,

    /// Directory for the conditional-request (ETag) cache and the issue snapshots that let a run list only what changed; none by default
    #[arg(long, env = env::CODEX_CACHE_DIR, value_name = "DIR", global = true)]
    pub cache_dir: Option<PathBuf>,

    /// List every open issue, not only those changed since the last run (what happens anyway without a cache dir, on a first run, and once CODEX_FULL_RESYNC_HOURS have passed since the last full listing)
    #[arg(long, global = true)]
    pub full: bool,

    /// Exit 1 when the run's status is `error` (by default Codex never fails the pipeline)
    #[arg(long, global = true)]
    pub strict: bool,

    /// More log output on stderr (-v debug, -vv trace); RUST_LOG overrides
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// The organisation's repositories (with a GitHub App, those its installation there can see), each in its own part of the pages tree
    #[arg(long, env = env::CODEX_ORG, value_name = "ORG", global = true, help_heading = "Several repositories")]
    pub org: Option<String>,

    /// These repositories, comma-separated, each in its own part of the pages tree
    #[arg(long, env = env::CODEX_REPOS, value_name = "OWNER/NAME,...", global = true, help_heading = "Several repositories")]
    pub repos: Option<String>,

    /// Every repository the GitHub App's installation can see
    #[arg(long, env = env::CODEX_INSTALLATION, global = true, help_heading = "Several repositories")]
    pub installation: bool,

    /// Leave these out: NAME (any owner) or OWNER/NAME, comma-separated
    #[arg(long, env = env::CODEX_EXCLUDE, value_name = "NAME,...", global = true, help_heading = "Several repositories")]
    pub exclude: Option<String>,

    /// Only repositories with at least one of these topics, comma-separated (not applied to --repos)
    #[arg(long, env = env::CODEX_TOPICS, value_name = "TOPIC,...", global = true, help_heading = "Several repositories")]
    pub topic: Option<String>,

    /// Keep archived repositories (left out by default; they refuse every write)
    #[arg(long, env = env::CODEX_INCLUDE_ARCHIVED, global = true, help_heading = "Several repositories")]
    pub include_archived: bool,

    /// Keep forks (left out by default)
    #[arg(long, env = env::CODEX_INCLUDE_FORKS, global = true, help_heading = "Several repositories")]
    pub include_forks: bool,
}

/// The `--help` epilogue listing the environment-only settings.
pub const ENV_HELP: &str = "\
Environment (no flag):
  GH_CI_PAT, else GITHUB_TOKEN   token (required by every component but telemetry-merge)
  CODEX_APP_ID                   or a GitHub App instead of a token: its id (or client id), with
  CODEX_APP_PRIVATE_KEY          its RSA private key, PEM text, or
  CODEX_APP_PRIVATE_KEY_FILE     a file holding it; optional
  CODEX_APP_INSTALLATION_ID      [default: the repository's installation]
  CODEX_MAX_MUTATIONS            per-run write budget [default: none]
  CODEX_MAX_WAIT_SECS            longest wait for a rate-limit reset [default: 300]
  CODEX_READ_CONCURRENCY         reads at once [default: 2; 1: serial]
  CODEX_FULL_RESYNC_HOURS        hours between full listings [default: 24; 0: every run]
  CODEX_WRITE_SPACING_MS         least time between writes [default: 1000; 0 on loopback]
  CODEX_HTTP_TIMEOUT_SECS        per-request answer timeout [default: 30]
  CODEX_RETRY_BASE_MS / CODEX_MAX_RETRIES  retry backoff start and count [default: 1000 / 4]
  CODEX_DEADLINE_SECS            the run stops cleanly after this long, 10..=86400 [default: 1200]
  CODEX_MAIN_MILESTONE           [default: Codex Main Track]
  CODEX_DASHBOARD_MILESTONE      [default: Codex Dashboard Track]
  CODEX_SELFTEST_MILESTONE       [default: Codex Internal]
  CODEX_SELFTEST_RETAIN          [default: 5]
  CODEX_SELFTEST_MAX_AGE_DAYS    [default: 7]
  CODEX_TELEMETRY_MAX_AGE_DAYS   [default: 30]
  CODEX_MAIN_STALE_DAYS / CODEX_MAIN_ESCALATION_DAYS            [default: 14 / 30]
  CODEX_DASHBOARD_STALE_DAYS / CODEX_DASHBOARD_ESCALATION_DAYS  [default: 14 / 30]
  CODEX_PROJECT_TITLE            [default: Codex Dual-Track Development]
  CODEX_PROJECT_OWNER            [default: the repository's owner]
  CODEX_PROJECT_ITEM_LIMIT       integrity warns at 80% of it [default: 50000; GHES: 1200]
  CODEX_DRY_RUN=true             same as --dry-run

Exit codes: 0 ran (telemetry says how it went), 2 configuration rejected (nothing sent),
1 only with --strict when the run's status is error, 130 / 143 cancelled by SIGINT / SIGTERM
(telemetry written; a second signal exits at once).";

/// A rejected configuration value: one line naming the flag and/or variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The flag and/or variable, e.g. `--repo / GITHUB_REPOSITORY`.
    pub subject: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.message)
    }
}

impl std::error::Error for ConfigError {}

fn reject(subject: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        subject: subject.into(),
        message: message.into(),
    }
}

/// A GitHub token. Its `Debug` is redacted and it has no `Display`: it cannot be printed by
/// accident, in a log line, a panic or telemetry.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wrap a token string, and register it with [`crate::redact`] so that it is masked in
    /// everything that leaves the process.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        crate::redact::register_secret(&value);
        Token(value)
    }

    /// The secret itself, for the one place that builds the `Authorization` header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// What kind of token this looks like, from GitHub's documented prefixes.
    pub fn kind(&self) -> TokenKind {
        TokenKind::of(&self.0)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// GitHub's token families, told apart by their documented prefixes.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum TokenKind {
    /// `ghp_`: classic personal access token (scopes in `X-OAuth-Scopes`).
    Classic,
    /// `github_pat_`: fine-grained personal access token (no scopes header).
    FineGrained,
    /// `ghs_`: an installation or Actions `GITHUB_TOKEN`.
    Installation,
    /// `gho_`/`ghu_`: OAuth or user-to-server token.
    OAuth,
    /// A GitHub App (`CODEX_APP_ID`): installation tokens it obtains itself.
    App,
    /// Anything else.
    #[default]
    Unknown,
}

impl TokenKind {
    fn of(token: &str) -> Self {
        if token.starts_with("ghp_") {
            TokenKind::Classic
        } else if token.starts_with("github_pat_") {
            TokenKind::FineGrained
        } else if token.starts_with("ghs_") {
            TokenKind::Installation
        } else if token.starts_with("gho_") || token.starts_with("ghu_") {
            TokenKind::OAuth
        } else {
            TokenKind::Unknown
        }
    }
}

/// The Project's title when `CODEX_PROJECT_TITLE` is unset.
pub const DEFAULT_PROJECT_TITLE: &str = "Codex Dual-Track Development";

/// `OWNER/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSlug {
    /// The owner's login.
    pub owner: String,
    /// The repository's name.
    pub name: String,
}

impl RepoSlug {
    /// Parse `OWNER/NAME` with GitHub's character rules.
    pub fn parse(value: &str) -> Result<Self, NotARepoSlug> {
        let (owner, name) = value
            .split_once('/')
            .ok_or_else(|| NotARepoSlug(value.to_owned()))?;
        let owner_ok = !owner.is_empty()
            && owner.len() <= 39
            && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !owner.starts_with('-');
        let name_ok = !name.is_empty()
            && name.len() <= 100
            && name != "."
            && name != ".."
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if owner_ok && name_ok {
            Ok(RepoSlug {
                owner: owner.to_owned(),
                name: name.to_owned(),
            })
        } else {
            Err(NotARepoSlug(value.to_owned()))
        }
    }
}

impl RepoSlug {
    /// What `repo` holds in a run over several repositories when no `--repo` was given: never
    /// sent (each repository's run gets [`Config::for_repo`]), only shown: `ORG/*`, the first
    /// named repository's owner, or `installation/*`.
    fn unset(selection: &Selection) -> RepoSlug {
        let owner = match &selection.source {
            Source::Org(org) => org.clone(),
            Source::Repos(repos) => repos.first().map_or_else(String::new, |r| r.owner.clone()),
            Source::Installation => "installation".to_owned(),
        };
        RepoSlug {
            owner,
            name: "*".to_owned(),
        }
    }
}

/// An organisation's or user's login by GitHub's rules: letters, digits and single hyphens,
/// not at either end, at most 39 characters.
pub fn valid_login(login: &str) -> bool {
    !login.is_empty()
        && login.len() <= 39
        && login.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !login.starts_with('-')
        && !login.ends_with('-')
        && !login.contains("--")
}

/// The selection flags: at most one of `--org`, `--repos`, `--installation`, each value
/// checked; the filters only with one of them.
fn selection(args: &CommonArgs) -> Result<Option<Selection>, ConfigError> {
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let list = |v: &Option<String>| -> Vec<String> {
        given(v)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let org = given(&args.org);
    let repos = given(&args.repos);
    let sources = [org.is_some(), repos.is_some(), args.installation]
        .iter()
        .filter(|b| **b)
        .count();
    if sources > 1 {
        return Err(reject(
            format!(
                "--org / --repos / --installation ({} / {} / {})",
                env::CODEX_ORG,
                env::CODEX_REPOS,
                env::CODEX_INSTALLATION
            ),
            "give one of them",
        ));
    }
    let source = if let Some(org) = org {
        if !valid_login(&org) {
            return Err(reject(
                format!("--org / {}", env::CODEX_ORG),
                format!("not an organisation's login: {org:?}"),
            ));
        }
        Some(Source::Org(org))
    } else if repos.is_some() {
        let mut slugs = Vec::new();
        for raw in list(&args.repos) {
            let slug = RepoSlug::parse(&raw)
                .map_err(|e| reject(format!("--repos / {}", env::CODEX_REPOS), e.to_string()))?;
            slugs.push(slug);
        }
        if slugs.is_empty() {
            return Err(reject(
                format!("--repos / {}", env::CODEX_REPOS),
                "names no repository (OWNER/NAME,...)",
            ));
        }
        Some(Source::Repos(slugs))
    } else if args.installation {
        Some(Source::Installation)
    } else {
        None
    };
    let filters = Filters {
        exclude: list(&args.exclude),
        topics: list(&args.topic)
            .into_iter()
            .map(|t| t.to_ascii_lowercase())
            .collect(),
        include_archived: args.include_archived,
        include_forks: args.include_forks,
    };
    for topic in &filters.topics {
        if topic.len() > 50
            || !topic
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(reject(
                format!("--topic / {}", env::CODEX_TOPICS),
                format!("not a topic (lowercase letters, digits and '-'): {topic:?}"),
            ));
        }
    }
    match source {
        Some(source) => Ok(Some(Selection { source, filters })),
        None if filters != Filters::default() => Err(reject(
            "--exclude / --topic / --include-archived / --include-forks",
            "choose among several repositories: give --org, --repos or --installation",
        )),
        None => Ok(None),
    }
}

/// A repository name that is not `OWNER/NAME` by GitHub's character rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected OWNER/NAME, got {0:?}")]
pub struct NotARepoSlug(pub String);

impl fmt::Display for RepoSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// Days without an update before an issue of a track is stale, then escalated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Stale from this many days.
    pub stale_days: u32,
    /// Escalated from this many days (never below `stale_days`).
    pub escalation_days: u32,
}

/// One track's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackSettings {
    /// `CODEX_MAIN_MILESTONE` / `CODEX_DASHBOARD_MILESTONE`, default `Codex Main Track` /
    /// `Codex Dashboard Track`: the milestone the track's issues belong to.
    pub milestone: String,
    /// `CODEX_<TRACK>_STALE_DAYS` / `CODEX_<TRACK>_ESCALATION_DAYS`, default 14 / 30.
    pub thresholds: Thresholds,
}

/// The variables a track's settings are read from, and its default milestone.
struct TrackVariables {
    milestone: &'static str,
    default_milestone: &'static str,
    stale_days: &'static str,
    escalation_days: &'static str,
}

fn track_variables(track: Track) -> TrackVariables {
    match track {
        Track::Main => TrackVariables {
            milestone: env::CODEX_MAIN_MILESTONE,
            default_milestone: "Codex Main Track",
            stale_days: env::CODEX_MAIN_STALE_DAYS,
            escalation_days: env::CODEX_MAIN_ESCALATION_DAYS,
        },
        Track::Dashboard => TrackVariables {
            milestone: env::CODEX_DASHBOARD_MILESTONE,
            default_milestone: "Codex Dashboard Track",
            stale_days: env::CODEX_DASHBOARD_STALE_DAYS,
            escalation_days: env::CODEX_DASHBOARD_ESCALATION_DAYS,
        },
    }
}

/// The environment-only settings, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `CODEX_MAX_MUTATIONS`: per-run write budget, none by default.
    pub max_mutations: Option<u64>,
    /// `CODEX_MAX_WAIT_SECS`: longest wait for a rate-limit reset, default 300.
    pub max_wait_secs: u64,
    /// `CODEX_FULL_RESYNC_HOURS`, default 24: a run lists every open issue again (and the
    /// integrity scanner scans in full) once the last full listing is this many hours old; 0
    /// makes every run a full one.
    pub full_resync_hours: u64,
    /// `CODEX_READ_CONCURRENCY`, default 2 (project-sync's Project pass beside its listing;
    /// every other read is serial anyway); 1 makes every read wait for the one before.
    pub read_concurrency: u32,
    /// `CODEX_WRITE_SPACING_MS`; `None` means 1000 against a remote API and 0 on loopback.
    pub write_spacing_ms: Option<u64>,
    /// `CODEX_HTTP_TIMEOUT_SECS`, default 30.
    pub http_timeout_secs: u64,
    /// `CODEX_RETRY_BASE_MS`, default 1000.
    pub retry_base_ms: u64,
    /// `CODEX_MAX_RETRIES`, default 4.
    pub max_retries: u32,
    /// `CODEX_DEADLINE_SECS`: the run stops cleanly after this many seconds, default
    /// [`DEFAULT_DEADLINE_SECS`], within [`bounds::DEADLINE_SECS`].
    pub deadline_secs: u64,
    /// `CODEX_SELFTEST_MILESTONE`, default `Codex Internal`.
    pub selftest_milestone: String,
    /// `CODEX_SELFTEST_RETAIN`, default 5.
    pub selftest_retain: u32,
    /// `CODEX_SELFTEST_MAX_AGE_DAYS`, default 7.
    pub selftest_max_age_days: u32,
    /// `CODEX_TELEMETRY_MAX_AGE_DAYS`, default 30.
    pub telemetry_max_age_days: u32,
    /// Per track: milestone and activity thresholds (see [`Settings::track`]).
    pub tracks: PerTrack<TrackSettings>,
    /// `CODEX_PROJECT_TITLE`, default `Codex Dual-Track Development`.
    pub project_title: String,
    /// `CODEX_PROJECT_OWNER`, default the repository's owner (filled by [`Config::resolve`]).
    pub project_owner: Option<String>,
    /// `CODEX_PROJECT_ITEM_LIMIT`, default [`DEFAULT_PROJECT_ITEM_LIMIT`].
    pub project_item_limit: u64,
}

/// GitHub's documented item limit of a Project on github.com (older GitHub Enterprise Server
/// releases allow 1,200).
pub const DEFAULT_PROJECT_ITEM_LIMIT: u64 = 50_000;

/// `CODEX_DEADLINE_SECS` by default: 20 minutes, inside the component workflows'
/// `timeout-minutes: 30` with room for their set-up and the publishing after the run.
pub const DEFAULT_DEADLINE_SECS: u64 = 1200;

/// The fallback title of the self-test milestone, whatever `CODEX_SELFTEST_MILESTONE` says.
pub const SELFTEST_FALLBACK_MILESTONE: &str = "Codex Internal";

impl Settings {
    /// Read and validate the environment-only settings through `lookup` (the process
    /// environment in binaries, a map in tests). Empty values count as unset.
    pub fn from_env(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let text = |name: &str, default: &str| get(name).unwrap_or_else(|| default.to_owned());
        let number = |name: &str, default: u64, range: Bounds| -> Result<u64, ConfigError> {
            get(name).map_or(Ok(default), |raw| bounded(name, &raw, range))
        };
        let small = |name: &str, default: u32, range: Bounds| -> Result<u32, ConfigError> {
            get(name).map_or(Ok(default), |raw| bounded(name, &raw, range))
        };
        let thresholds = |stale: &str, escalation: &str| -> Result<Thresholds, ConfigError> {
            let t = Thresholds {
                stale_days: small(stale, 14, bounds::DAYS)?,
                escalation_days: small(escalation, 30, bounds::DAYS)?,
            };
            if t.escalation_days < t.stale_days {
                return Err(reject(
                    escalation,
                    format!(
                        "escalation days ({}) must not be below {stale} ({})",
                        t.escalation_days, t.stale_days
                    ),
                ));
            }
            Ok(t)
        };
        let max_mutations = match get(env::CODEX_MAX_MUTATIONS) {
            None => None,
            Some(_) => Some(number(env::CODEX_MAX_MUTATIONS, 0, bounds::MAX_MUTATIONS)?),
        };
        Ok(Settings {
            max_mutations,
            max_wait_secs: number(env::CODEX_MAX_WAIT_SECS, 300, bounds::MAX_WAIT_SECS)?,
            read_concurrency: small(env::CODEX_READ_CONCURRENCY, 2, bounds::READ_CONCURRENCY)?,
            full_resync_hours: number(env::CODEX_FULL_RESYNC_HOURS, 24, bounds::FULL_RESYNC_HOURS)?,
            write_spacing_ms: match get(env::CODEX_WRITE_SPACING_MS) {
                None => None,
                Some(_) => Some(number(
                    env::CODEX_WRITE_SPACING_MS,
                    0,
                    bounds::WRITE_SPACING_MS,
                )?),
            },
            http_timeout_secs: number(env::CODEX_HTTP_TIMEOUT_SECS, 30, bounds::HTTP_TIMEOUT_SECS)?,
            retry_base_ms: number(env::CODEX_RETRY_BASE_MS, 1000, bounds::RETRY_BASE_MS)?,
            max_retries: small(env::CODEX_MAX_RETRIES, 4, bounds::MAX_RETRIES)?,
            deadline_secs: number(
                env::CODEX_DEADLINE_SECS,
                DEFAULT_DEADLINE_SECS,
                bounds::DEADLINE_SECS,
            )?,
            selftest_milestone: text(env::CODEX_SELFTEST_MILESTONE, SELFTEST_FALLBACK_MILESTONE),
            selftest_retain: small(env::CODEX_SELFTEST_RETAIN, 5, bounds::SELFTEST_RETAIN)?,
            selftest_max_age_days: small(
                env::CODEX_SELFTEST_MAX_AGE_DAYS,
                7,
                bounds::SELFTEST_MAX_AGE_DAYS,
            )?,
            telemetry_max_age_days: small(env::CODEX_TELEMETRY_MAX_AGE_DAYS, 30, bounds::DAYS)?,
            tracks: PerTrack::try_from_fn(|track| {
                let vars = track_variables(track);
                Ok(TrackSettings {
                    milestone: text(vars.milestone, vars.default_milestone),
                    thresholds: thresholds(vars.stale_days, vars.escalation_days)?,
                })
            })?,
            project_title: text(env::CODEX_PROJECT_TITLE, DEFAULT_PROJECT_TITLE),
            project_owner: get(env::CODEX_PROJECT_OWNER),
            project_item_limit: number(
                env::CODEX_PROJECT_ITEM_LIMIT,
                DEFAULT_PROJECT_ITEM_LIMIT,
                bounds::PROJECT_ITEM_LIMIT,
            )?,
        })
    }
}

impl Settings {
    /// One track's settings.
    pub fn track(&self, track: Track) -> &TrackSettings {
        &self.tracks[track]
    }
}

/// What a component needs from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// A token is required (every component that calls GitHub).
    pub token: bool,
}

/// The whole validated configuration of one run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The repository.
    pub repo: RepoSlug,
    /// The token or the GitHub App, when one was given.
    pub credentials: Option<Credentials>,
    /// REST base URL, without a trailing slash.
    pub api_url: Url,
    /// GraphQL endpoint.
    pub graphql_url: Url,
    /// Where links for people point: the server's web host, derived from the API URL.
    pub web: WebBase,
    /// The gh-pages checkout.
    pub pages_dir: PathBuf,
    /// This run's identifier (safe as part of a file name).
    pub run_id: String,
    /// No writes to GitHub.
    pub dry_run: bool,
    /// Conditional-request cache directory (and the issue snapshots).
    pub cache_dir: Option<PathBuf>,
    /// List every open issue this run (`--full`), whatever the snapshot.
    pub full: bool,
    /// Exit 1 on an `error` status.
    pub strict: bool,
    /// The environment-only settings.
    pub settings: Settings,
    /// Several repositories (`--org`, `--repos`, `--installation`); `None`: `repo` alone.
    pub selection: Option<Selection>,
    /// Where the repository's files go in the pages tree.
    pub layout: Layout,
}

impl Config {
    /// Validate everything, in the order a person reads `--help`. `lookup` reads the
    /// environment-only variables; `now` names a run without an id.
    pub fn resolve(
        args: &CommonArgs,
        lookup: &dyn Fn(&str) -> Option<String>,
        needs: Needs,
        now: DateTime<Utc>,
    ) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let selection = selection(args)?;
        let repo_subject = format!("--repo / {}", env::GITHUB_REPOSITORY);
        let repo = match args
            .repo
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            None => match &selection {
                None => return Err(reject(repo_subject, "required (OWNER/NAME)")),
                Some(selection) => RepoSlug::unset(selection),
            },
            Some(raw) => RepoSlug::parse(raw).map_err(|e| reject(repo_subject, e.to_string()))?,
        };

        let credentials = credentials(&get)?;
        if let Some(Selection {
            source: Source::Installation,
            ..
        }) = &selection
            && !matches!(credentials, Some(Credentials::App(_)))
        {
            return Err(reject(
                format!("--installation / {}", env::CODEX_INSTALLATION),
                "needs a GitHub App (CODEX_APP_ID and its private key): a token has no installation",
            ));
        }
        if needs.token && credentials.is_none() {
            return Err(reject(
                format!("{} / {}", env::GH_CI_PAT, env::GITHUB_TOKEN),
                "a token is required: set GH_CI_PAT (or GITHUB_TOKEN), or a GitHub App \
                 (CODEX_APP_ID and CODEX_APP_PRIVATE_KEY)",
            ));
        }

        let api_url = parse_url(
            args.api_url.as_deref().unwrap_or("https://api.github.com"),
            &format!("--api-url / {}", env::GITHUB_API_URL),
        )?;
        // The runner sets GITHUB_GRAPHQL_URL for its own server, beside GITHUB_API_URL: when
        // --api-url names another one on the command line, a GraphQL URL that only came from
        // the environment would send the token to the runner's server. It is not used then.
        // A value as given: trimmed, blank as unset, a trailing slash ignored.
        let norm = |v: Option<&str>| {
            v.map(|v| v.trim().trim_end_matches('/'))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let api_given = norm(args.api_url.as_deref());
        let api_from_flag =
            api_given.is_some() && api_given != norm(get(env::GITHUB_API_URL).as_deref());
        let graphql_given = norm(args.graphql_url.as_deref());
        let graphql_from_env = graphql_given.is_some()
            && graphql_given == norm(get(env::GITHUB_GRAPHQL_URL).as_deref());
        let graphql_arg = if api_from_flag && graphql_from_env {
            None
        } else {
            args.graphql_url.as_deref()
        };
        let graphql_url = match graphql_arg.filter(|s| !s.trim().is_empty()) {
            Some(raw) => parse_url(raw, &format!("--graphql-url / {}", env::GITHUB_GRAPHQL_URL))?,
            None => crate::web::default_graphql_url(&api_url),
        };
        let web = WebBase::from_api_url(&api_url);

        let attempt = match get(env::GITHUB_RUN_ATTEMPT) {
            None => 1,
            Some(raw) => bounded(env::GITHUB_RUN_ATTEMPT, &raw, bounds::RUN_ATTEMPT)?,
        };
        let run_id = match args
            .run_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(id) if attempt > 1 => format!("{id}-{attempt}"),
            Some(id) => id.to_owned(),
            None => now.format("%Y%m%dT%H%M%SZ").to_string(),
        };
        if run_id.len() > 100
            || !run_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            || run_id.starts_with('.')
        {
            return Err(reject(
                format!("--run-id / {}", env::GITHUB_RUN_ID),
                format!("must be letters, digits, '-', '_' or '.', got {run_id:?}"),
            ));
        }

        let dry_run = args.dry_run
            || match get(env::CODEX_DRY_RUN) {
                None => false,
                Some(raw) => parse_bool(&raw).ok_or_else(|| {
                    reject(
                        env::CODEX_DRY_RUN,
                        format!("expected true or false, got {raw:?}"),
                    )
                })?,
            };

        let settings = Settings::from_env(lookup)?;

        Ok(Config {
            repo,
            credentials,
            api_url,
            graphql_url,
            web,
            pages_dir: args
                .pages_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("gh-pages")),
            run_id,
            dry_run,
            cache_dir: args.cache_dir.clone(),
            full: args.full,
            strict: args.strict,
            settings,
            selection,
            layout: Layout::Single,
        })
    }

    /// The configuration of one repository of a run over several: `repo` in hand, its files
    /// in its own part of the pages tree ([`Layout::PerRepository`]), the Project owner its
    /// own unless `CODEX_PROJECT_OWNER` names one.
    pub fn for_repo(&self, repo: &RepoSlug) -> Config {
        Config {
            repo: repo.clone(),
            layout: Layout::PerRepository,
            ..self.clone()
        }
    }

    /// The Project owner's login (`CODEX_PROJECT_OWNER`, else the repository's owner).
    pub fn project_owner(&self) -> &str {
        self.settings
            .project_owner
            .as_deref()
            .unwrap_or(&self.repo.owner)
    }
}

/// The credentials from the environment: a token (`GH_CI_PAT`, else `GITHUB_TOKEN`) or a
/// GitHub App (`CODEX_APP_*`); each malformed value rejected with one line. `GH_CI_PAT` beside
/// an App is ambiguous and rejected; `GITHUB_TOKEN` is only the fallback when neither is
/// configured (a workflow often sets it for every step), so an App wins over it.
fn credentials(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<Credentials>, ConfigError> {
    let pat = get(env::GH_CI_PAT);
    let job_token = get(env::GITHUB_TOKEN);
    let app_id = get(env::CODEX_APP_ID);
    let key = get(env::CODEX_APP_PRIVATE_KEY);
    let key_file = get(env::CODEX_APP_PRIVATE_KEY_FILE);
    let installation = get(env::CODEX_APP_INSTALLATION_ID);
    // The key is a secret from the moment it is read, whatever else is wrong.
    if let Some(k) = &key {
        crate::redact::register_secret(k.trim());
    }
    let app_given =
        app_id.is_some() || key.is_some() || key_file.is_some() || installation.is_some();
    if app_given && pat.is_some() {
        return Err(reject(
            format!("{} / {}", env::GH_CI_PAT, env::CODEX_APP_ID),
            "a token and a GitHub App are both given: set one of them",
        ));
    }
    let token = match (pat, job_token) {
        _ if app_given => None,
        (Some(t), _) => Some((Token::new(t.trim()), env::GH_CI_PAT)),
        (None, Some(t)) => Some((Token::new(t.trim()), env::GITHUB_TOKEN)),
        (None, None) => None,
    };
    if let Some((token, source)) = token {
        if token
            .expose()
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(reject(
                source,
                "the token contains whitespace or control characters",
            ));
        }
        return Ok(Some(Credentials::Token { token, source }));
    }
    if !app_given {
        return Ok(None);
    }
    let key_subject = format!(
        "{} / {}",
        env::CODEX_APP_PRIVATE_KEY,
        env::CODEX_APP_PRIVATE_KEY_FILE
    );
    let Some(app_id) = app_id else {
        return Err(reject(
            env::CODEX_APP_ID,
            "required with the App's private key or installation id",
        ));
    };
    let app_id = AppId::parse(&app_id).map_err(|m| reject(env::CODEX_APP_ID, m))?;
    let pem = match (key, key_file) {
        (Some(_), Some(_)) => {
            return Err(reject(key_subject, "both are given: set one of them"));
        }
        (None, None) => {
            return Err(reject(
                key_subject,
                "the App's private key is required with CODEX_APP_ID",
            ));
        }
        (Some(pem), None) => pem,
        (None, Some(path)) => {
            let path = path.trim();
            let pem = std::fs::read_to_string(path).map_err(|e| {
                reject(
                    env::CODEX_APP_PRIVATE_KEY_FILE,
                    format!("cannot read {path:?}: {e}"),
                )
            })?;
            crate::redact::register_secret(pem.trim());
            pem
        }
    };
    let key = AppKey::from_pem(&pem).map_err(|m| reject(key_subject, m))?;
    let installation_id = match installation {
        None => None,
        Some(raw) => Some(
            raw.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    reject(
                        env::CODEX_APP_INSTALLATION_ID,
                        format!("expected the installation's numeric id, got {raw:?}"),
                    )
                })?,
        ),
    };
    Ok(Some(Credentials::App(AppCredentials {
        app_id,
        key,
        installation_id,
    })))
}

/// The inclusive range a numeric setting must lie in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Smallest value allowed.
    pub min: u64,
    /// Largest value allowed.
    pub max: u64,
}

impl Bounds {
    fn describe(self, got: &str) -> String {
        format!(
            "must be at least {} and at most {}, got {got}",
            self.min, self.max
        )
    }
}

/// The range of every numeric setting (CONTRACT.md section 2): wide enough for any real use,
/// narrow enough that no value can overflow a duration, sleep for ever or exhaust memory.
pub mod bounds {
    use super::Bounds;

    const fn b(min: u64, max: u64) -> Bounds {
        Bounds { min, max }
    }

    /// `CODEX_MAX_MUTATIONS`.
    pub const MAX_MUTATIONS: Bounds = b(0, 100_000);
    /// `CODEX_MAX_WAIT_SECS`: GitHub's primary limit resets within the hour.
    pub const MAX_WAIT_SECS: Bounds = b(0, 3_600);
    /// `CODEX_READ_CONCURRENCY`.
    pub const READ_CONCURRENCY: Bounds = b(1, 8);
    /// `CODEX_FULL_RESYNC_HOURS`: at most a month between full listings.
    pub const FULL_RESYNC_HOURS: Bounds = b(0, 720);
    /// `CODEX_WRITE_SPACING_MS`.
    pub const WRITE_SPACING_MS: Bounds = b(0, 60_000);
    /// `CODEX_HTTP_TIMEOUT_SECS`.
    pub const HTTP_TIMEOUT_SECS: Bounds = b(1, 600);
    /// `CODEX_RETRY_BASE_MS` (the backoff itself stops growing at 60 s).
    pub const RETRY_BASE_MS: Bounds = b(0, 60_000);
    /// `CODEX_MAX_RETRIES`.
    pub const MAX_RETRIES: Bounds = b(0, 10);
    /// `CODEX_SELFTEST_RETAIN`.
    pub const SELFTEST_RETAIN: Bounds = b(0, 1_000);
    /// `CODEX_SELFTEST_MAX_AGE_DAYS`.
    pub const SELFTEST_MAX_AGE_DAYS: Bounds = b(0, 3_650);
    /// `CODEX_TELEMETRY_MAX_AGE_DAYS` and every track's stale and escalation days.
    pub const DAYS: Bounds = b(1, 3_650);
    /// `GITHUB_RUN_ATTEMPT`.
    pub const RUN_ATTEMPT: Bounds = b(1, 1_000);
    /// `CODEX_PROJECT_ITEM_LIMIT`.
    pub const PROJECT_ITEM_LIMIT: Bounds = b(1, 10_000_000);
    /// `CODEX_DEADLINE_SECS`: ten seconds to a day.
    pub const DEADLINE_SECS: Bounds = b(10, 86_400);
}

/// Parse a whole number of variable `name` within `range`; the error is one line naming the
/// variable and the range, also for values too large for any integer type.
fn bounded<T: TryFrom<u64>>(name: &str, raw: &str, range: Bounds) -> Result<T, ConfigError> {
    let trimmed = raw.trim();
    let n = match trimmed.parse::<u64>() {
        Ok(n) => n,
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => {
            return Err(reject(name, range.describe(trimmed)));
        }
        Err(_) => {
            return Err(reject(
                name,
                format!(
                    "expected a whole number from {} to {}, got {raw:?}",
                    range.min, range.max
                ),
            ));
        }
    };
    if !(range.min..=range.max).contains(&n) {
        return Err(reject(name, range.describe(&n.to_string())));
    }
    T::try_from(n).map_err(|_| reject(name, range.describe(&n.to_string())))
}

fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_url(raw: &str, subject: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim())
        .map_err(|e| reject(subject, format!("{raw:?} is not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(reject(
            subject,
            "must not carry credentials (user:password@): give the token in GH_CI_PAT",
        ));
    }
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(reject(subject, format!("{raw:?} is not an http(s) URL")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(reject(
            subject,
            format!("{raw:?} must not carry a query or fragment"),
        ));
    }
    let mut url = url;
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

/// `base` + `/segment`, keeping any path prefix of `base` (GitHub Enterprise's `/api/v3`).
pub(crate) fn join(base: &Url, segment: &str) -> Url {
    let mut url = base.clone();
    let path = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        segment.trim_start_matches('/')
    );
    url.set_path(&path);
    url
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-23T10:11:12Z".parse().unwrap()
    }

    fn resolve(args: CommonArgs, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::resolve(
            &args,
            &|k| map.get(k).cloned(),
            Needs { token: true },
            now(),
        )
    }

    fn args(repo: &str) -> CommonArgs {
        CommonArgs {
            repo: Some(repo.to_owned()),
            ..CommonArgs::default()
        }
    }

    #[test]
    fn defaults_follow_the_contract() {
        let cfg = resolve(args("acme/widgets"), &[("GH_CI_PAT", "ghp_x")]).unwrap();
        assert_eq!(cfg.repo.to_string(), "acme/widgets");
        assert_eq!(cfg.api_url.as_str(), "https://api.github.com/");
        assert_eq!(cfg.graphql_url.as_str(), "https://api.github.com/graphql");
        assert_eq!(cfg.web.as_str(), "https://github.com");
        assert_eq!(cfg.run_id, "20261123T101112Z");
        assert_eq!(cfg.pages_dir, PathBuf::from("gh-pages"));
        assert!(!cfg.dry_run);
        assert_eq!(
            cfg.credentials.as_ref().map(|c| c.source()),
            Some("GH_CI_PAT")
        );
        let s = &cfg.settings;
        assert_eq!(
            (
                s.selftest_retain,
                s.selftest_max_age_days,
                s.telemetry_max_age_days
            ),
            (5, 7, 30)
        );
        assert_eq!(
            s.track(Track::Main).thresholds,
            Thresholds {
                stale_days: 14,
                escalation_days: 30
            }
        );
        assert_eq!(s.selftest_milestone, "Codex Internal");
        assert_eq!(s.track(Track::Main).milestone, "Codex Main Track");
        assert_eq!(s.track(Track::Dashboard).milestone, "Codex Dashboard Track");
        assert_eq!(cfg.project_owner(), "acme");
        assert_eq!(s.max_mutations, None);
        assert_eq!(s.deadline_secs, 1200);
    }

    #[test]
    fn the_deadline_is_bounded() {
        let deadline = |v: &str| {
            resolve(
                args("a/b"),
                &[("GH_CI_PAT", "x"), ("CODEX_DEADLINE_SECS", v)],
            )
            .map(|c| c.settings.deadline_secs)
        };
        assert_eq!(deadline("10"), Ok(10));
        assert_eq!(deadline("86400"), Ok(86_400));
        for bad in ["9", "0", "86401", "18446744073709551615", "ten", "-1"] {
            let err = deadline(bad).expect_err(bad).to_string();
            assert!(err.starts_with("CODEX_DEADLINE_SECS: "), "{err}");
        }
        assert!(
            deadline("86401")
                .unwrap_err()
                .to_string()
                .contains("at most 86400")
        );
    }

    #[test]
    fn enterprise_api_url_keeps_its_prefix() {
        let mut a = args("acme/widgets");
        a.api_url = Some("https://ghe.example.com/api/v3/".into());
        let cfg = resolve(a, &[("GITHUB_TOKEN", "t")]).unwrap();
        assert_eq!(cfg.api_url.as_str(), "https://ghe.example.com/api/v3");
        // GHES serves GraphQL at /api/graphql, not under the REST prefix
        assert_eq!(
            cfg.graphql_url.as_str(),
            "https://ghe.example.com/api/graphql"
        );
        assert_eq!(cfg.web.as_str(), "https://ghe.example.com");
        assert_eq!(
            cfg.credentials.as_ref().map(|c| c.source()),
            Some("GITHUB_TOKEN")
        );
    }

    #[test]
    fn the_runners_graphql_url_is_not_used_with_another_api_url() {
        // On a github.com runner, --api-url names a GHES: the runner's GITHUB_GRAPHQL_URL
        // (which clap puts in graphql_url) belongs to github.com and is left out.
        let runner = [
            ("GITHUB_TOKEN", "t"),
            ("GITHUB_API_URL", "https://api.github.com"),
            ("GITHUB_GRAPHQL_URL", "https://api.github.com/graphql"),
        ];
        let mut a = args("acme/widgets");
        a.api_url = Some("https://ghe.example.com/api/v3".into());
        a.graphql_url = Some("https://api.github.com/graphql".into());
        let cfg = resolve(a.clone(), &runner).unwrap();
        assert_eq!(
            cfg.graphql_url.as_str(),
            "https://ghe.example.com/api/graphql"
        );
        // both from the runner (a trailing slash aside): its GraphQL URL is used, even one
        // that is not the default
        let proxied = [
            ("GITHUB_TOKEN", "t"),
            ("GITHUB_API_URL", "https://ghe.example.com/api/v3/"),
            ("GITHUB_GRAPHQL_URL", "https://proxy.example.com/graphql"),
        ];
        let mut b = args("acme/widgets");
        b.api_url = Some("https://ghe.example.com/api/v3".into());
        b.graphql_url = Some("https://proxy.example.com/graphql".into());
        let cfg = resolve(b, &proxied).unwrap();
        assert_eq!(
            cfg.graphql_url.as_str(),
            "https://proxy.example.com/graphql"
        );
        // a GraphQL URL given on the command line (not the runner's) stays
        a.api_url = Some("https://ghe.example.com/api/v3".into());
        a.graphql_url = Some("https://gql.example.com/graphql".into());
        let cfg = resolve(a, &runner).unwrap();
        assert_eq!(cfg.graphql_url.as_str(), "https://gql.example.com/graphql");
    }

    #[test]
    fn a_given_graphql_url_wins_over_the_enterprise_default() {
        let mut a = args("acme/widgets");
        a.api_url = Some("https://ghe.example.com/api/v3".into());
        a.graphql_url = Some("https://gql.example.com/custom/".into());
        let cfg = resolve(a, &[("GITHUB_TOKEN", "t")]).unwrap();
        assert_eq!(cfg.graphql_url.as_str(), "https://gql.example.com/custom");
        // the web host still follows the API URL
        assert_eq!(cfg.web.as_str(), "https://ghe.example.com");
    }

    #[test]
    fn run_attempt_is_appended_when_above_one() {
        let mut a = args("acme/widgets");
        a.run_id = Some("123".into());
        let one = resolve(
            a.clone(),
            &[("GH_CI_PAT", "x"), ("GITHUB_RUN_ATTEMPT", "1")],
        )
        .unwrap();
        assert_eq!(one.run_id, "123");
        let two = resolve(a, &[("GH_CI_PAT", "x"), ("GITHUB_RUN_ATTEMPT", "2")]).unwrap();
        assert_eq!(two.run_id, "123-2");
    }

    #[test]
    fn bad_values_name_their_variable_in_one_line() {
        type Case<'a> = (CommonArgs, Vec<(&'a str, &'a str)>, &'a str);
        let cases: Vec<Case<'_>> = vec![
            (
                CommonArgs::default(),
                vec![("GH_CI_PAT", "x")],
                "--repo / GITHUB_REPOSITORY: required",
            ),
            (
                args("acme"),
                vec![("GH_CI_PAT", "x")],
                "--repo / GITHUB_REPOSITORY: expected OWNER/NAME",
            ),
            (
                args("acme/wid gets"),
                vec![("GH_CI_PAT", "x")],
                "--repo / GITHUB_REPOSITORY",
            ),
            (
                args("acme/widgets"),
                vec![],
                "GH_CI_PAT / GITHUB_TOKEN: a token is required",
            ),
            (
                CommonArgs {
                    api_url: Some("not a url".into()),
                    ..args("a/b")
                },
                vec![("GH_CI_PAT", "x")],
                "--api-url / GITHUB_API_URL",
            ),
            (
                CommonArgs {
                    api_url: Some("ftp://x".into()),
                    ..args("a/b")
                },
                vec![("GH_CI_PAT", "x")],
                "--api-url / GITHUB_API_URL",
            ),
            (
                CommonArgs {
                    graphql_url: Some("/graphql".into()),
                    ..args("a/b")
                },
                vec![("GH_CI_PAT", "x")],
                "--graphql-url / GITHUB_GRAPHQL_URL",
            ),
            (
                CommonArgs {
                    run_id: Some("../etc".into()),
                    ..args("a/b")
                },
                vec![("GH_CI_PAT", "x")],
                "--run-id / GITHUB_RUN_ID",
            ),
            (
                CommonArgs {
                    api_url: Some("https://user:ghp_inurl0000@ghe.example.com/api/v3".into()),
                    ..args("a/b")
                },
                vec![("GH_CI_PAT", "x")],
                "--api-url / GITHUB_API_URL: must not carry credentials (user:password@): give the token in GH_CI_PAT",
            ),
            (
                CommonArgs {
                    graphql_url: Some("https://ghp_inurl0000@ghe.example.com/graphql".into()),
                    ..args("a/b")
                },
                vec![("GH_CI_PAT", "x")],
                "--graphql-url / GITHUB_GRAPHQL_URL: must not carry credentials",
            ),
            (
                args("a/b"),
                vec![("GH_CI_PAT", "x"), ("CODEX_SELFTEST_RETAIN", "five")],
                "CODEX_SELFTEST_RETAIN: expected a whole number",
            ),
            (
                args("a/b"),
                vec![("GH_CI_PAT", "x"), ("CODEX_MAX_MUTATIONS", "-1")],
                "CODEX_MAX_MUTATIONS",
            ),
            (
                args("a/b"),
                vec![("GH_CI_PAT", "x"), ("CODEX_MAX_WAIT_SECS", "1.5")],
                "CODEX_MAX_WAIT_SECS",
            ),
            (
                args("a/b"),
                vec![("GH_CI_PAT", "x"), ("CODEX_DRY_RUN", "maybe")],
                "CODEX_DRY_RUN",
            ),
            (
                args("a/b"),
                vec![("GH_CI_PAT", "x"), ("GITHUB_RUN_ATTEMPT", "x")],
                "GITHUB_RUN_ATTEMPT",
            ),
            (
                args("a/b"),
                vec![
                    ("GH_CI_PAT", "x"),
                    ("CODEX_MAIN_STALE_DAYS", "20"),
                    ("CODEX_MAIN_ESCALATION_DAYS", "10"),
                ],
                "CODEX_MAIN_ESCALATION_DAYS: escalation days (10) must not be below CODEX_MAIN_STALE_DAYS (20)",
            ),
            (
                args("a/b"),
                vec![("GH_CI_PAT", "x"), ("CODEX_DASHBOARD_ESCALATION_DAYS", "3")],
                "CODEX_DASHBOARD_ESCALATION_DAYS",
            ),
            (
                args("a/b"),
                vec![("GH_CI_PAT", "x"), ("CODEX_MAIN_STALE_DAYS", "0")],
                "CODEX_MAIN_STALE_DAYS: must be at least 1",
            ),
        ];
        for (a, vars, expected) in cases {
            let err = resolve(a, &vars).expect_err(expected).to_string();
            assert!(
                err.starts_with(expected),
                "{err:?} should start with {expected:?}"
            );
            assert!(!err.contains('\n'), "one line: {err:?}");
            assert!(!err.contains("ghp_inurl"), "credentials echoed: {err:?}");
        }
    }

    /// Every numeric variable with its range.
    const NUMBERS: [(&str, Bounds); 17] = [
        (env::CODEX_FULL_RESYNC_HOURS, bounds::FULL_RESYNC_HOURS),
        (env::CODEX_MAX_MUTATIONS, bounds::MAX_MUTATIONS),
        (env::CODEX_PROJECT_ITEM_LIMIT, bounds::PROJECT_ITEM_LIMIT),
        (env::CODEX_MAX_WAIT_SECS, bounds::MAX_WAIT_SECS),
        (env::CODEX_READ_CONCURRENCY, bounds::READ_CONCURRENCY),
        (env::CODEX_WRITE_SPACING_MS, bounds::WRITE_SPACING_MS),
        (env::CODEX_HTTP_TIMEOUT_SECS, bounds::HTTP_TIMEOUT_SECS),
        (env::CODEX_RETRY_BASE_MS, bounds::RETRY_BASE_MS),
        (env::CODEX_MAX_RETRIES, bounds::MAX_RETRIES),
        (env::CODEX_SELFTEST_RETAIN, bounds::SELFTEST_RETAIN),
        (
            env::CODEX_SELFTEST_MAX_AGE_DAYS,
            bounds::SELFTEST_MAX_AGE_DAYS,
        ),
        (env::CODEX_TELEMETRY_MAX_AGE_DAYS, bounds::DAYS),
        (env::CODEX_MAIN_STALE_DAYS, bounds::DAYS),
        (env::CODEX_MAIN_ESCALATION_DAYS, bounds::DAYS),
        (env::CODEX_DASHBOARD_STALE_DAYS, bounds::DAYS),
        (env::CODEX_DASHBOARD_ESCALATION_DAYS, bounds::DAYS),
        (env::GITHUB_RUN_ATTEMPT, bounds::RUN_ATTEMPT),
    ];

    #[test]
    fn every_number_is_bounded_and_a_rejection_names_the_range() {
        let range_text = |b: Bounds| format!("at least {} and at most {}", b.min, b.max);
        for (var, range) in NUMBERS {
            let above = (range.max + 1).to_string();
            let too_big = [
                above.as_str(),
                "4294967296",
                "18446744073709551615",
                "18446744073709551616",
                "99999999999999999999999999",
            ];
            for bad in too_big {
                let err = resolve(args("a/b"), &[("GH_CI_PAT", "x"), (var, bad)])
                    .expect_err(var)
                    .to_string();
                assert!(err.starts_with(&format!("{var}: ")), "{err}");
                assert!(err.contains(&range_text(range)), "{err}");
                assert!(err.contains(bad), "{err}");
                assert!(!err.contains('\n'), "{err}");
            }
            if range.min > 0 {
                let below = (range.min - 1).to_string();
                let err = resolve(args("a/b"), &[("GH_CI_PAT", "x"), (var, &below)])
                    .expect_err(var)
                    .to_string();
                assert!(err.contains(&range_text(range)), "{err}");
            }
            let err = resolve(args("a/b"), &[("GH_CI_PAT", "x"), (var, "ten")])
                .expect_err(var)
                .to_string();
            assert!(
                err.contains(&format!("from {} to {}", range.min, range.max)),
                "{err}"
            );
            // Both ends are accepted (escalation days may not be below stale days: 14).
            for edge in [range.min, range.max] {
                let value = edge.to_string();
                let mut vars = vec![("GH_CI_PAT", "x"), (var, value.as_str())];
                if var.ends_with("_STALE_DAYS") {
                    vars.push((
                        if var.starts_with("CODEX_MAIN") {
                            env::CODEX_MAIN_ESCALATION_DAYS
                        } else {
                            env::CODEX_DASHBOARD_ESCALATION_DAYS
                        },
                        "3650",
                    ));
                }
                let accepted = resolve(args("a/b"), &vars);
                let below_stale = var.ends_with("_ESCALATION_DAYS") && edge < 14;
                assert_eq!(accepted.is_ok(), !below_stale, "{var}={edge}: {accepted:?}");
            }
        }
    }

    #[test]
    fn the_largest_timeout_and_base_stay_usable() {
        let cfg = resolve(
            args("a/b"),
            &[
                ("GH_CI_PAT", "x"),
                ("CODEX_HTTP_TIMEOUT_SECS", "600"),
                ("CODEX_RETRY_BASE_MS", "60000"),
                ("GITHUB_RUN_ATTEMPT", "1000"),
            ],
        )
        .unwrap();
        let opts = crate::github::ClientOptions::from_config(&cfg);
        // The client's overall timeout is twice the read timeout: no overflow.
        assert_eq!(opts.read_timeout * 2, std::time::Duration::from_secs(1200));
        assert!(
            crate::github::governor::backoff(opts.governor.backoff_base, 10, 1.0)
                <= crate::github::governor::MAX_BACKOFF
        );
    }

    #[test]
    fn telemetry_merge_needs_no_token() {
        let cfg = Config::resolve(&args("a/b"), &|_| None, Needs { token: false }, now()).unwrap();
        assert!(cfg.credentials.is_none());
    }

    #[test]
    fn dry_run_from_environment() {
        let cfg = resolve(
            args("a/b"),
            &[("GH_CI_PAT", "x"), ("CODEX_DRY_RUN", "true")],
        )
        .unwrap();
        assert!(cfg.dry_run);
        let cfg = resolve(
            args("a/b"),
            &[("GH_CI_PAT", "x"), ("CODEX_DRY_RUN", "false")],
        )
        .unwrap();
        assert!(!cfg.dry_run);
    }

    #[test]
    fn token_is_never_printed() {
        let cfg = resolve(args("a/b"), &[("GH_CI_PAT", "ghp_supersecret123")]).unwrap();
        let shown = format!("{cfg:?} {:?}", cfg.credentials);
        assert!(!shown.contains("supersecret"), "{shown}");
        assert_eq!(
            cfg.credentials.unwrap().token().unwrap().kind(),
            TokenKind::Classic
        );
    }

    const KEY: &str = crate::app::tests::TEST_KEY_PKCS1;

    #[test]
    fn an_app_is_id_and_key_with_an_optional_installation() {
        let cfg = resolve(
            args("a/b"),
            &[
                ("CODEX_APP_ID", "12345"),
                ("CODEX_APP_PRIVATE_KEY", KEY),
                ("CODEX_APP_INSTALLATION_ID", "678"),
            ],
        )
        .unwrap();
        let Some(Credentials::App(app)) = &cfg.credentials else {
            panic!("{:?}", cfg.credentials)
        };
        let shown = format!("{cfg:?}");
        for line in KEY.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!shown.contains(line), "{shown}");
        }
        assert!(shown.contains("AppKey(<redacted>)"), "{shown}");
        assert_eq!(app.app_id, AppId::Id(12345));
        assert_eq!(app.installation_id, Some(678));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key.pem");
        std::fs::write(&file, crate::app::tests::TEST_KEY_PKCS8).unwrap();
        let cfg = resolve(
            args("a/b"),
            &[
                ("CODEX_APP_ID", "Iv23liAbCdEf012345"),
                ("CODEX_APP_PRIVATE_KEY_FILE", file.to_str().unwrap()),
            ],
        )
        .unwrap();
        let Some(Credentials::App(from_file)) = cfg.credentials else {
            panic!()
        };
        assert_eq!(from_file.key, app.key);
        assert_eq!(from_file.installation_id, None);
        // The job's GITHUB_TOKEN, which workflows often set for every step, is only the
        // fallback: an App configured beside it is used.
        let cfg = resolve(
            args("a/b"),
            &[
                ("GITHUB_TOKEN", "ghs_jobtoken"),
                ("CODEX_APP_ID", "12345"),
                ("CODEX_APP_PRIVATE_KEY", KEY),
            ],
        )
        .unwrap();
        assert!(
            matches!(cfg.credentials, Some(Credentials::App(_))),
            "{:?}",
            cfg.credentials
        );
    }

    #[test]
    fn bad_app_configurations_are_one_line_errors_that_never_show_the_key() {
        let missing = "/nonexistent/codex-app-key.pem";
        type Vars<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Vars, &str, &str)] = &[
            (
                &[("CODEX_APP_ID", "app"), ("CODEX_APP_PRIVATE_KEY", KEY)],
                "CODEX_APP_ID",
                "numeric id",
            ),
            (
                &[
                    ("CODEX_APP_ID", "1"),
                    ("CODEX_APP_PRIVATE_KEY", "MIIEcanaryNotAKeyAtAll"),
                ],
                "CODEX_APP_PRIVATE_KEY",
                "not a PEM private key",
            ),
            (
                &[
                    ("CODEX_APP_ID", "1"),
                    ("CODEX_APP_PRIVATE_KEY", KEY),
                    ("CODEX_APP_PRIVATE_KEY_FILE", "/k.pem"),
                ],
                "CODEX_APP_PRIVATE_KEY_FILE",
                "both are given",
            ),
            (
                &[
                    ("CODEX_APP_ID", "1"),
                    ("CODEX_APP_PRIVATE_KEY_FILE", missing),
                ],
                "CODEX_APP_PRIVATE_KEY_FILE",
                "cannot read",
            ),
            (
                &[
                    ("CODEX_APP_ID", "1"),
                    ("CODEX_APP_PRIVATE_KEY", KEY),
                    ("CODEX_APP_INSTALLATION_ID", "x1"),
                ],
                "CODEX_APP_INSTALLATION_ID",
                "numeric id",
            ),
            (
                &[
                    ("GH_CI_PAT", "ghp_x"),
                    ("CODEX_APP_ID", "1"),
                    ("CODEX_APP_PRIVATE_KEY", KEY),
                ],
                "GH_CI_PAT / CODEX_APP_ID",
                "both given",
            ),
            (
                &[
                    ("GITHUB_TOKEN", "ghs_x"),
                    ("CODEX_APP_INSTALLATION_ID", "3"),
                ],
                "CODEX_APP_ID",
                "required with the App's private key or installation id",
            ),
            (
                &[("CODEX_APP_ID", "1")],
                "CODEX_APP_PRIVATE_KEY",
                "private key is required",
            ),
            (
                &[("CODEX_APP_PRIVATE_KEY", KEY)],
                "CODEX_APP_ID",
                "required",
            ),
        ];
        let key_line = KEY.lines().nth(3).unwrap();
        for (vars, subject, message) in cases {
            let err = resolve(args("a/b"), vars).unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(err.subject.contains(subject), "{vars:?}: {shown}");
            assert!(err.message.contains(message), "{vars:?}: {shown}");
            assert!(!shown.contains('\n'), "{shown}");
            assert!(
                !shown.contains(key_line) && !shown.contains("canary"),
                "{shown}"
            );
        }
    }
}
