//! The token service's metrics.

use prometheus::{Histogram, IntCounter, IntCounterVec};

use crate::metrics::Metrics;

/// Counters of scam-token detection.
pub struct TokenMetrics {
    /// Assessments by level and whether the token was simulated.
    pub assessed: IntCounterVec,
    /// Assessment latency inside the service, simulation included (seconds).
    pub assess_seconds: Histogram,
    /// Scans submitted to the job queue (repeats of a queued request included).
    pub scans_submitted: IntCounter,
}

impl TokenMetrics {
    /// Registers the metrics.
    pub fn register(m: &Metrics) -> Self {
        Self {
            assessed: m.counter_vec(
                "custodia_token_assessments_total",
                "Tokens assessed, by level and whether the simulation ran",
                &["level", "simulated"],
            ),
            assess_seconds: m.histogram(
                "custodia_token_assess_seconds",
                "Time spent assessing a token, simulation included",
                &[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
                ],
            ),
            scans_submitted: m.counter(
                "custodia_token_scans_submitted_total",
                "Token scans submitted to the job queue",
            ),
        }
    }
}
