//! A liquidation's settlement: where the fill leaves the position against its bankruptcy price.

use custodia_primitives::Amount;

use crate::contract::{Contract, Position, Price};
use crate::error::{FundError, FundResult};

/// What a liquidation comes to before the pool's share is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    /// The price at which the position's margin (less fees) is exactly lost; `None` if no price
    /// bankrupts it.
    pub bankruptcy_price: Option<Price>,
    /// Margin − fees + PnL at the fill: positive is left over, negative is owed.
    pub residual: i128,
    /// What goes into the pool (the residual when positive).
    pub surplus: Amount,
    /// What the pool (or ADL) must make good (minus the residual when negative).
    pub deficit: Amount,
}

/// Settles a liquidation: checks the position is at or below its maintenance margin at `mark`,
/// computes the bankruptcy price, and splits the residual at `fill` into surplus or deficit.
/// The trader loses the margin and no more: fees go to the platform, the rest to the pool, and
/// a shortfall is the pool's (or ADL's).
pub fn settle(c: &Contract, p: &Position, mark: Price, fill: Price) -> FundResult<Settlement> {
    c.check()?;
    p.check()?;
    let cushion = p.cushion()?;
    let equity = p.equity(c, mark)?;
    if equity > i128::from(p.maintenance.units()) {
        return Err(FundError::NotLiquidatable {
            equity,
            maintenance: p.maintenance.units(),
        });
    }
    let residual = i128::from(cushion) + p.pnl(c, fill)?;
    let part = |v: i128| {
        u64::try_from(v)
            .ok()
            .and_then(Amount::new)
            .ok_or(FundError::Overflow {
                what: "liquidation residual",
            })
    };
    Ok(Settlement {
        bankruptcy_price: p.bankruptcy_price(c)?,
        residual,
        surplus: part(residual.max(0))?,
        deficit: part((-residual).max(0))?,
    })
}

#[cfg(test)]
mod tests {
    use custodia_primitives::AccountId;

    use super::*;
    use crate::contract::{ContractKind, PositionId, Side};

    fn c() -> Contract {
        Contract::new(ContractKind::Linear, 1, 2, 1, 6).unwrap()
    }

    fn px(t: u64) -> Price {
        Price::new("p", t).unwrap()
    }

    fn long(margin: u64, mm: u64, fees: u64) -> Position {
        Position {
            id: PositionId::new("p1").unwrap(),
            account: AccountId::new("u1").unwrap(),
            side: Side::Long,
            size: 10,
            entry: px(600_000),
            margin: Amount::new(margin).unwrap(),
            maintenance: Amount::new(mm).unwrap(),
            fees: Amount::new(fees).unwrap(),
        }
    }

    /// (margin, mm, fees, mark, fill) → (bp, surplus, deficit), all by hand.
    fn check(p: Position, mark: u64, fill: u64, expect: (Option<u64>, u64, u64)) {
        let s = settle(&c(), &p, px(mark), px(fill)).unwrap();
        assert_eq!(
            (
                s.bankruptcy_price.map(Price::ticks),
                s.surplus.units(),
                s.deficit.units()
            ),
            expect
        );
    }

    #[test]
    fn surplus_and_deficit_by_hand() {
        // 0.1 BTC long @ 60 000, margin 600 USDT, fees 6: cushion 594, bp = 60 000 − 5 940.
        // Mark 54 400: equity 600 − 560 = 40 ≤ mm 50 → liquidatable.
        // Filled at 54 500: PnL −550 → 44 USDT surplus.
        let p = long(600_000_000, 50_000_000, 6_000_000);
        check(p.clone(), 544_000, 545_000, (Some(540_600), 44_000_000, 0));
        // Filled at 54 000: PnL −600 → 6 USDT deficit.
        check(p.clone(), 544_000, 540_000, (Some(540_600), 0, 6_000_000));
        // Filled exactly at bp: nothing either way.
        check(p, 544_000, 540_600, (Some(540_600), 0, 0));
    }

    #[test]
    fn refusals() {
        let p = long(600_000_000, 50_000_000, 6_000_000);
        // Mark 55 000: equity 100 > mm 50.
        assert!(matches!(
            settle(&c(), &p, px(550_000), px(545_000)),
            Err(FundError::NotLiquidatable { .. })
        ));
        let broke = long(1, 50_000_000, 2);
        assert!(matches!(
            settle(&c(), &broke, px(544_000), px(545_000)),
            Err(FundError::FeesExceedMargin { .. })
        ));
        let mut empty = long(600_000_000, 50_000_000, 0);
        empty.size = 0;
        assert!(matches!(
            settle(&c(), &empty, px(544_000), px(545_000)),
            Err(FundError::NotPositive { field: "size", .. })
        ));
    }
}
