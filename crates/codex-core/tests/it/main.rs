//! codex-core against codex-sandbox: enumeration at exact request counts, lenient parsing of
//! real-world oddities, and every request and GraphQL document the client sends checked
//! against GitHub's published descriptions (spec/).

mod app_auth;
mod common;
mod conformance;
mod enumeration;
mod ghes;
mod hostile_pagination;
mod incremental;
mod pipeline;
mod reliability;
mod workflows;
