//! Keccak-256, the hash of EVM and TRON accounts and of their signed messages.
//!
//! This is the original Keccak padding Ethereum adopted, not NIST SHA3-256 (they differ in one
//! padding byte). The one implementation in Custodia: RustCrypto's `sha3::Keccak256`.

use sha3::{Digest as _, Keccak256};

/// Keccak-256 of `data`.
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

/// Keccak-256 of the concatenation of `parts`, without copying them together.
pub fn keccak256_concat(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Keccak256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}
