//! Wide and long CSV, on `csv-core` (the engine of the `csv` crate) so that every record's line
//! is exact: the `csv` crate reports the line where the previous record ended, which is wrong after
//! blank lines.

use std::collections::HashMap;
use std::io::BufRead;

use csv_core::ReadRecordResult;

use super::{Builder, parse_amount};
use crate::error::quote;
use crate::{Format, Reason, Side, Snapshot, SnapshotError};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A reusable record buffer over a CSV stream: RFC 4180 quoting, `\n` or `\r\n` line ends,
/// blank lines skipped, and the 1-based line each record starts on.
struct Records<R> {
    input: R,
    core: csv_core::Reader,
    /// The fields' bytes, back to back.
    fields: Vec<u8>,
    /// End offset in `fields` of each field.
    ends: Vec<usize>,
    /// Number of fields of the current record.
    len: usize,
    /// Line the current record starts on.
    line: u64,
    /// Newlines of skipped blank lines (`csv-core` counts the others).
    skipped_newlines: u64,
    /// Bytes consumed so far.
    consumed: u64,
}

impl<R: BufRead> Records<R> {
    fn new(input: R) -> Self {
        Self {
            input,
            core: csv_core::Reader::new(),
            fields: vec![0; 4096],
            ends: vec![0; 64],
            len: 0,
            line: 0,
            skipped_newlines: 0,
            consumed: 0,
        }
    }

    /// Reads the next record; `false` at the end of the input.
    fn next(&mut self) -> std::io::Result<bool> {
        // Skip blank lines here, counting them, so the record starts exactly where we look.
        loop {
            let buf = self.input.fill_buf()?;
            let n = buf
                .iter()
                .position(|&b| b != b'\n' && b != b'\r')
                .unwrap_or(buf.len());
            let newlines = buf[..n].iter().filter(|&&b| b == b'\n').count();
            let all = n == buf.len();
            self.input.consume(n);
            self.consumed += n as u64;
            self.skipped_newlines += newlines as u64;
            if !all || n == 0 {
                break;
            }
        }
        self.line = self.core.line() + self.skipped_newlines;
        let (mut out, mut ends) = (0, 0);
        loop {
            let input = self.input.fill_buf()?;
            let (res, nin, nout, nend) =
                self.core
                    .read_record(input, &mut self.fields[out..], &mut self.ends[ends..]);
            self.input.consume(nin);
            self.consumed += nin as u64;
            out += nout;
            ends += nend;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let len = self.fields.len();
                    self.fields.resize(2 * len, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len();
                    self.ends.resize(2 * len, 0);
                }
                ReadRecordResult::Record => {
                    self.len = ends;
                    return Ok(true);
                }
                ReadRecordResult::End => return Ok(false),
            }
        }
    }
}

impl<R> Records<R> {
    fn len(&self) -> usize {
        self.len
    }

    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.fields[start..self.ends[i]]
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len).map(|i| self.get(i))
    }
}

/// Reads CSV; `format` is `None` to choose wide or long from the header.
pub(super) fn read<R: BufRead>(
    input: R,
    b: Builder<'_>,
    format: Option<Format>,
) -> Result<Snapshot, SnapshotError> {
    let mut rec = Records::new(input);
    if !next(&mut rec, &b)? {
        return Err(b.err(1, None, Reason::EmptyFile));
    }
    let line = rec.line;
    let names: Vec<Vec<u8>> = rec
        .iter()
        .enumerate()
        .map(|(j, f)| match j {
            0 => f.strip_prefix(UTF8_BOM).unwrap_or(f).to_vec(),
            _ => f.to_vec(),
        })
        .collect();
    let names: Vec<&[u8]> = names.iter().map(Vec::as_slice).collect();
    // Check duplicates first: a repeated header is wrong whatever the format.
    let mut seen: HashMap<&[u8], usize> = HashMap::with_capacity(names.len());
    for (j, name) in names.iter().enumerate() {
        if let Some(first) = seen.insert(name, j + 1) {
            return Err(b.err(
                line,
                Some(j as u64 + 1),
                Reason::DuplicateColumn {
                    name: quote(name),
                    first_column: first as u64,
                },
            ));
        }
    }
    let long = match format {
        Some(f) => f == Format::LongCsv,
        None => seen.contains_key(&b"asset"[..]),
    };
    if long {
        let cols = LongColumns::parse(&names, line, &b)?;
        read_long(rec, b, cols, line)
    } else {
        let cols = wide_columns(&names, line, &b)?;
        read_wide(rec, b, cols, line)
    }
}

fn next<R: BufRead>(rec: &mut Records<R>, b: &Builder<'_>) -> Result<bool, SnapshotError> {
    rec.next().map_err(|e| SnapshotError::io(b.path, &e))
}

/// Where one wide-CSV column goes.
#[derive(Clone, Copy)]
struct Target {
    /// Offset in the user's `2 * A` row.
    offset: usize,
    /// Asset index.
    asset: usize,
}

struct WideColumns {
    user: usize,
    /// Per column: `None` for `user_id`.
    targets: Vec<Option<Target>>,
}

fn wide_columns(names: &[&[u8]], line: u64, b: &Builder<'_>) -> Result<WideColumns, SnapshotError> {
    let mut user = None;
    let mut targets = Vec::with_capacity(names.len());
    for (j, &name) in names.iter().enumerate() {
        let col = Some(j as u64 + 1);
        if name == b"user_id" {
            user = Some(j);
            targets.push(None);
            continue;
        }
        let text = std::str::from_utf8(name).map_err(|_| b.err(line, col, Reason::InvalidUtf8))?;
        let (symbol, side) = match text.strip_suffix("_debt") {
            Some(s) => (s, Side::Debt),
            None => (text, Side::Equity),
        };
        let asset = b
            .registry
            .index_of(symbol)
            .ok_or_else(|| b.err(line, col, Reason::UnknownAsset(quote(symbol.as_bytes()))))?;
        let offset = 2 * asset + usize::from(side == Side::Debt);
        targets.push(Some(Target { offset, asset }));
    }
    let user = user.ok_or_else(|| b.err(line, None, Reason::MissingColumn("user_id")))?;
    Ok(WideColumns { user, targets })
}

fn read_wide<R: BufRead>(
    mut rec: Records<R>,
    mut b: Builder<'_>,
    cols: WideColumns,
    header_line: u64,
) -> Result<Snapshot, SnapshotError> {
    let assets = b.registry.assets();
    let n = cols.targets.len();
    let header_end = rec.consumed;
    let mut last_line = header_line;
    while next(&mut rec, &b)? {
        let line = rec.line;
        last_line = line;
        check_len(&rec, n, line, &b)?;
        let u = b.push_user(rec.get(cols.user), line, cols.user as u64 + 1)?;
        if u == 0 {
            b.presize(rec.consumed, rec.consumed - header_end);
        }
        let path = b.path;
        let row = b.row_mut(u);
        for (j, (field, target)) in rec.iter().zip(&cols.targets).enumerate() {
            let Some(t) = target else { continue };
            let info = &assets[t.asset];
            let side = if t.offset % 2 == 0 {
                Side::Equity
            } else {
                Side::Debt
            };
            row[t.offset] = parse_amount(field, info.decimals, &info.id, side)
                .map_err(|r| SnapshotError::new(path, Some(line), Some(j as u64 + 1), r))?;
        }
    }
    b.finish(last_line + 1)
}

fn check_len<R>(
    rec: &Records<R>,
    expected: usize,
    line: u64,
    b: &Builder<'_>,
) -> Result<(), SnapshotError> {
    if rec.len() == expected {
        return Ok(());
    }
    // Point at the first missing or extra field.
    let col = rec.len().min(expected) as u64 + 1;
    Err(b.err(
        line,
        Some(col),
        Reason::WrongFieldCount {
            expected,
            found: rec.len(),
        },
    ))
}

struct LongColumns {
    n: usize,
    user: usize,
    asset: usize,
    equity: usize,
    debt: Option<usize>,
}

impl LongColumns {
    fn parse(names: &[&[u8]], line: u64, b: &Builder<'_>) -> Result<Self, SnapshotError> {
        let (mut user, mut asset, mut equity, mut debt) = (None, None, None, None);
        for (j, &name) in names.iter().enumerate() {
            let slot = match name {
                b"user_id" => &mut user,
                b"asset" => &mut asset,
                b"equity" => &mut equity,
                b"debt" => &mut debt,
                _ => {
                    return Err(b.err(
                        line,
                        Some(j as u64 + 1),
                        Reason::UnknownColumn(quote(name)),
                    ));
                }
            };
            *slot = Some(j);
        }
        let missing = |name| b.err(line, None, Reason::MissingColumn(name));
        Ok(Self {
            n: names.len(),
            user: user.ok_or_else(|| missing("user_id"))?,
            asset: asset.ok_or_else(|| missing("asset"))?,
            equity: equity.ok_or_else(|| missing("equity"))?,
            debt,
        })
    }
}

fn read_long<R: BufRead>(
    mut rec: Records<R>,
    mut b: Builder<'_>,
    cols: LongColumns,
    header_line: u64,
) -> Result<Snapshot, SnapshotError> {
    let assets = b.registry.assets();
    let mut last_line = header_line;
    let mut current: Option<usize> = None;
    let mut current_id: Vec<u8> = Vec::new();
    // Per asset: (user index + 1 that last set it, line it was set on).
    let mut stamps: Vec<(usize, u64)> = vec![(0, 0); assets.len()];
    while next(&mut rec, &b)? {
        let line = rec.line;
        last_line = line;
        check_len(&rec, cols.n, line, &b)?;
        let id = rec.get(cols.user);
        let u = match current {
            Some(u) if id == current_id.as_slice() => u,
            _ => {
                let u = b.push_user(id, line, cols.user as u64 + 1)?;
                current = Some(u);
                current_id.clear();
                current_id.extend_from_slice(id);
                u
            }
        };
        let at = |col: usize, reason| {
            SnapshotError::new(b.path, Some(line), Some(col as u64 + 1), reason)
        };
        let symbol = rec.get(cols.asset);
        let i = std::str::from_utf8(symbol)
            .ok()
            .and_then(|s| b.registry.index_of(s))
            .ok_or_else(|| match std::str::from_utf8(symbol) {
                Ok(_) => at(cols.asset, Reason::UnknownAsset(quote(symbol))),
                Err(_) => at(cols.asset, Reason::InvalidUtf8),
            })?;
        let info = &assets[i];
        if stamps[i].0 == u + 1 {
            return Err(at(
                cols.asset,
                Reason::DuplicateAsset {
                    user: quote(id),
                    asset: info.id.clone(),
                    first_line: stamps[i].1,
                },
            ));
        }
        stamps[i] = (u + 1, line);
        let equity = parse_amount(rec.get(cols.equity), info.decimals, &info.id, Side::Equity)
            .map_err(|r| at(cols.equity, r))?;
        let debt = match cols.debt {
            Some(c) => parse_amount(rec.get(c), info.decimals, &info.id, Side::Debt)
                .map_err(|r| at(c, r))?,
            None => custodia_primitives::Amount::ZERO,
        };
        let row = b.row_mut(u);
        row[2 * i] = equity;
        row[2 * i + 1] = debt;
    }
    b.finish(last_line + 1)
}
