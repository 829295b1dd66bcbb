//! The key routes' state.

use std::sync::Arc;

use axum::extract::FromRef;
use custodia_keys::{ApiKeyRepo, KeyService, ReplayRepo, TotpRepo};

use super::KeyMetrics;
use crate::auth::OperatorAuth;
use crate::metrics::Metrics;
use crate::offload::Blocking;
use crate::record::Recorder;

/// What the key routes need. Cheap to clone.
pub struct KeysState<R> {
    /// The use cases.
    pub service: Arc<KeyService<R>>,
    /// Where decisions without a write of their own go.
    pub recorder: Recorder,
    /// Where Argon2 runs.
    pub offload: Blocking,
    /// The service's metrics.
    pub metrics: Arc<KeyMetrics>,
    /// Bearer-token checks.
    pub auth: OperatorAuth,
}

impl<R> Clone for KeysState<R> {
    fn clone(&self) -> Self {
        Self {
            service: self.service.clone(),
            recorder: self.recorder.clone(),
            offload: self.offload.clone(),
            metrics: self.metrics.clone(),
            auth: self.auth.clone(),
        }
    }
}

impl<R> FromRef<KeysState<R>> for OperatorAuth {
    fn from_ref(s: &KeysState<R>) -> Self {
        s.auth.clone()
    }
}

impl<R: ApiKeyRepo + TotpRepo + ReplayRepo + 'static> KeysState<R> {
    /// Wires the key routes: registers the metrics, makes the recorder's flush write pending
    /// key usage first, and sets the cache gauges at each scrape.
    pub fn new(
        service: Arc<KeyService<R>>,
        recorder: Recorder,
        offload: Blocking,
        metrics: &Metrics,
        auth: OperatorAuth,
    ) -> Self {
        let m = Arc::new(KeyMetrics::register(metrics));
        let svc = service.clone();
        recorder.on_flush(move || {
            let svc = svc.clone();
            async move {
                if let Err(e) = svc.flush_usage().await {
                    tracing::error!(error = %e, "usage flush failed; will retry");
                }
            }
        });
        let (svc, gauges) = (service.clone(), m.clone());
        metrics.before_scrape(move || {
            gauges.key_cache_entries.set(svc.cached_keys() as i64);
        });
        Self {
            service,
            recorder,
            offload,
            metrics: m,
            auth,
        }
    }

    /// Runs the idle purge now (after flushing usage) and counts what expired.
    pub async fn purge(&self) -> Result<usize, custodia_events::RepoError> {
        let ids = self.service.purge_idle().await?;
        self.metrics.keys_expired.inc_by(ids.len() as u64);
        Ok(ids.len())
    }
}
