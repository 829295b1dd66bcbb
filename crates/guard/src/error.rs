use custodia_chain::ChainError;
use thiserror::Error;

/// Everything that can go wrong in `custodia-guard`: a rejected address, host, list entry, file,
/// snapshot or configuration. Messages name the offending value (truncated) and the rule it broke;
/// they never contain more of the input than [`GuardError::MAX_ECHO`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GuardError {
    /// An address does not follow its chain's format.
    #[error("invalid {chain} address `{input}`: {why}")]
    Address {
        /// The chain it was checked against (`evm`, `bitcoin`, `tron`, `solana`, or `any`).
        chain: &'static str,
        /// The input, truncated.
        input: String,
        /// Which rule failed.
        why: String,
    },
    /// A list names an asset or chain this crate does not validate (for example OFAC's `XMR`).
    #[error(
        "unsupported asset or chain `{asset}`: only EVM, Bitcoin, TRON and Solana addresses are validated"
    )]
    UnsupportedChain {
        /// The asset code or chain name as given.
        asset: String,
    },
    /// A host name or URL cannot be a web host.
    #[error("invalid host `{input}`: {why}")]
    Host {
        /// The input, truncated.
        input: String,
        /// Which rule failed.
        why: String,
    },
    /// A list entry is well-formed but not acceptable in that list.
    #[error("rejected entry `{entry}`: {why}")]
    Entry {
        /// The entry, truncated.
        entry: String,
        /// Why it is refused.
        why: String,
    },
    /// A date is not `YYYY-MM-DD` or does not exist.
    #[error("invalid date `{input}`: expected YYYY-MM-DD")]
    Date {
        /// The input, truncated.
        input: String,
    },
    /// A whole file cannot be read in its format (JSON syntax, XML structure, wrong top-level shape).
    #[error("cannot read {format} at {location}: {why}")]
    Format {
        /// `OFAC SDN XML`, `JSON array`, `MetaMask config`, ...
        format: &'static str,
        /// Line, entry or byte position.
        location: String,
        /// What is wrong.
        why: String,
    },
    /// A snapshot or delta is malformed, truncated or from an unknown format version.
    #[error("invalid snapshot: {why}")]
    Snapshot {
        /// What is wrong.
        why: String,
    },
    /// A snapshot's or delta's content does not hash to the SHA-256 in its header.
    #[error("snapshot content hash mismatch: header says {expected}, content hashes to {got}")]
    SnapshotHash {
        /// Hex SHA-256 from the header.
        expected: String,
        /// Hex SHA-256 of the bytes read.
        got: String,
    },
    /// A delta was applied to a snapshot other than the one it was computed from.
    #[error(
        "delta applies to snapshot version {expected_version} ({expected_hash}), not version {got_version} ({got_hash})"
    )]
    DeltaBase {
        /// Version the delta starts from.
        expected_version: u64,
        /// Hex content hash the delta starts from.
        expected_hash: String,
        /// Version of the snapshot given.
        got_version: u64,
        /// Hex content hash of the snapshot given.
        got_hash: String,
    },
    /// A snapshot signature is malformed, made by a key that is not trusted, or does not match
    /// the snapshot: the snapshot must not be used.
    #[error("snapshot signature refused: {why}")]
    Signature {
        /// What is wrong (expected and got key ids, or which check failed).
        why: String,
    },
    /// A snapshot signing key or public key cannot be read.
    #[error("invalid snapshot signing key: {why}")]
    SigningKey {
        /// What is wrong (never the secret).
        why: String,
    },
    /// A configuration value is out of range or inconsistent.
    #[error("invalid configuration: {why}")]
    Config {
        /// What is wrong.
        why: String,
    },
}

impl GuardError {
    /// Longest piece of input an error message repeats.
    pub const MAX_ECHO: usize = 120;
}

/// The chain crate's errors in the guard's words. An address rejection converted this way does
/// not know its input; the guard's own parsers attach it (`address::address_error`).
impl From<ChainError> for GuardError {
    fn from(e: ChainError) -> Self {
        match e {
            ChainError::Address { ref reason, .. } => GuardError::Address {
                chain: e.chain_label(),
                input: String::new(),
                why: reason.to_string(),
            },
            ChainError::UnsupportedChain { name } => GuardError::UnsupportedChain { asset: name },
            ChainError::AddressKey { .. } => GuardError::Snapshot { why: e.to_string() },
        }
    }
}

/// The first [`GuardError::MAX_ECHO`] characters of `s`, with control characters replaced, so
/// that a hostile list cannot inject lines into logs through error messages.
pub(crate) fn echo(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(GuardError::MAX_ECHO)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if s.chars().count() > GuardError::MAX_ECHO {
        out.push('…');
    }
    out
}
