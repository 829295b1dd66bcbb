use thiserror::Error;

/// Why an event field was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EventError {
    /// An event kind is empty, too long, or uses characters outside `a-z 0-9 _ .`.
    #[error("invalid event kind `{value}`: {why}")]
    Kind {
        /// The offending input (truncated to 80 characters).
        value: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// An actor or subject is empty, too long, or holds control characters.
    #[error("invalid event {field} `{value}`: {why}")]
    Field {
        /// `"actor"` or `"subject"`.
        field: &'static str,
        /// The offending input (truncated to 80 characters).
        value: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A payload is not a JSON object.
    #[error("event payload must be a JSON object, got {got}")]
    Payload {
        /// The JSON type that was given.
        got: &'static str,
    },
    /// A stored payload does not decode as its kind's payload struct.
    #[error("payload of a `{kind}` event does not decode: {why}")]
    PayloadShape {
        /// The event kind.
        kind: &'static str,
        /// The decoder's message.
        why: String,
    },
    /// A checkpoint key file does not hold one ed25519 secret (its content is never repeated).
    #[error("invalid checkpoint key file: {why}")]
    KeyFile {
        /// What is wrong with it.
        why: String,
    },
    /// A checkpoint public key is not 32 bytes of hex encoding a curve point.
    #[error("invalid checkpoint public key: {why}")]
    PublicKey {
        /// What is wrong with it.
        why: String,
    },
    /// A checkpoint was signed by another key than the trusted one.
    #[error("checkpoint at seq {seq} is signed by key {got}, not the trusted key {expected}")]
    CheckpointWrongKey {
        /// The checkpoint's seq.
        seq: u64,
        /// The trusted public key, hex.
        expected: String,
        /// The key the checkpoint names, hex.
        got: String,
    },
    /// A checkpoint's signature does not verify: it was forged or altered.
    #[error("checkpoint at seq {seq} has an invalid signature (forged or altered)")]
    CheckpointSignature {
        /// The checkpoint's seq.
        seq: u64,
    },
    /// A line of a JSON-lines checkpoint file does not parse.
    #[error("checkpoint file line {line}: {why}")]
    CheckpointLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        why: String,
    },
}
