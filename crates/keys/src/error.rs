use thiserror::Error;

/// Why key material or a key request was rejected. Messages never contain secret values.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// The API key id is not a lowercase UUID.
    #[error(
        "invalid API key id: expected a lowercase UUID such as 0a1b2c3d-0000-4000-8000-00000000abcd"
    )]
    KeyId,
    /// The label is empty, too long or has control characters.
    #[error("invalid label: {why}")]
    Label {
        /// What is wrong.
        why: &'static str,
    },
    /// A permission name is unknown, repeated, or the list is empty.
    #[error("invalid permissions: {why}")]
    Permissions {
        /// What is wrong.
        why: String,
    },
    /// An IP allowlist entry is malformed or not acceptable.
    #[error("invalid IP entry #{index} `{entry}`: {why}")]
    Ip {
        /// 0-based position in the list.
        index: usize,
        /// The entry as given (truncated to 64 characters).
        entry: String,
        /// What is wrong.
        why: String,
    },
    /// More IP entries than the policy allows.
    #[error("{got} IP entries given, at most {max} are allowed")]
    TooManyIps {
        /// Entries given.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// The passphrase does not meet the rules.
    #[error("invalid passphrase: {why}")]
    Passphrase {
        /// Which rule failed (never the passphrase itself).
        why: &'static str,
    },
    /// A stored passphrase hash is not a valid Argon2 PHC string, or hashing failed.
    #[error("passphrase hashing failed: {0}")]
    Argon2(String),
    /// The key-encryption key is not 32 bytes of hex or base64.
    #[error("invalid key-encryption key: {why}")]
    Kek {
        /// What is wrong.
        why: &'static str,
    },
    /// A sealed value could not be opened: wrong KEK, wrong row, or tampered ciphertext.
    #[error("sealed value could not be opened (wrong key-encryption key or tampered data)")]
    Unseal,
    /// A stored value could not be decoded.
    #[error("corrupt stored {what}: {why}")]
    Corrupt {
        /// What was being decoded.
        what: &'static str,
        /// What is wrong.
        why: String,
    },
}
