//! The token-free controls that change the world between two runs, for tests that plant what
//! the integrity scanner looks for: `POST /_sandbox/transfer`, `/_sandbox/delete`,
//! `/_sandbox/archive-item`, `/_sandbox/issue` and `/_sandbox/label` (see the crate
//! documentation, "Planting integrity defects"). Each answers `{"ok": true, …}`, or `404` /
//! `422` with `{"message": …}`.

use serde_json::{Map, Value, json};

use crate::state::{Milestone, Quirk, State, StateReason};

/// One checked change, applied once every key passed.
type Op = Box<dyn FnOnce(&mut State)>;

/// A refused control: the HTTP status (404, 422) and the message.
pub(crate) type Refusal = (u16, String);

fn refuse<T>(status: u16, message: impl Into<String>) -> Result<T, Refusal> {
    Err((status, message.into()))
}

/// Runs `POST /_sandbox/{what}`; `None` when `what` is not one of these controls.
pub(crate) fn control(s: &mut State, what: &str, body: Option<&Value>) -> Option<(u16, Value)> {
    let empty = Value::Object(Map::new());
    let b = body.unwrap_or(&empty);
    let result = match what {
        "transfer" => target(b).and_then(|(repo, n)| {
            let to = b["to"]
                .as_str()
                .ok_or((422, "expected \"to\": \"owner/name\"".to_owned()))?;
            transfer(s, &repo, n, to)
        }),
        "delete" => target(b).and_then(|(repo, n)| delete(s, &repo, n)),
        "archive-item" => target(b).and_then(|(repo, n)| {
            let archived = b["archived"].as_bool().unwrap_or(true);
            archive_item(s, &repo, n, archived)
        }),
        "issue" => target(b).and_then(|(repo, n)| {
            let set = b["set"]
                .as_object()
                .ok_or((422, "expected \"set\": {...}".to_owned()))?;
            set_issue(s, &repo, n, set)
        }),
        "label" => label(s, b),
        _ => return None,
    };
    Some(match result {
        Ok(v) => (200, v),
        Err((status, message)) => (status, json!({ "message": message })),
    })
}

fn target(b: &Value) -> Result<(String, u32), Refusal> {
    let repo = b["repo"].as_str();
    let n = b["number"].as_u64().and_then(|n| u32::try_from(n).ok());
    match (repo, n) {
        (Some(r), Some(n)) => Ok((r.to_owned(), n)),
        _ => refuse(
            422,
            "expected {\"repo\": \"owner/name\", \"number\": N, ...}",
        ),
    }
}

/// The repository and the live issue `n` in it, or the 404 that names which is missing.
fn existing(s: &State, repo: &str, n: u32) -> Result<(), Refusal> {
    let Some(r) = s.repo(repo) else {
        return refuse(404, format!("no repository {repo}"));
    };
    if r.issue(n).is_none() {
        return refuse(404, format!("no issue {repo}#{n}"));
    }
    Ok(())
}

/// Moves issue `n` of `repo` to repository `to` (its next number): the old number answers 301,
/// labels follow by name (created in `to` when missing), the milestone by title (else none),
/// sub-issue and dependency links are dropped, and its Project items point at the new issue.
pub(crate) fn transfer(s: &mut State, repo: &str, n: u32, to: &str) -> Result<Value, Refusal> {
    existing(s, repo, n)?;
    let Some(dest) = s.repo(to) else {
        return refuse(404, format!("no repository {to}"));
    };
    let dest_full = dest.full_name();
    let r = s.repo(repo).ok_or((404, format!("no repository {repo}")))?;
    if dest_full.eq_ignore_ascii_case(&r.full_name()) {
        return refuse(422, "an issue cannot be transferred to its own repository");
    }
    let issue = r.issue(n).ok_or((404, format!("no issue {repo}#{n}")))?;
    if issue.is_pull_request() {
        return refuse(
            422,
            format!("{repo}#{n} is a pull request; only issues move"),
        );
    }
    let label_names = r.label_names(issue);
    let ms_title = issue
        .milestone
        .and_then(|m| r.milestone(m))
        .filter(|m| m.listed)
        .map(|m| m.title.clone());
    let from_id = r.id;
    let src = s
        .repo_mut(repo)
        .ok_or((404, format!("no repository {repo}")))?;
    let mut moved = src
        .take_issue(n)
        .ok_or((404, format!("no issue {repo}#{n}")))?;
    for set in [
        &mut src.hidden_from_graphql,
        &mut src.hidden_from_rest,
        &mut src.not_visible,
    ] {
        set.remove(&n);
    }
    moved.labels = label_names
        .iter()
        .filter_map(|l| s.ensure_label(&dest_full, l))
        .collect();
    moved.milestone =
        ms_title.and_then(|t| s.repo(&dest_full)?.milestone_by_title(&t).map(|m| m.number));
    moved.parent = None;
    moved.blocked_by.clear();
    let now = s.clock();
    moved.updated_at = now;
    let dest = s
        .repo_mut(&dest_full)
        .ok_or((404, format!("no repository {to}")))?;
    let to_id = dest.id;
    dest.updated_at = now;
    let new_number = dest.push_issue(moved);
    if let Some(src) = s.repo_mut(repo) {
        src.updated_at = now;
        src.transferred.insert(
            n,
            crate::state::Transfer {
                full_name: dest_full.clone(),
                number: new_number,
            },
        );
    }
    let mut items = 0;
    for p in &mut s.projects {
        items += usize::from(p.move_issue((from_id, n), (to_id, new_number)));
    }
    Ok(json!({
        "ok": true, "repo": repo, "number": n, "to": dest_full, "to_number": new_number,
        "project_items_moved": items,
    }))
}

/// Deletes issue `n` of `repo`: its number answers 410, and its Project items stay with
/// `content: null`, as GitHub keeps them for a while.
pub(crate) fn delete(s: &mut State, repo: &str, n: u32) -> Result<Value, Refusal> {
    existing(s, repo, n)?;
    let now = s.clock();
    let repo_id = s.repo(repo).map_or(0, |r| r.id);
    let items = item_count(s, repo_id, n);
    if let Some(r) = s.repo_mut(repo) {
        r.delete_issue(n);
        r.updated_at = now;
        for set in [
            &mut r.hidden_from_graphql,
            &mut r.hidden_from_rest,
            &mut r.not_visible,
        ] {
            set.remove(&n);
        }
    }
    Ok(json!({"ok": true, "repo": repo, "number": n, "orphaned_items": items}))
}

fn item_count(s: &State, repo_id: u64, n: u32) -> usize {
    s.projects
        .iter()
        .filter(|p| p.find_issue(repo_id, n).is_some())
        .count()
}

/// Archives (or, with `archived` false, restores) the Project items holding issue `n` of
/// `repo` (the issue may since have been deleted).
pub(crate) fn archive_item(
    s: &mut State,
    repo: &str,
    n: u32,
    archived: bool,
) -> Result<Value, Refusal> {
    let Some(r) = s.repo(repo) else {
        return refuse(404, format!("no repository {repo}"));
    };
    let repo_id = r.id;
    let mut ids = Vec::new();
    for p in &mut s.projects {
        if let Some(pos) = p.find_issue(repo_id, n) {
            p.items[pos].archived = archived;
            ids.push(p.item_node_id(&p.items[pos]));
        }
    }
    if ids.is_empty() {
        return refuse(404, format!("no Project item holds {repo}#{n}"));
    }
    Ok(json!({"ok": true, "repo": repo, "number": n, "archived": archived, "items": ids}))
}

/// Applies `set` to issue `n` of `repo`; see the crate documentation for the keys.
#[expect(
    clippy::too_many_lines,
    reason = "one arm per settable key, read top to bottom"
)]
pub(crate) fn set_issue(
    s: &mut State,
    repo: &str,
    n: u32,
    set: &Map<String, Value>,
) -> Result<Value, Refusal> {
    existing(s, repo, n)?;
    let owner = s.repo(repo).map(|r| r.owner.clone()).unwrap_or_default();
    let bad = |key: &str, want: &str| (422, format!("\"{key}\": expected {want}"));
    // Validate and resolve everything first, so a refused request changes nothing.
    let mut ops: Vec<Op> = Vec::new();
    for (key, v) in set {
        let repo_s = repo.to_owned();
        match key.as_str() {
            "quirk" => {
                let q = v
                    .as_str()
                    .and_then(Quirk::parse)
                    .ok_or_else(|| bad(key, &quirk_names()))?;
                ops.push(Box::new(move |s| {
                    if let Some(i) = s.issue_mut(&repo_s, n) {
                        i.quirk = q;
                    }
                }));
            }
            "state_reason" => {
                let r = match v {
                    Value::Null => None,
                    Value::String(t) => Some(StateReason::parse(t).ok_or_else(|| {
                        bad(
                            key,
                            "completed, not_planned, reopened, duplicate or null (an unknown value: \"quirk\": \"unknown_state_reason\")",
                        )
                    })?),
                    _ => return Err(bad(key, "a string or null")),
                };
                ops.push(Box::new(move |s| {
                    if let Some(i) = s.issue_mut(&repo_s, n) {
                        i.state_reason = r;
                    }
                }));
            }
            "labels" => {
                let names: Vec<String> = v
                    .as_array()
                    .and_then(|a| a.iter().map(|x| x.as_str().map(str::to_owned)).collect())
                    .ok_or_else(|| bad(key, "an array of label names"))?;
                ops.push(Box::new(move |s| {
                    let idx: Vec<u32> = names
                        .iter()
                        .filter_map(|name| label_or_unlisted(s, &repo_s, name))
                        .collect();
                    if let Some(i) = s.issue_mut(&repo_s, n) {
                        i.labels = idx;
                    }
                }));
            }
            "milestone" => {
                let m = match v {
                    Value::Null => None,
                    v => Some(
                        v.as_u64()
                            .and_then(|m| u32::try_from(m).ok())
                            .filter(|m| *m > 0)
                            .ok_or_else(|| bad(key, "a milestone number or null"))?,
                    ),
                };
                ops.push(Box::new(move |s| {
                    if let Some(m) = m {
                        ensure_milestone(s, &repo_s, m);
                    }
                    if let Some(i) = s.issue_mut(&repo_s, n) {
                        i.milestone = m;
                    }
                }));
            }
            "type" => {
                let t = match v {
                    Value::Null => None,
                    Value::String(name) => {
                        Some(s.issue_type_index(&owner, name).ok_or_else(|| {
                            (422, format!("\"type\": {owner} has no issue type {name}"))
                        })?)
                    }
                    _ => return Err(bad(key, "an issue type name or null")),
                };
                ops.push(Box::new(move |s| {
                    if let Some(i) = s.issue_mut(&repo_s, n) {
                        i.issue_type = t;
                    }
                }));
            }
            "parent" => {
                let p = match v {
                    Value::Null => None,
                    v => {
                        let p = v
                            .as_u64()
                            .and_then(|p| u32::try_from(p).ok())
                            .ok_or_else(|| bad(key, "an issue number or null"))?;
                        if p == n || s.issue(repo, p).is_none() {
                            return refuse(422, format!("\"parent\": no other issue {repo}#{p}"));
                        }
                        Some(p)
                    }
                };
                ops.push(Box::new(move |s| {
                    if let Some(i) = s.issue_mut(&repo_s, n) {
                        i.parent = p;
                    }
                }));
            }
            "blocked_by" => {
                let list: Vec<u32> = v
                    .as_array()
                    .and_then(|a| {
                        a.iter()
                            .map(|x| x.as_u64().and_then(|x| u32::try_from(x).ok()))
                            .collect()
                    })
                    .ok_or_else(|| bad(key, "an array of issue numbers"))?;
                if let Some(b) = list
                    .iter()
                    .find(|b| **b == n || s.issue(repo, **b).is_none())
                {
                    return refuse(422, format!("\"blocked_by\": no other issue {repo}#{b}"));
                }
                ops.push(Box::new(move |s| {
                    if let Some(i) = s.issue_mut(&repo_s, n) {
                        i.blocked_by = list;
                    }
                }));
            }
            "locked" => {
                let l = v.as_bool().ok_or_else(|| bad(key, "true or false"))?;
                ops.push(Box::new(move |s| {
                    if let Some(i) = s.issue_mut(&repo_s, n) {
                        i.locked = l;
                        if !l {
                            i.lock_reason = None;
                        }
                    }
                }));
            }
            "lock_reason" | "active_lock_reason" => {
                let r = match v {
                    Value::Null => None,
                    Value::String(t) => Some(t.clone()),
                    _ => return Err(bad(key, "a string or null")),
                };
                ops.push(Box::new(move |s| {
                    if let Some(i) = s.issue_mut(&repo_s, n) {
                        i.lock_reason = r;
                    }
                }));
            }
            "hidden_from_graphql" | "hidden_from_rest" | "not_visible" | "project_refused" => {
                let on = v.as_bool().ok_or_else(|| bad(key, "true or false"))?;
                let which = key.clone();
                ops.push(Box::new(move |s| {
                    if let Some(r) = s.repo_mut(&repo_s) {
                        let set = match which.as_str() {
                            "hidden_from_graphql" => &mut r.hidden_from_graphql,
                            "hidden_from_rest" => &mut r.hidden_from_rest,
                            "project_refused" => &mut r.project_refused,
                            _ => &mut r.not_visible,
                        };
                        if on {
                            set.insert(n);
                        } else {
                            set.remove(&n);
                        }
                    }
                }));
            }
            "in_project" => {
                let on = v.as_bool().ok_or_else(|| bad(key, "true or false"))?;
                if s.projects.is_empty() {
                    return refuse(422, "\"in_project\": this world has no Project");
                }
                ops.push(Box::new(move |s| {
                    let Some(repo_id) = s.repo(&repo_s).map(|r| r.id) else {
                        return;
                    };
                    let p = &mut s.projects[0];
                    if on {
                        p.add_issue(repo_id, n);
                    } else {
                        p.remove_issue(repo_id, n);
                    }
                }));
            }
            other => {
                return refuse(
                    422,
                    format!(
                        "unknown key \"{other}\" (known: quirk, state_reason, labels, milestone, type, parent, blocked_by, locked, lock_reason, hidden_from_graphql, hidden_from_rest, not_visible, project_refused, in_project)"
                    ),
                );
            }
        }
    }
    for op in ops {
        op(s);
    }
    Ok(json!({"ok": true, "repo": repo, "number": n}))
}

fn quirk_names() -> String {
    Quirk::ALL
        .iter()
        .map(|q| q.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The listed label `name`, else an unlisted one of that name (created when new): a label
/// deleted from the repository's list yet left on the issue.
fn label_or_unlisted(s: &mut State, repo: &str, name: &str) -> Option<u32> {
    let r = s.repo(repo)?;
    if let Some(i) = r.label_index(name) {
        return Some(i);
    }
    if let Some(p) = r.labels.iter().position(|l| l.name == name) {
        return u32::try_from(p).ok();
    }
    let idx = s.ensure_label(repo, name)?;
    if let Some(l) = s
        .repo_mut(repo)
        .and_then(|r| r.labels.get_mut(idx as usize))
    {
        l.listed = false;
    }
    Some(idx)
}

/// Milestone `number` of `repo`, created as deleted (unlisted) when it does not exist.
fn ensure_milestone(s: &mut State, repo: &str, number: u32) {
    if s.repo(repo).is_none_or(|r| r.milestone(number).is_some()) {
        return;
    }
    let id = s.next_id();
    let now = s.clock();
    if let Some(r) = s.repo_mut(repo) {
        r.milestones.push(Milestone {
            id,
            number,
            title: format!("Deleted milestone {number}"),
            open: true,
            description: None,
            created_at: now,
            updated_at: now,
            due_on: None,
            closed_at: None,
            creator: Some(0),
            listed: false,
        });
    }
}

/// `POST /_sandbox/label {"repo", "name", "rename": "New"}` or `{"repo", "name", "delete": true}`.
fn label(s: &mut State, b: &Value) -> Result<Value, Refusal> {
    let (Some(repo), Some(name)) = (b["repo"].as_str(), b["name"].as_str()) else {
        return refuse(
            422,
            "expected {\"repo\": \"owner/name\", \"name\": \"label\", \"rename\": \"New\"} or {..., \"delete\": true}",
        );
    };
    let Some(r) = s.repo(repo) else {
        return refuse(404, format!("no repository {repo}"));
    };
    let Some(idx) = r.label_index(name) else {
        return refuse(404, format!("no label {name} in {repo}"));
    };
    if b["delete"].as_bool() == Some(true) {
        if let Some(l) = s
            .repo_mut(repo)
            .and_then(|r| r.labels.get_mut(idx as usize))
        {
            l.listed = false;
        }
        return Ok(json!({"ok": true, "repo": repo, "name": name, "deleted": true}));
    }
    let Some(new) = b["rename"].as_str().filter(|n| !n.is_empty()) else {
        return refuse(422, "expected \"rename\": \"New\" or \"delete\": true");
    };
    if r.label_index(new).is_some_and(|other| other != idx) {
        return refuse(422, format!("{repo} already has a label {new}"));
    }
    if let Some(l) = s
        .repo_mut(repo)
        .and_then(|r| r.labels.get_mut(idx as usize))
    {
        l.name = new.to_owned();
    }
    Ok(json!({"ok": true, "repo": repo, "name": name, "renamed": new}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Scenario, build};

    #[test]
    fn a_refused_set_changes_nothing() {
        let mut s = build(Scenario::Demo, 1, 0, false, 1_750_000_000);
        let (status, _) = control(
            &mut s,
            "issue",
            Some(&json!({"repo": "acme/widgets", "number": 98, "set": {"locked": true, "parent": 9999}})),
        )
        .unwrap();
        assert_eq!(status, 422);
        assert!(!s.issue("acme/widgets", 98).unwrap().locked);
    }

    #[test]
    fn transfer_moves_the_project_item() {
        let mut s = build(Scenario::Demo, 1, 0, false, 1_750_000_000);
        let v = transfer(&mut s, "acme/widgets", 98, "acme/gadgets").unwrap();
        assert_eq!(v["to_number"], 2);
        let gadgets = s.repo("acme/gadgets").unwrap().id;
        assert!(s.projects[0].find_issue(gadgets, 2).is_some());
        let widgets = s.repo("acme/widgets").unwrap();
        assert!(widgets.issue(98).is_none());
        assert_eq!(widgets.transferred[&98].number, 2);
        assert!(s.projects[0].find_issue(widgets.id, 98).is_none());
    }
}
