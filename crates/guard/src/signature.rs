//! Ed25519 signatures over published snapshots, so that a wallet or the browser extension
//! trusts a snapshot because the exchange's key signed it, not because of where it was
//! downloaded from.
//!
//! The signature is a detached file (`CGUARDSG`, 122 bytes): magic, format, the signing key's
//! id, the snapshot's version and SHA-256, and the Ed25519 signature over a domain-separated
//! message of version and hash. The snapshot's own SHA-256 covers its header and every byte of
//! content, so signing the hash signs the file; a delta produces a snapshot whose hash the same
//! signature covers. Verification checks the key id against the trusted keys, the signature,
//! then the snapshot (hash first, then every record) — nothing is parsed before the signature
//! holds.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::compact::COMPACT_MAGIC;
use crate::{CompactSnapshot, GuardError, SNAPSHOT_MAGIC, Snapshot};

/// First 8 bytes of a snapshot signature file.
pub const SIGNATURE_MAGIC: &[u8; 8] = b"CGUARDSG";
/// Length of a snapshot signature file.
pub const SIGNATURE_LEN: usize = 8 + 2 + 8 + 8 + 32 + 64;
const SIGNATURE_FORMAT: u16 = 1;
/// What the signature covers starts with this, so a snapshot signature can never be taken for
/// a signature over anything else made with the same key.
const MESSAGE_DOMAIN: &[u8] = b"custodia-guard snapshot signature v1\0";
const KEY_FILE_HEADER: &str =
    "# custodia guard snapshot signing key (ed25519 secret); keep apart from the database";

fn bad_sig(why: impl Into<String>) -> GuardError {
    GuardError::Signature { why: why.into() }
}

fn bad_key(why: impl Into<String>) -> GuardError {
    GuardError::SigningKey { why: why.into() }
}

/// The signed message: the domain, the magic of the signed file (a full snapshot's signature is
/// never valid for a compact one of the same version and hash, or the reverse), version, hash.
fn message(magic: &[u8; 8], version: u64, hash: &[u8; 32]) -> Vec<u8> {
    let mut m = Vec::with_capacity(MESSAGE_DOMAIN.len() + 48);
    m.extend_from_slice(MESSAGE_DOMAIN);
    m.extend_from_slice(magic);
    m.extend_from_slice(&version.to_le_bytes());
    m.extend_from_slice(hash);
    m
}

/// A public key that snapshot signatures are verified against. Text form: 64 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotPublicKey(VerifyingKey);

impl SnapshotPublicKey {
    /// Reads 32 bytes; rejects encodings that are not a curve point.
    pub fn from_bytes(b: &[u8; 32]) -> Result<Self, GuardError> {
        VerifyingKey::from_bytes(b)
            .map(Self)
            .map_err(|_| bad_key("not a valid ed25519 public key"))
    }

    /// Parses 64 hex digits (surrounding whitespace ignored).
    pub fn parse_hex(s: &str) -> Result<Self, GuardError> {
        let s = s.trim();
        let mut b = [0u8; 32];
        if s.len() != 64 {
            return Err(bad_key(format!(
                "expected 64 hex digits, got {} characters",
                s.chars().count()
            )));
        }
        hex::decode_to_slice(s, &mut b)
            .map_err(|_| bad_key("the public key is not hexadecimal"))?;
        Self::from_bytes(&b)
    }

    /// Lowercase hex of the 32 bytes.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// The key id: the first 8 bytes of the SHA-256 of the key (16 hex digits). Signatures
    /// name their key by it, so a client holding several trusted keys (during a rotation)
    /// knows which one to use.
    pub fn key_id(&self) -> [u8; 8] {
        Sha256::digest(self.0.as_bytes())[..8].try_into().unwrap()
    }

    /// [`SnapshotPublicKey::key_id`] in lowercase hex.
    pub fn key_id_hex(&self) -> String {
        hex::encode(self.key_id())
    }
}

/// The key the exchange signs snapshots with. Held apart from the database; whoever holds it
/// can make every user's extension trust a list. `Debug` shows the public key only.
pub struct SnapshotSigningKey(SigningKey);

impl std::fmt::Debug for SnapshotSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SnapshotSigningKey(public {})", self.public().to_hex())
    }
}

impl SnapshotSigningKey {
    /// The key from its 32-byte secret seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(seed))
    }

    /// A new key from the entropy source.
    pub fn generate(entropy: &dyn custodia_events::Entropy) -> Self {
        let mut seed = [0u8; 32];
        entropy.fill(&mut seed);
        let k = Self::from_seed(&seed);
        seed.fill(0);
        k
    }

    /// Reads a key file: `#` comment lines and blank lines, then exactly one line of 64 hex
    /// digits (the secret seed). Errors never repeat the file's content.
    pub fn from_key_file_text(text: &str) -> Result<Self, GuardError> {
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        let line = lines
            .next()
            .ok_or_else(|| bad_key("no key line (expected 64 hex digits)"))?;
        if lines.next().is_some() {
            return Err(bad_key("more than one key line"));
        }
        if line.len() != 64 {
            return Err(bad_key(format!(
                "the key line has {} characters, expected 64 hex digits",
                line.chars().count()
            )));
        }
        let mut seed = [0u8; 32];
        hex::decode_to_slice(line, &mut seed)
            .map_err(|_| bad_key("the key line is not hexadecimal"))?;
        let k = Self::from_seed(&seed);
        seed.fill(0);
        Ok(k)
    }

    /// The key file's text (header, public key and key id as comments, the secret line).
    pub fn to_key_file_text(&self) -> String {
        let p = self.public();
        format!(
            "{KEY_FILE_HEADER}\n# public key: {}\n# key id: {}\n{}\n",
            p.to_hex(),
            p.key_id_hex(),
            hex::encode(self.0.to_bytes())
        )
    }

    /// The public key clients trust.
    pub fn public(&self) -> SnapshotPublicKey {
        SnapshotPublicKey(self.0.verifying_key())
    }

    /// Signs `snapshot` (its version and content hash).
    pub fn sign(&self, snapshot: &Snapshot) -> SnapshotSignature {
        self.sign_file(SNAPSHOT_MAGIC, snapshot.version(), snapshot.hash())
    }

    /// Signs a compact snapshot.
    pub fn sign_compact(&self, snapshot: &CompactSnapshot) -> SnapshotSignature {
        self.sign_file(COMPACT_MAGIC, snapshot.version(), snapshot.hash())
    }

    fn sign_file(&self, magic: &[u8; 8], version: u64, hash: [u8; 32]) -> SnapshotSignature {
        SnapshotSignature {
            key_id: self.public().key_id(),
            version,
            hash,
            signature: self.0.sign(&message(magic, version, &hash)).to_bytes(),
        }
    }
}

/// A detached snapshot signature (see the module docs for the layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotSignature {
    /// Id of the key that made it ([`SnapshotPublicKey::key_id`]).
    pub key_id: [u8; 8],
    /// Version of the signed snapshot.
    pub version: u64,
    /// SHA-256 of the signed snapshot.
    pub hash: [u8; 32],
    /// The Ed25519 signature.
    pub signature: [u8; 64],
}

impl SnapshotSignature {
    /// The signature file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(SIGNATURE_LEN);
        b.extend_from_slice(SIGNATURE_MAGIC);
        b.extend_from_slice(&SIGNATURE_FORMAT.to_le_bytes());
        b.extend_from_slice(&self.key_id);
        b.extend_from_slice(&self.version.to_le_bytes());
        b.extend_from_slice(&self.hash);
        b.extend_from_slice(&self.signature);
        b
    }

    /// Reads a signature file (layout only; [`SnapshotSignature::open`] verifies it).
    pub fn from_bytes(b: &[u8]) -> Result<SnapshotSignature, GuardError> {
        if b.len() != SIGNATURE_LEN {
            return Err(bad_sig(format!(
                "a signature file is {SIGNATURE_LEN} bytes, got {}",
                b.len()
            )));
        }
        if &b[..8] != SIGNATURE_MAGIC {
            return Err(bad_sig(
                "not a custodia-guard snapshot signature (bad magic)",
            ));
        }
        let format = u16::from_le_bytes([b[8], b[9]]);
        if format != SIGNATURE_FORMAT {
            return Err(bad_sig(format!(
                "signature format {format}; this reader understands format {SIGNATURE_FORMAT}"
            )));
        }
        Ok(SnapshotSignature {
            key_id: b[10..18].try_into().unwrap(),
            version: u64::from_le_bytes(b[18..26].try_into().unwrap()),
            hash: b[26..58].try_into().unwrap(),
            signature: b[58..122].try_into().unwrap(),
        })
    }

    /// Verifies the signature with the trusted key it names, then that `snapshot_bytes` are
    /// the signed snapshot, and reads it. Refuses: an unknown key id, a signature that does
    /// not verify, a snapshot of another version or hash, a snapshot whose content does not
    /// hash to its header.
    pub fn open(
        &self,
        snapshot_bytes: &[u8],
        trusted: &[SnapshotPublicKey],
    ) -> Result<Snapshot, GuardError> {
        let (version, hash) = Snapshot::peek_header(snapshot_bytes)?;
        self.verify(SNAPSHOT_MAGIC, version, hash, trusted)?;
        Snapshot::from_bytes(snapshot_bytes)
    }

    /// [`SnapshotSignature::open`] for a compact snapshot.
    pub fn open_compact(
        &self,
        bytes: &[u8],
        trusted: &[SnapshotPublicKey],
    ) -> Result<CompactSnapshot, GuardError> {
        let (version, hash) = CompactSnapshot::peek_header(bytes)?;
        self.verify(COMPACT_MAGIC, version, hash, trusted)?;
        CompactSnapshot::from_bytes(bytes)
    }

    fn verify(
        &self,
        magic: &[u8; 8],
        version: u64,
        hash: [u8; 32],
        trusted: &[SnapshotPublicKey],
    ) -> Result<(), GuardError> {
        let key = trusted
            .iter()
            .find(|k| k.key_id() == self.key_id)
            .ok_or_else(|| {
                let ids: Vec<String> = trusted.iter().map(SnapshotPublicKey::key_id_hex).collect();
                bad_sig(format!(
                    "signed by key id {}, which is not trusted (trusted: {})",
                    hex::encode(self.key_id),
                    if ids.is_empty() {
                        "none".to_owned()
                    } else {
                        ids.join(", ")
                    }
                ))
            })?;
        key.0
            .verify_strict(
                &message(magic, self.version, &self.hash),
                &Signature::from_bytes(&self.signature),
            )
            .map_err(|_| {
                bad_sig(format!(
                    "the signature does not verify under key id {}",
                    key.key_id_hex()
                ))
            })?;
        if version != self.version || hash != self.hash {
            return Err(bad_sig(format!(
                "the signature is for version {} ({}), the snapshot is version {version} ({})",
                self.version,
                hex::encode(self.hash),
                hex::encode(hash)
            )));
        }
        Ok(())
    }
}
