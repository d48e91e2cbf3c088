//! The lenient issue parser must never panic, and must keep its promises on any JSON: an item
//! it accepts has a positive number, and labels it reports are non-empty names.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let items: Vec<serde_json::Value> = match value {
        serde_json::Value::Array(items) => items,
        other => vec![other],
    };
    for item in &items {
        if let Ok(issue) = codex_core::github::Issue::from_json(item) {
            assert!(issue.number.0 > 0);
            assert!(issue.labels.iter().all(|l| !l.is_empty()));
            let _ = codex_core::rules::decide_track(&issue);
        }
    }
});
