//! The seven component binaries carry no sandbox and no web server: only the `codex` front
//! door links them, for `codex demo` (the `codex-demo` crate, behind `codex-cli`'s `demo`
//! feature). Read from the built binaries' bytes, where crate names appear in symbols, panic
//! locations and debug information.

use crate::common::{COMPONENT_BINS, bin};

/// The binary's bytes, searchable (debug binaries are 100+ MB: memchr's search, not a loop
/// compiled without optimisation).
struct Bytes(Vec<u8>);

impl Bytes {
    fn of(binary: &str) -> Bytes {
        Bytes(std::fs::read(bin(binary)).unwrap_or_else(|e| panic!("{binary}: {e}")))
    }

    fn contains(&self, needle: &str) -> bool {
        memchr::memmem::find(&self.0, needle.as_bytes()).is_some()
    }
}

const NOT_IN_PRODUCTION: [&str; 3] = ["codex_sandbox", "codex_demo", "axum"];

#[test]
fn component_binaries_link_neither_the_sandbox_nor_axum() {
    for binary in COMPONENT_BINS {
        let text = Bytes::of(binary);
        assert!(text.contains("codex_core"), "{binary}: not a Codex binary?");
        for name in NOT_IN_PRODUCTION {
            assert!(!text.contains(name), "{binary} contains {name}");
        }
    }
}

#[test]
fn the_front_door_links_the_demo() {
    // The control: the search finds the crates where they are linked.
    let text = Bytes::of("codex");
    for name in NOT_IN_PRODUCTION {
        assert_eq!(
            text.contains(name),
            cfg!(feature = "demo"),
            "codex and {name} with the demo feature {}",
            if cfg!(feature = "demo") { "on" } else { "off" }
        );
    }
}
