//! Event kinds the API-key service writes to the event log.

/// A key was created (payload: user, label, permissions, ips, ip_bound).
pub const KEY_CREATED: &str = "api_key.created";
/// A key was deleted by its owner or an operator.
pub const KEY_DELETED: &str = "api_key.deleted";
/// A key expired by the idle rule (trade/withdraw, no IP binding, idle for the configured period).
pub const KEY_EXPIRED: &str = "api_key.expired";
/// A key made authenticated calls (payload: calls in the interval, first and last time).
pub const KEY_USED: &str = "api_key.used";
/// The gateway check denied a signed request (payload: code, reason; never secrets).
pub const REQUEST_DENIED: &str = "gateway.request_denied";
/// A user enrolled a TOTP authenticator.
pub const TOTP_ENROLLED: &str = "totp.enrolled";
/// A TOTP code was rejected (wrong, malformed or reused).
pub const TOTP_REJECTED: &str = "totp.rejected";
/// An operator token was created.
pub const OPERATOR_TOKEN_CREATED: &str = "operator.token_created";
