//! `codex-sandbox`: serves a local, stateful GitHub until killed. Prints only its base URL on the
//! first line of stdout; logs go to stderr.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use codex_sandbox::{Sandbox, SandboxOptions, Scenario};

/// A local, stateful GitHub (REST + the GraphQL Codex uses) for tests, demos and benchmarks.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve until killed; prints the base URL (`http://127.0.0.1:PORT`) as the first line.
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
    /// Number of issues of the `large` scenario.
    #[arg(long, default_value_t = 10_000)]
    issues: usize,
    /// Milliseconds added to every answer.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Seed of the generated data (same seed, same data).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Append one JSON line per request ({ts, method, path, query, status, ms}) to this file.
    #[arg(long)]
    log: Option<PathBuf>,
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
    let opts = SandboxOptions {
        scenario: args.scenario,
        issues: args.issues,
        seed: args.seed,
        latency_ms: args.latency_ms,
        log: args.log,
        ..SandboxOptions::default()
    };
    let sandbox = Sandbox::bind(args.addr, opts).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", sandbox.base_url())?;
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
