//! The repository traits, split by what each caller needs.
//!
//! To add a service's storage:
//! 1. define a trait here with only the operations its handlers call;
//! 2. add its tables as a new [`crate::Migration`] (never edit an old one);
//! 3. implement the trait for [`crate::Store`] — every write that records a decision takes the
//!    [`NewEvent`]s to append in the same transaction;
//! 4. test it in `tests/store.rs` through `for_each_backend`, so it runs on SQLite and PostgreSQL.

use core::fmt;
use std::future::Future;

use custodia_events::{Digest, Event, NewEvent, Timestamp};
use custodia_guard::{AddressEntry, DomainEntry};
use custodia_keys::{ApiKey, ApiKeyId, KeyStatus};
use custodia_primitives::AccountId;

use crate::StoreError;

type R<T> = Result<T, StoreError>;

/// Appends to the event log (every service).
pub trait EventAppender: Send + Sync {
    /// Appends events in order, atomically; returns them with seq and hashes.
    fn append(&self, events: Vec<NewEvent>) -> impl Future<Output = R<Vec<Event>>> + Send;
}

/// Reads the event log (audit, reports).
pub trait EventReader: Send + Sync {
    /// Up to `limit` events with `seq > after`, in order.
    fn events_after(&self, after: u64, limit: u32) -> impl Future<Output = R<Vec<Event>>> + Send;
    /// The last event's seq and hash (`(0, GENESIS_HASH)` for an empty log).
    fn head(&self) -> impl Future<Output = R<(u64, Digest)>> + Send;
    /// Events of `kind` with `from <= time < to`.
    fn count_kind(
        &self,
        kind: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Future<Output = R<u64>> + Send;
    /// Up to `limit` events whose kind is one of `kinds`, with `from <= time < to` and
    /// `seq > after`, in seq order (reports: page with the last seq returned).
    fn events_of_kinds(
        &self,
        kinds: &[&str],
        from: Timestamp,
        to: Timestamp,
        after: u64,
        limit: u32,
    ) -> impl Future<Output = R<Vec<Event>>> + Send;
}

/// API keys (the key service).
pub trait ApiKeyRepo: Send + Sync {
    /// Stores a new key and its creation event atomically.
    fn create_key(&self, key: &ApiKey, event: NewEvent) -> impl Future<Output = R<Event>> + Send;
    /// A key by id, whatever its status.
    fn key(&self, id: &ApiKeyId) -> impl Future<Output = R<Option<ApiKey>>> + Send;
    /// A user's keys, newest first, whatever their status.
    fn keys_of(&self, user: &AccountId) -> impl Future<Output = R<Vec<ApiKey>>> + Send;
    /// Moves an active key owned by `user` to `status` and appends `event`, atomically.
    /// `Ok(false)` (and nothing written) when no such active key exists.
    fn end_key(
        &self,
        id: &ApiKeyId,
        user: &AccountId,
        status: KeyStatus,
        at: Timestamp,
        event: NewEvent,
    ) -> impl Future<Output = R<bool>> + Send;
    /// Records authenticated calls (`last_used_at` only moves forward) and their events.
    fn record_usage(
        &self,
        uses: &[(ApiKeyId, Timestamp)],
        events: Vec<NewEvent>,
    ) -> impl Future<Output = R<()>> + Send;
    /// Active keys with trade or withdraw, no IP binding, and last activity at or before `cutoff`.
    fn idle_candidates(
        &self,
        cutoff: Timestamp,
        limit: u32,
    ) -> impl Future<Output = R<Vec<ApiKey>>> + Send;
    /// Expires one key if it is *still* idle at `cutoff` (re-checked in the transaction, so a
    /// concurrent use wins), appending `event`. `Ok(false)` when it no longer qualifies.
    fn expire_idle_key(
        &self,
        id: &ApiKeyId,
        cutoff: Timestamp,
        at: Timestamp,
        event: NewEvent,
    ) -> impl Future<Output = R<bool>> + Send;
}

/// A user's TOTP enrolment.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpRecord {
    /// The seed, sealed under the KEK.
    pub seed_sealed: Vec<u8>,
    /// The last step a code was accepted for.
    pub last_step: Option<i64>,
}

impl fmt::Debug for TotpRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpRecord")
            .field("seed_sealed", &"***")
            .field("last_step", &self.last_step)
            .finish()
    }
}

/// TOTP enrolments (second factor for key creation; later login defence).
pub trait TotpRepo: Send + Sync {
    /// The user's enrolment.
    fn totp(&self, user: &AccountId) -> impl Future<Output = R<Option<TotpRecord>>> + Send;
    /// Enrols a user; `Ok(false)` when already enrolled (nothing written).
    fn enroll_totp(
        &self,
        user: &AccountId,
        seed_sealed: &[u8],
        at: Timestamp,
        event: NewEvent,
    ) -> impl Future<Output = R<bool>> + Send;
    /// Marks `step` used if it is later than the last used step (compare-and-set). `Ok(false)`
    /// means the code was used already, possibly by a concurrent request.
    fn consume_totp_step(
        &self,
        user: &AccountId,
        step: i64,
    ) -> impl Future<Output = R<bool>> + Send;
}

/// An operator's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, including token management.
    Admin,
    /// Read-only: audit log, chain verification, key listings.
    Analyst,
    /// Machine callers: the gateway check and user-initiated key management from the web back end.
    Service,
}

impl Role {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Analyst => "analyst",
            Self::Service => "service",
        }
    }

    /// From the stored and wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "analyst" => Some(Self::Analyst),
            "service" => Some(Self::Service),
            _ => None,
        }
    }
}

/// An operator token as stored: only its SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct OperatorRecord {
    /// Random id.
    pub id: String,
    /// Unique human name (`gateway-1`, `alice`).
    pub name: String,
    /// Role.
    pub role: Role,
    /// SHA-256 of the bearer token.
    pub token_hash: [u8; 32],
    /// Creation time.
    pub created_at: Timestamp,
    /// Revocation time, if revoked.
    pub revoked_at: Option<Timestamp>,
}

impl fmt::Debug for OperatorRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OperatorRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// Operator tokens (the API's bearer authentication).
pub trait OperatorRepo: Send + Sync {
    /// Stores a new operator and its event; [`StoreError::Conflict`] if the name is taken.
    fn create_operator(
        &self,
        rec: &OperatorRecord,
        event: NewEvent,
    ) -> impl Future<Output = R<Event>> + Send;
    /// The operator whose token hashes to `hash`, if not revoked.
    fn operator_by_token_hash(
        &self,
        hash: &[u8; 32],
    ) -> impl Future<Output = R<Option<OperatorRecord>>> + Send;
    /// Number of unrevoked operators with `role`.
    fn count_operators(&self, role: Role) -> impl Future<Output = R<u64>> + Send;
}

/// Liveness of the store (`/healthz`).
pub trait StoreHealth: Send + Sync {
    /// `(engine name, schema version)`, or an error when the database does not answer.
    fn health(&self) -> impl Future<Output = R<(&'static str, i64)>> + Send;
}

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
    ) -> impl Future<Output = R<GuardReplaced>> + Send;
    /// Every stored entry (read in pages, so memory holds entries, not driver rows).
    fn guard_lists(&self) -> impl Future<Output = R<GuardLists>> + Send;
    /// Stores a published snapshot and its event atomically, then keeps only the newest `keep`
    /// snapshots (at least one). [`StoreError::Conflict`] when the version exists.
    fn put_guard_snapshot(
        &self,
        snapshot: &StoredSnapshot,
        keep: u32,
        event: NewEvent,
    ) -> impl Future<Output = R<Event>> + Send;
    /// The snapshot with `version`, if stored.
    fn guard_snapshot(
        &self,
        version: u64,
    ) -> impl Future<Output = R<Option<StoredSnapshot>>> + Send;
    /// The newest snapshot, if any.
    fn latest_guard_snapshot(&self) -> impl Future<Output = R<Option<StoredSnapshot>>> + Send;
}
