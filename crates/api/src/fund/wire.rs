//! The fund's JSON shapes, converted by hand in `routes.rs`. Amounts and prices travel as
//! decimal strings (in the pool's currency, at the contract's price precision), as OKX does.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `GET /api/v5/public/insurance-fund` query, OKX's parameters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InsuranceFundQuery {
    /// `MARGIN`, `SWAP`, `FUTURES`, `OPTION` (or `SAFETY`: the platform safety fund).
    pub inst_type: Option<String>,
    /// `liquidation_balance_deposit`, `bankruptcy_loss`, `platform_revenue`, `adl`,
    /// `transfer_in`, `transfer_out`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `BTC-USDT` (futures, swaps, options).
    pub inst_family: Option<String>,
    /// Currency (`USDT`).
    pub ccy: Option<String>,
    /// Lines newer than this `billId`.
    pub before: Option<String>,
    /// Lines older than this `billId`.
    pub after: Option<String>,
    /// 1–100, default 100.
    pub limit: Option<String>,
}

/// One line, with OKX's field names.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InsuranceFundDetail {
    /// The pool's balance after the line.
    pub balance: String,
    /// The line's signed amount.
    pub amt: String,
    /// Currency.
    pub ccy: String,
    /// The line's type.
    #[serde(rename = "type")]
    pub kind: String,
    /// For `adl` lines, the pool's peak over the ADL window; otherwise empty.
    pub max_bal: String,
    /// When it was held (ms); empty when `maxBal` is.
    pub max_bal_ts: String,
    /// Deprecated by OKX; always empty.
    pub dec_rate: String,
    /// `rate_adl_start`, `bal_adl_start`, `pos_adl_start`, `adl_end` for `adl` lines.
    pub adl_type: String,
    /// When (ms).
    pub ts: String,
    /// The paging cursor (`before`/`after`).
    pub bill_id: String,
}

/// The lines of one pool.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InsuranceFundGroup {
    /// The pool's current balance, in its currency (Custodia does not price pools in USD).
    pub total: String,
    /// Instrument family (empty for margin and safety pools).
    pub inst_family: String,
    /// `MARGIN`, `SWAP`, `FUTURES`, `OPTION`, `SAFETY`.
    pub inst_type: String,
    /// The pool's id.
    pub pool: String,
    /// Lines, newest first.
    pub details: Vec<InsuranceFundDetail>,
}

/// OKX's envelope.
#[derive(Serialize, ToSchema)]
pub struct InsuranceFundResponse {
    /// `"0"`.
    pub code: &'static str,
    /// Empty.
    pub msg: &'static str,
    /// Groups by pool.
    pub data: Vec<InsuranceFundGroup>,
}

/// A pool now.
#[derive(Serialize, ToSchema)]
pub struct PoolView {
    /// Id.
    pub pool: String,
    /// OKX `instType`.
    pub inst_type: &'static str,
    /// Family, if any.
    pub inst_family: Option<String>,
    /// Currency.
    pub ccy: String,
    /// Balance.
    pub balance: String,
    /// Peak over the ADL window.
    pub max_bal: String,
    /// When it was held (ms).
    pub max_bal_ts: i64,
    /// The floor.
    pub floor: String,
    /// The ADL episode in force (`rate_adl_start`, …), if any.
    pub adl_type: Option<&'static str>,
}

/// `GET /v1/fund/pools`.
#[derive(Serialize, ToSchema)]
pub struct PoolsResponse {
    /// Every pool.
    pub pools: Vec<PoolView>,
}

/// `GET /v1/fund/pools/{pool}/balances` query.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BalancesQuery {
    /// Start (ms since the epoch, inclusive).
    pub from_ms: i64,
    /// End (ms, exclusive).
    pub to_ms: i64,
    /// Bucket (ms), default one day.
    pub step_ms: Option<i64>,
}

/// One point of the chart.
#[derive(Serialize, ToSchema)]
pub struct BalancePoint {
    /// When the bucket's last change happened (ms).
    pub ts: i64,
    /// The balance then.
    pub balance: String,
}

/// The chart.
#[derive(Serialize, ToSchema)]
pub struct BalancesResponse {
    /// The pool.
    pub pool: String,
    /// Points, oldest first.
    pub points: Vec<BalancePoint>,
}

/// A contract.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractWire {
    /// `linear` (USDT-margined) or `inverse` (coin-margined).
    pub kind: String,
    /// Face value of one contract (`"0.01"` BTC, `"100"` USD).
    pub ct_val: String,
    /// Decimals of prices.
    pub price_decimals: u8,
}

/// A position.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionWire {
    /// The engine's id.
    pub id: String,
    /// Account.
    pub account: String,
    /// `long` or `short`.
    pub side: String,
    /// Contracts (> 0).
    pub size: i64,
    /// Average entry price.
    pub entry: String,
    /// Margin, in the pool's currency.
    pub margin: String,
    /// Maintenance margin.
    pub maintenance: String,
    /// Fees to close.
    #[serde(default)]
    pub fees: Option<String>,
}

/// A liquidation to settle.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiquidationWire {
    /// Idempotency key (the liquidation's id).
    pub key: String,
    /// The pool.
    pub pool: String,
    /// The contract.
    pub contract: ContractWire,
    /// The liquidated position.
    pub position: PositionWire,
    /// The mark that triggered it.
    pub mark: String,
    /// The average fill.
    pub fill: String,
    /// Opposing positions for ADL.
    #[serde(default)]
    pub candidates: Vec<PositionWire>,
}

/// `POST /v1/fund/liquidations`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiquidationsRequest {
    /// Up to 1 000, applied in order in one transaction.
    pub liquidations: Vec<LiquidationWire>,
}

/// A position closed by ADL.
#[derive(Serialize, ToSchema)]
pub struct DeleveragedView {
    /// Position.
    pub position: String,
    /// Account.
    pub account: String,
    /// Contracts closed.
    pub size: u64,
    /// At this price.
    pub price: String,
    /// What it gave up.
    pub absorbed: String,
    /// Its lights then.
    pub quintile: u8,
}

/// How a liquidation settled.
#[derive(Serialize, ToSchema)]
pub struct SettledView {
    /// Bankruptcy price (absent: none exists).
    pub bankruptcy_price: Option<String>,
    /// Into the pool.
    pub surplus: String,
    /// The deficit.
    pub deficit: String,
    /// Paid by the pool.
    pub covered: String,
    /// Absorbed by ADL.
    pub adl_absorbed: String,
    /// Absorbed by no one.
    pub uncovered: String,
    /// The pool's balance after.
    pub balance: String,
    /// Positions deleveraged.
    pub deleveraged: Vec<DeleveragedView>,
}

/// One operation's result.
#[derive(Serialize, ToSchema)]
pub struct OperationResult {
    /// Its key.
    pub key: String,
    /// `applied`, `replayed` (seen before: the first answer) or `refused`.
    pub status: &'static str,
    /// Why it was refused.
    pub code: Option<&'static str>,
    /// In words.
    pub msg: Option<String>,
    /// For a liquidation.
    pub settled: Option<SettledView>,
    /// ADL episodes in force on the pools it touched.
    pub adl: Vec<AdlView>,
}

/// An ADL episode in force.
#[derive(Serialize, ToSchema)]
pub struct AdlView {
    /// The pool.
    pub pool: String,
    /// `rate_adl_start`, `bal_adl_start` or `pos_adl_start`.
    pub adl_type: String,
}

/// Results in request order.
#[derive(Serialize, ToSchema)]
pub struct OperationsResponse {
    /// One per operation.
    pub results: Vec<OperationResult>,
}

/// `POST /v1/fund/top-ups`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopUpRequest {
    /// Idempotency key.
    pub key: String,
    /// The pool.
    pub pool: String,
    /// In the pool's currency.
    pub amount: String,
}

/// `POST /v1/fund/transfers`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// Idempotency key.
    pub key: String,
    /// Paying pool.
    pub from: String,
    /// Receiving pool; absent: back to the exchange.
    #[serde(default)]
    pub to: Option<String>,
    /// In the pools' currency.
    pub amount: String,
}

/// `POST /v1/fund/backlog`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BacklogRequest {
    /// Idempotency key.
    pub key: String,
    /// The pool.
    pub pool: String,
    /// Outstanding liquidation orders.
    pub orders: u64,
    /// Age of the oldest, ms.
    pub oldest_ms: i64,
}

/// `POST /v1/fund/adl/rank`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RankRequest {
    /// The pool (for its currency's precision).
    pub pool: String,
    /// The contract.
    pub contract: ContractWire,
    /// The mark.
    pub mark: String,
    /// Positions to rank.
    pub positions: Vec<PositionWire>,
}

/// One position's place.
#[derive(Serialize, ToSchema)]
pub struct RankedView {
    /// Position.
    pub position: String,
    /// Account.
    pub account: String,
    /// `long` or `short`.
    pub side: &'static str,
    /// 1 = deleveraged first on its side.
    pub rank: u32,
    /// Lights, 1–5.
    pub quintile: u8,
    /// Unrealised PnL.
    pub pnl: String,
    /// The score × 10^8.
    pub score: String,
}

/// The ADL queue.
#[derive(Serialize, ToSchema)]
pub struct RankResponse {
    /// Longs then shorts, each first in line first.
    pub positions: Vec<RankedView>,
}
