//! A run's stop: cancellation from outside (the binaries turn SIGTERM and SIGINT into it) and
//! the per-run deadline (`CODEX_DEADLINE_SECS`), in one handle.
//!
//! The GitHub client holds a [`Stop`] and races every request against it: once the run is
//! stopped, nothing new is sent ([`Stop::check`]), a wait (for a slot, a rate-limit reset, a
//! retry backoff) ends at once ([`Stop::stopped`]), and a request already in flight gets
//! [`Stop::grace`] to finish before it is abandoned ([`Stop::stopped_then_grace`]). So a hung
//! request cannot outlive the deadline by more than the grace, whatever the HTTP timeout.
//!
//! No process-level code here: who cancels, and why, is the caller's business.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// How long a request in flight may still take after the run is stopped.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3);

/// Why a run stopped before its work was done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// Cancelled from outside; `by` names who (the binaries: `SIGTERM`, `SIGINT`).
    Cancelled {
        /// E.g. `SIGTERM`.
        by: String,
    },
    /// The per-run deadline passed.
    Deadline {
        /// The deadline, counted from the start of the run.
        after: Duration,
    },
}

impl StopReason {
    /// True for a cancellation from outside (not the deadline).
    pub fn is_cancellation(&self) -> bool {
        matches!(self, StopReason::Cancelled { .. })
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Cancelled { by } => write!(f, "cancelled by {by}"),
            StopReason::Deadline { after } => {
                write!(f, "deadline of {} s reached", after.as_secs())
            }
        }
    }
}

/// A run's stop handle. Cheap to clone; clones share the state: cancelling one cancels all.
#[derive(Clone)]
pub struct Stop {
    inner: Arc<Inner>,
}

struct Inner {
    /// Shared with every [`Stop::linked`] stop.
    cancelled: Arc<watch::Sender<Option<StopReason>>>,
    deadline: Option<(Instant, Duration)>,
    grace: Duration,
}

impl fmt::Debug for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stop")
            .field("reason", &self.reason())
            .field("deadline", &self.inner.deadline.map(|(_, d)| d))
            .field("grace", &self.inner.grace)
            .finish()
    }
}

impl Default for Stop {
    /// A stop with no deadline: only [`Stop::cancel`] stops the run.
    fn default() -> Self {
        Stop::new(None)
    }
}

impl Stop {
    /// A stop whose deadline (if any) is `deadline` from now, with the default grace.
    pub fn new(deadline: Option<Duration>) -> Self {
        Stop::with_grace(deadline, DEFAULT_GRACE)
    }

    /// A stop whose deadline (if any) is `deadline` from now, and whose requests in flight get
    /// `grace` to finish once it is stopped.
    pub fn with_grace(deadline: Option<Duration>, grace: Duration) -> Self {
        let now = Instant::now();
        let (cancelled, _) = watch::channel(None);
        Stop {
            inner: Arc::new(Inner {
                cancelled: Arc::new(cancelled),
                deadline: deadline.map(|d| (now.checked_add(d).unwrap_or(now + FAR), d)),
                grace,
            }),
        }
    }

    /// A stop with its own deadline (if any, `deadline` from now) that shares this one's
    /// cancellation: cancelling either cancels both. A pipeline gives each component such a
    /// stop, so one signal stops the component running and the pipeline alike, while each
    /// component keeps its own deadline, as it has when run alone.
    pub fn linked(&self, deadline: Option<Duration>) -> Stop {
        let now = Instant::now();
        Stop {
            inner: Arc::new(Inner {
                cancelled: Arc::clone(&self.inner.cancelled),
                deadline: deadline.map(|d| (now.checked_add(d).unwrap_or(now + FAR), d)),
                grace: self.inner.grace,
            }),
        }
    }

    /// Cancel the run (`by` says who, e.g. `SIGTERM`). The first cancellation wins; a later
    /// one changes nothing. Returns true when this call cancelled the run.
    pub fn cancel(&self, by: impl Into<String>) -> bool {
        let by = by.into();
        self.inner.cancelled.send_if_modified(|reason| {
            if reason.is_some() {
                false
            } else {
                *reason = Some(StopReason::Cancelled { by });
                true
            }
        })
    }

    /// Why the run has stopped, if it has: a cancellation first, else a deadline passed.
    pub fn reason(&self) -> Option<StopReason> {
        if let Some(reason) = self.inner.cancelled.borrow().clone() {
            return Some(reason);
        }
        match self.inner.deadline {
            Some((at, after)) if Instant::now() >= at => Some(StopReason::Deadline { after }),
            _ => None,
        }
    }

    /// `Err` with the reason once the run has stopped: nothing new may start.
    pub fn check(&self) -> Result<(), StopReason> {
        self.reason().map_or(Ok(()), Err)
    }

    /// Time left before the deadline (`None`: no deadline; zero once passed).
    pub fn time_left(&self) -> Option<Duration> {
        self.inner
            .deadline
            .map(|(at, _)| at.saturating_duration_since(Instant::now()))
    }

    /// How long a request in flight may still take once the run is stopped.
    pub fn grace(&self) -> Duration {
        self.inner.grace
    }

    /// Resolves when the run stops (at once if it has), with the reason.
    pub async fn stopped(&self) -> StopReason {
        let mut cancelled = self.inner.cancelled.subscribe();
        let cancellation = async {
            let reason = cancelled
                .wait_for(Option::is_some)
                .await
                .ok()
                .and_then(|reason| reason.clone());
            match reason {
                Some(reason) => Some(reason),
                // The sender lives in `self`, so it is never dropped while we wait.
                None => std::future::pending().await,
            }
        };
        let deadline = async {
            match self.inner.deadline {
                Some((at, after)) => {
                    tokio::time::sleep_until(at).await;
                    Some(StopReason::Deadline { after })
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            reason = cancellation => reason.unwrap_or_else(|| unreachable!("wait_for(is_some)")),
            reason = deadline => reason.unwrap_or_else(|| unreachable!("a deadline is set")),
        }
    }

    /// Resolves [`Stop::grace`] after the run stops, with the reason: race a request in
    /// flight against this to finish it, or abandon it, within the grace.
    pub async fn stopped_then_grace(&self) -> StopReason {
        let reason = self.stopped().await;
        tokio::time::sleep(self.inner.grace).await;
        reason
    }
}

/// Far enough in the future to stand for "never" where a deadline overflows the clock.
const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_linked_stop_shares_the_cancellation_not_the_deadline() {
        let pipeline = Stop::default();
        let component = pipeline.linked(Some(Duration::from_secs(5)));
        assert_eq!(pipeline.time_left(), None);
        assert_eq!(component.time_left(), Some(Duration::from_secs(5)));
        tokio::time::advance(Duration::from_secs(6)).await;
        assert!(matches!(
            component.reason(),
            Some(StopReason::Deadline { .. })
        ));
        assert_eq!(pipeline.reason(), None, "a component's deadline is its own");
        let next = pipeline.linked(None);
        assert!(pipeline.cancel("SIGINT"));
        let cancelled = Some(StopReason::Cancelled {
            by: "SIGINT".into(),
        });
        assert_eq!(next.reason(), cancelled);
        assert_eq!(component.reason(), cancelled, "a cancellation comes first");
        assert_eq!(next.stopped().await, cancelled.clone().unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn a_fresh_stop_lets_work_go() {
        let stop = Stop::new(Some(Duration::from_secs(60)));
        assert_eq!(stop.check(), Ok(()));
        assert_eq!(stop.time_left(), Some(Duration::from_secs(60)));
        let never = Stop::default();
        assert_eq!(never.time_left(), None);
        assert_eq!(never.reason(), None);
        // Nothing resolves while the run goes on (paused time auto-advances past a year).
        let raced = tokio::time::timeout(Duration::from_secs(365 * 24 * 3600), never.stopped());
        assert!(raced.await.is_err(), "a stop without deadline never fires");
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_wakes_every_clone_and_the_first_reason_wins() {
        let stop = Stop::new(Some(Duration::from_secs(600)));
        let waiter = {
            let stop = stop.clone();
            tokio::spawn(async move { stop.stopped().await })
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!waiter.is_finished());
        assert!(stop.clone().cancel("SIGTERM"));
        assert!(
            !stop.cancel("SIGINT"),
            "a second cancellation changes nothing"
        );
        let cancelled = StopReason::Cancelled {
            by: "SIGTERM".into(),
        };
        assert_eq!(waiter.await.unwrap(), cancelled);
        assert_eq!(stop.check(), Err(cancelled.clone()));
        assert_eq!(cancelled.to_string(), "cancelled by SIGTERM");
        assert!(cancelled.is_cancellation());
        // Already stopped: resolves at once.
        assert_eq!(stop.stopped().await, cancelled);
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_stops_the_run_on_time() {
        let stop = Stop::new(Some(Duration::from_secs(30)));
        let started = Instant::now();
        let reason = stop.stopped().await;
        assert_eq!(started.elapsed(), Duration::from_secs(30));
        assert_eq!(
            reason,
            StopReason::Deadline {
                after: Duration::from_secs(30)
            }
        );
        assert_eq!(reason.to_string(), "deadline of 30 s reached");
        assert!(!reason.is_cancellation());
        assert_eq!(stop.check(), Err(reason));
        assert_eq!(stop.time_left(), Some(Duration::ZERO));
        // A cancellation after the deadline is the reason reported from then on.
        stop.cancel("SIGINT");
        assert!(stop.reason().is_some_and(|r| r.is_cancellation()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_in_flight_gets_the_grace_then_is_abandoned() {
        let stop = Stop::with_grace(None, Duration::from_secs(3));
        let started = Instant::now();
        let canceller = {
            let stop = stop.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                stop.cancel("SIGTERM");
            })
        };
        // A request that would answer in 2 s after the stop finishes within the grace...
        let quick = tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(3)) => "answered",
            _ = stop.stopped_then_grace() => "abandoned",
        };
        assert_eq!(quick, "answered");
        canceller.await.unwrap();
        // ...one that hangs is abandoned 3 s after the stop.
        let hung = tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(600)) => "answered",
            _ = stop.stopped_then_grace() => "abandoned",
        };
        assert_eq!(hung, "abandoned");
        assert_eq!(started.elapsed(), Duration::from_secs(6));
    }

    #[test]
    fn an_enormous_deadline_does_not_overflow_the_clock() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let stop = Stop::new(Some(Duration::MAX));
            assert_eq!(stop.check(), Ok(()));
            assert!(stop.time_left().unwrap() > Duration::from_secs(3600));
        });
    }
}
