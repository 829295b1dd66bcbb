use core::fmt;

use custodia_events::Entropy;

use crate::KeyError;

/// An API key's public identifier (the `OK-ACCESS-KEY` header): a random UUID v4, lowercase.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiKeyId([u8; 16]);

impl ApiKeyId {
    /// A fresh random id.
    pub fn generate(entropy: &dyn Entropy) -> Self {
        let mut b = [0u8; 16];
        entropy.fill(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        Self(b)
    }

    /// Parses the canonical text form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (lowercase hex).
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        let b = s.as_bytes();
        if b.len() != 36 {
            return Err(KeyError::KeyId);
        }
        let mut out = [0u8; 16];
        let mut n = 0;
        let mut hi: Option<u8> = None;
        for (i, &c) in b.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if c != b'-' {
                    return Err(KeyError::KeyId);
                }
                continue;
            }
            let v = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                _ => return Err(KeyError::KeyId),
            };
            match hi.take() {
                None => hi = Some(v),
                Some(h) => {
                    out[n] = (h << 4) | v;
                    n += 1;
                }
            }
        }
        Ok(Self(out))
    }

    /// The 16 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for ApiKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = hex::encode(self.0);
        write!(
            f,
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

impl fmt::Debug for ApiKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeyId({self})")
    }
}

#[cfg(test)]
mod tests {
    use custodia_events::SeededEntropy;

    use super::*;

    #[test]
    fn generate_parse_roundtrip() {
        let e = SeededEntropy::new(7);
        for _ in 0..50 {
            let id = ApiKeyId::generate(&e);
            let s = id.to_string();
            assert_eq!(s.len(), 36);
            assert_eq!(&s[14..15], "4", "version nibble");
            assert!(matches!(&s[19..20], "8" | "9" | "a" | "b"), "variant");
            assert_eq!(ApiKeyId::parse(&s), Ok(id));
        }
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "8a1c2d3e-0000-4000-8000-00000000abc",
            "8a1c2d3e-0000-4000-8000-00000000abcde",
            "8A1C2D3E-0000-4000-8000-00000000ABCD",
            "8a1c2d3e00000-4000-8000-00000000abcd",
            "8a1c2d3g-0000-4000-8000-00000000abcd",
            "8a1c2d3e-0000-4000-8000-00000000abc\u{e9}",
        ] {
            assert_eq!(ApiKeyId::parse(bad), Err(KeyError::KeyId), "{bad:?}");
        }
    }
}
