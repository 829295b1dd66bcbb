//! The hash chain over events and its verifier.

use core::fmt;

use sha2::{Digest as _, Sha256};

use crate::{Event, NewEvent};

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Digest(pub [u8; 32]);

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: Digest = Digest([0; 32]);

impl Digest {
    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Reads 32 bytes; `None` for any other length.
    pub fn from_slice(b: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(b).ok().map(Self)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

const DOMAIN: &[u8] = b"custodia.event.v1\0";

fn put(h: &mut Sha256, field: &str) {
    let len = u32::try_from(field.len()).expect("event fields are length-checked");
    h.update(len.to_be_bytes());
    h.update(field.as_bytes());
}

/// The hash of the event at `seq` with body `e` following `prev`.
pub fn hash_event(prev: &Digest, seq: u64, e: &NewEvent) -> Digest {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(prev.0);
    h.update(seq.to_be_bytes());
    h.update(e.time.as_millis().to_be_bytes());
    put(&mut h, e.kind.as_str());
    put(&mut h, e.actor.as_str());
    put(&mut h, e.subject.as_str());
    put(&mut h, e.payload.as_str());
    Digest(h.finalize().into())
}

impl Event {
    /// Links `body` after the event (`prev_seq`, `prev_hash`); `(0, GENESIS_HASH)` starts a log.
    pub fn link(prev_seq: u64, prev_hash: Digest, body: NewEvent) -> Self {
        let seq = prev_seq + 1;
        let hash = hash_event(&prev_hash, seq, &body);
        Self {
            seq,
            body,
            prev_hash,
            hash,
        }
    }
}

/// Why the chain breaks at an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakReason {
    /// `seq` is not the previous one plus one (a row was deleted or inserted).
    SeqGap {
        /// The seq that should come next.
        expected: u64,
    },
    /// `prev_hash` is not the previous row's hash.
    PrevHashMismatch,
    /// `hash` does not match the row's contents (the row was edited).
    HashMismatch,
}

impl fmt::Display for BreakReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SeqGap { expected } => write!(f, "sequence gap: expected seq {expected}"),
            Self::PrevHashMismatch => f.write_str("prev_hash does not match the previous event"),
            Self::HashMismatch => f.write_str("hash does not match the event's contents"),
        }
    }
}

/// The first place the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The seq of the first event that does not verify.
    pub seq: u64,
    /// Why.
    pub reason: BreakReason,
}

/// The outcome of a chain check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Events checked (up to and including the first break).
    pub checked: u64,
    /// The last event's seq (0 for an empty log).
    pub head_seq: u64,
    /// The last event's hash; publish it to detect truncation later.
    pub head_hash: Digest,
    /// The first break, if any.
    pub first_break: Option<Break>,
}

impl ChainReport {
    /// True when no break was found.
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Checks events one at a time, in `seq` order, remembering only the previous row.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev_seq: u64,
    prev_hash: Digest,
    checked: u64,
    first_break: Option<Break>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    /// Starts at the genesis.
    pub fn new() -> Self {
        Self {
            prev_seq: 0,
            prev_hash: GENESIS_HASH,
            checked: 0,
            first_break: None,
        }
    }

    /// Starts after a retention anchor: the next event must be `seq + 1` and link to `hash`
    /// (the signed head of the checkpoint the log was pruned up to).
    pub fn after(seq: u64, hash: Digest) -> Self {
        Self {
            prev_seq: seq,
            prev_hash: hash,
            checked: 0,
            first_break: None,
        }
    }

    /// Checks the next event. After the first break, further events are ignored.
    pub fn push(&mut self, e: &Event) -> Result<(), Break> {
        if let Some(b) = &self.first_break {
            return Err(b.clone());
        }
        self.checked += 1;
        let reason = if e.seq != self.prev_seq + 1 {
            Some(BreakReason::SeqGap {
                expected: self.prev_seq + 1,
            })
        } else if e.prev_hash != self.prev_hash {
            Some(BreakReason::PrevHashMismatch)
        } else if hash_event(&e.prev_hash, e.seq, &e.body) != e.hash {
            Some(BreakReason::HashMismatch)
        } else {
            None
        };
        if let Some(reason) = reason {
            let b = Break { seq: e.seq, reason };
            self.first_break = Some(b.clone());
            return Err(b);
        }
        self.prev_seq = e.seq;
        self.prev_hash = e.hash;
        Ok(())
    }

    /// True once a break was found.
    pub fn is_broken(&self) -> bool {
        self.first_break.is_some()
    }

    /// The report, given the log's actual head (`(seq, hash)` of its last row, if any).
    pub fn finish(self, head: Option<(u64, Digest)>) -> ChainReport {
        let (head_seq, head_hash) = head.unwrap_or((self.prev_seq, self.prev_hash));
        ChainReport {
            checked: self.checked,
            head_seq,
            head_hash,
            first_break: self.first_break,
        }
    }
}

/// Walks the whole log in seq order (pages of 1000) from the genesis and reports the first broken
/// seq, if any, with the head the log claims. A log pruned by retention starts at its anchor
/// instead: check it with [`crate::verify_anchored`].
pub async fn verify_chain<R: crate::EventReader>(log: &R) -> crate::RepoResult<ChainReport> {
    let mut v = ChainVerifier::new();
    let mut after = 0;
    loop {
        let page = log.events_after(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in &page {
            if v.push(e).is_err() {
                return Ok(v.finish(Some(log.head().await?)));
            }
        }
    }
    Ok(v.finish(Some(log.head().await?)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{Actor, EventKind, Payload, Subject, Timestamp};

    fn body(i: i64) -> NewEvent {
        NewEvent {
            time: Timestamp::from_millis(1_700_000_000_000 + i),
            kind: EventKind::new("test.happened").unwrap(),
            actor: Actor::new("system:test").unwrap(),
            subject: Subject::new(format!("thing:{i}")).unwrap(),
            payload: Payload::from_value(&json!({ "i": i })).unwrap(),
        }
    }

    fn chain(n: i64) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::new();
        for i in 0..n {
            let (s, h) = out.last().map_or((0, GENESIS_HASH), |e| (e.seq, e.hash));
            out.push(Event::link(s, h, body(i)));
        }
        out
    }

    fn verify(events: &[Event]) -> ChainReport {
        let mut v = ChainVerifier::new();
        for e in events {
            if v.push(e).is_err() {
                break;
            }
        }
        v.finish(events.last().map(|e| (e.seq, e.hash)))
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        let r = verify(&c);
        assert!(r.is_intact());
        assert_eq!((r.checked, r.head_seq, r.head_hash), (5, 5, c[4].hash));
        let empty = verify(&[]);
        assert!(empty.is_intact());
        assert_eq!((empty.head_seq, empty.head_hash), (0, GENESIS_HASH));
    }

    #[test]
    fn known_answer() {
        // Pins the encoding (value computed independently with Python hashlib from the README
        // layout): changing it breaks every deployed log.
        let e = Event::link(0, GENESIS_HASH, body(0));
        assert_eq!(
            e.hash.to_hex(),
            "72b0d8957c1c7f1255c5ad554c50543f02d385888b899226a4f08d0198f4cead",
            "update this constant only with a new DOMAIN version"
        );
    }

    #[test]
    fn each_tampering_reports_the_first_broken_seq() {
        type Tamper = fn(&mut Vec<Event>);
        let cases: &[(&str, Tamper, u64, BreakReason)] = &[
            (
                "edit payload",
                |c| c[2].body.payload = Payload::from_stored(r#"{"i":99}"#.into()),
                3,
                BreakReason::HashMismatch,
            ),
            (
                "edit time",
                |c| c[1].body.time = Timestamp::from_millis(0),
                2,
                BreakReason::HashMismatch,
            ),
            (
                "edit actor",
                |c| c[4].body.actor = Actor::new("operator:mallory").unwrap(),
                5,
                BreakReason::HashMismatch,
            ),
            (
                "delete a row",
                |c| {
                    c.remove(2);
                },
                4,
                BreakReason::SeqGap { expected: 3 },
            ),
            (
                "swap rows",
                |c| c.swap(1, 2),
                3,
                BreakReason::SeqGap { expected: 2 },
            ),
            (
                "rehash edited row only",
                |c| {
                    c[2].body.subject = Subject::new("thing:x").unwrap();
                    c[2].hash = hash_event(&c[2].prev_hash, 3, &c[2].body);
                },
                4,
                BreakReason::PrevHashMismatch,
            ),
            (
                "renumber after delete",
                |c| {
                    c.remove(2);
                    for e in c.iter_mut().skip(2) {
                        e.seq -= 1;
                    }
                },
                3,
                BreakReason::PrevHashMismatch,
            ),
            (
                "first row not seq 1",
                |c| {
                    c.remove(0);
                },
                2,
                BreakReason::SeqGap { expected: 1 },
            ),
        ];
        for (name, tamper, seq, reason) in cases {
            let mut c = chain(6);
            tamper(&mut c);
            let r = verify(&c);
            assert_eq!(
                r.first_break,
                Some(Break {
                    seq: *seq,
                    reason: reason.clone()
                }),
                "{name}"
            );
            assert!(!r.is_intact(), "{name}");
        }
    }
}
