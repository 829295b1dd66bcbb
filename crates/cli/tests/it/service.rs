//! `custodia audit verify` and `custodia keys purge` end to end: exit codes 0 intact / 1 broken
//! chain / 2 usage or unreadable store.

use crate::cli::custodia_on as custodia;
use custodia_events::EventAppender;
use custodia_events::{Actor, EventKind, NewEvent, Payload, Subject, Timestamp};
use custodia_store::Store;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn audit_verify_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let store = rt().block_on(async {
        let s = Store::open(&url, 2).await.unwrap();
        for i in 0..5 {
            s.append(vec![NewEvent {
                time: Timestamp::from_millis(1_000 + i),
                kind: EventKind::new("test.happened").unwrap(),
                actor: Actor::new("system:test").unwrap(),
                subject: Subject::new(format!("t:{i}")).unwrap(),
                payload: Payload::empty(),
            }])
            .await
            .unwrap();
        }
        s
    });
    let o = custodia(&url, &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("event chain intact: 5 events"));

    rt().block_on(async {
        store
            .execute_raw_for_tests("DROP TRIGGER events_no_update")
            .await
            .unwrap();
        store
            .execute_raw_for_tests("UPDATE events SET subject = 't:x' WHERE seq = 3")
            .await
            .unwrap();
        store.close().await;
    });
    let o = custodia(&url, &["--json", "audit", "verify"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["status"], "broken");
    assert_eq!(j["first_broken_seq"], 3);

    let o = custodia("mysql://u:p@h/db", &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn keys_purge_runs_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    rt().block_on(async { Store::open(&url, 1).await.unwrap().close().await });
    let o = custodia(&url, &["--json", "keys", "purge"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (j["expired"].as_u64(), j["dry_run"].as_bool()),
        (Some(0), Some(false))
    );
    let o = custodia(&url, &["keys", "purge", "--dry-run"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("would expire 0 idle key(s)"));
    let o = custodia(&url, &["keys", "purge", "--config", "/nonexistent.toml"]);
    assert_eq!(o.status.code(), Some(2));
}
