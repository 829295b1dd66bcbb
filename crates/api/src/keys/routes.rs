//! The key service's handlers: parse the wire, call the use case, map the outcome.

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use custodia_events::Audit as _;
use custodia_events::Timestamp;
use custodia_keys::{
    ApiKey, ApiKeyRepo, AuthHeaders, Envelope, EnvelopeError, KeyRequest, KeyServiceError,
    ReplayRepo, SecretString, SignedRequest, TotpRepo, Verdict, denial_event, names,
};

use super::state::KeysState;
use super::wire::*;
use crate::auth::{AdminOnly, AnyOperator, GatewayOnly, Operator, ServiceOrAdmin};
use crate::error::ApiError;
use crate::extract::{ApiJson, parse_user, path_error};

/// The key service's routes.
pub fn routes<R: ApiKeyRepo + TotpRepo + ReplayRepo + 'static>(state: KeysState<R>) -> Router {
    Router::new()
        .route("/v1/users/{user}/totp", post(enroll_totp::<R>))
        .route(
            "/v1/users/{user}/api-keys",
            post(create_key::<R>).get(list_keys::<R>),
        )
        .route(
            "/v1/users/{user}/api-keys/{key_id}",
            delete(delete_key::<R>),
        )
        .route("/v1/gateway/verify", post(gateway_verify::<R>))
        .route("/v1/admin/keys/purge", post(purge::<R>))
        .with_state(state)
}

/// The HTTP face of a use-case failure.
fn service_error<R>(st: &KeysState<R>, e: KeyServiceError) -> ApiError {
    match e {
        KeyServiceError::Invalid(e) => e.into(),
        KeyServiceError::TotpLocked => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "totp_locked",
            "too many wrong codes; try again later",
        ),
        KeyServiceError::TotpNotEnrolled => ApiError::new(
            StatusCode::CONFLICT,
            "totp_not_enrolled",
            "enrol an authenticator before creating API keys",
        ),
        KeyServiceError::TotpAlreadyEnrolled => ApiError::new(
            StatusCode::CONFLICT,
            "totp_already_enrolled",
            "this user already has an authenticator",
        ),
        KeyServiceError::Totp(t) => {
            st.metrics
                .totp_rejections
                .with_label_values(&[t.code()])
                .inc();
            let status = match t {
                custodia_keys::TotpError::Malformed => StatusCode::BAD_REQUEST,
                _ => StatusCode::FORBIDDEN,
            };
            ApiError::new(status, t.code(), t.to_string())
        }
        KeyServiceError::KeyNotFound { key } => ApiError::new(
            StatusCode::NOT_FOUND,
            "key_not_found",
            "no active API key with this id for this user",
        )
        .with_detail(format!("key {key}")),
        KeyServiceError::Repo(e) => e.into(),
        KeyServiceError::Offload(e) => e.into(),
        e @ KeyServiceError::Sealed { .. } => ApiError::internal(e.to_string()),
    }
}

async fn enroll_totp<R: ApiKeyRepo + TotpRepo + ReplayRepo + 'static>(
    State(st): State<KeysState<R>>,
    op: Operator<ServiceOrAdmin>,
    user: Result<Path<String>, PathRejection>,
) -> Result<(StatusCode, Json<TotpEnrolled>), ApiError> {
    let user = parse_user(&user.map_err(path_error)?.0)?;
    let e = st
        .service
        .enroll_totp(&op.actor(), &user)
        .await
        .map_err(|e| service_error(&st, e))?;
    tracing::info!(user = %user, by = %op.name, "TOTP enrolled");
    Ok((
        StatusCode::CREATED,
        Json(TotpEnrolled {
            secret_base32: e.secret_base32.expose().to_owned(),
            otpauth_uri: e.otpauth_uri.expose().to_owned(),
        }),
    ))
}

async fn create_key<R: ApiKeyRepo + TotpRepo + ReplayRepo + 'static>(
    State(st): State<KeysState<R>>,
    op: Operator<ServiceOrAdmin>,
    user: Result<Path<String>, PathRejection>,
    ApiJson(req): ApiJson<CreateKeyRequest>,
) -> Result<(StatusCode, Json<KeyCreated>), ApiError> {
    let user = parse_user(&user.map_err(path_error)?.0)?;
    let req = KeyRequest {
        label: req.label,
        permissions: req.permissions,
        ips: req.ips,
        passphrase: req.passphrase,
        totp_code: req.totp_code,
    };
    let created = st
        .service
        .create_key(&st.recorder, &st.offload, &op.actor(), user, req)
        .await
        .map_err(|e| service_error(&st, e))?;
    st.metrics.keys_created.inc();
    let k = &created.key;
    Ok((
        StatusCode::CREATED,
        Json(KeyCreated {
            key_id: k.id.to_string(),
            secret: created.secret.expose().to_owned(),
            label: k.label.as_str().to_owned(),
            permissions: names(k.permissions),
            ips: k.ips.entries(),
            created_at: k.created_at.to_iso8601_millis(),
        }),
    ))
}

/// A key as listed.
fn view(k: &ApiKey) -> KeyView {
    KeyView {
        key_id: k.id.to_string(),
        label: k.label.as_str().to_owned(),
        permissions: names(k.permissions),
        ips: k.ips.entries(),
        status: k.status.as_str().to_owned(),
        created_at: k.created_at.to_iso8601_millis(),
        last_used_at: k.last_used_at.map(Timestamp::to_iso8601_millis),
        status_at: k.status_at.to_iso8601_millis(),
        expires_when_idle: k.is_idle_expirable(),
    }
}

async fn list_keys<R: ApiKeyRepo + TotpRepo + ReplayRepo + 'static>(
    State(st): State<KeysState<R>>,
    _op: Operator<AnyOperator>,
    user: Result<Path<String>, PathRejection>,
) -> Result<Json<KeyList>, ApiError> {
    let user = parse_user(&user.map_err(path_error)?.0)?;
    let keys = st.service.keys_of(&user).await?;
    Ok(Json(KeyList {
        keys: keys.iter().map(view).collect(),
    }))
}

async fn delete_key<R: ApiKeyRepo + TotpRepo + ReplayRepo + 'static>(
    State(st): State<KeysState<R>>,
    op: Operator<ServiceOrAdmin>,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path((user, key)) = p.map_err(path_error)?;
    let user = parse_user(&user)?;
    match st.service.delete_key(&op.actor(), &user, &key).await {
        Ok(_) => {
            st.metrics.keys_deleted.inc();
            Ok(StatusCode::NO_CONTENT)
        }
        Err(KeyServiceError::Invalid(custodia_keys::KeyError::KeyId)) => Err(
            ApiError::bad_request("invalid_key_id", "key id must be a lowercase UUID"),
        ),
        Err(e @ KeyServiceError::KeyNotFound { .. }) => {
            Err(service_error(&st, e).with_detail(format!("key {key} user {user}")))
        }
        Err(e) => Err(service_error(&st, e)),
    }
}

fn envelope_error(e: EnvelopeError) -> ApiError {
    let code = match e {
        EnvelopeError::Method => "invalid_method",
        EnvelopeError::Path(_) => "invalid_path",
        EnvelopeError::ClientIp => "invalid_client_ip",
        EnvelopeError::Permission => "invalid_permission",
    };
    ApiError::bad_request(code, e.to_string())
}

/// The value of header `name` in any spelling; two spellings with different values are the
/// gateway's error (which one the user signed is unknowable).
fn header<'a>(
    headers: &'a HashMap<String, SecretString>,
    name: &'static str,
) -> Result<Option<&'a str>, ApiError> {
    let mut found: Option<&str> = None;
    for (k, v) in headers {
        if k.eq_ignore_ascii_case(name) {
            match found {
                Some(f) if f != v.expose() => {
                    return Err(ApiError::bad_request(
                        "ambiguous_header",
                        format!("header {name} is given more than once with different values"),
                    ));
                }
                _ => found = Some(v.expose()),
            }
        }
    }
    Ok(found)
}

async fn gateway_verify<R: ApiKeyRepo + TotpRepo + ReplayRepo + 'static>(
    State(st): State<KeysState<R>>,
    op: Operator<GatewayOnly>,
    ApiJson(req): ApiJson<VerifyRequest>,
) -> Result<Json<VerifyResponse>, ApiError> {
    let started = Instant::now();
    let env = Envelope::parse(
        &req.method,
        &req.path,
        &req.client_ip,
        req.required_permission.as_deref(),
    )
    .map_err(envelope_error)?;
    let h = &req.headers;
    let key_header = header(h, "OK-ACCESS-KEY")?;
    let signed = SignedRequest {
        envelope: &env,
        headers: AuthHeaders {
            key: key_header,
            sign: header(h, "OK-ACCESS-SIGN")?,
            timestamp: header(h, "OK-ACCESS-TIMESTAMP")?,
            passphrase: header(h, "OK-ACCESS-PASSPHRASE")?,
        },
        body: &req.body,
    };
    let verdict = st.service.check_request(&st.offload, signed).await;
    let m = &st.metrics;
    m.gateway_seconds.observe(started.elapsed().as_secs_f64());
    match verdict.map_err(|e| service_error(&st, e))? {
        Verdict::Allow {
            key,
            user,
            permissions,
        } => {
            m.gateway_decisions
                .with_label_values(&["allow", "ok"])
                .inc();
            Ok(Json(VerifyResponse {
                decision: "allow",
                code: "0".into(),
                msg: "",
                key_id: Some(key.to_string()),
                user: Some(user.to_string()),
                permissions: Some(permissions.names()),
            }))
        }
        Verdict::Deny { code, detail } => {
            m.gateway_decisions
                .with_label_values(&["deny", code.reason()])
                .inc();
            let key_text = key_header.filter(|k| custodia_keys::ApiKeyId::parse(k).is_ok());
            tracing::info!(
                code = code.code(),
                reason = code.reason(),
                detail,
                key = key_text.unwrap_or("-"),
                client_ip = %env.client_ip,
                method = %env.method,
                path = env.path_only(),
                "gateway request denied"
            );
            // Repeats of one (key, client IP, code) are counted, not written a row each.
            st.recorder.record_repeatable(
                format!(
                    "gateway:{}:{}:{}",
                    key_text.unwrap_or("-"),
                    env.client_ip,
                    code.code()
                ),
                denial_event(
                    st.service.now(),
                    &op.actor(),
                    &env,
                    key_header,
                    code,
                    detail,
                ),
            );
            Ok(Json(VerifyResponse {
                decision: "deny",
                code: code.code().to_string(),
                msg: code.msg(),
                key_id: None,
                user: None,
                permissions: None,
            }))
        }
    }
}

async fn purge<R: ApiKeyRepo + TotpRepo + ReplayRepo + 'static>(
    State(st): State<KeysState<R>>,
    op: Operator<AdminOnly>,
) -> Result<Json<PurgeResult>, ApiError> {
    let expired = st.purge().await?;
    tracing::info!(expired, by = %op.name, "idle purge run on request");
    Ok(Json(PurgeResult { expired }))
}
