//! `custodia por …`: the exchange's side of a proof-of-reserves round.

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use custodia_primitives::AssetRegistry;
use custodia_round::BuildParams;
use custodia_snapshot::{Format, Snapshot};
use serde::Serialize;

use crate::Outcome;
use crate::output::Output;
use crate::round_dir::{self, Bars};

#[derive(Debug, Subcommand)]
pub enum PorCommand {
    /// Build a round from a balance snapshot: tree, totals, witnesses and every inclusion proof.
    Build(BuildArgs),
    /// Print (or save) one user's inclusion proof from a built round.
    Inclusion(InclusionArgs),
    /// Prove one batch of a round (an independent job: any machine with the round folder's
    /// round.json and private/batch-I.wit can run it).
    ProveBatch(ProveBatchArgs),
    /// Prove every batch of a round on this machine, with progress.
    Prove(ProveArgs),
    /// Check every batch proof, the top of the tree and the totals; record proofs/aggregate.json.
    Aggregate(RoundArg),
}

#[derive(Debug, Args)]
pub struct ProveBatchArgs {
    /// The round folder.
    #[arg(long)]
    pub round: PathBuf,
    /// Batch index.
    #[arg(long)]
    pub batch: usize,
}

#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The round folder.
    #[arg(long)]
    pub round: PathBuf,
    /// Keep every batch whose stored proof already verifies (resume an interrupted round).
    #[arg(long)]
    pub skip_existing: bool,
    /// Batches proven at once (each also uses every core; each needs its own memory, ≈ 3.2 GB
    /// at 2^14 leaves × 22 assets). Two keep both cores of a 2-core machine busy.
    #[arg(long, default_value_t = custodia_round::DEFAULT_JOBS)]
    pub jobs: usize,
}

#[derive(Debug, Args)]
pub struct RoundArg {
    /// The round folder.
    #[arg(long)]
    pub round: PathBuf,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Balance snapshot: wide CSV, long CSV or JSON Lines (see docs/formats.md).
    #[arg(long)]
    pub snapshot: PathBuf,
    /// Asset registry (TOML); the 22 default assets when omitted.
    #[arg(long)]
    pub assets: Option<PathBuf>,
    /// Prices and haircuts (TOML); every user's debt is checked against its collateral.
    #[arg(long)]
    pub prices: Option<PathBuf>,
    /// Force the snapshot format instead of detecting it.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Round id (1-64 characters of A-Z a-z 0-9 - _ .).
    #[arg(long)]
    pub round: String,
    /// Snapshot time, RFC 3339 UTC (default: now).
    #[arg(long)]
    pub snapshot_time: Option<String>,
    /// Leaves per batch proof, as a power of two (7 to 20: a zero-knowledge proof needs at least
    /// 2^7 rows; 2^16 is the largest that proves within 16 GiB at 22 assets).
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(7..=20))]
    pub log_batch: u32,
    /// Pad the tree to at least 2^N leaves, hiding the user count within that size.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=32))]
    pub min_log_leaves: u32,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace an existing output folder.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    WideCsv,
    LongCsv,
    Jsonl,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::WideCsv => Format::WideCsv,
            FormatArg::LongCsv => Format::LongCsv,
            FormatArg::Jsonl => Format::JsonLines,
        }
    }
}

#[derive(Debug, Args)]
pub struct InclusionArgs {
    /// The round folder `por build` wrote.
    #[arg(long)]
    pub round: PathBuf,
    /// The user's account id.
    #[arg(long)]
    pub user: String,
    /// Write the proof to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(cmd: PorCommand, out: &Output) -> Result<Outcome> {
    match cmd {
        PorCommand::Build(a) => build(a, out),
        PorCommand::Inclusion(a) => inclusion(a, out),
        PorCommand::ProveBatch(a) => {
            let m = round_dir::load_manifest(&a.round)?;
            let (bytes, secs) = crate::prove::prove_one(&a.round, &m, a.batch)?;
            let r = serde_json::json!({"status": "proven", "batch": a.batch, "proof_bytes": bytes, "seconds": secs});
            out.emit(&r, || {
                format!("batch {} proven in {secs:.1} s ({bytes} bytes)", a.batch)
            });
            Ok(Outcome::Ok)
        }
        PorCommand::Prove(a) => {
            let r = crate::prove::prove_all(&a.round, a.skip_existing, a.jobs, out)?;
            out.emit(&r, || {
                let kept = if r.skipped > 0 {
                    format!(", {} already proven and kept", r.skipped)
                } else {
                    String::new()
                };
                format!(
                    "round {}: {} batches proven in {:.1} s ({} bytes of proofs){kept}",
                    r.round, r.batches, r.seconds, r.proof_bytes
                )
            });
            Ok(Outcome::Ok)
        }
        PorCommand::Aggregate(a) => match crate::prove::aggregate(&a.round, out)? {
            Ok(path) => {
                let r = serde_json::json!({"status": "verified", "aggregate": path.display().to_string()});
                out.emit(&r, || {
                    format!(
                        "every batch verified, top of tree and totals match; wrote {}",
                        path.display()
                    )
                });
                Ok(Outcome::Ok)
            }
            Err(e) => {
                let r = serde_json::json!({"status": "rejected", "reason": e.to_string()});
                out.emit(&r, || format!("REJECTED: {e}"));
                Ok(Outcome::Rejected)
            }
        },
    }
}

#[derive(Serialize)]
pub struct BuildReport {
    pub status: &'static str,
    pub round: String,
    pub users: usize,
    pub assets: usize,
    pub padded_leaves: usize,
    pub batches: usize,
    pub root: String,
    pub out: String,
}

pub fn load_registry(path: Option<&PathBuf>) -> Result<AssetRegistry> {
    match path {
        None => Ok(AssetRegistry::default_assets()),
        Some(p) => {
            let text = fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            AssetRegistry::from_toml(&text).with_context(|| p.display().to_string())
        }
    }
}

pub fn load_snapshot(
    path: &std::path::Path,
    assets: &AssetRegistry,
    format: Option<Format>,
    out: &Output,
) -> Result<Snapshot> {
    let spin = out.spinner(&format!("reading {}", path.display()));
    let snap = custodia_snapshot::load(path, assets, format)?;
    spin.finish_and_clear();
    Ok(snap)
}

fn build(a: BuildArgs, out: &Output) -> Result<Outcome> {
    custodia_round::check_round_id(&a.round)?;
    let assets = load_registry(a.assets.as_ref())?;
    let prices = a
        .prices
        .as_ref()
        .map(|p| custodia_snapshot::load_prices(p, &assets))
        .transpose()?;
    let snapshot = load_snapshot(&a.snapshot, &assets, a.format.map(Into::into), out)?;
    let params = BuildParams {
        round: a.round,
        snapshot_time: a.snapshot_time.unwrap_or_else(round_dir::now_rfc3339),
        log_batch: a.log_batch,
        min_log_leaves: a.min_log_leaves,
        seed: custodia_round::fresh_seed()?,
    };
    let round = custodia_round::build_folder(
        &snapshot,
        prices.as_ref(),
        &params,
        &round_dir::open(&a.out),
        a.force,
        &Bars::new(out),
    )?;
    let m = &round.manifest;
    let report = BuildReport {
        status: "built",
        round: m.round.clone(),
        users: snapshot.num_users(),
        assets: snapshot.num_assets(),
        padded_leaves: m.shape.num_leaves(),
        batches: m.shape.num_batches(),
        root: m.root.to_hex(),
        out: a.out.display().to_string(),
    };
    out.emit(&report, || {
        format!(
            "round {} built: {} users, {} assets, {} leaves in {} batches\nroot {}\nwritten to {}",
            report.round,
            report.users,
            report.assets,
            report.padded_leaves,
            report.batches,
            report.root,
            report.out
        )
    });
    Ok(Outcome::Ok)
}

fn inclusion(a: InclusionArgs, out: &Output) -> Result<Outcome> {
    let blobs = round_dir::open(&a.round);
    custodia_round::load_manifest(&blobs)?;
    let Some(proof) = custodia_round::find_inclusion(&blobs, &a.user)? else {
        bail!("user `{}` is not in round {}", a.user, a.round.display());
    };
    let text = serde_json::to_string_pretty(&proof)?;
    match a.out {
        Some(path) => {
            fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
            out.note(format!(
                "inclusion proof of {} written to {}",
                a.user,
                path.display()
            ));
        }
        None => println!("{text}"),
    }
    Ok(Outcome::Ok)
}
