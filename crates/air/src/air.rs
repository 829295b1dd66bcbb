//! The AIR of a batch proof: [`BatchAir`], one row per leaf, with its 16- and 14-bit range tables
//! and the tree bus as LogUp lookups inside the same AIR (proven with `p3-batch-stark`).

use core::borrow::Borrow;

use custodia_hash::{
    DIGEST_ELEMS, GenericPoseidon2LinearLayersGoldilocks, HALF_FULL_ROUNDS, LEAF_RATE, LEAF_WIDTH,
    PARTIAL_ROUNDS, RATE, SBOX_DEGREE, SBOX_REGISTERS, WIDTH, air_round_constants, domain,
};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder, LookupBus, PermutationCheckBus};
use p3_poseidon2_air::{Poseidon2Air, Poseidon2Cols};
use p3_uni_stark::SubAirBuilder;

use crate::config::Val;
use crate::gadget::{LEAF_GADGET, NODE_GADGET};
use crate::layout::{
    BatchLayout, CARRY_LIMBS, CARRY_OFFSET, COLL_DIGITS, ChainLayout, FIRST, IDX, LEAF_PERM_COLS,
    LIMB_BITS, LIMBS, MASK_LEN, NODE_IN, NODE_PERM_COLS, PERM_COLS, S1, S2, TOP_LIMB_BITS,
    TOTAL_TOP_BITS, WINDOW, table_shape,
};
use crate::public::{BPS_ONE, CHAIN_IN_PV, CHAIN_OUT_PV, HEADER_LEN, INDEX_PV, PER_ASSET, ROOT_PV};

/// The Poseidon2 AIR of Custodia's hash instance (width 12, x^7, one S-box register): the chain
/// AIR's commitments.
pub type PermAir = Poseidon2Air<
    Val,
    GenericPoseidon2LinearLayersGoldilocks,
    WIDTH,
    SBOX_DEGREE,
    SBOX_REGISTERS,
    HALF_FULL_ROUNDS,
    PARTIAL_ROUNDS,
>;
/// Columns of one permutation.
pub type PermCols<T> =
    Poseidon2Cols<T, WIDTH, SBOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>;
/// Bus of 16-bit range checks.
pub const RANGE16_BUS: &str = "custodia/range16";
/// Bus of 14-bit range checks (top limbs: values stay below 2^62).
pub const RANGE14_BUS: &str = "custodia/range14";
/// Bus joining tree nodes to their parents: messages `(node id, digest)`.
pub const TREE_BUS: &str = "custodia/tree";
/// Bus carrying the batch's sums and mask from the batch AIR to the chain AIR.
pub const CHAIN_BUS: &str = "custodia/chain";
/// The chain AIR's 16-bit range checks.
pub const CHAIN_RANGE16_BUS: &str = "custodia/chain-range16";
/// The chain AIR's 15-bit range checks (top limbs of running totals: words stay below 2^63).
pub const CHAIN_RANGE15_BUS: &str = "custodia/chain-range15";

/// Offset of `x` in the public-value block of asset `i`.
const fn asset_pv(i: usize, x: usize) -> usize {
    HEADER_LEN + PER_ASSET * i + x
}

/// One row per leaf of a batch of `2^log_batch` leaves; see [`crate::layout`].
#[derive(Debug, Clone)]
pub struct BatchAir {
    layout: BatchLayout,
    log_batch: u32,
}

impl BatchAir {
    /// The AIR for `num_assets` assets and `2^log_batch` leaves.
    pub fn new(num_assets: usize, log_batch: u32) -> Self {
        Self {
            layout: BatchLayout::new(num_assets, log_batch),
            log_batch,
        }
    }

    /// Its column layout.
    pub const fn layout(&self) -> &BatchLayout {
        &self.layout
    }

    /// log2 of the rows.
    pub const fn log_batch(&self) -> u32 {
        self.log_batch
    }
}

impl BaseAir<Val> for BatchAir {
    fn width(&self) -> usize {
        self.layout.width
    }

    fn num_public_values(&self) -> usize {
        HEADER_LEN + PER_ASSET * self.layout.num_assets
    }

    fn max_constraint_degree(&self) -> Option<usize> {
        Some(3)
    }
}

/// `Σ_t x_t · 2^(16 t)`.
fn compose<AB: AirBuilder>(limbs: &[AB::Var]) -> AB::Expr {
    let mut acc = AB::Expr::ZERO;
    for (t, &l) in limbs.iter().enumerate() {
        acc += l.into() * AB::F::from_u64(1u64 << (16 * t));
    }
    acc
}

impl<AB> Air<AB> for BatchAir
where
    AB: InteractionBuilder<F = Val>,
{
    fn eval(&self, builder: &mut AB) {
        let l = &self.layout;
        let nvals = l.num_values();

        let main = builder.main();
        // Borrowed from the window, not copied: the window is the builder's own value, so the
        // rows stay readable while constraints are asserted (a copy per row cost the prover a
        // few per cent: the quotient evaluates this on every point of its domain).
        let local: &[AB::Var] = main.current_slice();
        let next: &[AB::Var] = main.next_slice();
        let pv: Vec<AB::Expr> = builder.public_values().iter().map(|&v| v.into()).collect();

        // Row index and the two selectors.
        let (idx, s1, s2) = (local[IDX], local[S1], local[S2]);
        {
            let mut first = builder.when_first_row();
            first.assert_zero(idx);
            first.assert_zero(s1);
            first.assert_zero(s2);
        }
        {
            let mut tr = builder.when_transition();
            tr.assert_eq(next[IDX], idx + AB::F::ONE);
            tr.assert_one(next[S1]);
            tr.assert_eq(next[S2], s1);
        }
        // The last row has index 2^k − 1: the trace has exactly 2^k rows.
        builder
            .when_last_row()
            .assert_eq(idx, AB::F::from_u64((1u64 << self.log_batch) - 1));

        // Limbs: 16, 16, 16 and 14 bits, so every value is in [0, 2^62).
        let range16 = LookupBus::new(RANGE16_BUS);
        let range14 = LookupBus::new(RANGE14_BUS);
        let limbs = |v: usize| &local[l.limb(v, 0)..l.limb(v, 0) + LIMBS];
        for v in 0..nvals {
            let lv = limbs(v);
            for &x in &lv[..LIMBS - 1] {
                range16.lookup_key(builder, [x], 1);
            }
            range14.lookup_key(builder, [lv[LIMBS - 1]], 1);
        }
        let value = |v: usize| compose::<AB>(limbs(v));

        // Leaf sponge: rate blocks of [uid(4), e_0, d_0, …] zero-padded; capacity IV then chained.
        // The gadgets take their inputs as expressions: the uid columns, the values recomposed
        // from their limbs, and the previous permutation's kept capacity lanes.
        let leaf_input = |e: usize| -> AB::Expr {
            if e < DIGEST_ELEMS {
                local[l.uid + e].into()
            } else if e - DIGEST_ELEMS < nvals {
                value(e - DIGEST_ELEMS)
            } else {
                AB::Expr::ZERO
            }
        };
        let mut capacity: [AB::Expr; LEAF_WIDTH - LEAF_RATE] = [
            AB::Expr::from(AB::F::from_u64(domain::LEAF)),
            AB::Expr::from(AB::F::from_usize(l.num_assets)),
            AB::Expr::ZERO,
            AB::Expr::ZERO,
        ];
        let mut leaf = None;
        for s in 0..l.leaf_perms {
            let input: [AB::Expr; LEAF_WIDTH] = core::array::from_fn(|j| {
                if j < LEAF_RATE {
                    leaf_input(s * LEAF_RATE + j)
                } else {
                    capacity[j - LEAF_RATE].clone()
                }
            });
            let last = s + 1 == l.leaf_perms;
            let cols = &local[l.perm(s)..l.perm(s) + LEAF_PERM_COLS];
            let kept = LEAF_GADGET.eval(builder, cols, input, if last { 0 } else { LEAF_RATE });
            if last {
                leaf = Some(kept);
            } else {
                capacity = kept.map(Into::into);
            }
        }
        let leaf: [AB::Var; DIGEST_ELEMS] = leaf.expect("a leaf has at least one permutation");

        // Node compression: [left, right, NODE, 0, 0, 0].
        let node_in = &local[l.node_in..l.node_in + NODE_IN];
        let node_input: [AB::Expr; WIDTH] = core::array::from_fn(|j| {
            if j < NODE_IN {
                node_in[j].into()
            } else if j == RATE {
                AB::F::from_u64(domain::NODE).into()
            } else {
                AB::Expr::ZERO
            }
        });
        let node = NODE_GADGET.eval(
            builder,
            &local[l.node_perm..l.node_perm + NODE_PERM_COLS],
            node_input,
            0,
        );

        // Tree bus. Ids: leaf r is 2^k + r, internal node r is r (node 1 = batch root).
        let tree = PermutationCheckBus::new(TREE_BUS);
        let with_id = |id: AB::Expr, d: &[AB::Var]| -> Vec<AB::Expr> {
            core::iter::once(id)
                .chain(d.iter().map(|&x| x.into()))
                .collect()
        };
        let leaf_id = idx + AB::F::from_u64(1u64 << self.log_batch);
        tree.send(builder, with_id(leaf_id, &leaf), 1);
        tree.send(
            builder,
            with_id(idx.into(), &node[..DIGEST_ELEMS]),
            Count::bounded(s2.into(), 1),
        );
        let two_idx = idx * AB::F::TWO;
        tree.receive(
            builder,
            with_id(two_idx.clone(), &node_in[..DIGEST_ELEMS]),
            Count::bounded(s1.into(), 1),
        );
        tree.receive(
            builder,
            with_id(two_idx + AB::F::ONE, &node_in[DIGEST_ELEMS..NODE_IN]),
            Count::bounded(s1.into(), 1),
        );
        // Row 1 computes node 1: the public batch root.
        let is_row1: AB::Expr = s1.into() - s2.into();
        for j in 0..DIGEST_ELEMS {
            builder.assert_zero(is_row1.clone() * (node[j].into() - pv[ROOT_PV + j].clone()));
        }

        // Collateral: S = Σ_i e_i·P_i·(10^4 − h_i) − d_i·P_i·10^4 ≥ 0, digit by digit with signed
        // carries: X_j + c_j = r_j + 2^16·c_{j+1}, c_0 = 0, c_4 ≥ 0.
        let bps = AB::Expr::from(AB::F::from_u64(BPS_ONE));
        let carry = |j: usize| -> AB::Expr {
            compose::<AB>(&local[l.carry(j, 0)..l.carry(j, 0) + CARRY_LIMBS])
                - AB::F::from_u64(CARRY_OFFSET)
        };
        for j in 0..COLL_DIGITS {
            let mut x = AB::Expr::ZERO;
            for i in 0..l.num_assets {
                let debt_price = pv[asset_pv(i, 0)].clone();
                let collateral_price = pv[asset_pv(i, 1)].clone();
                let haircut = pv[asset_pv(i, 2)].clone();
                let w = collateral_price * (bps.clone() - haircut);
                let u = debt_price * bps.clone();
                x += local[l.limb(2 * i, j)].into() * w;
                x -= local[l.limb(2 * i + 1, j)].into() * u;
            }
            let c_in = if j == 0 { AB::Expr::ZERO } else { carry(j - 1) };
            let r = local[l.coll_r + j];
            builder.assert_zero(x + c_in - r.into() - carry(j) * AB::F::from_u64(1 << 16));
            range16.lookup_key(builder, [r], 1);
            for t in 0..CARRY_LIMBS {
                range16.lookup_key(builder, [local[l.carry(j, t)]], 1);
            }
        }
        // c_4 ≥ 0 ⇔ its offset form is ≥ 2^47 ⇔ its top 16-bit limb is ≥ 2^15.
        range16.lookup_key(
            builder,
            [local[l.carry(COLL_DIGITS - 1, CARRY_LIMBS - 1)] - AB::F::from_u64(1 << 15)],
            1,
        );

        // Per-asset sums of the batch, from the bottom: sum_r = part_r + sum_{r+1}, so row 0
        // holds the batch's sums of lo = l0 + 2^16 l1 and hi = l2 + 2^16 l3 (never public).
        for v in 0..nvals {
            for half in 0..2 {
                let part = |row: &[AB::Var]| -> AB::Expr {
                    compose::<AB>(&row[l.limb(v, 2 * half)..l.limb(v, 2 * half) + 2])
                };
                let sum = local[l.sum(v, half)];
                builder
                    .when_transition()
                    .assert_eq(sum, part(local) + next[l.sum(v, half)].into());
                builder.when_last_row().assert_eq(sum, part(local));
            }
        }

        // The batch's sums go to the chain AIR on row 0, with the mask (see `crate::chain`).
        let chain_bus = PermutationCheckBus::new(CHAIN_BUS);
        let message: Vec<AB::Expr> = (0..nvals)
            .flat_map(|v| [local[l.sum(v, 0)].into(), local[l.sum(v, 1)].into()])
            .chain((0..MASK_LEN).map(|j| local[l.mask + j].into()))
            .collect();
        chain_bus.send(
            builder,
            message,
            Count::bounded(AB::Expr::ONE - s1.into(), 1),
        );

        // The range tables: t steps 0 → 2^h − 1 by 0 or 1; row t provides t + j·2^h.
        for (bits, bus, t_col) in [
            (LIMB_BITS, &range16, l.t16),
            (TOP_LIMB_BITS, &range14, l.t14),
        ] {
            range_table(builder, bits, self.log_batch, bus, t_col, local, next);
        }
    }
}

/// The chain AIR of a batch proof: both boundary commitments, recomputed from the received sums;
/// see [`ChainLayout`] and [`crate::chain`].
#[derive(Debug, Clone)]
pub struct ChainAir {
    layout: ChainLayout,
    // Boxed: its round constants would make this variant of `CustodiaAir` far larger than the
    // batch AIR's.
    perm: Box<PermAir>,
}

impl ChainAir {
    /// The chain AIR for `num_assets` assets on `2^log_rows` rows ([`crate::chain::log_rows`]).
    pub fn new(num_assets: usize, log_rows: u32) -> Self {
        Self {
            layout: ChainLayout::new(num_assets, log_rows),
            perm: Box::new(PermAir::new(air_round_constants())),
        }
    }

    /// Its column layout.
    pub const fn layout(&self) -> &ChainLayout {
        &self.layout
    }
}

impl BaseAir<Val> for ChainAir {
    fn width(&self) -> usize {
        self.layout.width
    }

    fn num_public_values(&self) -> usize {
        HEADER_LEN + PER_ASSET * self.layout.num_assets
    }

    fn max_constraint_degree(&self) -> Option<usize> {
        Some(3)
    }
}

impl<AB> Air<AB> for ChainAir
where
    AB: InteractionBuilder<F = Val>,
{
    fn eval(&self, builder: &mut AB) {
        let l = &self.layout;
        {
            let mut sub =
                SubAirBuilder::<AB, PermAir, AB::Var>::new(builder, l.perm..l.perm + PERM_COLS);
            self.perm.eval(&mut sub);
        }
        let main = builder.main();
        // Borrowed from the window, not copied: the window is the builder's own value, so the
        // rows stay readable while constraints are asserted (a copy per row cost the prover a
        // few per cent: the quotient evaluates this on every point of its domain).
        let local: &[AB::Var] = main.current_slice();
        let next: &[AB::Var] = main.next_slice();
        let pv: Vec<AB::Expr> = builder.public_values().iter().map(|&v| v.into()).collect();

        // Row index and the first-row flag.
        let (idx, first_row) = (local[IDX], local[FIRST]);
        builder.when_first_row().assert_zero(idx);
        builder.when_first_row().assert_one(first_row);
        builder
            .when_transition()
            .assert_eq(next[IDX], idx + AB::F::ONE);
        builder.when_transition().assert_zero(next[FIRST]);
        builder
            .when_last_row()
            .assert_eq(idx, AB::F::from_u64((1u64 << l.log_rows) - 1));

        // C_in = sponge(CHAIN, A, [binding, b, S_in, r_in]) and C_out = sponge(CHAIN, A,
        // [binding, b + 1, S_in + sums, r_out]), one permutation per row over rows 0..2Q.
        let words = crate::chain::words(l.num_assets);
        let block = l.block;
        let q = block / RATE;
        let x = |row: &[AB::Var], m: usize| row[l.x + m];
        {
            let mut first = builder.when_first_row();
            for (j, binding) in pv.iter().take(DIGEST_ELEMS).enumerate() {
                first.assert_eq(x(local, j), binding.clone());
                first.assert_eq(x(local, block + j), binding.clone());
            }
            first.assert_eq(x(local, 4), pv[INDEX_PV].clone());
            first.assert_eq(x(local, block + 4), pv[INDEX_PV].clone() + AB::F::ONE);
            let used = crate::chain::input_len(l.num_assets);
            for m in used..block {
                first.assert_zero(x(local, m));
                first.assert_zero(x(local, block + m));
            }
        }
        // Every word of S_in is its limbs: below 2^63. The shift register brings words 8r..8r + 8
        // into row r's window chain_x[5..13]; ch gates lanes 0..4 and cw lanes 4..8 (an odd
        // asset count leaves the salt in the last row's upper half).
        let range16 = LookupBus::new(CHAIN_RANGE16_BUS);
        let range15 = LookupBus::new(CHAIN_RANGE15_BUS);
        let (cw, ch) = (local[l.cw], local[l.ch]);
        for j in 0..WINDOW {
            let sel = if j < WINDOW / 2 { ch } else { cw };
            let limbs = &local[l.limb(j, 0)..l.limb(j, 0) + LIMBS];
            builder.assert_zero(
                sel.into() * (x(local, ChainLayout::word_at(j)).into() - compose::<AB>(limbs)),
            );
            for t in 0..LIMBS - 1 {
                range16.lookup_key(
                    builder,
                    [local[l.limb(j, t)]],
                    Count::bounded(sel.into(), 1),
                );
            }
            range15.lookup_key(
                builder,
                [local[l.limb(j, LIMBS - 1)]],
                Count::bounded(sel.into(), 1),
            );
        }
        // S_out − S_in (the batch's sums) and the mask arrive from the batch AIR on row 0.
        let chain_bus = PermutationCheckBus::new(CHAIN_BUS);
        let message: Vec<AB::Expr> = (0..words)
            .map(|w| {
                let m = ChainLayout::word_at(w);
                x(local, block + m).into() - x(local, m).into()
            })
            .chain((0..MASK_LEN).map(|j| local[l.mask + j].into()))
            .collect();
        chain_bus.receive(builder, message, Count::bounded(first_row.into(), 1));

        for m in 0..2 * block - RATE {
            builder
                .when_transition()
                .assert_eq(x(next, m), x(local, m + RATE));
        }
        let chain_perm: &PermCols<AB::Var> = local[l.perm..l.perm + PERM_COLS].borrow();
        let next_chain_perm: &PermCols<AB::Var> = next[l.perm..l.perm + PERM_COLS].borrow();
        for j in 0..RATE {
            builder.assert_eq(chain_perm.inputs[j], x(local, j));
        }
        let (ca, cb) = (local[l.ca], local[l.cb]);
        let (ca_next, cb_next) = (next[l.ca], next[l.cb]);
        // Each selector [r < n] is 1 on row 0 (0 if n = 0), 0 on the last row (n < 2^c), and
        // steps down by 0 or 1, and only after row n − 1 (for n = 0 the index never equals −1,
        // so it stays 0).
        for (col, n) in [
            (l.ca, 2 * q),
            (l.cb, q),
            (l.cw, l.whole_rows()),
            (l.ch, l.half_rows()),
        ] {
            let (sel, sel_next) = (local[col], next[col]);
            builder
                .when_first_row()
                .assert_eq(sel, AB::F::from_bool(n > 0));
            builder.when_last_row().assert_zero(sel);
            let drop: AB::Expr = sel.into() - sel_next.into();
            let mut tr = builder.when_transition();
            tr.assert_zero(drop.clone() * (drop.clone() - AB::F::ONE));
            tr.assert_zero(drop * (idx.into() - (AB::F::from_usize(n) - AB::F::ONE)));
        }
        let iv = [
            AB::F::from_u64(domain::CHAIN),
            AB::F::from_usize(l.num_assets),
            AB::F::ZERO,
            AB::F::ZERO,
        ];
        for (j, &c) in iv.iter().enumerate() {
            builder
                .when_first_row()
                .assert_eq(chain_perm.inputs[RATE + j], c);
        }
        // d = 1 on the step from row Q − 1 to row Q: C_in is finished, C_out starts.
        let out = |p: &PermCols<AB::Var>| p.ending_full_rounds[HALF_FULL_ROUNDS - 1].post;
        let d: AB::Expr = cb.into() - cb_next.into();
        let chain_out = out(chain_perm);
        for (j, &c) in iv.iter().enumerate() {
            let mut tr = builder.when_transition();
            tr.assert_zero(d.clone() * (next_chain_perm.inputs[RATE + j].into() - c));
            // Within a sponge, the capacity carries over from row to row.
            tr.assert_zero(
                ca_next.into()
                    * (AB::Expr::ONE - d.clone())
                    * (next_chain_perm.inputs[RATE + j].into() - chain_out[RATE + j].into()),
            );
        }
        for j in 0..DIGEST_ELEMS {
            let mut tr = builder.when_transition();
            tr.assert_zero(d.clone() * (chain_out[j].into() - pv[CHAIN_IN_PV + j].clone()));
            tr.assert_zero(
                (ca.into() - ca_next.into()) * (chain_out[j].into() - pv[CHAIN_OUT_PV + j].clone()),
            );
        }

        // The range tables, as in the batch AIR.
        for (bits, bus, t_col) in [
            (LIMB_BITS, &range16, l.t16),
            (TOTAL_TOP_BITS, &range15, l.t15),
        ] {
            range_table(builder, bits, l.log_rows, bus, t_col, local, next);
        }
    }
}

/// A range table of `[0, 2^bits)` on a `2^log_rows`-row trace: `t` steps 0 → 2^h − 1 by 0 or 1
/// and row t provides `t + j·2^h` with the multiplicities that follow `t`'s column.
fn range_table<AB: InteractionBuilder<F = Val>>(
    builder: &mut AB,
    bits: u32,
    log_rows: u32,
    bus: &LookupBus<'_>,
    t_col: usize,
    local: &[AB::Var],
    next: &[AB::Var],
) {
    let (h, per_row) = table_shape(bits, log_rows);
    let (t, t_next) = (local[t_col], next[t_col]);
    builder.when_first_row().assert_zero(t);
    let step: AB::Expr = t_next.into() - t.into();
    builder
        .when_transition()
        .assert_zero(step.clone() * (step - AB::F::ONE));
    builder
        .when_last_row()
        .assert_eq(t, AB::F::from_u64((1u64 << h) - 1));
    for j in 0..per_row {
        let entry = t + AB::F::from_u64((j as u64) << h);
        bus.table_entry(builder, [entry], local[t_col + 1 + j]);
    }
}

/// The AIRs of one batch proof: the batch AIR and the chain AIR, as one type for the batch prover.
#[derive(Debug, Clone)]
pub enum CustodiaAir {
    /// One row per leaf.
    Batch(BatchAir),
    /// The two boundary commitments.
    Chain(ChainAir),
}

impl BaseAir<Val> for CustodiaAir {
    fn width(&self) -> usize {
        match self {
            Self::Batch(a) => a.width(),
            Self::Chain(a) => a.width(),
        }
    }

    fn num_public_values(&self) -> usize {
        match self {
            Self::Batch(a) => a.num_public_values(),
            Self::Chain(a) => a.num_public_values(),
        }
    }

    fn max_constraint_degree(&self) -> Option<usize> {
        match self {
            Self::Batch(a) => a.max_constraint_degree(),
            Self::Chain(a) => a.max_constraint_degree(),
        }
    }
}

impl<AB> Air<AB> for CustodiaAir
where
    AB: InteractionBuilder<F = Val>,
{
    fn eval(&self, builder: &mut AB) {
        match self {
            Self::Batch(a) => a.eval(builder),
            Self::Chain(a) => a.eval(builder),
        }
    }
}

impl CustodiaAir {
    /// The AIRs of a batch proof, in proof order: the batch AIR on `2^log_batch` rows and the
    /// chain AIR on `2^chain_log_rows` rows ([`crate::chain::log_rows`]).
    pub fn all(num_assets: usize, log_batch: u32, chain_log_rows: u32) -> Vec<Self> {
        vec![
            Self::Batch(BatchAir::new(num_assets, log_batch)),
            Self::Chain(ChainAir::new(num_assets, chain_log_rows)),
        ]
    }

    /// log2 of the trace height of each AIR in [`CustodiaAir::all`] order.
    pub fn log_heights(log_batch: u32, chain_log_rows: u32) -> Vec<u32> {
        vec![log_batch, chain_log_rows]
    }
}
