//! Activity classification: days since the last update against a track's thresholds.

use chrono::{DateTime, Utc};

use crate::config::Thresholds;

/// An issue's activity.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ActivityStatus {
    /// Updated within the stale threshold.
    Active,
    /// At least `stale_days` without an update.
    Stale,
    /// At least `escalation_days` without an update.
    Escalation,
}

/// Whole days between `updated_at` and `now` (never negative: a clock skewed into the future
/// counts as just updated).
pub fn days_inactive(updated_at: DateTime<Utc>, now: DateTime<Utc>) -> u32 {
    let days = (now - updated_at).num_days().max(0);
    u32::try_from(days).unwrap_or(u32::MAX)
}

/// Classify. An issue with no usable `updated_at` is escalated: nobody can say it is alive.
pub fn classify_activity(
    updated_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    t: Thresholds,
) -> (ActivityStatus, Option<u32>) {
    let Some(updated) = updated_at else {
        return (ActivityStatus::Escalation, None);
    };
    let days = days_inactive(updated, now);
    let status = if days >= t.escalation_days {
        ActivityStatus::Escalation
    } else if days >= t.stale_days {
        ActivityStatus::Stale
    } else {
        ActivityStatus::Active
    };
    (status, Some(days))
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    const T: Thresholds = Thresholds {
        stale_days: 14,
        escalation_days: 30,
    };

    fn at(days: i64, extra_secs: i64) -> (DateTime<Utc>, DateTime<Utc>) {
        let now: DateTime<Utc> = "2026-11-23T12:00:00Z".parse().unwrap();
        (
            now - Duration::days(days) - Duration::seconds(extra_secs),
            now,
        )
    }

    #[test]
    fn boundaries() {
        let cases = [
            (0, 0, ActivityStatus::Active),
            (13, 86_399, ActivityStatus::Active),
            (14, 0, ActivityStatus::Stale),
            (29, 86_399, ActivityStatus::Stale),
            (30, 0, ActivityStatus::Escalation),
            (400, 0, ActivityStatus::Escalation),
        ];
        for (days, secs, expected) in cases {
            let (updated, now) = at(days, secs);
            assert_eq!(
                classify_activity(Some(updated), now, T).0,
                expected,
                "{days}d {secs}s"
            );
        }
    }

    #[test]
    fn future_dates_and_missing_dates() {
        let (updated, now) = at(-3, 0);
        assert_eq!(
            classify_activity(Some(updated), now, T),
            (ActivityStatus::Active, Some(0))
        );
        assert_eq!(
            classify_activity(None, now, T),
            (ActivityStatus::Escalation, None)
        );
    }

    #[test]
    fn equal_thresholds_skip_stale() {
        let t = Thresholds {
            stale_days: 10,
            escalation_days: 10,
        };
        let (updated, now) = at(10, 0);
        assert_eq!(
            classify_activity(Some(updated), now, t).0,
            ActivityStatus::Escalation
        );
    }
}
