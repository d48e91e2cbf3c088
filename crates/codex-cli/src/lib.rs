//! Process glue for Codex's binaries: argument parsing, configuration from the environment,
//! logging, the GitHub Actions job summary and annotations, and exit codes (CONTRACT.md
//! section 3). Every binary is a few lines calling its component's `main`; `codex` adds
//! the front door and `codex demo`.

mod demo;
mod output;
mod signals;

use std::collections::BTreeSet;
use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, Parser, Subcommand};
use codex_core::config::ENV_HELP;
use codex_core::jobs::{self, Context};
use codex_core::telemetry::Status;
use codex_core::{CommonArgs, Config, Needs};

pub use demo::DemoArgs;

/// `--delete` for the cleaner.
#[derive(Debug, Clone, Default, Args)]
pub struct CleanerFlags {
    /// Delete stale self-test issues (GraphQL deleteIssue, needs admin) instead of closing them;
    /// falls back to closing, with a warning, where the token may not delete
    #[arg(long)]
    pub delete: bool,
}

/// `--repair` for diagnostics.
#[derive(Debug, Clone, Default, Args)]
pub struct DiagnosticsFlags {
    /// Create what is missing and safe to create (labels, milestones), then check again
    #[arg(long)]
    pub repair: bool,
}

/// Arguments of a component without flags of its own.
#[derive(Debug, Clone, Args)]
pub struct Plain {
    #[command(flatten)]
    common: CommonArgs,
}

/// Arguments of the cleaner.
#[derive(Debug, Clone, Args)]
pub struct CleanerArgs {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    flags: CleanerFlags,
}

/// Arguments of diagnostics.
#[derive(Debug, Clone, Args)]
pub struct DiagnosticsArgs {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    flags: DiagnosticsFlags,
}

/// The seven components.
#[derive(Debug, Clone, Subcommand)]
pub enum ComponentCommand {
    /// Create a self-test issue, check token permissions and milestone, verify by reading back
    #[command(after_help = ENV_HELP)]
    SelfTest(Plain),
    /// Close (or --delete) stale self-test issues; prune old telemetry files
    #[command(after_help = ENV_HELP)]
    Cleaner(CleanerArgs),
    /// Repair missing codex label, track label, milestone and Project membership; integrity findings
    #[command(after_help = ENV_HELP, alias = "sync")]
    ProjectSync(Plain),
    /// Per-track health (main, dashboard) and deterioration against the previous run
    #[command(after_help = ENV_HELP)]
    Supervisor(Plain),
    /// Classify open issues active / stale / escalation per track
    #[command(after_help = ENV_HELP)]
    Activity(Plain),
    /// Merge the latest telemetry into dashboard/dashboard.json and write the dashboard (no token needed)
    #[command(after_help = ENV_HELP)]
    TelemetryMerge(Plain),
    /// Check variables, labels, milestones, Project and gh-pages; --repair creates what is missing
    #[command(after_help = ENV_HELP)]
    Diagnostics(DiagnosticsArgs),
}

/// `codex`: the front door.
#[derive(Debug, Parser)]
#[command(
    name = "codex",
    version,
    about = "Codex keeps a GitHub repository's issues in order: run any component, or the demo."
)]
pub struct FrontDoor {
    #[command(subcommand)]
    command: FrontCommand,
}

#[derive(Debug, Subcommand)]
enum FrontCommand {
    #[command(flatten)]
    Component(ComponentCommand),
    /// Run the whole pipeline on the embedded sandbox (no token, no network) and write the dashboard
    Demo(DemoArgs),
}

macro_rules! dedicated {
    ($(#[$doc:meta])* $name:ident, $bin:literal, $args:ty, $variant:ident, $about:literal) => {
        $(#[$doc])*
        #[derive(Debug, Parser)]
        #[command(name = $bin, version, about = $about, after_help = ENV_HELP)]
        pub struct $name {
            #[command(flatten)]
            args: $args,
        }

        impl $name {
            /// Parse the process arguments and run.
            pub fn main() -> ExitCode {
                match parse::<$name>() {
                    Ok(cli) => run_component(ComponentCommand::$variant(cli.args)),
                    Err(code) => code,
                }
            }
        }
    };
}

dedicated!(/// `codex-self-test`
    SelfTestCli, "codex-self-test", Plain, SelfTest,
    "Create a self-test issue, check token permissions and milestone, verify by reading back");
dedicated!(/// `codex-cleaner`
    CleanerCli, "codex-cleaner", CleanerArgs, Cleaner,
    "Close (or --delete) stale self-test issues; prune old telemetry files");
dedicated!(/// `codex-project-sync`
    ProjectSyncCli, "codex-project-sync", Plain, ProjectSync,
    "Enumerate issues by REST and repair missing codex label, track label, milestone and Project membership");
dedicated!(/// `codex-supervisor`
    SupervisorCli, "codex-supervisor", Plain, Supervisor,
    "Per-track health (main, dashboard) and deterioration against the previous run");
dedicated!(/// `codex-activity`
    ActivityCli, "codex-activity", Plain, Activity,
    "Classify open managed issues active / stale / escalation per track");
dedicated!(/// `codex-telemetry-merge`
    TelemetryMergeCli, "codex-telemetry-merge", Plain, TelemetryMerge,
    "Merge the latest telemetry of every component into dashboard/dashboard.json and write the dashboard");
dedicated!(/// `codex-diagnostics`
    DiagnosticsCli, "codex-diagnostics", DiagnosticsArgs, Diagnostics,
    "Check variables, labels, milestones, Project and gh-pages layout; --repair creates what is missing");

/// Parse arguments; usage errors are one line on stderr and exit code 2.
fn parse<P: Parser>() -> Result<P, ExitCode> {
    P::try_parse().map_err(|err| {
        use clap::error::ErrorKind;
        match err.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let _ = err.print();
                if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                }
            }
            _ => {
                let text = err.render().to_string();
                let line = text
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("error: invalid arguments");
                eprintln!("{}", codex_core::redact::clean(line));
                ExitCode::from(2)
            }
        }
    })
}

/// `codex`'s main.
pub fn front_door() -> ExitCode {
    match parse::<FrontDoor>() {
        Ok(cli) => match cli.command {
            FrontCommand::Component(c) => run_component(c),
            FrontCommand::Demo(args) => demo::main(args),
        },
        Err(code) => code,
    }
}

/// The single-threaded runtime every binary runs on (GitHub asks for serial requests).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!(
                "{}",
                codex_core::redact::clean(&format!(
                    "error: could not start the async runtime: {e}"
                ))
            );
            ExitCode::FAILURE
        })
}

fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Resolve configuration and run one component: exit 2 on bad configuration (nothing sent),
/// 130 / 143 when SIGINT / SIGTERM cancelled the run (telemetry written), else 0, or 1 with
/// `--strict` when the run's status is `error`.
pub fn run_component(command: ComponentCommand) -> ExitCode {
    let (common, needs_token) = match &command {
        ComponentCommand::TelemetryMerge(a) => (&a.common, false),
        ComponentCommand::SelfTest(a)
        | ComponentCommand::ProjectSync(a)
        | ComponentCommand::Supervisor(a)
        | ComponentCommand::Activity(a) => (&a.common, true),
        ComponentCommand::Cleaner(a) => (&a.common, true),
        ComponentCommand::Diagnostics(a) => (&a.common, true),
    };
    codex_core::logging::init(common.verbose);
    let now = Utc::now();
    let config = match Config::resolve(common, &env_lookup, Needs { token: needs_token }, now) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", codex_core::redact::clean(&format!("error: {e}")));
            return ExitCode::from(2);
        }
    };
    let strict = config.strict;
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let env_set: BTreeSet<String> = std::env::vars()
        .filter(|(k, v)| k.starts_with("CODEX_") && !v.trim().is_empty())
        .map(|(k, _)| k)
        .collect();
    let status = runtime.block_on(execute(command, config, now, env_set));
    if let Some(signal) = signals::received() {
        return ExitCode::from(signal.exit_code());
    }
    if strict && status == Status::Error {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Run a component on a resolved configuration and report it (stdout summary, Actions
/// summary and annotations). Returns the run's status.
pub async fn execute(
    command: ComponentCommand,
    config: Config,
    now: chrono::DateTime<Utc>,
    env_set: BTreeSet<String>,
) -> Status {
    let repo = config.repo.to_string();
    let ctx = match Context::new(config, now) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("{}", codex_core::redact::clean(&format!("error: {e}")));
            return Status::Error;
        }
    };
    let _signals = signals::listen(ctx.stop.clone());
    let span = tracing::info_span!("codex", repo = %repo);
    let _guard = span.enter();
    match command {
        ComponentCommand::SelfTest(_) => {
            output::report("self-test", &jobs::self_test::run(&ctx).await)
        }
        ComponentCommand::Cleaner(a) => {
            let opts = jobs::cleaner::CleanerOptions {
                delete: a.flags.delete,
            };
            output::report("cleaner", &jobs::cleaner::run(&ctx, opts).await)
        }
        ComponentCommand::ProjectSync(_) => {
            output::report("project-sync", &jobs::sync::run(&ctx).await)
        }
        ComponentCommand::Supervisor(_) => {
            output::report("supervisor", &jobs::supervisor::run(&ctx).await)
        }
        ComponentCommand::Activity(_) => {
            output::report("activity", &jobs::activity::run(&ctx).await)
        }
        ComponentCommand::Diagnostics(a) => {
            let opts = jobs::diagnostics::DiagnosticsOptions {
                repair: a.flags.repair,
                env_set,
            };
            output::report("diagnostics", &jobs::diagnostics::run(&ctx, &opts).await)
        }
        ComponentCommand::TelemetryMerge(_) => match jobs::merge::run(&ctx.pages, &repo, now) {
            Ok(outcome) => output::merge_report(&outcome),
            Err(e) => {
                eprintln!(
                    "{}",
                    codex_core::redact::clean(&format!("error: telemetry-merge: {e}"))
                );
                output::annotate("error", &format!("telemetry-merge: {e}"));
                Status::Error
            }
        },
    }
}
