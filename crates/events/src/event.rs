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

    /// The canonical text of any serialisable object. A struct whose fields serialise in sorted
    /// order (at every depth) is written once, straight from `serde_json`, and only checked; any
    /// other shape goes through [`Payload::from_value`]. Both give the same bytes: the check
    /// accepts exactly the texts canonicalisation would leave unchanged.
    pub fn of<T: serde::Serialize + ?Sized>(t: &T) -> Result<Self, EventError> {
        if let Ok(bytes) = serde_json::to_vec(t)
            && bytes.first() == Some(&b'{')
            && keys_sorted(&bytes)
            && let Ok(text) = String::from_utf8(bytes)
        {
            return Ok(Self(text));
        }
        let v = serde_json::to_value(t).map_err(|_| EventError::Payload {
            got: "a value JSON cannot hold",
        })?;
        Self::from_value(&v)
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

/// Whether compact JSON text, as `serde_json` writes it, already has every object's keys in
/// strictly increasing byte order. Keys with an escape are not compared (their bytes are not
/// their text): the answer is then `false`, and the caller canonicalises the slow way. For any
/// other key the UTF-8 bytes order exactly as the key strings do, which is the order
/// [`canonical`] sorts by.
fn keys_sorted(b: &[u8]) -> bool {
    // One entry per open container: `Some(previous key's byte range)` for an object, `None` for
    // an array.
    let mut stack: Vec<Option<Option<(usize, usize)>>> = Vec::with_capacity(8);
    let mut expect_key = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => {
                stack.push(Some(None));
                expect_key = true;
            }
            b'[' => {
                stack.push(None);
                expect_key = false;
            }
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
            }
            b',' => expect_key = matches!(stack.last(), Some(Some(_))),
            b':' => expect_key = false,
            b'"' => {
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\\' {
                        escaped = true;
                        j += 2;
                    } else {
                        j += 1;
                    }
                }
                if j >= b.len() {
                    return false;
                }
                if expect_key {
                    let Some(Some(last)) = stack.last_mut() else {
                        return false;
                    };
                    if escaped || last.is_some_and(|(s, e)| b[s..e] >= b[start..j]) {
                        return false;
                    }
                    *last = Some((start, j));
                    expect_key = false;
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    stack.is_empty()
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

    /// `Payload::of` gives the bytes of the canonicalising path for every shape: fields
    /// declared in order or not, nested, keys needing escapes, non-ASCII keys, integer map keys
    /// (sorted as text), arrays of objects, and prefixes of each other.
    #[test]
    fn the_direct_path_gives_the_canonical_bytes() {
        use std::collections::BTreeMap;
        #[derive(serde::Serialize)]
        struct Sorted<'a> {
            a: u64,
            b: &'a str,
            c: Option<Inner>,
            d: Vec<Inner>,
        }
        #[derive(serde::Serialize)]
        struct Inner {
            x: i64,
            y: bool,
        }
        #[derive(serde::Serialize)]
        struct Unsorted {
            zeta: u8,
            alpha: Inner,
            ab: u8,
            a: u8,
        }
        #[derive(serde::Serialize)]
        struct BackwardsInner {
            ok: u8,
            inner: BTreeMap<u64, u8>,
        }
        let slow = |t: &dyn erased::Ser| Payload::from_value(&t.value()).unwrap();
        let sorted = Sorted {
            a: 7,
            b: "q\"uote\\",
            c: Some(Inner { x: -1, y: true }),
            d: vec![Inner { x: 1, y: false }, Inner { x: 2, y: true }],
        };
        let unsorted = Unsorted {
            zeta: 1,
            alpha: Inner { x: 3, y: false },
            ab: 2,
            a: 0,
        };
        let escaped: BTreeMap<String, u8> = [
            ("a\"b".to_owned(), 1),
            ("a".to_owned(), 2),
            ("é".to_owned(), 3),
            ("z".to_owned(), 4),
        ]
        .into_iter()
        .collect();
        let numbers: BTreeMap<u64, u8> = [(9, 1), (10, 2), (100, 3)].into_iter().collect();
        let nested = BackwardsInner {
            ok: 1,
            inner: numbers.clone(),
        };
        let cases: Vec<(&str, Box<dyn erased::Ser>)> = vec![
            ("sorted", Box::new(sorted)),
            ("unsorted", Box::new(unsorted)),
            ("escaped keys", Box::new(escaped)),
            ("integer keys", Box::new(numbers)),
            ("nested integer keys", Box::new(nested)),
            ("json", Box::new(json!({"b": [{"d": 1, "c": 2}], "a": {}}))),
        ];
        for (name, t) in &cases {
            assert_eq!(t.direct(), slow(t.as_ref()), "{name}");
        }
        // Negative twins of the check itself: an out-of-order or repeated key is never accepted.
        assert!(keys_sorted(br#"{"a":1,"b":{"c":[{"d":1,"e":2}]}}"#));
        assert!(!keys_sorted(br#"{"b":1,"a":2}"#));
        assert!(!keys_sorted(br#"{"a":1,"a":2}"#));
        assert!(!keys_sorted(br#"{"a":[{"y":1,"x":2}]}"#));
        assert!(!keys_sorted(br#"{"ab":1,"a":2}"#));
        assert!(!keys_sorted(br#"{"a\"":1}"#));
        assert!(!keys_sorted(br#"{"a":"unterminated}"#));
        assert!(keys_sorted(br#"{"a":"}{,:\"","b":["z","a"]}"#));
    }

    /// Object-safe serialisation for the table above.
    mod erased {
        pub trait Ser {
            fn value(&self) -> serde_json::Value;
            fn direct(&self) -> super::Payload;
        }
        impl<T: serde::Serialize> Ser for T {
            fn value(&self) -> serde_json::Value {
                serde_json::to_value(self).unwrap()
            }
            fn direct(&self) -> super::Payload {
                super::Payload::of(self).unwrap()
            }
        }
    }

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
