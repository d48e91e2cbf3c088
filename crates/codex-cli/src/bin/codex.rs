//! `codex`: the front door. `codex <component> [flags]` runs any of the eight components;
//! `codex demo` (feature `demo`, on by default) runs the whole pipeline on the embedded
//! sandbox. The only code that references `codex-demo`: the library, and so the eight
//! component binaries, link neither the sandbox nor axum.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use codex_cli::ComponentCommand;

#[derive(Debug, Parser)]
#[command(
    name = "codex",
    version,
    about = "Codex keeps a GitHub repository's issues in order: run the pipeline or one component, set a repository up, or try the demo."
)]
struct FrontDoor {
    #[command(subcommand)]
    command: FrontCommand,
}

#[derive(Debug, Subcommand)]
enum FrontCommand {
    #[command(flatten)]
    Component(ComponentCommand),
    #[command(about = codex_cli::PIPELINE_ABOUT, after_help = codex_core::config::ENV_HELP)]
    Pipeline(codex_cli::PipelineArgs),
    /// Run the whole pipeline on the embedded sandbox (no token, no network) and write the dashboard
    #[cfg(feature = "demo")]
    Demo(codex_demo::DemoArgs),
    #[command(about = codex_cli::fleet::DISCOVER_ABOUT)]
    Discover(codex_cli::fleet::DiscoverArgs),
    #[command(about = codex_cli::fleet::OVERVIEW_ABOUT)]
    Overview(codex_cli::fleet::OverviewArgs),
    /// Write .github/workflows/codex.yml (with --org, a control repository's codex-org.yml) in a checkout (no token, no network) and print the steps left
    Init(codex_cli::init::InitArgs),
}

fn main() -> ExitCode {
    match codex_cli::parse::<FrontDoor>() {
        Ok(cli) => match cli.command {
            FrontCommand::Component(c) => codex_cli::run_component(c),
            FrontCommand::Pipeline(args) => codex_cli::run_pipeline(args),
            #[cfg(feature = "demo")]
            FrontCommand::Demo(args) => match codex_cli::runtime() {
                Ok(rt) => codex_demo::main(&args, &rt),
                Err(code) => code,
            },
            FrontCommand::Discover(args) => codex_cli::fleet::discover(args),
            FrontCommand::Overview(args) => codex_cli::fleet::overview(args),
            FrontCommand::Init(args) => codex_cli::init::main(&args),
        },
        Err(code) => code,
    }
}
