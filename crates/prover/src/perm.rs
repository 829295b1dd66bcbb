//! Filling one Poseidon2 permutation's columns in place (the `p3-poseidon2-air` layout).

use custodia_air::air::PermCols;
use custodia_air::config::Val;
use custodia_hash::{GenericPoseidon2LinearLayersGoldilocks as Layers, HALF_FULL_ROUNDS, WIDTH};
use p3_field::PrimeCharacteristicRing;
use p3_goldilocks::{
    GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_FINAL as RC_FINAL,
    GOLDILOCKS_POSEIDON2_RC_12_EXTERNAL_INITIAL as RC_INITIAL,
    GOLDILOCKS_POSEIDON2_RC_12_INTERNAL as RC_INTERNAL,
};
use p3_poseidon2::GenericPoseidon2LinearLayers;

/// `x^7` with the committed register `x^3`.
#[inline]
fn sbox(x: Val, register: &mut [Val; 1]) -> Val {
    let x3 = x.cube();
    register[0] = x3;
    x3 * x3 * x
}

/// Writes the trace of `P(input)` into `cols` and returns the output state.
pub fn fill_perm(cols: &mut PermCols<Val>, input: [Val; WIDTH]) -> [Val; WIDTH] {
    cols.inputs = input;
    let mut state = input;
    Layers::external_linear_layer(&mut state);
    for (round, rc) in cols.beginning_full_rounds.iter_mut().zip(&RC_INITIAL) {
        for i in 0..WIDTH {
            state[i] = sbox(state[i] + rc[i], &mut round.sbox[i].0);
        }
        Layers::external_linear_layer(&mut state);
        round.post = state;
    }
    for (round, &rc) in cols.partial_rounds.iter_mut().zip(&RC_INTERNAL) {
        state[0] = sbox(state[0] + rc, &mut round.sbox.0);
        round.post_sbox = state[0];
        Layers::internal_linear_layer(&mut state);
    }
    for (round, rc) in cols.ending_full_rounds.iter_mut().zip(&RC_FINAL) {
        for i in 0..WIDTH {
            state[i] = sbox(state[i] + rc[i], &mut round.sbox[i].0);
        }
        Layers::external_linear_layer(&mut state);
        round.post = state;
    }
    debug_assert_eq!(state, cols.ending_full_rounds[HALF_FULL_ROUNDS - 1].post);
    state
}

#[cfg(test)]
mod tests {
    use core::borrow::BorrowMut;

    use custodia_air::layout::PERM_COLS;

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
}
