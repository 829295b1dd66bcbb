//! USD prices with collateral haircuts (`prices.toml`) and the exact collateral rule.

use std::fmt::Write as _;
use std::path::Path;

use custodia_primitives::{Amount, AssetId, AssetRegistry, Total};
use serde::Deserialize;
use thiserror::Error;
use toml::Spanned;

use crate::error::{line_col, quote};
use crate::{PriceProblem, Reason, SnapshotError};

/// Prices are fixed-point integers: USD per whole unit of the asset × 10^8.
pub const PRICE_SCALE_DECIMALS: u8 = 8;
/// `10^PRICE_SCALE_DECIMALS`.
pub const PRICE_SCALE: u64 = 100_000_000;
/// Basis points in one: a haircut is `0..=BPS_ONE` basis points.
pub const BPS_ONE: u16 = 10_000;

/// One asset's USD price and collateral haircut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Price {
    usd_e8: u64,
    haircut_bps: u16,
}

impl Price {
    /// A price of `usd_e8` (USD per whole unit × 10^8) with a haircut of `haircut_bps` basis
    /// points; `None` if the haircut exceeds 10000 (100%).
    pub const fn new(usd_e8: u64, haircut_bps: u16) -> Option<Self> {
        if haircut_bps <= BPS_ONE {
            Some(Self {
                usd_e8,
                haircut_bps,
            })
        } else {
            None
        }
    }

    /// USD per whole unit × 10^8.
    pub const fn usd_e8(self) -> u64 {
        self.usd_e8
    }

    /// The collateral haircut in basis points (`0..=10000`): equity of this asset counts for
    /// `(10000 - haircut) / 10000` of its value as collateral.
    pub const fn haircut_bps(self) -> u16 {
        self.haircut_bps
    }

    /// The USD price as an exact decimal string, e.g. `"67012.5"`.
    pub fn usd_decimal(self) -> String {
        Total::from_units(u128::from(self.usd_e8)).to_decimal(PRICE_SCALE_DECIMALS)
    }
}

/// The prices of every asset of a round's registry, in registry order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prices {
    ids: Vec<AssetId>,
    decimals: Vec<u8>,
    prices: Vec<Price>,
    /// `10^(D - decimals_i)` with `D` the largest decimals: brings every amount to a common scale.
    align: Vec<u128>,
}

impl Prices {
    /// Prices for `registry`, one per asset in registry order.
    pub fn new(registry: &AssetRegistry, prices: Vec<Price>) -> Result<Self, SnapshotError> {
        if prices.len() != registry.len() {
            return Err(SnapshotError::new(
                "<memory>",
                None,
                None,
                Reason::PriceCount {
                    expected: registry.len(),
                    got: prices.len(),
                },
            ));
        }
        let assets = registry.assets();
        let max_dec = assets.iter().map(|a| a.decimals).max().unwrap_or(0);
        Ok(Self {
            ids: assets.iter().map(|a| a.id.clone()).collect(),
            decimals: assets.iter().map(|a| a.decimals).collect(),
            align: assets
                .iter()
                .map(|a| 10u128.pow(u32::from(max_dec - a.decimals)))
                .collect(),
            prices,
        })
    }

    /// Number of assets priced.
    pub fn len(&self) -> usize {
        self.prices.len()
    }

    /// Always false: a registry holds at least one asset.
    pub fn is_empty(&self) -> bool {
        self.prices.is_empty()
    }

    /// The price of asset `i`.
    pub fn get(&self, i: usize) -> Option<Price> {
        self.prices.get(i).copied()
    }

    /// All prices, in registry order.
    pub fn as_slice(&self) -> &[Price] {
        &self.prices
    }

    /// The USD value of `amount` of asset `asset_index`, in USD × 10^8, rounded down:
    /// `floor(units × usd_e8 / 10^decimals)`. Exact: the product is below 2^126.
    ///
    /// # Panics
    ///
    /// If `asset_index` is out of range.
    pub fn usd_value(&self, asset_index: usize, amount: Amount) -> u128 {
        let product = u128::from(amount.units()) * u128::from(self.prices[asset_index].usd_e8);
        product / 10u128.pow(u32::from(self.decimals[asset_index]))
    }

    /// The `prices.toml` text [`load_prices`] reads back to an equal value.
    pub fn to_toml(&self) -> String {
        let mut out = String::from(
            "# USD prices of the round's assets: `usd` is USD per whole unit as an exact decimal\n\
             # string (at most 8 decimals), `haircut_bps` the collateral haircut in basis points.\n",
        );
        for (id, p) in self.ids.iter().zip(&self.prices) {
            let _ = write!(
                out,
                "\n[[price]]\nasset = \"{id}\"\nusd = \"{}\"\nhaircut_bps = {}\n",
                p.usd_decimal(),
                p.haircut_bps
            );
        }
        out
    }
}

/// A user whose debt exceeds the haircut value of their equity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error(
    "undercollateralised: debt worth {} USD exceeds haircut collateral worth {} USD",
    Total::from_units(*debt_usd_e8).to_decimal(PRICE_SCALE_DECIMALS),
    Total::from_units(*collateral_usd_e8).to_decimal(PRICE_SCALE_DECIMALS)
)]
pub struct Undercollateralised {
    /// `Σ debt_i × price_i`, USD × 10^8, rounded down (saturates at `u128::MAX`).
    pub debt_usd_e8: u128,
    /// `Σ equity_i × price_i × (1 - haircut_i)`, USD × 10^8, rounded down (saturates).
    pub collateral_usd_e8: u128,
}

/// Checks one user's collateral rule in exact USD, at the operator's prices per whole unit:
///
/// `Σ_i debt_i × price_i ≤ Σ_i equity_i × price_i × (10000 − haircut_i) / 10000`
///
/// with amounts in their assets' smallest units and prices per whole unit. Both sides are scaled
/// by `10^D × 10000` (`D` the largest decimals of the registry) so the comparison needs no
/// division and no rounding: each term `(units × 10^(D−dec_i)) × (price × weight)` is a product of
/// two factors below 2^122 and 2^78, evaluated in 256-bit integers (a `u128` does not suffice:
/// terms reach 2^200). Nothing can overflow for registries of fewer than 2^55 assets.
///
/// A user without debt always passes.
///
/// This is the operator's margin check on `prices.toml` as written. The rule a round's proofs
/// enforce is the same inequality at the round's *committed* integer prices
/// (`custodia_air::AssetParams::surplus`); the two can differ by the rounding of the commitment.
///
/// # Panics
///
/// If `balances` is not the `2 * prices.len()` interleaved row of
/// [`crate::Snapshot::user_balances`].
pub fn check_collateral_usd(
    balances: &[Amount],
    prices: &Prices,
) -> Result<(), Undercollateralised> {
    assert_eq!(
        balances.len(),
        2 * prices.len(),
        "balances must be one user's interleaved equity/debt row"
    );
    if balances.iter().skip(1).step_by(2).all(|d| d.is_zero()) {
        return Ok(());
    }
    let mut debt = U256::ZERO;
    let mut collateral = U256::ZERO;
    for (i, pair) in balances.chunks_exact(2).enumerate() {
        let p = prices.prices[i];
        let align = prices.align[i];
        let (equity, owed) = (pair[0].units(), pair[1].units());
        if owed != 0 {
            let term = U256::mul(
                u128::from(owed) * align,
                u128::from(p.usd_e8) * u128::from(BPS_ONE),
            );
            debt = debt.add(term);
        }
        if equity != 0 {
            let weight = u128::from(BPS_ONE - p.haircut_bps);
            let term = U256::mul(u128::from(equity) * align, u128::from(p.usd_e8) * weight);
            collateral = collateral.add(term);
        }
    }
    if debt <= collateral {
        return Ok(());
    }
    // Back to USD × 10^8 for the message: divide by 10^D × 10^4.
    let max_dec = prices.decimals.iter().copied().max().unwrap_or(0);
    let unscale = |v: U256| {
        v.div_u64(10u64.pow(u32::from(max_dec)))
            .div_u64(u64::from(BPS_ONE))
            .to_u128_saturating()
    };
    Err(Undercollateralised {
        debt_usd_e8: unscale(debt),
        collateral_usd_e8: unscale(collateral),
    })
}

/// Unsigned 256-bit integer, just enough for [`check_collateral_usd`]. Limbs are most significant
/// first, so the derived ordering is numeric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct U256([u64; 4]);

impl U256 {
    const ZERO: Self = Self([0; 4]);

    /// The full product of two `u128`.
    fn mul(a: u128, b: u128) -> Self {
        const LO: u128 = u64::MAX as u128;
        let (a1, a0) = (a >> 64, a & LO);
        let (b1, b0) = (b >> 64, b & LO);
        let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
        let mid = (p00 >> 64) + (p01 & LO) + (p10 & LO); // < 3 * 2^64
        // The product is below 2^256, so the high half cannot overflow.
        let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
        Self([(hi >> 64) as u64, hi as u64, mid as u64, p00 as u64])
    }

    /// `self + rhs`. Sums in [`check_collateral_usd`] stay below 2^256 (terms are below 2^200).
    fn add(self, rhs: Self) -> Self {
        let mut out = [0u64; 4];
        let mut carry = false;
        for k in (0..4).rev() {
            let (s, c1) = self.0[k].overflowing_add(rhs.0[k]);
            let (s, c2) = s.overflowing_add(u64::from(carry));
            out[k] = s;
            carry = c1 || c2;
        }
        assert!(!carry, "256-bit collateral sum overflowed");
        Self(out)
    }

    /// `floor(self / d)`.
    fn div_u64(self, d: u64) -> Self {
        let mut out = [0u64; 4];
        let mut rem: u128 = 0;
        for (q, &limb) in out.iter_mut().zip(&self.0) {
            let cur = (rem << 64) | u128::from(limb);
            *q = (cur / u128::from(d)) as u64;
            rem = cur % u128::from(d);
        }
        Self(out)
    }

    fn to_u128_saturating(self) -> u128 {
        if self.0[0] != 0 || self.0[1] != 0 {
            u128::MAX
        } else {
            (u128::from(self.0[2]) << 64) | u128::from(self.0[3])
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PricesFile {
    #[serde(default)]
    price: Vec<PriceEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceEntry {
    asset: Spanned<String>,
    usd: Spanned<toml::Value>,
    haircut_bps: Spanned<i64>,
}

/// Reads `prices.toml` for `registry`: one `[[price]]` table per asset with `asset`, `usd` (a
/// decimal string, USD per whole unit, at most 8 decimals) and `haircut_bps` (`0..=10000`).
///
/// Every asset of the registry must be priced exactly once and nothing else may be; errors
/// name the file, line and column.
pub fn load_prices(path: &Path, registry: &AssetRegistry) -> Result<Prices, SnapshotError> {
    let text = std::fs::read(path).map_err(|e| SnapshotError::io(path, &e))?;
    let text = std::str::from_utf8(&text).map_err(|e| {
        let (line, col) = line_col(&text, e.valid_up_to());
        SnapshotError::new(path, Some(line), Some(col), Reason::InvalidUtf8)
    })?;
    parse_prices(text, path, registry)
}

/// [`load_prices`] from text; `path` names it in errors.
pub fn parse_prices(
    text: &str,
    path: &Path,
    registry: &AssetRegistry,
) -> Result<Prices, SnapshotError> {
    let at = |offset: usize, reason| {
        let (line, col) = line_col(text.as_bytes(), offset);
        SnapshotError::new(path, Some(line), Some(col), reason)
    };
    let file: PricesFile = toml::from_str(text).map_err(|e| match e.span() {
        Some(span) => at(span.start, Reason::Toml(e.message().to_owned())),
        None => SnapshotError::new(path, None, None, Reason::Toml(e.message().to_owned())),
    })?;
    let mut slots: Vec<Option<(Price, usize)>> = vec![None; registry.len()];
    for entry in file.price {
        let asset_at = entry.asset.span().start;
        let i = registry.index_of(entry.asset.get_ref()).ok_or_else(|| {
            at(
                asset_at,
                Reason::UnknownAsset(quote(entry.asset.as_ref().as_bytes())),
            )
        })?;
        let id = registry.assets()[i].id.clone();
        if let Some((_, first)) = slots[i] {
            return Err(at(
                asset_at,
                Reason::DuplicatePrice {
                    asset: id,
                    first_line: line_col(text.as_bytes(), first).0,
                },
            ));
        }
        let usd_at = entry.usd.span().start;
        let bad = |value: String, problem| {
            at(
                usd_at,
                Reason::BadPrice {
                    asset: id.clone(),
                    value,
                    problem,
                },
            )
        };
        let usd_e8 = match entry.usd.get_ref() {
            toml::Value::String(s) => Amount::parse_bytes(s.as_bytes(), PRICE_SCALE_DECIMALS)
                .map_err(|kind| {
                    let value = quote(s.as_bytes());
                    let problem = match kind.into_error(&value, PRICE_SCALE_DECIMALS) {
                        custodia_primitives::AmountError::Negative(_) => PriceProblem::Negative,
                        custodia_primitives::AmountError::TooManyDecimals { .. } => {
                            PriceProblem::TooManyDecimals
                        }
                        custodia_primitives::AmountError::Overflow(_) => PriceProblem::Overflow,
                        _ => PriceProblem::Malformed,
                    };
                    bad(value, problem)
                })?
                .units(),
            other => return Err(bad(other.to_string(), PriceProblem::NotAString)),
        };
        let haircut = *entry.haircut_bps.get_ref();
        let price = u16::try_from(haircut)
            .ok()
            .and_then(|h| Price::new(usd_e8, h))
            .ok_or_else(|| {
                at(
                    entry.haircut_bps.span().start,
                    Reason::BadHaircut {
                        asset: id.clone(),
                        value: haircut,
                    },
                )
            })?;
        slots[i] = Some((price, asset_at));
    }
    let prices = slots
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            s.map(|(p, _)| p).ok_or_else(|| {
                SnapshotError::new(
                    path,
                    None,
                    None,
                    Reason::MissingPrice(registry.assets()[i].id.clone()),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Prices::new(registry, prices)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn to_u256_naive(a: u128, b: u128) -> (u128, u128) {
        // (hi, lo) by schoolbook on 32-bit pieces, independent of `U256::mul`.
        let a_parts = [
            a as u32,
            (a >> 32) as u32,
            (a >> 64) as u32,
            (a >> 96) as u32,
        ];
        let b_parts = [
            b as u32,
            (b >> 32) as u32,
            (b >> 64) as u32,
            (b >> 96) as u32,
        ];
        let mut acc = [0u64; 9];
        for (i, &x) in a_parts.iter().enumerate() {
            for (j, &y) in b_parts.iter().enumerate() {
                let p = u64::from(x) * u64::from(y);
                acc[i + j] += p & 0xffff_ffff;
                acc[i + j + 1] += p >> 32;
            }
        }
        let mut limbs = [0u32; 8];
        let mut carry = 0u64;
        for k in 0..8 {
            let v = acc[k] + carry;
            limbs[k] = v as u32;
            carry = v >> 32;
        }
        let join = |l: &[u32]| {
            l.iter()
                .rev()
                .fold(0u128, |s, &x| (s << 32) | u128::from(x))
        };
        (join(&limbs[4..]), join(&limbs[..4]))
    }

    proptest! {
        #[test]
        fn u256_mul_is_exact(a: u128, b: u128) {
            let U256(l) = U256::mul(a, b);
            let hi = (u128::from(l[0]) << 64) | u128::from(l[1]);
            let lo = (u128::from(l[2]) << 64) | u128::from(l[3]);
            prop_assert_eq!((hi, lo), to_u256_naive(a, b));
        }

        #[test]
        fn u256_div_undoes_mul(a: u128, d in 1u64..) {
            prop_assert_eq!(U256::mul(a, u128::from(d)).div_u64(d).to_u128_saturating(), a);
        }
    }

    #[test]
    fn u256_add_carries() {
        let max = U256::mul(u128::MAX, 1);
        assert_eq!(max.add(U256::mul(1, 1)), U256([0, 1, 0, 0]));
        assert!(U256([0, 1, 0, 0]) > max);
    }
}
