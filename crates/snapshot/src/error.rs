use core::fmt;
use std::io;
use std::path::{Path, PathBuf};

use custodia_primitives::{AmountError, AssetId, IdError};
use thiserror::Error;

/// Longest input excerpt an error message quotes; longer values are cut with `…`.
const MAX_QUOTE: usize = 64;

/// Why an input file (snapshot, prices) was rejected, and exactly where.
///
/// Displays as `path:line:column: reason`, e.g.
/// `snapshot.csv:17:3: negative amount "-1" for BTC equity`; the line or column is left out when
/// the error is not tied to one (a missing price concerns the whole file).
///
/// Lines are 1-based physical lines (a quoted CSV field spanning lines counts them all). Columns are
/// 1-based: the field number in CSV, the byte offset of the offending token in JSON Lines and TOML.
/// For a snapshot built in memory ([`crate::Snapshot::from_parts`]) the path is `<memory>` and the
/// "line" is the 1-based user row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError {
    /// The file the error is in.
    pub path: PathBuf,
    /// 1-based line, when the error is tied to one.
    pub line: Option<u64>,
    /// 1-based column (CSV field number, or byte column in JSON Lines / TOML), when known.
    pub column: Option<u64>,
    /// What is wrong.
    pub reason: Reason,
}

impl SnapshotError {
    /// An error located at `line:column` of `path`.
    pub fn new(
        path: impl Into<PathBuf>,
        line: Option<u64>,
        column: Option<u64>,
        reason: Reason,
    ) -> Self {
        Self {
            path: path.into(),
            line,
            column,
            reason,
        }
    }

    /// An I/O error on `path`, not tied to a line.
    pub fn io(path: &Path, err: &io::Error) -> Self {
        Self::new(
            path,
            None,
            None,
            Reason::Io {
                kind: err.kind(),
                message: err.to_string(),
            },
        )
    }
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.reason)
    }
}

// The reason is part of the message, so it is not also reported as the `source`: error chains
// (`anyhow`'s `{:#}`) would print it twice.
impl std::error::Error for SnapshotError {}

/// Which half of a balance an amount is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// What the exchange owes the user.
    Equity,
    /// What the user owes the exchange (margin debt).
    Debt,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Equity => "equity",
            Self::Debt => "debt",
        })
    }
}

/// What is wrong with a price entry's `usd` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PriceProblem {
    /// A leading minus sign.
    #[error("prices are never negative")]
    Negative,
    /// Not a plain decimal (empty, a sign, an exponent, a stray character).
    #[error("malformed number: only digits and one `.` are allowed")]
    Malformed,
    /// More than [`crate::PRICE_SCALE_DECIMALS`] fractional digits.
    #[error("more than 8 decimal places")]
    TooManyDecimals,
    /// At or above 2^62 units of 10^-8 USD.
    #[error("too large")]
    Overflow,
    /// A TOML number instead of a string.
    #[error("write the price as a string, e.g. usd = \"67012.5\": floats never touch money")]
    NotAString,
}

/// Why an input was rejected. Carried by [`SnapshotError`] together with the location.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Reason {
    /// An amount with a leading minus sign.
    #[error("negative amount \"{value}\" for {asset} {side}")]
    NegativeAmount {
        /// The input as written.
        value: String,
        /// The asset.
        asset: AssetId,
        /// Equity or debt.
        side: Side,
    },
    /// An amount that is not a plain decimal: empty, a sign, an exponent, a stray character.
    #[error("malformed number \"{value}\" for {asset} {side}: only digits and one '.' are allowed")]
    MalformedNumber {
        /// The input as written.
        value: String,
        /// The asset.
        asset: AssetId,
        /// Equity or debt.
        side: Side,
    },
    /// More fractional digits than the asset's ledger decimals.
    #[error("too many decimals in \"{value}\" for {asset} {side}: {asset} has {max}")]
    TooManyDecimals {
        /// The input as written.
        value: String,
        /// The asset.
        asset: AssetId,
        /// Equity or debt.
        side: Side,
        /// The asset's decimals.
        max: u8,
    },
    /// An amount at or above 2^62 smallest units.
    #[error("amount \"{value}\" for {asset} {side} is too large: the limit is 2^62 smallest units")]
    Overflow {
        /// The input as written.
        value: String,
        /// The asset.
        asset: AssetId,
        /// Equity or debt.
        side: Side,
    },
    /// A column, key or price naming an asset the round's registry does not list.
    #[error("unknown asset \"{0}\": not in the round's asset registry")]
    UnknownAsset(String),
    /// A user id seen before (in long CSV: the user's rows are not contiguous).
    #[error("duplicate user \"{user}\" (first seen on line {first_line})")]
    DuplicateUser {
        /// The account id.
        user: String,
        /// Where it first appeared.
        first_line: u64,
    },
    /// The same asset twice for one user.
    #[error("asset {asset} given twice for user \"{user}\" (first on line {first_line})")]
    DuplicateAsset {
        /// The account id.
        user: String,
        /// The asset.
        asset: AssetId,
        /// Where it first appeared.
        first_line: u64,
    },
    /// The same CSV header twice.
    #[error("column \"{name}\" appears twice (first as column {first_column})")]
    DuplicateColumn {
        /// The header.
        name: String,
        /// Its first 1-based column.
        first_column: u64,
    },
    /// A required CSV column is absent from the header.
    #[error("missing column \"{0}\"")]
    MissingColumn(&'static str),
    /// A long-CSV header that is none of `user_id`, `asset`, `equity`, `debt`.
    #[error("unknown column \"{0}\": long CSV has user_id, asset, equity and optional debt")]
    UnknownColumn(String),
    /// A CSV row with a different number of fields than the header.
    #[error("wrong number of fields: the header has {expected}, this row has {found}")]
    WrongFieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// The file is empty (no header, no object).
    #[error("empty file")]
    EmptyFile,
    /// The file has a header but no user.
    #[error("no users: the file holds no data rows")]
    NoUsers,
    /// A user id that is not a valid [`custodia_primitives::AccountId`].
    #[error("invalid account id: {0}")]
    InvalidAccountId(IdError),
    /// Not valid JSON, or not the object shape JSON Lines snapshots use.
    #[error("JSON syntax error: {0}")]
    JsonSyntax(&'static str),
    /// A JSON number where an amount (a string) is expected.
    #[error(
        "JSON number {value} for {field}: write amounts as strings (\"{value}\"), floats never touch money"
    )]
    JsonNumber {
        /// Where: `user_id` or `equity.BTC`.
        field: String,
        /// The number as written.
        value: String,
    },
    /// Some other JSON type where another is expected.
    #[error("expected {expected} for {field}, found {found}")]
    JsonType {
        /// Where: `user_id`, `equity` or `equity.BTC`.
        field: String,
        /// The JSON type expected.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// A JSON field other than `user_id`, `equity`, `debt`.
    #[error("unknown field \"{0}\": expected user_id, equity or debt")]
    UnknownField(String),
    /// A required JSON field is absent.
    #[error("missing field \"{0}\"")]
    MissingField(&'static str),
    /// The same JSON field twice in one object.
    #[error("field \"{0}\" appears twice")]
    DuplicateField(String),
    /// Bytes that are not UTF-8 where text is expected.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// The file could not be read or written.
    #[error("I/O error: {message}")]
    Io {
        /// The error kind.
        kind: io::ErrorKind,
        /// The operating system's message.
        message: String,
    },
    /// TOML syntax, or a TOML shape other than the documented one.
    #[error("{0}")]
    Toml(String),
    /// An asset of the registry without a price.
    #[error("asset {0} has no price")]
    MissingPrice(AssetId),
    /// An asset priced twice.
    #[error("asset {asset} is priced twice (first on line {first_line})")]
    DuplicatePrice {
        /// The asset.
        asset: AssetId,
        /// Where it was first priced.
        first_line: u64,
    },
    /// A price that is not a non-negative decimal with at most 8 decimals.
    #[error("bad price \"{value}\" for {asset}: {problem}")]
    BadPrice {
        /// The asset.
        asset: AssetId,
        /// The price as written.
        value: String,
        /// What is wrong with it.
        problem: PriceProblem,
    },
    /// A haircut outside `0..=10000` basis points.
    #[error("haircut {value} bps for {asset} is outside 0..=10000")]
    BadHaircut {
        /// The asset.
        asset: AssetId,
        /// The haircut as written.
        value: i64,
    },
    /// A price list that does not match its registry.
    #[error("{got} prices for a registry of {expected} assets")]
    PriceCount {
        /// Assets in the registry.
        expected: usize,
        /// Prices given.
        got: usize,
    },
    /// A balance vector whose length is not users × 2 × assets.
    #[error("{got} balances for {users} users and {assets} assets (expected {expected})")]
    BalanceCount {
        /// Users.
        users: usize,
        /// Assets.
        assets: usize,
        /// `users * 2 * assets`.
        expected: usize,
        /// Balances given.
        got: usize,
    },
    /// A demo configuration that cannot be generated.
    #[error("invalid demo configuration: {0}")]
    InvalidDemoConfig(&'static str),
}

/// Quotes an input excerpt for a message: lossy UTF-8, cut at [`MAX_QUOTE`] characters.
pub(crate) fn quote(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    if s.chars().count() <= MAX_QUOTE {
        s.into_owned()
    } else {
        let mut out: String = s.chars().take(MAX_QUOTE).collect();
        out.push('…');
        out
    }
}

/// The reason for an amount that [`custodia_primitives::Amount::parse_bytes`] rejected; `value`
/// is the input as quoted by [`quote`].
pub(crate) fn amount_reason(
    err: AmountError,
    value: String,
    asset: &AssetId,
    side: Side,
) -> Reason {
    let asset = asset.clone();
    match err {
        AmountError::Negative(_) => Reason::NegativeAmount { value, asset, side },
        AmountError::TooManyDecimals { max, .. } => Reason::TooManyDecimals {
            value,
            asset,
            side,
            max,
        },
        AmountError::Overflow(_) => Reason::Overflow { value, asset, side },
        AmountError::Empty | AmountError::Exponent(_) | AmountError::Malformed(_) => {
            Reason::MalformedNumber { value, asset, side }
        }
    }
}

/// 1-based line and byte column of byte `offset` in `text`.
pub(crate) fn line_col(text: &[u8], offset: usize) -> (u64, u64) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    (line, (offset - line_start) as u64 + 1)
}
