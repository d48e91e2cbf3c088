//! The sandbox's in-memory GitHub: users, repositories with their issues, pull requests, labels,
//! milestones, variables and branches, and organisation Projects v2. Issues are stored compactly
//! (label and user references are small integers) and turned into JSON only when asked for, so the
//! `large` scenario holds 100,000 issues in modest memory. List queries go through sorted indexes
//! that are rebuilt lazily after a write.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use crate::ids;

/// Seconds since the Unix epoch, UTC.
pub type Ts = i64;

/// Formats a timestamp the way GitHub does (`2011-04-22T13:33:48Z`).
pub fn fmt_ts(ts: Ts) -> String {
    match Utc.timestamp_opt(ts, 0).single() {
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => "1970-01-01T00:00:00Z".to_owned(),
    }
}

/// What kind of account a [`User`] is (GitHub's `type` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserKind {
    /// A person.
    User,
    /// An organisation (owner of repositories and projects).
    Organization,
    /// An app's bot account (`github-actions[bot]`).
    Bot,
}

/// An account.
#[derive(Clone, Debug)]
pub struct User {
    /// Numeric id.
    pub id: u64,
    /// Login name.
    pub login: String,
    /// Account type.
    pub kind: UserKind,
}

/// A repository label.
#[derive(Clone, Debug)]
pub struct Label {
    /// Numeric id.
    pub id: u64,
    /// Name (unique per repository, case-insensitively).
    pub name: String,
    /// Six hex digits, no `#`.
    pub color: String,
    /// Optional description.
    pub description: Option<String>,
    /// One of GitHub's default labels.
    pub default: bool,
    /// False for a label deleted from the repository's label list but still shown on the issues
    /// that carried it (`POST /_sandbox/label {"delete": true}`): absent from the labels list
    /// and from name lookups.
    pub listed: bool,
}

/// An issue type of an owner (GitHub's `issue-type`: Bug, Task, Feature, …).
#[derive(Clone, Debug)]
pub struct IssueType {
    /// Numeric id.
    pub id: u64,
    /// Owner login (organisation).
    pub owner: String,
    /// Name (`Bug`).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// One of GitHub's colour names (`red`, `yellow`, `blue`, …).
    pub color: String,
}

/// A repository milestone.
#[derive(Clone, Debug)]
pub struct Milestone {
    /// Numeric id.
    pub id: u64,
    /// Per-repository number.
    pub number: u32,
    /// Title (unique per repository).
    pub title: String,
    /// `open` (true) or `closed`.
    pub open: bool,
    /// Optional description.
    pub description: Option<String>,
    /// Creation time.
    pub created_at: Ts,
    /// Last update.
    pub updated_at: Ts,
    /// Due date.
    pub due_on: Option<Ts>,
    /// When it was closed.
    pub closed_at: Option<Ts>,
    /// Index into [`State::users`].
    pub creator: Option<u32>,
    /// False for a milestone that was deleted but is still referenced by an issue: it is absent
    /// from the milestones list, yet issues still show it.
    pub listed: bool,
}

/// Why an issue was closed or reopened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateReason {
    /// Closed as done.
    Completed,
    /// Closed as won't do.
    NotPlanned,
    /// Reopened.
    Reopened,
    /// Closed as a duplicate of another issue.
    Duplicate,
}

impl StateReason {
    /// GitHub's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::NotPlanned => "not_planned",
            Self::Reopened => "reopened",
            Self::Duplicate => "duplicate",
        }
    }

    /// Parses GitHub's spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "completed" => Some(Self::Completed),
            "not_planned" => Some(Self::NotPlanned),
            "reopened" => Some(Self::Reopened),
            "duplicate" => Some(Self::Duplicate),
            _ => None,
        }
    }
}

/// Deliberate oddities in how an issue is rendered, copied from what GitHub has been seen to send.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Quirk {
    /// Rendered normally.
    #[default]
    None,
    /// `labels` is an array of plain strings (allowed by the schema).
    LabelsAsStrings,
    /// The first label object has no `name` (allowed by the schema).
    LabelWithoutName,
    /// In list responses only: no `created_at` (breaks the schema).
    NoCreatedAt,
    /// In list responses only: `labels: null` (breaks the schema).
    LabelsNull,
    /// In list responses only: no `number` (breaks the schema).
    NoNumber,
    /// In list responses only: no `title` (breaks the schema).
    NoTitle,
    /// In list responses only: the milestone object has no `number` (breaks the schema).
    MilestoneWithoutNumber,
    /// In list responses only: `state_reason` is [`UNKNOWN_STATE_REASON`], a value the
    /// description's enum lacks (breaks the schema).
    UnknownStateReason,
}

/// The `state_reason` an issue with [`Quirk::UnknownStateReason`] shows in lists.
pub const UNKNOWN_STATE_REASON: &str = "resolved_elsewhere";

impl Quirk {
    /// The name `POST /_sandbox/issue` takes and `/_sandbox/state` shows (`labels_null`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::LabelsAsStrings => "labels_as_strings",
            Self::LabelWithoutName => "label_without_name",
            Self::NoCreatedAt => "no_created_at",
            Self::LabelsNull => "labels_null",
            Self::NoNumber => "no_number",
            Self::NoTitle => "no_title",
            Self::MilestoneWithoutNumber => "milestone_without_number",
            Self::UnknownStateReason => "unknown_state_reason",
        }
    }

    /// Every quirk, in declaration order.
    pub const ALL: [Quirk; 9] = [
        Self::None,
        Self::LabelsAsStrings,
        Self::LabelWithoutName,
        Self::NoCreatedAt,
        Self::LabelsNull,
        Self::NoNumber,
        Self::NoTitle,
        Self::MilestoneWithoutNumber,
        Self::UnknownStateReason,
    ];

    /// Parses [`Quirk::as_str`]'s names.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.as_str() == s)
    }

    /// True for the quirks that break the OpenAPI description (rendered in lists only).
    pub fn breaks_schema(self) -> bool {
        matches!(
            self,
            Self::NoCreatedAt
                | Self::LabelsNull
                | Self::NoNumber
                | Self::NoTitle
                | Self::MilestoneWithoutNumber
                | Self::UnknownStateReason
        )
    }
}

/// Pull-request specifics of an issue-shaped item.
#[derive(Clone, Copy, Debug)]
pub struct PullRequest {
    /// When it was merged.
    pub merged_at: Option<Ts>,
}

/// An issue or a pull request (they share one number sequence per repository).
#[derive(Clone, Debug)]
pub struct Issue {
    /// Per-repository number.
    pub number: u32,
    /// Title.
    pub title: String,
    /// Body; `None` renders as `null`.
    pub body: Option<String>,
    /// Open (true) or closed.
    pub open: bool,
    /// Why it was closed or reopened.
    pub state_reason: Option<StateReason>,
    /// Indexes into the repository's [`Repo::labels`].
    pub labels: Vec<u32>,
    /// Milestone number.
    pub milestone: Option<u32>,
    /// Author: index into [`State::users`]; `None` renders as `user: null` (a deleted account).
    pub user: Option<u32>,
    /// Indexes into [`State::users`].
    pub assignees: Vec<u32>,
    /// Comment count.
    pub comments: u32,
    /// Creation time.
    pub created_at: Ts,
    /// Last update.
    pub updated_at: Ts,
    /// When it was closed.
    pub closed_at: Option<Ts>,
    /// Who closed it (index into [`State::users`]).
    pub closed_by: Option<u32>,
    /// Present for pull requests.
    pub pull_request: Option<PullRequest>,
    /// Rendering oddity.
    pub quirk: Quirk,
    /// The issue type: index into [`State::issue_types`] (`type: null` when none).
    pub issue_type: Option<u32>,
    /// The parent issue's number in the same repository (a sub-issue).
    pub parent: Option<u32>,
    /// Numbers (same repository) of the issues blocking this one.
    pub blocked_by: Vec<u32>,
    /// Conversation locked.
    pub locked: bool,
    /// Why it was locked (`off-topic`, `too heated`, `resolved`, `spam`).
    pub lock_reason: Option<String>,
}

impl Issue {
    /// A fresh open issue with no labels, created and updated at `at`.
    pub fn new(title: impl Into<String>, at: Ts) -> Self {
        Self {
            number: 0,
            title: title.into(),
            body: None,
            open: true,
            state_reason: None,
            labels: Vec::new(),
            milestone: None,
            user: None,
            assignees: Vec::new(),
            comments: 0,
            created_at: at,
            updated_at: at,
            closed_at: None,
            closed_by: None,
            pull_request: None,
            quirk: Quirk::None,
            issue_type: None,
            parent: None,
            blocked_by: Vec::new(),
            locked: false,
            lock_reason: None,
        }
    }

    /// True for a pull request.
    pub fn is_pull_request(&self) -> bool {
        self.pull_request.is_some()
    }
}

/// An Actions repository variable.
#[derive(Clone, Debug)]
pub struct Variable {
    /// Name (upper case by convention).
    pub name: String,
    /// Value.
    pub value: String,
    /// Creation time.
    pub created_at: Ts,
    /// Last update.
    pub updated_at: Ts,
}

/// A branch and the files on it.
#[derive(Clone, Debug)]
pub struct Branch {
    /// Name.
    pub name: String,
    /// Head commit sha (40 hex digits).
    pub sha: String,
    /// File paths (`dashboard/.keep`); directories are implied.
    pub files: BTreeSet<String>,
}

/// Where a transferred issue lives now.
#[derive(Clone, Debug)]
pub struct Transfer {
    /// `owner/name` of the new repository.
    pub full_name: String,
    /// Its number there.
    pub number: u32,
}

/// The sort orders of the issues list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SortKey {
    /// By creation time.
    Created,
    /// By last update.
    Updated,
    /// By comment count.
    Comments,
}

/// (sort key, issue number, position in `Repo::issues`), ascending.
pub(crate) type IndexEntry = (i64, u32, u32);

#[derive(Clone, Debug, Default)]
struct Index {
    created: Vec<IndexEntry>,
    updated: Vec<IndexEntry>,
    comments: Vec<IndexEntry>,
}

/// Sub-issue and dependency figures of a repository's issues, derived from each issue's
/// `parent` and `blocked_by`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Relations {
    /// Parent number → (children, closed children).
    children: HashMap<u32, (u32, u32)>,
    /// Blocker number → (open issues it blocks, all issues it blocks).
    blocking: HashMap<u32, (u32, u32)>,
    /// Milestone number → (open, closed) issues and pull requests in it: every issue a page
    /// renders carries its milestone's counts, and counting them per issue made a page of
    /// 100 cost 100 passes over the repository.
    milestones: HashMap<u32, (u64, u64)>,
}

impl Relations {
    fn build(issues: &[Issue]) -> Self {
        let mut r = Self::default();
        for i in issues {
            if let Some(m) = i.milestone {
                let e = r.milestones.entry(m).or_default();
                if i.open {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
            }
            if let Some(p) = i.parent {
                let e = r.children.entry(p).or_default();
                e.0 += 1;
                e.1 += u32::from(!i.open);
            }
            for b in &i.blocked_by {
                let e = r.blocking.entry(*b).or_default();
                e.0 += u32::from(i.open);
                e.1 += 1;
            }
        }
        r
    }
}

/// `sub_issues_summary` figures: total, completed (closed) children.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubIssues {
    /// Children.
    pub total: u32,
    /// Closed children.
    pub completed: u32,
}

/// `issue_dependencies_summary` figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dependencies {
    /// Open issues blocking this one.
    pub blocked_by: u32,
    /// Open issues this one blocks.
    pub blocking: u32,
    /// All issues blocking this one.
    pub total_blocked_by: u32,
    /// All issues this one blocks.
    pub total_blocking: u32,
}

impl Index {
    fn build(issues: &[Issue]) -> Self {
        let mut created = Vec::with_capacity(issues.len());
        let mut updated = Vec::with_capacity(issues.len());
        let mut comments = Vec::with_capacity(issues.len());
        for (pos, i) in issues.iter().enumerate() {
            let pos = u32::try_from(pos).unwrap_or(u32::MAX);
            created.push((i.created_at, i.number, pos));
            updated.push((i.updated_at, i.number, pos));
            comments.push((i64::from(i.comments), i.number, pos));
        }
        created.sort_unstable();
        updated.sort_unstable();
        comments.sort_unstable();
        Self {
            created,
            updated,
            comments,
        }
    }

    fn get(&self, key: SortKey) -> &[IndexEntry] {
        match key {
            SortKey::Created => &self.created,
            SortKey::Updated => &self.updated,
            SortKey::Comments => &self.comments,
        }
    }
}

/// A repository.
#[derive(Clone, Debug)]
pub struct Repo {
    /// Numeric id (also used by `/repositories/{id}/issues`).
    pub id: u64,
    /// Owner login.
    pub owner: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Creation time.
    pub created_at: Ts,
    /// Last update (bumped by every write).
    pub updated_at: Ts,
    /// Last push.
    pub pushed_at: Ts,
    /// Labels; issues refer to them by index, so labels are never removed.
    pub labels: Vec<Label>,
    /// Milestones.
    pub milestones: Vec<Milestone>,
    issues: Vec<Issue>,
    next_number: u32,
    /// Numbers moved to another repository.
    pub transferred: BTreeMap<u32, Transfer>,
    /// Numbers deleted (answer 410).
    pub deleted: BTreeSet<u32>,
    /// Actions variables.
    pub variables: Vec<Variable>,
    /// Branches.
    pub branches: Vec<Branch>,
    /// Archived: read-only (REST writes answer `403`), listed with `archived: true`.
    pub archived: bool,
    /// A fork of another repository (`fork: true`).
    pub fork: bool,
    /// Private (`private: true`, `visibility: "private"`); public otherwise.
    pub private: bool,
    /// Topics, as GitHub lists them (lower case).
    pub topics: Vec<String>,
    /// Issue numbers GraphQL's `repository.issues` leaves out (nodes and `totalCount`), as
    /// GitHub's search-backed enumeration does while its index lags (`--hide-from-graphql`).
    pub hidden_from_graphql: BTreeSet<u32>,
    /// Issue numbers `GET /repos/{o}/{r}/issues` leaves out (every page); a GET of the issue
    /// still answers 200 (`--hide-from-rest`).
    pub hidden_from_rest: BTreeSet<u32>,
    /// Issue numbers no longer visible to any token: GET answers 404, and neither listing nor
    /// GraphQL shows them.
    pub not_visible: BTreeSet<u32>,
    /// Issue numbers `addProjectV2ItemById` refuses (an `UNPROCESSABLE` error under the
    /// field's alias, as GitHub answers for content it will not add); the other mutations of
    /// the same document are applied.
    pub project_refused: BTreeSet<u32>,
    index: Option<Index>,
    /// The relation figures, built on first use after a write (every issue rendered asks for
    /// them; built per call, a write then cost three passes over the repository per render).
    relations: OnceLock<Relations>,
}

impl Repo {
    /// An empty repository with a `main` branch.
    pub fn new(id: u64, owner: &str, name: &str, at: Ts) -> Self {
        Self {
            id,
            owner: owner.to_owned(),
            name: name.to_owned(),
            description: None,
            created_at: at,
            updated_at: at,
            pushed_at: at,
            labels: Vec::new(),
            milestones: Vec::new(),
            issues: Vec::new(),
            next_number: 1,
            transferred: BTreeMap::new(),
            deleted: BTreeSet::new(),
            variables: Vec::new(),
            branches: vec![Branch {
                name: "main".to_owned(),
                sha: fake_sha(id, "main"),
                files: ["README.md".to_owned()].into_iter().collect(),
            }],
            archived: false,
            fork: false,
            private: false,
            topics: vec!["codex".to_owned()],
            hidden_from_graphql: BTreeSet::new(),
            hidden_from_rest: BTreeSet::new(),
            not_visible: BTreeSet::new(),
            project_refused: BTreeSet::new(),
            index: None,
            relations: OnceLock::new(),
        }
    }

    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// The repository's GraphQL node id.
    pub fn node_id(&self) -> String {
        ids::node_id(ids::REPO, &self.id.to_string())
    }

    /// Every issue and pull request, by number.
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    fn position(&self, number: u32) -> Option<usize> {
        self.issues.binary_search_by_key(&number, |i| i.number).ok()
    }

    /// The issue or pull request with this number.
    pub fn issue(&self, number: u32) -> Option<&Issue> {
        self.position(number).map(|p| &self.issues[p])
    }

    /// Mutable access; invalidates the list indexes.
    pub fn issue_mut(&mut self, number: u32) -> Option<&mut Issue> {
        let p = self.position(number)?;
        self.index = None;
        self.relations = OnceLock::new();
        Some(&mut self.issues[p])
    }

    /// The number the next issue will get.
    pub fn next_number(&self) -> u32 {
        self.next_number
    }

    /// Appends an issue, giving it the next number (which is returned).
    pub fn push_issue(&mut self, mut issue: Issue) -> u32 {
        issue.number = self.next_number;
        self.next_number += 1;
        self.index = None;
        self.relations = OnceLock::new();
        let n = issue.number;
        self.issues.push(issue);
        n
    }

    /// Consumes a number without creating an issue (for transferred/deleted numbers).
    pub fn skip_number(&mut self) -> u32 {
        let n = self.next_number;
        self.next_number += 1;
        n
    }

    /// Takes an issue out without a trace (the first half of a transfer).
    pub(crate) fn take_issue(&mut self, number: u32) -> Option<Issue> {
        let p = self.position(number)?;
        self.index = None;
        self.relations = OnceLock::new();
        Some(self.issues.remove(p))
    }

    /// Removes an issue; its number then answers 410.
    pub fn delete_issue(&mut self, number: u32) -> Option<Issue> {
        let p = self.position(number)?;
        self.index = None;
        self.relations = OnceLock::new();
        self.deleted.insert(number);
        Some(self.issues.remove(p))
    }

    /// Index of the listed label with this name (case-insensitive).
    pub fn label_index(&self, name: &str) -> Option<u32> {
        self.labels
            .iter()
            .position(|l| l.listed && l.name.eq_ignore_ascii_case(name))
            .and_then(|p| u32::try_from(p).ok())
    }

    /// Names of an issue's labels.
    pub fn label_names(&self, issue: &Issue) -> Vec<String> {
        issue
            .labels
            .iter()
            .filter_map(|l| self.labels.get(*l as usize))
            .map(|l| l.name.clone())
            .collect()
    }

    /// The milestone with this number (listed or not).
    pub fn milestone(&self, number: u32) -> Option<&Milestone> {
        self.milestones.iter().find(|m| m.number == number)
    }

    /// The listed milestone with this title.
    pub fn milestone_by_title(&self, title: &str) -> Option<&Milestone> {
        self.milestones
            .iter()
            .find(|m| m.listed && m.title == title)
    }

    /// The branch with this name.
    pub fn branch(&self, name: &str) -> Option<&Branch> {
        self.branches.iter().find(|b| b.name == name)
    }

    /// The issues sorted ascending by `key`, then number; rebuilt after writes.
    pub(crate) fn sorted(&mut self, key: SortKey) -> (&[Issue], &[IndexEntry]) {
        let issues = &self.issues;
        let index = self.index.get_or_insert_with(|| Index::build(issues));
        (&self.issues, index.get(key))
    }

    /// The sub-issue figures of issue `number` (its children in this repository).
    pub fn sub_issues(&self, number: u32) -> SubIssues {
        let (total, completed) = self
            .relations()
            .children
            .get(&number)
            .copied()
            .unwrap_or_default();
        SubIssues { total, completed }
    }

    /// The dependency figures of issue `number`.
    pub fn dependencies(&self, number: u32) -> Dependencies {
        let (blocking, total_blocking) = self
            .relations()
            .blocking
            .get(&number)
            .copied()
            .unwrap_or_default();
        let (mut blocked_by, mut total_blocked_by) = (0, 0);
        if let Some(i) = self.issue(number) {
            for b in &i.blocked_by {
                total_blocked_by += 1;
                blocked_by += u32::from(self.issue(*b).is_some_and(|x| x.open));
            }
        }
        Dependencies {
            blocked_by,
            blocking,
            total_blocked_by,
            total_blocking,
        }
    }

    /// (open, closed) issue counts of a milestone, pull requests included as on GitHub.
    pub fn milestone_counts(&self, number: u32) -> (u64, u64) {
        self.relations()
            .milestones
            .get(&number)
            .copied()
            .unwrap_or_default()
    }

    /// The relation figures as the issues now stand.
    fn relations(&self) -> &Relations {
        self.relations
            .get_or_init(|| Relations::build(&self.issues))
    }

    /// Open issues and pull requests (the repository's `open_issues_count`).
    pub fn open_count(&self) -> u64 {
        self.issues.iter().filter(|i| i.open).count() as u64
    }
}

/// A fake, stable 40-hex-digit commit sha.
pub(crate) fn fake_sha(seed: u64, name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    let mut out = String::with_capacity(40);
    for round in 0..3u64 {
        for b in name.bytes().chain(round.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out.truncate(40);
    out
}

/// What a Project item points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemContent {
    /// An issue or pull request.
    Issue {
        /// Repository id.
        repo_id: u64,
        /// Number in that repository.
        number: u32,
    },
    /// A draft issue living only in the project.
    Draft {
        /// Draft id (unique in the project).
        id: u64,
        /// Title.
        title: String,
    },
}

/// An item of a Project v2.
#[derive(Clone, Debug)]
pub struct ProjectItem {
    /// Item id (unique in the project).
    pub id: u64,
    /// What it points at.
    pub content: ItemContent,
    /// Archived (`isArchived`): still an item, hidden from the Project's views.
    pub archived: bool,
}

/// A Project v2 owned by an organisation or user.
#[derive(Clone, Debug)]
pub struct Project {
    /// Owner login.
    pub owner: String,
    /// Number (per owner).
    pub number: u32,
    /// Title.
    pub title: String,
    /// Closed projects are still listed.
    pub closed: bool,
    /// Items, in insertion order.
    pub items: Vec<ProjectItem>,
    next_item: u64,
    by_content: HashMap<(u64, u32), usize>,
}

impl Project {
    /// An empty project.
    pub fn new(owner: &str, number: u32, title: &str) -> Self {
        Self {
            owner: owner.to_owned(),
            number,
            title: title.to_owned(),
            closed: false,
            items: Vec::new(),
            next_item: 1,
            by_content: HashMap::new(),
        }
    }

    /// The project's node id (`PVT_…`).
    pub fn node_id(&self) -> String {
        ids::node_id(ids::PROJECT, &format!("{}:{}", self.owner, self.number))
    }

    /// An item's node id (`PVTI_…`).
    pub fn item_node_id(&self, item: &ProjectItem) -> String {
        ids::node_id(
            ids::PROJECT_ITEM,
            &format!("{}:{}:{}", self.owner, self.number, item.id),
        )
    }

    /// A draft issue's node id (`DI_…`).
    pub fn draft_node_id(&self, draft_id: u64) -> String {
        ids::node_id(
            ids::DRAFT,
            &format!("{}:{}:{}", self.owner, self.number, draft_id),
        )
    }

    /// Position of the item holding this issue, if any.
    pub fn find_issue(&self, repo_id: u64, number: u32) -> Option<usize> {
        self.by_content.get(&(repo_id, number)).copied()
    }

    /// Adds an issue (or returns the existing item's position: no duplicates, as on GitHub).
    pub fn add_issue(&mut self, repo_id: u64, number: u32) -> usize {
        if let Some(p) = self.find_issue(repo_id, number) {
            return p;
        }
        let id = self.next_item;
        self.next_item += 1;
        self.items.push(ProjectItem {
            id,
            content: ItemContent::Issue { repo_id, number },
            archived: false,
        });
        let p = self.items.len() - 1;
        self.by_content.insert((repo_id, number), p);
        p
    }

    /// Adds a draft issue.
    pub fn add_draft(&mut self, title: &str) -> usize {
        let id = self.next_item;
        self.next_item += 1;
        self.items.push(ProjectItem {
            id,
            content: ItemContent::Draft {
                id,
                title: title.to_owned(),
            },
            archived: false,
        });
        self.items.len() - 1
    }

    /// Removes the item holding this issue (when the issue is deleted).
    pub fn remove_issue(&mut self, repo_id: u64, number: u32) {
        self.items
            .retain(|i| i.content != ItemContent::Issue { repo_id, number });
        self.reindex();
    }

    /// Points the item holding `from` (repository id, number) at `to` instead (a transferred
    /// issue's item follows it). Returns false when no item holds `from`.
    pub fn move_issue(&mut self, from: (u64, u32), to: (u64, u32)) -> bool {
        let Some(p) = self.find_issue(from.0, from.1) else {
            return false;
        };
        self.items[p].content = ItemContent::Issue {
            repo_id: to.0,
            number: to.1,
        };
        self.reindex();
        true
    }

    fn reindex(&mut self) {
        self.by_content = self
            .items
            .iter()
            .enumerate()
            .filter_map(|(p, i)| match i.content {
                ItemContent::Issue { repo_id, number } => Some(((repo_id, number), p)),
                ItemContent::Draft { .. } => None,
            })
            .collect();
    }
}

/// Everything the sandbox knows. Tests reach it through [`crate::Sandbox::with_state`].
#[derive(Clone, Debug)]
pub struct State {
    /// Accounts; issues refer to them by index.
    pub users: Vec<User>,
    /// Repositories.
    pub repos: Vec<Repo>,
    /// Projects v2.
    pub projects: Vec<Project>,
    /// Issue types of every owner (issues refer to them by index).
    pub issue_types: Vec<IssueType>,
    /// What the scenario generated, by kind (also under `"scenario"` in `/_sandbox/state`).
    pub scenario: Value,
    /// The scenario clock (`SandboxOptions::now`).
    pub now: Ts,
    /// The most items a page of a repository list (`/orgs/{org}/repos`,
    /// `/installation/repositories`) holds, whatever `per_page` asks: GitHub's 100 by default.
    /// A test lowers it to page a few repositories, as a server answering fewer items than
    /// asked would (a client must follow `Link`, not count items).
    pub repo_page_max: u64,
    started: std::time::Instant,
    next_id: u64,
}

impl State {
    /// An empty world whose clock reads `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            users: Vec::new(),
            repos: Vec::new(),
            projects: Vec::new(),
            issue_types: Vec::new(),
            scenario: Value::Null,
            now: now.timestamp(),
            repo_page_max: 100,
            started: std::time::Instant::now(),
            next_id: 1_000,
        }
    }

    /// The current time on the scenario clock: `now` plus the real time elapsed since start.
    pub fn clock(&self) -> Ts {
        self.now + i64::try_from(self.started.elapsed().as_secs()).unwrap_or(0)
    }

    /// Moves the scenario clock `secs` forward (backward when negative): what
    /// `POST /_sandbox/clock` does to the dates the sandbox stamps, as to its `Date` header.
    pub fn advance(&mut self, secs: i64) {
        self.now += secs;
    }

    /// A fresh numeric id.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Adds an account, returning its index.
    pub fn add_user(&mut self, login: &str, kind: UserKind) -> u32 {
        let id = self.next_id();
        self.users.push(User {
            id,
            login: login.to_owned(),
            kind,
        });
        u32::try_from(self.users.len() - 1).unwrap_or(u32::MAX)
    }

    /// Index of the account with this login.
    pub fn user_index(&self, login: &str) -> Option<u32> {
        self.users
            .iter()
            .position(|u| u.login.eq_ignore_ascii_case(login))
            .and_then(|p| u32::try_from(p).ok())
    }

    /// Index of the account with this login, creating a `User` if needed.
    pub fn ensure_user(&mut self, login: &str) -> u32 {
        match self.user_index(login) {
            Some(i) => i,
            None => self.add_user(login, UserKind::User),
        }
    }

    /// Position of `owner/name` in [`State::repos`] (case-insensitive).
    pub fn repo_index(&self, owner: &str, name: &str) -> Option<usize> {
        self.repos
            .iter()
            .position(|r| r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
    }

    /// The repository `owner/name` (`full_name` as one string).
    pub fn repo(&self, full_name: &str) -> Option<&Repo> {
        let (o, n) = full_name.split_once('/')?;
        self.repo_index(o, n).map(|i| &self.repos[i])
    }

    /// Mutable access to `owner/name`.
    pub fn repo_mut(&mut self, full_name: &str) -> Option<&mut Repo> {
        let (o, n) = full_name.split_once('/')?;
        let i = self.repo_index(o, n)?;
        Some(&mut self.repos[i])
    }

    /// An issue by repository and number.
    pub fn issue(&self, repo: &str, number: u32) -> Option<&Issue> {
        self.repo(repo)?.issue(number)
    }

    /// Mutable access to an issue (does not bump `updated_at`; see [`State::touch`]).
    pub fn issue_mut(&mut self, repo: &str, number: u32) -> Option<&mut Issue> {
        self.repo_mut(repo)?.issue_mut(number)
    }

    /// Sets an issue's `updated_at` and the repository's to the clock (what every write does).
    pub fn touch(&mut self, repo: &str, number: u32) {
        let now = self.clock();
        if let Some(r) = self.repo_mut(repo) {
            r.updated_at = now;
            if let Some(i) = r.issue_mut(number) {
                i.updated_at = now;
            }
        }
    }

    /// Index of a label, creating it (colour `ededed`) when the repository lacks it.
    pub fn ensure_label(&mut self, repo: &str, name: &str) -> Option<u32> {
        if let Some(i) = self.repo(repo)?.label_index(name) {
            return Some(i);
        }
        let id = self.next_id();
        let r = self.repo_mut(repo)?;
        r.labels.push(Label {
            id,
            name: name.to_owned(),
            color: "ededed".to_owned(),
            description: None,
            default: false,
            listed: true,
        });
        u32::try_from(r.labels.len() - 1).ok()
    }

    /// Replaces an issue's labels by name (unknown names are created) and bumps `updated_at`.
    /// Returns false when the issue does not exist.
    pub fn set_labels(&mut self, repo: &str, number: u32, names: &[&str]) -> bool {
        if self.issue(repo, number).is_none() {
            return false;
        }
        let idx: Vec<u32> = names
            .iter()
            .filter_map(|n| self.ensure_label(repo, n))
            .collect();
        if let Some(i) = self.issue_mut(repo, number) {
            i.labels = idx;
        }
        self.touch(repo, number);
        true
    }

    /// Sets an issue's milestone by title (`None` clears it) and bumps `updated_at`. Returns false
    /// when the issue or the milestone does not exist.
    pub fn set_milestone(&mut self, repo: &str, number: u32, title: Option<&str>) -> bool {
        let ms = match title {
            Some(t) => match self.repo(repo).and_then(|r| r.milestone_by_title(t)) {
                Some(m) => Some(m.number),
                None => return false,
            },
            None => None,
        };
        let Some(i) = self.issue_mut(repo, number) else {
            return false;
        };
        i.milestone = ms;
        self.touch(repo, number);
        true
    }

    /// Sets an issue's `updated_at` (to simulate age). Returns false when it does not exist.
    pub fn set_updated_at(&mut self, repo: &str, number: u32, at: DateTime<Utc>) -> bool {
        match self.issue_mut(repo, number) {
            Some(i) => {
                i.updated_at = at.timestamp();
                true
            }
            None => false,
        }
    }

    /// Adds an issue titled `title` with these labels (created if unknown) and milestone title,
    /// created now by `octocat`. Returns its number.
    pub fn add_issue(
        &mut self,
        repo: &str,
        title: &str,
        labels: &[&str],
        milestone: Option<&str>,
    ) -> Option<u32> {
        let now = self.clock();
        let ms = match milestone {
            Some(t) => Some(self.repo(repo)?.milestone_by_title(t)?.number),
            None => None,
        };
        let idx: Vec<u32> = labels
            .iter()
            .filter_map(|n| self.ensure_label(repo, n))
            .collect();
        let user = self.ensure_user("octocat");
        let mut issue = Issue::new(title, now);
        issue.labels = idx;
        issue.milestone = ms;
        issue.user = Some(user);
        let r = self.repo_mut(repo)?;
        r.updated_at = now;
        Some(r.push_issue(issue))
    }

    /// Adds a milestone (open) and returns its number.
    pub fn add_milestone(&mut self, repo: &str, title: &str) -> Option<u32> {
        let now = self.clock();
        let id = self.next_id();
        let r = self.repo_mut(repo)?;
        let number = r.milestones.iter().map(|m| m.number).max().unwrap_or(0) + 1;
        r.milestones.push(Milestone {
            id,
            number,
            title: title.to_owned(),
            open: true,
            description: None,
            created_at: now,
            updated_at: now,
            due_on: None,
            closed_at: None,
            creator: Some(0),
            listed: true,
        });
        Some(number)
    }

    /// The project `number` of `owner`.
    pub fn project(&self, owner: &str, number: u32) -> Option<&Project> {
        self.projects
            .iter()
            .find(|p| p.owner.eq_ignore_ascii_case(owner) && p.number == number)
    }

    /// Mutable access to a project.
    pub fn project_mut(&mut self, owner: &str, number: u32) -> Option<&mut Project> {
        self.projects
            .iter_mut()
            .find(|p| p.owner.eq_ignore_ascii_case(owner) && p.number == number)
    }

    /// Index into [`State::issue_types`] of `owner`'s issue type `name` (case-insensitive).
    pub fn issue_type_index(&self, owner: &str, name: &str) -> Option<u32> {
        self.issue_types
            .iter()
            .position(|t| t.owner.eq_ignore_ascii_case(owner) && t.name.eq_ignore_ascii_case(name))
            .and_then(|p| u32::try_from(p).ok())
    }

    /// Adds an issue type for `owner` (colour: one of GitHub's names), returning its index.
    pub fn add_issue_type(&mut self, owner: &str, name: &str, color: &str) -> u32 {
        let id = self.next_id();
        self.issue_types.push(IssueType {
            id,
            owner: owner.to_owned(),
            name: name.to_owned(),
            description: Some(format!("{name} issues")),
            color: color.to_owned(),
        });
        u32::try_from(self.issue_types.len() - 1).unwrap_or(u32::MAX)
    }

    /// Position of a repository by id.
    pub fn repo_by_id(&self, id: u64) -> Option<usize> {
        self.repos.iter().position(|r| r.id == id)
    }

    /// The JSON of `GET /_sandbox/state`.
    pub fn to_json(&self) -> Value {
        let repos: Vec<Value> = self
            .repos
            .iter()
            .map(|r| {
                let issues: Vec<Value> = r
                    .issues
                    .iter()
                    .map(|i| {
                        json!({
                            "number": i.number,
                            "title": i.title,
                            "state": if i.open { "open" } else { "closed" },
                            "labels": r.label_names(i),
                            "milestone": i.milestone.and_then(|m| r.milestone(m)).map(|m| m.title.clone()),
                            "is_pull_request": i.is_pull_request(),
                            "updated_at": fmt_ts(i.updated_at),
                        })
                    })
                    .collect();
                json!({
                    "full_name": r.full_name(),
                    "id": r.id,
                    "issues": issues,
                    "labels": r.labels.iter().map(|l| json!({"name": l.name, "color": l.color})).collect::<Vec<_>>(),
                    "milestones": r.milestones.iter().filter(|m| m.listed).map(|m| json!({
                        "number": m.number, "title": m.title, "state": if m.open { "open" } else { "closed" },
                    })).collect::<Vec<_>>(),
                    "variables": r.variables.iter().map(|v| json!({"name": v.name, "value": v.value})).collect::<Vec<_>>(),
                    "branches": r.branches.iter().map(|b| json!({"name": b.name, "files": b.files})).collect::<Vec<_>>(),
                    "transferred": r.transferred.iter().map(|(n, t)| json!({"number": n, "to": t.full_name, "to_number": t.number})).collect::<Vec<_>>(),
                    "deleted": r.deleted,
                })
            })
            .collect();
        let projects: Vec<Value> = self
            .projects
            .iter()
            .map(|p| {
                let items: Vec<Value> = p
                    .items
                    .iter()
                    .map(|it| match &it.content {
                        ItemContent::Issue { repo_id, number } => json!({
                            "id": p.item_node_id(it),
                            "repo": self.repo_by_id(*repo_id).map(|i| self.repos[i].full_name()),
                            "number": number,
                        }),
                        ItemContent::Draft { title, .. } => json!({
                            "id": p.item_node_id(it), "draft": title,
                        }),
                    })
                    .collect();
                let numbers: Vec<u32> = p
                    .items
                    .iter()
                    .filter_map(|it| match it.content {
                        ItemContent::Issue { number, .. } => Some(number),
                        ItemContent::Draft { .. } => None,
                    })
                    .collect();
                json!({
                    "owner": p.owner, "number": p.number, "title": p.title, "closed": p.closed,
                    "id": p.node_id(), "numbers": numbers, "items": items,
                })
            })
            .collect();
        json!({ "scenario": self.scenario, "repos": repos, "projects": projects })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> State {
        let mut s = State::new(Utc.timestamp_opt(1_700_000_000, 0).unwrap());
        s.add_user("acme", UserKind::Organization);
        s.add_user("octocat", UserKind::User);
        s.repos.push(Repo::new(7, "acme", "widgets", 1_600_000_000));
        s
    }

    #[test]
    fn add_and_edit_issues() {
        let mut s = world();
        let n = s
            .add_issue("acme/widgets", "First", &["bug"], None)
            .unwrap();
        assert_eq!(n, 1);
        assert!(s.set_labels("acme/widgets", 1, &["Bug", "new"]));
        let r = s.repo("acme/widgets").unwrap();
        assert_eq!(r.labels.len(), 2, "Bug matched bug case-insensitively");
        assert_eq!(r.label_names(r.issue(1).unwrap()), ["bug", "new"]);
        assert!(!s.set_milestone("acme/widgets", 1, Some("nope")));
        s.add_milestone("acme/widgets", "M").unwrap();
        assert!(s.set_milestone("acme/widgets", 1, Some("M")));
        assert_eq!(s.issue("acme/widgets", 1).unwrap().milestone, Some(1));
    }

    #[test]
    fn index_is_rebuilt_after_writes() {
        let mut s = world();
        for t in ["a", "b", "c"] {
            s.add_issue("acme/widgets", t, &[], None);
        }
        s.set_updated_at(
            "acme/widgets",
            1,
            Utc.timestamp_opt(1_800_000_000, 0).unwrap(),
        );
        let r = s.repo_mut("acme/widgets").unwrap();
        let (_, idx) = r.sorted(SortKey::Updated);
        assert_eq!(idx.last().unwrap().1, 1);
        r.issue_mut(2).unwrap().updated_at = 1_900_000_000;
        let (_, idx) = r.sorted(SortKey::Updated);
        assert_eq!(idx.last().unwrap().1, 2);

        // The relation figures, read once, follow every write after that.
        assert_eq!(r.sub_issues(1).total, 0);
        assert_eq!(r.milestone_counts(4), (0, 0));
        r.issue_mut(2).unwrap().parent = Some(1);
        r.issue_mut(3).unwrap().blocked_by = vec![1];
        r.issue_mut(3).unwrap().milestone = Some(4);
        assert_eq!(
            r.sub_issues(1),
            SubIssues {
                total: 1,
                completed: 0
            }
        );
        assert_eq!(
            (r.dependencies(1).blocking, r.dependencies(1).total_blocking),
            (1, 1)
        );
        assert_eq!(r.milestone_counts(4), (1, 0));
        r.issue_mut(2).unwrap().open = false;
        r.issue_mut(3).unwrap().open = false;
        assert_eq!(
            r.sub_issues(1),
            SubIssues {
                total: 1,
                completed: 1
            }
        );
        assert_eq!(
            (r.dependencies(1).blocking, r.dependencies(1).total_blocking),
            (0, 1)
        );
        assert_eq!(r.milestone_counts(4), (0, 1));
    }

    #[test]
    fn project_items_are_not_duplicated() {
        let mut p = Project::new("acme", 1, "P");
        let a = p.add_issue(7, 3);
        assert_eq!(p.add_issue(7, 3), a);
        p.add_draft("d");
        assert_eq!(p.items.len(), 2);
        p.remove_issue(7, 3);
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.find_issue(7, 3), None);
    }

    #[test]
    fn timestamps_format_like_github() {
        assert_eq!(fmt_ts(0), "1970-01-01T00:00:00Z");
        assert_eq!(fmt_ts(1_303_479_228), "2011-04-22T13:33:48Z");
    }
}
