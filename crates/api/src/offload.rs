//! CPU-heavy work (Argon2, rebuilding large indexes) on tokio's blocking pool, optionally
//! limited to a number of lanes so a burst cannot occupy every thread.

use std::future::Future;
use std::sync::Arc;

use custodia_events::{Offload, Offloaded, Work};
use tokio::sync::Semaphore;

/// The runtime's blocking pool as an [`Offload`]. Cheap to clone; clones share the lanes.
#[derive(Clone, Debug)]
pub struct Blocking {
    lanes: Option<Arc<Semaphore>>,
}

impl Blocking {
    /// No limit beyond the blocking pool's own.
    pub fn unlimited() -> Self {
        Self { lanes: None }
    }

    /// At most `lanes` jobs at once (the others wait their turn).
    pub fn with_lanes(lanes: usize) -> Self {
        Self {
            lanes: Some(Arc::new(Semaphore::new(lanes.max(1)))),
        }
    }

    /// One lane per available CPU.
    pub fn per_cpu() -> Self {
        Self::with_lanes(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

impl Offload for Blocking {
    fn run<T: Send + 'static>(
        &self,
        work: Work<T>,
    ) -> impl Future<Output = Result<T, Offloaded>> + Send {
        // Owned from here on: the future borrows nothing, so it is `Send` for any caller.
        let lanes = self.lanes.clone();
        async move {
            let _permit = match lanes {
                Some(s) => Some(
                    s.acquire_owned()
                        .await
                        .map_err(|_| Offloaded("worker lanes closed".into()))?,
                ),
                None => None,
            };
            tokio::task::spawn_blocking(work)
                .await
                .map_err(|e| Offloaded(format!("worker task: {e}")))
        }
    }
}
