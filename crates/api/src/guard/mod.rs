//! Threat intelligence over HTTP: the `custodia-guard` service in the app state, its lists in
//! the store, its routes (`routes.rs`), wire types (`wire.rs`), configuration (`config.rs`) and
//! OpenAPI stubs (`doc.rs`).
//!
//! The lists live in the store (`custodia_store::GuardRepo`); the service holds an immutable
//! [`GuardService`] behind an `Arc` that request handlers clone. An import writes the list and
//! its `guard.list_imported` event in one transaction, then rebuilds the service from the store
//! and swaps it in, so what is served is always what a restart would load. Imports and
//! snapshot publications are serialised; checks never wait for them.

mod config;
mod doc;
mod routes;
mod wire;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use axum::body::Bytes;
use axum::http::StatusCode;
use custodia_guard::{
    AddressEntry, DomainChecker, DomainEntry, EventPolicy, GuardError, GuardEvent, GuardService,
    ListImported, ListKind, PoisoningConfig, Snapshot, SnapshotData, kinds,
};
use custodia_store::{GuardLists, GuardReplace, StoreError, StoredSnapshot};
use serde_json::json;
use sha2::{Digest as _, Sha256};

pub use self::config::{BrandConfig, GuardConfig, PoisoningSection, PolicyConfig};
pub(crate) use self::doc::GuardDoc;
pub(crate) use self::routes::routes;
use crate::error::ApiError;
use crate::state::{App, Repos, event};

/// Deltas kept in memory (each is computed once per (from, to) pair).
const DELTA_CACHE: usize = 8;

/// A file as served: its bytes and strong `ETag` (quoted hex SHA-256 of the bytes).
pub(crate) struct Encoded {
    pub bytes: Bytes,
    pub etag: String,
}

impl Encoded {
    fn new(bytes: Vec<u8>) -> Self {
        let etag = format!("\"{}\"", hex::encode(Sha256::digest(&bytes)));
        Self {
            bytes: Bytes::from(bytes),
            etag,
        }
    }

    /// The hex SHA-256 without quotes.
    pub fn sha256_hex(&self) -> &str {
        self.etag.trim_matches('"')
    }
}

/// The latest published snapshot.
pub(crate) struct Published {
    pub version: u64,
    pub snapshot: Arc<Snapshot>,
    pub file: Encoded,
}

/// A delta between two published versions.
pub(crate) struct Delta {
    pub from: u64,
    pub to: u64,
    pub file: Encoded,
}

/// The guard's part of the app state.
pub(crate) struct GuardState {
    pub cfg: GuardConfig,
    /// Brands and policy compiled once; lists are added to a clone on every rebuild.
    template: DomainChecker,
    poisoning: PoisoningConfig,
    events: EventPolicy,
    current: RwLock<Arc<GuardService>>,
    published: RwLock<Option<Arc<Published>>>,
    deltas: Mutex<VecDeque<Arc<Delta>>>,
    /// Serialises imports and publications (the store write and the swap that follows).
    writes: tokio::sync::Mutex<()>,
}

impl GuardState {
    pub fn new(cfg: &GuardConfig) -> Self {
        let template = cfg
            .checker()
            .unwrap_or_else(|e| panic!("invalid [guard] configuration: {e}"));
        let poisoning = cfg.poisoning_config();
        let events = EventPolicy {
            record_clean: cfg.record_clean,
        };
        let empty = GuardService {
            addresses: Arc::new(custodia_guard::AddressIndex::new()),
            domains: Arc::new(template.clone()),
            poisoning,
            snapshot: None,
            events,
        };
        Self {
            cfg: cfg.clone(),
            template,
            poisoning,
            events,
            current: RwLock::new(Arc::new(empty)),
            published: RwLock::new(None),
            deltas: Mutex::new(VecDeque::new()),
            writes: tokio::sync::Mutex::new(()),
        }
    }

    /// The service to answer one request with.
    pub fn current(&self) -> Arc<GuardService> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn swap(&self, svc: GuardService) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(svc);
    }

    pub fn published(&self) -> Option<Arc<Published>> {
        self.published
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_published(&self, p: Option<Arc<Published>>) {
        *self.published.write().unwrap_or_else(|e| e.into_inner()) = p;
        self.deltas
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    fn cached_delta(&self, from: u64, to: u64) -> Option<Arc<Delta>> {
        self.deltas
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|d| d.from == from && d.to == to)
            .cloned()
    }

    fn cache_delta(&self, d: Arc<Delta>) {
        let mut c = self.deltas.lock().unwrap_or_else(|e| e.into_inner());
        if c.len() >= DELTA_CACHE {
            c.pop_front();
        }
        c.push_back(d);
    }

    /// A service over `lists` with this state's brands, policy and thresholds.
    fn build(
        &self,
        lists: GuardLists,
        snapshot: Option<Arc<Snapshot>>,
    ) -> impl FnOnce() -> Result<GuardService, GuardError> + Send + 'static {
        let mut domains = self.template.clone();
        let (poisoning, events) = (self.poisoning, self.events);
        move || {
            let mut index = custodia_guard::AddressIndex::with_capacity(lists.addresses.len());
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
}

/// What [`App::reload_guard`] loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardLoaded {
    /// Distinct listed addresses.
    pub addresses: usize,
    /// Blocked hosts.
    pub blocked: usize,
    /// Allowed hosts.
    pub allowed: usize,
    /// Version of the latest published snapshot.
    pub snapshot_version: Option<u64>,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("guard worker failed: {e}")))
}

fn corrupt(table: &'static str, why: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table,
        why: why.to_string(),
    }
}

/// A list import, validated and ready to store.
pub(crate) struct ListWrite {
    /// The list's name.
    pub source: String,
    pub addresses: Option<Vec<AddressEntry>>,
    pub blocked: Option<Vec<DomainEntry>>,
    pub allowed: Option<Vec<DomainEntry>>,
    /// One event payload per part, `added` still empty (filled here against the current lists).
    pub events: Vec<ListImported>,
}

/// What a list write did.
pub(crate) struct ListWritten {
    pub events: Vec<ListImported>,
    pub seqs: Vec<u64>,
    pub removed: u64,
    pub inserted: u64,
    pub totals: wire::ListTotals,
}

impl<S: Repos> App<S> {
    pub(crate) fn guard(&self) -> &GuardState {
        &self.inner.guard
    }

    fn guard_gauges(&self, svc: &GuardService) -> wire::ListTotals {
        let t = wire::ListTotals {
            addresses: svc.addresses.len() as u64,
            blocked_domains: svc.domains.blocklist().len() as u64,
            allowed_domains: svc.domains.allowlist().len() as u64,
        };
        let g = &self.metrics().guard_list_entries;
        g.with_label_values(&["addresses"]).set(t.addresses as i64);
        g.with_label_values(&["blocked"])
            .set(t.blocked_domains as i64);
        g.with_label_values(&["allowed"])
            .set(t.allowed_domains as i64);
        t
    }

    /// Rebuilds the guard from the store (every list and the latest published snapshot) and
    /// swaps it in. [`crate::run`] calls it before serving; call it after changing the lists
    /// behind the service's back.
    pub async fn reload_guard(&self) -> Result<GuardLoaded, StoreError> {
        let _w = self.guard().writes.lock().await;
        let start = Instant::now();
        let lists = self.store().guard_lists().await?;
        let published = match self.store().latest_guard_snapshot().await? {
            None => None,
            Some(stored) => {
                let version = stored.version;
                let bytes = stored.bytes;
                let (snapshot, file) = tokio::task::spawn_blocking(move || {
                    Snapshot::from_bytes(&bytes).map(|s| (s, Encoded::new(bytes)))
                })
                .await
                .map_err(|e| corrupt("guard_snapshots", e))?
                .map_err(|e| corrupt("guard_snapshots", format!("version {version}: {e}")))?;
                Some(Arc::new(Published {
                    version,
                    snapshot: Arc::new(snapshot),
                    file,
                }))
            }
        };
        let build = self
            .guard()
            .build(lists, published.as_ref().map(|p| p.snapshot.clone()));
        let svc = tokio::task::spawn_blocking(build)
            .await
            .map_err(|e| corrupt("guard_address_entries", e))?
            .map_err(|e| corrupt("guard_address_entries", e))?;
        let loaded = GuardLoaded {
            addresses: svc.addresses.len(),
            blocked: svc.domains.blocklist().len(),
            allowed: svc.domains.allowlist().len(),
            snapshot_version: published.as_ref().map(|p| p.version),
        };
        self.guard_gauges(&svc);
        self.metrics()
            .guard_snapshot_version
            .set(loaded.snapshot_version.unwrap_or(0) as i64);
        self.guard().swap(svc);
        self.guard().set_published(published);
        tracing::info!(
            addresses = loaded.addresses,
            blocked = loaded.blocked,
            allowed = loaded.allowed,
            snapshot = loaded.snapshot_version,
            seconds = start.elapsed().as_secs_f64(),
            "guard lists loaded"
        );
        Ok(loaded)
    }

    /// Stores one list import (its rows and events in one transaction), then rebuilds the
    /// service from the store and swaps it in.
    pub(crate) async fn write_guard_list(
        &self,
        actor: &str,
        mut w: ListWrite,
    ) -> Result<ListWritten, ApiError> {
        let _w = self.guard().writes.lock().await;
        let now = self.now();
        // `added`: entries not listed before this import (against what is loaded now, which is
        // what the store holds: both change only under this lock).
        let svc = self.guard().current();
        for ev in &mut w.events {
            // The entries travel to a blocking thread and back (no copy of a million entries).
            ev.added = match ev.kind {
                ListKind::Addresses => {
                    let entries = w.addresses.take().unwrap_or_default();
                    let idx = svc.addresses.clone();
                    let (added, entries) = blocking(move || {
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
                    })
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
                    let (added, entries) = blocking(move || {
                        let mut added: BTreeMap<_, u64> = BTreeMap::new();
                        for e in &entries {
                            if list.insert(e)? {
                                *added.entry(e.category).or_default() += 1;
                            }
                        }
                        Ok::<_, GuardError>((added, entries))
                    })
                    .await?
                    .map_err(|e| ApiError::internal(e.to_string()))?;
                    *slot = Some(entries);
                    added
                }
            };
        }
        let events = w
            .events
            .iter()
            .map(|ev| {
                let ge = GuardEvent::ListImported(ev.clone());
                event(
                    now,
                    ge.kind(),
                    actor,
                    &format!("guard_list:{}", w.source),
                    ge.payload(),
                )
            })
            .collect();
        let t_store = Instant::now();
        let replaced = self
            .store()
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
        let lists = self.store().guard_lists().await?;
        let read_s = t_read.elapsed().as_secs_f64();
        let t_build = Instant::now();
        let build = self
            .guard()
            .build(lists, self.guard().current().snapshot.clone());
        let svc = blocking(build)
            .await?
            .map_err(|e| ApiError::internal(format!("rebuilding the guard: {e}")))?;
        let totals = self.guard_gauges(&svc);
        self.guard().swap(svc);
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
    pub(crate) async fn publish_guard_snapshot(
        &self,
        actor: &str,
    ) -> Result<Arc<Published>, ApiError> {
        let _w = self.guard().writes.lock().await;
        let latest = self
            .store()
            .latest_guard_snapshot()
            .await?
            .map_or(0, |s| s.version);
        let version = latest + 1;
        let now = self.now();
        let created = u64::try_from(now.as_secs()).unwrap_or(0);
        let svc = self.guard().current();
        let src = svc.clone();
        let (snapshot, bytes) = blocking(move || -> Result<_, GuardError> {
            let data = SnapshotData {
                addresses: src.addresses.entries().collect(),
                blocked: src.domains.blocklist().entries().collect(),
                allowed: src.domains.allowlist().entries().collect(),
                brands: src.domains.brands().to_vec(),
            };
            let s = Snapshot::build(&data, version, created)?;
            let b = s.to_bytes();
            Ok((s, b))
        })
        .await?
        .map_err(|e| ApiError::internal(format!("building the snapshot: {e}")))?;
        let counts = snapshot.counts();
        let stored = StoredSnapshot {
            version,
            created,
            sha256: Sha256::digest(&bytes).into(),
            bytes,
            published_at: now,
        };
        let payload = json!({
            "version": version,
            "created": created,
            "sha256": hex::encode(stored.sha256),
            "bytes": stored.bytes.len(),
            "content_hash": snapshot.hash_hex(),
            "counts": {
                "sources": counts.sources, "labels": counts.labels, "addresses": counts.addresses,
                "blocked": counts.blocked, "allowed": counts.allowed,
            },
        });
        self.store()
            .put_guard_snapshot(
                &stored,
                self.guard().cfg.snapshots_kept,
                event(
                    now,
                    kinds::SNAPSHOT_PUBLISHED,
                    actor,
                    &format!("guard_snapshot:{version}"),
                    payload,
                ),
            )
            .await?;
        let snapshot = Arc::new(snapshot);
        let published = Arc::new(Published {
            version,
            snapshot: snapshot.clone(),
            file: Encoded::new(stored.bytes),
        });
        let mut next = (*svc).clone();
        next.snapshot = Some(snapshot);
        self.guard().swap(next);
        self.guard().set_published(Some(published.clone()));
        self.metrics().guard_snapshot_version.set(version as i64);
        Ok(published)
    }

    /// The delta from stored version `from` to the latest published snapshot.
    pub(crate) async fn guard_delta(&self, from: u64) -> Result<Arc<Delta>, ApiError> {
        let latest = self.guard().published().ok_or_else(no_snapshot)?;
        let unknown =
            |why: String| ApiError::new(StatusCode::NOT_FOUND, "unknown_snapshot_version", why);
        if from > latest.version {
            return Err(unknown(format!(
                "snapshot version {from} does not exist: the latest published version is {}",
                latest.version
            )));
        }
        if let Some(d) = self.guard().cached_delta(from, latest.version) {
            return Ok(d);
        }
        let base = if from == latest.version {
            latest.snapshot.clone()
        } else {
            let stored = self.store().guard_snapshot(from).await?.ok_or_else(|| {
                unknown(format!(
                    "snapshot version {from} is not stored (the service keeps the newest {}): \
                     download the full snapshot from /v1/guard/snapshot (version {})",
                    self.guard().cfg.snapshots_kept,
                    latest.version
                ))
            })?;
            Arc::new(
                blocking(move || Snapshot::from_bytes(&stored.bytes))
                    .await?
                    .map_err(|e| {
                        ApiError::internal(format!("stored snapshot {from} does not verify: {e}"))
                    })?,
            )
        };
        let newer = latest.snapshot.clone();
        let bytes = blocking(move || base.diff(&newer).to_bytes()).await?;
        let d = Arc::new(Delta {
            from,
            to: latest.version,
            file: Encoded::new(bytes),
        });
        self.guard().cache_delta(d.clone());
        Ok(d)
    }
}

pub(crate) fn no_snapshot() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_snapshot",
        "no snapshot has been published yet (POST /v1/admin/guard/snapshots)",
    )
}
