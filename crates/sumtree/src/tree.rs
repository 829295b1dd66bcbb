//! The padded, batched binary Merkle tree over leaves.

use custodia_hash::{Digest, compress, compress_pairs};
use p3_maybe_rayon::prelude::*;

use crate::TreeError;

/// Largest supported tree: 2^32 leaves.
pub const MAX_LOG_LEAVES: u32 = 32;

/// The shape of a round's tree: `2^log_leaves` leaves (users plus zero-balance padding), cut into
/// `2^(log_leaves - log_batch)` batches of `2^log_batch` consecutive leaves. Each batch is a
/// complete subtree, proven on its own; the top of the tree joins the batch roots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TreeShape {
    /// log2 of the padded leaf count.
    pub log_leaves: u32,
    /// log2 of the leaves per batch.
    pub log_batch: u32,
}

impl TreeShape {
    /// Checks `log_batch <= log_leaves <= 32`.
    pub fn new(log_leaves: u32, log_batch: u32) -> Result<Self, TreeError> {
        if log_leaves > MAX_LOG_LEAVES {
            return Err(TreeError::TooLarge { log_leaves });
        }
        if log_batch > log_leaves {
            return Err(TreeError::BatchLargerThanTree {
                log_batch,
                log_leaves,
            });
        }
        Ok(Self {
            log_leaves,
            log_batch,
        })
    }

    /// The smallest shape holding `users` leaves with at least `2^min_log_leaves` leaves and
    /// batches of `2^log_batch`. Operators raise `min_log_leaves` to hide the user count.
    pub fn for_users(users: usize, log_batch: u32, min_log_leaves: u32) -> Result<Self, TreeError> {
        let need = users.max(1).next_power_of_two().trailing_zeros();
        Self::new(need.max(min_log_leaves).max(log_batch), log_batch)
    }

    /// Padded leaf count.
    pub const fn num_leaves(self) -> usize {
        1 << self.log_leaves
    }

    /// Leaves per batch.
    pub const fn batch_size(self) -> usize {
        1 << self.log_batch
    }

    /// Number of batches.
    pub const fn num_batches(self) -> usize {
        1 << (self.log_leaves - self.log_batch)
    }

    /// The batch holding a leaf.
    pub const fn batch_of(self, leaf: usize) -> usize {
        leaf >> self.log_batch
    }
}

/// All levels of the tree, leaves first.
#[derive(Debug, Clone)]
pub struct LiabilityTree {
    shape: TreeShape,
    levels: Vec<Vec<Digest>>,
}

impl LiabilityTree {
    /// Builds the tree over exactly `shape.num_leaves()` leaves, in parallel where enabled.
    pub fn from_leaves(shape: TreeShape, leaves: Vec<Digest>) -> Result<Self, TreeError> {
        if leaves.len() != shape.num_leaves() {
            return Err(TreeError::LeafCount {
                expected: shape.num_leaves(),
                got: leaves.len(),
            });
        }
        let mut levels = Vec::with_capacity(shape.log_leaves as usize + 1);
        levels.push(leaves);
        while levels.last().expect("non-empty").len() > 1 {
            let below = levels.last().expect("non-empty");
            // Chunks of 2^12 children keep every core busy and the packed lanes full.
            let above: Vec<Digest> = below
                .par_chunks(1 << 12)
                .flat_map_iter(compress_pairs)
                .collect();
            levels.push(above);
        }
        Ok(Self { shape, levels })
    }

    /// The tree's shape.
    pub fn shape(&self) -> TreeShape {
        self.shape
    }

    /// The root.
    pub fn root(&self) -> Digest {
        self.levels.last().expect("non-empty")[0]
    }

    /// Leaf at an index.
    pub fn leaf(&self, index: usize) -> Option<Digest> {
        self.levels[0].get(index).copied()
    }

    /// All leaves.
    pub fn leaves(&self) -> &[Digest] {
        &self.levels[0]
    }

    /// Roots of the batch subtrees, in order.
    pub fn batch_roots(&self) -> &[Digest] {
        &self.levels[self.shape.log_batch as usize]
    }

    /// [`LiabilityTree::path`] without allocating; the index must be in range.
    pub fn path_iter(&self, index: usize) -> impl Iterator<Item = Digest> + '_ {
        self.levels[..self.levels.len() - 1]
            .iter()
            .enumerate()
            .map(move |(level, nodes)| nodes[(index >> level) ^ 1])
    }

    /// Sibling hashes from a leaf up to the root (`log_leaves` of them).
    pub fn path(&self, index: usize) -> Result<Vec<Digest>, TreeError> {
        if index >= self.shape.num_leaves() {
            return Err(TreeError::LeafIndex {
                index: index as u64,
                num_leaves: self.shape.num_leaves() as u64,
            });
        }
        Ok(self.levels[..self.levels.len() - 1]
            .iter()
            .enumerate()
            .map(|(level, nodes)| nodes[(index >> level) ^ 1])
            .collect())
    }
}

/// Folds a leaf with its siblings (bottom-up) into the root it implies. Bit `i` of `index` says
/// whether the node at level `i` is a right child.
pub fn root_from_path(leaf: Digest, index: u64, siblings: &[Digest]) -> Digest {
    siblings
        .iter()
        .enumerate()
        .fold(leaf, |node, (level, sib)| {
            if (index >> level) & 1 == 0 {
                compress(&node, sib)
            } else {
                compress(sib, &node)
            }
        })
}
