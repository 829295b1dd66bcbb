//! Protected brands: the names look-alike domains imitate.

use serde::{Deserialize, Serialize};

use super::check::RiskLevel;
use super::host::Host;
use crate::GuardError;
use crate::error::echo;

/// A brand whose users a look-alike domain would target.
///
/// Keywords are what the look-alike rules search for in host labels. By default they are the
/// registrable labels of the brand's official domains (`okx` for `okx.com`). A keyword listed
/// in `generic` is an ordinary word (`ledger`, `phantom`, `gate`): it only counts when the host
/// also has a lure word (`login`, `wallet`, `airdrop`, ...), so that `ledger-cli.org` stays
/// clean while `ledger-live-update.com` does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Brand {
    /// Display name (`OKX`).
    pub name: String,
    /// Official hosts: each one and its subdomains are never flagged (`okx.com`,
    /// `metamask.github.io`).
    pub domains: Vec<String>,
    /// Other official hosts (older names, sister sites, regional sites): allowlisted like
    /// `domains`, but their labels are not keywords (`krakenfx.com`, `bnbchain.org`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternates: Vec<String>,
    /// Extra distinctive keywords (`okex`, `gateio`), besides the official domains' labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Keywords that are ordinary words and need a lure word to count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generic: Vec<String>,
    /// Keywords made of ordinary words (`opensea`, `metamask`): inside a longer word they only
    /// count with lure words around them (`opensearch` is not OpenSea). Keywords in neither
    /// list are coined names (`okx`, `binance`): at the start or end of any word they count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compound: Vec<String>,
}

impl Brand {
    /// A brand from its name and official domains, keywords derived.
    pub fn new(name: &str, domains: &[&str]) -> Brand {
        Brand {
            name: name.to_owned(),
            domains: domains.iter().map(|d| (*d).to_owned()).collect(),
            alternates: Vec::new(),
            keywords: Vec::new(),
            generic: Vec::new(),
            compound: Vec::new(),
        }
    }

    /// Adds official alternate hosts (allowlisted, no keyword derived).
    pub fn with_alternates(mut self, hosts: &[&str]) -> Brand {
        self.alternates
            .extend(hosts.iter().map(|h| (*h).to_owned()));
        self
    }

    /// Adds distinctive keywords.
    pub fn with_keywords(mut self, kws: &[&str]) -> Brand {
        self.keywords.extend(kws.iter().map(|k| (*k).to_owned()));
        self
    }

    /// Marks keywords as generic words.
    pub fn with_generic(mut self, kws: &[&str]) -> Brand {
        self.generic.extend(kws.iter().map(|k| (*k).to_owned()));
        self
    }

    /// Marks keywords as compounds of ordinary words.
    pub fn with_compound(mut self, kws: &[&str]) -> Brand {
        self.compound.extend(kws.iter().map(|k| (*k).to_owned()));
        self
    }
}

/// The default protected brands: the exchange (OKX), the largest exchanges, and the wallets,
/// NFT markets and explorers phishing kits imitate most. Replace or extend through
/// configuration; every official domain listed here is also allowlisted.
pub fn default_brands() -> Vec<Brand> {
    vec![
        Brand::new("OKX", &["okx.com", "okex.com"]).with_alternates(&["okx.cab", "okcoin.com"]),
        Brand::new(
            "Binance",
            &["binance.com", "binance.us", "binance.org", "binance.net"],
        )
        .with_alternates(&[
            "binance.vision",
            "binance.cloud",
            "binance.charity",
            "binancefuture.com",
            "bnbchain.org",
        ]),
        Brand::new("Coinbase", &["coinbase.com"])
            .with_alternates(&["coinbase.cloud", "base.org"])
            .with_compound(&["coinbase"]),
        Brand::new("Kraken", &["kraken.com"])
            .with_alternates(&["krakenfx.com"])
            .with_generic(&["kraken"]),
        Brand::new("Bybit", &["bybit.com"]).with_alternates(&["bybit.eu", "bybitglobal.com"]),
        Brand::new("KuCoin", &["kucoin.com"]),
        Brand::new("Bitget", &["bitget.com"]),
        Brand::new("Gate", &["gate.io", "gate.com"])
            .with_keywords(&["gateio"])
            .with_generic(&["gate"]),
        Brand::new("HTX", &["htx.com", "huobi.com"]).with_alternates(&["huobi.pro"]),
        Brand::new("MEXC", &["mexc.com"]),
        Brand::new("Bitfinex", &["bitfinex.com"]),
        Brand::new("Crypto.com", &["crypto.com"])
            .with_alternates(&["crypto.org"])
            .with_keywords(&["cryptocom"])
            .with_compound(&["cryptocom"])
            .with_generic(&["crypto"]),
        Brand::new("Gemini", &["gemini.com"]).with_generic(&["gemini"]),
        Brand::new(
            "MetaMask",
            &["metamask.io", "metamask.github.io", "metamask.zendesk.com"],
        )
        .with_alternates(&["metamask.app.link"])
        .with_compound(&["metamask"]),
        Brand::new("Trust Wallet", &["trustwallet.com"]).with_compound(&["trustwallet"]),
        Brand::new("Phantom", &["phantom.app", "phantom.com"]).with_generic(&["phantom"]),
        Brand::new("Ledger", &["ledger.com"])
            .with_alternates(&["ledgerwallet.com"])
            .with_generic(&["ledger"]),
        Brand::new("Trezor", &["trezor.io"]),
        Brand::new("Rabby", &["rabby.io"]),
        Brand::new("Exodus", &["exodus.com"])
            .with_alternates(&["exodus.io"])
            .with_generic(&["exodus"]),
        Brand::new("Uniswap", &["uniswap.org"])
            .with_alternates(&["uniswap.exchange", "uniswap.eth"])
            .with_compound(&["uniswap"]),
        Brand::new("OpenSea", &["opensea.io"]).with_compound(&["opensea"]),
        Brand::new("Etherscan", &["etherscan.io"])
            .with_alternates(&["etherscan.com"])
            .with_compound(&["etherscan"]),
        Brand::new("MyEtherWallet", &["myetherwallet.com"])
            .with_alternates(&["mewwallet.com"])
            .with_compound(&["myetherwallet"]),
        Brand::new("Ethereum", &["ethereum.org"])
            .with_alternates(&["ethereum.foundation"])
            .with_generic(&["ethereum"]),
    ]
}

/// A brand's name reduced to what tells brands apart: lowercase letters and digits
/// (`Crypto.com`, `crypto com` and `CryptoCom` are one brand).
pub fn brand_key(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Refuses brand lists where two entries are one brand: the same name once case, spaces and
/// punctuation are ignored, names one edit apart (`Binance` / `Binanse`), or an official host
/// claimed by both.
pub(crate) fn check_distinct(brands: &[Brand]) -> Result<(), GuardError> {
    for (i, a) in brands.iter().enumerate() {
        let ka = brand_key(&a.name);
        if ka.is_empty() {
            return Err(GuardError::Config {
                why: format!("brand name `{}` has no letter or digit", echo(&a.name)),
            });
        }
        for b in &brands[..i] {
            let kb = brand_key(&b.name);
            let near = ka.len().min(kb.len()) >= 5 && strsim::osa_distance(&ka, &kb) <= 1;
            if ka == kb || near {
                return Err(GuardError::Config {
                    why: format!(
                        "brands `{}` and `{}` are near-duplicate names (compared as `{ka}` and `{kb}`): configure one, with the other's domains",
                        echo(&b.name),
                        echo(&a.name)
                    ),
                });
            }
            let hosts = |x: &Brand| -> Vec<String> {
                x.domains
                    .iter()
                    .chain(&x.alternates)
                    .map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase())
                    .collect()
            };
            let hb = hosts(b);
            if let Some(h) = hosts(a).into_iter().find(|h| hb.contains(h)) {
                return Err(GuardError::Config {
                    why: format!(
                        "brands `{}` and `{}` both claim the official domain `{}`",
                        echo(&b.name),
                        echo(&a.name),
                        echo(&h)
                    ),
                });
            }
        }
    }
    Ok(())
}

/// A keyword ready for matching.
#[derive(Debug, Clone)]
pub(crate) struct Keyword {
    pub text: String,
    pub skeleton: String,
    pub brand: usize,
    pub generic: bool,
    pub compound: bool,
    pub mask: u64,
}

impl Keyword {
    /// The level of a host that carries this name whole (exactly, by skeleton, or with
    /// look-alike characters): an ordinary word alone is only high, a brand's own name very high.
    pub(crate) fn whole_name_level(&self) -> RiskLevel {
        if self.generic {
            RiskLevel::High
        } else {
            RiskLevel::VeryHigh
        }
    }
}

pub(crate) fn validate_keyword(k: &str) -> Result<String, GuardError> {
    let k = k.trim().to_ascii_lowercase();
    if k.len() < 3
        || k.len() > 63
        || !k
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Err(GuardError::Config {
            why: format!(
                "brand keyword `{}` must be 3–63 characters of a-z 0-9 (shorter keywords would match everywhere)",
                echo(&k)
            ),
        });
    }
    Ok(k)
}

/// Normalises a brand's official host (must have a registrable domain). Returns the host and,
/// when the host is a registrable domain itself (`okx.com`, `metamask.github.io`), its label:
/// the brand's name. Subdomains on someone else's domain (`metamask.zendesk.com`) name no
/// keyword.
pub(crate) fn official_host(d: &str) -> Result<(String, Option<String>), GuardError> {
    let host = Host::parse(d)?;
    let (Some(reg), Some(label)) = (host.registrable(), host.registrable_label()) else {
        return Err(GuardError::Config {
            why: format!("official domain `{}` has no registrable domain", echo(d)),
        });
    };
    let label = (reg == host.ascii()).then(|| label.to_owned());
    Ok((host.ascii().to_owned(), label))
}
