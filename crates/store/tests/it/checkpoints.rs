//! Signed checkpoints and retention on every engine, attacked the way someone with write access
//! to the database would: truncating the tail, recomputing the chain with the real hash
//! function, forging and deleting checkpoint rows.

use custodia_events::{Actor, EventKind, Subject};
use custodia_events::{
    Checkpoint, CheckpointKey, CheckpointOutcome, CheckpointReader, CheckpointSource,
    CheckpointWriter, Clock as _, Digest, Event, EventAppender, EventReader, EventsPruned, Finding,
    ManualClock, NewEvent, Payload, SeededEntropy, Timestamp, VerifyOptions, hash_event,
    prune_expired, verify_anchored, verify_chain, write_checkpoint,
};
use custodia_store::testkit::stores;
use custodia_store::{Backend, Store};
use serde_json::json;

const T0: i64 = 1_767_225_600_000; // 2026-01-01
const DAY: i64 = 86_400_000;

fn ev(t: i64, i: u64) -> NewEvent {
    NewEvent {
        time: Timestamp::from_millis(t),
        kind: EventKind::new("test.happened").unwrap(),
        actor: Actor::new("system:test").unwrap(),
        subject: Subject::new(format!("thing:{i}")).unwrap(),
        payload: Payload::from_value(&json!({ "i": i })).unwrap(),
    }
}

fn key() -> CheckpointKey {
    CheckpointKey::generate(&SeededEntropy::new(12))
}

fn attacker_key() -> CheckpointKey {
    CheckpointKey::generate(&SeededEntropy::new(666))
}

/// Appends `n` events at the clock's time, then checkpoints the head.
async fn grow(s: &Store, clock: &ManualClock, k: &CheckpointKey, n: u64) -> Checkpoint {
    let (head, _) = s.head().await.unwrap();
    for i in 0..n {
        s.append(vec![ev(clock.now().as_millis(), head + i + 1)])
            .await
            .unwrap();
    }
    match write_checkpoint(s, k, clock).await.unwrap() {
        CheckpointOutcome::Written(c) => *c,
        other => panic!("expected a checkpoint, got {other:?}"),
    }
}

async fn all_events(s: &Store) -> Vec<Event> {
    s.events_after(0, 10_000).await.unwrap()
}

fn blob(b: Backend, bytes: &[u8]) -> String {
    match b {
        Backend::Sqlite => format!("X'{}'", hex::encode(bytes)),
        Backend::Postgres => format!("decode('{}', 'hex')", hex::encode(bytes)),
    }
}

/// What an attacker with DDL rights does first: switch the guards off.
pub(crate) async fn disable_guards(s: &Store) {
    let stmts: &[&str] = match s.backend() {
        Backend::Sqlite => &[
            "DROP TRIGGER IF EXISTS events_no_update",
            "DROP TRIGGER IF EXISTS events_no_delete",
            "DROP TRIGGER IF EXISTS audit_checkpoints_no_update",
            "DROP TRIGGER IF EXISTS audit_checkpoints_no_delete",
        ],
        Backend::Postgres => &[
            "ALTER TABLE events DISABLE TRIGGER USER",
            "ALTER TABLE audit_checkpoints DISABLE TRIGGER USER",
        ],
    };
    for q in stmts {
        s.execute_raw_for_tests(q).await.unwrap();
    }
}

/// Deletes every event above `keep` and points the bookkeeping head at the new last row.
async fn truncate_to(s: &Store, keep: u64) {
    disable_guards(s).await;
    s.execute_raw_for_tests(&format!("DELETE FROM events WHERE seq > {keep}"))
        .await
        .unwrap();
    let last = all_events(s).await.pop().unwrap();
    s.execute_raw_for_tests(&format!(
        "UPDATE event_head SET seq = {keep}, hash = {} WHERE id = 1",
        blob(s.backend(), &last.hash.0)
    ))
    .await
    .unwrap();
}

/// Edits the subject of `seq` and recomputes every hash from there on with the real hash
/// function, so the chain alone verifies again.
async fn recompute_after_edit(s: &Store, seq: u64) {
    disable_guards(s).await;
    let mut events = all_events(s).await;
    let pos = events.iter().position(|e| e.seq == seq).unwrap();
    let mut prev = events[pos - 1].hash;
    for e in events.iter_mut().skip(pos) {
        if e.seq == seq {
            e.body.subject = Subject::new("thing:rewritten").unwrap();
        }
        e.prev_hash = prev;
        e.hash = hash_event(&prev, e.seq, &e.body);
        prev = e.hash;
        s.execute_raw_for_tests(&format!(
            "UPDATE events SET subject = '{}', prev_hash = {}, hash = {} WHERE seq = {}",
            e.body.subject.as_str(),
            blob(s.backend(), &e.prev_hash.0),
            blob(s.backend(), &e.hash.0),
            e.seq
        ))
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn intact_chain_with_valid_checkpoints_passes() {
    for t in stores("ckpt_intact").await {
        let (s, k) = (&t.store, key());
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let mut file = Vec::new();
        for round in 0..3 {
            let c = grow(s, &clock, &k, 4).await;
            c.verify(&k.public()).unwrap();
            file.push((round + 1, c));
            clock.advance_millis(60_000);
        }
        // The head did not move: nothing new to sign.
        assert_eq!(
            write_checkpoint(s, &k, &clock).await.unwrap(),
            CheckpointOutcome::Unchanged { head_seq: 12 },
            "{}",
            t.label
        );
        // A second instance signing the same head loses the race quietly.
        assert!(!s.add_checkpoint(&file[2].1).await.unwrap());
        let head = s.head().await.unwrap();
        let pk = k.public();
        let r = verify_anchored(
            s,
            &VerifyOptions {
                keys: &[pk],
                external: &file,
                expect_head: Some(head),
            },
        )
        .await
        .unwrap();
        assert!(r.is_intact(), "{}: {:?}", t.label, r.findings);
        assert_eq!(
            (
                r.chain.checked,
                r.stored_checkpoints,
                r.external_checkpoints,
                r.compared
            ),
            (12, 3, 3, 7),
            "{}",
            t.label
        );
        assert_eq!(r.latest_checkpoint.as_ref(), Some(&file[2].1));
        assert!(r.signatures_checked);
    }
}

#[tokio::test]
async fn truncated_tail_is_detected() {
    for t in stores("ckpt_trunc").await {
        let (s, k) = (&t.store, key());
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let c5 = grow(s, &clock, &k, 5).await;
        let c10 = grow(s, &clock, &k, 5).await;
        let file = vec![(1, c5), (2, c10.clone())];
        truncate_to(s, 7).await;
        // The unkeyed chain alone cannot see it: that is the weakness checkpoints close.
        assert!(verify_chain(s).await.unwrap().is_intact(), "{}", t.label);
        let pk = k.public();
        let r = verify_anchored(
            s,
            &VerifyOptions {
                keys: &[pk],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(!r.is_intact());
        assert_eq!(
            r.findings,
            vec![Finding::Truncated {
                seq: 10,
                source: CheckpointSource::Stored,
                head_seq: 7
            }],
            "{}",
            t.label
        );
        assert!(r.findings[0].to_string().contains("truncated"));
        // Signing again now refuses to paper over the shorter head.
        assert_eq!(
            write_checkpoint(s, &k, &clock).await.unwrap(),
            CheckpointOutcome::HeadBehind {
                head_seq: 7,
                checkpoint_seq: 10
            }
        );
        // The attacker deletes the checkpoint rows too: the external copy still knows.
        s.execute_raw_for_tests("DELETE FROM audit_checkpoints WHERE seq > 7")
            .await
            .unwrap();
        let r = verify_anchored(
            s,
            &VerifyOptions {
                keys: &[pk],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(r.is_intact(), "without the file this is invisible");
        let r = verify_anchored(
            s,
            &VerifyOptions {
                keys: &[pk],
                external: &file,
                expect_head: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            r.findings,
            vec![
                Finding::MissingFromStore { seq: 10, line: 2 },
                Finding::Truncated {
                    seq: 10,
                    source: CheckpointSource::External { line: 2 },
                    head_seq: 7
                }
            ],
            "{}",
            t.label
        );
        // So does the head an operator wrote down.
        let r = verify_anchored(
            s,
            &VerifyOptions {
                keys: &[pk],
                external: &[],
                expect_head: Some((c10.seq, c10.head)),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            r.findings,
            vec![Finding::Truncated {
                seq: 10,
                source: CheckpointSource::ExpectedHead,
                head_seq: 7
            }]
        );
    }
}

#[tokio::test]
async fn recomputed_chain_is_detected() {
    for t in stores("ckpt_recomp").await {
        let (s, k) = (&t.store, key());
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        grow(s, &clock, &k, 4).await;
        let c8 = grow(s, &clock, &k, 4).await;
        recompute_after_edit(s, 3).await;
        assert!(verify_chain(s).await.unwrap().is_intact(), "{}", t.label);
        let pk = k.public();
        let r = verify_anchored(
            s,
            &VerifyOptions {
                keys: &[pk],
                external: &[],
                expect_head: Some((8, c8.head)),
            },
        )
        .await
        .unwrap();
        let got = all_events(s).await;
        assert!(r.chain.is_intact());
        assert_eq!(
            r.findings,
            vec![
                Finding::Recomputed {
                    seq: 4,
                    source: CheckpointSource::Stored,
                    expected: r_expected(s, 4).await,
                    got: got[3].hash,
                },
                Finding::Recomputed {
                    seq: 8,
                    source: CheckpointSource::Stored,
                    expected: c8.head,
                    got: got[7].hash,
                },
                Finding::Recomputed {
                    seq: 8,
                    source: CheckpointSource::ExpectedHead,
                    expected: c8.head,
                    got: got[7].hash,
                },
            ],
            "{}",
            t.label
        );
        assert!(r.findings[0].to_string().contains("recomputed"));
    }
}

async fn r_expected(s: &Store, seq: u64) -> Digest {
    s.checkpoints_after(seq - 1, 1).await.unwrap()[0].head
}

#[tokio::test]
async fn forged_checkpoints_are_detected() {
    for t in stores("ckpt_forged").await {
        let (s, k) = (&t.store, key());
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        grow(s, &clock, &k, 6).await;
        // The attacker recomputes the chain and signs its new head with their own key…
        recompute_after_edit(s, 2).await;
        let (seq, hash) = s.head().await.unwrap();
        s.execute_raw_for_tests("DELETE FROM audit_checkpoints")
            .await
            .unwrap();
        let theirs = attacker_key().sign(seq, hash, clock.now());
        assert!(s.add_checkpoint(&theirs).await.unwrap());
        let pk = k.public();
        let opts = VerifyOptions {
            keys: &[pk],
            ..Default::default()
        };
        let r = verify_anchored(s, &opts).await.unwrap();
        assert_eq!(
            r.findings,
            vec![Finding::WrongKey {
                seq: 6,
                source: CheckpointSource::Stored,
                got: attacker_key().public()
            }],
            "{}",
            t.label
        );
        // …or labels it with the trusted key: the signature fails.
        s.execute_raw_for_tests("DELETE FROM audit_checkpoints")
            .await
            .unwrap();
        let mut relabelled = theirs.clone();
        relabelled.key = k.public();
        s.add_checkpoint(&relabelled).await.unwrap();
        let r = verify_anchored(s, &opts).await.unwrap();
        assert_eq!(
            r.findings,
            vec![Finding::ForgedCheckpoint {
                seq: 6,
                source: CheckpointSource::Stored
            }],
            "{}",
            t.label
        );
        assert!(r.findings[0].to_string().contains("forged"));
        // Without the trusted key the forgery is not visible: the key is what makes the log
        // tamper-evident against database writers.
        let r = verify_anchored(s, &VerifyOptions::default()).await.unwrap();
        assert!(r.is_intact() && !r.signatures_checked);
    }
}

#[tokio::test]
async fn altered_checkpoint_rows_differ_from_the_external_copy() {
    for t in stores("ckpt_differs").await {
        let (s, k) = (&t.store, key());
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let c = grow(s, &clock, &k, 3).await;
        let file = vec![(1, c.clone())];
        disable_guards(s).await;
        s.execute_raw_for_tests(&format!(
            "UPDATE audit_checkpoints SET time_ms = {} WHERE seq = 3",
            T0 + 1
        ))
        .await
        .unwrap();
        let pk = k.public();
        let r = verify_anchored(
            s,
            &VerifyOptions {
                keys: &[pk],
                external: &file,
                expect_head: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            r.findings,
            vec![
                Finding::ForgedCheckpoint {
                    seq: 3,
                    source: CheckpointSource::Stored
                },
                Finding::DiffersFromStore { seq: 3, line: 1 },
            ],
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn expect_head_mismatch_is_detected_and_its_twin_passes() {
    for t in stores("ckpt_expect").await {
        let (s, k) = (&t.store, key());
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        grow(s, &clock, &k, 5).await;
        let (seq, hash) = s.head().await.unwrap();
        let check = |expect| async move {
            verify_anchored(
                s,
                &VerifyOptions {
                    keys: &[],
                    external: &[],
                    expect_head: Some(expect),
                },
            )
            .await
            .unwrap()
        };
        assert!(check((seq, hash)).await.is_intact(), "{}", t.label);
        // An older head the operator wrote down still matches: the log only grew.
        let third = all_events(s).await[2].hash;
        assert!(check((3, third)).await.is_intact());
        let wrong = Digest([7; 32]);
        assert_eq!(
            check((seq, wrong)).await.findings,
            vec![Finding::Recomputed {
                seq,
                source: CheckpointSource::ExpectedHead,
                expected: wrong,
                got: hash
            }]
        );
        assert_eq!(
            check((seq + 4, hash)).await.findings,
            vec![Finding::Truncated {
                seq: seq + 4,
                source: CheckpointSource::ExpectedHead,
                head_seq: seq
            }]
        );
    }
}

#[tokio::test]
async fn guards_hold_without_ddl_rights() {
    for t in stores("ckpt_guards").await {
        let (s, k) = (&t.store, key());
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        grow(s, &clock, &k, 3).await;
        grow(s, &clock, &k, 3).await;
        for (what, q) in [
            ("delete event", "DELETE FROM events WHERE seq = 1"),
            (
                "delete checkpoint",
                "DELETE FROM audit_checkpoints WHERE seq = 3",
            ),
            (
                "edit checkpoint",
                "UPDATE audit_checkpoints SET time_ms = 0 WHERE seq = 3",
            ),
            (
                "anchor to a non-checkpoint",
                "UPDATE event_anchor SET seq = 2 WHERE id = 1",
            ),
            ("delete anchor", "DELETE FROM event_anchor"),
        ] {
            assert!(
                s.execute_raw_for_tests(q).await.is_err(),
                "{}: {what} was allowed",
                t.label
            );
        }
        // The anchor moves to a checkpoint, then never back.
        let c3 = s.checkpoints_after(0, 1).await.unwrap().remove(0);
        s.move_anchor(&c3, ev(T0, 99)).await.unwrap();
        assert!(
            s.execute_raw_for_tests("UPDATE event_anchor SET seq = 0 WHERE id = 1")
                .await
                .is_err()
        );
        assert!(s.move_anchor(&c3, ev(T0, 100)).await.is_err());
        // At or below the anchor, deleting is retention's right; above it, never.
        assert!(
            s.execute_raw_for_tests("DELETE FROM events WHERE seq = 4")
                .await
                .is_err()
        );
        assert_eq!(
            s.execute_raw_for_tests("DELETE FROM events WHERE seq = 3")
                .await
                .unwrap(),
            1,
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn retention_prunes_up_to_the_newest_eligible_checkpoint_only() {
    for t in stores("ckpt_prune").await {
        let (s, k) = (&t.store, key());
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let pk = k.public();
        let keep = 7 * DAY;
        // Day 0: events 1-4, checkpoint 4. Day 1: 5-8, checkpoint 8. Day 6: 9-12, checkpoint 12.
        let c4 = grow(s, &clock, &k, 4).await;
        clock.advance_millis(DAY);
        let c8 = grow(s, &clock, &k, 4).await;
        clock.advance_millis(5 * DAY);
        let c12 = grow(s, &clock, &k, 4).await;
        let file: Vec<(usize, Checkpoint)> = vec![(1, c4), (2, c8.clone()), (3, c12.clone())];

        // Day 7.5: only day 0 is past the retention period: the prune stops at checkpoint 4
        // (checkpoint 8 and the events it signs are from day 1).
        clock.advance_millis(DAY + DAY / 2);
        let r = prune_expired(s, &clock, &pk, keep, 3, 100).await.unwrap();
        assert_eq!(r.anchored.as_ref().map(|c| c.seq), Some(4), "{}", t.label);
        assert_eq!(r.deleted, 4);

        // Day 8.5: checkpoint 8 is eligible, 12 (day 6) is not: the prune stops at 8.
        clock.advance_millis(DAY);
        let r = prune_expired(s, &clock, &pk, keep, 3, 100).await.unwrap();
        assert_eq!(r.anchored.as_ref(), Some(&c8), "{}", t.label);
        assert_eq!(r.deleted, 4);
        let left = all_events(s).await;
        assert_eq!(left.first().map(|e| e.seq), Some(9), "{}", t.label);
        // The two prunes are themselves recorded, after the checkpointed events.
        let pruned: Vec<EventsPruned> = left
            .iter()
            .filter_map(|e| e.decode::<EventsPruned>())
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            pruned.iter().map(|p| p.through_seq).collect::<Vec<_>>(),
            vec![4, 8]
        );
        assert_eq!(s.anchor().await.unwrap().checkpoint.as_ref(), Some(&c8));
        // Checkpoints below the anchor go, the anchor's stays.
        assert_eq!(s.checkpoints_after(0, 10).await.unwrap()[0].seq, 8);

        // Nothing newly eligible: nothing moves.
        let again = prune_expired(s, &clock, &pk, keep, 3, 100).await.unwrap();
        assert_eq!(
            (again.anchored, again.deleted, again.complete),
            (None, 0, true)
        );

        // The pruned chain verifies from its anchor, against every copy.
        let head = s.head().await.unwrap();
        let opts = VerifyOptions {
            keys: &[pk],
            external: &file,
            expect_head: Some(head),
        };
        let r = verify_anchored(s, &opts).await.unwrap();
        assert!(r.is_intact(), "{}: {:?}", t.label, r.findings);
        assert_eq!(r.anchor.seq, 8);
        assert_eq!(r.below_anchor, 1, "checkpoint 4 of the file");
        assert_eq!(r.chain.checked, head.0 - 8);

        // Tampering above the anchor is still caught…
        recompute_after_edit(s, 10).await;
        let r = verify_anchored(s, &opts).await.unwrap();
        assert!(
            r.findings
                .iter()
                .any(|f| matches!(f, Finding::Recomputed { seq: 12, .. })),
            "{}: {:?}",
            t.label,
            r.findings
        );
        // …and so is an anchor whose signed head was replaced.
        s.execute_raw_for_tests(&format!(
            "UPDATE audit_checkpoints SET head_hash = {} WHERE seq = 8",
            blob(s.backend(), &[9; 32])
        ))
        .await
        .unwrap();
        let r = verify_anchored(s, &opts).await.unwrap();
        assert!(
            r.findings.contains(&Finding::ForgedCheckpoint {
                seq: 8,
                source: CheckpointSource::Anchor
            }),
            "{}: {:?}",
            t.label,
            r.findings
        );
        assert!(!r.chain.is_intact(), "the first event no longer links");
    }
}

#[tokio::test]
async fn a_forged_checkpoint_never_becomes_the_anchor() {
    for t in stores("ckpt_prune_forged").await {
        let (s, k) = (&t.store, key());
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        grow(s, &clock, &k, 2).await;
        s.append(vec![ev(T0, 3)]).await.unwrap();
        let (seq, hash) = s.head().await.unwrap();
        s.add_checkpoint(&attacker_key().sign(seq, hash, clock.now()))
            .await
            .unwrap();
        clock.advance_millis(30 * DAY);
        let e = prune_expired(s, &clock, &k.public(), DAY, 100, 100)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("not the trusted key"), "{e}");
        assert_eq!(s.anchor().await.unwrap().seq, 0, "{}", t.label);
        assert_eq!(all_events(s).await.len(), 3);
    }
}

#[tokio::test]
async fn after_a_prune_the_log_continues_from_the_anchors_signed_head() {
    for t in stores("ckpt_empty").await {
        let (s, k) = (&t.store, key());
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let c = grow(s, &clock, &k, 3).await;
        clock.advance_millis(2 * DAY);
        // Every event pruned, then the prune record itself is the only event.
        prune_expired(s, &clock, &k.public(), DAY, 100, 100)
            .await
            .unwrap();
        let left = all_events(s).await;
        assert_eq!(left.len(), 1, "{}", t.label);
        assert_eq!((left[0].seq, left[0].prev_hash), (4, c.head));
        let pk = k.public();
        let r = verify_anchored(
            s,
            &VerifyOptions {
                keys: &[pk],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(r.is_intact(), "{}: {:?}", t.label, r.findings);
        assert_eq!((r.chain.head_seq, r.chain.checked), (4, 1));
    }
}

#[tokio::test]
async fn checkpoints_of_a_retired_key_verify_when_that_key_is_trusted_too() {
    for t in stores("ckpt_rotate").await {
        let (s, old, new) = (&t.store, key(), attacker_key());
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        grow(s, &clock, &old, 3).await;
        grow(s, &clock, &new, 3).await;
        let (po, pn) = (old.public(), new.public());
        let only_new = verify_anchored(
            s,
            &VerifyOptions {
                keys: &[pn],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            only_new.findings,
            vec![Finding::WrongKey {
                seq: 3,
                source: CheckpointSource::Stored,
                got: po
            }],
            "{}",
            t.label
        );
        let both = verify_anchored(
            s,
            &VerifyOptions {
                keys: &[pn, po],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(both.is_intact(), "{}: {:?}", t.label, both.findings);
    }
}

/// Another instance moves the anchor between this one's choice of checkpoint and its own move.
struct Racing(Store);

impl CheckpointReader for Racing {
    async fn checkpoints_after(
        &self,
        after: u64,
        limit: u32,
    ) -> custodia_events::RepoResult<Vec<Checkpoint>> {
        self.0.checkpoints_after(after, limit).await
    }
    async fn latest_checkpoint(&self) -> custodia_events::RepoResult<Option<Checkpoint>> {
        self.0.latest_checkpoint().await
    }
    async fn anchor(&self) -> custodia_events::RepoResult<custodia_events::Anchor> {
        self.0.anchor().await
    }
}

impl CheckpointWriter for Racing {
    async fn add_checkpoint(&self, c: &Checkpoint) -> custodia_events::RepoResult<bool> {
        self.0.add_checkpoint(c).await
    }
    async fn prunable_checkpoint(
        &self,
        cutoff: Timestamp,
    ) -> custodia_events::RepoResult<Option<Checkpoint>> {
        self.0.prunable_checkpoint(cutoff).await
    }
    async fn move_anchor(
        &self,
        to: &Checkpoint,
        event: NewEvent,
    ) -> custodia_events::RepoResult<()> {
        self.0.move_anchor(to, ev(T0, 1000)).await?;
        self.0.move_anchor(to, event).await
    }
    async fn prune_below_anchor(&self, limit: u32) -> custodia_events::RepoResult<u64> {
        self.0.prune_below_anchor(limit).await
    }
}

#[tokio::test]
async fn two_instances_pruning_at_once_both_succeed() {
    for t in stores("ckpt_race").await {
        let (s, k) = (&t.store, key());
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let c = grow(s, &clock, &k, 5).await;
        clock.advance_millis(2 * DAY);
        let r = prune_expired(&Racing(s.clone()), &clock, &k.public(), DAY, 2, 100)
            .await
            .unwrap();
        assert_eq!(r.anchored, None, "{}: the other instance moved it", t.label);
        assert_eq!(r.deleted, 5, "{}: the deletions still happen", t.label);
        assert_eq!(s.anchor().await.unwrap().checkpoint, Some(c));
    }
}

#[tokio::test]
async fn a_large_backlog_is_pruned_across_runs_and_the_log_stays_whole() {
    for t in stores("ckpt_backlog").await {
        let (s, k) = (&t.store, key());
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        grow(s, &clock, &k, 5).await;
        clock.advance_millis(2 * DAY);
        let pk = k.public();
        let first = prune_expired(s, &clock, &pk, DAY, 2, 1).await.unwrap();
        assert_eq!(
            (first.anchored.map(|c| c.seq), first.deleted, first.complete),
            (Some(5), 2, false),
            "{}",
            t.label
        );
        // Half-pruned: rows at or below the anchor remain, and the log still verifies.
        let r = verify_anchored(
            s,
            &VerifyOptions {
                keys: &[pk],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(r.is_intact(), "{}: {:?}", t.label, r.findings);
        let second = prune_expired(s, &clock, &pk, DAY, 2, 10).await.unwrap();
        assert_eq!(
            (second.anchored, second.deleted, second.complete),
            (None, 3, true),
            "{}",
            t.label
        );
        assert_eq!(all_events(s).await.first().map(|e| e.seq), Some(6));
    }
}
