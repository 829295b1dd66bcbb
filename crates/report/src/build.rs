//! Folding the month's events through the sections' tallies, pinned to a chain head.

use std::collections::BTreeMap;

use custodia_events::{
    CheckpointReader, Event, EventReader, FOLD_PAGE, Figure, FigureValue, GENESIS_HASH, Tally,
};

use crate::model::{ChainRef, CheckpointRef, Report, Section, SectionFigure, Trace};
use crate::por::PorSection;
use crate::{Month, REPORT_FORMAT, ReportError, faq};

/// One section of the report, as the binary defines it.
pub struct SectionSpec {
    /// Stable id (`fund`).
    pub id: &'static str,
    /// Heading.
    pub title: &'static str,
    /// One sentence on what it measures.
    pub about: &'static str,
    /// Figure-key prefixes the section keeps from its tally (empty: all). Two sections can
    /// split one service's figures by giving each its own tally and prefixes.
    pub keys: &'static [&'static str],
    /// The service's tally, fresh.
    pub tally: Box<dyn Tally + Send>,
}

impl std::fmt::Debug for SectionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SectionSpec")
            .field("id", &self.id)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// Where a recomputation stands: the head seq and the checkpoint an earlier report cited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    /// Read events up to this seq only.
    pub through_seq: u64,
    /// Cite exactly this checkpoint (`None`: the report cited none).
    pub checkpoint_seq: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default)]
struct KindStats {
    events: u64,
    first: Option<u64>,
    last: Option<u64>,
}

impl KindStats {
    fn add(&mut self, seq: u64) {
        self.events += 1;
        self.first.get_or_insert(seq);
        self.last = Some(seq);
    }
}

/// Builds the report for `month`: every event of the sections' kinds with a time in the month
/// and a seq up to the pin (the current head when `pin` is `None`) is folded through the
/// sections' tallies; `por` is the round section already read from its public folder.
pub async fn build<L>(
    log: &L,
    exchange: &str,
    month: Month,
    pin: Option<Pin>,
    por: Option<PorSection>,
    mut sections: Vec<SectionSpec>,
) -> Result<Report, ReportError>
where
    L: EventReader + CheckpointReader,
{
    let (head_seq, _) = log.head().await?;
    let through = match pin {
        Some(p) if p.through_seq > head_seq => {
            return Err(ReportError::PinBeyondHead {
                pinned: p.through_seq,
                head: head_seq,
            });
        }
        Some(p) => p.through_seq,
        None => head_seq,
    };
    let chain = ChainRef {
        through_seq: through,
        head_hash: hash_at(log, through).await?,
        checkpoint: checkpoint(log, through, pin).await?,
    };

    let mut kinds: Vec<&'static str> = sections
        .iter()
        .flat_map(|s| s.tally.kinds().iter().copied())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut stats: BTreeMap<String, KindStats> = BTreeMap::new();
    if !kinds.is_empty() {
        let mut after = 0u64;
        'pages: loop {
            let page: Vec<Event> = log
                .events_of_kinds(&kinds, month.start(), month.end(), after, FOLD_PAGE)
                .await?;
            for e in &page {
                if e.seq > through {
                    break 'pages;
                }
                let kind = e.body.kind.as_str();
                stats.entry(kind.to_owned()).or_default().add(e.seq);
                for s in sections.iter_mut() {
                    if s.tally.kinds().contains(&kind) {
                        s.tally.record(e);
                    }
                }
                after = e.seq;
            }
            if page.len() < FOLD_PAGE as usize {
                break;
            }
        }
    }

    let sections: Vec<Section> = sections.iter().map(|s| section(s, &stats)).collect();
    let mut report = Report {
        format: REPORT_FORMAT,
        exchange: exchange.to_owned(),
        month: month.to_string(),
        from: month.start().to_iso8601_millis(),
        to: month.end().to_iso8601_millis(),
        chain,
        por,
        sections,
        faq: Vec::new(),
    };
    report.faq = faq::answers(&report, month);
    Ok(report)
}

fn trace_of<'a>(
    kinds: impl IntoIterator<Item = &'a str>,
    stats: &BTreeMap<String, KindStats>,
) -> Trace {
    let mut kinds: Vec<String> = kinds.into_iter().map(str::to_owned).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut t = Trace {
        kinds,
        ..Trace::default()
    };
    for k in &t.kinds {
        if let Some(s) = stats.get(k) {
            t.events += s.events;
            t.first_seq = min_opt(t.first_seq, s.first);
            t.last_seq = t.last_seq.max(s.last);
        }
    }
    t
}

fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn is_nonzero_malformed(f: &Figure) -> bool {
    f.key.ends_with(".malformed_events") && !matches!(f.value, FigureValue::Count { n: 0 })
}

fn section(spec: &SectionSpec, stats: &BTreeMap<String, KindStats>) -> Section {
    let kept: Vec<Figure> = spec
        .tally
        .figures()
        .into_iter()
        .filter(|f| {
            spec.keys.is_empty()
                || spec.keys.iter().any(|p| f.key.starts_with(p))
                || is_nonzero_malformed(f)
        })
        .collect();
    // The section's events: those behind the figures it keeps (a section that shows part of a
    // service's figures does not claim the rest of its events).
    let trace = if spec.keys.is_empty() {
        trace_of(spec.tally.kinds().iter().copied(), stats)
    } else {
        trace_of(kept.iter().flat_map(|f| f.kinds.iter().copied()), stats)
    };
    let recorded = trace.events > 0;
    let figures = if recorded {
        kept.into_iter()
            .map(|f| {
                let trace = trace_of(f.kinds.iter().copied(), stats);
                SectionFigure { figure: f, trace }
            })
            .collect()
    } else {
        Vec::new()
    };
    Section {
        id: spec.id.to_owned(),
        title: spec.title.to_owned(),
        about: spec.about.to_owned(),
        recorded,
        trace,
        figures,
    }
}

async fn hash_at<L: EventReader>(log: &L, seq: u64) -> Result<String, ReportError> {
    if seq == 0 {
        return Ok(GENESIS_HASH.to_hex());
    }
    let got = log.events_after(seq - 1, 1).await?;
    match got.first() {
        Some(e) if e.seq == seq => Ok(e.hash.to_hex()),
        _ => Err(ReportError::HeadGone { seq }),
    }
}

async fn checkpoint<L: CheckpointReader>(
    log: &L,
    through: u64,
    pin: Option<Pin>,
) -> Result<Option<CheckpointRef>, ReportError> {
    let wanted = pin.map(|p| p.checkpoint_seq);
    let mut best = None;
    let mut after = 0u64;
    loop {
        let page = log.checkpoints_after(after, 1000).await?;
        for c in &page {
            after = c.seq;
            let fits = match wanted {
                Some(Some(seq)) => c.seq == seq,
                Some(None) => false,
                None => c.seq <= through,
            };
            if fits {
                best = Some(c.clone());
            }
        }
        if page.len() < 1000 {
            break;
        }
    }
    if let (Some(Some(seq)), None) = (wanted, &best) {
        return Err(ReportError::CheckpointGone { seq });
    }
    Ok(best.map(|c| CheckpointRef {
        seq: c.seq,
        head_hash: c.head.to_hex(),
        time: c.time.to_iso8601_millis(),
        public_key: c.key.to_hex(),
        signature: hex::encode(c.signature),
    }))
}
