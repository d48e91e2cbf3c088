//! The pipeline runner against the sandbox: what its progress observer hears adds up to what
//! the sandbox served (pages of every listing) and accepted (writes), per component and in all.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use codex_core::component::Info;
use codex_core::jobs;
use codex_core::jobs::pipeline::{self, Hooks, Step, StepOutcome};
use codex_core::{CommonArgs, Config, Needs, Observer, Progress, Stop};
use codex_sandbox::{Sandbox, SandboxOptions, Scenario};

use crate::common::TOKEN;

/// The last event of each kind one component's observer heard.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Last {
    pages: Option<(u64, Option<u64>)>,
    writes: Option<(u64, u64)>,
    events: u64,
}

#[derive(Default)]
struct Recorder(Mutex<Last>);

impl Observer for Recorder {
    fn pages_read(&self, done: u64, total: Option<u64>) {
        let mut last = self.0.lock().unwrap();
        if let Some((before, _)) = last.pages {
            assert!(done > before, "pages read only grow: {before} then {done}");
        }
        last.pages = Some((done, total));
        last.events += 1;
    }

    fn writes(&self, done: u64, planned: u64) {
        let mut last = self.0.lock().unwrap();
        assert!(done <= planned, "{done} writes done of {planned} planned");
        last.writes = Some((done, planned));
        last.events += 1;
    }
}

#[derive(Default)]
struct Recording {
    by_component: BTreeMap<&'static str, Arc<Recorder>>,
    finished: Vec<&'static str>,
}

impl Hooks for Recording {
    fn started(&mut self, info: &'static Info) -> Progress {
        let recorder = Arc::new(Recorder::default());
        self.by_component.insert(info.subcommand, recorder.clone());
        Progress::new(recorder)
    }

    fn finished(&mut self, step: &Step) {
        self.finished.push(step.info.subcommand);
    }
}

impl Recording {
    fn last(&self) -> BTreeMap<&'static str, Last> {
        self.by_component
            .iter()
            .map(|(name, r)| (*name, *r.0.lock().unwrap()))
            .collect()
    }
}

async fn run(sandbox: &Sandbox, pages: &std::path::Path, dry_run: bool) -> (Vec<Step>, Recording) {
    let args = CommonArgs {
        repo: Some("acme/widgets".into()),
        api_url: Some(sandbox.base_url()),
        pages_dir: Some(pages.to_path_buf()),
        run_id: Some(if dry_run { "dry" } else { "real" }.into()),
        dry_run,
        ..CommonArgs::default()
    };
    let lookup = |name: &str| (name == "GH_CI_PAT").then(|| TOKEN.to_owned());
    let config = Config::resolve(&args, &lookup, Needs { token: true }, Utc::now()).unwrap();
    let mut hooks = Recording::default();
    let steps = pipeline::run(
        &config,
        &jobs::Options::default(),
        &Stop::default(),
        &mut hooks,
    )
    .await;
    (steps, hooks)
}

/// Pages the sandbox served: GETs of the paginated routes (the first page of an issue listing
/// under `/repos/…`, the following ones under `/repositories/{id}/…`).
fn pages_served(stats: &serde_json::Value) -> u64 {
    [
        "GET /repos/{owner}/{repo}/issues",
        "GET /repositories/{id}/issues",
        "GET /repos/{owner}/{repo}/issues/{issue_number}/labels",
        "GET /repos/{owner}/{repo}/labels",
        "GET /repos/{owner}/{repo}/milestones",
        "GET /repos/{owner}/{repo}/actions/variables",
    ]
    .iter()
    .map(|route| stats["by_route"][route].as_u64().unwrap_or(0))
    .sum()
}

#[tokio::test]
async fn the_observer_hears_every_page_and_every_write_the_sandbox_saw() {
    let sandbox = Sandbox::start(SandboxOptions {
        scenario: Scenario::Demo,
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let pages = tempfile::tempdir().unwrap();

    // Dry run: the plans' writes are heard, none is sent.
    let (steps, hooks) = run(&sandbox, pages.path(), true).await;
    let names: Vec<&str> = steps.iter().map(|s| s.info.subcommand).collect();
    assert_eq!(hooks.finished, names, "finished once each, in order");
    assert_eq!(sandbox.stats()["writes"], 0);
    let last = hooks.last();
    let sync = last["project-sync"];
    let Some(StepOutcome::Ran(outcome)) = steps.get(2).map(|s| &s.outcome) else {
        panic!("sync ran");
    };
    let details = outcome.telemetry.fields["details"].as_array().unwrap();
    let planned: usize = details
        .iter()
        .map(|d| {
            let changes: Vec<&str> = d["changes"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|c| c.as_str())
                .collect();
            let labels = changes
                .iter()
                .any(|c| *c == "add_codex_label" || c.starts_with("codex-track"));
            usize::from(labels)
                + usize::from(changes.contains(&"milestone"))
                + usize::from(changes.contains(&"project"))
        })
        .sum();
    // Planned from the listing; an issue whose payload hid some labels is re-planned from its
    // labels read in full, and may need less.
    let hidden =
        sandbox.stats()["by_route"]["GET /repos/{owner}/{repo}/issues/{issue_number}/labels"]
            .as_u64()
            .unwrap();
    let (sent, heard_planned) = sync.writes.expect("sync planned writes");
    assert_eq!(sent, 0, "dry run: none sent");
    assert!(
        (planned as u64..=planned as u64 + hidden).contains(&heard_planned),
        "{heard_planned} planned, {planned} in the plans carried out, {hidden} issues re-read"
    );
    assert_eq!(last["cleaner"].writes, Some((0, 12)));
    assert_eq!(
        last["telemetry-merge"].events, 0,
        "the merge reads files only"
    );
    let heard: u64 = last.values().filter_map(|l| l.pages).map(|(d, _)| d).sum();
    assert_eq!(heard, pages_served(&sandbox.stats()));

    // The real run: every write sent is heard, and each plan is carried out in full.
    sandbox.reset_stats();
    let (_, hooks) = run(&sandbox, pages.path(), false).await;
    let stats = sandbox.stats();
    let last = hooks.last();
    let written: u64 = last.values().filter_map(|l| l.writes).map(|(d, _)| d).sum();
    assert!(written > 0);
    assert_eq!(written, stats["writes"].as_u64().unwrap());
    for (name, l) in &last {
        if let Some((done, planned)) = l.writes {
            assert!(done <= planned, "{name}: {done} sent of {planned} planned");
        }
        if let Some((done, total)) = l.pages {
            // Every length is known (GitHub's first page says it); self-test stops reading
            // recent issues once it has looked far enough back.
            assert!(
                total.is_some_and(|t| t >= done),
                "{name}: {done} of {total:?}"
            );
            if *name != "self-test" {
                assert_eq!(total, Some(done), "{name}: every listing read to its end");
            }
        }
    }
    assert_eq!(last["self-test"].writes, Some((1, 1)), "one issue created");
    assert_eq!(last["cleaner"].writes, Some((12, 12)), "twelve closed");
    assert_eq!(
        last["project-sync"].writes.map(|(d, _)| d),
        Some(planned as u64)
    );
    let heard: u64 = last.values().filter_map(|l| l.pages).map(|(d, _)| d).sum();
    assert_eq!(heard, pages_served(&stats));
}
