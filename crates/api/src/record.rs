//! The event recorder: decisions that have no state change of their own (a denied request, a
//! rejected code, a guard alert) go through a queue to one batched writer, so requests never
//! wait on the database. Every service takes a [`Recorder`]; the binary spawns the writer.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use custodia_events::{Audit, Clock as _, EventAppender, NewEvent, Repeats, SystemClock};
use prometheus::IntCounter;
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiError;
use crate::metrics::Metrics;

/// Events queued before senders wait (or drop, see [`Recorder::record`]).
const QUEUE: usize = 65_536;
/// Events appended per transaction.
const BATCH: usize = 1_000;
/// Window over which repeated refusals of one group are counted into one row.
const REPEAT_WINDOW_MS: i64 = 60_000;
/// Groups counted at once before the overflow buckets take the rest.
const REPEAT_GROUPS: usize = 10_000;

enum Msg {
    Event(NewEvent),
    Flush(oneshot::Sender<()>),
}

type FlushHook = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

#[derive(Clone)]
struct Counters {
    written: IntCounter,
    dropped: IntCounter,
    aggregated: IntCounter,
}

/// A handle on the batched event writer. Cheap to clone.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Msg>,
    counters: Counters,
    hooks: Arc<Mutex<Vec<FlushHook>>>,
    repeats: Arc<Mutex<Repeats>>,
}

impl Recorder {
    /// Spawns the writer over `log` on the current tokio runtime.
    pub fn spawn<L: EventAppender + 'static>(log: L, metrics: &Metrics) -> Recorder {
        let counters = Counters {
            written: metrics.counter(
                "custodia_audit_events_written_total",
                "Events appended by the batched audit writer",
            ),
            dropped: metrics.counter(
                "custodia_audit_events_dropped_total",
                "Events dropped because the audit queue was full",
            ),
            aggregated: metrics.counter(
                "custodia_audit_events_aggregated_total",
                "Repeated refusals counted into an audit.repeated row instead of a row each",
            ),
        };
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(log, rx, counters.clone()));
        let rec = Recorder {
            tx,
            counters,
            hooks: Arc::new(Mutex::new(Vec::new())),
            repeats: Arc::new(Mutex::new(Repeats::new(REPEAT_WINDOW_MS, REPEAT_GROUPS))),
        };
        // Close ended aggregation windows even when no new refusal arrives to close them. Weak
        // handles: the ticker ends with the last recorder instead of keeping the writer alive.
        let (repeats, tx) = (Arc::downgrade(&rec.repeats), rec.tx.downgrade());
        let dropped = rec.counters.dropped.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let (Some(repeats), Some(tx)) = (repeats.upgrade(), tx.upgrade()) else {
                    break;
                };
                let due = repeats
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .drain_due(SystemClock.now());
                for e in due {
                    if tx.send(Msg::Event(e)).await.is_err() {
                        dropped.inc();
                    }
                }
            }
        });
        rec
    }

    fn lock_repeats(&self) -> std::sync::MutexGuard<'_, Repeats> {
        self.repeats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an event, waiting for room when the queue is full (decisions that must never be
    /// dropped: guard alerts asked for by trusted callers). Fails only when the writer is gone.
    pub async fn record_wait(&self, e: NewEvent) -> Result<(), ApiError> {
        self.tx.send(Msg::Event(e)).await.map_err(|_| {
            self.counters.dropped.inc();
            ApiError::internal("audit writer stopped: event not recorded")
        })
    }

    /// Adds work [`Recorder::flush`] runs first (a service's own batched writes, such as key
    /// usage, whose events must be in the log before anyone reads it).
    pub fn on_flush<F, Fut>(&self, hook: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let hook: FlushHook = Arc::new(move || Box::pin(hook()));
        self.hooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(hook);
    }

    /// Runs the flush hooks, then waits until every event queued so far is stored.
    pub async fn flush(&self) {
        let hooks: Vec<FlushHook> = self.hooks.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for h in hooks {
            h().await;
        }
        let open = self.lock_repeats().drain_all();
        for e in open {
            let _ = self.record_wait(e).await;
        }
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

impl Audit for Recorder {
    /// Never blocks; a full queue drops and counts (a flood of bad requests must not slow the
    /// gateway check down).
    fn record(&self, e: NewEvent) {
        if self.tx.try_send(Msg::Event(e)).is_err() {
            self.counters.dropped.inc();
            tracing::error!("audit queue full: event dropped");
        }
    }

    /// The first refusal of a group in a window is queued at once; the rest are counted into
    /// one `audit.repeated` row when the window closes (see [`Repeats`]). A flood therefore
    /// costs a bounded number of rows and never fills the queue.
    fn record_repeatable(&self, group: String, e: NewEvent) {
        let out = self.lock_repeats().admit(group, e);
        if out.is_empty() {
            self.counters.aggregated.inc();
        }
        for e in out {
            self.record(e);
        }
    }
}

async fn writer<L: EventAppender>(log: L, mut rx: mpsc::Receiver<Msg>, counters: Counters) {
    while let Some(first) = rx.recv().await {
        let mut batch = Vec::new();
        let mut acks = Vec::new();
        let mut next = Some(first);
        while let Some(m) = next.take() {
            match m {
                Msg::Event(e) => batch.push(e),
                Msg::Flush(a) => acks.push(a),
            }
            if batch.len() < BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let n = batch.len() as u64;
            let mut attempt = 0;
            loop {
                match log.append(batch.clone()).await {
                    Ok(_) => {
                        counters.written.inc_by(n);
                        break;
                    }
                    Err(e) if attempt < 5 => {
                        attempt += 1;
                        tracing::error!(error = %e, attempt, "audit append failed; retrying");
                        tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                    }
                    Err(e) => {
                        counters.dropped.inc_by(n);
                        tracing::error!(error = %e, events = n, "audit append failed; events dropped");
                        break;
                    }
                }
            }
        }
        for a in acks {
            let _ = a.send(());
        }
    }
}
