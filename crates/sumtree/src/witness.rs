//! The private input of one batch proof: every leaf's uid hash and balances, in leaf order.
//!
//! One file per batch (`private/batch-NNNNN.wit` in a round folder) so a prover machine needs only
//! its own batch. Binary, little-endian:
//!
//! ```text
//! magic "CUSWIT01" | num_assets u32 | log_batch u32 | batch u64 |
//! per leaf: uid 4×u64 | e_0 d_0 … e_{A-1} d_{A-1} as u64
//! ```

use custodia_hash::Digest;
use custodia_primitives::Amount;
use thiserror::Error;

use crate::layout::{BuiltTree, PADDING};

const MAGIC: &[u8; 8] = b"CUSWIT01";
const HEADER: usize = 8 + 4 + 4 + 8;

/// Leaves of one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchWitness {
    /// Assets per leaf.
    pub num_assets: usize,
    /// log2 of the leaves in the batch.
    pub log_batch: u32,
    /// Batch index in the round.
    pub batch: u64,
    /// Per leaf: uid hash.
    pub uids: Vec<Digest>,
    /// Per leaf: `2 * num_assets` interleaved balances.
    pub balances: Vec<Amount>,
}

/// Why a witness file is unreadable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WitnessError {
    /// Wrong magic or truncated header.
    #[error("not a Custodia batch witness (bad magic or header)")]
    Header,
    /// Sizes disagree with the header.
    #[error("witness holds {got} bytes, its header implies {expected}")]
    Length {
        /// Implied size.
        expected: usize,
        /// Actual size.
        got: usize,
    },
    /// Absurd header values.
    #[error("witness header out of range: {0}")]
    Range(&'static str),
    /// A value is not canonical.
    #[error("leaf {leaf}: {what}")]
    Value {
        /// Leaf within the batch.
        leaf: usize,
        /// What is wrong.
        what: &'static str,
    },
}

impl BatchWitness {
    /// Extracts batch `b` of a built tree.
    pub fn from_tree(built: &BuiltTree, balances: &[Amount], num_assets: usize, b: usize) -> Self {
        let shape = built.tree.shape();
        let width = 2 * num_assets;
        let range = b * shape.batch_size()..(b + 1) * shape.batch_size();
        let mut vals = Vec::with_capacity(shape.batch_size() * width);
        for slot in range.clone() {
            match built.layout.slot_user[slot] {
                PADDING => vals.extend(std::iter::repeat_n(Amount::ZERO, width)),
                u => {
                    vals.extend_from_slice(&balances[u as usize * width..(u as usize + 1) * width])
                }
            }
        }
        Self {
            num_assets,
            log_batch: shape.log_batch,
            batch: b as u64,
            uids: built.slot_uid[range].to_vec(),
            balances: vals,
        }
    }

    /// Encodes to the file format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + self.uids.len() * (32 + 16 * self.num_assets));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.num_assets as u32).to_le_bytes());
        out.extend_from_slice(&self.log_batch.to_le_bytes());
        out.extend_from_slice(&self.batch.to_le_bytes());
        let width = 2 * self.num_assets;
        for (i, uid) in self.uids.iter().enumerate() {
            out.extend_from_slice(&uid.to_bytes());
            for a in &self.balances[i * width..(i + 1) * width] {
                out.extend_from_slice(&a.units().to_le_bytes());
            }
        }
        out
    }

    /// Decodes and checks a witness file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WitnessError> {
        if bytes.len() < HEADER || &bytes[..8] != MAGIC {
            return Err(WitnessError::Header);
        }
        let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
        let num_assets = u32_at(8) as usize;
        let log_batch = u32_at(12);
        let batch = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
        if num_assets == 0 || num_assets > crate::proof::MAX_ASSETS {
            return Err(WitnessError::Range("asset count"));
        }
        if log_batch > 24 {
            return Err(WitnessError::Range("batch size"));
        }
        let leaves = 1usize << log_batch;
        let width = 2 * num_assets;
        let row = 32 + 8 * width;
        let expected = HEADER + leaves * row;
        if bytes.len() != expected {
            return Err(WitnessError::Length {
                expected,
                got: bytes.len(),
            });
        }
        let mut uids = Vec::with_capacity(leaves);
        let mut balances = Vec::with_capacity(leaves * width);
        for (leaf, chunk) in bytes[HEADER..].chunks_exact(row).enumerate() {
            let uid =
                Digest::from_bytes(chunk[..32].try_into().expect("32 bytes")).map_err(|_| {
                    WitnessError::Value {
                        leaf,
                        what: "uid hash is not canonical",
                    }
                })?;
            uids.push(uid);
            for v in chunk[32..].chunks_exact(8) {
                let units = u64::from_le_bytes(v.try_into().expect("8 bytes"));
                balances.push(Amount::new(units).ok_or(WitnessError::Value {
                    leaf,
                    what: "balance is >= 2^62",
                })?);
            }
        }
        Ok(Self {
            num_assets,
            log_batch,
            batch,
            uids,
            balances,
        })
    }

    /// Leaf hashes of the batch.
    pub fn leaves(&self) -> Vec<Digest> {
        let width = 2 * self.num_assets;
        custodia_hash::leaf_sponge_many(
            self.num_assets as u64,
            self.uids.len(),
            crate::leaf::leaf_input_len(self.num_assets),
            |i, j| {
                crate::leaf::leaf_input_at(
                    &self.uids[i],
                    &self.balances[i * width..(i + 1) * width],
                    j,
                )
            },
        )
    }
}
