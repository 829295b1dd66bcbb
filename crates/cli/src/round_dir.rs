//! The round folder on disk, as the commands use it: `custodia_round` over [`FsBlobs`], with the
//! library's progress reports drawn as this terminal's bars.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use anyhow::Result;
use custodia_events::{Clock as _, SystemClock};
use custodia_round::{FsBlobs, Progress};
use custodia_sumtree::RoundManifest;
use indicatif::ProgressBar;

use crate::output::Output;

/// The round folder at `dir`.
pub fn open(dir: &Path) -> FsBlobs {
    FsBlobs::new(dir)
}

/// Reads and checks `dir/round.json`.
pub fn load_manifest(dir: &Path) -> Result<RoundManifest> {
    Ok(custodia_round::load_manifest(&open(dir))?)
}

/// The current time as a round's snapshot time (RFC 3339 UTC, to the second).
pub fn now_rfc3339() -> String {
    custodia_round::snapshot_time(SystemClock.now())
}

/// [`Progress`] as a bar (known length) or a spinner, hidden when [`Output`] hides progress.
pub struct Bars<'a> {
    out: &'a Output,
    current: Mutex<Option<ProgressBar>>,
}

impl<'a> Bars<'a> {
    pub fn new(out: &'a Output) -> Self {
        Self {
            out,
            current: Mutex::new(None),
        }
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Progress for Bars<'_> {
    fn begin(&self, what: &str, steps: Option<u64>) {
        let bar = match steps {
            Some(n) => self.out.bar(n, what),
            None => self.out.spinner(what),
        };
        if let Some(old) = self.current().replace(bar) {
            old.finish_and_clear();
        }
    }

    fn step(&self) {
        if let Some(bar) = self.current().as_ref() {
            bar.inc(1);
        }
    }

    fn end(&self) {
        if let Some(bar) = self.current().take() {
            bar.finish_and_clear();
        }
    }
}
