#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod air;
pub mod chain;
pub mod config;
pub mod digest;
pub mod format;
pub mod gadget;
pub mod layout;
mod options;
pub mod public;

pub use air::{BatchAir, ChainAir, CustodiaAir};
pub use options::{MIN_SECURITY_BITS, ProofOptions};
pub use public::{AssetParams, AssetTotals, BatchPublicInputs, PublicInputsError};

/// Version of the batch statement, for people: proof files and the verifier identify the
/// statement by its constraint-system digest ([`digest::CONSTRAINT_DIGEST`]), not by this number.
pub const AIR_VERSION: u32 = 5;
