//! What the scam-token service records, and the tally the monthly report folds it with
//! (tokens assessed, flagged by reason, honeypots).

use std::collections::{BTreeMap, BTreeSet};

use custodia_events::{Event, EventPayload, Figure, Tally};
use serde::{Deserialize, Serialize};

/// Event kind names (stable: they are stored in the log).
pub mod kinds {
    /// A token was assessed.
    pub const TOKEN_ASSESSED: &str = "token.assessed";
}

/// Payload of [`kinds::TOKEN_ASSESSED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenAssessed {
    /// Chain.
    pub chain: String,
    /// Contract address, lowercase.
    pub address: String,
    /// 0–100.
    pub score: u8,
    /// `low`, `medium`, `high` or `critical`.
    pub level: String,
    /// Whether the simulation showed it cannot be sold.
    pub honeypot: bool,
    /// Whether the simulation ran.
    pub simulated: bool,
    /// Reason codes, strongest first.
    pub reasons: Vec<String>,
}
impl EventPayload for TokenAssessed {
    const KIND: &'static str = kinds::TOKEN_ASSESSED;
}

/// The scam-token figures. A token assessed twice counts once (its latest assessment).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenTally {
    latest: BTreeMap<(String, String), TokenAssessed>,
    /// Events that did not decode.
    pub malformed: u64,
}

const TALLY_KINDS: &[&str] = &[kinds::TOKEN_ASSESSED];

impl TokenTally {
    /// Distinct tokens assessed.
    pub fn assessed(&self) -> u64 {
        self.latest.len() as u64
    }

    /// Of which flagged (level medium or above).
    pub fn flagged(&self) -> u64 {
        self.latest.values().filter(|a| a.level != "low").count() as u64
    }

    /// Of which honeypots.
    pub fn honeypots(&self) -> u64 {
        self.latest.values().filter(|a| a.honeypot).count() as u64
    }

    /// Flagged tokens per reason code.
    pub fn by_reason(&self) -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for a in self.latest.values().filter(|a| a.level != "low") {
            let distinct: BTreeSet<&String> = a.reasons.iter().collect();
            for r in distinct {
                *m.entry(r.clone()).or_default() += 1;
            }
        }
        m
    }
}

impl Tally for TokenTally {
    fn kinds(&self) -> &'static [&'static str] {
        TALLY_KINDS
    }

    fn record(&mut self, e: &Event) {
        match e.decode::<TokenAssessed>() {
            Some(Ok(p)) => {
                self.latest.insert((p.chain.clone(), p.address.clone()), p);
            }
            Some(Err(_)) => self.malformed += 1,
            None => {}
        }
    }

    fn figures(&self) -> Vec<Figure> {
        let k = TALLY_KINDS;
        let mut out = vec![
            Figure::count("token.assessed", "Tokens assessed", self.assessed(), k),
            Figure::count(
                "token.flagged",
                "Tokens flagged (medium risk or above)",
                self.flagged(),
                k,
            ),
            Figure::count(
                "token.honeypots",
                "Honeypots (could not be sold in simulation)",
                self.honeypots(),
                k,
            ),
        ];
        for (reason, n) in self.by_reason() {
            out.push(Figure::count(
                &format!("token.flagged.{reason}"),
                &format!("Flagged tokens with reason {reason}"),
                n,
                k,
            ));
        }
        if self.malformed > 0 {
            out.push(Figure::count(
                "token.malformed_events",
                "Scam-token events that did not decode",
                self.malformed,
                k,
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use custodia_events::{GENESIS_HASH, NewEvent, Timestamp};

    use super::*;

    fn ev(seq: u64, addr: &str, level: &str, honeypot: bool, reasons: &[&str]) -> Event {
        Event::link(
            seq,
            GENESIS_HASH,
            NewEvent::typed(
                Timestamp::from_millis(1),
                "service:token",
                &format!("token:{addr}"),
                &TokenAssessed {
                    chain: "ethereum".into(),
                    address: addr.into(),
                    score: 0,
                    level: level.into(),
                    honeypot,
                    simulated: true,
                    reasons: reasons.iter().map(|s| s.to_string()).collect(),
                },
            ),
        )
    }

    #[test]
    fn counts_distinct_tokens_flags_and_honeypots() {
        let mut t = TokenTally::default();
        t.record(&ev(1, "0xa", "critical", true, &["honeypot"]));
        t.record(&ev(2, "0xb", "low", false, &[]));
        t.record(&ev(3, "0xc", "medium", false, &["mintable", "blacklist"]));
        // A reassessment replaces the earlier one: 0xb counts once and is now flagged.
        t.record(&ev(4, "0xb", "medium", false, &["mintable"]));
        assert_eq!((t.assessed(), t.flagged(), t.honeypots()), (3, 3, 1));
        assert_eq!(t.by_reason().get("mintable"), Some(&2));
        let f = t.figures();
        assert!(f.iter().any(|x| x.key == "token.flagged.honeypot"));
        // The twin: a low-risk token's reasons are not counted as flags.
        let mut t = TokenTally::default();
        t.record(&ev(1, "0xa", "low", false, &["few_holders"]));
        assert!(t.by_reason().is_empty());
        assert_eq!(t.flagged(), 0);
    }
}
