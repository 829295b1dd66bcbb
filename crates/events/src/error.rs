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
}
