//! Process glue for Codex's binaries: argument parsing, configuration from the environment,
//! logging, the GitHub Actions job summary and annotations, and exit codes (CONTRACT.md
//! section 3). Every binary is a few lines calling its component's `main`; `codex` adds
//! `codex pipeline` ([`run_pipeline`]: the eight in one process, progress bars on a terminal),
//! the front door (in its own `src/bin/codex.rs`, the only code that references the
//! `codex-demo` crate, so the component binaries do not link it) and, with the `demo` feature
//! (on by default), `codex demo`. Names, binaries and `--help`'s abouts come from
//! [`codex_core::component::PIPELINE`].

pub mod fleet;
pub mod init;
mod output;
mod progress;
mod signals;

use std::collections::BTreeSet;
use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, Parser, Subcommand};
use codex_core::component::{self, Component, Info};
use codex_core::config::ENV_HELP;
use codex_core::jobs::pipeline::{self, Hooks, Step};
use codex_core::jobs::{self, Context};
use codex_core::telemetry::Status;
use codex_core::{CommonArgs, Config, Needs, Progress, Stop};

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

/// Arguments of `codex pipeline`: the common flags and the components' own.
#[derive(Debug, Clone, Args)]
pub struct PipelineArgs {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    cleaner: CleanerFlags,
    #[command(flatten)]
    diagnostics: DiagnosticsFlags,
}

/// `codex pipeline`'s `--help` one line.
pub const PIPELINE_ABOUT: &str = "Run the eight components in the pipeline's order in one process (--dry-run: show everything Codex would do) and write the pages tree";

/// The eight components, in the pipeline's order; names and abouts from their rows of the
/// component table.
#[derive(Debug, Clone, Subcommand)]
pub enum ComponentCommand {
    #[command(
        name = Component::SelfTest.info().subcommand,
        about = Component::SelfTest.info().about,
        after_help = ENV_HELP
    )]
    SelfTest(Plain),
    #[command(
        name = Component::Cleaner.info().subcommand,
        about = Component::Cleaner.info().about,
        after_help = ENV_HELP
    )]
    Cleaner(CleanerArgs),
    #[command(
        name = Component::Sync.info().subcommand,
        aliases = Component::Sync.info().aliases,
        about = Component::Sync.info().about,
        after_help = ENV_HELP
    )]
    ProjectSync(Plain),
    #[command(
        name = Component::Integrity.info().subcommand,
        about = Component::Integrity.info().about,
        after_help = ENV_HELP
    )]
    Integrity(Plain),
    #[command(
        name = Component::Supervisor.info().subcommand,
        about = Component::Supervisor.info().about,
        after_help = ENV_HELP
    )]
    Supervisor(Plain),
    #[command(
        name = Component::Activity.info().subcommand,
        about = Component::Activity.info().about,
        after_help = ENV_HELP
    )]
    Activity(Plain),
    #[command(
        name = Component::Diagnostics.info().subcommand,
        about = Component::Diagnostics.info().about,
        after_help = ENV_HELP
    )]
    Diagnostics(DiagnosticsArgs),
    #[command(
        name = component::TELEMETRY_MERGE.subcommand,
        about = component::TELEMETRY_MERGE.about,
        after_help = ENV_HELP
    )]
    TelemetryMerge(Plain),
}

impl ComponentCommand {
    /// Its row of the component table.
    pub fn info(&self) -> &'static Info {
        match self {
            ComponentCommand::SelfTest(_) => Component::SelfTest.info(),
            ComponentCommand::Cleaner(_) => Component::Cleaner.info(),
            ComponentCommand::ProjectSync(_) => Component::Sync.info(),
            ComponentCommand::Integrity(_) => Component::Integrity.info(),
            ComponentCommand::Supervisor(_) => Component::Supervisor.info(),
            ComponentCommand::Activity(_) => Component::Activity.info(),
            ComponentCommand::Diagnostics(_) => Component::Diagnostics.info(),
            ComponentCommand::TelemetryMerge(_) => component::TELEMETRY_MERGE,
        }
    }

    fn common(&self) -> &CommonArgs {
        match self {
            ComponentCommand::SelfTest(a)
            | ComponentCommand::ProjectSync(a)
            | ComponentCommand::Integrity(a)
            | ComponentCommand::Supervisor(a)
            | ComponentCommand::Activity(a)
            | ComponentCommand::TelemetryMerge(a) => &a.common,
            ComponentCommand::Cleaner(a) => &a.common,
            ComponentCommand::Diagnostics(a) => &a.common,
        }
    }
}

macro_rules! dedicated {
    ($(#[$doc:meta])* $name:ident, $args:ty, $variant:ident, $info:expr) => {
        $(#[$doc])*
        #[derive(Debug, Parser)]
        #[command(name = $info.binary, version, about = $info.about, after_help = ENV_HELP)]
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
    SelfTestCli, Plain, SelfTest, Component::SelfTest.info());
dedicated!(/// `codex-cleaner`
    CleanerCli, CleanerArgs, Cleaner, Component::Cleaner.info());
dedicated!(/// `codex-project-sync`
    ProjectSyncCli, Plain, ProjectSync, Component::Sync.info());
dedicated!(/// `codex-integrity`
    IntegrityCli, Plain, Integrity, Component::Integrity.info());
dedicated!(/// `codex-supervisor`
    SupervisorCli, Plain, Supervisor, Component::Supervisor.info());
dedicated!(/// `codex-activity`
    ActivityCli, Plain, Activity, Component::Activity.info());
dedicated!(/// `codex-telemetry-merge`
    TelemetryMergeCli, Plain, TelemetryMerge, component::TELEMETRY_MERGE);
dedicated!(/// `codex-diagnostics`
    DiagnosticsCli, DiagnosticsArgs, Diagnostics, Component::Diagnostics.info());

/// Parse arguments; usage errors are one line on stderr and exit code 2.
pub fn parse<P: Parser>() -> Result<P, ExitCode> {
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

/// The single-threaded runtime every binary runs on (GitHub asks for serial requests).
pub fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
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

/// Resolve configuration and run one component: exit 2 on bad configuration or an unusable
/// pages tree (nothing sent),
/// 130 / 143 when SIGINT / SIGTERM cancelled the run (telemetry written), else 0, or 1 with
/// `--strict` when the run's status is `error`.
pub fn run_component(command: ComponentCommand) -> ExitCode {
    let common = command.common();
    codex_core::logging::init(common.verbose);
    let (config, now) = match resolve(common, command.info().needs_token) {
        Ok(resolved) => resolved,
        Err(code) => return code,
    };
    let strict = config.strict;
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    if config.selection.is_some() {
        let info = command.info();
        let options = options_of(&command, codex_variables());
        let mut quiet = Plainly;
        let mut reporter = fleet::Reporter { inner: &mut quiet };
        return match fleet::run(&runtime, &config, &[info], &options, &mut reporter) {
            Ok(status) => exit_code(strict, status),
            Err(code) => code,
        };
    }
    let status = runtime.block_on(execute(command, config, now, codex_variables()));
    exit_code(strict, Some(status))
}

/// Each component reported as it finishes, as when run alone.
struct Plainly;

impl Hooks for Plainly {
    fn finished(&mut self, step: &Step) {
        output::step_report(step);
    }
}

/// The components' options from a subcommand's flags.
fn options_of(command: &ComponentCommand, env_set: BTreeSet<String>) -> jobs::Options {
    let mut options = jobs::Options::default();
    match command {
        ComponentCommand::Cleaner(a) => options.cleaner.delete = a.flags.delete,
        ComponentCommand::Diagnostics(a) => {
            options.diagnostics = jobs::diagnostics::DiagnosticsOptions {
                repair: a.flags.repair,
                env_set,
            };
        }
        _ => {}
    }
    options
}

/// Resolve and check the configuration before any request: the configuration, or exit 2
/// with one line on stderr. An unusable pages tree is bad configuration too: found here, not
/// after the run's writes when its telemetry cannot be written.
pub(crate) fn resolve(
    common: &CommonArgs,
    needs_token: bool,
) -> Result<(Config, chrono::DateTime<Utc>), ExitCode> {
    let now = Utc::now();
    let bad = |e: &dyn std::fmt::Display| {
        eprintln!("{}", codex_core::redact::clean(&format!("error: {e}")));
        ExitCode::from(2)
    };
    let config = Config::resolve(common, &env_lookup, Needs { token: needs_token }, now)
        .map_err(|e| bad(&e))?;
    let pages = codex_core::Pages::of(&config, now);
    pages.check_usable().map_err(|e| bad(&e))?;
    Ok((config, now))
}

/// The `CODEX_*` variables set (diagnostics checks them).
fn codex_variables() -> BTreeSet<String> {
    std::env::vars()
        .filter(|(k, v)| k.starts_with("CODEX_") && !v.trim().is_empty())
        .map(|(k, _)| k)
        .collect()
}

/// The exit code of a finished run: the signal's when one cancelled it, 1 with `--strict`
/// when its status is `error`, else 0.
fn exit_code(strict: bool, status: Option<Status>) -> ExitCode {
    if let Some(signal) = signals::received() {
        return ExitCode::from(signal.exit_code());
    }
    if strict && status == Some(Status::Error) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `codex pipeline`: resolve the configuration (exit 2 before any request when it is bad),
/// run [`pipeline::run`] with each component reported as it finishes (as when run alone) and
/// progress bars on a terminal, then the summary table. Exit codes as [`run_component`]'s,
/// `--strict` looking at every component.
pub fn run_pipeline(args: PipelineArgs) -> ExitCode {
    let bars = progress::wanted().then(|| progress::Bars::new(args.common.dry_run));
    match &bars {
        Some(bars) => codex_core::logging::init_to(args.common.verbose, bars.log_sink()),
        None => codex_core::logging::init(args.common.verbose),
    }
    let (config, _) = match resolve(&args.common, true) {
        Ok(resolved) => resolved,
        Err(code) => return code,
    };
    let strict = config.strict;
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let options = jobs::Options {
        cleaner: jobs::cleaner::CleanerOptions {
            delete: args.cleaner.delete,
        },
        diagnostics: jobs::diagnostics::DiagnosticsOptions {
            repair: args.diagnostics.repair,
            env_set: codex_variables(),
        },
    };
    if config.selection.is_some() {
        let components: Vec<&'static Info> = component::PIPELINE.iter().collect();
        // Many repositories: a finished bar is cleared, or hundreds would pile up.
        let mut inner = Reporter {
            bars,
            bar: None,
            clear_finished: true,
        };
        let mut reporter = fleet::Reporter { inner: &mut inner };
        return match fleet::run(&runtime, &config, &components, &options, &mut reporter) {
            Ok(status) => exit_code(strict, status),
            Err(code) => code,
        };
    }
    let steps = runtime.block_on(async {
        let cancel = Stop::default();
        let _signals = signals::listen(cancel.clone());
        let span = tracing::info_span!("codex", repo = %config.repo);
        let _guard = span.enter();
        let mut reporter = Reporter {
            bars,
            bar: None,
            clear_finished: false,
        };
        pipeline::run(&config, &options, &cancel, &mut reporter).await
    });
    output::pipeline_report(&steps, config.dry_run);
    exit_code(strict, pipeline::worst(&steps))
}

/// Reports each component as it finishes, with bars on a terminal.
struct Reporter {
    bars: Option<progress::Bars>,
    /// The running component's bar.
    bar: Option<indicatif::ProgressBar>,
    /// Clear a component's bar when it finishes (a run over several repositories).
    clear_finished: bool,
}

impl Hooks for Reporter {
    fn started(&mut self, info: &'static Info) -> Progress {
        let Some(bars) = &self.bars else {
            return Progress::default();
        };
        let (bar, progress) = bars.start(info);
        self.bar = Some(bar);
        progress
    }

    fn finished(&mut self, step: &Step) {
        if let Some(bar) = self.bar.take() {
            if self.clear_finished {
                bar.finish_and_clear();
            } else {
                bar.finish();
            }
        }
        match &self.bars {
            Some(bars) => bars.suspend(|| output::step_report(step)),
            None => output::step_report(step),
        }
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
    let web_url = config.web.repo(&config.repo);
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
    let info = command.info();
    let Some(component) = info.component else {
        return match jobs::merge::run(&ctx.pages, &repo, &web_url, now) {
            Ok(outcome) => output::merge_report(&outcome),
            Err(e) => {
                eprintln!(
                    "{}",
                    codex_core::redact::clean(&format!("error: {}: {e}", info.subcommand))
                );
                output::annotate("error", &format!("{}: {e}", info.subcommand));
                Status::Error
            }
        };
    };
    let options = options_of(&command, env_set);
    output::report(info.subcommand, &jobs::run(component, &ctx, &options).await)
}

#[cfg(test)]
mod tests {
    use clap::Subcommand;

    use super::*;

    /// The subcommands are the table's rows: same names, aliases, abouts and order.
    #[test]
    fn subcommands_are_the_component_table() {
        let cmd = ComponentCommand::augment_subcommands(clap::Command::new("codex"));
        let subs: Vec<&clap::Command> = cmd.get_subcommands().collect();
        assert_eq!(subs.len(), component::PIPELINE.len());
        for (sub, info) in subs.iter().zip(&component::PIPELINE) {
            assert_eq!(sub.get_name(), info.subcommand);
            assert_eq!(
                sub.get_all_aliases().collect::<Vec<_>>(),
                info.aliases.to_vec()
            );
            assert_eq!(
                sub.get_about().map(ToString::to_string).as_deref(),
                Some(info.about)
            );
        }
    }
}
