//! aelf (ELF). aelf-sdk's `wallet.sign(hex, keyPair)` — what NightElf's and Portkey's
//! `getSignature` run over the hex they are handed — is secp256k1 ECDSA over `SHA-256` of the
//! bytes, written as 65 bytes `r ‖ s ‖ recovery id` in hex. The signed bytes are the message's
//! UTF-8 bytes. The key is recovered and the address derived from it (`SHA-256(SHA-256(
//! uncompressed key))`, base58check): an aelf account's address is its key's, so nothing on
//! chain can hand it to another key.

use custodia_chain::aelf;
use sha2::{Digest as _, Sha256};

use crate::evm::{compact_recoverable, recover};
use crate::sign::SigningKey;
use crate::{Scheme, WalletRejection};

pub(crate) fn verify(
    address: &[u8; 32],
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    crate::keydata::KeyData::parse(script, &[])?;
    let raw = crate::ed25519::hex(crate::ed25519::one(signatures, "aelf address")?)?;
    if raw.len() != 65 {
        return Err(WalletRejection::SignatureLength {
            expected: 65,
            got: raw.len(),
        });
    }
    if raw[64] > 3 {
        return Err(WalletRejection::BadRecoveryId {
            value: raw[64],
            accepted: "aelf recovery ids are 0..=3",
        });
    }
    let sig = compact_recoverable(&raw[..64], raw[64])?;
    let pk = recover(&sig, Sha256::digest(message.as_bytes()).into())?;
    let got = aelf::key_hash(&pk.serialize_uncompressed());
    if &got != address {
        return Err(WalletRejection::WrongKey {
            expected: aelf::encode(address),
            got: aelf::encode(&got),
        });
    }
    Ok(Scheme::AelfSign)
}

/// The aelf address of `key`.
pub fn aelf_address(key: &SigningKey) -> String {
    aelf::encode(&aelf::key_hash(&key.public_key().serialize_uncompressed()))
}

/// An aelf-sdk `wallet.sign` signature of the message's bytes (hex of `r ‖ s ‖ recovery id`).
pub fn sign_aelf(key: &SigningKey, message: &str) -> String {
    let (recid, rs) = key.sign_recoverable(Sha256::digest(message.as_bytes()).into());
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&rs);
    out[64] = recid;
    hex::encode(out)
}
