//! Filecoin addresses: `f` (mainnet), a protocol digit and lower-case RFC 4648 base32 without
//! padding of `payload ‖ BLAKE2b-32(protocol ‖ payload)`. Protocol 1 (secp256k1: payload
//! `BLAKE2b-160` of the 65-byte uncompressed key) and 4 with namespace 10 (`f410f…`, the
//! Ethereum account of an EVM key). ID (`f0`), actor (`f2`) and BLS (`f3`) addresses sign
//! nothing an ownership check can use and are refused.

use crate::AddressReason;
use crate::checksum::blake2b;

const FORMAT: &str = "Filecoin";
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A Filecoin key address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilAddress {
    /// `f1…`: BLAKE2b-160 of a secp256k1 key.
    Secp256k1([u8; 20]),
    /// `f410f…`: an Ethereum account (delegated address of the EAM, namespace 10).
    Eth([u8; 20]),
}

fn base32_decode(s: &str) -> Result<Vec<u8>, AddressReason> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for (i, c) in s.bytes().enumerate() {
        let v =
            ALPHABET
                .iter()
                .position(|&d| d == c)
                .ok_or_else(|| AddressReason::FormatEncoding {
                    format: FORMAT,
                    reason: format!("character {:?} at {i} is not lower-case base32", c as char),
                })? as u32;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if acc != 0 {
        return Err(AddressReason::FormatEncoding {
            format: FORMAT,
            reason: "non-zero padding bits".into(),
        });
    }
    Ok(out)
}

fn base32_encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            s.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        s.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    s
}

fn check(header: &[u8], payload: &[u8]) -> [u8; 4] {
    blake2b::<4>(&[header, payload])
}

/// Parses a mainnet `f1…` or `f410f…` address.
pub fn parse(s: &str) -> Result<FilAddress, AddressReason> {
    if s.is_empty() {
        return Err(AddressReason::Empty);
    }
    if s.len() > 120 {
        return Err(AddressReason::TooLong { chars: s.len() });
    }
    let (header, body): (&[u8], &str) = if let Some(b) = s.strip_prefix("f410f") {
        (&[4, 10], b)
    } else if let Some(b) = s.strip_prefix("f1") {
        (&[1], b)
    } else {
        let kind = match s.get(..2) {
            Some("f0") => "ID",
            Some("f2") => "actor",
            Some("f3") => "BLS",
            Some("f4") => "delegated (not the EVM namespace)",
            _ => {
                return Err(AddressReason::FormatPrefix {
                    format: FORMAT,
                    expected: "f1 or f410f (mainnet)",
                    got: s.chars().take(5).collect(),
                });
            }
        };
        return Err(AddressReason::NotKeyAddress {
            format: FORMAT,
            kind: kind.into(),
        });
    };
    let raw = base32_decode(body)?;
    if raw.len() != 24 {
        return Err(AddressReason::FormatLength {
            format: FORMAT,
            expected: 24,
            got: raw.len(),
        });
    }
    let (payload, sum) = raw.split_at(20);
    let protocol_header: &[u8] = if header[0] == 4 { &[4, 10] } else { &[1] };
    if check(protocol_header, payload) != *sum {
        return Err(AddressReason::FormatChecksum { format: FORMAT });
    }
    let p: [u8; 20] = payload.try_into().expect("20 bytes");
    Ok(if header[0] == 4 {
        FilAddress::Eth(p)
    } else {
        FilAddress::Secp256k1(p)
    })
}

/// The canonical text of an address.
pub fn encode(a: &FilAddress) -> String {
    let (prefix, header, payload): (&str, &[u8], &[u8; 20]) = match a {
        FilAddress::Secp256k1(p) => ("f1", &[1], p),
        FilAddress::Eth(p) => ("f410f", &[4, 10], p),
    };
    let mut raw = payload.to_vec();
    raw.extend_from_slice(&check(header, payload));
    format!("{prefix}{}", base32_encode(&raw))
}

/// The `f1` payload of a secp256k1 key: BLAKE2b-160 of its 65-byte uncompressed form.
pub fn secp256k1_payload(uncompressed: &[u8; 65]) -> [u8; 20] {
    blake2b::<20>(&[uncompressed])
}
