//! `custodia verify …`: what a user runs.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use custodia_hash::Digest;
use custodia_sumtree::InclusionProof;
use serde::Serialize;

use crate::Outcome;
use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// Check that your balances are included under a round's published root.
    /// Exit code 0: verified; 1: rejected; 2: usage or unreadable input.
    Inclusion(InclusionArgs),
    /// Verify a whole round: every batch proof, the top of the tree, the per-asset totals.
    /// Exit code 0: verified; 1: rejected; 2: usage or unreadable input.
    Round(RoundArgs),
    /// Your full check: your inclusion, the batch proof covering you, and the chain to the
    /// round's root. Exit code 0: verified; 1: rejected; 2: usage or unreadable input.
    User(UserArgs),
}

#[derive(Debug, Args)]
pub struct RoundArgs {
    /// The round folder (round.json and proofs/).
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct UserArgs {
    /// Your inclusion-proof file.
    pub file: PathBuf,
    /// The round folder (round.json and proofs/).
    #[arg(long)]
    pub round: PathBuf,
}

#[derive(Debug, Args)]
pub struct InclusionArgs {
    /// Your inclusion-proof file (JSON).
    pub file: PathBuf,
    /// The root the exchange published for the round (64 hex characters).
    #[arg(long)]
    pub root: String,
}

/// Reads an inclusion file: a regular file of at most the largest valid size, checked before
/// reading (never a device or a pipe, never a whole huge file).
fn read_inclusion(path: &Path) -> Result<Vec<u8>> {
    custodia_verifier::bundle::disk::read_limited(
        path,
        custodia_sumtree::proof::MAX_PROOF_BYTES as u64,
    )
    .map_err(|e| anyhow::anyhow!(e.0))
}

pub fn run(cmd: VerifyCommand, out: &Output) -> Result<Outcome> {
    match cmd {
        VerifyCommand::Inclusion(a) => inclusion(a, out),
        VerifyCommand::Round(a) => round(a, out),
        VerifyCommand::User(a) => user(a, out),
    }
}

fn round(a: RoundArgs, out: &Output) -> Result<Outcome> {
    match crate::prove::check_round(&a.dir, out)? {
        Ok(v) => {
            let r = serde_json::json!({
                "status": "verified", "round": v.round, "root": v.root.to_hex(), "batches": v.batches,
                "leaves": v.leaves, "security_bits": v.security_bits,
            });
            out.emit(&r, || {
                format!(
                    "VERIFIED: round {} — all {} batch proofs valid at {}-bit conjectured security; every one of the \
                     {} leaves has non-negative balances below 2^62 and debt covered by collateral after \
                     haircuts; the batch roots join into {}; the running-total chain links every batch from zero to exactly the per-asset totals in round.json.",
                    v.round, v.batches, v.security_bits, v.leaves, r["root"].as_str().unwrap_or_default()
                )
            });
            Ok(Outcome::Ok)
        }
        Err(e) => {
            out.emit(
                &serde_json::json!({"status": "rejected", "reason": e.to_string()}),
                || format!("REJECTED: {e}"),
            );
            Ok(Outcome::Rejected)
        }
    }
}

fn user(a: UserArgs, out: &Output) -> Result<Outcome> {
    let m = crate::round_dir::load_manifest(&a.round)?;
    let bytes = read_inclusion(&a.file)?;
    let proof = InclusionProof::from_json(&bytes).with_context(|| a.file.display().to_string())?;
    match custodia_verifier::round::verify_user(&m, &proof, |b| {
        crate::prove::read_batch(&a.round, b)
    }) {
        Ok(v) => {
            let held = custodia_verifier::bundle::balance_lines(&v.inclusion);
            let r = serde_json::json!({
                "status": "verified", "round": m.round, "user_id": v.inclusion.user_id.to_string(),
                "batch": v.batch, "root": m.root.to_hex(), "security_bits": v.security_bits, "balances": held,
            });
            out.emit(&r, || {
                format!(
                    "VERIFIED: your balances ({}) are included in round {} under root {}; batch {}'s proof that \
                     every user in it has non-negative, collateralised balances is \
                     valid at {}-bit conjectured security. (`custodia verify round` checks every batch.)",
                    if held.is_empty() { "all zero".to_owned() } else { held.join(", ") },
                    m.round,
                    m.root.to_hex(),
                    v.batch,
                    v.security_bits
                )
            });
            Ok(Outcome::Ok)
        }
        Err(e) => {
            out.emit(
                &serde_json::json!({"status": "rejected", "reason": e.to_string()}),
                || format!("REJECTED: {e}"),
            );
            Ok(Outcome::Rejected)
        }
    }
}

#[derive(Serialize)]
struct InclusionReport {
    status: &'static str,
    round: Option<String>,
    user_id: Option<String>,
    leaf_index: Option<u64>,
    root: String,
    balances: Vec<BalanceLine>,
    reason: Option<String>,
}

#[derive(Serialize)]
struct BalanceLine {
    asset: String,
    equity: String,
    debt: String,
}

fn inclusion(a: InclusionArgs, out: &Output) -> Result<Outcome> {
    let root = Digest::from_hex(a.root.trim()).with_context(|| format!("--root `{}`", a.root))?;
    let bytes = read_inclusion(&a.file)?;
    // An unparseable file is an input error (2); a parsed proof that fails is a rejection (1).
    let proof = InclusionProof::from_json(&bytes).with_context(|| a.file.display().to_string())?;
    match proof.verify(&root) {
        Ok(v) => {
            let balances: Vec<BalanceLine> = v
                .balances
                .iter()
                .filter(|(_, _, e, d)| !(e.is_zero() && d.is_zero()))
                .map(|(id, dec, e, d)| BalanceLine {
                    asset: id.to_string(),
                    equity: e.to_decimal(*dec),
                    debt: d.to_decimal(*dec),
                })
                .collect();
            let report = InclusionReport {
                status: "verified",
                round: Some(v.round.clone()),
                user_id: Some(v.user_id.to_string()),
                leaf_index: Some(v.leaf_index),
                root: root.to_hex(),
                balances,
                reason: None,
            };
            out.emit(&report, || {
                let held = if report.balances.is_empty() {
                    "no balances (all zero)".to_owned()
                } else {
                    report
                        .balances
                        .iter()
                        .map(|b| {
                            if b.debt == "0" { format!("{} {}", b.asset, b.equity) } else { format!("{} {} (debt {})", b.asset, b.equity, b.debt) }
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!(
                    "VERIFIED: the balances of {} ({held}) are included in round {} under root {} (leaf {}).",
                    v.user_id, v.round, report.root, v.leaf_index
                )
            });
            Ok(Outcome::Ok)
        }
        Err(e) => {
            let report = InclusionReport {
                status: "rejected",
                round: Some(proof.round.clone()),
                user_id: Some(proof.user_id.to_string()),
                leaf_index: Some(proof.leaf_index),
                root: root.to_hex(),
                balances: Vec::new(),
                reason: Some(e.to_string()),
            };
            out.emit(&report, || format!("REJECTED: {e}"));
            Ok(Outcome::Rejected)
        }
    }
}
