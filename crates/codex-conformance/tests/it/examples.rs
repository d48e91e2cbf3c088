//! GitHub's own examples are known-good data: every one of them must validate
//! against the schema documented next to it.

use codex_conformance::RestSpec;

/// Examples that contradict their own schema upstream, each with the reason.
/// Keep entries specific: `(operationId, status, example name, why)`.
const KNOWN_BAD: &[(&str, Option<u16>, &str, &str)] = &[(
    "repos/get",
    Some(200),
    "default-response",
    "upstream example `full-repository-default-response` omits `language` (top level and in \
         `source`), which the `full-repository`/`repository` schemas list as required; real \
         responses send `language: null`",
)];

#[test]
fn every_example_validates_against_its_schema() {
    let spec = RestSpec::load();
    let examples = spec.examples();
    assert!(
        examples.len() >= 20,
        "only {} examples found",
        examples.len()
    );
    let mut failures = Vec::new();
    for ex in &examples {
        let known = KNOWN_BAD.iter().any(|(op, status, name, _)| {
            *op == ex.operation_id && *status == ex.status && *name == ex.name
        });
        let label = format!(
            "{} {:?} {} ({})",
            ex.operation_id, ex.status, ex.name, ex.media_type
        );
        match (spec.validate_example(ex), known) {
            (Ok(()), true) => failures.push(format!("{label} now passes: drop it from KNOWN_BAD")),
            (Err(e), false) => failures.push(format!("{label}:\n  {}", e.join("\n  "))),
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_known_bad_example_exists() {
    let examples = RestSpec::load().examples();
    for (op, status, name, _) in KNOWN_BAD {
        assert!(
            examples
                .iter()
                .any(|e| e.operation_id == *op && e.status == *status && e.name == *name),
            "KNOWN_BAD lists {op} {status:?} {name}, which the spec no longer has"
        );
    }
}

#[test]
fn the_known_bad_example_fails_only_for_the_stated_reason() {
    let spec = RestSpec::load();
    let example = spec
        .examples()
        .into_iter()
        .find(|e| e.name == "default-response")
        .unwrap();
    let errors = spec.validate_example(&example).unwrap_err();
    assert!(
        errors
            .iter()
            .all(|e| e.ends_with("\"language\" is a required property")),
        "{errors:#?}"
    );
    let mut fixed = example.value.clone();
    fixed["language"] = serde_json::Value::Null;
    fixed["source"]["language"] = serde_json::Value::Null;
    spec.validate_operation_response("repos/get", 200, Some(&fixed))
        .unwrap();
}

#[test]
fn every_operation_has_a_success_example() {
    let spec = RestSpec::load();
    let examples = spec.examples();
    for (method, path, op) in spec.operations() {
        assert!(
            examples
                .iter()
                .any(|e| e.operation_id == op && e.status.is_some_and(|s| s < 300)),
            "{method} {path} ({op}) has no success example"
        );
    }
}
