//! The wallet file: the exchange's list of addresses, balances and ownership signatures, as CSV
//! or JSON (specified in `docs/formats.md`, section "Wallet file (proof of assets)").
//!
//! The file's *structure* must be sound: a bad header, a record with the wrong number of fields
//! or a JSON entry of the wrong shape fails the whole file (nothing is verified from a file that
//! cannot be read as intended). Every *value* is kept as text here and judged per wallet by
//! [`crate::verify_wallets`], so one bad balance or signature rejects one wallet, with its line.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::ReservesError;

/// Format tag of version-1 JSON wallet files.
pub const WALLET_FORMAT: &str = "custodia-wallets/1";
/// CSV columns, in the order the writer uses. `script` may be omitted from a file.
pub const CSV_COLUMNS: [&str; 8] = [
    "chain",
    "address",
    "asset",
    "balance",
    "height",
    "message",
    "signatures",
    "script",
];
/// Separator of several signatures in one CSV field.
pub const SIGNATURE_SEPARATOR: char = ';';

/// CSV or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WalletFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// A JSON object `{"format": "custodia-wallets/1", "wallets": [...]}`.
    Json,
}

impl WalletFormat {
    /// JSON when the first non-blank character is `{`, CSV otherwise.
    pub fn detect(text: &str) -> Self {
        if text.trim_start().starts_with('{') {
            Self::Json
        } else {
            Self::Csv
        }
    }

    /// `csv` or `json`.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }
}

/// One wallet as written in the file (values unparsed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletRow {
    /// CSV line number (1 = header) or 1-based JSON entry number.
    #[serde(skip)]
    pub line: usize,
    /// Chain name, as in the asset registry.
    pub chain: String,
    /// The address.
    pub address: String,
    /// Asset symbol.
    pub asset: String,
    /// Balance at `height`, exact decimal at the asset's ledger decimals.
    pub balance: String,
    /// Block height the balance and the message refer to.
    pub height: String,
    /// The signed ownership message.
    pub message: String,
    /// Signature(s): base64 for Bitcoin, `0x` hex for EVM and TRON.
    pub signatures: Vec<String>,
    /// Redeem or witness script (hex) of a multisig address.
    pub script: Option<String>,
}

/// Reads a wallet file from disk (format detected from the content).
pub fn read_wallet_file(path: &Path) -> Result<Vec<WalletRow>, ReservesError> {
    let text = std::fs::read_to_string(path).map_err(|e| ReservesError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    parse_wallets(&text)
}

/// Parses a wallet file, detecting CSV or JSON.
pub fn parse_wallets(text: &str) -> Result<Vec<WalletRow>, ReservesError> {
    parse_wallets_as(text, WalletFormat::detect(text))
}

/// Parses a wallet file in the given format.
pub fn parse_wallets_as(text: &str, format: WalletFormat) -> Result<Vec<WalletRow>, ReservesError> {
    match format {
        WalletFormat::Csv => parse_csv(text),
        WalletFormat::Json => parse_json(text),
    }
}

fn csv_error(e: &csv::Error) -> ReservesError {
    ReservesError::Csv {
        message: e.to_string(),
    }
}

fn parse_csv(text: &str) -> Result<Vec<WalletRow>, ReservesError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| csv_error(&e))?.clone();
    let mut index = [None; CSV_COLUMNS.len()];
    for (i, name) in header.iter().enumerate() {
        let col = CSV_COLUMNS.iter().position(|c| *c == name).ok_or_else(|| {
            ReservesError::UnknownColumn {
                column: name.to_owned(),
                expected: "chain, address, asset, balance, height, message, signatures[, script]",
            }
        })?;
        if index[col].replace(i).is_some() {
            return Err(ReservesError::Csv {
                message: format!("column `{name}` appears twice"),
            });
        }
    }
    for (col, name) in CSV_COLUMNS.iter().enumerate().take(7) {
        if index[col].is_none() {
            return Err(ReservesError::MissingColumn { column: name });
        }
    }
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(&e)),
        }
        let line = record.position().map_or(0, |p| p.line() as usize);
        let field = |col: usize| -> String {
            index[col]
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .to_owned()
        };
        let script = field(7);
        rows.push(WalletRow {
            line,
            chain: field(0),
            address: field(1),
            asset: field(2),
            balance: field(3),
            height: field(4),
            message: field(5),
            signatures: field(6)
                .split(SIGNATURE_SEPARATOR)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            script: (!script.is_empty()).then_some(script),
        });
    }
    Ok(rows)
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct JsonFile {
    format: String,
    wallets: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonEntry {
    chain: String,
    address: String,
    asset: String,
    balance: String,
    height: HeightField,
    message: String,
    signatures: Vec<String>,
    #[serde(default)]
    script: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum HeightField {
    Number(u64),
    Text(String),
}

fn parse_json(text: &str) -> Result<Vec<WalletRow>, ReservesError> {
    let file: JsonFile = serde_json::from_str(text).map_err(|e| ReservesError::Json {
        message: e.to_string(),
    })?;
    if file.format != WALLET_FORMAT {
        return Err(ReservesError::WrongFormat {
            expected: WALLET_FORMAT,
            got: file.format,
        });
    }
    file.wallets
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let e: JsonEntry = serde_json::from_value(v).map_err(|e| ReservesError::Json {
                message: format!("wallet #{}: {e}", i + 1),
            })?;
            Ok(WalletRow {
                line: i + 1,
                chain: e.chain,
                address: e.address,
                asset: e.asset,
                balance: e.balance,
                height: match e.height {
                    HeightField::Number(h) => h.to_string(),
                    HeightField::Text(s) => s,
                },
                message: e.message,
                signatures: e.signatures,
                script: e.script.filter(|s| !s.is_empty()),
            })
        })
        .collect()
}

/// Writes wallets in `format` (the inverse of [`parse_wallets_as`]; `line` is not written).
pub fn write_wallets(rows: &[WalletRow], format: WalletFormat) -> String {
    match format {
        WalletFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(CSV_COLUMNS).expect("in-memory write");
            for r in rows {
                let sigs = r.signatures.join(&SIGNATURE_SEPARATOR.to_string());
                w.write_record([
                    r.chain.as_str(),
                    &r.address,
                    &r.asset,
                    &r.balance,
                    &r.height,
                    &r.message,
                    &sigs,
                    r.script.as_deref().unwrap_or(""),
                ])
                .expect("in-memory write");
            }
            String::from_utf8(w.into_inner().expect("in-memory flush"))
                .expect("UTF-8 in, UTF-8 out")
        }
        WalletFormat::Json => {
            let wallets = rows
                .iter()
                .map(|r| {
                    let mut v = serde_json::json!({
                        "chain": r.chain,
                        "address": r.address,
                        "asset": r.asset,
                        "balance": r.balance,
                        "height": r.height.parse::<u64>().map_or_else(
                            |_| serde_json::Value::String(r.height.clone()),
                            serde_json::Value::from,
                        ),
                        "message": r.message,
                        "signatures": r.signatures,
                    });
                    if let Some(s) = &r.script {
                        v["script"] = serde_json::Value::String(s.clone());
                    }
                    v
                })
                .collect();
            let file = JsonFile {
                format: WALLET_FORMAT.to_owned(),
                wallets,
            };
            let mut s = serde_json::to_string_pretty(&file).expect("JSON values serialise");
            s.push('\n');
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: usize, script: Option<&str>, sigs: &[&str]) -> WalletRow {
        WalletRow {
            line,
            chain: "bitcoin".into(),
            address: "bc1qexample".into(),
            asset: "BTC".into(),
            balance: "1.5".into(),
            height: "840000".into(),
            message: "Custodia proof of reserves | A, Inc. | round r | height 840000 | bc1qexample"
                .into(),
            signatures: sigs.iter().map(|s| (*s).to_owned()).collect(),
            script: script.map(str::to_owned),
        }
    }

    #[test]
    fn both_formats_round_trip() {
        let rows = vec![row(2, None, &["c2ln"]), row(3, Some("52ae"), &["a", "b"])];
        for format in [WalletFormat::Csv, WalletFormat::Json] {
            let text = write_wallets(&rows, format);
            assert_eq!(WalletFormat::detect(&text), format);
            let back = parse_wallets(&text).unwrap();
            let lines: Vec<usize> = back.iter().map(|r| r.line).collect();
            assert_eq!(
                lines,
                if format == WalletFormat::Csv {
                    vec![2, 3]
                } else {
                    vec![1, 2]
                }
            );
            let strip = |v: &[WalletRow]| -> Vec<WalletRow> {
                v.iter()
                    .cloned()
                    .map(|r| WalletRow { line: 0, ..r })
                    .collect()
            };
            assert_eq!(strip(&back), strip(&rows), "{format:?}");
        }
    }

    #[test]
    fn csv_columns_in_any_order_script_optional() {
        let text =
            "asset,chain,address,balance,height,message,signatures\nBTC,bitcoin,bc1q,1,5,m,s1;s2\n";
        let rows = parse_wallets(text).unwrap();
        assert_eq!(rows[0].chain, "bitcoin");
        assert_eq!(rows[0].signatures, ["s1", "s2"]);
        assert_eq!(rows[0].script, None);
    }

    fn fails(text: &str, code: &str) {
        assert_eq!(parse_wallets(text).unwrap_err().code(), code, "{text}");
    }

    #[test]
    fn structural_errors_fail_the_file() {
        fails(
            "chain,address,asset,balance,height,message\n",
            "missing_column",
        );
        fails(
            "chain,address,asset,balance,height,message,signature\n",
            "unknown_column",
        );
        fails(
            "chain,address,asset,balance,height,message,signatures\na,b,c\n",
            "csv",
        );
        fails("{\"format\": \"other/1\", \"wallets\": []}", "wrong_format");
        fails("{\"format\": \"custodia-wallets/1\"}", "json");
        fails(
            "{\"format\": \"custodia-wallets/1\", \"wallets\": [{\"chain\": 1}]}",
            "json",
        );
        // A JSON number balance would have gone through a float somewhere: refused.
        fails(
            r#"{"format": "custodia-wallets/1", "wallets": [{"chain": "bitcoin", "address": "a", "asset": "BTC", "balance": 1.5, "height": 1, "message": "m", "signatures": []}]}"#,
            "json",
        );
    }
}
