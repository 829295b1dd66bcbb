//! Wrong-deposit diagnosis: from an incoming transfer, the listing table and the deposit-address
//! book, which case it is and what can be done — credit it, recover it for a fee, or explain why
//! it cannot be recovered.

use std::collections::BTreeMap;

use custodia_primitives::AccountId;
use serde::{Deserialize, Serialize};

use crate::ProtectError;
use crate::error::clip;
use crate::ports::{AddressStatus, DepositAddress};
use crate::registry::{BookKey, MemoRule, NetworkSpec, Registry};

/// An incoming transfer as reported (a chain watcher, or a user's ticket), before validation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TransferInput {
    /// Network name (`ethereum`, `xrp`).
    pub network: String,
    /// Token contract; absent for the native coin.
    pub token: Option<String>,
    /// Destination address.
    pub to: String,
    /// Memo, tag or comment, if any.
    pub memo: Option<String>,
    /// Amount in the token's smallest unit (decimal string).
    pub amount: String,
    /// Transaction hash.
    pub tx_hash: String,
    /// Value in USD cents by the exchange's prices; absent when it has no price.
    pub usd_cents: Option<u64>,
}

/// A validated transfer, addresses in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// The network.
    pub network: &'static NetworkSpec,
    /// Canonical token contract, `None` for the native coin.
    pub token: Option<String>,
    /// Canonical destination.
    pub to: String,
    /// Canonical memo.
    pub memo: Option<String>,
    /// Amount, smallest units, above zero.
    pub amount: u128,
    /// Normalised transaction hash.
    pub tx_hash: String,
    /// Value, USD cents.
    pub usd_cents: Option<u64>,
}

impl Transfer {
    /// Validates every field against its network; the first bad one is named.
    pub fn parse(input: &TransferInput) -> Result<Transfer, ProtectError> {
        let network = NetworkSpec::find(&input.network)?;
        let token = input
            .token
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| network.address("token", t))
            .transpose()?;
        let to = network.address("to", &input.to)?;
        let memo = network.memo(input.memo.as_deref())?;
        let amount: u128 = if input.amount.len() <= 38
            && !input.amount.is_empty()
            && input.amount.bytes().all(|b| b.is_ascii_digit())
        {
            input.amount.parse().unwrap_or(0)
        } else {
            0
        };
        if amount == 0 {
            return Err(ProtectError::Number {
                field: "amount",
                reason: format!(
                    "a whole number of smallest units above zero, got {:?}",
                    clip(&input.amount, 40)
                ),
            });
        }
        Ok(Transfer {
            network,
            token,
            to,
            memo,
            amount,
            tx_hash: network.tx_hash(&input.tx_hash)?,
            usd_cents: input.usd_cents,
        })
    }

    /// The destination's place in the book.
    pub fn book_key(&self) -> BookKey {
        BookKey::of(self.network, &self.to)
    }

    /// What makes two reports of one transfer the same: network, hash, token, destination.
    pub fn identity(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.network.name,
            self.tx_hash,
            self.token.as_deref().unwrap_or("native"),
            self.to
        )
    }
}

/// A deposit-address entry as the book holds it.
pub type BookEntry = DepositAddress;

/// What the book says about a destination.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BookHit {
    /// Whether the exchange holds this address at all (any memo).
    pub address_known: bool,
    /// The entry for this address and memo exactly.
    pub entry: Option<BookEntry>,
}

/// A synchronous view of the deposit-address book (the service reads the store first).
pub trait AddressBook {
    /// What the book holds for `key` with `memo`.
    fn hit(&self, key: &BookKey, memo: Option<&str>) -> BookHit;
}

impl AddressBook for BookHit {
    fn hit(&self, _: &BookKey, _: Option<&str>) -> BookHit {
        self.clone()
    }
}

/// An in-memory book (tests, offline diagnosis of a file).
#[derive(Debug, Clone, Default)]
pub struct MemBook {
    entries: BTreeMap<(BookKey, Option<String>), BookEntry>,
}

impl MemBook {
    /// Adds an entry.
    pub fn insert(&mut self, e: BookEntry) {
        self.entries.insert((e.key.clone(), e.memo.clone()), e);
    }
}

impl AddressBook for MemBook {
    fn hit(&self, key: &BookKey, memo: Option<&str>) -> BookHit {
        BookHit {
            address_known: self.entries.keys().any(|(k, _)| k == key),
            entry: self
                .entries
                .get(&(key.clone(), memo.map(str::to_owned)))
                .cloned(),
        }
    }
}

/// Which case a transfer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    /// A correct deposit: credited automatically.
    Correct,
    /// An asset the exchange accepts, but on a network where it does not.
    WrongNetwork,
    /// A token contract or coin the exchange does not accept anywhere.
    UnsupportedToken,
    /// A memo chain's shared address without the memo or tag.
    MissingMemo,
    /// A memo or tag that belongs to no one.
    WrongMemo,
    /// A deposit address the exchange has retired.
    RetiredAddress,
    /// Sent to a token contract: no one holds its key.
    ContractAddress,
    /// Less than the network's minimum deposit.
    BelowMinimum,
    /// Credited (or held) for another user than the claimant.
    OtherUsersAddress,
    /// An address the exchange does not hold.
    NotOurs,
}

impl CaseKind {
    /// Every case.
    pub const ALL: &'static [CaseKind] = &[
        CaseKind::Correct,
        CaseKind::WrongNetwork,
        CaseKind::UnsupportedToken,
        CaseKind::MissingMemo,
        CaseKind::WrongMemo,
        CaseKind::RetiredAddress,
        CaseKind::ContractAddress,
        CaseKind::BelowMinimum,
        CaseKind::OtherUsersAddress,
        CaseKind::NotOurs,
    ];

    /// Stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::Correct => "correct",
            CaseKind::WrongNetwork => "wrong_network",
            CaseKind::UnsupportedToken => "unsupported_token",
            CaseKind::MissingMemo => "missing_memo",
            CaseKind::WrongMemo => "wrong_memo",
            CaseKind::RetiredAddress => "retired_address",
            CaseKind::ContractAddress => "contract_address",
            CaseKind::BelowMinimum => "below_minimum",
            CaseKind::OtherUsersAddress => "other_users_address",
            CaseKind::NotOurs => "not_ours",
        }
    }

    /// Reads a code.
    pub fn parse(s: &str) -> Option<CaseKind> {
        CaseKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

impl core::fmt::Display for CaseKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What can be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Credit it to this user now.
    Credit {
        /// The owner.
        user: AccountId,
    },
    /// Recoverable through a case, for a fee.
    Recoverable {
        /// Fee in the transfer's smallest units.
        fee_units: u128,
        /// Fee in USD cents.
        fee_usd_cents: u64,
        /// Who the funds belong to by the book (`None` on a shared address without a valid
        /// memo: the claimant proves it).
        owner: Option<AccountId>,
    },
    /// Not recoverable.
    NotRecoverable,
}

impl Outcome {
    /// `credit`, `recoverable` or `not_recoverable`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Credit { .. } => "credit",
            Outcome::Recoverable { .. } => "recoverable",
            Outcome::NotRecoverable => "not_recoverable",
        }
    }
}

/// The diagnosis of one transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// The case.
    pub case: CaseKind,
    /// What can be done.
    pub outcome: Outcome,
    /// The facts in words.
    pub reason: String,
    /// The asset's symbol (`None`: an unlisted token).
    pub asset: Option<String>,
    /// Its decimals (0 when unknown).
    pub decimals: u8,
}

/// The recovery fee of one case: a share of the value with a floor, offered only above a
/// minimum value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeRule {
    /// Share of the transfer, basis points (500 = 5 %).
    pub fee_bp: u32,
    /// Floor, USD cents.
    pub min_fee_usd_cents: u64,
    /// Smallest value recovered, USD cents.
    pub min_value_usd_cents: u64,
}

impl Default for FeeRule {
    /// 5 %, at least 50 USD, for transfers worth 1,000 USD or more (the published schedule of a
    /// comparable exchange; the seed's own is not public).
    fn default() -> Self {
        Self {
            fee_bp: 500,
            min_fee_usd_cents: 5_000,
            min_value_usd_cents: 100_000,
        }
    }
}

/// Fees per case: a default and overrides.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FeeSchedule {
    /// The rule for cases without an override.
    pub default: FeeRule,
    /// Per-case rules.
    pub overrides: BTreeMap<CaseKind, FeeRule>,
}

impl FeeSchedule {
    /// Checks the numbers: the share at most 100 %, the floor not above the minimum value.
    pub fn validate(&self) -> Result<(), ProtectError> {
        for (case, r) in std::iter::once((None, &self.default))
            .chain(self.overrides.iter().map(|(k, r)| (Some(*k), r)))
        {
            let name = case.map_or("default", CaseKind::as_str);
            if r.fee_bp > 10_000 {
                return Err(ProtectError::Fees {
                    reason: format!("{name}: fee_bp must be at most 10000, got {}", r.fee_bp),
                });
            }
            if r.min_fee_usd_cents > r.min_value_usd_cents {
                return Err(ProtectError::Fees {
                    reason: format!(
                        "{name}: the fee floor ({}) is above the minimum value ({}): every case would cost all of it",
                        r.min_fee_usd_cents, r.min_value_usd_cents
                    ),
                });
            }
        }
        Ok(())
    }

    /// The rule for `case`.
    pub fn rule(&self, case: CaseKind) -> &FeeRule {
        self.overrides.get(&case).unwrap_or(&self.default)
    }
}

fn ceil_div(a: u128, b: u128) -> u128 {
    a.div_ceil(b)
}

fn usd(c: u64) -> String {
    format!("{}.{:02} USD", c / 100, c % 100)
}

/// Applies the fee schedule to a recoverable case: recoverable above the minimum value with a
/// known price, otherwise not.
fn priced(
    fees: &FeeSchedule,
    case: CaseKind,
    t: &Transfer,
    owner: Option<AccountId>,
    why: String,
) -> (Outcome, String) {
    let rule = fees.rule(case);
    let Some(value) = t.usd_cents else {
        return (
            Outcome::NotRecoverable,
            format!("{why}; the exchange has no price for it, so its value cannot be established"),
        );
    };
    if value < rule.min_value_usd_cents {
        return (
            Outcome::NotRecoverable,
            format!(
                "{why}; it is worth {}, below the recovery minimum of {}",
                usd(value),
                usd(rule.min_value_usd_cents)
            ),
        );
    }
    let share = ceil_div(u128::from(value) * u128::from(rule.fee_bp), 10_000) as u64;
    let fee_usd_cents = share.max(rule.min_fee_usd_cents).min(value);
    // The fee in the transfer's own units, rounded up, never more than the transfer.
    let fee_units = ceil_div(
        t.amount.saturating_mul(u128::from(fee_usd_cents)),
        u128::from(value),
    )
    .min(t.amount);
    (
        Outcome::Recoverable {
            fee_units,
            fee_usd_cents,
            owner,
        },
        format!("{why}; recoverable for a fee of {}", usd(fee_usd_cents)),
    )
}

/// Diagnoses `t` for `claimant` (the user who reports it; `None` for the chain watcher).
///
/// The checks, in order: a token contract as destination; an address the exchange does not
/// hold; on memo chains a missing or unknown memo; another user's address; the asset's listing
/// on this network; a retired address; the minimum deposit. The first that applies decides.
pub fn diagnose(
    registry: &Registry,
    fees: &FeeSchedule,
    t: &Transfer,
    claimant: Option<&AccountId>,
    book: &dyn AddressBook,
) -> Diagnosis {
    let net = t.network;
    let contract = t.token.as_deref().unwrap_or("");
    let listed = registry.listed(net.name, contract);
    let (asset, decimals) = match (listed, &t.token) {
        (Some(l), _) => (Some(l.asset.clone()), l.decimals),
        (None, None) => (Some(net.native.to_owned()), 0),
        (None, Some(_)) => (None, 0),
    };
    let what = asset.clone().unwrap_or_else(|| format!("token {contract}"));
    let done = |case, outcome, reason: String| Diagnosis {
        case,
        outcome,
        reason,
        asset: asset.clone(),
        decimals,
    };
    let key = t.book_key();
    if registry.is_contract(&key) {
        return done(
            CaseKind::ContractAddress,
            Outcome::NotRecoverable,
            format!(
                "{what} was sent to a token contract on {}; no one holds a key to it",
                net.name
            ),
        );
    }
    let hit = book.hit(&key, t.memo.as_deref());
    if !hit.address_known {
        return done(
            CaseKind::NotOurs,
            Outcome::NotRecoverable,
            format!("{} on {} is not an address of the exchange", t.to, net.name),
        );
    }
    let entry = match (net.memo, &hit.entry, &t.memo) {
        (MemoRule::None, Some(e), _) => e,
        (MemoRule::None, None, _) => {
            return done(
                CaseKind::NotOurs,
                Outcome::NotRecoverable,
                format!("{} on {} is not an address of the exchange", t.to, net.name),
            );
        }
        (_, None, None) => {
            let (o, r) = priced(
                fees,
                CaseKind::MissingMemo,
                t,
                None,
                format!(
                    "{what} reached the exchange's shared {} address without the memo or tag that names the account",
                    net.name
                ),
            );
            return done(CaseKind::MissingMemo, o, r);
        }
        (_, None, Some(m)) => {
            let (o, r) = priced(
                fees,
                CaseKind::WrongMemo,
                t,
                None,
                format!(
                    "{what} reached the exchange's shared {} address with memo {m:?}, which belongs to no account",
                    net.name
                ),
            );
            return done(CaseKind::WrongMemo, o, r);
        }
        (_, Some(e), _) => e,
    };
    if let Some(c) = claimant
        && *c != entry.user
    {
        return done(
            CaseKind::OtherUsersAddress,
            Outcome::NotRecoverable,
            format!(
                "the address{} belongs to another account; the exchange does not move another user's funds without their consent",
                if t.memo.is_some() { " and memo" } else { "" }
            ),
        );
    }
    let owner = Some(entry.user.clone());
    match listed {
        Some(l) if l.deposits => {}
        _ => {
            let elsewhere = asset
                .as_deref()
                .is_some_and(|a| registry.accepted_somewhere(a));
            let case = if elsewhere {
                CaseKind::WrongNetwork
            } else {
                CaseKind::UnsupportedToken
            };
            let why = if elsewhere {
                format!(
                    "{what} is accepted on {} but was sent on {}",
                    registry
                        .accepted_on(asset.as_deref().unwrap_or(""))
                        .join(", "),
                    net.name
                )
            } else {
                format!("{what} on {} is not accepted by the exchange", net.name)
            };
            let (o, r) = priced(fees, case, t, owner, why);
            return done(case, o, r);
        }
    }
    if let AddressStatus::Retired = entry.status {
        let (o, r) = priced(
            fees,
            CaseKind::RetiredAddress,
            t,
            owner,
            format!("{} on {} is a retired deposit address", t.to, net.name),
        );
        return done(CaseKind::RetiredAddress, o, r);
    }
    let min = listed.map_or(0, |l| l.min_deposit);
    if t.amount < min {
        return done(
            CaseKind::BelowMinimum,
            Outcome::NotRecoverable,
            format!(
                "{} smallest units of {what} is below the minimum deposit of {min} on {}; moving it would cost more than it is worth",
                t.amount, net.name
            ),
        );
    }
    done(
        CaseKind::Correct,
        Outcome::Credit {
            user: entry.user.clone(),
        },
        format!("a correct deposit of {what} on {}", net.name),
    )
}
