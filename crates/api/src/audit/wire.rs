//! The event log's JSON shapes.

use serde::Serialize;
use utoipa::ToSchema;

/// One event of the log.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    /// Position.
    pub seq: u64,
    /// Time, ISO-8601 UTC.
    pub time: String,
    /// Kind.
    pub kind: String,
    /// Actor.
    pub actor: String,
    /// Subject.
    pub subject: String,
    /// Details.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Previous hash, hex.
    pub prev_hash: String,
    /// This event's hash, hex.
    pub hash: String,
}

/// A page of events.
#[derive(Serialize, ToSchema)]
pub struct EventPage {
    /// Events in seq order.
    pub events: Vec<EventView>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<u64>,
}

/// Where the chain breaks.
#[derive(Serialize, ToSchema)]
pub struct ChainBreak {
    /// First broken seq.
    pub seq: u64,
    /// Why.
    pub reason: String,
}

/// Result of a chain check.
#[derive(Serialize, ToSchema)]
pub struct AuditReport {
    /// No break found and nothing disagrees with the checkpoints.
    pub intact: bool,
    /// Events checked.
    pub checked: u64,
    /// Last seq.
    pub head_seq: u64,
    /// Last hash, hex: publish it to detect truncation.
    pub head_hash: String,
    /// The first break.
    pub first_break: Option<ChainBreak>,
    /// Checkpoints (absent from reports of the bare chain).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoints: Option<CheckpointStatus>,
    /// Disagreements with the checkpoints.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<AuditProblem>,
}

/// A signed checkpoint of the chain head.
#[derive(Serialize, ToSchema)]
pub struct CheckpointView {
    /// The head's seq.
    pub seq: u64,
    /// The head's hash, hex.
    pub head_hash: String,
    /// When it was signed, ISO-8601 UTC.
    pub time: String,
    /// The ed25519 public key that signed it, hex.
    pub public_key: String,
    /// The signature, hex.
    pub signature: String,
}

/// How the log compares with its signed checkpoints.
#[derive(Serialize, ToSchema)]
pub struct CheckpointStatus {
    /// Signatures were checked against the service's checkpoint key (false when the service
    /// has none configured: checkpoints are then only compared with the chain).
    pub signatures_checked: bool,
    /// Checkpoints stored.
    pub stored: u64,
    /// Checkpointed seqs compared with the log's hashes.
    pub compared: u64,
    /// Where the remaining chain starts (0: never pruned).
    pub anchor_seq: u64,
    /// The checkpoint the log was pruned up to, if any.
    pub anchor: Option<CheckpointView>,
    /// The newest checkpoint: keep a copy off the database to detect truncation later.
    pub latest: Option<CheckpointView>,
}

/// One way the log disagrees with its checkpoints.
#[derive(Serialize, ToSchema)]
pub struct AuditProblem {
    /// `truncated`, `recomputed`, `forged_checkpoint`, `wrong_key`, `checkpoint_deleted`,
    /// `checkpoint_differs`, `anchor_missing` or `below_anchor`.
    pub code: String,
    /// The seq concerned.
    pub seq: u64,
    /// What it means.
    pub message: String,
}
