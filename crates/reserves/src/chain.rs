//! Chains the verifier can check ownership on, their native coins and token contracts.
//!
//! A chain name (`bitcoin`, `ethereum`, `tron`, …) is the same string the asset registry lists
//! under `chains`: a named network. Each supported chain has a [`ChainKind`] that picks the
//! signature scheme and, through [`ChainKind::chain`] and [`ChainKind::network`], the address
//! format of `custodia-chain`, which does all address parsing and checksums. Canonical address
//! spellings, used in the ownership message and to detect duplicates: Bitcoin as
//! `custodia-chain` (and rust-bitcoin) print it (bech32 lower case, base58 as is), EVM in
//! EIP-55 mixed case, TRON in base58check, Bitcoin Cash in CashAddr with its `bitcoincash:`
//! prefix, TON in the raw `0:<hex>` form, Aptos and Sui as `0x` + 64 lower-case hex digits,
//! aelf as the bare base58check address (not `ELF_…_AELF`), every other chain in its one native spelling.

use custodia_chain::cardano::CardanoAddress;
use custodia_chain::coins::{self, Coin, CoinKind};
use custodia_chain::filecoin::{self, FilAddress};
use custodia_chain::ton::{self, TonAddress};
use custodia_chain::{
    Address, AddressReason, Chain, ChainError, Network, aelf, cardano, eos, evm, hex32, solana,
    ss58, stellar, tron, xrpl,
};
use custodia_primitives::AssetId;
use serde::{Deserialize, Serialize};

use crate::{WalletRejection, btc};

/// The signature-scheme family of a chain; its address format is a `custodia-chain` family and
/// network ([`ChainKind::chain`], [`ChainKind::network`]).
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
    /// Dogecoin: `D…` addresses, "Dogecoin Signed Message" compact signatures.
    Dogecoin,
    /// Litecoin: `L…`/`M…`/`ltc1…`, "Litecoin Signed Message".
    Litecoin,
    /// Dash: `X…`, "DarkCoin Signed Message".
    Dash,
    /// Bitcoin Cash: CashAddr, Bitcoin's signed-message magic.
    BitcoinCash,
    /// XRP Ledger: `r…` accounts, ripple-keypairs signatures (secp256k1 or ed25519).
    Xrpl,
    /// Solana: ed25519 accounts, off-chain messages (or raw `signMessage`).
    Solana,
    /// TON: wallet contracts, TON Connect `ton_proof`.
    Ton,
    /// Cardano: Shelley key addresses, CIP-8/CIP-30 COSE_Sign1.
    Cardano,
    /// Polkadot: SS58 accounts, sr25519 (or ed25519) over `<Bytes>…</Bytes>`.
    Polkadot,
    /// Filecoin: `f1` (secp256k1 over BLAKE2b-256, FRC-0102) and `f410f` (EIP-191).
    Filecoin,
    /// Aptos: AIP-62 `signMessage`, ed25519.
    Aptos,
    /// Sui: personal messages (intent 3), ed25519 or secp256k1.
    Sui,
    /// Stellar: `G…` accounts, SEP-53 signed messages.
    Stellar,
    /// EOS: account names, `SIG_K1_` signatures over SHA-256 by a key named in the key data
    /// (the account's permissions bind keys to names on chain).
    Eos,
    /// aelf (ELF): base58check of the key's double SHA-256, secp256k1 over SHA-256.
    Aelf,
}

impl ChainKind {
    /// The rust-bitcoin network of a Bitcoin kind.
    pub fn bitcoin_network(self) -> Option<bitcoin::Network> {
        Some(match self {
            Self::Bitcoin => bitcoin::Network::Bitcoin,
            Self::BitcoinTestnet => bitcoin::Network::Testnet,
            Self::BitcoinSignet => bitcoin::Network::Signet,
            Self::BitcoinRegtest => bitcoin::Network::Regtest,
            _ => return None,
        })
    }

    /// The `custodia-chain` family, for the kinds that have one (the other chains' formats are
    /// `custodia-chain`'s per-format modules).
    pub fn chain(self) -> Option<Chain> {
        Some(match self {
            Self::Bitcoin | Self::BitcoinTestnet | Self::BitcoinSignet | Self::BitcoinRegtest => {
                Chain::Bitcoin
            }
            Self::Evm => Chain::Evm,
            Self::Tron => Chain::Tron,
            Self::Solana => Chain::Solana,
            _ => return None,
        })
    }

    /// The network whose address format applies (signet shares the test networks' format).
    pub fn network(self) -> Network {
        match self {
            Self::BitcoinTestnet | Self::BitcoinSignet => Network::Testnet,
            Self::BitcoinRegtest => Network::Regtest,
            _ => Network::Mainnet,
        }
    }

    /// The Bitcoin-family coin of a Dogecoin, Litecoin, Dash or Bitcoin Cash kind.
    pub fn coin(self) -> Option<Coin> {
        Some(match self {
            Self::Dogecoin => Coin::Dogecoin,
            Self::Litecoin => Coin::Litecoin,
            Self::Dash => Coin::Dash,
            Self::BitcoinCash => Coin::BitcoinCash,
            _ => return None,
        })
    }

    /// Whether a key may stop controlling its address on this chain (key rotation, signer
    /// lists, account permissions), so that a signature alone does not prove control at the
    /// snapshot: the key's authority has to be read from the chain.
    pub fn keys_can_change(self) -> bool {
        matches!(
            self,
            Self::Xrpl | Self::Aptos | Self::Stellar | Self::Tron | Self::Ton | Self::Eos
        )
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
        ("dogecoin", ChainKind::Dogecoin, "DOGE", 8),
        ("litecoin", ChainKind::Litecoin, "LTC", 8),
        ("dash", ChainKind::Dash, "DASH", 8),
        ("bitcoincash", ChainKind::BitcoinCash, "BCH", 8),
        ("xrpl", ChainKind::Xrpl, "XRP", 6),
        ("solana", ChainKind::Solana, "SOL", 9),
        ("ton", ChainKind::Ton, "TON", 9),
        ("cardano", ChainKind::Cardano, "ADA", 6),
        ("polkadot", ChainKind::Polkadot, "DOT", 10),
        ("filecoin", ChainKind::Filecoin, "FIL", 18),
        ("aptos", ChainKind::Aptos, "APT", 8),
        ("sui", ChainKind::Sui, "SUI", 9),
        ("stellar", ChainKind::Stellar, "XLM", 7),
        ("eos", ChainKind::Eos, "EOS", 4),
        ("aelf", ChainKind::Aelf, "ELF", 8),
        ("okc", ChainKind::Evm, "OKT", 18),
        ("polygon", ChainKind::Evm, "POL", 18),
        ("avalanche", ChainKind::Evm, "AVAX", 18),
        ("base", ChainKind::Evm, "ETH", 18),
        ("linea", ChainKind::Evm, "ETH", 18),
        ("xlayer", ChainKind::Evm, "OKB", 18),
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
    /// A Dogecoin, Litecoin, Dash or Bitcoin Cash address.
    Coin {
        /// The coin.
        coin: Coin,
        /// Output type.
        kind: CoinKind,
        /// The 20-byte key or script hash.
        hash: [u8; 20],
    },
    /// An XRP Ledger account ID.
    Xrpl([u8; 20]),
    /// A Solana account (an ed25519 key).
    Solana([u8; 32]),
    /// A TON account (the hash of its wallet contract's initial state).
    Ton(TonAddress),
    /// A Cardano address with a key-hash payment credential.
    Cardano(CardanoAddress),
    /// A Polkadot account (an sr25519 or ed25519 key).
    Polkadot([u8; 32]),
    /// A Filecoin `f1` or `f410f` address.
    Filecoin(FilAddress),
    /// An Aptos account address.
    Aptos([u8; 32]),
    /// A Sui address (BLAKE2b-256 of flag ‖ key).
    Sui([u8; 32]),
    /// A Stellar account (an ed25519 key).
    Stellar([u8; 32]),
    /// An EOS account name (its 64-bit value).
    Eos(u64),
    /// An aelf address (the double SHA-256 of its key).
    Aelf([u8; 32]),
}

impl ChainAddress {
    /// Parses `s` as an address of `chain`.
    ///
    /// `custodia-chain` checks the format and checksums. The wallet file is held to the
    /// canonical prefixes on top: `0x` (not `0X`) for EVM, base58check (not hex) for TRON, and
    /// only standard Bitcoin output types (those with an ownership scheme).
    pub fn parse(chain: &ChainSpec, s: &str) -> Result<Self, WalletRejection> {
        let bad = |reason: String| WalletRejection::BadAddress {
            chain: chain.name.clone(),
            address: s.to_owned(),
            reason,
        };
        let rejected = |reason: AddressReason| match reason {
            AddressReason::Eip55Checksum { expected } => WalletRejection::BadChecksum {
                got: s.to_owned(),
                expected,
            },
            reason => bad(reason.to_string()),
        };
        match chain.kind {
            ChainKind::Evm => {
                if !s.starts_with("0x") {
                    return Err(bad("must start with 0x".into()));
                }
                evm::parse(s).map(Self::Evm).map_err(rejected)
            }
            ChainKind::Tron => tron::parse_base58check(s).map(Self::Tron).map_err(rejected),
            ChainKind::Dogecoin
            | ChainKind::Litecoin
            | ChainKind::Dash
            | ChainKind::BitcoinCash => {
                let coin = chain.kind.coin().expect("coin kinds");
                let (kind, hash) = coins::parse(coin, s).map_err(rejected)?;
                Ok(Self::Coin { coin, kind, hash })
            }
            ChainKind::Xrpl => xrpl::parse(s).map(Self::Xrpl).map_err(rejected),
            ChainKind::Solana => solana::parse(s).map(Self::Solana).map_err(rejected),
            ChainKind::Ton => ton::parse(s).map(Self::Ton).map_err(rejected),
            ChainKind::Cardano => cardano::parse(s).map(Self::Cardano).map_err(rejected),
            ChainKind::Polkadot => ss58::parse(ss58::POLKADOT, s)
                .map(Self::Polkadot)
                .map_err(rejected),
            ChainKind::Filecoin => filecoin::parse(s).map(Self::Filecoin).map_err(rejected),
            ChainKind::Aptos => hex32::parse("Aptos", s).map(Self::Aptos).map_err(rejected),
            ChainKind::Sui => hex32::parse("Sui", s).map(Self::Sui).map_err(rejected),
            ChainKind::Stellar => stellar::parse(s).map(Self::Stellar).map_err(rejected),
            ChainKind::Eos => eos::parse(s).map(Self::Eos).map_err(rejected),
            ChainKind::Aelf => aelf::parse(s).map(Self::Aelf).map_err(rejected),
            k => {
                let a = Address::parse_on(Chain::Bitcoin, k.network(), s).map_err(|e| match e {
                    ChainError::Address { reason, .. } => rejected(reason),
                    other => bad(other.to_string()),
                })?;
                let network = k.bitcoin_network().expect("bitcoin kinds have a network");
                btc::standard_address(&a, network)
                    .map(Self::Bitcoin)
                    .map_err(bad)
            }
        }
    }

    /// The canonical spelling (see the module documentation).
    pub fn canonical(&self) -> String {
        match self {
            Self::Bitcoin(a) => a.to_string(),
            Self::Evm(a) => evm::eip55(a),
            Self::Tron(a) => tron::to_base58check(a),
            Self::Coin { coin, kind, hash } => coins::encode(*coin, *kind, hash),
            Self::Xrpl(a) => xrpl::encode(a),
            Self::Solana(k) => solana::to_base58(k),
            Self::Ton(a) => a.raw(),
            Self::Cardano(a) => cardano::encode(a),
            Self::Polkadot(k) => ss58::encode(ss58::POLKADOT, k),
            Self::Filecoin(a) => filecoin::encode(a),
            Self::Aptos(a) | Self::Sui(a) => hex32::encode(a),
            Self::Stellar(k) => stellar::encode(k),
            Self::Eos(n) => eos::encode(*n),
            Self::Aelf(a) => aelf::encode(a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> ChainSpec {
        default_chains()
            .into_iter()
            .find(|c| c.name == name)
            .unwrap()
    }

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

    #[test]
    fn evm_addresses_are_canonical_in_eip55() {
        let eth = spec("ethereum");
        for a in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        ] {
            let parsed = ChainAddress::parse(&eth, a).unwrap();
            assert_eq!(parsed.canonical(), a);
            let lower = a.to_ascii_lowercase();
            assert_eq!(ChainAddress::parse(&eth, &lower).unwrap(), parsed);
        }
    }

    #[test]
    fn bad_evm_addresses_are_rejected() {
        let eth = spec("ethereum");
        // One letter's case flipped.
        let e =
            ChainAddress::parse(&eth, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").unwrap_err();
        assert_eq!(
            e,
            WalletRejection::BadChecksum {
                got: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD".into(),
                expected: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed".into(),
            }
        );
        for bad in [
            "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA",
            "0xzzAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        ] {
            assert_eq!(
                ChainAddress::parse(&eth, bad).unwrap_err().code(),
                "bad_address",
                "{bad}"
            );
        }
    }

    #[test]
    fn tron_addresses_round_trip_in_base58check() {
        let trx = spec("tron");
        for a in [
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
            "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8",
            "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC",
        ] {
            assert_eq!(ChainAddress::parse(&trx, a).unwrap().canonical(), a);
        }
        for bad in [
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T", // checksum
            "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", // bitcoin version byte
            "0xdAC17F958D2ee523a2206206994597C13D831ec7",
            "41a614f803b6fd780986a42c78ec9c7f77e6ded13c", // hex form: not in wallet files
            "",
        ] {
            assert_eq!(
                ChainAddress::parse(&trx, bad).unwrap_err().code(),
                "bad_address",
                "{bad}"
            );
        }
    }

    #[test]
    fn bitcoin_kinds_follow_their_network() {
        let spec_of = |kind| ChainSpec {
            name: "b".into(),
            kind,
            native_asset: AssetId::new("BTC").unwrap(),
            native_decimals: 8,
        };
        let main = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
        let test = "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx";
        assert!(ChainAddress::parse(&spec_of(ChainKind::Bitcoin), main).is_ok());
        assert!(ChainAddress::parse(&spec_of(ChainKind::Bitcoin), test).is_err());
        for k in [ChainKind::BitcoinTestnet, ChainKind::BitcoinSignet] {
            let a = ChainAddress::parse(&spec_of(k), test).unwrap();
            assert_eq!(a.canonical(), test);
            assert!(ChainAddress::parse(&spec_of(k), main).is_err());
        }
        assert!(ChainAddress::parse(&spec_of(ChainKind::BitcoinRegtest), test).is_err());
        // A future witness version parses as an address but has no ownership scheme.
        let v2 = "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs";
        assert_eq!(
            ChainAddress::parse(&spec_of(ChainKind::Bitcoin), v2).unwrap_err(),
            WalletRejection::BadAddress {
                chain: "b".into(),
                address: v2.into(),
                reason: "not a standard address type".into(),
            }
        );
    }
}
