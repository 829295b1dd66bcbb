use core::fmt;

use custodia_events::{Entropy, Timestamp};
use custodia_primitives::AccountId;

use crate::{
    ApiKeyId, IpAllowlist, Kek, KeyError, KeyPolicy, Passphrase, PassphraseHash, Permission,
    Permissions, SecretString, open, seal,
};

/// A key's label: 1–50 characters, no control characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Label(String);

impl Label {
    /// Validates a label.
    pub fn new(s: impl Into<String>) -> Result<Self, KeyError> {
        let s = s.into();
        let n = s.chars().count();
        if s.trim().is_empty() {
            return Err(KeyError::Label { why: "empty" });
        }
        if n > 50 {
            return Err(KeyError::Label {
                why: "longer than 50 characters",
            });
        }
        if s.chars().any(char::is_control) {
            return Err(KeyError::Label {
                why: "contains control characters",
            });
        }
        Ok(Self(s))
    }

    /// The label text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Label({:?})", self.0)
    }
}

/// Lifecycle state of a key. Keys are never removed from the store: deleted and expired keys stay
/// for the audit trail and can no longer authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Usable.
    Active,
    /// Expired by the idle rule.
    Expired,
    /// Deleted by its owner or an operator.
    Deleted,
}

impl KeyStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Deleted => "deleted",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        match s {
            "active" => Ok(Self::Active),
            "expired" => Ok(Self::Expired),
            "deleted" => Ok(Self::Deleted),
            other => Err(KeyError::Corrupt {
                what: "key status",
                why: other.chars().take(20).collect(),
            }),
        }
    }
}

/// A key's secret, AES-256-GCM-sealed under the KEK with the key id and user as associated data.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret(pub Vec<u8>);

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealedSecret({} bytes)", self.0.len())
    }
}

/// An API key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Public id (`OK-ACCESS-KEY`).
    pub id: ApiKeyId,
    /// Owner.
    pub user: AccountId,
    /// Owner's label.
    pub label: Label,
    /// Granted permissions.
    pub permissions: Permissions,
    /// IP binding (empty: unbound).
    pub ips: IpAllowlist,
    /// Argon2id hash of the passphrase.
    pub passphrase_hash: PassphraseHash,
    /// The sealed secret.
    pub secret_sealed: SealedSecret,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last authenticated call, if any.
    pub last_used_at: Option<Timestamp>,
    /// Lifecycle state.
    pub status: KeyStatus,
    /// When the status last changed (creation for active keys).
    pub status_at: Timestamp,
}

fn secret_aad(id: &ApiKeyId, user: &AccountId) -> Vec<u8> {
    format!("custodia.api_key.secret.v1\0{id}\0{user}").into_bytes()
}

impl SealedSecret {
    /// Seals an existing `secret` for key `id` of `user` (importing keys issued elsewhere, such
    /// as from another key service or a client library's test credentials).
    pub fn seal(
        kek: &Kek,
        id: &ApiKeyId,
        user: &AccountId,
        secret: &SecretString,
        entropy: &dyn Entropy,
    ) -> Self {
        Self(seal(
            kek,
            secret.expose().as_bytes(),
            &secret_aad(id, user),
            entropy,
        ))
    }
}

impl ApiKey {
    /// Decrypts the secret. Fails if the KEK is wrong or the row was tampered with or moved.
    pub fn open_secret(&self, kek: &Kek) -> Result<SecretString, KeyError> {
        let raw = open(
            kek,
            &self.secret_sealed.0,
            &secret_aad(&self.id, &self.user),
        )?;
        String::from_utf8(raw)
            .map(SecretString::new)
            .map_err(|_| KeyError::Unseal)
    }

    /// The idle rule applies to keys that can trade or withdraw and are bound to no IP.
    pub fn is_idle_expirable(&self) -> bool {
        (self.permissions.has(Permission::Trade) || self.permissions.has(Permission::Withdraw))
            && !self.ips.is_bound()
    }

    /// Last authenticated call, or creation if never used.
    pub fn last_activity(&self) -> Timestamp {
        self.last_used_at.unwrap_or(self.created_at)
    }

    /// Whether the idle rule expires this key at `now`: active, expirable, and no authenticated
    /// call for at least `policy.idle_expiry_ms`.
    pub fn is_idle_at(&self, now: Timestamp, policy: &KeyPolicy) -> bool {
        self.status == KeyStatus::Active
            && self.is_idle_expirable()
            && now.as_millis() - self.last_activity().as_millis() >= policy.idle_expiry_ms
    }
}

/// A freshly created key and its secret, which is shown to the user once and then only exists
/// sealed.
#[derive(Debug)]
pub struct NewKeyMaterial {
    /// The key to store.
    pub key: ApiKey,
    /// The plaintext secret (64 uppercase hex digits, 256 bits).
    pub secret: SecretString,
}

/// Creates a key: fresh id and secret, passphrase hashed with Argon2id, secret sealed under the KEK.
#[allow(clippy::too_many_arguments)]
pub fn generate_key(
    user: AccountId,
    label: Label,
    permissions: Permissions,
    ips: IpAllowlist,
    passphrase: &Passphrase,
    now: Timestamp,
    kek: &Kek,
    policy: &KeyPolicy,
    entropy: &dyn Entropy,
) -> Result<NewKeyMaterial, KeyError> {
    let id = ApiKeyId::generate(entropy);
    let mut raw = [0u8; 32];
    entropy.fill(&mut raw);
    let secret = SecretString::new(hex::encode_upper(raw));
    let secret_sealed = SealedSecret(seal(
        kek,
        secret.expose().as_bytes(),
        &secret_aad(&id, &user),
        entropy,
    ));
    let passphrase_hash = PassphraseHash::create(passphrase, policy.argon2, entropy)?;
    Ok(NewKeyMaterial {
        key: ApiKey {
            id,
            user,
            label,
            permissions,
            ips,
            passphrase_hash,
            secret_sealed,
            created_at: now,
            last_used_at: None,
            status: KeyStatus::Active,
            status_at: now,
        },
        secret,
    })
}

#[cfg(test)]
mod tests {
    use custodia_events::SeededEntropy;

    use super::*;
    use crate::Argon2Params;

    fn policy() -> KeyPolicy {
        KeyPolicy {
            argon2: Argon2Params {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            ..KeyPolicy::default()
        }
    }

    fn key(perms: &[&str], ips: &[&str]) -> NewKeyMaterial {
        let e = SeededEntropy::new(9);
        generate_key(
            AccountId::new("u1").unwrap(),
            Label::new("bot").unwrap(),
            Permissions::parse(perms).unwrap(),
            IpAllowlist::parse(ips, 20).unwrap(),
            &Passphrase::new(SecretString::new("Passw0rd!")).unwrap(),
            Timestamp::from_millis(1_000),
            &Kek::from_bytes([1; 32]),
            &policy(),
            &e,
        )
        .unwrap()
    }

    #[test]
    fn secret_roundtrips_and_is_bound_to_row() {
        let m = key(&["read"], &[]);
        assert_eq!(m.secret.expose().len(), 64);
        assert!(
            m.secret
                .expose()
                .bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
        );
        let kek = Kek::from_bytes([1; 32]);
        assert_eq!(m.key.open_secret(&kek).unwrap(), m.secret);
        assert_eq!(
            m.key.open_secret(&Kek::from_bytes([2; 32])),
            Err(KeyError::Unseal)
        );
        let mut moved = m.key.clone();
        moved.user = AccountId::new("u2").unwrap();
        assert_eq!(
            moved.open_secret(&kek),
            Err(KeyError::Unseal),
            "sealed to its user"
        );
        assert!(m.key.passphrase_hash.verify("Passw0rd!"));
        let dbg = format!("{m:?}");
        assert!(!dbg.contains(m.secret.expose()), "{dbg}");
    }

    /// `(permissions, ips, idle days, expected idle-expired)`.
    #[test]
    fn idle_rule_table() {
        let day = 86_400_000;
        let cases: &[(&[&str], &[&str], i64, bool)] = &[
            (&["trade"], &[], 14, true),
            (&["withdraw"], &[], 14, true),
            (&["read", "trade", "withdraw"], &[], 30, true),
            (&["trade"], &[], 13, false),
            (&["read"], &[], 400, false),
            (&["trade"], &["192.0.2.1"], 400, false),
            (&["withdraw"], &["2001:db8::/48"], 400, false),
        ];
        let p = policy();
        for (perms, ips, days, expect) in cases {
            let k = key(perms, ips).key;
            let now = k.created_at.plus_millis(days * day);
            assert_eq!(k.is_idle_at(now, &p), *expect, "{perms:?} {ips:?} {days}");
            let mut used = k.clone();
            used.last_used_at = Some(k.created_at.plus_millis(day));
            assert_eq!(
                used.is_idle_at(now, &p),
                *expect && *days > 14,
                "used {perms:?} {days}"
            );
            let mut gone = k.clone();
            gone.status = KeyStatus::Deleted;
            assert!(!gone.is_idle_at(now, &p));
        }
    }

    #[test]
    fn labels_and_status() {
        assert!(Label::new("x".repeat(50)).is_ok());
        assert!(Label::new("x".repeat(51)).is_err());
        assert!(Label::new(" ").is_err());
        assert!(Label::new("a\u{7}").is_err());
        for s in [KeyStatus::Active, KeyStatus::Expired, KeyStatus::Deleted] {
            assert_eq!(KeyStatus::parse(s.as_str()), Ok(s));
        }
        assert!(KeyStatus::parse("gone").is_err());
    }
}
