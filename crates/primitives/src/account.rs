use core::fmt;

use serde::Deserialize;

use crate::IdError;

/// An exchange's identifier for one user account, validated at the boundary.
///
/// 1 to [`AccountId::MAX_LEN`] bytes of `A-Z a-z 0-9 _ - . : @`. The limit keeps every id
/// within the fixed-size encoding the leaf hash uses (`docs/por-protocol.md`), and the character
/// set keeps ids safe in CSV, file names and URLs.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct AccountId(String);

// Written as its text without the copy `into = "String"` would make: ids are serialised on
// hot paths (the fund's operation fingerprints and events carry several per operation).
impl serde::Serialize for AccountId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl AccountId {
    /// Maximum length in bytes.
    pub const MAX_LEN: usize = 64;

    /// Validates and wraps an account id.
    pub fn new(s: impl Into<String>) -> Result<Self, IdError> {
        let s = s.into();
        validate(&s)?;
        Ok(Self(s))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The shard folder of this account's file in a delivery folder (`por inclusion --all`):
    /// the low byte of FNV-1a-64 over the id's bytes, as two lower-case hex digits. Simple
    /// enough for any language to compute, and spreads ids evenly over 256 folders.
    pub fn delivery_shard(&self) -> String {
        format!("{:02x}", self.delivery_hash() & 0xff)
    }

    /// FNV-1a-64 over the id's bytes: the key of the delivery pack's index
    /// ([`crate::pack`]) and, by its low byte, the shard folder of per-user files.
    pub fn delivery_hash(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.0.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    }
}

fn validate(s: &str) -> Result<(), IdError> {
    const KIND: &str = "account id";
    if s.is_empty() {
        return Err(IdError::Empty { kind: KIND });
    }
    if s.len() > AccountId::MAX_LEN {
        return Err(IdError::TooLong {
            kind: KIND,
            value: s.chars().take(AccountId::MAX_LEN).collect(),
            len: s.len(),
            max: AccountId::MAX_LEN,
        });
    }
    if let Some(ch) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '@')))
    {
        return Err(IdError::BadChar {
            kind: KIND,
            value: s.to_owned(),
            ch,
            allowed: "A-Z a-z 0-9 _ - . : @",
        });
    }
    Ok(())
}

impl TryFrom<String> for AccountId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl From<AccountId> for String {
    fn from(a: AccountId) -> String {
        a.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_rejects() {
        assert!(AccountId::new("user-0001").is_ok());
        assert!(AccountId::new("a@b.c:d_e").is_ok());
        assert!(AccountId::new("x".repeat(64)).is_ok());
        assert!(matches!(AccountId::new(""), Err(IdError::Empty { .. })));
        assert!(matches!(
            AccountId::new("x".repeat(65)),
            Err(IdError::TooLong { len: 65, .. })
        ));
        assert!(matches!(
            AccountId::new("a,b"),
            Err(IdError::BadChar { ch: ',', .. })
        ));
        assert!(matches!(
            AccountId::new("a b"),
            Err(IdError::BadChar { ch: ' ', .. })
        ));
        assert!(matches!(
            AccountId::new("é"),
            Err(IdError::BadChar { ch: 'é', .. })
        ));
    }
}
