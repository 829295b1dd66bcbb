#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use core::fmt;
use std::sync::OnceLock;

use p3_field::{Field, PackedValue, PrimeCharacteristicRing, PrimeField64};
pub use p3_goldilocks::{
    GOLDILOCKS_POSEIDON2_HALF_FULL_ROUNDS as HALF_FULL_ROUNDS,
    GOLDILOCKS_POSEIDON2_PARTIAL_ROUNDS_12 as PARTIAL_ROUNDS,
    GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_FINAL as RC_12_EXTERNAL_FINAL,
    GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_INITIAL as RC_12_EXTERNAL_INITIAL,
    GOLDILOCKS_POSEIDON2_RC_12_INTERNAL as RC_12_INTERNAL, GenericPoseidon2LinearLayersGoldilocks,
    Goldilocks,
};
use p3_goldilocks::{Poseidon2Goldilocks, default_goldilocks_poseidon2_12};
use p3_poseidon2::ExternalLayerConstants;
use p3_poseidon2_air::RoundConstants;
use p3_symmetric::Permutation;
pub use rc20::{RC_20_EXTERNAL_FINAL, RC_20_EXTERNAL_INITIAL, RC_20_INTERNAL};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The field every hash input and output lives in.
pub type F = Goldilocks;
/// The permutation type.
pub type Perm = Poseidon2Goldilocks<WIDTH>;

/// Permutation width in field elements.
pub const WIDTH: usize = 12;
/// Sponge rate: elements absorbed per permutation.
pub const RATE: usize = 8;
/// Sponge capacity: `WIDTH - RATE`.
pub const CAPACITY: usize = 4;
/// Width of the leaf sponge's permutation. Leaves absorb `4 + 2A` elements, the bulk of what a
/// batch proof hashes. The AIR pays per permutation 15 columns per state element plus a fixed
/// 48 ([`HALF_FULL_ROUNDS`] full rounds of two registers per lane, the partial rounds, four kept
/// lanes), so the cost per absorbed element falls as the rate grows: 24.0 columns at width 16
/// (rate 12), 21.75 at width 20 (rate 16), the widest Goldilocks instance Plonky3 implements.
pub const LEAF_WIDTH: usize = 20;
/// Leaf sponge rate: elements absorbed per width-20 permutation.
pub const LEAF_RATE: usize = 16;
/// The width-20 permutation type of the leaf sponge.
pub type LeafPerm = Poseidon2Goldilocks<LEAF_WIDTH>;
const _: () = assert!(LEAF_WIDTH - LEAF_RATE == CAPACITY);
/// Elements in a [`Digest`].
pub const DIGEST_ELEMS: usize = 4;
/// S-box exponent of the Goldilocks instance.
pub const SBOX_DEGREE: u64 = 7;
/// S-box registers the AIR uses for degree 7 (keeps the constraint degree at 3).
pub const SBOX_REGISTERS: usize = 1;

/// Domain tags, written into the first capacity element. Each is 8 ASCII bytes read big-endian,
/// so every tag is below 2^63 < p and readable in a hex dump.
pub mod domain {
    /// Leaf of the liabilities tree.
    pub const LEAF: u64 = u64::from_be_bytes(*b"CUS1LEAF");
    /// Internal node of the liabilities tree.
    pub const NODE: u64 = u64::from_be_bytes(*b"CUS1NODE");
    /// Salted user-id hash.
    pub const UID: u64 = u64::from_be_bytes(*b"CUS1UID_");
    /// Digest of a round's asset list.
    pub const ASSETS: u64 = u64::from_be_bytes(*b"CUS1ASET");
    /// A round's binding digest (what ties every batch proof to one round).
    pub const ROUND: u64 = u64::from_be_bytes(*b"CUS1ROND");
    /// A round's context (round id and asset list) that every uid hash absorbs, so a leaf binds
    /// the round and the meaning of its balance positions.
    pub const CONTEXT: u64 = u64::from_be_bytes(*b"CUS2CTX_");
    /// Digest of a round's committed prices (the USD strings and the integers the proofs use).
    pub const PRICES: u64 = u64::from_be_bytes(*b"CUS2PRIC");
    /// A commitment to a round's running per-asset totals at one batch boundary.
    pub const CHAIN: u64 = u64::from_be_bytes(*b"CUS2CHAN");
}

/// The shared permutation instance.
pub fn permutation() -> &'static Perm {
    static PERM: OnceLock<Perm> = OnceLock::new();
    PERM.get_or_init(default_goldilocks_poseidon2_12)
}

/// The width-20 instance of the leaf sponge: Plonky3's width-20 Goldilocks linear layers with
/// the Grain-derived constants [`RC_20_EXTERNAL_INITIAL`], [`RC_20_INTERNAL`] and
/// [`RC_20_EXTERNAL_FINAL`] (R_F = 8, R_P = 22, as at widths 12 and 16).
pub fn leaf_permutation() -> &'static LeafPerm {
    static PERM: OnceLock<LeafPerm> = OnceLock::new();
    PERM.get_or_init(|| {
        let external = ExternalLayerConstants::new(
            RC_20_EXTERNAL_INITIAL.to_vec(),
            RC_20_EXTERNAL_FINAL.to_vec(),
        );
        // On aarch64 with NEON, `Poseidon2Goldilocks` is Plonky3's fused type, whose constructor
        // borrows the constants; every other target's takes them by value.
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        let perm = LeafPerm::new(&external, &RC_20_INTERNAL);
        #[cfg(not(all(target_arch = "aarch64", target_feature = "neon")))]
        let perm = LeafPerm::new(external, RC_20_INTERNAL.to_vec());
        perm
    })
}

/// The round constants of [`permutation`] in the layout `p3-poseidon2-air` takes, so an AIR proves
/// this exact instance.
pub fn air_round_constants() -> RoundConstants<F, WIDTH, HALF_FULL_ROUNDS, PARTIAL_ROUNDS> {
    RoundConstants::new(RC_12_EXTERNAL_INITIAL, RC_12_INTERNAL, RC_12_EXTERNAL_FINAL)
}

/// The round constants of [`leaf_permutation`] for `p3-poseidon2-air`.
pub fn leaf_air_round_constants() -> RoundConstants<F, LEAF_WIDTH, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>
{
    RoundConstants::new(RC_20_EXTERNAL_INITIAL, RC_20_INTERNAL, RC_20_EXTERNAL_FINAL)
}

/// Applies the permutation in place.
pub fn permute(state: &mut [F; WIDTH]) {
    permutation().permute_mut(state);
}

/// A 256-bit hash output: four canonical Goldilocks elements.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Digest(pub [u64; DIGEST_ELEMS]);

/// Why bytes or text are not a [`Digest`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DigestError {
    /// Not 64 hex characters.
    #[error("a digest is 64 hex characters, got {0}")]
    Length(usize),
    /// Not hexadecimal.
    #[error("a digest must be hexadecimal: {0}")]
    Hex(String),
    /// An element is not a canonical field element (`>= p`).
    #[error("digest element {index} is not below the Goldilocks modulus")]
    NonCanonical {
        /// Position of the element (0..4).
        index: usize,
    },
}

impl Digest {
    /// The digest as field elements.
    pub fn to_field(self) -> [F; DIGEST_ELEMS] {
        self.0.map(F::new)
    }

    /// Builds a digest from field elements (stored canonically).
    pub fn from_field(f: [F; DIGEST_ELEMS]) -> Self {
        Self(f.map(|x| x.as_canonical_u64()))
    }

    /// 32 bytes: each element as 8 little-endian bytes, in order.
    pub fn to_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (chunk, v) in out.chunks_exact_mut(8).zip(self.0) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Parses 32 bytes, rejecting non-canonical elements.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, DigestError> {
        let mut out = [0u64; DIGEST_ELEMS];
        for (index, (o, chunk)) in out.iter_mut().zip(bytes.chunks_exact(8)).enumerate() {
            let v = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            if v >= F::ORDER_U64 {
                return Err(DigestError::NonCanonical { index });
            }
            *o = v;
        }
        Ok(Self(out))
    }

    /// Lower-case hex of [`Digest::to_bytes`].
    pub fn to_hex(self) -> String {
        hex::encode(self.to_bytes())
    }

    /// Parses [`Digest::to_hex`] output (an optional `0x` prefix is accepted; upper case too).
    pub fn from_hex(s: &str) -> Result<Self, DigestError> {
        let s = s.strip_prefix("0x").unwrap_or(s);
        if s.len() != 64 {
            return Err(DigestError::Length(s.len()));
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s, &mut bytes).map_err(|e| DigestError::Hex(e.to_string()))?;
        Self::from_bytes(&bytes)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// The initial sponge state for a domain: zero rate, capacity `[tag, param, 0, 0]`.
pub fn sponge_iv(tag: u64, param: u64) -> [F; WIDTH] {
    let mut state = [F::ZERO; WIDTH];
    state[RATE] = F::new(tag);
    state[RATE + 1] = F::new(param);
    state
}

/// Overwrite-mode sponge over a fixed-length input.
///
/// The state starts as [`sponge_iv`]`(tag, param)`. Each block of [`RATE`] inputs overwrites the
/// rate part and the permutation runs; the last block is zero-padded. The digest is the first
/// four elements of the final state. An empty input still runs one permutation.
///
/// # Security
/// There is no length padding: callers must use inputs whose length is fixed by `(tag, param)`,
/// as every Custodia domain does. Leaves hash with [`leaf_sponge`] (width 20) instead.
pub fn sponge(tag: u64, param: u64, input: &[F]) -> Digest {
    sponge_with::<WIDTH, RATE, _>(permutation(), sponge_iv(tag, param), input)
}

/// The leaf sponge's initial state: zero rate, capacity `[LEAF, num_assets, 0, 0]`.
pub fn leaf_sponge_iv(num_assets: u64) -> [F; LEAF_WIDTH] {
    let mut state = [F::ZERO; LEAF_WIDTH];
    state[LEAF_RATE] = F::new(domain::LEAF);
    state[LEAF_RATE + 1] = F::new(num_assets);
    state
}

/// The leaf sponge: [`sponge`]'s overwrite mode over the width-20 permutation with rate
/// [`LEAF_RATE`], from [`leaf_sponge_iv`]`(num_assets)`. The input length is fixed by the asset
/// count (`4 + 2A`), so, as for [`sponge`], there is no length padding.
pub fn leaf_sponge(num_assets: u64, input: &[F]) -> Digest {
    sponge_with::<LEAF_WIDTH, LEAF_RATE, _>(leaf_permutation(), leaf_sponge_iv(num_assets), input)
}

fn sponge_with<const W: usize, const R: usize, P: Permutation<[F; W]>>(
    perm: &P,
    mut state: [F; W],
    input: &[F],
) -> Digest {
    let mut blocks = input.chunks(R);
    let first = blocks.next().unwrap_or(&[]);
    for block in core::iter::once(first).chain(blocks) {
        state[..block.len()].copy_from_slice(block);
        state[block.len()..R].fill(F::ZERO);
        perm.permute_mut(&mut state);
    }
    Digest::from_field(state[..DIGEST_ELEMS].try_into().expect("digest prefix"))
}

/// Number of permutations [`sponge`] runs for an input of `len` elements.
pub const fn sponge_permutations(len: usize) -> usize {
    if len == 0 { 1 } else { len.div_ceil(RATE) }
}

/// Number of permutations [`leaf_sponge`] runs for an input of `len` elements.
pub const fn leaf_sponge_permutations(len: usize) -> usize {
    if len == 0 { 1 } else { len.div_ceil(LEAF_RATE) }
}

/// The 2-to-1 compression of tree nodes: `P(left || right || [NODE, 0, 0, 0])[0..4]`.
pub fn compress(left: &Digest, right: &Digest) -> Digest {
    let mut state = compress_input(left, right);
    permute(&mut state);
    Digest::from_field(state[..DIGEST_ELEMS].try_into().expect("digest prefix"))
}

/// The permutation input [`compress`] uses (for trace generation).
pub fn compress_input(left: &Digest, right: &Digest) -> [F; WIDTH] {
    let mut state = [F::ZERO; WIDTH];
    state[..DIGEST_ELEMS].copy_from_slice(&left.to_field());
    state[DIGEST_ELEMS..2 * DIGEST_ELEMS].copy_from_slice(&right.to_field());
    state[RATE] = F::new(domain::NODE);
    state
}

/// The SIMD-packed field type the permutation vectorises over (`F` itself without AVX2).
pub type Packed = <F as Field>::Packing;

/// [`sponge`] over `count` inputs of `len` elements each, where `input(i, j)` is element `j` of
/// input `i`. Runs the packed permutation on [`PackedValue::WIDTH`] inputs at a time; equal, item
/// for item, to calling [`sponge`] on each input.
pub fn sponge_many(
    tag: u64,
    param: u64,
    count: usize,
    len: usize,
    input: impl Fn(usize, usize) -> F,
) -> Vec<Digest> {
    sponge_many_with::<WIDTH, RATE, _>(permutation(), sponge_iv(tag, param), count, len, input)
}

/// [`leaf_sponge`] over `count` inputs of `len` elements each, packed as [`sponge_many`].
pub fn leaf_sponge_many(
    num_assets: u64,
    count: usize,
    len: usize,
    input: impl Fn(usize, usize) -> F,
) -> Vec<Digest> {
    sponge_many_with::<LEAF_WIDTH, LEAF_RATE, _>(
        leaf_permutation(),
        leaf_sponge_iv(num_assets),
        count,
        len,
        input,
    )
}

fn sponge_many_with<const W: usize, const R: usize, P: Permutation<[Packed; W]>>(
    perm: &P,
    iv: [F; W],
    count: usize,
    len: usize,
    input: impl Fn(usize, usize) -> F,
) -> Vec<Digest> {
    let lanes = Packed::WIDTH;
    let mut out = Vec::with_capacity(count);
    let iv = iv.map(Packed::from);
    let blocks = if len == 0 { 1 } else { len.div_ceil(R) };
    for first in (0..count).step_by(lanes) {
        let mut state = iv;
        for block in 0..blocks {
            for (j, cell) in state[..R].iter_mut().enumerate() {
                let idx = block * R + j;
                *cell = Packed::from_fn(|lane| {
                    let item = first + lane;
                    if item < count && idx < len {
                        input(item, idx)
                    } else {
                        F::ZERO
                    }
                });
            }
            perm.permute_mut(&mut state);
        }
        for lane in 0..lanes.min(count - first) {
            out.push(Digest::from_field(core::array::from_fn(|k| {
                state[k].as_slice()[lane]
            })));
        }
    }
    out
}

/// Compresses consecutive pairs: `out[i] = compress(children[2i], children[2i+1])`, packed.
///
/// # Panics
/// If `children` has odd length.
pub fn compress_pairs(children: &[Digest]) -> Vec<Digest> {
    assert!(
        children.len().is_multiple_of(2),
        "compress_pairs needs an even number of children"
    );
    let lanes = Packed::WIDTH;
    let count = children.len() / 2;
    let mut out = Vec::with_capacity(count);
    let perm = permutation();
    for first in (0..count).step_by(lanes) {
        let mut state: [Packed; WIDTH] = core::array::from_fn(|j| {
            Packed::from_fn(|lane| {
                let item = (first + lane).min(count - 1);
                compress_input(&children[2 * item], &children[2 * item + 1])[j]
            })
        });
        perm.permute_mut(&mut state);
        for lane in 0..lanes.min(count - first) {
            out.push(Digest::from_field(core::array::from_fn(|k| {
                state[k].as_slice()[lane]
            })));
        }
    }
    out
}

/// Packs bytes into field elements, 7 bytes per element, little-endian, the last chunk
/// zero-extended. Every element is below 2^56, so the packing is injective for a fixed length.
pub fn pack_bytes(bytes: &[u8]) -> Vec<F> {
    bytes
        .chunks(7)
        .map(|c| {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            F::new(u64::from_le_bytes(b))
        })
        .collect()
}

pub mod grain;
mod rc20;

#[cfg(test)]
mod tests;
