//! Replay claims with group commit.
//!
//! Every accepted signed request claims its (key, signature) in `replay_claims`, shared by every
//! instance and surviving restarts. At tens of thousands of requests a second one transaction
//! per claim would cost a commit each, so claims go through one writer task: it takes whatever
//! claims are waiting, writes them in one multi-row upsert, and answers each caller. While a
//! batch commits the next one gathers, so the batch size follows the load.
//!
//! Durability: claims only matter while their timestamp can still pass the window check
//! (seconds). Claims use their own connections: SQLite with `synchronous = NORMAL` (durable
//! across a process crash, not across power loss), PostgreSQL with `synchronous_commit = off` (a
//! server crash can lose the last few hundred milliseconds). A power cut or a database crash
//! followed by a restart outlasts the acceptance window, so no lost claim can be replayed in
//! practice; the rest of the database keeps full synchronous commits.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use custodia_events::{RepoError, RepoResult, Timestamp};
use custodia_keys::{ReplayClaim, ReplayRepo};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use crate::db::{db, values_sql};
use crate::{Store, StoreError};

/// Claims waiting for the writer before callers wait for room.
const QUEUE: usize = 16_384;
/// Claims per transaction.
const BATCH: usize = 1_024;
/// Rows per multi-row upsert (three parameters each).
const ROWS: usize = 256;

struct Pending {
    claim: ReplayClaim,
    expires: i64,
    now: i64,
    reply: oneshot::Sender<Result<bool, String>>,
}

/// The handle on the claim writer, started on first use.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClaimWriter(Arc<OnceLock<mpsc::Sender<Pending>>>);

impl ReplayRepo for Store {
    async fn claim_request(
        &self,
        claim: &ReplayClaim,
        expires: Timestamp,
        now: Timestamp,
    ) -> RepoResult<bool> {
        let tx = self.claims.0.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            let pool = self.claims_pool().clone();
            tokio::spawn(writer(pool, rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        let p = Pending {
            claim: *claim,
            expires: expires.as_millis(),
            now: now.as_millis(),
            reply,
        };
        let gone = || RepoError::unavailable(std::io::Error::other("replay claim writer stopped"));
        tx.send(p).await.map_err(|_| gone())?;
        match answer.await.map_err(|_| gone())? {
            Ok(b) => Ok(b),
            Err(why) => Err(RepoError::unavailable(std::io::Error::other(why))),
        }
    }

    async fn purge_claims(&self, now: Timestamp) -> RepoResult<u64> {
        db(async {
            Ok(
                sqlx::query("DELETE FROM replay_claims WHERE expires_ms <= $1")
                    .bind(now.as_millis())
                    // The main pool: its commits run the WAL checkpoints the claim connection
                    // leaves out, so the WAL is checkpointed at least every purge interval.
                    .execute(&self.pool)
                    .await?
                    .rows_affected(),
            )
        })
        .await
    }
}

async fn writer(pool: AnyPool, mut rx: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        match claim_batch(&pool, &batch).await {
            Ok(won) => {
                for (p, w) in batch.drain(..).zip(won) {
                    let _ = p.reply.send(Ok(w));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, claims = batch.len(), "replay claims not stored; requests refused");
                let why = e.to_string();
                for p in batch.drain(..) {
                    let _ = p.reply.send(Err(why.clone()));
                }
            }
        }
    }
}

/// Claims every pending entry; `true` for the ones that won. A value claimed
/// twice in one batch wins at most once (the first asker).
async fn claim_batch(pool: &AnyPool, batch: &[Pending]) -> Result<Vec<bool>, StoreError> {
    // The oldest `now` in the batch decides which stored claims have expired: never earlier
    // than any caller's own view.
    let now = batch.iter().map(|p| p.now).min().unwrap_or(0);
    let mut first: HashMap<ReplayClaim, usize> = HashMap::with_capacity(batch.len());
    let mut unique: Vec<usize> = Vec::with_capacity(batch.len());
    for (i, p) in batch.iter().enumerate() {
        if let std::collections::hash_map::Entry::Vacant(v) = first.entry(p.claim) {
            v.insert(i);
            unique.push(i);
        }
    }
    // Each chunk is one statement in autocommit: atomic on its own, and claims are independent
    // of each other, so no transaction around chunks is needed (one round trip per chunk).
    let mut won: Vec<ReplayClaim> = Vec::with_capacity(unique.len());
    for chunk in unique.chunks(ROWS) {
        let tail = format!(
            " ON CONFLICT (signed_ms, claim) DO UPDATE SET expires_ms = excluded.expires_ms \
             WHERE replay_claims.expires_ms <= ${} RETURNING signed_ms, claim",
            chunk.len() * 3 + 1
        );
        let sql = values_sql(
            "INSERT INTO replay_claims (signed_ms, claim, expires_ms) VALUES ",
            3,
            chunk.len(),
            &tail,
        );
        let mut q = sqlx::query(&sql);
        for &i in chunk {
            let c = &batch[i].claim;
            q = q
                .bind(c.signed_at.as_millis())
                .bind(c.bytes.to_vec())
                .bind(batch[i].expires);
        }
        let rows: Vec<AnyRow> = q.bind(now).fetch_all(pool).await?;
        for r in rows {
            let signed: i64 = r.try_get("signed_ms")?;
            let c: Vec<u8> = r.try_get("claim")?;
            let bytes = <[u8; 48]>::try_from(c.as_slice())
                .map_err(|_| StoreError::corrupt("replay_claims", "claim length"))?;
            won.push(ReplayClaim {
                signed_at: Timestamp::from_millis(signed),
                bytes,
            });
        }
    }
    let won: std::collections::HashSet<ReplayClaim> = won.into_iter().collect();
    Ok(batch
        .iter()
        .enumerate()
        .map(|(i, p)| first.get(&p.claim) == Some(&i) && won.contains(&p.claim))
        .collect())
}
