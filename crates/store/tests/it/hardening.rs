//! Attacks on the key service's shared state, run against the real engines: concurrent TOTP
//! guesses, replays across instances and restarts. Each has its negative twin.

use std::sync::Arc;

use custodia_events::{Audit, ManualClock, NewEvent, SeededEntropy, Timestamp};
use custodia_keys::{
    ApiKeyId, Kek, KeyPolicy, KeyService, KeyServiceError, KeySettings, ReplayClaim, ReplayRepo,
    RouteTable, SecretString, TotpAttempt, TotpError, TotpRepo, TotpSeed,
};
use custodia_primitives::AccountId;
use custodia_store::Store;
use custodia_store::testkit::stores;

const T0: i64 = 1_767_225_600_000;

fn user(s: &str) -> AccountId {
    AccountId::new(s).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_attempts_admit_at_most_the_limit() {
    for t in stores("totp_burst").await {
        let s = Arc::new(t.store.clone());
        let u = user("victim");
        let at = Timestamp::from_millis(T0);
        let tasks: Vec<_> = (0..300)
            .map(|_| {
                let (s, u) = (s.clone(), u.clone());
                tokio::spawn(async move { s.begin_totp_attempt(&u, at, 5, 300_000).await })
            })
            .collect();
        let mut admitted = Vec::new();
        for h in tasks {
            if let TotpAttempt::Admitted { attempt } = h.await.unwrap().unwrap() {
                admitted.push(attempt);
            }
        }
        admitted.sort_unstable();
        assert_eq!(admitted, [1, 2, 3, 4, 5], "{}", t.label);
        // Still locked just before the lockout ends, for everyone, whatever the instance.
        let later = Timestamp::from_millis(T0 + 299_999);
        assert_eq!(
            s.begin_totp_attempt(&u, later, 5, 300_000).await.unwrap(),
            TotpAttempt::Locked {
                until: Timestamp::from_millis(T0 + 300_000)
            },
            "{}",
            t.label
        );
        // Negative twin: the lockout ends and counting starts again; another user is unaffected.
        let after = Timestamp::from_millis(T0 + 300_000);
        assert_eq!(
            s.begin_totp_attempt(&u, after, 5, 300_000).await.unwrap(),
            TotpAttempt::Admitted { attempt: 1 }
        );
        assert_eq!(
            s.begin_totp_attempt(&user("other"), at, 5, 300_000)
                .await
                .unwrap(),
            TotpAttempt::Admitted { attempt: 1 }
        );
        // A success clears the count.
        s.clear_totp_attempts(&u).await.unwrap();
        assert_eq!(
            s.begin_totp_attempt(&u, after, 5, 300_000).await.unwrap(),
            TotpAttempt::Admitted { attempt: 1 }
        );
    }
}

struct Quiet;
impl Audit for Quiet {
    fn record(&self, _: NewEvent) {}
}

fn service(store: Store, clock: &ManualClock) -> KeyService<Store> {
    KeyService::new(
        store,
        Arc::new(clock.clone()),
        Arc::new(SeededEntropy::new(7)),
        Kek::from_bytes([3; 32]),
        KeySettings {
            policy: KeyPolicy::default(),
            totp_issuer: "Test".into(),
            totp_max_failures: 5,
            totp_lockout_secs: 300,
            key_cache: std::time::Duration::from_secs(5),
            routes: RouteTable::okx_v5(),
        },
    )
}

/// The attack from the field: hundreds of wrong codes fired at once at the key-creation check.
/// Before the fix every one was evaluated; now at most the limit are, on every engine, and two
/// service instances over one store share the count.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_wrong_codes_gets_at_most_the_limit_evaluated() {
    for t in stores("totp_service_burst").await {
        let clock = ManualClock::new(Timestamp::from_millis(T0));
        let a = Arc::new(service(t.store.clone(), &clock));
        let b = Arc::new(service(t.store.clone(), &clock));
        let u = user("victim");
        let enrolled = a.enroll_totp("test", &u).await.unwrap();
        let seed = TotpSeed::from_base32(enrolled.secret_base32.expose()).unwrap();
        let right = seed.code_at(Timestamp::from_millis(T0));
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        let tasks: Vec<_> = (0..400)
            .map(|i| {
                let svc = if i % 2 == 0 { a.clone() } else { b.clone() };
                let u = u.clone();
                tokio::spawn(async move {
                    svc.check_totp(&Quiet, "attacker", &u, &SecretString::new(wrong))
                        .await
                })
            })
            .collect();
        let (mut evaluated, mut locked) = (0, 0);
        for h in tasks {
            match h.await.unwrap() {
                Err(KeyServiceError::Totp(TotpError::Invalid)) => evaluated += 1,
                Err(KeyServiceError::TotpLocked) => locked += 1,
                other => panic!("{}: {other:?}", t.label),
            }
        }
        assert_eq!((evaluated, locked), (5, 395), "{}", t.label);
        // Locked out: even the right code is refused unevaluated, on either instance.
        assert!(matches!(
            b.check_totp(&Quiet, "user", &u, &SecretString::new(&right))
                .await,
            Err(KeyServiceError::TotpLocked)
        ));
        // Negative twin: after the lockout the right code passes (and a malformed one is
        // refused without counting).
        clock.advance_millis(300_000);
        let now_code = seed.code_at(clock_now(&clock));
        assert!(matches!(
            a.check_totp(&Quiet, "user", &u, &SecretString::new("12ab56"))
                .await,
            Err(KeyServiceError::Totp(TotpError::Malformed))
        ));
        a.check_totp(&Quiet, "user", &u, &SecretString::new(&now_code))
            .await
            .unwrap();
    }
}

fn clock_now(c: &ManualClock) -> Timestamp {
    use custodia_events::Clock as _;
    c.now()
}

fn claim(i: u8) -> ReplayClaim {
    let key = ApiKeyId::generate(&SeededEntropy::new(u64::from(i)));
    ReplayClaim::new(&key, &[i; 32], Timestamp::from_millis(T0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claim_is_won_once_across_instances_and_restarts() {
    for t in stores("replay_claims").await {
        let now = Timestamp::from_millis(T0);
        let exp = Timestamp::from_millis(T0 + 30_001);
        let s = Arc::new(t.store.clone());
        // Two hundred concurrent claims of one request: exactly one wins.
        let c = claim(1);
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.claim_request(&c, exp, now).await.unwrap() })
            })
            .collect();
        let mut wins = 0;
        for h in tasks {
            wins += usize::from(h.await.unwrap());
        }
        assert_eq!(wins, 1, "{}", t.label);
        // Negative twin: distinct requests all win, concurrently.
        let tasks: Vec<_> = (10..60u8)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move { s.claim_request(&claim(i), exp, now).await.unwrap() })
            })
            .collect();
        for h in tasks {
            assert!(h.await.unwrap(), "{}", t.label);
        }
        // One key holder accepting many requests cannot make another user's request fail: no
        // shard or capacity to fill.
        let flood: Vec<_> = (0..8u8)
            .map(|k| {
                let s = s.clone();
                tokio::spawn(async move {
                    let key = ApiKeyId::generate(&SeededEntropy::new(1_000 + u64::from(k)));
                    for n in 0..500u32 {
                        let mut sign = [0u8; 32];
                        sign[..4].copy_from_slice(&n.to_le_bytes());
                        assert!(
                            s.claim_request(&ReplayClaim::new(&key, &sign, now), exp, now)
                                .await
                                .unwrap()
                        );
                    }
                })
            })
            .collect();
        for f in flood {
            f.await.unwrap();
        }
        assert!(
            s.claim_request(&claim(3), exp, now).await.unwrap(),
            "{}",
            t.label
        );
        // A second instance over the same database sees the claim.
        let other = Store::open(&t.url, 2).await.unwrap();
        assert!(
            !other.claim_request(&c, exp, now).await.unwrap(),
            "{}",
            t.label
        );
        assert!(other.claim_request(&claim(2), exp, now).await.unwrap());
        // So does the first after a restart.
        t.store.close().await;
        other.close().await;
        let again = Store::open(&t.url, 2).await.unwrap();
        let later = Timestamp::from_millis(T0 + 30_000);
        assert!(
            !again.claim_request(&c, exp, later).await.unwrap(),
            "{}",
            t.label
        );
        // Once expired, the claim no longer matters (the timestamp check refuses the request
        // anyway): it can be reclaimed, and the purge deletes exactly the expired ones.
        assert!(
            again
                .claim_request(&c, Timestamp::from_millis(T0 + 90_000), exp)
                .await
                .unwrap()
        );
        let purged = again.purge_claims(exp).await.unwrap();
        assert_eq!(
            purged, 4_052,
            "{}: claims 2 and 3, 50 distinct ones and the flood of 4,000",
            t.label
        );
        assert!(
            !again.claim_request(&c, exp, exp).await.unwrap(),
            "the reclaimed one stays"
        );
        again.close().await;
    }
}

/// Replay claims per second through the group-commit writer, 16 concurrent claimers (the
/// gateway benchmark's connection count). A benchmark, not a test: `cargo test --release -p
/// custodia-store --test it -- --ignored --nocapture replay_claim_throughput`.
#[ignore]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_claim_throughput() {
    for t in stores("replay_bench").await {
        let s = Arc::new(t.store.clone());
        let now = Timestamp::from_millis(T0);
        let exp = Timestamp::from_millis(T0 + 30_001);
        let started = std::time::Instant::now();
        let per = 5_000u32;
        let tasks: Vec<_> = (0..16u64)
            .map(|k| {
                let s = s.clone();
                tokio::spawn(async move {
                    let key = ApiKeyId::generate(&SeededEntropy::new(k));
                    let mut lat = Vec::with_capacity(per as usize);
                    for n in 0..per {
                        let mut sign = [0u8; 32];
                        sign[..4].copy_from_slice(&n.to_le_bytes());
                        let t0 = std::time::Instant::now();
                        assert!(
                            s.claim_request(&ReplayClaim::new(&key, &sign, now), exp, now)
                                .await
                                .unwrap()
                        );
                        lat.push(t0.elapsed().as_micros() as u64);
                    }
                    lat
                })
            })
            .collect();
        let mut lat = Vec::new();
        for h in tasks {
            lat.extend(h.await.unwrap());
        }
        let secs = started.elapsed().as_secs_f64();
        lat.sort_unstable();
        println!(
            "{}: {:.0} claims/s, p50 {} µs, p99 {} µs",
            t.label,
            lat.len() as f64 / secs,
            lat[lat.len() / 2],
            lat[lat.len() * 99 / 100]
        );
    }
}
