//! `POST /v1/por/inclusion`: one user's inclusion file of one round, for the exchange's back end
//! (role `service`, or `admin`), which hands it to the logged-in user.
//!
//! The files come from the delivery folders `custodia por inclusion --all` writes, one per round
//! under `[por] delivery_dir`: a pack with its sorted index (`<delivery_dir>/<round>/index.bin`,
//! `custodia_primitives::pack`), or one file per user (`<delivery_dir>/<round>/<shard>/<user>.json`);
//! see `docs/verify.md`. The user id travels in the request body, never in the URL, so no access
//! log, proxy or metrics label ever records which user asked; no message of this module names
//! it either.

use std::path::{Path, PathBuf};

use axum::extract::{FromRef, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use custodia_primitives::AccountId;
use serde::{Deserialize, Serialize};

use crate::auth::{Operator, OperatorAuth, ServiceOrAdmin};
use crate::error::ApiError;

/// Largest inclusion file served (one is about 2 KB at 22 assets, tens of KB at 200).
const MAX_FILE_BYTES: u64 = 1 << 20;

/// `[por]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PorConfig {
    /// The folder holding one delivery folder per round (`<delivery_dir>/<round id>/`, written
    /// by `custodia por inclusion --all --out <delivery_dir>/<round id>`). Unset: the endpoint
    /// answers 503.
    pub delivery_dir: Option<PathBuf>,
}

/// What the route needs.
#[derive(Clone)]
pub struct PorState {
    /// Where the rounds' delivery folders are.
    pub delivery_dir: Option<PathBuf>,
    /// Bearer-token checks.
    pub auth: OperatorAuth,
}

impl FromRef<PorState> for OperatorAuth {
    fn from_ref(s: &PorState) -> Self {
        s.auth.clone()
    }
}

/// The request: which user, which round.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InclusionRequest {
    /// Round id.
    pub round: String,
    /// The user's account id.
    pub user: String,
}

/// The route.
pub fn routes(state: PorState) -> Router {
    Router::new()
        .route("/v1/por/inclusion", post(inclusion))
        .with_state(state)
}

/// A round id names a folder: the id rule (`A-Z a-z 0-9 - _ .`, 1–64) keeps it inside
/// `delivery_dir`; `.` and `..` alone are refused.
fn valid_round(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && id != "."
        && id != ".."
}

fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no inclusion file for this user in this round",
    )
}

/// Reads the user's file; `Ok(None)` when the round or the user has none.
fn read(dir: &Path, round: &str, user: &AccountId) -> Result<Option<Vec<u8>>, ApiError> {
    let round_dir = dir.join(round);
    let record = match std::fs::read(round_dir.join("delivery.json")) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ApiError::internal(format!("reading delivery.json: {e}"))),
    };
    #[derive(Deserialize)]
    struct Record {
        round: String,
        complete: bool,
        #[serde(default)]
        layout: Option<String>,
    }
    let record: Record = serde_json::from_slice(&record)
        .map_err(|e| ApiError::internal(format!("delivery.json of round {round}: {e}")))?;
    if record.round != round || !record.complete {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "delivery_incomplete",
            "this round's inclusion files are not all written yet",
        ));
    }
    if record.layout.as_deref() == Some("pack") {
        // The pack's errors name files, never the user.
        return custodia_primitives::pack::find_in_pack(&round_dir, user, MAX_FILE_BYTES)
            .map_err(|e| ApiError::internal(format!("delivery pack of round {round}: {e}")));
    }
    let path = round_dir
        .join(user.delivery_shard())
        .join(format!("{}.json", user.as_str()));
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // The path names the user: the detail says what failed, not where.
        Err(e) => {
            return Err(ApiError::internal(format!(
                "opening an inclusion file of round {round}: {e}"
            )));
        }
    };
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_FILE_BYTES + 1),
        &mut bytes,
    )
    .map_err(|e| ApiError::internal(format!("reading an inclusion file of round {round}: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ApiError::internal(format!(
            "an inclusion file of round {round} is larger than {MAX_FILE_BYTES} bytes"
        )));
    }
    Ok(Some(bytes))
}

#[utoipa::path(
    post,
    path = "/v1/por/inclusion",
    tag = "proof of reserves",
    summary = "One user's inclusion file of a round (service or admin)",
    request_body = InclusionRequest,
    responses(
        (status = 200, description = "The inclusion file (custodia-inclusion JSON)"),
        (status = 400, description = "Malformed round or user id"),
        (status = 401, description = "No or invalid token"),
        (status = 403, description = "Role not allowed"),
        (status = 404, description = "No file for this user in this round"),
        (status = 503, description = "Delivery not configured or not complete")
    )
)]
async fn inclusion(
    _op: Operator<ServiceOrAdmin>,
    State(s): State<PorState>,
    Json(req): Json<InclusionRequest>,
) -> Result<Response, ApiError> {
    let Some(dir) = s.delivery_dir.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "delivery_not_configured",
            "no [por] delivery_dir is configured",
        ));
    };
    if !valid_round(&req.round) {
        return Err(ApiError::bad_request(
            "bad_round",
            "round must be 1-64 characters of A-Z a-z 0-9 - _ .",
        ));
    }
    // The message never repeats the id (it would reach logs through the error's detail).
    let user = AccountId::new(req.user).map_err(|_| {
        ApiError::bad_request(
            "bad_user",
            "user must be 1-64 characters of A-Z a-z 0-9 _ - . : @",
        )
    })?;
    let round = req.round;
    let found = tokio::task::spawn_blocking(move || read(&dir, &round, &user))
        .await
        .map_err(|e| ApiError::internal(format!("inclusion read task: {e}")))??;
    match found {
        Some(bytes) => Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response()),
        None => Err(not_found()),
    }
}

/// The OpenAPI description of the route.
#[derive(utoipa::OpenApi)]
#[openapi(paths(inclusion), components(schemas(InclusionRequest)))]
pub struct PorApi;
