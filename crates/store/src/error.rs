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
    /// The database driver failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
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
}

impl StoreError {
    pub(crate) fn corrupt(table: &'static str, why: impl ToString) -> Self {
        Self::Corrupt {
            table,
            why: why.to_string(),
        }
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
