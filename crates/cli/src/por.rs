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
    /// Print (or save) one user's inclusion proof, or with --all write every user's file into
    /// sharded folders for delivery (resumable: run it again after an interruption).
    Inclusion(InclusionArgs),
    /// Prove one batch of a round (an independent job: any machine with the round folder's
    /// round.json and private/batch-I.wit can run it).
    ProveBatch(ProveBatchArgs),
    /// Prove every batch of a round on this machine, with progress.
    Prove(ProveArgs),
    /// Check every batch proof, the top of the tree and the totals; record proofs/aggregate.json.
    /// With --queue and --store: the distributed round's aggregation (checks every accepted
    /// proof, re-queues corrupted ones, publishes once; one aggregator at a time).
    Aggregate(crate::fleet::AggregateArgs),
    /// Distributed proving: upload the round's manifest and each batch's sealed input to an
    /// object store and register one job per batch on the job queue (PostgreSQL).
    Enqueue(crate::fleet::EnqueueArgs),
    /// Distributed proving: claim batch jobs, prove, verify, upload, repeat (run one per
    /// machine or container; no shared disk).
    Worker(crate::fleet::WorkerArgs),
    /// Distributed proving: the round's progress, throughput and ETA (or Prometheus text).
    Status(crate::fleet::StatusArgs),
    /// Distributed proving: send dead batches back to the workers once what killed them is
    /// fixed (each gets --attempts more tries; --reason is kept with the job).
    Requeue(crate::fleet::RequeueArgs),
    /// Copy what the world may see (round.json, assets, prices, proofs, proof of assets) into a
    /// new folder, leaving every secret behind: the seed, the witnesses, the running totals and
    /// every user's inclusion file. Publish that folder, never the round folder.
    Publish(PublishArgs),
    /// Check that rounds, oldest first, form one history (each commits to the one before it;
    /// ids distinct, times increasing) and print what changed from round to round. Exit 1 when
    /// the chain is broken.
    History(HistoryArgs),
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The round folder (proven).
    #[arg(long)]
    pub round: PathBuf,
    /// The public folder to write (outside the round folder).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace an existing public folder.
    #[arg(long)]
    pub force: bool,
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
pub struct BuildArgs {
    /// Balance snapshot: wide CSV, long CSV or JSON Lines (see docs/formats.md).
    #[arg(long)]
    pub snapshot: PathBuf,
    /// Asset registry (TOML); the 22 default assets when omitted.
    #[arg(long)]
    pub assets: Option<PathBuf>,
    /// Prices and haircuts (TOML), required: the proofs check every user's debt against their
    /// collateral at these prices, so a round without them cannot be proven.
    #[arg(long)]
    pub prices: PathBuf,
    /// Force the snapshot format instead of detecting it.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Round id (1-64 characters of A-Z a-z 0-9 - _ .), e.g. 2026-11.
    #[arg(long)]
    pub id: String,
    /// Not the round id here: kept only to say so (`--id` is the id, `--out` the folder).
    #[arg(long, hide = true)]
    pub round: Option<String>,
    /// Snapshot time, RFC 3339 in UTC to the second, e.g. 2026-11-30T23:59:59Z (default: now).
    #[arg(long)]
    pub snapshot_time: Option<String>,
    /// Leaves per batch proof, as a power of two (7 to 20: a zero-knowledge proof needs at least
    /// 2^7 rows; 2^16 is the largest that proves within 16 GiB at 22 assets, 2^12 at 200).
    #[arg(long, default_value_t = custodia_round::DEFAULT_LOG_BATCH, value_parser = clap::value_parser!(u32).range(7..=20))]
    pub log_batch: u32,
    /// Pad the tree to at least 2^N leaves, hiding the user count within that size.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=32))]
    pub min_log_leaves: u32,
    /// The previous round's folder (or its round.json): this round's manifest and every proof
    /// commit to it, so the rounds form one history (`custodia por history`).
    #[arg(long)]
    pub previous: Option<PathBuf>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace an existing output folder.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Round folders (or their round.json), oldest first.
    #[arg(required = true, num_args = 1..)]
    pub rounds: Vec<PathBuf>,
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
    #[arg(long, required_unless_present = "delivery")]
    pub round: Option<PathBuf>,
    /// The user's account id.
    #[arg(long, required_unless_present = "all", conflicts_with = "all")]
    pub user: Option<String>,
    /// Every user: one file each in --out, under 256 shard folders (see docs/verify.md,
    /// "Delivering proofs to users").
    #[arg(long, requires = "out")]
    pub all: bool,
    /// Write the proof to this file instead of standard output (with --all: the delivery
    /// folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// With --all: `pack` (default) writes each batch's files as one pack plus a sorted index
    /// that `POST /v1/por/inclusion` and --delivery read; `files` writes one file per user.
    #[arg(long, value_enum, default_value = "pack", requires = "all")]
    pub layout: DeliveryLayout,
    /// Read the user's file from a delivery folder (`--all --out`) instead of the round folder.
    #[arg(long, conflicts_with_all = ["round", "all"], requires = "user")]
    pub delivery: Option<PathBuf>,
}

/// `--layout` of `por inclusion --all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeliveryLayout {
    /// Per-batch packs and a sorted index.
    Pack,
    /// One file per user in 256 shard folders.
    Files,
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
                    "round {}: {} proven in {:.1} s ({} bytes of proofs){kept}",
                    r.round,
                    crate::verify::plural(r.batches, "batch", "batches"),
                    r.seconds,
                    r.proof_bytes
                )
            });
            Ok(Outcome::Ok)
        }
        PorCommand::Aggregate(a) => match crate::fleet::local_only(&a)? {
            Some(dir) => aggregate(dir, out),
            None => crate::fleet::aggregate(a, out),
        },
        PorCommand::Enqueue(a) => crate::fleet::enqueue(a, out),
        PorCommand::Worker(a) => crate::fleet::worker(a, out),
        PorCommand::Status(a) => crate::fleet::status(a, out),
        PorCommand::Requeue(a) => crate::fleet::requeue(a, out),
        PorCommand::Publish(a) => publish(a, out),
        PorCommand::History(a) => history(a, out),
    }
}

/// Reads `path/round.json`, or `path` itself when it is a file.
fn manifest_at(path: &std::path::Path) -> Result<custodia_sumtree::RoundManifest> {
    if path.is_file() {
        let bytes = custodia_verifier::bundle::disk::read_limited(
            path,
            custodia_round::folder::MAX_MANIFEST_BYTES,
        )
        .map_err(|e| anyhow::anyhow!(e.0))?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a round manifest", path.display()))
    } else {
        round_dir::load_manifest(path)
    }
}

fn history(a: HistoryArgs, out: &Output) -> Result<Outcome> {
    let rounds = a
        .rounds
        .iter()
        .map(|p| manifest_at(p))
        .collect::<Result<Vec<_>>>()?;
    let checked = custodia_verifier::history::check_history(&rounds);
    let rows: Vec<serde_json::Value> = rounds
        .iter()
        .map(|m| {
            serde_json::json!({
                "round": m.round, "snapshot_time": m.snapshot_time, "root": m.root.to_hex(),
                "padded_leaves": m.shape.num_leaves(),
                "previous": m.previous.as_ref().map(|p| &p.round),
                "liabilities": custodia_verifier::bundle::round_totals(m),
            })
        })
        .collect();
    let report = serde_json::json!({
        "status": if checked.is_ok() { "verified" } else { "rejected" },
        "exit_code": if checked.is_ok() { 0 } else { 1 },
        "rounds": rows,
        "reason": checked.as_ref().err().map(ToString::to_string),
    });
    out.emit(&report, || history_text(&rounds, &checked));
    Ok(if checked.is_ok() {
        Outcome::Ok
    } else {
        Outcome::Rejected
    })
}

/// `v` smallest units as a grouped decimal, with its sign (`+` too when `plus`).
fn signed(v: i128, decimals: u8, plus: bool) -> String {
    let abs = custodia_primitives::Total::from_units(v.unsigned_abs()).to_decimal(decimals);
    let sign = match (v < 0, plus) {
        (true, _) => "-",
        (false, true) => "+",
        (false, false) => "",
    };
    format!("{sign}{}", custodia_verifier::bundle::group_digits(&abs))
}

fn history_text(
    rounds: &[custodia_sumtree::RoundManifest],
    checked: &std::result::Result<(), custodia_verifier::history::HistoryError>,
) -> String {
    let mut s = match checked {
        Ok(()) => format!(
            "VERIFIED: {} form one history: each commits to the one before it.\n",
            crate::verify::plural(rounds.len(), "round", "rounds")
        ),
        Err(e) => format!("REJECTED: {e}\n"),
    };
    let mut before: Option<&custodia_sumtree::RoundManifest> = None;
    for m in rounds {
        s.push_str(&format!(
            "\nround {} ({}), {} (padded), root {}\n",
            m.round,
            m.snapshot_time,
            crate::verify::plural(m.shape.num_leaves(), "account", "accounts"),
            m.root.to_hex()
        ));
        for t in &m.totals {
            let net = t.equity.units() as i128 - t.debt.units() as i128;
            let change = before
                .and_then(|b| b.totals.iter().find(|o| o.asset == t.asset))
                .map(|o| {
                    let old = o.equity.units() as i128 - o.debt.units() as i128;
                    let d = net - old;
                    let pct = if old != 0 {
                        format!(" ({:+.2}%)", d as f64 * 100.0 / old as f64)
                    } else {
                        String::new()
                    };
                    format!("  change {}{pct}", signed(d, t.decimals, true))
                })
                .unwrap_or_default();
            s.push_str(&format!(
                "  {:<8} liabilities {:>28}{change}\n",
                t.asset,
                signed(net, t.decimals, false)
            ));
        }
        before = Some(m);
    }
    s.trim_end().to_owned()
}

fn publish(a: PublishArgs, out: &Output) -> Result<Outcome> {
    custodia_round::check_publish_paths(&a.round, &a.out)?;
    let p = custodia_round::publish_public(
        &round_dir::open(&a.round),
        &round_dir::open(&a.out),
        a.force,
    )?;
    let report = serde_json::json!({
        "status": "published", "round": p.round, "out": a.out.display().to_string(),
        "files": p.files, "kept_back": p.kept_back, "aggregate": p.aggregate,
    });
    out.emit(&report, || {
        let mut s = format!(
            "round {}: {} written to {} (publish this folder)\nkept back (private, or not known \
             to be public): {}",
            p.round,
            crate::verify::plural(p.files.len(), "public file", "public files"),
            a.out.display(),
            crate::verify::plural(p.kept_back.len(), "file", "files"),
        );
        if !p.aggregate {
            s.push_str(
                "\nnote: no proofs/aggregate.json: run `custodia por aggregate` on the round \
                 folder first to check every proof before publishing",
            );
        }
        s
    });
    Ok(Outcome::Ok)
}

/// `por aggregate`: the whole-round check of `verify round`, and on success
/// `proofs/aggregate.json` written; the same report and exit rule as every verifier.
fn aggregate(dir: &std::path::Path, out: &Output) -> Result<Outcome> {
    use custodia_verifier::bundle::{self, CheckKind, Report};
    use custodia_verifier::round::{RoundError, VerifiedRound};
    let m = round_dir::load_manifest(dir)?;
    let mut report = Report {
        round: m.round.clone(),
        root: m.root.to_hex(),
        ..Report::default()
    };
    let proofs = match crate::prove::aggregate(dir, out)? {
        Ok((path, record)) => {
            let v = VerifiedRound {
                round: record.round,
                root: m.root,
                batches: record.batches,
                leaves: record.leaves,
                security_bits: record.security_bits,
            };
            report.totals = bundle::round_totals(&m);
            report.findings.push(bundle::round_finding(&v));
            report
                .notes
                .push(format!("The result is recorded in {}.", path.display()));
            v.batches
        }
        Err(RoundError::Missing { batch, reason }) => bail!("batch {batch}: {reason}"),
        Err(e) => {
            let what = format!("round {}", m.round);
            report
                .findings
                .push(bundle::rejection(CheckKind::Round, &what, &e));
            0
        }
    };
    report.summary = bundle::summary(&report, &m.round, proofs, m.shape.num_batches());
    Ok(crate::verify::print_report(&report, out, false))
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
    if let Some(r) = &a.round {
        bail!(
            "--round `{r}`: in `por build` the round's id is --id and the output folder is --out \
             (--round names a round folder in the other commands)"
        );
    }
    // Every check on the arguments comes before the snapshot is read.
    custodia_round::check_round_id(&a.id)?;
    let snapshot_time = match a.snapshot_time {
        Some(t) => {
            custodia_round::check_snapshot_time(&t).with_context(|| "--snapshot-time")?;
            t
        }
        None => round_dir::now_rfc3339(),
    };
    let assets = load_registry(a.assets.as_ref())?;
    let prices = custodia_snapshot::load_prices(&a.prices, &assets)?;
    let prices = Some(prices);
    let previous = match &a.previous {
        Some(p) => Some(custodia_round::link_to(
            &manifest_at(p)?,
            &a.id,
            &snapshot_time,
        )?),
        None => None,
    };
    let snapshot = load_snapshot(&a.snapshot, &assets, a.format.map(Into::into), out)?;
    let params = BuildParams {
        previous,
        round: a.id,
        snapshot_time,
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
            "round {} built: {}, {}, {} in {}\nroot {}\nwritten to {}",
            report.round,
            crate::verify::plural(report.users, "user", "users"),
            crate::verify::plural(report.assets, "asset", "assets"),
            crate::verify::plural(report.padded_leaves, "leaf", "leaves"),
            crate::verify::plural(report.batches, "batch", "batches"),
            report.root,
            report.out
        )
    });
    Ok(Outcome::Ok)
}

fn inclusion(a: InclusionArgs, out: &Output) -> Result<Outcome> {
    if let Some(dir) = &a.delivery {
        return delivered(
            dir,
            a.user.as_deref().unwrap_or_default(),
            a.out.as_deref(),
            out,
        );
    }
    let round = a
        .round
        .clone()
        .expect("clap requires --round without --delivery");
    let blobs = round_dir::open(&round);
    custodia_round::load_manifest(&blobs)?;
    let Some(user) = a.user else {
        let dir = a.out.expect("clap requires --out with --all");
        let layout = match a.layout {
            DeliveryLayout::Pack => custodia_round::Layout::Pack,
            DeliveryLayout::Files => custodia_round::Layout::Files,
        };
        let t = std::time::Instant::now();
        let d = custodia_round::deliver_all(&blobs, &dir, layout, &Bars::new(out))?;
        let secs = t.elapsed().as_secs_f64();
        let report = serde_json::json!({
            "status": "delivered", "round": d.round, "out": dir.display().to_string(),
            "users": d.users, "written": d.written, "batches": d.batches,
            "batches_skipped": d.batches_skipped, "seconds": secs, "layout": layout.as_str(),
            "files_per_second": d.written as f64 / secs.max(1e-9),
        });
        out.emit(&report, || {
            format!(
                "round {}: {} in {} ({} written now in {secs:.2} s, {:.0} files/s; {} already \
                 done by an earlier run)",
                d.round,
                crate::verify::plural(d.users as usize, "inclusion file", "inclusion files"),
                dir.display(),
                d.written,
                d.written as f64 / secs.max(1e-9),
                crate::verify::plural(d.batches_skipped, "batch", "batches"),
            )
        });
        return Ok(Outcome::Ok);
    };
    let Some(proof) = custodia_round::find_inclusion(&blobs, &user)? else {
        bail!("user `{user}` is not in round {}", round.display());
    };
    let text = serde_json::to_string_pretty(&proof)?;
    write_inclusion(&user, &text, a.out.as_deref(), out)
}

/// `por inclusion --delivery DIR --user ID`: one user's file out of a delivery folder (pack or
/// files), as the service's endpoint reads it.
fn delivered(
    dir: &std::path::Path,
    user: &str,
    to: Option<&std::path::Path>,
    out: &Output,
) -> Result<Outcome> {
    let Some(record) = custodia_round::read_record(dir)? else {
        bail!(
            "{} is not a delivery folder (no delivery.json)",
            dir.display()
        );
    };
    let id =
        custodia_primitives::AccountId::new(user).with_context(|| format!("--user `{user}`"))?;
    let Some(bytes) = custodia_round::read_delivered(dir, &record.round, &id)? else {
        bail!(
            "user `{user}` is not in the delivery of round {}",
            record.round
        );
    };
    let proof = custodia_sumtree::InclusionProof::from_json(&bytes)
        .with_context(|| format!("the delivered file of `{user}`"))?;
    let text = serde_json::to_string_pretty(&proof)?;
    write_inclusion(user, &text, to, out)
}

fn write_inclusion(
    user: &str,
    text: &str,
    to: Option<&std::path::Path>,
    out: &Output,
) -> Result<Outcome> {
    match to {
        Some(path) => {
            fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            out.note(format!(
                "inclusion proof of {user} written to {}",
                path.display()
            ));
        }
        None => crate::output::print_stdout(text),
    }
    Ok(Outcome::Ok)
}
