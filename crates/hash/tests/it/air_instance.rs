//! The hash instance is provable: `p3-poseidon2-air`, fed `air_round_constants()`, computes exactly
//! the permutation `custodia_hash` hashes with. Checked by proving a small trace with `p3-uni-stark`
//! whose public values pin the first row's input and output to what the native permutation says.

use std::borrow::Borrow;

use custodia_hash::{
    F, GenericPoseidon2LinearLayersGoldilocks, HALF_FULL_ROUNDS, PARTIAL_ROUNDS, SBOX_DEGREE,
    SBOX_REGISTERS, WIDTH, air_round_constants, compress, compress_input, permutation,
};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_challenger::DuplexChallenger;
use p3_commit::ExtensionMmcs;
use p3_dft::Radix2DitParallel;
use p3_field::PrimeCharacteristicRing;
use p3_field::extension::BinomialExtensionField;
use p3_fri::{FriParameters, TwoAdicFriPcs};
use p3_merkle_tree::MerkleTreeMmcs;
use p3_poseidon2_air::{
    Poseidon2Air, Poseidon2Cols, RoundConstants, generate_trace_rows, num_cols,
};
use p3_symmetric::{PaddingFreeSponge, Permutation, TruncatedPermutation};
use p3_uni_stark::{StarkConfig, SubAirBuilder, VerificationError, prove, verify};
use rand::SeedableRng;
use rand::rngs::StdRng;

type P2Air = Poseidon2Air<
    F,
    GenericPoseidon2LinearLayersGoldilocks,
    WIDTH,
    SBOX_DEGREE,
    SBOX_REGISTERS,
    HALF_FULL_ROUNDS,
    PARTIAL_ROUNDS,
>;
type Cols<T> =
    Poseidon2Cols<T, WIDTH, SBOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>;
const NCOLS: usize =
    num_cols::<WIDTH, SBOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>();

/// One permutation per row; public values = first row's input (12) and output (12).
struct PinnedPermAir(P2Air);

impl BaseAir<F> for PinnedPermAir {
    fn width(&self) -> usize {
        NCOLS
    }
    fn num_public_values(&self) -> usize {
        2 * WIDTH
    }
    fn max_constraint_degree(&self) -> Option<usize> {
        Some(3)
    }
}

impl<AB: AirBuilder<F = F>> Air<AB> for PinnedPermAir {
    fn eval(&self, builder: &mut AB) {
        {
            let mut sub = SubAirBuilder::<AB, P2Air, AB::Var>::new(builder, 0..NCOLS);
            self.0.eval(&mut sub);
        }
        let main = builder.main();
        let local: &Cols<AB::Var> = main.current_slice().borrow();
        let pis: Vec<AB::Expr> = builder.public_values().iter().map(|&v| v.into()).collect();
        let out = &local.ending_full_rounds[HALF_FULL_ROUNDS - 1].post;
        let mut first = builder.when_first_row();
        for i in 0..WIDTH {
            first.assert_eq(local.inputs[i], pis[i].clone());
            first.assert_eq(out[i], pis[WIDTH + i].clone());
        }
    }
}

type Challenge = BinomialExtensionField<F, 2>;
type Perm = custodia_hash::Perm;
type ValMmcs = MerkleTreeMmcs<
    F,
    F,
    PaddingFreeSponge<Perm, WIDTH, 8, 4>,
    TruncatedPermutation<Perm, 2, 4, WIDTH>,
    2,
    4,
>;
type ChallengeMmcs = ExtensionMmcs<F, Challenge, ValMmcs>;
type Pcs = TwoAdicFriPcs<F, Radix2DitParallel<F>, ValMmcs, ChallengeMmcs>;
type Config = StarkConfig<Pcs, Challenge, DuplexChallenger<F, Perm, WIDTH, 8>>;

fn config() -> Config {
    let perm = permutation().clone();
    let mmcs = ValMmcs::new(
        PaddingFreeSponge::new(perm.clone()),
        TruncatedPermutation::new(perm.clone()),
        0,
    );
    let fri = FriParameters::new_testing(ChallengeMmcs::new(mmcs.clone()), 0);
    let pcs = Pcs::new(Radix2DitParallel::default(), mmcs, fri);
    Config::new(pcs, DuplexChallenger::new(perm))
}

fn trace_for(
    inputs: Vec<[F; WIDTH]>,
    constants: &RoundConstants<F, WIDTH, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>,
) -> p3_matrix::dense::RowMajorMatrix<F> {
    generate_trace_rows::<
        F,
        GenericPoseidon2LinearLayersGoldilocks,
        WIDTH,
        SBOX_DEGREE,
        SBOX_REGISTERS,
        HALF_FULL_ROUNDS,
        PARTIAL_ROUNDS,
    >(inputs, constants, 0)
}

fn sample_inputs(n: usize) -> Vec<[F; WIDTH]> {
    let a = custodia_hash::Digest([1, 2, 3, 4]);
    let b = custodia_hash::Digest([5, 6, 7, 8]);
    let mut v = vec![compress_input(&a, &b)];
    v.extend((1..n).map(|i| core::array::from_fn(|j| F::from_u64((i * WIDTH + j) as u64))));
    v
}

#[test]
fn air_trace_matches_native_permutation_for_every_row() {
    let inputs = sample_inputs(64);
    let trace = trace_for(inputs.clone(), &air_round_constants());
    for (row, input) in trace.values.chunks_exact(NCOLS).zip(&inputs) {
        let cols: &Cols<F> = row.borrow();
        assert_eq!(
            cols.ending_full_rounds[HALF_FULL_ROUNDS - 1].post,
            permutation().permute(*input)
        );
    }
    // And the first row is exactly the tree's node compression.
    let first: &Cols<F> = trace.values[..NCOLS].borrow();
    let node = compress(
        &custodia_hash::Digest([1, 2, 3, 4]),
        &custodia_hash::Digest([5, 6, 7, 8]),
    );
    assert_eq!(
        custodia_hash::Digest::from_field(
            first.ending_full_rounds[HALF_FULL_ROUNDS - 1].post[..4]
                .try_into()
                .unwrap()
        ),
        node
    );
}

fn public_values(input: [F; WIDTH]) -> Vec<F> {
    let mut pv = input.to_vec();
    pv.extend(permutation().permute(input));
    pv
}

#[test]
fn stark_proves_the_native_permutation() {
    let inputs = sample_inputs(64);
    let air = PinnedPermAir(P2Air::new(air_round_constants()));
    let config = config();
    let pv = public_values(inputs[0]);
    let proof = prove(
        &config,
        &air,
        trace_for(inputs, &air_round_constants()),
        &pv,
    )
    .expect("proves");
    verify(&config, &air, &proof, &pv).expect("verifies");

    // Negative twin: the same proof with a claimed output one unit off is rejected.
    let mut wrong = pv.clone();
    wrong[WIDTH] += F::ONE;
    assert!(verify(&config, &air, &proof, &wrong).is_err());
}

#[test]
fn a_different_poseidon2_instance_does_not_prove_our_hash() {
    // Negative twin: an AIR with other round constants cannot show our permutation's output.
    let other = RoundConstants::from_rng(&mut StdRng::seed_from_u64(7));
    let air = PinnedPermAir(P2Air::new(other.clone()));
    let config = config();
    let inputs = sample_inputs(64);
    let pv = public_values(inputs[0]);
    // The trace is honest for the *other* instance, so its output differs from ours. It is proven
    // as it is (the workspace builds p3-uni-stark without its debug-only constraint check) and
    // the verifier must reject it.
    let proof = prove(&config, &air, trace_for(inputs, &other), &pv)
        .expect("the prover proves any trace it is given");
    let err = verify(&config, &air, &proof, &pv)
        .expect_err("a foreign instance must not verify against our outputs");
    assert!(
        matches!(err, VerificationError::OodEvaluationMismatch { .. }),
        "rejected by the constraints, not by a shape check: {err:?}"
    );
}

type LeafCols<T> = Poseidon2Cols<
    T,
    { custodia_hash::LEAF_WIDTH },
    SBOX_DEGREE,
    SBOX_REGISTERS,
    HALF_FULL_ROUNDS,
    PARTIAL_ROUNDS,
>;
const LEAF_NCOLS: usize = num_cols::<
    { custodia_hash::LEAF_WIDTH },
    SBOX_DEGREE,
    SBOX_REGISTERS,
    HALF_FULL_ROUNDS,
    PARTIAL_ROUNDS,
>();

fn leaf_trace_for(
    inputs: Vec<[F; custodia_hash::LEAF_WIDTH]>,
    constants: &RoundConstants<F, { custodia_hash::LEAF_WIDTH }, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>,
) -> p3_matrix::dense::RowMajorMatrix<F> {
    generate_trace_rows::<
        F,
        GenericPoseidon2LinearLayersGoldilocks,
        { custodia_hash::LEAF_WIDTH },
        SBOX_DEGREE,
        SBOX_REGISTERS,
        HALF_FULL_ROUNDS,
        PARTIAL_ROUNDS,
    >(inputs, constants, 0)
}

#[test]
fn width_20_air_trace_matches_the_leaf_permutation() {
    use custodia_hash::{LEAF_WIDTH, leaf_air_round_constants, leaf_permutation};
    let inputs: Vec<[F; LEAF_WIDTH]> = (0..16)
        .map(|i| core::array::from_fn(|j| F::from_u64((i * LEAF_WIDTH + j) as u64 * 0x9e37)))
        .collect();
    let trace = leaf_trace_for(inputs.clone(), &leaf_air_round_constants());
    for (row, input) in trace.values.chunks_exact(LEAF_NCOLS).zip(&inputs) {
        let cols: &LeafCols<F> = row.borrow();
        assert_eq!(
            cols.ending_full_rounds[HALF_FULL_ROUNDS - 1].post,
            leaf_permutation().permute(*input)
        );
    }
    // Negative twin: other constants give a trace whose outputs are not the leaf permutation's.
    let other = RoundConstants::from_rng(&mut StdRng::seed_from_u64(16));
    let foreign = leaf_trace_for(inputs.clone(), &other);
    let cols: &LeafCols<F> = foreign.values[..LEAF_NCOLS].borrow();
    assert_ne!(
        cols.ending_full_rounds[HALF_FULL_ROUNDS - 1].post,
        leaf_permutation().permute(inputs[0])
    );
}
