//! The event log: [`EventAppender`] and [`EventReader`] for the store.

use custodia_events::{Digest, Event, EventAppender, EventReader, NewEvent, RepoResult, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::Store;
use crate::db::db;
use crate::rows::{self, EVENT_COLUMNS};

impl EventAppender for Store {
    async fn append(&self, events: Vec<NewEvent>) -> RepoResult<Vec<Event>> {
        db(async {
            if events.is_empty() {
                return Ok(Vec::new());
            }
            let (mut tx, seq, hash) = self.write_tx().await?;
            let out = Self::append_in(&mut tx, seq, hash, events).await?;
            tx.commit().await?;
            Ok(out)
        })
        .await
    }
}

impl EventReader for Store {
    async fn events_after(&self, after: u64, limit: u32) -> RepoResult<Vec<Event>> {
        db(async {
            let sql =
                format!("SELECT {EVENT_COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2");
            let rows: Vec<AnyRow> = sqlx::query(&sql)
                .bind(i64::try_from(after).unwrap_or(i64::MAX))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
            rows.iter().map(rows::event).collect()
        })
        .await
    }

    async fn head(&self) -> RepoResult<(u64, Digest)> {
        db(async {
            // The real last row, not event_head: verification must not trust the bookkeeping row.
            let row = sqlx::query("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&self.pool)
                .await?;
            match row {
                // Every event pruned: the head is the retention anchor's signed one.
                None => self.anchor_head().await,
                Some(r) => {
                    let seq: i64 = r.try_get("seq")?;
                    let hash: Vec<u8> = r.try_get("hash")?;
                    Ok((seq.max(0) as u64, rows::digest(&hash)))
                }
            }
        })
        .await
    }

    async fn count_kind(&self, kind: &str, from: Timestamp, to: Timestamp) -> RepoResult<u64> {
        db(async {
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
        })
        .await
    }

    async fn events_of_kinds(
        &self,
        kinds: &[&str],
        from: Timestamp,
        to: Timestamp,
        after: u64,
        limit: u32,
    ) -> RepoResult<Vec<Event>> {
        db(async {
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
        })
        .await
    }
}
