//! Whole-round verification: every batch proof, the top of the tree, the totals; and one user's
//! full check.
//!
//! A round folder holds `round.json` (the [`RoundManifest`]) and, per batch `b`,
//! `proofs/batch-NNNNN.proof` (the STARK, see `custodia_air::format`) and
//! `proofs/batch-NNNNN.json` (its public inputs). Nothing in the proof files is trusted: every
//! public input is compared with what the manifest implies before the STARK is checked.

use custodia_air::public::{AssetParams, BatchPublicInputs};
use custodia_hash::{Digest, compress_pairs};
use custodia_primitives::Amount;
use custodia_sumtree::round::USD_DECIMALS;
use custodia_sumtree::{
    CommittedPrices, InclusionProof, OLD_ROUND_FORMATS, ROUND_FORMAT, RoundManifest,
    assets_digest_of, directed_prices, valid_round_id, valid_snapshot_time,
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
    /// The batch proofs do not form one chain from zero to the published totals.
    #[error("batch {batch}: {reason}")]
    Chain {
        /// Batch whose commitment breaks the chain.
        batch: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The chain's published openings are malformed.
    #[error("round.json chain: {0}")]
    ChainOpening(&'static str),
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
        return bad(format!(
            "unsupported format version `{}` (this verifier reads `{ROUND_FORMAT}`{})",
            m.format,
            if OLD_ROUND_FORMATS.contains(&m.format.as_str()) {
                "; the round was published by an older version"
            } else {
                ""
            }
        ));
    }
    if !valid_round_id(&m.round) {
        return bad(format!(
            "round id `{}` must be 1-64 characters of A-Z a-z 0-9 - _ .",
            m.round
        ));
    }
    if !valid_snapshot_time(&m.snapshot_time) {
        return bad(format!(
            "snapshot time `{}` is not RFC 3339 UTC to the second (YYYY-MM-DDTHH:MM:SSZ)",
            m.snapshot_time
        ));
    }
    if let Some(p) = &m.previous
        && (!valid_round_id(&p.round) || p.round == m.round)
    {
        return bad(format!(
            "previous round id `{}` is not a valid id other than this round's",
            p.round
        ));
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
    // The USD strings are what people read: each must be the exact source of both integers the
    // proofs use (debt rounded up, collateral rounded down), and the binding absorbs it.
    for (p, t) in prices.assets.iter().zip(&m.totals) {
        let usd = Amount::parse(&p.usd, USD_DECIMALS).map_err(|e| {
            RoundError::Manifest(format!(
                "asset {}: usd price `{}` is not a decimal with at most {USD_DECIMALS} fractional digits: {e}",
                p.asset, p.usd
            ))
        })?;
        if usd.is_zero() {
            return bad(format!(
                "asset {}: a usd price of zero values its debt at nothing",
                p.asset
            ));
        }
        let (debt, collateral) = directed_prices(usd.units(), t.decimals, prices.scale);
        if u128::from(p.debt_price) != debt || u128::from(p.collateral_price) != collateral {
            return bad(format!(
                "asset {}: usd {} at scale {} gives debt price {debt} and collateral price \
                 {collateral}, not {} and {}",
                p.asset, p.usd, prices.scale, p.debt_price, p.collateral_price
            ));
        }
    }
    custodia_air::public::check_prices(&committed_asset_params(prices))
        .map_err(|e| RoundError::Manifest(format!("prices: {e}")))?;
    m.binding()
        .map_err(|e| RoundError::Manifest(e.to_string()))?;
    Ok(())
}

/// The round binding of a manifest [`check_manifest`] accepted.
fn binding(m: &RoundManifest) -> Result<custodia_hash::Digest, RoundError> {
    m.binding().map_err(|e| RoundError::Manifest(e.to_string()))
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
            debt_price: a.debt_price,
            collateral_price: a.collateral_price,
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
    if p.round_binding != binding(m)? {
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
    if p.num_batches != m.shape.num_batches() as u64 {
        return mismatch("num_batches");
    }
    Ok(p)
}

/// One batch whose proof verified against the statement the manifest gives for it.
///
/// Only [`verify_round_batch`] makes one, so holding it means the STARK was checked: an
/// aggregator that verifies batches as they arrive (on several threads, or reopening a bad one
/// on its own) hands them to [`verify_round_from`] without verifying any proof a second time.
#[derive(Debug, Clone)]
pub struct VerifiedBatch {
    batch: usize,
    // The binding of the manifest it was checked against (it covers the root and the assets).
    binding: Digest,
    public: BatchPublicInputs,
}

impl VerifiedBatch {
    /// The batch index.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// The statement its proof established.
    pub fn public(&self) -> &BatchPublicInputs {
        &self.public
    }
}

/// Verifies batch `batch` of the round: its public inputs against the manifest, then its proof.
pub fn verify_round_batch(
    m: &RoundManifest,
    batch: usize,
    files: &BatchFiles,
) -> Result<VerifiedBatch, RoundError> {
    let public = check_public(m, batch, &files.public)?;
    verify_batch(&files.proof, &public).map_err(|source| RoundError::Proof { batch, source })?;
    Ok(VerifiedBatch {
        batch,
        binding: binding(m)?,
        public,
    })
}

/// Root of the top of the tree from the batch roots.
pub fn top_root(batch_roots: &[Digest]) -> Digest {
    let mut level = batch_roots.to_vec();
    while level.len() > 1 {
        level = compress_pairs(&level);
    }
    level[0]
}

/// The chain state `round.json` opens the last boundary to, as the proofs carry it.
fn last_state(m: &RoundManifest) -> Vec<custodia_air::AssetTotals> {
    m.chain
        .last_state
        .iter()
        .map(|t| custodia_air::AssetTotals {
            equity_lo: t.equity_lo,
            equity_hi: t.equity_hi,
            debt_lo: t.debt_lo,
            debt_hi: t.debt_hi,
        })
        .collect()
}

/// Checks the chain's public openings: distinct non-zero salts, one state per asset whose
/// words are canonical and recombine to the published totals.
pub fn check_chain_openings(m: &RoundManifest) -> Result<(), RoundError> {
    let c = &m.chain;
    let zero = custodia_hash::Digest::default();
    if c.first_salt == zero || c.last_salt == zero {
        return Err(RoundError::ChainOpening("a salt is zero"));
    }
    if c.first_salt == c.last_salt {
        return Err(RoundError::ChainOpening(
            "the first and the last salt are equal",
        ));
    }
    if c.last_state.len() != m.totals.len() {
        return Err(RoundError::ChainOpening(
            "last_state does not list one entry per asset",
        ));
    }
    let p = <custodia_hash::F as p3_field::PrimeField64>::ORDER_U64;
    for t in &c.last_state {
        if [t.equity_lo, t.equity_hi, t.debt_lo, t.debt_hi]
            .iter()
            .any(|&v| v >= p)
        {
            return Err(RoundError::ChainOpening(
                "a word of last_state is not a canonical field element",
            ));
        }
    }
    for (t, s) in m.totals.iter().zip(&c.last_state) {
        for (side, opened, published) in [
            ("equity", s.equity(), t.equity.units()),
            ("debt", s.debt(), t.debt.units()),
        ] {
            if opened != published {
                return Err(RoundError::Totals {
                    asset: t.asset.to_string(),
                    side,
                    proven: opened,
                    published,
                });
            }
        }
    }
    Ok(())
}

/// Verifies a whole round: the manifest, every batch proof (with `files(b)` giving batch `b`'s
/// files), the top of the tree, and the running-total chain: batch 0 starts from the
/// commitment to zero totals, each batch starts where the previous one ended, and the last one
/// ends at the commitment to the published totals.
pub fn verify_round(
    m: &RoundManifest,
    mut files: impl FnMut(usize) -> Result<BatchFiles, RoundError>,
    progress: impl FnMut(usize),
) -> Result<VerifiedRound, RoundError> {
    verify_round_from(m, |b| verify_round_batch(m, b, &files(b)?), progress)
}

/// [`verify_round`] over batches verified earlier: `batch(b)` gives batch `b` (each must be
/// this round's batch `b`, which is checked), and everything else — the manifest, the top of
/// the tree, the running-total chain from zero to the published totals — is checked here.
pub fn verify_round_from(
    m: &RoundManifest,
    mut batch: impl FnMut(usize) -> Result<VerifiedBatch, RoundError>,
    mut progress: impl FnMut(usize),
) -> Result<VerifiedRound, RoundError> {
    check_manifest(m)?;
    check_chain_openings(m)?;
    let computed = top_root(&m.batch_roots);
    if computed != m.root {
        return Err(RoundError::TopOfTree {
            expected: m.root,
            computed,
        });
    }
    let round_binding = binding(m)?;
    let n = m.shape.num_batches();
    let mut expected_in = custodia_air::chain::commitment(
        &round_binding,
        0,
        &vec![custodia_air::AssetTotals::default(); m.totals.len()],
        &m.chain.first_salt,
    );
    let last = custodia_air::chain::commitment(
        &round_binding,
        n as u64,
        &last_state(m),
        &m.chain.last_salt,
    );
    for b in 0..n {
        let v = batch(b)?;
        if v.batch != b || v.binding != round_binding {
            return Err(RoundError::Missing {
                batch: b,
                reason: format!(
                    "the verified batch handed in is batch {} of {}",
                    v.batch,
                    if v.binding == round_binding {
                        "this round"
                    } else {
                        "another round"
                    }
                ),
            });
        }
        let p = v.public;
        if p.chain_in != expected_in {
            return Err(RoundError::Chain {
                batch: b,
                reason: if b == 0 {
                    "the chain does not start from the commitment to zero totals"
                } else {
                    "the chain is broken: it does not start where the previous batch ended"
                },
            });
        }
        expected_in = p.chain_out;
        progress(b);
    }
    if expected_in != last {
        return Err(RoundError::Chain {
            batch: n - 1,
            reason: "the chain does not end at the commitment to the published totals",
        });
    }
    Ok(VerifiedRound {
        round: m.round.clone(),
        root: m.root,
        batches: n,
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
    // A compact file names only the assets the user holds: the manifest's list (bound to every
    // batch proof through the round binding) supplies and checks the labels.
    let inclusion = &inclusion
        .bind_assets(&m.asset_list())
        .map_err(|e| RoundError::Inclusion(e.to_string()))?;
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
    let mut node = inclusion
        .leaf()
        .map_err(|e| RoundError::Inclusion(e.to_string()))?;
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
    verify_round_batch(m, batch, &batch_files(batch)?)?;
    Ok(VerifiedUser {
        inclusion: verified,
        batch,
        security_bits: custodia_air::ProofOptions::STANDARD.conjectured_security_bits(),
    })
}
