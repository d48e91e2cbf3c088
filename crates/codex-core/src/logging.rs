//! Logging to stderr (stdout is for machine output and the short human summary).

use std::io::Write;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Set up logging once: `verbosity` 0 = info, 1 = debug, 2+ = trace; `RUST_LOG` overrides.
/// The HTTP stack is held at `info` whatever the level, so no request header (and so no token)
/// can reach a log line. Every line passes the redactor ([`LineWriter`]); no ANSI colours, as
/// the redactor would take them out anyway.
pub fn init(verbosity: u8) {
    init_to(verbosity, std::io::stderr);
}

/// [`init`], with each (redacted, one-line) log line written to a writer from `sink` instead
/// of stderr: the CLI prints them above its progress bars.
pub fn init_to<W, S>(verbosity: u8, sink: S)
where
    W: Write + 'static,
    S: Fn() -> W + Send + Sync + 'static,
{
    let level = match verbosity {
        0 => LevelFilter::INFO,
        1 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let mut filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    for quiet in [
        "hyper",
        "hyper_util",
        "h2",
        "rustls",
        "tower",
        "octocrab",
        "reqwest",
    ] {
        if let Ok(directive) = format!("{quiet}=info").parse() {
            filter = filter.add_directive(directive);
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || LineWriter::new(sink()))
        .with_ansi(false)
        .with_target(false)
        .try_init();
}

/// Makes a [`LineWriter`] per log event: every line reaches stderr through the redactor
/// ([`init`] does the same with a closure).
#[derive(Debug, Clone, Copy, Default)]
pub struct RedactingStderr;

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = LineWriter<std::io::Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter::new(std::io::stderr())
    }
}

/// Collects one formatted log event and, when dropped (or flushed), writes it to `inner` as
/// one line passed through [`crate::redact::clean_with_limit`] (at most
/// [`crate::redact::LOG_LINE_LIMIT`] characters): no secret, no escape sequence, no line
/// break from the data, and no line that begins with a workflow command.
#[derive(Debug)]
pub struct LineWriter<W: Write> {
    inner: W,
    buffer: Vec<u8>,
}

impl<W: Write> LineWriter<W> {
    /// A writer that passes what it collects to `inner`.
    pub fn new(inner: W) -> Self {
        LineWriter {
            inner,
            buffer: Vec::new(),
        }
    }

    fn emit(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.buffer);
        let line = crate::redact::clean_with_limit(
            text.trim_end_matches(['\n', '\r']),
            crate::redact::LOG_LINE_LIMIT,
        );
        self.buffer.clear();
        self.inner.write_all(format!("{line}\n").as_bytes())?;
        self.inner.flush()
    }
}

impl<W: Write> Write for LineWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.emit()
    }
}

impl<W: Write> Drop for LineWriter<W> {
    fn drop(&mut self) {
        let _ = self.emit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_event_becomes_one_clean_line() {
        let mut out = Vec::new();
        {
            let mut w = LineWriter::new(&mut out);
            w.write_all(b"2026-01-01T00:00:00Z WARN oops: ").unwrap();
            w.write_all(b"Authorization: token ghp_abcdefghijklmnop0123\n::add-mask::x\x1b[31m\n")
                .unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "2026-01-01T00:00:00Z WARN oops: Authorization: token *** ⏎ ::add-mask::x\n"
        );
        let mut out = Vec::new();
        {
            let mut w = LineWriter::new(&mut out);
            w.write_all(b"::error::forged\n").unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("‹::›error::forged"), "{text}");
    }
}
