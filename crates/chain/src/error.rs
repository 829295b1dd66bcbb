//! The crate's error type and the reasons an input is not an address.

use core::fmt;

use thiserror::Error;

use crate::{Chain, Network};

/// Everything that can go wrong in `custodia-chain`: an input that is not an address of the
/// chain (or network) it was checked against, a chain name this crate does not know, or a stored
/// address key that does not decode.
///
/// Messages never repeat the address itself (callers know it and decide how much of it to
/// echo); a chain name is echoed with at most [`ChainError::MAX_ECHO`] characters and control
/// characters replaced, so that a hostile list cannot inject lines into logs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChainError {
    /// The input does not follow the address format of `chain`.
    #[error("invalid {} address: {reason}", chain_label(*.chain))]
    Address {
        /// The family the input was checked against; `None` when the family was guessed from
        /// the input's shape and no family's shape matched ([`crate::Address::parse_any`]).
        chain: Option<Chain>,
        /// Which rule failed.
        reason: AddressReason,
    },
    /// A chain or network name that maps to no supported family.
    #[error(
        "unsupported asset or chain `{name}`: only {} addresses are validated",
        supported()
    )]
    UnsupportedChain {
        /// The name as given (truncated, control characters replaced).
        name: String,
    },
    /// A compact address key ([`crate::Address::key_bytes`]) that does not decode.
    #[error("bad address key {key}: {why}")]
    AddressKey {
        /// The key, hex.
        key: String,
        /// What is wrong.
        why: &'static str,
    },
}

impl ChainError {
    /// Longest piece of a chain name an error message repeats.
    pub const MAX_ECHO: usize = 120;

    /// The reason, when the error is about an address.
    pub fn address_reason(&self) -> Option<&AddressReason> {
        match self {
            Self::Address { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// The label of the family an address error is about: `evm`, `bitcoin`, …, or `any`.
    pub fn chain_label(&self) -> &'static str {
        match self {
            Self::Address { chain, .. } => chain_label(*chain),
            _ => "any",
        }
    }
}

fn chain_label(chain: Option<Chain>) -> &'static str {
    chain.map_or("any", Chain::as_str)
}

/// "EVM, Bitcoin, TRON and Solana": every family, in [`Chain::ALL`] order.
fn supported() -> String {
    let names: Vec<&str> = Chain::ALL.iter().map(|c| c.display_name()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// Why an input is not an address. The text of each reason is stable: services show it to
/// operators and tests compare it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressReason {
    /// Nothing to parse.
    Empty,
    /// Longer than any address of the format could be.
    TooLong {
        /// Characters given.
        chars: usize,
    },

    // ----- EVM -----
    /// No `0x` prefix.
    EvmPrefix,
    /// `0x` followed by the wrong number of characters.
    EvmLength {
        /// Characters after `0x`.
        got: usize,
    },
    /// A character that is not a hex digit.
    NonHex {
        /// The character.
        character: char,
        /// Its position in the input (0-based, `0x` counted).
        position: usize,
    },
    /// Mixed case that is not the EIP-55 spelling.
    Eip55Checksum {
        /// The correctly checksummed spelling of the same 20 bytes.
        expected: String,
    },

    // ----- base58 -----
    /// A character outside the base58 alphabet.
    NotBase58 {
        /// The character.
        character: char,
        /// Its position (0-based).
        position: usize,
    },
    /// A non-ASCII character where base58 was expected.
    NonAsciiBase58 {
        /// Its byte offset.
        position: usize,
    },
    /// The base58 number is larger than any address.
    Base58Overflow,
    /// base58check that does not decode to version byte + 20-byte hash + checksum.
    Base58CheckLength {
        /// Bytes decoded.
        got: usize,
    },
    /// base58check whose 4-byte double-SHA-256 checksum does not match.
    Base58Checksum,

    // ----- Bitcoin -----
    /// A base58 version byte of another Bitcoin network.
    OtherNetworkVersion {
        /// The version byte.
        version: u8,
        /// The network it belongs to.
        is: Network,
        /// The network asked for.
        expected: Network,
    },
    /// A base58 version byte of no Bitcoin network.
    UnknownVersion {
        /// The version byte.
        version: u8,
        /// The network asked for.
        expected: Network,
    },
    /// bech32 in mixed case.
    MixedCase,
    /// The bech32 prefix of another Bitcoin network.
    OtherNetworkHrp {
        /// The prefix found.
        hrp: &'static str,
        /// The network it belongs to.
        is: Network,
        /// The network asked for.
        expected: Network,
    },
    /// A bech32 prefix of no Bitcoin network.
    WrongHrp {
        /// The prefix found (lower case).
        got: String,
        /// The network asked for.
        expected: Network,
    },
    /// A witness version 1–16 output encoded with the bech32 (not bech32m) checksum.
    NeedsBech32m {
        /// The witness version.
        version: u8,
    },
    /// A witness version 0 output encoded with the bech32m checksum.
    NeedsBech32,
    /// A witness version and program length that make no segwit output.
    WitnessProgram {
        /// The witness version.
        version: u8,
        /// The program length in bytes.
        len: usize,
    },
    /// Any other segwit decoding failure (the bech32 decoder's words).
    Segwit {
        /// The decoder's message.
        reason: String,
    },

    // ----- TRON -----
    /// The 42-digit hex form does not start with TRON's `41`.
    TronHexPrefix {
        /// The first byte.
        got: u8,
    },
    /// base58check with another prefix byte than TRON's `0x41`.
    TronPrefix {
        /// The prefix byte.
        got: u8,
    },

    // ----- Solana -----
    /// base58 that does not decode to a 32-byte key.
    SolanaLength {
        /// Bytes decoded.
        got: usize,
    },

    // ----- any family -----
    /// A 25-byte base58check whose version byte belongs to no supported family.
    AnyVersion {
        /// The version byte.
        version: u8,
    },
    /// base58 of a length no supported family uses.
    AnyLength {
        /// Bytes decoded.
        got: usize,
    },

    // ----- the other chains' formats (`coins`, `xrpl`, `ss58`, `filecoin`, `stellar`, `ton`,
    // `cardano`, `hex32`) -----
    /// The text decodes to the wrong number of bytes for the format.
    FormatLength {
        /// The format (`XRPL`, `SS58`, …).
        format: &'static str,
        /// Bytes the format takes.
        expected: usize,
        /// Bytes decoded.
        got: usize,
    },
    /// The format's checksum does not match (a typo).
    FormatChecksum {
        /// The format.
        format: &'static str,
    },
    /// A prefix, version byte or human-readable part of another format or network.
    FormatPrefix {
        /// The format.
        format: &'static str,
        /// What the format takes.
        expected: &'static str,
        /// What was found.
        got: String,
    },
    /// The text is not in the format's alphabet or encoding.
    FormatEncoding {
        /// The format.
        format: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A well-formed address of a kind no key signs for (a script or ID address).
    NotKeyAddress {
        /// The format.
        format: &'static str,
        /// The kind found.
        kind: String,
    },
}

impl fmt::Display for AddressReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty"),
            Self::TooLong { chars } => write!(f, "{chars} characters is too long for an address"),
            Self::EvmPrefix => f.write_str("expected 0x followed by 40 hex digits"),
            Self::EvmLength { got } => write!(
                f,
                "expected 0x followed by 40 hex digits, got {got} characters after 0x"
            ),
            Self::NonHex {
                character,
                position,
            } => write!(f, "non-hex character {character:?} at position {position}"),
            Self::Eip55Checksum { .. } => f.write_str(
                "mixed-case address fails its EIP-55 checksum (a typo, or a forged checksum)",
            ),
            Self::NotBase58 {
                character,
                position,
            } => write!(
                f,
                "character {character:?} at position {position} is not base58"
            ),
            Self::NonAsciiBase58 { position } => {
                write!(f, "non-ASCII character at byte {position} is not base58")
            }
            Self::Base58Overflow => f.write_str("too long for an address"),
            Self::Base58CheckLength { got } => write!(
                f,
                "base58 decodes to {got} bytes; expected 25 (version byte, 20-byte hash, 4-byte checksum)"
            ),
            Self::Base58Checksum => {
                f.write_str("base58check checksum mismatch (a typo, or not an address)")
            }
            Self::OtherNetworkVersion {
                version,
                is,
                expected,
            } => {
                let p = expected.bitcoin();
                write!(
                    f,
                    "version byte 0x{version:02x} is Bitcoin {is}; only {expected} P2PKH (0x{:02x}) and P2SH (0x{:02x}) are accepted",
                    p.p2pkh, p.p2sh
                )
            }
            Self::UnknownVersion { version, expected } => {
                let p = expected.bitcoin();
                write!(
                    f,
                    "version byte 0x{version:02x} is not Bitcoin {expected} P2PKH (0x{:02x}) or P2SH (0x{:02x})",
                    p.p2pkh, p.p2sh
                )
            }
            Self::MixedCase => {
                f.write_str("bech32 must be all lowercase or all uppercase (BIP-173)")
            }
            Self::OtherNetworkHrp { hrp, is, expected } => write!(
                f,
                "bech32 prefix `{hrp}` is Bitcoin {is}; only {expected} (`{}`) is accepted",
                expected.bitcoin().hrp
            ),
            Self::WrongHrp { got, expected } => write!(
                f,
                "bech32 prefix `{got}` is not Bitcoin {expected} (`{}`)",
                expected.bitcoin().hrp
            ),
            Self::NeedsBech32m { version } => write!(
                f,
                "witness version {version} must use the bech32m checksum (BIP-350), this is bech32"
            ),
            Self::NeedsBech32 => f.write_str(
                "witness version 0 must use the bech32 checksum (BIP-173), this is bech32m",
            ),
            Self::WitnessProgram { version, len } => write!(
                f,
                "witness version {version} with a {len}-byte program is not a segwit output"
            ),
            Self::Segwit { reason } => write!(f, "invalid segwit address: {reason}"),
            Self::TronHexPrefix { got } => write!(
                f,
                "hex form must start with 41 (TRON's prefix byte), got {got:02x}"
            ),
            Self::TronPrefix { got } => write!(
                f,
                "prefix byte 0x{got:02x} is not TRON's 0x41 (TRON addresses start with T)"
            ),
            Self::SolanaLength { got } => {
                write!(f, "base58 decodes to {got} bytes; a Solana address is 32")
            }
            Self::AnyVersion { version } => write!(
                f,
                "base58check version byte 0x{version:02x} is not Bitcoin mainnet (0x00, 0x05) or TRON (0x41)"
            ),
            Self::AnyLength { got } => write!(
                f,
                "not an EVM, Bitcoin, TRON or Solana address (base58 decodes to {got} bytes; expected 25 or 32)"
            ),
            Self::FormatLength {
                format,
                expected,
                got,
            } => write!(
                f,
                "{format} address decodes to {got} bytes, expected {expected}"
            ),
            Self::FormatChecksum { format } => {
                write!(f, "{format} checksum does not match (a typo?)")
            }
            Self::FormatPrefix {
                format,
                expected,
                got,
            } => write!(f, "{format} address must start with {expected}, got {got}"),
            Self::FormatEncoding { format, reason } => {
                write!(f, "not a {format} address: {reason}")
            }
            Self::NotKeyAddress { format, kind } => write!(
                f,
                "{format} {kind} address: only addresses of a single public key can prove ownership"
            ),
        }
    }
}

/// The first [`ChainError::MAX_ECHO`] characters of `s`, control characters replaced.
pub(crate) fn echo(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(ChainError::MAX_ECHO)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if s.chars().count() > ChainError::MAX_ECHO {
        out.push('…');
    }
    out
}
