//! The OpenAPI document (utoipa). Paths are declared on the stubs below, which mirror the
//! handlers in `routes.rs`; `tests/http.rs` checks that every route is documented.

#![allow(dead_code)]

use utoipa::OpenApi;

use crate::error::ErrorBody;
use crate::wire::*;

#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
fn healthz() {}

#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
fn metrics() {}

#[utoipa::path(post, path = "/v1/operators", request_body = CreateOperatorRequest, security(("bearer" = [])),
    responses((status = 201, body = OperatorCreated), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
fn create_operator() {}

#[utoipa::path(post, path = "/v1/users/{user}/totp", params(("user" = String, Path, description = "Account id")), security(("bearer" = [])),
    responses((status = 201, body = TotpEnrolled), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
fn enroll_totp() {}

#[utoipa::path(post, path = "/v1/users/{user}/api-keys", params(("user" = String, Path, description = "Account id")), request_body = CreateKeyRequest, security(("bearer" = [])),
    responses((status = 201, body = KeyCreated), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody, description = "TOTP invalid or reused"), (status = 409, body = ErrorBody, description = "no authenticator enrolled"), (status = 429, body = ErrorBody)))]
fn create_key() {}

#[utoipa::path(get, path = "/v1/users/{user}/api-keys", params(("user" = String, Path, description = "Account id")), security(("bearer" = [])),
    responses((status = 200, body = KeyList)))]
fn list_keys() {}

#[utoipa::path(delete, path = "/v1/users/{user}/api-keys/{key_id}", params(("user" = String, Path), ("key_id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
fn delete_key() {}

#[utoipa::path(post, path = "/v1/gateway/verify", request_body = VerifyRequest, security(("bearer" = [])),
    responses((status = 200, body = VerifyResponse, description = "allow, or deny with an OKX-style code"), (status = 400, body = ErrorBody, description = "the gateway's request is malformed")))]
fn gateway_verify() {}

#[utoipa::path(get, path = "/v1/audit/events", params(("after" = Option<u64>, Query), ("limit" = Option<u32>, Query)), security(("bearer" = [])),
    responses((status = 200, body = EventPage)))]
fn audit_events() {}

#[utoipa::path(get, path = "/v1/audit/verify", security(("bearer" = [])), responses((status = 200, body = AuditReport)))]
fn audit_verify() {}

#[utoipa::path(post, path = "/v1/admin/keys/purge", security(("bearer" = [])), responses((status = 200, body = PurgeResult)))]
fn purge() {}

#[derive(OpenApi)]
#[openapi(
    info(title = "Custodia security service", description = "API keys with OKX v5 semantics, the gateway's signed-request check, and the tamper-evident event log."),
    paths(healthz, metrics, create_operator, enroll_totp, create_key, list_keys, delete_key, gateway_verify, audit_events, audit_verify, purge),
    components(schemas(ErrorBody, Health, CreateOperatorRequest, OperatorCreated, TotpEnrolled, CreateKeyRequest, KeyCreated, KeyView, KeyList, OkAccessHeaders, VerifyRequest, VerifyResponse, EventView, EventPage, ChainBreak, AuditReport, PurgeResult)),
    modifiers(&Bearer)
)]
struct Doc;

struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The document as JSON.
pub fn document_json() -> String {
    let mut doc = Doc::openapi();
    doc.merge(crate::guard::GuardDoc::openapi());
    doc.to_json().unwrap_or_else(|_| "{}".to_owned())
}
