//! Helpers: start a sandbox on a fixed clock and talk to it over HTTP through octocrab's raw
//! request methods (no error mapping, no redirects followed).

use chrono::{DateTime, TimeZone, Utc};
use codex_sandbox::{Sandbox, SandboxOptions, Scenario};
use http::HeaderMap;
use http_body_util::BodyExt;
use octocrab::Octocrab;
use serde_json::{Value, json};

/// The clock every test scenario is generated against.
pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
}

pub(crate) fn opts(scenario: Scenario) -> SandboxOptions {
    SandboxOptions {
        scenario,
        off_spec: false,
        now: Some(now()),
        ..SandboxOptions::default()
    }
}

pub(crate) async fn demo() -> Sandbox {
    Sandbox::start(opts(Scenario::Demo)).await.unwrap()
}

/// The numbers of one kind in the demo scenario (from `/_sandbox/state`).
pub(crate) fn kind(sb: &Sandbox, kind: &str) -> Vec<u64> {
    sb.state()["scenario"]["kinds"][kind]
        .as_array()
        .unwrap_or_else(|| panic!("no kind {kind}"))
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The URL of one relation of the `Link` header.
    pub(crate) fn link(&self, rel: &str) -> Option<String> {
        let link = self.header("link")?;
        link.split(',').find_map(|part| {
            let (url, params) = part.split_once(';')?;
            params.contains(&format!("rel=\"{rel}\"")).then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
        })
    }

    pub(crate) fn array(&self) -> &Vec<Value> {
        self.body
            .as_array()
            .unwrap_or_else(|| panic!("not an array: {}", self.body))
    }
}

pub(crate) struct Client {
    octo: Octocrab,
    base: String,
}

impl Client {
    pub(crate) fn new(sb: &Sandbox, token: Option<&str>) -> Self {
        let mut b = Octocrab::builder().base_uri(sb.base_url()).unwrap();
        if let Some(t) = token {
            b = b.personal_token(t.to_owned());
        }
        Self {
            octo: b.build().unwrap(),
            base: sb.base_url(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn read(
        r: http::Response<http_body_util::combinators::BoxBody<bytes::Bytes, octocrab::Error>>,
    ) -> Resp {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        // Non-JSON bodies (the HTML page of an injected 502) come back as a string.
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Resp {
        Self::read(self.octo._get(self.url(path)).await.unwrap()).await
    }

    pub(crate) async fn get_with(&self, path: &str, name: &'static str, value: &str) -> Resp {
        let mut h = HeaderMap::new();
        h.insert(name, value.parse().unwrap());
        Self::read(
            self.octo
                ._get_with_headers(self.url(path), Some(h))
                .await
                .unwrap(),
        )
        .await
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Resp {
        Self::read(self.octo._post(self.url(path), Some(body)).await.unwrap()).await
    }

    pub(crate) async fn patch(&self, path: &str, body: &Value) -> Resp {
        Self::read(self.octo._patch(self.url(path), Some(body)).await.unwrap()).await
    }

    /// A POST carrying one more header (an `authorization` of a given scheme, on a client made
    /// without a token).
    pub(crate) async fn post_with(
        &self,
        path: &str,
        body: &Value,
        name: &'static str,
        value: &str,
    ) -> Resp {
        let b = http::Request::builder()
            .method(http::Method::POST)
            .uri(self.url(path))
            .header(name, value);
        let request = self.octo.build_request(b, Some(body)).unwrap();
        Self::read(self.octo.execute(request).await.unwrap()).await
    }

    pub(crate) async fn graphql(&self, query: &str, variables: Value) -> Resp {
        self.post("/graphql", &json!({"query": query, "variables": variables}))
            .await
    }
}
