//! `custodia token`: scam-token assessment — offline from input files, on a node's state at a
//! block (`fork`), and as scans on the store's job queue (`submit`, `scan`, `work`) — plus the
//! adapters forked simulations read the chain through ([`RpcStates`]: a JSON-RPC node per
//! chain as `custodia-token`'s `StateSource`). Glue only: the rules are in `custodia-token`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use custodia_api::{Blocking, Config};
use custodia_chain_rpc::{EvmState, JsonRpcClient};
use custodia_events::{Audit, EventAppender as _, NewEvent, SystemClock};
use custodia_store::Store;
use custodia_token::{
    Assessment, ChainState, ForkOrder, ForkSpec, PinnedBlock, RemoteAccount, ScanRequest,
    StateError, StateSource, TokenError, TokenInput, TokenScans, Worked, assess, assess_forked,
};

use crate::Outcome;
use crate::output::Output;

/// A node's state at one block, as a forked simulation reads it.
pub struct RpcState(EvmState);

fn state_err(e: impl std::fmt::Display) -> StateError {
    StateError(e.to_string())
}

impl ChainState for RpcState {
    fn block(&self) -> Result<PinnedBlock, StateError> {
        let (number, timestamp) = self.0.header().map_err(state_err)?;
        Ok(PinnedBlock { number, timestamp })
    }

    fn account(&self, address: [u8; 20]) -> Result<RemoteAccount, StateError> {
        Ok(RemoteAccount {
            balance: self.0.balance(&address).map_err(state_err)?,
            nonce: self.0.nonce(&address).map_err(state_err)?,
            code: self.0.code(&address).map_err(state_err)?,
        })
    }

    fn storage(&self, address: [u8; 20], slot: [u8; 32]) -> Result<[u8; 32], StateError> {
        self.0.storage(&address, &slot).map_err(state_err)
    }

    fn block_hash(&self, number: u64) -> Result<[u8; 32], StateError> {
        self.0.block_hash(number).map_err(state_err)
    }
}

/// JSON-RPC nodes per chain (`[token.rpc]`), each request bounded by `timeout`.
pub struct RpcStates {
    urls: BTreeMap<String, String>,
    timeout: Duration,
}

impl RpcStates {
    /// Nodes from `[token.rpc]`.
    pub fn new(urls: BTreeMap<String, String>, timeout: Duration) -> Self {
        Self { urls, timeout }
    }

    /// One node's state at `block`.
    pub fn state(url: &str, block: u64, timeout: Duration) -> Result<RpcState, TokenError> {
        let client = JsonRpcClient::new(url)
            .map_err(|e| TokenError::BadInput {
                field: "rpc".into(),
                reason: e.to_string(),
            })?
            .with_timeout(timeout);
        Ok(RpcState(EvmState::new(client, block)))
    }
}

impl StateSource for RpcStates {
    fn serves(&self, chain: &str) -> bool {
        self.urls.contains_key(chain)
    }

    fn at(&self, chain: &str, block: u64) -> Result<Box<dyn ChainState>, TokenError> {
        let url = self.urls.get(chain).ok_or_else(|| TokenError::BadInput {
            field: "fork".into(),
            reason: format!("no node is configured for chain {chain:?}"),
        })?;
        Ok(Box::new(Self::state(url, block, self.timeout)?))
    }
}

/// Per-request timeout of forked reads.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Assess tokens from JSON files (one token object, or an array of them; see
    /// docs/token.md): bytecode analysis, buy/sell simulation when creation code is given,
    /// holder and liquidity figures. Exit code 0: every token below --fail-score; 1: at least
    /// one at or above it; 2: unreadable input.
    Assess(AssessArgs),
    /// Assess a deployed token on a node's state at a block: its code is read from the chain
    /// and it is bought, moved and sold against its real pool (Uniswap V2 router by default).
    Fork(ForkArgs),
    /// Queue scans (input files as for `assess`) on the store's job queue; workers run them.
    Submit(SubmitArgs),
    /// Show a queued scan: its state and, once done, its assessment.
    Scan(ScanArgs),
    /// Run a scan worker against the store's job queue (until stopped, or with --once until
    /// nothing is due).
    Work(WorkArgs),
}

#[derive(Debug, Args)]
pub struct ForkArgs {
    /// JSON-RPC URL of a node (an archive node for old blocks).
    #[arg(long)]
    pub rpc: String,
    /// Block whose state is read.
    #[arg(long)]
    pub block: u64,
    /// Chain name recorded with the assessment.
    #[arg(long, default_value = "ethereum")]
    pub chain: String,
    /// The token's pool (default: the router's factory pair with wrapped ether).
    #[arg(long)]
    pub pair: Option<String>,
    /// A Uniswap V2 compatible router (default: Uniswap V2's).
    #[arg(long)]
    pub router: Option<String>,
    /// Score from which the token counts as flagged (exit code 1).
    #[arg(long, default_value_t = 67)]
    pub fail_score: u8,
    /// The token's address.
    pub address: String,
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// TOML configuration file (store URL, `[token]`).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Simulate on the chain's state at this block (a node in `[token.rpc]`) instead of
    /// from creation code.
    #[arg(long)]
    pub fork_block: Option<u64>,
    /// With --fork-block: the pool.
    #[arg(long)]
    pub pair: Option<String>,
    /// With --fork-block: the router.
    #[arg(long)]
    pub router: Option<String>,
    /// Input files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// TOML configuration file (store URL).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// The scan's id.
    pub id: u64,
}

#[derive(Debug, Args)]
pub struct WorkArgs {
    /// TOML configuration file (store URL, `[token]`).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// This worker's name (unique among running workers); default from the process id.
    #[arg(long)]
    pub worker: Option<String>,
    /// Stop when nothing is due instead of waiting for more.
    #[arg(long)]
    pub once: bool,
}

#[derive(Debug, Args)]
pub struct AssessArgs {
    /// Input files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Score from which a token counts as flagged (exit code 1).
    #[arg(long, default_value_t = 67)]
    pub fail_score: u8,
}

pub fn run(cmd: TokenCommand, out: &Output) -> Result<Outcome> {
    match cmd {
        TokenCommand::Assess(a) => assess_files(a, out),
        TokenCommand::Fork(a) => fork(a, out),
        TokenCommand::Submit(a) => runtime()?.block_on(submit(a, out)),
        TokenCommand::Scan(a) => runtime()?.block_on(scan(a, out)),
        TokenCommand::Work(a) => runtime()?.block_on(work(a, out)),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn fork(a: ForkArgs, out: &Output) -> Result<Outcome> {
    let input = TokenInput {
        chain: a.chain,
        address: a.address,
        ..TokenInput::default()
    };
    let state = RpcStates::state(&a.rpc, a.block, RPC_TIMEOUT)?;
    let spec = ForkSpec {
        pair: a.pair,
        router: a.router,
    };
    let r = assess_forked(&input, now_secs(), state, &spec).context("forked assessment")?;
    let flagged = r.score >= a.fail_score;
    out.emit(&r, || human(&r));
    Ok(if flagged {
        Outcome::Rejected
    } else {
        Outcome::Ok
    })
}

/// Holds the events a command's use case queues until it appends them.
#[derive(Default)]
struct Held(Mutex<Vec<NewEvent>>);

impl Audit for &Held {
    fn record(&self, event: NewEvent) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }
}

impl Held {
    async fn flush(&self, store: &Store) -> Result<()> {
        let queued = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        if !queued.is_empty() {
            store.append(queued).await.context("recording events")?;
        }
        Ok(())
    }
}

async fn open(config: Option<&PathBuf>) -> Result<(Config, Store)> {
    let cfg = Config::load(config.map(PathBuf::as_path)).context("loading configuration")?;
    let store = Store::open(cfg.store.url.expose(), cfg.store.max_connections)
        .await
        .context("opening the store")?;
    Ok((cfg, store))
}

fn scans<'a>(
    cfg: &Config,
    store: &Store,
    held: &'a Held,
) -> TokenScans<Store, SystemClock, Blocking, &'a Held> {
    TokenScans::new(
        store.clone(),
        SystemClock,
        Blocking::with_lanes(cfg.token.lanes),
        held,
        Arc::new(RpcStates::new(cfg.token.rpc.clone(), RPC_TIMEOUT)),
        cfg.token.scan_settings(),
    )
}

#[derive(serde::Serialize)]
struct Submitted {
    file: String,
    index: usize,
    id: u64,
    created: bool,
}

async fn submit(a: SubmitArgs, out: &Output) -> Result<Outcome> {
    let (cfg, store) = open(a.config.as_ref()).await?;
    let held = Held::default();
    let svc = scans(&cfg, &store, &held);
    let fork = a.fork_block.map(|block| ForkOrder {
        block,
        spec: ForkSpec {
            pair: a.pair.clone(),
            router: a.router.clone(),
        },
    });
    let mut done = Vec::new();
    for f in &a.files {
        for (index, input) in read(f)?.into_iter().enumerate() {
            let t = svc
                .submit(&ScanRequest {
                    input,
                    fork: fork.clone(),
                })
                .await
                .with_context(|| format!("{}: token {index}", f.display()))?;
            done.push(Submitted {
                file: f.display().to_string(),
                index,
                id: t.id,
                created: t.created,
            });
        }
    }
    out.emit(&done, || {
        done.iter()
            .map(|s| {
                format!(
                    "{} #{}: scan {}{}",
                    s.file,
                    s.index,
                    s.id,
                    if s.created { "" } else { " (already queued)" }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    store.close().await;
    Ok(Outcome::Ok)
}

async fn scan(a: ScanArgs, out: &Output) -> Result<Outcome> {
    let (cfg, store) = open(a.config.as_ref()).await?;
    let held = Held::default();
    let status = scans(&cfg, &store, &held)
        .status(a.id)
        .await?
        .with_context(|| format!("no scan {}", a.id))?;
    out.emit(&status, || {
        let mut s = format!(
            "scan {}: {} (attempt {} of {})",
            status.id, status.state, status.attempts, status.max_attempts
        );
        if let Some(e) = &status.error {
            s.push_str(&format!("\n  last error: {e}"));
        }
        if let Some(a) = &status.assessment {
            s.push('\n');
            s.push_str(&human(a));
        }
        s
    });
    store.close().await;
    Ok(match status.assessment {
        Some(a) if a.score >= cfg.token.flag_at => Outcome::Rejected,
        _ => Outcome::Ok,
    })
}

async fn work(a: WorkArgs, out: &Output) -> Result<Outcome> {
    let (cfg, store) = open(a.config.as_ref()).await?;
    let held = Held::default();
    let svc = scans(&cfg, &store, &held);
    let worker = a
        .worker
        .unwrap_or_else(|| format!("token-cli/pid-{}", std::process::id()));
    let poll = Duration::from_millis(cfg.token.poll_millis);
    let mut ran = 0u64;
    loop {
        let step = svc.work_once(&worker).await;
        held.flush(&store).await?;
        match step? {
            Worked::Idle if a.once => break,
            Worked::Idle => tokio::time::sleep(poll).await,
            w => {
                ran += 1;
                tracing::info!(worker = %worker, outcome = ?w, "token scan");
                out.note(format!("{w:?}"));
            }
        }
    }
    out.emit(
        &serde_json::json!({ "worker": worker, "scans": ran }),
        || format!("{worker}: {ran} scans"),
    );
    store.close().await;
    Ok(Outcome::Ok)
}

/// The scan workers `custodia serve` runs (`[token] workers`), each looping until `stop`.
pub fn spawn_workers<A>(
    scans: Arc<TokenScans<Store, custodia_api::token::SharedClock, Blocking, A>>,
    count: usize,
    poll: Duration,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>>
where
    A: Audit + Send + Sync + 'static,
{
    (0..count)
        .map(|i| {
            let scans = scans.clone();
            let worker = format!("serve/pid-{}/w{i}", std::process::id());
            crate::serve::every_until(poll, stop.clone(), move || {
                let (scans, worker) = (scans.clone(), worker.clone());
                async move {
                    // Drain what is due, then wait for the next tick.
                    loop {
                        match scans.work_once(&worker).await {
                            Ok(Worked::Idle) => break,
                            Ok(w) => tracing::info!(worker = %worker, outcome = ?w, "token scan"),
                            Err(e) => {
                                tracing::error!(worker = %worker, error = %e, "token scan worker");
                                break;
                            }
                        }
                    }
                }
            })
        })
        .collect()
}

fn read(path: &PathBuf) -> Result<Vec<TokenInput>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    let list = match v {
        serde_json::Value::Array(items) => items,
        other => vec![other],
    };
    list.into_iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::from_value(v).with_context(|| format!("{}: token {i}", path.display()))
        })
        .collect()
}

fn human(a: &Assessment) -> String {
    let mut s = format!(
        "{} {}: {} / 100 ({})",
        a.chain,
        a.address,
        a.score,
        a.level.as_str()
    );
    for r in &a.reasons {
        s.push_str(&format!("\n  +{:<3} {}", r.points, r.text));
    }
    s
}

fn assess_files(args: AssessArgs, out: &Output) -> Result<Outcome> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut results = Vec::new();
    for f in &args.files {
        for (i, input) in read(f)?.into_iter().enumerate() {
            let a = assess(&input, now).with_context(|| format!("{}: token {i}", f.display()))?;
            results.push(a);
        }
    }
    let flagged = results.iter().any(|a| a.score >= args.fail_score);
    out.emit(&results, || {
        results.iter().map(human).collect::<Vec<_>>().join("\n")
    });
    Ok(if flagged {
        Outcome::Rejected
    } else {
        Outcome::Ok
    })
}
