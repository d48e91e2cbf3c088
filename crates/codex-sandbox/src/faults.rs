//! Injected faults and the configurable rate limits: what `--fault-rate`, `--hang-rate`,
//! `--graphql-fault-rate`, `--rate-limit` and `--secondary-limit` decide for one request.
//!
//! Every request (except `/_sandbox/*`) draws the same fixed number of values from one seeded
//! stream as it arrives, whatever it is and whatever happens to it afterwards, so a serial client
//! replays exactly from `--seed`.

use std::collections::{HashMap, VecDeque};

use serde_json::{Value, json};

use crate::prng::SplitMix64;

/// The decisions drawn for one request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Decision {
    /// Never answer (`--hang-rate`).
    pub(crate) hang: bool,
    /// Answer this 5xx instead (`--fault-rate`).
    pub(crate) fault: Option<u16>,
    /// For `POST /graphql`: answer 200 with an `errors` array (`--graphql-fault-rate`).
    pub(crate) graphql_fault: Option<GraphqlFault>,
    /// For a faulted or hung request: run it first (a write is applied, its answer lost).
    pub(crate) apply: bool,
}

/// The two GraphQL errors GitHub is seen to send inside a 200.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GraphqlFault {
    RateLimited,
    Timeout,
}

/// The fault stream: one seeded generator, consumed in arrival order.
#[derive(Debug)]
pub(crate) struct Dice {
    rng: SplitMix64,
    fault_rate: f64,
    hang_rate: f64,
    graphql_fault_rate: f64,
}

/// `u64` → `[0, 1)` with 53 bits.
#[allow(clippy::cast_precision_loss)]
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1_u64 << 53) as f64
}

impl Dice {
    pub(crate) fn new(seed: u64, fault_rate: f64, hang_rate: f64, graphql_fault_rate: f64) -> Self {
        // A stream of its own: the scenario's generator also starts from `seed`.
        Self {
            rng: SplitMix64::new(seed ^ 0xFA17_FA17_FA17_FA17),
            fault_rate,
            hang_rate,
            graphql_fault_rate,
        }
    }

    /// Four draws per request, always (so one request's fate never shifts the next one's).
    pub(crate) fn decide(&mut self) -> Decision {
        let h = self.rng.next_u64();
        let f = self.rng.next_u64();
        let g = self.rng.next_u64();
        let a = self.rng.next_u64();
        const STATUSES: [u16; 3] = [500, 502, 503];
        Decision {
            hang: unit(h) < self.hang_rate,
            fault: (unit(f) < self.fault_rate)
                .then(|| STATUSES[usize::try_from((a >> 1) % 3).unwrap_or(0)]),
            graphql_fault: (unit(g) < self.graphql_fault_rate).then_some(if (a >> 8) & 1 == 0 {
                GraphqlFault::RateLimited
            } else {
                GraphqlFault::Timeout
            }),
            apply: a & 1 == 1,
        }
    }
}

/// One `retry-after` window opened by the secondary limit (in `/_sandbox/stats`).
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct SecondaryWindow {
    /// When the write that tripped the limit arrived (epoch milliseconds).
    pub(crate) at_ms: i64,
    /// When writes are accepted again (epoch milliseconds): `at_ms + retry_after * 1000`.
    pub(crate) until_ms: i64,
    /// The `retry-after` sent, in seconds.
    pub(crate) retry_after: u64,
}

/// The secondary limit's memory for one token.
#[derive(Debug, Default)]
struct WriteLog {
    /// Arrival times (epoch ms) of the writes accepted in the rolling window.
    accepted: VecDeque<i64>,
    /// While `Some(t)` and now < t, every write is refused.
    until_ms: Option<i64>,
}

/// What the secondary limit says about one write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Secondary {
    Pass,
    /// Tripped now: a new window opened.
    Tripped {
        retry_after: u64,
        window_until_ms: i64,
    },
    /// Arrived inside an open window (an early retry): `retry_after` is what is left of it.
    Early {
        retry_after: u64,
    },
}

/// Per-token rolling window of writes (`--secondary-limit`).
#[derive(Debug, Default)]
pub(crate) struct SecondaryLimiter {
    logs: HashMap<String, WriteLog>,
}

impl SecondaryLimiter {
    /// Judges one write arriving at `now_ms`; more than `limit` accepted writes within
    /// `window_secs` trip it. Tripping clears the log: after `retry_after_secs` the token starts
    /// afresh.
    #[cfg(test)]
    pub(crate) fn check(
        &mut self,
        token: &str,
        now_ms: i64,
        limit: u64,
        window_secs: u64,
        retry_after_secs: u64,
    ) -> Secondary {
        self.check_writes(token, now_ms, limit, window_secs, retry_after_secs, 1)
    }

    /// [`SecondaryLimiter::check`] for a request of `writes` writes (a GraphQL document of
    /// several mutations): each counts as one content-creating write, as on GitHub; the request
    /// trips the limit when the window has no room for all of them.
    pub(crate) fn check_writes(
        &mut self,
        token: &str,
        now_ms: i64,
        limit: u64,
        window_secs: u64,
        retry_after_secs: u64,
        writes: u64,
    ) -> Secondary {
        let log = self.logs.entry(token.to_owned()).or_default();
        if let Some(until) = log.until_ms {
            if now_ms < until {
                let left_ms = u64::try_from(until - now_ms).unwrap_or(0);
                return Secondary::Early {
                    retry_after: left_ms.div_ceil(1000).max(1),
                };
            }
            log.until_ms = None;
        }
        let horizon = now_ms
            .saturating_sub(i64::try_from(window_secs.saturating_mul(1000)).unwrap_or(i64::MAX));
        while log.accepted.front().is_some_and(|t| *t <= horizon) {
            log.accepted.pop_front();
        }
        // A request of more writes than the window holds passes alone, into an empty window.
        let writes = writes.max(1);
        let held = u64::try_from(log.accepted.len()).unwrap_or(u64::MAX);
        if held >= limit || (held > 0 && held.saturating_add(writes) > limit) {
            let until = now_ms.saturating_add(
                i64::try_from(retry_after_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
            );
            log.accepted.clear();
            log.until_ms = Some(until);
            return Secondary::Tripped {
                retry_after: retry_after_secs,
                window_until_ms: until,
            };
        }
        for _ in 0..writes {
            log.accepted.push_back(now_ms);
        }
        Secondary::Pass
    }
}

/// The `data: null` + `errors` body of a GraphQL fault.
pub(crate) fn graphql_fault_body(kind: GraphqlFault, request_id: &str) -> Value {
    let error = match kind {
        GraphqlFault::RateLimited => json!({
            "type": "RATE_LIMITED",
            "message": "API rate limit exceeded for user ID 1.",
        }),
        GraphqlFault::Timeout => json!({
            "message": format!(
                "Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug. Please include `{request_id}` when reporting this issue."
            ),
        }),
    };
    json!({"data": null, "errors": [error]})
}

/// The HTML page GitHub's load balancers answer a 502 with.
pub(crate) const BAD_GATEWAY_HTML: &str = "<!DOCTYPE html>\n<html>\n  <head>\n    <meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n    <title>Unicorn! &middot; GitHub</title>\n  </head>\n  <body>\n    <p><strong>We couldn't respond to your request in time.</strong></p>\n    <p>Sorry about that. Please try refreshing and contact us if the problem persists.</p>\n  </body>\n</html>\n";

/// The JSON body of an injected 500 or 503 (`None` for 502, which is [`BAD_GATEWAY_HTML`]).
pub(crate) fn fault_body(status: u16) -> Option<Value> {
    match status {
        502 => None,
        503 => Some(json!({"message": "Service Unavailable"})),
        _ => Some(json!({"message": "Server Error"})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_zero_and_one_are_exact() {
        let mut never = Dice::new(1, 0.0, 0.0, 0.0);
        let mut always = Dice::new(1, 1.0, 1.0, 1.0);
        for _ in 0..1000 {
            let n = never.decide();
            assert!(!n.hang && n.fault.is_none() && n.graphql_fault.is_none());
            let a = always.decide();
            assert!(a.hang && a.fault.is_some() && a.graphql_fault.is_some());
        }
    }

    #[test]
    fn the_mix_is_balanced() {
        let mut d = Dice::new(9, 1.0, 0.0, 1.0);
        let (mut applied, mut s502, mut rl) = (0, 0, 0);
        for _ in 0..1000 {
            let x = d.decide();
            applied += u32::from(x.apply);
            s502 += u32::from(x.fault == Some(502));
            rl += u32::from(x.graphql_fault == Some(GraphqlFault::RateLimited));
        }
        assert!((400..600).contains(&applied), "{applied}");
        assert!((250..420).contains(&s502), "{s502}");
        assert!((400..600).contains(&rl), "{rl}");
    }

    #[test]
    fn secondary_trips_after_limit_and_restarts_after_retry_after() {
        let mut s = SecondaryLimiter::default();
        assert_eq!(s.check("t", 0, 2, 60, 5), Secondary::Pass);
        assert_eq!(s.check("t", 10, 2, 60, 5), Secondary::Pass);
        assert_eq!(s.check("u", 10, 2, 60, 5), Secondary::Pass, "per token");
        assert_eq!(
            s.check("t", 20, 2, 60, 5),
            Secondary::Tripped {
                retry_after: 5,
                window_until_ms: 5020
            }
        );
        assert_eq!(
            s.check("t", 1020, 2, 60, 5),
            Secondary::Early { retry_after: 4 }
        );
        assert_eq!(
            s.check("t", 5019, 2, 60, 5),
            Secondary::Early { retry_after: 1 }
        );
        assert_eq!(s.check("t", 5020, 2, 60, 5), Secondary::Pass);
        // The rolling window forgets writes older than it.
        let mut r = SecondaryLimiter::default();
        assert_eq!(r.check("t", 0, 1, 60, 5), Secondary::Pass);
        assert_eq!(r.check("t", 60_000, 1, 60, 5), Secondary::Pass);
        // A document of several mutations counts each of them.
        let mut w = SecondaryLimiter::default();
        assert_eq!(w.check_writes("t", 0, 4, 60, 5, 3), Secondary::Pass);
        assert_eq!(
            w.check_writes("t", 10, 4, 60, 5, 2),
            Secondary::Tripped {
                retry_after: 5,
                window_until_ms: 5010
            }
        );
        assert_eq!(
            w.check_writes("t", 5010, 4, 60, 5, 9),
            Secondary::Pass,
            "alone"
        );
        assert_eq!(
            w.check_writes("t", 5020, 4, 60, 5, 1),
            Secondary::Tripped {
                retry_after: 5,
                window_until_ms: 10_020
            }
        );
    }
}
