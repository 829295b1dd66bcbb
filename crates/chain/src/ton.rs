//! TON addresses: the raw form `<workchain>:<64 hex>` and the 48-character user-friendly form
//! (base64 or base64url of a flags byte, the workchain, the 32-byte account hash and a
//! big-endian CRC-16/XMODEM). The canonical spelling is the raw form, which is also what TON
//! Connect's `ton_proof` carries.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use crate::AddressReason;
use crate::checksum::crc16_xmodem;

const FORMAT: &str = "TON";

/// A TON account: workchain and account hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TonAddress {
    /// Workchain (0 basechain, -1 masterchain).
    pub workchain: i8,
    /// The account hash (of the contract's initial state).
    pub hash: [u8; 32],
}

impl TonAddress {
    /// `<workchain>:<hex>`.
    pub fn raw(&self) -> String {
        format!("{}:{}", self.workchain, hex::encode(self.hash))
    }

    /// The user-friendly mainnet form, base64url; `bounceable` picks `EQ…` or `UQ…`.
    pub fn friendly(&self, bounceable: bool) -> String {
        let mut v = Vec::with_capacity(36);
        v.push(if bounceable { 0x11 } else { 0x51 });
        v.push(self.workchain as u8);
        v.extend_from_slice(&self.hash);
        let crc = crc16_xmodem(&v).to_be_bytes();
        v.extend_from_slice(&crc);
        URL_SAFE.encode(v)
    }
}

/// Parses either form (mainnet only: a test-only flag is refused).
pub fn parse(s: &str) -> Result<TonAddress, AddressReason> {
    if s.is_empty() {
        return Err(AddressReason::Empty);
    }
    if s.len() > 80 {
        return Err(AddressReason::TooLong { chars: s.len() });
    }
    if let Some((wc, h)) = s.split_once(':') {
        let workchain: i8 = match wc {
            "0" => 0,
            "-1" => -1,
            other => {
                return Err(AddressReason::FormatPrefix {
                    format: FORMAT,
                    expected: "workchain 0 or -1",
                    got: other.chars().take(8).collect(),
                });
            }
        };
        if h.len() != 64 {
            return Err(AddressReason::FormatLength {
                format: FORMAT,
                expected: 32,
                got: h.len() / 2,
            });
        }
        let bytes = hex::decode(h).map_err(|e| AddressReason::FormatEncoding {
            format: FORMAT,
            reason: e.to_string(),
        })?;
        return Ok(TonAddress {
            workchain,
            hash: bytes.try_into().expect("32 bytes"),
        });
    }
    if s.len() != 48 {
        return Err(AddressReason::FormatLength {
            format: FORMAT,
            expected: 36,
            got: s.len() * 3 / 4,
        });
    }
    let engine = if s.contains(['-', '_']) {
        URL_SAFE
    } else {
        STANDARD
    };
    let v = engine
        .decode(s)
        .map_err(|e| AddressReason::FormatEncoding {
            format: FORMAT,
            reason: e.to_string(),
        })?;
    let (body, crc) = v.split_at(34);
    if crc16_xmodem(body).to_be_bytes() != *crc {
        return Err(AddressReason::FormatChecksum { format: FORMAT });
    }
    if body[0] & 0x80 != 0 || !matches!(body[0] & 0x7f, 0x11 | 0x51) {
        return Err(AddressReason::FormatPrefix {
            format: FORMAT,
            expected: "a mainnet flags byte (EQ…/UQ…)",
            got: format!("flags 0x{:02x}", body[0]),
        });
    }
    let workchain = body[1] as i8;
    if workchain != 0 && workchain != -1 {
        return Err(AddressReason::FormatPrefix {
            format: FORMAT,
            expected: "workchain 0 or -1",
            got: workchain.to_string(),
        });
    }
    Ok(TonAddress {
        workchain,
        hash: body[2..].try_into().expect("32 bytes"),
    })
}
