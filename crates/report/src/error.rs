//! What can go wrong while building a report.

use custodia_events::RepoError;

/// Why a report could not be built or checked.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The month is not `YYYY-MM` with a month from 01 to 12.
    #[error("month {got:?}: expected YYYY-MM (e.g. 2025-01) with a year from 1970 to 9999")]
    BadMonth {
        /// What was given.
        got: String,
    },
    /// The pinned head is beyond the log's head.
    #[error("the report is pinned at seq {pinned}, but the event log ends at seq {head}")]
    PinBeyondHead {
        /// The pinned seq.
        pinned: u64,
        /// The log's head.
        head: u64,
    },
    /// The event at the pinned seq is no longer in the log (pruned by retention, or deleted).
    #[error(
        "the event at seq {seq} is no longer in the log (pruned or deleted): the report cannot be recomputed"
    )]
    HeadGone {
        /// The pinned seq.
        seq: u64,
    },
    /// The pinned checkpoint is not in the store.
    #[error("the checkpoint at seq {seq} the report cites is not in the store")]
    CheckpointGone {
        /// Its seq.
        seq: u64,
    },
    /// A file of the round's public folder could not be read.
    #[error("{path}: {reason}")]
    RoundFile {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Two files of the round disagree (a public folder assembled from different rounds).
    #[error("{what}: {a} says {a_value:?}, {b} says {b_value:?}")]
    RoundMismatch {
        /// What differs.
        what: &'static str,
        /// First file.
        a: &'static str,
        /// Its value.
        a_value: String,
        /// Second file.
        b: &'static str,
        /// Its value.
        b_value: String,
    },
    /// The store failed.
    #[error("event log: {0}")]
    Store(#[from] RepoError),
}
