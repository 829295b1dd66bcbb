//! Brute-force lockouts per account with Keycloak's semantics, and the thresholds for
//! credential stuffing (one source, many accounts) and password spraying (one subnet, many
//! accounts, few tries each).
//!
//! The transitions are pure; the store applies them under its write lock (one transaction per
//! batch of logins), so concurrent failures from any instance serialise and survive restarts.

use custodia_events::Timestamp;
use serde::{Deserialize, Serialize};

/// Keycloak's brute-force settings (its defaults in the comments; ours are stricter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrutePolicy {
    /// Failures before a temporary lock (Keycloak `failureFactor`, default 30).
    pub failure_factor: u32,
    /// Lock length per multiple of the factor (`waitIncrementSeconds`, 60 s).
    pub wait_increment_ms: i64,
    /// Longest lock (`maxFailureWaitSeconds`, 900 s).
    pub max_wait_ms: i64,
    /// Two failures closer than this are a script (`quickLoginCheckMilliSeconds`, 1000 ms)…
    pub quick_login_check_ms: i64,
    /// …and lock for this long (`minimumQuickLoginWaitSeconds`, 60 s).
    pub min_quick_wait_ms: i64,
    /// Failures older than this are forgotten (`maxDeltaTimeSeconds`, 12 h).
    pub max_delta_ms: i64,
}

impl Default for BrutePolicy {
    fn default() -> Self {
        Self {
            failure_factor: 5,
            wait_increment_ms: 60_000,
            max_wait_ms: 900_000,
            quick_login_check_ms: 1_000,
            min_quick_wait_ms: 60_000,
            max_delta_ms: 12 * 3_600_000,
        }
    }
}

/// An account's failure state, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BruteState {
    /// Failures since the last success (within `max_delta_ms` of each other).
    pub failures: u32,
    /// Time of the last failure (ms; 0: none).
    pub last_failure_ms: i64,
    /// Locked until (ms; 0: not locked).
    pub locked_until_ms: i64,
}

impl BrutePolicy {
    /// The lock in force at `at`, if any.
    pub fn locked(&self, s: &BruteState, at: Timestamp) -> Option<Timestamp> {
        (s.locked_until_ms > at.as_millis()).then(|| Timestamp::from_millis(s.locked_until_ms))
    }

    /// The state after a failed login at `at`.
    pub fn on_failure(&self, s: BruteState, at: Timestamp) -> BruteState {
        let now = at.as_millis();
        let since = now - s.last_failure_ms;
        let mut failures = if s.last_failure_ms != 0 && since > self.max_delta_ms {
            0
        } else {
            s.failures
        };
        failures = failures.saturating_add(1);
        let mut until = s.locked_until_ms;
        if s.last_failure_ms != 0 && (0..self.quick_login_check_ms).contains(&since) {
            until = until.max(now + self.min_quick_wait_ms);
        }
        let factor = self.failure_factor.max(1);
        if failures >= factor && failures % factor == 0 {
            let wait = self
                .wait_increment_ms
                .saturating_mul(i64::from(failures / factor))
                .min(self.max_wait_ms);
            until = until.max(now + wait);
        }
        BruteState {
            failures,
            last_failure_ms: now,
            locked_until_ms: until,
        }
    }

    /// The state after a successful login: the count starts again (a lock in force stays).
    pub fn on_success(&self, s: BruteState) -> BruteState {
        BruteState {
            failures: 0,
            last_failure_ms: 0,
            locked_until_ms: s.locked_until_ms,
        }
    }
}

/// Thresholds for attacks spread over accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SprayPolicy {
    /// Window over which failing accounts are counted.
    pub window_ms: i64,
    /// Distinct accounts failing from one IP in the window: credential stuffing.
    pub stuffing_accounts: u32,
    /// Distinct accounts failing from one /24 (IPv4) or /48 (IPv6) in the window: spraying.
    pub spraying_accounts: u32,
}

impl Default for SprayPolicy {
    fn default() -> Self {
        Self {
            window_ms: 3_600_000,
            stuffing_accounts: 20,
            spraying_accounts: 50,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millis(1_000_000_000 + ms)
    }

    #[test]
    fn the_factor_locks_and_locks_grow_to_the_cap() {
        let p = BrutePolicy::default();
        let mut s = BruteState::default();
        for i in 0..4 {
            s = p.on_failure(s, t(i * 5_000));
            assert_eq!(p.locked(&s, t(i * 5_000)), None, "failure {}", i + 1);
        }
        s = p.on_failure(s, t(20_000));
        assert_eq!(
            p.locked(&s, t(20_000)),
            Some(t(80_000)),
            "5th failure: 60 s"
        );
        assert_eq!(p.locked(&s, t(80_000)), None, "the lock ends");
        for i in 0..5 {
            s = p.on_failure(s, t(100_000 + i * 5_000));
        }
        assert_eq!(p.locked(&s, t(120_000)), Some(t(240_000)), "10th: 120 s");
        for k in 0..70 {
            s = p.on_failure(s, t(300_000 + k * 5_000));
        }
        // The 80th failure would wait 16 × 60 s; the cap is 15 min.
        let until = p.locked(&s, t(645_000)).unwrap();
        assert_eq!(until, t(645_000 + 900_000), "capped at 15 min");
    }

    #[test]
    fn quick_failures_lock_and_old_ones_are_forgotten() {
        let p = BrutePolicy::default();
        let s = p.on_failure(BruteState::default(), t(0));
        let s = p.on_failure(s, t(300));
        assert_eq!(
            p.locked(&s, t(300)),
            Some(t(60_300)),
            "two failures 300 ms apart"
        );
        // Negative twin: the same two failures 2 s apart do not lock.
        let s2 = p.on_failure(p.on_failure(BruteState::default(), t(0)), t(2_000));
        assert_eq!(p.locked(&s2, t(2_000)), None);
        // After 12 h the count starts again.
        let mut s = BruteState::default();
        for i in 0..4 {
            s = p.on_failure(s, t(i * 5_000));
        }
        let s = p.on_failure(s, t(13 * 3_600_000));
        assert_eq!(s.failures, 1);
        assert_eq!(p.locked(&s, t(13 * 3_600_000)), None);
        // A success resets the count but keeps a lock in force.
        let locked = BruteState {
            failures: 5,
            last_failure_ms: t(0).as_millis(),
            locked_until_ms: t(60_000).as_millis(),
        };
        let after = p.on_success(locked);
        assert_eq!(
            (after.failures, p.locked(&after, t(1))),
            (0, Some(t(60_000)))
        );
    }
}
