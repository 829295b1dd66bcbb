//! Service operations behind the handlers, free of HTTP: TOTP enrolment, key creation and
//! deletion, operator tokens, the idle purge and the chain check.

use axum::http::StatusCode;
use base64::Engine as _;
use custodia_events::{ChainVerifier, Clock, Report, Timestamp};
use custodia_keys::{
    ApiKeyId, IpAllowlist, KeyPolicy, KeyStatus, Label, Passphrase, Permissions, SecretString,
    TotpError, TotpSeed, generate_key, kinds, open, seal,
};
use custodia_primitives::AccountId;
use custodia_store::{ApiKeyRepo, EventReader, OperatorRecord, OperatorRepo, Role, StoreError};
use serde_json::json;

use crate::auth::token_hash;
use crate::error::ApiError;
use crate::state::{App, Repos, event};
use crate::wire::{CreateKeyRequest, KeyCreated, KeyView, OperatorCreated, TotpEnrolled};

fn totp_aad(user: &AccountId) -> Vec<u8> {
    format!("custodia.totp.seed.v1\0{user}").into_bytes()
}

/// Parses a user id from a path segment.
pub(crate) fn parse_user(s: &str) -> Result<AccountId, ApiError> {
    AccountId::new(s).map_err(|e| ApiError::bad_request("invalid_user_id", e.to_string()))
}

/// Enrols a TOTP authenticator for `user`; the seed is returned once and stored sealed.
pub(crate) async fn enroll_totp<S: Repos>(
    app: &App<S>,
    actor: &str,
    user: &AccountId,
) -> Result<TotpEnrolled, ApiError> {
    let seed = TotpSeed::generate(&*app.inner.entropy);
    let sealed = seal(
        &app.inner.kek,
        seed.as_bytes(),
        &totp_aad(user),
        &*app.inner.entropy,
    );
    let now = app.now();
    let ev = event(
        now,
        kinds::TOTP_ENROLLED,
        actor,
        &format!("user:{user}"),
        json!({}),
    );
    if !custodia_store::TotpRepo::enroll_totp(&app.inner.store, user, &sealed, now, ev).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "totp_already_enrolled",
            "this user already has an authenticator",
        ));
    }
    Ok(TotpEnrolled {
        secret_base32: seed.base32().expose().to_owned(),
        otpauth_uri: seed
            .otpauth_uri(&app.inner.keys_cfg.totp_issuer, user.as_str())
            .expose()
            .to_owned(),
    })
}

/// Checks a TOTP code for `user` and consumes its step.
async fn check_totp<S: Repos>(
    app: &App<S>,
    actor: &str,
    user: &AccountId,
    code: &SecretString,
) -> Result<(), ApiError> {
    let now = app.now();
    let max = app.inner.keys_cfg.totp_max_failures;
    {
        let f = app
            .inner
            .totp_failures
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some((n, until)) = f.get(user)
            && *n >= max
            && *until > now
        {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "totp_locked",
                "too many wrong codes; try again later",
            ));
        }
    }
    let Some(rec) = custodia_store::TotpRepo::totp(&app.inner.store, user).await? else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "totp_not_enrolled",
            "enrol an authenticator before creating API keys",
        ));
    };
    let raw = open(&app.inner.kek, &rec.seed_sealed, &totp_aad(user))
        .map_err(|e| ApiError::internal(format!("TOTP seed of {user}: {e}")))?;
    let seed = TotpSeed::from_bytes(raw)
        .ok_or_else(|| ApiError::internal(format!("TOTP seed of {user} too short")))?;
    let verdict = match seed.verify(code.expose(), now, rec.last_step) {
        Ok(step) => {
            if custodia_store::TotpRepo::consume_totp_step(&app.inner.store, user, step).await? {
                Ok(())
            } else {
                Err(TotpError::Reused)
            }
        }
        Err(e) => Err(e),
    };
    let Err(e) = verdict else {
        app.inner
            .totp_failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(user);
        return Ok(());
    };
    let (code_name, status) = match e {
        TotpError::Malformed => ("totp_malformed", StatusCode::BAD_REQUEST),
        TotpError::Invalid => ("totp_invalid", StatusCode::FORBIDDEN),
        TotpError::Reused => ("totp_reused", StatusCode::FORBIDDEN),
    };
    app.inner
        .metrics
        .totp_rejections
        .with_label_values(&[code_name])
        .inc();
    if e != TotpError::Malformed {
        let lockout = Timestamp::from_millis(
            now.as_millis() + app.inner.keys_cfg.totp_lockout_secs as i64 * 1000,
        );
        let mut f = app
            .inner
            .totp_failures
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let entry = f.entry(user.clone()).or_insert((0, lockout));
        if entry.1 <= now {
            *entry = (0, lockout);
        }
        entry.0 += 1;
        entry.1 = lockout;
    }
    app.audit(event(
        now,
        kinds::TOTP_REJECTED,
        actor,
        &format!("user:{user}"),
        json!({ "reason": code_name }),
    ));
    Err(ApiError::new(status, code_name, e.to_string()))
}

/// Creates an API key: validate everything, then TOTP (consuming the step), then store.
pub(crate) async fn create_key<S: Repos>(
    app: &App<S>,
    actor: &str,
    user: AccountId,
    req: CreateKeyRequest,
) -> Result<KeyCreated, ApiError> {
    let policy = &app.inner.policy;
    let label = Label::new(req.label)?;
    let permissions = Permissions::parse(&req.permissions)?;
    let ips = IpAllowlist::parse(&req.ips, policy.max_ips)?;
    let passphrase = Passphrase::new(req.passphrase)?;
    check_totp(app, actor, &user, &req.totp_code).await?;
    let now = app.now();
    let (kek, policy_c, entropy) = (
        app.inner.kek.clone(),
        policy.clone(),
        app.inner.entropy.clone(),
    );
    let u = user.clone();
    let material = {
        let _permit = app
            .inner
            .argon
            .acquire()
            .await
            .map_err(|_| ApiError::internal("argon semaphore closed"))?;
        tokio::task::spawn_blocking(move || {
            generate_key(
                u,
                label,
                permissions,
                ips,
                &passphrase,
                now,
                &kek,
                &policy_c,
                &*entropy,
            )
        })
        .await
        .map_err(|e| ApiError::internal(format!("key generation task: {e}")))??
    };
    let k = &material.key;
    let ev = event(
        now,
        kinds::KEY_CREATED,
        actor,
        &format!("api_key:{}", k.id),
        json!({
            "user": user.as_str(),
            "label": k.label.as_str(),
            "permissions": k.permissions.names(),
            "ips": k.ips.entries(),
            "ip_bound": k.ips.is_bound(),
            "expires_when_idle": k.is_idle_expirable(),
        }),
    );
    app.inner.store.create_key(k, ev).await?;
    app.inner.metrics.keys_created.inc();
    tracing::info!(key = %k.id, user = %user, permissions = %k.permissions, ip_bound = k.ips.is_bound(), "API key created");
    Ok(KeyCreated {
        key_id: k.id.to_string(),
        secret: material.secret.expose().to_owned(),
        label: k.label.as_str().to_owned(),
        permissions: k
            .permissions
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        ips: k.ips.entries(),
        created_at: k.created_at.to_iso8601_millis(),
    })
}

/// A key as listed.
pub(crate) fn view(k: &custodia_keys::ApiKey) -> KeyView {
    KeyView {
        key_id: k.id.to_string(),
        label: k.label.as_str().to_owned(),
        permissions: k
            .permissions
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        ips: k.ips.entries(),
        status: k.status.as_str().to_owned(),
        created_at: k.created_at.to_iso8601_millis(),
        last_used_at: k.last_used_at.map(Timestamp::to_iso8601_millis),
        status_at: k.status_at.to_iso8601_millis(),
        expires_when_idle: k.is_idle_expirable(),
    }
}

/// Deletes an active key of `user`. 404 when there is none (whether it exists for someone else
/// is not revealed).
pub(crate) async fn delete_key<S: Repos>(
    app: &App<S>,
    actor: &str,
    user: &AccountId,
    id: &str,
) -> Result<(), ApiError> {
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "key_not_found",
            "no active API key with this id for this user",
        )
    };
    let id = ApiKeyId::parse(id)
        .map_err(|_| ApiError::bad_request("invalid_key_id", "key id must be a lowercase UUID"))?;
    let now = app.now();
    let ev = event(
        now,
        kinds::KEY_DELETED,
        actor,
        &format!("api_key:{id}"),
        json!({ "user": user.as_str() }),
    );
    let done = app
        .inner
        .store
        .end_key(&id, user, KeyStatus::Deleted, now, ev)
        .await?;
    app.forget_key(&id);
    if !done {
        return Err(not_found().with_detail(format!("key {id} user {user}")));
    }
    app.inner.metrics.keys_deleted.inc();
    tracing::info!(key = %id, user = %user, "API key deleted");
    Ok(())
}

/// A new operator token (shown once).
pub(crate) async fn create_operator<S: OperatorRepo>(
    store: &S,
    clock: &dyn Clock,
    entropy: &dyn custodia_events::Entropy,
    actor: &str,
    name: &str,
    role: Role,
    token: Option<&SecretString>,
) -> Result<OperatorCreated, ApiError> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
    {
        return Err(ApiError::bad_request(
            "invalid_name",
            "name must be 1-64 of a-z A-Z 0-9 _ - .",
        ));
    }
    let mut raw = [0u8; 32];
    entropy.fill(&mut raw);
    let token = match token {
        Some(t) => t.clone(),
        None => SecretString::new(format!(
            "cst_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        )),
    };
    let mut id = [0u8; 16];
    entropy.fill(&mut id);
    let now = clock.now();
    let rec = OperatorRecord {
        id: hex::encode(id),
        name: name.to_owned(),
        role,
        token_hash: token_hash(token.expose()),
        created_at: now,
        revoked_at: None,
    };
    let ev = event(
        now,
        kinds::OPERATOR_TOKEN_CREATED,
        actor,
        &format!("operator:{name}"),
        json!({ "role": role.as_str() }),
    );
    store.create_operator(&rec, ev).await?;
    Ok(OperatorCreated {
        name: name.to_owned(),
        role: role.as_str().to_owned(),
        token: token.expose().to_owned(),
    })
}

/// The idle purge, returning the expired keys' ids. See [`purge_idle_keys`].
pub async fn purge_idle_key_ids<S: ApiKeyRepo>(
    store: &S,
    clock: &dyn Clock,
    policy: &KeyPolicy,
) -> Result<Vec<ApiKeyId>, StoreError> {
    let now = clock.now();
    let cutoff = now.minus_millis(policy.idle_expiry_ms);
    let mut expired = Vec::new();
    loop {
        let batch = store.idle_candidates(cutoff, 500).await?;
        let mut progressed = false;
        for k in &batch {
            let idle_ms = now.as_millis() - k.last_activity().as_millis();
            let ev = event(
                now,
                kinds::KEY_EXPIRED,
                "system:idle_purge",
                &format!("api_key:{}", k.id),
                json!({
                    "user": k.user.as_str(),
                    "permissions": k.permissions.names(),
                    "last_activity": k.last_activity().to_iso8601_millis(),
                    "idle_days": idle_ms / 86_400_000,
                    "rule": format!("trade/withdraw key without IP binding idle for {} days", policy.idle_expiry_ms / 86_400_000),
                }),
            );
            if store.expire_idle_key(&k.id, cutoff, now, ev).await? {
                tracing::info!(key = %k.id, user = %k.user, "API key expired by the idle rule");
                expired.push(k.id);
                progressed = true;
            }
        }
        if batch.len() < 500 || !progressed {
            break;
        }
    }
    Ok(expired)
}

/// Expires every active key with trade or withdraw permission, no IP binding, and no
/// authenticated call for `policy.idle_expiry_ms`; one `api_key.expired` event per key, in the
/// same transaction as the status change. Returns how many expired.
///
/// A running `serve` keeps recent usage in memory for up to `keys.usage_flush_secs`; that delay
/// is negligible next to a 14-day rule, and `serve`'s own schedule flushes first.
pub async fn purge_idle_keys<S: ApiKeyRepo>(
    store: &S,
    clock: &dyn Clock,
    policy: &KeyPolicy,
) -> Result<usize, StoreError> {
    Ok(purge_idle_key_ids(store, clock, policy).await?.len())
}

/// Walks the whole event log in seq order and reports the first broken seq, if any.
pub async fn verify_audit_chain<S: EventReader>(store: &S) -> Result<Report, StoreError> {
    let mut v = ChainVerifier::new();
    let mut after = 0;
    loop {
        let page = store.events_after(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in &page {
            if v.push(e).is_err() {
                return Ok(v.finish(Some(store.head().await?)));
            }
        }
    }
    Ok(v.finish(Some(store.head().await?)))
}
