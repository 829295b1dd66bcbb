//! The one error type of the crate.

use thiserror::Error;

/// Why a token could not be assessed. A token that *was* assessed but looks bad is not an
/// error: it is an [`crate::Assessment`] with a high score.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TokenError {
    /// The bytecode text is not hex.
    #[error("{field}: not hex at character {at}")]
    BadHex {
        /// Which input field.
        field: &'static str,
        /// Character offset (after any `0x`).
        at: usize,
    },
    /// The bytecode text has an odd number of hex digits.
    #[error("{field}: odd number of hex digits ({got})")]
    OddHex {
        /// Which input field.
        field: &'static str,
        /// Digits given.
        got: usize,
    },
    /// There is no code (an externally owned account, or a destroyed contract).
    #[error("{field}: empty bytecode")]
    EmptyCode {
        /// Which input field.
        field: &'static str,
    },
    /// The code is larger than any deployable contract.
    #[error("{field}: {got} bytes of code, at most {max} accepted")]
    CodeTooLarge {
        /// Which input field.
        field: &'static str,
        /// The limit.
        max: usize,
        /// The size given.
        got: usize,
    },
    /// A PUSH reached by the dispatcher runs past the end of the code: the bytes are not a
    /// compiled contract (or were cut short in transit).
    #[error("truncated PUSH{need} at byte {pc}: {have} of {need} data bytes present")]
    TruncatedPush {
        /// Where the PUSH is.
        pc: usize,
        /// Data bytes the PUSH needs.
        need: usize,
        /// Data bytes left in the code.
        have: usize,
    },
    /// An input field is invalid.
    #[error("{field}: {reason}")]
    BadInput {
        /// Which field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A forked simulation found nothing to trade against (no pool, no liquidity): the token
    /// is assessed from the bytecode alone.
    #[error("forked simulation at {step}: {reason}")]
    Fork {
        /// The step.
        step: String,
        /// What happened.
        reason: String,
    },
    /// The node serving the forked state failed or refused (worth retrying later).
    #[error("chain state unavailable at {step}: {reason}")]
    StateUnavailable {
        /// The step.
        step: String,
        /// The node's error.
        reason: String,
    },
    /// The simulation could not set the token up (its constructor reverted, no supply reached
    /// the deployer, …): the token is assessed from the bytecode alone.
    #[error("simulation setup failed at {step}: {reason}")]
    SimulationSetup {
        /// The setup step.
        step: String,
        /// What happened.
        reason: String,
    },
}
