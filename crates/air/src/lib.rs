#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod air;
pub mod chain;
pub mod config;
pub mod format;
pub mod layout;
mod options;
pub mod public;

pub use air::{BatchAir, CustodiaAir};
pub use options::{MIN_SECURITY_BITS, ProofOptions};
pub use public::{AssetParams, AssetTotals, BatchPublicInputs, PublicInputsError};

/// Version of the batch statement and its AIR. Bump on any change to the constraints, the column
/// layout, the public-value layout or the configuration; the verifier pins it.
pub const AIR_VERSION: u32 = 2;
