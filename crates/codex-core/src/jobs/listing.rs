//! Every open issue of the repository, page by page: listed in full, or read from the
//! snapshot in the cache directory with what changed since merged in ([`crate::snapshot`]).
//! The one source project-sync, supervisor and activity read their issues from.
//!
//! Without a cache directory every run lists in full, as it always did. With one, a run lists
//! only the issues updated since the snapshot (one request when nothing changed), reads the
//! rest from the file one line at a time, and writes the merged snapshot for the next run as
//! it goes; the file is replaced only once the whole enumeration was read.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::component::Component;
use crate::github::{GitHub, Issue, IssueLister, IssuePage, IssueQuery, Malformed};
use crate::jobs::Context;
use crate::snapshot::{self, FullReason, Header, Item, Reader, Refresh, RefreshInputs, Writer};
use crate::telemetry::{Listing, ListingMode};

/// Items per page handed out from a snapshot (as GitHub's listing pages).
const PAGE: usize = 100;

/// What became of an item since the snapshot, as the delta listed it.
#[derive(Debug)]
enum Change {
    /// Open: the listed issue replaces the snapshot's.
    Open(Box<Issue>),
    /// An open pull request.
    PullRequest,
    /// Closed (issue or pull request): it leaves the snapshot.
    Closed,
}

#[derive(Debug)]
enum Source {
    /// A full listing.
    Listing(IssueLister),
    /// The snapshot, with the delta merged in as it is read.
    Snapshot {
        reader: Option<Reader>,
        delta: BTreeMap<u64, Change>,
    },
}

/// The open issues of the run's repository, pulled page by page with
/// [`OpenIssues::next_page`].
#[derive(Debug)]
pub struct OpenIssues {
    github: GitHub,
    source: Source,
    /// The snapshot's file (none without a cache directory).
    path: Option<PathBuf>,
    /// The merged snapshot being written, if anything changed.
    writer: Option<Writer>,
    listing: Listing,
    /// Numbers of the items the delta listed; `None` for a full listing (every item is new
    /// to the run).
    changed: Option<std::collections::HashSet<u64>>,
    malformed: Vec<Malformed>,
    scanned: u64,
    ended: bool,
}

impl OpenIssues {
    /// Decide how to list (see [`snapshot::plan_refresh`]) and, for a delta, list what
    /// changed. `component` is the caller: only project-sync heeds the work it left undone.
    pub async fn open(ctx: &Context, component: Component) -> crate::Result<OpenIssues> {
        let github = ctx.github().clone();
        let repo = ctx.repo();
        let Some(dir) = &ctx.config.cache_dir else {
            return Ok(OpenIssues::full(
                github,
                repo,
                None,
                None,
                "no cache directory (CODEX_CACHE_DIR)".to_owned(),
            ));
        };
        let api = ctx.config.api_url.as_str();
        let path = snapshot::path(dir, api, repo);
        let reader = Reader::open(&path, api, repo);
        let inputs = RefreshInputs {
            now: github.server_clock().await,
            every: chrono::Duration::hours(ctx.config.settings.full_resync_hours as i64),
            full_asked: ctx.config.full,
            pending: component == Component::Sync && snapshot::pending_path(&path).exists(),
            fresh_this_run: github.session().snapshot_fresh(&path),
        };
        let plan = snapshot::plan_refresh(
            reader
                .as_ref()
                .map(|r| r.as_ref().map(Reader::header))
                .map_err(String::as_str),
            inputs,
        );
        let started = github.server_now();
        let new_header = |full_at| Header {
            format: snapshot::FORMAT,
            api: api.to_owned(),
            repo: repo.to_string(),
            taken_at: started - snapshot::MARGIN,
            full_at,
        };
        match (plan, reader.ok().flatten()) {
            (Refresh::Reuse, Some(reader)) => {
                tracing::info!("issue snapshot listed earlier this run; read as it is");
                Ok(OpenIssues::from_snapshot(
                    github,
                    path,
                    reader,
                    BTreeMap::new(),
                    None,
                    Listing {
                        mode: ListingMode::Reused,
                        reason: None,
                        since: None,
                        listed: 0,
                    },
                    Vec::new(),
                ))
            }
            (Refresh::Delta(since), Some(reader)) => {
                let mut lister = IssueLister::new(&github, repo, &IssueQuery::updated_since(since));
                let mut delta = BTreeMap::new();
                let mut malformed = Vec::new();
                while let Some(page) = lister.next_page().await? {
                    malformed.extend(page.malformed);
                    for (n, open) in page.pull_requests {
                        delta.insert(
                            n,
                            if open {
                                Change::PullRequest
                            } else {
                                Change::Closed
                            },
                        );
                    }
                    for issue in page.issues {
                        let n = issue.number.0;
                        let change = if issue.is_open() {
                            Change::Open(Box::new(issue))
                        } else {
                            Change::Closed
                        };
                        delta.insert(n, change);
                    }
                }
                tracing::info!(%since, changed = delta.len(), requests = lister.pages(), "listed what changed since the snapshot");
                // Nothing changed: the file stays as it is, and so does its `taken_at`, so the
                // next run asks the very same question (a 304 with the cache).
                let writer = if delta.is_empty() {
                    None
                } else {
                    create(&path, &new_header(reader.header().full_at))
                };
                Ok(OpenIssues::from_snapshot(
                    github,
                    path,
                    reader,
                    delta,
                    writer,
                    Listing {
                        mode: ListingMode::Delta,
                        reason: None,
                        since: Some(since),
                        listed: lister.items(),
                    },
                    malformed,
                ))
            }
            (plan, _) => {
                let reason = match plan {
                    Refresh::Full(reason) => reason,
                    Refresh::Delta(_) | Refresh::Reuse => FullReason::None,
                };
                if let FullReason::Unusable(why) = &reason {
                    tracing::warn!(path = %path.display(), why, "issue snapshot unusable; listing every open issue");
                }
                let writer = create(&path, &new_header(started));
                Ok(OpenIssues::full(
                    github,
                    repo,
                    Some(path),
                    writer,
                    reason.to_string(),
                ))
            }
        }
    }

    fn full(
        github: GitHub,
        repo: &crate::config::RepoSlug,
        path: Option<PathBuf>,
        writer: Option<Writer>,
        reason: String,
    ) -> OpenIssues {
        tracing::info!(reason, "listing every open issue");
        OpenIssues {
            source: Source::Listing(IssueLister::new(&github, repo, &IssueQuery::open())),
            github,
            path,
            writer,
            listing: Listing {
                mode: ListingMode::Full,
                reason: Some(reason),
                since: None,
                listed: 0,
            },
            changed: None,
            malformed: Vec::new(),
            scanned: 0,
            ended: false,
        }
    }

    fn from_snapshot(
        github: GitHub,
        path: PathBuf,
        reader: Reader,
        delta: BTreeMap<u64, Change>,
        writer: Option<Writer>,
        listing: Listing,
        malformed: Vec<Malformed>,
    ) -> OpenIssues {
        OpenIssues {
            github,
            changed: Some(delta.keys().copied().collect()),
            source: Source::Snapshot {
                reader: Some(reader),
                delta,
            },
            path: Some(path),
            writer,
            listing,
            malformed,
            scanned: 0,
            ended: false,
        }
    }

    /// How the issues were (are being) listed, for telemetry.
    pub fn listing(&self) -> &Listing {
        &self.listing
    }

    /// True when the issue numbered `n` is new to this run: listed by GitHub this run (every
    /// issue of a full listing; in a delta, those updated since the snapshot).
    pub fn is_changed(&self, n: u64) -> bool {
        self.changed.as_ref().is_none_or(|c| c.contains(&n))
    }

    /// The node ids of the open issues a delta listed that `wanted` keeps (`None` for a full
    /// listing). Call it before the first page: the delta is handed out as the snapshot is
    /// read.
    pub fn changed_open_node_ids(&self, wanted: impl Fn(&Issue) -> bool) -> Option<Vec<String>> {
        match &self.source {
            Source::Listing(_) => None,
            Source::Snapshot { delta, .. } => Some(
                delta
                    .values()
                    .filter_map(|c| match c {
                        Change::Open(issue) if wanted(issue) => issue.node_id.clone(),
                        Change::Open(_) | Change::PullRequest | Change::Closed => None,
                    })
                    .collect(),
            ),
        }
    }

    /// Items handed out so far: open issues, open pull requests and malformed items.
    pub fn scanned(&self) -> u64 {
        self.scanned
    }

    /// The next page of open items, `None` after the last. An error ends the enumeration;
    /// the snapshot is then left as it was (the next run's delta covers what this one missed).
    pub async fn next_page(&mut self) -> crate::Result<Option<IssuePage>> {
        if self.ended {
            return Ok(None);
        }
        let page = match &mut self.source {
            Source::Listing(lister) => {
                let page = lister.next_page().await?;
                self.listing.listed = lister.items();
                page
            }
            Source::Snapshot { reader, delta } => {
                let mut page = IssuePage {
                    malformed: std::mem::take(&mut self.malformed),
                    ..IssuePage::default()
                };
                let mut items = Vec::new();
                while items.len() < PAGE {
                    let item = if let Some(r) = reader {
                        match r.next_item() {
                            Ok(Some(item)) => match delta.remove(&item.number()) {
                                None => Some(item),
                                Some(change) => open_item(item.number(), change),
                            },
                            Ok(None) => {
                                *reader = None;
                                continue;
                            }
                            Err(why) => {
                                let path = self.path.clone().unwrap_or_default();
                                let _ = std::fs::remove_file(&path);
                                self.ended = true;
                                return Err(crate::Error::Io {
                                    action: "reading the issue snapshot",
                                    path: path.display().to_string(),
                                    source: std::io::Error::other(why),
                                });
                            }
                        }
                    } else if let Some((n, change)) = delta.pop_first() {
                        open_item(n, change)
                    } else {
                        break;
                    };
                    items.extend(item);
                }
                if items.is_empty() && page.malformed.is_empty() {
                    None
                } else {
                    for item in items {
                        match item {
                            Item::Issue(issue) => page.issues.push(*issue),
                            Item::PullRequest(n) => page.pull_requests.push((n, true)),
                        }
                    }
                    Some(page)
                }
            }
        };
        let Some(page) = page else {
            self.end();
            return Ok(None);
        };
        self.scanned +=
            (page.issues.len() + page.pull_requests.len() + page.malformed.len()) as u64;
        if let Some(writer) = &mut self.writer {
            let written = (|| {
                for issue in page.issues.iter().filter(|i| i.is_open()) {
                    writer.issue(issue)?;
                }
                for (n, _) in page.pull_requests.iter().filter(|(_, open)| *open) {
                    writer.item(&Item::PullRequest(*n))?;
                }
                std::io::Result::Ok(())
            })();
            if let Err(e) = written {
                tracing::warn!(error = %e, "the issue snapshot could not be written; the next run lists every open issue");
                self.writer = None;
            }
        }
        Ok(Some(page))
    }

    /// The whole enumeration was read: put the new snapshot in place.
    fn end(&mut self) {
        self.ended = true;
        let Some(path) = &self.path else {
            return;
        };
        if let Some(writer) = self.writer.take()
            && let Err(e) = writer.commit()
        {
            tracing::warn!(error = %e, "the issue snapshot could not be written; the next run lists every open issue");
            return;
        }
        if path.exists() {
            self.github.session().snapshot_listed(path);
        }
    }
}

/// What a change leaves in the snapshot: the open issue or pull request, or nothing.
fn open_item(n: u64, change: Change) -> Option<Item> {
    match change {
        Change::Open(issue) => Some(Item::Issue(issue)),
        Change::PullRequest => Some(Item::PullRequest(n)),
        Change::Closed => None,
    }
}

fn create(path: &std::path::Path, header: &Header) -> Option<Writer> {
    Writer::create(path, header)
        .map_err(|e| {
            tracing::warn!(path = %path.display(), error = %e, "the issue snapshot cannot be written; the next run lists every open issue");
        })
        .ok()
}

/// Mark (or clear) the work project-sync left undone, so that its next run lists in full
/// ([`FullReason::Pending`]). Without a cache directory there is nothing to mark.
pub fn mark_pending(ctx: &Context, pending: bool) {
    let Some(dir) = &ctx.config.cache_dir else {
        return;
    };
    let path = snapshot::pending_path(&snapshot::path(
        dir,
        ctx.config.api_url.as_str(),
        ctx.repo(),
    ));
    let result = if pending {
        std::fs::create_dir_all(path.parent().unwrap_or(dir))
            .and_then(|()| std::fs::write(&path, b""))
    } else {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    };
    if let Err(e) = result {
        tracing::warn!(path = %path.display(), error = %e, "could not record what project-sync left undone");
    }
}
