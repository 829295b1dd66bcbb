//! What every list entry carries besides its value: category, source, date.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::GuardError;
use crate::error::echo;

/// Why an address or domain is listed. Ordered from most to least severe, which is the order
/// [`crate::AddressIndex::lookup`] reports hits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// On a government sanctions list (OFAC SDN, ...). Transacting is prohibited.
    Sanctions,
    /// Proceeds of, or used in, a hack or exploit.
    Hack,
    /// A mixing service.
    Mixer,
    /// Used by phishing sites, drainers or address-poisoning campaigns.
    Phishing,
    /// Any other fraud: fake investment, rug pull, honeypot, impersonation.
    Scam,
}

impl Category {
    /// Every category, most severe first.
    pub const ALL: [Category; 5] = [
        Category::Sanctions,
        Category::Hack,
        Category::Mixer,
        Category::Phishing,
        Category::Scam,
    ];

    /// Lowercase name (`sanctions`, `hack`, `mixer`, `phishing`, `scam`).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Sanctions => "sanctions",
            Category::Hack => "hack",
            Category::Mixer => "mixer",
            Category::Phishing => "phishing",
            Category::Scam => "scam",
        }
    }

    /// Reads a category, accepting the words community lists use for each (`sanction`,
    /// `exploit`, `drainer`, `honeypot`, `fraud`, ...).
    pub fn from_name(s: &str) -> Result<Category, GuardError> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "sanctions" | "sanction" | "sanctioned" | "ofac" => Category::Sanctions,
            "hack" | "hacker" | "exploit" | "exploiter" | "heist" | "theft" | "stolen" => {
                Category::Hack
            }
            "mixer" | "mixing" | "tumbler" => Category::Mixer,
            "phishing" | "phish" | "drainer" | "poisoning" | "address_poisoning" => {
                Category::Phishing
            }
            "scam" | "fraud" | "honeypot" | "rugpull" | "rug_pull" | "ponzi" | "fake" => {
                Category::Scam
            }
            _ => {
                return Err(GuardError::Entry {
                    entry: echo(s),
                    why: "unknown category; expected sanctions, hack, mixer, phishing or scam"
                        .into(),
                });
            }
        })
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn from_index(i: u8) -> Option<Category> {
        Category::ALL.get(i as usize).copied()
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A calendar date (proleptic Gregorian, years 1970–9999), written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Builds a date, checking that it exists.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Date, GuardError> {
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => 0,
        };
        if !(1970..=9999).contains(&year) || day == 0 || day > days {
            return Err(GuardError::Date {
                input: format!("{year:04}-{month:02}-{day:02}"),
            });
        }
        Ok(Date { year, month, day })
    }

    /// Year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// Month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// Day of the month.
    pub fn day(self) -> u8 {
        self.day
    }

    /// `YYYYMMDD` as an integer (the snapshot encoding; 0 means "no date").
    pub fn to_packed(self) -> u32 {
        self.year as u32 * 10_000 + self.month as u32 * 100 + self.day as u32
    }

    /// Reads [`Date::to_packed`].
    pub fn from_packed(v: u32) -> Result<Date, GuardError> {
        Date::new((v / 10_000) as u16, (v / 100 % 100) as u8, (v % 100) as u8)
    }
}

impl FromStr for Date {
    type Err = GuardError;

    /// Parses `YYYY-MM-DD`; a longer ISO-8601 timestamp (`2024-05-01T12:00:00Z`) keeps its date.
    fn from_str(s: &str) -> Result<Date, GuardError> {
        let err = || GuardError::Date { input: echo(s) };
        let t = s.trim();
        let d = t.get(..10).ok_or_else(err)?;
        if t.len() > 10 && !t[10..].starts_with(['T', ' ', 't']) {
            return Err(err());
        }
        let b = d.as_bytes();
        if b[4] != b'-' || b[7] != b'-' {
            return Err(err());
        }
        let num = |r: core::ops::Range<usize>| -> Result<u32, GuardError> {
            let part = &d[r];
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err());
            }
            part.parse().map_err(|_| err())
        };
        Date::new(num(0..4)? as u16, num(5..7)? as u8, num(8..10)? as u8).map_err(|_| err())
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Where a list came from and what its entries mean by default: the importers stamp every entry
/// with it unless the entry says otherwise (a ScamSniffer object's own `date`, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListMeta {
    /// Short source name: `ofac-sdn`, `scamsniffer`, `metamask`, `internal`, ...
    pub source: String,
    /// Category for entries that do not carry one.
    pub category: Category,
    /// Date for entries that do not carry one (usually the list's publication date).
    pub date: Option<Date>,
}

impl ListMeta {
    /// A list's metadata; the source name must be 1–64 characters without control characters.
    pub fn new(
        source: impl Into<String>,
        category: Category,
        date: Option<Date>,
    ) -> Result<ListMeta, GuardError> {
        let source = source.into();
        if source.is_empty() || source.len() > 64 || source.chars().any(char::is_control) {
            return Err(GuardError::Config {
                why: format!(
                    "source name `{}` must be 1–64 characters without control characters",
                    echo(&source)
                ),
            });
        }
        Ok(ListMeta {
            source,
            category,
            date,
        })
    }
}
