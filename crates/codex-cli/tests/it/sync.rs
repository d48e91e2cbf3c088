//! `codex-project-sync` end to end: every managed issue repaired, everything else left alone,
//! idempotent, dry-run plans what the real run makes, and human edits are never clobbered.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};

use codex_sandbox::{SandboxOptions, Scenario};
use serde_json::Value;

use crate::common::{REPO, World, numbers, strings};

const MAIN: &str = "codex-trackmain";
const DASH: &str = "codex-trackdashboard";

/// One issue of `/_sandbox/state`, reduced to what sync looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    title: String,
    open: bool,
    pr: bool,
    labels: BTreeSet<String>,
    milestone: Option<String>,
    in_project: bool,
}

fn snapshot(world: &World) -> BTreeMap<u64, Seen> {
    let state = world.sandbox.state();
    let members: BTreeSet<u64> = numbers(&state["projects"][0]["numbers"])
        .into_iter()
        .collect();
    let repo = world.repo_state();
    repo["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| {
            let n = i["number"].as_u64().expect("number");
            let seen = Seen {
                title: i["title"].as_str().unwrap_or_default().to_owned(),
                open: i["state"] == "open",
                pr: i["is_pull_request"] == true,
                labels: strings(&i["labels"]).into_iter().collect(),
                milestone: i["milestone"].as_str().map(str::to_owned),
                in_project: members.contains(&n),
            };
            (n, seen)
        })
        .collect()
}

fn managed(i: &Seen) -> bool {
    i.open
        && !i.pr
        && !i.labels.contains("codex-selftest")
        && i.milestone.as_deref() != Some("Codex Internal")
}

fn title_track(title: &str) -> &'static str {
    if title.to_lowercase().contains("dashboard") {
        DASH
    } else {
        MAIN
    }
}

fn milestone_of(track: &str) -> &'static str {
    if track == DASH {
        "Codex Dashboard Track"
    } else {
        "Codex Main Track"
    }
}

/// The corrections sync owes a snapshot, computed independently of codex-core.
fn owed(before: &BTreeMap<u64, Seen>) -> Value {
    let (mut codex, mut main, mut dash, mut milestone, mut project) = (0, 0, 0, 0, 0);
    for i in before.values().filter(|i| managed(i)) {
        let tracks = [MAIN, DASH]
            .iter()
            .filter(|t| i.labels.contains(**t))
            .count();
        if !i.labels.contains("codex") {
            codex += 1;
        }
        if tracks == 0 {
            if title_track(&i.title) == MAIN {
                main += 1;
            } else {
                dash += 1;
            }
        }
        if i.milestone.is_none() && tracks < 2 {
            milestone += 1;
        }
        if !i.in_project {
            project += 1;
        }
    }
    serde_json::json!({"codex_label": codex, "track_main": main, "track_dashboard": dash,
        "milestone": milestone, "project_adjustments": project})
}

/// `details` as number → changes.
fn details(telemetry: &Value) -> BTreeMap<u64, Vec<String>> {
    telemetry["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| {
            (
                d["number"].as_u64().expect("number"),
                strings(&d["changes"]),
            )
        })
        .collect()
}

#[test]
fn sync_repairs_every_managed_issue_and_leaves_the_rest_alone() {
    let world = World::demo();
    // What people did before the run: a milestone of their choosing on an issue whose track
    // says otherwise, and a label of their own on a bare issue.
    let (person_milestone, person_label) = (220, 265);
    world.sandbox.with_state(|s| {
        assert!(s.set_milestone(REPO, person_milestone, Some("Codex Main Track")));
        assert!(s.set_labels(REPO, person_label, &["bug", "needs-design"]));
    });
    let before = snapshot(&world);
    let expected = owed(&before);
    assert!(expected["codex_label"].as_u64() > Some(10), "{expected}");

    // Dry-run, by flag and by variable: no write, the same plan.
    world.sandbox.reset_stats();
    world
        .run("codex-project-sync", "dry-flag", &[], &["--dry-run"])
        .expect_code(0);
    world
        .run(
            "codex-project-sync",
            "dry-env",
            &[("CODEX_DRY_RUN", "true")],
            &[],
        )
        .expect_code(0);
    assert_eq!(
        world.writes(),
        0,
        "dry-run wrote: {}",
        world.sandbox.stats()
    );
    assert_eq!(snapshot(&world), before, "dry-run changed the repository");
    let dry_flag = world.telemetry("sync", "dry-flag");
    let dry_env = world.telemetry("sync", "dry-env");
    assert_eq!(dry_flag["dry_run"], true);
    assert_eq!(dry_env["dry_run"], true);
    assert_eq!(dry_flag["api"]["mutations"], 0);

    // The real run.
    world.sandbox.reset_stats();
    let real = world.run("codex-project-sync", "real", &[], &[]);
    real.expect_code(0);
    let first = world.telemetry("sync", "real");
    assert_eq!(first["dry_run"], false);
    assert_eq!(
        first["corrections"], expected,
        "corrections owed by the snapshot"
    );
    assert_eq!(
        dry_flag["corrections"], first["corrections"],
        "dry-run plans what the run makes"
    );
    assert_eq!(dry_env["corrections"], first["corrections"]);
    assert_eq!(details(&dry_flag), details(&first));
    assert_eq!(details(&dry_env), details(&first));
    assert_eq!(
        Some(world.writes()),
        first["api"]["mutations"].as_u64(),
        "telemetry counts the writes the sandbox saw"
    );
    assert_eq!(
        numbers(&first["track_conflicts"]),
        world.kind("both_tracks")
    );
    assert!(real.stdout.contains("sync: scanned"), "{}", real.stdout);

    let after = snapshot(&world);
    for (n, was) in &before {
        let now = after.get(n).unwrap_or_else(|| panic!("#{n} vanished"));
        assert!(
            now.labels.is_superset(&was.labels),
            "#{n} lost a label: {was:?} → {now:?}"
        );
        if was.milestone.is_some() {
            assert_eq!(
                now.milestone, was.milestone,
                "#{n}: a set milestone was replaced"
            );
        }
        if !managed(was) {
            assert_eq!(now, was, "#{n} is not managed and must be left alone");
            continue;
        }
        let had: Vec<&str> = [MAIN, DASH]
            .into_iter()
            .filter(|t| was.labels.contains(*t))
            .collect();
        if had.len() == 2 {
            assert_eq!(
                now.labels,
                was.labels
                    .iter()
                    .cloned()
                    .chain(["codex".to_owned()])
                    .collect(),
                "#{n}: both tracks: only codex may be added"
            );
            assert_eq!(now.milestone, was.milestone, "#{n}");
            continue;
        }
        assert!(now.labels.contains("codex"), "#{n} lacks codex: {now:?}");
        let track = had
            .first()
            .copied()
            .unwrap_or_else(|| title_track(&was.title));
        let tracks: Vec<&str> = [MAIN, DASH]
            .into_iter()
            .filter(|t| now.labels.contains(*t))
            .collect();
        assert_eq!(tracks, vec![track], "#{n} {:?}", was.title);
        let expected_milestone = was
            .milestone
            .clone()
            .unwrap_or_else(|| milestone_of(track).to_owned());
        assert_eq!(
            now.milestone.as_deref(),
            Some(expected_milestone.as_str()),
            "#{n}"
        );
        assert!(now.in_project, "#{n} is not in the Project");
    }
    // The people's choices survived.
    assert_eq!(after[&220].milestone.as_deref(), Some("Codex Main Track"));
    assert!(after[&220].labels.contains(DASH));
    assert!(
        ["bug", "needs-design", "codex"]
            .iter()
            .all(|l| after[&265].labels.contains(*l))
    );
    // Every kind the scenario calls unmanaged is untouched (checked above), and there are some.
    for kind in ["pull_request", "closed", "selftest"] {
        assert!(!world.kind(kind).is_empty(), "{kind}");
    }

    // A second run has nothing to do.
    world.sandbox.reset_stats();
    world
        .run("codex-project-sync", "again", &[], &[])
        .expect_code(0);
    let second = world.telemetry("sync", "again");
    assert_eq!(
        world.writes(),
        0,
        "second run wrote: {}",
        world.sandbox.stats()
    );
    assert_eq!(second["api"]["mutations"], 0);
    assert_eq!(
        second["corrections"],
        serde_json::json!({"codex_label": 0, "track_main": 0, "track_dashboard": 0, "milestone": 0, "project_adjustments": 0})
    );
    assert_eq!(second["details"], serde_json::json!([]));
    assert_eq!(snapshot(&world), after);
}

/// The listing order of the sandbox: open issues and pull requests, oldest created first.
fn listing_order(world: &World) -> Vec<u64> {
    world.sandbox.with_state(|s| {
        let repo = s.repo(REPO).expect("repo");
        let mut open: Vec<(i64, u32)> = repo
            .issues()
            .iter()
            .filter(|i| i.open)
            .map(|i| (i.created_at, i.number))
            .collect();
        open.sort_unstable();
        open.into_iter().map(|(_, n)| u64::from(n)).collect()
    })
}

fn list_requests(world: &World) -> u64 {
    let stats = world.sandbox.stats();
    [
        "GET /repos/{owner}/{repo}/issues",
        "GET /repositories/{id}/issues",
    ]
    .iter()
    .filter_map(|r| stats["by_route"][*r].as_u64())
    .sum()
}

#[test]
fn sync_never_clobbers_an_edit_made_between_listing_and_apply() {
    let world = World::with(SandboxOptions {
        scenario: Scenario::Demo,
        off_spec: false,
        latency_ms: 2,
        ..SandboxOptions::default()
    });
    world
        .run("codex-project-sync", "plan", &[], &["--dry-run"])
        .expect_code(0);
    let plan: Vec<(u64, Vec<String>)> = details(&world.telemetry("sync", "plan"))
        .into_iter()
        .collect();
    // Apply order is listing order; pick, for each kind of edit, the target with the most
    // repairs before it on its page (the widest window between its listing and its apply).
    let order = listing_order(&world);
    let pages: BTreeMap<u64, usize> = order
        .iter()
        .enumerate()
        .map(|(k, n)| (*n, k / 100))
        .collect();
    let mut apply_order = plan.clone();
    apply_order.sort_by_key(|(n, _)| order.iter().position(|m| m == n));
    let window = |k: usize| {
        let page = pages[&apply_order[k].0];
        apply_order[..k]
            .iter()
            .filter(|(n, _)| pages[n] == page)
            .count()
    };
    let best = |want: &dyn Fn(&[String]) -> bool| {
        (0..apply_order.len())
            .filter(|k| want(&apply_order[*k].1))
            .max_by_key(|k| window(*k))
            .map(|k| (apply_order[k].0, window(k)))
            .expect("a target")
    };
    let (milestone_target, w1) = best(&|c| c == ["milestone"]);
    let (track_target, w2) = best(&|c| c.len() == 1 && (c[0] == MAIN || c[0] == DASH));
    assert!(
        w1 >= 5 && w2 >= 5,
        "targets too close to their page's start: {w1}, {w2}"
    );
    let planned_track = plan
        .iter()
        .find(|(n, _)| *n == track_target)
        .expect("planned")
        .1[0]
        .clone();
    let other_track = if planned_track == MAIN { DASH } else { MAIN };
    let target_labels = strings(&world.issue(track_target)["labels"]);
    let milestone_labels = strings(&world.issue(milestone_target)["labels"]);
    let other_milestone = if milestone_labels.iter().any(|l| l == DASH) {
        "Codex Main Track"
    } else {
        "Codex Dashboard Track"
    };

    // The real run, with a person editing both targets once their page has been listed.
    world.sandbox.reset_stats();
    let done = AtomicBool::new(false);
    let edited_at = std::thread::scope(|scope| {
        let editor = scope.spawn(|| {
            let mut edits = vec![
                (pages[&milestone_target], true),
                (pages[&track_target], false),
            ];
            edits.sort_unstable();
            let mut seen = Vec::new();
            while !edits.is_empty() && !done.load(Ordering::SeqCst) {
                let listed = list_requests(&world);
                while let Some(&(page, milestone)) = edits.first() {
                    if listed < page as u64 + 1 {
                        break;
                    }
                    edits.remove(0);
                    world.sandbox.with_state(|s| {
                        if milestone {
                            assert!(s.set_milestone(
                                REPO,
                                milestone_target as u32,
                                Some(other_milestone)
                            ));
                        } else {
                            let mut labels: Vec<&str> =
                                target_labels.iter().map(String::as_str).collect();
                            labels.extend([other_track, "person-was-here"]);
                            assert!(s.set_labels(REPO, track_target as u32, &labels));
                        }
                    });
                    seen.push(listed);
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            seen
        });
        world
            .run("codex-project-sync", "real", &[], &[])
            .expect_code(0);
        done.store(true, Ordering::SeqCst);
        editor.join().expect("editor thread")
    });
    assert_eq!(edited_at.len(), 2, "both edits made during the run");

    let real = world.telemetry("sync", "real");
    let applied = details(&real);
    let m = world.issue(milestone_target);
    assert_eq!(
        m["milestone"], other_milestone,
        "#{milestone_target}: the person's milestone was replaced"
    );
    assert!(
        !applied
            .get(&milestone_target)
            .is_some_and(|c| c.contains(&"milestone".to_owned()))
    );
    let t = world.issue(track_target);
    let labels = strings(&t["labels"]);
    assert!(
        labels.contains(&other_track.to_owned()) && labels.contains(&"person-was-here".to_owned()),
        "{labels:?}"
    );
    assert!(
        !labels.contains(&planned_track),
        "#{track_target}: sync added a second track label: {labels:?}"
    );
    assert!(!numbers(&real["track_conflicts"]).contains(&track_target));
    // Everything else in the plan was made.
    for (n, changes) in &plan {
        if *n != milestone_target && *n != track_target {
            assert_eq!(applied.get(n), Some(changes), "#{n}");
        }
    }
}

/// The GraphQL mutation documents among the recorded exchanges from `from` on, each with how
/// many aliased additions it carried and how many of them the answer reports done.
fn mutation_documents(world: &World, from: usize) -> Vec<(usize, usize)> {
    world.sandbox.exchanges()[from..]
        .iter()
        .filter(|ex| ex.path == "/graphql")
        .filter_map(|ex| {
            let query = ex.request_body.as_ref()?["query"].as_str()?;
            query.trim_start().starts_with("mutation").then(|| {
                let added = query.matches("addProjectV2ItemById").count();
                let done = ex
                    .response_body
                    .as_ref()
                    .and_then(|b| b["data"].as_object())
                    .map_or(0, |d| {
                        d.values().filter(|v| v["item"]["id"].is_string()).count()
                    });
                (added, done)
            })
        })
        .collect()
}

#[test]
fn sync_adds_missing_project_members_twenty_to_a_request() {
    let world = World::with(SandboxOptions {
        scenario: Scenario::Demo,
        record: true,
        ..SandboxOptions::default()
    });
    let before = snapshot(&world);
    let owed_additions = owed(&before)["project_adjustments"].as_u64().unwrap() as usize;
    assert!(owed_additions > 20, "more than one batch: {owed_additions}");

    // Dry run: the additions are planned, none is sent.
    world.sandbox.reset_stats();
    world
        .run("codex-project-sync", "dry", &[], &["--dry-run"])
        .expect_code(0);
    assert_eq!(world.writes(), 0);
    assert!(mutation_documents(&world, 0).is_empty());
    let dry = world.telemetry("sync", "dry");
    assert_eq!(
        dry["corrections"]["project_adjustments"].as_u64(),
        Some(owed_additions as u64)
    );

    // The real run: ceil(K / 20) documents, every addition counted as one write.
    let from = world.sandbox.exchanges().len();
    world.sandbox.reset_stats();
    world
        .run("codex-project-sync", "real", &[], &[])
        .expect_code(0);
    let docs = mutation_documents(&world, from);
    assert_eq!(docs.len(), owed_additions.div_ceil(20), "{docs:?}");
    assert!(docs.iter().all(|(added, _)| *added <= 20), "{docs:?}");
    assert_eq!(docs.iter().map(|(a, _)| a).sum::<usize>(), owed_additions);
    assert_eq!(docs.iter().map(|(_, d)| d).sum::<usize>(), owed_additions);
    let real = world.telemetry("sync", "real");
    assert_eq!(
        Some(world.writes()),
        real["api"]["mutations"].as_u64(),
        "each addition of a document is one write"
    );
    assert_eq!(
        details(&real),
        details(&dry),
        "dry run plans what the run makes"
    );
    let after = snapshot(&world);
    assert!(
        after.values().filter(|i| managed(i)).all(|i| i.in_project),
        "every managed issue is in the Project"
    );

    // Nothing left: no document at all.
    let from = world.sandbox.exchanges().len();
    world
        .run("codex-project-sync", "again", &[], &[])
        .expect_code(0);
    assert!(mutation_documents(&world, from).is_empty());
}

#[test]
fn sync_reports_a_refused_project_addition_and_applies_the_rest_of_its_batch() {
    let world = World::with(SandboxOptions {
        scenario: Scenario::Demo,
        record: true,
        ..SandboxOptions::default()
    });
    let missing = world.kind("missing_project");
    let refused = missing[3];
    world
        .sandbox
        .set_issue(
            REPO,
            refused as u32,
            &serde_json::json!({"project_refused": true}),
        )
        .expect("planted");
    let owed_additions = owed(&snapshot(&world))["project_adjustments"]
        .as_u64()
        .unwrap() as usize;
    world.sandbox.reset_stats();
    world
        .run("codex-project-sync", "real", &[], &[])
        .expect_code(0);
    let docs = mutation_documents(&world, 0);
    assert_eq!(docs.len(), owed_additions.div_ceil(20), "{docs:?}");
    assert_eq!(
        docs.iter().map(|(_, d)| d).sum::<usize>(),
        owed_additions - 1,
        "every addition but the refused one applied"
    );
    let real = world.telemetry("sync", "real");
    assert_eq!(
        real["corrections"]["project_adjustments"].as_u64(),
        Some(owed_additions as u64 - 1)
    );
    let errors = strings(&real["errors"]);
    let about: Vec<&String> = errors
        .iter()
        .filter(|e| e.contains("adding to the Project"))
        .collect();
    assert_eq!(about.len(), 1, "{errors:?}");
    assert!(
        about[0].starts_with(&format!("#{refused}: adding to the Project")),
        "{about:?}"
    );
    assert!(about[0].contains("cannot be added"), "{about:?}");
    let after = snapshot(&world);
    assert!(!after[&refused].in_project);
    for n in missing.iter().filter(|n| **n != refused) {
        assert!(after[n].in_project, "#{n}");
    }
    assert!(
        !details(&real)
            .get(&refused)
            .is_some_and(|c| c.contains(&"project".to_owned()))
    );
    assert_eq!(
        Some(world.writes()),
        real["api"]["mutations"].as_u64().map(|m| m - 1)
    );
}

#[test]
fn sync_reads_the_project_beside_the_listing_at_most_two_at_a_time() {
    let world = World::with(SandboxOptions {
        scenario: Scenario::Demo,
        latency_ms: 25,
        ..SandboxOptions::default()
    });
    world
        .run("codex-project-sync", "side-by-side", &[], &["--dry-run"])
        .expect_code(0);
    let stats = world.sandbox.stats();
    assert_eq!(stats["max_in_flight"], 2, "{stats:#}");
    let requests = stats["requests"].as_u64();

    // One read at a time when the configuration says so: the same requests, one by one.
    world.sandbox.reset_stats();
    world
        .run(
            "codex-project-sync",
            "serial",
            &[("CODEX_READ_CONCURRENCY", "1")],
            &["--dry-run"],
        )
        .expect_code(0);
    let stats = world.sandbox.stats();
    assert_eq!(stats["max_in_flight"], 1, "{stats:#}");
    assert_eq!(stats["requests"].as_u64(), requests);
    assert_eq!(
        details(&world.telemetry("sync", "serial")),
        details(&world.telemetry("sync", "side-by-side"))
    );
}
