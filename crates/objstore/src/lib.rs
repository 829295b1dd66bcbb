#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::Arc;

use custodia_round::{Blobs, Error, check_key};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};
use url::Url;

/// Why a store URL could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The text is neither a path nor a URL this build knows.
    #[error(
        "`{url}` is not a store location: {reason} (expected a folder path, file:///path or s3://bucket/prefix)"
    )]
    BadUrl {
        /// What was given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL's scheme names a store this build does not include.
    #[error("store scheme `{got}` is not supported: expected file or s3")]
    Scheme {
        /// The scheme given.
        got: String,
    },
    /// The local folder cannot be created.
    #[error("cannot create {path}: {source}")]
    Folder {
        /// The folder.
        path: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The object store client refused its configuration (bucket, credentials, endpoint).
    #[error("cannot configure the store for {url}: {reason}")]
    Config {
        /// The URL (never credentials: those come from the environment).
        url: String,
        /// The client's report.
        reason: String,
    },
    /// The runtime that drives the client could not start.
    #[error("cannot start the object store's runtime: {0}")]
    Runtime(#[source] io::Error),
}

/// A round folder in an object store (see the crate docs for the URLs it takes).
///
/// Clones share the client and its runtime.
#[derive(Clone)]
pub struct ObjectBlobs {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    shown: String,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl fmt::Debug for ObjectBlobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectBlobs")
            .field("location", &self.shown)
            .finish_non_exhaustive()
    }
}

impl ObjectBlobs {
    /// Opens the folder at `location`: a path (created if missing), `file:///abs/path`, or
    /// `s3://bucket/prefix` (credentials, region and endpoint from `AWS_*` variables).
    pub fn open(location: &str) -> Result<Self, OpenError> {
        Self::open_with(location, std::iter::empty::<(&str, &str)>())
    }

    /// [`open`](Self::open) with S3 settings given explicitly (`("aws_endpoint", "http://…")`,
    /// `aws_region`, `aws_access_key_id`, …: the `AWS_*` variable names in lowercase); they
    /// override the environment's. Ignored for a local folder.
    pub fn open_with<'a>(
        location: &str,
        s3_options: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, OpenError> {
        let bad = |reason: String| OpenError::BadUrl {
            url: location.to_owned(),
            reason,
        };
        if location.trim().is_empty() {
            return Err(bad("empty".into()));
        }
        install_tls_provider();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("custodia-objstore")
            .enable_all()
            .build()
            .map_err(OpenError::Runtime)?;
        let (store, prefix, shown): (Arc<dyn ObjectStore>, Path, String) =
            if let Some((scheme, _)) = location.split_once("://") {
                let url = Url::parse(location).map_err(|e| bad(e.to_string()))?;
                match scheme {
                    "file" => {
                        let path = url
                            .to_file_path()
                            .map_err(|()| bad("not an absolute file path".into()))?;
                        let (store, shown) = local(&path)?;
                        (store, Path::default(), shown)
                    }
                    "s3" => {
                        let bucket = url
                            .host_str()
                            .filter(|b| !b.is_empty())
                            .ok_or_else(|| bad("no bucket".into()))?;
                        let mut builder = object_store::aws::AmazonS3Builder::from_env();
                        for (k, v) in s3_options {
                            let key =
                                k.parse()
                                    .map_err(|e: object_store::Error| OpenError::Config {
                                        url: location.to_owned(),
                                        reason: e.to_string(),
                                    })?;
                            builder = builder.with_config(key, v);
                        }
                        let store = builder.with_bucket_name(bucket).build().map_err(|e| {
                            OpenError::Config {
                                url: location.to_owned(),
                                reason: e.to_string(),
                            }
                        })?;
                        let prefix = Path::parse(url.path().trim_matches('/'))
                            .map_err(|e| bad(e.to_string()))?;
                        (
                            Arc::new(store),
                            prefix,
                            location.trim_end_matches('/').to_owned(),
                        )
                    }
                    other => {
                        return Err(OpenError::Scheme {
                            got: other.to_owned(),
                        });
                    }
                }
            } else {
                let (store, shown) = local(std::path::Path::new(location))?;
                (store, Path::default(), shown)
            };
        Ok(Self {
            store,
            prefix,
            shown,
            runtime: Arc::new(runtime),
        })
    }

    /// Where the folder is, for messages (`s3://bucket/prefix` or the local path).
    pub fn url(&self) -> &str {
        &self.shown
    }

    fn object(&self, key: &str) -> Result<Path, Error> {
        check_key(key)?;
        let mut p = self.prefix.clone();
        for part in key.split('/') {
            p = p.join(part);
        }
        Ok(p)
    }

    /// Runs `fut` on this store's runtime and waits for it. Spawning (not `block_on`) lets a
    /// caller that is itself inside a runtime's thread wait here without a nested runtime.
    fn wait<T: Send + 'static>(
        &self,
        fut: impl Future<Output = object_store::Result<T>> + Send + 'static,
    ) -> object_store::Result<T> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().unwrap_or_else(|_| {
            Err(object_store::Error::Generic {
                store: "custodia-objstore",
                source: "the store's runtime stopped".into(),
            })
        })
    }

    fn keys_under(&self, dir: Path, out: &mut Vec<String>) -> Result<(), Error> {
        let store = self.store.clone();
        let at = dir.clone();
        let listed = self
            .wait(async move { store.list_with_delimiter(Some(&at)).await })
            .map_err(|e| Error::storage("listing", self.location_of(&dir), to_io(e)))?;
        for meta in listed.objects {
            if let Some(key) = self.key_of(&meta.location) {
                out.push(key);
            }
        }
        for sub in listed.common_prefixes {
            self.keys_under(sub, out)?;
        }
        Ok(())
    }

    fn key_of(&self, p: &Path) -> Option<String> {
        let parts: Vec<String> = p
            .prefix_match(&self.prefix)?
            .map(|s| s.as_ref().to_owned())
            .collect();
        (!parts.is_empty()).then(|| parts.join("/"))
    }

    fn location_of(&self, p: &Path) -> String {
        match self.key_of(p) {
            Some(key) => self.location(&key),
            None => self.shown.clone(),
        }
    }
}

/// HTTPS to S3 goes through reqwest's rustls without a built-in crypto provider (its default
/// would build aws-lc); rustls' ring provider becomes the process default once. Another
/// default installed first (by another part of the binary) is kept: either serves TLS.
fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // rustls 0.23.48 deprecates ring's provider only because ring has no post-quantum key
        // exchange; the one that has it (aws-lc-rs) is the C build this crate avoids.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let _ = provider.install_default();
    });
}

fn local(path: &std::path::Path) -> Result<(Arc<dyn ObjectStore>, String), OpenError> {
    std::fs::create_dir_all(path).map_err(|source| OpenError::Folder {
        path: path.display().to_string(),
        source,
    })?;
    let store = LocalFileSystem::new_with_prefix(path).map_err(|e| OpenError::Config {
        url: path.display().to_string(),
        reason: e.to_string(),
    })?;
    Ok((Arc::new(store), path.display().to_string()))
}

/// The store's error as the round crate's storage cause: a missing object keeps
/// [`io::ErrorKind::NotFound`] so it becomes [`Error::NotFound`].
fn to_io(e: object_store::Error) -> io::Error {
    let kind = match e {
        object_store::Error::NotFound { .. } => io::ErrorKind::NotFound,
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => io::ErrorKind::PermissionDenied,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, e.to_string())
}

fn too_large(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!("larger than {limit} bytes"),
    )
}

impl Blobs for ObjectBlobs {
    fn get(&self, key: &str) -> Result<Vec<u8>, Error> {
        let p = self.object(key)?;
        let store = self.store.clone();
        self.wait(async move { store.get(&p).await?.bytes().await })
            .map(|b| b.to_vec())
            .map_err(|e| Error::storage("reading", self.location(key), to_io(e)))
    }

    fn get_limited(&self, key: &str, limit: u64) -> Result<Vec<u8>, Error> {
        // The size first: a hostile folder's huge object is refused without downloading it.
        let p = self.object(key)?;
        let store = self.store.clone();
        let head = p.clone();
        let meta = self
            .wait(async move { store.head(&head).await })
            .map_err(|e| Error::storage("reading", self.location(key), to_io(e)))?;
        if meta.size > limit {
            return Err(Error::storage(
                "reading",
                self.location(key),
                too_large(limit),
            ));
        }
        let bytes = self.get(key)?;
        if bytes.len() as u64 > limit {
            return Err(Error::storage(
                "reading",
                self.location(key),
                too_large(limit),
            ));
        }
        Ok(bytes)
    }

    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), Error> {
        let p = self.object(key)?;
        let store = self.store.clone();
        let payload = PutPayload::from(bytes.to_vec());
        self.wait(async move { store.put(&p, payload).await })
            .map(|_| ())
            .map_err(|e| Error::storage("writing", self.location(key), to_io(e)))
    }

    fn exists(&self, key: &str) -> Result<bool, Error> {
        let p = self.object(key)?;
        let store = self.store.clone();
        match self.wait(async move { store.head(&p).await }) {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(Error::storage("reading", self.location(key), to_io(e))),
        }
    }

    fn delete(&self, key: &str) -> Result<(), Error> {
        let p = self.object(key)?;
        let store = self.store.clone();
        match self.wait(async move { store.delete(&p).await }) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(Error::storage("deleting", self.location(key), to_io(e))),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let prefix = prefix.trim_end_matches('/');
        let dir = if prefix.is_empty() {
            self.prefix.clone()
        } else {
            self.object(prefix)?
        };
        let mut keys = Vec::new();
        self.keys_under(dir, &mut keys)?;
        keys.sort();
        Ok(keys)
    }

    fn location(&self, key: &str) -> String {
        if key.is_empty() {
            self.shown.clone()
        } else {
            format!("{}/{key}", self.shown)
        }
    }

    fn is_empty(&self) -> Result<bool, Error> {
        Ok(self.list("")?.is_empty())
    }

    fn publish_folder(
        &self,
        _write: &mut dyn FnMut(&dyn Blobs) -> Result<(), Error>,
    ) -> Result<(), Error> {
        Err(Error::storage(
            "publishing",
            self.shown.clone(),
            io::Error::new(
                io::ErrorKind::Unsupported,
                "an object store cannot replace a whole folder at once; publish from a local copy",
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_folder_round_trips_objects() {
        let dir = tempfile::tempdir().unwrap();
        let b = ObjectBlobs::open(dir.path().to_str().unwrap()).unwrap();
        assert!(b.is_empty().unwrap());
        b.put("proofs/batch-00000.json", b"{}").unwrap();
        b.put("round.json", b"manifest").unwrap();
        assert_eq!(b.get("round.json").unwrap(), b"manifest");
        assert!(b.exists("round.json").unwrap());
        assert!(!b.exists("nope.json").unwrap());
        assert_eq!(
            b.list("").unwrap(),
            ["proofs/batch-00000.json", "round.json"]
        );
        assert_eq!(b.list("proofs").unwrap(), ["proofs/batch-00000.json"]);
        assert!(b.list("private").unwrap().is_empty());
        // The same folder through the filesystem adapter: one layout, two readers.
        let fs = custodia_round::FsBlobs::new(dir.path());
        assert_eq!(fs.get("proofs/batch-00000.json").unwrap(), b"{}");
    }

    #[test]
    fn missing_and_oversized_objects_are_refused_specifically() {
        let dir = tempfile::tempdir().unwrap();
        let b = ObjectBlobs::open(&format!("file://{}", dir.path().display())).unwrap();
        assert!(matches!(b.get("round.json"), Err(Error::NotFound { .. })));
        b.put("big", &[7u8; 100]).unwrap();
        assert_eq!(b.get_limited("big", 100).unwrap().len(), 100);
        let e = b.get_limited("big", 99).unwrap_err();
        assert!(e.located_cause().contains("larger than 99 bytes"), "{e}");
        assert!(matches!(b.get("../escape"), Err(Error::BadKey { .. })));
        assert!(b.publish_folder(&mut |_| Ok(())).is_err());
    }

    #[test]
    fn bad_locations_are_refused_before_any_request() {
        for (url, want) in [
            ("", "not a store location"),
            ("ftp://host/x", "scheme `ftp`"),
            ("s3:///prefix", "no bucket"),
            ("file://relative", "not an absolute file path"),
        ] {
            let e = ObjectBlobs::open(url).unwrap_err().to_string();
            assert!(e.contains(want), "{url}: {e}");
        }
    }
}
