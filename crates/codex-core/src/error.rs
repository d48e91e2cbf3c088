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
    /// The request never got an answer: connection refused, reset, timed out.
    #[error("request to {url} failed: {message}")]
    Transport {
        /// The URL asked for.
        url: String,
        /// What the transport said.
        message: String,
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
        /// The `type` of the first error (`NOT_FOUND`, `FORBIDDEN`, `RATE_LIMITED`, …).
        kind: Option<String>,
        /// Every error message.
        messages: Vec<String>,
    },
    /// The per-run mutation budget (`CODEX_MAX_MUTATIONS`) is spent.
    #[error("the write budget of {budget} mutations for this run is spent")]
    BudgetExhausted {
        /// The budget.
        budget: u64,
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

impl Error {
    /// True for the errors that say "this resource is not there" (404, 410, 301).
    pub fn is_missing(&self) -> bool {
        matches!(
            self,
            Error::NotFound { .. } | Error::Gone { .. } | Error::Moved { .. }
        )
    }

    /// True when the token may not do this (403, or a GraphQL `FORBIDDEN`/`NOT_FOUND` that
    /// GitHub uses for resources the token cannot see).
    pub fn is_permission(&self) -> bool {
        match self {
            Error::Forbidden { .. } => true,
            Error::GraphQl { kind, .. } => {
                matches!(
                    kind.as_deref(),
                    Some("FORBIDDEN" | "NOT_FOUND" | "INSUFFICIENT_SCOPES")
                )
            }
            _ => false,
        }
    }
}
