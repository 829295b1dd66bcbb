//! Chains the verifier can check ownership on, their native coins and token contracts.
//!
//! A chain name (`bitcoin`, `ethereum`, `tron`, …) is the same string the asset registry lists
//! under `chains`. Each supported chain has a [`ChainKind`] that picks the address format and the
//! signature scheme. Canonical address spellings, used in the ownership message and to detect
//! duplicates: Bitcoin as rust-bitcoin prints it (bech32 lower case, base58 as is), EVM in EIP-55
//! mixed case, TRON in base58check.

use custodia_primitives::AssetId;
use serde::{Deserialize, Serialize};

use crate::{ReservesError, btc, evm, tron};

/// The address format and signature scheme family of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChainKind {
    /// Bitcoin mainnet.
    Bitcoin,
    /// Bitcoin testnet (`tb1…`, `m…`/`n…`/`2…`).
    BitcoinTestnet,
    /// Bitcoin signet.
    BitcoinSignet,
    /// Bitcoin regtest (`bcrt1…`).
    BitcoinRegtest,
    /// An EVM chain: EIP-55 addresses, EIP-191 signatures, ERC-20 tokens.
    Evm,
    /// TRON: base58check addresses, TIP-191 signatures, TRC-20 tokens.
    Tron,
}

impl ChainKind {
    /// The rust-bitcoin network of a Bitcoin kind.
    pub fn bitcoin_network(self) -> Option<bitcoin::Network> {
        Some(match self {
            Self::Bitcoin => bitcoin::Network::Bitcoin,
            Self::BitcoinTestnet => bitcoin::Network::Testnet,
            Self::BitcoinSignet => bitcoin::Network::Signet,
            Self::BitcoinRegtest => bitcoin::Network::Regtest,
            Self::Evm | Self::Tron => return None,
        })
    }

    /// Whether the chain has token contracts (EVM, TRON).
    pub fn has_tokens(self) -> bool {
        matches!(self, Self::Evm | Self::Tron)
    }
}

/// A chain the verifier supports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSpec {
    /// The registry's name for the chain.
    pub name: String,
    /// Address format and signature scheme.
    pub kind: ChainKind,
    /// The chain's native coin (its balance is not a token balance).
    pub native_asset: AssetId,
    /// Decimals of the native coin on chain (18 for wei, 8 for satoshi, 6 for sun).
    pub native_decimals: u8,
}

/// A token contract: where the balance of `asset` on `chain` is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSpec {
    /// Chain name.
    pub chain: String,
    /// The asset.
    pub asset: AssetId,
    /// Contract address (EIP-55 on EVM chains, base58check on TRON).
    pub contract: String,
    /// Token decimals on chain.
    pub decimals: u8,
}

fn asset(s: &str) -> AssetId {
    AssetId::new(s).expect("built-in symbols are valid")
}

/// The chains supported out of the box.
pub fn default_chains() -> Vec<ChainSpec> {
    [
        ("bitcoin", ChainKind::Bitcoin, "BTC", 8),
        ("ethereum", ChainKind::Evm, "ETH", 18),
        ("arbitrum", ChainKind::Evm, "ETH", 18),
        ("optimism", ChainKind::Evm, "ETH", 18),
        ("ethereumclassic", ChainKind::Evm, "ETC", 18),
        ("tron", ChainKind::Tron, "TRX", 6),
    ]
    .into_iter()
    .map(|(name, kind, native, decimals)| ChainSpec {
        name: name.into(),
        kind,
        native_asset: asset(native),
        native_decimals: decimals,
    })
    .collect()
}

/// Mainnet token contracts of the default registry's tokens.
pub fn default_tokens() -> Vec<TokenSpec> {
    [
        (
            "ethereum",
            "USDT",
            "0xdAC17F958D2ee523a2206206994597C13D831ec7",
            6,
        ),
        (
            "ethereum",
            "USDC",
            "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
            6,
        ),
        (
            "ethereum",
            "OKB",
            "0x75231F58b43240C9718Dd58B4967c5114342a86c",
            18,
        ),
        (
            "ethereum",
            "SHIB",
            "0x95aD61b0a150d79219dCF64E1E6Cc01f0B64C4cE",
            18,
        ),
        (
            "ethereum",
            "PEPE",
            "0x6982508145454Ce325dDbE47a25d4ec3d2311933",
            18,
        ),
        (
            "ethereum",
            "LINK",
            "0x514910771AF9Ca656af840dff83E8264EcF986CA",
            18,
        ),
        (
            "arbitrum",
            "ARB",
            "0x912CE59144191C1204E64559FE8253a0e49E6548",
            18,
        ),
        (
            "optimism",
            "OP",
            "0x4200000000000000000000000000000000000042",
            18,
        ),
        ("tron", "USDT", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", 6),
        ("tron", "USDC", "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8", 6),
    ]
    .into_iter()
    .map(|(chain, a, contract, decimals)| TokenSpec {
        chain: chain.into(),
        asset: asset(a),
        contract: contract.into(),
        decimals,
    })
    .collect()
}

/// An address parsed for its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainAddress {
    /// A Bitcoin address (checked against the chain's network).
    Bitcoin(bitcoin::Address),
    /// A 20-byte EVM account.
    Evm([u8; 20]),
    /// A 20-byte TRON account (without the `0x41` prefix).
    Tron([u8; 20]),
}

impl ChainAddress {
    /// Parses `s` as an address of `chain`.
    pub fn parse(chain: &ChainSpec, s: &str) -> Result<Self, ReservesError> {
        match chain.kind {
            ChainKind::Evm => evm::parse_address(&chain.name, s).map(Self::Evm),
            ChainKind::Tron => tron::parse_address(&chain.name, s).map(Self::Tron),
            k => btc::parse_address(
                &chain.name,
                s,
                k.bitcoin_network().expect("bitcoin kinds have a network"),
            )
            .map(Self::Bitcoin),
        }
    }

    /// The canonical spelling (see the module documentation).
    pub fn canonical(&self) -> String {
        match self {
            Self::Bitcoin(a) => a.to_string(),
            Self::Evm(a) => evm::eip55(a),
            Self::Tron(a) => tron::address_string(a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_contracts_are_valid_addresses() {
        let chains = default_chains();
        for t in default_tokens() {
            let chain = chains.iter().find(|c| c.name == t.chain).unwrap();
            let parsed = ChainAddress::parse(chain, &t.contract).unwrap();
            // EIP-55 spellings are exact: a typo in a constant would fail the checksum.
            assert_eq!(parsed.canonical(), t.contract);
        }
    }
}
