//! A client's side of recorded conversations, checked in one pass: every REST request and
//! answer against the OpenAPI description, every GraphQL document against the schema, and
//! which documented operations were exercised.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{GraphqlSpec, RestSpec};

/// The findings over a run of exchanges: feed each with [`Exchanges::check`], then assert
/// [`Exchanges::problems`] is empty and look at [`Exchanges::operations`].
pub struct Exchanges {
    rest: RestSpec,
    graphql: GraphqlSpec,
    /// One line per request, answer or document that does not conform.
    pub problems: Vec<String>,
    /// The operation ids of the REST requests seen (`issues/get`, …).
    pub operations: BTreeSet<String>,
}

impl Exchanges {
    /// An empty record, with both descriptions loaded.
    pub fn load() -> Self {
        Exchanges {
            rest: RestSpec::load(),
            graphql: GraphqlSpec::load(),
            problems: Vec::new(),
            operations: BTreeSet::new(),
        }
    }

    /// The REST description, e.g. to list the documented operations.
    pub fn rest(&self) -> &RestSpec {
        &self.rest
    }

    /// One exchange: `POST /graphql` is a GraphQL document (its `query`), anything else a REST
    /// request and its answer.
    pub fn check(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
        request_body: Option<&Value>,
        status: u16,
        response_body: Option<&Value>,
    ) {
        if path == "/graphql" {
            let document = request_body
                .and_then(|b| b["query"].as_str())
                .unwrap_or_default();
            if let Err(e) = self.graphql.validate(document) {
                self.problems.push(format!("GraphQL {document}: {e:?}"));
            }
            return;
        }
        if let Some(op) = self.rest.operation(method, path) {
            self.operations.insert(op.to_owned());
        }
        if let Err(e) = self
            .rest
            .validate_request(method, path, query, request_body)
        {
            self.problems
                .push(format!("request {method} {path}?{query}: {e:?}"));
        }
        if let Err(e) = self
            .rest
            .validate_response(method, path, status, response_body)
        {
            self.problems
                .push(format!("answer {method} {path} {status}: {e:?}"));
        }
    }
}
