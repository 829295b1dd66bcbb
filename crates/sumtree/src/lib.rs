#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod error;
pub mod layout;
pub mod leaf;
pub mod proof;
pub mod round;
pub mod tree;
pub mod witness;

pub use error::{InclusionError, TreeError};
pub use layout::{BuiltTree, Layout, PADDING, build_tree};
pub use leaf::{
    Nonce, assets_digest, assets_digest_of, leaf_hash, round_context, uid_hash, valid_round_id,
};
pub use proof::{InclusionProof, ProofWriter, VerifiedInclusion};
pub use round::{
    AssetTotals, BindingError, ChainOpenings, ChainState, CommittedPrice, CommittedPrices,
    OLD_ROUND_FORMATS, PreviousRound, ROUND_FORMAT, RoundManifest, directed_prices,
    valid_snapshot_time,
};
pub use tree::{LiabilityTree, TreeShape, root_from_path};
