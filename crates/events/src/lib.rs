#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod chain;
mod entropy;
mod error;
mod event;
mod time;

pub use chain::{Break, BreakReason, ChainVerifier, Digest, GENESIS_HASH, Report, hash_event};
pub use entropy::{Entropy, OsEntropy, SeededEntropy};
pub use error::EventError;
pub use event::{Actor, Event, EventKind, NewEvent, Payload, Subject};
pub use time::{Clock, ManualClock, SystemClock, TimeError, Timestamp};
