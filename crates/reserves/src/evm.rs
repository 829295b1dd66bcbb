//! EVM chains: EIP-55 addresses and EIP-191 `personal_sign` signatures.
//!
//! Also the home of the recoverable-ECDSA helpers TRON shares ([`crate::tron`]): a 65-byte
//! `r ‖ s ‖ v` signature, `v` ∈ {27, 28} (or {0, 1}), low-S required, public key recovered with
//! libsecp256k1 and hashed with Keccak-256.

use bitcoin::secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use bitcoin::secp256k1::{Message, PublicKey};
use sha3::{Digest, Keccak256};

use crate::{ReservesError, secp};

/// Keccak-256.
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

/// The EIP-191 (version `0x45`, `personal_sign`) hash of a message:
/// `keccak256("\x19Ethereum Signed Message:\n" ‖ len(message) ‖ message)`.
pub fn eip191_hash(message: &[u8]) -> [u8; 32] {
    prefixed_hash(b"\x19Ethereum Signed Message:\n", message)
}

pub(crate) fn prefixed_hash(prefix: &[u8], message: &[u8]) -> [u8; 32] {
    let mut h = Keccak256::new();
    h.update(prefix);
    h.update(message.len().to_string().as_bytes());
    h.update(message);
    h.finalize().into()
}

/// The 20-byte account of a public key: the last 20 bytes of `keccak256(X ‖ Y)`.
pub fn account_of(pk: &PublicKey) -> [u8; 20] {
    let full = pk.serialize_uncompressed();
    let h = keccak256(&full[1..]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&h[12..]);
    out
}

/// The EIP-55 mixed-case spelling of an address, with `0x`.
pub fn eip55(addr: &[u8; 20]) -> String {
    let lower = hex::encode(addr);
    let hash = keccak256(lower.as_bytes());
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
        if c.is_ascii_alphabetic() && nibble >= 8 {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses an EVM address: `0x` and 40 hex digits. All-lower or all-upper case carries no
/// checksum and is accepted; mixed case must be the exact EIP-55 spelling.
pub fn parse_address(chain: &str, s: &str) -> Result<[u8; 20], ReservesError> {
    let bad = |reason: &str| ReservesError::BadAddress {
        chain: chain.to_owned(),
        address: s.to_owned(),
        reason: reason.to_owned(),
    };
    let body = s
        .strip_prefix("0x")
        .ok_or_else(|| bad("must start with 0x"))?;
    if body.len() != 40 {
        return Err(bad("must have 40 hex digits"));
    }
    let mut addr = [0u8; 20];
    hex::decode_to_slice(body, &mut addr).map_err(|_| bad("not hex"))?;
    let has_lower = body.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = body.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper {
        let expected = eip55(&addr);
        if expected != s {
            return Err(ReservesError::BadChecksum {
                got: s.to_owned(),
                expected,
            });
        }
    }
    Ok(addr)
}

/// Decodes a 65-byte `r ‖ s ‖ v` hex signature (with or without `0x`) into a recoverable
/// signature, rejecting other lengths, `v` outside {0, 1, 27, 28} and high `s`.
pub(crate) fn decode_rsv(sig: &str) -> Result<RecoverableSignature, ReservesError> {
    let body = sig.strip_prefix("0x").unwrap_or(sig);
    let bytes = hex::decode(body).map_err(|e| ReservesError::BadHex {
        reason: e.to_string(),
    })?;
    if bytes.len() != 65 {
        return Err(ReservesError::SignatureLength {
            expected: 65,
            got: bytes.len(),
        });
    }
    let v = bytes[64];
    let recid = match v {
        0 | 1 => v,
        27 | 28 => v - 27,
        _ => {
            return Err(ReservesError::BadRecoveryId {
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
) -> Result<RecoverableSignature, ReservesError> {
    let id = RecoveryId::from_i32(i32::from(recid)).map_err(ReservesError::bad_sig)?;
    let sig = RecoverableSignature::from_compact(rs, id).map_err(ReservesError::bad_sig)?;
    let standard = sig.to_standard();
    let mut normalized = standard;
    normalized.normalize_s();
    if normalized != standard {
        return Err(ReservesError::HighS);
    }
    Ok(sig)
}

/// Recovers the signer's key of a 32-byte digest.
pub(crate) fn recover(
    sig: &RecoverableSignature,
    digest: [u8; 32],
) -> Result<PublicKey, ReservesError> {
    secp()
        .recover_ecdsa(&Message::from_digest(digest), sig)
        .map_err(|e| ReservesError::bad_sig(format!("public key recovery failed: {e}")))
}

/// Verifies an EIP-191 `personal_sign` signature of `message` by `addr`.
pub(crate) fn verify_personal_sign(
    addr: &[u8; 20],
    message: &str,
    signature: &str,
) -> Result<(), ReservesError> {
    let sig = decode_rsv(signature)?;
    let pk = recover(&sig, eip191_hash(message.as_bytes()))?;
    let got = account_of(&pk);
    if &got != addr {
        return Err(ReservesError::WrongKey {
            expected: eip55(addr),
            got: eip55(&got),
        });
    }
    Ok(())
}

/// ABI call data of ERC-20 `balanceOf(owner)`.
pub fn balance_of_calldata(owner: &[u8; 20]) -> String {
    format!("0x70a08231{:0>64}", hex::encode(owner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eip55_published_vectors() {
        // From the EIP-55 text.
        for a in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            let parsed = parse_address("ethereum", a).unwrap();
            assert_eq!(eip55(&parsed), a);
            let lower = a.to_ascii_lowercase();
            assert_eq!(parse_address("ethereum", &lower).unwrap(), parsed);
        }
        for a in [
            "0x52908400098527886E0F7030069857D2E4169EE7",
            "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
            "0xde709f2102306220921060314715629080e2fb77",
            "0x27b1fdb04752bbc536007a920d24acb045561c26",
        ] {
            assert!(parse_address("ethereum", a).is_ok(), "{a}");
        }
    }

    #[test]
    fn bad_checksum_is_rejected() {
        // One letter's case flipped.
        let e =
            parse_address("ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").unwrap_err();
        assert_eq!(e.code(), "bad_checksum");
        for (bad, why) in [
            ("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "bad_address"),
            ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA", "bad_address"),
            ("0xzzAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "bad_address"),
        ] {
            assert_eq!(
                parse_address("ethereum", bad).unwrap_err().code(),
                why,
                "{bad}"
            );
        }
    }

    #[test]
    fn calldata() {
        let owner = parse_address("e", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").unwrap();
        assert_eq!(
            balance_of_calldata(&owner),
            "0x70a082310000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
        );
    }
}
