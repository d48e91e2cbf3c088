//! `codex-supervisor`: see `codex-supervisor --help`.

fn main() -> std::process::ExitCode {
    codex_cli::SupervisorCli::main()
}
