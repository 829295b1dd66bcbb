//! The salted running-total chain that hides every partial sum of a round.
//!
//! A round of N batches has N + 1 boundaries. Boundary b holds the running per-asset totals
//! `S_b` over the leaves of batches `0..b` (split as the AIR sums them: [`AssetTotals`]) and a
//! fresh random salt `r_b`; it is published only as its commitment
//!
//! ```text
//! C_b = sponge(CHAIN, A, [round binding (4), b, S_b (4 per asset: e_lo, e_hi, d_lo, d_hi), r_b (4)])
//! ```
//!
//! Batch b's proof carries `C_b` and `C_{b+1}` as public values and proves, inside its AIR, that
//! both are these sponges and that `S_{b+1} = S_b + Σ` over its leaves. The verifier checks
//! `C_out(b) = C_in(b + 1)`, opens `C_0` to zero totals and `C_N` to the published totals. No
//! batch's totals and no partial sum is published: every `r_b` with `0 < b < N` stays secret.
//!
//! # Security
//! - The salt must be uniformly random and fresh per boundary and per round (4 field elements,
//!   ~256 bits, from the operating system): without it anyone could confirm a guess of a
//!   boundary's totals by recomputing its commitment, and a salt reused across two boundaries
//!   lets a guess at one be tested against the other.
//! - Every running-total word entering a batch (`S_in`) is range-checked below 2^63 in the
//!   chain AIR (limbs of 16, 16, 16 and 15 bits, eight words per row), and a batch adds at most `2^24 · 2^32 = 2^56`
//!   per word, so `S_out = S_in + sums < 2^63 + 2^56 < p` is the integer sum: no boundary can
//!   wrap the field, whatever the opened start (a forged start of `p − Σ` has no limbs).
//! - The chain lives in its own small AIR ([`crate::air::ChainAir`], `2^log_rows` rows) in the
//!   same batch proof, so the batch AIR does not carry ~450 chain columns on every leaf row. The
//!   batch AIR sends its sums to it on one bus message together with a private mask
//!   ([`mask`]): the proof publishes each AIR's LogUp sum, and without the mask that term would
//!   confirm a guess of the batch's sums.

use custodia_hash::{Digest, F, RATE, domain, sponge};
use p3_field::PrimeCharacteristicRing;
use serde::{Deserialize, Serialize};

use crate::public::AssetTotals;

/// Elements a boundary commitment absorbs for `num_assets` assets.
pub const fn input_len(num_assets: usize) -> usize {
    4 + 1 + 4 * num_assets + 4
}

/// Permutations of one boundary commitment.
pub const fn perms(num_assets: usize) -> usize {
    input_len(num_assets).div_ceil(RATE)
}

/// Trace rows the two commitments of a batch occupy (`2 · perms`).
pub const fn rows(num_assets: usize) -> usize {
    2 * perms(num_assets)
}

/// Running-total words of a boundary (`e_lo, e_hi, d_lo, d_hi` per asset).
pub const fn words(num_assets: usize) -> usize {
    4 * num_assets
}

/// log2 of the chain AIR's rows: room for its `2Q` permutation rows and one idle row, and at
/// least `min_log_rows` (the options' floor for any zero-knowledge trace) and
/// [`crate::layout::CHAIN_MIN_LOG_ROWS`] (narrow range tables).
pub const fn log_rows(num_assets: usize, min_log_rows: u32) -> u32 {
    let mut log = if min_log_rows > crate::layout::CHAIN_MIN_LOG_ROWS {
        min_log_rows
    } else {
        crate::layout::CHAIN_MIN_LOG_ROWS
    };
    while (1usize << log) <= rows(num_assets) {
        log += 1;
    }
    log
}

/// The mask a batch sends with its sums to the chain AIR: private to the prover (nothing checks
/// how it was made), derived from the batch's two salts so proving stays deterministic. Both salts
/// are public only in a one-batch round, whose sums are the published totals anyway.
pub fn mask(salt_in: &Digest, salt_out: &Digest) -> [F; 4] {
    let mut input = salt_in.to_field().to_vec();
    input.extend(salt_out.to_field());
    sponge(domain::CHAIN, 0, &input).to_field()
}

/// One boundary of the chain: the running totals and the salt. Secret except for the first
/// and the last boundary of a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Boundary {
    /// Running totals per asset, in the round's asset order.
    pub state: Vec<AssetTotals>,
    /// The salt: 4 uniformly random field elements.
    pub salt: Digest,
}

impl Boundary {
    /// The opening of boundary 0: zero totals.
    pub fn zero(num_assets: usize, salt: Digest) -> Self {
        Self {
            state: vec![AssetTotals::default(); num_assets],
            salt,
        }
    }
}

/// The sponge input of a boundary commitment, as [`commitment`] absorbs it. Values above the
/// field modulus are reduced (the AIR sees field elements); callers check canonical encodings.
pub fn commitment_input(
    binding: &Digest,
    boundary: u64,
    state: &[AssetTotals],
    salt: &Digest,
) -> Vec<F> {
    let mut input = Vec::with_capacity(input_len(state.len()));
    input.extend(binding.to_field());
    input.push(F::from_u64(boundary));
    for t in state {
        for v in [t.equity_lo, t.equity_hi, t.debt_lo, t.debt_hi] {
            input.push(F::from_u64(v));
        }
    }
    input.extend(salt.to_field());
    input
}

/// `C_b`: the commitment to boundary `boundary` of the round with binding `binding`.
pub fn commitment(binding: &Digest, boundary: u64, state: &[AssetTotals], salt: &Digest) -> Digest {
    sponge(
        domain::CHAIN,
        state.len() as u64,
        &commitment_input(binding, boundary, state, salt),
    )
}

/// Adds a batch's totals to a running state (`S_{b+1} = S_b + Σ`), `None` on overflow of a
/// `u64` (impossible for a real round: the sums stay below the field modulus).
pub fn add_states(state: &[AssetTotals], batch: &[AssetTotals]) -> Option<Vec<AssetTotals>> {
    if state.len() != batch.len() {
        return None;
    }
    state
        .iter()
        .zip(batch)
        .map(|(s, b)| {
            Some(AssetTotals {
                equity_lo: s.equity_lo.checked_add(b.equity_lo)?,
                equity_hi: s.equity_hi.checked_add(b.equity_hi)?,
                debt_lo: s.debt_lo.checked_add(b.debt_lo)?,
                debt_hi: s.debt_hi.checked_add(b.debt_hi)?,
            })
        })
        .collect()
}
