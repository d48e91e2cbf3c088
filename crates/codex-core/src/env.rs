//! Every environment variable Codex reads, named once (CONTRACT.md section 2).
//!
//! Flags with an environment fallback name their variable through clap's `env` attribute; the
//! variables without a flag are read by [`crate::config::Settings::from_env`].

/// `OWNER/NAME` of the repository to work on (`--repo`).
pub const GITHUB_REPOSITORY: &str = "GITHUB_REPOSITORY";
/// The primary token: a personal access token with repo and project scopes. Never a flag.
pub const GH_CI_PAT: &str = "GH_CI_PAT";
/// The fallback token (Actions' own `GITHUB_TOKEN`: cannot see Projects or delete issues).
pub const GITHUB_TOKEN: &str = "GITHUB_TOKEN";
/// A GitHub App's numeric id (or client id): App authentication instead of a token.
pub const CODEX_APP_ID: &str = "CODEX_APP_ID";
/// The App's RSA private key, PEM text (PKCS#1 or PKCS#8). A secret.
pub const CODEX_APP_PRIVATE_KEY: &str = "CODEX_APP_PRIVATE_KEY";
/// A file holding the App's private key (instead of [`CODEX_APP_PRIVATE_KEY`]).
pub const CODEX_APP_PRIVATE_KEY_FILE: &str = "CODEX_APP_PRIVATE_KEY_FILE";
/// The App installation's id; default: the repository's installation, looked up.
pub const CODEX_APP_INSTALLATION_ID: &str = "CODEX_APP_INSTALLATION_ID";
/// REST base URL (`--api-url`), default `https://api.github.com`.
pub const GITHUB_API_URL: &str = "GITHUB_API_URL";
/// GraphQL endpoint (`--graphql-url`), default from the API URL (`crate::web::default_graphql_url`).
pub const GITHUB_GRAPHQL_URL: &str = "GITHUB_GRAPHQL_URL";
/// Checkout of the gh-pages branch (`--pages-dir`), default `gh-pages`.
pub const CODEX_PAGES_DIR: &str = "CODEX_PAGES_DIR";
/// Actions run id (`--run-id`).
pub const GITHUB_RUN_ID: &str = "GITHUB_RUN_ID";
/// Actions run attempt, appended to the run id when greater than 1.
pub const GITHUB_RUN_ATTEMPT: &str = "GITHUB_RUN_ATTEMPT";
/// `true` turns on `--dry-run`.
pub const CODEX_DRY_RUN: &str = "CODEX_DRY_RUN";
/// Directory for the conditional-request cache (`--cache-dir`).
pub const CODEX_CACHE_DIR: &str = "CODEX_CACHE_DIR";
/// Per-run write budget.
pub const CODEX_MAX_MUTATIONS: &str = "CODEX_MAX_MUTATIONS";
/// Longest wait for a rate-limit reset before stopping cleanly, in seconds.
pub const CODEX_MAX_WAIT_SECS: &str = "CODEX_MAX_WAIT_SECS";
/// Hours after which a run lists every open issue again instead of what changed (default 24).
pub const CODEX_FULL_RESYNC_HOURS: &str = "CODEX_FULL_RESYNC_HOURS";
/// Reads allowed at once (default 1: serial, as GitHub asks).
pub const CODEX_READ_CONCURRENCY: &str = "CODEX_READ_CONCURRENCY";
/// Least milliseconds between two writes (default 1000 against a remote API, 0 on loopback).
pub const CODEX_WRITE_SPACING_MS: &str = "CODEX_WRITE_SPACING_MS";
/// Seconds to wait for an answer before giving up on a request (default 30).
pub const CODEX_HTTP_TIMEOUT_SECS: &str = "CODEX_HTTP_TIMEOUT_SECS";
/// First retry backoff step in milliseconds (default 1000; doubled each retry).
pub const CODEX_RETRY_BASE_MS: &str = "CODEX_RETRY_BASE_MS";
/// Retries of one request after transport errors, 5xx or secondary limits (default 4).
pub const CODEX_MAX_RETRIES: &str = "CODEX_MAX_RETRIES";
/// Seconds after which a run stops cleanly, as if its budget were spent (default 1200).
pub const CODEX_DEADLINE_SECS: &str = "CODEX_DEADLINE_SECS";
/// Main track milestone title.
pub const CODEX_MAIN_MILESTONE: &str = "CODEX_MAIN_MILESTONE";
/// Dashboard track milestone title.
pub const CODEX_DASHBOARD_MILESTONE: &str = "CODEX_DASHBOARD_MILESTONE";
/// Self-test milestone title.
pub const CODEX_SELFTEST_MILESTONE: &str = "CODEX_SELFTEST_MILESTONE";
/// How many of the newest self-test issues the cleaner keeps.
pub const CODEX_SELFTEST_RETAIN: &str = "CODEX_SELFTEST_RETAIN";
/// Self-test issues older than this many days are closed.
pub const CODEX_SELFTEST_MAX_AGE_DAYS: &str = "CODEX_SELFTEST_MAX_AGE_DAYS";
/// Telemetry files older than this many days are pruned.
pub const CODEX_TELEMETRY_MAX_AGE_DAYS: &str = "CODEX_TELEMETRY_MAX_AGE_DAYS";
/// Main track: days without update before an issue is stale.
pub const CODEX_MAIN_STALE_DAYS: &str = "CODEX_MAIN_STALE_DAYS";
/// Main track: days without update before an issue is escalated.
pub const CODEX_MAIN_ESCALATION_DAYS: &str = "CODEX_MAIN_ESCALATION_DAYS";
/// Dashboard track: days without update before an issue is stale.
pub const CODEX_DASHBOARD_STALE_DAYS: &str = "CODEX_DASHBOARD_STALE_DAYS";
/// Dashboard track: days without update before an issue is escalated.
pub const CODEX_DASHBOARD_ESCALATION_DAYS: &str = "CODEX_DASHBOARD_ESCALATION_DAYS";
/// The Project's item limit the integrity scanner warns against at 80% (default 50,000,
/// github.com's; 1,200 on older GitHub Enterprise Server).
pub const CODEX_PROJECT_ITEM_LIMIT: &str = "CODEX_PROJECT_ITEM_LIMIT";
/// Title of the Project (v2) issues belong to.
pub const CODEX_PROJECT_TITLE: &str = "CODEX_PROJECT_TITLE";
/// Login of the Project's owner (organisation or user); default: the repository's owner.
pub const CODEX_PROJECT_OWNER: &str = "CODEX_PROJECT_OWNER";

/// Several repositories: an organisation's (`--org`).
pub const CODEX_ORG: &str = "CODEX_ORG";
/// Several repositories, by name (`--repos`).
pub const CODEX_REPOS: &str = "CODEX_REPOS";
/// Several repositories: every one a GitHub App's installation can see (`--installation`).
pub const CODEX_INSTALLATION: &str = "CODEX_INSTALLATION";
/// Repositories left out of a selection (`--exclude`).
pub const CODEX_EXCLUDE: &str = "CODEX_EXCLUDE";
/// Only repositories with one of these topics (`--topic`).
pub const CODEX_TOPICS: &str = "CODEX_TOPICS";
/// Keep archived repositories in a selection (`--include-archived`).
pub const CODEX_INCLUDE_ARCHIVED: &str = "CODEX_INCLUDE_ARCHIVED";
/// Keep forks in a selection (`--include-forks`).
pub const CODEX_INCLUDE_FORKS: &str = "CODEX_INCLUDE_FORKS";

/// The selection variables (CONTRACT.md section 2, "Several repositories"); each has a flag.
pub const SELECTION_VARIABLES: &[&str] = &[
    CODEX_ORG,
    CODEX_REPOS,
    CODEX_INSTALLATION,
    CODEX_EXCLUDE,
    CODEX_TOPICS,
    CODEX_INCLUDE_ARCHIVED,
    CODEX_INCLUDE_FORKS,
];
/// Set to `true` by GitHub Actions.
pub const GITHUB_ACTIONS: &str = "GITHUB_ACTIONS";
/// Set (to anything but `false` or `0`) by most CI services: no progress bars there.
pub const CI: &str = "CI";
/// File GitHub Actions renders as the job summary.
pub const GITHUB_STEP_SUMMARY: &str = "GITHUB_STEP_SUMMARY";

/// Every variable of CONTRACT.md section 2, for `--help` text and the workflow drift test.
pub const CONTRACT_VARIABLES: &[&str] = &[
    GITHUB_REPOSITORY,
    GH_CI_PAT,
    GITHUB_TOKEN,
    CODEX_APP_ID,
    CODEX_APP_PRIVATE_KEY,
    CODEX_APP_PRIVATE_KEY_FILE,
    CODEX_APP_INSTALLATION_ID,
    GITHUB_API_URL,
    GITHUB_GRAPHQL_URL,
    CODEX_PAGES_DIR,
    GITHUB_RUN_ID,
    GITHUB_RUN_ATTEMPT,
    CODEX_DRY_RUN,
    CODEX_CACHE_DIR,
    CODEX_MAX_MUTATIONS,
    CODEX_MAX_WAIT_SECS,
    CODEX_FULL_RESYNC_HOURS,
    CODEX_MAIN_MILESTONE,
    CODEX_DASHBOARD_MILESTONE,
    CODEX_SELFTEST_MILESTONE,
    CODEX_SELFTEST_RETAIN,
    CODEX_SELFTEST_MAX_AGE_DAYS,
    CODEX_TELEMETRY_MAX_AGE_DAYS,
    CODEX_MAIN_STALE_DAYS,
    CODEX_MAIN_ESCALATION_DAYS,
    CODEX_DASHBOARD_STALE_DAYS,
    CODEX_DASHBOARD_ESCALATION_DAYS,
    CODEX_PROJECT_TITLE,
    CODEX_PROJECT_OWNER,
];
