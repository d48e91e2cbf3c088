//! A run over several repositories (`--org`, `--repos`, `--installation`): the repositories
//! listed and chosen ([`prepare`], through [`crate::select`]), then the pipeline (or one
//! component) over each in turn ([`run`]), then the organisation overview at the pages root
//! ([`super::federation`]).
//!
//! One process, one [`Session`]: every repository's clients share the governor (one pace and
//! one view of GitHub's limits), the write budget (`CODEX_MAX_MUTATIONS` counts the whole run)
//! and the conditional-request cache directory; each repository gets its own App installation
//! token, narrowed to it. A repository whose run fails is that repository's telemetry, and the
//! next one runs. When the budget is spent, or the run is cancelled, the repositories not done
//! (or GitHub's rate limit, beyond `CODEX_MAX_WAIT_SECS`) are named, kept in
//! `federation.json`'s `pending`, and taken first by the next run.

use std::path::Path;

use chrono::Utc;

use super::Options;
use super::federation::{self, FederationOutcome};
use super::pipeline::{self, Hooks, Step};
use crate::app::Credentials;
use crate::component::Info;
use crate::config::{Config, RepoSlug};
use crate::github::{ClientOptions, GitHub, Session};
use crate::select::{self, Discovery};
use crate::stop::Stop;
use crate::telemetry::Status;

/// The repositories a run will take, in order, and how they were found.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// What the listing found and the filters kept.
    pub discovery: Discovery,
    /// The chosen repositories, those the last run left first.
    pub order: Vec<RepoSlug>,
    /// The repositories the last run left (from `federation.json`), still chosen or not.
    pub pending_before: Vec<RepoSlug>,
}

/// List and choose the selection's repositories (`config.selection` must be set) with a client
/// sharing `session`, and order them: those the last run left (`<pages>/federation.json`'s
/// `pending`) first.
pub async fn prepare(config: &Config, cancel: &Stop, session: &Session) -> crate::Result<Prepared> {
    let selection = config
        .selection
        .as_ref()
        .expect("prepare is only called for a run over several repositories");
    let gh = GitHub::new(ClientOptions {
        stop: cancel.clone(),
        session: session.clone(),
        ..ClientOptions::from_config(config)
    })?;
    let discovery = select::discover(&gh, selection).await?;
    let pending_before = pending_of(&config.pages_dir);
    let order = select::order(&discovery.chosen.repos, &pending_before);
    Ok(Prepared {
        discovery,
        order,
        pending_before,
    })
}

/// The repositories the last run left, from `<pages>/federation.json` (none when it is
/// missing or unreadable: the order is only a preference).
pub fn pending_of(pages_root: &Path) -> Vec<RepoSlug> {
    let path = pages_root.join(federation::FEDERATION_FILE);
    let Ok(root) = std::fs::canonicalize(pages_root) else {
        return Vec::new();
    };
    let Ok(bytes) = crate::pages::read_regular(&path, &root, federation::FEDERATION_MAX_BYTES)
    else {
        return Vec::new();
    };
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("pending").and_then(|p| p.as_array()).cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.as_str())
        .filter_map(|p| RepoSlug::parse(p).ok())
        .collect()
}

/// What became of one repository.
#[derive(Debug)]
pub struct RepoRun {
    /// The repository.
    pub repo: RepoSlug,
    /// Its components' statuses, in order (`None`: not run; empty when the repository was not
    /// run). The outcomes themselves (telemetry and all) are reported through the hooks as each
    /// component finishes and not kept: a run over hundreds of repositories holds one
    /// repository's at a time.
    pub statuses: Vec<Option<Status>>,
    /// Why it was not run (the budget or the rate limit was spent, the run was cancelled).
    pub not_run: Option<String>,
    /// Left for the next run: not run, or stopped by the spent budget or rate limit.
    pub pending: bool,
}

impl RepoRun {
    /// Its worst status (`None`: not run).
    pub fn status(&self) -> Option<Status> {
        Status::worst(self.statuses.iter().flatten().copied())
    }

    /// One line: why it did not run, or its components' statuses.
    pub fn headline(&self) -> String {
        if let Some(why) = &self.not_run {
            return format!("not run: {why}");
        }
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for status in &self.statuses {
            let word = status.map_or_else(|| "not run".to_owned(), |s| s.to_string());
            *counts.entry(word).or_default() += 1;
        }
        let mut line = counts
            .iter()
            .map(|(word, n)| format!("{n} {word}"))
            .collect::<Vec<_>>()
            .join(", ");
        if self.pending {
            line.push_str("; stopped by the write budget or the rate limit, first next run");
        }
        line
    }
}

/// What a run over several repositories did.
#[derive(Debug)]
pub struct FleetOutcome {
    /// Each repository, in the order taken.
    pub runs: Vec<RepoRun>,
    /// The repositories left for the next run, in order.
    pub pending: Vec<RepoSlug>,
    /// The organisation overview, or why it could not be written.
    pub overview: crate::Result<FederationOutcome>,
}

impl FleetOutcome {
    /// The worst status of every repository's components.
    pub fn worst(&self) -> Option<Status> {
        if self.overview.is_err() {
            return Some(Status::Error);
        }
        Status::worst(self.runs.iter().filter_map(RepoRun::status))
    }
}

/// What the caller sees of a run over several repositories, besides each component.
pub trait FleetHooks: Hooks {
    /// Repository `index` (0-based) of `total` is about to run.
    fn repo_started(&mut self, repo: &RepoSlug, index: usize, total: usize) {
        let _ = (repo, index, total);
    }

    /// A repository has run, or will not run.
    fn repo_finished(&mut self, run: &RepoRun) {
        let _ = run;
    }
}

impl FleetHooks for pipeline::Quiet {}

/// Run `components` over the prepared repositories in order, each repository with
/// [`Config::for_repo`] (its pages subtree) and a [`Session::for_repository`] of `session`,
/// then write the overview. A repository is not started once the write budget, or GitHub's
/// rate limit beyond the longest wait, is spent, or the run cancelled; those, and the one the
/// budget or the limit stopped, are `pending`. The discovery's App
/// installation spares each repository an installation lookup.
pub async fn run(
    template: &Config,
    prepared: &Prepared,
    components: &[&'static Info],
    options: &Options,
    cancel: &Stop,
    hooks: &mut dyn FleetHooks,
    session: &Session,
) -> FleetOutcome {
    let repos = &prepared.order;
    let mut template = template.clone();
    if let (Some(Credentials::App(app)), Some(id)) = (
        &mut template.credentials,
        prepared.discovery.installation_id,
    ) && app.installation_id.is_none()
    {
        app.installation_id = Some(id);
    }
    let mut runs = Vec::with_capacity(repos.len());
    let mut pending = Vec::new();
    for (index, repo) in repos.iter().enumerate() {
        let not_run = if let Some(reason) = cancel.reason() {
            Some(reason.to_string())
        } else if session.budget_spent() {
            Some(format!(
                "the write budget (CODEX_MAX_MUTATIONS = {}) is spent",
                template.settings.max_mutations.unwrap_or_default()
            ))
        } else if session.rate_limited() {
            Some(format!(
                "GitHub's rate limit is spent beyond the longest wait (CODEX_MAX_WAIT_SECS = {})",
                template.settings.max_wait_secs
            ))
        } else {
            None
        };
        let run = match not_run {
            Some(why) => {
                tracing::info!(repo = %repo, "{why}: left for the next run");
                RepoRun {
                    repo: repo.clone(),
                    statuses: Vec::new(),
                    not_run: Some(why),
                    pending: true,
                }
            }
            None => {
                hooks.repo_started(repo, index, repos.len());
                let span = tracing::info_span!("repository", repo = %repo);
                let _guard = span.enter();
                let config = template.for_repo(repo);
                let steps = pipeline::run_components(
                    &config,
                    components,
                    options,
                    cancel,
                    hooks,
                    &session.for_repository(),
                )
                .await;
                RepoRun {
                    repo: repo.clone(),
                    statuses: steps.iter().map(Step::status).collect(),
                    not_run: None,
                    pending: session.budget_spent() || session.rate_limited(),
                }
            }
        };
        if run.pending {
            pending.push(repo.clone());
        }
        hooks.repo_finished(&run);
        runs.push(run);
    }
    if !pending.is_empty() {
        let names: Vec<String> = pending.iter().map(ToString::to_string).collect();
        tracing::warn!(
            "{} repositories left for the next run, which takes them first: {}",
            pending.len(),
            names.join(", ")
        );
    }
    let overview = federation::run(&template.pages_dir, &pending, Utc::now());
    FleetOutcome {
        runs,
        pending,
        overview,
    }
}

/// The run's table: one row per repository (name, worst status, headline).
pub fn table(runs: &[RepoRun]) -> String {
    use std::fmt::Write as _;
    let width = runs
        .iter()
        .map(|r| r.repo.to_string().len())
        .max()
        .unwrap_or(0)
        .max("repository".len());
    let mut out = format!("{:<width$} {:<8} summary\n", "repository", "status");
    for run in runs {
        let status = run
            .status()
            .map_or_else(|| "not run".to_owned(), |s| s.to_string());
        let _ = writeln!(
            out,
            "{:<width$} {status:<8} {}",
            run.repo.to_string(),
            run.headline()
        );
    }
    out
}

/// The same table in Markdown, for the Actions job summary.
pub fn table_markdown(runs: &[RepoRun]) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("| repository | status | summary |\n|---|---|---|\n");
    for run in runs {
        let status = run
            .status()
            .map_or_else(|| "not run".to_owned(), |s| s.to_string());
        let headline = crate::redact::clean(&run.headline()).replace('|', "\\|");
        let _ = writeln!(out, "| {} | {status} | {headline} |", run.repo);
    }
    out
}
