//! Test support shared by this crate's and the API's tests: one fresh store per engine.
//!
//! SQLite always (a temporary file). PostgreSQL when `CUSTODIA_TEST_PG_URL` is set: each call
//! gets its own schema, so tests run in parallel against one database. When the variable is
//! unset the PostgreSQL half is skipped with a notice, unless `CI=true` or `CUSTODIA_REQUIRE_PG=1`,
//! in which case it fails.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

use crate::Store;

/// A store under test and what keeps it alive.
pub struct TestStore {
    /// `"sqlite"` or `"postgres"`.
    pub label: &'static str,
    /// The store.
    pub store: Store,
    /// The URL it was opened with (PostgreSQL URLs carry the schema in `options`).
    pub url: String,
    _dir: Option<tempfile_dir::Dir>,
}

mod tempfile_dir {
    /// A directory removed on drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(name: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(30)
        .collect();
    format!("t_{clean}_{}_{n}", std::process::id())
}

/// The PostgreSQL URL for tests, or `None` (after printing a notice) when not configured.
pub fn pg_url() -> Option<String> {
    match std::env::var("CUSTODIA_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            let required = std::env::var("CUSTODIA_REQUIRE_PG").as_deref() == Ok("1")
                || std::env::var("CI").as_deref() == Ok("true");
            if required {
                panic!(
                    "CI=true or CUSTODIA_REQUIRE_PG=1 but CUSTODIA_TEST_PG_URL is not set: \
                     run `export CUSTODIA_TEST_PG_URL=\"$(bash .ci/postgres.sh)\"`"
                );
            }
            eprintln!(
                "notice: CUSTODIA_TEST_PG_URL not set: skipping the PostgreSQL half of this test"
            );
            None
        }
    }
}

/// A fresh SQLite store in a temporary directory.
pub async fn sqlite(name: &str) -> TestStore {
    let dir = std::env::temp_dir().join(unique(name));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}", dir.join("custodia.db").display());
    let store = Store::open(&url, 4).await.expect("open sqlite");
    TestStore {
        label: "sqlite",
        store,
        url,
        _dir: Some(tempfile_dir::Dir(dir)),
    }
}

/// A fresh PostgreSQL schema, if configured.
pub async fn postgres(name: &str) -> Option<TestStore> {
    let base = pg_url()?;
    sqlx::any::install_default_drivers();
    let schema = unique(name);
    let mut conn = sqlx::AnyConnection::connect(&base)
        .await
        .expect("connect to CUSTODIA_TEST_PG_URL");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let _ = conn.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let store = Store::open(&url, 4).await.expect("open postgres");
    Some(TestStore {
        label: "postgres",
        store,
        url,
        _dir: None,
    })
}

/// SQLite, plus PostgreSQL when configured.
pub async fn stores(name: &str) -> Vec<TestStore> {
    let mut v = vec![sqlite(name).await];
    if let Some(p) = postgres(name).await {
        v.push(p);
    }
    v
}
