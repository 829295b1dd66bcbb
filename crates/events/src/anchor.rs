//! The anchored log: the chain checked against signed checkpoints (stored, from the external
//! copy, and the head an operator wrote down), checkpoints made on a schedule, and retention
//! that prunes only up to a signed checkpoint.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::{
    Anchor, ChainReport, ChainVerifier, Checkpoint, CheckpointKey, CheckpointPublicKey,
    CheckpointReader, CheckpointWriter, Clock, Digest, EventError, EventPayload, EventReader,
    GENESIS_HASH, NewEvent, RepoError, RepoResult,
};

/// Where a checkpoint the log is checked against came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointSource {
    /// The database's checkpoint table.
    Stored,
    /// The external JSON-lines copy, at this 1-based line.
    External {
        /// Line number.
        line: usize,
    },
    /// The head an operator recorded elsewhere (`--expect-head`).
    ExpectedHead,
    /// The retention anchor.
    Anchor,
}

impl fmt::Display for CheckpointSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stored => f.write_str("stored checkpoint"),
            Self::External { line } => write!(f, "checkpoint file line {line}"),
            Self::ExpectedHead => f.write_str("expected head"),
            Self::Anchor => f.write_str("retention anchor"),
        }
    }
}

/// One way the log disagrees with what was signed or recorded about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A checkpoint's signature does not verify under the trusted key.
    ForgedCheckpoint {
        /// Its seq.
        seq: u64,
        /// Where it came from.
        source: CheckpointSource,
    },
    /// A checkpoint names another signing key than the trusted one.
    WrongKey {
        /// Its seq.
        seq: u64,
        /// Where it came from.
        source: CheckpointSource,
        /// The key it names.
        got: CheckpointPublicKey,
    },
    /// The log ends before a checkpointed seq: its tail was removed.
    Truncated {
        /// The checkpointed seq.
        seq: u64,
        /// Where the checkpoint came from.
        source: CheckpointSource,
        /// The log's head seq.
        head_seq: u64,
    },
    /// The event at a checkpointed seq has another hash: the chain was rewritten up to there.
    Recomputed {
        /// The checkpointed seq.
        seq: u64,
        /// Where the checkpoint came from.
        source: CheckpointSource,
        /// The hash the checkpoint records.
        expected: Digest,
        /// The hash in the log.
        got: Digest,
    },
    /// A checkpoint of the external file is not in the database: checkpoint rows were deleted.
    MissingFromStore {
        /// Its seq.
        seq: u64,
        /// Its line in the file.
        line: usize,
    },
    /// The database's checkpoint at a seq differs from the external file's.
    DiffersFromStore {
        /// Its seq.
        seq: u64,
        /// Its line in the file.
        line: usize,
    },
    /// The retention anchor names a seq with no stored checkpoint.
    AnchorMissing {
        /// The anchor's seq.
        seq: u64,
    },
    /// The expected head is below the retention anchor: those events were pruned.
    BelowAnchor {
        /// The expected seq.
        seq: u64,
        /// The anchor's seq.
        anchor_seq: u64,
    },
}

impl Finding {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ForgedCheckpoint { .. } => "forged_checkpoint",
            Self::WrongKey { .. } => "wrong_key",
            Self::Truncated { .. } => "truncated",
            Self::Recomputed { .. } => "recomputed",
            Self::MissingFromStore { .. } => "checkpoint_deleted",
            Self::DiffersFromStore { .. } => "checkpoint_differs",
            Self::AnchorMissing { .. } => "anchor_missing",
            Self::BelowAnchor { .. } => "below_anchor",
        }
    }

    /// The seq it is about.
    pub fn seq(&self) -> u64 {
        match self {
            Self::ForgedCheckpoint { seq, .. }
            | Self::WrongKey { seq, .. }
            | Self::Truncated { seq, .. }
            | Self::Recomputed { seq, .. }
            | Self::MissingFromStore { seq, .. }
            | Self::DiffersFromStore { seq, .. }
            | Self::AnchorMissing { seq }
            | Self::BelowAnchor { seq, .. } => *seq,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ForgedCheckpoint { seq, source } => write!(
                f,
                "{source} at seq {seq} has an invalid signature: it was forged or altered"
            ),
            Self::WrongKey { seq, source, got } => write!(
                f,
                "{source} at seq {seq} is signed by key {got}, not the trusted key"
            ),
            Self::Truncated {
                seq,
                source,
                head_seq,
            } => write!(
                f,
                "{source} names seq {seq} but the log ends at seq {head_seq}: events were \
                 removed from the end of the log (truncated)"
            ),
            Self::Recomputed {
                seq,
                source,
                expected,
                got,
            } => write!(
                f,
                "{source} records hash {expected} at seq {seq} but the log has {got}: the \
                 chain was rewritten up to seq {seq} (recomputed)"
            ),
            Self::MissingFromStore { seq, line } => write!(
                f,
                "checkpoint at seq {seq} (checkpoint file line {line}) is missing from the \
                 database: checkpoint rows were deleted"
            ),
            Self::DiffersFromStore { seq, line } => write!(
                f,
                "checkpoint at seq {seq} (checkpoint file line {line}) differs from the \
                 database's copy"
            ),
            Self::AnchorMissing { seq } => write!(
                f,
                "the retention anchor is at seq {seq} but no checkpoint is stored there: the \
                 start of the remaining chain is not signed"
            ),
            Self::BelowAnchor { seq, anchor_seq } => write!(
                f,
                "expected head seq {seq} is below the retention anchor at seq {anchor_seq}: \
                 those events were pruned and cannot be compared"
            ),
        }
    }
}

/// What to check the log against, besides its own chain.
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyOptions<'a> {
    /// The trusted checkpoint keys (the current one, and any retired by a rotation): every
    /// stored checkpoint and the anchor must carry a valid signature by one of them. Empty:
    /// checkpoints are still compared with the chain, but a forger could have written them.
    pub keys: &'a [CheckpointPublicKey],
    /// The external copy of the checkpoints, with line numbers ([`crate::parse_checkpoint_log`]).
    pub external: &'a [(usize, Checkpoint)],
    /// A head an operator recorded elsewhere: `(seq, hash)`.
    pub expect_head: Option<(u64, Digest)>,
}

/// The outcome of [`verify_anchored`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchoredReport {
    /// The chain from the anchor to the head.
    pub chain: ChainReport,
    /// The retention anchor the chain was checked from.
    pub anchor: Anchor,
    /// The newest stored checkpoint.
    pub latest_checkpoint: Option<Checkpoint>,
    /// Stored checkpoints read.
    pub stored_checkpoints: u64,
    /// Checkpoints in the external copy.
    pub external_checkpoints: u64,
    /// Checkpointed seqs compared with the log's hashes (at or above the anchor).
    pub compared: u64,
    /// Checkpoints below the anchor (their events were pruned; nothing to compare).
    pub below_anchor: u64,
    /// Whether signatures were checked (a trusted key was given).
    pub signatures_checked: bool,
    /// Everything that disagrees, in the order found.
    pub findings: Vec<Finding>,
}

impl AnchoredReport {
    /// The chain is intact and nothing disagrees with it.
    pub fn is_intact(&self) -> bool {
        self.chain.is_intact() && self.findings.is_empty()
    }
}

/// Checkpoints read per page.
const CHECKPOINT_PAGE: u32 = 1000;

/// Checks the log from its retention anchor to its head, and against every checkpoint and the
/// expected head in `opts`: a truncated tail (a checkpointed seq beyond the head), a recomputed
/// chain (another hash at a checkpointed seq), forged checkpoints (bad signature or key) and
/// checkpoint rows deleted from the database (present in the external copy only).
///
/// # Security
///
/// Only as strong as the key and the copies kept off the database: without `opts.keys`, someone
/// who can write the database can also write matching checkpoints; without the external copy or
/// an expected head, deleting the checkpoint rows along with the tail goes unnoticed.
pub async fn verify_anchored<L: EventReader + CheckpointReader>(
    log: &L,
    opts: &VerifyOptions<'_>,
) -> RepoResult<AnchoredReport> {
    // A prune that runs during the walk deletes rows ahead of it; a break with a moved anchor
    // is that race, not tampering, and one more walk from the new anchor settles it.
    let first = verify_once(log, opts).await?;
    if !first.chain.is_intact() && log.anchor().await?.seq != first.anchor.seq {
        return verify_once(log, opts).await;
    }
    Ok(first)
}

struct Expect {
    hash: Digest,
    source: CheckpointSource,
}

async fn verify_once<L: EventReader + CheckpointReader>(
    log: &L,
    opts: &VerifyOptions<'_>,
) -> RepoResult<AnchoredReport> {
    let mut findings = Vec::new();
    let check_sig = |c: &Checkpoint, source, findings: &mut Vec<Finding>| -> bool {
        if opts.keys.is_empty() {
            return true;
        }
        // The checkpoint names its key; only a trusted one is tried.
        let key = opts
            .keys
            .iter()
            .find(|k| **k == c.key)
            .unwrap_or(&opts.keys[0]);
        match c.verify(key) {
            Ok(()) => true,
            Err(EventError::CheckpointWrongKey { .. }) => {
                findings.push(Finding::WrongKey {
                    seq: c.seq,
                    source,
                    got: c.key,
                });
                false
            }
            Err(_) => {
                findings.push(Finding::ForgedCheckpoint { seq: c.seq, source });
                false
            }
        }
    };

    let anchor = log.anchor().await?;
    let anchor_hash = match (&anchor.checkpoint, anchor.seq) {
        (_, 0) => Some(GENESIS_HASH),
        (Some(c), _) => {
            check_sig(c, CheckpointSource::Anchor, &mut findings);
            Some(c.head)
        }
        (None, seq) => {
            findings.push(Finding::AnchorMissing { seq });
            None
        }
    };

    // Every checkpointed (seq, hash), by seq.
    let mut expect: BTreeMap<u64, Vec<Expect>> = BTreeMap::new();
    let mut stored: BTreeMap<u64, Checkpoint> = BTreeMap::new();
    let mut stored_count = 0;
    let mut after = 0;
    loop {
        let page = log.checkpoints_after(after, CHECKPOINT_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for c in page {
            stored_count += 1;
            if check_sig(&c, CheckpointSource::Stored, &mut findings) {
                expect.entry(c.seq).or_default().push(Expect {
                    hash: c.head,
                    source: CheckpointSource::Stored,
                });
            }
            if !opts.external.is_empty() {
                stored.insert(c.seq, c);
            }
        }
    }
    for (line, c) in opts.external {
        let source = CheckpointSource::External { line: *line };
        if !check_sig(c, source, &mut findings) {
            continue;
        }
        // Rows below the anchor are pruned on purpose; the anchor itself must stay.
        if c.seq >= anchor.seq {
            match stored.get(&c.seq) {
                None => findings.push(Finding::MissingFromStore {
                    seq: c.seq,
                    line: *line,
                }),
                Some(s) if s != c => findings.push(Finding::DiffersFromStore {
                    seq: c.seq,
                    line: *line,
                }),
                Some(_) => {}
            }
        }
        expect.entry(c.seq).or_default().push(Expect {
            hash: c.head,
            source,
        });
    }
    drop(stored);
    if let Some((seq, hash)) = opts.expect_head {
        if seq < anchor.seq {
            findings.push(Finding::BelowAnchor {
                seq,
                anchor_seq: anchor.seq,
            });
        } else {
            expect.entry(seq).or_default().push(Expect {
                hash,
                source: CheckpointSource::ExpectedHead,
            });
        }
    }

    // Below the anchor there is nothing left to compare; at the anchor, its signed head.
    let mut compared = 0;
    let mut below_anchor = 0;
    let above = expect.split_off(&(anchor.seq + 1));
    for (seq, list) in expect {
        if seq < anchor.seq {
            below_anchor += list.len() as u64;
            continue;
        }
        for x in list {
            compared += 1;
            if let Some(h) = anchor_hash
                && h != x.hash
            {
                findings.push(Finding::Recomputed {
                    seq,
                    source: x.source,
                    expected: x.hash,
                    got: h,
                });
            }
        }
    }
    let mut expect = above;

    // The walk: the anchor's signed head links to the first remaining event.
    let mut v = match anchor_hash {
        Some(h) => ChainVerifier::after(anchor.seq, h),
        None => {
            // Unsigned start (already reported): link to whatever the first row claims, so the
            // rest of the chain is still checked.
            let first = log.events_after(anchor.seq, 1).await?;
            let prev = first.first().map_or(GENESIS_HASH, |e| e.prev_hash);
            ChainVerifier::after(anchor.seq, prev)
        }
    };
    let mut after = anchor.seq;
    'walk: loop {
        let page = log.events_after(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in &page {
            if v.push(e).is_err() {
                break 'walk;
            }
            if let Entry::Occupied(o) = expect.entry(e.seq) {
                for x in o.remove() {
                    compared += 1;
                    if x.hash != e.hash {
                        findings.push(Finding::Recomputed {
                            seq: e.seq,
                            source: x.source,
                            expected: x.hash,
                            got: e.hash,
                        });
                    }
                }
            }
        }
    }
    let broken = v.is_broken();
    let head = log.head().await?;
    let head = if head.0 < anchor.seq {
        (anchor.seq, anchor_hash.unwrap_or(GENESIS_HASH))
    } else {
        head
    };
    let chain = v.finish(Some(head));
    // Past the head: removed. After a break, the chain failure is the finding that matters.
    if !broken {
        for (seq, list) in expect {
            for x in list {
                findings.push(Finding::Truncated {
                    seq,
                    source: x.source,
                    head_seq: chain.head_seq,
                });
            }
        }
    }
    Ok(AnchoredReport {
        chain,
        anchor,
        latest_checkpoint: log.latest_checkpoint().await?,
        stored_checkpoints: stored_count,
        external_checkpoints: opts.external.len() as u64,
        compared,
        below_anchor,
        signatures_checked: !opts.keys.is_empty(),
        findings,
    })
}

/// What [`write_checkpoint`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointOutcome {
    /// A new checkpoint was signed and stored.
    Written(Box<Checkpoint>),
    /// The head has not moved since the latest checkpoint (or the log is empty).
    Unchanged {
        /// The head seq.
        head_seq: u64,
    },
    /// Another instance stored a checkpoint at this seq first.
    Raced {
        /// The head seq.
        head_seq: u64,
    },
    /// The log's head is below the latest checkpoint: the log was truncated. Nothing is
    /// signed (signing the shorter head would paper over it).
    HeadBehind {
        /// The head seq.
        head_seq: u64,
        /// The latest checkpoint's seq.
        checkpoint_seq: u64,
    },
}

/// Signs and stores the log's head if it moved since the latest checkpoint.
pub async fn write_checkpoint<L: EventReader + CheckpointReader + CheckpointWriter>(
    log: &L,
    key: &CheckpointKey,
    clock: &dyn Clock,
) -> RepoResult<CheckpointOutcome> {
    let (head_seq, head_hash) = log.head().await?;
    let latest = log.latest_checkpoint().await?.map_or(0, |c| c.seq);
    if head_seq < latest {
        return Ok(CheckpointOutcome::HeadBehind {
            head_seq,
            checkpoint_seq: latest,
        });
    }
    if head_seq == latest {
        return Ok(CheckpointOutcome::Unchanged { head_seq });
    }
    let c = key.sign(head_seq, head_hash, clock.now());
    Ok(if log.add_checkpoint(&c).await? {
        CheckpointOutcome::Written(Box::new(c))
    } else {
        CheckpointOutcome::Raced { head_seq }
    })
}

/// The record of a retention prune: the anchor moved to a checkpoint; events up to it may be
/// deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsPruned {
    /// The new anchor's seq: events at or below it are deleted.
    pub through_seq: u64,
    /// The anchor before.
    pub previous_anchor_seq: u64,
    /// The new anchor's signed head hash, hex.
    pub head_hash: String,
    /// When that checkpoint was made.
    pub checkpoint_time_ms: i64,
    /// The retention cutoff: everything pruned is older.
    pub cutoff_ms: i64,
}

impl EventPayload for EventsPruned {
    const KIND: &'static str = "audit.events_pruned";
}

/// What [`prune_expired`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PruneReport {
    /// The checkpoint the anchor moved to, if it moved.
    pub anchored: Option<Checkpoint>,
    /// Events deleted.
    pub deleted: u64,
    /// Nothing is left at or below the anchor; `false` when the run stopped after `max_batches`
    /// (call again: the deletions continue where they stopped).
    pub complete: bool,
}

/// Retention: moves the anchor to the newest checkpoint older than `keep_ms` (see
/// [`CheckpointWriter::prunable_checkpoint`]) and deletes the events up to it, at most
/// `max_batches` transactions of `batch` rows per call, so a caller can stop between calls (a
/// first run over a large backlog). A checkpoint that `trusted` did not sign never becomes the
/// anchor (a forged row must not delete the log). Deletion left unfinished (a crash, the batch
/// limit) is finished by the next calls.
pub async fn prune_expired<L: CheckpointReader + CheckpointWriter>(
    log: &L,
    clock: &dyn Clock,
    trusted: &CheckpointPublicKey,
    keep_ms: i64,
    batch: u32,
    max_batches: u32,
) -> RepoResult<PruneReport> {
    let now = clock.now();
    let cutoff = now.minus_millis(keep_ms);
    let mut report = PruneReport::default();
    if let Some(c) = log.prunable_checkpoint(cutoff).await? {
        c.verify(trusted)
            .map_err(|e| RepoError::corrupt("audit_checkpoints", e))?;
        let previous = log.anchor().await?.seq;
        let payload = EventsPruned {
            through_seq: c.seq,
            previous_anchor_seq: previous,
            head_hash: c.head.to_hex(),
            checkpoint_time_ms: c.time.as_millis(),
            cutoff_ms: cutoff.as_millis(),
        };
        let event = NewEvent::typed(now, "system:retention", "audit:events", &payload);
        match log.move_anchor(&c, event).await {
            Ok(()) => report.anchored = Some(c),
            // Another instance moved the anchor there (or further) first: its deletions and
            // ours below are the same work.
            Err(RepoError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let batch = batch.max(1);
    for _ in 0..max_batches.max(1) {
        let n = log.prune_below_anchor(batch).await?;
        report.deleted += n;
        if n < u64::from(batch) {
            report.complete = true;
            break;
        }
    }
    Ok(report)
}
