//! Shared harness: a sandbox on its own thread, a temporary pages directory, and the real
//! binaries run with a cleared environment holding only what a workflow would set.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use codex_core::telemetry::{Component, Fields, FieldsVisitor, for_fields};
use codex_sandbox::{Sandbox, SandboxOptions, Scenario};
use serde_json::{Value, json};
use tempfile::TempDir;

/// The demo repository.
pub(crate) const REPO: &str = "acme/widgets";
/// A classic token: admin in the sandbox.
pub(crate) const ADMIN_TOKEN: &str = "ghp_itadmin000000000000000000000000000000";

/// The path of one of the package's binaries.
pub(crate) fn bin(name: &str) -> &'static str {
    match name {
        "codex" => env!("CARGO_BIN_EXE_codex"),
        "codex-self-test" => env!("CARGO_BIN_EXE_codex-self-test"),
        "codex-cleaner" => env!("CARGO_BIN_EXE_codex-cleaner"),
        "codex-project-sync" => env!("CARGO_BIN_EXE_codex-project-sync"),
        "codex-integrity" => env!("CARGO_BIN_EXE_codex-integrity"),
        "codex-supervisor" => env!("CARGO_BIN_EXE_codex-supervisor"),
        "codex-activity" => env!("CARGO_BIN_EXE_codex-activity"),
        "codex-telemetry-merge" => env!("CARGO_BIN_EXE_codex-telemetry-merge"),
        "codex-diagnostics" => env!("CARGO_BIN_EXE_codex-diagnostics"),
        other => panic!("no binary {other}"),
    }
}

/// The eight component binaries, from the component table.
pub(crate) const COMPONENT_BINS: [&str; 8] = {
    let mut out = [""; 8];
    let mut i = 0;
    while i < out.len() {
        out[i] = codex_core::component::PIPELINE[i].binary;
        i += 1;
    }
    out
};

/// A finished process.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Panics with both streams unless the exit code is `code`.
    #[track_caller]
    pub(crate) fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// A command with the environment cleared but for `PATH`.
pub(crate) fn clean_command(binary: &str) -> Command {
    let mut cmd = Command::new(bin(binary));
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

/// A sandbox and a pages directory: one GitHub repository as a workflow sees it.
pub(crate) struct World {
    pub(crate) sandbox: Sandbox,
    pub(crate) pages: TempDir,
}

impl World {
    /// The demo scenario, with GitHub's off-spec items.
    pub(crate) fn demo() -> World {
        World::with(SandboxOptions {
            scenario: Scenario::Demo,
            ..SandboxOptions::default()
        })
    }

    /// The empty scenario.
    pub(crate) fn empty() -> World {
        World::with(SandboxOptions {
            scenario: Scenario::Empty,
            ..SandboxOptions::default()
        })
    }

    /// Any sandbox.
    pub(crate) fn with(opts: SandboxOptions) -> World {
        World {
            sandbox: Sandbox::start_in_thread(opts).expect("sandbox starts"),
            pages: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// `binary` with the variables a workflow sets: repository, token, API URL, pages dir,
    /// run id.
    pub(crate) fn command(&self, binary: &str, token: &str, run_id: &str) -> Command {
        let mut cmd = clean_command(binary);
        cmd.env("GITHUB_REPOSITORY", REPO)
            .env("GH_CI_PAT", token)
            .env("GITHUB_API_URL", self.sandbox.base_url())
            .env("CODEX_PAGES_DIR", self.pages.path())
            .env("GITHUB_RUN_ID", run_id);
        cmd
    }

    /// Run `binary` with the admin token, extra variables and arguments.
    pub(crate) fn run(
        &self,
        binary: &str,
        run_id: &str,
        vars: &[(&str, &str)],
        args: &[&str],
    ) -> Run {
        self.run_as(binary, ADMIN_TOKEN, run_id, vars, args)
    }

    /// Run `binary` with `token`, extra variables and arguments.
    pub(crate) fn run_as(
        &self,
        binary: &str,
        token: &str,
        run_id: &str,
        vars: &[(&str, &str)],
        args: &[&str],
    ) -> Run {
        let mut cmd = self.command(binary, token, run_id);
        cmd.envs(vars.iter().copied()).args(args);
        cmd.output().expect("binary runs").into()
    }

    /// `telemetry/<component>-<file_run>.json`, parsed and validated against the checked-in
    /// `docs/telemetry.schema.json` (every test reading telemetry back checks it for free).
    #[track_caller]
    pub(crate) fn telemetry(&self, component: &str, file_run: &str) -> Value {
        let path = self
            .telemetry_dir()
            .join(format!("{component}-{file_run}.json"));
        let doc = read_json(&path);
        assert_valid(&TELEMETRY_SCHEMA, &doc, &path);
        doc
    }

    pub(crate) fn telemetry_dir(&self) -> PathBuf {
        self.pages.path().join("telemetry")
    }

    /// The names of the files in `telemetry/`.
    pub(crate) fn telemetry_files(&self) -> BTreeSet<String> {
        match std::fs::read_dir(self.telemetry_dir()) {
            Ok(entries) => entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => BTreeSet::new(),
        }
    }

    /// `acme/widgets` in `/_sandbox/state`.
    pub(crate) fn repo_state(&self) -> Value {
        self.sandbox.state()["repos"]
            .as_array()
            .and_then(|repos| repos.iter().find(|r| r["full_name"] == REPO))
            .cloned()
            .expect("acme/widgets in the sandbox")
    }

    /// One issue of `acme/widgets` in `/_sandbox/state`.
    #[track_caller]
    pub(crate) fn issue(&self, number: u64) -> Value {
        self.repo_state()["issues"]
            .as_array()
            .and_then(|issues| issues.iter().find(|i| i["number"] == number))
            .cloned()
            .unwrap_or_else(|| panic!("issue #{number} in the sandbox"))
    }

    /// Requests the sandbox answered since the last reset.
    pub(crate) fn requests(&self) -> u64 {
        self.sandbox.stats()["requests"].as_u64().unwrap_or(0)
    }

    /// Writes the sandbox accepted since the last reset.
    pub(crate) fn writes(&self) -> u64 {
        self.sandbox.stats()["writes"].as_u64().unwrap_or(0)
    }

    /// The numbers of the demo scenario's issues of one kind (`scenario.kinds`).
    pub(crate) fn kind(&self, kind: &str) -> Vec<u64> {
        self.sandbox.state()["scenario"]["kinds"][kind]
            .as_array()
            .map(|v| v.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default()
    }

    /// The status line's code of `GET path` with the admin token (raw HTTP/1.1).
    pub(crate) fn http_status(&self, path: &str) -> u16 {
        let mut stream =
            std::net::TcpStream::connect(self.sandbox.addr()).expect("connect to the sandbox");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\nUser-Agent: codex-it\r\nAccept: application/vnd.github+json\r\nConnection: close\r\n\r\n",
            self.sandbox.addr()
        )
        .expect("send request");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read answer");
        answer
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {answer:?}"))
    }
}

/// A checked-in schema of `docs/`, compiled (draft 2020-12, formats such as `date-time` checked).
fn schema(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(name);
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&read_json(&path))
        .unwrap_or_else(|e| panic!("{} does not compile: {e}", path.display()))
}

/// `docs/telemetry.schema.json`.
pub(crate) static TELEMETRY_SCHEMA: LazyLock<jsonschema::Validator> =
    LazyLock::new(|| schema("telemetry.schema.json"));
/// `docs/dashboard.schema.json`.
pub(crate) static DASHBOARD_SCHEMA: LazyLock<jsonschema::Validator> =
    LazyLock::new(|| schema("dashboard.schema.json"));

/// Panics with every violation unless `doc` (read from `path`) validates against `schema`.
#[track_caller]
pub(crate) fn assert_valid(schema: &jsonschema::Validator, doc: &Value, path: &Path) {
    let errors: Vec<String> = schema
        .iter_errors(doc)
        .map(|e| format!("{} at {:?}", e, e.instance_path().to_string()))
        .collect();
    assert!(
        errors.is_empty(),
        "{} does not validate against its schema:\n{}",
        path.display(),
        errors.join("\n")
    );
}

/// `dashboard/dashboard.json` under `pages`, parsed and validated against the checked-in
/// `docs/dashboard.schema.json`.
#[track_caller]
pub(crate) fn read_dashboard(pages: &Path) -> Value {
    let path = pages.join("dashboard/dashboard.json");
    let doc = read_json(&path);
    assert_valid(&DASHBOARD_SCHEMA, &doc, &path);
    doc
}

/// A JSON file, parsed.
#[track_caller]
pub(crate) fn read_json(path: &Path) -> Value {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The names of a JSON list of strings.
pub(crate) fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The numbers of a JSON list of numbers.
pub(crate) fn numbers(value: &Value) -> Vec<u64> {
    let mut out: Vec<u64> = value
        .as_array()
        .map(|v| v.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    out.sort_unstable();
    out
}

/// A valid telemetry document of `component` that finished `age` ago: the envelope, the
/// component's fields (empty), and a `marker` field no writer knows (readers ignore it).
pub(crate) fn fake_telemetry(component: &str, run_id: &str, age: Duration) -> Value {
    struct Empty;
    impl FieldsVisitor for Empty {
        type Output = Value;
        fn visit<F: Fields>(self) -> Value {
            serde_json::to_value(F::default()).expect("fields serialise")
        }
    }
    let parsed: Component = serde_json::from_value(json!(component)).expect("a component name");
    let finished: DateTime<Utc> = Utc::now() - age;
    let mut doc = json!({
        "schema_version": 1,
        "component": component,
        "status": "ok",
        "run_id": run_id,
        "repo": REPO,
        "started_at": (finished - Duration::seconds(5)).to_rfc3339(),
        "finished_at": finished.to_rfc3339(),
        "dry_run": false,
        "warnings": [],
        "errors": [],
        "api": {"requests": 1, "mutations": 0, "rate_limit_remaining": 4999},
        "marker": run_id,
    });
    if let (Some(doc), Value::Object(fields)) = (doc.as_object_mut(), for_fields(parsed, Empty)) {
        doc.extend(fields);
    }
    assert_valid(&TELEMETRY_SCHEMA, &doc, Path::new("fake telemetry"));
    doc
}

/// Write `telemetry/<component>-<run_id>.json` under `pages`.
pub(crate) fn write_telemetry(pages: &Path, component: &str, run_id: &str, doc: &Value) {
    let dir = pages.join("telemetry");
    std::fs::create_dir_all(&dir).expect("telemetry dir");
    std::fs::write(
        dir.join(format!("{component}-{run_id}.json")),
        serde_json::to_vec_pretty(doc).expect("serialise"),
    )
    .expect("write telemetry");
}
