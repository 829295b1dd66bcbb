//! TRON accounts: base58check of `0x41 ‖ 20 bytes` (`T…`), or the 42-digit hex form `41…`.

use crate::{AddressReason, base58};

/// The prefix byte of every TRON account.
pub const PREFIX: u8 = 0x41;

/// Parses either spelling into the 20-byte account.
pub fn parse(s: &str) -> Result<[u8; 20], AddressReason> {
    if s.len() == 42 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut bytes = [0u8; 21];
        hex::decode_to_slice(s, &mut bytes).expect("42 hex digits");
        if bytes[0] != PREFIX {
            return Err(AddressReason::TronHexPrefix { got: bytes[0] });
        }
        return Ok(bytes[1..].try_into().expect("20 bytes"));
    }
    parse_base58check(s)
}

/// Parses the base58check spelling (`T…`) only.
pub fn parse_base58check(s: &str) -> Result<[u8; 20], AddressReason> {
    let payload = base58::decode_check21(s)?;
    if payload[0] != PREFIX {
        return Err(AddressReason::TronPrefix { got: payload[0] });
    }
    Ok(payload[1..].try_into().expect("20 bytes"))
}

/// The base58check spelling (`T…`) of a 20-byte account.
pub fn to_base58check(account: &[u8; 20]) -> String {
    base58::encode_check21(PREFIX, account)
}
