//! The offline snapshot wallets and browser extensions ship, and deltas between snapshots.
//!
//! A snapshot is a sorted binary file: header (magic, format, data version, creation time,
//! section counts, SHA-256), then sources, labels, address records sorted by key, blocked and
//! allowed hosts sorted by name, and the protected brands as JSON. The encoding is canonical:
//! the same content, version and time always give the same bytes and hash, which is what lets
//! a delta say which snapshot it applies to and which it produces. The layout is specified in
//! `docs/threat-intel.md`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::domain::{Brand, DomainEntry, DomainList, DomainMatch, Host};
use crate::{Address, AddressEntry, AddressHit, AddressIndex, Category, Date, GuardError};

/// First 8 bytes of a snapshot.
pub const SNAPSHOT_MAGIC: &[u8; 8] = b"CGUARDSN";
/// First 8 bytes of a delta.
pub const DELTA_MAGIC: &[u8; 8] = b"CGUARDDL";
/// The snapshot format this crate writes and reads.
pub const SNAPSHOT_FORMAT: u16 = 1;

const HEADER_LEN: usize = 8 + 2 + 2 + 8 + 8 + 6 * 4;
const HASH_LEN: usize = 32;

fn corrupt(why: impl Into<String>) -> GuardError {
    GuardError::Snapshot { why: why.into() }
}

/// Everything a snapshot holds, in resolved form (strings, not indices).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotData {
    /// Listed addresses, one entry per (address, source).
    pub addresses: Vec<AddressEntry>,
    /// Blocked hosts.
    pub blocked: Vec<DomainEntry>,
    /// Allowed hosts (their category is not stored).
    pub allowed: Vec<DomainEntry>,
    /// Protected brands for the look-alike rules.
    pub brands: Vec<Brand>,
}

/// Section sizes of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotCounts {
    /// Distinct source names.
    pub sources: u32,
    /// Distinct owner labels.
    pub labels: u32,
    /// Address records (address, source).
    pub addresses: u32,
    /// Blocked hosts.
    pub blocked: u32,
    /// Allowed hosts.
    pub allowed: u32,
    /// Bytes of brand JSON.
    pub brands_bytes: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct AddrRec {
    address: Address,
    source: u16,
    category: Category,
    date: Option<Date>,
    /// Index + 1 into labels; 0 = none.
    label: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct HostRec {
    host: String,
    category: Category,
    source: u16,
    date: Option<Date>,
}

/// A verified snapshot, searchable in place (binary search over sorted records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    version: u64,
    created: u64,
    hash: [u8; 32],
    sources: Vec<String>,
    labels: Vec<String>,
    addresses: Vec<AddrRec>,
    blocked: Vec<HostRec>,
    allowed: Vec<HostRec>,
    brands: Vec<Brand>,
    brands_json: Vec<u8>,
}

impl Snapshot {
    /// Builds the canonical snapshot of `data`: sorted, deduplicated ((address, source) and
    /// host keep their last entry), hashed. `version` is the publisher's monotonic data version;
    /// `created` the Unix time it stamps (passed in, never read from a clock).
    pub fn build(data: &SnapshotData, version: u64, created: u64) -> Result<Snapshot, GuardError> {
        let mut sources = BTreeSet::new();
        let mut labels = BTreeSet::new();
        for e in &data.addresses {
            sources.insert(e.source.as_str());
            if let Some(l) = e.label.as_deref().filter(|l| !l.is_empty()) {
                labels.insert(l);
            }
        }
        for e in data.blocked.iter().chain(&data.allowed) {
            sources.insert(e.source.as_str());
        }
        let sources: Vec<String> = sources.into_iter().map(str::to_owned).collect();
        let labels: Vec<String> = labels.into_iter().map(str::to_owned).collect();
        if sources.len() > u16::MAX as usize {
            return Err(corrupt("more than 65535 sources"));
        }
        for s in &sources {
            if s.is_empty() || s.len() > 255 {
                return Err(corrupt(format!("source name `{s}` must be 1–255 bytes")));
            }
        }
        for l in &labels {
            if l.len() > u16::MAX as usize {
                return Err(corrupt("a label is longer than 65535 bytes"));
            }
        }
        let sid = |s: &str| sources.binary_search_by(|x| x.as_str().cmp(s)).unwrap() as u16;
        let lid = |l: Option<&str>| match l.filter(|l| !l.is_empty()) {
            Some(l) => labels.binary_search_by(|x| x.as_str().cmp(l)).unwrap() as u32 + 1,
            None => 0,
        };
        let mut addrs: BTreeMap<(Address, u16), AddrRec> = BTreeMap::new();
        for e in &data.addresses {
            let source = sid(&e.source);
            addrs.insert(
                (e.address, source),
                AddrRec {
                    address: e.address,
                    source,
                    category: e.category,
                    date: e.date,
                    label: lid(e.label.as_deref()),
                },
            );
        }
        let hosts = |list: &[DomainEntry]| -> Result<Vec<HostRec>, GuardError> {
            let mut m: BTreeMap<&str, HostRec> = BTreeMap::new();
            for e in list {
                if e.host.is_empty() || e.host.len() > 253 {
                    return Err(corrupt(format!("host `{}` must be 1–253 bytes", e.host)));
                }
                m.insert(
                    &e.host,
                    HostRec {
                        host: e.host.clone(),
                        category: e.category,
                        source: sid(&e.source),
                        date: e.date,
                    },
                );
            }
            Ok(m.into_values().collect())
        };
        let blocked = hosts(&data.blocked)?;
        let mut allowed = hosts(&data.allowed)?;
        for a in &mut allowed {
            a.category = Category::Phishing; // not stored
            a.date = None;
        }
        let brands_json = serde_json::to_vec(&data.brands).expect("brands serialise");
        let mut snap = Snapshot {
            version,
            created,
            hash: [0; 32],
            sources,
            labels,
            addresses: addrs.into_values().collect(),
            blocked,
            allowed,
            brands: data.brands.clone(),
            brands_json,
        };
        let bytes = snap.encode();
        snap.hash = bytes[HEADER_LEN..HEADER_LEN + HASH_LEN].try_into().unwrap();
        Ok(snap)
    }

    /// The data version.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Creation time (Unix seconds).
    pub fn created(&self) -> u64 {
        self.created
    }

    /// SHA-256 of the header fields and content (what the header carries).
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// [`Snapshot::hash`] in lowercase hex.
    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash)
    }

    /// Section sizes.
    pub fn counts(&self) -> SnapshotCounts {
        SnapshotCounts {
            sources: self.sources.len() as u32,
            labels: self.labels.len() as u32,
            addresses: self.addresses.len() as u32,
            blocked: self.blocked.len() as u32,
            allowed: self.allowed.len() as u32,
            brands_bytes: self.brands_json.len() as u32,
        }
    }

    /// The protected brands.
    pub fn brands(&self) -> &[Brand] {
        &self.brands
    }

    fn header(&self) -> Vec<u8> {
        let c = self.counts();
        let mut h = Vec::with_capacity(HEADER_LEN);
        h.extend_from_slice(SNAPSHOT_MAGIC);
        h.extend_from_slice(&SNAPSHOT_FORMAT.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(&self.version.to_le_bytes());
        h.extend_from_slice(&self.created.to_le_bytes());
        for n in [
            c.sources,
            c.labels,
            c.addresses,
            c.blocked,
            c.allowed,
            c.brands_bytes,
        ] {
            h.extend_from_slice(&n.to_le_bytes());
        }
        h
    }

    fn content(&self) -> Vec<u8> {
        let mut b = Vec::new();
        for s in &self.sources {
            b.push(s.len() as u8);
            b.extend_from_slice(s.as_bytes());
        }
        for l in &self.labels {
            b.extend_from_slice(&(l.len() as u16).to_le_bytes());
            b.extend_from_slice(l.as_bytes());
        }
        for r in &self.addresses {
            b.extend_from_slice(r.address.key_bytes());
            b.push(r.category as u8);
            b.extend_from_slice(&r.source.to_le_bytes());
            b.extend_from_slice(&r.date.map_or(0, Date::to_packed).to_le_bytes());
            b.extend_from_slice(&r.label.to_le_bytes());
        }
        for r in &self.blocked {
            b.push(r.host.len() as u8);
            b.extend_from_slice(r.host.as_bytes());
            b.push(r.category as u8);
            b.extend_from_slice(&r.source.to_le_bytes());
            b.extend_from_slice(&r.date.map_or(0, Date::to_packed).to_le_bytes());
        }
        for r in &self.allowed {
            b.push(r.host.len() as u8);
            b.extend_from_slice(r.host.as_bytes());
            b.extend_from_slice(&r.source.to_le_bytes());
        }
        b.extend_from_slice(&self.brands_json);
        b
    }

    fn encode(&self) -> Vec<u8> {
        let header = self.header();
        let content = self.content();
        let mut h = Sha256::new();
        h.update(&header);
        h.update(&content);
        let hash: [u8; 32] = h.finalize().into();
        let mut out = header;
        out.extend_from_slice(&hash);
        out.extend_from_slice(&content);
        out
    }

    /// The snapshot file.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode()
    }

    /// The version and header hash a snapshot file claims, without verifying anything else
    /// (what a signature check compares before the content is read).
    pub fn peek_header(bytes: &[u8]) -> Result<(u64, [u8; 32]), GuardError> {
        if bytes.len() < HEADER_LEN + HASH_LEN || &bytes[..8] != SNAPSHOT_MAGIC {
            return Err(corrupt(
                "not a custodia-guard snapshot (bad magic or too short)",
            ));
        }
        let version = u64::from_le_bytes(bytes[12..20].try_into().unwrap());
        Ok((
            version,
            bytes[HEADER_LEN..HEADER_LEN + HASH_LEN].try_into().unwrap(),
        ))
    }

    /// Reads and verifies a snapshot file: magic, format, SHA-256 of header and content, then
    /// every record (sorted, unique, indices in range, valid keys and dates). Nothing is
    /// trusted before the hash matches.
    pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, GuardError> {
        if bytes.len() < HEADER_LEN + HASH_LEN {
            return Err(corrupt(format!(
                "{} bytes is shorter than the {}-byte header",
                bytes.len(),
                HEADER_LEN + HASH_LEN
            )));
        }
        if &bytes[..8] != SNAPSHOT_MAGIC {
            return Err(corrupt("not a custodia-guard snapshot (bad magic)"));
        }
        let format = u16::from_le_bytes([bytes[8], bytes[9]]);
        if format != SNAPSHOT_FORMAT {
            return Err(corrupt(format!(
                "format {format}; this reader understands format {SNAPSHOT_FORMAT}"
            )));
        }
        let expected: [u8; 32] = bytes[HEADER_LEN..HEADER_LEN + HASH_LEN].try_into().unwrap();
        let mut h = Sha256::new();
        h.update(&bytes[..HEADER_LEN]);
        h.update(&bytes[HEADER_LEN + HASH_LEN..]);
        let got: [u8; 32] = h.finalize().into();
        if got != expected {
            return Err(GuardError::SnapshotHash {
                expected: hex::encode(expected),
                got: hex::encode(got),
            });
        }
        let mut r = Reader { b: bytes, at: 12 };
        let version = r.u64()?;
        let created = r.u64()?;
        let [ns, nl, na, nb, nw, nj] = [r.u32()?, r.u32()?, r.u32()?, r.u32()?, r.u32()?, r.u32()?];
        r.at = HEADER_LEN + HASH_LEN;
        let mut sources = Vec::with_capacity(r.cap(ns, 2));
        for _ in 0..ns {
            let n = r.u8()? as usize;
            sources.push(r.str(n, "source")?);
        }
        strictly_sorted(&sources, "sources")?;
        let mut labels = Vec::with_capacity(r.cap(nl, 2));
        for _ in 0..nl {
            let n = r.u16()? as usize;
            labels.push(r.str(n, "label")?);
        }
        strictly_sorted(&labels, "labels")?;
        let mut addresses: Vec<AddrRec> = Vec::with_capacity(r.cap(na, 13));
        for _ in 0..na {
            let tag_len = r.take(2)?;
            let key = r.take_from(r.at - 2, 2 + tag_len[1] as usize)?;
            let address = Address::from_key_bytes(key)?;
            let category = r.category()?;
            let source = r.source(ns)?;
            let date = r.date()?;
            let label = r.u32()?;
            if label > nl {
                return Err(corrupt(format!("label index {label} out of range")));
            }
            let rec = AddrRec {
                address,
                source,
                category,
                date,
                label,
            };
            if let Some(prev) = addresses.last()
                && (prev.address, prev.source) >= (rec.address, rec.source)
            {
                return Err(corrupt(
                    "address records are not strictly sorted by (key, source)",
                ));
            }
            addresses.push(rec);
        }
        let mut blocked = Vec::with_capacity(r.cap(nb, 8));
        for _ in 0..nb {
            let n = r.u8()? as usize;
            let host = r.host(n)?;
            let category = r.category()?;
            let source = r.source(ns)?;
            let date = r.date()?;
            blocked.push(HostRec {
                host,
                category,
                source,
                date,
            });
        }
        hosts_sorted(&blocked, "blocked")?;
        let mut allowed = Vec::with_capacity(r.cap(nw, 4));
        for _ in 0..nw {
            let n = r.u8()? as usize;
            let host = r.host(n)?;
            let source = r.source(ns)?;
            allowed.push(HostRec {
                host,
                category: Category::Phishing,
                source,
                date: None,
            });
        }
        hosts_sorted(&allowed, "allowed")?;
        let brands_json = r.take(nj as usize)?.to_vec();
        let brands: Vec<Brand> = serde_json::from_slice(&brands_json)
            .map_err(|e| corrupt(format!("brands JSON: {e}")))?;
        if r.at != bytes.len() {
            return Err(corrupt(format!(
                "{} trailing bytes after the last section",
                bytes.len() - r.at
            )));
        }
        Ok(Snapshot {
            version,
            created,
            hash: expected,
            sources,
            labels,
            addresses,
            blocked,
            allowed,
            brands,
            brands_json,
        })
    }

    fn hit(&self, r: &AddrRec) -> AddressHit<'_> {
        AddressHit {
            category: r.category,
            source: &self.sources[r.source as usize],
            date: r.date,
            label: (r.label > 0).then(|| self.labels[r.label as usize - 1].as_str()),
        }
    }

    /// Every source listing `address`, most severe category first (binary search, no index
    /// to build).
    pub fn lookup_address(&self, address: &Address) -> Vec<AddressHit<'_>> {
        let start = self.addresses.partition_point(|r| r.address < *address);
        let mut hits: Vec<AddressHit<'_>> = self.addresses[start..]
            .iter()
            .take_while(|r| r.address == *address)
            .map(|r| self.hit(r))
            .collect();
        hits.sort_by(|x, y| x.category.cmp(&y.category).then(x.source.cmp(y.source)));
        hits
    }

    /// Whether any source lists `address` (binary search, no allocation).
    pub fn contains_address(&self, address: &Address) -> bool {
        let i = self.addresses.partition_point(|r| r.address < *address);
        self.addresses.get(i).is_some_and(|r| r.address == *address)
    }

    fn find_host<'a>(&'a self, list: &'a [HostRec], host: &Host) -> Option<DomainMatch<'a>> {
        host.match_candidates().find_map(|name| {
            list.binary_search_by(|r| r.host.as_str().cmp(name))
                .ok()
                .map(|i| {
                    let r = &list[i];
                    DomainMatch {
                        entry: &r.host,
                        category: r.category,
                        source: &self.sources[r.source as usize],
                        date: r.date,
                    }
                })
        })
    }

    /// The blocklist entry covering `host` (label-suffix semantics), if any.
    pub fn find_blocked(&self, host: &Host) -> Option<DomainMatch<'_>> {
        self.find_host(&self.blocked, host)
    }

    /// The allowlist entry covering `host`, if any.
    pub fn find_allowed(&self, host: &Host) -> Option<DomainMatch<'_>> {
        self.find_host(&self.allowed, host)
    }

    /// The content in resolved form.
    pub fn to_data(&self) -> SnapshotData {
        let dom = |rs: &[HostRec]| {
            rs.iter()
                .map(|r| DomainEntry {
                    host: r.host.clone(),
                    category: r.category,
                    source: self.sources[r.source as usize].clone(),
                    date: r.date,
                })
                .collect()
        };
        SnapshotData {
            addresses: self
                .addresses
                .iter()
                .map(|r| self.hit(r).to_entry(r.address))
                .collect(),
            blocked: dom(&self.blocked),
            allowed: dom(&self.allowed),
            brands: self.brands.clone(),
        }
    }

    /// An [`AddressIndex`] with the snapshot's addresses (for the server side).
    pub fn address_index(&self) -> Result<AddressIndex, GuardError> {
        let mut idx = AddressIndex::with_capacity(self.addresses.len());
        for r in &self.addresses {
            idx.insert(&self.hit(r).to_entry(r.address))?;
        }
        Ok(idx)
    }

    /// Blocked and allowed hosts as [`DomainList`]s.
    pub fn domain_lists(&self) -> Result<(DomainList, DomainList), GuardError> {
        let data = self.to_data();
        let mut block = DomainList::new();
        block.extend(&data.blocked)?;
        let mut allow = DomainList::new();
        allow.extend(&data.allowed)?;
        Ok((block, allow))
    }

    /// The changes from `self` to `newer`.
    pub fn diff(&self, newer: &Snapshot) -> SnapshotDelta {
        let old = self.to_data();
        let new = newer.to_data();
        let akey = |e: &AddressEntry| (e.address, e.source.clone());
        let old_a: BTreeMap<_, _> = old.addresses.iter().map(|e| (akey(e), e)).collect();
        let new_a: BTreeMap<_, _> = new.addresses.iter().map(|e| (akey(e), e)).collect();
        let added_addresses = new_a
            .iter()
            .filter(|(k, e)| old_a.get(*k) != Some(*e))
            .map(|(_, e)| (*e).clone())
            .collect();
        let removed_addresses = old_a
            .keys()
            .filter(|k| !new_a.contains_key(*k))
            .map(|(a, s)| RemovedAddress {
                address: *a,
                source: s.clone(),
            })
            .collect();
        let hdiff = |o: &[DomainEntry], n: &[DomainEntry]| {
            let om: BTreeMap<_, _> = o.iter().map(|e| (e.host.as_str(), e)).collect();
            let nm: BTreeMap<_, _> = n.iter().map(|e| (e.host.as_str(), e)).collect();
            let added: Vec<DomainEntry> = nm
                .iter()
                .filter(|(k, e)| om.get(*k) != Some(*e))
                .map(|(_, e)| (*e).clone())
                .collect();
            let removed: Vec<String> = om
                .keys()
                .filter(|k| !nm.contains_key(*k))
                .map(|k| (*k).to_owned())
                .collect();
            (added, removed)
        };
        let (added_blocked, removed_blocked) = hdiff(&old.blocked, &new.blocked);
        let (added_allowed, removed_allowed) = hdiff(&old.allowed, &new.allowed);
        SnapshotDelta {
            from_version: self.version,
            from_hash: self.hash_hex(),
            to_version: newer.version,
            to_created: newer.created,
            to_hash: newer.hash_hex(),
            added_addresses,
            removed_addresses,
            added_blocked,
            removed_blocked,
            added_allowed,
            removed_allowed,
            brands: (old.brands != new.brands).then_some(new.brands),
        }
    }
}

/// An address record a delta removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedAddress {
    /// The address.
    pub address: Address,
    /// The source whose listing is removed.
    pub source: String,
}

/// What changed between two snapshots. Applying it to the `from` snapshot reproduces the `to`
/// snapshot byte for byte, which [`SnapshotDelta::apply`] checks against `to_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotDelta {
    /// Version the delta applies to.
    pub from_version: u64,
    /// Hex hash of the snapshot it applies to.
    pub from_hash: String,
    /// Version it produces.
    pub to_version: u64,
    /// Creation time of the snapshot it produces.
    pub to_created: u64,
    /// Hex hash of the snapshot it produces.
    pub to_hash: String,
    /// Address records added or changed (keyed by address and source).
    pub added_addresses: Vec<AddressEntry>,
    /// Address records removed.
    pub removed_addresses: Vec<RemovedAddress>,
    /// Blocked hosts added or changed.
    pub added_blocked: Vec<DomainEntry>,
    /// Blocked hosts removed.
    pub removed_blocked: Vec<String>,
    /// Allowed hosts added or changed.
    pub added_allowed: Vec<DomainEntry>,
    /// Allowed hosts removed.
    pub removed_allowed: Vec<String>,
    /// The new brand list, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brands: Option<Vec<Brand>>,
}

impl SnapshotDelta {
    /// Adds + removes, all sections.
    pub fn len(&self) -> usize {
        self.added_addresses.len()
            + self.removed_addresses.len()
            + self.added_blocked.len()
            + self.removed_blocked.len()
            + self.added_allowed.len()
            + self.removed_allowed.len()
    }

    /// Whether nothing changed (the brands included).
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.brands.is_none()
    }

    /// Applies the delta to `base`, which must be the snapshot it was computed from; the
    /// result must hash to `to_hash`.
    pub fn apply(&self, base: &Snapshot) -> Result<Snapshot, GuardError> {
        if base.version != self.from_version || base.hash_hex() != self.from_hash {
            return Err(GuardError::DeltaBase {
                expected_version: self.from_version,
                expected_hash: self.from_hash.clone(),
                got_version: base.version,
                got_hash: base.hash_hex(),
            });
        }
        let data = base.to_data();
        let mut addrs: BTreeMap<(Address, String), AddressEntry> = data
            .addresses
            .into_iter()
            .map(|e| ((e.address, e.source.clone()), e))
            .collect();
        for r in &self.removed_addresses {
            addrs.remove(&(r.address, r.source.clone()));
        }
        for e in &self.added_addresses {
            addrs.insert((e.address, e.source.clone()), e.clone());
        }
        let apply_hosts = |list: Vec<DomainEntry>, removed: &[String], added: &[DomainEntry]| {
            let mut m: BTreeMap<String, DomainEntry> =
                list.into_iter().map(|e| (e.host.clone(), e)).collect();
            for h in removed {
                m.remove(h);
            }
            for e in added {
                m.insert(e.host.clone(), e.clone());
            }
            m.into_values().collect::<Vec<_>>()
        };
        let next = SnapshotData {
            addresses: addrs.into_values().collect(),
            blocked: apply_hosts(data.blocked, &self.removed_blocked, &self.added_blocked),
            allowed: apply_hosts(data.allowed, &self.removed_allowed, &self.added_allowed),
            brands: self.brands.clone().unwrap_or(data.brands),
        };
        let snap = Snapshot::build(&next, self.to_version, self.to_created)?;
        if snap.hash_hex() != self.to_hash {
            return Err(GuardError::SnapshotHash {
                expected: self.to_hash.clone(),
                got: snap.hash_hex(),
            });
        }
        Ok(snap)
    }

    /// The delta file: magic, format, SHA-256 of the body, then the body as JSON.
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = serde_json::to_vec(self).expect("delta serialises");
        let mut out = Vec::with_capacity(8 + 2 + 32 + body.len());
        out.extend_from_slice(DELTA_MAGIC);
        out.extend_from_slice(&SNAPSHOT_FORMAT.to_le_bytes());
        out.extend_from_slice(&Sha256::digest(&body));
        out.extend_from_slice(&body);
        out
    }

    /// Reads and verifies a delta file.
    pub fn from_bytes(bytes: &[u8]) -> Result<SnapshotDelta, GuardError> {
        if bytes.len() < 42 || &bytes[..8] != DELTA_MAGIC {
            return Err(corrupt(
                "not a custodia-guard delta (bad magic or too short)",
            ));
        }
        let format = u16::from_le_bytes([bytes[8], bytes[9]]);
        if format != SNAPSHOT_FORMAT {
            return Err(corrupt(format!(
                "delta format {format}; this reader understands format {SNAPSHOT_FORMAT}"
            )));
        }
        let body = &bytes[42..];
        let got: [u8; 32] = Sha256::digest(body).into();
        if got[..] != bytes[10..42] {
            return Err(GuardError::SnapshotHash {
                expected: hex::encode(&bytes[10..42]),
                got: hex::encode(got),
            });
        }
        serde_json::from_slice(body).map_err(|e| corrupt(format!("delta body: {e}")))
    }
}

/// A bounds-checked little-endian reader over a file's bytes: every read past the end is a
/// `GuardError::Snapshot` naming the offset, never a panic.
pub(crate) struct Reader<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) at: usize,
}

impl<'a> Reader<'a> {
    /// Bytes not read yet.
    pub(crate) fn left(&self) -> usize {
        self.b.len() - self.at.min(self.b.len())
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], GuardError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| corrupt(format!("truncated at byte {}", self.at)))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }

    /// `n` bytes starting at `from` (≤ current position), advancing to `from + n`.
    fn take_from(&mut self, from: usize, n: usize) -> Result<&'a [u8], GuardError> {
        self.at = from;
        self.take(n)
    }

    /// A capacity hint that a hostile count cannot blow up: at most what the bytes left could
    /// hold with records of at least `min` bytes.
    fn cap(&self, n: u32, min: usize) -> usize {
        (n as usize).min(self.left() / min)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, GuardError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, GuardError> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().unwrap()))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, GuardError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, GuardError> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }

    fn str(&mut self, n: usize, what: &str) -> Result<String, GuardError> {
        let at = self.at;
        let s = self.take(n)?;
        String::from_utf8(s.to_vec())
            .map_err(|_| corrupt(format!("{what} at byte {at} is not UTF-8")))
    }

    fn host(&mut self, n: usize) -> Result<String, GuardError> {
        let at = self.at;
        let s = self.str(n, "host")?;
        let ok = !s.is_empty()
            && s.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'-' | b'.' | b'_' | b':')
            });
        if !ok {
            return Err(corrupt(format!(
                "host at byte {at} is not a normalised host"
            )));
        }
        Ok(s)
    }

    fn category(&mut self) -> Result<Category, GuardError> {
        let c = self.u8()?;
        Category::from_index(c).ok_or_else(|| corrupt(format!("unknown category {c}")))
    }

    fn source(&mut self, n: u32) -> Result<u16, GuardError> {
        let s = self.u16()?;
        if s as u32 >= n {
            return Err(corrupt(format!("source index {s} out of range")));
        }
        Ok(s)
    }

    fn date(&mut self) -> Result<Option<Date>, GuardError> {
        match self.u32()? {
            0 => Ok(None),
            v => Date::from_packed(v)
                .map(Some)
                .map_err(|_| corrupt(format!("invalid date {v}"))),
        }
    }
}

fn strictly_sorted(v: &[String], what: &str) -> Result<(), GuardError> {
    if v.windows(2).any(|w| w[0] >= w[1]) {
        return Err(corrupt(format!("{what} are not strictly sorted")));
    }
    Ok(())
}

fn hosts_sorted(v: &[HostRec], what: &str) -> Result<(), GuardError> {
    if v.windows(2).any(|w| w[0].host >= w[1].host) {
        return Err(corrupt(format!("{what} hosts are not strictly sorted")));
    }
    Ok(())
}
