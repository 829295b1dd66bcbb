//! The signed-request check the exchange gateway asks for, in its one fixed order:
//! envelope → headers (presence, timestamp, window, syntax) → key → signature → IP →
//! passphrase → permission → replay. Signature before passphrase means Argon2 only ever runs for
//! callers who hold the secret; replay last means a rejected request never burns a signature.

use std::net::IpAddr;

use custodia_events::{NewEvent, Timestamp};
use custodia_primitives::AccountId;
use thiserror::Error;

use crate::events::RequestDenied;
use crate::{ApiKeyId, AuthHeaders, DenyCode, Permission, Permissions};

/// What the gateway tells us about a request, validated (the user's own headers are checked
/// later, with OKX codes).
#[derive(Debug, Clone)]
pub struct Envelope {
    /// Upper-case HTTP method.
    pub method: String,
    /// Path plus optional `?query`, as signed.
    pub path: String,
    /// The caller's IP as the gateway saw it.
    pub client_ip: IpAddr,
    /// The permission the endpoint needs, if any.
    pub required: Option<Permission>,
}

/// Which envelope field is malformed, and how. These are the gateway's mistakes, not the
/// user's: they are answered with an error, not a deny code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EnvelopeError {
    /// Not an HTTP method token.
    #[error("method must be an HTTP method such as GET or POST")]
    Method,
    /// Not a path the signature can cover.
    #[error("{0}")]
    Path(&'static str),
    /// Not an IP address.
    #[error("client_ip must be an IPv4 or IPv6 address")]
    ClientIp,
    /// Not a permission name.
    #[error("required_permission must be read, trade or withdraw")]
    Permission,
}

impl Envelope {
    /// Validates the gateway's fields; each malformed field has its own error.
    pub fn parse(
        method: &str,
        path: &str,
        client_ip: &str,
        required: Option<&str>,
    ) -> Result<Envelope, EnvelopeError> {
        let m = method.trim();
        if m.is_empty() || m.len() > 16 || !m.bytes().all(|c| c.is_ascii_alphabetic()) {
            return Err(EnvelopeError::Method);
        }
        if !path.starts_with('/') {
            return Err(EnvelopeError::Path(
                "path must start with `/` (path plus optional `?query`)",
            ));
        }
        if path.len() > 8192 {
            return Err(EnvelopeError::Path("path is longer than 8192 bytes"));
        }
        if path.chars().any(|c| c.is_control() || c == ' ') {
            return Err(EnvelopeError::Path(
                "path must not contain spaces or control characters",
            ));
        }
        let client_ip = client_ip
            .trim()
            .parse()
            .map_err(|_| EnvelopeError::ClientIp)?;
        let required = match required {
            None => None,
            Some(s) => Some(Permission::parse(s).ok_or(EnvelopeError::Permission)?),
        };
        Ok(Envelope {
            method: m.to_ascii_uppercase(),
            path: path.to_owned(),
            client_ip,
            required,
        })
    }

    /// The path without its query (what logs and events keep).
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or("")
    }
}

/// A signed request to check.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The validated envelope.
    pub envelope: &'a Envelope,
    /// The user's four `OK-ACCESS-*` headers.
    pub headers: AuthHeaders<'a>,
    /// The raw body the signature covers.
    pub body: &'a str,
}

/// The gateway's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Let it through.
    Allow {
        /// The key that signed.
        key: ApiKeyId,
        /// Its owner.
        user: AccountId,
        /// Its permissions.
        permissions: Permissions,
    },
    /// Refuse it.
    Deny {
        /// The OKX code the user sees.
        code: DenyCode,
        /// Which check refused (logs and events only).
        detail: &'static str,
    },
}

impl Verdict {
    pub(crate) fn deny(code: DenyCode, detail: &'static str) -> Verdict {
        Verdict::Deny { code, detail }
    }
}

/// The `gateway.request_denied` event for a denial. `key_header` is the `OK-ACCESS-KEY` as
/// sent: recorded only when it is a well-formed key id, so junk never reaches the log.
pub fn denial_event(
    now: Timestamp,
    actor: &str,
    envelope: &Envelope,
    key_header: Option<&str>,
    code: DenyCode,
    detail: &str,
) -> NewEvent {
    let key = key_header.filter(|k| ApiKeyId::parse(k).is_ok());
    NewEvent::typed(
        now,
        actor,
        &key.map_or_else(|| "api_key:-".to_owned(), |k| format!("api_key:{k}")),
        &RequestDenied {
            code: code.code().to_string(),
            reason: code.reason().to_owned(),
            detail: detail.to_owned(),
            client_ip: envelope.client_ip.to_string(),
            method: envelope.method.clone(),
            path: envelope.path_only().chars().take(256).collect(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_fields_are_checked_one_by_one() {
        let ok =
            Envelope::parse("get", "/api/v5/account?x=1", " 10.0.0.1 ", Some("trade")).unwrap();
        assert_eq!(ok.method, "GET");
        assert_eq!(ok.path_only(), "/api/v5/account");
        assert_eq!(ok.required, Some(Permission::Trade));
        let cases: &[(&str, &str, &str, Option<&str>, EnvelopeError)] = &[
            ("", "/", "1.2.3.4", None, EnvelopeError::Method),
            ("GET1", "/", "1.2.3.4", None, EnvelopeError::Method),
            (
                "GET",
                "api",
                "1.2.3.4",
                None,
                EnvelopeError::Path("path must start with `/` (path plus optional `?query`)"),
            ),
            (
                "GET",
                "/a b",
                "1.2.3.4",
                None,
                EnvelopeError::Path("path must not contain spaces or control characters"),
            ),
            ("GET", "/", "1.2.3", None, EnvelopeError::ClientIp),
            (
                "GET",
                "/",
                "1.2.3.4",
                Some("admin"),
                EnvelopeError::Permission,
            ),
        ];
        for (m, p, ip, perm, want) in cases {
            assert_eq!(
                Envelope::parse(m, p, ip, *perm).unwrap_err(),
                *want,
                "{m} {p} {ip}"
            );
        }
        let long = format!("/{}", "a".repeat(8192));
        assert!(matches!(
            Envelope::parse("GET", &long, "::1", None),
            Err(EnvelopeError::Path(_))
        ));
    }

    #[test]
    fn a_denial_records_a_key_id_only_when_well_formed() {
        let env = Envelope::parse("POST", "/api/v5/trade/order?secret=1", "::1", None).unwrap();
        let e = denial_event(
            Timestamp::from_millis(0),
            "operator:gw",
            &env,
            Some("junk"),
            DenyCode::InvalidKey,
            "unknown key",
        );
        assert_eq!(e.subject.as_str(), "api_key:-");
        let p: RequestDenied = e.decode().unwrap().unwrap();
        assert_eq!(p.path, "/api/v5/trade/order");
        let id = "0a1b2c3d-0000-4000-8000-00000000abcd";
        let e = denial_event(
            Timestamp::from_millis(0),
            "operator:gw",
            &env,
            Some(id),
            DenyCode::InvalidSign,
            "signature mismatch",
        );
        assert_eq!(e.subject.as_str(), format!("api_key:{id}"));
    }
}
