//! A login as the exchange reports it, validated at the boundary, and the features the model
//! reads from it.

use std::net::IpAddr;

use custodia_events::Timestamp;
use custodia_primitives::AccountId;
use thiserror::Error;

use crate::geo::GeoInfo;
use crate::profile::{Feature, Observation};

/// Longest accepted user agent, in bytes (real ones are under 512).
pub const MAX_USER_AGENT: usize = 1024;
/// Longest accepted device id, in bytes.
pub const MAX_DEVICE_ID: usize = 128;

/// The password check's outcome, as the exchange reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The password was right.
    Success,
    /// The password was wrong.
    Failure,
}

impl Outcome {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// Why a login report is refused; each names the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    /// Not a valid account id.
    #[error("user must be a valid account id")]
    User,
    /// Not an IP address.
    #[error("ip must be an IPv4 or IPv6 address, got {got:?}")]
    Ip {
        /// The first characters of what was sent.
        got: String,
    },
    /// Empty, too long or with control characters.
    #[error("device_id must be 1–{MAX_DEVICE_ID} printable characters")]
    Device,
    /// Too long or with control characters.
    #[error("user_agent must be at most {MAX_USER_AGENT} bytes of printable text, got {len} bytes")]
    UserAgent {
        /// Its length.
        len: usize,
    },
    /// Not `success` or `failure`.
    #[error("outcome must be success or failure, got {got:?}")]
    Outcome {
        /// What was sent.
        got: String,
    },
    /// The login's time is too far from the service's clock.
    #[error("time is {delta_ms} ms from the service's clock; at most {max_ms} ms is accepted")]
    ClockSkew {
        /// The difference.
        delta_ms: i64,
        /// The limit.
        max_ms: i64,
    },
}

/// A validated login report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginInput {
    /// The account.
    pub user: AccountId,
    /// When.
    pub at: Timestamp,
    /// From where.
    pub ip: IpAddr,
    /// The client's device identifier.
    pub device: String,
    /// The raw user agent (possibly empty).
    pub user_agent: String,
    /// The password check's outcome.
    pub outcome: Outcome,
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

impl LoginInput {
    /// Validates every field; `at` defaults to `now` and may differ from it by `max_skew_ms`.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        user: &str,
        at: Option<Timestamp>,
        ip: &str,
        device: &str,
        user_agent: &str,
        outcome: &str,
        now: Timestamp,
        max_skew_ms: i64,
    ) -> Result<Self, InputError> {
        let user = AccountId::new(user).map_err(|_| InputError::User)?;
        let ip: IpAddr = ip
            .trim()
            .parse()
            .map_err(|_| InputError::Ip { got: clip(ip) })?;
        if device.is_empty() || device.len() > MAX_DEVICE_ID || device.chars().any(char::is_control)
        {
            return Err(InputError::Device);
        }
        if user_agent.len() > MAX_USER_AGENT || user_agent.chars().any(char::is_control) {
            return Err(InputError::UserAgent {
                len: user_agent.len(),
            });
        }
        let outcome = match outcome {
            "success" => Outcome::Success,
            "failure" => Outcome::Failure,
            other => return Err(InputError::Outcome { got: clip(other) }),
        };
        let at = at.unwrap_or(now);
        let delta_ms = at.as_millis() - now.as_millis();
        if delta_ms.abs() > max_skew_ms {
            return Err(InputError::ClockSkew {
                delta_ms,
                max_ms: max_skew_ms,
            });
        }
        Ok(Self {
            user,
            at,
            ip,
            device: device.to_owned(),
            user_agent: user_agent.to_owned(),
            outcome,
        })
    }

    /// The login's feature values for the model.
    pub fn observation(&self, geo: &GeoInfo) -> Observation {
        let mut o = Observation::new();
        if let Some(c) = geo.country {
            o.insert(Feature::Country, c.as_str().to_owned());
        }
        if let Some(a) = geo.asn {
            o.insert(Feature::Asn, a.to_string());
        }
        o.insert(Feature::Device, self.device.clone());
        o.insert(Feature::Agent, agent_family(&self.user_agent));
        let hour = self.at.as_millis().div_euclid(3_600_000).rem_euclid(24);
        o.insert(Feature::Hour, format!("h{}", hour / 3));
        o
    }

    /// The subnet the stuffing and spraying counters share: /24 for IPv4, /48 for IPv6.
    pub fn subnet(&self) -> String {
        subnet(self.ip)
    }
}

/// The /24 (IPv4, IPv4-mapped IPv6) or /48 (IPv6) an address belongs to.
pub fn subnet(ip: IpAddr) -> String {
    let v4 = match ip {
        IpAddr::V4(v) => Some(v),
        IpAddr::V6(v) => v.to_ipv4_mapped(),
    };
    match (v4, ip) {
        (Some(v), _) => {
            let o = v.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        (None, IpAddr::V6(v)) => {
            let s = v.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
        (None, IpAddr::V4(_)) => unreachable!("IPv4 is handled above"),
    }
}

/// Browser (or client library) and OS family from a user agent: coarse on purpose, so a
/// browser update is not a new device.
pub fn agent_family(ua: &str) -> String {
    const CLIENTS: &[(&str, &str)] = &[
        ("Edg/", "edge"),
        ("OPR/", "opera"),
        ("Firefox/", "firefox"),
        ("Chrome/", "chrome"),
        ("Safari/", "safari"),
        ("okhttp", "okhttp"),
        ("CFNetwork", "ios-app"),
        ("Dart/", "dart"),
        ("python-requests", "python"),
        ("curl/", "curl"),
    ];
    const SYSTEMS: &[(&str, &str)] = &[
        ("Android", "android"),
        ("iPhone", "ios"),
        ("iPad", "ios"),
        ("Windows", "windows"),
        ("Mac OS X", "macos"),
        ("Macintosh", "macos"),
        ("CrOS", "chromeos"),
        ("Linux", "linux"),
    ];
    let client = CLIENTS
        .iter()
        .find(|(k, _)| ua.contains(k))
        .map_or("other", |(_, v)| v);
    let os = SYSTEMS
        .iter()
        .find(|(k, _)| ua.contains(k))
        .map_or("other", |(_, v)| v);
    format!("{client}/{os}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600_000;

    fn parse(
        user: &str,
        ip: &str,
        device: &str,
        ua: &str,
        outcome: &str,
        skew: i64,
    ) -> Result<LoginInput, InputError> {
        LoginInput::parse(
            user,
            Some(Timestamp::from_millis(NOW + skew)),
            ip,
            device,
            ua,
            outcome,
            Timestamp::from_millis(NOW),
            300_000,
        )
    }

    #[test]
    fn every_field_is_checked() {
        assert!(parse("alice", "192.0.2.1", "d1", "Mozilla/5.0", "success", 0).is_ok());
        let cases: &[(&str, &str, &str, &str, &str, i64, &str)] = &[
            (
                "bad user!",
                "192.0.2.1",
                "d1",
                "",
                "success",
                0,
                "user must be",
            ),
            ("alice", "999.1.1.1", "d1", "", "success", 0, "ip must be"),
            (
                "alice",
                "192.0.2.1",
                "",
                "",
                "success",
                0,
                "device_id must be",
            ),
            (
                "alice",
                "192.0.2.1",
                "d\u{7}",
                "",
                "success",
                0,
                "device_id must be",
            ),
            (
                "alice",
                "192.0.2.1",
                "d1",
                "",
                "maybe",
                0,
                "outcome must be",
            ),
            (
                "alice",
                "192.0.2.1",
                "d1",
                "",
                "success",
                300_001,
                "time is 300001 ms",
            ),
            (
                "alice",
                "192.0.2.1",
                "d1",
                "",
                "success",
                -300_001,
                "time is -300001 ms",
            ),
        ];
        for (u, ip, d, ua, o, skew, want) in cases {
            let e = parse(u, ip, d, ua, o, *skew).unwrap_err().to_string();
            assert!(e.starts_with(want), "{u} {ip} {d} {o} {skew}: {e}");
        }
        let huge = "A".repeat(MAX_USER_AGENT + 1);
        assert_eq!(
            parse("alice", "192.0.2.1", "d1", &huge, "success", 0).unwrap_err(),
            InputError::UserAgent {
                len: MAX_USER_AGENT + 1
            }
        );
    }

    #[test]
    fn subnets_and_agent_families() {
        assert_eq!(subnet("192.0.2.77".parse().unwrap()), "192.0.2.0/24");
        assert_eq!(subnet("::ffff:192.0.2.77".parse().unwrap()), "192.0.2.0/24");
        assert_eq!(
            subnet("2001:db8:1:2::5".parse().unwrap()),
            "2001:db8:1::/48"
        );
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        let chrome_next = chrome.replace("131.0", "132.0");
        assert_eq!(agent_family(chrome), "chrome/windows");
        assert_eq!(
            agent_family(chrome),
            agent_family(&chrome_next),
            "an update is not a new agent"
        );
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(agent_family(iphone), "safari/ios");
        assert_eq!(agent_family(""), "other/other");
    }
}
