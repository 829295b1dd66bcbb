//! User protection's handlers: parse the wire, call the use case, map the outcome. No route
//! ends or shortens a cooling-off: `DELETE` on it is answered 405 like any unknown method.

use std::time::Instant;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use custodia_events::{RepoError, Timestamp};
use custodia_keys::Role;
use custodia_protect::{
    AddressStatus, Case, CaseAction, CaseId, CaseOutcome, CaseState, OrderInput, Outcome,
    ProtectError, ProtectRepo, TransferInput,
};

use super::state::ProtectPart;
use super::wire::*;
use crate::auth::{AdminOnly, Allowed, AuditorOrAdmin, Operator, ServiceOrAdmin};
use crate::error::ApiError;
use crate::extract::{ApiJson, parse_user, path_error, query};

/// The order path: the gateway, the exchange's back ends, admins.
pub struct OrderPath;

impl Allowed for OrderPath {
    const ROLES: &'static [Role] = &[Role::Gateway, Role::Service, Role::Admin];
}

/// User protection's routes.
pub fn routes<R: ProtectRepo + 'static>(state: ProtectPart<R>) -> Router {
    Router::new()
        .route("/v1/protect/orders/check", post(check::<R>))
        .route(
            "/v1/protect/users/{user}/cooling-off",
            put(start_cooling::<R>).get(get_cooling::<R>),
        )
        .route("/v1/protect/users/{user}/cases", get(user_cases::<R>))
        .route(
            "/v1/protect/accounts/{user}",
            put(register::<R>).get(account::<R>),
        )
        .route(
            "/v1/protect/accounts/{user}/knowledge-check",
            post(knowledge::<R>),
        )
        .route("/v1/protect/deposit-addresses", put(deposit_address::<R>))
        .route("/v1/protect/deposits/diagnose", post(diagnose::<R>))
        .route(
            "/v1/protect/cases",
            post(open_case::<R>).get(list_cases::<R>),
        )
        .route("/v1/protect/cases/{id}", get(get_case::<R>))
        .route("/v1/protect/cases/{id}/actions", post(act::<R>))
        .with_state(state)
}

fn service_error(e: ProtectError) -> ApiError {
    use ProtectError as E;
    let e = match e {
        E::Repo(r) => return r.into(),
        e => e,
    };
    let code = match &e {
        E::User { .. } => "invalid_user_id",
        E::Actor { .. } => "invalid_actor",
        E::Word {
            field: "channel", ..
        } => "invalid_channel",
        E::Word {
            field: "product", ..
        } => "invalid_product",
        E::Word { field: "side", .. } => "invalid_side",
        E::Word { .. } => "invalid_pos_side",
        E::Instrument { .. } => "invalid_instrument",
        E::Number {
            field: "leverage", ..
        } => "invalid_leverage",
        E::Number { field: "size", .. } => "invalid_size",
        E::Number {
            field: "amount", ..
        } => "invalid_amount",
        E::Number { .. } | E::Position { .. } => "invalid_position",
        E::CoolingDays { .. } => "invalid_cooling_off_days",
        E::Future { .. } => "invalid_time",
        E::UnknownNetwork { .. } => "unknown_network",
        E::Address { .. } => "invalid_address",
        E::Memo { .. } => "invalid_memo",
        E::TxHash { .. } => "invalid_tx_hash",
        E::CaseId { .. } => "invalid_case_id",
        E::Note { .. } => "invalid_note",
        E::Registry { .. } | E::Fees { .. } => return ApiError::internal(e.to_string()),
        E::CoolingWouldShorten { .. } => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "cooling_off_cannot_shorten",
                e.to_string(),
            );
        }
        E::AccountOpened { .. } => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "account_opened_differs",
                e.to_string(),
            );
        }
        E::CreditsAutomatically { .. } => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "credited_automatically",
                e.to_string(),
            );
        }
        E::NotRecoverable { .. } => {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_recoverable",
                e.to_string(),
            );
        }
        E::CaseExists { .. } => {
            return ApiError::new(StatusCode::CONFLICT, "case_exists", e.to_string());
        }
        E::CaseNotFound { .. } => {
            return ApiError::new(StatusCode::NOT_FOUND, "case_not_found", e.to_string());
        }
        E::IllegalTransition { .. } => {
            return ApiError::new(StatusCode::CONFLICT, "illegal_transition", e.to_string());
        }
        E::SameActor { .. } => {
            return ApiError::new(StatusCode::FORBIDDEN, "four_eyes", e.to_string());
        }
        E::CaseChanged { .. } => {
            return ApiError::new(StatusCode::CONFLICT, "case_changed", e.to_string());
        }
        E::Repo(_) => return ApiError::internal(e.to_string()),
    };
    ApiError::bad_request(code, e.to_string())
}

fn ts(t: Timestamp) -> String {
    t.to_iso8601_millis()
}

async fn check<R: ProtectRepo + 'static>(
    State(st): State<ProtectPart<R>>,
    _op: Operator<OrderPath>,
    ApiJson(req): ApiJson<OrderCheckRequest>,
) -> Result<Json<OrderCheckResponse>, ApiError> {
    let started = Instant::now();
    let input = OrderInput {
        user: req.user,
        channel: req.channel,
        product: req.product,
        instrument: req.instrument,
        side: req.side,
        pos_side: req.pos_side,
        size: req.size,
        reduce_only: req.reduce_only,
        position: req.position,
        leverage: req.leverage,
        position_usd_cents: req.position_usd_cents,
        order_usd_cents: req.order_usd_cents,
    };
    let (order, d) = match st.service.check_order(&st.recorder, &input).await {
        Ok(v) => v,
        // Fail closed, and say so: the order path must treat anything but `allow` as a refusal.
        Err(ProtectError::Repo(e @ RepoError::Unavailable { .. })) => {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the protection store does not answer: deny the order",
            )
            .with_detail(e.to_string()));
        }
        Err(e) => return Err(service_error(e)),
    };
    let decision = if d.allowed() { "allow" } else { "deny" };
    st.metrics
        .orders
        .with_label_values(&[order.channel.as_str(), decision])
        .inc();
    st.metrics
        .check_seconds
        .observe(started.elapsed().as_secs_f64());
    Ok(Json(OrderCheckResponse {
        decision,
        effect: d.effect.as_str(),
        reasons: d
            .reasons
            .iter()
            .map(|r| DenyView {
                code: r.code(),
                detail: r.detail(),
            })
            .collect(),
        protected_account: d.protected_account,
    }))
}

fn cooling_view<R: ProtectRepo>(
    st: &ProtectPart<R>,
    c: Option<custodia_protect::CoolingOff>,
) -> CoolingOffView {
    let now = st.service.now();
    let c = c.filter(|c| c.active_at(now));
    CoolingOffView {
        active: c.is_some(),
        started_at: c.map(|c| ts(c.started_at)),
        until: c.map(|c| ts(c.until)),
        choices_days: st.service.settings().cooling.days().to_vec(),
    }
}

async fn start_cooling<R: ProtectRepo + 'static>(
    State(st): State<ProtectPart<R>>,
    op: Operator<ServiceOrAdmin>,
    user: Result<Path<String>, PathRejection>,
    ApiJson(req): ApiJson<CoolingOffRequest>,
) -> Result<Json<CoolingOffView>, ApiError> {
    let user = parse_user(&user.map_err(path_error)?.0)?;
    let c = st
        .service
        .start_cooling_off(&user, req.days, &op.actor())
        .await
        .map_err(service_error)?;
    tracing::info!(user = %user, until = %c.until, "cooling-off started or extended");
    Ok(Json(cooling_view(&st, Some(c))))
}

async fn get_cooling<R: ProtectRepo + 'static>(
    State(st): State<ProtectPart<R>>,
    _op: Operator<ServiceOrAdmin>,
    user: Result<Path<String>, PathRejection>,
) -> Result<Json<CoolingOffView>, ApiError> {
    let user = parse_user(&user.map_err(path_error)?.0)?;
    let c = st.service.cooling_off(&user).await.map_err(service_error)?;
    Ok(Json(cooling_view(&st, c)))
}

async fn register<R: ProtectRepo + 'static>(
    State(st): State<ProtectPart<R>>,
    op: Operator<ServiceOrAdmin>,
    user: Result<Path<String>, PathRejection>,
    ApiJson(req): ApiJson<AccountRequest>,
) -> Result<Json<AccountView>, ApiError> {
    let user = parse_user(&user.map_err(path_error)?.0)?;
    let opened = Timestamp::parse_iso8601_millis(&req.opened_at).map_err(|_| {
        ApiError::bad_request(
            "invalid_time",
            "opened_at must be ISO 8601 UTC with milliseconds, e.g. 2026-01-01T00:00:00.000Z",
        )
    })?;
    st.service
        .register_account(&user, opened, &op.actor())
        .await
        .map_err(service_error)?;
    account_view(&st, &user).await.map(Json)
}

async fn account_view<R: ProtectRepo + 'static>(
    st: &ProtectPart<R>,
    user: &custodia_primitives::AccountId,
) -> Result<AccountView, ApiError> {
    let a = st.service.account(user).await.map_err(service_error)?;
    Ok(AccountView {
        opened_at: a.opened_at.map(ts),
        knowledge_check_at: a.knowledge_at.map(ts),
        protected_account: st.service.is_protected(&a),
        cooling_off: cooling_view(st, a.cooling),
    })
}

async fn account<R: ProtectRepo + 'static>(
    State(st): State<ProtectPart<R>>,
    _op: Operator<ServiceOrAdmin>,
    user: Result<Path<String>, PathRejection>,
) -> Result<Json<AccountView>, ApiError> {
    let user = parse_user(&user.map_err(path_error)?.0)?;
    account_view(&st, &user).await.map(Json)
}

async fn knowledge<R: ProtectRepo + 'static>(
    State(st): State<ProtectPart<R>>,
    op: Operator<ServiceOrAdmin>,
    user: Result<Path<String>, PathRejection>,
) -> Result<Json<AccountView>, ApiError> {
    let user = parse_user(&user.map_err(path_error)?.0)?;
    st.service
        .pass_knowledge_check(&user, &op.actor())
        .await
        .map_err(service_error)?;
    account_view(&st, &user).await.map(Json)
}

async fn deposit_address<R: ProtectRepo + 'static>(
    State(st): State<ProtectPart<R>>,
    op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<DepositAddressRequest>,
) -> Result<Json<DepositAddressView>, ApiError> {
    let user = parse_user(&req.user)?;
    let status = match req.status.as_deref() {
        None | Some("active") => AddressStatus::Active,
        Some("retired") => AddressStatus::Retired,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_status",
                "status must be `active` or `retired`",
            ));
        }
    };
    let e = st
        .service
        .set_deposit_address(
            &user,
            &req.network,
            &req.address,
            req.memo.as_deref(),
            status,
            &op.actor(),
        )
        .await
        .map_err(service_error)?;
    Ok(Json(DepositAddressView {
        key: e.key.0,
        memo: e.memo,
        user: e.user.as_str().to_owned(),
        network: e.network,
        status: e.status.as_str(),
    }))
}

fn transfer(w: TransferWire) -> TransferInput {
    TransferInput {
        network: w.network,
        token: w.token,
        to: w.to,
        memo: w.memo,
        amount: w.amount,
        tx_hash: w.tx_hash,
        usd_cents: w.usd_cents,
    }
}

async fn diagnose<R: ProtectRepo + 'static>(
    State(st): State<ProtectPart<R>>,
    _op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<DiagnoseRequest>,
) -> Result<Json<DiagnosisView>, ApiError> {
    let claimant = req.claimant.as_deref().map(parse_user).transpose()?;
    let (_, d) = st
        .service
        .diagnose(&transfer(req.transfer), claimant.as_ref())
        .await
        .map_err(service_error)?;
    st.metrics
        .diagnoses
        .with_label_values(&[d.case.as_str()])
        .inc();
    let (user, fee_units, fee_usd_cents) = match &d.outcome {
        Outcome::Credit { user } => (Some(user.as_str().to_owned()), None, None),
        Outcome::Recoverable {
            fee_units,
            fee_usd_cents,
            owner,
        } => (
            owner.as_ref().map(|o| o.as_str().to_owned()),
            Some(fee_units.to_string()),
            Some(*fee_usd_cents),
        ),
        Outcome::NotRecoverable => (None, None, None),
    };
    Ok(Json(DiagnosisView {
        case: d.case.as_str(),
        outcome: d.outcome.as_str(),
        reason: d.reason,
        asset: d.asset,
        user,
        fee_units,
        fee_usd_cents,
    }))
}

/// A case for operators (`full`) or for its user (no actors, no notes).
fn case_view(c: Case, full: bool) -> CaseView {
    let (outcome, return_tx_hash, net_units, rejection) = match c.outcome {
        Some(CaseOutcome::Recovered {
            tx_hash, net_units, ..
        }) => (Some("recovered"), Some(tx_hash), Some(net_units), None),
        Some(CaseOutcome::Credited { net_units, .. }) => {
            (Some("credited"), None, Some(net_units), None)
        }
        Some(CaseOutcome::Rejected { reason }) => (Some("rejected"), None, None, Some(reason)),
        None => (None, None, None, None),
    };
    CaseView {
        id: c.id.to_string(),
        user: c.user.as_str().to_owned(),
        kind: c.kind.as_str(),
        state: c.state.as_str(),
        network: c.network,
        tx_hash: c.tx_hash,
        asset: c.asset,
        amount: c.amount.to_string(),
        fee_units: c.fee_units.to_string(),
        fee_usd_cents: c.fee_usd_cents,
        reason: c.reason,
        outcome,
        return_tx_hash,
        net_units,
        rejection,
        history: c
            .history
            .into_iter()
            .map(|t| TransitionView {
                from: t.from.map(CaseState::as_str),
                to: t.to.as_str(),
                actor: full.then_some(t.actor),
                at: ts(t.at),
                note: if full { t.note } else { None },
            })
            .collect(),
    }
}

async fn open_case<R: ProtectRepo + 'static>(
    State(st): State<ProtectPart<R>>,
    op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<OpenCaseRequest>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let user = parse_user(&req.user)?;
    let c = st
        .service
        .open_case(&transfer(req.transfer), &user, &op.actor())
        .await
        .map_err(service_error)?;
    Ok((StatusCode::CREATED, Json(case_view(c, true))))
}

fn case_id(p: Result<Path<String>, PathRejection>) -> Result<CaseId, ApiError> {
    CaseId::parse(&p.map_err(path_error)?.0).map_err(service_error)
}

async fn get_case<R: ProtectRepo + 'static>(
    State(st): State<ProtectPart<R>>,
    _op: Operator<AuditorOrAdmin>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<CaseView>, ApiError> {
    let id = case_id(id)?;
    let c = st.service.case(&id).await.map_err(service_error)?;
    Ok(Json(case_view(c, true)))
}

async fn list_cases<R: ProtectRepo + 'static>(
    State(st): State<ProtectPart<R>>,
    _op: Operator<AuditorOrAdmin>,
    q: Result<Query<CaseQuery>, QueryRejection>,
) -> Result<Json<CasePage>, ApiError> {
    let q = query(q)?;
    let state = q
        .state
        .as_deref()
        .map(|s| {
            CaseState::parse(s).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_state",
                    "state must be opened, ownership_verified, approved, recovered, credited or rejected",
                )
            })
        })
        .transpose()?;
    let after = q
        .after
        .as_deref()
        .map(CaseId::parse)
        .transpose()
        .map_err(service_error)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_limit",
            "limit must be 1–500",
        ));
    }
    let cases = st
        .service
        .cases(state, after.as_ref(), limit)
        .await
        .map_err(service_error)?;
    let next = (cases.len() == limit as usize)
        .then(|| cases.last().map(|c| c.id.to_string()))
        .flatten();
    Ok(Json(CasePage {
        cases: cases.into_iter().map(|c| case_view(c, true)).collect(),
        next,
    }))
}

async fn user_cases<R: ProtectRepo + 'static>(
    State(st): State<ProtectPart<R>>,
    _op: Operator<ServiceOrAdmin>,
    user: Result<Path<String>, PathRejection>,
) -> Result<Json<CasePage>, ApiError> {
    let user = parse_user(&user.map_err(path_error)?.0)?;
    let cases = st
        .service
        .cases_of(&user, 100)
        .await
        .map_err(service_error)?;
    Ok(Json(CasePage {
        cases: cases.into_iter().map(|c| case_view(c, false)).collect(),
        next: None,
    }))
}

async fn act<R: ProtectRepo + 'static>(
    State(st): State<ProtectPart<R>>,
    op: Operator<AdminOnly>,
    id: Result<Path<String>, PathRejection>,
    ApiJson(req): ApiJson<CaseActionRequest>,
) -> Result<Json<CaseView>, ApiError> {
    let id = case_id(id)?;
    let missing =
        |f: &str| ApiError::bad_request("invalid_action", format!("`{}` needs `{f}`", req.action));
    let action = match req.action.as_str() {
        "verify_ownership" => CaseAction::VerifyOwnership,
        "approve" => CaseAction::Approve,
        "recover" => CaseAction::Recover {
            tx_hash: req.tx_hash.clone().ok_or_else(|| missing("tx_hash"))?,
        },
        "credit" => CaseAction::Credit,
        "reject" => CaseAction::Reject {
            reason: req.reason.clone().ok_or_else(|| missing("reason"))?,
        },
        _ => {
            return Err(ApiError::bad_request(
                "invalid_action",
                "action must be verify_ownership, approve, recover, credit or reject",
            ));
        }
    };
    let c = st
        .service
        .act(&id, &action, &op.actor(), req.note.as_deref())
        .await
        .map_err(service_error)?;
    tracing::info!(case = %c.id, state = %c.state, "recovery case moved");
    Ok(Json(case_view(c, true)))
}
