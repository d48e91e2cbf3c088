//! `codex-cleaner` end to end: retention and age at their boundaries, closing as
//! `not_planned`, `--delete` (and its fallback for a token that may not delete), and pruning.

use chrono::{Duration, Utc};
use codex_sandbox::StateReason;
use serde_json::json;

use crate::common::{REPO, World, fake_telemetry, numbers, strings, write_telemetry};

/// Give the demo's twelve self-test issues (#1–#12) creation dates: #n is `12 - n` hours old
/// (newest last), unless `ages` says otherwise.
fn age_selftests(world: &World, ages: &[(u32, Duration)]) {
    let now = Utc::now();
    world.sandbox.with_state(|s| {
        let repo = s.repo_mut(REPO).expect("repo");
        for n in 1..=12u32 {
            let age = ages
                .iter()
                .find(|(m, _)| *m == n)
                .map_or(Duration::hours(i64::from(12 - n)), |(_, a)| *a);
            let issue = repo.issue_mut(n).expect("self-test issue");
            assert!(
                issue.labels.len() == 2 && issue.milestone == Some(1),
                "#{n} is a self-test issue"
            );
            issue.created_at = (now - age).timestamp();
        }
    });
}

fn open_selftests(world: &World) -> Vec<u64> {
    (1..=12)
        .filter(|n| world.issue(*n)["state"] == "open")
        .collect()
}

fn reason(world: &World, n: u32) -> Option<StateReason> {
    world
        .sandbox
        .with_state(|s| s.issue(REPO, n).and_then(|i| i.state_reason))
}

#[test]
fn retention_keeps_exactly_the_newest_retain_and_closes_the_rest_as_not_planned() {
    let world = World::demo();
    age_selftests(&world, &[]);
    // Look-alikes that are not candidates: the label without the milestone, the milestone
    // without the label.
    let (no_milestone, no_label) = world.sandbox.with_state(|s| {
        (
            s.add_issue(
                REPO,
                "Codex self-test stray",
                &["codex", "codex-selftest"],
                None,
            )
            .expect("add"),
            s.add_issue(REPO, "Internal chore", &["codex"], Some("Codex Internal"))
                .expect("add"),
        )
    });
    let days = [("CODEX_SELFTEST_MAX_AGE_DAYS", "30")];

    // RETAIN equal to the number of candidates: nothing to do.
    world.sandbox.reset_stats();
    world
        .run(
            "codex-cleaner",
            "keep-all",
            &[days[0], ("CODEX_SELFTEST_RETAIN", "12")],
            &[],
        )
        .expect_code(0);
    let t = world.telemetry("cleaner", "keep-all");
    assert_eq!(t["candidates"], 12);
    assert_eq!(t["issues_closed"], json!([]));
    assert_eq!(world.writes(), 0);
    assert_eq!(open_selftests(&world).len(), 12);

    // One fewer: exactly the oldest goes.
    world
        .run(
            "codex-cleaner",
            "keep-11",
            &[days[0], ("CODEX_SELFTEST_RETAIN", "11")],
            &[],
        )
        .expect_code(0);
    let t = world.telemetry("cleaner", "keep-11");
    assert_eq!(numbers(&t["issues_closed"]), vec![1]);
    assert_eq!(t["status"], "ok");
    assert_eq!(open_selftests(&world), (2..=12).collect::<Vec<_>>());
    assert_eq!(reason(&world, 1), Some(StateReason::NotPlanned));

    // The default (5): the five newest stay.
    world
        .run("codex-cleaner", "default", &[days[0]], &[])
        .expect_code(0);
    let t = world.telemetry("cleaner", "default");
    assert_eq!(numbers(&t["issues_closed"]), (2..=7).collect::<Vec<_>>());
    assert_eq!(numbers(&t["kept"]), (8..=12).collect::<Vec<_>>());
    assert_eq!(open_selftests(&world), (8..=12).collect::<Vec<_>>());
    for n in 2..=7 {
        assert_eq!(reason(&world, n), Some(StateReason::NotPlanned), "#{n}");
    }

    // Zero: every candidate goes.
    world
        .run(
            "codex-cleaner",
            "keep-0",
            &[days[0], ("CODEX_SELFTEST_RETAIN", "0")],
            &[],
        )
        .expect_code(0);
    assert!(open_selftests(&world).is_empty());
    for n in [no_milestone, no_label] {
        assert_eq!(
            world.issue(u64::from(n))["state"],
            "open",
            "#{n} is not a candidate"
        );
    }
}

#[test]
fn age_closes_what_is_older_than_max_age_days_even_within_retain() {
    let world = World::demo();
    let seven = Duration::days(7);
    let minute = Duration::minutes(1);
    age_selftests(
        &world,
        &[
            (1, seven + minute),
            (2, seven - minute),
            (3, Duration::days(40)),
        ],
    );
    world
        .run(
            "codex-cleaner",
            "age",
            &[
                ("CODEX_SELFTEST_RETAIN", "100"),
                ("CODEX_SELFTEST_MAX_AGE_DAYS", "7"),
            ],
            &[],
        )
        .expect_code(0);
    let t = world.telemetry("cleaner", "age");
    assert_eq!(numbers(&t["issues_closed"]), vec![1, 3]);
    assert_eq!(
        open_selftests(&world),
        (2..=12).filter(|n| *n != 3).collect::<Vec<_>>()
    );
    assert_eq!(reason(&world, 3), Some(StateReason::NotPlanned));

    // Age 0: everything older than the run's start goes.
    world
        .run(
            "codex-cleaner",
            "age-0",
            &[
                ("CODEX_SELFTEST_RETAIN", "100"),
                ("CODEX_SELFTEST_MAX_AGE_DAYS", "0"),
            ],
            &[],
        )
        .expect_code(0);
    assert!(open_selftests(&world).is_empty());
}

#[test]
fn delete_deletes_and_falls_back_to_closing_for_a_token_that_may_not() {
    let world = World::demo();
    age_selftests(&world, &[]);
    let vars = [
        ("CODEX_SELFTEST_RETAIN", "10"),
        ("CODEX_SELFTEST_MAX_AGE_DAYS", "30"),
    ];
    assert_eq!(world.http_status("/repos/acme/widgets/issues/1"), 200);
    world
        .run("codex-cleaner", "delete", &vars, &["--delete"])
        .expect_code(0);
    let t = world.telemetry("cleaner", "delete");
    assert_eq!(numbers(&t["issues_deleted"]), vec![1, 2]);
    assert_eq!(t["issues_closed"], json!([]));
    assert_eq!(t["status"], "ok");
    assert_eq!(numbers(&world.repo_state()["deleted"]), vec![1, 2, 281]);
    assert_eq!(world.http_status("/repos/acme/widgets/issues/1"), 410);
    assert_eq!(world.http_status("/repos/acme/widgets/issues/2"), 410);
    assert_eq!(world.http_status("/repos/acme/widgets/issues/3"), 200);

    // The Actions token may not delete: it closes instead, with a warning.
    let vars = [
        ("CODEX_SELFTEST_RETAIN", "8"),
        ("CODEX_SELFTEST_MAX_AGE_DAYS", "30"),
    ];
    world
        .run_as(
            "codex-cleaner",
            "ghs_itactions0000000000000000000000000",
            "fallback",
            &vars,
            &["--delete"],
        )
        .expect_code(0);
    let t = world.telemetry("cleaner", "fallback");
    assert_eq!(t["issues_deleted"], json!([]));
    assert_eq!(numbers(&t["issues_closed"]), vec![3, 4]);
    assert_eq!(t["status"], "warning");
    let warnings = strings(&t["warnings"]);
    assert!(
        warnings.iter().any(|w| w.contains("may not delete")),
        "{warnings:?}"
    );
    assert_eq!(numbers(&world.repo_state()["deleted"]), vec![1, 2, 281]);
    assert_eq!(world.issue(3)["state"], "closed");
    assert_eq!(reason(&world, 4), Some(StateReason::NotPlanned));
}

#[test]
fn pruning_respects_max_age_and_never_removes_a_components_newest_file() {
    let world = World::demo();
    let pages = world.pages.path();
    let day = Duration::days(1);
    let hour = Duration::hours(1);
    let files = [
        // sync: two old, one new.
        ("sync", "old-40", day * 40),
        ("sync", "old-31", day * 31),
        ("sync", "new", day),
        // supervisor: only old files; the newest of them stays.
        ("supervisor", "ancient", day * 100),
        ("supervisor", "older", day * 90),
        // activity: either side of the 10-day boundary.
        ("activity", "inside", day * 10 - hour),
        ("activity", "outside", day * 10 + hour),
        ("activity", "newest", hour),
    ];
    for (component, run, age) in files {
        write_telemetry(pages, component, run, &fake_telemetry(component, run, age));
    }
    // Unreadable files are never pruned: a person may need them.
    std::fs::write(
        pages.join("telemetry/diagnostics-broken.json"),
        b"{ not json",
    )
    .expect("write");

    let vars = [
        ("CODEX_TELEMETRY_MAX_AGE_DAYS", "10"),
        ("CODEX_SELFTEST_MAX_AGE_DAYS", "3650"),
        ("CODEX_SELFTEST_RETAIN", "100"),
    ];
    world
        .run("codex-cleaner", "prune", &vars, &[])
        .expect_code(0);
    let t = world.telemetry("cleaner", "prune");
    let mut pruned = strings(&t["telemetry_pruned"]);
    pruned.sort();
    assert_eq!(
        pruned,
        [
            "activity-outside.json",
            "supervisor-ancient.json",
            "sync-old-31.json",
            "sync-old-40.json"
        ]
    );
    assert_eq!(t["telemetry_pruned_count"], 4);
    let left = world.telemetry_files();
    for kept in [
        "sync-new.json",
        "supervisor-older.json",
        "activity-inside.json",
        "activity-newest.json",
        "diagnostics-broken.json",
        "cleaner-prune.json",
    ] {
        assert!(left.contains(kept), "{kept} was pruned: {left:?}");
    }
    for gone in &pruned {
        assert!(!left.contains(gone), "{gone} is still there");
    }
    assert_eq!(t["issues_closed"], json!([]));

    // Dry-run reports but keeps.
    write_telemetry(
        pages,
        "sync",
        "stale",
        &fake_telemetry("sync", "stale", day * 60),
    );
    world
        .run("codex-cleaner", "prune-dry", &vars, &["--dry-run"])
        .expect_code(0);
    let t = world.telemetry("cleaner", "prune-dry");
    assert_eq!(strings(&t["telemetry_pruned"]), ["sync-stale.json"]);
    assert!(world.telemetry_files().contains("sync-stale.json"));
}
