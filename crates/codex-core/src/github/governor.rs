//! The governor: one place that decides when a request may go, and what to do with its answer.
//!
//! GitHub's guidance, and octokit's throttling and retry plugins, are the reference:
//! - at most two reads at once by default (`CODEX_READ_CONCURRENCY`: 1 makes them serial);
//!   a write waits for every read in flight and goes alone;
//! - writes are spaced (1 s against api.github.com, 0 against a local sandbox) and counted
//!   against the content-creation limits (80 a minute, 500 an hour);
//! - a primary limit (`403`/`429` with `x-ratelimit-remaining: 0`) waits until
//!   `x-ratelimit-reset` when that fits in the maximum wait, else the run stops cleanly; and
//!   once an answer says `remaining: 0`, nothing is sent until the reset;
//! - a secondary limit honours `retry-after` (else 60 s), then backs off exponentially with
//!   jitter, a bounded number of times;
//! - transport errors, timeouts and 5xx are retried only where that is safe: reads always,
//!   idempotent writes (adding labels, setting a milestone, closing, adding a Project item)
//!   yes, creating an issue never.
//!
//! [`classify`] is the pure policy; [`Governor`] holds the clock-dependent state.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use http::StatusCode;
use tokio::time::Instant;

/// Tuning of the governor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GovernorOptions {
    /// Reads allowed at once (1: serial; 2, the default: the small, bounded concurrency
    /// GitHub tolerates, which project-sync uses for its Project pass beside its listing).
    pub read_concurrency: usize,
    /// Least time between two writes.
    pub write_spacing: Duration,
    /// Longest wait for a limit to lift before stopping cleanly.
    pub max_wait: Duration,
    /// Retries of one request after transport errors, 5xx or secondary limits.
    pub max_retries: u32,
    /// First backoff step (doubled each retry, plus up to 25% jitter).
    pub backoff_base: Duration,
    /// Wait on a secondary limit that names no `retry-after`.
    pub secondary_wait: Duration,
    /// Content-creation limit per minute.
    pub writes_per_minute: usize,
    /// Content-creation limit per hour.
    pub writes_per_hour: usize,
    /// Seed of the jitter (fixed in tests so runs replay).
    pub seed: u64,
}

impl Default for GovernorOptions {
    fn default() -> Self {
        GovernorOptions {
            read_concurrency: 2,
            write_spacing: Duration::from_secs(1),
            max_wait: Duration::from_secs(300),
            max_retries: 4,
            backoff_base: Duration::from_secs(1),
            secondary_wait: Duration::from_secs(60),
            writes_per_minute: 80,
            writes_per_hour: 500,
            seed: 0x5eed,
        }
    }
}

/// What an answer means for the request that got it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Use it (success, or a client error that retrying cannot fix).
    Final,
    /// Primary rate limit: nothing more may be sent until the reset, `wait` from now.
    PrimaryLimit {
        /// Until `x-ratelimit-reset` (zero when unknown or past).
        wait: Duration,
    },
    /// Secondary rate limit: wait `retry_after` when GitHub named it.
    SecondaryLimit {
        /// GitHub's `retry-after`, if any.
        retry_after: Option<Duration>,
    },
    /// 5xx: worth retrying where retrying is safe.
    ServerError,
}

/// Classify an answer (pure). `reset_in` is `x-ratelimit-reset` minus now, when given.
pub fn classify(
    status: StatusCode,
    remaining: Option<&str>,
    reset_in: Option<Duration>,
    retry_after: Option<&str>,
    message: &str,
) -> Answer {
    let limited_status = status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS;
    if limited_status && remaining.map(str::trim) == Some("0") {
        return Answer::PrimaryLimit {
            wait: reset_in.unwrap_or_default(),
        };
    }
    let lower = message.to_ascii_lowercase();
    if limited_status
        && (retry_after.is_some()
            || lower.contains("secondary rate limit")
            || status == StatusCode::TOO_MANY_REQUESTS)
    {
        let retry_after = retry_after
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        return Answer::SecondaryLimit { retry_after };
    }
    if status.is_server_error() {
        return Answer::ServerError;
    }
    Answer::Final
}

/// The longest any retry waits, whatever the base and the attempt.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The longest a hold may last: a server's `retry-after` or reset beyond it is taken as this
/// (still far beyond any maximum wait, so the request stops cleanly), never an overflow.
pub const MAX_HOLD: Duration = Duration::from_secs(24 * 3600);

/// How long the `attempt`-th retry waits: `base * 2^attempt`, plus jitter of up to 25%, at
/// most [`MAX_BACKOFF`].
pub fn backoff(base: Duration, attempt: u32, jitter: f64) -> Duration {
    let factor = 2u32.saturating_pow(attempt.min(16));
    let plain = base.saturating_mul(factor).min(MAX_BACKOFF);
    (plain + plain.mul_f64(jitter.clamp(0.0, 1.0) * 0.25)).min(MAX_BACKOFF)
}

/// Why a request may not go now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A limit lifts later than the maximum wait allows.
    TooLong(Duration),
}

#[derive(Debug)]
struct State {
    not_before: Option<Instant>,
    last_write: Option<Instant>,
    minute: VecDeque<Instant>,
    hour: VecDeque<Instant>,
    rng: u64,
}

/// The governor's state, shared by every clone of a client.
#[derive(Debug)]
pub struct Governor {
    options: GovernorOptions,
    reads: tokio::sync::Semaphore,
    state: Mutex<State>,
}

impl Governor {
    /// A governor with these options.
    pub fn new(options: GovernorOptions) -> Self {
        let permits = options.read_concurrency.max(1);
        let rng = options.seed | 1;
        Governor {
            reads: tokio::sync::Semaphore::new(permits),
            state: Mutex::new(State {
                not_before: None,
                last_write: None,
                minute: VecDeque::new(),
                hour: VecDeque::new(),
                rng,
            }),
            options,
        }
    }

    /// Its options.
    pub fn options(&self) -> &GovernorOptions {
        &self.options
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Take a slot: reads share up to `read_concurrency` permits, a write takes all of them.
    pub async fn permit(&self, write: bool) -> tokio::sync::SemaphorePermit<'_> {
        let n = if write {
            self.options.read_concurrency.max(1) as u32
        } else {
            1
        };
        // The semaphore is never closed.
        self.reads
            .acquire_many(n)
            .await
            .expect("governor semaphore is never closed")
    }

    /// Wait until a request may go, or refuse when that is beyond the maximum wait.
    pub async fn ready(&self, write: bool) -> Result<(), Refusal> {
        self.ready_writes(u32::from(write)).await
    }

    /// Wait until a request carrying `writes` writes may go (0: a read), or refuse when that
    /// is beyond the maximum wait. A request of several writes (a GraphQL document of several
    /// mutations) counts each of them: against the content-creation limits (it waits until the
    /// window has room for all of them, or for the whole window when they are more than it
    /// holds) and in the spacing (the next write waits `writes` spacings after it starts).
    pub async fn ready_writes(&self, writes: u32) -> Result<(), Refusal> {
        let write = writes > 0;
        let n = writes as usize;
        loop {
            let wait = {
                let mut st = self.lock();
                let now = Instant::now();
                let mut until = st.not_before.filter(|t| *t > now);
                if write {
                    if let Some(last) = st.last_write {
                        let next = last + self.options.write_spacing;
                        until = until.max(Some(next).filter(|t| *t > now));
                    }
                    while st
                        .minute
                        .front()
                        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
                    {
                        st.minute.pop_front();
                    }
                    while st
                        .hour
                        .front()
                        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(3600))
                    {
                        st.hour.pop_front();
                    }
                    // The window must have room for all `n`: wait until enough of its oldest
                    // entries have aged out (the k-th oldest, k = len + n - limit).
                    let room = |queue: &VecDeque<Instant>, limit: usize, span: Duration| {
                        let need = n.min(limit);
                        let over = (queue.len() + need).saturating_sub(limit);
                        (over > 0)
                            .then(|| queue.get(over - 1).map(|t| *t + span))
                            .flatten()
                    };
                    until = until.max(room(
                        &st.minute,
                        self.options.writes_per_minute,
                        Duration::from_secs(60),
                    ));
                    until = until.max(room(
                        &st.hour,
                        self.options.writes_per_hour,
                        Duration::from_secs(3600),
                    ));
                }
                match until {
                    None => {
                        if write {
                            // The writes of one request are spaced as if sent one by one.
                            let spacing = self.options.write_spacing;
                            st.last_write = Some(now + spacing.saturating_mul(writes - 1));
                            for _ in 0..n.min(self.options.writes_per_hour) {
                                st.minute.push_back(now);
                                st.hour.push_back(now);
                            }
                        }
                        return Ok(());
                    }
                    Some(t) => t.duration_since(now),
                }
            };
            if wait > self.options.max_wait {
                return Err(Refusal::TooLong(wait));
            }
            tracing::info!(
                wait_ms = wait.as_millis() as u64,
                write,
                "governor: waiting before the next request"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Hold every request until `wait` from now (a primary limit, or `remaining: 0`).
    pub fn hold_for(&self, wait: Duration) {
        let mut st = self.lock();
        let until = Instant::now() + wait.min(MAX_HOLD);
        st.not_before = Some(st.not_before.map_or(until, |t| t.max(until)));
    }

    /// The wait before retry number `attempt` (0-based), with jitter.
    pub fn retry_wait(&self, attempt: u32) -> Duration {
        let jitter = {
            let mut st = self.lock();
            // xorshift64*
            st.rng ^= st.rng >> 12;
            st.rng ^= st.rng << 25;
            st.rng ^= st.rng >> 27;
            (st.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
        };
        backoff(self.options.backoff_base, attempt, jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_limits_need_remaining_zero() {
        let reset = Some(Duration::from_secs(30));
        assert_eq!(
            classify(
                StatusCode::FORBIDDEN,
                Some("0"),
                reset,
                None,
                "API rate limit exceeded"
            ),
            Answer::PrimaryLimit {
                wait: Duration::from_secs(30)
            }
        );
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, Some("0"), None, None, ""),
            Answer::PrimaryLimit {
                wait: Duration::ZERO
            }
        );
        // A 403 with budget left is a permission problem, not a limit.
        assert_eq!(
            classify(
                StatusCode::FORBIDDEN,
                Some("4999"),
                reset,
                None,
                "Resource not accessible by integration"
            ),
            Answer::Final
        );
    }

    #[test]
    fn secondary_limits_by_retry_after_or_message() {
        assert_eq!(
            classify(StatusCode::FORBIDDEN, Some("4000"), None, Some("7"), ""),
            Answer::SecondaryLimit {
                retry_after: Some(Duration::from_secs(7))
            }
        );
        assert_eq!(
            classify(
                StatusCode::FORBIDDEN,
                None,
                None,
                None,
                "You have exceeded a secondary rate limit."
            ),
            Answer::SecondaryLimit { retry_after: None }
        );
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, None, None, None, ""),
            Answer::SecondaryLimit { retry_after: None }
        );
    }

    #[test]
    fn server_errors_and_the_rest() {
        for code in [500, 502, 503, 504] {
            assert_eq!(
                classify(StatusCode::from_u16(code).unwrap(), None, None, None, ""),
                Answer::ServerError
            );
        }
        for code in [200, 201, 304, 404, 410, 422] {
            assert_eq!(
                classify(StatusCode::from_u16(code).unwrap(), None, None, None, ""),
                Answer::Final
            );
        }
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let base = Duration::from_millis(100);
        assert_eq!(backoff(base, 0, 0.0), Duration::from_millis(100));
        assert_eq!(backoff(base, 3, 0.0), Duration::from_millis(800));
        assert_eq!(backoff(base, 3, 1.0), Duration::from_millis(1000));
        assert_eq!(
            backoff(base, 40, 1.0),
            MAX_BACKOFF,
            "saturates at the cap, never panics"
        );
        assert_eq!(backoff(Duration::from_secs(50), 0, 1.0), MAX_BACKOFF);
        assert_eq!(
            backoff(Duration::from_secs(40), 0, 0.0),
            Duration::from_secs(40)
        );
        assert_eq!(backoff(Duration::MAX, u32::MAX, 1.0), MAX_BACKOFF);
        assert_eq!(
            backoff(Duration::from_millis(u64::MAX), 3, 0.5),
            MAX_BACKOFF
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_endless_hold_is_refused_not_an_overflow() {
        let governor = Governor::new(GovernorOptions {
            max_wait: Duration::from_secs(300),
            ..GovernorOptions::default()
        });
        governor.hold_for(Duration::from_secs(u64::MAX));
        governor.hold_for(Duration::MAX);
        assert_eq!(governor.ready(false).await, Err(Refusal::TooLong(MAX_HOLD)));
    }

    #[tokio::test(start_paused = true)]
    async fn writes_are_spaced_and_counted_per_minute() {
        let g = Governor::new(GovernorOptions {
            write_spacing: Duration::from_millis(500),
            writes_per_minute: 3,
            max_wait: Duration::from_secs(120),
            ..GovernorOptions::default()
        });
        let start = Instant::now();
        for _ in 0..3 {
            g.ready(true).await.unwrap();
        }
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(1000),
            "spacing between three writes"
        );
        g.ready(true).await.unwrap();
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(60),
            "the fourth waits for the minute window"
        );
        g.ready(false).await.unwrap();
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(60),
            "reads are not spaced"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_of_several_writes_counts_each_of_them() {
        let g = Governor::new(GovernorOptions {
            write_spacing: Duration::from_millis(500),
            writes_per_minute: 5,
            max_wait: Duration::from_secs(120),
            ..GovernorOptions::default()
        });
        let start = Instant::now();
        g.ready_writes(3).await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
        g.ready(true).await.unwrap();
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(1500),
            "spaced as three writes sent one by one"
        );
        g.ready_writes(2).await.unwrap();
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(60),
            "four of five used: two more wait for the window"
        );
        g.ready_writes(9).await.unwrap();
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(120),
            "more than the window holds: waits for all of it"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn holds_until_reset_or_refuses_beyond_the_maximum_wait() {
        let g = Governor::new(GovernorOptions {
            max_wait: Duration::from_secs(10),
            ..GovernorOptions::default()
        });
        g.hold_for(Duration::from_secs(5));
        let start = Instant::now();
        g.ready(false).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        g.hold_for(Duration::from_secs(11));
        assert_eq!(
            g.ready(false).await,
            Err(Refusal::TooLong(Duration::from_secs(11)))
        );
    }
}
