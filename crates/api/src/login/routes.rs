//! The login defence's handlers: parse the wire, call the use case, map the outcome.

use std::time::Instant;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{post, put};
use axum::{Json, Router};
use custodia_chain::{Address, Chain};
use custodia_events::Timestamp;
use custodia_login::{
    Decision, LoginInput, LoginRepo, LoginServiceError, MAX_RECENT, SecurityChange,
    WithdrawDecision, WithdrawalRequest, sample_email,
};

use super::state::LoginPart;
use super::wire::*;
use crate::auth::{Operator, ServiceOrAdmin};
use crate::error::ApiError;
use crate::extract::{ApiJson, parse_user, path_error};

/// The login defence's routes.
pub fn routes<R: LoginRepo + 'static>(state: LoginPart<R>) -> Router {
    Router::new()
        .route("/v1/login/assess", post(assess::<R>))
        .route("/v1/login/withdrawals/screen", post(screen::<R>))
        .route("/v1/login/security-changes", post(security_change::<R>))
        .route("/v1/login/allowlist", post(allowlist::<R>))
        .route(
            "/v1/users/{user}/anti-phishing",
            put(set_anti_phishing::<R>).get(get_anti_phishing::<R>),
        )
        .with_state(state)
}

fn service_error(e: LoginServiceError) -> ApiError {
    match e {
        LoginServiceError::Input(e) => {
            let code = match &e {
                custodia_login::InputError::User => "invalid_user_id",
                custodia_login::InputError::Ip { .. } => "invalid_ip",
                custodia_login::InputError::Device => "invalid_device_id",
                custodia_login::InputError::UserAgent { .. } => "invalid_user_agent",
                custodia_login::InputError::Outcome { .. } => "invalid_outcome",
                custodia_login::InputError::ClockSkew { .. } => "clock_skew",
            };
            ApiError::bad_request(code, e.to_string())
        }
        LoginServiceError::AntiPhishingCode => {
            ApiError::bad_request("invalid_anti_phishing_code", e.to_string())
        }
        LoginServiceError::Asset { .. } => ApiError::bad_request("invalid_asset", e.to_string()),
        LoginServiceError::TooManyRecent { .. } => {
            ApiError::bad_request("batch_too_large", e.to_string())
        }
        LoginServiceError::Repo(e) => e.into(),
        e @ LoginServiceError::Sealed { .. } => ApiError::internal(e.to_string()),
    }
}

async fn assess<R: LoginRepo + 'static>(
    State(st): State<LoginPart<R>>,
    _op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<AssessRequest>,
) -> Result<Json<AssessResponse>, ApiError> {
    let started = Instant::now();
    let svc = &st.service;
    let at = req
        .time
        .as_deref()
        .map(|t| {
            Timestamp::parse_iso8601_millis(t).map_err(|_| {
                ApiError::bad_request(
                    "invalid_time",
                    "time must be ISO 8601 UTC with milliseconds, e.g. 2026-01-01T00:00:00.000Z",
                )
            })
        })
        .transpose()?;
    let input = LoginInput::parse(
        &req.user,
        at,
        &req.ip,
        &req.device_id,
        &req.user_agent,
        &req.outcome,
        svc.now(),
        svc.settings().max_skew_ms,
    )
    .map_err(|e| service_error(e.into()))?;
    let a = svc
        .assess(&st.recorder, &input)
        .await
        .map_err(service_error)?;
    st.metrics
        .logins
        .with_label_values(&[input.outcome.as_str(), a.decision.as_str()])
        .inc();
    st.metrics
        .assess_seconds
        .observe(started.elapsed().as_secs_f64());
    if a.decision != Decision::Allow {
        tracing::info!(user = %input.user, decision = %a.decision, score = a.score,
            reason = a.reasons.first().map_or("", |r| r.code), "login refused or stepped up");
    }
    Ok(Json(AssessResponse {
        decision: a.decision.as_str(),
        score: a.score,
        reasons: a
            .reasons
            .into_iter()
            .map(|r| ReasonView {
                code: r.code,
                level: r.level.as_str(),
                detail: r.detail,
            })
            .collect(),
    }))
}

async fn screen<R: LoginRepo + 'static>(
    State(st): State<LoginPart<R>>,
    _op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<ScreenWithdrawal>,
) -> Result<Json<WithdrawalVerdictView>, ApiError> {
    let user = parse_user(&req.user)?;
    let amount: u128 = req.amount.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_amount",
            "amount must be a whole number of the asset's smallest unit",
        )
    })?;
    let chain = req
        .chain
        .as_deref()
        .map(|c| {
            Chain::from_name(c).map_err(|e| ApiError::bad_request("invalid_chain", e.to_string()))
        })
        .transpose()?;
    let parse = |s: &str| match chain {
        Some(c) => Address::parse(c, s),
        None => Address::parse_any(s),
    };
    let destination = parse(req.destination.trim())
        .map_err(|e| ApiError::bad_request("invalid_address", format!("destination: {e}")))?;
    if req.recent.len() > MAX_RECENT {
        return Err(service_error(LoginServiceError::TooManyRecent {
            max: MAX_RECENT,
            got: req.recent.len(),
        }));
    }
    let recent = req
        .recent
        .iter()
        .enumerate()
        .map(|(i, s)| {
            parse(s.trim())
                .map_err(|e| ApiError::bad_request("invalid_address", format!("recent[{i}]: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let v = st
        .service
        .screen_withdrawal(&WithdrawalRequest {
            user,
            at: st.service.now(),
            asset: req.asset,
            amount,
            usd_cents: req.usd_cents,
            destination,
            recent,
        })
        .await
        .map_err(service_error)?;
    let (decision, hold_until) = match v.decision {
        WithdrawDecision::Allow => ("allow", None),
        WithdrawDecision::Hold { until } => ("hold", Some(until.to_iso8601_millis())),
        WithdrawDecision::Block => ("block", None),
    };
    st.metrics.withdrawals.with_label_values(&[decision]).inc();
    Ok(Json(WithdrawalVerdictView {
        decision,
        hold_until,
        reasons: v
            .reasons
            .into_iter()
            .map(|r| WithdrawReasonView {
                code: r.code,
                detail: r.detail,
            })
            .collect(),
    }))
}

async fn security_change<R: LoginRepo + 'static>(
    State(st): State<LoginPart<R>>,
    _op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<SecurityChangeRequest>,
) -> Result<StatusCode, ApiError> {
    let user = parse_user(&req.user)?;
    let change = SecurityChange::parse(&req.change)
        .filter(|c| *c != SecurityChange::NewDeviceLogin)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_change",
                "change must be password_reset, new_second_factor, phone_change or email_change",
            )
        })?;
    st.service
        .security_change(&user, change)
        .await
        .map_err(service_error)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn allowlist<R: LoginRepo + 'static>(
    State(st): State<LoginPart<R>>,
    _op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<AllowlistRequest>,
) -> Result<StatusCode, ApiError> {
    let user = parse_user(&req.user)?;
    let address = Address::parse_any(req.address.trim())
        .map_err(|e| ApiError::bad_request("invalid_address", e.to_string()))?;
    st.service
        .repo()
        .allowlist(
            &user,
            &address.canonical(),
            st.service.now(),
            req.allowlist_only,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_anti_phishing<R: LoginRepo + 'static>(
    State(st): State<LoginPart<R>>,
    _op: Operator<ServiceOrAdmin>,
    user: Result<Path<String>, PathRejection>,
    ApiJson(req): ApiJson<AntiPhishingRequest>,
) -> Result<StatusCode, ApiError> {
    let user = parse_user(&user.map_err(path_error)?.0)?;
    st.service
        .set_anti_phishing(&*st.sealer, &user, &req.code)
        .await
        .map_err(service_error)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_anti_phishing<R: LoginRepo + 'static>(
    State(st): State<LoginPart<R>>,
    _op: Operator<ServiceOrAdmin>,
    user: Result<Path<String>, PathRejection>,
) -> Result<Json<AntiPhishingView>, ApiError> {
    let user = parse_user(&user.map_err(path_error)?.0)?;
    let Some(code) = st
        .service
        .anti_phishing(&*st.sealer, &user)
        .await
        .map_err(service_error)?
    else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "anti_phishing_not_set",
            "this user has no anti-phishing code",
        ));
    };
    let sample = sample_email(
        &code,
        "New login to your account",
        "We noticed a new login to your account. If it was you, nothing needs to be done.",
    );
    Ok(Json(AntiPhishingView {
        code,
        sample_email: sample,
    }))
}
