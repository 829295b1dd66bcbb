//! Whole-round verification: every batch proof, the top of the tree, the totals; and one user's
//! full check.
//!
//! A round folder holds `round.json` (the [`RoundManifest`]) and, per batch `b`,
//! `proofs/batch-NNNNN.proof` (the STARK, see `custodia_air::format`) and
//! `proofs/batch-NNNNN.json` (its public inputs). Nothing in the proof files is trusted: every
//! public input is compared with what the manifest implies before the STARK is checked.

use custodia_air::public::{AssetParams, BatchPublicInputs};
use custodia_hash::{Digest, compress_pairs};
use custodia_sumtree::{
    CommittedPrices, InclusionProof, ROUND_FORMAT, RoundManifest, assets_digest_of, leaf_hash,
    uid_hash,
};
use thiserror::Error;

use crate::{VerifyError, verify_batch};

/// Largest public-input file accepted.
pub const MAX_PUBLIC_BYTES: usize = 1 << 20;

/// One batch's files, as bytes.
#[derive(Debug, Clone)]
pub struct BatchFiles {
    /// The proof (`batch-NNNNN.proof`).
    pub proof: Vec<u8>,
    /// Its public inputs (`batch-NNNNN.json`).
    pub public: Vec<u8>,
}

/// Why a round or a user's check was rejected.
#[derive(Debug, Error)]
pub enum RoundError {
    /// The manifest is inconsistent with itself.
    #[error("round.json: {0}")]
    Manifest(String),
    /// A batch's files are missing or unreadable.
    #[error("batch {batch}: {reason}")]
    Missing {
        /// Batch index.
        batch: usize,
        /// What is wrong.
        reason: String,
    },
    /// A batch's public inputs disagree with the manifest.
    #[error("batch {batch}: public input `{field}` does not match the round")]
    PublicMismatch {
        /// Batch index.
        batch: usize,
        /// Which input.
        field: &'static str,
    },
    /// A batch proof does not verify.
    #[error("batch {batch}: {source}")]
    Proof {
        /// Batch index.
        batch: usize,
        /// Why.
        source: VerifyError,
    },
    /// The batch roots do not join into the root.
    #[error("the batch roots join into {computed}, not the published root {expected}")]
    TopOfTree {
        /// Published root.
        expected: Digest,
        /// Root from the batch roots.
        computed: Digest,
    },
    /// Proven totals differ from the published ones.
    #[error("asset {asset}: proven total {side} {proven} differs from the published {published}")]
    Totals {
        /// Asset symbol.
        asset: String,
        /// `equity` or `debt`.
        side: &'static str,
        /// Sum of the batch proofs.
        proven: u128,
        /// In round.json.
        published: u128,
    },
    /// The user's inclusion proof is not for this round or does not verify.
    #[error("inclusion: {0}")]
    Inclusion(String),
}

/// What a verified round established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRound {
    /// Round id.
    pub round: String,
    /// The root.
    pub root: Digest,
    /// Batches verified.
    pub batches: usize,
    /// Padded leaf count.
    pub leaves: u64,
    /// Conjectured security of every proof, in bits.
    pub security_bits: u32,
}

/// Checks the manifest's internal consistency: shape, batch roots, asset digest, prices.
pub fn check_manifest(m: &RoundManifest) -> Result<(), RoundError> {
    let bad = |s: String| Err(RoundError::Manifest(s));
    if m.format != ROUND_FORMAT {
        return bad(format!("unsupported format `{}`", m.format));
    }
    if m.shape.log_batch > m.shape.log_leaves || m.shape.log_leaves > 32 {
        return bad(format!("impossible tree shape {:?}", m.shape));
    }
    if m.batch_roots.len() != m.shape.num_batches() {
        return bad(format!(
            "{} batch roots for {} batches",
            m.batch_roots.len(),
            m.shape.num_batches()
        ));
    }
    if m.totals.is_empty() {
        return bad("no assets".into());
    }
    let digest = assets_digest_of(m.totals.iter().map(|t| (&t.asset, t.decimals)));
    if digest != m.assets_digest {
        return bad("assets_digest does not match the asset list".into());
    }
    let Some(prices) = &m.prices else {
        return bad("no committed prices: the round cannot be proven".into());
    };
    if prices.assets.len() != m.totals.len()
        || prices
            .assets
            .iter()
            .zip(&m.totals)
            .any(|(p, t)| p.asset != t.asset)
    {
        return bad("prices do not list the round's assets in order".into());
    }
    Ok(())
}

/// The per-asset statement parameters (committed price, haircut) a round's batch proofs carry, in
/// asset order; empty when the round has no prices. The prover side builds its inputs from this
/// same function, so both sides read `round.json` the one way.
pub fn asset_params(m: &RoundManifest) -> Vec<AssetParams> {
    m.prices
        .as_ref()
        .map(committed_asset_params)
        .unwrap_or_default()
}

/// The statement parameters of committed prices, in their asset order: what [`asset_params`]
/// reads from a manifest, for a round whose manifest is not written yet.
pub fn committed_asset_params(prices: &CommittedPrices) -> Vec<AssetParams> {
    prices
        .assets
        .iter()
        .map(|a| AssetParams {
            price: a.price,
            haircut_bps: a.haircut_bps,
        })
        .collect()
}

/// Parses a batch's public inputs and compares every field the manifest fixes.
pub fn check_public(
    m: &RoundManifest,
    batch: usize,
    bytes: &[u8],
) -> Result<BatchPublicInputs, RoundError> {
    if bytes.len() > MAX_PUBLIC_BYTES {
        return Err(RoundError::Missing {
            batch,
            reason: format!("public inputs are {} bytes", bytes.len()),
        });
    }
    let p: BatchPublicInputs = serde_json::from_slice(bytes).map_err(|e| RoundError::Missing {
        batch,
        reason: format!("public inputs unreadable: {e}"),
    })?;
    let mismatch = |field| Err(RoundError::PublicMismatch { batch, field });
    if p.round_binding != m.binding() {
        return mismatch("round_binding");
    }
    if p.batch_index != batch as u64 {
        return mismatch("batch_index");
    }
    if p.log_batch != m.shape.log_batch {
        return mismatch("log_batch");
    }
    if p.batch_root != m.batch_roots[batch] {
        return mismatch("batch_root");
    }
    if p.assets != asset_params(m) {
        return mismatch("prices");
    }
    if p.totals.len() != m.totals.len() {
        return mismatch("totals");
    }
    Ok(p)
}

fn verify_one(
    m: &RoundManifest,
    batch: usize,
    files: &BatchFiles,
) -> Result<BatchPublicInputs, RoundError> {
    let public = check_public(m, batch, &files.public)?;
    verify_batch(&files.proof, &public).map_err(|source| RoundError::Proof { batch, source })?;
    Ok(public)
}

/// Root of the top of the tree from the batch roots.
pub fn top_root(batch_roots: &[Digest]) -> Digest {
    let mut level = batch_roots.to_vec();
    while level.len() > 1 {
        level = compress_pairs(&level);
    }
    level[0]
}

/// Verifies a whole round: the manifest, every batch proof (with `files(b)` giving batch `b`'s
/// files), the top of the tree, and that the proven per-asset totals add up to the published ones.
pub fn verify_round(
    m: &RoundManifest,
    mut files: impl FnMut(usize) -> Result<BatchFiles, RoundError>,
    mut progress: impl FnMut(usize),
) -> Result<VerifiedRound, RoundError> {
    check_manifest(m)?;
    let computed = top_root(&m.batch_roots);
    if computed != m.root {
        return Err(RoundError::TopOfTree {
            expected: m.root,
            computed,
        });
    }
    let mut equity = vec![0u128; m.totals.len()];
    let mut debt = vec![0u128; m.totals.len()];
    for b in 0..m.shape.num_batches() {
        let p = verify_one(m, b, &files(b)?)?;
        for (i, t) in p.totals.iter().enumerate() {
            equity[i] += t.equity();
            debt[i] += t.debt();
        }
        progress(b);
    }
    for (i, t) in m.totals.iter().enumerate() {
        for (side, proven, published) in [
            ("equity", equity[i], t.equity.units()),
            ("debt", debt[i], t.debt.units()),
        ] {
            if proven != published {
                return Err(RoundError::Totals {
                    asset: t.asset.to_string(),
                    side,
                    proven,
                    published,
                });
            }
        }
    }
    Ok(VerifiedRound {
        round: m.round.clone(),
        root: m.root,
        batches: m.shape.num_batches(),
        leaves: m.shape.num_leaves() as u64,
        security_bits: custodia_air::ProofOptions::STANDARD.conjectured_security_bits(),
    })
}

/// What one user's full check established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedUser {
    /// The inclusion result.
    pub inclusion: custodia_sumtree::VerifiedInclusion,
    /// The batch whose proof covers the user.
    pub batch: usize,
    /// Conjectured security of the batch proof, in bits.
    pub security_bits: u32,
}

/// One user's check: the inclusion proof against the round's root, the batch proof covering the
/// user's leaf (with every public input checked against the manifest), and the user's path
/// passing through that batch's proven root.
pub fn verify_user(
    m: &RoundManifest,
    inclusion: &InclusionProof,
    batch_files: impl FnOnce(usize) -> Result<BatchFiles, RoundError>,
) -> Result<VerifiedUser, RoundError> {
    check_manifest(m)?;
    if inclusion.round != m.round {
        return Err(RoundError::Inclusion(format!(
            "the file is for round `{}`, not `{}`",
            inclusion.round, m.round
        )));
    }
    if inclusion.assets != m.asset_list() {
        return Err(RoundError::Inclusion(
            "the file's asset list differs from the round's".into(),
        ));
    }
    if inclusion.height() != m.shape.log_leaves as usize {
        return Err(RoundError::Inclusion(format!(
            "path of {} siblings in a tree of height {}",
            inclusion.height(),
            m.shape.log_leaves
        )));
    }
    let verified = inclusion
        .verify(&m.root)
        .map_err(|e| RoundError::Inclusion(e.to_string()))?;
    let k = m.shape.log_batch as usize;
    let batch = (inclusion.leaf_index >> k) as usize;
    // The user's path must pass through the batch root the proof is about.
    let balances = inclusion
        .leaf_balances()
        .map_err(|e| RoundError::Inclusion(e.to_string()))?;
    let mut node = leaf_hash(&uid_hash(&inclusion.user_id, &inclusion.nonce), &balances);
    for (level, sib) in inclusion.siblings[..k].iter().enumerate() {
        node = if (inclusion.leaf_index >> level) & 1 == 0 {
            custodia_hash::compress(&node, sib)
        } else {
            custodia_hash::compress(sib, &node)
        };
    }
    if node != m.batch_roots[batch] {
        return Err(RoundError::Inclusion(format!(
            "the path does not pass through batch {batch}'s root"
        )));
    }
    verify_one(m, batch, &batch_files(batch)?)?;
    Ok(VerifiedUser {
        inclusion: verified,
        batch,
        security_bits: custodia_air::ProofOptions::STANDARD.conjectured_security_bits(),
    })
}
