//! Our own slim models of GitHub's objects, parsed leniently from raw JSON.
//!
//! Real payloads are messier than the documentation: `user: null`, labels as plain strings or
//! without names, `labels` missing or null, unknown `state` values, missing dates. Each item is
//! parsed on its own by [`Issue::from_json`]; what cannot be understood at all becomes a
//! [`Malformed`] finding, and what is odd but usable is kept with [`Issue::findings`]. One odd
//! item never sinks a page.

use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::rules::FindingKind;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// An issue (or pull request) number within its repository.
    IssueNumber
);
id_type!(
    /// A milestone number within its repository (not its database id).
    MilestoneNumber
);

/// `open`, `closed`, or something GitHub may add one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueState {
    /// Open.
    Open,
    /// Closed.
    Closed,
    /// A state we do not know; such an issue is treated as not open.
    Other(String),
}

/// A milestone as an issue refers to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneRef {
    /// Its number.
    pub number: MilestoneNumber,
    /// Its title, when given.
    pub title: Option<String>,
}

/// An issue, with only what the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Its number.
    pub number: IssueNumber,
    /// GraphQL node id (for Projects and deletion).
    pub node_id: Option<String>,
    /// Title (empty when missing).
    pub title: String,
    /// State.
    pub state: IssueState,
    /// Label names (labels without a name are left out and reported in `findings`).
    pub labels: Vec<String>,
    /// False when the payload did not show every label (`labels` missing, null or not a list,
    /// or an entry without a name): the issue may carry labels `labels` lacks.
    pub labels_complete: bool,
    /// Milestone, if any.
    pub milestone: Option<MilestoneRef>,
    /// True when the item is a pull request (it carries a `pull_request` key).
    pub is_pull_request: bool,
    /// Creation time, when present and valid.
    pub created_at: Option<DateTime<Utc>>,
    /// Last update, when present and valid.
    pub updated_at: Option<DateTime<Utc>>,
    /// Web URL.
    pub html_url: Option<String>,
    /// Author login (`user` may be null: a deleted account).
    pub author: Option<String>,
    /// Why it was closed or reopened, as GitHub sent it (`completed`, `not_planned`,
    /// `reopened`, `duplicate`, or something newer kept as text).
    pub state_reason: Option<String>,
    /// The fields GitHub added to the issue object since (issue types, sub-issues,
    /// dependencies, locking), all optional.
    pub extras: IssueExtras,
    /// Oddities that did not stop the item from being understood (integrity findings).
    pub findings: Vec<Oddity>,
}

/// Something odd about an item that was still understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oddity {
    /// Which kind of integrity finding it is.
    pub kind: FindingKind,
    /// What was seen (`label without a name`, `missing created_at`).
    pub detail: String,
}

impl Oddity {
    fn new(kind: FindingKind, detail: impl Into<String>) -> Self {
        Oddity {
            kind,
            detail: detail.into(),
        }
    }
}

/// `sub_issues_summary`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubIssues {
    /// Sub-issues.
    pub total: u64,
    /// Of which completed.
    pub completed: u64,
}

/// `issue_dependencies_summary`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dependencies {
    /// Open issues blocking this one.
    pub blocked_by: u64,
    /// Open issues this one blocks.
    pub blocking: u64,
}

/// The fields GitHub added to the REST issue object: each absent on older servers (GHES),
/// each read leniently (an odd value is as if absent, never a failed page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueExtras {
    /// The issue type's name (`type.name`), as GitHub sent it.
    pub issue_type: Option<String>,
    /// Its sub-issues, when it has a summary.
    pub sub_issues: Option<SubIssues>,
    /// True when `parent_issue_url` names a parent.
    pub has_parent: bool,
    /// Its dependencies, when it has a summary.
    pub dependencies: Option<Dependencies>,
    /// `locked`.
    pub locked: bool,
    /// `active_lock_reason`, as text.
    pub lock_reason: Option<String>,
}

impl IssueExtras {
    fn from_json(obj: &serde_json::Map<String, Value>) -> Self {
        let count = |v: &Value, key: &str| v.get(key).and_then(Value::as_u64).unwrap_or(0);
        IssueExtras {
            issue_type: obj
                .get("type")
                .and_then(|t| t.get("name"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            sub_issues: obj
                .get("sub_issues_summary")
                .filter(|v| v.is_object())
                .map(|v| SubIssues {
                    total: count(v, "total"),
                    completed: count(v, "completed"),
                }),
            has_parent: obj
                .get("parent_issue_url")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty()),
            dependencies: obj
                .get("issue_dependencies_summary")
                .filter(|v| v.is_object())
                .map(|v| Dependencies {
                    blocked_by: count(v, "blocked_by"),
                    blocking: count(v, "blocking"),
                }),
            locked: obj.get("locked").and_then(Value::as_bool).unwrap_or(false),
            lock_reason: obj
                .get("active_lock_reason")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }
}

/// The `state_reason` values Codex knows; others are kept as text and reported.
pub const KNOWN_STATE_REASONS: [&str; 4] = ["completed", "not_planned", "reopened", "duplicate"];

/// An item that could not be understood, or an integrity finding about one.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct Malformed {
    /// The item's number, when even that could not be read: `null`.
    pub number: Option<u64>,
    /// What is wrong.
    pub reason: String,
}

impl Issue {
    /// Parse one item of an issues list, leniently. Only an item without a usable `number` is
    /// rejected, since nothing could be done to it anyway.
    pub fn from_json(value: &Value) -> Result<Issue, Malformed> {
        let Some(obj) = value.as_object() else {
            return Err(Malformed {
                number: None,
                reason: format!("not an object ({})", kind(value)),
            });
        };
        let number = match obj.get("number").and_then(Value::as_u64) {
            Some(n) if n > 0 => IssueNumber(n),
            _ => {
                return Err(Malformed {
                    number: None,
                    reason: "missing or invalid number".into(),
                });
            }
        };
        let mut findings = Vec::new();

        let title = match obj.get("title") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                findings.push(Oddity::new(FindingKind::TitleMissing, "missing title"));
                String::new()
            }
        };
        let state = match obj.get("state").and_then(Value::as_str) {
            Some("open") => IssueState::Open,
            Some("closed") => IssueState::Closed,
            Some(other) => {
                findings.push(Oddity::new(
                    FindingKind::StateUnknown,
                    format!("unknown state {other:?}"),
                ));
                IssueState::Other(other.to_owned())
            }
            None => {
                findings.push(Oddity::new(FindingKind::StateUnknown, "missing state"));
                IssueState::Other(String::new())
            }
        };
        let mut labels = Vec::new();
        let findings_before_labels = findings.len();
        match obj.get("labels") {
            Some(Value::Array(items)) => {
                for item in items {
                    match item {
                        Value::String(name) if !name.is_empty() => labels.push(name.clone()),
                        Value::Object(label) => match label.get("name").and_then(Value::as_str) {
                            Some(name) if !name.is_empty() => labels.push(name.to_owned()),
                            _ => findings.push(Oddity::new(
                                FindingKind::LabelMalformed,
                                "label without a name",
                            )),
                        },
                        other => findings.push(Oddity::new(
                            FindingKind::LabelMalformed,
                            format!("label that is {}", kind(other)),
                        )),
                    }
                }
            }
            None | Some(Value::Null) => {
                findings.push(Oddity::new(FindingKind::LabelsMissing, "missing labels[]"));
            }
            Some(other) => findings.push(Oddity::new(
                FindingKind::LabelsMissing,
                format!("labels is {}", kind(other)),
            )),
        }
        let labels_complete = findings.len() == findings_before_labels;
        let milestone = match obj.get("milestone") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => match m.get("number").and_then(Value::as_u64) {
                Some(n) => Some(MilestoneRef {
                    number: MilestoneNumber(n),
                    title: m.get("title").and_then(Value::as_str).map(str::to_owned),
                }),
                None => {
                    findings.push(Oddity::new(
                        FindingKind::MilestoneMalformed,
                        "milestone without a number",
                    ));
                    None
                }
            },
            Some(other) => {
                findings.push(Oddity::new(
                    FindingKind::MilestoneMalformed,
                    format!("milestone is {}", kind(other)),
                ));
                None
            }
        };
        let created_at = date(obj.get("created_at"), "created_at", &mut findings);
        let updated_at = date(obj.get("updated_at"), "updated_at", &mut findings);
        let state_reason = match obj.get("state_reason") {
            Some(Value::String(reason)) => {
                if !KNOWN_STATE_REASONS.contains(&reason.as_str()) {
                    findings.push(Oddity::new(
                        FindingKind::StateUnknown,
                        format!("unknown state_reason {reason:?}"),
                    ));
                }
                Some(reason.clone())
            }
            _ => None,
        };
        let is_pull_request = matches!(obj.get("pull_request"), Some(v) if !v.is_null());
        let author = obj
            .get("user")
            .and_then(|u| u.get("login"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(Issue {
            number,
            node_id: obj
                .get("node_id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            title,
            state,
            labels,
            labels_complete,
            milestone,
            is_pull_request,
            created_at,
            updated_at,
            html_url: obj
                .get("html_url")
                .and_then(Value::as_str)
                .map(str::to_owned),
            author,
            state_reason,
            extras: IssueExtras::from_json(obj),
            findings,
        })
    }

    /// The issue in the shape GitHub sends it, holding only what [`Issue::from_json`] reads:
    /// `from_json(&issue.to_json())` gives the issue back (its `findings` aside, which are
    /// about the payload it was read from). Labels that were not all readable are written as
    /// `null`, so the issue read back is still known to lack them.
    pub fn to_json(&self) -> Value {
        let mut obj = serde_json::Map::new();
        obj.insert("number".into(), self.number.0.into());
        if let Some(id) = &self.node_id {
            obj.insert("node_id".into(), id.as_str().into());
        }
        obj.insert("title".into(), self.title.as_str().into());
        obj.insert(
            "state".into(),
            match &self.state {
                IssueState::Open => "open",
                IssueState::Closed => "closed",
                IssueState::Other(s) => s.as_str(),
            }
            .into(),
        );
        obj.insert(
            "labels".into(),
            if self.labels_complete {
                Value::Array(self.labels.iter().map(|l| l.as_str().into()).collect())
            } else {
                Value::Null
            },
        );
        obj.insert(
            "milestone".into(),
            self.milestone.as_ref().map_or(Value::Null, |m| {
                let mut v = serde_json::json!({ "number": m.number.0 });
                if let Some(t) = &m.title {
                    v["title"] = t.as_str().into();
                }
                v
            }),
        );
        if self.is_pull_request {
            obj.insert("pull_request".into(), serde_json::json!({}));
        }
        for (key, at) in [
            ("created_at", self.created_at),
            ("updated_at", self.updated_at),
        ] {
            if let Some(at) = at {
                obj.insert(
                    key.into(),
                    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                        .into(),
                );
            }
        }
        if let Some(url) = &self.html_url {
            obj.insert("html_url".into(), url.as_str().into());
        }
        obj.insert(
            "user".into(),
            self.author
                .as_ref()
                .map_or(Value::Null, |login| serde_json::json!({ "login": login })),
        );
        if let Some(reason) = &self.state_reason {
            obj.insert("state_reason".into(), reason.as_str().into());
        }
        let x = &self.extras;
        if let Some(name) = &x.issue_type {
            obj.insert("type".into(), serde_json::json!({ "name": name }));
        }
        if let Some(s) = x.sub_issues {
            obj.insert(
                "sub_issues_summary".into(),
                serde_json::json!({ "total": s.total, "completed": s.completed }),
            );
        }
        if x.has_parent {
            obj.insert("parent_issue_url".into(), "parent".into());
        }
        if let Some(d) = x.dependencies {
            obj.insert(
                "issue_dependencies_summary".into(),
                serde_json::json!({ "blocked_by": d.blocked_by, "blocking": d.blocking }),
            );
        }
        obj.insert("locked".into(), x.locked.into());
        if let Some(reason) = &x.lock_reason {
            obj.insert("active_lock_reason".into(), reason.as_str().into());
        }
        Value::Object(obj)
    }

    /// True when the issue carries the label (GitHub compares label names case-insensitively).
    pub fn has_label(&self, name: &str) -> bool {
        self.labels.iter().any(|l| l.eq_ignore_ascii_case(name))
    }

    /// True when open.
    pub fn is_open(&self) -> bool {
        self.state == IssueState::Open
    }
}

fn date(value: Option<&Value>, field: &str, findings: &mut Vec<Oddity>) -> Option<DateTime<Utc>> {
    match value {
        Some(Value::String(s)) => match DateTime::parse_from_rfc3339(s) {
            Ok(d) => Some(d.with_timezone(&Utc)),
            Err(_) => {
                findings.push(Oddity::new(
                    FindingKind::DateInvalid,
                    format!("invalid {field} {s:?}"),
                ));
                None
            }
        },
        _ => {
            findings.push(Oddity::new(
                FindingKind::DateInvalid,
                format!("missing {field}"),
            ));
            None
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A label of the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Name.
    pub name: String,
    /// Colour, six hex digits.
    pub color: Option<String>,
    /// Description.
    pub description: Option<String>,
}

impl Label {
    /// Parse leniently; `None` for a label without a name.
    pub fn from_json(value: &Value) -> Option<Label> {
        Some(Label {
            name: value.get("name")?.as_str()?.to_owned(),
            color: value
                .get("color")
                .and_then(Value::as_str)
                .map(str::to_owned),
            description: value
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }
}

/// A milestone of the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    /// Number.
    pub number: MilestoneNumber,
    /// Title.
    pub title: String,
    /// True when open.
    pub open: bool,
}

impl Milestone {
    /// Parse leniently; `None` without a number or title.
    pub fn from_json(value: &Value) -> Option<Milestone> {
        Some(Milestone {
            number: MilestoneNumber(value.get("number")?.as_u64()?),
            title: value.get("title")?.as_str()?.to_owned(),
            open: value.get("state").and_then(Value::as_str) != Some("closed"),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_well_formed_issue() {
        let issue = Issue::from_json(&json!({
            "number": 7, "node_id": "I_7", "title": "Fix dashboard", "state": "open",
            "labels": [{"name": "codex", "color": "ededed"}, "bug"],
            "milestone": {"number": 2, "title": "Codex Main Track"},
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z",
            "user": {"login": "octocat"}, "html_url": "https://github.com/a/b/issues/7"
        }))
        .unwrap();
        assert_eq!(issue.number, IssueNumber(7));
        assert_eq!(issue.labels, vec!["codex", "bug"]);
        assert_eq!(issue.milestone.as_ref().unwrap().number, MilestoneNumber(2));
        assert!(issue.is_open());
        assert!(!issue.is_pull_request);
        assert_eq!(issue.author.as_deref(), Some("octocat"));
        assert!(issue.findings.is_empty(), "{:?}", issue.findings);
        assert!(issue.labels_complete);
    }

    #[test]
    fn to_json_round_trips_through_from_json() {
        let sources = [
            json!({
                "number": 7, "node_id": "I_7", "title": "Fix dashboard", "state": "open",
                "labels": [{"name": "codex"}, "bug"],
                "milestone": {"number": 2, "title": "Codex Main Track"},
                "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T03:04:05.678Z",
                "user": {"login": "octocat"}, "html_url": "https://github.com/a/b/issues/7",
                "state_reason": "reopened", "type": {"name": "Bug"},
                "sub_issues_summary": {"total": 3, "completed": 1},
                "parent_issue_url": "https://api.github.com/repos/a/b/issues/1",
                "issue_dependencies_summary": {"blocked_by": 2, "blocking": 0},
                "locked": true, "active_lock_reason": "too heated"
            }),
            json!({
                "number": 8, "title": "", "state": "closed", "labels": null, "milestone": null,
                "pull_request": {"url": "x"}, "user": null, "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z", "state_reason": "something_new"
            }),
        ];
        for source in sources {
            let issue = Issue::from_json(&source).unwrap();
            let mut back = Issue::from_json(&issue.to_json()).unwrap();
            back.findings.clone_from(&issue.findings);
            assert_eq!(back, issue, "{source}");
        }
    }

    #[test]
    fn oddities_become_findings_not_failures() {
        let issue = Issue::from_json(&json!({
            "number": 9, "title": "x", "state": "locked-ish", "user": null,
            "labels": [{"color": "fff"}, 3, "ok"], "milestone": "Codex", "updated_at": "yesterday"
        }))
        .unwrap();
        assert_eq!(issue.labels, vec!["ok"]);
        assert!(
            !issue.labels_complete,
            "a nameless label may hide one we look for"
        );
        assert_eq!(issue.state, IssueState::Other("locked-ish".into()));
        assert!(!issue.is_open());
        assert_eq!(issue.author, None);
        let details: Vec<&str> = issue.findings.iter().map(|o| o.detail.as_str()).collect();
        let kinds: Vec<FindingKind> = issue.findings.iter().map(|o| o.kind).collect();
        assert_eq!(
            kinds,
            [
                FindingKind::StateUnknown,
                FindingKind::LabelMalformed,
                FindingKind::LabelMalformed,
                FindingKind::MilestoneMalformed,
                FindingKind::DateInvalid,
                FindingKind::DateInvalid,
            ]
        );
        assert_eq!(
            details,
            vec![
                "unknown state \"locked-ish\"",
                "label without a name",
                "label that is a number",
                "milestone is a string",
                "missing created_at",
                "invalid updated_at \"yesterday\"",
            ]
        );
    }

    #[test]
    fn missing_or_null_labels_are_reported() {
        for labels in [json!(null), json!("codex")] {
            let issue = Issue::from_json(&json!({"number": 1, "title": "t", "state": "open",
                "labels": labels, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}))
            .unwrap();
            assert!(issue.labels.is_empty());
            assert_eq!(issue.findings.len(), 1, "{:?}", issue.findings);
        }
        let issue = Issue::from_json(&json!({"number": 1, "title": "t", "state": "open"})).unwrap();
        assert!(
            issue
                .findings
                .contains(&Oddity::new(FindingKind::LabelsMissing, "missing labels[]"))
        );
    }

    #[test]
    fn newer_issue_fields_are_read_leniently() {
        let issue = Issue::from_json(&json!({
            "number": 5, "title": "t", "state": "closed", "labels": [],
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "state_reason": "duplicate", "locked": true, "active_lock_reason": "too heated",
            "type": {"id": 1, "name": "Bug"},
            "sub_issues_summary": {"total": 4, "completed": 1, "percent_completed": 25},
            "parent_issue_url": "https://api.github.com/repos/a/b/issues/1",
            "issue_dependencies_summary": {"blocked_by": 2, "blocking": 0, "total_blocked_by": 3, "total_blocking": 0}
        }))
        .unwrap();
        assert!(issue.findings.is_empty(), "{:?}", issue.findings);
        assert_eq!(issue.state_reason.as_deref(), Some("duplicate"));
        let x = &issue.extras;
        assert_eq!(x.issue_type.as_deref(), Some("Bug"));
        assert_eq!(
            x.sub_issues,
            Some(SubIssues {
                total: 4,
                completed: 1
            })
        );
        assert!(x.has_parent && x.locked);
        assert_eq!(x.lock_reason.as_deref(), Some("too heated"));
        assert_eq!(
            x.dependencies,
            Some(Dependencies {
                blocked_by: 2,
                blocking: 0
            })
        );
        // Absent (an older server) or odd: nothing, and never a failed item.
        let old = Issue::from_json(
            &json!({"number": 6, "title": "t", "state": "open", "labels": [],
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "type": "Bug", "sub_issues_summary": 3, "parent_issue_url": null, "locked": "yes",
            "state_reason": "superseded_by_ai"}),
        )
        .unwrap();
        assert_eq!(old.extras, IssueExtras::default());
        assert_eq!(old.state_reason.as_deref(), Some("superseded_by_ai"));
        assert_eq!(old.findings.len(), 1);
        assert_eq!(old.findings[0].kind, FindingKind::StateUnknown);
    }

    #[test]
    fn items_without_a_number_are_malformed() {
        for bad in [
            json!("text"),
            json!({"title": "x"}),
            json!({"number": "7"}),
            json!({"number": 0}),
        ] {
            let err = Issue::from_json(&bad).unwrap_err();
            assert_eq!(err.number, None);
        }
    }

    #[test]
    fn pull_requests_are_recognised_by_their_key() {
        let pr = Issue::from_json(&json!({"number": 3, "pull_request": {"url": "u"}})).unwrap();
        assert!(pr.is_pull_request);
        let not = Issue::from_json(&json!({"number": 3, "pull_request": null})).unwrap();
        assert!(!not.is_pull_request);
    }

    #[test]
    fn label_names_compare_case_insensitively() {
        let issue = Issue::from_json(&json!({"number": 1, "labels": ["Codex"]})).unwrap();
        assert!(issue.has_label("codex"));
    }
}
