//! `GET /v1/audit/verify` with signed checkpoints: their status in the report, and a truncated
//! log reported as such.

use custodia_events::{
    CheckpointKey, CheckpointOutcome, EventAppender as _, EventReader as _, SeededEntropy,
    write_checkpoint,
};
use custodia_store::Backend;

use crate::common::{ANALYST, harnesses};

#[tokio::test]
async fn verify_reports_checkpoints_and_detects_a_truncated_tail() {
    for mut h in harnesses("audit_ckpt").await {
        let k = CheckpointKey::generate(&SeededEntropy::new(3));
        h.app.audit.checkpoint_key = Some(k.public());
        h.router = h.app.router();
        let store = h.app.store().clone();

        // No checkpoint yet: intact, nothing to compare.
        let r = h.call("GET", "/v1/audit/verify", Some(ANALYST), None).await;
        assert_eq!(r.json["intact"], true, "{}", r.text);
        assert_eq!(r.json["checkpoints"]["signatures_checked"], true);
        assert!(r.json["checkpoints"]["latest"].is_null());

        let head = store.head().await.unwrap();
        let CheckpointOutcome::Written(c) = write_checkpoint(&store, &k, &h.clock).await.unwrap()
        else {
            panic!("no checkpoint written")
        };
        assert_eq!((c.seq, c.head), head);
        let r = h.call("GET", "/v1/audit/verify", Some(ANALYST), None).await;
        assert_eq!(r.json["intact"], true, "{}: {}", h.label, r.text);
        let latest = &r.json["checkpoints"]["latest"];
        assert_eq!(latest["seq"], c.seq);
        assert_eq!(latest["head_hash"], c.head.to_hex());
        assert_eq!(latest["public_key"], k.public().to_hex());
        assert_eq!(r.json["checkpoints"]["compared"], 1);
        assert!(r.json.get("problems").is_none(), "{}", r.text);

        // Someone with DDL rights removes the last event.
        let drop = match store.backend() {
            Backend::Sqlite => "DROP TRIGGER events_no_delete",
            Backend::Postgres => "ALTER TABLE events DISABLE TRIGGER events_no_delete",
        };
        store.execute_raw_for_tests(drop).await.unwrap();
        store
            .execute_raw_for_tests(&format!("DELETE FROM events WHERE seq = {}", c.seq))
            .await
            .unwrap();
        let r = h.call("GET", "/v1/audit/verify", Some(ANALYST), None).await;
        assert_eq!(r.json["intact"], false, "{}: {}", h.label, r.text);
        assert_eq!(
            r.json["first_break"],
            serde_json::Value::Null,
            "the chain alone is fine"
        );
        let p = &r.json["problems"][0];
        assert_eq!(p["code"], "truncated", "{}", r.text);
        assert_eq!(p["seq"], c.seq);
        assert!(p["message"].as_str().unwrap().contains("truncated"));
    }
}

#[tokio::test]
async fn without_a_key_checkpoints_are_compared_but_not_authenticated() {
    for h in harnesses("audit_nokey").await {
        let k = CheckpointKey::generate(&SeededEntropy::new(4));
        let store = h.app.store().clone();
        store
            .append(vec![custodia_events::NewEvent::typed(
                custodia_events::Timestamp::from_millis(crate::common::T0),
                "system:test",
                "x",
                &custodia_events::EventsPruned {
                    through_seq: 0,
                    previous_anchor_seq: 0,
                    head_hash: String::new(),
                    checkpoint_time_ms: 0,
                    cutoff_ms: 0,
                },
            )])
            .await
            .unwrap();
        write_checkpoint(&store, &k, &h.clock).await.unwrap();
        let r = h.call("GET", "/v1/audit/verify", Some(ANALYST), None).await;
        assert_eq!(r.json["intact"], true, "{}", r.text);
        assert_eq!(r.json["checkpoints"]["signatures_checked"], false);
        assert_eq!(r.json["checkpoints"]["compared"], 1);
    }
}
