//! The generic Custodia envelope, for custody HSMs that have no wallet standard for a chain (or
//! none that their signing policy allows). It signs
//!
//! ```text
//! "\x19Custodia Signed Message:\n" ‖ decimal byte length of the message ‖ message
//! ```
//!
//! - **ed25519 keys**: pure ed25519 over those bytes (what every HSM's EdDSA does);
//! - **secp256k1 keys**: ECDSA over `SHA-256` of those bytes, low S, written with its recovery
//!   id as `r ‖ s ‖ v` (`v` 0/1 or 27/28) so that the key is recovered, not claimed.
//!
//! The wallet row's signature is `envelope:` followed by the hex signature. The address is
//! derived from the key exactly as the chain derives it; where the address is a hash of an
//! ed25519 key (XRPL, Aptos, Sui, Cardano, TON) the key travels in the key data
//! (`public_key=…`, and `wallet=…` for TON). The leading `0x19` keeps the envelope from being a
//! valid transaction of any supported chain, and the Custodia prefix keeps it apart from every
//! wallet standard's own prefix, so an envelope signature cannot be replayed as anything else.

use bitcoin::hashes::{Hash, hash160};
use bitcoin::secp256k1::PublicKey;
use custodia_chain::checksum::blake2b;
use custodia_chain::filecoin::FilAddress;
use custodia_chain::{cardano, hex32};
use sha2::{Digest as _, Sha256};

use crate::chain::ChainAddress;
use crate::evm::{account_of, decode_rsv, recover};
use crate::keydata::KeyData;
use crate::sign::{Ed25519Key, SigningKey};
use crate::{Scheme, WalletRejection};

/// Marks a signature as an envelope signature.
pub const ENVELOPE_PREFIX: &str = "envelope:";

/// The bytes an envelope signs.
pub fn envelope_bytes(message: &str) -> Vec<u8> {
    [
        b"\x19Custodia Signed Message:\n".as_slice(),
        message.len().to_string().as_bytes(),
        message.as_bytes(),
    ]
    .concat()
}

fn secp_key(sig_hex: &str, message: &str) -> Result<PublicKey, WalletRejection> {
    let sig = decode_rsv(sig_hex)?;
    recover(&sig, Sha256::digest(envelope_bytes(message)).into())
}

fn h160(pk: &PublicKey) -> [u8; 20] {
    hash160::Hash::hash(&pk.serialize()).to_byte_array()
}

fn ed(key: &[u8; 32], message: &str, sig_hex: &str) -> Result<Scheme, WalletRejection> {
    let sig = crate::ed25519::hex(sig_hex)?;
    crate::ed25519::verify(key, &envelope_bytes(message), &sig)?;
    Ok(Scheme::CustodiaEnvelope)
}

fn wrong(expected: String, got: String) -> WalletRejection {
    WalletRejection::WrongKey { expected, got }
}

/// Verifies an envelope signature (`sig` without its prefix) for `address`.
pub(crate) fn verify(
    address: &ChainAddress,
    message: &str,
    sig: &str,
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    let canonical = address.canonical();
    let kd = KeyData::parse(script, &["public_key", "wallet"])?;
    let derived_mismatch = |got: String| Err(wrong(canonical.clone(), got));
    match address {
        ChainAddress::Evm(a) | ChainAddress::Tron(a) => {
            let got = account_of(&secp_key(sig, message)?);
            if &got != a {
                return derived_mismatch(custodia_chain::evm::eip55(&got));
            }
        }
        ChainAddress::Filecoin(FilAddress::Eth(a)) => {
            let got = account_of(&secp_key(sig, message)?);
            if &got != a {
                return derived_mismatch(custodia_chain::evm::eip55(&got));
            }
        }
        ChainAddress::Filecoin(FilAddress::Secp256k1(p)) => {
            let pk = secp_key(sig, message)?;
            let got = custodia_chain::filecoin::secp256k1_payload(&pk.serialize_uncompressed());
            if &got != p {
                return derived_mismatch(custodia_chain::filecoin::encode(&FilAddress::Secp256k1(
                    got,
                )));
            }
        }
        ChainAddress::Coin { kind, hash, coin } => {
            use custodia_chain::coins::CoinKind;
            if *kind == CoinKind::P2sh {
                return Err(WalletRejection::UnsupportedScheme {
                    address_type: format!("{} P2SH", coin.name()),
                    scheme: "the Custodia envelope",
                });
            }
            let got = h160(&secp_key(sig, message)?);
            if &got != hash {
                return derived_mismatch(custodia_chain::coins::encode(*coin, *kind, &got));
            }
        }
        ChainAddress::Bitcoin(a) => {
            let pk = secp_key(sig, message)?;
            let cpk = bitcoin::CompressedPublicKey(pk);
            let spk = a.script_pubkey();
            let ok = spk
                == bitcoin::ScriptBuf::new_p2pkh(&bitcoin::PublicKey::new(pk).pubkey_hash())
                || spk == bitcoin::ScriptBuf::new_p2wpkh(&cpk.wpubkey_hash());
            if !ok {
                return derived_mismatch(format!("key {pk}"));
            }
        }
        ChainAddress::Xrpl(a) => {
            if kd.get("public_key").is_some() {
                let pk: [u8; 33] = kd.hex("public_key")?;
                if pk[0] != 0xed {
                    return Err(WalletRejection::key_data(
                        "public_key is only given for ed25519 XRPL keys (secp256k1 keys are recovered)",
                    ));
                }
                let got = crate::xrpl::account_of(&pk);
                if &got != a {
                    return derived_mismatch(custodia_chain::xrpl::encode(&got));
                }
                return ed(pk[1..].try_into().expect("32 bytes"), message, sig);
            }
            let got = crate::xrpl::account_of(&secp_key(sig, message)?.serialize());
            if &got != a {
                return derived_mismatch(custodia_chain::xrpl::encode(&got));
            }
        }
        ChainAddress::Solana(k) | ChainAddress::Stellar(k) | ChainAddress::Polkadot(k) => {
            return ed(k, message, sig);
        }
        ChainAddress::Aelf(a) => {
            let pk = secp_key(sig, message)?;
            let got = custodia_chain::aelf::key_hash(&pk.serialize_uncompressed());
            if &got != a {
                return derived_mismatch(custodia_chain::aelf::encode(&got));
            }
        }
        ChainAddress::Eos(_) => {
            // A name derives from no key: the key data names the key, which must be the
            // recovered one (its authority over the account is the chain's permissions).
            let named = crate::eos::parse_public_key(kd.required("public_key")?)?;
            let pk = secp_key(sig, message)?;
            if pk != named {
                return Err(wrong(
                    crate::eos::public_key_k1(&named),
                    crate::eos::public_key_k1(&pk),
                ));
            }
            return Ok(Scheme::CustodiaEnvelope);
        }
        ChainAddress::Aptos(a) => {
            let pk: [u8; 32] = kd.hex("public_key")?;
            let got = crate::aptos::authentication_key(&pk);
            if &got != a {
                return derived_mismatch(hex32::encode(&got));
            }
            return ed(&pk, message, sig);
        }
        ChainAddress::Sui(a) => {
            let pk: [u8; 32] = kd.hex("public_key")?;
            let got = blake2b::<32>(&[&[0], &pk]);
            if &got != a {
                return derived_mismatch(hex32::encode(&got));
            }
            return ed(&pk, message, sig);
        }
        ChainAddress::Cardano(a) => {
            let pk: [u8; 32] = kd.hex("public_key")?;
            if cardano::key_hash(&pk) != a.payment {
                return derived_mismatch(format!(
                    "payment key hash {}",
                    hex::encode(cardano::key_hash(&pk))
                ));
            }
            return ed(&pk, message, sig);
        }
        ChainAddress::Ton(a) => {
            let pk: [u8; 32] = kd.hex("public_key")?;
            let wallet = kd.required("wallet")?;
            let version = crate::ton::WalletVersion::parse(wallet).ok_or_else(|| {
                WalletRejection::key_data(format!("wallet `{wallet}`: expected v3r2, v4r2 or v5r1"))
            })?;
            let got = crate::ton::wallet_hash(version, a.workchain, &pk);
            if got != a.hash {
                return derived_mismatch(format!("{}:{}", a.workchain, hex::encode(got)));
            }
            return ed(&pk, message, sig);
        }
    }
    if kd.get("public_key").is_some() || kd.get("wallet").is_some() {
        return Err(WalletRejection::key_data(
            "secp256k1 envelope signatures carry their key (recovered); no key data",
        ));
    }
    Ok(Scheme::CustodiaEnvelope)
}

/// An envelope signature with a secp256k1 key (`envelope:` + hex `r ‖ s ‖ v`, `v` 27/28).
pub fn sign_envelope_secp256k1(key: &SigningKey, message: &str) -> String {
    let (recid, rs) = key.sign_recoverable(Sha256::digest(envelope_bytes(message)).into());
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&rs);
    out[64] = 27 + recid;
    format!("{ENVELOPE_PREFIX}{}", hex::encode(out))
}

/// An envelope signature with an ed25519 key (`envelope:` + hex).
pub fn sign_envelope_ed25519(key: &Ed25519Key, message: &str) -> String {
    format!(
        "{ENVELOPE_PREFIX}{}",
        hex::encode(key.sign(&envelope_bytes(message)))
    )
}
