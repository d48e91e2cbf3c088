//! The `Link` header parser must never panic, and a `next` URL it returns must be text that
//! stood between `<` and `>` in the header.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else { return };
    let all = codex_core::github::pagination::links(header);
    if let Some(next) = codex_core::github::pagination::next_link(header) {
        assert!(header.contains(next.as_str()));
        assert!(all.iter().any(|(url, _)| *url == next));
    }
});
