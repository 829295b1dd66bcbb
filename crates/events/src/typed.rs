//! Typed event payloads: one struct per event kind, so a service never builds a payload from
//! loose JSON and a reader decodes exactly what the writer wrote.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Actor, Event, EventError, EventKind, NewEvent, Payload, Subject, Timestamp};

/// A payload struct tied to its event kind.
///
/// To add an event kind to a service:
/// 1. define a `#[derive(Serialize, Deserialize)]` struct with the fields the decision needs
///    (never a secret: analysts read payloads);
/// 2. implement this trait with the kind's name (`<service>.<what_happened>`, lower case);
/// 3. write it with [`NewEvent::typed`] and read it back with [`Event::decode`];
/// 4. fold it in the service's [`crate::Tally`] if the monthly report counts it.
pub trait EventPayload: Serialize + DeserializeOwned {
    /// The event kind this payload is recorded under. Must satisfy [`EventKind::new`].
    const KIND: &'static str;
}

/// Keeps the first `max` characters (actors and subjects are bounded; an over-long user id must
/// not make an event unrecordable).
fn clip(s: &str, max: usize) -> String {
    // Bytes bound characters: a string no longer than `max` bytes needs no walk.
    if s.len() <= max {
        return s.to_owned();
    }
    s.chars().take(max).collect()
}

impl NewEvent {
    /// An event of `P::KIND`. Over-long or invalid actors and subjects are clipped or replaced
    /// by `unknown` rather than failing: the decision still gets recorded.
    ///
    /// # Panics
    ///
    /// If `P::KIND` is not a valid kind or `P` does not serialise to a JSON object: both are
    /// programming errors, caught by each service's tests.
    pub fn typed<P: EventPayload>(
        time: Timestamp,
        actor: &str,
        subject: &str,
        payload: &P,
    ) -> Self {
        NewEvent {
            time,
            kind: EventKind::new(P::KIND).expect("event kinds are valid constants"),
            actor: Actor::new(clip(actor, 128))
                .unwrap_or_else(|_| Actor::new("unknown").expect("constant")),
            subject: Subject::new(clip(subject, 256))
                .unwrap_or_else(|_| Subject::new("unknown").expect("constant")),
            payload: Payload::of(payload).expect("event payloads are JSON objects"),
        }
    }

    /// The payload as `P`: `None` when the kind is not `P::KIND`.
    pub fn decode<P: EventPayload>(&self) -> Option<Result<P, EventError>> {
        (self.kind.as_str() == P::KIND).then(|| {
            serde_json::from_str(self.payload.as_str()).map_err(|e| EventError::PayloadShape {
                kind: P::KIND,
                why: e.to_string(),
            })
        })
    }
}

impl Event {
    /// The payload as `P`: `None` when the kind is not `P::KIND`.
    pub fn decode<P: EventPayload>(&self) -> Option<Result<P, EventError>> {
        self.body.decode()
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Opened {
        door: String,
        count: u32,
    }
    impl EventPayload for Opened {
        const KIND: &'static str = "test.opened";
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Closed {
        door: String,
    }
    impl EventPayload for Closed {
        const KIND: &'static str = "test.closed";
    }

    #[test]
    fn typed_round_trips_and_other_kinds_do_not_decode() {
        let p = Opened {
            door: "front".into(),
            count: 3,
        };
        let e = NewEvent::typed(Timestamp::from_millis(5), "operator:a", "door:1", &p);
        assert_eq!(e.kind.as_str(), "test.opened");
        assert_eq!(e.payload.as_str(), r#"{"count":3,"door":"front"}"#);
        assert_eq!(e.decode::<Opened>().unwrap().unwrap(), p);
        assert!(e.decode::<Closed>().is_none());
    }

    #[test]
    fn a_payload_of_the_wrong_shape_is_a_specific_error() {
        let mut e = NewEvent::typed(
            Timestamp::from_millis(5),
            "a",
            "b",
            &Closed { door: "x".into() },
        );
        e.kind = EventKind::new("test.opened").unwrap();
        match e.decode::<Opened>() {
            Some(Err(EventError::PayloadShape { kind, .. })) => assert_eq!(kind, "test.opened"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn over_long_actor_and_subject_are_clipped_not_lost() {
        let e = NewEvent::typed(
            Timestamp::from_millis(1),
            &"a".repeat(500),
            "bad\nsubject",
            &Closed { door: "x".into() },
        );
        assert_eq!(e.actor.as_str().len(), 128);
        assert_eq!(e.subject.as_str(), "unknown");
    }
}
