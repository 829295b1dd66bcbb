//! `POST /v1/por/inclusion`: one user's file of a round for the back end; the user id never
//! reaches a log line.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{ADMIN, ANALYST, GATEWAY, SERVICE, config, harnesses_with};

/// A delivery folder as `custodia por inclusion --all` lays it out (docs/verify.md).
fn delivery(root: &std::path::Path, round: &str, complete: bool, users: &[&str]) {
    let dir = root.join(round);
    std::fs::create_dir_all(&dir).unwrap();
    let record = json!({"format": "custodia-delivery/1", "round": round, "root": "00",
        "batches": 1, "complete": complete, "users": users.len()});
    std::fs::write(dir.join("delivery.json"), record.to_string()).unwrap();
    for u in users {
        let id = custodia_primitives::AccountId::new(*u).unwrap();
        let shard = dir.join(id.delivery_shard());
        std::fs::create_dir_all(&shard).unwrap();
        let file = json!({"format": "custodia-inclusion/5", "round": round, "user_id": u});
        std::fs::write(shard.join(format!("{u}.json")), file.to_string()).unwrap();
    }
}

/// A delivery folder in the pack layout (`--layout pack`, the default): one batch's lines and
/// the sorted index, written with `custodia_primitives::pack`'s format.
fn pack_delivery(root: &std::path::Path, round: &str, users: &[&str]) {
    use custodia_primitives::pack::{PackRecord, encode_index, pack_path};
    let dir = root.join(round);
    std::fs::create_dir_all(dir.join("packs")).unwrap();
    let record = json!({"format": "custodia-delivery/1", "round": round, "root": "00",
        "batches": 1, "complete": true, "users": users.len(), "layout": "pack"});
    std::fs::write(dir.join("delivery.json"), record.to_string()).unwrap();
    let mut jsonl = Vec::new();
    let mut records = Vec::new();
    for u in users {
        let line =
            json!({"format": "custodia-inclusion/5", "round": round, "user_id": u}).to_string();
        records.push(PackRecord {
            hash: custodia_primitives::AccountId::new(*u)
                .unwrap()
                .delivery_hash(),
            batch: 0,
            len: line.len() as u32,
            offset: jsonl.len() as u64,
        });
        jsonl.extend_from_slice(line.as_bytes());
        jsonl.push(b'\n');
    }
    records.sort();
    std::fs::write(pack_path(&dir, 0), jsonl).unwrap();
    std::fs::write(dir.join("index.bin"), encode_index(&records)).unwrap();
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_back_end_gets_one_users_file_and_the_id_is_never_logged() {
    let dir = tempfile::tempdir().unwrap();
    delivery(dir.path(), "2026-11", true, &["alice-7f3e", "bob@x"]);
    delivery(dir.path(), "2026-12", false, &["alice-7f3e"]);
    pack_delivery(dir.path(), "2026-09", &["alice-7f3e", "bob@x", "dave"]);
    let mut cfg = config();
    cfg.por.delivery_dir = Some(dir.path().to_path_buf());
    let logs = Captured::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    for h in harnesses_with("por_inclusion", cfg.clone()).await {
        let ask = |token, round: &str, user: &str| {
            h.call(
                "POST",
                "/v1/por/inclusion",
                token,
                Some(json!({"round": round, "user": user})),
            )
        };
        let r = ask(Some(SERVICE), "2026-11", "alice-7f3e").await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", h.label, r.text);
        assert_eq!(r.json["user_id"], "alice-7f3e");
        let r = ask(Some(ADMIN), "2026-11", "bob@x").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        // Negative twins: another user, another round, an unfinished delivery, bad ids,
        // roles without access, no token.
        assert_eq!(
            ask(Some(SERVICE), "2026-11", "carol").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ask(Some(SERVICE), "2026-10", "alice-7f3e").await.status,
            StatusCode::NOT_FOUND
        );
        let r = ask(Some(SERVICE), "2026-12", "alice-7f3e").await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
        assert_eq!(
            ask(Some(SERVICE), "..", "alice-7f3e").await.status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            ask(Some(SERVICE), "2026-11", "../x").await.status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            ask(Some(GATEWAY), "2026-11", "alice-7f3e").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            ask(Some(ANALYST), "2026-11", "alice-7f3e").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            ask(None, "2026-11", "alice-7f3e").await.status,
            StatusCode::UNAUTHORIZED
        );
        let r = ask(Some(SERVICE), "2026-11", "carol").await;
        assert!(!r.text.contains("carol"), "{}", r.text);
        // The pack layout: found through the index; a user it lacks is 404 all the same.
        let r = ask(Some(SERVICE), "2026-09", "bob@x").await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", h.label, r.text);
        assert_eq!(r.json["user_id"], "bob@x");
        assert_eq!(
            ask(Some(SERVICE), "2026-09", "carol").await.status,
            StatusCode::NOT_FOUND
        );
    }
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    for user in ["alice-7f3e", "bob@x", "carol", "dave"] {
        assert!(!text.contains(user), "{user} in the logs:\n{text}");
    }
    // Without a configured folder the endpoint says so.
    let mut cfg = config();
    cfg.por.delivery_dir = None;
    for h in harnesses_with("por_unconfigured", cfg).await {
        let r = h
            .call(
                "POST",
                "/v1/por/inclusion",
                Some(SERVICE),
                Some(json!({"round": "2026-11", "user": "alice-7f3e"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    }
}
