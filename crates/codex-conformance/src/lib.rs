//! Holds HTTP exchanges and GraphQL documents against GitHub's own published API
//! descriptions, so that neither Codex's client nor the fake GitHub (`codex-sandbox`)
//! is checked only against the other.
//!
//! The descriptions are the checked-in subsets in `spec/` (see `spec/README.md`),
//! compiled into this crate: [`RestSpec`] for the REST API (OpenAPI 3.0.3, from
//! `@octokit/openapi`) and [`GraphqlSpec`] for the GraphQL API (from
//! `@octokit/graphql-schema`). Test-only: it panics if the embedded files are broken,
//! which the crate's own tests rule out.
//!
//! ```
//! use codex_conformance::{GraphqlSpec, RestSpec};
//!
//! let rest = RestSpec::load();
//! assert_eq!(rest.operation("GET", "/repos/acme/widgets/issues/7"), Some("issues/get"));
//! rest.validate_request("GET", "/repos/acme/widgets/issues", "state=all&per_page=100", None)
//!     .unwrap();
//! let body = serde_json::json!({"rate": {}});
//! let errors = rest.validate_response("GET", "/rate_limit", 200, Some(&body)).unwrap_err();
//! assert!(errors.contains(&r#"rate-limit/get 200: (root): "resources" is a required property"#.into()));
//!
//! GraphqlSpec::load().validate("{ rateLimit { remaining resetAt } }").unwrap();
//! ```

pub use exchanges::Exchanges;
pub use graphql::GraphqlSpec;
pub use rest::{Example, RestSpec};

mod exchanges;
mod graphql;
mod openapi;
mod rest;
