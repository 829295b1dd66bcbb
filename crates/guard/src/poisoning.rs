//! Address poisoning: a destination that looks like one of the user's recent counterparties
//! (same first and last characters) but is a different address.
//!
//! Poisoners send a zero-value or dust transfer from a vanity address sharing the head and tail
//! of an address the victim uses, hoping the victim copies it from their history next time.
//! Wallets and exchanges show only the first and last few characters, so the check compares
//! exactly those.

use std::collections::{HashMap, VecDeque};

use custodia_primitives::AccountId;
use serde::{Deserialize, Serialize};

use crate::{Address, GuardError};

/// How many characters must match at each end, and how much history to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PoisoningConfig {
    /// Leading characters compared, after the chain's fixed prefix (`0x`, `T`, `bc1q`, ...).
    pub prefix: usize,
    /// Trailing characters compared.
    pub suffix: usize,
    /// Counterparties remembered per user (oldest dropped first).
    pub history: usize,
    /// Counterparties older than this many seconds are forgotten.
    pub max_age_secs: u64,
}

impl Default for PoisoningConfig {
    fn default() -> Self {
        PoisoningConfig {
            prefix: 4,
            suffix: 4,
            history: 64,
            max_age_secs: 90 * 24 * 3600,
        }
    }
}

impl PoisoningConfig {
    /// Checks the configuration: at least 3 characters at each end (fewer would flag ordinary
    /// addresses by chance), at least one remembered counterparty.
    pub fn validate(&self) -> Result<(), GuardError> {
        if self.prefix < 3 || self.suffix < 3 {
            return Err(GuardError::Config {
                why: format!(
                    "poisoning prefix/suffix must be at least 3 characters, got {}/{}",
                    self.prefix, self.suffix
                ),
            });
        }
        if self.history == 0 {
            return Err(GuardError::Config {
                why: "poisoning history must keep at least one counterparty".into(),
            });
        }
        Ok(())
    }
}

/// A destination flagged as a look-alike of a counterparty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoisoningMatch {
    /// The destination: the suspected poisoning address.
    pub lookalike: Address,
    /// The counterparty it imitates.
    pub imitates: Address,
    /// Characters that match at the start (after the fixed prefix), ≥ the configured prefix.
    pub prefix_len: usize,
    /// Characters that match at the end, ≥ the configured suffix.
    pub suffix_len: usize,
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// Compares `destination` with `recent` counterparties (same chain only). Returns the
/// counterparty it imitates best (longest matching ends), or `None` when the destination is
/// itself a known counterparty or resembles none.
///
/// Comparison is on canonical text ([`Address::canonical`], so EVM letter case does not
/// matter) after the chain's fixed prefix ([`Address::fixed_prefix_len`]).
pub fn check_poisoning<'a>(
    destination: &Address,
    recent: impl IntoIterator<Item = &'a Address>,
    cfg: &PoisoningConfig,
) -> Option<PoisoningMatch> {
    let dest_text = destination.canonical();
    let dest = &dest_text.as_bytes()[destination.fixed_prefix_len()..];
    let mut best: Option<PoisoningMatch> = None;
    for known in recent {
        if known.chain() != destination.chain() {
            continue;
        }
        if known == destination {
            return None;
        }
        let text = known.canonical();
        let other = &text.as_bytes()[known.fixed_prefix_len()..];
        let p = common_prefix(dest, other);
        let s = common_suffix(dest, other);
        if p >= cfg.prefix && s >= cfg.suffix {
            let better = best
                .as_ref()
                .is_none_or(|b| p + s > b.prefix_len + b.suffix_len);
            if better {
                best = Some(PoisoningMatch {
                    lookalike: *destination,
                    imitates: *known,
                    prefix_len: p,
                    suffix_len: s,
                });
            }
        }
    }
    best
}

/// Recent counterparties per user, bounded in count and age: what [`check_poisoning`] compares
/// a withdrawal destination with. Time is passed in (Unix seconds), never read from a clock.
///
/// Record only counterparties the user chose (withdrawal destinations, address-book entries,
/// senders of deposits the user credited): an incoming dust transfer from a poisoner is what
/// the check is about, and must not become a "known" address.
#[derive(Debug, Clone, Default)]
pub struct CounterpartyHistory {
    cfg: PoisoningConfig,
    users: HashMap<AccountId, VecDeque<(Address, u64)>>,
}

impl CounterpartyHistory {
    /// An empty history.
    pub fn new(cfg: PoisoningConfig) -> Result<CounterpartyHistory, GuardError> {
        cfg.validate()?;
        Ok(CounterpartyHistory {
            cfg,
            users: HashMap::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &PoisoningConfig {
        &self.cfg
    }

    /// Records that `user` transacted with `address` at `now` (moves it to the front if known).
    pub fn record(&mut self, user: &AccountId, address: Address, now: u64) {
        let q = self.users.entry(user.clone()).or_default();
        q.retain(|(a, _)| *a != address);
        q.push_front((address, now));
        q.truncate(self.cfg.history);
    }

    /// The user's counterparties seen within the age limit, most recent first.
    pub fn recent(&self, user: &AccountId, now: u64) -> Vec<Address> {
        self.users
            .get(user)
            .map(|q| {
                q.iter()
                    .filter(|(_, t)| now.saturating_sub(*t) <= self.cfg.max_age_secs)
                    .map(|(a, _)| *a)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Checks a destination `user` is about to send to.
    pub fn check(
        &self,
        user: &AccountId,
        destination: &Address,
        now: u64,
    ) -> Option<PoisoningMatch> {
        check_poisoning(destination, &self.recent(user, now), &self.cfg)
    }

    /// Forgets users with no counterparty inside the age limit.
    pub fn prune(&mut self, now: u64) {
        let max = self.cfg.max_age_secs;
        self.users.retain(|_, q| {
            q.retain(|(_, t)| now.saturating_sub(*t) <= max);
            !q.is_empty()
        });
    }
}
