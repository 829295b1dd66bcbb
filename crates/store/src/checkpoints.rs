//! Signed checkpoints of the event chain and the retention anchor: [`CheckpointReader`] and
//! [`CheckpointWriter`] for the store.
//!
//! The tables' triggers (migration 5) keep checkpoints append-only at and above the anchor, let
//! the anchor move only forward and only to a stored checkpoint, and let events be deleted only
//! at or below it.

use custodia_events::{
    Anchor, Checkpoint, CheckpointPublicKey, CheckpointReader, CheckpointWriter, Digest,
    GENESIS_HASH, NewEvent, RepoResult, Timestamp,
};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::db;
use crate::rows;
use crate::{Backend, Store, StoreError};

const COLUMNS: &str = "seq, head_hash, time_ms, public_key, signature";

fn checkpoint(row: &AnyRow) -> Result<Checkpoint, StoreError> {
    let bad = |why: &str| StoreError::corrupt("audit_checkpoints", why);
    let seq: i64 = row.try_get("seq")?;
    let head: Vec<u8> = row.try_get("head_hash")?;
    let key: Vec<u8> = row.try_get("public_key")?;
    let sig: Vec<u8> = row.try_get("signature")?;
    let key = <[u8; 32]>::try_from(key.as_slice()).map_err(|_| bad("public key length"))?;
    Ok(Checkpoint {
        seq: u64::try_from(seq).map_err(|_| bad("negative seq"))?,
        head: rows::digest(&head),
        time: Timestamp::from_millis(row.try_get("time_ms")?),
        key: CheckpointPublicKey::from_bytes(&key).map_err(|e| bad(&e.to_string()))?,
        signature: <[u8; 64]>::try_from(sig.as_slice()).map_err(|_| bad("signature length"))?,
    })
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Store {
    async fn anchor_in(&self) -> Result<Anchor, StoreError> {
        let seq: i64 = sqlx::query("SELECT seq FROM event_anchor WHERE id = 1")
            .fetch_one(self.pool())
            .await?
            .try_get("seq")?;
        let seq = u64::try_from(seq).map_err(|_| StoreError::corrupt("event_anchor", "seq"))?;
        if seq == 0 {
            return Ok(Anchor {
                seq,
                checkpoint: None,
            });
        }
        let sql = format!("SELECT {COLUMNS} FROM audit_checkpoints WHERE seq = $1");
        let row = sqlx::query(&sql)
            .bind(to_i64(seq))
            .fetch_optional(self.pool())
            .await?;
        Ok(Anchor {
            seq,
            checkpoint: row.as_ref().map(checkpoint).transpose()?,
        })
    }

    /// The head when every event is pruned: the anchor's signed head (the genesis if none).
    pub(crate) async fn anchor_head(&self) -> Result<(u64, Digest), StoreError> {
        let a = self.anchor_in().await?;
        Ok(match a.checkpoint {
            Some(c) => (c.seq, c.head),
            None => (0, GENESIS_HASH),
        })
    }
}

impl CheckpointReader for Store {
    async fn checkpoints_after(&self, after: u64, limit: u32) -> RepoResult<Vec<Checkpoint>> {
        db(async {
            let sql = format!(
                "SELECT {COLUMNS} FROM audit_checkpoints WHERE seq > $1 ORDER BY seq LIMIT $2"
            );
            let rows: Vec<AnyRow> = sqlx::query(&sql)
                .bind(to_i64(after))
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await?;
            rows.iter().map(checkpoint).collect()
        })
        .await
    }

    async fn latest_checkpoint(&self) -> RepoResult<Option<Checkpoint>> {
        db(async {
            let sql = format!("SELECT {COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1");
            let row = sqlx::query(&sql).fetch_optional(self.pool()).await?;
            row.as_ref().map(checkpoint).transpose()
        })
        .await
    }

    async fn anchor(&self) -> RepoResult<Anchor> {
        db(self.anchor_in()).await
    }
}

impl CheckpointWriter for Store {
    async fn add_checkpoint(&self, c: &Checkpoint) -> RepoResult<bool> {
        db(async {
            let n = sqlx::query(
                "INSERT INTO audit_checkpoints (seq, head_hash, time_ms, public_key, signature) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING",
            )
            .bind(to_i64(c.seq))
            .bind(&c.head.0[..])
            .bind(c.time.as_millis())
            .bind(&c.key.to_bytes()[..])
            .bind(&c.signature[..])
            .execute(self.pool())
            .await?
            .rows_affected();
            Ok(n == 1)
        })
        .await
    }

    async fn prunable_checkpoint(&self, cutoff: Timestamp) -> RepoResult<Option<Checkpoint>> {
        db(async {
            let sql = format!(
                "SELECT {} FROM audit_checkpoints c JOIN events e ON e.seq = c.seq \
                 WHERE c.time_ms < $1 AND e.time_ms < $2 \
                 AND c.seq > (SELECT seq FROM event_anchor WHERE id = 1) \
                 ORDER BY c.seq DESC LIMIT 1",
                "c.seq AS seq, c.head_hash AS head_hash, c.time_ms AS time_ms, \
                 c.public_key AS public_key, c.signature AS signature"
            );
            let row = sqlx::query(&sql)
                .bind(cutoff.as_millis())
                .bind(cutoff.as_millis())
                .fetch_optional(self.pool())
                .await?;
            row.as_ref().map(checkpoint).transpose()
        })
        .await
    }

    async fn move_anchor(&self, to: &Checkpoint, event: NewEvent) -> RepoResult<()> {
        db(async {
            // The event-log lock first: the record of the move is appended in the same
            // transaction, and the anchor and the chain never move past each other.
            let (mut tx, seq, hash) = self.write_tx().await?;
            let moved = sqlx::query("UPDATE event_anchor SET seq = $1 WHERE id = 1 AND seq < $2")
                .bind(to_i64(to.seq))
                .bind(to_i64(to.seq))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if moved != 1 {
                return Err(StoreError::Conflict {
                    what: "a retention anchor at or past this checkpoint",
                });
            }
            Self::append_in(&mut tx, seq, hash, vec![event]).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn prune_below_anchor(&self, limit: u32) -> RepoResult<u64> {
        db(async {
            let mut tx = match self.backend() {
                Backend::Sqlite => self.pool().begin_with("BEGIN IMMEDIATE").await?,
                Backend::Postgres => self.pool().begin().await?,
            };
            let n = sqlx::query(
                "DELETE FROM events WHERE seq IN (SELECT seq FROM events \
                 WHERE seq <= (SELECT seq FROM event_anchor WHERE id = 1) ORDER BY seq LIMIT $1)",
            )
            .bind(i64::from(limit))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query(
                "DELETE FROM audit_checkpoints WHERE seq < (SELECT seq FROM event_anchor WHERE id = 1)",
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(n)
        })
        .await
    }
}
