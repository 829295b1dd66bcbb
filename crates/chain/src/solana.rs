//! Solana accounts: base58 of a 32-byte public key, no checksum.

use crate::{AddressReason, base58};

/// Parses a Solana account into its 32-byte key.
pub fn parse(s: &str) -> Result<[u8; 32], AddressReason> {
    let mut buf = [0u8; 64];
    let n = base58::decode(s, &mut buf)?;
    if n != 32 {
        return Err(AddressReason::SolanaLength { got: n });
    }
    Ok(buf[..32].try_into().expect("32 bytes"))
}

/// The base58 spelling of a 32-byte key.
pub fn to_base58(key: &[u8; 32]) -> String {
    base58::encode(key)
}
