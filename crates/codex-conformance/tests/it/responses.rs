//! Response validation: GitHub's example issue, mutated into known-bad shapes, fails
//! with a message naming the field; documented nullability and alternatives pass.

use codex_conformance::RestSpec;
use serde_json::{Value, json};

const ISSUE: &str = "/repos/acme/widgets/issues/7";

/// GitHub's own example issue (`issues/get` 200), a known-good starting point.
fn issue() -> Value {
    RestSpec::load()
        .examples()
        .into_iter()
        .find(|e| e.operation_id == "issues/get" && e.status == Some(200) && e.name == "default")
        .expect("issues/get has a default example")
        .value
        .clone()
}

fn with(mut value: Value, key: &str, field: Value) -> Value {
    value[key] = field;
    value
}

fn errors(body: &Value) -> Vec<String> {
    RestSpec::load()
        .validate_response("GET", ISSUE, 200, Some(body))
        .expect_err("should fail")
}

fn assert_mentions(errors: &[String], needle: &str) {
    assert!(
        errors.iter().any(|e| e.contains(needle)),
        "no error mentions {needle:?}: {errors:#?}"
    );
}

#[test]
fn the_example_issue_passes() {
    RestSpec::load()
        .validate_response("GET", ISSUE, 200, Some(&issue()))
        .unwrap();
}

#[test]
fn missing_number_fails() {
    let mut body = issue();
    body.as_object_mut().unwrap().remove("number");
    assert_mentions(&errors(&body), "(root): \"number\" is a required property");
}

#[test]
fn user_as_a_string_fails() {
    let errors = errors(&with(issue(), "user", json!("octocat")));
    assert_mentions(&errors, "/user:");
    assert_mentions(&errors, "\"octocat\" is not of type");
}

#[test]
fn milestone_not_an_object_fails() {
    assert_mentions(
        &errors(&with(issue(), "milestone", json!(5))),
        "/milestone: 5 is not of type",
    );
}

#[test]
fn state_as_a_number_fails() {
    assert_mentions(
        &errors(&with(issue(), "state", json!(1))),
        "/state: 1 is not of type \"string\"",
    );
}

#[test]
fn labels_as_a_number_fails() {
    assert_mentions(
        &errors(&with(issue(), "labels", json!(3))),
        "/labels: 3 is not of type \"array\"",
    );
}

#[test]
fn null_title_fails() {
    assert_mentions(
        &errors(&with(issue(), "title", Value::Null)),
        "/title: null is not of type \"string\"",
    );
}

#[test]
fn documented_nulls_pass() {
    let spec = RestSpec::load();
    for field in ["milestone", "user", "closed_at", "assignee", "body"] {
        let body = with(issue(), field, Value::Null);
        spec.validate_response("GET", ISSUE, 200, Some(&body))
            .unwrap_or_else(|e| panic!("{field}: {e:#?}"));
    }
}

#[test]
fn labels_as_strings_and_as_objects_both_pass() {
    let spec = RestSpec::load();
    let objects = json!([{"id": 1, "name": "bug", "color": "d73a4a", "default": true}]);
    for labels in [json!(["bug", "help wanted"]), objects, json!([])] {
        let body = with(issue(), "labels", labels.clone());
        spec.validate_response("GET", ISSUE, 200, Some(&body))
            .unwrap_or_else(|e| panic!("{labels}: {e:#?}"));
    }
    // Each alternative is still checked: a label object's name must be a string.
    let bad = with(issue(), "labels", json!([{"name": 5}]));
    assert_mentions(&errors(&bad), "/labels/0");
}

#[test]
fn a_list_of_issues_points_at_the_bad_item() {
    let spec = RestSpec::load();
    let list = json!([issue(), with(issue(), "number", json!("7"))]);
    let errors = spec
        .validate_response("GET", "/repos/acme/widgets/issues", 200, Some(&list))
        .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_mentions(&errors, "/1/number: \"7\" is not of type \"integer\"");
    // The undocumented paging alias is checked as the same operation.
    spec.validate_response(
        "GET",
        "/repositories/123/issues",
        200,
        Some(&json!([issue()])),
    )
    .unwrap();
}

#[test]
fn empty_bodies_statuses_and_routes() {
    let spec = RestSpec::load();
    // 304 documents no body.
    spec.validate_response("GET", ISSUE, 304, None).unwrap();
    assert_mentions(
        &spec
            .validate_response("GET", ISSUE, 304, Some(&json!({})))
            .unwrap_err(),
        "documents none",
    );
    // 200 documents one.
    assert_mentions(
        &spec.validate_response("GET", ISSUE, 200, None).unwrap_err(),
        "no body",
    );
    // Undocumented status and route.
    assert_mentions(
        &spec.validate_response("GET", ISSUE, 418, None).unwrap_err(),
        "status 418 is not documented",
    );
    assert_mentions(
        &spec
            .validate_response("DELETE", ISSUE, 204, None)
            .unwrap_err(),
        "undocumented route: DELETE /repos/acme/widgets/issues/7 (documented methods: GET, PATCH)",
    );
    assert_mentions(
        &spec
            .validate_response("GET", "/user", 200, None)
            .unwrap_err(),
        "undocumented route",
    );
}

#[test]
fn error_responses_use_githubs_error_shape() {
    let spec = RestSpec::load();
    let not_found =
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"});
    spec.validate_response("GET", ISSUE, 404, Some(&not_found))
        .unwrap();
    let unprocessable = json!({
        "message": "Validation Failed",
        "errors": [{"resource": "Issue", "field": "title", "code": "missing_field"}],
        "documentation_url": "https://docs.github.com/rest",
    });
    spec.validate_response(
        "POST",
        "/repos/acme/widgets/issues",
        422,
        Some(&unprocessable),
    )
    .unwrap();
    // `basic-error` requires nothing, but what it lists is typed.
    assert_mentions(
        &spec
            .validate_response("GET", ISSUE, 404, Some(&json!({"message": 404})))
            .unwrap_err(),
        "/message: 404 is not of type \"string\"",
    );
}

#[test]
fn formats_are_checked_in_answers() {
    let bad_uri = with(issue(), "html_url", json!("https://x/a[b]"));
    assert!(!errors(&bad_uri).is_empty(), "a raw bracket is not a uri");
    let bad_date = with(issue(), "created_at", json!("yesterday"));
    assert!(
        !errors(&bad_date).is_empty(),
        "`yesterday` is not a date-time"
    );
}
