//! EVM accounts: `0x` + 40 hex digits, EIP-55 mixed-case checksum.

use crate::AddressReason;
use crate::keccak::keccak256;

/// Hex digit value, or 0xff.
const fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0xff,
    }
}

/// Parses `0x` (or `0X`) and 40 hex digits. All-lower or all-upper case carries no checksum and
/// is accepted; mixed case must be the exact EIP-55 spelling.
pub fn parse(s: &str) -> Result<[u8; 20], AddressReason> {
    let Some(body) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) else {
        return Err(AddressReason::EvmPrefix);
    };
    if body.len() != 40 {
        return Err(AddressReason::EvmLength {
            got: body.chars().count(),
        });
    }
    // One pass: digits to bytes, and which letter cases occur.
    let mut bytes = [0u8; 20];
    let (mut lower, mut upper) = (false, false);
    for (i, pair) in body.as_bytes().chunks_exact(2).enumerate() {
        let (h, l) = (hex_value(pair[0]), hex_value(pair[1]));
        if h == 0xff || l == 0xff {
            // Every earlier byte was an ASCII digit, so `at` is on a character boundary.
            let at = 2 * i + usize::from(h != 0xff);
            let c = body[at..].chars().next().unwrap_or('?');
            return Err(AddressReason::NonHex {
                character: c,
                position: at + 2,
            });
        }
        bytes[i] = h << 4 | l;
        lower |= pair.iter().any(u8::is_ascii_lowercase);
        upper |= pair.iter().any(u8::is_ascii_uppercase);
    }
    if lower && upper {
        let expected = eip55(&bytes);
        if expected[2..] != *body {
            return Err(AddressReason::Eip55Checksum { expected });
        }
    }
    Ok(bytes)
}

/// The EIP-55 spelling, with `0x`: hex letter `i` is upper case iff nibble `i` of
/// keccak256(lowercase hex) is ≥ 8.
pub fn eip55(account: &[u8; 20]) -> String {
    let lower = hex::encode(account);
    let hash = keccak256(lower.as_bytes());
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0xf;
        out.push(if nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    out
}

/// The account of an uncompressed secp256k1 public key given as `X ‖ Y` (64 bytes, without
/// the `0x04` tag): the last 20 bytes of its Keccak-256. TRON accounts are derived the same way.
pub fn account_of_key(xy: &[u8; 64]) -> [u8; 20] {
    let h = keccak256(xy);
    h[12..].try_into().expect("20 bytes")
}
