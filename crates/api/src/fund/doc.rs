//! OpenAPI stubs for the fund routes (mirroring `routes.rs`).

#![allow(dead_code)]

use utoipa::OpenApi;

use super::wire::*;
use crate::error::ErrorBody;

#[utoipa::path(get, path = "/api/v5/public/insurance-fund", params(InsuranceFundQuery),
    responses((status = 200, body = InsuranceFundResponse), (status = 400, body = ErrorBody)))]
fn insurance_fund() {}

#[utoipa::path(get, path = "/v1/fund/pools", responses((status = 200, body = PoolsResponse)))]
fn pools() {}

#[utoipa::path(get, path = "/v1/fund/pools/{pool}/balances", params(("pool" = String, Path), BalancesQuery),
    responses((status = 200, body = BalancesResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
fn balances() {}

#[utoipa::path(post, path = "/v1/fund/liquidations", request_body = LiquidationsRequest, security(("bearer" = [])),
    responses((status = 200, body = OperationsResponse), (status = 400, body = ErrorBody)))]
fn liquidations() {}

#[utoipa::path(post, path = "/v1/fund/backlog", request_body = BacklogRequest, security(("bearer" = [])),
    responses((status = 201, body = OperationResult), (status = 200, body = OperationResult), (status = 400, body = ErrorBody)))]
fn backlog() {}

#[utoipa::path(post, path = "/v1/fund/adl/rank", request_body = RankRequest, security(("bearer" = [])),
    responses((status = 200, body = RankResponse), (status = 400, body = ErrorBody)))]
fn rank() {}

#[utoipa::path(post, path = "/v1/fund/top-ups", request_body = TopUpRequest, security(("bearer" = [])),
    responses((status = 201, body = OperationResult), (status = 200, body = OperationResult), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
fn top_up() {}

#[utoipa::path(post, path = "/v1/fund/transfers", request_body = TransferRequest, security(("bearer" = [])),
    responses((status = 201, body = OperationResult), (status = 200, body = OperationResult), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
fn transfer() {}

#[derive(OpenApi)]
#[openapi(
    paths(
        insurance_fund,
        pools,
        balances,
        liquidations,
        backlog,
        rank,
        top_up,
        transfer
    ),
    components(schemas(
        InsuranceFundResponse,
        InsuranceFundGroup,
        InsuranceFundDetail,
        PoolsResponse,
        PoolView,
        BalancesResponse,
        BalancePoint,
        ContractWire,
        PositionWire,
        LiquidationWire,
        LiquidationsRequest,
        OperationsResponse,
        OperationResult,
        SettledView,
        AdlView,
        DeleveragedView,
        TopUpRequest,
        TransferRequest,
        BacklogRequest,
        RankRequest,
        RankResponse,
        RankedView
    ))
)]
pub(crate) struct FundDoc;
