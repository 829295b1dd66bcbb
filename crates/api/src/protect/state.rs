//! The protection routes' state.

use std::sync::Arc;

use axum::extract::FromRef;
use custodia_protect::{ProtectRepo, ProtectService};

use super::ProtectMetrics;
use crate::auth::OperatorAuth;
use crate::metrics::Metrics;
use crate::record::Recorder;

/// What the protection routes need. Cheap to clone.
pub struct ProtectPart<R> {
    /// The use cases.
    pub service: Arc<ProtectService<R>>,
    /// Refused orders are recorded through it (repeatable decisions).
    pub recorder: Recorder,
    /// Metrics.
    pub metrics: Arc<ProtectMetrics>,
    /// Bearer-token checks.
    pub auth: OperatorAuth,
}

impl<R> Clone for ProtectPart<R> {
    fn clone(&self) -> Self {
        Self {
            service: self.service.clone(),
            recorder: self.recorder.clone(),
            metrics: self.metrics.clone(),
            auth: self.auth.clone(),
        }
    }
}

impl<R> FromRef<ProtectPart<R>> for OperatorAuth {
    fn from_ref(s: &ProtectPart<R>) -> Self {
        s.auth.clone()
    }
}

impl<R: ProtectRepo + 'static> ProtectPart<R> {
    /// Wires the protection routes and registers their metrics.
    pub fn new(
        service: Arc<ProtectService<R>>,
        recorder: Recorder,
        metrics: &Metrics,
        auth: OperatorAuth,
    ) -> Self {
        Self {
            service,
            recorder,
            metrics: Arc::new(ProtectMetrics::register(metrics)),
            auth,
        }
    }
}
