//! `codex-core`: everything the seven Codex components share.
//!
//! - [`component`]: the table of the seven components (names, binaries, abouts, order).
//! - [`config`]: flags, environment and defaults (CONTRACT.md section 2), validated once.
//! - [`github`]: a careful client over octocrab: streaming enumeration that follows `Link`
//!   headers exactly, lenient models, the dry-run gate on every write.
//! - [`rules`]: pure decisions (managed issues, tracks, labels, milestones, activity).
//! - [`telemetry`]: the versioned JSON the components write and the dashboard reads.
//! - [`pages`]: the gh-pages checkout: atomic, never-overwriting telemetry writes.
//! - [`redact`]: the one redaction point for everything that leaves the process.
//! - [`stop`]: a run's cancellation and deadline, which every request races.
//! - [`progress`]: pages read and writes done, for whoever watches (the CLI's bars).
//! - [`select`]: which repositories a run over several covers (listing, filters, order).
//! - [`web`]: which server an API URL names: the GraphQL default and where links for people point.
//!
//! No function here exits the process or reads the clock inside a rule.
#![warn(missing_docs)]

pub mod app;
pub mod component;
pub mod config;
pub mod env;
pub mod error;
pub mod github;
pub mod jobs;
pub mod logging;
pub mod numbers;
pub mod pages;
pub mod progress;
pub mod redact;
pub mod rules;
pub mod select;
pub mod snapshot;
pub mod stop;
pub mod telemetry;
pub mod web;

pub use app::Credentials;
pub use component::Component;
pub use config::{CommonArgs, Config, ConfigError, Needs, RepoSlug, Settings, Token};
pub use error::{Error, GraphQlErrorKind, Result};
pub use github::{GitHub, Issue, IssueNumber, MilestoneNumber};
pub use pages::Pages;
pub use progress::{Observer, Progress};
pub use stop::{Stop, StopReason};
pub use telemetry::{Status, Telemetry};
