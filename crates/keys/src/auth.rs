//! Parsing the four `OK-ACCESS-*` headers into a checked form, with OKX error codes.

use core::fmt;

use base64::Engine as _;
use custodia_events::Timestamp;

use crate::{ApiKeyId, DenyCode, SecretString};

/// The four headers as the gateway received them (`None` when absent).
#[derive(Clone, Copy, Default)]
pub struct AuthHeaders<'a> {
    /// `OK-ACCESS-KEY`.
    pub key: Option<&'a str>,
    /// `OK-ACCESS-SIGN`.
    pub sign: Option<&'a str>,
    /// `OK-ACCESS-TIMESTAMP`.
    pub timestamp: Option<&'a str>,
    /// `OK-ACCESS-PASSPHRASE`.
    pub passphrase: Option<&'a str>,
}

impl fmt::Debug for AuthHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthHeaders")
            .field("key", &self.key)
            .field("sign", &self.sign.map(|_| "***"))
            .field("timestamp", &self.timestamp)
            .field("passphrase", &self.passphrase.map(|_| "***"))
            .finish()
    }
}

/// The request the signature covers.
#[derive(Debug, Clone, Copy)]
pub struct RequestLine<'a> {
    /// Uppercase HTTP method.
    pub method: &'a str,
    /// Path plus `?query` when there is one.
    pub request_path: &'a str,
    /// Raw body (empty for GET).
    pub body: &'a str,
}

/// Headers that passed every syntactic and time check.
pub struct ParsedAuth {
    /// The key id.
    pub key: ApiKeyId,
    /// The decoded 32-byte signature.
    pub sign: [u8; 32],
    /// The timestamp's exact text (the signature covers it byte for byte).
    pub timestamp_text: String,
    /// The parsed timestamp.
    pub timestamp: Timestamp,
    /// The passphrase as sent.
    pub passphrase: SecretString,
}

impl fmt::Debug for ParsedAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedAuth")
            .field("key", &self.key)
            .field("timestamp", &self.timestamp_text)
            .finish_non_exhaustive()
    }
}

fn present(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.trim().is_empty())
}

/// Checks headers in this order (each step has its own code):
///
/// 1. presence: key 50103, passphrase 50104, sign 50106, timestamp 50107;
/// 2. timestamp syntax 50112, then distance from `now` above `window_ms` 50102;
/// 3. key syntax 50111;
/// 4. sign syntax (base64 of 32 bytes) 50113.
///
/// Whether the key exists, the signature matches, the IP and permission fit, and the passphrase
/// is right are later steps that need the stored key.
pub fn parse_auth(
    h: &AuthHeaders<'_>,
    now: Timestamp,
    window_ms: i64,
) -> Result<ParsedAuth, DenyCode> {
    let key = present(h.key).ok_or(DenyCode::KeyEmpty)?;
    let passphrase = present(h.passphrase).ok_or(DenyCode::PassphraseEmpty)?;
    let sign = present(h.sign).ok_or(DenyCode::SignEmpty)?;
    let ts_text = present(h.timestamp).ok_or(DenyCode::TimestampEmpty)?;
    let ts = Timestamp::parse_iso8601_millis(ts_text).map_err(|_| DenyCode::InvalidTimestamp)?;
    if (ts.as_millis() - now.as_millis()).abs() > window_ms {
        return Err(DenyCode::TimestampExpired);
    }
    let key = ApiKeyId::parse(key).map_err(|_| DenyCode::InvalidKey)?;
    // Base64 of 32 bytes is 44 characters; anything much longer is not worth decoding.
    if sign.len() > 64 {
        return Err(DenyCode::InvalidSign);
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(sign)
        .map_err(|_| DenyCode::InvalidSign)?;
    let sign = <[u8; 32]>::try_from(raw.as_slice()).map_err(|_| DenyCode::InvalidSign)?;
    if passphrase.len() > 128 {
        return Err(DenyCode::PassphraseIncorrect);
    }
    Ok(ParsedAuth {
        key,
        sign,
        timestamp_text: ts_text.to_owned(),
        timestamp: ts,
        passphrase: SecretString::new(passphrase),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0a1b2c3d-0000-4000-8000-00000000abcd";
    const SIGN: &str = "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY=";
    const TS: &str = "2020-12-08T09:08:57.715Z";
    const PASS: &str = "Passw0rd!";

    /// One row: which headers to send (None = absent), server time offset, expected outcome.
    fn check(h: [Option<&str>; 4], now_offset_ms: i64, expect: Result<(), DenyCode>) {
        let [key, sign, timestamp, passphrase] = h;
        let now = Timestamp::from_millis(1_607_418_537_715 + now_offset_ms);
        let got = parse_auth(
            &AuthHeaders {
                key,
                sign,
                timestamp,
                passphrase,
            },
            now,
            30_000,
        );
        assert_eq!(
            got.as_ref().map(|_| ()).map_err(|c| *c),
            expect,
            "{h:?} at {now_offset_ms}"
        );
        if let Ok(p) = got {
            assert_eq!(p.key.to_string(), KEY);
            assert_eq!(p.timestamp_text, TS);
            assert_eq!(p.passphrase.expose(), PASS);
        }
    }

    #[test]
    fn header_table() {
        use DenyCode::*;
        let ok = [Some(KEY), Some(SIGN), Some(TS), Some(PASS)];
        check(ok, 0, Ok(()));
        check(ok, 30_000, Ok(()));
        check(ok, -30_000, Ok(()));
        check(ok, 30_001, Err(TimestampExpired));
        check(ok, -30_001, Err(TimestampExpired));
        // Presence, in order of precedence.
        check([None, None, None, None], 0, Err(KeyEmpty));
        check(
            [Some(""), Some(SIGN), Some(TS), Some(PASS)],
            0,
            Err(KeyEmpty),
        );
        check(
            [Some("  "), Some(SIGN), Some(TS), Some(PASS)],
            0,
            Err(KeyEmpty),
        );
        check([Some(KEY), None, None, None], 0, Err(PassphraseEmpty));
        check([Some(KEY), None, None, Some(PASS)], 0, Err(SignEmpty));
        check(
            [Some(KEY), Some(""), Some(TS), Some(PASS)],
            0,
            Err(SignEmpty),
        );
        check(
            [Some(KEY), Some(SIGN), None, Some(PASS)],
            0,
            Err(TimestampEmpty),
        );
        check(
            [Some(KEY), Some(SIGN), Some(""), Some(PASS)],
            0,
            Err(TimestampEmpty),
        );
        // Syntax.
        check(
            [Some(KEY), Some(SIGN), Some("1607418537715"), Some(PASS)],
            0,
            Err(InvalidTimestamp),
        );
        check(
            [
                Some(KEY),
                Some(SIGN),
                Some("2020-12-08T09:08:57Z"),
                Some(PASS),
            ],
            0,
            Err(InvalidTimestamp),
        );
        check(
            [
                Some(KEY),
                Some(SIGN),
                Some("2020-12-08T09:08:57.715+00:00"),
                Some(PASS),
            ],
            0,
            Err(InvalidTimestamp),
        );
        check(
            [Some("not-a-key"), Some(SIGN), Some(TS), Some(PASS)],
            0,
            Err(InvalidKey),
        );
        check(
            [Some(&KEY.to_uppercase()), Some(SIGN), Some(TS), Some(PASS)],
            0,
            Err(InvalidKey),
        );
        check(
            [Some(KEY), Some("!!!notbase64"), Some(TS), Some(PASS)],
            0,
            Err(InvalidSign),
        );
        check(
            [Some(KEY), Some("AAAA"), Some(TS), Some(PASS)],
            0,
            Err(InvalidSign),
        );
        check(
            [Some(KEY), Some(&"A".repeat(100)), Some(TS), Some(PASS)],
            0,
            Err(InvalidSign),
        );
        check(
            [Some(KEY), Some(SIGN), Some(TS), Some(&"p".repeat(129))],
            0,
            Err(PassphraseIncorrect),
        );
        // A timestamp that is both malformed and old is reported as malformed.
        check(
            [
                Some(KEY),
                Some(SIGN),
                Some("2020-12-08T09:08:57.715"),
                Some(PASS),
            ],
            99_999_999,
            Err(InvalidTimestamp),
        );
    }

    #[test]
    fn debug_hides_sign_and_passphrase() {
        let h = AuthHeaders {
            key: Some(KEY),
            sign: Some(SIGN),
            timestamp: Some(TS),
            passphrase: Some(PASS),
        };
        let s = format!("{h:?}");
        assert!(!s.contains(SIGN) && !s.contains(PASS), "{s}");
        let p = parse_auth(&h, Timestamp::from_millis(1_607_418_537_715), 30_000).unwrap();
        let s = format!("{p:?}");
        assert!(!s.contains(PASS) && !s.contains("HiZhv"), "{s}");
    }
}
