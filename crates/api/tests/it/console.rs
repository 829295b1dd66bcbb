//! The operator console (page, assets, panels), operator listing and revocation over HTTP, and
//! the request metrics and process metrics on `/metrics`.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use custodia_api::console::{Panel, PanelStatus};
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::common::*;

async fn get_with_headers(h: &H, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let r = h
        .router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (status, headers) = (r.status(), r.headers().clone());
    let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn the_page_and_its_assets_come_from_the_binary_under_a_strict_policy() {
    let h = harnesses("console_page").await.remove(0);
    for (path, ty, marker) in [
        ("/console", "text/html; charset=utf-8", "id=\"login-form\""),
        (
            "/console/app.js",
            "text/javascript; charset=utf-8",
            "/v1/console/panels",
        ),
        ("/console/app.css", "text/css; charset=utf-8", ".panel"),
    ] {
        let (status, hd, body) = get_with_headers(&h, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(hd[header::CONTENT_TYPE], ty, "{path}");
        assert!(body.contains(marker), "{path}");
        let csp = hd[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert_eq!(csp, custodia_api::console::CSP);
        for must in [
            "default-src 'none'",
            "script-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(must), "{csp}");
        }
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("http"),
            "{csp}"
        );
        assert_eq!(hd[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(hd[header::CACHE_CONTROL], "no-store");
    }
    // No inline script or style, nothing from another origin: the policy would block it.
    let (_, _, html) = get_with_headers(&h, "/console").await;
    assert!(!html.contains("<script>") && !html.contains("<style") && !html.contains("style="));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    let (status, _, _) = get_with_headers(&h, "/console/other.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn panels_need_an_admin_or_analyst_token() {
    for h in harnesses("console_auth").await {
        let r = h.call("GET", "/v1/console/panels", None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", h.label);
        let r = h
            .call("GET", "/v1/console/panels", Some("cst_not-a-token"), None)
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", h.label);
        for denied in [GATEWAY, SERVICE] {
            let r = h
                .call("GET", "/v1/console/panels", Some(denied), None)
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", h.label);
        }
        let r = h
            .call("GET", "/v1/console/panels", Some(ANALYST), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", h.label, r.text);
        assert_eq!(r.json["role"], "analyst");
        let ids: Vec<&str> = r.json["panels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [
                "health",
                "keys",
                "decisions",
                "guard",
                "operators",
                "fund",
                "fund-journal",
                "login",
                "protect",
                "token"
            ],
            "{}",
            h.label
        );
        let health = &r.json["panels"][0];
        assert_eq!(health["status"], "ok");
        let facts: Vec<(&str, &str)> = health["facts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["label"].as_str().unwrap(), f["value"].as_str().unwrap()))
            .collect();
        assert!(facts.contains(&("store", h.label)), "{facts:?}");
        // No list imported yet: the guard panel says so.
        assert_eq!(r.json["panels"][3]["status"], "warn");
        // The operators of the harness, never a token or hash.
        let ops = &r.json["panels"][4];
        assert_eq!(ops["facts"][0]["value"], "4");
        assert!(!r.text.contains(ADMIN) && !r.text.contains("token_hash"));
    }
}

#[tokio::test]
async fn decisions_and_key_counts_follow_the_log() {
    let h = harnesses("console_decisions").await.remove(0);
    let seed = h.enroll("carol").await;
    let (key, secret) = h.create_key("carol", &seed, &["read"], &[]).await;
    // One denial: a request with a wrong signature.
    let mut bad = h.signed(
        &key,
        &secret,
        "GET",
        "/api/v5/account/balance",
        "",
        "192.0.2.9",
    );
    bad["headers"]["OK-ACCESS-SIGN"] = json!("AAAA");
    h.verify(bad).await;
    h.app.flush().await;
    let r = h.call("GET", "/v1/console/panels", Some(ADMIN), None).await;
    let panel = |id: &str| -> Value {
        r.json["panels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap()
            .clone()
    };
    let keys = panel("keys");
    let fact = |p: &Value, l: &str| -> String {
        p["facts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["label"] == l)
            .map(|f| f["value"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no fact {l} in {p}"))
    };
    assert_eq!(fact(&keys, "created"), "1");
    assert_eq!(fact(&keys, "in use"), "1");
    assert_eq!(fact(&keys, "signed requests denied, 24 h"), "1");
    let decisions = panel("decisions");
    let kinds: Vec<&str> = decisions["table"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[2].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds[0], "gateway.request_denied",
        "newest first: {kinds:?}"
    );
    assert!(kinds.contains(&"api_key.created"), "{kinds:?}");
    assert!(!kinds.contains(&"api_key.used"), "bookkeeping is left out");
}

#[tokio::test]
async fn services_plug_their_own_panels_in_and_a_failing_one_is_contained() {
    let h = harnesses("console_plugin").await.remove(0);
    h.app.console.add("example", "Example service", || async {
        Ok(Panel::new("ignored", "ignored")
            .fact("balance", "1,000 USDT")
            .table(
                &["asset", "amount"],
                vec![vec!["USDT".into(), "1000".into()]],
            )
            .status(PanelStatus::Warn, "below target"))
    });
    h.app.console.add("broken", "Broken service", || async {
        Err("store unavailable".to_owned())
    });
    assert_eq!(
        h.app.console.ids(),
        [
            "health",
            "keys",
            "decisions",
            "guard",
            "operators",
            "fund",
            "fund-journal",
            "login",
            "protect",
            "token",
            "example",
            "broken"
        ]
    );
    let r = h.call("GET", "/v1/console/panels", Some(ADMIN), None).await;
    let panels = r.json["panels"].as_array().unwrap();
    let example = &panels[10];
    assert_eq!(
        (
            example["id"].as_str(),
            example["title"].as_str(),
            example["status"].as_str()
        ),
        (Some("example"), Some("Example service"), Some("warn")),
        "the console names the panel, whatever the loader says"
    );
    assert_eq!(example["table"]["rows"][0][1], "1000");
    let broken = &panels[11];
    assert_eq!(broken["status"], "error");
    assert!(
        broken["note"]
            .as_str()
            .unwrap()
            .contains("store unavailable")
    );
    assert_eq!(panels[0]["status"], "ok", "the other panels still load");
}

#[tokio::test]
async fn operators_are_listed_and_revoked_by_admins_only() {
    for h in harnesses("operators_http").await {
        let r = h
            .call(
                "POST",
                "/v1/operators",
                Some(ADMIN),
                Some(json!({"name": "bob", "role": "analyst"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let bob = r.json["token"].as_str().unwrap().to_owned();

        let r = h.call("GET", "/v1/operators", Some(ANALYST), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = h
            .call("DELETE", "/v1/operators/bob", Some(ANALYST), None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let r = h.call("GET", "/v1/operators", Some(ADMIN), None).await;
        assert_eq!(r.status, StatusCode::OK);
        let names: Vec<&str> = r.json["operators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"bob"), "{names:?}");
        assert!(!r.text.contains(&bob), "a listing never shows tokens");

        let r = h
            .call("DELETE", "/v1/operators/bob", Some(ADMIN), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["role"], "analyst");
        assert!(r.json["revoked_at"].is_string());
        let r = h.call("GET", "/v1/console/panels", Some(&bob), None).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{}: revoked token still works",
            h.label
        );
        let r = h
            .call("DELETE", "/v1/operators/bob", Some(ADMIN), None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.json["code"], "operator_not_found");

        let r = h
            .call("GET", "/v1/audit/events?limit=1000", Some(ADMIN), None)
            .await;
        let revoked: Vec<&Value> = r.json["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "operator.token_revoked")
            .collect();
        assert_eq!(revoked.len(), 1, "one revocation, one event");
        assert_eq!(revoked[0]["subject"], "operator:bob");
        assert_eq!(revoked[0]["actor"], "operator:root");
    }
}

#[tokio::test]
async fn requests_are_counted_by_route_template_and_the_process_is_described() {
    let h = harnesses("http_metrics").await.remove(0);
    h.call("GET", "/healthz", None, None).await;
    h.call("GET", "/v1/users/alice/api-keys", Some(SERVICE), None)
        .await;
    h.call("GET", "/v1/users/mallory/api-keys", None, None)
        .await;
    h.call("GET", "/no/such/path/123", None, None).await;
    let r = h.call("GET", "/metrics", None, None).await;
    for line in [
        "custodia_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1",
        "custodia_http_requests_total{method=\"GET\",route=\"/v1/users/{user}/api-keys\",status=\"200\"} 1",
        "custodia_http_requests_total{method=\"GET\",route=\"/v1/users/{user}/api-keys\",status=\"401\"} 1",
        "custodia_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        "custodia_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 1",
    ] {
        assert!(
            r.text.lines().any(|l| l == line),
            "missing `{line}` in\n{}",
            r.text
        );
    }
    assert!(
        !r.text.contains("alice") && !r.text.contains("mallory"),
        "raw paths leak into labels"
    );
    let build = format!(
        "custodia_build_info{{commit=\"{}\",profile=\"debug\",version=\"{}\"}} 1",
        custodia_api::BUILD_COMMIT,
        env!("CARGO_PKG_VERSION")
    );
    assert!(r.text.lines().any(|l| l == build), "missing `{build}`");
    #[cfg(target_os = "linux")]
    for name in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
    ] {
        assert!(
            r.text.lines().any(|l| l.starts_with(name)),
            "missing {name}"
        );
    }
    // Labelled metrics are known before their first use (dashboards and alert rules are
    // checked against this list).
    let names = h.app.metrics.names();
    for n in [
        "custodia_http_requests_total",
        "custodia_audit_events_dropped_total",
        "process_open_fds",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} not in {names:?}");
    }
    assert!(!names.iter().any(|x| x == "custodia_no_such_metric"));
}

/// The panel `id` of a `/v1/console/panels` answer.
fn panel<'a>(r: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    r["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no panel {id}"))
}

/// The value of the fact `label` of a panel.
fn fact<'a>(p: &'a serde_json::Value, label: &str) -> &'a str {
    p["facts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["label"] == label)
        .and_then(|f| f["value"].as_str())
        .unwrap_or_else(|| panic!("no fact {label}: {p}"))
}

#[tokio::test]
async fn the_services_panels_count_from_their_own_tables() {
    for h in harnesses("console_services").await {
        h.app.fund.service.ensure_pools().await.unwrap();
        let r = h
            .call("GET", "/v1/console/panels", Some(ANALYST), None)
            .await;
        let fund = panel(&r.json, "fund");
        assert_eq!(fund["status"], "ok", "{}: {fund}", h.label);
        assert_eq!(fact(fund, "pools"), "8");
        assert_eq!(fact(fund, "in ADL now"), "0");
        assert_eq!(panel(&r.json, "fund-journal")["table"]["rows"], json!([]));
        for id in ["login", "protect", "token"] {
            assert_eq!(panel(&r.json, id)["status"], "ok", "{}: {id}", h.label);
        }
        assert_eq!(fact(panel(&r.json, "login"), "locked now"), "0");
        assert_eq!(fact(panel(&r.json, "protect"), "cases opened"), "0");

        // A top-up and a liquidation the pool covers show up in the counts and the journal.
        let top = json!({"key": "c-top", "pool": "swap:BTC-USDT:USDT", "amount": "1000"});
        let t = h
            .call("POST", "/v1/fund/top-ups", Some(ADMIN), Some(top))
            .await;
        assert_eq!(t.status, StatusCode::CREATED, "{}", t.text);
        let r = h
            .call("GET", "/v1/console/panels", Some(ANALYST), None)
            .await;
        let fund = panel(&r.json, "fund");
        let swap = fund["table"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row[0] == "swap:BTC-USDT:USDT")
            .unwrap();
        assert_eq!(swap[1], "1000", "{}: {swap}", h.label);
        // Twin: a top-up is no deficit covered and starts no episode.
        assert_eq!(fact(fund, "deficits covered, 24 h"), "0");
        assert_eq!(fact(fund, "ADL episodes started, 24 h"), "0");
    }
}
