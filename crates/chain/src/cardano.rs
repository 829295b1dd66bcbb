//! Cardano Shelley addresses (CIP-19): bech32 `addr1…` of a header byte (type in the high
//! nibble, network in the low one) and the payment credential (28 bytes), followed for base
//! addresses by the stake credential. Only addresses whose payment part is a key hash — the
//! BLAKE2b-224 of an ed25519 key — can sign; script addresses are refused.

use bech32::{Bech32, Hrp};

use crate::AddressReason;
use crate::checksum::blake2b;

const FORMAT: &str = "Cardano";

/// A Cardano key address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CardanoAddress {
    /// The header byte (type << 4 | network).
    pub header: u8,
    /// BLAKE2b-224 of the payment key.
    pub payment: [u8; 28],
    /// The rest of the address (stake credential or pointer), kept as is.
    pub delegation: Vec<u8>,
}

/// Parses a mainnet `addr1…` address with a key-hash payment credential.
pub fn parse(s: &str) -> Result<CardanoAddress, AddressReason> {
    if s.is_empty() {
        return Err(AddressReason::Empty);
    }
    if s.len() > 200 {
        return Err(AddressReason::TooLong { chars: s.len() });
    }
    let (hrp, data) = bech32::decode(s).map_err(|e| AddressReason::FormatEncoding {
        format: FORMAT,
        reason: e.to_string(),
    })?;
    if hrp.as_str() != "addr" {
        return Err(AddressReason::FormatPrefix {
            format: FORMAT,
            expected: "addr1 (mainnet)",
            got: hrp.to_string(),
        });
    }
    if s.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(AddressReason::MixedCase);
    }
    let Some((&header, rest)) = data.split_first() else {
        return Err(AddressReason::FormatLength {
            format: FORMAT,
            expected: 29,
            got: 0,
        });
    };
    let kind = header >> 4;
    if header & 0x0f != 1 {
        return Err(AddressReason::FormatPrefix {
            format: FORMAT,
            expected: "network 1 (mainnet)",
            got: format!("network {}", header & 0x0f),
        });
    }
    let expected = match kind {
        0 | 2 => 56,
        6 => 28,
        4 => rest.len().max(29),
        1 | 3 | 5 | 7 => {
            return Err(AddressReason::NotKeyAddress {
                format: FORMAT,
                kind: "script (payment part)".into(),
            });
        }
        _ => {
            return Err(AddressReason::NotKeyAddress {
                format: FORMAT,
                kind: format!("type {kind}"),
            });
        }
    };
    if rest.len() != expected {
        return Err(AddressReason::FormatLength {
            format: FORMAT,
            expected: expected + 1,
            got: data.len(),
        });
    }
    Ok(CardanoAddress {
        header,
        payment: rest[..28].try_into().expect("28 bytes"),
        delegation: rest[28..].to_vec(),
    })
}

/// The bech32 text of an address.
pub fn encode(a: &CardanoAddress) -> String {
    let mut v = vec![a.header];
    v.extend_from_slice(&a.payment);
    v.extend_from_slice(&a.delegation);
    bech32::encode::<Bech32>(Hrp::parse("addr").expect("valid hrp"), &v).expect("short enough")
}

/// The key hash of an ed25519 payment key.
pub fn key_hash(key: &[u8; 32]) -> [u8; 28] {
    blake2b::<28>(&[key])
}
