//! The key data of a wallet row: what a chain's signing standard does not put in the signature
//! itself (the public key when the address is a hash of it, a TON wallet's version and the
//! `ton_proof` domain and time, an Aptos nonce). It is written in the `script` column as
//! `name=value` pairs separated by `;`, e.g. `public_key=ED01…`.

use std::collections::BTreeMap;

use crate::WalletRejection;

/// Parsed `name=value` pairs.
#[derive(Debug, Default)]
pub(crate) struct KeyData<'a> {
    fields: BTreeMap<&'a str, &'a str>,
}

impl<'a> KeyData<'a> {
    /// Parses the column; `allowed` lists the names the chain takes (others are rejected, so
    /// that a misspelt name is not silently ignored).
    pub(crate) fn parse(
        text: Option<&'a str>,
        allowed: &[&'static str],
    ) -> Result<Self, WalletRejection> {
        let mut fields = BTreeMap::new();
        for part in text.unwrap_or("").split(';').map(str::trim) {
            if part.is_empty() {
                continue;
            }
            let Some((name, value)) = part.split_once('=') else {
                return Err(WalletRejection::key_data(format!(
                    "`{part}` is not name=value (names: {})",
                    allowed.join(", ")
                )));
            };
            let name = name.trim();
            if !allowed.contains(&name) {
                return Err(WalletRejection::key_data(format!(
                    "unknown field `{name}` (this chain takes {})",
                    if allowed.is_empty() {
                        "none".to_owned()
                    } else {
                        allowed.join(", ")
                    }
                )));
            }
            if fields.insert(name, value.trim()).is_some() {
                return Err(WalletRejection::key_data(format!(
                    "field `{name}` given twice"
                )));
            }
        }
        Ok(Self { fields })
    }

    /// A field that must be present.
    pub(crate) fn required(&self, name: &'static str) -> Result<&'a str, WalletRejection> {
        self.fields
            .get(name)
            .copied()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| WalletRejection::key_data(format!("field `{name}` is required")))
    }

    /// An optional field.
    pub(crate) fn get(&self, name: &'static str) -> Option<&'a str> {
        self.fields.get(name).copied()
    }

    /// A required hex field of exactly `N` bytes (with or without `0x`).
    pub(crate) fn hex<const N: usize>(
        &self,
        name: &'static str,
    ) -> Result<[u8; N], WalletRejection> {
        let v = self.required(name)?;
        let bytes = hex::decode(v.strip_prefix("0x").unwrap_or(v))
            .map_err(|e| WalletRejection::key_data(format!("field `{name}` is not hex: {e}")))?;
        bytes.try_into().map_err(|b: Vec<u8>| {
            WalletRejection::key_data(format!("field `{name}` is {} bytes, expected {N}", b.len()))
        })
    }
}

/// Writes key data back (for the signers and the template).
pub fn key_data(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(";")
}
