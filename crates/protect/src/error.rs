//! The one error of the user-protection domain: bad input (each field its own variant, with
//! what was expected and what was given), refusals of the rules, and storage failures.

use custodia_events::{RepoError, Timestamp};
use thiserror::Error;

use crate::case::CaseState;
use crate::deposit::CaseKind;

/// Why a user-protection call failed. Nothing is written when one is returned.
#[derive(Debug, Error)]
pub enum ProtectError {
    /// A user id is malformed.
    #[error("invalid user id: {reason}")]
    User {
        /// Why.
        reason: String,
    },
    /// An actor (who did it) is malformed.
    #[error("actor must be 1–128 printable characters without spaces, got {got:?}")]
    Actor {
        /// What was given (clipped).
        got: String,
    },
    /// A field's value is not one of the allowed words.
    #[error("{field} must be one of {expected}, got {got:?}")]
    Word {
        /// The field (`channel`, `product`, `side`, `pos_side`).
        field: &'static str,
        /// The allowed values.
        expected: &'static str,
        /// What was given (clipped).
        got: String,
    },
    /// An instrument name is malformed.
    #[error("instrument must be 1–64 letters, digits or `-_./`, got {got:?}")]
    Instrument {
        /// What was given (clipped).
        got: String,
    },
    /// A size, amount or notional is malformed or out of range.
    #[error("{field}: {reason}")]
    Number {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The order and the stated position contradict each other.
    #[error("position: {reason}")]
    Position {
        /// Why.
        reason: &'static str,
    },
    /// A cooling-off duration that is not offered.
    #[error("a cooling-off period lasts one of {allowed:?} days, got {got}")]
    CoolingDays {
        /// What was asked.
        got: u32,
        /// The configured choices.
        allowed: Vec<u32>,
    },
    /// A cooling-off period cannot be ended or shortened, only extended.
    #[error(
        "the cooling-off period already runs until {until}; a period can only be extended, and \
         {requested} would not extend it"
    )]
    CoolingWouldShorten {
        /// When the running period ends.
        until: Timestamp,
        /// When the requested one would end.
        requested: Timestamp,
    },
    /// The account was registered before with another opening time.
    #[error("the account was registered as opened at {registered}, got {got}")]
    AccountOpened {
        /// The stored opening time.
        registered: Timestamp,
        /// The one given.
        got: Timestamp,
    },
    /// A time lies in the future.
    #[error("{field} lies in the future ({got}, now {now})")]
    Future {
        /// The field.
        field: &'static str,
        /// What was given.
        got: Timestamp,
        /// The service's clock.
        now: Timestamp,
    },
    /// A network the service has no address format for.
    #[error("unknown network {got:?}; known: {known}")]
    UnknownNetwork {
        /// What was given (clipped).
        got: String,
        /// The known names.
        known: String,
    },
    /// An address (`to`, `token`, a deposit address) is not valid on its network.
    #[error("{field} is not a valid {network} address: {reason}")]
    Address {
        /// The field.
        field: &'static str,
        /// The network.
        network: String,
        /// The address format's rule that was broken.
        reason: String,
    },
    /// A memo or tag that the network cannot carry.
    #[error("memo on {network}: {reason}")]
    Memo {
        /// The network.
        network: String,
        /// Why.
        reason: String,
    },
    /// A transaction hash of the wrong shape.
    #[error("tx_hash on {network}: {reason}")]
    TxHash {
        /// The network.
        network: String,
        /// Why.
        reason: &'static str,
    },
    /// The listing table (networks, assets, contracts) is inconsistent.
    #[error("registry: {reason}")]
    Registry {
        /// Why.
        reason: String,
    },
    /// A fee schedule is out of range.
    #[error("fee schedule: {reason}")]
    Fees {
        /// Why.
        reason: String,
    },
    /// The transfer is credited automatically: there is nothing to recover.
    #[error("this deposit is credited automatically to {user}; no recovery case is needed")]
    CreditsAutomatically {
        /// The owner it is credited to.
        user: String,
    },
    /// The transfer cannot be recovered; the reason says why.
    #[error("{case}: not recoverable: {reason}")]
    NotRecoverable {
        /// The diagnosed case.
        case: CaseKind,
        /// Why.
        reason: String,
    },
    /// A recovery case for this transfer exists already.
    #[error("a recovery case for this transfer exists already: {id}")]
    CaseExists {
        /// Its id.
        id: String,
    },
    /// No case with this id.
    #[error("no recovery case {id}")]
    CaseNotFound {
        /// The id asked for.
        id: String,
    },
    /// A case id of the wrong shape.
    #[error("a case id is `rc_` and 24 hex digits, got {got:?}")]
    CaseId {
        /// What was given (clipped).
        got: String,
    },
    /// The action is not allowed from the case's state.
    #[error("a case in state {from} cannot be {action}")]
    IllegalTransition {
        /// The case's state.
        from: CaseState,
        /// The action (`verified`, `approved`, `recovered`, `credited`, `rejected`).
        action: &'static str,
    },
    /// The approver verified the ownership too: money moves under four eyes.
    #[error("{actor} verified the ownership of this case and cannot also approve it")]
    SameActor {
        /// The actor.
        actor: String,
    },
    /// A note or reason of the wrong length.
    #[error("{field} must be 1–{max} characters, got {got}")]
    Note {
        /// The field.
        field: &'static str,
        /// The longest allowed.
        max: usize,
        /// Characters given.
        got: usize,
    },
    /// Someone else moved the case meanwhile; read it again.
    #[error("case {id} changed meanwhile (now {now}); read it again")]
    CaseChanged {
        /// The case.
        id: String,
        /// Its state now.
        now: CaseState,
    },
    /// Storage failed (fail closed: an order check that cannot read denies).
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// At most `n` characters of untrusted input, for error messages.
pub(crate) fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
