//! Filling one width-12 Poseidon2 permutation's columns in place in the `p3-poseidon2-air`
//! layout (the chain AIR's commitments), with the gadget's constants ([`RC12`]). The batch AIR's
//! permutations use [`custodia_air::gadget`], which fills its own columns.

use custodia_air::air::PermCols;
use custodia_air::config::Val;
use custodia_air::gadget::{RC12, RoundConstants};
use custodia_hash::{GenericPoseidon2LinearLayersGoldilocks as Layers, HALF_FULL_ROUNDS, WIDTH};
use p3_field::PrimeCharacteristicRing;
use p3_poseidon2::GenericPoseidon2LinearLayers;

/// `x^7` with the committed register `x^3`.
#[inline]
fn sbox(x: Val, register: &mut [Val; 1]) -> Val {
    let x3 = x.cube();
    register[0] = x3;
    x3 * x3 * x
}

/// Writes the trace of the width-12 `P(input)` into `cols` and returns the output state.
pub fn fill_perm(cols: &mut PermCols<Val>, input: [Val; WIDTH]) -> [Val; WIDTH] {
    let rc: &RoundConstants<WIDTH> = &RC12;
    cols.inputs = input;
    let mut state = input;
    Layers::external_linear_layer(&mut state);
    for (r, round) in cols.beginning_full_rounds.iter_mut().enumerate() {
        for (i, lane) in state.iter_mut().enumerate() {
            *lane = sbox(*lane + rc.full(r, i), &mut round.sbox[i].0);
        }
        Layers::external_linear_layer(&mut state);
        round.post = state;
    }
    for (p, round) in cols.partial_rounds.iter_mut().enumerate() {
        state[0] = sbox(state[0] + rc.partial(p), &mut round.sbox.0);
        round.post_sbox = state[0];
        Layers::internal_linear_layer(&mut state);
    }
    for (r, round) in cols.ending_full_rounds.iter_mut().enumerate() {
        for (i, lane) in state.iter_mut().enumerate() {
            *lane = sbox(
                *lane + rc.full(HALF_FULL_ROUNDS + r, i),
                &mut round.sbox[i].0,
            );
        }
        Layers::external_linear_layer(&mut state);
        round.post = state;
    }
    state
}

#[cfg(test)]
mod tests {
    use core::borrow::BorrowMut;

    use custodia_air::layout::{LEAF_PERM_COLS, PERM_COLS};
    use custodia_hash::{LEAF_RATE, LEAF_WIDTH, WIDTH};
    use p3_symmetric::Permutation;

    use super::*;

    #[test]
    fn matches_the_native_permutation() {
        let mut row = vec![Val::ZERO; PERM_COLS];
        let input: [Val; WIDTH] = core::array::from_fn(|i| Val::from_u64(i as u64 * 7919 + 3));
        let cols: &mut PermCols<Val> = row.as_mut_slice().borrow_mut();
        let out = fill_perm(cols, input);
        let mut native = input;
        custodia_hash::permute(&mut native);
        assert_eq!(out, native);
        // Negative twin: another input gives another output.
        let mut other = input;
        other[0] += Val::ONE;
        custodia_hash::permute(&mut other);
        assert_ne!(out, other);
    }

    #[test]
    fn gadget_columns_match_the_native_permutations() {
        use custodia_air::gadget::{KEPT, LEAF_GADGET, NODE_GADGET};
        use custodia_air::layout::NODE_PERM_COLS;

        let input: [Val; LEAF_WIDTH] =
            core::array::from_fn(|i| Val::from_u64(i as u64 * 104_729 + 11));
        let native = custodia_hash::leaf_permutation().permute(input);
        // The digest lanes, and the capacity lanes the next sponge permutation carries.
        for first_kept in [0, LEAF_RATE] {
            let mut row = vec![Val::ZERO; LEAF_PERM_COLS];
            let out = LEAF_GADGET.fill(&mut row, input, first_kept);
            assert_eq!(out, native);
            assert_eq!(
                row[LEAF_PERM_COLS - KEPT..],
                native[first_kept..first_kept + KEPT]
            );
        }
        // Negative twin: another input gives another output.
        let mut other = input;
        other[LEAF_WIDTH - 1] += Val::ONE;
        assert_ne!(native, custodia_hash::leaf_permutation().permute(other));

        let input: [Val; WIDTH] = core::array::from_fn(|i| Val::from_u64(i as u64 * 7919 + 3));
        let mut row = vec![Val::ZERO; NODE_PERM_COLS];
        let out = NODE_GADGET.fill(&mut row, input, 0);
        let mut native = input;
        custodia_hash::permute(&mut native);
        assert_eq!(out, native);
        assert_eq!(row[NODE_PERM_COLS - KEPT..], native[..KEPT]);
    }
}
