//! OpenAPI stubs for the login routes (mirroring `routes.rs`).

#![allow(dead_code)]

use utoipa::OpenApi;

use super::wire::*;
use crate::error::ErrorBody;

#[utoipa::path(post, path = "/v1/login/assess", request_body = AssessRequest, security(("bearer" = [])),
    responses((status = 200, body = AssessResponse), (status = 400, body = ErrorBody)))]
fn assess() {}

#[utoipa::path(post, path = "/v1/login/withdrawals/screen", request_body = ScreenWithdrawal, security(("bearer" = [])),
    responses((status = 200, body = WithdrawalVerdictView), (status = 400, body = ErrorBody)))]
fn screen() {}

#[utoipa::path(post, path = "/v1/login/security-changes", request_body = SecurityChangeRequest, security(("bearer" = [])),
    responses((status = 204), (status = 400, body = ErrorBody)))]
fn security_change() {}

#[utoipa::path(post, path = "/v1/login/allowlist", request_body = AllowlistRequest, security(("bearer" = [])),
    responses((status = 204), (status = 400, body = ErrorBody)))]
fn allowlist() {}

#[utoipa::path(put, path = "/v1/users/{user}/anti-phishing", params(("user" = String, Path)), request_body = AntiPhishingRequest, security(("bearer" = [])),
    responses((status = 204), (status = 400, body = ErrorBody)))]
fn set_anti_phishing() {}

#[utoipa::path(get, path = "/v1/users/{user}/anti-phishing", params(("user" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = AntiPhishingView), (status = 404, body = ErrorBody)))]
fn get_anti_phishing() {}

#[derive(OpenApi)]
#[openapi(
    paths(
        assess,
        screen,
        security_change,
        allowlist,
        set_anti_phishing,
        get_anti_phishing
    ),
    components(schemas(
        AssessRequest,
        AssessResponse,
        ReasonView,
        ScreenWithdrawal,
        WithdrawalVerdictView,
        WithdrawReasonView,
        SecurityChangeRequest,
        AllowlistRequest,
        AntiPhishingRequest,
        AntiPhishingView
    ))
)]
pub(crate) struct LoginDoc;
