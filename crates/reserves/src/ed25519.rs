//! ed25519 signature checks shared by every chain that uses ed25519 (Solana, TON, Cardano,
//! Polkadot's ed25519 accounts, XRPL, Aptos, Sui, Stellar): strict verification
//! (`ed25519-dalek`'s `verify_strict`: canonical `s`, no small-order keys or `R`), so that a
//! signature has one encoding and cannot be malleated into another that also verifies.

use ed25519_dalek::{Signature, VerifyingKey};

use crate::WalletRejection;

/// A 64-byte signature from `bytes`.
pub(crate) fn signature(bytes: &[u8]) -> Result<Signature, WalletRejection> {
    let b: [u8; 64] = bytes
        .try_into()
        .map_err(|_| WalletRejection::SignatureLength {
            expected: 64,
            got: bytes.len(),
        })?;
    Ok(Signature::from_bytes(&b))
}

/// Checks `sig` over `message` by `key` (strict).
pub(crate) fn verify(key: &[u8; 32], message: &[u8], sig: &[u8]) -> Result<(), WalletRejection> {
    let sig = signature(sig)?;
    let vk = VerifyingKey::from_bytes(key).map_err(|e| WalletRejection::BadPublicKey {
        reason: format!("not an ed25519 point: {e}"),
    })?;
    if vk.is_weak() {
        return Err(WalletRejection::BadPublicKey {
            reason: "small-order ed25519 key".into(),
        });
    }
    vk.verify_strict(message, &sig)
        .map_err(|_| WalletRejection::SignatureInvalid)
}

/// Whether `sig` verifies (for schemes that try more than one message encoding).
pub(crate) fn verifies(
    key: &[u8; 32],
    message: &[u8],
    sig: &[u8],
) -> Result<bool, WalletRejection> {
    match verify(key, message, sig) {
        Ok(()) => Ok(true),
        Err(WalletRejection::SignatureInvalid) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Decodes base64 (standard, padded).
pub(crate) fn base64(s: &str) -> Result<Vec<u8>, WalletRejection> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| WalletRejection::BadBase64 {
            reason: e.to_string(),
        })
}

/// Decodes hex with or without `0x`.
pub(crate) fn hex(s: &str) -> Result<Vec<u8>, WalletRejection> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|e| WalletRejection::BadHex {
        reason: e.to_string(),
    })
}

/// Decodes base58 (Bitcoin alphabet).
pub(crate) fn base58(s: &str) -> Result<Vec<u8>, WalletRejection> {
    bs58::decode(s)
        .into_vec()
        .map_err(|e| WalletRejection::BadEncoding {
            encoding: "base58",
            reason: e.to_string(),
        })
}

/// The only signature of a row (one key signs these chains' messages).
pub(crate) fn one<'a>(signatures: &'a [String], what: &str) -> Result<&'a str, WalletRejection> {
    match signatures {
        [] => Err(WalletRejection::NoSignature),
        [s] => Ok(s),
        more => Err(WalletRejection::TooManySignatures {
            got: more.len(),
            max: 1,
            address_type: what.to_owned(),
        }),
    }
}
