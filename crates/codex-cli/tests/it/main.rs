//! End-to-end tests of Codex's binaries: each runs as a workflow would run it (cleared
//! environment, repository, token, API URL, pages directory, run id) against the in-process
//! sandbox, and the tests check the sandbox's state and the files written, not only the
//! components' own account of what they did.

mod app;
mod binaries;
mod cleaner;
mod common;
mod config;
mod diagnostics;
mod ghes;
mod help;
mod hostile;
mod init;
mod integrity;
mod merge;
mod org;
mod pages_tree;
mod pipeline;
mod runs;
mod self_test;
#[cfg(unix)]
mod signals;
mod sync;
mod tracks;
