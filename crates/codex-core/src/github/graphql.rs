//! The GraphQL Codex needs: find a Project (v2) by title, read its items once per run, add an
//! issue to it, delete an issue. Every document here is validated against GitHub's published
//! schema in the tests (`spec/github.graphql`).

use std::collections::{BTreeSet, HashSet};

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
    pub numbers: BTreeSet<u64>,
    /// The connection's `totalCount`, when a page was read.
    pub total: Option<u64>,
}

/// What a Project item points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemContent {
    /// `content: null`: the issue it pointed at is gone.
    Missing,
    /// A draft issue (or anything that is neither an issue nor a pull request).
    Other,
    /// An issue or pull request.
    Issue {
        /// `owner/name`, as the server sent it.
        repository: String,
        /// Its number.
        number: u64,
        /// True for a pull request.
        pull_request: bool,
    },
}

/// A Project item as the integrity scanner reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectItem {
    /// Archived.
    pub archived: bool,
    /// What it points at.
    pub content: ItemContent,
}

/// A Project's items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectItems {
    /// The items read.
    pub items: Vec<ProjectItem>,
    /// `totalCount`.
    pub total: u64,
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
    pub async fn project_content_ids(&self, project_id: &str) -> Result<HashSet<String>> {
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
    /// one pass a run as [`GitHub::project_content_ids`].
    pub async fn project_items(&self, project_id: &str) -> Result<ProjectItems> {
        self.known_project(project_id, |known| known.items.clone())
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
        let mut known = KnownProject::default();
        known.items.total = self
            .project_item_pages(project_id, |node| {
                if let Some(id) = node["content"]["id"].as_str() {
                    known.members.insert(id.to_owned());
                }
                known.items.items.push(ProjectItem::from_json(node));
            })
            .await?;
        let out = f(&known);
        self.session().remember_project(project_id, known);
        Ok(out)
    }

    /// Every page of a Project's items ([`PROJECT_ITEMS`]), each item to `each`; the
    /// connection's `totalCount`.
    async fn project_item_pages(
        &self,
        project_id: &str,
        mut each: impl FnMut(&Value),
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
            items["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .for_each(&mut each);
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

impl ProjectItem {
    fn from_json(node: &Value) -> Self {
        let content = &node["content"];
        let content = if content.is_null() {
            ItemContent::Missing
        } else {
            match (
                content["__typename"].as_str(),
                content["number"].as_u64(),
                content["repository"]["nameWithOwner"].as_str(),
            ) {
                (Some(kind @ ("Issue" | "PullRequest")), Some(number), Some(repo)) => {
                    ItemContent::Issue {
                        repository: repo.to_owned(),
                        number,
                        pull_request: kind == "PullRequest",
                    }
                }
                _ => ItemContent::Other,
            }
        };
        ProjectItem {
            archived: node["isArchived"].as_bool().unwrap_or(false),
            content,
        }
    }
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
