//! Prometheus metrics (text exposition at `/metrics`).

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
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
    /// Events written by the batched audit writer.
    pub audit_events_written: IntCounter,
    /// Events the audit writer had to drop (queue full).
    pub audit_events_dropped: IntCounter,
    /// Live replay-cache entries (set at scrape).
    pub replay_cache_entries: IntGauge,
    /// Cached keys (set at scrape).
    pub key_cache_entries: IntGauge,
    /// Guard checks by `check` (`address`, `domain`, `poisoning`) and `result` (`clean`,
    /// `listed`, `invalid`; `none`, `medium`, `high`, `very-high`; `flagged`). Clean traffic is
    /// only counted here unless `guard.record_clean`.
    pub guard_checks: IntCounterVec,
    /// Time to answer one guard batch, by `check`.
    pub guard_batch_seconds: HistogramVec,
    /// Entries loaded, by `list` (`addresses`, `blocked`, `allowed`).
    pub guard_list_entries: IntGaugeVec,
    /// List imports by `list` and `outcome` (`ok`, `rejected`).
    pub guard_imports: IntCounterVec,
    /// Version of the latest published snapshot (0: none).
    pub guard_snapshot_version: IntGauge,
}

fn reg<T: prometheus::core::Collector + Clone + 'static>(r: &Registry, c: T) -> T {
    r.register(Box::new(c.clone()))
        .expect("metric names are unique");
    c
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let r = Registry::new();
        let counter =
            |name: &str, help: &str| reg(&r, IntCounter::new(name, help).expect("valid metric"));
        let gauge =
            |name: &str, help: &str| reg(&r, IntGauge::new(name, help).expect("valid metric"));
        Self {
            gateway_decisions: reg(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "custodia_gateway_decisions_total",
                        "Signed-request checks by decision and reason",
                    ),
                    &["decision", "reason"],
                )
                .expect("valid metric"),
            ),
            gateway_seconds: reg(
                &r,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "custodia_gateway_check_seconds",
                        "Time spent in the signed-request check",
                    )
                    .buckets(vec![
                        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25,
                    ]),
                )
                .expect("valid metric"),
            ),
            keys_created: counter("custodia_api_keys_created_total", "API keys created"),
            keys_deleted: counter("custodia_api_keys_deleted_total", "API keys deleted"),
            keys_expired: counter(
                "custodia_api_keys_expired_total",
                "API keys expired by the idle rule",
            ),
            totp_rejections: reg(
                &r,
                IntCounterVec::new(
                    Opts::new("custodia_totp_rejections_total", "TOTP codes rejected"),
                    &["reason"],
                )
                .expect("valid metric"),
            ),
            audit_events_written: counter(
                "custodia_audit_events_written_total",
                "Events appended by the batched audit writer",
            ),
            audit_events_dropped: counter(
                "custodia_audit_events_dropped_total",
                "Events dropped because the audit queue was full",
            ),
            replay_cache_entries: gauge(
                "custodia_replay_cache_entries",
                "Live replay-cache entries",
            ),
            key_cache_entries: gauge("custodia_key_cache_entries", "Keys cached in memory"),
            guard_checks: reg(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "custodia_guard_checks_total",
                        "Threat-intelligence checks by check and result",
                    ),
                    &["check", "result"],
                )
                .expect("valid metric"),
            ),
            guard_batch_seconds: reg(
                &r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "custodia_guard_batch_seconds",
                        "Time spent answering one guard batch",
                    )
                    .buckets(vec![
                        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1,
                    ]),
                    &["check"],
                )
                .expect("valid metric"),
            ),
            guard_list_entries: reg(
                &r,
                IntGaugeVec::new(
                    Opts::new(
                        "custodia_guard_list_entries",
                        "Threat-intelligence entries loaded, by list",
                    ),
                    &["list"],
                )
                .expect("valid metric"),
            ),
            guard_imports: reg(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "custodia_guard_imports_total",
                        "List imports by list and outcome",
                    ),
                    &["list", "outcome"],
                )
                .expect("valid metric"),
            ),
            guard_snapshot_version: gauge(
                "custodia_guard_snapshot_version",
                "Version of the latest published guard snapshot (0: none)",
            ),
            registry: r,
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("encoding to a Vec cannot fail");
        String::from_utf8(buf).unwrap_or_default()
    }
}
