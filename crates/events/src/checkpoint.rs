//! Signed checkpoints of the chain head: what makes truncation and recomputation of the log
//! detectable by someone who can write the database but does not hold the signing key.
//!
//! Pure: signing, verifying, the signed message, the key-file and JSON-lines text forms. Reading
//! and writing files and tables is the binary's and the store's business.

use core::fmt;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{Digest, Entropy, EventError, Timestamp};

/// Domain tag of the signed message: a checkpoint signature can never be replayed as a
/// signature over anything else this key might sign later (the NUL ends the tag, and every
/// field after it has a fixed width, so the encoding is injective).
pub const CHECKPOINT_DOMAIN: &[u8] = b"custodia.checkpoint.v1\0";

/// Length of [`checkpoint_message`]: tag, seq (8), head hash (32), time (8).
pub const CHECKPOINT_MESSAGE_LEN: usize = CHECKPOINT_DOMAIN.len() + 8 + 32 + 8;

/// The bytes a checkpoint signs:
///
/// ```text
/// "custodia.checkpoint.v1\0" || seq (u64 BE) || head hash (32 bytes) || time_ms (i64 BE)
/// ```
pub fn checkpoint_message(
    seq: u64,
    head: &Digest,
    time: Timestamp,
) -> [u8; CHECKPOINT_MESSAGE_LEN] {
    let mut m = [0u8; CHECKPOINT_MESSAGE_LEN];
    let t = CHECKPOINT_DOMAIN.len();
    m[..t].copy_from_slice(CHECKPOINT_DOMAIN);
    m[t..t + 8].copy_from_slice(&seq.to_be_bytes());
    m[t + 8..t + 40].copy_from_slice(&head.0);
    m[t + 40..].copy_from_slice(&time.as_millis().to_be_bytes());
    m
}

/// An ed25519 public key that checkpoints are verified against. Text form: 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CheckpointPublicKey(VerifyingKey);

impl CheckpointPublicKey {
    /// Reads 32 bytes; rejects encodings that are not a curve point.
    pub fn from_bytes(b: &[u8; 32]) -> Result<Self, EventError> {
        VerifyingKey::from_bytes(b)
            .map(Self)
            .map_err(|_| EventError::PublicKey {
                why: "not a valid ed25519 public key".into(),
            })
    }

    /// Parses 64 hex digits (surrounding whitespace ignored).
    pub fn parse_hex(s: &str) -> Result<Self, EventError> {
        let s = s.trim();
        let bytes = hex::decode(s).map_err(|_| EventError::PublicKey {
            why: format!("expected 64 hex digits, got {:?}", clip(s)),
        })?;
        let b = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| EventError::PublicKey {
            why: format!(
                "expected 32 bytes (64 hex digits), got {} bytes",
                bytes.len()
            ),
        })?;
        Self::from_bytes(&b)
    }

    /// The 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }
}

impl fmt::Debug for CheckpointPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CheckpointPublicKey({})", self.to_hex())
    }
}

impl fmt::Display for CheckpointPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The ed25519 key that signs checkpoints. Held apart from the database (a key file only the
/// service's user can read): whoever holds it can forge checkpoints.
///
/// Never prints its secret (`Debug` shows the public key); the secret is wiped on drop.
pub struct CheckpointKey(SigningKey);

/// The first line of a key file: says what the file is, so it is not mistaken for anything else.
const KEY_FILE_HEADER: &str =
    "# custodia audit checkpoint key (ed25519 secret); keep apart from the database";

impl CheckpointKey {
    /// A new random key.
    pub fn generate(entropy: &dyn Entropy) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        entropy.fill(seed.as_mut());
        Self(SigningKey::from_bytes(&seed))
    }

    /// The key from its 32-byte secret seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(seed))
    }

    /// Reads a key file's text: `#` comment lines and blank lines, then exactly one line of 64
    /// hex digits (the secret seed). The error never repeats the file's content.
    pub fn from_key_file_text(text: &str) -> Result<Self, EventError> {
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        let bad = |why: String| EventError::KeyFile { why };
        let line = lines
            .next()
            .ok_or_else(|| bad("no key line (expected 64 hex digits)".into()))?;
        if lines.next().is_some() {
            return Err(bad("more than one key line".into()));
        }
        if line.len() != 64 {
            return Err(bad(format!(
                "the key line has {} characters, expected 64 hex digits",
                line.len()
            )));
        }
        let mut seed = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(line, seed.as_mut())
            .map_err(|_| bad("the key line is not hexadecimal".into()))?;
        Ok(Self::from_seed(&seed))
    }

    /// The key file's text (header comment, public key comment, secret line). A secret: write
    /// it only to a file nobody else can read.
    pub fn to_key_file_text(&self) -> Zeroizing<String> {
        let seed = Zeroizing::new(hex::encode(self.0.to_bytes()));
        Zeroizing::new(format!(
            "{KEY_FILE_HEADER}\n# public key: {}\n{}\n",
            self.public(),
            seed.as_str()
        ))
    }

    /// The public key that verifies this key's checkpoints.
    pub fn public(&self) -> CheckpointPublicKey {
        CheckpointPublicKey(self.0.verifying_key())
    }

    /// Signs the head (`seq`, `head`) as seen at `time`.
    pub fn sign(&self, seq: u64, head: Digest, time: Timestamp) -> Checkpoint {
        let sig = self.0.sign(&checkpoint_message(seq, &head, time));
        Checkpoint {
            seq,
            head,
            time,
            key: self.public(),
            signature: sig.to_bytes(),
        }
    }
}

impl fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CheckpointKey(public {})", self.public())
    }
}

/// A signed statement "the log's event `seq` has hash `head`", made at `time`.
#[derive(Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The head's seq.
    pub seq: u64,
    /// The head's hash.
    pub head: Digest,
    /// When the checkpoint was made.
    pub time: Timestamp,
    /// The key that signed it (verification compares it with the trusted key).
    pub key: CheckpointPublicKey,
    /// The ed25519 signature over [`checkpoint_message`].
    pub signature: [u8; 64],
}

impl fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checkpoint")
            .field("seq", &self.seq)
            .field("head", &self.head)
            .field("time", &self.time)
            .field("key", &self.key)
            .field("signature", &hex::encode(self.signature))
            .finish()
    }
}

/// The JSON-lines form of a checkpoint (the external copy operators keep off the database).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckpointLine {
    v: u32,
    seq: u64,
    head: String,
    time_ms: i64,
    key: String,
    sig: String,
}

impl Checkpoint {
    /// Checks that `trusted` signed this checkpoint. Strict verification: malleable signatures
    /// and small-order keys are rejected.
    pub fn verify(&self, trusted: &CheckpointPublicKey) -> Result<(), EventError> {
        if self.key != *trusted {
            return Err(EventError::CheckpointWrongKey {
                seq: self.seq,
                expected: trusted.to_hex(),
                got: self.key.to_hex(),
            });
        }
        let sig = Signature::from_bytes(&self.signature);
        trusted
            .0
            .verify_strict(&checkpoint_message(self.seq, &self.head, self.time), &sig)
            .map_err(|_| EventError::CheckpointSignature { seq: self.seq })
    }

    /// One JSON line (no trailing newline).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(&CheckpointLine {
            v: 1,
            seq: self.seq,
            head: self.head.to_hex(),
            time_ms: self.time.as_millis(),
            key: self.key.to_hex(),
            sig: hex::encode(self.signature),
        })
        .expect("a checkpoint serialises")
    }

    /// Parses one line written by [`Checkpoint::to_json_line`] (the signature is not checked
    /// here: see [`Checkpoint::verify`]).
    pub fn from_json_line(line: &str) -> Result<Self, String> {
        let l: CheckpointLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
        if l.v != 1 {
            return Err(format!("unsupported version {} (expected 1)", l.v));
        }
        let head = hex::decode(&l.head)
            .ok()
            .and_then(|b| Digest::from_slice(&b))
            .ok_or("`head` must be 64 hex digits")?;
        let key = CheckpointPublicKey::parse_hex(&l.key).map_err(|e| e.to_string())?;
        let mut signature = [0u8; 64];
        hex::decode_to_slice(&l.sig, &mut signature)
            .map_err(|_| "`sig` must be 128 hex digits".to_owned())?;
        Ok(Self {
            seq: l.seq,
            head,
            time: Timestamp::from_millis(l.time_ms),
            key,
            signature,
        })
    }
}

/// Parses a whole JSON-lines checkpoint file (blank lines skipped). Each checkpoint comes with
/// its 1-based line number, for messages.
pub fn parse_checkpoint_log(text: &str) -> Result<Vec<(usize, Checkpoint)>, EventError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let c = Checkpoint::from_json_line(line.trim())
            .map_err(|why| EventError::CheckpointLine { line: i + 1, why })?;
        out.push((i + 1, c));
    }
    Ok(out)
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SeededEntropy;

    fn key() -> CheckpointKey {
        CheckpointKey::generate(&SeededEntropy::new(7))
    }

    #[test]
    fn message_layout_is_fixed_width_and_tagged() {
        let m = checkpoint_message(0x0102, &Digest([0xaa; 32]), Timestamp::from_millis(-1));
        assert_eq!(m.len(), 23 + 48);
        assert_eq!(&m[..23], b"custodia.checkpoint.v1\0");
        assert_eq!(&m[23..31], &[0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(&m[31..63], &[0xaa; 32]);
        assert_eq!(&m[63..], &[0xff; 8]);
    }

    /// RFC 8032 section 7.1, test 1: the signer is standard Ed25519, so any other
    /// implementation can check our checkpoints.
    #[test]
    fn rfc8032_vector() {
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let k = CheckpointKey::from_seed(&seed);
        assert_eq!(
            k.public().to_hex(),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let sig = k.0.sign(b"");
        assert_eq!(
            hex::encode(sig.to_bytes()),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
    }

    #[test]
    fn signed_checkpoints_verify_and_every_change_is_caught() {
        let k = key();
        let c = k.sign(
            42,
            Digest([3; 32]),
            Timestamp::from_millis(1_700_000_000_000),
        );
        c.verify(&k.public()).unwrap();
        type Tamper = fn(&mut Checkpoint);
        let cases: &[(&str, Tamper)] = &[
            ("seq", |c| c.seq += 1),
            ("head", |c| c.head.0[31] ^= 1),
            ("time", |c| c.time = c.time.plus_millis(1)),
            ("signature", |c| c.signature[0] ^= 1),
        ];
        for (what, tamper) in cases {
            let mut t = c.clone();
            tamper(&mut t);
            assert_eq!(
                t.verify(&k.public()),
                Err(EventError::CheckpointSignature { seq: t.seq }),
                "{what}"
            );
        }
        // Signed by another key: named as such, not as a bad signature.
        let other = CheckpointKey::generate(&SeededEntropy::new(8));
        let forged = other.sign(42, Digest([3; 32]), c.time);
        assert!(matches!(
            forged.verify(&k.public()),
            Err(EventError::CheckpointWrongKey { seq: 42, .. })
        ));
        // The attacker relabels their checkpoint with the trusted key: the signature fails.
        let mut relabelled = forged.clone();
        relabelled.key = k.public();
        assert_eq!(
            relabelled.verify(&k.public()),
            Err(EventError::CheckpointSignature { seq: 42 })
        );
    }

    #[test]
    fn key_file_round_trips_and_never_prints_the_secret() {
        let k = key();
        let text = k.to_key_file_text();
        let back = CheckpointKey::from_key_file_text(&text).unwrap();
        assert_eq!(back.public(), k.public());
        let secret = hex::encode(k.0.to_bytes());
        assert!(text.contains(&secret));
        assert!(!format!("{k:?}").contains(&secret));
        assert!(format!("{k:?}").contains(&k.public().to_hex()));
    }

    #[test]
    fn bad_key_files_are_specific_and_do_not_echo_the_content() {
        let cases: &[(&str, &str)] = &[
            ("", "no key line"),
            ("# only a comment\n", "no key line"),
            ("abcd\n", "has 4 characters"),
            (&"zz".repeat(32), "not hexadecimal"),
            ("00\n11\n", "more than one key line"),
        ];
        for (text, want) in cases {
            let e = CheckpointKey::from_key_file_text(text)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(!e.contains("zzzz"), "the key file's content leaked: {e}");
        }
        let ok = format!("# c\n\n{}\n", "11".repeat(32));
        CheckpointKey::from_key_file_text(&ok).unwrap();
    }

    #[test]
    fn public_keys_parse_strictly() {
        let k = key().public();
        assert_eq!(CheckpointPublicKey::parse_hex(&k.to_hex()).unwrap(), k);
        for bad in ["", "xyz", &"00".repeat(31), &"00".repeat(33)] {
            assert!(CheckpointPublicKey::parse_hex(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_lines_round_trip_and_reject_garbage() {
        let k = key();
        let a = k.sign(1, Digest([1; 32]), Timestamp::from_millis(5));
        let b = k.sign(9, Digest([9; 32]), Timestamp::from_millis(6));
        let text = format!("{}\n\n{}\n", a.to_json_line(), b.to_json_line());
        let parsed = parse_checkpoint_log(&text).unwrap();
        assert_eq!(parsed, vec![(1, a.clone()), (3, b)]);
        let mut bad = a.to_json_line();
        bad.push_str("\n{\"v\":1}");
        match parse_checkpoint_log(&bad) {
            Err(EventError::CheckpointLine { line: 2, .. }) => {}
            other => panic!("{other:?}"),
        }
        for garbage in [
            "not json",
            &a.to_json_line().replace("\"v\":1", "\"v\":2"),
            &a.to_json_line().replace(&a.head.to_hex(), "00"),
            &a.to_json_line().replace(&hex::encode(a.signature), "00"),
        ] {
            assert!(Checkpoint::from_json_line(garbage).is_err(), "{garbage}");
        }
    }
}
