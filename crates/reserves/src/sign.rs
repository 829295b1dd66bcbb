//! Signing ownership messages, for every scheme the verifier accepts: the demo generator, the
//! tests and an exchange's own tooling use these. All signing is done by libsecp256k1
//! (RFC 6979 deterministic ECDSA, BIP-340 Schnorr without auxiliary randomness), so a key and a
//! message always give the same signature.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bitcoin::hashes::Hash;
use bitcoin::key::{Keypair, TapTweak};
use bitcoin::script::Builder;
use bitcoin::secp256k1::{Message, PublicKey as SecpPublicKey, SecretKey};
use bitcoin::sign_message::signed_msg_hash;
use bitcoin::{
    Address, CompressedPublicKey, EcdsaSighashType, Network, PrivateKey, PublicKey, Script,
    ScriptBuf, TapSighashType, Witness,
};

use crate::{ReservesError, btc, evm, secp, tron};

/// A secp256k1 secret key. Its `Debug` never prints the key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(SecretKey);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

impl SigningKey {
    /// A key from 32 bytes (rejected if zero or not below the group order).
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, ReservesError> {
        SecretKey::from_slice(&bytes)
            .map(Self)
            .map_err(|e| ReservesError::params(format!("invalid secret key: {e}")))
    }

    /// A key from a WIF string (test vectors).
    pub fn from_wif(wif: &str) -> Result<Self, ReservesError> {
        PrivateKey::from_wif(wif)
            .map(|k| Self(k.inner))
            .map_err(|e| ReservesError::params(format!("invalid WIF: {e}")))
    }

    /// A fresh key drawn from `rng` (seeded in demos and tests).
    pub fn generate<R: rand::Rng + ?Sized>(rng: &mut R) -> Self {
        loop {
            let mut b = [0u8; 32];
            rng.fill_bytes(&mut b);
            if let Ok(k) = Self::from_bytes(b) {
                return k;
            }
        }
    }

    /// The public key.
    pub fn public_key(&self) -> SecpPublicKey {
        self.0.public_key(secp())
    }

    /// The Bitcoin public key, compressed or not.
    pub fn bitcoin_key(&self, compressed: bool) -> PublicKey {
        PublicKey {
            compressed,
            inner: self.public_key(),
        }
    }

    /// A low-S ECDSA signature of a 32-byte digest (RFC 6979).
    pub(crate) fn sign_digest(&self, digest: [u8; 32]) -> bitcoin::secp256k1::ecdsa::Signature {
        secp().sign_ecdsa(&Message::from_digest(digest), &self.0)
    }

    pub(crate) fn sign_recoverable(&self, digest: [u8; 32]) -> (u8, [u8; 64]) {
        let sig = secp().sign_ecdsa_recoverable(&Message::from_digest(digest), &self.0);
        let (id, rs) = sig.serialize_compact();
        (
            u8::try_from(id.to_i32()).expect("recovery ids are 0..=3"),
            rs,
        )
    }
}

/// Single-key Bitcoin address types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BtcAddressKind {
    /// P2PKH with the uncompressed key.
    P2pkhUncompressed,
    /// P2PKH with the compressed key.
    P2pkh,
    /// P2SH-wrapped P2WPKH.
    P2shP2wpkh,
    /// Native P2WPKH.
    P2wpkh,
    /// Key-path P2TR (BIP-86 style: no script tree).
    P2tr,
}

/// The address of `key` of a kind on `network`.
pub fn btc_address(key: &SigningKey, kind: BtcAddressKind, network: Network) -> Address {
    let compressed = CompressedPublicKey(key.public_key());
    match kind {
        BtcAddressKind::P2pkhUncompressed => Address::p2pkh(key.bitcoin_key(false), network),
        BtcAddressKind::P2pkh => Address::p2pkh(compressed, network),
        BtcAddressKind::P2shP2wpkh => Address::p2shwpkh(&compressed, network),
        BtcAddressKind::P2wpkh => Address::p2wpkh(&compressed, network),
        BtcAddressKind::P2tr => {
            let (xonly, _) = key.public_key().x_only_public_key();
            Address::p2tr(secp(), xonly, None, network)
        }
    }
}

/// A BIP-137 signature (base64 of header ‖ r ‖ s) for an address kind; the header is 27/31/35/39
/// plus the recovery id. P2TR has no BIP-137 form: use [`sign_bip322_p2tr`].
///
/// # Panics
/// If `kind` is [`BtcAddressKind::P2tr`].
pub fn sign_bip137(key: &SigningKey, message: &str, kind: BtcAddressKind) -> String {
    let base = match kind {
        BtcAddressKind::P2pkhUncompressed => 27,
        BtcAddressKind::P2pkh => 31,
        BtcAddressKind::P2shP2wpkh => 35,
        BtcAddressKind::P2wpkh => 39,
        BtcAddressKind::P2tr => panic!("P2TR has no BIP-137 signature"),
    };
    sign_bip137_with_header(key, message, base)
}

/// A BIP-137-style compact signature with an explicit header base (27, 31, 35 or 39).
pub fn sign_bip137_with_header(key: &SigningKey, message: &str, header_base: u8) -> String {
    let (recid, rs) = key.sign_recoverable(signed_msg_hash(message).to_byte_array());
    let mut out = [0u8; 65];
    out[0] = header_base + recid;
    out[1..].copy_from_slice(&rs);
    STANDARD.encode(out)
}

fn encode_witness(w: &Witness) -> String {
    STANDARD.encode(bitcoin::consensus::serialize(w))
}

fn ecdsa_der_all(key: &SigningKey, digest: [u8; 32]) -> Vec<u8> {
    let sig = secp().sign_ecdsa(&Message::from_digest(digest), &key.0);
    bitcoin::ecdsa::Signature {
        signature: sig,
        sighash_type: EcdsaSighashType::All,
    }
    .to_vec()
}

/// A BIP-322 simple signature for the P2WPKH (or, with `nested`, P2SH-P2WPKH) address of `key`.
pub fn sign_bip322_p2wpkh(
    key: &SigningKey,
    message: &str,
    nested: bool,
    network: Network,
) -> String {
    let compressed = CompressedPublicKey(key.public_key());
    let program = ScriptBuf::new_p2wpkh(&compressed.wpubkey_hash());
    let address = if nested {
        Address::p2shwpkh(&compressed, network)
    } else {
        Address::p2wpkh(&compressed, network)
    };
    let digest = btc::bip322_p2wpkh_sighash(&address.script_pubkey(), &program, message.as_bytes());
    let mut w = Witness::new();
    w.push(ecdsa_der_all(key, digest));
    w.push(compressed.to_bytes());
    encode_witness(&w)
}

/// A BIP-322 simple signature for the key-path P2TR address of `key`, signed with the tweaked
/// key. `sighash_all` appends an explicit SIGHASH_ALL byte (65-byte signature); otherwise
/// SIGHASH_DEFAULT (64 bytes).
pub fn sign_bip322_p2tr(
    key: &SigningKey,
    message: &str,
    sighash_all: bool,
    network: Network,
) -> String {
    let address = btc_address(key, BtcAddressKind::P2tr, network);
    let sighash_type = if sighash_all {
        TapSighashType::All
    } else {
        TapSighashType::Default
    };
    let digest =
        btc::bip322_p2tr_sighash(&address.script_pubkey(), message.as_bytes(), sighash_type);
    let keypair = Keypair::from_secret_key(secp(), &key.0);
    let tweaked = keypair.tap_tweak(secp(), None).to_keypair();
    let sig = secp().sign_schnorr_no_aux_rand(&Message::from_digest(digest), &tweaked);
    let sig = bitcoin::taproot::Signature {
        signature: sig,
        sighash_type,
    };
    let mut w = Witness::new();
    w.push(sig.to_vec());
    encode_witness(&w)
}

/// The standard `OP_m <keys> OP_n OP_CHECKMULTISIG` script (keys compressed, in the given order).
///
/// # Panics
/// Unless `1 <= m <= keys.len() <= 16`.
pub fn multisig_script(m: usize, keys: &[SecpPublicKey]) -> ScriptBuf {
    assert!(
        m >= 1 && m <= keys.len() && keys.len() <= 16,
        "bad multisig shape"
    );
    let num = |n: usize| i64::try_from(n).expect("n <= 16");
    let mut b = Builder::new().push_int(num(m));
    for k in keys {
        b = b.push_slice(k.serialize());
    }
    b.push_int(num(keys.len()))
        .push_opcode(bitcoin::opcodes::all::OP_CHECKMULTISIG)
        .into_script()
}

/// Multisig address kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultisigKind {
    /// Legacy P2SH with the multisig script as redeem script.
    P2sh,
    /// Native P2WSH.
    P2wsh,
    /// P2SH-wrapped P2WSH.
    P2shP2wsh,
}

/// The address of a multisig script.
pub fn multisig_address(script: &Script, kind: MultisigKind, network: Network) -> Address {
    match kind {
        MultisigKind::P2sh => Address::p2sh(script, network).expect("a multisig script fits P2SH"),
        MultisigKind::P2wsh => Address::p2wsh(script, network),
        MultisigKind::P2shP2wsh => Address::p2shwsh(script, network),
    }
}

/// A BIP-322 simple signature for a P2WSH or P2SH-P2WSH multisig: `signers` must be `m` keys of
/// the script, in script order.
pub fn sign_bip322_multisig(
    signers: &[&SigningKey],
    witness_script: &Script,
    address: &Address,
    message: &str,
) -> String {
    let digest =
        btc::bip322_p2wsh_sighash(&address.script_pubkey(), witness_script, message.as_bytes());
    let mut w = Witness::new();
    w.push([]);
    for k in signers {
        w.push(ecdsa_der_all(k, digest));
    }
    w.push(witness_script.as_bytes());
    encode_witness(&w)
}

/// An EIP-191 `personal_sign` signature: `0x` ‖ hex(r ‖ s ‖ v), `v` = 27 or 28.
pub fn sign_eip191(key: &SigningKey, message: &str) -> String {
    rsv(key, evm::eip191_hash(message.as_bytes()))
}

/// A TIP-191 signature (TronWeb `signMessageV2`): `0x` ‖ hex(r ‖ s ‖ v), `v` = 27 or 28.
pub fn sign_tip191(key: &SigningKey, message: &str) -> String {
    rsv(key, tron::tip191_hash(message.as_bytes()))
}

fn rsv(key: &SigningKey, digest: [u8; 32]) -> String {
    let (recid, rs) = key.sign_recoverable(digest);
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&rs);
    out[64] = 27 + recid;
    format!("0x{}", hex::encode(out))
}

/// The EIP-55 address of `key`.
pub fn evm_address(key: &SigningKey) -> String {
    custodia_chain::evm::eip55(&evm::account_of(&key.public_key()))
}

/// The base58check TRON address of `key`.
pub fn tron_address(key: &SigningKey) -> String {
    custodia_chain::tron::to_base58check(&evm::account_of(&key.public_key()))
}

/// An ed25519 secret key (Solana, TON, Cardano, XRPL, Aptos, Sui, Stellar, Polkadot ed25519
/// accounts). Its `Debug` never prints the key.
#[derive(Clone)]
pub struct Ed25519Key(ed25519_dalek::SigningKey);

impl fmt::Debug for Ed25519Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ed25519Key(<redacted>)")
    }
}

impl Ed25519Key {
    /// A key from its 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// A fresh key drawn from `rng`.
    pub fn generate<R: rand::Rng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        Self::from_seed(seed)
    }

    /// The 32-byte public key.
    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// An ed25519 signature (deterministic, RFC 8032).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer as _;
        self.0.sign(message).to_bytes()
    }
}

/// An sr25519 key (Polkadot's default account type). Its `Debug` never prints the key.
#[derive(Clone)]
pub struct Sr25519Key(schnorrkel::Keypair);

impl fmt::Debug for Sr25519Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sr25519Key(<redacted>)")
    }
}

/// A seeded stream for schnorrkel's signing nonce, so that the demo is reproducible. The
/// nonce also commits to the secret key and the message (schnorrkel's transcript), so a fixed
/// stream does not repeat nonces across messages.
struct NonceStream([u8; 32], u64);

impl rand_core_06::RngCore for NonceStream {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        use sha2::Digest as _;
        for chunk in dest.chunks_mut(32) {
            self.1 += 1;
            let h = sha2::Sha256::new()
                .chain_update(self.0)
                .chain_update(self.1.to_le_bytes())
                .finalize();
            chunk.copy_from_slice(&h[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core_06::CryptoRng for NonceStream {}

impl Sr25519Key {
    /// A key from a 32-byte mini secret, expanded as polkadot-js and Substrate do
    /// (`ExpansionMode::Ed25519`).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let mini = schnorrkel::MiniSecretKey::from_bytes(&seed).expect("32 bytes");
        Self(mini.expand_to_keypair(schnorrkel::ExpansionMode::Ed25519))
    }

    /// A fresh key drawn from `rng`.
    pub fn generate<R: rand::Rng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        Self::from_seed(seed)
    }

    /// The 32-byte public key (the account).
    pub fn public(&self) -> [u8; 32] {
        self.0.public.to_bytes()
    }

    /// An sr25519 signature in the `substrate` signing context; `nonce_seed` feeds the nonce
    /// stream (see [`Sr25519Key`]).
    pub fn sign(&self, message: &[u8], nonce_seed: [u8; 32]) -> [u8; 64] {
        let t = schnorrkel::signing_context(crate::polkadot::SIGNING_CONTEXT).bytes(message);
        self.0
            .sign(schnorrkel::context::attach_rng(
                t,
                NonceStream(nonce_seed, 0),
            ))
            .to_bytes()
    }
}

pub use crate::aptos::{aptos_account, sign_aip62};
pub use crate::cardano::{cardano_account, sign_cip8};
pub use crate::filecoin::{filecoin_f1_address, filecoin_f4_address, sign_frc0102};
pub use crate::polkadot::{polkadot_address, sign_polkadot_bytes};
pub use crate::solana::{sign_solana_offchain, sign_solana_raw, solana_address};
pub use crate::stellar::{sign_sep53, stellar_address};
pub use crate::sui::{sign_sui_personal_message, sui_address};
pub use crate::ton::{sign_ton_proof, ton_wallet};
pub use crate::utxo::{coin_address, sign_coin_message};
pub use crate::xrpl::{
    sign_xrpl_ed25519, sign_xrpl_secp256k1, xrpl_ed25519_account, xrpl_secp256k1_account,
};
