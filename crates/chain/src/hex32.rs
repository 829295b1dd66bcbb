//! 32-byte hex accounts (`0x` + 64 hex digits): Aptos (AIP-40 long form) and Sui. Canonical
//! spelling: lower case, all 64 digits.

use crate::AddressReason;

/// Parses `0x` + 64 hex digits (either case). The short forms of Aptos' special addresses
/// (`0x1`) are not key accounts and are refused by length.
pub fn parse(format: &'static str, s: &str) -> Result<[u8; 32], AddressReason> {
    let Some(body) = s.strip_prefix("0x") else {
        return Err(AddressReason::FormatPrefix {
            format,
            expected: "0x",
            got: s.chars().take(2).collect(),
        });
    };
    if body.len() != 64 {
        return Err(AddressReason::FormatLength {
            format,
            expected: 32,
            got: body.len() / 2,
        });
    }
    let v = hex::decode(body).map_err(|e| AddressReason::FormatEncoding {
        format,
        reason: e.to_string(),
    })?;
    Ok(v.try_into().expect("32 bytes"))
}

/// `0x` + 64 lower-case hex digits.
pub fn encode(account: &[u8; 32]) -> String {
    format!("0x{}", hex::encode(account))
}
