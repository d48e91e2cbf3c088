//! `codex-telemetry-merge`: see `codex-telemetry-merge --help`.

fn main() -> std::process::ExitCode {
    codex_cli::TelemetryMergeCli::main()
}
