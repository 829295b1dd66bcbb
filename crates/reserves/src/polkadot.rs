//! Polkadot: polkadot-js `signRaw` (extensions, `@polkadot/keyring`) wraps the data as
//! `<Bytes>…</Bytes>` before signing, so a plain check of the unwrapped message fails. sr25519
//! in the `substrate` signing context (schnorrkel), or ed25519 for ed25519 accounts; the SS58
//! account is the public key. Signatures are hex: 64 bytes, or 65 with the `MultiSignature`
//! type byte (0 ed25519, 1 sr25519).

use custodia_chain::ss58;

use crate::sign::Sr25519Key;
use crate::{Scheme, WalletRejection};

/// schnorrkel signing context of Substrate.
pub const SIGNING_CONTEXT: &[u8] = b"substrate";

/// The wrapped bytes polkadot-js signs.
pub fn wrap_bytes(message: &str) -> Vec<u8> {
    [b"<Bytes>".as_slice(), message.as_bytes(), b"</Bytes>"].concat()
}

/// Whether `sig` is an sr25519 signature of `message` by `key`. Not every ed25519 key is a
/// Ristretto encoding: such a key is simply not an sr25519 account (the cross-implementation
/// vectors caught this).
fn sr25519_ok(key: &[u8; 32], message: &[u8], sig: &[u8]) -> bool {
    let (Ok(pk), Ok(sig)) = (
        schnorrkel::PublicKey::from_bytes(key),
        schnorrkel::Signature::from_bytes(sig),
    ) else {
        return false;
    };
    pk.verify_simple(SIGNING_CONTEXT, message, &sig).is_ok()
}

pub(crate) fn verify(
    key: &[u8; 32],
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    crate::keydata::KeyData::parse(script, &[])?;
    let raw = crate::ed25519::hex(crate::ed25519::one(signatures, "Polkadot account")?)?;
    let (typ, sig) = match raw.len() {
        64 => (None, raw.as_slice()),
        65 if raw[0] <= 1 => (Some(raw[0]), &raw[1..]),
        65 => {
            return Err(WalletRejection::envelope(
                "Polkadot MultiSignature",
                format!(
                    "type byte {} (0 ed25519 and 1 sr25519 are accepted; ecdsa accounts are not)",
                    raw[0]
                ),
            ));
        }
        n => {
            return Err(WalletRejection::SignatureLength {
                expected: 64,
                got: n,
            });
        }
    };
    let wrapped = wrap_bytes(message);
    if typ != Some(0) && sr25519_ok(key, &wrapped, sig) {
        return Ok(Scheme::Sr25519Bytes);
    }
    if typ != Some(1) && crate::ed25519::verifies(key, &wrapped, sig)? {
        return Ok(Scheme::Ed25519Bytes);
    }
    if sr25519_ok(key, message.as_bytes(), sig)
        || crate::ed25519::verifies(key, message.as_bytes(), sig)?
    {
        return Err(WalletRejection::envelope(
            "Polkadot signRaw",
            "signed without the <Bytes>…</Bytes> wrapping",
        ));
    }
    Err(WalletRejection::SignatureInvalid)
}

/// The Polkadot account of an sr25519 key.
pub fn polkadot_address(key: &Sr25519Key) -> String {
    ss58::encode(ss58::POLKADOT, &key.public())
}

/// A polkadot-js `signRaw` signature (0x hex, 64 bytes) over the wrapped message.
pub fn sign_polkadot_bytes(key: &Sr25519Key, message: &str, nonce_seed: [u8; 32]) -> String {
    format!(
        "0x{}",
        hex::encode(key.sign(&wrap_bytes(message), nonce_seed))
    )
}
