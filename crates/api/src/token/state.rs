//! The token routes' state.

use std::sync::Arc;

use axum::extract::FromRef;
use custodia_events::{Clock, Timestamp};
use custodia_token::TokenService;

use super::{TokenConfig, TokenMetrics};
use crate::auth::OperatorAuth;
use crate::metrics::Metrics;
use crate::offload::Blocking;
use crate::record::Recorder;

/// The binary's shared clock as the token service's [`Clock`].
#[derive(Clone)]
pub struct SharedClock(pub Arc<dyn Clock>);

impl Clock for SharedClock {
    fn now(&self) -> Timestamp {
        self.0.now()
    }
}

/// What the token routes need. Cheap to clone.
#[derive(Clone)]
pub struct TokenPart {
    /// The use case: assessments run on their own lanes of the blocking pool, and each one
    /// is a `token.assessed` event through the recorder.
    pub service: Arc<TokenService<SharedClock, Blocking, Recorder>>,
    /// `[token]`.
    pub config: Arc<TokenConfig>,
    /// Metrics.
    pub metrics: Arc<TokenMetrics>,
    /// Bearer-token checks.
    pub auth: OperatorAuth,
}

impl FromRef<TokenPart> for OperatorAuth {
    fn from_ref(s: &TokenPart) -> Self {
        s.auth.clone()
    }
}

impl TokenPart {
    /// Wires the token routes and registers their metrics.
    pub fn new(
        clock: Arc<dyn Clock>,
        recorder: Recorder,
        config: &TokenConfig,
        metrics: &Metrics,
        auth: OperatorAuth,
    ) -> Self {
        Self {
            service: Arc::new(TokenService::new(
                SharedClock(clock),
                Blocking::with_lanes(config.lanes),
                recorder,
            )),
            config: Arc::new(config.clone()),
            metrics: Arc::new(TokenMetrics::register(metrics)),
            auth,
        }
    }
}
