//! Checking a whole round and recording the result.

use custodia_sumtree::{AssetTotals, RoundManifest};
use custodia_verifier::round::{
    RoundError, VerifiedBatch, VerifiedRound, verify_round, verify_round_from,
};
use serde::{Deserialize, Serialize};

use crate::folder::{AGGREGATE, load_manifest, read_batch};
use crate::{Blobs, Error, Progress};

/// Format tag of [`AggregateRecord`].
pub const AGGREGATE_FORMAT: &str = "custodia-aggregate/1";

/// `proofs/aggregate.json`: the round as checked by [`aggregate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggregateRecord {
    /// Always [`AGGREGATE_FORMAT`].
    pub format: String,
    /// Round id.
    pub round: String,
    /// The root, hex.
    pub root: String,
    /// The round binding every batch proof carries, hex.
    pub round_binding: String,
    /// Batches verified.
    pub batches: usize,
    /// Padded leaves.
    pub leaves: u64,
    /// Conjectured security of every proof, in bits.
    pub security_bits: u32,
    /// The published per-asset totals the proofs add up to.
    pub totals: Vec<AssetTotals>,
}

/// Verifies the round in `blobs` against its manifest `m`: every batch proof, the top of the
/// tree, the totals. A missing proof file is a rejection ([`RoundError::Missing`]).
pub fn check_round(
    blobs: &dyn Blobs,
    m: &RoundManifest,
    progress: &dyn Progress,
) -> Result<VerifiedRound, RoundError> {
    progress.begin("verifying batches", Some(m.batch_roots.len() as u64));
    let verified = verify_round(m, |b| read_batch(blobs, b), |_| progress.step());
    progress.end();
    verified
}

/// `por aggregate`: checks the whole round and records the result as `proofs/aggregate.json`.
///
/// `Ok(Err(_))` is a rejection (nothing is written); `Err(_)` a round that could not be read or
/// a record that could not be written.
pub fn aggregate(
    blobs: &dyn Blobs,
    progress: &dyn Progress,
) -> Result<Result<AggregateRecord, RoundError>, Error> {
    let m = load_manifest(blobs)?;
    let v = match check_round(blobs, &m, progress) {
        Ok(v) => v,
        Err(rejected) => return Ok(Err(rejected)),
    };
    record(blobs, &m, v)
}

/// [`aggregate`] over batch proofs verified already (a distributed round's aggregator checks
/// each accepted proof as it fetches it): the rest of the round is checked here — manifest, top
/// of the tree, running-total chain — and the record written, without verifying a proof twice.
/// The batch proofs themselves must already be in `blobs` (they are published with the record).
pub fn aggregate_verified(
    blobs: &dyn Blobs,
    verified: Vec<VerifiedBatch>,
) -> Result<Result<AggregateRecord, RoundError>, Error> {
    let m = load_manifest(blobs)?;
    let mut verified = verified.into_iter();
    let v = match verify_round_from(
        &m,
        |b| {
            verified.next().ok_or_else(|| RoundError::Missing {
                batch: b,
                reason: "no verified proof was handed in for it".into(),
            })
        },
        |_| {},
    ) {
        Ok(v) => v,
        Err(rejected) => return Ok(Err(rejected)),
    };
    record(blobs, &m, v)
}

fn record(
    blobs: &dyn Blobs,
    m: &RoundManifest,
    v: VerifiedRound,
) -> Result<Result<AggregateRecord, RoundError>, Error> {
    let record = AggregateRecord {
        format: AGGREGATE_FORMAT.to_owned(),
        round: v.round,
        root: v.root.to_hex(),
        round_binding: m.binding()?.to_hex(),
        batches: v.batches,
        leaves: v.leaves,
        security_bits: v.security_bits,
        totals: m.totals.clone(),
    };
    blobs.put(AGGREGATE, &serde_json::to_vec_pretty(&record)?)?;
    Ok(Ok(record))
}
