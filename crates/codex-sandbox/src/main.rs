//! `codex-sandbox`: serves a local, stateful GitHub until killed. Prints only its base URL on the
//! first line of stdout; logs go to stderr.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use codex_sandbox::{AppOptions, Sandbox, SandboxOptions, Scenario};

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
    /// against --app-public-key: signature, iss, iat, exp at most 10 minutes), and the
    /// installation tokens they mint work everywhere else, within their repositories.
    #[arg(long, value_name = "N", requires = "app_public_key")]
    app_id: Option<u64>,
    /// The App's RSA public key (PEM: BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY).
    #[arg(long, value_name = "FILE", requires = "app_id")]
    app_public_key: Option<PathBuf>,
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
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codex-sandbox: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let app = match (args.app_id, &args.app_public_key) {
        (Some(id), Some(file)) => Some(AppOptions {
            id,
            public_key_pem: std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?,
            installation_token_ttl_secs: args.installation_token_ttl_secs,
        }),
        _ => None,
    };
    let opts = SandboxOptions {
        app,
        ghes: args.ghes,
        clock_step_secs: args.clock_step_secs,
        scenario: args.scenario,
        issues: args.issues,
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
