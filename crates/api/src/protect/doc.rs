//! OpenAPI stubs for the protection routes (mirroring `routes.rs`).

#![allow(dead_code)]

use utoipa::OpenApi;

use super::wire::*;
use crate::error::ErrorBody;

#[utoipa::path(post, path = "/v1/protect/orders/check", request_body = OrderCheckRequest, security(("bearer" = [])),
    responses((status = 200, body = OrderCheckResponse), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
fn check() {}

#[utoipa::path(put, path = "/v1/protect/users/{user}/cooling-off", params(("user" = String, Path)), request_body = CoolingOffRequest, security(("bearer" = [])),
    responses((status = 200, body = CoolingOffView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
fn start_cooling() {}

#[utoipa::path(get, path = "/v1/protect/users/{user}/cooling-off", params(("user" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CoolingOffView)))]
fn get_cooling() {}

#[utoipa::path(get, path = "/v1/protect/users/{user}/cases", params(("user" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CasePage)))]
fn user_cases() {}

#[utoipa::path(put, path = "/v1/protect/accounts/{user}", params(("user" = String, Path)), request_body = AccountRequest, security(("bearer" = [])),
    responses((status = 200, body = AccountView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
fn register() {}

#[utoipa::path(get, path = "/v1/protect/accounts/{user}", params(("user" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = AccountView)))]
fn account() {}

#[utoipa::path(post, path = "/v1/protect/accounts/{user}/knowledge-check", params(("user" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = AccountView)))]
fn knowledge() {}

#[utoipa::path(put, path = "/v1/protect/deposit-addresses", request_body = DepositAddressRequest, security(("bearer" = [])),
    responses((status = 200, body = DepositAddressView), (status = 400, body = ErrorBody)))]
fn deposit_address() {}

#[utoipa::path(post, path = "/v1/protect/deposits/diagnose", request_body = DiagnoseRequest, security(("bearer" = [])),
    responses((status = 200, body = DiagnosisView), (status = 400, body = ErrorBody)))]
fn diagnose() {}

#[utoipa::path(post, path = "/v1/protect/cases", request_body = OpenCaseRequest, security(("bearer" = [])),
    responses((status = 201, body = CaseView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
fn open_case() {}

#[utoipa::path(get, path = "/v1/protect/cases", params(("state" = Option<String>, Query), ("after" = Option<String>, Query), ("limit" = Option<u32>, Query)), security(("bearer" = [])),
    responses((status = 200, body = CasePage), (status = 400, body = ErrorBody)))]
fn list_cases() {}

#[utoipa::path(get, path = "/v1/protect/cases/{id}", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CaseView), (status = 404, body = ErrorBody)))]
fn get_case() {}

#[utoipa::path(post, path = "/v1/protect/cases/{id}/actions", params(("id" = String, Path)), request_body = CaseActionRequest, security(("bearer" = [])),
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
fn act() {}

#[derive(OpenApi)]
#[openapi(
    paths(
        check,
        start_cooling,
        get_cooling,
        user_cases,
        register,
        account,
        knowledge,
        deposit_address,
        diagnose,
        open_case,
        list_cases,
        get_case,
        act
    ),
    components(schemas(
        OrderCheckRequest,
        OrderCheckResponse,
        DenyView,
        CoolingOffRequest,
        CoolingOffView,
        AccountRequest,
        AccountView,
        DepositAddressRequest,
        DepositAddressView,
        TransferWire,
        DiagnoseRequest,
        DiagnosisView,
        OpenCaseRequest,
        CaseActionRequest,
        TransitionView,
        CaseView,
        CasePage,
        CaseQuery
    ))
)]
pub(crate) struct ProtectDoc;
