#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod auth;
mod config;
mod error;
mod extract;
mod health;
mod metrics;
mod observe;
mod offload;
mod openapi;
mod record;
mod server;
mod web;

pub mod audit;
pub mod console;
pub mod fund;
pub mod guard;
pub mod keys;
pub mod login;
pub mod operators;
pub mod por;
pub mod protect;
pub mod token;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse as _;
use axum::routing::get;
use custodia_events::{
    CheckpointReader, Clock, Entropy, EventAppender, EventReader, StoreHealth, WorkQueue,
};
use custodia_fund::{FundRepo, FundService};
use custodia_guard::Catalog;
use custodia_guard::GuardRepo;
use custodia_keys::{ApiKeyRepo, Kek, KeyService, OperatorRepo, ReplayRepo, TotpRepo};
use custodia_login::{DestinationIntel, LoginRepo, LoginService};
use custodia_protect::{ProtectRepo, ProtectService};

pub use auth::{
    AdminOnly, Allowed, AnyOperator, AuditorOrAdmin, GatewayOnly, Operator, OperatorAuth,
    ServiceOrAdmin,
};
pub use config::{
    Config, ConfigError, LogConfig, SecretsConfig, ServerConfig, StoreConfig, UnknownEnvVar,
    env_var_names, redact_url, unknown_env_vars,
};
pub use error::{ApiError, ErrorBody};
pub use extract::ApiJson;
pub use health::Health;
pub use metrics::Metrics;
pub use observe::{BUILD_COMMIT, HttpMetrics};
pub use offload::Blocking;
pub use openapi::document_json as openapi_json;
pub use record::Recorder;
pub use server::{Limits, serve};
pub use web::{VerifierPage, WebConfig};

/// The service's HTTP parts, each with its own state, wired over one store. The binary builds
/// it ([`Services::new`]), loads what must be loaded ([`guard::GuardState::reload`]), runs the
/// schedulers over its parts, and serves [`Services::router`].
pub struct Services<S> {
    /// The metrics registry every part registered in.
    pub metrics: Metrics,
    /// The batched event writer.
    pub recorder: Recorder,
    /// Bearer-token checks, shared by every part.
    pub auth: OperatorAuth,
    /// API keys and the gateway check.
    pub keys: keys::KeysState<S>,
    /// Threat intelligence.
    pub guard: guard::GuardState<S>,
    /// Account-takeover defence.
    pub login: login::LoginPart<S>,
    /// The safety fund and risk provision fund.
    pub fund: fund::FundPart<S>,
    /// Scam-token detection.
    pub token: token::TokenPart<S>,
    /// User protection (cooling-off, new-account caps, wrong deposits).
    pub protect: protect::ProtectPart<S>,
    /// The event log for analysts.
    pub audit: audit::AuditState<S>,
    /// Operator tokens.
    pub operators: operators::OperatorsState<S>,
    /// The operator console's panels (the binary adds its own).
    pub console: console::Console,
    http: HttpMetrics,
    started: std::time::Instant,
    /// Users' inclusion files of each round, for the exchange's back end.
    pub por: por::PorState,
    store: S,
    body_limit: usize,
    page: Option<Arc<VerifierPage>>,
}

/// The binary's one store serves every part: each part asks only for its own ports, and this
/// is their union.
impl<S> Services<S>
where
    S: EventAppender
        + EventReader
        + StoreHealth
        + ApiKeyRepo
        + TotpRepo
        + ReplayRepo
        + OperatorRepo
        + GuardRepo
        + LoginRepo
        + FundRepo
        + ProtectRepo
        + CheckpointReader
        + WorkQueue
        + Clone
        + 'static,
{
    /// Wires every part. Spawns the event writer, so it must run inside a tokio runtime.
    ///
    /// # Panics
    ///
    /// If `config.guard` is invalid (`Config::load` and `Config::from_parts` validate it), or
    /// `config.fund` is invalid, or
    /// `config.login`'s IP sources do not load (call [`login::LoginConfig::geo`] first to
    /// report that as an error), or `config.protect` does not (call
    /// [`protect::ProtectConfig::settings`] first).
    ///
    /// `login_intel` makes the login defence's address intelligence from the guard's catalog
    /// (the binary's adapter; [`custodia_login::NoIntel`] ignores it).
    pub fn new(
        store: S,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
        kek: Kek,
        config: &Config,
        page: Option<Arc<VerifierPage>>,
        login_intel: impl FnOnce(Arc<Catalog>) -> Arc<dyn DestinationIntel>,
    ) -> Self {
        let metrics = Metrics::new();
        observe::register_process(&metrics);
        let http = HttpMetrics::new(&metrics);
        let recorder = Recorder::spawn(store.clone(), &metrics);
        let auth = OperatorAuth::new(
            store.clone(),
            Duration::from_secs(config.server.operator_cache_secs),
        );
        let service = Arc::new(KeyService::new(
            store.clone(),
            clock.clone(),
            entropy.clone(),
            kek.clone(),
            config.keys.settings(),
        ));
        let keys = keys::KeysState::new(
            service,
            recorder.clone(),
            Blocking::per_cpu(),
            &metrics,
            auth.clone(),
        );
        let guard = guard::GuardState::new(
            store.clone(),
            &config.guard,
            clock.clone(),
            recorder.clone(),
            &metrics,
            auth.clone(),
        );
        let geo = config
            .login
            .geo()
            .unwrap_or_else(|e| panic!("invalid [login] configuration: {e}"));
        let login = login::LoginPart::new(
            Arc::new(LoginService::new(
                store.clone(),
                geo,
                login_intel(guard.catalog.clone()),
                clock.clone(),
                config.login.settings(),
            )),
            login::KekSealer::new(kek, entropy.clone()),
            recorder.clone(),
            &metrics,
            auth.clone(),
        );
        let fund_settings = config
            .fund
            .settings()
            .unwrap_or_else(|e| panic!("invalid [fund] configuration: {e}"));
        let fund = fund::FundPart::new(
            Arc::new(
                FundService::new(store.clone(), clock.clone(), fund_settings)
                    .unwrap_or_else(|e| panic!("invalid [fund] configuration: {e}")),
            ),
            &metrics,
            auth.clone(),
        );
        let token = token::TokenPart::new(
            store.clone(),
            clock.clone(),
            recorder.clone(),
            &config.token,
            &metrics,
            auth.clone(),
        );
        let protect_settings = config
            .protect
            .settings()
            .unwrap_or_else(|e| panic!("invalid [protect] configuration: {e}"));
        let protect = protect::ProtectPart::new(
            Arc::new(ProtectService::new(
                store.clone(),
                clock.clone(),
                entropy.clone(),
                protect_settings,
            )),
            recorder.clone(),
            &metrics,
            auth.clone(),
        );
        let audit = audit::AuditState {
            log: store.clone(),
            recorder: recorder.clone(),
            auth: auth.clone(),
            checkpoint_key: None,
        };
        let console = console::Console::new();
        console::builtin(
            &console,
            store.clone(),
            clock.clone(),
            guard.catalog.clone(),
        );
        console::services(&console, store.clone(), clock.clone());
        let por = por::PorState {
            delivery_dir: config.por.delivery_dir.clone(),
            auth: auth.clone(),
        };
        let operators = operators::OperatorsState {
            repo: store.clone(),
            clock,
            entropy,
            auth: auth.clone(),
        };
        Self {
            metrics,
            recorder,
            auth,
            keys,
            guard,
            login,
            fund,
            token,
            protect,
            audit,
            operators,
            console,
            http,
            started: std::time::Instant::now(),
            por,
            store,
            body_limit: config.server.body_limit_bytes,
            page,
        }
    }

    /// Every route of the service.
    pub fn router(&self) -> Router {
        let metrics = self.metrics.clone();
        let router = Router::new()
            .route(
                "/healthz",
                get(health::health::<S>).with_state(self.store.clone()),
            )
            .route(
                "/metrics",
                get(move || {
                    let m = metrics.clone();
                    async move {
                        (
                            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                            m.render(),
                        )
                            .into_response()
                    }
                }),
            )
            .route(
                "/openapi.json",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        openapi::document_json(),
                    )
                        .into_response()
                }),
            )
            .merge(operators::routes(self.operators.clone()))
            .merge(keys::routes(self.keys.clone()))
            .merge(audit::routes(self.audit.clone()))
            .merge(guard::routes(self.guard.clone()))
            .merge(login::routes(self.login.clone()))
            .merge(fund::routes(self.fund.clone()))
            .merge(token::routes(self.token.clone()))
            .merge(protect::routes(self.protect.clone()))
            .merge(web::routes(self.page.clone()))
            .merge(console::routes(console::ConsoleState {
                console: self.console.clone(),
                auth: self.auth.clone(),
                started: self.started,
            }))
            .merge(por::routes(self.por.clone()))
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed)
            .layer(axum::extract::DefaultBodyLimit::max(self.body_limit));
        observe::layers(router, self.http.clone())
    }

    /// Makes every pending decision durable: key usage, queued events.
    pub async fn flush(&self) {
        self.recorder.flush().await;
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this endpoint",
    )
}
