//! `codex-cleaner`: see `codex-cleaner --help`.

fn main() -> std::process::ExitCode {
    codex_cli::CleanerCli::main()
}
