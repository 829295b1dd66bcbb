//! What the HTTP shell tells operators about itself: an access log line per request
//! (tower-http's `TraceLayer`, target `custodia::access`), request metrics by route, method and
//! status with a latency histogram, the process collector (CPU, memory, file descriptors,
//! start time) and `custodia_build_info`.

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{HistogramVec, IntCounterVec, IntGauge};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::metrics::Metrics;

/// The commit this binary was built from, when the build said (`CUSTODIA_BUILD_COMMIT` at
/// compile time; the Dockerfile passes it), else `unknown`.
pub const BUILD_COMMIT: &str = match option_env!("CUSTODIA_BUILD_COMMIT") {
    Some(c) => c,
    None => "unknown",
};

/// Latency buckets in seconds: from a cached gateway check (well under a millisecond) to a
/// list import (seconds).
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Paths scraped or probed every few seconds: their access-log lines are `debug`, so they do
/// not drown the rest at the default `info`.
const PROBES: &[&str] = &["/healthz", "/metrics"];

/// Request metrics. Cheap to clone.
#[derive(Clone)]
pub struct HttpMetrics {
    requests: IntCounterVec,
    seconds: HistogramVec,
    in_flight: IntGauge,
}

impl HttpMetrics {
    /// Registers `custodia_http_requests_total`, `custodia_http_request_duration_seconds` and
    /// `custodia_http_requests_in_flight`.
    pub fn new(m: &Metrics) -> Self {
        Self {
            requests: m.counter_vec(
                "custodia_http_requests_total",
                "HTTP requests answered, by route template, method and status",
                &["route", "method", "status"],
            ),
            seconds: m.histogram_vec(
                "custodia_http_request_duration_seconds",
                "Time from request head to response head, by route template and method",
                &["route", "method"],
                LATENCY_BUCKETS,
            ),
            in_flight: m.gauge(
                "custodia_http_requests_in_flight",
                "Requests being handled now",
            ),
        }
    }
}

/// `custodia_build_info` and, on Linux, the standard `process_*` metrics.
pub(crate) fn register_process(m: &Metrics) {
    m.gauge_vec(
        "custodia_build_info",
        "Always 1; the labels say which build is running",
        &["version", "commit", "profile"],
    )
    .with_label_values(&[
        env!("CARGO_PKG_VERSION"),
        BUILD_COMMIT,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    ])
    .set(1);
    #[cfg(target_os = "linux")]
    m.collector(Box::new(
        prometheus::process_collector::ProcessCollector::for_self(),
    ));
}

/// The route label: the template the request matched (`/v1/users/{user}/api-keys`), never the
/// raw path, so user ids and probes of random paths cannot grow the label set.
fn route_of(req: &Request) -> String {
    req.extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned())
}

async fn record(State(m): State<HttpMetrics>, req: Request, next: Next) -> Response {
    let route = route_of(&req);
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    m.in_flight.inc();
    let resp = next.run(req).await;
    m.in_flight.dec();
    m.seconds
        .with_label_values(&[route.as_str(), method.as_str()])
        .observe(start.elapsed().as_secs_f64());
    m.requests
        .with_label_values(&[route.as_str(), method.as_str(), resp.status().as_str()])
        .inc();
    resp
}

/// The access log's span: method and path (never the query, which may carry user data), at
/// `debug` for probes.
fn span_for(req: &Request) -> Span {
    let path = req.uri().path();
    if PROBES.contains(&path) {
        tracing::debug_span!(target: "custodia::access", "request", method = %req.method(), path = %path)
    } else {
        tracing::info_span!(target: "custodia::access", "request", method = %req.method(), path = %path)
    }
}

fn log_response(resp: &Response, latency: Duration, span: &Span) {
    if span.is_disabled() {
        return;
    }
    let status = resp.status().as_u16();
    let micros = latency.as_micros() as u64;
    if status >= 500 {
        tracing::warn!(target: "custodia::access", parent: span, status, latency_us = micros, "response");
    } else {
        tracing::info!(target: "custodia::access", parent: span, status, latency_us = micros, "response");
    }
}

/// Wraps every route of `router` in the request metrics and the access log.
pub(crate) fn layers(router: Router, m: HttpMetrics) -> Router {
    router
        .layer(axum::middleware::from_fn_with_state(m, record))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| span_for(req))
                .on_request(())
                .on_response(|resp: &Response, latency: Duration, span: &Span| {
                    log_response(resp, latency, span)
                })
                .on_body_chunk(())
                .on_eos(())
                .on_failure(()),
        )
}
