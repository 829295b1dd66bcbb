//! Sources on disk: the paths a user names (files, folders, zip archives).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Added, Bundle, InputError, MAX_ZIP_BYTES, Source};

/// Deepest folder walked below a path given on the command line.
pub const MAX_DEPTH: usize = 4;
/// Most directory entries looked at in total.
pub const MAX_FILES: usize = 1 << 20;

fn input<T>(msg: impl Into<String>) -> Result<T, InputError> {
    Err(InputError(msg.into()))
}

/// Reads at most `limit` bytes of a regular file; larger files, and anything that is not a
/// regular file (a device such as `/dev/zero`, a named pipe, a socket, also behind a symbolic
/// link), are input errors. The size is checked before a byte is read, and the read itself
/// stops at the limit in case the file grows meanwhile.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    // Looked at before opening: opening a named pipe would block until a writer appears.
    let meta = fs::metadata(path)
        .map_err(|e| InputError(format!("cannot open {}: {e}", path.display())))?;
    if !meta.is_file() {
        return input(format!(
            "{} is not a regular file: not a Custodia file",
            path.display()
        ));
    }
    let too_large = || {
        input(format!(
            "{} is larger than {limit} bytes: not a Custodia file",
            path.display()
        ))
    };
    if meta.len() > limit {
        return too_large();
    }
    let f = fs::File::open(path)
        .map_err(|e| InputError(format!("cannot open {}: {e}", path.display())))?;
    // The file opened may not be the one looked at (a swap in between): check again.
    let meta = f
        .metadata()
        .map_err(|e| InputError(format!("cannot read {}: {e}", path.display())))?;
    if !meta.is_file() {
        return input(format!(
            "{} is not a regular file: not a Custodia file",
            path.display()
        ));
    }
    if meta.len() > limit {
        return too_large();
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| InputError(format!("cannot read {}: {e}", path.display())))?;
    if buf.len() as u64 > limit {
        return too_large();
    }
    Ok(buf)
}

/// A file on disk, read only when the bundle needs it.
struct File {
    path: PathBuf,
    name: String,
}

impl File {
    fn boxed(path: &Path) -> Box<dyn Source> {
        Box::new(Self {
            path: path.to_path_buf(),
            name: path.display().to_string(),
        })
    }
}

impl Source for File {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&self, limit: u64) -> Result<Vec<u8>, String> {
        read_limited(&self.path, limit).map_err(|e| e.0)
    }
}

fn walk(dir: &Path, depth: usize, bundle: &mut Bundle, seen: &mut usize) -> Result<(), InputError> {
    let entries =
        fs::read_dir(dir).map_err(|e| InputError(format!("cannot list {}: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        *seen += 1;
        if *seen > MAX_FILES {
            return input(format!("more than {MAX_FILES} files under the paths given"));
        }
        // Do not follow links out of the folder, and skip the exchange's private data.
        let Ok(meta) = fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            let skip = p.file_name().is_some_and(|n| n == "private");
            if depth < MAX_DEPTH && !skip {
                walk(&p, depth + 1, bundle, seen)?;
            }
        } else if meta.is_file() {
            bundle.add(File::boxed(&p))?;
        }
    }
    Ok(())
}

/// Finds round.json, the proofs and the inclusion files among `paths` (files, folders or zip
/// archives). A file named directly that is not a Custodia file is an input error (a typo
/// should not pass silently); inside folders and archives other files are ignored.
pub fn discover(paths: &[PathBuf]) -> Result<Bundle, InputError> {
    let mut bundle = Bundle::new();
    let mut seen = 0;
    for p in paths {
        let meta =
            fs::metadata(p).map_err(|e| InputError(format!("cannot open {}: {e}", p.display())))?;
        if meta.is_dir() {
            walk(p, 0, &mut bundle, &mut seen)?;
            continue;
        }
        if !meta.is_file() {
            return input(format!(
                "{} is not a regular file (a device, pipe or socket): not a Custodia file",
                p.display()
            ));
        }
        let added = if is_zip(p) {
            let bytes = read_limited(p, MAX_ZIP_BYTES)?;
            bundle.add_bytes(&p.display().to_string(), bytes)?
        } else {
            bundle.add(File::boxed(p))?
        };
        match added {
            Added::Ignored => {
                return input(format!(
                    "{} is not a Custodia file (round.json, batch-NNNNN.proof/.json, an inclusion \
                     file, or a zip of them)",
                    p.display()
                ));
            }
            Added::Archive(0) => {
                return input(format!(
                    "{}: the archive holds no Custodia files (round.json, batch-NNNNN.proof/.json \
                     or an inclusion file)",
                    p.display()
                ));
            }
            _ => {}
        }
    }
    Ok(bundle)
}

/// A zip by name or by its first bytes (downloads lose their extension).
fn is_zip(p: &Path) -> bool {
    if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
        return true;
    }
    let mut head = [0u8; 4];
    fs::File::open(p)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && (head == *b"PK\x03\x04" || head == *b"PK\x05\x06")
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn regression_devices_pipes_and_links_to_them_are_refused_before_reading() {
        let dir = std::env::temp_dir().join(format!("custodia-disk-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        // A link to /dev/zero would read until memory runs out.
        let zero = dir.join("round.json");
        let _ = fs::remove_file(&zero);
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let e = read_limited(&zero, 1 << 20).unwrap_err();
        assert!(e.0.contains("not a regular file"), "{e}");
        assert!(discover(std::slice::from_ref(&zero)).is_err());
        // A named pipe would block on open.
        let fifo = dir.join("batch-00000.json");
        let _ = fs::remove_file(&fifo);
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let e = read_limited(&fifo, 1 << 20).unwrap_err();
            assert!(e.0.contains("not a regular file"), "{e}");
        }
        // Negative twin: a regular file is read.
        let ok = dir.join("ok.json");
        fs::write(&ok, b"{}").unwrap();
        assert_eq!(read_limited(&ok, 1 << 20).unwrap(), b"{}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn regression_an_oversized_file_is_refused_without_being_read() {
        let dir = std::env::temp_dir().join(format!("custodia-big-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        // 512 MiB, sparse: refused from its size alone (reading it would cost ~530 MB).
        let big = dir.join("round.json");
        fs::File::create(&big).unwrap().set_len(512 << 20).unwrap();
        let e = read_limited(&big, 64 << 20).unwrap_err();
        assert!(e.0.contains("larger than"), "{e}");
        // Negative twin: at the limit it is read.
        let at = dir.join("at.json");
        fs::File::create(&at).unwrap().set_len(1024).unwrap();
        assert_eq!(read_limited(&at, 1024).unwrap().len(), 1024);
        fs::remove_dir_all(&dir).unwrap();
    }
}
