//! `custodia demo`: the whole pipeline on generated data, and the data generator itself.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use custodia_round::folder::INCLUSION_DIR;
use custodia_round::{Blobs, BuildParams};
use custodia_snapshot::demo::{DemoConfig, generate};
use custodia_sumtree::InclusionProof;
use serde::Serialize;

use crate::Outcome;
use crate::output::Output;
use crate::por::{load_registry, load_snapshot};
use crate::round_dir::{self, Bars};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DemoArgs {
    #[command(subcommand)]
    pub command: Option<DemoCommand>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Write a demo snapshot, asset registry and price file.
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of users.
    #[arg(long, default_value_t = 10_000)]
    pub users: usize,
    /// Number of assets (the 22 defaults first, then synthetic tokens).
    #[arg(long, default_value_t = 22)]
    pub assets: usize,
    /// RNG seed: the same seed writes the same files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder.
    #[arg(long, default_value = "custodia-out/demo-data")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Number of demo users.
    #[arg(long, default_value_t = 10_000)]
    pub users: usize,
    /// Number of assets.
    #[arg(long, default_value_t = 22)]
    pub assets: usize,
    /// Seed for the demo data and the round.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Leaves per batch, as a power of two (7 to 20).
    #[arg(long, default_value_t = custodia_round::DEFAULT_LOG_BATCH, value_parser = clap::value_parser!(u32).range(7..=20))]
    pub log_batch: u32,
    /// Working folder (replaced on every run).
    #[arg(long, default_value = "custodia-out/demo")]
    pub out: PathBuf,
    /// The calendar month the demo exchange lives through (`YYYY-MM`, UTC); the round is
    /// that month's and the security report is for it.
    #[arg(long, default_value = DEFAULT_MONTH)]
    pub month: String,
    /// Users active in the simulated month (logins, keys, withdrawals, deposits, orders); 0
    /// skips the month and the report. Default: a twenty-fifth of --users, 8 to 400.
    #[arg(long)]
    pub month_users: Option<usize>,
}

/// The demo's month: fixed, so the same seed gives the same report whenever it runs.
pub const DEFAULT_MONTH: &str = "2026-11";

pub fn run(args: DemoArgs, out: &Output) -> Result<Outcome> {
    match args.command {
        Some(DemoCommand::Generate(g)) => generate_only(g, out),
        None => pipeline(args.run, out),
    }
}

fn demo_config(users: usize, assets: usize, seed: u64) -> Result<DemoConfig> {
    if users == 0 {
        bail!("--users must be at least 1");
    }
    Ok(DemoConfig {
        users,
        assets,
        seed,
    })
}

fn generate_only(a: GenerateArgs, out: &Output) -> Result<Outcome> {
    let cfg = demo_config(a.users, a.assets, a.seed)?;
    let spin = out.spinner(&format!("generating {} users", a.users));
    let s = generate(&cfg, &a.out)?;
    spin.finish_and_clear();
    #[derive(Serialize)]
    struct Report {
        status: &'static str,
        users: usize,
        assets: usize,
        users_with_debt: usize,
        empty_users: usize,
        zero_balances: u64,
        out: String,
    }
    let r = Report {
        status: "generated",
        users: s.users,
        assets: s.assets,
        users_with_debt: s.users_with_debt,
        empty_users: s.empty_users,
        zero_balances: s.zero_balances,
        out: a.out.display().to_string(),
    };
    out.emit(&r, || {
        format!(
            "demo data written to {}: {} users, {} assets, {} with margin debt, {} zero cells",
            r.out, r.users, r.assets, r.users_with_debt, r.zero_balances
        )
    });
    Ok(Outcome::Ok)
}

#[derive(Serialize)]
struct Step {
    step: &'static str,
    seconds: f64,
    detail: String,
}

#[derive(Serialize)]
struct ReserveLine {
    asset: String,
    reserves: String,
    ratio_percent: Option<String>,
}

#[derive(Serialize)]
struct PipelineReport {
    status: &'static str,
    round: String,
    users: usize,
    assets: usize,
    padded_leaves: usize,
    batches: usize,
    root: String,
    inclusion_verified: usize,
    tampered_rejected: bool,
    round_verified: bool,
    user_check_verified: bool,
    totals: Vec<custodia_sumtree::AssetTotals>,
    reserves: Vec<ReserveLine>,
    steps: Vec<Step>,
    /// What the simulated month's clients were answered (absent with --month-users 0).
    month: Option<crate::demo_month::MonthFacts>,
    /// The security report written for the month.
    report: Option<ReportLine>,
    out: String,
}

#[derive(Serialize)]
struct ReportLine {
    month: String,
    files: Vec<String>,
    sections_recorded: usize,
    sections_empty: Vec<String>,
    verify: &'static str,
    checkpoint_key: String,
    config: String,
    public_round: String,
    user_file: Option<String>,
}

/// Seed bytes for the demo round, derived from the demo seed so runs are reproducible.
fn demo_round_seed(seed: u64) -> [u8; 32] {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&seed.to_le_bytes());
    s[8..16].copy_from_slice(b"demo-rnd");
    s
}

fn pipeline(a: RunArgs, out: &Output) -> Result<Outcome> {
    let cfg = demo_config(a.users, a.assets, a.seed)?;
    let month = custodia_report::Month::parse(&a.month)?;
    let data = a.out.join("data");
    let round_path = a.out.join("round");
    let service = a.out.join("service");
    let public = a.out.join("public");
    let report_dir = a.out.join("report");
    for d in [&data, &service, &public, &report_dir] {
        if d.exists() {
            fs::remove_dir_all(d).with_context(|| format!("clearing {}", d.display()))?;
        }
    }
    let month_users = a.month_users.unwrap_or((a.users / 25).clamp(8, 400));
    let mut steps = Vec::new();
    let mut timed = |step: &'static str, t: Instant, detail: String| {
        out.note(format!(
            "  {step:<28} {:>8.2} s  {detail}",
            t.elapsed().as_secs_f64()
        ));
        steps.push(Step {
            step,
            seconds: t.elapsed().as_secs_f64(),
            detail,
        });
    };
    out.note(format!(
        "Custodia demo: {} users x {} assets (seed {}), the month of {} with {} active users",
        a.users,
        a.assets,
        a.seed,
        month.long_name(),
        month_users
    ));

    // The month first: the exchange's services record it through their own code and store.
    let simulated = if month_users > 0 {
        let t = Instant::now();
        fs::create_dir_all(&service).with_context(|| format!("creating {}", service.display()))?;
        let s = crate::demo_month::simulate(&service, month, month_users, a.seed, out)?;
        timed(
            "simulate the month",
            t,
            format!(
                "{} events in the log, signed checkpoint at the month's end",
                s.facts.head_seq
            ),
        );
        Some(s)
    } else {
        None
    };

    let t = Instant::now();
    let summary = generate(&cfg, &data)?;
    timed(
        "generate demo data",
        t,
        format!("{} users with margin debt", summary.users_with_debt),
    );

    let t = Instant::now();
    let assets = load_registry(Some(&data.join(custodia_snapshot::demo::ASSETS_FILE)))?;
    let prices =
        custodia_snapshot::load_prices(&data.join(custodia_snapshot::demo::PRICES_FILE), &assets)?;
    let snapshot = load_snapshot(
        &data.join(custodia_snapshot::demo::SNAPSHOT_FILE),
        &assets,
        None,
        out,
    )?;
    timed(
        "ingest snapshot",
        t,
        format!("{} users", snapshot.num_users()),
    );

    let t = Instant::now();
    let params = BuildParams {
        round: month.to_string(),
        // The snapshot is taken at the month's last second (not the wall clock: the same seed
        // gives the same round files, hence the same report).
        snapshot_time: format!(
            "{}Z",
            &custodia_events::Timestamp::from_millis(month.end().as_millis() - 1000)
                .to_iso8601_millis()[..19]
        ),
        log_batch: a.log_batch.min(
            snapshot
                .num_users()
                .next_power_of_two()
                .trailing_zeros()
                .max(1),
        ),
        min_log_leaves: 0,
        seed: demo_round_seed(a.seed),
        previous: None,
    };
    let manifest = custodia_round::build_folder(
        &snapshot,
        Some(&prices),
        &params,
        &round_dir::open(&round_path),
        true,
        &Bars::new(out),
    )?
    .manifest;
    timed(
        "build round",
        t,
        format!(
            "2^{} leaves, {} batches, collateral checked",
            manifest.shape.log_leaves,
            manifest.shape.num_batches()
        ),
    );

    let t = Instant::now();
    let (verified, sample) = verify_all_inclusion(&round_path, &manifest, out)?;
    timed(
        "verify every inclusion proof",
        t,
        format!("{verified} verified"),
    );
    if verified != snapshot.num_users() {
        bail!(
            "only {verified} of {} inclusion proofs verified",
            snapshot.num_users()
        );
    }
    // Negative twin, shown to the operator: one unit more in a balance is caught.
    let tampered_rejected = match sample.clone() {
        Some(mut p) => {
            if let Some((_, v)) = p.equity.0.first_mut() {
                *v = format!("{v}1");
            }
            p.verify(&manifest.root).is_err()
        }
        None => true,
    };

    // The zk-STARK: every batch proven (zero knowledge, 100-bit policy), then the whole round and
    // one user's full check verified the way an auditor and a user would.
    let t = Instant::now();
    let proven = crate::prove::prove_all(&round_path, false, custodia_round::DEFAULT_JOBS, out)?;
    timed(
        "prove every batch (zk-STARK)",
        t,
        format!(
            "{} proofs, {:.1} MB",
            proven.batches,
            proven.proof_bytes as f64 / 1e6
        ),
    );
    let t = Instant::now();
    let round_ok = match crate::prove::aggregate(&round_path, out)? {
        Ok(_) => true,
        Err(e) => {
            out.note(format!("round verification FAILED: {e}"));
            false
        }
    };
    timed(
        "verify the whole round",
        t,
        if round_ok {
            "verified".into()
        } else {
            "REJECTED".into()
        },
    );
    let t = Instant::now();
    let user_ok = match &sample {
        Some(p) => custodia_verifier::round::verify_user(&manifest, p, |b| {
            crate::prove::read_batch(&round_path, b)
        })
        .is_ok(),
        None => true,
    };
    timed(
        "one user's full check",
        t,
        if user_ok {
            "verified".into()
        } else {
            "REJECTED".into()
        },
    );

    // Proof of assets: the demo exchange signs the round-bound message with real keys on every
    // verifiable chain; the verifier checks each signature and computes per-asset reserve ratios.
    let t = Instant::now();
    let reserves = demo_reserves(&round_path, &manifest, a.seed)?;
    timed(
        "proof of assets",
        t,
        format!(
            "{} wallets verified, {} rejected, below 100%: {}",
            reserves.summary.wallets_verified,
            reserves.summary.wallets_rejected,
            if reserves.summary.assets_below_100.is_empty() {
                "none".to_owned()
            } else {
                reserves
                    .summary
                    .assets_below_100
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
    );

    // The month's security report from the store and the round's public folder, then checked
    // the way anyone holding both would.
    let mut user_file = None;
    if let Some(p) = &sample {
        let f = a.out.join("my-inclusion.json");
        fs::write(&f, p.to_json()).with_context(|| format!("writing {}", f.display()))?;
        user_file = Some(f.display().to_string());
    }
    let report = match &simulated {
        Some(s) => {
            let t = Instant::now();
            custodia_round::check_publish_paths(&round_path, &public)?;
            custodia_round::publish_public(
                &round_dir::open(&round_path),
                &round_dir::open(&public),
                true,
            )?;
            let quiet = Output::new(out.json(), true);
            let por = crate::report::por_input(Some(&public), None, &quiet)?;
            let r = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(crate::report::build_report(
                    Some(&s.config),
                    "Custodia Demo Exchange",
                    month,
                    None,
                    por,
                ))?;
            let files = crate::report::write_report(&r, &report_dir)?;
            timed(
                "write the security report",
                t,
                format!(
                    "{} of {} sections with figures",
                    r.sections.iter().filter(|x| x.recorded).count(),
                    r.sections.len()
                ),
            );
            let t = Instant::now();
            let v = crate::report::verify_report(
                &crate::report::VerifyArgs {
                    report: report_dir.join("report.json"),
                    config: Some(s.config.clone()),
                    round: Some(public.clone()),
                    previous_round: None,
                    checkpoint_key: Some(s.checkpoint_public.clone()),
                },
                &quiet,
            )?;
            timed("report verify", t, v.status.to_owned());
            Some(ReportLine {
                month: month.to_string(),
                files,
                sections_recorded: r.sections.iter().filter(|x| x.recorded).count(),
                sections_empty: r
                    .sections
                    .iter()
                    .filter(|x| !x.recorded)
                    .map(|x| x.id.clone())
                    .collect(),
                verify: v.status,
                checkpoint_key: s.checkpoint_public.clone(),
                config: s.config.display().to_string(),
                public_round: public.display().to_string(),
                user_file: user_file.clone(),
            })
        }
        None => None,
    };
    let report_ok = report.as_ref().is_none_or(|r| r.verify == "identical");

    let all_ok = tampered_rejected && round_ok && user_ok && report_ok;
    let pipeline = PipelineReport {
        status: if all_ok { "ok" } else { "failed" },
        round_verified: round_ok,
        user_check_verified: user_ok,
        round: manifest.round.clone(),
        users: snapshot.num_users(),
        assets: snapshot.num_assets(),
        padded_leaves: manifest.shape.num_leaves(),
        batches: manifest.shape.num_batches(),
        root: manifest.root.to_hex(),
        inclusion_verified: verified,
        tampered_rejected,
        totals: manifest.totals.clone(),
        reserves: reserves
            .assets
            .iter()
            .map(|r| ReserveLine {
                asset: r.asset.to_string(),
                reserves: r.reserves_decimal.clone(),
                ratio_percent: r.ratio_percent.clone(),
            })
            .collect(),
        steps,
        month: simulated.map(|s| s.facts),
        report,
        out: a.out.display().to_string(),
    };
    out.emit(&pipeline, || human_summary(&pipeline));
    Ok(if tampered_rejected && report_ok {
        Outcome::Ok
    } else {
        Outcome::Rejected
    })
}

/// Generates the demo exchange's wallet file (real keys, real signatures) and verifies it.
fn demo_reserves(
    round: &Path,
    manifest: &custodia_sumtree::RoundManifest,
    seed: u64,
) -> Result<custodia_reserves::ReservesReport> {
    let registry = crate::reserves::round_registry(round)?;
    let liabilities = crate::reserves::liabilities(manifest)?;
    let demo = custodia_reserves::demo_wallets(
        &registry,
        &liabilities,
        &custodia_reserves::DemoConfig::new("Custodia Demo Exchange", seed),
    )?;
    let wallets = round.join("wallets.csv");
    fs::write(&wallets, &demo.wallet_file)
        .with_context(|| format!("writing {}", wallets.display()))?;
    fs::write(round.join("reserves.toml"), demo.params.to_toml())?;
    let mut params = demo.params;
    crate::reserves::verify_and_write(
        &wallets,
        round,
        &mut params,
        &custodia_reserves::StatedBalances,
        &round.join("reserves.json"),
    )
}

fn verify_all_inclusion(
    round: &Path,
    manifest: &custodia_sumtree::RoundManifest,
    out: &Output,
) -> Result<(usize, Option<InclusionProof>)> {
    use p3_maybe_rayon::prelude::*;
    let (root, list) = (&manifest.root, manifest.asset_list());
    let blobs = round_dir::open(round);
    let files = blobs.list(INCLUSION_DIR)?;
    let bar = out.bar(files.len() as u64, "inclusion files");
    let counts = files
        .par_iter()
        .map(|key| -> Result<(usize, Option<InclusionProof>)> {
            let f = blobs.location(key);
            let text =
                String::from_utf8(blobs.get(key)?).with_context(|| format!("reading {f}"))?;
            let mut n = 0;
            let mut sample = None;
            for line in text.lines() {
                let p = InclusionProof::from_json(line.as_bytes())?.bind_assets(&list)?;
                p.verify(root)
                    .with_context(|| format!("{} in {f}", p.user_id))?;
                if sample.is_none() && !p.equity.0.is_empty() {
                    sample = Some(p);
                }
                n += 1;
            }
            bar.inc(1);
            Ok((n, sample))
        })
        .collect::<Result<Vec<_>>>()?;
    bar.finish_and_clear();
    let total = counts.iter().map(|c| c.0).sum();
    Ok((total, counts.into_iter().find_map(|c| c.1)))
}

fn human_summary(r: &PipelineReport) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "\nRound {}: {} users, {} assets, tree of {} leaves ({} batches)\n",
        r.round, r.users, r.assets, r.padded_leaves, r.batches
    ));
    s.push_str(&format!("Liabilities root: {}\n", r.root));
    s.push_str(&format!(
        "zk-STARK: {} batch proofs {}; one user's full check {}\n",
        r.batches,
        if r.round_verified {
            "verified (non-negative, collateralised leaves; exact totals)"
        } else {
            "REJECTED"
        },
        if r.user_check_verified {
            "verified"
        } else {
            "REJECTED"
        }
    ));
    s.push_str(&format!(
        "Inclusion proofs: {} of {} verified; a tampered proof was {}\n\n",
        r.inclusion_verified,
        r.users,
        if r.tampered_rejected {
            "rejected"
        } else {
            "ACCEPTED (bug!)"
        }
    ));
    s.push_str(&format!(
        "{:<8} {:>26} {:>22} {:>26} {:>9}\n",
        "asset", "total equity", "total debt", "verified reserves", "ratio"
    ));
    for (t, res) in r.totals.iter().zip(&r.reserves) {
        let ratio = res
            .ratio_percent
            .as_deref()
            .map_or("-".to_owned(), |p| format!("{p}%"));
        s.push_str(&format!(
            "{:<8} {:>26} {:>22} {:>26} {:>9}\n",
            t.asset.as_str(),
            t.equity.to_decimal(t.decimals),
            t.debt.to_decimal(t.decimals),
            res.reserves,
            ratio
        ));
    }
    if r.reserves.iter().any(|res| res.ratio_percent.is_none()) {
        s.push_str("(-: nothing owed net in that asset, debt at least equity: no ratio)\n");
    }
    if let Some(m) = &r.report {
        s.push_str(&format!(
            "\nSecurity report for {} ({} sections with figures; `report verify`: {}):\n",
            m.month, m.sections_recorded, m.verify
        ));
        for f in &m.files {
            s.push_str(&format!("  {f}\n"));
        }
        let html = m
            .files
            .iter()
            .find(|f| f.ends_with(".html"))
            .cloned()
            .unwrap_or_default();
        s.push_str("\nNext, try:\n");
        s.push_str(&format!(
            "  xdg-open {html}    # the report in a browser (works offline)\n"
        ));
        if let Some(u) = &m.user_file {
            s.push_str(&format!(
                "  custodia verify user {u} --round {}/round    # one user's check of the round\n",
                r.out
            ));
        }
        s.push_str(&format!(
            "  custodia serve --config {}    # the service and its console: http://127.0.0.1:8080/console (admin token in that file)\n",
            m.config
        ));
    }
    s.push_str(&format!("\nEverything is in {}", r.out));
    s
}
