//! `round.json`: the public description of a round that every verifier starts from.

use custodia_hash::Digest;
use custodia_primitives::{AssetId, AssetRegistry, Total};
use serde::{Deserialize, Serialize};

use crate::tree::TreeShape;

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
}

impl RoundManifest {
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
