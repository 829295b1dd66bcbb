//! Proving a round's batches and checking whole rounds (`por prove-batch`, `por prove`,
//! `por aggregate`, `verify round`): `custodia_round` jobs with timing and progress bars.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use custodia_round::AggregateRecord;
use custodia_round::folder::AGGREGATE;
use custodia_sumtree::RoundManifest;
use custodia_verifier::round::{BatchFiles, RoundError};
use serde::Serialize;

use crate::output::Output;
use crate::round_dir::{self, Bars};

/// Proves batch `b` of the round in `dir` and writes `proofs/batch-b.{proof,json}`; returns the
/// proof's size and the seconds spent proving. Independent of every other batch: this is the
/// unit a scheduler hands to a machine.
pub fn prove_one(dir: &Path, m: &RoundManifest, b: usize) -> Result<(usize, f64)> {
    let blobs = round_dir::open(dir);
    let witness = custodia_round::read_witness(&blobs, m, b)?;
    let chain_in = custodia_round::read_boundary(&blobs, m, b)?;
    let chain_out = custodia_round::read_boundary(&blobs, m, b + 1)?;
    let t = Instant::now();
    let proven = custodia_round::prove_batch(m, b, &witness, (&chain_in, &chain_out))?;
    let secs = t.elapsed().as_secs_f64();
    custodia_round::store_proof(&blobs, b, &proven)?;
    Ok((proven.proof.len(), secs))
}

/// Reads batch `b`'s proof files from a round folder.
pub fn read_batch(dir: &Path, b: usize) -> Result<BatchFiles, RoundError> {
    custodia_round::read_batch(&round_dir::open(dir), b)
}

#[derive(Serialize)]
pub struct ProveReport {
    pub status: &'static str,
    pub round: String,
    pub batches: usize,
    pub skipped: usize,
    pub seconds: f64,
    pub proof_bytes: usize,
}

/// Proves every batch of a round, `jobs` at a time (each proof also uses every core); with
/// `skip_existing`, batches whose stored proof verifies are kept.
pub fn prove_all(
    dir: &Path,
    skip_existing: bool,
    jobs: usize,
    out: &Output,
) -> Result<ProveReport> {
    let t = Instant::now();
    let proven =
        custodia_round::prove_all(&round_dir::open(dir), skip_existing, jobs, &Bars::new(out))?;
    Ok(ProveReport {
        status: "proven",
        round: proven.round,
        batches: proven.batches,
        skipped: proven.skipped,
        seconds: t.elapsed().as_secs_f64(),
        proof_bytes: proven.proof_bytes,
    })
}

/// `por aggregate`: checks the whole round and records the result next to the proofs; returns
/// the record and its path.
pub fn aggregate(
    dir: &Path,
    out: &Output,
) -> Result<std::result::Result<(PathBuf, AggregateRecord), RoundError>> {
    let blobs = round_dir::open(dir);
    Ok(match custodia_round::aggregate(&blobs, &Bars::new(out))? {
        Ok(record) => Ok((blobs.path(AGGREGATE)?, record)),
        Err(rejected) => Err(rejected),
    })
}
