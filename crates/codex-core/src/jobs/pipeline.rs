//! The pipeline: the eight components in [`PIPELINE`]'s order, in one process, as the
//! pipeline workflow runs them one job after another. `codex pipeline` runs it against a
//! repository, `codex demo` against the embedded sandbox; both through [`run`].
//!
//! One failing component does not stop the next (each writes its telemetry, whatever
//! happened). A cancellation does: the component running finishes its telemetry
//! ([`Stop::linked`]: each component keeps its own deadline, the cancellation is shared), and
//! the ones after it are not run. What the caller shows, and when, goes through [`Hooks`].

use std::fmt::Write as _;

use chrono::Utc;
use serde_json::Value;

use super::merge::MergeOutcome;
use super::{Context, Options, Outcome};
use crate::component::{Info, PIPELINE};
use crate::config::Config;
use crate::pages::Pages;
use crate::progress::Progress;
use crate::stop::{Stop, StopReason};
use crate::telemetry::Status;

/// What became of one component.
#[derive(Debug)]
pub enum StepOutcome {
    /// It ran and wrote (or tried to write) its telemetry.
    Ran(Outcome<Value>),
    /// telemetry-merge ran and wrote the dashboard.
    Merged(MergeOutcome),
    /// It could not start (its client could not be built), or telemetry-merge failed.
    Failed(crate::Error),
    /// Not run: the pipeline was cancelled before its turn.
    NotRun(StopReason),
}

/// One component's turn.
#[derive(Debug)]
pub struct Step {
    /// Its row of the component table.
    pub info: &'static Info,
    /// What became of it.
    pub outcome: StepOutcome,
}

impl Step {
    /// Its status (`None`: not run).
    pub fn status(&self) -> Option<Status> {
        match &self.outcome {
            StepOutcome::Ran(outcome) => Some(outcome.status()),
            StepOutcome::Merged(merged) if merged.dashboard.warnings.is_empty() => Some(Status::Ok),
            StepOutcome::Merged(_) => Some(Status::Warning),
            StepOutcome::Failed(_) => Some(Status::Error),
            StepOutcome::NotRun(_) => None,
        }
    }

    /// Its one line for the table: the component's first summary line (telemetry-merge's
    /// whole summary), or why it failed or did not run.
    pub fn headline(&self) -> String {
        match &self.outcome {
            StepOutcome::Ran(outcome) => outcome.summary.first().cloned().unwrap_or_default(),
            StepOutcome::Merged(merged) => merged.summary.join("; "),
            StepOutcome::Failed(e) => {
                crate::redact::clean(&format!("{}: {e}", self.info.subcommand))
            }
            StepOutcome::NotRun(reason) => format!("not run: {reason}"),
        }
    }
}

/// What the caller sees of a pipeline while it runs. Both methods have no-op defaults.
pub trait Hooks {
    /// A component is about to run: where its progress goes.
    fn started(&mut self, info: &'static Info) -> Progress {
        let _ = info;
        Progress::default()
    }

    /// A component has run, or will not run.
    fn finished(&mut self, step: &Step) {
        let _ = step;
    }
}

/// Hooks that show nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Hooks for Quiet {}

/// Run the eight components in [`PIPELINE`]'s order on `config`, each with a fresh
/// [`Context`] (its own start, deadline and API counters, as when run alone). Cancelling
/// `cancel` stops the component running (it writes its telemetry) and the rest are not run.
pub async fn run(
    config: &Config,
    options: &Options,
    cancel: &Stop,
    hooks: &mut dyn Hooks,
) -> Vec<Step> {
    // One session for the run: its components share the server's clock, the governor, the
    // write budget and an App's token.
    let components: Vec<&'static Info> = PIPELINE.iter().collect();
    run_components(
        config,
        &components,
        options,
        cancel,
        hooks,
        &crate::github::Session::default(),
    )
    .await
}

/// Run `components` (rows of [`PIPELINE`], in the order given) on `config`'s repository as
/// [`run`] does, their clients sharing `session`: the pipeline, or one component, for one
/// repository of a run over several ([`super::fleet`]).
pub async fn run_components(
    config: &Config,
    components: &[&'static Info],
    options: &Options,
    cancel: &Stop,
    hooks: &mut dyn Hooks,
    session: &crate::github::Session,
) -> Vec<Step> {
    let mut steps = Vec::with_capacity(components.len());
    for info in components.iter().copied() {
        let outcome = match cancel.reason() {
            Some(reason) => StepOutcome::NotRun(reason),
            None => {
                let progress = hooks.started(info);
                let now = Utc::now();
                match info.component {
                    Some(component) => {
                        match Context::watched(
                            config.clone(),
                            now,
                            cancel,
                            progress,
                            session.clone(),
                        ) {
                            Ok(ctx) => StepOutcome::Ran(super::run(component, &ctx, options).await),
                            Err(e) => StepOutcome::Failed(e),
                        }
                    }
                    None => {
                        let pages = Pages::of(config, now);
                        let web_url = config.web.repo(&config.repo);
                        match super::merge::run(&pages, &config.repo.to_string(), &web_url, now) {
                            Ok(merged) => StepOutcome::Merged(merged),
                            Err(e) => StepOutcome::Failed(e),
                        }
                    }
                }
            }
        };
        let step = Step { info, outcome };
        hooks.finished(&step);
        steps.push(step);
    }
    steps
}

/// The summary table: one row per component (name, status, headline), under a header.
pub fn table(steps: &[Step]) -> String {
    let mut out = format!("{:<16} {:<8} summary\n", "component", "status");
    for step in steps {
        let status = step
            .status()
            .map_or_else(|| "not run".to_owned(), |s| s.to_string());
        let _ = writeln!(
            out,
            "{:<16} {status:<8} {}",
            step.info.subcommand,
            step.headline()
        );
    }
    out
}

/// The same table in Markdown, for the Actions job summary.
pub fn table_markdown(steps: &[Step]) -> String {
    let mut out = String::from("| component | status | summary |\n|---|---|---|\n");
    for step in steps {
        let status = step
            .status()
            .map_or_else(|| "not run".to_owned(), |s| s.to_string());
        let headline = crate::redact::clean(&step.headline()).replace('|', "\\|");
        let _ = writeln!(out, "| {} | {status} | {headline} |", step.info.subcommand);
    }
    out
}

/// The worst status of the steps that ran (`None` when none ran).
pub fn worst(steps: &[Step]) -> Option<Status> {
    Status::worst(steps.iter().filter_map(Step::status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(summary: &str, warnings: Vec<String>) -> StepOutcome {
        let mut dashboard: crate::jobs::merge::Dashboard =
            serde_json::from_value(serde_json::json!({
                "generated_at": "2026-01-01T00:00:00Z", "repo": "acme/widgets",
                "history": {}, "stale_components": [], "warnings": []
            }))
            .expect("a minimal dashboard");
        dashboard.warnings = warnings;
        StepOutcome::Merged(MergeOutcome {
            dashboard,
            path: "d/dashboard.json".into(),
            summary: vec![summary.to_owned()],
        })
    }

    #[test]
    fn the_table_has_a_row_per_step_and_says_what_did_not_run() {
        let steps = vec![
            Step {
                info: &PIPELINE[7],
                outcome: merged("telemetry-merge: 7 of 7 | ok", vec![]),
            },
            Step {
                info: &PIPELINE[0],
                outcome: StepOutcome::NotRun(StopReason::Cancelled {
                    by: "SIGINT".into(),
                }),
            },
        ];
        insta::assert_snapshot!(table(&steps), @r"
        component        status   summary
        telemetry-merge  ok       telemetry-merge: 7 of 7 | ok
        self-test        not run  not run: cancelled by SIGINT
        ");
        insta::assert_snapshot!(table_markdown(&steps), @r"
        | component | status | summary |
        |---|---|---|
        | telemetry-merge | ok | telemetry-merge: 7 of 7 \| ok |
        | self-test | not run | not run: cancelled by SIGINT |
        ");
        assert_eq!(worst(&steps), Some(Status::Ok));
        let warned = [Step {
            info: &PIPELINE[7],
            outcome: merged("m", vec!["stale".into()]),
        }];
        assert_eq!(worst(&warned), Some(Status::Warning));
        assert_eq!(worst(&steps[1..]), None);
    }
}
