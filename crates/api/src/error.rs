//! API errors: the user-facing `{"code", "msg"}` body, separate from the detail that is logged.

use std::path::PathBuf;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use custodia_events::{Offloaded, RepoError};
use custodia_keys::KeyError;
use serde::Serialize;
use thiserror::Error;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code (`invalid_json`, `unauthorized`, `totp_reused`, …).
    pub code: &'static str,
    /// Human-readable message, safe to show the caller.
    pub msg: String,
}

/// An error response. `detail` is logged and never sent; `msg` is sent and may be logged.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code.
    pub code: &'static str,
    /// Message for the caller.
    pub msg: String,
    /// Operator-only detail for the log (never secrets).
    pub detail: Option<String>,
}

impl ApiError {
    /// A new error without log detail.
    pub fn new(status: StatusCode, code: &'static str, msg: impl Into<String>) -> Self {
        Self {
            status,
            code,
            msg: msg.into(),
            detail: None,
        }
    }

    /// 400 with a specific code.
    pub fn bad_request(code: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, msg)
    }

    /// Adds log-only detail.
    pub fn with_detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }

    /// 500 whose cause goes to the log only.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
        .with_detail(detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(
                code = self.code,
                status = self.status.as_u16(),
                detail = self.detail.as_deref().unwrap_or(""),
                "request failed"
            );
        } else {
            tracing::info!(
                code = self.code,
                status = self.status.as_u16(),
                detail = self.detail.as_deref().unwrap_or(""),
                "request rejected"
            );
        }
        (
            self.status,
            Json(ErrorBody {
                code: self.code,
                msg: self.msg,
            }),
        )
            .into_response()
    }
}

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Conflict { what } => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("{what} already exists"),
            ),
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl From<Offloaded> for ApiError {
    fn from(e: Offloaded) -> Self {
        ApiError::internal(e.to_string())
    }
}

impl From<KeyError> for ApiError {
    fn from(e: KeyError) -> Self {
        let code = match &e {
            KeyError::KeyId => "invalid_key_id",
            KeyError::Label { .. } => "invalid_label",
            KeyError::Permissions { .. } => "invalid_permissions",
            KeyError::Ip { .. } => "invalid_ip",
            KeyError::TooManyIps { .. } => "too_many_ips",
            KeyError::Passphrase { .. } => "invalid_passphrase",
            KeyError::Argon2(_)
            | KeyError::Kek { .. }
            | KeyError::Unseal
            | KeyError::Corrupt { .. } => {
                return ApiError::internal(e.to_string());
            }
        };
        ApiError::bad_request(code, e.to_string())
    }
}

/// Why configuration could not be loaded. Messages never include secret values.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown or mistyped keys.
    #[error("invalid configuration: {0}")]
    Toml(String),
    /// An environment override has a value of the wrong type.
    #[error("environment variable {var}: {why}")]
    Env {
        /// The variable.
        var: String,
        /// What is wrong.
        why: String,
    },
    /// A value is out of range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}
