//! Streaming enumeration of a repository's issues: `GET /repos/{owner}/{repo}/issues` at
//! `per_page=100`, then `Link` rel="next" exactly as given, one page in memory at a time.
//!
//! Pull requests are dropped by their `pull_request` key; each item is parsed on its own, so an
//! item that cannot be understood becomes a [`Malformed`] finding and the page goes on.
//!
//! The server is not trusted to paginate well: a [`PageGuard`] ends a listing whose next link
//! points back at a page already read or that runs past what the repository holds, and an
//! item whose number was already listed is dropped, so a page served twice counts once.

use std::collections::HashSet;

use serde_json::Value;
use url::Url;

use crate::config::RepoSlug;
use crate::error::{Error, Result};
use crate::github::client::GitHub;
use crate::github::model::{Issue, Malformed, MilestoneNumber};
use crate::github::pagination::PageGuard;

/// Which issues to list (GitHub's server-side filters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueQuery {
    /// `open`, `closed` or `all`.
    pub state: &'static str,
    /// Every one of these labels.
    pub labels: Vec<String>,
    /// In this milestone.
    pub milestone: Option<MilestoneNumber>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    /// Only what was updated at or after this time, least recently updated first
    /// (`since=…&sort=updated`): the delta of an incremental run.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

impl IssueQuery {
    /// Open issues (the default for every rule).
    pub fn open() -> Self {
        IssueQuery {
            newest_first: false,
            state: "open",
            labels: Vec::new(),
            milestone: None,
            since: None,
        }
    }

    /// Every issue, open or closed.
    pub fn all() -> Self {
        IssueQuery {
            state: "all",
            ..IssueQuery::open()
        }
    }

    /// Every issue, open or closed, updated at or after `since`.
    pub fn updated_since(since: chrono::DateTime<chrono::Utc>) -> Self {
        IssueQuery {
            since: Some(since),
            ..IssueQuery::all()
        }
    }

    /// The first page's URL. Oldest first unless [`IssueQuery::newest_first`] (`sort=created&direction=asc`): pages then stay
    /// stable as new issues arrive, which keeps conditional requests cheap on reruns.
    pub fn first_url(&self, client: &GitHub, repo: &RepoSlug) -> Url {
        let mut url = client.url(&format!("repos/{}/{}/issues", repo.owner, repo.name));
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("state", self.state);
            if !self.labels.is_empty() {
                q.append_pair("labels", &self.labels.join(","));
            }
            if let Some(m) = self.milestone {
                q.append_pair("milestone", &m.to_string());
            }
            if let Some(since) = self.since {
                q.append_pair(
                    "since",
                    &since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                );
                q.append_pair("sort", "updated");
            } else {
                q.append_pair("sort", "created");
            }
            q.append_pair("direction", if self.newest_first { "desc" } else { "asc" });
            q.append_pair("per_page", "100");
        }
        url
    }
}

/// One page of the enumeration, already sorted into what the rules need.
#[derive(Debug, Clone, Default)]
pub struct IssuePage {
    /// Issues (pull requests removed).
    pub issues: Vec<Issue>,
    /// Pull requests seen and dropped from `issues`: their numbers, and whether each is open
    /// (the integrity scanner's comparisons).
    pub pull_requests: Vec<(u64, bool)>,
    /// Items that could not be understood.
    pub malformed: Vec<Malformed>,
}

/// Pull-based pager: call [`IssueLister::next_page`] until it returns `None`.
#[derive(Debug)]
pub struct IssueLister {
    client: GitHub,
    next: Option<Url>,
    guard: PageGuard,
    seen: HashSet<u64>,
    pages: u64,
    items: u64,
    duplicates: u64,
}

impl IssueLister {
    /// Start listing; nothing is sent until the first [`IssueLister::next_page`].
    pub fn new(client: &GitHub, repo: &RepoSlug, query: &IssueQuery) -> Self {
        let first = query.first_url(client, repo);
        IssueLister {
            client: client.clone(),
            next: Some(first),
            guard: PageGuard::new(),
            seen: HashSet::new(),
            pages: 0,
            items: 0,
            duplicates: 0,
        }
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Items (issues, pull requests and malformed ones) seen so far, each number once.
    pub fn items(&self) -> u64 {
        self.items
    }

    /// Items dropped because their number had already been listed (a page served twice).
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Fetch the next page, or `None` when the last one has been read. An error ends the
    /// listing: the next call returns `None`.
    pub async fn next_page(&mut self) -> Result<Option<IssuePage>> {
        let Some(url) = self.next.take() else {
            return Ok(None);
        };
        let (body, next) = self.client.get_page(&url, &mut self.guard).await?;
        let items: Vec<Value> = match body {
            Value::Array(items) => items,
            other => {
                return Err(Error::Decode {
                    url: url.to_string(),
                    message: format!("expected a list of issues, got {}", short(&other)),
                });
            }
        };
        self.pages += 1;
        let mut page = IssuePage::default();
        let mut duplicates = 0u64;
        for item in &items {
            if let Some(number) = item.get("number").and_then(Value::as_u64)
                && !self.seen.insert(number)
            {
                duplicates += 1;
                continue;
            }
            self.items += 1;
            match Issue::from_json(item) {
                Ok(issue) if issue.is_pull_request => {
                    page.pull_requests.push((issue.number.0, issue.is_open()));
                }
                Ok(issue) => page.issues.push(issue),
                Err(malformed) => page.malformed.push(malformed),
            }
        }
        if duplicates > 0 {
            self.duplicates += duplicates;
            tracing::warn!(
                url = %url,
                duplicates,
                "items already listed on an earlier page were dropped"
            );
        }
        tracing::info!(
            page = self.pages,
            items = items.len(),
            total = self.items,
            more = next.is_some(),
            "fetched issues page"
        );
        self.next = next;
        Ok(Some(page))
    }

    /// Read every page into one list. Convenient for small result sets (self-test issues);
    /// whole-repository work should stream with [`IssueLister::next_page`].
    pub async fn collect(mut self) -> Result<IssuePage> {
        let mut all = IssuePage::default();
        while let Some(page) = self.next_page().await? {
            all.issues.extend(page.issues);
            all.pull_requests.extend(page.pull_requests);
            all.malformed.extend(page.malformed);
        }
        Ok(all)
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 120 {
        format!("{}…", &text[..text.floor_char_boundary(120)])
    } else {
        text
    }
}
