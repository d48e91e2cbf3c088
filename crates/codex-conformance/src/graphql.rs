//! GitHub's GraphQL schema (the subset in `spec/github.graphql`) and validation of
//! executable documents against it, with apollo-compiler.

use std::sync::OnceLock;

use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};

const SDL: &str = include_str!("../../../spec/github.graphql");

/// GitHub's GraphQL schema, as far as Codex uses it. Cheap to copy; parsed once.
#[derive(Clone, Copy, Debug)]
pub struct GraphqlSpec {
    schema: &'static Valid<Schema>,
}

impl GraphqlSpec {
    /// Parses and validates the embedded schema on first use.
    ///
    /// # Panics
    /// If `spec/github.graphql` is not a valid schema (the crate's tests check it is).
    pub fn load() -> GraphqlSpec {
        static SCHEMA: OnceLock<Valid<Schema>> = OnceLock::new();
        let schema = SCHEMA.get_or_init(|| {
            Schema::parse_and_validate(SDL, "spec/github.graphql")
                .unwrap_or_else(|e| panic!("spec/github.graphql is invalid:\n{}", e.errors))
        });
        GraphqlSpec { schema }
    }

    /// Parses and validates an executable document (queries, mutations, fragments)
    /// against the schema. Errors are `line:column: message`, one per problem.
    pub fn validate(&self, document: &str) -> Result<(), Vec<String>> {
        match ExecutableDocument::parse_and_validate(self.schema, document, "document.graphql") {
            Ok(_) => Ok(()),
            Err(e) => Err(e
                .errors
                .iter()
                .map(|diagnostic| {
                    let message = diagnostic.error.to_string();
                    match diagnostic.line_column_range() {
                        Some(range) => {
                            format!("{}:{}: {message}", range.start.line, range.start.column)
                        }
                        None => message,
                    }
                })
                .collect()),
        }
    }

    /// The validated schema, for callers that want to walk types or execute documents.
    pub fn schema(&self) -> &'static Valid<Schema> {
        self.schema
    }

    /// The schema text (`spec/github.graphql`), e.g. to serve introspection from.
    pub fn schema_sdl() -> &'static str {
        SDL
    }
}
