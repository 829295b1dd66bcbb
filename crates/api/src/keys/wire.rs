//! The key service's JSON shapes, converted to and from domain types by hand in `routes.rs`.

use custodia_keys::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A TOTP enrolment, shown once.
#[derive(Serialize, ToSchema)]
pub struct TotpEnrolled {
    /// The seed in base32.
    pub secret_base32: String,
    /// `otpauth://` URI for a QR code.
    pub otpauth_uri: String,
}

/// `POST /v1/users/{user}/api-keys`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    /// Current 6-digit code from the user's authenticator.
    #[schema(value_type = String, example = "123456")]
    pub totp_code: SecretString,
    /// Label, 1–50 characters.
    pub label: String,
    /// Non-empty subset of `read`, `trade`, `withdraw`.
    pub permissions: Vec<String>,
    /// Up to 20 IPv4/IPv6 addresses or CIDR networks; empty for none.
    #[serde(default)]
    pub ips: Vec<String>,
    /// 8–32 printable ASCII with lower, upper, digit and symbol.
    #[schema(value_type = String)]
    pub passphrase: SecretString,
}

/// A created key; `secret` is shown this once.
#[derive(Serialize, ToSchema)]
pub struct KeyCreated {
    /// `OK-ACCESS-KEY`.
    pub key_id: String,
    /// The secret key for signing: store it now, it is not retrievable.
    pub secret: String,
    /// Label.
    pub label: String,
    /// Permissions.
    pub permissions: Vec<String>,
    /// IP binding.
    pub ips: Vec<String>,
    /// Creation time, ISO-8601 UTC.
    pub created_at: String,
}

/// A key as listed (never with its secret).
#[derive(Serialize, ToSchema)]
pub struct KeyView {
    /// `OK-ACCESS-KEY`.
    pub key_id: String,
    /// Label.
    pub label: String,
    /// Permissions.
    pub permissions: Vec<String>,
    /// IP binding.
    pub ips: Vec<String>,
    /// `active`, `expired` or `deleted`.
    pub status: String,
    /// Creation time.
    pub created_at: String,
    /// Last authenticated call.
    pub last_used_at: Option<String>,
    /// When the status last changed.
    pub status_at: String,
    /// Whether the idle rule applies (trade/withdraw without IP binding).
    pub expires_when_idle: bool,
}

/// A user's keys.
#[derive(Serialize, ToSchema)]
pub struct KeyList {
    /// Newest first.
    pub keys: Vec<KeyView>,
}

/// `POST /v1/gateway/verify`: the request the exchange gateway wants checked.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// HTTP method (`GET`, `POST`, …).
    pub method: String,
    /// Path plus `?query` exactly as received (`/api/v5/account/balance?ccy=BTC`).
    pub path: String,
    /// Raw body as received (empty for GET).
    #[serde(default)]
    pub body: String,
    /// The client's IP address as the gateway saw it.
    pub client_ip: String,
    /// The request's headers as the gateway received them, name → value. Names match in any
    /// case (`OK-ACCESS-KEY`, HTTP/2's `ok-access-key`, Go's `Ok-Access-Key`); only the four
    /// `OK-ACCESS-*` headers are read and every other header is ignored, so a gateway may
    /// forward all of them. Values are treated as secrets (never logged).
    #[schema(value_type = std::collections::HashMap<String, String>)]
    pub headers: std::collections::HashMap<String, SecretString>,
    /// A permission the endpoint needs (`read`, `trade`, `withdraw`) on top of what the
    /// service's route table (`[[keys.routes]]`) requires for this method and path. A request
    /// whose route is in neither is denied.
    #[serde(default)]
    pub required_permission: Option<String>,
}

/// The decision. HTTP 200 for both; `code` is `"0"` when allowed, else an OKX-style code.
#[derive(Serialize, ToSchema, Debug)]
pub struct VerifyResponse {
    /// `allow` or `deny`.
    pub decision: &'static str,
    /// `"0"` or the deny code (`"50113"`, …).
    pub code: String,
    /// Message the gateway may relay to the API user.
    pub msg: &'static str,
    /// On allow: the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// On allow: the key's owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// On allow: the key's permissions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<&'static str>>,
}

/// Result of an idle purge.
#[derive(Serialize, ToSchema)]
pub struct PurgeResult {
    /// Keys expired.
    pub expired: usize,
}
