//! `round.json`: the public description of a round that every verifier starts from.

use custodia_hash::{Digest, F, domain, pack_bytes, sponge};
use custodia_primitives::{AssetId, AssetRegistry, Total};
use p3_field::PrimeCharacteristicRing;
use serde::{Deserialize, Serialize};

use crate::tree::{LiabilityTree, TreeShape};

/// Why a manifest's binding cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindingError {
    /// Not 1–64 characters of `A-Z a-z 0-9 - _ .`.
    #[error("round id `{0}` must be 1-64 characters of A-Z a-z 0-9 - _ .")]
    RoundId(String),
    /// Not `YYYY-MM-DDTHH:MM:SSZ`.
    #[error("snapshot time `{0}` is not RFC 3339 UTC to the second (YYYY-MM-DDTHH:MM:SSZ)")]
    SnapshotTime(String),
    /// A `usd` string longer than [`MAX_USD_LEN`].
    #[error("asset {0}: the usd price string is longer than {MAX_USD_LEN} characters")]
    Usd(String),
}

/// Format tag of the round manifests this build reads and writes (version 2: the running-total
/// chain, length-prefixed binding, directed price rounding).
pub const ROUND_FORMAT: &str = "custodia-round/2";
/// Format tags of older manifests: recognised only to say they are unsupported.
pub const OLD_ROUND_FORMATS: &[&str] = &["custodia-round/1"];
/// Longest `usd` price string (a `u64` of 10^-8 USD is at most 21 characters).
pub const MAX_USD_LEN: usize = 32;
/// Fractional digits of a `usd` price string.
pub const USD_DECIMALS: u8 = 8;

/// Per-asset liabilities of the round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetTotals {
    /// Asset symbol.
    pub asset: AssetId,
    /// Its ledger decimals.
    pub decimals: u8,
    /// Sum of every user's equity, in smallest units.
    pub equity: Total,
    /// Sum of every user's debt, in smallest units.
    pub debt: Total,
}

/// The public manifest of a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundManifest {
    /// Always [`ROUND_FORMAT`].
    pub format: String,
    /// Round id, e.g. `2026-11`.
    pub round: String,
    /// When the balances were snapshotted (RFC 3339, UTC).
    pub snapshot_time: String,
    /// Digest of the asset list ([`crate::assets_digest`]).
    pub assets_digest: Digest,
    /// Tree shape: padded leaf count and batch size.
    pub shape: TreeShape,
    /// The liabilities root.
    pub root: Digest,
    /// Root of every batch subtree, in order.
    pub batch_roots: Vec<Digest>,
    /// Per-asset totals, in leaf order (this is also the asset list).
    pub totals: Vec<AssetTotals>,
    /// The prices and haircuts the collateral rule uses, when the round has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices: Option<CommittedPrices>,
    /// The two public ends of the running-total chain that links the batch proofs.
    pub chain: ChainOpenings,
    /// The round before this one, when the exchange chains its rounds: the binding absorbs its
    /// digest, so every batch proof of this round commits to the whole history before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousRound>,
}

/// The link from a round to the one before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousRound {
    /// The previous round's id.
    pub round: String,
    /// The previous round's digest: its [`RoundManifest::binding`], which commits to its id,
    /// snapshot time, asset list, tree (hence every balance and total), prices, and its own
    /// previous round.
    pub binding: Digest,
}

/// The openings of the first and the last boundary of a round's running-total chain
/// (`custodia_air::chain`): the first commits to zero totals, the last to the published
/// totals. Every boundary in between stays secret, so no partial sum is ever published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainOpenings {
    /// Salt of boundary 0 (its totals are zero).
    pub first_salt: Digest,
    /// Salt of boundary N.
    pub last_salt: Digest,
    /// The running totals at boundary N per asset, split as the proofs add them; each asset's
    /// `lo + 2^32 · hi` is its published total.
    pub last_state: Vec<ChainState>,
}

/// Running totals of one asset at a chain boundary: sums of the low and high 32-bit words of
/// every equity and debt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainState {
    /// Σ of the low 32 bits of every equity.
    pub equity_lo: u64,
    /// Σ of the high 30 bits of every equity.
    pub equity_hi: u64,
    /// Σ of the low 32 bits of every debt.
    pub debt_lo: u64,
    /// Σ of the high 30 bits of every debt.
    pub debt_hi: u64,
}

impl ChainState {
    /// Total equity as an integer.
    pub const fn equity(&self) -> u128 {
        self.equity_lo as u128 + ((self.equity_hi as u128) << 32)
    }

    /// Total debt as an integer.
    pub const fn debt(&self) -> u128 {
        self.debt_lo as u128 + ((self.debt_hi as u128) << 32)
    }
}

/// Prices committed in a round: integers per smallest unit at one common scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommittedPrices {
    /// A price of `p` means `p · 10^-scale` USD per smallest unit of the asset.
    pub scale: u32,
    /// Per asset, in leaf order.
    pub assets: Vec<CommittedPrice>,
}

/// One asset's committed price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommittedPrice {
    /// Asset symbol.
    pub asset: AssetId,
    /// The USD price per whole unit the exchange used, as an exact decimal string (at most 8
    /// fractional digits). Bound: the round binding absorbs it, and the verifier recomputes both
    /// integers below from it.
    pub usd: String,
    /// `⌈usd · 10^scale / 10^decimals⌉`: the value of one smallest unit of debt (rounded up, so
    /// debt is never undervalued).
    pub debt_price: u64,
    /// `⌊usd · 10^scale / 10^decimals⌋`: the value of one smallest unit of collateral (rounded
    /// down, so collateral is never overvalued); never zero.
    pub collateral_price: u64,
    /// Collateral haircut in basis points.
    pub haircut_bps: u16,
}

/// Elements the round-binding sponge absorbs: round id (length + 10), snapshot time (length + 3),
/// asset digest (4), `log_leaves`, `log_batch`, root (4), price scale, prices digest (4).
pub const BINDING_INPUT_LEN: usize = 30;
/// Length of a snapshot time: `YYYY-MM-DDTHH:MM:SSZ`.
pub const SNAPSHOT_TIME_LEN: usize = 20;

/// Whether `t` is a snapshot time in the one form rounds use: RFC 3339 in UTC to the second,
/// `YYYY-MM-DDTHH:MM:SSZ`, with a real calendar date. Offsets (`+00:00`, `+14:00`), fractions and
/// lower-case letters are refused, so one instant has one spelling and one binding.
pub fn valid_snapshot_time(t: &str) -> bool {
    let b = t.as_bytes();
    if b.len() != SNAPSHOT_TIME_LEN {
        return false;
    }
    let shape_ok = b.iter().enumerate().all(|(i, &c)| match i {
        4 | 7 => c == b'-',
        10 => c == b'T',
        13 | 16 => c == b':',
        19 => c == b'Z',
        _ => c.is_ascii_digit(),
    });
    if !shape_ok {
        return false;
    }
    let num = |r: core::ops::Range<usize>| t[r].parse::<u32>().unwrap_or(u32::MAX);
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let (hour, minute, second) = (num(11..13), num(14..16), num(17..19));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day) && hour < 24 && minute < 60 && second < 60
}

/// The two integers a USD price per whole unit (`usd_e8` = USD × 10^8) becomes at `scale` for
/// an asset of `decimals`: `(⌈x⌉, ⌊x⌋)` with `x = usd_e8 · 10^scale / 10^(8 + decimals)`. Debt is
/// valued at the first, collateral at the second, so rounding never helps a user look covered.
pub fn directed_prices(usd_e8: u64, decimals: u8, scale: u32) -> (u128, u128) {
    let num = u128::from(usd_e8) * 10u128.pow(scale);
    let den = 10u128.pow(8 + u32::from(decimals));
    (num.div_ceil(den), num / den)
}

impl RoundManifest {
    /// The manifest of a built tree: format tag, asset digest, shape, root and batch roots are
    /// read from `assets` and `tree`, so they cannot disagree with what was built. `equity` and
    /// `debt` are the per-asset totals in `assets` order.
    pub fn for_tree(
        round: &str,
        snapshot_time: &str,
        assets: &AssetRegistry,
        tree: &LiabilityTree,
        (equity, debt): (&[Total], &[Total]),
        prices: Option<CommittedPrices>,
        chain: ChainOpenings,
    ) -> Self {
        Self {
            format: ROUND_FORMAT.to_owned(),
            round: round.to_owned(),
            snapshot_time: snapshot_time.to_owned(),
            assets_digest: crate::assets_digest(assets),
            shape: tree.shape(),
            root: tree.root(),
            batch_roots: tree.batch_roots().to_vec(),
            totals: Self::totals_for(assets, equity, debt),
            prices,
            chain,
            previous: None,
        }
    }

    /// The digest every batch proof of this round carries as a public input: it binds the round
    /// id and the snapshot time (each with its length), the asset list, the tree shape, the root,
    /// the price scale and every committed price (USD string included), so a proof from another
    /// round, another tree or other prices is rejected.
    ///
    /// # Errors
    /// [`BindingError`] when the round id or the snapshot time is not in its one valid form (the
    /// binding never truncates or pads a value it cannot encode exactly), or a `usd` string is
    /// longer than [`MAX_USD_LEN`].
    pub fn binding(&self) -> Result<Digest, BindingError> {
        if !crate::leaf::valid_round_id(&self.round) {
            return Err(BindingError::RoundId(self.round.clone()));
        }
        if !valid_snapshot_time(&self.snapshot_time) {
            return Err(BindingError::SnapshotTime(self.snapshot_time.clone()));
        }
        let mut input = Vec::with_capacity(BINDING_INPUT_LEN);
        let mut id = [0u8; crate::leaf::MAX_ROUND_ID_LEN];
        id[..self.round.len()].copy_from_slice(self.round.as_bytes());
        input.push(F::from_usize(self.round.len()));
        input.extend(pack_bytes(&id));
        input.push(F::from_usize(self.snapshot_time.len()));
        input.extend(pack_bytes(self.snapshot_time.as_bytes()));
        input.extend(self.assets_digest.to_field());
        input.push(F::from_u32(self.shape.log_leaves));
        input.push(F::from_u32(self.shape.log_batch));
        input.extend(self.root.to_field());
        input.push(F::from_u32(self.prices.as_ref().map_or(0, |p| p.scale)));
        input.extend(self.prices_digest()?.to_field());
        debug_assert_eq!(input.len(), BINDING_INPUT_LEN);
        // A chained round absorbs its predecessor's binding too; the sponge's length parameter
        // tells the two forms apart, and an unchained round keeps its binding unchanged.
        if let Some(p) = &self.previous {
            input.extend(p.binding.to_field());
        }
        Ok(sponge(domain::ROUND, input.len() as u64, &input))
    }

    /// Digest of the committed prices: per asset `len(usd)`, `pack7(usd ‖ 0^(32 − len))` (5),
    /// debt price, collateral price, haircut; the all-zero digest's sponge over nothing when the
    /// round has no prices.
    pub fn prices_digest(&self) -> Result<Digest, BindingError> {
        let assets = self.prices.as_ref().map_or(&[][..], |p| &p.assets[..]);
        let mut input = Vec::with_capacity(9 * assets.len());
        for a in assets {
            if a.usd.len() > MAX_USD_LEN {
                return Err(BindingError::Usd(a.asset.to_string()));
            }
            let mut usd = [0u8; MAX_USD_LEN];
            usd[..a.usd.len()].copy_from_slice(a.usd.as_bytes());
            input.push(F::from_usize(a.usd.len()));
            input.extend(pack_bytes(&usd));
            input.push(F::from_u64(a.debt_price));
            input.push(F::from_u64(a.collateral_price));
            input.push(F::from_u16(a.haircut_bps));
        }
        Ok(sponge(domain::PRICES, assets.len() as u64, &input))
    }

    /// The round context every uid hash of this round absorbs ([`crate::round_context`]).
    pub fn context(&self) -> Result<Digest, BindingError> {
        if !crate::leaf::valid_round_id(&self.round) {
            return Err(BindingError::RoundId(self.round.clone()));
        }
        Ok(crate::leaf::round_context(&self.round, &self.assets_digest))
    }

    /// The asset list as `(symbol, decimals)`, in leaf order.
    pub fn asset_list(&self) -> Vec<(AssetId, u8)> {
        self.totals
            .iter()
            .map(|t| (t.asset.clone(), t.decimals))
            .collect()
    }

    /// Builds the per-asset totals section.
    pub fn totals_for(
        assets: &AssetRegistry,
        equity: &[Total],
        debt: &[Total],
    ) -> Vec<AssetTotals> {
        assets
            .assets()
            .iter()
            .zip(equity.iter().zip(debt))
            .map(|(a, (&e, &d))| AssetTotals {
                asset: a.id.clone(),
                decimals: a.decimals,
                equity: e,
                debt: d,
            })
            .collect()
    }
}
