//! EOS. Wallets sign arbitrary data the way Scatter's `getArbitrarySignature` and
//! `@wharfkit/antelope`'s `PrivateKey.signMessage` do (Anchor and the Wharf stack): secp256k1
//! ECDSA over `SHA-256(message)`, written `SIG_K1_` + base58(`header ‖ r ‖ s` ‖ the first four
//! bytes of `RIPEMD-160(header ‖ r ‖ s ‖ "K1")`), header = 27 + 4 + recovery id. The key travels
//! in the key data (`public_key=PUB_K1_…` or the legacy `EOS…`), and the signature must recover
//! to it.
//!
//! An EOS account is a *name* (`custodiaexch1`): which keys may act for it is its on-chain
//! `owner`/`active` permissions, which the account can change at any time. The signature proves
//! that the key signed the round's message, not that the key controls the named account — that
//! is a chain question, so these wallets are counted with [`crate::KeyAuthority::NotChecked`].

use bitcoin::hashes::{Hash, ripemd160};
use bitcoin::secp256k1::PublicKey;
use sha2::{Digest as _, Sha256};

use crate::evm::{compact_recoverable, recover};
use crate::keydata::KeyData;
use crate::sign::SigningKey;
use crate::{Scheme, WalletRejection};

const LEGACY_PREFIX: &str = "EOS";
const K1_KEY_PREFIX: &str = "PUB_K1_";
const K1_SIG_PREFIX: &str = "SIG_K1_";

/// The four checksum bytes of Antelope's base58 strings: RIPEMD-160 of the data and the key
/// type suffix (`K1` in the `PUB_K1_`/`SIG_K1_` forms, nothing in the legacy `EOS…` form).
fn checksum(data: &[u8], suffix: &[u8]) -> [u8; 4] {
    let h = ripemd160::Hash::hash(&[data, suffix].concat()).to_byte_array();
    [h[0], h[1], h[2], h[3]]
}

/// Decodes `base58(data ‖ checksum)` of `N` data bytes.
fn decode_checked<const N: usize>(
    text: &str,
    suffix: &[u8],
    what: &'static str,
) -> Result<[u8; N], String> {
    let raw = bs58::decode(text)
        .into_vec()
        .map_err(|e| format!("{what} is not base58: {e}"))?;
    if raw.len() != N + 4 {
        return Err(format!("{what} is {} bytes, expected {}", raw.len(), N + 4));
    }
    let (data, check) = raw.split_at(N);
    if checksum(data, suffix) != *check {
        return Err(format!("{what} checksum does not match"));
    }
    Ok(data.try_into().expect("N bytes"))
}

fn encode_checked(data: &[u8], suffix: &[u8]) -> String {
    bs58::encode([data, &checksum(data, suffix)].concat()).into_string()
}

/// Parses an EOS public key, `PUB_K1_…` or legacy `EOS…` (R1 and WebAuthn keys are refused: no
/// wallet signs messages with them).
pub fn parse_public_key(s: &str) -> Result<PublicKey, WalletRejection> {
    let bad = |reason: String| WalletRejection::BadPublicKey { reason };
    let data: [u8; 33] = if let Some(rest) = s.strip_prefix(K1_KEY_PREFIX) {
        decode_checked(rest, b"K1", "PUB_K1_ key").map_err(bad)?
    } else if s.starts_with("PUB_") {
        return Err(bad(format!(
            "only K1 (secp256k1) keys are accepted, got {}",
            s.split('_').take(2).collect::<Vec<_>>().join("_")
        )));
    } else if let Some(rest) = s.strip_prefix(LEGACY_PREFIX) {
        decode_checked(rest, b"", "EOS key").map_err(bad)?
    } else {
        return Err(bad("an EOS key starts with PUB_K1_ or EOS".into()));
    };
    PublicKey::from_slice(&data).map_err(|e| bad(format!("not a secp256k1 point: {e}")))
}

/// The `PUB_K1_…` spelling of a key.
pub fn public_key_k1(key: &PublicKey) -> String {
    format!("{K1_KEY_PREFIX}{}", encode_checked(&key.serialize(), b"K1"))
}

/// The legacy `EOS…` spelling of a key.
pub fn public_key_legacy(key: &PublicKey) -> String {
    format!("{LEGACY_PREFIX}{}", encode_checked(&key.serialize(), b""))
}

/// Recovers the key that made the `SIG_K1_…` signature `s` of a 32-byte digest (low S required).
pub(crate) fn recover_key(s: &str, digest: [u8; 32]) -> Result<PublicKey, WalletRejection> {
    let (recid, rs) = parse_signature(s)?;
    recover(&compact_recoverable(&rs, recid)?, digest)
}

/// Decodes a `SIG_K1_…` signature into its recovery id and `r ‖ s`.
fn parse_signature(s: &str) -> Result<(u8, [u8; 64]), WalletRejection> {
    let bad = |reason: String| WalletRejection::BadEncoding {
        encoding: "an EOS SIG_K1_ signature",
        reason,
    };
    let rest = s
        .strip_prefix(K1_SIG_PREFIX)
        .ok_or_else(|| bad("it must start with SIG_K1_".into()))?;
    let data: [u8; 65] = decode_checked(rest, b"K1", "SIG_K1_ signature").map_err(bad)?;
    // 27 + recovery id, + 4 for a compressed key: what eosjs-ecc, wharfkit and the chain write
    // (the chain's own recovery takes both halves).
    let recid = match data[0] {
        h @ 31..=34 => h - 31,
        h @ 27..=30 => h - 27,
        value => {
            return Err(WalletRejection::BadRecoveryId {
                value,
                accepted: "EOS signature headers are 27..=34",
            });
        }
    };
    Ok((recid, data[1..].try_into().expect("64 bytes")))
}

pub(crate) fn verify(
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    let kd = KeyData::parse(script, &["public_key"])?;
    let key = parse_public_key(kd.required("public_key")?)?;
    let got = recover_key(
        crate::ed25519::one(signatures, "EOS account")?,
        Sha256::digest(message.as_bytes()).into(),
    )?;
    if got != key {
        return Err(WalletRejection::WrongKey {
            expected: public_key_k1(&key),
            got: public_key_k1(&got),
        });
    }
    Ok(Scheme::EosSignMessage)
}

/// The key data of an EOS wallet signed by `key`.
pub fn eos_key_data(key: &SigningKey) -> String {
    crate::keydata::key_data(&[("public_key", &public_key_k1(&key.public_key()))])
}

/// A `SIG_K1_` signature of `message` (SHA-256), as `signMessage` writes it.
pub fn sign_eos(key: &SigningKey, message: &str) -> String {
    sign_eos_digest(key, Sha256::digest(message.as_bytes()).into())
}

/// A `SIG_K1_` signature of a 32-byte digest.
pub fn sign_eos_digest(key: &SigningKey, digest: [u8; 32]) -> String {
    let (recid, rs) = key.sign_recoverable(digest);
    let mut data = [0u8; 65];
    data[0] = 31 + recid;
    data[1..].copy_from_slice(&rs);
    format!("{K1_SIG_PREFIX}{}", encode_checked(&data, b"K1"))
}
