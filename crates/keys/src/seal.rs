//! Secrets at rest: AES-256-GCM under a key-encryption key (KEK) that is not in the database.

use core::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use custodia_events::Entropy;
use zeroize::Zeroize;

use crate::{KeyError, SecretString};

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// The key-encryption key: 32 bytes from configuration or the environment, never from the database.
///
/// # Security
/// Whoever holds both the database and the KEK can sign requests as any key. Keep the KEK in a
/// secret store (environment injected by the orchestrator, a `*_FILE` mount, an HSM-wrapped value)
/// and never next to database backups.
#[derive(Clone)]
pub struct Kek([u8; 32]);

impl Kek {
    /// From raw bytes.
    pub fn from_bytes(b: [u8; 32]) -> Self {
        Self(b)
    }

    /// From 64 hex digits or standard base64 of 32 bytes.
    pub fn parse(s: &SecretString) -> Result<Self, KeyError> {
        let t = s.expose().trim();
        if t.is_empty() {
            return Err(KeyError::Kek { why: "empty" });
        }
        let mut bytes = if t.len() == 64 && t.bytes().all(|c| c.is_ascii_hexdigit()) {
            hex::decode(t).map_err(|_| KeyError::Kek { why: "bad hex" })?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .map_err(|_| KeyError::Kek {
                    why: "neither 64 hex digits nor base64",
                })?
        };
        let out = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| KeyError::Kek {
            why: "must decode to exactly 32 bytes",
        });
        bytes.zeroize();
        out.map(Self)
    }
}

impl Drop for Kek {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Kek(***)")
    }
}

/// Encrypts `plaintext`, binding it to `aad` (e.g. the key id) so a ciphertext moved to another
/// row does not open. Output: `version (1) ‖ nonce (12) ‖ ciphertext+tag`.
pub fn seal(kek: &Kek, plaintext: &[u8], aad: &[u8], entropy: &dyn Entropy) -> Vec<u8> {
    let cipher = Aes256Gcm::new((&kek.0).into());
    let mut nonce = [0u8; NONCE_LEN];
    entropy.fill(&mut nonce);
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("AES-GCM encryption of a short message cannot fail");
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// Decrypts what [`seal`] produced with the same `kek` and `aad`.
pub fn open(kek: &Kek, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyError> {
    if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != VERSION {
        return Err(KeyError::Unseal);
    }
    let cipher = Aes256Gcm::new((&kek.0).into());
    cipher
        .decrypt(
            Nonce::from_slice(&sealed[1..1 + NONCE_LEN]),
            Payload {
                msg: &sealed[1 + NONCE_LEN..],
                aad,
            },
        )
        .map_err(|_| KeyError::Unseal)
}

#[cfg(test)]
mod tests {
    use custodia_events::SeededEntropy;

    use super::*;

    #[test]
    fn roundtrip_and_every_tamper_fails() {
        let e = SeededEntropy::new(1);
        let kek = Kek::from_bytes([7; 32]);
        let s = seal(&kek, b"top secret", b"row-1", &e);
        assert_eq!(open(&kek, &s, b"row-1").unwrap(), b"top secret");
        assert_ne!(seal(&kek, b"top secret", b"row-1", &e), s, "fresh nonce");
        assert_eq!(
            open(&Kek::from_bytes([8; 32]), &s, b"row-1"),
            Err(KeyError::Unseal)
        );
        assert_eq!(open(&kek, &s, b"row-2"), Err(KeyError::Unseal));
        for i in 0..s.len() {
            let mut t = s.clone();
            t[i] ^= 1;
            assert_eq!(open(&kek, &t, b"row-1"), Err(KeyError::Unseal), "byte {i}");
        }
        assert_eq!(open(&kek, &s[..20], b"row-1"), Err(KeyError::Unseal));
    }

    #[test]
    fn kek_parsing() {
        let hex64 = "00".repeat(31) + "ff";
        assert!(Kek::parse(&SecretString::new(hex64)).is_ok());
        let b64 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        assert!(Kek::parse(&SecretString::new(b64)).is_ok());
        for (bad, why) in [
            ("", "empty"),
            ("not base64!", "neither 64 hex digits nor base64"),
            ("AAAA", "must decode to exactly 32 bytes"),
        ] {
            assert_eq!(
                Kek::parse(&SecretString::new(bad)).err(),
                Some(KeyError::Kek { why })
            );
        }
        assert_eq!(format!("{:?}", Kek::from_bytes([1; 32])), "Kek(***)");
    }
}
