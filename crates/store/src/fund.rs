//! The fund's port: pools, the double-entry journal, and the idempotency record. A batch of
//! operations runs in the event-appending write transaction (`write_tx`), which serialises every
//! writer (SQLite `BEGIN IMMEDIATE`, PostgreSQL the event-head row lock): the key check, the
//! domain's `apply`, the legs, the pools' new states and the events commit together or not at
//! all, so an operation retried on another instance finds the first one's key.

use std::collections::{BTreeMap, BTreeSet};

use custodia_events::{NewEvent, RepoResult, Timestamp};
use custodia_fund::{
    AdlPolicy, AdlType, EntryKind, FundError, FundRepo, FundResult, JournalQuery, JournalRow,
    Outcome, PoolId, PoolSpec, PoolState, Request, Submitted, apply, window_peak,
};
use custodia_primitives::Amount;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Tx, db};
use crate::{Store, StoreError};

fn amount(table: &'static str, v: i64) -> Result<Amount, StoreError> {
    u64::try_from(v)
        .ok()
        .and_then(Amount::new)
        .ok_or_else(|| StoreError::corrupt(table, format!("amount {v} out of range")))
}

fn pool_from(r: &AnyRow) -> Result<PoolState, StoreError> {
    let id: String = r.try_get("pool")?;
    let id: PoolId = id
        .parse()
        .map_err(|e: FundError| StoreError::corrupt("fund_pools", e))?;
    let decimals: i64 = r.try_get("decimals")?;
    let adl_type: Option<String> = r.try_get("adl_type")?;
    let adl_since: Option<i64> = r.try_get("adl_since_ms")?;
    let adl = match (adl_type, adl_since) {
        (Some(t), Some(since)) => Some((
            AdlType::parse(&t).ok_or_else(|| StoreError::corrupt("fund_pools", "adl_type"))?,
            Timestamp::from_millis(since),
        )),
        (None, None) => None,
        _ => return Err(StoreError::corrupt("fund_pools", "adl_type without since")),
    };
    let backlog: i64 = r.try_get("backlog")?;
    Ok(PoolState {
        spec: PoolSpec {
            id,
            decimals: u8::try_from(decimals)
                .map_err(|_| StoreError::corrupt("fund_pools", "decimals"))?,
            floor: amount("fund_pools", r.try_get("floor")?)?,
        },
        balance: amount("fund_pools", r.try_get("balance")?)?,
        peak: amount("fund_pools", r.try_get("peak")?)?,
        peak_at: Timestamp::from_millis(r.try_get("peak_ms")?),
        adl,
        backlog: backlog != 0,
    })
}

const POOL_COLUMNS: &str =
    "pool, decimals, floor, balance, peak, peak_ms, adl_type, adl_since_ms, backlog";

/// A pool's state inside the transaction, its peak recomputed from the journal when the
/// recorded one has left the window.
async fn load_pool(
    tx: &mut Tx,
    id: &PoolId,
    now: Timestamp,
    policy: &AdlPolicy,
) -> Result<Option<PoolState>, StoreError> {
    let sql = format!("SELECT {POOL_COLUMNS} FROM fund_pools WHERE pool = $1");
    let Some(row) = sqlx::query(&sql)
        .bind(id.as_str().to_owned())
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let mut s = pool_from(&row)?;
    let start = now.as_millis() - policy.window_ms;
    if s.peak_at.as_millis() <= start {
        let rows = sqlx::query(
            "SELECT at_ms, delta, balance FROM fund_legs \
             WHERE pool = $1 AND at_ms > $2 AND delta <> 0 ORDER BY id",
        )
        .bind(id.as_str().to_owned())
        .bind(start)
        .fetch_all(&mut **tx)
        .await?;
        let mut changes = Vec::with_capacity(rows.len());
        for r in &rows {
            let at: i64 = r.try_get("at_ms")?;
            let delta: i64 = r.try_get("delta")?;
            let after: i64 = r.try_get("balance")?;
            let before = after
                .checked_sub(delta)
                .and_then(|b| u64::try_from(b).ok())
                .ok_or_else(|| StoreError::corrupt("fund_legs", "balance before below zero"))?;
            changes.push((at, before, amount("fund_legs", after)?.units()));
        }
        let (peak, at) = window_peak(&changes, s.balance.units(), now.as_millis());
        s.peak = amount("fund_pools", peak as i64)?;
        s.peak_at = Timestamp::from_millis(at);
    }
    Ok(Some(s))
}

async fn save_pool(tx: &mut Tx, s: &PoolState) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE fund_pools SET balance = $1, peak = $2, peak_ms = $3, adl_type = $4, \
         adl_since_ms = $5, backlog = $6 WHERE pool = $7",
    )
    .bind(s.balance.units() as i64)
    .bind(s.peak.units() as i64)
    .bind(s.peak_at.as_millis())
    .bind(s.adl.map(|(t, _)| t.as_str().to_owned()))
    .bind(s.adl.map(|(_, since)| since.as_millis()))
    .bind(i64::from(s.backlog))
    .bind(s.spec.id.as_str().to_owned())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn outcome_text(o: &Outcome) -> Result<String, StoreError> {
    serde_json::to_string(o).map_err(|e| StoreError::corrupt("fund_ops", e))
}

async fn record(
    tx: &mut Tx,
    req: &Request,
    fingerprint: &str,
    outcome: &Outcome,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO fund_ops (op_key, fingerprint, outcome, at_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(req.key.as_str().to_owned())
    .bind(fingerprint.to_owned())
    .bind(outcome_text(outcome)?)
    .bind(at.as_millis())
    .execute(&mut **tx)
    .await?;
    for l in &outcome.legs {
        let pool: Option<PoolId> = l.balance.and_then(|_| l.account.parse().ok());
        sqlx::query(
            "INSERT INTO fund_legs (op_key, account, pool, line, family, ccy, kind, delta, balance, \
             adl_type, max_bal, max_bal_ms, at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(req.key.as_str().to_owned())
        .bind(l.account.clone())
        .bind(pool.as_ref().map(|p| p.as_str().to_owned()))
        .bind(pool.as_ref().map(|p| p.line().as_str().to_owned()))
        .bind(pool.as_ref().and_then(|p| p.family().map(str::to_owned)))
        .bind(pool.as_ref().map(|p| p.ccy().to_owned()))
        .bind(l.kind.as_str())
        .bind(l.delta)
        .bind(l.balance.map(|b| b as i64))
        .bind(l.adl_type.clone())
        .bind(l.max_bal.map(|(b, _)| b as i64))
        .bind(l.max_bal.map(|(_, t)| t))
        .bind(at.as_millis())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl FundRepo for Store {
    async fn ensure_pools(&self, specs: &[PoolSpec], at: Timestamp) -> RepoResult<()> {
        db(async {
            let (mut tx, _, _) = self.write_tx().await?;
            for s in specs {
                sqlx::query(
                    "INSERT INTO fund_pools (pool, decimals, floor, balance, peak, peak_ms, \
                     adl_type, adl_since_ms, backlog, created_ms) \
                     VALUES ($1, $2, $3, 0, 0, $4, NULL, NULL, 0, $5) \
                     ON CONFLICT (pool) DO UPDATE SET decimals = excluded.decimals, \
                     floor = excluded.floor",
                )
                .bind(s.id.as_str().to_owned())
                .bind(i64::from(s.decimals))
                .bind(s.floor.units() as i64)
                .bind(at.as_millis())
                .bind(at.as_millis())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn submit(
        &self,
        requests: &[Request],
        policy: &AdlPolicy,
        at: Timestamp,
    ) -> RepoResult<Vec<FundResult<Submitted>>> {
        db(async {
            let (mut tx, seq, hash) = self.write_tx().await?;
            let mut pools: BTreeMap<PoolId, PoolState> = BTreeMap::new();
            let mut dirty: BTreeSet<PoolId> = BTreeSet::new();
            let mut events: Vec<NewEvent> = Vec::new();
            let mut out = Vec::with_capacity(requests.len());
            for req in requests {
                let fp = req.op.fingerprint();
                let seen =
                    sqlx::query("SELECT fingerprint, outcome FROM fund_ops WHERE op_key = $1")
                        .bind(req.key.as_str().to_owned())
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some(r) = seen {
                    let stored: String = r.try_get("fingerprint")?;
                    if stored != fp {
                        out.push(Err(FundError::KeyReused {
                            key: req.key.as_str().to_owned(),
                        }));
                        continue;
                    }
                    let text: String = r.try_get("outcome")?;
                    let outcome: Outcome = serde_json::from_str(&text)
                        .map_err(|e| StoreError::corrupt("fund_ops", e))?;
                    out.push(Ok(Submitted {
                        key: req.key.clone(),
                        outcome,
                        replayed: true,
                    }));
                    continue;
                }
                for id in req.op.pools() {
                    if !pools.contains_key(id)
                        && let Some(s) = load_pool(&mut tx, id, at, policy).await?
                    {
                        pools.insert(id.clone(), s);
                    }
                }
                match apply(req, &mut pools, policy, at) {
                    Err(e) => out.push(Err(e)),
                    Ok(a) => {
                        record(&mut tx, req, &fp, &a.outcome, at).await?;
                        dirty.extend(req.op.pools().into_iter().cloned());
                        events.extend(a.events);
                        out.push(Ok(Submitted {
                            key: req.key.clone(),
                            outcome: a.outcome,
                            replayed: false,
                        }));
                    }
                }
            }
            for id in &dirty {
                save_pool(&mut tx, &pools[id]).await?;
            }
            Self::append_in(&mut tx, seq, hash, events).await?;
            tx.commit().await?;
            Ok(out)
        })
        .await
    }

    async fn pools(&self) -> RepoResult<Vec<PoolState>> {
        db(async {
            let sql = format!("SELECT {POOL_COLUMNS} FROM fund_pools ORDER BY pool");
            let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
            rows.iter().map(pool_from).collect()
        })
        .await
    }

    async fn journal(&self, q: &JournalQuery) -> RepoResult<Vec<JournalRow>> {
        db(async {
            let mut sql = String::from(
                "SELECT id, pool, kind, delta, balance, adl_type, max_bal, max_bal_ms, op_key, at_ms \
                 FROM fund_legs WHERE pool IS NOT NULL",
            );
            let mut texts: Vec<String> = Vec::new();
            let mut n = 0;
            let mut filter = |sql: &mut String, col: &str, v: Option<String>| {
                if let Some(v) = v {
                    n += 1;
                    sql.push_str(&format!(" AND {col} = ${n}"));
                    texts.push(v);
                }
            };
            filter(&mut sql, "pool", q.pool.as_ref().map(|p| p.as_str().to_owned()));
            filter(&mut sql, "line", q.line.map(|l| l.as_str().to_owned()));
            filter(&mut sql, "family", q.family.clone());
            filter(&mut sql, "ccy", q.ccy.clone());
            filter(&mut sql, "kind", q.kind.map(|k| k.as_str().to_owned()));
            let mut ids = Vec::new();
            if let Some(a) = q.after {
                ids.push(a);
                sql.push_str(&format!(" AND id < ${}", texts.len() + ids.len()));
            }
            if let Some(b) = q.before {
                ids.push(b);
                sql.push_str(&format!(" AND id > ${}", texts.len() + ids.len()));
            }
            // Only `before`: the page just newer than the cursor, then newest first.
            let ascending = q.before.is_some() && q.after.is_none();
            sql.push_str(if ascending {
                " ORDER BY id ASC"
            } else {
                " ORDER BY id DESC"
            });
            sql.push_str(&format!(" LIMIT ${}", texts.len() + ids.len() + 1));
            let mut query = sqlx::query(&sql);
            for t in texts {
                query = query.bind(t);
            }
            for i in ids {
                query = query.bind(i);
            }
            let rows = query
                .bind(i64::from(q.limit.clamp(1, 100)))
                .fetch_all(&self.pool)
                .await?;
            let mut out = rows
                .iter()
                .map(|r| {
                    let pool: String = r.try_get("pool")?;
                    let kind: String = r.try_get("kind")?;
                    let max_bal: Option<i64> = r.try_get("max_bal")?;
                    let max_bal_ms: Option<i64> = r.try_get("max_bal_ms")?;
                    Ok(JournalRow {
                        id: r.try_get("id")?,
                        pool: pool
                            .parse()
                            .map_err(|e: FundError| StoreError::corrupt("fund_legs", e))?,
                        kind: EntryKind::parse(&kind)
                            .ok_or_else(|| StoreError::corrupt("fund_legs", "kind"))?,
                        amount: r.try_get("delta")?,
                        balance: amount("fund_legs", r.try_get("balance")?)?.units(),
                        adl_type: r.try_get("adl_type")?,
                        max_bal: match (max_bal, max_bal_ms) {
                            (Some(b), Some(t)) => Some((amount("fund_legs", b)?.units(), t)),
                            _ => None,
                        },
                        key: r.try_get("op_key")?,
                        at: Timestamp::from_millis(r.try_get("at_ms")?),
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            if ascending {
                out.reverse();
            }
            Ok(out)
        })
        .await
    }

    async fn balances(
        &self,
        pool: &PoolId,
        from: Timestamp,
        to: Timestamp,
        step_ms: i64,
    ) -> RepoResult<Vec<(Timestamp, u64)>> {
        db(async {
            let rows = sqlx::query(
                "SELECT at_ms, balance FROM fund_legs WHERE id IN (\
                 SELECT MAX(id) FROM fund_legs WHERE pool = $1 AND at_ms >= $2 AND at_ms < $3 \
                 GROUP BY (at_ms - $4) / $5) ORDER BY id",
            )
            .bind(pool.as_str().to_owned())
            .bind(from.as_millis())
            .bind(to.as_millis())
            .bind(from.as_millis())
            .bind(step_ms)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        Timestamp::from_millis(r.try_get("at_ms")?),
                        amount("fund_legs", r.try_get("balance")?)?.units(),
                    ))
                })
                .collect()
        })
        .await
    }
}
