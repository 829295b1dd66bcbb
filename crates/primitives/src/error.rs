use thiserror::Error;

/// Why a decimal string is not a valid [`crate::Amount`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    /// The string was empty.
    #[error("empty amount")]
    Empty,
    /// The string starts with a minus sign.
    #[error("negative amount `{0}`: balances are never negative (record debt in its own column)")]
    Negative(String),
    /// The string holds an exponent such as `1e8`.
    #[error("exponent notation `{0}` is not accepted: write the amount out in full")]
    Exponent(String),
    /// A character that is not a digit or a single decimal point.
    #[error("malformed number `{0}`: only digits and one `.` are allowed")]
    Malformed(String),
    /// More fractional digits than the asset's decimals.
    #[error("`{value}` has {got} decimal places but the asset allows {max}")]
    TooManyDecimals {
        /// The offending input.
        value: String,
        /// Digits after the point in the input.
        got: usize,
        /// The asset's decimals.
        max: u8,
    },
    /// The value is at or above 2^62 smallest units.
    #[error("`{0}` is too large: amounts must stay below 2^62 smallest units")]
    Overflow(String),
}

/// Why an identifier (account or asset) is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    /// Empty identifier.
    #[error("empty {kind}")]
    Empty {
        /// `"account id"` or `"asset id"`.
        kind: &'static str,
    },
    /// Identifier longer than allowed.
    #[error("{kind} `{value}` is {len} bytes long, the maximum is {max}")]
    TooLong {
        /// `"account id"` or `"asset id"`.
        kind: &'static str,
        /// The offending input (truncated for display).
        value: String,
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Identifier with a character outside the allowed set.
    #[error("{kind} `{value}` contains {ch:?}; allowed: {allowed}")]
    BadChar {
        /// `"account id"` or `"asset id"`.
        kind: &'static str,
        /// The offending input.
        value: String,
        /// The first bad character.
        ch: char,
        /// Human description of the allowed set.
        allowed: &'static str,
    },
}

/// Why an asset registry file was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistryError {
    /// TOML syntax or shape error.
    #[error("asset registry is not valid TOML: {0}")]
    Toml(String),
    /// An asset symbol is invalid.
    #[error("asset registry entry {index}: {source}")]
    BadId {
        /// Position of the entry (0-based).
        index: usize,
        /// The identifier error.
        source: IdError,
    },
    /// The same symbol appears twice.
    #[error("asset `{0}` is listed twice in the registry")]
    Duplicate(String),
    /// Decimals above the supported maximum.
    #[error("asset `{asset}` has {decimals} decimals; at most {max} are supported")]
    Decimals {
        /// The asset.
        asset: String,
        /// Its declared decimals.
        decimals: u8,
        /// The supported maximum.
        max: u8,
    },
    /// The declared maximum supply does not fit below 2^62 smallest units.
    #[error(
        "asset `{asset}`: max supply {max_supply} at {decimals} decimals exceeds 2^62 smallest \
         units; lower the ledger decimals"
    )]
    SupplyTooLarge {
        /// The asset.
        asset: String,
        /// Declared maximum supply in whole units.
        max_supply: u64,
        /// Its declared decimals.
        decimals: u8,
    },
    /// An asset lists no chain.
    #[error("asset `{0}` lists no chain")]
    NoChain(String),
    /// The registry is empty.
    #[error("asset registry lists no asset")]
    Empty,
}
