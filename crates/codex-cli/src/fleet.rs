//! Runs over several repositories (`--org`, `--repos`, `--installation`): `codex discover`,
//! `codex overview`, and the pipeline or a component over each chosen repository
//! ([`codex_core::jobs::fleet`]), reported repository by repository, then one table.

use std::process::ExitCode;

use clap::Args;
use codex_core::component::Info;
use codex_core::config::ENV_HELP;
use codex_core::github::Session;
use codex_core::jobs::fleet::{self, FleetHooks, RepoRun};
use codex_core::jobs::pipeline::{Hooks, Step};
use codex_core::jobs::{self, federation};
use codex_core::telemetry::Status;
use codex_core::{CommonArgs, Config, Progress, RepoSlug, Stop, redact};

use crate::output::{self, annotate, say};
use crate::signals;

/// `codex discover`'s arguments.
#[derive(Debug, Clone, Args)]
#[command(after_help = ENV_HELP)]
pub struct DiscoverArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Print one line: a JSON array of "owner/name", fit for a workflow's strategy.matrix
    #[arg(long)]
    json: bool,
}

/// `codex discover`'s `--help` one line.
pub const DISCOVER_ABOUT: &str = "List the repositories --org, --repos or --installation choose (after --exclude, --topic and the archived and fork rules), one per line or --json for a workflow matrix";

/// `codex overview`'s arguments.
#[derive(Debug, Clone, Args)]
pub struct OverviewArgs {
    /// Checkout of the gh-pages branch holding OWNER/NAME/ subtrees [default: gh-pages]
    #[arg(long, env = codex_core::env::CODEX_PAGES_DIR, value_name = "DIR")]
    pages_dir: Option<std::path::PathBuf>,
    /// More log output on stderr (-v debug, -vv trace)
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

/// `codex overview`'s `--help` one line.
pub const OVERVIEW_ABOUT: &str = "Write the organisation overview (federation.json and its page) at the pages root from every <owner>/<name>/dashboard/ found there (no token needed)";

/// `codex discover`: exit 2 on bad configuration or without a selection, 1 when the listing
/// failed, else 0 with the chosen repositories on stdout (what was left out, on stderr).
pub fn discover(args: DiscoverArgs) -> ExitCode {
    codex_core::logging::init(args.common.verbose);
    let (config, _) = match crate::resolve(&args.common, true) {
        Ok(resolved) => resolved,
        Err(code) => return code,
    };
    if config.selection.is_none() {
        eprintln!(
            "error: --org / --repos / --installation (CODEX_ORG / CODEX_REPOS / CODEX_INSTALLATION): discover needs one of them"
        );
        return ExitCode::from(2);
    }
    let runtime = match crate::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let cancel = Stop::default();
    let prepared = runtime.block_on(async {
        let _signals = signals::listen(cancel.clone());
        fleet::prepare(&config, &cancel, &Session::default()).await
    });
    let prepared = match prepared {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}", redact::clean(&format!("error: discover: {e}")));
            annotate("error", &format!("discover: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let chosen = &prepared.discovery.chosen;
    for (repo, why) in &chosen.skipped {
        eprintln!("{}", redact::clean(&format!("left out: {repo}: {why}")));
    }
    for warning in &prepared.discovery.warnings {
        eprintln!("{}", redact::clean(&format!("warning: {warning}")));
    }
    eprintln!(
        "{} of {} listed repositories chosen",
        chosen.repos.len(),
        prepared.discovery.listed
    );
    let names: Vec<String> = chosen.repos.iter().map(ToString::to_string).collect();
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&names).expect("strings serialise")
        );
    } else {
        for name in names {
            println!("{name}");
        }
    }
    ExitCode::SUCCESS
}

/// `codex overview`: exit 2 on an unusable pages directory, 1 when the overview could not be
/// written, else 0.
pub fn overview(args: OverviewArgs) -> ExitCode {
    codex_core::logging::init(args.verbose);
    let root = args
        .pages_dir
        .unwrap_or_else(|| std::path::PathBuf::from("gh-pages"));
    if !root.is_dir() {
        eprintln!(
            "{}",
            redact::clean(&format!(
                "error: --pages-dir / CODEX_PAGES_DIR: {} is not a directory",
                root.display()
            ))
        );
        return ExitCode::from(2);
    }
    let pending = fleet::pending_of(&root);
    match federation::run(&root, &pending, chrono::Utc::now()) {
        Ok(outcome) => {
            overview_report(&outcome);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", redact::clean(&format!("error: overview: {e}")));
            annotate("error", &format!("overview: {e}"));
            ExitCode::FAILURE
        }
    }
}

fn overview_report(outcome: &federation::FederationOutcome) {
    for line in &outcome.summary {
        say(line);
    }
    for warning in &outcome.federation.warnings {
        annotate("warning", &format!("overview: {warning}"));
    }
    let mut md = String::from("### Codex organisation overview\n\n");
    for line in &outcome.summary {
        md.push_str(&format!("- {}\n", redact::clean(line)));
    }
    output::append_step_summary(&md);
}

/// Run `components` over the configuration's selection: list and choose (exit 1 when the
/// listing fails: nothing to run over), then each repository in turn, each component reported
/// as when run alone, then the table and the overview, on the caller's `runtime`. Returns the
/// worst status.
pub(crate) fn run(
    runtime: &tokio::runtime::Runtime,
    config: &Config,
    components: &[&'static Info],
    options: &jobs::Options,
    hooks: &mut dyn FleetHooks,
) -> Result<Option<Status>, ExitCode> {
    let outcome = runtime.block_on(async {
        let cancel = Stop::default();
        let _signals = signals::listen(cancel.clone());
        let span = tracing::info_span!("codex", repo = %config.repo);
        let _guard = span.enter();
        let session = Session::default();
        let prepared = match fleet::prepare(config, &cancel, &session).await {
            Ok(p) => p,
            Err(e) => return Err(e),
        };
        let chosen = &prepared.discovery.chosen;
        for (repo, why) in &chosen.skipped {
            tracing::info!("left out: {repo}: {why}");
        }
        for warning in &prepared.discovery.warnings {
            tracing::warn!("{warning}");
        }
        let first: Vec<&RepoSlug> = prepared
            .order
            .iter()
            .filter(|r| prepared.pending_before.contains(r))
            .collect();
        say(&format!(
            "{} repositories chosen of {} listed{}",
            prepared.order.len(),
            prepared.discovery.listed,
            if first.is_empty() {
                String::new()
            } else {
                format!(
                    "; first, those the last run left: {}",
                    first
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ));
        Ok(fleet::run(
            config, &prepared, components, options, &cancel, hooks, &session,
        )
        .await)
    });
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{}", redact::clean(&format!("error: discovery: {e}")));
            annotate("error", &format!("discovery: {e}"));
            return Ok(Some(Status::Error));
        }
    };
    println!();
    for line in fleet::table(&outcome.runs).lines() {
        say(line);
    }
    let mut md = format!(
        "### Codex over {} repositories{}\n\n{}\n",
        outcome.runs.len(),
        if config.dry_run {
            " (dry-run: nothing was written to GitHub)"
        } else {
            ""
        },
        fleet::table_markdown(&outcome.runs)
    );
    if !outcome.pending.is_empty() {
        let names: Vec<String> = outcome.pending.iter().map(ToString::to_string).collect();
        let line = format!(
            "{} repositories left for the next run, which takes them first: {}",
            names.len(),
            names.join(", ")
        );
        say(&line);
        annotate("warning", &line);
        md.push_str(&format!("\n{}\n", redact::clean(&line)));
    }
    output::append_step_summary(&md);
    match &outcome.overview {
        Ok(overview) => overview_report(overview),
        Err(e) => {
            eprintln!("{}", redact::clean(&format!("error: overview: {e}")));
            annotate("error", &format!("overview: {e}"));
        }
    }
    Ok(outcome.worst())
}

/// Reports each repository and component as they finish.
pub(crate) struct Reporter<'a> {
    /// The pipeline's own reporter (bars on a terminal).
    pub(crate) inner: &'a mut dyn Hooks,
}

impl Hooks for Reporter<'_> {
    fn started(&mut self, info: &'static Info) -> Progress {
        self.inner.started(info)
    }

    fn finished(&mut self, step: &Step) {
        self.inner.finished(step);
    }
}

impl FleetHooks for Reporter<'_> {
    fn repo_started(&mut self, repo: &RepoSlug, index: usize, total: usize) {
        say(&format!("== {repo} ({} of {total})", index + 1));
    }

    fn repo_finished(&mut self, run: &RepoRun) {
        if run.not_run.is_some() {
            say(&format!("== {}: {}", run.repo, run.headline()));
        }
    }
}
