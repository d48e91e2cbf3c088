//! The one redaction point for everything that leaves the process: telemetry, log lines,
//! annotations, the job summary, stdout and stderr.
//!
//! [`Redactor::clean`] is a pure function of its secrets and its input. It
//!
//! 1. drops ANSI escape sequences (CSI, OSC, DCS, …, also their C1 forms), control and
//!    invisible formatting characters, and turns every line break into ` ⏎ `, so that text from
//!    a server can neither start a new line nor steer a terminal;
//! 2. replaces with `***` every registered secret, also when it is percent-encoded,
//!    JSON-escaped (`\u0067`, `\/`), or split by line breaks, whitespace or control characters;
//! 3. replaces with `***` what looks like a credential even when it was never registered:
//!    GitHub tokens by prefix (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), JWTs
//!    (`eyJ…`), the value of a `Bearer`/`token`/`Basic`/`Authorization:` header, and the
//!    userinfo of a URL (`https://user:pass@host` → `https://***@host`);
//! 4. defuses GitHub Actions workflow commands: a message that would begin with `::` begins
//!    with `‹::›` instead, and `##[` becomes `# #[`;
//! 5. bounds the length: at most `limit` characters ([`MESSAGE_LIMIT`] by default), the cut
//!    marked `… (N more)` and counted inside the limit.
//!
//! Secrets are registered once, process-wide, where they enter the process
//! ([`register_secret`]; [`crate::Token::new`] does it for every token), and the free
//! functions [`clean`], [`clean_with_limit`] and [`scrub`] use them.

use std::sync::RwLock;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The longest message, in characters, that telemetry, annotations and summaries carry.
pub const MESSAGE_LIMIT: usize = 500;

/// The longest log line, in characters (it carries a timestamp, level and fields too).
pub const LOG_LINE_LIMIT: usize = 1000;

/// Secrets shorter than this are not registered: matching them would blank ordinary words,
/// and no GitHub credential is this short.
pub const MIN_SECRET_LEN: usize = 8;

/// What a redacted credential becomes.
pub const MASK: &str = "***";

/// What a line break becomes.
pub const LINE_BREAK: &str = " ⏎ ";

/// A set of secrets and a length bound; [`Redactor::clean`] applies them.
#[derive(Clone, PartialEq, Eq)]
pub struct Redactor {
    secrets: Vec<Vec<char>>,
    limit: usize,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .field("limit", &self.limit)
            .finish()
    }
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor::new()
    }
}

impl Redactor {
    /// No secrets (shapes are still redacted), bound [`MESSAGE_LIMIT`].
    pub fn new() -> Self {
        Redactor {
            secrets: Vec::new(),
            limit: MESSAGE_LIMIT,
        }
    }

    /// Also redact `secret` (ignored when shorter than [`MIN_SECRET_LEN`] once whitespace and
    /// control characters are taken out).
    pub fn with_secret(mut self, secret: &str) -> Self {
        self.add_secret(secret);
        self
    }

    /// Bound the output to `limit` characters (at least 32).
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit.max(32);
        self
    }

    fn add_secret(&mut self, secret: &str) {
        let chars: Vec<char> = secret
            .chars()
            .filter(|c| !c.is_whitespace() && !is_invisible(*c))
            .collect();
        if chars.len() >= MIN_SECRET_LEN && !self.secrets.contains(&chars) {
            self.secrets.push(chars);
        }
    }

    /// `text` made safe to leave the process (see the module documentation).
    pub fn clean(&self, text: &str) -> String {
        let mut visible = visible(text);
        // Only the start of a long text can be shown: a 2 MB message is looked at up to a
        // window far beyond the limit, and a secret cut by the window's end is still masked.
        let window = self.limit.saturating_mul(32).max(16_384);
        let mut dropped = 0;
        if let Some((cut, _)) = visible.char_indices().nth(window) {
            dropped = visible[cut..].chars().count();
            visible.truncate(cut);
        }
        let mut marks = Vec::new();
        // once as written, once decoded: a `%4` before a secret starting with `1` must not
        // hide it, nor must an encoded secret go unseen
        for decode in [false, true] {
            let units = skeleton(&visible, decode);
            self.mark_secrets(&units, dropped > 0, &mut marks);
            mark_shapes(&units, &mut marks);
        }
        let masked = render(&visible, marks);
        bound(&defuse(masked), self.limit, dropped)
    }

    fn mark_secrets(&self, units: &[Unit], truncated: bool, marks: &mut Vec<(usize, usize)>) {
        if self.secrets.is_empty() {
            return;
        }
        let dense: Vec<&Unit> = units.iter().filter(|u| !u.ch.is_whitespace()).collect();
        for secret in &self.secrets {
            let n = secret.len();
            let mut i = 0;
            while i + n <= dense.len() {
                if dense[i].ch == secret[0]
                    && dense[i..i + n].iter().zip(secret).all(|(u, c)| u.ch == *c)
                {
                    marks.push((dense[i].start, dense[i + n - 1].end));
                    i += n;
                } else {
                    i += 1;
                }
            }
            if truncated {
                // the start of a secret the window cut off
                let longest = (n - 1).min(dense.len());
                if let Some(k) = (1..=longest).rev().find(|k| {
                    dense[dense.len() - k..]
                        .iter()
                        .zip(secret)
                        .all(|(u, c)| u.ch == *c)
                }) {
                    marks.push((dense[dense.len() - k].start, dense[dense.len() - 1].end));
                }
            }
        }
    }
}

static REGISTRY: RwLock<Option<Redactor>> = RwLock::new(None);

/// Register a secret for every later [`clean`] in this process (tokens, App keys, JWTs,
/// installation tokens). Idempotent; short values are ignored (see [`MIN_SECRET_LEN`]).
pub fn register_secret(secret: &str) {
    let mut guard = REGISTRY.write().unwrap_or_else(|p| p.into_inner());
    guard.get_or_insert_with(Redactor::new).add_secret(secret);
}

/// The process-wide redactor: the registered secrets, bound [`MESSAGE_LIMIT`].
pub fn redactor() -> Redactor {
    REGISTRY
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .unwrap_or_default()
}

/// `text` cleaned with the registered secrets, at most [`MESSAGE_LIMIT`] characters.
pub fn clean(text: &str) -> String {
    clean_with_limit(text, MESSAGE_LIMIT)
}

/// `text` cleaned with the registered secrets, at most `limit` characters.
pub fn clean_with_limit(text: &str, limit: usize) -> String {
    let guard = REGISTRY.read().unwrap_or_else(|p| p.into_inner());
    match guard.as_ref() {
        Some(r) => r.clone().with_limit(limit).clean(text),
        None => Redactor::new().with_limit(limit).clean(text),
    }
}

/// Every string inside `value` cleaned in place (object keys are left alone).
pub fn scrub_json(redactor: &Redactor, value: &mut Value) {
    match value {
        Value::String(s) => {
            let cleaned = redactor.clean(s);
            if cleaned != *s {
                *s = cleaned;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_json(redactor, v)),
        Value::Object(map) => map.values_mut().for_each(|v| scrub_json(redactor, v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `value` with every string in it cleaned by the process-wide redactor: the way a whole
/// telemetry document passes the redaction point. A value that does not survive the round
/// trip through JSON is an error, never returned unredacted.
pub fn scrub<T: Serialize + DeserializeOwned>(value: &T) -> Result<T, serde_json::Error> {
    let mut json = serde_json::to_value(value)?;
    scrub_json(&redactor(), &mut json);
    serde_json::from_value(json)
}

/// Characters nobody sees that can still split a secret or steer a terminal.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Stage 1: no escape sequences, no control characters; every line break is `\n`.
fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(1 << 20));
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1B}' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                Some(c) if ('\u{20}'..='\u{2F}').contains(&c) => {
                    // nF: intermediates, then one final character
                    while chars
                        .next_if(|c| ('\u{20}'..='\u{2F}').contains(c))
                        .is_some()
                    {}
                    chars.next();
                }
                _ => {}
            },
            '\u{9B}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9D}' | '\u{9E}' | '\u{9F}' => skip_string(&mut chars),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\t' => out.push(' '),
            c if is_line_break(c) => out.push('\n'),
            c if is_invisible(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// A CSI sequence after its introducer: parameters and intermediates, then a final byte.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7E}').contains(&c) || !('\u{20}'..='\u{3F}').contains(&c) {
            break;
        }
    }
}

/// An OSC/DCS/SOS/PM/APC string: up to BEL, ST (`ESC \` or U+009C) or a line break.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{07}' | '\u{9C}' => break,
            '\u{1B}' => {
                chars.next_if_eq(&'\\');
                break;
            }
            c if is_line_break(c) => break,
            _ => {}
        }
    }
}

/// One character of the decoded view, and the bytes of the visible text it came from.
#[derive(Debug, Clone, Copy)]
struct Unit {
    ch: char,
    start: usize,
    end: usize,
}

fn hex_value(s: &str) -> Option<u32> {
    if s.chars().all(|c| c.is_ascii_hexdigit()) {
        u32::from_str_radix(s, 16).ok()
    } else {
        None
    }
}

/// Stage 2: the visible text, decoded once (percent-encoding, JSON and C escapes) when
/// `decode`, without line breaks and control characters, each character knowing where it came
/// from.
fn skeleton(visible: &str, decode: bool) -> Vec<Unit> {
    let bytes = visible.as_bytes();
    let mut units = Vec::with_capacity(visible.len().min(1 << 20));
    let mut i = 0;
    while i < visible.len() {
        let c = visible[i..].chars().next().unwrap_or('\0');
        let mut decoded = None;
        let mut width = c.len_utf8();
        if decode && c == '%' && i + 3 <= bytes.len() && visible.is_char_boundary(i + 3) {
            if let Some(v) = hex_value(&visible[i + 1..i + 3]).filter(|v| *v < 0x80) {
                decoded = char::from_u32(v);
                width = 3;
            }
        } else if decode && c == '\\' && i + 1 < bytes.len() {
            match bytes[i + 1] {
                b'u' if i + 6 <= bytes.len() && visible.is_char_boundary(i + 6) => {
                    if let Some(v) = hex_value(&visible[i + 2..i + 6]) {
                        decoded = Some(char::from_u32(v).unwrap_or('\u{FFFD}'));
                        width = 6;
                    }
                }
                b'x' if i + 4 <= bytes.len() && visible.is_char_boundary(i + 4) => {
                    if let Some(v) = hex_value(&visible[i + 2..i + 4]) {
                        decoded = char::from_u32(v);
                        width = 4;
                    }
                }
                // an escaped line break joins what it splits; `\\` is not taken as one
                // character, so that a stray backslash cannot swallow a secret's first one
                b'n' | b'r' | b't' => {
                    decoded = Some('\n');
                    width = 2;
                }
                b'/' | b'"' | b'\'' => {
                    decoded = Some(char::from(bytes[i + 1]));
                    width = 2;
                }
                _ => {}
            }
        }
        let ch = decoded.unwrap_or(c);
        if !(is_line_break(ch) || is_invisible(ch)) {
            units.push(Unit {
                ch,
                start: i,
                end: i + width,
            });
        }
        i += width;
    }
    units
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_b64url(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '=')
}

fn is_credential_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '=' | '/' | '+' | '~')
}

/// Stage 3: credentials recognised by their shape.
fn mark_shapes(units: &[Unit], marks: &mut Vec<(usize, usize)>) {
    let sk: Vec<char> = units.iter().map(|u| u.ch).collect();
    let n = sk.len();
    let run = |from: usize, ok: &dyn Fn(char) -> bool| -> usize {
        sk[from..].iter().take_while(|c| ok(**c)).count()
    };
    let starts_with = |at: usize, word: &str| -> bool {
        (at..)
            .zip(word.chars())
            .all(|(k, w)| k < n && sk[k].eq_ignore_ascii_case(&w))
    };
    let mut mark = |from: usize, len: usize| {
        if len > 0 {
            marks.push((units[from].start, units[from + len - 1].end));
        }
    };
    let mut i = 0;
    while i < n {
        let boundary = i == 0 || !sk[i - 1].is_ascii_alphanumeric();
        // GitHub tokens by prefix.
        if sk[i] == 'g' && i + 4 <= n {
            let prefix = if sk[i + 1] == 'h'
                && matches!(sk[i + 2], 'p' | 'o' | 'u' | 's' | 'r')
                && sk[i + 3] == '_'
            {
                4
            } else if starts_with(i, "github_pat_") {
                11
            } else {
                0
            };
            if prefix > 0 {
                let len = run(i + prefix, &is_token_char);
                if len >= 8 {
                    mark(i, prefix + len);
                    i += prefix + len;
                    continue;
                }
            }
        }
        // JWTs and other base64url JSON (`eyJ` is `{"`).
        if sk[i] == 'e' && starts_with(i, "eyJ") && sk[i + 1] == 'y' && sk[i + 2] == 'J' {
            let len = run(i, &is_b64url);
            if len >= 13 {
                mark(i, len);
                i += len;
                continue;
            }
        }
        // Header values: `Bearer x`, `token x`, `Basic x`, `Authorization: x`.
        if boundary {
            let keyword = ["bearer", "token", "basic", "authorization"]
                .into_iter()
                .find(|w| starts_with(i, w));
            if let Some(word) = keyword {
                let mut k = i + word.len();
                let mut seps = 0;
                let mut assigned = false;
                while k < n && seps < 6 && matches!(sk[k], ' ' | ':' | '=' | '"' | '\'') {
                    assigned |= matches!(sk[k], ':' | '=');
                    k += 1;
                    seps += 1;
                }
                if seps > 0 {
                    if word == "authorization" {
                        if assigned {
                            // the scheme, if any, stays; its value goes
                            let scheme = ["bearer", "token", "basic"]
                                .into_iter()
                                .find(|w| starts_with(k, w) && sk.get(k + w.len()) == Some(&' '));
                            if let Some(w) = scheme {
                                k += w.len();
                                k += run(k, &|c| c == ' ');
                            }
                            let len = run(k, &is_credential_char);
                            mark(k, len);
                            i = k + len.max(1);
                            continue;
                        }
                    } else {
                        let len = run(k, &is_credential_char);
                        if len >= 16 {
                            mark(k, len);
                            i = k + len;
                            continue;
                        }
                    }
                }
            }
        }
        // URL userinfo: `scheme://user:pass@host`.
        if sk[i] == ':' && i + 2 < n && sk[i + 1] == '/' && sk[i + 2] == '/' {
            let from = i + 3;
            let len = sk[from..]
                .iter()
                .take_while(|c| {
                    !c.is_whitespace()
                        && !matches!(c, '/' | '?' | '#' | '@' | '"' | '\'' | '<' | '>')
                })
                .count();
            if len > 0 && sk.get(from + len) == Some(&'@') {
                mark(from, len);
                i = from + len;
                continue;
            }
        }
        i += 1;
    }
}

/// Stage 3, output: masks over the marked bytes, line breaks as ` ⏎ `.
fn render(visible: &str, mut marks: Vec<(usize, usize)>) -> String {
    marks.sort_unstable();
    let mut out = String::with_capacity(visible.len().min(1 << 20));
    let mut marks = marks.into_iter().peekable();
    let mut skip_until = 0;
    for (at, c) in visible.char_indices() {
        while let Some(&(start, end)) = marks.peek() {
            if start > at {
                break;
            }
            marks.next();
            if end > skip_until {
                if at >= skip_until {
                    out.push_str(MASK);
                }
                skip_until = end;
            }
        }
        if at < skip_until {
            continue;
        }
        if c == '\n' {
            out.push_str(LINE_BREAK);
        } else {
            out.push(c);
        }
    }
    out
}

/// Stage 4: no workflow command can start this text or hide in it.
fn defuse(text: String) -> String {
    let mut text = if text.contains("##[") {
        text.replace("##[", "# #[")
    } else {
        text
    };
    let lead = text.len() - text.trim_start().len();
    if text[lead..].starts_with("::") {
        text.replace_range(lead..lead + 2, "‹::›");
    }
    text
}

/// Stage 5: at most `limit` characters, the cut (and the `dropped` characters never looked at)
/// marked inside the limit.
fn bound(text: &str, limit: usize, dropped: usize) -> String {
    let total = text.chars().count();
    if total <= limit && dropped == 0 {
        return text.to_owned();
    }
    let mut keep = limit.min(total);
    loop {
        let suffix = format!("… ({} more)", total - keep + dropped);
        if keep + suffix.chars().count() <= limit {
            let mut out: String = text.chars().take(keep).collect();
            out.push_str(&suffix);
            return out;
        }
        keep -= 1;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const CANARY: &str = "ghp_CanaryCanary0123456789abcdefABCDEF";
    const PLAIN_CANARY: &str = "Zq9ReallySecretValue7Xk";

    fn r() -> Redactor {
        Redactor::new()
            .with_secret(CANARY)
            .with_secret(PLAIN_CANARY)
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in [
            "GET repos/acme/widgets/issues: 500 Internal Server Error",
            "the token contains whitespace or control characters",
            "a token is required: set GH_CI_PAT (or GITHUB_TOKEN)",
            "milestone #3 does not exist; see https://github.com/acme/widgets/milestone/3",
            "100% done: 3 of 3 checks",
            "stopped early: rate limit (resets 2026-01-01T00:00:00Z); the next run carries on",
        ] {
            assert_eq!(r().clean(text), text);
        }
    }

    #[test]
    fn registered_secrets_go_in_every_form() {
        let enc: String = PLAIN_CANARY.bytes().map(|b| format!("%{b:02X}")).collect();
        let uni: String = PLAIN_CANARY
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        for text in [
            format!("x {PLAIN_CANARY} y"),
            format!("x {enc} y"),
            format!("{{\"m\":\"{uni}\"}}"),
            "Zq9Really\nSecretValue7Xk".to_string(),
            "Zq9Really\\nSecretValue7Xk".to_string(),
            "Zq9Re\u{1b}[31mally Secret\u{200b}Value7Xk".to_string(),
            "Zq9Really\r\n  SecretValue7Xk".to_string(),
        ] {
            let out = r().clean(&text);
            assert!(!out.contains("SecretValue"), "{text:?} -> {out:?}");
            assert!(out.contains(MASK), "{out:?}");
        }
    }

    #[test]
    fn shapes_go_even_when_unregistered() {
        let cases = [
            ("auth failed for ghs_abcdefghij0123456789 today", "ghs_abc"),
            ("github_pat_11ABCDEFG0123456789_abcdefghijkl", "11ABCDEFG"),
            (
                "jwt eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjEyM30.c2lnbmF0dXJl end",
                "eyJpc3M",
            ),
            ("Authorization: Bearer abc.def-ghi_jkl", "abc.def"),
            ("echo: authorization=token shortone", "shortone"),
            (
                "{\"Authorization\": \"token abcdefghijklmnopqrstuvwxyz\"}",
                "abcdefghij",
            ),
            ("Bearer 0123456789abcdefghijklmnop", "0123456789"),
            ("https://user:hunter2@ghe.example.com/api/v3", "hunter2"),
            ("https://x-access-token@github.com/a/b.git", "x-access"),
        ];
        for (text, gone) in cases {
            let out = Redactor::new().clean(text);
            assert!(!out.contains(gone), "{text:?} -> {out:?}");
            assert!(out.contains(MASK), "{text:?} -> {out:?}");
        }
        assert_eq!(
            Redactor::new().clean("see https://user:pass@host/x"),
            "see https://***@host/x"
        );
        assert_eq!(
            Redactor::new().clean("Authorization: token ghp_aaaaaaaaaaaaaaaa"),
            "Authorization: token ***"
        );
    }

    #[test]
    fn escapes_control_characters_and_line_breaks_go() {
        let out = Redactor::new()
            .clean("a\u{1b}[31mred\u{1b}[0m\u{1b}]0;title\u{7}b\u{0}c\nd\r\ne\u{9b}2Jf");
        assert_eq!(out, "aredbc ⏎ d ⏎ ef");
    }

    #[test]
    fn workflow_commands_are_defused() {
        let out = Redactor::new().clean("::add-mask::x");
        assert_eq!(out, "‹::›add-mask::x");
        let out = Redactor::new().clean("  \u{1b}[0m::stop-commands::y\n::error::z");
        assert!(!out.trim_start().starts_with("::"), "{out:?}");
        assert!(!out.contains('\n'));
        assert_eq!(Redactor::new().clean("x ##[set-env]y"), "x # #[set-env]y");
    }

    #[test]
    fn length_is_bounded_with_the_remainder_counted() {
        let out = Redactor::new().clean(&"a".repeat(2_000_000));
        assert_eq!(out.chars().count(), MESSAGE_LIMIT);
        assert!(out.ends_with("more)"), "{out}");
        let kept = out.chars().take_while(|c| *c == 'a').count();
        assert_eq!(
            out,
            format!("{}… ({} more)", "a".repeat(kept), 2_000_000 - kept)
        );
        assert_eq!(Redactor::new().clean(&"b".repeat(500)), "b".repeat(500));
    }

    #[test]
    fn a_secret_cut_by_the_window_is_still_masked() {
        // everything before the secret masks down to nothing, so its start would show
        let text = format!("Bearer {} {PLAIN_CANARY} tail", "a".repeat(19_180));
        let out = r().with_limit(600).clean(&text);
        assert!(out.starts_with("Bearer *** ***… ("), "{out}");
        assert!(!out.contains("Zq9"), "{out}");
    }

    #[test]
    fn scrub_cleans_every_string_of_a_document() {
        register_secret(CANARY);
        let doc = serde_json::json!({"errors": [format!("echo {CANARY}")], "n": 3,
            "nested": {"detail": "::add-mask::x"}});
        let out = scrub(&doc).unwrap();
        let text = out.to_string();
        assert!(!text.contains(CANARY), "{text}");
        assert_eq!(out["n"], 3);
        assert_eq!(out["nested"]["detail"], "‹::›add-mask::x");
    }

    /// Whether `out` still shows `secret`, as written or decoded once, once whitespace, line
    /// break marks and control characters are taken out (an independent oracle: it shares no
    /// code with the redactor).
    fn reveals(out: &str, secret: &str) -> bool {
        let squeeze = |s: &str| -> String {
            s.chars()
                .filter(|c| !c.is_whitespace() && !c.is_control() && *c != '⏎' && *c != '\u{200b}')
                .collect()
        };
        let mut decoded = String::new();
        let mut rest = out;
        while let Some(c) = rest.chars().next() {
            let hex = |s: &str| u32::from_str_radix(s, 16).ok().and_then(char::from_u32);
            if c == '%'
                && rest.len() >= 3
                && rest.is_char_boundary(3)
                && let Some(d) = hex(&rest[1..3])
            {
                decoded.push(d);
                rest = &rest[3..];
            } else if rest.starts_with("\\u")
                && rest.len() >= 6
                && rest.is_char_boundary(6)
                && let Some(d) = hex(&rest[2..6])
            {
                decoded.push(d);
                rest = &rest[6..];
            } else if rest.starts_with("\\n") {
                rest = &rest[2..];
            } else {
                decoded.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        [out, decoded.as_str()]
            .iter()
            .any(|s| s.split(MASK).any(|piece| squeeze(piece).contains(secret)))
    }

    fn embed(secret: &str, how: u8) -> String {
        match how % 8 {
            0 => secret.to_owned(),
            1 => secret.bytes().map(|b| format!("%{b:02X}")).collect(),
            2 => serde_json::to_string(&serde_json::json!({ "message": secret })).unwrap(),
            3 => secret
                .chars()
                .map(|c| format!("\\u{:04x}", c as u32))
                .collect(),
            4 => format!("\u{1b}[1;31m{secret}\u{1b}[0m"),
            5 => format!("\u{1b}]8;;https://x/{secret}\u{7}link\u{1b}]8;;\u{7}"),
            6 => format!("https://user:{secret}@example.com/"),
            _ => format!("{secret}{secret}"),
        }
    }

    fn split(secret: &str, at: usize, with: &str) -> String {
        let at = at % (secret.len() + 1);
        format!("{}{with}{}", &secret[..at], &secret[at..])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn no_canary_survives_any_embedding(
            before in "[ -~\n\t\u{1b}]{0,60}",
            after in "[ -~\n\t\u{1b}]{0,60}",
            secret in "[A-Za-z0-9_]{8,40}",
            how in 0u8..8,
            cut in 0usize..64,
            sep in prop::sample::select(vec!["", "\n", "\r\n", " ", "\u{1b}[0m", "\u{0}", "\\n", "\u{200b}", "\t\n  "]),
            repeat in 1usize..4,
        ) {
            let redactor = Redactor::new().with_secret(&secret);
            let embedded = embed(&split(&secret, cut, sep), how);
            let text = format!("{before}{}{after}", embedded.repeat(repeat));
            let out = redactor.clean(&text);
            prop_assert!(!reveals(&out, &secret), "{:?} -> {:?}", text, out);
            prop_assert!(out.chars().count() <= MESSAGE_LIMIT, "{:?}", out);
            prop_assert!(!out.contains('\n') && !out.contains('\r') && !out.contains('\u{1b}'), "{:?}", out);
            prop_assert!(!out.trim_start().starts_with("::"), "{:?}", out);
        }

        #[test]
        fn output_is_bounded_single_line_and_never_a_command(
            text in ".{0,3000}",
            limit in 32usize..800,
        ) {
            let out = Redactor::new().with_secret(CANARY).with_limit(limit).clean(&text);
            prop_assert!(out.chars().count() <= limit, "{} > {}", out.chars().count(), limit);
            prop_assert!(!out.chars().any(|c| c.is_control()), "{:?}", out);
            prop_assert!(!out.trim_start().starts_with("::"), "{:?}", out);
            prop_assert!(!out.contains("##["), "{:?}", out);
        }

        #[test]
        fn commands_after_line_breaks_cannot_start_a_line(
            prefix in "[ -~]{0,40}",
            command in "::[a-z-]{1,20}::[ -~]{0,20}",
            brk in prop::sample::select(vec!["\n", "\r", "\r\n", "\u{2028}", "\u{85}", "\u{1b}[2K\r"]),
        ) {
            let out = Redactor::new().clean(&format!("{prefix}{brk}{command}"));
            prop_assert!(!out.contains('\n') && !out.contains('\r'), "{:?}", out);
            prop_assert!(!out.trim_start().starts_with("::"), "{:?}", out);
        }

        #[test]
        fn canary_in_large_text_is_gone(pad in 0usize..5000, how in 0u8..8) {
            let text = format!("{}{}{}", "x".repeat(pad), embed(CANARY, how), "y".repeat(pad));
            let out = r().with_limit(100_000).clean(&text);
            prop_assert!(!out.contains(CANARY), "{:?}", out);
            prop_assert!(!out.contains("CanaryCanary"), "{:?}", out);
        }
    }
}
