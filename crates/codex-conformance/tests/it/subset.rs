//! The checked-in subsets match the allowlists in the generator scripts, and all
//! generated files name the same pinned package versions. Nothing here touches the
//! network: rerun `scripts/update-github-spec.sh` to refresh `spec/`.

use std::collections::BTreeSet;

use codex_conformance::{GraphqlSpec, RestSpec};

const REST_SCRIPT: &str = include_str!("../../../../scripts/spec/rest-subset.mjs");
const GRAPHQL_SCRIPT: &str = include_str!("../../../../scripts/spec/graphql-subset.mjs");
const PACKAGE_JSON: &str = include_str!("../../../../scripts/spec/package.json");
const README: &str = include_str!("../../../../spec/README.md");

/// The lines between `// BEGIN {name}` and `// END {name}` in a script.
fn block<'a>(script: &'a str, name: &str) -> Vec<&'a str> {
    let start = script
        .find(&format!("// BEGIN {name}"))
        .expect("BEGIN marker");
    let end = script.find(&format!("// END {name}")).expect("END marker");
    script[start..end].lines().skip(1).map(str::trim).collect()
}

/// Every `"quoted"` string on a line.
fn quoted(line: &str) -> Vec<&str> {
    line.split('"').skip(1).step_by(2).collect()
}

#[test]
fn rest_subset_holds_exactly_the_allowlisted_operations() {
    let allowlist: BTreeSet<(String, String)> = block(REST_SCRIPT, "REST ALLOWLIST")
        .into_iter()
        .filter(|l| l.starts_with('['))
        .map(|l| match quoted(l).as_slice() {
            [method, path] => ((*method).to_owned(), (*path).to_owned()),
            other => panic!("unexpected allowlist line {l:?}: {other:?}"),
        })
        .collect();
    assert_eq!(allowlist.len(), 21, "{allowlist:#?}");
    let spec: BTreeSet<(String, String)> = RestSpec::load()
        .operations()
        .map(|(method, path, _)| (method.to_owned(), path.to_owned()))
        .collect();
    assert_eq!(
        spec, allowlist,
        "spec/github-rest.json is stale: run scripts/update-github-spec.sh"
    );
}

#[test]
fn rest_subset_holds_only_referenced_components() {
    let doc = RestSpec::load().document();
    let text = serde_json::to_string(&doc["paths"]).unwrap()
        + &serde_json::to_string(&doc["components"]).unwrap();
    for (kind, entries) in doc["components"].as_object().unwrap() {
        for name in entries.as_object().unwrap().keys() {
            let reference = format!("\"#/components/{kind}/{name}\"");
            assert!(text.contains(&reference), "{kind}/{name} is not referenced");
        }
    }
    assert_eq!(doc["openapi"], "3.0.3");
}

#[test]
fn graphql_subset_has_every_allowlisted_field() {
    let schema = GraphqlSpec::load().schema();
    let mut checked = 0;
    for line in block(GRAPHQL_SCRIPT, "GRAPHQL ALLOWLIST")
        .into_iter()
        .filter(|l| l.contains(':'))
    {
        let type_name = line.split(':').next().unwrap().trim();
        let ty = schema
            .types
            .get(type_name)
            .unwrap_or_else(|| panic!("{type_name} missing"));
        for field in quoted(line) {
            let has = match ty {
                apollo_compiler::schema::ExtendedType::Object(o) => o.fields.contains_key(field),
                apollo_compiler::schema::ExtendedType::Interface(i) => i.fields.contains_key(field),
                _ => false,
            };
            assert!(has, "{type_name}.{field} missing from spec/github.graphql");
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} fields checked");
}

#[test]
fn generated_files_name_the_pinned_versions() {
    let package: serde_json::Value = serde_json::from_str(PACKAGE_JSON).unwrap();
    let deps = &package["dependencies"];
    let openapi = format!(
        "@octokit/openapi@{}",
        deps["@octokit/openapi"].as_str().unwrap()
    );
    let schema = format!(
        "@octokit/graphql-schema@{}",
        deps["@octokit/graphql-schema"].as_str().unwrap()
    );
    let subset_note = RestSpec::load().document()["info"]["x-codex-subset"]
        .as_str()
        .unwrap();
    assert!(subset_note.contains(&openapi), "{subset_note}");
    assert!(
        GraphqlSpec::schema_sdl()
            .lines()
            .take(3)
            .any(|l| l.contains(&schema))
    );
    assert!(README.contains(&format!("`{openapi}`")) && README.contains(&format!("`{schema}`")));
}
