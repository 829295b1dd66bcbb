//! Solana: the account is an ed25519 key. Accepted: the off-chain message format of
//! `solana sign-offchain-message` (Agave's `solana-offchain-message`, version 0:
//! `"\xffsolana offchain" ‖ 0 ‖ format ‖ u16-LE length ‖ message`, the format being 0 for
//! printable ASCII up to 1212 bytes, 1 for other UTF-8 up to 1212, 2 beyond), and wallets'
//! `signMessage`, which signs the raw bytes. Signatures are base58 (64 bytes).

use custodia_chain::solana;

use crate::sign::Ed25519Key;
use crate::{Scheme, WalletRejection};

/// The signing domain of off-chain messages.
pub const SIGNING_DOMAIN: &[u8; 16] = b"\xffsolana offchain";
const MAX_LEN_LEDGER: usize = 1212;
const MAX_LEN: usize = 65515;

/// The bytes a version-0 off-chain message signs, or `None` when the message is too long.
pub fn offchain_message(message: &[u8]) -> Option<Vec<u8>> {
    let printable = message.iter().all(|b| (0x20..=0x7e).contains(b));
    let format = match message.len() {
        0 => return None,
        n if n <= MAX_LEN_LEDGER => u8::from(!printable),
        n if n <= MAX_LEN => 2,
        _ => return None,
    };
    let mut v = Vec::with_capacity(20 + message.len());
    v.extend_from_slice(SIGNING_DOMAIN);
    v.push(0);
    v.push(format);
    v.extend_from_slice(&(message.len() as u16).to_le_bytes());
    v.extend_from_slice(message);
    Some(v)
}

pub(crate) fn verify(
    key: &[u8; 32],
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    crate::keydata::KeyData::parse(script, &[])?;
    let sig = crate::ed25519::base58(crate::ed25519::one(signatures, "Solana account")?)?;
    if let Some(offchain) = offchain_message(message.as_bytes())
        && crate::ed25519::verifies(key, &offchain, &sig)?
    {
        return Ok(Scheme::SolanaOffchain);
    }
    crate::ed25519::verify(key, message.as_bytes(), &sig)?;
    Ok(Scheme::SolanaRaw)
}

/// The account of `key`.
pub fn solana_address(key: &Ed25519Key) -> String {
    solana::to_base58(&key.public())
}

/// An off-chain message signature (base58).
pub fn sign_solana_offchain(key: &Ed25519Key, message: &str) -> String {
    let bytes = offchain_message(message.as_bytes()).expect("ownership messages are short");
    bs58::encode(key.sign(&bytes)).into_string()
}

/// A `signMessage` signature over the raw bytes (base58).
pub fn sign_solana_raw(key: &Ed25519Key, message: &str) -> String {
    bs58::encode(key.sign(message.as_bytes())).into_string()
}
