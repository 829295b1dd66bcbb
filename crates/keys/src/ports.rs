//! The storage the key service needs, split by caller: API keys, TOTP enrolments and attempts,
//! replay claims, operator tokens. `custodia-store` implements them for SQLite and PostgreSQL.
//!
//! Everything that must hold across restarts and across service instances behind one load
//! balancer (lockout counters, used TOTP steps, accepted signatures) lives here, in the shared
//! store, and every check-and-record is one atomic statement or transaction: an attacker who
//! sends requests in parallel, or to several instances, gets no more tries than one who waits.
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
    /// Reserves one code check for `user` *before* the code is evaluated, in one atomic
    /// statement: when fewer than `max_attempts` checks were made since the last success and
    /// the lockout has not ended, the attempt is counted and admitted, and the lockout is pushed
    /// to `at + lockout_ms`; otherwise it is refused. After the lockout ends the count starts
    /// again. A burst of concurrent guesses therefore gets at most `max_attempts` evaluations.
    fn begin_totp_attempt(
        &self,
        user: &AccountId,
        at: Timestamp,
        max_attempts: u32,
        lockout_ms: i64,
    ) -> impl Future<Output = RepoResult<TotpAttempt>> + Send;
    /// Clears the attempt count after a correct code.
    fn clear_totp_attempts(&self, user: &AccountId) -> impl Future<Output = RepoResult<()>> + Send;
}

/// The answer of [`TotpRepo::begin_totp_attempt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpAttempt {
    /// Counted; evaluate the code. `attempt` is 1 for the first since the last success.
    Admitted {
        /// Which attempt this is (1-based).
        attempt: u32,
    },
    /// Too many attempts: refused without evaluating the code until `until`.
    Locked {
        /// When the lockout ends.
        until: Timestamp,
    },
}

/// Accepted signed requests, so a captured request cannot be replayed while its timestamp is
/// still acceptable — on this instance, on another one, or after a restart.
pub trait ReplayRepo: Send + Sync {
    /// Claims `claim` (a key id and the signature it accepted) until `expires`. `Ok(true)`: first
    /// claim (or the earlier claim had expired); `Ok(false)`: already claimed and still live.
    /// Concurrent claims of the same value: exactly one gets `true`.
    fn claim_request(
        &self,
        claim: &ReplayClaim,
        expires: Timestamp,
        now: Timestamp,
    ) -> impl Future<Output = RepoResult<bool>> + Send;
    /// Deletes claims that expired at or before `now`; returns how many.
    fn purge_claims(&self, now: Timestamp) -> impl Future<Output = RepoResult<u64>> + Send;
}

/// What a replay claim records: the request's own signed timestamp, and the key id (16 bytes)
/// followed by the 32-byte signature. Signatures are HMAC outputs under the key's secret, so a
/// caller cannot choose one that collides with another user's claim. The timestamp leads the
/// stored key so that new claims land together at the end of the index (cheap appends) and old
/// ones leave from its start; a replay carries the same signed timestamp, so it meets its claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplayClaim {
    /// The request's `OK-ACCESS-TIMESTAMP`.
    pub signed_at: Timestamp,
    /// Key id ‖ signature.
    pub bytes: [u8; 48],
}

impl ReplayClaim {
    /// The claim for `sign`, signed at `signed_at`, accepted under `key`.
    pub fn new(key: &ApiKeyId, sign: &[u8; 32], signed_at: Timestamp) -> Self {
        let mut b = [0u8; 48];
        b[..16].copy_from_slice(key.as_bytes());
        b[16..].copy_from_slice(sign);
        Self {
            signed_at,
            bytes: b,
        }
    }
}
