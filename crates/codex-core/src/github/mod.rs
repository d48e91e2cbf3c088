//! GitHub access: the client ([`GitHub`]), our models, pagination, the issue enumeration, and
//! the REST and GraphQL calls the components need.

pub mod cache;
pub mod client;
pub mod governor;
pub mod graphql;
pub mod issues;
pub mod model;
pub mod pagination;
mod rest;

pub use client::{ApiStats, ClientOptions, GitHub, Response, Retry, Session, Written};
pub use graphql::Project;
pub use issues::{IssueLister, IssuePage, IssueQuery};
pub use model::{
    Dependencies, Issue, IssueExtras, IssueNumber, IssueState, KNOWN_STATE_REASONS, Label,
    Malformed, Milestone, MilestoneNumber, MilestoneRef, Oddity, SubIssues,
};
