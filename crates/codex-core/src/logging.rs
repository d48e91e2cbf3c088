//! Logging to stderr (stdout is for machine output and the short human summary).

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// Set up logging once: `verbosity` 0 = info, 1 = debug, 2+ = trace; `RUST_LOG` overrides.
/// The HTTP stack is held at `info` whatever the level, so no request header (and so no token)
/// can reach a log line. ANSI colours only on a terminal.
pub fn init(verbosity: u8) {
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
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .try_init();
}
