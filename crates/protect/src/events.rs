//! What user protection records: one payload struct per kind, and the tally the monthly report
//! folds them with ("users who enabled the cooling-off, orders it blocked, wrong deposits
//! handled and the value recovered").

use std::collections::{BTreeMap, BTreeSet};

use custodia_events::{Event, EventPayload, Figure, FigureValue, Repeated, Tally};
use serde::{Deserialize, Serialize};

/// Event kind names (stable: they are stored in the log).
pub mod kinds {
    /// The exchange registered an account's opening time.
    pub const ACCOUNT_REGISTERED: &str = "protect.account_registered";
    /// An account passed the derivatives knowledge check.
    pub const KNOWLEDGE_CHECK_PASSED: &str = "protect.knowledge_check_passed";
    /// A user started or extended a cooling-off period.
    pub const COOLING_OFF_STARTED: &str = "protect.cooling_off_started";
    /// An order was refused (cooling-off or new-account caps).
    pub const ORDER_DENIED: &str = "protect.order_denied";
    /// A deposit address was added, changed or retired.
    pub const DEPOSIT_ADDRESS_SET: &str = "protect.deposit_address_set";
    /// A recovery case was opened.
    pub const CASE_OPENED: &str = "protect.case_opened";
    /// A recovery case moved (ownership verified, approved).
    pub const CASE_ADVANCED: &str = "protect.case_advanced";
    /// A recovery case was closed (recovered, credited, rejected).
    pub const CASE_CLOSED: &str = "protect.case_closed";
}

/// Payload of [`kinds::ACCOUNT_REGISTERED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRegistered {
    /// The account.
    pub user: String,
    /// When it was opened (ISO 8601).
    pub opened_at: String,
}
impl EventPayload for AccountRegistered {
    const KIND: &'static str = kinds::ACCOUNT_REGISTERED;
}

/// Payload of [`kinds::KNOWLEDGE_CHECK_PASSED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeCheckPassed {
    /// The account.
    pub user: String,
}
impl EventPayload for KnowledgeCheckPassed {
    const KIND: &'static str = kinds::KNOWLEDGE_CHECK_PASSED;
}

/// Payload of [`kinds::COOLING_OFF_STARTED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoolingOffStarted {
    /// The account.
    pub user: String,
    /// Days chosen.
    pub days: u32,
    /// When the period started (ISO 8601).
    pub started_at: String,
    /// When it ends.
    pub until: String,
    /// When it would have ended before this extension (`None`: a new period).
    pub previous_until: Option<String>,
}
impl EventPayload for CoolingOffStarted {
    const KIND: &'static str = kinds::COOLING_OFF_STARTED;
}

/// Payload of [`kinds::ORDER_DENIED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDenied {
    /// The account.
    pub user: String,
    /// Channel.
    pub channel: String,
    /// Product.
    pub product: String,
    /// Instrument.
    pub instrument: String,
    /// What the order would have done (`open`, `increase`, `flip`).
    pub effect: String,
    /// Reason codes, cooling-off first.
    pub reasons: Vec<String>,
}
impl EventPayload for OrderDenied {
    const KIND: &'static str = kinds::ORDER_DENIED;
}

/// Payload of [`kinds::DEPOSIT_ADDRESS_SET`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositAddressSet {
    /// The owner.
    pub user: String,
    /// Network it was issued for.
    pub network: String,
    /// Canonical address.
    pub address: String,
    /// Memo or tag.
    pub memo: Option<String>,
    /// `active` or `retired`.
    pub status: String,
}
impl EventPayload for DepositAddressSet {
    const KIND: &'static str = kinds::DEPOSIT_ADDRESS_SET;
}

/// Payload of [`kinds::CASE_OPENED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseOpened {
    /// Case id.
    pub case: String,
    /// Claimant.
    pub user: String,
    /// Diagnosed case (`wrong_network`, …).
    pub kind: String,
    /// Network.
    pub network: String,
    /// Transaction hash.
    pub tx_hash: String,
    /// Asset symbol (`None`: unlisted token).
    pub asset: Option<String>,
    /// Amount, smallest units.
    pub amount: String,
    /// Value, USD cents.
    pub usd_cents: u64,
    /// Fee, USD cents.
    pub fee_usd_cents: u64,
}
impl EventPayload for CaseOpened {
    const KIND: &'static str = kinds::CASE_OPENED;
}

/// Payload of [`kinds::CASE_ADVANCED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseAdvanced {
    /// Case id.
    pub case: String,
    /// Claimant.
    pub user: String,
    /// From state.
    pub from: String,
    /// To state.
    pub to: String,
}
impl EventPayload for CaseAdvanced {
    const KIND: &'static str = kinds::CASE_ADVANCED;
}

/// Payload of [`kinds::CASE_CLOSED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseClosed {
    /// Case id.
    pub case: String,
    /// Claimant.
    pub user: String,
    /// Diagnosed case.
    pub kind: String,
    /// `recovered`, `credited` or `rejected`.
    pub outcome: String,
    /// Asset symbol (`None`: unlisted token).
    pub asset: Option<String>,
    /// Decimals of the asset.
    pub decimals: u8,
    /// Amount of the transfer, smallest units.
    pub amount: String,
    /// Returned or credited, smallest units (0 when rejected).
    pub net_units: String,
    /// Value of the transfer, USD cents.
    pub usd_cents: u64,
    /// Rejection reason.
    pub reason: Option<String>,
}
impl EventPayload for CaseClosed {
    const KIND: &'static str = kinds::CASE_CLOSED;
}

/// User protection's figures for the monthly report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProtectTally {
    /// Users who started or extended a cooling-off period.
    pub cooling_users: BTreeSet<String>,
    /// Of the starts, extensions of a running period.
    pub cooling_extensions: u64,
    /// Orders refused by a cooling-off.
    pub blocked_by_cooling: u64,
    /// Orders refused by the new-account caps alone.
    pub capped: u64,
    /// Cases opened.
    pub cases_opened: u64,
    /// Cases closed by kind of outcome (`recovered`, `credited`, `rejected`).
    pub cases_closed: BTreeMap<String, u64>,
    /// Deposits recovered or credited per asset, whole value: (smallest units, decimals, USD
    /// cents).
    pub recovered: BTreeMap<String, (u128, u8, u64)>,
    /// Events of these kinds whose payload did not decode.
    pub malformed: u64,
}

const TALLY_KINDS: &[&str] = &[
    kinds::COOLING_OFF_STARTED,
    kinds::ORDER_DENIED,
    kinds::CASE_OPENED,
    kinds::CASE_CLOSED,
    Repeated::KIND,
];

impl ProtectTally {
    fn denied(&mut self, p: &OrderDenied, n: u64) {
        if p.reasons.iter().any(|r| r == "cooling_off") {
            self.blocked_by_cooling += n;
        } else {
            self.capped += n;
        }
    }

    fn decode<P: EventPayload>(&mut self, e: &Event) -> Option<P> {
        match e.decode::<P>() {
            Some(Ok(p)) => Some(p),
            Some(Err(_)) => {
                self.malformed += 1;
                None
            }
            None => None,
        }
    }
}

impl Tally for ProtectTally {
    fn kinds(&self) -> &'static [&'static str] {
        TALLY_KINDS
    }

    fn record(&mut self, e: &Event) {
        if let Some(p) = self.decode::<CoolingOffStarted>(e) {
            if p.previous_until.is_some() {
                self.cooling_extensions += 1;
            }
            self.cooling_users.insert(p.user);
        }
        if let Some(p) = self.decode::<OrderDenied>(e) {
            self.denied(&p, 1);
        }
        if self.decode::<CaseOpened>(e).is_some() {
            self.cases_opened += 1;
        }
        if let Some(p) = self.decode::<CaseClosed>(e) {
            *self.cases_closed.entry(p.outcome.clone()).or_default() += 1;
            if p.outcome != "rejected" {
                let asset = p.asset.unwrap_or_else(|| "UNLISTED".into());
                // The deposit's whole value, as the report states it ("wrong deposits
                // handled, total value"); the fee is in the payload too.
                match p.amount.parse::<u128>() {
                    Ok(gross) => {
                        let r = self.recovered.entry(asset).or_insert((0, p.decimals, 0));
                        r.0 = r.0.saturating_add(gross);
                        r.2 = r.2.saturating_add(p.usd_cents);
                    }
                    Err(_) => self.malformed += 1,
                }
            }
        }
        if let Some(r) = self.decode::<Repeated>(e)
            && r.kind == kinds::ORDER_DENIED
        {
            match serde_json::from_value::<OrderDenied>(r.sample) {
                Ok(p) => self.denied(&p, r.count),
                Err(_) => self.malformed += 1,
            }
        }
    }

    fn figures(&self) -> Vec<Figure> {
        let c = &[kinds::COOLING_OFF_STARTED];
        let o = &[kinds::ORDER_DENIED, Repeated::KIND];
        let cases = &[kinds::CASE_OPENED];
        let closed = &[kinds::CASE_CLOSED];
        let closed_n = |k: &str| self.cases_closed.get(k).copied().unwrap_or(0);
        let mut out = vec![
            Figure::count(
                "protect.cooling_off_users",
                "Users who enabled the derivatives cooling-off period",
                self.cooling_users.len() as u64,
                c,
            ),
            Figure::count(
                "protect.cooling_off_extensions",
                "Cooling-off periods extended while running",
                self.cooling_extensions,
                c,
            ),
            Figure::count(
                "protect.orders_blocked_cooling_off",
                "Derivatives orders blocked by a cooling-off period",
                self.blocked_by_cooling,
                o,
            ),
            Figure::count(
                "protect.orders_capped_new_account",
                "Orders refused by the new-account leverage and position caps",
                self.capped,
                o,
            ),
            Figure::count(
                "protect.cases_opened",
                "Wrong-deposit recovery cases opened",
                self.cases_opened,
                cases,
            ),
            Figure::count(
                "protect.cases_recovered",
                "Wrong-deposit cases recovered (returned on chain or credited)",
                closed_n("recovered") + closed_n("credited"),
                closed,
            ),
            Figure::count(
                "protect.cases_rejected",
                "Wrong-deposit cases rejected",
                closed_n("rejected"),
                closed,
            ),
        ];
        let usd = |key: String, label: String, cents: u64| Figure {
            key,
            label,
            value: FigureValue::Amount {
                asset: "USD".into(),
                units: u128::from(cents),
                decimals: 2,
            },
            kinds: closed.to_vec(),
        };
        out.push(usd(
            "protect.recovered_usd".into(),
            "Value of wrong deposits recovered (USD)".into(),
            self.recovered.values().map(|v| v.2).sum(),
        ));
        for (asset, (units, decimals, cents)) in &self.recovered {
            out.push(Figure {
                key: format!("protect.recovered.{asset}"),
                label: format!("{asset} recovered from wrong deposits"),
                value: FigureValue::Amount {
                    asset: asset.clone(),
                    units: *units,
                    decimals: *decimals,
                },
                kinds: closed.to_vec(),
            });
            out.push(usd(
                format!("protect.recovered_usd.{asset}"),
                format!("Value of {asset} recovered from wrong deposits (USD)"),
                *cents,
            ));
        }
        if self.malformed > 0 {
            out.push(Figure::count(
                "protect.malformed_events",
                "User-protection events that did not decode",
                self.malformed,
                TALLY_KINDS,
            ));
        }
        out
    }
}
