//! Deltas between two compact snapshots, for browser extensions and wallets that already hold
//! an older version: a few kilobytes per update instead of the whole compact file (≈ 4 MB at
//! 1M addresses and 300k hosts).
//!
//! A delta carries no signature of its own. Applying it rebuilds the newer compact snapshot
//! byte for byte and checks its SHA-256 against the one the delta names; the client then checks
//! the newer snapshot's ordinary signature (a few dozen bytes, fetched beside the delta) with
//! its pinned keys, exactly as for a full download. A forged or corrupted delta therefore
//! cannot install anything the signing key did not sign.
//!
//! Layout (little-endian): magic `CGUARDCD`, format (u16), reserved (u16), base version (u64),
//! base hash (32 bytes), new version (u64), new creation time (u64), new hash (32 bytes); then
//! for addresses, blocked hosts and allowed hosts: removed count (u32), put count (u32), the
//! removed fingerprints (5 bytes each, big-endian, strictly increasing), the put entries
//! (fingerprint as above, then its category as one byte; allowed hosts carry no category byte);
//! then a brands flag (u8: 0 unchanged, 1 replaced), when replaced the brand JSON's length
//! (u32) and bytes; then the SHA-256 of everything before it. [`CompactSnapshot::diff`] writes
//! the smallest delta (nothing unchanged is put); a delta that carries more still rebuilds the
//! same file or fails its hash, which is all a reader relies on.

use sha2::{Digest as _, Sha256};

use crate::compact::{CompactSnapshot, FINGERPRINT_BITS};
use crate::domain::Brand;
use crate::snapshot::Reader;
use crate::{Category, GuardError};

/// First 8 bytes of a compact delta.
pub const COMPACT_DELTA_MAGIC: &[u8; 8] = b"CGUARDCD";
/// The compact delta format this crate writes and reads.
pub const COMPACT_DELTA_FORMAT: u16 = 1;

const FP_BYTES: usize = 5;
const FP_LIMIT: u64 = 1 << FINGERPRINT_BITS;
const HEAD_LEN: usize = 8 + 2 + 2 + 8 + 32 + 8 + 8 + 32;

fn corrupt(why: impl Into<String>) -> GuardError {
    GuardError::Snapshot {
        why: format!("compact delta: {}", why.into()),
    }
}

/// What changed in one set of fingerprints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct SetChange {
    /// Fingerprints no longer listed.
    removed: Vec<u64>,
    /// Fingerprints added, or listed under another category now.
    put: Vec<(u64, Category)>,
}

impl SetChange {
    fn between(old: &[u64], old_c: &[Category], new: &[u64], new_c: &[Category]) -> SetChange {
        let (mut i, mut j) = (0, 0);
        let mut ch = SetChange::default();
        while i < old.len() || j < new.len() {
            match (old.get(i), new.get(j)) {
                (Some(&a), Some(&b)) if a == b => {
                    if old_c[i] != new_c[j] {
                        ch.put.push((b, new_c[j]));
                    }
                    i += 1;
                    j += 1;
                }
                (Some(&a), Some(&b)) if a < b => {
                    ch.removed.push(a);
                    i += 1;
                }
                (Some(&a), None) => {
                    ch.removed.push(a);
                    i += 1;
                }
                (_, Some(&b)) => {
                    ch.put.push((b, new_c[j]));
                    j += 1;
                }
                (None, None) => unreachable!("loop condition"),
            }
        }
        ch
    }

    /// The set `fps`/`cats` with this change applied: removed fingerprints must be listed and
    /// put ones replace or join.
    fn apply(
        &self,
        fps: &[u64],
        cats: &[Category],
        what: &str,
    ) -> Result<(Vec<u64>, Vec<Category>), GuardError> {
        let mut out_f = Vec::with_capacity(fps.len() + self.put.len());
        let mut out_c = Vec::with_capacity(fps.len() + self.put.len());
        let (mut i, mut r, mut p) = (0, 0, 0);
        loop {
            let cur = fps.get(i).copied();
            let rem = self.removed.get(r).copied();
            let put = self.put.get(p).copied();
            // The smallest fingerprint any of the three lists is at.
            let Some(next) = [cur, rem, put.map(|x| x.0)].into_iter().flatten().min() else {
                break;
            };
            let listed = cur == Some(next);
            if rem == Some(next) {
                if !listed {
                    return Err(corrupt(format!(
                        "{what}: removes a fingerprint the base does not list"
                    )));
                }
                if put.map(|x| x.0) == Some(next) {
                    return Err(corrupt(format!(
                        "{what}: removes and puts the same fingerprint"
                    )));
                }
                i += 1;
                r += 1;
                continue;
            }
            if let Some((fp, c)) = put.filter(|x| x.0 == next) {
                out_f.push(fp);
                out_c.push(c);
                p += 1;
                if listed {
                    i += 1;
                }
                continue;
            }
            out_f.push(next);
            out_c.push(cats[i]);
            i += 1;
        }
        Ok((out_f, out_c))
    }

    fn len(&self) -> usize {
        self.removed.len() + self.put.len()
    }
}

/// What changed between two compact snapshots. [`CompactDelta::apply`] on the older one
/// rebuilds the newer one exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactDelta {
    from_version: u64,
    from_hash: [u8; 32],
    to_version: u64,
    to_created: u64,
    to_hash: [u8; 32],
    sets: [SetChange; 3],
    brands_json: Option<Vec<u8>>,
}

const SET_NAMES: [&str; 3] = ["addresses", "blocked hosts", "allowed hosts"];

impl CompactSnapshot {
    /// The delta that turns `self` into `newer`.
    pub fn diff(&self, newer: &CompactSnapshot) -> CompactDelta {
        let (a, b) = (self.parts(), newer.parts());
        let sets = std::array::from_fn(|k| SetChange::between(a[k].0, &a[k].1, b[k].0, &b[k].1));
        CompactDelta {
            from_version: self.version(),
            from_hash: self.hash(),
            to_version: newer.version(),
            to_created: newer.created(),
            to_hash: newer.hash(),
            sets,
            brands_json: (self.brands_json() != newer.brands_json())
                .then(|| newer.brands_json().to_vec()),
        }
    }
}

impl CompactDelta {
    /// The version the delta applies to.
    pub fn from_version(&self) -> u64 {
        self.from_version
    }

    /// The version it produces.
    pub fn to_version(&self) -> u64 {
        self.to_version
    }

    /// Hex SHA-256 of the compact snapshot it produces.
    pub fn to_hash_hex(&self) -> String {
        hex::encode(self.to_hash)
    }

    /// Entries removed or put, all sets.
    pub fn len(&self) -> usize {
        self.sets.iter().map(SetChange::len).sum()
    }

    /// Whether nothing changed but the version (brands included).
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.brands_json.is_none()
    }

    /// Applies the delta to `base`, which must be the snapshot it was computed from; the result
    /// must hash to the hash the delta names. Its signature is still to be checked.
    pub fn apply(&self, base: &CompactSnapshot) -> Result<CompactSnapshot, GuardError> {
        if base.version() != self.from_version || base.hash() != self.from_hash {
            return Err(GuardError::DeltaBase {
                expected_version: self.from_version,
                expected_hash: hex::encode(self.from_hash),
                got_version: base.version(),
                got_hash: base.hash_hex(),
            });
        }
        let parts = base.parts();
        let mut sets: [(Vec<u64>, Vec<Category>); 3] = Default::default();
        for (k, set) in sets.iter_mut().enumerate() {
            *set = self.sets[k].apply(parts[k].0, &parts[k].1, SET_NAMES[k])?;
        }
        let brands_json = match &self.brands_json {
            Some(j) => j.clone(),
            None => base.brands_json().to_vec(),
        };
        let brands: Vec<Brand> = serde_json::from_slice(&brands_json)
            .map_err(|e| corrupt(format!("brands JSON: {e}")))?;
        let [a, b, w] = sets;
        let next = CompactSnapshot::from_parts(
            self.to_version,
            self.to_created,
            a,
            b,
            w.0,
            brands,
            brands_json,
        );
        if next.hash() != self.to_hash {
            return Err(GuardError::SnapshotHash {
                expected: hex::encode(self.to_hash),
                got: next.hash_hex(),
            });
        }
        Ok(next)
    }

    /// The delta file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEAD_LEN + 64 + self.len() * (FP_BYTES + 1));
        out.extend_from_slice(COMPACT_DELTA_MAGIC);
        out.extend_from_slice(&COMPACT_DELTA_FORMAT.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&self.from_version.to_le_bytes());
        out.extend_from_slice(&self.from_hash);
        out.extend_from_slice(&self.to_version.to_le_bytes());
        out.extend_from_slice(&self.to_created.to_le_bytes());
        out.extend_from_slice(&self.to_hash);
        for (k, s) in self.sets.iter().enumerate() {
            out.extend_from_slice(&(s.removed.len() as u32).to_le_bytes());
            out.extend_from_slice(&(s.put.len() as u32).to_le_bytes());
            for fp in &s.removed {
                out.extend_from_slice(&fp.to_be_bytes()[8 - FP_BYTES..]);
            }
            for (fp, c) in &s.put {
                out.extend_from_slice(&fp.to_be_bytes()[8 - FP_BYTES..]);
                if k < 2 {
                    out.push(c.index() as u8);
                }
            }
        }
        match &self.brands_json {
            None => out.push(0),
            Some(j) => {
                out.push(1);
                out.extend_from_slice(&(j.len() as u32).to_le_bytes());
                out.extend_from_slice(j);
            }
        }
        let sum: [u8; 32] = Sha256::digest(&out).into();
        out.extend_from_slice(&sum);
        out
    }

    /// Reads a delta file: magic, format, the trailing SHA-256, then every list (strictly
    /// increasing fingerprints below 2^40, known categories, no byte left over). Hostile bytes
    /// get an error, never a panic; what is allocated is bounded by the input's length (counts
    /// are checked against the bytes left before anything is reserved).
    pub fn from_bytes(bytes: &[u8]) -> Result<CompactDelta, GuardError> {
        if bytes.len() < HEAD_LEN + 32 || &bytes[..8] != COMPACT_DELTA_MAGIC {
            return Err(corrupt(
                "not a custodia-guard compact delta (bad magic or too short)",
            ));
        }
        let format = u16::from_le_bytes([bytes[8], bytes[9]]);
        if format != COMPACT_DELTA_FORMAT {
            return Err(corrupt(format!(
                "format {format}; this reader understands format {COMPACT_DELTA_FORMAT}"
            )));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 32);
        let got: [u8; 32] = Sha256::digest(body).into();
        if got[..] != sum[..] {
            return Err(GuardError::SnapshotHash {
                expected: hex::encode(sum),
                got: hex::encode(got),
            });
        }
        Self::read_body(body).map_err(|e| match e {
            // The shared reader's truncation errors, named for this format.
            GuardError::Snapshot { why } if !why.starts_with("compact delta") => corrupt(why),
            e => e,
        })
    }

    /// The fields after magic and format, in a body whose hash was checked.
    fn read_body(body: &[u8]) -> Result<CompactDelta, GuardError> {
        let mut r = Reader { b: body, at: 10 };
        if r.u16()? != 0 {
            return Err(corrupt("reserved field is not zero"));
        }
        let from_version = r.u64()?;
        let from_hash = hash(&mut r)?;
        let to_version = r.u64()?;
        let to_created = r.u64()?;
        let to_hash = hash(&mut r)?;
        if to_version < from_version {
            return Err(corrupt(format!(
                "goes from version {from_version} back to version {to_version}"
            )));
        }
        let mut sets: [SetChange; 3] = Default::default();
        for (k, set) in sets.iter_mut().enumerate() {
            let what = SET_NAMES[k];
            let (nr, np) = (r.u32()? as usize, r.u32()? as usize);
            let put_len = if k < 2 { FP_BYTES + 1 } else { FP_BYTES };
            let need = (nr as u64) * FP_BYTES as u64 + (np as u64) * put_len as u64;
            if need > r.left() as u64 {
                return Err(corrupt(format!(
                    "{what}: {nr} removals and {np} entries do not fit in {} bytes",
                    r.left()
                )));
            }
            set.removed.reserve_exact(nr);
            set.put.reserve_exact(np);
            let mut prev = None;
            for _ in 0..nr {
                set.removed.push(fingerprint(&mut r, &mut prev, what)?);
            }
            let mut prev = None;
            for _ in 0..np {
                let fp = fingerprint(&mut r, &mut prev, what)?;
                let c = if k < 2 {
                    let i = r.u8()?;
                    Category::from_index(i)
                        .ok_or_else(|| corrupt(format!("{what}: unknown category {i}")))?
                } else {
                    Category::Phishing
                };
                set.put.push((fp, c));
            }
        }
        let brands_json = match r.u8()? {
            0 => None,
            1 => {
                let n = r.u32()? as usize;
                Some(r.take(n)?.to_vec())
            }
            f => return Err(corrupt(format!("brands flag {f}, expected 0 or 1"))),
        };
        if r.left() != 0 {
            return Err(corrupt(format!(
                "{} bytes after the last section",
                r.left()
            )));
        }
        Ok(CompactDelta {
            from_version,
            from_hash,
            to_version,
            to_created,
            to_hash,
            sets,
            brands_json,
        })
    }
}

/// A 5-byte fingerprint, strictly above `prev`.
fn fingerprint(r: &mut Reader<'_>, prev: &mut Option<u64>, what: &str) -> Result<u64, GuardError> {
    let mut b = [0u8; 8];
    b[8 - FP_BYTES..].copy_from_slice(r.take(FP_BYTES)?);
    let fp = u64::from_be_bytes(b);
    debug_assert!(fp < FP_LIMIT);
    if prev.is_some_and(|p| fp <= p) {
        return Err(corrupt(format!(
            "{what}: fingerprints not strictly increasing"
        )));
    }
    *prev = Some(fp);
    Ok(fp)
}

fn hash(r: &mut Reader<'_>) -> Result<[u8; 32], GuardError> {
    Ok(r.take(32)?.try_into().expect("32 bytes"))
}
