//! The login defence's metrics.

use prometheus::{Histogram, IntCounterVec};

use crate::metrics::Metrics;

/// Counters of the login defence.
pub struct LoginMetrics {
    /// Logins by outcome and decision.
    pub logins: IntCounterVec,
    /// Withdrawals by decision.
    pub withdrawals: IntCounterVec,
    /// Assessment latency inside the service (seconds).
    pub assess_seconds: Histogram,
}

impl LoginMetrics {
    /// Registers the metrics.
    pub fn register(m: &Metrics) -> Self {
        Self {
            logins: m.counter_vec(
                "custodia_login_assessments_total",
                "Logins assessed, by reported outcome and decision",
                &["outcome", "decision"],
            ),
            withdrawals: m.counter_vec(
                "custodia_login_withdrawals_total",
                "Withdrawals screened, by decision",
                &["decision"],
            ),
            assess_seconds: m.histogram(
                "custodia_login_assess_seconds",
                "Time spent assessing a login",
                &[
                    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1,
                ],
            ),
        }
    }
}
