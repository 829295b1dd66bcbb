//! The login assessment's hot path on a SQLite file: two threads, each owning a connection of
//! its own, serve the assessment's read and its group-committed write.
//!
//! Why not the pool: sqlx runs each SQLite connection on a worker thread and hands every
//! statement to it over a channel, so one assessment cost a dozen thread wake-ups (pool ping,
//! read, and its share of the batch's statements), and in WAL mode every pooled connection
//! threw its page cache away after each commit made by another. Here the statements run on
//! the thread that holds the connection: a batch of asks costs one wake-up, and the writer's
//! cache stays warm across its own commits.
//!
//! The semantics are the pooled writer's (see `login.rs`): the write transaction is
//! `BEGIN IMMEDIATE` on the same file, so it serialises with every other writer, in this
//! process or another; the batch is folded by the same code ([`super::login::fold`]); the
//! counters a failure returns are counted inside the transaction after its rows are written;
//! a caller hears `Ok` only after the commit; a failed batch is retried record by record.
//! Reads are answered from committed state: a write's caller hears `Ok` only after its commit,
//! so any read asked after that sees it.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use custodia_events::{Event, NewEvent};
use custodia_login::{BruteState, SecurityChange};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::login::{
    ACCOUNT_UPSERT_TAIL, Account, Done, FAILURE_UPSERT_TAIL, Folded, Job, Op, answer_batch,
    answers, count_keys, dirty_rows, fold, stored_brute, users_of,
};

/// Asks waiting for the thread before callers wait for room.
const QUEUE: usize = 8_192;
/// Asks taken per turn (a turn answers its reads, then commits its writes in one transaction).
const TURN: usize = 1_024;
/// Page cache of the connection (KiB; taken only as pages are used): it holds the accounts,
/// failure sources and the event log's tail that the assessments touch.
const CACHE_KIB: u32 = 65_536;

/// What a read returns, as stored: the caller parses the profile (off the thread).
#[derive(Debug)]
pub(crate) struct RawState {
    /// `None` when the account has no row.
    pub(crate) account: Option<(Option<String>, BruteState)>,
    pub(crate) ip_n: i64,
    pub(crate) net_n: i64,
}

/// One ask.
enum Ask {
    Read {
        user: String,
        /// `ip:…`
        ip: String,
        /// `net:…`
        subnet: String,
        since: i64,
        reply: oneshot::Sender<Result<RawState, StoreError>>,
    },
    Write {
        op: Op,
        reply: oneshot::Sender<Result<Done, String>>,
    },
}

/// The handle on the threads, started on first use. `None` inside: a connection could not be
/// opened, and the pooled path serves instead.
#[derive(Debug, Clone)]
pub(crate) struct SqliteLane {
    path: Arc<str>,
    queues: Arc<OnceLock<Option<Queues>>>,
}

/// One thread answers reads and another commits writes, each on its own connection: a read
/// never waits behind a batch's commit (and its sync), and the writer's connection keeps its
/// own cache warm across its commits. The reader's cache is reset by each of the writer's
/// commits (WAL mode), which costs page reads from the OS cache, not I/O.
#[derive(Debug)]
struct Queues {
    reads: mpsc::Sender<Ask>,
    writes: mpsc::Sender<Ask>,
}

fn lane_gone() -> StoreError {
    StoreError::Sqlite {
        why: "the login connection's thread stopped".into(),
    }
}

/// A connection on `path` served by a thread of its own; its queue.
fn start(path: &str, name: &str) -> Result<mpsc::Sender<Ask>, StoreError> {
    let conn = open(path)?;
    let (tx, rx) = mpsc::channel(QUEUE);
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || serve(conn, rx))
        .map_err(|e| StoreError::Sqlite {
            why: format!("no thread for the login connection: {e}"),
        })?;
    Ok(tx)
}

impl SqliteLane {
    /// A lane for the database file at `path` (opened on first use).
    pub(crate) fn new(path: &str) -> Self {
        Self {
            path: path.into(),
            queues: Arc::new(OnceLock::new()),
        }
    }

    /// The queues into the threads, opening the connections and starting the threads the
    /// first time. `None` when that fails (logged once).
    fn queues(&self) -> Option<&Queues> {
        self.queues
            .get_or_init(|| {
                let started = start(&self.path, "custodia-login-read").and_then(|reads| {
                    Ok(Queues {
                        reads,
                        writes: start(&self.path, "custodia-login-write")?,
                    })
                });
                started
                    .inspect_err(|e| {
                        tracing::warn!(error = %e, "login: no SQLite connection of its own; using the pool");
                    })
                    .ok()
            })
            .as_ref()
    }

    /// Whether the lane serves (its connection opened).
    pub(crate) fn serves(&self) -> bool {
        self.queues().is_some()
    }

    /// The account's stored state and the two sources' counters since `since`.
    pub(crate) async fn read(
        &self,
        user: String,
        ip: String,
        subnet: String,
        since: i64,
    ) -> Result<RawState, StoreError> {
        let q = &self.queues().ok_or_else(lane_gone)?.reads;
        let (reply, answer) = oneshot::channel();
        q.send(Ask::Read {
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
    pub(crate) async fn write(&self, op: Op) -> Result<Result<Done, String>, StoreError> {
        let q = &self.queues().ok_or_else(lane_gone)?.writes;
        let (reply, answer) = oneshot::channel();
        q.send(Ask::Write { op, reply })
            .await
            .map_err(|_| lane_gone())?;
        answer.await.map_err(|_| lane_gone())
    }
}

/// Opens the connection with the pool's settings: WAL, `synchronous=FULL` (a commit is durable
/// once its WAL frames are synced), the same busy timeout, checkpoint interval and statement
/// journals in memory. The file exists already (the pool created and migrated it).
fn open(path: &str) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_millis(u64::from(
        crate::db::SQLITE_BUSY_TIMEOUT_MS,
    )))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Sqlite {
            why: format!("journal_mode is {mode}, expected wal"),
        });
    }
    conn.execute_batch(&format!(
        "PRAGMA synchronous = FULL; PRAGMA cache_size = -{CACHE_KIB}; \
         PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 16384;"
    ))?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// A thread: take what is waiting, answer the reads, commit the writes, again (the reader's
/// queue only ever holds reads and the writer's only writes).
fn serve(conn: Connection, mut rx: mpsc::Receiver<Ask>) {
    let mut writes: Vec<Job> = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(ask) = next.take() {
            taken += 1;
            match ask {
                Ask::Read {
                    user,
                    ip,
                    subnet,
                    since,
                    reply,
                } => {
                    let _ = reply.send(read(&conn, &user, &ip, &subnet, since));
                }
                Ask::Write { op, reply } => writes.push(Job { op, reply }),
            }
            if taken < TURN {
                next = rx.try_recv().ok();
            }
        }
        if !writes.is_empty() {
            commit_all(&conn, &mut writes);
        }
    }
}

fn read(
    conn: &Connection,
    user: &str,
    ip: &str,
    subnet: &str,
    since: i64,
) -> Result<RawState, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT a.profile, a.failures, a.last_failure_ms, a.locked_until_ms, \
         (SELECT COUNT(*) FROM login_failures WHERE source = ?2 AND at_ms >= ?3), \
         (SELECT COUNT(*) FROM login_failures WHERE source = ?4 AND at_ms >= ?3) \
         FROM (SELECT 1 AS one) o LEFT JOIN login_accounts a ON a.user_id = ?1",
    )?;
    Ok(st.query_row(params![user, ip, since, subnet], |r| {
        let failures: Option<i64> = r.get(1)?;
        let account = match failures {
            Some(f) => Some((
                r.get::<_, Option<String>>(0)?,
                stored_brute(f, r.get(2)?, r.get(3)?),
            )),
            None => None,
        };
        Ok(RawState {
            account,
            ip_n: r.get(4)?,
            net_n: r.get(5)?,
        })
    })?)
}

/// Commits `writes` as one batch, or record by record when the batch fails, and answers each.
fn commit_all(conn: &Connection, writes: &mut Vec<Job>) {
    let ops: Vec<&Op> = writes.iter().map(|j| &j.op).collect();
    let r = apply(conn, &ops);
    for j in answer_batch(writes, r) {
        let r = apply(conn, &[&j.op]);
        j.answer_alone(r);
    }
}

/// One write transaction: `BEGIN IMMEDIATE` (the database's write lock, as every writer
/// takes it), the batch, `COMMIT`; rolled back on any error.
fn apply(conn: &Connection, ops: &[&Op]) -> Result<Vec<Done>, StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let done = apply_in(conn, ops).and_then(|d| {
        conn.execute_batch("COMMIT")?;
        Ok(d)
    });
    if done.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    done
}

fn apply_in(conn: &Connection, ops: &[&Op]) -> Result<Vec<Done>, StoreError> {
    let (seq, hash) = conn
        .prepare_cached("SELECT seq, hash FROM event_head WHERE id = 1")?
        .query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
    let seq = u64::try_from(seq).map_err(|_| StoreError::corrupt("event_head", "seq"))?;
    let hash = crate::rows::digest(&hash);
    let users = users_of(ops);
    let mut accounts: HashMap<String, Account> = HashMap::with_capacity(users.len());
    {
        let mut st = conn.prepare_cached(
            "SELECT profile, failures, last_failure_ms, locked_until_ms \
             FROM login_accounts WHERE user_id = ?1",
        )?;
        for user in users {
            let row = st
                .query_row([user], |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })
                .optional()?;
            if let Some((profile, failures, last_failure_ms, locked_until_ms)) = row {
                accounts.insert(
                    user.to_owned(),
                    Account::stored(
                        profile,
                        stored_brute(failures, last_failure_ms, locked_until_ms),
                    ),
                );
            }
        }
    }
    let Folded {
        failures,
        changes,
        events,
        done,
    } = fold(ops, &mut accounts)?;
    {
        // New accounts start with allowlist mode off and no code; existing rows keep theirs.
        let mut st = conn.prepare_cached(&format!(
            "INSERT INTO login_accounts (user_id, profile, failures, last_failure_ms, \
             locked_until_ms, allowlist_only, anti_phishing) VALUES (?1, ?2, ?3, ?4, ?5, 0, NULL)\
             {ACCOUNT_UPSERT_TAIL}"
        ))?;
        for (user, a, text) in dirty_rows(&accounts)? {
            st.execute(params![
                user,
                text,
                i64::from(a.brute.failures),
                a.brute.last_failure_ms,
                a.brute.locked_until_ms
            ])?;
        }
    }
    if !failures.is_empty() {
        let mut st = conn.prepare_cached(&format!(
            "INSERT INTO login_failures (source, user_id, at_ms) VALUES (?1, ?2, ?3)\
             {FAILURE_UPSERT_TAIL}"
        ))?;
        for ((source, user), at) in &failures {
            st.execute(params![source, user, at])?;
        }
    }
    if !changes.is_empty() {
        let mut st = conn.prepare_cached(
            "INSERT INTO login_security_changes (user_id, kind, at_ms) VALUES (?1, ?2, ?3)",
        )?;
        for (user, at) in &changes {
            st.execute(params![user, SecurityChange::NewDeviceLogin.as_str(), at])?;
        }
    }
    // The sources' counters, after this batch's rows are in (as of the commit).
    let keys = count_keys(ops);
    let mut counted: HashMap<(&str, i64), u32> = HashMap::with_capacity(keys.len());
    if !keys.is_empty() {
        let mut st = conn.prepare_cached(
            "SELECT COUNT(*) FROM login_failures WHERE source = ?1 AND at_ms >= ?2",
        )?;
        for (source, since) in keys {
            let n: i64 = st.query_row(params![source, since], |r| r.get(0))?;
            counted.insert((source, since), u32::try_from(n).unwrap_or(u32::MAX));
        }
    }
    let out = answers(ops, done, &counted);
    append(conn, seq, hash, events)?;
    Ok(out)
}

/// Appends `events` after (`seq`, `hash`) and moves the head: the rows and hashes
/// `Store::append_in` writes.
fn append(
    conn: &Connection,
    mut seq: u64,
    mut hash: custodia_events::Digest,
    events: Vec<NewEvent>,
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut st = conn.prepare_cached(
        "INSERT INTO events (seq, time_ms, kind, actor, subject, payload, prev_hash, hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for body in events {
        let e = Event::link(seq, hash, body);
        let n = i64::try_from(e.seq).map_err(|_| StoreError::corrupt("events", "seq"))?;
        st.execute(params![
            n,
            e.body.time.as_millis(),
            e.body.kind.as_str(),
            e.body.actor.as_str(),
            e.body.subject.as_str(),
            e.body.payload.as_str(),
            &e.prev_hash.0[..],
            &e.hash.0[..],
        ])?;
        seq = e.seq;
        hash = e.hash;
    }
    let n = i64::try_from(seq).map_err(|_| StoreError::corrupt("events", "seq"))?;
    conn.prepare_cached("UPDATE event_head SET seq = ?1, hash = ?2 WHERE id = 1")?
        .execute(params![n, &hash.0[..]])?;
    Ok(())
}
