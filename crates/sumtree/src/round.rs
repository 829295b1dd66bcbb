//! `round.json`: the public description of a round that every verifier starts from.

use custodia_hash::{Digest, F, domain, pack_bytes, sponge};
use custodia_primitives::{AssetId, AssetRegistry, Total};
use p3_field::PrimeCharacteristicRing;
use serde::{Deserialize, Serialize};

use crate::tree::{LiabilityTree, TreeShape};

/// Format tag of version-1 round manifests.
pub const ROUND_FORMAT: &str = "custodia-round/1";

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
    /// The USD price per whole unit the exchange used, as an exact decimal string.
    pub usd: String,
    /// `round(usd · 10^scale / 10^decimals)`: the integer the proofs use.
    pub price: u64,
    /// Collateral haircut in basis points.
    pub haircut_bps: u16,
}

/// Elements the round-binding sponge absorbs: round id (10), snapshot time (5), asset digest (4),
/// `log_leaves`, `log_batch`, root (4), price scale.
pub const BINDING_INPUT_LEN: usize = 26;

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
        }
    }

    /// The digest every batch proof of this round carries as a public input: it binds the round
    /// id, the snapshot time, the asset list, the tree shape, the root and the price scale, so a
    /// proof from another round (or another tree) is rejected.
    pub fn binding(&self) -> Digest {
        let mut input = Vec::with_capacity(BINDING_INPUT_LEN);
        let mut id = [0u8; 64];
        let n = self.round.len().min(64);
        id[..n].copy_from_slice(&self.round.as_bytes()[..n]);
        input.extend(pack_bytes(&id));
        let mut time = [0u8; 32];
        let n = self.snapshot_time.len().min(32);
        time[..n].copy_from_slice(&self.snapshot_time.as_bytes()[..n]);
        input.extend(pack_bytes(&time));
        input.extend(self.assets_digest.to_field());
        input.push(F::from_u32(self.shape.log_leaves));
        input.push(F::from_u32(self.shape.log_batch));
        input.extend(self.root.to_field());
        input.push(F::from_u32(self.prices.as_ref().map_or(0, |p| p.scale)));
        debug_assert_eq!(input.len(), BINDING_INPUT_LEN);
        sponge(domain::ROUND, BINDING_INPUT_LEN as u64, &input)
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
