//! TON Connect `ton_proof`. A TON account is a wallet contract whose address is the hash of its
//! initial state (code and data, the data holding the public key), so the verifier rebuilds
//! that state for the standard wallet versions (v3r2, v4r2, v5r1) from the public key and checks
//! that it hashes to the address. The proof signs
//! `SHA-256(0xffff ‖ "ton-connect" ‖ SHA-256(message))` with
//! `message = "ton-proof-item-v2/" ‖ workchain (u32 BE) ‖ account hash ‖ len(domain) (u32 LE)
//! ‖ domain ‖ timestamp (u64 LE) ‖ payload`; the payload is the ownership message. Key data:
//! `wallet=v4r2;public_key=<hex>;domain=<domain>;timestamp=<unix seconds>`.
//!
//! The address fixes the *initial* key; the wallet's current state is not read here
//! ([`crate::KeyAuthority::NotChecked`]).

use custodia_chain::ton::TonAddress;
use sha2::{Digest as _, Sha256};

use crate::keydata::{KeyData, key_data};
use crate::sign::Ed25519Key;
use crate::{Scheme, WalletRejection};

/// A standard wallet contract version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalletVersion {
    /// Wallet v3 revision 2.
    V3R2,
    /// Wallet v4 revision 2.
    V4R2,
    /// Wallet v5 revision 1 (W5).
    V5R1,
}

impl WalletVersion {
    /// Parses `v3r2`, `v4r2` or `v5r1`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "v3r2" => Some(Self::V3R2),
            "v4r2" => Some(Self::V4R2),
            "v5r1" => Some(Self::V5R1),
            _ => None,
        }
    }

    /// The name used in key data.
    pub fn name(self) -> &'static str {
        match self {
            Self::V3R2 => "v3r2",
            Self::V4R2 => "v4r2",
            Self::V5R1 => "v5r1",
        }
    }

    /// Representation hash and depth of the contract's code cell (the published code).
    fn code(self) -> ([u8; 32], u16) {
        let (h, d) = match self {
            Self::V3R2 => (
                "84dafa449f98a6987789ba232358072bc0f76dc4524002a5d0918b9a75d2d599",
                0,
            ),
            Self::V4R2 => (
                "feb5ff6820e2ff0d9483e7e0d62c817d846789fb4ae580c878866d959dabd5c0",
                7,
            ),
            Self::V5R1 => (
                "20834b7b72b112147e1b2fb457b84e74d1a30f04f737d4f62a668e9552d2b72f",
                6,
            ),
        };
        let mut out = [0u8; 32];
        hex::decode_to_slice(h, &mut out).expect("constant");
        (out, d)
    }
}

/// Big-endian bit writer for cell data.
struct Bits(Vec<u8>, usize);

impl Bits {
    fn push(&mut self, value: u64, n: usize) {
        for i in (0..n).rev() {
            let bit = (value >> i) & 1 == 1;
            if self.1.is_multiple_of(8) {
                self.0.push(0);
            }
            if bit {
                *self.0.last_mut().expect("pushed") |= 0x80 >> (self.1 % 8);
            }
            self.1 += 1;
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.push(u64::from(x), 8);
        }
    }
}

/// Representation hash of an ordinary cell without references.
fn leaf_cell_hash(mut bits: Bits) -> [u8; 32] {
    let n = bits.1;
    let d2 = (n / 8 + n.div_ceil(8)) as u8;
    if !n.is_multiple_of(8) {
        *bits.0.last_mut().expect("non-empty") |= 0x80 >> (n % 8);
    }
    Sha256::new()
        .chain_update([0u8, d2])
        .chain_update(&bits.0)
        .finalize()
        .into()
}

/// The address hash of a standard wallet of `version` for `public_key` on workchain
/// `workchain`, subwallet 0 (v3r2/v4r2: wallet id 698983191 + workchain; v5r1: the mainnet
/// client context).
pub fn wallet_hash(version: WalletVersion, workchain: i8, public_key: &[u8; 32]) -> [u8; 32] {
    let mut data = Bits(Vec::with_capacity(42), 0);
    match version {
        WalletVersion::V3R2 | WalletVersion::V4R2 => {
            data.push(0, 32); // seqno
            data.push(u64::from(698_983_191u32.wrapping_add(workchain as u32)), 32);
            data.bytes(public_key);
            if version == WalletVersion::V4R2 {
                data.push(0, 1); // no plugins
            }
        }
        WalletVersion::V5R1 => {
            data.push(1, 1); // signature auth allowed
            data.push(0, 32); // seqno
            // Mainnet global id -239 XOR the client context (bit 31, workchain, version 0,
            // subwallet 0).
            let context = (1u32 << 31) | (u32::from(workchain as u8) << 23);
            data.push(u64::from((-239i32 as u32) ^ context), 32);
            data.bytes(public_key);
            data.push(0, 1); // no extensions
        }
    }
    let data_hash = leaf_cell_hash(data);
    let (code_hash, code_depth) = version.code();
    // StateInit: no split depth, not special, code and data present, no library: bits 00110,
    // two references.
    Sha256::new()
        .chain_update([2u8, 1, 0b0011_0100])
        .chain_update(code_depth.to_be_bytes())
        .chain_update(0u16.to_be_bytes())
        .chain_update(code_hash)
        .chain_update(data_hash)
        .finalize()
        .into()
}

/// The digest a `ton_proof` signs.
pub fn ton_proof_digest(
    address: &TonAddress,
    domain: &str,
    timestamp: u64,
    payload: &str,
) -> [u8; 32] {
    let mut m = Vec::with_capacity(100 + domain.len() + payload.len());
    m.extend_from_slice(b"ton-proof-item-v2/");
    m.extend_from_slice(&(address.workchain as i32).to_be_bytes());
    m.extend_from_slice(&address.hash);
    m.extend_from_slice(&(domain.len() as u32).to_le_bytes());
    m.extend_from_slice(domain.as_bytes());
    m.extend_from_slice(&timestamp.to_le_bytes());
    m.extend_from_slice(payload.as_bytes());
    let inner: [u8; 32] = Sha256::digest(&m).into();
    Sha256::new()
        .chain_update([0xff, 0xff])
        .chain_update(b"ton-connect")
        .chain_update(inner)
        .finalize()
        .into()
}

pub(crate) fn verify(
    address: &TonAddress,
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    let kd = KeyData::parse(script, &["wallet", "public_key", "domain", "timestamp"])?;
    let wallet = kd.required("wallet")?;
    let version = WalletVersion::parse(wallet).ok_or_else(|| {
        WalletRejection::key_data(format!("wallet `{wallet}`: expected v3r2, v4r2 or v5r1"))
    })?;
    let pk: [u8; 32] = kd.hex("public_key")?;
    let derived = TonAddress {
        workchain: address.workchain,
        hash: wallet_hash(version, address.workchain, &pk),
    };
    if &derived != address {
        return Err(WalletRejection::WrongKey {
            expected: address.raw(),
            got: format!("{} ({} wallet of the key)", derived.raw(), version.name()),
        });
    }
    let domain = kd.required("domain")?;
    let timestamp: u64 = kd
        .required("timestamp")?
        .parse()
        .map_err(|_| WalletRejection::key_data("timestamp must be unix seconds"))?;
    let sig = crate::ed25519::base64(crate::ed25519::one(signatures, "TON wallet")?)?;
    crate::ed25519::verify(
        &pk,
        &ton_proof_digest(address, domain, timestamp, message),
        &sig,
    )?;
    Ok(Scheme::TonProof)
}

/// The raw address and key data of the `version` wallet of `key` on the basechain.
pub fn ton_wallet(
    key: &Ed25519Key,
    version: WalletVersion,
    domain: &str,
    timestamp: u64,
) -> (String, String) {
    let a = TonAddress {
        workchain: 0,
        hash: wallet_hash(version, 0, &key.public()),
    };
    (
        a.raw(),
        key_data(&[
            ("wallet", version.name()),
            ("public_key", &hex::encode(key.public())),
            ("domain", domain),
            ("timestamp", &timestamp.to_string()),
        ]),
    )
}

/// A `ton_proof` signature (base64) for the raw address `address`.
pub fn sign_ton_proof(
    key: &Ed25519Key,
    address: &str,
    domain: &str,
    timestamp: u64,
    message: &str,
) -> String {
    use base64::Engine as _;
    let a = custodia_chain::ton::parse(address).expect("a TON address");
    base64::engine::general_purpose::STANDARD
        .encode(key.sign(&ton_proof_digest(&a, domain, timestamp, message)))
}
