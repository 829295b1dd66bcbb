//! Requests signed by real OKX client libraries (python-okx, ccxt; recorded off the wire by
//! `scripts/okx-client-fixtures.py`) reach the gateway check the ways gateways forward them:
//! as sent, lower-cased (HTTP/2, Envoy), in Go's spelling, with every other header along.

use custodia_events::{SeededEntropy, Timestamp};
use custodia_keys::{
    ApiKey, ApiKeyId, ApiKeyRepo as _, Argon2Params, IpAllowlist, Kek, KeyStatus, Label,
    Passphrase, PassphraseHash, Permissions, SealedSecret, SecretString,
};
use custodia_primitives::AccountId;
use serde_json::{Map, Value, json};

use crate::common::*;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../keys/tests/fixtures/okx_clients.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// How a gateway may spell the names it forwards.
fn spell(name: &str, how: usize) -> String {
    match how {
        0 => name.to_owned(),
        1 => name.to_ascii_lowercase(),
        _ => name
            .split('-')
            .map(|w| {
                let w = w.to_ascii_lowercase();
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("-"),
    }
}

async fn import_key(h: &H, creds: &Value) {
    let e = SeededEntropy::new(9);
    let id = ApiKeyId::parse(creds["key"].as_str().unwrap()).unwrap();
    let user = AccountId::new("okx-client-user").unwrap();
    let kek = Kek::parse(&SecretString::new(KEK_HEX)).unwrap();
    let pass = Passphrase::new(SecretString::new(creds["passphrase"].as_str().unwrap())).unwrap();
    let at = Timestamp::from_millis(T0);
    let key = ApiKey {
        id,
        user: user.clone(),
        label: Label::new(String::from("client fixture")).unwrap(),
        permissions: Permissions::parse(&["read", "trade"]).unwrap(),
        ips: IpAllowlist::parse::<&str>(&[], 20).unwrap(),
        passphrase_hash: PassphraseHash::create(
            &pass,
            Argon2Params {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            &e,
        )
        .unwrap(),
        secret_sealed: SealedSecret::seal(
            &kek,
            &id,
            &user,
            &SecretString::new(creds["secret"].as_str().unwrap()),
            &e,
        ),
        created_at: at,
        last_used_at: None,
        status: KeyStatus::Active,
        status_at: at,
    };
    let ev = custodia_events::NewEvent {
        time: at,
        kind: custodia_events::EventKind::new("api_key.created").unwrap(),
        actor: custodia_events::Actor::new("system:test").unwrap(),
        subject: custodia_events::Subject::new(format!("api_key:{id}")).unwrap(),
        payload: custodia_events::Payload::empty(),
    };
    h.app.store().create_key(&key, ev).await.unwrap();
}

fn forwarded(r: &Value, how: usize) -> Value {
    let mut headers = Map::new();
    for pair in r["headers"].as_array().unwrap() {
        let (n, v) = (pair[0].as_str().unwrap(), pair[1].clone());
        headers.insert(spell(n, how), v);
    }
    json!({
        "method": r["method"],
        "path": r["path"],
        "body": r["body"],
        "client_ip": "203.0.113.7",
        "headers": headers,
    })
}

fn timestamp(r: &Value) -> Timestamp {
    let ts = r["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p[0].as_str()
                .unwrap()
                .eq_ignore_ascii_case("OK-ACCESS-TIMESTAMP")
        })
        .unwrap()[1]
        .as_str()
        .unwrap()
        .to_owned();
    Timestamp::parse_iso8601_millis(&ts).unwrap()
}

#[tokio::test]
async fn requests_from_real_client_libraries_are_allowed_however_forwarded() {
    let fx = fixture();
    let requests = fx["requests"].as_array().unwrap();
    let clients: std::collections::BTreeSet<&str> = requests
        .iter()
        .map(|r| r["client"].as_str().unwrap().split(' ').next().unwrap())
        .collect();
    assert!(
        clients.len() >= 2,
        "two client libraries at least: {clients:?}"
    );
    for h in harnesses("okx_clients").await {
        import_key(&h, &fx["credentials"]).await;
        for (i, r) in requests.iter().enumerate() {
            h.clock
                .set(Timestamp::from_millis(timestamp(r).as_millis() + 500));
            let how = i % 3;
            let v = h.verify(forwarded(r, how)).await;
            assert_eq!(
                (v.json["decision"].as_str(), v.json["code"].as_str()),
                (Some("allow"), Some("0")),
                "{}: {} {} {} spelled {how}: {}",
                h.label,
                r["client"],
                r["method"],
                r["path"],
                v.text
            );
            // Negative twins: the same request again (any spelling) is a replay; the same
            // headers over another body or path fail the signature.
            let again = h.verify(forwarded(r, (how + 1) % 3)).await;
            assert_eq!(again.json["code"], "50121", "{}", again.text);
            let mut other = forwarded(r, how);
            other["path"] = json!(format!("{}x", r["path"].as_str().unwrap()));
            assert_eq!(h.verify(other).await.json["code"], "50113");
        }
    }
}

/// A flood of forged requests costs a bounded number of log rows, and every one is counted.
#[tokio::test]
async fn a_flood_of_denials_stays_bounded_in_rows() {
    for h in harnesses("denial_flood").await {
        let seed = h.enroll("victim").await;
        let (key, _) = h.create_key("victim", &seed, &["read"], &[]).await;
        let before = h.events().await.len();
        for _ in 0..3_000 {
            h.clock.advance_millis(1);
            let req = h.signed(
                &key,
                "not-the-secret",
                "GET",
                "/api/v5/account/balance",
                "",
                "198.51.100.9",
            );
            assert_eq!(h.verify(req).await.json["code"], "50113");
        }
        let events = h.events().await;
        let new = &events[before..];
        assert!(
            new.len() <= 3,
            "{}: {} rows for 3,000 denials",
            h.label,
            new.len()
        );
        assert_eq!(
            h.decisions("gateway.request_denied").await,
            3_000,
            "{}",
            h.label
        );
        // The twin: a different client IP is its own group and gets its own full row.
        h.clock.advance_millis(1);
        let req = h.signed(
            &key,
            "not-the-secret",
            "GET",
            "/api/v5/account/balance",
            "",
            "198.51.100.10",
        );
        h.verify(req).await;
        let rows = h.events().await;
        let ips: Vec<&str> = rows
            .iter()
            .filter(|e| e["kind"] == "gateway.request_denied")
            .map(|e| e["payload"]["client_ip"].as_str().unwrap())
            .collect();
        assert!(ips.contains(&"198.51.100.10"), "{ips:?}");
    }
}
