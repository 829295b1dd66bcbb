//! Scam-token detection over HTTP with the token crate's compiled fixtures: a sell-blocking
//! honeypot is flagged after a real simulation, a plain ERC-20 is clean, and each kind of bad
//! input gets its own 4xx code.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

/// A compiled fixture of `custodia-token` (`crates/token/fixtures/build/<name>.json`).
fn fixture(name: &str) -> (String, String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../token/fixtures/build/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).unwrap();
    (
        v["creation"].as_str().unwrap().to_owned(),
        v["runtime"].as_str().unwrap().to_owned(),
    )
}

fn request(name: &str) -> Value {
    let (creation, runtime) = fixture(name);
    json!({
        "chain": "ethereum",
        "address": "0x00000000000000000000000000000000000000AA",
        "runtime_code": runtime,
        "deploy": [{"creation_code": creation}],
    })
}

#[tokio::test]
async fn a_honeypot_is_flagged_and_a_plain_token_is_clean() {
    for h in harnesses("token_http").await {
        let r = h
            .call(
                "POST",
                "/v1/tokens/assess",
                Some(SERVICE),
                Some(request("SellBlockHoneypot")),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", h.label, r.text);
        let j = &r.json;
        assert_eq!(j["flagged"], true, "{}", r.text);
        assert_eq!(j["is_honeypot"], true);
        assert_eq!(j["level"], "critical");
        assert_eq!(j["reasons"][0]["code"], "honeypot");
        assert_eq!(j["goplus"]["is_honeypot"], "1");
        assert_eq!(j["goplus"]["sell_tax"], "1");
        assert_eq!(j["address"], "0x00000000000000000000000000000000000000aa");
        assert_eq!(j["simulation"]["buy"]["ok"], true);
        assert_eq!(j["simulation"]["sell"]["ok"], false);
        assert_eq!(j["bytecode"]["erc20"], true);

        // The twin: a plain ERC-20 goes through the same path and nothing is found.
        let r = h
            .call(
                "POST",
                "/v1/tokens/assess",
                Some(SERVICE),
                Some(request("PlainToken")),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", h.label, r.text);
        let j = &r.json;
        assert_eq!(j["flagged"], false, "{}", r.text);
        assert_eq!(j["is_honeypot"], false);
        assert_eq!(j["score"], 0, "{}", r.text);
        assert_eq!(j["level"], "low");
        assert_eq!(j["reasons"], json!([]));
        assert_eq!(j["goplus"]["is_honeypot"], "0");
        assert_eq!(j["simulation"]["sell"]["ok"], true);
        assert_eq!(j["simulation"]["sell"]["tax_bps"], 0);

        // Each assessment is one `token.assessed` event naming the token.
        let events = h.events().await;
        let assessed: Vec<_> = events
            .iter()
            .filter(|e| e["kind"] == "token.assessed")
            .collect();
        assert_eq!(assessed.len(), 2, "{}", h.label);
        assert!(
            assessed
                .iter()
                .any(|e| e["payload"]["honeypot"] == true && e["payload"]["score"] == 100),
            "{assessed:?}"
        );

        // Without creation code only the bytecode speaks: not simulated, said so.
        let mut bare = request("SellBlockHoneypot");
        bare["deploy"] = json!([]);
        let r = h
            .call("POST", "/v1/tokens/assess", Some(SERVICE), Some(bare))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.json.get("simulation").is_none(), "{}", r.text);
        assert_eq!(r.json["is_honeypot"], false);
    }
}

#[tokio::test]
async fn bad_input_gets_a_specific_error_and_only_services_may_ask() {
    for h in harnesses("token_http_bad").await {
        let (_, runtime) = fixture("PlainToken");
        let with = |field: &str, v: Value| {
            let mut r = json!({
                "chain": "ethereum",
                "address": "0x00000000000000000000000000000000000000aa",
                "runtime_code": runtime,
            });
            r[field] = v;
            r
        };
        let cases = [
            (
                with("runtime_code", json!("0x60zz")),
                StatusCode::BAD_REQUEST,
                "invalid_hex",
            ),
            (
                with("runtime_code", json!("0x600")),
                StatusCode::BAD_REQUEST,
                "invalid_hex",
            ),
            (
                with("runtime_code", json!("0x")),
                StatusCode::BAD_REQUEST,
                "empty_code",
            ),
            (
                with("runtime_code", json!(format!("0x{}", "00".repeat(49_153)))),
                StatusCode::BAD_REQUEST,
                "code_too_large",
            ),
            (
                // JUMPDEST, then a PUSH32 with 3 of its 32 bytes, reachable from the entry.
                with("runtime_code", json!("0x5b7f010203")),
                StatusCode::UNPROCESSABLE_ENTITY,
                "truncated_push",
            ),
            (
                with("address", json!("0x1234")),
                StatusCode::BAD_REQUEST,
                "invalid_input",
            ),
            (
                with(
                    "holders",
                    json!([{"address": "0x00000000000000000000000000000000000000bb", "balance": "-5"}]),
                ),
                StatusCode::BAD_REQUEST,
                "invalid_input",
            ),
            (
                with("simulation", json!({"gas_per_tx": 16_777_217})),
                StatusCode::BAD_REQUEST,
                "invalid_input",
            ),
            (
                with("surprise", json!(1)),
                StatusCode::BAD_REQUEST,
                "invalid_body",
            ),
        ];
        for (body, status, code) in cases {
            let r = h
                .call("POST", "/v1/tokens/assess", Some(SERVICE), Some(body))
                .await;
            assert_eq!(r.status, status, "{}: {}", h.label, r.text);
            assert_eq!(r.json["code"], code, "{}", r.text);
        }
        // The twin of the truncated PUSH: the same bytes after a STOP are trailing data.
        let r = h
            .call(
                "POST",
                "/v1/tokens/assess",
                Some(SERVICE),
                Some(with("runtime_code", json!("0x005b7f010203"))),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        // Rejected input is not an assessment: no event.
        assert!(
            !h.events()
                .await
                .iter()
                .filter(|e| e["kind"] == "token.assessed")
                .any(|e| e["subject"].as_str().is_some_and(|s| s.contains("0x1234")))
        );
        let body = with("chain", json!("ethereum"));
        let r = h
            .call("POST", "/v1/tokens/assess", None, Some(body.clone()))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
        let r = h
            .call("POST", "/v1/tokens/assess", Some(GATEWAY), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    }
}

#[test]
fn the_token_section_is_validated() {
    let ok = custodia_api::Config::from_parts(
        "[token]\nlanes = 4\nmax_gas_per_tx = 5000000\nflag_at = 50\nsimulate = false\n",
        Vec::<(String, String)>::new(),
    )
    .unwrap();
    assert_eq!(ok.token.lanes, 4);
    assert!(!ok.token.simulate);
    for bad in [
        "[token]\nlanes = 0\n",
        "[token]\nflag_at = 101\n",
        "[token]\nmax_gas_per_tx = 0\n",
    ] {
        let e = custodia_api::Config::from_parts(bad, Vec::<(String, String)>::new()).unwrap_err();
        assert!(e.to_string().contains("token."), "{bad}: {e}");
    }
    let env = custodia_api::Config::from_parts(
        "",
        [("CUSTODIA_TOKEN_FLAG_AT".to_owned(), "80".to_owned())],
    )
    .unwrap();
    assert_eq!(env.token.flag_at, 80);
}

#[tokio::test]
async fn with_simulation_off_creation_code_is_ignored() {
    let mut cfg = config();
    cfg.token.simulate = false;
    for h in harnesses_with("token_http_nosim", cfg.clone()).await {
        let r = h
            .call(
                "POST",
                "/v1/tokens/assess",
                Some(SERVICE),
                Some(request("SellBlockHoneypot")),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", h.label, r.text);
        // The twin of the first test's honeypot: the same request, no simulation, so the
        // sell block cannot be seen.
        assert!(r.json.get("simulation").is_none(), "{}", r.text);
        assert_eq!(r.json["is_honeypot"], false);
    }
}

/// Scans as jobs: queued over HTTP (idempotently), run by a worker after the first worker
/// died holding the scan (its lease expired and the job was reclaimed), the assessment read
/// back over HTTP; bad requests refused before anything is queued.
#[tokio::test]
async fn scans_queue_run_after_a_dead_worker_and_read_back() {
    use custodia_events::{Clock as _, WorkQueue as _};
    use custodia_store::jobs::{JobReader as _, QueueName};
    use custodia_token::{SCAN_QUEUE, Worked};

    for h in harnesses("token_scans").await {
        let body = json!({"token": request("SellBlockHoneypot")});
        let r = h
            .call(
                "POST",
                "/v1/tokens/scans",
                Some(SERVICE),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}: {}", h.label, r.text);
        assert_eq!(r.json["created"], true);
        let id = r.json["id"].as_u64().unwrap();
        assert_eq!(r.json["status_url"], format!("/v1/tokens/scans/{id}"));
        // The same request again is the same scan.
        let r = h
            .call("POST", "/v1/tokens/scans", Some(SERVICE), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        assert_eq!(
            (r.json["id"].as_u64(), &r.json["created"]),
            (Some(id), &json!(false))
        );

        let url = format!("/v1/tokens/scans/{id}");
        let r = h.call("GET", &url, Some(SERVICE), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["state"], "queued");
        assert!(r.json["assessment"].is_null());

        // A worker claims the scan and dies with it.
        let store = &h._t.store;
        let lease = std::time::Duration::from_secs(300);
        let dead = store
            .claim_work(SCAN_QUEUE, "dead-worker", lease, h.clock.now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(dead.lease.job, id);
        let r = h.call("GET", &url, Some(SERVICE), None).await;
        assert_eq!(r.json["state"], "leased");
        // Within its lease nobody takes it over.
        assert_eq!(
            h.app.token.scans.work_once("w2").await.unwrap(),
            Worked::Idle
        );
        // After it, the next worker does.
        h.clock.advance_millis(301_000);
        match h.app.token.scans.work_once("w2").await.unwrap() {
            Worked::Done { id: done, score } => assert_eq!((done, score), (id, 100)),
            other => panic!("{}: {other:?}", h.label),
        }
        // The dead worker's late result would be refused.
        assert!(
            store
                .complete_work(&dead.lease, b"{}", h.clock.now())
                .await
                .is_err()
        );
        let r = h.call("GET", &url, Some(SERVICE), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["state"], "done");
        assert_eq!(r.json["attempts"], 2);
        let a = &r.json["assessment"];
        assert_eq!(a["is_honeypot"], true, "{}", r.text);
        assert_eq!(a["flagged"], true);
        assert_eq!(a["reasons"][0]["code"], "honeypot");
        // The worker's assessment is a `token.assessed` event like any other.
        let events = h.events().await;
        assert!(
            events
                .iter()
                .any(|e| e["kind"] == "token.assessed" && e["actor"] == "worker:w2"),
            "{}",
            h.label
        );

        // Negative twins: unknown scan, bad hex, a forked scan with no node configured.
        let r = h
            .call("GET", "/v1/tokens/scans/999999", Some(SERVICE), None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        let r = h
            .call("GET", "/v1/tokens/scans/abc", Some(SERVICE), None)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        let mut bad = request("PlainToken");
        bad["runtime_code"] = json!("0xzz");
        let r = h
            .call(
                "POST",
                "/v1/tokens/scans",
                Some(SERVICE),
                Some(json!({"token": bad})),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json["code"], "invalid_hex", "{}", r.text);
        let forked = json!({"token": request("PlainToken"), "fork": {"block": 20000000}});
        let r = h
            .call("POST", "/v1/tokens/scans", Some(SERVICE), Some(forked))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json["code"], "invalid_input", "{}", r.text);
        assert!(r.text.contains("no node"), "{}", r.text);
        // Scans need an operator.
        let r = h.call("GET", &url, None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let counts = store
            .job_counts(&QueueName::new(SCAN_QUEUE).unwrap())
            .await
            .unwrap();
        assert_eq!(
            (counts.done, counts.total()),
            (1, 1),
            "{}: nothing bad was queued",
            h.label
        );
    }
}
