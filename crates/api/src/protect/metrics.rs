//! User protection's metrics.

use prometheus::{Histogram, IntCounterVec};

use crate::metrics::Metrics;

/// Counters of user protection.
pub struct ProtectMetrics {
    /// Order checks by channel and decision.
    pub orders: IntCounterVec,
    /// Order-check latency inside the service (seconds).
    pub check_seconds: Histogram,
    /// Diagnoses by case.
    pub diagnoses: IntCounterVec,
}

impl ProtectMetrics {
    /// Registers the metrics.
    pub fn register(m: &Metrics) -> Self {
        Self {
            orders: m.counter_vec(
                "custodia_protect_order_checks_total",
                "Order checks, by channel and decision",
                &["channel", "decision"],
            ),
            check_seconds: m.histogram(
                "custodia_protect_order_check_seconds",
                "Time spent checking an order",
                &[
                    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                ],
            ),
            diagnoses: m.counter_vec(
                "custodia_protect_diagnoses_total",
                "Wrong-deposit diagnoses, by case",
                &["case"],
            ),
        }
    }
}
