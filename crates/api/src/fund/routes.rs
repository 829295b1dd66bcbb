//! The fund's handlers: parse the wire, call the use case, map the outcome.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use custodia_events::Timestamp;
use custodia_fund::{
    BusinessLine, Contract, ContractKind, EntryKind, FundError, FundRepo, JournalQuery, OpKey,
    Operation, Outcome, PoolId, PoolSpec, Position, PositionId, Price, Request, Side, Submitted,
};
use custodia_primitives::{AccountId, Amount};

use super::state::FundPart;
use super::wire::*;
use crate::auth::{AdminOnly, Operator, ServiceOrAdmin};
use crate::error::ApiError;
use crate::extract::{ApiJson, path_error, query};

/// The fund's routes.
pub fn routes<R: FundRepo + 'static>(state: FundPart<R>) -> Router {
    Router::new()
        .route("/api/v5/public/insurance-fund", get(insurance_fund::<R>))
        .route("/v1/fund/pools", get(pools::<R>))
        .route("/v1/fund/pools/{pool}/balances", get(balances::<R>))
        .route("/v1/fund/liquidations", post(liquidations::<R>))
        .route("/v1/fund/backlog", post(backlog::<R>))
        .route("/v1/fund/adl/rank", post(rank::<R>))
        .route("/v1/fund/top-ups", post(top_up::<R>))
        .route("/v1/fund/transfers", post(transfer::<R>))
        .with_state(state)
}

/// A refusal's stable code, with the status it gets as a whole response.
fn code(e: &FundError) -> (StatusCode, &'static str) {
    use FundError::*;
    match e {
        InvalidPool { .. } => (StatusCode::BAD_REQUEST, "invalid_pool"),
        UnknownPool { .. } => (StatusCode::NOT_FOUND, "unknown_pool"),
        NotPositive { .. } => (StatusCode::BAD_REQUEST, "not_positive"),
        OutOfRange { .. } => (StatusCode::BAD_REQUEST, "out_of_range"),
        Overflow { .. } => (StatusCode::BAD_REQUEST, "overflow"),
        FeesExceedMargin { .. } => (StatusCode::BAD_REQUEST, "fees_exceed_margin"),
        NotLiquidatable { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "not_liquidatable"),
        SameSide { .. } => (StatusCode::BAD_REQUEST, "adl_candidate_same_side"),
        Insufficient { .. } => (StatusCode::CONFLICT, "insufficient_balance"),
        CurrencyMismatch { .. } => (StatusCode::BAD_REQUEST, "currency_mismatch"),
        SelfTransfer { .. } => (StatusCode::BAD_REQUEST, "self_transfer"),
        KeyReused { .. } => (StatusCode::CONFLICT, "key_reused"),
        InvalidId { .. } => (StatusCode::BAD_REQUEST, "invalid_id"),
        Storage(_) => (StatusCode::SERVICE_UNAVAILABLE, "storage"),
    }
}

fn fund_error(e: FundError) -> ApiError {
    match e {
        FundError::Storage(e) => e.into(),
        e => {
            let (status, c) = code(&e);
            ApiError::new(status, c, e.to_string())
        }
    }
}

fn bad(code: &'static str, msg: impl Into<String>) -> ApiError {
    ApiError::bad_request(code, msg)
}

fn spec<R: FundRepo>(st: &FundPart<R>, pool: &str) -> Result<PoolSpec, ApiError> {
    let id: PoolId = pool.parse().map_err(fund_error)?;
    st.service
        .settings()
        .pools
        .iter()
        .find(|p| p.id == id)
        .cloned()
        .ok_or_else(|| {
            fund_error(FundError::UnknownPool {
                pool: id.to_string(),
            })
        })
}

fn amount(field: &str, s: &str, decimals: u8) -> Result<Amount, ApiError> {
    Amount::parse(s, decimals).map_err(|e| bad("invalid_amount", format!("{field}: {e}")))
}

fn price(field: &'static str, s: &str, decimals: u8) -> Result<Price, ApiError> {
    let units =
        Amount::parse(s, decimals).map_err(|e| bad("invalid_price", format!("{field}: {e}")))?;
    Price::new(field, units.units()).map_err(fund_error)
}

/// An amount in smallest units as a decimal string.
pub(crate) fn decimal(a: u64, decimals: u8) -> String {
    Amount::new(a).map_or_else(|| a.to_string(), |a| a.to_decimal(decimals))
}

/// A signed amount in smallest units as a decimal string (the fund's balance changes); also the
/// console's fund panel.
pub(crate) fn signed(v: i64, decimals: u8) -> String {
    let abs = decimal(v.unsigned_abs(), decimals);
    if v < 0 { format!("-{abs}") } else { abs }
}

fn contract(w: &ContractWire, settle_decimals: u8) -> Result<Contract, ApiError> {
    let kind = match w.kind.as_str() {
        "linear" => ContractKind::Linear,
        "inverse" => ContractKind::Inverse,
        _ => {
            return Err(bad(
                "invalid_contract",
                "contract.kind must be linear or inverse",
            ));
        }
    };
    let scale = w.ct_val.split_once('.').map_or(0, |(_, f)| f.len());
    let scale = u8::try_from(scale)
        .ok()
        .filter(|s| *s <= 18)
        .ok_or_else(|| {
            bad(
                "invalid_contract",
                "contract.ct_val has more than 18 decimals",
            )
        })?;
    let ct_val = amount("contract.ct_val", &w.ct_val, scale)?;
    Contract::new(
        kind,
        ct_val.units(),
        scale,
        w.price_decimals,
        settle_decimals,
    )
    .map_err(fund_error)
}

fn position(w: &PositionWire, decimals: u8, price_decimals: u8) -> Result<Position, ApiError> {
    let side = match w.side.as_str() {
        "long" => Side::Long,
        "short" => Side::Short,
        _ => return Err(bad("invalid_side", "side must be long or short")),
    };
    if w.size <= 0 {
        return Err(fund_error(FundError::NotPositive {
            field: "size",
            got: w.size.into(),
        }));
    }
    Ok(Position {
        id: PositionId::new(w.id.clone()).map_err(fund_error)?,
        account: AccountId::new(w.account.clone())
            .map_err(|e| bad("invalid_account", e.to_string()))?,
        side,
        size: w.size as u64,
        entry: price("entry", &w.entry, price_decimals)?,
        margin: amount("margin", &w.margin, decimals)?,
        maintenance: amount("maintenance", &w.maintenance, decimals)?,
        fees: amount("fees", w.fees.as_deref().unwrap_or("0"), decimals)?,
    })
}

fn key(s: &str) -> Result<OpKey, ApiError> {
    OpKey::new(s).map_err(fund_error)
}

fn result_view(
    key: &str,
    r: Result<Submitted, FundError>,
    decimals: u8,
) -> Result<OperationResult, ApiError> {
    match r {
        Ok(s) => {
            let Outcome { settled, adl, .. } = s.outcome;
            Ok(OperationResult {
                key: key.to_owned(),
                status: if s.replayed { "replayed" } else { "applied" },
                code: None,
                msg: None,
                settled: settled.map(|x| SettledView {
                    bankruptcy_price: x.bankruptcy_price.map(|p| p.to_string()),
                    surplus: decimal(x.surplus, decimals),
                    deficit: decimal(x.deficit, decimals),
                    covered: decimal(x.covered, decimals),
                    adl_absorbed: decimal(x.adl_absorbed, decimals),
                    uncovered: decimal(x.uncovered, decimals),
                    balance: decimal(x.balance, decimals),
                    deleveraged: x
                        .deleveraged
                        .into_iter()
                        .map(|d| DeleveragedView {
                            position: d.position.as_str().to_owned(),
                            account: d.account.as_str().to_owned(),
                            size: d.size,
                            price: d.price.to_string(),
                            absorbed: decimal(d.absorbed, decimals),
                            quintile: d.quintile,
                        })
                        .collect(),
                }),
                adl: adl
                    .into_iter()
                    .map(|(pool, adl_type)| AdlView { pool, adl_type })
                    .collect(),
            })
        }
        Err(FundError::Storage(e)) => Err(e.into()),
        Err(e) => Ok(OperationResult {
            key: key.to_owned(),
            status: "refused",
            code: Some(code(&e).1),
            msg: Some(e.to_string()),
            settled: None,
            adl: Vec::new(),
        }),
    }
}

fn count<R>(st: &FundPart<R>, op: &str, results: &[OperationResult]) {
    for r in results {
        st.metrics
            .operations
            .with_label_values(&[op, r.status])
            .inc();
    }
}

async fn insurance_fund<R: FundRepo + 'static>(
    State(st): State<FundPart<R>>,
    q: Result<Query<InsuranceFundQuery>, QueryRejection>,
) -> Result<Json<InsuranceFundResponse>, ApiError> {
    let q = query(q)?;
    let line = q
        .inst_type
        .as_deref()
        .map(|t| {
            BusinessLine::parse(t).ok_or_else(|| {
                bad(
                    "invalid_inst_type",
                    "instType must be MARGIN, SWAP, FUTURES, OPTION or SAFETY",
                )
            })
        })
        .transpose()?;
    let kind = q
        .kind
        .as_deref()
        .map(|k| EntryKind::parse(k).ok_or_else(|| bad("invalid_type", "unknown type")))
        .transpose()?;
    let cursor = |v: &Option<String>, f: &str| {
        v.as_deref()
            .map(|s| {
                s.parse::<i64>()
                    .map_err(|_| bad("invalid_cursor", format!("{f} must be a billId")))
            })
            .transpose()
    };
    let limit = match q.limit.as_deref() {
        None => 100,
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| bad("invalid_limit", "limit must be 1 to 100"))?,
    };
    let rows = st
        .service
        .journal(JournalQuery {
            pool: None,
            line,
            family: q.inst_family.clone(),
            ccy: q.ccy.clone(),
            kind,
            after: cursor(&q.after, "after")?,
            before: cursor(&q.before, "before")?,
            limit,
        })
        .await
        .map_err(fund_error)?;
    let pools = st.service.pools().await.map_err(fund_error)?;
    let mut data: Vec<InsuranceFundGroup> = Vec::new();
    for r in rows {
        let Some(p) = pools.iter().find(|p| p.spec.id == r.pool) else {
            continue;
        };
        let d = p.spec.decimals;
        let detail = InsuranceFundDetail {
            balance: decimal(r.balance, d),
            amt: signed(r.amount, d),
            ccy: r.pool.ccy().to_owned(),
            kind: r.kind.as_str().to_owned(),
            max_bal: match (&r.adl_type, r.max_bal) {
                (Some(_), Some((b, _))) => decimal(b, d),
                _ => String::new(),
            },
            max_bal_ts: match (&r.adl_type, r.max_bal) {
                (Some(_), Some((_, t))) => t.to_string(),
                _ => String::new(),
            },
            dec_rate: String::new(),
            adl_type: r.adl_type.clone().unwrap_or_default(),
            ts: r.at.as_millis().to_string(),
            bill_id: r.id.to_string(),
        };
        match data.iter_mut().find(|g| g.pool == r.pool.as_str()) {
            Some(g) => g.details.push(detail),
            None => data.push(InsuranceFundGroup {
                total: decimal(p.balance.units(), d),
                inst_family: r.pool.family().unwrap_or_default().to_owned(),
                inst_type: r.pool.line().inst_type().to_owned(),
                pool: r.pool.as_str().to_owned(),
                details: vec![detail],
            }),
        }
    }
    Ok(Json(InsuranceFundResponse {
        code: "0",
        msg: "",
        data,
    }))
}

async fn pools<R: FundRepo + 'static>(
    State(st): State<FundPart<R>>,
) -> Result<Json<PoolsResponse>, ApiError> {
    let pools = st.service.pools().await.map_err(fund_error)?;
    Ok(Json(PoolsResponse {
        pools: pools
            .into_iter()
            .map(|p| {
                let d = p.spec.decimals;
                PoolView {
                    pool: p.spec.id.as_str().to_owned(),
                    inst_type: p.spec.id.line().inst_type(),
                    inst_family: p.spec.id.family().map(str::to_owned),
                    ccy: p.spec.id.ccy().to_owned(),
                    balance: decimal(p.balance.units(), d),
                    max_bal: decimal(p.peak.units(), d),
                    max_bal_ts: p.peak_at.as_millis(),
                    floor: decimal(p.spec.floor.units(), d),
                    adl_type: p.adl.map(|(t, _)| t.as_str()),
                }
            })
            .collect(),
    }))
}

async fn balances<R: FundRepo + 'static>(
    State(st): State<FundPart<R>>,
    pool: Result<Path<String>, PathRejection>,
    q: Result<Query<BalancesQuery>, QueryRejection>,
) -> Result<Json<BalancesResponse>, ApiError> {
    let Path(pool) = pool.map_err(path_error)?;
    let q = query(q)?;
    let spec = spec(&st, &pool)?;
    let points = st
        .service
        .balances(
            &spec.id,
            Timestamp::from_millis(q.from_ms),
            Timestamp::from_millis(q.to_ms),
            q.step_ms.unwrap_or(86_400_000),
        )
        .await
        .map_err(fund_error)?;
    Ok(Json(BalancesResponse {
        pool: spec.id.as_str().to_owned(),
        points: points
            .into_iter()
            .map(|(t, b)| BalancePoint {
                ts: t.as_millis(),
                balance: decimal(b, spec.decimals),
            })
            .collect(),
    }))
}

async fn liquidations<R: FundRepo + 'static>(
    State(st): State<FundPart<R>>,
    op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<LiquidationsRequest>,
) -> Result<Json<OperationsResponse>, ApiError> {
    if req.liquidations.is_empty() || req.liquidations.len() > custodia_fund::MAX_BATCH {
        return Err(bad("invalid_batch", "1 to 1000 liquidations"));
    }
    // Every liquidation parses before any is applied: a malformed batch posts nothing.
    let mut reqs = Vec::with_capacity(req.liquidations.len());
    let mut decimals = Vec::with_capacity(req.liquidations.len());
    for (i, l) in req.liquidations.iter().enumerate() {
        let at = |e: ApiError| ApiError {
            msg: format!("liquidations[{i}]: {}", e.msg),
            ..e
        };
        let spec = spec(&st, &l.pool).map_err(at)?;
        let c = contract(&l.contract, spec.decimals).map_err(at)?;
        let pd = l.contract.price_decimals;
        let candidates = l
            .candidates
            .iter()
            .map(|p| position(p, spec.decimals, pd))
            .collect::<Result<Vec<_>, _>>()
            .map_err(at)?;
        reqs.push(Request {
            key: key(&l.key).map_err(at)?,
            actor: op.actor(),
            op: Operation::Liquidation(custodia_fund::Liquidation {
                pool: spec.id.clone(),
                contract: c,
                position: position(&l.position, spec.decimals, pd).map_err(at)?,
                mark: price("mark", &l.mark, pd).map_err(at)?,
                fill: price("fill", &l.fill, pd).map_err(at)?,
                candidates,
            }),
        });
        decimals.push(spec.decimals);
    }
    let keys: Vec<String> = req.liquidations.iter().map(|l| l.key.clone()).collect();
    let out = st.service.submit_batch(reqs).await.map_err(fund_error)?;
    let results = out
        .into_iter()
        .zip(keys.iter().zip(decimals))
        .map(|(r, (k, d))| result_view(k, r, d))
        .collect::<Result<Vec<_>, _>>()?;
    count(&st, "liquidation", &results);
    Ok(Json(OperationsResponse { results }))
}

async fn one<R: FundRepo + 'static>(
    st: &FundPart<R>,
    name: &str,
    key_text: &str,
    req: Request,
    decimals: u8,
) -> Result<(StatusCode, Json<OperationResult>), ApiError> {
    let r = st.service.submit(req).await;
    if let Err(e) = &r
        && !matches!(e, FundError::Storage(_))
    {
        st.metrics
            .operations
            .with_label_values(&[name, "refused"])
            .inc();
    }
    let r = r.map_err(fund_error)?;
    let status = if r.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let view = result_view(key_text, Ok(r), decimals)?;
    count(st, name, std::slice::from_ref(&view));
    Ok((status, Json(view)))
}

async fn top_up<R: FundRepo + 'static>(
    State(st): State<FundPart<R>>,
    op: Operator<AdminOnly>,
    ApiJson(req): ApiJson<TopUpRequest>,
) -> Result<(StatusCode, Json<OperationResult>), ApiError> {
    let spec = spec(&st, &req.pool)?;
    let r = Request {
        key: key(&req.key)?,
        actor: op.actor(),
        op: Operation::TopUp {
            pool: spec.id.clone(),
            amount: amount("amount", &req.amount, spec.decimals)?,
        },
    };
    one(&st, "top_up", &req.key, r, spec.decimals).await
}

async fn transfer<R: FundRepo + 'static>(
    State(st): State<FundPart<R>>,
    op: Operator<AdminOnly>,
    ApiJson(req): ApiJson<TransferRequest>,
) -> Result<(StatusCode, Json<OperationResult>), ApiError> {
    let from = spec(&st, &req.from)?;
    let a = amount("amount", &req.amount, from.decimals)?;
    let o = match &req.to {
        Some(to) => Operation::Transfer {
            from: from.id.clone(),
            to: spec(&st, to)?.id,
            amount: a,
        },
        None => Operation::Withdraw {
            pool: from.id.clone(),
            amount: a,
        },
    };
    let r = Request {
        key: key(&req.key)?,
        actor: op.actor(),
        op: o,
    };
    one(&st, "transfer", &req.key, r, from.decimals).await
}

async fn backlog<R: FundRepo + 'static>(
    State(st): State<FundPart<R>>,
    op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<BacklogRequest>,
) -> Result<(StatusCode, Json<OperationResult>), ApiError> {
    let spec = spec(&st, &req.pool)?;
    let r = Request {
        key: key(&req.key)?,
        actor: op.actor(),
        op: Operation::Backlog {
            pool: spec.id.clone(),
            orders: req.orders,
            oldest_ms: req.oldest_ms,
        },
    };
    one(&st, "backlog", &req.key, r, spec.decimals).await
}

async fn rank<R: FundRepo + 'static>(
    State(st): State<FundPart<R>>,
    _op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<RankRequest>,
) -> Result<Json<RankResponse>, ApiError> {
    let spec = spec(&st, &req.pool)?;
    let c = contract(&req.contract, spec.decimals)?;
    let pd = req.contract.price_decimals;
    let mark = price("mark", &req.mark, pd)?;
    let positions = req
        .positions
        .iter()
        .map(|p| position(p, spec.decimals, pd))
        .collect::<Result<Vec<_>, _>>()?;
    let ranked = st.service.rank(&c, mark, &positions).map_err(fund_error)?;
    Ok(Json(RankResponse {
        positions: ranked
            .into_iter()
            .map(|r| RankedView {
                position: r.position.as_str().to_owned(),
                account: r.account.as_str().to_owned(),
                side: r.side.as_str(),
                rank: r.rank,
                quintile: r.quintile,
                pnl: r.pnl.to_string(),
                score: r.score.to_string(),
            })
            .collect(),
    }))
}
