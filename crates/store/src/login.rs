//! The login defence's port: profiles, brute-force state, failure sources, security changes,
//! allowlists, withdrawals and anti-phishing codes. Every write runs in the event-appending write
//! transaction (`write_tx`), which serialises writers (SQLite `BEGIN IMMEDIATE`, PostgreSQL the
//! event-head row lock): a read-modify-write of an account's state inside it is atomic across
//! instances.
//!
//! The assessment path (failures, accepted logins, refusals) is group-committed: one writer
//! task per store takes every record waiting, applies them in arrival order inside ONE write
//! transaction (accounts read once, written back in multi-row upserts, events appended in
//! one go), commits, and answers each caller. Batch size follows the load: while one batch
//! commits the next gathers. Because the batch holds the same write lock as every other
//! writer, what held per record still holds per batch:
//! - an account's brute-force state moves from the value read under the lock, so N concurrent
//!   failures (same or other instance) count N;
//! - the per-IP and per-subnet counters a failure returns are counted in the batch's
//!   transaction after its rows are written: every failure committed before, or in the same
//!   batch, is included (the counters as of the commit);
//! - a caller hears `Ok` only after the commit; a batch that fails is retried record by record,
//!   so one bad record cannot fail its neighbours.
//!
//! Across instances sharing PostgreSQL each instance has its own writer; their batches
//! serialise on the event-head row lock (`SELECT … FOR UPDATE`), so counts stay exact. On
//! SQLite `BEGIN IMMEDIATE` serialises them the same way (one file, one writer at a time).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use custodia_events::{NewEvent, RepoError, RepoResult, Timestamp};
use custodia_login::{
    AccountView, BrutePolicy, BruteState, FailedLogin, FailureRecorded, IntelFindings, LastLogin,
    LearnedLogin, LoginOverview, LoginRepo, LoginState, Observation, Profile, SecurityChange,
    WithdrawFacts, WithdrawPolicy, WithdrawVerdict, WithdrawalRequest, screen,
};
use custodia_primitives::AccountId;
use sqlx::Row;
use sqlx::any::AnyRow;
use tokio::sync::{mpsc, oneshot};

use crate::db::{Tx, db, in_list, values_sql};
use crate::login_pg::PgLane;
use crate::login_sqlite::{RawState, SqliteLane};
use crate::{Store, StoreError};

/// Records waiting for the writer before callers wait for room.
const QUEUE: usize = 8_192;
/// Records per transaction.
const BATCH: usize = 512;
/// Rows per multi-row statement (the upsert of accounts has five parameters a row).
const ROWS: usize = 200;

const DAY_MS: i64 = 86_400_000;

pub(crate) fn profile_from(text: Option<String>) -> Result<Option<Profile>, StoreError> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| StoreError::corrupt("login_accounts", e.to_string()))
    })
    .transpose()
}

fn profile_text(p: &Profile) -> Result<String, StoreError> {
    serde_json::to_string(p).map_err(|e| StoreError::corrupt("login_accounts", e.to_string()))
}

/// The account's row, creating it if missing (inside the write transaction).
async fn account(tx: &mut Tx, user: &AccountId) -> Result<AnyRow, StoreError> {
    sqlx::query(
        "INSERT INTO login_accounts (user_id, profile, failures, last_failure_ms, locked_until_ms, \
         allowlist_only, anti_phishing) VALUES ($1, NULL, 0, 0, 0, 0, NULL) \
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user.as_str().to_owned())
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query(
        "SELECT profile, failures, last_failure_ms, locked_until_ms, allowlist_only \
         FROM login_accounts WHERE user_id = $1",
    )
    .bind(user.as_str().to_owned())
    .fetch_one(&mut **tx)
    .await?)
}

/// An assessment's state from what a lane read (the profile parsed here, off the lane).
fn state_of(raw: RawState) -> Result<LoginState, StoreError> {
    let (profile, brute) = match raw.account {
        Some((profile, brute)) => (profile_from(profile)?, brute),
        None => (None, BruteState::default()),
    };
    Ok(LoginState {
        profile,
        brute,
        accounts_failed_from_ip: u32::try_from(raw.ip_n).unwrap_or(u32::MAX),
        accounts_failed_from_subnet: u32::try_from(raw.net_n).unwrap_or(u32::MAX),
    })
}

fn brute_from(r: &AnyRow) -> Result<BruteState, StoreError> {
    Ok(stored_brute(
        r.try_get("failures")?,
        r.try_get("last_failure_ms")?,
        r.try_get("locked_until_ms")?,
    ))
}

/// A brute-force state from its stored columns; a count past `u32` saturates. Every engine's
/// reads go through this, so a row means the same thing on each.
pub(crate) fn stored_brute(
    failures: i64,
    last_failure_ms: i64,
    locked_until_ms: i64,
) -> BruteState {
    BruteState {
        failures: u32::try_from(failures).unwrap_or(u32::MAX),
        last_failure_ms,
        locked_until_ms,
    }
}

impl LoginRepo for Store {
    async fn login_state(
        &self,
        user: &AccountId,
        ip: &str,
        subnet: &str,
        since: Timestamp,
    ) -> RepoResult<LoginState> {
        db(async {
            if let Some(pg) = &self.login_writer.pg {
                let raw = pg
                    .read(
                        user.as_str().to_owned(),
                        format!("ip:{ip}"),
                        format!("net:{subnet}"),
                        since.as_millis(),
                    )
                    .await
                    .map_err(|why| StoreError::Postgres { why })?;
                return state_of(raw);
            }
            if let Some(lane) = self.login_writer.lane() {
                let raw = lane
                    .read(
                        user.as_str().to_owned(),
                        format!("ip:{ip}"),
                        format!("net:{subnet}"),
                        since.as_millis(),
                    )
                    .await?;
                return state_of(raw);
            }
            // One round trip: the account's row (if any) and both sources' counters.
            let row = sqlx::query(
                "SELECT a.profile, a.failures, a.last_failure_ms, a.locked_until_ms, \
                 (SELECT COUNT(*) FROM login_failures WHERE source = $2 AND at_ms >= $3) AS ip_n, \
                 (SELECT COUNT(*) FROM login_failures WHERE source = $4 AND at_ms >= $5) AS net_n \
                 FROM (SELECT 1 AS one) o LEFT JOIN login_accounts a ON a.user_id = $1",
            )
            .bind(user.as_str().to_owned())
            .bind(format!("ip:{ip}"))
            .bind(since.as_millis())
            .bind(format!("net:{subnet}"))
            .bind(since.as_millis())
            .fetch_one(&self.pool)
            .await?;
            let failures: Option<i64> = row.try_get("failures")?;
            let (profile, brute) = match failures {
                Some(_) => (profile_from(row.try_get("profile")?)?, brute_from(&row)?),
                None => (None, BruteState::default()),
            };
            Ok(LoginState {
                profile,
                brute,
                accounts_failed_from_ip: count(&row, "ip_n")?,
                accounts_failed_from_subnet: count(&row, "net_n")?,
            })
        })
        .await
    }

    async fn account_view(
        &self,
        user: &AccountId,
        changes_since: Timestamp,
    ) -> RepoResult<AccountView> {
        db(async {
            let id = user.as_str().to_owned();
            let row = sqlx::query(
                "SELECT profile, failures, last_failure_ms, locked_until_ms, allowlist_only \
                 FROM login_accounts WHERE user_id = $1",
            )
            .bind(id.clone())
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else {
                return Ok(AccountView::default());
            };
            let allowlist = sqlx::query(
                "SELECT address, added_ms FROM login_allowlist WHERE user_id = $1 \
                 ORDER BY added_ms, address",
            )
            .bind(id.clone())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| -> Result<(String, Timestamp), StoreError> {
                Ok((
                    r.try_get("address")?,
                    Timestamp::from_millis(r.try_get("added_ms")?),
                ))
            })
            .collect::<Result<Vec<_>, _>>()?;
            let changes = sqlx::query(
                "SELECT kind, at_ms FROM login_security_changes WHERE user_id = $1 \
                 AND at_ms >= $2 ORDER BY at_ms",
            )
            .bind(id)
            .bind(changes_since.as_millis())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| -> Result<(SecurityChange, Timestamp), StoreError> {
                let c: String = r.try_get("kind")?;
                let c = SecurityChange::parse(&c)
                    .ok_or_else(|| StoreError::corrupt("login_security_changes", "change"))?;
                Ok((c, Timestamp::from_millis(r.try_get("at_ms")?)))
            })
            .collect::<Result<Vec<_>, _>>()?;
            let only: i64 = row.try_get("allowlist_only")?;
            Ok(AccountView {
                profile: profile_from(row.try_get("profile")?)?,
                brute: brute_from(&row)?,
                allowlist_only: only != 0,
                allowlist,
                changes,
            })
        })
        .await
    }

    async fn record_failure(
        &self,
        f: &FailedLogin<'_>,
        policy: &BrutePolicy,
        event: NewEvent,
    ) -> RepoResult<FailureRecorded> {
        let op = Op::Failure {
            user: f.user.as_str().to_owned(),
            at: f.at,
            ip: format!("ip:{}", f.ip),
            subnet: format!("net:{}", f.subnet),
            since: f.since,
            policy: *policy,
            event,
        };
        match self.login_write(op).await? {
            Done::Failure(r) => Ok(r),
            Done::Unit => Err(writer_gone()),
        }
    }

    async fn record_success(&self, l: &LearnedLogin<'_>, events: Vec<NewEvent>) -> RepoResult<()> {
        let op = Op::Success {
            user: l.user.as_str().to_owned(),
            at: l.at,
            observation: l.observation.clone(),
            position: l.position,
            half_life_ms: l.half_life_ms,
            new_device: l.new_device,
            events,
        };
        self.login_write(op).await.map(|_| ())
    }

    async fn record_refusal(&self, event: NewEvent) -> RepoResult<()> {
        self.login_write(Op::Refusal { event }).await.map(|_| ())
    }

    async fn login_overview(&self, now: Timestamp, since: Timestamp) -> RepoResult<LoginOverview> {
        db(async {
            let r = sqlx::query(
                "SELECT (SELECT COUNT(*) FROM login_accounts) AS accounts, \
                 (SELECT COUNT(*) FROM login_accounts WHERE locked_until_ms > $1) AS locked, \
                 (SELECT COUNT(*) FROM login_accounts WHERE allowlist_only <> 0) AS allowlist, \
                 (SELECT COUNT(DISTINCT source) FROM login_failures WHERE at_ms >= $2) AS sources, \
                 (SELECT COUNT(DISTINCT user_id) FROM login_failures WHERE at_ms >= $3) AS failing, \
                 (SELECT COUNT(*) FROM login_security_changes WHERE at_ms >= $4) AS changes, \
                 (SELECT COUNT(*) FROM login_withdrawals WHERE at_ms >= $5) AS withdrawals",
            )
            .bind(now.as_millis())
            .bind(since.as_millis())
            .bind(since.as_millis())
            .bind(since.as_millis())
            .bind(since.as_millis())
            .fetch_one(&self.pool)
            .await?;
            let n = |col: &str| -> Result<u64, StoreError> {
                let v: i64 = r.try_get(col)?;
                u64::try_from(v).map_err(|_| StoreError::corrupt("login_accounts", "count"))
            };
            Ok(LoginOverview {
                accounts: n("accounts")?,
                locked: n("locked")?,
                allowlist_only: n("allowlist")?,
                failing_sources: n("sources")?,
                failing_accounts: n("failing")?,
                security_changes: n("changes")?,
                withdrawals: n("withdrawals")?,
            })
        })
        .await
    }

    async fn population(&self) -> RepoResult<Profile> {
        db(async {
            let row = sqlx::query("SELECT profile FROM login_population WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
            Ok(match row {
                Some(r) => profile_from(r.try_get("profile")?)?.unwrap_or_default(),
                None => Profile::default(),
            })
        })
        .await
    }

    async fn merge_population(
        &self,
        logins: &[(Observation, Timestamp)],
        half_life_ms: i64,
    ) -> RepoResult<()> {
        db(async {
            let (mut tx, _, _) = self.write_tx().await?;
            let row = sqlx::query("SELECT profile FROM login_population WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?;
            let mut pop = match row {
                Some(r) => profile_from(r.try_get("profile")?)?.unwrap_or_default(),
                None => Profile::default(),
            };
            let mut sorted: Vec<&(Observation, Timestamp)> = logins.iter().collect();
            sorted.sort_by_key(|(_, t)| *t);
            for (o, t) in sorted {
                pop.observe(o, *t, half_life_ms);
            }
            sqlx::query(
                "INSERT INTO login_population (id, profile) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET profile = excluded.profile",
            )
            .bind(profile_text(&pop)?)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn record_security_change(
        &self,
        user: &AccountId,
        change: SecurityChange,
        at: Timestamp,
        event: NewEvent,
    ) -> RepoResult<()> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            insert_change(&mut tx, user, change, at).await?;
            Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn allowlist(
        &self,
        user: &AccountId,
        address: &str,
        at: Timestamp,
        only: Option<bool>,
    ) -> RepoResult<()> {
        db(async {
            let (mut tx, _, _) = self.write_tx().await?;
            account(&mut tx, user).await?;
            sqlx::query(
                "INSERT INTO login_allowlist (user_id, address, added_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, address) DO NOTHING",
            )
            .bind(user.as_str().to_owned())
            .bind(address.to_owned())
            .bind(at.as_millis())
            .execute(&mut *tx)
            .await?;
            if let Some(only) = only {
                sqlx::query("UPDATE login_accounts SET allowlist_only = $1 WHERE user_id = $2")
                    .bind(i64::from(only))
                    .bind(user.as_str().to_owned())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn screen_withdrawal(
        &self,
        req: &WithdrawalRequest,
        intel: &IntelFindings,
        policy: &WithdrawPolicy,
        event_for: &(dyn Fn(&WithdrawFacts, &WithdrawVerdict) -> NewEvent + Sync),
    ) -> RepoResult<WithdrawVerdict> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let user = req.user.as_str().to_owned();
            let destination = req.destination.canonical();
            let acc = account(&mut tx, &req.user).await?;
            let only: i64 = acc.try_get("allowlist_only")?;
            let added = sqlx::query(
                "SELECT added_ms FROM login_allowlist WHERE user_id = $1 AND address = $2",
            )
            .bind(user.clone())
            .bind(destination)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<i64, _>("added_ms"))
            .transpose()?;
            let since = req.at.minus_millis(DAY_MS);
            let changes = sqlx::query(
                "SELECT kind, at_ms FROM login_security_changes WHERE user_id = $1 AND at_ms >= $2",
            )
            .bind(user.clone())
            .bind(req.at.minus_millis(policy.change_lock_ms).as_millis())
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| -> Result<(SecurityChange, Timestamp), StoreError> {
                let c: String = r.try_get("kind")?;
                let c = SecurityChange::parse(&c)
                    .ok_or_else(|| StoreError::corrupt("login_security_changes", "change"))?;
                Ok((c, Timestamp::from_millis(r.try_get("at_ms")?)))
            })
            .collect::<Result<Vec<_>, _>>()?;
            let recent = sqlx::query(
                "SELECT asset, amount, usd_cents FROM login_withdrawals WHERE user_id = $1 AND at_ms > $2",
            )
            .bind(user.clone())
            .bind(since.as_millis())
            .fetch_all(&mut *tx)
            .await?;
            let (mut asset_sum, mut usd_sum) = (0u128, 0u64);
            for r in &recent {
                let usd: i64 = r.try_get("usd_cents")?;
                usd_sum = usd_sum.saturating_add(u64::try_from(usd).unwrap_or(0));
                let asset: String = r.try_get("asset")?;
                if asset == req.asset {
                    let a: String = r.try_get("amount")?;
                    let a: u128 = a
                        .parse()
                        .map_err(|_| StoreError::corrupt("login_withdrawals", "amount"))?;
                    asset_sum = asset_sum.saturating_add(a);
                }
            }
            let facts = WithdrawFacts {
                at: req.at,
                asset: req.asset.clone(),
                amount: req.amount,
                usd_cents: req.usd_cents,
                allowlist_only: only != 0,
                allowlisted_at: added.map(Timestamp::from_millis),
                changes,
                asset_last_24h: asset_sum,
                usd_last_24h: usd_sum,
                listed: intel.listed.clone(),
                imitates: intel.imitates.clone(),
            };
            let verdict = screen(policy, &facts);
            if verdict.decision == custodia_login::WithdrawDecision::Allow {
                sqlx::query(
                    "INSERT INTO login_withdrawals (user_id, asset, amount, usd_cents, at_ms) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(user)
                .bind(req.asset.clone())
                .bind(req.amount.to_string())
                .bind(i64::try_from(req.usd_cents).unwrap_or(i64::MAX))
                .bind(req.at.as_millis())
                .execute(&mut *tx)
                .await?;
            }
            let mut events = intel.events.clone();
            events.push(event_for(&facts, &verdict));
            Self::append_in(&mut tx, seq, hash, events).await?;
            tx.commit().await?;
            Ok(verdict)
        })
        .await
    }

    async fn set_anti_phishing(
        &self,
        user: &AccountId,
        sealed: &[u8],
        event: NewEvent,
    ) -> RepoResult<()> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            account(&mut tx, user).await?;
            sqlx::query("UPDATE login_accounts SET anti_phishing = $1 WHERE user_id = $2")
                .bind(sealed.to_vec())
                .bind(user.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
            Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn anti_phishing(&self, user: &AccountId) -> RepoResult<Option<Vec<u8>>> {
        db(async {
            let row = sqlx::query("SELECT anti_phishing FROM login_accounts WHERE user_id = $1")
                .bind(user.as_str().to_owned())
                .fetch_optional(&self.pool)
                .await?;
            Ok(match row {
                Some(r) => r.try_get::<Option<Vec<u8>>, _>("anti_phishing")?,
                None => None,
            })
        })
        .await
    }
}

async fn insert_change(
    tx: &mut Tx,
    user: &AccountId,
    change: SecurityChange,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO login_security_changes (user_id, kind, at_ms) VALUES ($1, $2, $3)")
        .bind(user.as_str().to_owned())
        .bind(change.as_str())
        .bind(at.as_millis())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn count(r: &AnyRow, col: &str) -> Result<u32, StoreError> {
    let n: i64 = r.try_get(col)?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// One record of the assessment path, owned so it can wait in the writer's queue.
pub(crate) enum Op {
    Failure {
        user: String,
        at: Timestamp,
        /// `ip:…`
        ip: String,
        /// `net:…`
        subnet: String,
        since: Timestamp,
        policy: BrutePolicy,
        event: NewEvent,
    },
    Success {
        user: String,
        at: Timestamp,
        observation: Observation,
        position: Option<(f64, f64)>,
        half_life_ms: i64,
        new_device: bool,
        events: Vec<NewEvent>,
    },
    Refusal {
        event: NewEvent,
    },
}

impl Op {
    fn user(&self) -> Option<&str> {
        match self {
            Op::Failure { user, .. } | Op::Success { user, .. } => Some(user),
            Op::Refusal { .. } => None,
        }
    }
}

/// What a record's caller gets back.
pub(crate) enum Done {
    Failure(FailureRecorded),
    Unit,
}

/// A record waiting for a writer, and where its caller waits for the answer.
pub(crate) struct Job {
    pub(crate) op: Op,
    pub(crate) reply: oneshot::Sender<Result<Done, String>>,
}

impl Job {
    /// Answers a record that was committed (or refused) in a transaction of its own.
    pub(crate) fn answer_alone(self, r: Result<Vec<Done>, StoreError>) {
        let _ = self.reply.send(
            r.map(|mut d| d.pop().unwrap_or(Done::Unit))
                .map_err(|e| e.to_string()),
        );
    }
}

/// Answers every record of a batch from the batch's one transaction, and hands back the records
/// to retry one by one: when a batch of several fails, someone's record broke it, and each then
/// gets its own transaction so only that caller hears the error. Every writer (the pooled one,
/// SQLite's and PostgreSQL's own connections) answers through this.
pub(crate) fn answer_batch(batch: &mut Vec<Job>, r: Result<Vec<Done>, StoreError>) -> Vec<Job> {
    match r {
        Ok(done) => {
            for (j, d) in batch.drain(..).zip(done) {
                let _ = j.reply.send(Ok(d));
            }
            Vec::new()
        }
        Err(e) if batch.len() > 1 => {
            tracing::warn!(error = %e, records = batch.len(), "login batch failed; retrying one by one");
            std::mem::take(batch)
        }
        Err(e) => {
            tracing::error!(error = %e, "login record not stored");
            let why = e.to_string();
            for j in batch.drain(..) {
                let _ = j.reply.send(Err(why.clone()));
            }
            Vec::new()
        }
    }
}

/// The handle on the login writer, started on first use; on a SQLite file, the assessment
/// path's own connections (`login_sqlite.rs`) instead, and on PostgreSQL its own native
/// connections (`login_pg.rs`).
#[derive(Debug, Clone, Default)]
pub(crate) struct LoginWriter {
    queue: Arc<OnceLock<mpsc::Sender<Job>>>,
    lane: Option<SqliteLane>,
    pg: Option<PgLane>,
}

impl LoginWriter {
    /// The writer for a store on the SQLite file at `path`.
    pub(crate) fn on_sqlite_file(path: &str) -> Self {
        Self {
            queue: Arc::default(),
            lane: Some(SqliteLane::new(path)),
            pg: None,
        }
    }

    /// The writer for a store on the PostgreSQL database at `url`.
    pub(crate) fn on_postgres(url: &str) -> Self {
        Self {
            queue: Arc::default(),
            lane: None,
            pg: Some(PgLane::new(url)),
        }
    }

    /// The SQLite lane, when there is one and its connection opened.
    fn lane(&self) -> Option<&SqliteLane> {
        self.lane.as_ref().filter(|l| l.serves())
    }
}

fn writer_gone() -> RepoError {
    RepoError::unavailable(std::io::Error::other("login writer stopped"))
}

impl Store {
    async fn login_write(&self, op: Op) -> RepoResult<Done> {
        if let Some(pg) = &self.login_writer.pg {
            return pg
                .write(op)
                .await
                .map_err(|why| RepoError::unavailable(std::io::Error::other(why)));
        }
        if let Some(lane) = self.login_writer.lane() {
            return match lane.write(op).await? {
                Ok(d) => Ok(d),
                Err(why) => Err(RepoError::unavailable(std::io::Error::other(why))),
            };
        }
        let tx = self.login_writer.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            // The task holds a store without the writer's handle, so dropping every handle
            // closes the queue and ends the task.
            tokio::spawn(login_writer(self.detached(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        tx.send(Job { op, reply })
            .await
            .map_err(|_| writer_gone())?;
        match answer.await.map_err(|_| writer_gone())? {
            Ok(d) => Ok(d),
            Err(why) => Err(RepoError::unavailable(std::io::Error::other(why))),
        }
    }
}

async fn login_writer(store: Store, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let ops: Vec<&Op> = batch.iter().map(|j| &j.op).collect();
        let r = apply(&store, &ops).await;
        for j in answer_batch(&mut batch, r) {
            let r = apply(&store, &[&j.op]).await;
            j.answer_alone(r);
        }
    }
}

/// An account's row as the batch sees it.
pub(crate) struct Account {
    pub(crate) profile: Option<String>,
    pub(crate) parsed: Option<Profile>,
    pub(crate) brute: BruteState,
    pub(crate) dirty: bool,
}

impl Account {
    /// An account as read from its row, before the batch changes it.
    pub(crate) fn stored(profile: Option<String>, brute: BruteState) -> Self {
        Self {
            profile,
            parsed: None,
            brute,
            dirty: false,
        }
    }
}

/// What a batch's records change, worked out in memory from the accounts read under the write
/// lock (shared by both engines' writers, so they cannot drift apart).
pub(crate) struct Folded<'a> {
    /// `(source, user) → at_ms`, the latest failure of each pair.
    pub(crate) failures: Vec<((&'a str, &'a str), i64)>,
    /// New-device logins: `(user, at_ms)`.
    pub(crate) changes: Vec<(&'a str, i64)>,
    /// The events, in the records' order.
    pub(crate) events: Vec<NewEvent>,
    /// Each record's brute-force state after it (failures only).
    pub(crate) done: Vec<Option<BruteState>>,
}

/// The distinct accounts `ops` touch, sorted.
pub(crate) fn users_of<'a>(ops: &[&'a Op]) -> Vec<&'a str> {
    let mut users: Vec<&str> = ops.iter().filter_map(|o| o.user()).collect();
    users.sort_unstable();
    users.dedup();
    users
}

/// Applies `ops` in order to `accounts` (which holds every stored row they touch).
pub(crate) fn fold<'a>(
    ops: &[&'a Op],
    accounts: &mut HashMap<String, Account>,
) -> Result<Folded<'a>, StoreError> {
    let mut failures: HashMap<(&str, &str), i64> = HashMap::new();
    let mut changes: Vec<(&str, i64)> = Vec::new();
    let mut events: Vec<NewEvent> = Vec::new();
    let mut done: Vec<Option<BruteState>> = Vec::with_capacity(ops.len());
    for op in ops {
        match op {
            Op::Failure {
                user,
                at,
                ip,
                subnet,
                policy,
                event,
                ..
            } => {
                let acc = entry(accounts, user);
                acc.brute = policy.on_failure(acc.brute, *at);
                acc.dirty = true;
                failures.insert((ip.as_str(), user.as_str()), at.as_millis());
                failures.insert((subnet.as_str(), user.as_str()), at.as_millis());
                events.push(event.clone());
                done.push(Some(acc.brute));
            }
            Op::Success {
                user,
                at,
                observation,
                position,
                half_life_ms,
                new_device,
                events: evs,
            } => {
                let acc = entry(accounts, user);
                let mut profile = match acc.parsed.take() {
                    Some(p) => p,
                    None => profile_from(acc.profile.take())?.unwrap_or_default(),
                };
                profile.observe(observation, *at, *half_life_ms);
                if let Some((lat, lon)) = position {
                    profile.last_success = Some(LastLogin {
                        at_ms: at.as_millis(),
                        lat: Some(*lat),
                        lon: Some(*lon),
                    });
                }
                acc.parsed = Some(profile);
                acc.brute = BrutePolicy::default().on_success(acc.brute);
                acc.dirty = true;
                if *new_device {
                    changes.push((user.as_str(), at.as_millis()));
                }
                events.extend(evs.iter().cloned());
                done.push(None);
            }
            Op::Refusal { event } => {
                events.push(event.clone());
                done.push(None);
            }
        }
    }
    Ok(Folded {
        failures: failures.into_iter().collect(),
        changes,
        events,
        done,
    })
}

/// An account to write back: its id, its row, its profile's text.
pub(crate) type DirtyRow<'a> = (&'a String, &'a Account, Option<String>);

/// The accounts to write back, with their profile's text.
pub(crate) fn dirty_rows(
    accounts: &HashMap<String, Account>,
) -> Result<Vec<DirtyRow<'_>>, StoreError> {
    let mut dirty = Vec::new();
    for (u, a) in accounts.iter().filter(|(_, a)| a.dirty) {
        let text = match &a.parsed {
            Some(p) => Some(profile_text(p)?),
            None => a.profile.clone(),
        };
        dirty.push((u, a, text));
    }
    Ok(dirty)
}

/// Every distinct (source, window start) the batch's failures need counted, sorted.
pub(crate) fn count_keys<'a>(ops: &[&'a Op]) -> Vec<(&'a str, i64)> {
    let mut keys: Vec<(&str, i64)> = Vec::new();
    for op in ops {
        if let Op::Failure {
            ip, subnet, since, ..
        } = op
        {
            keys.push((ip.as_str(), since.as_millis()));
            keys.push((subnet.as_str(), since.as_millis()));
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Each record's answer, from its state after the batch and the counters as of the commit.
pub(crate) fn answers(
    ops: &[&Op],
    done: Vec<Option<BruteState>>,
    counted: &HashMap<(&str, i64), u32>,
) -> Vec<Done> {
    let mut out = Vec::with_capacity(ops.len());
    for (op, brute) in ops.iter().zip(done) {
        let Op::Failure {
            ip, subnet, since, ..
        } = op
        else {
            out.push(Done::Unit);
            continue;
        };
        let n = |source: &str| {
            counted
                .get(&(source, since.as_millis()))
                .copied()
                .unwrap_or(0)
        };
        out.push(Done::Failure(FailureRecorded {
            brute: brute.unwrap_or_default(),
            accounts_failed_from_ip: n(ip),
            accounts_failed_from_subnet: n(subnet),
        }));
    }
    out
}

/// Applies `ops` in order in one write transaction and commits.
async fn apply(store: &Store, ops: &[&Op]) -> Result<Vec<Done>, StoreError> {
    let (mut tx, seq, hash) = store.write_tx().await?;
    let users = users_of(ops);
    let mut accounts: HashMap<String, Account> = HashMap::with_capacity(users.len());
    for chunk in users.chunks(ROWS) {
        let (list, padded) = in_list(chunk.len());
        let sql = format!(
            "SELECT user_id, profile, failures, last_failure_ms, locked_until_ms \
             FROM login_accounts WHERE user_id IN ({list})"
        );
        let mut q = sqlx::query(&sql);
        for i in 0..padded {
            q = q.bind(chunk[i.min(chunk.len() - 1)].to_owned());
        }
        for r in q.fetch_all(&mut *tx).await? {
            accounts.insert(
                r.try_get("user_id")?,
                Account::stored(r.try_get("profile")?, brute_from(&r)?),
            );
        }
    }
    let Folded {
        failures,
        changes,
        events,
        done,
    } = fold(ops, &mut accounts)?;
    // Accounts back, in one upsert per chunk (the columns the assessment owns; the allowlist
    // mode and the anti-phishing code stay as they are).
    let dirty = dirty_rows(&accounts)?;
    for chunk in dirty.chunks(ROWS) {
        // New accounts start with allowlist mode off and no code (literals, not parameters,
        // so the upsert below never touches them on existing rows).
        let mut sql = String::from(
            "INSERT INTO login_accounts (user_id, profile, failures, last_failure_ms, \
             locked_until_ms, allowlist_only, anti_phishing) VALUES ",
        );
        for i in 0..chunk.len() {
            let p = i * 5;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, 0, NULL)",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5
            ));
        }
        sql.push_str(ACCOUNT_UPSERT_TAIL);
        let mut q = sqlx::query(&sql);
        for (u, a, text) in chunk {
            q = q
                .bind((*u).clone())
                .bind(text.clone())
                .bind(i64::from(a.brute.failures))
                .bind(a.brute.last_failure_ms)
                .bind(a.brute.locked_until_ms);
        }
        q.execute(&mut *tx).await?;
    }
    for chunk in failures.chunks(ROWS) {
        let sql = values_sql(
            "INSERT INTO login_failures (source, user_id, at_ms) VALUES ",
            3,
            chunk.len(),
            FAILURE_UPSERT_TAIL,
        );
        let mut q = sqlx::query(&sql);
        for ((source, user), at) in chunk {
            q = q
                .bind((*source).to_owned())
                .bind((*user).to_owned())
                .bind(*at);
        }
        q.execute(&mut *tx).await?;
    }
    for chunk in changes.chunks(ROWS) {
        let sql = values_sql(
            "INSERT INTO login_security_changes (user_id, kind, at_ms) VALUES ",
            3,
            chunk.len(),
            "",
        );
        let mut q = sqlx::query(&sql);
        for (user, at) in chunk {
            q = q
                .bind((*user).to_owned())
                .bind(SecurityChange::NewDeviceLogin.as_str())
                .bind(*at);
        }
        q.execute(&mut *tx).await?;
    }
    // The sources' counters, after this batch's rows are in: every distinct (source, window)
    // the batch's failures need, counted in one round trip per chunk.
    let keys = count_keys(ops);
    let mut counted: HashMap<(&str, i64), u32> = HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(ROWS) {
        let sql = (0..chunk.len())
            .map(|i| {
                format!(
                    "SELECT CAST({i} AS BIGINT) AS k, COUNT(*) AS n FROM login_failures \
                     WHERE source = ${} AND at_ms >= ${}",
                    2 * i + 1,
                    2 * i + 2
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let mut q = sqlx::query(&sql);
        for (source, since) in chunk {
            q = q.bind((*source).to_owned()).bind(*since);
        }
        for r in q.fetch_all(&mut *tx).await? {
            let k: i64 = r.try_get("k")?;
            let key = usize::try_from(k)
                .ok()
                .and_then(|k| chunk.get(k))
                .ok_or_else(|| StoreError::corrupt("login_failures", "count key"))?;
            counted.insert(*key, count(&r, "n")?);
        }
    }
    let out = answers(ops, done, &counted);
    Store::append_in(&mut tx, seq, hash, events).await?;
    tx.commit().await?;
    Ok(out)
}

/// The accounts' upsert after its `VALUES`: only the columns the assessment owns.
pub(crate) const ACCOUNT_UPSERT_TAIL: &str = " ON CONFLICT (user_id) DO UPDATE SET \
    profile = excluded.profile, failures = excluded.failures, \
    last_failure_ms = excluded.last_failure_ms, locked_until_ms = excluded.locked_until_ms";

/// The failure sources' upsert after its `VALUES`: the pair's latest failure.
pub(crate) const FAILURE_UPSERT_TAIL: &str =
    " ON CONFLICT (source, user_id) DO UPDATE SET at_ms = excluded.at_ms";

pub(crate) fn entry<'m>(accounts: &'m mut HashMap<String, Account>, user: &str) -> &'m mut Account {
    accounts.entry(user.to_owned()).or_insert_with(|| Account {
        profile: None,
        parsed: None,
        brute: BruteState::default(),
        dirty: false,
    })
}
