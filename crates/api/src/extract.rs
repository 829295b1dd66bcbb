//! Extractors and helpers every service's handlers share: a JSON body whose rejections are
//! `{"code", "msg"}` with a specific code, and the same for paths and query strings.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, Query, Request};
use axum::http::StatusCode;
use custodia_primitives::AccountId;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// JSON body extractor whose rejections are `{"code", "msg"}` with a specific code.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            // The serde message is returned to the caller (it names the field) but not logged:
            // it can quote the value that was sent.
            Err(r) => Err(match &r {
                JsonRejection::MissingJsonContentType(_) => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Content-Type must be application/json",
                ),
                JsonRejection::JsonSyntaxError(_) => {
                    ApiError::bad_request("invalid_json", r.body_text())
                }
                JsonRejection::JsonDataError(_) => {
                    ApiError::bad_request("invalid_body", r.body_text())
                }
                _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "request body is too large",
                ),
                _ => ApiError::bad_request("invalid_body", r.body_text()),
            }),
        }
    }
}

/// A path parameter that did not parse.
pub fn path_error(r: PathRejection) -> ApiError {
    ApiError::bad_request("invalid_path_parameter", r.body_text())
}

/// A query string, or `invalid_query` naming what is wrong.
pub fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v)
        .map_err(|r| ApiError::bad_request("invalid_query", r.body_text()))
}

/// A user id from a path segment or field.
pub fn parse_user(s: &str) -> Result<AccountId, ApiError> {
    AccountId::new(s).map_err(|e| ApiError::bad_request("invalid_user_id", e.to_string()))
}
