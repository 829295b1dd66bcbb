//! The OpenAPI document (utoipa). Paths are declared on the stubs below, which mirror the
//! shell's and the audit and operator handlers; each service folder has its own `doc.rs`; `tests/http.rs` checks that every route is documented.

#![allow(dead_code)]

use utoipa::OpenApi;

use crate::audit::*;
use crate::error::ErrorBody;
use crate::health::Health;
use crate::operators::*;

#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
fn healthz() {}

#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
fn metrics() {}

#[utoipa::path(post, path = "/v1/operators", request_body = CreateOperatorRequest, security(("bearer" = [])),
    responses((status = 201, body = OperatorCreated), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
fn create_operator() {}

#[utoipa::path(get, path = "/v1/operators", security(("bearer" = [])),
    responses((status = 200, body = OperatorList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
fn list_operators() {}

#[utoipa::path(delete, path = "/v1/operators/{name}", params(("name" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = OperatorView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
fn revoke_operator() {}

#[utoipa::path(get, path = "/v1/console/panels", security(("bearer" = [])),
    responses((status = 200, body = crate::console::ConsoleView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
fn console_panels() {}

#[utoipa::path(get, path = "/v1/audit/events", params(("after" = Option<u64>, Query), ("limit" = Option<u32>, Query)), security(("bearer" = [])),
    responses((status = 200, body = EventPage)))]
fn audit_events() {}

#[utoipa::path(get, path = "/v1/audit/verify", security(("bearer" = [])), responses((status = 200, body = AuditReport)))]
fn audit_verify() {}

#[derive(OpenApi)]
#[openapi(
    info(title = "Custodia security service", description = "API keys with OKX v5 semantics, the gateway's signed-request check, and the tamper-evident event log."),
    paths(healthz, metrics, create_operator, list_operators, revoke_operator, console_panels, audit_events, audit_verify),
    components(schemas(ErrorBody, Health, CreateOperatorRequest, OperatorCreated, OperatorView, OperatorList, crate::console::ConsoleView, crate::console::Panel, crate::console::PanelStatus, crate::console::Fact, crate::console::Table, EventView, EventPage, ChainBreak, AuditReport, CheckpointStatus, CheckpointView, AuditProblem)),
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
    doc.merge(crate::keys::KeysDoc::openapi());
    doc.merge(crate::guard::GuardDoc::openapi());
    doc.merge(crate::login::LoginDoc::openapi());
    doc.merge(crate::fund::FundDoc::openapi());
    doc.merge(crate::por::PorApi::openapi());
    doc.merge(crate::token::TokenDoc::openapi());
    doc.merge(crate::protect::ProtectDoc::openapi());
    doc.to_json().unwrap_or_else(|_| "{}".to_owned())
}
