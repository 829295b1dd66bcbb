//! The event model: what a service hands the log ([`NewEvent`]) and what the log holds ([`Event`]).

use core::fmt;

use serde_json::Value;

use crate::{Digest, EventError, Timestamp};

fn truncated(s: &str) -> String {
    s.chars().take(80).collect()
}

/// What happened, as a dotted lowercase name: `api_key.created`, `gateway.denied`, `login.locked`.
///
/// 1–64 bytes of `a-z 0-9 _ .`. Each service defines its kinds as constants next to its domain.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventKind(String);

impl EventKind {
    /// Validates a kind.
    pub fn new(s: impl Into<String>) -> Result<Self, EventError> {
        let s = s.into();
        let why = if s.is_empty() {
            Some("empty")
        } else if s.len() > 64 {
            Some("longer than 64 bytes")
        } else if !s
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'.')
        {
            Some("allowed characters are a-z 0-9 _ .")
        } else {
            None
        };
        match why {
            Some(why) => Err(EventError::Kind {
                value: truncated(&s),
                why,
            }),
            None => Ok(Self(s)),
        }
    }

    /// Wraps text read back from storage without validating it: the hash covers the stored bytes,
    /// and the chain check must see tampered values rather than fail to decode them.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    /// The kind as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_field(field: &'static str, s: &str, max: usize) -> Result<(), EventError> {
    let why = if s.is_empty() {
        Some("empty")
    } else if s.len() > max {
        Some("too long")
    } else if s.chars().any(char::is_control) {
        Some("contains control characters")
    } else {
        None
    };
    match why {
        Some(why) => Err(EventError::Field {
            field,
            value: truncated(s),
            why,
        }),
        None => Ok(()),
    }
}

/// Who caused the event: `operator:<name>`, `user:<id>`, `gateway`, `system:purge`, ...
/// (1–128 bytes, no control characters).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Actor(String);

impl Actor {
    /// Validates an actor.
    pub fn new(s: impl Into<String>) -> Result<Self, EventError> {
        let s = s.into();
        check_field("actor", &s, 128)?;
        Ok(Self(s))
    }

    /// Wraps text read back from storage without validating it (see [`EventKind::from_stored`]).
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    /// The actor as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the event is about: `api_key:<id>`, `user:<id>`, ... (1–256 bytes, no control characters).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Subject(String);

impl Subject {
    /// Validates a subject.
    pub fn new(s: impl Into<String>) -> Result<Self, EventError> {
        let s = s.into();
        check_field("subject", &s, 256)?;
        Ok(Self(s))
    }

    /// Wraps text read back from storage without validating it (see [`EventKind::from_stored`]).
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    /// The subject as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An event's details: a JSON object, held as its canonical text (keys sorted, no whitespace).
///
/// # Security
/// Never put secrets, passphrases, signatures or one-time codes in a payload.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Payload(String);

impl Payload {
    /// The empty object `{}`.
    pub fn empty() -> Self {
        Self("{}".to_owned())
    }

    /// Canonicalises a JSON object.
    pub fn from_value(v: &Value) -> Result<Self, EventError> {
        let Value::Object(_) = v else {
            return Err(EventError::Payload {
                got: match v {
                    Value::Null => "null",
                    Value::Bool(_) => "a boolean",
                    Value::Number(_) => "a number",
                    Value::String(_) => "a string",
                    Value::Array(_) => "an array",
                    Value::Object(_) => unreachable!(),
                },
            });
        };
        // Sort keys at every depth explicitly, whatever serde_json's map ordering feature is.
        let mut out = Vec::with_capacity(256);
        canonical(v, &mut out);
        // serde_json writes only UTF-8 (strings are escaped, never split), so this never falls
        // back; the lossy branch keeps the function total without a panic.
        Ok(Self(String::from_utf8(out).unwrap_or_else(|e| {
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        })))
    }

    /// Wraps text read back from storage, unchanged (the hash covers these exact bytes).
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The canonical JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses the payload back into a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }
}

/// Appends `v` to `out` as compact JSON with every object's keys sorted. Keys and scalars are
/// written by serde_json's own writer straight into the buffer (the same escaping and number
/// format as `to_string`, without a string per key and per value: every event's payload goes
/// through here, on the hot path of the busiest services).
fn canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, x)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                scalar(k, out);
                out.push(b':');
                canonical(x, out);
            }
            out.push(b'}');
        }
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(x, out);
            }
            out.push(b']');
        }
        other => scalar(other, out),
    }
}

/// Writes a key or a scalar. Writing into a `Vec` cannot fail and these values always
/// serialise, so the error branch is unreachable; it writes `null` rather than panicking.
fn scalar<T: serde::Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) {
    if serde_json::to_writer(&mut *out, v).is_err() {
        out.extend_from_slice(b"null");
    }
}

macro_rules! text_debug {
    ($($t:ident),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($t), "({})"), self.0)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}
text_debug!(EventKind, Actor, Subject, Payload);

/// An event a service wants recorded; the store assigns `seq` and the hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// When the decision was taken.
    pub time: Timestamp,
    /// What happened.
    pub kind: EventKind,
    /// Who caused it.
    pub actor: Actor,
    /// What it is about.
    pub subject: Subject,
    /// Details.
    pub payload: Payload,
}

/// An event as recorded in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// The recorded event.
    pub body: NewEvent,
    /// Hash of the previous event ([`crate::GENESIS_HASH`] for seq 1).
    pub prev_hash: Digest,
    /// Hash of this event (see the crate docs for the encoding).
    pub hash: Digest,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn kinds() {
        assert!(EventKind::new("api_key.created").is_ok());
        assert!(EventKind::new("a9_.b").is_ok());
        for bad in [
            "",
            "Api.created",
            "api key",
            "api-key",
            "é",
            &"a".repeat(65),
        ] {
            assert!(
                matches!(EventKind::new(bad), Err(EventError::Kind { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn fields() {
        assert!(Actor::new("operator:alice").is_ok());
        assert!(Actor::new("").is_err());
        assert!(Actor::new("a\nb").is_err());
        assert!(Actor::new("x".repeat(129)).is_err());
        assert!(Subject::new("x".repeat(256)).is_ok());
        assert!(Subject::new("x".repeat(257)).is_err());
    }

    #[test]
    fn payload_is_canonical() {
        let a = Payload::from_value(&json!({"b": 1, "a": {"z": [1, {"y": 2, "x": 3}], "c": null}}))
            .unwrap();
        assert_eq!(
            a.as_str(),
            r#"{"a":{"c":null,"z":[1,{"x":3,"y":2}]},"b":1}"#
        );
        assert_eq!(a.to_value()["b"], json!(1));
        assert_eq!(
            Payload::from_value(&json!([1])),
            Err(EventError::Payload { got: "an array" })
        );
        assert_eq!(Payload::empty().as_str(), "{}");
        let s = Payload::from_value(&json!({"k": "quote\" and \\ and \u{1}"})).unwrap();
        assert_eq!(s.to_value()["k"], json!("quote\" and \\ and \u{1}"));
        // The exact bytes are what the hash chain covers: escapes, non-ASCII keys (sorted by
        // bytes), negative and fractional numbers and booleans as serde_json writes them.
        let t =
            Payload::from_value(&json!({"é": -1, "b\"\n": [true, 1.5, "\u{7f}ü"], "a": u64::MAX}))
                .unwrap();
        assert_eq!(
            t.as_str(),
            "{\"a\":18446744073709551615,\"b\\\"\\n\":[true,1.5,\"\u{7f}ü\"],\"é\":-1}"
        );
        assert_ne!(t.as_str(), r#"{"é":-1,"a":18446744073709551615}"#);
    }
}
