//! A calendar month in UTC.

use std::fmt;

use custodia_events::Timestamp;

use crate::ReportError;

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A calendar month, UTC (`2025-01`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: u16,
    month: u8,
}

impl Month {
    /// A month from its year (1970–9999) and number (1–12).
    pub fn new(year: u16, month: u8) -> Option<Month> {
        ((1970..=9999).contains(&year) && (1..=12).contains(&month))
            .then_some(Month { year, month })
    }

    /// Parses `YYYY-MM`, strictly (four-digit year, two-digit month).
    pub fn parse(s: &str) -> Result<Month, ReportError> {
        let bad = || ReportError::BadMonth { got: s.to_owned() };
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' {
            return Err(bad());
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u16> {
            b[r].iter().try_fold(0u16, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0'))
            })
        };
        let year = digits(0..4).ok_or_else(bad)?;
        let month = digits(5..7).ok_or_else(bad)?;
        Month::new(year, u8::try_from(month).map_err(|_| bad())?).ok_or_else(bad)
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month number, 1–12.
    pub fn number(self) -> u8 {
        self.month
    }

    /// The month's English name and year (`January 2025`).
    pub fn long_name(self) -> String {
        format!("{} {}", MONTH_NAMES[usize::from(self.month - 1)], self.year)
    }

    /// The month before.
    pub fn previous(self) -> Option<Month> {
        if self.month == 1 {
            Month::new(self.year.checked_sub(1)?, 12)
        } else {
            Month::new(self.year, self.month - 1)
        }
    }

    /// The first instant of the month.
    pub fn start(self) -> Timestamp {
        Timestamp::from_millis(days_from_civil(i64::from(self.year), self.month) * 86_400_000)
    }

    /// The first instant of the next month (the range is `start <= t < end`).
    pub fn end(self) -> Timestamp {
        let (y, m) = if self.month == 12 {
            (i64::from(self.year) + 1, 1)
        } else {
            (i64::from(self.year), self.month + 1)
        };
        Timestamp::from_millis(days_from_civil(y, m) * 86_400_000)
    }

    /// Whether `t` falls in the month.
    pub fn contains(self, t: Timestamp) -> bool {
        self.start() <= t && t < self.end()
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Days from 1970-01-01 to the first day of `month` in `year` (proleptic Gregorian calendar;
/// the usual era-based conversion, valid for every year this type admits).
fn days_from_civil(year: i64, month: u8) -> i64 {
    let m = i64::from(month);
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5; // first day of the month: day-of-month 1 adds nothing
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_spans_the_month() {
        let m = Month::parse("2025-01").unwrap();
        assert_eq!(m.to_string(), "2025-01");
        assert_eq!(m.long_name(), "January 2025");
        assert_eq!(m.start().to_iso8601_millis(), "2025-01-01T00:00:00.000Z");
        assert_eq!(m.end().to_iso8601_millis(), "2025-02-01T00:00:00.000Z");
        let feb = Month::parse("2024-02").unwrap();
        assert_eq!(feb.end().to_iso8601_millis(), "2024-03-01T00:00:00.000Z");
        let dec = Month::parse("1999-12").unwrap();
        assert_eq!(dec.end().to_iso8601_millis(), "2000-01-01T00:00:00.000Z");
        assert_eq!(
            Month::parse("2025-01").unwrap().previous(),
            Month::new(2024, 12)
        );
        assert!(m.contains(m.start()));
        assert!(!m.contains(m.end()));
    }

    #[test]
    fn refuses_what_is_not_a_month() {
        for bad in [
            "",
            "2025-1",
            "2025-13",
            "2025-00",
            "25-01",
            "2025/01",
            "2025-01-01",
            "１２３４-01",
            "1969-12",
            "+025-01",
            "2025-0a",
        ] {
            assert!(
                matches!(Month::parse(bad), Err(ReportError::BadMonth { .. })),
                "{bad:?}"
            );
        }
    }
}
