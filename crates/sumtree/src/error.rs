use custodia_hash::Digest;
use custodia_primitives::AmountError;
use thiserror::Error;

/// Errors building a tree.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TreeError {
    /// More than 2^32 leaves requested.
    #[error("a tree of 2^{log_leaves} leaves is larger than the supported 2^32")]
    TooLarge {
        /// Requested log2 leaf count.
        log_leaves: u32,
    },
    /// Batches larger than the tree.
    #[error("batches of 2^{log_batch} leaves do not fit a tree of 2^{log_leaves}")]
    BatchLargerThanTree {
        /// log2 batch size.
        log_batch: u32,
        /// log2 leaf count.
        log_leaves: u32,
    },
    /// More users than leaves.
    #[error("{users} users do not fit in {leaves} leaves")]
    TooManyUsers {
        /// Users.
        users: usize,
        /// Leaves.
        leaves: usize,
    },
    /// Wrong number of leaves for the shape.
    #[error("expected {expected} leaves, got {got}")]
    LeafCount {
        /// Leaves the shape needs.
        expected: usize,
        /// Leaves given.
        got: usize,
    },
    /// The balance table does not match users × assets.
    #[error("{values} balance values do not match {users} users × 2 × {num_assets} assets")]
    BalancesShape {
        /// Users.
        users: usize,
        /// Assets.
        num_assets: usize,
        /// Values given.
        values: usize,
    },
    /// A leaf index outside the tree.
    #[error("leaf index {index} is outside a tree of {num_leaves} leaves")]
    LeafIndex {
        /// The index.
        index: u64,
        /// The tree's leaf count.
        num_leaves: u64,
    },
}

/// Why an inclusion proof was rejected or could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InclusionError {
    /// Not valid JSON of the inclusion-proof shape.
    #[error("not a valid inclusion proof: {0}")]
    Json(String),
    /// File larger than any valid proof.
    #[error("inclusion file is {0} bytes; valid ones are far smaller (limit {limit})", limit = crate::proof::MAX_PROOF_BYTES)]
    TooLarge(usize),
    /// Unknown or older format tag.
    #[error("unsupported format version `{0}` (this verifier reads `{fmt}`)", fmt = crate::proof::FORMAT)]
    Format(String),
    /// The round id is not 1–64 characters of `A-Z a-z 0-9 - _ .`.
    #[error("round id `{0}` must be 1-64 characters of A-Z a-z 0-9 - _ .")]
    RoundId(String),
    /// Asset list empty or too long.
    #[error("the asset list has {0} entries; between 1 and {max} are allowed", max = crate::proof::MAX_ASSETS)]
    AssetCount(usize),
    /// An asset listed twice.
    #[error("asset `{0}` is listed twice")]
    DuplicateAsset(String),
    /// Decimals out of range.
    #[error("asset `{asset}` has {decimals} decimals, more than 18")]
    Decimals {
        /// Asset.
        asset: String,
        /// Declared decimals.
        decimals: u8,
    },
    /// A balance names an asset not in the list.
    #[error("balance for `{0}`, which is not in the round's asset list")]
    UnknownAsset(String),
    /// A balance is not a valid amount.
    #[error("{asset} {side}: {source}")]
    Amount {
        /// Asset.
        asset: String,
        /// `"equity"` or `"debt"`.
        side: &'static str,
        /// Why.
        source: AmountError,
    },
    /// The fields of the two forms are mixed or incomplete.
    #[error("inclusion file: {0}")]
    Form(&'static str),
    /// A held asset's position is beyond the round's asset list.
    #[error("held asset `{asset}` at position {position}, but the round lists {num_assets} assets")]
    HeldPosition {
        /// Asset.
        asset: String,
        /// Position given.
        position: u32,
        /// Assets in the round.
        num_assets: usize,
    },
    /// A held asset with neither equity nor debt.
    #[error("asset `{0}` is listed as held but has no balance")]
    HeldZero(String),
    /// The round's asset list does not match the file.
    #[error("{0}")]
    AssetList(String),
    /// A compact file was verified without the round's asset list.
    #[error(
        "this file names only the {held} of the round's {num_assets} assets this account holds; \
         the round's asset list (its round.json) is needed to check their names and decimals"
    )]
    AssetsNotBound {
        /// Assets the file names.
        held: usize,
        /// Assets in the round.
        num_assets: usize,
    },
    /// Path longer than any supported tree.
    #[error("the proof has {0} sibling hashes; trees are at most 32 high")]
    Height(usize),
    /// Leaf index beyond the tree.
    #[error("leaf index {index} is outside a tree of height {height}")]
    LeafIndex {
        /// Index given.
        index: u64,
        /// Height given.
        height: u32,
    },
    /// The file's own root differs from the published root the user supplied.
    #[error("the file names root {in_file}, but the published root is {expected}")]
    FileRoot {
        /// Root written in the file.
        in_file: Digest,
        /// Root the user expects.
        expected: Digest,
    },
    /// The balances and path do not hash to the root.
    #[error("balances and path hash to {computed}, not to the published root {expected}")]
    RootMismatch {
        /// Root the user expects.
        expected: Digest,
        /// Root the proof implies.
        computed: Digest,
    },
}
