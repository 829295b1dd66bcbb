#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod auth;
mod config;
mod error;
mod gateway;
mod guard;
mod metrics;
mod openapi;
mod routes;
mod service;
mod state;
mod web;
mod wire;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
pub use auth::{
    AdminOnly, Allowed, AnyOperator, AuditorOrAdmin, Operator, ServiceOrAdmin, token_hash,
};
pub use config::{
    Config, ConfigError, KeysConfig, LogConfig, SecretsConfig, ServerConfig, StoreConfig,
    env_var_names,
};
pub use custodia_events::Report;
use custodia_events::{OsEntropy, SystemClock};
use custodia_keys::Kek;
use custodia_store::{Role, Store};
pub use error::{ApiError, ErrorBody};
pub use guard::{BrandConfig, GuardConfig, GuardLoaded, PoisoningSection, PolicyConfig};
pub use metrics::Metrics;
pub use openapi::document_json as openapi_json;
pub use routes::{ApiJson, router};
pub use service::{purge_idle_key_ids, purge_idle_keys, verify_audit_chain};
pub use state::{App, Background, Repos};
use tokio::net::TcpListener;
pub use web::{VerifierPage, WebConfig};
pub use wire::*;

/// Sets up `tracing` output on stdout (`text` or `json`) with `log.filter` (`info`,
/// `info,custodia_api=debug`, …). Does nothing if a subscriber is already installed.
pub fn init_tracing(cfg: &LogConfig) -> anyhow::Result<()> {
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter: Targets = cfg
        .filter
        .parse()
        .with_context(|| format!("log.filter `{}` is not a valid filter", cfg.filter))?;
    let r = if cfg.format == "json" {
        tracing_subscriber::fmt()
            .json()
            .with_writer(std::io::stdout)
            .finish()
            .with(filter)
            .try_init()
    } else {
        tracing_subscriber::fmt()
            .with_writer(std::io::stdout)
            .finish()
            .with(filter)
            .try_init()
    };
    let _ = r; // already installed: keep the existing one
    Ok(())
}

/// Resolves on SIGTERM or ctrl-c.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// `custodia serve`: logs, store, background workers, HTTP on `server.listen`, until SIGTERM or
/// ctrl-c; then a graceful shutdown (in-flight requests get `server.shutdown_grace_secs`, usage
/// and queued events are flushed).
pub async fn serve(config: Config) -> anyhow::Result<()> {
    init_tracing(&config.log)?;
    let listener = TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    run(config, listener, shutdown_signal()).await
}

/// [`serve`] on an already bound listener with an explicit shutdown future (tests, embedding).
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let kek = Kek::parse(
        config
            .secrets
            .kek
            .as_ref()
            .context("secrets.kek is required: set CUSTODIA_SECRETS_KEK (64 hex digits) or CUSTODIA_SECRETS_KEK_FILE")?,
    )
    .context("secrets.kek")?;
    let store = Store::open(config.store.url.expose(), config.store.max_connections)
        .await
        .context("opening the store")?;
    let page = web::VerifierPage::load(&config.web)?;
    let app = App::new(
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
        kek,
        &config,
    );
    bootstrap_admin(&app, &config).await?;
    app.reload_guard()
        .await
        .context("loading the guard's lists from the store")?;
    let background = app.spawn_background();
    let addr = listener.local_addr()?;
    tracing::info!(listen = %addr, backend = ?store.backend(), "custodia serve listening");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let grace = Duration::from_secs(config.server.shutdown_grace_secs);
    let mut rx = stop_rx.clone();
    let server = axum::serve(listener, router(app.clone()).merge(web::routes(page)))
        .with_graceful_shutdown(async move {
            let _ = rx.wait_for(|s| *s).await;
        })
        .into_future();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutdown requested: draining connections");
        let _ = stop_tx.send(true);
    });
    let mut rx = stop_rx;
    tokio::select! {
        r = server => r.context("HTTP server")?,
        _ = async { let _ = rx.wait_for(|s| *s).await; tokio::time::sleep(grace).await; } => {
            tracing::warn!(grace_secs = grace.as_secs(), "grace period over: closing remaining connections");
        }
    }
    background.stop().await;
    store.close().await;
    tracing::info!("custodia serve stopped");
    Ok(())
}

async fn bootstrap_admin<S: state::Repos>(app: &App<S>, config: &Config) -> anyhow::Result<()> {
    let Some(token) = &config.secrets.bootstrap_admin_token else {
        return Ok(());
    };
    if token.expose().len() < 32 {
        anyhow::bail!("secrets.bootstrap_admin_token must be at least 32 characters");
    }
    if app.store().count_operators(Role::Admin).await? > 0 {
        return Ok(());
    }
    service::create_operator(
        app.store(),
        &*app.inner.clock,
        &*app.inner.entropy,
        "system:bootstrap",
        "bootstrap-admin",
        Role::Admin,
        Some(token),
    )
    .await
    .map_err(|e| {
        anyhow::anyhow!(
            "creating the bootstrap admin: {} ({})",
            e.msg,
            e.detail.unwrap_or_default()
        )
    })?;
    tracing::info!("bootstrap admin operator created");
    Ok(())
}
