//! The one error type of this crate.

use std::io;

use custodia_hash::Digest;
use custodia_primitives::{AccountId, AssetId};
use custodia_prover::ProveError;
use custodia_sumtree::witness::WitnessError;
use custodia_sumtree::{InclusionError, TreeError};
use thiserror::Error;

/// Why a round could not be built, stored, read, proven or aggregated.
///
/// Storage variants name the object (`location`: a path for [`crate::FsBlobs`]) and keep the
/// underlying cause as their [`std::error::Error::source`], so a chain printer shows
/// `reading round/round.json: No such file or directory`. A proof that was checked and *rejected*
/// is not an error of this type: see [`crate::check_round`].
#[derive(Debug, Error)]
pub enum Error {
    /// The round id breaks the rule of [`crate::check_round_id`].
    #[error("round id `{id}` must be 1-64 characters of A-Z a-z 0-9 - _ .")]
    RoundId {
        /// The id given.
        id: String,
    },
    /// The snapshot time is not `YYYY-MM-DDTHH:MM:SSZ`.
    #[error("snapshot time `{time}` is not RFC 3339 UTC to the second (YYYY-MM-DDTHH:MM:SSZ)")]
    SnapshotTime {
        /// The time given.
        time: String,
    },
    /// A price of zero: that asset's debt would count for nothing against collateral.
    #[error("price of {asset} is zero: every asset needs a positive price")]
    ZeroPrice {
        /// The asset.
        asset: AssetId,
    },
    /// The manifest's binding cannot be computed (round id, snapshot time, price strings).
    #[error(transparent)]
    Binding(#[from] custodia_sumtree::BindingError),
    /// A running total overflows 64 bits (impossible below 2^32 leaves).
    #[error("a running total of the chain overflows")]
    ChainOverflow,
    /// Two chain salts are equal, or one is zero.
    #[error("the chain's salts are not distinct and non-zero")]
    ChainSalt,
    /// A boundary opening does not fit the batch: its totals are not the previous ones plus
    /// the batch's.
    #[error(
        "batch {batch}: the opening of boundary {boundary} does not match the witness and the previous boundary"
    )]
    ChainMismatch {
        /// Batch.
        batch: usize,
        /// Boundary.
        boundary: usize,
    },
    /// A boundary opening cannot be read.
    #[error("{location}: not a chain boundary opening: {reason}")]
    Boundary {
        /// Where.
        location: String,
        /// Why.
        reason: String,
    },
    /// The target folder holds something and replacing it was not asked for.
    #[error("{location} already exists and is not empty (pass --force to replace it)")]
    FolderNotEmpty {
        /// The folder.
        location: String,
    },
    /// The operating system's random generator failed (fresh round seed).
    #[error("no OS randomness: {0}")]
    Randomness(String),
    /// The prices and the snapshot disagree on the asset count.
    #[error("the prices list {got} assets, the snapshot {expected}")]
    PriceCount {
        /// Assets of the snapshot.
        expected: usize,
        /// Prices given.
        got: usize,
    },
    /// Some price exceeds the proof's price bound even at scale 10^0.
    #[error("an asset's price is too large for the proof's price bound at any scale")]
    PriceBound,
    /// A non-zero price becomes zero once committed: that asset's debt would count for nothing.
    #[error(
        "price of {asset} (USD {usd}) rounds to zero at the round's price scale 10^-{scale} per smallest \
         unit; lower its ledger decimals or the most expensive asset's"
    )]
    PriceRoundsToZero {
        /// The asset.
        asset: AssetId,
        /// Its USD price per whole unit.
        usd: String,
        /// The round's price scale.
        scale: u32,
    },
    /// Users whose debt exceeds their haircut collateral at the committed prices.
    #[error(
        "{count} user(s) have debt not covered by their collateral after haircuts; first: {first}"
    )]
    Undercollateralised {
        /// How many users.
        count: usize,
        /// The first of them in snapshot order.
        first: AccountId,
    },
    /// The tree cannot be built (shape, user count, balances).
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// A blob key is not a relative `/`-separated path.
    #[error("`{key}` is not a blob key: {reason}")]
    BadKey {
        /// The key.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An object the step needs does not exist.
    #[error("reading {location}")]
    NotFound {
        /// The missing object.
        location: String,
        /// The store's own report.
        #[source]
        source: io::Error,
    },
    /// The blob store failed.
    #[error("{action} {location}")]
    Storage {
        /// What was being done: `reading`, `writing`, `creating`, …
        action: &'static str,
        /// On which object or folder.
        location: String,
        /// The store's own report.
        #[source]
        source: io::Error,
    },
    /// `round.json` is not JSON of a round manifest.
    #[error("{location} is not a round manifest")]
    NotAManifest {
        /// The manifest.
        location: String,
        /// The parser's report.
        #[source]
        source: serde_json::Error,
    },
    /// `round.json` has another format tag.
    #[error("{location}: unsupported format `{got}` (expected `{expected}`)")]
    ManifestFormat {
        /// The manifest.
        location: String,
        /// Its tag.
        got: String,
        /// The tag this version reads.
        expected: &'static str,
    },
    /// An inclusion-proof line does not parse.
    #[error("in {location}")]
    InclusionFile {
        /// The inclusion file.
        location: String,
        /// Why the line does not parse.
        #[source]
        source: InclusionError,
    },
    /// A batch index beyond the round.
    #[error("batch {batch} does not exist: the round has {batches} batches")]
    NoSuchBatch {
        /// Asked for.
        batch: usize,
        /// Batches of the round.
        batches: usize,
    },
    /// The public folder would be the round folder, inside it, or hold it.
    #[error(
        "refusing to publish {round} into {out}: the public folder must be outside the round folder (and not hold it)"
    )]
    PublishOverlap {
        /// The round folder.
        round: String,
        /// The public folder asked for.
        out: String,
    },
    /// A delivery folder (`por inclusion --all`) is not what the step expects.
    #[error("{location}: {reason}")]
    Delivery {
        /// The folder or file.
        location: String,
        /// What is wrong.
        reason: String,
    },
    /// The round cannot follow the previous round it was given.
    #[error("chaining to the previous round: {0}")]
    Chain(String),
    /// A batch has no proof yet: the round cannot be published.
    #[error("batch {batch} is not proven ({location} is missing): run `custodia por prove` first")]
    NotProven {
        /// The first batch without a proof.
        batch: usize,
        /// The missing file.
        location: String,
    },
    /// The round was built without prices; its batches cannot be proven.
    #[error("round.json has no prices: rebuild the round with --prices")]
    NoPrices,
    /// A witness file does not decode.
    #[error("{location}")]
    Witness {
        /// The witness file.
        location: String,
        /// Why it does not decode.
        #[source]
        source: WitnessError,
    },
    /// A witness of another batch or another round.
    #[error("{location} does not belong to batch {batch} of this round")]
    ForeignWitness {
        /// The witness file.
        location: String,
        /// The batch it was read for.
        batch: usize,
        /// Which header field disagrees: `batch index`, `asset count` or `batch size`.
        field: &'static str,
        /// What the round implies.
        expected: u64,
        /// What the witness says.
        got: u64,
    },
    /// The prover refused the witness or failed.
    #[error(transparent)]
    Prove(#[from] ProveError),
    /// The witness proves a batch root the manifest does not list.
    #[error(
        "batch {batch}'s witness hashes to a root other than round.json's: the round folder is inconsistent"
    )]
    RootMismatch {
        /// The batch.
        batch: usize,
        /// Root in the manifest.
        expected: Digest,
        /// Root of the witness.
        got: Digest,
    },
    /// The manifest is inconsistent with itself (before proving).
    #[error(transparent)]
    Manifest(#[from] custodia_verifier::round::RoundError),
    /// Serialising a manifest or public inputs failed.
    #[error(transparent)]
    Encoding(#[from] serde_json::Error),
}

impl Error {
    /// A storage failure, or [`Error::NotFound`] when the cause says the object is missing.
    pub fn storage(action: &'static str, location: impl Into<String>, source: io::Error) -> Self {
        let location = location.into();
        if action == "reading" && source.kind() == io::ErrorKind::NotFound {
            Self::NotFound { location, source }
        } else {
            Self::Storage {
                action,
                location,
                source,
            }
        }
    }

    /// `location: cause` for a storage failure (the form a rejection reason takes), else the
    /// message.
    pub fn located_cause(&self) -> String {
        match self {
            Self::NotFound { location, source }
            | Self::Storage {
                location, source, ..
            } => format!("{location}: {source}"),
            other => other.to_string(),
        }
    }
}
