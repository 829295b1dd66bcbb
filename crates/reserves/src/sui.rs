//! Sui personal messages: the wallet signs `BLAKE2b-256(intent ‖ BCS(message))` with the
//! intent `[3, 0, 0]` (personal message, V0, Sui) and BCS of a byte vector being its ULEB128
//! length then the bytes. The serialized signature (base64) is `flag ‖ signature ‖ public key`:
//! flag 0 ed25519 (signs the digest), flag 1 secp256k1 (ECDSA over SHA-256 of the digest,
//! `r ‖ s`, low S). The address is `BLAKE2b-256(flag ‖ public key)`.

use bitcoin::secp256k1::ecdsa::Signature;
use bitcoin::secp256k1::{Message, PublicKey};
use custodia_chain::checksum::blake2b;
use custodia_chain::hex32;
use sha2::{Digest as _, Sha256};

use crate::sign::Ed25519Key;
use crate::{Scheme, WalletRejection, secp};

/// The digest a personal message signs.
pub fn personal_message_digest(message: &[u8]) -> [u8; 32] {
    let mut v = vec![3u8, 0, 0];
    let mut n = message.len();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            v.push(b);
            break;
        }
        v.push(b | 0x80);
    }
    v.extend_from_slice(message);
    blake2b::<32>(&[&v])
}

pub(crate) fn verify(
    address: &[u8; 32],
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    crate::keydata::KeyData::parse(script, &[])?;
    let raw = crate::ed25519::base64(crate::ed25519::one(signatures, "Sui address")?)?;
    let digest = personal_message_digest(message.as_bytes());
    let (flag, rest) = raw.split_first().ok_or(WalletRejection::SignatureLength {
        expected: 97,
        got: 0,
    })?;
    let key_len = match flag {
        0 => 32,
        1 => 33,
        other => {
            return Err(WalletRejection::envelope(
                "Sui signature",
                format!(
                    "flag {other} (only 0 ed25519 and 1 secp256k1 are accepted; multisig, zkLogin and passkeys are not)"
                ),
            ));
        }
    };
    if rest.len() != 64 + key_len {
        return Err(WalletRejection::SignatureLength {
            expected: 1 + 64 + key_len,
            got: raw.len(),
        });
    }
    let (sig, pk) = rest.split_at(64);
    let derived = blake2b::<32>(&[&[*flag], pk]);
    if &derived != address {
        return Err(WalletRejection::WrongKey {
            expected: hex32::encode(address),
            got: hex32::encode(&derived),
        });
    }
    if *flag == 0 {
        crate::ed25519::verify(pk.try_into().expect("32 bytes"), &digest, sig)?;
    } else {
        let key = PublicKey::from_slice(pk).map_err(|e| WalletRejection::BadPublicKey {
            reason: e.to_string(),
        })?;
        let sig = Signature::from_compact(sig).map_err(WalletRejection::bad_sig)?;
        let mut low = sig;
        low.normalize_s();
        if low != sig {
            return Err(WalletRejection::HighS);
        }
        let h: [u8; 32] = Sha256::digest(digest).into();
        secp()
            .verify_ecdsa(&Message::from_digest(h), &sig, &key)
            .map_err(|_| WalletRejection::SignatureInvalid)?;
    }
    Ok(Scheme::SuiPersonalMessage)
}

/// The ed25519 address of `key`.
pub fn sui_address(key: &Ed25519Key) -> String {
    hex32::encode(&blake2b::<32>(&[&[0], &key.public()]))
}

/// A personal-message signature with an ed25519 key (base64 of flag ‖ signature ‖ key).
pub fn sign_sui_personal_message(key: &Ed25519Key, message: &str) -> String {
    use base64::Engine as _;
    let mut v = vec![0u8];
    v.extend_from_slice(&key.sign(&personal_message_digest(message.as_bytes())));
    v.extend_from_slice(&key.public());
    base64::engine::general_purpose::STANDARD.encode(v)
}
