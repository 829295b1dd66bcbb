//! The one error of the fund domain.

use custodia_events::RepoError;
use thiserror::Error;

/// Why a fund operation was refused. Every variant is raised before anything is posted: a
/// refused operation leaves the pools, the journal and the idempotency record untouched.
#[derive(Debug, Error)]
pub enum FundError {
    /// A pool name does not parse.
    #[error("invalid pool `{text}`: {why}")]
    InvalidPool {
        /// The text as given (truncated).
        text: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The pool is not configured.
    #[error("unknown pool `{pool}`")]
    UnknownPool {
        /// The pool asked for.
        pool: String,
    },
    /// A field that must be positive is zero or negative.
    #[error("`{field}` must be positive, got {got}")]
    NotPositive {
        /// Which field.
        field: &'static str,
        /// The value given.
        got: i128,
    },
    /// A field is out of its allowed range.
    #[error("`{field}` out of range: {why}")]
    OutOfRange {
        /// Which field.
        field: &'static str,
        /// The allowed range, in words.
        why: String,
    },
    /// Arithmetic would leave the checked range (amounts stay below 2^62, intermediates in i128).
    #[error("arithmetic overflow computing {what}")]
    Overflow {
        /// What was being computed.
        what: &'static str,
    },
    /// The fees to close exceed the position's margin.
    #[error("fees {fees} exceed the position's margin {margin}")]
    FeesExceedMargin {
        /// Margin, smallest units.
        margin: u64,
        /// Fees, smallest units.
        fees: u64,
    },
    /// The position is not below its maintenance margin at the mark price.
    #[error("position is not liquidatable: equity {equity} above maintenance margin {maintenance}")]
    NotLiquidatable {
        /// Margin plus unrealised PnL at the mark, smallest units.
        equity: i128,
        /// Maintenance margin, smallest units.
        maintenance: u64,
    },
    /// A counterparty for auto-deleveraging is on the same side as the bankrupt position.
    #[error("ADL candidate `{position}` is on the liquidated side; candidates must be opposing")]
    SameSide {
        /// The candidate's position id.
        position: String,
    },
    /// A posting would take a pool below zero.
    #[error("pool `{pool}` holds {balance}, cannot pay {requested}")]
    Insufficient {
        /// The pool.
        pool: String,
        /// Its balance, smallest units.
        balance: u64,
        /// What was asked, smallest units.
        requested: u64,
    },
    /// A transfer between pools of different settlement currencies.
    #[error("cannot transfer between `{from}` and `{to}`: currencies differ")]
    CurrencyMismatch {
        /// Source pool.
        from: String,
        /// Destination pool.
        to: String,
    },
    /// A transfer from a pool to itself.
    #[error("transfer from `{pool}` to itself")]
    SelfTransfer {
        /// The pool.
        pool: String,
    },
    /// An idempotency key was reused for a different operation.
    #[error("idempotency key `{key}` was already used for a different operation")]
    KeyReused {
        /// The key.
        key: String,
    },
    /// An identifier (idempotency key, position id) is malformed.
    #[error("invalid {field} `{text}`: {why}")]
    InvalidId {
        /// Which identifier.
        field: &'static str,
        /// The text as given (truncated).
        text: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] RepoError),
}

/// Shorthand.
pub type FundResult<T> = Result<T, FundError>;

pub(crate) fn truncated(s: &str) -> String {
    s.chars().take(80).collect()
}
