//! The report as data: what the renderers draw and what `report verify` compares.

use custodia_events::Figure;
use serde::Serialize;

use crate::por::PorSection;

/// The format tag of the JSON form; a reader refuses any other.
pub const REPORT_FORMAT: &str = "custodia-report/1";

/// One month's security report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// [`REPORT_FORMAT`].
    pub format: &'static str,
    /// The exchange's name, as configured.
    pub exchange: String,
    /// `YYYY-MM`.
    pub month: String,
    /// The month's first instant (UTC, inclusive).
    pub from: String,
    /// The next month's first instant (UTC, exclusive).
    pub to: String,
    /// The event log the figures were folded from.
    pub chain: ChainRef,
    /// Proof of reserves and proof of assets; `None` when no round was given.
    pub por: Option<PorSection>,
    /// The service sections, in the order the binary listed them.
    pub sections: Vec<Section>,
    /// The questions customers ask, answered with this month's facts.
    pub faq: Vec<FaqEntry>,
}

/// Where in the event log the report stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainRef {
    /// Events with a seq above this were not read, whenever they happened.
    pub through_seq: u64,
    /// The hash of the event at `through_seq` (64 hex digits; zeros for an empty log).
    pub head_hash: String,
    /// The newest signed checkpoint at or below `through_seq`, if any.
    pub checkpoint: Option<CheckpointRef>,
}

/// A signed checkpoint the report cites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointRef {
    /// The checkpointed seq.
    pub seq: u64,
    /// The chain head hash it signs.
    pub head_hash: String,
    /// When it was made.
    pub time: String,
    /// The ed25519 public key that signed it (64 hex digits).
    pub public_key: String,
    /// The signature (128 hex digits).
    pub signature: String,
}

/// Events behind a figure or a section: how many, and the first and last seq.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Trace {
    /// Event kinds counted.
    pub kinds: Vec<String>,
    /// Events of those kinds in the month (up to `through_seq`).
    pub events: u64,
    /// The first of them.
    pub first_seq: Option<u64>,
    /// The last of them.
    pub last_seq: Option<u64>,
}

/// One figure of a section and the events behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionFigure {
    /// The figure as the service's tally computed it.
    #[serde(flatten)]
    pub figure: Figure,
    /// The events of its kinds in the month.
    pub trace: Trace,
}

/// One section of the report (a service, or part of one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    /// Stable id (`fund`, `login`, `api_keys`…).
    pub id: String,
    /// Heading.
    pub title: String,
    /// One sentence on what the section measures.
    pub about: String,
    /// Whether any of its events were recorded in the month. When `false` the section has no
    /// figures and says so: a service that recorded nothing never shows a number.
    pub recorded: bool,
    /// All the section's events.
    pub trace: Trace,
    /// Its figures (empty when nothing was recorded).
    pub figures: Vec<SectionFigure>,
}

impl Section {
    /// The figure with this key.
    pub fn figure(&self, key: &str) -> Option<&Figure> {
        self.figures
            .iter()
            .map(|f| &f.figure)
            .find(|f| f.key == key)
    }
}

impl Report {
    /// The section with this id.
    pub fn section(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == id)
    }

    /// The figure with this key, in whichever section holds it.
    pub fn figure(&self, key: &str) -> Option<&Figure> {
        self.sections.iter().find_map(|s| s.figure(key))
    }

    /// The JSON form: pretty-printed, fields in a fixed order, a final newline. The same report
    /// always gives the same bytes.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a report serialises");
        s.push('\n');
        s
    }
}

/// A question and this month's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaqEntry {
    /// The question.
    pub question: String,
    /// The answer, built from the month's figures.
    pub answer: String,
    /// The figure keys (or `por.*` fields) the answer quotes.
    pub sources: Vec<String>,
}
