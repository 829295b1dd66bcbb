//! Operator tokens over HTTP: admins create tokens for people and machines.

mod wire;

use std::sync::Arc;

use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use custodia_events::{Clock, Entropy};
use custodia_keys::{OperatorError, OperatorRepo, Role, create_operator, revoke_operator};

pub use self::wire::*;
use crate::auth::{AdminOnly, Operator, OperatorAuth};
use crate::error::ApiError;
use crate::extract::ApiJson;

/// What the operator routes need.
#[derive(Clone)]
pub struct OperatorsState<R> {
    /// Operator storage.
    pub repo: R,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Token randomness.
    pub entropy: Arc<dyn Entropy>,
    /// Bearer-token checks.
    pub auth: OperatorAuth,
}

impl<R> FromRef<OperatorsState<R>> for OperatorAuth {
    fn from_ref(s: &OperatorsState<R>) -> Self {
        s.auth.clone()
    }
}

/// The operator routes.
pub fn routes<R: OperatorRepo + Clone + 'static>(state: OperatorsState<R>) -> Router {
    Router::new()
        .route("/v1/operators", post(create::<R>).get(list::<R>))
        .route("/v1/operators/{name}", delete(revoke::<R>))
        .with_state(state)
}

/// The HTTP face of an operator failure.
pub fn operator_error(e: OperatorError) -> ApiError {
    match e {
        OperatorError::Name => ApiError::bad_request("invalid_name", e.to_string()),
        OperatorError::ShortToken => ApiError::bad_request("invalid_token", e.to_string()),
        OperatorError::NotFound { .. } => {
            ApiError::new(StatusCode::NOT_FOUND, "operator_not_found", e.to_string())
        }
        OperatorError::Repo(r) => r.into(),
    }
}

async fn create<R: OperatorRepo + Clone + 'static>(
    State(st): State<OperatorsState<R>>,
    op: Operator<AdminOnly>,
    ApiJson(req): ApiJson<CreateOperatorRequest>,
) -> Result<(StatusCode, Json<OperatorCreated>), ApiError> {
    let role = Role::parse(&req.role).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_role",
            "role must be admin, analyst, service or gateway",
        )
    })?;
    let created = create_operator(
        &st.repo,
        &*st.clock,
        &*st.entropy,
        &op.actor(),
        &req.name,
        role,
        None,
    )
    .await
    .map_err(operator_error)?;
    tracing::info!(operator = %req.name, role = role.as_str(), by = %op.name, "operator token created");
    Ok((
        StatusCode::CREATED,
        Json(OperatorCreated {
            name: created.record.name,
            role: role.as_str().to_owned(),
            token: created.token.expose().to_owned(),
        }),
    ))
}

async fn list<R: OperatorRepo + Clone + 'static>(
    State(st): State<OperatorsState<R>>,
    _op: Operator<AdminOnly>,
) -> Result<Json<OperatorList>, ApiError> {
    let ops = st.repo.list_operators().await?;
    Ok(Json(OperatorList {
        operators: ops.iter().map(OperatorView::from).collect(),
    }))
}

async fn revoke<R: OperatorRepo + Clone + 'static>(
    State(st): State<OperatorsState<R>>,
    op: Operator<AdminOnly>,
    Path(name): Path<String>,
) -> Result<Json<OperatorView>, ApiError> {
    let rec = revoke_operator(&st.repo, &*st.clock, &op.actor(), &name)
        .await
        .map_err(operator_error)?;
    tracing::info!(operator = %name, by = %op.name, "operator token revoked");
    Ok(Json(OperatorView::from(&rec)))
}
