//! RFC 6238 TOTP (SHA-1, 6 digits, 30 s steps, ±1 step) with single use of each step.

use core::fmt;

use custodia_events::{Entropy, Timestamp};
use subtle::ConstantTimeEq;
use thiserror::Error;
use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroize;

use crate::SecretString;

/// Seconds per step.
pub const STEP_SECS: i64 = 30;

/// Why a TOTP code was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TotpError {
    /// Not exactly six ASCII digits.
    #[error("the code must be 6 digits")]
    Malformed,
    /// No step in the accepted window produces this code.
    #[error("the code is not valid")]
    Invalid,
    /// The code matches a step that was already used (or an earlier one).
    #[error("the code was already used")]
    Reused,
}

/// A user's TOTP seed: 20 random bytes (160 bits, RFC 4226's recommendation).
#[derive(Clone)]
pub struct TotpSeed(Vec<u8>);

impl TotpSeed {
    /// A fresh seed.
    pub fn generate(entropy: &dyn Entropy) -> Self {
        let mut b = vec![0u8; 20];
        entropy.fill(&mut b);
        Self(b)
    }

    /// From stored bytes (16 bytes at least).
    pub fn from_bytes(b: Vec<u8>) -> Option<Self> {
        (b.len() >= 16).then_some(Self(b))
    }

    /// From the base32 form authenticator apps take (what [`TotpSeed::base32`] returns).
    pub fn from_base32(s: &str) -> Option<Self> {
        totp_rs::Secret::Encoded(s.to_owned())
            .to_bytes()
            .ok()
            .and_then(Self::from_bytes)
    }

    /// The raw seed, for sealing.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn totp(&self) -> TOTP {
        TOTP::new_unchecked(Algorithm::SHA1, 6, 1, STEP_SECS as u64, self.0.clone())
    }

    /// The seed in base32, as authenticator apps take it.
    pub fn base32(&self) -> SecretString {
        SecretString::new(self.totp().get_secret_base32())
    }

    /// An `otpauth://` URI for QR enrolment. `issuer` and `account` must not contain `:`.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> SecretString {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
                        (c as char).to_string()
                    } else {
                        format!("%{c:02X}")
                    }
                })
                .collect()
        };
        SecretString::new(format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
            enc(issuer),
            enc(account),
            self.base32().expose(),
            enc(issuer)
        ))
    }

    /// The code for the step containing `at` (for tests and the demo client).
    pub fn code_at(&self, at: Timestamp) -> String {
        self.totp().generate(at.as_secs().max(0) as u64)
    }

    /// Whether `code` has the shape of a code (six ASCII digits), checked before anything
    /// secret is touched or an attempt is counted.
    pub fn well_formed(code: &str) -> bool {
        code.len() == 6 && code.bytes().all(|c| c.is_ascii_digit())
    }

    /// Checks `code` at `now` against steps now−1, now, now+1, refusing any step at or before
    /// `last_used_step`. Returns the matched step, which the caller must record atomically
    /// (compare-and-set) so a concurrent second use of the same code fails.
    pub fn verify(
        &self,
        code: &str,
        now: Timestamp,
        last_used_step: Option<i64>,
    ) -> Result<i64, TotpError> {
        if !Self::well_formed(code) {
            return Err(TotpError::Malformed);
        }
        let totp = self.totp();
        let current = now.as_secs().div_euclid(STEP_SECS);
        let mut matched = None;
        for step in current - 1..=current + 1 {
            if step < 0 {
                continue;
            }
            let want = totp.generate((step * STEP_SECS) as u64);
            // Check every step (no early exit) and compare in constant time.
            if bool::from(want.as_bytes().ct_eq(code.as_bytes())) && matched.is_none() {
                matched = Some(step);
            }
        }
        match (matched, last_used_step) {
            (None, _) => Err(TotpError::Invalid),
            (Some(s), Some(last)) if s <= last => Err(TotpError::Reused),
            (Some(s), _) => Ok(s),
        }
    }
}

impl Drop for TotpSeed {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for TotpSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSeed(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 seed "12345678901234567890", truncated to 6 digits.
    #[test]
    fn rfc6238_vectors() {
        let seed = TotpSeed::from_bytes(b"12345678901234567890".to_vec()).unwrap();
        for (secs, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(
                seed.code_at(Timestamp::from_millis(secs * 1000)),
                code,
                "{secs}"
            );
        }
    }

    #[test]
    fn window_and_single_use() {
        let seed = TotpSeed::from_bytes(b"12345678901234567890".to_vec()).unwrap();
        let now = Timestamp::from_millis(1_234_567_890_000);
        let step = 1_234_567_890 / 30;
        let at = |s: i64| seed.code_at(Timestamp::from_millis(s * 30_000));
        assert_eq!(seed.verify(&at(step), now, None), Ok(step));
        assert_eq!(seed.verify(&at(step - 1), now, None), Ok(step - 1));
        assert_eq!(seed.verify(&at(step + 1), now, None), Ok(step + 1));
        assert_eq!(
            seed.verify(&at(step - 2), now, None),
            Err(TotpError::Invalid)
        );
        assert_eq!(
            seed.verify(&at(step + 2), now, None),
            Err(TotpError::Invalid)
        );
        assert_eq!(
            seed.verify(&at(step), now, Some(step)),
            Err(TotpError::Reused)
        );
        assert_eq!(
            seed.verify(&at(step - 1), now, Some(step)),
            Err(TotpError::Reused)
        );
        assert_eq!(seed.verify(&at(step + 1), now, Some(step)), Ok(step + 1));
        for bad in ["", "12345", "1234567", "12345a", " 12345", "１２３４５６"] {
            assert_eq!(
                seed.verify(bad, now, None),
                Err(TotpError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn uri_and_debug() {
        let seed = TotpSeed::from_bytes(b"12345678901234567890".to_vec()).unwrap();
        assert_eq!(seed.base32().expose(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            seed.otpauth_uri("Custodia Exchange", "user@x").expose(),
            "otpauth://totp/Custodia%20Exchange:user%40x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Custodia%20Exchange&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(format!("{seed:?}"), "TotpSeed(***)");
        let back = TotpSeed::from_base32(seed.base32().expose()).unwrap();
        assert_eq!(back.as_bytes(), seed.as_bytes());
        assert!(TotpSeed::from_base32("not base32!").is_none());
        assert!(TotpSeed::from_bytes(vec![1; 15]).is_none());
    }
}
