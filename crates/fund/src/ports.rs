//! The storage the fund needs. `custodia-store` implements it for SQLite and PostgreSQL: every
//! batch of operations is one transaction that serialises with every other writer, so two
//! service instances never apply one key twice.

use std::future::Future;

use custodia_events::{RepoResult, Timestamp};

use crate::adl::AdlPolicy;
use crate::error::FundResult;
use crate::ledger::{EntryKind, OpKey, Outcome, PoolState, Request};
use crate::pool::{BusinessLine, PoolId, PoolSpec};

/// An operation as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// Its key.
    pub key: OpKey,
    /// What it did.
    pub outcome: Outcome,
    /// `true` when the key had been applied before and this is the stored answer.
    pub replayed: bool,
}

/// Which journal lines to read, newest first (OKX's paging: `after` reads lines older than an
/// id, `before` newer ones).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalQuery {
    /// One pool.
    pub pool: Option<PoolId>,
    /// One business line.
    pub line: Option<BusinessLine>,
    /// One instrument family (`BTC-USDT`).
    pub family: Option<String>,
    /// One currency.
    pub ccy: Option<String>,
    /// One type.
    pub kind: Option<EntryKind>,
    /// Lines with a smaller id.
    pub after: Option<i64>,
    /// Lines with a larger id.
    pub before: Option<i64>,
    /// At most this many (1–100).
    pub limit: u32,
}

/// A journal line of one pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    /// Increasing id (the paging cursor).
    pub id: i64,
    /// The pool.
    pub pool: PoolId,
    /// The type.
    pub kind: EntryKind,
    /// Signed change, smallest units.
    pub amount: i64,
    /// Balance after.
    pub balance: u64,
    /// For ADL lines, the `adlType`.
    pub adl_type: Option<String>,
    /// The window's peak then, and when.
    pub max_bal: Option<(u64, i64)>,
    /// The operation's key.
    pub key: String,
    /// When.
    pub at: Timestamp,
}

/// How often one kind of journal line was posted on one pool in a period, and its sum: what
/// the operator console counts, read from the journal itself (exact whatever the event log's
/// retention).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolActivity {
    /// The pool.
    pub pool: PoolId,
    /// The type.
    pub kind: EntryKind,
    /// For ADL lines, the `adlType` (`rate_adl_start`, …, `adl_end`).
    pub adl_type: Option<String>,
    /// Lines posted.
    pub count: u64,
    /// Their signed sum, smallest units.
    pub total: i64,
}

/// The fund's storage.
pub trait FundRepo: Send + Sync {
    /// Creates the pools that do not exist yet (empty) and updates the floor and decimals of
    /// those that do; pools missing from `specs` are kept (their history stays readable).
    fn ensure_pools(
        &self,
        specs: &[PoolSpec],
        at: Timestamp,
    ) -> impl Future<Output = RepoResult<()>> + Send;

    /// Applies `requests` in order in one transaction, each through [`crate::apply`]: a key seen
    /// before returns its stored outcome (or [`crate::FundError::KeyReused`] if the content
    /// differs), a refused request posts nothing, and every applied one records its legs, its
    /// key with the outcome, the pools' new states and its events together.
    fn submit(
        &self,
        requests: &[Request],
        policy: &AdlPolicy,
        at: Timestamp,
    ) -> impl Future<Output = RepoResult<Vec<FundResult<Submitted>>>> + Send;

    /// Every pool's current state.
    fn pools(&self) -> impl Future<Output = RepoResult<Vec<PoolState>>> + Send;

    /// Journal lines on pools, newest first.
    fn journal(
        &self,
        query: &JournalQuery,
    ) -> impl Future<Output = RepoResult<Vec<JournalRow>>> + Send;

    /// Journal lines on pools posted in `[from, to)`, counted and summed per pool, type and
    /// `adlType`, ordered by them.
    fn activity(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Future<Output = RepoResult<Vec<PoolActivity>>> + Send;

    /// A pool's balance at the end of each `step_ms` bucket of `[from, to)` in which it changed.
    fn balances(
        &self,
        pool: &PoolId,
        from: Timestamp,
        to: Timestamp,
        step_ms: i64,
    ) -> impl Future<Output = RepoResult<Vec<(Timestamp, u64)>>> + Send;
}
