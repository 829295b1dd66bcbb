use custodia_events::{CheckpointKey, CheckpointWriter as _, EventAppender as _, FigureValue};
use custodia_report::{Month, Pin, ReportError, SectionSpec, build};
use serde_json::json;

use crate::{KIND_A, KIND_B, TestTally, event, store};

fn sections() -> Vec<SectionSpec> {
    vec![
        SectionSpec {
            id: "whole",
            title: "Whole",
            about: "Every figure.",
            keys: &[],
            tally: Box::new(TestTally::default()),
        },
        SectionSpec {
            id: "betas",
            title: "Betas only",
            about: "Part of the figures.",
            keys: &["test.beta"],
            tally: Box::new(TestTally::default()),
        },
    ]
}

fn jan() -> Month {
    Month::parse("2025-01").unwrap()
}

async fn seeded() -> custodia_store::Store {
    let s = store().await;
    s.append(vec![
        event("2024-12-31T23:59:59.999Z", KIND_A, json!({})), // seq 1: December
        event("2025-01-01T00:00:00.000Z", KIND_A, json!({})), // seq 2
        event(
            "2025-01-10T12:00:00.000Z",
            KIND_B,
            json!({"units": 1_500_000}),
        ), // seq 3
        event("2025-01-20T12:00:00.000Z", "test.other", json!({})), // seq 4: no section reads it
        event(
            "2025-01-31T23:59:59.999Z",
            KIND_B,
            json!({"units": 250_000}),
        ), // seq 5
        event("2025-02-01T00:00:00.000Z", KIND_B, json!({"units": 9})), // seq 6: February
    ])
    .await
    .unwrap();
    s
}

#[tokio::test]
async fn folds_only_the_month_and_traces_every_figure() {
    let s = seeded().await;
    let r = build(&s, "Test Exchange", jan(), None, None, sections())
        .await
        .unwrap();
    assert_eq!(r.chain.through_seq, 6);
    assert_eq!(r.chain.head_hash.len(), 64);
    let whole = r.section("whole").unwrap();
    assert!(whole.recorded);
    assert_eq!(
        (
            whole.trace.events,
            whole.trace.first_seq,
            whole.trace.last_seq
        ),
        (3, Some(2), Some(5))
    );
    assert_eq!(
        whole.figure("test.alpha").unwrap().value,
        FigureValue::Count { n: 1 }
    );
    assert_eq!(
        whole.figure("test.beta").unwrap().value,
        FigureValue::Count { n: 2 }
    );
    assert_eq!(
        whole.figure("test.beta_value").unwrap().value,
        FigureValue::Amount {
            asset: "USDT".into(),
            units: 1_750_000,
            decimals: 6
        }
    );
    let alpha = whole
        .figures
        .iter()
        .find(|f| f.figure.key == "test.alpha")
        .unwrap();
    assert_eq!(
        (
            alpha.trace.events,
            alpha.trace.first_seq,
            alpha.trace.last_seq
        ),
        (1, Some(2), Some(2))
    );
    let beta = whole
        .figures
        .iter()
        .find(|f| f.figure.key == "test.beta")
        .unwrap();
    assert_eq!(
        (beta.trace.events, beta.trace.first_seq, beta.trace.last_seq),
        (2, Some(3), Some(5))
    );

    // The split section keeps its own figures and claims only their events.
    let betas = r.section("betas").unwrap();
    assert_eq!(
        betas
            .figures
            .iter()
            .map(|f| f.figure.key.as_str())
            .collect::<Vec<_>>(),
        ["test.beta", "test.beta_value"]
    );
    assert_eq!((betas.trace.events, betas.trace.first_seq), (2, Some(3)));
}

#[tokio::test]
async fn a_month_without_events_shows_no_number() {
    let s = seeded().await;
    let r = build(
        &s,
        "X",
        Month::parse("2025-03").unwrap(),
        None,
        None,
        sections(),
    )
    .await
    .unwrap();
    for sec in &r.sections {
        assert!(!sec.recorded, "{}", sec.id);
        assert!(sec.figures.is_empty(), "{}", sec.id);
        assert_eq!(sec.trace.events, 0);
    }
    // Its twin: the month with events has numbers (above). An empty log reports nothing too.
    let empty = store().await;
    let r = build(&empty, "X", jan(), None, None, sections())
        .await
        .unwrap();
    assert_eq!(r.chain.through_seq, 0);
    assert_eq!(r.chain.head_hash, "0".repeat(64));
    assert!(r.sections.iter().all(|s| !s.recorded));
}

#[tokio::test]
async fn a_pinned_report_ignores_later_events_and_recomputes_byte_for_byte() {
    let s = seeded().await;
    let first = build(&s, "X", jan(), None, None, sections()).await.unwrap();
    // A late event stamped in January arrives after the report was made.
    s.append(vec![event("2025-01-15T00:00:00.000Z", KIND_A, json!({}))])
        .await
        .unwrap();
    let pin = Pin {
        through_seq: first.chain.through_seq,
        checkpoint_seq: None,
    };
    let again = build(&s, "X", jan(), Some(pin), None, sections())
        .await
        .unwrap();
    assert_eq!(first.to_json(), again.to_json());
    // Unpinned, the late event counts: the two reports differ (the twin).
    let now = build(&s, "X", jan(), None, None, sections()).await.unwrap();
    assert_ne!(first.to_json(), now.to_json());
    assert_eq!(
        now.section("whole")
            .unwrap()
            .figure("test.alpha")
            .unwrap()
            .value,
        FigureValue::Count { n: 2 }
    );
}

#[tokio::test]
async fn a_pin_beyond_the_head_or_a_missing_checkpoint_is_refused() {
    let s = seeded().await;
    let beyond = Pin {
        through_seq: 7,
        checkpoint_seq: None,
    };
    assert!(matches!(
        build(&s, "X", jan(), Some(beyond), None, sections()).await,
        Err(ReportError::PinBeyondHead { pinned: 7, head: 6 })
    ));
    let gone = Pin {
        through_seq: 6,
        checkpoint_seq: Some(6),
    };
    assert!(matches!(
        build(&s, "X", jan(), Some(gone), None, sections()).await,
        Err(ReportError::CheckpointGone { seq: 6 })
    ));
}

#[tokio::test]
async fn cites_the_newest_checkpoint_at_or_below_the_head() {
    let s = seeded().await;
    let key = CheckpointKey::from_seed(&[7; 32]);
    let (_, h5) = {
        use custodia_events::EventReader as _;
        let e = s.events_after(4, 1).await.unwrap();
        (e[0].seq, e[0].hash)
    };
    s.add_checkpoint(&key.sign(5, h5, crate::at("2025-02-01T00:00:00.000Z")))
        .await
        .unwrap();
    let r = build(&s, "X", jan(), None, None, sections()).await.unwrap();
    let c = r.chain.checkpoint.as_ref().unwrap();
    assert_eq!((c.seq, c.head_hash.as_str()), (5, h5.to_hex().as_str()));
    assert_eq!(c.public_key, key.public().to_hex());
    // Pinned below the checkpoint, it is not cited.
    let low = Pin {
        through_seq: 4,
        checkpoint_seq: None,
    };
    let r = build(&s, "X", jan(), Some(low), None, sections())
        .await
        .unwrap();
    assert!(r.chain.checkpoint.is_none());
    assert_eq!(r.section("whole").unwrap().trace.last_seq, Some(3));
}

#[tokio::test]
async fn a_payload_that_does_not_decode_is_shown_not_dropped() {
    let s = store().await;
    s.append(vec![
        event("2025-01-02T00:00:00.000Z", KIND_B, json!({"units": "many"})),
        event("2025-01-03T00:00:00.000Z", KIND_B, json!({"units": 5})),
    ])
    .await
    .unwrap();
    let r = build(&s, "X", jan(), None, None, sections()).await.unwrap();
    // Kept even by the section whose prefixes do not name it.
    for id in ["whole", "betas"] {
        assert_eq!(
            r.section(id)
                .unwrap()
                .figure("test.malformed_events")
                .unwrap()
                .value,
            FigureValue::Count { n: 1 },
            "{id}"
        );
    }
}
