//! Cosmos SDK account addresses: classic bech32 (BIP-173 checksum, not bech32m) of a 20-byte
//! account (`cosmos1…`, `osmo1…`) or a 32-byte module / interchain account, under a chain's own
//! human-readable prefix.

use bech32::Bech32;
use bech32::primitives::decode::CheckedHrpstring;

use crate::AddressReason;

const FORMAT: &str = "Cosmos bech32";

/// Parses a bech32 account address whose prefix must be `hrp` (`cosmos` for the Hub); returns
/// the account bytes (20, or 32 for module and interchain accounts).
pub fn parse(hrp: &'static str, s: &str) -> Result<Vec<u8>, AddressReason> {
    if s.is_empty() {
        return Err(AddressReason::Empty);
    }
    if s.len() > 90 {
        return Err(AddressReason::TooLong { chars: s.len() });
    }
    if s.chars().any(|c| c.is_ascii_uppercase()) && s.chars().any(|c| c.is_ascii_lowercase()) {
        return Err(AddressReason::MixedCase);
    }
    let checked = CheckedHrpstring::new::<Bech32>(s).map_err(|e| {
        let reason = e.to_string();
        if reason.contains("checksum") {
            AddressReason::FormatChecksum { format: FORMAT }
        } else {
            AddressReason::FormatEncoding {
                format: FORMAT,
                reason,
            }
        }
    })?;
    let got = checked.hrp().to_lowercase();
    if got != hrp {
        return Err(AddressReason::FormatPrefix {
            format: FORMAT,
            expected: hrp,
            got,
        });
    }
    let bytes: Vec<u8> = checked.byte_iter().collect();
    if bytes.len() != 20 && bytes.len() != 32 {
        return Err(AddressReason::FormatLength {
            format: FORMAT,
            expected: 20,
            got: bytes.len(),
        });
    }
    Ok(bytes)
}

/// The lower-case bech32 text of `account` under `hrp`.
///
/// # Panics
///
/// If `hrp` is not a valid human-readable part (a programming error: prefixes are constants).
pub fn encode(hrp: &'static str, account: &[u8]) -> String {
    let hrp = bech32::Hrp::parse(hrp).expect("a valid bech32 prefix");
    bech32::encode::<Bech32>(hrp, account).expect("an account fits bech32")
}
