//! `custodia verify …`: what a user runs. Every command prints the report every Custodia verifier
//! shares (`custodia_verifier::bundle::Report`; with `--json` the `custodia-verify/1` schema) and
//! follows one exit-code rule: 0 verified, 1 rejected, 2 missing, unreadable or malformed input.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand};
use custodia_hash::Digest;
use custodia_sumtree::{InclusionProof, RoundManifest};
use custodia_verifier::bundle::{
    self, CheckKind, Finding, JsonReport, Outcome as Verdict, Report, UserBalances,
};
use custodia_verifier::round::RoundError;

use crate::Outcome;
use crate::output::{Output, print_stdout};

pub use custodia_verifier::bundle::plural;

#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// Check that your balances are included under a round's published root.
    /// Exit code 0: verified; 1: rejected; 2: missing, unreadable or malformed input.
    Inclusion(InclusionArgs),
    /// Verify a whole round: every batch proof, the top of the tree, the per-asset totals.
    /// Exit code 0: verified; 1: rejected; 2: missing, unreadable or malformed input.
    Round(RoundArgs),
    /// Your full check: your inclusion, the batch proof covering you, and the chain to the
    /// round's root. Exit code 0: verified; 1: rejected; 2: missing, unreadable or malformed
    /// input.
    User(UserArgs),
}

#[derive(Debug, Args)]
pub struct RoundArgs {
    /// The round folder (round.json and proofs/).
    pub dir: PathBuf,
    /// The root the exchange published (64 hex characters): another root in round.json is a
    /// rejection.
    #[arg(long)]
    pub root: Option<String>,
}

#[derive(Debug, Args)]
pub struct UserArgs {
    /// Your inclusion-proof file.
    pub file: PathBuf,
    /// The round folder (round.json and proofs/).
    #[arg(long)]
    pub round: PathBuf,
    /// The root the exchange published (64 hex characters): another root in round.json is a
    /// rejection.
    #[arg(long)]
    pub root: Option<String>,
}

#[derive(Debug, Args)]
pub struct InclusionArgs {
    /// Your inclusion-proof file (JSON).
    pub file: PathBuf,
    /// The root the exchange published for the round (64 hex characters).
    #[arg(long)]
    pub root: String,
    /// The round folder, or its round.json alone: its asset list names and checks the assets of
    /// an inclusion file that lists only the assets you hold (rounds of more than 32 assets).
    #[arg(long)]
    pub round: Option<PathBuf>,
}

/// Reads an inclusion file: a regular file of at most the largest valid size, checked before
/// reading (never a device or a pipe, never a whole huge file).
fn read_inclusion(path: &Path) -> Result<InclusionProof> {
    let bytes = custodia_verifier::bundle::disk::read_limited(
        path,
        custodia_sumtree::proof::MAX_PROOF_BYTES as u64,
    )
    .map_err(|e| anyhow!(e.0))?;
    InclusionProof::from_json(&bytes).with_context(|| path.display().to_string())
}

/// The manifest of `--round`: a round folder, or the path of its `round.json`.
fn manifest_at(path: &Path) -> Result<RoundManifest> {
    if path.is_dir() {
        return crate::round_dir::load_manifest(path);
    }
    match (path.file_name(), path.parent()) {
        (Some(name), Some(dir)) if name == custodia_round::folder::MANIFEST => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            crate::round_dir::load_manifest(dir)
        }
        _ => Err(anyhow!(
            "--round {}: give the round folder or its {}",
            path.display(),
            custodia_round::folder::MANIFEST
        )),
    }
}

fn parse_root(hex: &str) -> Result<Digest> {
    Digest::from_hex(hex.trim()).with_context(|| format!("--root `{hex}`"))
}

/// A batch file the round folder lacks or cannot give is missing input (exit 2), never a
/// rejection: a script must not read "fraud" into a download that stopped half-way.
fn missing_is_input(e: RoundError) -> Result<RoundError> {
    match e {
        RoundError::Missing { batch, reason } => Err(anyhow!("batch {batch}: {reason}")),
        other => Ok(other),
    }
}

/// Prints a finished report (text or the shared JSON) and turns it into the exit outcome.
pub fn print_report(report: &Report, out: &Output, root_given: bool) -> Outcome {
    if out.json() {
        print_stdout(&JsonReport::of(report).to_json());
    } else {
        let mut s = format!(
            "{}\n\nRound {}, root {}",
            report.summary, report.round, report.root
        );
        if !root_given {
            s.push_str(
                "\n(Compare this root with the one the exchange published, or pass it with \
                 --root: every check below is relative to it.)",
            );
        }
        for f in &report.findings {
            s.push_str(&format!("\n\n{}", f.text));
        }
        if !report.totals.is_empty() {
            s.push_str("\n\nPer-asset totals the proofs establish (whole units):");
            for t in &report.totals {
                s.push_str(&format!(
                    "\n  {:<8} equity {:>28}  debt {:>24}",
                    t.asset,
                    bundle::group_digits(&t.equity),
                    bundle::group_digits(&t.debt)
                ));
            }
        }
        for n in &report.notes {
            s.push_str(&format!("\n\nNote: {n}"));
        }
        s.push_str(match report.outcome() {
            Verdict::Verified => "\n\nResult: VERIFIED",
            _ => "\n\nResult: REJECTED",
        });
        print_stdout(&s);
    }
    match report.outcome() {
        Verdict::Verified => Outcome::Ok,
        _ => Outcome::Rejected,
    }
}

pub fn run(cmd: VerifyCommand, out: &Output) -> Result<Outcome> {
    match cmd {
        VerifyCommand::Inclusion(a) => inclusion(a, out),
        VerifyCommand::Round(a) => round(a, out),
        VerifyCommand::User(a) => user(a, out),
    }
}

fn new_report(m: &RoundManifest, root: Option<&Digest>) -> Report {
    let mut report = Report {
        round: m.round.clone(),
        root: m.root.to_hex(),
        ..Report::default()
    };
    if let Some(root) = root {
        report.findings.push(bundle::root_finding(root, m));
    }
    report
}

/// Checks a whole round folder into a report; `Err` is missing or unreadable input.
pub fn round_report(dir: &Path, root: Option<&Digest>, out: &Output) -> Result<Report> {
    let blobs = crate::round_dir::open(dir);
    let m = custodia_round::load_manifest(&blobs)?;
    let mut report = new_report(&m, root);
    let n = m.shape.num_batches();
    let checked = custodia_round::check_round(&blobs, &m, &crate::round_dir::Bars::new(out));
    let checked = match checked {
        Ok(v) => Ok(v),
        Err(e) => Err(missing_is_input(e)?),
    };
    let proofs = match checked {
        Ok(v) => {
            report.totals = bundle::round_totals(&m);
            report.findings.push(bundle::round_finding(&v));
            v.batches
        }
        Err(e) => {
            let what = format!("round {}", m.round);
            report
                .findings
                .push(bundle::rejection(CheckKind::Round, &what, &e));
            0
        }
    };
    report.summary = bundle::summary(&report, &m.round, proofs, n);
    Ok(report)
}

fn round(a: RoundArgs, out: &Output) -> Result<Outcome> {
    let root = a.root.as_deref().map(parse_root).transpose()?;
    let report = round_report(&a.dir, root.as_ref(), out)?;
    Ok(print_report(&report, out, root.is_some()))
}

fn user(a: UserArgs, out: &Output) -> Result<Outcome> {
    let root = a.root.as_deref().map(parse_root).transpose()?;
    let m = crate::round_dir::load_manifest(&a.round)?;
    let proof = read_inclusion(&a.file)?;
    let mut report = new_report(&m, root.as_ref());
    let checked = custodia_verifier::round::verify_user(&m, &proof, |b| {
        crate::prove::read_batch(&a.round, b)
    });
    let checked = match checked {
        Ok(v) => Ok(v),
        Err(e) => Err(missing_is_input(e)?),
    };
    let proofs = match checked {
        Ok(v) => {
            let (finding, user) = bundle::user_finding(&m, &v);
            report.findings.push(finding);
            report.users.push(user);
            1
        }
        Err(e) => {
            let what = a.file.display().to_string();
            report
                .findings
                .push(bundle::rejection(CheckKind::Inclusion, &what, &e));
            0
        }
    };
    report.notes.push(
        "Only the batch proof covering this account was checked; `custodia verify round` checks \
         every batch and the published totals."
            .into(),
    );
    report.summary = bundle::summary(&report, &m.round, proofs, m.shape.num_batches());
    Ok(print_report(&report, out, root.is_some()))
}

fn inclusion(a: InclusionArgs, out: &Output) -> Result<Outcome> {
    let root = parse_root(&a.root)?;
    // An unparseable file is an input error (2); a parsed proof that fails is a rejection (1).
    let proof = read_inclusion(&a.file)?;
    let proof = match (&a.round, proof.is_compact()) {
        (Some(dir), _) => {
            let m = manifest_at(dir)?;
            match proof.bind_assets(&m.asset_list()) {
                Ok(bound) => bound,
                Err(e) => {
                    // The round's list and the file disagree: a rejection, like a wrong balance.
                    let mut report = Report {
                        round: proof.round.clone(),
                        root: root.to_hex(),
                        ..Report::default()
                    };
                    report.findings.push(Finding {
                        kind: CheckKind::Inclusion,
                        ok: false,
                        text: format!(
                            "REJECTED: {}: the file's assets do not match round {}'s asset list \
                             ({e})",
                            a.file.display(),
                            m.round
                        ),
                    });
                    report.summary = bundle::summary(&report, &proof.round, 0, 0);
                    return Ok(print_report(&report, out, true));
                }
            }
        }
        (None, true) => {
            return Err(anyhow!(
                "{}: this round lists {} assets, so the file names only the {} you hold; pass \
                 --round with the round folder or its round.json to check their names and \
                 decimals",
                a.file.display(),
                proof.num_assets(),
                proof.held.len()
            ));
        }
        (None, false) => proof,
    };
    let mut report = Report {
        round: proof.round.clone(),
        root: root.to_hex(),
        ..Report::default()
    };
    match proof.verify(&root) {
        Ok(v) => {
            let balances = bundle::user_balances(&v);
            report.findings.push(Finding {
                kind: CheckKind::Inclusion,
                ok: true,
                text: format!(
                    "VERIFIED: the balances of {} ({}) are included in round {} under the root \
                     you gave (leaf {}). This checks the hash path only: `custodia verify user` \
                     also checks the proof that the account's batch is sound.",
                    v.user_id,
                    bundle::balances_text(&balances),
                    v.round,
                    v.leaf_index
                ),
            });
            report.summary = format!(
                "Your balances ({}) are included in round {} under the root you gave.",
                bundle::balances_text(&balances),
                v.round
            );
            report.users.push(UserBalances {
                user_id: v.user_id.to_string(),
                balances,
            });
        }
        Err(e) => {
            report.findings.push(Finding {
                kind: CheckKind::Inclusion,
                ok: false,
                text: format!(
                    "REJECTED: {}: this inclusion file does not lead to the root you gave ({e})",
                    a.file.display()
                ),
            });
            report.summary = bundle::summary(&report, &proof.round, 0, 0);
        }
    }
    Ok(print_report(&report, out, true))
}
