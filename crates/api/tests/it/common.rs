//! The harness: the real router over a real store (SQLite, and PostgreSQL when configured),
//! a manual clock and seeded entropy.

#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use custodia_api::{Config, Services};
use custodia_events::{
    Actor, EventKind, ManualClock, NewEvent, Payload, SeededEntropy, Subject, Timestamp,
};
use custodia_keys::{Kek, OperatorRecord, OperatorRepo, Role, TotpSeed, prehash, sign, token_hash};
use custodia_store::Store;
use custodia_store::testkit::TestStore;
use serde_json::{Value, json};
use tower::ServiceExt as _;

pub const KEK_HEX: &str = "8f3c1a9e5b7d2f4061a8c3e5b7d9f1a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2f4";
pub const ADMIN: &str = "adm_9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d";
pub const SERVICE: &str = "svc_1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
pub const GATEWAY: &str = "gw_5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1a2b3c4d";
pub const ANALYST: &str = "ana_0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c";
/// 2026-01-01T00:00:00.000Z
pub const T0: i64 = 1_767_225_600_000;
pub const PASS: &str = "Str0ng!Passphrase";

/// The login defence's address intelligence over the guard's catalog, as the binary wires it
/// (`custodia-cli`'s `CatalogIntel`, which the binary's own tests exercise): the HTTP tests
/// need the same findings to check how the shell maps them.
pub struct GuardIntel(Arc<custodia_guard::Catalog>);

impl custodia_login::DestinationIntel for GuardIntel {
    fn examine(
        &self,
        r: &custodia_login::WithdrawalRequest,
        actor: &str,
    ) -> custodia_login::IntelFindings {
        let g = self.0.current();
        let q = custodia_guard::AddressQuery {
            address: r.destination.canonical(),
            chain: Some(r.destination.chain()),
            context: custodia_guard::ScreenContext::Withdrawal,
        };
        let batch = g
            .screen_addresses(Some(&r.user), std::slice::from_ref(&q))
            .unwrap();
        let listed = match batch.results.first() {
            Some(Ok(s)) => s
                .hits
                .iter()
                .map(|h| h.category.as_str().to_owned())
                .collect(),
            _ => vec!["unscreenable".to_owned()],
        };
        let recent: Vec<custodia_guard::Address> = r.recent.iter().map(|a| (*a).into()).collect();
        let (m, flagged) = g.check_poisoning(&r.user, &r.destination.into(), &recent);
        custodia_login::IntelFindings {
            listed,
            imitates: m.map(|m| m.imitates.canonical()),
            events: batch
                .events
                .into_iter()
                .chain(flagged)
                .map(|p| p.event.to_event(r.at, actor, &p.subject))
                .collect(),
        }
    }
}

/// `Services::new`'s login intelligence for tests.
pub fn guard_intel(
    catalog: Arc<custodia_guard::Catalog>,
) -> Arc<dyn custodia_login::DestinationIntel> {
    Arc::new(GuardIntel(catalog))
}

pub struct H {
    pub label: &'static str,
    pub app: Services<Store>,
    pub router: Router,
    pub clock: ManualClock,
    pub _t: TestStore,
}

pub fn config() -> Config {
    let mut c = Config::from_parts(
        "[keys]\nargon2_memory_kib = 64\nargon2_iterations = 1\n",
        Vec::<(String, String)>::new(),
    )
    .unwrap();
    c.secrets.kek = Some(custodia_keys::SecretString::new(KEK_HEX));
    c
}

async fn operator(s: &Store, name: &str, role: Role, token: &str) {
    let rec = OperatorRecord {
        id: format!("id-{name}"),
        name: name.into(),
        role,
        token_hash: token_hash(token),
        created_at: Timestamp::from_millis(T0),
        revoked_at: None,
    };
    let ev = NewEvent {
        time: Timestamp::from_millis(T0),
        kind: EventKind::new("operator.token_created").unwrap(),
        actor: Actor::new("system:test").unwrap(),
        subject: Subject::new(format!("operator:{name}")).unwrap(),
        payload: Payload::empty(),
    };
    s.create_operator(&rec, ev).await.unwrap();
}

pub async fn harnesses(name: &str) -> Vec<H> {
    harnesses_with(name, config()).await
}

pub async fn harnesses_with(name: &str, cfg: Config) -> Vec<H> {
    let mut out = Vec::new();
    for t in custodia_store::testkit::stores(name).await {
        out.push(harness_on(t, cfg.clone()).await);
    }
    out
}

pub async fn harness_on(t: TestStore, cfg: Config) -> H {
    let clock = ManualClock::new(Timestamp::from_millis(T0));
    let kek = Kek::parse(cfg.secrets.kek.as_ref().unwrap()).unwrap();
    operator(&t.store, "root", Role::Admin, ADMIN).await;
    operator(&t.store, "backend", Role::Service, SERVICE).await;
    operator(&t.store, "gateway", Role::Gateway, GATEWAY).await;
    operator(&t.store, "auditor", Role::Analyst, ANALYST).await;
    let app = Services::new(
        t.store.clone(),
        Arc::new(clock.clone()),
        Arc::new(SeededEntropy::new(42)),
        kek,
        &cfg,
        None,
        guard_intel,
    );
    app.guard.reload().await.expect("guard lists load");
    H {
        label: t.label,
        router: app.router(),
        app,
        clock,
        _t: t,
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub json: Value,
    pub text: String,
}

impl H {
    pub async fn raw(&self, req: Request<Body>) -> Resp {
        let r = self.router.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Resp {
            status,
            json: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b
                .header("content-type", "application/json")
                .body(Body::from(v.to_string())),
            None => b.body(Body::empty()),
        };
        self.raw(req.unwrap()).await
    }

    pub fn now(&self) -> Timestamp {
        use custodia_events::Clock;
        self.clock.now()
    }

    /// Enrols `user` and returns the seed.
    pub async fn enroll(&self, user: &str) -> TotpSeed {
        let r = self
            .call(
                "POST",
                &format!("/v1/users/{user}/totp"),
                Some(SERVICE),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{} {}", self.label, r.text);
        TotpSeed::from_base32(r.json["secret_base32"].as_str().unwrap()).unwrap()
    }

    /// Creates a key for an enrolled user; moves the clock one TOTP step so codes never repeat.
    pub async fn create_key(
        &self,
        user: &str,
        seed: &TotpSeed,
        perms: &[&str],
        ips: &[&str],
    ) -> (String, String) {
        self.clock.advance_millis(30_000);
        let code = seed.code_at(self.now());
        let r = self
            .call(
                "POST",
                &format!("/v1/users/{user}/api-keys"),
                Some(SERVICE),
                Some(json!({"totp_code": code, "label": "bot", "permissions": perms, "ips": ips, "passphrase": PASS})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{} {}", self.label, r.text);
        (
            r.json["key_id"].as_str().unwrap().to_owned(),
            r.json["secret"].as_str().unwrap().to_owned(),
        )
    }

    /// A correctly signed gateway request for `key`.
    pub fn signed(
        &self,
        key: &str,
        secret: &str,
        method: &str,
        path: &str,
        body: &str,
        ip: &str,
    ) -> Value {
        let ts = self.now().to_iso8601_millis();
        let s = sign(secret.as_bytes(), &prehash(&ts, method, path, body));
        json!({
            "method": method,
            "path": path,
            "body": body,
            "client_ip": ip,
            "headers": {
                "OK-ACCESS-KEY": key,
                "OK-ACCESS-SIGN": s,
                "OK-ACCESS-TIMESTAMP": ts,
                "OK-ACCESS-PASSPHRASE": PASS,
            }
        })
    }

    pub async fn verify(&self, req: Value) -> Resp {
        self.call("POST", "/v1/gateway/verify", Some(GATEWAY), Some(req))
            .await
    }

    pub async fn events(&self) -> Vec<Value> {
        self.app.flush().await;
        let r = self
            .call("GET", "/v1/audit/events?limit=1000", Some(ANALYST), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json["events"].as_array().unwrap().clone()
    }

    /// Decisions of `kind`, counting the ones aggregated into `audit.repeated` rows.
    pub async fn decisions(&self, kind: &str) -> u64 {
        self.events()
            .await
            .iter()
            .map(|e| {
                if e["kind"] == kind {
                    1
                } else if e["kind"] == "audit.repeated" && e["payload"]["kind"] == kind {
                    e["payload"]["count"].as_u64().unwrap()
                } else {
                    0
                }
            })
            .sum()
    }

    pub async fn kinds(&self) -> Vec<String> {
        self.events()
            .await
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    }
}
