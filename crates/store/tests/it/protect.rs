//! User protection over the real engines: a cooling-off shared by every instance, surviving a
//! restart, never shortened (not through the domain, not by a direct statement); account facts;
//! the deposit book and recovery cases with their history, under concurrency.

use std::sync::Arc;

use custodia_chain::Address;
use custodia_events::{Audit, EventReader as _, ManualClock, NewEvent, SeededEntropy, Timestamp};
use custodia_primitives::AccountId;
use custodia_protect::{
    AddressStatus, CaseAction, CaseKind, CaseState, DAY_MS, OrderInput, ProtectError,
    ProtectRepo as _, ProtectService, ProtectSettings, Registered, TransferInput,
};
use custodia_store::Store;
use custodia_store::testkit::stores;

const T0: i64 = 1_767_225_600_000;
const USDT_ARB: &str = "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9";
const XRP_SHARED: &str = "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh";

struct Quiet;
impl Audit for Quiet {
    fn record(&self, _: NewEvent) {}
}

fn service(store: Store, clock: &ManualClock) -> ProtectService<Store> {
    ProtectService::new(
        store,
        Arc::new(clock.clone()),
        Arc::new(SeededEntropy::new(7)),
        ProtectSettings {
            registry: custodia_protect::Registry::defaults(),
            ..ProtectSettings::default()
        },
    )
}

fn user(s: &str) -> AccountId {
    AccountId::new(s).unwrap()
}

fn order(who: &str, side: &str, position: &str, reduce_only: bool) -> OrderInput {
    OrderInput {
        user: who.into(),
        channel: "api".into(),
        product: "perpetual".into(),
        instrument: "BTC-USDT-SWAP".into(),
        side: side.into(),
        pos_side: "net".into(),
        size: "1".into(),
        reduce_only,
        position: position.into(),
        leverage: "2".into(),
        position_usd_cents: 10_000,
        order_usd_cents: 10_000,
    }
}

async fn head(s: &Store) -> u64 {
    s.head().await.unwrap().0
}

#[tokio::test]
async fn a_cooling_off_binds_every_instance_survives_restarts_and_never_shortens() {
    for t in stores("protect_cooling").await {
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let a = service(t.store.clone(), &clock);
        // A second instance on the same database.
        let b = service(Store::open(&t.url, 2).await.unwrap(), &clock);
        let alice = user("alice");
        // A veteran account: only the cooling-off speaks.
        a.register_account(
            &alice,
            Timestamp::from_millis(T0 - 400 * DAY_MS),
            "service:test",
        )
        .await
        .unwrap();
        a.pass_knowledge_check(&alice, "service:test")
            .await
            .unwrap();
        let (_, d) = b
            .check_order(&Quiet, &order("alice", "buy", "0", false))
            .await
            .unwrap();
        assert!(d.allowed(), "{}: {:?}", t.label, d.reasons);

        let c = a.start_cooling_off(&alice, 7, "user:alice").await.unwrap();
        assert_eq!(c.until, Timestamp::from_millis(T0 + 7 * DAY_MS));
        // The very next order on the other instance is refused; closing passes.
        let (_, d) = b
            .check_order(&Quiet, &order("alice", "buy", "0", false))
            .await
            .unwrap();
        assert_eq!(d.reasons[0].code(), "cooling_off", "{}", t.label);
        let (_, d) = b
            .check_order(&Quiet, &order("alice", "sell", "3", false))
            .await
            .unwrap();
        assert!(d.allowed(), "{}", t.label);
        let (_, d) = b
            .check_order(&Quiet, &order("alice", "sell", "0", true))
            .await
            .unwrap();
        assert!(d.allowed(), "{}", t.label);

        // Shortening through the domain: refused, nothing written.
        clock.advance_millis(DAY_MS);
        let before = head(&t.store).await;
        for days in [1, 3, 5] {
            let e = b
                .start_cooling_off(&alice, days, "user:alice")
                .await
                .unwrap_err();
            assert!(
                matches!(
                    e,
                    ProtectError::CoolingWouldShorten { .. } | ProtectError::CoolingDays { .. }
                ),
                "{}: {e}",
                t.label
            );
        }
        assert_eq!(head(&t.store).await, before, "{}: a refusal wrote", t.label);
        assert_eq!(b.cooling_off(&alice).await.unwrap(), Some(c));

        // Shortening or ending by a direct statement: the engine refuses.
        for sql in [
            "UPDATE protect_accounts SET cooling_until_ms = 0 WHERE user_id = 'alice'",
            "UPDATE protect_accounts SET cooling_until_ms = NULL, cooling_start_ms = NULL WHERE user_id = 'alice'",
            "DELETE FROM protect_accounts WHERE user_id = 'alice'",
        ] {
            let e = t.store.execute_raw_for_tests(sql).await;
            assert!(e.is_err(), "{}: {sql} was accepted", t.label);
        }
        assert_eq!(b.cooling_off(&alice).await.unwrap(), Some(c));

        // Extending works and keeps the start.
        let ext = b.start_cooling_off(&alice, 30, "user:alice").await.unwrap();
        assert_eq!(ext.started_at, c.started_at);
        assert_eq!(ext.until, Timestamp::from_millis(T0 + 31 * DAY_MS));

        // The console's counts: one account, cooling off now, and not once the period ends;
        // every case state listed, none used.
        let o = t
            .store
            .protect_overview(Timestamp::from_millis(T0 + DAY_MS))
            .await
            .unwrap();
        assert_eq!(
            (o.accounts, o.cooling_off, o.knowledge_passed),
            (1, 1, 1),
            "{}: {o:?}",
            t.label
        );
        assert_eq!(o.cases.len(), CaseState::ALL.len());
        assert!(o.cases.iter().all(|(_, n)| *n == 0));
        assert_eq!(
            t.store
                .protect_overview(ext.until)
                .await
                .unwrap()
                .cooling_off,
            0
        );

        // A restart: a fresh pool sees the same period.
        t.store.close().await;
        let c2 = service(Store::open(&t.url, 2).await.unwrap(), &clock);
        assert_eq!(c2.cooling_off(&alice).await.unwrap(), Some(ext));
        let (_, d) = c2
            .check_order(&Quiet, &order("alice", "buy", "0", false))
            .await
            .unwrap();
        assert!(!d.allowed());
        // It ends on its own, and only then.
        clock.set(ext.until);
        let (_, d) = c2
            .check_order(&Quiet, &order("alice", "buy", "0", false))
            .await
            .unwrap();
        assert!(d.allowed(), "{}: {:?}", t.label, d.reasons);
    }
}

#[tokio::test]
async fn concurrent_extensions_keep_the_latest_end() {
    for t in stores("protect_cooling_race").await {
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let svc = Arc::new(service(t.store.clone(), &clock));
        let before = head(&t.store).await;
        let mut tasks = Vec::new();
        for (i, days) in [1u32, 30, 3, 14, 7, 30, 1, 14].into_iter().enumerate() {
            let svc = svc.clone();
            tasks.push(tokio::spawn(async move {
                svc.start_cooling_off(&user("bob"), days, &format!("user:bob-{i}"))
                    .await
            }));
        }
        let mut ok = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => ok += 1,
                Err(ProtectError::CoolingWouldShorten { .. }) => {}
                Err(e) => panic!("{}: {e}", t.label),
            }
        }
        let c = svc.cooling_off(&user("bob")).await.unwrap().unwrap();
        assert_eq!(
            c.until,
            Timestamp::from_millis(T0 + 30 * DAY_MS),
            "{}",
            t.label
        );
        // One event per accepted start or extension, none for refusals.
        assert_eq!(head(&t.store).await - before, ok, "{}", t.label);
        assert!(ok >= 1);
    }
}

#[tokio::test]
async fn account_facts_and_new_account_caps() {
    for t in stores("protect_accounts").await {
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let svc = service(t.store.clone(), &clock);
        let carol = user("carol");
        let mut big = order("carol", "buy", "0", false);
        big.leverage = "20".into();
        // Never registered: treated as new (fail closed).
        let (_, d) = svc.check_order(&Quiet, &big).await.unwrap();
        assert_eq!(d.reasons[0].code(), "new_account_leverage", "{}", t.label);
        let opened = Timestamp::from_millis(T0 - 100 * DAY_MS);
        assert_eq!(
            svc.register_account(&carol, opened, "service:test")
                .await
                .unwrap(),
            Registered::New
        );
        assert_eq!(
            svc.register_account(&carol, opened, "service:test")
                .await
                .unwrap(),
            Registered::Same
        );
        let before = head(&t.store).await;
        let e = svc
            .register_account(&carol, Timestamp::from_millis(T0 - DAY_MS), "service:test")
            .await
            .unwrap_err();
        assert!(matches!(e, ProtectError::AccountOpened { .. }), "{e}");
        let e = svc
            .register_account(&carol, Timestamp::from_millis(T0 + 1), "service:test")
            .await
            .unwrap_err();
        assert!(matches!(e, ProtectError::Future { .. }), "{e}");
        assert_eq!(head(&t.store).await, before, "{}: refusals wrote", t.label);
        // Old but without the knowledge check: still capped.
        let (_, d) = svc.check_order(&Quiet, &big).await.unwrap();
        assert!(!d.allowed());
        assert!(
            svc.pass_knowledge_check(&carol, "service:test")
                .await
                .unwrap()
        );
        assert!(
            !svc.pass_knowledge_check(&carol, "service:test")
                .await
                .unwrap()
        );
        let (_, d) = svc.check_order(&Quiet, &big).await.unwrap();
        assert!(d.allowed(), "{}: {:?}", t.label, d.reasons);
    }
}

fn evm(b: u8) -> String {
    Address::evm([b; 20]).canonical()
}

fn transfer(
    network: &str,
    token: Option<&str>,
    to: &str,
    memo: Option<&str>,
    amount: &str,
    usd: u64,
    tx: char,
) -> TransferInput {
    let hex = tx.to_string().repeat(64);
    TransferInput {
        network: network.into(),
        token: token.map(Into::into),
        to: to.into(),
        memo: memo.map(Into::into),
        amount: amount.into(),
        tx_hash: if network == "xrp" {
            hex
        } else {
            format!("0x{hex}")
        },
        usd_cents: Some(usd),
    }
}

#[tokio::test]
async fn recovery_cases_from_diagnosis_to_closing_with_history() {
    for t in stores("protect_cases").await {
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let svc = service(t.store.clone(), &clock);
        let alice = user("alice");
        svc.set_deposit_address(
            &alice,
            "ethereum",
            &evm(0x11),
            None,
            AddressStatus::Active,
            "service:test",
        )
        .await
        .unwrap();
        svc.set_deposit_address(
            &alice,
            "xrp",
            XRP_SHARED,
            Some("1001"),
            AddressStatus::Active,
            "service:test",
        )
        .await
        .unwrap();
        // The book answers through the store.
        let correct = transfer(
            "ethereum",
            None,
            &evm(0x11),
            None,
            "10000000000000000",
            3_000,
            '1',
        );
        let (_, d) = svc.diagnose(&correct, Some(&alice)).await.unwrap();
        assert_eq!(d.case, CaseKind::Correct);
        let e = svc
            .open_case(&correct, &alice, "user:alice")
            .await
            .unwrap_err();
        assert!(
            matches!(e, ProtectError::CreditsAutomatically { .. }),
            "{e}"
        );
        let stranger = transfer(
            "ethereum",
            None,
            &evm(0x77),
            None,
            "10000000000000000",
            300_000,
            '2',
        );
        let e = svc
            .open_case(&stranger, &alice, "user:alice")
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                ProtectError::NotRecoverable {
                    case: CaseKind::NotOurs,
                    ..
                }
            ),
            "{e}"
        );

        // USDT on Arbitrum to Alice's EVM address: recoverable, one case per transfer.
        let wrong = transfer(
            "arbitrum",
            Some(USDT_ARB),
            &evm(0x11),
            None,
            "2000000000",
            200_000,
            '3',
        );
        let c = svc.open_case(&wrong, &alice, "user:alice").await.unwrap();
        assert_eq!(
            (c.kind, c.state, c.fee_usd_cents),
            (CaseKind::WrongNetwork, CaseState::Opened, 10_000)
        );
        let e = svc
            .open_case(&wrong, &alice, "user:alice")
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ProtectError::CaseExists { id } if *id == c.id.to_string()),
            "{e}"
        );
        // Missing XRP tag.
        let memo = transfer("xrp", None, XRP_SHARED, None, "1000000000", 250_000, '4');
        let m = svc.open_case(&memo, &alice, "user:alice").await.unwrap();
        assert_eq!(m.kind, CaseKind::MissingMemo);

        // Verify, approve under four eyes, credit.
        svc.act(
            &c.id,
            &CaseAction::VerifyOwnership,
            "operator:ann",
            Some("signed message"),
        )
        .await
        .unwrap();
        let before = head(&t.store).await;
        let e = svc
            .act(&c.id, &CaseAction::Approve, "operator:ann", None)
            .await
            .unwrap_err();
        assert!(matches!(e, ProtectError::SameActor { .. }), "{e}");
        let e = svc
            .act(&c.id, &CaseAction::Credit, "operator:ben", None)
            .await
            .unwrap_err();
        assert!(matches!(e, ProtectError::IllegalTransition { .. }), "{e}");
        assert_eq!(head(&t.store).await, before, "{}: refusals wrote", t.label);
        svc.act(&c.id, &CaseAction::Approve, "operator:ben", None)
            .await
            .unwrap();
        let done = svc
            .act(&c.id, &CaseAction::Credit, "operator:cy", None)
            .await
            .unwrap();
        assert_eq!(done.state, CaseState::Credited);
        // Stored with the whole history and the outcome.
        let stored = svc.case(&c.id).await.unwrap();
        assert_eq!(stored, done, "{}", t.label);
        let actors: Vec<&str> = stored.history.iter().map(|h| h.actor.as_str()).collect();
        assert_eq!(
            actors,
            ["user:alice", "operator:ann", "operator:ben", "operator:cy"]
        );
        assert_eq!(stored.history[1].note.as_deref(), Some("signed message"));
        // The history is append-only on the engine.
        for sql in [
            "UPDATE protect_case_log SET actor = 'operator:mallory'",
            "DELETE FROM protect_case_log",
        ] {
            assert!(
                t.store.execute_raw_for_tests(sql).await.is_err(),
                "{}: {sql}",
                t.label
            );
        }

        // Two operators rejecting at once: exactly one wins, whichever way the two writes
        // interleave (both read `opened`: the state guard refuses the second write; one after
        // the other: a rejected case cannot be rejected again). A verify racing a reject would
        // let both succeed when they happen to run one after the other.
        let svc2 = service(Store::open(&t.url, 2).await.unwrap(), &clock);
        let reject = |reason: &str| CaseAction::Reject {
            reason: reason.into(),
        };
        let (ann, ben) = (reject("no proof"), reject("duplicate"));
        let (r1, r2) = tokio::join!(
            svc.act(&m.id, &ann, "operator:ann", None),
            svc2.act(&m.id, &ben, "operator:ben", None),
        );
        let loser = match (r1, r2) {
            (Ok(_), Err(e)) | (Err(e), Ok(_)) => e,
            (a, b) => panic!("{}: {a:?} {b:?}", t.label),
        };
        assert!(
            matches!(
                loser,
                ProtectError::CaseChanged { .. } | ProtectError::IllegalTransition { .. }
            ),
            "{loser}"
        );
        assert_eq!(svc.case(&m.id).await.unwrap().history.len(), 2);

        // Listings: the user's own, and by state in id order.
        assert_eq!(svc.cases_of(&alice, 10).await.unwrap().len(), 2);
        assert!(svc.cases_of(&user("nobody"), 10).await.unwrap().is_empty());
        let credited = svc
            .cases(Some(CaseState::Credited), None, 10)
            .await
            .unwrap();
        assert_eq!(credited.len(), 1);
        let all = svc.cases(None, None, 1).await.unwrap();
        let next = svc.cases(None, Some(&all[0].id), 10).await.unwrap();
        assert_eq!(all.len() + next.len(), 2);
        assert!(all[0].id < next[0].id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_concurrent_checks_a_cooling_off_binds_every_order_sent_after_it() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    for t in stores("protect_group_read").await {
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let a = service(t.store.clone(), &clock);
        // Another instance checks orders, many at once (its reads are batched).
        let b = Arc::new(service(Store::open(&t.url, 4).await.unwrap(), &clock));
        const USERS: usize = 24;
        let cooled: Arc<Vec<AtomicBool>> =
            Arc::new((0..USERS).map(|_| AtomicBool::new(false)).collect());
        let stop = Arc::new(AtomicBool::new(false));
        let (denied, allowed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let checkers: Vec<_> = (0..32usize)
            .map(|w| {
                let (b, cooled, stop) = (b.clone(), cooled.clone(), stop.clone());
                let (denied, allowed) = (denied.clone(), allowed.clone());
                tokio::spawn(async move {
                    let mut i = w;
                    while !stop.load(Ordering::SeqCst) {
                        let u = i % USERS;
                        i += 7;
                        // Read before sending: if the cooling-off had returned by then, the
                        // answer must be a refusal.
                        let must_deny = cooled[u].load(Ordering::SeqCst);
                        let (_, d) = b
                            .check_order(&Quiet, &order(&format!("g{u}"), "buy", "0", false))
                            .await
                            .unwrap();
                        if must_deny {
                            assert_eq!(d.reasons.first().map(|r| r.code()), Some("cooling_off"));
                            denied.fetch_add(1, Ordering::SeqCst);
                        } else if d.allowed() {
                            allowed.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        for u in 0..USERS {
            let id = user(&format!("g{u}"));
            a.register_account(
                &id,
                Timestamp::from_millis(T0 - 400 * DAY_MS),
                "service:test",
            )
            .await
            .unwrap();
            a.pass_knowledge_check(&id, "service:test").await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        for (u, flag) in cooled.iter().enumerate() {
            a.start_cooling_off(&user(&format!("g{u}")), 7, "user:test")
                .await
                .unwrap();
            flag.store(true, Ordering::SeqCst);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        stop.store(true, Ordering::SeqCst);
        for c in checkers {
            c.await.unwrap();
        }
        // Both sides happened: orders passed before, and every order after was refused.
        assert!(allowed.load(Ordering::SeqCst) > 0, "{}", t.label);
        assert!(denied.load(Ordering::SeqCst) > 0, "{}", t.label);
        // The twin: an account never put in a cooling-off still passes through the same reader.
        let (_, d) = b
            .check_order(&Quiet, &order("g-free", "buy", "0", false))
            .await
            .unwrap();
        assert!(
            d.reasons.iter().all(|r| r.code() != "cooling_off"),
            "{}: {:?}",
            t.label,
            d.reasons
        );
    }
}
