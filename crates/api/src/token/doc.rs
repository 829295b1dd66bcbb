//! OpenAPI stubs for the token routes (mirroring `routes.rs`).

#![allow(dead_code)]

use utoipa::OpenApi;

use super::wire::*;
use crate::error::ErrorBody;

#[utoipa::path(post, path = "/v1/tokens/assess", request_body = TokenAssessRequest, security(("bearer" = [])),
    responses((status = 200, body = TokenAssessmentView), (status = 400, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
fn assess() {}

#[derive(OpenApi)]
#[openapi(
    paths(assess),
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
        TokenHoldersView
    ))
)]
pub(crate) struct TokenDoc;
