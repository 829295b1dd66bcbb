//! Passphrases: the rules, Argon2id at rest, and the in-memory verified-passphrase cache tag.

use core::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use custodia_events::Entropy;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{ApiKeyId, KeyError, SecretString};

/// A passphrase that meets the rules: 8–32 printable ASCII characters with at least one lowercase
/// letter, one uppercase letter, one digit and one other character (OKX's rule).
#[derive(Clone)]
pub struct Passphrase(SecretString);

impl Passphrase {
    /// Checks the rules.
    pub fn new(s: SecretString) -> Result<Self, KeyError> {
        let p = s.expose();
        let n = p.chars().count();
        let why = if !(8..=32).contains(&n) {
            Some("must be 8 to 32 characters")
        } else if !p.bytes().all(|c| c.is_ascii_graphic()) {
            Some("only printable ASCII without spaces is allowed")
        } else if !p.bytes().any(|c| c.is_ascii_lowercase()) {
            Some("needs a lowercase letter")
        } else if !p.bytes().any(|c| c.is_ascii_uppercase()) {
            Some("needs an uppercase letter")
        } else if !p.bytes().any(|c| c.is_ascii_digit()) {
            Some("needs a digit")
        } else if p.bytes().all(|c| c.is_ascii_alphanumeric()) {
            Some("needs a character other than a letter or digit")
        } else {
            None
        };
        match why {
            Some(why) => Err(KeyError::Passphrase { why }),
            None => Ok(Self(s)),
        }
    }

    /// The passphrase text.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(***)")
    }
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for Argon2Params {
    /// OWASP's minimum for Argon2id: m = 19 MiB, t = 2, p = 1.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// An Argon2id PHC string (`$argon2id$v=19$m=…`). Not a secret by itself, but it is never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct PassphraseHash(String);

impl PassphraseHash {
    /// Hashes a passphrase with a fresh 16-byte salt.
    pub fn create(
        p: &Passphrase,
        params: Argon2Params,
        entropy: &dyn Entropy,
    ) -> Result<Self, KeyError> {
        let mut salt = [0u8; 16];
        entropy.fill(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| KeyError::Argon2(e.to_string()))?;
        let hash = argon2(params)?
            .hash_password(p.expose().as_bytes(), &salt)
            .map_err(|e| KeyError::Argon2(e.to_string()))?;
        Ok(Self(hash.to_string()))
    }

    /// Wraps a stored PHC string, checking it parses.
    pub fn from_stored(s: String) -> Result<Self, KeyError> {
        PasswordHash::new(&s).map_err(|e| KeyError::Corrupt {
            what: "passphrase hash",
            why: e.to_string(),
        })?;
        Ok(Self(s))
    }

    /// The PHC string, for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks a candidate in constant time (the Argon2 crate compares outputs with `subtle`).
    /// Costs one full Argon2id evaluation: call it off the async runtime, and cache success
    /// with [`PassphraseTagger`].
    pub fn verify(&self, candidate: &str) -> bool {
        let Ok(h) = PasswordHash::new(&self.0) else {
            return false;
        };
        // The parameters come from the PHC string itself.
        Argon2::default()
            .verify_password(candidate.as_bytes(), &h)
            .is_ok()
    }
}

impl fmt::Debug for PassphraseHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PassphraseHash(***)")
    }
}

fn argon2(p: Argon2Params) -> Result<Argon2<'static>, KeyError> {
    let params = Params::new(p.memory_kib, p.iterations, p.parallelism, None)
        .map_err(|e| KeyError::Argon2(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Tags a verified passphrase for the in-memory cache: `HMAC-SHA256(k, key id ‖ passphrase)`
/// with `k` random per process.
///
/// # Security
/// Running Argon2 on every gateway request would cap throughput at a few dozen requests per
/// second per core. After one successful Argon2 check the service keeps this tag in memory and
/// compares later passphrases by tag, in constant time. The tag is useless outside the process
/// (its key never leaves memory and changes at every start), is not a fast offline oracle for the
/// passphrase without `k`, and a memory dump that reveals `k` already reveals decrypted secrets.
pub struct PassphraseTagger {
    key: [u8; 32],
}

impl PassphraseTagger {
    /// A tagger with a fresh random key.
    pub fn new(entropy: &dyn Entropy) -> Self {
        let mut key = [0u8; 32];
        entropy.fill(&mut key);
        Self { key }
    }

    /// The tag of `passphrase` for `key`.
    pub fn tag(&self, key: &ApiKeyId, passphrase: &str) -> [u8; 32] {
        let mut m =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC accepts any key length");
        m.update(key.as_bytes());
        m.update(passphrase.as_bytes());
        m.finalize().into_bytes().into()
    }
}

impl fmt::Debug for PassphraseTagger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PassphraseTagger(***)")
    }
}

#[cfg(test)]
mod tests {
    use custodia_events::SeededEntropy;

    use super::*;

    fn check(p: &str, expect: Result<(), &'static str>) {
        let got = Passphrase::new(SecretString::new(p))
            .map(|_| ())
            .map_err(|e| match e {
                KeyError::Passphrase { why } => why,
                other => panic!("{other}"),
            });
        assert_eq!(got, expect, "{p:?}");
    }

    #[test]
    fn rules() {
        check("Aa1!aaaa", Ok(()));
        check("Correct-Horse-9", Ok(()));
        check("Aa1!aaa", Err("must be 8 to 32 characters"));
        check(
            &format!("Aa1!{}", "a".repeat(29)),
            Err("must be 8 to 32 characters"),
        );
        check(
            "Aa1! aaaa",
            Err("only printable ASCII without spaces is allowed"),
        );
        check(
            "Aa1!aaaé",
            Err("only printable ASCII without spaces is allowed"),
        );
        check("AA1!AAAA", Err("needs a lowercase letter"));
        check("aa1!aaaa", Err("needs an uppercase letter"));
        check("Aaa!aaaa", Err("needs a digit"));
        check(
            "Aa1aaaaa",
            Err("needs a character other than a letter or digit"),
        );
    }

    #[test]
    fn hash_and_verify() {
        let e = SeededEntropy::new(3);
        let fast = Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let p = Passphrase::new(SecretString::new("Passw0rd!")).unwrap();
        let h = PassphraseHash::create(&p, fast, &e).unwrap();
        assert!(h.as_str().starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(h.verify("Passw0rd!"));
        assert!(!h.verify("Passw0rd?"));
        assert!(!h.verify(""));
        let again = PassphraseHash::create(&p, fast, &e).unwrap();
        assert_ne!(again, h, "fresh salt");
        assert!(PassphraseHash::from_stored(h.as_str().to_owned()).is_ok());
        assert!(PassphraseHash::from_stored("plain".to_owned()).is_err());
        assert_eq!(format!("{h:?}"), "PassphraseHash(***)");
        assert_eq!(format!("{p:?}"), "Passphrase(***)");
    }

    #[test]
    fn tags_differ_by_key_passphrase_and_process() {
        let e = SeededEntropy::new(4);
        let t = PassphraseTagger::new(&e);
        let a = ApiKeyId::generate(&e);
        let b = ApiKeyId::generate(&e);
        assert_eq!(t.tag(&a, "x"), t.tag(&a, "x"));
        assert_ne!(t.tag(&a, "x"), t.tag(&a, "y"));
        assert_ne!(t.tag(&a, "x"), t.tag(&b, "x"));
        assert_ne!(PassphraseTagger::new(&e).tag(&a, "x"), t.tag(&a, "x"));
    }
}
