//! The guard's metrics.

use custodia_guard::ListTotals;
use prometheus::{HistogramVec, IntCounterVec, IntGauge, IntGaugeVec};

use crate::metrics::Metrics;

/// Counters and gauges of the threat-intelligence service.
pub struct GuardMetrics {
    /// Checks by `check` (`address`, `domain`, `poisoning`) and `result` (`clean`, `listed`,
    /// `invalid`; `none`, `medium`, `high`, `very-high`; `flagged`). Clean traffic is only
    /// counted here unless `guard.record_clean`.
    pub guard_checks: IntCounterVec,
    /// Time to answer one batch, by `check`.
    pub guard_batch_seconds: HistogramVec,
    /// Entries loaded, by `list` (`addresses`, `blocked`, `allowed`).
    pub guard_list_entries: IntGaugeVec,
    /// List imports by `list` and `outcome` (`ok`, `rejected`).
    pub guard_imports: IntCounterVec,
    /// Version of the latest published snapshot (0: none).
    pub guard_snapshot_version: IntGauge,
}

impl GuardMetrics {
    /// Registers the guard's metrics.
    pub fn register(m: &Metrics) -> Self {
        Self {
            guard_checks: m.counter_vec(
                "custodia_guard_checks_total",
                "Threat-intelligence checks by check and result",
                &["check", "result"],
            ),
            guard_batch_seconds: m.histogram_vec(
                "custodia_guard_batch_seconds",
                "Time spent answering one guard batch",
                &["check"],
                &[
                    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1,
                ],
            ),
            guard_list_entries: m.gauge_vec(
                "custodia_guard_list_entries",
                "Threat-intelligence entries loaded, by list",
                &["list"],
            ),
            guard_imports: m.counter_vec(
                "custodia_guard_imports_total",
                "List imports by list and outcome",
                &["list", "outcome"],
            ),
            guard_snapshot_version: m.gauge(
                "custodia_guard_snapshot_version",
                "Version of the latest published guard snapshot (0: none)",
            ),
        }
    }

    /// Sets the list gauges.
    pub fn set_totals(&self, t: &ListTotals) {
        let g = &self.guard_list_entries;
        g.with_label_values(&["addresses"]).set(t.addresses as i64);
        g.with_label_values(&["blocked"]).set(t.blocked as i64);
        g.with_label_values(&["allowed"]).set(t.allowed as i64);
    }
}
