//! Threat intelligence over HTTP: list imports, screening, domain and poisoning checks,
//! snapshots with ETags and deltas, stats from the event log, roles, limits, and persistence
//! across a restart (SQLite; PostgreSQL when configured).

use crate::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use custodia_api::Config;
use custodia_guard::{Address, Snapshot, SnapshotDelta};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tower::ServiceExt as _;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../guard/tests/fixtures");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

/// A response with its headers and raw body.
struct Full {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
    json: Value,
}

impl Full {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
}

async fn send(
    h: &H,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Body,
) -> Full {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let r = h
        .router
        .clone()
        .oneshot(b.body(body).unwrap())
        .await
        .unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let body = axum::body::to_bytes(r.into_body(), 64 << 20)
        .await
        .unwrap()
        .to_vec();
    Full {
        status,
        headers,
        json: serde_json::from_slice(&body).unwrap_or(Value::Null),
        body,
    }
}

async fn upload(h: &H, path: &str, token: &str, body: impl Into<Body>) -> Full {
    send(
        h,
        "POST",
        path,
        Some(token),
        &[("content-type", "text/plain")],
        body.into(),
    )
    .await
}

async fn post(h: &H, path: &str, token: &str, body: Value) -> Full {
    send(
        h,
        "POST",
        path,
        Some(token),
        &[("content-type", "application/json")],
        Body::from(body.to_string()),
    )
    .await
}

async fn get(h: &H, path: &str, token: &str, headers: &[(&str, &str)]) -> Full {
    send(h, "GET", path, Some(token), headers, Body::empty()).await
}

async fn screen(h: &H, addresses: &[&str]) -> Full {
    post(
        h,
        "/v1/guard/addresses/screen",
        SERVICE,
        json!({"addresses": addresses, "context": "withdrawal", "user": "alice"}),
    )
    .await
}

fn metric(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

const LISTED_EVM: &str = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";
const CLEAN_EVM: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

#[tokio::test]
async fn import_then_screen_finds_the_address_and_records_only_alerts() {
    for h in harnesses("guard_screen").await {
        // Before any import the address is clean (the negative twin).
        let r = screen(&h, &[LISTED_EVM]).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", h.label, r.text());
        assert_eq!(r.json["results"][0]["listed"], false);

        // A community list: valid lines in several chains, comments, a duplicate, malformed lines.
        let r = upload(
            &h,
            "/v1/admin/guard/lists/addresses?format=lines&source=internal&category=hack&date=2026-01-01",
            ADMIN,
            fixture("addresses_community.txt"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", h.label, r.text());
        let part = &r.json["lists"][0];
        assert_eq!(part["kind"], "addresses");
        assert_eq!(part["accepted"], 7, "{}", r.text());
        assert_eq!(part["added"], json!({"hack": 7}));
        assert_eq!(part["duplicates"], 1);
        assert_eq!(part["rejected_count"], 5, "{}", r.text());
        let rejected = part["rejected"].as_array().unwrap();
        assert_eq!(rejected[0]["at"], "line 14", "{}", r.text());
        assert_eq!(rejected[0]["code"], "invalid_address");
        assert!(
            rejected[0]["msg"]
                .as_str()
                .unwrap()
                .contains("expected 0x followed by 40 hex digits"),
            "{}",
            r.text()
        );
        assert!(
            rejected
                .iter()
                .any(|x| x["code"] == "invalid_entry" && x["at"] == "line 18"),
            "{}",
            r.text()
        );
        assert_eq!(r.json["totals"]["addresses"], 7);
        assert!(part["event_seq"].as_u64().unwrap() > 3);

        // Screening: the listed address in another letter case, a clean one, a malformed one.
        let r = screen(
            &h,
            &[
                &LISTED_EVM.to_ascii_lowercase(),
                CLEAN_EVM,
                "0x1234",
                "bc1qxyz",
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let res = &r.json["results"];
        assert_eq!(res[0]["listed"], true, "{}", r.text());
        assert_eq!(res[0]["address"], LISTED_EVM.to_ascii_lowercase());
        assert_eq!(res[0]["chain"], "evm");
        assert_eq!(res[0]["category"], "hack");
        assert_eq!(
            res[0]["hits"],
            json!([{"category": "hack", "source": "internal", "date": "2026-01-01"}])
        );
        assert_eq!(res[1]["listed"], false);
        assert!(res[1].get("hits").is_none());
        assert_eq!(res[2]["error"]["code"], "invalid_address");
        assert_eq!(res[3]["error"]["code"], "invalid_address");
        assert_eq!(
            (r.json["listed"].as_u64(), r.json["invalid"].as_u64()),
            (Some(1), Some(2))
        );

        // Only the alert is an event; clean and malformed items are only counted in metrics.
        let events = h.events().await;
        let screened: Vec<&Value> = events
            .iter()
            .filter(|e| e["kind"] == "guard.address_screened")
            .collect();
        assert_eq!(screened.len(), 1, "{}: {events:?}", h.label);
        assert_eq!(screened[0]["subject"], "user:alice");
        assert_eq!(screened[0]["actor"], "operator:backend");
        assert_eq!(screened[0]["payload"]["context"], "withdrawal");
        assert_eq!(screened[0]["payload"]["categories"], json!(["hack"]));
        assert_eq!(screened[0]["payload"]["warning_shown"], true);
        let imported: Vec<&Value> = events
            .iter()
            .filter(|e| e["kind"] == "guard.list_imported")
            .collect();
        assert_eq!(imported.len(), 1);
        assert_eq!(imported[0]["subject"], "guard_list:internal");
        assert_eq!(imported[0]["payload"]["rejected"], 5);
        let m = h.call("GET", "/metrics", None, None).await.text;
        for (line, want) in [
            (
                "custodia_guard_checks_total{check=\"address\",result=\"clean\"}",
                2.0,
            ),
            (
                "custodia_guard_checks_total{check=\"address\",result=\"listed\"}",
                1.0,
            ),
            (
                "custodia_guard_checks_total{check=\"address\",result=\"invalid\"}",
                2.0,
            ),
            ("custodia_guard_list_entries{list=\"addresses\"}", 7.0),
            (
                "custodia_guard_imports_total{list=\"addresses\",outcome=\"ok\"}",
                1.0,
            ),
        ] {
            assert_eq!(metric(&m, line), Some(want), "{line}\n{m}");
        }
        let r = h.call("GET", "/v1/audit/verify", Some(ANALYST), None).await;
        assert_eq!(r.json["intact"], true, "{}", r.text);
    }
}

#[tokio::test]
async fn reimporting_a_list_replaces_it_and_leaves_other_lists_alone() {
    for h in harnesses("guard_replace").await {
        let ofac = upload(
            &h,
            "/v1/admin/guard/lists/addresses?format=ofac-sdn-xml&source=ofac-sdn",
            ADMIN,
            fixture("sdn_advanced_sample.xml"),
        )
        .await;
        assert_eq!(ofac.status, StatusCode::OK, "{}: {}", h.label, ofac.text());
        let part = &ofac.json["lists"][0];
        assert_eq!(part["accepted"], 9);
        assert_eq!(part["added"], json!({"sanctions": 9}));
        assert_eq!(part["rejected_count"], 2);
        assert_eq!(part["rejected"][0]["at"], "feature 59002 (line 63)");
        assert_eq!(part["unsupported_count"], 1);
        assert_eq!(part["unsupported"][0]["code"], "unsupported_chain");

        let tornado = "0xd90e2f925DA726b50C4Ed8D0Fb90Ad053324F31b";
        let r = screen(&h, &[tornado]).await;
        assert_eq!(
            r.json["results"][0]["hits"][0],
            json!({"category": "sanctions", "source": "ofac-sdn", "date": "2022-08-08", "label": "TORNADO CASH"})
        );

        let r = upload(
            &h,
            "/v1/admin/guard/lists/addresses?format=json&source=scamsniffer&category=phishing",
            ADMIN,
            fixture("scamsniffer_address.json"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json["totals"]["addresses"], 12, "{}", r.text());

        // OFAC again, now a smaller list: its old entries go, ScamSniffer's stay.
        let r = upload(
            &h,
            "/v1/admin/guard/lists/addresses?format=lines&source=ofac-sdn&category=sanctions",
            ADMIN,
            format!("{LISTED_EVM}\n"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json["removed"], 9);
        assert_eq!(r.json["inserted"], 1);
        let r = screen(
            &h,
            &[tornado, LISTED_EVM, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"],
        )
        .await;
        assert_eq!(r.json["results"][0]["listed"], false, "{}", r.text());
        assert_eq!(r.json["results"][1]["hits"][0]["source"], "ofac-sdn");
        assert_eq!(
            r.json["results"][2]["hits"],
            json!([{"category": "scam", "source": "scamsniffer", "date": "2024-05-17"}]),
            "{}",
            r.text()
        );
    }
}

#[tokio::test]
async fn malformed_lists_are_refused_with_locations_and_lose_nothing() {
    for h in harnesses("guard_malformed").await {
        let ok = upload(
            &h,
            "/v1/admin/guard/lists/addresses?format=lines&source=internal&category=scam",
            ADMIN,
            format!("{LISTED_EVM}\n"),
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
        // (query, body, status, code, message fragment)
        let cases: &[(&str, &[u8], StatusCode, &str, &str)] = &[
            (
                "format=json&source=internal&category=scam",
                b"[\"0xabc\",",
                StatusCode::BAD_REQUEST,
                "invalid_list",
                "cannot read JSON address array at line 1 column",
            ),
            (
                "format=json&source=internal&category=scam",
                b"{\"address\": \"x\"}",
                StatusCode::BAD_REQUEST,
                "invalid_list",
                "expected an array, got an object",
            ),
            (
                "format=ofac-sdn-xml&source=internal",
                b"<Other></Other>",
                StatusCode::BAD_REQUEST,
                "invalid_list",
                "root element is <Other>, expected <Sanctions>",
            ),
            (
                "format=lines&source=internal&category=scam",
                b"<html>\n<body>Not Found</body>\n",
                StatusCode::BAD_REQUEST,
                "invalid_list",
                "no valid addresses in the list (2 rejected, 0 unsupported); nothing was changed. First: line 1: invalid",
            ),
            (
                "format=lines&source=internal&category=scam&strict=true",
                b"0x8589427373D6D84E98730D7795D8f6f8731FDA16\n0xnothex\n",
                StatusCode::BAD_REQUEST,
                "invalid_list",
                "1 addresses rejected with strict=true; nothing was changed. First: line 2:",
            ),
            (
                "format=lines&source=internal&category=scam",
                b"# only comments\n\n",
                StatusCode::BAD_REQUEST,
                "invalid_list",
                "the list has no addresses; nothing was changed (pass allow_empty=true",
            ),
            (
                "format=lines&source=internal&category=scam",
                b"0x8589427373D6D84E98730D7795D8f6f8731FDA16\n\xff\xfe\n",
                StatusCode::BAD_REQUEST,
                "invalid_list",
                "not UTF-8 text (invalid byte at offset 43)",
            ),
            (
                "format=csv&source=internal&category=scam",
                b"x",
                StatusCode::BAD_REQUEST,
                "invalid_format",
                "not one of ofac-sdn-xml, lines, json",
            ),
            (
                "format=lines&source=in:ternal&category=scam",
                b"x",
                StatusCode::BAD_REQUEST,
                "invalid_source",
                "A-Z a-z 0-9 . _ -",
            ),
            (
                "format=lines&source=internal",
                b"x",
                StatusCode::BAD_REQUEST,
                "invalid_category",
                "category is required for format=lines",
            ),
            (
                "format=lines&source=internal&category=spam",
                b"x",
                StatusCode::BAD_REQUEST,
                "invalid_category",
                "unknown category",
            ),
            (
                "format=lines&source=internal&category=scam&date=2026-02-30",
                b"x",
                StatusCode::BAD_REQUEST,
                "invalid_date",
                "expected YYYY-MM-DD",
            ),
            (
                "format=lines&source=internal&category=scam&chain=xmr",
                b"x",
                StatusCode::BAD_REQUEST,
                "invalid_chain",
                "unsupported asset or chain `xmr`",
            ),
            (
                "source=internal&category=scam",
                b"x",
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "missing field `format`",
            ),
        ];
        for (q, body, status, code, msg) in cases {
            let r = upload(
                &h,
                &format!("/v1/admin/guard/lists/addresses?{q}"),
                ADMIN,
                body.to_vec(),
            )
            .await;
            assert_eq!(
                (r.status, r.code()),
                (*status, *code),
                "{}: {q}: {}",
                h.label,
                r.text()
            );
            let m = r.json["msg"].as_str().unwrap();
            assert!(m.contains(msg), "{q}: {m}");
        }
        // Nothing was lost: the earlier list is still served and still stored.
        let r = screen(&h, &[LISTED_EVM]).await;
        assert_eq!(r.json["results"][0]["listed"], true, "{}", r.text());
        let events = h.events().await;
        assert_eq!(
            events
                .iter()
                .filter(|e| e["kind"] == "guard.list_imported")
                .count(),
            1
        );
        let m = h.call("GET", "/metrics", None, None).await.text;
        assert_eq!(
            metric(
                &m,
                "custodia_guard_imports_total{list=\"addresses\",outcome=\"rejected\"}"
            ),
            Some(cases.len() as f64)
        );
        // allow_empty=true is the explicit way to empty a list.
        let r = upload(
            &h,
            "/v1/admin/guard/lists/addresses?format=lines&source=internal&category=scam&allow_empty=true",
            ADMIN,
            "",
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json["removed"], 1);
        let r = screen(&h, &[LISTED_EVM]).await;
        assert_eq!(r.json["results"][0]["listed"], false);
    }
}

#[tokio::test]
async fn roles_are_enforced() {
    let h = harnesses("guard_roles").await.remove(0);
    let lines = format!("{LISTED_EVM}\n");
    let cases: Vec<(&str, &str, Option<&str>, StatusCode)> = vec![
        (
            "POST",
            "/v1/guard/addresses/screen",
            Some(ANALYST),
            StatusCode::FORBIDDEN,
        ),
        (
            "POST",
            "/v1/guard/addresses/screen",
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "POST",
            "/v1/guard/domains/check",
            Some(ANALYST),
            StatusCode::FORBIDDEN,
        ),
        (
            "POST",
            "/v1/guard/poisoning/check",
            Some(ANALYST),
            StatusCode::FORBIDDEN,
        ),
        (
            "POST",
            "/v1/admin/guard/lists/addresses?format=lines&source=x&category=scam",
            Some(SERVICE),
            StatusCode::FORBIDDEN,
        ),
        (
            "POST",
            "/v1/admin/guard/lists/domains?format=lines&source=x",
            Some(ANALYST),
            StatusCode::FORBIDDEN,
        ),
        (
            "POST",
            "/v1/admin/guard/snapshots",
            Some(SERVICE),
            StatusCode::FORBIDDEN,
        ),
        (
            "GET",
            "/v1/guard/stats",
            Some(SERVICE),
            StatusCode::FORBIDDEN,
        ),
        ("GET", "/v1/guard/snapshot", None, StatusCode::UNAUTHORIZED),
    ];
    for (method, path, token, want) in cases {
        let r = send(
            &h,
            method,
            path,
            token,
            &[("content-type", "application/json")],
            Body::from(if path.contains("lists") {
                lines.clone()
            } else {
                json!({"addresses": [LISTED_EVM], "hosts": ["a.com"]}).to_string()
            }),
        )
        .await;
        assert_eq!(r.status, want, "{method} {path}: {}", r.text());
        let code = if want == StatusCode::FORBIDDEN {
            "forbidden"
        } else {
            "unauthorized"
        };
        assert_eq!(r.code(), code);
    }
    // The positive twins: the right roles get through.
    let r = upload(
        &h,
        "/v1/admin/guard/lists/addresses?format=lines&source=x&category=scam",
        ADMIN,
        lines,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(screen(&h, &[LISTED_EVM]).await.status, StatusCode::OK);
    let r = post(
        &h,
        "/v1/guard/addresses/screen",
        ADMIN,
        json!({"addresses": [LISTED_EVM]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        get(&h, "/v1/guard/stats", ANALYST, &[]).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&h, "/v1/guard/snapshot", SERVICE, &[]).await.code(),
        "no_snapshot"
    );
    // No event records the refused calls as decisions.
    let kinds = h.kinds().await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "guard.address_screened")
            .count(),
        2,
        "{kinds:?}"
    );
}

#[tokio::test]
async fn batch_and_body_limits() {
    let mut cfg = config();
    cfg.guard.max_list_bytes = 4096;
    let h = harness_on(custodia_store::testkit::sqlite("guard_limits").await, cfg).await;
    let many: Vec<String> = (0..1001).map(|i| format!("0x{:040x}", i)).collect();
    let r = post(
        &h,
        "/v1/guard/addresses/screen",
        SERVICE,
        json!({"addresses": many}),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "batch_too_large"),
        "{}",
        r.text()
    );
    assert!(
        r.json["msg"]
            .as_str()
            .unwrap()
            .contains("1001 items in `addresses`; at most 1000")
    );
    let r = post(
        &h,
        "/v1/guard/addresses/screen",
        SERVICE,
        json!({"addresses": many[..1000]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "exactly 1000 is fine");
    assert_eq!(r.json["results"].as_array().unwrap().len(), 1000);
    let r = post(
        &h,
        "/v1/guard/addresses/screen",
        SERVICE,
        json!({"addresses": []}),
    )
    .await;
    assert_eq!(r.code(), "empty_batch");
    let hosts: Vec<String> = (0..1001).map(|i| format!("h{i}.example")).collect();
    let r = post(
        &h,
        "/v1/guard/domains/check",
        SERVICE,
        json!({"hosts": hosts}),
    )
    .await;
    assert_eq!(r.code(), "batch_too_large");
    let r = post(
        &h,
        "/v1/guard/poisoning/check",
        SERVICE,
        json!({"user": "u", "destination": CLEAN_EVM, "recent": many}),
    )
    .await;
    assert_eq!(r.code(), "batch_too_large", "{}", r.text());
    // Other malformed requests get their own codes.
    for (body, code) in [
        (
            json!({"addresses": [CLEAN_EVM], "chain": "dogecoin"}),
            "invalid_chain",
        ),
        (
            json!({"addresses": [CLEAN_EVM], "context": "payday"}),
            "invalid_context",
        ),
        (
            json!({"addresses": [CLEAN_EVM], "user": "bad user"}),
            "invalid_user_id",
        ),
        (
            json!({"addresses": [CLEAN_EVM], "extra": 1}),
            "invalid_body",
        ),
        (json!({"addresses": CLEAN_EVM}), "invalid_body"),
    ] {
        let r = post(&h, "/v1/guard/addresses/screen", SERVICE, body.clone()).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, code),
            "{body}: {}",
            r.text()
        );
    }
    // A list over guard.max_list_bytes: 413, nothing read.
    let big = "0x8589427373D6D84E98730D7795D8f6f8731FDA16\n".repeat(200);
    let r = upload(
        &h,
        "/v1/admin/guard/lists/addresses?format=lines&source=big&category=scam",
        ADMIN,
        big,
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
        "{}",
        r.text()
    );
    assert!(
        r.json["msg"]
            .as_str()
            .unwrap()
            .contains("guard.max_list_bytes (4096 bytes)")
    );
    // A check body over server.body_limit_bytes (256 KiB): 413 too.
    let huge: Vec<String> = (0..900).map(|_| "x".repeat(300)).collect();
    let r = post(
        &h,
        "/v1/guard/domains/check",
        SERVICE,
        json!({"hosts": huge}),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
    );
}

/// List uploads have their own limit: above the server's 256 KiB, below `guard.max_list_bytes`.
#[tokio::test]
async fn list_uploads_may_exceed_the_server_body_limit() {
    let h = harnesses("guard_biglist").await.remove(0);
    let entries = custodia_guard::bench::synthetic_addresses(8_000, 3);
    let text: String = entries
        .iter()
        .map(|e| format!("{}\n", e.address.canonical()))
        .collect();
    assert!(text.len() > 256 * 1024, "{}", text.len());
    let r = upload(
        &h,
        "/v1/admin/guard/lists/addresses?format=lines&source=synthetic&category=phishing",
        ADMIN,
        text,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json["lists"][0]["accepted"], 8_000);
    let probe = entries[4321].address.canonical();
    assert_eq!(
        screen(&h, &[&probe]).await.json["results"][0]["listed"],
        true
    );
}

#[tokio::test]
async fn domain_lists_and_checks() {
    for h in harnesses("guard_domains").await {
        let r = upload(
            &h,
            "/v1/admin/guard/lists/domains?format=metamask&source=metamask&date=2026-01-03",
            ADMIN,
            fixture("metamask_config_v2.json"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", h.label, r.text());
        let lists = r.json["lists"].as_array().unwrap();
        assert_eq!(lists[0]["kind"], "blocked_domains");
        assert_eq!(lists[0]["accepted"], 3, "{}", r.text());
        assert_eq!(lists[0]["duplicates"], 1);
        assert_eq!(lists[0]["rejected_count"], 4);
        let rej = lists[0]["rejected"].as_array().unwrap();
        assert_eq!(rej[0]["at"], "blocklist entry #3", "{}", r.text());
        assert!(rej[0]["msg"].as_str().unwrap().contains("public suffix"));
        assert_eq!(rej[2]["code"], "invalid_host");
        assert_eq!(lists[1]["kind"], "allowed_domains");
        assert_eq!(lists[1]["accepted"], 2);
        assert_eq!(r.json["fuzzylist_ignored"], 2);
        // A plain host list into the allowlist, the other list untouched.
        let r = upload(
            &h,
            "/v1/admin/guard/lists/domains?format=lines&source=ours&list=allow",
            ADMIN,
            "finance.com\n",
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json["totals"]["blocked_domains"], 3);
        assert_eq!(r.json["totals"]["allowed_domains"], 3);
        for (q, code) in [
            ("format=metamask&source=m&list=block", "invalid_query"),
            ("format=lines&source=m&list=grey", "invalid_query"),
            ("format=xml&source=m", "invalid_format"),
        ] {
            let r = upload(
                &h,
                &format!("/v1/admin/guard/lists/domains?{q}"),
                ADMIN,
                "a.com",
            )
            .await;
            assert_eq!(r.code(), code, "{q}: {}", r.text());
        }
        let r = upload(
            &h,
            "/v1/admin/guard/lists/domains?format=metamask&source=m",
            ADMIN,
            "[1,",
        )
        .await;
        assert_eq!(r.code(), "invalid_list");
        assert!(
            r.json["msg"]
                .as_str()
                .unwrap()
                .contains("cannot read MetaMask config")
        );

        let r = post(
            &h,
            "/v1/guard/domains/check",
            SERVICE,
            json!({"hosts": [
                "https://login.metamask-restore.io/connect",
                "okx-login.com",
                "www.okx.com",
                "finance.com",
                "example.org",
                "bad host",
            ], "user": "bob"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let v = &r.json["results"];
        assert_eq!(v[0]["verdict"]["level"], "very-high", "{}", r.text());
        assert_eq!(v[0]["verdict"]["reasons"][0]["rule"], "blocklist");
        assert_eq!(v[1]["verdict"]["level"], "very-high", "{}", r.text());
        assert_eq!(v[1]["verdict"]["reasons"][0]["brand"], "OKX");
        assert_eq!(v[1]["verdict"]["reasons"][0]["rule"], "brand-token");
        assert_eq!(v[2]["verdict"]["level"], "none");
        assert_eq!(
            v[3]["verdict"]["level"],
            "none",
            "allowlisted: {}",
            r.text()
        );
        assert_eq!(v[4]["verdict"]["level"], "none");
        assert_eq!(v[5]["error"]["code"], "invalid_host");
        assert_eq!(
            (r.json["alerts"].as_u64(), r.json["invalid"].as_u64()),
            (Some(2), Some(1))
        );
        let events = h.events().await;
        let checked: Vec<&Value> = events
            .iter()
            .filter(|e| e["kind"] == "guard.domain_checked")
            .collect();
        assert_eq!(checked.len(), 2, "{}: alerts only", h.label);
        assert_eq!(checked[0]["subject"], "user:bob");
        assert_eq!(checked[0]["payload"]["rules"][0], "blocklist");
    }
}

#[tokio::test]
async fn poisoning_check() {
    for h in harnesses("guard_poisoning").await {
        let known = "0x1234567890abcdef1234567890abcdef12345678";
        let lookalike = "0x1234ffffffffffffffffffffffffffffffff5678";
        let call = |dest: &str, recent: Vec<&str>| {
            post(
                &h,
                "/v1/guard/poisoning/check",
                SERVICE,
                json!({"user": "carol", "destination": dest, "recent": recent}),
            )
        };
        let r = call(lookalike, vec![CLEAN_EVM, known]).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", h.label, r.text());
        assert_eq!(r.json["flagged"], true, "{}", r.text());
        assert_eq!(
            r.json["match"],
            json!({"lookalike": lookalike, "imitates": known, "prefix_len": 4, "suffix_len": 4})
        );
        // The twin: sending to the known address itself is not poisoning.
        let r = call(known, vec![known]).await;
        assert_eq!(r.json, json!({"flagged": false}));
        let r = call("0xnope", vec![known]).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, "invalid_address")
        );
        assert!(
            r.json["msg"]
                .as_str()
                .unwrap()
                .starts_with("destination: invalid")
        );
        let r = call(lookalike, vec![known, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6x"]).await;
        assert_eq!(r.code(), "invalid_address");
        assert!(
            r.json["msg"]
                .as_str()
                .unwrap()
                .starts_with("recent[1]: invalid tron address"),
            "{}",
            r.text()
        );
        let events = h.events().await;
        let flagged: Vec<&Value> = events
            .iter()
            .filter(|e| e["kind"] == "guard.poisoning_flagged")
            .collect();
        assert_eq!(flagged.len(), 1, "{}", h.label);
        assert_eq!(flagged[0]["subject"], "user:carol");
        assert_eq!(flagged[0]["payload"]["imitates"], known);
    }
}

#[tokio::test]
async fn snapshots_with_etags_and_deltas() {
    for h in harnesses("guard_snapshot").await {
        assert_eq!(
            get(&h, "/v1/guard/snapshot", SERVICE, &[]).await.code(),
            "no_snapshot"
        );
        assert_eq!(
            get(&h, "/v1/guard/snapshot/delta?from=1", SERVICE, &[])
                .await
                .code(),
            "no_snapshot"
        );
        let r = upload(
            &h,
            "/v1/admin/guard/lists/addresses?format=ofac-sdn-xml&source=ofac-sdn",
            ADMIN,
            fixture("sdn_advanced_sample.xml"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let r = post(&h, "/v1/admin/guard/snapshots", ADMIN, json!({})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}: {}", h.label, r.text());
        assert_eq!(r.json["version"], 1);
        assert_eq!(r.json["counts"]["addresses"], 9);
        let v1 = get(&h, "/v1/guard/snapshot", ANALYST, &[]).await;
        assert_eq!(v1.status, StatusCode::OK);
        assert_eq!(v1.header("content-type"), "application/octet-stream");
        assert_eq!(v1.header("x-custodia-snapshot-version"), "1");
        let sha = hex::encode(Sha256::digest(&v1.body));
        assert_eq!(v1.header("etag"), format!("\"{sha}\""));
        assert_eq!(r.json["sha256"], sha);
        let snap1 = Snapshot::from_bytes(&v1.body).unwrap();
        assert_eq!(snap1.version(), 1);
        let tornado = Address::parse_any("0xd90e2f925DA726b50C4Ed8D0Fb90Ad053324F31b").unwrap();
        assert!(snap1.contains_address(&tornado));
        // Conditional GET: 304 with the same ETag, any listed form; another tag gets the body.
        let etag = v1.header("etag").to_owned();
        for inm in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"x\", {etag}"),
            "*".into(),
        ] {
            let r = get(
                &h,
                "/v1/guard/snapshot",
                SERVICE,
                &[("if-none-match", &inm)],
            )
            .await;
            assert_eq!(r.status, StatusCode::NOT_MODIFIED, "{inm}");
            assert!(r.body.is_empty());
            assert_eq!(r.header("etag"), etag);
        }
        let r = get(
            &h,
            "/v1/guard/snapshot",
            SERVICE,
            &[("if-none-match", "\"0000\"")],
        )
        .await;
        assert_eq!((r.status, r.body.len()), (StatusCode::OK, v1.body.len()));

        // New lists, version 2; the delta from 1 rebuilds exactly version 2.
        let r = upload(
            &h,
            "/v1/admin/guard/lists/domains?format=lines&source=phish",
            ADMIN,
            fixture("phishing_hosts.txt"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let r = upload(
            &h,
            "/v1/admin/guard/lists/addresses?format=lines&source=ofac-sdn&category=sanctions",
            ADMIN,
            format!("{LISTED_EVM}\n"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let r = post(&h, "/v1/admin/guard/snapshots", ADMIN, json!({})).await;
        assert_eq!(r.json["version"], 2, "{}", r.text());
        let v2 = get(
            &h,
            "/v1/guard/snapshot",
            SERVICE,
            &[("if-none-match", &etag)],
        )
        .await;
        assert_eq!(v2.status, StatusCode::OK, "the old ETag no longer matches");
        assert_eq!(v2.header("x-custodia-snapshot-version"), "2");
        let d = get(&h, "/v1/guard/snapshot/delta?from=1", SERVICE, &[]).await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.text());
        assert_eq!(d.header("x-custodia-delta-from"), "1");
        assert_eq!(d.header("x-custodia-snapshot-version"), "2");
        assert_eq!(
            d.header("etag"),
            format!("\"{}\"", hex::encode(Sha256::digest(&d.body)))
        );
        let delta = SnapshotDelta::from_bytes(&d.body).unwrap();
        assert!(delta.removed_addresses.iter().any(|r| r.address == tornado));
        let rebuilt = delta.apply(&snap1).unwrap();
        assert_eq!(rebuilt.to_bytes(), v2.body, "{}", h.label);
        // The same delta again is served from the cache with the same tag; 304 on match.
        let again = get(
            &h,
            "/v1/guard/snapshot/delta?from=1",
            SERVICE,
            &[("if-none-match", d.header("etag"))],
        )
        .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        // From the latest version: an empty delta.
        let d2 = get(&h, "/v1/guard/snapshot/delta?from=2", SERVICE, &[]).await;
        assert_eq!(d2.status, StatusCode::OK);
        assert!(SnapshotDelta::from_bytes(&d2.body).unwrap().is_empty());
        // Unknown versions and malformed queries: clear errors.
        for (q, status, code, msg) in [
            (
                "from=3",
                StatusCode::NOT_FOUND,
                "unknown_snapshot_version",
                "snapshot version 3 does not exist: the latest published version is 2",
            ),
            (
                "from=0",
                StatusCode::NOT_FOUND,
                "unknown_snapshot_version",
                "snapshot version 0 is not stored",
            ),
            ("from=abc", StatusCode::BAD_REQUEST, "invalid_query", "from"),
            (
                "",
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "missing field `from`",
            ),
            (
                "from=1&to=2",
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "unknown field `to`",
            ),
        ] {
            let r = get(&h, &format!("/v1/guard/snapshot/delta?{q}"), SERVICE, &[]).await;
            assert_eq!((r.status, r.code()), (status, code), "{q}: {}", r.text());
            assert!(
                r.json["msg"].as_str().unwrap().contains(msg),
                "{q}: {}",
                r.text()
            );
        }
        let kinds = h.kinds().await;
        assert_eq!(
            kinds
                .iter()
                .filter(|k| *k == "guard.snapshot_published")
                .count(),
            2
        );
    }
}

#[tokio::test]
async fn old_snapshots_are_pruned_and_deltas_from_them_refused() {
    let mut cfg = config();
    cfg.guard.snapshots_kept = 2;
    for t in custodia_store::testkit::stores("guard_prune").await {
        let h = harness_on(t, cfg.clone()).await;
        for i in 0..3u8 {
            let r = upload(
                &h,
                "/v1/admin/guard/lists/addresses?format=lines&source=s&category=scam",
                ADMIN,
                format!("0x{}\n", hex::encode([i + 1; 20])),
            )
            .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            let r = post(&h, "/v1/admin/guard/snapshots", ADMIN, json!({})).await;
            assert_eq!(r.json["version"], u64::from(i) + 1);
        }
        let r = get(&h, "/v1/guard/snapshot/delta?from=1", SERVICE, &[]).await;
        assert_eq!(r.code(), "unknown_snapshot_version", "{}", h.label);
        assert!(
            r.json["msg"]
                .as_str()
                .unwrap()
                .contains("keeps the newest 2")
        );
        let r = get(&h, "/v1/guard/snapshot/delta?from=2", SERVICE, &[]).await;
        assert_eq!(r.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn stats_fold_the_recorded_events() {
    for h in harnesses("guard_stats").await {
        upload(
            &h,
            "/v1/admin/guard/lists/addresses?format=ofac-sdn-xml&source=ofac-sdn",
            ADMIN,
            fixture("sdn_advanced_sample.xml"),
        )
        .await;
        upload(
            &h,
            "/v1/admin/guard/lists/addresses?format=json&source=scamsniffer&category=phishing",
            ADMIN,
            fixture("scamsniffer_address.json"),
        )
        .await;
        upload(
            &h,
            "/v1/admin/guard/lists/domains?format=lines&source=phish",
            ADMIN,
            "evil-one.net\nevil-two.net\n",
        )
        .await;
        h.clock.advance_millis(86_400_000);
        let day2 = h.now();
        screen(
            &h,
            &[
                "0xd90e2f925DA726b50C4Ed8D0Fb90Ad053324F31b",
                "0x00000000000000000000000000000000000000aa",
            ],
        )
        .await;
        post(
            &h,
            "/v1/guard/domains/check",
            SERVICE,
            json!({"hosts": ["evil-one.net", "binnance.com", "opensearch.org", "example.org"]}),
        )
        .await;
        post(
            &h,
            "/v1/guard/poisoning/check",
            SERVICE,
            json!({"user": "u", "destination": "0x1234ffffffffffffffffffffffffffffffff5678",
                   "recent": ["0x1234567890abcdef1234567890abcdef12345678"]}),
        )
        .await;
        // A clean destination: counted as a check, not as a flag.
        post(
            &h,
            "/v1/guard/poisoning/check",
            SERVICE,
            json!({"user": "u", "destination": "0x1234567890abcdef1234567890abcdef12345678",
                   "recent": ["0x1234567890abcdef1234567890abcdef12345678"]}),
        )
        .await;
        let r = get(&h, "/v1/guard/stats", ANALYST, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", h.label, r.text());
        let s = &r.json["stats"];
        assert_eq!(r.json["record_clean"], false);
        assert_eq!(
            s["addresses_recorded"],
            json!({"sanctions": 9, "phishing": 3, "scam": 1}),
            "{}",
            r.text()
        );
        assert_eq!(s["domains_recorded"], 2);
        // Checks are counted as checks (clean ones too), alerts as alerts.
        assert_eq!(s["addresses_screened"], 2);
        assert_eq!(s["domains_checked"], 4);
        assert_eq!(s["address_hits"], json!({"sanctions": 1}));
        assert_eq!(
            s["domain_alerts"],
            json!({"very_high": 1, "high": 1, "medium": 1}),
            "{}",
            r.text()
        );
        assert_eq!(s["lookalikes_caught"], 1);
        assert_eq!(s["poisoning_flagged"], 1);
        assert_eq!(s["poisoning_checked"], 2);
        assert_eq!(
            r.json["report"],
            json!({
                "phishing_addresses_recorded": 4,
                "black_addresses_recorded": 9,
                "risk_domain_alerts": 2,
                "very_high_risk_domain_alerts": 1,
                "very_high_risk_domains_recorded": 2,
                "similar_addresses_recorded": 1,
                "tx_warnings_shown": 2,
            })
        );
        // A window: day 2 only has the checks, not the imports.
        let from = day2.to_iso8601_millis();
        let r = get(&h, &format!("/v1/guard/stats?from={from}"), ADMIN, &[]).await;
        assert_eq!(
            r.json["report"]["black_addresses_recorded"],
            0,
            "{}",
            r.text()
        );
        assert_eq!(r.json["report"]["risk_domain_alerts"], 2);
        // 1 screening alert, 3 verdicts of medium and above, 1 poisoning flag, 2 batch counts
        // and 2 poisoning-check counts.
        assert_eq!(r.json["events"], 9);
        let r = get(&h, "/v1/guard/stats?to=2025-12-31", ADMIN, &[]).await;
        assert_eq!(r.json["events"], 0, "{}", r.text());
        for q in [
            "from=yesterday",
            "from=2026-01-02&to=2026-01-01",
            "since=2026-01-01",
        ] {
            let r = get(&h, &format!("/v1/guard/stats?{q}"), ADMIN, &[]).await;
            assert_eq!(r.code(), "invalid_query", "{q}: {}", r.text());
        }
    }
}

#[tokio::test]
async fn record_clean_records_every_decision() {
    let mut cfg = config();
    cfg.guard.record_clean = true;
    let h = harness_on(custodia_store::testkit::sqlite("guard_clean").await, cfg).await;
    screen(&h, &[CLEAN_EVM, "0xnope"]).await;
    post(
        &h,
        "/v1/guard/domains/check",
        SERVICE,
        json!({"hosts": ["example.org"]}),
    )
    .await;
    let kinds = h.kinds().await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "guard.address_screened")
            .count(),
        1
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "guard.domain_checked")
            .count(),
        1
    );
}

#[tokio::test]
async fn configured_brands_are_protected() {
    let cfg = {
        let mut c = Config::from_parts(
            "[keys]\nargon2_memory_kib = 64\nargon2_iterations = 1\n\
             [[guard.brands]]\nname = \"Example Exchange\"\ndomains = [\"exexchange.com\"]\n",
            Vec::<(String, String)>::new(),
        )
        .unwrap();
        c.secrets.kek = config().secrets.kek;
        c
    };
    let h = harness_on(custodia_store::testkit::sqlite("guard_brands").await, cfg).await;
    let r = post(
        &h,
        "/v1/guard/domains/check",
        SERVICE,
        json!({"hosts": ["exexchange-login.com", "www.exexchange.com", "okx-login.com"]}),
    )
    .await;
    let v = &r.json["results"];
    assert_eq!(v[0]["verdict"]["level"], "very-high", "{}", r.text());
    assert_eq!(v[0]["verdict"]["reasons"][0]["brand"], "Example Exchange");
    assert_eq!(v[1]["verdict"]["level"], "none");
    assert_eq!(
        v[2]["verdict"]["level"], "very-high",
        "defaults still apply"
    );
}

/// The lists and the published snapshot are in the store: a new service over the same
/// database (a restart) serves them as before.
#[tokio::test]
async fn a_restart_keeps_the_imported_lists_and_the_snapshot() {
    for t in custodia_store::testkit::stores("guard_restart").await {
        let url = t.url.clone();
        let h = harness_on(t, config()).await;
        let r = upload(
            &h,
            "/v1/admin/guard/lists/addresses?format=ofac-sdn-xml&source=ofac-sdn",
            ADMIN,
            fixture("sdn_advanced_sample.xml"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        upload(
            &h,
            "/v1/admin/guard/lists/domains?format=metamask&source=metamask",
            ADMIN,
            fixture("metamask_config_list.json"),
        )
        .await;
        let published = post(&h, "/v1/admin/guard/snapshots", ADMIN, json!({})).await;
        let before = get(&h, "/v1/guard/snapshot", SERVICE, &[]).await;

        let store = custodia_store::Store::open(&url, 2).await.unwrap();
        let app = custodia_api::Services::new(
            store,
            std::sync::Arc::new(h.clock.clone()),
            std::sync::Arc::new(custodia_events::SeededEntropy::new(7)),
            custodia_keys::Kek::parse(config().secrets.kek.as_ref().unwrap()).unwrap(),
            &config(),
            None,
            crate::common::guard_intel,
        );
        let loaded = app.guard.reload().await.unwrap();
        assert_eq!(
            (
                loaded.totals.addresses,
                loaded.totals.blocked,
                loaded.totals.allowed,
                loaded.snapshot_version
            ),
            (9, 4, 1, Some(1)),
            "{}",
            h.label
        );
        let h2 = H {
            label: h.label,
            router: app.router(),
            app,
            clock: h.clock.clone(),
            _t: h._t,
        };
        let r = screen(&h2, &["0x722122DF12D4E14E13AC3B6895A86E84145B6967"]).await;
        assert_eq!(
            r.json["results"][0]["hits"][0]["label"],
            "TORNADO CASH",
            "{}",
            r.text()
        );
        let r = post(
            &h2,
            "/v1/guard/domains/check",
            SERVICE,
            json!({"hosts": ["okx-login.com"]}),
        )
        .await;
        assert_eq!(
            r.json["results"][0]["verdict"]["reasons"][0]["rule"],
            "blocklist",
            "{}",
            r.text()
        );
        let after = get(&h2, "/v1/guard/snapshot", SERVICE, &[]).await;
        assert_eq!(after.header("etag"), before.header("etag"));
        assert_eq!(after.body, before.body);
        assert_eq!(published.json["version"], 1);
        let m = h2.call("GET", "/metrics", None, None).await.text;
        assert_eq!(
            metric(&m, "custodia_guard_list_entries{list=\"addresses\"}"),
            Some(9.0)
        );
        assert_eq!(metric(&m, "custodia_guard_snapshot_version"), Some(1.0));
    }
}

#[tokio::test]
async fn guard_routes_are_documented() {
    let h = harnesses("guard_doc").await.remove(0);
    let r = h.call("GET", "/openapi.json", None, None).await;
    let paths = r.json["paths"].as_object().unwrap();
    for p in [
        "/v1/guard/addresses/screen",
        "/v1/guard/domains/check",
        "/v1/guard/poisoning/check",
        "/v1/admin/guard/lists/addresses",
        "/v1/admin/guard/lists/domains",
        "/v1/admin/guard/snapshots",
        "/v1/guard/snapshot",
        "/v1/guard/snapshot/delta",
        "/v1/guard/stats",
        "/v1/gateway/verify",
    ] {
        assert!(paths.contains_key(p), "{p} undocumented");
    }
    assert!(r.json["components"]["schemas"]["ScreenResponse"].is_object());
    assert_eq!(
        r.json["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

/// A GET with no token, as a user's browser sends it.
async fn public_get(h: &H, path: &str) -> Full {
    send(h, "GET", path, None, &[], Body::empty()).await
}

/// Signed snapshots: without a key the signature and extension endpoints say so; with one, the
/// full snapshot's signature verifies under the key, and the compact snapshot for browser
/// extensions is public, signed, and finds what the full one lists.
#[tokio::test]
async fn signed_snapshots_and_the_extension_files() {
    use custodia_guard::{CompactDelta, CompactSnapshot, SnapshotSignature, SnapshotSigningKey};
    const NEW_EVM: &str = "0x1111111111111111111111111111111111111111";
    for mut h in harnesses("guard_signed").await {
        let r = upload(
            &h,
            "/v1/admin/guard/lists/addresses?format=lines&source=ofac-sdn&category=sanctions",
            ADMIN,
            format!("{LISTED_EVM}\n"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        // No key configured: a clear 404, never an unsigned file.
        for path in [
            "/v1/guard/snapshot/signature",
            "/v1/guard/extension/snapshot",
            "/v1/guard/extension/snapshot/signature",
        ] {
            let r = get(&h, path, SERVICE, &[]).await;
            assert_eq!(r.code(), "no_signing_key", "{path}: {}", r.text());
        }
        let key = SnapshotSigningKey::from_seed(&[9; 32]);
        let public = key.public();
        h.app.guard.set_signer(key);
        h.router = h.app.router();
        let r = get(&h, "/v1/guard/extension/snapshot", SERVICE, &[]).await;
        assert_eq!(r.code(), "no_snapshot", "{}", r.text());
        let r = post(&h, "/v1/admin/guard/snapshots", ADMIN, json!({})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

        let full = get(&h, "/v1/guard/snapshot", SERVICE, &[]).await;
        let sig = get(&h, "/v1/guard/snapshot/signature", SERVICE, &[]).await;
        assert_eq!(sig.status, StatusCode::OK, "{}", sig.text());
        assert_eq!(sig.header("x-custodia-key-id"), public.key_id_hex());
        let sig = SnapshotSignature::from_bytes(&sig.body).unwrap();
        let snap = sig.open(&full.body, &[public]).unwrap();
        assert_eq!(snap.version(), 1);
        // The twin: another key is refused.
        let other = SnapshotSigningKey::from_seed(&[10; 32]).public();
        assert!(sig.open(&full.body, &[other]).is_err());

        // The extension's files need no token.
        let c = public_get(&h, "/v1/guard/extension/snapshot").await;
        assert_eq!(c.status, StatusCode::OK, "{}", c.text());
        assert_eq!(c.header("x-custodia-snapshot-version"), "1");
        let cs = public_get(&h, "/v1/guard/extension/snapshot/signature").await;
        let compact = SnapshotSignature::from_bytes(&cs.body)
            .unwrap()
            .open_compact(&c.body, &[public])
            .unwrap();
        let listed = Address::parse_any(LISTED_EVM).unwrap();
        assert!(compact.address_category(&listed).is_some());
        assert!(c.body.len() < full.body.len());
        // A flipped byte in the compact file: refused under the same signature.
        let mut bad = c.body.clone();
        let n = bad.len() - 1;
        bad[n] ^= 1;
        assert!(
            SnapshotSignature::from_bytes(&cs.body)
                .unwrap()
                .open_compact(&bad, &[public])
                .is_err()
        );
        assert_eq!(CompactSnapshot::from_bytes(&c.body).unwrap(), compact);

        // Up to date: 204, nothing to download.
        let path = "/v1/guard/extension/snapshot/delta?from=1";
        let r = public_get(&h, path).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        assert_eq!(r.header("x-custodia-snapshot-version"), "1");
        assert_eq!(r.header("x-custodia-snapshot-hash"), compact.hash_hex());
        assert_eq!(r.header("cache-control"), "no-cache");
        // Version 2 lists one more address: the extension holding version 1 downloads a delta
        // (no token), rebuilds version 2 from it and checks it with the compact signature.
        let r = upload(
            &h,
            "/v1/admin/guard/lists/addresses?format=lines&source=internal&category=scam",
            ADMIN,
            format!("{NEW_EVM}\n"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let r = post(&h, "/v1/admin/guard/snapshots", ADMIN, json!({})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let d = public_get(&h, path).await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.text());
        assert_eq!(d.header("x-custodia-delta-from"), "1");
        assert_eq!(d.header("x-custodia-snapshot-version"), "2");
        let c2 = public_get(&h, "/v1/guard/extension/snapshot").await;
        assert!(
            d.body.len() * 4 < c2.body.len(),
            "{} vs {}",
            d.body.len(),
            c2.body.len()
        );
        let rebuilt = CompactDelta::from_bytes(&d.body)
            .unwrap()
            .apply(&compact)
            .unwrap();
        assert_eq!(rebuilt.to_bytes(), c2.body);
        let sig2 = public_get(&h, "/v1/guard/extension/snapshot/signature").await;
        let opened = SnapshotSignature::from_bytes(&sig2.body)
            .unwrap()
            .open_compact(&rebuilt.to_bytes(), &[public])
            .unwrap();
        assert!(
            opened
                .address_category(&Address::parse_any(NEW_EVM).unwrap())
                .is_some()
        );
        // The twin: version 1's signature does not open the rebuilt version 2.
        assert!(
            SnapshotSignature::from_bytes(&cs.body)
                .unwrap()
                .open_compact(&rebuilt.to_bytes(), &[public])
                .is_err()
        );
        // Bad queries: clear errors.
        for (q, code) in [
            ("from=3", "unknown_snapshot_version"),
            ("from=x", "invalid_query"),
            ("", "invalid_query"),
        ] {
            let p = format!("/v1/guard/extension/snapshot/delta?{q}");
            let r = public_get(&h, &p).await;
            assert_eq!(r.code(), code, "{q}: {}", r.text());
        }
    }
}
