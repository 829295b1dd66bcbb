//! The ports every service's use cases are generic over: the event log (append, read), the
//! failure every repository port reports, and the executor hook for CPU-heavy work.
//!
//! The traits return `impl Future + Send` rather than boxing, so they need no async runtime and
//! no macro crate; an adapter (the SQL store, an in-memory test double) implements them.

use std::error::Error as StdError;
use std::future::Future;

use thiserror::Error;

use crate::{Checkpoint, Digest, Event, NewEvent, Timestamp};

/// Why a repository (storage port) call failed. Adapters convert their own errors into it, so a
/// use case can tell "this already exists" from "the storage is broken" without knowing SQL.
#[derive(Debug, Error)]
pub enum RepoError {
    /// A unique row already exists (a name, a version).
    #[error("{what} already exists")]
    Conflict {
        /// What was duplicated.
        what: &'static str,
    },
    /// A stored row does not decode: the storage was edited or written by a newer binary.
    #[error("corrupt row in `{table}`: {why}")]
    Corrupt {
        /// Table or collection.
        table: &'static str,
        /// What is wrong.
        why: String,
    },
    /// The storage failed or is unreachable; `source` says how (the adapter's own error).
    #[error("storage failure: {source}")]
    Unavailable {
        /// The adapter's error.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
}

impl RepoError {
    /// A [`RepoError::Corrupt`] with `why` as text.
    pub fn corrupt(table: &'static str, why: impl ToString) -> Self {
        Self::Corrupt {
            table,
            why: why.to_string(),
        }
    }

    /// A [`RepoError::Unavailable`] wrapping an adapter error.
    pub fn unavailable(source: impl StdError + Send + Sync + 'static) -> Self {
        Self::Unavailable {
            source: Box::new(source),
        }
    }
}

/// What every repository port returns.
pub type RepoResult<T> = Result<T, RepoError>;

/// Appends to the event log (every service).
pub trait EventAppender: Send + Sync {
    /// Appends events in order, atomically; returns them with seq and hashes.
    fn append(&self, events: Vec<NewEvent>) -> impl Future<Output = RepoResult<Vec<Event>>> + Send;
}

/// Reads the event log (audit, reports).
pub trait EventReader: Send + Sync {
    /// Up to `limit` events with `seq > after`, in order.
    fn events_after(
        &self,
        after: u64,
        limit: u32,
    ) -> impl Future<Output = RepoResult<Vec<Event>>> + Send;
    /// The last event's seq and hash (`(0, GENESIS_HASH)` for an empty log).
    fn head(&self) -> impl Future<Output = RepoResult<(u64, Digest)>> + Send;
    /// Events of `kind` with `from <= time < to`.
    fn count_kind(
        &self,
        kind: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Future<Output = RepoResult<u64>> + Send;
    /// Up to `limit` events whose kind is one of `kinds`, with `from <= time < to` and
    /// `seq > after`, in seq order (reports: page with the last seq returned).
    fn events_of_kinds(
        &self,
        kinds: &[&str],
        from: Timestamp,
        to: Timestamp,
        after: u64,
        limit: u32,
    ) -> impl Future<Output = RepoResult<Vec<Event>>> + Send;
}

/// The retention anchor: the checkpoint the log was last pruned up to. Events at or below
/// `seq` may be gone; the chain continues from the checkpoint's signed head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// 0: never pruned (the chain starts at the genesis).
    pub seq: u64,
    /// The checkpoint at `seq`; `None` at the genesis, or when its row is missing (tampering:
    /// the store's triggers never let it go).
    pub checkpoint: Option<Checkpoint>,
}

/// Reads signed checkpoints of the chain head and the retention anchor (audit verification).
pub trait CheckpointReader: Send + Sync {
    /// Up to `limit` stored checkpoints with `seq > after`, in seq order.
    fn checkpoints_after(
        &self,
        after: u64,
        limit: u32,
    ) -> impl Future<Output = RepoResult<Vec<Checkpoint>>> + Send;
    /// The checkpoint with the highest seq, if any.
    fn latest_checkpoint(&self) -> impl Future<Output = RepoResult<Option<Checkpoint>>> + Send;
    /// The retention anchor.
    fn anchor(&self) -> impl Future<Output = RepoResult<Anchor>> + Send;
}

/// Writes checkpoints and prunes up to them (the service's schedulers).
pub trait CheckpointWriter: Send + Sync {
    /// Stores `c`; `false` when a checkpoint at its seq exists already (another instance made
    /// it first), which is not an error.
    fn add_checkpoint(&self, c: &Checkpoint) -> impl Future<Output = RepoResult<bool>> + Send;
    /// The newest checkpoint above the anchor that may become the new anchor at `cutoff`: the
    /// checkpoint was made before `cutoff` and the event it signs is older than `cutoff`.
    fn prunable_checkpoint(
        &self,
        cutoff: Timestamp,
    ) -> impl Future<Output = RepoResult<Option<Checkpoint>>> + Send;
    /// Moves the anchor forward to `to` (a stored checkpoint) and appends `event`, the record
    /// of that decision, in the same transaction.
    fn move_anchor(
        &self,
        to: &Checkpoint,
        event: NewEvent,
    ) -> impl Future<Output = RepoResult<()>> + Send;
    /// Deletes up to `limit` events at or below the anchor, and the checkpoints below it;
    /// returns how many events went (0: nothing left to prune).
    fn prune_below_anchor(&self, limit: u32) -> impl Future<Output = RepoResult<u64>> + Send;
}

/// Runs CPU-heavy work (Argon2, rebuilding a million-entry index) where it does not stall the
/// caller's executor. Use cases take it as a parameter; the binary supplies one backed by its
/// runtime's blocking pool, tests can run the work inline ([`Inline`]).
///
/// # Correctness
///
/// Implementations must run `work` exactly once and return its result, or fail with
/// [`Offloaded`] when it could not run (the pool is shut down, the work panicked).
pub trait Offload: Send + Sync {
    /// Runs `work` and returns its result. The work is boxed so its type carries none of the
    /// caller's lifetimes (a closure type would, and the compiler then cannot prove the
    /// caller's future `Send`).
    fn run<T: Send + 'static>(
        &self,
        work: Work<T>,
    ) -> impl Future<Output = Result<T, Offloaded>> + Send;
}

/// Work for an [`Offload`].
pub type Work<T> = Box<dyn FnOnce() -> T + Send + 'static>;

/// Work handed to an [`Offload`] did not complete.
#[derive(Debug, Error)]
#[error("background work did not complete: {0}")]
pub struct Offloaded(pub String);

/// Runs the work on the calling thread (tests, command-line tools without a runtime).
#[derive(Debug, Clone, Copy, Default)]
pub struct Inline;

impl Offload for Inline {
    async fn run<T: Send + 'static>(&self, work: Work<T>) -> Result<T, Offloaded> {
        Ok(work())
    }
}

/// Records a decision that has no state change of its own to ride on (a denied request, a
/// rejected code): the event is queued and written in batches, so the caller never waits on
/// the database. Implementations must not block and must count what they cannot record.
pub trait Audit: Send + Sync {
    /// Queues `event` for the log.
    fn record(&self, event: NewEvent);

    /// Queues a refusal that an attacker can repeat at will (a denied request, a wrong code):
    /// implementations may aggregate repeats of one `group` per time window (see
    /// [`crate::Repeats`]) but must account for every one. The default records each.
    fn record_repeatable(&self, group: String, event: NewEvent) {
        let _ = group;
        self.record(event);
    }
}

/// Liveness of the storage (`/healthz`).
pub trait StoreHealth: Send + Sync {
    /// `(engine name, schema version)`, or an error when the storage does not answer.
    fn health(&self) -> impl Future<Output = RepoResult<(&'static str, i64)>> + Send;
}
