//! The login assessment's hot path on PostgreSQL: native connections of its own, reads
//! answered in groups, writes group-committed in a fixed number of round trips.
//!
//! Why not the pool: through sqlx's `Any` pool an assessment cost the pool's ping before each
//! acquire, one read round trip of its own, and its share of a batch of about ten statements
//! whose text changed with the batch's size (`IN ($1 … $n)`, multi-row `VALUES`), each value
//! converted twice (`Any`, then PostgreSQL). Here:
//! - two reader tasks, each holding one connection, take every read waiting and answer them
//!   with ONE statement over arrays (`UNNEST … WITH ORDINALITY`), the same text at any group
//!   size, so PostgreSQL prepares and plans it once per connection;
//! - one writer task, holding one connection, commits every record waiting in one transaction of
//!   four round trips whatever the batch's size: `BEGIN` with the event head's row lock (one
//!   simple-protocol message), the accounts (`= ANY($1)`), one statement that writes
//!   everything (data-modifying `WITH` clauses over arrays) and returns the sources' counters
//!   as of the commit, `COMMIT`.
//!
//! The semantics are the pooled writer's (see `login.rs`), statement for statement: the
//! transaction takes the event head's row lock (`FOR UPDATE`) before it reads the accounts, so
//! it serialises with every other writer, of this instance or another; the batch is folded by
//! the same code ([`super::login::fold`]); the counters a failure returns are counted in the
//! transaction after its rows are written; a caller hears `Ok` only after the commit; a
//! failed batch is retried record by record. Reads see committed state, as the pooled read did.
//! A connection that fails is dropped and opened again on the next turn.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use custodia_login::SecurityChange;
use sqlx::{Connection, Executor, PgConnection, Row};
use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::login::{
    Account, Done, Folded, Job, Op, answer_batch, answers, count_keys, dirty_rows, fold,
    stored_brute, users_of,
};
use crate::login_sqlite::RawState;

/// Asks waiting before callers wait for room.
const QUEUE: usize = 8_192;
/// Reads answered by one statement.
const READS: usize = 256;
/// Records per write transaction.
const BATCH: usize = 512;

/// The group read: each asked account's row (if any) and its two sources' counters, in the
/// order asked.
const READ_SQL: &str = "SELECT a.profile, a.failures, a.last_failure_ms, a.locked_until_ms, \
     (SELECT COUNT(*) FROM login_failures f WHERE f.source = q.ip AND f.at_ms >= q.since) AS ip_n, \
     (SELECT COUNT(*) FROM login_failures f WHERE f.source = q.net AND f.at_ms >= q.since) AS net_n \
     FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[]) WITH ORDINALITY \
     AS q(u, ip, net, since, i) \
     LEFT JOIN login_accounts a ON a.user_id = q.u ORDER BY q.i";

/// The batch's writes in one statement, answering the sources' counters as of the commit, one
/// row per key asked, in order. Each data-modifying `WITH` runs to completion whether or not
/// the outer query reads it; the rows they touch are distinct within the statement (accounts
/// and failure pairs come out of maps), as `ON CONFLICT DO UPDATE` requires. The accounts'
/// upsert touches only the columns the assessment owns (allowlist mode and the anti-phishing
/// code stay as they are; new accounts start with neither). The head moves only when the batch
/// has events.
///
/// The outer query sees the tables as they were when the statement began (after the head's
/// lock, so with every earlier writer's rows), not this statement's own writes. A failure pair
/// the batch writes ends with the batch's time (the upsert sets it), so a source's count is its
/// stored pairs the batch does not write, plus the batch's pairs, each against the window:
/// exactly what a count after the writes returns.
const WRITE_SQL: &str = "WITH acc AS (\
       INSERT INTO login_accounts (user_id, profile, failures, last_failure_ms, \
       locked_until_ms, allowlist_only, anti_phishing) \
       SELECT u, p, f, l, k, 0, NULL \
       FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[]) AS t(u, p, f, l, k) \
       ON CONFLICT (user_id) DO UPDATE SET profile = excluded.profile, \
       failures = excluded.failures, last_failure_ms = excluded.last_failure_ms, \
       locked_until_ms = excluded.locked_until_ms RETURNING 1), \
     fl AS (\
       INSERT INTO login_failures (source, user_id, at_ms) \
       SELECT s, u, a FROM UNNEST($6::text[], $7::text[], $8::int8[]) AS t(s, u, a) \
       ON CONFLICT (source, user_id) DO UPDATE SET at_ms = excluded.at_ms RETURNING 1), \
     ch AS (\
       INSERT INTO login_security_changes (user_id, kind, at_ms) \
       SELECT u, $9, a FROM UNNEST($10::text[], $11::int8[]) AS t(u, a) RETURNING 1), \
     ev AS (\
       INSERT INTO events (seq, time_ms, kind, actor, subject, payload, prev_hash, hash) \
       SELECT * FROM UNNEST($12::int8[], $13::int8[], $14::text[], $15::text[], $16::text[], \
       $17::text[], $18::bytea[], $19::bytea[]) RETURNING 1), \
     hd AS (\
       UPDATE event_head SET seq = $20, hash = $21 WHERE id = 1 AND cardinality($12::int8[]) > 0 \
       RETURNING 1), \
     b AS (SELECT s, u, a FROM UNNEST($6::text[], $7::text[], $8::int8[]) AS b(s, u, a)) \
     SELECT (SELECT COUNT(*) FROM login_failures f WHERE f.source = k.s AND f.at_ms >= k.since \
       AND NOT EXISTS (SELECT 1 FROM b WHERE b.s = f.source AND b.u = f.user_id)) \
       + (SELECT COUNT(*) FROM b WHERE b.s = k.s AND b.a >= k.since) AS n \
     FROM UNNEST($22::text[], $23::int8[]) WITH ORDINALITY AS k(s, since, i) ORDER BY k.i";

/// One read.
struct ReadAsk {
    user: String,
    /// `ip:…`
    ip: String,
    /// `net:…`
    subnet: String,
    since: i64,
    reply: oneshot::Sender<Result<RawState, String>>,
}

/// The handle on the tasks, started on first use (inside the runtime).
#[derive(Debug, Clone)]
pub(crate) struct PgLane {
    url: Arc<str>,
    queues: Arc<OnceLock<Queues>>,
}

#[derive(Debug)]
struct Queues {
    reads: mpsc::Sender<ReadAsk>,
    writes: mpsc::Sender<Job>,
}

fn lane_gone() -> String {
    "the login connection's task stopped".into()
}

impl PgLane {
    /// A lane on the PostgreSQL database at `url` (connected on first use).
    pub(crate) fn new(url: &str) -> Self {
        Self {
            url: url.into(),
            queues: Arc::new(OnceLock::new()),
        }
    }

    fn queues(&self) -> &Queues {
        self.queues.get_or_init(|| {
            let (reads, rx) = mpsc::channel(QUEUE);
            tokio::spawn(reader(self.url.clone(), rx));
            let (writes, rx) = mpsc::channel(QUEUE);
            tokio::spawn(writer(self.url.clone(), rx));
            Queues { reads, writes }
        })
    }

    /// The account's stored state and the two sources' counters since `since`.
    pub(crate) async fn read(
        &self,
        user: String,
        ip: String,
        subnet: String,
        since: i64,
    ) -> Result<RawState, String> {
        let (reply, answer) = oneshot::channel();
        self.queues()
            .reads
            .send(ReadAsk {
                user,
                ip,
                subnet,
                since,
                reply,
            })
            .await
            .map_err(|_| lane_gone())?;
        answer.await.map_err(|_| lane_gone())?
    }

    /// Records `op` in the next batch; answers after its commit.
    pub(crate) async fn write(&self, op: Op) -> Result<Done, String> {
        let (reply, answer) = oneshot::channel();
        self.queues()
            .writes
            .send(Job { op, reply })
            .await
            .map_err(|_| lane_gone())?;
        answer.await.map_err(|_| lane_gone())?
    }
}

/// The connection, opened if there is none.
///
/// Its statements keep one generic plan each (`plan_cache_mode`): their arrays' lengths are the
/// only thing that varies, and by default PostgreSQL judged a plan for each call's exact
/// lengths cheaper and re-planned every call (a third of the reader's time in the planner).
/// A generic plan is made once, possibly while the tables are still empty, and kept until the
/// next `ANALYZE`: a sequential scan or hash join chosen then would be paid on every call
/// afterwards (it was, in a benchmark: millions of rows read). Every statement here looks rows
/// up by key, so those plans are ruled out on these connections.
async fn connected<'c>(
    url: &str,
    conn: &'c mut Option<PgConnection>,
) -> Result<&'c mut PgConnection, StoreError> {
    Ok(match conn.take() {
        Some(c) => conn.insert(c),
        None => {
            let mut c = PgConnection::connect(url).await?;
            (&mut c)
                .execute(
                    "SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off; \
                     SET enable_hashjoin = off; SET enable_mergejoin = off",
                )
                .await?;
            conn.insert(c)
        }
    })
}

/// The reader: take every read waiting, answer them with one statement (the next group gathers
/// while it runs).
async fn reader(url: Arc<str>, mut rx: mpsc::Receiver<ReadAsk>) {
    let mut conn: Option<PgConnection> = None;
    let mut asks: Vec<ReadAsk> = Vec::with_capacity(READS);
    loop {
        if rx.recv_many(&mut asks, READS).await == 0 {
            return;
        }
        let result = match connected(&url, &mut conn).await {
            Ok(c) => read_all(c, &asks).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(states) => {
                for (ask, state) in asks.drain(..).zip(states) {
                    let _ = ask.reply.send(Ok(state));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "login read failed; reconnecting");
                conn = None;
                let why = e.to_string();
                for ask in asks.drain(..) {
                    let _ = ask.reply.send(Err(why.clone()));
                }
            }
        }
    }
}

async fn read_all(conn: &mut PgConnection, asks: &[ReadAsk]) -> Result<Vec<RawState>, StoreError> {
    let mut users = Vec::with_capacity(asks.len());
    let mut ips = Vec::with_capacity(asks.len());
    let mut nets = Vec::with_capacity(asks.len());
    let mut since = Vec::with_capacity(asks.len());
    for a in asks {
        users.push(a.user.as_str());
        ips.push(a.ip.as_str());
        nets.push(a.subnet.as_str());
        since.push(a.since);
    }
    let rows = sqlx::query(READ_SQL)
        .bind(&users)
        .bind(&ips)
        .bind(&nets)
        .bind(&since)
        .fetch_all(conn)
        .await?;
    if rows.len() != asks.len() {
        return Err(StoreError::corrupt(
            "login_accounts",
            "group read row count",
        ));
    }
    rows.iter()
        .map(|r| {
            let failures: Option<i64> = r.try_get("failures")?;
            let account = match failures {
                Some(f) => Some((
                    r.try_get::<Option<String>, _>("profile")?,
                    stored_brute(
                        f,
                        r.try_get("last_failure_ms")?,
                        r.try_get("locked_until_ms")?,
                    ),
                )),
                None => None,
            };
            Ok(RawState {
                account,
                ip_n: r.try_get("ip_n")?,
                net_n: r.try_get("net_n")?,
            })
        })
        .collect()
}

/// The writer: take every record waiting, commit them in one transaction, answer each.
async fn writer(url: Arc<str>, mut rx: mpsc::Receiver<Job>) {
    let mut conn: Option<PgConnection> = None;
    let mut batch: Vec<Job> = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let ops: Vec<&Op> = batch.iter().map(|j| &j.op).collect();
        let r = apply(&url, &mut conn, &ops).await;
        for j in answer_batch(&mut batch, r) {
            let r = apply(&url, &mut conn, &[&j.op]).await;
            j.answer_alone(r);
        }
    }
}

/// One transaction for `ops`; on failure the connection is dropped (its open transaction, if
/// any, rolls back with it) and opened again for the next.
async fn apply(
    url: &str,
    conn: &mut Option<PgConnection>,
    ops: &[&Op],
) -> Result<Vec<Done>, StoreError> {
    let result = match connected(url, conn).await {
        Ok(c) => apply_in(c, ops).await,
        Err(e) => Err(e),
    };
    if result.is_err() {
        *conn = None;
    }
    result
}

async fn apply_in(conn: &mut PgConnection, ops: &[&Op]) -> Result<Vec<Done>, StoreError> {
    // `BEGIN` and the head's lock in one message (the simple protocol: no parameters). The
    // transaction is ours to end: `COMMIT` below, or on any error the caller drops the
    // connection, which rolls it back.
    let head = (&mut *conn)
        .fetch_all("BEGIN; SELECT seq, hash FROM event_head WHERE id = 1 FOR UPDATE")
        .await?;
    let head = head
        .first()
        .ok_or_else(|| StoreError::corrupt("event_head", "no head row"))?;
    let seq: i64 = head.try_get("seq")?;
    let seq = u64::try_from(seq).map_err(|_| StoreError::corrupt("event_head", "seq"))?;
    let hash: Vec<u8> = head.try_get("hash")?;
    let hash = crate::rows::digest(&hash);
    // Read after the lock, in a statement of its own (so with a snapshot taken after it): the
    // accounts as the last writer before this one committed them.
    let users = users_of(ops);
    let mut accounts: HashMap<String, Account> = HashMap::with_capacity(users.len());
    let rows = sqlx::query(
        "SELECT user_id, profile, failures, last_failure_ms, locked_until_ms \
         FROM login_accounts WHERE user_id = ANY($1::text[])",
    )
    .bind(&users)
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let brute = stored_brute(
            r.try_get("failures")?,
            r.try_get("last_failure_ms")?,
            r.try_get("locked_until_ms")?,
        );
        accounts.insert(
            r.try_get("user_id")?,
            Account::stored(r.try_get("profile")?, brute),
        );
    }
    let Folded {
        failures,
        changes,
        events,
        done,
    } = fold(ops, &mut accounts)?;
    let dirty = dirty_rows(&accounts)?;
    let (mut a_user, mut a_profile, mut a_failures, mut a_last, mut a_locked) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (u, a, text) in dirty {
        a_user.push(u.as_str());
        a_profile.push(text);
        a_failures.push(i64::from(a.brute.failures));
        a_last.push(a.brute.last_failure_ms);
        a_locked.push(a.brute.locked_until_ms);
    }
    let (mut f_source, mut f_user, mut f_at) = (Vec::new(), Vec::new(), Vec::new());
    for ((source, user), at) in &failures {
        f_source.push(*source);
        f_user.push(*user);
        f_at.push(*at);
    }
    let (c_user, c_at): (Vec<&str>, Vec<i64>) = changes.iter().copied().unzip();
    let linked = crate::db::link_after(seq, hash, events);
    let (head_seq, head_hash) = match linked.last() {
        Some(e) => (e.seq, e.hash),
        None => (seq, hash),
    };
    let head_seq = i64::try_from(head_seq).map_err(|_| StoreError::corrupt("events", "seq"))?;
    let mut e_seq = Vec::with_capacity(linked.len());
    let mut e_time = Vec::with_capacity(linked.len());
    let (mut e_kind, mut e_actor, mut e_subject, mut e_payload) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut e_prev, mut e_hash) = (Vec::new(), Vec::new());
    for e in &linked {
        e_seq.push(i64::try_from(e.seq).map_err(|_| StoreError::corrupt("events", "seq"))?);
        e_time.push(e.body.time.as_millis());
        e_kind.push(e.body.kind.as_str());
        e_actor.push(e.body.actor.as_str());
        e_subject.push(e.body.subject.as_str());
        e_payload.push(e.body.payload.as_str());
        e_prev.push(&e.prev_hash.0[..]);
        e_hash.push(&e.hash.0[..]);
    }
    let keys = count_keys(ops);
    let (k_source, k_since): (Vec<&str>, Vec<i64>) = keys.iter().copied().unzip();
    let rows = sqlx::query(WRITE_SQL)
        .bind(&a_user)
        .bind(&a_profile)
        .bind(&a_failures)
        .bind(&a_last)
        .bind(&a_locked)
        .bind(&f_source)
        .bind(&f_user)
        .bind(&f_at)
        .bind(SecurityChange::NewDeviceLogin.as_str())
        .bind(&c_user)
        .bind(&c_at)
        .bind(&e_seq)
        .bind(&e_time)
        .bind(&e_kind)
        .bind(&e_actor)
        .bind(&e_subject)
        .bind(&e_payload)
        .bind(&e_prev)
        .bind(&e_hash)
        .bind(head_seq)
        .bind(&head_hash.0[..])
        .bind(&k_source)
        .bind(&k_since)
        .fetch_all(&mut *conn)
        .await?;
    if rows.len() != keys.len() {
        return Err(StoreError::corrupt("login_failures", "count rows"));
    }
    let mut counted: HashMap<(&str, i64), u32> = HashMap::with_capacity(keys.len());
    for (key, r) in keys.into_iter().zip(rows) {
        let n: i64 = r.try_get("n")?;
        counted.insert(key, u32::try_from(n).unwrap_or(u32::MAX));
    }
    let out = answers(ops, done, &counted);
    (&mut *conn).execute("COMMIT").await?;
    Ok(out)
}
