//! The sqlx adapter: one pool, SQLite or PostgreSQL by URL.

use std::time::Duration;

use std::future::Future;

use custodia_events::{Digest, Event, NewEvent, RepoError, RepoResult, StoreHealth};
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::rows;
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
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// Replay claims' own connections, with relaxed sync (see `replay.rs`); `None` for an
    /// in-memory SQLite database, which exists on one connection only.
    claims_pool: Option<AnyPool>,
    pub(crate) claims: crate::replay::ClaimWriter,
    /// The login assessments' group-commit writer (see `login.rs`).
    pub(crate) login_writer: crate::login::LoginWriter,
    /// The order checks' group reader (see `protect.rs`).
    pub(crate) protect_reader: crate::protect::StateReader,
}

pub(crate) type Tx = Transaction<'static, Any>;

/// SQLite busy timeout: how long a writer waits for another writer's lock.
pub(crate) const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

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
        let memory = url.contains(":memory:");
        if backend == Backend::Sqlite {
            if memory {
                max = 1;
            } else if !url.contains("mode=") {
                url.push_str(if url.contains('?') {
                    "&mode=rwc"
                } else {
                    "?mode=rwc"
                });
            }
            opts = opts.after_connect(|conn, _| Box::pin(sqlite_pragmas(conn, "FULL")));
        }
        let pool = match opts.max_connections(max).connect(&url).await {
            Ok(p) => p,
            Err(e) => return Err(connect_error(&url, e).await),
        };
        // On a SQLite file the login assessments get a connection of their own (see
        // `login_sqlite.rs`); a path sqlx would percent-decode is left to the pool.
        let lane_path = sqlite_path(&url);
        // On PostgreSQL they get native connections of their own (see `login_pg.rs`).
        let login_writer = if backend == Backend::Sqlite && !memory && !lane_path.contains('%') {
            crate::login::LoginWriter::on_sqlite_file(lane_path)
        } else if backend == Backend::Postgres {
            crate::login::LoginWriter::on_postgres(&url)
        } else {
            Default::default()
        };
        let mut store = Self {
            pool,
            backend,
            claims_pool: None,
            claims: Default::default(),
            login_writer,
            protect_reader: Default::default(),
        };
        store.migrate().await?;
        let claims = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        match backend {
            Backend::Sqlite if memory => {}
            Backend::Sqlite => {
                let claims = claims
                    .max_connections(1)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlite_pragmas(conn, "NORMAL").await?;
                            // Checkpoints (which sync the database file) are left to the
                            // other connections, so a claim never waits for one; and a larger
                            // page cache keeps the live claims' pages in this connection.
                            sqlx::query("PRAGMA wal_autocheckpoint = 0")
                                .execute(&mut *conn)
                                .await?;
                            sqlx::query("PRAGMA cache_size = -32768")
                                .execute(&mut *conn)
                                .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?;
                store.claims_pool = Some(claims);
            }
            Backend::Postgres => {
                let claims = claims
                    .max_connections(2)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::query("SET synchronous_commit = off")
                                .execute(&mut *conn)
                                .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?;
                store.claims_pool = Some(claims);
            }
        }
        Ok(store)
    }

    /// Opens a store that must already exist, for the operator commands (`audit verify`,
    /// `keys purge`, `operators …`): never creates a database file and never migrates.
    ///
    /// A missing SQLite file or PostgreSQL database is [`StoreError::Missing`]; a database
    /// without Custodia's schema, or at an older version than this binary's, is
    /// [`StoreError::NotReady`] (start `custodia serve` once to migrate it); a newer one is
    /// [`StoreError::SchemaTooNew`]. With [`Access::ReadOnly`] SQLite is opened `mode=ro` and
    /// PostgreSQL sessions are `default_transaction_read_only`, so a mistake cannot write.
    pub async fn open_existing(
        url: &str,
        max_connections: u32,
        access: Access,
    ) -> Result<Self, StoreError> {
        let backend = Backend::from_url(url)?;
        sqlx::any::install_default_drivers();
        let target = target_of(url);
        let mut url = url.to_owned();
        let mut opts = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(10))
            .max_connections(max_connections.max(1));
        match backend {
            Backend::Sqlite => {
                let path = sqlite_path(&url);
                if path.is_empty() || path.contains(":memory:") {
                    return Err(StoreError::Missing {
                        target: "an in-memory database".into(),
                    });
                }
                if !std::path::Path::new(path).is_file() {
                    return Err(StoreError::Missing { target });
                }
                let mode = match access {
                    Access::ReadOnly => "mode=ro",
                    Access::ReadWrite => "mode=rw",
                };
                url = with_sqlite_mode(&url, mode);
                opts = opts.after_connect(move |conn, _| {
                    Box::pin(async move {
                        if access == Access::ReadWrite {
                            sqlite_pragmas(conn, "FULL").await?;
                        } else {
                            let busy = format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}");
                            sqlx::query(&busy).execute(&mut *conn).await?;
                        }
                        Ok(())
                    })
                });
            }
            Backend::Postgres => {
                // One plain connection first: it fails at once with the server's own reason
                // (the pool would retry a refused connection until its timeout).
                use sqlx::Connection as _;
                match sqlx::AnyConnection::connect(&url).await {
                    Ok(c) => {
                        let _ = c.close().await;
                    }
                    Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("3D000") => {
                        return Err(StoreError::Missing { target });
                    }
                    Err(e) => return Err(connect_error(&url, e).await),
                }
                if access == Access::ReadOnly {
                    opts = opts.after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::query("SET default_transaction_read_only = on")
                                .execute(&mut *conn)
                                .await?;
                            Ok(())
                        })
                    });
                }
            }
        }
        let pool = match opts.connect(&url).await {
            Ok(p) => p,
            Err(e) => return Err(connect_error(&url, e).await),
        };
        let store = Self {
            pool,
            backend,
            claims_pool: None,
            claims: Default::default(),
            login_writer: Default::default(),
            protect_reader: Default::default(),
        };
        let version = match store.schema_version().await {
            Ok(v) => v,
            Err(StoreError::Database(sqlx::Error::Database(_))) => {
                store.close().await;
                return Err(StoreError::NotReady {
                    target,
                    why: "is not a Custodia store (it has no schema_version table)".into(),
                });
            }
            Err(e) => {
                store.close().await;
                return Err(e);
            }
        };
        if version > SCHEMA_VERSION {
            store.close().await;
            return Err(StoreError::SchemaTooNew {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version < SCHEMA_VERSION {
            store.close().await;
            return Err(StoreError::NotReady {
                target,
                why: format!(
                    "is at schema version {version}, older than this binary's {SCHEMA_VERSION}: \
                     start `custodia serve` once to migrate it"
                ),
            });
        }
        Ok(store)
    }

    /// Where replay claims are written (see `replay.rs` for why apart).
    pub(crate) fn claims_pool(&self) -> &AnyPool {
        self.claims_pool.as_ref().unwrap_or(&self.pool)
    }

    /// The engine.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for the adapter modules.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        if let Some(p) = &self.claims_pool {
            p.close().await;
        }
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

    /// The same database without the background writers' handles, for those writers' own tasks
    /// (a task holding a handle to its own queue would never see it close).
    pub(crate) fn detached(&self) -> Store {
        Store {
            pool: self.pool.clone(),
            backend: self.backend,
            claims_pool: None,
            claims: Default::default(),
            login_writer: Default::default(),
            protect_reader: Default::default(),
        }
    }

    /// Begins a write transaction holding the event-log lock, and reads the chain head.
    pub(crate) async fn write_tx(&self) -> Result<(Tx, u64, Digest), StoreError> {
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
    pub(crate) async fn append_in(
        tx: &mut Tx,
        seq: u64,
        hash: Digest,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Event>, StoreError> {
        let out = link_after(seq, hash, events);
        let sqlite = is_sqlite(tx);
        let rows = if sqlite {
            EVENT_INSERT_ROWS_SQLITE
        } else {
            EVENT_INSERT_ROWS
        };
        for chunk in out.chunks(rows) {
            let sql = values_sql_for(
                sqlite,
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
        if let Some(last) = out.last() {
            sqlx::query("UPDATE event_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(last.seq as i64)
                .bind(&last.hash.0[..])
                .execute(&mut **tx)
                .await?;
        }
        Ok(out)
    }
}

/// How [`Store::open_existing`] may use the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads only (`audit verify`): SQLite `mode=ro`, PostgreSQL read-only transactions.
    ReadOnly,
    /// Reads and writes, but never creates or migrates (`keys purge`, `operators …`).
    ReadWrite,
}

/// The file part of a `sqlite:` URL (no scheme, no query).
fn sqlite_path(url: &str) -> &str {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    rest.split('?').next().unwrap_or(rest)
}

/// `url` with its `mode=` query parameter replaced by `mode`.
fn with_sqlite_mode(url: &str, mode: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("mode="))
        .collect();
    params.push(mode);
    format!("{base}?{}", params.join("&"))
}

/// Where a URL points, for messages: the SQLite path, or PostgreSQL's `host:port/database`
/// without user or password.
pub fn target_of(url: &str) -> String {
    if url.starts_with("sqlite:") {
        return sqlite_path(url).to_owned();
    }
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let (hostport, db) = rest.split_once('/').unwrap_or((rest, ""));
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
    };
    let host = match hostport.rsplit_once(':') {
        Some((h, _)) if !h.is_empty() => h,
        None if !hostport.is_empty() => hostport,
        _ => param("host").unwrap_or("localhost"),
    };
    let port = hostport
        .rsplit_once(':')
        .map(|(_, p)| p)
        .or(param("port"))
        .unwrap_or("5432");
    let db = if db.is_empty() {
        param("dbname").unwrap_or("")
    } else {
        db
    };
    format!("{host}:{port}/{db}")
}

/// The error for a failed connection: where, and the driver's reason in plain words. A pool
/// that timed out says nothing of why, so one direct attempt is made to learn it.
async fn connect_error(url: &str, e: sqlx::Error) -> StoreError {
    let e = match e {
        sqlx::Error::PoolTimedOut => {
            use sqlx::Connection as _;
            match sqlx::AnyConnection::connect(url).await {
                Err(direct) => direct,
                Ok(c) => {
                    let _ = c.close().await;
                    sqlx::Error::PoolTimedOut
                }
            }
        }
        e => e,
    };
    StoreError::Connect {
        target: target_of(url),
        reason: connect_reason(&e),
    }
}

/// The driver's reason for a failed connection without its repeated wrapper text.
fn connect_reason(e: &sqlx::Error) -> String {
    match e {
        // `connection refused`, `timed out`, …; a lookup failure keeps its own words.
        sqlx::Error::Io(io) => {
            let kind = io.kind().to_string();
            if io.kind() == std::io::ErrorKind::Other || kind.contains("uncategorized") {
                io.to_string()
            } else {
                kind
            }
        }
        sqlx::Error::Database(d) => d.message().to_owned(),
        sqlx::Error::PoolTimedOut => "timed out waiting for a connection".into(),
        sqlx::Error::Tls(t) => format!("TLS: {t}"),
        other => other.to_string(),
    }
}

/// WAL, the given `synchronous` level, and a busy timeout, on every new SQLite connection.
async fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    synchronous: &'static str,
) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&mut *conn)
        .await?;
    sqlx::query(&format!("PRAGMA synchronous = {synchronous}"))
        .execute(&mut *conn)
        .await?;
    let busy = format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}");
    sqlx::query(&busy).execute(&mut *conn).await?;
    // 16 MiB of page cache per connection (SQLite's default is 2 MiB), taken only as pages are
    // used. It keeps the hot rows of read-mostly tables in the connection; under a steady
    // writer WAL mode invalidates it at each commit, so it does not save the login path's reads.
    sqlx::query("PRAGMA cache_size = -16384")
        .execute(&mut *conn)
        .await?;
    // Statement journals (which let a multi-row INSERT that fails half-way undo its own rows)
    // and temporary sort tables live in memory instead of temporary files: they never matter
    // after a crash (the WAL is what makes a commit durable), and the file version cost the
    // fund's batched writes a write() system call per journalled page.
    sqlx::query("PRAGMA temp_store = MEMORY")
        .execute(&mut *conn)
        .await?;
    // Checkpoint the WAL every 16k pages (64 MiB) instead of SQLite's 1,000: each checkpoint
    // syncs the database file, and batched writers (the fund's 1,000-liquidation transactions
    // write hundreds of pages each) otherwise pay one every other commit. Durability does not
    // change (a commit is durable once its WAL frames are synced); the WAL file grows larger
    // between checkpoints and SQLite truncates nothing until one runs.
    sqlx::query("PRAGMA wal_autocheckpoint = 16384")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.is_unique_violation()
                || d.message().contains("UNIQUE constraint failed")
                || d.code().as_deref() == Some("23505")
        }
        _ => false,
    }
}

impl StoreHealth for Store {
    async fn health(&self) -> RepoResult<(&'static str, i64)> {
        db(async {
            let v = self.schema_version().await?;
            Ok((
                match self.backend {
                    Backend::Sqlite => "sqlite",
                    Backend::Postgres => "postgres",
                },
                v,
            ))
        })
        .await
    }
}

/// Event rows per multi-row `INSERT` (8 columns; see `guard.rs` for why small).
const EVENT_INSERT_ROWS: usize = 50;
/// The same on SQLite, where the statement's placeholders are anonymous (see
/// [`values_sql_for`]): binding is linear, so larger statements only save statement steps.
const EVENT_INSERT_ROWS_SQLITE: usize = 125;

/// Whether `tx` runs on SQLite.
pub(crate) fn is_sqlite(tx: &Tx) -> bool {
    tx.backend_name() == "SQLite"
}

/// [`values_sql`] with the placeholders the engine binds fastest: PostgreSQL's `$n`, or on
/// SQLite anonymous `?` bound in order. sqlx asks SQLite for each parameter's name before
/// binding it, and SQLite finds a numbered name with a linear walk of the statement's
/// parameter list, so a statement of P `$n` parameters costs P² at every execution (a third of
/// the fund benchmark's time at 2,600 parameters, a tenth at 400); an anonymous `?` has no name
/// and binds in O(1).
pub(crate) fn values_sql_for(
    sqlite: bool,
    head: &str,
    cols: usize,
    rows: usize,
    tail: &str,
) -> String {
    if !sqlite {
        return values_sql(head, cols, rows, tail);
    }
    let mut sql = String::with_capacity(head.len() + tail.len() + rows * (cols * 3 + 4));
    sql.push_str(head);
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            sql.push_str(if c == 0 { "?" } else { ", ?" });
        }
        sql.push(')');
    }
    sql.push_str(tail);
    sql
}

/// `INSERT INTO … VALUES ($1, …), (…) …` for `rows` rows of `cols` columns, then `tail`.
pub(crate) fn values_sql(head: &str, cols: usize, rows: usize, tail: &str) -> String {
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

/// `$1, $2, …` for an `IN (…)` list of `n` values, padded to the next power of two (the caller
/// binds its last value again for the padding): few distinct statements, so each connection's
/// prepared-statement cache keeps hitting. Returns the list and the padded length.
pub(crate) fn in_list(n: usize) -> (String, usize) {
    let padded = n.max(1).next_power_of_two();
    let list = (1..=padded)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    (list, padded)
}

/// Runs a store operation and reports its failure as the ports' [`RepoError`].
pub(crate) async fn db<T>(op: impl Future<Output = Result<T, StoreError>>) -> RepoResult<T> {
    op.await.map_err(RepoError::from)
}

/// `events` linked into the chain after the event (`seq`, `hash`): each one's hash covers the
/// previous one's. Every writer that appends a batch links it here.
pub(crate) fn link_after(mut seq: u64, mut hash: Digest, events: Vec<NewEvent>) -> Vec<Event> {
    let mut out = Vec::with_capacity(events.len());
    for body in events {
        let e = Event::link(seq, hash, body);
        seq = e.seq;
        hash = e.hash;
        out.push(e);
    }
    out
}
