//! The report's figures, folded from the events the ledger writes.

use std::collections::BTreeMap;

use custodia_events::{Event, FigureValue, GENESIS_HASH, Tally, Timestamp};
use custodia_fund::{AdlPolicy, FundTally, OpKey, Operation, PoolState, Request, apply};
use custodia_primitives::Amount;

use custodia_fund::sim;

fn figure(t: &FundTally, key: &str) -> FigureValue {
    t.figures()
        .into_iter()
        .find(|f| f.key == key)
        .unwrap_or_else(|| panic!("no figure {key}"))
        .value
}

#[test]
fn balances_surplus_and_deficits_per_pool() {
    let at = Timestamp::from_millis(86_400_000 * 3);
    let mut pools: BTreeMap<_, _> = sim::specs(0)
        .into_iter()
        .map(|s| (s.id.clone(), PoolState::new(s, at)))
        .collect();
    let policy = AdlPolicy::default();
    let mut tally = FundTally::default();
    let mut seq = 0;
    let mut post = |op, key: &str, at, pools: &mut BTreeMap<_, _>, tally: &mut FundTally| {
        let req = Request {
            key: OpKey::new(key).unwrap(),
            actor: "operator:alice".into(),
            op,
        };
        let a = apply(&req, pools, &policy, at).unwrap();
        for e in a.events {
            seq += 1;
            tally.record(&Event::link(seq - 1, GENESIS_HASH, e));
        }
        a.outcome
    };
    post(
        Operation::TopUp {
            pool: sim::swap(),
            amount: Amount::new(5_000_000).unwrap(),
        },
        "t1",
        at,
        &mut pools,
        &mut tally,
    );
    post(
        Operation::Transfer {
            from: sim::swap(),
            to: sim::margin(),
            amount: Amount::new(2_000_000).unwrap(),
        },
        "x1",
        at.plus_millis(86_400_000),
        &mut pools,
        &mut tally,
    );
    let m = &tally.pools["swap:BTC-USDT:USDT"];
    assert_eq!(
        (m.start, m.end, m.peak, m.top_ups),
        (0, 3_000_000, 5_000_000, 5_000_000)
    );
    assert_eq!(m.daily.len(), 2);
    assert_eq!(
        figure(&tally, "fund.swap:BTC-USDT:USDT.balance_end"),
        FigureValue::Amount {
            asset: "USDT".into(),
            units: 3_000_000,
            decimals: 6
        }
    );
    // The twin: the receiving pool saw no top-up, and a pool with no events has no figures.
    assert_eq!(tally.pools["margin:USDT"].top_ups, 0);
    assert!(!tally.pools.contains_key("futures:BTC-USD:BTC"));
    assert!(tally.figures().iter().all(|f| !f.key.contains("futures")));
    assert_eq!(tally.malformed, 0);
}
