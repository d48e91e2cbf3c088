//! The components: one table of everything Codex knows about each of its eight programs (the
//! seven that write telemetry, and telemetry-merge, which reads it). The CLI (subcommands, binary
//! names, `--help`'s one-line abouts, who needs a token), the demo's order, the dispatch in
//! [`crate::jobs::run`], merge's dashboard keys, the workflows drift test and the dashboard's
//! component list (`docs/dashboard/app.js`, checked by a test) are all read from [`PIPELINE`].
//!
//! Adding a component: a variant of [`Component`] (if it writes telemetry), a row here, its job
//! module and its arm in [`crate::jobs::run`], then the CLI's `ComponentCommand` variant, its
//! `src/bin/` file and its workflow (the compiler and tests point at each).

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The seven components that write telemetry.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    /// `self-test`
    SelfTest,
    /// `cleaner`
    Cleaner,
    /// `sync` (project-sync)
    Sync,
    /// `integrity`
    Integrity,
    /// `supervisor`
    Supervisor,
    /// `activity`
    Activity,
    /// `diagnostics`
    Diagnostics,
}

/// One row of the component table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// The telemetry it writes, or `None` for telemetry-merge (which writes the dashboard).
    pub component: Option<Component>,
    /// The name in telemetry and in telemetry file names (`<name>-<run-id>.json`).
    pub name: &'static str,
    /// The binary: `codex-<...>`.
    pub binary: &'static str,
    /// The subcommand of `codex`; also the name in summaries and the demo's table.
    pub subcommand: &'static str,
    /// Other names the subcommand answers to.
    pub aliases: &'static [&'static str],
    /// The key in `dashboard.json` (`None`: not on the dashboard).
    pub dashboard_key: Option<&'static str>,
    /// The dashboard's heading for it.
    pub title: &'static str,
    /// `--help`'s one line.
    pub about: &'static str,
    /// Whether it needs `GH_CI_PAT` or `GITHUB_TOKEN` (telemetry-merge reads only files).
    pub needs_token: bool,
    /// Its workflow under `.github/workflows/`.
    pub workflow: &'static str,
}

impl Info {
    /// Whether it writes a telemetry file.
    pub const fn writes_telemetry(&self) -> bool {
        self.component.is_some()
    }
}

/// Every component, in the pipeline's order (the reference's, and
/// `.github/workflows/codex-pipeline.yml`'s): diagnostics before the merge so the dashboard
/// shows it. Rows of telemetry writers come first, in [`Component`]'s declaration order
/// (checked at compile time), so [`Component::info`] is an index.
pub const PIPELINE: [Info; 8] = [
    Info {
        component: Some(Component::SelfTest),
        name: "self-test",
        binary: "codex-self-test",
        subcommand: "self-test",
        aliases: &[],
        dashboard_key: Some("selftest"),
        title: "Self-test",
        about: "Create a self-test issue, check token permissions and milestone, verify by reading back",
        needs_token: true,
        workflow: "codex-self-test.yml",
    },
    Info {
        component: Some(Component::Cleaner),
        name: "cleaner",
        binary: "codex-cleaner",
        subcommand: "cleaner",
        aliases: &[],
        dashboard_key: Some("cleaner"),
        title: "Cleaner",
        about: "Close (or --delete) stale self-test issues; prune old telemetry files",
        needs_token: true,
        workflow: "codex-cleaner-selftest.yml",
    },
    Info {
        component: Some(Component::Sync),
        name: "sync",
        binary: "codex-project-sync",
        subcommand: "project-sync",
        aliases: &["sync"],
        dashboard_key: Some("sync"),
        title: "Project sync",
        about: "Enumerate issues by REST and repair missing codex label, track label, milestone and Project membership; report integrity findings",
        needs_token: true,
        workflow: "codex-project-sync.yml",
    },
    Info {
        component: Some(Component::Integrity),
        name: "integrity",
        binary: "codex-integrity",
        subcommand: "integrity",
        aliases: &[],
        dashboard_key: Some("integrity"),
        title: "Integrity",
        about: "Scan for malformed, hidden, transferred and deleted issues and broken Project items; writes nothing",
        needs_token: true,
        workflow: "codex-integrity.yml",
    },
    Info {
        component: Some(Component::Supervisor),
        name: "supervisor",
        binary: "codex-supervisor",
        subcommand: "supervisor",
        aliases: &[],
        dashboard_key: Some("supervisor"),
        title: "Supervisor",
        about: "Per-track health (main, dashboard) and deterioration against the previous run",
        needs_token: true,
        workflow: "codex-supervisor.yml",
    },
    Info {
        component: Some(Component::Activity),
        name: "activity",
        binary: "codex-activity",
        subcommand: "activity",
        aliases: &[],
        dashboard_key: Some("activity"),
        title: "Activity",
        about: "Classify open managed issues active / stale / escalation per track",
        needs_token: true,
        workflow: "codex-activity-engine.yml",
    },
    Info {
        component: Some(Component::Diagnostics),
        name: "diagnostics",
        binary: "codex-diagnostics",
        subcommand: "diagnostics",
        aliases: &[],
        dashboard_key: Some("diagnostics"),
        title: "Diagnostics",
        about: "Check variables, labels, milestones, Project and gh-pages layout; --repair creates what is missing",
        needs_token: true,
        workflow: "codex-diagnostics.yml",
    },
    Info {
        component: None,
        name: "telemetry-merge",
        binary: "codex-telemetry-merge",
        subcommand: "telemetry-merge",
        aliases: &[],
        dashboard_key: None,
        title: "Telemetry merge",
        about: "Merge the latest telemetry of every component into dashboard/dashboard.json and write the dashboard (no token needed)",
        needs_token: false,
        workflow: "codex-telemetry-merge.yml",
    },
];

/// telemetry-merge's row.
pub const TELEMETRY_MERGE: &Info = &PIPELINE[7];

// The first seven rows are the seven telemetry writers in declaration order; the last is the merge.
const _: () = {
    let mut i = 0;
    while i < PIPELINE.len() {
        let ok = match PIPELINE[i].component {
            Some(c) => c as usize == i,
            None => i == PIPELINE.len() - 1,
        };
        assert!(ok, "PIPELINE rows out of order");
        i += 1;
    }
};

impl Component {
    /// Every component that writes telemetry, in pipeline order.
    pub const ALL: [Component; 7] = {
        let mut out = [Component::SelfTest; 7];
        let mut i = 0;
        while i < out.len() {
            if let Some(c) = PIPELINE[i].component {
                out[i] = c;
            }
            i += 1;
        }
        out
    };

    /// Its row of [`PIPELINE`].
    pub const fn info(self) -> &'static Info {
        &PIPELINE[self as usize]
    }

    /// The name in telemetry and file names: `<name>-<run-id>.json`.
    pub const fn name(self) -> &'static str {
        self.info().name
    }

    /// The key in `dashboard.json`.
    pub fn dashboard_key(self) -> &'static str {
        self.info()
            .dashboard_key
            .expect("every telemetry-writing component is on the dashboard")
    }

    /// The component a telemetry file name belongs to, and the run id in it.
    pub fn parse_file_name(file_name: &str) -> Option<(Component, &str)> {
        let stem = file_name.strip_suffix(".json")?;
        Component::ALL.into_iter().find_map(|c| {
            let run = stem.strip_prefix(c.name())?.strip_prefix('-')?;
            (!run.is_empty()).then_some((c, run))
        })
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Write a unit enum variant as the word its serde name is (`warning`, `healthy`, …), honouring
/// width and alignment: what logs and summaries print is what telemetry says.
pub(crate) fn fmt_serde_name<T: Serialize + fmt::Debug>(
    value: &T,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(word)) => f.pad(&word),
        _ => write!(f, "{value:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_names_are_the_table_names() {
        for c in Component::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.name());
            assert_eq!(c.to_string(), c.name());
            assert_eq!(c.info().component, Some(c));
        }
        assert_eq!(
            serde_json::from_str::<Component>("\"sync\"").unwrap(),
            Component::Sync
        );
        assert!(serde_json::from_str::<Component>("\"telemetry-merge\"").is_err());
    }

    #[test]
    fn the_table_is_consistent() {
        let distinct = |f: fn(&Info) -> &'static str| {
            let set: std::collections::BTreeSet<&str> = PIPELINE.iter().map(f).collect();
            set.len() == PIPELINE.len()
        };
        assert!(distinct(|i| i.name));
        assert!(distinct(|i| i.binary));
        assert!(distinct(|i| i.workflow));
        assert!(distinct(|i| i.title));
        for info in &PIPELINE {
            assert_eq!(info.binary, format!("codex-{}", info.subcommand));
            assert_eq!(info.dashboard_key.is_some(), info.writes_telemetry());
            assert!(!info.about.contains('\n') && !info.about.ends_with('.'));
        }
        let subcommands: std::collections::BTreeSet<&str> = PIPELINE
            .iter()
            .flat_map(|i| std::iter::once(i.subcommand).chain(i.aliases.iter().copied()))
            .collect();
        assert_eq!(subcommands.len(), PIPELINE.len() + 1, "one alias: sync");
        assert_eq!(TELEMETRY_MERGE.name, "telemetry-merge");
        assert!(!TELEMETRY_MERGE.needs_token);
        assert_eq!(
            Component::ALL.map(Component::dashboard_key),
            [
                "selftest",
                "cleaner",
                "sync",
                "integrity",
                "supervisor",
                "activity",
                "diagnostics"
            ]
        );
    }

    /// The dashboard's list of components (`docs/dashboard/app.js`, served as is) is this
    /// table's: same keys, same titles, same order.
    #[test]
    fn the_dashboard_lists_the_table() {
        let app = include_str!("../../../docs/dashboard/app.js");
        let start = app
            .find("const COMPONENTS = [\n")
            .expect("app.js has const COMPONENTS");
        let block = &app[start..];
        let block = &block[..block.find("];").expect("COMPONENTS ends") + 2];
        let mut expected = String::from("const COMPONENTS = [\n");
        for c in Component::ALL {
            expected.push_str(&format!(
                "    {{ key: {:?}, name: {:?} }},\n",
                c.dashboard_key(),
                c.info().title
            ));
        }
        expected.push_str("  ];");
        assert_eq!(
            block, expected,
            "docs/dashboard/app.js's COMPONENTS must be:\n  {expected}"
        );
    }

    #[test]
    fn file_names_parse_to_their_component() {
        assert_eq!(
            Component::parse_file_name("sync-42.json"),
            Some((Component::Sync, "42"))
        );
        assert_eq!(
            Component::parse_file_name("self-test-7-r2.json"),
            Some((Component::SelfTest, "7-r2"))
        );
        assert_eq!(Component::parse_file_name("sync-.json"), None);
        assert_eq!(Component::parse_file_name("telemetry-merge-1.json"), None);
        assert_eq!(Component::parse_file_name("dashboard.json"), None);
        assert_eq!(Component::parse_file_name("sync-1.json.tmp"), None);
    }
}
