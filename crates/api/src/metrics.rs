//! The metrics registry every service registers its own metrics in (Prometheus text exposition
//! at `/metrics`). Each service folder owns a struct of its metrics and registers it here.

use std::sync::{Arc, Mutex};

use prometheus::core::Collector;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

type Hook = Box<dyn Fn() + Send + Sync>;

/// One registry for the process. Cheap to clone; clones share it.
#[derive(Clone, Default)]
pub struct Metrics {
    registry: Registry,
    /// Run before each scrape (gauges read from caches are set there).
    before_scrape: Arc<Mutex<Vec<Hook>>>,
    /// The name of every metric registered, labelled ones included before their first use
    /// (the exposition leaves those out until then).
    names: Arc<Mutex<Vec<String>>>,
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    fn reg<T: Collector + Clone + 'static>(&self, c: T) -> T {
        self.collector(Box::new(c.clone()));
        c
    }

    /// Registers a whole collector (the process collector, …).
    pub fn collector(&self, c: Box<dyn Collector>) {
        let names: Vec<String> = c.desc().iter().map(|d| d.fq_name.clone()).collect();
        self.registry.register(c).expect("metric names are unique");
        self.names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(names);
    }

    /// Every registered metric's name, sorted (what dashboards and alert rules may use).
    pub fn names(&self) -> Vec<String> {
        let mut v = self.names.lock().unwrap_or_else(|e| e.into_inner()).clone();
        v.sort();
        v
    }

    /// A gauge with a float value.
    pub fn float_gauge(&self, name: &str, help: &str) -> prometheus::Gauge {
        self.reg(prometheus::Gauge::new(name, help).expect("valid metric"))
    }

    /// A counter.
    pub fn counter(&self, name: &str, help: &str) -> IntCounter {
        self.reg(IntCounter::new(name, help).expect("valid metric"))
    }

    /// A counter with labels.
    pub fn counter_vec(&self, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
        self.reg(IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric"))
    }

    /// A gauge.
    pub fn gauge(&self, name: &str, help: &str) -> IntGauge {
        self.reg(IntGauge::new(name, help).expect("valid metric"))
    }

    /// A gauge with labels.
    pub fn gauge_vec(&self, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
        self.reg(IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric"))
    }

    /// A histogram with explicit buckets (seconds).
    pub fn histogram(&self, name: &str, help: &str, buckets: &[f64]) -> Histogram {
        self.reg(
            Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec()))
                .expect("valid metric"),
        )
    }

    /// A histogram with labels and explicit buckets (seconds).
    pub fn histogram_vec(
        &self,
        name: &str,
        help: &str,
        labels: &[&str],
        buckets: &[f64],
    ) -> HistogramVec {
        self.reg(
            HistogramVec::new(
                HistogramOpts::new(name, help).buckets(buckets.to_vec()),
                labels,
            )
            .expect("valid metric"),
        )
    }

    /// Runs `hook` before every scrape.
    pub fn before_scrape(&self, hook: impl Fn() + Send + Sync + 'static) {
        self.before_scrape
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::new(hook));
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        for h in self
            .before_scrape
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            h();
        }
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("encoding to a Vec cannot fail");
        String::from_utf8(buf).unwrap_or_default()
    }
}
