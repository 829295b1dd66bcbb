//! `custodia verify …`: what a user runs.

use std::fs;
use std::path::PathBuf;

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
}

#[derive(Debug, Args)]
pub struct InclusionArgs {
    /// Your inclusion-proof file (JSON).
    pub file: PathBuf,
    /// The root the exchange published for the round (64 hex characters).
    #[arg(long)]
    pub root: String,
}

pub fn run(cmd: VerifyCommand, out: &Output) -> Result<Outcome> {
    match cmd {
        VerifyCommand::Inclusion(a) => inclusion(a, out),
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
    let bytes = fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
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
