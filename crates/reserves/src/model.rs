//! The data of a proof of assets: the round's liabilities, and each wallet as counted or
//! rejected. Shared by the checks ([`crate::verify_wallets_with`]) and the report
//! ([`crate::ReservesReport`]), which depend on this module and not on each other.

use custodia_primitives::{Amount, AssetId, Total};
use serde::{Deserialize, Serialize};

use crate::ReservesError;
use crate::message::check_label;

/// The round's liabilities of one asset (the `totals` of `round.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetLiability {
    /// The asset.
    pub asset: AssetId,
    /// Its ledger decimals.
    pub decimals: u8,
    /// Sum of every user's equity, in smallest units.
    pub equity: Total,
    /// Sum of every user's debt, in smallest units.
    pub debt: Total,
}

impl AssetLiability {
    /// Net user liabilities `equity − debt`, or `None` when debt is at least equity (the
    /// exchange owes its users nothing net in this asset).
    pub fn net(&self) -> Option<Total> {
        self.equity
            .units()
            .checked_sub(self.debt.units())
            .filter(|n| *n > 0)
            .map(Total::from_units)
    }
}

/// The liabilities side of a round: its id and per-asset totals. Built by the caller from the
/// round manifest (`RoundManifest::totals`, field for field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Liabilities {
    /// Round id: every ownership message must name it.
    pub round: String,
    /// Per-asset totals, in the round's asset order.
    pub assets: Vec<AssetLiability>,
}

impl Liabilities {
    /// Checks the round id and that each asset appears once.
    pub fn new(
        round: impl Into<String>,
        assets: Vec<AssetLiability>,
    ) -> Result<Self, ReservesError> {
        let round = round.into();
        check_label("round id", &round)?;
        for (i, a) in assets.iter().enumerate() {
            if assets[..i].iter().any(|o| o.asset == a.asset) {
                return Err(ReservesError::Liabilities {
                    asset: a.asset.to_string(),
                    message: "listed twice".into(),
                });
            }
        }
        Ok(Self { round, assets })
    }

    /// The line of `asset`.
    pub fn get(&self, asset: &str) -> Option<(usize, &AssetLiability)> {
        self.assets
            .iter()
            .enumerate()
            .find(|(_, a)| a.asset.as_str() == asset)
    }
}

/// How ownership of a wallet was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// Bitcoin BIP-137 signed message.
    Bip137,
    /// Bitcoin BIP-322 simple signature.
    Bip322Simple,
    /// Bitcoin multisig, one BIP-137-style signature per key.
    MultisigBip137,
    /// Bitcoin multisig, BIP-322 simple witness.
    MultisigBip322Simple,
    /// EVM EIP-191 `personal_sign`.
    Eip191,
    /// TRON TIP-191 signed message.
    Tip191,
    /// Dogecoin / Litecoin / Dash / Bitcoin Cash signed message (the coin's magic, BIP-137
    /// compact signature).
    CoinSignedMessage,
    /// XRP Ledger: ripple-keypairs `sign` (secp256k1 over SHA-512Half, or ed25519).
    XrplKeypairs,
    /// Solana off-chain message (`solana sign-offchain-message`, version 0).
    SolanaOffchain,
    /// Solana wallet `signMessage` over the raw message bytes.
    SolanaRaw,
    /// TON Connect `ton_proof`.
    TonProof,
    /// Cardano CIP-8 COSE_Sign1 (CIP-30 `signData`).
    Cip8,
    /// Polkadot sr25519 over `<Bytes>message</Bytes>` (polkadot-js `signRaw`).
    Sr25519Bytes,
    /// Polkadot ed25519 account over `<Bytes>message</Bytes>`.
    Ed25519Bytes,
    /// Filecoin FRC-0102 (`\x19Filecoin Signed Message:\n`), secp256k1 over BLAKE2b-256.
    Frc0102,
    /// Filecoin raw bytes (Lotus `WalletSign`), secp256k1 over BLAKE2b-256.
    FilecoinRaw,
    /// Aptos AIP-62 `signMessage` full message.
    Aip62,
    /// Sui personal message (intent scope 3).
    SuiPersonalMessage,
    /// Stellar SEP-53 signed message.
    Sep53,
    /// EOS `signMessage` / Scatter arbitrary signature: `SIG_K1_` over SHA-256 of the message.
    EosSignMessage,
    /// aelf-sdk `wallet.sign`: secp256k1 over SHA-256 of the message, key recovered.
    AelfSign,
    /// The documented generic Custodia envelope for custody HSMs without a wallet standard.
    CustodiaEnvelope,
    /// An EVM contract wallet (Safe, …): EIP-1271 `isValidSignature` of the EIP-191 hash, asked
    /// of the contract at the snapshot block.
    Eip1271,
}

/// Whether the signing key's authority over the address at the snapshot is settled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyAuthority {
    /// The address is derived from the key (or key hash) and the chain has no way to hand the
    /// address to another key: the signature settles it.
    #[default]
    Intrinsic,
    /// The chain lets an account change its keys (XRPL regular key, signer list or disabled
    /// master key; Aptos key rotation; Stellar signers and weights; TRON and EOS account permissions; a TON
    /// wallet contract's current state): the key derives the address, but whether it still
    /// controlled it at the snapshot was not checked.
    NotChecked,
    /// The chain lets keys change, and the balance source read at the snapshot height that the
    /// key still controlled the account (e.g. the XRPL master key was not disabled).
    Checked,
}

/// A wallet whose ownership and balance were accepted, counted in the reserves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedWallet {
    /// Line (CSV) or entry number (JSON) in the wallet file.
    pub line: usize,
    /// Chain.
    pub chain: String,
    /// Canonical address.
    pub address: String,
    /// Asset.
    pub asset: AssetId,
    /// Balance in smallest ledger units.
    pub balance: Amount,
    /// Balance as an exact decimal.
    pub balance_decimal: String,
    /// Block height.
    pub height: u64,
    /// How ownership was proven.
    pub scheme: Scheme,
    /// Number of signatures checked.
    pub signatures: usize,
    /// Token contract, for token balances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Whether the key's authority at the snapshot is settled ([`KeyAuthority`]).
    #[serde(default)]
    pub key_authority: KeyAuthority,
    /// Where the balance came from (`stated`, `evm-rpc`, `bitcoind`, `xrpl-rpc`, …).
    #[serde(default = "stated")]
    pub balance_source: String,
}

fn stated() -> String {
    "stated".into()
}

/// A wallet that was not counted, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedWallet {
    /// Line (CSV) or entry number (JSON) in the wallet file.
    pub line: usize,
    /// Chain, as written.
    pub chain: String,
    /// Address, as written.
    pub address: String,
    /// Asset, as written.
    pub asset: String,
    /// Balance, as written.
    pub balance: String,
    /// [`WalletRejection::code`](crate::WalletRejection::code).
    pub code: String,
    /// The full reason.
    pub reason: String,
}

/// Every wallet of a file, checked: what [`crate::verify_wallets_with`] returns and
/// [`crate::ReservesReport::build`] turns into ratios.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedWallets {
    /// Counted wallets, in file order.
    pub verified: Vec<VerifiedWallet>,
    /// Rejected wallets with reasons, in file order.
    pub rejected: Vec<RejectedWallet>,
    /// Signatures checked on counted wallets.
    pub signatures_checked: usize,
    /// The balance source's name ([`crate::BalanceSource::name`]).
    pub balance_source: String,
}
