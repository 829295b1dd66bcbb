//! Synthetic positions and operation streams for tests and benchmarks: a seeded splitmix64
//! (no wall clock), random mixed streams, and a flash crash over a population of positions.

use crate::{
    Contract, ContractKind, Liquidation, OpKey, Operation, Outcome, PoolId, PoolSpec, Position,
    PositionId, Price, Request, Side,
};
use custodia_events::Timestamp;
use custodia_primitives::{AccountId, Amount};

/// splitmix64.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// `true` with `percent` % probability.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// `swap:BTC-USDT:USDT`.
pub fn swap() -> PoolId {
    "swap:BTC-USDT:USDT".parse().unwrap()
}

/// `margin:USDT`.
pub fn margin() -> PoolId {
    "margin:USDT".parse().unwrap()
}

/// `futures:BTC-USD:BTC`.
pub fn inverse_pool() -> PoolId {
    "futures:BTC-USD:BTC".parse().unwrap()
}

/// The three pools above, the swap pool with `floor`.
pub fn specs(floor: u64) -> Vec<PoolSpec> {
    vec![
        PoolSpec {
            id: swap(),
            decimals: 6,
            floor: Amount::new(floor).unwrap(),
        },
        PoolSpec {
            id: margin(),
            decimals: 6,
            floor: Amount::ZERO,
        },
        PoolSpec {
            id: inverse_pool(),
            decimals: 8,
            floor: Amount::ZERO,
        },
    ]
}

/// BTC-USDT swap: 0.01 BTC a contract, prices to 0.1, USDT with 6 decimals.
pub fn linear() -> Contract {
    Contract::new(ContractKind::Linear, 1, 2, 1, 6).unwrap()
}

/// BTC-USD coin-margined: 100 USD a contract, prices to 0.1, BTC with 8 decimals.
pub fn inverse() -> Contract {
    Contract::new(ContractKind::Inverse, 100, 0, 1, 8).unwrap()
}

/// A price of `t` ticks (panics on 0: for generated values only).
pub fn px(t: u64) -> Price {
    Price::new("price", t).unwrap()
}

/// A random position on `side` of `c` around `price` with leverage 1–100.
pub fn position(rng: &mut Rng, c: &Contract, id: &str, side: Side, price: u64) -> Position {
    let size = rng.range(1, 500);
    let entry = rng.range(price * 9 / 10, price * 11 / 10).max(1);
    let notional = c.value(size, px(entry)).unwrap().max(1) as u64;
    let leverage = rng.range(1, 100);
    let margin = (notional / leverage).max(1);
    let fees = rng.range(0, margin / 50);
    Position {
        id: PositionId::new(id).unwrap(),
        account: AccountId::new(format!("acct-{}", rng.range(1, 50))).unwrap(),
        side,
        size,
        entry: px(entry),
        margin: Amount::new(margin).unwrap(),
        // Maintenance at the whole margin: the position is liquidatable at any mark where it
        // has not gained, so the generator can pick the mark freely.
        maintenance: Amount::new(margin).unwrap(),
        fees: Amount::new(fees).unwrap(),
    }
}

/// A liquidation in `pool` whose fill lands within ±5 % of the bankruptcy price.
pub fn liquidation(rng: &mut Rng, n: u64, inverse_contract: bool) -> Liquidation {
    let (c, pool) = if inverse_contract {
        (inverse(), inverse_pool())
    } else {
        (linear(), swap())
    };
    let side = if rng.chance(50) {
        Side::Long
    } else {
        Side::Short
    };
    let base = rng.range(100_000, 1_000_000);
    let p = position(rng, &c, &format!("liq-{n}"), side, base);
    let bp = p
        .bankruptcy_price(&c)
        .unwrap()
        .map(Price::ticks)
        .unwrap_or(p.entry.ticks() / 2)
        .max(20);
    let fill = rng.range(bp * 95 / 100, bp * 105 / 100).max(1);
    let candidates = (0..rng.range(0, 6))
        .map(|i| position(rng, &c, &format!("cp-{n}-{i}"), side.opposite(), base))
        .collect();
    Liquidation {
        pool,
        contract: c,
        mark: p.entry,
        fill: px(fill),
        position: p,
        candidates,
    }
}

/// A stream of requests with times (`now` only moves forward), some of them retries.
pub fn stream(seed: u64, len: usize) -> Vec<(Request, Timestamp)> {
    let mut rng = Rng::new(seed);
    let mut out: Vec<(Request, Timestamp)> = Vec::with_capacity(len);
    let mut now = 1_700_000_000_000i64;
    for n in 0..len as u64 {
        now += if rng.chance(5) {
            rng.range(0, 10 * 3_600_000) as i64
        } else {
            rng.range(0, 60_000) as i64
        };
        if !out.is_empty() && rng.chance(10) {
            let i = rng.range(0, out.len() as u64 - 1) as usize;
            let again = out[i].0.clone();
            out.push((again, Timestamp::from_millis(now)));
            continue;
        }
        let amount = |rng: &mut Rng| Amount::new(rng.range(1, 5_000_000_000)).unwrap();
        let op = match rng.range(0, 9) {
            0 | 1 => Operation::TopUp {
                pool: [swap(), margin(), inverse_pool()][rng.range(0, 2) as usize].clone(),
                amount: amount(&mut rng),
            },
            2 => Operation::Transfer {
                from: margin(),
                to: swap(),
                amount: amount(&mut rng),
            },
            3 => Operation::Withdraw {
                pool: swap(),
                amount: amount(&mut rng),
            },
            4 => Operation::Backlog {
                pool: swap(),
                orders: rng.range(0, 2_000),
                oldest_ms: rng.range(0, 120_000) as i64,
            },
            5 => Operation::Liquidation(liquidation(&mut rng, n, true)),
            _ => Operation::Liquidation(liquidation(&mut rng, n, false)),
        };
        out.push((
            Request {
                key: OpKey::new(format!("op-{seed}-{n}")).unwrap(),
                actor: "service:engine".into(),
                op,
            },
            Timestamp::from_millis(now),
        ));
    }
    out
}

/// One liquidation the crash will produce.
#[derive(Debug, Clone)]
struct Due {
    position: Position,
    at_ms: i64,
    mark: u64,
    fill: u64,
}

/// A flash crash on the BTC-USDT swap ([`swap`], [`linear`]): a population of positions
/// opened around `start` (half long, half short, leverage 2–100, maintenance 0.5 % and closing
/// fees 0.05 % of notional), the mark falling linearly by `drop_bp` over `duration_ms`. Each
/// long is liquidated when the mark crosses its liquidation price, filled up to 1 % lower; the
/// shorts are the auto-deleveraging candidates, eight a liquidation, shrunk as ADL closes them
/// ([`FlashCrash::observe`]).
#[derive(Debug, Clone)]
pub struct FlashCrash {
    rng: Rng,
    due: Vec<Due>,
    next: usize,
    shorts: Vec<Position>,
    index: std::collections::HashMap<PositionId, usize>,
    t0: i64,
}

impl FlashCrash {
    /// The population and its liquidations, in time order.
    pub fn new(
        seed: u64,
        positions: usize,
        start: u64,
        drop_bp: u64,
        duration_ms: i64,
        t0: Timestamp,
    ) -> Self {
        let c = linear();
        let mut rng = Rng::new(seed);
        let bottom = start * (10_000 - drop_bp) / 10_000;
        let mut due = Vec::new();
        let mut shorts = Vec::new();
        for n in 0..positions {
            let side = if rng.chance(50) {
                Side::Long
            } else {
                Side::Short
            };
            let size = rng.range(1, 200);
            let entry = rng.range(start * 98 / 100, start * 102 / 100);
            let notional = c.value(size, px(entry)).unwrap_or(1).max(1) as u64;
            let leverage = rng.range(2, 100);
            let mm = (notional / 200).max(1);
            let fees = notional / 2_000;
            let margin = (notional / leverage).max(mm + fees + 1);
            let p = Position {
                id: PositionId::new(format!("p{n}")).unwrap(),
                account: AccountId::new(format!("acct-{}", n % 40_000)).unwrap(),
                side,
                size,
                entry: px(entry),
                margin: Amount::new(margin).unwrap(),
                maintenance: Amount::new(mm).unwrap(),
                fees: Amount::new(fees).unwrap(),
            };
            if side == Side::Short {
                shorts.push(p);
                continue;
            }
            // The liquidation price: where margin − maintenance is lost; one tick lower the
            // position is below its maintenance margin.
            let Ok(Some(lp)) = c.bankruptcy_price(Side::Long, size, px(entry), margin - mm) else {
                continue;
            };
            let mark = lp.ticks().saturating_sub(1);
            if mark < bottom || mark == 0 {
                continue;
            }
            let mark = mark.min(start);
            let at_ms = ((start - mark) as i128 * i128::from(duration_ms)
                / i128::from((start - bottom).max(1))) as i64;
            let slip = rng.range(0, 100);
            let fill = (mark * (10_000 - slip) / 10_000).max(1);
            due.push(Due {
                position: p,
                at_ms,
                mark,
                fill,
            });
        }
        due.sort_by_key(|d| d.at_ms);
        let index = shorts
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        Self {
            rng,
            due,
            next: 0,
            shorts,
            index,
            t0: t0.as_millis(),
        }
    }

    /// Liquidations the crash produces.
    pub fn liquidations(&self) -> usize {
        self.due.len()
    }

    /// Liquidations not handed out yet.
    pub fn remaining(&self) -> usize {
        self.due.len() - self.next
    }

    /// The next `n` liquidations as requests, with their times.
    pub fn next_batch(&mut self, n: usize) -> Vec<(Request, Timestamp)> {
        let end = (self.next + n).min(self.due.len());
        let mut out = Vec::with_capacity(end - self.next);
        for i in self.next..end {
            let d = self.due[i].clone();
            let mut candidates = Vec::with_capacity(8);
            for _ in 0..8 {
                if self.shorts.is_empty() {
                    break;
                }
                let k = self.rng.range(0, self.shorts.len() as u64 - 1) as usize;
                let s = &self.shorts[k];
                if s.size > 0 && !candidates.iter().any(|c: &Position| c.id == s.id) {
                    candidates.push(s.clone());
                }
            }
            out.push((
                Request {
                    key: OpKey::new(format!("crash-{}", d.position.id.as_str())).unwrap(),
                    actor: "service:liquidation-engine".into(),
                    op: Operation::Liquidation(Liquidation {
                        pool: swap(),
                        contract: linear(),
                        mark: px(d.mark),
                        fill: px(d.fill),
                        position: d.position,
                        candidates,
                    }),
                },
                Timestamp::from_millis(self.t0 + d.at_ms),
            ));
        }
        self.next = end;
        out
    }

    /// Shrinks the shorts ADL closed, so later liquidations see what is left of them.
    pub fn observe(&mut self, o: &Outcome) {
        let Some(s) = &o.settled else { return };
        for d in &s.deleveraged {
            if let Some(&i) = self.index.get(&d.position) {
                let p = &mut self.shorts[i];
                p.size = p.size.saturating_sub(d.size);
                let left = p.size;
                if left == 0 {
                    // Keep the vector dense for sampling; the index follows the swap.
                    let last = self.shorts.len() - 1;
                    self.shorts.swap(i, last);
                    let gone = self.shorts.pop().map(|p| p.id);
                    if i < self.shorts.len() {
                        self.index.insert(self.shorts[i].id.clone(), i);
                    }
                    if let Some(g) = gone {
                        self.index.remove(&g);
                    }
                }
            }
        }
    }
}
