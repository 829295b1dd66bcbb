//! Aptos AIP-62 `signMessage`: the wallet signs its `fullMessage`,
//! `APTOS\naddress: <address>\n[application: <origin>\n][chainId: <id>\n]message: <message>\nnonce: <nonce>`,
//! with ed25519. The verifier rebuilds it with the address line always present (it binds the
//! account) from the key data: `public_key=<hex>;nonce=<nonce>[;application=…][;chain_id=…]`.
//! The account address is the key's authentication key `SHA3-256(public key ‖ 0x00)` at
//! creation; a rotated key no longer matches, and rotation to this key from another account is
//! a ledger question ([`crate::KeyAuthority::NotChecked`]).

use custodia_chain::hex32;
use sha3::{Digest as _, Sha3_256};

use crate::keydata::{KeyData, key_data};
use crate::sign::Ed25519Key;
use crate::{Scheme, WalletRejection};

/// The single-ed25519 authentication key of a public key.
pub fn authentication_key(public_key: &[u8; 32]) -> [u8; 32] {
    Sha3_256::new()
        .chain_update(public_key)
        .chain_update([0u8])
        .finalize()
        .into()
}

/// The AIP-62 full message.
pub fn full_message(
    address: &str,
    application: Option<&str>,
    chain_id: Option<&str>,
    message: &str,
    nonce: &str,
) -> String {
    let mut s = format!("APTOS\naddress: {address}\n");
    if let Some(a) = application {
        s.push_str(&format!("application: {a}\n"));
    }
    if let Some(c) = chain_id {
        s.push_str(&format!("chainId: {c}\n"));
    }
    s.push_str(&format!("message: {message}\nnonce: {nonce}"));
    s
}

pub(crate) fn verify(
    account: &[u8; 32],
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    let kd = KeyData::parse(script, &["public_key", "nonce", "application", "chain_id"])?;
    let pk: [u8; 32] = kd.hex("public_key")?;
    let derived = authentication_key(&pk);
    if &derived != account {
        return Err(WalletRejection::WrongKey {
            expected: hex32::encode(account),
            got: hex32::encode(&derived),
        });
    }
    let nonce = kd.required("nonce")?;
    if nonce.contains('\n') {
        return Err(WalletRejection::key_data("nonce must be one line"));
    }
    let full = full_message(
        &hex32::encode(account),
        kd.get("application"),
        kd.get("chain_id"),
        message,
        nonce,
    );
    let sig = crate::ed25519::hex(crate::ed25519::one(signatures, "Aptos account")?)?;
    crate::ed25519::verify(&pk, full.as_bytes(), &sig)?;
    Ok(Scheme::Aip62)
}

/// The account of `key` (never rotated) and its key data with `nonce`.
pub fn aptos_account(key: &Ed25519Key, nonce: &str) -> (String, String) {
    (
        hex32::encode(&authentication_key(&key.public())),
        key_data(&[
            ("public_key", &format!("0x{}", hex::encode(key.public()))),
            ("nonce", nonce),
        ]),
    )
}

/// An AIP-62 signature (0x hex) over the full message with the address line and `nonce`.
pub fn sign_aip62(key: &Ed25519Key, address: &str, message: &str, nonce: &str) -> String {
    let full = full_message(address, None, None, message, nonce);
    format!("0x{}", hex::encode(key.sign(full.as_bytes())))
}
