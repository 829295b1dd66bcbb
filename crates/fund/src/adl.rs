//! Auto-deleveraging: when it starts and ends, who is deleveraged first, and how much each
//! deleveraged position gives up.
//!
//! The trigger follows OKX: a pool whose balance has fallen 30 % from its peak of the last eight
//! hours (`rate_adl_start`), or to its floor (`bal_adl_start`), stops paying deficits; so does a
//! pool whose pre-market liquidation orders back up beyond a volume and age (`pos_adl_start`).
//! The ranking follows BitMEX: PnL% × effective leverage when in profit, PnL% ÷ effective
//! leverage otherwise, per side, highest first, shown to users as five lights (quintiles).

use custodia_primitives::AccountId;
use serde::{Deserialize, Serialize};

use crate::contract::{Contract, Position, PositionId, Price, Side};
use crate::error::{FundError, FundResult};

/// Why an ADL episode started (OKX's `adlType` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AdlType {
    /// The balance fell by the decline rate from its peak of the window.
    #[serde(rename = "rate_adl_start")]
    Rate,
    /// The balance fell to the pool's floor.
    #[serde(rename = "bal_adl_start")]
    Balance,
    /// Pre-market liquidation orders backed up.
    #[serde(rename = "pos_adl_start")]
    Backlog,
}

impl AdlType {
    /// OKX's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rate => "rate_adl_start",
            Self::Balance => "bal_adl_start",
            Self::Backlog => "pos_adl_start",
        }
    }

    /// Parses OKX's name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Rate, Self::Balance, Self::Backlog]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// OKX's name for the end of an episode.
pub const ADL_END: &str = "adl_end";

/// When ADL starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdlPolicy {
    /// Decline from the window's peak that starts ADL, in basis points (3 000 = 30 %).
    pub decline_bp: u32,
    /// The peak's window, milliseconds (8 hours).
    pub window_ms: i64,
    /// Outstanding pre-market liquidation orders that, with `backlog_ms`, start ADL.
    pub backlog_orders: u64,
    /// Age of the oldest outstanding liquidation order that, with `backlog_orders`, starts ADL.
    pub backlog_ms: i64,
    /// How far above the level it protects a pool must climb back before its episode ends, in
    /// basis points of the window's peak (500 = 5 %: with a 30 % decline, ADL starts at 70 %
    /// of the peak and ends at 75 %). Without it an episode would end on the first surplus that
    /// lifts the pool one unit over the level and start again on the next deficit.
    pub release_bp: u32,
    /// The shortest episode, milliseconds: one ends no sooner than this after it started,
    /// however the balance moves.
    pub min_episode_ms: i64,
}

impl Default for AdlPolicy {
    fn default() -> Self {
        Self {
            decline_bp: 3_000,
            window_ms: 8 * 3_600_000,
            backlog_orders: 1_000,
            backlog_ms: 60_000,
            release_bp: 500,
            min_episode_ms: 60_000,
        }
    }
}

impl AdlPolicy {
    /// Checks the ranges (decline 1–10 000 bp, positive window and backlog age).
    pub fn check(&self) -> FundResult<()> {
        if !(1..=10_000).contains(&self.decline_bp) {
            return Err(FundError::OutOfRange {
                field: "decline_bp",
                why: format!("1..=10000, got {}", self.decline_bp),
            });
        }
        if self.window_ms <= 0 {
            return Err(FundError::NotPositive {
                field: "window_ms",
                got: self.window_ms.into(),
            });
        }
        if self.backlog_ms <= 0 {
            return Err(FundError::NotPositive {
                field: "backlog_ms",
                got: self.backlog_ms.into(),
            });
        }
        if self.release_bp > self.decline_bp {
            return Err(FundError::OutOfRange {
                field: "release_bp",
                why: format!(
                    "0..={} (at most the decline), got {}",
                    self.decline_bp, self.release_bp
                ),
            });
        }
        if self.min_episode_ms < 0 {
            return Err(FundError::OutOfRange {
                field: "min_episode_ms",
                why: format!("0 or more, got {}", self.min_episode_ms),
            });
        }
        Ok(())
    }

    /// The balance at or below which the decline trigger fires: ⌊peak × (1 − decline)⌋.
    pub fn decline_level(&self, peak: u64) -> u64 {
        let kept = u128::from(10_000 - self.decline_bp.min(10_000));
        (u128::from(peak) * kept / 10_000) as u64
    }

    /// The level a pool keeps: it pays deficits only down to here, ADL takes the rest.
    pub fn protected(&self, peak: u64, floor: u64) -> u64 {
        self.decline_level(peak).max(floor)
    }

    /// The balance a pool must reach again before its episode may end: the level it protects
    /// plus `release_bp` of the peak.
    pub fn release_level(&self, peak: u64, floor: u64) -> u64 {
        let margin = (u128::from(peak) * u128::from(self.release_bp) / 10_000) as u64;
        self.protected(peak, floor).saturating_add(margin)
    }

    /// Whether `episode` (why it started, when, in milliseconds) ends at `now_ms`: no trigger
    /// holds, the minimum duration has passed, and (for an episode the balance started) the
    /// pool is back at its release level. A backlog episode ends when the backlog clears and
    /// the balance triggers no episode of its own.
    pub fn ends(
        &self,
        (started, since_ms): (AdlType, i64),
        now_ms: i64,
        balance: u64,
        peak: u64,
        floor: u64,
        backlog: bool,
    ) -> bool {
        if self.trigger(balance, peak, floor, backlog).is_some() {
            return false;
        }
        if now_ms.saturating_sub(since_ms) < self.min_episode_ms {
            return false;
        }
        match started {
            AdlType::Rate | AdlType::Balance => balance >= self.release_level(peak, floor),
            AdlType::Backlog => true,
        }
    }

    /// Whether a backlog of `orders` outstanding liquidation orders, the oldest `oldest_ms`
    /// old, starts ADL.
    pub fn backlogged(&self, orders: u64, oldest_ms: i64) -> bool {
        orders >= self.backlog_orders && oldest_ms >= self.backlog_ms
    }

    /// Which trigger holds for a pool (the floor first, then the decline, then the backlog),
    /// or `None`.
    pub fn trigger(&self, balance: u64, peak: u64, floor: u64, backlog: bool) -> Option<AdlType> {
        if balance <= floor {
            Some(AdlType::Balance)
        } else if peak > 0 && balance <= self.decline_level(peak) {
            Some(AdlType::Rate)
        } else if backlog {
            Some(AdlType::Backlog)
        } else {
            None
        }
    }
}

/// One position's place in the ADL queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    /// The position.
    pub position: PositionId,
    /// Whose.
    pub account: AccountId,
    /// Its side.
    pub side: Side,
    /// 1-based rank within its side (1 = deleveraged first).
    pub rank: u32,
    /// The ranking score, × 10^8.
    pub score: i128,
    /// Unrealised PnL at the mark, settlement units.
    pub pnl: i128,
    /// PnL% × 10^8 (0.05 = 5 000 000).
    pub pnl_ratio: i128,
    /// Effective leverage × 10^8; `None` when the position is at or past bankruptcy (infinite).
    pub leverage: Option<i128>,
    /// Lights, 1–5 (5: in the top fifth of its side).
    pub quintile: u8,
}

const SCALE: i128 = 100_000_000;

fn score(c: &Contract, p: &Position, mark: Price) -> FundResult<(i128, i128, i128, Option<i128>)> {
    p.check()?;
    let pnl = p.pnl(c, mark)?;
    let entry_value = c.value(p.size, p.entry)?.abs().max(1);
    let mark_value = c.value(p.size, mark)?.abs();
    // Mark value − bankrupt value is the equity left before bankruptcy: cushion + PnL.
    let equity = i128::from(p.cushion()?) + pnl;
    let over = |what| FundError::Overflow { what };
    let ratio = pnl.checked_mul(SCALE).ok_or(over("PnL%"))? / entry_value;
    let leverage = if equity > 0 {
        Some(mark_value.checked_mul(SCALE).ok_or(over("leverage"))? / equity)
    } else {
        None
    };
    let s = match leverage {
        // A position past bankruptcy has infinite leverage: first in line when profitable
        // (it cannot be), last otherwise.
        None if ratio > 0 => i128::MAX,
        None => i128::MIN,
        Some(l) if ratio > 0 => ratio.checked_mul(l).ok_or(over("ADL score"))? / SCALE,
        Some(l) => ratio.checked_mul(SCALE).ok_or(over("ADL score"))? / l.max(1),
    };
    Ok((s, pnl, ratio, leverage))
}

/// Ranks `positions` at `mark`: longs then shorts, each highest score first (ties by position
/// id, so the order is reproducible), with ranks and quintiles within the side.
pub fn rank(c: &Contract, mark: Price, positions: &[Position]) -> FundResult<Vec<Ranked>> {
    c.check()?;
    let mut out = Vec::with_capacity(positions.len());
    for side in [Side::Long, Side::Short] {
        let mut ranked = Vec::new();
        for p in positions.iter().filter(|p| p.side == side) {
            let (score, pnl, pnl_ratio, leverage) = score(c, p, mark)?;
            ranked.push(Ranked {
                position: p.id.clone(),
                account: p.account.clone(),
                side,
                rank: 0,
                score,
                pnl,
                pnl_ratio,
                leverage,
                quintile: 0,
            });
        }
        ranked.sort_by(|a, b| b.score.cmp(&a.score).then(a.position.cmp(&b.position)));
        let n = ranked.len();
        for (i, r) in ranked.iter_mut().enumerate() {
            r.rank = u32::try_from(i + 1).unwrap_or(u32::MAX);
            r.quintile = 5 - (i * 5 / n) as u8;
        }
        out.extend(ranked);
    }
    Ok(out)
}

/// A position closed by ADL.
///
/// Fields are declared in alphabetical order, so the event payload is written once, already
/// canonical (one per liquidation, one per position closed: the hot path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleveraged {
    /// What closing there instead of at the fill cost it, settlement units.
    pub absorbed: u64,
    /// Whose.
    pub account: AccountId,
    /// The position.
    pub position: PositionId,
    /// The price they were closed at (the bankrupt position's bankruptcy price).
    pub price: Price,
    /// Its lights when it was chosen.
    pub quintile: u8,
    /// Its side.
    pub side: Side,
    /// Contracts closed.
    pub size: u64,
}

/// Closes opposing positions, highest ranked first, at `bp` (the bankrupt position's
/// bankruptcy price) until `needed` (settlement units) is absorbed. Each closed contract gives
/// up the difference between its PnL at `fill` (where the market took the bankrupt position)
/// and at `bp`. Returns the closures and what no candidate could absorb.
pub fn deleverage(
    c: &Contract,
    bankrupt: Side,
    bp: Price,
    fill: Price,
    mark: Price,
    needed: u64,
    candidates: &[Position],
) -> FundResult<(Vec<Deleveraged>, u64)> {
    let mut left = needed;
    let mut out = Vec::new();
    if left == 0 {
        return Ok((out, 0));
    }
    if let Some(p) = candidates.iter().find(|p| p.side == bankrupt) {
        return Err(FundError::SameSide {
            position: p.id.as_str().to_owned(),
        });
    }
    let ranked = rank(c, mark, candidates)?;
    // A liquidation names a handful of candidates: a scan finds one faster than a hash map
    // costs to build; long lists get the map.
    let by_id: Option<std::collections::HashMap<&PositionId, &Position>> =
        (candidates.len() > 32).then(|| candidates.iter().map(|p| (&p.id, p)).collect());
    for r in ranked {
        if left == 0 {
            break;
        }
        let found = match &by_id {
            Some(m) => m.get(&r.position).copied(),
            // The last of equal ids, as the map (later entries replace earlier) answers.
            None => candidates.iter().rev().find(|p| p.id == r.position),
        };
        // `rank` only returns the candidates it was given.
        let Some(p) = found else { continue };
        let give = |q: u64| -> FundResult<i128> {
            Ok(c.pnl(p.side, q, p.entry, fill)? - c.pnl(p.side, q, p.entry, bp)?)
        };
        let full = give(p.size)?;
        if full <= 0 {
            continue;
        }
        let want = i128::from(left);
        // The fewest contracts that absorb what is left (PnL is floored per call, so step up
        // from the proportional estimate).
        let mut q = if full <= want {
            p.size
        } else {
            let est = want * i128::from(p.size) / full;
            u64::try_from(est).unwrap_or(p.size).clamp(1, p.size)
        };
        while q < p.size && give(q)? < want {
            q += 1;
        }
        let absorbed = give(q)?.min(want);
        if absorbed <= 0 {
            continue;
        }
        let absorbed = absorbed as u64;
        left -= absorbed;
        out.push(Deleveraged {
            position: r.position,
            account: r.account,
            side: p.side,
            size: q,
            price: bp,
            absorbed,
            quintile: r.quintile,
        });
    }
    Ok((out, left))
}

#[cfg(test)]
mod tests {
    use custodia_primitives::Amount;

    use super::*;
    use crate::contract::ContractKind;

    fn linear() -> Contract {
        // 1 contract = 1 unit of the base, prices in whole units, settlement with 0 decimals:
        // PnL is simply size × price move, as in BitMEX's worked examples.
        Contract::new(ContractKind::Linear, 1, 0, 0, 0).unwrap()
    }

    fn pos(id: &str, side: Side, size: u64, entry: u64, margin: u64) -> Position {
        Position {
            id: PositionId::new(id).unwrap(),
            account: AccountId::new(format!("acct-{id}")).unwrap(),
            side,
            size,
            entry: Price::new("entry", entry).unwrap(),
            margin: Amount::new(margin).unwrap(),
            maintenance: Amount::ZERO,
            fees: Amount::ZERO,
        }
    }

    fn px(t: u64) -> Price {
        Price::new("price", t).unwrap()
    }

    #[test]
    fn ranking_by_hand() {
        // Mark 120. Long a: 10 @ 100, margin 100 → PnL 200, PnL% 0.2, equity 300,
        // leverage 1200/300 = 4 → score 0.8.
        // Long b: 10 @ 110, margin 20 → PnL 100, PnL% 100/1100 = 0.0909…, equity 120,
        // leverage 10 → score 0.909…
        // Long c: 10 @ 130, margin 200 → PnL −100, PnL% −0.0769…, equity 100, leverage 12
        // → score −0.0064…
        // Long d: 10 @ 120, margin 1200 → PnL 0, score 0.
        let ps = [
            pos("a", Side::Long, 10, 100, 100),
            pos("b", Side::Long, 10, 110, 20),
            pos("c", Side::Long, 10, 130, 200),
            pos("d", Side::Long, 10, 120, 1200),
            pos("s", Side::Short, 5, 150, 50),
        ];
        let r = rank(&linear(), px(120), &ps).unwrap();
        let order: Vec<&str> = r.iter().map(|x| x.position.as_str()).collect();
        assert_eq!(order, ["b", "a", "d", "c", "s"]);
        assert_eq!(r[0].score, 90_909_090);
        assert_eq!(r[1].score, 80_000_000);
        assert_eq!(r[1].leverage, Some(400_000_000));
        // c: PnL% −7 692 307 (truncated) ÷ leverage 12 → −641 025.
        assert_eq!(r[3].score, -641_025);
        // Quintiles over four longs: 5, 4, 3, 2; the lone short is 5.
        let q: Vec<u8> = r.iter().map(|x| x.quintile).collect();
        assert_eq!(q, [5, 4, 3, 2, 5]);
    }

    #[test]
    fn bitmex_worked_example() {
        // A short of 20 goes bankrupt at 650 and the market fills it at 660: 200 to absorb.
        // Six longs; the top-ranked holds 10 and is closed fully, the next closes 10 of 20.
        let ps = [
            pos("acct1", Side::Long, 10, 600, 6_000),
            pos("acct2", Side::Long, 10, 500, 500),
            pos("acct3", Side::Long, 10, 640, 6_400),
            pos("acct4", Side::Long, 10, 630, 6_300),
            pos("acct5", Side::Long, 20, 520, 2_000),
            pos("acct6", Side::Long, 10, 700, 7_000),
        ];
        let (done, left) =
            deleverage(&linear(), Side::Short, px(650), px(660), px(655), 200, &ps).unwrap();
        let got: Vec<(&str, u64, u64)> = done
            .iter()
            .map(|d| (d.position.as_str(), d.size, d.absorbed))
            .collect();
        assert_eq!(got, [("acct2", 10, 100), ("acct5", 10, 100)]);
        assert_eq!(left, 0);
        assert!(done.iter().all(|d| d.price == px(650)));
        // Twin: too few candidates leave the rest uncovered, and a same-side candidate is refused.
        let (_, left) = deleverage(
            &linear(),
            Side::Short,
            px(650),
            px(660),
            px(655),
            200,
            &ps[..1],
        )
        .unwrap();
        assert_eq!(left, 100);
        let same = [pos("x", Side::Short, 1, 600, 60)];
        assert!(matches!(
            deleverage(&linear(), Side::Short, px(650), px(660), px(655), 1, &same),
            Err(FundError::SameSide { .. })
        ));
    }

    #[test]
    fn long_candidate_lists_close_the_same_positions_as_short_ones() {
        // Up to 32 candidates are found by a scan, longer lists through a map: the worked
        // example padded with 40 losing longs (ranked below every profitable one) must close
        // exactly what the six alone close.
        let six = [
            pos("acct1", Side::Long, 10, 600, 6_000),
            pos("acct2", Side::Long, 10, 500, 500),
            pos("acct3", Side::Long, 10, 640, 6_400),
            pos("acct4", Side::Long, 10, 630, 6_300),
            pos("acct5", Side::Long, 20, 520, 2_000),
            pos("acct6", Side::Long, 10, 700, 7_000),
        ];
        let pads: Vec<Position> = (0..40)
            .map(|i| pos(&format!("pad{i}"), Side::Long, 10, 900, 9_000))
            .collect();
        let mut many = pads.clone();
        many.extend(six.iter().cloned());
        let run = |ps: &[Position]| {
            deleverage(&linear(), Side::Short, px(650), px(660), px(655), 200, ps).unwrap()
        };
        let (short, left_short) = run(&six);
        let (long, left_long) = run(&many);
        assert_eq!((&long, left_long), (&short, left_short));
        // Twin: only the 40 losing longs: the map finds them, and two of them (each gives up
        // 10 contracts × 10) absorb the 200.
        let (done, left) = run(&pads);
        assert_eq!(left, 0);
        assert_eq!(done.len(), 2);
        assert!(
            done.iter()
                .all(|d| d.position.as_str().starts_with("pad") && d.size == 10)
        );
        assert_ne!(done, short);
    }

    #[test]
    fn triggers() {
        let p = AdlPolicy::default();
        // Peak 1 000: the decline level is 700.
        assert_eq!(p.trigger(700, 1_000, 0, false), Some(AdlType::Rate));
        assert_eq!(p.trigger(701, 1_000, 0, false), None);
        assert_eq!(p.trigger(50, 1_000, 50, false), Some(AdlType::Balance));
        assert_eq!(p.trigger(900, 1_000, 50, true), Some(AdlType::Backlog));
        assert_eq!(p.protected(1_000, 800), 800);
        assert_eq!(p.protected(1_000, 100), 700);
        assert!(p.backlogged(1_000, 60_000));
        assert!(!p.backlogged(999, 60_000));
        assert!(!p.backlogged(1_000, 59_999));
        assert!(AdlPolicy { decline_bp: 0, ..p }.check().is_err());
    }

    #[test]
    fn episodes_end_past_the_release_level_and_not_before_the_minimum() {
        let p = AdlPolicy::default();
        // Peak 1 000, decline 30 %, release 5 %: starts at 700, ends at 750.
        assert_eq!(p.release_level(1_000, 0), 750);
        assert_eq!(p.release_level(1_000, 800), 850);
        let rate = (AdlType::Rate, 0);
        let later = p.min_episode_ms;
        assert!(p.ends(rate, later, 750, 1_000, 0, false));
        // Twins: one unit short of the release level, or a millisecond too soon, it goes on.
        assert!(!p.ends(rate, later, 749, 1_000, 0, false));
        assert!(!p.ends(rate, later - 1, 900, 1_000, 0, false));
        // A floor episode releases above the floor by the margin of the peak.
        let bal = (AdlType::Balance, 0);
        assert!(p.ends(bal, later, 850, 1_000, 800, false));
        assert!(!p.ends(bal, later, 849, 1_000, 800, false));
        // A backlog episode ends when the backlog clears, unless the balance holds it.
        let log = (AdlType::Backlog, 0);
        assert!(p.ends(log, later, 720, 1_000, 0, false));
        assert!(!p.ends(log, later, 720, 1_000, 0, true));
        assert!(!p.ends(log, later, 700, 1_000, 0, false));
        // Without hysteresis the old rule is back: one unit over the level ends it at once.
        let bare = AdlPolicy {
            release_bp: 0,
            min_episode_ms: 0,
            ..p
        };
        assert!(bare.ends(rate, 0, 701, 1_000, 0, false));
        // The release margin may not exceed the decline, nor the minimum be negative.
        assert!(
            AdlPolicy {
                release_bp: 3_001,
                ..p
            }
            .check()
            .is_err()
        );
        assert!(
            AdlPolicy {
                release_bp: 3_000,
                ..p
            }
            .check()
            .is_ok()
        );
        assert!(
            AdlPolicy {
                min_episode_ms: -1,
                ..p
            }
            .check()
            .is_err()
        );
    }
}
