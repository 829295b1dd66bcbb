//! Cardano CIP-8 message signing as CIP-30 wallets do it (`signData(address, payload)`): a
//! COSE_Sign1 whose protected header holds the algorithm (EdDSA, -8) and the signing address,
//! with the payload unhashed; ed25519 over the COSE `Sig_structure`
//! `["Signature1", protected, h'', payload]`. The wallet returns the signature and a COSE_Key
//! (key data `key=<hex>`, or `public_key=<hex>`); the verifier checks that the protected
//! address is the wallet's address, that the payload is the ownership message and that
//! `BLAKE2b-224(key)` is the address's payment key hash.

use ciborium::Value;
use custodia_chain::cardano::{self, CardanoAddress};

use crate::keydata::{KeyData, key_data};
use crate::sign::Ed25519Key;
use crate::{Scheme, WalletRejection};

const SCHEME: &str = "CIP-8 COSE_Sign1";

fn bad(reason: impl Into<String>) -> WalletRejection {
    WalletRejection::envelope(SCHEME, reason)
}

fn decode(bytes: &[u8], what: &str) -> Result<Value, WalletRejection> {
    ciborium::from_reader(bytes).map_err(|e| bad(format!("{what} is not CBOR: {e}")))
}

fn encode(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).expect("in-memory write");
    out
}

fn int(v: &Value) -> Option<i128> {
    v.as_integer().map(i128::from)
}

fn address_bytes(a: &CardanoAddress) -> Vec<u8> {
    let mut v = vec![a.header];
    v.extend_from_slice(&a.payment);
    v.extend_from_slice(&a.delegation);
    v
}

/// The ed25519 key of a COSE_Key (OKP, Ed25519).
fn cose_key(bytes: &[u8]) -> Result<[u8; 32], WalletRejection> {
    let Value::Map(m) = decode(bytes, "COSE_Key")? else {
        return Err(bad("COSE_Key is not a map"));
    };
    let get = |k: i128| {
        m.iter()
            .find(|(key, _)| int(key) == Some(k))
            .map(|(_, v)| v)
    };
    if get(1).and_then(int) != Some(1) {
        return Err(bad("COSE_Key kty is not OKP (1)"));
    }
    if let Some(alg) = get(3)
        && int(alg) != Some(-8)
    {
        return Err(bad("COSE_Key alg is not EdDSA (-8)"));
    }
    if get(-1).and_then(int) != Some(6) {
        return Err(bad("COSE_Key crv is not Ed25519 (6)"));
    }
    let x = get(-2)
        .and_then(Value::as_bytes)
        .ok_or_else(|| bad("COSE_Key has no x (-2)"))?;
    x.as_slice()
        .try_into()
        .map_err(|_| bad(format!("COSE_Key x is {} bytes, expected 32", x.len())))
}

/// The `Sig_structure` bytes a COSE_Sign1 signs.
pub fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    encode(&Value::Array(vec![
        Value::Text("Signature1".into()),
        Value::Bytes(protected.to_vec()),
        Value::Bytes(Vec::new()),
        Value::Bytes(payload.to_vec()),
    ]))
}

pub(crate) fn verify(
    address: &CardanoAddress,
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    let kd = KeyData::parse(script, &["key", "public_key"])?;
    let pk: [u8; 32] = match (kd.get("key"), kd.get("public_key")) {
        (Some(k), None) => cose_key(&crate::ed25519::hex(k)?)?,
        (None, Some(_)) => kd.hex("public_key")?,
        _ => {
            return Err(WalletRejection::key_data(
                "exactly one of `key` (COSE_Key hex) or `public_key` is required",
            ));
        }
    };
    let derived = cardano::key_hash(&pk);
    if derived != address.payment {
        return Err(WalletRejection::WrongKey {
            expected: cardano::encode(address),
            got: format!("payment key hash {}", hex::encode(derived)),
        });
    }
    let raw = crate::ed25519::hex(crate::ed25519::one(signatures, "Cardano address")?)?;
    let v = match decode(&raw, "COSE_Sign1")? {
        Value::Tag(18, inner) => *inner,
        v => v,
    };
    let Value::Array(parts) = v else {
        return Err(bad("not a COSE_Sign1 array"));
    };
    let [protected, unprotected, payload, signature] = parts.as_slice() else {
        return Err(bad(format!("{} elements, expected 4", parts.len())));
    };
    let protected = protected
        .as_bytes()
        .ok_or_else(|| bad("protected header is not a byte string"))?;
    let Value::Map(headers) = decode(protected, "protected header")? else {
        return Err(bad("protected header is not a map"));
    };
    let alg = headers
        .iter()
        .find(|(k, _)| int(k) == Some(1))
        .and_then(|(_, v)| int(v));
    if alg != Some(-8) {
        return Err(bad("protected alg is not EdDSA (-8)"));
    }
    let signed_address = headers
        .iter()
        .find(|(k, _)| k.as_text() == Some("address"))
        .and_then(|(_, v)| v.as_bytes())
        .ok_or_else(|| bad("protected header names no address"))?;
    if *signed_address != address_bytes(address) {
        return Err(WalletRejection::MessageAddress {
            expected: cardano::encode(address),
            got: format!("protected address {}", hex::encode(signed_address)),
        });
    }
    if let Value::Map(u) = unprotected
        && u.iter()
            .any(|(k, v)| k.as_text() == Some("hashed") && v.as_bool() == Some(true))
    {
        return Err(bad(
            "hashed payloads are not accepted: sign the message itself",
        ));
    }
    let payload = payload
        .as_bytes()
        .ok_or_else(|| bad("payload is detached or not a byte string"))?;
    if payload.as_slice() != message.as_bytes() {
        return Err(WalletRejection::MessageMismatch {
            expected: message.to_owned(),
            got: String::from_utf8_lossy(payload).into_owned(),
        });
    }
    let signature = signature
        .as_bytes()
        .ok_or_else(|| bad("signature is not a byte string"))?;
    crate::ed25519::verify(&pk, &sig_structure(protected, payload), signature)?;
    Ok(Scheme::Cip8)
}

/// The enterprise (`addr1v…`) address of `key` and its key data (a COSE_Key).
pub fn cardano_account(key: &Ed25519Key) -> (String, String) {
    let a = CardanoAddress {
        header: 0x61,
        payment: cardano::key_hash(&key.public()),
        delegation: Vec::new(),
    };
    let cose = encode(&Value::Map(vec![
        (Value::Integer(1.into()), Value::Integer(1.into())),
        (Value::Integer(3.into()), Value::Integer((-8).into())),
        (Value::Integer((-1).into()), Value::Integer(6.into())),
        (
            Value::Integer((-2).into()),
            Value::Bytes(key.public().to_vec()),
        ),
    ]));
    (
        cardano::encode(&a),
        key_data(&[("key", &hex::encode(cose))]),
    )
}

/// A CIP-30 `signData` COSE_Sign1 (hex) for `address`.
pub fn sign_cip8(key: &Ed25519Key, address: &str, message: &str) -> String {
    let a = cardano::parse(address).expect("a Cardano key address");
    let protected = encode(&Value::Map(vec![
        (Value::Integer(1.into()), Value::Integer((-8).into())),
        (
            Value::Text("address".into()),
            Value::Bytes(address_bytes(&a)),
        ),
    ]));
    let sig = key.sign(&sig_structure(&protected, message.as_bytes()));
    hex::encode(encode(&Value::Array(vec![
        Value::Bytes(protected),
        Value::Map(vec![(Value::Text("hashed".into()), Value::Bool(false))]),
        Value::Bytes(message.as_bytes().to_vec()),
        Value::Bytes(sig.to_vec()),
    ])))
}
