//! `codex-sandbox`: serves a local, stateful GitHub until killed. Prints only its base URL on the
//! first line of stdout; logs go to stderr.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use codex_sandbox::{
    AppKeyPair, AppOptions, ORG_ISSUES_PER_REPO, ORG_REPOS, Sandbox, SandboxOptions, Scenario,
};

/// A local, stateful GitHub (REST + the GraphQL Codex uses) for tests, demos and benchmarks.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve until killed; prints the API URL (`http://127.0.0.1:PORT`, `…/api/v3` with --ghes) as
    /// the first line.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Which world to serve.
    #[arg(long, value_enum, default_value_t = Scenario::Demo)]
    scenario: Scenario,
    /// Number of items of the `large` scenario: issues and pull requests together (about one in
    /// ten is a pull request), as GitHub numbers them and its issues endpoint lists them.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    issues: usize,
    /// Number of repositories of the `org` scenario: the organisation acme's acme/repo-001,
    /// acme/repo-002, ... (every 10th archived, every 7th a fork, every 5th private; topics on
    /// some), served by GET /orgs/acme/repos and, to an installation token, GET
    /// /installation/repositories; plus the user repository octocat/dotfiles.
    #[arg(long, value_name = "N", default_value_t = ORG_REPOS)]
    repos: usize,
    /// Items of each `org` repository: issues and pull requests together, generated as in
    /// `large` (self-tests, pull requests, issues needing repair, Project members) with some of
    /// the demo's quirks.
    #[arg(long, value_name = "M", default_value_t = ORG_ISSUES_PER_REPO)]
    issues_per_repo: usize,
    /// Milliseconds added to every answer.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Seed of the generated data and of every fault decision (same seed, same data, same
    /// faults for the same serial sequence of requests).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Append one JSON line per request ({ts, method, path, query, status, ms}, and `fault` when
    /// one was injected) to this file.
    #[arg(long)]
    log: Option<PathBuf>,
    /// Fraction (0-1) of requests, REST and GraphQL, answered 500, 502 (an HTML page) or 503
    /// instead. Half of them (drawn per request) run first: such a write IS applied and only its
    /// answer is lost.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = fraction)]
    fault_rate: f64,
    /// Fraction (0-1) of requests never answered (held 10 minutes, until the client hangs up or
    /// the server stops). Half of them (drawn per request) run first: such a write IS applied.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = fraction)]
    hang_rate: f64,
    /// Primary budget: N requests per token and resource (core, graphql) per window, then 403
    /// with x-ratelimit-remaining: 0 until the window ends [default: GitHub's 5000].
    #[arg(long, value_name = "N")]
    rate_limit: Option<u64>,
    /// Length of the primary window in seconds, from the token's first request.
    #[arg(long, value_name = "S", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    rate_limit_reset_secs: u64,
    /// Secondary limit: more than N writes (POST/PATCH/PUT/DELETE, GraphQL mutations) per token
    /// in a rolling window answer 403 with retry-after.
    #[arg(long, value_name = "N")]
    secondary_limit: Option<u64>,
    /// The retry-after of the secondary limit, in seconds; every write before it expires is
    /// refused too (an early retry); after it the token starts afresh.
    #[arg(long, value_name = "S", default_value_t = 60)]
    secondary_retry_after_secs: u64,
    /// The rolling window of the secondary limit, in seconds.
    #[arg(long, value_name = "S", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    secondary_window_secs: u64,
    /// Fraction (0-1) of POST /graphql answered 200 with data: null and an errors array
    /// (RATE_LIMITED, or "Something went wrong ... timeout"). Half of them (drawn per request)
    /// run first: such a mutation IS applied.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = fraction)]
    graphql_fault_rate: f64,
    /// Play GitHub for the App with this id: /app endpoints take its RS256 JWTs (checked
    /// against its public key: signature, iss, iat, exp at most 10 minutes), and the
    /// installation tokens they mint work everywhere else, within their repositories. Needs
    /// exactly one of --app-public-key and --app-private-key-out.
    #[arg(long, value_name = "N")]
    app_id: Option<u64>,
    /// The App's RSA public key (PEM: BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY), 2048 bits or
    /// more.
    #[arg(long, value_name = "FILE")]
    app_public_key: Option<PathBuf>,
    /// Generate the App's key pair, as GitHub does: write the private key (PKCS#1 PEM, BEGIN RSA
    /// PRIVATE KEY, 2048 bits) to FILE with mode 0600 before the URL is printed, and keep the
    /// public key in memory.
    #[arg(long, value_name = "FILE")]
    app_private_key_out: Option<PathBuf>,
    /// Lifetime of the installation access tokens the App mints, in seconds.
    #[arg(long, value_name = "S", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    installation_token_ttl_secs: u64,
    /// Serve as GitHub Enterprise Server: REST under /api/v3, GraphQL at /api/graphql, links for
    /// people on this server's own host; the first line printed is then the API URL
    /// (http://127.0.0.1:PORT/api/v3).
    #[arg(long)]
    ghes: bool,
    /// Move the sandbox's clock this many seconds forward after every request (tokens, JWTs
    /// and rate windows follow it; answers' Date headers tell it).
    #[arg(long, value_name = "S", default_value_t = 0)]
    clock_step_secs: u64,
    /// Answer every REST request under /repos/OWNER/NAME with a 502 page (repeatable): one
    /// repository of an organisation failing while the others answer
    #[arg(long, value_name = "OWNER/NAME")]
    fault_repo: Vec<String>,
    /// Issue numbers of the scenario's main repository (demo: acme/widgets) that GraphQL's
    /// repository.issues leaves out, nodes and totalCount, as its lagging index does
    /// (comma-separated: 150,160; added to the demo's own planting)
    #[arg(long, value_name = "N,N", value_delimiter = ',')]
    hide_from_graphql: Vec<u32>,
    /// Issue numbers of the scenario's main repository left out of every page of GET
    /// /repos/{o}/{r}/issues; a GET of the issue itself still answers 200 (comma-separated)
    #[arg(long, value_name = "N,N", value_delimiter = ',')]
    hide_from_rest: Vec<u32>,
}

/// A probability: a number between 0 and 1.
fn fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("expected a fraction between 0 and 1, got {s:?}")),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let Command::Serve(args) = Cli::parse().command;
    if let Err(usage) = check(&args) {
        eprintln!("codex-sandbox: {usage}");
        return ExitCode::from(2);
    }
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codex-sandbox: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The flag combinations clap cannot express: `--app-id` with exactly one key source.
fn check(args: &ServeArgs) -> Result<(), &'static str> {
    match (args.app_id, &args.app_public_key, &args.app_private_key_out) {
        (Some(_), Some(_), None) | (Some(_), None, Some(_)) | (None, None, None) => Ok(()),
        (Some(_), _, _) => Err(
            "--app-id needs exactly one of --app-public-key FILE and --app-private-key-out FILE",
        ),
        (None, _, _) => Err("--app-public-key and --app-private-key-out need --app-id N"),
    }
}

/// Writes a generated private key, readable by its owner only (an existing file is replaced).
fn write_private_key(path: &std::path::Path, pem: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    // An existing file keeps its mode on open: narrow it before the key is in it.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(pem.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let mut private_key = None;
    let app = match (args.app_id, &args.app_public_key, &args.app_private_key_out) {
        (Some(id), Some(file), _) => Some(AppOptions {
            public_key_pem: std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?,
            installation_token_ttl_secs: args.installation_token_ttl_secs,
            ..AppOptions::new(id, "")
        }),
        (Some(id), None, Some(out)) => {
            let keys = AppKeyPair::generate();
            private_key = Some((out.clone(), keys.private_pem));
            Some(AppOptions {
                installation_token_ttl_secs: args.installation_token_ttl_secs,
                ..AppOptions::new(id, keys.public_pem)
            })
        }
        _ => None,
    };
    let opts = SandboxOptions {
        app,
        ghes: args.ghes,
        clock_step_secs: args.clock_step_secs,
        fault_repos: args.fault_repo,
        hide_from_graphql: args.hide_from_graphql,
        hide_from_rest: args.hide_from_rest,
        scenario: args.scenario,
        issues: args.issues,
        repos: args.repos,
        issues_per_repo: args.issues_per_repo,
        seed: args.seed,
        latency_ms: args.latency_ms,
        log: args.log,
        fault_rate: args.fault_rate,
        hang_rate: args.hang_rate,
        rate_limit: args.rate_limit,
        rate_limit_reset_secs: args.rate_limit_reset_secs,
        secondary_limit: args.secondary_limit,
        secondary_retry_after_secs: args.secondary_retry_after_secs,
        secondary_window_secs: args.secondary_window_secs,
        graphql_fault_rate: args.graphql_fault_rate,
        ..SandboxOptions::default()
    };
    let sandbox = Sandbox::bind(args.addr, opts).await?;
    if let Some((path, pem)) = private_key {
        write_private_key(&path, &pem)?;
        tracing::info!(file = %path.display(), "App private key written");
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", sandbox.api_url())?;
    out.flush()?;
    drop(out);
    tracing::info!(url = %sandbox.base_url(), "serving");
    shutdown_signal().await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
