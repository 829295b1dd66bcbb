//! The guard's handlers: thin, with authorization in their signatures.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use custodia_events::Timestamp;
use custodia_guard::{
    AddressQuery, Category, Chain, Date, DomainEntry, GuardError, GuardStats, Import, ListImported,
    ListKind, ListMeta, MAX_BATCH, Rejected, RiskLevel, ScreenContext, import_address_json,
    import_address_lines, import_domain_json, import_domain_lines, import_metamask_config,
    import_ofac_sdn_xml,
};
use custodia_primitives::AccountId;
use serde::Deserialize;

use super::state::{GuardState, GuardStore, no_snapshot};
use super::wire::*;
use crate::auth::{AdminOnly, AnyOperator, AuditorOrAdmin, Operator, ServiceOrAdmin};
use crate::error::ApiError;
use crate::extract::{ApiJson, parse_user, query};
use custodia_guard::{ListWrite, ServedFile};

/// Rejected / unsupported entries listed in an import response (the counts are always whole).
const MAX_LISTED: usize = 1000;

/// The guard's routes; list uploads get their own body limit (`guard.max_list_bytes`).
/// The guard's routes; list uploads get their own body limit (`guard.max_list_bytes`).
pub fn routes<S: GuardStore>(state: GuardState<S>) -> Router {
    let max_list_bytes = state.cfg.max_list_bytes;
    Router::new()
        .route("/v1/guard/addresses/screen", post(screen::<S>))
        .route("/v1/guard/domains/check", post(check_domains::<S>))
        .route("/v1/guard/poisoning/check", post(poisoning::<S>))
        .route("/v1/guard/snapshot", get(snapshot::<S>))
        .route("/v1/guard/snapshot/delta", get(delta::<S>))
        .route("/v1/guard/snapshot/signature", get(signature::<S>))
        .route("/v1/guard/extension/snapshot", get(extension_snapshot::<S>))
        .route(
            "/v1/guard/extension/snapshot/signature",
            get(extension_signature::<S>),
        )
        .route(
            "/v1/guard/extension/snapshot/delta",
            get(extension_delta::<S>),
        )
        .route("/v1/guard/stats", get(stats::<S>))
        .route(
            "/v1/admin/guard/lists/addresses",
            post(import_addresses::<S>).layer(DefaultBodyLimit::max(max_list_bytes)),
        )
        .route(
            "/v1/admin/guard/lists/domains",
            post(import_domains::<S>).layer(DefaultBodyLimit::max(max_list_bytes)),
        )
        .route("/v1/admin/guard/snapshots", post(publish::<S>))
        .with_state(state)
}

fn item_error(e: &GuardError) -> ItemError {
    ItemError {
        code: error_code(e),
        msg: e.to_string(),
    }
}

fn error_code(e: &GuardError) -> &'static str {
    match e {
        GuardError::Address { .. } => "invalid_address",
        GuardError::UnsupportedChain { .. } => "unsupported_chain",
        GuardError::Host { .. } => "invalid_host",
        GuardError::Entry { .. } => "invalid_entry",
        GuardError::Date { .. } => "invalid_date",
        GuardError::Format { .. } => "invalid_list",
        GuardError::Snapshot { .. }
        | GuardError::SnapshotHash { .. }
        | GuardError::DeltaBase { .. } => "invalid_snapshot",
        GuardError::Signature { .. } => "invalid_signature",
        GuardError::SigningKey { .. } => "invalid_signing_key",
        GuardError::Config { .. } => "invalid_config",
    }
}

fn check_batch(n: usize, what: &str, max: usize) -> Result<(), ApiError> {
    if n == 0 {
        return Err(ApiError::bad_request(
            "empty_batch",
            format!("`{what}` is empty: send 1 to {max} items"),
        ));
    }
    if n > max {
        return Err(ApiError::bad_request(
            "batch_too_large",
            format!("{n} items in `{what}`; at most {max} per request"),
        ));
    }
    Ok(())
}

fn parse_chain(s: Option<&str>) -> Result<Option<Chain>, ApiError> {
    s.map(|c| {
        Chain::from_name(c).map_err(|e| ApiError::bad_request("invalid_chain", e.to_string()))
    })
    .transpose()
}

fn parse_optional_user(s: Option<&str>) -> Result<Option<AccountId>, ApiError> {
    s.map(parse_user).transpose()
}

/// Queues the events of one decision batch for the batched audit writer. Unlike gateway
/// denials (which an attacker can flood, so a full queue drops them), guard alerts are asked for
/// by trusted callers and must all be recorded: a full queue makes this request wait for room
/// (backpressure), it never drops.
async fn record<S: GuardStore>(
    st: &GuardState<S>,
    actor: &str,
    events: Vec<custodia_guard::PendingEvent>,
) -> Result<(), ApiError> {
    let now = st.clock.now();
    for pe in events {
        st.recorder
            .record_wait(pe.event.to_event(now, actor, &pe.subject))
            .await?;
    }
    Ok(())
}

async fn screen<S: GuardStore>(
    State(st): State<GuardState<S>>,
    op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<ScreenRequest>,
) -> Result<Json<ScreenResponse>, ApiError> {
    let start = Instant::now();
    check_batch(req.addresses.len(), "addresses", MAX_BATCH)?;
    let chain = parse_chain(req.chain.as_deref())?;
    let context = match req.context.as_deref() {
        None | Some("lookup") => ScreenContext::Lookup,
        Some("withdrawal") => ScreenContext::Withdrawal,
        Some("deposit") => ScreenContext::Deposit,
        Some("transaction") => ScreenContext::Transaction,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_context",
                format!(
                    "context `{}` is not one of withdrawal, deposit, transaction, lookup",
                    other.chars().take(40).collect::<String>()
                ),
            ));
        }
    };
    let user = parse_optional_user(req.user.as_deref())?;
    let queries: Vec<AddressQuery> = req
        .addresses
        .into_iter()
        .map(|address| AddressQuery {
            address,
            chain,
            context,
        })
        .collect();
    let svc = st.catalog.current();
    let batch = svc
        .screen_addresses(user.as_ref(), &queries)
        .map_err(|e| ApiError::bad_request("batch_too_large", e.to_string()))?;
    record(&st, &op.actor(), batch.events).await?;
    let (mut listed, mut invalid) = (0, 0);
    let results: Vec<ScreenResult> = batch
        .results
        .into_iter()
        .map(|r| match r {
            Ok(s) => {
                listed += s.is_listed() as usize;
                ScreenResult {
                    address: Some(s.address.canonical()),
                    chain: Some(s.address.chain().as_str()),
                    listed: s.is_listed(),
                    category: s.worst_category().map(|c| c.as_str().to_owned()),
                    hits: s
                        .hits
                        .into_iter()
                        .map(|h| AddressHitView {
                            category: h.category.as_str().to_owned(),
                            source: h.source,
                            date: h.date.map(|d| d.to_string()),
                            label: h.label,
                        })
                        .collect(),
                    error: None,
                }
            }
            Err(e) => {
                invalid += 1;
                ScreenResult {
                    address: None,
                    chain: None,
                    listed: false,
                    category: None,
                    hits: Vec::new(),
                    error: Some(item_error(&e)),
                }
            }
        })
        .collect();
    let m = st.metrics;
    let clean = results.len() - listed - invalid;
    for (result, n) in [("clean", clean), ("listed", listed), ("invalid", invalid)] {
        if n > 0 {
            m.guard_checks
                .with_label_values(&["address", result])
                .inc_by(n as u64);
        }
    }
    m.guard_batch_seconds
        .with_label_values(&["address"])
        .observe(start.elapsed().as_secs_f64());
    Ok(Json(ScreenResponse {
        results,
        listed,
        invalid,
    }))
}

async fn check_domains<S: GuardStore>(
    State(st): State<GuardState<S>>,
    op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<DomainCheckRequest>,
) -> Result<Json<DomainCheckResponse>, ApiError> {
    let start = Instant::now();
    check_batch(req.hosts.len(), "hosts", MAX_BATCH)?;
    let user = parse_optional_user(req.user.as_deref())?;
    let svc = st.catalog.current();
    let batch = svc
        .check_domains(user.as_ref(), &req.hosts)
        .map_err(|e| ApiError::bad_request("batch_too_large", e.to_string()))?;
    record(&st, &op.actor(), batch.events).await?;
    let mut by_level = [0u64; 4];
    let (mut alerts, mut invalid) = (0, 0);
    let results = batch
        .results
        .into_iter()
        .map(|r| match r {
            Ok(v) => {
                by_level[v.level as usize] += 1;
                alerts += v.level.is_alert() as usize;
                DomainResult {
                    verdict: Some(VerdictView::new(v)),
                    error: None,
                }
            }
            Err(e) => {
                invalid += 1;
                let mut err = item_error(&e);
                if err.code == "invalid_entry" {
                    err.code = "invalid_host";
                }
                DomainResult {
                    verdict: None,
                    error: Some(err),
                }
            }
        })
        .collect();
    let m = st.metrics;
    let levels = [
        RiskLevel::None,
        RiskLevel::Medium,
        RiskLevel::High,
        RiskLevel::VeryHigh,
    ];
    for (l, n) in levels.iter().zip(by_level) {
        if n > 0 {
            m.guard_checks
                .with_label_values(&["domain", l.as_str()])
                .inc_by(n);
        }
    }
    if invalid > 0 {
        m.guard_checks
            .with_label_values(&["domain", "invalid"])
            .inc_by(invalid as u64);
    }
    m.guard_batch_seconds
        .with_label_values(&["domain"])
        .observe(start.elapsed().as_secs_f64());
    Ok(Json(DomainCheckResponse {
        results,
        alerts,
        invalid,
    }))
}

async fn poisoning<S: GuardStore>(
    State(st): State<GuardState<S>>,
    op: Operator<ServiceOrAdmin>,
    ApiJson(req): ApiJson<PoisoningRequest>,
) -> Result<Json<PoisoningResponse>, ApiError> {
    let max = st.cfg.poisoning.max_recent;
    if req.recent.len() > max {
        return Err(ApiError::bad_request(
            "batch_too_large",
            format!(
                "{} items in `recent`; at most {max} per request",
                req.recent.len()
            ),
        ));
    }
    let user = parse_user(&req.user)?;
    let chain = parse_chain(req.chain.as_deref())?;
    let parse = |s: &str| match chain {
        Some(c) => custodia_guard::Address::parse(c, s),
        None => custodia_guard::Address::parse_any(s),
    };
    let bad = |at: &str, e: GuardError| ApiError::bad_request(error_code(&e), format!("{at}: {e}"));
    let destination = parse(&req.destination).map_err(|e| bad("destination", e))?;
    let recent = req
        .recent
        .iter()
        .enumerate()
        .map(|(i, s)| parse(s).map_err(|e| bad(&format!("recent[{i}]"), e)))
        .collect::<Result<Vec<_>, _>>()?;
    let svc = st.catalog.current();
    let (m, events) = svc.check_poisoning(&user, &destination, &recent);
    // The check's count always, the flag when there is one.
    record(&st, &op.actor(), events).await?;
    st.metrics
        .guard_checks
        .with_label_values(&["poisoning", if m.is_some() { "flagged" } else { "clean" }])
        .inc();
    Ok(Json(PoisoningResponse {
        flagged: m.is_some(),
        r#match: m.map(|m| PoisoningMatchView {
            lookalike: m.lookalike.canonical(),
            imitates: m.imitates.canonical(),
            prefix_len: m.prefix_len,
            suffix_len: m.suffix_len,
        }),
    }))
}

/// `application/octet-stream` with a strong `ETag`; `304` when `If-None-Match` names it.
fn file_response(
    headers: &HeaderMap,
    file: &ServedFile,
    extra: &[(&'static str, String)],
) -> Response {
    let etag = format!("\"{}\"", hex::encode(file.sha256));
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag);
    let mut resp = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            Bytes::from_owner(file.bytes.clone()),
        )
            .into_response()
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    for (k, v) in extra {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(*k, v);
        }
    }
    resp
}

async fn snapshot<S: GuardStore>(
    State(st): State<GuardState<S>>,
    _op: Operator<AnyOperator>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = st.catalog.published().ok_or_else(no_snapshot)?;
    Ok(file_response(
        &headers,
        &p.file,
        &[("x-custodia-snapshot-version", p.version.to_string())],
    ))
}

/// The detached signature of the latest snapshot (docs/threat-intel.md §4.1).
async fn signature<S: GuardStore>(
    State(st): State<GuardState<S>>,
    _op: Operator<AnyOperator>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let key = st.signer()?;
    let p = st.catalog.published().ok_or_else(no_snapshot)?;
    let sig = ServedFile::new(key.sign(&p.snapshot).to_bytes());
    Ok(file_response(
        &headers,
        &sig,
        &[
            ("x-custodia-snapshot-version", p.version.to_string()),
            ("x-custodia-key-id", key.public().key_id_hex()),
        ],
    ))
}

/// The compact snapshot for browser extensions. Public: users' browsers fetch it with no
/// token, and it holds what the exchange wants every user to be warned about.
async fn extension_snapshot<S: GuardStore>(
    State(st): State<GuardState<S>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = st.compact().await?;
    Ok(file_response(
        &headers,
        &c.file,
        &[("x-custodia-snapshot-version", c.version.to_string())],
    ))
}

/// The compact snapshot's signature. Public, as the snapshot.
async fn extension_signature<S: GuardStore>(
    State(st): State<GuardState<S>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = st.compact().await?;
    Ok(file_response(
        &headers,
        &c.signature,
        &[("x-custodia-snapshot-version", c.version.to_string())],
    ))
}

/// The compact delta from the version an extension holds to the latest. Public, as the
/// compact snapshot; `204 No Content` when the extension is up to date.
async fn extension_delta<S: GuardStore>(
    State(st): State<GuardState<S>>,
    q: Result<Query<DeltaQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let latest = st.catalog.published().ok_or_else(no_snapshot)?.version;
    if q.from == latest {
        // Up to date, as far as the version says; the hash lets a client holding another
        // file under the same number (a store rebuilt from scratch) notice and download it.
        let c = st.compact().await?;
        let mut resp = StatusCode::NO_CONTENT.into_response();
        let h = resp.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        for (k, v) in [
            ("x-custodia-snapshot-version", c.version.to_string()),
            ("x-custodia-snapshot-hash", c.hash.clone()),
        ] {
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(k, v);
            }
        }
        return Ok(resp);
    }
    let d = st.compact_delta(q.from).await?;
    Ok(file_response(
        &headers,
        &d.file,
        &[
            ("x-custodia-delta-from", d.from.to_string()),
            ("x-custodia-snapshot-version", d.to.to_string()),
        ],
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeltaQuery {
    from: u64,
}

async fn delta<S: GuardStore>(
    State(st): State<GuardState<S>>,
    _op: Operator<AnyOperator>,
    q: Result<Query<DeltaQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let d = st.delta(q.from).await?;
    Ok(file_response(
        &headers,
        &d.file,
        &[
            ("x-custodia-delta-from", d.from.to_string()),
            ("x-custodia-snapshot-version", d.to.to_string()),
        ],
    ))
}

async fn publish<S: GuardStore>(
    State(st): State<GuardState<S>>,
    op: Operator<AdminOnly>,
) -> Result<(StatusCode, Json<SnapshotPublished>), ApiError> {
    let p = st.publish(&op.actor()).await?;
    let c = p.snapshot.counts();
    tracing::info!(version = p.version, bytes = p.file.bytes.len(), by = %op.name, "guard snapshot published");
    Ok((
        StatusCode::CREATED,
        Json(SnapshotPublished {
            version: p.version,
            created: p.snapshot.created(),
            sha256: hex::encode(p.file.sha256),
            bytes: p.file.bytes.len() as u64,
            counts: SnapshotCountsView {
                sources: c.sources,
                labels: c.labels,
                addresses: c.addresses,
                blocked: c.blocked,
                allowed: c.allowed,
            },
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
}

fn parse_time(s: &str, field: &str) -> Result<Timestamp, ApiError> {
    let full = if s.len() == 10 {
        format!("{s}T00:00:00.000Z")
    } else {
        s.to_owned()
    };
    Timestamp::parse_iso8601_millis(&full).map_err(|e| {
        ApiError::bad_request(
            "invalid_query",
            format!("`{field}` must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS.mmmZ (UTC): {e}"),
        )
    })
}

async fn stats<S: GuardStore>(
    State(st): State<GuardState<S>>,
    _op: Operator<AuditorOrAdmin>,
    q: Result<Query<StatsQuery>, QueryRejection>,
) -> Result<Json<GuardStatsResponse>, ApiError> {
    let q = query(q)?;
    let from = match &q.from {
        Some(s) => parse_time(s, "from")?,
        None => Timestamp::from_millis(0),
    };
    let to = match &q.to {
        Some(s) => parse_time(s, "to")?,
        None => st.clock.now().plus_millis(1),
    };
    if from >= to {
        return Err(ApiError::bad_request(
            "invalid_query",
            "`from` must be before `to`",
        ));
    }
    // Decisions still queued in memory are written first, so the counts include them.
    st.recorder.flush().await;
    let mut stats = GuardStats::new();
    let folded = {
        let mut tallies: [&mut (dyn custodia_events::Tally + Send); 1] = [&mut stats];
        custodia_events::fold(&st.repo, from, to, &mut tallies).await?
    };
    if let Some((n, first)) = stats.malformed() {
        return Err(ApiError::internal(format!(
            "{n} guard events do not decode, the first at seq {first}"
        )));
    }
    let n = folded.events;
    let report = GuardReportFigures {
        phishing_addresses_recorded: stats.phishing_addresses_recorded(),
        black_addresses_recorded: stats.black_addresses_recorded(),
        risk_domain_alerts: stats.domain_alerts.alerts(),
        very_high_risk_domain_alerts: stats.domain_alerts.very_high,
        very_high_risk_domains_recorded: stats.domains_recorded,
        similar_addresses_recorded: stats.lookalikes_caught,
        tx_warnings_shown: stats.tx_warnings_shown,
    };
    Ok(Json(GuardStatsResponse {
        from: from.to_iso8601_millis(),
        to: to.to_iso8601_millis(),
        events: n,
        record_clean: st.cfg.record_clean,
        stats: GuardStatsView {
            addresses_recorded: by_category(&stats.addresses_recorded),
            domains_recorded: stats.domains_recorded,
            addresses_screened: stats.addresses_screened,
            address_hits: by_category(&stats.address_hits),
            domains_checked: stats.domains_checked,
            domain_alerts: LevelCountsView {
                very_high: stats.domain_alerts.very_high,
                high: stats.domain_alerts.high,
                medium: stats.domain_alerts.medium,
            },
            poisoning_checked: stats.poisoning_checked,
            poisoning_flagged: stats.poisoning_flagged,
            lookalikes_caught: stats.lookalikes_caught,
            tx_warnings_shown: stats.tx_warnings_shown,
        },
        report,
    }))
}

fn by_category(
    m: &std::collections::BTreeMap<Category, u64>,
) -> std::collections::BTreeMap<String, u64> {
    m.iter().map(|(c, n)| (c.as_str().to_owned(), *n)).collect()
}

// ---- list imports ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressListQuery {
    format: String,
    source: String,
    category: Option<String>,
    date: Option<String>,
    chain: Option<String>,
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    allow_empty: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DomainListQuery {
    format: String,
    source: String,
    list: Option<String>,
    category: Option<String>,
    date: Option<String>,
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    allow_empty: bool,
}

fn invalid_list(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_list", msg)
}

/// List names own their rows: `[A-Za-z0-9._-]`, 1–64 characters, so that the sources an import
/// derives (`<name>:<detail>`) can never be another list's name.
fn check_source(s: &str) -> Result<(), ApiError> {
    let ok = (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid_source",
            "source must be 1–64 characters of A-Z a-z 0-9 . _ -",
        ))
    }
}

fn parse_category(
    s: Option<&str>,
    default: Option<Category>,
    format: &str,
) -> Result<Category, ApiError> {
    match (s, default) {
        (Some(c), _) => Category::from_name(c)
            .map_err(|e| ApiError::bad_request("invalid_category", e.to_string())),
        (None, Some(d)) => Ok(d),
        (None, None) => Err(ApiError::bad_request(
            "invalid_category",
            format!(
                "category is required for format={format}: one of sanctions, hack, mixer, phishing, scam"
            ),
        )),
    }
}

fn parse_date(s: Option<&str>) -> Result<Option<Date>, ApiError> {
    s.map(|d| {
        d.parse::<Date>()
            .map_err(|e| ApiError::bad_request("invalid_date", e.to_string()))
    })
    .transpose()
}

fn body_text(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, ApiError> {
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the list is larger than guard.max_list_bytes ({limit} bytes)"),
            )
        } else {
            ApiError::bad_request("invalid_body", r.body_text())
        }
    })?;
    if let Err(e) = std::str::from_utf8(&body) {
        return Err(invalid_list(format!(
            "the list is not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        )));
    }
    Ok(body)
}

/// Refuses imports that would lose data or that the caller asked to be strict about.
/// `rejected` / `unsupported`: every such entry of every part, with its location.
fn check_import(
    entries: usize,
    rejected: &[(String, &Rejected)],
    unsupported: &[(String, &Rejected)],
    what: &str,
    strict: bool,
    allow_empty: bool,
) -> Result<(), ApiError> {
    let first = |v: &[(String, &Rejected)]| {
        v.iter()
            .take(3)
            .map(|(p, r)| format!("{p}{r}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    if strict && !rejected.is_empty() {
        return Err(invalid_list(format!(
            "{} {what} rejected with strict=true; nothing was changed. First: {}",
            rejected.len(),
            first(rejected)
        )));
    }
    if entries == 0 && !allow_empty {
        return Err(invalid_list(
            if rejected.is_empty() && unsupported.is_empty() {
                format!(
                    "the list has no {what}; nothing was changed (pass allow_empty=true to empty this source)"
                )
            } else {
                format!(
                    "no valid {what} in the list ({} rejected, {} unsupported); nothing was changed. First: {}",
                    rejected.len(),
                    unsupported.len(),
                    first(if rejected.is_empty() {
                        unsupported
                    } else {
                        rejected
                    })
                )
            },
        ));
    }
    Ok(())
}

/// One part of an import (addresses, blocked or allowed hosts) as reported back.
struct Part {
    kind: ListKind,
    duplicates: u64,
    rejected_count: u64,
    rejected: Vec<LocatedError>,
    unsupported_count: u64,
    unsupported: Vec<LocatedError>,
}

impl Part {
    fn new(kind: ListKind) -> Self {
        Self {
            kind,
            duplicates: 0,
            rejected_count: 0,
            rejected: Vec::new(),
            unsupported_count: 0,
            unsupported: Vec::new(),
        }
    }

    fn add<T>(&mut self, prefix: &str, i: &Import<T>) {
        let located = |r: &Rejected| LocatedError {
            at: format!("{prefix}{}", r.at),
            code: error_code(&r.error),
            msg: r.error.to_string(),
        };
        self.duplicates += i.duplicates as u64;
        self.rejected_count += i.rejected.len() as u64;
        self.unsupported_count += i.unsupported.len() as u64;
        let room = MAX_LISTED.saturating_sub(self.rejected.len());
        self.rejected
            .extend(i.rejected.iter().take(room).map(located));
        let room = MAX_LISTED.saturating_sub(self.unsupported.len());
        self.unsupported
            .extend(i.unsupported.iter().take(room).map(located));
    }

    fn summary(self, ev: &ListImported, seq: u64) -> ImportSummary {
        ImportSummary {
            kind: match self.kind {
                ListKind::Addresses => "addresses",
                ListKind::BlockedDomains => "blocked_domains",
                ListKind::AllowedDomains => "allowed_domains",
            },
            accepted: ev.accepted,
            added: ev
                .added
                .iter()
                .map(|(c, n)| (c.as_str().to_owned(), *n))
                .collect(),
            duplicates: self.duplicates,
            truncated: self.rejected_count > self.rejected.len() as u64
                || self.unsupported_count > self.unsupported.len() as u64,
            rejected_count: self.rejected_count,
            rejected: self.rejected,
            unsupported_count: self.unsupported_count,
            unsupported: self.unsupported,
            event_seq: seq,
        }
    }
}

async fn blocking<F, T>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("list import worker failed: {e}")))?
}

fn count_failure<'a, S: GuardStore>(
    st: &'a GuardState<S>,
    list: &str,
) -> impl Fn(ApiError) -> ApiError + 'a {
    let list = list.to_owned();
    move |e| {
        st.metrics
            .guard_imports
            .with_label_values(&[list.as_str(), "rejected"])
            .inc();
        e
    }
}

async fn import_addresses<S: GuardStore>(
    State(st): State<GuardState<S>>,
    op: Operator<AdminOnly>,
    q: Result<Query<AddressListQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ListImportResponse>, ApiError> {
    let fail = count_failure(&st, "addresses");
    let q = query(q).map_err(&fail)?;
    let body = body_text(body, st.cfg.max_list_bytes).map_err(&fail)?;
    check_source(&q.source).map_err(&fail)?;
    let format = q.format.clone();
    let default_category = match format.as_str() {
        "ofac-sdn-xml" | "ofac" => Some(Category::Sanctions),
        "lines" | "json" => None,
        other => {
            return Err(fail(ApiError::bad_request(
                "invalid_format",
                format!(
                    "format `{}` is not one of ofac-sdn-xml, lines, json",
                    other.chars().take(40).collect::<String>()
                ),
            )));
        }
    };
    let category =
        parse_category(q.category.as_deref(), default_category, &format).map_err(&fail)?;
    let date = parse_date(q.date.as_deref()).map_err(&fail)?;
    let chain = parse_chain(q.chain.as_deref()).map_err(&fail)?;
    let meta = ListMeta::new(q.source.clone(), category, date)
        .map_err(|e| fail(ApiError::bad_request("invalid_source", e.to_string())))?;
    let mut import = blocking(move || {
        let text = std::str::from_utf8(&body).unwrap_or_default();
        match format.as_str() {
            "lines" => Ok(import_address_lines(text, chain, &meta)),
            "json" => import_address_json(text, chain, &meta),
            _ => import_ofac_sdn_xml(text, &meta),
        }
        .map_err(|e| invalid_list(e.to_string()))
    })
    .await
    .map_err(&fail)?;
    fn tag(v: &[Rejected]) -> Vec<(String, &Rejected)> {
        v.iter().map(|r| (String::new(), r)).collect()
    }
    check_import(
        import.entries.len(),
        &tag(&import.rejected),
        &tag(&import.unsupported),
        "addresses",
        q.strict,
        q.allow_empty,
    )
    .map_err(&fail)?;
    let ev = ListImported::from_import(&q.source, ListKind::Addresses, &import);
    let mut part = Part::new(ListKind::Addresses);
    part.add("", &import);
    let w = st
        .write_list(
            &op.actor(),
            ListWrite {
                source: q.source.clone(),
                addresses: Some(std::mem::take(&mut import.entries)),
                blocked: None,
                allowed: None,
                events: vec![ev],
            },
        )
        .await
        .map_err(&fail)?;
    st.metrics
        .guard_imports
        .with_label_values(&["addresses", "ok"])
        .inc();
    tracing::info!(source = %q.source, accepted = w.events[0].accepted, removed = w.removed, by = %op.name, "guard address list imported");
    Ok(Json(ListImportResponse {
        lists: vec![part.summary(&w.events[0], w.seqs[0])],
        source: q.source,
        removed: w.removed,
        inserted: w.inserted,
        fuzzylist_ignored: None,
        totals: ListTotals {
            addresses: w.totals.addresses,
            blocked_domains: w.totals.blocked,
            allowed_domains: w.totals.allowed,
        },
    }))
}

/// A domain upload, parsed: the parts it replaces, each with its report.
struct DomainImport {
    blocked: Option<(Import<DomainEntry>, Part)>,
    allowed: Option<(Import<DomainEntry>, Part)>,
    /// MetaMask `fuzzylist` entries (not imported: this service has its own look-alike rules).
    fuzzy_ignored: Option<u64>,
}

fn domain_import(
    text: &str,
    format: &str,
    list: &str,
    meta: &ListMeta,
) -> Result<DomainImport, ApiError> {
    let single = |i: Import<DomainEntry>| {
        let kind = if list == "allow" {
            ListKind::AllowedDomains
        } else {
            ListKind::BlockedDomains
        };
        let mut p = Part::new(kind);
        p.add("", &i);
        let part = Some((i, p));
        Ok(if list == "allow" {
            DomainImport {
                blocked: None,
                allowed: part,
                fuzzy_ignored: None,
            }
        } else {
            DomainImport {
                blocked: part,
                allowed: None,
                fuzzy_ignored: None,
            }
        })
    };
    match format {
        "lines" => single(import_domain_lines(text, meta)),
        "json" => single(import_domain_json(text, meta).map_err(|e| invalid_list(e.to_string()))?),
        _ => {
            let configs =
                import_metamask_config(text, meta).map_err(|e| invalid_list(e.to_string()))?;
            let many = configs.len() > 1;
            let (mut block, mut allow) = (Import::default(), Import::default());
            let (mut bp, mut ap) = (
                Part::new(ListKind::BlockedDomains),
                Part::new(ListKind::AllowedDomains),
            );
            let mut fuzzy = 0u64;
            for (i, c) in configs.into_iter().enumerate() {
                let prefix = |what: &str| {
                    if many {
                        format!("configuration #{i} ({}@{}) {what} ", c.name, c.version)
                    } else {
                        format!("{what} ")
                    }
                };
                bp.add(&prefix("blocklist"), &c.block);
                ap.add(&prefix("allowlist"), &c.allow);
                fuzzy += c.fuzzy.entries.len() as u64;
                let (mut b, mut a) = (c.block, c.allow);
                block.entries.append(&mut b.entries);
                block.rejected.append(&mut b.rejected);
                allow.entries.append(&mut a.entries);
                allow.rejected.append(&mut a.rejected);
            }
            Ok(DomainImport {
                blocked: Some((block, bp)),
                allowed: Some((allow, ap)),
                fuzzy_ignored: Some(fuzzy),
            })
        }
    }
}

async fn import_domains<S: GuardStore>(
    State(st): State<GuardState<S>>,
    op: Operator<AdminOnly>,
    q: Result<Query<DomainListQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ListImportResponse>, ApiError> {
    let fail = count_failure(&st, "domains");
    let q = query(q).map_err(&fail)?;
    let body = body_text(body, st.cfg.max_list_bytes).map_err(&fail)?;
    check_source(&q.source).map_err(&fail)?;
    let format = q.format.clone();
    if !matches!(format.as_str(), "lines" | "json" | "metamask") {
        return Err(fail(ApiError::bad_request(
            "invalid_format",
            format!(
                "format `{}` is not one of lines, json, metamask",
                format.chars().take(40).collect::<String>()
            ),
        )));
    }
    let list = match (format.as_str(), q.list.as_deref()) {
        ("metamask", None) => "both",
        ("metamask", Some(_)) => {
            return Err(fail(ApiError::bad_request(
                "invalid_query",
                "`list` does not apply to format=metamask: its blocklist and allowlist are both imported",
            )));
        }
        (_, None | Some("block")) => "block",
        (_, Some("allow")) => "allow",
        (_, Some(other)) => {
            return Err(fail(ApiError::bad_request(
                "invalid_query",
                format!(
                    "list `{}` is not `block` or `allow`",
                    other.chars().take(40).collect::<String>()
                ),
            )));
        }
    };
    let category =
        parse_category(q.category.as_deref(), Some(Category::Phishing), &format).map_err(&fail)?;
    let date = parse_date(q.date.as_deref()).map_err(&fail)?;
    let meta = ListMeta::new(q.source.clone(), category, date)
        .map_err(|e| fail(ApiError::bad_request("invalid_source", e.to_string())))?;
    let mut import = blocking(move || {
        let text = std::str::from_utf8(&body).unwrap_or_default();
        domain_import(text, &format, list, &meta)
    })
    .await
    .map_err(&fail)?;
    {
        let parts = [&import.blocked, &import.allowed];
        let entries = parts
            .iter()
            .flat_map(|p| p.iter())
            .map(|(i, _)| i.entries.len())
            .sum();
        let tag = |pick: fn(&Import<DomainEntry>) -> &[Rejected]| {
            parts
                .iter()
                .flat_map(|p| p.iter())
                .flat_map(|(i, part)| {
                    let what = match part.kind {
                        ListKind::AllowedDomains if list == "both" => "allowlist ",
                        ListKind::BlockedDomains if list == "both" => "blocklist ",
                        _ => "",
                    };
                    pick(i).iter().map(move |r| (what.to_owned(), r))
                })
                .collect::<Vec<_>>()
        };
        check_import(
            entries,
            &tag(|i| &i.rejected),
            &tag(|i| &i.unsupported),
            "hosts",
            q.strict,
            q.allow_empty,
        )
        .map_err(&fail)?;
    }
    let mut events = Vec::new();
    let mut parts = Vec::new();
    let mut take = |slot: &mut Option<(Import<DomainEntry>, Part)>, kind| {
        slot.take().map(|(mut i, p)| {
            events.push(ListImported::from_import(&q.source, kind, &i));
            parts.push(p);
            std::mem::take(&mut i.entries)
        })
    };
    let blocked = take(&mut import.blocked, ListKind::BlockedDomains);
    let allowed = take(&mut import.allowed, ListKind::AllowedDomains);
    let w = st
        .write_list(
            &op.actor(),
            ListWrite {
                source: q.source.clone(),
                addresses: None,
                blocked,
                allowed,
                events,
            },
        )
        .await
        .map_err(&fail)?;
    st.metrics
        .guard_imports
        .with_label_values(&["domains", "ok"])
        .inc();
    tracing::info!(source = %q.source, removed = w.removed, inserted = w.inserted, by = %op.name, "guard domain list imported");
    Ok(Json(ListImportResponse {
        lists: parts
            .into_iter()
            .zip(&w.events)
            .zip(&w.seqs)
            .map(|((p, ev), seq)| p.summary(ev, *seq))
            .collect(),
        source: q.source,
        removed: w.removed,
        inserted: w.inserted,
        fuzzylist_ignored: import.fuzzy_ignored,
        totals: ListTotals {
            addresses: w.totals.addresses,
            blocked_domains: w.totals.blocked,
            allowed_domains: w.totals.allowed,
        },
    }))
}
