//! Bitcoin: base58check P2PKH / P2SH and segwit (bech32 for version 0, bech32m for 1–16).

use bech32::primitives::decode::{SegwitHrpstring, UncheckedHrpstring};
use bech32::{Bech32, Bech32m, Fe32, Hrp};

use crate::address::{TAG_P2PKH, TAG_P2SH, TAG_SEGWIT};
use crate::{Address, AddressReason, Network, base58};

/// Bech32 prefixes with their separator, longest first so `bcrt1` is not read as `bc…`.
const KNOWN_HRPS: [(&str, Network); 3] = [
    ("bcrt1", Network::Regtest),
    ("bc1", Network::Mainnet),
    ("tb1", Network::Testnet),
];

/// Parses a Bitcoin address of `network`.
pub(crate) fn parse(s: &str, network: Network) -> Result<Address, AddressReason> {
    for (prefix, is) in KNOWN_HRPS {
        let starts = s
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix));
        if !starts {
            continue;
        }
        if is == network {
            return parse_segwit(s, network);
        }
        return Err(AddressReason::OtherNetworkHrp {
            hrp: &prefix[..prefix.len() - 1],
            is,
            expected: network,
        });
    }
    let payload = base58::decode_check21(s)?;
    let version = payload[0];
    let hash = &payload[1..];
    let expected = network.bitcoin();
    if version == expected.p2pkh {
        return Ok(Address::from_raw(TAG_P2PKH, network, hash));
    }
    if version == expected.p2sh {
        return Ok(Address::from_raw(TAG_P2SH, network, hash));
    }
    match Network::ALL.into_iter().find(|n| {
        let p = n.bitcoin();
        version == p.p2pkh || version == p.p2sh
    }) {
        Some(is) => Err(AddressReason::OtherNetworkVersion {
            version,
            is,
            expected: network,
        }),
        None => Err(AddressReason::UnknownVersion {
            version,
            expected: network,
        }),
    }
}

fn parse_segwit(s: &str, network: Network) -> Result<Address, AddressReason> {
    if s.bytes().any(|b| b.is_ascii_lowercase()) && s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(AddressReason::MixedCase);
    }
    let hrp = Hrp::parse_unchecked(network.bitcoin().hrp);
    match SegwitHrpstring::new(s) {
        Ok(seg) => {
            if seg.hrp() != hrp {
                return Err(AddressReason::WrongHrp {
                    got: seg.hrp().to_lowercase(),
                    expected: network,
                });
            }
            let mut payload = [0u8; 41];
            payload[0] = seg.witness_version().to_u8();
            let mut n = 1;
            for b in seg.byte_iter() {
                payload[n] = b;
                n += 1;
            }
            Ok(Address::from_raw(TAG_SEGWIT, network, &payload[..n]))
        }
        Err(e) => {
            // Say which checksum variant the string has when it is the wrong one for its version.
            if let Ok(u) = UncheckedHrpstring::new(s) {
                let v0 = u.witness_version() == Some(Fe32::Q);
                if !v0 && u.has_valid_checksum::<Bech32>() {
                    let version = u.witness_version().map_or(0, |v| v.to_u8());
                    return Err(AddressReason::NeedsBech32m { version });
                }
                if v0 && u.has_valid_checksum::<Bech32m>() {
                    return Err(AddressReason::NeedsBech32);
                }
                if u.hrp() != hrp {
                    return Err(AddressReason::WrongHrp {
                        got: u.hrp().to_lowercase(),
                        expected: network,
                    });
                }
            }
            Err(AddressReason::Segwit {
                reason: e.to_string(),
            })
        }
    }
}

/// Whether `version` and a program of `len` bytes make a segwit output (BIP-141: version 0
/// takes 20 or 32 bytes, versions 1–16 take 2 to 40).
pub(crate) fn valid_program(version: u8, len: usize) -> bool {
    match version {
        0 => len == 20 || len == 32,
        1..=16 => (2..=40).contains(&len),
        _ => false,
    }
}

/// The text of a P2PKH / P2SH address.
pub(crate) fn encode_base58(tag: u8, network: Network, hash: &[u8]) -> String {
    let p = network.bitcoin();
    base58::encode_check21(if tag == TAG_P2PKH { p.p2pkh } else { p.p2sh }, hash)
}

/// The lower-case bech32 / bech32m text of a segwit output.
pub(crate) fn encode_segwit(network: Network, version: u8, program: &[u8]) -> String {
    let hrp = Hrp::parse_unchecked(network.bitcoin().hrp);
    let version = Fe32::try_from(version).expect("witness version ≤ 16");
    bech32::segwit::encode(hrp, version, program).expect("validated segwit program")
}
