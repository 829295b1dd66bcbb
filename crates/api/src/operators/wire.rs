//! Operator tokens' JSON shapes.

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
