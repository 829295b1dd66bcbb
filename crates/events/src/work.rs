//! The shared job queue as a domain crate sees it: submit work under an idempotency key, claim
//! it under a lease, finish or fail it, read where it stands. The store implements it over its
//! `jobs` table (`custodia_store::jobs`, which documents the full model: fencing tokens,
//! reclaiming expired leases, attempts); use cases that run as jobs (token simulations) are
//! generic over this port and never see SQL.

use std::future::Future;
use std::time::Duration;

use crate::ports::RepoResult;
use crate::time::Timestamp;

/// What [`WorkQueue::submit_work`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkTicket {
    /// The job's id.
    pub id: u64,
    /// `false` when the key was already submitted (the existing job is returned).
    pub created: bool,
}

/// A worker's hold on one job. Only the job's latest lease is honoured: a worker whose lease
/// expired and whose job another worker reclaimed gets a conflict on every call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkLease {
    /// The job.
    pub job: u64,
    /// Who holds it.
    pub worker: String,
    /// The fencing token of this claim.
    pub token: u64,
    /// Others may reclaim the job after this.
    pub expires_at: Timestamp,
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedWork {
    /// The lease to finish it with.
    pub lease: WorkLease,
    /// Its idempotency key.
    pub key: String,
    /// What was submitted.
    pub payload: Vec<u8>,
    /// Claims so far, this one included.
    pub attempts: u32,
    /// Claims allowed.
    pub max_attempts: u32,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkState {
    /// Waiting for a worker.
    Queued,
    /// A worker holds it.
    Leased,
    /// Finished; its result is stored.
    Done,
    /// Given up; its last error says why.
    Dead,
}

impl WorkState {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Leased => "leased",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }
}

/// A job as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkStatus {
    /// Its id.
    pub id: u64,
    /// Its idempotency key.
    pub key: String,
    /// Its state.
    pub state: WorkState,
    /// Claims so far.
    pub attempts: u32,
    /// Claims allowed.
    pub max_attempts: u32,
    /// When it was submitted.
    pub created_at: Timestamp,
    /// When it became done or dead.
    pub finished_at: Option<Timestamp>,
    /// The last failure's reason.
    pub last_error: Option<String>,
    /// What the worker stored on completion.
    pub result: Option<Vec<u8>>,
}

/// The job queue, for use cases that run as jobs. Errors: `RepoError::Conflict` when a key is
/// reused with another payload or a lease is no longer the job's current one (the worker
/// must drop its result), `RepoError::Unavailable` otherwise.
pub trait WorkQueue: Send + Sync {
    /// Adds a job to `queue` unless `key` is already there (then returns that job).
    fn submit_work(
        &self,
        queue: &str,
        key: &str,
        payload: &[u8],
        max_attempts: u32,
        at: Timestamp,
    ) -> impl Future<Output = RepoResult<WorkTicket>> + Send;

    /// Leases the next due job of `queue` (expired leases first: their worker died) to
    /// `worker` until `now + lease_for`.
    fn claim_work(
        &self,
        queue: &str,
        worker: &str,
        lease_for: Duration,
        now: Timestamp,
    ) -> impl Future<Output = RepoResult<Option<ClaimedWork>>> + Send;

    /// Marks the job done with `result`; `Ok(false)` when this lease had done so already.
    fn complete_work(
        &self,
        lease: &WorkLease,
        result: &[u8],
        at: Timestamp,
    ) -> impl Future<Output = RepoResult<bool>> + Send;

    /// Ends the attempt: queued again at `retry_at` while attempts remain, dead otherwise
    /// (or at once with `None`). Returns the new state.
    fn fail_work(
        &self,
        lease: &WorkLease,
        reason: &str,
        at: Timestamp,
        retry_at: Option<Timestamp>,
    ) -> impl Future<Output = RepoResult<WorkState>> + Send;

    /// Job `id` if it belongs to `queue`.
    fn work_status(
        &self,
        queue: &str,
        id: u64,
    ) -> impl Future<Output = RepoResult<Option<WorkStatus>>> + Send;
}
