//! The signature schemes re-checked here, in pure Rust: secp256k1 public-key recovery (`k256`)
//! over each scheme's message digest, and the address rebuilt from the recovered key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use custodia_chain::coins::{self, Coin, CoinKind};
use custodia_chain::{Address, AddressKind, Chain, Network, evm, keccak256_concat, tron};
use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

/// Recovers the signer of `digest` from `r ‖ s` and a recovery id; high S is refused (every
/// scheme here requires low S, as libsecp256k1 signers produce).
fn recover(rs: &[u8], recid: u8, digest: &[u8; 32]) -> Result<VerifyingKey, String> {
    let sig = Signature::from_slice(rs).map_err(|_| "r or s is not a valid scalar".to_owned())?;
    if sig.normalize_s().is_some() {
        return Err("the signature's s is high (not canonical)".into());
    }
    let id = RecoveryId::from_byte(recid).ok_or_else(|| format!("recovery id {recid}"))?;
    VerifyingKey::recover_from_prehash(digest, &sig, id)
        .map_err(|_| "no public key signed this message with this signature".into())
}

/// A 65-byte `r ‖ s ‖ v` hex signature, `v` ∈ {27, 28, 0, 1}, recovered over `digest`.
fn recover_rsv(sig: &str, digest: &[u8; 32]) -> Result<VerifyingKey, String> {
    let bytes = hex::decode(sig.strip_prefix("0x").unwrap_or(sig))
        .map_err(|e| format!("the signature is not hex: {e}"))?;
    if bytes.len() != 65 {
        return Err(format!(
            "the signature has {} bytes, expected 65",
            bytes.len()
        ));
    }
    let recid = match bytes[64] {
        v @ (0 | 1) => v,
        v @ (27 | 28) => v - 27,
        v => return Err(format!("v = {v}, expected 27, 28, 0 or 1")),
    };
    recover(&bytes[..64], recid, digest)
}

fn account_of(key: &VerifyingKey) -> [u8; 20] {
    let point = key.to_encoded_point(false);
    let xy: &[u8; 64] = point.as_bytes()[1..]
        .try_into()
        .expect("an uncompressed point is 65 bytes");
    evm::account_of_key(xy)
}

fn one(signatures: &[String]) -> Result<&str, String> {
    match signatures {
        [one] => Ok(one),
        [] => Err("no signature".into()),
        many => Err(format!("{} signatures, this scheme takes one", many.len())),
    }
}

/// EIP-191 `personal_sign` by the EVM account `address`; returns its EIP-55 spelling.
pub fn eip191(address: &str, message: &str, signatures: &[String]) -> Result<String, String> {
    let account = evm::parse(address).map_err(|e| format!("not an EVM address: {e}"))?;
    let digest = keccak256_concat(&[
        b"\x19Ethereum Signed Message:\n",
        message.len().to_string().as_bytes(),
        message.as_bytes(),
    ]);
    let got = account_of(&recover_rsv(one(signatures)?, &digest)?);
    if got != account {
        return Err(format!(
            "signed by {}, not by {}",
            evm::eip55(&got),
            evm::eip55(&account)
        ));
    }
    Ok(evm::eip55(&account))
}

/// TIP-191 (`signMessageV2`) by the TRON account `address`; returns its base58check spelling.
pub fn tip191(address: &str, message: &str, signatures: &[String]) -> Result<String, String> {
    let account = tron::parse(address).map_err(|e| format!("not a TRON address: {e}"))?;
    let digest = keccak256_concat(&[
        b"\x19TRON Signed Message:\n",
        message.len().to_string().as_bytes(),
        message.as_bytes(),
    ]);
    let got = account_of(&recover_rsv(one(signatures)?, &digest)?);
    if got != account {
        return Err(format!(
            "signed by {}, not by {}",
            tron::to_base58check(&got),
            tron::to_base58check(&account)
        ));
    }
    Ok(tron::to_base58check(&account))
}

fn varint(n: usize, out: &mut Vec<u8>) {
    // Messages and magics are far below 2^32 bytes.
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

/// Bitcoin's signed-message digest with a coin's magic: `sha256d(varstr(magic) ‖ varstr(msg))`.
pub fn signed_message_hash(magic: &str, message: &str) -> [u8; 32] {
    let mut v = Vec::with_capacity(magic.len() + message.len() + 6);
    varint(magic.len(), &mut v);
    v.extend_from_slice(magic.as_bytes());
    varint(message.len(), &mut v);
    v.extend_from_slice(message.as_bytes());
    Sha256::digest(Sha256::digest(&v)).into()
}

pub(crate) fn hash160(bytes: &[u8]) -> [u8; 20] {
    let mut out = [0u8; 20];
    // RIPEMD-160 is the RustCrypto `digest` 0.11 generation, SHA-256 the 0.10 one.
    out.copy_from_slice(&<Ripemd160 as ripemd::Digest>::digest(Sha256::digest(
        bytes,
    )));
    out
}

/// The single-key address types BIP-137 signs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyHashKind {
    P2pkh,
    /// P2SH wrapping P2WPKH.
    P2shP2wpkh,
    P2wpkh,
}

/// A BIP-137 signature (base64 of header ‖ r ‖ s) over `magic`'s signed message, by the owner of
/// `hash` of `kind`. `nested_ok`: whether a P2SH address may be P2SH-P2WPKH (Bitcoin, Litecoin).
fn bip137(
    kind: KeyHashKind,
    hash: &[u8; 20],
    magic: &str,
    message: &str,
    signatures: &[String],
) -> Result<(), String> {
    let sig = STANDARD
        .decode(one(signatures)?)
        .map_err(|e| format!("the signature is not base64: {e}"))?;
    if sig.len() != 65 {
        return Err(format!(
            "the signature has {} bytes, expected 65 (BIP-137)",
            sig.len()
        ));
    }
    let header = sig[0];
    let compressed = match header {
        27..=30 => false,
        31..=42 => true,
        h => return Err(format!("header {h}, BIP-137 headers are 27-42")),
    };
    // The header announces the address type; 31-34 (compressed P2PKH) is also accepted for the
    // segwit key types, as Electrum and many hardware wallets write it.
    let fits = matches!(
        (header, kind),
        (27..=34, KeyHashKind::P2pkh)
            | (31..=38, KeyHashKind::P2shP2wpkh)
            | (31..=34 | 39..=42, KeyHashKind::P2wpkh)
    );
    if !fits {
        return Err(format!(
            "header {header} does not announce this address's type ({kind:?})"
        ));
    }
    let key = recover(
        &sig[1..],
        (header - 27) & 3,
        &signed_message_hash(magic, message),
    )?;
    let point = key.to_encoded_point(compressed);
    let key_hash = hash160(point.as_bytes());
    let derived = match kind {
        KeyHashKind::P2pkh | KeyHashKind::P2wpkh => key_hash,
        KeyHashKind::P2shP2wpkh => {
            let mut program = vec![0x00, 0x14];
            program.extend_from_slice(&key_hash);
            hash160(&program)
        }
    };
    if &derived != hash {
        return Err("the key that signed does not hash to this address".into());
    }
    Ok(())
}

/// BIP-137 for a Bitcoin address (any network); returns the address's canonical spelling.
pub fn bitcoin_bip137(
    address: &str,
    message: &str,
    signatures: &[String],
) -> Result<String, String> {
    let parsed = [Network::Mainnet, Network::Testnet, Network::Regtest]
        .into_iter()
        .find_map(|n| Address::parse_on(Chain::Bitcoin, n, address).ok())
        .ok_or_else(|| "not a Bitcoin address".to_owned())?;
    let payload = parsed.payload();
    let (kind, hash): (KeyHashKind, &[u8]) = match parsed.kind() {
        AddressKind::P2pkh => (KeyHashKind::P2pkh, payload),
        AddressKind::P2sh => (KeyHashKind::P2shP2wpkh, payload),
        // Segwit payloads are the version byte and the program.
        AddressKind::Segwit(0) if payload.len() == 21 => (KeyHashKind::P2wpkh, &payload[1..]),
        other => return Err(format!("BIP-137 does not sign for {other:?} addresses")),
    };
    let hash: [u8; 20] = hash
        .try_into()
        .map_err(|_| "not a 20-byte hash".to_owned())?;
    bip137(
        kind,
        &hash,
        "Bitcoin Signed Message:\n",
        message,
        signatures,
    )?;
    Ok(parsed.canonical())
}

/// The coin of a Bitcoin-family chain name of the default registry.
pub fn coin_of(chain: &str) -> Option<Coin> {
    Some(match chain {
        "dogecoin" => Coin::Dogecoin,
        "litecoin" => Coin::Litecoin,
        "dash" => Coin::Dash,
        "bitcoincash" => Coin::BitcoinCash,
        _ => return None,
    })
}

/// A coin's signed message (its magic, BIP-137 headers); returns the canonical address.
pub fn coin_signed_message(
    coin: Coin,
    address: &str,
    message: &str,
    signatures: &[String],
) -> Result<String, String> {
    let (kind, hash) =
        coins::parse(coin, address).map_err(|e| format!("not a {} address: {e}", coin.name()))?;
    let k = match kind {
        CoinKind::P2pkh => KeyHashKind::P2pkh,
        CoinKind::P2wpkh => KeyHashKind::P2wpkh,
        CoinKind::P2sh if coin == Coin::Litecoin => KeyHashKind::P2shP2wpkh,
        CoinKind::P2sh => return Err(format!("{} P2SH addresses are not accepted", coin.name())),
    };
    bip137(k, &hash, coin.message_magic(), message, signatures)?;
    Ok(coins::encode(coin, kind, &hash))
}
