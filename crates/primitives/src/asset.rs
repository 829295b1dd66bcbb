use core::fmt;
use std::borrow::Borrow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{Amount, IdError, RegistryError};

/// The registry of the 22 default assets, as shipped (`crates/primitives/assets.toml`).
pub const DEFAULT_ASSETS_TOML: &str = include_str!("../assets.toml");

/// An asset's ticker symbol: 1 to 16 characters of `A-Z 0-9`, upper case.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AssetId(String);

impl AssetId {
    /// Maximum length in bytes.
    pub const MAX_LEN: usize = 16;

    /// Validates and wraps a symbol. Lower case is rejected rather than folded: symbols in
    /// snapshots and registries must be written the one canonical way.
    pub fn new(s: impl Into<String>) -> Result<Self, IdError> {
        const KIND: &str = "asset id";
        let s = s.into();
        if s.is_empty() {
            return Err(IdError::Empty { kind: KIND });
        }
        if s.len() > Self::MAX_LEN {
            return Err(IdError::TooLong {
                kind: KIND,
                len: s.len(),
                max: Self::MAX_LEN,
                value: s,
            });
        }
        if let Some(ch) = s
            .chars()
            .find(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit()))
        {
            return Err(IdError::BadChar {
                kind: KIND,
                value: s,
                ch,
                allowed: "A-Z 0-9",
            });
        }
        Ok(Self(s))
    }

    /// The symbol as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AssetId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl From<AssetId> for String {
    fn from(a: AssetId) -> String {
        a.0
    }
}

// `AssetId` hashes and compares like its string, so maps keyed by it can be searched by `&str`.
impl Borrow<str> for AssetId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AssetId({})", self.0)
    }
}

/// One asset of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetInfo {
    /// Ticker symbol.
    pub id: AssetId,
    /// Human name.
    pub name: String,
    /// Ledger decimals: amounts of this asset are integers in units of 10^-decimals.
    pub decimals: u8,
    /// Chains (networks) the exchange holds the asset on, e.g. `["bitcoin"]`, `["ethereum", "tron"]`.
    pub chains: Vec<String>,
    /// Maximum supply in whole units, when known; checked to fit below 2^62 smallest units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_supply: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    asset: Vec<AssetInfoRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetInfoRaw {
    id: String,
    name: String,
    decimals: u8,
    chains: Vec<String>,
    #[serde(default)]
    max_supply: Option<u64>,
}

/// The ordered list of assets a round covers. The order is part of the protocol: asset `i` of
/// the registry is column `i` of every leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetRegistry {
    assets: Vec<AssetInfo>,
    index: HashMap<AssetId, usize>,
}

impl AssetRegistry {
    /// The 22 default assets.
    pub fn default_assets() -> Self {
        Self::from_toml(DEFAULT_ASSETS_TOML).expect("the shipped registry is valid")
    }

    /// Parses a registry file: a list of `[[asset]]` tables with `id`, `name`, `decimals`,
    /// `chains` and optional `max_supply`.
    pub fn from_toml(text: &str) -> Result<Self, RegistryError> {
        let file: RegistryFile =
            toml::from_str(text).map_err(|e| RegistryError::Toml(e.to_string()))?;
        let assets = file
            .asset
            .into_iter()
            .enumerate()
            .map(|(index, raw)| {
                Ok(AssetInfo {
                    id: AssetId::new(raw.id)
                        .map_err(|source| RegistryError::BadId { index, source })?,
                    name: raw.name,
                    decimals: raw.decimals,
                    chains: raw.chains,
                    max_supply: raw.max_supply,
                })
            })
            .collect::<Result<Vec<_>, RegistryError>>()?;
        Self::new(assets)
    }

    /// Builds a registry from a list, checking it.
    pub fn new(assets: Vec<AssetInfo>) -> Result<Self, RegistryError> {
        if assets.is_empty() {
            return Err(RegistryError::Empty);
        }
        let mut index = HashMap::with_capacity(assets.len());
        for (i, a) in assets.iter().enumerate() {
            if a.decimals > Amount::MAX_DECIMALS {
                return Err(RegistryError::Decimals {
                    asset: a.id.to_string(),
                    decimals: a.decimals,
                    max: Amount::MAX_DECIMALS,
                });
            }
            if let Some(supply) = a.max_supply {
                let units = u128::from(supply) * 10u128.pow(u32::from(a.decimals));
                if units > u128::from(Amount::MAX.units()) {
                    return Err(RegistryError::SupplyTooLarge {
                        asset: a.id.to_string(),
                        max_supply: supply,
                        decimals: a.decimals,
                    });
                }
            }
            if a.chains.is_empty() {
                return Err(RegistryError::NoChain(a.id.to_string()));
            }
            if index.insert(a.id.clone(), i).is_some() {
                return Err(RegistryError::Duplicate(a.id.to_string()));
            }
        }
        Ok(Self { assets, index })
    }

    /// The first `n` assets (demo rounds over fewer assets), or `None` if `n` is 0 or too large.
    pub fn truncated(&self, n: usize) -> Option<Self> {
        (n >= 1 && n <= self.assets.len()).then(|| {
            Self::new(self.assets[..n].to_vec()).expect("a prefix of a valid registry is valid")
        })
    }

    /// Serialises back to the TOML form [`AssetRegistry::from_toml`] reads.
    pub fn to_toml(&self) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            asset: &'a [AssetInfo],
        }
        toml::to_string(&Out {
            asset: &self.assets,
        })
        .expect("registry serialises")
    }

    /// Number of assets.
    pub fn len(&self) -> usize {
        self.assets.len()
    }

    /// Always false: a registry holds at least one asset.
    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }

    /// Position of an asset (its column in every leaf).
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Asset at a position.
    pub fn get(&self, i: usize) -> Option<&AssetInfo> {
        self.assets.get(i)
    }

    /// All assets in order.
    pub fn assets(&self) -> &[AssetInfo] {
        &self.assets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_registry_has_22_assets() {
        let r = AssetRegistry::default_assets();
        assert_eq!(r.len(), 22);
        assert_eq!(r.index_of("BTC"), Some(0));
        assert_eq!(r.get(r.index_of("USDT").unwrap()).unwrap().decimals, 6);
        assert_eq!(r.index_of("btc"), None);
        assert_eq!(AssetRegistry::from_toml(&r.to_toml()).unwrap(), r);
    }

    #[test]
    fn operators_can_list_hundreds_of_assets() {
        let mut text = String::from(DEFAULT_ASSETS_TOML);
        for i in 0..200 {
            text.push_str(&format!(
                "\n[[asset]]\nid = \"TOK{i}\"\nname = \"Token {i}\"\ndecimals = 6\nchains = [\"ethereum\"]\n"
            ));
        }
        let r = AssetRegistry::from_toml(&text).unwrap();
        assert_eq!(r.len(), 222);
        assert_eq!(r.index_of("TOK199"), Some(221));
    }

    fn reject(text: &str, want: RegistryError) {
        assert_eq!(AssetRegistry::from_toml(text), Err(want));
    }

    #[test]
    fn bad_registries_are_rejected() {
        let one = |id: &str, dec: u8, chains: &str, extra: &str| {
            format!(
                "[[asset]]\nid = \"{id}\"\nname = \"x\"\ndecimals = {dec}\nchains = {chains}\n{extra}"
            )
        };
        reject(
            &format!(
                "{}{}",
                one("BTC", 8, "[\"b\"]", ""),
                one("BTC", 8, "[\"b\"]", "")
            ),
            RegistryError::Duplicate("BTC".into()),
        );
        reject(
            &one("BTC", 19, "[\"b\"]", ""),
            RegistryError::Decimals {
                asset: "BTC".into(),
                decimals: 19,
                max: 18,
            },
        );
        reject(
            &one("BTC", 8, "[]", ""),
            RegistryError::NoChain("BTC".into()),
        );
        reject(
            &one("SHIB", 8, "[\"e\"]", "max_supply = 1000000000000000"),
            RegistryError::SupplyTooLarge {
                asset: "SHIB".into(),
                max_supply: 1_000_000_000_000_000,
                decimals: 8,
            },
        );
        assert!(matches!(
            AssetRegistry::from_toml(&one("btc", 8, "[\"b\"]", "")),
            Err(RegistryError::BadId { index: 0, .. })
        ));
        assert!(matches!(
            AssetRegistry::from_toml("asset = 3"),
            Err(RegistryError::Toml(_))
        ));
        assert!(matches!(
            AssetRegistry::from_toml("asset = []"),
            Err(RegistryError::Empty)
        ));
    }
}
