//! Where a round folder lives: a small blob-store trait and its filesystem and in-memory forms.
//!
//! A [`Blobs`] is one round folder. Keys are relative, `/`-separated (`round.json`,
//! `private/batch-00003.wit`); objects are written whole and appear only once complete; a whole
//! folder is replaced at once with [`Blobs::publish_folder`]. That is the shape an object store
//! (S3, GCS, Azure) offers too, so an adapter crate can implement it for a bucket prefix without
//! this crate knowing HTTP.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use crate::Error;

/// A round folder in some store.
///
/// # To implement this trait
/// 1. Map a key to an object of the folder (a file under a root, an object under a prefix).
///    Keys reach the store only after [`check_key`], so they never climb out of the folder.
/// 2. REQUIRED: [`get`](Self::get), [`put`](Self::put), [`exists`](Self::exists),
///    [`list`](Self::list), [`location`](Self::location), [`is_empty`](Self::is_empty) and
///    [`publish_folder`](Self::publish_folder).
/// 3. PROVIDED: [`put_with`](Self::put_with) buffers what it is given and calls `put`;
///    override it to stream large objects (the filesystem does).
///
/// # Correctness
/// - `put` is atomic: a reader sees the old object, or none, or the whole new one — never a part.
///   Retrying a `put` with the same bytes is harmless (jobs are retried).
/// - `publish_folder` is atomic for the whole folder: if the writer fails, the folder is
///   untouched; otherwise readers see the new folder and nothing of the old one.
/// - A missing object is reported as [`Error::NotFound`] (use [`Error::storage`] with the
///   action `"reading"` and an [`io::ErrorKind::NotFound`] cause).
pub trait Blobs: Sync {
    /// The whole object at `key`.
    fn get(&self, key: &str) -> Result<Vec<u8>, Error>;

    /// The whole object at `key` if it holds at most `limit` bytes; a larger one is an error
    /// ([`io::ErrorKind::FileTooLarge`]) found without reading it all. What verifiers call on
    /// folders they did not write. The default reads the object and then checks its size;
    /// override it where the size is known first (the filesystem does).
    fn get_limited(&self, key: &str, limit: u64) -> Result<Vec<u8>, Error> {
        let bytes = self.get(key)?;
        if bytes.len() as u64 > limit {
            return Err(too_large(self.location(key), limit));
        }
        Ok(bytes)
    }

    /// Stores `bytes` as the whole object at `key`, replacing any, atomically.
    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), Error>;

    /// Stores what `fill` writes as the whole object at `key`, atomically. For objects too large
    /// to hold twice in memory; the default buffers and calls [`put`](Self::put).
    fn put_with(
        &self,
        key: &str,
        fill: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), Error> {
        let mut buf = Vec::new();
        fill(&mut buf).map_err(|e| Error::storage("writing", self.location(key), e))?;
        self.put(key, &buf)
    }

    /// Whether an object exists at `key`.
    fn exists(&self, key: &str) -> Result<bool, Error>;

    /// Removes the object at `key`; removing one that is not there is not an error (a retried
    /// clean-up finds its work done).
    fn delete(&self, key: &str) -> Result<(), Error>;

    /// The local file that holds the object at `key`, when the store is a local folder and the
    /// object a regular file there; `None` otherwise (the default). Lets a caller that copies an
    /// object into another local folder hard-link it instead (`por inclusion --all`). Callers
    /// must never write through the path: objects are replaced by rename, never in place.
    fn local_file(&self, key: &str) -> Option<PathBuf> {
        let _ = key;
        None
    }

    /// Every key under the folder `prefix` (`""`: the whole folder), at any depth, sorted.
    /// A folder that does not exist lists as empty.
    fn list(&self, prefix: &str) -> Result<Vec<String>, Error>;

    /// Where `key` lives, for messages (`""`: the folder itself).
    fn location(&self, key: &str) -> String;

    /// Whether the folder holds nothing (or does not exist yet).
    fn is_empty(&self) -> Result<bool, Error>;

    /// Replaces the whole folder by what `write` puts into a fresh, empty staging folder, at
    /// once. When `write` fails, the staging folder is discarded and its error returned.
    fn publish_folder(
        &self,
        write: &mut dyn FnMut(&dyn Blobs) -> Result<(), Error>,
    ) -> Result<(), Error>;
}

/// Checks that `key` is a relative `/`-separated path that stays inside its folder.
pub fn check_key(key: &str) -> Result<(), Error> {
    let bad = |reason| {
        Err(Error::BadKey {
            key: key.to_owned(),
            reason,
        })
    };
    if key.is_empty() {
        return bad("empty");
    }
    if key.contains('\\') || key.contains('\0') {
        return bad("backslash or NUL");
    }
    if key
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return bad("empty, `.` or `..` path segment");
    }
    Ok(())
}

/// Suffix of objects being written; never listed.
const PARTIAL: &str = ".partial";

/// A round folder on the local filesystem.
///
/// An object is written to `<name>.partial` beside its final name and renamed into place, so it
/// appears whole or not at all. [`Blobs::publish_folder`] writes a folder `.<name>.partial`
/// beside the target and renames it into place.
#[derive(Debug, Clone)]
pub struct FsBlobs {
    root: PathBuf,
}

impl FsBlobs {
    /// The folder at `root` (it need not exist yet).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of `key`.
    pub fn path(&self, key: &str) -> Result<PathBuf, Error> {
        check_key(key)?;
        Ok(key
            .split('/')
            .fold(self.root.clone(), |p, part| p.join(part)))
    }

    fn parent_dir(&self, path: &Path) -> Result<(), Error> {
        match path.parent() {
            Some(dir) => fs::create_dir_all(dir)
                .map_err(|e| Error::storage("creating", dir.display().to_string(), e)),
            None => Ok(()),
        }
    }

    fn staging_path(&self) -> PathBuf {
        let name = self
            .root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "round".into());
        self.root.with_file_name(format!(".{name}{PARTIAL}"))
    }
}

fn partial(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(PARTIAL);
    PathBuf::from(name)
}

fn too_large(location: String, limit: u64) -> Error {
    Error::storage(
        "reading",
        location,
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("larger than {limit} bytes"),
        ),
    )
}

/// Reads a regular file, at most `limit` bytes of it. Devices, pipes and sockets (also behind
/// a symbolic link) are refused before they are opened: `/dev/zero` would never end and a
/// named pipe would block.
fn read_regular(path: &Path, limit: Option<u64>) -> Result<Vec<u8>, Error> {
    let location = || path.display().to_string();
    let fail = |e| Error::storage("reading", location(), e);
    let not_regular = || {
        fail(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ))
    };
    if !fs::metadata(path).map_err(fail)?.is_file() {
        return Err(not_regular());
    }
    let file = fs::File::open(path).map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    let limit = limit.unwrap_or(u64::MAX);
    if meta.len() > limit {
        return Err(too_large(location(), limit));
    }
    let mut out = Vec::with_capacity(meta.len() as usize);
    io::Read::read_to_end(&mut io::Read::take(file, limit.saturating_add(1)), &mut out)
        .map_err(fail)?;
    if out.len() as u64 > limit {
        return Err(too_large(location(), limit));
    }
    Ok(out)
}

impl Blobs for FsBlobs {
    fn get(&self, key: &str) -> Result<Vec<u8>, Error> {
        read_regular(&self.path(key)?, None)
    }

    fn get_limited(&self, key: &str, limit: u64) -> Result<Vec<u8>, Error> {
        read_regular(&self.path(key)?, Some(limit))
    }

    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), Error> {
        let path = self.path(key)?;
        self.parent_dir(&path)?;
        let tmp = partial(&path);
        fs::write(&tmp, bytes)
            .map_err(|e| Error::storage("writing", tmp.display().to_string(), e))?;
        fs::rename(&tmp, &path)
            .map_err(|e| Error::storage("writing", path.display().to_string(), e))
    }

    fn put_with(
        &self,
        key: &str,
        fill: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), Error> {
        let path = self.path(key)?;
        self.parent_dir(&path)?;
        let tmp = partial(&path);
        let file = fs::File::create(&tmp)
            .map_err(|e| Error::storage("creating", path.display().to_string(), e))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let written = fill(&mut w).and_then(|()| w.flush());
        drop(w);
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(Error::storage("writing", path.display().to_string(), e));
        }
        fs::rename(&tmp, &path)
            .map_err(|e| Error::storage("writing", path.display().to_string(), e))
    }

    fn exists(&self, key: &str) -> Result<bool, Error> {
        Ok(self.path(key)?.is_file())
    }

    fn delete(&self, key: &str) -> Result<(), Error> {
        let path = self.path(key)?;
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(Error::storage("deleting", path.display().to_string(), e))
            }
            _ => Ok(()),
        }
    }

    fn local_file(&self, key: &str) -> Option<PathBuf> {
        // Not through a symbolic link: a hard link would name the link, not the file.
        let path = self.path(key).ok()?;
        let meta = fs::symlink_metadata(&path).ok()?;
        meta.file_type().is_file().then_some(path)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let prefix = prefix.trim_end_matches('/');
        let start = if prefix.is_empty() {
            self.root.clone()
        } else {
            self.path(prefix)?
        };
        let mut keys = Vec::new();
        let mut stack = vec![(start, prefix.to_owned())];
        while let Some((dir, key)) = stack.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::storage("reading", dir.display().to_string(), e)),
            };
            for entry in entries {
                let entry =
                    entry.map_err(|e| Error::storage("reading", dir.display().to_string(), e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(PARTIAL) {
                    continue;
                }
                let child = if key.is_empty() {
                    name
                } else {
                    format!("{key}/{name}")
                };
                if entry.path().is_dir() {
                    stack.push((entry.path(), child));
                } else {
                    keys.push(child);
                }
            }
        }
        keys.sort();
        Ok(keys)
    }

    fn location(&self, key: &str) -> String {
        if key.is_empty() {
            return self.root.display().to_string();
        }
        key.split('/')
            .fold(self.root.clone(), |p, part| p.join(part))
            .display()
            .to_string()
    }

    fn is_empty(&self) -> Result<bool, Error> {
        if !self.root.exists() {
            return Ok(true);
        }
        // Unreadable (or a file in the way) counts as occupied: never replace it unasked.
        Ok(fs::read_dir(&self.root).is_ok_and(|mut d| d.next().is_none()))
    }

    fn publish_folder(
        &self,
        write: &mut dyn FnMut(&dyn Blobs) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let tmp = self.staging_path();
        if tmp.exists() {
            fs::remove_dir_all(&tmp)
                .map_err(|e| Error::storage("removing stale", tmp.display().to_string(), e))?;
        }
        fs::create_dir_all(&tmp)
            .map_err(|e| Error::storage("creating", tmp.display().to_string(), e))?;
        if let Err(e) = write(&FsBlobs::new(&tmp)) {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
        if self.root.exists() {
            fs::remove_dir_all(&self.root)
                .map_err(|e| Error::storage("replacing", self.root.display().to_string(), e))?;
        }
        fs::rename(&tmp, &self.root).map_err(|e| {
            Error::storage("moving the round into", self.root.display().to_string(), e)
        })
    }
}

/// A round folder in memory: for tests, and for a worker that fetched its two objects.
/// Clones share the same objects.
#[derive(Debug, Clone, Default)]
pub struct MemBlobs {
    objects: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
}

impl MemBlobs {
    /// An empty folder.
    pub fn new() -> Self {
        Self::default()
    }

    fn objects(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        // A panic while holding the lock cannot leave a map half-updated: keep going.
        self.objects.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Removes the object at `key`, if any (tests use it to lose an object).
    pub fn remove(&self, key: &str) -> Option<Vec<u8>> {
        self.objects().remove(key)
    }
}

impl Blobs for MemBlobs {
    fn get(&self, key: &str) -> Result<Vec<u8>, Error> {
        check_key(key)?;
        self.objects().get(key).cloned().ok_or_else(|| {
            Error::storage(
                "reading",
                self.location(key),
                io::Error::new(io::ErrorKind::NotFound, "no such object"),
            )
        })
    }

    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), Error> {
        check_key(key)?;
        self.objects().insert(key.to_owned(), bytes.to_vec());
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool, Error> {
        check_key(key)?;
        Ok(self.objects().contains_key(key))
    }

    fn delete(&self, key: &str) -> Result<(), Error> {
        check_key(key)?;
        self.objects().remove(key);
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let prefix = prefix.trim_end_matches('/');
        let folder = format!("{prefix}/");
        Ok(self
            .objects()
            .keys()
            .filter(|k| prefix.is_empty() || k.starts_with(&folder))
            .cloned()
            .collect())
    }

    fn location(&self, key: &str) -> String {
        format!("memory:/{key}")
    }

    fn is_empty(&self) -> Result<bool, Error> {
        Ok(self.objects().is_empty())
    }

    fn publish_folder(
        &self,
        write: &mut dyn FnMut(&dyn Blobs) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let staged = MemBlobs::new();
        write(&staged)?;
        let objects = std::mem::take(&mut *staged.objects());
        *self.objects() = objects;
        Ok(())
    }
}
