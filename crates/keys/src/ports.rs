//! The storage the key service needs, split by caller: API keys, TOTP enrolments, operator
//! tokens. `custodia-store` implements them for SQLite and PostgreSQL.
//!
//! Every write that records a decision takes the [`NewEvent`]s to append and must write them in
//! the same transaction as the state change: the log never misses a decision that took effect,
//! and never records one that did not.

use core::fmt;
use std::future::Future;

use custodia_events::{Event, NewEvent, RepoResult, Timestamp};
use custodia_primitives::AccountId;

use crate::{ApiKey, ApiKeyId, KeyStatus};

/// API keys (the key service).
pub trait ApiKeyRepo: Send + Sync {
    /// Stores a new key and its creation event atomically.
    fn create_key(
        &self,
        key: &ApiKey,
        event: NewEvent,
    ) -> impl Future<Output = RepoResult<Event>> + Send;
    /// A key by id, whatever its status.
    fn key(&self, id: &ApiKeyId) -> impl Future<Output = RepoResult<Option<ApiKey>>> + Send;
    /// A user's keys, newest first, whatever their status.
    fn keys_of(&self, user: &AccountId) -> impl Future<Output = RepoResult<Vec<ApiKey>>> + Send;
    /// Moves an active key owned by `user` to `status` and appends `event`, atomically.
    /// `Ok(false)` (and nothing written) when no such active key exists.
    fn end_key(
        &self,
        id: &ApiKeyId,
        user: &AccountId,
        status: KeyStatus,
        at: Timestamp,
        event: NewEvent,
    ) -> impl Future<Output = RepoResult<bool>> + Send;
    /// Records authenticated calls (`last_used_at` only moves forward) and their events.
    fn record_usage(
        &self,
        uses: &[(ApiKeyId, Timestamp)],
        events: Vec<NewEvent>,
    ) -> impl Future<Output = RepoResult<()>> + Send;
    /// Active keys with trade or withdraw, no IP binding, and last activity at or before `cutoff`.
    fn idle_candidates(
        &self,
        cutoff: Timestamp,
        limit: u32,
    ) -> impl Future<Output = RepoResult<Vec<ApiKey>>> + Send;
    /// Expires one key if it is *still* idle at `cutoff` (re-checked in the transaction, so a
    /// concurrent use wins), appending `event`. `Ok(false)` when it no longer qualifies.
    fn expire_idle_key(
        &self,
        id: &ApiKeyId,
        cutoff: Timestamp,
        at: Timestamp,
        event: NewEvent,
    ) -> impl Future<Output = RepoResult<bool>> + Send;
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
    fn totp(&self, user: &AccountId)
    -> impl Future<Output = RepoResult<Option<TotpRecord>>> + Send;
    /// Enrols a user; `Ok(false)` when already enrolled (nothing written).
    fn enroll_totp(
        &self,
        user: &AccountId,
        seed_sealed: &[u8],
        at: Timestamp,
        event: NewEvent,
    ) -> impl Future<Output = RepoResult<bool>> + Send;
    /// Marks `step` used if it is later than the last used step (compare-and-set). `Ok(false)`
    /// means the code was used already, possibly by a concurrent request.
    fn consume_totp_step(
        &self,
        user: &AccountId,
        step: i64,
    ) -> impl Future<Output = RepoResult<bool>> + Send;
}
