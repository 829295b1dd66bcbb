//! User protection's port: account facts and the cooling-off (one row per account, read by
//! every order check), the deposit-address book, recovery cases with their append-only history.
//! Writes run in the event-appending write transaction (`write_tx`), which serialises writers
//! across instances, so the cooling-off's read-decide-write cannot race; triggers on both
//! engines refuse any statement that would move a cooling-off's end earlier or delete it.
//!
//! Order checks read the account through a group reader: one task takes every check waiting
//! and answers them all from one `SELECT … WHERE user_id IN (…)`. Nothing is cached: each
//! check's answer comes from a query that started after the check arrived, so a cooling-off
//! committed by any instance before an order reaches the check binds that order, exactly as
//! with one query per check — the batch only shares the round trip.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use custodia_events::{NewEvent, RepoError, RepoResult, Timestamp};
use custodia_primitives::AccountId;
use custodia_protect::{
    AccountState, AddressStatus, BookHit, BookKey, Case, CaseId, CaseKind, CaseOutcome, CaseState,
    CoolingOff, DepositAddress, ProtectError, ProtectOverview, ProtectRepo, Registered, Transition,
};
use sqlx::Row;
use sqlx::any::AnyRow;

use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::db::{Tx, db, in_list};
use crate::{Store, StoreError};

fn ts(v: Option<i64>) -> Option<Timestamp> {
    v.map(Timestamp::from_millis)
}

fn account_from(r: &AnyRow) -> Result<AccountState, StoreError> {
    let start: Option<i64> = r.try_get("cooling_start_ms")?;
    let until: Option<i64> = r.try_get("cooling_until_ms")?;
    Ok(AccountState {
        opened_at: ts(r.try_get("opened_ms")?),
        knowledge_at: ts(r.try_get("knowledge_ms")?),
        cooling: match (start, until) {
            (Some(s), Some(u)) => Some(CoolingOff {
                started_at: Timestamp::from_millis(s),
                until: Timestamp::from_millis(u),
            }),
            _ => None,
        },
    })
}

const ACCOUNT_COLS: &str = "opened_ms, knowledge_ms, cooling_start_ms, cooling_until_ms";

/// The account's row inside the write transaction, created empty if missing.
async fn account_row(tx: &mut Tx, user: &AccountId) -> Result<AccountState, StoreError> {
    sqlx::query(
        "INSERT INTO protect_accounts (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user.as_str().to_owned())
    .execute(&mut **tx)
    .await?;
    let r = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLS} FROM protect_accounts WHERE user_id = $1"
    ))
    .bind(user.as_str().to_owned())
    .fetch_one(&mut **tx)
    .await?;
    account_from(&r)
}

fn u128_col(r: &AnyRow, col: &'static str) -> Result<u128, StoreError> {
    let s: String = r.try_get(col)?;
    s.parse()
        .map_err(|_| StoreError::corrupt("protect_cases", col))
}

fn u64_col(r: &AnyRow, col: &'static str) -> Result<u64, StoreError> {
    let v: i64 = r.try_get(col)?;
    u64::try_from(v).map_err(|_| StoreError::corrupt("protect_cases", col))
}

fn state_of(s: &str, table: &'static str) -> Result<CaseState, StoreError> {
    CaseState::parse(s).ok_or_else(|| StoreError::corrupt(table, format!("state {s:?}")))
}

const CASE_COLS: &str = "id, user_id, transfer, kind, network, tx_hash, token, to_address, memo, \
    asset, decimals, amount, usd_cents, fee_units, fee_usd_cents, reason, state, outcome";

fn case_from(r: &AnyRow) -> Result<Case, StoreError> {
    let id: String = r.try_get("id")?;
    let user: String = r.try_get("user_id")?;
    let kind: String = r.try_get("kind")?;
    let state: String = r.try_get("state")?;
    let outcome: Option<String> = r.try_get("outcome")?;
    let decimals: i64 = r.try_get("decimals")?;
    Ok(Case {
        id: CaseId::parse(&id).map_err(|_| StoreError::corrupt("protect_cases", "id"))?,
        user: AccountId::new(user).map_err(|_| StoreError::corrupt("protect_cases", "user_id"))?,
        kind: CaseKind::parse(&kind).ok_or_else(|| StoreError::corrupt("protect_cases", "kind"))?,
        network: r.try_get("network")?,
        tx_hash: r.try_get("tx_hash")?,
        token: r.try_get("token")?,
        to: r.try_get("to_address")?,
        memo: r.try_get("memo")?,
        transfer: r.try_get("transfer")?,
        asset: r.try_get("asset")?,
        decimals: u8::try_from(decimals)
            .map_err(|_| StoreError::corrupt("protect_cases", "decimals"))?,
        amount: u128_col(r, "amount")?,
        usd_cents: u64_col(r, "usd_cents")?,
        fee_units: u128_col(r, "fee_units")?,
        fee_usd_cents: u64_col(r, "fee_usd_cents")?,
        reason: r.try_get("reason")?,
        state: state_of(&state, "protect_cases")?,
        outcome: outcome
            .map(|o| serde_json::from_str::<CaseOutcome>(&o))
            .transpose()
            .map_err(|e| StoreError::corrupt("protect_cases", e.to_string()))?,
        history: Vec::new(),
    })
}

/// Reads the history of `cases` (one query per case; lists are bounded by their limit).
async fn with_history(pool: &sqlx::AnyPool, mut cases: Vec<Case>) -> Result<Vec<Case>, StoreError> {
    for c in &mut cases {
        let rows = sqlx::query(
            "SELECT from_state, to_state, actor, at_ms, note FROM protect_case_log \
             WHERE case_id = $1 ORDER BY seq",
        )
        .bind(c.id.as_str().to_owned())
        .fetch_all(pool)
        .await?;
        for r in rows {
            let from: Option<String> = r.try_get("from_state")?;
            let to: String = r.try_get("to_state")?;
            c.history.push(Transition {
                from: from.map(|f| state_of(&f, "protect_case_log")).transpose()?,
                to: state_of(&to, "protect_case_log")?,
                actor: r.try_get("actor")?,
                at: Timestamp::from_millis(r.try_get("at_ms")?),
                note: r.try_get("note")?,
            });
        }
    }
    Ok(cases)
}

async fn log_transition(
    tx: &mut Tx,
    id: &CaseId,
    seq: usize,
    t: &Transition,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO protect_case_log (case_id, seq, from_state, to_state, actor, at_ms, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.as_str().to_owned())
    .bind(seq as i64)
    .bind(t.from.map(|f| f.as_str().to_owned()))
    .bind(t.to.as_str().to_owned())
    .bind(t.actor.clone())
    .bind(t.at.as_millis())
    .bind(t.note.clone())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl ProtectRepo for Store {
    async fn account_state(&self, user: &AccountId) -> RepoResult<AccountState> {
        let tx = self.protect_reader.0.get_or_init(|| {
            let (tx, rx) = mpsc::channel(READ_QUEUE);
            tokio::spawn(reader(self.detached(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        tx.send(Ask {
            user: user.as_str().to_owned(),
            reply,
        })
        .await
        .map_err(|_| reader_gone())?;
        match answer.await.map_err(|_| reader_gone())? {
            Ok(s) => Ok(s),
            Err(why) => Err(RepoError::unavailable(std::io::Error::other(why))),
        }
    }

    async fn register_account(
        &self,
        user: &AccountId,
        opened_at: Timestamp,
        event: NewEvent,
    ) -> RepoResult<Registered> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let st = account_row(&mut tx, user).await?;
            let out = match st.opened_at {
                Some(t) if t == opened_at => Registered::Same,
                Some(t) => Registered::Different { opened_at: t },
                None => {
                    sqlx::query("UPDATE protect_accounts SET opened_ms = $1 WHERE user_id = $2")
                        .bind(opened_at.as_millis())
                        .bind(user.as_str().to_owned())
                        .execute(&mut *tx)
                        .await?;
                    Self::append_in(&mut tx, seq, hash, vec![event]).await?;
                    Registered::New
                }
            };
            if out == Registered::New {
                tx.commit().await?;
            }
            Ok(out)
        })
        .await
    }

    async fn pass_knowledge_check(
        &self,
        user: &AccountId,
        at: Timestamp,
        event: NewEvent,
    ) -> RepoResult<bool> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let st = account_row(&mut tx, user).await?;
            if st.knowledge_at.is_some() {
                return Ok(false);
            }
            sqlx::query("UPDATE protect_accounts SET knowledge_ms = $1 WHERE user_id = $2")
                .bind(at.as_millis())
                .bind(user.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
            Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    async fn extend_cooling_off(
        &self,
        user: &AccountId,
        decide: &(
             dyn Fn(Option<CoolingOff>) -> Result<(CoolingOff, NewEvent), ProtectError> + Sync
         ),
    ) -> RepoResult<Result<CoolingOff, ProtectError>> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let st = account_row(&mut tx, user).await?;
            let (next, event) = match decide(st.cooling) {
                Ok(v) => v,
                // Refused: the transaction rolls back on drop, nothing is written.
                Err(e) => return Ok(Err(e)),
            };
            // The end only moves later (the trigger enforces it too).
            let n = sqlx::query(
                "UPDATE protect_accounts SET cooling_start_ms = $1, cooling_until_ms = $2 \
                 WHERE user_id = $3 AND (cooling_until_ms IS NULL OR cooling_until_ms < $2)",
            )
            .bind(next.started_at.as_millis())
            .bind(next.until.as_millis())
            .bind(user.as_str().to_owned())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(StoreError::corrupt(
                    "protect_accounts",
                    "cooling-off moved under the write lock",
                ));
            }
            Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(Ok(next))
        })
        .await
    }

    async fn put_deposit_address(
        &self,
        e: &DepositAddress,
        at: Timestamp,
        event: NewEvent,
    ) -> RepoResult<()> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            sqlx::query(
                "INSERT INTO protect_addresses (address_key, memo, user_id, network, status, updated_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (address_key, memo) DO UPDATE SET \
                 user_id = excluded.user_id, network = excluded.network, status = excluded.status, \
                 updated_ms = excluded.updated_ms",
            )
            .bind(e.key.0.clone())
            .bind(e.memo.clone().unwrap_or_default())
            .bind(e.user.as_str().to_owned())
            .bind(e.network.clone())
            .bind(e.status.as_str())
            .bind(at.as_millis())
            .execute(&mut *tx)
            .await?;
            Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn book_hit(&self, key: &BookKey, memo: Option<&str>) -> RepoResult<BookHit> {
        db(async {
            let memo = memo.unwrap_or("").to_owned();
            let exact = sqlx::query(
                "SELECT user_id, network, status FROM protect_addresses \
                 WHERE address_key = $1 AND memo = $2",
            )
            .bind(key.0.clone())
            .bind(memo.clone())
            .fetch_optional(&self.pool)
            .await?;
            let entry = match exact {
                Some(r) => {
                    let user: String = r.try_get("user_id")?;
                    let status: String = r.try_get("status")?;
                    Some(DepositAddress {
                        key: key.clone(),
                        memo: (!memo.is_empty()).then_some(memo),
                        user: AccountId::new(user)
                            .map_err(|_| StoreError::corrupt("protect_addresses", "user_id"))?,
                        network: r.try_get("network")?,
                        status: match status.as_str() {
                            "active" => AddressStatus::Active,
                            "retired" => AddressStatus::Retired,
                            _ => return Err(StoreError::corrupt("protect_addresses", "status")),
                        },
                    })
                }
                None => None,
            };
            let address_known = entry.is_some()
                || sqlx::query(
                    "SELECT 1 AS one FROM protect_addresses WHERE address_key = $1 LIMIT 1",
                )
                .bind(key.0.clone())
                .fetch_optional(&self.pool)
                .await?
                .is_some();
            Ok(BookHit {
                address_known,
                entry,
            })
        })
        .await
    }

    async fn open_case(&self, c: &Case, event: NewEvent) -> RepoResult<Result<(), CaseId>> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let existing = sqlx::query("SELECT id FROM protect_cases WHERE transfer = $1")
                .bind(c.transfer.clone())
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(r) = existing {
                let id: String = r.try_get("id")?;
                return Ok(Err(CaseId::parse(&id)
                    .map_err(|_| StoreError::corrupt("protect_cases", "id"))?));
            }
            let at = c.opened_at().as_millis();
            // The writers' lock makes the look-up and the insert one step: two reports of one
            // transfer cannot both open a case (the UNIQUE column backs it up).
            sqlx::query(&format!(
                "INSERT INTO protect_cases ({CASE_COLS}, opened_ms, updated_ms) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
            ))
            .bind(c.id.as_str().to_owned())
            .bind(c.user.as_str().to_owned())
            .bind(c.transfer.clone())
            .bind(c.kind.as_str())
            .bind(c.network.clone())
            .bind(c.tx_hash.clone())
            .bind(c.token.clone())
            .bind(c.to.clone())
            .bind(c.memo.clone())
            .bind(c.asset.clone())
            .bind(i64::from(c.decimals))
            .bind(c.amount.to_string())
            .bind(i64_of(c.usd_cents))
            .bind(c.fee_units.to_string())
            .bind(i64_of(c.fee_usd_cents))
            .bind(c.reason.clone())
            .bind(c.state.as_str())
            .bind(Option::<String>::None)
            .bind(at)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            for (i, t) in c.history.iter().enumerate() {
                log_transition(&mut tx, &c.id, i, t).await?;
            }
            Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(Ok(()))
        })
        .await
    }

    async fn protect_overview(&self, now: Timestamp) -> RepoResult<ProtectOverview> {
        db(async {
            let r = sqlx::query(
                "SELECT (SELECT COUNT(*) FROM protect_accounts) AS accounts, \
                 (SELECT COUNT(*) FROM protect_accounts WHERE cooling_until_ms > $1) AS cooling, \
                 (SELECT COUNT(*) FROM protect_accounts WHERE knowledge_ms IS NOT NULL) AS knowledge, \
                 (SELECT COUNT(*) FROM protect_addresses WHERE status = 'active') AS addresses",
            )
            .bind(now.as_millis())
            .fetch_one(&self.pool)
            .await?;
            let n = |v: i64| {
                u64::try_from(v).map_err(|_| StoreError::corrupt("protect_accounts", "count"))
            };
            let mut cases: Vec<(CaseState, u64)> =
                CaseState::ALL.iter().map(|s| (*s, 0)).collect();
            let rows =
                sqlx::query("SELECT state, COUNT(*) AS n FROM protect_cases GROUP BY state")
                    .fetch_all(&self.pool)
                    .await?;
            for row in rows {
                let state: String = row.try_get("state")?;
                let state = CaseState::parse(&state)
                    .ok_or_else(|| StoreError::corrupt("protect_cases", "state"))?;
                if let Some(c) = cases.iter_mut().find(|(s, _)| *s == state) {
                    c.1 = n(row.try_get("n")?)?;
                }
            }
            Ok(ProtectOverview {
                accounts: n(r.try_get("accounts")?)?,
                cooling_off: n(r.try_get("cooling")?)?,
                knowledge_passed: n(r.try_get("knowledge")?)?,
                active_addresses: n(r.try_get("addresses")?)?,
                cases,
            })
        })
        .await
    }

    async fn case(&self, id: &CaseId) -> RepoResult<Option<Case>> {
        db(async {
            let r = sqlx::query(&format!(
                "SELECT {CASE_COLS} FROM protect_cases WHERE id = $1"
            ))
            .bind(id.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await?;
            match r {
                Some(r) => Ok(with_history(&self.pool, vec![case_from(&r)?]).await?.pop()),
                None => Ok(None),
            }
        })
        .await
    }

    async fn cases_of(&self, user: &AccountId, limit: u32) -> RepoResult<Vec<Case>> {
        db(async {
            let rows = sqlx::query(&format!(
                "SELECT {CASE_COLS} FROM protect_cases WHERE user_id = $1 \
                 ORDER BY opened_ms DESC, id LIMIT $2"
            ))
            .bind(user.as_str().to_owned())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
            let cases = rows.iter().map(case_from).collect::<Result<Vec<_>, _>>()?;
            with_history(&self.pool, cases).await
        })
        .await
    }

    async fn cases(
        &self,
        state: Option<CaseState>,
        after: Option<&CaseId>,
        limit: u32,
    ) -> RepoResult<Vec<Case>> {
        db(async {
            let after = after.map_or(String::new(), |a| a.as_str().to_owned());
            let rows =
                match state {
                    Some(s) => {
                        sqlx::query(&format!(
                            "SELECT {CASE_COLS} FROM protect_cases WHERE state = $1 AND id > $2 \
                         ORDER BY id LIMIT $3"
                        ))
                        .bind(s.as_str())
                        .bind(after)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await?
                    }
                    None => sqlx::query(&format!(
                        "SELECT {CASE_COLS} FROM protect_cases WHERE id > $1 ORDER BY id LIMIT $2"
                    ))
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?,
                };
            let cases = rows.iter().map(case_from).collect::<Result<Vec<_>, _>>()?;
            with_history(&self.pool, cases).await
        })
        .await
    }

    async fn advance_case(
        &self,
        c: &Case,
        expected: CaseState,
        t: &Transition,
        events: Vec<NewEvent>,
    ) -> RepoResult<bool> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let outcome = c
                .outcome
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| StoreError::corrupt("protect_cases", e.to_string()))?;
            let n = sqlx::query(
                "UPDATE protect_cases SET state = $1, outcome = $2, updated_ms = $3 \
                 WHERE id = $4 AND state = $5",
            )
            .bind(c.state.as_str())
            .bind(outcome)
            .bind(t.at.as_millis())
            .bind(c.id.as_str().to_owned())
            .bind(expected.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Ok(false);
            }
            let next: i64 =
                sqlx::query("SELECT COUNT(*) AS n FROM protect_case_log WHERE case_id = $1")
                    .bind(c.id.as_str().to_owned())
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("n")?;
            log_transition(&mut tx, &c.id, next as usize, t).await?;
            Self::append_in(&mut tx, seq, hash, events).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }
}

/// Checks waiting for the reader before callers wait for room.
const READ_QUEUE: usize = 8_192;
/// Accounts per query.
const READ_BATCH: usize = 256;
/// Queries in flight at once (each on its own pooled connection).
const READERS: usize = 4;

struct Ask {
    user: String,
    reply: oneshot::Sender<Result<AccountState, String>>,
}

/// The handle on the order checks' group reader, started on first use.
#[derive(Debug, Clone, Default)]
pub(crate) struct StateReader(Arc<OnceLock<mpsc::Sender<Ask>>>);

fn reader_gone() -> RepoError {
    RepoError::unavailable(std::io::Error::other("protection reader stopped"))
}

async fn reader(store: Store, mut rx: mpsc::Receiver<Ask>) {
    let permits = Arc::new(Semaphore::new(READERS));
    loop {
        // Wait for a free connection first, then take everything waiting: under load the
        // batch grows while the queries in flight run.
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let mut batch = Vec::with_capacity(READ_BATCH);
        if rx.recv_many(&mut batch, READ_BATCH).await == 0 {
            return;
        }
        let store = store.clone();
        tokio::spawn(async move {
            match read_batch(&store, &batch).await {
                Ok(found) => {
                    for a in batch {
                        let s = found.get(&a.user).copied().unwrap_or_default();
                        let _ = a.reply.send(Ok(s));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, checks = batch.len(), "protection state not read; orders denied");
                    let why = e.to_string();
                    for a in batch {
                        let _ = a.reply.send(Err(why.clone()));
                    }
                }
            }
            drop(permit);
        });
    }
}

async fn read_batch(
    store: &Store,
    batch: &[Ask],
) -> Result<HashMap<String, AccountState>, StoreError> {
    let mut users: Vec<&str> = batch.iter().map(|a| a.user.as_str()).collect();
    users.sort_unstable();
    users.dedup();
    let (list, padded) = in_list(users.len());
    let sql =
        format!("SELECT user_id, {ACCOUNT_COLS} FROM protect_accounts WHERE user_id IN ({list})");
    let mut q = sqlx::query(&sql);
    for i in 0..padded {
        q = q.bind(users[i.min(users.len() - 1)].to_owned());
    }
    let mut out = HashMap::with_capacity(users.len());
    for r in q.fetch_all(&store.pool).await? {
        out.insert(r.try_get::<String, _>("user_id")?, account_from(&r)?);
    }
    Ok(out)
}
