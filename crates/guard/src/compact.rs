//! The compact snapshot: what a browser extension or a wallet downloads when the full snapshot
//! is too large to ship (1M addresses and 300k hosts take 41 MB in the full format, mostly the
//! addresses' own random bytes, which no compression removes).
//!
//! Instead of each address or host it stores a 40-bit fingerprint (the first 5 bytes of a
//! domain-separated SHA-256), sorted and Golomb–Rice coded (a gap between neighbours costs
//! about `log2(2^40 / n) + 1.5` bits), with the most severe category of each entry in 4 bits.
//! Sources, dates and labels are left out: a client says "listed as a hack" and the exchange's
//! service has the rest. A lookup of an unlisted item matches by chance with probability
//! `n / 2^40` (about one in a million for 1M addresses), which is why a client may show a
//! warning on a fingerprint match but an exchange must never block on one.
//!
//! Layout (little-endian): magic `CGUARDCP`, format (u16), reserved (u16), version (u64),
//! created (u64), counts of addresses, blocked and allowed hosts, brand JSON bytes (4 × u32),
//! SHA-256 of header and content, then three sets — each: Rice parameter (u8), bit-stream
//! length in bytes (u32), the bit stream (per entry: gap quotient in unary, `1`s closed by a
//! `0`, then the low bits, most significant first), the categories (two per byte, low nibble
//! first) — for addresses, blocked hosts, allowed hosts (no categories); then the brands JSON.
//! The encoding is canonical: the same content always gives the same bytes.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::domain::{Brand, Host};
use crate::{Address, Category, GuardError, Snapshot};

/// First 8 bytes of a compact snapshot.
pub const COMPACT_MAGIC: &[u8; 8] = b"CGUARDCP";
/// The compact format this crate writes and reads.
pub const COMPACT_FORMAT: u16 = 1;
/// Bits of a fingerprint.
pub const FINGERPRINT_BITS: u32 = 40;

const HEADER_LEN: usize = 8 + 2 + 2 + 8 + 8 + 4 * 4;
const HASH_LEN: usize = 32;
const FP_MASK: u64 = (1 << FINGERPRINT_BITS) - 1;

fn corrupt(why: impl Into<String>) -> GuardError {
    GuardError::Snapshot {
        why: format!("compact snapshot: {}", why.into()),
    }
}

fn fingerprint(kind: &[u8], item: &[u8]) -> u64 {
    let mut h = Sha256::new();
    h.update(b"custodia-guard fingerprint\0");
    h.update(kind);
    h.update([0]);
    h.update(item);
    let d = h.finalize();
    u64::from_be_bytes([0, 0, 0, d[0], d[1], d[2], d[3], d[4]])
}

/// The fingerprint of an address (of its canonical key bytes, so every spelling of one
/// address has one fingerprint).
pub fn address_fingerprint(a: &Address) -> u64 {
    fingerprint(b"address", a.key_bytes())
}

/// The fingerprint of a normalised host name (as the lists store it).
pub fn host_fingerprint(host: &str) -> u64 {
    fingerprint(b"host", host.as_bytes())
}

/// Section sizes of a compact snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactCounts {
    /// Address fingerprints.
    pub addresses: u32,
    /// Blocked host fingerprints.
    pub blocked: u32,
    /// Allowed host fingerprints.
    pub allowed: u32,
    /// Bytes of brand JSON.
    pub brands_bytes: u32,
}

/// A verified compact snapshot, searchable by binary search over the decoded fingerprints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactSnapshot {
    version: u64,
    created: u64,
    hash: [u8; 32],
    addresses: Vec<u64>,
    address_categories: Vec<Category>,
    blocked: Vec<u64>,
    blocked_categories: Vec<Category>,
    allowed: Vec<u64>,
    brands: Vec<Brand>,
    brands_json: Vec<u8>,
}

/// Sorted, de-duplicated fingerprints with the most severe category of those that share one.
fn fingerprints(items: impl Iterator<Item = (u64, Category)>) -> (Vec<u64>, Vec<Category>) {
    let mut v: Vec<(u64, Category)> = items.collect();
    v.sort();
    let mut fps = Vec::with_capacity(v.len());
    let mut cats: Vec<Category> = Vec::with_capacity(v.len());
    for (fp, c) in v {
        if fps.last() == Some(&fp) {
            continue; // sorted by (fp, category): the first is the most severe
        }
        fps.push(fp);
        cats.push(c);
    }
    (fps, cats)
}

impl CompactSnapshot {
    /// The compact form of `full`, with the same version and creation time.
    pub fn from_snapshot(full: &Snapshot) -> CompactSnapshot {
        let data = full.to_data();
        let (addresses, address_categories) = fingerprints(
            data.addresses
                .iter()
                .map(|e| (address_fingerprint(&e.address), e.category)),
        );
        let (blocked, blocked_categories) = fingerprints(
            data.blocked
                .iter()
                .map(|e| (host_fingerprint(&e.host), e.category)),
        );
        let (allowed, _) = fingerprints(
            data.allowed
                .iter()
                .map(|e| (host_fingerprint(&e.host), Category::Phishing)),
        );
        let brands_json = serde_json::to_vec(full.brands()).expect("brands serialise");
        CompactSnapshot::from_parts(
            full.version(),
            full.created(),
            (addresses, address_categories),
            (blocked, blocked_categories),
            allowed,
            full.brands().to_vec(),
            brands_json,
        )
    }

    /// A compact snapshot of sorted, distinct fingerprints (and their categories), its hash
    /// computed.
    pub(crate) fn from_parts(
        version: u64,
        created: u64,
        (addresses, address_categories): (Vec<u64>, Vec<Category>),
        (blocked, blocked_categories): (Vec<u64>, Vec<Category>),
        allowed: Vec<u64>,
        brands: Vec<Brand>,
        brands_json: Vec<u8>,
    ) -> CompactSnapshot {
        let mut c = CompactSnapshot {
            version,
            created,
            hash: [0; 32],
            addresses,
            address_categories,
            blocked,
            blocked_categories,
            allowed,
            brands,
            brands_json,
        };
        let bytes = c.to_bytes();
        c.hash = bytes[HEADER_LEN..HEADER_LEN + HASH_LEN].try_into().unwrap();
        c
    }

    /// The three sets (addresses, blocked hosts, allowed hosts) with their categories; allowed
    /// hosts have none and read as phishing, which nothing uses.
    pub(crate) fn parts(&self) -> [(&[u64], Cow<'_, [Category]>); 3] {
        [
            (&self.addresses, Cow::Borrowed(&self.address_categories[..])),
            (&self.blocked, Cow::Borrowed(&self.blocked_categories[..])),
            (
                &self.allowed,
                Cow::Owned(vec![Category::Phishing; self.allowed.len()]),
            ),
        ]
    }

    /// The brand list as stored (JSON).
    pub(crate) fn brands_json(&self) -> &[u8] {
        &self.brands_json
    }

    /// The data version.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Creation time (Unix seconds).
    pub fn created(&self) -> u64 {
        self.created
    }

    /// SHA-256 of header and content.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// [`CompactSnapshot::hash`] in lowercase hex.
    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash)
    }

    /// The protected brands.
    pub fn brands(&self) -> &[Brand] {
        &self.brands
    }

    /// Section sizes.
    pub fn counts(&self) -> CompactCounts {
        CompactCounts {
            addresses: self.addresses.len() as u32,
            blocked: self.blocked.len() as u32,
            allowed: self.allowed.len() as u32,
            brands_bytes: self.brands_json.len() as u32,
        }
    }

    /// The most severe category `address` is listed under, if its fingerprint is listed.
    pub fn address_category(&self, address: &Address) -> Option<Category> {
        let fp = address_fingerprint(address);
        self.addresses
            .binary_search(&fp)
            .ok()
            .map(|i| self.address_categories[i])
    }

    /// The blocked entry covering `host` (label-suffix semantics, as the full lists): the
    /// entry's name and category.
    pub fn find_blocked<'h>(&self, host: &'h Host) -> Option<(&'h str, Category)> {
        host.match_candidates().find_map(|name| {
            self.blocked
                .binary_search(&host_fingerprint(name))
                .ok()
                .map(|i| (name, self.blocked_categories[i]))
        })
    }

    /// The allowed entry covering `host`, if any.
    pub fn find_allowed<'h>(&self, host: &'h Host) -> Option<&'h str> {
        host.match_candidates()
            .find(|name| self.allowed.binary_search(&host_fingerprint(name)).is_ok())
    }

    fn header(&self) -> Vec<u8> {
        let c = self.counts();
        let mut h = Vec::with_capacity(HEADER_LEN);
        h.extend_from_slice(COMPACT_MAGIC);
        h.extend_from_slice(&COMPACT_FORMAT.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(&self.version.to_le_bytes());
        h.extend_from_slice(&self.created.to_le_bytes());
        for n in [c.addresses, c.blocked, c.allowed, c.brands_bytes] {
            h.extend_from_slice(&n.to_le_bytes());
        }
        h
    }

    /// The compact snapshot file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = self.header();
        let mut content = Vec::new();
        write_set(
            &mut content,
            &self.addresses,
            Some(&self.address_categories),
        );
        write_set(&mut content, &self.blocked, Some(&self.blocked_categories));
        write_set(&mut content, &self.allowed, None);
        content.extend_from_slice(&self.brands_json);
        let mut h = Sha256::new();
        h.update(&header);
        h.update(&content);
        let hash: [u8; 32] = h.finalize().into();
        let mut out = header;
        out.extend_from_slice(&hash);
        out.extend_from_slice(&content);
        out
    }

    /// The version and header hash a compact file claims, unverified (for the signature
    /// check, which runs before anything is decoded).
    pub fn peek_header(bytes: &[u8]) -> Result<(u64, [u8; 32]), GuardError> {
        if bytes.len() < HEADER_LEN + HASH_LEN || &bytes[..8] != COMPACT_MAGIC {
            return Err(corrupt("bad magic or shorter than the header"));
        }
        Ok((
            u64::from_le_bytes(bytes[12..20].try_into().unwrap()),
            bytes[HEADER_LEN..HEADER_LEN + HASH_LEN].try_into().unwrap(),
        ))
    }

    /// Reads and verifies a compact file: magic, format, SHA-256, then every set (strictly
    /// increasing fingerprints below 2^40, known categories, no stray bits or bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<CompactSnapshot, GuardError> {
        Self::peek_header(bytes)?;
        let format = u16::from_le_bytes([bytes[8], bytes[9]]);
        if format != COMPACT_FORMAT {
            return Err(corrupt(format!(
                "format {format}; this reader understands format {COMPACT_FORMAT}"
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
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
        let version = u64::from_le_bytes(bytes[12..20].try_into().unwrap());
        let created = u64::from_le_bytes(bytes[20..28].try_into().unwrap());
        let (na, nb, nw, nj) = (u32_at(28), u32_at(32), u32_at(36), u32_at(40));
        let mut at = HEADER_LEN + HASH_LEN;
        let (addresses, ac) = read_set(bytes, &mut at, na, true, "addresses")?;
        let (blocked, bc) = read_set(bytes, &mut at, nb, true, "blocked hosts")?;
        let (allowed, _) = read_set(bytes, &mut at, nw, false, "allowed hosts")?;
        if bytes.len() - at != nj as usize {
            return Err(corrupt(format!(
                "{} bytes left for the brands, the header says {nj}",
                bytes.len() - at
            )));
        }
        let brands_json = bytes[at..].to_vec();
        let brands: Vec<Brand> = serde_json::from_slice(&brands_json)
            .map_err(|e| corrupt(format!("brands JSON: {e}")))?;
        Ok(CompactSnapshot {
            version,
            created,
            hash: expected,
            addresses,
            address_categories: ac,
            blocked,
            blocked_categories: bc,
            allowed,
            brands,
            brands_json,
        })
    }
}

/// The Rice parameter for `n` values spread over 2^40: about log2 of the mean gap.
fn rice_k(n: usize) -> u8 {
    if n == 0 {
        return 0;
    }
    let mean = (1u64 << FINGERPRINT_BITS) / n as u64;
    (63 - mean.max(1).leading_zeros()).min(FINGERPRINT_BITS) as u8
}

struct BitWriter {
    out: Vec<u8>,
    cur: u8,
    used: u8,
}

impl BitWriter {
    fn bit(&mut self, b: bool) {
        self.cur |= (b as u8) << (7 - self.used);
        self.used += 1;
        if self.used == 8 {
            self.out.push(self.cur);
            self.cur = 0;
            self.used = 0;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.used > 0 {
            self.out.push(self.cur);
        }
        self.out
    }
}

fn write_set(out: &mut Vec<u8>, fps: &[u64], cats: Option<&[Category]>) {
    let k = rice_k(fps.len());
    let mut w = BitWriter {
        out: Vec::new(),
        cur: 0,
        used: 0,
    };
    let mut prev = 0u64;
    for (i, &fp) in fps.iter().enumerate() {
        // The first value is coded from 0; later ones as the gap minus one (they are distinct).
        let gap = if i == 0 { fp } else { fp - prev - 1 };
        prev = fp;
        for _ in 0..gap >> k {
            w.bit(true);
        }
        w.bit(false);
        for j in (0..k).rev() {
            w.bit((gap >> j) & 1 == 1);
        }
    }
    let bits = w.finish();
    out.push(k);
    out.extend_from_slice(&(bits.len() as u32).to_le_bytes());
    out.extend_from_slice(&bits);
    if let Some(cats) = cats {
        for pair in cats.chunks(2) {
            let lo = pair[0].index() as u8;
            let hi = pair.get(1).map_or(0, |c| c.index() as u8);
            out.push(lo | (hi << 4));
        }
    }
}

fn read_set(
    b: &[u8],
    at: &mut usize,
    n: u32,
    with_categories: bool,
    what: &str,
) -> Result<(Vec<u64>, Vec<Category>), GuardError> {
    let need = |at: usize, len: usize| {
        at.checked_add(len)
            .filter(|&e| e <= b.len())
            .ok_or_else(|| corrupt(format!("{what}: truncated at byte {at}")))
    };
    let end = need(*at, 5)?;
    let k = b[*at];
    if k as u32 > FINGERPRINT_BITS {
        return Err(corrupt(format!(
            "{what}: Rice parameter {k} > {FINGERPRINT_BITS}"
        )));
    }
    let len = u32::from_le_bytes(b[*at + 1..end].try_into().unwrap()) as usize;
    let stream_end = need(end, len)?;
    let stream = &b[end..stream_end];
    // Each value takes at least k + 1 bits: a count the stream cannot hold is refused before
    // anything is allocated for it.
    if (n as u64) * (k as u64 + 1) > (len as u64) * 8 {
        return Err(corrupt(format!(
            "{what}: {n} values cannot fit in {len} bytes"
        )));
    }
    let mut fps = Vec::with_capacity(n as usize);
    let mut pos = 0usize; // bit position
    let total = len * 8;
    let bit = |pos: usize| (stream[pos / 8] >> (7 - pos % 8)) & 1 == 1;
    let mut prev: Option<u64> = None;
    for _ in 0..n {
        let mut q = 0u64;
        loop {
            if pos >= total {
                return Err(corrupt(format!(
                    "{what}: the bit stream ends inside a value"
                )));
            }
            let one = bit(pos);
            pos += 1;
            if !one {
                break;
            }
            q += 1;
            if q > FP_MASK >> k {
                return Err(corrupt(format!(
                    "{what}: a gap beyond 2^{FINGERPRINT_BITS}"
                )));
            }
        }
        if pos + k as usize > total {
            return Err(corrupt(format!(
                "{what}: the bit stream ends inside a value"
            )));
        }
        let mut low = 0u64;
        for _ in 0..k {
            low = (low << 1) | bit(pos) as u64;
            pos += 1;
        }
        let gap = (q << k) | low;
        let v = match prev {
            None => Some(gap),
            Some(p) => p.checked_add(gap).and_then(|x| x.checked_add(1)),
        }
        .filter(|&v| v <= FP_MASK)
        .ok_or_else(|| corrupt(format!("{what}: a fingerprint beyond 2^{FINGERPRINT_BITS}")))?;
        fps.push(v);
        prev = Some(v);
    }
    // Canonical: only the last byte's padding may follow, and it must be zeros.
    if total - pos >= 8 || (pos..total).any(bit) {
        return Err(corrupt(format!("{what}: stray bits after the last value")));
    }
    *at = stream_end;
    let mut cats = Vec::new();
    if with_categories {
        let nbytes = (n as usize).div_ceil(2);
        let cend = need(*at, nbytes)?;
        cats.reserve(n as usize);
        for i in 0..n as usize {
            let byte = b[*at + i / 2];
            let c = if i % 2 == 0 { byte & 0xf } else { byte >> 4 };
            cats.push(
                Category::from_index(c)
                    .ok_or_else(|| corrupt(format!("{what}: unknown category {c}")))?,
            );
        }
        if n % 2 == 1 && b[cend - 1] >> 4 != 0 {
            return Err(corrupt(format!(
                "{what}: stray bits after the last category"
            )));
        }
        *at = cend;
    }
    Ok((fps, cats))
}
