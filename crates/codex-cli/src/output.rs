//! What people see: a short summary on stdout, and inside GitHub Actions a Markdown job
//! summary (`$GITHUB_STEP_SUMMARY`) and `::warning::`/`::error::` annotations.

use std::io::Write;

use codex_core::env;
use codex_core::jobs::Outcome;
use codex_core::jobs::merge::MergeOutcome;
use codex_core::jobs::pipeline::{self, Step, StepOutcome};
use codex_core::redact;
use codex_core::telemetry::Status;
use serde::Serialize;

fn in_actions() -> bool {
    std::env::var(env::GITHUB_ACTIONS).is_ok_and(|v| v == "true")
}

/// A line for stdout: redacted, bounded, one line, never a workflow command.
pub(crate) fn say(line: &str) {
    println!("{}", redact::clean(line));
}

/// An Actions annotation (only inside Actions): the message redacted and bounded (so on one
/// line), then escaped as Actions requires.
pub(crate) fn annotate(level: &str, message: &str) {
    if in_actions() {
        let escaped = redact::clean(message)
            .replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A");
        println!("::{level}::{escaped}");
    }
}

pub(crate) fn append_step_summary(markdown: &str) {
    if !in_actions() {
        return;
    }
    let Ok(path) = std::env::var(env::GITHUB_STEP_SUMMARY) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(markdown.as_bytes()));
    if let Err(e) = written {
        tracing::warn!("could not write the job summary: {e}");
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Warning => "warning",
        Status::Error => "error",
        Status::Skipped => "skipped",
    }
}

/// Markdown for the job summary (pure, for tests).
pub(crate) fn summary_markdown<F>(name: &str, outcome: &Outcome<F>) -> String {
    let env = &outcome.telemetry.envelope;
    let mut md = format!(
        "### Codex {name}: {}{}\n\n",
        status_word(env.status),
        if env.dry_run {
            " (dry-run: nothing was written to GitHub)"
        } else {
            ""
        }
    );
    for line in &outcome.summary {
        md.push_str(&format!("- {}\n", redact::clean(line)));
    }
    for w in &env.warnings {
        md.push_str(&format!("- ⚠️ {}\n", redact::clean(w)));
    }
    for e in &env.errors {
        md.push_str(&format!("- ❌ {}\n", redact::clean(e)));
    }
    md.push_str(&format!(
        "\nAPI: {} requests, {} writes, rate limit remaining {}. ",
        env.api.requests,
        env.api.mutations,
        env.api
            .rate_limit_remaining
            .map_or("unknown".to_owned(), |r| r.to_string())
    ));
    match &outcome.written {
        Ok(path) => md.push_str(&format!("Telemetry: `{}`\n\n", path.display())),
        Err(e) => md.push_str(&format!(
            "Telemetry could not be written: {}\n\n",
            redact::clean(&e.to_string())
        )),
    }
    md
}

/// Print and publish a component's outcome; returns its status.
pub(crate) fn report<F: Serialize>(name: &str, outcome: &Outcome<F>) -> Status {
    let env = &outcome.telemetry.envelope;
    for line in &outcome.summary {
        say(line);
    }
    match &outcome.written {
        Ok(path) => say(&format!(
            "{name}: {} — telemetry {}",
            status_word(env.status),
            path.display()
        )),
        Err(e) => say(&format!(
            "{name}: {} — telemetry NOT written: {e}",
            status_word(env.status)
        )),
    }
    for w in &env.warnings {
        annotate("warning", &format!("{name}: {w}"));
    }
    for e in &env.errors {
        annotate("error", &format!("{name}: {e}"));
    }
    if let Err(e) = &outcome.written {
        annotate("error", &format!("{name}: telemetry not written: {e}"));
    }
    append_step_summary(&summary_markdown(name, outcome));
    env.status
}

/// Print and publish telemetry-merge's outcome.
pub(crate) fn merge_report(outcome: &MergeOutcome) -> Status {
    for line in &outcome.summary {
        say(line);
    }
    for w in &outcome.dashboard.warnings {
        annotate("warning", &format!("telemetry-merge: {w}"));
    }
    let mut md = String::from("### Codex telemetry-merge\n\n");
    for line in &outcome.summary {
        md.push_str(&format!("- {}\n", redact::clean(line)));
    }
    for w in &outcome.dashboard.warnings {
        md.push_str(&format!("- ⚠️ {}\n", redact::clean(w)));
    }
    append_step_summary(&md);
    if outcome.dashboard.warnings.is_empty() {
        Status::Ok
    } else {
        Status::Warning
    }
}

/// Print and publish one component of a pipeline, as the component alone would.
pub(crate) fn step_report(step: &Step) {
    let name = step.info.subcommand;
    match &step.outcome {
        StepOutcome::Ran(outcome) => {
            report(name, outcome);
        }
        StepOutcome::Merged(merged) => {
            merge_report(merged);
        }
        StepOutcome::Failed(e) => {
            eprintln!("{}", redact::clean(&format!("error: {name}: {e}")));
            annotate("error", &format!("{name}: {e}"));
            append_step_summary(&format!(
                "### Codex {name}: error\n\n- ❌ {}\n\n",
                redact::clean(&e.to_string())
            ));
        }
        StepOutcome::NotRun(reason) => {
            say(&format!("{name}: not run ({reason})"));
        }
    }
}

/// The pipeline's summary table, on stdout and (in Actions) at the end of the job summary.
pub(crate) fn pipeline_report(steps: &[Step], dry_run: bool) {
    println!();
    for line in pipeline::table(steps).lines() {
        say(line);
    }
    append_step_summary(&format!(
        "### Codex pipeline{}\n\n{}\n",
        if dry_run {
            " (dry-run: nothing was written to GitHub)"
        } else {
            ""
        },
        pipeline::table_markdown(steps)
    ));
}
