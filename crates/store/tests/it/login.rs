//! The login defence over the real engines: attacks replayed through the use cases, state that
//! survives a restart, and check-and-record under concurrency.

use std::sync::Arc;

use custodia_chain::Address;
use custodia_events::{Audit, ManualClock, NewEvent, Timestamp};
use custodia_login::{
    BrutePolicy, Decision, DestinationIntel, FailedLogin, FailureRecorded, IntelFindings,
    LoginInput, LoginRepo as _, LoginService, LoginSettings, NoIntel, RangeTable, SecurityChange,
    WithdrawDecision, WithdrawalRequest,
};
use custodia_primitives::AccountId;
use custodia_store::Store;
use custodia_store::testkit::stores;

const T0: i64 = 1_767_225_600_000;
const GEO: &str = "start,end,country,asn,lat,lon,kinds
192.0.2.0,192.0.2.255,FR,3215,48.86,2.35,
198.51.100.0,198.51.100.255,NG,37148,6.52,3.38,
203.0.113.0,203.0.113.255,US,16509,39.04,-77.49,hosting
";

struct Quiet;
impl Audit for Quiet {
    fn record(&self, _: NewEvent) {}
}

/// Address intelligence that knows one address of the user's: anything else in `recent` that
/// differs from it is reported as its look-alike (the guard's rule is tested in the guard).
struct KnowsReal(Address);
impl DestinationIntel for KnowsReal {
    fn examine(&self, r: &WithdrawalRequest, _: &str) -> IntelFindings {
        IntelFindings {
            imitates: (r.destination != self.0 && r.recent.contains(&self.0))
                .then(|| self.0.canonical()),
            ..IntelFindings::default()
        }
    }
}

fn service(store: Store, clock: &ManualClock) -> LoginService<Store, RangeTable> {
    LoginService::new(
        store,
        RangeTable::parse(GEO).unwrap(),
        Arc::new(NoIntel),
        Arc::new(clock.clone()),
        LoginSettings::default(),
    )
}

fn login(user: &str, ip: &str, device: &str, outcome: &str, at: i64) -> LoginInput {
    LoginInput::parse(
        user,
        Some(Timestamp::from_millis(at)),
        ip,
        device,
        "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0 Safari/537.36",
        outcome,
        Timestamp::from_millis(at),
        300_000,
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_stuffing_from_one_ip_is_blocked_and_survives_a_restart() {
    for t in stores("login_stuffing").await {
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let svc = service(t.store.clone(), &clock);
        // A normal user before the attack, from the same country but another network.
        let ok = svc
            .assess(
                &Quiet,
                &login("alice", "192.0.2.10", "alice-laptop", "success", T0),
            )
            .await
            .unwrap();
        assert_eq!(ok.decision, Decision::Allow, "{}: {ok:?}", t.label);
        // 500 accounts, one wrong password each, from one hosting IP.
        let mut blocked_at = None;
        for i in 0..500 {
            let a = svc
                .assess(
                    &Quiet,
                    &login(
                        &format!("victim{i}"),
                        "203.0.113.66",
                        "bot",
                        "failure",
                        T0 + 1_000 + i * 100,
                    ),
                )
                .await
                .unwrap();
            if a.decision == Decision::Block && blocked_at.is_none() {
                blocked_at = Some(i);
                assert_eq!(a.reasons[0].code, "credential_stuffing", "{a:?}");
            }
        }
        assert_eq!(
            blocked_at,
            Some(19),
            "{}: the 20th account trips it",
            t.label
        );
        // Even a right password from that IP is refused now — by a fresh instance (restart).
        let restarted = service(Store::open(&t.url, 2).await.unwrap(), &clock);
        let a = restarted
            .assess(
                &Quiet,
                &login("victim7", "203.0.113.66", "bot", "success", T0 + 60_000),
            )
            .await
            .unwrap();
        assert_eq!(a.decision, Decision::Block, "{}: {a:?}", t.label);
        // The twin: the normal user from home is not affected.
        let a = restarted
            .assess(
                &Quiet,
                &login(
                    "alice",
                    "192.0.2.10",
                    "alice-laptop",
                    "success",
                    T0 + 61_000,
                ),
            )
            .await
            .unwrap();
        assert_eq!(a.decision, Decision::Allow, "{}: {a:?}", t.label);
        // The console's counts, from the tables: 500 accounts failed from one address (and
        // its subnet), none locked by one failure each; a window after the attack sees none.
        let now = Timestamp::from_millis(T0 + 62_000);
        let o = t
            .store
            .login_overview(now, Timestamp::from_millis(T0))
            .await
            .unwrap();
        assert_eq!(o.failing_accounts, 500, "{}: {o:?}", t.label);
        assert_eq!(o.failing_sources, 2, "{}: {o:?}", t.label);
        assert!(o.accounts >= 1, "{}: {o:?}", t.label);
        let quiet = t.store.login_overview(now, now).await.unwrap();
        assert_eq!((quiet.failing_accounts, quiet.failing_sources), (0, 0));
        assert_eq!(quiet.accounts, o.accounts);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_spraying_over_a_subnet_is_blocked_but_its_neighbours_are_not() {
    for t in stores("login_spraying").await {
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let svc = service(t.store.clone(), &clock);
        // One wrong password per account, each from another address of one /24.
        let mut blocked_at = None;
        for i in 0..120i64 {
            let ip = format!("198.51.100.{}", i % 250 + 1);
            let a = svc
                .assess(
                    &Quiet,
                    &login(
                        &format!("sprayed{i}"),
                        &ip,
                        "bot",
                        "failure",
                        T0 + i * 1_000,
                    ),
                )
                .await
                .unwrap();
            if a.decision == Decision::Block && blocked_at.is_none() {
                blocked_at = Some(i);
                assert!(
                    a.reasons.iter().any(|r| r.code == "password_spraying"),
                    "{a:?}"
                );
            }
        }
        assert_eq!(
            blocked_at,
            Some(49),
            "{}: the 50th account trips it",
            t.label
        );
        // A fresh address of the subnet is refused even with a right password.
        let a = svc
            .assess(
                &Quiet,
                &login("sprayed3", "198.51.100.251", "bot", "success", T0 + 200_000),
            )
            .await
            .unwrap();
        assert_eq!(a.decision, Decision::Block, "{}: {a:?}", t.label);
        // The twin: the next /24 is not affected.
        let a = svc
            .assess(
                &Quiet,
                &login(
                    "neighbour",
                    "198.51.101.7",
                    "laptop",
                    "success",
                    T0 + 200_000,
                ),
            )
            .await
            .unwrap();
        assert_ne!(a.decision, Decision::Block, "{}: {a:?}", t.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_failures_all_count_and_lock_the_account() {
    for t in stores("login_brute").await {
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let svc = Arc::new(service(t.store.clone(), &clock));
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let svc = svc.clone();
                tokio::spawn(async move {
                    svc.assess(
                        &Quiet,
                        &login(
                            "target",
                            &format!("192.0.2.{}", i % 200),
                            "d",
                            "failure",
                            T0 + i * 2_000,
                        ),
                    )
                    .await
                    .unwrap()
                })
            })
            .collect();
        for h in tasks {
            h.await.unwrap();
        }
        let state = t
            .store
            .login_state(
                &AccountId::new("target").unwrap(),
                "x",
                "y",
                Timestamp::from_millis(T0),
            )
            .await
            .unwrap();
        assert_eq!(state.brute.failures, 50, "{}: no failure lost", t.label);
        // Locked: the right password is refused until the lock ends.
        let a = svc
            .assess(
                &Quiet,
                &login("target", "192.0.2.1", "d", "success", T0 + 100_000),
            )
            .await
            .unwrap();
        assert_eq!(a.decision, Decision::Block, "{}: {a:?}", t.label);
        assert_eq!(a.reasons[0].code, "account_locked");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_poisoned_withdrawal_after_a_password_reset_is_blocked_and_limits_hold_under_concurrency()
{
    for t in stores("login_withdraw").await {
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let mut settings = LoginSettings::default();
        settings.withdraw.daily_usd_cents = 500_000;
        let real = Address::parse_any("0x52908400098527886E0F7030069857D2E4169EE7").unwrap();
        let fake = Address::parse_any("0x5290840000000000000000000000000000069ee7").unwrap();
        let svc = Arc::new(LoginService::new(
            t.store.clone(),
            RangeTable::parse(GEO).unwrap(),
            Arc::new(KnowsReal(real)),
            Arc::new(clock.clone()),
            settings,
        ));
        let user = AccountId::new("bob").unwrap();
        svc.repo()
            .allowlist(
                &user,
                &real.canonical(),
                Timestamp::from_millis(T0 - 30 * 86_400_000),
                None,
            )
            .await
            .unwrap();
        // Twenty concurrent $1,000 withdrawals against a $5,000 daily limit.
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let (svc, user) = (svc.clone(), user.clone());
                tokio::spawn(async move {
                    svc.screen_withdrawal(&WithdrawalRequest {
                        user,
                        at: Timestamp::from_millis(T0 + i),
                        asset: "BTC".into(),
                        amount: 1_000_000,
                        usd_cents: 100_000,
                        destination: real,
                        recent: vec![real],
                    })
                    .await
                    .unwrap()
                })
            })
            .collect();
        let mut allowed = 0;
        for h in tasks {
            if h.await.unwrap().decision == WithdrawDecision::Allow {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 5, "{}: the limit holds under concurrency", t.label);
        // A password reset, then a withdrawal to a look-alike of the user's real address.
        clock.advance_millis(2 * 86_400_000);
        svc.security_change(&user, SecurityChange::PasswordReset)
            .await
            .unwrap();
        let v = svc
            .screen_withdrawal(&WithdrawalRequest {
                user: user.clone(),
                at: Timestamp::from_millis(T0 + 2 * 86_400_000 + 1),
                asset: "BTC".into(),
                amount: 1_000,
                usd_cents: 100,
                destination: fake,
                recent: vec![real],
            })
            .await
            .unwrap();
        assert_eq!(v.decision, WithdrawDecision::Block, "{}: {v:?}", t.label);
        let codes: Vec<&str> = v.reasons.iter().map(|r| r.code).collect();
        assert_eq!(
            codes,
            ["poisoned_address", "security_change"],
            "{}",
            t.label
        );
        // The twin: to the real address it is only held for the rest of the 24 h.
        let v = svc
            .screen_withdrawal(&WithdrawalRequest {
                user: user.clone(),
                at: Timestamp::from_millis(T0 + 2 * 86_400_000 + 2),
                asset: "BTC".into(),
                amount: 1_000,
                usd_cents: 100,
                destination: real,
                recent: vec![real],
            })
            .await
            .unwrap();
        assert!(
            matches!(v.decision, WithdrawDecision::Hold { .. }),
            "{}: {v:?}",
            t.label
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stuffing_split_over_two_instances_is_counted_exactly() {
    for t in stores("login_two_instances").await {
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let a = Arc::new(service(t.store.clone(), &clock));
        let b = Arc::new(service(Store::open(&t.url, 4).await.unwrap(), &clock));
        // 60 accounts, one wrong password each, from one IP, all at once, half through each
        // instance: their writers group-commit separately and serialise on the write lock.
        let tasks: Vec<_> = (0..60i64)
            .map(|i| {
                let svc = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move {
                    svc.assess(
                        &Quiet,
                        &login(
                            &format!("two{i}"),
                            "203.0.113.77",
                            "bot",
                            "failure",
                            T0 + i * 10,
                        ),
                    )
                    .await
                    .unwrap()
                })
            })
            .collect();
        let mut blocked = 0;
        for h in tasks {
            let d = h.await.unwrap();
            if d.decision == Decision::Block {
                assert!(
                    d.reasons.iter().any(|r| r.code == "credential_stuffing"),
                    "{d:?}"
                );
                blocked += 1;
            }
        }
        // Counted as of each commit: at least every failure after the 19th is refused.
        assert!(blocked >= 41, "{}: {blocked} blocked", t.label);
        let state = t
            .store
            .login_state(
                &AccountId::new("two0").unwrap(),
                "203.0.113.77",
                "203.0.113.0/24",
                Timestamp::from_millis(T0),
            )
            .await
            .unwrap();
        assert_eq!(state.accounts_failed_from_ip, 60, "{}: none lost", t.label);
        assert_eq!(state.brute.failures, 1, "{}", t.label);
        // The twin: another network's first failure is not stuffing.
        let d = a
            .assess(
                &Quiet,
                &login("elsewhere", "192.0.2.44", "laptop", "failure", T0 + 1_000),
            )
            .await
            .unwrap();
        assert_eq!(d.decision, Decision::Allow, "{}: {d:?}", t.label);
    }
}

/// An account `broken` whose stored profile is not JSON.
async fn insert_broken_profile(store: &custodia_store::Store) {
    store
        .execute_raw_for_tests(
            "INSERT INTO login_accounts (user_id, profile, failures, last_failure_ms, \
             locked_until_ms, allowlist_only) VALUES ('broken', 'not json', 0, 0, 0, 0)",
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broken_record_fails_alone_in_its_batch() {
    use custodia_login::LearnedLogin;
    for t in stores("login_batch_isolation").await {
        insert_broken_profile(&t.store).await;
        let obs = custodia_login::Observation::new();
        let tasks: Vec<_> = (0..21)
            .map(|i| {
                let (store, obs) = (t.store.clone(), obs.clone());
                tokio::spawn(async move {
                    let who = if i == 10 {
                        "broken".to_owned()
                    } else {
                        format!("fine{i}")
                    };
                    let user = AccountId::new(who).unwrap();
                    let l = LearnedLogin {
                        user: &user,
                        at: Timestamp::from_millis(T0 + 1_000),
                        observation: &obs,
                        position: None,
                        half_life_ms: 86_400_000,
                        new_device: false,
                    };
                    store.record_success(&l, Vec::new()).await.is_ok()
                })
            })
            .collect();
        for (i, h) in tasks.into_iter().enumerate() {
            assert_eq!(h.await.unwrap(), i != 10, "{}: record {i}", t.label);
        }
        let fine = t
            .store
            .login_state(
                &AccountId::new("fine3").unwrap(),
                "x",
                "y",
                Timestamp::from_millis(T0),
            )
            .await
            .unwrap();
        assert!(
            fine.profile.is_some(),
            "{}: the neighbours were stored",
            t.label
        );
    }
}

/// Many assessments reading at once (as a loaded server does, and as any batching of the reads
/// must keep doing): each gets its own account and its own sources' counters, a user read
/// several times gets the same row each time, and a profile that does not parse fails only the
/// reads of that account.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reads_each_get_their_own_state() {
    for t in stores("login_group_read").await {
        insert_broken_profile(&t.store).await;
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let svc = service(t.store.clone(), &clock);
        // user i (i < 6) failed i times, each time from 192.0.2.(10 + i) — one account per IP.
        for i in 0..6 {
            for k in 0..i {
                svc.assess(
                    &Quiet,
                    &login(
                        &format!("u{i}"),
                        &format!("192.0.2.{}", 10 + i),
                        "d",
                        "failure",
                        T0 + k * 5_000,
                    ),
                )
                .await
                .unwrap();
            }
        }
        // One learnt login gives u6 a profile.
        svc.assess(&Quiet, &login("u6", "192.0.2.1", "d", "success", T0))
            .await
            .unwrap();
        let tasks: Vec<_> = (0..48)
            .map(|n: u32| {
                let store = t.store.clone();
                tokio::spawn(async move {
                    let i = n % 8;
                    let user = if i == 7 {
                        "broken".to_owned()
                    } else {
                        format!("u{i}")
                    };
                    let ip = format!("192.0.2.{}", 10 + i);
                    store
                        .login_state(
                            &AccountId::new(user).unwrap(),
                            &ip,
                            "192.0.2.0/24",
                            Timestamp::from_millis(T0 - 1),
                        )
                        .await
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        for (n, h) in tasks.into_iter().enumerate() {
            let i = (n % 8) as u32;
            let got = h.await.unwrap();
            if i == 7 {
                // Negative twin: the corrupt row fails its own asks, and only those.
                assert!(got.is_err(), "{}: broken profile read: {got:?}", t.label);
                continue;
            }
            let s = got.unwrap_or_else(|e| panic!("{}: ask {n}: {e}", t.label));
            let failed = if i < 6 { i } else { 0 };
            assert_eq!(s.brute.failures, failed, "{}: u{i}'s own failures", t.label);
            assert_eq!(
                s.accounts_failed_from_ip,
                u32::from(failed > 0),
                "{}: u{i}'s IP counted only its own account",
                t.label
            );
            // u1..u5 failed from this /24: the subnet's counter is all five accounts.
            assert_eq!(
                s.accounts_failed_from_subnet, 5,
                "{}: u{i}'s subnet",
                t.label
            );
            assert_eq!(s.profile.is_some(), i == 6, "{}: u{i}'s profile", t.label);
        }
    }
}

/// The assessments' writer (on SQLite a connection of its own) and the other writers (the
/// pool) append to one hash chain: interleaved at full speed they leave it intact, every
/// event in it once; a row changed afterwards breaks it at that row (the twin, which shows the
/// check would see a bad link).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logins_and_other_writers_keep_one_intact_chain() {
    use custodia_events::{
        Actor, EventAppender as _, EventKind, EventReader as _, Payload, Subject, verify_chain,
    };
    for t in stores("login_shared_chain").await {
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let svc = Arc::new(service(t.store.clone(), &clock));
        let mut tasks = Vec::new();
        for i in 0..48i64 {
            let svc = svc.clone();
            tasks.push(tokio::spawn(async move {
                let outcome = if i % 3 == 0 { "failure" } else { "success" };
                svc.assess(
                    &Quiet,
                    &login(
                        &format!("c{}", i % 12),
                        &format!("192.0.2.{}", 10 + i % 12),
                        "laptop",
                        outcome,
                        T0 + i,
                    ),
                )
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
            }));
            let store = t.store.clone();
            tasks.push(tokio::spawn(async move {
                let body = NewEvent {
                    time: Timestamp::from_millis(T0 + i),
                    kind: EventKind::new("test.other_writer").unwrap(),
                    actor: Actor::new("system:test").unwrap(),
                    subject: Subject::new(format!("thing:{i}")).unwrap(),
                    payload: Payload::from_value(&serde_json::json!({ "i": i })).unwrap(),
                };
                store
                    .append(vec![body])
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }));
        }
        for h in tasks {
            h.await.unwrap().unwrap();
        }
        let report = verify_chain(&t.store).await.unwrap();
        assert!(report.is_intact(), "{}: {report:?}", t.label);
        assert_eq!(report.checked, report.head_seq, "{}", t.label);
        let span = (
            Timestamp::from_millis(T0),
            Timestamp::from_millis(T0 + 1_000),
        );
        let n = |kind: &'static str| {
            let s = t.store.clone();
            async move { s.count_kind(kind, span.0, span.1).await.unwrap() }
        };
        assert_eq!(n("login.assessed").await, 48, "{}", t.label);
        assert_eq!(n("test.other_writer").await, 48, "{}", t.label);
        assert!(report.head_seq >= 96, "{}: {}", t.label, report.head_seq);
        // The twin: an event rewritten in place (its guards dropped first) is a break at its seq.
        let seq: u64 = report.head_seq / 2;
        crate::checkpoints::disable_guards(&t.store).await;
        t.store
            .execute_raw_for_tests(&format!(
                "UPDATE events SET payload = '{{\"rewritten\":true}}' WHERE seq = {seq}"
            ))
            .await
            .unwrap();
        let report = verify_chain(&t.store).await.unwrap();
        assert_eq!(
            report.first_break.map(|b| b.seq),
            Some(seq),
            "{}: the rewrite is seen",
            t.label
        );
    }
}

fn failure_event(at: i64) -> NewEvent {
    NewEvent {
        time: Timestamp::from_millis(at),
        kind: custodia_events::EventKind::new("test.login_failure").unwrap(),
        actor: custodia_events::Actor::new("system:test").unwrap(),
        subject: custodia_events::Subject::new(format!("failure:{at}")).unwrap(),
        payload: custodia_events::Payload::from_value(&serde_json::json!({ "at": at })).unwrap(),
    }
}

/// One failed password from 192.0.2.7 (subnet 192.0.2.0/24), counted from `since`.
async fn fail(store: &Store, user: &str, at: i64, since: i64) -> FailureRecorded {
    let user = AccountId::new(user).unwrap();
    store
        .record_failure(
            &FailedLogin {
                user: &user,
                at: Timestamp::from_millis(at),
                ip: "192.0.2.7",
                subnet: "192.0.2.0/24",
                since: Timestamp::from_millis(since),
            },
            &BrutePolicy::default(),
            failure_event(at),
        )
        .await
        .unwrap()
}

/// A source's counters count each account once per window, however often it failed and whether
/// its failures met in one batch or in several (the counters as of the commit, on both
/// engines' writers).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn source_counters_count_each_account_once_per_window() {
    for t in stores("login_sources").await {
        for i in 0..3 {
            let r = fail(&t.store, "s1", T0 + i, T0).await;
            assert_eq!(
                (r.accounts_failed_from_ip, r.accounts_failed_from_subnet),
                (1, 1),
                "{}: one account, failing again",
                t.label
            );
        }
        // Five accounts twice each, at once: batches holding the same pair, and pairs stored by
        // earlier batches written again.
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let store = t.store.clone();
                tokio::spawn(async move {
                    fail(&store, &format!("s{}", 1 + i % 5), T0 + 10 + i, T0).await
                })
            })
            .collect();
        for h in tasks {
            let r = h.await.unwrap();
            assert!(
                (1..=5).contains(&r.accounts_failed_from_ip),
                "{}: {r:?}",
                t.label
            );
        }
        let r = fail(&t.store, "s6", T0 + 100, T0).await;
        assert_eq!(
            (r.accounts_failed_from_ip, r.accounts_failed_from_subnet),
            (6, 6),
            "{}: six accounts, each once",
            t.label
        );
    }
}

/// The twin: failures before the window do not count; an account failing again inside a later
/// window counts again, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn source_counters_forget_failures_before_the_window() {
    for t in stores("login_sources_window").await {
        for u in ["w1", "w2", "w3"] {
            fail(&t.store, u, T0, T0).await;
        }
        let later = T0 + 3_600_000;
        let r = fail(&t.store, "w4", later, later).await;
        assert_eq!(
            (r.accounts_failed_from_ip, r.accounts_failed_from_subnet),
            (1, 1),
            "{}: the earlier accounts are outside the window",
            t.label
        );
        let r = fail(&t.store, "w1", later + 1, later).await;
        assert_eq!(
            (r.accounts_failed_from_ip, r.accounts_failed_from_subnet),
            (2, 2),
            "{}: w1 again, inside the window",
            t.label
        );
    }
}
