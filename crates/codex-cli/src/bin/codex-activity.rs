//! `codex-activity`: see `codex-activity --help`.

fn main() -> std::process::ExitCode {
    codex_cli::ActivityCli::main()
}
