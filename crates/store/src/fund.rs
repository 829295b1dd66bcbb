//! The fund's port: pools, the double-entry journal, and the idempotency record. A batch of
//! operations runs in the event-appending write transaction (`write_tx`), which serialises every
//! writer (SQLite `BEGIN IMMEDIATE`, PostgreSQL the event-head row lock): the key check, the
//! domain's `apply`, the legs, the pools' new states and the events commit together or not at
//! all, so an operation retried on another instance finds the first one's key.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use custodia_events::{NewEvent, RepoResult, Timestamp};
use custodia_fund::{
    AdlPolicy, AdlType, EntryKind, FundError, FundRepo, FundResult, JournalQuery, JournalRow,
    Outcome, PoolActivity, PoolId, PoolSpec, PoolState, Request, Submitted, apply, window_peak,
};
use custodia_primitives::Amount;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Tx, db, is_sqlite, values_sql_for};
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

/// Rows of one `fund_ops` insert, and of `fund_legs`, per statement: the batch's writes go in
/// a few multi-row statements instead of one per operation and one per leg. On PostgreSQL they
/// are kept near 400 parameters. On SQLite the placeholders are anonymous `?` (see
/// `values_sql_for`: numbered ones cost a linear name walk per bind, P² per statement), so the
/// statements can be larger; the sizes were measured with `custodia bench fund` (see
/// docs/BENCHMARKS.md, "Insurance fund").
const OP_ROWS: usize = 100;
const LEG_ROWS: usize = 30;
const OP_ROWS_SQLITE: usize = 250;
const LEG_ROWS_SQLITE: usize = 75;
/// Keys looked up per `IN (…)` list.
const KEY_LOOKUP: usize = 400;

/// One applied operation's rows, written after the batch's domain work.
struct Pending<'a> {
    req: &'a Request,
    fingerprint: String,
    outcome: String,
    /// Where its answer is in the batch's answers.
    answer: usize,
}

/// Writes the batch's applied operations (keys and outcomes) and their legs, in order: the
/// legs' ids follow the order they were posted in.
async fn record(
    tx: &mut Tx,
    pending: &[Pending<'_>],
    answers: &[FundResult<Submitted>],
    at: Timestamp,
) -> Result<(), StoreError> {
    let sqlite = is_sqlite(tx);
    let (op_rows, leg_rows) = if sqlite {
        (OP_ROWS_SQLITE, LEG_ROWS_SQLITE)
    } else {
        (OP_ROWS, LEG_ROWS)
    };
    for chunk in pending.chunks(op_rows) {
        let sql = values_sql_for(
            sqlite,
            "INSERT INTO fund_ops (op_key, fingerprint, outcome, at_ms) VALUES ",
            4,
            chunk.len(),
            "",
        );
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q
                .bind(p.req.key.as_str())
                .bind(p.fingerprint.as_str())
                .bind(p.outcome.as_str())
                .bind(at.as_millis());
        }
        q.execute(&mut **tx).await?;
    }
    let mut legs: Vec<(&str, &custodia_fund::Leg)> = Vec::new();
    for p in pending {
        let Some(Ok(s)) = answers.get(p.answer) else {
            return Err(StoreError::corrupt("fund_ops", "batch answer lost"));
        };
        legs.extend(s.outcome.legs.iter().map(|l| (p.req.key.as_str(), l)));
    }
    for chunk in legs.chunks(leg_rows) {
        let sql = values_sql_for(
            sqlite,
            "INSERT INTO fund_legs (op_key, account, pool, line, family, ccy, kind, delta, \
             balance, adl_type, max_bal, max_bal_ms, at_ms) VALUES ",
            13,
            chunk.len(),
            "",
        );
        let mut q = sqlx::query(&sql);
        for (key, l) in chunk {
            // Only a pool's legs carry its balance; the outside accounts' do not.
            let pool: Option<PoolId> = l.balance.and_then(|_| l.account.parse().ok());
            q = q
                .bind(*key)
                .bind(l.account.as_str())
                .bind(pool.as_ref().map(|p| p.as_str().to_owned()))
                .bind(pool.as_ref().map(|p| p.line().as_str()))
                .bind(pool.as_ref().and_then(|p| p.family().map(str::to_owned)))
                .bind(pool.as_ref().map(|p| p.ccy().to_owned()))
                .bind(l.kind.as_str())
                .bind(l.delta)
                .bind(l.balance.map(|b| b as i64))
                .bind(l.adl_type.as_deref())
                .bind(l.max_bal.map(|(b, _)| b as i64))
                .bind(l.max_bal.map(|(_, t)| t))
                .bind(at.as_millis());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The recorded fingerprint and outcome of each of `keys` already applied.
async fn recorded(
    tx: &mut Tx,
    keys: &[&str],
) -> Result<HashMap<String, (String, String)>, StoreError> {
    let mut out = HashMap::new();
    let sqlite = is_sqlite(tx);
    for chunk in keys.chunks(KEY_LOOKUP) {
        let mut sql =
            String::from("SELECT op_key, fingerprint, outcome FROM fund_ops WHERE op_key IN (");
        for i in 1..=chunk.len() {
            if i > 1 {
                sql.push_str(", ");
            }
            if sqlite {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&i.to_string());
            }
        }
        sql.push(')');
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = q.bind(*k);
        }
        for r in q.fetch_all(&mut **tx).await? {
            out.insert(
                r.try_get("op_key")?,
                (r.try_get("fingerprint")?, r.try_get("outcome")?),
            );
        }
    }
    Ok(out)
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
            // Every key of the batch is looked up at once, under the write lock: no other
            // writer can record one of them until this transaction ends, so the answer stays
            // exact for the whole batch. Keys applied earlier in this batch are answered from
            // memory, as a retry of them would be from the table.
            let keys: Vec<&str> = requests.iter().map(|r| r.key.as_str()).collect();
            let stored = recorded(&mut tx, &keys).await?;
            let mut pools: BTreeMap<PoolId, PoolState> = BTreeMap::new();
            let mut dirty: BTreeSet<PoolId> = BTreeSet::new();
            let mut events: Vec<NewEvent> = Vec::new();
            let mut pending: Vec<Pending<'_>> = Vec::new();
            // Index into `pending` of each key applied in this batch.
            let mut fresh: HashMap<&str, usize> = HashMap::new();
            let mut out: Vec<FundResult<Submitted>> = Vec::with_capacity(requests.len());
            for req in requests {
                let fp = req.op.fingerprint();
                let key = req.key.as_str();
                if let Some(&j) = fresh.get(key) {
                    let p = &pending[j];
                    if p.fingerprint != fp {
                        out.push(Err(FundError::KeyReused {
                            key: key.to_owned(),
                        }));
                        continue;
                    }
                    let Ok(first) = &out[p.answer] else {
                        return Err(StoreError::corrupt("fund_ops", "batch answer lost"));
                    };
                    let outcome = first.outcome.clone();
                    out.push(Ok(Submitted {
                        key: req.key.clone(),
                        outcome,
                        replayed: true,
                    }));
                    continue;
                }
                if let Some((seen, text)) = stored.get(key) {
                    if *seen != fp {
                        out.push(Err(FundError::KeyReused {
                            key: key.to_owned(),
                        }));
                        continue;
                    }
                    let outcome: Outcome = serde_json::from_str(text)
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
                        fresh.insert(key, pending.len());
                        pending.push(Pending {
                            req,
                            fingerprint: fp,
                            outcome: outcome_text(&a.outcome)?,
                            answer: out.len(),
                        });
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
            record(&mut tx, &pending, &out, at).await?;
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

    async fn activity(&self, from: Timestamp, to: Timestamp) -> RepoResult<Vec<PoolActivity>> {
        db(async {
            // The sum is cast back to a 64-bit integer: PostgreSQL sums BIGINT into NUMERIC.
            let rows = sqlx::query(
                "SELECT pool, kind, adl_type, COUNT(*) AS n, CAST(SUM(delta) AS BIGINT) AS total \
                 FROM fund_legs WHERE pool IS NOT NULL AND at_ms >= $1 AND at_ms < $2 \
                 GROUP BY pool, kind, adl_type",
            )
            .bind(from.as_millis())
            .bind(to.as_millis())
            .fetch_all(&self.pool)
            .await?;
            // Ordered here, not in SQL: the engines' text collations differ.
            let mut out = rows
                .iter()
                .map(|r| {
                    let pool: String = r.try_get("pool")?;
                    let kind: String = r.try_get("kind")?;
                    let n: i64 = r.try_get("n")?;
                    Ok(PoolActivity {
                        pool: pool
                            .parse()
                            .map_err(|e: FundError| StoreError::corrupt("fund_legs", e))?,
                        kind: EntryKind::parse(&kind)
                            .ok_or_else(|| StoreError::corrupt("fund_legs", "kind"))?,
                        adl_type: r.try_get("adl_type")?,
                        count: u64::try_from(n)
                            .map_err(|_| StoreError::corrupt("fund_legs", "count"))?,
                        total: r.try_get("total")?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            out.sort_by(|a, b| {
                (a.pool.as_str(), a.kind.as_str(), &a.adl_type).cmp(&(
                    b.pool.as_str(),
                    b.kind.as_str(),
                    &b.adl_type,
                ))
            });
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
