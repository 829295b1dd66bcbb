//! aelf addresses: base58check (double-SHA-256 checksum, no version byte) of a 32-byte hash —
//! for a key account, `SHA-256(SHA-256(uncompressed secp256k1 public key))`. Explorers and
//! wallets also show the chain-qualified form `ELF_<address>_AELF` (main chain); that form is
//! read too, and the bare address is the canonical spelling. Side chains (`_tDVV`, …) are other
//! chains and are refused.

use crate::{AddressReason, base58};

const FORMAT: &str = "aelf";

/// Parses an aelf address (bare or `ELF_…_AELF`) into its 32-byte hash.
pub fn parse(s: &str) -> Result<[u8; 32], AddressReason> {
    if s.is_empty() {
        return Err(AddressReason::Empty);
    }
    if s.len() > 60 {
        return Err(AddressReason::TooLong { chars: s.len() });
    }
    let bare = match s.strip_prefix("ELF_") {
        Some(rest) => rest
            .strip_suffix("_AELF")
            .ok_or(AddressReason::FormatPrefix {
                format: FORMAT,
                expected: "ELF_…_AELF (the main chain) or a bare address",
                got: rest.rsplit('_').next().unwrap_or_default().to_owned(),
            })?,
        None => s,
    };
    let v = base58::decode_check(bare, FORMAT)?;
    v.as_slice()
        .try_into()
        .map_err(|_| AddressReason::FormatLength {
            format: FORMAT,
            expected: 32,
            got: v.len(),
        })
}

/// The bare base58check address of a hash.
pub fn encode(hash: &[u8; 32]) -> String {
    base58::encode_check(hash)
}

/// The address hash of an uncompressed (65-byte, `04`-prefixed) public key.
pub fn key_hash(uncompressed: &[u8; 65]) -> [u8; 32] {
    base58::sha256d(uncompressed)
}
