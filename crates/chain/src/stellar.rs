//! Stellar account IDs (strkey `G…`): RFC 4648 base32 (upper case, no padding) of the version
//! byte 6 << 3, the 32-byte ed25519 key and a little-endian CRC-16/XMODEM.

use crate::AddressReason;
use crate::checksum::crc16_xmodem;

const FORMAT: &str = "Stellar";
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ACCOUNT_VERSION: u8 = 6 << 3;

/// Parses a `G…` account ID into its ed25519 key.
pub fn parse(s: &str) -> Result<[u8; 32], AddressReason> {
    if s.is_empty() {
        return Err(AddressReason::Empty);
    }
    if s.len() != 56 {
        return Err(AddressReason::FormatLength {
            format: FORMAT,
            expected: 35,
            got: s.len() * 5 / 8,
        });
    }
    let mut out = Vec::with_capacity(35);
    let (mut acc, mut bits) = (0u64, 0u32);
    for (i, c) in s.bytes().enumerate() {
        let v =
            ALPHABET
                .iter()
                .position(|&d| d == c)
                .ok_or_else(|| AddressReason::FormatEncoding {
                    format: FORMAT,
                    reason: format!("character {:?} at {i} is not upper-case base32", c as char),
                })? as u64;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    let (body, crc) = out.split_at(33);
    if crc16_xmodem(body).to_le_bytes() != *crc {
        return Err(AddressReason::FormatChecksum { format: FORMAT });
    }
    if body[0] != ACCOUNT_VERSION {
        return Err(AddressReason::FormatPrefix {
            format: FORMAT,
            expected: "G (an account ID)",
            got: s.chars().take(1).collect(),
        });
    }
    Ok(body[1..].try_into().expect("32 bytes"))
}

/// The `G…` account ID of an ed25519 key.
pub fn encode(key: &[u8; 32]) -> String {
    let mut v = Vec::with_capacity(35);
    v.push(ACCOUNT_VERSION);
    v.extend_from_slice(key);
    let crc = crc16_xmodem(&v).to_le_bytes();
    v.extend_from_slice(&crc);
    let mut s = String::with_capacity(56);
    let (mut acc, mut bits) = (0u64, 0u32);
    for b in v {
        acc = (acc << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            s.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
        acc &= (1 << bits) - 1;
    }
    s
}
