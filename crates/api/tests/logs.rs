//! No secret, passphrase, signature, token, TOTP seed or KEK ever reaches the logs: run every
//! flow with TRACE logging captured, then scan the output.
//!
//! A test binary of its own (the crate's others are in `tests/it`): it captures logs with a
//! thread-scoped subscriber, and `tracing` caches per-callsite interest process-wide, so other
//! tests logging on other threads at the same time can make it miss lines.

#[path = "it/common.rs"]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use common::*;
use serde_json::json;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buf {
    type Writer = Buf;
    fn make_writer(&'a self) -> Buf {
        self.clone()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn logs_never_contain_secrets() {
    let buf = Buf::default();
    for json_format in [false, true] {
        let sub =
            tracing_subscriber::registry().with(Targets::new().with_default(LevelFilter::TRACE));
        let _guard = if json_format {
            tracing::subscriber::set_default(
                sub.with(
                    tracing_subscriber::fmt::layer()
                        .json()
                        .with_writer(buf.clone()),
                ),
            )
        } else {
            tracing::subscriber::set_default(
                sub.with(tracing_subscriber::fmt::layer().with_writer(buf.clone())),
            )
        };
        let mut secrets: Vec<String> = vec![
            PASS.into(),
            ADMIN.into(),
            SERVICE.into(),
            GATEWAY.into(),
            ANALYST.into(),
            KEK_HEX.into(),
        ];
        for h in harnesses(if json_format {
            "logs_json"
        } else {
            "logs_text"
        })
        .await
        {
            let seed = h.enroll("victim").await;
            secrets.push(seed.base32().expose().to_owned());
            let (key, secret) = h
                .create_key("victim", &seed, &["read", "trade"], &["192.0.2.0/24"])
                .await;
            secrets.push(secret.clone());
            let ok = h.signed(
                &key,
                &secret,
                "POST",
                "/api/v5/trade/order",
                r#"{"sz":"1"}"#,
                "192.0.2.5",
            );
            secrets.push(ok["headers"]["OK-ACCESS-SIGN"].as_str().unwrap().to_owned());
            assert_eq!(h.verify(ok.clone()).await.json["decision"], "allow");
            assert_eq!(h.verify(ok).await.json["code"], "50121");
            // Every denial path, each with its own signature and a passphrase to look for.
            for (i, (ip, pass, perm)) in [
                ("198.51.100.1", PASS, None),
                ("192.0.2.5", "Other!Passphrase9", None),
                ("192.0.2.5", PASS, Some("withdraw")),
            ]
            .into_iter()
            .enumerate()
            {
                h.clock.advance_millis(1 + i as i64);
                let mut req = h.signed(&key, &secret, "GET", "/api/v5/account/balance", "", ip);
                req["headers"]["OK-ACCESS-PASSPHRASE"] = json!(pass);
                if let Some(p) = perm {
                    req["required_permission"] = json!(p);
                }
                secrets.push(
                    req["headers"]["OK-ACCESS-SIGN"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                );
                secrets.push(pass.to_owned());
                assert_eq!(h.verify(req).await.json["decision"], "deny");
            }
            let mut bad_sign =
                h.signed(&key, "WRONGSECRETWRONGSECRET", "GET", "/x", "", "192.0.2.5");
            secrets.push(
                bad_sign["headers"]["OK-ACCESS-SIGN"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
            bad_sign["headers"]["OK-ACCESS-PASSPHRASE"] = json!("Leaky!Passphrase1");
            secrets.push("Leaky!Passphrase1".into());
            assert_eq!(h.verify(bad_sign).await.json["code"], "50113");
            // A malformed body that carries a passphrase and a secret-looking value.
            let r = h
                .call(
                    "POST",
                    "/v1/users/victim/api-keys",
                    Some(SERVICE),
                    Some(json!({"totp_code": "000000", "label": 5, "permissions": ["read"], "passphrase": "Body!Passphrase7"})),
                )
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST);
            secrets.push("Body!Passphrase7".into());
            let r = h
                .call(
                    "POST",
                    "/v1/users/victim/api-keys",
                    Some(SERVICE),
                    Some(json!({"totp_code": "000000", "label": "x", "permissions": ["read"], "passphrase": "Weak!Passphrase8"})),
                )
                .await;
            assert_eq!(r.json["code"], "totp_invalid");
            secrets.push("Weak!Passphrase8".into());
            let r = h
                .call(
                    "POST",
                    "/v1/operators",
                    Some(ADMIN),
                    Some(json!({"name": "new-gw", "role": "service"})),
                )
                .await;
            secrets.push(r.json["token"].as_str().unwrap().to_owned());
            let r = h
                .call(
                    "POST",
                    "/v1/gateway/verify",
                    Some("Bearer-but-wrong-token-value-xyz"),
                    Some(json!({})),
                )
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
            secrets.push("Bearer-but-wrong-token-value-xyz".into());
            h.app.flush().await;
        }
        drop(_guard);
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        // The capture works: the flows above did log, including the denials.
        assert!(out.contains("gateway request denied"), "nothing captured");
        assert!(out.contains("API key created"));
        for s in &secrets {
            assert!(
                !out.contains(s.as_str()),
                "secret-like value `{}…` found in logs",
                &s[..4.min(s.len())]
            );
        }
        buf.0.lock().unwrap().clear();
    }
}
