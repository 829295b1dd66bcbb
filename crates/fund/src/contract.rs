//! Contracts, positions and their exact integer PnL; the bankruptcy price.
//!
//! A price is a count of ticks at the contract's `price_scale` (65 000.5 at scale 1 is
//! `650_005`). Money is in the settlement currency's smallest unit. Every result is rounded
//! against the trader (PnL floored), so the fund never pays for rounding.

use core::fmt;

use custodia_primitives::{AccountId, Amount};
use serde::{Deserialize, Serialize};

use crate::error::{FundError, FundResult, truncated};

/// Long or short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Gains when the price rises.
    Long,
    /// Gains when the price falls.
    Short,
}

impl Side {
    /// The other side.
    pub fn opposite(self) -> Self {
        match self {
            Self::Long => Self::Short,
            Self::Short => Self::Long,
        }
    }

    fn sign(self) -> i128 {
        match self {
            Self::Long => 1,
            Self::Short => -1,
        }
    }

    /// `long` or `short`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Long => "long",
            Self::Short => "short",
        }
    }
}

/// How a contract's value follows the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractKind {
    /// USDT-margined: a contract is `ct_val` of the base asset, settled in the quote currency;
    /// value = size × ct_val × price.
    Linear,
    /// Coin-margined: a contract is `ct_val` of the quote currency (USD), settled in the base
    /// coin; value = size × ct_val / price.
    Inverse,
}

/// A price in ticks of the contract's scale; positive and below 2^62.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Price(u64);

impl Price {
    /// A price of `ticks`; zero and values of 2^62 or more are refused.
    pub fn new(field: &'static str, ticks: u64) -> FundResult<Self> {
        if ticks == 0 {
            return Err(FundError::NotPositive { field, got: 0 });
        }
        if Amount::new(ticks).is_none() {
            return Err(FundError::OutOfRange {
                field,
                why: "a price is below 2^62 ticks".into(),
            });
        }
        Ok(Self(ticks))
    }

    /// The ticks.
    pub fn ticks(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The contract a position is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    /// Linear or inverse.
    pub kind: ContractKind,
    /// Face value of one contract, as an integer at `ct_val_scale` (0.01 BTC: 1 at scale 2).
    pub ct_val: u64,
    /// Decimals of `ct_val`.
    pub ct_val_scale: u8,
    /// Decimals of prices.
    pub price_scale: u8,
    /// Decimals of the settlement currency's smallest unit.
    pub settle_decimals: u8,
}

fn pow10(n: u32) -> i128 {
    10i128.pow(n)
}

fn mul(a: i128, b: i128, what: &'static str) -> FundResult<i128> {
    a.checked_mul(b).ok_or(FundError::Overflow { what })
}

/// Floor division for a positive divisor.
fn floor_div(a: i128, b: i128) -> i128 {
    a.div_euclid(b)
}

fn ceil_div(a: i128, b: i128) -> i128 {
    -(-a).div_euclid(b)
}

impl Contract {
    /// A contract, checking the scales (each at most 18) and a positive face value.
    pub fn new(
        kind: ContractKind,
        ct_val: u64,
        ct_val_scale: u8,
        price_scale: u8,
        settle_decimals: u8,
    ) -> FundResult<Self> {
        let c = Self {
            kind,
            ct_val,
            ct_val_scale,
            price_scale,
            settle_decimals,
        };
        c.check()?;
        Ok(c)
    }

    /// Checks a contract built by hand (as [`Contract::new`] does).
    pub fn check(&self) -> FundResult<()> {
        if self.ct_val == 0 {
            return Err(FundError::NotPositive {
                field: "ct_val",
                got: 0,
            });
        }
        for (field, s) in [
            ("ct_val_scale", self.ct_val_scale),
            ("price_scale", self.price_scale),
            ("settle_decimals", self.settle_decimals),
        ] {
            if s > 18 {
                return Err(FundError::OutOfRange {
                    field,
                    why: format!("at most 18, got {s}"),
                });
            }
        }
        Ok(())
    }

    /// Linear: (size × ct_val × 10^settle, 10^(ct_val_scale + price_scale)) so that
    /// value = num × price / den. Inverse: (size × ct_val × 10^(settle + price_scale),
    /// 10^ct_val_scale) so that value = num / (den × price).
    fn factors(&self, size: u64) -> FundResult<(i128, i128)> {
        let base = mul(i128::from(size), i128::from(self.ct_val), "contract value")?;
        Ok(match self.kind {
            ContractKind::Linear => (
                mul(base, pow10(self.settle_decimals.into()), "contract value")?,
                pow10(u32::from(self.ct_val_scale) + u32::from(self.price_scale)),
            ),
            ContractKind::Inverse => (
                mul(
                    base,
                    pow10(u32::from(self.settle_decimals) + u32::from(self.price_scale)),
                    "contract value",
                )?,
                pow10(self.ct_val_scale.into()),
            ),
        })
    }

    /// The notional of `size` contracts at `price`, in settlement units (floored).
    pub fn value(&self, size: u64, price: Price) -> FundResult<i128> {
        let (num, den) = self.factors(size)?;
        let p = i128::from(price.0);
        Ok(match self.kind {
            ContractKind::Linear => floor_div(mul(num, p, "notional")?, den),
            ContractKind::Inverse => floor_div(num, mul(den, p, "notional")?),
        })
    }

    /// The PnL of `size` contracts on `side` opened at `entry` and closed at `exit`, in
    /// settlement units, floored (rounded against the trader).
    pub fn pnl(&self, side: Side, size: u64, entry: Price, exit: Price) -> FundResult<i128> {
        let (num, den) = self.factors(size)?;
        let (e, x) = (i128::from(entry.0), i128::from(exit.0));
        let moved = side.sign() * (x - e);
        Ok(match self.kind {
            ContractKind::Linear => floor_div(mul(num, moved, "pnl")?, den),
            ContractKind::Inverse => {
                let d = mul(mul(den, e, "pnl")?, x, "pnl")?;
                floor_div(mul(num, moved, "pnl")?, d)
            }
        })
    }

    /// The bankruptcy price of `size` contracts on `side` opened at `entry` with `cushion`
    /// (margin less closing fees, ≥ 0) to lose: the worst price at which the cushion plus the
    /// PnL is still ≥ 0 (the lowest such price for a long, the highest for a short). `None`
    /// when no price bankrupts the position (a long with leverage ≤ 1, an inverse short with
    /// cushion enough for any rise).
    pub fn bankruptcy_price(
        &self,
        side: Side,
        size: u64,
        entry: Price,
        cushion: u64,
    ) -> FundResult<Option<Price>> {
        let (num, den) = self.factors(size)?;
        let e = i128::from(entry.0);
        let m = i128::from(cushion);
        // Derivations (x = the PnL before flooring; floor(x) ≥ −m ⇔ x ≥ −m for integer m):
        // linear long  num(p − e)/den ≥ −m  ⇔ p ≥ e − m·den/num
        // linear short num(e − p)/den ≥ −m  ⇔ p ≤ e + m·den/num
        // inverse long  num(p − e) ≥ −m·den·e·p ⇔ p ≥ num·e / (num + m·den·e)
        // inverse short num(e − p) ≥ −m·den·e·p ⇔ p·(num − m·den·e) ≤ num·e
        let p = match (self.kind, side) {
            (ContractKind::Linear, Side::Long) => {
                e - floor_div(mul(m, den, "bankruptcy price")?, num)
            }
            (ContractKind::Linear, Side::Short) => {
                e + floor_div(mul(m, den, "bankruptcy price")?, num)
            }
            (ContractKind::Inverse, Side::Long) => {
                let d = num + mul(mul(m, den, "bankruptcy price")?, e, "bankruptcy price")?;
                ceil_div(mul(num, e, "bankruptcy price")?, d)
            }
            (ContractKind::Inverse, Side::Short) => {
                let d = num - mul(mul(m, den, "bankruptcy price")?, e, "bankruptcy price")?;
                if d <= 0 {
                    return Ok(None);
                }
                floor_div(mul(num, e, "bankruptcy price")?, d)
            }
        };
        if p <= 0 {
            return Ok(None);
        }
        let ticks = u64::try_from(p).map_err(|_| FundError::Overflow {
            what: "bankruptcy price",
        })?;
        Price::new("bankruptcy price", ticks)
            .map(Some)
            .map_err(|_| FundError::Overflow {
                what: "bankruptcy price",
            })
    }
}

/// A position id as the trading engine names it: 1–64 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct PositionId(String);

// Written as its text without the copy `into = "String"` would make: ids are serialised on
// hot paths (the fund's operation fingerprints and events carry several per operation).
impl serde::Serialize for PositionId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl PositionId {
    /// Validates an id.
    pub fn new(s: impl Into<String>) -> FundResult<Self> {
        let s = s.into();
        check_id("position id", &s)?;
        Ok(Self(s))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PositionId {
    type Error = FundError;
    fn try_from(s: String) -> FundResult<Self> {
        Self::new(s)
    }
}

impl From<PositionId> for String {
    fn from(p: PositionId) -> String {
        p.0
    }
}

pub(crate) fn check_id(field: &'static str, s: &str) -> FundResult<()> {
    let why = if s.is_empty() {
        Some("empty")
    } else if s.len() > 64 {
        Some("longer than 64 bytes")
    } else if !s.bytes().all(|c| c.is_ascii_graphic()) {
        Some("only printable ASCII without spaces")
    } else {
        None
    };
    match why {
        Some(why) => Err(FundError::InvalidId {
            field,
            text: truncated(s),
            why,
        }),
        None => Ok(()),
    }
}

/// An isolated position, as the trading engine reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Position {
    /// The engine's id.
    pub id: PositionId,
    /// Whose.
    pub account: AccountId,
    /// Long or short.
    pub side: Side,
    /// Contracts held (> 0).
    pub size: u64,
    /// Average entry price.
    pub entry: Price,
    /// Margin allocated to the position (settlement units).
    pub margin: Amount,
    /// Maintenance margin required at the mark (settlement units).
    pub maintenance: Amount,
    /// Fees to close it (settlement units; the platform's, not the fund's).
    pub fees: Amount,
}

impl Position {
    /// Checks the size (the rest is held by the types).
    pub fn check(&self) -> FundResult<()> {
        if self.size == 0 {
            return Err(FundError::NotPositive {
                field: "size",
                got: 0,
            });
        }
        if Amount::new(self.size).is_none() {
            return Err(FundError::OutOfRange {
                field: "size",
                why: "below 2^62 contracts".into(),
            });
        }
        Ok(())
    }

    /// Margin less fees: what the position can lose before it is bankrupt.
    pub fn cushion(&self) -> FundResult<u64> {
        self.margin
            .units()
            .checked_sub(self.fees.units())
            .ok_or(FundError::FeesExceedMargin {
                margin: self.margin.units(),
                fees: self.fees.units(),
            })
    }

    /// Unrealised PnL at `price`.
    pub fn pnl(&self, c: &Contract, price: Price) -> FundResult<i128> {
        c.pnl(self.side, self.size, self.entry, price)
    }

    /// Margin plus unrealised PnL at `price` (fees not deducted): what the liquidation check
    /// compares with the maintenance margin.
    pub fn equity(&self, c: &Contract, price: Price) -> FundResult<i128> {
        Ok(i128::from(self.margin.units()) + self.pnl(c, price)?)
    }

    /// The bankruptcy price (see [`Contract::bankruptcy_price`]).
    pub fn bankruptcy_price(&self, c: &Contract) -> FundResult<Option<Price>> {
        c.bankruptcy_price(self.side, self.size, self.entry, self.cushion()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linear() -> Contract {
        // BTC-USDT swap: 0.01 BTC per contract, prices to 0.1, USDT with 6 decimals.
        Contract::new(ContractKind::Linear, 1, 2, 1, 6).unwrap()
    }

    fn inverse() -> Contract {
        // BTC-USD coin-margined: 100 USD per contract, prices to 0.1, BTC with 8 decimals.
        Contract::new(ContractKind::Inverse, 100, 0, 1, 8).unwrap()
    }

    fn px(t: u64) -> Price {
        Price::new("price", t).unwrap()
    }

    /// (contract, side, size, entry, cushion) → bankruptcy price, computed by hand.
    fn check(c: Contract, side: Side, size: u64, entry: u64, cushion: u64, expect: Option<u64>) {
        let got = c
            .bankruptcy_price(side, size, px(entry), cushion)
            .unwrap()
            .map(Price::ticks);
        assert_eq!(got, expect, "{side:?} {size} @ {entry} cushion {cushion}");
        if let Some(bp) = got {
            // At the bankruptcy price the cushion still covers the loss; one tick worse it
            // does not (or the PnL is flat at tick granularity).
            let eq = |p| i128::from(cushion) + c.pnl(side, size, px(entry), px(p)).unwrap();
            assert!(eq(bp) >= 0, "equity at bp");
            let worse = match side {
                Side::Long => bp - 1,
                Side::Short => bp + 1,
            };
            if worse > 0 {
                assert!(eq(worse) < 0, "one tick past bp must be bankrupt");
            }
        }
    }

    #[test]
    fn bankruptcy_prices_by_hand() {
        // 10 contracts = 0.1 BTC long at 60 000.0 with 600 USDT: loses 600 at 54 000.0.
        check(
            linear(),
            Side::Long,
            10,
            600_000,
            600_000_000,
            Some(540_000),
        );
        // The same short: bankrupt at 66 000.0.
        check(
            linear(),
            Side::Short,
            10,
            600_000,
            600_000_000,
            Some(660_000),
        );
        // 1× long (cushion = notional 6 000 USDT): never bankrupt.
        check(linear(), Side::Long, 10, 600_000, 6_000_000_000, None);
        // Cushion of 1 unit on 0.1 BTC: the price may move 0.00001, less than a tick; bp stays
        // at the entry for a long… and a short.
        check(linear(), Side::Long, 10, 600_000, 1, Some(600_000));
        check(linear(), Side::Short, 10, 600_000, 1, Some(600_000));
        // Inverse: 100 contracts = 10 000 USD long at 50 000.0 with 0.02 BTC (10× leverage):
        // 10 000/p − 10 000/50 000 = −0.02 ⇒ p = 10 000 / 0.22 = 45 454.54… ⇒ ceil to 45 454.6.
        check(
            inverse(),
            Side::Long,
            100,
            500_000,
            2_000_000,
            Some(454_546),
        );
        // Short: 10 000/50 000 − 10 000/p = −0.02 ⇒ p = 10 000 / 0.18 = 55 555.55… ⇒ floor.
        check(
            inverse(),
            Side::Short,
            100,
            500_000,
            2_000_000,
            Some(555_555),
        );
        // An inverse short holding its whole notional in coin never goes bankrupt.
        check(inverse(), Side::Short, 100, 500_000, 20_000_000, None);
    }

    #[test]
    fn pnl_is_floored_against_the_trader() {
        let c = linear();
        // 1 contract = 0.01 BTC; a 0.1 move is 0.001 USDT = 1 000 units.
        assert_eq!(c.pnl(Side::Long, 1, px(10), px(11)).unwrap(), 1_000);
        assert_eq!(c.pnl(Side::Short, 1, px(10), px(11)).unwrap(), -1_000);
        let inv = inverse();
        // 100 USD long from 10 000.0 to 20 000.0: 0.01 − 0.005 = 0.005 BTC.
        assert_eq!(
            inv.pnl(Side::Long, 1, px(100_000), px(200_000)).unwrap(),
            500_000
        );
        // 100 USD long from 30 000.0 to 20 000.0: 1/300 − 1/200 = −0.001666… ⇒ floored.
        assert_eq!(
            inv.pnl(Side::Long, 1, px(300_000), px(200_000)).unwrap(),
            -166_667
        );
    }

    #[test]
    fn bad_contracts_and_prices_are_refused() {
        assert!(matches!(
            Contract::new(ContractKind::Linear, 0, 2, 1, 6),
            Err(FundError::NotPositive {
                field: "ct_val",
                ..
            })
        ));
        assert!(matches!(
            Contract::new(ContractKind::Linear, 1, 19, 1, 6),
            Err(FundError::OutOfRange {
                field: "ct_val_scale",
                ..
            })
        ));
        assert!(matches!(
            Price::new("fill", 0),
            Err(FundError::NotPositive { field: "fill", .. })
        ));
        assert!(Price::new("fill", 1 << 62).is_err());
        // Overflow is an error, not a wrap.
        let huge = Contract::new(ContractKind::Linear, u64::MAX, 0, 0, 18).unwrap();
        assert!(matches!(
            huge.pnl(Side::Long, (1 << 62) - 1, px(1), px((1 << 62) - 1)),
            Err(FundError::Overflow { .. })
        ));
    }

    #[test]
    fn position_ids_are_checked() {
        assert!(PositionId::new("pos-1").is_ok());
        assert!(PositionId::new("").is_err());
        assert!(PositionId::new("a b").is_err());
        assert!(PositionId::new("x".repeat(65)).is_err());
    }
}
