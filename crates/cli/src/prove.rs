//! Proving a round's batches and checking whole rounds: `por prove-batch`, `por prove`,
//! `por aggregate`, `verify round`, `verify user`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use custodia_air::ProofOptions;
use custodia_prover::{BatchParams, prove_batch};
use custodia_sumtree::RoundManifest;
use custodia_sumtree::witness::BatchWitness;
use custodia_verifier::round::{
    BatchFiles, RoundError, VerifiedRound, check_manifest, verify_round,
};
use serde::Serialize;

use crate::output::Output;
use crate::round_dir::{self, PRIVATE_DIR, batch_file};

/// Folder of a round's proofs.
pub const PROOFS_DIR: &str = "proofs";

/// The statement parameters of a round's batches.
pub fn batch_params(m: &RoundManifest) -> Result<BatchParams> {
    m.prices
        .as_ref()
        .context("round.json has no prices: rebuild the round with --prices")?;
    Ok(BatchParams {
        round_binding: m.binding(),
        assets: custodia_verifier::round::asset_params(m),
    })
}

/// Proves batch `b` of the round in `dir` and writes `proofs/batch-b.{proof,json}`. Independent of
/// every other batch: this is the unit a scheduler hands to a machine.
pub fn prove_one(dir: &Path, m: &RoundManifest, b: usize) -> Result<(usize, f64)> {
    if b >= m.shape.num_batches() {
        bail!(
            "batch {b} does not exist: the round has {} batches",
            m.shape.num_batches()
        );
    }
    let params = batch_params(m)?;
    let wit_path = dir.join(PRIVATE_DIR).join(batch_file(b, "wit"));
    let bytes = fs::read(&wit_path).with_context(|| format!("reading {}", wit_path.display()))?;
    let witness =
        BatchWitness::from_bytes(&bytes).with_context(|| wit_path.display().to_string())?;
    if witness.batch != b as u64
        || witness.num_assets != m.totals.len()
        || witness.log_batch != m.shape.log_batch
    {
        bail!(
            "{} does not belong to batch {b} of this round",
            wit_path.display()
        );
    }
    let t = Instant::now();
    let proven = prove_batch(&witness, &params, &ProofOptions::STANDARD)?;
    let secs = t.elapsed().as_secs_f64();
    if proven.public.batch_root != m.batch_roots[b] {
        bail!(
            "batch {b}'s witness hashes to a root other than round.json's: the round folder is inconsistent"
        );
    }
    let proofs = dir.join(PROOFS_DIR);
    fs::create_dir_all(&proofs).with_context(|| format!("creating {}", proofs.display()))?;
    // Write under temporary names and rename, so a crash never leaves half a proof.
    for (ext, data) in [
        ("json", serde_json::to_vec_pretty(&proven.public)?),
        ("proof", proven.proof.clone()),
    ] {
        let path = proofs.join(batch_file(b, ext));
        let tmp = path.with_extension(format!("{ext}.partial"));
        fs::write(&tmp, &data).with_context(|| format!("writing {}", tmp.display()))?;
        fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok((proven.proof.len(), secs))
}

/// Reads batch `b`'s proof files from a round folder.
pub fn read_batch(dir: &Path, b: usize) -> Result<BatchFiles, RoundError> {
    let read = |ext| {
        let p = dir.join(PROOFS_DIR).join(batch_file(b, ext));
        fs::read(&p).map_err(|e| RoundError::Missing {
            batch: b,
            reason: format!("{}: {e}", p.display()),
        })
    };
    Ok(BatchFiles {
        proof: read("proof")?,
        public: read("json")?,
    })
}

#[derive(Serialize)]
pub struct ProveReport {
    pub status: &'static str,
    pub round: String,
    pub batches: usize,
    pub seconds: f64,
    pub proof_bytes: usize,
}

/// Proves every batch of a round, one after the other (each proof uses every core).
pub fn prove_all(dir: &Path, out: &Output) -> Result<ProveReport> {
    let m = round_dir::load_manifest(dir)?;
    check_manifest(&m)?;
    let n = m.shape.num_batches();
    let bar = out.bar(n as u64, "proving batches");
    let t = Instant::now();
    let mut bytes = 0;
    for b in 0..n {
        bytes += prove_one(dir, &m, b)?.0;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(ProveReport {
        status: "proven",
        round: m.round,
        batches: n,
        seconds: t.elapsed().as_secs_f64(),
        proof_bytes: bytes,
    })
}

/// Verifies a round folder; `Ok(Err(_))` is a rejection, `Err(_)` an unreadable folder.
pub fn check_round(
    dir: &Path,
    out: &Output,
) -> Result<std::result::Result<VerifiedRound, RoundError>> {
    let m = round_dir::load_manifest(dir)?;
    let bar = out.bar(m.batch_roots.len() as u64, "verifying batches");
    let r = verify_round(&m, |b| read_batch(dir, b), |_| bar.inc(1));
    bar.finish_and_clear();
    Ok(r)
}

/// `por aggregate`: checks the whole round and records the result next to the proofs.
#[derive(Serialize)]
pub struct Aggregate {
    pub format: &'static str,
    pub round: String,
    pub root: String,
    pub round_binding: String,
    pub batches: usize,
    pub leaves: u64,
    pub security_bits: u32,
    pub totals: Vec<custodia_sumtree::AssetTotals>,
}

pub fn aggregate(dir: &Path, out: &Output) -> Result<std::result::Result<PathBuf, RoundError>> {
    let m = round_dir::load_manifest(dir)?;
    let v = match check_round(dir, out)? {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    let agg = Aggregate {
        format: "custodia-aggregate/1",
        round: v.round,
        root: v.root.to_hex(),
        round_binding: m.binding().to_hex(),
        batches: v.batches,
        leaves: v.leaves,
        security_bits: v.security_bits,
        totals: m.totals.clone(),
    };
    let path = dir.join(PROOFS_DIR).join("aggregate.json");
    fs::write(&path, serde_json::to_vec_pretty(&agg)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(Ok(path))
}
