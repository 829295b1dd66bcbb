//! HTTP handlers: thin, with authorization in their signatures.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use custodia_store::Role;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::auth::{AdminOnly, AnyOperator, AuditorOrAdmin, Operator, ServiceOrAdmin};
use crate::error::ApiError;
use crate::state::{App, Repos};
use crate::wire::{
    AuditReport, ChainBreak, CreateKeyRequest, CreateOperatorRequest, EventPage, EventView, Health,
    KeyList, PurgeResult, VerifyRequest,
};
use crate::{gateway, service};

/// JSON body extractor whose rejections are `{"code", "msg"}` with a specific code.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            // The serde message is returned to the caller (it names the field) but not logged:
            // it can quote the value that was sent.
            Err(r) => Err(match &r {
                JsonRejection::MissingJsonContentType(_) => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Content-Type must be application/json",
                ),
                JsonRejection::JsonSyntaxError(_) => {
                    ApiError::bad_request("invalid_json", r.body_text())
                }
                JsonRejection::JsonDataError(_) => {
                    ApiError::bad_request("invalid_body", r.body_text())
                }
                _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "request body is too large",
                ),
                _ => ApiError::bad_request("invalid_body", r.body_text()),
            }),
        }
    }
}

fn path_error(r: PathRejection) -> ApiError {
    ApiError::bad_request("invalid_path_parameter", r.body_text())
}

/// The router: every route of the service.
pub fn router<S: Repos>(app: App<S>) -> Router {
    let limit = app.inner.server_cfg.body_limit_bytes;
    Router::new()
        .route("/healthz", get(health::<S>))
        .route("/metrics", get(metrics::<S>))
        .route("/openapi.json", get(openapi))
        .route("/v1/operators", post(create_operator::<S>))
        .route("/v1/users/{user}/totp", post(enroll_totp::<S>))
        .route(
            "/v1/users/{user}/api-keys",
            post(create_key::<S>).get(list_keys::<S>),
        )
        .route(
            "/v1/users/{user}/api-keys/{key_id}",
            delete(delete_key::<S>),
        )
        .route("/v1/gateway/verify", post(gateway_verify::<S>))
        .route("/v1/audit/events", get(audit_events::<S>))
        .route("/v1/audit/verify", get(audit_verify::<S>))
        .route("/v1/admin/keys/purge", post(purge::<S>))
        .merge(crate::guard::routes::<S>(
            app.inner.guard.cfg.max_list_bytes,
        ))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .with_state(app)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this endpoint",
    )
}

async fn health<S: Repos>(State(app): State<App<S>>) -> Result<Json<Health>, ApiError> {
    let (backend, schema_version) = app.store().health().await.map_err(|e| {
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

async fn metrics<S: Repos>(State(app): State<App<S>>) -> Response {
    let m = app.metrics();
    m.replay_cache_entries.set(app.inner.replay.len() as i64);
    m.key_cache_entries
        .set(app.inner.key_cache.read().map(|c| c.len()).unwrap_or(0) as i64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        m.render(),
    )
        .into_response()
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::document_json(),
    )
        .into_response()
}

async fn create_operator<S: Repos>(
    State(app): State<App<S>>,
    op: Operator<AdminOnly>,
    ApiJson(req): ApiJson<CreateOperatorRequest>,
) -> Result<(StatusCode, Json<crate::wire::OperatorCreated>), ApiError> {
    let role = Role::parse(&req.role).ok_or_else(|| {
        ApiError::bad_request("invalid_role", "role must be admin, analyst or service")
    })?;
    let created = service::create_operator(
        app.store(),
        &*app.inner.clock,
        &*app.inner.entropy,
        &op.actor(),
        &req.name,
        role,
        None,
    )
    .await?;
    tracing::info!(operator = %req.name, role = role.as_str(), by = %op.name, "operator token created");
    Ok((StatusCode::CREATED, Json(created)))
}

async fn enroll_totp<S: Repos>(
    State(app): State<App<S>>,
    op: Operator<ServiceOrAdmin>,
    user: Result<Path<String>, PathRejection>,
) -> Result<(StatusCode, Json<crate::wire::TotpEnrolled>), ApiError> {
    let user = service::parse_user(&user.map_err(path_error)?.0)?;
    let r = service::enroll_totp(&app, &op.actor(), &user).await?;
    tracing::info!(user = %user, by = %op.name, "TOTP enrolled");
    Ok((StatusCode::CREATED, Json(r)))
}

async fn create_key<S: Repos>(
    State(app): State<App<S>>,
    op: Operator<ServiceOrAdmin>,
    user: Result<Path<String>, PathRejection>,
    ApiJson(req): ApiJson<CreateKeyRequest>,
) -> Result<(StatusCode, Json<crate::wire::KeyCreated>), ApiError> {
    let user = service::parse_user(&user.map_err(path_error)?.0)?;
    let created = service::create_key(&app, &op.actor(), user, req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn list_keys<S: Repos>(
    State(app): State<App<S>>,
    _op: Operator<AnyOperator>,
    user: Result<Path<String>, PathRejection>,
) -> Result<Json<KeyList>, ApiError> {
    let user = service::parse_user(&user.map_err(path_error)?.0)?;
    let keys = custodia_store::ApiKeyRepo::keys_of(app.store(), &user).await?;
    Ok(Json(KeyList {
        keys: keys.iter().map(service::view).collect(),
    }))
}

async fn delete_key<S: Repos>(
    State(app): State<App<S>>,
    op: Operator<ServiceOrAdmin>,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path((user, key)) = p.map_err(path_error)?;
    let user = service::parse_user(&user)?;
    service::delete_key(&app, &op.actor(), &user, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn gateway_verify<S: Repos>(
    State(app): State<App<S>>,
    op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<VerifyRequest>,
) -> Result<Json<crate::wire::VerifyResponse>, ApiError> {
    Ok(Json(gateway::check(&app, &op.actor(), req).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    limit: Option<u32>,
}

async fn audit_events<S: Repos>(
    State(app): State<App<S>>,
    _op: Operator<AuditorOrAdmin>,
    q: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Json<EventPage>, ApiError> {
    let Query(q) = q.map_err(|r| ApiError::bad_request("invalid_query", r.body_text()))?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "limit must be 1 to 1000",
        ));
    }
    let events = app.store().events_after(q.after, limit).await?;
    let next_after = (events.len() == limit as usize)
        .then(|| events.last().map(|e| e.seq))
        .flatten();
    Ok(Json(EventPage {
        events: events
            .into_iter()
            .map(|e| EventView {
                seq: e.seq,
                time: e.body.time.to_iso8601_millis(),
                kind: e.body.kind.as_str().to_owned(),
                actor: e.body.actor.as_str().to_owned(),
                subject: e.body.subject.as_str().to_owned(),
                payload: e.body.payload.to_value(),
                prev_hash: e.prev_hash.to_hex(),
                hash: e.hash.to_hex(),
            })
            .collect(),
        next_after,
    }))
}

/// Converts a chain report for the wire.
pub(crate) fn report_view(r: &custodia_events::Report) -> AuditReport {
    AuditReport {
        intact: r.is_intact(),
        checked: r.checked,
        head_seq: r.head_seq,
        head_hash: r.head_hash.to_hex(),
        first_break: r.first_break.as_ref().map(|b| ChainBreak {
            seq: b.seq,
            reason: b.reason.to_string(),
        }),
    }
}

async fn audit_verify<S: Repos>(
    State(app): State<App<S>>,
    _op: Operator<AuditorOrAdmin>,
) -> Result<Json<AuditReport>, ApiError> {
    // Events still queued in memory are written first, so the report covers every decision so far.
    let _ = app.flush().await;
    let r = service::verify_audit_chain(app.store()).await?;
    Ok(Json(report_view(&r)))
}

async fn purge<S: Repos>(
    State(app): State<App<S>>,
    op: Operator<AdminOnly>,
) -> Result<Json<PurgeResult>, ApiError> {
    let expired = app.purge().await?;
    tracing::info!(expired, by = %op.name, "idle purge run on request");
    Ok(Json(PurgeResult { expired }))
}
