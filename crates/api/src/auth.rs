//! Operator authentication: `Authorization: Bearer <token>`, tokens stored as SHA-256, roles in
//! the handler's signature (`Operator<AdminOnly>`).

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use custodia_store::{OperatorRecord, Role};
use sha2::{Digest as _, Sha256};

use crate::error::ApiError;
use crate::state::{App, Repos};

/// Which roles an endpoint admits.
pub trait Allowed: Send + Sync + 'static {
    /// The admitted roles.
    const ROLES: &'static [Role];
}

/// Admins only.
pub struct AdminOnly;
/// Machine callers (gateway, web back end) and admins.
pub struct ServiceOrAdmin;
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
impl Allowed for AuditorOrAdmin {
    const ROLES: &'static [Role] = &[Role::Analyst, Role::Admin];
}
impl Allowed for AnyOperator {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Analyst, Role::Service];
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

/// SHA-256 of a bearer token: tokens carry 256 bits of entropy, so a fast hash is enough (no
/// dictionary to resist), and the database never holds a usable token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn unauthorized(msg: &'static str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", msg)
}

impl<S: Repos, R: Allowed> FromRequestParts<App<S>> for Operator<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App<S>) -> Result<Self, ApiError> {
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
        let hash = token_hash(token);
        let ttl = Duration::from_secs(app.inner.server_cfg.operator_cache_secs);
        let cached = {
            let c = app
                .inner
                .operators
                .read()
                .unwrap_or_else(|e| e.into_inner());
            c.get(&hash)
                .filter(|(_, t)| t.elapsed() < ttl)
                .map(|(r, _)| r.clone())
        };
        let rec: OperatorRecord = match cached {
            Some(r) => r,
            None => {
                let Some(r) = app.inner.store.operator_by_token_hash(&hash).await? else {
                    return Err(unauthorized("invalid or revoked token"));
                };
                app.inner
                    .operators
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(hash, (r.clone(), Instant::now()));
                r
            }
        };
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
