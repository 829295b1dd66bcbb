//! Operator tokens' JSON shapes.

use custodia_keys::OperatorRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/operators`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOperatorRequest {
    /// Unique name, 1–64 of `a-z A-Z 0-9 _ - .`.
    pub name: String,
    /// `admin`, `analyst`, `service` (web back end: key management) or `gateway` (the
    /// signed-request check only).
    pub role: String,
}

/// The new operator's token, shown once.
#[derive(Serialize, ToSchema)]
pub struct OperatorCreated {
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Bearer token: store it now, it is not retrievable.
    pub token: String,
}

/// One operator as listed (never its token or the token's hash).
#[derive(Serialize, ToSchema)]
pub struct OperatorView {
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// Revocation time, RFC 3339; absent while the token works.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

impl From<&OperatorRecord> for OperatorView {
    fn from(r: &OperatorRecord) -> Self {
        Self {
            name: r.name.clone(),
            role: r.role.as_str().to_owned(),
            created_at: r.created_at.to_iso8601_millis(),
            revoked_at: r.revoked_at.map(|t| t.to_iso8601_millis()),
        }
    }
}

/// `GET /v1/operators`.
#[derive(Serialize, ToSchema)]
pub struct OperatorList {
    /// Every operator by name, revoked ones included.
    pub operators: Vec<OperatorView>,
}
