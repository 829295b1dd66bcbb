//! XRP Ledger classic addresses: base58check (the ledger's own alphabet, `r…`) of the type
//! byte 0x00 and the 20-byte account ID.

use crate::{AddressReason, base58};

const FORMAT: &str = "XRPL";

/// Parses an `r…` classic address into its 20-byte account ID.
pub fn parse(s: &str) -> Result<[u8; 20], AddressReason> {
    if s.is_empty() {
        return Err(AddressReason::Empty);
    }
    if s.len() > 40 {
        return Err(AddressReason::TooLong { chars: s.len() });
    }
    let text = base58::translate(s, base58::XRPL_ALPHABET, base58::BITCOIN_ALPHABET)?;
    let v = base58::decode_check(&text, FORMAT)?;
    if v.len() != 21 {
        return Err(AddressReason::FormatLength {
            format: FORMAT,
            expected: 21,
            got: v.len(),
        });
    }
    if v[0] != 0 {
        return Err(AddressReason::FormatPrefix {
            format: FORMAT,
            expected: "r (type byte 0x00)",
            got: format!("type byte 0x{:02x}", v[0]),
        });
    }
    Ok(v[1..].try_into().expect("20 bytes"))
}

/// The `r…` address of an account ID.
pub fn encode(account: &[u8; 20]) -> String {
    let mut v = [0u8; 21];
    v[1..].copy_from_slice(account);
    let text = base58::encode_check(&v);
    base58::translate(&text, base58::BITCOIN_ALPHABET, base58::XRPL_ALPHABET)
        .expect("base58 output is in the alphabet")
}
