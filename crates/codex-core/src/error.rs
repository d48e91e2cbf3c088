//! The errors of `codex-core`, shaped for the callers that branch on them.
//!
//! API trouble is sorted into the variants a component reacts to differently: a missing
//! resource, a moved or deleted issue, a rate limit, a write the budget forbids. None of them
//! carries the token: URLs and GitHub's own messages only.

use std::time::Duration;

/// `codex-core`'s result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Something that went wrong talking to GitHub or with local files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The repositories asked for cannot be listed: an organisation GitHub does not show.
    #[error("{message}")]
    Selection {
        /// What is wrong and what to do, one sentence.
        message: String,
    },
    /// GitHub App authentication could not get an installation token (no installation for
    /// the repository, an answer without a token, a key that cannot sign).
    #[error("GitHub App authentication failed: {message}")]
    AppAuth {
        /// What went wrong (never a secret).
        message: String,
    },
    /// 401: the token is missing, expired or revoked.
    #[error("GitHub rejected the token (401) for {url}")]
    Unauthorized {
        /// The URL asked for.
        url: String,
    },
    /// 403 that is not a rate limit: the token lacks a permission.
    #[error("forbidden (403) at {url}: {message}")]
    Forbidden {
        /// The URL asked for.
        url: String,
        /// GitHub's message.
        message: String,
    },
    /// 404.
    #[error("not found (404): {url}")]
    NotFound {
        /// The URL asked for.
        url: String,
    },
    /// 301: the issue was transferred to another repository.
    #[error("moved (301): {url} is now {location}")]
    Moved {
        /// The URL asked for.
        url: String,
        /// Where it went.
        location: String,
    },
    /// 410: the issue was deleted.
    #[error("gone (410): {url}")]
    Gone {
        /// The URL asked for.
        url: String,
    },
    /// A primary or secondary rate limit.
    #[error("rate limited at {url}{}", wait.map(|w| format!(" (retry in {}s)", w.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The URL asked for.
        url: String,
        /// How long GitHub asks us to wait, when it says.
        wait: Option<Duration>,
    },
    /// Any other unexpected status, with GitHub's message.
    #[error("GitHub answered {status} at {url}: {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The URL asked for.
        url: String,
        /// GitHub's message, or the start of the body.
        message: String,
    },
    /// The request never got an answer: connection refused or reset.
    #[error("request to {url} failed: {message}")]
    Transport {
        /// The URL asked for.
        url: String,
        /// What the transport said.
        message: String,
    },
    /// The request got no whole answer in time (the read timeout, twice over, for the answer).
    #[error("request to {url} failed: no answer within {}s", after.as_secs())]
    TimedOut {
        /// The URL asked for.
        url: String,
        /// How long we waited.
        after: Duration,
    },
    /// The answer was not the JSON we expected.
    #[error("could not understand the answer from {url}: {message}")]
    Decode {
        /// The URL asked for.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// GraphQL answered with an `errors` array.
    #[error("GraphQL error: {}", messages.join("; "))]
    GraphQl {
        /// The `type` of the first error, when it has one.
        kind: Option<GraphQlErrorKind>,
        /// Every error message.
        messages: Vec<String>,
    },
    /// The per-run mutation budget (`CODEX_MAX_MUTATIONS`) is spent.
    #[error("the write budget of {budget} mutations for this run is spent")]
    BudgetExhausted {
        /// The budget.
        budget: u64,
    },
    /// The run was stopped (cancelled from outside, or its deadline passed): the request was
    /// not sent, or was abandoned in flight after the grace ([`crate::stop::Stop`]).
    #[error("{reason}{}", if *write_abandoned { "; a write was in flight and its outcome is unknown" } else { "" })]
    Stopped {
        /// Why the run stopped.
        reason: crate::stop::StopReason,
        /// True when a write was sent and abandoned before its answer came.
        write_abandoned: bool,
    },
    /// A `Link` header pointed somewhere other than the API we were given.
    #[error("refusing to follow a pagination link off the API host: {url}")]
    ForeignLink {
        /// The link.
        url: String,
    },
    /// A `Link` rel="next" pointed back at a page this listing had already read.
    #[error(
        "the listing stopped because its next page {url} had already been read (a pagination loop)"
    )]
    PaginationLoop {
        /// The link.
        url: String,
    },
    /// A listing ran past the most pages the repository can hold (see
    /// [`crate::github::pagination::PageGuard`]).
    #[error("the listing stopped before {url} after {cap} pages, more than the repository holds")]
    PageCap {
        /// The page it did not read.
        url: String,
        /// The cap.
        cap: u64,
    },
    /// Reading or writing a local file.
    #[error("{action} {path}: {source}")]
    Io {
        /// What we were doing.
        action: &'static str,
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// The `type` GitHub gives an entry of a GraphQL `errors` array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphQlErrorKind {
    /// `NOT_FOUND`: the node does not exist, or the token may not see it.
    NotFound,
    /// `FORBIDDEN`: the token may not do this.
    Forbidden,
    /// `INSUFFICIENT_SCOPES`: a classic token lacks a scope (e.g. `project`).
    InsufficientScopes,
    /// `RATE_LIMITED`: the GraphQL point budget is spent.
    RateLimited,
    /// Any other `type`, as GitHub spelled it.
    Other(String),
}

impl GraphQlErrorKind {
    /// The kind GitHub's `type` string names.
    pub fn parse(kind: &str) -> Self {
        match kind {
            "NOT_FOUND" => GraphQlErrorKind::NotFound,
            "FORBIDDEN" => GraphQlErrorKind::Forbidden,
            "INSUFFICIENT_SCOPES" => GraphQlErrorKind::InsufficientScopes,
            "RATE_LIMITED" => GraphQlErrorKind::RateLimited,
            other => GraphQlErrorKind::Other(other.to_owned()),
        }
    }

    /// GitHub's spelling of this kind.
    pub fn as_str(&self) -> &str {
        match self {
            GraphQlErrorKind::NotFound => "NOT_FOUND",
            GraphQlErrorKind::Forbidden => "FORBIDDEN",
            GraphQlErrorKind::InsufficientScopes => "INSUFFICIENT_SCOPES",
            GraphQlErrorKind::RateLimited => "RATE_LIMITED",
            GraphQlErrorKind::Other(other) => other,
        }
    }
}

impl std::fmt::Display for GraphQlErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// True for the errors that say "this resource is not there" (404, 410, 301).
    pub fn is_missing(&self) -> bool {
        matches!(
            self,
            Error::NotFound { .. } | Error::Gone { .. } | Error::Moved { .. }
        )
    }

    /// True when the failure is a finding about the configuration rather than a failed read:
    /// the token may not see the resource ([`Error::is_permission`]) or it is not there
    /// ([`Error::is_missing`]). CONTRACT.md section 3: such a finding is a warning where the
    /// component can go on without it; any other failed read or write is an error.
    pub fn is_configuration(&self) -> bool {
        self.is_permission() || self.is_missing()
    }

    /// True when the token may not do this (403, or a GraphQL `FORBIDDEN`/`NOT_FOUND` that
    /// GitHub uses for resources the token cannot see).
    pub fn is_permission(&self) -> bool {
        match self {
            Error::Forbidden { .. } => true,
            Error::GraphQl { kind, .. } => matches!(
                kind,
                Some(
                    GraphQlErrorKind::Forbidden
                        | GraphQlErrorKind::NotFound
                        | GraphQlErrorKind::InsufficientScopes
                )
            ),
            _ => false,
        }
    }

    /// True for a rate limit: a REST primary or secondary limit the governor could not wait
    /// out, or a GraphQL `RATE_LIMITED` answer. GitHub applied nothing.
    pub fn is_rate_limit(&self) -> bool {
        match self {
            Error::RateLimited { .. } => true,
            Error::GraphQl { kind, .. } => kind == &Some(GraphQlErrorKind::RateLimited),
            _ => false,
        }
    }

    /// True for a timeout: no whole answer in time, or GitHub's GraphQL "Something went wrong
    /// while executing your query. This may be the result of a timeout" inside a 200.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::TimedOut { .. } => true,
            Error::GraphQl { messages, .. } => messages.iter().any(|m| m.contains("timeout")),
            _ => false,
        }
    }

    /// True when the request may or may not have been applied: it was sent but its answer was
    /// lost (a transport failure or a timeout) or was a 5xx. A write in this state is looked
    /// for, or repeated only where repeating changes nothing.
    pub fn is_answer_lost(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::TimedOut { .. } => true,
            Error::Status { status, .. } => *status >= 500,
            _ => self.is_timeout(),
        }
    }

    /// True for the failures that end a run cleanly rather than mid-way: a rate limit (beyond
    /// the maximum wait, or still there after the retries), the per-run write budget, the
    /// per-run deadline and a cancellation. The component stops calling GitHub and the next
    /// run carries on (every component is idempotent). Whether that is a warning or an error
    /// is [`crate::jobs::Report::api_failure`]'s rule (CONTRACT.md section 3).
    pub fn stops_run(&self) -> bool {
        self.is_run_limit() || self.is_rate_limit()
    }

    /// True for the run's own limits: the write budget, the deadline, a cancellation (not a
    /// rate limit, which is per API: GraphQL's and REST's are separate budgets).
    pub fn is_run_limit(&self) -> bool {
        matches!(self, Error::BudgetExhausted { .. } | Error::Stopped { .. })
    }

    /// Why the run stopped, when this is [`Error::Stopped`].
    pub fn stop_reason(&self) -> Option<&crate::stop::StopReason> {
        match self {
            Error::Stopped { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graphql(kind: Option<&str>, message: &str) -> Error {
        Error::GraphQl {
            kind: kind.map(GraphQlErrorKind::parse),
            messages: vec![message.to_owned()],
        }
    }

    #[test]
    fn graphql_kinds_round_trip_github_spelling() {
        for text in [
            "NOT_FOUND",
            "FORBIDDEN",
            "INSUFFICIENT_SCOPES",
            "RATE_LIMITED",
            "MAX_NODE_LIMIT_EXCEEDED",
        ] {
            assert_eq!(GraphQlErrorKind::parse(text).as_str(), text);
        }
        assert_eq!(
            GraphQlErrorKind::parse("RATE_LIMITED"),
            GraphQlErrorKind::RateLimited
        );
        assert_eq!(
            GraphQlErrorKind::parse("rate_limited"),
            GraphQlErrorKind::Other("rate_limited".into())
        );
    }

    #[test]
    fn predicates_sort_the_errors_callers_react_to() {
        let url = || "https://api.github.com/x".to_owned();
        let limited = Error::RateLimited {
            url: url(),
            wait: None,
        };
        let gql_limited = graphql(Some("RATE_LIMITED"), "API rate limit exceeded");
        let gql_timeout = graphql(
            None,
            "Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug.",
        );
        let timed_out = Error::TimedOut {
            url: url(),
            after: Duration::from_secs(60),
        };
        let reset = Error::Transport {
            url: url(),
            message: "connection reset".into(),
        };
        let server = Error::Status {
            status: 502,
            url: url(),
            message: String::new(),
        };
        let client = Error::Status {
            status: 422,
            url: url(),
            message: String::new(),
        };
        let budget = Error::BudgetExhausted { budget: 3 };
        let cancelled = Error::Stopped {
            reason: crate::stop::StopReason::Cancelled {
                by: "SIGTERM".into(),
            },
            write_abandoned: true,
        };
        let deadline = Error::Stopped {
            reason: crate::stop::StopReason::Deadline {
                after: Duration::from_secs(1200),
            },
            write_abandoned: false,
        };
        let denied = graphql(Some("INSUFFICIENT_SCOPES"), "needs project");

        assert!(limited.is_rate_limit() && gql_limited.is_rate_limit());
        assert!(!budget.is_rate_limit() && !gql_timeout.is_rate_limit());

        assert!(timed_out.is_timeout() && gql_timeout.is_timeout());
        assert!(!reset.is_timeout() && !gql_limited.is_timeout() && !server.is_timeout());

        for lost in [&timed_out, &reset, &server, &gql_timeout] {
            assert!(lost.is_answer_lost(), "{lost:?}");
        }
        for kept in [
            &client,
            &limited,
            &gql_limited,
            &budget,
            &denied,
            &cancelled,
            &deadline,
        ] {
            assert!(!kept.is_answer_lost(), "{kept:?}");
        }

        for stop in [&limited, &gql_limited, &budget, &cancelled, &deadline] {
            assert!(stop.stops_run(), "{stop:?}");
        }
        assert!(cancelled.stop_reason().is_some_and(|r| r.is_cancellation()));
        assert!(deadline.stop_reason().is_some_and(|r| !r.is_cancellation()));
        assert!(limited.stop_reason().is_none());
        assert!(!cancelled.is_rate_limit() && !deadline.is_timeout());
        assert_eq!(
            cancelled.to_string(),
            "cancelled by SIGTERM; a write was in flight and its outcome is unknown"
        );
        assert_eq!(deadline.to_string(), "deadline of 1200 s reached");
        for go_on in [&timed_out, &server, &denied, &gql_timeout] {
            assert!(!go_on.stops_run(), "{go_on:?}");
        }
        assert!(denied.is_permission() && !gql_limited.is_permission());
    }

    #[test]
    fn a_timeout_reads_as_before() {
        let e = Error::TimedOut {
            url: "https://api.github.com/x".into(),
            after: Duration::from_secs(120),
        };
        assert_eq!(
            e.to_string(),
            "request to https://api.github.com/x failed: no answer within 120s"
        );
    }
}
