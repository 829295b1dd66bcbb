//! `custodia fund …` (pools, top-ups, transfers, the journal) and `custodia bench fund` (a
//! synthetic flash crash). Glue only: the rules are in `custodia-fund`, storage in
//! `custodia-store`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use custodia_api::Config;
use custodia_events::{SystemClock, Timestamp};
use custodia_fund::sim::{self, FlashCrash};
use custodia_fund::{
    AdlPolicy, Book, EntryKind, FundRepo as _, FundService, JournalQuery, OpKey, Outcome as Done,
    PoolId, Request,
};
use custodia_primitives::Amount;
use custodia_store::Store;
use serde::Serialize;

use crate::Outcome;
use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum FundCommand {
    /// Every pool: balance, 8-hour peak, floor, ADL episode in force.
    Pools(FundArgs),
    /// The exchange adds to a pool (recorded as the operator's decision).
    TopUp(TopUpArgs),
    /// Move funds between two pools of one currency, or back to the exchange.
    Transfer(TransferArgs),
    /// The journal of one pool, newest first.
    History(HistoryArgs),
}

#[derive(Debug, Args)]
pub struct FundArgs {
    /// TOML configuration file (store URL, `[fund]` pools).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TopUpArgs {
    #[command(flatten)]
    pub common: FundArgs,
    /// The operator making the decision (recorded as `operator:<name>`).
    #[arg(long)]
    pub operator: String,
    /// Idempotency key: running the command again with it changes nothing.
    #[arg(long)]
    pub key: String,
    /// The pool (`swap:BTC-USDT:USDT`).
    #[arg(long)]
    pub pool: String,
    /// Amount in the pool's currency (`250000`, `1.5`).
    #[arg(long)]
    pub amount: String,
}

#[derive(Debug, Args)]
pub struct TransferArgs {
    #[command(flatten)]
    pub common: FundArgs,
    /// The operator making the decision.
    #[arg(long)]
    pub operator: String,
    /// Idempotency key.
    #[arg(long)]
    pub key: String,
    /// Paying pool.
    #[arg(long)]
    pub from: String,
    /// Receiving pool; without it the funds go back to the exchange.
    #[arg(long)]
    pub to: Option<String>,
    /// Amount in the pools' currency.
    #[arg(long)]
    pub amount: String,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub common: FundArgs,
    /// The pool.
    #[arg(long)]
    pub pool: String,
    /// Lines (1–100).
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn service(path: Option<&PathBuf>) -> Result<(Store, FundService<Store>)> {
    let cfg = Config::load(path.map(PathBuf::as_path)).context("loading configuration")?;
    let settings = cfg.fund.settings().context("[fund]")?;
    let store = Store::open(cfg.store.url.expose(), cfg.store.max_connections)
        .await
        .context("opening the store")?;
    let svc = FundService::new(store.clone(), Arc::new(SystemClock), settings)?;
    svc.ensure_pools().await?;
    Ok((store, svc))
}

fn decimals(svc: &FundService<Store>, pool: &PoolId) -> Result<u8> {
    svc.settings()
        .pools
        .iter()
        .find(|p| &p.id == pool)
        .map(|p| p.decimals)
        .with_context(|| format!("pool {pool} is not configured in [fund]"))
}

#[derive(Serialize)]
struct PoolLine {
    pool: String,
    balance: String,
    max_bal: String,
    floor: String,
    adl_type: Option<&'static str>,
}

#[derive(Serialize)]
struct Posted {
    key: String,
    replayed: bool,
    balances: Vec<(String, String)>,
}

pub fn run(cmd: FundCommand, out: &Output) -> Result<Outcome> {
    let rt = runtime()?;
    match cmd {
        FundCommand::Pools(a) => {
            let lines = rt.block_on(async {
                let (store, svc) = service(a.config.as_ref()).await?;
                let pools = svc.pools().await?;
                store.close().await;
                anyhow::Ok(
                    pools
                        .into_iter()
                        .map(|p| {
                            let d = p.spec.decimals;
                            PoolLine {
                                pool: p.spec.id.to_string(),
                                balance: p.balance.to_decimal(d),
                                max_bal: p.peak.to_decimal(d),
                                floor: p.spec.floor.to_decimal(d),
                                adl_type: p.adl.map(|(t, _)| t.as_str()),
                            }
                        })
                        .collect::<Vec<_>>(),
                )
            })?;
            out.emit(&lines, || {
                lines
                    .iter()
                    .map(|l| {
                        format!(
                            "{:<24} balance {:>20}  8h peak {:>20}  floor {}{}",
                            l.pool,
                            l.balance,
                            l.max_bal,
                            l.floor,
                            l.adl_type
                                .map(|t| format!("  ADL: {t}"))
                                .unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        FundCommand::TopUp(a) => {
            let posted = rt.block_on(async {
                let (store, svc) = service(a.common.config.as_ref()).await?;
                let pool: PoolId = a.pool.parse()?;
                let d = decimals(&svc, &pool)?;
                let amount = Amount::parse(&a.amount, d).context("--amount")?;
                let r = svc
                    .top_up(&a.operator, OpKey::new(a.key.clone())?, pool, amount)
                    .await?;
                store.close().await;
                anyhow::Ok(posted(&svc, a.key, r.replayed, &r.outcome))
            })?;
            emit_posted(out, &posted);
        }
        FundCommand::Transfer(a) => {
            let posted = rt.block_on(async {
                let (store, svc) = service(a.common.config.as_ref()).await?;
                let from: PoolId = a.from.parse()?;
                let to = a.to.as_deref().map(str::parse::<PoolId>).transpose()?;
                let d = decimals(&svc, &from)?;
                let amount = Amount::parse(&a.amount, d).context("--amount")?;
                let r = svc
                    .transfer(&a.operator, OpKey::new(a.key.clone())?, from, to, amount)
                    .await?;
                store.close().await;
                anyhow::Ok(posted(&svc, a.key, r.replayed, &r.outcome))
            })?;
            emit_posted(out, &posted);
        }
        FundCommand::History(a) => {
            let rows = rt.block_on(async {
                let (store, svc) = service(a.common.config.as_ref()).await?;
                let pool: PoolId = a.pool.parse()?;
                let d = decimals(&svc, &pool)?;
                let rows = svc
                    .journal(JournalQuery {
                        pool: Some(pool),
                        limit: a.limit,
                        ..Default::default()
                    })
                    .await?;
                store.close().await;
                anyhow::Ok(
                    rows.into_iter()
                        .map(|r| {
                            let amt = Amount::new(r.amount.unsigned_abs())
                                .map(|x| x.to_decimal(d))
                                .unwrap_or_default();
                            serde_json::json!({
                                "id": r.id,
                                "ts": r.at.to_iso8601_millis(),
                                "type": r.kind.as_str(),
                                "amt": if r.amount < 0 { format!("-{amt}") } else { amt },
                                "balance": Amount::new(r.balance).map(|b| b.to_decimal(d)),
                                "adlType": r.adl_type,
                                "key": r.key,
                            })
                        })
                        .collect::<Vec<_>>(),
                )
            })?;
            out.emit(&rows, || {
                rows.iter()
                    .map(|r| {
                        format!(
                            "{} {} {:<28} {:>20} → {}{}",
                            r["id"],
                            r["ts"].as_str().unwrap_or_default(),
                            r["type"].as_str().unwrap_or_default(),
                            r["amt"].as_str().unwrap_or_default(),
                            r["balance"].as_str().unwrap_or_default(),
                            r["adlType"]
                                .as_str()
                                .map(|t| format!(" ({t})"))
                                .unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(Outcome::Ok)
}

fn posted(svc: &FundService<Store>, key: String, replayed: bool, o: &Done) -> Posted {
    Posted {
        key,
        replayed,
        balances: o
            .legs
            .iter()
            .filter_map(|l| {
                let b = l.balance?;
                let d = svc
                    .settings()
                    .pools
                    .iter()
                    .find(|p| p.id.as_str() == l.account)?
                    .decimals;
                Some((l.account.clone(), Amount::new(b)?.to_decimal(d)))
            })
            .collect(),
    }
}

fn emit_posted(out: &Output, p: &Posted) {
    out.emit(p, || {
        let mut s = format!(
            "{} {}",
            p.key,
            if p.replayed {
                "was already applied: nothing changed"
            } else {
                "applied"
            }
        );
        for (pool, b) in &p.balances {
            s.push_str(&format!("\n  {pool}: {b}"));
        }
        s
    });
}

#[derive(Debug, Args)]
pub struct FundBenchArgs {
    /// Positions in the crash (half long, half short).
    #[arg(long, default_value_t = 100_000)]
    pub positions: usize,
    /// Fall of the mark, basis points.
    #[arg(long, default_value_t = 3_000)]
    pub drop_bp: u64,
    /// Over this many seconds.
    #[arg(long, default_value_t = 60)]
    pub duration_secs: i64,
    /// The pool's balance before the crash, USDT.
    #[arg(long, default_value_t = 2_000_000)]
    pub fund_usdt: u64,
    /// Liquidations per store transaction (at most 1000, the service's largest batch).
    #[arg(long, default_value_t = 1_000)]
    pub batch: usize,
    /// SQLite file to use (default: a new file in the temporary directory).
    #[arg(long)]
    pub sqlite: Option<PathBuf>,
    /// Also run against this PostgreSQL database (a fresh schema is not created: use an empty
    /// database).
    #[arg(long)]
    pub postgres: Option<String>,
    /// Seed of the population.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// In-process replays of the crash (each on a fresh book); the median is reported.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
}

#[derive(Debug, Default, Serialize)]
struct CrashReport {
    engine: String,
    liquidations: u64,
    seconds: f64,
    per_second: f64,
    /// CPU time of the whole process over the run (every thread, SQLite's included; the
    /// PostgreSQL server's not), and liquidations per CPU second: the machine may be shared.
    cpu_seconds: f64,
    per_cpu_second: f64,
    /// In process: every replay's wall seconds, in order (the median is `seconds`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    run_seconds: Vec<f64>,
    fund_start_usdt: String,
    fund_end_usdt: String,
    fund_low_usdt: String,
    drawdown_pct: f64,
    surplus_usdt: String,
    covered_usdt: String,
    adl_absorbed_usdt: String,
    uncovered_usdt: String,
    adl_episodes: u64,
    positions_deleveraged: u64,
}

#[derive(Default)]
struct Sums {
    n: u64,
    low: u64,
    surplus: u128,
    covered: u128,
    adl: u128,
    uncovered: u128,
    episodes: u64,
    deleveraged: u64,
}

impl Sums {
    fn add(&mut self, o: &Done) {
        let Some(s) = &o.settled else { return };
        self.n += 1;
        self.low = self.low.min(s.balance);
        self.surplus += u128::from(s.surplus);
        self.covered += u128::from(s.covered);
        self.adl += u128::from(s.adl_absorbed);
        self.uncovered += u128::from(s.uncovered);
        self.deleveraged += s.deleveraged.len() as u64;
        // An episode's start is the pool's ADL line naming its type (the deleveraged
        // positions' own ADL legs carry none).
        self.episodes += o
            .legs
            .iter()
            .filter(|l| {
                l.kind == EntryKind::Adl
                    && l.adl_type
                        .as_deref()
                        .is_some_and(|t| t != custodia_fund::ADL_END)
            })
            .count() as u64;
    }

    fn report(&self, engine: &str, secs: f64, cpu: f64, start: u64, end: u64) -> CrashReport {
        let usdt = |u: u128| format!("{:.2}", u as f64 / 1e6);
        CrashReport {
            engine: engine.into(),
            liquidations: self.n,
            seconds: secs,
            per_second: self.n as f64 / secs.max(1e-9),
            cpu_seconds: cpu,
            per_cpu_second: self.n as f64 / cpu.max(1e-9),
            fund_start_usdt: usdt(start.into()),
            fund_end_usdt: usdt(end.into()),
            fund_low_usdt: usdt(self.low.into()),
            drawdown_pct: 100.0 * (start.saturating_sub(self.low)) as f64 / start.max(1) as f64,
            surplus_usdt: usdt(self.surplus),
            covered_usdt: usdt(self.covered),
            adl_absorbed_usdt: usdt(self.adl),
            uncovered_usdt: usdt(self.uncovered),
            adl_episodes: self.episodes,
            positions_deleveraged: self.deleveraged,
            run_seconds: Vec::new(),
        }
    }
}

const T0: i64 = 1_767_225_600_000;

/// This process's CPU time so far (user + system, every thread), seconds, from
/// `/proc/self/stat` (clock ticks of 1/100 s); 0 where there is no such file.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The command name may hold spaces: the fields after it start past the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / 100.0
}

fn crash(a: &FundBenchArgs) -> FlashCrash {
    FlashCrash::new(
        a.seed,
        a.positions,
        650_000,
        a.drop_bp,
        a.duration_secs * 1000,
        Timestamp::from_millis(T0),
    )
}

fn seed_request(units: u64) -> Request {
    Request {
        key: OpKey::new("bench-seed").expect("valid key"),
        actor: "operator:bench".into(),
        op: custodia_fund::Operation::TopUp {
            pool: sim::swap(),
            amount: Amount::new(units).expect("fund below 2^62 units"),
        },
    }
}

async fn on_store(a: &FundBenchArgs, store: &Store, engine: &str) -> Result<CrashReport> {
    let policy = AdlPolicy::default();
    let start = a.fund_usdt * 1_000_000;
    let t0 = Timestamp::from_millis(T0 - 1);
    store.ensure_pools(&sim::specs(0), t0).await?;
    store.submit(&[seed_request(start)], &policy, t0).await?;
    let mut c = crash(a);
    let mut sums = Sums {
        low: start,
        ..Default::default()
    };
    let began = Instant::now();
    let cpu0 = cpu_seconds();
    while c.remaining() > 0 {
        let batch = c.next_batch(a.batch);
        let at = batch.last().map(|(_, t)| *t).unwrap_or(t0);
        let reqs: Vec<Request> = batch.into_iter().map(|(r, _)| r).collect();
        for r in store.submit(&reqs, &policy, at).await? {
            let r = r?;
            c.observe(&r.outcome);
            sums.add(&r.outcome);
        }
    }
    let secs = began.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let end = store
        .pools()
        .await?
        .into_iter()
        .find(|p| p.spec.id == sim::swap())
        .map(|p| p.balance.units())
        .unwrap_or(0);
    Ok(sums.report(engine, secs, cpu, start, end))
}

pub fn bench(a: FundBenchArgs, out: &Output) -> Result<Outcome> {
    if a.positions == 0 || a.batch == 0 || a.batch > custodia_fund::MAX_BATCH {
        bail!("--positions must be positive and --batch 1 to 1000");
    }
    let mut reports = Vec::new();
    // In process: the ledger alone, every liquidation its own operation. The crash's
    // generator depends on the ledger's answers (ADL shrinks the candidates), so it runs first
    // on a book of its own, recording the requests; a fresh book then settles the recording,
    // timed, without the generator's work.
    {
        let start = a.fund_usdt * 1_000_000;
        let t0 = Timestamp::from_millis(T0 - 1);
        let mut c = crash(&a);
        let all = c.liquidations();
        let mut recording = Vec::with_capacity(all);
        {
            let mut book = Book::new(&sim::specs(0), AdlPolicy::default(), t0)?;
            book.submit(&seed_request(start), t0)?;
            while c.remaining() > 0 {
                for (r, at) in c.next_batch(1_000) {
                    let (o, _) = book.submit(&r, at)?;
                    c.observe(&o);
                    recording.push((r, at));
                }
            }
        }
        // Replayed `--runs` times, each on a fresh book; the median run is reported (the
        // first run of a process pays for first-touch page faults and cold caches).
        let mut runs = Vec::with_capacity(a.runs.max(1));
        let mut last = None;
        for _ in 0..a.runs.max(1) {
            let mut book = Book::new(&sim::specs(0), AdlPolicy::default(), t0)?;
            book.submit(&seed_request(start), t0)?;
            let mut outcomes = Vec::with_capacity(all);
            let began = Instant::now();
            let cpu0 = cpu_seconds();
            for (r, at) in &recording {
                outcomes.push(book.submit(r, *at)?.0);
            }
            runs.push((began.elapsed().as_secs_f64(), cpu_seconds() - cpu0));
            last = Some((book, outcomes));
        }
        let (book, outcomes) = last.expect("at least one run");
        let times: Vec<f64> = runs.iter().map(|r| r.0).collect();
        runs.sort_by(|x, y| x.0.total_cmp(&y.0));
        let (secs, cpu) = runs[runs.len() / 2];
        let mut sums = Sums {
            low: start,
            ..Default::default()
        };
        for o in &outcomes {
            sums.add(o);
        }
        let end = book.pool(&sim::swap()).map_or(0, |p| p.balance.units());
        let mut r = sums.report("in-process", secs, cpu, start, end);
        r.liquidations = all as u64;
        r.run_seconds = times;
        reports.push(r);
    }
    let rt = runtime()?;
    let dir = std::env::temp_dir().join(format!("custodia-fund-bench-{}", std::process::id()));
    let path = match &a.sqlite {
        Some(p) => p.clone(),
        None => {
            std::fs::create_dir_all(&dir)?;
            dir.join("fund.db")
        }
    };
    let sqlite = rt.block_on(async {
        let store = Store::open(&format!("sqlite://{}", path.display()), 4).await?;
        let r = on_store(&a, &store, "sqlite").await;
        store.close().await;
        r
    });
    if a.sqlite.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    reports.push(sqlite?);
    if let Some(url) = &a.postgres {
        reports.push(rt.block_on(async {
            let store = Store::open(url, 4).await?;
            let r = on_store(&a, &store, "postgres").await;
            store.close().await;
            r
        })?);
    }
    out.emit(&reports, || {
        reports
            .iter()
            .map(|r| {
                let runs = if r.run_seconds.len() > 1 {
                    let lo = r.run_seconds.iter().copied().fold(f64::MAX, f64::min);
                    let hi = r.run_seconds.iter().copied().fold(0.0, f64::max);
                    format!(
                        " | median of {} replays ({lo:.2}–{hi:.2} s)",
                        r.run_seconds.len()
                    )
                } else {
                    String::new()
                };
                format!(
                    "{:<10} {:>7} liquidations in {:>7.2} s = {:>9.0}/s ({:.2} CPU s = {:.0}/CPU s) | fund {} → low {} ({:.1} % drawdown) → {} USDT | surplus {} covered {} ADL {} uncovered {} | {} ADL episode(s), {} position(s) deleveraged",
                    r.engine,
                    r.liquidations,
                    r.seconds,
                    r.per_second,
                    r.cpu_seconds,
                    r.per_cpu_second,
                    r.fund_start_usdt,
                    r.fund_low_usdt,
                    r.drawdown_pct,
                    r.fund_end_usdt,
                    r.surplus_usdt,
                    r.covered_usdt,
                    r.adl_absorbed_usdt,
                    r.uncovered_usdt,
                    r.adl_episodes,
                    r.positions_deleveraged
                ) + &runs
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(Outcome::Ok)
}
