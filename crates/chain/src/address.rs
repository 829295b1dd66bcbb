//! [`Address`]: a validated address in one canonical binary form, and its compact key.

use core::fmt;
use core::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{AddressReason, Chain, ChainError, Network, base58, bitcoin, evm, solana, tron};

/// What kind of address within its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKind {
    /// An EVM account (20 bytes).
    EvmAccount,
    /// Bitcoin pay-to-public-key-hash (`1…` on mainnet).
    P2pkh,
    /// Bitcoin pay-to-script-hash (`3…` on mainnet).
    P2sh,
    /// Bitcoin segwit output with this witness version (0: bech32; 1–16: bech32m).
    Segwit(u8),
    /// A TRON account (`0x41` + 20 bytes).
    TronAccount,
    /// A Solana account (32-byte public key).
    SolanaAccount,
}

impl AddressKind {
    /// The family this kind belongs to.
    pub fn chain(self) -> Chain {
        match self {
            Self::EvmAccount => Chain::Evm,
            Self::P2pkh | Self::P2sh | Self::Segwit(_) => Chain::Bitcoin,
            Self::TronAccount => Chain::Tron,
            Self::SolanaAccount => Chain::Solana,
        }
    }
}

// Tags of the compact key. They are stored (guard snapshots, database keys): never renumber.
pub(crate) const TAG_EVM: u8 = 1;
pub(crate) const TAG_P2PKH: u8 = 2;
pub(crate) const TAG_P2SH: u8 = 3;
pub(crate) const TAG_SEGWIT: u8 = 4;
pub(crate) const TAG_TRON: u8 = 5;
pub(crate) const TAG_SOLANA: u8 = 6;

/// The top two bits of a tag carry the network of formats that encode one; mainnet (and every
/// format without a network) is 0, so mainnet keys are the plain family tags.
const NETWORK_SHIFT: u32 = 6;
const FAMILY_MASK: u8 = (1 << NETWORK_SHIFT) - 1;

/// Longest payload: witness version byte + a 40-byte witness program.
const MAX_PAYLOAD: usize = 41;

/// A validated address in canonical binary form.
///
/// Two inputs that denote the same address (EVM in any letter case, bech32 in upper or lower
/// case, TRON as base58 or hex) parse to equal values, so equality, hashing and ordering are
/// exact matching. The value is small and `Copy`; [`Address::key_bytes`] is the compact key
/// stored in snapshots and databases.
///
/// # Adding a chain family
/// 1. A variant of [`Chain`] (name, display name, the names [`Chain::from_name`] maps to it).
/// 2. A module with its parser (returning [`AddressReason`]s) and its encoder.
/// 3. One or more [`AddressKind`]s with new tags (never reuse a number), and one arm for each in
///    [`Address::parse_on`], [`Address::canonical`], [`Address::from_key_bytes`] and, if its
///    shape is recognisable, [`Address::parse_any`].
/// 4. Test vectors from the format's specification, each with a negative twin.
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

fn network_bits(n: Network) -> u8 {
    match n {
        Network::Mainnet => 0,
        Network::Testnet => 1,
        Network::Regtest => 2,
    }
}

impl Address {
    /// Builds an address from a family tag, the network the text encodes and the payload.
    /// Base58 Bitcoin addresses cannot tell regtest from the test networks: they are recorded
    /// as [`Network::Testnet`], as their text says.
    pub(crate) fn from_raw(tag: u8, network: Network, payload: &[u8]) -> Address {
        debug_assert!(payload.len() <= MAX_PAYLOAD);
        let network = match (tag, network) {
            (TAG_P2PKH | TAG_P2SH, Network::Regtest) => Network::Testnet,
            (TAG_P2PKH | TAG_P2SH | TAG_SEGWIT, n) => n,
            _ => Network::Mainnet,
        };
        let mut k = [0u8; 2 + MAX_PAYLOAD];
        k[0] = tag | network_bits(network) << NETWORK_SHIFT;
        k[1] = payload.len() as u8;
        k[2..2 + payload.len()].copy_from_slice(payload);
        Address { k }
    }

    fn family_tag(&self) -> u8 {
        self.k[0] & FAMILY_MASK
    }

    fn encoded_network(&self) -> Network {
        match self.k[0] >> NETWORK_SHIFT {
            0 => Network::Mainnet,
            1 => Network::Testnet,
            _ => Network::Regtest,
        }
    }

    /// An EVM account.
    pub fn evm(account: [u8; 20]) -> Address {
        Address::from_raw(TAG_EVM, Network::Mainnet, &account)
    }

    /// A TRON account (the 20 bytes after `0x41`).
    pub fn tron(account: [u8; 20]) -> Address {
        Address::from_raw(TAG_TRON, Network::Mainnet, &account)
    }

    /// A Solana account.
    pub fn solana(key: [u8; 32]) -> Address {
        Address::from_raw(TAG_SOLANA, Network::Mainnet, &key)
    }

    /// A Bitcoin pay-to-public-key-hash address.
    pub fn p2pkh(network: Network, hash: [u8; 20]) -> Address {
        Address::from_raw(TAG_P2PKH, network, &hash)
    }

    /// A Bitcoin pay-to-script-hash address.
    pub fn p2sh(network: Network, hash: [u8; 20]) -> Address {
        Address::from_raw(TAG_P2SH, network, &hash)
    }

    /// A Bitcoin segwit output; rejects version/length pairs BIP-141 does not define.
    pub fn segwit(network: Network, version: u8, program: &[u8]) -> Result<Address, ChainError> {
        if !bitcoin::valid_program(version, program.len()) {
            return Err(ChainError::Address {
                chain: Some(Chain::Bitcoin),
                reason: AddressReason::WitnessProgram {
                    version,
                    len: program.len(),
                },
            });
        }
        let mut payload = [0u8; MAX_PAYLOAD];
        payload[0] = version;
        payload[1..=program.len()].copy_from_slice(program);
        Ok(Address::from_raw(
            TAG_SEGWIT,
            network,
            &payload[..=program.len()],
        ))
    }

    /// Validates `input` as a mainnet address of `chain`. The input is taken as is: callers
    /// that accept surrounding whitespace trim it first.
    pub fn parse(chain: Chain, input: &str) -> Result<Address, ChainError> {
        Address::parse_on(chain, Network::Mainnet, input)
    }

    /// Validates `input` as an address of `chain` on `network`. Families whose format does not
    /// encode a network (EVM, TRON, Solana) parse the same on every network.
    pub fn parse_on(chain: Chain, network: Network, input: &str) -> Result<Address, ChainError> {
        let s = input;
        let wrap = |reason| ChainError::Address {
            chain: Some(chain),
            reason,
        };
        match chain {
            Chain::Evm => evm::parse(s).map(Address::evm),
            Chain::Bitcoin => bitcoin::parse(s, network),
            Chain::Tron => tron::parse(s).map(Address::tron),
            Chain::Solana => solana::parse(s).map(Address::solana),
        }
        .map_err(wrap)
    }

    /// Validates `input` as a mainnet address of whichever family its shape says: `0x…` is
    /// EVM, `bc1…` Bitcoin segwit, `41` + 40 hex TRON; otherwise base58 decoding to 25 bytes is
    /// Bitcoin (version 0x00 / 0x05) or TRON (0x41), and to 32 bytes Solana.
    pub fn parse_any(input: &str) -> Result<Address, ChainError> {
        let s = input;
        if s.starts_with("0x") || s.starts_with("0X") {
            return Address::parse(Chain::Evm, s);
        }
        // Bech32 is single-case; a mixed-case string starting `Bc1` is base58 (Solana).
        let single_case = !(s.bytes().any(|b| b.is_ascii_lowercase())
            && s.bytes().any(|b| b.is_ascii_uppercase()));
        if single_case && matches!(s.get(..3), Some("bc1" | "BC1" | "tb1" | "TB1")) {
            return Address::parse(Chain::Bitcoin, s);
        }
        if s.len() == 42 && s.starts_with("41") && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Address::parse(Chain::Tron, s);
        }
        let any = |reason| ChainError::Address {
            chain: None,
            reason,
        };
        let mut buf = [0u8; 64];
        let n = base58::decode(s, &mut buf).map_err(any)?;
        match n {
            25 => match buf[0] {
                0x00 | 0x05 => Address::parse(Chain::Bitcoin, s),
                tron::PREFIX => Address::parse(Chain::Tron, s),
                version => Err(any(AddressReason::AnyVersion { version })),
            },
            32 => Address::parse(Chain::Solana, s),
            got => Err(any(AddressReason::AnyLength { got })),
        }
    }

    /// The family.
    pub fn chain(&self) -> Chain {
        self.kind().chain()
    }

    /// The kind of address.
    pub fn kind(&self) -> AddressKind {
        match self.family_tag() {
            TAG_EVM => AddressKind::EvmAccount,
            TAG_P2PKH => AddressKind::P2pkh,
            TAG_P2SH => AddressKind::P2sh,
            TAG_SEGWIT => AddressKind::Segwit(self.k[2]),
            TAG_TRON => AddressKind::TronAccount,
            _ => AddressKind::SolanaAccount,
        }
    }

    /// The network the text encodes, or `None` for formats that encode none (EVM, TRON,
    /// Solana). Base58 Bitcoin addresses of regtest report [`Network::Testnet`]: they share its
    /// version bytes.
    pub fn network(&self) -> Option<Network> {
        (self.chain() == Chain::Bitcoin).then(|| self.encoded_network())
    }

    /// The address bytes: EVM 20; P2PKH/P2SH the 20-byte hash; segwit the witness version then
    /// the program; TRON the 20 bytes after `0x41`; Solana the 32-byte key.
    pub fn payload(&self) -> &[u8] {
        &self.k[2..2 + self.k[1] as usize]
    }

    /// The compact key: `[tag, payload length, payload…]`. Tags: 1 EVM, 2 P2PKH, 3 P2SH,
    /// 4 segwit, 5 TRON, 6 Solana; Bitcoin addresses of a test network add 0x40 (testnet) or
    /// 0x80 (regtest).
    pub fn key_bytes(&self) -> &[u8] {
        &self.k[..2 + self.k[1] as usize]
    }

    /// Reads a key written by [`Address::key_bytes`], checking tag, network and length.
    pub fn from_key_bytes(key: &[u8]) -> Result<Address, ChainError> {
        let err = |why: &'static str| ChainError::AddressKey {
            key: hex::encode(key),
            why,
        };
        let [tag, len, payload @ ..] = key else {
            return Err(err("shorter than 2 bytes"));
        };
        if payload.len() != *len as usize {
            return Err(err("length byte does not match"));
        }
        let (family, net) = (tag & FAMILY_MASK, tag >> NETWORK_SHIFT);
        let ok = match family {
            TAG_EVM | TAG_TRON => net == 0 && payload.len() == 20,
            TAG_SOLANA => net == 0 && payload.len() == 32,
            TAG_P2PKH | TAG_P2SH => net <= 1 && payload.len() == 20,
            TAG_SEGWIT => {
                net <= 2
                    && payload
                        .split_first()
                        .is_some_and(|(v, prog)| bitcoin::valid_program(*v, prog.len()))
            }
            _ => false,
        };
        if !ok {
            return Err(err("unknown tag or wrong payload length"));
        }
        Ok(Address {
            k: {
                let mut k = [0u8; 2 + MAX_PAYLOAD];
                k[..key.len()].copy_from_slice(key);
                k
            },
        })
    }

    /// The canonical text: EVM lowercase `0x…`; Bitcoin base58check or lowercase bech32(m);
    /// TRON base58check `T…`; Solana base58.
    pub fn canonical(&self) -> String {
        let payload = self.payload();
        match self.family_tag() {
            TAG_EVM => format!("0x{}", hex::encode(payload)),
            tag @ (TAG_P2PKH | TAG_P2SH) => {
                bitcoin::encode_base58(tag, self.encoded_network(), payload)
            }
            TAG_TRON => tron::to_base58check(payload.try_into().expect("20 bytes")),
            TAG_SEGWIT => {
                let (v, prog) = payload.split_first().expect("segwit payload");
                bitcoin::encode_segwit(self.encoded_network(), *v, prog)
            }
            _ => base58::encode(payload),
        }
    }

    /// The EIP-55 mixed-case form of an EVM address (`None` for other families).
    pub fn checksummed(&self) -> Option<String> {
        (self.family_tag() == TAG_EVM)
            .then(|| evm::eip55(self.payload().try_into().expect("20 bytes")))
    }

    /// How many leading characters of [`Address::canonical`] every address of this kind shares
    /// (`0x`, `T`, `1`/`3`, `bc1q`/`bc1p`, none for Solana). Look-alike comparisons skip them.
    pub fn fixed_prefix_len(&self) -> usize {
        match self.family_tag() {
            TAG_EVM => 2,
            TAG_P2PKH | TAG_P2SH | TAG_TRON => 1,
            // The prefix, the separator `1` and the witness version character.
            TAG_SEGWIT => self.encoded_network().bitcoin().hrp.len() + 2,
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

/// Reads the canonical text of a mainnet address ([`Address::parse_any`]).
impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Address::parse_any(&s).map_err(serde::de::Error::custom)
    }
}
