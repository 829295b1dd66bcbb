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
use custodia_store::{Access, Store};
use serde::Serialize;

use crate::Outcome;
use crate::output::Output;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration file; `CUSTODIA_<SECTION>_<KEY>` variables override it
    /// (e.g. CUSTODIA_SECRETS_KEK, CUSTODIA_STORE_URL, CUSTODIA_SERVER_LISTEN; every key of
    /// every section has one, and string keys also take `…_FILE`). Unknown CUSTODIA_*
    /// variables are warned about on stderr. RUST_LOG, when set, replaces log.filter.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Check the configuration and the files it names, print what was checked, and exit (0:
    /// valid; 2: the first problem). The store is not contacted.
    #[arg(long, conflicts_with = "print_config")]
    pub check_config: bool,
    /// Print the effective configuration (file, then environment) as TOML with every secret
    /// and database password masked, and exit.
    #[arg(long)]
    pub print_config: bool,
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

/// Loads the configuration and warns (stderr) about `CUSTODIA_*` variables it does not read.
pub fn load(path: Option<&PathBuf>) -> Result<Config> {
    for unknown in custodia_api::unknown_env_vars(std::env::vars()) {
        eprintln!("warning: {unknown}");
    }
    Config::load(path.map(PathBuf::as_path)).context("loading configuration")
}

/// Opens the configured store for an operator command: it must exist (never created, never
/// migrated).
pub async fn open_existing(cfg: &Config, access: Access) -> Result<Store> {
    Store::open_existing(cfg.store.url.expose(), cfg.store.max_connections, access)
        .await
        .context("opening the store")
}

#[derive(Serialize)]
struct CheckReport {
    status: &'static str,
    checked: Vec<String>,
}

pub fn serve(a: ServeArgs, out: &Output) -> Result<Outcome> {
    let cfg = load(a.config.as_ref())?;
    if a.print_config {
        print!("{}", cfg.to_redacted_toml());
        return Ok(Outcome::Ok);
    }
    if a.check_config {
        let checked = crate::serve::check_config(&cfg)?;
        let report = CheckReport {
            status: "ok",
            checked,
        };
        out.emit(&report, || {
            let mut s = String::from("configuration OK");
            for c in &report.checked {
                s.push_str(&format!("\n  {c}"));
            }
            s
        });
        return Ok(Outcome::Ok);
    }
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
        let store = open_existing(&cfg, Access::ReadWrite).await?;
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
