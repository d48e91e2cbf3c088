//! `codex-integrity`: see `codex-integrity --help`.

fn main() -> std::process::ExitCode {
    codex_cli::IntegrityCli::main()
}
