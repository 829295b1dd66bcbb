//! The delivery pack: every user's inclusion file of a round, in a few large files and one
//! sorted index, so that writing a million users' files is a sequential copy, and finding one
//! user's file is a binary search and one read.
//!
//! ```text
//! DIR/delivery.json                 the delivery record (round, root, complete, layout "pack")
//! DIR/packs/batch-NNNNN.jsonl       batch NNNNN's inclusion files, one compact JSON per line
//! DIR/packs/batch-NNNNN.idx         that batch's index records (also its "done" marker)
//! DIR/index.bin                     every batch's records, sorted: the lookup index
//! ```
//!
//! An index file (`.idx` or `index.bin`) is [`INDEX_MAGIC`] followed by [`RECORD_BYTES`]-byte
//! records, little-endian: `hash: u64` (FNV-1a-64 of the user id, [`AccountId::delivery_hash`]),
//! `batch: u32`, `len: u32`, `offset: u64` — the user's line is `len` bytes at `offset` in
//! `packs/batch-<batch>.jsonl`, without its newline. `index.bin` is sorted by
//! `(hash, batch, offset)`. Two ids may share a hash: the reader compares the id inside the line
//! and tries the next record with the same hash.
//!
//! Any language reads it: seek to `8 + 24 × i`, read 24 bytes, compare the hash.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::AccountId;

/// First eight bytes of every index file.
pub const INDEX_MAGIC: &[u8; 8] = b"CUSTPIX1";
/// Size of one index record.
pub const RECORD_BYTES: usize = 24;
/// The folder of the packs, inside a delivery folder.
pub const PACK_DIR: &str = "packs";
/// The sorted index, inside a delivery folder.
pub const INDEX_FILE: &str = "index.bin";

/// Where one user's inclusion file lies in a pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackRecord {
    /// [`AccountId::delivery_hash`] of the user.
    pub hash: u64,
    /// The batch (the pack file).
    pub batch: u32,
    /// Bytes of the line, without its newline.
    pub len: u32,
    /// Where the line starts in the pack.
    pub offset: u64,
}

impl PackRecord {
    /// The 24 bytes of the record.
    pub fn to_bytes(&self) -> [u8; RECORD_BYTES] {
        let mut b = [0u8; RECORD_BYTES];
        b[0..8].copy_from_slice(&self.hash.to_le_bytes());
        b[8..12].copy_from_slice(&self.batch.to_le_bytes());
        b[12..16].copy_from_slice(&self.len.to_le_bytes());
        b[16..24].copy_from_slice(&self.offset.to_le_bytes());
        b
    }

    /// A record from its 24 bytes.
    pub fn from_bytes(b: &[u8; RECORD_BYTES]) -> Self {
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        Self {
            hash: u64_at(0),
            batch: u32_at(8),
            len: u32_at(12),
            offset: u64_at(16),
        }
    }
}

/// Why a pack cannot be read.
#[derive(Debug, Error)]
pub enum PackError {
    /// A file of the pack cannot be opened or read.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: String,
        /// The system's error.
        source: io::Error,
    },
    /// An index file is not one.
    #[error("{path} is not a delivery index: {reason}")]
    BadIndex {
        /// The file.
        path: String,
        /// What is wrong (expected/got).
        reason: String,
    },
    /// A record points outside its pack, or at a line that is not an inclusion file.
    #[error("{path}: a record of the index does not match the pack: {reason}")]
    BadRecord {
        /// The pack file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// The path of batch `batch`'s pack in delivery folder `dir`.
pub fn pack_path(dir: &Path, batch: u32) -> PathBuf {
    dir.join(PACK_DIR).join(format!("batch-{batch:05}.jsonl"))
}

/// The path of batch `batch`'s own index (its "done" marker) in delivery folder `dir`.
pub fn batch_index_path(dir: &Path, batch: u32) -> PathBuf {
    dir.join(PACK_DIR).join(format!("batch-{batch:05}.idx"))
}

/// Encodes records as an index file.
pub fn encode_index(records: &[PackRecord]) -> Vec<u8> {
    let mut out = Vec::with_capacity(INDEX_MAGIC.len() + records.len() * RECORD_BYTES);
    out.extend_from_slice(INDEX_MAGIC);
    for r in records {
        out.extend_from_slice(&r.to_bytes());
    }
    out
}

/// Decodes an index file's bytes; `path` names it in errors.
pub fn decode_index(bytes: &[u8], path: &str) -> Result<Vec<PackRecord>, PackError> {
    let body = bytes
        .strip_prefix(INDEX_MAGIC.as_slice())
        .ok_or_else(|| PackError::BadIndex {
            path: path.to_owned(),
            reason: "it does not start with CUSTPIX1".into(),
        })?;
    if body.len() % RECORD_BYTES != 0 {
        return Err(PackError::BadIndex {
            path: path.to_owned(),
            reason: format!(
                "{} bytes after the magic, not a multiple of {RECORD_BYTES}",
                body.len()
            ),
        });
    }
    Ok(body
        .chunks_exact(RECORD_BYTES)
        .map(|c| PackRecord::from_bytes(c.try_into().expect("exact chunks")))
        .collect())
}

/// The user id a pack line names (`"user_id":"…"`), if any.
pub fn line_user(line: &[u8]) -> Option<&str> {
    const NEEDLE: &[u8] = b"\"user_id\":\"";
    let at = line.windows(NEEDLE.len()).position(|w| w == NEEDLE)?;
    let rest = &line[at + NEEDLE.len()..];
    let end = rest.iter().position(|&c| c == b'"')?;
    std::str::from_utf8(&rest[..end]).ok()
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl Fn(io::Error) -> PackError + 'a {
    move |source| PackError::Io {
        action,
        path: path.display().to_string(),
        source,
    }
}

/// Finds `user`'s inclusion file in the pack of delivery folder `dir`: `Ok(None)` when the
/// round has none for the user. A line longer than `max_bytes` is refused. Costs a binary search
/// over `index.bin` (about 20 reads of 24 bytes for a million users) and one read of the line.
pub fn find_in_pack(
    dir: &Path,
    user: &AccountId,
    max_bytes: u64,
) -> Result<Option<Vec<u8>>, PackError> {
    let index_path = dir.join(INDEX_FILE);
    let shown = index_path.display().to_string();
    let mut index = File::open(&index_path).map_err(io_err("opening", &index_path))?;
    let len = index
        .metadata()
        .map_err(io_err("reading", &index_path))?
        .len();
    let mut magic = [0u8; 8];
    index
        .read_exact(&mut magic)
        .map_err(io_err("reading", &index_path))?;
    let body = len.saturating_sub(8);
    if &magic != INDEX_MAGIC || body % RECORD_BYTES as u64 != 0 {
        return Err(PackError::BadIndex {
            path: shown,
            reason: format!("expected CUSTPIX1 and 24-byte records, got {len} bytes"),
        });
    }
    let count = body / RECORD_BYTES as u64;
    let mut read_at = |i: u64| -> Result<PackRecord, PackError> {
        let mut b = [0u8; RECORD_BYTES];
        index
            .seek(SeekFrom::Start(8 + i * RECORD_BYTES as u64))
            .and_then(|_| index.read_exact(&mut b))
            .map_err(io_err("reading", &index_path))?;
        Ok(PackRecord::from_bytes(&b))
    };
    let want = user.delivery_hash();
    // The first record whose hash is not below the user's.
    let (mut lo, mut hi) = (0u64, count);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if read_at(mid)?.hash < want {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let mut i = lo;
    while i < count {
        let r = read_at(i)?;
        if r.hash != want {
            break;
        }
        let path = pack_path(dir, r.batch);
        if u64::from(r.len) > max_bytes {
            return Err(PackError::BadRecord {
                path: path.display().to_string(),
                reason: format!("a line of {} bytes, more than {max_bytes}", r.len),
            });
        }
        let mut pack = File::open(&path).map_err(io_err("opening", &path))?;
        let mut line = vec![0u8; r.len as usize];
        pack.seek(SeekFrom::Start(r.offset))
            .and_then(|_| pack.read_exact(&mut line))
            .map_err(|e| PackError::BadRecord {
                path: path.display().to_string(),
                reason: format!("{} bytes at offset {}: {e}", r.len, r.offset),
            })?;
        match line_user(&line) {
            Some(id) if id == user.as_str() => return Ok(Some(line)),
            Some(_) => {} // another id with the same hash
            None => {
                return Err(PackError::BadRecord {
                    path: path.display().to_string(),
                    reason: format!("the line at offset {} names no user", r.offset),
                });
            }
        }
        i += 1;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_bad_indexes_are_named() {
        let r = PackRecord {
            hash: 0x0102_0304_0506_0708,
            batch: 7,
            len: 1500,
            offset: 1 << 40,
        };
        assert_eq!(PackRecord::from_bytes(&r.to_bytes()), r);
        let bytes = encode_index(&[r, r]);
        assert_eq!(decode_index(&bytes, "x").unwrap(), vec![r, r]);
        // Negative twins: a wrong magic, a torn record.
        let e = decode_index(&bytes[1..], "x").unwrap_err();
        assert!(e.to_string().contains("CUSTPIX1"), "{e}");
        let e = decode_index(&bytes[..bytes.len() - 1], "x").unwrap_err();
        assert!(e.to_string().contains("not a multiple of 24"), "{e}");
    }

    #[test]
    fn line_user_reads_the_id_and_refuses_lines_without_one() {
        assert_eq!(
            line_user(br#"{"format":"x","user_id":"alice","leaf_index":3}"#),
            Some("alice")
        );
        assert_eq!(line_user(br#"{"format":"x"}"#), None);
        assert_eq!(line_user(br#"{"user_id":"unterminated"#), None);
    }
}
