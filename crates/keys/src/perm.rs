use core::fmt;

use crate::KeyError;

/// One OKX v5 permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// View balances, orders and bills.
    Read,
    /// Place and cancel orders, transfer between accounts, change settings.
    Trade,
    /// Withdraw funds.
    Withdraw,
}

impl Permission {
    /// All permissions, in display order.
    pub const ALL: [Permission; 3] = [Self::Read, Self::Trade, Self::Withdraw];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Trade => "trade",
            Self::Withdraw => "withdraw",
        }
    }

    /// Parses a wire name (lowercase).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    fn bit(self) -> u8 {
        match self {
            Self::Read => 1,
            Self::Trade => 2,
            Self::Withdraw => 4,
        }
    }
}

/// A non-empty set of permissions.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permissions(u8);

impl Permissions {
    /// From names such as `["read", "trade"]`: non-empty, no repeats, no unknown names.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, KeyError> {
        if names.is_empty() {
            return Err(KeyError::Permissions {
                why: "at least one of read, trade, withdraw is required".into(),
            });
        }
        let mut bits = 0u8;
        for n in names {
            let n = n.as_ref();
            let p = Permission::parse(n).ok_or_else(|| KeyError::Permissions {
                why: format!(
                    "unknown permission `{}`; use read, trade or withdraw",
                    n.chars().take(32).collect::<String>()
                ),
            })?;
            if bits & p.bit() != 0 {
                return Err(KeyError::Permissions {
                    why: format!("`{n}` is listed twice"),
                });
            }
            bits |= p.bit();
        }
        Ok(Self(bits))
    }

    /// From the stored bit mask (read = 1, trade = 2, withdraw = 4).
    pub fn from_bits(bits: i64) -> Result<Self, KeyError> {
        if bits <= 0 || bits > 7 {
            return Err(KeyError::Corrupt {
                what: "permissions",
                why: format!("bit mask {bits}"),
            });
        }
        Ok(Self(bits as u8))
    }

    /// The stored bit mask.
    pub fn bits(self) -> i64 {
        i64::from(self.0)
    }

    /// Whether `p` is granted.
    pub fn has(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    /// Whether every permission in `other` is granted.
    pub fn contains(self, other: Permissions) -> bool {
        self.0 & other.0 == other.0
    }

    /// The granted permissions, in display order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |p| self.has(*p))
    }

    /// The names, in display order.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Permission::as_str).collect()
    }
}

impl From<Permission> for Permissions {
    fn from(p: Permission) -> Self {
        Self(p.bit())
    }
}

impl fmt::Debug for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Permissions({})", self.names().join(","))
    }
}

impl fmt::Display for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_query() {
        let p = Permissions::parse(&["trade", "read"]).unwrap();
        assert_eq!(p.names(), ["read", "trade"]);
        assert!(p.has(Permission::Trade) && !p.has(Permission::Withdraw));
        assert!(p.contains(Permission::Read.into()));
        assert_eq!(Permissions::from_bits(p.bits()).unwrap(), p);
        assert!(Permissions::from_bits(0).is_err());
        assert!(Permissions::from_bits(8).is_err());
        for bad in [&[][..], &["Read"], &["read", "read"], &["admin"]] {
            assert!(
                matches!(Permissions::parse(bad), Err(KeyError::Permissions { .. })),
                "{bad:?}"
            );
        }
    }
}
