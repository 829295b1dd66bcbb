//! Per-user inclusion proofs: the JSON file a user downloads, and its verification.

use std::collections::HashSet;

use custodia_hash::Digest;
use custodia_primitives::{AccountId, Amount, AmountError, AssetId, AssetRegistry};
use serde::{Deserialize, Serialize};

use crate::InclusionError;
use crate::leaf::{Nonce, leaf_hash, round_context, uid_hash, valid_round_id};
use crate::tree::{MAX_LOG_LEAVES, root_from_path};

/// Format tag of the inclusion files this build writes (version 5: the leaf is hashed with the
/// width-20 leaf sponge; a round of many assets names only the assets the user holds, plus the
/// digest of the round's whole asset list, as since version 3).
pub const FORMAT: &str = "custodia-inclusion/5";
/// Format tags of older inclusion files: recognised only to say they are unsupported. Versions 2
/// and 3 hashed leaves with the width-12 sponge and version 4 with the width-16 one, so their
/// paths cannot reach a version-5 root.
pub const OLD_FORMATS: &[&str] = &[
    "custodia-inclusion/1",
    "custodia-inclusion/2",
    "custodia-inclusion/3",
    "custodia-inclusion/4",
];
/// Files larger than this are refused before parsing.
pub const MAX_PROOF_BYTES: usize = 1 << 20;
/// Most assets a round may list.
pub const MAX_ASSETS: usize = 4096;
/// Rounds of at most this many assets write their whole asset list into every inclusion file, so
/// the file alone binds every label. Larger rounds write only the assets a user holds (with their
/// positions) and the digest of the whole list: a file stays about 2 KB at 200 assets, and the
/// round's `round.json` supplies the list the labels are checked against.
pub const INLINE_ASSETS_MAX: usize = 32;

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
///
/// It comes in two forms. The *inline* form lists the round's whole asset list (`assets`), so the
/// file alone binds every label it prints. The *compact* form (rounds of more than
/// [`INLINE_ASSETS_MAX`] assets) lists only the assets the user holds with their positions
/// (`held`), plus the digest and length of the whole list; its labels are checked against the
/// round's asset list with [`InclusionProof::bind_assets`] before anything is verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// [`FORMAT`].
    pub format: String,
    /// The round's id.
    pub round: String,
    /// The user's account id.
    pub user_id: AccountId,
    /// The user's salt for this round.
    pub nonce: Nonce,
    /// Inline form: the round's assets, in leaf order, with their decimals; in JSON one compact
    /// string `"BTC:8,ETH:8,USDT:6"`. Empty in the compact form.
    #[serde(with = "asset_list", default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<(AssetId, u8)>,
    /// Compact form: the digest of the round's whole asset list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assets_digest: Option<Digest>,
    /// Compact form: how many assets the round lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_assets: Option<u32>,
    /// Compact form: the assets with a non-zero equity or debt, as `(position, symbol,
    /// decimals)` in increasing position; in JSON one string `"BTC:8@0,USDT:6@5"`.
    #[serde(with = "held_list", default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<(u32, AssetId, u8)>,
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
    /// Assembles a proof from the round's data, in the form the round's size calls for (the
    /// same bytes [`ProofWriter`] writes).
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
        let list = assets.assets();
        let inline = list.len() <= INLINE_ASSETS_MAX;
        Self {
            format: FORMAT.to_owned(),
            round: round.to_owned(),
            user_id,
            nonce,
            assets: if inline {
                list.iter().map(|a| (a.id.clone(), a.decimals)).collect()
            } else {
                Vec::new()
            },
            assets_digest: (!inline).then(|| crate::assets_digest(assets)),
            num_assets: (!inline).then_some(list.len() as u32),
            held: if inline {
                Vec::new()
            } else {
                list.iter()
                    .enumerate()
                    .filter(|&(i, _)| !(balances[2 * i].is_zero() && balances[2 * i + 1].is_zero()))
                    .map(|(i, a)| (i as u32, a.id.clone(), a.decimals))
                    .collect()
            },
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

    /// Whether the file names only the assets the user holds (see [`InclusionProof::bind_assets`]).
    pub fn is_compact(&self) -> bool {
        self.assets.is_empty()
    }

    /// How many assets the round lists.
    pub fn num_assets(&self) -> usize {
        match self.num_assets {
            Some(n) if self.is_compact() => n as usize,
            _ => self.assets.len(),
        }
    }

    /// The digest of the round's asset list the leaf absorbs.
    pub fn assets_digest(&self) -> Digest {
        match self.assets_digest {
            Some(d) if self.is_compact() => d,
            _ => crate::assets_digest_of(self.assets.iter().map(|(id, d)| (id, *d))),
        }
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
        p.check_form()?;
        Ok(p)
    }

    /// Exactly one of the two forms, each complete and well ordered.
    fn check_form(&self) -> Result<(), InclusionError> {
        let compact_fields =
            self.assets_digest.is_some() || self.num_assets.is_some() || !self.held.is_empty();
        if !self.is_compact() {
            if compact_fields {
                return Err(InclusionError::Form(
                    "a file with the whole asset list has no `assets_digest`, `num_assets` or \
                     `held`",
                ));
            }
            return Ok(());
        }
        let (Some(_), Some(n)) = (self.assets_digest, self.num_assets) else {
            return Err(InclusionError::Form(
                "a file without the asset list needs `assets_digest` and `num_assets`",
            ));
        };
        let n = n as usize;
        if n == 0 || n > MAX_ASSETS {
            return Err(InclusionError::AssetCount(n));
        }
        let mut seen = HashSet::with_capacity(self.held.len());
        let mut last = None;
        for (pos, id, decimals) in &self.held {
            if *pos as usize >= n {
                return Err(InclusionError::HeldPosition {
                    asset: id.to_string(),
                    position: *pos,
                    num_assets: n,
                });
            }
            if last.is_some_and(|l| l >= *pos) {
                return Err(InclusionError::Form(
                    "`held` must list positions in increasing order",
                ));
            }
            last = Some(*pos);
            check_label(&mut seen, id, *decimals)?;
        }
        Ok(())
    }

    /// Checks the file against the round's whole asset list (from its `round.json`) and returns
    /// it in the inline form, ready for [`InclusionProof::verify`]: the list must hash to the
    /// file's asset digest and give every held asset the symbol and decimals the file names. An
    /// inline file must carry exactly this list.
    pub fn bind_assets(&self, list: &[(AssetId, u8)]) -> Result<Self, InclusionError> {
        if !self.is_compact() {
            if self.assets != list {
                return Err(InclusionError::AssetList(
                    "the file's asset list differs from the round's".into(),
                ));
            }
            return Ok(self.clone());
        }
        if list.len() != self.num_assets() {
            return Err(InclusionError::AssetList(format!(
                "the file is for a round of {} assets; the round lists {}",
                self.num_assets(),
                list.len()
            )));
        }
        if crate::assets_digest_of(list.iter().map(|(id, d)| (id, *d))) != self.assets_digest() {
            return Err(InclusionError::AssetList(
                "the round's asset list does not hash to the file's `assets_digest`".into(),
            ));
        }
        for (pos, id, decimals) in &self.held {
            let (want_id, want_dec) = &list[*pos as usize];
            if want_id != id || want_dec != decimals {
                return Err(InclusionError::AssetList(format!(
                    "the file names asset {pos} `{id}:{decimals}`; the round lists \
                     `{want_id}:{want_dec}` there"
                )));
            }
        }
        Ok(Self {
            assets: list.to_vec(),
            assets_digest: None,
            num_assets: None,
            held: Vec::new(),
            ..self.clone()
        })
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
        Ok(round_context(&self.round, &self.assets_digest()))
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
        // (position, symbol, decimals) of every asset a balance may name.
        let named: Vec<(usize, &str, u8)> = if self.is_compact() {
            self.check_form()?;
            self.held
                .iter()
                .map(|(p, id, d)| (*p as usize, id.as_str(), *d))
                .collect()
        } else {
            if self.assets.len() > MAX_ASSETS {
                return Err(InclusionError::AssetCount(self.assets.len()));
            }
            let mut seen = HashSet::with_capacity(self.assets.len());
            for (id, decimals) in &self.assets {
                check_label(&mut seen, id, *decimals)?;
            }
            self.assets
                .iter()
                .enumerate()
                .map(|(i, (id, d))| (i, id.as_str(), *d))
                .collect()
        };
        let mut out = vec![Amount::ZERO; 2 * self.num_assets()];
        for (k, side, map) in [(0, "equity", &self.equity), (1, "debt", &self.debt)] {
            let mut filled = vec![false; named.len()];
            for (asset, value) in &map.0 {
                let j = named
                    .iter()
                    .position(|(_, id, _)| *id == asset)
                    .ok_or_else(|| InclusionError::UnknownAsset(asset.clone()))?;
                if std::mem::replace(&mut filled[j], true) {
                    return Err(InclusionError::DuplicateAsset(asset.clone()));
                }
                let (i, _, decimals) = named[j];
                out[2 * i + k] =
                    Amount::parse(value, decimals).map_err(|source: AmountError| {
                        InclusionError::Amount {
                            asset: asset.clone(),
                            side,
                            source,
                        }
                    })?;
            }
        }
        if self.is_compact() {
            // A held asset with nothing held would be a label the leaf does not need: refuse it,
            // so a file has one spelling.
            for (pos, id, _) in &named {
                if out[2 * pos].is_zero() && out[2 * pos + 1].is_zero() {
                    return Err(InclusionError::HeldZero((*id).to_owned()));
                }
            }
        }
        Ok(out)
    }

    /// Verifies the proof against the root the exchange published (never against the root the
    /// file itself names, which is only checked for agreement). A compact file must first be
    /// bound to the round's asset list ([`InclusionProof::bind_assets`]): its labels are not
    /// otherwise checked, so it is refused with [`InclusionError::AssetsNotBound`].
    pub fn verify(&self, expected_root: &Digest) -> Result<VerifiedInclusion, InclusionError> {
        if self.root != *expected_root {
            return Err(InclusionError::FileRoot {
                in_file: self.root,
                expected: *expected_root,
            });
        }
        if self.assets.is_empty() {
            return Err(InclusionError::AssetsNotBound {
                held: self.held.len(),
                num_assets: self.num_assets(),
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

/// One asset label of a file: named once, with at most [`Amount::MAX_DECIMALS`] decimals.
fn check_label<'a>(
    seen: &mut HashSet<&'a str>,
    id: &'a AssetId,
    decimals: u8,
) -> Result<(), InclusionError> {
    if !seen.insert(id.as_str()) {
        return Err(InclusionError::DuplicateAsset(id.to_string()));
    }
    if decimals > Amount::MAX_DECIMALS {
        return Err(InclusionError::Decimals {
            asset: id.to_string(),
            decimals,
        });
    }
    Ok(())
}

mod held_list {
    use custodia_primitives::AssetId;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(list: &[(u32, AssetId, u8)], s: S) -> Result<S::Ok, S::Error> {
        let text: Vec<String> = list
            .iter()
            .map(|(pos, id, d)| format!("{id}:{d}@{pos}"))
            .collect();
        s.serialize_str(&text.join(","))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(u32, AssetId, u8)>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        if text.is_empty() {
            return Ok(Vec::new());
        }
        text.split(',')
            .take(super::MAX_ASSETS + 1)
            .map(|item| {
                let bad = || {
                    serde::de::Error::custom(format!(
                        "held entry `{item}` is not SYMBOL:DECIMALS@POSITION"
                    ))
                };
                let (label, pos) = item.split_once('@').ok_or_else(bad)?;
                let (id, dec) = label.split_once(':').ok_or_else(bad)?;
                let id = AssetId::new(id).map_err(serde::de::Error::custom)?;
                let dec = dec.parse::<u8>().map_err(|_| bad())?;
                // Digits only: no sign, no leading zeros beyond "0", so one file has one spelling.
                if pos.is_empty()
                    || !pos.bytes().all(|b| b.is_ascii_digit())
                    || (pos.len() > 1 && pos.starts_with('0'))
                {
                    return Err(bad());
                }
                let pos = pos.parse::<u32>().map_err(|_| bad())?;
                Ok((pos, id, dec))
            })
            .collect()
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
    /// Compact form: `"assets_digest":"…","num_assets":N` (the part every file shares).
    compact: Option<Vec<u8>>,
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
        let compact = (list.len() > INLINE_ASSETS_MAX).then(|| {
            format!(
                ",\"assets_digest\":\"{}\",\"num_assets\":{}",
                crate::assets_digest(assets).to_hex(),
                list.len()
            )
            .into_bytes()
        });
        let tail = format!("],\"root\":\"{}\"}}", root.to_hex()).into_bytes();
        Self {
            head,
            symbols: list,
            decimals: assets.assets().iter().map(|a| a.decimals).collect(),
            compact,
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
        out.push(b'"');
        if let Some(compact) = &self.compact {
            out.extend_from_slice(compact);
            let mut first = true;
            for (i, s) in self.symbols.iter().enumerate() {
                if balances[2 * i].is_zero() && balances[2 * i + 1].is_zero() {
                    continue;
                }
                out.extend_from_slice(if first { b",\"held\":\"" } else { b"," });
                first = false;
                out.extend_from_slice(s.as_bytes());
                out.push(b'@');
                push_u64(out, i as u64);
            }
            if !first {
                out.push(b'"');
            }
        } else {
            out.extend_from_slice(b",\"assets\":\"");
            for (i, s) in self.symbols.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(s.as_bytes());
            }
            out.push(b'"');
        }
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

fn push_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}
