//! `por inclusion --all`: every user's inclusion file, for the exchange's back end to hand each
//! user theirs (over its authenticated user API, or the service's `POST /v1/por/inclusion`).
//!
//! Two layouts ([`Layout`]). The default, [`Layout::Pack`], is what large exchanges serve from:
//! each batch's inclusion files as one file (its lines) plus a sorted binary index over every
//! user (`custodia_primitives::pack` has the format). A batch's pack is the round's own
//! `inclusion/batch-NNNNN.jsonl`, byte for byte: hard-linked when the round is a local folder on
//! the same file system (nothing is written but the index), copied otherwise; so a million users
//! take about a second, and a lookup is a binary search and one read. [`Layout::Files`]
//! writes one file per user, for back ends that serve plain files, bounded by the file system's
//! file-creation rate:
//!
//! ```text
//! DIR/delivery.json              which round this is (id, root), and whether every batch is done
//! DIR/<shard>/<user id>.json     one inclusion file per user; <shard> = two hex digits
//! DIR/.done/batch-NNNNN          batch NNNNN's files are all written (resume skips it)
//! ```
//!
//! The shard is the low byte of the 64-bit FNV-1a hash of the user id's bytes ([`shard`]), so
//! 256 folders share the users evenly and any language finds a user's file in one step. The
//! file's bytes are the line `inclusion/batch-NNNNN.jsonl` holds for the user: the same
//! inclusion file `por inclusion --user` prints, in compact JSON.
//!
//! Resumable: a batch's files are written, then its marker; an interrupted run is started again
//! with the same command and skips every batch with a marker (a half-written batch is rewritten
//! whole). Files are written in place without a rename each (two system calls fewer per user);
//! a user's file is complete once its batch has a marker.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use custodia_primitives::AccountId;
use custodia_primitives::pack::{self, PackRecord};
use p3_maybe_rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::folder::{inclusion_key, load_manifest};
use crate::{Blobs, Error, Progress};

/// Format tag of `delivery.json`.
pub const DELIVERY_FORMAT: &str = "custodia-delivery/1";
/// Name of the delivery folder's own record.
pub const DELIVERY_RECORD: &str = "delivery.json";
const DONE_DIR: &str = ".done";

/// How a delivery folder stores the users' files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// One file per user under 256 shard folders (`<shard>/<id>.json`). Records written before
    /// packs existed have no `layout` and are this.
    #[default]
    Files,
    /// Per-batch packs and a sorted index (`packs/`, `index.bin`).
    Pack,
}

impl Layout {
    /// `files` or `pack`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Files => "files",
            Self::Pack => "pack",
        }
    }
}

/// `delivery.json`: which round a delivery folder holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryRecord {
    /// Always [`DELIVERY_FORMAT`].
    pub format: String,
    /// Round id.
    pub round: String,
    /// The round's root, hex.
    pub root: String,
    /// Batches of the round.
    pub batches: usize,
    /// Every batch written.
    pub complete: bool,
    /// Users written (when complete).
    pub users: u64,
    /// How the files are stored.
    #[serde(default)]
    pub layout: Layout,
}

/// What [`deliver_all`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivered {
    /// Round id.
    pub round: String,
    /// Users whose file this run wrote.
    pub written: u64,
    /// Batches this run skipped because an earlier run finished them.
    pub batches_skipped: usize,
    /// Batches of the round.
    pub batches: usize,
    /// Users in the whole delivery folder.
    pub users: u64,
}

/// The shard folder of a user's file ([`AccountId::delivery_shard`]; the rule lives with the
/// account id so the service can find a file without linking the round builder).
pub fn shard(user: &AccountId) -> String {
    user.delivery_shard()
}

/// Where a user's file lives in a delivery folder (`<shard>/<id>.json`). Account ids are made
/// of `A-Z a-z 0-9 _ - . : @`, so the name needs no escaping and never climbs out of the folder.
pub fn delivery_path(dir: &Path, user: &AccountId) -> PathBuf {
    dir.join(user.delivery_shard())
        .join(format!("{}.json", user.as_str()))
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl Fn(io::Error) -> Error + 'a {
    move |e| Error::storage(action, path.display().to_string(), e)
}

/// Reads a delivery folder's record, if it has one.
pub fn read_record(dir: &Path) -> Result<Option<DeliveryRecord>, Error> {
    let path = dir.join(DELIVERY_RECORD);
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Delivery {
                location: path.display().to_string(),
                reason: format!("not a delivery record: {e}"),
            }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("reading", &path)(e)),
    }
}

fn write_record(dir: &Path, record: &DeliveryRecord) -> Result<(), Error> {
    let path = dir.join(DELIVERY_RECORD);
    let tmp = dir.join(format!("{DELIVERY_RECORD}.partial"));
    fs::write(&tmp, serde_json::to_vec_pretty(record)?).map_err(io_err("writing", &tmp))?;
    fs::rename(&tmp, &path).map_err(io_err("writing", &path))
}

/// Writes every user's inclusion file of the round in `round` into `dir` (created if needed) in
/// `layout`, resuming an interrupted run. A folder holding another round's delivery, the same
/// round in the other layout, or anything that is not a delivery is refused.
pub fn deliver_all(
    round: &dyn Blobs,
    dir: &Path,
    layout: Layout,
    progress: &dyn Progress,
) -> Result<Delivered, Error> {
    let m = load_manifest(round)?;
    let batches = m.shape.num_batches();
    let mut record = DeliveryRecord {
        format: DELIVERY_FORMAT.to_owned(),
        round: m.round.clone(),
        root: m.root.to_hex(),
        batches,
        complete: false,
        users: 0,
        layout,
    };
    match read_record(dir)? {
        Some(old)
            if old.round == record.round && old.root == record.root && old.layout != layout =>
        {
            return Err(Error::Delivery {
                location: dir.display().to_string(),
                reason: format!(
                    "holds this round's delivery as {}, not {}: use another folder",
                    old.layout.as_str(),
                    layout.as_str()
                ),
            });
        }
        Some(old) if old.round == record.round && old.root == record.root => {}
        Some(old) => {
            return Err(Error::Delivery {
                location: dir.display().to_string(),
                reason: format!(
                    "holds the delivery of round {} (root {}), not of round {} (root {})",
                    old.round, old.root, record.round, record.root
                ),
            });
        }
        None if dir.exists()
            && fs::read_dir(dir)
                .map_err(io_err("reading", dir))?
                .next()
                .is_some() =>
        {
            return Err(Error::FolderNotEmpty {
                location: dir.display().to_string(),
            });
        }
        None => {}
    }
    fs::create_dir_all(dir).map_err(io_err("creating", dir))?;
    write_record(dir, &record)?;
    let (written, skipped, users) = match layout {
        Layout::Files => write_files(round, dir, batches, progress)?,
        Layout::Pack => write_packs(round, dir, batches, progress)?,
    };
    record.complete = true;
    record.users = users;
    write_record(dir, &record)?;
    Ok(Delivered {
        round: m.round,
        written,
        batches_skipped: skipped,
        batches,
        users,
    })
}

/// [`Layout::Files`]: returns (written now, batches skipped, users in the folder).
fn write_files(
    round: &dyn Blobs,
    dir: &Path,
    batches: usize,
    progress: &dyn Progress,
) -> Result<(u64, usize, u64), Error> {
    let done = dir.join(DONE_DIR);
    fs::create_dir_all(&done).map_err(io_err("creating", &done))?;
    for s in 0..256u32 {
        let d = dir.join(format!("{s:02x}"));
        fs::create_dir_all(&d).map_err(io_err("creating", &d))?;
    }
    let marker = |b: usize| done.join(format!("batch-{b:05}"));
    let todo: Vec<usize> = (0..batches).filter(|&b| !marker(b).exists()).collect();
    progress.begin("inclusion files", Some(todo.len() as u64));
    let written = todo
        .par_iter()
        .map(|&b| {
            let key = inclusion_key(b);
            let bytes = round.get(&key)?;
            let n = write_batch(dir, &bytes, &round.location(&key))?;
            let m = marker(b);
            fs::write(&m, n.to_string()).map_err(io_err("writing", &m))?;
            progress.step();
            Ok(n)
        })
        .collect::<Result<Vec<u64>, Error>>();
    progress.end();
    let written: u64 = written?.into_iter().sum();
    // The user count comes from the markers, so a resumed run reports the whole folder.
    let mut users = 0u64;
    for b in 0..batches {
        let m = marker(b);
        let text = fs::read_to_string(&m).map_err(io_err("reading", &m))?;
        users += text.trim().parse::<u64>().map_err(|e| Error::Delivery {
            location: m.display().to_string(),
            reason: format!("not a user count: {e}"),
        })?;
    }
    Ok((written, batches - todo.len(), users))
}

/// [`Layout::Pack`]: each batch's lines become its pack, its index records its marker; then
/// every batch's records are sorted into `index.bin`. Returns (written now, batches skipped,
/// users in the folder).
fn write_packs(
    round: &dyn Blobs,
    dir: &Path,
    batches: usize,
    progress: &dyn Progress,
) -> Result<(u64, usize, u64), Error> {
    let packs = dir.join(pack::PACK_DIR);
    fs::create_dir_all(&packs).map_err(io_err("creating", &packs))?;
    let batch_no = |b: usize| {
        u32::try_from(b).map_err(|_| Error::Delivery {
            location: dir.display().to_string(),
            reason: format!("batch {b} does not fit the index's 32-bit batch field"),
        })
    };
    let mut todo = Vec::new();
    for b in 0..batches {
        if !pack::batch_index_path(dir, batch_no(b)?).exists() {
            todo.push(b);
        }
    }
    progress.begin("inclusion packs", Some(todo.len() as u64));
    let written = todo
        .par_iter()
        .map(|&b| {
            let b32 = batch_no(b)?;
            let key = inclusion_key(b);
            let path = pack::pack_path(dir, b32);
            // The pack is the batch's inclusion file byte for byte: a hard link when the round
            // is a local folder on the same file system (no bytes written), else a copy. The
            // index is built from the pack's own bytes, so index and pack always agree.
            let bytes = match round.local_file(&key) {
                Some(src) => {
                    link_or_copy(&src, &path)?;
                    fs::read(&path).map_err(io_err("reading", &path))?
                }
                None => {
                    let bytes = round.get(&key)?;
                    fs::write(&path, &bytes).map_err(io_err("writing", &path))?;
                    bytes
                }
            };
            let records = index_batch(&bytes, b32, &round.location(&key))?;
            // The batch's index goes last, through a rename: it is the "done" marker.
            let idx = pack::batch_index_path(dir, b32);
            let tmp = idx.with_extension("idx.partial");
            fs::write(&tmp, pack::encode_index(&records)).map_err(io_err("writing", &tmp))?;
            fs::rename(&tmp, &idx).map_err(io_err("writing", &idx))?;
            progress.step();
            Ok(records.len() as u64)
        })
        .collect::<Result<Vec<u64>, Error>>();
    progress.end();
    let written: u64 = written?.into_iter().sum();
    let mut all = Vec::new();
    for b in 0..batches {
        let idx = pack::batch_index_path(dir, batch_no(b)?);
        let bytes = fs::read(&idx).map_err(io_err("reading", &idx))?;
        all.extend(
            pack::decode_index(&bytes, &idx.display().to_string()).map_err(|e| {
                Error::Delivery {
                    location: idx.display().to_string(),
                    reason: e.to_string(),
                }
            })?,
        );
    }
    all.sort_unstable();
    let index = dir.join(pack::INDEX_FILE);
    let tmp = dir.join(format!("{}.partial", pack::INDEX_FILE));
    fs::write(&tmp, pack::encode_index(&all)).map_err(io_err("writing", &tmp))?;
    fs::rename(&tmp, &index).map_err(io_err("writing", &index))?;
    Ok((written, batches - todo.len(), all.len() as u64))
}

/// Makes `dst` the file `src`: a hard link, or a copy where linking is not possible (another
/// file system, a file system without links). A `dst` left by an interrupted run is replaced.
fn link_or_copy(src: &Path, dst: &Path) -> Result<(), Error> {
    match fs::remove_file(dst) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err("replacing", dst)(e)),
    }
    if fs::hard_link(src, dst).is_ok() {
        return Ok(());
    }
    // Through a partial name and a rename, so a failed copy never leaves a short pack behind.
    let tmp = dst.with_extension("jsonl.partial");
    fs::copy(src, &tmp).map_err(io_err("writing", &tmp))?;
    fs::rename(&tmp, dst).map_err(io_err("writing", dst))
}

/// The index records of one batch's lines, in line order.
fn index_batch(jsonl: &[u8], batch: u32, location: &str) -> Result<Vec<PackRecord>, Error> {
    let bad = |reason: String| Error::Delivery {
        location: location.to_owned(),
        reason,
    };
    // About 2 KB a line at a few assets; the exact count does not matter.
    let mut records = Vec::with_capacity(jsonl.len() / 1024 + 1);
    let mut offset = 0usize;
    // memchr finds the line ends at memory speed; a batch of a big round is hundreds of MB.
    let ends = memchr::memchr_iter(b'\n', jsonl)
        .chain((jsonl.last().is_some_and(|&c| c != b'\n')).then_some(jsonl.len()));
    for (i, end) in ends.enumerate() {
        let start = offset;
        let line = &jsonl[start..end];
        offset = end + 1;
        if line.is_empty() {
            continue;
        }
        let id = pack::line_user(line)
            .and_then(|s| AccountId::new(s).ok())
            .ok_or_else(|| bad(format!("line {}: no valid user_id", i + 1)))?;
        records.push(PackRecord {
            hash: id.delivery_hash(),
            batch,
            len: u32::try_from(line.len())
                .map_err(|_| bad(format!("line {}: longer than 4 GiB", i + 1)))?,
            offset: start as u64,
        });
    }
    Ok(records)
}

/// Writes one file per line of a batch's inclusion file; returns the count.
fn write_batch(dir: &Path, jsonl: &[u8], location: &str) -> Result<u64, Error> {
    const NEEDLE: &[u8] = b"\"user_id\":\"";
    let bad = |reason: String| Error::Delivery {
        location: location.to_owned(),
        reason,
    };
    let mut n = 0u64;
    let mut path = dir.to_path_buf();
    for (i, line) in jsonl.split(|&c| c == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let at = line
            .windows(NEEDLE.len())
            .position(|w| w == NEEDLE)
            .ok_or_else(|| bad(format!("line {}: no user_id", i + 1)))?;
        let rest = &line[at + NEEDLE.len()..];
        let end = rest
            .iter()
            .position(|&c| c == b'"')
            .ok_or_else(|| bad(format!("line {}: unterminated user_id", i + 1)))?;
        let id = std::str::from_utf8(&rest[..end])
            .ok()
            .and_then(|s| AccountId::new(s).ok())
            .ok_or_else(|| bad(format!("line {}: not an account id", i + 1)))?;
        path.push(id.delivery_shard());
        path.push(format!("{}.json", id.as_str()));
        fs::write(&path, line).map_err(io_err("writing", &path))?;
        path.pop();
        path.pop();
        n += 1;
    }
    Ok(n)
}

/// Largest inclusion file read back from a pack (one is about 2 KB at 22 assets, tens of KB at
/// 200 assets).
pub const MAX_DELIVERED_BYTES: u64 = 16 << 20;

/// Reads one user's file from a delivery folder of round `round`: `Ok(None)` when the round has
/// no file for the user. The folder's record must name the round and say it is complete.
pub fn read_delivered(dir: &Path, round: &str, user: &AccountId) -> Result<Option<Vec<u8>>, Error> {
    let layout = match read_record(dir)? {
        Some(r) if r.round == round && r.complete => r.layout,
        Some(r) if r.round == round => {
            return Err(Error::Delivery {
                location: dir.display().to_string(),
                reason: "the delivery is not complete: run `custodia por inclusion --all` again"
                    .into(),
            });
        }
        _ => {
            return Err(Error::Delivery {
                location: dir.display().to_string(),
                reason: format!("no delivery of round {round}"),
            });
        }
    };
    if layout == Layout::Pack {
        return pack::find_in_pack(dir, user, MAX_DELIVERED_BYTES).map_err(|e| Error::Delivery {
            location: dir.display().to_string(),
            reason: e.to_string(),
        });
    }
    let path = delivery_path(dir, user);
    match fs::read(&path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("reading", &path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_follow_fnv1a() {
        // FNV-1a-64 of "a" is 0xaf63dc4c8601ec8c; of "user-000000001" its low byte differs from
        // "user-000000002"'s.
        let id = |s: &str| AccountId::new(s).unwrap();
        assert_eq!(shard(&id("a")), "8c");
        assert_ne!(shard(&id("user-000000001")), shard(&id("user-000000002")));
    }
}
