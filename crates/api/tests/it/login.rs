//! The login defence over HTTP: decisions with reasons, bad input with specific 4xx codes,
//! withdrawal screening against the guard's lists, anti-phishing codes sealed at rest.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn logins_are_assessed_with_reasons_and_bad_input_gets_specific_errors() {
    for h in harnesses("login_http").await {
        let body = |user: &str, outcome: &str| {
            json!({"user": user, "ip": "192.0.2.10", "device_id": "laptop-1",
                   "user_agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0", "outcome": outcome})
        };
        let r = h
            .call(
                "POST",
                "/v1/login/assess",
                Some(SERVICE),
                Some(body("alice", "success")),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", h.label, r.text);
        assert_eq!(r.json["decision"], "allow", "{}", r.text);
        // Five wrong passwords lock the account (Keycloak semantics, factor 5).
        let mut last = serde_json::Value::Null;
        for _ in 0..5 {
            h.clock.advance_millis(5_000);
            last = h
                .call(
                    "POST",
                    "/v1/login/assess",
                    Some(SERVICE),
                    Some(body("bob", "failure")),
                )
                .await
                .json;
        }
        assert_eq!(last["decision"], "block", "{last}");
        assert_eq!(last["reasons"][0]["code"], "account_locked");
        // The right password during the lock is refused too.
        let r = h
            .call(
                "POST",
                "/v1/login/assess",
                Some(SERVICE),
                Some(body("bob", "success")),
            )
            .await;
        assert_eq!(r.json["decision"], "block", "{}", r.text);
        // Bad input: each field its own code.
        let cases = [
            (
                json!({"user": "bad user", "ip": "192.0.2.1", "device_id": "d", "outcome": "success"}),
                "invalid_user_id",
            ),
            (
                json!({"user": "u", "ip": "300.0.0.1", "device_id": "d", "outcome": "success"}),
                "invalid_ip",
            ),
            (
                json!({"user": "u", "ip": "192.0.2.1", "device_id": "", "outcome": "success"}),
                "invalid_device_id",
            ),
            (
                json!({"user": "u", "ip": "192.0.2.1", "device_id": "d", "outcome": "maybe"}),
                "invalid_outcome",
            ),
            (
                json!({"user": "u", "ip": "192.0.2.1", "device_id": "d", "outcome": "success", "user_agent": "x".repeat(5000)}),
                "invalid_user_agent",
            ),
            (
                json!({"user": "u", "ip": "192.0.2.1", "device_id": "d", "outcome": "success", "time": "2020-01-01T00:00:00.000Z"}),
                "clock_skew",
            ),
            (
                json!({"user": "u", "ip": "192.0.2.1", "device_id": "d", "outcome": "success", "time": "yesterday"}),
                "invalid_time",
            ),
        ];
        for (b, code) in cases {
            let r = h
                .call("POST", "/v1/login/assess", Some(SERVICE), Some(b))
                .await;
            assert_eq!(
                (r.status, r.json["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some(code)),
                "{}",
                r.text
            );
        }
        // The gateway role may not call it.
        let r = h
            .call(
                "POST",
                "/v1/login/assess",
                Some(GATEWAY),
                Some(body("alice", "success")),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn withdrawals_are_screened_and_anti_phishing_codes_round_trip() {
    for h in harnesses("login_withdraw_http").await {
        let real = "0x52908400098527886E0F7030069857D2E4169EE7";
        let r = h
            .call(
                "POST",
                "/v1/login/allowlist",
                Some(SERVICE),
                Some(json!({"user": "carol", "address": real})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        // Just allowlisted: held for 24 h.
        let w = |dest: &str| {
            json!({"user": "carol", "asset": "ETH", "amount": "1000000000000000000",
                   "usd_cents": 300000, "destination": dest, "recent": [real]})
        };
        let r = h
            .call(
                "POST",
                "/v1/login/withdrawals/screen",
                Some(SERVICE),
                Some(w(real)),
            )
            .await;
        assert_eq!(r.json["decision"], "hold", "{}", r.text);
        assert_eq!(r.json["reasons"][0]["code"], "new_address");
        h.clock.advance_millis(25 * 3_600_000);
        let r = h
            .call(
                "POST",
                "/v1/login/withdrawals/screen",
                Some(SERVICE),
                Some(w(real)),
            )
            .await;
        assert_eq!(r.json["decision"], "allow", "{}", r.text);
        // A look-alike of the real address (same first and last characters) is blocked.
        let fake = "0x5290840000000000000000000000000000069ee7";
        let r = h
            .call(
                "POST",
                "/v1/login/withdrawals/screen",
                Some(SERVICE),
                Some(w(fake)),
            )
            .await;
        assert_eq!(r.json["decision"], "block", "{}", r.text);
        assert!(r.text.contains("poisoned_address"), "{}", r.text);
        // Bad input.
        let mut bad = w(real);
        bad["amount"] = json!("1.5");
        let r = h
            .call(
                "POST",
                "/v1/login/withdrawals/screen",
                Some(SERVICE),
                Some(bad),
            )
            .await;
        assert_eq!(r.json["code"], "invalid_amount");
        let r = h
            .call(
                "POST",
                "/v1/login/withdrawals/screen",
                Some(SERVICE),
                Some(w("not-an-address")),
            )
            .await;
        assert_eq!(r.json["code"], "invalid_address");
        // Anti-phishing code: set, read back with a sample e-mail, never in the log.
        let r = h
            .call(
                "PUT",
                "/v1/users/carol/anti-phishing",
                Some(SERVICE),
                Some(json!({"code": "Blue42Fox"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        let r = h
            .call("GET", "/v1/users/carol/anti-phishing", Some(SERVICE), None)
            .await;
        assert_eq!(r.json["code"], "Blue42Fox");
        assert!(
            r.json["sample_email"]
                .as_str()
                .unwrap()
                .contains("[Blue42Fox]")
        );
        let r = h
            .call("GET", "/v1/users/dave/anti-phishing", Some(SERVICE), None)
            .await;
        assert_eq!(r.json["code"], "anti_phishing_not_set");
        let r = h
            .call(
                "PUT",
                "/v1/users/carol/anti-phishing",
                Some(SERVICE),
                Some(json!({"code": "no"})),
            )
            .await;
        assert_eq!(r.json["code"], "invalid_anti_phishing_code");
        let events = h.events().await;
        assert!(
            !serde_json::to_string(&events)
                .unwrap()
                .contains("Blue42Fox")
        );
        assert!(
            events
                .iter()
                .any(|e| e["kind"] == "login.withdrawal_screened")
        );
    }
}
