//! Request validation: query parameters and bodies against the documented operation.

use codex_conformance::RestSpec;
use serde_json::json;

const ISSUES: &str = "/repos/acme/widgets/issues";

fn assert_mentions(errors: &[String], needle: &str) {
    assert!(
        errors.iter().any(|e| e.contains(needle)),
        "no error mentions {needle:?}: {errors:#?}"
    );
}

#[test]
fn documented_queries_pass() {
    let spec = RestSpec::load();
    for query in [
        "",
        "?state=all&per_page=100&page=2",
        "state=open&sort=updated&direction=asc&since=2024-01-02T03:04:05Z",
        "labels=bug,help%20wanted&milestone=*&assignee=none",
    ] {
        spec.validate_request("GET", ISSUES, query, None)
            .unwrap_or_else(|e| panic!("{query}: {e:#?}"));
    }
    spec.validate_request(
        "GET",
        "/repositories/123/issues",
        "page=3&per_page=100",
        None,
    )
    .unwrap();
    spec.validate_request(
        "GET",
        "/repos/acme/widgets/contents/a/b.json",
        "ref=main",
        None,
    )
    .unwrap();
}

#[test]
fn unknown_query_parameter_is_rejected() {
    let errors = RestSpec::load()
        .validate_request("GET", ISSUES, "state=open&colour=red", None)
        .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_mentions(&errors, "undocumented query parameter `colour`");
}

#[test]
fn badly_typed_query_values_are_rejected() {
    let spec = RestSpec::load();
    let errors = spec
        .validate_request("GET", ISSUES, "per_page=abc", None)
        .unwrap_err();
    assert_mentions(
        &errors,
        "query parameter `per_page`: \"abc\" is not of type \"integer\"",
    );
    let errors = spec
        .validate_request("GET", ISSUES, "state=bogus", None)
        .unwrap_err();
    assert_mentions(&errors, "query parameter `state`: \"bogus\" is not one of");
    let errors = spec
        .validate_request("GET", ISSUES, "since=yesterday", None)
        .unwrap_err();
    assert_mentions(
        &errors,
        "query parameter `since`: \"yesterday\" is not a \"date-time\"",
    );
    let errors = spec
        .validate_request("GET", ISSUES, "page=1&page=2", None)
        .unwrap_err();
    assert_mentions(&errors, "`page` given 2 times");
}

#[test]
fn path_parameters_are_checked_too() {
    let errors = RestSpec::load()
        .validate_request("GET", "/repos/acme/widgets/issues/seven", "", None)
        .unwrap_err();
    assert_mentions(
        &errors,
        "path parameter `issue_number`: \"seven\" is not of type \"integer\"",
    );
}

#[test]
fn issue_bodies() {
    let spec = RestSpec::load();
    let good =
        json!({"title": "Found a bug", "body": "details", "labels": ["bug"], "milestone": 1});
    spec.validate_request("POST", ISSUES, "", Some(&good))
        .unwrap();
    let errors = spec
        .validate_request("POST", ISSUES, "", Some(&json!({"body": "no title"})))
        .unwrap_err();
    assert_mentions(&errors, "\"title\" is a required property");
    let errors = spec.validate_request("POST", ISSUES, "", None).unwrap_err();
    assert_mentions(&errors, "request body is required");
    let patch = json!({"state": "closed", "state_reason": "completed", "milestone": null});
    spec.validate_request("PATCH", "/repos/acme/widgets/issues/7", "", Some(&patch))
        .unwrap();
    let errors = spec
        .validate_request(
            "PATCH",
            "/repos/acme/widgets/issues/7",
            "",
            Some(&json!({"state": "done"})),
        )
        .unwrap_err();
    assert_mentions(&errors, "/state: \"done\" is not one of");
}

#[test]
fn a_body_where_none_is_documented_is_rejected() {
    let errors = RestSpec::load()
        .validate_request("GET", ISSUES, "", Some(&json!({})))
        .unwrap_err();
    assert_mentions(&errors, "a request body where none is documented");
}

/// The description of add-labels says "You can also pass an array of labels
/// directly, but GitHub recommends passing an object with the `labels` key", yet its
/// schema (a `oneOf` with the object form only) documents just the object. We hold
/// ourselves to the schema: send `{"labels": [...]}`.
#[test]
fn add_labels_takes_the_documented_object_form() {
    let spec = RestSpec::load();
    let path = "/repos/acme/widgets/issues/7/labels";
    spec.validate_request("POST", path, "", Some(&json!({"labels": ["a"]})))
        .unwrap();
    spec.validate_request("POST", path, "", Some(&json!({"labels": [{"name": "a"}]})))
        .unwrap();
    let errors = spec
        .validate_request("POST", path, "", Some(&json!(["a"])))
        .unwrap_err();
    assert_mentions(&errors, "issues/add-labels request body: (root)");
    let errors = spec
        .validate_request("POST", path, "", Some(&json!({"labels": []})))
        .unwrap_err();
    assert_mentions(&errors, "/labels");
    // The body itself is optional there.
    spec.validate_request("POST", path, "", None).unwrap();
}

#[test]
fn label_and_milestone_bodies() {
    let spec = RestSpec::load();
    let label = json!({"name": "bug", "color": "d73a4a", "description": "Something is broken"});
    spec.validate_request("POST", "/repos/acme/widgets/labels", "", Some(&label))
        .unwrap();
    let errors = spec
        .validate_request(
            "POST",
            "/repos/acme/widgets/labels",
            "",
            Some(&json!({"color": "fff"})),
        )
        .unwrap_err();
    assert_mentions(&errors, "\"name\" is a required property");
    let milestone = json!({"title": "v1", "state": "open", "due_on": "2024-01-01T00:00:00Z"});
    spec.validate_request(
        "POST",
        "/repos/acme/widgets/milestones",
        "",
        Some(&milestone),
    )
    .unwrap();
}
