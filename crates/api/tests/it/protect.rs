//! User protection over HTTP: the order check per channel, a cooling-off that no route ends,
//! account caps, diagnosis and the recovery-case workflow with roles, and bad input refused
//! with specific codes and nothing written.

use axum::http::StatusCode;
use custodia_events::EventReader as _;
use serde_json::json;

use crate::common::*;

fn order(channel: &str, side: &str, position: &str, reduce_only: bool) -> serde_json::Value {
    json!({"user": "alice", "channel": channel, "product": "perpetual", "instrument": "BTC-USDT-SWAP",
           "side": side, "size": "1", "position": position, "reduce_only": reduce_only, "leverage": "2",
           "order_usd_cents": 10000})
}

#[tokio::test]
async fn cooling_off_over_http_binds_every_channel_and_cannot_be_ended() {
    for h in harnesses("protect_http").await {
        let r = h
            .call(
                "PUT",
                "/v1/protect/accounts/alice",
                Some(SERVICE),
                Some(json!({"opened_at": "2024-01-01T00:00:00.000Z"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", h.label, r.text);
        let r = h
            .call(
                "POST",
                "/v1/protect/accounts/alice/knowledge-check",
                Some(SERVICE),
                None,
            )
            .await;
        assert_eq!(r.json["protected_account"], false, "{}", r.text);
        let r = h
            .call(
                "POST",
                "/v1/protect/orders/check",
                Some(GATEWAY),
                Some(order("api", "buy", "0", false)),
            )
            .await;
        assert_eq!(r.json["decision"], "allow", "{}", r.text);

        let r = h
            .call(
                "PUT",
                "/v1/protect/users/alice/cooling-off",
                Some(SERVICE),
                Some(json!({"days": 7})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["until"], "2026-01-08T00:00:00.000Z");
        for ch in [
            "web",
            "app",
            "api",
            "websocket",
            "bot",
            "copy_trading",
            "broker_oauth",
            "strategy",
        ] {
            let r = h
                .call(
                    "POST",
                    "/v1/protect/orders/check",
                    Some(GATEWAY),
                    Some(order(ch, "buy", "0", false)),
                )
                .await;
            assert_eq!(r.json["decision"], "deny", "{ch}: {}", r.text);
            assert_eq!(r.json["reasons"][0]["code"], "cooling_off");
            let r = h
                .call(
                    "POST",
                    "/v1/protect/orders/check",
                    Some(GATEWAY),
                    Some(order(ch, "sell", "4", false)),
                )
                .await;
            assert_eq!(
                (r.json["decision"].as_str(), r.json["effect"].as_str()),
                (Some("allow"), Some("reduce")),
                "{ch}"
            );
            let r = h
                .call(
                    "POST",
                    "/v1/protect/orders/check",
                    Some(GATEWAY),
                    Some(order(ch, "buy", "0", true)),
                )
                .await;
            assert_eq!(r.json["decision"], "allow", "{ch}: {}", r.text);
        }
        // No route ends or shortens it.
        let r = h
            .call(
                "DELETE",
                "/v1/protect/users/alice/cooling-off",
                Some(ADMIN),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.text);
        // The refused orders above are queued events: write them before counting.
        h.app.flush().await;
        let before = h.app.store().head().await.unwrap().0;
        let r = h
            .call(
                "PUT",
                "/v1/protect/users/alice/cooling-off",
                Some(ADMIN),
                Some(json!({"days": 3})),
            )
            .await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (StatusCode::CONFLICT, Some("cooling_off_cannot_shorten")),
            "{}",
            r.text
        );
        let r = h
            .call(
                "PUT",
                "/v1/protect/users/alice/cooling-off",
                Some(ADMIN),
                Some(json!({"days": 2})),
            )
            .await;
        assert_eq!(r.json["code"], "invalid_cooling_off_days", "{}", r.text);
        let r = h
            .call(
                "PUT",
                "/v1/protect/users/alice/cooling-off",
                Some(ADMIN),
                Some(json!({"days": 0, "end": true})),
            )
            .await;
        assert_eq!(r.json["code"], "invalid_body", "{}", r.text);
        assert_eq!(
            h.app.store().head().await.unwrap().0,
            before,
            "{}: refusals wrote",
            h.label
        );
        let r = h
            .call(
                "GET",
                "/v1/protect/users/alice/cooling-off",
                Some(SERVICE),
                None,
            )
            .await;
        assert_eq!(
            (r.json["active"].as_bool(), r.json["until"].as_str()),
            (Some(true), Some("2026-01-08T00:00:00.000Z"))
        );
        // Extending is allowed.
        let r = h
            .call(
                "PUT",
                "/v1/protect/users/alice/cooling-off",
                Some(SERVICE),
                Some(json!({"days": 30})),
            )
            .await;
        assert_eq!(r.json["until"], "2026-01-31T00:00:00.000Z", "{}", r.text);

        // Roles: analysts cannot check orders; no token, no answer.
        let r = h
            .call(
                "POST",
                "/v1/protect/orders/check",
                Some(ANALYST),
                Some(order("api", "buy", "0", false)),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = h
            .call(
                "POST",
                "/v1/protect/orders/check",
                None,
                Some(order("api", "buy", "0", false)),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        // Bad orders: each field its code.
        let bad = [
            (
                json!({"user": "alice", "channel": "fax", "product": "perpetual", "instrument": "X", "side": "buy", "size": "1"}),
                "invalid_channel",
            ),
            (
                json!({"user": "alice", "channel": "api", "product": "nft", "instrument": "X", "side": "buy", "size": "1"}),
                "invalid_product",
            ),
            (
                json!({"user": "alice", "channel": "api", "product": "spot", "instrument": "X", "side": "hodl", "size": "1"}),
                "invalid_side",
            ),
            (
                json!({"user": "alice", "channel": "api", "product": "spot", "instrument": "X", "side": "buy", "size": "0"}),
                "invalid_size",
            ),
            (
                json!({"user": "alice", "channel": "api", "product": "spot", "instrument": "X", "side": "buy", "size": "1", "leverage": "0"}),
                "invalid_leverage",
            ),
            (
                json!({"user": "bad user", "channel": "api", "product": "spot", "instrument": "X", "side": "buy", "size": "1"}),
                "invalid_user_id",
            ),
            (
                json!({"user": "alice", "channel": "api", "product": "spot", "instrument": "X Y", "side": "buy", "size": "1"}),
                "invalid_instrument",
            ),
        ];
        for (body, code) in bad {
            let r = h
                .call(
                    "POST",
                    "/v1/protect/orders/check",
                    Some(GATEWAY),
                    Some(body),
                )
                .await;
            assert_eq!(
                (r.status, r.json["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some(code)),
                "{}",
                r.text
            );
        }
    }
}

#[tokio::test]
async fn wrong_deposits_are_diagnosed_and_recovered_under_four_eyes() {
    for h in harnesses("protect_cases_http").await {
        let evm = "0x1111111111111111111111111111111111111111";
        let r = h
            .call(
                "PUT",
                "/v1/protect/deposit-addresses",
                Some(SERVICE),
                Some(json!({"user": "alice", "network": "ethereum", "address": evm})),
            )
            .await;
        assert_eq!(
            (r.status, r.json["key"].as_str()),
            (
                StatusCode::OK,
                Some("evm:0x1111111111111111111111111111111111111111")
            ),
            "{}",
            r.text
        );
        let transfer = json!({"network": "arbitrum", "token": "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9", "to": evm,
            "amount": "2000000000", "usd_cents": 200000, "tx_hash": format!("0x{}", "ab".repeat(32))});
        let r = h
            .call(
                "POST",
                "/v1/protect/deposits/diagnose",
                Some(SERVICE),
                Some(json!({"transfer": transfer, "claimant": "alice"})),
            )
            .await;
        assert_eq!(
            (r.json["case"].as_str(), r.json["outcome"].as_str()),
            (Some("wrong_network"), Some("recoverable")),
            "{}",
            r.text
        );
        assert_eq!(r.json["fee_usd_cents"], 10000);
        let r = h
            .call(
                "POST",
                "/v1/protect/cases",
                Some(SERVICE),
                Some(json!({"user": "alice", "transfer": transfer})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.json["id"].as_str().unwrap().to_owned();
        let r = h
            .call(
                "POST",
                "/v1/protect/cases",
                Some(SERVICE),
                Some(json!({"user": "alice", "transfer": transfer})),
            )
            .await;
        assert_eq!(r.json["code"], "case_exists", "{}", r.text);
        // Not recoverable and automatic credits open nothing.
        let mut small = transfer.clone();
        small["usd_cents"] = json!(5000);
        small["tx_hash"] = json!(format!("0x{}", "cd".repeat(32)));
        let r = h
            .call(
                "POST",
                "/v1/protect/cases",
                Some(SERVICE),
                Some(json!({"user": "alice", "transfer": small})),
            )
            .await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_recoverable")),
            "{}",
            r.text
        );

        let act = |body: serde_json::Value| body;
        let path = format!("/v1/protect/cases/{id}/actions");
        // Only admins act; the service role may not.
        let r = h
            .call(
                "POST",
                &path,
                Some(SERVICE),
                Some(act(json!({"action": "verify_ownership"}))),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = h
            .call(
                "POST",
                &path,
                Some(ADMIN),
                Some(json!({"action": "approve"})),
            )
            .await;
        assert_eq!(r.json["code"], "illegal_transition", "{}", r.text);
        let r = h
            .call(
                "POST",
                &path,
                Some(ADMIN),
                Some(json!({"action": "verify_ownership", "note": "signed message"})),
            )
            .await;
        assert_eq!(r.json["state"], "ownership_verified", "{}", r.text);
        // The same admin cannot approve what they verified.
        let r = h
            .call(
                "POST",
                &path,
                Some(ADMIN),
                Some(json!({"action": "approve"})),
            )
            .await;
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("four_eyes")),
            "{}",
            r.text
        );
        let r = h
            .call(
                "POST",
                &path,
                Some(ADMIN),
                Some(json!({"action": "reject"})),
            )
            .await;
        assert_eq!(r.json["code"], "invalid_action", "{}", r.text);
        let r = h
            .call(
                "POST",
                &path,
                Some(ADMIN),
                Some(json!({"action": "reject", "reason": "the sender could not sign"})),
            )
            .await;
        assert_eq!(
            (r.json["state"].as_str(), r.json["rejection"].as_str()),
            (Some("rejected"), Some("the sender could not sign")),
            "{}",
            r.text
        );

        // The user's view: state and steps, no operator names or notes.
        let r = h
            .call("GET", "/v1/protect/users/alice/cases", Some(SERVICE), None)
            .await;
        let c = &r.json["cases"][0];
        assert_eq!(c["state"], "rejected", "{}", r.text);
        assert!(
            c["history"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t.get("actor").is_none() && t.get("note").is_none()),
            "{}",
            r.text
        );
        // The operators' view has them.
        let r = h
            .call(
                "GET",
                &format!("/v1/protect/cases/{id}"),
                Some(ANALYST),
                None,
            )
            .await;
        assert_eq!(r.json["history"][1]["actor"], "operator:root", "{}", r.text);
        let r = h
            .call(
                "GET",
                "/v1/protect/cases?state=rejected&limit=10",
                Some(ANALYST),
                None,
            )
            .await;
        assert_eq!(r.json["cases"].as_array().unwrap().len(), 1, "{}", r.text);
        for (p, code) in [
            ("/v1/protect/cases?state=lost", "invalid_state"),
            ("/v1/protect/cases?limit=0", "invalid_limit"),
            ("/v1/protect/cases/rc_zz", "invalid_case_id"),
        ] {
            let r = h.call("GET", p, Some(ANALYST), None).await;
            assert_eq!(r.json["code"], code, "{p}: {}", r.text);
        }
        let r = h
            .call(
                "GET",
                "/v1/protect/cases/rc_000000000000000000000000",
                Some(ANALYST),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // Bad transfers: specific codes, nothing written.
        h.app.flush().await;
        let before = h.app.store().head().await.unwrap().0;
        let bad = [
            (
                json!({"network": "dogechain", "to": evm, "amount": "1", "tx_hash": "x"}),
                "unknown_network",
            ),
            (
                json!({"network": "ethereum", "to": "0x12", "amount": "1", "tx_hash": "x"}),
                "invalid_address",
            ),
            (
                json!({"network": "ethereum", "to": evm, "memo": "7", "amount": "1", "tx_hash": "x"}),
                "invalid_memo",
            ),
            (
                json!({"network": "ethereum", "to": evm, "amount": "1.5", "tx_hash": "x"}),
                "invalid_amount",
            ),
            (
                json!({"network": "ethereum", "to": evm, "amount": "1", "tx_hash": "0x12"}),
                "invalid_tx_hash",
            ),
        ];
        for (t, code) in bad {
            let r = h
                .call(
                    "POST",
                    "/v1/protect/cases",
                    Some(SERVICE),
                    Some(json!({"user": "alice", "transfer": t})),
                )
                .await;
            assert_eq!(
                (r.status, r.json["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some(code)),
                "{}",
                r.text
            );
        }
        assert_eq!(
            h.app.store().head().await.unwrap().0,
            before,
            "{}: bad input wrote",
            h.label
        );
    }
}
