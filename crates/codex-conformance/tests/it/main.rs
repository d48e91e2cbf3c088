//! Integration tests for `codex-conformance`: one binary, a module per area.

mod examples;
mod graphql;
mod requests;
mod responses;
mod routing;
mod subset;
