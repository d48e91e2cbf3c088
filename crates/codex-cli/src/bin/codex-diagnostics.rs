//! `codex-diagnostics`: see `codex-diagnostics --help`.

fn main() -> std::process::ExitCode {
    codex_cli::DiagnosticsCli::main()
}
