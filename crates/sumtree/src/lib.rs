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
pub use leaf::{Nonce, assets_digest, assets_digest_of, leaf_hash, uid_hash};
pub use proof::{InclusionProof, ProofWriter, VerifiedInclusion};
pub use round::{AssetTotals, CommittedPrice, CommittedPrices, ROUND_FORMAT, RoundManifest};
pub use tree::{LiabilityTree, TreeShape, root_from_path};
