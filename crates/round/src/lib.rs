#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod aggregate;
mod blobs;
mod build;
mod delivery;
mod error;
pub mod folder;
mod job;
mod publish;

pub use aggregate::{
    AGGREGATE_FORMAT, AggregateRecord, aggregate, aggregate_verified, check_round,
};
pub use blobs::{Blobs, FsBlobs, MemBlobs, check_key};
pub use build::{
    BuildParams, Round, build, build_folder, chain_boundaries, chain_openings, check_collateral,
    check_round_id, check_snapshot_time, commit_prices, fresh_seed, link_to, write_inclusion_batch,
};
pub use delivery::{
    DELIVERY_FORMAT, DELIVERY_RECORD, Delivered, DeliveryRecord, Layout, MAX_DELIVERED_BYTES,
    deliver_all, delivery_path, read_delivered, read_record, shard,
};
pub use error::Error;
pub use folder::{find_inclusion, load_manifest, read_batch};
pub use job::{
    DEFAULT_JOBS, Proven, batch_params, concurrently, has_valid_proof, prove_all, prove_batch,
    prove_one, read_boundary, read_witness, store_proof,
};
pub use publish::{PUBLIC_FILES, Published, check_publish_paths, publish_public};

use custodia_events::Timestamp;

/// The batch size every command starts from: 2^12 leaves per batch proof proves within a few
/// GiB even at 200 assets; larger rounds pick 2^14 to 2^16 at 22 assets (`docs/BENCHMARKS.md`).
pub const DEFAULT_LOG_BATCH: u32 = 12;

/// What a long step reports while it runs: progress bars in a binary, nothing in a test. Steps
/// do not nest: each `begin` is followed by its `end` before the next `begin`.
pub trait Progress: Sync {
    /// A step starts: `what` it does, over `steps` units of work (`None`: unknown).
    fn begin(&self, what: &str, steps: Option<u64>) {
        let _ = (what, steps);
    }
    /// One unit of the current step is done (called from any thread).
    fn step(&self) {}
    /// The current step is over.
    fn end(&self) {}
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// A round's snapshot time as written in `round.json`: RFC 3339 UTC to the second
/// (`2026-11-30T23:59:59Z`). The caller reads the clock.
pub fn snapshot_time(t: Timestamp) -> String {
    let t = Timestamp::from_millis(t.as_secs() * 1000);
    // `YYYY-MM-DDTHH:MM:SS.000Z` without its always-zero milliseconds.
    let millis = t.to_iso8601_millis();
    match millis.strip_suffix(".000Z") {
        Some(secs) => format!("{secs}Z"),
        None => millis,
    }
}
