//! Trace generation: the two matrices of a batch proof (the batch AIR's and the chain AIR's) from
//! balances, uids, prices and the chain's openings.
//!
//! [`generate_traces`] performs no statement checks: it writes whatever it is given, as
//! honestly as the values allow (a value ≥ 2^62 gets a top limb ≥ 2^14; a negative collateral
//! surplus a final carry below zero; their range lookups are then simply not in the tables).
//! [`crate::prove_batch`] checks the witness first and refuses to prove a false statement; tests
//! call this directly to hand-forge traces and see the proof system reject them.

use core::borrow::BorrowMut;

use custodia_air::air::PermCols;
use custodia_air::chain::{Boundary, commitment_input};
use custodia_air::config::Val;
use custodia_air::gadget::{LEAF_GADGET, NODE_GADGET};
use custodia_air::layout::{
    BatchLayout, CARRY_LIMBS, CARRY_OFFSET, COLL_DIGITS, ChainLayout, FIRST, IDX, LEAF_PERM_COLS,
    LIMB_BITS, LIMBS, MASK_LEN, NODE_IN, NODE_PERM_COLS, PERM_COLS, S1, S2, TOP_LIMB_BITS,
    TOTAL_TOP_BITS, WINDOW, table_shape,
};
use custodia_air::public::collateral_surplus;
use custodia_air::{AssetParams, AssetTotals, BatchPublicInputs};
use custodia_hash::{
    DIGEST_ELEMS, Digest, LEAF_RATE, RATE, WIDTH, compress_input, compress_pairs, domain,
};
use p3_field::{PrimeCharacteristicRing, PrimeField64};
use p3_matrix::dense::RowMajorMatrix;
use p3_maybe_rayon::prelude::*;

use crate::perm::fill_perm;

/// The statement parameters that are not derived from the witness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchParams {
    /// The round binding digest.
    pub round_binding: Digest,
    /// Number of batches in the round.
    pub num_batches: u64,
    /// Prices and haircut per asset.
    pub assets: Vec<AssetParams>,
    /// The opening of the boundary before the batch: running totals and salt.
    pub chain_in: Boundary,
    /// The salt of the boundary after the batch (its totals follow from `chain_in` and the
    /// witness).
    pub salt_out: Digest,
}

impl BatchParams {
    /// Parameters for the first batch of a one-batch round with the given salts: for tests and
    /// benchmarks of a single batch.
    pub fn single(round_binding: Digest, assets: Vec<AssetParams>, salts: [Digest; 2]) -> Self {
        let n = assets.len();
        Self {
            round_binding,
            num_batches: 1,
            assets,
            chain_in: Boundary::zero(n, salts[0]),
            salt_out: salts[1],
        }
    }
}

/// The trace and public inputs of one batch proof.
#[derive(Debug, Clone)]
pub struct BatchTraces {
    /// The per-leaf trace (range tables included).
    pub main: RowMajorMatrix<Val>,
    /// The chain AIR's trace: the two boundary commitments.
    pub chain: RowMajorMatrix<Val>,
    /// The statement.
    pub public: BatchPublicInputs,
    /// The batch's own sums (secret: they feed the chain, never the statement).
    pub sums: Vec<AssetTotals>,
    /// The running totals after the batch (`chain_in` plus `sums`).
    pub state_out: Vec<AssetTotals>,
}

/// Raw leaf data: per leaf a uid and `2A` interleaved values (any `u64`, unchecked).
#[derive(Debug, Clone)]
pub struct RawLeaves<'a> {
    /// log2 of the leaves.
    pub log_batch: u32,
    /// Batch index.
    pub batch_index: u64,
    /// Uid hash per leaf.
    pub uids: &'a [Digest],
    /// `2A` values per leaf.
    pub values: &'a [u64],
}

/// Signed collateral digits of a row: `(r_j, offset carries c_{j+1} + 2^47)`.
pub(crate) fn collateral_digits(values: &[u64], assets: &[AssetParams]) -> ([u64; 4], [u64; 4]) {
    let mut digits = [0u64; COLL_DIGITS];
    let mut carries = [0u64; COLL_DIGITS];
    let mut carry: i128 = 0;
    for j in 0..COLL_DIGITS {
        let mut x: i128 = carry;
        // The collateral rule is linear: apply it to digit j of every balance.
        x += collateral_surplus(assets, values.iter().map(|v| (v >> (16 * j)) & 0xffff));
        digits[j] = x.rem_euclid(1 << 16) as u64;
        carry = x.div_euclid(1 << 16);
        carries[j] = (carry + CARRY_OFFSET as i128) as u64;
    }
    (digits, carries)
}

fn digest_of(state: &[Val; WIDTH]) -> Digest {
    Digest::from_field(core::array::from_fn(|j| state[j]))
}

/// Builds the traces, the chain AIR's on `2^chain_log_rows` rows
/// ([`custodia_air::chain::log_rows`]). Values are split into four 16-bit limbs as `u64`s; see
/// the module docs.
///
/// # Panics
/// If the slices do not have `2^log_batch` leaves of `2 · assets.len()` values.
pub fn generate_traces(
    raw: &RawLeaves<'_>,
    params: &BatchParams,
    chain_log_rows: u32,
) -> BatchTraces {
    let a = params.assets.len();
    let nvals = 2 * a;
    let n = 1usize << raw.log_batch;
    assert_eq!(raw.uids.len(), n, "one uid per leaf");
    assert_eq!(raw.values.len(), n * nvals, "2A values per leaf");
    let l = BatchLayout::new(a, raw.log_batch);
    let width = l.width;
    let mut main = RowMajorMatrix::new(Val::zero_vec(n * width), width);

    // Pass 1 (parallel): index, selectors, limbs, collateral, leaf sponge. Returns leaf digests.
    let leaves: Vec<Digest> = main
        .values
        .par_chunks_mut(width)
        .enumerate()
        .map(|(r, row)| {
            let vals = &raw.values[r * nvals..(r + 1) * nvals];
            row[IDX] = Val::from_usize(r);
            row[S1] = Val::from_bool(r >= 1);
            row[S2] = Val::from_bool(r >= 2);
            for (v, &x) in vals.iter().enumerate() {
                for t in 0..LIMBS {
                    row[l.limb(v, t)] = Val::from_u64((x >> (16 * t)) & 0xffff);
                }
            }
            let (digits, carries) = collateral_digits(vals, &params.assets);
            for j in 0..COLL_DIGITS {
                row[l.coll_r + j] = Val::from_u64(digits[j]);
                for t in 0..CARRY_LIMBS {
                    row[l.carry(j, t)] = Val::from_u64((carries[j] >> (16 * t)) & 0xffff);
                }
            }
            // The sponge input: the AIR recomposes each value from its limbs, i.e. modulo p
            // for a forged value ≥ p; mirror that.
            let input = |e: usize| -> Val {
                if e < DIGEST_ELEMS {
                    Val::new(raw.uids[r].0[e])
                } else if e - DIGEST_ELEMS < nvals {
                    Val::from_u64(vals[e - DIGEST_ELEMS])
                } else {
                    Val::ZERO
                }
            };
            for (j, &x) in raw.uids[r].0.iter().enumerate() {
                row[l.uid + j] = Val::new(x);
            }
            let mut state = custodia_hash::leaf_sponge_iv(a as u64);
            for s in 0..l.leaf_perms {
                for (j, cell) in state.iter_mut().take(LEAF_RATE).enumerate() {
                    *cell = input(s * LEAF_RATE + j);
                }
                let start = l.perm(s);
                let kept = if s + 1 == l.leaf_perms { 0 } else { LEAF_RATE };
                state = LEAF_GADGET.fill(&mut row[start..start + LEAF_PERM_COLS], state, kept);
            }
            Digest::from_field(core::array::from_fn(|j| state[j]))
        })
        .collect();

    // Internal nodes, heap-numbered: node m has children 2m, 2m+1; leaf r is node n + r.
    let mut nodes = vec![Digest::default(); 2 * n];
    nodes[n..].copy_from_slice(&leaves);
    let mut width_lvl = n;
    while width_lvl > 1 {
        let parents = compress_pairs(&nodes[width_lvl..2 * width_lvl]);
        nodes[width_lvl / 2..width_lvl].copy_from_slice(&parents);
        width_lvl /= 2;
    }
    let root = if n == 1 { leaves[0] } else { nodes[1] };

    // Pass 2 (parallel): node compressions (row 0 compresses two zero digests, unused).
    main.values
        .par_chunks_mut(width)
        .enumerate()
        .for_each(|(r, row)| {
            let input = if r == 0 {
                compress_input(&Digest::default(), &Digest::default())
            } else {
                compress_input(&nodes[2 * r], &nodes[2 * r + 1])
            };
            row[l.node_in..l.node_in + NODE_IN].copy_from_slice(&input[..NODE_IN]);
            let cols = &mut row[l.node_perm..l.node_perm + NODE_PERM_COLS];
            let _ = NODE_GADGET.fill(cols, input, 0);
        });

    // Pass 3: sums from the bottom (row r holds rows r..n), so row 0 holds the batch's sums.
    let mut acc = vec![Val::ZERO; 2 * nvals];
    let mut exact = vec![0u64; 2 * nvals];
    for (r, row) in main.values.chunks_exact_mut(width).enumerate().rev() {
        let vals = &raw.values[r * nvals..(r + 1) * nvals];
        for (v, &x) in vals.iter().enumerate() {
            // As the AIR recomposes the limbs (modulo p for a forged value ≥ 2^64 − …).
            let lo = (x & 0xffff) + ((x >> 16) & 0xffff) * (1 << 16);
            let hi = ((x >> 32) & 0xffff) + (x >> 48) * (1 << 16);
            acc[2 * v] += Val::from_u64(lo);
            acc[2 * v + 1] += Val::from_u64(hi);
            exact[2 * v] = exact[2 * v].wrapping_add(lo);
            exact[2 * v + 1] = exact[2 * v + 1].wrapping_add(hi);
            row[l.sum(v, 0)] = acc[2 * v];
            row[l.sum(v, 1)] = acc[2 * v + 1];
        }
    }
    let sums: Vec<AssetTotals> = (0..a)
        .map(|i| AssetTotals {
            equity_lo: exact[4 * i],
            equity_hi: exact[4 * i + 1],
            debt_lo: exact[4 * i + 2],
            debt_hi: exact[4 * i + 3],
        })
        .collect();
    // S_out = S_in + sums, in the field as the AIR adds them.
    let words = |t: &AssetTotals| [t.equity_lo, t.equity_hi, t.debt_lo, t.debt_hi];
    let state_out: Vec<AssetTotals> = params
        .chain_in
        .state
        .iter()
        .zip(&sums)
        .map(|(s_in, add)| {
            let w: Vec<u64> = words(s_in)
                .iter()
                .zip(words(add))
                .map(|(&x, y)| (Val::from_u64(x) + Val::from_u64(y)).as_canonical_u64())
                .collect();
            AssetTotals {
                equity_lo: w[0],
                equity_hi: w[1],
                debt_lo: w[2],
                debt_hi: w[3],
            }
        })
        .collect();

    // The mask that travels with the sums to the chain AIR (row 0 only).
    let mask = custodia_air::chain::mask(&params.chain_in.salt, &params.salt_out);
    main.values[l.mask..l.mask + MASK_LEN].copy_from_slice(&mask);
    let (chain, outputs) = chain_trace(raw, params, &state_out, &mask, chain_log_rows);

    // Range tables with multiplicities (keys outside a table are not counted: unprovable).
    let mut m16 = vec![0u64; 1 << 16];
    let mut m14 = vec![0u64; 1 << 14];
    for row in main.values.chunks_exact(width) {
        let u = |c: usize| row[c].as_canonical_u64();
        for v in 0..nvals {
            for t in 0..LIMBS - 1 {
                m16[u(l.limb(v, t)) as usize] += 1;
            }
            if let Some(m) = m14.get_mut(u(l.limb(v, LIMBS - 1)) as usize) {
                *m += 1;
            }
        }
        for j in 0..COLL_DIGITS {
            m16[u(l.coll_r + j) as usize] += 1;
            for t in 0..CARRY_LIMBS {
                m16[u(l.carry(j, t)) as usize] += 1;
            }
        }
        let top = u(l.carry(COLL_DIGITS - 1, CARRY_LIMBS - 1));
        if let Some(m) = top
            .checked_sub(1 << 15)
            .and_then(|k| m16.get_mut(k as usize))
        {
            *m += 1;
        }
    }
    fill_tables(
        &mut main,
        raw.log_batch,
        [(LIMB_BITS, &m16, l.t16), (TOP_LIMB_BITS, &m14, l.t14)],
    );

    BatchTraces {
        main,
        chain,
        public: BatchPublicInputs {
            round_binding: params.round_binding,
            batch_index: raw.batch_index,
            num_batches: params.num_batches,
            log_batch: raw.log_batch,
            batch_root: root,
            chain_in: outputs[0],
            chain_out: outputs[1],
            assets: params.assets.clone(),
        },
        sums,
        state_out,
    }
}

/// The chain AIR's trace ([`custodia_air::layout::ChainLayout`]) and the two commitments it
/// computes.
fn chain_trace(
    raw: &RawLeaves<'_>,
    params: &BatchParams,
    state_out: &[AssetTotals],
    mask: &[Val; MASK_LEN],
    log_rows: u32,
) -> (RowMajorMatrix<Val>, [Digest; 2]) {
    let a = params.assets.len();
    let l = ChainLayout::new(a, log_rows);
    let width = l.width;
    let rows = 1usize << log_rows;
    let mut chain = RowMajorMatrix::new(Val::zero_vec(rows * width), width);
    // Both sponge inputs in the shift register on row 0, one permutation per row.
    let block = l.block;
    let mut x0 = vec![Val::ZERO; 2 * block];
    let input_in = commitment_input(
        &params.round_binding,
        raw.batch_index,
        &params.chain_in.state,
        &params.chain_in.salt,
    );
    let input_out = commitment_input(
        &params.round_binding,
        raw.batch_index.wrapping_add(1),
        state_out,
        &params.salt_out,
    );
    x0[..input_in.len()].copy_from_slice(&input_in);
    x0[block..block + input_out.len()].copy_from_slice(&input_out);
    let q = block / RATE;
    let iv = custodia_hash::sponge_iv(domain::CHAIN, a as u64);
    let mut state = iv;
    let mut outputs = [Digest::default(); 2];
    for (r, row) in chain.values.chunks_exact_mut(width).enumerate() {
        row[IDX] = Val::from_usize(r);
        row[FIRST] = Val::from_bool(r == 0);
        let shift = RATE * r;
        for m in 0..2 * block {
            row[l.x + m] = x0.get(m + shift).copied().unwrap_or(Val::ZERO);
        }
        row[l.ca] = Val::from_bool(r < 2 * q);
        row[l.cb] = Val::from_bool(r < q);
        row[l.cw] = Val::from_bool(r < l.whole_rows());
        row[l.ch] = Val::from_bool(r < l.half_rows());
        if r == q {
            state = iv;
        }
        if r >= 2 * q {
            state = [Val::ZERO; WIDTH];
        }
        for j in 0..RATE {
            state[j] = row[l.x + j];
        }
        let cols: &mut PermCols<Val> = row[l.perm..l.perm + PERM_COLS].borrow_mut();
        state = fill_perm(cols, state);
        if r == q - 1 {
            outputs[0] = digest_of(&state);
        }
        if r == 2 * q - 1 {
            outputs[1] = digest_of(&state);
        }
    }
    // Row 0: the mask. Row r: the limbs of incoming running-total words 8r..8r + 8 (its
    // window), as the AIR recomposes them (modulo p for a forged word ≥ p; a word ≥ 2^63 gets a
    // top limb ≥ 2^15, which no table holds: unprovable).
    let words: Vec<u64> = params
        .chain_in
        .state
        .iter()
        .flat_map(|t| [t.equity_lo, t.equity_hi, t.debt_lo, t.debt_hi])
        .collect();
    chain.values[l.mask..l.mask + MASK_LEN].copy_from_slice(mask);
    let mut m16 = vec![0u64; 1 << LIMB_BITS];
    let mut m15 = vec![0u64; 1 << TOTAL_TOP_BITS];
    for (r, window) in words.chunks(WINDOW).enumerate() {
        let row = &mut chain.values[r * width..(r + 1) * width];
        for (j, &v) in window.iter().enumerate() {
            for t in 0..LIMBS {
                let limb = (v >> (16 * t)) & 0xffff;
                row[l.limb(j, t)] = Val::from_u64(limb);
                if t < LIMBS - 1 {
                    m16[limb as usize] += 1;
                } else if let Some(m) = m15.get_mut(limb as usize) {
                    *m += 1;
                }
            }
        }
    }
    fill_tables(
        &mut chain,
        log_rows,
        [(LIMB_BITS, &m16, l.t16), (TOTAL_TOP_BITS, &m15, l.t15)],
    );
    (chain, outputs)
}

/// Writes range tables into `trace`: `t = min(r, 2^h − 1)`; row r < 2^h provides `t + j·2^h`
/// with its count.
fn fill_tables(
    trace: &mut RowMajorMatrix<Val>,
    log_rows: u32,
    tables: [(u32, &Vec<u64>, usize); 2],
) {
    let width = trace.width;
    for (bits, counts, t_col) in tables {
        let (h, per_row) = table_shape(bits, log_rows);
        let distinct = 1usize << h;
        for (r, row) in trace.values.chunks_exact_mut(width).enumerate() {
            row[t_col] = Val::from_usize(r.min(distinct - 1));
            if r < distinct {
                for j in 0..per_row {
                    row[t_col + 1 + j] = Val::from_u64(counts[r + j * distinct]);
                }
            }
        }
    }
}
