//! Chain families (one address format each) and networks.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::ChainError;
use crate::error::echo;

/// A family of chains that share one address format.
///
/// A family is not a named network: `ethereum`, `arbitrum`, `bsc` and `polygon` are all
/// [`Chain::Evm`], because an address means the same key on each of them. Registries that need
/// the network (its native coin, its node, its snapshot height) keep their own names and map
/// them onto a family ([`Chain::from_name`] knows the common ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Chain {
    /// `0x` + 40 hex digits; EIP-55 mixed-case checksum verified when present.
    Evm,
    /// Bitcoin: base58check P2PKH / P2SH, bech32 v0 and bech32m v1+ segwit.
    Bitcoin,
    /// TRON: base58check of `0x41` + 20 bytes (`T…`), or the 42-digit hex form `41…`.
    Tron,
    /// Solana: base58 of a 32-byte public key.
    Solana,
}

impl Chain {
    /// Every supported family.
    pub const ALL: [Chain; 4] = [Chain::Evm, Chain::Bitcoin, Chain::Tron, Chain::Solana];

    /// The lowercase name used in files, events and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Chain::Evm => "evm",
            Chain::Bitcoin => "bitcoin",
            Chain::Tron => "tron",
            Chain::Solana => "solana",
        }
    }

    /// The name people write in prose (`EVM`, `Bitcoin`, `TRON`, `Solana`).
    pub fn display_name(self) -> &'static str {
        match self {
            Chain::Evm => "EVM",
            Chain::Bitcoin => "Bitcoin",
            Chain::Tron => "TRON",
            Chain::Solana => "Solana",
        }
    }

    /// Reads a family or network name as lists write it (`evm`, `eth`, `ethereum`, `bsc`,
    /// `btc`, `xbt`, `tron`, `trx`, `sol`, ...), case-insensitively.
    pub fn from_name(name: &str) -> Result<Chain, ChainError> {
        let lower = name.trim().to_ascii_lowercase();
        Ok(match lower.as_str() {
            "evm" | "eth" | "ethereum" | "etc" | "bsc" | "bnb" | "arb" | "arbitrum" | "polygon"
            | "matic" | "base" | "op" | "optimism" | "avax" | "avalanche" | "ftm" | "fantom"
            | "linea" | "zksync" | "blast" | "scroll" | "celo" => Chain::Evm,
            "bitcoin" | "btc" | "xbt" => Chain::Bitcoin,
            "tron" | "trx" => Chain::Tron,
            "solana" | "sol" => Chain::Solana,
            _ => return Err(ChainError::UnsupportedChain { name: echo(name) }),
        })
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which network an address is for, where the format says so.
///
/// Only some formats encode a network: Bitcoin's base58 version bytes and bech32 prefixes do,
/// EVM, TRON and Solana addresses do not (the same account exists on every network).
/// [`Network::Testnet`] covers every public Bitcoin test network (testnet3, testnet4, signet):
/// they share one address format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// The production network.
    Mainnet,
    /// The public test networks.
    Testnet,
    /// A local regression-test network.
    Regtest,
}

impl Network {
    /// Every network.
    pub const ALL: [Network; 3] = [Network::Mainnet, Network::Testnet, Network::Regtest];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Mainnet => "mainnet",
            Network::Testnet => "testnet",
            Network::Regtest => "regtest",
        }
    }

    /// Bitcoin's address parameters on this network.
    pub fn bitcoin(self) -> BitcoinParams {
        match self {
            Network::Mainnet => BitcoinParams {
                hrp: "bc",
                p2pkh: 0x00,
                p2sh: 0x05,
            },
            Network::Testnet => BitcoinParams {
                hrp: "tb",
                p2pkh: 0x6f,
                p2sh: 0xc4,
            },
            Network::Regtest => BitcoinParams {
                hrp: "bcrt",
                p2pkh: 0x6f,
                p2sh: 0xc4,
            },
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The address parameters of a Bitcoin network: bech32 prefix and base58 version bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitcoinParams {
    /// Human-readable part of segwit addresses (`bc`, `tb`, `bcrt`).
    pub hrp: &'static str,
    /// Version byte of pay-to-public-key-hash addresses.
    pub p2pkh: u8,
    /// Version byte of pay-to-script-hash addresses.
    pub p2sh: u8,
}
