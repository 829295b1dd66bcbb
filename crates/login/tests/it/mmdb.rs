//! MaxMind-format databases: a small writer of the MaxMind DB format (version 2.0 of the public
//! specification: a binary search tree of 24-bit records, a 16-byte separator, a data section of
//! typed values, and a metadata map after the `\xAB\xCD\xEFMaxMind.com` marker), databases
//! built with it in the shapes of GeoIP2 City, ASN and Anonymous IP, and the lookups, merges and
//! refusals the service relies on.

use std::net::IpAddr;

use custodia_login::{GeoError, GeoLookup, GeoPrefer, GeoSources, MmdbGeo, RangeTable};

/// A value of the data section.
#[derive(Clone)]
enum V {
    Str(&'static str),
    U16(u16),
    U32(u32),
    U64(u64),
    F64(f64),
    Bool(bool),
    Map(Vec<(&'static str, V)>),
    Array(Vec<V>),
}

/// A control byte (type and size) with its extension bytes.
fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    let (low, ext): (u8, Vec<u8>) = if size < 29 {
        (size as u8, vec![])
    } else if size < 285 {
        (29, vec![(size - 29) as u8])
    } else if size < 65_821 {
        (30, ((size - 285) as u16).to_be_bytes().to_vec())
    } else {
        (31, ((size - 65_821) as u32).to_be_bytes()[1..].to_vec())
    };
    if kind <= 7 {
        out.push((kind << 5) | low);
    } else {
        // Extended type: type bits zero, the type minus 7 in the next byte.
        out.push(low);
        out.push(kind - 7);
    }
    out.extend(ext);
}

fn uint(out: &mut Vec<u8>, kind: u8, n: u64) {
    let b = n.to_be_bytes();
    let first = b.iter().position(|&x| x != 0).unwrap_or(8);
    control(out, kind, 8 - first);
    out.extend(&b[first..]);
}

fn encode(v: &V, out: &mut Vec<u8>) {
    match v {
        V::Str(s) => {
            control(out, 2, s.len());
            out.extend(s.as_bytes());
        }
        V::F64(f) => {
            control(out, 3, 8);
            out.extend(f.to_be_bytes());
        }
        V::U16(n) => uint(out, 5, u64::from(*n)),
        V::U32(n) => uint(out, 6, u64::from(*n)),
        V::U64(n) => uint(out, 9, *n),
        V::Map(kv) => {
            control(out, 7, kv.len());
            for (k, v) in kv {
                encode(&V::Str(k), out);
                encode(v, out);
            }
        }
        V::Array(xs) => {
            control(out, 11, xs.len());
            for x in xs {
                encode(x, out);
            }
        }
        V::Bool(b) => control(out, 14, usize::from(*b)),
    }
}

#[derive(Clone, Copy)]
enum Rec {
    Empty,
    Node(usize),
    Data(usize),
}

/// Builds a database: networks in, bytes out.
struct Writer {
    ip_version: u16,
    kind: &'static str,
    nodes: Vec<[Rec; 2]>,
    data: Vec<u8>,
}

impl Writer {
    fn new(ip_version: u16, kind: &'static str) -> Self {
        Self {
            ip_version,
            kind,
            nodes: vec![[Rec::Empty; 2]],
            data: Vec::new(),
        }
    }

    /// Inserts `net/prefix` with `value` (networks must not overlap).
    fn insert(&mut self, net: &str, prefix: u32, value: V) -> &mut Self {
        let offset = self.data.len();
        encode(&value, &mut self.data);
        let ip: IpAddr = net.parse().unwrap();
        let (bits, depth) = match (ip, self.ip_version) {
            (IpAddr::V4(v4), 4) => (u128::from(u32::from(v4)) << 96, prefix),
            // IPv4 lives at ::a.b.c.d/96+prefix in an IPv6 tree.
            (IpAddr::V4(v4), _) => (u128::from(u32::from(v4)), 96 + prefix),
            (IpAddr::V6(v6), 6) => (u128::from(v6), prefix),
            (IpAddr::V6(_), _) => panic!("IPv6 network in an IPv4 database"),
        };
        let mut node = 0;
        for i in 0..depth {
            let bit = ((bits >> (127 - i)) & 1) as usize;
            if i == depth - 1 {
                self.nodes[node][bit] = Rec::Data(offset);
            } else {
                node = match self.nodes[node][bit] {
                    Rec::Node(n) => n,
                    Rec::Empty => {
                        self.nodes.push([Rec::Empty; 2]);
                        let n = self.nodes.len() - 1;
                        self.nodes[node][bit] = Rec::Node(n);
                        n
                    }
                    Rec::Data(_) => panic!("{net}/{prefix} overlaps a network"),
                };
            }
        }
        self
    }

    fn build(&self) -> Vec<u8> {
        let count = self.nodes.len();
        let mut out = Vec::new();
        for node in &self.nodes {
            for r in node {
                let v = match *r {
                    Rec::Node(n) => n,
                    Rec::Empty => count,
                    Rec::Data(off) => count + 16 + off,
                };
                assert!(v < 1 << 24, "24-bit records");
                out.extend(&(v as u32).to_be_bytes()[1..]);
            }
        }
        out.extend([0u8; 16]);
        out.extend(&self.data);
        out.extend(b"\xAB\xCD\xEFMaxMind.com");
        let meta = V::Map(vec![
            ("binary_format_major_version", V::U16(2)),
            ("binary_format_minor_version", V::U16(0)),
            ("build_epoch", V::U64(1_767_225_600)),
            ("database_type", V::Str(self.kind)),
            ("description", V::Map(vec![("en", V::Str("custodia test"))])),
            ("ip_version", V::U16(self.ip_version)),
            ("languages", V::Array(vec![V::Str("en")])),
            ("node_count", V::U32(count as u32)),
            ("record_size", V::U16(24)),
        ]);
        encode(&meta, &mut out);
        out
    }
}

fn city(iso: &'static str, lat: f64, lon: f64) -> V {
    V::Map(vec![
        (
            "city",
            V::Map(vec![("names", V::Map(vec![("en", V::Str("Somewhere"))]))]),
        ),
        (
            "country",
            V::Map(vec![
                ("geoname_id", V::U32(3_017_382)),
                ("iso_code", V::Str(iso)),
            ]),
        ),
        (
            "location",
            V::Map(vec![
                ("accuracy_radius", V::U16(20)),
                ("latitude", V::F64(lat)),
                ("longitude", V::F64(lon)),
            ]),
        ),
    ])
}

fn city_db() -> Vec<u8> {
    Writer::new(6, "GeoIP2-City")
        .insert("192.0.2.0", 24, city("FR", 48.86, 2.35))
        .insert("198.51.100.0", 24, city("NG", 6.52, 3.38))
        .insert("2001:db8::", 32, city("JP", 35.68, 139.69))
        .build()
}

fn asn_db() -> Vec<u8> {
    let asn = |n: u32, org: &'static str| {
        V::Map(vec![
            ("autonomous_system_number", V::U32(n)),
            ("autonomous_system_organization", V::Str(org)),
        ])
    };
    Writer::new(6, "GeoLite2-ASN")
        .insert("192.0.2.0", 24, asn(3215, "Orange"))
        .insert("198.51.100.0", 24, asn(37148, "Globacom"))
        .build()
}

fn anonymous_db() -> Vec<u8> {
    Writer::new(4, "GeoIP2-Anonymous-IP")
        .insert(
            "203.0.113.0",
            25,
            V::Map(vec![
                ("is_anonymous", V::Bool(true)),
                ("is_tor_exit_node", V::Bool(true)),
            ]),
        )
        .insert(
            "203.0.113.128",
            25,
            V::Map(vec![
                ("is_anonymous", V::Bool(true)),
                ("is_anonymous_vpn", V::Bool(true)),
                ("is_hosting_provider", V::Bool(true)),
            ]),
        )
        .build()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn a_city_database_answers_country_and_position_for_both_families() {
    let db = MmdbGeo::from_bytes("city.mmdb", city_db()).unwrap();
    assert_eq!(db.database_type(), "GeoIP2-City");
    assert_eq!(db.build_epoch(), 1_767_225_600);
    let fr = db.lookup(ip("192.0.2.77"));
    assert_eq!(fr.country.unwrap().as_str(), "FR");
    let p = fr.position.unwrap();
    assert!((p.lat - 48.86).abs() < 1e-9 && (p.lon - 2.35).abs() < 1e-9);
    assert_eq!(fr.asn, None, "a City database knows no ASN");
    // An IPv4-mapped IPv6 client is the same client.
    assert_eq!(db.lookup(ip("::ffff:192.0.2.77")), fr);
    assert_eq!(
        db.lookup(ip("2001:db8:5::1")).country.unwrap().as_str(),
        "JP"
    );
    // Negative twins: next to a network is unknown, not the neighbour's answer.
    assert_eq!(db.lookup(ip("192.0.3.1")), Default::default());
    assert_eq!(db.lookup(ip("2001:db9::1")), Default::default());
}

#[test]
fn asn_and_anonymous_ip_databases_fill_their_fields() {
    let asn = MmdbGeo::from_bytes("asn.mmdb", asn_db()).unwrap();
    assert_eq!(asn.lookup(ip("198.51.100.3")).asn, Some(37148));
    assert_eq!(asn.lookup(ip("198.51.100.3")).country, None);
    let anon = MmdbGeo::from_bytes("anon.mmdb", anonymous_db()).unwrap();
    let tor = anon.lookup(ip("203.0.113.5")).network;
    assert!(tor.tor && !tor.vpn && !tor.hosting);
    let vpn = anon.lookup(ip("203.0.113.200")).network;
    assert!(!vpn.tor && vpn.vpn && vpn.hosting);
    // An IPv6 address in an IPv4-only database is unknown, not an error.
    assert_eq!(anon.lookup(ip("2001:db8::1")), Default::default());
    assert_eq!(anon.lookup(ip("192.0.2.1")).network, Default::default());
}

#[test]
fn sources_merge_field_by_field_in_the_configured_order() {
    // The operator's CSV says 192.0.2.0/24 is in Belgium, lists one address, and knows a range
    // the databases do not.
    let csv = "192.0.2.0,192.0.2.127,BE,,,,\n192.0.2.128,192.0.2.128,,,,,listed\n10.1.0.0,10.1.255.255,DE,64500,52.52,13.40,";
    let dbs = || {
        vec![
            MmdbGeo::from_bytes("city", city_db()).unwrap(),
            MmdbGeo::from_bytes("asn", asn_db()).unwrap(),
            MmdbGeo::from_bytes("anon", anonymous_db()).unwrap(),
        ]
    };
    let mmdb_first = GeoSources::new(dbs(), RangeTable::parse(csv).unwrap(), GeoPrefer::Mmdb);
    let g = mmdb_first.lookup(ip("192.0.2.10"));
    assert_eq!(
        g.country.unwrap().as_str(),
        "FR",
        "the database answers first"
    );
    assert_eq!(g.asn, Some(3215), "from the second database");
    assert!(g.position.is_some());
    assert!(
        mmdb_first.lookup(ip("192.0.2.128")).network.listed,
        "list flags add up"
    );
    let de = mmdb_first.lookup(ip("10.1.2.3"));
    assert_eq!(
        (de.country.unwrap().as_str(), de.asn),
        ("DE", Some(64500)),
        "the CSV fills what no database knows"
    );
    assert!(mmdb_first.lookup(ip("203.0.113.1")).network.tor);

    let ranges_first = GeoSources::new(dbs(), RangeTable::parse(csv).unwrap(), GeoPrefer::Ranges);
    let g = ranges_first.lookup(ip("192.0.2.10"));
    assert_eq!(g.country.unwrap().as_str(), "BE", "the CSV answers first");
    assert_eq!(
        g.asn,
        Some(3215),
        "the databases fill the ASN it left empty"
    );
    // Without databases the CSV alone answers (the fallback).
    let alone = GeoSources::ranges_only(RangeTable::parse(csv).unwrap());
    assert_eq!(
        alone.lookup(ip("192.0.2.10")).country.unwrap().as_str(),
        "BE"
    );
    assert_eq!(alone.lookup(ip("198.51.100.3")), Default::default());
}

#[test]
fn damaged_databases_are_refused_at_load_and_never_panic() {
    let good = city_db();
    for (bytes, want) in [
        (Vec::new(), "not a valid MaxMind DB file"),
        (
            b"not a database at all".to_vec(),
            "not a valid MaxMind DB file",
        ),
        (
            good[..good.len() - 20].to_vec(),
            "not a valid MaxMind DB file",
        ),
    ] {
        let e = MmdbGeo::from_bytes("bad.mmdb", bytes).unwrap_err();
        assert!(matches!(e, GeoError::Mmdb { .. }));
        assert!(e.to_string().starts_with("bad.mmdb: not a valid"), "{e}");
        assert!(e.to_string().contains(want), "{e}");
    }
    // A search tree pointing past the data section.
    let mut bad = good.clone();
    bad[0..3].copy_from_slice(&[0xff, 0xff, 0xff]);
    assert!(MmdbGeo::from_bytes("bad.mmdb", bad).is_err());
    // Every single-byte corruption and truncation either loads or is refused: no panic, and
    // what loads answers lookups without panicking.
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for i in 0..good.len() {
        let mut b = good.clone();
        b[i] ^= (next() % 255 + 1) as u8;
        if let Ok(db) = MmdbGeo::from_bytes("x", b) {
            for a in ["192.0.2.1", "198.51.100.1", "2001:db8::1", "10.0.0.1"] {
                let _ = db.lookup(ip(a));
            }
        }
        let _ = MmdbGeo::from_bytes("x", good[..i].to_vec());
    }
}
