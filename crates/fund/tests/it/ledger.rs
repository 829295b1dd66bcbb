//! The ledger's properties over random streams, and its refusals.

use std::collections::BTreeMap;

use custodia_events::Timestamp;
use custodia_fund::{
    AdlPolicy, Book, FundError, Leg, Liquidation, OpKey, Operation, PoolId, Request,
};
use custodia_primitives::Amount;
use proptest::prelude::*;

use custodia_fund::sim::{self, Rng};

fn book(floor: u64) -> Book {
    Book::new(
        &sim::specs(floor),
        AdlPolicy::default(),
        Timestamp::from_millis(0),
    )
    .unwrap()
}

fn balances(b: &Book) -> BTreeMap<PoolId, u64> {
    b.pools()
        .map(|s| (s.spec.id.clone(), s.balance.units()))
        .collect()
}

/// Checks one liquidation's outcome against the position's own arithmetic.
fn conserved(l: &Liquidation, s: &custodia_fund::Settled) {
    let p = &l.position;
    let pnl = p.pnl(&l.contract, l.fill).unwrap();
    let margin = i128::from(p.margin.units());
    let fees = i128::from(p.fees.units());
    // The trader's margin plus the position's result, less what went into the pool, plus what
    // the pool, ADL and (last) no one made good, is exactly zero: the trader loses the margin
    // and not a unit more, and nothing appears or vanishes.
    let sum = margin + (pnl - fees) - i128::from(s.surplus)
        + i128::from(s.covered)
        + i128::from(s.adl_absorbed)
        + i128::from(s.uncovered);
    assert_eq!(sum, 0, "value not conserved: {s:?}");
    assert!(s.surplus == 0 || s.deficit == 0);
    assert_eq!(s.covered + s.adl_absorbed + s.uncovered, s.deficit);
    let adl: u64 = s.deleveraged.iter().map(|d| d.absorbed).sum();
    assert_eq!(
        adl, s.adl_absorbed,
        "ADL transfers sum to what ADL absorbed"
    );
    for d in &s.deleveraged {
        // A deleveraged position gives up no more than closing at the bankruptcy price instead
        // of the fill costs it.
        let c = l.candidates.iter().find(|c| c.id == d.position).unwrap();
        let give = l.contract.pnl(c.side, d.size, c.entry, l.fill).unwrap()
            - l.contract.pnl(c.side, d.size, c.entry, d.price).unwrap();
        assert!(i128::from(d.absorbed) <= give && d.size <= c.size);
        assert_eq!(Some(d.price.ticks()), s.bankruptcy_price);
    }
}

fn pool_sums(journal: &[Leg]) -> BTreeMap<String, i128> {
    let mut m = BTreeMap::new();
    for l in journal.iter().filter(|l| l.balance.is_some()) {
        *m.entry(l.account.clone()).or_default() += i128::from(l.delta);
    }
    m
}

fn run(seed: u64, floor: u64) -> Book {
    let mut b = book(floor);
    let mut applied: BTreeMap<OpKey, custodia_fund::Outcome> = BTreeMap::new();
    for (req, at) in sim::stream(seed, 60) {
        let before = balances(&b);
        let journal = b.journal().len();
        match b.submit(&req, at) {
            Ok((outcome, replayed)) => {
                assert_eq!(outcome.imbalance(), 0, "every posting balances");
                if replayed {
                    // A retry changes nothing and answers as the first time did.
                    assert_eq!(balances(&b), before);
                    assert_eq!(b.journal().len(), journal);
                    assert_eq!(applied[&req.key], outcome);
                } else {
                    assert!(applied.insert(req.key.clone(), outcome.clone()).is_none());
                }
                if let (Operation::Liquidation(l), Some(s)) = (&req.op, &outcome.settled) {
                    conserved(l, s);
                }
            }
            Err(e) => {
                // A refusal posts nothing.
                assert!(
                    matches!(e, FundError::Insufficient { .. }),
                    "unexpected refusal {e}"
                );
                assert_eq!(balances(&b), before);
                assert_eq!(b.journal().len(), journal);
            }
        }
    }
    // Balances are the sum of their pool legs, never negative (the type holds them ≥ 0).
    let sums = pool_sums(b.journal());
    for s in b.pools() {
        let sum = sums.get(s.spec.id.as_str()).copied().unwrap_or(0);
        assert_eq!(sum, i128::from(s.balance.units()), "{}", s.spec.id);
        assert!(s.peak >= s.balance);
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn streams_conserve_value_and_replay_identically(seed in any::<u64>(), floor in 0u64..3_000_000_000) {
        let a = run(seed, floor);
        let b = run(seed, floor);
        prop_assert_eq!(a.journal(), b.journal());
        let sa: Vec<_> = a.pools().cloned().collect();
        let sb: Vec<_> = b.pools().cloned().collect();
        prop_assert_eq!(sa, sb);
    }
}

fn top_up(key: &str, pool: PoolId, units: u64) -> Request {
    Request {
        key: OpKey::new(key).unwrap(),
        actor: "operator:alice".into(),
        op: Operation::TopUp {
            pool,
            amount: Amount::new(units).unwrap(),
        },
    }
}

#[test]
fn a_retried_liquidation_changes_nothing_and_a_reused_key_is_refused() {
    let mut b = book(0);
    let t = Timestamp::from_millis(1);
    b.submit(&top_up("t1", sim::swap(), 10_000_000_000), t)
        .unwrap();
    let mut rng = Rng::new(7);
    let l = sim::liquidation(&mut rng, 1, false);
    let req = Request {
        key: OpKey::new("liq-1").unwrap(),
        actor: "service:engine".into(),
        op: Operation::Liquidation(l),
    };
    let (first, replayed) = b.submit(&req, t).unwrap();
    assert!(!replayed);
    let after = balances(&b);
    let (again, replayed) = b.submit(&req, t.plus_millis(5)).unwrap();
    assert!(replayed);
    assert_eq!(first, again);
    assert_eq!(balances(&b), after);
    // The twin: the same key with other content is refused, and nothing moves.
    let other = top_up("liq-1", sim::swap(), 1);
    assert!(matches!(
        b.submit(&other, t),
        Err(FundError::KeyReused { .. })
    ));
    assert_eq!(balances(&b), after);
}

/// What a refused request's error must look like.
type Expect = fn(&FundError) -> bool;

#[test]
fn bad_input_is_refused_and_nothing_is_posted() {
    let mut b = book(0);
    let t = Timestamp::from_millis(1);
    b.submit(&top_up("t1", sim::margin(), 1_000), t).unwrap();
    let before = (balances(&b), b.journal().len());
    let unknown: PoolId = "option:ETH-USD:ETH".parse().unwrap();
    let cases: Vec<(Request, Expect)> = vec![
        (top_up("a", unknown, 5), |e| {
            matches!(e, FundError::UnknownPool { .. })
        }),
        (
            Request {
                key: OpKey::new("b").unwrap(),
                actor: "operator:alice".into(),
                op: Operation::Withdraw {
                    pool: sim::margin(),
                    amount: Amount::new(1_001).unwrap(),
                },
            },
            |e| {
                matches!(
                    e,
                    FundError::Insufficient {
                        balance: 1_000,
                        requested: 1_001,
                        ..
                    }
                )
            },
        ),
        (
            Request {
                key: OpKey::new("c").unwrap(),
                actor: "operator:alice".into(),
                op: Operation::Transfer {
                    from: sim::margin(),
                    to: sim::inverse_pool(),
                    amount: Amount::new(1).unwrap(),
                },
            },
            |e| matches!(e, FundError::CurrencyMismatch { .. }),
        ),
        (
            Request {
                key: OpKey::new("d").unwrap(),
                actor: "operator:alice".into(),
                op: Operation::TopUp {
                    pool: sim::margin(),
                    amount: Amount::ZERO,
                },
            },
            |e| {
                matches!(
                    e,
                    FundError::NotPositive {
                        field: "amount",
                        ..
                    }
                )
            },
        ),
        (top_up("e", sim::margin(), Amount::MAX.units()), |e| {
            matches!(e, FundError::Overflow { .. })
        }),
        (
            {
                let mut rng = Rng::new(3);
                let mut l = sim::liquidation(&mut rng, 9, false);
                l.position.size = 0;
                Request {
                    key: OpKey::new("f").unwrap(),
                    actor: "service:engine".into(),
                    op: Operation::Liquidation(l),
                }
            },
            |e| matches!(e, FundError::NotPositive { field: "size", .. }),
        ),
    ];
    for (req, want) in cases {
        let e = b.submit(&req, t).unwrap_err();
        assert!(want(&e), "{}: {e}", req.key.as_str());
        assert_eq!((balances(&b), b.journal().len()), before);
    }
    // Price 0 and a negative size cannot even be built.
    assert!(custodia_fund::Price::new("fill", 0).is_err());
    assert!(OpKey::new("").is_err());
}

#[test]
fn a_crash_starts_adl_and_a_top_up_ends_it() {
    // 1 000 USDT in the pool; deficits drain it to the decline level (70 % of the peak), then
    // ADL takes over; a top-up above the decline level ends the episode.
    let mut b = book(0);
    let mut t = Timestamp::from_millis(1_000);
    b.submit(&top_up("t1", sim::swap(), 1_000_000_000), t)
        .unwrap();
    let mut rng = Rng::new(11);
    let mut n = 0;
    let mut started = None;
    while started.is_none() && n < 500 {
        n += 1;
        t = t.plus_millis(10);
        let l = sim::liquidation(&mut rng, n, false);
        let req = Request {
            key: OpKey::new(format!("liq-{n}")).unwrap(),
            actor: "service:engine".into(),
            op: Operation::Liquidation(l),
        };
        let (o, _) = b.submit(&req, t).unwrap();
        if !o.adl.is_empty() {
            started = Some(o);
        }
    }
    let o = started.expect("the pool reached ADL");
    let since = t;
    let s = b.pool(&sim::swap()).unwrap();
    assert_eq!(o.adl[0].1, "rate_adl_start");
    // Surpluses raise the peak as they come, so the level is 70 % of the peak the pool reached.
    assert!(s.peak.units() >= 1_000_000_000);
    assert_eq!(
        s.balance.units(),
        AdlPolicy::default().decline_level(s.peak.units()),
        "stopped paying exactly at the decline level"
    );
    // While an episode lasts the pool pays nothing, and a surplus that lifts it a little
    // above the level does not end the episode (hysteresis): within the minimum duration
    // nothing ends it.
    let mut surplus_in_episode = 0;
    for k in 0..20 {
        t = t.plus_millis(10);
        let l = sim::liquidation(&mut rng, 1_000 + k, false);
        let req = Request {
            key: OpKey::new(format!("more-{k}")).unwrap(),
            actor: "service:engine".into(),
            op: Operation::Liquidation(l),
        };
        let (o, _) = b.submit(&req, t).unwrap();
        let s = o.settled.as_ref().unwrap();
        assert_eq!(s.covered, 0, "the pool pays nothing in an episode");
        surplus_in_episode += s.surplus;
        assert_eq!(o.adl.len(), 1, "the episode goes on");
        assert!(
            !o.legs
                .iter()
                .any(|l| l.adl_type.as_deref() == Some("adl_end"))
        );
    }
    assert!(surplus_in_episode > 0, "the stream holds surpluses");
    // A top-up past the release level before the minimum duration leaves it running …
    let p = AdlPolicy::default();
    let (o, _) = b
        .submit(&top_up("t2", sim::swap(), 1_000_000_000), t.plus_millis(1))
        .unwrap();
    assert_eq!(o.adl.len(), 1, "too soon to end");
    let s = b.pool(&sim::swap()).unwrap();
    assert!(s.balance.units() >= p.release_level(s.peak.units(), 0));
    // … and the next operation after it ends it.
    let at_min = since.plus_millis(p.min_episode_ms);
    let (o, _) = b.submit(&top_up("t2b", sim::swap(), 1), at_min).unwrap();
    assert!(
        o.adl.is_empty(),
        "past the release level and the minimum: ended"
    );
    assert!(
        o.legs
            .iter()
            .any(|l| l.adl_type.as_deref() == Some("adl_end"))
    );
    let t = at_min;
    // Eight hours later the old peak has left the window.
    let later = t.plus_millis(9 * 3_600_000);
    let (o, _) = b.submit(&top_up("t3", sim::swap(), 1), later).unwrap();
    assert!(o.adl.is_empty());
}

/// Episodes started and ended in a flash crash settled under `policy`.
fn episodes_in_a_crash(policy: AdlPolicy) -> (usize, usize) {
    let t0 = Timestamp::from_millis(1_767_225_600_000);
    let mut b = Book::new(&sim::specs(0), policy, t0).unwrap();
    b.submit(&top_up("seed", sim::swap(), 200_000_000_000), t0)
        .unwrap();
    let mut c = sim::FlashCrash::new(7, 10_000, 650_000, 3_000, 60_000, t0.plus_millis(1));
    let (mut starts, mut ends) = (0, 0);
    while c.remaining() > 0 {
        for (r, at) in c.next_batch(500) {
            let (o, _) = b.submit(&r, at).unwrap();
            c.observe(&o);
            for l in o.legs.iter().filter_map(|l| l.adl_type.as_deref()) {
                if l == "adl_end" {
                    ends += 1;
                } else {
                    starts += 1;
                }
            }
        }
    }
    (starts, ends)
}

#[test]
fn adl_episodes_do_not_flap_in_a_crash() {
    // With the release level and the minimum duration, the crash holds one episode (or a
    // handful): it starts when the pool reaches the decline level and stays.
    let (starts, ends) = episodes_in_a_crash(AdlPolicy::default());
    assert!((1..=2).contains(&starts), "{starts} episodes started");
    assert!(ends < starts.max(1) + 1 && ends <= 1, "{ends} ended");
    // Twin: without hysteresis the same crash flaps, every surplus ending the episode and the
    // next deficit starting it again.
    let bare = AdlPolicy {
        release_bp: 0,
        min_episode_ms: 0,
        ..AdlPolicy::default()
    };
    let (starts, ends) = episodes_in_a_crash(bare);
    assert!(starts > 50, "only {starts} episodes without hysteresis");
    assert!(ends + 1 >= starts);
}

/// The liquidation fingerprint's hand-written JSON is byte for byte serde_json's: fingerprints
/// are stored with every applied operation, so a different spelling would refuse honest retries
/// recorded before it changed.
#[test]
fn liquidation_fingerprints_hash_exactly_the_serde_json_text() {
    use sha2::{Digest, Sha256};
    let mut crash = sim::FlashCrash::new(
        7,
        3_000,
        650_000,
        3_000,
        60_000,
        Timestamp::from_millis(1_000),
    );
    let mut seen = 0;
    let mut with_candidates = 0;
    while crash.remaining() > 0 && seen < 1_500 {
        for (r, _) in crash.next_batch(500) {
            let text = serde_json::to_vec(&r.op).unwrap();
            let want: String = Sha256::digest(&text)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(
                r.op.fingerprint(),
                want,
                "{}",
                String::from_utf8_lossy(&text)
            );
            if let Operation::Liquidation(l) = &r.op {
                seen += 1;
                with_candidates += usize::from(!l.candidates.is_empty());
            }
        }
    }
    assert!(
        seen >= 1_000 && with_candidates > 0,
        "{seen} / {with_candidates}"
    );
    // Negative twin: one contract more in one candidate changes the fingerprint.
    let (mut r, _) = sim::FlashCrash::new(
        7,
        3_000,
        650_000,
        3_000,
        60_000,
        Timestamp::from_millis(1_000),
    )
    .next_batch(1)
    .remove(0);
    let before = r.op.fingerprint();
    if let Operation::Liquidation(l) = &mut r.op {
        l.position.size += 1;
    }
    assert_ne!(r.op.fingerprint(), before);
}
