//! Custodia's batch statement as Plonky3 AIRs.
//!
//! One zero-knowledge STARK proves, for a batch of `2^k` consecutive leaves of the liabilities
//! tree: every balance is in `[0, 2^62)`, every leaf hash is the sumtree leaf encoding, the batch
//! root is the Poseidon2 tree over exactly these leaves, every user is collateralised at the
//! public prices and haircuts, and the per-asset totals are the exact integer sums. The statement,
//! its bounds and the soundness argument are in `docs/por-protocol.md`
//! ("The batch statement (zk-STARK)").

pub mod air;
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
pub const AIR_VERSION: u32 = 1;
