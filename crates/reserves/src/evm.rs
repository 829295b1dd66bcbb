//! EVM chains: EIP-191 `personal_sign` signatures (addresses, EIP-55 and Keccak-256 are
//! `custodia-chain`'s).
//!
//! Also the home of the recoverable-ECDSA helpers TRON shares ([`crate::tron`]): a 65-byte
//! `r ‖ s ‖ v` signature, `v` ∈ {27, 28} (or {0, 1}), low-S required, public key recovered with
//! libsecp256k1 and hashed with Keccak-256.

use bitcoin::secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use bitcoin::secp256k1::{Message, PublicKey};
use custodia_chain::evm::{account_of_key, eip55};
use custodia_chain::keccak256_concat;

use crate::{WalletRejection, secp};

/// The EIP-191 (version `0x45`, `personal_sign`) hash of a message:
/// `keccak256("\x19Ethereum Signed Message:\n" ‖ len(message) ‖ message)`.
pub fn eip191_hash(message: &[u8]) -> [u8; 32] {
    prefixed_hash(b"\x19Ethereum Signed Message:\n", message)
}

pub(crate) fn prefixed_hash(prefix: &[u8], message: &[u8]) -> [u8; 32] {
    keccak256_concat(&[prefix, message.len().to_string().as_bytes(), message])
}

/// The 20-byte account of a public key: the last 20 bytes of `keccak256(X ‖ Y)`.
pub fn account_of(pk: &PublicKey) -> [u8; 20] {
    let full = pk.serialize_uncompressed();
    account_of_key(full[1..].try_into().expect("64 bytes after the 0x04 tag"))
}

/// Decodes a 65-byte `r ‖ s ‖ v` hex signature (with or without `0x`) into a recoverable
/// signature, rejecting other lengths, `v` outside {0, 1, 27, 28} and high `s`.
pub(crate) fn decode_rsv(sig: &str) -> Result<RecoverableSignature, WalletRejection> {
    let body = sig.strip_prefix("0x").unwrap_or(sig);
    let bytes = hex::decode(body).map_err(|e| WalletRejection::BadHex {
        reason: e.to_string(),
    })?;
    if bytes.len() != 65 {
        return Err(WalletRejection::SignatureLength {
            expected: 65,
            got: bytes.len(),
        });
    }
    let v = bytes[64];
    let recid = match v {
        0 | 1 => v,
        27 | 28 => v - 27,
        _ => {
            return Err(WalletRejection::BadRecoveryId {
                value: v,
                accepted: "v must be 27, 28, 0 or 1",
            });
        }
    };
    compact_recoverable(&bytes[..64], recid)
}

/// A recoverable signature from 64 bytes `r ‖ s` and a recovery id 0..=3, low-S enforced.
pub(crate) fn compact_recoverable(
    rs: &[u8],
    recid: u8,
) -> Result<RecoverableSignature, WalletRejection> {
    let id = RecoveryId::from_i32(i32::from(recid)).map_err(WalletRejection::bad_sig)?;
    let sig = RecoverableSignature::from_compact(rs, id).map_err(WalletRejection::bad_sig)?;
    let standard = sig.to_standard();
    let mut normalized = standard;
    normalized.normalize_s();
    if normalized != standard {
        return Err(WalletRejection::HighS);
    }
    Ok(sig)
}

/// Recovers the signer's key of a 32-byte digest.
pub(crate) fn recover(
    sig: &RecoverableSignature,
    digest: [u8; 32],
) -> Result<PublicKey, WalletRejection> {
    secp()
        .recover_ecdsa(&Message::from_digest(digest), sig)
        .map_err(|e| WalletRejection::bad_sig(format!("public key recovery failed: {e}")))
}

/// Verifies an EIP-191 `personal_sign` signature of `message` by `addr`.
pub(crate) fn verify_personal_sign(
    addr: &[u8; 20],
    message: &str,
    signature: &str,
) -> Result<(), WalletRejection> {
    let sig = decode_rsv(signature)?;
    let pk = recover(&sig, eip191_hash(message.as_bytes()))?;
    let got = account_of(&pk);
    if &got != addr {
        return Err(WalletRejection::WrongKey {
            expected: eip55(addr),
            got: eip55(&got),
        });
    }
    Ok(())
}
