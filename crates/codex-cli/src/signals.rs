//! SIGTERM and SIGINT (a cancelled Actions run, `timeout-minutes`, Ctrl-C): the first one
//! cancels the run's [`Stop`], so the component sends nothing new, abandons the request in
//! flight after the grace, writes its telemetry ("cancelled by SIGTERM") and the binary exits
//! with the shell's code for the signal (130 for SIGINT, 143 for SIGTERM). A second signal
//! exits at once, with the same code. On Windows, Ctrl-C plays SIGINT's part.

use std::sync::atomic::{AtomicU8, Ordering};

use codex_core::Stop;

/// A signal that cancels a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// SIGINT (Ctrl-C; what Actions sends first when a run is cancelled).
    Interrupt,
    /// SIGTERM (what Actions sends next, and what `kill` sends).
    Terminate,
}

impl Signal {
    /// Its name, as telemetry shows it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The exit code the shell gives a process this signal ended: 128 + its number.
    pub(crate) fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }

    fn number(self) -> u8 {
        self.exit_code() - 128
    }

    fn from_number(n: u8) -> Option<Signal> {
        [Signal::Interrupt, Signal::Terminate]
            .into_iter()
            .find(|s| s.number() == n)
    }
}

/// The first signal received, by number (0: none). Process-wide: the binary runs one run.
static RECEIVED: AtomicU8 = AtomicU8::new(0);

/// The first signal this process received, if any: the binary then exits with its code.
pub(crate) fn received() -> Option<Signal> {
    Signal::from_number(RECEIVED.load(Ordering::SeqCst))
}

/// Listens while it lives (the task is aborted on drop).
pub(crate) struct Listener(Option<tokio::task::JoinHandle<()>>);

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

/// Start listening for SIGTERM and SIGINT, cancelling `stop` on the first. Call inside the
/// runtime; the handlers are in place when this returns.
pub(crate) fn listen(stop: Stop) -> Listener {
    let mut signals = match Signals::install() {
        Ok(signals) => signals,
        Err(e) => {
            tracing::warn!(error = %e, "signal handlers not installed: a signal ends the run without telemetry");
            return Listener(None);
        }
    };
    Listener(Some(tokio::spawn(async move {
        loop {
            let Some(signal) = signals.next().await else {
                return;
            };
            on_signal(signal, &stop);
        }
    })))
}

fn on_signal(signal: Signal, stop: &Stop) {
    let first = RECEIVED
        .compare_exchange(0, signal.number(), Ordering::SeqCst, Ordering::SeqCst)
        .is_ok();
    if first {
        stop.cancel(signal.name());
        tracing::warn!(
            "{} received: sending nothing new, finishing or abandoning the request in flight within {} s, then writing telemetry; a second signal exits at once",
            signal.name(),
            stop.grace().as_secs()
        );
    } else {
        let code = received().unwrap_or(signal).exit_code();
        eprintln!(
            "error: {} received again: exiting at once, telemetry not written",
            signal.name()
        );
        std::process::exit(i32::from(code));
    }
}

#[cfg(unix)]
struct Signals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    async fn next(&mut self) -> Option<Signal> {
        tokio::select! {
            got = self.terminate.recv() => got.map(|()| Signal::Terminate),
            got = self.interrupt.recv() => got.map(|()| Signal::Interrupt),
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> std::io::Result<Self> {
        Ok(Signals)
    }

    async fn next(&mut self) -> Option<Signal> {
        tokio::signal::ctrl_c()
            .await
            .ok()
            .map(|()| Signal::Interrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        assert_eq!(Signal::Interrupt.exit_code(), 130);
        assert_eq!(Signal::Terminate.exit_code(), 143);
        for s in [Signal::Interrupt, Signal::Terminate] {
            assert_eq!(Signal::from_number(s.number()), Some(s));
        }
        assert_eq!(Signal::from_number(0), None);
        assert_eq!(Signal::Terminate.name(), "SIGTERM");
    }
}
