//! What the key service records in the event log: one payload struct per kind, and the tally
//! the monthly report folds them with.
//!
//! Payloads never hold a secret, a signature, a passphrase or a TOTP code.

use custodia_events::{Event, EventPayload, Figure, Repeated, Tally};
use serde::{Deserialize, Serialize};

/// Event kind names (stable: they are stored in the log).
pub mod kinds {
    /// A key was created.
    pub const KEY_CREATED: &str = "api_key.created";
    /// A key was deleted by its owner or an operator.
    pub const KEY_DELETED: &str = "api_key.deleted";
    /// A key expired by the idle rule.
    pub const KEY_EXPIRED: &str = "api_key.expired";
    /// A key made authenticated calls since the last usage flush.
    pub const KEY_USED: &str = "api_key.used";
    /// The gateway check denied a signed request.
    pub const REQUEST_DENIED: &str = "gateway.request_denied";
    /// A user enrolled a TOTP authenticator.
    pub const TOTP_ENROLLED: &str = "totp.enrolled";
    /// A TOTP code was rejected (wrong, malformed or reused).
    pub const TOTP_REJECTED: &str = "totp.rejected";
    /// An operator token was created.
    pub const OPERATOR_TOKEN_CREATED: &str = "operator.token_created";
    /// An operator token was revoked.
    pub const OPERATOR_TOKEN_REVOKED: &str = "operator.token_revoked";
}

/// Payload of [`kinds::KEY_CREATED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyCreated {
    /// Owner.
    pub user: String,
    /// Label.
    pub label: String,
    /// Permission names (`read`, `trade`, `withdraw`).
    pub permissions: Vec<String>,
    /// IP allowlist entries (empty: not bound).
    pub ips: Vec<String>,
    /// Whether the key is bound to IPs.
    pub ip_bound: bool,
    /// Whether the idle rule applies to it.
    pub expires_when_idle: bool,
}
impl EventPayload for KeyCreated {
    const KIND: &'static str = kinds::KEY_CREATED;
}

/// Payload of [`kinds::KEY_DELETED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDeleted {
    /// Owner.
    pub user: String,
}
impl EventPayload for KeyDeleted {
    const KIND: &'static str = kinds::KEY_DELETED;
}

/// Payload of [`kinds::KEY_EXPIRED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyExpired {
    /// Owner.
    pub user: String,
    /// Permission names.
    pub permissions: Vec<String>,
    /// Last authenticated call or creation (ISO 8601, milliseconds).
    pub last_activity: String,
    /// Whole days idle.
    pub idle_days: i64,
    /// The rule in words.
    pub rule: String,
}
impl EventPayload for KeyExpired {
    const KIND: &'static str = kinds::KEY_EXPIRED;
}

/// Payload of [`kinds::KEY_USED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyUsed {
    /// Owner.
    pub user: String,
    /// Authenticated calls in the interval.
    pub calls: u64,
    /// First call in the interval (ISO 8601).
    pub first: String,
    /// Last call in the interval (ISO 8601).
    pub last: String,
}
impl EventPayload for KeyUsed {
    const KIND: &'static str = kinds::KEY_USED;
}

/// Payload of [`kinds::REQUEST_DENIED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDenied {
    /// OKX-style numeric code as text (`50113`).
    pub code: String,
    /// Machine reason (`invalid_sign`).
    pub reason: String,
    /// Which check denied it.
    pub detail: String,
    /// The caller's IP as the gateway saw it.
    pub client_ip: String,
    /// HTTP method.
    pub method: String,
    /// Path without the query (at most 256 characters).
    pub path: String,
}
impl EventPayload for RequestDenied {
    const KIND: &'static str = kinds::REQUEST_DENIED;
}

/// Payload of [`kinds::TOTP_ENROLLED`] (the subject names the user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TotpEnrolled {}
impl EventPayload for TotpEnrolled {
    const KIND: &'static str = kinds::TOTP_ENROLLED;
}

/// Payload of [`kinds::TOTP_REJECTED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpRejected {
    /// `totp_invalid`, `totp_reused`, `totp_malformed`, or `totp_locked` (refused unevaluated
    /// during a lockout).
    pub reason: String,
}
impl EventPayload for TotpRejected {
    const KIND: &'static str = kinds::TOTP_REJECTED;
}

/// Payload of [`kinds::OPERATOR_TOKEN_CREATED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorTokenCreated {
    /// The operator's role.
    pub role: String,
}
impl EventPayload for OperatorTokenCreated {
    const KIND: &'static str = kinds::OPERATOR_TOKEN_CREATED;
}

/// Payload of [`kinds::OPERATOR_TOKEN_REVOKED`] (the subject names the operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorTokenRevoked {
    /// The revoked operator's role.
    pub role: String,
}
impl EventPayload for OperatorTokenRevoked {
    const KIND: &'static str = kinds::OPERATOR_TOKEN_REVOKED;
}

/// The key service's figures for the monthly report: keys created (and how many were bound to
/// IPs or could withdraw), deleted, purged for idleness, requests denied by reason, TOTP
/// rejections. Events whose payload does not decode are counted apart, never silently dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyTally {
    /// Keys created.
    pub created: u64,
    /// Of which bound to IPs.
    pub created_ip_bound: u64,
    /// Of which with the withdraw permission.
    pub created_withdraw: u64,
    /// Keys deleted.
    pub deleted: u64,
    /// Keys expired by the idle rule.
    pub expired_idle: u64,
    /// Signed requests denied, by reason (sorted by reason).
    pub denied: std::collections::BTreeMap<String, u64>,
    /// TOTP codes rejected (lockout refusals included).
    pub totp_rejected: u64,
    /// Of which refused because the user was locked out.
    pub totp_locked: u64,
    /// Events of these kinds whose payload did not decode.
    pub malformed: u64,
}

const TALLY_KINDS: &[&str] = &[
    kinds::KEY_CREATED,
    kinds::KEY_DELETED,
    kinds::KEY_EXPIRED,
    kinds::REQUEST_DENIED,
    kinds::TOTP_REJECTED,
    Repeated::KIND,
];

impl KeyTally {
    /// An empty tally.
    pub fn new() -> KeyTally {
        KeyTally::default()
    }

    fn count_totp(&mut self, p: &TotpRejected, n: u64) {
        self.totp_rejected += n;
        if p.reason == "totp_locked" {
            self.totp_locked += n;
        }
    }

    fn fold<P: EventPayload>(&mut self, e: &Event, f: impl FnOnce(&mut Self, P)) {
        match e.decode::<P>() {
            Some(Ok(p)) => f(self, p),
            Some(Err(_)) => self.malformed += 1,
            None => {}
        }
    }
}

impl Tally for KeyTally {
    fn kinds(&self) -> &'static [&'static str] {
        TALLY_KINDS
    }

    fn record(&mut self, e: &Event) {
        self.fold::<KeyCreated>(e, |t, p| {
            t.created += 1;
            t.created_ip_bound += u64::from(p.ip_bound);
            t.created_withdraw += u64::from(p.permissions.iter().any(|x| x == "withdraw"));
        });
        self.fold::<KeyDeleted>(e, |t, _| t.deleted += 1);
        self.fold::<KeyExpired>(e, |t, _| t.expired_idle += 1);
        self.fold::<RequestDenied>(e, |t, p| *t.denied.entry(p.reason).or_default() += 1);
        self.fold::<TotpRejected>(e, |t, p| t.count_totp(&p, 1));
        // Floods are stored as one event plus a count (see `custodia_events::Repeats`).
        self.fold::<Repeated>(e, |t, r| match r.kind.as_str() {
            kinds::REQUEST_DENIED => match serde_json::from_value::<RequestDenied>(r.sample) {
                Ok(p) => *t.denied.entry(p.reason).or_default() += r.count,
                Err(_) => t.malformed += 1,
            },
            kinds::TOTP_REJECTED => match serde_json::from_value::<TotpRejected>(r.sample) {
                Ok(p) => t.count_totp(&p, r.count),
                Err(_) => t.malformed += 1,
            },
            _ => {}
        });
    }

    fn figures(&self) -> Vec<Figure> {
        let mut out = vec![
            Figure::count(
                "api_keys.created",
                "API keys created",
                self.created,
                &[kinds::KEY_CREATED],
            ),
            Figure::count(
                "api_keys.created_ip_bound",
                "API keys created bound to IP addresses",
                self.created_ip_bound,
                &[kinds::KEY_CREATED],
            ),
            Figure::count(
                "api_keys.created_withdraw",
                "API keys created with the withdraw permission",
                self.created_withdraw,
                &[kinds::KEY_CREATED],
            ),
            Figure::count(
                "api_keys.deleted",
                "API keys deleted",
                self.deleted,
                &[kinds::KEY_DELETED],
            ),
            Figure::count(
                "api_keys.expired_idle",
                "Idle API keys purged",
                self.expired_idle,
                &[kinds::KEY_EXPIRED],
            ),
            Figure::count(
                "api_keys.requests_denied",
                "Signed requests denied",
                self.denied.values().sum(),
                &[kinds::REQUEST_DENIED, Repeated::KIND],
            ),
        ];
        for (reason, n) in &self.denied {
            out.push(Figure::count(
                &format!("api_keys.requests_denied.{reason}"),
                &format!("Signed requests denied: {reason}"),
                *n,
                &[kinds::REQUEST_DENIED, Repeated::KIND],
            ));
        }
        out.push(Figure::count(
            "api_keys.totp_rejected",
            "TOTP codes rejected",
            self.totp_rejected,
            &[kinds::TOTP_REJECTED, Repeated::KIND],
        ));
        out.push(Figure::count(
            "api_keys.totp_locked",
            "TOTP checks refused during a lockout",
            self.totp_locked,
            &[kinds::TOTP_REJECTED, Repeated::KIND],
        ));
        if self.malformed > 0 {
            out.push(Figure::count(
                "api_keys.malformed_events",
                "Key-service events that did not decode",
                self.malformed,
                TALLY_KINDS,
            ));
        }
        out
    }
}
