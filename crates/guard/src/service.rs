//! The guard as one value the HTTP layer holds: batch screening and checking with the events to
//! record, so that an endpoint is only "deserialise, call, append events, serialise".

use std::sync::Arc;

use custodia_primitives::AccountId;
use serde::{Deserialize, Serialize};

use crate::events::{
    AddressScreened, ChecksCounted, DomainChecked, GuardEvent, PoisoningFlagged, ScreenContext,
};
use crate::{
    Address, AddressIndex, Chain, DomainChecker, DomainVerdict, GuardError, PoisoningConfig,
    PoisoningMatch, Screening, Snapshot, check_poisoning,
};

/// Most items one batch call may carry.
pub const MAX_BATCH: usize = 1000;

/// Which decisions become events. Alerts always do; clean results are counted by metrics
/// unless `record_clean` (a 20k-checks/s endpoint would otherwise write 20k events/s).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPolicy {
    /// Also record clean screenings and `none` domain verdicts.
    pub record_clean: bool,
}

/// One address to screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressQuery {
    /// The address as given.
    pub address: String,
    /// Its chain; detected from the shape when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<Chain>,
    /// Why it is screened.
    pub context: ScreenContext,
}

/// An event to append, with the subject it is about (`user:<id>` or `address:<addr>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvent {
    /// The event subject.
    pub subject: String,
    /// The event.
    pub event: GuardEvent,
}

/// Per-item results of a batch call, and the events to append for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch<T> {
    /// One result per item, in order; a malformed item fails alone.
    pub results: Vec<Result<T, GuardError>>,
    /// Events to append to the log.
    pub events: Vec<PendingEvent>,
}

/// Addresses, domains and the current snapshot, shared read-only by request handlers. Swap the
/// whole value (`Arc`) to publish new lists.
#[derive(Debug, Clone)]
pub struct GuardService {
    /// Listed addresses.
    pub addresses: Arc<AddressIndex>,
    /// Domain lists, brands and policy.
    pub domains: Arc<DomainChecker>,
    /// Look-alike thresholds.
    pub poisoning: PoisoningConfig,
    /// The snapshot wallets download, if one was published.
    pub snapshot: Option<Arc<Snapshot>>,
    /// Which decisions are recorded.
    pub events: EventPolicy,
}

fn check_batch(n: usize) -> Result<(), GuardError> {
    if n > MAX_BATCH {
        return Err(GuardError::Config {
            why: format!("{n} items in one batch; at most {MAX_BATCH}"),
        });
    }
    Ok(())
}

impl GuardService {
    /// A service with the default brands and policy and no lists.
    pub fn empty() -> GuardService {
        GuardService {
            addresses: Arc::new(AddressIndex::new()),
            domains: Arc::new(DomainChecker::with_defaults()),
            poisoning: PoisoningConfig::default(),
            snapshot: None,
            events: EventPolicy::default(),
        }
    }

    /// Screens a batch for `user` (subject of the events). Each item gets its own result: a
    /// malformed address fails alone. Fails as a whole only above [`MAX_BATCH`] items.
    pub fn screen_addresses(
        &self,
        user: Option<&AccountId>,
        batch: &[AddressQuery],
    ) -> Result<Batch<Screening>, GuardError> {
        check_batch(batch.len())?;
        let mut events = Vec::new();
        let results = batch
            .iter()
            .map(|q| {
                let s = self.addresses.screen(&q.address, q.chain)?;
                if s.is_listed() || self.events.record_clean {
                    events.push(PendingEvent {
                        subject: subject(user, &s.address),
                        event: GuardEvent::AddressScreened(AddressScreened::from_screening(
                            &s, q.context,
                        )),
                    });
                }
                Ok(s)
            })
            .collect::<Vec<_>>();
        let mut counted = ChecksCounted::default();
        for s in results.iter().flatten() {
            counted.addresses += 1;
            counted.addresses_listed += s.is_listed() as u64;
        }
        push_counted(&mut events, user, counted);
        Ok(Batch { results, events })
    }

    /// Checks a batch of hosts or URLs. Verdicts of `medium` and above are recorded.
    pub fn check_domains(
        &self,
        user: Option<&AccountId>,
        batch: &[String],
    ) -> Result<Batch<DomainVerdict>, GuardError> {
        check_batch(batch.len())?;
        let mut events = Vec::new();
        let results = batch
            .iter()
            .map(|input| {
                let v = self.domains.check(input)?;
                if v.level > crate::RiskLevel::None || self.events.record_clean {
                    events.push(PendingEvent {
                        subject: match user {
                            Some(u) => format!("user:{}", u.as_str()),
                            None => format!("domain:{}", v.host),
                        },
                        event: GuardEvent::DomainChecked(DomainChecked::from_verdict(&v)),
                    });
                }
                Ok(v)
            })
            .collect::<Vec<_>>();
        let mut counted = ChecksCounted::default();
        for v in results.iter().flatten() {
            counted.domains += 1;
            match v.level {
                crate::RiskLevel::VeryHigh => counted.domain_levels.very_high += 1,
                crate::RiskLevel::High => counted.domain_levels.high += 1,
                crate::RiskLevel::Medium => counted.domain_levels.medium += 1,
                crate::RiskLevel::None => {}
            }
        }
        push_counted(&mut events, user, counted);
        Ok(Batch { results, events })
    }

    /// Compares a destination with the counterparties the caller knows for `user`.
    pub fn check_poisoning(
        &self,
        user: &AccountId,
        destination: &Address,
        recent: &[Address],
    ) -> (Option<PoisoningMatch>, Vec<PendingEvent>) {
        let m = check_poisoning(destination, recent, &self.poisoning);
        let mut events: Vec<PendingEvent> = m
            .iter()
            .map(|m| PendingEvent {
                subject: format!("user:{}", user.as_str()),
                event: GuardEvent::PoisoningFlagged(PoisoningFlagged::from(m)),
            })
            .collect();
        push_counted(
            &mut events,
            Some(user),
            ChecksCounted {
                poisoning: 1,
                ..ChecksCounted::default()
            },
        );
        (m, events)
    }
}

/// One count event per batch with at least one well-formed item: the checks are counted even
/// when no alert is recorded.
fn push_counted(events: &mut Vec<PendingEvent>, user: Option<&AccountId>, c: ChecksCounted) {
    if c.addresses + c.domains + c.poisoning == 0 {
        return;
    }
    events.push(PendingEvent {
        subject: match user {
            Some(u) => format!("user:{}", u.as_str()),
            None => "guard:checks".to_owned(),
        },
        event: GuardEvent::ChecksCounted(c),
    });
}

fn subject(user: Option<&AccountId>, a: &Address) -> String {
    match user {
        Some(u) => format!("user:{}", u.as_str()),
        None => format!("address:{a}"),
    }
}
