//! The login defence's JSON shapes, converted by hand in `routes.rs`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/login/assess`: a login as the exchange saw it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessRequest {
    /// Account id.
    pub user: String,
    /// When (ISO 8601 UTC with milliseconds); default: now.
    #[serde(default)]
    pub time: Option<String>,
    /// Client IP.
    pub ip: String,
    /// The client's device identifier (cookie or app install id).
    pub device_id: String,
    /// The client's user agent.
    #[serde(default)]
    pub user_agent: String,
    /// The password check's outcome: `success` or `failure`.
    pub outcome: String,
}

/// One reason.
#[derive(Serialize, ToSchema)]
pub struct ReasonView {
    /// Stable code.
    pub code: &'static str,
    /// `allow`, `step_up`, `block`: what this reason alone calls for.
    pub level: &'static str,
    /// Facts in words.
    pub detail: String,
}

/// The assessment.
#[derive(Serialize, ToSchema)]
pub struct AssessResponse {
    /// `allow`, `step_up` or `block`.
    pub decision: &'static str,
    /// 0–100.
    pub score: u8,
    /// Strictest first.
    pub reasons: Vec<ReasonView>,
}

/// `POST /v1/login/withdrawals/screen`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenWithdrawal {
    /// Account id.
    pub user: String,
    /// Asset symbol.
    pub asset: String,
    /// Amount in the asset's smallest unit, as a decimal string.
    pub amount: String,
    /// Value in USD cents.
    pub usd_cents: u64,
    /// Destination address.
    pub destination: String,
    /// The destination's chain (`bitcoin`, `ethereum`, …); default: recognised from the address.
    #[serde(default)]
    pub chain: Option<String>,
    /// Addresses the user sent to before (for look-alike detection).
    #[serde(default)]
    pub recent: Vec<String>,
}

/// The screening.
#[derive(Serialize, ToSchema)]
pub struct WithdrawalVerdictView {
    /// `allow`, `hold` or `block`.
    pub decision: &'static str,
    /// When a hold ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_until: Option<String>,
    /// Reasons, blocking ones first.
    pub reasons: Vec<WithdrawReasonView>,
}

/// One withdrawal reason.
#[derive(Serialize, ToSchema)]
pub struct WithdrawReasonView {
    /// Stable code.
    pub code: &'static str,
    /// Facts in words.
    pub detail: String,
}

/// `POST /v1/login/security-changes`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityChangeRequest {
    /// Account id.
    pub user: String,
    /// `password_reset`, `new_second_factor`, `phone_change` or `email_change`.
    pub change: String,
}

/// `POST /v1/login/allowlist`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowlistRequest {
    /// Account id.
    pub user: String,
    /// Address added to the user's withdrawal allowlist.
    pub address: String,
    /// Turn allowlist-only mode on or off (unchanged when absent).
    #[serde(default)]
    pub allowlist_only: Option<bool>,
}

/// `PUT /v1/users/{user}/anti-phishing`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AntiPhishingRequest {
    /// 4–20 letters or digits.
    pub code: String,
}

/// The code, for outbound e-mail templating, and a sample e-mail showing it.
#[derive(Serialize, ToSchema)]
pub struct AntiPhishingView {
    /// The code.
    pub code: String,
    /// A sample e-mail with the code where users are told to look.
    pub sample_email: String,
}
