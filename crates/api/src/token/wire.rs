//! The token service's JSON shapes, converted by hand in `routes.rs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/tokens/assess`: one token as gathered from a node and an explorer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenAssessRequest {
    /// EVM chain name (`ethereum`, `bsc`, …).
    pub chain: String,
    /// Contract address (`0x` + 40 hex digits).
    pub address: String,
    /// Runtime bytecode (`eth_getCode`), hex.
    pub runtime_code: String,
    /// For a proxy: the implementation's runtime bytecode, hex.
    #[serde(default)]
    pub implementation_code: Option<String>,
    /// The explorer's ABI, kept with the record.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub abi: Option<serde_json::Value>,
    /// Whether the explorer has verified source.
    #[serde(default)]
    pub verified_source: Option<bool>,
    /// Total supply in the smallest unit, decimal.
    #[serde(default)]
    pub total_supply: Option<String>,
    /// Number of holders.
    #[serde(default)]
    pub holder_count: Option<u64>,
    /// Largest holders (at most 1000).
    #[serde(default)]
    pub holders: Vec<TokenHolderWire>,
    /// Total supply of the main pool's LP token, decimal.
    #[serde(default)]
    pub lp_total_supply: Option<String>,
    /// Largest LP-token holders, with their locks.
    #[serde(default)]
    pub lp_holders: Vec<TokenHolderWire>,
    /// Who deployed the contract.
    #[serde(default)]
    pub creator: Option<String>,
    /// The current owner.
    #[serde(default)]
    pub owner: Option<String>,
    /// Contracts to create for the simulation, the token last (at most 8). Empty: no
    /// simulation.
    #[serde(default)]
    pub deploy: Vec<TokenDeploymentWire>,
    /// Simulation bounds; each field defaults.
    #[serde(default)]
    pub simulation: Option<TokenSimulationWire>,
}

/// A holder of the token or of its LP token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenHolderWire {
    /// Address.
    pub address: String,
    /// Balance in the smallest unit, decimal.
    pub balance: String,
    /// Whether the address is a contract.
    #[serde(default)]
    pub is_contract: bool,
    /// The liquidity pool itself (left out of concentration).
    #[serde(default)]
    pub is_pool: bool,
    /// Time locks on this balance.
    #[serde(default)]
    pub locks: Vec<TokenLockWire>,
}

/// A time lock on LP tokens.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenLockWire {
    /// Amount locked, decimal.
    pub amount: String,
    /// Unix seconds when it unlocks.
    pub unlock_time: u64,
}

/// One contract to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenDeploymentWire {
    /// Creation code, hex.
    pub creation_code: String,
    /// Constructor arguments.
    #[serde(default)]
    pub args: Vec<TokenArgWire>,
}

/// A constructor argument: `{"address": "0x…"}`, `{"uint": "1000"}`, `{"deployed": 0}` (an
/// earlier deployment's address), `"deployer"` (the simulation's deployer) or
/// `{"bytes": "hex"}`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenArgWire {
    /// An address.
    Address(String),
    /// An unsigned integer, decimal.
    Uint(String),
    /// The address of an earlier deployment (0-based).
    Deployed(usize),
    /// The simulation's deployer.
    Deployer,
    /// Dynamic bytes, hex.
    Bytes(String),
}

/// Simulation bounds.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenSimulationWire {
    /// Gas limit per transaction (default 16 777 216, a mainnet transaction's cap; at most
    /// `[token] max_gas_per_tx`).
    #[serde(default)]
    pub gas_per_tx: Option<u64>,
    /// Seconds a blocked seller waits before trying again (default 3600).
    #[serde(default)]
    pub wait_seconds: Option<u64>,
    /// Blocks after launch the second buyer trades (default 7200).
    #[serde(default)]
    pub later_blocks: Option<u64>,
    /// The buy, in thousandths of the pool's quote reserve (default 10).
    #[serde(default)]
    pub buy_permille: Option<u64>,
}

/// The assessment.
#[derive(Serialize, ToSchema)]
pub struct TokenAssessmentView {
    /// Chain.
    pub chain: String,
    /// Contract address, lowercase.
    pub address: String,
    /// 0 (nothing found) to 100.
    pub score: u8,
    /// `low`, `medium`, `high` or `critical`.
    pub level: &'static str,
    /// The score reached `[token] flag_at`.
    pub flagged: bool,
    /// The simulation showed it cannot be sold.
    pub is_honeypot: bool,
    /// Reasons, most points first.
    pub reasons: Vec<TokenReasonView>,
    /// GoPlus token-security fields (`"1"`/`"0"`, taxes as fractions); absent when not
    /// determined.
    pub goplus: BTreeMap<String, String>,
    /// What the bytecode shows.
    pub bytecode: TokenBytecodeView,
    /// The implementation's bytecode, for a proxy whose implementation was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation: Option<TokenBytecodeView>,
    /// The simulation, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simulation: Option<TokenSimulationView>,
    /// Why the simulation did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simulation_error: Option<String>,
    /// Holder and liquidity figures.
    pub holders: TokenHoldersView,
}

/// One reason.
#[derive(Serialize, ToSchema)]
pub struct TokenReasonView {
    /// Stable code.
    pub code: String,
    /// Points it added to the score.
    pub points: u8,
    /// What was seen, in words.
    pub detail: String,
}

/// The bytecode analysis.
#[derive(Serialize, ToSchema)]
pub struct TokenBytecodeView {
    /// Code size in bytes.
    pub size: usize,
    /// Selectors in the dispatcher (8 hex digits), sorted.
    pub selectors: Vec<String>,
    /// Recognised functions among them.
    pub functions: Vec<String>,
    /// What the recognised functions let their caller do.
    pub capabilities: Vec<String>,
    /// `transfer`, `transferFrom` and `balanceOf` are all present.
    pub erc20: bool,
    /// SELFDESTRUCT is reachable.
    pub selfdestruct: bool,
    /// DELEGATECALL is reachable.
    pub delegatecall: bool,
    /// A proxy (delegates, with the EIP-1967 slot or an upgrade function).
    pub proxy: bool,
    /// The transfer functions call another contract.
    pub external_call_in_transfer: bool,
    /// Privileged addresses no getter shows (storage slots, hex): a hidden owner.
    pub hidden_owner_slots: Vec<String>,
    /// Functions besides the standard ownership ones that write the owner.
    pub owner_writers: Vec<String>,
    /// The transfer functions read the block time or number.
    pub time_in_transfer: bool,
}

/// The simulation.
#[derive(Serialize, ToSchema)]
pub struct TokenSimulationView {
    /// The first buy.
    pub buy: TokenTradeView,
    /// Selling everything bought, right away.
    pub sell: TokenTradeView,
    /// Selling after waiting, when the first sell failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sell_after_wait: Option<TokenTradeView>,
    /// Wallet-to-wallet transfer.
    pub transfer: TokenTradeView,
    /// A later buyer's buy.
    pub late_buy: TokenTradeView,
    /// And sell.
    pub late_sell: TokenTradeView,
    /// A wallet that received nothing shows a balance.
    pub phantom_balance: bool,
    /// `owner()` after deployment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// `name()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `symbol()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// Gas of all simulated transactions.
    pub total_gas: u64,
}

/// One simulated trade.
#[derive(Serialize, ToSchema)]
pub struct TokenTradeView {
    /// It went through.
    pub ok: bool,
    /// Tax in basis points, when it went through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_bps: Option<u32>,
    /// Gas used.
    pub gas: u64,
}

/// Holder and liquidity figures (shares in basis points).
#[derive(Serialize, ToSchema)]
pub struct TokenHoldersView {
    /// Holders, as reported.
    pub holder_count: Option<u64>,
    /// The ten largest holders' share (pools and burn addresses left out).
    pub top10_bps: Option<u32>,
    /// The largest holder's share.
    pub top1_bps: Option<u32>,
    /// The owner's share.
    pub owner_bps: Option<u32>,
    /// The creator's share.
    pub creator_bps: Option<u32>,
    /// LP tokens burned or locked.
    pub lp_locked_bps: Option<u32>,
    /// When the earliest running LP lock ends (unix seconds).
    pub lp_unlock_time: Option<u64>,
}

/// `POST /v1/tokens/scans`: a scan to run as a job (the same request twice is one job).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenScanRequest {
    /// The token, as for `POST /v1/tokens/assess` (`runtime_code` may be empty with `fork`:
    /// it is then read from the chain).
    pub token: TokenAssessRequest,
    /// Simulate the token as deployed, on the chain's state at a block (a node for the
    /// token's chain must be configured in `[token.rpc]`), instead of from creation code.
    #[serde(default)]
    pub fork: Option<TokenForkWire>,
}

/// Where a forked simulation reads the chain and trades.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenForkWire {
    /// The block whose state is read.
    pub block: u64,
    /// The token's pool; default: the router's factory pair with wrapped ether.
    #[serde(default)]
    pub pair: Option<String>,
    /// A Uniswap V2 compatible router; default: Uniswap V2's.
    #[serde(default)]
    pub router: Option<String>,
}

/// A queued scan.
#[derive(Serialize, ToSchema)]
pub struct TokenScanTicketView {
    /// The scan's id.
    pub id: u64,
    /// `false`: the same request was queued before; this is its scan.
    pub created: bool,
    /// Where to read the outcome.
    pub status_url: String,
}

/// `GET /v1/tokens/scans/{id}`.
#[derive(Serialize, ToSchema)]
pub struct TokenScanView {
    /// The scan's id.
    pub id: u64,
    /// `queued`, `leased` (a worker runs it), `done`, `dead` (given up: see `error`).
    pub state: &'static str,
    /// Attempts so far.
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// The assessment, once done.
    pub assessment: Option<TokenAssessmentView>,
}
