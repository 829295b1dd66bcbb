//! The login routes' state.

use std::sync::Arc;

use axum::extract::FromRef;
use custodia_keys::Kek;
use custodia_login::{GeoSources, LoginRepo, LoginService, Sealer};

use super::LoginMetrics;
use crate::auth::OperatorAuth;
use crate::metrics::Metrics;
use crate::record::Recorder;

/// The deployment's KEK as the login defence's [`Sealer`] (AES-256-GCM, as for API secrets).
pub struct KekSealer {
    kek: Kek,
    entropy: Arc<dyn custodia_events::Entropy>,
}

impl KekSealer {
    /// Seals under `kek` with nonces from `entropy`.
    pub fn new(kek: Kek, entropy: Arc<dyn custodia_events::Entropy>) -> Self {
        Self { kek, entropy }
    }
}

impl Sealer for KekSealer {
    fn seal(&self, plain: &[u8], aad: &[u8]) -> Vec<u8> {
        custodia_keys::seal(&self.kek, plain, aad, &*self.entropy)
    }

    fn open(&self, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        custodia_keys::open(&self.kek, sealed, aad).ok()
    }
}

/// What the login routes need. Cheap to clone.
pub struct LoginPart<R> {
    /// The use cases.
    pub service: Arc<LoginService<R, GeoSources>>,
    /// Anti-phishing codes are sealed with it.
    pub sealer: Arc<KekSealer>,
    /// Decisions without a write of their own.
    pub recorder: Recorder,
    /// Metrics.
    pub metrics: Arc<LoginMetrics>,
    /// Bearer-token checks.
    pub auth: OperatorAuth,
}

impl<R> Clone for LoginPart<R> {
    fn clone(&self) -> Self {
        Self {
            service: self.service.clone(),
            sealer: self.sealer.clone(),
            recorder: self.recorder.clone(),
            metrics: self.metrics.clone(),
            auth: self.auth.clone(),
        }
    }
}

impl<R> FromRef<LoginPart<R>> for OperatorAuth {
    fn from_ref(s: &LoginPart<R>) -> Self {
        s.auth.clone()
    }
}

impl<R: LoginRepo + 'static> LoginPart<R> {
    /// Wires the login routes and registers their metrics.
    pub fn new(
        service: Arc<LoginService<R, GeoSources>>,
        sealer: KekSealer,
        recorder: Recorder,
        metrics: &Metrics,
        auth: OperatorAuth,
    ) -> Self {
        Self {
            service,
            sealer: Arc::new(sealer),
            recorder,
            metrics: Arc::new(LoginMetrics::register(metrics)),
            auth,
        }
    }
}
