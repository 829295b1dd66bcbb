//! The sqlx adapter: one pool, SQLite or PostgreSQL by URL.

use std::time::Duration;

use custodia_events::{Digest, Event, NewEvent, Timestamp};
use custodia_keys::{ApiKey, ApiKeyId, KeyStatus};
use custodia_primitives::AccountId;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::repo::{
    ApiKeyRepo, EventAppender, EventReader, GuardLists, GuardReplace, GuardReplaced, GuardRepo,
    OperatorRecord, OperatorRepo, Role, StoreHealth, StoredSnapshot, TotpRecord, TotpRepo,
};
use crate::rows::{self, EVENT_COLUMNS, KEY_COLUMNS, OPERATOR_COLUMNS};
use crate::{MIGRATIONS, SCHEMA_VERSION, StoreError};

/// Which engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (WAL, `synchronous=FULL`).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// The engine a URL names.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl {
                scheme: url
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(20)
                    .collect(),
            })
        }
    }
}

/// The store: a connection pool plus the engine it talks to. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

type Tx = Transaction<'static, Any>;

/// SQLite busy timeout: how long a writer waits for another writer's lock.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

impl Store {
    /// Connects and migrates to [`SCHEMA_VERSION`].
    ///
    /// `sqlite://PATH` creates the file if needed; `sqlite::memory:` is a private in-memory
    /// database (one connection); `postgres://…` needs an existing database.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let backend = Backend::from_url(url)?;
        sqlx::any::install_default_drivers();
        let mut url = url.to_owned();
        let mut max = max_connections.max(1);
        let mut opts = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        if backend == Backend::Sqlite {
            if url.contains(":memory:") {
                max = 1;
            } else if !url.contains("mode=") {
                url.push_str(if url.contains('?') {
                    "&mode=rwc"
                } else {
                    "?mode=rwc"
                });
            }
            opts = opts.after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA synchronous = FULL")
                        .execute(&mut *conn)
                        .await?;
                    let busy = format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}");
                    sqlx::query(&busy).execute(&mut *conn).await?;
                    Ok(())
                })
            });
        }
        let pool = opts.max_connections(max).connect(&url).await?;
        let store = Self { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    /// The engine.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for adapter modules kept outside this file (the job queue).
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The schema version recorded in the database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("v")?)
    }

    /// Runs pending migrations, each in its own transaction; refuses a database newer than
    /// this binary. Safe to run concurrently from several processes.
    pub async fn migrate(&self) -> Result<i64, StoreError> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, \
             name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        let now_ms = match self.backend {
            Backend::Sqlite => "CAST(strftime('%s', 'now') AS INTEGER) * 1000",
            Backend::Postgres => "CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT)",
        };
        for m in MIGRATIONS {
            let mut tx = match self.backend {
                Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
                Backend::Postgres => {
                    let mut tx = self.pool.begin().await?;
                    sqlx::query("LOCK TABLE schema_version IN ACCESS EXCLUSIVE MODE")
                        .execute(&mut *tx)
                        .await?;
                    tx
                }
            };
            let current: i64 =
                sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("v")?;
            if current > SCHEMA_VERSION {
                return Err(StoreError::SchemaTooNew {
                    found: current,
                    supported: SCHEMA_VERSION,
                });
            }
            if current >= m.version {
                continue;
            }
            let stmts = match self.backend {
                Backend::Sqlite => m.sqlite,
                Backend::Postgres => m.postgres,
            };
            let fail = |source| StoreError::Migration {
                version: m.version,
                name: m.name,
                source,
            };
            for s in stmts {
                sqlx::query(s).execute(&mut *tx).await.map_err(fail)?;
            }
            let record = format!(
                "INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, {now_ms})"
            );
            sqlx::query(&record)
                .bind(m.version)
                .bind(m.name)
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
            tx.commit().await.map_err(fail)?;
            tracing::info!(version = m.version, name = m.name, "applied migration");
        }
        let v = self.schema_version().await?;
        if v > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found: v,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(v)
    }

    /// SQLite only: `(journal_mode, synchronous, busy_timeout)` as a pooled connection sees them.
    pub async fn sqlite_settings(&self) -> Result<Option<(String, i64, i64)>, StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let mut conn = self.pool.acquire().await?;
        let mode: String = sqlx::query("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        let sync: i64 = sqlx::query("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        let busy: i64 = sqlx::query("PRAGMA busy_timeout")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        Ok(Some((mode, sync, busy)))
    }

    /// Executes one statement as is. For tamper and failure tests only: never call it with input.
    #[doc(hidden)]
    pub async fn execute_raw_for_tests(&self, sql: &str) -> Result<u64, StoreError> {
        Ok(sqlx::query(sql).execute(&self.pool).await?.rows_affected())
    }

    /// Begins a write transaction holding the event-log lock, and reads the chain head.
    async fn write_tx(&self) -> Result<(Tx, u64, Digest), StoreError> {
        let (mut tx, sql) = match self.backend {
            Backend::Sqlite => (
                self.pool.begin_with("BEGIN IMMEDIATE").await?,
                "SELECT seq, hash FROM event_head WHERE id = 1",
            ),
            Backend::Postgres => (
                self.pool.begin().await?,
                "SELECT seq, hash FROM event_head WHERE id = 1 FOR UPDATE",
            ),
        };
        let row = sqlx::query(sql).fetch_one(&mut *tx).await?;
        let seq: i64 = row.try_get("seq")?;
        let hash: Vec<u8> = row.try_get("hash")?;
        let seq = u64::try_from(seq).map_err(|_| StoreError::corrupt("event_head", "seq"))?;
        Ok((tx, seq, rows::digest(&hash)))
    }

    /// Appends `events` after (`seq`, `hash`) inside `tx` and moves the head. Rows go in
    /// multi-row `INSERT`s of [`EVENT_INSERT_ROWS`] (the batched audit writer appends up to a
    /// thousand events per transaction).
    async fn append_in(
        tx: &mut Tx,
        mut seq: u64,
        mut hash: Digest,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Event>, StoreError> {
        let mut out = Vec::with_capacity(events.len());
        for body in events {
            let e = Event::link(seq, hash, body);
            seq = e.seq;
            hash = e.hash;
            out.push(e);
        }
        for chunk in out.chunks(EVENT_INSERT_ROWS) {
            let sql = values_sql(
                "INSERT INTO events (seq, time_ms, kind, actor, subject, payload, prev_hash, hash) VALUES ",
                8,
                chunk.len(),
                "",
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(e.seq as i64)
                    .bind(e.body.time.as_millis())
                    .bind(e.body.kind.as_str())
                    .bind(e.body.actor.as_str())
                    .bind(e.body.subject.as_str())
                    .bind(e.body.payload.as_str())
                    .bind(&e.prev_hash.0[..])
                    .bind(&e.hash.0[..]);
            }
            q.execute(&mut **tx).await?;
        }
        if !out.is_empty() {
            sqlx::query("UPDATE event_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(seq as i64)
                .bind(&hash.0[..])
                .execute(&mut **tx)
                .await?;
        }
        Ok(out)
    }

    async fn fetch_keys(&self, sql: String, bind: KeyQuery<'_>) -> Result<Vec<ApiKey>, StoreError> {
        let q = sqlx::query(&sql);
        let q = match bind {
            KeyQuery::Id(id) => q.bind(id.to_string()),
            KeyQuery::User(u) => q.bind(u.as_str().to_owned()),
            KeyQuery::Idle(cutoff, limit) => q.bind(cutoff.as_millis()).bind(i64::from(limit)),
        };
        let rows: Vec<AnyRow> = q.fetch_all(&self.pool).await?;
        rows.iter().map(rows::api_key).collect()
    }
}

enum KeyQuery<'a> {
    Id(&'a ApiKeyId),
    User(&'a AccountId),
    Idle(Timestamp, u32),
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.is_unique_violation()
                || d.message().contains("UNIQUE constraint failed")
                || d.code().as_deref() == Some("23505")
        }
        _ => false,
    }
}

/// Trade (2) or withdraw (4), unbound, active, idle since `$1`.
const IDLE_WHERE: &str = "status = 'active' AND ips = '' AND (permissions & 6) <> 0 \
     AND COALESCE(last_used_at, created_at) <= $1";

impl EventAppender for Store {
    async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<Event>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let (mut tx, seq, hash) = self.write_tx().await?;
        let out = Self::append_in(&mut tx, seq, hash, events).await?;
        tx.commit().await?;
        Ok(out)
    }
}

impl EventReader for Store {
    async fn events_after(&self, after: u64, limit: u32) -> Result<Vec<Event>, StoreError> {
        let sql =
            format!("SELECT {EVENT_COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2");
        let rows: Vec<AnyRow> = sqlx::query(&sql)
            .bind(i64::try_from(after).unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::event).collect()
    }

    async fn head(&self) -> Result<(u64, Digest), StoreError> {
        // The real last row, not event_head: verification must not trust the bookkeeping row.
        let row = sqlx::query("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok((0, custodia_events::GENESIS_HASH)),
            Some(r) => {
                let seq: i64 = r.try_get("seq")?;
                let hash: Vec<u8> = r.try_get("hash")?;
                Ok((seq.max(0) as u64, rows::digest(&hash)))
            }
        }
    }

    async fn count_kind(
        &self,
        kind: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<u64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM events WHERE kind = $1 AND time_ms >= $2 AND time_ms < $3",
        )
        .bind(kind.to_owned())
        .bind(from.as_millis())
        .bind(to.as_millis())
        .fetch_one(&self.pool)
        .await?;
        let n: i64 = row.try_get("n")?;
        Ok(n.max(0) as u64)
    }

    async fn events_of_kinds(
        &self,
        kinds: &[&str],
        from: Timestamp,
        to: Timestamp,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let n = kinds.len();
        let list = (1..=n)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE kind IN ({list}) AND time_ms >= ${} \
             AND time_ms < ${} AND seq > ${} ORDER BY seq LIMIT ${}",
            n + 1,
            n + 2,
            n + 3,
            n + 4
        );
        let mut q = sqlx::query(&sql);
        for k in kinds {
            q = q.bind(*k);
        }
        let rows: Vec<AnyRow> = q
            .bind(from.as_millis())
            .bind(to.as_millis())
            .bind(i64::try_from(after).unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::event).collect()
    }
}

impl ApiKeyRepo for Store {
    async fn create_key(&self, key: &ApiKey, event: NewEvent) -> Result<Event, StoreError> {
        let (mut tx, seq, hash) = self.write_tx().await?;
        let r = sqlx::query(
            "INSERT INTO api_keys (id, user_id, label, permissions, ips, passphrase_hash, \
             secret_sealed, created_at, last_used_at, status, status_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(key.id.to_string())
        .bind(key.user.as_str().to_owned())
        .bind(key.label.as_str().to_owned())
        .bind(key.permissions.bits())
        .bind(key.ips.to_stored())
        .bind(key.passphrase_hash.as_str().to_owned())
        .bind(key.secret_sealed.0.clone())
        .bind(key.created_at.as_millis())
        .bind(key.last_used_at.map(Timestamp::as_millis))
        .bind(key.status.as_str())
        .bind(key.status_at.as_millis())
        .execute(&mut *tx)
        .await;
        match r {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict { what: "API key" });
            }
            other => other?,
        };
        let mut ev = Self::append_in(&mut tx, seq, hash, vec![event]).await?;
        tx.commit().await?;
        Ok(ev.remove(0))
    }

    async fn key(&self, id: &ApiKeyId) -> Result<Option<ApiKey>, StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1");
        Ok(self.fetch_keys(sql, KeyQuery::Id(id)).await?.pop())
    }

    async fn keys_of(&self, user: &AccountId) -> Result<Vec<ApiKey>, StoreError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY created_at DESC, id"
        );
        self.fetch_keys(sql, KeyQuery::User(user)).await
    }

    async fn end_key(
        &self,
        id: &ApiKeyId,
        user: &AccountId,
        status: KeyStatus,
        at: Timestamp,
        event: NewEvent,
    ) -> Result<bool, StoreError> {
        let (mut tx, seq, hash) = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE api_keys SET status = $1, status_at = $2 \
             WHERE id = $3 AND user_id = $4 AND status = 'active'",
        )
        .bind(status.as_str())
        .bind(at.as_millis())
        .bind(id.to_string())
        .bind(user.as_str().to_owned())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        Self::append_in(&mut tx, seq, hash, vec![event]).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn record_usage(
        &self,
        uses: &[(ApiKeyId, Timestamp)],
        events: Vec<NewEvent>,
    ) -> Result<(), StoreError> {
        let (mut tx, seq, hash) = self.write_tx().await?;
        for (id, t) in uses {
            sqlx::query(
                "UPDATE api_keys SET last_used_at = $1 \
                 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
            )
            .bind(t.as_millis())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        Self::append_in(&mut tx, seq, hash, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn idle_candidates(
        &self,
        cutoff: Timestamp,
        limit: u32,
    ) -> Result<Vec<ApiKey>, StoreError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE {IDLE_WHERE} ORDER BY created_at, id LIMIT $2"
        );
        self.fetch_keys(sql, KeyQuery::Idle(cutoff, limit)).await
    }

    async fn expire_idle_key(
        &self,
        id: &ApiKeyId,
        cutoff: Timestamp,
        at: Timestamp,
        event: NewEvent,
    ) -> Result<bool, StoreError> {
        let (mut tx, seq, hash) = self.write_tx().await?;
        let sql = format!(
            "UPDATE api_keys SET status = 'expired', status_at = $2 WHERE {IDLE_WHERE} AND id = $3"
        );
        let n = sqlx::query(&sql)
            .bind(cutoff.as_millis())
            .bind(at.as_millis())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        Self::append_in(&mut tx, seq, hash, vec![event]).await?;
        tx.commit().await?;
        Ok(true)
    }
}

impl TotpRepo for Store {
    async fn totp(&self, user: &AccountId) -> Result<Option<TotpRecord>, StoreError> {
        let row = sqlx::query("SELECT seed_sealed, last_step FROM user_totp WHERE user_id = $1")
            .bind(user.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| -> Result<TotpRecord, StoreError> {
            Ok(TotpRecord {
                seed_sealed: r.try_get("seed_sealed")?,
                last_step: r.try_get("last_step")?,
            })
        })
        .transpose()
    }

    async fn enroll_totp(
        &self,
        user: &AccountId,
        seed_sealed: &[u8],
        at: Timestamp,
        event: NewEvent,
    ) -> Result<bool, StoreError> {
        let (mut tx, seq, hash) = self.write_tx().await?;
        let r = sqlx::query(
            "INSERT INTO user_totp (user_id, seed_sealed, last_step, created_at) VALUES ($1, $2, NULL, $3)",
        )
        .bind(user.as_str().to_owned())
        .bind(seed_sealed.to_vec())
        .bind(at.as_millis())
        .execute(&mut *tx)
        .await;
        match r {
            Err(e) if is_unique_violation(&e) => {
                tx.rollback().await?;
                return Ok(false);
            }
            other => other?,
        };
        Self::append_in(&mut tx, seq, hash, vec![event]).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn consume_totp_step(&self, user: &AccountId, step: i64) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE user_totp SET last_step = $1 \
             WHERE user_id = $2 AND (last_step IS NULL OR last_step < $1)",
        )
        .bind(step)
        .bind(user.as_str().to_owned())
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}

impl OperatorRepo for Store {
    async fn create_operator(
        &self,
        rec: &OperatorRecord,
        event: NewEvent,
    ) -> Result<Event, StoreError> {
        let (mut tx, seq, hash) = self.write_tx().await?;
        let r = sqlx::query(
            "INSERT INTO operators (id, name, role, token_hash, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(rec.id.clone())
        .bind(rec.name.clone())
        .bind(rec.role.as_str())
        .bind(rec.token_hash.to_vec())
        .bind(rec.created_at.as_millis())
        .bind(rec.revoked_at.map(Timestamp::as_millis))
        .execute(&mut *tx)
        .await;
        match r {
            Err(e) if is_unique_violation(&e) => {
                tx.rollback().await?;
                return Err(StoreError::Conflict { what: "operator" });
            }
            other => other?,
        };
        let mut ev = Self::append_in(&mut tx, seq, hash, vec![event]).await?;
        tx.commit().await?;
        Ok(ev.remove(0))
    }

    async fn operator_by_token_hash(
        &self,
        hash: &[u8; 32],
    ) -> Result<Option<OperatorRecord>, StoreError> {
        let sql = format!(
            "SELECT {OPERATOR_COLUMNS} FROM operators WHERE token_hash = $1 AND revoked_at IS NULL"
        );
        let row = sqlx::query(&sql)
            .bind(hash.to_vec())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::operator).transpose()
    }

    async fn count_operators(&self, role: Role) -> Result<u64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM operators WHERE role = $1 AND revoked_at IS NULL",
        )
        .bind(role.as_str())
        .fetch_one(&self.pool)
        .await?;
        let n: i64 = row.try_get("n")?;
        Ok(n.max(0) as u64)
    }
}

impl StoreHealth for Store {
    async fn health(&self) -> Result<(&'static str, i64), StoreError> {
        let v = self.schema_version().await?;
        Ok((
            match self.backend {
                Backend::Sqlite => "sqlite",
                Backend::Postgres => "postgres",
            },
            v,
        ))
    }
}

/// Event rows per multi-row `INSERT` (8 columns; see [`GUARD_INSERT_ROWS`] for why small).
const EVENT_INSERT_ROWS: usize = 50;

/// Rows per multi-row `INSERT`. Small on purpose: sqlx's SQLite driver resolves each bound
/// parameter with `sqlite3_bind_parameter_name`, which is linear in the parameter count, so a
/// statement's binding cost grows with the square of its size (500 rows × 9 columns spent 90%
/// of an import there); 50 rows keep it negligible with few round trips.
const GUARD_INSERT_ROWS: usize = 50;
/// Rows per page when reading the lists back. Pages are keyset ranges written as row values,
/// `(a, b) > ($1, $2)`: both engines answer them with a primary-key range search (the
/// equivalent `a > $1 OR (a = $1 AND b > $2)` makes SQLite scan the whole table per page).
const GUARD_PAGE_ROWS: i64 = 20_000;

/// `INSERT INTO … VALUES ($1, …), (…) …` for `rows` rows of `cols` columns, then `tail`.
fn values_sql(head: &str, cols: usize, rows: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(head.len() + tail.len() + rows * cols * 6);
    sql.push_str(head);
    let mut p = 1;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&p.to_string());
            p += 1;
        }
        sql.push(')');
    }
    sql.push_str(tail);
    sql
}

/// Keeps the last occurrence of each key, in order of last occurrence.
fn last_wins<T, K: std::hash::Hash + Eq>(items: &[T], key: impl Fn(&T) -> K) -> Vec<&T> {
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    let mut out: Vec<&T> = items.iter().rev().filter(|e| seen.insert(key(e))).collect();
    out.reverse();
    out
}

impl Store {
    async fn insert_guard_domains(
        tx: &mut Tx,
        list: &'static str,
        list_source: &str,
        entries: &[custodia_guard::DomainEntry],
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut inserted = 0;
        let mut entries = last_wins(entries, |e| (e.host.clone(), e.source.clone()));
        entries.sort_unstable_by(|a, b| (&a.host, &a.source).cmp(&(&b.host, &b.source)));
        for chunk in entries.chunks(GUARD_INSERT_ROWS) {
            let sql = values_sql(
                "INSERT INTO guard_domain_entries (list, host, source, list_source, category, \
                 listed_date, imported_at) VALUES ",
                7,
                chunk.len(),
                " ON CONFLICT (list, host, source) DO UPDATE SET list_source = excluded.list_source, \
                 category = excluded.category, listed_date = excluded.listed_date, \
                 imported_at = excluded.imported_at",
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(list)
                    .bind(e.host.as_str())
                    .bind(e.source.as_str())
                    .bind(list_source)
                    .bind(e.category.as_str())
                    .bind(e.date.map(|d| d.to_string()))
                    .bind(at.as_millis());
            }
            inserted += q.execute(&mut **tx).await?.rows_affected();
        }
        Ok(inserted)
    }

    async fn guard_domains(
        &self,
        list: &'static str,
    ) -> Result<Vec<custodia_guard::DomainEntry>, StoreError> {
        let mut out = Vec::new();
        let (mut host, mut source) = (String::new(), String::new());
        loop {
            let rows: Vec<AnyRow> = sqlx::query(
                "SELECT host, source, category, listed_date FROM guard_domain_entries \
                 WHERE list = $1 AND (host, source) > ($2, $3) \
                 ORDER BY host, source LIMIT $4",
            )
            .bind(list)
            .bind(host.as_str())
            .bind(source.as_str())
            .bind(GUARD_PAGE_ROWS)
            .fetch_all(&self.pool)
            .await?;
            let full = rows.len() as i64 == GUARD_PAGE_ROWS;
            for r in &rows {
                out.push(rows::guard_domain(r)?);
            }
            match out.last() {
                Some(last) if full => {
                    host.clone_from(&last.host);
                    source.clone_from(&last.source);
                }
                _ => return Ok(out),
            }
        }
    }
}

impl GuardRepo for Store {
    async fn replace_guard_list(
        &self,
        r: GuardReplace<'_>,
        events: Vec<NewEvent>,
    ) -> Result<GuardReplaced, StoreError> {
        let (mut tx, seq, hash) = self.write_tx().await?;
        let mut removed = 0;
        let mut inserted = 0;
        if let Some(entries) = r.addresses {
            removed += sqlx::query("DELETE FROM guard_address_entries WHERE list_source = $1")
                .bind(r.list_source)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // In key order: the B-tree is filled front to back instead of at random.
            let mut entries = last_wins(entries, |e| (e.address, e.source.clone()));
            entries.sort_unstable_by(|a, b| {
                (a.address.key_bytes(), &a.source).cmp(&(b.address.key_bytes(), &b.source))
            });
            for chunk in entries.chunks(GUARD_INSERT_ROWS) {
                let sql = values_sql(
                    "INSERT INTO guard_address_entries (address_key, source, list_source, chain, \
                     address, category, listed_date, label, imported_at) VALUES ",
                    9,
                    chunk.len(),
                    " ON CONFLICT (address_key, source) DO UPDATE SET \
                     list_source = excluded.list_source, category = excluded.category, \
                     listed_date = excluded.listed_date, label = excluded.label, \
                     imported_at = excluded.imported_at",
                );
                let mut q = sqlx::query(&sql);
                for e in chunk {
                    q = q
                        .bind(e.address.key_bytes().to_vec())
                        .bind(e.source.as_str())
                        .bind(r.list_source)
                        .bind(e.address.chain().as_str())
                        .bind(e.address.canonical())
                        .bind(e.category.as_str())
                        .bind(e.date.map(|d| d.to_string()))
                        .bind(e.label.as_deref())
                        .bind(r.at.as_millis());
                }
                inserted += q.execute(&mut *tx).await?.rows_affected();
            }
        }
        for (list, part) in [("block", r.blocked), ("allow", r.allowed)] {
            let Some(entries) = part else { continue };
            removed += sqlx::query(
                "DELETE FROM guard_domain_entries WHERE list_source = $1 AND list = $2",
            )
            .bind(r.list_source)
            .bind(list)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            inserted +=
                Self::insert_guard_domains(&mut tx, list, r.list_source, entries, r.at).await?;
        }
        let events = Self::append_in(&mut tx, seq, hash, events).await?;
        tx.commit().await?;
        Ok(GuardReplaced {
            removed,
            inserted,
            events,
        })
    }

    async fn guard_lists(&self) -> Result<GuardLists, StoreError> {
        let mut addresses = Vec::new();
        let (mut key, mut source) = (Vec::<u8>::new(), String::new());
        loop {
            let rows: Vec<AnyRow> = sqlx::query(
                "SELECT address_key, source, category, listed_date, label FROM guard_address_entries \
                 WHERE (address_key, source) > ($1, $2) \
                 ORDER BY address_key, source LIMIT $3",
            )
            .bind(key.clone())
            .bind(source.as_str())
            .bind(GUARD_PAGE_ROWS)
            .fetch_all(&self.pool)
            .await?;
            let full = rows.len() as i64 == GUARD_PAGE_ROWS;
            for r in &rows {
                addresses.push(rows::guard_address(r)?);
            }
            match addresses.last() {
                Some(last) if full => {
                    key = last.address.key_bytes().to_vec();
                    source.clone_from(&last.source);
                }
                _ => break,
            }
        }
        Ok(GuardLists {
            addresses,
            blocked: self.guard_domains("block").await?,
            allowed: self.guard_domains("allow").await?,
        })
    }

    async fn put_guard_snapshot(
        &self,
        s: &StoredSnapshot,
        keep: u32,
        event: NewEvent,
    ) -> Result<Event, StoreError> {
        let version = i64::try_from(s.version)
            .map_err(|_| StoreError::corrupt("guard_snapshots", "version above 2^63"))?;
        let (mut tx, seq, hash) = self.write_tx().await?;
        let r = sqlx::query(
            "INSERT INTO guard_snapshots (version, created, sha256, bytes, published_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(version)
        .bind(i64::try_from(s.created).unwrap_or(i64::MAX))
        .bind(s.sha256.to_vec())
        .bind(s.bytes.as_slice())
        .bind(s.published_at.as_millis())
        .execute(&mut *tx)
        .await;
        match r {
            Err(e) if is_unique_violation(&e) => {
                tx.rollback().await?;
                return Err(StoreError::Conflict {
                    what: "snapshot version",
                });
            }
            other => other?,
        };
        sqlx::query(
            "DELETE FROM guard_snapshots WHERE version NOT IN \
             (SELECT version FROM guard_snapshots ORDER BY version DESC LIMIT $1)",
        )
        .bind(i64::from(keep.max(1)))
        .execute(&mut *tx)
        .await?;
        let mut ev = Self::append_in(&mut tx, seq, hash, vec![event]).await?;
        tx.commit().await?;
        Ok(ev.remove(0))
    }

    async fn guard_snapshot(&self, version: u64) -> Result<Option<StoredSnapshot>, StoreError> {
        let Ok(v) = i64::try_from(version) else {
            return Ok(None);
        };
        let row = sqlx::query(
            "SELECT version, created, sha256, bytes, published_at FROM guard_snapshots WHERE version = $1",
        )
        .bind(v)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::guard_snapshot).transpose()
    }

    async fn latest_guard_snapshot(&self) -> Result<Option<StoredSnapshot>, StoreError> {
        let row = sqlx::query(
            "SELECT version, created, sha256, bytes, published_at FROM guard_snapshots \
             ORDER BY version DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::guard_snapshot).transpose()
    }
}
