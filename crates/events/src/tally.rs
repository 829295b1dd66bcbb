//! Folding the event log into the figures the monthly report publishes.
//!
//! Each service owns a [`Tally`] beside the events it reads; the report crate only drives them
//! ([`fold`]) and renders their [`Figure`]s, so it depends on this crate alone and every figure
//! names the event kinds it came from.

use serde::Serialize;

use crate::{Event, EventReader, RepoResult, Timestamp};

/// One number the report publishes, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figure {
    /// Stable machine name, `<service>.<figure>` (`api_keys.created`).
    pub key: String,
    /// What a reader sees next to the value.
    pub label: String,
    /// The value.
    pub value: FigureValue,
    /// The event kinds folded into it (traceability: a reader can recount from the log).
    pub kinds: Vec<&'static str>,
}

impl Figure {
    /// A count figure.
    pub fn count(key: &str, label: &str, n: u64, kinds: &[&'static str]) -> Figure {
        Figure {
            key: key.to_owned(),
            label: label.to_owned(),
            value: FigureValue::Count { n },
            kinds: kinds.to_vec(),
        }
    }
}

/// A figure's value. Money is an integer in the asset's smallest unit, never a float.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FigureValue {
    /// How many.
    Count {
        /// The count.
        n: u64,
    },
    /// An amount of one asset.
    Amount {
        /// Asset symbol (`BTC`, `USDT`).
        asset: String,
        /// Smallest units.
        units: u128,
        /// Decimals of the smallest unit.
        decimals: u8,
    },
    /// A ratio in basis points (10 000 = 100 %).
    BasisPoints {
        /// The ratio.
        bp: i64,
    },
    /// Values over time (a chart), in time order.
    Series {
        /// The points.
        points: Vec<Point>,
    },
}

/// One point of a [`FigureValue::Series`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Point {
    /// Milliseconds since the Unix epoch, UTC.
    pub time_ms: i64,
    /// The value at that time (smallest units for money).
    pub value: i128,
}

/// Folds events of some kinds into figures.
///
/// To implement this for a service:
/// 1. [`Tally::kinds`]: the event kinds it reads (the driver fetches only those);
/// 2. [`Tally::record`]: fold one event (decode it with [`Event::decode`]); an event that does
///    not decode is counted in [`Tally::figures`] as malformed rather than aborting the fold;
/// 3. [`Tally::figures`]: the figures so far, each naming the kinds it used.
pub trait Tally {
    /// The kinds [`Tally::record`] wants to see.
    fn kinds(&self) -> &'static [&'static str];
    /// Folds one event of one of [`Tally::kinds`].
    fn record(&mut self, event: &Event);
    /// The figures folded so far.
    fn figures(&self) -> Vec<Figure>;
}

/// What [`fold`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Folded {
    /// Events read.
    pub events: u64,
    /// The last seq read (0 when none).
    pub last_seq: u64,
}

/// Events read per page by [`fold`].
pub const FOLD_PAGE: u32 = 1000;

/// Reads every event of the tallies' kinds with `from <= time < to`, in seq order, and hands
/// each to every tally that asked for its kind.
pub async fn fold<R: EventReader>(
    log: &R,
    from: Timestamp,
    to: Timestamp,
    tallies: &mut [&mut (dyn Tally + Send)],
) -> RepoResult<Folded> {
    let mut kinds: Vec<&str> = tallies
        .iter()
        .flat_map(|t| t.kinds().iter().copied())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut done = Folded::default();
    if kinds.is_empty() {
        return Ok(done);
    }
    loop {
        let page = log
            .events_of_kinds(&kinds, from, to, done.last_seq, FOLD_PAGE)
            .await?;
        for e in &page {
            let kind = e.body.kind.as_str();
            for t in tallies.iter_mut() {
                if t.kinds().contains(&kind) {
                    t.record(e);
                }
            }
            done.events += 1;
            done.last_seq = e.seq;
        }
        if page.len() < FOLD_PAGE as usize {
            return Ok(done);
        }
    }
}
