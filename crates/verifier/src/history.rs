//! Rounds that chain: each round's manifest names the round before it and its binding, and the
//! binding absorbs it (`docs/por-protocol.md` §8), so a sequence of rounds either links up or
//! shows where history was rewritten.

use custodia_sumtree::RoundManifest;
use thiserror::Error;

use crate::round::check_manifest;

/// Why a sequence of rounds does not form one history.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HistoryError {
    /// A manifest is inconsistent with itself.
    #[error("round {round}: {reason}")]
    Manifest {
        /// Round id.
        round: String,
        /// The manifest check's reason.
        reason: String,
    },
    /// Two manifests carry the same round id.
    #[error("round id {round} is used twice (positions {first} and {second})")]
    ReusedId {
        /// The id.
        round: String,
        /// Its first position (0-based, in the order given).
        first: usize,
        /// The second.
        second: usize,
    },
    /// A round is not later than the one before it.
    #[error("round {round} ({time}) is not later than round {previous} ({previous_time})")]
    NotLater {
        /// The later round.
        round: String,
        /// Its snapshot time.
        time: String,
        /// The round before it.
        previous: String,
        /// Its snapshot time.
        previous_time: String,
    },
    /// A round does not name the round before it.
    #[error(
        "round {round} is not chained: its manifest names no previous round (expected {expected})"
    )]
    Unlinked {
        /// The round.
        round: String,
        /// The round given before it.
        expected: String,
    },
    /// A round names another round than the one given before it.
    #[error("round {round} follows round {named}, not round {given}")]
    OtherPrevious {
        /// The round.
        round: String,
        /// The previous round its manifest names.
        named: String,
        /// The round given before it.
        given: String,
    },
    /// The previous round's manifest is not the one this round committed to: it was rewritten.
    #[error(
        "round {round} committed to a different round {previous} (binding {committed}) than the \
         one given (binding {actual}): round {previous} was rewritten after round {round} was built"
    )]
    Rewritten {
        /// The later round.
        round: String,
        /// The previous round.
        previous: String,
        /// The binding the later round committed to.
        committed: String,
        /// The binding of the manifest given.
        actual: String,
    },
}

/// Checks that `rounds`, oldest first, form one history: each manifest valid, ids distinct,
/// snapshot times increasing, and each round after the first naming the round before it by id
/// and binding. The first round may name an earlier round not given (or none).
pub fn check_history(rounds: &[RoundManifest]) -> Result<(), HistoryError> {
    for (i, m) in rounds.iter().enumerate() {
        check_manifest(m).map_err(|e| HistoryError::Manifest {
            round: m.round.clone(),
            reason: e.to_string(),
        })?;
        if let Some(first) = rounds[..i].iter().position(|o| o.round == m.round) {
            return Err(HistoryError::ReusedId {
                round: m.round.clone(),
                first,
                second: i,
            });
        }
    }
    for pair in rounds.windows(2) {
        let (before, m) = (&pair[0], &pair[1]);
        // RFC 3339 UTC in the one fixed-width form: text order is time order.
        if m.snapshot_time <= before.snapshot_time {
            return Err(HistoryError::NotLater {
                round: m.round.clone(),
                time: m.snapshot_time.clone(),
                previous: before.round.clone(),
                previous_time: before.snapshot_time.clone(),
            });
        }
        let Some(link) = &m.previous else {
            return Err(HistoryError::Unlinked {
                round: m.round.clone(),
                expected: before.round.clone(),
            });
        };
        if link.round != before.round {
            return Err(HistoryError::OtherPrevious {
                round: m.round.clone(),
                named: link.round.clone(),
                given: before.round.clone(),
            });
        }
        // `check_manifest` accepted `before`, so its binding computes.
        let actual = before.binding().map_err(|e| HistoryError::Manifest {
            round: before.round.clone(),
            reason: e.to_string(),
        })?;
        if link.binding != actual {
            return Err(HistoryError::Rewritten {
                round: m.round.clone(),
                previous: before.round.clone(),
                committed: link.binding.to_hex(),
                actual: actual.to_hex(),
            });
        }
    }
    Ok(())
}
