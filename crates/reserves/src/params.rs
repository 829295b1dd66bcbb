//! The verifier's own policy: who the exchange is, the snapshot height of every chain, which
//! chains and token contracts are supported, optional USD prices.
//!
//! The wallet file is the exchange's claim; these parameters are what the verifier holds it to
//! (the winterfell habit: the verifier takes its security policy as an argument). They are read
//! from a small TOML file (`reserves.toml`, see `docs/reserves.md`):
//!
//! ```toml
//! exchange = "Acme Exchange"
//!
//! [heights]          # the snapshot height of each chain: wallets must be signed and valued there
//! bitcoin = 840000
//! ethereum = 19500000
//!
//! [max_age]          # optional: accept heights up to N blocks below the snapshot height
//! ethereum = 5
//!
//! [usd_prices]       # optional: USD per whole unit, exact decimals (chart data in USD)
//! BTC = "67012.5"
//!
//! [[token]]          # optional: more token contracts (merged over the built-in mainnet list)
//! chain = "ethereum"
//! asset = "TOK23"
//! contract = "0x…"
//! decimals = 6
//!
//! [nodes.ethereum]   # optional: a balance node per chain (chains without one: stated balances)
//! url = "http://127.0.0.1:8545"
//! [nodes.bitcoin]
//! url = "http://127.0.0.1:8332"
//! auth_file = "/var/lib/bitcoind/.cookie"
//!
//! [[chain]]          # optional: more chains (merged over the built-in list)
//! name = "bsc"
//! kind = "evm"
//! native_asset = "BNB"
//! native_decimals = 18
//! ```

use std::collections::BTreeMap;

use custodia_primitives::{Amount, AssetId};
use serde::{Deserialize, Serialize};

use crate::ReservesError;
use crate::chain::{ChainAddress, ChainSpec, TokenSpec, default_chains, default_tokens};
use crate::message::check_label;

/// Decimals of USD prices: prices are USD per whole unit × 10^8.
pub const USD_DECIMALS: u8 = 8;

/// What the verifier requires of every wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyParams {
    /// The exchange name every ownership message must carry.
    pub exchange: String,
    /// The snapshot height per chain. A chain without a height accepts no wallet
    /// ([`WalletRejection::HeightNotPinned`](crate::WalletRejection::HeightNotPinned)).
    pub heights: BTreeMap<String, u64>,
    /// Per chain, how many blocks below the snapshot height a wallet may be stated at
    /// (default 0: exactly the snapshot height).
    pub max_age: BTreeMap<String, u64>,
    /// Supported chains.
    pub chains: Vec<ChainSpec>,
    /// Token contracts.
    pub tokens: Vec<TokenSpec>,
    /// Optional USD prices (USD per whole unit × 10^8) for USD columns in the chart data.
    pub usd_e8: BTreeMap<AssetId, u64>,
    /// Balance nodes per chain (`[nodes.<chain>]`): the binary builds a source for each; chains
    /// without one keep the stated balances.
    pub nodes: BTreeMap<String, NodeSpec>,
}

/// A chain's balance node in `reserves.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// `http://host:port[/path]`.
    pub url: String,
    /// A file holding `user:password` for HTTP basic auth (bitcoind's `.cookie` has this form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_file: Option<String>,
}

impl VerifyParams {
    /// Parameters for `exchange` with the built-in chains and mainnet token contracts, and no
    /// heights yet (add them with [`VerifyParams::with_height`]).
    pub fn new(exchange: impl Into<String>) -> Self {
        Self {
            exchange: exchange.into(),
            heights: BTreeMap::new(),
            max_age: BTreeMap::new(),
            chains: default_chains(),
            tokens: default_tokens(),
            usd_e8: BTreeMap::new(),
            nodes: BTreeMap::new(),
        }
    }

    /// Pins the snapshot height of a chain.
    pub fn with_height(mut self, chain: impl Into<String>, height: u64) -> Self {
        self.heights.insert(chain.into(), height);
        self
    }

    /// Accepts heights up to `blocks` below the chain's snapshot height.
    pub fn with_max_age(mut self, chain: impl Into<String>, blocks: u64) -> Self {
        self.max_age.insert(chain.into(), blocks);
        self
    }

    /// Adds or replaces a token contract.
    pub fn with_token(mut self, token: TokenSpec) -> Self {
        self.tokens
            .retain(|t| !(t.chain == token.chain && t.asset == token.asset));
        self.tokens.push(token);
        self
    }

    /// Adds or replaces a chain.
    pub fn with_chain(mut self, chain: ChainSpec) -> Self {
        self.chains.retain(|c| c.name != chain.name);
        self.chains.push(chain);
        self
    }

    /// The supported chain called `name`.
    pub fn chain(&self, name: &str) -> Option<&ChainSpec> {
        self.chains.iter().find(|c| c.name == name)
    }

    /// The token contract of `asset` on `chain`.
    pub fn token(&self, chain: &str, asset: &str) -> Option<&TokenSpec> {
        self.tokens
            .iter()
            .find(|t| t.chain == chain && t.asset.as_str() == asset)
    }

    /// The accepted heights `min..=max` on `chain`, or `None` when none is pinned.
    pub fn height_window(&self, chain: &str) -> Option<(u64, u64)> {
        let max = *self.heights.get(chain)?;
        let age = self.max_age.get(chain).copied().unwrap_or(0);
        Some((max.saturating_sub(age), max))
    }

    /// Checks the parameters: a valid exchange name, unique chains, token contracts that are
    /// valid addresses of chains with tokens, heights only for known chains.
    pub fn validate(&self) -> Result<(), ReservesError> {
        check_label("exchange name", &self.exchange)?;
        for (i, c) in self.chains.iter().enumerate() {
            if c.name.is_empty() || self.chains[..i].iter().any(|o| o.name == c.name) {
                return Err(ReservesError::params(format!(
                    "chain `{}` is empty or listed twice",
                    c.name
                )));
            }
        }
        for (i, t) in self.tokens.iter().enumerate() {
            let chain = self.chain(&t.chain).ok_or_else(|| {
                ReservesError::params(format!(
                    "token {} names unknown chain `{}`",
                    t.asset, t.chain
                ))
            })?;
            if !chain.kind.has_tokens() {
                return Err(ReservesError::params(format!(
                    "chain `{}` has no token contracts",
                    t.chain
                )));
            }
            if chain.native_asset == t.asset {
                return Err(ReservesError::params(format!(
                    "{} is the native coin of `{}`, not a token",
                    t.asset, t.chain
                )));
            }
            if self.tokens[..i]
                .iter()
                .any(|o| o.chain == t.chain && o.asset == t.asset)
            {
                return Err(ReservesError::params(format!(
                    "token {} on `{}` listed twice",
                    t.asset, t.chain
                )));
            }
            ChainAddress::parse(chain, &t.contract).map_err(|e| {
                ReservesError::params(format!("token {} on `{}`: {e}", t.asset, t.chain))
            })?;
        }
        for chain in self.heights.keys().chain(self.max_age.keys()) {
            if self.chain(chain).is_none() {
                return Err(ReservesError::params(format!(
                    "height given for unsupported chain `{chain}`"
                )));
            }
        }
        for (chain, node) in &self.nodes {
            if self.chain(chain).is_none() {
                return Err(ReservesError::params(format!(
                    "node given for unsupported chain `{chain}`"
                )));
            }
            if !node.url.starts_with("http://") && !node.url.starts_with("https://") {
                return Err(ReservesError::params(format!(
                    "nodes.{chain}.url `{}` is not an http:// or https:// URL",
                    node.url
                )));
            }
        }
        for chain in self.max_age.keys() {
            if !self.heights.contains_key(chain) {
                return Err(ReservesError::params(format!(
                    "max_age for `{chain}` without a snapshot height"
                )));
            }
        }
        Ok(())
    }

    /// Reads a `reserves.toml` (see the module documentation). Chains and tokens in the file are
    /// merged over the built-in lists.
    pub fn from_toml(text: &str) -> Result<Self, ReservesError> {
        let file: ParamsFile =
            toml::from_str(text).map_err(|e| ReservesError::params(e.to_string()))?;
        let mut p = Self::new(file.exchange);
        p.heights = file.heights;
        p.max_age = file.max_age;
        p.nodes = file.nodes;
        for c in file.chain {
            p = p.with_chain(c);
        }
        for t in file.token {
            p = p.with_token(t);
        }
        for (asset, price) in file.usd_prices {
            let usd = Amount::parse(&price, USD_DECIMALS)
                .map_err(|e| ReservesError::params(format!("usd_prices.{asset}: {e}")))?;
            p.usd_e8.insert(asset, usd.units());
        }
        p.validate()?;
        Ok(p)
    }

    /// Writes the parameters as `reserves.toml`, every chain and token spelled out.
    pub fn to_toml(&self) -> String {
        let file = ParamsFile {
            exchange: self.exchange.clone(),
            heights: self.heights.clone(),
            max_age: self.max_age.clone(),
            usd_prices: self
                .usd_e8
                .iter()
                .map(|(a, p)| {
                    (
                        a.clone(),
                        custodia_primitives::Total::from_units(u128::from(*p))
                            .to_decimal(USD_DECIMALS),
                    )
                })
                .collect(),
            nodes: self.nodes.clone(),
            chain: self.chains.clone(),
            token: self.tokens.clone(),
        };
        toml::to_string(&file).expect("parameters serialise")
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsFile {
    exchange: String,
    #[serde(default)]
    heights: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    max_age: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    usd_prices: BTreeMap<AssetId, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    nodes: BTreeMap<String, NodeSpec>,
    #[serde(default)]
    chain: Vec<ChainSpec>,
    #[serde(default)]
    token: Vec<TokenSpec>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_round_trip() {
        let mut p = VerifyParams::new("Acme Exchange")
            .with_height("bitcoin", 840_000)
            .with_height("ethereum", 19_500_000)
            .with_max_age("ethereum", 5);
        p.usd_e8
            .insert(AssetId::new("BTC").unwrap(), 6_701_250_000_000);
        p.nodes.insert(
            "bitcoin".into(),
            NodeSpec {
                url: "http://127.0.0.1:8332".into(),
                auth_file: Some("/tmp/.cookie".into()),
            },
        );
        p.validate().unwrap();
        let text = p.to_toml();
        assert_eq!(VerifyParams::from_toml(&text).unwrap(), p);
        assert_eq!(p.height_window("ethereum"), Some((19_499_995, 19_500_000)));
        assert_eq!(p.height_window("tron"), None);
    }

    #[test]
    fn minimal_file() {
        let p = VerifyParams::from_toml("exchange = \"Acme\"\n[heights]\nbitcoin = 1\n").unwrap();
        assert_eq!(p.chains, default_chains());
        assert_eq!(p.tokens, default_tokens());
    }

    #[test]
    fn bad_parameters() {
        for (text, why) in [
            ("exchange = \"A|B\"", "exchange name"),
            ("exchange = \"A\"\n[heights]\nnear = 5", "unsupported chain"),
            (
                "exchange = \"A\"\n[max_age]\nbitcoin = 5",
                "without a snapshot height",
            ),
            (
                "exchange = \"A\"\n[[token]]\nchain = \"ethereum\"\nasset = \"TOK\"\ncontract = \"0xdAC17F958D2ee523a2206206994597C13D831Ec7\"\ndecimals = 6",
                "checksum",
            ),
            (
                "exchange = \"A\"\n[[token]]\nchain = \"bitcoin\"\nasset = \"TOK\"\ncontract = \"x\"\ndecimals = 6",
                "no token contracts",
            ),
            (
                "exchange = \"A\"\n[usd_prices]\nBTC = \"-1\"",
                "usd_prices.BTC",
            ),
            ("exchange = \"A\"\nheight = 5", "unknown field"),
            (
                "exchange = \"A\"\n[nodes.near]\nurl = \"http://x\"",
                "unsupported chain `near`",
            ),
            (
                "exchange = \"A\"\n[nodes.bitcoin]\nurl = \"ftp://x\"",
                "not an http:// or https:// URL",
            ),
        ] {
            let err = VerifyParams::from_toml(text).unwrap_err().to_string();
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}
