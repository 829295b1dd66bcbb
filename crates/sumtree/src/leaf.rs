//! The leaf encoding: what one user's entry in the liabilities tree commits to.
//!
//! ```text
//! context  = sponge(CONTEXT, 15, [len(round), pack7(round ‖ 0^(64-len)), assets_digest(4)])
//! uid_hash = sponge(UID,  20, [len(id), pack7(id ‖ 0^(64-len)), pack7(nonce), context(4)]) 3 permutations
//! leaf     = leaf_sponge(A,   [uid_hash(4), e_0, d_0, e_1, d_1, …, e_{A-1}, d_{A-1}])  ⌈(4+2A)/16⌉
//! ```
//!
//! The leaf sponge is the width-20 Poseidon2 instance at rate 16 with capacity `[LEAF, A, 0, 0]`
//! (`custodia_hash::leaf_sponge`): leaves are most of what a batch proof hashes, and the wider
//! rate needs fewer permutation columns per leaf row.
//!
//! The context makes every leaf bind the round id and the asset list (symbols, order, decimals):
//! an inclusion file whose round id or asset labels were changed no longer hashes to the root.
//!
//! `e_i`/`d_i` are the user's equity and debt of asset `i` in smallest units (each `< 2^62`), in the
//! round's asset order. The nonce is 32 fresh random bytes per user per round, given to the user
//! in their inclusion file: with it they recompute their own leaf; without it nobody can link a
//! leaf to a user id, or the same user's leaves across rounds. Byte-exact details and test vectors:
//! `docs/por-protocol.md`.

use core::fmt;

use custodia_hash::{Digest, F, domain, leaf_sponge, pack_bytes, sponge};
use custodia_primitives::{AccountId, Amount, AssetId, AssetRegistry};
use p3_field::PrimeCharacteristicRing;
use serde::{Deserialize, Serialize};

/// Bytes in a per-user nonce.
pub const NONCE_LEN: usize = 32;
/// Field elements the uid sponge absorbs: 1 length + 10 id + 5 nonce + 4 context.
pub const UID_INPUT_LEN: usize = 20;
/// Field elements the context sponge absorbs: 1 length + 10 round id + 4 asset digest.
pub const CONTEXT_INPUT_LEN: usize = 15;
/// Longest round id (bytes).
pub const MAX_ROUND_ID_LEN: usize = 64;

/// Whether `id` is a valid round id: 1–64 characters of `A-Z a-z 0-9 - _ .` (it names files and
/// URLs, and the binding encodes it with its length, so nothing is truncated or padded away).
pub fn valid_round_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ROUND_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// The round context every uid hash of a round absorbs: the round id (with its length) and the
/// asset-list digest.
///
/// # Panics
/// If `round` is longer than [`MAX_ROUND_ID_LEN`] bytes (check it with [`valid_round_id`]).
pub fn round_context(round: &str, assets_digest: &Digest) -> Digest {
    assert!(round.len() <= MAX_ROUND_ID_LEN, "round id too long");
    let mut padded = [0u8; MAX_ROUND_ID_LEN];
    padded[..round.len()].copy_from_slice(round.as_bytes());
    let mut input = Vec::with_capacity(CONTEXT_INPUT_LEN);
    input.push(F::from_usize(round.len()));
    input.extend(pack_bytes(&padded));
    input.extend(assets_digest.to_field());
    debug_assert_eq!(input.len(), CONTEXT_INPUT_LEN);
    sponge(domain::CONTEXT, CONTEXT_INPUT_LEN as u64, &input)
}

/// A user's per-round salt. Prints as hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nonce(pub [u8; NONCE_LEN]);

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce({})", hex::encode(self.0))
    }
}

impl Serialize for Nonce {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for Nonce {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let mut out = [0u8; NONCE_LEN];
        if s.len() != 2 * NONCE_LEN {
            return Err(serde::de::Error::custom(format!(
                "a nonce is {} hex characters, got {}",
                2 * NONCE_LEN,
                s.len()
            )));
        }
        hex::decode_to_slice(s.as_bytes(), &mut out)
            .map_err(|e| serde::de::Error::custom(format!("nonce is not hex: {e}")))?;
        Ok(Self(out))
    }
}

/// The uid sponge's input for an account id, nonce and round context.
pub fn uid_input(id: &AccountId, nonce: &Nonce, context: &Digest) -> [F; UID_INPUT_LEN] {
    let mut padded = [0u8; AccountId::MAX_LEN];
    let bytes = id.as_str().as_bytes();
    padded[..bytes.len()].copy_from_slice(bytes);
    let mut out = [F::ZERO; UID_INPUT_LEN];
    out[0] = F::from_u64(bytes.len() as u64);
    let id_elems = pack_bytes(&padded);
    let nonce_elems = pack_bytes(&nonce.0);
    let n = 1 + id_elems.len() + nonce_elems.len();
    debug_assert_eq!(n + 4, UID_INPUT_LEN);
    out[1..1 + id_elems.len()].copy_from_slice(&id_elems);
    out[1 + id_elems.len()..n].copy_from_slice(&nonce_elems);
    out[n..].copy_from_slice(&context.to_field());
    out
}

/// `H(user_id, nonce, context)`: the salted, unlinkable identifier a leaf carries, bound to the
/// round ([`round_context`]).
pub fn uid_hash(id: &AccountId, nonce: &Nonce, context: &Digest) -> Digest {
    sponge(
        domain::UID,
        UID_INPUT_LEN as u64,
        &uid_input(id, nonce, context),
    )
}

/// Elements the leaf sponge absorbs for `num_assets` assets.
pub const fn leaf_input_len(num_assets: usize) -> usize {
    4 + 2 * num_assets
}

/// Element `j` of the leaf sponge's input (see the module docs).
#[inline]
pub fn leaf_input_at(uid: &Digest, balances: &[Amount], j: usize) -> F {
    if j < 4 {
        F::new(uid.0[j])
    } else {
        F::from_u64(balances[j - 4].units())
    }
}

/// The leaf hash of one user: `balances` is the interleaved `[e_0, d_0, e_1, d_1, …]`.
///
/// # Panics
/// If `balances` has odd length.
pub fn leaf_hash(uid: &Digest, balances: &[Amount]) -> Digest {
    assert!(
        balances.len().is_multiple_of(2),
        "balances interleave equity and debt"
    );
    let input: Vec<F> = (0..leaf_input_len(balances.len() / 2))
        .map(|j| leaf_input_at(uid, balances, j))
        .collect();
    leaf_sponge((balances.len() / 2) as u64, &input)
}

/// Digest of a round's asset list, a public input of every proof: binds symbols, order and
/// decimals. Each asset contributes 4 elements: its symbol zero-padded to 16 bytes and packed 7
/// bytes per element (3), then its decimals.
pub fn assets_digest(assets: &AssetRegistry) -> Digest {
    assets_digest_of(assets.assets().iter().map(|a| (&a.id, a.decimals)))
}

/// [`assets_digest`] of a list of `(symbol, decimals)` pairs, as a manifest or inclusion file
/// carries it.
pub fn assets_digest_of<'a>(assets: impl ExactSizeIterator<Item = (&'a AssetId, u8)>) -> Digest {
    let count = assets.len();
    let mut input = Vec::with_capacity(4 * count);
    for (id, decimals) in assets {
        let mut sym = [0u8; 16];
        sym[..id.as_str().len()].copy_from_slice(id.as_str().as_bytes());
        input.extend(pack_bytes(&sym));
        input.push(F::from_u8(decimals));
    }
    sponge(domain::ASSETS, count as u64, &input)
}
