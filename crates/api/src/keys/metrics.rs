//! The key service's metrics.

use prometheus::{Histogram, IntCounter, IntCounterVec, IntGauge};

use crate::metrics::Metrics;

/// Counters and gauges of the key service.
pub struct KeyMetrics {
    /// Gateway decisions by `decision` and `reason`.
    pub gateway_decisions: IntCounterVec,
    /// Gateway check latency inside the service (seconds).
    pub gateway_seconds: Histogram,
    /// Keys created.
    pub keys_created: IntCounter,
    /// Keys deleted by owners or operators.
    pub keys_deleted: IntCounter,
    /// Keys expired by the idle rule.
    pub keys_expired: IntCounter,
    /// TOTP codes rejected, by reason.
    pub totp_rejections: IntCounterVec,
    /// Cached keys (set at scrape).
    pub key_cache_entries: IntGauge,
}

impl KeyMetrics {
    /// Registers the key service's metrics.
    pub fn register(m: &Metrics) -> Self {
        Self {
            gateway_decisions: m.counter_vec(
                "custodia_gateway_decisions_total",
                "Signed-request checks by decision and reason",
                &["decision", "reason"],
            ),
            gateway_seconds: m.histogram(
                "custodia_gateway_check_seconds",
                "Time spent in the signed-request check",
                &[
                    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25,
                ],
            ),
            keys_created: m.counter("custodia_api_keys_created_total", "API keys created"),
            keys_deleted: m.counter("custodia_api_keys_deleted_total", "API keys deleted"),
            keys_expired: m.counter(
                "custodia_api_keys_expired_total",
                "API keys expired by the idle rule",
            ),
            totp_rejections: m.counter_vec(
                "custodia_totp_rejections_total",
                "TOTP codes rejected",
                &["reason"],
            ),
            key_cache_entries: m.gauge("custodia_key_cache_entries", "Keys cached in memory"),
        }
    }
}
