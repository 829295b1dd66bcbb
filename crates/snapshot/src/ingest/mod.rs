//! Streaming snapshot loaders: wide CSV, long CSV and JSON Lines.

mod csv_formats;
mod jsonl;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use custodia_primitives::{AccountId, Amount, AssetId, AssetRegistry};

use crate::error::{amount_reason, quote};
use crate::{Reason, Side, Snapshot, SnapshotError};

/// Buffer size of the readers: large enough that a file is read in few system calls.
const BUF_SIZE: usize = 1 << 20;

/// A snapshot file format. See `docs/formats.md` for the exact grammar of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// One row per user, an equity column `SYM` and a debt column `SYM_debt` per asset.
    WideCsv,
    /// One row per user and asset: `user_id,asset,equity,debt`.
    LongCsv,
    /// One JSON object per line: `{"user_id":…,"equity":{…},"debt":{…}}`.
    JsonLines,
}

impl Format {
    /// The format a file name implies: `.jsonl` and `.ndjson` are JSON Lines; `.csv` is CSV, wide
    /// or long as its header says (`None` here); any other name is sniffed from the content.
    pub fn from_extension(path: &Path) -> Option<Self> {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("ndjson") => {
                Some(Self::JsonLines)
            }
            _ => None,
        }
    }
}

/// Loads a snapshot file for a round over `assets`.
///
/// `format` overrides detection. Without it, `.jsonl`/`.ndjson` files are JSON Lines, `.csv` files
/// are CSV (long when the header has an `asset` column, wide otherwise) and other files are JSON
/// Lines when their first non-blank byte is `{`, CSV otherwise.
///
/// Streaming: the file is read once, through a fixed buffer, straight into the balance matrix.
/// Nothing is written anywhere. The first error stops the load and says where it is.
pub fn load(
    path: &Path,
    assets: &AssetRegistry,
    format: Option<Format>,
) -> Result<Snapshot, SnapshotError> {
    let file = File::open(path).map_err(|e| SnapshotError::io(path, &e))?;
    let size = file.metadata().ok().map(|m| m.len());
    read_sized(file, path, assets, format, size)
}

/// [`load`] from any reader; `path` names the input in errors and drives detection.
pub fn read<R: Read>(
    input: R,
    path: &Path,
    assets: &AssetRegistry,
    format: Option<Format>,
) -> Result<Snapshot, SnapshotError> {
    read_sized(input, path, assets, format, None)
}

/// [`read`] with the input's size in bytes, when known, to size the buffers up front.
fn read_sized<R: Read>(
    input: R,
    path: &Path,
    assets: &AssetRegistry,
    format: Option<Format>,
    size: Option<u64>,
) -> Result<Snapshot, SnapshotError> {
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut input = BufReader::with_capacity(BUF_SIZE, input);
    let format = match format.or_else(|| Format::from_extension(path)) {
        Some(f) => Some(f),
        None if is_csv => None,
        None => {
            let head = input.fill_buf().map_err(|e| SnapshotError::io(path, &e))?;
            head.iter()
                .find(|b| !b.is_ascii_whitespace())
                .and_then(|&b| (b == b'{').then_some(Format::JsonLines))
        }
    };
    let mut builder = Builder::new(path, assets);
    builder.size_hint = size;
    match format {
        Some(Format::JsonLines) => jsonl::read(input, builder),
        csv => csv_formats::read(input, builder, csv),
    }
}

/// Accumulates users and balances; rejects invalid and duplicate account ids.
struct Builder<'a> {
    path: &'a Path,
    registry: &'a AssetRegistry,
    /// `2 * A`.
    width: usize,
    users: Vec<AccountId>,
    balances: Vec<Amount>,
    index: HashMap<Box<str>, usize>,
    /// Line each user starts on, for "first seen on line N".
    first_lines: Vec<u64>,
    /// Input size in bytes, when known.
    size_hint: Option<u64>,
}

impl<'a> Builder<'a> {
    fn new(path: &'a Path, registry: &'a AssetRegistry) -> Self {
        Self {
            path,
            registry,
            width: 2 * registry.len(),
            users: Vec::new(),
            balances: Vec::new(),
            index: HashMap::new(),
            first_lines: Vec::new(),
            size_hint: None,
        }
    }

    /// Reserves room for the users the rest of the input likely holds, judging by the first
    /// user's `row_bytes` at byte offset `start`: growing a 1M-user index and matrix step by step
    /// costs a fifth of the load.
    fn presize(&mut self, start: u64, row_bytes: u64) {
        let Some(size) = self.size_hint else { return };
        let rest = size.saturating_sub(start);
        // Rows may grow longer than the first one; a row is never shorter than 4 bytes.
        let estimate = (rest / row_bytes.max(1)).saturating_mul(5) / 4 + 16;
        let users = estimate.min(rest / 4 + 1).min(1 << 28) as usize;
        self.users.reserve(users);
        self.first_lines.reserve(users);
        self.index.reserve(users);
        self.balances.reserve(users.saturating_mul(self.width));
    }

    fn err(&self, line: u64, column: Option<u64>, reason: Reason) -> SnapshotError {
        SnapshotError::new(self.path, Some(line), column, reason)
    }

    /// Appends user `id` (seen at `line:column`) with an all-zero row; returns its index.
    fn push_user(&mut self, id: &[u8], line: u64, column: u64) -> Result<usize, SnapshotError> {
        let at = |reason| SnapshotError::new(self.path, Some(line), Some(column), reason);
        let id = std::str::from_utf8(id).map_err(|_| at(Reason::InvalidUtf8))?;
        let account = AccountId::new(id).map_err(|e| at(Reason::InvalidAccountId(e)))?;
        let u = self.users.len();
        match self.index.entry(Box::from(id)) {
            Entry::Occupied(e) => {
                return Err(at(Reason::DuplicateUser {
                    user: id.to_owned(),
                    first_line: self.first_lines[*e.get()],
                }));
            }
            Entry::Vacant(e) => {
                e.insert(u);
            }
        }
        self.users.push(account);
        self.first_lines.push(line);
        self.balances
            .resize(self.balances.len() + self.width, Amount::ZERO);
        Ok(u)
    }

    fn row_mut(&mut self, u: usize) -> &mut [Amount] {
        &mut self.balances[u * self.width..(u + 1) * self.width]
    }

    /// The snapshot, or [`Reason::NoUsers`] located at `next_line`.
    fn finish(self, next_line: u64) -> Result<Snapshot, SnapshotError> {
        if self.users.is_empty() {
            return Err(self.err(next_line, None, Reason::NoUsers));
        }
        Ok(Snapshot::from_indexed(
            self.registry.clone(),
            self.users,
            self.balances,
            self.index,
        ))
    }
}

/// Parses one amount of `asset` at `decimals`, or says why not.
#[inline]
fn parse_amount(field: &[u8], decimals: u8, asset: &AssetId, side: Side) -> Result<Amount, Reason> {
    // Most cells of a real snapshot are zero.
    if field == b"0" {
        return Ok(Amount::ZERO);
    }
    Amount::parse_bytes(field, decimals).map_err(|kind| {
        let value = quote(field);
        amount_reason(kind.into_error(&value, decimals), value, asset, side)
    })
}
