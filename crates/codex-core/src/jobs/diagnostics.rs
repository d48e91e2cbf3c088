//! Diagnostics: check the configuration Codex relies on (token, variables, labels, milestones,
//! Project, gh-pages), and with `--repair` create what is missing and safe to create (labels
//! and milestones), idempotently. Never fails: every finding is a check with a detail.

use std::collections::BTreeSet;

use crate::app::Credentials;
use crate::config::Settings;
use crate::env;
use crate::github::{Label, Milestone};
use crate::jobs::{Context, Outcome, Report, finish};
use crate::pages::PagesPath;
use crate::rules::{LABEL_CODEX, LABEL_SELFTEST, LABEL_TRACK_DASHBOARD, LABEL_TRACK_MAIN, Track};
use crate::telemetry::{Check, Component, DiagnosticsFields};

/// The labels Codex needs, with the colour and description `--repair` gives them.
pub const REQUIRED_LABELS: [(&str, &str, &str); 4] = [
    (LABEL_CODEX, "5319e7", "Managed by Codex"),
    (
        LABEL_TRACK_MAIN,
        "0e8a16",
        "Codex main track: architecture and workflows",
    ),
    (
        LABEL_TRACK_DASHBOARD,
        "1d76db",
        "Codex dashboard track: dashboard UI and telemetry",
    ),
    (
        LABEL_SELFTEST,
        "c5def5",
        "Created by Codex self-test; retired by the cleaner",
    ),
];

/// The variables diagnostics reports on.
pub const CHECKED_VARIABLES: [&str; 5] = [
    env::CODEX_MAIN_MILESTONE,
    env::CODEX_DASHBOARD_MILESTONE,
    env::CODEX_SELFTEST_MILESTONE,
    env::CODEX_PROJECT_TITLE,
    env::CODEX_PROJECT_OWNER,
];

/// Diagnostics options beyond the common flags.
#[derive(Debug, Clone, Default)]
pub struct DiagnosticsOptions {
    /// Create missing labels and milestones.
    pub repair: bool,
    /// Names of the `CODEX_*` variables present in the environment the workflow passed.
    pub env_set: BTreeSet<String>,
}

/// The milestones Codex needs, with descriptions.
pub fn required_milestones(settings: &Settings) -> Vec<(String, String)> {
    let mut out = vec![(
        settings.selftest_milestone.clone(),
        "Codex self-test and internal maintenance issues".to_owned(),
    )];
    for track in Track::ALL {
        out.push((
            settings.track(track).milestone.clone(),
            format!("Codex {} track", track.key()),
        ));
    }
    out
}

/// Label checks (pure).
pub fn label_checks(labels: &[Label]) -> Vec<Check> {
    REQUIRED_LABELS
        .iter()
        .map(|(name, _, _)| {
            let ok = labels.iter().any(|l| l.name.eq_ignore_ascii_case(name));
            Check {
                name: format!("label:{name}"),
                ok,
                detail: if ok {
                    "present".into()
                } else {
                    "missing: codex-diagnostics --repair creates it".into()
                },
            }
        })
        .collect()
}

/// Milestone checks (pure).
pub fn milestone_checks(milestones: &[Milestone], settings: &Settings) -> Vec<Check> {
    required_milestones(settings)
        .into_iter()
        .map(|(title, _)| {
            let found = milestones
                .iter()
                .filter(|m| m.title == title)
                .max_by_key(|m| m.open);
            let (ok, detail) = match found {
                Some(m) if m.open => (true, format!("open (#{})", m.number)),
                Some(m) => (false, format!("closed (#{}): reopen it", m.number)),
                None => (
                    false,
                    "missing: codex-diagnostics --repair creates it".into(),
                ),
            };
            Check {
                name: format!("milestone:{title}"),
                ok,
                detail,
            }
        })
        .collect()
}

/// Run diagnostics.
pub async fn run(ctx: &Context, opts: &DiagnosticsOptions) -> Outcome<DiagnosticsFields> {
    let mut report = Report::new(DiagnosticsFields::default());
    if opts.repair {
        repair(ctx, &mut report).await;
    }
    check(ctx, opts, &mut report).await;
    let failed = report.fields.checks.iter().filter(|c| !c.ok).count();
    if failed > 0 {
        report.warn(format!(
            "{failed} of {} checks failed",
            report.fields.checks.len()
        ));
    }
    report.say(format!(
        "diagnostics: {} checks, {failed} failed{}",
        report.fields.checks.len(),
        if report.fields.repaired.is_empty() {
            String::new()
        } else {
            format!("; repaired: {}", report.fields.repaired.join(", "))
        }
    ));
    finish(ctx, Component::Diagnostics, report)
}

async fn repair(ctx: &Context, report: &mut Report<DiagnosticsFields>) {
    let gh = ctx.github();
    let repo = ctx.repo();
    let verb = if gh.dry_run() {
        "would create"
    } else {
        "created"
    };
    match gh.labels(repo).await {
        Ok(labels) => {
            let missing: Vec<_> = REQUIRED_LABELS
                .iter()
                .filter(|(name, ..)| !labels.iter().any(|l| l.name.eq_ignore_ascii_case(name)))
                .collect();
            ctx.progress.plan_writes(missing.len() as u64);
            for (name, color, description) in missing {
                match gh.create_label(repo, name, color, description).await {
                    Ok(_) => report.fields.repaired.push(format!("{verb} label {name}")),
                    Err(e) => report.api_failure(&format!("could not create label {name}"), &e),
                }
                if report.stopped() {
                    return;
                }
            }
        }
        Err(e) => report.api_failure("could not list labels", &e),
    }
    if report.stopped() {
        return;
    }
    match gh.milestones(repo).await {
        Ok(milestones) => {
            let missing: Vec<_> = required_milestones(&ctx.config.settings)
                .into_iter()
                .filter(|(title, _)| !milestones.iter().any(|m| &m.title == title))
                .collect();
            ctx.progress.plan_writes(missing.len() as u64);
            for (title, description) in missing {
                match gh.create_milestone(repo, &title, &description).await {
                    Ok(_) => report
                        .fields
                        .repaired
                        .push(format!("{verb} milestone {title}")),
                    Err(e) => {
                        report.api_failure(&format!("could not create milestone {title}"), &e);
                    }
                }
                if report.stopped() {
                    return;
                }
            }
        }
        Err(e) => report.api_failure("could not list milestones", &e),
    }
}

/// The one rule (CONTRACT.md section 3) for a check whose read failed: a token that may not see
/// the thing, or a thing that is not there, is the check's finding (a failed check, a
/// warning); any other failure means diagnostics could not check, an error as well.
fn unreadable(report: &mut Report<DiagnosticsFields>, what: &str, e: &crate::Error) {
    if !e.is_configuration() {
        report.api_failure(what, e);
    }
}

/// The `token` check of a GitHub App: what the installation `granted`, against what Codex
/// needs and, when the App could be read, what its settings ask for.
fn app_permission_check(
    who: &str,
    granted: &std::collections::BTreeMap<String, String>,
    asked: Result<Option<crate::app::AppInfo>, crate::Error>,
) -> Check {
    let missing = crate::app::missing_permissions(granted, false);
    let pages = if crate::app::missing_permissions(granted, true).len() > missing.len() {
        " (contents: write is needed too where this credential publishes Pages)"
    } else {
        ""
    };
    let detail = if missing.is_empty() {
        format!("{who}: the installation has what Codex needs{pages}")
    } else {
        match asked {
            Ok(Some(app)) => {
                let (settings, unaccepted) =
                    crate::app::missing_where(&app.permissions, granted, false);
                let mut parts = Vec::new();
                if !settings.is_empty() {
                    parts.push(format!(
                        "the App's settings do not ask for {} (an App owner adds them; the installation then accepts them)",
                        settings.join(", ")
                    ));
                }
                if !unaccepted.is_empty() {
                    parts.push(format!(
                        "the installation has not accepted {} (an owner of the account approves the App's new permissions)",
                        unaccepted.join(", ")
                    ));
                }
                format!("{who}: {}{pages}", parts.join("; "))
            }
            _ => format!(
                "{who}: the installation lacks {}{pages}",
                missing.join(", ")
            ),
        }
    };
    Check {
        name: "token".into(),
        ok: missing.is_empty(),
        detail,
    }
}

async fn check(ctx: &Context, opts: &DiagnosticsOptions, report: &mut Report<DiagnosticsFields>) {
    let gh = ctx.github();
    let repo = ctx.repo();
    let settings = &ctx.config.settings;
    let mut checks = Vec::new();
    // The one rule for a stop (a rate limit): reported through `Report::api_failure`, and no
    // more checks are made, since what they would find is the limit, not the configuration.
    macro_rules! unless_stopped {
        ($what:expr, $result:expr) => {{
            let result = $result;
            if let Err(e) = &result
                && e.stops_run()
            {
                report.api_failure($what, e);
                report.fields.checks = checks;
                return;
            }
            result
        }};
    }

    match &ctx.config.credentials {
        Some(Credentials::App(_)) => {
            let permissions = unless_stopped!(
                "could not obtain an installation token",
                gh.app_permissions().await
            );
            let who = gh.credential_description().await;
            let check = match permissions {
                Ok(granted) => {
                    let granted = granted.unwrap_or_default();
                    // When something is missing, what the App's settings ask for tells apart
                    // what an App owner must add from what the account has not accepted yet.
                    let asked = if crate::app::missing_permissions(&granted, false).is_empty() {
                        Ok(None)
                    } else {
                        unless_stopped!("could not read the App", gh.app_info().await)
                    };
                    app_permission_check(&who, &granted, asked)
                }
                Err(e @ crate::Error::AppAuth { .. }) => {
                    // Where the App is installed tells the owner which installation to use.
                    let installed = unless_stopped!(
                        "could not list the App's installations",
                        gh.app_installations().await
                    );
                    let places = match installed {
                        Ok(list) if list.is_empty() => "it is installed nowhere".to_owned(),
                        Ok(list) => format!(
                            "it is installed on {}",
                            list.iter()
                                .map(|i| format!("{} (installation {})", i.account, i.id))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        Err(e) => format!("its installations could not be listed: {e}"),
                    };
                    Check {
                        name: "token".into(),
                        ok: false,
                        detail: format!("{e}; {places}"),
                    }
                }
                Err(e) => Check {
                    name: "token".into(),
                    ok: false,
                    detail: format!("{who}: no installation token: {e}"),
                },
            };
            checks.push(check);
        }
        Some(Credentials::Token { source: env::GH_CI_PAT, .. }) => checks.push(Check { name: "token".into(), ok: true, detail: "GH_CI_PAT".into() }),
        _ => checks.push(Check {
            name: "token".into(),
            ok: false,
            detail: "only GITHUB_TOKEN: it cannot see Projects, read variables or delete issues; set the GH_CI_PAT secret or a GitHub App".into(),
        }),
    }

    let variables = unless_stopped!(
        "could not read repository variables",
        gh.variable_names(repo).await
    );
    let repo_vars = match variables {
        Ok(names) => {
            checks.push(Check {
                name: "actions-variables".into(),
                ok: true,
                detail: format!("{} readable", names.len()),
            });
            Some(names.into_iter().collect::<BTreeSet<_>>())
        }
        Err(e) => {
            unreadable(report, "could not read repository variables", &e);
            checks.push(Check {
                name: "actions-variables".into(),
                ok: false,
                detail: format!("cannot read repository variables: {e}"),
            });
            None
        }
    };
    for name in CHECKED_VARIABLES {
        let in_env = opts.env_set.contains(name);
        let in_repo = repo_vars.as_ref().is_some_and(|v| v.contains(name));
        let (ok, detail) = match (in_env, in_repo) {
            (true, _) => (true, "set in the environment".to_owned()),
            (false, true) => (false, "set as a repository variable but not passed to this job: add it to the workflow's env".to_owned()),
            (false, false) => (true, "not set: the default is used".to_owned()),
        };
        checks.push(Check {
            name: format!("variable:{name}"),
            ok,
            detail,
        });
    }

    match unless_stopped!("could not list labels", gh.labels(repo).await) {
        Ok(labels) => checks.extend(label_checks(&labels)),
        Err(e) => {
            unreadable(report, "could not list labels", &e);
            checks.push(Check {
                name: "labels".into(),
                ok: false,
                detail: format!("cannot list labels: {e}"),
            });
        }
    }
    match unless_stopped!("could not list milestones", gh.milestones(repo).await) {
        Ok(milestones) => checks.extend(milestone_checks(&milestones, settings)),
        Err(e) => {
            unreadable(report, "could not list milestones", &e);
            checks.push(Check {
                name: "milestones".into(),
                ok: false,
                detail: format!("cannot list milestones: {e}"),
            });
        }
    }
    let owner = ctx.config.project_owner();
    let project = unless_stopped!(
        "could not look for the Project",
        gh.find_project(owner, &settings.project_title).await
    );
    if let Err(e) = &project {
        unreadable(report, "could not look for the Project", e);
    }
    checks.push(match project {
        Ok(Some(p)) => Check { name: format!("project:{}", settings.project_title), ok: true, detail: format!("{owner} project #{}", p.number) },
        Ok(None) => Check { name: format!("project:{}", settings.project_title), ok: false, detail: format!("not found under {owner}: create it in GitHub (Projects are not created by --repair)") },
        Err(e) => Check { name: format!("project:{}", settings.project_title), ok: false, detail: format!("not visible to this token: {e}") },
    });
    if ctx.config.layout == crate::pages::Layout::PerRepository {
        // A run over several repositories publishes one pages tree from the repository that
        // runs it (the control repository), not from each repository it manages.
        checks.push(Check {
            name: "gh-pages".into(),
            ok: true,
            detail: format!(
                "not checked on {repo}: a run over several repositories publishes its subtree {} from the repository running it",
                ctx.pages.relative(PagesPath::DashboardDir).trim_end_matches("dashboard")
            ),
        });
        report.fields.checks = checks;
        return;
    }
    let branch = unless_stopped!(
        "could not read the gh-pages branch",
        gh.branch_exists(repo, "gh-pages").await
    );
    if let Err(e) = &branch {
        unreadable(report, "could not read the gh-pages branch", e);
    }
    checks.push(match &branch {
        Ok(true) => Check {
            name: "branch:gh-pages".into(),
            ok: true,
            detail: "present".into(),
        },
        Ok(false) => Check {
            name: "branch:gh-pages".into(),
            ok: false,
            detail: "missing: the first publish creates it".into(),
        },
        Err(e) => Check {
            name: "branch:gh-pages".into(),
            ok: false,
            detail: format!("cannot read: {e}"),
        },
    });
    for place in [PagesPath::TelemetryDir, PagesPath::DashboardDir] {
        let dir = ctx.pages.relative(place);
        let name = format!("gh-pages:{dir}/");
        let listing = unless_stopped!(
            "could not read gh-pages",
            gh.directory(repo, &dir, "gh-pages").await
        );
        if let Err(e) = &listing {
            unreadable(report, &format!("could not read gh-pages {dir}/"), e);
        }
        checks.push(match (&branch, listing) {
            (Ok(false), _) => Check {
                name,
                ok: false,
                detail: "no gh-pages branch".into(),
            },
            (_, Ok(Some(entries))) => Check {
                name,
                ok: true,
                detail: format!("{} entries", entries.len()),
            },
            (_, Ok(None)) => Check {
                name,
                ok: false,
                detail: "missing: the first publish creates it".into(),
            },
            (_, Err(e)) => Check {
                name,
                ok: false,
                detail: format!("cannot read: {e}"),
            },
        });
    }
    report.fields.checks = checks;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::MilestoneNumber;

    #[test]
    fn an_apps_missing_permissions_say_who_must_act() {
        let perms = |list: &[(&str, &str)]| -> std::collections::BTreeMap<String, String> {
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let all = perms(&[
            ("issues", "write"),
            ("organization_projects", "write"),
            ("actions_variables", "read"),
            ("metadata", "read"),
            ("contents", "read"),
        ]);
        let who = "App 7, installation 1";
        let ok = app_permission_check(who, &all, Ok(None));
        assert!(ok.ok, "{}", ok.detail);
        assert!(
            ok.detail.contains("contents: write is needed too"),
            "{}",
            ok.detail
        );

        let granted = perms(&[
            ("issues", "write"),
            ("metadata", "read"),
            ("contents", "read"),
        ]);
        let app = crate::app::AppInfo {
            id: 7,
            slug: "codex-bot".into(),
            permissions: perms(&[
                ("issues", "write"),
                ("organization_projects", "write"),
                ("metadata", "read"),
                ("contents", "read"),
            ]),
        };
        let check = app_permission_check(who, &granted, Ok(Some(app)));
        assert!(!check.ok);
        assert!(
            check
                .detail
                .contains("settings do not ask for actions_variables: read")
                && check
                    .detail
                    .contains("has not accepted organization_projects: write"),
            "{}",
            check.detail
        );
        // Without the App's own answer: what is missing, plainly.
        let check = app_permission_check(
            who,
            &granted,
            Err(crate::Error::Unauthorized { url: "u".into() }),
        );
        assert_eq!(
            check.detail,
            "App 7, installation 1: the installation lacks organization_projects: write, actions_variables: read (contents: write is needed too where this credential publishes Pages)"
        );
    }

    #[test]
    fn label_and_milestone_checks() {
        let labels = vec![Label {
            name: "Codex".into(),
            color: None,
            description: None,
        }];
        let checks = label_checks(&labels);
        assert_eq!(checks.iter().filter(|c| c.ok).count(), 1);
        let settings = Settings::from_env(&|_| None).unwrap();
        let ms = vec![
            Milestone {
                number: MilestoneNumber(1),
                title: "Codex Internal".into(),
                open: true,
            },
            Milestone {
                number: MilestoneNumber(2),
                title: "Codex Main Track".into(),
                open: false,
            },
        ];
        let checks = milestone_checks(&ms, &settings);
        let summary: Vec<_> = checks.iter().map(|c| (c.name.as_str(), c.ok)).collect();
        assert_eq!(
            summary,
            vec![
                ("milestone:Codex Internal", true),
                ("milestone:Codex Main Track", false),
                ("milestone:Codex Dashboard Track", false)
            ]
        );
        assert!(checks[1].detail.contains("closed"));
    }
}
