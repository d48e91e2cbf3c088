//! `codex-activity` thresholds at their boundaries (per track) and `codex-supervisor`
//! deterioration across runs, with the repository changed between them.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use serde_json::Value;

use crate::common::{REPO, World, strings};

/// number → (status, days_inactive) of one track's list.
fn statuses(list: &Value) -> BTreeMap<u64, (String, u64)> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|i| {
            (
                i["number"].as_u64().expect("number"),
                (
                    i["status"].as_str().expect("status").to_owned(),
                    i["days_inactive"].as_u64().expect("days"),
                ),
            )
        })
        .collect()
}

#[test]
fn activity_thresholds_apply_per_track_at_their_boundaries() {
    let world = World::demo();
    let (day, hour) = (Duration::days(1), Duration::hours(1));
    // Main track: stale from 10 days, escalated from 20. Dashboard: 3 and 5.
    let ages = [
        (105, day * 10 - hour),
        (106, day * 10 + hour),
        (107, day * 20 - hour),
        (109, day * 20 + hour),
        (108, day * 3 - hour),
        (112, day * 3 + hour),
        (116, day * 5 - hour),
        (120, day * 5 + hour),
    ];
    let now = Utc::now();
    world.sandbox.with_state(|s| {
        for (n, age) in ages {
            assert!(s.set_updated_at(REPO, n, now - age));
        }
    });
    let vars = [
        ("CODEX_MAIN_STALE_DAYS", "10"),
        ("CODEX_MAIN_ESCALATION_DAYS", "20"),
        ("CODEX_DASHBOARD_STALE_DAYS", "3"),
        ("CODEX_DASHBOARD_ESCALATION_DAYS", "5"),
    ];
    world
        .run("codex-activity", "custom", &vars, &[])
        .expect_code(0);
    let t = world.telemetry("activity", "custom");
    let main = statuses(&t["main"]);
    let dash = statuses(&t["dashboard"]);
    let at = |m: &BTreeMap<u64, (String, u64)>, n: u64| {
        m.get(&n)
            .cloned()
            .unwrap_or_else(|| panic!("#{n} not listed"))
    };
    // Active issues are counted in the summary, not listed.
    assert!(!main.contains_key(&105), "#105 is active: not listed");
    assert_eq!(at(&main, 106), ("stale".into(), 10));
    assert_eq!(at(&main, 107), ("stale".into(), 19));
    assert_eq!(at(&main, 109), ("escalation".into(), 20));
    assert!(!dash.contains_key(&108), "#108 is active: not listed");
    assert_eq!(at(&dash, 112), ("stale".into(), 3));
    assert_eq!(at(&dash, 116), ("stale".into(), 4));
    assert_eq!(at(&dash, 120), ("escalation".into(), 5));

    // Only managed issues are listed, each once; the summary counts the lists (and the
    // active issues, which are not listed).
    let unmanaged: Vec<u64> = ["pull_request", "closed", "selftest"]
        .iter()
        .flat_map(|k| world.kind(k))
        .collect();
    for n in &unmanaged {
        assert!(
            !main.contains_key(n) && !dash.contains_key(n),
            "#{n} is not managed"
        );
    }
    assert!(main.keys().all(|n| !dash.contains_key(n)));
    for (track, list) in [("main", &main), ("dashboard", &dash)] {
        let count = |s: &str| list.values().filter(|(st, _)| st == s).count() as u64;
        let summary = &t["summary"][track];
        assert_eq!(count("active"), 0, "{track}: no active issue listed");
        assert!(summary["active"].as_u64() > Some(0), "{track}");
        assert_eq!(summary["stale"].as_u64(), Some(count("stale")), "{track}");
        assert_eq!(
            summary["escalation"].as_u64(),
            Some(count("escalation")),
            "{track}"
        );
    }
    // Oldest first.
    let days: Vec<u64> = t["main"]
        .as_array()
        .expect("main")
        .iter()
        .filter_map(|i| i["days_inactive"].as_u64())
        .collect();
    assert!(days.windows(2).all(|w| w[0] >= w[1]), "{days:?}");

    // The defaults (14 / 30) classify the same issues differently.
    world
        .run("codex-activity", "defaults", &[], &[])
        .expect_code(0);
    let t = world.telemetry("activity", "defaults");
    assert!(
        !statuses(&t["main"]).contains_key(&106),
        "active: not listed"
    );
    assert_eq!(statuses(&t["main"])[&109].0, "stale");
    assert!(
        !statuses(&t["dashboard"]).contains_key(&120),
        "active: not listed"
    );
}

/// Per track, managed issues without the codex label and without a milestone, from the
/// sandbox's own state.
fn truly_missing(world: &World) -> (BTreeMap<&'static str, u64>, BTreeMap<&'static str, u64>) {
    let mut codex = BTreeMap::from([("main", 0), ("dashboard", 0)]);
    let mut milestone = codex.clone();
    for i in world.repo_state()["issues"].as_array().expect("issues") {
        let labels = strings(&i["labels"]);
        let has = |l: &str| labels.iter().any(|x| x == l);
        let managed = i["state"] == "open"
            && i["is_pull_request"] == false
            && !has("codex-selftest")
            && i["milestone"] != "Codex Internal";
        if !managed {
            continue;
        }
        let title_dash = i["title"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase()
            .contains("dashboard");
        let track = match (has("codex-trackmain"), has("codex-trackdashboard")) {
            (true, false) => "main",
            (false, true) => "dashboard",
            _ if title_dash => "dashboard",
            _ => "main",
        };
        if !has("codex") {
            *codex.get_mut(track).expect("track") += 1;
        }
        if i["milestone"].is_null() {
            *milestone.get_mut(track).expect("track") += 1;
        }
    }
    (codex, milestone)
}

#[test]
fn supervisor_reports_deterioration_against_the_previous_run() {
    let world = World::demo();
    world
        .run("codex-supervisor", "first", &[], &[])
        .expect_code(0);
    let first = world.telemetry("supervisor", "first");
    assert_eq!(first["deteriorating"], false);
    assert_eq!(first["tracks"]["main"]["previous_problems"], Value::Null);
    let main_before = first["tracks"]["main"]["problems"]
        .as_u64()
        .expect("problems");
    let dash_before = first["tracks"]["dashboard"]["problems"]
        .as_u64()
        .expect("problems");
    // The counts match the repository (labels hidden by a payload quirk are still counted as
    // present, as they are).
    let (codex, milestone) = truly_missing(&world);
    for track in ["main", "dashboard"] {
        let t = &first["tracks"][track];
        assert_eq!(
            t["missing_codex_label"].as_u64(),
            Some(codex[track]),
            "{track}"
        );
        assert_eq!(
            t["missing_milestone"].as_u64(),
            Some(milestone[track]),
            "{track}"
        );
    }
    assert!(
        ["healthy", "degraded", "failing"]
            .contains(&first["tracks"]["main"]["health"].as_str().unwrap_or(""))
    );

    // Worse on the main track: three issues lose their codex label.
    world.sandbox.with_state(|s| {
        for n in [105, 106, 107] {
            assert!(s.set_labels(REPO, n, &["codex-trackmain"]));
        }
    });
    world
        .run("codex-supervisor", "second", &[], &[])
        .expect_code(0);
    let second = world.telemetry("supervisor", "second");
    let main = &second["tracks"]["main"];
    assert_eq!(main["problems"].as_u64(), Some(main_before + 3));
    assert_eq!(
        main["missing_codex_label"].as_u64(),
        first["tracks"]["main"]["missing_codex_label"]
            .as_u64()
            .map(|m| m + 3)
    );
    assert_eq!(main["previous_problems"].as_u64(), Some(main_before));
    assert_eq!(main["deteriorating"], true);
    assert_eq!(second["tracks"]["dashboard"]["deteriorating"], false);
    assert_eq!(
        second["tracks"]["dashboard"]["previous_problems"].as_u64(),
        Some(dash_before)
    );
    assert_eq!(second["deteriorating"], true);
    assert_eq!(second["status"], "warning");
    assert!(
        strings(&second["warnings"])
            .iter()
            .any(|w| w.contains("deteriorating"))
    );
    assert_ne!(main["health"], "healthy");

    // No change since: no longer deteriorating.
    world
        .run("codex-supervisor", "third", &[], &[])
        .expect_code(0);
    let third = world.telemetry("supervisor", "third");
    assert_eq!(third["deteriorating"], false);
    assert_eq!(
        third["tracks"]["main"]["previous_problems"].as_u64(),
        Some(main_before + 3)
    );

    // Repaired again: problems back to the first run's, no deterioration.
    world.sandbox.with_state(|s| {
        for n in [105, 106, 107] {
            assert!(s.set_labels(REPO, n, &["codex", "codex-trackmain"]));
        }
    });
    world
        .run("codex-supervisor", "fourth", &[], &[])
        .expect_code(0);
    let fourth = world.telemetry("supervisor", "fourth");
    assert_eq!(fourth["deteriorating"], false);
    assert_eq!(
        fourth["tracks"]["main"]["problems"].as_u64(),
        Some(main_before)
    );
}
