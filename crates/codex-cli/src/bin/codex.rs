//! `codex`: the front door. `codex <component> [flags]` runs any of the seven components;
//! `codex demo` runs the whole pipeline on the embedded sandbox.

fn main() -> std::process::ExitCode {
    codex_cli::front_door()
}
