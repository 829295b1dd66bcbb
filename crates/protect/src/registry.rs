//! Networks and the assets listed on them. A network's address format and memo rule are
//! knowledge of the chain (built in, through `custodia-chain`); which assets the exchange
//! accepts where, with which contract and minimum, is the operator's listing table.

use std::collections::{BTreeMap, BTreeSet};

use custodia_chain::{Address, Chain, Network};
use serde::{Deserialize, Serialize};

use crate::ProtectError;
use crate::error::clip;

/// How a network writes addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressFormat {
    /// EVM accounts (every EVM network shares keys: the same address is the same owner).
    Evm,
    /// Bitcoin on a network.
    Bitcoin(Network),
    /// TRON.
    Tron,
    /// Solana.
    Solana,
    /// XRP Ledger classic `r…`.
    Xrpl,
    /// Stellar `G…` account strkeys.
    Stellar,
    /// EOS account names.
    Eos,
    /// TON, raw or user-friendly.
    Ton,
    /// Cosmos SDK bech32 under a prefix.
    Cosmos(&'static str),
}

impl AddressFormat {
    /// The family name in book keys: networks of one family share addresses and keys.
    pub fn family(self) -> &'static str {
        match self {
            AddressFormat::Evm => "evm",
            AddressFormat::Bitcoin(Network::Mainnet) => "bitcoin",
            AddressFormat::Bitcoin(Network::Testnet) => "bitcoin-testnet",
            AddressFormat::Bitcoin(Network::Regtest) => "bitcoin-regtest",
            AddressFormat::Tron => "tron",
            AddressFormat::Solana => "solana",
            AddressFormat::Xrpl => "xrpl",
            AddressFormat::Stellar => "stellar",
            AddressFormat::Eos => "eos",
            AddressFormat::Ton => "ton",
            AddressFormat::Cosmos(hrp) => hrp,
        }
    }

    /// The canonical text of `s`, or the format's reason for refusing it.
    pub fn canonical(self, s: &str) -> Result<String, String> {
        let chain = |c: Chain, n: Network| {
            Address::parse_on(c, n, s)
                .map(|a| a.canonical())
                .map_err(|e| e.to_string())
        };
        let r = |r: custodia_chain::AddressReason| r.to_string();
        match self {
            AddressFormat::Evm => chain(Chain::Evm, Network::Mainnet),
            AddressFormat::Bitcoin(n) => chain(Chain::Bitcoin, n),
            AddressFormat::Tron => chain(Chain::Tron, Network::Mainnet),
            AddressFormat::Solana => chain(Chain::Solana, Network::Mainnet),
            AddressFormat::Xrpl => custodia_chain::xrpl::parse(s)
                .map(|a| custodia_chain::xrpl::encode(&a))
                .map_err(r),
            AddressFormat::Stellar => custodia_chain::stellar::parse(s)
                .map(|a| custodia_chain::stellar::encode(&a))
                .map_err(r),
            AddressFormat::Eos => custodia_chain::eos::parse(s)
                .map(custodia_chain::eos::encode)
                .map_err(r),
            AddressFormat::Ton => custodia_chain::ton::parse(s).map(|a| a.raw()).map_err(r),
            AddressFormat::Cosmos(hrp) => custodia_chain::cosmos::parse(hrp, s)
                .map(|a| custodia_chain::cosmos::encode(hrp, &a))
                .map_err(r),
        }
    }
}

/// What a network carries to tell users apart on a shared deposit address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoRule {
    /// Nothing: every user has an address of their own.
    None,
    /// XRP Ledger destination tag: a whole number below 2^32.
    Tag32,
    /// A text memo of at most this many bytes.
    Text(usize),
}

/// A network the service knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkSpec {
    /// Its name (`ethereum`, `tron`, `xrp`).
    pub name: &'static str,
    /// Address format.
    pub format: AddressFormat,
    /// Memo rule: memo chains share one deposit address among users.
    pub memo: MemoRule,
    /// The native coin's symbol.
    pub native: &'static str,
    /// Transaction hashes: hex digits (`0x`-prefixed when `true`), or base58 signatures (`None`).
    pub tx_hex: Option<bool>,
}

const fn net(
    name: &'static str,
    format: AddressFormat,
    memo: MemoRule,
    native: &'static str,
    tx_hex: Option<bool>,
) -> NetworkSpec {
    NetworkSpec {
        name,
        format,
        memo,
        native,
        tx_hex,
    }
}

/// Every network the service can read addresses of.
pub const NETWORKS: &[NetworkSpec] = &[
    net(
        "bitcoin",
        AddressFormat::Bitcoin(Network::Mainnet),
        MemoRule::None,
        "BTC",
        Some(false),
    ),
    net(
        "ethereum",
        AddressFormat::Evm,
        MemoRule::None,
        "ETH",
        Some(true),
    ),
    net(
        "arbitrum",
        AddressFormat::Evm,
        MemoRule::None,
        "ETH",
        Some(true),
    ),
    net(
        "optimism",
        AddressFormat::Evm,
        MemoRule::None,
        "ETH",
        Some(true),
    ),
    net(
        "base",
        AddressFormat::Evm,
        MemoRule::None,
        "ETH",
        Some(true),
    ),
    net("bsc", AddressFormat::Evm, MemoRule::None, "BNB", Some(true)),
    net(
        "polygon",
        AddressFormat::Evm,
        MemoRule::None,
        "POL",
        Some(true),
    ),
    net(
        "avalanche",
        AddressFormat::Evm,
        MemoRule::None,
        "AVAX",
        Some(true),
    ),
    net(
        "tron",
        AddressFormat::Tron,
        MemoRule::None,
        "TRX",
        Some(false),
    ),
    net("solana", AddressFormat::Solana, MemoRule::None, "SOL", None),
    net(
        "xrp",
        AddressFormat::Xrpl,
        MemoRule::Tag32,
        "XRP",
        Some(false),
    ),
    net(
        "stellar",
        AddressFormat::Stellar,
        MemoRule::Text(28),
        "XLM",
        Some(false),
    ),
    net(
        "eos",
        AddressFormat::Eos,
        MemoRule::Text(256),
        "EOS",
        Some(false),
    ),
    net(
        "ton",
        AddressFormat::Ton,
        MemoRule::Text(120),
        "TON",
        Some(false),
    ),
    net(
        "cosmos",
        AddressFormat::Cosmos("cosmos"),
        MemoRule::Text(256),
        "ATOM",
        Some(false),
    ),
];

fn known_names() -> String {
    NETWORKS
        .iter()
        .map(|n| n.name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl NetworkSpec {
    /// The network called `name` (lower case).
    pub fn find(name: &str) -> Result<&'static NetworkSpec, ProtectError> {
        NETWORKS
            .iter()
            .find(|n| n.name == name)
            .ok_or_else(|| ProtectError::UnknownNetwork {
                got: clip(name, 32),
                known: known_names(),
            })
    }

    /// The canonical text of an address on this network (`field` names it in the error).
    pub fn address(&self, field: &'static str, s: &str) -> Result<String, ProtectError> {
        self.format
            .canonical(s)
            .map_err(|reason| ProtectError::Address {
                field,
                network: self.name.to_owned(),
                reason,
            })
    }

    /// The canonical memo: `None` for an absent or empty one; a refusal when the network cannot
    /// carry it.
    pub fn memo(&self, memo: Option<&str>) -> Result<Option<String>, ProtectError> {
        let Some(m) = memo.filter(|m| !m.is_empty()) else {
            return Ok(None);
        };
        let bad = |reason: String| ProtectError::Memo {
            network: self.name.to_owned(),
            reason,
        };
        match self.memo {
            MemoRule::None => Err(bad(
                "this network has no memo or tag: every user has an address of their own".into(),
            )),
            MemoRule::Tag32 => {
                if m.len() > 10 || !m.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad(format!(
                        "a destination tag is a whole number below 4294967296, got {:?}",
                        clip(m, 16)
                    )));
                }
                let v: u32 = m.parse().map_err(|_| {
                    bad(format!(
                        "a destination tag is a whole number below 4294967296, got {m}"
                    ))
                })?;
                Ok(Some(v.to_string()))
            }
            MemoRule::Text(max) => {
                if m.len() > max || m.chars().any(char::is_control) {
                    return Err(bad(format!(
                        "a memo is at most {max} bytes without control characters, got {} bytes",
                        m.len()
                    )));
                }
                Ok(Some(m.to_owned()))
            }
        }
    }

    /// Checks a transaction hash's shape on this network.
    pub fn tx_hash(&self, s: &str) -> Result<String, ProtectError> {
        let bad = |reason| ProtectError::TxHash {
            network: self.name.to_owned(),
            reason,
        };
        match self.tx_hex {
            Some(prefixed) => {
                let body = if prefixed {
                    s.strip_prefix("0x")
                        .ok_or_else(|| bad("expected 0x and 64 hex digits"))?
                } else {
                    s
                };
                if body.len() != 64 || !body.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad(if prefixed {
                        "expected 0x and 64 hex digits"
                    } else {
                        "expected 64 hex digits"
                    }));
                }
                Ok(if prefixed {
                    format!("0x{}", body.to_ascii_lowercase())
                } else {
                    body.to_ascii_lowercase()
                })
            }
            None => match bs58_len(s) {
                Some(64) => Ok(s.to_owned()),
                _ => Err(bad("expected a base58 signature of 64 bytes")),
            },
        }
    }
}

/// Bytes a base58 (Bitcoin alphabet) string decodes to, or `None` when it is not base58.
fn bs58_len(s: &str) -> Option<usize> {
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    if s.is_empty() || s.len() > 100 {
        return None;
    }
    let mut bytes: Vec<u8> = Vec::new();
    for c in s.bytes() {
        let mut carry = ALPHABET.iter().position(|&a| a == c)? as u32;
        for b in bytes.iter_mut().rev() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zeros = s.bytes().take_while(|&c| c == b'1').count();
    Some(zeros + bytes.len())
}

/// Where a deposit address lives in the book: its family (networks of one family share keys)
/// and its canonical text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BookKey(pub String);

impl BookKey {
    /// The key of a canonical `address` on `spec`.
    pub fn of(spec: &NetworkSpec, canonical: &str) -> BookKey {
        BookKey(format!("{}:{canonical}", spec.format.family()))
    }
}

/// One asset on one network, as the operator lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listing {
    /// Asset symbol (`USDT`).
    pub asset: String,
    /// Network name.
    pub network: String,
    /// Token contract (mint, issuer, jetton master); absent for the native coin.
    #[serde(default)]
    pub contract: Option<String>,
    /// Decimals of the smallest unit.
    pub decimals: u8,
    /// Smallest deposit credited, smallest units (decimal string).
    pub min_deposit: String,
    /// Whether deposits are accepted here. A listed contract with deposits off is still known:
    /// funds sent there are diagnosed by asset, not as an unknown token.
    #[serde(default = "yes")]
    pub deposits: bool,
}

fn yes() -> bool {
    true
}

/// A listing, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    pub asset: String,
    pub decimals: u8,
    pub min_deposit: u128,
    pub deposits: bool,
}

/// The listing table, validated and indexed.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    /// (network, canonical contract or "" for native) → listing.
    by_token: BTreeMap<(String, String), Listed>,
    /// Book keys of listed contracts (a deposit to one of them reaches no one).
    contracts: BTreeSet<BookKey>,
    /// Assets with at least one network taking deposits.
    enabled: BTreeSet<String>,
    listings: Vec<Listing>,
}

impl Registry {
    /// Validates `listings`: known networks, contracts valid on them, no repeats, sane numbers.
    pub fn new(listings: Vec<Listing>) -> Result<Registry, ProtectError> {
        let mut r = Registry::default();
        for (i, l) in listings.iter().enumerate() {
            let bad = |why: String| ProtectError::Registry {
                reason: format!(
                    "listing {i} ({} on {}): {why}",
                    clip(&l.asset, 16),
                    clip(&l.network, 32)
                ),
            };
            if l.asset.is_empty()
                || l.asset.len() > 16
                || !l
                    .asset
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            {
                return Err(bad("asset must be 1–16 upper-case letters or digits".into()));
            }
            let spec = NetworkSpec::find(&l.network).map_err(|e| bad(e.to_string()))?;
            if l.decimals > 30 {
                return Err(bad(format!(
                    "decimals must be at most 30, got {}",
                    l.decimals
                )));
            }
            let min_deposit: u128 = l.min_deposit.parse().map_err(|_| {
                bad(format!(
                    "min_deposit must be a whole number, got {:?}",
                    clip(&l.min_deposit, 40)
                ))
            })?;
            let contract = match &l.contract {
                Some(c) => {
                    let c = spec
                        .address("contract", c)
                        .map_err(|e| bad(e.to_string()))?;
                    r.contracts.insert(BookKey::of(spec, &c));
                    c
                }
                None => {
                    if l.asset != spec.native {
                        return Err(bad(format!(
                            "the native coin of {} is {}; a token needs its contract",
                            spec.name, spec.native
                        )));
                    }
                    String::new()
                }
            };
            let listed = Listed {
                asset: l.asset.clone(),
                decimals: l.decimals,
                min_deposit,
                deposits: l.deposits,
            };
            if r.by_token
                .insert((spec.name.to_owned(), contract), listed)
                .is_some()
            {
                return Err(bad("listed twice".into()));
            }
            if l.deposits {
                r.enabled.insert(l.asset.clone());
            }
        }
        r.listings = listings;
        Ok(r)
    }

    /// The listings it was built from.
    pub fn listings(&self) -> &[Listing] {
        &self.listings
    }

    /// The built-in table: majors on their usual networks, with real contracts, and a few
    /// contracts known but not accepted (USDT on Arbitrum, USDC on BSC) so that funds sent
    /// there are diagnosed by asset.
    pub fn defaults() -> Registry {
        let l = |asset: &str,
                 network: &str,
                 contract: Option<&str>,
                 decimals: u8,
                 min: &str,
                 deposits: bool| Listing {
            asset: asset.into(),
            network: network.into(),
            contract: contract.map(Into::into),
            decimals,
            min_deposit: min.into(),
            deposits,
        };
        Registry::new(vec![
            l("BTC", "bitcoin", None, 8, "50000", true),
            l("ETH", "ethereum", None, 18, "1000000000000000", true),
            l("ETH", "arbitrum", None, 18, "1000000000000000", true),
            l("ETH", "base", None, 18, "1000000000000000", false),
            l("BNB", "bsc", None, 18, "10000000000000000", true),
            l("TRX", "tron", None, 6, "1000000", true),
            l("SOL", "solana", None, 9, "10000000", true),
            l("XRP", "xrp", None, 6, "1000000", true),
            l("XLM", "stellar", None, 7, "10000000", true),
            l("EOS", "eos", None, 4, "1000", true),
            l("TON", "ton", None, 9, "100000000", true),
            l("ATOM", "cosmos", None, 6, "100000", true),
            l(
                "USDT",
                "ethereum",
                Some("0xdAC17F958D2ee523a2206206994597C13D831ec7"),
                6,
                "1000000",
                true,
            ),
            l(
                "USDT",
                "tron",
                Some("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
                6,
                "1000000",
                true,
            ),
            l(
                "USDT",
                "solana",
                Some("Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"),
                6,
                "1000000",
                true,
            ),
            l(
                "USDT",
                "arbitrum",
                Some("0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9"),
                6,
                "1000000",
                false,
            ),
            l(
                "USDC",
                "ethereum",
                Some("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"),
                6,
                "1000000",
                true,
            ),
            l(
                "USDC",
                "solana",
                Some("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"),
                6,
                "1000000",
                true,
            ),
            l(
                "USDC",
                "bsc",
                Some("0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d"),
                18,
                "1000000000000000000",
                false,
            ),
        ])
        .expect("the built-in listings are valid")
    }

    pub(crate) fn listed(&self, network: &str, contract: &str) -> Option<&Listed> {
        self.by_token
            .get(&(network.to_owned(), contract.to_owned()))
    }

    pub(crate) fn is_contract(&self, key: &BookKey) -> bool {
        self.contracts.contains(key)
    }

    pub(crate) fn accepted_somewhere(&self, asset: &str) -> bool {
        self.enabled.contains(asset)
    }

    /// Networks where `asset` is accepted.
    pub fn accepted_on(&self, asset: &str) -> Vec<&str> {
        self.listings
            .iter()
            .filter(|l| l.asset == asset && l.deposits)
            .map(|l| l.network.as_str())
            .collect()
    }
}
