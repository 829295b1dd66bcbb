//! The ed25519 and sr25519 chains' ownership schemes, re-checked in pure Rust
//! (`ed25519-dalek`, `schnorrkel`): Solana, Polkadot, Aptos, Sui, Stellar and the XRP Ledger
//! (whose accounts are ed25519 or secp256k1). Each function rebuilds what the wallet signed
//! from the ownership message and the address, verifies the signature, and returns the address's
//! canonical spelling, exactly as `custodia reserves verify` does on the exchange's side.
//!
//! ed25519 is verified strictly (canonical `s`, no small-order key or `R`), so a signature has
//! one encoding and cannot be malleated into another one that also verifies.
//!
//! Not here (listed as "not re-checked here"): TON `ton_proof` (the address is the hash of a
//! wallet contract's initial state, cells to rebuild) and Cardano CIP-8 (COSE_Sign1 in CBOR).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use custodia_chain::checksum::blake2b;
use custodia_chain::{hex32, solana, ss58, stellar, xrpl};
use ed25519_dalek::{Signature, VerifyingKey};
use k256::ecdsa::signature::Verifier as _;
use k256::ecdsa::signature::hazmat::PrehashVerifier as _;
use sha2::{Digest as _, Sha256, Sha512};
use sha3::Sha3_256;

/// Checks an ed25519 signature `sig` of `message` by `key`, strictly.
fn ed25519(key: &[u8; 32], message: &[u8], sig: &[u8]) -> Result<(), String> {
    let sig: [u8; 64] = sig
        .try_into()
        .map_err(|_| format!("the signature has {} bytes, expected 64", sig.len()))?;
    let vk = VerifyingKey::from_bytes(key).map_err(|_| "the key is not an ed25519 point")?;
    if vk.is_weak() {
        return Err("the key is a small-order ed25519 point".into());
    }
    vk.verify_strict(message, &Signature::from_bytes(&sig))
        .map_err(|_| "the signature does not verify".into())
}

fn verifies(key: &[u8; 32], message: &[u8], sig: &[u8]) -> bool {
    ed25519(key, message, sig).is_ok()
}

fn one(signatures: &[String]) -> Result<&str, String> {
    match signatures {
        [one] => Ok(one),
        [] => Err("no signature".into()),
        many => Err(format!("{} signatures, this scheme takes one", many.len())),
    }
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|e| format!("not hex: {e}"))
}

/// The `script` column's `name=value;…` pairs; names outside `allowed` are refused (a misspelt
/// name must not be ignored), as on the exchange's side.
fn key_data<'a>(script: &'a str, allowed: &[&str]) -> Result<BTreeMap<&'a str, &'a str>, String> {
    let mut fields = BTreeMap::new();
    for part in script.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| format!("key data `{part}` is not name=value"))?;
        let name = name.trim();
        if !allowed.contains(&name) {
            return Err(format!(
                "key data field `{name}` is not one this chain takes"
            ));
        }
        if fields.insert(name, value.trim()).is_some() {
            return Err(format!("key data field `{name}` given twice"));
        }
    }
    Ok(fields)
}

fn required<'a>(fields: &BTreeMap<&str, &'a str>, name: &str) -> Result<&'a str, String> {
    fields
        .get(name)
        .copied()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("key data field `{name}` is required"))
}

fn hex_field<const N: usize>(fields: &BTreeMap<&str, &str>, name: &str) -> Result<[u8; N], String> {
    let bytes = unhex(required(fields, name)?).map_err(|e| format!("key data `{name}`: {e}"))?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("key data `{name}` is {} bytes, expected {N}", b.len()))
}

// ---------------------------------------------------------------------------------------------
// Solana

const SOLANA_DOMAIN: &[u8; 16] = b"\xffsolana offchain";

/// The format byte: 0 printable ASCII, 1 other UTF-8 up to the Ledger limit, 2 up to `max`.
fn solana_format(message: &[u8], ledger_max: usize, max: usize) -> Option<u8> {
    let printable = message.iter().all(|b| (0x20..=0x7e).contains(b));
    match message.len() {
        0 => None,
        n if n <= ledger_max => Some(u8::from(!printable)),
        n if n <= max => Some(2),
        _ => None,
    }
}

/// The off-chain message envelopes a Solana wallet may have signed, newest first: version 1
/// (`@solana/kit`), version 0 of the current proposal (application domain, one signer), and the
/// first version 0 (`solana sign-offchain-message`).
fn solana_envelopes(domain: &[u8; 32], signer: &[u8; 32], m: &[u8]) -> Vec<Vec<u8>> {
    let len = (m.len() as u16).to_le_bytes();
    let mut out = vec![[SOLANA_DOMAIN.as_slice(), &[1, 1], signer, m].concat()];
    if let Some(format) = solana_format(m, 1232, usize::from(u16::MAX)) {
        out.push(
            [
                SOLANA_DOMAIN.as_slice(),
                &[0],
                domain,
                &[format, 1],
                signer,
                &len,
                m,
            ]
            .concat(),
        );
    }
    if let Some(format) = solana_format(m, 1212, 65515) {
        out.push([SOLANA_DOMAIN.as_slice(), &[0, format], &len, m].concat());
    }
    out
}

/// Solana: `offchain` — an off-chain message envelope (key data may name
/// `application_domain`); otherwise `signMessage` over the raw bytes. Signatures are base58.
pub fn solana(
    address: &str,
    message: &str,
    signatures: &[String],
    script: &str,
    offchain: bool,
) -> Result<String, String> {
    let key = solana::parse(address).map_err(|e| format!("not a Solana address: {e}"))?;
    let fields = key_data(script, &["application_domain"])?;
    let domain = match fields.get("application_domain") {
        None => [0; 32],
        Some(d) => solana::parse(d).map_err(|e| format!("application_domain: {e}"))?,
    };
    let sig = bs58::decode(one(signatures)?)
        .into_vec()
        .map_err(|e| format!("the signature is not base58: {e}"))?;
    let m = message.as_bytes();
    if offchain {
        if !solana_envelopes(&domain, &key, m)
            .iter()
            .any(|bytes| verifies(&key, bytes, &sig))
        {
            return Err("no off-chain message envelope of this message verifies".into());
        }
    } else {
        ed25519(&key, m, &sig)?;
    }
    Ok(solana::to_base58(&key))
}

// ---------------------------------------------------------------------------------------------
// Polkadot

/// polkadot-js `signRaw`: sr25519 (`sr25519 == true`, signing context `substrate`) or ed25519
/// over `<Bytes>message</Bytes>`; hex, 64 bytes or 65 with the `MultiSignature` type byte.
pub fn polkadot(
    address: &str,
    message: &str,
    signatures: &[String],
    sr25519: bool,
) -> Result<String, String> {
    let key =
        ss58::parse(ss58::POLKADOT, address).map_err(|e| format!("not a Polkadot address: {e}"))?;
    let raw = unhex(one(signatures)?).map_err(|e| format!("the signature is {e}"))?;
    let sig = match (raw.len(), raw.first()) {
        (64, _) => &raw[..],
        (65, Some(&t)) if t == u8::from(sr25519) => &raw[1..],
        (65, Some(t)) => return Err(format!("MultiSignature type byte {t} is not this scheme's")),
        (n, _) => return Err(format!("the signature has {n} bytes, expected 64")),
    };
    let wrapped = [b"<Bytes>".as_slice(), message.as_bytes(), b"</Bytes>"].concat();
    if sr25519 {
        let pk = schnorrkel::PublicKey::from_bytes(&key)
            .map_err(|_| "the account is not an sr25519 key".to_owned())?;
        let sig = schnorrkel::Signature::from_bytes(sig)
            .map_err(|_| "not an sr25519 signature".to_owned())?;
        pk.verify_simple(b"substrate", &wrapped, &sig)
            .map_err(|_| "the signature does not verify".to_owned())?;
    } else {
        ed25519(&key, &wrapped, sig)?;
    }
    Ok(ss58::encode(ss58::POLKADOT, &key))
}

// ---------------------------------------------------------------------------------------------
// Aptos

/// Aptos AIP-62: ed25519 over the wallet's full message, rebuilt from the key data
/// (`public_key`, `nonce`, optional `application`, `chain_id`) with the address line; the
/// account must be the key's authentication key `SHA3-256(key ‖ 0)`.
pub fn aptos(
    address: &str,
    message: &str,
    signatures: &[String],
    script: &str,
) -> Result<String, String> {
    let account =
        hex32::parse("Aptos", address).map_err(|e| format!("not an Aptos address: {e}"))?;
    let fields = key_data(script, &["public_key", "nonce", "application", "chain_id"])?;
    let pk: [u8; 32] = hex_field(&fields, "public_key")?;
    let derived: [u8; 32] = Sha3_256::new()
        .chain_update(pk)
        .chain_update([0u8])
        .finalize()
        .into();
    if derived != account {
        return Err(format!(
            "the key's account is {}, not {}",
            hex32::encode(&derived),
            hex32::encode(&account)
        ));
    }
    let nonce = required(&fields, "nonce")?;
    if nonce.contains('\n') {
        return Err("key data `nonce` must be one line".into());
    }
    let mut full = format!("APTOS\naddress: {}\n", hex32::encode(&account));
    if let Some(a) = fields.get("application") {
        full.push_str(&format!("application: {a}\n"));
    }
    if let Some(c) = fields.get("chain_id") {
        full.push_str(&format!("chainId: {c}\n"));
    }
    full.push_str(&format!("message: {message}\nnonce: {nonce}"));
    let sig = unhex(one(signatures)?).map_err(|e| format!("the signature is {e}"))?;
    ed25519(&pk, full.as_bytes(), &sig)?;
    Ok(hex32::encode(&account))
}

// ---------------------------------------------------------------------------------------------
// Sui

/// Sui personal message: `BLAKE2b-256([3, 0, 0] ‖ ULEB128(len) ‖ message)`, signed with
/// ed25519 (flag 0) or secp256k1 ECDSA over its SHA-256 (flag 1, low S); base64 of
/// `flag ‖ signature ‖ key`; the address is `BLAKE2b-256(flag ‖ key)`.
pub fn sui(address: &str, message: &str, signatures: &[String]) -> Result<String, String> {
    let account = hex32::parse("Sui", address).map_err(|e| format!("not a Sui address: {e}"))?;
    let raw = STANDARD
        .decode(one(signatures)?)
        .map_err(|e| format!("the signature is not base64: {e}"))?;
    let (flag, rest) = raw.split_first().ok_or("an empty signature")?;
    let key_len = match flag {
        0 => 32,
        1 => 33,
        f => {
            return Err(format!(
                "signature flag {f}: only ed25519 (0) and secp256k1 (1)"
            ));
        }
    };
    if rest.len() != 64 + key_len {
        return Err(format!(
            "the signature has {} bytes, expected {}",
            raw.len(),
            1 + 64 + key_len
        ));
    }
    let (sig, pk) = rest.split_at(64);
    let derived = blake2b::<32>(&[&[*flag], pk]);
    if derived != account {
        return Err(format!(
            "the key's address is {}, not {}",
            hex32::encode(&derived),
            hex32::encode(&account)
        ));
    }
    let mut intent = vec![3u8, 0, 0];
    let mut n = message.len();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            intent.push(b);
            break;
        }
        intent.push(b | 0x80);
    }
    let digest = blake2b::<32>(&[&intent, message.as_bytes()]);
    if *flag == 0 {
        ed25519(pk.try_into().expect("32 bytes"), &digest, sig)?;
    } else {
        let vk = k256::ecdsa::VerifyingKey::from_sec1_bytes(pk)
            .map_err(|_| "not a secp256k1 key".to_owned())?;
        let sig = low_s(k256::ecdsa::Signature::from_slice(sig))?;
        // k256's `Verifier` hashes with SHA-256: ECDSA over SHA-256 of the digest, as Sui signs.
        vk.verify(&digest, &sig)
            .map_err(|_| "the signature does not verify".to_owned())?;
    }
    Ok(hex32::encode(&account))
}

fn low_s(
    sig: Result<k256::ecdsa::Signature, k256::ecdsa::Error>,
) -> Result<k256::ecdsa::Signature, String> {
    let sig = sig.map_err(|_| "r or s is not a valid scalar".to_owned())?;
    if sig.normalize_s().is_some() {
        return Err("the signature's s is high (not canonical)".into());
    }
    Ok(sig)
}

// ---------------------------------------------------------------------------------------------
// Stellar

/// Stellar SEP-53: ed25519 over `SHA-256("Stellar Signed Message:\n" ‖ message)`, base64.
pub fn stellar(address: &str, message: &str, signatures: &[String]) -> Result<String, String> {
    let key = stellar::parse(address).map_err(|e| format!("not a Stellar account: {e}"))?;
    let sig = STANDARD
        .decode(one(signatures)?)
        .map_err(|e| format!("the signature is not base64: {e}"))?;
    let digest: [u8; 32] = Sha256::new()
        .chain_update(b"Stellar Signed Message:\n")
        .chain_update(message.as_bytes())
        .finalize()
        .into();
    ed25519(&key, &digest, &sig)?;
    Ok(stellar::encode(&key))
}

// ---------------------------------------------------------------------------------------------
// XRP Ledger

/// A strict DER ECDSA signature (`SEQUENCE { INTEGER r, INTEGER s }`, minimal positive
/// integers) as 64 bytes `r ‖ s`.
fn der_rs(der: &[u8]) -> Result<[u8; 64], String> {
    let bad = || "the signature is not strict DER".to_owned();
    let [0x30, len, body @ ..] = der else {
        return Err(bad());
    };
    if usize::from(*len) != body.len() {
        return Err(bad());
    }
    let mut out = [0u8; 64];
    let mut rest = body;
    for half in out.chunks_mut(32) {
        let [0x02, n, tail @ ..] = rest else {
            return Err(bad());
        };
        let n = usize::from(*n);
        if n == 0 || n > 33 || tail.len() < n {
            return Err(bad());
        }
        let (int, next) = tail.split_at(n);
        // Positive and minimal: no sign bit, a leading zero only before a byte with its top bit.
        if int[0] & 0x80 != 0 || (n > 1 && int[0] == 0 && int[1] & 0x80 == 0) {
            return Err(bad());
        }
        let int = if n == 33 { &int[1..] } else { int };
        half[32 - int.len()..].copy_from_slice(int);
        rest = next;
    }
    if !rest.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

/// XRP Ledger, ripple-keypairs `sign`: the key in the key data (`public_key`, 33 bytes, ed25519
/// keys with their `ED` prefix) must hash to the account (`RIPEMD-160(SHA-256(key))`); ed25519
/// signs the message, secp256k1 signs SHA-512Half of it (DER, low S). Hex.
pub fn xrpl(
    address: &str,
    message: &str,
    signatures: &[String],
    script: &str,
) -> Result<String, String> {
    let account = xrpl::parse(address).map_err(|e| format!("not an XRPL account: {e}"))?;
    let fields = key_data(script, &["public_key"])?;
    let pk: [u8; 33] = hex_field(&fields, "public_key")?;
    let derived = crate::schemes::hash160(&pk);
    if derived != account {
        return Err(format!(
            "the key's account is {}, not {}",
            xrpl::encode(&derived),
            xrpl::encode(&account)
        ));
    }
    let sig = unhex(one(signatures)?).map_err(|e| format!("the signature is {e}"))?;
    if pk[0] == 0xed {
        ed25519(
            pk[1..].try_into().expect("32 bytes"),
            message.as_bytes(),
            &sig,
        )?;
    } else {
        let vk = k256::ecdsa::VerifyingKey::from_sec1_bytes(&pk)
            .map_err(|_| "not a compressed secp256k1 key".to_owned())?;
        let sig = low_s(k256::ecdsa::Signature::from_slice(&der_rs(&sig)?))?;
        let half: [u8; 32] = Sha512::digest(message.as_bytes())[..32]
            .try_into()
            .expect("32 bytes");
        vk.verify_prehash(&half, &sig)
            .map_err(|_| "the signature does not verify".to_owned())?;
    }
    Ok(xrpl::encode(&account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_is_strict() {
        // r = 1, s = 0x80 (needs its leading zero).
        let ok = [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80];
        let rs = der_rs(&ok).unwrap();
        assert_eq!(rs[31], 1);
        assert_eq!(rs[63], 0x80);
        // The negative twins: a negative s, a needless leading zero, a wrong length, trailing.
        assert!(der_rs(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x80]).is_err());
        assert!(der_rs(&[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01]).is_err());
        assert!(der_rs(&[0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]).is_err());
        assert!(der_rs(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00]).is_err());
    }

    #[test]
    fn key_data_refuses_unknown_and_repeated_names() {
        assert_eq!(
            key_data("public_key=ab; nonce=1", &["public_key", "nonce"])
                .unwrap()
                .get("nonce"),
            Some(&"1")
        );
        assert!(key_data("publickey=ab", &["public_key"]).is_err());
        assert!(key_data("public_key=ab;public_key=cd", &["public_key"]).is_err());
        assert!(key_data("public_key", &["public_key"]).is_err());
    }
}
