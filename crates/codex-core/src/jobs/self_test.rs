//! Self-test: check what the token may do, find the self-test milestone, create
//! `Codex self-test <run-id>` there with labels `codex` and `codex-selftest`, and read it back.
//!
//! `verified` is true only when the labels and milestone really stuck: GitHub silently drops
//! them for a token without push access. A rerun with the same run id finds its issue instead
//! of creating a second one.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::app::Credentials;
use crate::config::{SELFTEST_FALLBACK_MILESTONE, TokenKind};
use crate::github::{Issue, IssueLister, IssueQuery, Written};
use crate::jobs::cleaner::selftest_milestone;
use crate::jobs::{Context, Outcome, Report, finish};
use crate::rules::{LABEL_CODEX, LABEL_SELFTEST};
use crate::telemetry::{Component, SelfTestFields, TokenReport};

/// The title of a run's self-test issue.
pub fn issue_title(run_id: &str) -> String {
    format!("Codex self-test {run_id}")
}

/// What the token report says (pure): kind, scopes, permissions, and notes in words.
pub fn token_report(
    kind: TokenKind,
    source: Option<&str>,
    scopes: Option<&str>,
    repo: &Value,
) -> TokenReport {
    let permissions: BTreeMap<String, bool> = repo["permissions"]
        .as_object()
        .map(|p| {
            p.iter()
                .filter_map(|(k, v)| v.as_bool().map(|b| (k.clone(), b)))
                .collect()
        })
        .unwrap_or_default();
    let scopes: Option<Vec<String>> = scopes.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let mut notes = Vec::new();
    match kind {
        TokenKind::FineGrained => notes.push("fine-grained token: GitHub reports no scopes; access is per repository permission".to_owned()),
        TokenKind::Installation => notes.push("GITHUB_TOKEN/installation token: cannot see Projects, read Actions variables or delete issues".to_owned()),
        _ => {}
    }
    if let Some(scopes) = &scopes {
        if !scopes.iter().any(|s| s == "repo") {
            notes.push("classic token without the repo scope".to_owned());
        }
        if !scopes.iter().any(|s| s == "project" || s == "read:project") {
            notes.push(
                "classic token without the project scope: Project membership cannot be repaired"
                    .to_owned(),
            );
        }
    } else if kind == TokenKind::Classic {
        notes.push("no X-OAuth-Scopes header seen".to_owned());
    }
    if permissions.get("push") == Some(&false) {
        notes.push(
            "no push access: labels and milestones are silently dropped by GitHub".to_owned(),
        );
    }
    TokenReport {
        kind,
        source: source.map(str::to_owned),
        scopes,
        permissions,
        notes,
    }
}

/// This run's self-test issue, looked for among the newest issues (no label filter: labels may
/// have been dropped for a token without push access).
async fn find_own_issue(ctx: &Context, title: &str) -> crate::Result<Option<Issue>> {
    let recent = IssueQuery {
        state: "all",
        newest_first: true,
        ..IssueQuery::open()
    };
    let mut lister = IssueLister::new(ctx.github(), ctx.repo(), &recent);
    Ok(lister
        .next_page()
        .await?
        .and_then(|page| page.issues.into_iter().find(|i| i.title == title)))
}

/// True when the issue carries both self-test labels and the milestone.
pub fn verify(issue: &Issue, milestone: u64) -> bool {
    issue.has_label(LABEL_CODEX)
        && issue.has_label(LABEL_SELFTEST)
        && issue
            .milestone
            .as_ref()
            .is_some_and(|m| m.number.0 == milestone)
}

/// Run self-test.
pub async fn run(ctx: &Context) -> Outcome<SelfTestFields> {
    let kind = match &ctx.config.credentials {
        Some(Credentials::Token { token, .. }) => token.kind(),
        Some(Credentials::App(_)) => TokenKind::App,
        None => TokenKind::Unknown,
    };
    let source = ctx.config.credentials.as_ref().map(Credentials::source);
    let empty_token = token_report(kind, source, None, &Value::Null);
    let mut report = Report::new(SelfTestFields {
        issue_number: None,
        issue_url: None,
        milestone: None,
        milestone_fallback: false,
        verified: false,
        token: empty_token,
    });
    execute(ctx, &mut report).await;
    finish(ctx, Component::SelfTest, report)
}

async fn execute(ctx: &Context, report: &mut Report<SelfTestFields>) {
    let gh = ctx.github();
    let repo = ctx.repo();
    let settings = &ctx.config.settings;
    let repository = match gh.repository(repo).await {
        Ok(r) => r,
        Err(e) => return report.api_failure(&format!("could not read {repo}"), &e),
    };
    let kind = report.fields.token.kind;
    report.fields.token = token_report(
        kind,
        ctx.config.credentials.as_ref().map(Credentials::source),
        gh.stats().oauth_scopes.as_deref(),
        &repository,
    );
    if kind == TokenKind::App {
        // "GitHub App N, installation M": the installation is known once a request was made.
        let who = gh.credential_description().await;
        report.fields.token.notes.insert(0, format!("GitHub {who}"));
        // What it may do: the installation token's permissions (already in hand, no request).
        if let Ok(Some(granted)) = gh.app_permissions().await {
            let missing = crate::app::missing_permissions(&granted, false);
            report.fields.token.notes.insert(
                1,
                if missing.is_empty() {
                    "the installation has what Codex needs".to_owned()
                } else {
                    format!(
                        "the installation lacks {} (codex-diagnostics says who must act)",
                        missing.join(", ")
                    )
                },
            );
        }
    }
    let milestones = match gh.milestones(repo).await {
        Ok(m) => m,
        Err(e) => return report.api_failure("could not list milestones", &e),
    };
    let Some((milestone, fallback)) = selftest_milestone(&milestones, settings) else {
        report.skipped = true;
        report.warn(format!(
            "self-test milestone {:?} not found (nor {SELFTEST_FALLBACK_MILESTONE:?}): nothing created; run codex-diagnostics --repair",
            settings.selftest_milestone
        ));
        return;
    };
    report.fields.milestone = Some(milestone.title.clone());
    report.fields.milestone_fallback = fallback;
    if fallback {
        report.warn(format!(
            "milestone {:?} not found: using {SELFTEST_FALLBACK_MILESTONE:?}",
            settings.selftest_milestone
        ));
    }

    let title = issue_title(&ctx.config.run_id);
    // A rerun of the same run id finds its issue instead of creating another.
    let existing = match find_own_issue(ctx, &title).await {
        Ok(found) => found,
        Err(e) => return report.api_failure("could not list recent issues", &e),
    };
    let number = match existing {
        Some(issue) => {
            tracing::info!(
                issue = issue.number.0,
                "this run's self-test issue exists already"
            );
            issue.number
        }
        None => {
            let body = format!(
                "Created by Codex self-test run `{}` to check that the pipeline can write issues. The cleaner retires it.",
                ctx.config.run_id
            );
            let labels = [LABEL_CODEX, LABEL_SELFTEST];
            ctx.progress.plan_writes(1);
            let mut attempts = 0;
            loop {
                attempts += 1;
                match gh
                    .create_issue(repo, &title, &body, &labels, Some(milestone.number))
                    .await
                {
                    Ok(Written::Done(issue)) => break issue.number,
                    Ok(Written::DryRun) => {
                        report.say(format!(
                            "self-test: dry-run: would create {title:?} in {:?}",
                            milestone.title
                        ));
                        return;
                    }
                    // The create may have been applied and only its answer lost: look before
                    // creating again, never create blindly.
                    Err(e) if e.is_answer_lost() && attempts <= 3 => {
                        match find_own_issue(ctx, &title).await {
                            Ok(Some(issue)) => {
                                report.warn(format!(
                                "the answer to creating #{} was lost ({e}); found it instead of creating another",
                                issue.number
                            ));
                                break issue.number;
                            }
                            Ok(None) => {
                                tracing::warn!(error = %e, "create failed and was not applied; creating again");
                            }
                            Err(again) => {
                                return report
                                    .api_failure("could not look for the self-test issue", &again);
                            }
                        }
                    }
                    Err(e) => {
                        return report.api_failure("could not create the self-test issue", &e);
                    }
                }
            }
        }
    };
    report.fields.issue_number = Some(number.0);
    match gh.issue(repo, number).await {
        Ok(back) => {
            report.fields.issue_url = Some(ctx.config.web.issue_link(
                repo,
                number.0,
                back.html_url.as_deref(),
            ));
            report.fields.verified = verify(&back, milestone.number.0);
            if !report.fields.verified {
                report.warn(format!(
                    "#{number} was created but its labels or milestone did not stick (labels {:?}): the token has no push access, so GitHub silently dropped them",
                    back.labels
                ));
            }
        }
        Err(e) => report.api_failure(&format!("could not read back #{number}"), &e),
    }
    let link = report
        .fields
        .issue_url
        .clone()
        .unwrap_or_else(|| ctx.config.web.issue(repo, number.0));
    report.say(format!(
        "self-test: issue #{number} ({link}) in {:?}, verified: {}",
        milestone.title, report.fields.verified
    ));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn token_notes() {
        let repo = json!({"permissions": {"admin": false, "push": false, "pull": true}});
        let r = token_report(
            TokenKind::Classic,
            Some("GH_CI_PAT"),
            Some("repo, workflow"),
            &repo,
        );
        assert_eq!(
            r.scopes,
            Some(vec!["repo".to_owned(), "workflow".to_owned()])
        );
        assert_eq!(r.permissions.get("push"), Some(&false));
        assert!(r.notes.iter().any(|n| n.contains("project scope")));
        assert!(r.notes.iter().any(|n| n.contains("silently dropped")));
        let fine = token_report(
            TokenKind::FineGrained,
            None,
            None,
            &json!({"permissions": {"push": true}}),
        );
        assert_eq!(fine.scopes, None);
        assert!(fine.notes[0].contains("no scopes"));
    }

    #[test]
    fn verification_needs_labels_and_milestone() {
        let issue = |labels: Value, m: Value| {
            Issue::from_json(&json!({"number": 1, "labels": labels, "milestone": m})).unwrap()
        };
        assert!(verify(
            &issue(json!(["codex", "codex-selftest"]), json!({"number": 3})),
            3
        ));
        assert!(!verify(&issue(json!(["codex"]), json!({"number": 3})), 3));
        assert!(!verify(
            &issue(json!(["codex", "codex-selftest"]), json!(null)),
            3
        ));
    }
}
