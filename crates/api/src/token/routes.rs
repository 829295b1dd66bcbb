//! The token service's handler: parse the wire, call the use case, map the assessment.

use std::time::Instant;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use custodia_events::WorkQueue;
use custodia_token::{
    Arg, Assessment, Deployment, ForkOrder, ForkSpec, Holder, Lock, ScanError, ScanRequest,
    SimConfig, SimReport, StaticReport, TokenError, TokenInput, TokenServiceError, Trade,
};

use super::state::TokenPart;
use super::wire::*;
use crate::auth::{Operator, ServiceOrAdmin};
use crate::error::ApiError;
use crate::extract::ApiJson;

/// The token service's routes.
pub fn routes<S: WorkQueue + 'static>(state: TokenPart<S>) -> Router {
    Router::new()
        .route("/v1/tokens/assess", post(assess::<S>))
        .route("/v1/tokens/scans", post(submit_scan::<S>))
        .route("/v1/tokens/scans/{id}", get(scan_status::<S>))
        .with_state(state)
}

/// Each way an input can be wrong has its own code, so a caller can tell a truncated
/// download (`truncated_push`) from a wrong field (`invalid_hex`, `invalid_input`).
fn token_error(e: TokenError) -> ApiError {
    let (status, code) = match &e {
        TokenError::BadHex { .. } | TokenError::OddHex { .. } => {
            (StatusCode::BAD_REQUEST, "invalid_hex")
        }
        TokenError::EmptyCode { .. } => (StatusCode::BAD_REQUEST, "empty_code"),
        TokenError::CodeTooLarge { .. } => (StatusCode::BAD_REQUEST, "code_too_large"),
        TokenError::BadInput { .. } => (StatusCode::BAD_REQUEST, "invalid_input"),
        TokenError::TruncatedPush { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "truncated_push"),
        TokenError::SimulationSetup { .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, "simulation_setup_failed")
        }
        TokenError::Fork { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "fork_failed"),
        TokenError::StateUnavailable { .. } => {
            (StatusCode::SERVICE_UNAVAILABLE, "chain_unavailable")
        }
    };
    ApiError::new(status, code, e.to_string())
}

fn service_error(e: TokenServiceError) -> ApiError {
    match e {
        TokenServiceError::Input(e) => token_error(e),
        e @ TokenServiceError::Offload(_) => ApiError::internal(e.to_string()),
    }
}

/// A domain enum's stable snake_case name (its serde name, the one events carry too).
fn code_name<T: serde::Serialize>(t: &T) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn holder(h: TokenHolderWire) -> Holder {
    Holder {
        address: h.address,
        balance: h.balance,
        is_contract: h.is_contract,
        is_pool: h.is_pool,
        locks: h
            .locks
            .into_iter()
            .map(|l| Lock {
                amount: l.amount,
                unlock_time: l.unlock_time,
            })
            .collect(),
    }
}

fn input<S>(
    req: TokenAssessRequest,
    st: &TokenPart<S>,
    fork: bool,
) -> Result<TokenInput, ApiError> {
    let d = SimConfig::default();
    let s = req.simulation;
    let pick = |f: fn(&TokenSimulationWire) -> Option<u64>, dflt: u64| {
        s.as_ref().and_then(f).unwrap_or(dflt)
    };
    let simulation = SimConfig {
        gas_per_tx: pick(|s| s.gas_per_tx, d.gas_per_tx),
        // The whole simulation's gas is the server's bound on its CPU time, not the caller's.
        gas_per_simulation: d.gas_per_simulation,
        wait_seconds: pick(|s| s.wait_seconds, d.wait_seconds),
        later_blocks: pick(|s| s.later_blocks, d.later_blocks),
        buy_permille: pick(|s| s.buy_permille, d.buy_permille),
    };
    if simulation.gas_per_tx > st.config.max_gas_per_tx {
        return Err(ApiError::bad_request(
            "invalid_input",
            format!(
                "simulation.gas_per_tx: {} asked, at most {} allowed here",
                simulation.gas_per_tx, st.config.max_gas_per_tx
            ),
        ));
    }
    let deploy = if st.config.simulate && !fork {
        req.deploy
            .into_iter()
            .map(|d| Deployment {
                creation_code: d.creation_code,
                args: d
                    .args
                    .into_iter()
                    .map(|a| match a {
                        TokenArgWire::Address(s) => Arg::Address(s),
                        TokenArgWire::Uint(s) => Arg::Uint(s),
                        TokenArgWire::Deployed(i) => Arg::Deployed(i),
                        TokenArgWire::Deployer => Arg::Deployer,
                        TokenArgWire::Bytes(s) => Arg::Bytes(s),
                    })
                    .collect(),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(TokenInput {
        chain: req.chain,
        address: req.address,
        runtime_code: req.runtime_code,
        implementation_code: req.implementation_code,
        abi: req.abi,
        verified_source: req.verified_source,
        total_supply: req.total_supply,
        holder_count: req.holder_count,
        holders: req.holders.into_iter().map(holder).collect(),
        lp_total_supply: req.lp_total_supply,
        lp_holders: req.lp_holders.into_iter().map(holder).collect(),
        creator: req.creator,
        owner: req.owner,
        deploy,
        simulation,
    })
}

fn bytecode(r: StaticReport) -> TokenBytecodeView {
    TokenBytecodeView {
        size: r.size,
        proxy: r.is_proxy(),
        capabilities: r.capabilities.iter().map(code_name).collect(),
        selectors: r.selectors,
        functions: r.functions,
        erc20: r.erc20,
        selfdestruct: r.selfdestruct,
        delegatecall: r.delegatecall,
        external_call_in_transfer: r.external_call_in_transfer,
        time_in_transfer: r.time_in_transfer,
        hidden_owner_slots: r.privileges.hidden_slots,
        owner_writers: r.privileges.owner_writers,
    }
}

fn trade(t: Trade) -> TokenTradeView {
    TokenTradeView {
        ok: t.ok,
        tax_bps: t.tax_bps,
        gas: t.gas,
    }
}

fn simulation(s: SimReport) -> TokenSimulationView {
    TokenSimulationView {
        buy: trade(s.buy),
        sell: trade(s.sell),
        sell_after_wait: s.sell_after_wait.map(trade),
        transfer: trade(s.transfer),
        late_buy: trade(s.late_buy),
        late_sell: trade(s.late_sell),
        phantom_balance: s.phantom_balance,
        owner: s.owner,
        name: s.name,
        symbol: s.symbol,
        total_gas: s.total_gas,
    }
}

fn view(a: Assessment, flag_at: u8) -> TokenAssessmentView {
    let h = &a.holders;
    TokenAssessmentView {
        flagged: a.score >= flag_at,
        is_honeypot: a.is_honeypot(),
        level: a.level.as_str(),
        score: a.score,
        reasons: a
            .reasons
            .iter()
            .map(|r| TokenReasonView {
                code: code_name(&r.code),
                points: r.points,
                detail: r.text.clone(),
            })
            .collect(),
        holders: TokenHoldersView {
            holder_count: h.holder_count,
            top10_bps: h.top10_bps,
            top1_bps: h.top1_bps,
            owner_bps: h.owner_bps,
            creator_bps: h.creator_bps,
            lp_locked_bps: h.lp_locked_bps,
            lp_unlock_time: h.lp_unlock_time,
        },
        chain: a.chain,
        address: a.address,
        goplus: a.goplus,
        bytecode: bytecode(a.static_report),
        implementation: a.implementation.map(bytecode),
        simulation: a.simulation.map(simulation),
        simulation_error: a.simulation_error,
    }
}

async fn assess<S: WorkQueue>(
    State(st): State<TokenPart<S>>,
    op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<TokenAssessRequest>,
) -> Result<Json<TokenAssessmentView>, ApiError> {
    let started = Instant::now();
    let input = input(req, &st, false)?;
    let a = st
        .service
        .assess(input, &op.actor())
        .await
        .map_err(service_error)?;
    st.metrics
        .assessed
        .with_label_values(&[
            a.level.as_str(),
            if a.simulation.is_some() { "yes" } else { "no" },
        ])
        .inc();
    st.metrics
        .assess_seconds
        .observe(started.elapsed().as_secs_f64());
    if a.score >= st.config.flag_at {
        tracing::info!(chain = %a.chain, address = %a.address, score = a.score,
            reason = a.reasons.first().map_or(String::new(), |r| code_name(&r.code)),
            "token flagged");
    }
    Ok(Json(view(a, st.config.flag_at)))
}

fn scan_error(e: ScanError) -> ApiError {
    match e {
        ScanError::Input(e) => token_error(e),
        ScanError::Queue(e) => e.into(),
    }
}

/// Queues a scan; workers run it (`[token] workers`, or `custodia token work` elsewhere).
async fn submit_scan<S: WorkQueue>(
    State(st): State<TokenPart<S>>,
    _op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<TokenScanRequest>,
) -> Result<(StatusCode, Json<TokenScanTicketView>), ApiError> {
    let fork = req.fork.map(|f| ForkOrder {
        block: f.block,
        spec: ForkSpec {
            pair: f.pair,
            router: f.router,
        },
    });
    if fork.is_none() && !st.config.simulate && !req.token.deploy.is_empty() {
        tracing::debug!("[token] simulate = false: the scan's creation code is ignored");
    }
    let input = input(req.token, &st, fork.is_some())?;
    let t = st
        .scans
        .submit(&ScanRequest { input, fork })
        .await
        .map_err(scan_error)?;
    st.metrics.scans_submitted.inc();
    Ok((
        StatusCode::ACCEPTED,
        Json(TokenScanTicketView {
            id: t.id,
            created: t.created,
            status_url: format!("/v1/tokens/scans/{}", t.id),
        }),
    ))
}

async fn scan_status<S: WorkQueue>(
    State(st): State<TokenPart<S>>,
    _op: Operator<ServiceOrAdmin>,
    id: Result<Path<u64>, PathRejection>,
) -> Result<Json<TokenScanView>, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::bad_request("invalid_id", e.body_text()))?;
    let s = st
        .scans
        .status(id)
        .await
        .map_err(scan_error)?
        .ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no scan {id}"))
        })?;
    Ok(Json(TokenScanView {
        id: s.id,
        state: s.state,
        attempts: s.attempts,
        max_attempts: s.max_attempts,
        error: s.error,
        assessment: s.assessment.map(|a| view(a, st.config.flag_at)),
    }))
}
