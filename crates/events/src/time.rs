//! Time as the services see it: milliseconds since the Unix epoch, through a [`Clock`].

use core::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use thiserror::Error;

/// A point in time: milliseconds since 1970-01-01T00:00:00Z (UTC, no leap seconds).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

/// Why a timestamp string was rejected by [`Timestamp::parse_iso8601_millis`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimeError {
    /// The string is not exactly `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    #[error("expected `YYYY-MM-DDTHH:MM:SS.mmmZ` (24 characters), got {len} characters")]
    Shape {
        /// Length of the input in bytes.
        len: usize,
    },
    /// A digit or separator is wrong at a position.
    #[error("unexpected character at position {pos}")]
    Char {
        /// Byte offset of the first bad character.
        pos: usize,
    },
    /// A field is out of range (month 13, 31 February, hour 24, ...).
    #[error("{field} out of range")]
    Range {
        /// The field: `"month"`, `"day"`, `"hour"`, `"minute"` or `"second"`.
        field: &'static str,
    },
}

impl Timestamp {
    /// Wraps milliseconds since the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch (floor).
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// `self + ms`, saturating.
    pub const fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// `self - ms`, saturating.
    pub const fn minus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_sub(ms))
    }

    /// Parses the exact OKX form `2020-12-08T09:08:57.715Z`: ISO-8601, UTC, milliseconds.
    ///
    /// Strict on purpose: no offsets, no missing or extra fraction digits, no lowercase `t`/`z`.
    /// A signature covers the timestamp string byte for byte, so two spellings of one instant
    /// must not both be accepted.
    pub fn parse_iso8601_millis(s: &str) -> Result<Self, TimeError> {
        let b = s.as_bytes();
        if b.len() != 24 {
            return Err(TimeError::Shape { len: b.len() });
        }
        const SEPS: [(usize, u8); 7] = [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'.'),
            (23, b'Z'),
        ];
        for (pos, c) in SEPS {
            if b[pos] != c {
                return Err(TimeError::Char { pos });
            }
        }
        let num = |from: usize, to: usize| -> Result<i64, TimeError> {
            let mut v = 0i64;
            for (pos, &c) in b.iter().enumerate().take(to).skip(from) {
                if !c.is_ascii_digit() {
                    return Err(TimeError::Char { pos });
                }
                v = v * 10 + i64::from(c - b'0');
            }
            Ok(v)
        };
        let year = num(0, 4)?;
        let month = num(5, 7)?;
        let day = num(8, 10)?;
        let hour = num(11, 13)?;
        let minute = num(14, 16)?;
        let second = num(17, 19)?;
        let milli = num(20, 23)?;
        if !(1..=12).contains(&month) {
            return Err(TimeError::Range { field: "month" });
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(TimeError::Range { field: "day" });
        }
        if hour > 23 {
            return Err(TimeError::Range { field: "hour" });
        }
        if minute > 59 {
            return Err(TimeError::Range { field: "minute" });
        }
        if second > 59 {
            return Err(TimeError::Range { field: "second" });
        }
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
        Ok(Self(secs * 1000 + milli))
    }

    /// Formats as `YYYY-MM-DDTHH:MM:SS.mmmZ` (the inverse of [`Self::parse_iso8601_millis`]
    /// for years 0000–9999).
    pub fn to_iso8601_millis(self) -> String {
        let ms = self.0.rem_euclid(1000);
        let secs = self.0.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        )
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.to_iso8601_millis())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso8601_millis())
    }
}

/// Where services read the time. Production uses [`SystemClock`]; tests use [`ManualClock`].
///
/// # Correctness
/// Implementations must be cheap (called on every request) and must never panic.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that moves only when told to; clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock stopped at `t`.
    pub fn new(t: Timestamp) -> Self {
        Self(Arc::new(AtomicI64::new(t.0)))
    }

    /// Moves the clock to `t`.
    pub fn set(&self, t: Timestamp) {
        self.0.store(t.0, Ordering::SeqCst);
    }

    /// Moves the clock forward by `ms`.
    pub fn advance_millis(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Result<i64, TimeError>) {
        let got = Timestamp::parse_iso8601_millis(input).map(Timestamp::as_millis);
        assert_eq!(got, expect, "input {input:?}");
        if let Ok(ms) = got {
            assert_eq!(Timestamp::from_millis(ms).to_iso8601_millis(), input);
        }
    }

    #[test]
    fn parse_table() {
        use TimeError::*;
        check("1970-01-01T00:00:00.000Z", Ok(0));
        check("2020-12-08T09:08:57.715Z", Ok(1_607_418_537_715));
        check("2000-02-29T23:59:59.999Z", Ok(951_868_799_999));
        check("1969-12-31T23:59:59.999Z", Ok(-1));
        check("2020-12-08T09:08:57Z", Err(Shape { len: 20 }));
        check("2020-12-08T09:08:57.7150Z", Err(Shape { len: 25 }));
        check("2020-12-08 09:08:57.715Z", Err(Char { pos: 10 }));
        check("2020-12-08t09:08:57.715Z", Err(Char { pos: 10 }));
        check("2020-12-08T09:08:57.715z", Err(Char { pos: 23 }));
        check("2020-12-08T09:08:57.715+", Err(Char { pos: 23 }));
        check("2020-1a-08T09:08:57.715Z", Err(Char { pos: 6 }));
        check("+020-12-08T09:08:57.715Z", Err(Char { pos: 0 }));
        check("2020-13-08T09:08:57.715Z", Err(Range { field: "month" }));
        check("2020-00-08T09:08:57.715Z", Err(Range { field: "month" }));
        check("2021-02-29T09:08:57.715Z", Err(Range { field: "day" }));
        check("1900-02-29T09:08:57.715Z", Err(Range { field: "day" }));
        check("2020-04-31T09:08:57.715Z", Err(Range { field: "day" }));
        check("2020-12-08T24:00:00.000Z", Err(Range { field: "hour" }));
        check("2020-12-08T23:60:00.000Z", Err(Range { field: "minute" }));
        check("2020-12-08T23:59:60.000Z", Err(Range { field: "second" }));
        check("", Err(Shape { len: 0 }));
        check("２020-12-08T09:08:57.715Z", Err(Shape { len: 26 }));
    }

    #[test]
    fn format_roundtrips_over_a_range() {
        let mut t = -86_400_000 * 365 * 2;
        while t < 86_400_000 * 365 * 60 {
            let ts = Timestamp::from_millis(t);
            let s = ts.to_iso8601_millis();
            assert_eq!(Timestamp::parse_iso8601_millis(&s), Ok(ts), "{s}");
            t += 86_400_000 * 7 + 3_600_123;
        }
    }

    #[test]
    fn manual_clock_is_shared_between_clones() {
        let c = ManualClock::new(Timestamp::from_millis(5));
        let d = c.clone();
        c.advance_millis(10);
        assert_eq!(d.now(), Timestamp::from_millis(15));
        d.set(Timestamp::from_millis(1));
        assert_eq!(c.now().as_millis(), 1);
    }
}
