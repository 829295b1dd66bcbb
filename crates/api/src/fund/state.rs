//! The fund routes' state.

use std::sync::Arc;

use axum::extract::FromRef;
use custodia_fund::{FundRepo, FundService};

use super::FundMetrics;
use crate::auth::OperatorAuth;
use crate::metrics::Metrics;

/// What the fund routes need. Cheap to clone.
pub struct FundPart<R> {
    /// The use cases.
    pub service: Arc<FundService<R>>,
    /// Metrics.
    pub metrics: Arc<FundMetrics>,
    /// Bearer-token checks.
    pub auth: OperatorAuth,
}

impl<R> Clone for FundPart<R> {
    fn clone(&self) -> Self {
        Self {
            service: self.service.clone(),
            metrics: self.metrics.clone(),
            auth: self.auth.clone(),
        }
    }
}

impl<R> FromRef<FundPart<R>> for OperatorAuth {
    fn from_ref(s: &FundPart<R>) -> Self {
        s.auth.clone()
    }
}

impl<R: FundRepo + 'static> FundPart<R> {
    /// Wires the fund routes and registers their metrics.
    pub fn new(service: Arc<FundService<R>>, metrics: &Metrics, auth: OperatorAuth) -> Self {
        Self {
            service,
            metrics: Arc::new(FundMetrics::register(metrics)),
            auth,
        }
    }
}
