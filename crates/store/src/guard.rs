//! The threat-intelligence port: list entries and published snapshots.

use custodia_events::{Event, NewEvent, RepoResult, Timestamp};
use custodia_guard::{GuardLists, GuardReplace, GuardReplaced, GuardRepo, StoredSnapshot};

use crate::db::{Tx, db, is_unique_violation, values_sql};
use crate::paging::keyset;
use crate::rows;
use crate::{Store, StoreError};

/// Rows per multi-row `INSERT`. Small on purpose: sqlx's SQLite driver resolves each bound
/// parameter with `sqlite3_bind_parameter_name`, which is linear in the parameter count, so a
/// statement's binding cost grows with the square of its size (500 rows × 9 columns spent 90%
/// of an import there); 50 rows keep it negligible with few round trips.
const GUARD_INSERT_ROWS: usize = 50;
/// Rows per page when reading the lists back (see [`keyset`]).
const GUARD_PAGE_ROWS: i64 = 20_000;

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
        keyset(
            &self.pool,
            "SELECT host, source, category, listed_date FROM guard_domain_entries \
             WHERE list = $1 AND (host, source) > ($2, $3) \
             ORDER BY host, source LIMIT $4",
            GUARD_PAGE_ROWS,
            (String::new(), String::new()),
            |q, (host, source)| q.bind(list).bind(host).bind(source),
            rows::guard_domain,
            |e| (e.host.clone(), e.source.clone()),
        )
        .await
    }
}

impl GuardRepo for Store {
    async fn replace_guard_list(
        &self,
        r: GuardReplace<'_>,
        events: Vec<NewEvent>,
    ) -> RepoResult<GuardReplaced> {
        db(async {
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
        })
        .await
    }

    async fn guard_lists(&self) -> RepoResult<GuardLists> {
        db(async {
            let addresses = keyset(
                &self.pool,
                "SELECT address_key, source, category, listed_date, label \
                 FROM guard_address_entries WHERE (address_key, source) > ($1, $2) \
                 ORDER BY address_key, source LIMIT $3",
                GUARD_PAGE_ROWS,
                (Vec::new(), String::new()),
                |q, (key, source)| q.bind(key).bind(source),
                rows::guard_address,
                |e| (e.address.key_bytes().to_vec(), e.source.clone()),
            )
            .await?;
            Ok(GuardLists {
                addresses,
                blocked: self.guard_domains("block").await?,
                allowed: self.guard_domains("allow").await?,
            })
        })
        .await
    }

    async fn put_guard_snapshot(
        &self,
        s: &StoredSnapshot,
        keep: u32,
        event: NewEvent,
    ) -> RepoResult<Event> {
        db(async {
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
        })
        .await
    }

    async fn guard_snapshot(&self, version: u64) -> RepoResult<Option<StoredSnapshot>> {
        db(async {
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
        })
        .await
    }

    async fn latest_guard_snapshot(&self) -> RepoResult<Option<StoredSnapshot>> {
        db(async {
            let row = sqlx::query(
                "SELECT version, created, sha256, bytes, published_at FROM guard_snapshots \
                 ORDER BY version DESC LIMIT 1",
            )
            .fetch_optional(&self.pool)
            .await?;
            row.as_ref().map(rows::guard_snapshot).transpose()
        })
        .await
    }
}
