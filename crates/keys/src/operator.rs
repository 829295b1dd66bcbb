//! Operator tokens: the bearer credentials of the people and machines that call the service
//! (admins, analysts, the gateway). Stored as SHA-256 only.

use core::fmt;
use std::future::Future;

use base64::Engine as _;
use custodia_events::{Clock, Entropy, Event, NewEvent, RepoError, RepoResult, Timestamp};
use sha2::{Digest as _, Sha256};
use thiserror::Error;

use crate::SecretString;
use crate::events::{OperatorTokenCreated, OperatorTokenRevoked};

/// An operator's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, including token management.
    Admin,
    /// Read-only: audit log, chain verification, key listings.
    Analyst,
    /// Machine callers acting for users: key management from the web back end. May not call
    /// the gateway check (it would let the back end assert any client IP).
    Service,
    /// The exchange's API gateway: the signed-request check only. The one role whose word on a
    /// request's client IP is trusted.
    Gateway,
}

impl Role {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Analyst => "analyst",
            Self::Service => "service",
            Self::Gateway => "gateway",
        }
    }

    /// From the stored and wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "analyst" => Some(Self::Analyst),
            "service" => Some(Self::Service),
            "gateway" => Some(Self::Gateway),
            _ => None,
        }
    }
}

/// An operator token as stored: only its SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct OperatorRecord {
    /// Random id.
    pub id: String,
    /// Unique human name (`gateway-1`, `alice`).
    pub name: String,
    /// Role.
    pub role: Role,
    /// SHA-256 of the bearer token.
    pub token_hash: [u8; 32],
    /// Creation time.
    pub created_at: Timestamp,
    /// Revocation time, if revoked.
    pub revoked_at: Option<Timestamp>,
}

impl fmt::Debug for OperatorRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OperatorRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// Operator tokens (the API's bearer authentication).
pub trait OperatorRepo: Send + Sync {
    /// Stores a new operator and its event; [`RepoError::Conflict`] if the name is taken.
    fn create_operator(
        &self,
        rec: &OperatorRecord,
        event: NewEvent,
    ) -> impl Future<Output = RepoResult<Event>> + Send;
    /// The operator whose token hashes to `hash`, if not revoked.
    fn operator_by_token_hash(
        &self,
        hash: &[u8; 32],
    ) -> impl Future<Output = RepoResult<Option<OperatorRecord>>> + Send;
    /// Number of unrevoked operators with `role`.
    fn count_operators(&self, role: Role) -> impl Future<Output = RepoResult<u64>> + Send;
    /// Every operator, revoked ones included, by name.
    fn list_operators(&self) -> impl Future<Output = RepoResult<Vec<OperatorRecord>>> + Send;
    /// Marks the unrevoked operator `name` revoked at `at` and appends `event` in the same
    /// transaction; `None` (and no event) when no unrevoked operator has that name.
    fn revoke_operator(
        &self,
        name: &str,
        at: Timestamp,
        event: NewEvent,
    ) -> impl Future<Output = RepoResult<Option<OperatorRecord>>> + Send;
}

/// SHA-256 of a bearer token: tokens carry 256 bits of entropy, so a fast hash is enough (no
/// dictionary to resist), and the database never holds a usable token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Why an operator could not be created.
#[derive(Debug, Error)]
pub enum OperatorError {
    /// The name is empty, too long or has characters outside `a-z A-Z 0-9 _ - .`.
    #[error("name must be 1-64 of a-z A-Z 0-9 _ - .")]
    Name,
    /// A given token is shorter than 32 characters.
    #[error("an operator token must be at least 32 characters")]
    ShortToken,
    /// No unrevoked operator has this name.
    #[error("no active operator named `{name}`")]
    NotFound {
        /// The name asked for.
        name: String,
    },
    /// Storage failed, or the name is taken ([`RepoError::Conflict`]).
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// A created operator and its token (shown once).
#[derive(Debug)]
pub struct CreatedOperator {
    /// The stored record.
    pub record: OperatorRecord,
    /// The bearer token.
    pub token: SecretString,
}

/// Creates an operator with `token`, or a fresh random `cst_…` token when `None`.
pub async fn create_operator<R: OperatorRepo>(
    repo: &R,
    clock: &dyn Clock,
    entropy: &dyn Entropy,
    actor: &str,
    name: &str,
    role: Role,
    token: Option<&SecretString>,
) -> Result<CreatedOperator, OperatorError> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
    {
        return Err(OperatorError::Name);
    }
    let token = match token {
        Some(t) if t.expose().len() < 32 => return Err(OperatorError::ShortToken),
        Some(t) => t.clone(),
        None => {
            let mut raw = [0u8; 32];
            entropy.fill(&mut raw);
            SecretString::new(format!(
                "cst_{}",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
            ))
        }
    };
    let mut id = [0u8; 16];
    entropy.fill(&mut id);
    let now = clock.now();
    let record = OperatorRecord {
        id: hex::encode(id),
        name: name.to_owned(),
        role,
        token_hash: token_hash(token.expose()),
        created_at: now,
        revoked_at: None,
    };
    let ev = NewEvent::typed(
        now,
        actor,
        &format!("operator:{name}"),
        &OperatorTokenCreated {
            role: role.as_str().to_owned(),
        },
    );
    repo.create_operator(&record, ev).await?;
    Ok(CreatedOperator { record, token })
}

/// Revokes the operator `name`: its token stops working (at once for new processes; a running
/// service drops it from its cache within `server.operator_cache_secs`). Recorded as
/// `operator.token_revoked` by `actor`, in the same transaction.
pub async fn revoke_operator<R: OperatorRepo>(
    repo: &R,
    clock: &dyn Clock,
    actor: &str,
    name: &str,
) -> Result<OperatorRecord, OperatorError> {
    let now = clock.now();
    // The event carries the role, which only the row knows: look the operator up first. The
    // revoke itself is conditional (`revoked_at IS NULL`), so a race ends in `NotFound`.
    let found = repo
        .list_operators()
        .await?
        .into_iter()
        .find(|o| o.name == name && o.revoked_at.is_none())
        .ok_or_else(|| OperatorError::NotFound {
            name: name.to_owned(),
        })?;
    let ev = NewEvent::typed(
        now,
        actor,
        &format!("operator:{name}"),
        &OperatorTokenRevoked {
            role: found.role.as_str().to_owned(),
        },
    );
    repo.revoke_operator(name, now, ev)
        .await?
        .ok_or_else(|| OperatorError::NotFound {
            name: name.to_owned(),
        })
}
