//! Operator authentication: `Authorization: Bearer <token>`, tokens stored as SHA-256, roles in
//! the handler's signature (`Operator<AdminOnly>`). Every service's state carries an
//! [`OperatorAuth`] and exposes it through axum's `FromRef`, so one extractor serves them all.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use custodia_events::RepoResult;
use custodia_keys::{OperatorRecord, OperatorRepo, Role, token_hash};

use crate::error::ApiError;

/// Which roles an endpoint admits.
pub trait Allowed: Send + Sync + 'static {
    /// The admitted roles.
    const ROLES: &'static [Role];
}

/// Admins only.
pub struct AdminOnly;
/// The web back end (key management on users' behalf) and admins.
pub struct ServiceOrAdmin;
/// The exchange's gateway only: the one caller trusted to state a request's client IP.
pub struct GatewayOnly;
/// Analysts (read-only audit) and admins.
pub struct AuditorOrAdmin;
/// Any operator.
pub struct AnyOperator;

impl Allowed for AdminOnly {
    const ROLES: &'static [Role] = &[Role::Admin];
}
impl Allowed for ServiceOrAdmin {
    const ROLES: &'static [Role] = &[Role::Service, Role::Admin];
}
impl Allowed for GatewayOnly {
    const ROLES: &'static [Role] = &[Role::Gateway];
}
impl Allowed for AuditorOrAdmin {
    const ROLES: &'static [Role] = &[Role::Analyst, Role::Admin];
}
impl Allowed for AnyOperator {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Analyst, Role::Service, Role::Gateway];
}

type Lookup = dyn Fn([u8; 32]) -> Pin<Box<dyn Future<Output = RepoResult<Option<OperatorRecord>>> + Send>>
    + Send
    + Sync;

/// Verified tokens by their SHA-256, with when they were looked up.
type TokenCache = RwLock<HashMap<[u8; 32], (OperatorRecord, Instant)>>;

/// Looks bearer tokens up (through a short cache) for every service's routes. Cheap to clone.
#[derive(Clone)]
pub struct OperatorAuth {
    lookup: Arc<Lookup>,
    cache: Arc<TokenCache>,
    ttl: Duration,
}

impl OperatorAuth {
    /// Tokens checked against `repo`; a verified token stays cached for `ttl` (the revocation
    /// delay).
    pub fn new<R: OperatorRepo + Clone + 'static>(repo: R, ttl: Duration) -> Self {
        let lookup: Arc<Lookup> = Arc::new(move |hash| {
            let repo = repo.clone();
            Box::pin(async move { repo.operator_by_token_hash(&hash).await })
        });
        Self {
            lookup,
            cache: Arc::new(RwLock::new(HashMap::new())),
            ttl,
        }
    }

    async fn authenticate(&self, token: &str) -> Result<OperatorRecord, ApiError> {
        let hash = token_hash(token);
        let cached = self
            .cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&hash)
            .filter(|(_, t)| t.elapsed() < self.ttl)
            .map(|(r, _)| r.clone());
        if let Some(r) = cached {
            return Ok(r);
        }
        let Some(r) = (self.lookup)(hash).await? else {
            return Err(unauthorized("invalid or revoked token"));
        };
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(hash, (r.clone(), Instant::now()));
        Ok(r)
    }

    /// Drops expired cache entries (call periodically).
    pub fn sweep(&self) {
        let ttl = self.ttl;
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (_, t)| t.elapsed() < ttl);
    }
}

/// An authenticated operator whose role is in `R::ROLES`.
pub struct Operator<R: Allowed> {
    /// Operator name.
    pub name: String,
    /// Role.
    pub role: Role,
    _r: PhantomData<R>,
}

impl<R: Allowed> Operator<R> {
    /// The event actor for this operator.
    pub fn actor(&self) -> String {
        format!("operator:{}", self.name)
    }
}

fn unauthorized(msg: &'static str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", msg)
}

impl<S, R> FromRequestParts<S> for Operator<R>
where
    S: Send + Sync,
    OperatorAuth: FromRef<S>,
    R: Allowed,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Some(h) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Err(unauthorized("missing Authorization: Bearer <token> header"));
        };
        let h = h
            .to_str()
            .map_err(|_| unauthorized("Authorization header is not ASCII"))?;
        let token = match h.split_once(' ') {
            Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty() => {
                t.trim()
            }
            _ => return Err(unauthorized("Authorization must be `Bearer <token>`")),
        };
        let rec = OperatorAuth::from_ref(state).authenticate(token).await?;
        if !R::ROLES.contains(&rec.role) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("role `{}` may not call this endpoint", rec.role.as_str()),
            )
            .with_detail(format!("operator {}", rec.name)));
        }
        Ok(Self {
            name: rec.name,
            role: rec.role,
            _r: PhantomData,
        })
    }
}
