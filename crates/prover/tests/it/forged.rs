//! Hand-forged traces that bypass the prover's refusals: the constraint system alone must reject
//! them. Each negative has a positive control built by the same forging path at the boundary.
//!
//! Every forged trace is proven for real and handed to the verifier, which must reject it with
//! [`VerifyError::Rejected`]. In test builds too: the workspace builds `p3-batch-stark` without
//! debug assertions, so its prover does not stop at the first violated constraint (it would
//! panic there, and the verifier would never be exercised).

use custodia_air::{BatchPublicInputs, ProofOptions};
use custodia_hash::Digest;
use custodia_prover::{BatchTraces, RawLeaves, generate_traces, prove_traces};
use custodia_verifier::{VerifiedBatch, VerifyError, verify_batch};

use crate::common::params;

const A: usize = 2;
const K: u32 = 7;
/// The chain AIR's rows for these options.
const CHAIN_LOG: u32 = custodia_air::chain::log_rows(A, ProofOptions::STANDARD.min_log_rows());

fn leaves() -> (Vec<Digest>, Vec<u64>) {
    let n = 1usize << K;
    let uids = (0..n as u64)
        .map(|i| Digest([i, i + 1, i + 2, i + 3]))
        .collect();
    let mut values = vec![0u64; n * 2 * A];
    for r in 0..n {
        values[r * 2 * A] = 1_000 + r as u64; // equity of asset 0
    }
    (uids, values)
}

/// The traces of the forged leaves, as they are.
fn forged(values: &[u64]) -> BatchTraces {
    let (uids, _) = leaves();
    let raw = RawLeaves {
        log_batch: K,
        batch_index: 0,
        uids: &uids,
        values,
    };
    generate_traces(&raw, &params(A), CHAIN_LOG)
}

/// Proves `traces` without any statement check and verifies the proof against `public`.
fn verdict(traces: &BatchTraces, public: &BatchPublicInputs) -> Result<VerifiedBatch, VerifyError> {
    let proof = prove_traces(traces, &ProofOptions::STANDARD, [3; 32])
        .expect("the prover proves any trace it is given");
    verify_batch(&proof, public)
}

/// The verifier rejects the proof of `traces` because the STARK does not verify (not because of
/// a shape or bounds check that would pass over the constraint system).
fn assert_rejected(traces: &BatchTraces, public: &BatchPublicInputs) {
    match verdict(traces, public) {
        Err(VerifyError::Rejected(_)) => {}
        Ok(_) => panic!("the verifier accepted a forged proof"),
        Err(other) => panic!("rejected before the STARK was checked: {other}"),
    }
}

#[test]
fn boundary_values_prove() {
    // Positive control: the largest amount, and a user with exactly zero collateral surplus.
    let (_, mut values) = leaves();
    values[5 * 2 * A + 2] = (1 << 62) - 1;
    let p = params(A);
    let eq = 1_000_000u64;
    let surplus = eq as u128 * p.assets[0].equity_weight() as u128;
    let d_w = p.assets[0].debt_weight() as u128;
    assert_eq!(surplus % d_w, 0, "fixture: exact boundary");
    values[9 * 2 * A] = eq;
    values[9 * 2 * A + 1] = (surplus / d_w) as u64;
    let traces = forged(&values);
    verdict(&traces, &traces.public).expect("boundary values verify");
}

#[test]
fn balance_of_2_pow_62_is_rejected() {
    let (_, mut values) = leaves();
    values[5 * 2 * A + 2] = 1 << 62;
    let traces = forged(&values);
    assert_rejected(&traces, &traces.public);
}

#[test]
fn negative_balance_is_rejected() {
    // −1 in the field (p − 1 = 2^64 − 2^32) as the equity of asset 1: collateral still holds,
    // only the range check can catch it.
    let (_, mut values) = leaves();
    values[7 * 2 * A + 2] = 0xffff_ffff_0000_0000;
    let traces = forged(&values);
    assert_rejected(&traces, &traces.public);
}

#[test]
fn undercollateralised_user_is_rejected() {
    let (_, mut values) = leaves();
    let p = params(A);
    let eq = 1_000_000u64;
    let surplus = eq as u128 * p.assets[0].equity_weight() as u128;
    values[9 * 2 * A] = eq;
    values[9 * 2 * A + 1] = (surplus / p.assets[0].debt_weight() as u128) as u64 + 1;
    let traces = forged(&values);
    assert_rejected(&traces, &traces.public);
}

#[test]
fn root_of_other_leaves_is_rejected() {
    // Forge: the honest trace of leaves L, but row 1 (the root's compression) taken from the trace
    // of leaves L' (leaf 100 changed) and L''s root claimed. The tree bus must catch it.
    use custodia_air::layout::{BatchLayout, NODE_PERM_COLS};
    let (uids, values) = leaves();
    let mut other = values.clone();
    other[100 * 2 * A] += 1;
    let p = params(A);
    let honest = generate_traces(
        &RawLeaves {
            log_batch: K,
            batch_index: 0,
            uids: &uids,
            values: &values,
        },
        &p,
        CHAIN_LOG,
    );
    let alt = generate_traces(
        &RawLeaves {
            log_batch: K,
            batch_index: 0,
            uids: &uids,
            values: &other,
        },
        &p,
        CHAIN_LOG,
    );
    assert_ne!(honest.public.batch_root, alt.public.batch_root);
    let l = BatchLayout::new(A, K);
    let mut spliced = honest.clone();
    let w = l.width;
    let cols = w + l.node_in..w + l.node_perm + NODE_PERM_COLS; // row 1
    spliced.main.values[cols.clone()].copy_from_slice(&alt.main.values[cols]);
    spliced.public.batch_root = alt.public.batch_root;
    assert_rejected(&spliced, &spliced.public);
    // Negative twin: the unforged trace with its own root verifies.
    verdict(&honest, &honest.public).expect("honest trace verifies");
}

/// Traces of the honest leaves, but with word 0 of the incoming running totals set to `word`.
fn with_incoming_word(word: u64) -> BatchTraces {
    let (uids, values) = leaves();
    let mut p = params(A);
    p.chain_in.state[0].equity_lo = word;
    let raw = RawLeaves {
        log_batch: K,
        batch_index: 0,
        uids: &uids,
        values: &values,
    };
    generate_traces(&raw, &p, CHAIN_LOG)
}

#[test]
fn a_running_total_limb_that_would_wrap_is_rejected() {
    // S_in = p − 1000: the batch adds more than 1000 to this word, so S_out = S_in + sums wraps
    // the field to a small total. The chain AIR's limbs of S_in (16, 16, 16, 15 bits) cannot
    // express a word ≥ 2^63, whatever the start the chain opened.
    let p_minus = 0xffff_ffff_0000_0001u64 - 1_000;
    let traces = with_incoming_word(p_minus);
    assert!(
        traces.state_out[0].equity_lo < 1 << 32,
        "the forged total wraps the field"
    );
    assert_rejected(&traces, &traces.public);
    // The first word that does not fit 63 bits, without any wrap: rejected too.
    let traces = with_incoming_word(1 << 63);
    assert_rejected(&traces, &traces.public);
}

#[test]
fn the_largest_running_total_word_proves() {
    // Negative twin: 2^63 − 1 is in range and S_out = S_in + sums stays below p.
    let traces = with_incoming_word((1 << 63) - 1);
    verdict(&traces, &traces.public).expect("a running total word of 2^63 − 1 verifies");
}

#[test]
fn sums_sent_to_the_chain_must_match_the_batch() {
    // Forge: the chain AIR's trace of other leaves (leaf 3 changed), with its commitments claimed,
    // spliced beside this batch's own trace: the sums message on the chain bus disagrees.
    let (uids, values) = leaves();
    let mut other = values.clone();
    other[3 * 2 * A] += 1;
    let p = params(A);
    let raw = |v| RawLeaves {
        log_batch: K,
        batch_index: 0,
        uids: &uids,
        values: v,
    };
    let honest = generate_traces(&raw(&values), &p, CHAIN_LOG);
    let alt = generate_traces(&raw(&other), &p, CHAIN_LOG);
    assert_ne!(honest.public.chain_out, alt.public.chain_out);
    let mut spliced = honest.clone();
    spliced.chain = alt.chain.clone();
    spliced.public.chain_out = alt.public.chain_out;
    assert_rejected(&spliced, &spliced.public);
}

/// Traces of honest leaves of `a` assets whose incoming running-total words (in the chain's
/// order e_lo, e_hi, d_lo, d_hi per asset) listed in `words` are set to `value`.
fn with_words(a: usize, words: &[usize], value: u64) -> BatchTraces {
    let n = 1usize << K;
    let uids: Vec<Digest> = (0..n as u64)
        .map(|i| Digest([i, i + 1, i + 2, i + 3]))
        .collect();
    let mut values = vec![0u64; n * 2 * a];
    for r in 0..n {
        values[r * 2 * a] = 1_000 + r as u64;
    }
    let mut p = params(a);
    // A salt no range check would pass (p − 1 … p − 4), so a lane that checks it fails.
    p.chain_in.salt = Digest([
        0xffff_ffff_0000_0000 - 3,
        0xffff_ffff_0000_0000 - 2,
        0xffff_ffff_0000_0000 - 1,
        0xffff_ffff_0000_0000,
    ]);
    for &w in words {
        let t = &mut p.chain_in.state[w / 4];
        let word = [
            &mut t.equity_lo,
            &mut t.equity_hi,
            &mut t.debt_lo,
            &mut t.debt_hi,
        ];
        *word.into_iter().nth(w % 4).expect("four words per asset") = value;
    }
    let raw = RawLeaves {
        log_batch: K,
        batch_index: 0,
        uids: &uids,
        values: &values,
    };
    let chain_log = custodia_air::chain::log_rows(a, ProofOptions::STANDARD.min_log_rows());
    generate_traces(&raw, &p, chain_log)
}

#[test]
fn a_word_of_2_pow_63_is_rejected_in_every_lane_of_the_window() {
    // The chain AIR checks eight incoming words per row (row r: words 8r..8r + 8, lanes 0..4
    // gated by one selector and 4..8 by another). Three assets: row 0 holds words 0..8, row 1
    // holds words 8..12 in its lower lanes and the salt in its upper ones. A word of 2^63 in an
    // upper lane of row 0, in its last lane, and as the very last word (row 1, lane 3): each
    // is caught.
    for w in [4, 7, 11] {
        let traces = with_words(3, &[w], 1 << 63);
        assert_rejected(&traces, &traces.public);
    }
}

#[test]
fn words_of_2_pow_63_minus_1_in_every_lane_prove() {
    // Negative twin: every one of the twelve words at the largest value in range verifies
    // (the salt of elements near p, in row 1's upper lanes, is not mistaken for a word).
    let traces = with_words(3, &(0..12).collect::<Vec<_>>(), (1 << 63) - 1);
    verdict(&traces, &traces.public).expect("words of 2^63 − 1 verify with three assets");
}

#[test]
fn a_leaf_permutation_cell_out_of_step_is_rejected() {
    // The leaf sponge's permutations commit only their S-box registers, round outputs and four
    // output lanes (`custodia_air::gadget`): every cell is pinned by the cells before it. Change
    // one partial-round register of row 5's first leaf permutation and the proof must fail; the
    // untouched trace (positive control) verifies.
    use custodia_air::gadget::GadgetLayout;
    use custodia_air::layout::BatchLayout;
    use custodia_hash::LEAF_WIDTH;
    use p3_field::PrimeCharacteristicRing;

    let (_, values) = leaves();
    let honest = forged(&values);
    verdict(&honest, &honest.public).expect("honest trace verifies");
    let l = BatchLayout::new(A, K);
    let cell = 5 * l.width + l.perm(0) + GadgetLayout::<LEAF_WIDTH>::partial_sbox(3);
    let mut bad = honest.clone();
    bad.main.values[cell] += custodia_air::config::Val::ONE;
    assert_rejected(&bad, &bad.public);
    // The last of the four kept output lanes, on another row: also pinned.
    let cell = 9 * l.width + l.perm(0) + GadgetLayout::<LEAF_WIDTH>::kept(3);
    let mut bad = honest.clone();
    bad.main.values[cell] += custodia_air::config::Val::ONE;
    assert_rejected(&bad, &bad.public);
}
