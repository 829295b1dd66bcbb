//! The published wallet file, CSV or JSON (`docs/formats.md`, "Wallet file (proof of assets)"),
//! read the way `custodia reserves verify` reads it, so that line numbers agree with the report.

use serde::Deserialize;

use crate::CheckError;

/// Format tag of JSON wallet files.
pub const WALLET_FORMAT: &str = "custodia-wallets/1";
const COLUMNS: [&str; 8] = [
    "chain",
    "address",
    "asset",
    "balance",
    "height",
    "message",
    "signatures",
    "script",
];

/// One wallet as the file states it (values unparsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletRow {
    /// CSV line (1 = the header) or 1-based JSON entry.
    pub line: usize,
    /// Chain name.
    pub chain: String,
    /// Address as written.
    pub address: String,
    /// Asset symbol.
    pub asset: String,
    /// Balance, exact decimal.
    pub balance: String,
    /// Block height.
    pub height: String,
    /// Signatures (base64 or hex, by scheme).
    pub signatures: Vec<String>,
    /// The `script` column: a multisig script, or a chain's key data (`name=value;…`, e.g. an
    /// Aptos wallet's public key and nonce); empty when the file has none.
    pub script: String,
}

fn bad(reason: impl Into<String>) -> CheckError {
    CheckError::Wallets {
        reason: reason.into(),
    }
}

/// Parses a wallet file: JSON when it starts with `{`, CSV otherwise.
pub fn parse_wallets(bytes: &[u8]) -> Result<Vec<WalletRow>, CheckError> {
    let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8 text"))?;
    if text.trim_start().starts_with('{') {
        parse_json(text)
    } else {
        parse_csv(text)
    }
}

fn parse_csv(text: &str) -> Result<Vec<WalletRow>, CheckError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let mut index = [None; COLUMNS.len()];
    for (i, name) in header.iter().enumerate() {
        let col = COLUMNS
            .iter()
            .position(|c| *c == name)
            .ok_or_else(|| bad(format!("unknown column `{name}`")))?;
        if index[col].replace(i).is_some() {
            return Err(bad(format!("column `{name}` appears twice")));
        }
    }
    if let Some(missing) = (0..7).find(|&c| index[c].is_none()) {
        return Err(bad(format!("no `{}` column", COLUMNS[missing])));
    }
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| bad(e.to_string()))?
    {
        let field = |col: usize| -> String {
            index[col]
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .to_owned()
        };
        rows.push(WalletRow {
            line: record.position().map_or(0, |p| p.line() as usize),
            chain: field(0),
            address: field(1),
            asset: field(2),
            balance: field(3),
            height: field(4),
            signatures: field(6)
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            script: field(7),
        });
    }
    Ok(rows)
}

#[derive(Deserialize)]
struct JsonFile {
    format: String,
    wallets: Vec<JsonEntry>,
}

#[derive(Deserialize)]
struct JsonEntry {
    chain: String,
    address: String,
    asset: String,
    balance: String,
    height: serde_json::Value,
    signatures: Vec<String>,
    #[serde(default)]
    script: Option<String>,
}

fn parse_json(text: &str) -> Result<Vec<WalletRow>, CheckError> {
    let file: JsonFile = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    if file.format != WALLET_FORMAT {
        return Err(bad(format!(
            "format `{}`, expected `{WALLET_FORMAT}`",
            file.format
        )));
    }
    Ok(file
        .wallets
        .into_iter()
        .enumerate()
        .map(|(i, e)| WalletRow {
            line: i + 1,
            chain: e.chain,
            address: e.address,
            asset: e.asset,
            balance: e.balance,
            height: match e.height {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            },
            signatures: e.signatures,
            script: e.script.unwrap_or_default(),
        })
        .collect())
}
