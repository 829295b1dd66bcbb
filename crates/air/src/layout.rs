//! Column layout of the batch AIR: one row per leaf.
//!
//! ```text
//! idx | s1 | s2 | limbs[2A][4] | sums[2A][lo,hi] | coll_r[4] | coll_c[4][3] | uid[4] | leaf perms[S]
//!     | node_in[8] | node perm | mask[4] | t16 | m16[E16] | t14 | m14[E14]
//! ```
//!
//! * `idx` is the row index r (0, 1, 2, …); `s1 = [r ≥ 1]`, `s2 = [r ≥ 2]`.
//! * `limbs[v][t]`: 16-bit limb t of value v; values interleave `e_0, d_0, e_1, d_1, …`.
//! * `sums[v]`: running sums from the bottom (row r: rows r..2^k) of `l0 + 2^16 l1` (lo) and
//!   `l2 + 2^16 l3` (hi); row 0 holds the batch's sums, which never leave the trace.
//! * `coll_r[j]`: the 16-bit digits of the user's collateral surplus; `coll_c[j]` the three 16-bit
//!   limbs of the offset carry out of digit j (carry = limbs − 2^47).
//! * `uid`: the leaf's uid hash (private, bound only through the leaf digest).
//! * `leaf perms`: the S = ⌈(4 + 2A)/16⌉ width-20 Poseidon2 permutations of the leaf sponge,
//!   chained; [`crate::gadget`] columns, whose inputs are the uid, the values recomposed from
//!   their limbs and the carried capacity, so no input is committed twice.
//! * `node_in`, `node perm`: the two children of internal node r and their width-12 compression
//!   (unused at r = 0).
//! * `mask`: four private random elements sent with the batch's sums to the chain AIR on row 0
//!   ([`ChainLayout`]), so the bus message's published LogUp term confirms no guess of the sums.
//! * `t16, m16`, `t14, m14`: the range tables, inside this AIR so the LogUp sum of the (only) AIR
//!   is zero and reveals nothing. A table of `[0, 2^b)` lives on `2^h = min(2^k, 2^b)` distinct
//!   `t` values: `t` starts at 0, steps by 0 or 1 and ends at `2^h − 1`; row r provides the
//!   `E = 2^(b − h)` entries `t + j·2^h` with multiplicities `m[j]` (repeated `t` rows carry 0).

use custodia_hash::{
    DIGEST_ELEMS, HALF_FULL_ROUNDS, LEAF_RATE, LEAF_WIDTH, PARTIAL_ROUNDS, RATE, SBOX_DEGREE,
    SBOX_REGISTERS, WIDTH,
};
use p3_poseidon2_air::num_cols;

use crate::gadget::gadget_cols;

/// Columns of one width-12 Poseidon2 permutation (`p3-poseidon2-air` layout, 1 S-box register):
/// the chain AIR's.
pub const PERM_COLS: usize =
    num_cols::<WIDTH, SBOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>();
/// Columns of one width-20 permutation of the leaf sponge ([`crate::gadget`]).
pub const LEAF_PERM_COLS: usize = gadget_cols(LEAF_WIDTH);
/// Columns of the node compression's width-12 permutation ([`crate::gadget`]).
pub const NODE_PERM_COLS: usize = gadget_cols(WIDTH);
/// Committed inputs of a node compression: its two children.
pub const NODE_IN: usize = 2 * DIGEST_ELEMS;
/// Limbs per value.
pub const LIMBS: usize = 4;
/// Digits of the collateral surplus.
pub const COLL_DIGITS: usize = 4;
/// Limbs per collateral carry.
pub const CARRY_LIMBS: usize = 3;
/// Offset of the collateral carries: a carry c is stored as the 48-bit `c + 2^47`.
pub const CARRY_OFFSET: u64 = 1 << 47;

/// Offsets of every column group for a given asset count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLayout {
    /// Assets per leaf.
    pub num_assets: usize,
    /// Leaf-sponge permutations per leaf.
    pub leaf_perms: usize,
    /// First limb column.
    pub limbs: usize,
    /// First running-sum column.
    pub sums: usize,
    /// First collateral digit column.
    pub coll_r: usize,
    /// First collateral carry column.
    pub coll_c: usize,
    /// First of the four uid-hash columns.
    pub uid: usize,
    /// First column of the first leaf permutation.
    pub perms: usize,
    /// First of the node compression's eight input columns (left child, right child).
    pub node_in: usize,
    /// First column of the node permutation.
    pub node_perm: usize,
    /// First of the four mask columns.
    pub mask: usize,
    /// log2 of the rows.
    pub log_batch: u32,
    /// The 16-bit table's `t` column (its multiplicities follow).
    pub t16: usize,
    /// The 14-bit table's `t` column (its multiplicities follow).
    pub t14: usize,
    /// Total width.
    pub width: usize,
}

/// Bits of the limb table.
pub const LIMB_BITS: u32 = 16;
/// Bits of the top limb of a value (`16 · 3 + 14 = 62`).
pub const TOP_LIMB_BITS: u32 = 14;
/// Bits of the top limb of a running total (`16 · 3 + 15 = 63`).
pub const TOTAL_TOP_BITS: u32 = 15;
/// Mask elements sent with the batch's sums.
pub const MASK_LEN: usize = 4;

/// `(log2 of distinct t values, entries per row)` of a `bits`-bit table in a `2^log_batch`-row trace.
pub const fn table_shape(bits: u32, log_batch: u32) -> (u32, usize) {
    let h = if log_batch < bits { log_batch } else { bits };
    (h, 1 << (bits - h))
}

/// The row-index column.
pub const IDX: usize = 0;
/// `[r ≥ 1]`.
pub const S1: usize = 1;
/// `[r ≥ 2]`.
pub const S2: usize = 2;

impl BatchLayout {
    /// The layout for `num_assets` assets and `2^log_batch` rows.
    pub const fn new(num_assets: usize, log_batch: u32) -> Self {
        let values = 2 * num_assets;
        let leaf_perms = (4 + values).div_ceil(LEAF_RATE);
        let limbs = 3;
        let sums = limbs + LIMBS * values;
        let coll_r = sums + 2 * values;
        let coll_c = coll_r + COLL_DIGITS;
        let uid = coll_c + COLL_DIGITS * CARRY_LIMBS;
        let perms = uid + DIGEST_ELEMS;
        let node_in = perms + leaf_perms * LEAF_PERM_COLS;
        let node_perm = node_in + NODE_IN;
        let mask = node_perm + NODE_PERM_COLS;
        let t16 = mask + MASK_LEN;
        let t14 = t16 + 1 + table_shape(LIMB_BITS, log_batch).1;
        let width = t14 + 1 + table_shape(TOP_LIMB_BITS, log_batch).1;
        Self {
            num_assets,
            leaf_perms,
            limbs,
            sums,
            coll_r,
            coll_c,
            uid,
            perms,
            node_in,
            node_perm,
            mask,
            log_batch,
            t16,
            t14,
            width,
        }
    }

    /// Values per leaf (`2A`).
    pub const fn num_values(&self) -> usize {
        2 * self.num_assets
    }

    /// Column of limb `t` of value `v`.
    pub const fn limb(&self, v: usize, t: usize) -> usize {
        self.limbs + LIMBS * v + t
    }

    /// Column of the running sum of value `v`, part `half` (0 = lo, 1 = hi).
    pub const fn sum(&self, v: usize, half: usize) -> usize {
        self.sums + 2 * v + half
    }

    /// Column of limb `t` of the carry out of collateral digit `j` (`j = 0..4`).
    pub const fn carry(&self, j: usize, t: usize) -> usize {
        self.coll_c + CARRY_LIMBS * j + t
    }

    /// First column of leaf permutation `s`.
    pub const fn perm(&self, s: usize) -> usize {
        self.perms + s * LEAF_PERM_COLS
    }
}

/// Column layout of the chain AIR: the two boundary commitments of a batch on a small trace of
/// `2^log_rows` rows ([`crate::chain::log_rows`]), beside the batch AIR in the same proof.
///
/// ```text
/// idx | first | chain perm | chain_x[2·8Q] | ca | cb | cw | ch | mask[4] | limbs[8][4] | t16 | m16[E16] | t15 | m15[E15]
/// ```
///
/// * `idx` is the row index, `first = [r = 0]`.
/// * `chain perm`, `chain_x`, `ca`, `cb`: one permutation per row over rows `0..2Q` (Q =
///   permutations per commitment). `chain_x` is a shift register: on row 0 it holds both sponge
///   inputs, zero-padded to 8Q each; every row shifts it by 8, so row r's permutation absorbs
///   `chain_x[0..8]`. `ca = [r < 2Q]`, `cb = [r < Q]`.
/// * `mask`: the batch AIR's mask, received on row 0 with the batch's sums `S_out − S_in`.
/// * `limbs[j]`: the 16, 16, 16 and 15-bit limbs of lane j of row r's running-total window
///   `chain_x[5 + j]`, which the shift register makes word `8r + j` of `S_in`; `ch = [r < ⌈A/2⌉]`
///   gates lanes 0..4 and `cw = [r < ⌊A/2⌋]` lanes 4..8, so exactly the 4A words are checked,
///   each below 2^63, and `S_in + sums` cannot wrap the field. One row's window instead of every
///   word on row 0 keeps the AIR 32 limb columns wide whatever the asset count.
/// * `t16, m16`, `t15, m15`: this AIR's own range tables (its own buses, so its LogUp sum is
///   zero apart from the sums message). The AIR has at least [`CHAIN_MIN_LOG_ROWS`] rows so
///   the tables stay narrow (every query opens a whole row of every column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainLayout {
    /// Assets per leaf.
    pub num_assets: usize,
    /// log2 of the rows.
    pub log_rows: u32,
    /// First column of the chain permutation.
    pub perm: usize,
    /// First column of the shift register (`2 · block` columns).
    pub x: usize,
    /// Sponge input of one commitment, zero-padded to whole rate blocks (`8Q`).
    pub block: usize,
    /// `[r < 2Q]`.
    pub ca: usize,
    /// `[r < Q]`.
    pub cb: usize,
    /// `[r < ⌊A/2⌋]`: lanes 4..8 of the row's window are running-total words.
    pub cw: usize,
    /// `[r < ⌈A/2⌉]`: lanes 0..4 of the row's window are running-total words.
    pub ch: usize,
    /// First of the four mask columns.
    pub mask: usize,
    /// First limb column of the row's running-total window.
    pub limbs: usize,
    /// The 16-bit table's `t` column (its multiplicities follow).
    pub t16: usize,
    /// The 15-bit table's `t` column (its multiplicities follow).
    pub t15: usize,
    /// Total width.
    pub width: usize,
}

/// The chain AIR's first-row column.
pub const FIRST: usize = 1;
/// Lanes of a row's running-total window (one rate block).
pub const WINDOW: usize = RATE;
/// The chain AIR's least log2 of rows: its range tables then take `2^6 + 2^5` multiplicity
/// columns instead of `2^9 + 2^8` on 128 rows.
pub const CHAIN_MIN_LOG_ROWS: u32 = 10;

impl ChainLayout {
    /// The layout for `num_assets` assets and `2^log_rows` rows.
    pub const fn new(num_assets: usize, log_rows: u32) -> Self {
        let perm = 2;
        let block = crate::chain::perms(num_assets) * RATE;
        let x = perm + PERM_COLS;
        let ca = x + 2 * block;
        let cb = ca + 1;
        let cw = cb + 1;
        let ch = cw + 1;
        let mask = ch + 1;
        let limbs = mask + MASK_LEN;
        let t16 = limbs + LIMBS * WINDOW;
        let t15 = t16 + 1 + table_shape(LIMB_BITS, log_rows).1;
        let width = t15 + 1 + table_shape(TOTAL_TOP_BITS, log_rows).1;
        Self {
            num_assets,
            log_rows,
            perm,
            x,
            block,
            ca,
            cb,
            cw,
            ch,
            mask,
            limbs,
            t16,
            t15,
            width,
        }
    }

    /// Column of limb `t` of lane `j` of the row's running-total window.
    pub const fn limb(&self, j: usize, t: usize) -> usize {
        self.limbs + LIMBS * j + t
    }

    /// Rows whose window lanes 0..4 hold running-total words (`⌈A/2⌉`, the `ch` selector).
    pub const fn half_rows(&self) -> usize {
        self.num_assets.div_ceil(2)
    }

    /// Rows whose whole window holds running-total words (`⌊A/2⌋`, the `cw` selector).
    pub const fn whole_rows(&self) -> usize {
        self.num_assets / 2
    }

    /// Position of running-total word `w` in a commitment's sponge input (after the binding and
    /// the boundary index).
    pub const fn word_at(w: usize) -> usize {
        5 + w
    }
}
