//! Node clients: a small blocking JSON-RPC 2.0 client over HTTP (ureq, no TLS) and the two
//! [`BalanceSource`]s built on it, [`EvmRpc`] and [`BitcoindRpc`].
//!
//! Plain `http://` only: a node's RPC port belongs on localhost or a private network (put a TLS
//! terminating proxy in front of a remote one).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use custodia_primitives::Amount;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::ReservesError;
use crate::balance::{BalanceQuery, BalanceSource, ObservedBalance, to_ledger_units};
use crate::chain::{ChainAddress, ChainKind};
use crate::evm::balance_of_calldata;

/// Largest response body read from a node.
const MAX_BODY: u64 = 64 << 20;

/// A blocking JSON-RPC 2.0 client.
pub struct JsonRpcClient {
    url: String,
    agent: ureq::Agent,
    authorization: Option<String>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for JsonRpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The authorization header is a secret: never printed.
        f.debug_struct("JsonRpcClient")
            .field("url", &self.url)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[derive(Deserialize)]
struct Response<'a> {
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
    #[serde(default)]
    error: Option<Value>,
}

impl JsonRpcClient {
    /// A client for `url` (`http://host:port[/path]`), 30 s timeout, no proxy.
    pub fn new(url: impl Into<String>) -> Result<Self, ReservesError> {
        let url = url.into();
        if !url.starts_with("http://") {
            return Err(ReservesError::Http {
                url,
                message: "only http:// node URLs are supported".into(),
            });
        }
        Ok(Self {
            agent: Self::agent(Duration::from_secs(30)),
            url,
            authorization: None,
            next_id: AtomicU64::new(1),
        })
    }

    fn agent(timeout: Duration) -> ureq::Agent {
        ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .into()
    }

    /// Sends HTTP basic authentication (bitcoind's `rpcuser`/`rpcpassword` or cookie).
    pub fn with_basic_auth(mut self, user: &str, password: &str) -> Self {
        self.authorization = Some(format!(
            "Basic {}",
            STANDARD.encode(format!("{user}:{password}"))
        ));
        self
    }

    /// Replaces the whole-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.agent = Self::agent(timeout);
        self
    }

    /// Calls `method` and returns the raw JSON text of `result`.
    pub fn call_raw(&self, method: &str, params: Value) -> Result<String, ReservesError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let http = |message: String| ReservesError::Http {
            url: self.url.clone(),
            message,
        };
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json");
        if let Some(auth) = &self.authorization {
            req = req.header("Authorization", auth);
        }
        let mut resp = req
            .send(body.to_string())
            .map_err(|e| http(e.to_string()))?;
        let status = resp.status();
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|e| http(e.to_string()))?;
        // bitcoind answers RPC errors with HTTP 500 and a JSON body: read the body first.
        let parsed: Response<'_> = match serde_json::from_str(&text) {
            Ok(r) => r,
            Err(e) if status.is_success() => {
                return Err(ReservesError::RpcAnswer {
                    method: method.into(),
                    message: e.to_string(),
                });
            }
            Err(_) => return Err(http(format!("status {status}"))),
        };
        if let Some(err) = parsed.error.filter(|e| !e.is_null()) {
            return Err(ReservesError::Rpc {
                method: method.into(),
                code: err.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: err
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            });
        }
        match parsed.result {
            Some(r) if status.is_success() => Ok(r.get().to_owned()),
            Some(_) => Err(http(format!("status {status}"))),
            None => Err(ReservesError::RpcAnswer {
                method: method.into(),
                message: "neither result nor error".into(),
            }),
        }
    }
}

/// Parses an Ethereum `QUANTITY` or 32-byte `DATA` hex string as an unsigned integer.
pub fn parse_hex_quantity(method: &str, raw_json: &str) -> Result<u128, ReservesError> {
    let bad = |message: String| ReservesError::RpcAnswer {
        method: method.into(),
        message,
    };
    let s: String = serde_json::from_str(raw_json).map_err(|e| bad(e.to_string()))?;
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| bad(format!("`{s}` is not 0x-hex")))?;
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(0);
    }
    if digits.len() > 32 {
        return Err(ReservesError::Overflow {
            what: format!("{method} answer {s}"),
        });
    }
    u128::from_str_radix(digits, 16).map_err(|e| bad(format!("`{s}`: {e}")))
}

/// Balances from an EVM node: `eth_getBalance` for the native coin, ERC-20 `balanceOf` through
/// `eth_call`, both at the wallet's block number (the node must keep that state: an archive
/// node for old heights).
#[derive(Debug)]
pub struct EvmRpc {
    client: JsonRpcClient,
}

impl EvmRpc {
    /// A source backed by `client`.
    pub fn new(client: JsonRpcClient) -> Self {
        Self { client }
    }
}

impl BalanceSource for EvmRpc {
    fn balance(&self, q: &BalanceQuery<'_>) -> Result<ObservedBalance, ReservesError> {
        let (ChainKind::Evm, ChainAddress::Evm(addr)) = (q.chain.kind, q.address) else {
            return Err(ReservesError::SourceUnsupported {
                what: format!("chain `{}` with an EVM node", q.chain.name),
            });
        };
        let block = format!("0x{:x}", q.height);
        let owner = format!("0x{}", hex::encode(addr));
        let (raw, decimals) = match q.token {
            None => {
                let r = self
                    .client
                    .call_raw("eth_getBalance", json!([owner, block]))?;
                (
                    parse_hex_quantity("eth_getBalance", &r)?,
                    q.chain.native_decimals,
                )
            }
            Some(t) => {
                let call = json!({"to": t.contract, "data": balance_of_calldata(addr)});
                let r = self.client.call_raw("eth_call", json!([call, block]))?;
                (parse_hex_quantity("eth_call", &r)?, t.decimals)
            }
        };
        Ok(ObservedBalance {
            amount: to_ledger_units(raw, decimals, q.ledger_decimals)?,
            height: q.height,
        })
    }

    fn name(&self) -> String {
        "evm-rpc".into()
    }
}

/// Balances from Bitcoin Core's `scantxoutset start ["addr(<address>)"]`.
///
/// # Correctness
/// `scantxoutset` scans the node's *current* UTXO set: the answer is the balance at the node's
/// tip, which it reports as `height`. The verifier rejects the wallet with
/// [`ReservesError::SourceHeight`] unless that height is the wallet's. Run the check on a node
/// held at the snapshot height (`-stopatheight=<h+1>`, or `invalidateblock` on block `h+1` of a
/// copy of the node), not on a live one.
#[derive(Debug)]
pub struct BitcoindRpc {
    client: JsonRpcClient,
}

impl BitcoindRpc {
    /// A source backed by `client`.
    pub fn new(client: JsonRpcClient) -> Self {
        Self { client }
    }
}

#[derive(Deserialize)]
struct ScanResult<'a> {
    success: bool,
    height: u64,
    #[serde(borrow)]
    total_amount: &'a RawValue,
}

impl BalanceSource for BitcoindRpc {
    fn balance(&self, q: &BalanceQuery<'_>) -> Result<ObservedBalance, ReservesError> {
        let ChainAddress::Bitcoin(_) = q.address else {
            return Err(ReservesError::SourceUnsupported {
                what: format!("chain `{}` with bitcoind", q.chain.name),
            });
        };
        const METHOD: &str = "scantxoutset";
        let raw = self
            .client
            .call_raw(METHOD, json!(["start", [format!("addr({})", q.canonical)]]))?;
        let bad = |message: String| ReservesError::RpcAnswer {
            method: METHOD.into(),
            message,
        };
        let scan: ScanResult<'_> = serde_json::from_str(&raw).map_err(|e| bad(e.to_string()))?;
        if !scan.success {
            return Err(bad("scan did not succeed".into()));
        }
        // The amount is a JSON number in BTC with 8 decimals: read its text, never a float.
        let btc = scan.total_amount.get();
        let sats = Amount::parse(btc, 8).map_err(|e| bad(format!("total_amount: {e}")))?;
        Ok(ObservedBalance {
            amount: to_ledger_units(
                u128::from(sats.units()),
                q.chain.native_decimals,
                q.ledger_decimals,
            )?,
            height: scan.height,
        })
    }

    fn name(&self) -> String {
        "bitcoind".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_quantities() {
        assert_eq!(parse_hex_quantity("m", "\"0x0\"").unwrap(), 0);
        assert_eq!(
            parse_hex_quantity("m", "\"0x1bc16d674ec80000\"").unwrap(),
            2 * 10u128.pow(18)
        );
        assert_eq!(
            parse_hex_quantity(
                "m",
                "\"0x0000000000000000000000000000000000000000000000000000000005f5e100\""
            )
            .unwrap(),
            100_000_000
        );
        assert_eq!(
            parse_hex_quantity("m", &format!("\"0x1{}\"", "0".repeat(32)))
                .unwrap_err()
                .code(),
            "overflow"
        );
        assert_eq!(
            parse_hex_quantity("m", "\"12\"").unwrap_err().code(),
            "rpc_answer"
        );
        assert_eq!(
            parse_hex_quantity("m", "12").unwrap_err().code(),
            "rpc_answer"
        );
    }

    #[test]
    fn only_http() {
        assert_eq!(
            JsonRpcClient::new("https://node").unwrap_err().code(),
            "http"
        );
        let c = JsonRpcClient::new("http://127.0.0.1:1")
            .unwrap()
            .with_basic_auth("u", "secret");
        assert!(!format!("{c:?}").contains("secret"));
    }
}
