//! What the fund records: one payload struct per kind, and the tally the monthly report folds
//! them with (balances at month start and end and the peak, deficits covered, surplus received,
//! ADL episodes and positions affected, per pool).

use std::collections::BTreeMap;

use custodia_events::{Event, EventPayload, Figure, FigureValue, Point, Tally};
use serde::{Deserialize, Serialize};

use crate::adl;

/// Event kind names (stable: they are stored in the log).
pub mod kinds {
    /// A liquidation was settled against a pool.
    pub const LIQUIDATION_SETTLED: &str = "fund.liquidation_settled";
    /// Positions were auto-deleveraged to absorb a deficit.
    pub const DELEVERAGED: &str = "fund.deleveraged";
    /// A top-up, transfer or withdrawal changed a pool.
    pub const POSTED: &str = "fund.posted";
    /// An ADL episode started on a pool.
    pub const ADL_STARTED: &str = "fund.adl_started";
    /// An ADL episode ended on a pool.
    pub const ADL_ENDED: &str = "fund.adl_ended";
}

/// Payload of [`kinds::LIQUIDATION_SETTLED`].
///
/// Fields are declared in alphabetical order, so the event payload is written once, already
/// canonical (one per liquidation, one per position closed: the hot path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiquidationSettled {
    /// Its account.
    pub account: String,
    /// Of the deficit, absorbed by ADL.
    pub adl_absorbed: u64,
    /// The pool's balance after.
    pub balance: u64,
    /// The pool's balance before.
    pub balance_before: u64,
    /// Bankruptcy price in ticks (`None`: none exists).
    pub bankruptcy_price: Option<u64>,
    /// Its currency.
    pub ccy: String,
    /// Of the deficit, paid by the pool.
    pub covered: u64,
    /// Decimals of the currency's smallest unit.
    pub decimals: u8,
    /// The deficit.
    pub deficit: u64,
    /// Fill price in ticks.
    pub fill: u64,
    /// The idempotency key (the liquidation's id).
    pub key: String,
    /// The pool.
    pub pool: String,
    /// The liquidated position.
    pub position: String,
    /// `long` or `short`.
    pub side: String,
    /// Contracts.
    pub size: u64,
    /// Paid into the pool.
    pub surplus: u64,
    /// Of the deficit, absorbed by no one.
    pub uncovered: u64,
}
impl EventPayload for LiquidationSettled {
    const KIND: &'static str = kinds::LIQUIDATION_SETTLED;
}

/// Payload of [`kinds::DELEVERAGED`].
///
/// Fields are declared in alphabetical order, so the event payload is written once, already
/// canonical (one per liquidation, one per position closed: the hot path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleveraged {
    /// The bankrupt position.
    pub bankrupt_position: String,
    /// The liquidation's key.
    pub key: String,
    /// The pool.
    pub pool: String,
    /// The positions closed, in the order they were chosen.
    pub positions: Vec<adl::Deleveraged>,
}
impl EventPayload for Deleveraged {
    const KIND: &'static str = kinds::DELEVERAGED;
}

/// Payload of [`kinds::POSTED`]: one pool's leg of a top-up, transfer or withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    /// The idempotency key.
    pub key: String,
    /// The pool.
    pub pool: String,
    /// Its currency.
    pub ccy: String,
    /// Decimals of the currency's smallest unit.
    pub decimals: u8,
    /// `platform_revenue`, `transfer_in`, `transfer_out`.
    pub kind: String,
    /// Signed change, smallest units.
    pub amount: i64,
    /// The balance after.
    pub balance: u64,
}
impl EventPayload for Posted {
    const KIND: &'static str = kinds::POSTED;
}

/// Payload of [`kinds::ADL_STARTED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdlStarted {
    /// The operation that started it.
    pub key: String,
    /// The pool.
    pub pool: String,
    /// `rate_adl_start`, `bal_adl_start` or `pos_adl_start`.
    pub adl_type: String,
    /// The balance then.
    pub balance: u64,
    /// The window's peak.
    pub max_bal: u64,
    /// When the pool held it (ms).
    pub max_bal_ts: i64,
    /// Decimals of the currency's smallest unit.
    pub decimals: u8,
}
impl EventPayload for AdlStarted {
    const KIND: &'static str = kinds::ADL_STARTED;
}

/// Payload of [`kinds::ADL_ENDED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdlEnded {
    /// The operation that ended it.
    pub key: String,
    /// The pool.
    pub pool: String,
    /// How the episode had started.
    pub adl_type: String,
    /// When it started (ms).
    pub since_ms: i64,
    /// The balance now.
    pub balance: u64,
    /// Decimals of the currency's smallest unit.
    pub decimals: u8,
}
impl EventPayload for AdlEnded {
    const KIND: &'static str = kinds::ADL_ENDED;
}

/// One pool's month.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolMonth {
    /// Decimals of the currency.
    pub decimals: u8,
    /// Balance before the first event of the period.
    pub start: u64,
    /// Balance after the last.
    pub end: u64,
    /// Highest balance.
    pub peak: u64,
    /// Liquidations settled.
    pub liquidations: u64,
    /// Surplus received.
    pub surplus: u128,
    /// Deficits the pool paid.
    pub covered: u128,
    /// Deficits absorbed by ADL.
    pub adl_absorbed: u128,
    /// Deficits absorbed by no one.
    pub uncovered: u128,
    /// Top-ups from the exchange.
    pub top_ups: u128,
    /// ADL episodes started.
    pub adl_episodes: u64,
    /// Positions deleveraged.
    pub deleveraged: u64,
    /// Closing balance per UTC day.
    pub daily: BTreeMap<i64, u64>,
    seen: bool,
}

impl PoolMonth {
    fn saw(&mut self, at_ms: i64, decimals: u8, before: u64, after: u64) {
        if !self.seen {
            self.seen = true;
            self.start = before;
            self.peak = before;
        }
        self.decimals = decimals;
        self.end = after;
        self.peak = self.peak.max(after);
        self.daily.insert(at_ms.div_euclid(86_400_000), after);
    }
}

/// The fund's figures for the monthly report, per pool.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FundTally {
    /// By pool id.
    pub pools: BTreeMap<String, PoolMonth>,
    /// Events of these kinds whose payload did not decode.
    pub malformed: u64,
}

const TALLY_KINDS: &[&str] = &[
    kinds::LIQUIDATION_SETTLED,
    kinds::DELEVERAGED,
    kinds::POSTED,
    kinds::ADL_STARTED,
    kinds::ADL_ENDED,
];

fn decode<P: EventPayload>(e: &Event, malformed: &mut u64) -> Option<P> {
    match e.decode::<P>() {
        Some(Ok(p)) => Some(p),
        Some(Err(_)) => {
            *malformed += 1;
            None
        }
        None => None,
    }
}

impl Tally for FundTally {
    fn kinds(&self) -> &'static [&'static str] {
        TALLY_KINDS
    }

    fn record(&mut self, e: &Event) {
        let at = e.body.time.as_millis();
        if let Some(p) = decode::<LiquidationSettled>(e, &mut self.malformed) {
            let m = self.pools.entry(p.pool).or_default();
            m.saw(at, p.decimals, p.balance_before, p.balance);
            m.liquidations += 1;
            m.surplus += u128::from(p.surplus);
            m.covered += u128::from(p.covered);
            m.adl_absorbed += u128::from(p.adl_absorbed);
            m.uncovered += u128::from(p.uncovered);
        }
        if let Some(p) = decode::<Deleveraged>(e, &mut self.malformed) {
            self.pools.entry(p.pool).or_default().deleveraged += p.positions.len() as u64;
        }
        if let Some(p) = decode::<Posted>(e, &mut self.malformed) {
            let m = self.pools.entry(p.pool).or_default();
            let before = (i128::from(p.balance) - i128::from(p.amount)).max(0) as u64;
            m.saw(at, p.decimals, before, p.balance);
            if p.kind == "platform_revenue" {
                m.top_ups += u128::from(p.amount.unsigned_abs());
            }
        }
        if let Some(p) = decode::<AdlStarted>(e, &mut self.malformed) {
            let m = self.pools.entry(p.pool).or_default();
            m.saw(at, p.decimals, p.balance, p.balance);
            m.adl_episodes += 1;
        }
        if let Some(p) = decode::<AdlEnded>(e, &mut self.malformed) {
            let m = self.pools.entry(p.pool).or_default();
            m.saw(at, p.decimals, p.balance, p.balance);
        }
    }

    fn figures(&self) -> Vec<Figure> {
        let mut out = Vec::new();
        let money =
            |key: String, label: String, asset: &str, units: u128, decimals, kinds| Figure {
                key,
                label,
                value: FigureValue::Amount {
                    asset: asset.to_owned(),
                    units,
                    decimals,
                },
                kinds,
            };
        for (pool, m) in &self.pools {
            let ccy = pool.rsplit(':').next().unwrap_or_default();
            let all = TALLY_KINDS.to_vec();
            let liq = vec![kinds::LIQUIDATION_SETTLED];
            let d = m.decimals;
            for (what, label, units, kinds) in [
                (
                    "balance_start",
                    "balance at the start of the period",
                    m.start.into(),
                    all.clone(),
                ),
                (
                    "balance_end",
                    "balance at the end of the period",
                    m.end.into(),
                    all.clone(),
                ),
                (
                    "balance_peak",
                    "highest balance in the period",
                    m.peak.into(),
                    all.clone(),
                ),
                (
                    "surplus_received",
                    "liquidation surplus received",
                    m.surplus,
                    liq.clone(),
                ),
                (
                    "deficits_covered",
                    "bankruptcy losses the fund covered",
                    m.covered,
                    liq.clone(),
                ),
                (
                    "adl_absorbed",
                    "deficits absorbed by auto-deleveraging",
                    m.adl_absorbed,
                    liq.clone(),
                ),
                (
                    "top_ups",
                    "top-ups from the exchange",
                    m.top_ups,
                    vec![kinds::POSTED],
                ),
            ] {
                out.push(money(
                    format!("fund.{pool}.{what}"),
                    format!("{pool}: {label} ({ccy})"),
                    ccy,
                    units,
                    d,
                    kinds,
                ));
            }
            if m.uncovered > 0 {
                out.push(money(
                    format!("fund.{pool}.uncovered"),
                    format!("{pool}: deficits no one absorbed ({ccy})"),
                    ccy,
                    m.uncovered,
                    d,
                    liq.clone(),
                ));
            }
            out.push(Figure::count(
                &format!("fund.{pool}.liquidations"),
                &format!("{pool}: liquidations settled"),
                m.liquidations,
                &[kinds::LIQUIDATION_SETTLED],
            ));
            out.push(Figure::count(
                &format!("fund.{pool}.adl_episodes"),
                &format!("{pool}: auto-deleveraging episodes"),
                m.adl_episodes,
                &[kinds::ADL_STARTED],
            ));
            out.push(Figure::count(
                &format!("fund.{pool}.positions_deleveraged"),
                &format!("{pool}: positions auto-deleveraged"),
                m.deleveraged,
                &[kinds::DELEVERAGED],
            ));
            out.push(Figure {
                key: format!("fund.{pool}.balance_daily"),
                label: format!("{pool}: closing balance per day ({ccy}, smallest units)"),
                value: FigureValue::Series {
                    points: m
                        .daily
                        .iter()
                        .map(|(day, b)| Point {
                            time_ms: day * 86_400_000,
                            value: i128::from(*b),
                        })
                        .collect(),
                },
                kinds: all,
            });
        }
        if self.malformed > 0 {
            out.push(Figure::count(
                "fund.malformed_events",
                "Fund events that did not decode",
                self.malformed,
                TALLY_KINDS,
            ));
        }
        out
    }
}
