//! Solana: the account is an ed25519 key. Accepted, tried in this order:
//! 1. off-chain message version 1 (`@solana/kit`'s `compileOffchainMessageV1Envelope`):
//!    `"\xffsolana offchain" ‖ 1 ‖ signer count ‖ signers ‖ message`, the account the only
//!    signer;
//! 2. off-chain message version 0 of the current proposal (`@solana/kit`, Ledger):
//!    `"\xffsolana offchain" ‖ 0 ‖ application domain (32) ‖ format ‖ signer count ‖ signers ‖
//!    u16-LE length ‖ message`, the application domain from the key data
//!    (`application_domain=<base58>`, all zero by default), the account the only signer;
//! 3. the first version 0 of `solana sign-offchain-message` (Agave's `solana-offchain-message`):
//!    `"\xffsolana offchain" ‖ 0 ‖ format ‖ u16-LE length ‖ message`;
//! 4. wallets' `signMessage`, which signs the raw bytes.
//!
//! The format byte is 0 for printable ASCII, 1 for other UTF-8 up to the Ledger limit, 2 beyond.
//! Signatures are base58 (64 bytes).

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

/// The bytes an off-chain message of version 1 signs, `signer` the only signer.
pub fn offchain_message_v1(signer: &[u8; 32], message: &[u8]) -> Vec<u8> {
    [SIGNING_DOMAIN.as_slice(), &[1, 1], signer, message].concat()
}

/// The bytes an off-chain message of the current version 0 signs, `signer` the only signer.
pub fn offchain_message_v0(
    application_domain: &[u8; 32],
    signer: &[u8; 32],
    message: &[u8],
) -> Option<Vec<u8>> {
    let printable = message.iter().all(|b| (0x20..=0x7e).contains(b));
    let format = match message.len() {
        0 => return None,
        n if n <= 1232 => u8::from(!printable),
        n if n <= usize::from(u16::MAX) => 2,
        _ => return None,
    };
    Some(
        [
            SIGNING_DOMAIN.as_slice(),
            &[0],
            application_domain,
            &[format, 1],
            signer,
            &(message.len() as u16).to_le_bytes(),
            message,
        ]
        .concat(),
    )
}

pub(crate) fn verify(
    key: &[u8; 32],
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    let kd = crate::keydata::KeyData::parse(script, &["application_domain"])?;
    let domain: [u8; 32] = match kd.get("application_domain") {
        None => [0; 32],
        Some(d) => solana::parse(d)
            .map_err(|e| WalletRejection::key_data(format!("application_domain: {e}")))?,
    };
    let sig = crate::ed25519::base58(crate::ed25519::one(signatures, "Solana account")?)?;
    let m = message.as_bytes();
    let candidates = [
        Some(offchain_message_v1(key, m)),
        offchain_message_v0(&domain, key, m),
        offchain_message(m),
    ];
    for bytes in candidates.into_iter().flatten() {
        if crate::ed25519::verifies(key, &bytes, &sig)? {
            return Ok(Scheme::SolanaOffchain);
        }
    }
    crate::ed25519::verify(key, m, &sig)?;
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
