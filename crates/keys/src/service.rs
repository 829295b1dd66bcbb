//! The key service's use cases: TOTP enrolment and checks, key creation and deletion, the
//! signed-request check with its caches, usage batching and the idle purge. Generic over the
//! storage ports, with time, randomness and CPU offloading as parameters; no runtime, no HTTP.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use custodia_events::{
    Audit, Clock, Entropy, NewEvent, Offload, Offloaded, RepoError, RepoResult, Timestamp,
};
use custodia_primitives::AccountId;
use subtle::ConstantTimeEq as _;
use thiserror::Error;

use crate::events::{KeyCreated, KeyDeleted, KeyExpired, KeyUsed, TotpEnrolled, TotpRejected};
use crate::gate::{SignedRequest, Verdict};
use crate::ports::{ApiKeyRepo, ReplayClaim, ReplayRepo, TotpAttempt, TotpRepo};
use crate::{
    ApiKey, ApiKeyId, DenyCode, IpAllowlist, Kek, KeyError, KeyPolicy, KeyStatus, Label,
    Passphrase, PassphraseTagger, Permissions, RouteTable, SecretString, TotpError, TotpSeed,
    generate_key, open, parse_auth, prehash, seal, verify_signature,
};

/// What a deployment configures for the key service.
#[derive(Debug, Clone)]
pub struct KeySettings {
    /// The API-key rules.
    pub policy: KeyPolicy,
    /// Issuer shown in authenticator apps.
    pub totp_issuer: String,
    /// TOTP code checks admitted per user between successes before a lockout.
    pub totp_max_failures: u32,
    /// Lockout length after too many wrong codes, in seconds.
    pub totp_lockout_secs: u64,
    /// How long a key stays cached (revocation delay of a key changed behind the service).
    pub key_cache: Duration,
    /// The permission each gateway route needs.
    pub routes: RouteTable,
}

/// Why a use case failed. The HTTP shell maps each variant to a status and a stable code.
#[derive(Debug, Error)]
pub enum KeyServiceError {
    /// A field of the request is invalid (label, permissions, IPs, passphrase, key id).
    #[error(transparent)]
    Invalid(#[from] KeyError),
    /// Too many wrong TOTP codes: the user is locked out until the lockout ends.
    #[error("too many wrong codes; try again later")]
    TotpLocked,
    /// The user has no authenticator yet.
    #[error("enrol an authenticator before creating API keys")]
    TotpNotEnrolled,
    /// The user already has an authenticator.
    #[error("this user already has an authenticator")]
    TotpAlreadyEnrolled,
    /// The TOTP code was malformed, wrong or reused.
    #[error(transparent)]
    Totp(TotpError),
    /// No active key with this id belongs to this user (whether it exists for someone else is
    /// not revealed).
    #[error("no active API key with this id for this user")]
    KeyNotFound {
        /// The key id asked for.
        key: ApiKeyId,
    },
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Background work (Argon2) did not complete.
    #[error(transparent)]
    Offload(#[from] Offloaded),
    /// Stored key material does not open: wrong KEK or a tampered row.
    #[error("stored secret of {what}: {why}")]
    Sealed {
        /// Whose secret.
        what: String,
        /// What went wrong.
        why: String,
    },
}

impl TotpError {
    /// Stable machine code (`totp_malformed`, `totp_invalid`, `totp_reused`).
    pub fn code(self) -> &'static str {
        match self {
            TotpError::Malformed => "totp_malformed",
            TotpError::Invalid => "totp_invalid",
            TotpError::Reused => "totp_reused",
        }
    }
}

/// A key request as the user filled it in, before validation.
#[derive(Debug)]
pub struct KeyRequest {
    /// Label (1–50 characters).
    pub label: String,
    /// Permission names.
    pub permissions: Vec<String>,
    /// IP allowlist entries.
    pub ips: Vec<String>,
    /// Passphrase.
    pub passphrase: SecretString,
    /// The current TOTP code.
    pub totp_code: SecretString,
}

/// A created key and its secret (shown once).
#[derive(Debug)]
pub struct CreatedKey {
    /// The stored key.
    pub key: ApiKey,
    /// The plaintext secret.
    pub secret: SecretString,
}

/// A TOTP enrolment as shown to the user once.
#[derive(Debug)]
pub struct Enrolment {
    /// The seed in base32.
    pub secret_base32: SecretString,
    /// `otpauth://` URI for QR codes.
    pub otpauth_uri: SecretString,
}

/// A key held in memory with its decrypted secret.
struct CachedKey {
    key: ApiKey,
    secret: SecretString,
    loaded: Instant,
    /// Tag of the passphrase once Argon2 has verified it (see [`PassphraseTagger`]).
    pass_tag: Mutex<Option<[u8; 32]>>,
}

#[derive(Clone, Copy)]
struct Usage {
    calls: u64,
    first: Timestamp,
    last: Timestamp,
}

fn totp_aad(user: &AccountId) -> Vec<u8> {
    format!("custodia.totp.seed.v1\0{user}").into_bytes()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The API-key service. One per process; share it behind an `Arc`.
pub struct KeyService<R> {
    repo: R,
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    kek: Kek,
    settings: KeySettings,
    cache: RwLock<HashMap<ApiKeyId, Arc<CachedKey>>>,
    tagger: PassphraseTagger,
    usage: Mutex<HashMap<ApiKeyId, (AccountId, Usage)>>,
}

impl<R: ApiKeyRepo + TotpRepo + ReplayRepo> KeyService<R> {
    /// A service over `repo`.
    pub fn new(
        repo: R,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
        kek: Kek,
        settings: KeySettings,
    ) -> Self {
        let tagger = PassphraseTagger::new(&*entropy);
        Self {
            repo,
            clock,
            entropy,
            kek,
            settings,
            cache: RwLock::new(HashMap::new()),
            tagger,
            usage: Mutex::new(HashMap::new()),
        }
    }

    /// The storage.
    pub fn repo(&self) -> &R {
        &self.repo
    }

    /// The rules in force.
    pub fn policy(&self) -> &KeyPolicy {
        &self.settings.policy
    }

    /// The current time by the service's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Cached keys (metrics).
    pub fn cached_keys(&self) -> usize {
        self.cache.read().map(|c| c.len()).unwrap_or(0)
    }

    /// Enrols a TOTP authenticator for `user`; the seed is returned once and stored sealed.
    pub async fn enroll_totp(
        &self,
        actor: &str,
        user: &AccountId,
    ) -> Result<Enrolment, KeyServiceError> {
        let seed = TotpSeed::generate(&*self.entropy);
        let sealed = seal(&self.kek, seed.as_bytes(), &totp_aad(user), &*self.entropy);
        let now = self.now();
        let ev = NewEvent::typed(now, actor, &format!("user:{user}"), &TotpEnrolled {});
        if !self.repo.enroll_totp(user, &sealed, now, ev).await? {
            return Err(KeyServiceError::TotpAlreadyEnrolled);
        }
        Ok(Enrolment {
            secret_base32: seed.base32(),
            otpauth_uri: seed.otpauth_uri(&self.settings.totp_issuer, user.as_str()),
        })
    }

    /// Checks a TOTP code for `user` and consumes its step.
    ///
    /// The order makes the lockout race-free and shared: a malformed code is refused without
    /// counting; then one attempt is reserved in the store (atomically, before anything is
    /// evaluated), so concurrent guesses — on this instance or another — get at most
    /// `totp_max_failures` evaluations; a correct code clears the count. Every refusal,
    /// lockouts included, is recorded through `audit` (repeats aggregated per user and reason).
    pub async fn check_totp(
        &self,
        audit: &impl Audit,
        actor: &str,
        user: &AccountId,
        code: &SecretString,
    ) -> Result<(), KeyServiceError> {
        let now = self.now();
        let subject = format!("user:{user}");
        let reject = |reason: &str| {
            audit.record_repeatable(
                format!("totp:{user}:{reason}"),
                NewEvent::typed(
                    now,
                    actor,
                    &subject,
                    &TotpRejected {
                        reason: reason.to_owned(),
                    },
                ),
            );
        };
        if !TotpSeed::well_formed(code.expose()) {
            reject(TotpError::Malformed.code());
            return Err(KeyServiceError::Totp(TotpError::Malformed));
        }
        let Some(rec) = self.repo.totp(user).await? else {
            return Err(KeyServiceError::TotpNotEnrolled);
        };
        let lockout_ms = i64::try_from(self.settings.totp_lockout_secs)
            .unwrap_or(i64::MAX / 2_000)
            .saturating_mul(1000);
        let attempt = self
            .repo
            .begin_totp_attempt(user, now, self.settings.totp_max_failures, lockout_ms)
            .await?;
        if let TotpAttempt::Locked { until } = attempt {
            tracing::warn!(user = %user, until = %until.to_iso8601_millis(), "TOTP check refused: locked out");
            reject("totp_locked");
            return Err(KeyServiceError::TotpLocked);
        }
        let sealed = |why: String| KeyServiceError::Sealed {
            what: format!("the TOTP seed of {user}"),
            why,
        };
        let raw = open(&self.kek, &rec.seed_sealed, &totp_aad(user))
            .map_err(|e| sealed(e.to_string()))?;
        let seed = TotpSeed::from_bytes(raw).ok_or_else(|| sealed("too short".into()))?;
        let verdict = match seed.verify(code.expose(), now, rec.last_step) {
            Ok(step) => {
                // Compare-and-set: a concurrent request with the same code loses here.
                if self.repo.consume_totp_step(user, step).await? {
                    Ok(())
                } else {
                    Err(TotpError::Reused)
                }
            }
            Err(e) => Err(e),
        };
        match verdict {
            Ok(()) => {
                self.repo.clear_totp_attempts(user).await?;
                Ok(())
            }
            Err(e) => {
                reject(e.code());
                Err(KeyServiceError::Totp(e))
            }
        }
    }

    /// Creates an API key: validate every field, then the TOTP code (consuming its step), then
    /// hash the passphrase (on `offload`) and store the key with its event.
    pub async fn create_key(
        &self,
        audit: &impl Audit,
        offload: &impl Offload,
        actor: &str,
        user: AccountId,
        req: KeyRequest,
    ) -> Result<CreatedKey, KeyServiceError> {
        let policy = &self.settings.policy;
        let label = Label::new(req.label)?;
        let permissions = Permissions::parse(&req.permissions)?;
        let ips = IpAllowlist::parse(&req.ips, policy.max_ips)?;
        let passphrase = Passphrase::new(req.passphrase)?;
        self.check_totp(audit, actor, &user, &req.totp_code).await?;
        let now = self.now();
        let (kek, policy, entropy, u) = (
            self.kek.clone(),
            policy.clone(),
            self.entropy.clone(),
            user.clone(),
        );
        let material = offload
            .run(Box::new(move || {
                generate_key(
                    u,
                    label,
                    permissions,
                    ips,
                    &passphrase,
                    now,
                    &kek,
                    &policy,
                    &*entropy,
                )
            }))
            .await??;
        let k = &material.key;
        let ev = NewEvent::typed(
            now,
            actor,
            &format!("api_key:{}", k.id),
            &KeyCreated {
                user: user.as_str().to_owned(),
                label: k.label.as_str().to_owned(),
                permissions: names(k.permissions),
                ips: k.ips.entries(),
                ip_bound: k.ips.is_bound(),
                expires_when_idle: k.is_idle_expirable(),
            },
        );
        self.repo.create_key(k, ev).await?;
        tracing::info!(key = %k.id, user = %user, permissions = %k.permissions, ip_bound = k.ips.is_bound(), "API key created");
        Ok(CreatedKey {
            key: material.key,
            secret: material.secret,
        })
    }

    /// A user's keys, newest first, whatever their status.
    pub async fn keys_of(&self, user: &AccountId) -> RepoResult<Vec<ApiKey>> {
        self.repo.keys_of(user).await
    }

    /// Deletes an active key of `user`.
    pub async fn delete_key(
        &self,
        actor: &str,
        user: &AccountId,
        id: &str,
    ) -> Result<ApiKeyId, KeyServiceError> {
        let id = ApiKeyId::parse(id)?;
        let now = self.now();
        let ev = NewEvent::typed(
            now,
            actor,
            &format!("api_key:{id}"),
            &KeyDeleted {
                user: user.as_str().to_owned(),
            },
        );
        let done = self
            .repo
            .end_key(&id, user, KeyStatus::Deleted, now, ev)
            .await?;
        self.forget_key(&id);
        if !done {
            return Err(KeyServiceError::KeyNotFound { key: id });
        }
        tracing::info!(key = %id, user = %user, "API key deleted");
        Ok(id)
    }

    /// The signed-request check (see [`crate::gate`] for the order). An allowed call is counted
    /// for the next usage flush; a denial is returned for the caller to record and count.
    pub async fn check_request(
        &self,
        offload: &impl Offload,
        req: SignedRequest<'_>,
    ) -> Result<Verdict, KeyServiceError> {
        let now = self.now();
        let policy = &self.settings.policy;
        let auth = match parse_auth(&req.headers, now, policy.window_ms) {
            Ok(a) => a,
            Err(code) => return Ok(Verdict::deny(code, "header check")),
        };
        let entry = match self.active_key(&auth.key).await? {
            Ok(e) => e,
            Err(why) => return Ok(Verdict::deny(DenyCode::InvalidKey, why)),
        };
        let env = req.envelope;
        let msg = prehash(&auth.timestamp_text, &env.method, &env.path, req.body);
        if !verify_signature(entry.secret.expose().as_bytes(), &msg, &auth.sign) {
            return Ok(Verdict::deny(DenyCode::InvalidSign, "signature mismatch"));
        }
        if !entry.key.ips.allows(env.client_ip) {
            return Ok(Verdict::deny(DenyCode::IpNotAllowed, "ip not in allowlist"));
        }
        let tag = self.tagger.tag(&auth.key, auth.passphrase.expose());
        let known = *lock(&entry.pass_tag);
        match known {
            Some(t) if bool::from(t.ct_eq(&tag)) => {}
            Some(_) => {
                return Ok(Verdict::deny(
                    DenyCode::PassphraseIncorrect,
                    "passphrase mismatch",
                ));
            }
            None => {
                let hash = entry.key.passphrase_hash.clone();
                let pass = auth.passphrase.clone();
                if !offload
                    .run(Box::new(move || hash.verify(pass.expose())))
                    .await?
                {
                    return Ok(Verdict::deny(
                        DenyCode::PassphraseIncorrect,
                        "passphrase mismatch",
                    ));
                }
                *lock(&entry.pass_tag) = Some(tag);
            }
        }
        // Fail closed: the route table's permission and the gateway's own both apply, and a
        // request that names neither is refused rather than let through unchecked.
        let route = self.settings.routes.required(&env.method, &env.path);
        if route.is_none() && env.required.is_none() {
            return Ok(Verdict::deny(
                DenyCode::PermissionDenied,
                "route needs no configured permission",
            ));
        }
        if route
            .into_iter()
            .chain(env.required)
            .any(|p| !entry.key.permissions.has(p))
        {
            return Ok(Verdict::deny(
                DenyCode::PermissionDenied,
                "missing permission",
            ));
        }
        // A timestamp is accepted up to `window` either side of now, so the request stays
        // replayable until its own timestamp plus the window: the claim must live that long.
        let expires = auth.timestamp.plus_millis(policy.window_ms + 1);
        let claim = ReplayClaim::new(&auth.key, &auth.sign, auth.timestamp);
        if !self.repo.claim_request(&claim, expires, now).await? {
            return Ok(Verdict::deny(DenyCode::Replayed, "replayed request"));
        }
        self.record_use(auth.key, &entry.key.user, now);
        Ok(Verdict::Allow {
            key: auth.key,
            user: entry.key.user.clone(),
            permissions: entry.key.permissions,
        })
    }

    /// The active key `id` from cache or store, with its decrypted secret; `Err(reason)` when it
    /// cannot authenticate (the reason is for logs and events only).
    async fn active_key(&self, id: &ApiKeyId) -> RepoResult<Result<Arc<CachedKey>, &'static str>> {
        let old = self
            .cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned();
        if let Some(e) = &old
            && e.loaded.elapsed() < self.settings.key_cache
        {
            return Ok(Ok(e.clone()));
        }
        let Some(key) = self.repo.key(id).await? else {
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
        let secret = match key.open_secret(&self.kek) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(key = %id, error = %e, "stored secret does not open: wrong KEK or tampered row");
                return Ok(Err("secret does not open"));
            }
        };
        // The passphrase hash never changes, so a verified tag survives reloads.
        let tag = old
            .filter(|o| o.key.passphrase_hash == key.passphrase_hash)
            .and_then(|o| *lock(&o.pass_tag));
        let entry = Arc::new(CachedKey {
            key,
            secret,
            loaded: Instant::now(),
            pass_tag: Mutex::new(tag),
        });
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(*id, entry.clone());
        Ok(Ok(entry))
    }

    /// Drops a key from the cache (after it was deleted or expired).
    pub fn forget_key(&self, id: &ApiKeyId) {
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    fn record_use(&self, id: ApiKeyId, user: &AccountId, now: Timestamp) {
        lock(&self.usage)
            .entry(id)
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
    /// On failure the usage is kept for the next flush.
    pub async fn flush_usage(&self) -> RepoResult<()> {
        let taken = std::mem::take(&mut *lock(&self.usage));
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
                NewEvent::typed(
                    now,
                    "gateway",
                    &format!("api_key:{id}"),
                    &KeyUsed {
                        user: user.as_str().to_owned(),
                        calls: u.calls,
                        first: u.first.to_iso8601_millis(),
                        last: u.last.to_iso8601_millis(),
                    },
                )
            })
            .collect();
        if let Err(e) = self.repo.record_usage(&uses, events).await {
            let mut u = lock(&self.usage);
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

    /// Drops stale cache entries (call periodically).
    pub fn sweep(&self) {
        let ttl = self.settings.key_cache;
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, v| v.loaded.elapsed() < ttl * 4);
    }

    /// Deletes expired replay claims from the store (call periodically).
    pub async fn purge_replay_claims(&self) -> RepoResult<u64> {
        self.repo.purge_claims(self.now()).await
    }

    /// Runs the idle purge now (after flushing usage, so recent calls count) and drops the
    /// expired keys from the cache. Returns their ids.
    pub async fn purge_idle(&self) -> RepoResult<Vec<ApiKeyId>> {
        if let Err(e) = self.flush_usage().await {
            tracing::warn!(error = %e, "usage flush before purge failed; purging on stored data");
        }
        let ids = purge_idle_keys(&self.repo, &*self.clock, &self.settings.policy).await?;
        for id in &ids {
            self.forget_key(id);
        }
        Ok(ids)
    }
}

/// Permission names as owned strings (events, wire).
pub fn names(p: Permissions) -> Vec<String> {
    p.names().into_iter().map(str::to_owned).collect()
}

/// Keys purged per store round trip.
const PURGE_PAGE: u32 = 500;

/// Expires every active key with trade or withdraw permission, no IP binding, and no
/// authenticated call for `policy.idle_expiry_ms`; one `api_key.expired` event per key, in the
/// same transaction as its status change. Returns the expired keys' ids.
///
/// A running service keeps recent usage in memory until its next flush; that delay is
/// negligible next to a 14-day rule, and [`KeyService::purge_idle`] flushes first.
pub async fn purge_idle_keys<R: ApiKeyRepo>(
    repo: &R,
    clock: &dyn Clock,
    policy: &KeyPolicy,
) -> RepoResult<Vec<ApiKeyId>> {
    let now = clock.now();
    let cutoff = now.minus_millis(policy.idle_expiry_ms);
    let rule = format!(
        "trade/withdraw key without IP binding idle for {} days",
        policy.idle_expiry_ms / 86_400_000
    );
    let mut expired = Vec::new();
    loop {
        let batch = repo.idle_candidates(cutoff, PURGE_PAGE).await?;
        let mut progressed = false;
        for k in &batch {
            let idle_ms = now.as_millis() - k.last_activity().as_millis();
            let ev = NewEvent::typed(
                now,
                "system:idle_purge",
                &format!("api_key:{}", k.id),
                &KeyExpired {
                    user: k.user.as_str().to_owned(),
                    permissions: names(k.permissions),
                    last_activity: k.last_activity().to_iso8601_millis(),
                    idle_days: idle_ms / 86_400_000,
                    rule: rule.clone(),
                },
            );
            if repo.expire_idle_key(&k.id, cutoff, now, ev).await? {
                tracing::info!(key = %k.id, user = %k.user, "API key expired by the idle rule");
                expired.push(k.id);
                progressed = true;
            }
        }
        if batch.len() < PURGE_PAGE as usize || !progressed {
            break;
        }
    }
    Ok(expired)
}

#[cfg(test)]
mod send_check {
    //! Handlers hold these futures across their own awaits: they must be `Send` for any
    //! storage, with concrete audit and offload types (a regression test: closures passed to
    //! `Offload::run` used to carry the caller's lifetimes and break this).
    use super::*;

    fn assert_send<T: Send + 'static>(_: T) {}

    struct A;
    impl Audit for A {
        fn record(&self, _: NewEvent) {}
    }

    async fn create<R: ApiKeyRepo + TotpRepo + ReplayRepo + 'static>(
        s: Arc<KeyService<R>>,
        user: AccountId,
        req: KeyRequest,
    ) -> bool {
        s.create_key(&A, &custodia_events::Inline, "x", user, req)
            .await
            .is_ok()
    }

    async fn totp<R: ApiKeyRepo + TotpRepo + ReplayRepo + 'static>(
        s: Arc<KeyService<R>>,
        user: AccountId,
        code: SecretString,
    ) -> bool {
        s.check_totp(&A, "x", &user, &code).await.is_ok()
    }

    #[allow(dead_code)]
    fn use_case_futures_are_send<R: ApiKeyRepo + TotpRepo + ReplayRepo + 'static>(
        s: Arc<KeyService<R>>,
        user: AccountId,
        req: KeyRequest,
        code: SecretString,
    ) {
        assert_send(totp(s.clone(), user.clone(), code));
        assert_send(create(s, user, req));
    }
}
