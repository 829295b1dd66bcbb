//! The fund's metrics.

use prometheus::IntCounterVec;

use crate::metrics::Metrics;

/// Counters of the fund.
pub struct FundMetrics {
    /// Operations by kind and result (`applied`, `replayed`, `refused`).
    pub operations: IntCounterVec,
}

impl FundMetrics {
    /// Registers the metrics.
    pub fn register(m: &Metrics) -> Self {
        Self {
            operations: m.counter_vec(
                "custodia_fund_operations_total",
                "Fund operations, by kind and result",
                &["op", "result"],
            ),
        }
    }
}
