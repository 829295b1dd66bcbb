//! Addresses as the guard reads them: [`custodia_chain::Address`] with the guard's error type.
//!
//! Parsing, checksums and the canonical form all live in `custodia-chain`. This newtype adds
//! only what lists need: surrounding whitespace is ignored, and a rejection is a
//! [`GuardError::Address`] that echoes (a bounded piece of) the offending input. It converts
//! both ways with [`custodia_chain::Address`] at no cost.

use core::fmt;

use custodia_chain::{AddressKind, Chain, ChainError};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::GuardError;
use crate::error::echo;

/// A validated mainnet address in canonical binary form (see [`custodia_chain::Address`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address(custodia_chain::Address);

/// A chain-crate rejection of `input`, in the guard's words.
pub(crate) fn address_error(e: ChainError, input: &str) -> GuardError {
    match e {
        ChainError::Address { ref reason, .. } => GuardError::Address {
            chain: e.chain_label(),
            input: echo(input),
            why: reason.to_string(),
        },
        other => GuardError::from(other),
    }
}

impl Address {
    /// Validates `input` as an address of `chain` (surrounding whitespace is ignored).
    pub fn parse(chain: Chain, input: &str) -> Result<Address, GuardError> {
        let s = input.trim();
        custodia_chain::Address::parse(chain, s)
            .map(Address)
            .map_err(|e| address_error(e, s))
    }

    /// Validates `input` as an address of whichever supported chain its shape says (see
    /// [`custodia_chain::Address::parse_any`]); surrounding whitespace is ignored.
    pub fn parse_any(input: &str) -> Result<Address, GuardError> {
        let s = input.trim();
        custodia_chain::Address::parse_any(s)
            .map(Address)
            .map_err(|e| address_error(e, s))
    }

    /// The chain family.
    pub fn chain(&self) -> Chain {
        self.0.chain()
    }

    /// The kind of address.
    pub fn kind(&self) -> AddressKind {
        self.0.kind()
    }

    /// The address bytes (see [`custodia_chain::Address::payload`]).
    pub fn payload(&self) -> &[u8] {
        self.0.payload()
    }

    /// The compact key: `[tag, payload length, payload…]` (the tags are listed on
    /// [`custodia_chain::Address::key_bytes`]).
    pub fn key_bytes(&self) -> &[u8] {
        self.0.key_bytes()
    }

    /// Reads a key written by [`Address::key_bytes`], checking tag and length.
    pub fn from_key_bytes(key: &[u8]) -> Result<Address, GuardError> {
        custodia_chain::Address::from_key_bytes(key)
            .map(Address)
            .map_err(GuardError::from)
    }

    /// The canonical text: EVM lowercase `0x…`; Bitcoin base58check or lowercase bech32(m);
    /// TRON base58check `T…`; Solana base58.
    pub fn canonical(&self) -> String {
        self.0.canonical()
    }

    /// The EIP-55 mixed-case form of an EVM address (`None` for other chains).
    pub fn checksummed(&self) -> Option<String> {
        self.0.checksummed()
    }

    /// How many leading characters of [`Address::canonical`] every address of this kind shares
    /// (`0x`, `T`, `1`/`3`, `bc1q`/`bc1p`, none for Solana). Look-alike comparisons skip them.
    pub fn fixed_prefix_len(&self) -> usize {
        self.0.fixed_prefix_len()
    }

    /// The chain crate's address.
    pub fn as_chain_address(&self) -> &custodia_chain::Address {
        &self.0
    }
}

impl From<custodia_chain::Address> for Address {
    fn from(a: custodia_chain::Address) -> Self {
        Address(a)
    }
}

impl From<Address> for custodia_chain::Address {
    fn from(a: Address) -> Self {
        a.0
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Address::parse_any(&s).map_err(serde::de::Error::custom)
    }
}
