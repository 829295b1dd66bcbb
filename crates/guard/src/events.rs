//! What the guard records in the event log, and the counts the monthly report computes from it.
//!
//! The service writes one event per decision with the kinds below and the payload structs as
//! JSON objects (`custodia_events::Payload::from_value(&serde_json::to_value(p)?)`). The report
//! folds events back with [`GuardStats::record`]. Payloads hold addresses and hosts, never user
//! secrets; the subject of an event (`user:<id>`) says whose decision it was.

use std::collections::{BTreeMap, BTreeSet};

use custodia_events::{Event, EventPayload, Figure, NewEvent, Tally, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::{DomainVerdict, RiskLevel};
use crate::poisoning::PoisoningMatch;
use crate::{Address, Category, Chain, GuardError, Import, Screening};

/// Event kinds (`EventKind` names) the guard writes.
pub mod kinds {
    /// An address was screened against the blacklists (payload [`super::AddressScreened`]).
    pub const ADDRESS_SCREENED: &str = "guard.address_screened";
    /// A host was checked (payload [`super::DomainChecked`]).
    pub const DOMAIN_CHECKED: &str = "guard.domain_checked";
    /// A destination was flagged as a poisoning look-alike (payload
    /// [`super::PoisoningFlagged`]).
    pub const POISONING_FLAGGED: &str = "guard.poisoning_flagged";
    /// A list was imported (payload [`super::ListImported`]).
    pub const LIST_IMPORTED: &str = "guard.list_imported";
    /// One batch call's checks, or one poisoning check, clean ones included (payload
    /// [`super::ChecksCounted`]): what the report's "addresses screened" and "domains checked"
    /// count.
    pub const CHECKS_COUNTED: &str = "guard.checks_counted";
    /// An offline snapshot was published (payload: version, SHA-256, size and section counts;
    /// written by the service, not folded into [`super::GuardStats`]).
    pub const SNAPSHOT_PUBLISHED: &str = "guard.snapshot_published";
}

/// Why an address was screened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreenContext {
    /// A user's withdrawal destination.
    Withdrawal,
    /// The source of an incoming deposit.
    Deposit,
    /// A wallet or extension asked before signing a transaction.
    Transaction,
    /// An operator or API lookup.
    Lookup,
}

/// Payload of [`kinds::ADDRESS_SCREENED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressScreened {
    /// Chain family.
    pub chain: Chain,
    /// Canonical address.
    pub address: Address,
    /// Why it was screened.
    pub context: ScreenContext,
    /// Categories of the lists naming it (empty: clean).
    pub categories: Vec<Category>,
    /// Sources naming it.
    pub sources: Vec<String>,
    /// Whether the user was shown a risk warning (or the transaction was blocked).
    pub warning_shown: bool,
}

impl AddressScreened {
    /// The payload for a screening; `warning_shown` defaults to "listed".
    pub fn from_screening(s: &Screening, context: ScreenContext) -> AddressScreened {
        let mut categories: Vec<Category> = s.hits.iter().map(|h| h.category).collect();
        categories.sort();
        categories.dedup();
        let mut sources: Vec<String> = s.hits.iter().map(|h| h.source.clone()).collect();
        sources.sort();
        sources.dedup();
        AddressScreened {
            chain: s.address.chain(),
            address: s.address,
            context,
            categories,
            sources,
            warning_shown: s.is_listed(),
        }
    }
}

/// Payload of [`kinds::DOMAIN_CHECKED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainChecked {
    /// Host (ASCII).
    pub host: String,
    /// Registrable domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registrable: Option<String>,
    /// The verdict's level.
    pub level: RiskLevel,
    /// Ids of the rules that fired, strongest first.
    pub rules: Vec<String>,
    /// The brand imitated, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Whether the user was shown a warning page.
    pub warning_shown: bool,
}

impl DomainChecked {
    /// The payload for a verdict; `warning_shown` defaults to "high or very high".
    pub fn from_verdict(v: &DomainVerdict) -> DomainChecked {
        DomainChecked {
            host: v.host.clone(),
            registrable: v.registrable.clone(),
            level: v.level,
            rules: v.reasons.iter().map(|r| r.rule.id().to_owned()).collect(),
            brand: v.brand().map(str::to_owned),
            warning_shown: v.level.is_alert(),
        }
    }
}

/// Payload of [`kinds::CHECKS_COUNTED`]: how many items one batch call (or one poisoning check)
/// checked, by outcome. Alerts also get their own events ([`AddressScreened`],
/// [`DomainChecked`], [`PoisoningFlagged`]); this one makes the report count checks as checks
/// without an event per clean item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecksCounted {
    /// Addresses screened (well-formed ones).
    pub addresses: u64,
    /// Of those, listed.
    pub addresses_listed: u64,
    /// Hosts checked (well-formed ones).
    pub domains: u64,
    /// Of those, by level (`none` is `domains` minus these).
    pub domain_levels: LevelCounts,
    /// Withdrawal destinations compared with the user's counterparties (address-poisoning
    /// checks); the flags are [`PoisoningFlagged`] events. Absent in events recorded before it
    /// was counted (read as 0).
    #[serde(default)]
    pub poisoning: u64,
}

/// Payload of [`kinds::POISONING_FLAGGED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoisoningFlagged {
    /// Chain family.
    pub chain: Chain,
    /// The look-alike destination.
    pub lookalike: Address,
    /// The counterparty it imitates.
    pub imitates: Address,
    /// Matching leading characters.
    pub prefix_len: usize,
    /// Matching trailing characters.
    pub suffix_len: usize,
    /// Whether the user was warned (or the withdrawal held).
    pub warning_shown: bool,
}

impl From<&PoisoningMatch> for PoisoningFlagged {
    fn from(m: &PoisoningMatch) -> Self {
        PoisoningFlagged {
            chain: m.lookalike.chain(),
            lookalike: m.lookalike,
            imitates: m.imitates,
            prefix_len: m.prefix_len,
            suffix_len: m.suffix_len,
            warning_shown: true,
        }
    }
}

/// What a list import is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    /// Addresses.
    Addresses,
    /// Blocked hosts.
    BlockedDomains,
    /// Allowed hosts.
    AllowedDomains,
}

/// Payload of [`kinds::LIST_IMPORTED`]: how the lists grew (the report's "addresses recorded").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListImported {
    /// Source name.
    pub source: String,
    /// What was imported.
    pub kind: ListKind,
    /// Valid entries read.
    pub accepted: u64,
    /// Entries not listed before this import, per category.
    pub added: BTreeMap<Category, u64>,
    /// Malformed entries rejected.
    pub rejected: u64,
    /// Entries for unsupported chains.
    pub unsupported: u64,
}

impl ListImported {
    /// The payload for an import; `added` is filled by the caller from what the index reported
    /// as new.
    pub fn from_import<T>(source: &str, kind: ListKind, import: &Import<T>) -> ListImported {
        ListImported {
            source: source.to_owned(),
            kind,
            accepted: import.entries.len() as u64,
            added: BTreeMap::new(),
            rejected: import.rejected.len() as u64,
            unsupported: import.unsupported.len() as u64,
        }
    }
}

/// Payload of [`kinds::SNAPSHOT_PUBLISHED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotPublished {
    /// Data version.
    pub version: u64,
    /// Creation time written in the snapshot (Unix seconds).
    pub created: u64,
    /// Hex SHA-256 of the file as served.
    pub sha256: String,
    /// File size.
    pub bytes: u64,
    /// The snapshot's own content hash.
    pub content_hash: String,
    /// Section counts.
    pub counts: SnapshotSections,
}

/// Section counts of a published snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotSections {
    /// List sources.
    pub sources: u64,
    /// Labels.
    pub labels: u64,
    /// Addresses.
    pub addresses: u64,
    /// Blocked hosts.
    pub blocked: u64,
    /// Allowed hosts.
    pub allowed: u64,
}

macro_rules! payload_kinds {
    ($($t:ty => $k:expr),* $(,)?) => {$(
        impl EventPayload for $t {
            const KIND: &'static str = $k;
        }
    )*};
}
payload_kinds! {
    AddressScreened => kinds::ADDRESS_SCREENED,
    DomainChecked => kinds::DOMAIN_CHECKED,
    PoisoningFlagged => kinds::POISONING_FLAGGED,
    ListImported => kinds::LIST_IMPORTED,
    SnapshotPublished => kinds::SNAPSHOT_PUBLISHED,
    ChecksCounted => kinds::CHECKS_COUNTED,
}

/// A guard event, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardEvent {
    /// [`kinds::ADDRESS_SCREENED`].
    AddressScreened(AddressScreened),
    /// [`kinds::DOMAIN_CHECKED`].
    DomainChecked(DomainChecked),
    /// [`kinds::POISONING_FLAGGED`].
    PoisoningFlagged(PoisoningFlagged),
    /// [`kinds::LIST_IMPORTED`].
    ListImported(ListImported),
    /// [`kinds::CHECKS_COUNTED`].
    ChecksCounted(ChecksCounted),
}

impl GuardEvent {
    /// The event kind.
    pub fn kind(&self) -> &'static str {
        match self {
            GuardEvent::AddressScreened(_) => kinds::ADDRESS_SCREENED,
            GuardEvent::DomainChecked(_) => kinds::DOMAIN_CHECKED,
            GuardEvent::PoisoningFlagged(_) => kinds::POISONING_FLAGGED,
            GuardEvent::ListImported(_) => kinds::LIST_IMPORTED,
            GuardEvent::ChecksCounted(_) => kinds::CHECKS_COUNTED,
        }
    }

    /// The event to append, about `subject`.
    pub fn to_event(&self, time: Timestamp, actor: &str, subject: &str) -> NewEvent {
        match self {
            GuardEvent::AddressScreened(p) => NewEvent::typed(time, actor, subject, p),
            GuardEvent::DomainChecked(p) => NewEvent::typed(time, actor, subject, p),
            GuardEvent::PoisoningFlagged(p) => NewEvent::typed(time, actor, subject, p),
            GuardEvent::ListImported(p) => NewEvent::typed(time, actor, subject, p),
            GuardEvent::ChecksCounted(p) => NewEvent::typed(time, actor, subject, p),
        }
    }

    /// The payload as a JSON object.
    pub fn payload(&self) -> Value {
        match self {
            GuardEvent::AddressScreened(p) => serde_json::to_value(p),
            GuardEvent::DomainChecked(p) => serde_json::to_value(p),
            GuardEvent::PoisoningFlagged(p) => serde_json::to_value(p),
            GuardEvent::ListImported(p) => serde_json::to_value(p),
            GuardEvent::ChecksCounted(p) => serde_json::to_value(p),
        }
        .expect("payloads serialise")
    }

    /// Reads an event back from its kind and payload; `Ok(None)` for kinds that are not the
    /// guard's.
    pub fn parse(kind: &str, payload: &Value) -> Result<Option<GuardEvent>, GuardError> {
        let bad = |e: serde_json::Error| GuardError::Format {
            format: "guard event payload",
            location: kind.to_owned(),
            why: e.to_string(),
        };
        let p = payload.clone();
        Ok(Some(match kind {
            kinds::ADDRESS_SCREENED => {
                GuardEvent::AddressScreened(serde_json::from_value(p).map_err(bad)?)
            }
            kinds::DOMAIN_CHECKED => {
                GuardEvent::DomainChecked(serde_json::from_value(p).map_err(bad)?)
            }
            kinds::POISONING_FLAGGED => {
                GuardEvent::PoisoningFlagged(serde_json::from_value(p).map_err(bad)?)
            }
            kinds::LIST_IMPORTED => {
                GuardEvent::ListImported(serde_json::from_value(p).map_err(bad)?)
            }
            kinds::CHECKS_COUNTED => {
                GuardEvent::ChecksCounted(serde_json::from_value(p).map_err(bad)?)
            }
            _ => return Ok(None),
        }))
    }
}

/// Alerts by level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelCounts {
    /// `very-high`.
    pub very_high: u64,
    /// `high`.
    pub high: u64,
    /// `medium`.
    pub medium: u64,
}

impl LevelCounts {
    /// Alerts that count as detections (high + very high), the report's "risk-domain alerts".
    pub fn alerts(&self) -> u64 {
        self.very_high + self.high
    }
}

/// The guard's figures for the monthly security report, folded from events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardStats {
    /// Addresses newly recorded per category (from list imports): the report's "phishing
    /// addresses recorded" (phishing + scam) and "black addresses recorded" (sanctions, hack,
    /// mixer).
    pub addresses_recorded: BTreeMap<Category, u64>,
    /// Blocked hosts newly recorded.
    pub domains_recorded: u64,
    /// Addresses screened (every check, from [`ChecksCounted`]).
    pub addresses_screened: u64,
    /// Screenings that found the address listed, per worst category.
    pub address_hits: BTreeMap<Category, u64>,
    /// Hosts checked (every check, from [`ChecksCounted`]).
    pub domains_checked: u64,
    /// Risk-domain alerts by level; `very_high` is the report's "very high risk domains".
    pub domain_alerts: LevelCounts,
    /// Withdrawal destinations checked for address poisoning (every check).
    pub poisoning_checked: u64,
    /// Poisoning flags raised.
    pub poisoning_flagged: u64,
    /// Distinct look-alike addresses caught: the report's "similar addresses recorded".
    pub lookalikes_caught: u64,
    /// Transaction risk warnings shown (address screenings and poisoning flags with
    /// `warning_shown`).
    pub tx_warnings_shown: u64,
    /// Look-alikes seen so far, to count distinct ones.
    #[serde(skip)]
    seen_lookalikes: BTreeSet<Address>,
    /// Events of the guard's kinds whose payload did not decode (first seq kept).
    #[serde(skip)]
    malformed: Option<(u64, u64)>,
}

impl GuardStats {
    /// Empty counts.
    pub fn new() -> GuardStats {
        GuardStats::default()
    }

    /// Folds one event in.
    pub fn record(&mut self, e: &GuardEvent) {
        match e {
            // Checks are counted by `ChecksCounted`; a screening or verdict event is an alert
            // (or, with `record_clean`, a record of a clean check already counted there).
            GuardEvent::ChecksCounted(p) => {
                self.addresses_screened += p.addresses;
                self.domains_checked += p.domains;
                self.poisoning_checked += p.poisoning;
            }
            GuardEvent::AddressScreened(p) => {
                if let Some(worst) = p.categories.iter().min() {
                    *self.address_hits.entry(*worst).or_default() += 1;
                }
                self.tx_warnings_shown += p.warning_shown as u64;
            }
            GuardEvent::DomainChecked(p) => match p.level {
                RiskLevel::VeryHigh => self.domain_alerts.very_high += 1,
                RiskLevel::High => self.domain_alerts.high += 1,
                RiskLevel::Medium => self.domain_alerts.medium += 1,
                RiskLevel::None => {}
            },
            GuardEvent::PoisoningFlagged(p) => {
                self.poisoning_flagged += 1;
                if self.seen_lookalikes.insert(p.lookalike) {
                    self.lookalikes_caught += 1;
                }
                self.tx_warnings_shown += p.warning_shown as u64;
            }
            GuardEvent::ListImported(p) => match p.kind {
                ListKind::Addresses => {
                    for (c, n) in &p.added {
                        *self.addresses_recorded.entry(*c).or_default() += n;
                    }
                }
                ListKind::BlockedDomains => {
                    self.domains_recorded += p.added.values().sum::<u64>();
                }
                ListKind::AllowedDomains => {}
            },
        }
    }

    /// Folds `(kind, payload)` pairs read from the event log, skipping other services' kinds.
    pub fn from_events<'a>(
        events: impl IntoIterator<Item = (&'a str, &'a Value)>,
    ) -> Result<GuardStats, GuardError> {
        let mut s = GuardStats::new();
        for (kind, payload) in events {
            if let Some(e) = GuardEvent::parse(kind, payload)? {
                s.record(&e);
            }
        }
        Ok(s)
    }

    /// Phishing and scam addresses recorded.
    pub fn phishing_addresses_recorded(&self) -> u64 {
        [Category::Phishing, Category::Scam]
            .iter()
            .map(|c| self.addresses_recorded.get(c).copied().unwrap_or(0))
            .sum()
    }

    /// Sanctioned, hack and mixer addresses recorded ("black addresses").
    pub fn black_addresses_recorded(&self) -> u64 {
        [Category::Sanctions, Category::Hack, Category::Mixer]
            .iter()
            .map(|c| self.addresses_recorded.get(c).copied().unwrap_or(0))
            .sum()
    }
}

/// The guard's kinds folded by [`GuardStats`] (snapshot publications are not counted).
pub const STAT_KINDS: &[&str] = &[
    kinds::CHECKS_COUNTED,
    kinds::ADDRESS_SCREENED,
    kinds::DOMAIN_CHECKED,
    kinds::POISONING_FLAGGED,
    kinds::LIST_IMPORTED,
];

impl GuardStats {
    /// `(count, first seq)` of folded events whose payload did not decode, if any.
    pub fn malformed(&self) -> Option<(u64, u64)> {
        self.malformed
    }
}

impl Tally for GuardStats {
    fn kinds(&self) -> &'static [&'static str] {
        STAT_KINDS
    }

    fn record(&mut self, e: &Event) {
        match GuardEvent::parse(e.body.kind.as_str(), &e.body.payload.to_value()) {
            Ok(Some(ev)) => GuardStats::record(self, &ev),
            Ok(None) => {}
            Err(_) => {
                let (n, first) = self.malformed.unwrap_or((0, e.seq));
                self.malformed = Some((n + 1, first));
            }
        }
    }

    fn figures(&self) -> Vec<Figure> {
        use kinds::*;
        let mut out = vec![
            Figure::count(
                "guard.phishing_addresses_recorded",
                "Phishing and scam addresses recorded",
                self.phishing_addresses_recorded(),
                &[LIST_IMPORTED],
            ),
            Figure::count(
                "guard.black_addresses_recorded",
                "Sanctioned, hack and mixer addresses recorded",
                self.black_addresses_recorded(),
                &[LIST_IMPORTED],
            ),
            Figure::count(
                "guard.risk_domains_recorded",
                "Phishing domains recorded",
                self.domains_recorded,
                &[LIST_IMPORTED],
            ),
            Figure::count(
                "guard.addresses_screened",
                "Addresses screened",
                self.addresses_screened,
                &[CHECKS_COUNTED],
            ),
            Figure::count(
                "guard.domains_checked",
                "Domains checked",
                self.domains_checked,
                &[CHECKS_COUNTED],
            ),
            Figure::count(
                "guard.risk_domain_alerts",
                "Risk-domain alerts (high and very high)",
                self.domain_alerts.alerts(),
                &[DOMAIN_CHECKED],
            ),
            Figure::count(
                "guard.very_high_risk_domain_alerts",
                "Very-high-risk domain alerts",
                self.domain_alerts.very_high,
                &[DOMAIN_CHECKED],
            ),
            Figure::count(
                "guard.similar_addresses_recorded",
                "Look-alike (poisoning) addresses caught",
                self.lookalikes_caught,
                &[POISONING_FLAGGED],
            ),
            Figure::count(
                "guard.tx_warnings_shown",
                "Transaction risk warnings shown",
                self.tx_warnings_shown,
                &[ADDRESS_SCREENED, POISONING_FLAGGED],
            ),
        ];
        if let Some((n, _)) = self.malformed {
            out.push(Figure::count(
                "guard.malformed_events",
                "Guard events that did not decode",
                n,
                STAT_KINDS,
            ));
        }
        out
    }
}
