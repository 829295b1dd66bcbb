//! Which pools exist. OKX keeps one risk provision pool per business line, and within a line one
//! per underlying and settlement currency (coin-margined and USDT-margined apart, every expiry of
//! one underlying together); margin trading has one pool per currency. The platform safety fund
//! sits beside them, one pool per currency.

use core::fmt;
use core::str::FromStr;

use custodia_primitives::Amount;
use serde::{Deserialize, Serialize};

use crate::error::{FundError, truncated};

/// The business line a pool insures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusinessLine {
    /// Margin trading: one pool per currency.
    Margin,
    /// Expiry futures: per underlying and settlement currency.
    Futures,
    /// Perpetual swaps: per underlying and settlement currency.
    Swap,
    /// Options: per underlying.
    Option,
    /// The platform safety fund (SAFU-like), per currency.
    Safety,
}

impl BusinessLine {
    /// Every line, in a fixed order.
    pub const ALL: [BusinessLine; 5] = [
        Self::Margin,
        Self::Futures,
        Self::Swap,
        Self::Option,
        Self::Safety,
    ];

    /// The lowercase name used in pool ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Margin => "margin",
            Self::Futures => "futures",
            Self::Swap => "swap",
            Self::Option => "option",
            Self::Safety => "safety",
        }
    }

    /// OKX's `instType` (`MARGIN`, `FUTURES`, `SWAP`, `OPTION`; the safety fund is `SAFETY`).
    pub fn inst_type(self) -> &'static str {
        match self {
            Self::Margin => "MARGIN",
            Self::Futures => "FUTURES",
            Self::Swap => "SWAP",
            Self::Option => "OPTION",
            Self::Safety => "SAFETY",
        }
    }

    /// The line named by an OKX `instType` (case-insensitive) or a pool-id prefix.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s) || l.inst_type().eq_ignore_ascii_case(s))
    }

    /// Whether pools of this line are per underlying (instrument family) as well as currency.
    pub fn has_family(self) -> bool {
        matches!(self, Self::Futures | Self::Swap | Self::Option)
    }
}

fn symbol_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 16
        && s.bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A pool: `<line>:<BASE-QUOTE>:<CCY>` for futures, swaps and options (`swap:BTC-USDT:USDT`,
/// `futures:BTC-USD:BTC`), `<line>:<CCY>` for margin and the safety fund (`margin:BTC`,
/// `safety:USDT`). Symbols are 1–16 of `A-Z 0-9`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoolId {
    line: BusinessLine,
    family: Option<String>,
    ccy: String,
    text: String,
}

impl PoolId {
    /// Builds a pool id from its parts.
    pub fn new(line: BusinessLine, family: Option<&str>, ccy: &str) -> Result<Self, FundError> {
        let text = match family {
            Some(f) => format!("{}:{f}:{ccy}", line.as_str()),
            None => format!("{}:{ccy}", line.as_str()),
        };
        let bad = |why| FundError::InvalidPool {
            text: truncated(&text),
            why,
        };
        if !symbol_ok(ccy) {
            return Err(bad("currency must be 1-16 of A-Z 0-9"));
        }
        match (line.has_family(), family) {
            (true, None) => return Err(bad("futures, swap and option pools name an underlying")),
            (false, Some(_)) => return Err(bad("margin and safety pools are per currency only")),
            (true, Some(f)) => {
                let mut parts = f.split('-');
                let (Some(base), Some(quote), None) = (parts.next(), parts.next(), parts.next())
                else {
                    return Err(bad("underlying must be BASE-QUOTE"));
                };
                if !symbol_ok(base) || !symbol_ok(quote) {
                    return Err(bad("underlying symbols must be 1-16 of A-Z 0-9"));
                }
            }
            (false, None) => {}
        }
        Ok(Self {
            line,
            family: family.map(str::to_owned),
            ccy: ccy.to_owned(),
            text,
        })
    }

    /// The business line.
    pub fn line(&self) -> BusinessLine {
        self.line
    }

    /// The instrument family (`BTC-USDT`), for futures, swaps and options.
    pub fn family(&self) -> Option<&str> {
        self.family.as_deref()
    }

    /// The settlement currency the pool holds.
    pub fn ccy(&self) -> &str {
        &self.ccy
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for PoolId {
    type Err = FundError;

    fn from_str(s: &str) -> Result<Self, FundError> {
        let bad = |why| FundError::InvalidPool {
            text: truncated(s),
            why,
        };
        let mut parts = s.split(':');
        let line = parts.next().unwrap_or_default();
        let line = BusinessLine::ALL
            .into_iter()
            .find(|l| l.as_str() == line)
            .ok_or_else(|| bad("line must be margin, futures, swap, option or safety"))?;
        match (parts.next(), parts.next(), parts.next()) {
            (Some(ccy), None, _) => Self::new(line, None, ccy),
            (Some(family), Some(ccy), None) => Self::new(line, Some(family), ccy),
            _ => Err(bad("expected <line>:<CCY> or <line>:<BASE-QUOTE>:<CCY>")),
        }
    }
}

impl fmt::Display for PoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for PoolId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for PoolId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A configured pool: its id, the ledger precision of its currency, and the floor under which
/// auto-deleveraging starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSpec {
    /// The pool.
    pub id: PoolId,
    /// Decimals of the currency's smallest unit (as in the asset registry).
    pub decimals: u8,
    /// Balance below which the pool stops covering deficits and ADL begins (`bal_adl_start`).
    pub floor: Amount,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: Result<(BusinessLine, Option<&str>, &str), &str>) {
        match (text.parse::<PoolId>(), expect) {
            (Ok(p), Ok((line, family, ccy))) => {
                assert_eq!(
                    (p.line(), p.family(), p.ccy()),
                    (line, family, ccy),
                    "{text}"
                );
                assert_eq!(p.as_str(), text);
            }
            (Err(FundError::InvalidPool { why, .. }), Err(want)) => {
                assert!(why.contains(want), "{text}: {why}")
            }
            (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn pool_ids_parse_per_line() {
        use BusinessLine::*;
        check("swap:BTC-USDT:USDT", Ok((Swap, Some("BTC-USDT"), "USDT")));
        check("futures:BTC-USD:BTC", Ok((Futures, Some("BTC-USD"), "BTC")));
        check("option:ETH-USD:ETH", Ok((Option, Some("ETH-USD"), "ETH")));
        check("margin:USDT", Ok((Margin, None, "USDT")));
        check("safety:USDT", Ok((Safety, None, "USDT")));
        // Negative twins.
        check("swap:USDT", Err("name an underlying"));
        check("margin:BTC-USDT:USDT", Err("per currency only"));
        check("perp:BTC-USDT:USDT", Err("line must be"));
        check("swap:BTCUSDT:USDT", Err("BASE-QUOTE"));
        check("swap:btc-usdt:USDT", Err("1-16 of A-Z"));
        check("margin:", Err("currency must be"));
        check("swap:BTC-USDT:USDT:X", Err("expected"));
    }

    #[test]
    fn lines_parse_from_okx_inst_types() {
        assert_eq!(BusinessLine::parse("SWAP"), Some(BusinessLine::Swap));
        assert_eq!(BusinessLine::parse("margin"), Some(BusinessLine::Margin));
        assert_eq!(BusinessLine::parse("PERP"), None);
    }
}
