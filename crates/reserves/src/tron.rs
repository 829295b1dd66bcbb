//! TRON: base58check addresses (`0x41` ‖ 20-byte account) and TIP-191 signed messages
//! (`signMessageV2`).

use crate::ReservesError;
use crate::evm::{account_of, decode_rsv, prefixed_hash, recover};

/// The version byte of every TRON mainnet address.
pub const ADDRESS_PREFIX: u8 = 0x41;

/// The TIP-191 hash of a message: `keccak256("\x19TRON Signed Message:\n" ‖ len ‖ message)`.
pub fn tip191_hash(message: &[u8]) -> [u8; 32] {
    prefixed_hash(b"\x19TRON Signed Message:\n", message)
}

/// The base58check spelling of a 20-byte account (`T…`).
pub fn address_string(account: &[u8; 20]) -> String {
    let mut raw = [0u8; 21];
    raw[0] = ADDRESS_PREFIX;
    raw[1..].copy_from_slice(account);
    bitcoin::base58::encode_check(&raw)
}

/// Parses a base58check TRON address into its 20-byte account.
pub fn parse_address(chain: &str, s: &str) -> Result<[u8; 20], ReservesError> {
    let bad = |reason: String| ReservesError::BadAddress {
        chain: chain.to_owned(),
        address: s.to_owned(),
        reason,
    };
    let raw = bitcoin::base58::decode_check(s).map_err(|e| bad(e.to_string()))?;
    if raw.len() != 21 {
        return Err(bad(format!("decodes to {} bytes, expected 21", raw.len())));
    }
    if raw[0] != ADDRESS_PREFIX {
        return Err(bad(format!(
            "version byte {:#04x}, expected {ADDRESS_PREFIX:#04x}",
            raw[0]
        )));
    }
    let mut account = [0u8; 20];
    account.copy_from_slice(&raw[1..]);
    Ok(account)
}

/// Verifies a TIP-191 signature (65 bytes hex, `v` ∈ {27, 28, 0, 1}) of `message` by `account`.
pub(crate) fn verify_signed_message(
    account: &[u8; 20],
    message: &str,
    signature: &str,
) -> Result<(), ReservesError> {
    let sig = decode_rsv(signature)?;
    let pk = recover(&sig, tip191_hash(message.as_bytes()))?;
    let got = account_of(&pk);
    if &got != account {
        return Err(ReservesError::WrongKey {
            expected: address_string(account),
            got: address_string(&got),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_addresses_round_trip() {
        for a in [
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
            "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8",
            "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC",
        ] {
            let acc = parse_address("tron", a).unwrap();
            assert_eq!(address_string(&acc), a);
        }
    }

    #[test]
    fn bad_addresses() {
        for bad in [
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T", // checksum
            "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", // bitcoin version byte
            "0xdAC17F958D2ee523a2206206994597C13D831ec7",
            "",
        ] {
            assert_eq!(
                parse_address("tron", bad).unwrap_err().code(),
                "bad_address",
                "{bad}"
            );
        }
    }
}
