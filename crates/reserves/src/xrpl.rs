//! XRP Ledger. The ledger has no message-signing standard; the common one is ripple-keypairs'
//! `sign(messageHex, privateKey)` (xrpl.js, Xaman's and custody SDKs' building block):
//! secp256k1 ECDSA over SHA-512Half of the message (DER, low S), or ed25519 over the message
//! itself. The public key travels in the key data (`public_key=<66 hex>`, ed25519 keys with
//! their `ED` prefix) and the classic address is derived from it:
//! `RIPEMD-160(SHA-256(public key))`.
//!
//! An XRPL account can set a regular key, a signer list, or disable its master key: the master
//! key's signature then proves nothing about control. That is read from the ledger at the
//! snapshot; without it the wallet is counted with [`crate::KeyAuthority::NotChecked`].

use bitcoin::hashes::{Hash, hash160};
use bitcoin::secp256k1::ecdsa::Signature;
use bitcoin::secp256k1::{Message, PublicKey};
use custodia_chain::xrpl;
use sha2::{Digest as _, Sha512};

use crate::keydata::KeyData;
use crate::sign::{Ed25519Key, SigningKey};
use crate::{Scheme, WalletRejection, secp};

/// SHA-512Half: the first 32 bytes of SHA-512.
pub fn sha512_half(data: &[u8]) -> [u8; 32] {
    Sha512::digest(data)[..32].try_into().expect("32 bytes")
}

/// The account ID of a 33-byte public key (`ED`-prefixed for ed25519).
pub fn account_of(public_key: &[u8; 33]) -> [u8; 20] {
    hash160::Hash::hash(public_key).to_byte_array()
}

/// Verifies a ripple-keypairs signature of `message` for `account`.
pub(crate) fn verify(
    account: &[u8; 20],
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    let kd = KeyData::parse(script, &["public_key"])?;
    let pk: [u8; 33] = kd.hex("public_key")?;
    let derived = account_of(&pk);
    if &derived != account {
        return Err(WalletRejection::WrongKey {
            expected: xrpl::encode(account),
            got: xrpl::encode(&derived),
        });
    }
    let sig = crate::ed25519::hex(crate::ed25519::one(signatures, "XRPL account")?)?;
    if pk[0] == 0xed {
        let key: [u8; 32] = pk[1..].try_into().expect("32 bytes");
        crate::ed25519::verify(&key, message.as_bytes(), &sig)?;
    } else {
        let key = PublicKey::from_slice(&pk).map_err(|e| WalletRejection::BadPublicKey {
            reason: format!("not a compressed secp256k1 key: {e}"),
        })?;
        let sig = Signature::from_der(&sig).map_err(WalletRejection::bad_sig)?;
        let mut low = sig;
        low.normalize_s();
        if low != sig {
            return Err(WalletRejection::HighS);
        }
        secp()
            .verify_ecdsa(
                &Message::from_digest(sha512_half(message.as_bytes())),
                &sig,
                &key,
            )
            .map_err(|_| WalletRejection::SignatureInvalid)?;
    }
    Ok(Scheme::XrplKeypairs)
}

/// The secp256k1 account of `key`: its address and its key data.
pub fn xrpl_secp256k1_account(key: &SigningKey) -> (String, String) {
    let pk = key.public_key().serialize();
    (
        xrpl::encode(&account_of(&pk)),
        crate::keydata::key_data(&[("public_key", &hex::encode_upper(pk))]),
    )
}

/// The ed25519 account of `key`: its address and its key data.
pub fn xrpl_ed25519_account(key: &Ed25519Key) -> (String, String) {
    let mut pk = [0u8; 33];
    pk[0] = 0xed;
    pk[1..].copy_from_slice(&key.public());
    (
        xrpl::encode(&account_of(&pk)),
        crate::keydata::key_data(&[("public_key", &hex::encode_upper(pk))]),
    )
}

/// ripple-keypairs `sign` with a secp256k1 key: DER hex (upper case, as ripple-keypairs).
pub fn sign_xrpl_secp256k1(key: &SigningKey, message: &str) -> String {
    let sig = key.sign_digest(sha512_half(message.as_bytes()));
    hex::encode_upper(sig.serialize_der())
}

/// ripple-keypairs `sign` with an ed25519 key (upper-case hex).
pub fn sign_xrpl_ed25519(key: &Ed25519Key, message: &str) -> String {
    hex::encode_upper(key.sign(message.as_bytes()))
}
