//! `GET /healthz`: whether the service and its storage answer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use custodia_events::StoreHealth;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;

/// `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Schema version in the database.
    pub schema_version: i64,
}

pub(crate) async fn health<S: StoreHealth>(
    State(store): State<S>,
) -> Result<Json<Health>, ApiError> {
    let (backend, schema_version) = store.health().await.map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "the store is unavailable",
        )
        .with_detail(e.to_string())
    })?;
    Ok(Json(Health {
        status: "ok",
        backend,
        schema_version,
    }))
}
