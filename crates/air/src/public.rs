//! The public inputs of a batch proof and their field-element layout.
//!
//! ```text
//! [0..4)   round binding digest (opaque to the AIR; absorbed into the chain commitments)
//! 4        batch index b
//! 5        number of batches N (opaque to the AIR; bound through the transcript)
//! 6        log2 of the leaves in the batch (k)
//! 7        number of assets (A)
//! [8..12)  batch root
//! [12..16) C_in:  commitment to the running totals before the batch (boundary b)
//! [16..20) C_out: commitment to the running totals after the batch (boundary b + 1)
//! then per asset i, 3 elements at 20 + 3i:
//!          debt price U_i, collateral price P_i, haircut h_i (bps)
//! ```
//!
//! No totals: a batch's sums and the round's partial sums stay inside the salted commitments
//! ([`crate::chain`]).

use custodia_hash::Digest;
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::config::Val;

/// Basis points in one: a haircut is `0..=BPS_ONE`.
pub const BPS_ONE: u64 = 10_000;
/// Largest price: `BPS_ONE · P < 2^40`.
pub const MAX_PRICE: u64 = ((1u64 << 40) - 1) / BPS_ONE;
/// Bound of the collateral carry chain: `A · (2^16 − 1) · max_i(BPS_ONE · P_i) ≤ 2^62`.
pub const COLLATERAL_BOUND: u128 = 1 << 62;
/// Most assets a batch statement may carry.
pub const MAX_ASSETS: usize = 256;
/// Largest batch: 2^MAX_LOG_BATCH leaves (sums stay below 2^(32+k) < p, LogUp heights < p).
pub const MAX_LOG_BATCH: u32 = 24;
/// Field elements before the per-asset block.
pub const HEADER_LEN: usize = 20;
/// Field elements per asset.
pub const PER_ASSET: usize = 3;
/// Public-value index of the batch index.
pub const INDEX_PV: usize = 4;
/// Public-value index of the batch root.
pub const ROOT_PV: usize = 8;
/// Public-value index of `C_in`.
pub const CHAIN_IN_PV: usize = 12;
/// Public-value index of `C_out`.
pub const CHAIN_OUT_PV: usize = 16;

/// The prices and haircut of one asset.
///
/// A market price rarely is an exact multiple of the round's fixed-point unit, so a round commits
/// two integers per asset: debt is valued at the price rounded **up**, collateral at the price
/// rounded **down** (`custodia_sumtree::directed_prices`). Rounding then never makes an
/// under-collateralised user look covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetParams {
    /// Value units per smallest unit of debt (a fixed-point integer the round defines, the same
    /// unit for every asset), `1..=MAX_PRICE`.
    pub debt_price: u64,
    /// Value units per smallest unit of collateral, `1..=MAX_PRICE`.
    pub collateral_price: u64,
    /// Collateral haircut in basis points, `0..=10000`.
    pub haircut_bps: u16,
}

impl AssetParams {
    /// Parameters whose price is exact in the round's unit (both prices equal).
    pub const fn exact(price: u64, haircut_bps: u16) -> Self {
        Self {
            debt_price: price,
            collateral_price: price,
            haircut_bps,
        }
    }

    /// `U · 10^4`: the weight of one unit of debt.
    pub const fn debt_weight(&self) -> u64 {
        self.debt_price * BPS_ONE
    }

    /// `P · (10^4 − h)`: the weight of one unit of equity as collateral.
    pub const fn equity_weight(&self) -> u64 {
        self.collateral_price * (BPS_ONE - self.haircut_bps as u64)
    }

    /// This asset's share of a user's collateral surplus: `e · P · (10^4 − h) − d · U · 10^4`.
    ///
    /// This is **the** collateral rule at committed prices, the one the AIR enforces: a user is
    /// collateralised iff the sum of these shares over every asset is non-negative
    /// ([`collateral_surplus`]). The rule is linear, so the trace applies it digit by digit
    /// to 16-bit limbs and carries the rest. Any `u64` inputs are exact: with weights below 2^40
    /// a share stays within ±2^104.
    pub const fn surplus(&self, equity: u64, debt: u64) -> i128 {
        equity as i128 * self.equity_weight() as i128 - debt as i128 * self.debt_weight() as i128
    }
}

/// A user's collateral surplus at committed prices: the sum of [`AssetParams::surplus`] over
/// `assets`, with `balances` the user's interleaved `e_0 d_0 e_1 d_1 …` in smallest units.
/// Non-negative iff the user's debt is covered by its collateral after haircuts.
///
/// # Panics
/// If `balances` does not hold exactly two values per asset.
pub fn collateral_surplus(assets: &[AssetParams], balances: impl IntoIterator<Item = u64>) -> i128 {
    let mut values = balances.into_iter();
    let mut pair = || values.next().expect("two balances per asset");
    let surplus = assets
        .iter()
        .map(|a| {
            let (equity, debt) = (pair(), pair());
            a.surplus(equity, debt)
        })
        .sum();
    assert!(values.next().is_none(), "two balances per asset");
    surplus
}

/// Per-asset totals of a batch, split as the AIR sums them: `lo = Σ (l0 + 2^16 l1)`,
/// `hi = Σ (l2 + 2^16 l3)` over the leaves, so the total is `lo + 2^32 · hi` exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AssetTotals {
    /// Σ of the low 32 bits of every equity.
    pub equity_lo: u64,
    /// Σ of the high 30 bits of every equity.
    pub equity_hi: u64,
    /// Σ of the low 32 bits of every debt.
    pub debt_lo: u64,
    /// Σ of the high 30 bits of every debt.
    pub debt_hi: u64,
}

impl AssetTotals {
    /// Adds one leaf's equity and debt.
    pub fn add(&mut self, equity: u64, debt: u64) {
        self.equity_lo += equity & 0xffff_ffff;
        self.equity_hi += equity >> 32;
        self.debt_lo += debt & 0xffff_ffff;
        self.debt_hi += debt >> 32;
    }

    /// Total equity as an integer.
    pub const fn equity(&self) -> u128 {
        self.equity_lo as u128 + ((self.equity_hi as u128) << 32)
    }

    /// Total debt as an integer.
    pub const fn debt(&self) -> u128 {
        self.debt_lo as u128 + ((self.debt_hi as u128) << 32)
    }
}

/// Everything a batch proof is about, in the clear.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchPublicInputs {
    /// Binds the proof to one round (hash of round id, snapshot time, assets digest, tree shape,
    /// root, prices), supplied by the caller.
    pub round_binding: Digest,
    /// Index of the batch in the round.
    pub batch_index: u64,
    /// Number of batches in the round.
    pub num_batches: u64,
    /// log2 of the leaves in the batch.
    pub log_batch: u32,
    /// Root of the batch's subtree.
    pub batch_root: Digest,
    /// Commitment to the running totals before this batch (boundary `batch_index`).
    pub chain_in: Digest,
    /// Commitment to the running totals after this batch (boundary `batch_index + 1`).
    pub chain_out: Digest,
    /// Prices and haircut per asset, in the round's asset order.
    pub assets: Vec<AssetParams>,
}

/// Why public inputs are outside the statement's bounds.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PublicInputsError {
    /// No assets, or more than [`MAX_ASSETS`].
    #[error("asset count {0} is outside 1..={MAX_ASSETS}")]
    AssetCount(usize),
    /// The batch index is not below the number of batches.
    #[error("batch index {index} is not below the round's {batches} batches")]
    BatchIndex {
        /// Index.
        index: u64,
        /// Batches.
        batches: u64,
    },
    /// Batch too large.
    #[error("log_batch {0} exceeds {MAX_LOG_BATCH}")]
    BatchTooLarge(u32),
    /// Price above [`MAX_PRICE`].
    #[error(
        "asset {asset}: price {price} exceeds the maximum {MAX_PRICE} (price · 10^4 must be < 2^40)"
    )]
    PriceTooLarge {
        /// Asset index.
        asset: usize,
        /// The price.
        price: u64,
    },
    /// A price of zero: that asset's debt would count for nothing against collateral.
    #[error("asset {asset}: the {side} price is zero; every asset needs a positive price")]
    ZeroPrice {
        /// Asset index.
        asset: usize,
        /// `debt` or `collateral`.
        side: &'static str,
    },
    /// The collateral price exceeds the debt price: collateral would be valued above debt of
    /// the same asset.
    #[error(
        "asset {asset}: collateral price {collateral} exceeds debt price {debt}; collateral is rounded down, debt up"
    )]
    PriceOrder {
        /// Asset index.
        asset: usize,
        /// Debt price.
        debt: u64,
        /// Collateral price.
        collateral: u64,
    },
    /// Haircut above 100%.
    #[error("asset {asset}: haircut {haircut_bps} bps exceeds 10000")]
    Haircut {
        /// Asset index.
        asset: usize,
        /// The haircut.
        haircut_bps: u16,
    },
    /// `A · (2^16 − 1) · max(P · 10^4)` exceeds 2^62: the collateral carry chain could wrap.
    #[error(
        "{assets} assets with a largest price of {max_price} exceed the collateral bound A·(2^16−1)·P·10^4 ≤ 2^62"
    )]
    CollateralBound {
        /// Asset count.
        assets: usize,
        /// Largest price.
        max_price: u64,
    },
    /// A value is not a canonical field element.
    #[error("{0} is not below the Goldilocks modulus")]
    NonCanonical(&'static str),
    /// Wrong number of field elements.
    #[error("expected {expected} public field elements, got {got}")]
    Length {
        /// Expected.
        expected: usize,
        /// Got.
        got: usize,
    },
}

const P: u64 = Val::ORDER_U64;

fn canonical(v: u64, what: &'static str) -> Result<Val, PublicInputsError> {
    if v < P {
        Ok(Val::new(v))
    } else {
        Err(PublicInputsError::NonCanonical(what))
    }
}

/// Checks the price bounds the soundness argument needs, for `assets`.
pub fn check_prices(assets: &[AssetParams]) -> Result<(), PublicInputsError> {
    if assets.is_empty() || assets.len() > MAX_ASSETS {
        return Err(PublicInputsError::AssetCount(assets.len()));
    }
    for (asset, a) in assets.iter().enumerate() {
        for (side, price) in [("debt", a.debt_price), ("collateral", a.collateral_price)] {
            if price == 0 {
                return Err(PublicInputsError::ZeroPrice { asset, side });
            }
            if price > MAX_PRICE {
                return Err(PublicInputsError::PriceTooLarge { asset, price });
            }
        }
        if a.collateral_price > a.debt_price {
            return Err(PublicInputsError::PriceOrder {
                asset,
                debt: a.debt_price,
                collateral: a.collateral_price,
            });
        }
        if u64::from(a.haircut_bps) > BPS_ONE {
            return Err(PublicInputsError::Haircut {
                asset,
                haircut_bps: a.haircut_bps,
            });
        }
    }
    // The debt price is the larger one (checked above), so it bounds both weights.
    let max_price = assets.iter().map(|a| a.debt_price).max().unwrap_or(0);
    let bound = assets.len() as u128 * 0xffff * u128::from(max_price * BPS_ONE);
    if bound > COLLATERAL_BOUND {
        return Err(PublicInputsError::CollateralBound {
            assets: assets.len(),
            max_price,
        });
    }
    Ok(())
}

impl BatchPublicInputs {
    /// Number of assets.
    pub fn num_assets(&self) -> usize {
        self.assets.len()
    }

    /// Field elements in the layout for `num_assets` assets.
    pub const fn len_for(num_assets: usize) -> usize {
        HEADER_LEN + PER_ASSET * num_assets
    }

    /// Checks every bound of the statement (prices, haircuts, sizes, canonical encodings).
    pub fn validate(&self) -> Result<(), PublicInputsError> {
        check_prices(&self.assets)?;
        if self.log_batch > MAX_LOG_BATCH {
            return Err(PublicInputsError::BatchTooLarge(self.log_batch));
        }
        if self.batch_index >= self.num_batches {
            return Err(PublicInputsError::BatchIndex {
                index: self.batch_index,
                batches: self.num_batches,
            });
        }
        self.to_field_elements().map(|_| ())
    }

    /// The public values the AIR reads, in the documented layout.
    pub fn to_field_elements(&self) -> Result<Vec<Val>, PublicInputsError> {
        let mut out = Vec::with_capacity(Self::len_for(self.assets.len()));
        for &v in &self.round_binding.0 {
            out.push(canonical(v, "round binding")?);
        }
        out.push(canonical(self.batch_index, "batch index")?);
        out.push(canonical(self.num_batches, "number of batches")?);
        out.push(Val::from_u32(self.log_batch));
        out.push(Val::from_usize(self.assets.len()));
        for (digest, what) in [
            (&self.batch_root, "batch root"),
            (&self.chain_in, "chain_in"),
            (&self.chain_out, "chain_out"),
        ] {
            for &v in &digest.0 {
                out.push(canonical(v, what)?);
            }
        }
        for a in &self.assets {
            out.push(canonical(a.debt_price, "debt price")?);
            out.push(canonical(a.collateral_price, "collateral price")?);
            out.push(Val::from_u16(a.haircut_bps));
        }
        Ok(out)
    }

    /// Reads the layout back (every element is canonical by construction).
    pub fn from_field_elements(v: &[Val]) -> Result<Self, PublicInputsError> {
        if v.len() < HEADER_LEN || !(v.len() - HEADER_LEN).is_multiple_of(PER_ASSET) {
            return Err(PublicInputsError::Length {
                expected: HEADER_LEN,
                got: v.len(),
            });
        }
        let a = (v.len() - HEADER_LEN) / PER_ASSET;
        let u = |x: Val| x.as_canonical_u64();
        if u(v[7]) != a as u64 {
            return Err(PublicInputsError::Length {
                expected: Self::len_for(u(v[7]) as usize),
                got: v.len(),
            });
        }
        let log_batch =
            u32::try_from(u(v[6])).map_err(|_| PublicInputsError::BatchTooLarge(u32::MAX))?;
        let digest = |at: usize| Digest([u(v[at]), u(v[at + 1]), u(v[at + 2]), u(v[at + 3])]);
        let mut assets = Vec::with_capacity(a);
        for i in 0..a {
            let b = &v[HEADER_LEN + PER_ASSET * i..HEADER_LEN + PER_ASSET * (i + 1)];
            let haircut_bps = u16::try_from(u(b[2])).map_err(|_| PublicInputsError::Haircut {
                asset: i,
                haircut_bps: u16::MAX,
            })?;
            assets.push(AssetParams {
                debt_price: u(b[0]),
                collateral_price: u(b[1]),
                haircut_bps,
            });
        }
        Ok(Self {
            round_binding: digest(0),
            batch_index: u(v[INDEX_PV]),
            num_batches: u(v[5]),
            log_batch,
            batch_root: digest(ROOT_PV),
            chain_in: digest(CHAIN_IN_PV),
            chain_out: digest(CHAIN_OUT_PV),
            assets,
        })
    }
}
