//! The application: store, clock, entropy, secrets, caches and background workers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use custodia_events::{Actor, Clock, Entropy, EventKind, NewEvent, Payload, Subject, Timestamp};
use custodia_keys::{
    ApiKey, ApiKeyId, Kek, KeyPolicy, KeyStatus, PassphraseTagger, ReplayCache, SecretString,
};
use custodia_primitives::AccountId;
use custodia_store::{
    ApiKeyRepo, EventAppender, EventReader, GuardRepo, OperatorRecord, OperatorRepo, StoreError,
    StoreHealth, TotpRepo,
};
use serde_json::json;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};

use crate::config::{Config, KeysConfig, ServerConfig};
use crate::metrics::Metrics;

/// Everything the handlers need from storage. Implemented by `custodia_store::Store` and by any
/// type that implements the split traits.
pub trait Repos:
    EventAppender
    + EventReader
    + ApiKeyRepo
    + TotpRepo
    + OperatorRepo
    + GuardRepo
    + StoreHealth
    + Clone
    + Send
    + Sync
    + 'static
{
}
impl<T> Repos for T where
    T: EventAppender
        + EventReader
        + ApiKeyRepo
        + TotpRepo
        + OperatorRepo
        + GuardRepo
        + StoreHealth
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// Builds an event; `kind`, `actor` and `subject` come from code, so invalid values are bugs.
pub(crate) fn event(
    time: Timestamp,
    kind: &str,
    actor: &str,
    subject: &str,
    payload: serde_json::Value,
) -> NewEvent {
    NewEvent {
        time,
        kind: EventKind::new(kind).expect("event kinds are constants"),
        actor: Actor::new(actor.chars().take(128).collect::<String>())
            .unwrap_or_else(|_| Actor::new("unknown").expect("constant")),
        subject: Subject::new(subject.chars().take(256).collect::<String>())
            .unwrap_or_else(|_| Subject::new("unknown").expect("constant")),
        payload: Payload::from_value(&payload).unwrap_or_else(|_| Payload::empty()),
    }
}

/// A key held in memory with its decrypted secret.
pub(crate) struct CachedKey {
    pub key: ApiKey,
    pub secret: SecretString,
    pub loaded: Instant,
    /// Tag of the passphrase once Argon2 has verified it (see `PassphraseTagger`).
    pub pass_tag: Mutex<Option<[u8; 32]>>,
}

#[derive(Clone, Copy)]
pub(crate) struct Usage {
    pub calls: u64,
    pub first: Timestamp,
    pub last: Timestamp,
}

pub(crate) enum AuditMsg {
    Event(NewEvent),
    Flush(oneshot::Sender<()>),
}

pub(crate) struct Inner<S> {
    pub store: S,
    pub clock: Arc<dyn Clock>,
    pub entropy: Arc<dyn Entropy>,
    pub kek: Kek,
    pub policy: KeyPolicy,
    pub keys_cfg: KeysConfig,
    pub server_cfg: ServerConfig,
    pub key_cache: RwLock<HashMap<ApiKeyId, Arc<CachedKey>>>,
    pub replay: ReplayCache,
    pub tagger: PassphraseTagger,
    pub usage: Mutex<HashMap<ApiKeyId, (AccountId, Usage)>>,
    pub audit_tx: mpsc::Sender<AuditMsg>,
    pub metrics: Arc<Metrics>,
    pub operators: RwLock<HashMap<[u8; 32], (OperatorRecord, Instant)>>,
    pub totp_failures: Mutex<HashMap<AccountId, (u32, Timestamp)>>,
    pub argon: Semaphore,
    pub guard: crate::guard::GuardState,
}

/// The service. Cheap to clone; clones share state.
pub struct App<S> {
    pub(crate) inner: Arc<Inner<S>>,
}

impl<S> Clone for App<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

/// Stops the background workers (usage flush, purge schedule) and flushes what they hold.
pub struct Background {
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Background {
    /// Signals the workers, waits for their final flush.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

const AUDIT_QUEUE: usize = 65_536;
const AUDIT_BATCH: usize = 1_000;

impl<S: Repos> App<S> {
    /// Wires the service. Spawns the audit writer, so it must be called inside a tokio runtime.
    /// The guard starts with no lists: call [`App::reload_guard`] to load them from the store
    /// ([`crate::run`] does).
    ///
    /// # Panics
    ///
    /// If `config.guard` is invalid (`Config::load` and `Config::from_parts` validate it).
    pub fn new(
        store: S,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
        kek: Kek,
        config: &Config,
    ) -> Self {
        let metrics = Arc::new(Metrics::new());
        let (audit_tx, audit_rx) = mpsc::channel(AUDIT_QUEUE);
        tokio::spawn(audit_writer(store.clone(), audit_rx, metrics.clone()));
        let lanes = std::thread::available_parallelism().map_or(2, |n| n.get());
        let tagger = PassphraseTagger::new(&*entropy);
        Self {
            inner: Arc::new(Inner {
                policy: config.keys.policy(),
                keys_cfg: config.keys.clone(),
                server_cfg: config.server.clone(),
                key_cache: RwLock::new(HashMap::new()),
                replay: ReplayCache::new(config.keys.replay_cache_capacity),
                tagger,
                usage: Mutex::new(HashMap::new()),
                audit_tx,
                metrics,
                operators: RwLock::new(HashMap::new()),
                totp_failures: Mutex::new(HashMap::new()),
                argon: Semaphore::new(lanes),
                guard: crate::guard::GuardState::new(&config.guard),
                store,
                clock,
                entropy,
                kek,
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// Queues an event for the batched audit writer (gateway denials, TOTP rejections: decisions
    /// that have no other write to ride on). Never blocks; a full queue drops and counts.
    pub(crate) fn audit(&self, e: NewEvent) {
        if self.inner.audit_tx.try_send(AuditMsg::Event(e)).is_err() {
            self.inner.metrics.audit_events_dropped.inc();
            tracing::error!("audit queue full: event dropped");
        }
    }

    /// Queues an event for the batched audit writer, waiting for room when the queue is full
    /// (decisions that must never be dropped: guard alerts). Fails only when the writer is gone.
    pub(crate) async fn audit_wait(&self, e: NewEvent) -> Result<(), crate::error::ApiError> {
        self.inner
            .audit_tx
            .send(AuditMsg::Event(e))
            .await
            .map_err(|_| {
                self.inner.metrics.audit_events_dropped.inc();
                crate::error::ApiError::internal("audit writer stopped: event not recorded")
            })
    }

    /// Writes pending usage and waits until every queued audit event is stored.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let r = self.flush_usage().await;
        let (tx, rx) = oneshot::channel();
        if self.inner.audit_tx.send(AuditMsg::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
        r
    }

    pub(crate) fn record_use(&self, id: ApiKeyId, user: &AccountId, now: Timestamp) {
        let mut u = self.inner.usage.lock().unwrap_or_else(|e| e.into_inner());
        u.entry(id)
            .and_modify(|(_, x)| {
                x.calls += 1;
                x.last = x.last.max(now);
            })
            .or_insert_with(|| {
                (
                    user.clone(),
                    Usage {
                        calls: 1,
                        first: now,
                        last: now,
                    },
                )
            });
    }

    /// Writes `last_used_at` and one `api_key.used` event per key used since the last flush.
    pub async fn flush_usage(&self) -> Result<(), StoreError> {
        let taken: HashMap<ApiKeyId, (AccountId, Usage)> = {
            let mut u = self.inner.usage.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut *u)
        };
        if taken.is_empty() {
            return Ok(());
        }
        let mut entries: Vec<(ApiKeyId, (AccountId, Usage))> = taken.into_iter().collect();
        entries.sort_by_key(|(id, _)| *id);
        let uses: Vec<(ApiKeyId, Timestamp)> =
            entries.iter().map(|(id, (_, u))| (*id, u.last)).collect();
        let now = self.now();
        let events = entries
            .iter()
            .map(|(id, (user, u))| {
                event(
                    now,
                    custodia_keys::kinds::KEY_USED,
                    "gateway",
                    &format!("api_key:{id}"),
                    json!({
                        "user": user.as_str(),
                        "calls": u.calls,
                        "first": u.first.to_iso8601_millis(),
                        "last": u.last.to_iso8601_millis(),
                    }),
                )
            })
            .collect();
        if let Err(e) = self.inner.store.record_usage(&uses, events).await {
            // Put it back so the next flush retries.
            let mut u = self.inner.usage.lock().unwrap_or_else(|e| e.into_inner());
            for (id, (user, x)) in entries {
                u.entry(id)
                    .and_modify(|(_, y)| {
                        y.calls += x.calls;
                        y.first = y.first.min(x.first);
                        y.last = y.last.max(x.last);
                    })
                    .or_insert((user, x));
            }
            return Err(e);
        }
        Ok(())
    }

    /// The active key `id` from cache or store, with its decrypted secret; `Err(reason)` when it
    /// cannot authenticate (the reason is for logs and events only).
    pub(crate) async fn active_key(
        &self,
        id: &ApiKeyId,
    ) -> Result<Result<Arc<CachedKey>, &'static str>, StoreError> {
        let ttl = Duration::from_secs(self.inner.keys_cfg.key_cache_secs);
        let old = {
            let c = self
                .inner
                .key_cache
                .read()
                .unwrap_or_else(|e| e.into_inner());
            c.get(id).cloned()
        };
        if let Some(e) = &old
            && e.loaded.elapsed() < ttl
        {
            return Ok(Ok(e.clone()));
        }
        let Some(key) = self.inner.store.key(id).await? else {
            self.forget_key(id);
            return Ok(Err("unknown key"));
        };
        match key.status {
            KeyStatus::Active => {}
            KeyStatus::Deleted => {
                self.forget_key(id);
                return Ok(Err("deleted key"));
            }
            KeyStatus::Expired => {
                self.forget_key(id);
                return Ok(Err("expired key"));
            }
        }
        let secret = match key.open_secret(&self.inner.kek) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(key = %id, error = %e, "stored secret does not open: wrong KEK or tampered row");
                return Ok(Err("secret does not open"));
            }
        };
        // The passphrase hash never changes, so a verified tag survives reloads.
        let tag = old
            .filter(|o| o.key.passphrase_hash == key.passphrase_hash)
            .and_then(|o| *o.pass_tag.lock().unwrap_or_else(|e| e.into_inner()));
        let entry = Arc::new(CachedKey {
            key,
            secret,
            loaded: Instant::now(),
            pass_tag: Mutex::new(tag),
        });
        self.inner
            .key_cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(*id, entry.clone());
        Ok(Ok(entry))
    }

    pub(crate) fn forget_key(&self, id: &ApiKeyId) {
        self.inner
            .key_cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    fn sweep_caches(&self) {
        let ttl = Duration::from_secs(self.inner.keys_cfg.key_cache_secs);
        self.inner
            .key_cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, v| v.loaded.elapsed() < ttl * 4);
        let op_ttl = Duration::from_secs(self.inner.server_cfg.operator_cache_secs);
        self.inner
            .operators
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (_, t)| t.elapsed() < op_ttl);
        let now = self.now();
        self.inner
            .totp_failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (_, until)| *until > now);
    }

    /// Runs the idle purge now (after flushing usage, so recent calls count) and drops expired
    /// keys from the cache. Returns how many keys expired.
    pub async fn purge(&self) -> Result<usize, StoreError> {
        if let Err(e) = self.flush_usage().await {
            tracing::warn!(error = %e, "usage flush before purge failed; purging on stored data");
        }
        let ids = crate::service::purge_idle_key_ids(
            &self.inner.store,
            &*self.inner.clock,
            &self.inner.policy,
        )
        .await?;
        for id in &ids {
            self.forget_key(id);
        }
        self.inner.metrics.keys_expired.inc_by(ids.len() as u64);
        Ok(ids.len())
    }

    /// Starts the usage flusher and the purge schedule.
    pub fn spawn_background(&self) -> Background {
        let (stop, rx) = watch::channel(false);
        let mut tasks = Vec::new();
        let app = self.clone();
        let mut r = rx.clone();
        let every = Duration::from_secs(self.inner.keys_cfg.usage_flush_secs);
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if let Err(e) = app.flush_usage().await {
                            tracing::error!(error = %e, "usage flush failed; will retry");
                        }
                        app.sweep_caches();
                    }
                    _ = r.changed() => break,
                }
            }
            if let Err(e) = app.flush().await {
                tracing::error!(error = %e, "final flush failed");
            }
        }));
        let purge_every = self.inner.keys_cfg.purge_interval_secs;
        if purge_every > 0 {
            let app = self.clone();
            let mut r = rx;
            tasks.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(purge_every));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = tick.tick() => match app.purge().await {
                            Ok(n) => tracing::info!(expired = n, "idle key purge done"),
                            Err(e) => tracing::error!(error = %e, "idle key purge failed"),
                        },
                        _ = r.changed() => break,
                    }
                }
            }));
        }
        Background { stop, tasks }
    }
}

async fn audit_writer<S: EventAppender>(
    store: S,
    mut rx: mpsc::Receiver<AuditMsg>,
    metrics: Arc<Metrics>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = Vec::new();
        let mut acks = Vec::new();
        let mut next = Some(first);
        while let Some(m) = next.take() {
            match m {
                AuditMsg::Event(e) => batch.push(e),
                AuditMsg::Flush(a) => acks.push(a),
            }
            if batch.len() < AUDIT_BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let n = batch.len() as u64;
            let mut attempt = 0;
            loop {
                match store.append(batch.clone()).await {
                    Ok(_) => {
                        metrics.audit_events_written.inc_by(n);
                        break;
                    }
                    Err(e) if attempt < 5 => {
                        attempt += 1;
                        tracing::error!(error = %e, attempt, "audit append failed; retrying");
                        tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                    }
                    Err(e) => {
                        metrics.audit_events_dropped.inc_by(n);
                        tracing::error!(error = %e, events = n, "audit append failed; events dropped");
                        break;
                    }
                }
            }
        }
        for a in acks {
            let _ = a.send(());
        }
    }
}
