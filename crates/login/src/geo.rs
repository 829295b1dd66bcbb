//! Where an IP address is: country, autonomous system, approximate position, and what kind of
//! network it is (Tor exit, VPN, hosting). The service looks addresses up through
//! [`GeoLookup`]; [`RangeTable`] is the implementation loaded from CSV ranges, `MmdbGeo` reads
//! MaxMind-format databases, and `GeoSources` merges both.

use std::net::IpAddr;

use thiserror::Error;

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

impl Country {
    /// Parses two ASCII letters (any case).
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        (b.len() == 2 && b.iter().all(u8::is_ascii_alphabetic))
            .then(|| Self([b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()]))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

/// What kind of network an address belongs to, from loadable lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetworkKind {
    /// A Tor exit node.
    pub tor: bool,
    /// A commercial VPN's range.
    pub vpn: bool,
    /// A hosting or cloud provider's range (bots live there, people rarely do).
    pub hosting: bool,
    /// On a threat-intelligence list of attacking addresses.
    pub listed: bool,
}

/// A point on Earth, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Latitude, −90 to 90.
    pub lat: f64,
    /// Longitude, −180 to 180.
    pub lon: f64,
}

impl Position {
    /// A position when both coordinates are in range and finite.
    pub fn new(lat: f64, lon: f64) -> Option<Self> {
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon))
            .then_some(Self { lat, lon })
    }

    /// Great-circle distance in kilometres (haversine, mean Earth radius 6371 km).
    pub fn distance_km(&self, other: &Position) -> f64 {
        const R: f64 = 6371.0;
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * R * a.sqrt().min(1.0).asin()
    }
}

/// What is known about an address. Every field may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GeoInfo {
    /// Country.
    pub country: Option<Country>,
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// Approximate position.
    pub position: Option<Position>,
    /// Network kind.
    pub network: NetworkKind,
}

/// Looks addresses up. Implementations are in-memory and never block.
pub trait GeoLookup: Send + Sync {
    /// What is known about `ip`.
    fn lookup(&self, ip: IpAddr) -> GeoInfo;
}

/// Why a range file does not load; names the line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GeoError {
    /// A line does not have the expected fields.
    #[error("line {line}: {why}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// A MaxMind-format database does not open or fails verification.
    #[error("{name}: not a valid MaxMind DB file: {why}")]
    Mmdb {
        /// The database's name (its path).
        name: String,
        /// What the reader found wrong.
        why: String,
    },
    /// Two ranges overlap (a lookup would be ambiguous).
    #[error("line {line}: range {start}–{end} overlaps an earlier one")]
    Overlap {
        /// 1-based line number.
        line: usize,
        /// The range's start.
        start: IpAddr,
        /// The range's end.
        end: IpAddr,
    },
}

#[derive(Debug, Clone)]
struct Range {
    start: u128,
    end: u128,
    info: GeoInfo,
}

/// Address ranges loaded from CSV, looked up by binary search. IPv4 addresses are stored as
/// IPv4-mapped IPv6, so one table serves both families.
///
/// Line format (header optional, `#` comments): `start,end,country,asn,lat,lon,kinds` where
/// `kinds` is empty or any of `tor`, `vpn`, `hosting`, `listed` joined by `|`; empty fields are
/// unknown.
#[derive(Debug, Clone, Default)]
pub struct RangeTable {
    ranges: Vec<Range>,
}

fn key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or(u128::from(v6), |v4| u128::from(v4.to_ipv6_mapped())),
    }
}

impl RangeTable {
    /// Parses the CSV text.
    pub fn parse(text: &str) -> Result<Self, GeoError> {
        let mut ranges = Vec::new();
        let mut lines: Vec<(usize, IpAddr, IpAddr)> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') || (i == 0 && l.starts_with("start")) {
                continue;
            }
            let bad = |why: &str| GeoError::Line {
                line,
                why: why.to_owned(),
            };
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            if f.len() != 7 {
                return Err(bad(&format!(
                    "expected 7 fields (start,end,country,asn,lat,lon,kinds), found {}",
                    f.len()
                )));
            }
            let start: IpAddr = f[0]
                .parse()
                .map_err(|_| bad("start is not an IP address"))?;
            let end: IpAddr = f[1].parse().map_err(|_| bad("end is not an IP address"))?;
            if start.is_ipv4() != end.is_ipv4() || key(start) > key(end) {
                return Err(bad("start and end must be one family with start <= end"));
            }
            let country = match f[2] {
                "" => None,
                c => Some(Country::parse(c).ok_or_else(|| bad("country must be two letters"))?),
            };
            let asn = match f[3] {
                "" => None,
                a => Some(
                    a.trim_start_matches("AS")
                        .parse()
                        .map_err(|_| bad("asn must be a number"))?,
                ),
            };
            let position = match (f[4], f[5]) {
                ("", "") => None,
                (la, lo) => {
                    let la: f64 = la.parse().map_err(|_| bad("lat must be a number"))?;
                    let lo: f64 = lo.parse().map_err(|_| bad("lon must be a number"))?;
                    Some(Position::new(la, lo).ok_or_else(|| bad("lat/lon out of range"))?)
                }
            };
            let mut network = NetworkKind::default();
            for k in f[6].split('|').filter(|k| !k.is_empty()) {
                match k {
                    "tor" => network.tor = true,
                    "vpn" => network.vpn = true,
                    "hosting" => network.hosting = true,
                    "listed" => network.listed = true,
                    other => return Err(bad(&format!("unknown kind `{other}`"))),
                }
            }
            lines.push((line, start, end));
            ranges.push(Range {
                start: key(start),
                end: key(end),
                info: GeoInfo {
                    country,
                    asn,
                    position,
                    network,
                },
            });
        }
        let mut order: Vec<usize> = (0..ranges.len()).collect();
        order.sort_by_key(|&i| ranges[i].start);
        for w in order.windows(2) {
            if ranges[w[1]].start <= ranges[w[0]].end {
                let (line, start, end) = lines[w[1].max(w[0])];
                return Err(GeoError::Overlap { line, start, end });
            }
        }
        let ranges = order.into_iter().map(|i| ranges[i].clone()).collect();
        Ok(Self { ranges })
    }

    /// Ranges loaded.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// True when nothing is loaded.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

impl GeoLookup for RangeTable {
    fn lookup(&self, ip: IpAddr) -> GeoInfo {
        let k = key(ip);
        let i = self.ranges.partition_point(|r| r.start <= k);
        match i.checked_sub(1).map(|j| &self.ranges[j]) {
            Some(r) if k <= r.end => r.info,
            _ => GeoInfo::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "start,end,country,asn,lat,lon,kinds
# Paris ISP
192.0.2.0,192.0.2.255,FR,3215,48.86,2.35,
198.51.100.0,198.51.100.255,US,16509,39.04,-77.49,hosting
203.0.113.0,203.0.113.127,DE,,,,tor
2001:db8::,2001:db8::ffff,JP,2516,35.68,139.69,vpn
";

    #[test]
    fn lookups_cover_both_families_and_gaps() {
        let t = RangeTable::parse(CSV).unwrap();
        assert_eq!(t.len(), 4);
        let fr = t.lookup("192.0.2.77".parse().unwrap());
        assert_eq!(fr.country.unwrap().as_str(), "FR");
        assert_eq!(fr.asn, Some(3215));
        // IPv4-mapped IPv6 finds the IPv4 range.
        assert_eq!(t.lookup("::ffff:192.0.2.1".parse().unwrap()), fr);
        assert!(t.lookup("198.51.100.9".parse().unwrap()).network.hosting);
        assert!(t.lookup("203.0.113.1".parse().unwrap()).network.tor);
        assert!(t.lookup("2001:db8::42".parse().unwrap()).network.vpn);
        // Negative twins: outside every range is unknown, not the neighbour's.
        assert_eq!(
            t.lookup("203.0.113.200".parse().unwrap()),
            GeoInfo::default()
        );
        assert_eq!(t.lookup("10.0.0.1".parse().unwrap()), GeoInfo::default());
    }

    #[test]
    fn bad_lines_are_located() {
        for (text, want) in [
            ("1.2.3.4,1.2.3.5,FR,1,0,0", "line 1: expected 7 fields"),
            ("x,1.2.3.5,FR,1,0,0,", "line 1: start is not an IP"),
            ("1.2.3.9,1.2.3.5,FR,1,0,0,", "line 1: start and end"),
            ("1.2.3.4,::1,FR,1,0,0,", "line 1: start and end"),
            ("1.2.3.4,1.2.3.5,FRA,1,0,0,", "line 1: country"),
            ("1.2.3.4,1.2.3.5,FR,x,0,0,", "line 1: asn"),
            ("1.2.3.4,1.2.3.5,FR,1,95,0,", "line 1: lat/lon out of range"),
            (
                "1.2.3.4,1.2.3.5,FR,1,0,0,proxy",
                "line 1: unknown kind `proxy`",
            ),
            (
                "1.2.3.4,1.2.3.9,FR,1,0,0,\n1.2.3.8,1.2.3.20,FR,1,0,0,",
                "line 2: range 1.2.3.8–1.2.3.20 overlaps",
            ),
        ] {
            let e = RangeTable::parse(text).unwrap_err().to_string();
            assert!(e.starts_with(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn distances_match_known_city_pairs() {
        let paris = Position::new(48.8566, 2.3522).unwrap();
        let nyc = Position::new(40.7128, -74.0060).unwrap();
        let d = paris.distance_km(&nyc);
        assert!((d - 5837.0).abs() < 10.0, "{d}");
        assert_eq!(paris.distance_km(&paris), 0.0);
        assert!(Position::new(91.0, 0.0).is_none());
        assert!(Position::new(f64::NAN, 0.0).is_none());
    }
}
