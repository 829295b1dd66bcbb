//! Proving jobs: one batch from the public manifest and that batch's witness, nothing else.
//!
//! This is the unit a scheduler hands to any machine. A worker fetches `round.json` and
//! `private/batch-NNNNN.wit`, calls [`prove_batch`], and stores `proofs/batch-NNNNN.{proof,json}`;
//! no step reads the snapshot, the seed, another batch or the inclusion files.

use custodia_air::ProofOptions;
use custodia_prover::{BatchParams, ProvenBatch};
use custodia_sumtree::RoundManifest;
use custodia_sumtree::witness::BatchWitness;
use custodia_verifier::round::{asset_params, check_manifest};
use serde::Serialize;

use crate::folder::{load_manifest, proof_key, witness_key};
use crate::{Blobs, Error, Progress};

/// The statement parameters of a round's batches (binding, committed prices and haircuts).
pub fn batch_params(m: &RoundManifest) -> Result<BatchParams, Error> {
    if m.prices.is_none() {
        return Err(Error::NoPrices);
    }
    Ok(BatchParams {
        round_binding: m.binding(),
        assets: asset_params(m),
    })
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
    batch_params(m)?;
    let key = witness_key(b);
    let bytes = blobs.get(&key)?;
    let witness = BatchWitness::from_bytes(&bytes).map_err(|source| Error::Witness {
        location: blobs.location(&key),
        source,
    })?;
    check_belongs(m, b, &witness, || blobs.location(&key))?;
    Ok(witness)
}

/// Proves batch `b` of the round `m` describes from its witness: the whole proving job, a
/// function of these two inputs only. The proof is zero knowledge (fresh masks from the
/// operating system) at the pinned [`ProofOptions::STANDARD`]. A witness whose batch root is
/// not the manifest's is refused before proving, so a stale or foreign witness never yields a
/// proof.
pub fn prove_batch(
    m: &RoundManifest,
    b: usize,
    witness: &BatchWitness,
) -> Result<ProvenBatch, Error> {
    check_batch(m, b)?;
    let params = batch_params(m)?;
    check_belongs(m, b, witness, || witness_key(b))?;
    // Hash the witness natively first: a stale or tampered one is refused in milliseconds, not
    // after a proof.
    let options = ProofOptions::STANDARD;
    let root = custodia_prover::public_inputs(witness, &params, &options)?.batch_root;
    if root != m.batch_roots[b] {
        return Err(Error::RootMismatch {
            batch: b,
            expected: m.batch_roots[b],
            got: root,
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

/// One whole job against a round folder: [`read_witness`], [`prove_batch`], [`store_proof`].
/// Returns the proof's size in bytes.
pub fn prove_one(blobs: &dyn Blobs, m: &RoundManifest, b: usize) -> Result<usize, Error> {
    let witness = read_witness(blobs, m, b)?;
    let proven = prove_batch(m, b, &witness)?;
    store_proof(blobs, b, &proven)?;
    Ok(proven.proof.len())
}

/// What [`prove_all`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proven {
    /// Round id.
    pub round: String,
    /// Batches proven.
    pub batches: usize,
    /// Bytes of proofs written.
    pub proof_bytes: usize,
}

/// Proves every batch of the round, one after the other (each proof uses every core).
pub fn prove_all(blobs: &dyn Blobs, progress: &dyn Progress) -> Result<Proven, Error> {
    let m = load_manifest(blobs)?;
    check_manifest(&m)?;
    let n = m.shape.num_batches();
    progress.begin("proving batches", Some(n as u64));
    let bytes = (0..n).try_fold(0, |bytes, b| {
        let size = prove_one(blobs, &m, b)?;
        progress.step();
        Ok::<_, Error>(bytes + size)
    });
    progress.end();
    Ok(Proven {
        round: m.round,
        batches: n,
        proof_bytes: bytes?,
    })
}
