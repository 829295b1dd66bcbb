//! A Poseidon2 permutation inside a larger AIR row, narrower than `p3-poseidon2-air`'s block.
//!
//! `p3-poseidon2-air` commits a permutation's `W` inputs and every lane of its last round's
//! output. Inside the batch AIR neither is needed:
//! - the leaf sponge's inputs are already in the row (a value is its limbs, the capacity is the
//!   previous permutation's output or a constant), so the gadget takes them as **expressions**;
//! - a permutation's consumer reads four output lanes (the digest, or the capacity the next
//!   sponge permutation carries), so only those four lanes of the last round are committed.
//!
//! That saves `W + (W − 4)` columns per permutation (36 of 384 at width 20, 20 of 248 at width
//! 12), with the same S-box, the same rounds and degree 3. The columns of one permutation:
//!
//! ```text
//! beginning full rounds (HALF_FULL_ROUNDS × [x³ of W lanes | W lanes after the round])
//! partial rounds        (PARTIAL_ROUNDS × [x³ of lane 0 | lane 0 after the S-box])
//! ending full rounds    ((HALF_FULL_ROUNDS − 1) × [x³ | W lanes after the round])
//! last round            ([x³ of W lanes | the 4 kept lanes after the round])
//! ```
//!
//! Every expression fed to the gadget must have degree 1 (the first round cubes it).

use core::marker::PhantomData;

use custodia_hash::{
    DIGEST_ELEMS, GenericPoseidon2LinearLayersGoldilocks as Layers, HALF_FULL_ROUNDS, LEAF_WIDTH,
    PARTIAL_ROUNDS, RC_20_EXTERNAL_FINAL as RC20_FINAL, RC_20_EXTERNAL_INITIAL as RC20_INITIAL,
    RC_20_INTERNAL as RC20_INTERNAL,
};
use p3_air::AirBuilder;
use p3_field::PrimeCharacteristicRing;
use p3_goldilocks::{
    GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_FINAL as RC12_FINAL,
    GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_INITIAL as RC12_INITIAL,
    GOLDILOCKS_POSEIDON2_RC_12_INTERNAL as RC12_INTERNAL,
};
use p3_poseidon2::GenericPoseidon2LinearLayers;

use crate::config::Val;

/// Output lanes a gadget commits.
pub const KEPT: usize = DIGEST_ELEMS;

/// One round of the permutation, in the order it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Round {
    /// Full round `r` (`0..2·HALF_FULL_ROUNDS`): every lane through the S-box.
    Full(usize),
    /// Partial round `p`: lane 0 through the S-box.
    Partial(usize),
}

/// The last full round: only its [`KEPT`] lanes are committed.
const LAST_FULL: usize = 2 * HALF_FULL_ROUNDS - 1;

/// Every round in order: the beginning full rounds, the partial rounds, the ending full rounds.
/// [`Poseidon2Gadget::eval`] and [`Poseidon2Gadget::fill`] walk the same schedule.
const ROUNDS: [Round; 2 * HALF_FULL_ROUNDS + PARTIAL_ROUNDS] = {
    let mut rounds = [Round::Full(0); 2 * HALF_FULL_ROUNDS + PARTIAL_ROUNDS];
    let mut k = 0;
    while k < rounds.len() {
        rounds[k] = if k < HALF_FULL_ROUNDS {
            Round::Full(k)
        } else if k < HALF_FULL_ROUNDS + PARTIAL_ROUNDS {
            Round::Partial(k - HALF_FULL_ROUNDS)
        } else {
            Round::Full(k - PARTIAL_ROUNDS)
        };
        k += 1;
    }
    rounds
};

/// Columns of a width-`w` gadget.
pub const fn gadget_cols(w: usize) -> usize {
    2 * w * HALF_FULL_ROUNDS + 2 * PARTIAL_ROUNDS + 2 * w * (HALF_FULL_ROUNDS - 1) + w + KEPT
}

/// Where each group of a width-`W` gadget's columns lives, relative to its first column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GadgetLayout<const W: usize>;

impl<const W: usize> GadgetLayout<W> {
    /// Columns of the gadget.
    pub const COLS: usize = gadget_cols(W);
    const PARTIAL: usize = 2 * W * HALF_FULL_ROUNDS;
    const ENDING: usize = Self::PARTIAL + 2 * PARTIAL_ROUNDS;
    const LAST: usize = Self::ENDING + 2 * W * (HALF_FULL_ROUNDS - 1);

    /// `x³` register of lane `i` in full round `r` (`0..2·HALF_FULL_ROUNDS`).
    pub const fn full_sbox(r: usize, i: usize) -> usize {
        if r < HALF_FULL_ROUNDS {
            2 * W * r + i
        } else {
            Self::ENDING + 2 * W * (r - HALF_FULL_ROUNDS) + i
        }
    }

    /// Lane `i` after full round `r`, for every round but the last.
    pub const fn full_post(r: usize, i: usize) -> usize {
        Self::full_sbox(r, i) + W
    }

    /// `x³` register of partial round `p`.
    pub const fn partial_sbox(p: usize) -> usize {
        Self::PARTIAL + 2 * p
    }

    /// Lane 0 after the S-box of partial round `p`.
    pub const fn partial_post(p: usize) -> usize {
        Self::PARTIAL + 2 * p + 1
    }

    /// Kept output lane `k` (`0..KEPT`).
    pub const fn kept(k: usize) -> usize {
        Self::LAST + W + k
    }
}

/// The round constants of one instance: initial full rounds, partial rounds, final full rounds.
#[derive(Debug, Clone, Copy)]
pub struct RoundConstants<const W: usize> {
    initial: &'static [[Val; W]; HALF_FULL_ROUNDS],
    internal: &'static [Val; PARTIAL_ROUNDS],
    terminal: &'static [[Val; W]; HALF_FULL_ROUNDS],
}

impl<const W: usize> RoundConstants<W> {
    /// Constant `i` of full round `r` (`0..2·HALF_FULL_ROUNDS`).
    pub const fn full(&self, r: usize, i: usize) -> Val {
        if r < HALF_FULL_ROUNDS {
            self.initial[r][i]
        } else {
            self.terminal[r - HALF_FULL_ROUNDS][i]
        }
    }

    /// Constant of partial round `p`.
    pub const fn partial(&self, p: usize) -> Val {
        self.internal[p]
    }
}

/// Constants of Custodia's width-12 instance (`custodia_hash::permutation`).
pub const RC12: RoundConstants<12> = RoundConstants {
    initial: &RC12_INITIAL,
    internal: &RC12_INTERNAL,
    terminal: &RC12_FINAL,
};

/// Constants of the leaf sponge's width-20 instance (`custodia_hash::leaf_permutation`).
pub const RC20: RoundConstants<LEAF_WIDTH> = RoundConstants {
    initial: &RC20_INITIAL,
    internal: &RC20_INTERNAL,
    terminal: &RC20_FINAL,
};

/// One width-`W` permutation of the hash instance with constants [`RoundConstants`].
#[derive(Debug, Clone, Copy)]
pub struct Poseidon2Gadget<const W: usize> {
    rc: RoundConstants<W>,
    _layers: PhantomData<Layers>,
}

/// The width-12 gadget (node compressions).
pub const NODE_GADGET: Poseidon2Gadget<12> = Poseidon2Gadget {
    rc: RC12,
    _layers: PhantomData,
};

/// The width-20 gadget (leaf sponge).
pub const LEAF_GADGET: Poseidon2Gadget<LEAF_WIDTH> = Poseidon2Gadget {
    rc: RC20,
    _layers: PhantomData,
};

impl<const W: usize> Poseidon2Gadget<W>
where
    Layers: GenericPoseidon2LinearLayers<W>,
{
    /// Constrains `cols` (the gadget's [`GadgetLayout::COLS`] columns) to be the permutation of
    /// `input` whose output lanes `first_kept..first_kept + KEPT` are the kept columns, which it
    /// returns.
    pub fn eval<AB: AirBuilder<F = Val>>(
        &self,
        builder: &mut AB,
        cols: &[AB::Var],
        input: [AB::Expr; W],
        first_kept: usize,
    ) -> [AB::Var; KEPT] {
        debug_assert_eq!(cols.len(), GadgetLayout::<W>::COLS);
        debug_assert!(first_kept + KEPT <= W);
        let mut state = input;
        Layers::external_linear_layer(&mut state);
        for round in ROUNDS {
            match round {
                Round::Partial(p) => {
                    let x = state[0].clone() + self.rc.partial(p);
                    let y = sbox(builder, x, cols[GadgetLayout::<W>::partial_sbox(p)]);
                    let post = cols[GadgetLayout::<W>::partial_post(p)];
                    builder.assert_eq(y, post);
                    state[0] = post.into();
                    Layers::internal_linear_layer(&mut state);
                }
                Round::Full(r) => {
                    for (i, lane) in state.iter_mut().enumerate() {
                        let x = lane.clone() + self.rc.full(r, i);
                        *lane = sbox(builder, x, cols[GadgetLayout::<W>::full_sbox(r, i)]);
                    }
                    Layers::external_linear_layer(&mut state);
                    if r < LAST_FULL {
                        for (i, lane) in state.iter_mut().enumerate() {
                            let post = cols[GadgetLayout::<W>::full_post(r, i)];
                            builder.assert_eq(lane.clone(), post);
                            *lane = post.into();
                        }
                    }
                }
            }
        }
        core::array::from_fn(|k| {
            let post = cols[GadgetLayout::<W>::kept(k)];
            builder.assert_eq(state[first_kept + k].clone(), post);
            post
        })
    }

    /// Writes the trace of the permutation of `input` into `cols`, keeping output lanes
    /// `first_kept..first_kept + KEPT`, and returns the whole output state.
    pub fn fill(&self, cols: &mut [Val], input: [Val; W], first_kept: usize) -> [Val; W] {
        debug_assert_eq!(cols.len(), GadgetLayout::<W>::COLS);
        let mut state = input;
        Layers::external_linear_layer(&mut state);
        for round in ROUNDS {
            match round {
                Round::Partial(p) => {
                    let x = state[0] + self.rc.partial(p);
                    let x3 = x.cube();
                    cols[GadgetLayout::<W>::partial_sbox(p)] = x3;
                    state[0] = x3 * x3 * x;
                    cols[GadgetLayout::<W>::partial_post(p)] = state[0];
                    Layers::internal_linear_layer(&mut state);
                }
                Round::Full(r) => {
                    for (i, lane) in state.iter_mut().enumerate() {
                        let x = *lane + self.rc.full(r, i);
                        let x3 = x.cube();
                        cols[GadgetLayout::<W>::full_sbox(r, i)] = x3;
                        *lane = x3 * x3 * x;
                    }
                    Layers::external_linear_layer(&mut state);
                    if r < LAST_FULL {
                        for (i, &lane) in state.iter().enumerate() {
                            cols[GadgetLayout::<W>::full_post(r, i)] = lane;
                        }
                    }
                }
            }
        }
        for k in 0..KEPT {
            cols[GadgetLayout::<W>::kept(k)] = state[first_kept + k];
        }
        state
    }
}

/// `x⁷` through the committed register `x³`: asserts `reg = x³` (degree 3) and returns
/// `reg² · x` (degree 3).
fn sbox<AB: AirBuilder>(builder: &mut AB, x: AB::Expr, reg: AB::Var) -> AB::Expr {
    builder.assert_eq(reg, x.cube());
    reg.into().square() * x
}
