//! A generic, crash-safe job queue kept in the one database.
//!
//! Batch STARK proving on many machines, token simulations and the monthly report runs share it:
//! a scheduler enqueues jobs, workers anywhere claim them through the database the operators
//! already run, and a crashed worker's job goes back to the others when its lease runs out.
//!
//! # Model
//!
//! - A **job** lives in a named queue (`"por.batch"`) under an **idempotency key** unique in that
//!   queue (`"round-2026-11/batch-00007"`). Enqueueing the same key again returns the existing
//!   job instead of adding one, so a scheduler that crashed half-way simply enqueues everything
//!   again. The same key with a *different* payload is refused ([`StoreError::JobKeyReused`]):
//!   that is a caller reusing a key for other work, which would otherwise vanish silently.
//! - **States**: [`JobState::Queued`] → [`JobState::Leased`] → [`JobState::Done`], or back to
//!   `Queued` after a failure with retries left, or [`JobState::Dead`] once out of attempts.
//!   `Dead` is final. `Done` is final too, except that [`JobQueue::reopen`] sends a done job
//!   back to `Queued` when whoever checks its result finds it bad (a corrupted upload).
//! - A **claim** hands one due job to one worker under a [`Lease`] that lasts until its
//!   `expires_at`. Each claim increments the job's lease token: the token is a fencing token,
//!   so of all the leases ever handed out for a job at most one is current.
//! - **Heartbeats** move `expires_at` forward; **complete** and **fail** end the lease. All three
//!   succeed only for the current lease (same job, worker and token, job still leased) and
//!   otherwise fail with [`StoreError::LeaseLost`]: the worker must stop and drop its result.
//!   Repeating `complete` or `fail` with the lease that already did it returns the same outcome
//!   again (a worker that retries after a lost reply is not punished).
//! - **Reclaiming**: a leased job whose `expires_at < now` is claimable again, by any worker;
//!   the new claim bumps the token, and from then on the old holder's calls are rejected.
//!   Expiry alone does not revoke a lease: until someone reclaims the job, a late holder may
//!   still heartbeat or complete it (its work is not thrown away for nothing).
//! - **Attempts**: every claim counts one attempt. `fail` with [`Retry::At`] requeues the job
//!   for that time while attempts remain, and otherwise (or with [`Retry::Never`]) marks it dead
//!   with the reason as its last error. A job whose lease expires on its last attempt (the
//!   worker keeps dying on it) is marked dead by the next claim in its queue instead of being
//!   handed out forever.
//! - **Claim order**: expired leases first (oldest expiry first: that work is overdue), then
//!   queued jobs whose `not_before <= now` by `(not_before, created_at, id)`.
//!
//! # Correctness
//!
//! Two workers never hold one job: a claim picks and leases its job in one transaction that
//! no other claim can interleave with. PostgreSQL picks with `SELECT … FOR UPDATE SKIP LOCKED`
//! (concurrent claimers pass over each other's rows instead of waiting, and no claim ever
//! waits on a lock, so claims cannot deadlock); SQLite takes its write lock up front with
//! `BEGIN IMMEDIATE` (one writer at a time; the busy timeout queues the others). Heartbeat,
//! complete and fail are each one conditional `UPDATE` on the job's row, so they serialise with
//! claims on that row on both engines.
//!
//! Time enters as parameters (`now`, `at`, `extend_to`): the store never reads a clock, so every
//! worker decides expiry with the clock it is given and tests are deterministic. Workers on
//! several machines should pass times from synchronised clocks; a lease should be long against
//! their skew.
//!
//! Jobs are at-least-once: a worker that dies after doing the work but before `complete` has
//! its job run again. Jobs must be idempotent (a batch proof is: same input, same file).

use core::fmt;
use std::future::Future;
use std::num::NonZeroU32;
use std::time::Duration;

use custodia_events::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, Store, StoreError};

type R<T> = Result<T, StoreError>;

/// A job's id, assigned by the store at enqueue and never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(u64);

impl JobId {
    /// Wraps a raw id (as an operator types it).
    pub const fn new(id: u64) -> Self {
        Self(id)
    }

    /// The raw id.
    pub const fn get(self) -> u64 {
        self.0
    }

    fn sql(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Truncates rejected input for error messages.
fn shown(s: &str) -> String {
    s.chars().take(80).collect()
}

macro_rules! job_name {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal, $rule:literal, $ok:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Validates `s`: see the type's rule.
            pub fn new(s: impl Into<String>) -> Result<Self, StoreError> {
                let s = s.into();
                let ok: fn(&str) -> bool = $ok;
                if s.is_empty() || s.len() > $max || !ok(&s) {
                    return Err(StoreError::InvalidJobName {
                        what: $what,
                        got: shown(&s),
                        rule: $rule,
                    });
                }
                Ok(Self(s))
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// A value read back from the database (validated when it was written).
            fn from_stored(s: String) -> Self {
                Self(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// Printable ASCII without spaces: safe in logs, file names of reports and URLs' paths.
fn printable(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_graphic())
}

job_name!(
    /// A queue's name: 1–64 characters, lowercase letters, digits, `.`, `_`, `-`, starting with
    /// a letter (`"por.batch"`, `"token.sim"`, `"report.monthly"`).
    QueueName,
    "queue name",
    64,
    "1-64 characters of a-z, 0-9, '.', '_', '-', starting with a letter",
    |s| s.starts_with(|c: char| c.is_ascii_lowercase())
        && s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-_".contains(&b))
);

job_name!(
    /// A job's idempotency key, unique within its queue: 1–200 printable ASCII characters
    /// without spaces (`"round-2026-11/batch-00007"`).
    JobKey,
    "job key",
    200,
    "1-200 printable ASCII characters without spaces",
    printable
);

job_name!(
    /// Who holds a lease: 1–128 printable ASCII characters without spaces, unique per running
    /// worker (`"prover-03/pid-4121"`). Shown to operators; checked on every lease call.
    WorkerId,
    "worker id",
    128,
    "1-128 printable ASCII characters without spaces",
    printable
);

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for a worker (from its `not_before` on).
    Queued,
    /// Held by a worker until its lease expires (then claimable again).
    Leased,
    /// Completed; final.
    Done,
    /// Out of attempts, or failed without retry; final. Its last error says why.
    Dead,
}

impl JobState {
    /// Every state, in life order.
    pub const ALL: [Self; 4] = [Self::Queued, Self::Leased, Self::Done, Self::Dead];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Leased => "leased",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }

    fn from_stored(s: &str) -> R<Self> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| StoreError::corrupt("jobs", format!("state `{s}`")))
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// Its queue.
    pub queue: QueueName,
    /// Its idempotency key within the queue.
    pub key: JobKey,
    /// What the worker needs (JSON, a file name, …: opaque to the queue). Keep it small; large
    /// inputs belong in files the payload names.
    pub payload: Vec<u8>,
    /// Claims allowed before the job is given up (each claim is one attempt).
    pub max_attempts: NonZeroU32,
    /// Not claimable before this time.
    pub not_before: Timestamp,
}

/// What [`JobQueue::enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    /// The job under the key.
    pub id: JobId,
    /// `true` when this call added it, `false` when the key was already enqueued.
    pub created: bool,
}

/// A lease's fencing token: how many times the job had been claimed when this lease was
/// handed out. Only the job's latest token is honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeaseToken(u64);

impl LeaseToken {
    /// Wraps a raw token.
    pub const fn new(t: u64) -> Self {
        Self(t)
    }

    /// The raw token.
    pub const fn get(self) -> u64 {
        self.0
    }

    fn sql(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }
}

/// A worker's hold on one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The job.
    pub job: JobId,
    /// The holder.
    pub worker: WorkerId,
    /// The fencing token of this claim.
    pub token: LeaseToken,
    /// Other workers may reclaim the job once `now > expires_at`.
    pub expires_at: Timestamp,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// Its queue.
    pub queue: QueueName,
    /// Its idempotency key.
    pub key: JobKey,
    /// Its payload.
    pub payload: Vec<u8>,
    /// Its state.
    pub state: JobState,
    /// Claims so far.
    pub attempts: u32,
    /// Claims allowed.
    pub max_attempts: NonZeroU32,
    /// Not claimable before this time (moved by a retry).
    pub not_before: Timestamp,
    /// When it was enqueued.
    pub created_at: Timestamp,
    /// The worker that claimed it last, if any.
    pub worker: Option<WorkerId>,
    /// Its latest lease token (0: never claimed).
    pub lease_token: LeaseToken,
    /// While leased: when the lease expires.
    pub lease_expires: Option<Timestamp>,
    /// The reason given by the last failure (or the expiry that killed it).
    pub last_error: Option<String>,
    /// What `complete` stored.
    pub result: Option<Vec<u8>>,
    /// When it became done or dead.
    pub finished_at: Option<Timestamp>,
}

/// A successful claim: the lease and the job as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The lease to heartbeat, complete or fail with.
    pub lease: Lease,
    /// The job (its `attempts` counts this claim).
    pub job: Job,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Requeue for this time, if attempts remain (else the job is dead).
    At(Timestamp),
    /// Give up now: the job is dead whatever attempts remain (bad input, not bad luck).
    Never,
}

/// How many jobs of a queue are in each state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobCounts {
    /// Waiting (due or not yet due).
    pub queued: u64,
    /// Leased (including expired leases not yet reclaimed).
    pub leased: u64,
    /// Done.
    pub done: u64,
    /// Dead.
    pub dead: u64,
}

impl JobCounts {
    /// All jobs of the queue.
    pub fn total(&self) -> u64 {
        self.queued + self.leased + self.done + self.dead
    }

    /// Jobs in state `s`.
    pub fn get(&self, s: JobState) -> u64 {
        match s {
            JobState::Queued => self.queued,
            JobState::Leased => self.leased,
            JobState::Done => self.done,
            JobState::Dead => self.dead,
        }
    }
}

/// The queue as schedulers and workers use it.
///
/// # Correctness
///
/// Implementations must guarantee that at most one lease per job is current at any time, that
/// `heartbeat`, `complete` and `fail` act only with the current lease, and that every state
/// change is atomic. See the [module docs](self) for the full model.
pub trait JobQueue: Send + Sync {
    /// Adds a job unless its key is already in its queue; `at` is its creation time.
    /// Errors with [`StoreError::JobKeyReused`] when the key names a job with another payload.
    fn enqueue(&self, job: &NewJob, at: Timestamp) -> impl Future<Output = R<Enqueued>> + Send;

    /// Leases the next claimable job of `queue` to `worker` until `now + lease_for`, or `None`
    /// when nothing is claimable at `now`. Also marks dead the jobs whose lease expired on
    /// their last attempt.
    fn claim(
        &self,
        queue: &QueueName,
        worker: &WorkerId,
        lease_for: Duration,
        now: Timestamp,
    ) -> impl Future<Output = R<Option<Claimed>>> + Send;

    /// Moves the lease's expiry to `extend_to` and returns the updated lease;
    /// [`StoreError::LeaseLost`] when it is not the job's current lease.
    fn heartbeat(
        &self,
        lease: &Lease,
        extend_to: Timestamp,
    ) -> impl Future<Output = R<Lease>> + Send;

    /// Marks the job done with `result`. `Ok(true)` when this call did it, `Ok(false)` when this
    /// lease had completed it already (the first result is kept); [`StoreError::LeaseLost`]
    /// for any other lease.
    fn complete(
        &self,
        lease: &Lease,
        result: &[u8],
        at: Timestamp,
    ) -> impl Future<Output = R<bool>> + Send;

    /// Ends the attempt with `reason` and returns the job's new state: `Queued` (retry at the
    /// given time) or `Dead` (no attempts left, or [`Retry::Never`]). Repeating it with the same
    /// lease returns the same state; [`StoreError::LeaseLost`] for any other lease. Reasons
    /// longer than 8 KiB are cut.
    fn fail(
        &self,
        lease: &Lease,
        reason: &str,
        at: Timestamp,
        retry: Retry,
    ) -> impl Future<Output = R<JobState>> + Send;

    /// Sends a done job back to the queue (due at `at`) because its result turned out bad —
    /// an artefact that was corrupted after the worker checked it. Compare-and-set: only when
    /// the job is done *with `expected_result`*, so two checkers finding the same bad result
    /// reopen it once, and a job re-done since the check is left alone. `Ok(true)` when this
    /// call reopened it. The reopened job gets at least one more attempt; its lease token moves
    /// on, so the lease that completed it can no longer act on it. `reason` becomes its last
    /// error (cut at 8 KiB).
    fn reopen(
        &self,
        job: JobId,
        expected_result: &[u8],
        reason: &str,
        at: Timestamp,
    ) -> impl Future<Output = R<bool>> + Send;

    /// Sends a dead job back to the queue (due at `at`) with `extra_attempts` more attempts —
    /// an operator's decision after fixing what killed it (a full disk, a bad node). Only a dead
    /// job moves: `Ok(true)` when this call revived it, `Ok(false)` when it was not dead (two
    /// operators reviving at once revive it once). The lease token moves on, and `reason`
    /// (who revived it and why) becomes its last error, cut at 8 KiB.
    fn revive(
        &self,
        job: JobId,
        extra_attempts: u32,
        reason: &str,
        at: Timestamp,
    ) -> impl Future<Output = R<bool>> + Send;
}

/// One queue at a glance, for the service's metrics: is work piling up or stuck?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStats {
    /// The queue's name.
    pub queue: String,
    /// Jobs in each state.
    pub counts: JobCounts,
    /// When the oldest queued job that is due became due (`None`: nothing is waiting).
    pub oldest_due: Option<Timestamp>,
}

/// Reading the queue (operators, progress bars, tests).
pub trait JobReader: Send + Sync {
    /// Every queue that holds jobs, by name, with its counts and oldest due job at `now`.
    fn queue_stats(&self, now: Timestamp) -> impl Future<Output = R<Vec<QueueStats>>> + Send;

    /// One job.
    fn job(&self, id: JobId) -> impl Future<Output = R<Option<Job>>> + Send;

    /// How many jobs of `queue` are in each state.
    fn job_counts(&self, queue: &QueueName) -> impl Future<Output = R<JobCounts>> + Send;

    /// Up to `limit` jobs of `queue` in `state` with ids above `after`, by id (page with the
    /// last id returned).
    fn jobs(
        &self,
        queue: &QueueName,
        state: JobState,
        after: Option<JobId>,
        limit: u32,
    ) -> impl Future<Output = R<Vec<Job>>> + Send;
}

const JOB_COLUMNS: &str = "id, queue, job_key, payload, state, attempts, max_attempts, \
     not_before, created_at, worker, lease_token, lease_expires, last_error, result, finished_at";

/// Longest stored failure reason, in bytes.
const MAX_REASON_BYTES: usize = 8 * 1024;

fn job_row(r: &AnyRow) -> R<Job> {
    let int = |col: &'static str| -> R<i64> { Ok(r.try_get::<i64, _>(col)?) };
    let unsigned = |col: &'static str| -> R<u64> {
        u64::try_from(int(col)?).map_err(|_| StoreError::corrupt("jobs", format!("negative {col}")))
    };
    let small = |col: &'static str| -> R<u32> {
        u32::try_from(int(col)?)
            .map_err(|_| StoreError::corrupt("jobs", format!("{col} out of range")))
    };
    let time = |col: &'static str| -> R<Option<Timestamp>> {
        Ok(r.try_get::<Option<i64>, _>(col)?
            .map(Timestamp::from_millis))
    };
    let state: String = r.try_get("state")?;
    Ok(Job {
        id: JobId(unsigned("id")?),
        queue: QueueName::from_stored(r.try_get("queue")?),
        key: JobKey::from_stored(r.try_get("job_key")?),
        payload: r.try_get("payload")?,
        state: JobState::from_stored(&state)?,
        attempts: small("attempts")?,
        max_attempts: NonZeroU32::new(small("max_attempts")?)
            .ok_or_else(|| StoreError::corrupt("jobs", "max_attempts 0"))?,
        not_before: Timestamp::from_millis(int("not_before")?),
        created_at: Timestamp::from_millis(int("created_at")?),
        worker: r
            .try_get::<Option<String>, _>("worker")?
            .map(WorkerId::from_stored),
        lease_token: LeaseToken(unsigned("lease_token")?),
        lease_expires: time("lease_expires")?,
        last_error: r.try_get("last_error")?,
        result: r.try_get("result")?,
        finished_at: time("finished_at")?,
    })
}

/// The row lock a claim's candidate query takes: PostgreSQL skips rows another claim holds;
/// SQLite needs none (the claim runs under `BEGIN IMMEDIATE`, the only writer).
fn skip_locked(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    }
}

fn cut(reason: &str) -> &str {
    if reason.len() <= MAX_REASON_BYTES {
        return reason;
    }
    let mut end = MAX_REASON_BYTES;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

impl Store {
    /// The error for a lease call that matched no row: the job as it is now, against the lease.
    async fn lease_lost(&self, lease: &Lease) -> StoreError {
        match JobReader::job(self, lease.job).await {
            Err(e) => e,
            Ok(None) => StoreError::JobNotFound {
                job: lease.job.get(),
            },
            Ok(Some(j)) => StoreError::LeaseLost {
                job: lease.job.get(),
                worker: lease.worker.as_str().to_owned(),
                token: lease.token.get(),
                found_state: j.state.as_str(),
                found_token: j.lease_token.get(),
                found_worker: j.worker.map(|w| w.0),
            },
        }
    }

    /// The job if `lease` is the one that took it to its current state.
    async fn ended_by(&self, lease: &Lease) -> R<Option<Job>> {
        Ok(JobReader::job(self, lease.job)
            .await?
            .filter(|j| j.lease_token == lease.token && j.worker.as_ref() == Some(&lease.worker)))
    }
}

impl JobQueue for Store {
    async fn enqueue(&self, job: &NewJob, at: Timestamp) -> R<Enqueued> {
        let inserted = sqlx::query(
            "INSERT INTO jobs (queue, job_key, payload, state, attempts, max_attempts, not_before, \
             created_at, lease_token) VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, 0) \
             ON CONFLICT (queue, job_key) DO NOTHING RETURNING id",
        )
        .bind(job.queue.as_str())
        .bind(job.key.as_str())
        .bind(job.payload.as_slice())
        .bind(i64::from(job.max_attempts.get()))
        .bind(job.not_before.as_millis())
        .bind(at.as_millis())
        .fetch_optional(self.pool())
        .await?;
        if let Some(r) = inserted {
            let id: i64 = r.try_get("id")?;
            return Ok(Enqueued {
                id: JobId(u64::try_from(id).map_err(|_| StoreError::corrupt("jobs", "id"))?),
                created: true,
            });
        }
        // The key exists (rows are never deleted, so it is still there).
        let r = sqlx::query("SELECT id, payload FROM jobs WHERE queue = $1 AND job_key = $2")
            .bind(job.queue.as_str())
            .bind(job.key.as_str())
            .fetch_one(self.pool())
            .await?;
        let id: i64 = r.try_get("id")?;
        let id = JobId(u64::try_from(id).map_err(|_| StoreError::corrupt("jobs", "id"))?);
        let payload: Vec<u8> = r.try_get("payload")?;
        if payload != job.payload {
            return Err(StoreError::JobKeyReused {
                queue: job.queue.to_string(),
                key: job.key.to_string(),
                existing: id.get(),
            });
        }
        Ok(Enqueued { id, created: false })
    }

    async fn claim(
        &self,
        queue: &QueueName,
        worker: &WorkerId,
        lease_for: Duration,
        now: Timestamp,
    ) -> R<Option<Claimed>> {
        let expires = now.plus_millis(i64::try_from(lease_for.as_millis()).unwrap_or(i64::MAX));
        let lock = skip_locked(self.backend());
        let mut tx = match self.backend() {
            Backend::Sqlite => self.pool().begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool().begin().await?,
        };
        // Jobs whose worker died on their last attempt: dead, not handed out again. The token
        // moves on so the vanished holder's lease is stale if it ever comes back.
        let sweep = format!(
            "UPDATE jobs SET state = 'dead', lease_token = lease_token + 1, lease_expires = NULL, \
             finished_at = $3, last_error = 'lease of ' || worker || ' expired on the last attempt' \
             WHERE id IN (SELECT id FROM jobs WHERE queue = $1 AND state = 'leased' \
             AND lease_expires < $2 AND attempts >= max_attempts{lock})"
        );
        sqlx::query(&sweep)
            .bind(queue.as_str())
            .bind(now.as_millis())
            .bind(now.as_millis())
            .execute(&mut *tx)
            .await?;
        // Overdue work first (its worker is presumably gone), then due queued jobs.
        let candidates = [
            "state = 'leased' AND lease_expires < $2 AND attempts < max_attempts \
             ORDER BY lease_expires, id",
            "state = 'queued' AND not_before <= $2 ORDER BY not_before, created_at, id",
        ];
        let mut claimed = None;
        for pick in candidates {
            let sql = format!(
                "UPDATE jobs SET state = 'leased', worker = $3, lease_token = lease_token + 1, \
                 lease_expires = $4, attempts = attempts + 1 \
                 WHERE id = (SELECT id FROM jobs WHERE queue = $1 AND {pick} LIMIT 1{lock}) \
                 RETURNING {JOB_COLUMNS}"
            );
            let row = sqlx::query(&sql)
                .bind(queue.as_str())
                .bind(now.as_millis())
                .bind(worker.as_str())
                .bind(expires.as_millis())
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(r) = row {
                claimed = Some(job_row(&r)?);
                break;
            }
        }
        tx.commit().await?;
        Ok(claimed.map(|job| Claimed {
            lease: Lease {
                job: job.id,
                worker: worker.clone(),
                token: job.lease_token,
                expires_at: expires,
            },
            job,
        }))
    }

    async fn heartbeat(&self, lease: &Lease, extend_to: Timestamp) -> R<Lease> {
        let n = sqlx::query(
            "UPDATE jobs SET lease_expires = $1 \
             WHERE id = $2 AND state = 'leased' AND lease_token = $3 AND worker = $4",
        )
        .bind(extend_to.as_millis())
        .bind(lease.job.sql())
        .bind(lease.token.sql())
        .bind(lease.worker.as_str())
        .execute(self.pool())
        .await?
        .rows_affected();
        if n == 1 {
            return Ok(Lease {
                expires_at: extend_to,
                ..lease.clone()
            });
        }
        Err(self.lease_lost(lease).await)
    }

    async fn complete(&self, lease: &Lease, result: &[u8], at: Timestamp) -> R<bool> {
        let n = sqlx::query(
            "UPDATE jobs SET state = 'done', result = $1, finished_at = $2, lease_expires = NULL \
             WHERE id = $3 AND state = 'leased' AND lease_token = $4 AND worker = $5",
        )
        .bind(result)
        .bind(at.as_millis())
        .bind(lease.job.sql())
        .bind(lease.token.sql())
        .bind(lease.worker.as_str())
        .execute(self.pool())
        .await?
        .rows_affected();
        if n == 1 {
            return Ok(true);
        }
        // Done with this very token: only this lease's own complete can have done that (every
        // other transition of a leased job moves the token on).
        match self.ended_by(lease).await? {
            Some(j) if j.state == JobState::Done => Ok(false),
            _ => Err(self.lease_lost(lease).await),
        }
    }

    async fn fail(&self, lease: &Lease, reason: &str, at: Timestamp, retry: Retry) -> R<JobState> {
        let retry_at = match retry {
            Retry::At(t) => Some(t.as_millis()),
            Retry::Never => None,
        };
        // One statement decides retry or death from the row itself, so the attempt count it
        // reads is the one it changes.
        let row = sqlx::query(
            "UPDATE jobs SET \
             state = CASE WHEN $1 IS NULL OR attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
             not_before = CASE WHEN $1 IS NULL OR attempts >= max_attempts THEN not_before ELSE $1 END, \
             finished_at = CASE WHEN $1 IS NULL OR attempts >= max_attempts THEN $2 ELSE NULL END, \
             last_error = $3, lease_expires = NULL \
             WHERE id = $4 AND state = 'leased' AND lease_token = $5 AND worker = $6 \
             RETURNING state",
        )
        .bind(retry_at)
        .bind(at.as_millis())
        .bind(cut(reason))
        .bind(lease.job.sql())
        .bind(lease.token.sql())
        .bind(lease.worker.as_str())
        .fetch_optional(self.pool())
        .await?;
        if let Some(r) = row {
            let s: String = r.try_get("state")?;
            return JobState::from_stored(&s);
        }
        // Queued or dead with this very token: this lease's own earlier fail (a reclaim or
        // the expiry sweep would have moved the token on).
        match self.ended_by(lease).await? {
            Some(j) if matches!(j.state, JobState::Queued | JobState::Dead) => Ok(j.state),
            _ => Err(self.lease_lost(lease).await),
        }
    }

    async fn reopen(
        &self,
        job: JobId,
        expected_result: &[u8],
        reason: &str,
        at: Timestamp,
    ) -> R<bool> {
        let n = sqlx::query(
            "UPDATE jobs SET state = 'queued', not_before = $1, result = NULL, finished_at = NULL, \
             last_error = $2, lease_token = lease_token + 1, lease_expires = NULL, \
             max_attempts = CASE WHEN attempts >= max_attempts THEN attempts + 1 \
             ELSE max_attempts END \
             WHERE id = $3 AND state = 'done' AND result = $4",
        )
        .bind(at.as_millis())
        .bind(cut(reason))
        .bind(job.sql())
        .bind(expected_result)
        .execute(self.pool())
        .await?
        .rows_affected();
        self.moved(job, n).await
    }

    async fn revive(
        &self,
        job: JobId,
        extra_attempts: u32,
        reason: &str,
        at: Timestamp,
    ) -> R<bool> {
        let n = sqlx::query(
            "UPDATE jobs SET state = 'queued', not_before = $1, finished_at = NULL, \
             last_error = $2, lease_token = lease_token + 1, lease_expires = NULL, \
             max_attempts = attempts + $3 \
             WHERE id = $4 AND state = 'dead'",
        )
        .bind(at.as_millis())
        .bind(cut(reason))
        .bind(i64::from(extra_attempts.max(1)))
        .bind(job.sql())
        .execute(self.pool())
        .await?
        .rows_affected();
        self.moved(job, n).await
    }
}

impl Store {
    /// The answer of a compare-and-set state change that touched `n` rows of `job`: `true` when
    /// it moved the job, `false` when the job was not in the state it expected, and
    /// [`StoreError::JobNotFound`] when there is no such job.
    async fn moved(&self, job: JobId, n: u64) -> R<bool> {
        if n == 1 {
            return Ok(true);
        }
        match JobReader::job(self, job).await? {
            None => Err(StoreError::JobNotFound { job: job.get() }),
            Some(_) => Ok(false),
        }
    }
}

impl JobReader for Store {
    async fn queue_stats(&self, now: Timestamp) -> R<Vec<QueueStats>> {
        let rows = sqlx::query(
            "SELECT queue, state, COUNT(*) AS n, \
             MIN(CASE WHEN state = 'queued' AND not_before <= $1 THEN not_before END) AS due \
             FROM jobs GROUP BY queue, state ORDER BY queue",
        )
        .bind(now.as_millis())
        .fetch_all(self.pool())
        .await?;
        let mut out: Vec<QueueStats> = Vec::new();
        for r in &rows {
            let queue: String = r.try_get("queue")?;
            let state = JobState::from_stored(&r.try_get::<String, _>("state")?)?;
            let n = r.try_get::<i64, _>("n")?.max(0) as u64;
            let due: Option<i64> = r.try_get("due")?;
            if out.last().is_none_or(|q| q.queue != queue) {
                out.push(QueueStats {
                    queue,
                    counts: JobCounts::default(),
                    oldest_due: None,
                });
            }
            let q = out.last_mut().expect("pushed above");
            match state {
                JobState::Queued => q.counts.queued = n,
                JobState::Leased => q.counts.leased = n,
                JobState::Done => q.counts.done = n,
                JobState::Dead => q.counts.dead = n,
            }
            if let Some(d) = due {
                q.oldest_due = Some(Timestamp::from_millis(d));
            }
        }
        Ok(out)
    }

    async fn job(&self, id: JobId) -> R<Option<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id.sql())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(job_row).transpose()
    }

    async fn job_counts(&self, queue: &QueueName) -> R<JobCounts> {
        let rows =
            sqlx::query("SELECT state, COUNT(*) AS n FROM jobs WHERE queue = $1 GROUP BY state")
                .bind(queue.as_str())
                .fetch_all(self.pool())
                .await?;
        let mut c = JobCounts::default();
        for r in &rows {
            let s: String = r.try_get("state")?;
            let n: i64 = r.try_get("n")?;
            let n = n.max(0) as u64;
            match JobState::from_stored(&s)? {
                JobState::Queued => c.queued = n,
                JobState::Leased => c.leased = n,
                JobState::Done => c.done = n,
                JobState::Dead => c.dead = n,
            }
        }
        Ok(c)
    }

    async fn jobs(
        &self,
        queue: &QueueName,
        state: JobState,
        after: Option<JobId>,
        limit: u32,
    ) -> R<Vec<Job>> {
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE queue = $1 AND state = $2 AND id > $3 \
             ORDER BY id LIMIT $4"
        );
        let rows = sqlx::query(&sql)
            .bind(queue.as_str())
            .bind(state.as_str())
            .bind(after.map_or(0, JobId::sql))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(job_row).collect()
    }
}

/// The domain crates' view of the queue (`custodia_events::WorkQueue`): the same jobs, with
/// names validated here and the store's errors mapped to `RepoError` (a key reused with
/// another payload and a lost lease are conflicts).
mod work {
    use std::num::NonZeroU32;
    use std::time::Duration;

    use custodia_events::{
        ClaimedWork, RepoError, RepoResult, Timestamp, WorkLease, WorkQueue, WorkState, WorkStatus,
        WorkTicket,
    };

    use super::{
        JobId, JobKey, JobQueue, JobReader, JobState, Lease, LeaseToken, NewJob, QueueName, Retry,
        WorkerId,
    };
    use crate::{Store, StoreError};

    fn map(e: StoreError) -> RepoError {
        match e {
            StoreError::JobKeyReused { .. } => RepoError::Conflict {
                what: "a job under this key with another payload",
            },
            StoreError::LeaseLost { .. } => RepoError::Conflict {
                what: "a newer lease on this job (another worker reclaimed it)",
            },
            other => other.into(),
        }
    }

    fn state(s: JobState) -> WorkState {
        match s {
            JobState::Queued => WorkState::Queued,
            JobState::Leased => WorkState::Leased,
            JobState::Done => WorkState::Done,
            JobState::Dead => WorkState::Dead,
        }
    }

    fn lease(l: &WorkLease) -> RepoResult<Lease> {
        Ok(Lease {
            job: JobId::new(l.job),
            worker: WorkerId::new(l.worker.clone()).map_err(map)?,
            token: LeaseToken::new(l.token),
            expires_at: l.expires_at,
        })
    }

    impl WorkQueue for Store {
        async fn submit_work(
            &self,
            queue: &str,
            key: &str,
            payload: &[u8],
            max_attempts: u32,
            at: Timestamp,
        ) -> RepoResult<WorkTicket> {
            let job = NewJob {
                queue: QueueName::new(queue).map_err(map)?,
                key: JobKey::new(key).map_err(map)?,
                payload: payload.to_vec(),
                max_attempts: NonZeroU32::new(max_attempts).unwrap_or(NonZeroU32::MIN),
                not_before: at,
            };
            let e = self.enqueue(&job, at).await.map_err(map)?;
            Ok(WorkTicket {
                id: e.id.get(),
                created: e.created,
            })
        }

        async fn claim_work(
            &self,
            queue: &str,
            worker: &str,
            lease_for: Duration,
            now: Timestamp,
        ) -> RepoResult<Option<ClaimedWork>> {
            let q = QueueName::new(queue).map_err(map)?;
            let w = WorkerId::new(worker).map_err(map)?;
            let c = self.claim(&q, &w, lease_for, now).await.map_err(map)?;
            Ok(c.map(|c| ClaimedWork {
                lease: WorkLease {
                    job: c.lease.job.get(),
                    worker: c.lease.worker.as_str().to_owned(),
                    token: c.lease.token.get(),
                    expires_at: c.lease.expires_at,
                },
                key: c.job.key.as_str().to_owned(),
                payload: c.job.payload,
                attempts: c.job.attempts,
                max_attempts: c.job.max_attempts.get(),
            }))
        }

        async fn complete_work(
            &self,
            l: &WorkLease,
            result: &[u8],
            at: Timestamp,
        ) -> RepoResult<bool> {
            self.complete(&lease(l)?, result, at).await.map_err(map)
        }

        async fn fail_work(
            &self,
            l: &WorkLease,
            reason: &str,
            at: Timestamp,
            retry_at: Option<Timestamp>,
        ) -> RepoResult<WorkState> {
            let retry = retry_at.map_or(Retry::Never, Retry::At);
            let s = self
                .fail(&lease(l)?, reason, at, retry)
                .await
                .map_err(map)?;
            Ok(state(s))
        }

        async fn work_status(&self, queue: &str, id: u64) -> RepoResult<Option<WorkStatus>> {
            let job = JobReader::job(self, JobId::new(id)).await.map_err(map)?;
            Ok(job
                .filter(|j| j.queue.as_str() == queue)
                .map(|j| WorkStatus {
                    id: j.id.get(),
                    key: j.key.as_str().to_owned(),
                    state: state(j.state),
                    attempts: j.attempts,
                    max_attempts: j.max_attempts.get(),
                    created_at: j.created_at,
                    finished_at: j.finished_at,
                    last_error: j.last_error,
                    result: j.result,
                }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: fmt::Debug>(r: R<T>, ok: bool, input: &str) {
        match (r, ok) {
            (Ok(_), true) | (Err(StoreError::InvalidJobName { .. }), false) => {}
            (other, _) => panic!("{input:?}: expected ok={ok}, got {other:?}"),
        }
    }

    #[test]
    fn queue_names() {
        for (s, ok) in [
            ("por.batch", true),
            ("token-sim_2", true),
            ("r", true),
            (&"q".repeat(64), true),
            ("", false),
            (&"q".repeat(65), false),
            ("Por.batch", false),
            ("1por", false),
            (".por", false),
            ("por batch", false),
            ("por/batch", false),
            ("pör", false),
        ] {
            check(QueueName::new(s), ok, s);
        }
    }

    #[test]
    fn keys_and_workers() {
        for (s, ok) in [
            ("round-2026-11/batch-00007", true),
            ("A:b@c#1", true),
            (&"k".repeat(200), true),
            ("", false),
            (&"k".repeat(201), false),
            ("with space", false),
            ("tab\there", false),
            ("line\n", false),
            ("é", false),
        ] {
            check(JobKey::new(s), ok, s);
        }
        check(WorkerId::new("prover-03/pid-4121"), true, "worker");
        check(WorkerId::new("w".repeat(128)), true, "128");
        check(WorkerId::new("w".repeat(129)), false, "129");
        check(WorkerId::new(""), false, "empty");
        check(WorkerId::new("two words"), false, "space");
    }

    #[test]
    fn invalid_names_are_shown_cut() {
        let Err(StoreError::InvalidJobName { what, got, .. }) = JobKey::new("x ".repeat(100))
        else {
            panic!("expected InvalidJobName");
        };
        assert_eq!((what, got.chars().count()), ("job key", 80));
    }

    #[test]
    fn reasons_are_cut_on_a_char_boundary() {
        assert_eq!(cut("short"), "short");
        let long = "é".repeat(MAX_REASON_BYTES); // 2 bytes each
        let c = cut(&long);
        assert_eq!(c.len(), MAX_REASON_BYTES);
        let odd = format!("a{long}");
        let c = cut(&odd);
        assert_eq!(c.len(), MAX_REASON_BYTES - 1, "never splits a character");
    }

    #[test]
    fn states_round_trip_and_unknown_ones_are_corrupt() {
        for s in JobState::ALL {
            assert_eq!(JobState::from_stored(s.as_str()).unwrap(), s);
        }
        assert!(matches!(
            JobState::from_stored("failed"),
            Err(StoreError::Corrupt { table: "jobs", .. })
        ));
    }
}
