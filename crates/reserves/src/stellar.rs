//! Stellar SEP-53: ed25519 over `SHA-256("Stellar Signed Message:\n" ‖ message)`, base64. The
//! account ID is the key; but an account can add signers and lower the master key's weight, so
//! the key's authority at the snapshot is a ledger question ([`crate::KeyAuthority`]).

use custodia_chain::stellar;
use sha2::{Digest as _, Sha256};

use crate::sign::Ed25519Key;
use crate::{Scheme, WalletRejection};

/// The SEP-53 digest.
pub fn sep53_hash(message: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"Stellar Signed Message:\n")
        .chain_update(message)
        .finalize()
        .into()
}

pub(crate) fn verify(
    key: &[u8; 32],
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    crate::keydata::KeyData::parse(script, &[])?;
    let sig = crate::ed25519::base64(crate::ed25519::one(signatures, "Stellar account")?)?;
    crate::ed25519::verify(key, &sep53_hash(message.as_bytes()), &sig)?;
    Ok(Scheme::Sep53)
}

/// The `G…` account of `key`.
pub fn stellar_address(key: &Ed25519Key) -> String {
    stellar::encode(&key.public())
}

/// A SEP-53 signature (base64).
pub fn sign_sep53(key: &Ed25519Key, message: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(key.sign(&sep53_hash(message.as_bytes())))
}
