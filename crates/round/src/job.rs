//! Proving jobs: one batch from the public manifest and that batch's witness, nothing else.
//!
//! This is the unit a scheduler hands to any machine. A worker fetches `round.json`,
//! `private/batch-NNNNN.wit` and the batch's two chain boundaries
//! (`private/boundary-NNNNN.json`, `private/boundary-(NNNNN+1).json`), calls [`prove_batch`], and
//! stores `proofs/batch-NNNNN.{proof,json}`; no step reads the snapshot, the seed, another
//! batch's witness or the inclusion files.

use custodia_air::ProofOptions;
use custodia_air::chain::Boundary;
use custodia_prover::{BatchParams, ProvenBatch};
use custodia_sumtree::RoundManifest;
use custodia_sumtree::witness::BatchWitness;
use custodia_verifier::round::{asset_params, check_manifest};
use serde::Serialize;

use crate::folder::{boundary_key, load_manifest, proof_key, witness_key};
use crate::{Blobs, Error, Progress};

/// The statement parameters of batch `b` of a round: binding, batch count, committed prices and
/// haircuts, and the chain openings around the batch.
pub fn batch_params(
    m: &RoundManifest,
    chain_in: &Boundary,
    chain_out: &Boundary,
) -> Result<BatchParams, Error> {
    if m.prices.is_none() {
        return Err(Error::NoPrices);
    }
    Ok(BatchParams {
        round_binding: m.binding()?,
        num_batches: m.shape.num_batches() as u64,
        assets: asset_params(m),
        chain_in: chain_in.clone(),
        salt_out: chain_out.salt,
    })
}

/// Reads chain boundary `b`'s opening (`b` from 0 to the number of batches).
pub fn read_boundary(blobs: &dyn Blobs, m: &RoundManifest, b: usize) -> Result<Boundary, Error> {
    let key = boundary_key(b);
    let bytes = blobs.get(&key)?;
    let boundary: Boundary = serde_json::from_slice(&bytes).map_err(|e| Error::Boundary {
        location: blobs.location(&key),
        reason: e.to_string(),
    })?;
    if boundary.state.len() != m.totals.len() {
        return Err(Error::Boundary {
            location: blobs.location(&key),
            reason: format!(
                "{} assets, the round has {}",
                boundary.state.len(),
                m.totals.len()
            ),
        });
    }
    Ok(boundary)
}

fn check_batch(m: &RoundManifest, b: usize) -> Result<(), Error> {
    let batches = m.shape.num_batches();
    if b >= batches {
        return Err(Error::NoSuchBatch { batch: b, batches });
    }
    Ok(())
}

/// Checks that `w` is batch `b` of the round `m` describes (index, asset count, batch size).
fn check_belongs(
    m: &RoundManifest,
    b: usize,
    w: &BatchWitness,
    location: impl Fn() -> String,
) -> Result<(), Error> {
    let fields = [
        ("batch index", b as u64, w.batch),
        ("asset count", m.totals.len() as u64, w.num_assets as u64),
        (
            "batch size",
            u64::from(m.shape.log_batch),
            u64::from(w.log_batch),
        ),
    ];
    match fields
        .into_iter()
        .find(|(_, expected, got)| expected != got)
    {
        Some((field, expected, got)) => Err(Error::ForeignWitness {
            location: location(),
            batch: b,
            field,
            expected,
            got,
        }),
        None => Ok(()),
    }
}

/// Reads batch `b`'s witness and checks it belongs to batch `b` of this round. Refuses first
/// what proving would refuse without reading anything: a batch beyond the round, a round
/// without prices.
pub fn read_witness(blobs: &dyn Blobs, m: &RoundManifest, b: usize) -> Result<BatchWitness, Error> {
    check_batch(m, b)?;
    if m.prices.is_none() {
        return Err(Error::NoPrices);
    }
    let key = witness_key(b);
    let bytes = blobs.get(&key)?;
    let witness = BatchWitness::from_bytes(&bytes).map_err(|source| Error::Witness {
        location: blobs.location(&key),
        source,
    })?;
    check_belongs(m, b, &witness, || blobs.location(&key))?;
    Ok(witness)
}

/// Proves batch `b` of the round `m` describes from its witness and its two chain boundaries:
/// the whole proving job, a function of these inputs only. The proof is zero knowledge (fresh
/// masks from the operating system) at the pinned [`ProofOptions::STANDARD`]. A witness whose
/// batch root is not the manifest's, or boundaries whose totals do not differ by exactly the
/// batch's sums, are refused before proving, so a stale or foreign input never yields a proof.
pub fn prove_batch(
    m: &RoundManifest,
    b: usize,
    witness: &BatchWitness,
    (chain_in, chain_out): (&Boundary, &Boundary),
) -> Result<ProvenBatch, Error> {
    check_batch(m, b)?;
    let params = batch_params(m, chain_in, chain_out)?;
    check_belongs(m, b, witness, || witness_key(b))?;
    // Hash the witness natively first: a stale or tampered one is refused in milliseconds, not
    // after a proof.
    let options = ProofOptions::STANDARD;
    let (public, state_out) = custodia_prover::public_inputs(witness, &params, &options)?;
    if public.batch_root != m.batch_roots[b] {
        return Err(Error::RootMismatch {
            batch: b,
            expected: m.batch_roots[b],
            got: public.batch_root,
        });
    }
    if state_out != chain_out.state {
        return Err(Error::ChainMismatch {
            batch: b,
            boundary: b + 1,
        });
    }
    Ok(custodia_prover::prove_batch(witness, &params, &options)?)
}

/// Stores batch `b`'s proof and public inputs (each object whole; a retry overwrites).
pub fn store_proof(blobs: &dyn Blobs, b: usize, proven: &ProvenBatch) -> Result<(), Error> {
    blobs.put(
        &proof_key(b, "json"),
        &serde_json::to_vec_pretty(&proven.public)?,
    )?;
    blobs.put(&proof_key(b, "proof"), &proven.proof)
}

/// One whole job against a round folder: [`read_witness`], [`read_boundary`] twice,
/// [`prove_batch`], [`store_proof`]. Returns the proof's size in bytes.
pub fn prove_one(blobs: &dyn Blobs, m: &RoundManifest, b: usize) -> Result<usize, Error> {
    let witness = read_witness(blobs, m, b)?;
    let chain_in = read_boundary(blobs, m, b)?;
    let chain_out = read_boundary(blobs, m, b + 1)?;
    let proven = prove_batch(m, b, &witness, (&chain_in, &chain_out))?;
    store_proof(blobs, b, &proven)?;
    Ok(proven.proof.len())
}

/// Whether batch `b` already has a proof that verifies against the manifest and commits to the
/// round's own chain boundaries `b` and `b + 1` (what `por prove --skip-existing` keeps). A
/// missing, partial, foreign or stale proof is `false`.
pub fn has_valid_proof(blobs: &dyn Blobs, m: &RoundManifest, b: usize) -> bool {
    let (Ok(binding), Ok(files), Ok(chain_in), Ok(chain_out)) = (
        m.binding(),
        crate::folder::read_batch(blobs, b),
        read_boundary(blobs, m, b),
        read_boundary(blobs, m, b + 1),
    ) else {
        return false;
    };
    let commit = |at: usize, boundary: &Boundary| {
        custodia_air::chain::commitment(&binding, at as u64, &boundary.state, &boundary.salt)
    };
    custodia_verifier::round::check_public(m, b, &files.public).is_ok_and(|p| {
        p.chain_in == commit(b, &chain_in)
            && p.chain_out == commit(b + 1, &chain_out)
            && custodia_verifier::verify_batch(&files.proof, &p).is_ok()
    })
}

/// What [`prove_all`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proven {
    /// Round id.
    pub round: String,
    /// Batches proven now.
    pub batches: usize,
    /// Batches whose existing proof verified and was kept (`skip_existing`).
    pub skipped: usize,
    /// Bytes of proofs written.
    pub proof_bytes: usize,
}

/// Batches [`prove_all`] proves at once by default. One proof leaves cores idle during its serial
/// stretches (transcript, masking randomness, Merkle caps, FRI queries, trace generation); two
/// proofs side by side keep two cores busy. Each proof in flight holds its own traces and
/// low-degree extensions (≈ 3.2 GB at 2^14 leaves × 22 assets), so memory grows with `jobs`.
pub const DEFAULT_JOBS: usize = 2;

/// Runs `f(0) … f(n − 1)` on `jobs` worker threads (at least one), each taking the next index
/// when it is free, and returns the results in index order. The workers' own parallel work
/// (every proof uses rayon) shares the global pool. After the first error no new index is
/// started; the error of the lowest failed index is returned. A panic in `f` propagates.
pub fn concurrently<T: Send, E: Send>(
    n: usize,
    jobs: usize,
    f: impl Fn(usize) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let slots: Vec<Mutex<Option<Result<T, E>>>> = (0..n).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, n.max(1)) {
            s.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let r = f(i);
                    if r.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
                }
            });
        }
    });
    let mut out = Vec::with_capacity(n);
    for slot in slots {
        match slot.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(Ok(t)) => out.push(t),
            Some(Err(e)) => return Err(e),
            // Not started: an earlier or later index failed, and its error is returned.
            None => {}
        }
    }
    Ok(out)
}

/// Proves every batch of the round, `jobs` batches at a time (each proof also uses every core;
/// see [`DEFAULT_JOBS`]). With `skip_existing`, a batch whose stored proof verifies is kept as
/// it is, so an interrupted round resumes where it stopped.
pub fn prove_all(
    blobs: &dyn Blobs,
    skip_existing: bool,
    jobs: usize,
    progress: &dyn Progress,
) -> Result<Proven, Error> {
    let m = load_manifest(blobs)?;
    check_manifest(&m)?;
    let n = m.shape.num_batches();
    progress.begin("proving batches", Some(n as u64));
    // Per batch: (proof bytes written, 1 if an existing proof was kept).
    let done = concurrently(n, jobs, |b| {
        let step = if skip_existing && has_valid_proof(blobs, &m, b) {
            (0, 1)
        } else {
            (prove_one(blobs, &m, b)?, 0)
        };
        progress.step();
        Ok::<_, Error>(step)
    });
    progress.end();
    let done = done?;
    let bytes = done.iter().map(|d| d.0).sum();
    let skipped = done.iter().map(|d| d.1).sum();
    Ok(Proven {
        round: m.round,
        batches: n - skipped,
        skipped,
        proof_bytes: bytes,
    })
}
