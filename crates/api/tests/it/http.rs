//! The HTTP API end to end over the real router and store (SQLite; PostgreSQL when configured).

use crate::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn key_lifecycle_gateway_and_audit() {
    for h in harnesses("lifecycle").await {
        let seed = h.enroll("alice").await;
        let (key, secret) = h.create_key("alice", &seed, &["read", "trade"], &[]).await;
        assert_eq!(secret.len(), 64, "{}", h.label);

        // Allowed, with key, user and permissions.
        let req = h.signed(
            &key,
            &secret,
            "GET",
            "/api/v5/account/balance?ccy=BTC",
            "",
            "203.0.113.9",
        );
        let r = h.verify(req.clone()).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json["decision"], "allow", "{}: {}", h.label, r.text);
        assert_eq!(r.json["code"], "0");
        assert_eq!(r.json["user"], "alice");
        assert_eq!(r.json["permissions"], json!(["read", "trade"]));
        // The same request again inside the window is a replay.
        let r = h.verify(req).await;
        assert_eq!(
            (r.json["decision"].as_str(), r.json["code"].as_str()),
            (Some("deny"), Some("50121")),
            "{}",
            r.text
        );

        // Usage shows up after the flush; the listing never has the secret.
        h.app.flush().await;
        let r = h
            .call("GET", "/v1/users/alice/api-keys", Some(ANALYST), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let k = &r.json["keys"][0];
        assert_eq!(k["key_id"], key.as_str());
        assert_eq!(k["last_used_at"], h.now().to_iso8601_millis());
        assert_eq!(k["expires_when_idle"], true);
        assert!(!r.text.contains(&secret));

        // Delete: only the owner's key, once; afterwards the key is invalid.
        let r = h
            .call(
                "DELETE",
                &format!("/v1/users/bob/api-keys/{key}"),
                Some(SERVICE),
                None,
            )
            .await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("key_not_found"))
        );
        let r = h
            .call(
                "DELETE",
                &format!("/v1/users/alice/api-keys/{key}"),
                Some(SERVICE),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        let r = h
            .call(
                "DELETE",
                &format!("/v1/users/alice/api-keys/{key}"),
                Some(SERVICE),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        h.clock.advance_millis(1);
        let r = h
            .verify(h.signed(
                &key,
                &secret,
                "GET",
                "/api/v5/account/balance",
                "",
                "203.0.113.9",
            ))
            .await;
        assert_eq!(r.json["code"], "50111", "{}", r.text);

        let kinds = h.kinds().await;
        for want in [
            "totp.enrolled",
            "api_key.created",
            "api_key.used",
            "gateway.request_denied",
            "api_key.deleted",
        ] {
            assert!(
                kinds.iter().any(|k| k == want),
                "{}: {want} missing from {kinds:?}",
                h.label
            );
        }
        let r = h.call("GET", "/v1/audit/verify", Some(ANALYST), None).await;
        assert_eq!(r.json["intact"], true, "{}", r.text);
        assert_eq!(r.json["head_seq"].as_u64().unwrap() as usize, kinds.len());
        assert_eq!(kinds[..3], ["operator.token_created"; 3]);
    }
}

/// One row: a description, how to break a valid request, the expected code.
type Mutate = fn(&mut Value, &H);

#[tokio::test]
async fn gateway_deny_codes() {
    for h in harnesses("deny").await {
        let seed = h.enroll("u1").await;
        let (key, secret) = h
            .create_key("u1", &seed, &["read"], &["192.0.2.0/24", "2001:db8::/48"])
            .await;
        let (other, _) = h.create_key("u1", &seed, &["read"], &[]).await;
        let cases: &[(&str, Mutate, &str)] = &[
            (
                "key header missing",
                |v, _| {
                    v["headers"]
                        .as_object_mut()
                        .unwrap()
                        .remove("OK-ACCESS-KEY");
                },
                "50103",
            ),
            (
                "key header empty",
                |v, _| v["headers"]["OK-ACCESS-KEY"] = json!(""),
                "50103",
            ),
            (
                "passphrase missing",
                |v, _| {
                    v["headers"]
                        .as_object_mut()
                        .unwrap()
                        .remove("OK-ACCESS-PASSPHRASE");
                },
                "50104",
            ),
            (
                "sign missing",
                |v, _| {
                    v["headers"]
                        .as_object_mut()
                        .unwrap()
                        .remove("OK-ACCESS-SIGN");
                },
                "50106",
            ),
            (
                "timestamp missing",
                |v, _| {
                    v["headers"]
                        .as_object_mut()
                        .unwrap()
                        .remove("OK-ACCESS-TIMESTAMP");
                },
                "50107",
            ),
            (
                "timestamp in seconds",
                |v, _| v["headers"]["OK-ACCESS-TIMESTAMP"] = json!("1767225600"),
                "50112",
            ),
            (
                "timestamp without ms",
                |v, _| v["headers"]["OK-ACCESS-TIMESTAMP"] = json!("2026-01-01T00:00:00Z"),
                "50112",
            ),
            (
                "timestamp 31 s old",
                |_, h| h.clock.advance_millis(31_000),
                "50102",
            ),
            (
                "timestamp 31 s ahead",
                |_, h| h.clock.advance_millis(-31_000),
                "50102",
            ),
            (
                "key not a uuid",
                |v, _| v["headers"]["OK-ACCESS-KEY"] = json!("not-a-key"),
                "50111",
            ),
            (
                "unknown key",
                |v, _| {
                    v["headers"]["OK-ACCESS-KEY"] = json!("0a1b2c3d-0000-4000-8000-00000000abcd")
                },
                "50111",
            ),
            (
                "sign not base64",
                |v, _| v["headers"]["OK-ACCESS-SIGN"] = json!("%%%"),
                "50113",
            ),
            (
                "sign wrong length",
                |v, _| v["headers"]["OK-ACCESS-SIGN"] = json!("AAAA"),
                "50113",
            ),
            (
                "body changed",
                |v, _| v["body"] = json!("{\"sz\":\"2\"}"),
                "50113",
            ),
            (
                "path changed",
                |v, _| v["path"] = json!("/api/v5/account/balance?ccy=ETH"),
                "50113",
            ),
            (
                "method changed",
                |v, _| v["method"] = json!("POST"),
                "50113",
            ),
            (
                "another key's id",
                |v, _| v["headers"]["OK-ACCESS-KEY"] = json!(OTHER.with(|o| o.borrow().clone())),
                "50113",
            ),
            (
                "ip outside allowlist",
                |v, _| v["client_ip"] = json!("198.51.100.7"),
                "50110",
            ),
            (
                "ipv6 outside allowlist",
                |v, _| v["client_ip"] = json!("2001:db9::1"),
                "50110",
            ),
            (
                "wrong passphrase (Argon2 path)",
                |v, _| v["headers"]["OK-ACCESS-PASSPHRASE"] = json!("Wr0ng!Passphrase"),
                "50105",
            ),
            (
                "permission missing",
                |v, _| v["required_permission"] = json!("trade"),
                "50120",
            ),
            (
                "withdraw missing",
                |v, _| v["required_permission"] = json!("withdraw"),
                "50120",
            ),
        ];
        OTHER.with(|o| *o.borrow_mut() = other.clone());
        for (name, mutate, want) in cases {
            h.clock.advance_millis(1);
            let mut req = h.signed(
                &key,
                &secret,
                "GET",
                "/api/v5/account/balance?ccy=BTC",
                "",
                "192.0.2.10",
            );
            mutate(&mut req, &h);
            let r = h.verify(req).await;
            h.clock.set(custodia_events::Timestamp::from_millis(
                h.now().as_millis().max(T0 + 120_000),
            ));
            assert_eq!(r.status, StatusCode::OK, "{}: {name}: {}", h.label, r.text);
            assert_eq!(
                r.json["decision"], "deny",
                "{}: {name}: {}",
                h.label, r.text
            );
            assert_eq!(r.json["code"], *want, "{}: {name}: {}", h.label, r.text);
            assert!(r.json["msg"].as_str().is_some_and(|m| !m.is_empty()));
            assert!(
                r.json.get("user").is_none(),
                "a denial reveals nothing about the key"
            );
        }
        // Positive twins: the same key from an allowed IPv4, IPv4-mapped IPv6 and IPv6 address.
        for ip in ["192.0.2.10", "::ffff:192.0.2.11", "2001:db8:0:1::1"] {
            h.clock.advance_millis(1);
            let r = h
                .verify(h.signed(
                    &key,
                    &secret,
                    "GET",
                    "/api/v5/account/balance?ccy=BTC",
                    "",
                    ip,
                ))
                .await;
            assert_eq!(r.json["decision"], "allow", "{}: {ip}: {}", h.label, r.text);
        }
        // Once the passphrase is verified (cached tag), a wrong one is still 50105.
        h.clock.advance_millis(1);
        let mut req = h.signed(
            &key,
            &secret,
            "GET",
            "/api/v5/account/bills",
            "",
            "192.0.2.10",
        );
        req["headers"]["OK-ACCESS-PASSPHRASE"] = json!("Wr0ng!Passphrase");
        assert_eq!(h.verify(req).await.json["code"], "50105");
        // A POST with a body and the permission it needs.
        h.clock.advance_millis(1);
        let body = r#"{"instId":"BTC-USDT","sz":"1"}"#;
        let mut req = h.signed(
            &key,
            &secret,
            "POST",
            "/api/v5/trade/order",
            body,
            "192.0.2.10",
        );
        req["required_permission"] = json!("read");
        // Fail closed: the route table says a POST to /trade needs trade, whatever the gateway
        // asked for, so this read-only key is refused.
        assert_eq!(h.verify(req).await.json["code"], "50120");
        // A route nobody configured is refused too.
        h.clock.advance_millis(1);
        let req = h.signed(&key, &secret, "GET", "/not/configured", "", "192.0.2.10");
        assert_eq!(h.verify(req).await.json["code"], "50120");
        let denied = h.decisions("gateway.request_denied").await;
        assert_eq!(
            denied,
            cases.len() as u64 + 3,
            "{}: every denial is accounted for",
            h.label
        );
    }
}

thread_local! {
    static OTHER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

#[tokio::test]
async fn malformed_gateway_requests_get_specific_errors() {
    let h = harnesses("malformed").await.remove(0);
    let good = || {
        h.signed(
            "0a1b2c3d-0000-4000-8000-00000000abcd",
            "S",
            "GET",
            "/x",
            "",
            "192.0.2.1",
        )
    };
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            "bad method",
            {
                let mut v = good();
                v["method"] = json!("GE T");
                v
            },
            StatusCode::BAD_REQUEST,
            "invalid_method",
        ),
        (
            "empty method",
            {
                let mut v = good();
                v["method"] = json!("");
                v
            },
            StatusCode::BAD_REQUEST,
            "invalid_method",
        ),
        (
            "relative path",
            {
                let mut v = good();
                v["path"] = json!("api/v5");
                v
            },
            StatusCode::BAD_REQUEST,
            "invalid_path",
        ),
        (
            "path with space",
            {
                let mut v = good();
                v["path"] = json!("/a b");
                v
            },
            StatusCode::BAD_REQUEST,
            "invalid_path",
        ),
        (
            "bad ip",
            {
                let mut v = good();
                v["client_ip"] = json!("1.2.3");
                v
            },
            StatusCode::BAD_REQUEST,
            "invalid_client_ip",
        ),
        (
            "bad permission",
            {
                let mut v = good();
                v["required_permission"] = json!("admin");
                v
            },
            StatusCode::BAD_REQUEST,
            "invalid_permission",
        ),
        (
            "missing client_ip",
            {
                let mut v = good();
                v.as_object_mut().unwrap().remove("client_ip");
                v
            },
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "unknown field",
            {
                let mut v = good();
                v["extra"] = json!(1);
                v
            },
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            // Gateways that forward every header: unrelated ones are ignored and the request
            // gets a decision (here: the key does not exist).
            "unrelated headers",
            {
                let mut v = good();
                v["headers"]["OK-ACCESS-FOO"] = json!("x");
                v["headers"]["user-agent"] = json!("python-requests/2.34.2");
                v
            },
            StatusCode::OK,
            "50111",
        ),
        (
            "one header in two spellings with different values",
            {
                let mut v = good();
                v["headers"]["ok-access-key"] = json!("0a1b2c3d-0000-4000-8000-00000000ffff");
                v
            },
            StatusCode::BAD_REQUEST,
            "ambiguous_header",
        ),
        (
            "a header value that is not a string",
            {
                let mut v = good();
                v["headers"]["OK-ACCESS-SIGN"] = json!(["a", "b"]);
                v
            },
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "wrong type",
            {
                let mut v = good();
                v["body"] = json!(5);
                v
            },
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
    ];
    for (name, body, status, code) in cases {
        let r = h.verify(body).await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (status, Some(code)),
            "{name}: {}",
            r.text
        );
        assert!(!r.json["msg"].as_str().unwrap().is_empty(), "{name}");
    }
    let raw = |body: &'static str, ct: &'static str| {
        Request::builder()
            .method("POST")
            .uri("/v1/gateway/verify")
            .header("authorization", format!("Bearer {GATEWAY}"))
            .header("content-type", ct)
            .body(Body::from(body))
            .unwrap()
    };
    for (req, status, code) in [
        (
            raw("{not json", "application/json"),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            raw("{}", "text/plain"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ] {
        let r = h.raw(req).await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (status, Some(code)),
            "{}",
            r.text
        );
    }
    let big = "x".repeat(300 * 1024);
    let r = h
        .call(
            "POST",
            "/v1/gateway/verify",
            Some(GATEWAY),
            Some(json!({ "body": big })),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large"))
    );
    let r = h.call("GET", "/v1/nothing", None, None).await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let r = h
        .call("PUT", "/v1/gateway/verify", Some(GATEWAY), None)
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
}

type Edit = Box<dyn Fn(&mut Value)>;

#[tokio::test]
async fn key_creation_rules() {
    for h in harnesses("create").await {
        let seed = h.enroll("u1").await;
        let r = h
            .call("POST", "/v1/users/u1/totp", Some(SERVICE), None)
            .await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (StatusCode::CONFLICT, Some("totp_already_enrolled"))
        );
        let body = |code: String, f: &dyn Fn(&mut Value)| {
            let mut v = json!({"totp_code": code, "label": "bot", "permissions": ["trade"], "ips": [], "passphrase": PASS});
            f(&mut v);
            v
        };
        let ips21: Vec<String> = (1..=21).map(|i| format!("192.0.2.{i}")).collect();
        // Input errors are reported before the TOTP code is spent.
        let input_cases: Vec<(&str, Edit, &str)> = vec![
            (
                "empty label",
                Box::new(|v: &mut Value| v["label"] = json!("")),
                "invalid_label",
            ),
            (
                "long label",
                Box::new(|v: &mut Value| v["label"] = json!("x".repeat(51))),
                "invalid_label",
            ),
            (
                "no permissions",
                Box::new(|v: &mut Value| v["permissions"] = json!([])),
                "invalid_permissions",
            ),
            (
                "unknown permission",
                Box::new(|v: &mut Value| v["permissions"] = json!(["admin"])),
                "invalid_permissions",
            ),
            (
                "bad cidr",
                Box::new(|v: &mut Value| v["ips"] = json!(["10.0.0.5/24"])),
                "invalid_ip",
            ),
            (
                "hostname",
                Box::new(|v: &mut Value| v["ips"] = json!(["example.com"])),
                "invalid_ip",
            ),
            (
                "21 ips",
                Box::new(move |v: &mut Value| v["ips"] = json!(ips21.clone())),
                "too_many_ips",
            ),
            (
                "weak passphrase",
                Box::new(|v: &mut Value| v["passphrase"] = json!("password")),
                "invalid_passphrase",
            ),
            (
                "missing passphrase",
                Box::new(|v: &mut Value| {
                    v.as_object_mut().unwrap().remove("passphrase");
                }),
                "invalid_body",
            ),
        ];
        h.clock.advance_millis(30_000);
        let code = seed.code_at(h.now());
        for (name, f, want) in &input_cases {
            let r = h
                .call(
                    "POST",
                    "/v1/users/u1/api-keys",
                    Some(SERVICE),
                    Some(body(code.clone(), f.as_ref())),
                )
                .await;
            assert_eq!(
                (r.status, r.json["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some(*want)),
                "{}: {name}: {}",
                h.label,
                r.text
            );
        }
        // The code is still good after those, once.
        let ok = h
            .call(
                "POST",
                "/v1/users/u1/api-keys",
                Some(SERVICE),
                Some(body(code.clone(), &|_| {})),
            )
            .await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
        let again = h
            .call(
                "POST",
                "/v1/users/u1/api-keys",
                Some(SERVICE),
                Some(body(code.clone(), &|_| {})),
            )
            .await;
        assert_eq!(
            (again.status, again.json["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("totp_reused")),
            "{}",
            h.label
        );
        // An earlier step's code is also refused once a later step was used.
        let older = seed.code_at(h.now().minus_millis(30_000));
        let r = h
            .call(
                "POST",
                "/v1/users/u1/api-keys",
                Some(SERVICE),
                Some(body(older, &|_| {})),
            )
            .await;
        assert_eq!(r.json["code"], "totp_reused", "{}", r.text);
        let r = h
            .call(
                "POST",
                "/v1/users/u1/api-keys",
                Some(SERVICE),
                Some(body("12ab56".into(), &|_| {})),
            )
            .await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("totp_malformed"))
        );
        let r = h
            .call(
                "POST",
                "/v1/users/nobody/api-keys",
                Some(SERVICE),
                Some(body("123456".into(), &|_| {})),
            )
            .await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (StatusCode::CONFLICT, Some("totp_not_enrolled"))
        );
        let r = h
            .call(
                "POST",
                "/v1/users/bad%20user/api-keys",
                Some(SERVICE),
                Some(body("123456".into(), &|_| {})),
            )
            .await;
        assert_eq!(r.json["code"], "invalid_user_id");
        // Wrong codes lock the user out after 5 failures (the reuse above counts as 2).
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let mut last = None;
        for _ in 0..4 {
            h.clock.advance_millis(30_000);
            let r = h
                .call(
                    "POST",
                    "/v1/users/u1/api-keys",
                    Some(SERVICE),
                    Some(body(wrong.into(), &|_| {})),
                )
                .await;
            last = Some((r.status, r.json["code"].as_str().unwrap().to_owned()));
        }
        assert_eq!(
            last,
            Some((StatusCode::TOO_MANY_REQUESTS, "totp_locked".to_owned())),
            "{}",
            h.label
        );
        h.clock.advance_millis(301_000);
        let fresh = seed.code_at(h.now());
        let r = h
            .call(
                "POST",
                "/v1/users/u1/api-keys",
                Some(SERVICE),
                Some(body(fresh, &|_| {})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "lockout ends: {}", r.text);
        // Two reuses, one malformed code, three wrong ones, one refusal during the lockout:
        // every refusal is accounted for (repeats as counts).
        assert_eq!(h.decisions("totp.rejected").await, 7);
        let kinds = h.kinds().await;
        assert_eq!(kinds.iter().filter(|k| *k == "api_key.created").count(), 2);
    }
}

#[tokio::test]
async fn operator_auth_and_roles() {
    let h = harnesses("auth").await.remove(0);
    let verify_body = h.signed(
        "0a1b2c3d-0000-4000-8000-00000000abcd",
        "S",
        "GET",
        "/x",
        "",
        "192.0.2.1",
    );
    let req = |auth: Option<&str>, uri: &str, method: &str| {
        let mut b = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json");
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        b.body(Body::from(verify_body.to_string())).unwrap()
    };
    let cases: Vec<(&str, Option<String>, &str, &str, StatusCode)> = vec![
        (
            "no header",
            None,
            "POST",
            "/v1/gateway/verify",
            StatusCode::UNAUTHORIZED,
        ),
        (
            "basic scheme",
            Some("Basic abc".into()),
            "POST",
            "/v1/gateway/verify",
            StatusCode::UNAUTHORIZED,
        ),
        (
            "empty bearer",
            Some("Bearer ".into()),
            "POST",
            "/v1/gateway/verify",
            StatusCode::UNAUTHORIZED,
        ),
        (
            "unknown token",
            Some("Bearer nope".into()),
            "POST",
            "/v1/gateway/verify",
            StatusCode::UNAUTHORIZED,
        ),
        (
            "analyst on gateway",
            Some(format!("Bearer {ANALYST}")),
            "POST",
            "/v1/gateway/verify",
            StatusCode::FORBIDDEN,
        ),
        (
            "service on audit",
            Some(format!("Bearer {SERVICE}")),
            "GET",
            "/v1/audit/verify",
            StatusCode::FORBIDDEN,
        ),
        (
            "service on purge",
            Some(format!("Bearer {SERVICE}")),
            "POST",
            "/v1/admin/keys/purge",
            StatusCode::FORBIDDEN,
        ),
        (
            "analyst creating operators",
            Some(format!("Bearer {ANALYST}")),
            "POST",
            "/v1/operators",
            StatusCode::FORBIDDEN,
        ),
        (
            // The web back end may not assert client IPs: only the gateway role may.
            "service on gateway",
            Some(format!("Bearer {SERVICE}")),
            "POST",
            "/v1/gateway/verify",
            StatusCode::FORBIDDEN,
        ),
        (
            "admin on gateway",
            Some(format!("bearer {ADMIN}")),
            "POST",
            "/v1/gateway/verify",
            StatusCode::FORBIDDEN,
        ),
        (
            "gateway on key management",
            Some(format!("Bearer {GATEWAY}")),
            "POST",
            "/v1/users/u1/totp",
            StatusCode::FORBIDDEN,
        ),
        (
            "gateway",
            Some(format!("bearer {GATEWAY}")),
            "POST",
            "/v1/gateway/verify",
            StatusCode::OK,
        ),
        (
            "analyst audit",
            Some(format!("Bearer {ANALYST}")),
            "GET",
            "/v1/audit/verify",
            StatusCode::OK,
        ),
    ];
    for (name, auth, method, uri, want) in cases {
        let r = h.raw(req(auth.as_deref(), uri, method)).await;
        assert_eq!(r.status, want, "{name}: {}", r.text);
        if !want.is_success() {
            let code = if want == StatusCode::UNAUTHORIZED {
                "unauthorized"
            } else {
                "forbidden"
            };
            assert_eq!(r.json["code"], code, "{name}");
        }
    }
    // Admin creates a gateway token, which then works; names are unique.
    let r = h
        .call(
            "POST",
            "/v1/operators",
            Some(ADMIN),
            Some(json!({"name": "gw-2", "role": "gateway"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = r.json["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("cst_") && token.len() > 40);
    let r = h
        .call(
            "POST",
            "/v1/gateway/verify",
            Some(&token),
            Some(verify_body.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = h
        .call(
            "POST",
            "/v1/operators",
            Some(ADMIN),
            Some(json!({"name": "gw-2", "role": "service"})),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    let r = h
        .call(
            "POST",
            "/v1/operators",
            Some(ADMIN),
            Some(json!({"name": "x", "role": "root"})),
        )
        .await;
    assert_eq!(r.json["code"], "invalid_role");
    let r = h
        .call(
            "POST",
            "/v1/operators",
            Some(ADMIN),
            Some(json!({"name": "a b", "role": "admin"})),
        )
        .await;
    assert_eq!(r.json["code"], "invalid_name");
}

#[tokio::test]
async fn idle_purge_expires_only_unbound_trade_and_withdraw_keys() {
    for h in harnesses("purge").await {
        let seed = h.enroll("u1").await;
        let (trade, trade_secret) = h.create_key("u1", &seed, &["trade"], &[]).await;
        let (withdraw, _) = h.create_key("u1", &seed, &["read", "withdraw"], &[]).await;
        let (read, _) = h.create_key("u1", &seed, &["read"], &[]).await;
        let (bound, _) = h.create_key("u1", &seed, &["trade"], &["192.0.2.1"]).await;
        let day = 86_400_000;
        // Day 10: the trade key is used, so its idle clock restarts.
        h.clock.advance_millis(10 * day);
        let r = h
            .verify(h.signed(
                &trade,
                &trade_secret,
                "POST",
                "/api/v5/trade/order",
                "{}",
                "198.51.100.1",
            ))
            .await;
        assert_eq!(r.json["decision"], "allow");
        // Day 14 + a bit: only the unused unbound withdraw key expires.
        h.clock.advance_millis(4 * day + 60_000);
        let r = h
            .call("POST", "/v1/admin/keys/purge", Some(ADMIN), None)
            .await;
        assert_eq!(r.json["expired"], 1, "{}: {}", h.label, r.text);
        // Day 24 + a bit: the trade key's 14 days since its last use are up.
        h.clock.advance_millis(10 * day);
        assert_eq!(h.app.keys.purge().await.unwrap(), 1);
        assert_eq!(h.app.keys.purge().await.unwrap(), 0, "idempotent");
        let r = h
            .call("GET", "/v1/users/u1/api-keys", Some(SERVICE), None)
            .await;
        let status: std::collections::HashMap<String, String> = r.json["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["key_id"].as_str().unwrap().to_owned(),
                    k["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(status[&trade], "expired");
        assert_eq!(status[&withdraw], "expired");
        assert_eq!(status[&read], "active");
        assert_eq!(status[&bound], "active");
        // An expired key no longer authenticates, immediately (the cache is invalidated).
        let r = h
            .verify(h.signed(
                &trade,
                &trade_secret,
                "POST",
                "/api/v5/trade/order",
                "{}",
                "198.51.100.1",
            ))
            .await;
        assert_eq!(r.json["code"], "50111");
        let events = h.events().await;
        let expired: Vec<&Value> = events
            .iter()
            .filter(|e| e["kind"] == "api_key.expired")
            .collect();
        assert_eq!(expired.len(), 2, "{}", h.label);
        assert_eq!(expired[0]["actor"], "system:idle_purge");
        assert_eq!(expired[0]["subject"], format!("api_key:{withdraw}"));
        assert_eq!(expired[1]["payload"]["idle_days"], 14);
        let r = h.call("GET", "/v1/audit/verify", Some(ADMIN), None).await;
        assert_eq!(r.json["intact"], true);
    }
}

#[tokio::test]
async fn health_metrics_and_openapi() {
    let h = harnesses("meta").await.remove(0);
    let r = h.call("GET", "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json,
        json!({"status": "ok", "backend": "sqlite", "schema_version": custodia_store::SCHEMA_VERSION})
    );
    let seed = h.enroll("m").await;
    let (key, secret) = h.create_key("m", &seed, &["read"], &[]).await;
    h.verify(h.signed(
        &key,
        &secret,
        "GET",
        "/api/v5/account/balance",
        "",
        "192.0.2.1",
    ))
    .await;
    h.verify(h.signed(
        &key,
        &secret,
        "GET",
        "/api/v5/account/balance",
        "",
        "192.0.2.1",
    ))
    .await;
    let r = h.call("GET", "/metrics", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    for line in [
        "custodia_gateway_decisions_total{decision=\"allow\",reason=\"ok\"} 1",
        "custodia_gateway_decisions_total{decision=\"deny\",reason=\"replayed\"} 1",
        "custodia_api_keys_created_total 1",
        "custodia_key_cache_entries 1",
        "custodia_gateway_check_seconds_count 2",
    ] {
        assert!(
            r.text.lines().any(|l| l == line),
            "missing `{line}` in\n{}",
            r.text
        );
    }
    let r = h.call("GET", "/openapi.json", None, None).await;
    let paths: Vec<&String> = r.json["paths"].as_object().unwrap().keys().collect();
    for p in [
        "/healthz",
        "/metrics",
        "/v1/operators",
        "/v1/users/{user}/totp",
        "/v1/users/{user}/api-keys",
        "/v1/users/{user}/api-keys/{key_id}",
        "/v1/gateway/verify",
        "/v1/audit/events",
        "/v1/audit/verify",
        "/v1/admin/keys/purge",
        "/v1/por/inclusion",
    ] {
        assert!(paths.iter().any(|x| *x == p), "{p} undocumented");
    }
    assert!(r.json["components"]["schemas"]["VerifyRequest"].is_object());
    assert_eq!(
        r.json["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn tampered_log_is_reported_by_audit_verify() {
    for h in harnesses("audit").await {
        let seed = h.enroll("t").await;
        h.create_key("t", &seed, &["read"], &[]).await;
        let drop = match h.label {
            "sqlite" => "DROP TRIGGER events_no_update",
            _ => "ALTER TABLE events DISABLE TRIGGER events_no_update",
        };
        h.app.store().execute_raw_for_tests(drop).await.unwrap();
        h.app
            .store()
            .execute_raw_for_tests("UPDATE events SET actor = 'operator:mallory' WHERE seq = 4")
            .await
            .unwrap();
        let r = h.call("GET", "/v1/audit/verify", Some(ANALYST), None).await;
        assert_eq!(r.json["intact"], false, "{}", r.text);
        assert_eq!(r.json["first_break"]["seq"], 4);
        assert_eq!(
            r.json["first_break"]["reason"],
            "hash does not match the event's contents"
        );
        let rep = custodia_events::verify_chain(h.app.store()).await.unwrap();
        assert_eq!(rep.first_break.map(|b| b.seq), Some(4));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_totp_code_works_once_even_under_concurrency() {
    for h in harnesses("totp_race").await {
        let seed = h.enroll("racer").await;
        h.clock.advance_millis(30_000);
        let code = seed.code_at(h.now());
        let body =
            json!({"totp_code": code, "label": "r", "permissions": ["read"], "passphrase": PASS});
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (router, body) = (h.router.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                use tower::ServiceExt as _;
                let req = Request::builder()
                    .method("POST")
                    .uri("/v1/users/racer/api-keys")
                    .header("authorization", format!("Bearer {SERVICE}"))
                    .header("content-type", "application/json")
                    .body(Body::from(body.to_string()))
                    .unwrap();
                router.oneshot(req).await.unwrap().status()
            }));
        }
        let mut created = 0;
        for t in tasks {
            match t.await.unwrap() {
                StatusCode::CREATED => created += 1,
                // Reused code, or refused unevaluated once the attempts are spent.
                StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS => {}
                other => panic!("{}: unexpected {other}", h.label),
            }
        }
        assert_eq!(
            created, 1,
            "{}: exactly one request may use the code",
            h.label
        );
    }
}
