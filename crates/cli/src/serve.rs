//! `custodia serve`: the composition root of the security service. Here, and only here, the
//! concrete store, clock, entropy and key-encryption key are chosen, the bootstrap admin is
//! created, logging is set up, the schedulers run and the HTTP server is bound.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use custodia_api::{Config, Limits, LogConfig, Services, VerifierPage};
use custodia_events::{OsEntropy, SystemClock};
use custodia_guard::Catalog;
use custodia_keys::{Kek, OperatorRepo as _, Role, create_operator};
use custodia_login::DestinationIntel;
use custodia_store::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The log filter in force: `RUST_LOG` when set (the Rust convention, handy for a one-off
/// debug run), else `log.filter`; and where it came from, for the error message.
pub fn log_filter(cfg: &LogConfig, rust_log: Option<String>) -> (String, &'static str) {
    match rust_log.filter(|v| !v.trim().is_empty()) {
        Some(v) => (v, "RUST_LOG"),
        None => (cfg.filter.clone(), "log.filter"),
    }
}

/// Whether log lines get colour: only on a terminal, and never with `NO_COLOR` set, so files,
/// journald and container logs hold plain text.
pub fn log_colour(stdout_is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    stdout_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Sets up `tracing` output on stdout (`text` or `json`) with the filter of [`log_filter`]
/// (`info`, `info,custodia_api=debug`, …), colour per [`log_colour`]. Does nothing if a
/// subscriber is already installed.
pub fn init_tracing(cfg: &LogConfig) -> Result<()> {
    use std::io::IsTerminal as _;
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let (spec, from) = log_filter(cfg, std::env::var("RUST_LOG").ok());
    let filter: Targets = spec.parse().with_context(|| {
        format!("{from} `{spec}` is not a valid filter (e.g. `info,custodia_api=debug`)")
    })?;
    let ansi = log_colour(
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR"),
    );
    let r = if cfg.format == "json" {
        // The builder's own level cap defaults to INFO, which would hide `debug` from a filter
        // that asks for it: lift it and let the filter alone decide.
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .json()
            .with_ansi(false)
            .with_writer(std::io::stdout)
            .finish()
            .with(filter)
            .try_init()
    } else {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(ansi)
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

/// Logs, store, schedulers, HTTP on `server.listen`, until SIGTERM or ctrl-c; then a graceful
/// shutdown (in-flight requests get `server.shutdown_grace_secs`, usage and queued events are
/// flushed). The bound address is printed on stderr (`listening on ADDR`), so a caller that
/// asked for port 0 learns the port.
pub async fn serve(config: Config) -> Result<()> {
    init_tracing(&config.log)?;
    let listener = TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    eprintln!("listening on {}", listener.local_addr()?);
    run(config, listener, shutdown_signal()).await
}

/// [`serve`] on an already bound listener with an explicit shutdown future.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
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
    let page = VerifierPage::load(&config.web)?;
    // Services::new panics on an unloadable IP source, fund or protect section: report them here.
    config.login.geo().context("login IP sources")?;
    config.fund.settings().context("[fund]")?;
    config.protect.settings().context("[protect]")?;
    let mut services = Services::new(
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
        kek,
        &config,
        page,
        login_intel,
    );
    // Forked token scans read the chain through the configured nodes.
    services.token = services.token.clone().with_states(
        store.clone(),
        Arc::new(SystemClock),
        services.recorder.clone(),
        Arc::new(crate::token::RpcStates::new(
            config.token.rpc.clone(),
            crate::token::RPC_TIMEOUT,
        )),
    );
    let anchoring = crate::audit::Anchoring::load(&config.audit)?;
    services.audit.checkpoint_key = anchoring.as_ref().map(|a| a.public());
    bootstrap_admin(&store, &config).await?;
    services
        .login
        .service
        .flush_population()
        .await
        .context("loading the login population's history")?;
    services
        .fund
        .service
        .ensure_pools()
        .await
        .context("creating the [fund] pools")?;
    if let Some(path) = &config.guard.signing_key_file {
        let key = crate::guard::read_signing_key(path).context("guard.signing_key_file")?;
        tracing::info!(key_id = %key.public().key_id_hex(), "guard snapshots are signed");
        services.guard.set_signer(key);
    }
    let loaded = services
        .guard
        .reload()
        .await
        .context("loading the guard's lists from the store")?;
    // What is protected, said once at start-up: an operator sees a missing brand or an empty
    // list here rather than in an incident.
    let brands: Vec<String> = services
        .guard
        .catalog
        .current()
        .domains
        .brands()
        .iter()
        .map(|b| b.name.clone())
        .collect();
    tracing::info!(
        brands = brands.len(),
        protected = %brands.join(", "),
        addresses = loaded.totals.addresses,
        blocked_hosts = loaded.totals.blocked,
        allowed_hosts = loaded.totals.allowed,
        snapshot_version = loaded.snapshot_version.unwrap_or(0),
        "guard loaded"
    );
    let mut background = Background::start(&services, &config);
    if let Some(a) = &anchoring {
        let stop = background.stop.subscribe();
        background.tasks.extend(a.spawn(&store, stop));
    }
    let stop = background.stop.subscribe();
    background.tasks.extend(crate::token::spawn_workers(
        services.token.scans.clone(),
        config.token.workers,
        Duration::from_millis(config.token.poll_millis),
        stop,
    ));
    let stop = background.stop.subscribe();
    let key = anchoring.as_ref().map(|a| a.public());
    background
        .tasks
        .extend(crate::monitor::start(&services, &config, key, stop));
    let addr = listener.local_addr()?;
    tracing::info!(listen = %addr, backend = ?store.backend(), "custodia serve listening");

    let (stop_tx, stop_rx) = watch::channel(false);
    let grace = Duration::from_secs(config.server.shutdown_grace_secs);
    let mut rx = stop_rx.clone();
    let server = custodia_api::serve(
        listener,
        services.router(),
        Limits::from_config(&config.server),
        async move {
            let _ = rx.wait_for(|s| *s).await;
        },
    );
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
    services.flush().await;
    if let Some(a) = &anchoring {
        a.last_checkpoint(&store).await;
    }
    store.close().await;
    tracing::info!("custodia serve stopped");
    Ok(())
}

/// The login defence's address intelligence: the guard's catalog.
pub fn login_intel(catalog: Arc<Catalog>) -> Arc<dyn DestinationIntel> {
    Arc::new(crate::login::CatalogIntel::new(catalog))
}

/// `custodia serve --check-config`: everything `serve` checks before it opens the store —
/// the configuration's own rules, the key-encryption key, the bootstrap token, the store URL's
/// scheme, and the files the configuration names (verifier page, checkpoint key, login IP sources, fund pools,
/// rounds folder). Returns one line per thing checked.
pub fn check_config(config: &Config) -> Result<Vec<String>> {
    let mut ok = Vec::new();
    let kek = config.secrets.kek.as_ref().context(
        "secrets.kek is required: set CUSTODIA_SECRETS_KEK (64 hex digits) or CUSTODIA_SECRETS_KEK_FILE",
    )?;
    Kek::parse(kek).context("secrets.kek")?;
    ok.push("secrets.kek: a valid key-encryption key".to_owned());
    if let Some(t) = &config.secrets.bootstrap_admin_token {
        anyhow::ensure!(
            t.expose().len() >= 32,
            "secrets.bootstrap_admin_token must be at least 32 characters"
        );
        ok.push("secrets.bootstrap_admin_token: long enough".to_owned());
    }
    let backend = custodia_store::Backend::from_url(config.store.url.expose())?;
    ok.push(format!(
        "store.url: {backend:?} at {} (not contacted)",
        custodia_store::target_of(config.store.url.expose())
    ));
    if VerifierPage::load(&config.web)?.is_some() {
        ok.push("web.verifier_page: the built verifier page".to_owned());
    }
    config.login.geo().context("login IP sources")?;
    ok.push("login: IP sources load".to_owned());
    config.fund.settings().context("[fund]")?;
    ok.push("fund: pools and ADL thresholds are valid".to_owned());
    if crate::audit::Anchoring::load(&config.audit)?.is_some() {
        ok.push("audit.checkpoint_key_file: a checkpoint signing key".to_owned());
    }
    if let Some(d) = &config.console.rounds_dir {
        anyhow::ensure!(
            d.is_dir(),
            "console.rounds_dir: {} is not a folder",
            d.display()
        );
        ok.push(format!("console.rounds_dir: {}", d.display()));
    }
    ok.push(format!("server.listen: {}", config.server.listen));
    Ok(ok)
}

/// Creates the admin operator from `secrets.bootstrap_admin_token` when no admin exists yet.
async fn bootstrap_admin(store: &Store, config: &Config) -> Result<()> {
    let Some(token) = &config.secrets.bootstrap_admin_token else {
        return Ok(());
    };
    if token.expose().len() < 32 {
        anyhow::bail!("secrets.bootstrap_admin_token must be at least 32 characters");
    }
    if store.count_operators(Role::Admin).await? > 0 {
        return Ok(());
    }
    create_operator(
        store,
        &SystemClock,
        &OsEntropy,
        "system:bootstrap",
        "bootstrap-admin",
        Role::Admin,
        Some(token),
    )
    .await
    .context("creating the bootstrap admin")?;
    tracing::info!("bootstrap admin operator created");
    Ok(())
}

/// The service's schedulers: usage flush and cache sweeps, expired replay claims, the idle-key
/// purge (and the audit checkpoints and retention of `audit.rs`).
struct Background {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Background {
    fn start(s: &Services<Store>, config: &Config) -> Self {
        let (stop, rx) = watch::channel(false);
        let mut tasks = Vec::new();
        let (keys, auth) = (s.keys.clone(), s.auth.clone());
        let every = Duration::from_secs(config.keys.usage_flush_secs);
        tasks.push(every_until(every, rx.clone(), move || {
            let (keys, auth) = (keys.clone(), auth.clone());
            async move {
                if let Err(e) = keys.service.flush_usage().await {
                    tracing::error!(error = %e, "usage flush failed; will retry");
                }
                keys.service.sweep();
                auth.sweep();
            }
        }));
        let login = s.login.service.clone();
        let every = Duration::from_secs(config.login.population_flush_secs);
        tasks.push(every_until(every, rx.clone(), move || {
            let login = login.clone();
            async move {
                if let Err(e) = login.flush_population().await {
                    tracing::error!(error = %e, "login population flush failed; will retry");
                }
            }
        }));
        if config.keys.replay_purge_secs > 0 {
            let keys = s.keys.clone();
            let every = Duration::from_secs(config.keys.replay_purge_secs);
            tasks.push(every_until(every, rx.clone(), move || {
                let keys = keys.clone();
                async move {
                    match keys.service.purge_replay_claims().await {
                        Ok(n) => tracing::debug!(deleted = n, "expired replay claims deleted"),
                        Err(e) => tracing::error!(error = %e, "replay claim purge failed"),
                    }
                }
            }));
        }
        if config.keys.purge_interval_secs > 0 {
            let keys = s.keys.clone();
            let every = Duration::from_secs(config.keys.purge_interval_secs);
            tasks.push(every_until(every, rx, move || {
                let keys = keys.clone();
                async move {
                    match keys.purge().await {
                        Ok(n) => tracing::info!(expired = n, "idle key purge done"),
                        Err(e) => tracing::error!(error = %e, "idle key purge failed"),
                    }
                }
            }));
        }
        Self { stop, tasks }
    }

    /// Signals the schedulers and waits for them.
    async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Runs `job` every `period` (the first run at once) until `stop` turns true.
pub(crate) fn every_until<F, Fut>(
    period: Duration,
    mut stop: watch::Receiver<bool>,
    job: F,
) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => job().await,
                _ = stop.changed() => break,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use custodia_events::{Clock as _, Inline, ManualClock, SeededEntropy, Timestamp};
    use custodia_keys::{KeyRequest, KeyStatus, SecretString, TotpSeed};
    use custodia_primitives::AccountId;

    use super::*;

    async fn status(s: &Services<Store>, user: &AccountId) -> KeyStatus {
        s.keys.service.keys_of(user).await.unwrap()[0].status
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_idle_purge_runs_on_its_schedule_and_only_then() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = Store::open(&url, 2).await.unwrap();
        let clock = ManualClock::new(Timestamp::from_millis(1_767_225_600_000));
        let toml =
            "[keys]\nargon2_memory_kib = 64\nargon2_iterations = 1\npurge_interval_secs = 0\n";
        let mut cfg = Config::from_parts(toml, Vec::<(String, String)>::new()).unwrap();
        let kek = Kek::parse(&SecretString::new(
            "8f3c1a9e5b7d2f4061a8c3e5b7d9f1a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2f4",
        ))
        .unwrap();
        let s = Services::new(
            store,
            Arc::new(clock.clone()),
            Arc::new(SeededEntropy::new(1)),
            kek,
            &cfg,
            None,
            login_intel,
        );
        let user = AccountId::new("idle").unwrap();
        let e = s.keys.service.enroll_totp("test", &user).await.unwrap();
        let seed = TotpSeed::from_base32(e.secret_base32.expose()).unwrap();
        let req = KeyRequest {
            label: "bot".into(),
            permissions: vec!["withdraw".into()],
            ips: Vec::new(),
            passphrase: SecretString::new("Str0ng!Passphrase"),
            totp_code: SecretString::new(seed.code_at(clock.now())),
        };
        s.keys
            .service
            .create_key(&s.recorder, &Inline, "test", user.clone(), req)
            .await
            .unwrap();
        clock.advance_millis(15 * 86_400_000);

        // Without a purge schedule the idle key stays active.
        let bg = Background::start(&s, &cfg);
        tokio::time::sleep(Duration::from_millis(300)).await;
        bg.stop().await;
        assert_eq!(status(&s, &user).await, KeyStatus::Active);

        // With one, its first run (at start) expires it.
        cfg.keys.purge_interval_secs = 1;
        let bg = Background::start(&s, &cfg);
        let mut expired = false;
        for _ in 0..100 {
            if status(&s, &user).await == KeyStatus::Expired {
                expired = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bg.stop().await;
        assert!(expired, "the schedule did not expire the idle key");
    }
}
