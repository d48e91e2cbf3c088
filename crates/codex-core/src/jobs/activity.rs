//! Activity engine: every open managed issue per track, active / stale / escalation from the
//! days since its last update against that track's thresholds.

use chrono::{DateTime, Utc};

use crate::config::{RepoSlug, Settings};
use crate::github::Issue;
use crate::jobs::{Context, Outcome, Report, bound_list, finish, managed_issues, reporting_track};
use crate::rules::{ActivityStatus, Track, classify_activity};
use crate::telemetry::{ActivityCounts, ActivityFields, ActivityItem, Component};
use crate::web::WebBase;

/// Classify managed issues (pure): every issue counted in `summary`, the stale and escalated
/// ones listed per track, oldest first (most days inactive), unbounded (the run bounds them,
/// [`bound_list`]). Each item's link is on the server's web host ([`WebBase::issue_link`]).
pub fn classify(
    issues: &[Issue],
    settings: &Settings,
    links: (&WebBase, &RepoSlug),
    now: DateTime<Utc>,
) -> ActivityFields {
    let mut classifier = Classifier::new(settings, links, now);
    for issue in issues {
        classifier.add(issue);
    }
    classifier.finish()
}

/// [`classify`] one issue at a time (pure): a run streaming the listing keeps each issue's
/// compact item (number, title, status, days, link), never the issue itself.
#[derive(Debug)]
pub struct Classifier<'a> {
    settings: &'a Settings,
    web: &'a WebBase,
    repo: &'a RepoSlug,
    now: DateTime<Utc>,
    fields: ActivityFields,
}

impl<'a> Classifier<'a> {
    /// An empty classification, as of `now`, with links on `links`' web host.
    pub fn new(
        settings: &'a Settings,
        links: (&'a WebBase, &'a RepoSlug),
        now: DateTime<Utc>,
    ) -> Self {
        let (web, repo) = links;
        Classifier {
            settings,
            web,
            repo,
            now,
            fields: ActivityFields::default(),
        }
    }

    /// Classify `issue` and keep its item.
    pub fn add(&mut self, issue: &Issue) {
        let track = reporting_track(issue);
        let thresholds = self.settings.track(track).thresholds;
        let (status, days_inactive) = classify_activity(issue.updated_at, self.now, thresholds);
        bump(&mut self.fields.summary[track], status);
        if status == ActivityStatus::Active {
            // Counted only: the lists hold what the dashboard shows.
            return;
        }
        let item = ActivityItem {
            number: issue.number.0,
            title: issue.title.clone(),
            status,
            days_inactive,
            url: Some(
                self.web
                    .issue_link(self.repo, issue.number.0, issue.html_url.as_deref()),
            ),
        };
        self.fields.issues[track].push(item);
    }

    /// The fields: [`classify`] of the issues added.
    pub fn finish(self) -> ActivityFields {
        let mut fields = self.fields;
        for (_, list) in fields.issues.iter_mut() {
            list.sort_by(|a, b| {
                b.days_inactive
                    .unwrap_or(u32::MAX)
                    .cmp(&a.days_inactive.unwrap_or(u32::MAX))
                    .then(a.number.cmp(&b.number))
            });
        }
        fields
    }
}

fn bump(counts: &mut ActivityCounts, status: ActivityStatus) {
    match status {
        ActivityStatus::Active => counts.active += 1,
        ActivityStatus::Stale => counts.stale += 1,
        ActivityStatus::Escalation => counts.escalation += 1,
    }
}

/// Run the activity engine. Until the listing has been read the fields say `unknown`: a
/// failed listing never reads as "nothing stale".
pub async fn run(ctx: &Context) -> Outcome<ActivityFields> {
    let mut report = Report::new(ActivityFields {
        unknown: true,
        ..ActivityFields::default()
    });
    // The listing is streamed: each issue's compact item is kept, never the issue.
    let mut classifier =
        Classifier::new(&ctx.config.settings, (&ctx.config.web, ctx.repo()), ctx.now);
    match managed_issues(ctx, Component::Activity, |issue| classifier.add(issue)).await {
        Ok(managed) => {
            report.listing.clone_from(&managed.listing);
            // Counted with the labels their listing showed (labels only choose the track).
            managed.report_unreadable_labels(&mut report);
            report.fields = classifier.finish();
            for track in Track::ALL {
                report.fields.omitted[track] =
                    bound_list(ctx, &mut report, Component::Activity, track.key(), |f| {
                        &mut f.issues[track]
                    });
            }
            let s = &report.fields.summary;
            // The first track's counts are named, the next ones follow in the same order.
            let per_track: Vec<String> = s
                .iter()
                .enumerate()
                .map(|(i, (track, c))| {
                    let [a, st, e] = if i == 0 {
                        [" active", " stale", " escalated"]
                    } else {
                        ["", "", ""]
                    };
                    let key = track.key();
                    format!(
                        "{key} {}{a} / {}{st} / {}{e}",
                        c.active, c.stale, c.escalation
                    )
                })
                .collect();
            let line = format!("activity: {}", per_track.join("; "));
            let escalated: u64 = s.values().map(|c| c.escalation).sum();
            report.say(line);
            if escalated > 0 {
                report.warn(format!(
                    "{escalated} issue(s) escalated (no update beyond the escalation threshold)"
                ));
            }
        }
        Err(e) => {
            report.api_failure("could not enumerate issues", &e);
            report.say("activity: unknown: the issues could not be listed");
        }
    }
    finish(ctx, Component::Activity, report)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use serde_json::json;

    use super::*;

    #[test]
    fn per_track_thresholds_and_oldest_first() {
        let now: DateTime<Utc> = "2026-11-23T00:00:00Z".parse().unwrap();
        let settings = Settings::from_env(&|k| match k {
            "CODEX_DASHBOARD_STALE_DAYS" => Some("3".into()),
            "CODEX_DASHBOARD_ESCALATION_DAYS" => Some("5".into()),
            _ => None,
        })
        .unwrap();
        let web = WebBase::from_api_url(&"https://ghe.example.com/api/v3".parse().unwrap());
        let repo = RepoSlug::parse("acme/widgets").unwrap();
        let html_url = |n: u64| match n {
            5 => json!("https://ghe.example.com/acme/widgets/issues/5?from=answer"),
            4 => json!("https://github.com/acme/widgets/issues/4"),
            _ => json!(null),
        };
        let issue = |n: u64, title: &str, days: i64| {
            Issue::from_json(
                &json!({"number": n, "title": title, "state": "open", "labels": [],
                "updated_at": (now - Duration::days(days)).to_rfc3339(),
                "html_url": html_url(n)}),
            )
            .unwrap()
        };
        let fields = classify(
            &[
                issue(1, "main work", 4),
                issue(2, "dashboard chart", 4),
                issue(3, "dashboard x", 6),
                issue(4, "main old", 40),
                issue(5, "main quiet", 20),
            ],
            &settings,
            (&web, &repo),
            now,
        );
        // links: the answer's html_url when on the web host, else derived there
        let urls: Vec<_> = fields.issues[Track::Main]
            .iter()
            .map(|i| i.url.as_deref().unwrap_or_default())
            .collect();
        assert_eq!(
            urls,
            [
                "https://ghe.example.com/acme/widgets/issues/4",
                "https://ghe.example.com/acme/widgets/issues/5?from=answer"
            ]
        );
        let main: Vec<_> = fields.issues[Track::Main]
            .iter()
            .map(|i| (i.number, i.status))
            .collect();
        // #1 is active: counted, not listed
        assert_eq!(
            main,
            vec![(4, ActivityStatus::Escalation), (5, ActivityStatus::Stale)]
        );
        assert_eq!(fields.summary[Track::Main].active, 1);
        let dash: Vec<_> = fields.issues[Track::Dashboard]
            .iter()
            .map(|i| (i.number, i.status))
            .collect();
        assert_eq!(
            dash,
            vec![(3, ActivityStatus::Escalation), (2, ActivityStatus::Stale)]
        );
        assert_eq!(
            fields.summary[Track::Dashboard],
            ActivityCounts {
                active: 0,
                stale: 1,
                escalation: 1
            }
        );
    }
}
