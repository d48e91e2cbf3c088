//! The GraphQL Codex needs: find a Project (v2) by title, read its items once per run, add an
//! issue to it, delete an issue. Every document here is validated against GitHub's published
//! schema in the tests (`spec/github.graphql`).

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::{Value, json};

use crate::error::{Error, GraphQlErrorKind, Result};
use crate::github::client::{GitHub, KnownProject, Retry, Written};

/// Find a Project by title under an organisation or user.
pub const FIND_PROJECT: &str = "\
query FindProject($login: String!, $title: String!, $after: String) {
  repositoryOwner(login: $login) {
    __typename
    ... on Organization {
      projectsV2(first: 100, after: $after, query: $title) {
        nodes { id number title closed }
        pageInfo { hasNextPage endCursor }
      }
    }
    ... on User {
      projectsV2(first: 100, after: $after, query: $title) {
        nodes { id number title closed }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}";

/// One page of a Project's items: what each points at (node id, number, repository) and
/// whether it is archived. Project-sync reads the node ids, the integrity scanner the rest.
pub const PROJECT_ITEMS: &str = "\
query ProjectItems($id: ID!, $after: String) {
  node(id: $id) {
    ... on ProjectV2 {
      items(first: 100, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes {
          id
          isArchived
          content {
            __typename
            ... on Issue { id number repository { nameWithOwner } }
            ... on PullRequest { id number repository { nameWithOwner } }
          }
        }
      }
    }
  }
}";

/// The Projects some issues are items of (up to 100 issues, by node id): what an incremental
/// run asks about the issues that changed instead of reading the whole Project.
pub const PROJECT_MEMBERSHIP: &str = "\
query ProjectMembership($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Issue {
      id
      projectItems(first: 100) {
        nodes { project { id } }
      }
    }
  }
}";

/// Add an issue to a Project (GitHub returns the existing item when it is already there).
pub const ADD_PROJECT_ITEM: &str = "\
mutation AddProjectItem($project: ID!, $content: ID!) {
  addProjectV2ItemById(input: {projectId: $project, contentId: $content}) {
    item { id }
  }
}";

/// How many Project additions one GraphQL document carries ([`add_project_items_document`]).
///
/// GitHub sets no number of mutations per document, but each one still counts as a
/// content-creating request for the secondary limits (80 a minute, 500 an hour), and the whole
/// document must finish within GitHub's 10 s request timeout. 20 divides both limits (4
/// documents a minute, 25 an hour, when the limits are what stops a run), keeps one document
/// far from the timeout, and bounds what one retry repeats (adding an item is idempotent).
pub const PROJECT_BATCH: usize = 20;

/// A document adding `n` contents to one Project: `$project` and `$c0`..`$c{n-1}`, each
/// addition under the alias `a{k}` (`a0: addProjectV2ItemById(…) { item { id } }`), so a
/// failed one is named by its `path` (`["a3"]`) while the others are applied.
pub fn add_project_items_document(n: usize) -> String {
    use std::fmt::Write as _;
    let mut vars = String::from("$project: ID!");
    let mut fields = String::new();
    for k in 0..n {
        let _ = write!(vars, ", $c{k}: ID!");
        let _ = writeln!(
            fields,
            "  a{k}: addProjectV2ItemById(input: {{projectId: $project, contentId: $c{k}}}) {{ item {{ id }} }}"
        );
    }
    format!("mutation AddProjectItems({vars}) {{\n{fields}}}")
}

/// What became of each addition of a batched document, from its answer: the item id under
/// the addition's alias (`a{k}`), else the error whose `path` names it, else (neither: an
/// answer that says nothing about it) an error saying so.
pub fn batch_outcomes(answer: &Value, n: usize) -> Vec<Result<String>> {
    let errors: Vec<&Value> = answer
        .get("errors")
        .and_then(Value::as_array)
        .map(|e| e.iter().collect())
        .unwrap_or_default();
    (0..n)
        .map(|k| {
            let alias = format!("a{k}");
            if let Some(id) = answer["data"][&alias]["item"]["id"].as_str() {
                return Ok(id.to_owned());
            }
            let own: Vec<&&Value> = errors
                .iter()
                .filter(|e| e["path"].get(0).and_then(Value::as_str) == Some(alias.as_str()))
                .collect();
            let kind = own
                .first()
                .and_then(|e| e["type"].as_str())
                .map(GraphQlErrorKind::parse);
            let messages: Vec<String> = own
                .iter()
                .map(|e| e["message"].as_str().unwrap_or("unknown error").to_owned())
                .collect();
            Err(Error::GraphQl {
                kind,
                messages: if messages.is_empty() {
                    vec![format!("no item in the answer for {alias}")]
                } else {
                    messages
                },
            })
        })
        .collect()
}

/// Delete an issue (needs admin rights on the repository).
pub const DELETE_ISSUE: &str = "\
mutation DeleteIssue($issue: ID!) {
  deleteIssue(input: {issueId: $issue}) {
    clientMutationId
  }
}";

/// One page of a repository's issue numbers, open and closed (the integrity scanner's
/// comparison with REST).
pub const ISSUE_NUMBERS: &str = "\
query IssueNumbers($owner: String!, $name: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    issues(first: 100, after: $after, states: [OPEN, CLOSED]) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { number }
    }
  }
}";

/// Every GraphQL document Codex sends, for the conformance tests.
pub const DOCUMENTS: &[&str] = &[
    FIND_PROJECT,
    PROJECT_ITEMS,
    PROJECT_MEMBERSHIP,
    ADD_PROJECT_ITEM,
    DELETE_ISSUE,
    ISSUE_NUMBERS,
];

/// A repository's issue numbers as GraphQL enumerates them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueNumbers {
    /// The numbers read.
    pub numbers: crate::numbers::Numbers,
    /// The connection's `totalCount`, when a page was read.
    pub total: Option<u64>,
}

/// What a Project item points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemContent<'a> {
    /// `content: null`: the issue it pointed at is gone.
    Missing,
    /// A draft issue (or anything that is neither an issue nor a pull request).
    Other,
    /// An issue or pull request.
    Issue {
        /// `owner/name`, as the server sent it.
        repository: &'a str,
        /// Its number.
        number: u64,
        /// True for a pull request.
        pull_request: bool,
    },
}

/// What kind of content an item points at (its [`ItemContent`] without the repository).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Missing,
    Other,
    Issue,
    PullRequest,
}

/// One item, in 16 bytes: its repository is an index into [`ProjectItems`]' names, so a
/// Project of 50,000 items from a few repositories holds each name once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Item {
    number: u64,
    repository: u32,
    kind: Kind,
    archived: bool,
}

/// A Project's items as the integrity scanner reads them, compactly (a run holds every item
/// of its Project: 1.1 MB for 69,000 items, where an owned name per item took 5.5 MB).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectItems {
    items: Vec<Item>,
    /// The repositories' names, each once (`owner/name` as the server sent it).
    repositories: Vec<String>,
    /// Where each name is in `repositories`.
    index: HashMap<String, u32>,
    /// `totalCount`.
    pub total: u64,
}

impl ProjectItems {
    /// Add an item (in the order read).
    pub fn push(&mut self, archived: bool, content: ItemContent<'_>) {
        let (kind, number, repository) = match content {
            ItemContent::Missing => (Kind::Missing, 0, 0),
            ItemContent::Other => (Kind::Other, 0, 0),
            ItemContent::Issue {
                repository,
                number,
                pull_request,
            } => {
                let kind = if pull_request {
                    Kind::PullRequest
                } else {
                    Kind::Issue
                };
                (kind, number, self.repository_index(repository))
            }
        };
        self.items.push(Item {
            number,
            repository,
            kind,
            archived,
        });
    }

    /// The index of `name` among the names, added if new.
    fn repository_index(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = u32::try_from(self.repositories.len()).unwrap_or(u32::MAX);
        self.repositories.push(name.to_owned());
        self.index.insert(name.to_owned(), i);
        i
    }

    /// Room for `n` more items (from the first page's `totalCount`, bounded so that a server's
    /// count cannot make the client reserve more than a Project can hold).
    fn reserve(&mut self, n: u64) {
        const MOST: u64 = 100_000;
        let n = n.min(MOST) as usize;
        self.items.reserve_exact(n.saturating_sub(self.items.len()));
    }

    /// The items read, in order: archived, and what each points at.
    pub fn iter(&self) -> impl Iterator<Item = (bool, ItemContent<'_>)> + '_ {
        self.items.iter().map(|item| {
            let content = match item.kind {
                Kind::Missing => ItemContent::Missing,
                Kind::Other => ItemContent::Other,
                Kind::Issue | Kind::PullRequest => ItemContent::Issue {
                    repository: &self.repositories[item.repository as usize],
                    number: item.number,
                    pull_request: item.kind == Kind::PullRequest,
                },
            };
            (item.archived, content)
        })
    }

    /// How many items were read.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when no item was read.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// The content node ids of a Project's items, as a run keeps them to answer "is this issue an
/// item?" once per listed issue: each id as a 128-bit digest, sorted (1.1 MB for 69,000 ids,
/// where a `HashSet<String>` took 5 MB), plus the ids the run added since. Two ids share a
/// digest with odds of about 1 in 10^28 at 100,000 ids; were they to, one issue would be
/// taken for an item and not added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentIds {
    read: Vec<u128>,
    added: BTreeSet<u128>,
}

impl ContentIds {
    /// The digest of a node id: two SipHash passes (std's, with fixed keys: the digests live
    /// only as long as the process).
    fn digest(id: &str) -> u128 {
        use std::hash::{Hash, Hasher};
        let half = |salt: u8| {
            let mut h = std::hash::DefaultHasher::new();
            salt.hash(&mut h);
            id.hash(&mut h);
            h.finish()
        };
        (u128::from(half(0)) << 64) | u128::from(half(1))
    }

    /// From the ids read (any order, repeats allowed).
    fn from_read(mut read: Vec<u128>) -> Self {
        read.sort_unstable();
        read.dedup();
        read.shrink_to_fit();
        ContentIds {
            read,
            added: BTreeSet::new(),
        }
    }

    /// True when `id` is among them.
    pub fn contains(&self, id: &str) -> bool {
        let d = Self::digest(id);
        self.read.binary_search(&d).is_ok() || self.added.contains(&d)
    }

    /// Add `id`; false when it was there already.
    pub fn insert(&mut self, id: &str) -> bool {
        let d = Self::digest(id);
        self.read.binary_search(&d).is_err() && self.added.insert(d)
    }

    /// How many distinct ids.
    pub fn len(&self) -> usize {
        self.read.len() + self.added.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A Project (v2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Node id.
    pub id: String,
    /// Number under its owner.
    pub number: u64,
    /// Title.
    pub title: String,
}

impl GitHub {
    /// The open Project titled exactly `title` under `owner`, if the token can see one.
    /// A token that cannot see Projects gets an error ([`Error::is_permission`]).
    pub async fn find_project(&self, owner: &str, title: &str) -> Result<Option<Project>> {
        let mut after: Option<String> = None;
        loop {
            let data = self
                .graphql(
                    FIND_PROJECT,
                    json!({ "login": owner, "title": title, "after": after }),
                )
                .await?;
            let owner_node = &data["repositoryOwner"];
            if owner_node.is_null() {
                return Err(Error::GraphQl {
                    kind: Some(GraphQlErrorKind::NotFound),
                    messages: vec![format!("no organisation or user named {owner:?}")],
                });
            }
            let conn = &owner_node["projectsV2"];
            for node in conn["nodes"].as_array().into_iter().flatten() {
                let same = node["title"].as_str() == Some(title);
                let open = node["closed"].as_bool() != Some(true);
                if let (true, true, Some(id), Some(number)) =
                    (same, open, node["id"].as_str(), node["number"].as_u64())
                {
                    return Ok(Some(Project {
                        id: id.to_owned(),
                        number,
                        title: title.to_owned(),
                    }));
                }
            }
            match page_cursor(&conn["pageInfo"]) {
                Some(cursor) => after = Some(cursor),
                None => return Ok(None),
            }
        }
    }

    /// Which of `content_ids` (issues' node ids) are items of the Project `project_id`: one
    /// query per 100 issues ([`PROJECT_MEMBERSHIP`]), the whole Project unread. An id that
    /// is no issue any more (deleted) is simply not a member.
    pub async fn project_members_among(
        &self,
        project_id: &str,
        content_ids: &[String],
    ) -> Result<HashSet<String>> {
        let mut members = HashSet::new();
        for chunk in content_ids.chunks(100) {
            let data = self
                .graphql(PROJECT_MEMBERSHIP, json!({ "ids": chunk }))
                .await?;
            for node in data["nodes"].as_array().into_iter().flatten() {
                let in_project = node["projectItems"]["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|item| item["project"]["id"].as_str() == Some(project_id));
                if let (true, Some(id)) = (in_project, node["id"].as_str())
                    && chunk.iter().any(|c| c == id)
                {
                    members.insert(id.to_owned());
                }
            }
        }
        Ok(members)
    }

    /// Node ids of every issue and pull request in a Project: one pass, 100 items a request,
    /// once a run. The clients of a run (its components, every repository of a run over
    /// several) share what was read, and [`GitHub::add_project_item`] adds to it.
    pub async fn project_content_ids(&self, project_id: &str) -> Result<ContentIds> {
        self.known_project(project_id, |known| known.members.clone())
            .await
    }

    /// Read a Project's items once this run (as [`GitHub::project_content_ids`] does) without
    /// copying its members: how many there are. [`GitHub::project_contains`] then asks the
    /// run's one copy.
    pub async fn read_project(&self, project_id: &str) -> Result<usize> {
        self.known_project(project_id, |known| known.members.len())
            .await
    }

    /// True when the content (an issue's node id) is an item of the Project as this run read
    /// it ([`GitHub::read_project`]) or added to it; false when the run has not read it.
    pub fn project_contains(&self, project_id: &str, content_id: &str) -> bool {
        self.session()
            .known_project(project_id, |known| known.members.contains(content_id))
            .unwrap_or(false)
    }

    /// Every item of a Project with its archived flag and what it points at, from the same
    /// one pass a run as [`GitHub::project_content_ids`], seen through `f` (the run's one copy
    /// is lent, not cloned).
    pub async fn project_items<T>(
        &self,
        project_id: &str,
        f: impl Fn(&ProjectItems) -> T,
    ) -> Result<T> {
        self.known_project(project_id, |known| f(&known.items))
            .await
    }

    /// The Project as this run read it, read now if no client of the run has yet.
    async fn known_project<T>(
        &self,
        project_id: &str,
        f: impl Fn(&KnownProject) -> T,
    ) -> Result<T> {
        if let Some(out) = self.session().known_project(project_id, &f) {
            tracing::debug!(project_id, "project items known this run");
            return Ok(out);
        }
        let mut items = ProjectItems::default();
        let mut read = Vec::new();
        items.total = self
            .project_item_pages(project_id, |node, total| {
                if items.is_empty() {
                    items.reserve(total);
                    read.reserve_exact(total.min(100_000) as usize);
                }
                if let Some(id) = node["content"]["id"].as_str() {
                    read.push(ContentIds::digest(id));
                }
                push_item(&mut items, node);
            })
            .await?;
        let known = KnownProject {
            members: ContentIds::from_read(read),
            items,
        };
        let out = f(&known);
        self.session().remember_project(project_id, known);
        Ok(out)
    }

    /// Every page of a Project's items ([`PROJECT_ITEMS`]), each item to `each` with the
    /// connection's `totalCount` as last read; that count.
    async fn project_item_pages(
        &self,
        project_id: &str,
        mut each: impl FnMut(&Value, u64),
    ) -> Result<u64> {
        let mut after: Option<String> = None;
        let mut total = 0;
        loop {
            let data = self
                .graphql(PROJECT_ITEMS, json!({ "id": project_id, "after": after }))
                .await?;
            let items = &data["node"]["items"];
            if items.is_null() {
                return Err(Error::GraphQl {
                    kind: Some(GraphQlErrorKind::NotFound),
                    messages: vec![format!("project {project_id} has no readable items")],
                });
            }
            total = items["totalCount"].as_u64().unwrap_or(total);
            for node in items["nodes"].as_array().into_iter().flatten() {
                each(node, total);
            }
            match page_cursor(&items["pageInfo"]) {
                Some(cursor) if after.as_deref() != Some(cursor.as_str()) => after = Some(cursor),
                _ => return Ok(total),
            }
        }
    }

    /// Add content (an issue's node id) to a Project; returns the item id.
    pub async fn add_project_item(
        &self,
        project_id: &str,
        content_id: &str,
    ) -> Result<Written<String>> {
        let answer = self
            .graphql_mutation(
                ADD_PROJECT_ITEM,
                json!({ "project": project_id, "content": content_id }),
                // GitHub returns the existing item when the content is already there.
                Retry::Safe,
            )
            .await?;
        Ok(match answer {
            Written::DryRun => Written::DryRun,
            Written::Done(data) => {
                self.session().project_added(project_id, content_id);
                Written::Done(
                    data["addProjectV2ItemById"]["item"]["id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            }
        })
    }

    /// Add contents (issues' node ids) to a Project, [`PROJECT_BATCH`] to a document at
    /// most (the caller splits longer lists): one request, each addition counted as one write
    /// by the budget and the governor. The outer error is the request's (nothing known to be
    /// applied); inside, one outcome per content, in order: the item id, or why that one
    /// failed (GitHub applies the others), or [`Error::BudgetExhausted`] for those the
    /// budget had no room for. Each success is added to the run's view of the Project.
    pub async fn add_project_items(
        &self,
        project_id: &str,
        content_ids: &[String],
    ) -> Result<Written<Vec<Result<String>>>> {
        let n = content_ids.len();
        let build = |k: usize| {
            let mut vars = serde_json::Map::new();
            vars.insert("project".to_owned(), json!(project_id));
            for (i, id) in content_ids.iter().take(k).enumerate() {
                vars.insert(format!("c{i}"), json!(id));
            }
            (add_project_items_document(k), Value::Object(vars))
        };
        // GitHub returns the existing item when the content is already there.
        let (k, answer) = match self.graphql_mutations(n, build, Retry::Safe).await? {
            Written::DryRun => return Ok(Written::DryRun),
            Written::Done(done) => done,
        };
        let mut out = batch_outcomes(&answer, k);
        for (id, outcome) in content_ids.iter().zip(&out) {
            if outcome.is_ok() {
                self.session().project_added(project_id, id);
            }
        }
        if k < n {
            let budget = self.max_mutations().unwrap_or_default();
            out.extend((k..n).map(|_| Err(Error::BudgetExhausted { budget })));
        }
        Ok(Written::Done(out))
    }

    /// Delete an issue by node id.
    pub async fn delete_issue(&self, issue_node_id: &str) -> Result<Written<()>> {
        Ok(
            match self
                .graphql_mutation(
                    DELETE_ISSUE,
                    json!({ "issue": issue_node_id }),
                    Retry::Never,
                )
                .await?
            {
                Written::DryRun => Written::DryRun,
                Written::Done(_) => Written::Done(()),
            },
        )
    }
}

impl GitHub {
    /// Every issue number GraphQL's `repository.issues` returns, 100 a page. On failure part
    /// way, the error comes with what was read so far.
    pub async fn issue_numbers(
        &self,
        owner: &str,
        name: &str,
    ) -> std::result::Result<IssueNumbers, (IssueNumbers, Error)> {
        let mut out = IssueNumbers::default();
        let mut after: Option<String> = None;
        loop {
            let data = match self
                .graphql(
                    ISSUE_NUMBERS,
                    json!({ "owner": owner, "name": name, "after": after }),
                )
                .await
            {
                Ok(data) => data,
                Err(e) => return Err((out, e)),
            };
            let issues = &data["repository"]["issues"];
            if issues.is_null() {
                let e = Error::GraphQl {
                    kind: Some(GraphQlErrorKind::NotFound),
                    messages: vec![format!("repository {owner}/{name} has no readable issues")],
                };
                return Err((out, e));
            }
            out.total = issues["totalCount"].as_u64().or(out.total);
            out.numbers.extend(
                issues["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|n| n["number"].as_u64()),
            );
            match page_cursor(&issues["pageInfo"]) {
                Some(cursor) if after.as_deref() != Some(cursor.as_str()) => after = Some(cursor),
                _ => return Ok(out),
            }
        }
    }
}

/// Add one item as the server sent it: an issue or pull request with its number and
/// repository, `content: null` (gone), or anything else.
fn push_item(items: &mut ProjectItems, node: &Value) {
    let content = &node["content"];
    let content = if content.is_null() {
        ItemContent::Missing
    } else {
        match (
            content["__typename"].as_str(),
            content["number"].as_u64(),
            content["repository"]["nameWithOwner"].as_str(),
        ) {
            (Some(kind @ ("Issue" | "PullRequest")), Some(number), Some(repository)) => {
                ItemContent::Issue {
                    repository,
                    number,
                    pull_request: kind == "PullRequest",
                }
            }
            _ => ItemContent::Other,
        }
    };
    items.push(node["isArchived"].as_bool().unwrap_or(false), content);
}

fn page_cursor(page_info: &Value) -> Option<String> {
    if page_info["hasNextPage"].as_bool() == Some(true) {
        page_info["endCursor"].as_str().map(str::to_owned)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ids_answer_as_a_set_of_the_ids_would() {
        let read = ["I_b", "I_a", "I_b", "PR_c"]
            .map(ContentIds::digest)
            .to_vec();
        let mut ids = ContentIds::from_read(read);
        assert_eq!(ids.len(), 3, "a repeated id counts once");
        assert!(ids.contains("I_a") && ids.contains("PR_c"));
        assert!(!ids.contains("I_d") && !ids.contains("i_a") && !ids.contains(""));
        assert!(!ids.insert("I_a"), "read already");
        assert!(ids.insert("I_d"));
        assert!(!ids.insert("I_d"), "added already");
        assert!(ids.contains("I_d"));
        assert_eq!(ids.len(), 4);
    }

    #[test]
    fn project_items_read_back_as_the_server_sent_them() {
        let mut items = ProjectItems::default();
        let nodes = json!([
            {"isArchived": true, "content": {"__typename": "Issue", "number": 3,
                "repository": {"nameWithOwner": "acme/widgets"}, "id": "I_3"}},
            {"isArchived": false, "content": null},
            {"isArchived": false, "content": {"__typename": "PullRequest", "number": 4,
                "repository": {"nameWithOwner": "acme/gadgets"}}},
            {"content": {"__typename": "DraftIssue"}},
            {"content": {"__typename": "Issue", "number": 5,
                "repository": {"nameWithOwner": "acme/widgets"}}},
            {"content": {"__typename": "Issue", "number": "6"}}
        ]);
        for node in nodes.as_array().unwrap() {
            push_item(&mut items, node);
        }
        let read: Vec<(bool, ItemContent<'_>)> = items.iter().collect();
        let issue = |repository, number, pull_request| ItemContent::Issue {
            repository,
            number,
            pull_request,
        };
        assert_eq!(
            read,
            [
                (true, issue("acme/widgets", 3, false)),
                (false, ItemContent::Missing),
                (false, issue("acme/gadgets", 4, true)),
                (false, ItemContent::Other),
                (false, issue("acme/widgets", 5, false)),
                (false, ItemContent::Other),
            ]
        );
        assert_eq!(items.repositories, ["acme/widgets", "acme/gadgets"]);
        assert_eq!(std::mem::size_of::<Item>(), 16);
    }

    #[test]
    fn a_batch_document_names_each_addition_by_its_alias() {
        let doc = add_project_items_document(3);
        assert!(
            doc.starts_with(
                "mutation AddProjectItems($project: ID!, $c0: ID!, $c1: ID!, $c2: ID!) {"
            ),
            "{doc}"
        );
        for k in 0..3 {
            assert!(
                doc.contains(&format!(
                    "a{k}: addProjectV2ItemById(input: {{projectId: $project, contentId: $c{k}}}) {{ item {{ id }} }}"
                )),
                "{doc}"
            );
        }
        assert!(!doc.contains("a3:"));
        assert_eq!(
            add_project_items_document(PROJECT_BATCH)
                .matches("addProjectV2ItemById")
                .count(),
            PROJECT_BATCH
        );
    }

    #[test]
    fn batch_outcomes_map_each_alias_and_its_errors_back() {
        let answer = json!({
            "data": {
                "a0": {"item": {"id": "PVTI_0"}},
                "a1": null,
                "a2": {"item": {"id": "PVTI_2"}},
            },
            "errors": [{
                "type": "UNPROCESSABLE", "path": ["a1"],
                "message": "Content I_1 cannot be added to this project"
            }]
        });
        let out = batch_outcomes(&answer, 4);
        assert_eq!(out.len(), 4);
        assert_eq!(out[0].as_ref().unwrap(), "PVTI_0");
        assert_eq!(out[2].as_ref().unwrap(), "PVTI_2");
        match &out[1] {
            Err(Error::GraphQl { messages, .. }) => {
                assert_eq!(messages, &["Content I_1 cannot be added to this project"]);
            }
            other => panic!("{other:?}"),
        }
        match &out[3] {
            Err(Error::GraphQl { messages, .. }) => {
                assert_eq!(messages, &["no item in the answer for a3"]);
            }
            other => panic!("{other:?}"),
        }
    }
}
