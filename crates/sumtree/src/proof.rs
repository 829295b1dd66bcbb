//! Per-user inclusion proofs: the JSON file a user downloads, and its verification.

use std::collections::HashSet;

use custodia_hash::Digest;
use custodia_primitives::{AccountId, Amount, AmountError, AssetId, AssetRegistry};
use serde::{Deserialize, Serialize};

use crate::InclusionError;
use crate::leaf::{Nonce, leaf_hash, round_context, uid_hash, valid_round_id};
use crate::tree::{MAX_LOG_LEAVES, root_from_path};

/// Format tag of the inclusion files this build reads and writes (version 2: the leaf binds the
/// round id and the asset list).
pub const FORMAT: &str = "custodia-inclusion/2";
/// Format tags of older inclusion files: recognised only to say they are unsupported.
pub const OLD_FORMATS: &[&str] = &["custodia-inclusion/1"];
/// Files larger than this are refused before parsing.
pub const MAX_PROOF_BYTES: usize = 1 << 20;
/// Most assets a round may list.
pub const MAX_ASSETS: usize = 4096;

/// A list of `(asset, amount)` pairs written as a JSON object in list order, e.g.
/// `{"BTC":"0.5","USDT":"120"}`: amounts are exact decimal strings in whole units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AmountMap(pub Vec<(String, String)>);

impl Serialize for AmountMap {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for AmountMap {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = AmountMap;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of asset symbol to decimal string")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<AmountMap, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    if out.len() >= MAX_ASSETS {
                        return Err(serde::de::Error::custom("too many balance entries"));
                    }
                    out.push((k, v));
                }
                Ok(AmountMap(out))
            }
        }
        d.deserialize_map(V)
    }
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
    /// The user's non-zero equity per asset (an asset not listed is zero).
    #[serde(default)]
    pub equity: AmountMap,
    /// The user's non-zero debt per asset (an asset not listed is zero).
    #[serde(default)]
    pub debt: AmountMap,
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
        let side = |k: usize| {
            AmountMap(
                assets
                    .assets()
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| !balances[2 * i + k].is_zero())
                    .map(|(i, a)| (a.id.to_string(), balances[2 * i + k].to_decimal(a.decimals)))
                    .collect(),
            )
        };
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
            equity: side(0),
            debt: side(1),
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
        #[derive(Deserialize)]
        struct Head {
            format: String,
        }
        // Say "unsupported version" for an older file rather than a field-by-field complaint.
        if let Ok(head) = serde_json::from_slice::<Head>(bytes)
            && head.format != FORMAT
        {
            return Err(InclusionError::Format(head.format));
        }
        let p: Self =
            serde_json::from_slice(bytes).map_err(|e| InclusionError::Json(e.to_string()))?;
        if p.format != FORMAT {
            return Err(InclusionError::Format(p.format));
        }
        if !valid_round_id(&p.round) {
            return Err(InclusionError::RoundId(p.round));
        }
        Ok(p)
    }

    /// Compact JSON (what `por build` writes, one proof per line).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("inclusion proofs serialise")
    }

    /// The round context the file's leaf absorbs: its round id and the digest of its asset list.
    /// An inclusion file whose round id or asset labels were edited yields another context, so
    /// another leaf, and no longer reaches the published root.
    pub fn context(&self) -> Result<Digest, InclusionError> {
        if !valid_round_id(&self.round) {
            return Err(InclusionError::RoundId(self.round.clone()));
        }
        let assets = crate::assets_digest_of(self.assets.iter().map(|(id, d)| (id, *d)));
        Ok(round_context(&self.round, &assets))
    }

    /// The leaf this file stands for: its user, nonce, round context and balances.
    pub fn leaf(&self) -> Result<Digest, InclusionError> {
        let balances = self.leaf_balances()?;
        Ok(leaf_hash(
            &uid_hash(&self.user_id, &self.nonce, &self.context()?),
            &balances,
        ))
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
        for (k, side, map) in [(0, "equity", &self.equity), (1, "debt", &self.debt)] {
            let mut filled = vec![false; self.assets.len()];
            for (asset, value) in &map.0 {
                let i = self
                    .assets
                    .iter()
                    .position(|(id, _)| id.as_str() == asset)
                    .ok_or_else(|| InclusionError::UnknownAsset(asset.clone()))?;
                if std::mem::replace(&mut filled[i], true) {
                    return Err(InclusionError::DuplicateAsset(asset.clone()));
                }
                out[2 * i + k] =
                    Amount::parse(value, self.assets[i].1).map_err(|source: AmountError| {
                        InclusionError::Amount {
                            asset: asset.clone(),
                            side,
                            source,
                        }
                    })?;
            }
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
        let leaf = leaf_hash(
            &uid_hash(&self.user_id, &self.nonce, &self.context()?),
            &balances,
        );
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

/// Writes inclusion proofs as compact JSON, byte for byte what [`InclusionProof::to_json`]
/// writes, but with the round's common parts rendered once and no allocation per proof: bulk
/// generation for a whole round runs at hundreds of thousands of proofs per second.
pub struct ProofWriter {
    head: Vec<u8>,
    symbols: Vec<String>,
    decimals: Vec<u8>,
    tail: Vec<u8>,
}

impl ProofWriter {
    /// Prepares the writer for one round.
    pub fn new(round: &str, assets: &AssetRegistry, root: &Digest) -> Self {
        let mut head = Vec::new();
        head.extend_from_slice(b"{\"format\":");
        head.extend_from_slice(serde_json::to_string(FORMAT).expect("string").as_bytes());
        head.extend_from_slice(b",\"round\":");
        head.extend_from_slice(serde_json::to_string(round).expect("string").as_bytes());
        head.extend_from_slice(b",\"user_id\":\"");
        let list: Vec<String> = assets
            .assets()
            .iter()
            .map(|a| format!("{}:{}", a.id, a.decimals))
            .collect();
        let tail = format!("],\"root\":\"{}\"}}", root.to_hex()).into_bytes();
        Self {
            head,
            symbols: list,
            decimals: assets.assets().iter().map(|a| a.decimals).collect(),
            tail,
        }
    }

    /// Appends one proof (no trailing newline).
    pub fn write(
        &self,
        out: &mut Vec<u8>,
        user: &AccountId,
        nonce: &Nonce,
        balances: &[Amount],
        leaf_index: u64,
        siblings: impl Iterator<Item = Digest>,
    ) {
        out.extend_from_slice(&self.head);
        out.extend_from_slice(user.as_str().as_bytes()); // AccountId's charset needs no escaping
        out.extend_from_slice(b"\",\"nonce\":\"");
        push_hex(out, &nonce.0);
        out.extend_from_slice(b"\",\"assets\":\"");
        for (i, s) in self.symbols.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(s.as_bytes());
        }
        out.push(b'"');
        for (k, name) in [(0, &b",\"equity\":{"[..]), (1, &b"},\"debt\":{"[..])] {
            out.extend_from_slice(name);
            let mut first = true;
            for (i, s) in self.symbols.iter().enumerate() {
                let v = balances[2 * i + k];
                if v.is_zero() {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                out.push(b'"');
                out.extend_from_slice(&s.as_bytes()[..s.rfind(':').expect("SYMBOL:DECIMALS")]);
                out.extend_from_slice(b"\":\"");
                push_decimal(out, v.units(), self.decimals[i]);
                out.push(b'"');
            }
        }
        out.extend_from_slice(b"},\"leaf\":");
        push_u64(out, leaf_index);
        out.extend_from_slice(b",\"siblings\":[");
        for (i, d) in siblings.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            push_hex(out, &d.to_bytes());
            out.push(b'"');
        }
        out.extend_from_slice(&self.tail);
    }
}

fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 64];
    for chunk in bytes.chunks(32) {
        for (i, &b) in chunk.iter().enumerate() {
            buf[2 * i] = HEX[usize::from(b >> 4)];
            buf[2 * i + 1] = HEX[usize::from(b & 15)];
        }
        out.extend_from_slice(&buf[..2 * chunk.len()]);
    }
}

/// Exact decimal of `units` at `decimals`, trailing fractional zeros trimmed (as
/// [`Amount::to_decimal`]).
fn push_decimal(out: &mut Vec<u8>, units: u64, decimals: u8) {
    let scale = 10u64.pow(u32::from(decimals));
    push_u64(out, units / scale);
    let mut frac = units % scale;
    if frac == 0 {
        return;
    }
    let mut digits = usize::from(decimals);
    while frac.is_multiple_of(10) {
        frac /= 10;
        digits -= 1;
    }
    out.push(b'.');
    let mut buf = [b'0'; 20];
    let mut i = digits;
    while frac > 0 {
        i -= 1;
        buf[i] = b'0' + (frac % 10) as u8;
        frac /= 10;
    }
    out.extend_from_slice(&buf[..digits]);
}

fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}
