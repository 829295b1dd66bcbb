//! The token routes' state.

use std::sync::Arc;

use axum::extract::FromRef;
use custodia_events::{Clock, Timestamp, WorkQueue};
use custodia_token::{NoChainState, StateSource, TokenScans, TokenService};

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

/// The scan use case as the service wires it.
pub type Scans<S> = TokenScans<S, SharedClock, Blocking, Recorder>;

/// What the token routes need. Cheap to clone.
pub struct TokenPart<S> {
    /// The use case: assessments run on their own lanes of the blocking pool, and each one
    /// is a `token.assessed` event through the recorder.
    pub service: Arc<TokenService<SharedClock, Blocking, Recorder>>,
    /// Scans as jobs on the store's queue (submitted here, run by workers).
    pub scans: Arc<Scans<S>>,
    /// `[token]`.
    pub config: Arc<TokenConfig>,
    /// Metrics.
    pub metrics: Arc<TokenMetrics>,
    /// Bearer-token checks.
    pub auth: OperatorAuth,
}

impl<S> Clone for TokenPart<S> {
    fn clone(&self) -> Self {
        Self {
            service: self.service.clone(),
            scans: self.scans.clone(),
            config: self.config.clone(),
            metrics: self.metrics.clone(),
            auth: self.auth.clone(),
        }
    }
}

impl<S> FromRef<TokenPart<S>> for OperatorAuth {
    fn from_ref(s: &TokenPart<S>) -> Self {
        s.auth.clone()
    }
}

impl<S: WorkQueue> TokenPart<S> {
    /// Wires the token routes and registers their metrics. Forked scans are refused until
    /// [`TokenPart::with_states`] gives them nodes.
    pub fn new(
        store: S,
        clock: Arc<dyn Clock>,
        recorder: Recorder,
        config: &TokenConfig,
        metrics: &Metrics,
        auth: OperatorAuth,
    ) -> Self {
        let lanes = Blocking::with_lanes(config.lanes);
        Self {
            service: Arc::new(TokenService::new(
                SharedClock(clock.clone()),
                lanes.clone(),
                recorder.clone(),
            )),
            scans: Arc::new(TokenScans::new(
                store,
                SharedClock(clock),
                lanes,
                recorder,
                Arc::new(NoChainState),
                config.scan_settings(),
            )),
            config: Arc::new(config.clone()),
            metrics: Arc::new(TokenMetrics::register(metrics)),
            auth,
        }
    }
}

impl<S: WorkQueue> TokenPart<S> {
    /// The same part with forked scans reading chain state from `states` (the binary's
    /// JSON-RPC nodes).
    pub fn with_states(
        mut self,
        store: S,
        clock: Arc<dyn Clock>,
        recorder: Recorder,
        states: Arc<dyn StateSource>,
    ) -> Self {
        self.scans = Arc::new(TokenScans::new(
            store,
            SharedClock(clock),
            Blocking::with_lanes(self.config.lanes),
            recorder,
            states,
            self.config.scan_settings(),
        ));
        self
    }
}
