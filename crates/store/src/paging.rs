//! Reading a whole table in keyset pages.
//!
//! A page is `WHERE (k1, k2, …) > ($1, $2, …) ORDER BY k1, k2, … LIMIT $n`, written as a row
//! value: both engines answer it with one primary-key range search per page, where the
//! equivalent `k1 > $1 OR (k1 = $1 AND k2 > $2)` makes SQLite scan the whole table each time.
//! Memory then holds the decoded entries, never more than one page of driver rows.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, AnyPool};

use crate::StoreError;

/// A query being built against the `Any` driver.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, Any, AnyArguments<'q>>;

/// Runs `sql` page after page, starting after key `first`, until a short page.
///
/// `bind` binds every parameter but the last (the key, plus any fixed filter before it); the
/// page size is bound last. `key_of` gives the key to continue after from the last decoded row.
pub(crate) async fn keyset<T, K>(
    pool: &AnyPool,
    sql: &str,
    page: i64,
    first: K,
    bind: impl for<'q> Fn(AnyQuery<'q>, K) -> AnyQuery<'q>,
    decode: impl Fn(&AnyRow) -> Result<T, StoreError>,
    key_of: impl Fn(&T) -> K,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    let mut key = first;
    loop {
        let rows: Vec<AnyRow> = bind(sqlx::query(sql), key)
            .bind(page)
            .fetch_all(pool)
            .await?;
        let full = rows.len() as i64 == page;
        for r in &rows {
            out.push(decode(r)?);
        }
        match out.last() {
            Some(last) if full => key = key_of(last),
            _ => return Ok(out),
        }
    }
}
