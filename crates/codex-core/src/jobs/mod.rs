//! The components, each `plan` (pure) then `apply` (the only code that writes) then telemetry.
//!
//! [`Context`] carries what every run needs; [`finish`] turns a component's [`Report`] into its
//! telemetry file, whatever happened: API trouble becomes `warning`/`error` telemetry, never a
//! lost run.

pub mod activity;
pub mod cleaner;
pub mod diagnostics;
mod dispatch;
pub mod merge;
pub mod self_test;
pub mod supervisor;
pub mod sync;

pub use dispatch::{Options, run};

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::github::GitHub;
use crate::pages::Pages;
use crate::telemetry::{ApiSummary, Component, Envelope, SCHEMA_VERSION, Status, Telemetry};

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct Context {
    /// The validated configuration.
    pub config: Config,
    /// The GitHub client (absent for telemetry-merge, which needs no token).
    pub github: Option<GitHub>,
    /// The pages directory.
    pub pages: Pages,
    /// The run's start; rules take their `now` from here.
    pub now: DateTime<Utc>,
}

impl Context {
    /// A context for `config`, building the client when a token is configured.
    pub fn new(config: Config, now: DateTime<Utc>) -> crate::Result<Self> {
        let github = match &config.token {
            Some(_) => Some(GitHub::new(crate::github::ClientOptions::from_config(
                &config,
            ))?),
            None => None,
        };
        let pages = Pages::new(config.pages_dir.clone());
        Ok(Context {
            config,
            github,
            pages,
            now,
        })
    }

    /// The client; components that call GitHub are only run with a token (config checks it).
    pub fn github(&self) -> &GitHub {
        self.github
            .as_ref()
            .expect("components that call GitHub are configured with a token")
    }
}

/// What a component found and did, before it becomes telemetry.
#[derive(Debug, Clone)]
pub struct Report<F> {
    /// Set to force `skipped`; otherwise the status follows errors and warnings.
    pub skipped: bool,
    /// Warnings, one sentence each.
    pub warnings: Vec<String>,
    /// Errors, one sentence each.
    pub errors: Vec<String>,
    /// The component's fields.
    pub fields: F,
    /// Lines for people: stdout and the Actions job summary.
    pub summary: Vec<String>,
}

impl<F> Report<F> {
    /// An empty report around `fields`.
    pub fn new(fields: F) -> Self {
        Report {
            skipped: false,
            warnings: Vec::new(),
            errors: Vec::new(),
            fields,
            summary: Vec::new(),
        }
    }

    /// Add a warning (also logged).
    pub fn warn(&mut self, message: impl Into<String>) {
        let message = message.into();
        tracing::warn!("{message}");
        self.warnings.push(message);
    }

    /// Add an error (also logged).
    pub fn error(&mut self, message: impl Into<String>) {
        let message = message.into();
        tracing::error!("{message}");
        self.errors.push(message);
    }

    /// Record an API failure. A rate limit that outlasts the maximum wait, or a spent write
    /// budget, stops the run cleanly: a warning, and the next run carries on (every component
    /// is idempotent). Anything else is an error.
    pub fn api_failure(&mut self, what: &str, err: &crate::Error) {
        if stops_cleanly(err) {
            self.warn(format!(
                "stopped early: {what}: {err}; the next run carries on"
            ));
        } else {
            self.error(format!("{what}: {err}"));
        }
    }

    /// Add a line for people.
    pub fn say(&mut self, line: impl Into<String>) {
        self.summary.push(line.into());
    }

    /// The status this report earns.
    pub fn status(&self) -> Status {
        if !self.errors.is_empty() {
            Status::Error
        } else if self.skipped {
            Status::Skipped
        } else if !self.warnings.is_empty() {
            Status::Warning
        } else {
            Status::Ok
        }
    }
}

/// True for the failures that end a run cleanly rather than fail it: a rate limit beyond the
/// maximum wait, and the per-run write budget.
pub fn stops_cleanly(err: &crate::Error) -> bool {
    matches!(
        err,
        crate::Error::RateLimited { .. } | crate::Error::BudgetExhausted { .. }
    )
}

/// A finished run: its telemetry and where it was written.
#[derive(Debug, Clone)]
pub struct Outcome<F> {
    /// The telemetry.
    pub telemetry: Telemetry<F>,
    /// The file, or why it could not be written.
    pub written: std::result::Result<PathBuf, String>,
    /// Lines for people.
    pub summary: Vec<String>,
}

impl<F> Outcome<F> {
    /// The run's status.
    pub fn status(&self) -> Status {
        self.telemetry.envelope.status
    }
}

/// Wrap a report in its envelope and write it to the pages directory. A failed write is
/// logged and returned, never a panic: the run's summary still reaches the log.
pub fn finish<F: Serialize>(ctx: &Context, component: Component, report: Report<F>) -> Outcome<F> {
    let status = report.status();
    let Report {
        warnings,
        errors,
        fields,
        summary,
        ..
    } = report;
    let api = ctx
        .github
        .as_ref()
        .map(|g| {
            let s = g.stats();
            ApiSummary {
                requests: s.requests,
                mutations: s.mutations,
                rate_limit_remaining: s.rate_limit_remaining,
            }
        })
        .unwrap_or_default();
    let telemetry = Telemetry {
        envelope: Envelope {
            schema_version: SCHEMA_VERSION,
            component,
            status,
            run_id: ctx.config.run_id.clone(),
            repo: ctx.config.repo.to_string(),
            started_at: ctx.now,
            finished_at: Utc::now().max(ctx.now),
            dry_run: ctx.config.dry_run,
            warnings,
            errors,
            api,
        },
        fields,
    };
    let written = ctx
        .pages
        .write_telemetry(&telemetry)
        .map_err(|e| e.to_string());
    match &written {
        Ok(path) => {
            tracing::info!(path = %path.display(), status = %status, "telemetry written");
        }
        Err(e) => tracing::error!(error = %e, "telemetry could not be written"),
    }
    Outcome {
        telemetry,
        written,
        summary,
    }
}

/// The open managed issues of the repository, from one enumeration.
#[derive(Debug, Clone, Default)]
pub struct ManagedIssues {
    /// The issues.
    pub issues: Vec<crate::github::Issue>,
    /// Items enumerated in all (issues, pull requests, malformed).
    pub scanned: u64,
}

/// Enumerate open issues once and keep the managed ones (CONTRACT.md section 5). An issue
/// whose payload hides some of its labels has them read first (from `GET …/issues/{n}/labels`).
pub async fn managed_issues(ctx: &Context) -> crate::Result<ManagedIssues> {
    let mut lister = crate::github::IssueLister::new(
        ctx.github(),
        &ctx.config.repo,
        &crate::github::IssueQuery::open(),
    );
    let mut out = ManagedIssues::default();
    while let Some(page) = lister.next_page().await? {
        for listed in page.issues {
            let number = listed.number;
            let issue = match with_readable_labels(ctx, listed.clone()).await {
                Ok(issue) => issue,
                Err(e) => {
                    tracing::warn!(issue = number.0, error = %e, "labels unreadable; counted as listed");
                    listed
                }
            };
            if crate::rules::is_managed(&issue, &ctx.config.settings) {
                out.issues.push(issue);
            }
        }
    }
    out.scanned = lister.items();
    Ok(out)
}

/// The issue with its labels read from `GET …/issues/{n}/labels` when its payload did not show
/// them all (one request, only for such issues), so that a label it carries is neither added
/// again on every run nor counted as missing.
pub(crate) async fn with_readable_labels(
    ctx: &Context,
    mut issue: crate::github::Issue,
) -> crate::Result<crate::github::Issue> {
    if issue.labels_complete {
        return Ok(issue);
    }
    let repo = &ctx.config.repo;
    let items = ctx
        .github()
        .list_all(&format!(
            "repos/{}/{}/issues/{}/labels?per_page=100",
            repo.owner, repo.name, issue.number
        ))
        .await?;
    issue.labels = items
        .iter()
        .filter_map(crate::github::Label::from_json)
        .map(|l| l.name)
        .collect();
    issue.labels_complete = true;
    Ok(issue)
}

/// The track an issue is counted in: its label when it has exactly one, else its title.
pub fn reporting_track(issue: &crate::github::Issue) -> crate::rules::Track {
    crate::rules::decide_track(issue)
        .track()
        .unwrap_or_else(|| crate::rules::title_track(&issue.title))
}
