//! `codex-self-test`: see `codex-self-test --help`.

fn main() -> std::process::ExitCode {
    codex_cli::SelfTestCli::main()
}
