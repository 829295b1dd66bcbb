//! Per-user inclusion proofs: the JSON file a user downloads, and its verification.

use std::collections::HashSet;

use custodia_hash::Digest;
use custodia_primitives::{AccountId, Amount, AmountError, AssetId, AssetRegistry};
use serde::{Deserialize, Serialize};

use crate::InclusionError;
use crate::leaf::{Nonce, leaf_hash, uid_hash};
use crate::tree::{MAX_LOG_LEAVES, root_from_path};

/// Format tag of version-1 inclusion files.
pub const FORMAT: &str = "custodia-inclusion/1";
/// Files larger than this are refused before parsing.
pub const MAX_PROOF_BYTES: usize = 1 << 20;
/// Most assets a round may list.
pub const MAX_ASSETS: usize = 4096;

/// One user's balance of one asset, as exact decimal strings in whole units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BalanceEntry {
    /// Asset symbol.
    pub asset: String,
    /// Equity (what the exchange owes the user); omitted when zero.
    #[serde(default = "zero", skip_serializing_if = "is_zero")]
    pub equity: String,
    /// Debt (what the user owes the exchange); omitted when zero.
    #[serde(default = "zero", skip_serializing_if = "is_zero")]
    pub debt: String,
}

fn zero() -> String {
    "0".to_owned()
}

fn is_zero(s: &str) -> bool {
    s == "0"
}

/// A user's inclusion proof. It carries the user's own data and hashes only: never another
/// user's balances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// Always [`FORMAT`].
    pub format: String,
    /// The round's id.
    pub round: String,
    /// The user's account id.
    pub user_id: AccountId,
    /// The user's salt for this round.
    pub nonce: Nonce,
    /// The round's assets, in leaf order, with their decimals; in JSON one compact string
    /// `"BTC:8,ETH:8,USDT:6"`.
    #[serde(with = "asset_list")]
    pub assets: Vec<(AssetId, u8)>,
    /// The user's non-zero balances (every asset not listed is zero).
    pub balances: Vec<BalanceEntry>,
    /// Position of the user's leaf.
    #[serde(rename = "leaf")]
    pub leaf_index: u64,
    /// Sibling hashes from the leaf up: as many as the tree is high.
    pub siblings: Vec<Digest>,
    /// The round's root as the exchange published it.
    pub root: Digest,
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedInclusion {
    /// Round id.
    pub round: String,
    /// User.
    pub user_id: AccountId,
    /// `(asset, decimals, equity, debt)` for every asset of the round, in order.
    pub balances: Vec<(AssetId, u8, Amount, Amount)>,
    /// Leaf position.
    pub leaf_index: u64,
    /// The leaf hash recomputed from the balances.
    pub leaf: Digest,
    /// The root it leads to (equal to the expected one).
    pub root: Digest,
}

impl InclusionProof {
    /// Assembles a proof from the round's data.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        round: &str,
        user_id: AccountId,
        nonce: Nonce,
        assets: &AssetRegistry,
        balances: &[Amount],
        leaf_index: u64,
        siblings: Vec<Digest>,
        root: Digest,
    ) -> Self {
        let entries = assets
            .assets()
            .iter()
            .enumerate()
            .filter(|&(i, _)| !(balances[2 * i].is_zero() && balances[2 * i + 1].is_zero()))
            .map(|(i, a)| BalanceEntry {
                asset: a.id.to_string(),
                equity: balances[2 * i].to_decimal(a.decimals),
                debt: balances[2 * i + 1].to_decimal(a.decimals),
            })
            .collect();
        Self {
            format: FORMAT.to_owned(),
            round: round.to_owned(),
            user_id,
            nonce,
            assets: assets
                .assets()
                .iter()
                .map(|a| (a.id.clone(), a.decimals))
                .collect(),
            balances: entries,
            leaf_index,
            siblings,
            root,
        }
    }

    /// Tree height the proof claims (its number of siblings).
    pub fn height(&self) -> usize {
        self.siblings.len()
    }

    /// Parses a file's bytes, refusing oversized input before parsing.
    pub fn from_json(bytes: &[u8]) -> Result<Self, InclusionError> {
        if bytes.len() > MAX_PROOF_BYTES {
            return Err(InclusionError::TooLarge(bytes.len()));
        }
        let p: Self =
            serde_json::from_slice(bytes).map_err(|e| InclusionError::Json(e.to_string()))?;
        if p.format != FORMAT {
            return Err(InclusionError::Format(p.format));
        }
        Ok(p)
    }

    /// Compact JSON (what `por build` writes, one proof per line).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("inclusion proofs serialise")
    }

    /// The full balance vector in leaf order (interleaved equity, debt), checking every entry.
    pub fn leaf_balances(&self) -> Result<Vec<Amount>, InclusionError> {
        if self.assets.is_empty() || self.assets.len() > MAX_ASSETS {
            return Err(InclusionError::AssetCount(self.assets.len()));
        }
        let mut seen = HashSet::with_capacity(self.assets.len());
        for (id, decimals) in &self.assets {
            if !seen.insert(id.as_str()) {
                return Err(InclusionError::DuplicateAsset(id.to_string()));
            }
            if *decimals > Amount::MAX_DECIMALS {
                return Err(InclusionError::Decimals {
                    asset: id.to_string(),
                    decimals: *decimals,
                });
            }
        }
        let mut out = vec![Amount::ZERO; 2 * self.assets.len()];
        let mut filled = vec![false; self.assets.len()];
        for b in &self.balances {
            let i = self
                .assets
                .iter()
                .position(|(id, _)| id.as_str() == b.asset)
                .ok_or_else(|| InclusionError::UnknownAsset(b.asset.clone()))?;
            if std::mem::replace(&mut filled[i], true) {
                return Err(InclusionError::DuplicateAsset(b.asset.clone()));
            }
            let dec = self.assets[i].1;
            let parse = |s: &str, side| {
                Amount::parse(s, dec).map_err(|source: AmountError| InclusionError::Amount {
                    asset: b.asset.clone(),
                    side,
                    source,
                })
            };
            out[2 * i] = parse(&b.equity, "equity")?;
            out[2 * i + 1] = parse(&b.debt, "debt")?;
        }
        Ok(out)
    }

    /// Verifies the proof against the root the exchange published (never against the root the
    /// file itself names, which is only checked for agreement).
    pub fn verify(&self, expected_root: &Digest) -> Result<VerifiedInclusion, InclusionError> {
        if self.root != *expected_root {
            return Err(InclusionError::FileRoot {
                in_file: self.root,
                expected: *expected_root,
            });
        }
        let balances = self.leaf_balances()?;
        let height = self.siblings.len();
        if height > MAX_LOG_LEAVES as usize {
            return Err(InclusionError::Height(height));
        }
        if self.leaf_index >> height != 0 {
            return Err(InclusionError::LeafIndex {
                index: self.leaf_index,
                height: height as u32,
            });
        }
        let leaf = leaf_hash(&uid_hash(&self.user_id, &self.nonce), &balances);
        let computed = root_from_path(leaf, self.leaf_index, &self.siblings);
        if computed != *expected_root {
            return Err(InclusionError::RootMismatch {
                expected: *expected_root,
                computed,
            });
        }
        Ok(VerifiedInclusion {
            round: self.round.clone(),
            user_id: self.user_id.clone(),
            balances: self
                .assets
                .iter()
                .enumerate()
                .map(|(i, (id, d))| (id.clone(), *d, balances[2 * i], balances[2 * i + 1]))
                .collect(),
            leaf_index: self.leaf_index,
            leaf,
            root: computed,
        })
    }
}

mod asset_list {
    use custodia_primitives::AssetId;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(list: &[(AssetId, u8)], s: S) -> Result<S::Ok, S::Error> {
        let text: Vec<String> = list.iter().map(|(id, d)| format!("{id}:{d}")).collect();
        s.serialize_str(&text.join(","))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(AssetId, u8)>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        if text.is_empty() {
            return Ok(Vec::new());
        }
        text.split(',')
            .map(|item| {
                let (id, dec) = item.split_once(':').ok_or_else(|| {
                    serde::de::Error::custom(format!("asset entry `{item}` is not SYMBOL:DECIMALS"))
                })?;
                let id = AssetId::new(id).map_err(serde::de::Error::custom)?;
                let dec = dec.parse::<u8>().map_err(|_| {
                    serde::de::Error::custom(format!(
                        "asset entry `{item}`: decimals are not a small integer"
                    ))
                })?;
                Ok((id, dec))
            })
            .collect()
    }
}
