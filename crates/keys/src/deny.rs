use core::fmt;

/// Why the gateway check denied a signed request, with OKX v5 error codes.
///
/// Codes 50102–50113 are OKX's; 50110 and 50120 follow OKX's numbering for IP and permission
/// errors; 50121 (replay) and 50001 (service busy) are Custodia's choices, documented in
/// `docs/service.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenyCode {
    /// The replay cache is full of live entries: fail closed (50001).
    ServiceBusy,
    /// `OK-ACCESS-TIMESTAMP` is more than the window (30 s) away from server time (50102).
    TimestampExpired,
    /// `OK-ACCESS-KEY` missing or empty (50103).
    KeyEmpty,
    /// `OK-ACCESS-PASSPHRASE` missing or empty (50104).
    PassphraseEmpty,
    /// `OK-ACCESS-PASSPHRASE` wrong (50105).
    PassphraseIncorrect,
    /// `OK-ACCESS-SIGN` missing or empty (50106).
    SignEmpty,
    /// `OK-ACCESS-TIMESTAMP` missing or empty (50107).
    TimestampEmpty,
    /// The client IP is not in the key's allowlist (50110).
    IpNotAllowed,
    /// The key is malformed, unknown, deleted or expired (50111); which one is not revealed.
    InvalidKey,
    /// `OK-ACCESS-TIMESTAMP` is not `YYYY-MM-DDTHH:MM:SS.mmmZ` (50112).
    InvalidTimestamp,
    /// The signature is malformed or does not match (50113).
    InvalidSign,
    /// The key lacks the permission the endpoint needs (50120).
    PermissionDenied,
    /// The same signed request was already accepted inside the window (50121).
    Replayed,
}

impl DenyCode {
    /// Every code, for tables and tests.
    pub const ALL: [DenyCode; 13] = [
        Self::ServiceBusy,
        Self::TimestampExpired,
        Self::KeyEmpty,
        Self::PassphraseEmpty,
        Self::PassphraseIncorrect,
        Self::SignEmpty,
        Self::TimestampEmpty,
        Self::IpNotAllowed,
        Self::InvalidKey,
        Self::InvalidTimestamp,
        Self::InvalidSign,
        Self::PermissionDenied,
        Self::Replayed,
    ];

    /// The numeric code.
    pub fn code(self) -> u32 {
        match self {
            Self::ServiceBusy => 50001,
            Self::TimestampExpired => 50102,
            Self::KeyEmpty => 50103,
            Self::PassphraseEmpty => 50104,
            Self::PassphraseIncorrect => 50105,
            Self::SignEmpty => 50106,
            Self::TimestampEmpty => 50107,
            Self::IpNotAllowed => 50110,
            Self::InvalidKey => 50111,
            Self::InvalidTimestamp => 50112,
            Self::InvalidSign => 50113,
            Self::PermissionDenied => 50120,
            Self::Replayed => 50121,
        }
    }

    /// The message for the API user (what the gateway may show).
    pub fn msg(self) -> &'static str {
        match self {
            Self::ServiceBusy => "Service temporarily unavailable, please try again later",
            Self::TimestampExpired => "Timestamp request expired",
            Self::KeyEmpty => "Request header OK-ACCESS-KEY cannot be empty",
            Self::PassphraseEmpty => "Request header OK-ACCESS-PASSPHRASE cannot be empty",
            Self::PassphraseIncorrect => "OK-ACCESS-PASSPHRASE incorrect",
            Self::SignEmpty => "Request header OK-ACCESS-SIGN cannot be empty",
            Self::TimestampEmpty => "Request header OK-ACCESS-TIMESTAMP cannot be empty",
            Self::IpNotAllowed => "Your IP address is not in the API key's IP allowlist",
            Self::InvalidKey => "Invalid OK-ACCESS-KEY",
            Self::InvalidTimestamp => "Invalid OK-ACCESS-TIMESTAMP",
            Self::InvalidSign => "Invalid Sign",
            Self::PermissionDenied => "This API key doesn't have permission to use this endpoint",
            Self::Replayed => "Duplicate request: this signed request was already processed",
        }
    }

    /// A short snake_case name for metrics labels and event payloads.
    pub fn reason(self) -> &'static str {
        match self {
            Self::ServiceBusy => "service_busy",
            Self::TimestampExpired => "timestamp_expired",
            Self::KeyEmpty => "key_empty",
            Self::PassphraseEmpty => "passphrase_empty",
            Self::PassphraseIncorrect => "passphrase_incorrect",
            Self::SignEmpty => "sign_empty",
            Self::TimestampEmpty => "timestamp_empty",
            Self::IpNotAllowed => "ip_not_allowed",
            Self::InvalidKey => "invalid_key",
            Self::InvalidTimestamp => "invalid_timestamp",
            Self::InvalidSign => "invalid_sign",
            Self::PermissionDenied => "permission_denied",
            Self::Replayed => "replayed",
        }
    }
}

impl fmt::Display for DenyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.msg())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_and_reasons_are_unique() {
        let codes: HashSet<u32> = DenyCode::ALL.iter().map(|c| c.code()).collect();
        let reasons: HashSet<&str> = DenyCode::ALL.iter().map(|c| c.reason()).collect();
        assert_eq!(codes.len(), DenyCode::ALL.len());
        assert_eq!(reasons.len(), DenyCode::ALL.len());
        assert_eq!(DenyCode::InvalidSign.to_string(), "50113 Invalid Sign");
    }
}
