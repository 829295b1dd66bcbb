//! The balance sources built on [`JsonRpcClient`]: an EVM node and Bitcoin Core.

use custodia_primitives::Amount;
use custodia_reserves::{
    BalanceQuery, BalanceSource, ChainAddress, ChainKind, ObservedBalance, SourceAuthority,
    WalletRejection, to_ledger_units,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::{ChainRpcError, JsonRpcClient};

/// Parses an Ethereum `QUANTITY` or 32-byte `DATA` hex string as an unsigned integer.
pub fn parse_hex_quantity(method: &str, raw_json: &str) -> Result<u128, ChainRpcError> {
    let bad = |message: String| ChainRpcError::Answer {
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
        return Err(ChainRpcError::Overflow {
            what: format!("{method} answer {s}"),
        });
    }
    u128::from_str_radix(digits, 16).map_err(|e| bad(format!("`{s}`: {e}")))
}

/// ABI call data of EIP-1271 `isValidSignature(bytes32 hash, bytes signature)`.
pub fn is_valid_signature_calldata(hash: &[u8; 32], signature: &[u8]) -> String {
    let padded = signature.len().div_ceil(32) * 32;
    let mut sig = signature.to_vec();
    sig.resize(padded, 0);
    format!(
        "0x1626ba7e{}{:064x}{:064x}{}",
        hex::encode(hash),
        64,
        signature.len(),
        hex::encode(sig)
    )
}

/// ABI call data of ERC-20 `balanceOf(owner)`.
pub fn balance_of_calldata(owner: &[u8; 20]) -> String {
    format!("0x70a08231{:0>64}", hex::encode(owner))
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
    fn balance(&self, q: &BalanceQuery<'_>) -> Result<ObservedBalance, WalletRejection> {
        let (ChainKind::Evm, ChainAddress::Evm(addr)) = (q.chain.kind, q.address) else {
            return Err(WalletRejection::SourceUnsupported {
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
        Ok(ObservedBalance::new(
            to_ledger_units(raw, decimals, q.ledger_decimals)?,
            q.height,
        ))
    }

    fn contract_signature(
        &self,
        q: &BalanceQuery<'_>,
        digest: [u8; 32],
        signature: &[u8],
    ) -> Result<bool, WalletRejection> {
        let (ChainKind::Evm, ChainAddress::Evm(addr)) = (q.chain.kind, q.address) else {
            return Err(WalletRejection::SourceUnsupported {
                what: format!("EIP-1271 on chain `{}`", q.chain.name),
            });
        };
        let call = json!({
            "to": format!("0x{}", hex::encode(addr)),
            "data": is_valid_signature_calldata(&digest, signature),
        });
        let raw = self
            .client
            .call_raw("eth_call", json!([call, format!("0x{:x}", q.height)]))?;
        let text: String = serde_json::from_str(&raw).map_err(|e| ChainRpcError::Answer {
            method: "eth_call".into(),
            message: e.to_string(),
        })?;
        // A contract that accepts returns the selector as a left-aligned bytes4; an account
        // without code returns `0x`; anything else refuses.
        Ok(text.to_ascii_lowercase().starts_with("0x1626ba7e") && text.len() == 66)
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
/// [`WalletRejection::SourceHeight`] unless that height is the wallet's. Run the check on a node
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
    fn balance(&self, q: &BalanceQuery<'_>) -> Result<ObservedBalance, WalletRejection> {
        let (ChainAddress::Bitcoin(_) | ChainAddress::Coin { .. }) = q.address else {
            return Err(WalletRejection::SourceUnsupported {
                what: format!("chain `{}` with bitcoind", q.chain.name),
            });
        };
        const METHOD: &str = "scantxoutset";
        let raw = self
            .client
            .call_raw(METHOD, json!(["start", [format!("addr({})", q.canonical)]]))?;
        let bad = |message: String| ChainRpcError::Answer {
            method: METHOD.into(),
            message,
        };
        let scan: ScanResult<'_> = serde_json::from_str(&raw).map_err(|e| bad(e.to_string()))?;
        if !scan.success {
            return Err(bad("scan did not succeed".into()).into());
        }
        // The amount is a JSON number in BTC with 8 decimals: read its text, never a float.
        let btc = scan.total_amount.get();
        let sats = Amount::parse(btc, 8).map_err(|e| bad(format!("total_amount: {e}")))?;
        Ok(ObservedBalance::new(
            to_ledger_units(
                u128::from(sats.units()),
                q.chain.native_decimals,
                q.ledger_decimals,
            )?,
            scan.height,
        ))
    }

    fn name(&self) -> String {
        "bitcoind".into()
    }
}

/// Balances and key authority from an XRP Ledger server (`rippled`, Clio):
/// `account_info {account, ledger_index: <snapshot ledger>}` (a full-history server for old
/// ledgers). The XRP balance is `account_data.Balance` in drops; the account's flags tell
/// whether its master key was disabled at that ledger (`lsfDisableMaster`): the verifier proves
/// ownership with the master key (the address is derived from it), so a disabled master key
/// rejects the wallet (`key_not_authorised`) and an enabled one marks it `checked`. A regular
/// key or a signer list does not take the master key's authority away while it is enabled.
#[derive(Debug)]
pub struct XrplRpc {
    client: JsonRpcClient,
}

impl XrplRpc {
    /// A source backed by `client`.
    pub fn new(client: JsonRpcClient) -> Self {
        Self { client }
    }
}

/// `lsfDisableMaster`.
const LSF_DISABLE_MASTER: u64 = 0x0010_0000;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccountData {
    balance: String,
    flags: u64,
}

#[derive(Deserialize)]
struct AccountInfo {
    status: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    account_data: Option<AccountData>,
    #[serde(default)]
    ledger_index: Option<u64>,
    #[serde(default)]
    validated: bool,
}

impl BalanceSource for XrplRpc {
    fn balance(&self, q: &BalanceQuery<'_>) -> Result<ObservedBalance, WalletRejection> {
        let (ChainKind::Xrpl, ChainAddress::Xrpl(_)) = (q.chain.kind, q.address) else {
            return Err(WalletRejection::SourceUnsupported {
                what: format!("chain `{}` with an XRPL server", q.chain.name),
            });
        };
        if q.token.is_some() {
            return Err(WalletRejection::SourceUnsupported {
                what: "XRPL issued currencies".into(),
            });
        }
        const METHOD: &str = "account_info";
        let raw = self.client.call_raw(
            METHOD,
            json!([{"account": q.canonical, "ledger_index": q.height, "strict": true}]),
        )?;
        let bad = |message: String| ChainRpcError::Answer {
            method: METHOD.into(),
            message,
        };
        let info: AccountInfo = serde_json::from_str(&raw).map_err(|e| bad(e.to_string()))?;
        if info.status != "success" {
            return Err(ChainRpcError::Rpc {
                method: METHOD.into(),
                code: 0,
                message: info.error.unwrap_or_else(|| info.status.clone()),
            }
            .into());
        }
        if !info.validated {
            return Err(bad("the ledger is not validated".into()).into());
        }
        let data = info
            .account_data
            .ok_or_else(|| bad("no account_data".into()))?;
        let height = info
            .ledger_index
            .ok_or_else(|| bad("no ledger_index".into()))?;
        if data.balance.is_empty() || !data.balance.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!("Balance `{}` is not drops", data.balance)).into());
        }
        let drops: u128 = data.balance.parse().map_err(|_| ChainRpcError::Overflow {
            what: format!("Balance {}", data.balance),
        })?;
        let mut seen = ObservedBalance::new(
            to_ledger_units(drops, q.chain.native_decimals, q.ledger_decimals)?,
            height,
        );
        seen.authority = if data.flags & LSF_DISABLE_MASTER != 0 {
            SourceAuthority::Revoked {
                reason: "the account's master key is disabled (lsfDisableMaster)".into(),
            }
        } else {
            SourceAuthority::Holds
        };
        Ok(seen)
    }

    fn name(&self) -> String {
        "xrpl-rpc".into()
    }
}

/// Balances from a Filecoin node (Lotus, Forest; an archival node for old epochs):
/// `Filecoin.ChainGetTipSetByHeight(<epoch>, null)` for the snapshot tipset, then
/// `Filecoin.StateGetActor(<address>, <tipset key>)`; the balance is the actor's `Balance` in
/// attoFIL. A null round at the snapshot epoch makes the node return the tipset below it: its
/// height is reported, and the verifier rejects the wallet (`source_height`) unless it is the
/// stated one.
#[derive(Debug)]
pub struct FilecoinRpc {
    client: JsonRpcClient,
}

impl FilecoinRpc {
    /// A source backed by `client`.
    pub fn new(client: JsonRpcClient) -> Self {
        Self { client }
    }
}

#[derive(Deserialize)]
struct TipSet {
    #[serde(rename = "Cids")]
    cids: Value,
    #[serde(rename = "Height")]
    height: u64,
}

#[derive(Deserialize)]
struct Actor {
    #[serde(rename = "Balance")]
    balance: String,
}

impl BalanceSource for FilecoinRpc {
    fn balance(&self, q: &BalanceQuery<'_>) -> Result<ObservedBalance, WalletRejection> {
        let (ChainKind::Filecoin, ChainAddress::Filecoin(_)) = (q.chain.kind, q.address) else {
            return Err(WalletRejection::SourceUnsupported {
                what: format!("chain `{}` with a Filecoin node", q.chain.name),
            });
        };
        let answer = |method: &'static str| {
            move |message: String| ChainRpcError::Answer {
                method: method.into(),
                message,
            }
        };
        const TIPSET: &str = "Filecoin.ChainGetTipSetByHeight";
        let raw = self.client.call_raw(TIPSET, json!([q.height, null]))?;
        let ts: TipSet = serde_json::from_str(&raw).map_err(|e| answer(TIPSET)(e.to_string()))?;
        const ACTOR: &str = "Filecoin.StateGetActor";
        let raw = self.client.call_raw(ACTOR, json!([q.canonical, ts.cids]))?;
        let actor: Actor = serde_json::from_str(&raw).map_err(|e| answer(ACTOR)(e.to_string()))?;
        if actor.balance.is_empty() || !actor.balance.bytes().all(|b| b.is_ascii_digit()) {
            return Err(
                answer(ACTOR)(format!("Balance `{}` is not attoFIL", actor.balance)).into(),
            );
        }
        let atto: u128 = actor.balance.parse().map_err(|_| ChainRpcError::Overflow {
            what: format!("Balance {}", actor.balance),
        })?;
        Ok(ObservedBalance::new(
            to_ledger_units(atto, q.chain.native_decimals, q.ledger_decimals)?,
            ts.height,
        ))
    }

    fn name(&self) -> String {
        "lotus".into()
    }
}

/// Balances and key authority from an Aptos node's REST API at a ledger version (the snapshot
/// "height" of an Aptos chain is a ledger version): the `0x1::coin::balance` view function for
/// APT (coin and its paired fungible asset) and the account's `authentication_key`. The verifier
/// proves ownership with the key whose authentication key is the address; if the account has
/// rotated its key by then, the wallet is rejected (`key_not_authorised`), else its authority is
/// `checked`.
#[derive(Debug)]
pub struct AptosRest {
    client: JsonRpcClient,
}

impl AptosRest {
    /// A source backed by `client` (its URL the node's REST root, e.g. `https://…/v1`).
    pub fn new(client: JsonRpcClient) -> Self {
        Self { client }
    }
}

#[derive(Deserialize)]
struct AptosAccount {
    authentication_key: String,
}

impl BalanceSource for AptosRest {
    fn balance(&self, q: &BalanceQuery<'_>) -> Result<ObservedBalance, WalletRejection> {
        let (ChainKind::Aptos, ChainAddress::Aptos(_)) = (q.chain.kind, q.address) else {
            return Err(WalletRejection::SourceUnsupported {
                what: format!("chain `{}` with an Aptos node", q.chain.name),
            });
        };
        if q.token.is_some() {
            return Err(WalletRejection::SourceUnsupported {
                what: "Aptos tokens".into(),
            });
        }
        let bad = |method: &str, message: String| ChainRpcError::Answer {
            method: method.into(),
            message,
        };
        let view = json!({
            "function": "0x1::coin::balance",
            "type_arguments": ["0x1::aptos_coin::AptosCoin"],
            "arguments": [q.canonical],
        });
        let raw = self
            .client
            .rest(&format!("view?ledger_version={}", q.height), Some(&view))?;
        let values: Vec<String> =
            serde_json::from_str(&raw).map_err(|e| bad("view", e.to_string()))?;
        let [octas] = values.as_slice() else {
            return Err(bad("view", format!("{} values, expected 1", values.len())).into());
        };
        if octas.is_empty() || !octas.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("view", format!("`{octas}` is not octas")).into());
        }
        let units: u128 = octas.parse().map_err(|_| ChainRpcError::Overflow {
            what: format!("balance {octas}"),
        })?;
        let raw = self.client.rest(
            &format!("accounts/{}?ledger_version={}", q.canonical, q.height),
            None,
        )?;
        let account: AptosAccount =
            serde_json::from_str(&raw).map_err(|e| bad("accounts", e.to_string()))?;
        let mut seen = ObservedBalance::new(
            to_ledger_units(units, q.chain.native_decimals, q.ledger_decimals)?,
            q.height,
        );
        seen.authority = if account.authentication_key.eq_ignore_ascii_case(q.canonical) {
            SourceAuthority::Holds
        } else {
            SourceAuthority::Revoked {
                reason: format!(
                    "the account's authentication key was rotated to {}",
                    account.authentication_key
                ),
            }
        };
        Ok(seen)
    }

    fn name(&self) -> String {
        "aptos-rest".into()
    }
}

/// Balances from a Substrate archive node (Polkadot, or Polkadot Asset Hub since balances moved
/// there): `chain_getBlockHash(<height>)`, then `state_getStorage(System.Account(<account>),
/// <hash>)`; the balance is the account's `free + reserved` (both still the owner's; `frozen`
/// is a lock on `free`, not a deduction). An account absent at that block holds nothing.
#[derive(Debug)]
pub struct SubstrateRpc {
    client: JsonRpcClient,
}

impl SubstrateRpc {
    /// A source backed by `client`.
    pub fn new(client: JsonRpcClient) -> Self {
        Self { client }
    }
}

/// `twox128("System") ‖ twox128("Account")`: the storage prefix of `System.Account`.
const SYSTEM_ACCOUNT: &str = "26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9";

/// The storage key of `System.Account(account)` (`Blake2_128Concat` hasher).
pub fn system_account_key(account: &[u8; 32]) -> String {
    let h = custodia_chain::checksum::blake2b::<16>(&[account]);
    format!(
        "0x{SYSTEM_ACCOUNT}{}{}",
        hex::encode(h),
        hex::encode(account)
    )
}

impl BalanceSource for SubstrateRpc {
    fn balance(&self, q: &BalanceQuery<'_>) -> Result<ObservedBalance, WalletRejection> {
        let (ChainKind::Polkadot, ChainAddress::Polkadot(account)) = (q.chain.kind, q.address)
        else {
            return Err(WalletRejection::SourceUnsupported {
                what: format!("chain `{}` with a Substrate node", q.chain.name),
            });
        };
        let bad = |method: &str, message: String| ChainRpcError::Answer {
            method: method.into(),
            message,
        };
        let raw = self
            .client
            .call_raw("chain_getBlockHash", json!([q.height]))?;
        let hash: Option<String> =
            serde_json::from_str(&raw).map_err(|e| bad("chain_getBlockHash", e.to_string()))?;
        let hash = hash.ok_or_else(|| {
            bad(
                "chain_getBlockHash",
                format!("no block at height {}", q.height),
            )
        })?;
        let raw = self.client.call_raw(
            "state_getStorage",
            json!([system_account_key(account), hash]),
        )?;
        let data: Option<String> =
            serde_json::from_str(&raw).map_err(|e| bad("state_getStorage", e.to_string()))?;
        let total = match data {
            None => 0,
            Some(h) => {
                let b = hex::decode(h.strip_prefix("0x").unwrap_or(&h))
                    .map_err(|e| bad("state_getStorage", e.to_string()))?;
                // AccountInfo: nonce, consumers, providers, sufficients (u32 each), then
                // AccountData: free, reserved, frozen (u128 LE each), flags.
                if b.len() < 48 {
                    return Err(bad(
                        "state_getStorage",
                        format!("AccountInfo of {} bytes", b.len()),
                    )
                    .into());
                }
                let u128_at =
                    |i: usize| u128::from_le_bytes(b[i..i + 16].try_into().expect("16 bytes"));
                u128_at(16)
                    .checked_add(u128_at(32))
                    .ok_or_else(|| ChainRpcError::Overflow {
                        what: "free + reserved".into(),
                    })?
            }
        };
        Ok(ObservedBalance::new(
            to_ledger_units(total, q.chain.native_decimals, q.ledger_decimals)?,
            q.height,
        ))
    }

    fn name(&self) -> String {
        "substrate-rpc".into()
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
    fn calldata() {
        let owner: [u8; 20] = hex::decode("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(
            balance_of_calldata(&owner),
            "0x70a082310000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
        );
    }

    #[test]
    fn http_and_https_only() {
        assert!(JsonRpcClient::new("https://node.example").is_ok());
        assert_eq!(JsonRpcClient::new("ftp://node").unwrap_err().code(), "http");
        // A TLS connection that cannot be made is an `http` error of that wallet, not a panic.
        let c = JsonRpcClient::new("https://127.0.0.1:1").unwrap();
        assert_eq!(
            c.call_raw("m", serde_json::json!([])).unwrap_err().code(),
            "http"
        );
        let c = JsonRpcClient::new("http://127.0.0.1:1")
            .unwrap()
            .with_basic_auth("u", "secret");
        assert!(!format!("{c:?}").contains("secret"));
    }
}
