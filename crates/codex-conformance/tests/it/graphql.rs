//! GraphQL documents against GitHub's schema subset.

use codex_conformance::GraphqlSpec;

fn assert_fails(document: &str, needle: &str) {
    let errors = GraphqlSpec::load()
        .validate(document)
        .expect_err("should fail");
    assert!(
        errors.iter().any(|e| e.contains(needle)),
        "no error mentions {needle:?}: {errors:#?}"
    );
}

#[test]
fn the_checked_in_subset_parses_and_validates() {
    let sdl = GraphqlSpec::schema_sdl();
    apollo_compiler::Schema::parse_and_validate(sdl, "github.graphql").expect("valid schema");
    let schema = GraphqlSpec::load().schema();
    for ty in [
        "Query",
        "Mutation",
        "ProjectV2",
        "ProjectV2ItemContent",
        "RateLimit",
    ] {
        assert!(schema.types.contains_key(ty), "{ty} missing");
    }
}

#[test]
fn projects_query_passes() {
    let doc = r#"
        query Projects($login: String!, $after: String) {
          organization(login: $login) {
            projectsV2(first: 100, after: $after) {
              totalCount
              nodes { id number title closed url }
              pageInfo { hasNextPage endCursor }
            }
          }
          rateLimit { limit remaining resetAt cost used nodeCount }
        }"#;
    GraphqlSpec::load().validate(doc).unwrap();
}

#[test]
fn items_paging_query_with_fragments_passes() {
    let doc = r#"
        query Items($login: String!, $number: Int!, $after: String) {
          user(login: $login) {
            projectV2(number: $number) {
              id
              items(first: 100, after: $after) {
                totalCount
                pageInfo { hasNextPage endCursor hasPreviousPage startCursor }
                nodes {
                  id
                  type
                  content {
                    __typename
                    ... on Issue { id number title url state repository { nameWithOwner } }
                    ... on PullRequest { id number title repository { nameWithOwner } }
                    ... on DraftIssue { id title }
                  }
                }
              }
            }
          }
        }"#;
    GraphqlSpec::load().validate(doc).unwrap();
}

#[test]
fn owner_and_node_lookups_pass() {
    let doc = r#"
        query($login: String!, $id: ID!) {
          repositoryOwner(login: $login) { id login ... on ProjectV2Owner { projectV2(number: 1) { id } } }
          node(id: $id) { id ... on ProjectV2 { title } }
          repository(owner: "acme", name: "widgets") { id name nameWithOwner issue(number: 7) { id state } }
        }"#;
    GraphqlSpec::load().validate(doc).unwrap();
}

#[test]
fn mutations_pass() {
    let spec = GraphqlSpec::load();
    spec.validate(
        r#"mutation Add($project: ID!, $content: ID!) {
             addProjectV2ItemById(input: {projectId: $project, contentId: $content}) { item { id } clientMutationId }
           }"#,
    )
    .unwrap();
    spec.validate(
        r#"mutation Delete($input: DeleteIssueInput!) {
             deleteIssue(input: $input) { clientMutationId repository { nameWithOwner } }
           }"#,
    )
    .unwrap();
}

#[test]
fn aliased_mutations_in_one_document_pass() {
    GraphqlSpec::load()
        .validate(
            r#"mutation AddProjectItems($project: ID!, $c0: ID!, $c1: ID!, $c2: ID!) {
                 a0: addProjectV2ItemById(input: {projectId: $project, contentId: $c0}) { item { id } }
                 a1: addProjectV2ItemById(input: {projectId: $project, contentId: $c1}) { item { id } }
                 a2: addProjectV2ItemById(input: {projectId: $project, contentId: $c2}) { item { id } }
               }"#,
        )
        .unwrap();
    // The same field twice under one response name, with different arguments, cannot merge.
    assert_fails(
        r#"mutation($project: ID!, $c0: ID!, $c1: ID!) {
             addProjectV2ItemById(input: {projectId: $project, contentId: $c0}) { item { id } }
             addProjectV2ItemById(input: {projectId: $project, contentId: $c1}) { item { id } }
           }"#,
        "addProjectV2ItemById",
    );
}

#[test]
fn unknown_field_fails() {
    assert_fails(
        "{ organization(login: \"acme\") { projectsV2(first: 1) { nodes { colour } } } }",
        "colour",
    );
}

#[test]
fn unknown_argument_fails() {
    assert_fails(
        "{ organization(login: \"acme\") { projectsV2(first: 1, sortBy: NAME) { totalCount } } }",
        "sortBy",
    );
}

#[test]
fn wrong_variable_type_fails() {
    assert_fails(
        "query($n: String!) { organization(login: \"acme\") { projectV2(number: $n) { id } } }",
        "$n",
    );
}

#[test]
fn union_selection_without_fragment_fails() {
    assert_fails(
        "{ node(id: \"x\") { ... on ProjectV2Item { content { id } } } }",
        "ProjectV2ItemContent",
    );
}

#[test]
fn missing_required_argument_and_syntax_errors_fail() {
    assert_fails(
        "{ organization(login: \"acme\") { projectV2 { id } } }",
        "number",
    );
    let errors = GraphqlSpec::load().validate("{ organization(").unwrap_err();
    assert!(errors[0].starts_with("1:"), "{errors:#?}");
}
