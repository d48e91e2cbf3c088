//! Which repositories a run covers (CONTRACT.md section 2, "Several repositories").
//!
//! One repository (`--repo`, `GITHUB_REPOSITORY`) is today's run. A [`Selection`] names
//! several: a list (`--repos`), an organisation (`--org`: its repositories, or with a GitHub
//! App those of its installation there), or every repository an App's installation can see
//! (`--installation`), then narrowed by [`Filters`]. Listing is [`discover`]'s (the one place
//! that asks GitHub); what is kept is [`choose`]'s, a pure function, and the order a run takes
//! them in is [`order`]'s (the repositories a spent budget left go first).

use std::collections::BTreeSet;

use serde_json::Value;
use url::Url;

use crate::config::RepoSlug;
use crate::error::{Error, Result};
use crate::github::GitHub;
use crate::github::pagination::PageGuard;

/// Where the repositories come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Named one by one (`--repos`): taken as given, whatever their flags.
    Repos(Vec<RepoSlug>),
    /// An organisation's (`--org`).
    Org(String),
    /// Every repository a GitHub App's installation can see (`--installation`).
    Installation,
}

/// What is left out of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Left out by name: `NAME` (any owner) or `OWNER/NAME`, compared without case.
    pub exclude: Vec<String>,
    /// When not empty, only repositories with at least one of these topics.
    pub topics: Vec<String>,
    /// Keep archived repositories (read-only: every write is refused).
    pub include_archived: bool,
    /// Keep forks.
    pub include_forks: bool,
}

/// Several repositories: where from, and what is left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Where from.
    pub source: Source,
    /// What is left out.
    pub filters: Filters,
}

/// One repository as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// `owner/name`.
    pub repo: RepoSlug,
    /// Archived (read-only).
    pub archived: bool,
    /// A fork.
    pub fork: bool,
    /// Its topics, lowercase.
    pub topics: Vec<String>,
}

/// Why a listed repository was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// `--exclude` names it.
    Excluded,
    /// Archived, without `--include-archived`.
    Archived,
    /// A fork, without `--include-forks`.
    Fork,
    /// None of `--topic`'s topics.
    Topic,
    /// Listed twice (kept once).
    Duplicate,
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Skip::Excluded => "excluded",
            Skip::Archived => "archived (--include-archived keeps it)",
            Skip::Fork => "a fork (--include-forks keeps it)",
            Skip::Topic => "none of the topics asked for",
            Skip::Duplicate => "listed twice",
        })
    }
}

/// What [`choose`] kept and left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chosen {
    /// Kept, sorted by `owner/name` without case.
    pub repos: Vec<RepoSlug>,
    /// Left out, and why.
    pub skipped: Vec<(RepoSlug, Skip)>,
}

/// Keep what the filters allow, sorted by name; archived repositories and forks only when
/// asked for. Names given one by one ([`Source::Repos`]) are listed with neither flag, so only
/// `exclude` (and `topics`, which they do not carry, so it is not applied) can leave them out.
pub fn choose(listed: &[Listed], filters: &Filters, explicit: bool) -> Chosen {
    let excluded = |repo: &RepoSlug| {
        filters.exclude.iter().any(|e| {
            let e = e.trim();
            match e.split_once('/') {
                Some(_) => e.eq_ignore_ascii_case(&repo.to_string()),
                None => e.eq_ignore_ascii_case(&repo.name),
            }
        })
    };
    let topics: BTreeSet<String> = filters
        .topics
        .iter()
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    let mut seen = BTreeSet::new();
    let mut out = Chosen::default();
    for item in listed {
        let key = item.repo.to_string().to_ascii_lowercase();
        let skip = if !seen.insert(key) {
            Some(Skip::Duplicate)
        } else if excluded(&item.repo) {
            Some(Skip::Excluded)
        } else if explicit {
            None
        } else if item.archived && !filters.include_archived {
            Some(Skip::Archived)
        } else if item.fork && !filters.include_forks {
            Some(Skip::Fork)
        } else if !topics.is_empty() && !item.topics.iter().any(|t| topics.contains(t)) {
            Some(Skip::Topic)
        } else {
            None
        };
        match skip {
            Some(why) => out.skipped.push((item.repo.clone(), why)),
            None => out.repos.push(item.repo.clone()),
        }
    }
    out.repos
        .sort_by_key(|r| r.to_string().to_ascii_lowercase());
    out
}

/// The order a run takes `chosen` in: first those of `pending` (left by the last run when its
/// budget ran out) still chosen, in `pending`'s order, then the rest in `chosen`'s.
pub fn order(chosen: &[RepoSlug], pending: &[RepoSlug]) -> Vec<RepoSlug> {
    let same = |a: &RepoSlug, b: &RepoSlug| {
        a.owner.eq_ignore_ascii_case(&b.owner) && a.name.eq_ignore_ascii_case(&b.name)
    };
    let mut out: Vec<RepoSlug> = Vec::with_capacity(chosen.len());
    for p in pending {
        if let Some(c) = chosen.iter().find(|c| same(c, p))
            && !out.iter().any(|o| same(o, c))
        {
            out.push(c.clone());
        }
    }
    for c in chosen {
        if !out.iter().any(|o| same(o, c)) {
            out.push(c.clone());
        }
    }
    out
}

/// One repository item of a listing (`GET /orgs/{org}/repos`, `GET /installation/repositories`):
/// `None` when its `full_name` is not a repository name (a hostile or broken answer).
pub fn listed_from(item: &Value) -> Option<Listed> {
    let repo = RepoSlug::parse(item.get("full_name")?.as_str()?).ok()?;
    let flag = |name: &str| item.get(name).and_then(Value::as_bool).unwrap_or(false);
    let topics = item
        .get("topics")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .filter_map(Value::as_str)
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default();
    Some(Listed {
        repo,
        archived: flag("archived"),
        fork: flag("fork"),
        topics,
    })
}

/// What [`discover`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    /// Listed by GitHub (or named), before the filters.
    pub listed: usize,
    /// Kept and left out.
    pub chosen: Chosen,
    /// Items of the listing that were not repositories, and other things a person should know.
    pub warnings: Vec<String>,
    /// The GitHub App installation the repositories were listed through, when one was.
    pub installation_id: Option<u64>,
}

/// List the selection's repositories and choose among them. `gh` must not be narrowed to one
/// repository. A token lists an organisation with `GET /orgs/{org}/repos`; a GitHub App lists
/// its installation's (`GET /installation/repositories`: the organisation's installation, found
/// with `GET /app/installations` unless `CODEX_APP_INSTALLATION_ID` names it), keeping the
/// organisation's for `--org`.
pub async fn discover(gh: &GitHub, selection: &Selection) -> Result<Discovery> {
    let mut warnings = Vec::new();
    let mut installation_id = None;
    let (listed, explicit) = match &selection.source {
        Source::Repos(repos) => (
            repos
                .iter()
                .map(|repo| Listed {
                    repo: repo.clone(),
                    archived: false,
                    fork: false,
                    topics: Vec::new(),
                })
                .collect(),
            true,
        ),
        Source::Org(org) if !gh.is_app() => {
            let url = query_url(
                gh,
                &format!("orgs/{org}/repos"),
                &[("type", "all"), ("sort", "full_name"), ("per_page", "100")],
            );
            let items = list(gh, url, None, &mut warnings)
                .await
                .map_err(|e| match e {
                    Error::NotFound { .. } => Error::Selection {
                        message: format!(
                            "--org / {}: GitHub shows no organisation {org} to this token (a user's repositories: name them with --repos)",
                            crate::env::CODEX_ORG
                        ),
                    },
                    other => other,
                })?;
            (items, false)
        }
        source => {
            let org = match source {
                Source::Org(org) => Some(org.as_str()),
                _ => None,
            };
            let id = gh.app_installation_for(org).await?;
            installation_id = Some(id);
            let url = query_url(gh, "installation/repositories", &[("per_page", "100")]);
            let mut items = list(gh, url, Some("repositories"), &mut warnings).await?;
            if let Some(org) = org {
                items.retain(|l| l.repo.owner.eq_ignore_ascii_case(org));
            }
            (items, false)
        }
    };
    Ok(Discovery {
        listed: listed.len(),
        chosen: choose(&listed, &selection.filters, explicit),
        warnings,
        installation_id,
    })
}

fn query_url(gh: &GitHub, path: &str, query: &[(&str, &str)]) -> Url {
    let mut url = gh.url(path);
    url.query_pairs_mut().extend_pairs(query);
    url
}

/// Every page of a repository listing; `field` names the array in an object answer.
async fn list(
    gh: &GitHub,
    first: Url,
    field: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Listed>> {
    let mut guard = PageGuard::new();
    let mut next = Some(first);
    let mut out = Vec::new();
    while let Some(url) = next.take() {
        let (page, following) = gh.get_page(&url, &mut guard).await?;
        let items = match field {
            Some(f) => page.get(f).and_then(Value::as_array),
            None => page.as_array(),
        }
        .ok_or_else(|| Error::Decode {
            url: url.to_string(),
            message: "the repository list is not an array".to_owned(),
        })?;
        for item in items {
            match listed_from(item) {
                Some(l) => out.push(l),
                None => warnings
                    .push("a listed repository without a valid full_name was left out".to_owned()),
            }
        }
        next = following;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(s: &str) -> RepoSlug {
        RepoSlug::parse(s).unwrap()
    }

    fn item(name: &str, archived: bool, fork: bool, topics: &[&str]) -> Listed {
        Listed {
            repo: slug(name),
            archived,
            fork,
            topics: topics.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    #[test]
    fn archived_and_forks_are_left_out_unless_asked_for() {
        let listed = [
            item("acme/b", false, false, &[]),
            item("acme/a", true, false, &[]),
            item("acme/c", false, true, &[]),
            item("acme/B", false, false, &[]),
        ];
        let chosen = choose(&listed, &Filters::default(), false);
        assert_eq!(chosen.repos, vec![slug("acme/b")]);
        assert_eq!(
            chosen.skipped,
            vec![
                (slug("acme/a"), Skip::Archived),
                (slug("acme/c"), Skip::Fork),
                (slug("acme/B"), Skip::Duplicate)
            ]
        );
        let all = Filters {
            include_archived: true,
            include_forks: true,
            ..Filters::default()
        };
        assert_eq!(
            choose(&listed, &all, false).repos,
            vec![slug("acme/a"), slug("acme/b"), slug("acme/c")]
        );
    }

    #[test]
    fn exclude_by_name_or_full_name_and_topics_any_of() {
        let listed = [
            item("acme/web", false, false, &["web", "rust"]),
            item("acme/docs", false, false, &["docs"]),
            item("other/web", false, false, &["web"]),
            item("acme/tools", false, false, &[]),
        ];
        let filters = Filters {
            exclude: vec!["ACME/Docs".into()],
            topics: vec!["Web".into(), "docs".into()],
            ..Filters::default()
        };
        let chosen = choose(&listed, &filters, false);
        assert_eq!(chosen.repos, vec![slug("acme/web"), slug("other/web")]);
        assert_eq!(chosen.skipped[0], (slug("acme/docs"), Skip::Excluded));
        assert_eq!(chosen.skipped[1], (slug("acme/tools"), Skip::Topic));
        let by_name = Filters {
            exclude: vec!["web".into()],
            ..Filters::default()
        };
        assert_eq!(
            choose(&listed, &by_name, false).repos,
            vec![slug("acme/docs"), slug("acme/tools")]
        );
    }

    #[test]
    fn names_given_one_by_one_ignore_flags_and_topics_but_not_exclude() {
        let listed = [
            item("acme/x", true, true, &[]),
            item("acme/y", false, false, &[]),
        ];
        let filters = Filters {
            exclude: vec!["y".into()],
            topics: vec!["web".into()],
            ..Filters::default()
        };
        assert_eq!(choose(&listed, &filters, true).repos, vec![slug("acme/x")]);
    }

    #[test]
    fn pending_repositories_go_first_and_vanished_ones_are_dropped() {
        let chosen = [
            slug("acme/a"),
            slug("acme/b"),
            slug("acme/c"),
            slug("acme/d"),
        ];
        let pending = [
            slug("acme/C"),
            slug("acme/gone"),
            slug("acme/d"),
            slug("acme/c"),
        ];
        assert_eq!(
            order(&chosen, &pending),
            vec![
                slug("acme/c"),
                slug("acme/d"),
                slug("acme/a"),
                slug("acme/b")
            ]
        );
        assert_eq!(order(&chosen, &[]), chosen.to_vec());
    }

    #[test]
    fn hostile_listing_items_are_left_out() {
        let ok =
            serde_json::json!({"full_name": "acme/x", "archived": true, "topics": ["Rust", 3]});
        assert_eq!(
            listed_from(&ok),
            Some(Listed {
                repo: slug("acme/x"),
                archived: true,
                fork: false,
                topics: vec!["rust".into()]
            })
        );
        for bad in [
            serde_json::json!({"full_name": "../../etc"}),
            serde_json::json!({"full_name": "acme/<script>"}),
            serde_json::json!({"name": "x"}),
            serde_json::json!("acme/x"),
        ] {
            assert_eq!(listed_from(&bad), None, "{bad}");
        }
    }
}
