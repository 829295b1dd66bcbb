//! Bitcoin's descendants: Dogecoin, Litecoin, Dash and Bitcoin Cash. Each keeps Bitcoin's
//! base58check with its own version bytes; Litecoin adds bech32 (`ltc1…`) and Bitcoin Cash
//! CashAddr (`bitcoincash:q…`). Mainnet only.

use bech32::Hrp;

use crate::{AddressReason, base58};

/// A coin of the Bitcoin family other than Bitcoin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coin {
    /// Dogecoin: `D…` (P2PKH 0x1e), `9…`/`A…` (P2SH 0x16).
    Dogecoin,
    /// Litecoin: `L…` (P2PKH 0x30), `M…` (P2SH 0x32), `ltc1…` (P2WPKH).
    Litecoin,
    /// Dash: `X…` (P2PKH 0x4c), `7…` (P2SH 0x10).
    Dash,
    /// Bitcoin Cash: CashAddr `bitcoincash:q…`/`p…`, or Bitcoin's legacy `1…`/`3…`.
    BitcoinCash,
}

/// The output type of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoinKind {
    /// Pay to public-key hash.
    P2pkh,
    /// Pay to script hash.
    P2sh,
    /// Native segwit v0 key hash (Litecoin).
    P2wpkh,
}

impl Coin {
    /// The format's name in errors.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dogecoin => "Dogecoin",
            Self::Litecoin => "Litecoin",
            Self::Dash => "Dash",
            Self::BitcoinCash => "Bitcoin Cash",
        }
    }

    /// Base58check version bytes (P2PKH, P2SH).
    pub fn versions(self) -> (u8, u8) {
        match self {
            Self::Dogecoin => (0x1e, 0x16),
            Self::Litecoin => (0x30, 0x32),
            Self::Dash => (0x4c, 0x10),
            Self::BitcoinCash => (0x00, 0x05),
        }
    }

    /// The magic of the coin's signed messages (`<magic>` in `varstr(magic) ‖ varstr(message)`).
    /// Bitcoin Cash kept Bitcoin's.
    pub fn message_magic(self) -> &'static str {
        match self {
            Self::Dogecoin => "Dogecoin Signed Message:\n",
            Self::Litecoin => "Litecoin Signed Message:\n",
            Self::Dash => "DarkCoin Signed Message:\n",
            Self::BitcoinCash => "Bitcoin Signed Message:\n",
        }
    }
}

/// Parses an address of `coin` into its type and 20-byte hash.
pub fn parse(coin: Coin, s: &str) -> Result<(CoinKind, [u8; 20]), AddressReason> {
    if s.is_empty() {
        return Err(AddressReason::Empty);
    }
    if s.len() > 120 {
        return Err(AddressReason::TooLong { chars: s.len() });
    }
    match coin {
        Coin::Litecoin if s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("ltc1")) => {
            let (hrp, version, program) =
                bech32::segwit::decode(s).map_err(|e| AddressReason::FormatEncoding {
                    format: "Litecoin bech32",
                    reason: e.to_string(),
                })?;
            if hrp.as_str() != "ltc" {
                return Err(AddressReason::FormatPrefix {
                    format: "Litecoin",
                    expected: "ltc1",
                    got: hrp.to_string(),
                });
            }
            if version.to_u8() != 0 || program.len() != 20 {
                return Err(AddressReason::NotKeyAddress {
                    format: "Litecoin",
                    kind: format!("witness v{} {}-byte", version.to_u8(), program.len()),
                });
            }
            Ok((CoinKind::P2wpkh, program.try_into().expect("20 bytes")))
        }
        Coin::BitcoinCash if !looks_base58(s) => cashaddr_decode(s),
        _ => {
            let v = base58::decode_check21(s)?;
            let (p2pkh, p2sh) = coin.versions();
            let kind = match v[0] {
                x if x == p2pkh => CoinKind::P2pkh,
                x if x == p2sh => CoinKind::P2sh,
                other => {
                    return Err(AddressReason::FormatPrefix {
                        format: coin.name(),
                        expected: match coin {
                            Coin::Dogecoin => "version 0x1e (D…) or 0x16",
                            Coin::Litecoin => "version 0x30 (L…), 0x32 (M…) or ltc1",
                            Coin::Dash => "version 0x4c (X…) or 0x10 (7…)",
                            Coin::BitcoinCash => "bitcoincash: or version 0x00/0x05",
                        },
                        got: format!("version 0x{other:02x}"),
                    });
                }
            };
            Ok((kind, v[1..].try_into().expect("20 bytes")))
        }
    }
}

fn looks_base58(s: &str) -> bool {
    !s.contains(':') && (s.starts_with('1') || s.starts_with('3'))
}

/// The canonical spelling: base58check, `ltc1…` for Litecoin segwit, CashAddr with its
/// `bitcoincash:` prefix for Bitcoin Cash.
pub fn encode(coin: Coin, kind: CoinKind, hash: &[u8; 20]) -> String {
    let (p2pkh, p2sh) = coin.versions();
    match (coin, kind) {
        (Coin::BitcoinCash, CoinKind::P2pkh | CoinKind::P2sh) => cashaddr_encode(kind, hash),
        (_, CoinKind::P2wpkh) => {
            bech32::segwit::encode(Hrp::parse("ltc").expect("valid hrp"), bech32::Fe32::Q, hash)
                .expect("20-byte v0 program")
        }
        (_, CoinKind::P2pkh) => base58::encode_check21(p2pkh, hash),
        (_, CoinKind::P2sh) => base58::encode_check21(p2sh, hash),
    }
}

const CASHADDR_PREFIX: &str = "bitcoincash";
const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn polymod(values: impl Iterator<Item = u8>) -> u64 {
    let mut c: u64 = 1;
    for d in values {
        let c0 = (c >> 35) as u8;
        c = ((c & 0x07_ffff_ffff) << 5) ^ u64::from(d);
        for (bit, g) in [
            0x98_f2bc_8e61u64,
            0x79_b76d_99e2,
            0xf3_3e5f_b3c4,
            0xae_2eab_e2a8,
            0x1e_4f43_e470,
        ]
        .into_iter()
        .enumerate()
        {
            if c0 & (1 << bit) != 0 {
                c ^= g;
            }
        }
    }
    c ^ 1
}

fn prefix_values() -> impl Iterator<Item = u8> {
    CASHADDR_PREFIX.bytes().map(|b| b & 0x1f).chain([0])
}

fn to_5bit(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        out.push(((acc << (5 - bits)) & 31) as u8);
    }
    out
}

fn cashaddr_encode(kind: CoinKind, hash: &[u8; 20]) -> String {
    let version = if kind == CoinKind::P2sh { 8u8 } else { 0 };
    let mut payload = vec![version];
    payload.extend_from_slice(hash);
    let data = to_5bit(&payload);
    let checksum = polymod(prefix_values().chain(data.iter().copied()).chain([0; 8]));
    let mut s = String::from(CASHADDR_PREFIX);
    s.push(':');
    for d in data
        .iter()
        .copied()
        .chain((0..8).map(|i| ((checksum >> (5 * (7 - i))) & 31) as u8))
    {
        s.push(CHARSET[usize::from(d)] as char);
    }
    s
}

fn cashaddr_decode(s: &str) -> Result<(CoinKind, [u8; 20]), AddressReason> {
    let format = "CashAddr";
    let lower = s.to_ascii_lowercase();
    if lower != s && s.to_ascii_uppercase() != s {
        return Err(AddressReason::MixedCase);
    }
    let body = match lower.split_once(':') {
        Some((CASHADDR_PREFIX, body)) => body,
        Some((other, _)) => {
            return Err(AddressReason::FormatPrefix {
                format,
                expected: "bitcoincash:",
                got: format!("{other}:"),
            });
        }
        None => lower.as_str(),
    };
    let data: Vec<u8> = body
        .bytes()
        .enumerate()
        .map(|(i, c)| {
            CHARSET
                .iter()
                .position(|&d| d == c)
                .map(|d| d as u8)
                .ok_or_else(|| AddressReason::FormatEncoding {
                    format,
                    reason: format!(
                        "character {:?} at {i} is not in the CashAddr alphabet",
                        c as char
                    ),
                })
        })
        .collect::<Result<_, _>>()?;
    // 34 characters of payload (version byte + 20-byte hash) and 8 of checksum.
    if data.len() != 42 {
        return Err(AddressReason::FormatLength {
            format,
            expected: 42,
            got: data.len(),
        });
    }
    if polymod(prefix_values().chain(data.iter().copied())) != 0 {
        return Err(AddressReason::FormatChecksum { format });
    }
    let mut bytes = Vec::with_capacity(21);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &d in &data[..34] {
        acc = (acc << 5) | u32::from(d);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if acc != 0 || bytes.len() != 21 {
        return Err(AddressReason::FormatEncoding {
            format,
            reason: "non-zero padding".into(),
        });
    }
    let kind = match bytes[0] {
        0 => CoinKind::P2pkh,
        8 => CoinKind::P2sh,
        v => {
            return Err(AddressReason::FormatPrefix {
                format,
                expected: "version 0 (q…) or 8 (p…) with a 20-byte hash",
                got: format!("version {v}"),
            });
        }
    };
    Ok((kind, bytes[1..].try_into().expect("20 bytes")))
}
