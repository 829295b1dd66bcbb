//! Recovery cases: the state machine every wrong deposit that can be recovered goes through,
//! with the actor and time of every transition.
//!
//! ```text
//! opened ──verify──► ownership_verified ──approve──► approved ──recover──► recovered
//!   │                      │                            └────credit───► credited
//!   └──────────reject──────┴───────────reject───────────┴──► rejected
//! ```
//!
//! Closed cases (recovered, credited, rejected) have an outcome and move no more. The approver
//! must not be the one who verified the ownership.

use core::fmt;

use custodia_events::Timestamp;
use custodia_primitives::AccountId;
use serde::{Deserialize, Serialize};

use crate::ProtectError;
use crate::deposit::CaseKind;
use crate::error::clip;

/// Longest note or rejection reason, characters.
pub const MAX_NOTE: usize = 1000;

/// A case id: `rc_` and 24 lower-case hex digits (96 random bits).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CaseId(String);

impl CaseId {
    /// The id of 12 random bytes.
    pub fn from_random(bytes: [u8; 12]) -> CaseId {
        let mut s = String::with_capacity(27);
        s.push_str("rc_");
        for b in bytes {
            s.push_str(&format!("{b:02x}"));
        }
        CaseId(s)
    }

    /// Reads an id.
    pub fn parse(s: &str) -> Result<CaseId, ProtectError> {
        let ok = s.len() == 27
            && s.starts_with("rc_")
            && s[3..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(CaseId(s.to_owned()))
        } else {
            Err(ProtectError::CaseId { got: clip(s, 40) })
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// Opened; the claimant has to prove the funds are theirs.
    Opened,
    /// An operator verified the ownership.
    OwnershipVerified,
    /// A second operator approved the recovery.
    Approved,
    /// Closed: the funds went back on chain.
    Recovered,
    /// Closed: the funds were credited to the user's account.
    Credited,
    /// Closed: refused.
    Rejected,
}

impl CaseState {
    /// Every state.
    pub const ALL: &'static [CaseState] = &[
        CaseState::Opened,
        CaseState::OwnershipVerified,
        CaseState::Approved,
        CaseState::Recovered,
        CaseState::Credited,
        CaseState::Rejected,
    ];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Opened => "opened",
            CaseState::OwnershipVerified => "ownership_verified",
            CaseState::Approved => "approved",
            CaseState::Recovered => "recovered",
            CaseState::Credited => "credited",
            CaseState::Rejected => "rejected",
        }
    }

    /// Reads a stable name.
    pub fn parse(s: &str) -> Option<CaseState> {
        CaseState::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    /// Whether the case is closed.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            CaseState::Recovered | CaseState::Credited | CaseState::Rejected
        )
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an operator does to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseAction {
    /// The claimant proved the funds are theirs.
    VerifyOwnership,
    /// Recovery approved (by someone other than the verifier).
    Approve,
    /// The funds went back on chain in this transaction.
    Recover {
        /// The return transaction.
        tx_hash: String,
    },
    /// The funds were credited to the user's account.
    Credit,
    /// Refused, with the reason the user sees.
    Reject {
        /// Why.
        reason: String,
    },
}

impl CaseAction {
    /// The past participle (`verified`, `approved`, …) for messages and events.
    pub fn as_str(&self) -> &'static str {
        match self {
            CaseAction::VerifyOwnership => "verified",
            CaseAction::Approve => "approved",
            CaseAction::Recover { .. } => "recovered",
            CaseAction::Credit => "credited",
            CaseAction::Reject { .. } => "rejected",
        }
    }

    /// The state the action leads to from `from`, if it is allowed there.
    pub fn next(&self, from: CaseState) -> Option<CaseState> {
        use CaseState::*;
        match (from, self) {
            (Opened, CaseAction::VerifyOwnership) => Some(OwnershipVerified),
            (OwnershipVerified, CaseAction::Approve) => Some(Approved),
            (Approved, CaseAction::Recover { .. }) => Some(Recovered),
            (Approved, CaseAction::Credit) => Some(Credited),
            (Opened | OwnershipVerified | Approved, CaseAction::Reject { .. }) => Some(Rejected),
            _ => None,
        }
    }
}

/// How a closed case ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CaseOutcome {
    /// Returned on chain.
    Recovered {
        /// The return transaction.
        tx_hash: String,
        /// Units returned (amount less fee).
        net_units: String,
        /// Fee kept, units.
        fee_units: String,
    },
    /// Credited to the account.
    Credited {
        /// Units credited (amount less fee).
        net_units: String,
        /// Fee kept, units.
        fee_units: String,
    },
    /// Refused.
    Rejected {
        /// Why.
        reason: String,
    },
}

/// One step of a case's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// From (`None`: the case was opened).
    pub from: Option<CaseState>,
    /// To.
    pub to: CaseState,
    /// Who (`operator:…`, `user:…`, `service:…`).
    pub actor: String,
    /// When.
    pub at: Timestamp,
    /// The operator's note, if any.
    pub note: Option<String>,
}

/// A recovery case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Id.
    pub id: CaseId,
    /// The claimant.
    pub user: AccountId,
    /// The diagnosed case.
    pub kind: CaseKind,
    /// Network name.
    pub network: String,
    /// Transaction hash.
    pub tx_hash: String,
    /// Token contract (`None`: native coin).
    pub token: Option<String>,
    /// Destination.
    pub to: String,
    /// Memo as sent.
    pub memo: Option<String>,
    /// The transfer's identity (unique: one case per transfer).
    pub transfer: String,
    /// Asset symbol (`None`: unlisted token).
    pub asset: Option<String>,
    /// Decimals.
    pub decimals: u8,
    /// Amount, smallest units.
    pub amount: u128,
    /// Value when opened, USD cents.
    pub usd_cents: u64,
    /// Fee, smallest units.
    pub fee_units: u128,
    /// Fee, USD cents.
    pub fee_usd_cents: u64,
    /// The diagnosis in words.
    pub reason: String,
    /// Where it stands.
    pub state: CaseState,
    /// How it ended (closed cases only).
    pub outcome: Option<CaseOutcome>,
    /// Every transition, oldest first (the first is the opening).
    pub history: Vec<Transition>,
}

/// Checks an actor: 1–128 printable ASCII characters without spaces.
pub fn validate_actor(actor: &str) -> Result<(), ProtectError> {
    if actor.is_empty() || actor.len() > 128 || !actor.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ProtectError::Actor {
            got: clip(actor, 40),
        });
    }
    Ok(())
}

fn note_ok(field: &'static str, s: &str) -> Result<(), ProtectError> {
    let n = s.chars().count();
    if n == 0 || n > MAX_NOTE || s.trim().is_empty() {
        return Err(ProtectError::Note {
            field,
            max: MAX_NOTE,
            got: n,
        });
    }
    Ok(())
}

impl Case {
    /// When it was opened.
    pub fn opened_at(&self) -> Timestamp {
        self.history.first().map(|t| t.at).unwrap_or_default()
    }

    /// The actor who verified the ownership, if anyone did.
    pub fn verifier(&self) -> Option<&str> {
        self.history
            .iter()
            .find(|t| t.to == CaseState::OwnershipVerified)
            .map(|t| t.actor.as_str())
    }

    /// Applies `action` by `actor` at `at`: checks the state machine, the four-eyes rule and
    /// the action's fields, then moves the case and returns the transition. On an error the
    /// case is unchanged.
    pub fn apply(
        &mut self,
        action: &CaseAction,
        actor: &str,
        at: Timestamp,
        note: Option<&str>,
    ) -> Result<Transition, ProtectError> {
        validate_actor(actor)?;
        if let Some(n) = note {
            note_ok("note", n)?;
        }
        let to = action
            .next(self.state)
            .ok_or(ProtectError::IllegalTransition {
                from: self.state,
                action: action.as_str(),
            })?;
        if matches!(action, CaseAction::Approve) && self.verifier() == Some(actor) {
            return Err(ProtectError::SameActor {
                actor: actor.to_owned(),
            });
        }
        let net = self.amount.saturating_sub(self.fee_units).to_string();
        let outcome = match action {
            CaseAction::Recover { tx_hash } => {
                let t = crate::registry::NetworkSpec::find(&self.network)?;
                Some(CaseOutcome::Recovered {
                    tx_hash: t.tx_hash(tx_hash)?,
                    net_units: net,
                    fee_units: self.fee_units.to_string(),
                })
            }
            CaseAction::Credit => Some(CaseOutcome::Credited {
                net_units: net,
                fee_units: self.fee_units.to_string(),
            }),
            CaseAction::Reject { reason } => {
                note_ok("reason", reason)?;
                Some(CaseOutcome::Rejected {
                    reason: reason.clone(),
                })
            }
            CaseAction::VerifyOwnership | CaseAction::Approve => None,
        };
        let t = Transition {
            from: Some(self.state),
            to,
            actor: actor.to_owned(),
            at,
            note: note.map(str::to_owned),
        };
        self.state = to;
        self.outcome = outcome;
        self.history.push(t.clone());
        Ok(t)
    }
}
