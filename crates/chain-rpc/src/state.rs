//! An EVM node's state at one pinned block: code, storage, balances and nonces, read with
//! `eth_getCode`, `eth_getStorageAt`, `eth_getBalance` and `eth_getTransactionCount` at that
//! block number (never `latest`, so every read of one simulation sees the same chain).
//! Forked token simulations read through it (the binary adapts it to `custodia-token`'s
//! `ChainState`); plain types only, so this crate stays free of any EVM engine.

use serde_json::{Value, json};

use crate::client::JsonRpcClient;
use crate::error::ChainRpcError;

/// A node's state at `block`.
#[derive(Debug)]
pub struct EvmState {
    client: JsonRpcClient,
    block: u64,
}

fn answer(method: &str, message: impl Into<String>) -> ChainRpcError {
    ChainRpcError::Answer {
        method: method.into(),
        message: message.into(),
    }
}

/// `0x`-hex text of at most `max` bytes, as bytes (left-padded when `pad`).
fn hex_bytes(
    method: &str,
    raw_json: &str,
    max: usize,
    pad: bool,
) -> Result<Vec<u8>, ChainRpcError> {
    let s: String = serde_json::from_str(raw_json).map_err(|e| answer(method, e.to_string()))?;
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| answer(method, format!("`{}` is not 0x-hex", cut(&s))))?;
    let digits = if pad {
        digits.trim_start_matches('0')
    } else {
        digits
    };
    let even = if digits.len() % 2 == 1 {
        format!("0{digits}")
    } else {
        digits.to_owned()
    };
    let bytes = hex::decode(&even).map_err(|e| answer(method, format!("{e} in `{}`", cut(&s))))?;
    if bytes.len() > max {
        return Err(ChainRpcError::Overflow {
            what: format!("{method} answer of {} bytes (at most {max})", bytes.len()),
        });
    }
    if pad {
        let mut out = vec![0u8; max - bytes.len()];
        out.extend(bytes);
        return Ok(out);
    }
    Ok(bytes)
}

fn cut(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn word(method: &str, raw_json: &str) -> Result<[u8; 32], ChainRpcError> {
    let v = hex_bytes(method, raw_json, 32, true)?;
    let mut w = [0u8; 32];
    w.copy_from_slice(&v);
    Ok(w)
}

fn addr(a: &[u8; 20]) -> String {
    format!("0x{}", hex::encode(a))
}

/// Largest code accepted from a node (twice EIP-170's limit).
pub const MAX_NODE_CODE: usize = 2 * 24_576;

impl EvmState {
    /// Reads through `client` at `block`.
    pub fn new(client: JsonRpcClient, block: u64) -> Self {
        Self { client, block }
    }

    fn tag(&self) -> String {
        format!("0x{:x}", self.block)
    }

    /// The pinned block's number and timestamp (an error if the node does not have it).
    pub fn header(&self) -> Result<(u64, u64), ChainRpcError> {
        let m = "eth_getBlockByNumber";
        let raw = self.client.call_raw(m, json!([self.tag(), false]))?;
        let v: Value = serde_json::from_str(&raw).map_err(|e| answer(m, e.to_string()))?;
        if v.is_null() {
            return Err(answer(m, format!("the node has no block {}", self.block)));
        }
        let field = |k: &str| -> Result<u64, ChainRpcError> {
            let t = v
                .get(k)
                .ok_or_else(|| answer(m, format!("no `{k}`")))?
                .to_string();
            let n = crate::sources::parse_hex_quantity(m, &t)?;
            u64::try_from(n).map_err(|_| ChainRpcError::Overflow {
                what: format!("{m} {k}"),
            })
        };
        Ok((field("number")?, field("timestamp")?))
    }

    /// An account's code at the pinned block.
    pub fn code(&self, a: &[u8; 20]) -> Result<Vec<u8>, ChainRpcError> {
        let m = "eth_getCode";
        let raw = self.client.call_raw(m, json!([addr(a), self.tag()]))?;
        hex_bytes(m, &raw, MAX_NODE_CODE, false)
    }

    /// An account's balance in wei, big-endian.
    pub fn balance(&self, a: &[u8; 20]) -> Result<[u8; 32], ChainRpcError> {
        let m = "eth_getBalance";
        word(m, &self.client.call_raw(m, json!([addr(a), self.tag()]))?)
    }

    /// An account's nonce.
    pub fn nonce(&self, a: &[u8; 20]) -> Result<u64, ChainRpcError> {
        let m = "eth_getTransactionCount";
        let raw = self.client.call_raw(m, json!([addr(a), self.tag()]))?;
        let n = crate::sources::parse_hex_quantity(m, &raw)?;
        u64::try_from(n).map_err(|_| ChainRpcError::Overflow {
            what: format!("{m} answer {n}"),
        })
    }

    /// One storage word.
    pub fn storage(&self, a: &[u8; 20], slot: &[u8; 32]) -> Result<[u8; 32], ChainRpcError> {
        let m = "eth_getStorageAt";
        let key = format!("0x{}", hex::encode(slot));
        word(
            m,
            &self.client.call_raw(m, json!([addr(a), key, self.tag()]))?,
        )
    }

    /// The hash of block `number`.
    pub fn block_hash(&self, number: u64) -> Result<[u8; 32], ChainRpcError> {
        let m = "eth_getBlockByNumber";
        let raw = self
            .client
            .call_raw(m, json!([format!("0x{number:x}"), false]))?;
        let v: Value = serde_json::from_str(&raw).map_err(|e| answer(m, e.to_string()))?;
        let h = v
            .get("hash")
            .ok_or_else(|| answer(m, format!("no block {number}")))?
            .to_string();
        word(m, &h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_left_padded_and_bounded() {
        let w = word("m", "\"0x1\"").unwrap();
        assert_eq!(w[31], 1);
        assert!(w[..31].iter().all(|&b| b == 0));
        assert_eq!(word("m", "\"0x0\"").unwrap(), [0u8; 32]);
        // The twins: too long, not hex, no prefix.
        assert!(matches!(
            word("m", &format!("\"0x1{}\"", "0".repeat(64))),
            Err(ChainRpcError::Overflow { .. })
        ));
        assert!(matches!(
            word("m", "\"0xzz\""),
            Err(ChainRpcError::Answer { .. })
        ));
        assert!(matches!(
            word("m", "\"12\""),
            Err(ChainRpcError::Answer { .. })
        ));
    }

    #[test]
    fn code_keeps_its_bytes() {
        assert_eq!(
            hex_bytes("m", "\"0x00600b\"", 10, false).unwrap(),
            vec![0, 0x60, 0x0b]
        );
        assert_eq!(
            hex_bytes("m", "\"0x\"", 10, false).unwrap(),
            Vec::<u8>::new()
        );
        assert!(hex_bytes("m", "\"0x0011\"", 1, false).is_err());
    }
}
