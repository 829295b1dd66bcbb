//! Blockchain addresses: per-chain validation, one canonical form, and a compact byte key.

use core::fmt;
use core::hash::{Hash, Hasher};

use bech32::primitives::decode::{SegwitHrpstring, UncheckedHrpstring};
use bech32::{Bech32, Bech32m, Fe32, Hrp};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};
use tiny_keccak::{Hasher as _, Keccak};

use crate::GuardError;
use crate::error::echo;

/// A family of chains that share one address format.
///
/// [`Chain::Evm`] covers every EVM network (Ethereum, BNB Smart Chain, Arbitrum, Polygon, Base,
/// ...): an address means the same key on all of them, so lists are matched across networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Chain {
    /// `0x` + 40 hex digits; EIP-55 mixed-case checksum verified when present.
    Evm,
    /// Bitcoin mainnet: base58check P2PKH (`1…`) / P2SH (`3…`), bech32 v0 and bech32m v1+ (`bc1…`).
    Bitcoin,
    /// TRON: base58check of `0x41` + 20 bytes (`T…`), or the 42-digit hex form `41…`.
    Tron,
    /// Solana: base58 of a 32-byte public key.
    Solana,
}

impl Chain {
    /// Every supported chain family.
    pub const ALL: [Chain; 4] = [Chain::Evm, Chain::Bitcoin, Chain::Tron, Chain::Solana];

    /// The lowercase name used in files, events and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Chain::Evm => "evm",
            Chain::Bitcoin => "bitcoin",
            Chain::Tron => "tron",
            Chain::Solana => "solana",
        }
    }

    /// Reads a chain or network name as lists write it (`evm`, `eth`, `ethereum`, `bsc`, `btc`,
    /// `xbt`, `tron`, `trx`, `sol`, ...), case-insensitively.
    pub fn from_name(name: &str) -> Result<Chain, GuardError> {
        let lower = name.trim().to_ascii_lowercase();
        Ok(match lower.as_str() {
            "evm" | "eth" | "ethereum" | "etc" | "bsc" | "bnb" | "arb" | "arbitrum" | "polygon"
            | "matic" | "base" | "op" | "optimism" | "avax" | "avalanche" | "ftm" | "fantom"
            | "linea" | "zksync" | "blast" | "scroll" | "celo" => Chain::Evm,
            "bitcoin" | "btc" | "xbt" => Chain::Bitcoin,
            "tron" | "trx" => Chain::Tron,
            "solana" | "sol" => Chain::Solana,
            _ => {
                return Err(GuardError::UnsupportedChain { asset: echo(name) });
            }
        })
    }

    /// Maps the asset code of an OFAC "Digital Currency Address - `ASSET`" feature to the chain
    /// family whose format its addresses use. `Ok(None)` means "token on several chains, detect
    /// from the address" (USDT, USDC); an error means the asset's chain is not validated here.
    pub fn from_ofac_asset(asset: &str) -> Result<Option<Chain>, GuardError> {
        match asset.trim().to_ascii_uppercase().as_str() {
            "XBT" | "BTC" => Ok(Some(Chain::Bitcoin)),
            "ETH" | "ETC" | "ARB" | "BSC" => Ok(Some(Chain::Evm)),
            "TRX" => Ok(Some(Chain::Tron)),
            "SOL" => Ok(Some(Chain::Solana)),
            "USDT" | "USDC" => Ok(None),
            _ => Err(GuardError::UnsupportedChain { asset: echo(asset) }),
        }
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of address within its chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKind {
    /// An EVM account (20 bytes).
    EvmAccount,
    /// Bitcoin pay-to-public-key-hash (version byte 0x00, `1…`).
    P2pkh,
    /// Bitcoin pay-to-script-hash (version byte 0x05, `3…`).
    P2sh,
    /// Bitcoin segwit output with this witness version (0: bech32; 1–16: bech32m).
    Segwit(u8),
    /// A TRON account (`0x41` + 20 bytes).
    TronAccount,
    /// A Solana account (32-byte public key).
    SolanaAccount,
}

const TAG_EVM: u8 = 1;
const TAG_P2PKH: u8 = 2;
const TAG_P2SH: u8 = 3;
const TAG_SEGWIT: u8 = 4;
const TAG_TRON: u8 = 5;
const TAG_SOLANA: u8 = 6;

/// Longest payload: witness version byte + a 40-byte witness program.
const MAX_PAYLOAD: usize = 41;

/// A validated address in canonical binary form.
///
/// Two inputs that denote the same address (EVM in any letter case, bech32 in upper or lower
/// case, TRON as base58 or hex) parse to equal values, so equality, hashing and ordering are
/// exact matching. The value is small and `Copy`; [`Address::key_bytes`] is the compact key
/// used in snapshots (`tag, payload length, payload`).
#[derive(Clone, Copy)]
pub struct Address {
    /// `[tag, payload length, payload…, zero padding]`.
    k: [u8; 2 + MAX_PAYLOAD],
}

impl PartialEq for Address {
    fn eq(&self, other: &Self) -> bool {
        self.key_bytes() == other.key_bytes()
    }
}
impl Eq for Address {}

impl Hash for Address {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(self.key_bytes());
    }
}

impl PartialOrd for Address {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Address {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.key_bytes().cmp(other.key_bytes())
    }
}

fn bad(chain: &'static str, input: &str, why: impl Into<String>) -> GuardError {
    GuardError::Address {
        chain,
        input: echo(input),
        why: why.into(),
    }
}

impl Address {
    fn new(tag: u8, payload: &[u8]) -> Address {
        debug_assert!(payload.len() <= MAX_PAYLOAD);
        let mut k = [0u8; 2 + MAX_PAYLOAD];
        k[0] = tag;
        k[1] = payload.len() as u8;
        k[2..2 + payload.len()].copy_from_slice(payload);
        Address { k }
    }

    fn tag(&self) -> u8 {
        self.k[0]
    }

    /// Validates `input` as an address of `chain` (surrounding whitespace is ignored).
    pub fn parse(chain: Chain, input: &str) -> Result<Address, GuardError> {
        let s = input.trim();
        match chain {
            Chain::Evm => parse_evm(s),
            Chain::Bitcoin => parse_bitcoin(s),
            Chain::Tron => parse_tron(s),
            Chain::Solana => parse_solana(s),
        }
    }

    /// Validates `input` as an address of whichever supported chain its shape says: `0x…` is
    /// EVM, `bc1…` Bitcoin segwit, `41` + 40 hex TRON; otherwise base58 decoding to 25 bytes is
    /// Bitcoin (version 0x00 / 0x05) or TRON (0x41), and to 32 bytes Solana.
    pub fn parse_any(input: &str) -> Result<Address, GuardError> {
        let s = input.trim();
        if s.starts_with("0x") || s.starts_with("0X") {
            return parse_evm(s);
        }
        // Bech32 is single-case; a mixed-case string starting `Bc1` is base58 (Solana).
        let single_case = !(s.bytes().any(|b| b.is_ascii_lowercase())
            && s.bytes().any(|b| b.is_ascii_uppercase()));
        if single_case && matches!(s.get(..3), Some("bc1" | "BC1" | "tb1" | "TB1")) {
            return parse_bitcoin(s);
        }
        if s.len() == 42 && s.starts_with("41") && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return parse_tron(s);
        }
        let mut buf = [0u8; 64];
        let n = decode_base58("any", s, &mut buf)?;
        match n {
            25 => match buf[0] {
                0x00 | 0x05 => parse_bitcoin(s),
                0x41 => parse_tron(s),
                v => Err(bad(
                    "any",
                    s,
                    format!(
                        "base58check version byte 0x{v:02x} is not Bitcoin mainnet (0x00, 0x05) or TRON (0x41)"
                    ),
                )),
            },
            32 => parse_solana(s),
            n => Err(bad(
                "any",
                s,
                format!(
                    "not an EVM, Bitcoin, TRON or Solana address (base58 decodes to {n} bytes; expected 25 or 32)"
                ),
            )),
        }
    }

    /// The chain family.
    pub fn chain(&self) -> Chain {
        match self.tag() {
            TAG_EVM => Chain::Evm,
            TAG_P2PKH | TAG_P2SH | TAG_SEGWIT => Chain::Bitcoin,
            TAG_TRON => Chain::Tron,
            _ => Chain::Solana,
        }
    }

    /// The kind of address.
    pub fn kind(&self) -> AddressKind {
        match self.tag() {
            TAG_EVM => AddressKind::EvmAccount,
            TAG_P2PKH => AddressKind::P2pkh,
            TAG_P2SH => AddressKind::P2sh,
            TAG_SEGWIT => AddressKind::Segwit(self.k[2]),
            TAG_TRON => AddressKind::TronAccount,
            _ => AddressKind::SolanaAccount,
        }
    }

    /// The address bytes: EVM 20; P2PKH/P2SH the 20-byte hash; segwit the witness version then
    /// the program; TRON the 20 bytes after `0x41`; Solana the 32-byte key.
    pub fn payload(&self) -> &[u8] {
        &self.k[2..2 + self.k[1] as usize]
    }

    /// The compact key: `[tag, payload length, payload…]` (see the crate docs for the tags).
    pub fn key_bytes(&self) -> &[u8] {
        &self.k[..2 + self.k[1] as usize]
    }

    /// Reads a key written by [`Address::key_bytes`], checking tag and length.
    pub fn from_key_bytes(key: &[u8]) -> Result<Address, GuardError> {
        let err = |why: &str| GuardError::Snapshot {
            why: format!("bad address key {}: {why}", hex::encode(key)),
        };
        let [tag, len, payload @ ..] = key else {
            return Err(err("shorter than 2 bytes"));
        };
        if payload.len() != *len as usize {
            return Err(err("length byte does not match"));
        }
        let ok = match *tag {
            TAG_EVM | TAG_P2PKH | TAG_P2SH | TAG_TRON => payload.len() == 20,
            TAG_SOLANA => payload.len() == 32,
            TAG_SEGWIT => match payload.split_first() {
                Some((0, prog)) => prog.len() == 20 || prog.len() == 32,
                Some((1..=16, prog)) => (2..=40).contains(&prog.len()),
                _ => false,
            },
            _ => false,
        };
        if !ok {
            return Err(err("unknown tag or wrong payload length"));
        }
        Ok(Address::new(*tag, payload))
    }

    /// The canonical text: EVM lowercase `0x…`; Bitcoin base58check or lowercase bech32(m);
    /// TRON base58check `T…`; Solana base58.
    pub fn canonical(&self) -> String {
        match self.tag() {
            TAG_EVM => format!("0x{}", hex::encode(self.payload())),
            TAG_P2PKH => base58check(0x00, self.payload()),
            TAG_P2SH => base58check(0x05, self.payload()),
            TAG_TRON => base58check(0x41, self.payload()),
            TAG_SEGWIT => {
                let (v, prog) = self.payload().split_first().expect("segwit payload");
                let version = Fe32::try_from(*v).expect("witness version ≤ 16");
                bech32::segwit::encode(bech32::hrp::BC, version, prog)
                    .expect("validated segwit program")
            }
            _ => bs58::encode(self.payload()).into_string(),
        }
    }

    /// The EIP-55 mixed-case form of an EVM address (`None` for other chains).
    pub fn checksummed(&self) -> Option<String> {
        (self.tag() == TAG_EVM).then(|| eip55(&hex::encode(self.payload())))
    }

    /// How many leading characters of [`Address::canonical`] every address of this kind shares
    /// (`0x`, `T`, `1`/`3`, `bc1q`/`bc1p`, none for Solana). Look-alike comparisons skip them.
    pub fn fixed_prefix_len(&self) -> usize {
        match self.tag() {
            TAG_EVM => 2,
            TAG_P2PKH | TAG_P2SH | TAG_TRON => 1,
            TAG_SEGWIT => 4,
            _ => 0,
        }
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({}:{})", self.chain(), self.canonical())
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.canonical())
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Address::parse_any(&s).map_err(serde::de::Error::custom)
    }
}

fn keccak256(data: &[u8]) -> [u8; 32] {
    let mut k = Keccak::v256();
    k.update(data);
    let mut out = [0u8; 32];
    k.finalize(&mut out);
    out
}

fn sha256d(data: &[u8]) -> [u8; 32] {
    Sha256::digest(Sha256::digest(data)).into()
}

/// EIP-55: uppercase hex letter `i` iff nibble `i` of keccak256(lowercase hex) is ≥ 8.
fn eip55(lower_hex: &str) -> String {
    let hash = keccak256(lower_hex.as_bytes());
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, c) in lower_hex.chars().enumerate() {
        let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0xf;
        out.push(if nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    out
}

/// Hex digit value, or 0xff.
const fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0xff,
    }
}

fn parse_evm(s: &str) -> Result<Address, GuardError> {
    let Some(body) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) else {
        return Err(bad("evm", s, "expected 0x followed by 40 hex digits"));
    };
    if body.len() != 40 {
        return Err(bad(
            "evm",
            s,
            format!(
                "expected 0x followed by 40 hex digits, got {} characters after 0x",
                body.chars().count()
            ),
        ));
    }
    // One pass: digits to bytes, and which letter cases occur.
    let mut bytes = [0u8; 20];
    let (mut lower, mut upper) = (false, false);
    for (i, pair) in body.as_bytes().chunks_exact(2).enumerate() {
        let (h, l) = (hex_value(pair[0]), hex_value(pair[1]));
        if h == 0xff || l == 0xff {
            let at = 2 * i + usize::from(h != 0xff);
            let c = body[at..].chars().next().unwrap_or('?');
            return Err(bad(
                "evm",
                s,
                format!("non-hex character {c:?} at position {}", at + 2),
            ));
        }
        bytes[i] = h << 4 | l;
        lower |= pair.iter().any(u8::is_ascii_lowercase);
        upper |= pair.iter().any(u8::is_ascii_uppercase);
    }
    if lower && upper && eip55(&hex::encode(bytes))[2..] != *body {
        return Err(bad(
            "evm",
            s,
            "mixed-case address fails its EIP-55 checksum (a typo, or a forged checksum)",
        ));
    }
    Ok(Address::new(TAG_EVM, &bytes))
}

const BASE58_ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Base58 digit value per ASCII byte, or 0xff.
const BASE58_VALUE: [u8; 128] = {
    let mut t = [0xffu8; 128];
    let mut i = 0;
    while i < 58 {
        t[BASE58_ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Why base58 decoding failed.
enum Base58Error {
    Char(char, usize),
    NonAscii(usize),
    TooLong,
}

/// Decodes base58 (Bitcoin alphabet) into `out`, returning the length. Big-number arithmetic on
/// 64-bit limbs, ten digits per step (58^10 < 2^64); each leading `1` is a zero byte.
fn base58_decode(s: &[u8], out: &mut [u8; 64]) -> Result<usize, Base58Error> {
    let zeros = s.iter().take_while(|&&c| c == b'1').count();
    let mut limbs = [0u64; 8]; // little-endian
    for (ci, chunk) in s.chunks(10).enumerate() {
        let (mut mul, mut add) = (1u64, 0u64);
        for (j, &c) in chunk.iter().enumerate() {
            let at = ci * 10 + j;
            if c >= 128 {
                return Err(Base58Error::NonAscii(at));
            }
            let v = BASE58_VALUE[c as usize];
            if v == 0xff {
                return Err(Base58Error::Char(c as char, at));
            }
            add = add * 58 + v as u64;
            mul *= 58;
        }
        let mut carry = add as u128;
        for l in limbs.iter_mut() {
            let t = (*l as u128) * (mul as u128) + carry;
            *l = t as u64;
            carry = t >> 64;
        }
        if carry != 0 {
            return Err(Base58Error::TooLong);
        }
    }
    let mut be = [0u8; 64];
    for (k, l) in limbs.iter().enumerate() {
        be[64 - 8 * (k + 1)..64 - 8 * k].copy_from_slice(&l.to_be_bytes());
    }
    let first = be.iter().position(|&b| b != 0).unwrap_or(64);
    let n = zeros + (64 - first);
    if n > out.len() {
        return Err(Base58Error::TooLong);
    }
    out[..zeros].fill(0);
    out[zeros..n].copy_from_slice(&be[first..]);
    Ok(n)
}

fn decode_base58(chain: &'static str, s: &str, buf: &mut [u8; 64]) -> Result<usize, GuardError> {
    if s.is_empty() {
        return Err(bad(chain, s, "empty"));
    }
    if s.len() > 60 {
        return Err(bad(
            chain,
            s,
            format!("{} characters is too long for an address", s.len()),
        ));
    }
    base58_decode(s.as_bytes(), buf).map_err(|e| match e {
        Base58Error::Char(c, at) => bad(
            chain,
            s,
            format!("character {c:?} at position {at} is not base58"),
        ),
        Base58Error::NonAscii(at) => bad(
            chain,
            s,
            format!("non-ASCII character at byte {at} is not base58"),
        ),
        Base58Error::TooLong => bad(chain, s, "too long for an address"),
    })
}

/// Decodes base58check to `version + 20 bytes`, verifying the double-SHA-256 checksum.
fn decode_base58check(chain: &'static str, s: &str) -> Result<[u8; 21], GuardError> {
    let mut buf = [0u8; 64];
    let n = decode_base58(chain, s, &mut buf)?;
    if n != 25 {
        return Err(bad(
            chain,
            s,
            format!(
                "base58 decodes to {n} bytes; expected 25 (version byte, 20-byte hash, 4-byte checksum)"
            ),
        ));
    }
    let (payload, check) = buf[..25].split_at(21);
    if sha256d(payload)[..4] != *check {
        return Err(bad(
            chain,
            s,
            "base58check checksum mismatch (a typo, or not an address)",
        ));
    }
    Ok(payload.try_into().expect("21 bytes"))
}

fn base58check(version: u8, hash20: &[u8]) -> String {
    let mut v = Vec::with_capacity(25);
    v.push(version);
    v.extend_from_slice(hash20);
    let check = sha256d(&v);
    v.extend_from_slice(&check[..4]);
    bs58::encode(v).into_string()
}

fn parse_bitcoin(s: &str) -> Result<Address, GuardError> {
    let lower3 = s.get(..3).map(str::to_ascii_lowercase);
    match lower3.as_deref() {
        Some("bc1") => parse_segwit(s),
        Some("tb1") => Err(bad(
            "bitcoin",
            s,
            "bech32 prefix `tb` is Bitcoin testnet; only mainnet (`bc`) is accepted",
        )),
        _ => {
            let payload = decode_base58check("bitcoin", s)?;
            match payload[0] {
                0x00 => Ok(Address::new(TAG_P2PKH, &payload[1..])),
                0x05 => Ok(Address::new(TAG_P2SH, &payload[1..])),
                0x6f | 0xc4 => Err(bad(
                    "bitcoin",
                    s,
                    format!(
                        "version byte 0x{:02x} is Bitcoin testnet; only mainnet P2PKH (0x00) and P2SH (0x05) are accepted",
                        payload[0]
                    ),
                )),
                v => Err(bad(
                    "bitcoin",
                    s,
                    format!(
                        "version byte 0x{v:02x} is not Bitcoin mainnet P2PKH (0x00) or P2SH (0x05)"
                    ),
                )),
            }
        }
    }
}

fn parse_segwit(s: &str) -> Result<Address, GuardError> {
    if s.bytes().any(|b| b.is_ascii_lowercase()) && s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(bad(
            "bitcoin",
            s,
            "bech32 must be all lowercase or all uppercase (BIP-173)",
        ));
    }
    match SegwitHrpstring::new(s) {
        Ok(seg) => {
            if seg.hrp() != bech32::hrp::BC {
                return Err(bad(
                    "bitcoin",
                    s,
                    format!(
                        "bech32 prefix `{}` is not Bitcoin mainnet (`bc`)",
                        seg.hrp().to_lowercase()
                    ),
                ));
            }
            let version = seg.witness_version().to_u8();
            let mut payload = Vec::with_capacity(MAX_PAYLOAD);
            payload.push(version);
            payload.extend(seg.byte_iter());
            Ok(Address::new(TAG_SEGWIT, &payload))
        }
        Err(e) => {
            // Say which checksum variant the string has when it is the wrong one for its version.
            if let Ok(u) = UncheckedHrpstring::new(s) {
                let v0 = u.witness_version() == Some(Fe32::Q);
                if !v0 && u.has_valid_checksum::<Bech32>() {
                    let v = u.witness_version().map_or(0, |v| v.to_u8());
                    return Err(bad(
                        "bitcoin",
                        s,
                        format!(
                            "witness version {v} must use the bech32m checksum (BIP-350), this is bech32"
                        ),
                    ));
                }
                if v0 && u.has_valid_checksum::<Bech32m>() {
                    return Err(bad(
                        "bitcoin",
                        s,
                        "witness version 0 must use the bech32 checksum (BIP-173), this is bech32m",
                    ));
                }
                if u.hrp() != Hrp::parse_unchecked("bc") && u.hrp() != Hrp::parse_unchecked("BC") {
                    return Err(bad(
                        "bitcoin",
                        s,
                        format!(
                            "bech32 prefix `{}` is not Bitcoin mainnet (`bc`)",
                            u.hrp().to_lowercase()
                        ),
                    ));
                }
            }
            Err(bad("bitcoin", s, format!("invalid segwit address: {e}")))
        }
    }
}

fn parse_tron(s: &str) -> Result<Address, GuardError> {
    if s.len() == 42 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut bytes = [0u8; 21];
        hex::decode_to_slice(s, &mut bytes).expect("42 hex digits");
        if bytes[0] != 0x41 {
            return Err(bad(
                "tron",
                s,
                format!(
                    "hex form must start with 41 (TRON's prefix byte), got {:02x}",
                    bytes[0]
                ),
            ));
        }
        return Ok(Address::new(TAG_TRON, &bytes[1..]));
    }
    let payload = decode_base58check("tron", s)?;
    if payload[0] != 0x41 {
        return Err(bad(
            "tron",
            s,
            format!(
                "prefix byte 0x{:02x} is not TRON's 0x41 (TRON addresses start with T)",
                payload[0]
            ),
        ));
    }
    Ok(Address::new(TAG_TRON, &payload[1..]))
}

fn parse_solana(s: &str) -> Result<Address, GuardError> {
    let mut buf = [0u8; 64];
    let n = decode_base58("solana", s, &mut buf)?;
    if n != 32 {
        return Err(bad(
            "solana",
            s,
            format!("base58 decodes to {n} bytes; a Solana address is 32"),
        ));
    }
    Ok(Address::new(TAG_SOLANA, &buf[..32]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limb decoder agrees with the `bs58` crate on random inputs, leading zeros included.
    #[test]
    fn base58_decoder_matches_bs58() {
        let mut rng = crate::bench::SplitMix(42);
        for _ in 0..20_000 {
            let len = rng.below(41);
            let mut v = vec![0u8; len];
            rng.fill(&mut v);
            let zeros = rng.below(4).min(len);
            v[..zeros].fill(0);
            let text = bs58::encode(&v).into_string();
            let mut out = [0u8; 64];
            let n = base58_decode(text.as_bytes(), &mut out).ok().unwrap();
            assert_eq!(&out[..n], &v[..], "{text}");
        }
        let mut out = [0u8; 64];
        assert!(matches!(
            base58_decode(b"1O1", &mut out),
            Err(Base58Error::Char('O', 1))
        ));
        assert!(matches!(
            base58_decode("1é".as_bytes(), &mut out),
            Err(Base58Error::NonAscii(1))
        ));
        assert!(matches!(
            base58_decode(&[b'z'; 95], &mut out),
            Err(Base58Error::TooLong)
        ));
    }
}
