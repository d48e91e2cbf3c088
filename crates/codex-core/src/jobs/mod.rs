//! The components, each `plan` (pure) then `apply` (the only code that writes) then telemetry.
//!
//! [`Context`] carries what every run needs; [`finish`] turns a component's [`Report`] into its
//! telemetry file, whatever happened: API trouble becomes `warning`/`error` telemetry, never a
//! lost run.

pub mod activity;
pub mod cleaner;
pub mod diagnostics;
mod dispatch;
pub mod federation;
pub mod fleet;
pub mod integrity;
pub mod listing;
pub mod merge;
pub mod pipeline;
pub mod self_test;
pub mod supervisor;
pub mod sync;

pub use dispatch::{Options, run};

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::{Config, RepoSlug};
use crate::github::{GitHub, Session};
use crate::pages::Pages;
use crate::progress::Progress;
use crate::stop::{Stop, StopReason};
use crate::telemetry::{
    ApiSummary, Component, Envelope, Omitted, SCHEMA_VERSION, Status, Telemetry, split_at_limit,
};

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
    /// The run's stop: its deadline (`CODEX_DEADLINE_SECS`, counted from here) and the
    /// cancellation the binaries trigger on SIGTERM/SIGINT. The client races every request
    /// against it.
    pub stop: Stop,
    /// Where the run reports pages read and writes done (nobody, unless the caller watches).
    pub progress: Progress,
}

impl Context {
    /// A context for `config`, building the client when a token is configured.
    pub fn new(config: Config, now: DateTime<Utc>) -> crate::Result<Self> {
        Context::watched(
            config,
            now,
            &Stop::default(),
            Progress::default(),
            Session::default(),
        )
    }

    /// A context whose stop shares `cancel`'s cancellation ([`Stop::linked`], with the run's
    /// own deadline), whose progress goes to `progress`, and whose client shares `session`
    /// (the server's clock, an App's token) with the run's other contexts.
    pub fn watched(
        config: Config,
        now: DateTime<Utc>,
        cancel: &Stop,
        progress: Progress,
        session: Session,
    ) -> crate::Result<Self> {
        let stop = cancel.linked(Some(Duration::from_secs(config.settings.deadline_secs)));
        let github = match &config.credentials {
            Some(_) => Some(GitHub::new(crate::github::ClientOptions {
                stop: stop.clone(),
                progress: progress.clone(),
                session,
                ..crate::github::ClientOptions::from_config(&config)
            })?),
            None => None,
        };
        let pages = Pages::of(&config, now);
        Ok(Context {
            config,
            github,
            pages,
            now,
            stop,
            progress,
        })
    }

    /// The repository this run works on (its part of the pages tree is [`Context::pages`]).
    pub fn repo(&self) -> &RepoSlug {
        self.pages.repo()
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
    /// Set by the first failure that stops the run ([`crate::Error::stops_run`]): why.
    stopped: Option<RunStop>,
    /// How the open issues were listed, for the components that list them all.
    pub listing: Option<crate::telemetry::Listing>,
}

/// Why a run stopped early: it decides whether the work left is a warning or an error.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RunStop {
    /// The write budget or the deadline: limits the user configured.
    ConfiguredLimit,
    /// A rate limit that outlasted the maximum wait.
    RateLimit,
    /// SIGTERM or SIGINT: the reason, e.g. `cancelled by SIGTERM`.
    Cancelled(String),
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
            stopped: None,
            listing: None,
        }
    }

    /// Add a warning (also logged), redacted and bounded by [`crate::redact::clean`].
    pub fn warn(&mut self, message: impl Into<String>) {
        let message = crate::redact::clean(&message.into());
        tracing::warn!("{message}");
        self.warnings.push(message);
    }

    /// Add an error (also logged), redacted and bounded by [`crate::redact::clean`].
    pub fn error(&mut self, message: impl Into<String>) {
        let message = crate::redact::clean(&message.into());
        tracing::error!("{message}");
        self.errors.push(message);
    }

    /// Record an API failure: the one rule every component follows (CONTRACT.md section 3,
    /// "Which failures are errors").
    ///
    /// - A failure that does not stop the run is an **error**: something the run was supposed
    ///   to read or write could not be (after the retries).
    /// - A failure that stops the run ([`crate::Error::stops_run`]) ends the work that needs
    ///   GitHub ([`Report::stopped`]); the component reports what it leaves
    ///   ([`Report::left_for_next_run`]) and the next run carries on (every component is
    ///   idempotent). Its status depends on why it stopped:
    ///   - a limit the user configured, the write budget (`CODEX_MAX_MUTATIONS`) or the
    ///     deadline (`CODEX_DEADLINE_SECS`): a **warning**, and so is the work left;
    ///   - a rate limit that outlasted `CODEX_MAX_WAIT_SECS`: an **error** (the job was not
    ///     done, and nobody chose that);
    ///   - a cancellation (SIGTERM, SIGINT): an **error** when it abandoned a write in flight
    ///     (its outcome unknown) or left work for the next run, else a warning.
    ///
    /// A run stops once: a later stop is only logged.
    pub fn api_failure(&mut self, what: &str, err: &crate::Error) {
        if !err.stops_run() {
            self.error(format!("{what}: {err}"));
            return;
        }
        if self.stopped.is_some() {
            tracing::info!(error = %err, "{what}: the run has stopped already");
            return;
        }
        let message = format!("stopped early: {what}: {err}; the next run carries on");
        match err {
            crate::Error::Stopped {
                reason,
                write_abandoned,
            } if reason.is_cancellation() => {
                self.stopped = Some(RunStop::Cancelled(reason.to_string()));
                if *write_abandoned {
                    self.error(message);
                } else {
                    self.warn(message);
                }
            }
            crate::Error::BudgetExhausted { .. } | crate::Error::Stopped { .. } => {
                self.stopped = Some(RunStop::ConfiguredLimit);
                self.warn(message);
            }
            _ => {
                self.stopped = Some(RunStop::RateLimit);
                self.error(message);
            }
        }
    }

    /// True once an API failure has stopped the run: the component does no more of the work
    /// that needs GitHub.
    pub fn stopped(&self) -> bool {
        self.stopped.is_some()
    }

    /// After a stop: say how much work is left for the next run (`count` of `what`). A
    /// warning when the run stopped at a limit the user configured; an error when a rate limit
    /// or a cancellation stopped it (the run did not finish what it could have).
    pub fn left_for_next_run(&mut self, count: u64, what: &str) {
        if count == 0 {
            return;
        }
        match &self.stopped {
            Some(RunStop::Cancelled(reason)) => {
                let message = format!("{reason}: {count} {what} left for the next run");
                self.error(message);
            }
            Some(RunStop::RateLimit) => {
                self.error(format!("{count} {what} left for the next run"));
            }
            Some(RunStop::ConfiguredLimit) | None => {
                self.warn(format!("{count} {what} left for the next run"));
            }
        }
    }

    /// True once a cancellation has stopped the run.
    pub fn cancelled(&self) -> bool {
        matches!(self.stopped, Some(RunStop::Cancelled(_)))
    }

    /// Add a line for people, redacted and bounded by [`crate::redact::clean`].
    pub fn say(&mut self, line: impl Into<String>) {
        self.summary.push(crate::redact::clean(&line.into()));
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

/// Bound the list `select` picks in `report`'s fields, a per-issue list of `component`'s
/// telemetry, at
/// [`LIST_LIMIT`](crate::telemetry::LIST_LIMIT) (CONTRACT.md section 4): the entries beyond
/// go to the piece files of `name` under `dashboard/details/` (a previous run's pieces
/// replaced or deleted), and what the telemetry says beside the list comes back. A failed
/// write is a warning: the count stays, `pieces` is 0.
pub fn bound_list<T: Serialize, F>(
    ctx: &Context,
    report: &mut Report<F>,
    component: Component,
    name: &str,
    select: impl Fn(&mut F) -> &mut Vec<T>,
) -> Omitted {
    let rest = split_at_limit(select(&mut report.fields));
    write_rest(ctx, report, component, name, &rest)
}

/// Write the entries a bounded list left out (`rest`, from [`split_at_limit`]) as pieces,
/// and count them; a failure is a warning, the entries still counted.
pub fn write_rest<T: Serialize, F>(
    ctx: &Context,
    report: &mut Report<F>,
    component: Component,
    name: &str,
    rest: &[T],
) -> Omitted {
    match ctx
        .pages
        .write_pieces(component, name, &ctx.config.run_id, rest)
    {
        Ok(omitted) => omitted,
        Err(e) => {
            report.warn(format!(
                "the {} entries left out of {} `{name}` could not be written as pieces: {e}",
                rest.len(),
                component.name()
            ));
            Omitted {
                count: rest.len() as u64,
                pieces: 0,
            }
        }
    }
}

/// A finished run: its telemetry and where it was written.
#[derive(Debug)]
pub struct Outcome<F> {
    /// The telemetry.
    pub telemetry: Telemetry<F>,
    /// The file, or why it could not be written.
    pub written: crate::Result<PathBuf>,
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
pub fn finish<F: Serialize>(
    ctx: &Context,
    component: Component,
    mut report: Report<F>,
) -> Outcome<F> {
    // A cancellation that no refused request reported (it came after the last request, or
    // a component swallowed the refusal) is still said: the telemetry of a cancelled run
    // always says so.
    if let Some(reason) = ctx.stop.reason().filter(StopReason::is_cancellation)
        && !report.cancelled()
    {
        report.stopped = Some(RunStop::Cancelled(reason.to_string()));
        report.warn(format!("{reason}; the next run carries on"));
    }
    let status = report.status();
    let Report {
        warnings,
        errors,
        fields,
        summary,
        listing,
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
                app: matches!(ctx.config.credentials, Some(crate::Credentials::App(_))).then(
                    || crate::telemetry::AppApiSummary {
                        jwt_requests: s.app_jwt_requests,
                        installation_tokens: s.installation_tokens,
                    },
                ),
                listing,
            }
        })
        .unwrap_or_default();
    let telemetry = Telemetry {
        envelope: Envelope {
            schema_version: SCHEMA_VERSION,
            component,
            status,
            run_id: ctx.config.run_id.clone(),
            repo: ctx.repo().to_string(),
            started_at: ctx.now,
            finished_at: Utc::now().max(ctx.now),
            dry_run: ctx.config.dry_run,
            warnings,
            errors,
            api,
        },
        fields,
    };
    // Every string of the component's fields (check details, malformed reasons, titles)
    // passes the redaction point on its way to the public pages.
    let written = serde_json::to_value(&telemetry.fields)
        .map_err(|e| crate::Error::Io {
            action: "serialising telemetry for",
            path: ctx.pages.telemetry_dir().display().to_string(),
            source: std::io::Error::other(e),
        })
        .and_then(|mut fields| {
            crate::redact::scrub_json(&crate::redact::redactor(), &mut fields);
            ctx.pages.write_telemetry(&Telemetry {
                envelope: telemetry.envelope.clone(),
                fields,
            })
        });
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

/// What one enumeration of the open managed issues saw (the issues themselves went to the
/// caller's visitor, one at a time: see [`managed_issues`]).
#[derive(Debug, Clone, Default)]
pub struct ManagedIssues {
    /// Managed issues visited.
    pub managed: u64,
    /// Items enumerated in all (issues, pull requests, malformed).
    pub scanned: u64,
    /// Issues whose hidden labels could not be read, with why: they are counted with the
    /// labels their listing showed, so counts that depend on labels are not known.
    pub labels_unreadable: Vec<(u64, String)>,
    /// How the issues were listed (for the telemetry's `api.listing`).
    pub listing: Option<crate::telemetry::Listing>,
}

impl ManagedIssues {
    /// Report the issues whose labels could not be read, as one error (the run could not read
    /// what it was supposed to, CONTRACT.md section 3).
    pub fn report_unreadable_labels<F>(&self, report: &mut Report<F>) {
        let Some((_, first)) = self.labels_unreadable.first() else {
            return;
        };
        let numbers: Vec<String> = self
            .labels_unreadable
            .iter()
            .take(20)
            .map(|(n, _)| format!("#{n}"))
            .collect();
        report.error(format!(
            "the labels of {} issue(s) could not be read ({}): {first}",
            self.labels_unreadable.len(),
            numbers.join(", ")
        ));
    }
}

/// Enumerate open issues once and hand each managed one to `visit` (CONTRACT.md section 5),
/// page by page: only the page being read is in memory, never every issue, so a caller keeps
/// only what it needs (counts, compact records). The issues come from
/// [`listing::OpenIssues`]: listed in full, or the snapshot with what changed merged in. An issue whose payload hides some of its
/// labels has them read first (from `GET …/issues/{n}/labels`); when that read fails the issue
/// is visited as listed and named in [`ManagedIssues::labels_unreadable`], and a failure that
/// stops the run ([`crate::Error::stops_run`]) ends the enumeration (the issues visited before
/// it stay visited: a caller that fails the run on an error discards what it gathered).
pub async fn managed_issues(
    ctx: &Context,
    component: crate::component::Component,
    mut visit: impl FnMut(&crate::github::Issue),
) -> crate::Result<ManagedIssues> {
    let mut source = listing::OpenIssues::open(ctx, component).await?;
    let mut out = ManagedIssues::default();
    while let Some(page) = source.next_page().await? {
        for listed in page.issues {
            let number = listed.number;
            let issue = if listed.labels_complete {
                listed
            } else {
                match with_readable_labels(ctx, listed.clone()).await {
                    Ok(issue) => issue,
                    Err(e) if e.stops_run() => return Err(e),
                    Err(e) => {
                        tracing::warn!(issue = number.0, error = %e, "labels unreadable; counted as listed");
                        out.labels_unreadable.push((number.0, e.to_string()));
                        listed
                    }
                }
            };
            if crate::rules::is_managed(&issue, &ctx.config.settings) {
                out.managed += 1;
                visit(&issue);
            }
        }
    }
    out.scanned = source.scanned();
    out.listing = Some(source.listing().clone());
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
    let repo = ctx.repo();
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
