//! OpenAPI stubs for the key routes (mirroring `routes.rs`).

#![allow(dead_code)]

use utoipa::OpenApi;

use super::wire::*;
use crate::error::ErrorBody;

#[utoipa::path(post, path = "/v1/users/{user}/totp", params(("user" = String, Path, description = "Account id")), security(("bearer" = [])),
    responses((status = 201, body = TotpEnrolled), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
fn enroll_totp() {}

#[utoipa::path(post, path = "/v1/users/{user}/api-keys", params(("user" = String, Path, description = "Account id")), request_body = CreateKeyRequest, security(("bearer" = [])),
    responses((status = 201, body = KeyCreated), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody, description = "TOTP invalid or reused"), (status = 409, body = ErrorBody, description = "no authenticator enrolled"), (status = 429, body = ErrorBody)))]
fn create_key() {}

#[utoipa::path(get, path = "/v1/users/{user}/api-keys", params(("user" = String, Path, description = "Account id")), security(("bearer" = [])),
    responses((status = 200, body = KeyList)))]
fn list_keys() {}

#[utoipa::path(delete, path = "/v1/users/{user}/api-keys/{key_id}", params(("user" = String, Path), ("key_id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
fn delete_key() {}

#[utoipa::path(post, path = "/v1/gateway/verify", request_body = VerifyRequest, security(("bearer" = [])),
    responses((status = 200, body = VerifyResponse, description = "allow, or deny with an OKX-style code"), (status = 400, body = ErrorBody, description = "the gateway's request is malformed")))]
fn gateway_verify() {}

#[utoipa::path(post, path = "/v1/admin/keys/purge", security(("bearer" = [])), responses((status = 200, body = PurgeResult)))]
fn purge() {}

#[derive(OpenApi)]
#[openapi(
    paths(enroll_totp, create_key, list_keys, delete_key, gateway_verify, purge),
    components(schemas(
        TotpEnrolled,
        CreateKeyRequest,
        KeyCreated,
        KeyView,
        KeyList,
        VerifyRequest,
        VerifyResponse,
        PurgeResult
    ))
)]
pub(crate) struct KeysDoc;
