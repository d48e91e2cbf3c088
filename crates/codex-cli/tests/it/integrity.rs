//! `codex-integrity` end to end: every defect planted in the sandbox found by the real binary
//! with its exact number, nothing found on a clean repository, no write ever, an issue
//! transferred between two runs reported with where it went, and GraphQL faults leaving the
//! REST findings standing.

use std::collections::BTreeSet;

use codex_sandbox::{SandboxOptions, Scenario};
use serde_json::{Value, json};

use crate::common::{World, numbers};

const BIN: &str = "codex-integrity";

/// `(kind, number)` of every finding.
fn found(t: &Value) -> BTreeSet<(String, Option<u64>)> {
    t["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().expect("kind").to_owned(),
                f["number"].as_u64(),
            )
        })
        .collect()
}

/// The first finding of `kind`.
#[track_caller]
fn first<'a>(t: &'a Value, kind: &str) -> &'a Value {
    t["findings"]
        .as_array()
        .and_then(|all| all.iter().find(|f| f["kind"] == kind))
        .unwrap_or_else(|| panic!("no {kind} finding in {:#}", t["findings"]))
}

fn of(kind: &str, ns: impl IntoIterator<Item = u64>) -> Vec<(String, Option<u64>)> {
    ns.into_iter().map(|n| (kind.to_owned(), Some(n))).collect()
}

/// Nothing but reads reached the sandbox: no write counted, and every route a GET or a
/// GraphQL query.
#[track_caller]
fn assert_no_write(world: &World) {
    let stats = world.sandbox.stats();
    assert_eq!(stats["writes"], 0, "{stats:#}");
    for route in stats["by_route"].as_object().expect("by_route").keys() {
        assert!(
            route.starts_with("GET ") || route.contains("graphql"),
            "a request that is not a read: {route}"
        );
    }
}

fn demo(extra: impl FnOnce(&mut SandboxOptions)) -> World {
    let mut opts = SandboxOptions {
        scenario: Scenario::Demo,
        ..SandboxOptions::default()
    };
    extra(&mut opts);
    World::with(opts)
}

/// The demo's planted defects, found exactly: each of its kinds at its numbers, and nothing
/// else; every finding has its remedy; the scan wrote nothing.
#[test]
fn the_demo_reports_every_planted_defect_and_nothing_else() {
    let world = demo(|_| {});
    world.run(BIN, "1", &[], &[]).expect_code(0);
    let t = world.telemetry("integrity", "1");
    assert_eq!(t["status"], "warning", "{:#}", t["warnings"]);
    assert_eq!(t["errors"], json!([]));
    let mut expected: BTreeSet<(String, Option<u64>)> = BTreeSet::new();
    expected.extend(of("transferred", world.kind("transferred")));
    expected.extend(of("deleted", world.kind("deleted")));
    expected.extend(of("milestone_unknown", world.kind("milestone_gone")));
    expected.extend(of("label_malformed", world.kind("label_without_name")));
    expected.extend(of("track_conflict", world.kind("both_tracks")));
    let off_spec = world.kind("off_spec");
    assert_eq!(off_spec.len(), 2);
    expected.insert(("date_invalid".into(), Some(off_spec[0])));
    expected.insert(("labels_missing".into(), Some(off_spec[1])));
    expected.extend(planted(&world));
    assert_eq!(found(&t), expected);
    for f in t["findings"].as_array().unwrap() {
        assert!(f["remedy"].as_str().is_some_and(|r| r.len() > 20), "{f:#}");
    }
    let moved = first(&t, "transferred");
    assert!(
        moved["moved_to"]
            .as_str()
            .is_some_and(|u| u.ends_with("/acme/gadgets/issues/1")),
        "{moved:#}"
    );
    assert_eq!(t["baseline"], "gaps", "a first scan reads the gaps");
    assert_eq!(t["comparison_complete"], true);
    let total: u64 = t["counts"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(total, expected.len() as u64);
    // The reference's shape keeps the payload findings.
    let malformed: BTreeSet<u64> = t["integrity"]["malformed"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["number"].as_u64())
        .collect();
    assert!(malformed.contains(&off_spec[0]) && malformed.contains(&off_spec[1]));
    assert_no_write(&world);
}

/// The findings of the demo's integrity plantings (`scenario.kinds`).
fn planted(world: &World) -> Vec<(String, Option<u64>)> {
    let mut out = of("rest_only", world.kind("hidden_from_graphql"));
    out.extend(of("project_item_archived", world.kind("archived_item")));
    // The deleted issue's item: its content is null, so it names no number.
    assert_eq!(world.kind("orphaned_item").len(), 1);
    out.push(("project_item_orphaned".into(), None));
    out
}

/// A repository Codex set up itself (diagnostics --repair, one self-test issue) has nothing
/// to report; the status is ok.
#[test]
fn a_clean_repository_has_no_findings() {
    let world = World::with(SandboxOptions {
        scenario: Scenario::Empty,
        ..SandboxOptions::default()
    });
    world
        .run("codex-diagnostics", "1", &[], &["--repair"])
        .expect_code(0);
    world.run("codex-self-test", "1", &[], &[]).expect_code(0);
    world.sandbox.reset_stats();
    world.run(BIN, "1", &[], &[]).expect_code(0);
    let t = world.telemetry("integrity", "1");
    assert_eq!(found(&t), BTreeSet::new(), "{:#}", t["findings"]);
    assert_eq!(t["status"], "ok", "{:#} {:#}", t["warnings"], t["errors"]);
    assert_eq!(t["scanned"]["rest"], 1);
    assert_eq!(t["scanned"]["graphql"], 1);
    assert_no_write(&world);
}

/// A GraphQL that fails every time: the REST findings stand, the comparison says it is
/// incomplete, and nothing is guessed from the missing half.
#[test]
fn graphql_faults_leave_the_rest_findings_and_say_the_comparison_is_incomplete() {
    let world = demo(|o| o.graphql_fault_rate = 1.0);
    world
        .run(
            BIN,
            "1",
            &[("CODEX_MAX_RETRIES", "0"), ("CODEX_RETRY_BASE_MS", "0")],
            &[],
        )
        .expect_code(0);
    let t = world.telemetry("integrity", "1");
    assert_eq!(t["comparison_complete"], false);
    let warnings = t["warnings"].to_string();
    assert!(warnings.contains("comparison is incomplete"), "{warnings}");
    let kinds: BTreeSet<String> = found(&t).into_iter().map(|(k, _)| k).collect();
    for k in [
        "label_malformed",
        "milestone_unknown",
        "track_conflict",
        "deleted",
    ] {
        assert!(kinds.contains(k), "{k} missing from {kinds:?}");
    }
    for k in ["rest_only", "graphql_only"] {
        assert!(!kinds.contains(k), "{k} guessed without GraphQL");
    }
    assert_no_write(&world);
}

/// `POST /_sandbox/{what}` with a JSON body (raw HTTP/1.1: the sandbox's admin endpoints
/// need no token); the answer's JSON.
fn admin(world: &World, what: &str, body: &Value) -> Value {
    use std::io::{Read, Write};
    let body = body.to_string();
    let mut stream = std::net::TcpStream::connect(world.sandbox.addr()).expect("connect");
    write!(
        stream,
        "POST /_sandbox/{what} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        world.sandbox.addr(),
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let json = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let v: Value = serde_json::from_str(json).unwrap_or(Value::Null);
    assert_eq!(v["ok"], true, "{what} {body}: {answer}");
    v
}

/// The newer issue fields the demo plants, counted over both tracks.
#[test]
fn issue_types_sub_issues_and_dependencies_are_counted_per_track() {
    let world = demo(|_| {});
    world.run(BIN, "1", &[], &[]).expect_code(0);
    let t = world.telemetry("integrity", "1");
    let tracks = [&t["fields"]["main"], &t["fields"]["dashboard"]];
    let sum = |f: &dyn Fn(&Value) -> u64| -> u64 { tracks.iter().map(|v| f(v)).sum() };
    let ty = |name: &str| sum(&|v| v["types"][name].as_u64().unwrap_or(0));
    assert_eq!(
        (ty("Bug"), ty("Task"), ty("Feature")),
        (
            world.kind("issue_type_bug").len() as u64,
            world.kind("issue_type_task").len() as u64,
            world.kind("issue_type_feature").len() as u64
        )
    );
    assert_eq!(sum(&|v| v["sub_issues"]["parents"].as_u64().unwrap()), 2);
    assert_eq!(sum(&|v| v["sub_issues"]["total"].as_u64().unwrap()), 5);
    assert_eq!(sum(&|v| v["sub_issues"]["completed"].as_u64().unwrap()), 1);
    assert_eq!(sum(&|v| v["children"].as_u64().unwrap()), 4, "71 is closed");
    assert_eq!(sum(&|v| v["blocked"].as_u64().unwrap()), 1);
    assert_eq!(sum(&|v| v["blocking"].as_u64().unwrap()), 1);
    assert_eq!(sum(&|v| v["locked"].as_u64().unwrap()), 1);
    let blocked: Vec<u64> = tracks
        .iter()
        .flat_map(|v| numbers(&v["blocked_issues"]))
        .collect();
    assert_eq!(blocked, world.kind("blocked"));
    let issues = sum(&|v| v["issues"].as_u64().unwrap());
    let untyped = sum(&|v| v["untyped"].as_u64().unwrap());
    assert_eq!(untyped + ty("Bug") + ty("Task") + ty("Feature"), issues);
}

/// Between two scans, an issue is transferred, one deleted and one hidden from this token:
/// the second scan reads the previous scan's managed issues that vanished, one by one, and
/// says what became of each (the transferred one with its new page). The first scan's gaps
/// are not reported again.
#[test]
fn issues_gone_between_two_runs_are_transferred_deleted_or_not_visible() {
    let world = demo(|_| {});
    world.run(BIN, "1", &[], &[]).expect_code(0);
    let to = world
        .sandbox
        .transfer_issue("acme/widgets", 100, "acme/gadgets")
        .expect("transfer");
    world
        .sandbox
        .delete_issue("acme/widgets", 101)
        .expect("delete");
    world
        .sandbox
        .set_issue("acme/widgets", 104, &json!({"not_visible": true}))
        .expect("hide");
    world.sandbox.reset_stats();
    world.run(BIN, "2", &[], &[]).expect_code(0);
    let t = world.telemetry("integrity", "2");
    assert_eq!(t["baseline"], "previous");
    let gone: BTreeSet<(String, Option<u64>)> = found(&t)
        .into_iter()
        .filter(|(k, _)| {
            ["transferred", "deleted", "not_visible", "unlisted"].contains(&k.as_str())
        })
        .collect();
    let expected: BTreeSet<(String, Option<u64>)> = [
        ("transferred".to_owned(), Some(100)),
        ("deleted".to_owned(), Some(101)),
        ("not_visible".to_owned(), Some(104)),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        gone, expected,
        "280 and 281 were reported by the first scan only"
    );
    assert_eq!(
        t["scanned"]["checked"], 3,
        "only the three vanished managed issues"
    );
    let moved = first(&t, "transferred");
    assert!(
        moved["moved_to"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/acme/gadgets/issues/{to}"))),
        "{moved:#}"
    );
    // Its Project item moved with it (another repository's now); the deleted and the hidden
    // issues' items point at nothing.
    let all = found(&t);
    assert!(
        all.contains(&("project_item_foreign".into(), None)),
        "{all:?}"
    );
    assert_eq!(t["counts"]["project_item_orphaned"], 3, "281, 101 and 104");
    // None of the three is in the baseline any more: a third scan checks nothing.
    world.run(BIN, "3", &[], &[]).expect_code(0);
    let third = world.telemetry("integrity", "3");
    assert_eq!(third["scanned"]["checked"], 0);
    assert_no_write(&world);
}

/// Every other kind, planted through the sandbox's controls on a second scan, found with its
/// exact number.
#[test]
fn every_planted_kind_is_found_with_its_number() {
    let world = demo(|o| {
        o.hide_from_rest = vec![130];
        o.hide_from_graphql = vec![131];
    });
    world.run(BIN, "1", &[], &[]).expect_code(0);
    let set = |n: u32, v: Value| world.sandbox.set_issue("acme/widgets", n, &v).expect("set");
    set(132, json!({"quirk": "unknown_state_reason"}));
    set(
        133,
        json!({"labels": ["codex", "codex-trackmain", "gone-label"]}),
    );
    set(134, json!({"milestone": 99}));
    set(135, json!({"quirk": "milestone_without_number"}));
    set(136, json!({"quirk": "no_title"}));
    set(
        137,
        json!({"hidden_from_rest": true, "hidden_from_graphql": true}),
    );
    admin(
        &world,
        "label",
        &json!({"repo": "acme/widgets", "name": "codex-trackdashboard", "rename": "Codex-TrackDashboard"}),
    );
    world
        .sandbox
        .set_issue("acme/gadgets", 1, &json!({"in_project": true}))
        .expect("a foreign item");
    world
        .run(BIN, "2", &[("CODEX_PROJECT_ITEM_LIMIT", "100")], &[])
        .expect_code(0);
    let t = world.telemetry("integrity", "2");
    let all = found(&t);
    for expected in [
        ("graphql_only", Some(130)),
        ("rest_only", Some(131)),
        ("count_mismatch", None),
        ("state_unknown", Some(132)),
        ("label_undefined", Some(133)),
        ("milestone_unknown", Some(134)),
        ("milestone_malformed", Some(135)),
        ("title_missing", Some(136)),
        ("unlisted", Some(137)),
        ("label_case", None),
        ("project_item_foreign", None),
        ("project_near_limit", None),
    ] {
        assert!(
            all.contains(&(expected.0.to_owned(), expected.1)),
            "{expected:?} not in {all:#?}"
        );
    }
    let case = first(&t, "label_case");
    assert!(
        case["detail"]
            .as_str()
            .unwrap()
            .contains("Codex-TrackDashboard")
    );
    assert_no_write(&world);
}

/// The pipeline runs integrity after project-sync, and the dashboard carries its telemetry.
#[test]
fn the_pipeline_runs_integrity_and_the_dashboard_shows_it() {
    let world = demo(|_| {});
    let run = world.run("codex", "p", &[], &["pipeline", "--dry-run"]);
    run.expect_code(0);
    let table = &run.stdout[run
        .stdout
        .find("component        status")
        .expect("the table")..];
    let rows: Vec<&str> = table
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let at = |name: &str| rows.iter().position(|r| *r == name).expect(name);
    assert_eq!(at("integrity"), at("project-sync") + 1, "{table}");
    assert_eq!(at("supervisor"), at("integrity") + 1, "{table}");
    let dashboard = crate::common::read_dashboard(world.pages.path());
    assert_eq!(dashboard["integrity"]["component"], "integrity");
    assert!(dashboard["history"]["integrity"][0]["figures"]["findings"].as_u64() > Some(0));
}
