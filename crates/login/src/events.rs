//! What the login defence records: one payload struct per kind, and the tally the monthly
//! report folds them with ("users protected, withdrawals intercepted, funds saved").

use std::collections::{BTreeMap, BTreeSet};

use custodia_events::{Event, EventPayload, Figure, FigureValue, Repeated, Tally};
use serde::{Deserialize, Serialize};

/// Event kind names (stable: they are stored in the log).
pub mod kinds {
    /// A login was assessed.
    pub const LOGIN_ASSESSED: &str = "login.assessed";
    /// A withdrawal was screened.
    pub const WITHDRAWAL_SCREENED: &str = "login.withdrawal_screened";
    /// A security change was recorded (it locks withdrawals for a while).
    pub const SECURITY_CHANGE: &str = "login.security_change";
    /// A user set or changed the anti-phishing code.
    pub const ANTI_PHISHING_SET: &str = "login.anti_phishing_set";
}

/// Payload of [`kinds::LOGIN_ASSESSED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAssessed {
    /// The account.
    pub user: String,
    /// `success` or `failure` (the password check's outcome as reported).
    pub outcome: String,
    /// `allow`, `step_up` or `block`.
    pub decision: String,
    /// 0–100.
    pub score: u8,
    /// Reason codes, strictest first.
    pub reasons: Vec<String>,
    /// The client IP.
    pub ip: String,
    /// Its country, when known.
    pub country: Option<String>,
    /// Set on the second event of one attempt: a wrong password whose own failure tipped a lock
    /// is logged once with the decision before the lock and once more with the lock. This names
    /// the decision it replaces, so the attempt is counted once, under its final decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revises: Option<String>,
}
impl EventPayload for LoginAssessed {
    const KIND: &'static str = kinds::LOGIN_ASSESSED;
}

/// Payload of [`kinds::WITHDRAWAL_SCREENED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalScreened {
    /// The account.
    pub user: String,
    /// Asset symbol.
    pub asset: String,
    /// Amount in the asset's smallest unit, as a decimal string.
    pub amount: String,
    /// Value in USD cents.
    pub usd_cents: u64,
    /// `allow`, `hold` or `block`.
    pub decision: String,
    /// When a hold ends (ISO 8601).
    pub hold_until: Option<String>,
    /// Reason codes.
    pub reasons: Vec<String>,
    /// USD cents kept from leaving.
    pub protected_usd_cents: u64,
}
impl EventPayload for WithdrawalScreened {
    const KIND: &'static str = kinds::WITHDRAWAL_SCREENED;
}

/// Payload of [`kinds::SECURITY_CHANGE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityChanged {
    /// The account.
    pub user: String,
    /// `password_reset`, `new_second_factor`, `phone_change`, `email_change`, `new_device_login`.
    pub change: String,
}
impl EventPayload for SecurityChanged {
    const KIND: &'static str = kinds::SECURITY_CHANGE;
}

/// Payload of [`kinds::ANTI_PHISHING_SET`] (never the code itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AntiPhishingSet {
    /// The account.
    pub user: String,
}
impl EventPayload for AntiPhishingSet {
    const KIND: &'static str = kinds::ANTI_PHISHING_SET;
}

/// The login defence's figures for the monthly report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginTally {
    /// Logins assessed.
    pub assessed: u64,
    /// Of which stepped up.
    pub stepped_up: u64,
    /// Of which blocked.
    pub blocked: u64,
    /// Accounts with at least one login stepped up or blocked.
    pub protected_users: BTreeSet<String>,
    /// Withdrawals screened.
    pub withdrawals: u64,
    /// Withdrawals held or blocked.
    pub intercepted: u64,
    /// Value kept from leaving, USD cents, by asset.
    pub protected_usd_cents: BTreeMap<String, u64>,
    /// Events of these kinds whose payload did not decode.
    pub malformed: u64,
}

const TALLY_KINDS: &[&str] = &[
    kinds::LOGIN_ASSESSED,
    kinds::WITHDRAWAL_SCREENED,
    Repeated::KIND,
];

impl LoginTally {
    fn login(&mut self, p: &LoginAssessed, n: u64) {
        match p.revises.as_deref() {
            // The same attempt, decided again: move it from its first decision, count it once.
            Some("step_up") => self.stepped_up = self.stepped_up.saturating_sub(n),
            Some("block") => self.blocked = self.blocked.saturating_sub(n),
            Some(_) => {}
            None => self.assessed += n,
        }
        match p.decision.as_str() {
            "step_up" => self.stepped_up += n,
            "block" => self.blocked += n,
            _ => return,
        }
        self.protected_users.insert(p.user.clone());
    }
}

impl Tally for LoginTally {
    fn kinds(&self) -> &'static [&'static str] {
        TALLY_KINDS
    }

    fn record(&mut self, e: &Event) {
        match e.decode::<LoginAssessed>() {
            Some(Ok(p)) => self.login(&p, 1),
            Some(Err(_)) => self.malformed += 1,
            None => {}
        }
        match e.decode::<WithdrawalScreened>() {
            Some(Ok(p)) => {
                self.withdrawals += 1;
                if p.decision != "allow" {
                    self.intercepted += 1;
                    *self.protected_usd_cents.entry(p.asset).or_default() += p.protected_usd_cents;
                }
            }
            Some(Err(_)) => self.malformed += 1,
            None => {}
        }
        match e.decode::<Repeated>() {
            Some(Ok(r)) if r.kind == kinds::LOGIN_ASSESSED => {
                match serde_json::from_value::<LoginAssessed>(r.sample) {
                    Ok(p) => self.login(&p, r.count),
                    Err(_) => self.malformed += 1,
                }
            }
            Some(Err(_)) => self.malformed += 1,
            _ => {}
        }
    }

    fn figures(&self) -> Vec<Figure> {
        let k = &[kinds::LOGIN_ASSESSED, Repeated::KIND];
        let w = &[kinds::WITHDRAWAL_SCREENED];
        let mut out = vec![
            Figure::count("login.assessed", "Logins assessed", self.assessed, k),
            Figure::count(
                "login.stepped_up",
                "Logins asked for a second factor",
                self.stepped_up,
                k,
            ),
            Figure::count("login.blocked", "Logins blocked", self.blocked, k),
            Figure::count(
                "login.protected_users",
                "Accounts protected (a risky login stepped up or blocked)",
                self.protected_users.len() as u64,
                k,
            ),
            Figure::count(
                "login.withdrawals_screened",
                "Withdrawals screened",
                self.withdrawals,
                w,
            ),
            Figure::count(
                "login.withdrawals_intercepted",
                "Withdrawals held or blocked",
                self.intercepted,
                w,
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
            kinds: w.to_vec(),
        };
        out.push(usd(
            "login.protected_usd".into(),
            "Value kept from leaving by held or blocked withdrawals (USD)".into(),
            self.protected_usd_cents.values().sum(),
        ));
        for (asset, cents) in &self.protected_usd_cents {
            out.push(usd(
                format!("login.protected_usd.{asset}"),
                format!("Value kept from leaving in {asset} (USD)"),
                *cents,
            ));
        }
        if self.malformed > 0 {
            out.push(Figure::count(
                "login.malformed_events",
                "Login-defence events that did not decode",
                self.malformed,
                TALLY_KINDS,
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use custodia_events::{GENESIS_HASH, NewEvent, Timestamp};

    use super::*;

    fn event(seq: u64, e: NewEvent) -> Event {
        Event::link(seq, GENESIS_HASH, e)
    }

    fn login(user: &str, decision: &str) -> NewEvent {
        assessed(user, decision, None)
    }

    fn revision(user: &str, from: &str, to: &str) -> NewEvent {
        assessed(user, to, Some(from))
    }

    fn assessed(user: &str, decision: &str, revises: Option<&str>) -> NewEvent {
        NewEvent::typed(
            Timestamp::from_millis(1),
            "service:login",
            &format!("user:{user}"),
            &LoginAssessed {
                user: user.into(),
                outcome: "success".into(),
                decision: decision.into(),
                score: 10,
                reasons: vec![],
                ip: "192.0.2.1".into(),
                country: None,
                revises: revises.map(Into::into),
            },
        )
    }

    #[test]
    fn an_attempt_decided_again_counts_once_under_its_final_decision() {
        let mut t = LoginTally::default();
        t.record(&event(1, login("a", "allow")));
        t.record(&event(2, revision("a", "allow", "block")));
        t.record(&event(3, login("b", "step_up")));
        t.record(&event(4, revision("b", "step_up", "block")));
        assert_eq!((t.assessed, t.stepped_up, t.blocked), (2, 0, 2));
        // The twin: two separate attempts are two, each under its own decision.
        let mut t = LoginTally::default();
        t.record(&event(1, login("a", "allow")));
        t.record(&event(2, login("a", "block")));
        assert_eq!((t.assessed, t.stepped_up, t.blocked), (2, 0, 1));
        // Events written before the field existed decode as first decisions.
        let old = serde_json::json!({"user": "a", "outcome": "failure", "decision": "block",
            "score": 90, "reasons": [], "ip": "192.0.2.1", "country": null});
        let p: LoginAssessed = serde_json::from_value(old).unwrap();
        assert_eq!(p.revises, None);
    }

    #[test]
    fn figures_count_logins_users_and_value() {
        let mut t = LoginTally::default();
        t.record(&event(1, login("a", "allow")));
        t.record(&event(2, login("a", "step_up")));
        t.record(&event(3, login("b", "block")));
        t.record(&event(4, login("b", "block")));
        let w = |asset: &str, decision: &str, cents| {
            NewEvent::typed(
                Timestamp::from_millis(1),
                "service:login",
                "user:a",
                &WithdrawalScreened {
                    user: "a".into(),
                    asset: asset.into(),
                    amount: "1".into(),
                    usd_cents: cents,
                    decision: decision.into(),
                    hold_until: None,
                    reasons: vec![],
                    protected_usd_cents: if decision == "allow" { 0 } else { cents },
                },
            )
        };
        t.record(&event(5, w("BTC", "block", 1_000)));
        t.record(&event(6, w("BTC", "hold", 500)));
        t.record(&event(7, w("ETH", "allow", 9_999)));
        assert_eq!((t.assessed, t.stepped_up, t.blocked), (4, 1, 2));
        assert_eq!(t.protected_users.len(), 2);
        assert_eq!((t.withdrawals, t.intercepted), (3, 2));
        let f = t.figures();
        let total = f.iter().find(|x| x.key == "login.protected_usd").unwrap();
        assert_eq!(
            total.value,
            FigureValue::Amount {
                asset: "USD".into(),
                units: 1_500,
                decimals: 2
            }
        );
        // The twin: an allowed withdrawal protects nothing and an ETH row does not appear.
        assert!(f.iter().all(|x| x.key != "login.protected_usd.ETH"));
    }
}
