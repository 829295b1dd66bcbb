//! The login decision: the score plus hard rules, each a reason with the level it calls for; the
//! strictest level wins and the reasons are listed strictest first.

use core::fmt;

use custodia_events::Timestamp;

use crate::geo::{GeoInfo, Position};
use crate::profile::{Feature, LastLogin};
use crate::score::FeatureRisk;

/// What the login gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Decision {
    /// Let it in.
    Allow,
    /// Ask for a second factor first.
    StepUp,
    /// Refuse.
    Block,
}

impl Decision {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::StepUp => "step_up",
            Decision::Block => "block",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason behind a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    /// Stable code (`impossible_travel`, `new_device`, …).
    pub code: &'static str,
    /// The level this reason alone calls for.
    pub level: Decision,
    /// Facts in words, for analysts.
    pub detail: String,
}

/// The rules' thresholds (the `[login]` configuration section maps onto it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RulePolicy {
    /// Score at which a login steps up.
    pub step_up_at: u8,
    /// Score at which a login is blocked.
    pub block_at: u8,
    /// Faster than this between two logins is impossible travel (km/h).
    pub max_speed_kmh: f64,
    /// Closer than this is GeoIP noise, never travel (km).
    pub min_distance_km: f64,
}

impl Default for RulePolicy {
    fn default() -> Self {
        Self {
            step_up_at: 60,
            block_at: 95,
            max_speed_kmh: 1_000.0,
            min_distance_km: 50.0,
        }
    }
}

/// Everything the decision looks at, gathered by the service.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// When.
    pub at: Timestamp,
    /// Where the IP is.
    pub geo: GeoInfo,
    /// The score and its parts.
    pub score: (u8, &'a [FeatureRisk]),
    /// The user's last successful login.
    pub last_success: Option<LastLogin>,
    /// The account's brute-force lock, if one is in force.
    pub locked_until: Option<Timestamp>,
    /// The IP is on a threat-intelligence list.
    pub bad_ip: bool,
    /// Distinct accounts that failed from this IP in the window.
    pub accounts_failed_from_ip: u32,
    /// Distinct accounts that failed from this IP's subnet in the window.
    pub accounts_failed_from_subnet: u32,
    /// Stuffing threshold (see [`crate::SprayPolicy`]).
    pub stuffing_accounts: u32,
    /// Spraying threshold.
    pub spraying_accounts: u32,
}

/// A decision with its reasons and score.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// The decision.
    pub decision: Decision,
    /// 0–100.
    pub score: u8,
    /// Strictest first.
    pub reasons: Vec<Reason>,
}

fn travel(policy: &RulePolicy, last: &LastLogin, now: Timestamp, here: Position) -> Option<Reason> {
    let there = last.position()?;
    let km = there.distance_km(&here);
    if km < policy.min_distance_km {
        return None;
    }
    let hours = ((now.as_millis() - last.at_ms) as f64 / 3_600_000.0).max(1.0 / 60.0);
    let kmh = km / hours;
    (kmh > policy.max_speed_kmh).then(|| Reason {
        code: "impossible_travel",
        level: Decision::StepUp,
        detail: format!(
            "{km:.0} km from the last login in {:.0} min ({kmh:.0} km/h)",
            hours * 60.0
        ),
    })
}

/// Decides. Hard rules: an account lock, a listed IP, a stuffing or spraying source block;
/// impossible travel, Tor, and hosting ranges step up; the score steps up or blocks at its
/// thresholds; impossible travel together with a new device blocks (the takeover shape).
pub fn decide(policy: &RulePolicy, f: &Facts<'_>) -> Assessment {
    let mut r = Vec::new();
    let (score, parts) = f.score;
    if let Some(until) = f.locked_until {
        r.push(Reason {
            code: "account_locked",
            level: Decision::Block,
            detail: format!(
                "too many failed logins; locked until {}",
                until.to_iso8601_millis()
            ),
        });
    }
    if f.bad_ip {
        r.push(Reason {
            code: "listed_ip",
            level: Decision::Block,
            detail: "the IP is on a threat-intelligence list".into(),
        });
    }
    if f.accounts_failed_from_ip >= f.stuffing_accounts {
        r.push(Reason {
            code: "credential_stuffing",
            level: Decision::Block,
            detail: format!(
                "{} accounts failed from this IP in the window",
                f.accounts_failed_from_ip
            ),
        });
    }
    if f.accounts_failed_from_subnet >= f.spraying_accounts {
        r.push(Reason {
            code: "password_spraying",
            level: Decision::Block,
            detail: format!(
                "{} accounts failed from this subnet in the window",
                f.accounts_failed_from_subnet
            ),
        });
    }
    let new_device = parts
        .iter()
        .any(|p| p.feature == Feature::Device && p.new_for_user);
    let travel = match (&f.last_success, f.geo.position) {
        (Some(last), Some(here)) => travel(policy, last, f.at, here),
        _ => None,
    };
    if let Some(mut t) = travel {
        if new_device {
            t.level = Decision::Block;
            t.detail.push_str(", on a device the user never used");
        }
        r.push(t);
    }
    if f.geo.network.tor {
        r.push(Reason {
            code: "tor_exit",
            level: Decision::StepUp,
            detail: "the IP is a Tor exit node".into(),
        });
    }
    if f.geo.network.hosting {
        r.push(Reason {
            code: "hosting_network",
            level: if new_device {
                Decision::StepUp
            } else {
                Decision::Allow
            },
            detail: "the IP belongs to a hosting provider".into(),
        });
    }
    if f.geo.network.vpn {
        r.push(Reason {
            code: "vpn",
            level: Decision::Allow,
            detail: "the IP belongs to a VPN provider".into(),
        });
    }
    let level = if score >= policy.block_at {
        Decision::Block
    } else if score >= policy.step_up_at {
        Decision::StepUp
    } else {
        Decision::Allow
    };
    if level > Decision::Allow {
        let novel: Vec<String> = parts
            .iter()
            .filter(|p| p.new_for_user)
            .map(|p| format!("new {} {}", p.feature.as_str(), p.value))
            .collect();
        r.push(Reason {
            code: "unusual_for_user",
            level,
            detail: format!("risk score {score}: {}", novel.join(", ")),
        });
    }
    for p in parts.iter().filter(|p| p.new_for_user) {
        let code = match p.feature {
            Feature::Device => "new_device",
            Feature::Country => "new_country",
            Feature::Asn => "new_network",
            _ => continue,
        };
        r.push(Reason {
            code,
            level: Decision::Allow,
            detail: format!("{} {} not seen for this user", p.feature.as_str(), p.value),
        });
    }
    // Strictest first; stable, so rules keep their order within a level.
    r.sort_by_key(|x| std::cmp::Reverse(x.level));
    Assessment {
        decision: r.first().map_or(Decision::Allow, |x| x.level),
        score,
        reasons: r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::NetworkKind;

    const NOW: i64 = 1_767_225_600_000;

    fn part(feature: Feature, new: bool) -> FeatureRisk {
        FeatureRisk {
            feature,
            value: "v".into(),
            log_ratio: if new { 3.4 } else { -2.0 },
            new_for_user: new,
        }
    }

    fn paris() -> Position {
        Position::new(48.86, 2.35).unwrap()
    }

    fn facts<'a>(parts: &'a [FeatureRisk], score: u8) -> Facts<'a> {
        Facts {
            at: Timestamp::from_millis(NOW),
            geo: GeoInfo {
                position: Some(paris()),
                ..GeoInfo::default()
            },
            score: (score, parts),
            last_success: Some(LastLogin {
                at_ms: NOW - 3_600_000,
                lat: Some(48.85),
                lon: Some(2.30),
            }),
            locked_until: None,
            bad_ip: false,
            accounts_failed_from_ip: 0,
            accounts_failed_from_subnet: 0,
            stuffing_accounts: 20,
            spraying_accounts: 50,
        }
    }

    /// One row: how to change the facts, the decision, and the first reason's code.
    type Row = (
        &'static str,
        fn(&mut Facts<'_>),
        Decision,
        Option<&'static str>,
    );

    #[test]
    fn each_rule_and_its_twin() {
        let known = [part(Feature::Device, false)];
        let rows: &[Row] = &[
            ("usual login", |_| {}, Decision::Allow, None),
            (
                "locked account",
                |f| f.locked_until = Some(Timestamp::from_millis(NOW + 1)),
                Decision::Block,
                Some("account_locked"),
            ),
            (
                "listed IP",
                |f| f.bad_ip = true,
                Decision::Block,
                Some("listed_ip"),
            ),
            (
                "stuffing source",
                |f| f.accounts_failed_from_ip = 20,
                Decision::Block,
                Some("credential_stuffing"),
            ),
            (
                "below stuffing",
                |f| f.accounts_failed_from_ip = 19,
                Decision::Allow,
                None,
            ),
            (
                "spraying subnet",
                |f| f.accounts_failed_from_subnet = 50,
                Decision::Block,
                Some("password_spraying"),
            ),
            (
                "Tokyo an hour after Paris",
                |f| f.geo.position = Position::new(35.68, 139.69),
                Decision::StepUp,
                Some("impossible_travel"),
            ),
            (
                "Lyon an hour after Paris: 400 km/h",
                |f| f.geo.position = Position::new(45.76, 4.84),
                Decision::Allow,
                None,
            ),
            (
                "Tokyo a day after Paris",
                |f| {
                    f.geo.position = Position::new(35.68, 139.69);
                    f.last_success.as_mut().unwrap().at_ms = NOW - 24 * 3_600_000;
                },
                Decision::Allow,
                None,
            ),
            (
                "Tor",
                |f| {
                    f.geo.network = NetworkKind {
                        tor: true,
                        ..NetworkKind::default()
                    }
                },
                Decision::StepUp,
                Some("tor_exit"),
            ),
            (
                "hosting, known device",
                |f| {
                    f.geo.network = NetworkKind {
                        hosting: true,
                        ..NetworkKind::default()
                    }
                },
                Decision::Allow,
                Some("hosting_network"),
            ),
            (
                "VPN at home",
                |f| {
                    f.geo.network = NetworkKind {
                        vpn: true,
                        ..NetworkKind::default()
                    }
                },
                Decision::Allow,
                Some("vpn"),
            ),
            (
                "score at step-up",
                |f| f.score.0 = 60,
                Decision::StepUp,
                Some("unusual_for_user"),
            ),
            (
                "score below step-up",
                |f| f.score.0 = 59,
                Decision::Allow,
                None,
            ),
            (
                "score at block",
                |f| f.score.0 = 95,
                Decision::Block,
                Some("unusual_for_user"),
            ),
        ];
        for (name, edit, want, first) in rows {
            let mut f = facts(&known, 10);
            edit(&mut f);
            let a = decide(&RulePolicy::default(), &f);
            assert_eq!(a.decision, *want, "{name}: {a:?}");
            assert_eq!(a.reasons.first().map(|r| r.code), *first, "{name}: {a:?}");
        }
    }

    #[test]
    fn takeover_from_far_away_on_a_new_device_is_blocked() {
        let new = [part(Feature::Device, true), part(Feature::Country, true)];
        let mut f = facts(&new, 40);
        f.geo.position = Position::new(6.52, 3.38); // Lagos, 10 minutes after Paris
        f.last_success.as_mut().unwrap().at_ms = NOW - 600_000;
        let a = decide(&RulePolicy::default(), &f);
        assert_eq!(a.decision, Decision::Block, "{a:?}");
        assert_eq!(a.reasons[0].code, "impossible_travel");
        assert!(a.reasons.iter().any(|r| r.code == "new_device"));
        // Twin: the same trip on the user's own device steps up instead.
        let known = [part(Feature::Device, false), part(Feature::Country, true)];
        let mut f = facts(&known, 40);
        f.geo.position = Position::new(6.52, 3.38);
        f.last_success.as_mut().unwrap().at_ms = NOW - 600_000;
        assert_eq!(
            decide(&RulePolicy::default(), &f).decision,
            Decision::StepUp
        );
    }
}
