use thiserror::Error;

/// Why a store operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The URL's scheme is not one the store supports (only the scheme is shown: URLs hold passwords).
    #[error(
        "unsupported database URL scheme `{scheme}`: use sqlite://PATH, sqlite::memory: or postgres://…"
    )]
    UnsupportedUrl {
        /// The scheme part of the URL.
        scheme: String,
    },
    /// The database could not be reached: `target` names where (host, port and database, or
    /// the SQLite file; never the password) and `reason` why, in the driver's words.
    #[error("cannot connect to {target} ({reason})")]
    Connect {
        /// `host:port/database` or the SQLite path.
        target: String,
        /// Why: `connection refused`, `password authentication failed for user …`, ….
        reason: String,
    },
    /// A command that must not create a store found none where the URL points.
    #[error(
        "no Custodia store at {target}: check store.url (CUSTODIA_STORE_URL); this command \
         never creates one"
    )]
    Missing {
        /// The SQLite path or `host:port/database`.
        target: String,
    },
    /// The database exists but holds no Custodia schema, or one older than this binary's.
    #[error("{target} {why}")]
    NotReady {
        /// The SQLite path or `host:port/database`.
        target: String,
        /// `is not a Custodia store (no schema_version table)` or `is at schema version …`.
        why: String,
    },
    /// The database driver failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The login path's own SQLite connection failed (see `login_sqlite.rs`).
    #[error("SQLite (login connection): {why}")]
    Sqlite {
        /// SQLite's message.
        why: String,
    },
    /// The login path's own PostgreSQL connection failed (see `login_pg.rs`).
    #[error("PostgreSQL (login connection): {why}")]
    Postgres {
        /// The driver's message.
        why: String,
    },
    /// The database was migrated by a newer binary.
    #[error(
        "database schema is at version {found}, newer than this binary's {supported}; refusing to run"
    )]
    SchemaTooNew {
        /// Version in the database.
        found: i64,
        /// Latest version this binary knows.
        supported: i64,
    },
    /// A migration failed and was rolled back.
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        /// Its version.
        version: i64,
        /// Its name.
        name: &'static str,
        /// The driver error.
        source: sqlx::Error,
    },
    /// A stored row does not decode.
    #[error("corrupt row in `{table}`: {why}")]
    Corrupt {
        /// Table.
        table: &'static str,
        /// What is wrong.
        why: String,
    },
    /// A unique row already exists.
    #[error("{what} already exists")]
    Conflict {
        /// What.
        what: &'static str,
    },
    /// A job queue name, job key or worker id breaks its rule (see [`crate::jobs`]).
    #[error("invalid {what} {got:?}: {rule}")]
    InvalidJobName {
        /// `"queue name"`, `"job key"` or `"worker id"`.
        what: &'static str,
        /// The rejected text (its first 80 characters).
        got: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// An idempotency key was enqueued again with a different payload: the caller is reusing a
    /// key for different work, which would otherwise be silently dropped.
    #[error(
        "job key `{key}` in queue `{queue}` already names job {existing} with a different payload"
    )]
    JobKeyReused {
        /// The queue.
        queue: String,
        /// The key.
        key: String,
        /// The job the key names.
        existing: u64,
    },
    /// No job has this id.
    #[error("no job {job}")]
    JobNotFound {
        /// The id asked for.
        job: u64,
    },
    /// A lease no longer holds: the job was reclaimed by another worker after the lease expired,
    /// was finished under this lease already (in a way the call does not repeat), or the lease
    /// never existed. The worker must stop working on the job.
    #[error(
        "lease {token} of `{worker}` on job {job} is lost: the job is {found_state} under lease \
         {found_token} of `{}`",
        .found_worker.as_deref().unwrap_or("nobody")
    )]
    LeaseLost {
        /// The job.
        job: u64,
        /// The worker the lease names.
        worker: String,
        /// The lease's token.
        token: u64,
        /// The job's state now.
        found_state: &'static str,
        /// The job's current lease token.
        found_token: u64,
        /// The worker that last claimed the job, if any.
        found_worker: Option<String>,
    },
}

impl StoreError {
    pub(crate) fn corrupt(table: &'static str, why: impl ToString) -> Self {
        Self::Corrupt {
            table,
            why: why.to_string(),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite { why: e.to_string() }
    }
}

impl From<StoreError> for custodia_events::RepoError {
    fn from(e: StoreError) -> Self {
        use custodia_events::RepoError;
        match e {
            StoreError::Conflict { what } => RepoError::Conflict { what },
            StoreError::Corrupt { table, why } => RepoError::Corrupt { table, why },
            other => RepoError::unavailable(other),
        }
    }
}
