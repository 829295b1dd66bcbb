use core::fmt;

use serde::{Deserialize, Serialize};

use crate::AmountError;

/// A non-negative quantity of one asset, in the asset's smallest unit, strictly below
/// 2^[`Amount::BITS`].
///
/// The bound is the range every balance is proven to lie in by the proof of reserves; holding it
/// in the type means a value that would fail the proof cannot be built in the first place.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct Amount(u64);

impl Amount {
    /// Number of bits an amount may use: every amount is `< 2^BITS`.
    pub const BITS: u32 = 62;
    /// Zero.
    pub const ZERO: Self = Self(0);
    /// The largest representable amount, `2^62 - 1`.
    pub const MAX: Self = Self((1 << Self::BITS) - 1);
    /// Largest number of decimals an asset may declare.
    pub const MAX_DECIMALS: u8 = 18;

    /// Builds an amount from smallest units, or `None` if it is `>= 2^62`.
    pub const fn new(units: u64) -> Option<Self> {
        if units <= Self::MAX.0 {
            Some(Self(units))
        } else {
            None
        }
    }

    /// The value in smallest units.
    pub const fn units(self) -> u64 {
        self.0
    }

    /// Whether the amount is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + rhs`, or `None` if the sum reaches 2^62.
    pub const fn checked_add(self, rhs: Self) -> Option<Self> {
        Self::new(self.0 + rhs.0) // cannot overflow u64: both are < 2^62
    }

    /// `self - rhs`, or `None` if it would be negative.
    pub const fn checked_sub(self, rhs: Self) -> Option<Self> {
        match self.0.checked_sub(rhs.0) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// Parses an exact decimal string with at most `decimals` fractional digits.
    ///
    /// Accepted: `"12"`, `"12.5"`, `"0.00000001"`, `".5"`, `"5."`, and leading zeros. Rejected with a
    /// specific [`AmountError`]: a sign, an exponent, any other character, more fractional
    /// digits than `decimals`, a value `>= 2^62` smallest units. Trailing fractional zeros beyond
    /// the asset's decimals are still "too many decimals": an input that claims more precision than
    /// the ledger has is a data error worth seeing.
    pub fn parse(s: &str, decimals: u8) -> Result<Self, AmountError> {
        Self::parse_bytes(s.as_bytes(), decimals).map_err(|kind| kind.into_error(s, decimals))
    }

    /// Byte-slice form of [`Amount::parse`] for hot ingestion loops: returns a cheap error kind
    /// that the caller turns into an [`AmountError`] only when it reports.
    pub fn parse_bytes(s: &[u8], decimals: u8) -> Result<Self, AmountErrorKind> {
        if s.is_empty() {
            return Err(AmountErrorKind::Empty);
        }
        match s[0] {
            b'-' => return Err(AmountErrorKind::Negative),
            b'+' => return Err(AmountErrorKind::Malformed),
            _ => {}
        }
        let mut int: u64 = 0;
        let mut frac_digits: usize = 0;
        let mut seen_point = false;
        let mut digits = 0usize;
        for &b in s {
            match b {
                b'0'..=b'9' => {
                    digits += 1;
                    if seen_point {
                        frac_digits += 1;
                        if frac_digits > usize::from(decimals) {
                            return Err(AmountErrorKind::TooManyDecimals);
                        }
                    }
                    int = int
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u64::from(b - b'0')))
                        .ok_or(AmountErrorKind::Overflow)?;
                }
                b'.' if !seen_point => seen_point = true,
                b'e' | b'E' => return Err(AmountErrorKind::Exponent),
                _ => return Err(AmountErrorKind::Malformed),
            }
        }
        if digits == 0 {
            return Err(AmountErrorKind::Malformed);
        }
        let scale = 10u64
            .checked_pow(u32::from(decimals) - frac_digits as u32)
            .ok_or(AmountErrorKind::Overflow)?;
        let units = int.checked_mul(scale).ok_or(AmountErrorKind::Overflow)?;
        Self::new(units).ok_or(AmountErrorKind::Overflow)
    }

    /// Formats the amount as an exact decimal with the asset's decimals, trimming trailing
    /// fractional zeros (`"0.5"`, `"120"`).
    pub fn to_decimal(self, decimals: u8) -> String {
        format_units(u128::from(self.0), decimals)
    }
}

/// Cheap classification of a parse failure; see [`Amount::parse_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountErrorKind {
    /// Empty input.
    Empty,
    /// Leading minus sign.
    Negative,
    /// Exponent notation.
    Exponent,
    /// Other bad character or no digit at all.
    Malformed,
    /// Too many fractional digits.
    TooManyDecimals,
    /// `>= 2^62` smallest units.
    Overflow,
}

impl AmountErrorKind {
    /// The full error for the input `s` parsed at `decimals`.
    pub fn into_error(self, s: &str, decimals: u8) -> AmountError {
        let value = s.to_owned();
        match self {
            Self::Empty => AmountError::Empty,
            Self::Negative => AmountError::Negative(value),
            Self::Exponent => AmountError::Exponent(value),
            Self::Malformed => AmountError::Malformed(value),
            Self::TooManyDecimals => {
                let got = s.split_once('.').map_or(0, |(_, f)| f.len());
                AmountError::TooManyDecimals {
                    value,
                    got,
                    max: decimals,
                }
            }
            Self::Overflow => AmountError::Overflow(value),
        }
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({})", self.0)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl TryFrom<u64> for Amount {
    type Error = AmountError;
    fn try_from(v: u64) -> Result<Self, Self::Error> {
        Self::new(v).ok_or_else(|| AmountError::Overflow(v.to_string()))
    }
}

impl From<Amount> for u64 {
    fn from(a: Amount) -> u64 {
        a.0
    }
}

/// A sum of many [`Amount`]s (per-asset totals over all users). At most 2^32 amounts below
/// 2^62 are ever added, so a `u128` cannot overflow; the checked operations still refuse it.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Total(u128);

impl Total {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// Builds a total from smallest units.
    pub const fn from_units(units: u128) -> Self {
        Self(units)
    }

    /// The value in smallest units.
    pub const fn units(self) -> u128 {
        self.0
    }

    /// Adds one amount; `None` only if the `u128` would overflow.
    pub fn checked_add(self, a: Amount) -> Option<Self> {
        self.0.checked_add(u128::from(a.0)).map(Self)
    }

    /// Adds another total; `None` on overflow.
    pub fn checked_add_total(self, t: Self) -> Option<Self> {
        self.0.checked_add(t.0).map(Self)
    }

    /// Exact decimal rendering with the asset's decimals.
    pub fn to_decimal(self, decimals: u8) -> String {
        format_units(self.0, decimals)
    }
}

impl fmt::Debug for Total {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Total({})", self.0)
    }
}

impl fmt::Display for Total {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

// Totals travel as decimal strings in JSON: a u128 does not survive JavaScript's numbers.
impl Serialize for Total {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Total {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(serde::de::Error::custom(format!(
                "total `{s}` is not a decimal integer"
            )));
        }
        s.parse::<u128>()
            .map(Self)
            .map_err(|_| serde::de::Error::custom(format!("total `{s}` overflows 128 bits")))
    }
}

fn format_units(units: u128, decimals: u8) -> String {
    let scale = 10u128.pow(u32::from(decimals));
    let int = units / scale;
    let frac = units % scale;
    if frac == 0 {
        return int.to_string();
    }
    let mut frac = format!("{frac:0width$}", width = usize::from(decimals));
    while frac.ends_with('0') {
        frac.pop();
    }
    format!("{int}.{frac}")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn check(input: &str, decimals: u8, expect: Result<u64, AmountError>) {
        assert_eq!(
            Amount::parse(input, decimals).map(Amount::units),
            expect,
            "input {input:?}"
        );
    }

    #[test]
    fn parses_exact_decimals() {
        check("0", 8, Ok(0));
        check("1", 8, Ok(100_000_000));
        check("0.5", 8, Ok(50_000_000));
        check("0.00000001", 8, Ok(1));
        check(".5", 2, Ok(50));
        check("5.", 2, Ok(500));
        check("007.10", 2, Ok(710));
        check("4611686018427387903", 0, Ok((1 << 62) - 1));
    }

    #[test]
    fn rejects_bad_amounts_with_specific_errors() {
        check("", 8, Err(AmountError::Empty));
        check("-1", 8, Err(AmountError::Negative("-1".into())));
        check("-0", 8, Err(AmountError::Negative("-0".into())));
        check("+1", 8, Err(AmountError::Malformed("+1".into())));
        check("1e8", 8, Err(AmountError::Exponent("1e8".into())));
        check("1E8", 8, Err(AmountError::Exponent("1E8".into())));
        check("1.2.3", 8, Err(AmountError::Malformed("1.2.3".into())));
        check(".", 8, Err(AmountError::Malformed(".".into())));
        check("1 000", 8, Err(AmountError::Malformed("1 000".into())));
        check("0x10", 8, Err(AmountError::Malformed("0x10".into())));
        check("NaN", 8, Err(AmountError::Malformed("NaN".into())));
        check(
            "0.123",
            2,
            Err(AmountError::TooManyDecimals {
                value: "0.123".into(),
                got: 3,
                max: 2,
            }),
        );
        check(
            "1.0",
            0,
            Err(AmountError::TooManyDecimals {
                value: "1.0".into(),
                got: 1,
                max: 0,
            }),
        );
        check(
            "4611686018427387904",
            0,
            Err(AmountError::Overflow("4611686018427387904".into())),
        );
        check(
            "46116860184.27387904",
            8,
            Err(AmountError::Overflow("46116860184.27387904".into())),
        );
        check(
            "99999999999999999999999",
            0,
            Err(AmountError::Overflow("99999999999999999999999".into())),
        );
    }

    #[test]
    fn checked_arithmetic_respects_the_bound() {
        assert_eq!(Amount::MAX.checked_add(Amount::new(1).unwrap()), None);
        assert_eq!(Amount::ZERO.checked_sub(Amount::new(1).unwrap()), None);
        assert_eq!(Amount::new(1 << 62), None);
        assert_eq!(
            Amount::try_from(1u64 << 62),
            Err(AmountError::Overflow((1u64 << 62).to_string()))
        );
        let t = Total::ZERO
            .checked_add(Amount::MAX)
            .unwrap()
            .checked_add(Amount::MAX)
            .unwrap();
        assert_eq!(t.units(), 2 * ((1u128 << 62) - 1));
    }

    #[test]
    fn total_json_is_a_string() {
        let t = Total::from_units(u128::from(u64::MAX) * 3);
        let j = serde_json::to_string(&t).unwrap();
        assert_eq!(j, format!("\"{}\"", u128::from(u64::MAX) * 3));
        assert_eq!(serde_json::from_str::<Total>(&j).unwrap(), t);
        assert!(serde_json::from_str::<Total>("\"-1\"").is_err());
        assert!(serde_json::from_str::<Total>("\"1e3\"").is_err());
    }

    proptest! {
        #[test]
        fn decimal_round_trip(units in 0u64..(1 << 62), decimals in 0u8..=12) {
            let a = Amount::new(units).unwrap();
            let s = a.to_decimal(decimals);
            prop_assert_eq!(Amount::parse(&s, decimals), Ok(a));
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}", decimals in 0u8..=18) {
            let _ = Amount::parse(&s, decimals);
        }
    }
}
