//! EOS account names: up to 12 characters of `.12345abcdefghijklmnopqrstuvwxyz` (a 13th, from
//! `.12345abcdefghij` only, fits the last four bits), packed five bits per character into a
//! `u64` (the chain's `name` type). A name is an account, not a key: which keys may sign for it
//! is the account's on-chain permissions, so nothing here ties a name to a key.

use crate::AddressReason;

const FORMAT: &str = "EOS account";
const CHARS: &[u8; 32] = b".12345abcdefghijklmnopqrstuvwxyz";

/// Parses an account name into its 64-bit value. The name must be the one canonical spelling
/// of that value: no trailing dots (they encode the same value as the shorter name), no upper
/// case, at most 13 characters with the 13th from `.12345abcdefghij`.
pub fn parse(s: &str) -> Result<u64, AddressReason> {
    if s.is_empty() {
        return Err(AddressReason::Empty);
    }
    if s.len() > 13 {
        return Err(AddressReason::TooLong { chars: s.len() });
    }
    let mut value = 0u64;
    for (i, c) in s.bytes().enumerate() {
        let v = CHARS
            .iter()
            .position(|&d| d == c)
            .ok_or_else(|| AddressReason::FormatEncoding {
                format: FORMAT,
                reason: format!(
                    "character {:?} at {i} is not one of a-z, 1-5 or `.`",
                    c as char
                ),
            })? as u64;
        if i < 12 {
            value |= v << (64 - 5 * (i + 1));
        } else {
            if v > 15 {
                return Err(AddressReason::FormatEncoding {
                    format: FORMAT,
                    reason: format!(
                        "the 13th character must be one of .12345abcdefghij, got {:?}",
                        c as char
                    ),
                });
            }
            value |= v;
        }
    }
    if s.ends_with('.') {
        return Err(AddressReason::FormatEncoding {
            format: FORMAT,
            reason: "a name does not end with `.`".into(),
        });
    }
    Ok(value)
}

/// The spelling of a name value (trailing dots dropped).
pub fn encode(value: u64) -> String {
    let mut out = [b'.'; 13];
    for (i, slot) in out.iter_mut().enumerate() {
        let v = if i < 12 {
            (value >> (64 - 5 * (i + 1))) & 0x1f
        } else {
            value & 0x0f
        };
        *slot = CHARS[v as usize];
    }
    let text = std::str::from_utf8(&out).expect("ASCII");
    text.trim_end_matches('.').to_owned()
}
