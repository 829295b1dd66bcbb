//! The operator's side: from a list of addresses to the wallet file custody signers fill in.
//!
//! The address list is CSV with a header: `chain,address,asset` and optionally `balance` and
//! `key_data` (the public key, TON wallet, … that the chain's standard needs beside the
//! signature; see `docs/reserves.md`). [`wallet_template`] checks every line against the
//! verifier's parameters — chain supported and height pinned, asset on that chain, address
//! valid — and writes the canonical address and the exact message to sign. Every bad line is
//! reported (with its line number), and no template is produced from a list with errors.

use crate::ReservesError;
use crate::chain::ChainAddress;
use crate::message::{check_label, ownership_message};
use crate::params::VerifyParams;
use crate::wallet::WalletRow;

/// Columns of the address list.
pub const ADDRESS_LIST_COLUMNS: [&str; 5] = ["chain", "address", "asset", "balance", "key_data"];

/// Builds the unsigned wallet rows (message filled in, signatures empty) for `round`.
///
/// `registry_chains(asset)` returns the chains the asset registry lists for an asset, or
/// `None` for an unknown asset.
///
/// # Errors
/// [`ReservesError::AddressList`] naming every bad line, or a malformed list.
pub fn wallet_template<'r>(
    list: &str,
    round: &str,
    params: &VerifyParams,
    registry_chains: impl Fn(&str) -> Option<&'r [String]>,
) -> Result<Vec<WalletRow>, ReservesError> {
    params.validate()?;
    check_label("round id", round)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(list.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| ReservesError::Csv {
            message: e.to_string(),
        })?
        .clone();
    let mut index = [None; 5];
    for (i, name) in header.iter().enumerate() {
        let col = ADDRESS_LIST_COLUMNS
            .iter()
            .position(|c| *c == name)
            .ok_or_else(|| ReservesError::UnknownColumn {
                column: name.to_owned(),
                expected: "chain, address, asset[, balance][, key_data]",
            })?;
        index[col] = Some(i);
    }
    for (col, name) in ADDRESS_LIST_COLUMNS.iter().enumerate().take(3) {
        if index[col].is_none() {
            return Err(ReservesError::MissingColumn { column: name });
        }
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReservesError::Csv {
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let field = |c: usize| {
            index[c]
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .to_owned()
        };
        let (chain_name, address, asset) = (field(0), field(1), field(2));
        let row = (|| -> Result<WalletRow, String> {
            let chain = params
                .chain(&chain_name)
                .ok_or_else(|| format!("chain `{chain_name}` has no ownership verifier"))?;
            let chains = registry_chains(&asset)
                .ok_or_else(|| format!("asset `{asset}` is not in the registry"))?;
            if !chains.contains(&chain_name) {
                return Err(format!("asset {asset} is not held on `{chain_name}`"));
            }
            if chain.native_asset.as_str() != asset && params.token(&chain_name, &asset).is_none() {
                return Err(format!("no token contract for {asset} on `{chain_name}`"));
            }
            let (_, height) = params
                .height_window(&chain_name)
                .ok_or_else(|| format!("no snapshot height pinned for `{chain_name}`"))?;
            let canonical = ChainAddress::parse(chain, &address)
                .map_err(|e| e.to_string())?
                .canonical();
            let key_data = field(4);
            Ok(WalletRow {
                line,
                chain: chain_name.clone(),
                message: ownership_message(&params.exchange, round, height, &canonical),
                address: canonical,
                asset: asset.clone(),
                balance: field(3),
                height: height.to_string(),
                signatures: Vec::new(),
                script: (!key_data.is_empty()).then_some(key_data),
            })
        })();
        match row {
            Ok(r) => rows.push(r),
            Err(e) => problems.push(format!("line {line}: {e}")),
        }
    }
    if !problems.is_empty() {
        return Err(ReservesError::AddressList { problems });
    }
    Ok(rows)
}
