use core::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

use crate::KeyError;

/// Maps IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) to IPv4, so a dual-stack gateway and an
/// IPv4 allowlist agree.
pub fn normalize_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The addresses and networks a key may be used from; empty means "not bound".
#[derive(Clone, PartialEq, Eq, Default)]
pub struct IpAllowlist(Vec<IpNet>);

/// Shortest accepted IPv4 prefix: anything wider is not a meaningful binding.
pub const MIN_V4_PREFIX: u8 = 8;
/// Shortest accepted IPv6 prefix.
pub const MIN_V6_PREFIX: u8 = 32;

impl IpAllowlist {
    /// Parses entries (`203.0.113.7`, `2001:db8::/48`, ...), at most `max` of them.
    ///
    /// Rejects: malformed entries, networks with host bits set (`10.0.0.5/24`: ambiguous intent),
    /// prefixes shorter than /8 (IPv4) or /32 (IPv6), unspecified and multicast addresses,
    /// and duplicates.
    pub fn parse<S: AsRef<str>>(entries: &[S], max: usize) -> Result<Self, KeyError> {
        if entries.len() > max {
            return Err(KeyError::TooManyIps {
                got: entries.len(),
                max,
            });
        }
        let mut out: Vec<IpNet> = Vec::with_capacity(entries.len());
        for (index, raw) in entries.iter().enumerate() {
            let raw = raw.as_ref();
            let err = |why: String| KeyError::Ip {
                index,
                entry: raw.chars().take(64).collect(),
                why,
            };
            let net = parse_entry(raw.trim()).map_err(err)?;
            if out.contains(&net) {
                return Err(err("listed twice".into()));
            }
            out.push(net);
        }
        Ok(Self(out))
    }

    /// Reads the stored form (comma-separated canonical entries).
    pub fn from_stored(s: &str) -> Result<Self, KeyError> {
        if s.is_empty() {
            return Ok(Self::default());
        }
        let entries: Vec<&str> = s.split(',').collect();
        Self::parse(&entries, usize::MAX).map_err(|e| KeyError::Corrupt {
            what: "ip allowlist",
            why: e.to_string(),
        })
    }

    /// The stored form: canonical entries joined by commas, `""` when unbound.
    pub fn to_stored(&self) -> String {
        self.entries().join(",")
    }

    /// Canonical text of each entry (`/32` and `/128` hosts are written as bare addresses).
    pub fn entries(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|n| {
                if n.prefix_len() == n.max_prefix_len() {
                    n.addr().to_string()
                } else {
                    n.to_string()
                }
            })
            .collect()
    }

    /// True when the key is bound to at least one address or network.
    pub fn is_bound(&self) -> bool {
        !self.0.is_empty()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when unbound.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a request from `ip` is allowed: always when unbound, else when an entry contains it.
    pub fn allows(&self, ip: IpAddr) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let ip = normalize_ip(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }
}

fn parse_entry(s: &str) -> Result<IpNet, String> {
    if s.is_empty() {
        return Err("empty entry".into());
    }
    let net = if s.contains('/') {
        let n = IpNet::from_str(s).map_err(|_| "not an IP address or CIDR network".to_string())?;
        if n.trunc() != n {
            return Err(format!("host bits set; did you mean {}?", n.trunc()));
        }
        n
    } else {
        let ip =
            IpAddr::from_str(s).map_err(|_| "not an IP address or CIDR network".to_string())?;
        IpNet::from(ip)
    };
    // Canonicalise IPv4-mapped IPv6 to IPv4.
    let net = match (net, normalize_ip(net.addr())) {
        (IpNet::V6(v6), IpAddr::V4(v4)) if v6.prefix_len() >= 96 => {
            IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96).map_err(|e| e.to_string())?
        }
        (n, _) => n,
    };
    let addr = net.addr();
    if addr.is_unspecified() {
        return Err("the unspecified address binds nothing".into());
    }
    if addr.is_multicast() {
        return Err("multicast addresses cannot send requests".into());
    }
    let min = if addr.is_ipv4() {
        MIN_V4_PREFIX
    } else {
        MIN_V6_PREFIX
    };
    if net.prefix_len() < min {
        return Err(format!(
            "prefix /{} is wider than the allowed /{min}",
            net.prefix_len()
        ));
    }
    Ok(net)
}

impl fmt::Debug for IpAllowlist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IpAllowlist[{}]", self.to_stored())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(entry: &str, expect: Result<&str, &str>) {
        let got = IpAllowlist::parse(&[entry], 20)
            .map(|l| l.to_stored())
            .map_err(|e| match e {
                KeyError::Ip { why, .. } => why,
                other => panic!("{other}"),
            });
        match expect {
            Ok(canon) => assert_eq!(got.as_deref(), Ok(canon), "{entry:?}"),
            Err(prefix) => {
                let why = got.expect_err(entry);
                assert!(why.starts_with(prefix), "{entry:?}: {why}");
            }
        }
    }

    #[test]
    fn entry_table() {
        check("203.0.113.7", Ok("203.0.113.7"));
        check(" 203.0.113.7 ", Ok("203.0.113.7"));
        check("203.0.113.7/32", Ok("203.0.113.7"));
        check("10.0.0.0/8", Ok("10.0.0.0/8"));
        check("198.51.100.0/24", Ok("198.51.100.0/24"));
        check("2001:db8::1", Ok("2001:db8::1"));
        check("2001:db8::/32", Ok("2001:db8::/32"));
        check("2001:DB8::/48", Ok("2001:db8::/48"));
        check("::ffff:203.0.113.7", Ok("203.0.113.7"));
        check("::ffff:198.51.100.0/120", Ok("198.51.100.0/24"));
        check("", Err("empty entry"));
        check("203.0.113", Err("not an IP"));
        check("203.0.113.256", Err("not an IP"));
        check("example.com", Err("not an IP"));
        check("203.0.113.0/33", Err("not an IP"));
        check(
            "203.0.113.5/24",
            Err("host bits set; did you mean 203.0.113.0/24?"),
        );
        check("0.0.0.0/0", Err("the unspecified"));
        check("0.0.0.0", Err("the unspecified"));
        check("::/0", Err("the unspecified"));
        check("2.0.0.0/7", Err("prefix /7 is wider than the allowed /8"));
        check("2000::/3", Err("prefix /3 is wider"));
        check("224.0.0.1", Err("multicast"));
        check("ff02::1", Err("multicast"));
    }

    #[test]
    fn list_rules() {
        let twenty: Vec<String> = (1..=20).map(|i| format!("192.0.2.{i}")).collect();
        assert_eq!(IpAllowlist::parse(&twenty, 20).unwrap().len(), 20);
        let mut twenty_one = twenty.clone();
        twenty_one.push("192.0.2.99".into());
        assert_eq!(
            IpAllowlist::parse(&twenty_one, 20),
            Err(KeyError::TooManyIps { got: 21, max: 20 })
        );
        assert!(matches!(
            IpAllowlist::parse(&["192.0.2.1", "192.0.2.1/32"], 20),
            Err(KeyError::Ip { index: 1, .. })
        ));
        let none: [&str; 0] = [];
        assert!(!IpAllowlist::parse(&none, 20).unwrap().is_bound());
    }

    #[test]
    fn allows() {
        let l = IpAllowlist::parse(&["192.0.2.0/24", "2001:db8::/48", "203.0.113.9"], 20).unwrap();
        for (ip, ok) in [
            ("192.0.2.1", true),
            ("192.0.3.1", false),
            ("203.0.113.9", true),
            ("203.0.113.8", false),
            ("::ffff:192.0.2.77", true),
            ("::ffff:192.0.3.77", false),
            ("2001:db8:0:1::5", true),
            ("2001:db8:1::5", false),
        ] {
            assert_eq!(l.allows(ip.parse().unwrap()), ok, "{ip}");
        }
        assert!(IpAllowlist::default().allows("198.51.100.1".parse().unwrap()));
        assert_eq!(IpAllowlist::from_stored(&l.to_stored()).unwrap(), l);
        assert_eq!(
            IpAllowlist::from_stored("").unwrap(),
            IpAllowlist::default()
        );
        assert!(IpAllowlist::from_stored("nope").is_err());
    }
}
