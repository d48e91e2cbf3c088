//! GitHub's REST API description (the subset in `spec/github-rest.json`): routing
//! concrete requests to documented operations, and validating requests and response
//! bodies against the documented parameters and schemas.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError, Validator};
use serde_json::{Map, Value};

use crate::openapi::{self, Direction, Formats};

const SPEC: &str = include_str!("../../../spec/github-rest.json");

/// The operation GitHub's `Link` headers for issue listings point at, under an
/// undocumented route (see [`RestSpec::operation`]).
const LIST_ISSUES: &str = "issues/list-for-repo";

/// Longest validation message kept; schema errors can quote whole payloads.
const MAX_MESSAGE: usize = 400;

/// GitHub's REST API, as far as Codex uses it. Cheap to copy; parsed once per process,
/// and each schema is compiled once, on first use.
#[derive(Clone, Copy)]
pub struct RestSpec {
    inner: &'static Inner,
}

impl std::fmt::Debug for RestSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestSpec")
            .field("routes", &self.inner.routes.len())
            .finish()
    }
}

/// An example payload from the description: GitHub's own known-good data.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    /// The operation it belongs to, e.g. `issues/get`.
    pub operation_id: &'static str,
    /// The response status it illustrates, or `None` for a request body example.
    pub status: Option<u16>,
    /// Its name in the description (the `examples` key).
    pub name: &'static str,
    /// The media type it is documented under, e.g. `application/json`.
    pub media_type: &'static str,
    /// The example body.
    pub value: &'static Value,
}

struct Inner {
    doc: &'static Value,
    routes: Vec<Route>,
    request_defs: Map<String, Value>,
    /// Response components with their `format`s, for answers.
    response_defs: Map<String, Value>,
    /// Response components without `format`s, for GitHub's own examples.
    response_defs_unformatted: Map<String, Value>,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

struct Route {
    method: &'static str,
    template: &'static str,
    segments: Vec<Segment>,
    operation_id: &'static str,
    operation: &'static Value,
    path_item: &'static Value,
}

enum Segment {
    Literal(&'static str),
    Param(&'static str),
    /// `{path}` as the last segment: one or more segments, slashes included.
    Rest(&'static str),
}

/// A request routed to its operation, with the path parameters it carried.
struct Matched<'a> {
    route: &'a Route,
    params: Vec<(&'static str, String)>,
}

impl RestSpec {
    /// Parses the embedded description on first use; later calls are a pointer copy.
    ///
    /// # Panics
    /// If `spec/github-rest.json` is not valid JSON (the crate's tests check it is).
    pub fn load() -> RestSpec {
        static DOC: OnceLock<Value> = OnceLock::new();
        static INNER: OnceLock<Inner> = OnceLock::new();
        let inner = INNER.get_or_init(|| {
            let doc = DOC.get_or_init(|| {
                serde_json::from_str(SPEC).expect("spec/github-rest.json is not valid JSON")
            });
            Inner {
                doc,
                routes: routes(doc),
                request_defs: openapi::defs(doc, Direction::Request, Formats::Drop),
                response_defs: openapi::defs(doc, Direction::Response, Formats::Keep),
                response_defs_unformatted: openapi::defs(doc, Direction::Response, Formats::Drop),
                validators: Mutex::default(),
            }
        });
        RestSpec { inner }
    }

    /// The whole description (an OpenAPI 3.0.3 document).
    pub fn document(&self) -> &'static Value {
        self.inner.doc
    }

    /// Every documented operation as `(METHOD, path template, operationId)`.
    pub fn operations(&self) -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
        self.inner
            .routes
            .iter()
            .filter(|r| !r.template.starts_with("/repositories/"))
            .map(|r| (r.method, r.template, r.operation_id))
    }

    /// Which documented operation serves this concrete request, e.g.
    /// `("GET", "/repos/acme/widgets/issues/7")` → `issues/get`. A query string on
    /// `path` is ignored. Path parameters match one segment, except `{path}` (file
    /// paths in `contents/{path}`), which takes the rest of the path.
    ///
    /// `/repositories/{id}/issues`, where GitHub's `Link` headers for issue listings
    /// point, is undocumented; it is treated as `issues/list-for-repo`.
    pub fn operation(&self, method: &str, path: &str) -> Option<&'static str> {
        self.route(method, path).map(|m| m.route.operation_id)
    }

    /// Validates a response body (`None` for an empty body, e.g. 204 or 304) against
    /// the schema documented for the request's operation and `status`.
    ///
    /// Errors name an undocumented route or status, a body where none is documented
    /// (or none where one is), or each schema violation with its JSON pointer.
    pub fn validate_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: Option<&Value>,
    ) -> Result<(), Vec<String>> {
        let matched = self
            .route(method, path)
            .ok_or_else(|| vec![self.no_route(method, path)])?;
        self.validate_operation_response(matched.route.operation_id, status, body)
    }

    /// [`validate_response`](Self::validate_response) by operationId, e.g. `issues/get`.
    pub fn validate_operation_response(
        &self,
        operation_id: &str,
        status: u16,
        body: Option<&Value>,
    ) -> Result<(), Vec<String>> {
        self.validate_media_response(operation_id, status, None, body, Formats::Keep)
    }

    /// Validates one of the description's own examples against the schema it is
    /// documented with (its operation, status or request body, and media type).
    pub fn validate_example(&self, example: &Example) -> Result<(), Vec<String>> {
        match example.status {
            // GitHub's examples are checked without `format`s: they break `uri` and friends.
            Some(status) => self.validate_media_response(
                example.operation_id,
                status,
                Some(example.media_type),
                Some(example.value),
                Formats::Drop,
            ),
            None => {
                let route = self.by_id(example.operation_id)?;
                let body = route.operation.get("requestBody").map(|b| self.resolve(b));
                let schema = body.and_then(|b| json_schema(b, Some(example.media_type)));
                let Some(schema) = schema else {
                    return Err(vec![format!(
                        "{}: no request body schema",
                        example.operation_id
                    )]);
                };
                let key = format!(
                    "{} request body {}",
                    example.operation_id, example.media_type
                );
                let validator = self.validator(&key, schema, Direction::Request, Formats::Drop)?;
                check(&validator, example.value, &key)
            }
        }
    }

    fn by_id(&self, operation_id: &str) -> Result<&'static Route, Vec<String>> {
        self.inner
            .routes
            .iter()
            .find(|r| r.operation_id == operation_id)
            .ok_or_else(|| vec![format!("unknown operation {operation_id}")])
    }

    /// Response validation against the schema for `media_type` (`None`: JSON), with or
    /// without its `format`s.
    fn validate_media_response(
        &self,
        operation_id: &str,
        status: u16,
        media_type: Option<&str>,
        body: Option<&Value>,
        formats: Formats,
    ) -> Result<(), Vec<String>> {
        let route = self.by_id(operation_id)?;
        let responses = &route.operation["responses"];
        let response = [
            status.to_string(),
            format!("{}XX", status / 100),
            "default".into(),
        ]
        .iter()
        .find_map(|key| responses.get(key))
        .map(|r| self.resolve(r))
        .ok_or_else(|| {
            let documented: Vec<&str> = responses
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k.as_str())
                .collect();
            vec![format!(
                "{operation_id}: status {status} is not documented (documented: {})",
                documented.join(", ")
            )]
        })?;
        let context = format!("{operation_id} {status}");
        match (json_schema(response, media_type), body) {
            (_, None) if response.get("content").is_none() => Ok(()),
            (None, Some(_)) if response.get("content").is_none() => Err(vec![format!(
                "{context}: a body where the description documents none"
            )]),
            (Some(_), None) => Err(vec![format!(
                "{context}: no body where the description documents one"
            )]),
            (None, _) => Ok(()), // documented, but not as JSON: nothing to check
            (Some(schema), Some(body)) => {
                let media = media_type.unwrap_or("json");
                let key = format!("{operation_id} response {status} {media} {formats:?}");
                let validator = self.validator(&key, schema, Direction::Response, formats)?;
                check(&validator, body, &context)
            }
        }
    }

    /// Validates a request: the path parameters fit their schemas; every query
    /// parameter (`query` is the raw query string, with or without `?`) is documented
    /// for the operation, given once, and fits its schema (integers, booleans, enums,
    /// `date-time` strings); required parameters are present; and the body (if any)
    /// fits the documented request body, where one is documented at all.
    pub fn validate_request(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: Option<&Value>,
    ) -> Result<(), Vec<String>> {
        let matched = self
            .route(method, path)
            .ok_or_else(|| vec![self.no_route(method, path)])?;
        let route = matched.route;
        let op = route.operation_id;
        let mut errors = Vec::new();

        let params: Vec<&Value> = [
            &route.path_item["parameters"],
            &route.operation["parameters"],
        ]
        .into_iter()
        .filter_map(Value::as_array)
        .flatten()
        .map(|p| self.resolve(p))
        .collect();
        let documented = |location: &str, name: &str| {
            params
                .iter()
                .copied()
                .find(|p| p["in"] == location && p["name"] == name)
        };

        for (name, value) in &matched.params {
            if let Some(param) = documented("path", name) {
                self.check_param(op, "path", param, std::slice::from_ref(value), &mut errors);
            }
        }

        let mut given: Vec<(String, Vec<String>)> = Vec::new();
        for (name, value) in parse_query(query) {
            match given.iter_mut().find(|(n, _)| *n == name) {
                Some((_, values)) => values.push(value),
                None => given.push((name, vec![value])),
            }
        }
        for (name, values) in &given {
            match documented("query", name) {
                Some(param) => self.check_param(op, "query", param, values, &mut errors),
                // GitHub's own `Link` headers for issue listings carry `after`/`before` cursors
                // that its description does not document (spec/README.md, "known gaps"). They
                // are accepted on that operation only, as opaque non-empty strings.
                None if op == "issues/list-for-repo" && CURSOR_PARAMS.contains(&name.as_str()) => {
                    if values.len() != 1 || values[0].is_empty() {
                        errors.push(format!(
                            "{op}: cursor `{name}` must be given once, non-empty"
                        ));
                    }
                }
                None => {
                    let known: Vec<&str> = params
                        .iter()
                        .filter(|p| p["in"] == "query")
                        .filter_map(|p| p["name"].as_str())
                        .collect();
                    errors.push(format!(
                        "{op}: undocumented query parameter `{name}` (documented: {})",
                        known.join(", ")
                    ));
                }
            }
        }
        for param in params
            .iter()
            .filter(|p| p["in"] == "query" && p["required"] == true)
        {
            let name = param["name"].as_str().unwrap_or_default();
            if !given.iter().any(|(n, _)| n == name) {
                errors.push(format!(
                    "{op}: required query parameter `{name}` is missing"
                ));
            }
        }

        let request_body = route.operation.get("requestBody").map(|b| self.resolve(b));
        match (request_body, body) {
            (None, Some(_)) => {
                errors.push(format!("{op}: a request body where none is documented"));
            }
            (Some(documented), None) if documented["required"] == true => {
                errors.push(format!("{op}: the documented request body is required"));
            }
            (Some(documented), Some(body)) => {
                if let Some(schema) = json_schema(documented, None) {
                    let key = format!("{op} request body");
                    match self.validator(&key, schema, Direction::Request, Formats::Drop) {
                        Ok(validator) => {
                            if let Err(e) = check(&validator, body, &format!("{op} request body")) {
                                errors.extend(e);
                            }
                        }
                        Err(e) => errors.extend(e),
                    }
                }
            }
            _ => {}
        }

        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Every example in the description (request bodies and responses), resolved.
    pub fn examples(&self) -> Vec<Example> {
        let mut out = Vec::new();
        for route in self
            .inner
            .routes
            .iter()
            .filter(|r| !r.template.starts_with("/repositories/"))
        {
            let operation_id = route.operation_id;
            if let Some(body) = route.operation.get("requestBody") {
                self.collect_examples(self.resolve(body), operation_id, None, &mut out);
            }
            for (status, response) in route.operation["responses"]
                .as_object()
                .into_iter()
                .flatten()
            {
                let status = status.parse().ok();
                self.collect_examples(self.resolve(response), operation_id, status, &mut out);
            }
        }
        out
    }

    fn collect_examples(
        &self,
        holder: &'static Value,
        operation_id: &'static str,
        status: Option<u16>,
        out: &mut Vec<Example>,
    ) {
        for (media_type, media) in holder["content"].as_object().into_iter().flatten() {
            for (name, example) in media["examples"].as_object().into_iter().flatten() {
                // Upstream sometimes writes `value: {"$ref": "#/components/examples/x"}`.
                let value = self
                    .resolve(example)
                    .get("value")
                    .map(|v| match v.get("$ref") {
                        Some(_) => self.resolve(v).get("value").unwrap_or(v),
                        None => v,
                    });
                if let Some(value) = value {
                    out.push(Example {
                        operation_id,
                        status,
                        name,
                        media_type,
                        value,
                    });
                }
            }
            if let Some(value) = media.get("example") {
                let name = "example";
                out.push(Example {
                    operation_id,
                    status,
                    name,
                    media_type,
                    value,
                });
            }
        }
    }

    fn route(&self, method: &str, path: &str) -> Option<Matched<'static>> {
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        let parts: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
        self.inner
            .routes
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method))
            .filter_map(|route| {
                let params = match_segments(&route.segments, &parts)?;
                let literals = route
                    .segments
                    .iter()
                    .filter(|s| matches!(s, Segment::Literal(_)))
                    .count();
                Some((literals, Matched { route, params }))
            })
            .max_by_key(|(literals, _)| *literals)
            .map(|(_, m)| m)
    }

    fn no_route(&self, method: &str, path: &str) -> String {
        let methods: Vec<&str> = ["GET", "POST", "PATCH", "PUT", "DELETE"]
            .into_iter()
            .filter(|m| !m.eq_ignore_ascii_case(method) && self.route(m, path).is_some())
            .collect();
        if methods.is_empty() {
            format!("undocumented route: {method} {path}")
        } else {
            format!(
                "undocumented route: {method} {path} (documented methods: {})",
                methods.join(", ")
            )
        }
    }

    /// Follows `$ref`s into `#/components/...`.
    fn resolve(&self, mut value: &'static Value) -> &'static Value {
        while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
            match reference
                .strip_prefix('#')
                .and_then(|p| self.inner.doc.pointer(p))
            {
                Some(target) => value = target,
                None => break,
            }
        }
        value
    }

    fn check_param(
        &self,
        op: &str,
        location: &str,
        param: &'static Value,
        values: &[String],
        errors: &mut Vec<String>,
    ) {
        let name = param["name"].as_str().unwrap_or_default();
        let schema = self.resolve(&param["schema"]);
        let instance = match (schema["type"].as_str(), values) {
            (Some("array"), _) => {
                let items = self.resolve(&schema["items"]);
                Value::Array(values.iter().map(|v| coerce(v, items)).collect())
            }
            (_, [value]) => coerce(value, schema),
            _ => {
                errors.push(format!(
                    "{op}: query parameter `{name}` given {} times",
                    values.len()
                ));
                return;
            }
        };
        let key = format!("{op} {location} {name}");
        let context = format!("{op}: {location} parameter `{name}`");
        match self.validator(&key, &param["schema"], Direction::Request, Formats::Keep) {
            Ok(validator) => {
                let problems = validator
                    .iter_errors(&instance)
                    .map(|e| truncate(e.to_string()));
                errors.extend(problems.map(|e| format!("{context}: {e}")));
            }
            Err(e) => errors.extend(e),
        }
    }

    /// The compiled validator for `schema`, cached under `key`. Formats are checked
    /// only when asked (parameters): GitHub's response examples break `uri` formats.
    fn validator(
        &self,
        key: &str,
        schema: &Value,
        direction: Direction,
        formats: Formats,
    ) -> Result<Arc<Validator>, Vec<String>> {
        let mut cache = self
            .inner
            .validators
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(v) = cache.get(key) {
            return Ok(Arc::clone(v));
        }
        let defs = match (direction, formats) {
            (Direction::Request, _) => &self.inner.request_defs,
            (Direction::Response, Formats::Keep) => &self.inner.response_defs,
            (Direction::Response, Formats::Drop) => &self.inner.response_defs_unformatted,
        };
        let root = openapi::root(schema, defs, direction, formats);
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(formats == Formats::Keep)
            .build(&root)
            .map_err(|e| vec![format!("{key}: cannot compile the documented schema: {e}")])?;
        let validator = Arc::new(validator);
        cache.insert(key.to_owned(), Arc::clone(&validator));
        Ok(validator)
    }
}

/// The route table: one entry per documented operation, plus the undocumented
/// Cursor parameters GitHub's issue-listing `Link` headers carry but its description omits.
const CURSOR_PARAMS: [&str; 2] = ["after", "before"];

/// `/repositories/{id}/issues` alias of `issues/list-for-repo`.
fn routes(doc: &'static Value) -> Vec<Route> {
    let mut routes = Vec::new();
    for (template, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let method = match method.as_str() {
                "get" => "GET",
                "post" => "POST",
                "patch" => "PATCH",
                "put" => "PUT",
                "delete" => "DELETE",
                "head" => "HEAD",
                _ => continue, // path-level `parameters`, `summary`, ...
            };
            let Some(operation_id) = operation["operationId"].as_str() else {
                continue;
            };
            routes.push(Route {
                method,
                template,
                segments: segments(template),
                operation_id,
                operation,
                path_item: item,
            });
        }
    }
    if let Some(list) = routes.iter().find(|r| r.operation_id == LIST_ISSUES) {
        let alias = Route {
            method: "GET",
            template: "/repositories/{id}/issues",
            segments: segments("/repositories/{id}/issues"),
            operation_id: list.operation_id,
            operation: list.operation,
            path_item: list.path_item,
        };
        routes.push(alias);
    }
    routes
}

fn segments(template: &'static str) -> Vec<Segment> {
    let parts: Vec<&'static str> = template.trim_start_matches('/').split('/').collect();
    let last = parts.len() - 1;
    parts
        .iter()
        .enumerate()
        .map(
            |(i, part)| match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some("path") if i == last => Segment::Rest("path"),
                Some(name) => Segment::Param(name),
                None => Segment::Literal(part),
            },
        )
        .collect()
}

fn match_segments(segments: &[Segment], parts: &[&str]) -> Option<Vec<(&'static str, String)>> {
    let mut params = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Literal(lit) => (parts.get(i)? == lit).then_some(())?,
            Segment::Param(name) => {
                let part = parts.get(i).filter(|p| !p.is_empty())?;
                params.push((*name, (*part).to_owned()));
            }
            Segment::Rest(name) => {
                let rest = parts
                    .get(i..)
                    .filter(|r| !r.is_empty() && r.iter().all(|p| !p.is_empty()))?;
                params.push((*name, rest.join("/")));
                return Some(params);
            }
        }
    }
    // The alias's `{id}` is a repository's numeric id.
    if let [Segment::Literal("repositories"), ..] = segments
        && !params
            .iter()
            .all(|(_, v)| v.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    (parts.len() == segments.len()).then_some(params)
}

/// The schema of a response or request body for `media_type`, or (`None`) the JSON
/// one (`application/json`, else the first `…json` type), if documented.
fn json_schema<'a>(holder: &'a Value, media_type: Option<&str>) -> Option<&'a Value> {
    let content = holder.get("content")?.as_object()?;
    if let Some(media_type) = media_type {
        return content.get(media_type)?.get("schema");
    }
    content
        .get("application/json")
        .or_else(|| {
            content
                .iter()
                .find(|(k, _)| k.contains("json"))
                .map(|(_, v)| v)
        })?
        .get("schema")
}

fn check(validator: &Validator, body: &Value, context: &str) -> Result<(), Vec<String>> {
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| truncate(format!("{context}: {}", describe(&e, 0))))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// `pointer: message`, quoting the offending value only when it is short, and for a
/// failed `oneOf`/`anyOf` what each alternative objected to (the `null` alternative
/// that nullability adds is left out: "is not of type null" never helps).
fn describe(error: &ValidationError<'_>, depth: usize) -> String {
    let pointer = error.instance_path().to_string();
    let pointer = if pointer.is_empty() {
        "(root)".to_owned()
    } else {
        pointer
    };
    let full = error.to_string();
    let mut message = if full.len() > 160 {
        format!("{pointer}: {}", error.masked_with("the value"))
    } else {
        format!("{pointer}: {full}")
    };
    if let ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } =
        error.kind()
        && depth < 2
    {
        let options: Vec<String> = context
            .iter()
            .filter(|errors| {
                !matches!(errors.as_slice(), [e] if matches!(e.kind(), ValidationErrorKind::Type { kind: TypeKind::Single(JsonType::Null) }))
            })
            .map(|errors| {
                let shown: Vec<String> = errors.iter().take(3).map(|e| describe(e, depth + 1)).collect();
                shown.join("; ")
            })
            .collect();
        if !options.is_empty() {
            message.push_str(&format!(" [{}]", options.join(" | ")));
        }
    }
    message
}

fn truncate(mut message: String) -> String {
    if message.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push('…');
    }
    message
}

/// A query-string value as the JSON value its schema expects, where it parses as one;
/// otherwise left a string, for the schema to reject.
fn coerce(value: &str, schema: &Value) -> Value {
    let parsed = match schema["type"].as_str() {
        Some("integer") => value.parse::<i64>().ok().map(Value::from),
        Some("number") => value.parse::<f64>().ok().map(Value::from),
        Some("boolean") => value.parse::<bool>().ok().map(Value::from),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(value.to_owned()))
}

/// `a=1&b=x%20y` → `[("a", "1"), ("b", "x y")]`, decoding `%XX` and `+`.
fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit() =>
            {
                let hex = |b: u8| (b as char).to_digit(16).unwrap_or_default() as u8;
                out.push(hex(bytes[i + 1]) << 4 | hex(bytes[i + 2]));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode() {
        assert_eq!(
            parse_query("?a=1&b=x%20y+z&c&d=%zz&e=%41"),
            [
                ("a", "1"),
                ("b", "x y z"),
                ("c", ""),
                ("d", "%zz"),
                ("e", "A")
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        assert!(parse_query("").is_empty());
        assert_eq!(decode("%"), "%");
        assert_eq!(decode("a%4"), "a%4");
    }

    #[test]
    fn coercion_follows_the_schema_type() {
        let int = serde_json::json!({"type": "integer"});
        assert_eq!(coerce("30", &int), Value::from(30));
        assert_eq!(coerce("abc", &int), Value::from("abc"));
        let boolean = serde_json::json!({"type": "boolean"});
        assert_eq!(coerce("true", &boolean), Value::from(true));
        assert_eq!(
            coerce("30", &serde_json::json!({"type": "string"})),
            Value::from("30")
        );
    }

    #[test]
    fn long_messages_are_cut_on_a_char_boundary() {
        let cut = truncate("é".repeat(MAX_MESSAGE));
        assert!(cut.len() <= MAX_MESSAGE + '…'.len_utf8());
        assert!(cut.ends_with('…'));
    }
}
