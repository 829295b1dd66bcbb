//! The guard's lists as a service holds them: what every check reads ([`Catalog`]: the current
//! [`GuardService`] and the latest published snapshot, each swapped whole), and the use cases
//! that change them ([`CatalogWriter`]: load from storage, import a list, publish a snapshot).
//!
//! The lists live in storage ([`GuardRepo`]). An import writes its rows and its
//! `guard.list_imported` events in one transaction, then rebuilds the service from storage and
//! swaps it in, so what is served is always what a restart would load. Writes take
//! `&mut CatalogWriter`, so whoever holds the writer serialises them; checks never wait for
//! them. Heavy work (a million-entry index) runs on the caller's [`Offload`].

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use custodia_events::{Clock, NewEvent, Offload, Offloaded, RepoError};
use sha2::{Digest as _, Sha256};
use thiserror::Error;

use crate::events::{SnapshotPublished, SnapshotSections};
use crate::ports::{GuardLists, GuardReplace, GuardRepo, StoredSnapshot};
use crate::{
    AddressEntry, AddressIndex, CompactSnapshot, DomainChecker, DomainEntry, EventPolicy,
    GuardError, GuardEvent, GuardService, ListImported, ListKind, PoisoningConfig, Snapshot,
    SnapshotData,
};

/// Deltas kept in memory per format, at least (each is computed once per (from, to) pair); the
/// cache holds one per stored version when more are kept, so cycling through the stored versions
/// never recomputes.
const DELTA_CACHE: usize = 8;

/// Why a catalog operation failed.
#[derive(Debug, Error)]
pub enum CatalogError {
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Background work did not complete.
    #[error(transparent)]
    Offload(#[from] Offloaded),
    /// The lists could not be indexed or the snapshot built.
    #[error("{what}: {source}")]
    Build {
        /// What was being built.
        what: &'static str,
        /// Why it failed.
        source: GuardError,
    },
    /// No snapshot has been published yet.
    #[error("no snapshot has been published yet")]
    NoSnapshot,
    /// A delta was asked from a version newer than the latest.
    #[error("snapshot version {from} does not exist: the latest published version is {latest}")]
    UnknownVersion {
        /// The version asked for.
        from: u64,
        /// The latest published version.
        latest: u64,
    },
    /// A delta was asked from a version no longer stored.
    #[error(
        "snapshot version {from} is not stored (the service keeps the newest {kept}): \
         download the full snapshot (version {latest})"
    )]
    NotStored {
        /// The version asked for.
        from: u64,
        /// How many versions are kept.
        kept: u32,
        /// The latest published version.
        latest: u64,
    },
}

/// A file as served: its bytes and SHA-256.
#[derive(Debug, Clone)]
pub struct ServedFile {
    /// The bytes.
    pub bytes: Arc<[u8]>,
    /// SHA-256 of the bytes.
    pub sha256: [u8; 32],
}

impl ServedFile {
    /// The file and its SHA-256.
    pub fn new(bytes: Vec<u8>) -> Self {
        let sha256 = Sha256::digest(&bytes).into();
        Self {
            bytes: bytes.into(),
            sha256,
        }
    }
}

/// The latest published snapshot.
#[derive(Debug)]
pub struct Published {
    /// Data version.
    pub version: u64,
    /// The decoded snapshot.
    pub snapshot: Arc<Snapshot>,
    /// The file wallets download.
    pub file: ServedFile,
}

/// A delta between two published versions.
#[derive(Debug)]
pub struct Delta {
    /// Base version.
    pub from: u64,
    /// Target version (the latest).
    pub to: u64,
    /// Which snapshot format it turns `from` into `to` in.
    pub format: DeltaFormat,
    /// The delta file.
    pub file: ServedFile,
}

/// The two snapshot formats a delta can be computed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeltaFormat {
    /// [`crate::SnapshotDelta`], over the full snapshot (wallets, other services).
    Full,
    /// [`crate::CompactDelta`], over the compact snapshot (browser extensions).
    Compact,
}

/// Entries loaded, by list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListTotals {
    /// Distinct listed addresses.
    pub addresses: u64,
    /// Blocked hosts.
    pub blocked: u64,
    /// Allowed hosts.
    pub allowed: u64,
}

impl ListTotals {
    /// The totals of a service.
    pub fn of(svc: &GuardService) -> ListTotals {
        ListTotals {
            addresses: svc.addresses.len() as u64,
            blocked: svc.domains.blocklist().len() as u64,
            allowed: svc.domains.allowlist().len() as u64,
        }
    }
}

/// What [`CatalogWriter::reload`] loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    /// Entries by list.
    pub totals: ListTotals,
    /// Version of the latest published snapshot.
    pub snapshot_version: Option<u64>,
}

/// A list import, validated and ready to store.
#[derive(Debug)]
pub struct ListWrite {
    /// The list's name (owner of its rows).
    pub source: String,
    /// Listed addresses, when this import replaces them.
    pub addresses: Option<Vec<AddressEntry>>,
    /// Blocked hosts, when this import replaces them.
    pub blocked: Option<Vec<DomainEntry>>,
    /// Allowed hosts, when this import replaces them.
    pub allowed: Option<Vec<DomainEntry>>,
    /// One event payload per part, `added` still empty (filled against the current lists).
    pub events: Vec<ListImported>,
}

/// What a list write did.
#[derive(Debug)]
pub struct ListWritten {
    /// The events recorded, `added` filled.
    pub events: Vec<ListImported>,
    /// Their seqs in the log.
    pub seqs: Vec<u64>,
    /// Rows removed.
    pub removed: u64,
    /// Rows inserted.
    pub inserted: u64,
    /// Entries loaded after the import.
    pub totals: ListTotals,
}

/// What every check reads. Share it behind an `Arc`.
pub struct Catalog {
    /// Brands and policy compiled once; lists are added to a clone on every rebuild.
    template: DomainChecker,
    poisoning: PoisoningConfig,
    events: EventPolicy,
    snapshots_kept: u32,
    current: RwLock<Arc<GuardService>>,
    published: RwLock<Option<Arc<Published>>>,
    deltas: Mutex<VecDeque<Arc<Delta>>>,
    /// The latest snapshot's compact form, once a compact delta needed it.
    latest_compact: Mutex<Option<Arc<CompactSnapshot>>>,
}

fn read<T: Clone>(l: &RwLock<T>) -> T {
    l.read().unwrap_or_else(|e| e.into_inner()).clone()
}

fn write<T>(l: &RwLock<T>, v: T) {
    *l.write().unwrap_or_else(|e| e.into_inner()) = v;
}

impl Catalog {
    /// An empty catalog: brands and policy from `template`, no lists, no snapshot.
    pub fn new(
        template: DomainChecker,
        poisoning: PoisoningConfig,
        events: EventPolicy,
        snapshots_kept: u32,
    ) -> Self {
        let empty = GuardService {
            addresses: Arc::new(AddressIndex::new()),
            domains: Arc::new(template.clone()),
            poisoning,
            snapshot: None,
            events,
        };
        Self {
            template,
            poisoning,
            events,
            snapshots_kept,
            current: RwLock::new(Arc::new(empty)),
            published: RwLock::new(None),
            deltas: Mutex::new(VecDeque::new()),
            latest_compact: Mutex::new(None),
        }
    }

    /// The service to answer one request with.
    pub fn current(&self) -> Arc<GuardService> {
        read(&self.current)
    }

    /// The latest published snapshot.
    pub fn published(&self) -> Option<Arc<Published>> {
        read(&self.published)
    }

    /// How many published versions storage keeps.
    pub fn snapshots_kept(&self) -> u32 {
        self.snapshots_kept
    }

    fn set_published(&self, p: Option<Arc<Published>>) {
        write(&self.published, p);
        self.deltas
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        *self
            .latest_compact
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// A service over `lists` with this catalog's brands, policy and thresholds.
    fn build(
        &self,
        lists: GuardLists,
        snapshot: Option<Arc<Snapshot>>,
    ) -> impl FnOnce() -> Result<GuardService, GuardError> + Send + 'static {
        let mut domains = self.template.clone();
        let (poisoning, events) = (self.poisoning, self.events);
        move || {
            let mut index = AddressIndex::with_capacity(lists.addresses.len());
            index.extend(&lists.addresses)?;
            domains.blocklist_mut().extend(&lists.blocked)?;
            domains.allowlist_mut().extend(&lists.allowed)?;
            Ok(GuardService {
                addresses: Arc::new(index),
                domains: Arc::new(domains),
                poisoning,
                snapshot,
                events,
            })
        }
    }

    /// The delta from stored version `from` to the latest published snapshot (cached).
    pub async fn delta<R: GuardRepo>(
        &self,
        repo: &R,
        offload: &impl Offload,
        from: u64,
    ) -> Result<Arc<Delta>, CatalogError> {
        self.delta_as(repo, offload, from, DeltaFormat::Full).await
    }

    /// The delta between the compact forms of stored version `from` and of the latest
    /// published snapshot (cached): what a browser extension holding version `from` downloads
    /// instead of the whole compact file. Computing one reads and decodes the stored version:
    /// a caller serving it to the public should let one computation run at a time, so that
    /// concurrent requests for the same delta wait for the cache instead of repeating it.
    pub async fn compact_delta<R: GuardRepo>(
        &self,
        repo: &R,
        offload: &impl Offload,
        from: u64,
    ) -> Result<Arc<Delta>, CatalogError> {
        self.delta_as(repo, offload, from, DeltaFormat::Compact)
            .await
    }

    /// The latest published snapshot's compact form (what browser extensions download), built
    /// once per version off the async threads.
    pub async fn latest_compact(
        &self,
        offload: &impl Offload,
    ) -> Result<Arc<CompactSnapshot>, CatalogError> {
        let latest = self.published().ok_or(CatalogError::NoSnapshot)?;
        self.compact_of(&latest, offload).await
    }

    /// `p`'s compact form: the cached one when it is `p`'s, else built (and cached while `p` is
    /// still the latest).
    async fn compact_of(
        &self,
        p: &Published,
        offload: &impl Offload,
    ) -> Result<Arc<CompactSnapshot>, CatalogError> {
        let slot = || {
            self.latest_compact
                .lock()
                .unwrap_or_else(|e| e.into_inner())
        };
        if let Some(c) = slot().clone().filter(|c| c.version() == p.version) {
            return Ok(c);
        }
        let snap = p.snapshot.clone();
        let c = Arc::new(
            offload
                .run(Box::new(move || CompactSnapshot::from_snapshot(&snap)))
                .await?,
        );
        if self.published().map(|l| l.version) == Some(p.version) {
            *slot() = Some(c.clone());
        }
        Ok(c)
    }

    async fn delta_as<R: GuardRepo>(
        &self,
        repo: &R,
        offload: &impl Offload,
        from: u64,
        format: DeltaFormat,
    ) -> Result<Arc<Delta>, CatalogError> {
        let latest = self.published().ok_or(CatalogError::NoSnapshot)?;
        if from > latest.version {
            return Err(CatalogError::UnknownVersion {
                from,
                latest: latest.version,
            });
        }
        if let Some(d) = self
            .deltas
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|d| d.from == from && d.to == latest.version && d.format == format)
        {
            return Ok(d.clone());
        }
        let base = if from == latest.version {
            latest.snapshot.clone()
        } else {
            let stored = repo
                .guard_snapshot(from)
                .await?
                .ok_or(CatalogError::NotStored {
                    from,
                    kept: self.snapshots_kept,
                    latest: latest.version,
                })?;
            let base = offload
                .run(Box::new(move || Snapshot::from_bytes(&stored.bytes)))
                .await?
                .map_err(|e| {
                    RepoError::corrupt("guard_snapshots", format!("version {from}: {e}"))
                })?;
            Arc::new(base)
        };
        let bytes = match format {
            DeltaFormat::Full => {
                let newer = latest.snapshot.clone();
                offload
                    .run(Box::new(move || base.diff(&newer).to_bytes()))
                    .await?
            }
            DeltaFormat::Compact => {
                let newer = self.compact_of(&latest, offload).await?;
                offload
                    .run(Box::new(move || {
                        CompactSnapshot::from_snapshot(&base)
                            .diff(&newer)
                            .to_bytes()
                    }))
                    .await?
            }
        };
        let d = Arc::new(Delta {
            from,
            to: latest.version,
            format,
            file: ServedFile::new(bytes),
        });
        let mut c = self.deltas.lock().unwrap_or_else(|e| e.into_inner());
        let cap = 2 * DELTA_CACHE.max(self.snapshots_kept as usize);
        if c.len() >= cap {
            c.pop_front();
        }
        c.push_back(d.clone());
        Ok(d)
    }
}

/// The use cases that change the catalog. `&mut self` serialises them.
pub struct CatalogWriter<R> {
    repo: R,
    catalog: Arc<Catalog>,
    clock: Arc<dyn Clock>,
}

impl<R: GuardRepo> CatalogWriter<R> {
    /// A writer for `catalog` over `repo`.
    pub fn new(repo: R, catalog: Arc<Catalog>, clock: Arc<dyn Clock>) -> Self {
        Self {
            repo,
            catalog,
            clock,
        }
    }

    /// Rebuilds the catalog from storage (every list and the latest published snapshot) and
    /// swaps it in. Call it before serving, and after changing the lists behind its back.
    pub async fn reload(&mut self, offload: &impl Offload) -> Result<Loaded, CatalogError> {
        let start = Instant::now();
        let lists = self.repo.guard_lists().await?;
        let published = match self.repo.latest_guard_snapshot().await? {
            None => None,
            Some(stored) => {
                let version = stored.version;
                let bytes = stored.bytes;
                let (snapshot, file) = offload
                    .run(Box::new(move || {
                        Snapshot::from_bytes(&bytes).map(|s| (s, ServedFile::new(bytes)))
                    }))
                    .await?
                    .map_err(|e| {
                        RepoError::corrupt("guard_snapshots", format!("version {version}: {e}"))
                    })?;
                Some(Arc::new(Published {
                    version,
                    snapshot: Arc::new(snapshot),
                    file,
                }))
            }
        };
        let build = self
            .catalog
            .build(lists, published.as_ref().map(|p| p.snapshot.clone()));
        let svc = offload
            .run(Box::new(build))
            .await?
            .map_err(|e| RepoError::corrupt("guard_address_entries", e))?;
        let loaded = Loaded {
            totals: ListTotals::of(&svc),
            snapshot_version: published.as_ref().map(|p| p.version),
        };
        write(&self.catalog.current, Arc::new(svc));
        self.catalog.set_published(published);
        tracing::info!(
            addresses = loaded.totals.addresses,
            blocked = loaded.totals.blocked,
            allowed = loaded.totals.allowed,
            snapshot = loaded.snapshot_version,
            seconds = start.elapsed().as_secs_f64(),
            "guard lists loaded"
        );
        Ok(loaded)
    }

    /// Stores one list import (its rows and events in one transaction), then rebuilds the
    /// service from storage and swaps it in.
    pub async fn write_list(
        &mut self,
        offload: &impl Offload,
        actor: &str,
        mut w: ListWrite,
    ) -> Result<ListWritten, CatalogError> {
        let now = self.clock.now();
        // `added`: entries not listed before this import, against what is loaded now (which is
        // what storage holds: both change only through this writer).
        let svc = self.catalog.current();
        for ev in &mut w.events {
            // The entries travel to the worker and back (no copy of a million entries).
            ev.added = match ev.kind {
                ListKind::Addresses => {
                    let entries = w.addresses.take().unwrap_or_default();
                    let idx = svc.addresses.clone();
                    let (added, entries) = offload
                        .run(Box::new(move || {
                            let mut added: BTreeMap<_, u64> = BTreeMap::new();
                            for e in &entries {
                                if !idx
                                    .lookup(&e.address)
                                    .iter()
                                    .any(|h| h.category == e.category)
                                {
                                    *added.entry(e.category).or_default() += 1;
                                }
                            }
                            (added, entries)
                        }))
                        .await?;
                    w.addresses = Some(entries);
                    added
                }
                kind @ (ListKind::BlockedDomains | ListKind::AllowedDomains) => {
                    let blocked = kind == ListKind::BlockedDomains;
                    let slot = if blocked {
                        &mut w.blocked
                    } else {
                        &mut w.allowed
                    };
                    let entries = slot.take().unwrap_or_default();
                    let mut list = if blocked {
                        svc.domains.blocklist().clone()
                    } else {
                        svc.domains.allowlist().clone()
                    };
                    let (added, entries) = offload
                        .run(Box::new(move || {
                            let mut added: BTreeMap<_, u64> = BTreeMap::new();
                            for e in &entries {
                                if list.insert(e)? {
                                    *added.entry(e.category).or_default() += 1;
                                }
                            }
                            Ok::<_, GuardError>((added, entries))
                        }))
                        .await?
                        .map_err(|source| CatalogError::Build {
                            what: "counting new hosts",
                            source,
                        })?;
                    *slot = Some(entries);
                    added
                }
            };
        }
        let subject = format!("guard_list:{}", w.source);
        let events: Vec<NewEvent> = w
            .events
            .iter()
            .map(|ev| GuardEvent::ListImported(ev.clone()).to_event(now, actor, &subject))
            .collect();
        let t_store = Instant::now();
        let replaced = self
            .repo
            .replace_guard_list(
                GuardReplace {
                    list_source: &w.source,
                    addresses: w.addresses.as_deref(),
                    blocked: w.blocked.as_deref(),
                    allowed: w.allowed.as_deref(),
                    at: now,
                },
                events,
            )
            .await?;
        drop((w.addresses, w.blocked, w.allowed, svc));
        let store_s = t_store.elapsed().as_secs_f64();
        let t_read = Instant::now();
        let lists = self.repo.guard_lists().await?;
        let read_s = t_read.elapsed().as_secs_f64();
        let t_build = Instant::now();
        let build = self
            .catalog
            .build(lists, self.catalog.current().snapshot.clone());
        let svc = offload
            .run(Box::new(build))
            .await?
            .map_err(|source| CatalogError::Build {
                what: "rebuilding the guard",
                source,
            })?;
        let totals = ListTotals::of(&svc);
        write(&self.catalog.current, Arc::new(svc));
        tracing::info!(
            source = %w.source,
            removed = replaced.removed,
            inserted = replaced.inserted,
            store_s,
            read_s,
            build_s = t_build.elapsed().as_secs_f64(),
            "guard list stored and service rebuilt"
        );
        Ok(ListWritten {
            seqs: replaced.events.iter().map(|e| e.seq).collect(),
            events: w.events,
            removed: replaced.removed,
            inserted: replaced.inserted,
            totals,
        })
    }

    /// Builds a snapshot of what is loaded now as the next version, stores it with its event,
    /// and serves it.
    pub async fn publish(
        &mut self,
        offload: &impl Offload,
        actor: &str,
    ) -> Result<Arc<Published>, CatalogError> {
        let latest = self
            .repo
            .latest_guard_snapshot()
            .await?
            .map_or(0, |s| s.version);
        let version = latest + 1;
        let now = self.clock.now();
        let created = u64::try_from(now.as_secs()).unwrap_or(0);
        let svc = self.catalog.current();
        let src = svc.clone();
        let (snapshot, bytes) = offload
            .run(Box::new(move || -> Result<_, GuardError> {
                let data = SnapshotData {
                    addresses: src.addresses.entries().collect(),
                    blocked: src.domains.blocklist().entries().collect(),
                    allowed: src.domains.allowlist().entries().collect(),
                    brands: src.domains.brands().to_vec(),
                };
                let s = Snapshot::build(&data, version, created)?;
                let b = s.to_bytes();
                Ok((s, b))
            }))
            .await?
            .map_err(|source| CatalogError::Build {
                what: "building the snapshot",
                source,
            })?;
        let counts = snapshot.counts();
        let stored = StoredSnapshot {
            version,
            created,
            sha256: Sha256::digest(&bytes).into(),
            bytes,
            published_at: now,
        };
        let payload = SnapshotPublished {
            version,
            created,
            sha256: hex::encode(stored.sha256),
            bytes: stored.bytes.len() as u64,
            content_hash: snapshot.hash_hex(),
            counts: SnapshotSections {
                sources: counts.sources.into(),
                labels: counts.labels.into(),
                addresses: counts.addresses.into(),
                blocked: counts.blocked.into(),
                allowed: counts.allowed.into(),
            },
        };
        self.repo
            .put_guard_snapshot(
                &stored,
                self.catalog.snapshots_kept,
                NewEvent::typed(now, actor, &format!("guard_snapshot:{version}"), &payload),
            )
            .await?;
        let snapshot = Arc::new(snapshot);
        let published = Arc::new(Published {
            version,
            snapshot: snapshot.clone(),
            file: ServedFile::new(stored.bytes),
        });
        let mut next = (*svc).clone();
        next.snapshot = Some(snapshot);
        write(&self.catalog.current, Arc::new(next));
        self.catalog.set_published(Some(published.clone()));
        Ok(published)
    }
}
