//! Withdrawal screening: the exchange's locks (a new address, a security change, a new-device
//! login each hold withdrawals for 24 h), allowlist-only mode, velocity limits per asset and in
//! USD, and the destination checked against address intelligence. Pure: the service gathers the
//! facts, the store records the decision.

use std::collections::BTreeMap;

use custodia_events::Timestamp;

/// A security change that locks withdrawals for a while (OKX: 24 h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecurityChange {
    /// Password reset or change.
    PasswordReset,
    /// A new or reset second factor.
    NewSecondFactor,
    /// Phone number changed.
    PhoneChange,
    /// E-mail address changed.
    EmailChange,
    /// A login from a device the user never used.
    NewDeviceLogin,
}

impl SecurityChange {
    /// Every change, for parsing.
    pub const ALL: [SecurityChange; 5] = [
        Self::PasswordReset,
        Self::NewSecondFactor,
        Self::PhoneChange,
        Self::EmailChange,
        Self::NewDeviceLogin,
    ];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::NewSecondFactor => "new_second_factor",
            Self::PhoneChange => "phone_change",
            Self::EmailChange => "email_change",
            Self::NewDeviceLogin => "new_device_login",
        }
    }

    /// From its name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The rules' settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawPolicy {
    /// Hold after a security change or a new-device login (OKX: 24 h).
    pub change_lock_ms: i64,
    /// Hold on an address added to the allowlist (OKX: 24 h).
    pub new_address_lock_ms: i64,
    /// Most value withdrawn per rolling 24 h in USD cents (0: no limit).
    pub daily_usd_cents: u64,
    /// Most per asset per rolling 24 h, in the asset's smallest unit.
    pub daily_per_asset: BTreeMap<String, u128>,
}

impl Default for WithdrawPolicy {
    fn default() -> Self {
        Self {
            change_lock_ms: 24 * 3_600_000,
            new_address_lock_ms: 24 * 3_600_000,
            daily_usd_cents: 0,
            daily_per_asset: BTreeMap::new(),
        }
    }
}

/// What the screening looks at, gathered by the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawFacts {
    /// When.
    pub at: Timestamp,
    /// Asset symbol.
    pub asset: String,
    /// Amount in the asset's smallest unit.
    pub amount: u128,
    /// Its value in USD cents at the request.
    pub usd_cents: u64,
    /// The user only withdraws to allowlisted addresses.
    pub allowlist_only: bool,
    /// When the destination was added to the allowlist (`None`: not on it).
    pub allowlisted_at: Option<Timestamp>,
    /// The user's security changes, any order.
    pub changes: Vec<(SecurityChange, Timestamp)>,
    /// Already withdrawn in the last 24 h: this asset, smallest units.
    pub asset_last_24h: u128,
    /// Already withdrawn in the last 24 h: USD cents, all assets.
    pub usd_last_24h: u64,
    /// Lists the destination is on (`sanctions`, `hack`, `scam`…), from address intelligence.
    pub listed: Vec<String>,
    /// An address in the user's history that the destination imitates (address poisoning).
    pub imitates: Option<String>,
}

/// The screening's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WithdrawDecision {
    /// Send it.
    Allow,
    /// Not yet: allowed again at `until`.
    Hold {
        /// When the hold ends.
        until: Timestamp,
    },
    /// Refused.
    Block,
}

/// One reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawReason {
    /// Stable code.
    pub code: &'static str,
    /// Facts in words.
    pub detail: String,
}

/// The decision, its reasons (blocking ones first), and the value it kept from leaving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawVerdict {
    /// The decision.
    pub decision: WithdrawDecision,
    /// Why.
    pub reasons: Vec<WithdrawReason>,
    /// USD cents not sent (the request's value unless allowed).
    pub protected_usd_cents: u64,
}

/// Screens one withdrawal.
pub fn screen(policy: &WithdrawPolicy, f: &WithdrawFacts) -> WithdrawVerdict {
    let mut block = Vec::new();
    let mut hold: Vec<(Timestamp, WithdrawReason)> = Vec::new();
    let now = f.at.as_millis();
    if !f.listed.is_empty() {
        block.push(WithdrawReason {
            code: "listed_destination",
            detail: format!("the destination is listed: {}", f.listed.join(", ")),
        });
    }
    if let Some(real) = &f.imitates {
        block.push(WithdrawReason {
            code: "poisoned_address",
            detail: format!("the destination imitates {real}, an address this user sent to before"),
        });
    }
    if f.allowlist_only && f.allowlisted_at.is_none() {
        block.push(WithdrawReason {
            code: "not_allowlisted",
            detail: "the user withdraws to allowlisted addresses only".into(),
        });
    }
    if let Some(added) = f.allowlisted_at {
        let until = added.as_millis().saturating_add(policy.new_address_lock_ms);
        if until > now {
            hold.push((
                Timestamp::from_millis(until),
                WithdrawReason {
                    code: "new_address",
                    detail: format!("address added {}", added.to_iso8601_millis()),
                },
            ));
        }
    }
    for (c, at) in &f.changes {
        let until = at.as_millis().saturating_add(policy.change_lock_ms);
        if until > now && at.as_millis() <= now {
            hold.push((
                Timestamp::from_millis(until),
                WithdrawReason {
                    code: "security_change",
                    detail: format!("{} at {}", c.as_str(), at.to_iso8601_millis()),
                },
            ));
        }
    }
    if let Some(limit) = policy.daily_per_asset.get(&f.asset)
        && f.asset_last_24h.saturating_add(f.amount) > *limit
    {
        block.push(WithdrawReason {
            code: "asset_velocity",
            detail: format!(
                "{} {} in 24 h would exceed the limit of {limit}",
                f.asset_last_24h.saturating_add(f.amount),
                f.asset
            ),
        });
    }
    if policy.daily_usd_cents > 0
        && f.usd_last_24h.saturating_add(f.usd_cents) > policy.daily_usd_cents
    {
        block.push(WithdrawReason {
            code: "usd_velocity",
            detail: format!(
                "USD {:.2} in 24 h would exceed the limit of USD {:.2}",
                f.usd_last_24h.saturating_add(f.usd_cents) as f64 / 100.0,
                policy.daily_usd_cents as f64 / 100.0
            ),
        });
    }
    let decision = if !block.is_empty() {
        WithdrawDecision::Block
    } else if let Some(until) = hold.iter().map(|(t, _)| *t).max() {
        WithdrawDecision::Hold { until }
    } else {
        WithdrawDecision::Allow
    };
    let mut reasons = block;
    hold.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
    reasons.extend(hold.into_iter().map(|(_, r)| r));
    WithdrawVerdict {
        decision,
        protected_usd_cents: if decision == WithdrawDecision::Allow {
            0
        } else {
            f.usd_cents
        },
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600_000;
    const H: i64 = 3_600_000;

    fn facts() -> WithdrawFacts {
        WithdrawFacts {
            at: Timestamp::from_millis(NOW),
            asset: "BTC".into(),
            amount: 10_000_000,
            usd_cents: 900_000,
            allowlist_only: false,
            allowlisted_at: Some(Timestamp::from_millis(NOW - 30 * 24 * H)),
            changes: vec![],
            asset_last_24h: 0,
            usd_last_24h: 0,
            listed: vec![],
            imitates: None,
        }
    }

    type Row = (
        &'static str,
        fn(&mut WithdrawFacts),
        &'static str,
        Option<&'static str>,
    );

    #[test]
    fn each_rule_and_its_twin() {
        let mut policy = WithdrawPolicy {
            daily_usd_cents: 5_000_000,
            ..WithdrawPolicy::default()
        };
        policy.daily_per_asset.insert("BTC".into(), 50_000_000);
        let rows: &[Row] = &[
            ("usual", |_| {}, "allow", None),
            (
                "sanctioned destination",
                |f| f.listed = vec!["sanctions".into()],
                "block",
                Some("listed_destination"),
            ),
            (
                "poisoned look-alike",
                |f| f.imitates = Some("0x1234…abcd".into()),
                "block",
                Some("poisoned_address"),
            ),
            (
                "allowlist-only, not allowlisted",
                |f| {
                    f.allowlist_only = true;
                    f.allowlisted_at = None;
                },
                "block",
                Some("not_allowlisted"),
            ),
            (
                "allowlist-only, allowlisted",
                |f| f.allowlist_only = true,
                "allow",
                None,
            ),
            (
                "address added an hour ago",
                |f| f.allowlisted_at = Some(Timestamp::from_millis(NOW - H)),
                "hold",
                Some("new_address"),
            ),
            (
                "address added 25 h ago",
                |f| f.allowlisted_at = Some(Timestamp::from_millis(NOW - 25 * H)),
                "allow",
                None,
            ),
            (
                "password reset 2 h ago",
                |f| {
                    f.changes = vec![(
                        SecurityChange::PasswordReset,
                        Timestamp::from_millis(NOW - 2 * H),
                    )]
                },
                "hold",
                Some("security_change"),
            ),
            (
                "password reset 2 days ago",
                |f| {
                    f.changes = vec![(
                        SecurityChange::PasswordReset,
                        Timestamp::from_millis(NOW - 48 * H),
                    )]
                },
                "allow",
                None,
            ),
            (
                "over the BTC daily limit",
                |f| f.asset_last_24h = 40_000_001,
                "block",
                Some("asset_velocity"),
            ),
            (
                "at the BTC daily limit",
                |f| f.asset_last_24h = 40_000_000,
                "allow",
                None,
            ),
            (
                "over the USD daily limit",
                |f| f.usd_last_24h = 4_100_001,
                "block",
                Some("usd_velocity"),
            ),
        ];
        for (name, edit, want, first) in rows {
            let mut f = facts();
            edit(&mut f);
            let v = screen(&policy, &f);
            let got = match v.decision {
                WithdrawDecision::Allow => "allow",
                WithdrawDecision::Hold { .. } => "hold",
                WithdrawDecision::Block => "block",
            };
            assert_eq!(got, *want, "{name}: {v:?}");
            assert_eq!(v.reasons.first().map(|r| r.code), *first, "{name}: {v:?}");
            assert_eq!(
                v.protected_usd_cents,
                if got == "allow" { 0 } else { 900_000 },
                "{name}"
            );
        }
    }

    #[test]
    fn the_poisoned_withdrawal_after_a_password_reset_is_blocked_and_held_reasons_listed() {
        let mut f = facts();
        f.changes = vec![
            (
                SecurityChange::NewDeviceLogin,
                Timestamp::from_millis(NOW - 3 * H),
            ),
            (
                SecurityChange::PasswordReset,
                Timestamp::from_millis(NOW - H),
            ),
        ];
        f.imitates = Some("bc1qreal…".into());
        let v = screen(&WithdrawPolicy::default(), &f);
        assert_eq!(v.decision, WithdrawDecision::Block);
        let codes: Vec<&str> = v.reasons.iter().map(|r| r.code).collect();
        assert_eq!(
            codes,
            ["poisoned_address", "security_change", "security_change"]
        );
        // Without the poisoning the latest hold decides when it may go.
        f.imitates = None;
        assert_eq!(
            screen(&WithdrawPolicy::default(), &f).decision,
            WithdrawDecision::Hold {
                until: Timestamp::from_millis(NOW + 23 * H)
            }
        );
    }
}
