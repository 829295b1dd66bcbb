//! What an assessment reads about one token, validated at the boundary.

use serde::{Deserialize, Serialize};

use crate::error::TokenError;
use crate::sim::{Deployment, SimConfig};

/// One token to assess, as gathered from a node and an explorer (or a file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    /// Chain name (`ethereum`, `bsc`, …): EVM chains.
    pub chain: String,
    /// The token's contract address (`0x` + 40 hex digits).
    pub address: String,
    /// Its runtime bytecode (`eth_getCode`), hex.
    pub runtime_code: String,
    /// For a proxy: the implementation's runtime bytecode, hex.
    #[serde(default)]
    pub implementation_code: Option<String>,
    /// The ABI, when the explorer has one (kept for the record; the analysis reads the code).
    #[serde(default)]
    pub abi: Option<serde_json::Value>,
    /// Whether the explorer has verified source (`None`: not asked).
    #[serde(default)]
    pub verified_source: Option<bool>,
    /// Total supply in the token's smallest unit, decimal.
    #[serde(default)]
    pub total_supply: Option<String>,
    /// Number of holders.
    #[serde(default)]
    pub holder_count: Option<u64>,
    /// Largest holders.
    #[serde(default)]
    pub holders: Vec<Holder>,
    /// Total supply of the main pool's LP token, decimal.
    #[serde(default)]
    pub lp_total_supply: Option<String>,
    /// Largest LP-token holders.
    #[serde(default)]
    pub lp_holders: Vec<Holder>,
    /// Who deployed the contract.
    #[serde(default)]
    pub creator: Option<String>,
    /// The current owner (`owner()`), if any.
    #[serde(default)]
    pub owner: Option<String>,
    /// How to deploy the token for the simulation (creation code and arguments; the last
    /// entry is the token). Empty: no simulation, bytecode and holders only.
    #[serde(default)]
    pub deploy: Vec<Deployment>,
    /// Simulation bounds.
    #[serde(default)]
    pub simulation: SimConfig,
}

/// A holder of the token or of its LP token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holder {
    /// Address.
    pub address: String,
    /// Balance in the smallest unit, decimal.
    pub balance: String,
    /// Whether the address is a contract.
    #[serde(default)]
    pub is_contract: bool,
    /// The liquidity pool itself (left out of the concentration figures).
    #[serde(default)]
    pub is_pool: bool,
    /// Locks on this holder's balance (a locker contract's records).
    #[serde(default)]
    pub locks: Vec<Lock>,
}

/// A time lock.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// Amount locked, decimal.
    pub amount: String,
    /// Unix seconds when it unlocks.
    pub unlock_time: u64,
}

/// Longest chain name accepted.
pub const MAX_CHAIN: usize = 32;
/// Most holders of each kind read.
pub const MAX_HOLDERS: usize = 1_000;
/// Most deployments in one simulation.
pub const MAX_DEPLOYMENTS: usize = 8;

pub(crate) fn bad(field: impl Into<String>, reason: impl Into<String>) -> TokenError {
    TokenError::BadInput {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Checks an EVM address and returns it lowercase.
pub fn evm_address(s: &str, field: &str) -> Result<String, TokenError> {
    let t = s.trim();
    let h = t
        .strip_prefix("0x")
        .ok_or_else(|| bad(field, "an address starts with 0x"))?;
    if h.len() != 40 || !h.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad(field, format!("expected 40 hex digits, got {:?}", h)));
    }
    Ok(format!("0x{}", h.to_ascii_lowercase()))
}

/// Parses a decimal amount.
pub fn amount(s: &str, field: &str) -> Result<u128, TokenError> {
    s.trim()
        .parse::<u128>()
        .map_err(|e| bad(field, format!("not a whole number below 2^128 ({e})")))
}

impl TokenInput {
    /// Checks the fields that are not bytecode (bytecode is checked as it is decoded).
    pub fn validate(&self) -> Result<(), TokenError> {
        if self.chain.is_empty() || self.chain.len() > MAX_CHAIN {
            return Err(bad("chain", format!("1 to {MAX_CHAIN} characters")));
        }
        evm_address(&self.address, "address")?;
        for (name, list) in [("holders", &self.holders), ("lp_holders", &self.lp_holders)] {
            if list.len() > MAX_HOLDERS {
                return Err(bad(
                    name,
                    format!("{} entries, at most {MAX_HOLDERS}", list.len()),
                ));
            }
            for (i, h) in list.iter().enumerate() {
                evm_address(&h.address, &format!("{name}[{i}].address"))?;
                amount(&h.balance, &format!("{name}[{i}].balance"))?;
                for (j, l) in h.locks.iter().enumerate() {
                    amount(&l.amount, &format!("{name}[{i}].locks[{j}].amount"))?;
                }
            }
        }
        for (f, v) in [
            ("total_supply", &self.total_supply),
            ("lp_total_supply", &self.lp_total_supply),
        ] {
            if let Some(v) = v {
                amount(v, f)?;
            }
        }
        for (f, v) in [("creator", &self.creator), ("owner", &self.owner)] {
            if let Some(v) = v {
                evm_address(v, f)?;
            }
        }
        if self.deploy.len() > MAX_DEPLOYMENTS {
            return Err(bad(
                "deploy",
                format!(
                    "{} deployments, at most {MAX_DEPLOYMENTS}",
                    self.deploy.len()
                ),
            ));
        }
        if self.simulation.gas_per_tx == 0 || self.simulation.gas_per_tx > crate::MAX_GAS_PER_TX {
            return Err(bad(
                "simulation.gas_per_tx",
                "1 to 16 777 216 (EIP-7825's cap per transaction)",
            ));
        }
        if self.simulation.gas_per_simulation == 0
            || self.simulation.gas_per_simulation > 100_000_000
        {
            return Err(bad("simulation.gas_per_simulation", "1 to 100 000 000"));
        }
        if self.simulation.later_blocks > 10_000_000 || self.simulation.wait_seconds > 31_536_000 {
            return Err(bad(
                "simulation",
                "waits of at most a year / 10 million blocks",
            ));
        }
        if self.simulation.buy_permille == 0 || self.simulation.buy_permille > 500 {
            return Err(bad("simulation.buy_permille", "1 to 500"));
        }
        Ok(())
    }
}
