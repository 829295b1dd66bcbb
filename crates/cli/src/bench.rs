//! `custodia bench …`: throughput and memory on this machine, for docs/BENCHMARKS.md.

use std::io::Write;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use custodia_snapshot::demo::{ASSETS_FILE, DemoConfig, SNAPSHOT_FILE, generate};
use custodia_sumtree::{PADDING, RoundManifest, TreeShape, build_tree};
use p3_maybe_rayon::prelude::*;
use serde::Serialize;

use crate::Outcome;
use crate::output::Output;
use crate::por::{load_registry, load_snapshot};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Proof-of-reserves pipeline: snapshot ingestion, tree build, inclusion-proof generation.
    Por(PorBenchArgs),
    /// Proof of assets: verify a generated wallet file signed with every supported scheme.
    Reserves(ReservesBenchArgs),
    /// Threat intelligence: domain checks, address lookups and offline snapshots at production
    /// sizes (`custodia_guard::bench::run`).
    Guard(GuardBenchArgs),
    /// Login assessment in process, storage excluded: input validation, IP lookup, the
    /// likelihood-ratio score against the user's history and the population, the decision.
    Login(LoginBenchArgs),
    /// A user's check, as `custodia-verify` runs it: find the files, read them, verify the
    /// inclusion and the batch proof covering it (and the whole round if every proof is given).
    Verify(VerifyBenchArgs),
    /// The insurance fund: a synthetic flash crash settled in process, on SQLite and (with
    /// `--postgres`) PostgreSQL.
    Fund(crate::fund::FundBenchArgs),
    /// Scam-token detection: static analysis of the compiled fixtures (contracts/s on one
    /// thread) and full simulations (deploy, buy, sell, transfer, later buyer; ms per token).
    Token(TokenBenchArgs),
    /// User protection: order checks, the rules alone and through a SQLite store.
    Protect(ProtectBenchArgs),
}

#[derive(Debug, Args)]
pub struct TokenBenchArgs {
    /// Folder of compiled contracts (`{"creation", "runtime"}` JSON files, as
    /// crates/token/fixtures/regenerate.sh writes them).
    #[arg(long, default_value = "crates/token/fixtures/build")]
    pub fixtures: std::path::PathBuf,
    /// Static analyses timed (round-robin over the fixtures).
    #[arg(long, default_value_t = 20_000)]
    pub analyses: usize,
    /// Simulations timed (round-robin over the token fixtures).
    #[arg(long, default_value_t = 300)]
    pub simulations: usize,
    /// Scans run through the job queue (a fresh SQLite store; 0: skip): submitted, then
    /// drained by `--workers` workers.
    #[arg(long, default_value_t = 0)]
    pub scans: usize,
    /// Concurrent scan workers.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// A node to time forked simulations against (with --fork-block and --fork-token).
    #[arg(long)]
    pub rpc: Option<String>,
    /// The block forked simulations read.
    #[arg(long)]
    pub fork_block: Option<u64>,
    /// The deployed token forked simulations trade.
    #[arg(long)]
    pub fork_token: Option<String>,
    /// Forked simulations timed.
    #[arg(long, default_value_t = 20)]
    pub forks: usize,
}

#[derive(Debug, Args)]
pub struct VerifyBenchArgs {
    /// The files, folders or zip archives a user would give `custodia-verify`.
    #[arg(required = true)]
    pub paths: Vec<std::path::PathBuf>,
    /// Timed runs (after one warm-up run).
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
}

#[derive(Debug, Args)]
pub struct LoginBenchArgs {
    /// Users with a history.
    #[arg(long, default_value_t = 10_000)]
    pub users: usize,
    /// Logins learnt per user before timing.
    #[arg(long, default_value_t = 60)]
    pub history: usize,
    /// IPv4 ranges loaded (/20 blocks in ten countries; some Tor, VPN, hosting).
    #[arg(long, default_value_t = 50_000)]
    pub ranges: usize,
    /// Assessments timed.
    #[arg(long, default_value_t = 200_000)]
    pub logins: usize,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct GuardBenchArgs {
    /// Blocked domains loaded.
    #[arg(long, default_value_t = 300_000)]
    pub domains: usize,
    /// Domain checks timed (one third blocked, one third unlisted, one third brand look-alikes
    /// and official sites).
    #[arg(long, default_value_t = 200_000)]
    pub domain_queries: usize,
    /// Listed addresses loaded (EVM, Bitcoin, TRON, Solana).
    #[arg(long, default_value_t = 1_000_000)]
    pub addresses: usize,
    /// Address lookups timed (half of them listed).
    #[arg(long, default_value_t = 1_000_000)]
    pub address_queries: usize,
    /// Seed of the synthetic lists.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct ReservesBenchArgs {
    /// Wallets in the generated file.
    #[arg(long, default_value_t = 10_000)]
    pub wallets: usize,
}

#[derive(Debug, Args)]
pub struct PorBenchArgs {
    /// Users in the generated snapshot.
    #[arg(long, default_value_t = 1_000_000)]
    pub users: usize,
    /// Assets per user.
    #[arg(long, default_value_t = 22)]
    pub assets: usize,
    /// Leaves per batch, as a power of two.
    #[arg(long, default_value_t = custodia_round::DEFAULT_LOG_BATCH)]
    pub log_batch: u32,
    /// Demo-data seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Batches to prove for real with zero knowledge (0: skip the STARK); the time of the rest
    /// is extrapolated from them and reported as such.
    #[arg(long, default_value_t = 2)]
    pub prove_batches: usize,
    /// Batches proven at once (as `por prove --jobs`).
    #[arg(long, default_value_t = custodia_round::DEFAULT_JOBS)]
    pub jobs: usize,
}

pub fn run(cmd: BenchCommand, out: &Output) -> Result<Outcome> {
    match cmd {
        BenchCommand::Por(a) => por(a, out),
        BenchCommand::Guard(a) => guard(a, out),
        BenchCommand::Fund(a) => crate::fund::bench(a, out),
        BenchCommand::Login(a) => login(a, out),
        BenchCommand::Verify(a) => verify(a, out),
        BenchCommand::Token(a) => token(a, out),
        BenchCommand::Protect(a) => protect(a, out),
        BenchCommand::Reserves(a) => {
            let r = custodia_reserves::bench_verify(a.wallets);
            out.emit(&r, || {
                format!(
                    "{} wallets ({} signatures) on {} threads: parse {:.3} s, verify {:.3} s = {:.0} signatures/s; all verified: {}",
                    r.wallets, r.signatures, r.threads, r.parse_seconds, r.verify_seconds, r.signatures_per_second, r.all_verified
                )
            });
            Ok(if r.all_verified {
                Outcome::Ok
            } else {
                Outcome::Rejected
            })
        }
    }
}

#[derive(Serialize)]
struct VerifyReport {
    runs: usize,
    verified: bool,
    checks: usize,
    min_ms: f64,
    median_ms: f64,
    p95_ms: f64,
    max_ms: f64,
}

/// Times `custodia_verifier::bundle` end to end (discovery, reading, parsing, verification), the
/// code `custodia-verify` runs, minus process start.
fn verify(a: VerifyBenchArgs, out: &Output) -> Result<Outcome> {
    let once = || -> Result<custodia_verifier::bundle::Report> {
        let bundle = custodia_verifier::bundle::disk::discover(&a.paths)?;
        Ok(bundle.check(|_| {})?)
    };
    let first = once()?;
    let mut ms = Vec::with_capacity(a.runs.max(1));
    for _ in 0..a.runs.max(1) {
        let t = Instant::now();
        let r = once()?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(r == first, "two runs over the same files disagree");
    }
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    let r = VerifyReport {
        runs: ms.len(),
        verified: first.verified(),
        checks: first.findings.len(),
        min_ms: ms[0],
        median_ms: at(0.5),
        p95_ms: at(0.95),
        max_ms: ms[ms.len() - 1],
    };
    out.emit(&r, || {
        format!(
            "round {}: {} check(s), {}; {} runs: min {:.1} ms, median {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            first.round,
            r.checks,
            if r.verified { "verified" } else { "REJECTED" },
            r.runs,
            r.min_ms,
            r.median_ms,
            r.p95_ms,
            r.max_ms
        )
    });
    Ok(if r.verified {
        Outcome::Ok
    } else {
        Outcome::Rejected
    })
}

#[derive(Serialize)]
struct Stage {
    stage: &'static str,
    seconds: f64,
    rate: f64,
    unit: &'static str,
    peak_rss_mib: Option<f64>,
}

#[derive(Serialize)]
struct Report {
    stark: Option<StarkReport>,
    users: usize,
    assets: usize,
    threads: usize,
    stages: Vec<Stage>,
    inclusion_proof_bytes_avg: f64,
    inclusion_proof_bytes_max: usize,
    process_peak_rss_mib: Option<f64>,
}

/// Peak resident set size of this process so far (Linux `VmHWM`), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Resets the peak-RSS counter so the next reading covers only what follows (Linux ≥ 4.0).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn por(a: PorBenchArgs, out: &Output) -> Result<Outcome> {
    let dir = tempfile_dir()?;
    let mut stages = Vec::new();
    let mut stage = |name: &'static str, t: Instant, count: usize, unit: &'static str| {
        let s = t.elapsed().as_secs_f64();
        let st = Stage {
            stage: name,
            seconds: s,
            rate: count as f64 / s,
            unit,
            peak_rss_mib: peak_rss_mib(),
        };
        out.note(format!(
            "{:<26} {:>8.2} s {:>14.0} {}/s  peak RSS {:>8.1} MiB",
            st.stage,
            st.seconds,
            st.rate,
            st.unit,
            st.peak_rss_mib.unwrap_or(f64::NAN)
        ));
        stages.push(st);
    };

    let t = Instant::now();
    generate(
        &DemoConfig {
            users: a.users,
            assets: a.assets,
            seed: a.seed,
        },
        dir.path(),
    )?;
    stage("generate demo snapshot", t, a.users, "users");

    reset_peak_rss();
    let assets = load_registry(Some(&dir.path().join(ASSETS_FILE)))?;
    let t = Instant::now();
    let snapshot = load_snapshot(&dir.path().join(SNAPSHOT_FILE), &assets, None, out)?;
    stage("ingest wide CSV", t, a.users, "users");

    reset_peak_rss();
    let t = Instant::now();
    let shape = TreeShape::for_users(a.users, a.log_batch.min(20), 0)?;
    let built = build_tree(
        &snapshot.users,
        &snapshot.balances,
        snapshot.num_assets(),
        shape,
        &[9; 32],
        &custodia_sumtree::round_context(
            "bench",
            &custodia_sumtree::assets_digest(&snapshot.assets),
        ),
    )?;
    stage("build tree (padded)", t, a.users, "users");

    let boundaries = custodia_round::chain_boundaries(
        &built,
        &snapshot.balances,
        snapshot.num_assets(),
        &[9; 32],
    )?;
    let (equity, debt) = snapshot.totals();
    let manifest = RoundManifest::for_tree(
        "bench",
        "2026-01-01T00:00:00Z",
        &snapshot.assets,
        &built.tree,
        (&equity, &debt),
        None,
        custodia_round::chain_openings(&boundaries),
    );
    let writer =
        custodia_sumtree::ProofWriter::new(&manifest.round, &snapshot.assets, &manifest.root);
    reset_peak_rss();
    let t = Instant::now();
    // Every user's proof serialised to JSON in memory, batch by batch on every core.
    let sizes: Vec<(usize, usize, usize)> = (0..shape.num_batches())
        .into_par_iter()
        .map(|b| -> Result<(usize, usize, usize)> {
            let mut buf = Vec::with_capacity(1 << 20);
            let n = custodia_round::write_inclusion_batch(&mut buf, &writer, &snapshot, &built, b)?;
            let max = buf
                .split(|&c| c == b'\n')
                .map(<[u8]>::len)
                .max()
                .unwrap_or(0);
            Ok((n, buf.len() - n, max))
        })
        .collect::<Result<_>>()?;
    let proofs: usize = sizes.iter().map(|s| s.0).sum();
    stage("inclusion proofs (JSON)", t, proofs, "proofs");
    let bytes: usize = sizes.iter().map(|s| s.1).sum();
    let max = sizes.iter().map(|s| s.2).max().unwrap_or(0);
    debug_assert_eq!(
        built
            .layout
            .slot_user
            .iter()
            .filter(|&&u| u != PADDING)
            .count(),
        proofs
    );

    let stark = if a.prove_batches > 0 {
        Some(bench_stark(
            &a,
            &snapshot,
            &built,
            &boundaries,
            &manifest_with_prices(&manifest, &snapshot)?,
            &mut stage,
        )?)
    } else {
        None
    };

    let report = Report {
        stark,
        users: a.users,
        assets: a.assets,
        threads: p3_maybe_rayon::prelude::current_num_threads(),
        stages,
        inclusion_proof_bytes_avg: bytes as f64 / proofs.max(1) as f64,
        inclusion_proof_bytes_max: max,
        process_peak_rss_mib: peak_rss_mib(),
    };
    out.emit(&report, || {
        let mut s = format!(
            "{} users x {} assets on {} threads; inclusion proofs avg {:.0} B, max {} B",
            report.users,
            report.assets,
            report.threads,
            report.inclusion_proof_bytes_avg,
            report.inclusion_proof_bytes_max
        );
        if let Some(st) = &report.stark {
            s.push_str(&format!(
                "\nzk-STARK: {} of {} batches of {} leaves proven ({} at once), {:.1} s per batch = {:.0} users/s; \
                 whole round {:.1} min{}; peak RSS {:.0} MiB; proof {} bytes; verify {:.1} ms per batch, \
                 {:.2} s for the round",
                st.batches_proven,
                st.batches_total,
                st.leaves_per_batch,
                st.jobs,
                st.seconds_per_batch,
                st.users_per_second,
                st.round_seconds / 60.0,
                if st.round_seconds_extrapolated { " (extrapolated)" } else { "" },
                st.peak_rss_mib.unwrap_or(f64::NAN),
                st.proof_bytes,
                st.verify_ms_per_batch,
                st.round_verify_seconds
            ));
        }
        s
    });
    std::io::stdout().flush().context("stdout")?;
    Ok(Outcome::Ok)
}

#[derive(Serialize)]
struct StarkReport {
    batches_proven: usize,
    /// Batches proven at once.
    jobs: usize,
    batches_total: usize,
    leaves_per_batch: usize,
    seconds_per_batch: f64,
    users_per_second: f64,
    /// Proving time for every batch of the round, one after the other on this machine:
    /// `seconds_per_batch × batches_total`, extrapolated unless every batch was proven.
    round_seconds: f64,
    round_seconds_extrapolated: bool,
    peak_rss_mib: Option<f64>,
    proof_bytes: usize,
    verify_ms_per_batch: f64,
    /// Verifying every batch proof of the round (extrapolated like `round_seconds`).
    round_verify_seconds: f64,
}

/// The bench round gets the demo prices so the collateral rule has something to check.
fn manifest_with_prices(
    m: &RoundManifest,
    snapshot: &custodia_snapshot::Snapshot,
) -> Result<RoundManifest> {
    let prices = custodia_snapshot::demo::demo_prices(&snapshot.assets);
    let mut m = m.clone();
    m.prices = Some(custodia_round::commit_prices(&snapshot.assets, &prices)?);
    Ok(m)
}

fn bench_stark(
    a: &PorBenchArgs,
    snapshot: &custodia_snapshot::Snapshot,
    built: &custodia_sumtree::BuiltTree,
    boundaries: &[custodia_air::chain::Boundary],
    manifest: &RoundManifest,
    stage: &mut impl FnMut(&'static str, Instant, usize, &'static str),
) -> Result<StarkReport> {
    use custodia_sumtree::witness::BatchWitness;
    let shape = manifest.shape;
    let n = a.prove_batches.min(shape.num_batches());
    reset_peak_rss();
    let t = Instant::now();
    let proofs = custodia_round::concurrently(n, a.jobs, |b| {
        let w = BatchWitness::from_tree(built, &snapshot.balances, snapshot.num_assets(), b);
        custodia_round::prove_batch(manifest, b, &w, (&boundaries[b], &boundaries[b + 1]))
    })?;
    let prove_secs = t.elapsed().as_secs_f64();
    stage("zk-STARK batch proofs", t, n * shape.batch_size(), "leaves");
    let peak = peak_rss_mib();
    let t = Instant::now();
    // One after the other: the time per batch is what one verifier spends on one proof.
    for p in &proofs {
        custodia_verifier::verify_batch(&p.proof, &p.public)
            .context("a fresh proof must verify")?;
    }
    let verify_secs = t.elapsed().as_secs_f64();
    let per_batch = prove_secs / n as f64;
    let verify_per = verify_secs / n as f64;
    Ok(StarkReport {
        batches_proven: n,
        jobs: a.jobs,
        batches_total: shape.num_batches(),
        leaves_per_batch: shape.batch_size(),
        seconds_per_batch: per_batch,
        users_per_second: shape.batch_size() as f64 / per_batch,
        round_seconds: per_batch * shape.num_batches() as f64,
        round_seconds_extrapolated: n < shape.num_batches(),
        peak_rss_mib: peak,
        proof_bytes: proofs.first().map_or(0, |p| p.proof.len()),
        verify_ms_per_batch: verify_per * 1e3,
        round_verify_seconds: verify_per * shape.num_batches() as f64,
    })
}

fn tempfile_dir() -> Result<TempDir> {
    let base = std::env::temp_dir().join(format!("custodia-bench-{}", std::process::id()));
    std::fs::create_dir_all(&base).with_context(|| format!("creating {}", base.display()))?;
    Ok(TempDir(base))
}

/// A scratch folder removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `custodia bench guard`: the guard's in-process figures (docs/threat-intel.md §7).
fn guard(a: GuardBenchArgs, out: &Output) -> Result<Outcome> {
    if a.domains == 0 || a.domain_queries == 0 || a.addresses == 0 || a.address_queries == 0 {
        anyhow::bail!(
            "--domains, --domain-queries, --addresses and --address-queries must be at least 1"
        );
    }
    out.note(format!(
        "guard: {} blocked domains, {} listed addresses (seed {}) ...",
        a.domains, a.addresses, a.seed
    ));
    let r = custodia_guard::bench::run(custodia_guard::bench::BenchConfig {
        blocked_domains: a.domains,
        domain_queries: a.domain_queries,
        addresses: a.addresses,
        address_queries: a.address_queries,
        seed: a.seed,
    });
    let us = |ns: u64| ns as f64 / 1000.0;
    out.emit(&r, || {
        format!(
            "domains:   {} blocked, checker built in {:.2} s; check p50 {:.2} µs, p90 {:.2} µs, p99 {:.2} µs, mean {:.2} µs\n\
             \x20          blocked p50 {:.2} µs, unlisted p50 {:.2} µs, brand look-alikes p50 {:.2} µs\n\
             addresses: {} listed, index built in {:.2} s; lookups {:.2} M/s, parse + lookup {:.2} M/s (one thread), {:.2} M/s on {} threads\n\
             snapshot:  {:.1} MB, built in {:.2} s, read and verified in {:.2} s, {:.2} M lookups/s\n\
             compact:   {:.2} MB, built in {:.2} s, read and verified in {:.2} s, {:.2} M lookups/s\n\
             delta:     {} entries changed (1% of each list replaced): {:.1} kB, computed in {:.2} s, applied in {:.2} s",
            r.blocked_domains,
            r.domain_build_s,
            us(r.domain_check.p50_ns),
            us(r.domain_check.p90_ns),
            us(r.domain_check.p99_ns),
            us(r.domain_check.mean_ns),
            us(r.domain_check_blocked.p50_ns),
            us(r.domain_check_unlisted.p50_ns),
            us(r.domain_check_brand.p50_ns),
            r.addresses,
            r.address_build_s,
            r.address_lookups_per_s / 1e6,
            r.address_screens_per_s / 1e6,
            r.address_screens_per_s_all_cores / 1e6,
            r.threads,
            r.snapshot_bytes as f64 / 1e6,
            r.snapshot_write_s,
            r.snapshot_read_s,
            r.snapshot_lookups_per_s / 1e6,
            r.compact_bytes as f64 / 1e6,
            r.compact_write_s,
            r.compact_read_s,
            r.compact_lookups_per_s / 1e6,
            r.compact_delta_changes,
            r.compact_delta_bytes as f64 / 1e3,
            r.compact_delta_write_s,
            r.compact_delta_apply_s,
        )
    });
    Ok(Outcome::Ok)
}

#[derive(Serialize)]
struct LoginBenchReport {
    users: usize,
    history: usize,
    ranges: usize,
    logins: usize,
    setup_s: f64,
    p50_us: f64,
    p90_us: f64,
    p99_us: f64,
    mean_us: f64,
    per_s_one_thread: f64,
    decisions: std::collections::BTreeMap<&'static str, usize>,
}

/// `custodia bench login`: one assessment's pure work (what `LoginService::assess` does
/// between reading the store and writing to it), timed one by one on one thread.
fn login(a: LoginBenchArgs, out: &Output) -> Result<Outcome> {
    use custodia_events::Timestamp;
    use custodia_login::{
        Facts, GeoLookup as _, GeoSources, LoginInput, Profile, RangeTable, RulePolicy, ScoreModel,
        decide, score,
    };
    if a.users == 0 || a.logins == 0 || a.ranges == 0 || a.ranges > 200_000 {
        anyhow::bail!("--users and --logins must be at least 1, --ranges 1 to 200000");
    }
    out.note(format!(
        "login: {} users x {} logins of history, {} ranges (seed {}) ...",
        a.users, a.history, a.ranges, a.seed
    ));
    let mut rng = a.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let setup = Instant::now();
    const COUNTRIES: [(&str, f64, f64); 10] = [
        ("FR", 48.86, 2.35),
        ("DE", 52.52, 13.40),
        ("GB", 51.51, -0.13),
        ("US", 40.71, -74.01),
        ("BR", -23.55, -46.63),
        ("NG", 6.52, 3.38),
        ("IN", 19.08, 72.88),
        ("JP", 35.68, 139.69),
        ("SG", 1.35, 103.82),
        ("AU", -33.87, 151.21),
    ];
    // /20 blocks from 16.0.0.0 up; block i is in country i % 10.
    let block = |i: usize| 0x1000_0000u32 + (i as u32) * 4096;
    let mut csv = String::with_capacity(a.ranges * 64);
    for i in 0..a.ranges {
        let (c, lat, lon) = COUNTRIES[i % 10];
        let kind = match i % 100 {
            7 => "tor",
            13 | 14 => "vpn",
            21..=24 => "hosting",
            _ => "",
        };
        let (s, e) = (block(i), block(i) + 4095);
        csv.push_str(&format!(
            "{},{},{c},{},{lat},{lon},{kind}\n",
            std::net::Ipv4Addr::from(s),
            std::net::Ipv4Addr::from(e),
            64_500 + i
        ));
    }
    let geo = GeoSources::ranges_only(RangeTable::parse(&csv).context("synthetic ranges")?);
    let ua = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
        "okhttp/4.12.0 (Linux; Android 14)",
    ];
    let half_life = 90 * 86_400_000i64;
    let t0 = 1_767_225_600_000i64;
    let home = |u: usize| (u * 7919) % a.ranges;
    let ip_in =
        |b: usize, r: u64| std::net::Ipv4Addr::from(block(b) + (r % 4096) as u32).to_string();
    let mut population = Profile::default();
    let mut users = Vec::with_capacity(a.users);
    for u in 0..a.users {
        let mut p = Profile::default();
        for k in 0..a.history {
            let at =
                Timestamp::from_millis(t0 + (k as i64) * 43_200_000 + (u as i64 % 3_600) * 1000);
            let input = LoginInput::parse(
                &format!("user-{u}"),
                Some(at),
                &ip_in(home(u), next()),
                &format!("dev-{u}-{}", k % 2),
                ua[u % ua.len()],
                "success",
                at,
                300_000,
            )?;
            let g = geo.lookup(input.ip);
            let obs = input.observation(&g);
            p.observe(&obs, at, half_life);
            population.observe(&obs, at, half_life);
        }
        users.push(p);
    }
    let now = t0 + (a.history as i64) * 43_200_000;
    // The timed logins: 90% the user at home on a known device, 5% travelling on a new device,
    // 5% from somewhere else entirely (an attacker).
    let inputs: Vec<(usize, String, String, &str)> = (0..a.logins)
        .map(|_| {
            let u = (next() as usize) % a.users;
            let r = next() % 100;
            let (b, dev) = match r {
                0..=89 => (home(u), format!("dev-{u}-{}", r % 2)),
                90..=94 => ((home(u) + 3) % a.ranges, format!("new-{r}")),
                _ => ((next() as usize) % a.ranges, format!("bot-{r}")),
            };
            (
                u,
                ip_in(b, next()),
                dev,
                ua[(u + (r as usize / 95)) % ua.len()],
            )
        })
        .collect();
    let setup_s = setup.elapsed().as_secs_f64();
    let (model, rules) = (ScoreModel::default(), RulePolicy::default());
    let mut lat_ns = Vec::with_capacity(a.logins);
    let mut decisions = std::collections::BTreeMap::new();
    let at = Timestamp::from_millis(now);
    for (u, ip, dev, agent) in &inputs {
        let start = Instant::now();
        let input = LoginInput::parse(
            &format!("user-{u}"),
            Some(at),
            ip,
            dev,
            agent,
            "success",
            at,
            300_000,
        )?;
        let g = geo.lookup(input.ip);
        let obs = input.observation(&g);
        let user = &users[*u];
        let (s, parts) = score(&model, user, &population, &obs);
        let verdict = decide(
            &rules,
            &Facts {
                at,
                geo: g,
                score: (s, &parts),
                last_success: user.last_success,
                locked_until: None,
                bad_ip: g.network.listed,
                accounts_failed_from_ip: 0,
                accounts_failed_from_subnet: 0,
                stuffing_accounts: 20,
                spraying_accounts: 50,
            },
        );
        lat_ns.push(start.elapsed().as_nanos() as u64);
        *decisions.entry(verdict.decision.as_str()).or_insert(0) += 1;
    }
    let total: u64 = lat_ns.iter().sum();
    lat_ns.sort_unstable();
    let pct = |p: f64| {
        let i = ((lat_ns.len() as f64 * p).ceil() as usize).clamp(1, lat_ns.len()) - 1;
        lat_ns[i] as f64 / 1000.0
    };
    let mean_us = total as f64 / lat_ns.len() as f64 / 1000.0;
    let r = LoginBenchReport {
        users: a.users,
        history: a.history,
        ranges: a.ranges,
        logins: a.logins,
        setup_s,
        p50_us: pct(0.5),
        p90_us: pct(0.9),
        p99_us: pct(0.99),
        mean_us,
        per_s_one_thread: 1e6 / mean_us,
        decisions,
    };
    out.emit(&r, || {
        format!(
            "login assessment (in process, storage excluded): {} logins of {} users ({} logins of history each), {} IP ranges\n\
             p50 {:.2} µs, p90 {:.2} µs, p99 {:.2} µs, mean {:.2} µs = {:.0} assessments/s on one thread; decisions {:?}",
            r.logins, r.users, r.history, r.ranges, r.p50_us, r.p90_us, r.p99_us, r.mean_us, r.per_s_one_thread, r.decisions
        )
    });
    Ok(Outcome::Ok)
}

/// The market's own contracts and the proxy's implementation: compiled with the fixtures but
/// not tokens deployable on their own.
const NOT_TOKENS: &[&str] = &["Quote", "Factory", "Pair", "Router", "HoneypotImpl"];

#[derive(Serialize)]
struct TokenBench {
    contracts: usize,
    mean_runtime_bytes: usize,
    analyses: usize,
    analyses_per_s: f64,
    analysis_mean_us: f64,
    simulated_tokens: usize,
    simulations: usize,
    simulation_mean_ms: f64,
    simulation_p50_ms: f64,
    simulation_p99_ms: f64,
    simulation_max_ms: f64,
    scans: Option<ScanBench>,
    fork: Option<ForkBench>,
}

#[derive(Serialize)]
struct ScanBench {
    scans: usize,
    workers: usize,
    submit_per_s: f64,
    scans_per_s: f64,
    wall_s: f64,
}

#[derive(Serialize)]
struct ForkBench {
    runs: usize,
    mean_ms: f64,
    p50_ms: f64,
    max_ms: f64,
    state_reads: u32,
}

/// Scans through the real queue on a fresh SQLite store: submit `n` (distinct addresses), then
/// `workers` workers drain them, each scan a full simulation.
fn scan_bench(
    tokens: &[Vec<custodia_token::Deployment>],
    n: usize,
    workers: usize,
) -> Result<ScanBench> {
    use custodia_events::SystemClock;
    use custodia_token::{NoChainState, ScanRequest, TokenInput, TokenScans, Worked};
    let dir = std::env::temp_dir().join(format!("custodia-scan-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}", dir.join("scans.db").display());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let r = rt.block_on(async {
        let store = custodia_store::Store::open(&url, 8).await?;
        let audit = custodia_api::Recorder::spawn(store.clone(), &custodia_api::Metrics::new());
        let scans = std::sync::Arc::new(TokenScans::new(
            store.clone(),
            SystemClock,
            custodia_api::Blocking::with_lanes(workers),
            audit.clone(),
            std::sync::Arc::new(NoChainState),
            custodia_token::ScanSettings::default(),
        ));
        let started = Instant::now();
        for i in 0..n {
            let input = TokenInput {
                chain: "ethereum".into(),
                address: format!("0x{:040x}", i + 1),
                runtime_code: "0x00".into(),
                deploy: tokens[i % tokens.len()].clone(),
                ..TokenInput::default()
            };
            scans.submit(&ScanRequest { input, fork: None }).await?;
        }
        let submit_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let mut tasks = Vec::new();
        for w in 0..workers {
            let scans = scans.clone();
            tasks.push(tokio::spawn(async move {
                let mut done = 0usize;
                loop {
                    match scans.work_once(&format!("bench-{w}")).await? {
                        Worked::Idle => break,
                        Worked::Done { .. } => done += 1,
                        other => anyhow::bail!("scan failed: {other:?}"),
                    }
                }
                Ok::<usize, anyhow::Error>(done)
            }));
        }
        let mut done = 0;
        for t in tasks {
            done += t.await??;
        }
        let wall = started.elapsed().as_secs_f64();
        if done != n {
            anyhow::bail!("{done} of {n} scans done");
        }
        audit.flush().await;
        store.close().await;
        Ok::<ScanBench, anyhow::Error>(ScanBench {
            scans: n,
            workers,
            submit_per_s: n as f64 / submit_s,
            scans_per_s: n as f64 / wall,
            wall_s: wall,
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
    r
}

fn fork_bench(rpc: &str, block: u64, token: &str, runs: usize) -> Result<ForkBench> {
    use custodia_token::{ForkSpec, SimConfig, simulate_fork};
    let mut ms = Vec::with_capacity(runs);
    let mut reads = 0;
    for _ in 0..runs.max(1) {
        let state = crate::token::RpcStates::state(rpc, block, crate::token::RPC_TIMEOUT)?;
        let t = Instant::now();
        let (_, f) = simulate_fork(state, token, &ForkSpec::default(), &SimConfig::default())
            .map_err(|e| anyhow::anyhow!("forked simulation failed: {e}"))?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        reads = f.state_reads;
    }
    ms.sort_by(f64::total_cmp);
    Ok(ForkBench {
        runs: ms.len(),
        mean_ms: ms.iter().sum::<f64>() / ms.len() as f64,
        p50_ms: ms[ms.len() / 2],
        max_ms: ms[ms.len() - 1],
        state_reads: reads,
    })
}

/// `custodia bench token`: the two figures, on one thread.
fn token(a: TokenBenchArgs, out: &Output) -> Result<Outcome> {
    use custodia_token::{Deployment, SimConfig, analyze, decode_hex, simulate};
    if a.analyses == 0 || a.simulations == 0 {
        anyhow::bail!("--analyses and --simulations must be at least 1");
    }
    let mut runtimes = Vec::new();
    let mut tokens = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&a.fixtures)
        .with_context(|| format!("reading {}", a.fixtures.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    for p in &names {
        let v: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        )
        .with_context(|| format!("{}: not JSON", p.display()))?;
        let field = |f: &str| {
            v[f].as_str()
                .map(str::to_owned)
                .with_context(|| format!("{}: no `{f}`", p.display()))
        };
        let runtime = decode_hex(&field("runtime")?, "runtime_code")
            .with_context(|| p.display().to_string())?;
        runtimes.push(runtime);
        let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        // The proxy needs its implementation deployed first: the tests cover it; the timing
        // uses the tokens that deploy alone.
        if !NOT_TOKENS.contains(&stem) && stem != "UpgradeableProxy" {
            tokens.push(vec![Deployment {
                creation_code: field("creation")?,
                args: vec![],
            }]);
        }
    }
    if runtimes.is_empty() || tokens.is_empty() {
        anyhow::bail!("{}: no compiled contracts", a.fixtures.display());
    }
    out.note(format!(
        "token: {} contracts ({} tokens simulated) from {} ...",
        runtimes.len(),
        tokens.len(),
        a.fixtures.display()
    ));
    // The copy of the code is part of each analysis, as it is for a request.
    let started = Instant::now();
    for i in 0..a.analyses {
        let code = runtimes[i % runtimes.len()].clone();
        std::hint::black_box(analyze(code, "runtime_code"))
            .map_err(|e| anyhow::anyhow!("analysis failed: {e}"))?;
    }
    let analysis_s = started.elapsed().as_secs_f64();
    let cfg = SimConfig::default();
    let mut ms = Vec::with_capacity(a.simulations);
    for i in 0..a.simulations {
        let t = Instant::now();
        std::hint::black_box(simulate(&tokens[i % tokens.len()], &cfg))
            .map_err(|e| anyhow::anyhow!("simulation failed: {e}"))?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    let pick = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    let r = TokenBench {
        contracts: runtimes.len(),
        mean_runtime_bytes: runtimes.iter().map(Vec::len).sum::<usize>() / runtimes.len(),
        analyses: a.analyses,
        analyses_per_s: a.analyses as f64 / analysis_s,
        analysis_mean_us: analysis_s * 1e6 / a.analyses as f64,
        simulated_tokens: tokens.len(),
        simulations: a.simulations,
        simulation_mean_ms: ms.iter().sum::<f64>() / ms.len() as f64,
        simulation_p50_ms: pick(0.5),
        simulation_p99_ms: pick(0.99),
        simulation_max_ms: pick(1.0),
        scans: if a.scans > 0 {
            out.note(format!(
                "token: {} scans through the job queue, {} workers ...",
                a.scans, a.workers
            ));
            Some(scan_bench(&tokens, a.scans, a.workers.max(1))?)
        } else {
            None
        },
        fork: match (&a.rpc, a.fork_block, &a.fork_token) {
            (Some(rpc), Some(block), Some(token)) => Some(fork_bench(rpc, block, token, a.forks)?),
            (None, None, None) => None,
            _ => anyhow::bail!("--rpc, --fork-block and --fork-token go together"),
        },
    };
    out.emit(&r, || {
        format!(
            "static analysis: {} contracts (mean {} bytes), {} analyses, {:.0} contracts/s, {:.1} µs each (one thread)\n\
             simulation:      {} tokens, {} simulations, mean {:.2} ms, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms per token",
            r.contracts,
            r.mean_runtime_bytes,
            r.analyses,
            r.analyses_per_s,
            r.analysis_mean_us,
            r.simulated_tokens,
            r.simulations,
            r.simulation_mean_ms,
            r.simulation_p50_ms,
            r.simulation_p99_ms,
            r.simulation_max_ms,
        ) + &r.scans.as_ref().map_or(String::new(), |s| format!(
            "\nscans (queue):   {} scans, {} workers, {:.0} submitted/s, {:.1} scans/s ({:.2} s)",
            s.scans, s.workers, s.submit_per_s, s.scans_per_s, s.wall_s
        )) + &r.fork.as_ref().map_or(String::new(), |f| format!(
            "\nforked:          {} runs, mean {:.1} ms, p50 {:.1} ms, max {:.1} ms, {} state reads each",
            f.runs, f.mean_ms, f.p50_ms, f.max_ms, f.state_reads
        ))
    });
    Ok(Outcome::Ok)
}

#[derive(Debug, Args)]
pub struct ProtectBenchArgs {
    /// Accounts in the store (a tenth in a cooling-off, half registered as old and checked).
    #[arg(long, default_value_t = 10_000)]
    pub users: usize,
    /// Order checks timed.
    #[arg(long, default_value_t = 200_000)]
    pub checks: usize,
    /// Concurrent checkers through the store (an HTTP server has one per request in flight;
    /// the store batches the reads of concurrent checks).
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Store URL (`postgres://…`) instead of a SQLite file in a temporary folder. Accounts get a
    /// per-run prefix, so runs against one database do not meet.
    #[arg(long)]
    pub store: Option<String>,
}

#[derive(Debug, Serialize)]
struct ProtectBench {
    users: usize,
    checks: usize,
    rules_per_sec: f64,
    store_per_sec: f64,
    store_p99_us: f64,
    denied: usize,
    concurrency: usize,
    engine: &'static str,
}

/// Order checks: the rules alone (validated orders, facts in memory), then the use case through
/// a store (SQLite in a temporary folder, or `--store`), concurrent checks sharing batched
/// reads as `serve` runs them.
fn protect(a: ProtectBenchArgs, out: &Output) -> Result<Outcome> {
    use std::sync::Arc;

    use custodia_events::{Audit, Clock as _, ManualClock, NewEvent, SeededEntropy, Timestamp};
    use custodia_protect::{
        AccountFacts, NewAccountPolicy, Order, OrderInput, ProtectService, ProtectSettings,
        check_order,
    };
    if a.users == 0 || a.checks == 0 || a.concurrency == 0 {
        anyhow::bail!("--users, --checks and --concurrency must be at least 1");
    }
    struct Quiet;
    impl Audit for Quiet {
        fn record(&self, _: NewEvent) {}
    }
    const T0: i64 = 1_767_225_600_000;
    // A shared database keeps earlier runs' accounts: name this run's apart.
    let prefix = match &a.store {
        Some(_) => format!(
            "b{}-",
            custodia_events::SystemClock.now().as_millis() % 1_000_000_000
        ),
        None => String::new(),
    };
    let input = |u: usize, i: usize| OrderInput {
        user: format!("{prefix}u{u}"),
        channel: ["web", "app", "api", "websocket"][i % 4].into(),
        product: "perpetual".into(),
        instrument: "BTC-USDT-SWAP".into(),
        side: if i.is_multiple_of(3) { "sell" } else { "buy" }.into(),
        pos_side: "net".into(),
        size: "2".into(),
        reduce_only: i.is_multiple_of(7),
        position: "5".into(),
        leverage: "3".into(),
        position_usd_cents: 100_000,
        order_usd_cents: 50_000,
    };
    let orders: Vec<Order> = (0..a.checks)
        .map(|i| Order::parse(&input(i % a.users, i)))
        .collect::<Result<_, _>>()?;
    // 1. The rules.
    let policy = NewAccountPolicy::default();
    let now = Timestamp::from_millis(T0);
    let facts = AccountFacts {
        opened_at: Some(Timestamp::from_millis(T0 - 400 * 86_400_000)),
        knowledge_at: Some(Timestamp::from_millis(T0)),
    };
    let started = Instant::now();
    let mut denied_rules = 0usize;
    for o in &orders {
        denied_rules += usize::from(!check_order(&policy, None, facts, now, o).allowed());
    }
    let rules_per_sec = a.checks as f64 / started.elapsed().as_secs_f64();
    std::hint::black_box(denied_rules);

    // 2. Through the store.
    let dir = tempfile_dir()?;
    let url = match &a.store {
        Some(u) => u.clone(),
        None => format!("sqlite://{}", dir.path().join("bench.db").display()),
    };
    let engine = if url.starts_with("sqlite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (store_per_sec, p99, denied) = rt.block_on(async {
        let store = custodia_store::Store::open(&url, 8).await?;
        let clock = ManualClock::new(Timestamp::from_millis(T0 - 400 * 86_400_000));
        let svc = Arc::new(ProtectService::new(
            store.clone(),
            Arc::new(clock.clone()),
            Arc::new(SeededEntropy::new(1)),
            ProtectSettings::default(),
        ));
        for u in 0..a.users {
            let id = custodia_primitives::AccountId::new(format!("{prefix}u{u}"))?;
            if u.is_multiple_of(2) {
                svc.register_account(&id, clock.now(), "bench").await?;
                svc.pass_knowledge_check(&id, "bench").await?;
            }
        }
        clock.set(Timestamp::from_millis(T0));
        for u in (0..a.users).step_by(10) {
            let id = custodia_primitives::AccountId::new(format!("{prefix}u{u}"))?;
            svc.start_cooling_off(&id, 30, "bench").await?;
        }
        let orders = Arc::new(orders);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for w in 0..a.concurrency {
            let (svc, orders, n) = (svc.clone(), orders.clone(), a.concurrency);
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut denied = 0usize;
                for o in orders.iter().skip(w).step_by(n) {
                    let t = Instant::now();
                    let d = svc.check(&Quiet, o).await?;
                    lat.push(t.elapsed().as_secs_f64() * 1e6);
                    denied += usize::from(!d.allowed());
                }
                anyhow::Ok((lat, denied))
            }));
        }
        let mut lat = Vec::new();
        let mut denied = 0;
        for t in tasks {
            let (l, d) = t.await??;
            lat.extend(l);
            denied += d;
        }
        let per_sec = a.checks as f64 / started.elapsed().as_secs_f64();
        lat.sort_by(f64::total_cmp);
        let p99 = lat[(lat.len() * 99 / 100).min(lat.len() - 1)];
        store.close().await;
        anyhow::Ok((per_sec, p99, denied))
    })?;
    drop(dir);
    let r = ProtectBench {
        users: a.users,
        checks: a.checks,
        rules_per_sec,
        store_per_sec,
        store_p99_us: p99,
        denied,
        concurrency: a.concurrency,
        engine,
    };
    out.emit(&r, || {
        format!(
            "order checks: rules {:.0}/s; through {} ({} users, {} checkers) {:.0}/s, p99 {:.0} µs, {} denied",
            r.rules_per_sec, r.engine, r.users, r.concurrency, r.store_per_sec, r.store_p99_us, r.denied
        )
    });
    Ok(Outcome::Ok)
}
