//! Base58 (Bitcoin alphabet) and base58check, shared by every format that uses them.

use sha2::{Digest as _, Sha256};

use crate::AddressReason;

/// Longest base58 text worth decoding as an address (a 64-byte value is 88 characters, but no
/// supported address is longer than 44; 60 leaves room for leading `1`s).
const MAX_CHARS: usize = 60;

const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Base58 digit value per ASCII byte, or 0xff.
const VALUE: [u8; 128] = {
    let mut t = [0xffu8; 128];
    let mut i = 0;
    while i < 58 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Double SHA-256, the base58check checksum's hash.
pub(crate) fn sha256d(data: &[u8]) -> [u8; 32] {
    Sha256::digest(Sha256::digest(data)).into()
}

/// Decodes base58 into `out`, returning the length. Big-number arithmetic on 64-bit limbs, ten
/// digits per step (58^10 < 2^64), so that the hot path of a list import allocates nothing;
/// each leading `1` is a zero byte.
pub(crate) fn decode(s: &str, out: &mut [u8; 64]) -> Result<usize, AddressReason> {
    if s.is_empty() {
        return Err(AddressReason::Empty);
    }
    if s.len() > MAX_CHARS {
        return Err(AddressReason::TooLong { chars: s.len() });
    }
    decode_bytes(s.as_bytes(), out)
}

fn decode_bytes(s: &[u8], out: &mut [u8; 64]) -> Result<usize, AddressReason> {
    let zeros = s.iter().take_while(|&&c| c == b'1').count();
    let mut limbs = [0u64; 8]; // little-endian
    for (ci, chunk) in s.chunks(10).enumerate() {
        let (mut mul, mut add) = (1u64, 0u64);
        for (j, &c) in chunk.iter().enumerate() {
            let at = ci * 10 + j;
            if c >= 128 {
                return Err(AddressReason::NonAsciiBase58 { position: at });
            }
            let v = VALUE[c as usize];
            if v == 0xff {
                return Err(AddressReason::NotBase58 {
                    character: c as char,
                    position: at,
                });
            }
            add = add * 58 + v as u64;
            mul *= 58;
        }
        let mut carry = add as u128;
        for l in limbs.iter_mut() {
            let t = (*l as u128) * (mul as u128) + carry;
            *l = t as u64;
            carry = t >> 64;
        }
        if carry != 0 {
            return Err(AddressReason::Base58Overflow);
        }
    }
    let mut be = [0u8; 64];
    for (k, l) in limbs.iter().enumerate() {
        be[64 - 8 * (k + 1)..64 - 8 * k].copy_from_slice(&l.to_be_bytes());
    }
    let first = be.iter().position(|&b| b != 0).unwrap_or(64);
    let n = zeros + (64 - first);
    if n > out.len() {
        return Err(AddressReason::Base58Overflow);
    }
    out[..zeros].fill(0);
    out[zeros..n].copy_from_slice(&be[first..]);
    Ok(n)
}

/// Decodes base58check to `version + 20 bytes`, verifying the double-SHA-256 checksum.
pub(crate) fn decode_check21(s: &str) -> Result<[u8; 21], AddressReason> {
    let mut buf = [0u8; 64];
    let n = decode(s, &mut buf)?;
    if n != 25 {
        return Err(AddressReason::Base58CheckLength { got: n });
    }
    let (payload, check) = buf[..25].split_at(21);
    if sha256d(payload)[..4] != *check {
        return Err(AddressReason::Base58Checksum);
    }
    Ok(payload.try_into().expect("21 bytes"))
}

/// base58check of `version ‖ hash20`.
pub(crate) fn encode_check21(version: u8, hash20: &[u8]) -> String {
    let mut v = [0u8; 25];
    v[0] = version;
    v[1..21].copy_from_slice(hash20);
    let check = sha256d(&v[..21]);
    v[21..].copy_from_slice(&check[..4]);
    bs58::encode(v).into_string()
}

/// Decodes base58check of any length (at most 60 characters), verifying the 4-byte
/// double-SHA-256 checksum; returns the payload without it. `format` names the format in errors.
pub(crate) fn decode_check(s: &str, format: &'static str) -> Result<Vec<u8>, AddressReason> {
    let mut buf = [0u8; 64];
    let n = decode(s, &mut buf)?;
    if n < 5 {
        return Err(AddressReason::FormatLength {
            format,
            expected: 25,
            got: n,
        });
    }
    let (payload, check) = buf[..n].split_at(n - 4);
    if sha256d(payload)[..4] != *check {
        return Err(AddressReason::FormatChecksum { format });
    }
    Ok(payload.to_vec())
}

/// base58check of `payload` (any length).
pub(crate) fn encode_check(payload: &[u8]) -> String {
    let mut v = payload.to_vec();
    v.extend_from_slice(&sha256d(payload)[..4]);
    bs58::encode(v).into_string()
}

/// The XRP Ledger's base58 alphabet (same digits, another order).
pub(crate) const XRPL_ALPHABET: &[u8; 58] =
    b"rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz";

/// Rewrites text between two base58 alphabets (digit for digit), so that one decoder serves
/// both; a character outside `from` is reported where it stands.
pub(crate) fn translate(s: &str, from: &[u8; 58], to: &[u8; 58]) -> Result<String, AddressReason> {
    s.bytes()
        .enumerate()
        .map(|(i, c)| {
            if c >= 128 {
                return Err(AddressReason::NonAsciiBase58 { position: i });
            }
            from.iter()
                .position(|&d| d == c)
                .map(|d| to[d] as char)
                .ok_or(AddressReason::NotBase58 {
                    character: c as char,
                    position: i,
                })
        })
        .collect()
}

/// The Bitcoin alphabet (for [`translate`]).
pub(crate) const BITCOIN_ALPHABET: &[u8; 58] = ALPHABET;

/// Plain base58 (no checksum).
pub(crate) fn encode(bytes: &[u8]) -> String {
    bs58::encode(bytes).into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64: a fixed, seeded stream.
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
    }

    /// The limb decoder agrees with the `bs58` crate on random inputs, leading zeros included.
    #[test]
    fn decoder_matches_bs58() {
        let mut rng = SplitMix(42);
        for _ in 0..20_000 {
            let len = (rng.next() % 41) as usize;
            let mut v: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let zeros = ((rng.next() % 4) as usize).min(len);
            v[..zeros].fill(0);
            let text = bs58::encode(&v).into_string();
            let mut out = [0u8; 64];
            let n = decode_bytes(text.as_bytes(), &mut out).unwrap();
            assert_eq!(&out[..n], &v[..], "{text}");
        }
        let mut out = [0u8; 64];
        assert_eq!(
            decode_bytes(b"1O1", &mut out),
            Err(AddressReason::NotBase58 {
                character: 'O',
                position: 1
            })
        );
        assert_eq!(
            decode_bytes("1é".as_bytes(), &mut out),
            Err(AddressReason::NonAsciiBase58 { position: 1 })
        );
        assert_eq!(
            decode_bytes(&[b'z'; 95], &mut out),
            Err(AddressReason::Base58Overflow)
        );
    }

    #[test]
    fn base58check_round_trip_and_checksum() {
        let hash = [7u8; 20];
        let text = encode_check21(0x41, &hash);
        let back = decode_check21(&text).unwrap();
        assert_eq!(back[0], 0x41);
        assert_eq!(&back[1..], &hash);
        // Flip the last character: the checksum no longer matches (or the length changes).
        let mut bad = text.clone().into_bytes();
        let last = bad.last_mut().unwrap();
        *last = if *last == b'2' { b'3' } else { b'2' };
        assert!(decode_check21(core::str::from_utf8(&bad).unwrap()).is_err());
    }
}
