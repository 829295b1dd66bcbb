//! Where each user sits in the tree, their nonces, and the padding leaves, all derived from one
//! secret 32-byte round seed so every machine that proves a batch rebuilds the same tree.

use custodia_hash::{Digest, F};
use custodia_primitives::{AccountId, Amount};
use p3_field::PrimeField64;
use p3_maybe_rayon::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::TreeError;
use crate::leaf::{
    Nonce, UID_INPUT_LEN, leaf_hash, leaf_input_at, leaf_input_len, uid_hash, uid_input,
};
use crate::tree::{LiabilityTree, TreeShape};

/// Marks a padding slot in [`Layout::slot_user`].
pub const PADDING: u32 = u32::MAX;

const STREAM_NONCES: u64 = 1;
const STREAM_SLOTS: u64 = 2;
const STREAM_PADDING: u64 = 3;

/// The assignment of users to leaves.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The tree's shape.
    pub shape: TreeShape,
    /// Per user (input order): its nonce.
    pub nonces: Vec<Nonce>,
    /// Per user: its leaf index.
    pub user_slot: Vec<u32>,
    /// Per leaf: the user there, or [`PADDING`].
    pub slot_user: Vec<u32>,
}

impl Layout {
    /// Derives the layout for `num_users` users from the round seed: a fresh nonce per user, and a
    /// uniformly random placement of users among the leaves (padding fills the rest), so a leaf's
    /// position says nothing about the user or the user count.
    pub fn derive(num_users: usize, shape: TreeShape, seed: &[u8; 32]) -> Result<Self, TreeError> {
        let n = shape.num_leaves();
        if num_users > n {
            return Err(TreeError::TooManyUsers {
                users: num_users,
                leaves: n,
            });
        }
        let mut rng = ChaCha20Rng::from_seed(*seed);
        rng.set_stream(STREAM_NONCES);
        let nonces = (0..num_users)
            .map(|_| {
                let mut b = [0u8; 32];
                rng.fill_bytes(&mut b);
                Nonce(b)
            })
            .collect();
        // Fisher–Yates over the leaf indices; the first `num_users` are the users' slots.
        rng.set_stream(STREAM_SLOTS);
        let mut slots: Vec<u32> = (0..n as u64).map(|i| i as u32).collect();
        for i in 0..num_users {
            let j = i + (rng.next_u64() % (n - i) as u64) as usize;
            slots.swap(i, j);
        }
        slots.truncate(num_users);
        let mut slot_user = vec![PADDING; n];
        for (u, &s) in slots.iter().enumerate() {
            slot_user[s as usize] = u as u32;
        }
        Ok(Self {
            shape,
            nonces,
            user_slot: slots,
            slot_user,
        })
    }
}

/// Everything a round's tree is built from and everything it yields.
#[derive(Debug, Clone)]
pub struct BuiltTree {
    /// User placement and nonces.
    pub layout: Layout,
    /// Per leaf: the uid hash (a user's salted id hash, or a random one for padding).
    pub slot_uid: Vec<Digest>,
    /// The tree.
    pub tree: LiabilityTree,
}

/// Builds the tree for `users` with interleaved `balances` (`2 * num_assets` per user); every
/// uid hash absorbs `context` ([`crate::leaf::round_context`] of the round id and asset list).
pub fn build_tree(
    users: &[AccountId],
    balances: &[Amount],
    num_assets: usize,
    shape: TreeShape,
    seed: &[u8; 32],
    context: &Digest,
) -> Result<BuiltTree, TreeError> {
    let width = 2 * num_assets;
    if num_assets == 0 || balances.len() != users.len() * width {
        return Err(TreeError::BalancesShape {
            users: users.len(),
            num_assets,
            values: balances.len(),
        });
    }
    let layout = Layout::derive(users.len(), shape, seed)?;
    // The uid sponges, a chunk at a time through the packed permutation (several users per
    // call): equal to `uid_hash` user by user, ~2.5x cheaper.
    const UID_CHUNK: usize = 1 << 11;
    let uids: Vec<Digest> = users
        .par_chunks(UID_CHUNK)
        .zip(layout.nonces.par_chunks(UID_CHUNK))
        .flat_map_iter(|(ids, nonces)| {
            let inputs: Vec<_> = ids
                .iter()
                .zip(nonces)
                .map(|(id, nonce)| uid_input(id, nonce, context))
                .collect();
            custodia_hash::sponge_many(
                custodia_hash::domain::UID,
                UID_INPUT_LEN as u64,
                inputs.len(),
                UID_INPUT_LEN,
                |i, j| inputs[i][j],
            )
        })
        .collect();
    debug_assert!(
        uids.is_empty() || uids[0] == uid_hash(&users[0], &layout.nonces[0], context),
        "the packed uid sponge is the scalar one"
    );
    let mut rng = ChaCha20Rng::from_seed(*seed);
    rng.set_stream(STREAM_PADDING);
    let slot_uid: Vec<Digest> = layout
        .slot_user
        .iter()
        .map(|&u| {
            if u == PADDING {
                random_digest(&mut rng)
            } else {
                uids[u as usize]
            }
        })
        .collect();
    let zeros = vec![Amount::ZERO; width];
    let slot_balances = |slot: usize| -> &[Amount] {
        match layout.slot_user[slot] {
            PADDING => &zeros,
            u => &balances[u as usize * width..(u as usize + 1) * width],
        }
    };
    let len = leaf_input_len(num_assets);
    const CHUNK: usize = 1 << 11;
    let leaves: Vec<Digest> = (0..shape.num_leaves().div_ceil(CHUNK))
        .into_par_iter()
        .flat_map_iter(|c| {
            let start = c * CHUNK;
            let count = CHUNK.min(shape.num_leaves() - start);
            custodia_hash::leaf_sponge_many(num_assets as u64, count, len, |i, j| {
                leaf_input_at(&slot_uid[start + i], slot_balances(start + i), j)
            })
        })
        .collect();
    debug_assert!(leaves.is_empty() || leaves[0] == leaf_hash(&slot_uid[0], slot_balances(0)));
    let tree = LiabilityTree::from_leaves(shape, leaves)?;
    Ok(BuiltTree {
        layout,
        slot_uid,
        tree,
    })
}

/// A uniformly random digest (each element uniform below p), indistinguishable from a real
/// user's uid hash.
fn random_digest(rng: &mut ChaCha20Rng) -> Digest {
    Digest(core::array::from_fn(|_| {
        loop {
            let v = rng.next_u64();
            if v < F::ORDER_U64 {
                break v;
            }
        }
    }))
}
