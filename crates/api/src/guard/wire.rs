//! JSON shapes of the guard endpoints, converted to and from `custodia_guard` types by hand.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An item that failed alone inside a batch, or a rejected list entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemError {
    /// `invalid_address`, `unsupported_chain`, `invalid_host`, `invalid_entry`, `invalid_date`,
    /// `invalid_category`.
    pub code: &'static str,
    /// What is wrong, naming the value (truncated) and the rule.
    pub msg: String,
}

/// `POST /v1/guard/addresses/screen`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenRequest {
    /// Addresses as given (1 to 1000); each one's chain is detected from its shape unless
    /// `chain` is set.
    pub addresses: Vec<String>,
    /// `evm`, `bitcoin`, `tron` or `solana` (network names such as `eth`, `bsc`, `btc`, `trx`,
    /// `sol` are accepted): validate every address for that chain.
    #[serde(default)]
    pub chain: Option<String>,
    /// `withdrawal`, `deposit`, `transaction` or `lookup` (default): recorded in the events.
    #[serde(default)]
    pub context: Option<String>,
    /// The user the decision is for (event subject `user:<id>`); absent: `address:<addr>`.
    #[serde(default)]
    pub user: Option<String>,
}

/// One source listing an address.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddressHitView {
    /// `sanctions`, `hack`, `mixer`, `phishing` or `scam`.
    pub category: String,
    /// The list (`ofac-sdn`, `scamsniffer:bytehound`, …).
    pub source: String,
    /// Listing date `YYYY-MM-DD`, if the source gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Owner label, if the source gives one (`LAZARUS GROUP`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// The result for one address: a screening, or the reason it could not be screened.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScreenResult {
    /// Canonical address (EVM lowercase, bech32 lowercase, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Chain family.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<&'static str>,
    /// Whether any list names it.
    pub listed: bool,
    /// The most severe category, when listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Every source listing it, most severe first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hits: Vec<AddressHitView>,
    /// Set when the address is malformed (then nothing else is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ItemError>,
}

/// Results in request order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScreenResponse {
    /// One per address, in order.
    pub results: Vec<ScreenResult>,
    /// How many are listed.
    pub listed: usize,
    /// How many were malformed.
    pub invalid: usize,
}

/// `POST /v1/guard/domains/check`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainCheckRequest {
    /// Hosts or URLs (1 to 1000).
    pub hosts: Vec<String>,
    /// The user the decision is for (event subject `user:<id>`); absent: `domain:<host>`.
    #[serde(default)]
    pub user: Option<String>,
}

/// One rule that fired, explained.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonView {
    /// The rule's id (`docs/threat-intel.md` lists them).
    pub rule: &'static str,
    /// The level this reason alone gives: `none`, `medium`, `high`, `very-high`.
    pub level: &'static str,
    /// The protected brand involved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// What matched: the keyword, the official domain or the list entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
    /// The part of the host examined (a label or token, Unicode).
    pub part: String,
    /// Edit distance, for typo rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<u32>,
    /// Why the level was raised one step, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalated_by: Option<String>,
    /// A sentence for people.
    pub message: String,
}

/// The verdict for one host.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerdictView {
    /// The host as DNS sees it (lowercase, punycode).
    pub host: String,
    /// The host as a user sees it.
    pub unicode: String,
    /// Its registrable domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registrable: Option<String>,
    /// The highest level among the reasons: `none`, `medium`, `high`, `very-high`.
    pub level: &'static str,
    /// Every rule that fired, highest level first.
    pub reasons: Vec<ReasonView>,
}

impl VerdictView {
    /// The wire form of a verdict.
    pub fn new(v: custodia_guard::DomainVerdict) -> VerdictView {
        VerdictView {
            host: v.host,
            unicode: v.unicode,
            registrable: v.registrable,
            level: v.level.as_str(),
            reasons: v
                .reasons
                .into_iter()
                .map(|r| ReasonView {
                    rule: r.rule.id(),
                    level: r.level.as_str(),
                    brand: r.brand,
                    matched: r.matched,
                    part: r.part,
                    distance: r.distance,
                    escalated_by: r.escalated_by,
                    message: r.message,
                })
                .collect(),
        }
    }
}

/// The verdict for one host, or why it is not a host.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainResult {
    /// The verdict, when the input is a host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<VerdictView>,
    /// Set when the input is not a host or URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ItemError>,
}

/// Verdicts in request order.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainCheckResponse {
    /// One per host, in order.
    pub results: Vec<DomainResult>,
    /// Verdicts `high` or `very-high` (warn or block).
    pub alerts: usize,
    /// Inputs that were not hosts.
    pub invalid: usize,
}

/// `POST /v1/guard/poisoning/check`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoisoningRequest {
    /// Whose withdrawal this is (event subject `user:<id>`).
    pub user: String,
    /// The destination about to be used.
    pub destination: String,
    /// Chain of the destination and the counterparties (detected from the shape when absent).
    #[serde(default)]
    pub chain: Option<String>,
    /// Counterparties the user chose recently (withdrawal destinations, address book, credited
    /// deposit senders), at most `guard.poisoning.max_recent`.
    pub recent: Vec<String>,
}

/// The look-alike found.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoisoningMatchView {
    /// The destination (canonical).
    pub lookalike: String,
    /// The counterparty it imitates (canonical).
    pub imitates: String,
    /// Matching leading characters (after the chain's fixed prefix).
    pub prefix_len: usize,
    /// Matching trailing characters.
    pub suffix_len: usize,
}

/// Whether the destination imitates a recent counterparty.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoisoningResponse {
    /// `true`: warn the user or hold the withdrawal.
    pub flagged: bool,
    /// The match, when flagged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#match: Option<PoisoningMatchView>,
}

/// A rejected or unsupported list entry, located.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LocatedError {
    /// `line 12`, `entry #4`, `feature 59002 (line 63)`, `configuration #0 (default@2) blocklist entry #3`.
    pub at: String,
    /// `invalid_address`, `unsupported_chain`, `invalid_host`, `invalid_entry`, …
    pub code: &'static str,
    /// Why.
    pub msg: String,
}

/// What one part of a list import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportSummary {
    /// `addresses`, `blocked_domains` or `allowed_domains`.
    pub kind: &'static str,
    /// Valid distinct entries stored.
    pub accepted: u64,
    /// Entries not listed before this import, per category.
    pub added: BTreeMap<String, u64>,
    /// Entries repeating an earlier one in the same file.
    pub duplicates: u64,
    /// Malformed entries (never stored).
    pub rejected_count: u64,
    /// The first 1000 of them, located.
    pub rejected: Vec<LocatedError>,
    /// Well-formed entries for chains not validated here (OFAC's XMR, LTC, …).
    pub unsupported_count: u64,
    /// The first 1000 of them.
    pub unsupported: Vec<LocatedError>,
    /// Whether `rejected` or `unsupported` was cut at 1000.
    pub truncated: bool,
    /// Seq of this part's `guard.list_imported` event.
    pub event_seq: u64,
}

/// Entries loaded after the import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListTotals {
    /// Distinct listed addresses.
    pub addresses: u64,
    /// Blocked hosts.
    pub blocked_domains: u64,
    /// Allowed hosts.
    pub allowed_domains: u64,
}

/// The result of `POST /v1/admin/guard/lists/{addresses,domains}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListImportResponse {
    /// The list's name: every entry previously imported under it (in the parts imported) was
    /// replaced.
    pub source: String,
    /// One summary per part (MetaMask configurations have two: blocked and allowed).
    pub lists: Vec<ImportSummary>,
    /// Stored rows of this list removed, and rows inserted.
    pub removed: u64,
    /// Rows inserted.
    pub inserted: u64,
    /// MetaMask `fuzzylist` entries ignored (this service applies its own look-alike rules to
    /// the configured brands).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuzzylist_ignored: Option<u64>,
    /// Entries loaded now.
    pub totals: ListTotals,
}

/// Section sizes of a snapshot.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotCountsView {
    /// Distinct sources.
    pub sources: u32,
    /// Distinct owner labels.
    pub labels: u32,
    /// Address records (address, source).
    pub addresses: u32,
    /// Blocked hosts.
    pub blocked: u32,
    /// Allowed hosts.
    pub allowed: u32,
}

/// A published snapshot.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotPublished {
    /// Data version (increases by one per publication).
    pub version: u64,
    /// Creation time written in the snapshot (Unix seconds).
    pub created: u64,
    /// SHA-256 of the file (also its `ETag`).
    pub sha256: String,
    /// File size in bytes.
    pub bytes: u64,
    /// Section sizes.
    pub counts: SnapshotCountsView,
}

/// Report figures derived from the stats.
#[derive(Debug, Serialize, ToSchema)]
pub struct GuardReportFigures {
    /// Phishing and scam addresses newly recorded by list imports.
    pub phishing_addresses_recorded: u64,
    /// Sanctioned, hack and mixer addresses newly recorded ("black addresses").
    pub black_addresses_recorded: u64,
    /// Risk-domain alerts: high + very high.
    pub risk_domain_alerts: u64,
    /// Very-high-risk domain alerts.
    pub very_high_risk_domain_alerts: u64,
    /// Blocked hosts newly recorded by list imports.
    pub very_high_risk_domains_recorded: u64,
    /// Distinct poisoning look-alike addresses caught ("similar addresses recorded").
    pub similar_addresses_recorded: u64,
    /// Transaction risk warnings shown.
    pub tx_warnings_shown: u64,
}

/// Alerts by level.
#[derive(Debug, Serialize, ToSchema)]
pub struct LevelCountsView {
    /// `very-high`.
    pub very_high: u64,
    /// `high`.
    pub high: u64,
    /// `medium`.
    pub medium: u64,
}

/// The counts folded from the guard's events over the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct GuardStatsView {
    /// Addresses newly recorded by list imports, per category.
    pub addresses_recorded: BTreeMap<String, u64>,
    /// Blocked hosts newly recorded.
    pub domains_recorded: u64,
    /// Addresses screened.
    pub addresses_screened: u64,
    /// Screenings that found the address listed, per worst category.
    pub address_hits: BTreeMap<String, u64>,
    /// Hosts checked.
    pub domains_checked: u64,
    /// Risk-domain alerts by level.
    pub domain_alerts: LevelCountsView,
    /// Withdrawal destinations checked for address poisoning.
    pub poisoning_checked: u64,
    /// Poisoning flags raised.
    pub poisoning_flagged: u64,
    /// Distinct look-alike addresses caught.
    pub lookalikes_caught: u64,
    /// Transaction risk warnings shown.
    pub tx_warnings_shown: u64,
}

/// `GET /v1/guard/stats`.
#[derive(Debug, Serialize, ToSchema)]
pub struct GuardStatsResponse {
    /// Start of the period (inclusive), `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub from: String,
    /// End of the period (exclusive).
    pub to: String,
    /// Guard events read.
    pub events: u64,
    /// Whether clean results are recorded as their own events too (`guard.record_clean`).
    /// Either way `addresses_screened`, `domains_checked` and `poisoning_checked` count every
    /// check (one `guard.checks_counted` event per call); alerts are `address_hits`,
    /// `domain_alerts` and `poisoning_flagged`.
    pub record_clean: bool,
    /// The counts folded from the guard's events.
    pub stats: GuardStatsView,
    /// The monthly report's figures.
    pub report: GuardReportFigures,
}

#[cfg(test)]
mod tests {
    use custodia_guard::{DomainChecker, DomainPolicy, default_brands};

    use super::VerdictView;

    /// The wire form says exactly what the domain verdict says (rule ids and level names
    /// included), for verdicts that exercise every field.
    #[test]
    fn verdict_view_matches_the_verdict_field_for_field() {
        let checker = DomainChecker::new(default_brands(), DomainPolicy::default()).unwrap();
        let mut levels = std::collections::BTreeSet::new();
        for host in [
            "binance.com",
            "binance-login-secure.com",
            "bi-nance.xyz",
            "binamce.com",
            "okx-airdrop.top",
            "xn--bnance-4va.com",
            "wallet.coinbase.com.verify-account.io",
            "example.org",
            "metamask-io.github.io",
        ] {
            let v = checker.check(host).unwrap();
            levels.insert(v.level);
            let domain = serde_json::to_value(&v).unwrap();
            let wire = serde_json::to_value(VerdictView::new(v)).unwrap();
            assert_eq!(wire, domain, "{host}");
        }
        assert!(
            levels.len() >= 3,
            "the hosts cover several levels: {levels:?}"
        );
    }
}
