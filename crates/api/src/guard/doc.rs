//! OpenAPI stubs for the guard's routes (merged into the service's document in
//! `crate::openapi`); they mirror the handlers in `routes.rs`.

#![allow(dead_code)]

use utoipa::OpenApi;

use super::wire::*;
use crate::error::ErrorBody;

#[utoipa::path(post, path = "/v1/guard/addresses/screen", request_body = ScreenRequest, security(("bearer" = [])), tag = "guard",
    description = "Screens 1 to 1000 addresses against the loaded lists (service or admin). A malformed address fails alone (`error` in its result). Listed addresses are recorded as `guard.address_screened` events; clean ones only in Prometheus unless `guard.record_clean`.",
    responses((status = 200, body = ScreenResponse), (status = 400, body = ErrorBody, description = "`empty_batch`, `batch_too_large`, `invalid_chain`, `invalid_context`, `invalid_user_id`, `invalid_json`, `invalid_body`"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
fn screen() {}

#[utoipa::path(post, path = "/v1/guard/domains/check", request_body = DomainCheckRequest, security(("bearer" = [])), tag = "guard",
    description = "Checks 1 to 1000 hosts or URLs: allowlist, official domains, blocklist, then the look-alike rules (docs/threat-intel.md §3). Verdicts `medium` and above are recorded as `guard.domain_checked` events.",
    responses((status = 200, body = DomainCheckResponse), (status = 400, body = ErrorBody, description = "`empty_batch`, `batch_too_large`, `invalid_user_id`"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
fn check_domains() {}

#[utoipa::path(post, path = "/v1/guard/poisoning/check", request_body = PoisoningRequest, security(("bearer" = [])), tag = "guard",
    description = "Whether a withdrawal destination imitates one of the user's recent counterparties (same first and last characters, different address). Flags are recorded as `guard.poisoning_flagged` events.",
    responses((status = 200, body = PoisoningResponse), (status = 400, body = ErrorBody, description = "`invalid_address` (destination or `recent[i]`), `unsupported_chain`, `invalid_chain`, `batch_too_large`, `invalid_user_id`"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
fn poisoning() {}

#[utoipa::path(post, path = "/v1/admin/guard/lists/addresses", security(("bearer" = [])), tag = "guard",
    params(
        ("format" = String, Query, description = "`ofac-sdn-xml` (OFAC SDN advanced XML), `lines` (one address per line, `#` comments), `json` (array of strings or objects with `address`, `chain`, `category`, `date`, `source`, `name`)"),
        ("source" = String, Query, description = "The list's name, 1–64 of `A-Z a-z 0-9 . _ -`: the import replaces every entry previously imported under it"),
        ("category" = Option<String>, Query, description = "`sanctions`, `hack`, `mixer`, `phishing`, `scam`; required for `lines` and `json`, `sanctions` for OFAC"),
        ("date" = Option<String>, Query, description = "Listing date `YYYY-MM-DD` for entries without one"),
        ("chain" = Option<String>, Query, description = "Validate every address for this chain instead of detecting it"),
        ("strict" = Option<bool>, Query, description = "Refuse the whole list if any entry is malformed"),
        ("allow_empty" = Option<bool>, Query, description = "Accept a list without entries (empties the source)"),
    ),
    request_body(content = String, description = "The list file, UTF-8, at most `guard.max_list_bytes`", content_type = "text/plain"),
    description = "Admin. Imports an address list; malformed entries are returned with their location and never stored; the rows and the `guard.list_imported` event are written in one transaction, then the service is rebuilt.",
    responses((status = 200, body = ListImportResponse), (status = 400, body = ErrorBody, description = "`invalid_list` (not the format, not UTF-8, no valid entry, or rejections with strict=true: nothing changed), `invalid_format`, `invalid_source`, `invalid_category`, `invalid_date`, `invalid_chain`, `invalid_query`"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
fn import_addresses() {}

#[utoipa::path(post, path = "/v1/admin/guard/lists/domains", security(("bearer" = [])), tag = "guard",
    params(
        ("format" = String, Query, description = "`lines` (hosts or URLs, one per line), `json` (array of host strings), `metamask` (eth-phishing-detect config: blocklist and allowlist)"),
        ("source" = String, Query, description = "The list's name: the import replaces its previous entries (in the lists it imports)"),
        ("list" = Option<String>, Query, description = "`block` (default) or `allow`; not with `metamask`"),
        ("category" = Option<String>, Query, description = "Category of blocked hosts (default `phishing`)"),
        ("date" = Option<String>, Query, description = "Listing date `YYYY-MM-DD`"),
        ("strict" = Option<bool>, Query),
        ("allow_empty" = Option<bool>, Query),
    ),
    request_body(content = String, description = "The list file, UTF-8", content_type = "text/plain"),
    description = "Admin. Imports a host list (public suffixes such as `com` or `pages.dev` are refused per entry).",
    responses((status = 200, body = ListImportResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
fn import_domains() {}

#[utoipa::path(post, path = "/v1/admin/guard/snapshots", security(("bearer" = [])), tag = "guard",
    description = "Admin. Publishes the loaded lists as the next snapshot version (docs/threat-intel.md §4), stored with a `guard.snapshot_published` event.",
    responses((status = 201, body = SnapshotPublished), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
fn publish() {}

#[utoipa::path(get, path = "/v1/guard/snapshot", security(("bearer" = [])), tag = "guard",
    params(("If-None-Match" = Option<String>, Header, description = "An `ETag` from an earlier download")),
    description = "Any operator. The latest published snapshot (binary, format 1). `ETag` is the quoted hex SHA-256 of the body; `X-Custodia-Snapshot-Version` its version.",
    responses((status = 200, description = "The snapshot", content_type = "application/octet-stream"), (status = 304, description = "Unchanged"), (status = 404, body = ErrorBody, description = "`no_snapshot`")))]
fn snapshot() {}

#[utoipa::path(get, path = "/v1/guard/snapshot/delta", security(("bearer" = [])), tag = "guard",
    params(("from" = u64, Query, description = "The version the client has"), ("If-None-Match" = Option<String>, Header)),
    description = "Any operator. The delta from `from` to the latest snapshot (binary); apply it with `SnapshotDelta::apply`, which refuses any other base.",
    responses((status = 200, description = "The delta", content_type = "application/octet-stream"), (status = 304, description = "Unchanged"), (status = 400, body = ErrorBody, description = "`invalid_query`"), (status = 404, body = ErrorBody, description = "`no_snapshot`, `unknown_snapshot_version` (newer than the latest, or no longer stored)")))]
fn delta() {}

#[utoipa::path(get, path = "/v1/guard/extension/snapshot/delta", tag = "guard",
    params(("from" = u64, Query, description = "The compact snapshot version the client holds"), ("If-None-Match" = Option<String>, Header)),
    description = "Public. The compact delta (binary, `CGUARDCD` format 1, docs/threat-intel.md §4.3) from `from` to the latest compact snapshot. It is not signed: apply it with `CompactDelta::apply`, which rebuilds the newer compact snapshot byte for byte or fails, then check that snapshot with `/v1/guard/extension/snapshot/signature`.",
    responses((status = 200, description = "The delta", content_type = "application/octet-stream"), (status = 204, description = "`from` is the latest version"), (status = 304, description = "Unchanged"), (status = 400, body = ErrorBody, description = "`invalid_query`"), (status = 404, body = ErrorBody, description = "`no_snapshot`, `no_signing_key`, `unknown_snapshot_version` (newer than the latest, or no longer stored)")))]
fn extension_delta() {}

#[utoipa::path(get, path = "/v1/guard/snapshot/signature", security(("bearer" = [])), tag = "guard",
    description = "Any operator. The latest snapshot's detached Ed25519 signature (122 bytes, docs/threat-intel.md §4.1); `X-Custodia-Key-Id` names the key.",
    responses((status = 200, description = "The signature", content_type = "application/octet-stream"), (status = 404, body = ErrorBody, description = "`no_snapshot`, `no_signing_key`")))]
fn signature() {}

#[utoipa::path(get, path = "/v1/guard/extension/snapshot", tag = "guard",
    params(("If-None-Match" = Option<String>, Header)),
    description = "Public (no token). The latest snapshot in compact form for browser extensions (fingerprints, docs/threat-intel.md §4.2).",
    responses((status = 200, description = "The compact snapshot", content_type = "application/octet-stream"), (status = 304, description = "Unchanged"), (status = 404, body = ErrorBody, description = "`no_snapshot`, `no_signing_key`")))]
fn extension_snapshot() {}

#[utoipa::path(get, path = "/v1/guard/extension/snapshot/signature", tag = "guard",
    description = "Public (no token). The compact snapshot's detached signature.",
    responses((status = 200, description = "The signature", content_type = "application/octet-stream"), (status = 404, body = ErrorBody, description = "`no_snapshot`, `no_signing_key`")))]
fn extension_signature() {}

#[utoipa::path(get, path = "/v1/guard/stats", security(("bearer" = [])), tag = "guard",
    params(("from" = Option<String>, Query, description = "`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS.mmmZ`, inclusive"), ("to" = Option<String>, Query, description = "exclusive; default now")),
    description = "Analyst or admin. The monthly report's guard figures, folded from the recorded `guard.*` events.",
    responses((status = 200, body = GuardStatsResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
fn stats() {}

/// The guard's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        screen,
        check_domains,
        poisoning,
        import_addresses,
        import_domains,
        publish,
        snapshot,
        delta,
        signature,
        extension_snapshot,
        extension_signature,
        extension_delta,
        stats
    ),
    components(schemas(
        ItemError,
        ScreenRequest,
        AddressHitView,
        ScreenResult,
        ScreenResponse,
        DomainCheckRequest,
        DomainResult,
        VerdictView,
        ReasonView,
        DomainCheckResponse,
        PoisoningRequest,
        PoisoningMatchView,
        PoisoningResponse,
        LocatedError,
        ImportSummary,
        ListTotals,
        ListImportResponse,
        SnapshotCountsView,
        SnapshotPublished,
        GuardReportFigures,
        GuardStatsResponse,
        GuardStatsView,
        LevelCountsView
    ))
)]
pub(crate) struct GuardDoc;
