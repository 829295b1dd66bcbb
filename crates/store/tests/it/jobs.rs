//! The job queue on every engine (SQLite always, PostgreSQL when configured): idempotent
//! enqueue, claim order, exclusive claims under real concurrency, lease expiry and fencing,
//! heartbeats, retries and death, idempotent completion, counts and listings.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;
use std::time::Duration;

use custodia_events::Timestamp;
use custodia_store::jobs::{
    Claimed, JobCounts, JobId, JobKey, JobQueue, JobReader, JobState, Lease, LeaseToken, NewJob,
    QueueName, QueueStats, Retry, WorkerId,
};
use custodia_store::testkit::stores;
use custodia_store::{Store, StoreError};

const T0: i64 = 1_800_000_000_000;
const LEASE: Duration = Duration::from_secs(60);
const LEASE_MS: i64 = 60_000;

fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(T0 + ms)
}

fn q(s: &str) -> QueueName {
    QueueName::new(s).unwrap()
}

fn w(s: &str) -> WorkerId {
    WorkerId::new(s).unwrap()
}

fn new_job(queue: &str, key: &str, payload: &[u8], max: u32, not_before: i64) -> NewJob {
    NewJob {
        queue: q(queue),
        key: JobKey::new(key).unwrap(),
        payload: payload.to_vec(),
        max_attempts: NonZeroU32::new(max).unwrap(),
        not_before: t(not_before),
    }
}

async fn add(s: &Store, queue: &str, key: &str, max: u32, not_before: i64, at: i64) -> JobId {
    let e = s
        .enqueue(&new_job(queue, key, key.as_bytes(), max, not_before), t(at))
        .await
        .unwrap();
    assert!(e.created, "{key}");
    e.id
}

async fn claim(s: &Store, queue: &str, worker: &str, now: i64) -> Option<Claimed> {
    s.claim(&q(queue), &w(worker), LEASE, t(now)).await.unwrap()
}

async fn state(s: &Store, id: JobId) -> JobState {
    s.job(id).await.unwrap().unwrap().state
}

/// Asserts a lease call failed because the lease is stale, and returns what it found.
fn lost<T: std::fmt::Debug>(
    r: Result<T, StoreError>,
    label: &str,
) -> (&'static str, u64, Option<String>) {
    match r {
        Err(StoreError::LeaseLost {
            found_state,
            found_token,
            found_worker,
            ..
        }) => (found_state, found_token, found_worker),
        other => panic!("{label}: expected LeaseLost, got {other:?}"),
    }
}

#[tokio::test]
async fn enqueue_is_idempotent_per_queue_and_key() {
    for t_ in stores("jobs_enqueue").await {
        let s = &t_.store;
        let l = t_.label;
        let j = new_job(
            "por.batch",
            "round-2026-11/batch-00007",
            b"{\"batch\":7}",
            3,
            0,
        );
        let first = s.enqueue(&j, t(0)).await.unwrap();
        assert!(first.created, "{l}");
        let again = s.enqueue(&j, t(5)).await.unwrap();
        assert_eq!((again.id, again.created), (first.id, false), "{l}");
        // Negative twins: the key is unique per queue only, and a key reused for other work is
        // refused rather than silently dropped.
        let other = s
            .enqueue(
                &NewJob {
                    queue: q("token.sim"),
                    ..j.clone()
                },
                t(0),
            )
            .await
            .unwrap();
        assert!(other.created && other.id != first.id, "{l}");
        match s
            .enqueue(
                &NewJob {
                    payload: b"{\"batch\":8}".to_vec(),
                    ..j.clone()
                },
                t(0),
            )
            .await
        {
            Err(StoreError::JobKeyReused {
                queue,
                key,
                existing,
            }) => {
                assert_eq!(
                    (queue.as_str(), key.as_str(), existing),
                    ("por.batch", "round-2026-11/batch-00007", first.id.get()),
                    "{l}"
                );
            }
            other => panic!("{l}: expected JobKeyReused, got {other:?}"),
        }
        let stored = s.job(first.id).await.unwrap().unwrap();
        assert_eq!(
            (
                stored.payload.as_slice(),
                stored.created_at,
                stored.attempts
            ),
            (&b"{\"batch\":7}"[..], t(0), 0),
            "{l}: the first enqueue wins"
        );
        assert_eq!(
            s.job_counts(&q("por.batch")).await.unwrap().total(),
            1,
            "{l}"
        );

        // A scheduler re-running after the job finished does not resurrect it.
        let c = claim(s, "por.batch", "w1", 10).await.unwrap();
        assert!(s.complete(&c.lease, b"ok", t(20)).await.unwrap(), "{l}");
        let rerun = s.enqueue(&j, t(30)).await.unwrap();
        assert_eq!((rerun.id, rerun.created), (first.id, false), "{l}");
        assert_eq!(state(s, first.id).await, JobState::Done, "{l}");
        assert!(claim(s, "por.batch", "w1", 40).await.is_none(), "{l}");
    }
}

#[tokio::test]
async fn claims_follow_not_before_then_creation_order() {
    for t_ in stores("jobs_order").await {
        let s = &t_.store;
        let l = t_.label;
        let late = add(s, "por.batch", "late", 3, 100, 0).await;
        let b = add(s, "por.batch", "b", 3, 0, 2).await;
        let a = add(s, "por.batch", "a", 3, 0, 1).await;
        let c = add(s, "por.batch", "c", 3, 0, 1).await; // same time as `a`, enqueued after it
        let early = add(s, "por.batch", "early", 3, -10, 5).await;
        let elsewhere = add(s, "report.monthly", "x", 3, 0, 0).await;

        let mut got = Vec::new();
        while let Some(cl) = claim(s, "por.batch", "w1", 50).await {
            assert_eq!(cl.job.state, JobState::Leased, "{l}");
            assert_eq!(cl.job.attempts, 1, "{l}");
            assert_eq!(cl.lease.token, LeaseToken::new(1), "{l}");
            assert_eq!(cl.job.lease_token, cl.lease.token, "{l}");
            assert_eq!(cl.lease.expires_at, t(50 + LEASE_MS), "{l}");
            assert_eq!(cl.job.lease_expires, Some(cl.lease.expires_at), "{l}");
            assert_eq!(cl.job.worker, Some(w("w1")), "{l}");
            got.push(cl.job.id);
        }
        assert_eq!(
            got,
            [early, a, c, b],
            "{l}: by not_before, then creation, then id"
        );
        // Negative twins: a job not yet due and a job of another queue are not handed out.
        assert_eq!(state(s, late).await, JobState::Queued, "{l}");
        assert_eq!(state(s, elsewhere).await, JobState::Queued, "{l}");
        assert_eq!(
            claim(s, "por.batch", "w1", 100).await.map(|c| c.job.id),
            Some(late),
            "{l}: due at its not_before"
        );
        assert!(claim(s, "por.batch", "w1", 100).await.is_none(), "{l}");
        assert!(claim(s, "token.sim", "w1", 100).await.is_none(), "{l}");
        assert_eq!(
            claim(s, "report.monthly", "w1", 100)
                .await
                .map(|c| c.job.id),
            Some(elsewhere),
            "{l}"
        );
    }
}

/// One round of claims by `workers` concurrent tasks spread over several pools, until none
/// gets a job. Returns every claim made.
async fn claim_all(pools: &[Store], workers: usize, now: i64) -> Vec<Claimed> {
    let mut tasks = Vec::new();
    for i in 0..workers {
        let s = pools[i % pools.len()].clone();
        tasks.push(tokio::spawn(async move {
            let me = w(&format!("worker-{i}"));
            let mut mine = Vec::new();
            while let Some(c) = s.claim(&q("por.batch"), &me, LEASE, t(now)).await.unwrap() {
                mine.push(c);
                tokio::task::yield_now().await;
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all
}

/// Every job claimed exactly once; returns the leases by job.
fn exactly_once(
    claims: Vec<Claimed>,
    ids: &BTreeSet<JobId>,
    label: &str,
) -> BTreeMap<JobId, Lease> {
    let mut by_job = BTreeMap::new();
    for c in claims {
        if let Some(prev) = by_job.insert(c.job.id, c.lease.clone()) {
            panic!(
                "{label}: job {} held twice: {prev:?} and {:?}",
                c.job.id, c.lease
            );
        }
    }
    assert_eq!(
        &by_job.keys().copied().collect::<BTreeSet<_>>(),
        ids,
        "{label}"
    );
    by_job
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claimers_never_hold_one_job_twice() {
    const JOBS: usize = 80;
    const WORKERS: usize = 12;
    for t_ in stores("jobs_concurrent").await {
        let l = t_.label;
        // Three pools on one database (a file for SQLite): like three machines.
        let mut pools = vec![t_.store.clone()];
        for _ in 0..2 {
            pools.push(Store::open(&t_.url, 4).await.unwrap());
        }
        let s = &t_.store;
        let mut ids = BTreeSet::new();
        for i in 0..JOBS {
            ids.insert(add(s, "por.batch", &format!("batch-{i:05}"), 5, 0, i as i64).await);
        }

        let first = exactly_once(claim_all(&pools, WORKERS, 0).await, &ids, l);
        assert!(
            first.values().all(|ls| ls.token == LeaseToken::new(1)),
            "{l}"
        );
        let counts = s.job_counts(&q("por.batch")).await.unwrap();
        assert_eq!(counts.leased, JOBS as u64, "{l}");
        // Negative twin: while the leases run, nobody else gets anything.
        assert!(claim_all(&pools, WORKERS, LEASE_MS).await.is_empty(), "{l}");

        // Every lease expired (the first workers "crashed"): reclaimed, again exactly once.
        let second = exactly_once(claim_all(&pools, WORKERS, LEASE_MS + 1).await, &ids, l);
        assert!(
            second.values().all(|ls| ls.token == LeaseToken::new(2)),
            "{l}"
        );

        // The stale holders and the current ones finish at the same time: only the current win.
        let mut tasks = Vec::new();
        for (i, (id, stale)) in first.into_iter().enumerate() {
            let current = second[&id].clone();
            let (a, b) = (pools[i % 3].clone(), pools[(i + 1) % 3].clone());
            tasks.push(tokio::spawn(async move {
                let old = a.complete(&stale, b"stale", t(LEASE_MS + 2));
                let new = b.complete(
                    &current,
                    current.worker.as_str().as_bytes(),
                    t(LEASE_MS + 2),
                );
                let (old, new) = tokio::join!(old, new);
                (id, current, old, new)
            }));
        }
        for task in tasks {
            let (id, current, old, new) = task.await.unwrap();
            assert!(new.unwrap(), "{l}: job {id}");
            let (found_state, found_token, _) = lost(old, l);
            assert_eq!(found_token, 2, "{l}: job {id}");
            assert!(
                matches!(found_state, "leased" | "done"),
                "{l}: {found_state}"
            );
            let job = s.job(id).await.unwrap().unwrap();
            assert_eq!(
                job.result.as_deref(),
                Some(current.worker.as_str().as_bytes()),
                "{l}"
            );
            assert_eq!(job.attempts, 2, "{l}");
        }
        assert_eq!(
            s.job_counts(&q("por.batch")).await.unwrap(),
            JobCounts {
                done: JOBS as u64,
                ..JobCounts::default()
            },
            "{l}"
        );
        for p in &pools[1..] {
            p.close().await;
        }
    }
}

#[tokio::test]
async fn an_expired_lease_is_reclaimed_and_the_stale_holder_refused() {
    for t_ in stores("jobs_reclaim").await {
        let s = &t_.store;
        let l = t_.label;
        let id = add(s, "por.batch", "b1", 3, 0, 0).await;
        let a = claim(s, "por.batch", "alice", 0).await.unwrap().lease;
        // Negative twin: up to and including its expiry the lease holds.
        assert!(claim(s, "por.batch", "bob", 30_000).await.is_none(), "{l}");
        assert!(
            claim(s, "por.batch", "bob", LEASE_MS).await.is_none(),
            "{l}"
        );

        let b = claim(s, "por.batch", "bob", LEASE_MS + 1).await.unwrap();
        assert_eq!(b.job.id, id, "{l}");
        assert_eq!(b.lease.token, LeaseToken::new(2), "{l}");
        assert_eq!(b.job.attempts, 2, "{l}");

        let found = ("leased", 2, Some("bob".to_owned()));
        assert_eq!(lost(s.heartbeat(&a, t(200_000)).await, l), found, "{l}");
        assert_eq!(lost(s.complete(&a, b"alice", t(1)).await, l), found, "{l}");
        assert_eq!(
            lost(s.fail(&a, "alice gave up", t(1), Retry::At(t(2))).await, l),
            found,
            "{l}"
        );
        // None of the refused calls changed anything.
        let job = s.job(id).await.unwrap().unwrap();
        assert_eq!(
            (job.state, job.lease_expires, job.last_error, job.result),
            (JobState::Leased, Some(t(2 * LEASE_MS + 1)), None, None),
            "{l}"
        );
        assert!(
            s.complete(&b.lease, b"bob", t(LEASE_MS + 5)).await.unwrap(),
            "{l}"
        );
        let (st, tok, _) = lost(s.complete(&a, b"alice", t(LEASE_MS + 6)).await, l);
        assert_eq!((st, tok), ("done", 2), "{l}");
        assert_eq!(
            s.job(id).await.unwrap().unwrap().result.as_deref(),
            Some(&b"bob"[..]),
            "{l}"
        );

        // Expiry alone does not revoke: until someone reclaims, the late holder goes on.
        let id2 = add(s, "por.batch", "b2", 3, 0, 0).await;
        let late = claim(s, "por.batch", "carol", 0).await.unwrap().lease;
        assert_eq!(late.job, id2, "{l}");
        let late = s.heartbeat(&late, t(300_000)).await.unwrap();
        assert!(claim(s, "por.batch", "bob", 250_000).await.is_none(), "{l}");
        assert!(
            s.complete(&late, b"carol", t(250_001)).await.unwrap(),
            "{l}"
        );
    }
}

#[tokio::test]
async fn heartbeats_extend_the_lease() {
    for t_ in stores("jobs_heartbeat").await {
        let s = &t_.store;
        let l = t_.label;
        let j1 = add(s, "por.batch", "j1", 3, 0, 0).await;
        let j2 = add(s, "por.batch", "j2", 3, 0, 1).await;
        let a1 = claim(s, "por.batch", "alice", 0).await.unwrap().lease;
        let a2 = claim(s, "por.batch", "alice", 0).await.unwrap().lease;
        assert_eq!((a1.job, a2.job), (j1, j2), "{l}");

        let a1x = s.heartbeat(&a1, t(2 * LEASE_MS)).await.unwrap();
        assert_eq!(
            a1x,
            Lease {
                expires_at: t(2 * LEASE_MS),
                ..a1.clone()
            },
            "{l}"
        );
        let stored = s.job(j1).await.unwrap().unwrap();
        assert_eq!(stored.lease_expires, Some(t(2 * LEASE_MS)), "{l}");
        assert_eq!(
            stored.lease_token, a1.token,
            "{l}: a heartbeat is not a new claim"
        );
        // Negative twin: the job without a heartbeat is reclaimed, the one with it is not.
        let b = claim(s, "por.batch", "bob", 90_000).await.unwrap();
        assert_eq!(b.job.id, j2, "{l}");
        assert!(claim(s, "por.batch", "bob", 90_000).await.is_none(), "{l}");
        assert_eq!(
            claim(s, "por.batch", "bob", 2 * LEASE_MS + 1)
                .await
                .map(|c| c.job.id),
            Some(j1),
            "{l}: the extended lease runs out too"
        );

        // Forged leases: wrong token, wrong worker, unknown job.
        let j3 = add(s, "por.batch", "j3", 3, 0, 2).await;
        let c = claim(s, "por.batch", "carol", 0).await.unwrap().lease;
        assert_eq!(c.job, j3, "{l}");
        let forged_token = Lease {
            token: LeaseToken::new(c.token.get() + 1),
            ..c.clone()
        };
        lost(s.heartbeat(&forged_token, t(1)).await, l);
        let forged_worker = Lease {
            worker: w("mallory"),
            ..c.clone()
        };
        assert_eq!(
            lost(s.heartbeat(&forged_worker, t(1)).await, l),
            ("leased", 1, Some("carol".to_owned())),
            "{l}"
        );
        let ghost = Lease {
            job: JobId::new(9_999_999),
            ..c.clone()
        };
        assert!(
            matches!(
                s.heartbeat(&ghost, t(1)).await,
                Err(StoreError::JobNotFound { job: 9_999_999 })
            ),
            "{l}"
        );
        assert_eq!(
            s.job(j3).await.unwrap().unwrap().lease_expires,
            Some(c.expires_at),
            "{l}: forged heartbeats change nothing"
        );
    }
}

#[tokio::test]
async fn failures_retry_until_attempts_run_out_then_the_job_is_dead() {
    for t_ in stores("jobs_fail").await {
        let s = &t_.store;
        let l = t_.label;
        let id = add(s, "por.batch", "flaky", 3, 0, 0).await;
        let mut leases = Vec::new();
        for (attempt, now) in [(1, 0), (2, 1_000), (3, 2_000)] {
            // Negative twin: not before the retry time.
            if attempt > 1 {
                assert!(claim(s, "por.batch", "w", now - 1).await.is_none(), "{l}");
            }
            let c = claim(s, "por.batch", "w", now).await.unwrap();
            assert_eq!((c.job.id, c.job.attempts), (id, attempt), "{l}");
            let reason = format!("attempt {attempt} failed");
            let next = s
                .fail(&c.lease, &reason, t(now + 10), Retry::At(t(now + 1_000)))
                .await
                .unwrap();
            let job = s.job(id).await.unwrap().unwrap();
            assert_eq!(job.last_error.as_deref(), Some(reason.as_str()), "{l}");
            assert_eq!(job.lease_expires, None, "{l}");
            if attempt < 3 {
                assert_eq!(next, JobState::Queued, "{l}");
                assert_eq!(
                    (job.not_before, job.finished_at),
                    (t(now + 1_000), None),
                    "{l}"
                );
            } else {
                assert_eq!(next, JobState::Dead, "{l}: out of attempts");
                assert_eq!(job.finished_at, Some(t(now + 10)), "{l}");
            }
            leases.push(c.lease);
        }
        assert!(
            claim(s, "por.batch", "w", 100_000).await.is_none(),
            "{l}: dead is final"
        );
        // The holder repeating its fail gets the same answer; an older lease does not.
        let last = &leases[2];
        assert_eq!(
            s.fail(last, "again", t(5_000), Retry::At(t(6_000)))
                .await
                .unwrap(),
            JobState::Dead,
            "{l}"
        );
        assert_eq!(
            s.job(id).await.unwrap().unwrap().last_error.as_deref(),
            Some("attempt 3 failed"),
            "{l}: a repeat changes nothing"
        );
        assert_eq!(
            lost(s.fail(&leases[0], "old", t(5_000), Retry::Never).await, l).0,
            "dead"
        );
        lost(s.complete(last, b"too late", t(5_000)).await, l);
        lost(s.heartbeat(last, t(9_000)).await, l);

        // A repeated fail while the job waits for its retry is the same answer too.
        let id2 = add(s, "por.batch", "again", 3, 0, 10).await;
        let c = claim(s, "por.batch", "w", 200_000).await.unwrap();
        assert_eq!(c.job.id, id2, "{l}");
        for _ in 0..2 {
            assert_eq!(
                s.fail(&c.lease, "x", t(200_001), Retry::At(t(300_000)))
                    .await
                    .unwrap(),
                JobState::Queued,
                "{l}"
            );
        }
        lost(s.complete(&c.lease, b"", t(200_002)).await, l);

        // Retry::Never gives up at once, whatever attempts remain.
        let id3 = add(s, "token.sim", "bad-input", 5, 0, 0).await;
        let c = claim(s, "token.sim", "w", 0).await.unwrap();
        let long = "x".repeat(20_000);
        assert_eq!(
            s.fail(&c.lease, &long, t(1), Retry::Never).await.unwrap(),
            JobState::Dead
        );
        let job = s.job(id3).await.unwrap().unwrap();
        assert_eq!((job.attempts, job.finished_at), (1, Some(t(1))), "{l}");
        assert_eq!(
            job.last_error.map(|e| e.len()),
            Some(8 * 1024),
            "{l}: reason cut"
        );

        // A worker that keeps dying on its job: after the last attempt's lease expires, the
        // next claim marks it dead instead of handing it out again.
        let id4 = add(s, "report.monthly", "crashy", 1, 0, 0).await;
        let keep = add(s, "report.monthly", "fine", 1, 0, 1).await;
        let dying = claim(s, "report.monthly", "w", 0).await.unwrap().lease;
        assert_eq!(dying.job, id4, "{l}");
        let next = claim(s, "report.monthly", "v", LEASE_MS + 1).await.unwrap();
        assert_eq!(next.job.id, keep, "{l}: the dead job is passed over");
        let job = s.job(id4).await.unwrap().unwrap();
        assert_eq!(
            (job.state, job.attempts, job.finished_at, job.lease_expires),
            (JobState::Dead, 1, Some(t(LEASE_MS + 1)), None),
            "{l}"
        );
        assert!(
            job.last_error
                .as_deref()
                .is_some_and(|e| e.contains("expired")),
            "{l}: {:?}",
            job.last_error
        );
        // Its vanished holder is fenced off, even its fail (the job did not die of that fail).
        let (st, tok, _) = lost(s.fail(&dying, "late", t(1), Retry::Never).await, l);
        assert_eq!((st, tok), ("dead", 2), "{l}");
        lost(s.complete(&dying, b"late", t(1)).await, l);
        // Negative twin: with attempts left, an expired lease is reclaimed, not killed (see
        // `an_expired_lease_is_reclaimed_and_the_stale_holder_refused`).
    }
}

#[tokio::test]
async fn completing_is_idempotent_for_the_holder_only() {
    for t_ in stores("jobs_complete").await {
        let s = &t_.store;
        let l = t_.label;
        let id = add(s, "por.batch", "b", 3, 0, 0).await;
        let c = claim(s, "por.batch", "alice", 0).await.unwrap().lease;
        assert!(s.complete(&c, b"proof-1", t(10)).await.unwrap(), "{l}");
        assert!(
            !s.complete(&c, b"proof-2", t(20)).await.unwrap(),
            "{l}: already done"
        );
        let job = s.job(id).await.unwrap().unwrap();
        assert_eq!(
            (
                job.state,
                job.result.as_deref(),
                job.finished_at,
                job.lease_expires
            ),
            (JobState::Done, Some(&b"proof-1"[..]), Some(t(10)), None),
            "{l}: the first completion stands"
        );
        // Negative twins: not the holder.
        let other_worker = Lease {
            worker: w("bob"),
            ..c.clone()
        };
        assert_eq!(
            lost(s.complete(&other_worker, b"x", t(30)).await, l),
            ("done", 1, Some("alice".to_owned())),
            "{l}"
        );
        let other_token = Lease {
            token: LeaseToken::new(7),
            ..c.clone()
        };
        lost(s.complete(&other_token, b"x", t(30)).await, l);
        lost(s.fail(&c, "after done", t(30), Retry::Never).await, l);
        lost(s.heartbeat(&c, t(30)).await, l);
        assert!(
            claim(s, "por.batch", "bob", 10 * LEASE_MS).await.is_none(),
            "{l}"
        );
        assert_eq!(state(s, id).await, JobState::Done, "{l}");
    }
}

#[tokio::test]
async fn a_done_job_with_a_bad_result_is_reopened_once_and_redone() {
    for t_ in stores("jobs_reopen").await {
        let s = &t_.store;
        let l = t_.label;
        // One attempt allowed: reopening must still leave one to redo it.
        let id = add(s, "por.batch", "b", 1, 0, 0).await;
        let first = claim(s, "por.batch", "alice", 0).await.unwrap().lease;
        assert!(s.complete(&first, b"digest-1", t(10)).await.unwrap(), "{l}");
        assert!(
            s.reopen(id, b"digest-1", "proof corrupted", t(20))
                .await
                .unwrap(),
            "{l}"
        );
        // Negative twins: a second checker with the same finding, and a stale expectation.
        assert!(
            !s.reopen(id, b"digest-1", "again", t(21)).await.unwrap(),
            "{l}: reopened once"
        );
        let job = s.job(id).await.unwrap().unwrap();
        assert_eq!(
            (
                job.state,
                job.result,
                job.finished_at,
                job.last_error.as_deref()
            ),
            (JobState::Queued, None, None, Some("proof corrupted")),
            "{l}"
        );
        assert!(
            job.max_attempts.get() > job.attempts,
            "{l}: one more attempt"
        );
        // The lease that completed it is stale now.
        lost(s.complete(&first, b"digest-1", t(22)).await, l);
        let again = claim(s, "por.batch", "bob", 30).await.unwrap().lease;
        assert!(again.token > first.token, "{l}");
        assert!(s.complete(&again, b"digest-2", t(40)).await.unwrap(), "{l}");
        assert!(
            !s.reopen(id, b"digest-1", "stale check", t(50))
                .await
                .unwrap(),
            "{l}: the redone result is not the one found bad"
        );
        assert_eq!(state(s, id).await, JobState::Done, "{l}");
        // A queued job is not done: nothing to reopen.
        let other = add(s, "por.batch", "c", 3, 0, 0).await;
        assert!(!s.reopen(other, b"", "x", t(60)).await.unwrap(), "{l}");
        assert!(matches!(
            s.reopen(JobId::new(999_999), b"", "x", t(60)).await,
            Err(StoreError::JobNotFound { .. })
        ));
    }
}

#[tokio::test]
async fn a_dead_job_is_revived_once_with_fresh_attempts() {
    for t_ in stores("jobs_revive").await {
        let s = &t_.store;
        let l = t_.label;
        let id = add(s, "por.batch", "b", 1, 0, 0).await;
        let first = claim(s, "por.batch", "alice", 0).await.unwrap().lease;
        assert_eq!(
            s.fail(&first, "bad input", t(10), Retry::Never)
                .await
                .unwrap(),
            JobState::Dead,
            "{l}"
        );
        assert!(
            s.revive(id, 2, "ops: input restored", t(20)).await.unwrap(),
            "{l}"
        );
        // Negative twin: a second operator finds it alive and moves nothing.
        assert!(!s.revive(id, 2, "again", t(21)).await.unwrap(), "{l}");
        let job = s.job(id).await.unwrap().unwrap();
        assert_eq!(
            (job.state, job.last_error.as_deref(), job.max_attempts.get()),
            (
                JobState::Queued,
                Some("ops: input restored"),
                job.attempts + 2
            ),
            "{l}"
        );
        // The dead attempt's lease cannot act on it; the revived job is claimable and finishes.
        lost(s.complete(&first, b"late", t(22)).await, l);
        let again = claim(s, "por.batch", "bob", 30).await.unwrap().lease;
        assert!(again.token > first.token, "{l}");
        assert!(s.complete(&again, b"ok", t(40)).await.unwrap(), "{l}");
        // Twins: a done job and a queued job are not dead; an unknown one is an error.
        assert!(!s.revive(id, 1, "x", t(50)).await.unwrap(), "{l}");
        assert_eq!(state(s, id).await, JobState::Done, "{l}");
        let other = add(s, "por.batch", "c", 3, 0, 0).await;
        assert!(!s.revive(other, 1, "x", t(60)).await.unwrap(), "{l}");
        assert!(matches!(
            s.revive(JobId::new(999_999), 1, "x", t(60)).await,
            Err(StoreError::JobNotFound { .. })
        ));
    }
}

#[tokio::test]
async fn counts_and_listings_by_state() {
    for t_ in stores("jobs_counts").await {
        let s = &t_.store;
        let l = t_.label;
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(add(s, "por.batch", &format!("b{i}"), 2, 0, i).await);
        }
        add(s, "token.sim", "elsewhere", 2, 0, 0).await;
        let c0 = claim(s, "por.batch", "w", 0).await.unwrap().lease;
        let c1 = claim(s, "por.batch", "w", 0).await.unwrap().lease;
        claim(s, "por.batch", "w", 0).await.unwrap();
        s.complete(&c0, b"", t(1)).await.unwrap();
        s.fail(&c1, "bad", t(1), Retry::Never).await.unwrap();

        let counts = s.job_counts(&q("por.batch")).await.unwrap();
        assert_eq!(
            counts,
            JobCounts {
                queued: 2,
                leased: 1,
                done: 1,
                dead: 1
            },
            "{l}"
        );
        assert_eq!(counts.total(), 5, "{l}");
        assert_eq!(JobState::ALL.map(|st| counts.get(st)), [2, 1, 1, 1], "{l}");
        // Negative twin: a queue with nothing in it.
        assert_eq!(
            s.job_counts(&q("nothing.here")).await.unwrap(),
            JobCounts::default(),
            "{l}"
        );

        let queue = q("por.batch");
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let page = s.jobs(&queue, JobState::Queued, after, 1).await.unwrap();
            let Some(last) = page.last() else { break };
            assert_eq!(page.len(), 1, "{l}");
            after = Some(last.id);
            paged.extend(page.into_iter().map(|j| (j.id, j.state)));
        }
        assert_eq!(
            paged,
            [(ids[3], JobState::Queued), (ids[4], JobState::Queued)],
            "{l}"
        );
        let dead = s.jobs(&queue, JobState::Dead, None, 10).await.unwrap();
        assert_eq!(dead.len(), 1, "{l}");
        assert_eq!(
            (dead[0].id, dead[0].last_error.as_deref()),
            (ids[1], Some("bad")),
            "{l}"
        );
        assert!(
            s.jobs(&q("token.sim"), JobState::Done, None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(s.job(JobId::new(9_999_999)).await.unwrap().is_none(), "{l}");
    }
}

#[tokio::test]
async fn queue_stats_show_counts_and_how_long_due_work_has_waited() {
    for tk in stores("jobs_stats").await {
        let s = &tk.store;
        assert_eq!(
            s.queue_stats(t(0)).await.unwrap(),
            Vec::new(),
            "no queues yet"
        );
        add(s, "prove", "a", 3, 100, 0).await;
        add(s, "prove", "b", 3, 500, 0).await;
        add(s, "prove", "later", 3, 10_000, 0).await;
        add(s, "report", "r", 3, 0, 0).await;
        let c = claim(s, "report", "w1", 50).await.unwrap();
        s.complete(&c.lease, b"ok", t(60)).await.unwrap();
        let stats = s.queue_stats(t(1_000)).await.unwrap();
        assert_eq!(
            stats,
            vec![
                QueueStats {
                    queue: "prove".into(),
                    counts: JobCounts {
                        queued: 3,
                        ..JobCounts::default()
                    },
                    oldest_due: Some(t(100)),
                },
                QueueStats {
                    queue: "report".into(),
                    counts: JobCounts {
                        done: 1,
                        ..JobCounts::default()
                    },
                    oldest_due: None,
                },
            ],
            "{}",
            tk.label
        );
        // Before anything is due, nothing has waited.
        let early = s.queue_stats(t(50)).await.unwrap();
        assert_eq!(early[0].oldest_due, None, "{}", tk.label);
    }
}

/// The domain crates' port over the same table: submit is idempotent and refuses a reused key,
/// a worker that dies mid-job loses it to the next claim after its lease, its late result is
/// a conflict, failures retry then die, and a job of another queue is not found.
#[tokio::test]
async fn work_queue_port_reclaims_from_dead_workers() {
    use custodia_events::{RepoError, WorkQueue, WorkState};
    for t_ in stores("jobs_work_port").await {
        let s = &t_.store;
        let label = t_.label;
        let a = s
            .submit_work("token.scan", "eth:0xaa:1", b"scan-a", 2, t(0))
            .await
            .unwrap();
        assert!(a.created, "{label}");
        let again = s
            .submit_work("token.scan", "eth:0xaa:1", b"scan-a", 2, t(1))
            .await
            .unwrap();
        assert_eq!((again.id, again.created), (a.id, false), "{label}");
        assert!(
            matches!(
                s.submit_work("token.scan", "eth:0xaa:1", b"other", 2, t(2))
                    .await,
                Err(RepoError::Conflict { .. })
            ),
            "{label}: same key, other payload"
        );
        assert!(
            matches!(
                s.submit_work("Bad Queue", "k", b"x", 1, t(2)).await,
                Err(RepoError::Unavailable { .. })
            ),
            "{label}"
        );

        // Worker 1 claims and dies (never completes).
        let c1 = s
            .claim_work("token.scan", "w1", LEASE, t(10))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((c1.lease.job, c1.attempts), (a.id, 1), "{label}");
        assert_eq!(c1.payload, b"scan-a");
        // Before its lease runs out nobody else gets it.
        assert!(
            s.claim_work("token.scan", "w2", LEASE, t(20))
                .await
                .unwrap()
                .is_none()
        );
        // After, worker 2 takes it over.
        let c2 = s
            .claim_work("token.scan", "w2", LEASE, t(11 + LEASE_MS))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((c2.lease.job, c2.attempts), (a.id, 2), "{label}");
        assert!(c2.lease.token > c1.lease.token);
        // The dead worker's late result is refused; the new holder's is kept.
        assert!(
            matches!(
                s.complete_work(&c1.lease, b"late", t(12 + LEASE_MS)).await,
                Err(RepoError::Conflict { .. })
            ),
            "{label}"
        );
        assert!(
            s.complete_work(&c2.lease, b"result", t(13 + LEASE_MS))
                .await
                .unwrap()
        );
        assert!(
            !s.complete_work(&c2.lease, b"result", t(14 + LEASE_MS))
                .await
                .unwrap(),
            "a repeated complete is no error"
        );
        let st = s.work_status("token.scan", a.id).await.unwrap().unwrap();
        assert_eq!(st.state, WorkState::Done);
        assert_eq!(st.result.as_deref(), Some(&b"result"[..]));
        assert_eq!((st.attempts, st.max_attempts), (2, 2));
        // The twin: the same id read through another queue is not there.
        assert!(s.work_status("por.batch", a.id).await.unwrap().is_none());

        // Failures: retried while attempts remain, then dead with the reason.
        let b = s
            .submit_work("token.scan", "eth:0xbb:1", b"scan-b", 2, t(100))
            .await
            .unwrap();
        let c = s
            .claim_work("token.scan", "w1", LEASE, t(2 * LEASE_MS))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.lease.job, b.id);
        let retry = t(2 * LEASE_MS + 500);
        assert_eq!(
            s.fail_work(&c.lease, "node down", t(2 * LEASE_MS + 1), Some(retry))
                .await
                .unwrap(),
            WorkState::Queued
        );
        assert!(
            s.claim_work("token.scan", "w1", LEASE, t(2 * LEASE_MS + 499))
                .await
                .unwrap()
                .is_none(),
            "{label}: not before the retry time"
        );
        let c = s
            .claim_work("token.scan", "w1", LEASE, t(2 * LEASE_MS + 500))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            s.fail_work(
                &c.lease,
                "node down again",
                t(2 * LEASE_MS + 501),
                Some(retry)
            )
            .await
            .unwrap(),
            WorkState::Dead,
            "{label}: out of attempts"
        );
        let st = s.work_status("token.scan", b.id).await.unwrap().unwrap();
        assert_eq!(st.last_error.as_deref(), Some("node down again"));
        assert!(st.finished_at.is_some());
    }
}
