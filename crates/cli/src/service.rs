//! `custodia serve` and `custodia keys purge`: the security service (`custodia audit` is in
//! `audit.rs`).
//! Glue only: the use cases are in `custodia-keys` and `custodia-events`, the wiring of
//! `serve` in `serve.rs`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use custodia_api::Config;
use custodia_events::SystemClock;
use custodia_keys::{ApiKeyRepo as _, purge_idle_keys};
use custodia_store::Store;
use serde::Serialize;

use crate::Outcome;
use crate::output::Output;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration file; `CUSTODIA_<SECTION>_<KEY>` variables override it
    /// (e.g. CUSTODIA_SECRETS_KEK, CUSTODIA_STORE_URL, CUSTODIA_SERVER_LISTEN).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Expire trade/withdraw keys without IP binding that made no authenticated call for
    /// `keys.idle_expiry_days` (14). Each expiry is recorded in the event log.
    Purge(PurgeArgs),
}

#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// TOML configuration file (store URL, idle period).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// List the keys that would expire, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn load(path: Option<&PathBuf>) -> Result<Config> {
    Config::load(path.map(PathBuf::as_path)).context("loading configuration")
}

async fn open(cfg: &Config) -> Result<Store> {
    Store::open(cfg.store.url.expose(), cfg.store.max_connections)
        .await
        .context("opening the store")
}

pub fn serve(a: ServeArgs, _out: &Output) -> Result<Outcome> {
    let cfg = load(a.config.as_ref())?;
    runtime()?.block_on(crate::serve::serve(cfg))?;
    Ok(Outcome::Ok)
}

#[derive(Serialize)]
struct PurgeReport {
    status: &'static str,
    dry_run: bool,
    expired: usize,
    keys: Vec<String>,
}

pub fn keys(cmd: KeysCommand, out: &Output) -> Result<Outcome> {
    let KeysCommand::Purge(a) = cmd;
    let cfg = load(a.config.as_ref())?;
    let policy = cfg.keys.policy();
    let report = runtime()?.block_on(async {
        let store = open(&cfg).await?;
        let keys = if a.dry_run {
            use custodia_events::Clock as _;
            let cutoff = SystemClock.now().minus_millis(policy.idle_expiry_ms);
            store
                .idle_candidates(cutoff, u32::MAX)
                .await?
                .iter()
                .map(|k| k.id.to_string())
                .collect()
        } else {
            purge_idle_keys(&store, &SystemClock, &policy)
                .await?
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        store.close().await;
        anyhow::Ok(PurgeReport {
            status: "ok",
            dry_run: a.dry_run,
            expired: keys.len(),
            keys,
        })
    })?;
    out.emit(&report, || {
        let verb = if report.dry_run {
            "would expire"
        } else {
            "expired"
        };
        let mut s = format!("{verb} {} idle key(s)", report.expired);
        for k in &report.keys {
            s.push_str(&format!("\n  {k}"));
        }
        s
    });
    Ok(Outcome::Ok)
}
