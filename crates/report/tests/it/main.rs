//! The report built from a real store (SQLite in memory) and a round's public files.

mod build;
mod por;
mod render;

use custodia_events::{
    Actor, Event, EventKind, Figure, FigureValue, NewEvent, Payload, Subject, Tally, Timestamp,
};
use custodia_store::Store;

pub(crate) const KIND_A: &str = "test.alpha";
pub(crate) const KIND_B: &str = "test.beta";

/// Counts events of two kinds and sums a payload field, like a service's tally.
#[derive(Default)]
pub(crate) struct TestTally {
    pub(crate) alpha: u64,
    pub(crate) beta: u64,
    pub(crate) beta_units: u128,
    pub(crate) malformed: u64,
}

static KINDS: &[&str] = &[KIND_A, KIND_B];

impl Tally for TestTally {
    fn kinds(&self) -> &'static [&'static str] {
        KINDS
    }
    fn record(&mut self, e: &Event) {
        match e.body.kind.as_str() {
            KIND_A => self.alpha += 1,
            KIND_B => match e.body.payload.to_value()["units"].as_u64() {
                Some(u) => {
                    self.beta += 1;
                    self.beta_units += u128::from(u);
                }
                None => self.malformed += 1,
            },
            _ => {}
        }
    }
    fn figures(&self) -> Vec<Figure> {
        let mut v = vec![
            Figure::count("test.alpha", "Alphas", self.alpha, &[KIND_A]),
            Figure::count("test.beta", "Betas", self.beta, &[KIND_B]),
            Figure {
                key: "test.beta_value".into(),
                label: "Beta value".into(),
                value: FigureValue::Amount {
                    asset: "USDT".into(),
                    units: self.beta_units,
                    decimals: 6,
                },
                kinds: vec![KIND_B],
            },
        ];
        if self.malformed > 0 {
            v.push(Figure::count(
                "test.malformed_events",
                "Malformed",
                self.malformed,
                KINDS,
            ));
        }
        v
    }
}

pub(crate) async fn store() -> Store {
    Store::open("sqlite::memory:", 1).await.unwrap()
}

pub(crate) fn at(iso: &str) -> Timestamp {
    Timestamp::parse_iso8601_millis(iso).unwrap()
}

pub(crate) fn event(time: &str, kind: &str, payload: serde_json::Value) -> NewEvent {
    NewEvent {
        time: at(time),
        kind: EventKind::new(kind).unwrap(),
        actor: Actor::new("test").unwrap(),
        subject: Subject::new("s").unwrap(),
        payload: Payload::from_value(&payload).unwrap(),
    }
}
