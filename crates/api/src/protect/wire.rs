//! User protection's JSON shapes, converted by hand in `routes.rs`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/protect/orders/check`: an order on its way to the matching engine.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderCheckRequest {
    /// Account id.
    pub user: String,
    /// `web`, `app`, `api`, `websocket`, `bot`, `copy_trading`, `broker_oauth`, `strategy`.
    pub channel: String,
    /// `spot`, `margin`, `perpetual`, `futures`, `options`.
    pub product: String,
    /// Instrument (`BTC-USDT-SWAP`).
    pub instrument: String,
    /// `buy` or `sell`.
    pub side: String,
    /// `net`, `long` or `short`.
    #[serde(default = "net")]
    pub pos_side: String,
    /// Size in contracts or base units (decimal string).
    pub size: String,
    /// Reduce-only flag.
    #[serde(default)]
    pub reduce_only: bool,
    /// Position before the order (decimal string; signed in net mode).
    #[serde(default = "zero")]
    pub position: String,
    /// Leverage (`"5"`, `"12.5"`).
    #[serde(default = "one")]
    pub leverage: String,
    /// Position notional before the order, USD cents.
    #[serde(default)]
    pub position_usd_cents: u64,
    /// Order notional, USD cents.
    #[serde(default)]
    pub order_usd_cents: u64,
}

fn net() -> String {
    "net".into()
}
fn zero() -> String {
    "0".into()
}
fn one() -> String {
    "1".into()
}

/// One reason for a refusal.
#[derive(Serialize, ToSchema)]
pub struct DenyView {
    /// `cooling_off`, `new_account_leverage`, `new_account_position`.
    pub code: &'static str,
    /// Facts in words, for the user.
    pub detail: String,
}

/// The order check's answer.
#[derive(Serialize, ToSchema)]
pub struct OrderCheckResponse {
    /// `allow` or `deny`.
    pub decision: &'static str,
    /// `open`, `increase`, `reduce`, `close`, `flip`.
    pub effect: &'static str,
    /// Why it is refused, cooling-off first.
    pub reasons: Vec<DenyView>,
    /// Whether the account is under the new-account caps.
    pub protected_account: bool,
}

/// `PUT /v1/protect/users/{user}/cooling-off`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoolingOffRequest {
    /// One of the configured durations, days.
    pub days: u32,
}

/// A user's cooling-off.
#[derive(Serialize, ToSchema)]
pub struct CoolingOffView {
    /// Whether it runs now.
    pub active: bool,
    /// When it started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// The durations a user may choose (to extend, longer than what is left).
    pub choices_days: Vec<u32>,
}

/// `PUT /v1/protect/accounts/{user}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountRequest {
    /// When the account was opened (ISO 8601 UTC with milliseconds).
    pub opened_at: String,
}

/// An account's protection facts.
#[derive(Serialize, ToSchema)]
pub struct AccountView {
    /// When opened (absent: never registered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<String>,
    /// When it passed the derivatives knowledge check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knowledge_check_at: Option<String>,
    /// Whether the new-account caps apply now.
    pub protected_account: bool,
    /// The cooling-off.
    pub cooling_off: CoolingOffView,
}

/// `PUT /v1/protect/deposit-addresses`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositAddressRequest {
    /// The owner.
    pub user: String,
    /// Network it is issued for.
    pub network: String,
    /// The address.
    pub address: String,
    /// Memo or tag on shared addresses.
    #[serde(default)]
    pub memo: Option<String>,
    /// `active` (default) or `retired`.
    #[serde(default)]
    pub status: Option<String>,
}

/// A stored deposit address.
#[derive(Serialize, ToSchema)]
pub struct DepositAddressView {
    /// Family and canonical address (`evm:0x…`).
    pub key: String,
    /// Memo.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    /// Owner.
    pub user: String,
    /// Network.
    pub network: String,
    /// `active` or `retired`.
    pub status: &'static str,
}

/// An incoming transfer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferWire {
    /// Network (`ethereum`, `tron`, `xrp`, …).
    pub network: String,
    /// Token contract; absent for the native coin.
    #[serde(default)]
    pub token: Option<String>,
    /// Destination address.
    pub to: String,
    /// Memo or tag.
    #[serde(default)]
    pub memo: Option<String>,
    /// Amount in smallest units (decimal string).
    pub amount: String,
    /// Transaction hash.
    pub tx_hash: String,
    /// Value in USD cents by the exchange's prices; absent when it has none.
    #[serde(default)]
    pub usd_cents: Option<u64>,
}

/// `POST /v1/protect/deposits/diagnose`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiagnoseRequest {
    /// The transfer.
    pub transfer: TransferWire,
    /// The user who reports it (absent: the chain watcher).
    #[serde(default)]
    pub claimant: Option<String>,
}

/// A diagnosis.
#[derive(Serialize, ToSchema)]
pub struct DiagnosisView {
    /// `correct`, `wrong_network`, `unsupported_token`, `missing_memo`, `wrong_memo`,
    /// `retired_address`, `contract_address`, `below_minimum`, `other_users_address`, `not_ours`.
    pub case: &'static str,
    /// `credit`, `recoverable`, `not_recoverable`.
    pub outcome: &'static str,
    /// The facts in words.
    pub reason: String,
    /// Asset symbol (absent: unlisted token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    /// Credit to / owner by the book.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Recovery fee, smallest units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_units: Option<String>,
    /// Recovery fee, USD cents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_usd_cents: Option<u64>,
}

/// `POST /v1/protect/cases`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCaseRequest {
    /// The claimant.
    pub user: String,
    /// The transfer.
    pub transfer: TransferWire,
}

/// `POST /v1/protect/cases/{id}/actions`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseActionRequest {
    /// `verify_ownership`, `approve`, `recover`, `credit`, `reject`.
    pub action: String,
    /// The return transaction (`recover`).
    #[serde(default)]
    pub tx_hash: Option<String>,
    /// The reason the user sees (`reject`).
    #[serde(default)]
    pub reason: Option<String>,
    /// An operator note.
    #[serde(default)]
    pub note: Option<String>,
}

/// One step of a case.
#[derive(Serialize, ToSchema)]
pub struct TransitionView {
    /// From (absent: opened).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<&'static str>,
    /// To.
    pub to: &'static str,
    /// Who (operators' view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// When.
    pub at: String,
    /// Note (operators' view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A recovery case.
#[derive(Serialize, ToSchema)]
pub struct CaseView {
    /// Id.
    pub id: String,
    /// Claimant.
    pub user: String,
    /// Diagnosed case.
    pub kind: &'static str,
    /// Where it stands.
    pub state: &'static str,
    /// Network.
    pub network: String,
    /// Transaction hash.
    pub tx_hash: String,
    /// Asset (absent: unlisted token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    /// Amount, smallest units.
    pub amount: String,
    /// Fee, smallest units.
    pub fee_units: String,
    /// Fee, USD cents.
    pub fee_usd_cents: u64,
    /// The diagnosis in words.
    pub reason: String,
    /// How it ended (`recovered`, `credited`, `rejected`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
    /// Return transaction, when recovered on chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_tx_hash: Option<String>,
    /// Units returned or credited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_units: Option<String>,
    /// Why it was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection: Option<String>,
    /// Every step.
    pub history: Vec<TransitionView>,
}

/// A page of cases.
#[derive(Serialize, ToSchema)]
pub struct CasePage {
    /// The cases.
    pub cases: Vec<CaseView>,
    /// Pass as `after` for the next page (absent: last page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `GET /v1/protect/cases` query.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// Only cases in this state.
    #[serde(default)]
    pub state: Option<String>,
    /// After this id.
    #[serde(default)]
    pub after: Option<String>,
    /// At most (1–500, default 100).
    #[serde(default)]
    pub limit: Option<u32>,
}
