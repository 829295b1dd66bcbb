//! IP intelligence from MaxMind-format databases (`.mmdb`: GeoIP2/GeoLite2 City, Country, ASN,
//! Anonymous IP, or any database with the same field names), and [`GeoSources`], the lookup the
//! service uses: databases first or CSV ranges first, as configured, each filling in what the
//! other does not know.

use std::net::IpAddr;

use maxminddb::Reader;
use serde::Deserialize;

use crate::geo::{Country, GeoError, GeoInfo, GeoLookup, NetworkKind, Position, RangeTable};

/// The fields read from a record. Every field is optional: a City database has no ASN, an ASN
/// database no country, an Anonymous IP database only flags. Unknown fields are skipped.
#[derive(Debug, Default, Deserialize)]
struct Record<'a> {
    #[serde(borrow, default)]
    country: Option<Iso<'a>>,
    #[serde(borrow, default)]
    registered_country: Option<Iso<'a>>,
    #[serde(default)]
    location: Option<Location>,
    #[serde(default)]
    autonomous_system_number: Option<u32>,
    #[serde(default)]
    is_tor_exit_node: Option<bool>,
    #[serde(default)]
    is_anonymous_vpn: Option<bool>,
    #[serde(default)]
    is_public_proxy: Option<bool>,
    #[serde(default)]
    is_residential_proxy: Option<bool>,
    #[serde(default)]
    is_hosting_provider: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
struct Iso<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
}

#[derive(Debug, Default, Deserialize)]
struct Location {
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
}

/// One MaxMind-format database held in memory.
pub struct MmdbGeo {
    name: String,
    reader: Reader<Vec<u8>>,
}

impl std::fmt::Debug for MmdbGeo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MmdbGeo")
            .field("name", &self.name)
            .field("database_type", &self.reader.metadata().database_type)
            .field("node_count", &self.reader.metadata().node_count)
            .finish()
    }
}

impl MmdbGeo {
    /// Opens the database in `bytes`; `name` (usually its path) appears in errors. The whole
    /// file is verified here — search tree, data section, metadata — so a truncated or
    /// tampered file is refused at load, never half-used at lookup time.
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Result<Self, GeoError> {
        let bad = |e: maxminddb::MaxMindDbError| GeoError::Mmdb {
            name: name.to_owned(),
            why: e.to_string(),
        };
        let reader = Reader::from_source(bytes).map_err(bad)?;
        reader.verify().map_err(bad)?;
        Ok(Self {
            name: name.to_owned(),
            reader,
        })
    }

    /// The database type from its metadata (e.g. `GeoLite2-City`).
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// Nodes in its search tree (a measure of its size).
    pub fn node_count(&self) -> u64 {
        u64::from(self.reader.metadata().node_count)
    }

    /// The database's build time, seconds since the Unix epoch.
    pub fn build_epoch(&self) -> u64 {
        self.reader.metadata().build_epoch
    }

    fn record(&self, ip: IpAddr) -> Option<GeoInfo> {
        let ip = match ip {
            // An IPv4-mapped IPv6 client is the IPv4 client: look it up as one.
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let found = self.reader.lookup(ip).ok()?;
        // A record that does not decode as ours (a database of another shape) is unknown,
        // not an error on the request path; `from_bytes` already verified the file.
        let r: Record<'_> = found.decode().ok()??;
        let country = r
            .country
            .and_then(|c| c.iso_code)
            .or(r.registered_country.and_then(|c| c.iso_code))
            .and_then(Country::parse);
        let position = r
            .location
            .and_then(|l| Position::new(l.latitude?, l.longitude?));
        let yes = |f: Option<bool>| f.unwrap_or(false);
        Some(GeoInfo {
            country,
            asn: r.autonomous_system_number,
            position,
            network: NetworkKind {
                tor: yes(r.is_tor_exit_node),
                vpn: yes(r.is_anonymous_vpn)
                    || yes(r.is_public_proxy)
                    || yes(r.is_residential_proxy),
                hosting: yes(r.is_hosting_provider),
                listed: false,
            },
        })
    }
}

impl GeoLookup for MmdbGeo {
    fn lookup(&self, ip: IpAddr) -> GeoInfo {
        self.record(ip).unwrap_or_default()
    }
}

/// Which source answers first when both know a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GeoPrefer {
    /// The `.mmdb` databases (commercial data is usually fresher); the CSV ranges fill gaps and
    /// add their lists (Tor, VPN, hosting, listed).
    #[default]
    Mmdb,
    /// The CSV ranges (an operator's own corrections); the databases fill gaps.
    Ranges,
}

/// Every IP source of a deployment, merged field by field: the preferred source's known fields
/// win, the other fills what it left unknown, and the network kinds of all sources add up (an
/// address on any Tor list is a Tor exit).
#[derive(Debug, Default)]
pub struct GeoSources {
    databases: Vec<MmdbGeo>,
    ranges: RangeTable,
    prefer: GeoPrefer,
}

fn merge(mut a: GeoInfo, b: GeoInfo) -> GeoInfo {
    a.country = a.country.or(b.country);
    a.asn = a.asn.or(b.asn);
    a.position = a.position.or(b.position);
    a.network.tor |= b.network.tor;
    a.network.vpn |= b.network.vpn;
    a.network.hosting |= b.network.hosting;
    a.network.listed |= b.network.listed;
    a
}

impl GeoSources {
    /// Databases (in the order given: the first that knows a field wins among them), CSV
    /// ranges, and which of the two kinds of source goes first.
    pub fn new(databases: Vec<MmdbGeo>, ranges: RangeTable, prefer: GeoPrefer) -> Self {
        Self {
            databases,
            ranges,
            prefer,
        }
    }

    /// CSV ranges alone.
    pub fn ranges_only(ranges: RangeTable) -> Self {
        Self::new(Vec::new(), ranges, GeoPrefer::Mmdb)
    }

    /// The databases loaded.
    pub fn databases(&self) -> &[MmdbGeo] {
        &self.databases
    }

    /// The CSV ranges loaded.
    pub fn ranges(&self) -> &RangeTable {
        &self.ranges
    }
}

impl GeoLookup for GeoSources {
    fn lookup(&self, ip: IpAddr) -> GeoInfo {
        let from_db = || {
            self.databases
                .iter()
                .filter_map(|d| d.record(ip))
                .fold(GeoInfo::default(), merge)
        };
        match self.prefer {
            GeoPrefer::Mmdb => merge(from_db(), self.ranges.lookup(ip)),
            GeoPrefer::Ranges => merge(self.ranges.lookup(ip), from_db()),
        }
    }
}
