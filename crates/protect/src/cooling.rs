//! The cooling-off period: a user suspends their own derivatives trading for a chosen number of
//! days. Once started it cannot be ended or shortened; choosing again can only move its end
//! later. The store keeps it (shared by every instance, surviving restarts) and refuses any
//! write that would move the end earlier.

use custodia_events::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ProtectError;

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The durations users may choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoolingPolicy {
    days: Vec<u32>,
}

impl Default for CoolingPolicy {
    fn default() -> Self {
        Self {
            days: vec![1, 3, 7, 14, 30],
        }
    }
}

impl CoolingPolicy {
    /// The longest period anyone may choose (a year): a typo must not lock an account for ever.
    pub const MAX_DAYS: u32 = 365;

    /// A policy offering `days` (sorted, without repeats; each 1–365).
    pub fn new(mut days: Vec<u32>) -> Result<Self, ProtectError> {
        days.sort_unstable();
        days.dedup();
        if days.is_empty() || days.iter().any(|d| !(1..=Self::MAX_DAYS).contains(d)) {
            return Err(ProtectError::Number {
                field: "cooling_off_days",
                reason: format!(
                    "offer at least one duration, each 1–{} days, got {days:?}",
                    Self::MAX_DAYS
                ),
            });
        }
        Ok(Self { days })
    }

    /// The offered durations, shortest first.
    pub fn days(&self) -> &[u32] {
        &self.days
    }
}

/// A running (or past) cooling-off period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoolingOff {
    /// When the period (first) started.
    pub started_at: Timestamp,
    /// When it ends.
    pub until: Timestamp,
}

impl CoolingOff {
    /// Whether it is in force at `now`.
    pub fn active_at(&self, now: Timestamp) -> bool {
        now < self.until
    }
}

/// The period after the user chooses `days` at `now`, given the stored one.
///
/// A running period keeps its start and moves its end to `now + days`, which must be later
/// than its current end ([`ProtectError::CoolingWouldShorten`] otherwise: nothing can end or
/// shorten it). A finished or absent one starts afresh.
pub fn extend_cooling(
    policy: &CoolingPolicy,
    current: Option<CoolingOff>,
    now: Timestamp,
    days: u32,
) -> Result<CoolingOff, ProtectError> {
    if !policy.days.contains(&days) {
        return Err(ProtectError::CoolingDays {
            got: days,
            allowed: policy.days.clone(),
        });
    }
    let until = now.plus_millis(i64::from(days) * DAY_MS);
    match current {
        Some(c) if c.active_at(now) => {
            if until <= c.until {
                return Err(ProtectError::CoolingWouldShorten {
                    until: c.until,
                    requested: until,
                });
            }
            Ok(CoolingOff {
                started_at: c.started_at,
                until,
            })
        }
        _ => Ok(CoolingOff {
            started_at: now,
            until,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp::from_millis(1_767_225_600_000);

    #[test]
    fn a_period_starts_extends_and_never_shortens() {
        let p = CoolingPolicy::default();
        let first = extend_cooling(&p, None, T0, 7).unwrap();
        assert_eq!(first.until, T0.plus_millis(7 * DAY_MS));
        // Two days later, 30 days extends it and keeps the start.
        let later = T0.plus_millis(2 * DAY_MS);
        let ext = extend_cooling(&p, Some(first), later, 30).unwrap();
        assert_eq!(ext.started_at, T0);
        assert_eq!(ext.until, later.plus_millis(30 * DAY_MS));
        // The twin: 3 days would end it before its current end.
        let e = extend_cooling(&p, Some(first), later, 3).unwrap_err();
        assert!(matches!(e, ProtectError::CoolingWouldShorten { .. }), "{e}");
        // Nor does the same end count as an extension.
        let e = extend_cooling(&p, Some(first), T0, 7).unwrap_err();
        assert!(matches!(e, ProtectError::CoolingWouldShorten { .. }), "{e}");
        // A finished period starts afresh.
        let after = first.until;
        let fresh = extend_cooling(&p, Some(first), after, 1).unwrap();
        assert_eq!(fresh.started_at, after);
    }

    #[test]
    fn only_offered_durations() {
        let p = CoolingPolicy::default();
        for bad in [0, 2, 31, 365] {
            let e = extend_cooling(&p, None, T0, bad).unwrap_err();
            assert!(matches!(e, ProtectError::CoolingDays { got, .. } if got == bad));
        }
        assert!(CoolingPolicy::new(vec![]).is_err());
        assert!(CoolingPolicy::new(vec![0, 3]).is_err());
        assert!(CoolingPolicy::new(vec![400]).is_err());
        assert_eq!(CoolingPolicy::new(vec![30, 1, 1]).unwrap().days(), &[1, 30]);
    }
}
