//! OpenAPI stubs for the token routes (mirroring `routes.rs`).

#![allow(dead_code)]

use utoipa::OpenApi;

use super::wire::*;
use crate::error::ErrorBody;

#[utoipa::path(post, path = "/v1/tokens/assess", request_body = TokenAssessRequest, security(("bearer" = [])),
    responses((status = 200, body = TokenAssessmentView), (status = 400, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
fn assess() {}

#[utoipa::path(post, path = "/v1/tokens/scans", request_body = TokenScanRequest, security(("bearer" = [])),
    responses((status = 202, body = TokenScanTicketView), (status = 400, body = ErrorBody)))]
fn submit_scan() {}

#[utoipa::path(get, path = "/v1/tokens/scans/{id}", security(("bearer" = [])),
    params(("id" = u64, Path, description = "The scan's id")),
    responses((status = 200, body = TokenScanView), (status = 404, body = ErrorBody)))]
fn scan_status() {}

#[derive(OpenApi)]
#[openapi(
    paths(assess, submit_scan, scan_status),
    components(schemas(
        TokenAssessRequest,
        TokenHolderWire,
        TokenLockWire,
        TokenDeploymentWire,
        TokenArgWire,
        TokenSimulationWire,
        TokenAssessmentView,
        TokenReasonView,
        TokenBytecodeView,
        TokenSimulationView,
        TokenTradeView,
        TokenHoldersView,
        TokenScanRequest,
        TokenForkWire,
        TokenScanTicketView,
        TokenScanView
    ))
)]
pub(crate) struct TokenDoc;
