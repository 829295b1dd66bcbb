//! JSON Lines: one object per line, parsed by a strict hand-written scanner so that every error
//! carries the byte column of the token at fault.
//!
//! The grammar is RFC 8259 JSON restricted to the one object shape snapshots use:
//! `{"user_id": string, "equity": {SYMBOL: string, …}, "debt": {SYMBOL: string, …}}` with `debt`
//! optional and the fields in any order.

use std::io::BufRead;

use custodia_primitives::{Amount, AssetRegistry};

use super::{Builder, parse_amount};
use crate::error::quote;
use crate::{Reason, Side, Snapshot, SnapshotError};

/// A located reason: `(1-based byte column, reason)`.
type JResult<T> = Result<T, (u64, Reason)>;

pub(super) fn read<R: BufRead>(
    mut input: R,
    mut b: Builder<'_>,
) -> Result<Snapshot, SnapshotError> {
    let mut buf = Vec::with_capacity(1024);
    let mut scratch = Scratch::new(b.registry.len());
    let mut line_no = 0u64;
    let mut consumed = 0u64;
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| SnapshotError::io(b.path, &e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        consumed += n as u64;
        let mut line = buf.as_slice();
        if let Some(l) = line.strip_suffix(b"\n") {
            line = l;
        }
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        if line.iter().all(|c| matches!(c, b' ' | b'\t' | b'\r')) {
            continue; // blank lines are allowed anywhere
        }
        if let Err(e) = std::str::from_utf8(line) {
            return Err(b.err(
                line_no,
                Some(e.valid_up_to() as u64 + 1),
                Reason::InvalidUtf8,
            ));
        }
        parse_object(line, line_no, b.registry, &mut scratch)
            .map_err(|(col, r)| b.err(line_no, Some(col), r))?;
        let u = b.push_user(&scratch.user, line_no, scratch.user_col)?;
        if u == 0 {
            b.presize(consumed, n as u64);
        }
        let row = b.row_mut(u);
        for &(i, v, _) in &scratch.equity {
            row[2 * i] = v;
        }
        for &(i, v, _) in &scratch.debt {
            row[2 * i + 1] = v;
        }
    }
    if b.users.is_empty() {
        return Err(b.err(1, None, Reason::EmptyFile));
    }
    b.finish(line_no + 1)
}

/// Buffers reused from line to line.
struct Scratch {
    key: Vec<u8>,
    value: Vec<u8>,
    user: Vec<u8>,
    user_col: u64,
    /// `(asset, amount, column of the key)`.
    equity: Vec<(usize, Amount, u64)>,
    debt: Vec<(usize, Amount, u64)>,
    /// Per side and asset, the line that last set it (duplicate detection).
    stamps: [Vec<u64>; 2],
}

impl Scratch {
    fn new(assets: usize) -> Self {
        Self {
            key: Vec::new(),
            value: Vec::new(),
            user: Vec::new(),
            user_col: 0,
            equity: Vec::new(),
            debt: Vec::new(),
            stamps: [vec![0; assets], vec![0; assets]],
        }
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn col(&self) -> u64 {
        self.pos as u64 + 1
    }

    fn syntax<T>(&self, msg: &'static str) -> JResult<T> {
        Err((self.col(), Reason::JsonSyntax(msg)))
    }

    fn expect(&mut self, byte: u8, msg: &'static str) -> JResult<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            self.syntax(msg)
        }
    }

    /// Parses a string (the cursor is on its opening quote), unescaped into `out`.
    fn string(&mut self, out: &mut Vec<u8>) -> JResult<()> {
        out.clear();
        self.pos += 1;
        loop {
            let Some(c) = self.peek() else {
                return self.syntax("unterminated string");
            };
            match c {
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => {
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return self.syntax("unterminated string");
                    };
                    let plain = match e {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let ch = self.unicode_escape()?;
                            let mut utf8 = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
                            continue;
                        }
                        _ => return self.syntax("invalid escape sequence"),
                    };
                    out.push(plain);
                    self.pos += 1;
                }
                0x00..=0x1f => return self.syntax("control character in string"),
                _ => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// `uXXXX` (the cursor is on the `u`), with surrogate pairs.
    fn unicode_escape(&mut self) -> JResult<char> {
        let start = self.col() - 1; // the backslash
        let hex4 = |cur: &mut Self| -> Option<u32> {
            let digits = cur.s.get(cur.pos + 1..cur.pos + 5)?;
            let text = std::str::from_utf8(digits).ok()?;
            let v = u32::from_str_radix(text, 16).ok()?;
            text.bytes().all(|b| b.is_ascii_hexdigit()).then(|| {
                cur.pos += 5;
                v
            })
        };
        let bad = (start, Reason::JsonSyntax("invalid \\u escape"));
        let hi = hex4(self).ok_or_else(|| bad.clone())?;
        let code = match hi {
            0xD800..=0xDBFF => {
                if self.s.get(self.pos) != Some(&b'\\') {
                    return Err(bad);
                }
                self.pos += 1;
                if self.peek() != Some(b'u') {
                    return Err(bad);
                }
                let lo = hex4(self).ok_or_else(|| bad.clone())?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return Err(bad);
                }
                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(bad),
            v => v,
        };
        char::from_u32(code).ok_or(bad)
    }

    /// Classifies the value under the cursor without consuming it.
    fn kind(&self) -> JResult<Kind> {
        let rest = &self.s[self.pos.min(self.s.len())..];
        Ok(match rest.first() {
            Some(b'"') => Kind::String,
            Some(b'-' | b'0'..=b'9') => Kind::Number,
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            _ if rest.starts_with(b"true") || rest.starts_with(b"false") => Kind::Bool,
            _ if rest.starts_with(b"null") => Kind::Null,
            Some(_) => return self.syntax("expected a value"),
            None => return self.syntax("unexpected end of line"),
        })
    }

    /// The text of the number under the cursor (for the error message).
    fn number_text(&self) -> String {
        let rest = &self.s[self.pos..];
        let end = rest
            .iter()
            .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
            .unwrap_or(rest.len());
        quote(&rest[..end])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Number,
    Object,
    Array,
    Bool,
    Null,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::String => "a string",
            Self::Number => "a number",
            Self::Object => "an object",
            Self::Array => "an array",
            Self::Bool => "a boolean",
            Self::Null => "null",
        }
    }
}

/// Parses one line into `scratch` (user id, equity and debt entries).
fn parse_object(
    line: &[u8],
    line_no: u64,
    registry: &AssetRegistry,
    scratch: &mut Scratch,
) -> JResult<()> {
    let mut cur = Cursor { s: line, pos: 0 };
    scratch.equity.clear();
    scratch.debt.clear();
    cur.ws();
    let object_col = cur.col();
    cur.expect(b'{', "expected '{': each line holds one JSON object")?;
    let (mut user_seen, mut equity_seen, mut debt_seen) = (false, false, false);
    cur.ws();
    if cur.peek() == Some(b'}') {
        cur.pos += 1;
    } else {
        loop {
            cur.ws();
            if cur.peek() != Some(b'"') {
                return cur.syntax("expected a field name in double quotes");
            }
            let key_col = cur.col();
            cur.string(&mut scratch.key)?;
            cur.ws();
            cur.expect(b':', "expected ':' after the field name")?;
            cur.ws();
            let seen = match scratch.key.as_slice() {
                b"user_id" => &mut user_seen,
                b"equity" => &mut equity_seen,
                b"debt" => &mut debt_seen,
                other => return Err((key_col, Reason::UnknownField(quote(other)))),
            };
            if *seen {
                return Err((key_col, Reason::DuplicateField(quote(&scratch.key))));
            }
            *seen = true;
            match scratch.key.as_slice() {
                b"user_id" => {
                    match cur.kind()? {
                        Kind::String => {}
                        Kind::Number => {
                            return Err((
                                cur.col(),
                                Reason::JsonNumber {
                                    field: "user_id".into(),
                                    value: cur.number_text(),
                                },
                            ));
                        }
                        k => return Err((cur.col(), type_error("user_id", "a string", k))),
                    }
                    scratch.user_col = cur.col();
                    cur.string(&mut scratch.user)?;
                }
                b"equity" => parse_map(&mut cur, Side::Equity, registry, scratch)?,
                _ => parse_map(&mut cur, Side::Debt, registry, scratch)?,
            }
            cur.ws();
            match cur.peek() {
                Some(b',') => cur.pos += 1,
                Some(b'}') => {
                    cur.pos += 1;
                    break;
                }
                _ => return cur.syntax("expected ',' or '}'"),
            }
        }
    }
    cur.ws();
    if cur.pos < line.len() {
        return cur.syntax("trailing characters after the object");
    }
    if !user_seen {
        return Err((object_col, Reason::MissingField("user_id")));
    }
    if !equity_seen {
        return Err((object_col, Reason::MissingField("equity")));
    }
    // Duplicate assets are reported once the user id is known, whatever the field order.
    for (side, entries) in [(0, &scratch.equity), (1, &scratch.debt)] {
        for &(i, _, col) in entries {
            let stamp = &mut scratch.stamps[side][i];
            if *stamp == line_no {
                return Err((
                    col,
                    Reason::DuplicateAsset {
                        user: quote(&scratch.user),
                        asset: registry.assets()[i].id.clone(),
                        first_line: line_no,
                    },
                ));
            }
            *stamp = line_no;
        }
    }
    Ok(())
}

fn type_error(field: &str, expected: &'static str, found: Kind) -> Reason {
    Reason::JsonType {
        field: field.to_owned(),
        expected,
        found: found.name(),
    }
}

/// `{"SYM": "amount", …}` for one side.
fn parse_map(
    cur: &mut Cursor<'_>,
    side: Side,
    registry: &AssetRegistry,
    scratch: &mut Scratch,
) -> JResult<()> {
    let field = side.to_string();
    match cur.kind()? {
        Kind::Object => {}
        k => return Err((cur.col(), type_error(&field, "an object", k))),
    }
    cur.pos += 1;
    cur.ws();
    if cur.peek() == Some(b'}') {
        cur.pos += 1;
        return Ok(());
    }
    loop {
        cur.ws();
        if cur.peek() != Some(b'"') {
            return cur.syntax("expected an asset symbol in double quotes");
        }
        let key_col = cur.col();
        cur.string(&mut scratch.key)?;
        let i = std::str::from_utf8(&scratch.key)
            .ok()
            .and_then(|s| registry.index_of(s))
            .ok_or_else(|| (key_col, Reason::UnknownAsset(quote(&scratch.key))))?;
        let info = &registry.assets()[i];
        cur.ws();
        cur.expect(b':', "expected ':' after the asset symbol")?;
        cur.ws();
        let value_col = cur.col();
        match cur.kind()? {
            Kind::String => {}
            Kind::Number => {
                return Err((
                    value_col,
                    Reason::JsonNumber {
                        field: format!("{field}.{}", info.id),
                        value: cur.number_text(),
                    },
                ));
            }
            k => {
                return Err((
                    value_col,
                    type_error(&format!("{field}.{}", info.id), "a string", k),
                ));
            }
        }
        cur.string(&mut scratch.value)?;
        let amount = parse_amount(&scratch.value, info.decimals, &info.id, side)
            .map_err(|r| (value_col, r))?;
        let entries = match side {
            Side::Equity => &mut scratch.equity,
            Side::Debt => &mut scratch.debt,
        };
        entries.push((i, amount, key_col));
        cur.ws();
        match cur.peek() {
            Some(b',') => cur.pos += 1,
            Some(b'}') => {
                cur.pos += 1;
                return Ok(());
            }
            _ => return cur.syntax("expected ',' or '}'"),
        }
    }
}
