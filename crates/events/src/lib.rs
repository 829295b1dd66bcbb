#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod anchor;
mod chain;
mod checkpoint;
mod entropy;
mod error;
mod event;
mod ports;
mod repeats;
mod tally;
mod time;
mod typed;
mod work;

pub use anchor::{
    AnchoredReport, CheckpointOutcome, CheckpointSource, EventsPruned, Finding, PruneReport,
    VerifyOptions, prune_expired, verify_anchored, write_checkpoint,
};
pub use chain::{
    Break, BreakReason, ChainReport, ChainVerifier, Digest, GENESIS_HASH, hash_event, verify_chain,
};
pub use checkpoint::{
    CHECKPOINT_DOMAIN, CHECKPOINT_MESSAGE_LEN, Checkpoint, CheckpointKey, CheckpointPublicKey,
    checkpoint_message, parse_checkpoint_log,
};
pub use entropy::{Entropy, OsEntropy, SeededEntropy};
pub use error::EventError;
pub use event::{Actor, Event, EventKind, NewEvent, Payload, Subject};
pub use ports::{
    Anchor, Audit, CheckpointReader, CheckpointWriter, EventAppender, EventReader, Inline, Offload,
    Offloaded, RepoError, RepoResult, StoreHealth, Work,
};
pub use repeats::{OVERFLOW_GROUP, Repeated, Repeats};
pub use tally::{FOLD_PAGE, Figure, FigureValue, Folded, Point, Tally, fold};
pub use time::{Clock, ManualClock, SystemClock, TimeError, Timestamp};
pub use typed::EventPayload;
pub use work::{ClaimedWork, WorkLease, WorkQueue, WorkState, WorkStatus, WorkTicket};
