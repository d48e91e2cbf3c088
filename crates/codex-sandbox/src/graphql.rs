//! `POST /graphql`: every document is parsed and validated with apollo-compiler against the subset
//! of GitHub's schema in `spec/github.graphql` (invalid ones answer 200 with GitHub-worded
//! `errors`), then run by a small executor over the validated operation: aliases, variables,
//! fragments and inline fragments with type conditions, `__typename`, and GitHub's null
//! propagation with `NOT_FOUND` / `FORBIDDEN` errors.

use std::sync::OnceLock;

use apollo_compiler::ast::{OperationType, Value as AstValue};
use apollo_compiler::executable::{Field, Selection, SelectionSet};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Node, Schema};
use serde_json::{Map, Value, json};

use crate::auth::{Access, Token, TokenKind};
use crate::ids;
use crate::render;
use crate::state::{ItemContent, State, UserKind, fmt_ts};

const SDL: &str = include_str!("../../../spec/github.graphql");

/// The schema, parsed and validated once.
pub(crate) fn schema() -> Option<&'static Valid<Schema>> {
    static SCHEMA: OnceLock<Option<Valid<Schema>>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| match Schema::parse_and_validate(SDL, "github.graphql") {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::error!(errors = %e.errors, "spec/github.graphql does not validate");
                None
            }
        })
        .as_ref()
}

/// The GraphQL rate-limit window as the executor reports it in `rateLimit`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RateView {
    pub(crate) limit: u64,
    pub(crate) used: u64,
    pub(crate) reset: i64,
}

/// The outcome of one GraphQL request: the body, and whether it changed anything.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) body: Value,
    /// The mutations applied (one per field that changed something).
    pub(crate) writes: u64,
}

/// How many mutations a request body holds: the top-level fields of its mutation operation
/// (the one `operationName` picks, else the only one), each a write as GitHub counts them; 0
/// for a query or an unparsable document (answered with errors, changing nothing).
pub(crate) fn mutation_fields(body: Option<&Value>) -> u64 {
    let Some(query) = body.and_then(|b| b.get("query")).and_then(Value::as_str) else {
        return 0;
    };
    let op_name = body
        .and_then(|b| b.get("operationName"))
        .and_then(Value::as_str);
    let doc = match apollo_compiler::ast::Document::parse(query, "query.graphql") {
        Ok(d) => d,
        Err(e) => e.partial,
    };
    let mut ops = doc.definitions.iter().filter_map(|d| match d {
        apollo_compiler::ast::Definition::OperationDefinition(op) => Some(op),
        _ => None,
    });
    let op = match op_name {
        Some(n) => ops.find(|op| op.name.as_ref().is_some_and(|x| x.as_str() == n)),
        None => ops.next(),
    };
    op.filter(|op| op.operation_type == OperationType::Mutation)
        .map_or(0, |op| op.selection_set.len().max(1) as u64)
}

/// Runs one GraphQL request body.
pub(crate) fn execute(
    state: &mut State,
    body: Option<&Value>,
    token: &Token,
    rate: RateView,
    html: &str,
) -> Outcome {
    let fail = |msg: &str| Outcome {
        body: json!({"errors": [{"message": msg}]}),
        writes: 0,
    };
    let Some(schema) = schema() else {
        return fail("GraphQL schema unavailable");
    };
    let Some(query) = body.and_then(|b| b.get("query")).and_then(Value::as_str) else {
        return fail("A query attribute must be specified and must be a string.");
    };
    let variables = match body.and_then(|b| b.get("variables")) {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    let op_name = body
        .and_then(|b| b.get("operationName"))
        .and_then(Value::as_str);
    let doc = match ExecutableDocument::parse_and_validate(schema, query, "query.graphql") {
        Ok(d) => d,
        Err(e) => {
            // A selection holding only unknown fields is also reported as empty; GitHub names
            // just the unknown field.
            let undefined = e
                .errors
                .iter()
                .any(|d| d.error.unstable_error_name() == Some("UndefinedField"));
            let errors: Vec<Value> = e
                .errors
                .iter()
                .filter(|d| {
                    !(undefined && d.error.unstable_error_name() == Some("MissingSubselection"))
                })
                .map(|d| validation_error(&d))
                .collect();
            return Outcome {
                body: json!({ "errors": errors }),
                writes: 0,
            };
        }
    };
    let Ok(op) = doc.operations.get(op_name) else {
        return fail(match op_name {
            Some(_) => "No operation named in the document matches operationName",
            None => "An operation name is required when the document holds several operations",
        });
    };
    // Variables: given values, else the operation's defaults.
    let mut vars = Map::new();
    for def in &op.variables {
        let name = def.name.as_str();
        let v = match variables.get(name) {
            Some(v) => v.clone(),
            None => def
                .default_value
                .as_ref()
                .map_or(Value::Null, |d| literal(d, &Map::new())),
        };
        if v.is_null() && def.ty.is_non_null() {
            return fail(&format!(
                "Variable ${name} of type {} was provided invalid value",
                def.ty
            ));
        }
        vars.insert(name.to_owned(), v);
    }
    let mut ex = Exec {
        schema,
        doc: &doc,
        vars,
        state,
        token,
        rate,
        html,
        errors: Vec::new(),
        writes: 0,
    };
    let root = if op.operation_type == OperationType::Mutation {
        Obj::Mutation
    } else {
        Obj::Query
    };
    let mut path = Vec::new();
    let data = match ex.exec_set(&root, &op.selection_set, &mut path) {
        Ok(m) => Value::Object(m),
        Err(()) => Value::Null,
    };
    let mut out = Map::new();
    out.insert("data".to_owned(), data);
    if !ex.errors.is_empty() {
        out.insert("errors".to_owned(), Value::Array(ex.errors));
    }
    Outcome {
        body: Value::Object(out),
        writes: ex.writes,
    }
}

/// Words a validation diagnostic the way GitHub does for the common cases.
fn validation_error(
    d: &apollo_compiler::diagnostic::Diagnostic<'_, apollo_compiler::validation::DiagnosticData>,
) -> Value {
    let text = d.error.to_string();
    let ticks: Vec<&str> = text.split('`').skip(1).step_by(2).collect();
    let locations: Vec<Value> = d
        .line_column_range()
        .map(|r| vec![json!({"line": r.start.line, "column": r.start.column})])
        .unwrap_or_default();
    let name = d.error.unstable_error_name().unwrap_or("invalid");
    let (message, extensions) = match (name, ticks.as_slice()) {
        ("UndefinedField", [ty, field, ..]) => (
            format!("Field '{field}' doesn't exist on type '{ty}'"),
            json!({"code": "undefinedField", "typeName": ty, "fieldName": field}),
        ),
        ("UndefinedArgument", [arg, coord, ..]) => {
            let field = coord.rsplit('.').next().unwrap_or(coord);
            (
                format!("Field '{field}' doesn't accept argument '{arg}'"),
                json!({"code": "argumentNotAccepted", "name": field, "typeName": "Field", "argumentName": arg}),
            )
        }
        ("RequiredArgument", [coord, ..]) => {
            let (field, arg) = coord.split_once('(').map_or((*coord, ""), |(f, a)| {
                (f.rsplit('.').next().unwrap_or(f), a.trim_end_matches(":)"))
            });
            (
                format!("Field '{field}' is missing required arguments: {arg}"),
                json!({"code": "missingRequiredArguments", "className": "Field", "name": field, "arguments": arg}),
            )
        }
        _ => (text.clone(), json!({"code": name})),
    };
    json!({"message": message, "locations": locations, "extensions": extensions})
}

/// A GraphQL literal with variables substituted, as JSON.
fn literal(v: &AstValue, vars: &Map<String, Value>) -> Value {
    match v {
        AstValue::Null => Value::Null,
        AstValue::Enum(n) => json!(n.as_str()),
        AstValue::Variable(n) => vars.get(n.as_str()).cloned().unwrap_or(Value::Null),
        AstValue::String(s) => json!(s),
        AstValue::Float(f) => f.try_to_f64().map_or(Value::Null, |f| json!(f)),
        AstValue::Int(i) => i.try_to_i32().map_or(Value::Null, |i| json!(i)),
        AstValue::Boolean(b) => json!(b),
        AstValue::List(items) => Value::Array(items.iter().map(|i| literal(i, vars)).collect()),
        AstValue::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), literal(v, vars)))
                .collect(),
        ),
    }
}

/// An object the executor can select fields on.
#[derive(Clone, Debug)]
enum Obj {
    Query,
    Mutation,
    /// An organisation or user, by index into `State::users`.
    Owner(usize),
    Project(usize),
    Projects {
        nodes: Vec<usize>,
        total: usize,
        page: PageInfo,
    },
    Items {
        project: usize,
        nodes: Vec<usize>,
        total: usize,
        page: PageInfo,
    },
    Item {
        project: usize,
        pos: usize,
    },
    /// `Issue.projectItems`: one issue's items, across Projects (project, position).
    IssueItems(Vec<(usize, usize)>),
    /// `repository.issues`: issue numbers of one page.
    Issues {
        repo: usize,
        nodes: Vec<usize>,
        total: usize,
        page: PageInfo,
    },
    /// An issue or pull request.
    Issue {
        repo: usize,
        number: u32,
    },
    Draft {
        project: usize,
        id: u64,
        title: String,
    },
    Repository(usize),
    PageInfo(PageInfo),
    RateLimit,
    AddItem {
        cmid: Value,
        project: usize,
        pos: usize,
    },
    Deleted {
        cmid: Value,
        repo: usize,
    },
}

#[derive(Clone, Debug)]
struct PageInfo {
    has_next: bool,
    has_prev: bool,
    start: Option<String>,
    end: Option<String>,
}

enum Out {
    Leaf(Value),
    Obj(Obj),
    List(Vec<Option<Obj>>),
}

/// A field error: GitHub's `type` and message.
struct GqlError {
    kind: &'static str,
    message: String,
}

fn not_found(message: String) -> GqlError {
    GqlError {
        kind: "NOT_FOUND",
        message,
    }
}

fn forbidden(message: &str) -> GqlError {
    GqlError {
        kind: "FORBIDDEN",
        message: message.to_owned(),
    }
}

const NOT_ACCESSIBLE: &str = "Resource not accessible by integration";

struct Exec<'a> {
    schema: &'a Valid<Schema>,
    doc: &'a Valid<ExecutableDocument>,
    vars: Map<String, Value>,
    state: &'a mut State,
    token: &'a Token,
    rate: RateView,
    /// The web host links (`url` fields) are built on.
    html: &'a str,
    errors: Vec<Value>,
    writes: u64,
}

fn merge(into: &mut Map<String, Value>, key: String, value: Value) {
    match (into.get_mut(&key), value) {
        (Some(Value::Object(old)), Value::Object(new)) => {
            for (k, v) in new {
                merge(old, k, v);
            }
        }
        (_, value) => {
            into.insert(key, value);
        }
    }
}

impl Exec<'_> {
    fn typename(&self, o: &Obj) -> &'static str {
        match o {
            Obj::Query => "Query",
            Obj::Mutation => "Mutation",
            Obj::Owner(u) => match self.state.users.get(*u).map(|u| u.kind) {
                Some(UserKind::Organization) => "Organization",
                _ => "User",
            },
            Obj::Project(_) => "ProjectV2",
            Obj::Projects { .. } => "ProjectV2Connection",
            Obj::Items { .. } | Obj::IssueItems(_) => "ProjectV2ItemConnection",
            Obj::Item { .. } => "ProjectV2Item",
            Obj::Issues { .. } => "IssueConnection",
            Obj::Issue { repo, number } => {
                let pr = self.state.repos[*repo]
                    .issue(*number)
                    .is_some_and(|i| i.is_pull_request());
                if pr { "PullRequest" } else { "Issue" }
            }
            Obj::Draft { .. } => "DraftIssue",
            Obj::Repository(_) => "Repository",
            Obj::PageInfo(_) => "PageInfo",
            Obj::RateLimit => "RateLimit",
            Obj::AddItem { .. } => "AddProjectV2ItemByIdPayload",
            Obj::Deleted { .. } => "DeleteIssuePayload",
        }
    }

    fn applies(&self, condition: &str, o: &Obj) -> bool {
        let t = self.typename(o);
        condition == t || self.schema.is_subtype(condition, t)
    }

    fn exec_set(
        &mut self,
        obj: &Obj,
        set: &SelectionSet,
        path: &mut Vec<Value>,
    ) -> Result<Map<String, Value>, ()> {
        let mut out = Map::new();
        for sel in &set.selections {
            match sel {
                Selection::Field(f) => {
                    let key = f.response_key().as_str().to_owned();
                    path.push(json!(key));
                    let v = self.exec_field(obj, f, path);
                    path.pop();
                    merge(&mut out, key, v?);
                }
                Selection::FragmentSpread(fs) => {
                    if let Some(frag) = self.doc.fragments.get(&fs.fragment_name)
                        && self.applies(frag.type_condition().as_str(), obj)
                    {
                        for (k, v) in self.exec_set(obj, &frag.selection_set, path)? {
                            merge(&mut out, k, v);
                        }
                    }
                }
                Selection::InlineFragment(inf) => {
                    let ok = inf
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| self.applies(c.as_str(), obj));
                    if ok {
                        for (k, v) in self.exec_set(obj, &inf.selection_set, path)? {
                            merge(&mut out, k, v);
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// One field's value; `Err` when it is null but declared non-null (the null propagates).
    fn exec_field(
        &mut self,
        obj: &Obj,
        f: &Node<Field>,
        path: &mut Vec<Value>,
    ) -> Result<Value, ()> {
        let value = if f.name == "__typename" {
            json!(self.typename(obj))
        } else {
            let args: Map<String, Value> = f
                .arguments
                .iter()
                .map(|a| (a.name.as_str().to_owned(), literal(&a.value, &self.vars)))
                .collect();
            match self.resolve(obj, f.name.as_str(), &args) {
                Ok(Out::Leaf(v)) => v,
                Ok(Out::Obj(o)) => self
                    .exec_set(&o, &f.selection_set, path)
                    .map_or(Value::Null, Value::Object),
                Ok(Out::List(items)) => {
                    let mut list = Vec::with_capacity(items.len());
                    for (k, item) in items.into_iter().enumerate() {
                        path.push(json!(k));
                        let v = match item {
                            Some(o) => self
                                .exec_set(&o, &f.selection_set, path)
                                .map_or(Value::Null, Value::Object),
                            None => Value::Null,
                        };
                        path.pop();
                        list.push(v);
                    }
                    Value::Array(list)
                }
                Err(e) => {
                    let locations: Vec<Value> = f
                        .location()
                        .and_then(|l| l.line_column_range(&self.doc.sources))
                        .map(|r| vec![json!({"line": r.start.line, "column": r.start.column})])
                        .unwrap_or_default();
                    self.errors.push(json!({
                        "type": e.kind, "path": path.clone(), "locations": locations, "message": e.message,
                    }));
                    Value::Null
                }
            }
        };
        if value.is_null() && f.definition.ty.is_non_null() {
            Err(())
        } else {
            Ok(value)
        }
    }

    fn resolve(
        &mut self,
        obj: &Obj,
        field: &str,
        args: &Map<String, Value>,
    ) -> Result<Out, GqlError> {
        let arg_str = |k: &str| {
            args.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let arg_int = |k: &str| args.get(k).and_then(Value::as_i64);
        let leaf = |v: Value| Ok(Out::Leaf(v));
        let s = &*self.state;
        match (obj, field) {
            (Obj::Query, "id") => leaf(json!("Query")),
            (Obj::Query, "organization" | "user" | "repositoryOwner") => {
                let login = arg_str("login");
                let found = s
                    .users
                    .iter()
                    .position(|u| u.login.eq_ignore_ascii_case(&login));
                let kind = found.map(|i| s.users[i].kind);
                match (field, found, kind) {
                    ("organization", Some(i), Some(UserKind::Organization))
                    | ("user", Some(i), Some(UserKind::User | UserKind::Bot))
                    | ("repositoryOwner", Some(i), _) => Ok(Out::Obj(Obj::Owner(i))),
                    ("repositoryOwner", _, _) => leaf(Value::Null),
                    ("organization", _, _) => Err(not_found(format!(
                        "Could not resolve to an Organization with the login of '{login}'."
                    ))),
                    _ => Err(not_found(format!(
                        "Could not resolve to a User with the login of '{login}'."
                    ))),
                }
            }
            (Obj::Query, "repository") => {
                let (o, n) = (arg_str("owner"), arg_str("name"));
                match s.repo_index(&o, &n).filter(|_| self.token.reaches(&o, &n)) {
                    Some(ri) => Ok(Out::Obj(Obj::Repository(ri))),
                    None => Err(not_found(format!(
                        "Could not resolve to a Repository with the name '{o}/{n}'."
                    ))),
                }
            }
            (Obj::Query, "node") => {
                let id = arg_str("id");
                match self.node(&id) {
                    Some(o) => Ok(Out::Obj(o)),
                    None => Err(not_found(format!(
                        "Could not resolve to a node with the global id of '{id}'"
                    ))),
                }
            }
            (Obj::Query, "nodes") => {
                let ids = strings(args.get("ids"));
                if ids.len() > 100 {
                    return Err(GqlError {
                        kind: "EXCESSIVE_PAGINATION",
                        message: format!(
                            "You may not request more than 100 nodes at once, got {}.",
                            ids.len()
                        ),
                    });
                }
                // An id that resolves to nothing is a null in the list (GitHub also adds a
                // NOT_FOUND error naming its index; Codex reads only the nodes it finds).
                Ok(Out::List(ids.iter().map(|id| self.node(id)).collect()))
            }
            (Obj::Query, "rateLimit") => Ok(Out::Obj(Obj::RateLimit)),
            (Obj::Mutation, "addProjectV2ItemById") => self.add_item(args),
            (Obj::Mutation, "deleteIssue") => self.delete_issue(args),

            (Obj::Owner(u), "id") => {
                let user = &s.users[*u];
                let prefix = if user.kind == UserKind::Organization {
                    ids::ORG
                } else {
                    ids::USER
                };
                leaf(json!(ids::node_id(prefix, &user.id.to_string())))
            }
            (Obj::Owner(u), "login") => leaf(json!(s.users[*u].login)),
            (Obj::Owner(u), "projectV2") => {
                let login = s.users[*u].login.clone();
                let number = arg_int("number").unwrap_or(0);
                if !self.token.sees_org_projects() {
                    return Err(not_found(NOT_ACCESSIBLE.to_owned()));
                }
                match s.projects.iter().position(|p| {
                    p.owner.eq_ignore_ascii_case(&login) && i64::from(p.number) == number
                }) {
                    Some(p) => Ok(Out::Obj(Obj::Project(p))),
                    None => Err(not_found(format!(
                        "Could not resolve to a ProjectV2 with the number {number}."
                    ))),
                }
            }
            (Obj::Owner(u), "projectsV2") => {
                let login = s.users[*u].login.clone();
                let q = arg_str("query").to_lowercase();
                let all: Vec<usize> = if !self.token.sees_org_projects() {
                    Vec::new()
                } else {
                    s.projects
                        .iter()
                        .enumerate()
                        .filter(|(_, p)| p.owner.eq_ignore_ascii_case(&login))
                        .filter(|(_, p)| q.is_empty() || p.title.to_lowercase().contains(&q))
                        .map(|(i, _)| i)
                        .collect()
                };
                let (nodes, page) = paginate(&all, args, "projectsV2")?;
                Ok(Out::Obj(Obj::Projects {
                    total: all.len(),
                    nodes,
                    page,
                }))
            }
            (Obj::Issue { .. }, "projectV2") => leaf(Value::Null),
            (Obj::Issue { .. }, "projectsV2") => Ok(Out::Obj(Obj::Projects {
                nodes: Vec::new(),
                total: 0,
                page: PageInfo {
                    has_next: false,
                    has_prev: false,
                    start: None,
                    end: None,
                },
            })),

            (Obj::Project(p), _) => {
                let p = *p;
                let project = &s.projects[p];
                match field {
                    "id" => leaf(json!(project.node_id())),
                    "number" => leaf(json!(project.number)),
                    "title" => leaf(json!(project.title)),
                    "closed" => leaf(json!(project.closed)),
                    "url" => leaf(json!(format!(
                        "{}/orgs/{}/projects/{}",
                        self.html, project.owner, project.number
                    ))),
                    "items" => {
                        let all: Vec<usize> = (0..project.items.len()).collect();
                        let (nodes, page) = paginate(&all, args, "items")?;
                        Ok(Out::Obj(Obj::Items {
                            project: p,
                            total: all.len(),
                            nodes,
                            page,
                        }))
                    }
                    _ => leaf(Value::Null),
                }
            }
            (Obj::Projects { nodes, total, page }, _)
            | (
                Obj::Items {
                    nodes, total, page, ..
                },
                _,
            ) => match field {
                "totalCount" => leaf(json!(total)),
                "pageInfo" => Ok(Out::Obj(Obj::PageInfo(page.clone()))),
                "nodes" => Ok(Out::List(
                    nodes
                        .iter()
                        .map(|n| {
                            Some(match obj {
                                Obj::Items { project, .. } => Obj::Item {
                                    project: *project,
                                    pos: *n,
                                },
                                _ => Obj::Project(*n),
                            })
                        })
                        .collect(),
                )),
                _ => leaf(Value::Null),
            },
            (Obj::PageInfo(pi), _) => match field {
                "hasNextPage" => leaf(json!(pi.has_next)),
                "hasPreviousPage" => leaf(json!(pi.has_prev)),
                "startCursor" => leaf(json!(pi.start)),
                "endCursor" => leaf(json!(pi.end)),
                _ => leaf(Value::Null),
            },
            (Obj::Item { project, pos }, _) => {
                let pr = &s.projects[*project];
                let Some(item) = pr.items.get(*pos) else {
                    return leaf(Value::Null);
                };
                match field {
                    "id" => leaf(json!(pr.item_node_id(item))),
                    "isArchived" => leaf(json!(item.archived)),
                    "project" => Ok(Out::Obj(Obj::Project(*project))),
                    "type" | "content" => {
                        let (kind, content) = match &item.content {
                            ItemContent::Draft { id, title } => (
                                "DRAFT_ISSUE",
                                Some(Obj::Draft {
                                    project: *project,
                                    id: *id,
                                    title: title.clone(),
                                }),
                            ),
                            ItemContent::Issue { repo_id, number } => {
                                let ri = s.repo_by_id(*repo_id);
                                let issue = ri
                                    .filter(|ri| !s.repos[*ri].not_visible.contains(number))
                                    .and_then(|ri| s.repos[ri].issue(*number));
                                match (ri, issue) {
                                    (Some(ri), Some(i)) => (
                                        if i.is_pull_request() {
                                            "PULL_REQUEST"
                                        } else {
                                            "ISSUE"
                                        },
                                        Some(Obj::Issue {
                                            repo: ri,
                                            number: *number,
                                        }),
                                    ),
                                    _ => ("REDACTED", None),
                                }
                            }
                        };
                        if field == "type" {
                            leaf(json!(kind))
                        } else {
                            match content {
                                Some(o) => Ok(Out::Obj(o)),
                                None => leaf(Value::Null),
                            }
                        }
                    }
                    _ => leaf(Value::Null),
                }
            }
            (Obj::Issue { repo, number }, _) => {
                let r = &s.repos[*repo];
                let Some(i) = r.issue(*number) else {
                    return leaf(Value::Null);
                };
                match field {
                    "id" => leaf(json!(render::issue_node_id(r, i))),
                    "number" => leaf(json!(i.number)),
                    "title" => leaf(json!(i.title)),
                    "state" => leaf(json!(if i.open { "OPEN" } else { "CLOSED" })),
                    "url" => {
                        let kind = if i.is_pull_request() {
                            "pull"
                        } else {
                            "issues"
                        };
                        leaf(json!(format!(
                            "{}/{}/{kind}/{}",
                            self.html,
                            r.full_name(),
                            i.number
                        )))
                    }
                    "repository" => Ok(Out::Obj(Obj::Repository(*repo))),
                    "projectItems" => {
                        let repo_id = r.id;
                        let include_archived = args
                            .get("includeArchived")
                            .and_then(Value::as_bool)
                            .unwrap_or(true);
                        let items: Vec<(usize, usize)> = s
                            .projects
                            .iter()
                            .enumerate()
                            .flat_map(|(p, pr)| {
                                pr.items.iter().enumerate().filter_map(move |(pos, item)| {
                                    let mine = matches!(&item.content,
                                        ItemContent::Issue { repo_id: ri, number: n }
                                            if *ri == repo_id && *n == i.number);
                                    (mine && (include_archived || !item.archived))
                                        .then_some((p, pos))
                                })
                            })
                            .collect();
                        let all: Vec<usize> = (0..items.len()).collect();
                        let (nodes, _) = paginate(&all, args, "projectItems")?;
                        Ok(Out::Obj(Obj::IssueItems(
                            nodes.into_iter().map(|k| items[k]).collect(),
                        )))
                    }
                    _ => leaf(Value::Null),
                }
            }
            (Obj::IssueItems(items), _) => match field {
                "totalCount" => leaf(json!(items.len())),
                "pageInfo" => Ok(Out::Obj(Obj::PageInfo(PageInfo {
                    has_next: false,
                    has_prev: false,
                    start: None,
                    end: None,
                }))),
                "nodes" => Ok(Out::List(
                    items
                        .iter()
                        .map(|&(project, pos)| Some(Obj::Item { project, pos }))
                        .collect(),
                )),
                _ => leaf(Value::Null),
            },
            (Obj::Draft { project, id, title }, _) => match field {
                "id" => leaf(json!(s.projects[*project].draft_node_id(*id))),
                "title" => leaf(json!(title)),
                _ => leaf(Value::Null),
            },
            (Obj::Repository(ri), _) => {
                let r = &s.repos[*ri];
                match field {
                    "id" => leaf(json!(r.node_id())),
                    "name" => leaf(json!(r.name)),
                    "nameWithOwner" => leaf(json!(r.full_name())),
                    "issue" => {
                        let n = arg_int("number")
                            .and_then(|n| u32::try_from(n).ok())
                            .unwrap_or(0);
                        match r.issue(n).filter(|_| !r.not_visible.contains(&n)) {
                            Some(i) if !i.is_pull_request() => Ok(Out::Obj(Obj::Issue {
                                repo: *ri,
                                number: n,
                            })),
                            _ => Err(not_found(format!(
                                "Could not resolve to an Issue with the number of {n}."
                            ))),
                        }
                    }
                    "issues" => {
                        let all = graphql_issue_numbers(r, args);
                        let (nodes, page) = paginate(&all, args, "issues")?;
                        Ok(Out::Obj(Obj::Issues {
                            repo: *ri,
                            total: all.len(),
                            nodes,
                            page,
                        }))
                    }
                    _ => leaf(Value::Null),
                }
            }
            (
                Obj::Issues {
                    repo,
                    nodes,
                    total,
                    page,
                },
                _,
            ) => match field {
                "totalCount" => leaf(json!(total)),
                "pageInfo" => Ok(Out::Obj(Obj::PageInfo(page.clone()))),
                "nodes" => Ok(Out::List(
                    nodes
                        .iter()
                        .map(|n| {
                            Some(Obj::Issue {
                                repo: *repo,
                                number: u32::try_from(*n).unwrap_or(0),
                            })
                        })
                        .collect(),
                )),
                _ => leaf(Value::Null),
            },
            (Obj::RateLimit, _) => {
                let remaining = self.rate.limit.saturating_sub(self.rate.used);
                match field {
                    "limit" => leaf(json!(self.rate.limit)),
                    "remaining" => leaf(json!(remaining)),
                    "used" => leaf(json!(self.rate.used)),
                    "cost" | "nodeCount" => leaf(json!(1)),
                    "resetAt" => leaf(json!(fmt_ts(self.rate.reset))),
                    _ => leaf(Value::Null),
                }
            }
            (Obj::AddItem { cmid, project, pos }, _) => match field {
                "clientMutationId" => leaf(cmid.clone()),
                "item" => Ok(Out::Obj(Obj::Item {
                    project: *project,
                    pos: *pos,
                })),
                _ => leaf(Value::Null),
            },
            (Obj::Deleted { cmid, repo }, _) => match field {
                "clientMutationId" => leaf(cmid.clone()),
                "repository" => Ok(Out::Obj(Obj::Repository(*repo))),
                _ => leaf(Value::Null),
            },
            _ => leaf(Value::Null),
        }
    }

    /// Resolves a global node id (what `node(id:)` and mutation inputs take).
    fn node(&self, id: &str) -> Option<Obj> {
        let s = &*self.state;
        if let Some(p) = ids::parse_node_id(ids::PROJECT_ITEM, id) {
            let mut it = p.split(':');
            let (owner, number, item) = (
                it.next()?,
                it.next()?.parse::<u32>().ok()?,
                it.next()?.parse::<u64>().ok()?,
            );
            if !self.token.sees_org_projects() {
                return None;
            }
            let pi = s
                .projects
                .iter()
                .position(|x| x.owner == owner && x.number == number)?;
            let pos = s.projects[pi].items.iter().position(|i| i.id == item)?;
            return Some(Obj::Item { project: pi, pos });
        }
        if let Some(p) = ids::parse_node_id(ids::PROJECT, id) {
            let (owner, number) = p.split_once(':')?;
            let number = number.parse::<u32>().ok()?;
            if !self.token.sees_org_projects() {
                return None;
            }
            let pi = s
                .projects
                .iter()
                .position(|x| x.owner == owner && x.number == number)?;
            return Some(Obj::Project(pi));
        }
        if let Some(p) = ids::parse_node_id(ids::DRAFT, id) {
            let mut it = p.split(':');
            let (owner, number, draft) = (
                it.next()?,
                it.next()?.parse::<u32>().ok()?,
                it.next()?.parse::<u64>().ok()?,
            );
            let pi = s
                .projects
                .iter()
                .position(|x| x.owner == owner && x.number == number)?;
            let title = s.projects[pi].items.iter().find_map(|i| match &i.content {
                ItemContent::Draft { id, title } if *id == draft => Some(title.clone()),
                _ => None,
            })?;
            return Some(Obj::Draft {
                project: pi,
                id: draft,
                title,
            });
        }
        for prefix in [ids::ISSUE, ids::PULL] {
            if let Some(p) = ids::parse_node_id(prefix, id) {
                let (repo, number) = p.split_once(':')?;
                let ri = s.repo_by_id(repo.parse().ok()?)?;
                if !self.token.reaches(&s.repos[ri].owner, &s.repos[ri].name) {
                    return None;
                }
                let number = number.parse::<u32>().ok()?;
                if s.repos[ri].not_visible.contains(&number) {
                    return None;
                }
                let issue = s.repos[ri].issue(number)?;
                if issue.is_pull_request() != (prefix == ids::PULL) {
                    return None;
                }
                return Some(Obj::Issue { repo: ri, number });
            }
        }
        if let Some(p) = ids::parse_node_id(ids::REPO, id) {
            return s
                .repo_by_id(p.parse().ok()?)
                .filter(|&ri| self.token.reaches(&s.repos[ri].owner, &s.repos[ri].name))
                .map(Obj::Repository);
        }
        for prefix in [ids::ORG, ids::USER, ids::BOT] {
            if let Some(p) = ids::parse_node_id(prefix, id) {
                let uid: u64 = p.parse().ok()?;
                return s.users.iter().position(|u| u.id == uid).map(Obj::Owner);
            }
        }
        None
    }

    fn add_item(&mut self, args: &Map<String, Value>) -> Result<Out, GqlError> {
        let input = args.get("input").cloned().unwrap_or(Value::Null);
        let get = |k: &str| {
            input
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let (project_id, content_id) = (get("projectId"), get("contentId"));
        if self.token.is_actions()
            || !self.token.can_push()
            || !self.token.may("organization_projects", Access::Write)
        {
            return Err(forbidden(NOT_ACCESSIBLE));
        }
        let Some(Obj::Project(pi)) = self.node(&project_id) else {
            return Err(not_found(format!(
                "Could not resolve to a node with the global id of '{project_id}'"
            )));
        };
        let Some(Obj::Issue { repo, number }) = self.node(&content_id) else {
            return Err(not_found(format!(
                "Could not resolve to a node with the global id of '{content_id}'"
            )));
        };
        if self.state.repos[repo].project_refused.contains(&number) {
            return Err(GqlError {
                kind: "UNPROCESSABLE",
                message: format!("Content {content_id} cannot be added to this project"),
            });
        }
        let repo_id = self.state.repos[repo].id;
        let project = &mut self.state.projects[pi];
        let before = project.items.len();
        let pos = project.add_issue(repo_id, number);
        self.writes += u64::from(project.items.len() != before);
        Ok(Out::Obj(Obj::AddItem {
            cmid: input
                .get("clientMutationId")
                .cloned()
                .unwrap_or(Value::Null),
            project: pi,
            pos,
        }))
    }

    fn delete_issue(&mut self, args: &Map<String, Value>) -> Result<Out, GqlError> {
        let input = args.get("input").cloned().unwrap_or(Value::Null);
        let issue_id = input
            .get("issueId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        match self.token.kind {
            TokenKind::Actions => return Err(forbidden(NOT_ACCESSIBLE)),
            TokenKind::Installation if !self.token.may("issues", Access::Write) => {
                return Err(forbidden(NOT_ACCESSIBLE));
            }
            TokenKind::ReadOnly => {
                return Err(forbidden(&format!(
                    "{} does not have the correct permissions to execute `DeleteIssue`",
                    self.token.login()
                )));
            }
            _ => {}
        }
        let Some(Obj::Issue { repo, number }) = self.node(&issue_id) else {
            return Err(not_found(format!(
                "Could not resolve to a node with the global id of '{issue_id}'"
            )));
        };
        if self.state.repos[repo].archived {
            return Err(forbidden("Repository was archived so is read-only."));
        }
        let now = self.state.clock();
        let r = &mut self.state.repos[repo];
        let repo_id = r.id;
        r.delete_issue(number);
        r.updated_at = now;
        for p in &mut self.state.projects {
            p.remove_issue(repo_id, number);
        }
        self.writes += 1;
        Ok(Out::Obj(Obj::Deleted {
            cmid: input
                .get("clientMutationId")
                .cloned()
                .unwrap_or(Value::Null),
            repo,
        }))
    }
}

/// The issue numbers `repository.issues` enumerates: issues (not pull requests) in the
/// `states` asked (both when none; `filterBy.states` too), carrying every label of `labels`,
/// by number (descending when `orderBy.direction` is `DESC`), less the numbers hidden from
/// GraphQL and the ones no longer visible.
fn graphql_issue_numbers(r: &crate::state::Repo, args: &Map<String, Value>) -> Vec<usize> {
    let states = |v: Option<&Value>| -> Option<Vec<bool>> {
        v.and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|s| s == "OPEN")
                .collect()
        })
    };
    let want = states(args.get("states"));
    let want_filter = states(args.get("filterBy").and_then(|f| f.get("states")));
    let labels = strings(args.get("labels"));
    let mut all: Vec<usize> = r
        .issues()
        .iter()
        .filter(|i| !i.is_pull_request())
        .filter(|i| {
            !r.hidden_from_graphql.contains(&i.number) && !r.not_visible.contains(&i.number)
        })
        .filter(|i| {
            want.as_ref()
                .is_none_or(|w| w.is_empty() || w.contains(&i.open))
        })
        .filter(|i| {
            want_filter
                .as_ref()
                .is_none_or(|w| w.is_empty() || w.contains(&i.open))
        })
        .filter(|i| {
            let names = r.label_names(i);
            labels
                .iter()
                .all(|l| names.iter().any(|n| n.eq_ignore_ascii_case(l)))
        })
        .map(|i| i.number as usize)
        .collect();
    let desc = args
        .get("orderBy")
        .and_then(|o| o.get("direction"))
        .and_then(Value::as_str)
        == Some("DESC");
    if desc {
        all.reverse();
    }
    all
}

/// Cursor pagination of a connection: `first` (≤ 100) after an offset cursor.
/// A list argument of strings (anything else in it left out; absent: empty).
fn strings(arg: Option<&Value>) -> Vec<String> {
    arg.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn paginate(
    all: &[usize],
    args: &Map<String, Value>,
    name: &str,
) -> Result<(Vec<usize>, PageInfo), GqlError> {
    let first = args.get("first").and_then(Value::as_i64);
    let last = args.get("last").and_then(Value::as_i64);
    for (k, v) in [("first", first), ("last", last)] {
        if let Some(n) = v
            && n > 100
        {
            return Err(GqlError {
                kind: "EXCESSIVE_PAGINATION",
                message: format!(
                    "Requesting {n} records on the `{name}` connection exceeds the `{k}` limit of 100 records."
                ),
            });
        }
    }
    let start = args
        .get("after")
        .and_then(Value::as_str)
        .and_then(ids::decode_offset)
        .map_or(0, |o| o + 1)
        .min(all.len());
    let end_limit = args
        .get("before")
        .and_then(Value::as_str)
        .and_then(ids::decode_offset)
        .unwrap_or(all.len())
        .min(all.len());
    let count = usize::try_from(first.or(last).unwrap_or(100).max(0)).unwrap_or(100);
    let (from, to) = if first.is_none() && last.is_some() {
        (end_limit.saturating_sub(count).max(start), end_limit)
    } else {
        (start, (start + count).min(end_limit.max(start)))
    };
    let nodes: Vec<usize> = all[from..to].to_vec();
    let page = PageInfo {
        has_next: to < all.len(),
        has_prev: from > 0,
        start: (to > from).then(|| ids::encode_offset(from)),
        end: (to > from).then(|| ids::encode_offset(to - 1)),
    };
    Ok((nodes, page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Scenario, build};

    fn run(s: &mut State, token: &str, query: &str, vars: Value) -> Value {
        let t = Token::from_header(Some(&format!("token {token}"))).unwrap();
        let rate = RateView {
            limit: 5000,
            used: 1,
            reset: 0,
        };
        execute(
            s,
            Some(&json!({"query": query, "variables": vars})),
            &t,
            rate,
            crate::render::HTML,
        )
        .body
    }

    #[test]
    fn schema_loads() {
        assert!(schema().is_some());
    }

    #[test]
    fn unknown_field_is_worded_like_github() {
        let mut s = build(Scenario::Demo, 1, 0, false, 1_750_000_000);
        let v = run(
            &mut s,
            "ghp_x",
            "{ repository(owner:\"acme\", name:\"widgets\") { nope } }",
            json!({}),
        );
        assert_eq!(
            v["errors"][0]["message"],
            "Field 'nope' doesn't exist on type 'Repository'"
        );
        assert!(v.get("data").is_none());
    }

    #[test]
    fn aliases_fragments_and_typename() {
        let mut s = build(Scenario::Demo, 1, 0, false, 1_750_000_000);
        let q = "query($n:Int!){ o: organization(login:\"acme\") { ...P } }
                 fragment P on ProjectV2Owner { projectV2(number:$n) { __typename t: title items(first: 2) { totalCount nodes { type content { __typename ... on Issue { number } } } } } }";
        let v = run(&mut s, "ghp_x", q, json!({"n": 1}));
        let p = &v["data"]["o"]["projectV2"];
        assert_eq!(p["__typename"], "ProjectV2");
        assert_eq!(p["t"], "Codex Dual-Track Development");
        assert_eq!(p["items"]["nodes"].as_array().unwrap().len(), 2);
        assert!(v.get("errors").is_none(), "{v}");
    }

    #[test]
    fn missing_project_is_null_with_not_found() {
        let mut s = build(Scenario::Demo, 1, 0, false, 1_750_000_000);
        let v = run(
            &mut s,
            "ghp_x",
            "{ organization(login:\"acme\") { projectV2(number: 9) { id } } }",
            json!({}),
        );
        assert!(v["data"]["organization"]["projectV2"].is_null());
        assert_eq!(v["errors"][0]["type"], "NOT_FOUND");
        assert_eq!(v["errors"][0]["path"], json!(["organization", "projectV2"]));
    }
}
