//! The signed-request check for the exchange gateway.

use std::net::IpAddr;
use std::time::Instant;

use custodia_keys::{AuthHeaders, DenyCode, Permission, parse_auth, prehash, verify_signature};
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::{App, Repos, event};
use crate::wire::{VerifyRequest, VerifyResponse};

struct Checked {
    method: String,
    client_ip: IpAddr,
    required: Option<Permission>,
}

/// Validates what the gateway sent about the request (not the user's headers: those get OKX
/// codes). Each malformed field has its own error.
fn validate(req: &VerifyRequest) -> Result<Checked, ApiError> {
    let m = req.method.trim();
    if m.is_empty() || m.len() > 16 || !m.bytes().all(|c| c.is_ascii_alphabetic()) {
        return Err(ApiError::bad_request(
            "invalid_method",
            "method must be an HTTP method such as GET or POST",
        ));
    }
    let p = &req.path;
    if !p.starts_with('/') {
        return Err(ApiError::bad_request(
            "invalid_path",
            "path must start with `/` (path plus optional `?query`)",
        ));
    }
    if p.len() > 8192 {
        return Err(ApiError::bad_request(
            "invalid_path",
            "path is longer than 8192 bytes",
        ));
    }
    if p.chars().any(|c| c.is_control() || c == ' ') {
        return Err(ApiError::bad_request(
            "invalid_path",
            "path must not contain spaces or control characters",
        ));
    }
    let client_ip: IpAddr = req.client_ip.trim().parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_client_ip",
            "client_ip must be an IPv4 or IPv6 address",
        )
    })?;
    let required = match req.required_permission.as_deref() {
        None => None,
        Some(s) => Some(Permission::parse(s).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_permission",
                "required_permission must be read, trade or withdraw",
            )
        })?),
    };
    Ok(Checked {
        method: m.to_ascii_uppercase(),
        client_ip,
        required,
    })
}

/// Runs the check. Order: headers (presence, timestamp, window, syntax) → key → signature →
/// IP → passphrase → permission → replay. Signature before passphrase means Argon2 only ever
/// runs for callers who hold the secret.
pub(crate) async fn check<S: Repos>(
    app: &App<S>,
    actor: &str,
    req: VerifyRequest,
) -> Result<VerifyResponse, ApiError> {
    let started = Instant::now();
    let c = validate(&req)?;
    let r = decide(app, &req, &c).await;
    let m = &app.inner.metrics;
    m.gateway_seconds.observe(started.elapsed().as_secs_f64());
    match r? {
        Ok(resp) => {
            m.gateway_decisions
                .with_label_values(&["allow", "ok"])
                .inc();
            Ok(resp)
        }
        Err((code, detail)) => {
            m.gateway_decisions
                .with_label_values(&["deny", code.reason()])
                .inc();
            let key_text = req
                .headers
                .key
                .as_deref()
                .filter(|k| custodia_keys::ApiKeyId::parse(k).is_ok());
            let path_only = req.path.split('?').next().unwrap_or("");
            tracing::info!(
                code = code.code(),
                reason = code.reason(),
                detail,
                key = key_text.unwrap_or("-"),
                client_ip = %c.client_ip,
                method = %c.method,
                path = path_only,
                "gateway request denied"
            );
            app.audit(event(
                app.now(),
                custodia_keys::kinds::REQUEST_DENIED,
                actor,
                &key_text.map_or_else(|| "api_key:-".to_owned(), |k| format!("api_key:{k}")),
                json!({
                    "code": code.code().to_string(),
                    "reason": code.reason(),
                    "detail": detail,
                    "client_ip": c.client_ip.to_string(),
                    "method": c.method,
                    "path": path_only.chars().take(256).collect::<String>(),
                }),
            ));
            Ok(VerifyResponse {
                decision: "deny",
                code: code.code().to_string(),
                msg: code.msg(),
                key_id: None,
                user: None,
                permissions: None,
            })
        }
    }
}

type Decision = Result<VerifyResponse, (DenyCode, &'static str)>;

async fn decide<S: Repos>(
    app: &App<S>,
    req: &VerifyRequest,
    c: &Checked,
) -> Result<Decision, ApiError> {
    let now = app.now();
    let h = &req.headers;
    let headers = AuthHeaders {
        key: h.key.as_deref(),
        sign: h.sign.as_ref().map(|s| s.expose()),
        timestamp: h.timestamp.as_deref(),
        passphrase: h.passphrase.as_ref().map(|s| s.expose()),
    };
    let auth = match parse_auth(&headers, now, app.inner.policy.window_ms) {
        Ok(a) => a,
        Err(code) => return Ok(Err((code, "header check"))),
    };
    let entry = match app.active_key(&auth.key).await? {
        Ok(e) => e,
        Err(why) => return Ok(Err((DenyCode::InvalidKey, why))),
    };
    let msg = prehash(&auth.timestamp_text, &c.method, &req.path, &req.body);
    if !verify_signature(entry.secret.expose().as_bytes(), &msg, &auth.sign) {
        return Ok(Err((DenyCode::InvalidSign, "signature mismatch")));
    }
    if !entry.key.ips.allows(c.client_ip) {
        return Ok(Err((DenyCode::IpNotAllowed, "ip not in allowlist")));
    }
    let tag = app.inner.tagger.tag(&auth.key, auth.passphrase.expose());
    let known = *entry.pass_tag.lock().unwrap_or_else(|e| e.into_inner());
    match known {
        Some(t) => {
            if !bool::from(t.ct_eq(&tag)) {
                return Ok(Err((DenyCode::PassphraseIncorrect, "passphrase mismatch")));
            }
        }
        None => {
            let _permit = app
                .inner
                .argon
                .acquire()
                .await
                .map_err(|_| ApiError::internal("argon semaphore closed"))?;
            let hash = entry.key.passphrase_hash.clone();
            let pass = auth.passphrase.clone();
            let ok = tokio::task::spawn_blocking(move || hash.verify(pass.expose()))
                .await
                .map_err(|e| ApiError::internal(format!("argon2 task: {e}")))?;
            if !ok {
                return Ok(Err((DenyCode::PassphraseIncorrect, "passphrase mismatch")));
            }
            *entry.pass_tag.lock().unwrap_or_else(|e| e.into_inner()) = Some(tag);
        }
    }
    if let Some(p) = c.required
        && !entry.key.permissions.has(p)
    {
        return Ok(Err((DenyCode::PermissionDenied, "missing permission")));
    }
    let expires = auth.timestamp.plus_millis(app.inner.policy.window_ms + 1);
    match app
        .inner
        .replay
        .check_and_insert(&auth.key, &auth.sign, expires, now)
    {
        Ok(()) => {}
        Err(custodia_keys::ReplayError::Replayed) => {
            return Ok(Err((DenyCode::Replayed, "replayed request")));
        }
        Err(custodia_keys::ReplayError::Full) => {
            return Ok(Err((DenyCode::ServiceBusy, "replay cache full")));
        }
    }
    app.record_use(auth.key, &entry.key.user, now);
    Ok(Ok(VerifyResponse {
        decision: "allow",
        code: "0".into(),
        msg: "",
        key_id: Some(auth.key.to_string()),
        user: Some(entry.key.user.to_string()),
        permissions: Some(entry.key.permissions.names()),
    }))
}
