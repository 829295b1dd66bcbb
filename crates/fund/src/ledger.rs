//! The pools' double-entry ledger: one operation at a time, checked in full before anything
//! changes, every posting balanced (the legs of one operation sum to zero across the pools and
//! the outside accounts), no pool below zero, and every operation applied once per key.
//!
//! [`apply`] is the one rule; the store runs it inside its write transaction and [`Book`] runs it
//! in memory (the in-process engine, replay checks and property tests).

use std::collections::{BTreeMap, HashMap, VecDeque};

use custodia_events::{NewEvent, Timestamp};
use custodia_primitives::Amount;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::adl::{ADL_END, AdlPolicy, AdlType, Deleveraged, deleverage};
use crate::contract::{Contract, Position, Price, check_id};
use crate::error::{FundError, FundResult};
use crate::events::{self, AdlEnded, AdlStarted, LiquidationSettled, Posted};
use crate::liquidation::{Settlement, settle};
use crate::pool::{PoolId, PoolSpec};

/// An idempotency key: 1–64 printable ASCII characters (`liq-8812`, the liquidation's id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct OpKey(String);

// Written as its text without the copy `into = "String"` would make: ids are serialised on
// hot paths (the fund's operation fingerprints and events carry several per operation).
impl serde::Serialize for OpKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl OpKey {
    /// Validates a key.
    pub fn new(s: impl Into<String>) -> FundResult<Self> {
        let s = s.into();
        check_id("idempotency key", &s)?;
        Ok(Self(s))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OpKey {
    type Error = FundError;
    fn try_from(s: String) -> FundResult<Self> {
        Self::new(s)
    }
}

impl From<OpKey> for String {
    fn from(k: OpKey) -> String {
        k.0
    }
}

/// A liquidated position and how the market took it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Liquidation {
    /// The pool that insures the contract.
    pub pool: PoolId,
    /// The contract.
    pub contract: Contract,
    /// The position taken over by the liquidation engine.
    pub position: Position,
    /// The mark price that triggered it.
    pub mark: Price,
    /// The average price the engine closed it at.
    pub fill: Price,
    /// Opposing positions, for auto-deleveraging if the pool does not pay the deficit.
    pub candidates: Vec<Position>,
}

impl Liquidation {
    /// `{"op":"liquidation",…}` exactly as `serde_json::to_writer(&Operation::Liquidation(..))`
    /// writes it (fields in declaration order, compact).
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"op\":\"liquidation\",\"pool\":");
        json_str(out, self.pool.as_str());
        let c = &self.contract;
        out.extend_from_slice(b",\"contract\":{\"kind\":\"");
        out.extend_from_slice(match c.kind {
            crate::contract::ContractKind::Linear => b"linear",
            crate::contract::ContractKind::Inverse => b"inverse",
        });
        out.extend_from_slice(b"\",\"ct_val\":");
        json_u64(out, c.ct_val);
        out.extend_from_slice(b",\"ct_val_scale\":");
        json_u64(out, u64::from(c.ct_val_scale));
        out.extend_from_slice(b",\"price_scale\":");
        json_u64(out, u64::from(c.price_scale));
        out.extend_from_slice(b",\"settle_decimals\":");
        json_u64(out, u64::from(c.settle_decimals));
        out.extend_from_slice(b"},\"position\":");
        position_json(out, &self.position);
        out.extend_from_slice(b",\"mark\":");
        json_u64(out, self.mark.ticks());
        out.extend_from_slice(b",\"fill\":");
        json_u64(out, self.fill.ticks());
        out.extend_from_slice(b",\"candidates\":[");
        for (i, p) in self.candidates.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            position_json(out, p);
        }
        out.extend_from_slice(b"]}");
    }
}

fn position_json(out: &mut Vec<u8>, p: &Position) {
    out.extend_from_slice(b"{\"id\":");
    json_str(out, p.id.as_str());
    out.extend_from_slice(b",\"account\":");
    json_str(out, p.account.as_str());
    out.extend_from_slice(b",\"side\":\"");
    out.extend_from_slice(p.side.as_str().as_bytes());
    out.extend_from_slice(b"\",\"size\":");
    json_u64(out, p.size);
    out.extend_from_slice(b",\"entry\":");
    json_u64(out, p.entry.ticks());
    out.extend_from_slice(b",\"margin\":");
    json_u64(out, p.margin.units());
    out.extend_from_slice(b",\"maintenance\":");
    json_u64(out, p.maintenance.units());
    out.extend_from_slice(b",\"fees\":");
    json_u64(out, p.fees.units());
    out.push(b'}');
}

/// A JSON string: ids are printable ASCII without quotes or backslashes almost always, and then
/// need no escaping; anything else goes through serde_json's own escaping.
fn json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else if serde_json::to_writer(&mut *out, s).is_err() {
        out.extend_from_slice(b"null");
    }
}

fn json_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// What can happen to the pools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// Settle a liquidation: surplus in, or deficit out (and ADL for what the pool keeps).
    Liquidation(Liquidation),
    /// The exchange adds to a pool.
    TopUp {
        /// The pool.
        pool: PoolId,
        /// How much.
        amount: Amount,
    },
    /// Moves funds between two pools of one currency.
    Transfer {
        /// Paying pool.
        from: PoolId,
        /// Receiving pool.
        to: PoolId,
        /// How much.
        amount: Amount,
    },
    /// Returns funds from a pool to the exchange.
    Withdraw {
        /// The pool.
        pool: PoolId,
        /// How much.
        amount: Amount,
    },
    /// The pre-market liquidation backlog of a pool, as the engine reports it.
    Backlog {
        /// The pool.
        pool: PoolId,
        /// Outstanding liquidation orders.
        orders: u64,
        /// Age of the oldest, milliseconds.
        oldest_ms: i64,
    },
}

impl Operation {
    /// The pools it touches.
    pub fn pools(&self) -> Vec<&PoolId> {
        match self {
            Self::Liquidation(l) => vec![&l.pool],
            Self::TopUp { pool, .. } | Self::Withdraw { pool, .. } | Self::Backlog { pool, .. } => {
                vec![pool]
            }
            Self::Transfer { from, to, .. } => vec![from, to],
        }
    }

    /// A digest of the operation's content: a retried key must carry the same content.
    pub fn fingerprint(&self) -> String {
        // Written into one buffer and hashed at once: serde_json writes in pieces of a few
        // bytes, and handing each piece to the hash (streaming) cost more than the buffer.
        let mut buf = Vec::with_capacity(2_048);
        match self {
            // The busiest operation by far: written by hand, byte for byte what serde_json
            // writes (a test holds the two equal), without its per-string escape scan.
            Self::Liquidation(l) => l.write_json(&mut buf),
            _ => {
                if serde_json::to_writer(&mut buf, self).is_err() {
                    return hex_lower(&Sha256::digest(b""));
                }
            }
        }
        hex_lower(&Sha256::digest(&buf))
    }

    /// `liquidation`, `top_up`, `transfer`, `withdraw` or `backlog`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Liquidation(_) => "liquidation",
            Self::TopUp { .. } => "top_up",
            Self::Transfer { .. } => "transfer",
            Self::Withdraw { .. } => "withdraw",
            Self::Backlog { .. } => "backlog",
        }
    }
}

fn hex_lower(b: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(H[usize::from(x >> 4)] as char);
        s.push(H[usize::from(x & 15)] as char);
    }
    s
}

/// One operation with its idempotency key and who asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Applied once, however often it is sent.
    pub key: OpKey,
    /// Who asked (`service:engine`, `operator:alice`), for the events.
    pub actor: String,
    /// What to do.
    pub op: Operation,
}

/// A journal line's type (OKX's insurance-fund `type` where one exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A liquidation closed better than its bankruptcy price: the rest goes to the pool.
    LiquidationBalanceDeposit,
    /// A liquidation closed worse than its bankruptcy price: the pool pays.
    BankruptcyLoss,
    /// The exchange adds to a pool (OKX: `platform_revenue`).
    #[serde(rename = "platform_revenue")]
    PlatformRevenue,
    /// In from another pool.
    TransferIn,
    /// Out to another pool or back to the exchange.
    TransferOut,
    /// An ADL episode started or ended (amount 0).
    Adl,
}

impl EntryKind {
    /// Every kind.
    pub const ALL: [EntryKind; 6] = [
        Self::LiquidationBalanceDeposit,
        Self::BankruptcyLoss,
        Self::PlatformRevenue,
        Self::TransferIn,
        Self::TransferOut,
        Self::Adl,
    ];

    /// The stored and public name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LiquidationBalanceDeposit => "liquidation_balance_deposit",
            Self::BankruptcyLoss => "bankruptcy_loss",
            Self::PlatformRevenue => "platform_revenue",
            Self::TransferIn => "transfer_in",
            Self::TransferOut => "transfer_out",
            Self::Adl => "adl",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One leg of a posting. The legs of one operation sum to zero; legs on pools carry the
/// balance after them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leg {
    /// A pool id, or an outside account: `exchange`, `trader:<position>`, `adl:<position>`,
    /// `uncovered:<key>`.
    pub account: String,
    /// The line's type.
    pub kind: EntryKind,
    /// Signed change, smallest units.
    pub delta: i64,
    /// The pool's balance after the leg (pool legs only).
    pub balance: Option<u64>,
    /// For [`EntryKind::Adl`] lines: `rate_adl_start`, `bal_adl_start`, `pos_adl_start`,
    /// `adl_end`.
    pub adl_type: Option<String>,
    /// The pool's peak in the window and when (pool legs only).
    pub max_bal: Option<(u64, i64)>,
}

/// What a liquidation came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settled {
    /// The pool.
    pub pool: String,
    /// Bankruptcy price (`None`: none exists).
    pub bankruptcy_price: Option<u64>,
    /// Margin − fees + PnL at the fill.
    pub residual: i128,
    /// Paid into the pool.
    pub surplus: u64,
    /// The deficit.
    pub deficit: u64,
    /// Of the deficit, what the pool paid.
    pub covered: u64,
    /// Of the deficit, what ADL absorbed.
    pub adl_absorbed: u64,
    /// Of the deficit, what no one could absorb (no candidates left).
    pub uncovered: u64,
    /// Positions deleveraged.
    pub deleveraged: Vec<Deleveraged>,
    /// The pool's balance after.
    pub balance: u64,
}

/// What an operation did, kept with its key so a retry returns the same answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The operation's name.
    pub op: String,
    /// Its legs.
    pub legs: Vec<Leg>,
    /// For a liquidation, how it settled.
    pub settled: Option<Settled>,
    /// ADL episodes in force on the touched pools afterwards.
    pub adl: Vec<(String, String)>,
}

impl Outcome {
    /// Sum of the legs: always zero.
    pub fn imbalance(&self) -> i128 {
        self.legs.iter().map(|l| i128::from(l.delta)).sum()
    }
}

/// A pool's state as an operation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolState {
    /// Configuration.
    pub spec: PoolSpec,
    /// Balance.
    pub balance: Amount,
    /// The highest balance within the ADL window (including now).
    pub peak: Amount,
    /// When the pool last held `peak`.
    pub peak_at: Timestamp,
    /// The ADL episode in force and since when.
    pub adl: Option<(AdlType, Timestamp)>,
    /// Whether the last backlog report crossed the thresholds.
    pub backlog: bool,
}

impl PoolState {
    /// A new, empty pool.
    pub fn new(spec: PoolSpec, at: Timestamp) -> Self {
        Self {
            spec,
            balance: Amount::ZERO,
            peak: Amount::ZERO,
            peak_at: at,
            adl: None,
            backlog: false,
        }
    }

    fn set_balance(&mut self, b: Amount, now: Timestamp) {
        self.balance = b;
        if b >= self.peak {
            self.peak = b;
            self.peak_at = now;
        }
    }
}

/// An operation applied: its outcome, the events to record with it, the states after.
#[derive(Debug, Clone)]
pub struct Applied {
    /// What happened.
    pub outcome: Outcome,
    /// Events to append in the same transaction.
    pub events: Vec<NewEvent>,
}

struct Run<'a> {
    policy: &'a AdlPolicy,
    now: Timestamp,
    actor: &'a str,
    key: &'a OpKey,
    legs: Vec<Leg>,
    events: Vec<NewEvent>,
}

impl Run<'_> {
    fn leg(&mut self, s: &PoolState, kind: EntryKind, delta: i64, adl_type: Option<&str>) {
        self.legs.push(Leg {
            account: s.spec.id.as_str().to_owned(),
            kind,
            delta,
            balance: Some(s.balance.units()),
            adl_type: adl_type.map(str::to_owned),
            max_bal: Some((s.peak.units(), s.peak_at.as_millis())),
        });
    }

    fn outside(&mut self, account: String, kind: EntryKind, delta: i64) {
        self.legs.push(Leg {
            account,
            kind,
            delta,
            balance: None,
            adl_type: None,
            max_bal: None,
        });
    }

    fn event<P: custodia_events::EventPayload>(&mut self, pool: &PoolId, p: &P) {
        self.events.push(NewEvent::typed(
            self.now,
            self.actor,
            &format!("pool:{pool}"),
            p,
        ));
    }

    fn start(&mut self, s: &mut PoolState, t: AdlType) {
        s.adl = Some((t, self.now));
        self.leg(s, EntryKind::Adl, 0, Some(t.as_str()));
        let e = AdlStarted {
            key: self.key.as_str().to_owned(),
            pool: s.spec.id.as_str().to_owned(),
            adl_type: t.as_str().to_owned(),
            balance: s.balance.units(),
            max_bal: s.peak.units(),
            max_bal_ts: s.peak_at.as_millis(),
            decimals: s.spec.decimals,
        };
        self.event(&s.spec.id, &e);
    }

    /// Starts the pool's episode when a trigger holds, or ends the one in force once the
    /// policy's release rule allows (past the release level, after the minimum duration).
    fn review(&mut self, s: &mut PoolState) {
        let t = self.policy.trigger(
            s.balance.units(),
            s.peak.units(),
            s.spec.floor.units(),
            s.backlog,
        );
        match (s.adl, t) {
            (None, Some(t)) => self.start(s, t),
            (Some((started, since)), _)
                if self.policy.ends(
                    (started, since.as_millis()),
                    self.now.as_millis(),
                    s.balance.units(),
                    s.peak.units(),
                    s.spec.floor.units(),
                    s.backlog,
                ) =>
            {
                s.adl = None;
                self.leg(s, EntryKind::Adl, 0, Some(ADL_END));
                let e = AdlEnded {
                    key: self.key.as_str().to_owned(),
                    pool: s.spec.id.as_str().to_owned(),
                    adl_type: started.as_str().to_owned(),
                    since_ms: since.as_millis(),
                    balance: s.balance.units(),
                    decimals: s.spec.decimals,
                };
                self.event(&s.spec.id, &e);
            }
            _ => {}
        }
    }

    fn posted(&mut self, s: &PoolState, kind: EntryKind, delta: i64) {
        self.leg(s, kind, delta, None);
        let e = Posted {
            key: self.key.as_str().to_owned(),
            pool: s.spec.id.as_str().to_owned(),
            ccy: s.spec.id.ccy().to_owned(),
            decimals: s.spec.decimals,
            kind: kind.as_str().to_owned(),
            amount: delta,
            balance: s.balance.units(),
        };
        self.event(&s.spec.id, &e);
    }
}

fn amount(v: i128, what: &'static str) -> FundResult<Amount> {
    u64::try_from(v)
        .ok()
        .and_then(Amount::new)
        .ok_or(FundError::Overflow { what })
}

fn delta(a: u64) -> i64 {
    // Amounts are below 2^62, so they fit.
    a as i64
}

/// Applies one request to the pools it names, all or nothing: on error `pools` is unchanged.
///
/// # Correctness
///
/// Each [`PoolState::peak`] must be the highest balance of the pool within the policy's window
/// ending now (the store recomputes it when the recorded peak leaves the window). The caller
/// checks the idempotency key before and records it with the outcome after.
pub fn apply(
    req: &Request,
    pools: &mut BTreeMap<PoolId, PoolState>,
    policy: &AdlPolicy,
    now: Timestamp,
) -> FundResult<Applied> {
    let mut touched: Vec<PoolState> = Vec::new();
    for id in req.op.pools() {
        let s = pools.get(id).ok_or_else(|| FundError::UnknownPool {
            pool: id.as_str().to_owned(),
        })?;
        touched.push(s.clone());
    }
    let mut run = Run {
        policy,
        now,
        actor: &req.actor,
        key: &req.key,
        legs: Vec::new(),
        events: Vec::new(),
    };
    let mut settled = None;
    match &req.op {
        Operation::Liquidation(l) => {
            let s = &mut touched[0];
            settled = Some(liquidate(&mut run, s, l)?);
        }
        Operation::TopUp { amount: a, .. } => {
            positive(*a)?;
            let s = &mut touched[0];
            let b = amount(
                i128::from(s.balance.units()) + i128::from(a.units()),
                "pool balance",
            )?;
            s.set_balance(b, now);
            run.outside(
                "exchange".into(),
                EntryKind::PlatformRevenue,
                -delta(a.units()),
            );
            run.posted(s, EntryKind::PlatformRevenue, delta(a.units()));
            run.review(s);
        }
        Operation::Withdraw { amount: a, .. } => {
            positive(*a)?;
            let s = &mut touched[0];
            let b = pay(s, *a)?;
            s.set_balance(b, now);
            run.posted(s, EntryKind::TransferOut, -delta(a.units()));
            run.outside("exchange".into(), EntryKind::TransferOut, delta(a.units()));
            run.review(s);
        }
        Operation::Transfer {
            from,
            to,
            amount: a,
        } => {
            positive(*a)?;
            if from == to {
                return Err(FundError::SelfTransfer {
                    pool: from.as_str().to_owned(),
                });
            }
            if from.ccy() != to.ccy() {
                return Err(FundError::CurrencyMismatch {
                    from: from.as_str().to_owned(),
                    to: to.as_str().to_owned(),
                });
            }
            let (src, dst) = touched.split_at_mut(1);
            let (src, dst) = (&mut src[0], &mut dst[0]);
            let b = pay(src, *a)?;
            let d = amount(
                i128::from(dst.balance.units()) + i128::from(a.units()),
                "pool balance",
            )?;
            src.set_balance(b, now);
            dst.set_balance(d, now);
            run.posted(src, EntryKind::TransferOut, -delta(a.units()));
            run.posted(dst, EntryKind::TransferIn, delta(a.units()));
            run.review(src);
            run.review(dst);
        }
        Operation::Backlog {
            orders, oldest_ms, ..
        } => {
            if *oldest_ms < 0 {
                return Err(FundError::NotPositive {
                    field: "oldest_ms",
                    got: (*oldest_ms).into(),
                });
            }
            let s = &mut touched[0];
            s.backlog = policy.backlogged(*orders, *oldest_ms);
            run.review(s);
        }
    }
    let adl = touched
        .iter()
        .filter_map(|s| {
            s.adl
                .map(|(t, _)| (s.spec.id.as_str().to_owned(), t.as_str().to_owned()))
        })
        .collect();
    let outcome = Outcome {
        op: req.op.name().to_owned(),
        legs: run.legs,
        settled,
        adl,
    };
    debug_assert_eq!(outcome.imbalance(), 0);
    // Every touched pool was found in `pools` above: write the new states back in place (no
    // key clone, no tree insert).
    for s in touched {
        if let Some(slot) = pools.get_mut(&s.spec.id) {
            *slot = s;
        }
    }
    Ok(Applied {
        outcome,
        events: run.events,
    })
}

fn positive(a: Amount) -> FundResult<()> {
    if a.is_zero() {
        return Err(FundError::NotPositive {
            field: "amount",
            got: 0,
        });
    }
    Ok(())
}

fn pay(s: &PoolState, a: Amount) -> FundResult<Amount> {
    s.balance
        .checked_sub(a)
        .ok_or_else(|| FundError::Insufficient {
            pool: s.spec.id.as_str().to_owned(),
            balance: s.balance.units(),
            requested: a.units(),
        })
}

fn liquidate(run: &mut Run<'_>, s: &mut PoolState, l: &Liquidation) -> FundResult<Settled> {
    let st: Settlement = settle(&l.contract, &l.position, l.mark, l.fill)?;
    for c in &l.candidates {
        c.check()?;
    }
    let before = s.balance;
    let trader = format!("trader:{}", l.position.id.as_str());
    let mut out = Settled {
        pool: s.spec.id.as_str().to_owned(),
        bankruptcy_price: st.bankruptcy_price.map(Price::ticks),
        residual: st.residual,
        surplus: st.surplus.units(),
        deficit: st.deficit.units(),
        covered: 0,
        adl_absorbed: 0,
        uncovered: 0,
        deleveraged: Vec::new(),
        balance: 0,
    };
    let mut dl_events = Vec::new();
    if !st.surplus.is_zero() {
        let b = amount(
            i128::from(s.balance.units()) + i128::from(st.surplus.units()),
            "pool balance",
        )?;
        s.set_balance(b, run.now);
        run.outside(
            trader,
            EntryKind::LiquidationBalanceDeposit,
            -delta(st.surplus.units()),
        );
        run.leg(
            s,
            EntryKind::LiquidationBalanceDeposit,
            delta(st.surplus.units()),
            None,
        );
    } else if !st.deficit.is_zero() {
        let d = st.deficit.units();
        let keep = run.policy.protected(s.peak.units(), s.spec.floor.units());
        let covered = if s.adl.is_some() {
            0
        } else {
            d.min(s.balance.units().saturating_sub(keep))
        };
        let rest = d - covered;
        let (done, uncovered) = if rest > 0 {
            // The bankruptcy price always exists when there is a deficit: the fill lost more
            // than the cushion, so some price between entry and fill lost exactly it.
            let bp = st.bankruptcy_price.ok_or(FundError::Overflow {
                what: "bankruptcy price",
            })?;
            deleverage(
                &l.contract,
                l.position.side,
                bp,
                l.fill,
                l.mark,
                rest,
                &l.candidates,
            )?
        } else {
            (Vec::new(), 0)
        };
        // Checks are done: from here on nothing fails.
        let b = Amount::new(s.balance.units() - covered).unwrap_or(Amount::ZERO);
        s.set_balance(b, run.now);
        if rest > 0 && s.adl.is_none() {
            let t = run
                .policy
                .trigger(b.units(), s.peak.units(), s.spec.floor.units(), s.backlog)
                .unwrap_or(AdlType::Balance);
            run.start(s, t);
        }
        run.outside(trader, EntryKind::BankruptcyLoss, delta(d));
        if covered > 0 {
            run.leg(s, EntryKind::BankruptcyLoss, -delta(covered), None);
        }
        for x in &done {
            run.outside(
                format!("adl:{}", x.position.as_str()),
                EntryKind::Adl,
                -delta(x.absorbed),
            );
        }
        if uncovered > 0 {
            run.outside(
                format!("uncovered:{}", run.key.as_str()),
                EntryKind::BankruptcyLoss,
                -delta(uncovered),
            );
        }
        out.covered = covered;
        out.adl_absorbed = done.iter().map(|x| x.absorbed).sum();
        out.uncovered = uncovered;
        if !done.is_empty() {
            dl_events.push(events::Deleveraged {
                key: run.key.as_str().to_owned(),
                pool: s.spec.id.as_str().to_owned(),
                bankrupt_position: l.position.id.as_str().to_owned(),
                positions: done.clone(),
            });
        }
        out.deleveraged = done;
    }
    out.balance = s.balance.units();
    let e = LiquidationSettled {
        key: run.key.as_str().to_owned(),
        pool: out.pool.clone(),
        ccy: s.spec.id.ccy().to_owned(),
        decimals: s.spec.decimals,
        position: l.position.id.as_str().to_owned(),
        account: l.position.account.as_str().to_owned(),
        side: l.position.side.as_str().to_owned(),
        size: l.position.size,
        bankruptcy_price: out.bankruptcy_price,
        fill: l.fill.ticks(),
        surplus: out.surplus,
        deficit: out.deficit,
        covered: out.covered,
        adl_absorbed: out.adl_absorbed,
        uncovered: out.uncovered,
        balance_before: before.units(),
        balance: out.balance,
    };
    run.event(&s.spec.id, &e);
    for d in dl_events {
        run.event(&s.spec.id, &d);
    }
    run.review(s);
    Ok(out)
}

/// The peak of a pool over the ADL window `(start, now]`: the balance carried into the window
/// (the `before` of its first change), every balance set within it (`after`), and the current
/// one. `changes` are the window's (time, before, after), oldest first. Returns the peak and
/// when the pool last held it.
pub fn window_peak(changes: &[(i64, u64, u64)], current: u64, now: i64) -> (u64, i64) {
    let mut best = (current, now);
    if let Some(&(t, before, _)) = changes.first()
        && before > best.0
    {
        best = (before, t - 1);
    }
    for &(t, _, after) in changes {
        if after > best.0 {
            best = (after, t);
        }
    }
    best
}

/// Balance changes of one pool within the ADL window.
#[derive(Debug, Clone, Default)]
struct Window {
    /// (time, balance before, balance after) of each change, oldest first.
    changes: VecDeque<(i64, u64, u64)>,
}

impl Window {
    fn record(&mut self, at: i64, before: u64, after: u64) {
        self.changes.push_back((at, before, after));
    }

    fn peak(&mut self, start: i64, current: u64, now: i64) -> (u64, i64) {
        while self.changes.front().is_some_and(|c| c.0 <= start) {
            self.changes.pop_front();
        }
        window_peak(self.changes.make_contiguous(), current, now)
    }
}

/// The ledger in memory: the in-process engine, and the reference the store is checked against.
#[derive(Debug, Clone)]
pub struct Book {
    policy: AdlPolicy,
    pools: BTreeMap<PoolId, PoolState>,
    windows: HashMap<PoolId, Window>,
    done: HashMap<OpKey, (String, Outcome)>,
    journal: Vec<Leg>,
    events: usize,
}

impl Book {
    /// A book of empty pools.
    pub fn new(specs: &[PoolSpec], policy: AdlPolicy, at: Timestamp) -> FundResult<Self> {
        policy.check()?;
        Ok(Self {
            policy,
            pools: specs
                .iter()
                .map(|s| (s.id.clone(), PoolState::new(s.clone(), at)))
                .collect(),
            windows: HashMap::new(),
            done: HashMap::new(),
            journal: Vec::new(),
            events: 0,
        })
    }

    /// Applies `req` once: a retry with the same key and content returns the first outcome
    /// (`true`: replayed) and changes nothing; the same key with other content is refused.
    pub fn submit(&mut self, req: &Request, now: Timestamp) -> FundResult<(Outcome, bool)> {
        let fp = req.op.fingerprint();
        if let Some((seen, outcome)) = self.done.get(&req.key) {
            if *seen != fp {
                return Err(FundError::KeyReused {
                    key: req.key.as_str().to_owned(),
                });
            }
            return Ok((outcome.clone(), true));
        }
        let start = now.as_millis() - self.policy.window_ms;
        for id in req.op.pools() {
            if let Some(s) = self.pools.get_mut(id)
                && s.peak_at.as_millis() <= start
            {
                let w = self.windows.entry(id.clone()).or_default();
                let (peak, at) = w.peak(start, s.balance.units(), now.as_millis());
                s.peak = Amount::new(peak).unwrap_or(Amount::MAX);
                s.peak_at = Timestamp::from_millis(at);
            }
        }
        let before: Vec<(&PoolId, u64)> = req
            .op
            .pools()
            .into_iter()
            .filter_map(|id| self.pools.get(id).map(|s| (id, s.balance.units())))
            .collect();
        let applied = apply(req, &mut self.pools, &self.policy, now)?;
        for (id, b) in before {
            let after = self.pools[id].balance.units();
            if after != b {
                // The id is cloned only for a pool's first change, not per operation.
                let w = match self.windows.get_mut(id) {
                    Some(w) => w,
                    None => self.windows.entry(id.clone()).or_default(),
                };
                w.record(now.as_millis(), b, after);
            }
        }
        self.journal.extend(applied.outcome.legs.iter().cloned());
        self.events += applied.events.len();
        self.done
            .insert(req.key.clone(), (fp, applied.outcome.clone()));
        Ok((applied.outcome, false))
    }

    /// A pool's state.
    pub fn pool(&self, id: &PoolId) -> Option<&PoolState> {
        self.pools.get(id)
    }

    /// Every pool, by id.
    pub fn pools(&self) -> impl Iterator<Item = &PoolState> {
        self.pools.values()
    }

    /// Every leg posted, in order.
    pub fn journal(&self) -> &[Leg] {
        &self.journal
    }

    /// Events produced so far.
    pub fn events(&self) -> usize {
        self.events
    }
}
