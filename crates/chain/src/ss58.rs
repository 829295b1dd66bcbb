//! SS58, the address format of Polkadot and other Substrate chains: base58 of
//! `prefix ‖ 32-byte account ‖ 2-byte checksum`, the checksum being the first bytes of
//! `BLAKE2b-512("SS58PRE" ‖ prefix ‖ account)`. Polkadot's prefix is 0, Kusama's 2, the generic
//! Substrate one 42.

use crate::checksum::blake2b;
use crate::{AddressReason, base58};

const FORMAT: &str = "SS58";

/// Polkadot's network prefix.
pub const POLKADOT: u16 = 0;

fn prefix_bytes(prefix: u16) -> Vec<u8> {
    if prefix < 64 {
        vec![prefix as u8]
    } else {
        // Two-byte form for 64..16383 (SS58 spec: 01 then the 14 bits spread over two bytes).
        let first = ((prefix & 0b1111_1100) >> 2) as u8 | 0b0100_0000;
        let second = ((prefix >> 8) as u8) | (((prefix & 0b11) as u8) << 6);
        vec![first, second]
    }
}

fn checksum(body: &[u8]) -> [u8; 2] {
    let h = blake2b::<64>(&[b"SS58PRE", body]);
    [h[0], h[1]]
}

/// Parses an SS58 address of a 32-byte account on the network `prefix`.
pub fn parse(prefix: u16, s: &str) -> Result<[u8; 32], AddressReason> {
    let mut buf = [0u8; 64];
    let n = base58::decode(s, &mut buf)?;
    let p = prefix_bytes(prefix);
    let expected = p.len() + 32 + 2;
    if n != expected {
        return Err(AddressReason::FormatLength {
            format: FORMAT,
            expected,
            got: n,
        });
    }
    let (body, check) = buf[..n].split_at(n - 2);
    if checksum(body) != *check {
        return Err(AddressReason::FormatChecksum { format: FORMAT });
    }
    if body[..p.len()] != p[..] {
        return Err(AddressReason::FormatPrefix {
            format: FORMAT,
            expected: "the network's prefix (Polkadot: 1…)",
            got: format!("prefix bytes {}", hex::encode(&body[..p.len()])),
        });
    }
    Ok(body[p.len()..].try_into().expect("32 bytes"))
}

/// The SS58 address of `account` on the network `prefix`.
pub fn encode(prefix: u16, account: &[u8; 32]) -> String {
    let mut v = prefix_bytes(prefix);
    v.extend_from_slice(account);
    let c = checksum(&v);
    v.extend_from_slice(&c);
    base58::encode(&v)
}
