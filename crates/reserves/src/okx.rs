//! Opt-in compatibility reader for OKX's published proof-of-assets files, so that an auditor can
//! check OKX's own wallet signatures with Custodia. Formats as OKX's verifier implements them
//! (okx/proof-of-reserves, `common/`, commit 2962a89):
//!
//! - CSV columns `coin,Type,Network,Snapshot Height,address,amount,message,signature1,signature2,
//!   redeem script/public key,EOA1,EOA2`; every row signs the fixed message
//!   `I am an OKX address` (not bound to a round or a height: a signature from any earlier audit
//!   verifies again — the report says so);
//! - Bitcoin and its descendants: the coins' signed messages (Custodia's own checks: P2PKH, P2SH
//!   and P2WSH 2-of-3 with a redeem script, BIP-322);
//! - EVM: a personal-message signature over the message's Keccak-256 hash,
//!   `keccak256("\x19Ethereum Signed Message:\n32" ‖ keccak256(message))` (standard EIP-191 is
//!   accepted as well);
//! - TRON: v1 `keccak256("\x19TRON Signed Message:\n32" ‖ keccak256(message))` and v2 (TIP-191);
//! - every other chain: OKX's envelope `varstr("OKX Signed Message:\n") ‖ varstr(message)`, raw
//!   ed25519 for ed25519 chains, `keccak256` + recoverable secp256k1 for the others (aelf: the
//!   address derived from the recovered key), the public key in `redeem script/public key`;
//! - EOS: the same envelope under `SHA-256`, a `SIG_K1_` signature, recovered to the EOS key in
//!   the key column (the account name is not bound to the key, as on [`crate::eos`]).
//!
//! Kept from Custodia, where OKX's verifier is lenient: the address is always derived from the
//! key (OKX's ed25519 check for some chains and its XRP check do not), a 2-of-3 with one
//! signature given twice or with fewer than two distinct signers is rejected, and an address that
//! fails to decode is rejected (OKX's `VerifyUtxoCoinSig` returns success then).

use std::collections::BTreeMap;

use custodia_chain::checksum::blake2b;
use custodia_chain::keccak256;
use serde::Serialize;

use crate::chain::{ChainAddress, ChainKind, ChainSpec};
use crate::evm::{account_of, decode_rsv, prefixed_hash, recover};
use crate::params::VerifyParams;
use crate::{ReservesError, WalletRejection};

/// OKX's fixed ownership message.
pub const OKX_MESSAGE: &str = "I am an OKX address";

/// How one OKX row was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OkxScheme {
    /// Bitcoin-family signed message (incl. multisig and BIP-322).
    SignedMessage,
    /// OKX's EVM form: personal message over the Keccak hash of the message.
    EvmHashedPersonal,
    /// Standard EIP-191.
    Eip191,
    /// TRON v1 (hashed message).
    TronV1,
    /// TRON v2 (TIP-191).
    TronV2,
    /// `OKX Signed Message` envelope, ed25519.
    EnvelopeEd25519,
    /// `OKX Signed Message` envelope, secp256k1 over Keccak-256.
    EnvelopeSecp256k1,
    /// EOS: `OKX Signed Message` envelope, `SIG_K1_` over SHA-256, by the key in the key column.
    EnvelopeEos,
}

/// One row's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OkxRow {
    /// CSV line.
    pub line: usize,
    /// `coin` column.
    pub coin: String,
    /// `Network` column.
    pub network: String,
    /// The Custodia chain it maps to, if any.
    pub chain: Option<String>,
    /// `address` column.
    pub address: String,
    /// `amount` column, as written.
    pub amount: String,
    /// The scheme, when verified.
    pub scheme: Option<OkxScheme>,
    /// Rejection code and reason, when not.
    pub rejected: Option<(String, String)>,
}

/// The outcome of a whole OKX file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OkxReport {
    /// Rows verified.
    pub verified: usize,
    /// Rows rejected.
    pub rejected: usize,
    /// Per coin: (verified, rejected).
    pub by_coin: BTreeMap<String, (usize, usize)>,
    /// Every row.
    pub rows: Vec<OkxRow>,
    /// What this check does not establish.
    pub caveat: &'static str,
}

/// Maps OKX's network names onto Custodia's chains.
pub fn okx_chain(network: &str) -> Option<&'static str> {
    let n = network
        .trim()
        .to_ascii_uppercase()
        .replace([' ', '-', '_'], "");
    Some(match n.as_str() {
        "BTC" | "BITCOIN" => "bitcoin",
        "ETH" | "ERC20" | "ETHEREUM" => "ethereum",
        "ARBITRUM" | "ARBITRUMONE" | "ARB" => "arbitrum",
        "OPTIMISM" | "OP" => "optimism",
        "POLYGON" | "MATIC" | "POL" => "polygon",
        "AVAXC" | "AVALANCHE" | "AVALANCHECCHAIN" => "avalanche",
        "BASE" => "base",
        "LINEA" => "linea",
        "XLAYER" => "xlayer",
        "ETC" | "ETHEREUMCLASSIC" => "ethereumclassic",
        "OKC" | "OKTC" | "OKT" => "okc",
        "TRX" | "TRON" | "TRC20" => "tron",
        "DOGE" | "DOGECOIN" => "dogecoin",
        "LTC" | "LITECOIN" => "litecoin",
        "DASH" => "dash",
        "BCH" | "BITCOINCASH" => "bitcoincash",
        "XRP" | "RIPPLE" => "xrpl",
        "SOL" | "SOLANA" => "solana",
        "TON" => "ton",
        "ADA" | "CARDANO" => "cardano",
        "DOT" | "POLKADOT" => "polkadot",
        "FIL" | "FILECOIN" => "filecoin",
        "APT" | "APTOS" => "aptos",
        "SUI" => "sui",
        "XLM" | "STELLAR" => "stellar",
        "EOS" => "eos",
        "ELF" | "AELF" => "aelf",
        _ => return None,
    })
}

fn varstr(b: &[u8], out: &mut Vec<u8>) {
    match b.len() {
        n @ 0..=0xfc => out.push(n as u8),
        n @ 0xfd..=0xffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        n => {
            out.push(0xfe);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
    }
    out.extend_from_slice(b);
}

/// OKX's envelope for chains without a prefix of their own.
pub fn okx_envelope(message: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(message.len() + 24);
    varstr(b"OKX Signed Message:\n", &mut v);
    varstr(message.as_bytes(), &mut v);
    v
}

/// OKX's EVM digest: a personal message over the message's Keccak-256 hash.
pub fn okx_evm_hash(message: &str) -> [u8; 32] {
    prefixed_hash(
        b"\x19Ethereum Signed Message:\n",
        &keccak256(message.as_bytes()),
    )
}

/// OKX's TRON v1 digest.
pub fn okx_tron_v1_hash(message: &str) -> [u8; 32] {
    prefixed_hash(
        b"\x19TRON Signed Message:\n",
        &keccak256(message.as_bytes()),
    )
}

fn bytes(s: &str) -> Result<Vec<u8>, WalletRejection> {
    let t = s.trim();
    crate::ed25519::hex(t).or_else(|_| crate::ed25519::base64(t))
}

fn recover_account(sig: &str, digest: [u8; 32]) -> Result<[u8; 20], WalletRejection> {
    Ok(account_of(&recover(&decode_rsv(sig)?, digest)?))
}

/// The ed25519 key of a row: the address itself where it is the key, else the key column.
fn ed_key(address: &ChainAddress, key_column: &str) -> Result<[u8; 32], WalletRejection> {
    if let ChainAddress::Solana(k) | ChainAddress::Stellar(k) | ChainAddress::Polkadot(k) = address
    {
        return Ok(*k);
    }
    let b = bytes(key_column)?;
    let b = if b.len() == 33 && b[0] == 0xed {
        b[1..].to_vec()
    } else {
        b
    };
    b.try_into().map_err(|b: Vec<u8>| {
        WalletRejection::key_data(format!(
            "public key column is {} bytes, expected 32",
            b.len()
        ))
    })
}

/// Whether the ed25519 `key` derives `address`.
fn ed_derives(address: &ChainAddress, key: &[u8; 32]) -> bool {
    match address {
        ChainAddress::Solana(k) | ChainAddress::Stellar(k) | ChainAddress::Polkadot(k) => k == key,
        ChainAddress::Aptos(a) => &crate::aptos::authentication_key(key) == a,
        ChainAddress::Sui(a) => &blake2b::<32>(&[&[0], key]) == a,
        ChainAddress::Cardano(a) => custodia_chain::cardano::key_hash(key) == a.payment,
        ChainAddress::Xrpl(a) => {
            let mut pk = [0u8; 33];
            pk[0] = 0xed;
            pk[1..].copy_from_slice(key);
            &crate::xrpl::account_of(&pk) == a
        }
        ChainAddress::Ton(a) => [
            crate::ton::WalletVersion::V4R2,
            crate::ton::WalletVersion::V5R1,
            crate::ton::WalletVersion::V3R2,
        ]
        .into_iter()
        .any(|v| crate::ton::wallet_hash(v, a.workchain, key) == a.hash),
        _ => false,
    }
}

fn check_row(
    chain: &ChainSpec,
    address: &str,
    message: &str,
    sigs: &[String],
    key_column: &str,
) -> Result<OkxScheme, WalletRejection> {
    let a = ChainAddress::parse(chain, address)?;
    let one = || crate::ed25519::one(sigs, "OKX row");
    match (&a, chain.kind) {
        (ChainAddress::Bitcoin(_) | ChainAddress::Coin { .. }, _) => {
            let script = (!key_column.trim().is_empty()).then_some(key_column.trim());
            crate::verify::check_signatures(chain, &a, message, sigs, script)?;
            Ok(OkxScheme::SignedMessage)
        }
        (
            ChainAddress::Evm(acct)
            | ChainAddress::Filecoin(custodia_chain::filecoin::FilAddress::Eth(acct)),
            _,
        ) => {
            let s = one()?;
            if &recover_account(s, okx_evm_hash(message))? == acct {
                return Ok(OkxScheme::EvmHashedPersonal);
            }
            crate::evm::verify_personal_sign(acct, message, s)?;
            Ok(OkxScheme::Eip191)
        }
        (ChainAddress::Tron(acct), _) => {
            let s = one()?;
            if &recover_account(s, okx_tron_v1_hash(message))? == acct {
                return Ok(OkxScheme::TronV1);
            }
            crate::tron::verify_signed_message(acct, message, s)?;
            Ok(OkxScheme::TronV2)
        }
        (ChainAddress::Filecoin(custodia_chain::filecoin::FilAddress::Secp256k1(p)), _) => {
            let sig = decode_rsv(one()?)?;
            let pk = recover(&sig, keccak256(&okx_envelope(message)))?;
            let got = custodia_chain::filecoin::secp256k1_payload(&pk.serialize_uncompressed());
            if &got != p {
                return Err(WalletRejection::WrongKey {
                    expected: a.canonical(),
                    got: custodia_chain::filecoin::encode(
                        &custodia_chain::filecoin::FilAddress::Secp256k1(got),
                    ),
                });
            }
            Ok(OkxScheme::EnvelopeSecp256k1)
        }
        (ChainAddress::Xrpl(acct), _)
            if bytes(key_column).is_ok_and(|k| k.len() == 33 && k[0] != 0xed) =>
        {
            let sig = decode_rsv(one()?)?;
            let pk = recover(&sig, keccak256(&okx_envelope(message)))?;
            let got = crate::xrpl::account_of(&pk.serialize());
            if &got != acct {
                return Err(WalletRejection::WrongKey {
                    expected: a.canonical(),
                    got: custodia_chain::xrpl::encode(&got),
                });
            }
            Ok(OkxScheme::EnvelopeSecp256k1)
        }
        (ChainAddress::Aelf(acct), _) => {
            let sig = decode_rsv(one()?)?;
            let pk = recover(&sig, keccak256(&okx_envelope(message)))?;
            let got = custodia_chain::aelf::key_hash(&pk.serialize_uncompressed());
            if &got != acct {
                return Err(WalletRejection::WrongKey {
                    expected: a.canonical(),
                    got: custodia_chain::aelf::encode(&got),
                });
            }
            Ok(OkxScheme::EnvelopeSecp256k1)
        }
        (ChainAddress::Eos(_), _) => {
            use sha2::{Digest as _, Sha256};
            let named = crate::eos::parse_public_key(key_column.trim())?;
            let got =
                crate::eos::recover_key(one()?, Sha256::digest(okx_envelope(message)).into())?;
            if got != named {
                return Err(WalletRejection::WrongKey {
                    expected: crate::eos::public_key_k1(&named),
                    got: crate::eos::public_key_k1(&got),
                });
            }
            Ok(OkxScheme::EnvelopeEos)
        }
        _ if chain.kind != ChainKind::Evm => {
            let key = ed_key(&a, key_column)?;
            if !ed_derives(&a, &key) {
                return Err(WalletRejection::WrongKey {
                    expected: a.canonical(),
                    got: format!("ed25519 key {}", hex::encode(key)),
                });
            }
            crate::ed25519::verify(&key, &okx_envelope(message), &bytes(one()?)?)?;
            Ok(OkxScheme::EnvelopeEd25519)
        }
        _ => Err(WalletRejection::UnsupportedScheme {
            address_type: chain.name.clone(),
            scheme: "OKX's formats",
        }),
    }
}

/// Checks an OKX proof-of-assets CSV. Rows with an unknown network, another message or a failing
/// signature are rejected with the reason; the file fails as a whole only when it cannot be read
/// as CSV with OKX's columns.
pub fn verify_okx_file(text: &str) -> Result<OkxReport, ReservesError> {
    let params = VerifyParams::new("OKX");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| ReservesError::Csv {
            message: e.to_string(),
        })?
        .clone();
    let col = |name: &'static str| -> Result<usize, ReservesError> {
        header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or(ReservesError::MissingColumn { column: name })
    };
    let (c_coin, c_net, c_addr, c_amount, c_msg, c_s1, c_s2, c_key) = (
        col("coin")?,
        col("Network")?,
        col("address")?,
        col("amount")?,
        col("message")?,
        col("signature1")?,
        col("signature2")?,
        col("redeem script/public key")?,
    );
    let mut rows = Vec::new();
    for record in reader.records() {
        let r = record.map_err(|e| ReservesError::Csv {
            message: e.to_string(),
        })?;
        let line = r.position().map_or(0, |p| p.line() as usize);
        let f = |i: usize| r.get(i).unwrap_or("").to_owned();
        let (coin, network, address, amount, message) =
            (f(c_coin), f(c_net), f(c_addr), f(c_amount), f(c_msg));
        let chain = okx_chain(&network);
        let sigs: Vec<String> = [f(c_s1), f(c_s2)]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        let outcome = match chain.and_then(|c| params.chain(c)) {
            None => Err(WalletRejection::UnknownChain {
                chain: network.clone(),
            }),
            Some(_) if message != OKX_MESSAGE => Err(WalletRejection::MessageMismatch {
                expected: OKX_MESSAGE.into(),
                got: message.clone(),
            }),
            Some(spec) => check_row(spec, &address, &message, &sigs, &f(c_key)),
        };
        rows.push(OkxRow {
            line,
            coin,
            network,
            chain: chain.map(str::to_owned),
            address,
            amount,
            scheme: outcome.as_ref().ok().copied(),
            rejected: outcome.err().map(|e| (e.code().to_owned(), e.to_string())),
        });
    }
    let mut by_coin: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in &rows {
        let e = by_coin.entry(r.coin.clone()).or_default();
        if r.scheme.is_some() {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    Ok(OkxReport {
        verified: rows.iter().filter(|r| r.scheme.is_some()).count(),
        rejected: rows.iter().filter(|r| r.scheme.is_none()).count(),
        by_coin,
        rows,
        caveat: "OKX's message is not bound to a round or a height: these signatures prove control at some time, not at the snapshot; balances are not checked here",
    })
}

fn rsv_hex(key: &crate::sign::SigningKey, digest: [u8; 32]) -> String {
    let (recid, rs) = key.sign_recoverable(digest);
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&rs);
    out[64] = 27 + recid;
    format!("0x{}", hex::encode(out))
}

/// Signs `message` in OKX's EVM form (tests and tooling).
pub fn sign_okx_evm(key: &crate::sign::SigningKey, message: &str) -> String {
    rsv_hex(key, okx_evm_hash(message))
}

/// Signs `message` in OKX's TRON v1 form.
pub fn sign_okx_tron_v1(key: &crate::sign::SigningKey, message: &str) -> String {
    rsv_hex(key, okx_tron_v1_hash(message))
}

/// Signs `message` in OKX's envelope with an ed25519 key (hex).
pub fn sign_okx_envelope_ed25519(key: &crate::sign::Ed25519Key, message: &str) -> String {
    hex::encode(key.sign(&okx_envelope(message)))
}

/// Signs `message` in OKX's envelope with a secp256k1 key over Keccak-256 (`0x` + `r ‖ s ‖ v`).
pub fn sign_okx_envelope_secp256k1(key: &crate::sign::SigningKey, message: &str) -> String {
    rsv_hex(key, keccak256(&okx_envelope(message)))
}

/// Signs `message` in OKX's EOS form (`SIG_K1_` over SHA-256 of the envelope).
pub fn sign_okx_eos(key: &crate::sign::SigningKey, message: &str) -> String {
    use sha2::{Digest as _, Sha256};
    crate::eos::sign_eos_digest(key, Sha256::digest(okx_envelope(message)).into())
}
