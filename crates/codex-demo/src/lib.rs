//! `codex demo`: the whole pipeline on the embedded sandbox, no token and no network.
//!
//! Starts `codex-sandbox` (demo scenario) in-process on a free port, runs the pipeline
//! against it ([`codex_core::jobs::pipeline::run`], the runner of `codex pipeline`: the eight
//! components in the reference's order), writes the pages tree, and prints the pipeline's
//! summary table and where the dashboard is. With `--serve` it then serves
//! `<out>/dashboard` on 127.0.0.1 until Ctrl-C.
//!
//! Its own crate so that only the `codex` front door links the sandbox and axum: the eight
//! component binaries carry neither (`codex-cli`'s `demo` feature, on by default).

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use clap::Args;
use codex_core::jobs;
use codex_core::jobs::pipeline::{self, Step, StepOutcome};
use codex_core::telemetry::Status;
use codex_core::{CommonArgs, Config, Needs, Stop};
use codex_sandbox::{Sandbox, SandboxOptions, Scenario};

/// `codex demo` flags.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Where to write the pages tree (telemetry/ and dashboard/)
    #[arg(long, default_value = "codex-demo")]
    pub out: PathBuf,
    /// Sandbox seed (the demo repository's issues are generated from it)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// More log output on stderr (-v debug, -vv trace)
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// After the run, serve the dashboard on http://127.0.0.1:PORT/ until Ctrl-C
    #[arg(long)]
    pub serve: bool,
    /// Port for --serve (0: any free port; the URL is printed)
    #[arg(long, default_value_t = 8000, requires = "serve")]
    pub port: u16,
}

/// The token the demo hands the sandbox: a classic-looking token with admin rights there.
const DEMO_TOKEN: &str = "ghp_codexdemo0000000000000000000000000000";

/// Run `codex demo` on `runtime` (the caller's single-threaded one); logging goes to stderr.
pub fn main(args: &DemoArgs, runtime: &tokio::runtime::Runtime) -> ExitCode {
    codex_core::logging::init(args.verbose);
    match runtime.block_on(run(args, &mut pipeline::Quiet)) {
        Ok(steps) => {
            if args.serve
                && let Err(e) = runtime.block_on(serve(args.out.join("dashboard"), args.port))
            {
                eprintln!("error: demo --serve: {e:#}");
                return ExitCode::FAILURE;
            }
            if pipeline::worst(&steps) == Some(Status::Error) {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: demo: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Run the demo: the pipeline ([`pipeline::run`], the same as `codex pipeline`'s) against
/// the sandbox, then the summary table. Returns one step per component.
pub async fn run(args: &DemoArgs, hooks: &mut dyn pipeline::Hooks) -> anyhow::Result<Vec<Step>> {
    let sandbox = Sandbox::start(SandboxOptions {
        scenario: Scenario::Demo,
        seed: args.seed,
        ..SandboxOptions::default()
    })
    .await?;
    eprintln!(
        "sandbox: {} (demo scenario, repository acme/widgets)",
        sandbox.base_url()
    );
    let now = Utc::now();
    let common = CommonArgs {
        repo: Some("acme/widgets".into()),
        api_url: Some(sandbox.base_url()),
        pages_dir: Some(args.out.clone()),
        run_id: Some(format!("demo-{}", now.format("%Y%m%dT%H%M%SZ"))),
        ..CommonArgs::default()
    };
    // Nothing from the caller's environment leaks in: the demo is the same everywhere. Like a
    // workflow, it passes the repository's Actions variables to the components.
    let variables: Vec<(String, String)> = sandbox.state()["repos"][0]["variables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| {
            Some((
                v["name"].as_str()?.to_owned(),
                v["value"].as_str()?.to_owned(),
            ))
        })
        .collect();
    let lookup = |name: &str| {
        if name == codex_core::env::GH_CI_PAT {
            return Some(DEMO_TOKEN.to_owned());
        }
        variables
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let config = Config::resolve(&common, &lookup, Needs { token: true }, now)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let options = jobs::Options {
        diagnostics: jobs::diagnostics::DiagnosticsOptions {
            repair: false,
            env_set: variables.iter().map(|(k, _)| k.clone()).collect(),
        },
        ..jobs::Options::default()
    };
    let steps = pipeline::run(&config, &options, &Stop::default(), hooks).await;
    let merged = steps
        .iter()
        .find_map(|step| match &step.outcome {
            StepOutcome::Merged(merged) => Some(Ok(merged)),
            StepOutcome::Failed(e) if !step.info.writes_telemetry() => Some(Err(e)),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("the pipeline has no telemetry-merge"))?
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    print!("{}", pipeline::table(&steps));
    let dashboard = args.out.join("dashboard");
    println!();
    println!("Dashboard data: {}", merged.path.display());
    if !args.serve {
        println!(
            "Open the dashboard: codex demo --serve, or python3 -m http.server -d {} 8000, then http://127.0.0.1:8000/",
            dashboard.display()
        );
    }
    Ok(steps)
}

/// Serve the dashboard directory's four files on 127.0.0.1 (GET only) until Ctrl-C.
async fn serve(dir: PathBuf, port: u16) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, port)).await?;
    println!(
        "Serving the dashboard at http://{}/ (Ctrl-C to stop)",
        listener.local_addr()?
    );
    let app =
        axum::Router::new().fallback(move |method, uri| dashboard_file(dir.clone(), method, uri));
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// One of the dashboard's files, by a fixed list of names, or a piece of a bounded list
/// (`/details/NAME.json`, NAME of lowercase letters, digits, `-` and `_`): nothing else is
/// reachable.
async fn dashboard_file(
    dir: PathBuf,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    if method != axum::http::Method::GET && method != axum::http::Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let piece = uri
        .path()
        .strip_prefix("/details/")
        .and_then(|rest| rest.strip_suffix(".json"))
        .filter(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        });
    let (name, content_type) = match (uri.path(), piece) {
        (_, Some(piece)) => (format!("details/{piece}.json"), "application/json"),
        ("/" | "/index.html", _) => ("index.html".into(), "text/html; charset=utf-8"),
        ("/dom.js", _) => ("dom.js".into(), "text/javascript; charset=utf-8"),
        ("/app.js", _) => ("app.js".into(), "text/javascript; charset=utf-8"),
        ("/styles.css", _) => ("styles.css".into(), "text/css; charset=utf-8"),
        ("/dashboard.json", _) => ("dashboard.json".into(), "application/json"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match tokio::fs::read(dir.join(name)).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-store"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            body,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
