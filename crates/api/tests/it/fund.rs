//! The fund over HTTP: operators top up (admin only, once per key), the engine settles
//! liquidations, the public reads OKX's insurance-fund shape, and bad input gets a specific
//! code with nothing posted.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

fn position(id: &str, side: &str, size: i64, entry: &str, margin: &str) -> Value {
    json!({"id": id, "account": format!("acct-{id}"), "side": side, "size": size,
           "entry": entry, "margin": margin, "maintenance": "50", "fees": "6"})
}

fn liquidation(key: &str, fill: &str, size: i64) -> Value {
    // 0.1 BTC long at 60 000 with 600 USDT: bankrupt at 54 060.0 (cushion 594).
    json!({"key": key, "pool": "swap:BTC-USDT:USDT",
           "contract": {"kind": "linear", "ct_val": "0.01", "price_decimals": 1},
           "position": position("p1", "long", size, "60000", "600"),
           "mark": "54400", "fill": fill,
           "candidates": [position("s1", "short", 10, "62000", "620")]})
}

async fn balance(h: &H) -> String {
    let r = h.call("GET", "/v1/fund/pools", None, None).await;
    r.json["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pool"] == "swap:BTC-USDT:USDT")
        .unwrap()["balance"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn top_ups_liquidations_and_the_public_read() {
    for h in harnesses("fund_http").await {
        h.app.fund.service.ensure_pools().await.unwrap();
        let top = json!({"key": "topup-1", "pool": "swap:BTC-USDT:USDT", "amount": "1000"});
        // Admins only.
        let r = h
            .call("POST", "/v1/fund/top-ups", Some(SERVICE), Some(top.clone()))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}: {}", h.label, r.text);
        let r = h
            .call("POST", "/v1/fund/top-ups", Some(ADMIN), Some(top.clone()))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}: {}", h.label, r.text);
        assert_eq!(r.json["status"], "applied");
        // Once per key.
        let r = h
            .call("POST", "/v1/fund/top-ups", Some(ADMIN), Some(top))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json["status"], "replayed");
        assert_eq!(balance(&h).await, "1000");
        // A liquidation filled at 54 000: 6 USDT short of the cushion, paid by the pool.
        let r = h
            .call(
                "POST",
                "/v1/fund/liquidations",
                Some(SERVICE),
                Some(json!({"liquidations": [liquidation("liq-1", "54000", 10),
                                             liquidation("liq-1", "54000", 10)]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let first = &r.json["results"][0];
        assert_eq!(first["status"], "applied", "{}", r.text);
        assert_eq!(first["settled"]["bankruptcy_price"], "540600");
        assert_eq!(first["settled"]["deficit"], "6");
        assert_eq!(first["settled"]["covered"], "6");
        assert_eq!(r.json["results"][1]["status"], "replayed");
        assert_eq!(balance(&h).await, "994");
        // The public read, OKX's shape.
        let r = h
            .call(
                "GET",
                "/api/v5/public/insurance-fund?instType=SWAP&instFamily=BTC-USDT&limit=10",
                None,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["code"], "0");
        let g = &r.json["data"][0];
        assert_eq!(
            (g["instType"].as_str(), g["instFamily"].as_str()),
            (Some("SWAP"), Some("BTC-USDT"))
        );
        assert_eq!(g["total"], "994");
        let d = &g["details"];
        assert_eq!(d[0]["type"], "bankruptcy_loss");
        assert_eq!(d[0]["amt"], "-6");
        assert_eq!(d[0]["balance"], "994");
        assert_eq!(d[1]["type"], "platform_revenue");
        for f in [
            "balance", "amt", "ccy", "type", "maxBal", "maxBalTs", "adlType", "ts",
        ] {
            assert!(d[0].get(f).is_some(), "{f}");
        }
        // The twin: another family has no lines, and a bad instType is refused.
        let r = h
            .call(
                "GET",
                "/api/v5/public/insurance-fund?instFamily=ETH-USDT",
                None,
                None,
            )
            .await;
        assert_eq!(r.json["data"], json!([]));
        let r = h
            .call(
                "GET",
                "/api/v5/public/insurance-fund?instType=PERP",
                None,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json["code"], "invalid_inst_type");
    }
}

#[tokio::test]
async fn bad_input_is_refused_with_a_specific_code_and_nothing_is_posted() {
    for h in harnesses("fund_http_bad").await {
        h.app.fund.service.ensure_pools().await.unwrap();
        h.call(
            "POST",
            "/v1/fund/top-ups",
            Some(ADMIN),
            Some(json!({"key": "t", "pool": "swap:BTC-USDT:USDT", "amount": "100"})),
        )
        .await;
        let mut zero_price = liquidation("b2", "0", 10);
        zero_price["fill"] = json!("0");
        let mut unknown = liquidation("b3", "54000", 10);
        unknown["pool"] = json!("swap:ETH-USDT:USDT");
        let cases = [
            (
                liquidation("b1", "54000", -5),
                StatusCode::BAD_REQUEST,
                "not_positive",
            ),
            (zero_price, StatusCode::BAD_REQUEST, "not_positive"),
            (unknown, StatusCode::NOT_FOUND, "unknown_pool"),
        ];
        for (l, status, code) in cases {
            // The malformed one sits second: the first, valid one is not applied either.
            let r = h
                .call(
                    "POST",
                    "/v1/fund/liquidations",
                    Some(SERVICE),
                    Some(json!({"liquidations": [liquidation("ok", "54000", 10), l]})),
                )
                .await;
            assert_eq!(
                (r.status, r.json["code"].as_str()),
                (status, Some(code)),
                "{}",
                r.text
            );
            assert_eq!(balance(&h).await, "100", "{}", h.label);
        }
        // A transfer beyond the balance is refused whole.
        let r = h
            .call(
                "POST",
                "/v1/fund/transfers",
                Some(ADMIN),
                Some(json!({"key": "x", "from": "swap:BTC-USDT:USDT", "to": "margin:USDT", "amount": "101"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(r.json["code"], "insufficient_balance");
        assert_eq!(balance(&h).await, "100");
        // The ADL queue with its lights.
        let r = h
            .call(
                "POST",
                "/v1/fund/adl/rank",
                Some(SERVICE),
                Some(json!({"pool": "swap:BTC-USDT:USDT",
                            "contract": {"kind": "linear", "ct_val": "0.01", "price_decimals": 1},
                            "mark": "50000",
                            "positions": [position("a", "short", 10, "60000", "600"),
                                          position("b", "short", 10, "55000", "6000")]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["positions"][0]["position"], "a");
        assert_eq!(r.json["positions"][0]["quintile"], 5);
        assert_eq!(r.json["positions"][1]["quintile"], 3);
    }
}
