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
    /// No break found.
    pub intact: bool,
    /// Events checked.
    pub checked: u64,
    /// Last seq.
    pub head_seq: u64,
    /// Last hash, hex: publish it to detect truncation.
    pub head_hash: String,
    /// The first break.
    pub first_break: Option<ChainBreak>,
}
