//! Dogecoin, Litecoin, Dash and Bitcoin Cash signed messages: Bitcoin's BIP-137 compact
//! signature (header byte, `r`, `s`; base64) over
//! `SHA-256d(varstr(magic) ‖ varstr(message))`, each coin with its own magic
//! ([`Coin::message_magic`]; Bitcoin Cash kept Bitcoin's). The key is recovered and the address
//! derived from it: P2PKH (headers 27–34), and for Litecoin P2SH-P2WPKH (35–38) and P2WPKH
//! (39–42, or 31–34 as Electrum writes them).

use bitcoin::hashes::{Hash, hash160, sha256d};
use bitcoin::secp256k1::PublicKey;
use custodia_chain::coins::{self, Coin, CoinKind};

use crate::evm::{compact_recoverable, recover};
use crate::sign::SigningKey;
use crate::{Scheme, WalletRejection};

fn varint(n: usize, out: &mut Vec<u8>) {
    match n {
        0..=0xfc => out.push(n as u8),
        0xfd..=0xffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        _ => {
            out.push(0xfe);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
    }
}

/// The digest a coin's signed message signs.
pub fn signed_message_hash(coin: Coin, message: &str) -> [u8; 32] {
    let magic = coin.message_magic().as_bytes();
    let mut v = Vec::with_capacity(magic.len() + message.len() + 6);
    varint(magic.len(), &mut v);
    v.extend_from_slice(magic);
    varint(message.len(), &mut v);
    v.extend_from_slice(message.as_bytes());
    sha256d::Hash::hash(&v).to_byte_array()
}

fn key_hash(pk: &PublicKey, compressed: bool) -> [u8; 20] {
    let bytes: Vec<u8> = if compressed {
        pk.serialize().to_vec()
    } else {
        pk.serialize_uncompressed().to_vec()
    };
    hash160::Hash::hash(&bytes).to_byte_array()
}

fn nested_hash(pk: &PublicKey) -> [u8; 20] {
    let mut program = vec![0x00, 0x14];
    program.extend_from_slice(&key_hash(pk, true));
    hash160::Hash::hash(&program).to_byte_array()
}

/// Verifies a signed message of `coin` for the address `(kind, hash)`.
pub(crate) fn verify(
    coin: Coin,
    kind: CoinKind,
    hash: &[u8; 20],
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    let address_type = format!("{} {kind:?}", coin.name());
    if script.is_some() {
        return Err(WalletRejection::UnexpectedScript { address_type });
    }
    let sig = crate::ed25519::base64(crate::ed25519::one(signatures, &address_type)?)?;
    if sig.len() != 65 {
        return Err(WalletRejection::SignatureLength {
            expected: 65,
            got: sig.len(),
        });
    }
    let header = sig[0];
    let (header_type, compressed): (&'static str, bool) = match header {
        27..=30 => ("P2PKH (uncompressed key)", false),
        31..=34 => ("P2PKH (compressed key)", true),
        35..=38 => ("P2SH-P2WPKH", true),
        39..=42 => ("P2WPKH", true),
        _ => {
            return Err(WalletRejection::BadRecoveryId {
                value: header,
                accepted: "signed-message headers are 27-42",
            });
        }
    };
    let ok = match (header, kind) {
        (27..=34, CoinKind::P2pkh) => true,
        (31..=38, CoinKind::P2sh) => coin == Coin::Litecoin,
        (31..=34 | 39..=42, CoinKind::P2wpkh) => true,
        _ => false,
    };
    if !ok {
        return Err(WalletRejection::HeaderAddressType {
            header,
            header_type,
            address_type,
        });
    }
    let rec = compact_recoverable(&sig[1..], (header - 27) & 3)?;
    let pk = recover(&rec, signed_message_hash(coin, message))?;
    let derived = match kind {
        CoinKind::P2pkh | CoinKind::P2wpkh => key_hash(&pk, compressed),
        CoinKind::P2sh => nested_hash(&pk),
    };
    if &derived != hash {
        return Err(WalletRejection::WrongKey {
            expected: coins::encode(coin, kind, hash),
            got: coins::encode(coin, kind, &derived),
        });
    }
    Ok(Scheme::CoinSignedMessage)
}

/// The address of `key` (compressed) of `kind` on `coin` (P2SH means P2SH-P2WPKH, Litecoin).
pub fn coin_address(key: &SigningKey, coin: Coin, kind: CoinKind) -> String {
    let pk = key.public_key();
    let hash = match kind {
        CoinKind::P2pkh | CoinKind::P2wpkh => key_hash(&pk, true),
        CoinKind::P2sh => nested_hash(&pk),
    };
    coins::encode(coin, kind, &hash)
}

/// A signed message of `coin` (base64 compact signature; header for a compressed key of
/// `kind`).
pub fn sign_coin_message(key: &SigningKey, coin: Coin, kind: CoinKind, message: &str) -> String {
    use base64::Engine as _;
    let (recid, rs) = key.sign_recoverable(signed_message_hash(coin, message));
    let base = match kind {
        CoinKind::P2pkh => 31,
        CoinKind::P2sh => 35,
        CoinKind::P2wpkh => 39,
    };
    let mut out = [0u8; 65];
    out[0] = base + recid;
    out[1..].copy_from_slice(&rs);
    base64::engine::general_purpose::STANDARD.encode(out)
}
