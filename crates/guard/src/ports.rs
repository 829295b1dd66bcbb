//! The storage the guard needs: its lists and published snapshots. `custodia-store`
//! implements it for SQLite and PostgreSQL.

use core::fmt;
use std::future::Future;

#[cfg(doc)]
use custodia_events::RepoError;
use custodia_events::{Event, NewEvent, RepoResult, Timestamp};

use crate::{AddressEntry, DomainEntry};

/// One list import's replacement (threat intelligence). Every stored row owned by
/// `list_source` in a part given as `Some` is deleted and the part's entries are inserted;
/// parts given as `None` are left alone. `Some(&[])` empties that part.
#[derive(Debug, Clone, Copy)]
pub struct GuardReplace<'a> {
    /// The list's name as the operator gave it (`ofac-sdn`, `scamsniffer`, `metamask`): the
    /// owner of the rows. Entries may carry a more specific source (`metamask:default@2`).
    pub list_source: &'a str,
    /// Listed addresses.
    pub addresses: Option<&'a [AddressEntry]>,
    /// Blocked hosts.
    pub blocked: Option<&'a [DomainEntry]>,
    /// Allowed hosts.
    pub allowed: Option<&'a [DomainEntry]>,
    /// Import time (stored as `imported_at`).
    pub at: Timestamp,
}

/// What [`GuardRepo::replace_guard_list`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardReplaced {
    /// Rows of `list_source` deleted (in the parts replaced).
    pub removed: u64,
    /// Rows inserted.
    pub inserted: u64,
    /// The events appended, with seq and hashes.
    pub events: Vec<Event>,
}

/// Every stored list entry, to rebuild the in-memory index and checker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardLists {
    /// Listed addresses, one per (address, source).
    pub addresses: Vec<AddressEntry>,
    /// Blocked hosts (a host blocked by two lists appears twice, once per source).
    pub blocked: Vec<DomainEntry>,
    /// Allowed hosts.
    pub allowed: Vec<DomainEntry>,
}

/// A published offline snapshot as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSnapshot {
    /// Data version (1, 2, …): unique, increasing.
    pub version: u64,
    /// Creation time written in the snapshot (Unix seconds).
    pub created: u64,
    /// SHA-256 of `bytes` (the file as served).
    pub sha256: [u8; 32],
    /// The encoded snapshot.
    pub bytes: Vec<u8>,
    /// When it was stored.
    pub published_at: Timestamp,
}

impl fmt::Debug for StoredSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSnapshot")
            .field("version", &self.version)
            .field("created", &self.created)
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// Threat-intelligence lists and snapshots (the guard service).
///
/// # Correctness
///
/// Entry sources derived from a list (`<list_source>:<detail>`) must not collide with another
/// list's names; the API restricts list names to `[A-Za-z0-9._-]` so they cannot.
pub trait GuardRepo: Send + Sync {
    /// Replaces one list's rows and appends its `guard.list_imported` events, in one
    /// transaction: either everything is written or nothing is.
    fn replace_guard_list(
        &self,
        replace: GuardReplace<'_>,
        events: Vec<NewEvent>,
    ) -> impl Future<Output = RepoResult<GuardReplaced>> + Send;
    /// Every stored entry (read in pages, so memory holds entries, not driver rows).
    fn guard_lists(&self) -> impl Future<Output = RepoResult<GuardLists>> + Send;
    /// Stores a published snapshot and its event atomically, then keeps only the newest `keep`
    /// snapshots (at least one). [`RepoError::Conflict`] when the version exists.
    fn put_guard_snapshot(
        &self,
        snapshot: &StoredSnapshot,
        keep: u32,
        event: NewEvent,
    ) -> impl Future<Output = RepoResult<Event>> + Send;
    /// The snapshot with `version`, if stored.
    fn guard_snapshot(
        &self,
        version: u64,
    ) -> impl Future<Output = RepoResult<Option<StoredSnapshot>>> + Send;
    /// The newest snapshot, if any.
    fn latest_guard_snapshot(
        &self,
    ) -> impl Future<Output = RepoResult<Option<StoredSnapshot>>> + Send;
}
