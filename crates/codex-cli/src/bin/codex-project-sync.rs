//! `codex-project-sync`: see `codex-project-sync --help`.

fn main() -> std::process::ExitCode {
    codex_cli::ProjectSyncCli::main()
}
