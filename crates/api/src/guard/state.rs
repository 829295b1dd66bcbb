//! The guard routes' state and the HTTP face of its failures.

use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::StatusCode;
use custodia_events::Offload as _;
use custodia_events::{Clock, EventReader};
use custodia_guard::{
    Catalog, CatalogError, CatalogWriter, Delta, EventPolicy, GuardRepo, ListWrite, ListWritten,
    Loaded, Published, ServedFile, SnapshotSigningKey,
};

use super::{GuardConfig, GuardMetrics};
use crate::auth::OperatorAuth;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::offload::Blocking;
use crate::record::Recorder;

/// The storage the guard's routes use: its lists, and the log its stats are folded from.
pub trait GuardStore: GuardRepo + EventReader + Clone + 'static {}
impl<T: GuardRepo + EventReader + Clone + 'static> GuardStore for T {}

/// What the guard routes need. Cheap to clone.
pub struct GuardState<S> {
    /// What checks read.
    pub catalog: Arc<Catalog>,
    /// Imports and publications, one at a time.
    pub writer: Arc<tokio::sync::Mutex<CatalogWriter<S>>>,
    /// Storage (deltas from older versions, stats).
    pub repo: S,
    /// Configuration.
    pub cfg: Arc<GuardConfig>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Alerts go here.
    pub recorder: Recorder,
    /// Where index rebuilds run.
    pub offload: Blocking,
    /// The guard's metrics.
    pub metrics: Arc<GuardMetrics>,
    /// Bearer-token checks.
    pub auth: OperatorAuth,
    /// The key published snapshots are signed with (`guard.signing_key_file`), if any.
    pub signer: Option<Arc<SnapshotSigningKey>>,
    /// The compact form of the latest snapshot and its signature, built once per version.
    compact: Arc<tokio::sync::Mutex<Option<Arc<CompactFiles>>>>,
    /// One compact-delta computation at a time: the route is public, and concurrent requests
    /// for one delta then wait for the cache instead of each decoding a stored snapshot.
    compact_delta_lane: Arc<tokio::sync::Mutex<()>>,
}

/// The extension's files for one published version.
#[derive(Debug)]
pub struct CompactFiles {
    /// The snapshot version they were made from.
    pub version: u64,
    /// The compact snapshot's own hash (hex; what `CompactSnapshot::hash` and the extension's
    /// `Guard.hash()` report).
    pub hash: String,
    /// The compact snapshot.
    pub file: ServedFile,
    /// Its detached signature.
    pub signature: ServedFile,
}

impl<S: Clone> Clone for GuardState<S> {
    fn clone(&self) -> Self {
        Self {
            catalog: self.catalog.clone(),
            writer: self.writer.clone(),
            repo: self.repo.clone(),
            cfg: self.cfg.clone(),
            clock: self.clock.clone(),
            recorder: self.recorder.clone(),
            offload: self.offload.clone(),
            metrics: self.metrics.clone(),
            auth: self.auth.clone(),
            signer: self.signer.clone(),
            compact: self.compact.clone(),
            compact_delta_lane: self.compact_delta_lane.clone(),
        }
    }
}

impl<S> FromRef<GuardState<S>> for OperatorAuth {
    fn from_ref(s: &GuardState<S>) -> Self {
        s.auth.clone()
    }
}

impl<S: GuardStore> GuardState<S> {
    /// The guard with no lists loaded: call [`GuardState::reload`] before serving.
    ///
    /// # Panics
    ///
    /// If `cfg` is invalid (`Config::load` and `Config::from_parts` validate it).
    pub fn new(
        repo: S,
        cfg: &GuardConfig,
        clock: Arc<dyn Clock>,
        recorder: Recorder,
        metrics: &Metrics,
        auth: OperatorAuth,
    ) -> Self {
        let template = cfg
            .checker()
            .unwrap_or_else(|e| panic!("invalid [guard] configuration: {e}"));
        let catalog = Arc::new(Catalog::new(
            template,
            cfg.poisoning_config(),
            EventPolicy {
                record_clean: cfg.record_clean,
            },
            cfg.snapshots_kept,
        ));
        let writer = CatalogWriter::new(repo.clone(), catalog.clone(), clock.clone());
        Self {
            catalog,
            writer: Arc::new(tokio::sync::Mutex::new(writer)),
            repo,
            cfg: Arc::new(cfg.clone()),
            clock,
            recorder,
            offload: Blocking::unlimited(),
            metrics: Arc::new(GuardMetrics::register(metrics)),
            auth,
            signer: None,
            compact: Arc::new(tokio::sync::Mutex::new(None)),
            compact_delta_lane: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Signs published snapshots with `key` from now on: the signature endpoints and the
    /// browser extension's files are served only with a key.
    pub fn set_signer(&mut self, key: SnapshotSigningKey) {
        self.signer = Some(Arc::new(key));
    }

    pub(super) fn signer(&self) -> Result<&SnapshotSigningKey, ApiError> {
        self.signer.as_deref().ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_signing_key",
                "snapshots are not signed here: set guard.signing_key_file \
                 (custodia guard keygen) and restart",
            )
        })
    }

    /// The compact snapshot of the latest version and its signature (built on first request
    /// per version, off the async threads).
    pub(super) async fn compact(&self) -> Result<Arc<CompactFiles>, ApiError> {
        self.signer()?;
        let key = self.signer.clone().expect("checked just above");
        let p = self.catalog.published().ok_or_else(no_snapshot)?;
        let mut cache = self.compact.lock().await;
        if let Some(c) = cache.as_ref().filter(|c| c.version == p.version) {
            return Ok(c.clone());
        }
        let c = self
            .catalog
            .latest_compact(&self.offload)
            .await
            .map_err(catalog_error)?;
        let files = self
            .offload
            .run(Box::new(move || CompactFiles {
                version: c.version(),
                hash: c.hash_hex(),
                signature: ServedFile::new(key.sign_compact(&c).to_bytes()),
                file: ServedFile::new(c.to_bytes()),
            }))
            .await
            .map_err(|e| ApiError::internal(format!("building the compact snapshot: {}", e.0)))?;
        let files = Arc::new(files);
        *cache = Some(files.clone());
        Ok(files)
    }

    /// Rebuilds the guard from storage (every list and the latest published snapshot) and
    /// swaps it in. Call it before serving, and after changing the lists behind the service's
    /// back.
    pub async fn reload(&self) -> Result<Loaded, CatalogError> {
        let loaded = self.writer.lock().await.reload(&self.offload).await?;
        self.metrics.set_totals(&loaded.totals);
        self.metrics
            .guard_snapshot_version
            .set(loaded.snapshot_version.unwrap_or(0) as i64);
        Ok(loaded)
    }

    pub(super) async fn write_list(
        &self,
        actor: &str,
        w: ListWrite,
    ) -> Result<ListWritten, ApiError> {
        let written = self
            .writer
            .lock()
            .await
            .write_list(&self.offload, actor, w)
            .await
            .map_err(catalog_error)?;
        self.metrics.set_totals(&written.totals);
        Ok(written)
    }

    pub(super) async fn publish(&self, actor: &str) -> Result<Arc<Published>, ApiError> {
        let p = self
            .writer
            .lock()
            .await
            .publish(&self.offload, actor)
            .await
            .map_err(catalog_error)?;
        self.metrics.guard_snapshot_version.set(p.version as i64);
        Ok(p)
    }

    pub(super) async fn delta(&self, from: u64) -> Result<Arc<Delta>, ApiError> {
        self.catalog
            .delta(&self.repo, &self.offload, from)
            .await
            .map_err(catalog_error)
    }

    /// The compact delta from `from`; like the compact snapshot it needs the signing key, since
    /// a client checks what it rebuilds with the compact signature.
    pub(super) async fn compact_delta(&self, from: u64) -> Result<Arc<Delta>, ApiError> {
        self.signer()?;
        let _one_at_a_time = self.compact_delta_lane.lock().await;
        self.catalog
            .compact_delta(&self.repo, &self.offload, from)
            .await
            .map_err(catalog_error)
    }
}

pub(crate) fn no_snapshot() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_snapshot",
        "no snapshot has been published yet (POST /v1/admin/guard/snapshots)",
    )
}

/// The HTTP face of a catalog failure.
fn catalog_error(e: CatalogError) -> ApiError {
    match e {
        CatalogError::NoSnapshot => no_snapshot(),
        CatalogError::NotStored { from, kept, latest } => ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_snapshot_version",
            format!(
                "snapshot version {from} is not stored (the service keeps the newest {kept}): \
                 download the full snapshot from /v1/guard/snapshot (version {latest})"
            ),
        ),
        e @ CatalogError::UnknownVersion { .. } => ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_snapshot_version",
            e.to_string(),
        ),
        CatalogError::Repo(r) => r.into(),
        CatalogError::Offload(o) => o.into(),
        e @ CatalogError::Build { .. } => ApiError::internal(e.to_string()),
    }
}
