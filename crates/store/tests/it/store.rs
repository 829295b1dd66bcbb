//! Repository behaviour on every engine (SQLite always, PostgreSQL when configured).

use custodia_events::{
    Actor, ChainReport, ChainVerifier, Event, EventAppender, EventKind, EventReader, NewEvent,
    Payload, RepoError, SeededEntropy, Subject, Timestamp,
};
use custodia_keys::{
    ApiKeyRepo, Argon2Params, IpAllowlist, Kek, KeyPolicy, KeyStatus, Label, OperatorRecord,
    OperatorRepo, Passphrase, Permissions, Role, SecretString, TotpRepo, generate_key,
};
use custodia_primitives::AccountId;
use custodia_store::testkit::stores;
use custodia_store::{SCHEMA_VERSION, Store, StoreError};
use serde_json::json;

fn ev(i: i64, kind: &str) -> NewEvent {
    NewEvent {
        time: Timestamp::from_millis(1_700_000_000_000 + i),
        kind: EventKind::new(kind).unwrap(),
        actor: Actor::new("system:test").unwrap(),
        subject: Subject::new(format!("thing:{i}")).unwrap(),
        payload: Payload::from_value(&json!({ "i": i })).unwrap(),
    }
}

async fn verify(store: &Store) -> ChainReport {
    let mut v = ChainVerifier::new();
    let mut after = 0;
    loop {
        let page = store.events_after(after, 100).await.unwrap();
        if page.is_empty() {
            break;
        }
        for e in &page {
            if v.push(e).is_err() {
                return v.finish(Some(store.head().await.unwrap()));
            }
        }
        after = page.last().unwrap().seq;
    }
    v.finish(Some(store.head().await.unwrap()))
}

fn user(s: &str) -> AccountId {
    AccountId::new(s).unwrap()
}

fn key(
    user_id: &str,
    perms: &[&str],
    ips: &[&str],
    created: i64,
    seed: u64,
) -> custodia_keys::ApiKey {
    let policy = KeyPolicy {
        argon2: Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        ..KeyPolicy::default()
    };
    generate_key(
        user(user_id),
        Label::new("bot").unwrap(),
        Permissions::parse(perms).unwrap(),
        IpAllowlist::parse(ips, 20).unwrap(),
        &Passphrase::new(SecretString::new("Passw0rd!")).unwrap(),
        Timestamp::from_millis(created),
        &Kek::from_bytes([3; 32]),
        &policy,
        &SeededEntropy::new(seed),
    )
    .unwrap()
    .key
}

#[tokio::test]
async fn migrations_are_recorded_idempotent_and_refuse_newer_schemas() {
    for t in stores("migrations").await {
        assert_eq!(
            t.store.schema_version().await.unwrap(),
            SCHEMA_VERSION,
            "{}",
            t.label
        );
        // Reopening runs nothing and keeps the version.
        let again = Store::open(&t.url, 2).await.unwrap();
        assert_eq!(again.migrate().await.unwrap(), SCHEMA_VERSION);
        again.close().await;
        t.store
            .execute_raw_for_tests(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'future', 0)",
            )
            .await
            .unwrap();
        match Store::open(&t.url, 2).await {
            Err(StoreError::SchemaTooNew {
                found: 99,
                supported,
            }) => assert_eq!(supported, SCHEMA_VERSION),
            other => panic!("{}: expected SchemaTooNew, got {other:?}", t.label),
        }
    }
}

#[tokio::test]
async fn sqlite_runs_in_wal_with_full_sync() {
    let t = custodia_store::testkit::sqlite("pragmas").await;
    // synchronous: 2 = FULL.
    assert_eq!(
        t.store.sqlite_settings().await.unwrap(),
        Some(("wal".to_owned(), 2, 5_000))
    );
}

#[tokio::test]
async fn events_chain_across_appends_and_concurrent_writers() {
    for t in stores("events").await {
        let s = &t.store;
        assert_eq!(s.head().await.unwrap().0, 0);
        let first = s
            .append(vec![ev(1, "test.a"), ev(2, "test.b")])
            .await
            .unwrap();
        assert_eq!(first.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
        assert!(s.append(vec![]).await.unwrap().is_empty());
        let mut tasks = Vec::new();
        for w in 0..8 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..10 {
                    s.append(vec![ev(100 * w + i, "test.c")]).await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let r = verify(s).await;
        assert!(r.is_intact(), "{}: {:?}", t.label, r.first_break);
        assert_eq!((r.checked, r.head_seq), (82, 82), "{}", t.label);
        let page: Vec<Event> = s.events_after(80, 10).await.unwrap();
        assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [81, 82]);
        let from = Timestamp::from_millis(0);
        let to = Timestamp::from_millis(i64::MAX);
        assert_eq!(s.count_kind("test.c", from, to).await.unwrap(), 80);
        assert_eq!(s.count_kind("test.a", from, to).await.unwrap(), 1);
        assert_eq!(
            s.count_kind("test.c", from, Timestamp::from_millis(1_700_000_000_000))
                .await
                .unwrap(),
            0
        );
        // Stored events read back exactly.
        assert_eq!(s.events_after(0, 2).await.unwrap(), first);
    }
}

#[tokio::test]
async fn events_are_append_only_and_tampering_is_located() {
    for t in stores("tamper").await {
        let s = &t.store;
        for i in 0..5 {
            s.append(vec![ev(i, "test.a")]).await.unwrap();
        }
        assert!(
            s.execute_raw_for_tests("UPDATE events SET payload = '{}' WHERE seq = 3")
                .await
                .is_err(),
            "{}",
            t.label
        );
        assert!(
            s.execute_raw_for_tests("DELETE FROM events WHERE seq = 5")
                .await
                .is_err(),
            "{}",
            t.label
        );
        assert!(verify(s).await.is_intact());
        // Someone with DDL rights drops the guard and edits a row: the chain check finds it.
        let drop = match s.backend() {
            custodia_store::Backend::Sqlite => "DROP TRIGGER events_no_update",
            custodia_store::Backend::Postgres => {
                "ALTER TABLE events DISABLE TRIGGER events_no_update"
            }
        };
        s.execute_raw_for_tests(drop).await.unwrap();
        s.execute_raw_for_tests(r#"UPDATE events SET payload = '{"i":999}' WHERE seq = 3"#)
            .await
            .unwrap();
        let r = verify(s).await;
        let b = r.first_break.expect("tampering must be detected");
        assert_eq!(
            (b.seq, b.reason),
            (3, custodia_events::BreakReason::HashMismatch),
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn api_keys_lifecycle() {
    for t in stores("keys").await {
        let s = &t.store;
        let k = key("alice", &["read", "trade"], &[], 1_000, 1);
        let e = s.create_key(&k, ev(1, "api_key.created")).await.unwrap();
        assert_eq!(e.seq, 1);
        assert_eq!(
            s.key(&k.id).await.unwrap().as_ref(),
            Some(&k),
            "{}",
            t.label
        );
        assert!(matches!(
            s.create_key(&k, ev(2, "api_key.created")).await,
            Err(RepoError::Conflict { .. })
        ));
        assert_eq!(
            s.head().await.unwrap().0,
            1,
            "a failed write appends nothing"
        );
        let k2 = key(
            "alice",
            &["withdraw"],
            &["192.0.2.0/24", "2001:db8::1"],
            2_000,
            2,
        );
        s.create_key(&k2, ev(3, "api_key.created")).await.unwrap();
        let mine = s.keys_of(&user("alice")).await.unwrap();
        assert_eq!(
            mine.iter().map(|k| k.id).collect::<Vec<_>>(),
            [k2.id, k.id],
            "newest first"
        );
        assert_eq!(mine[0].ips, k2.ips);
        assert!(s.keys_of(&user("bob")).await.unwrap().is_empty());

        // Usage only moves forward.
        s.record_usage(
            &[(k.id, Timestamp::from_millis(5_000))],
            vec![ev(4, "api_key.used")],
        )
        .await
        .unwrap();
        s.record_usage(&[(k.id, Timestamp::from_millis(4_000))], vec![])
            .await
            .unwrap();
        assert_eq!(
            s.key(&k.id).await.unwrap().unwrap().last_used_at,
            Some(Timestamp::from_millis(5_000))
        );

        // Someone else's key cannot be ended; the owner's can, once.
        let at = Timestamp::from_millis(9_000);
        assert!(
            !s.end_key(
                &k.id,
                &user("bob"),
                KeyStatus::Deleted,
                at,
                ev(5, "api_key.deleted")
            )
            .await
            .unwrap()
        );
        assert!(
            s.end_key(
                &k.id,
                &user("alice"),
                KeyStatus::Deleted,
                at,
                ev(6, "api_key.deleted")
            )
            .await
            .unwrap()
        );
        assert!(
            !s.end_key(
                &k.id,
                &user("alice"),
                KeyStatus::Deleted,
                at,
                ev(7, "api_key.deleted")
            )
            .await
            .unwrap()
        );
        let gone = s.key(&k.id).await.unwrap().unwrap();
        assert_eq!((gone.status, gone.status_at), (KeyStatus::Deleted, at));
        assert!(verify(s).await.is_intact());
        assert_eq!(s.head().await.unwrap().0, 4);
    }
}

#[tokio::test]
async fn idle_candidates_and_expiry_recheck() {
    for t in stores("idle").await {
        let s = &t.store;
        let day = 86_400_000;
        let idle_trade = key("u1", &["trade"], &[], 0, 1);
        let idle_read = key("u1", &["read"], &[], 0, 2);
        let bound = key("u1", &["withdraw"], &["192.0.2.1"], 0, 3);
        let fresh = key("u1", &["withdraw"], &[], 10 * day, 4);
        let used = key("u2", &["trade"], &[], 0, 5);
        for (i, k) in [&idle_trade, &idle_read, &bound, &fresh, &used]
            .into_iter()
            .enumerate()
        {
            s.create_key(k, ev(i as i64, "api_key.created"))
                .await
                .unwrap();
        }
        s.record_usage(&[(used.id, Timestamp::from_millis(5 * day))], vec![])
            .await
            .unwrap();
        let cutoff = Timestamp::from_millis(2 * day);
        let c = s.idle_candidates(cutoff, 100).await.unwrap();
        assert_eq!(
            c.iter().map(|k| k.id).collect::<Vec<_>>(),
            [idle_trade.id],
            "{}",
            t.label
        );
        // A use that lands between listing and expiring wins.
        s.record_usage(&[(idle_trade.id, Timestamp::from_millis(3 * day))], vec![])
            .await
            .unwrap();
        let now = Timestamp::from_millis(20 * day);
        assert!(
            !s.expire_idle_key(&idle_trade.id, cutoff, now, ev(9, "api_key.expired"))
                .await
                .unwrap()
        );
        let later = Timestamp::from_millis(4 * day);
        assert!(
            s.expire_idle_key(&idle_trade.id, later, now, ev(9, "api_key.expired"))
                .await
                .unwrap()
        );
        assert_eq!(
            s.key(&idle_trade.id).await.unwrap().unwrap().status,
            KeyStatus::Expired
        );
        assert!(
            !s.expire_idle_key(&idle_trade.id, later, now, ev(10, "api_key.expired"))
                .await
                .unwrap()
        );
        assert!(s.idle_candidates(later, 100).await.unwrap().is_empty());
        assert!(verify(s).await.is_intact());
    }
}

#[tokio::test]
async fn totp_enrolment_and_single_use_steps() {
    for t in stores("totp").await {
        let s = &t.store;
        let u = user("carol");
        assert!(s.totp(&u).await.unwrap().is_none());
        assert!(
            s.enroll_totp(
                &u,
                b"sealed",
                Timestamp::from_millis(1),
                ev(1, "totp.enrolled")
            )
            .await
            .unwrap()
        );
        assert!(
            !s.enroll_totp(
                &u,
                b"other",
                Timestamp::from_millis(2),
                ev(2, "totp.enrolled")
            )
            .await
            .unwrap()
        );
        let rec = s.totp(&u).await.unwrap().unwrap();
        assert_eq!(
            (rec.seed_sealed.as_slice(), rec.last_step),
            (&b"sealed"[..], None)
        );
        assert!(s.consume_totp_step(&u, 100).await.unwrap());
        assert!(!s.consume_totp_step(&u, 100).await.unwrap(), "{}", t.label);
        assert!(!s.consume_totp_step(&u, 99).await.unwrap());
        assert!(s.consume_totp_step(&u, 101).await.unwrap());
        assert!(!s.consume_totp_step(&user("nobody"), 5).await.unwrap());
        assert_eq!(s.totp(&u).await.unwrap().unwrap().last_step, Some(101));
        assert_eq!(s.head().await.unwrap().0, 1);
    }
}

#[tokio::test]
async fn operators() {
    for t in stores("operators").await {
        let s = &t.store;
        let rec = OperatorRecord {
            id: "op1".into(),
            name: "gateway-1".into(),
            role: Role::Service,
            token_hash: [7; 32],
            created_at: Timestamp::from_millis(1),
            revoked_at: None,
        };
        s.create_operator(&rec, ev(1, "operator.token_created"))
            .await
            .unwrap();
        assert_eq!(
            s.operator_by_token_hash(&[7; 32]).await.unwrap(),
            Some(rec.clone())
        );
        assert_eq!(s.operator_by_token_hash(&[8; 32]).await.unwrap(), None);
        let dup = OperatorRecord {
            id: "op2".into(),
            token_hash: [9; 32],
            ..rec.clone()
        };
        assert!(matches!(
            s.create_operator(&dup, ev(2, "operator.token_created"))
                .await,
            Err(RepoError::Conflict { .. })
        ));
        assert_eq!(s.count_operators(Role::Service).await.unwrap(), 1);
        assert_eq!(s.count_operators(Role::Admin).await.unwrap(), 0);
        s.execute_raw_for_tests("UPDATE operators SET revoked_at = 5 WHERE id = 'op1'")
            .await
            .unwrap();
        assert_eq!(
            s.operator_by_token_hash(&[7; 32]).await.unwrap(),
            None,
            "{}",
            t.label
        );
        assert_eq!(s.count_operators(Role::Service).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn unsupported_urls_hide_credentials() {
    let e = Store::open("mysql://root:hunter2@db/x", 1)
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("`mysql`") && !msg.contains("hunter2"), "{msg}");
}
