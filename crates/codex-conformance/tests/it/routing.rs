//! Concrete request paths to documented operations.

use codex_conformance::RestSpec;

#[test]
fn paths_route_to_their_operations() {
    let spec = RestSpec::load();
    let cases = [
        ("GET", "/repos/acme/widgets", Some("repos/get")),
        ("GET", "/repos/acme/widgets/issues/7", Some("issues/get")),
        (
            "PATCH",
            "/repos/acme/widgets/issues/7",
            Some("issues/update"),
        ),
        (
            "GET",
            "/repos/acme/widgets/issues",
            Some("issues/list-for-repo"),
        ),
        ("POST", "/repos/acme/widgets/issues", Some("issues/create")),
        (
            "GET",
            "/repos/acme/widgets/issues?state=all&page=2",
            Some("issues/list-for-repo"),
        ),
        (
            "POST",
            "/repos/acme/widgets/issues/7/labels",
            Some("issues/add-labels"),
        ),
        (
            "GET",
            "/repositories/123/issues",
            Some("issues/list-for-repo"),
        ),
        (
            "GET",
            "/repos/acme/widgets/contents/telemetry/x.json",
            Some("repos/get-content"),
        ),
        (
            "GET",
            "/repos/acme/widgets/contents/README.md",
            Some("repos/get-content"),
        ),
        (
            "GET",
            "/repos/acme/widgets/branches/main",
            Some("repos/get-branch"),
        ),
        (
            "GET",
            "/repos/acme/widgets/actions/variables",
            Some("actions/list-repo-variables"),
        ),
        (
            "GET",
            "/repos/acme/widgets/labels",
            Some("issues/list-labels-for-repo"),
        ),
        (
            "POST",
            "/repos/acme/widgets/milestones",
            Some("issues/create-milestone"),
        ),
        ("GET", "/rate_limit", Some("rate-limit/get")),
        ("get", "/rate_limit", Some("rate-limit/get")),
        // Only `{path}` takes slashes.
        ("GET", "/repos/acme/widgets/issues/7/8", None),
        ("GET", "/repos/acme/widgets/branches/feature/x", None),
        // Empty segments and missing parameters do not match.
        ("GET", "/repos/acme/widgets/contents/", None),
        ("GET", "/repos/acme/widgets/contents", None),
        ("GET", "/repos/acme//issues", None),
        ("GET", "/repos/acme/widgets/issues/", None),
        // The alias is GET-only and takes a numeric id.
        ("POST", "/repositories/123/issues", None),
        ("GET", "/repositories/acme/issues", None),
        // Undocumented.
        ("DELETE", "/repos/acme/widgets/issues/7", None),
        ("GET", "/user", None),
        ("GET", "repos/acme/widgets", None),
    ];
    for (method, path, want) in cases {
        assert_eq!(spec.operation(method, path), want, "{method} {path}");
    }
}

#[test]
fn load_is_cheap_and_shared() {
    let a = RestSpec::load();
    let b = RestSpec::load();
    assert!(std::ptr::eq(a.document(), b.document()));
}
