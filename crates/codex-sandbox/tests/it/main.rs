//! The sandbox's one integration-test binary: each module drives a real sandbox over HTTP.

mod app;
mod binary;
mod common;
mod conformance;
mod faults;
mod ghes;
mod graphql;
mod integrity;
mod issues;
mod org;
mod pagination;
mod repo;
