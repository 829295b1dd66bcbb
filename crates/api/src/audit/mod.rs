//! The event log over HTTP: pages of events and the hash-chain check, for analysts.

mod config;
mod wire;

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRef, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use custodia_events::{
    AnchoredReport, ChainReport, Checkpoint, CheckpointPublicKey, CheckpointReader, EventReader,
    VerifyOptions, verify_anchored,
};
use serde::Deserialize;

pub use self::config::AuditConfig;
pub use self::wire::*;
use crate::auth::{AuditorOrAdmin, Operator, OperatorAuth};
use crate::error::ApiError;
use crate::extract::query;
use crate::record::Recorder;

/// What the audit routes need.
#[derive(Clone)]
pub struct AuditState<L> {
    /// The log.
    pub log: L,
    /// Flushed before a check, so it covers every decision taken so far.
    pub recorder: Recorder,
    /// Bearer-token checks.
    pub auth: OperatorAuth,
    /// The public half of the checkpoint key, when the service signs checkpoints: the check
    /// then verifies every checkpoint's signature. The binary sets it after reading the key.
    pub checkpoint_key: Option<CheckpointPublicKey>,
}

impl<L> FromRef<AuditState<L>> for OperatorAuth {
    fn from_ref(s: &AuditState<L>) -> Self {
        s.auth.clone()
    }
}

/// The audit routes.
pub fn routes<L: EventReader + CheckpointReader + Clone + 'static>(state: AuditState<L>) -> Router {
    Router::new()
        .route("/v1/audit/events", get(events::<L>))
        .route("/v1/audit/verify", get(verify::<L>))
        .with_state(state)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    limit: Option<u32>,
}

async fn events<L: EventReader + CheckpointReader + Clone + 'static>(
    State(st): State<AuditState<L>>,
    _op: Operator<AuditorOrAdmin>,
    q: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Json<EventPage>, ApiError> {
    let q = query(q)?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "limit must be 1 to 1000",
        ));
    }
    let events = st.log.events_after(q.after, limit).await?;
    let next_after = (events.len() == limit as usize)
        .then(|| events.last().map(|e| e.seq))
        .flatten();
    Ok(Json(EventPage {
        events: events
            .into_iter()
            .map(|e| EventView {
                seq: e.seq,
                time: e.body.time.to_iso8601_millis(),
                kind: e.body.kind.as_str().to_owned(),
                actor: e.body.actor.as_str().to_owned(),
                subject: e.body.subject.as_str().to_owned(),
                payload: e.body.payload.to_value(),
                prev_hash: e.prev_hash.to_hex(),
                hash: e.hash.to_hex(),
            })
            .collect(),
        next_after,
    }))
}

/// Converts a chain report for the wire.
pub fn report_view(r: &ChainReport) -> AuditReport {
    AuditReport {
        intact: r.is_intact(),
        checked: r.checked,
        head_seq: r.head_seq,
        head_hash: r.head_hash.to_hex(),
        first_break: r.first_break.as_ref().map(|b| ChainBreak {
            seq: b.seq,
            reason: b.reason.to_string(),
        }),
        checkpoints: None,
        problems: Vec::new(),
    }
}

/// Converts a checkpoint for the wire.
pub fn checkpoint_view(c: &Checkpoint) -> CheckpointView {
    CheckpointView {
        seq: c.seq,
        head_hash: c.head.to_hex(),
        time: c.time.to_iso8601_millis(),
        public_key: c.key.to_hex(),
        signature: hex::encode(c.signature),
    }
}

/// Converts an anchored check for the wire.
pub fn anchored_view(r: &AnchoredReport) -> AuditReport {
    AuditReport {
        intact: r.is_intact(),
        checkpoints: Some(CheckpointStatus {
            signatures_checked: r.signatures_checked,
            stored: r.stored_checkpoints,
            compared: r.compared,
            anchor_seq: r.anchor.seq,
            anchor: r.anchor.checkpoint.as_ref().map(checkpoint_view),
            latest: r.latest_checkpoint.as_ref().map(checkpoint_view),
        }),
        problems: r
            .findings
            .iter()
            .map(|f| AuditProblem {
                code: f.code().to_owned(),
                seq: f.seq(),
                message: f.to_string(),
            })
            .collect(),
        ..report_view(&r.chain)
    }
}

async fn verify<L: EventReader + CheckpointReader + Clone + 'static>(
    State(st): State<AuditState<L>>,
    _op: Operator<AuditorOrAdmin>,
) -> Result<Json<AuditReport>, ApiError> {
    // Events still queued in memory are written first, so the report covers every decision so far.
    st.recorder.flush().await;
    let opts = VerifyOptions {
        keys: st.checkpoint_key.as_slice(),
        ..VerifyOptions::default()
    };
    let r = verify_anchored(&st.log, &opts).await?;
    Ok(Json(anchored_view(&r)))
}
