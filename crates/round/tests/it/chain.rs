//! The running-total chain: nothing published holds a batch's sums or a partial sum, and every
//! way to break, reorder, replace or wrap the chain is rejected.

use std::path::Path;
use std::sync::OnceLock;

use custodia_air::AssetTotals;
use custodia_air::chain::{Boundary, commitment};
use custodia_hash::Digest;
use custodia_round::folder::{MANIFEST, proof_key};
use custodia_round::{Blobs, FsBlobs, Silent};
use custodia_sumtree::RoundManifest;
use custodia_verifier::round::RoundError;

use crate::common::{copy_dir, prices, snapshot};

/// A round of four batches whose users hold large, varied balances (so every sum is a large,
/// distinctive number), built and proven once per process.
fn four_batches() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let rows: Vec<_> = (0..300u64)
            .map(|u| {
                let btc = (1u64 << 41) + u * 982_451_653 % (1 << 40);
                let usdt = (1u64 << 43) + u * 961_748_941 % (1 << 42);
                (btc, 0, usdt, if u % 5 == 0 { usdt / 7 } else { 0 })
            })
            .collect();
        let mut params = crate::common::params("chain-4");
        params.min_log_leaves = 9;
        let blobs = FsBlobs::new(dir.path().join("round"));
        custodia_round::build_folder(
            &snapshot(&rows),
            Some(&prices()),
            &params,
            &blobs,
            false,
            &Silent,
        )
        .expect("build");
        custodia_round::prove_all(&blobs, false, custodia_round::DEFAULT_JOBS, &Silent)
            .expect("prove");
        dir
    })
    .path()
}

fn copy() -> (tempfile::TempDir, FsBlobs) {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&four_batches().join("round"), &dir.path().join("round"));
    let blobs = FsBlobs::new(dir.path().join("round"));
    (dir, blobs)
}

fn check(blobs: &FsBlobs) -> Result<(), RoundError> {
    let m = custodia_round::load_manifest(blobs).unwrap();
    custodia_round::check_round(blobs, &m, &Silent).map(|_| ())
}

fn words(t: &AssetTotals) -> [u64; 4] {
    [t.equity_lo, t.equity_hi, t.debt_lo, t.debt_hi]
}

/// Every file of the round a user or the public may see (everything outside `private/`).
fn published_files(blobs: &FsBlobs) -> Vec<(String, Vec<u8>)> {
    blobs
        .list("")
        .unwrap()
        .into_iter()
        .filter(|k| !k.starts_with("private/"))
        .map(|k| {
            let bytes = blobs.get(&k).unwrap();
            (k, bytes)
        })
        .collect()
}

#[test]
fn no_published_file_holds_a_batch_sum_or_a_partial_sum() {
    let blobs = FsBlobs::new(four_batches().join("round"));
    let m = custodia_round::load_manifest(&blobs).unwrap();
    let n = m.shape.num_batches();
    assert_eq!(n, 4);
    let boundaries: Vec<Boundary> = (0..=n)
        .map(|b| custodia_round::read_boundary(&blobs, &m, b).unwrap())
        .collect();
    // What must stay secret: every batch's own sums and every boundary strictly inside the
    // chain, as split words, as whole equity/debt totals, in decimal and in little-endian bytes.
    let mut secrets: Vec<u128> = Vec::new();
    for b in 0..n {
        for (before, after) in boundaries[b].state.iter().zip(&boundaries[b + 1].state) {
            let batch = AssetTotals {
                equity_lo: after.equity_lo - before.equity_lo,
                equity_hi: after.equity_hi - before.equity_hi,
                debt_lo: after.debt_lo - before.debt_lo,
                debt_hi: after.debt_hi - before.debt_hi,
            };
            for t in [&batch, after] {
                secrets.extend(words(t).map(u128::from));
                secrets.extend([t.equity(), t.debt()]);
            }
        }
    }
    // The last boundary is the published totals; only what is not public stays on the list.
    let last = &boundaries[n].state;
    let public: Vec<u128> = last
        .iter()
        .flat_map(|t| {
            words(t)
                .map(u128::from)
                .into_iter()
                .chain([t.equity(), t.debt()])
        })
        .collect();
    secrets.retain(|s| !public.contains(s) && *s >= 1 << 24);
    assert!(secrets.len() > 30, "the test searches for many sums");
    let files = published_files(&blobs);
    assert!(files.iter().any(|(k, _)| k.ends_with(".proof")));
    for (key, bytes) in &files {
        for s in &secrets {
            let decimal = s.to_string();
            assert!(
                !bytes
                    .windows(decimal.len())
                    .any(|w| w == decimal.as_bytes()),
                "{key} holds the partial sum {s} in decimal"
            );
            if let Ok(v) = u64::try_from(*s) {
                let le = v.to_le_bytes();
                assert!(
                    !bytes.windows(8).any(|w| w == le),
                    "{key} holds the partial sum {s} as bytes"
                );
            }
        }
    }
    // Negative twin: the search does find what is published (the totals, in round.json).
    let manifest = &files.iter().find(|(k, _)| k == MANIFEST).unwrap().1;
    let total = last[0].equity().to_string();
    assert!(manifest.windows(total.len()).any(|w| w == total.as_bytes()));
    // ...and would find a partial sum if a file held one.
    let leaked = boundaries[2].state[1].equity_lo.to_string();
    assert!(secrets.contains(&u128::from(boundaries[2].state[1].equity_lo)));
    assert!(
        !manifest
            .windows(leaked.len())
            .any(|w| w == leaked.as_bytes())
    );
    // The whole round verifies without them.
    check(&blobs).expect("verified");
}

#[test]
fn a_broken_chain_is_rejected() {
    let (_dir, blobs) = copy();
    let m = custodia_round::load_manifest(&blobs).unwrap();
    // Batch 2 proven again from its true totals but another salt before it: a valid proof that
    // does not continue batch 1.
    let w = custodia_round::read_witness(&blobs, &m, 2).unwrap();
    let mut chain_in = custodia_round::read_boundary(&blobs, &m, 2).unwrap();
    chain_in.salt.0[0] ^= 1;
    let chain_out = custodia_round::read_boundary(&blobs, &m, 3).unwrap();
    let proven = custodia_round::prove_batch(&m, 2, &w, (&chain_in, &chain_out)).unwrap();
    custodia_round::store_proof(&blobs, 2, &proven).unwrap();
    assert!(
        matches!(check(&blobs), Err(RoundError::Chain { batch: 2, .. })),
        "{:?}",
        check(&blobs)
    );
}

#[test]
fn two_batches_swapped_are_rejected() {
    let (_dir, blobs) = copy();
    for ext in ["proof", "json"] {
        let one = blobs.get(&proof_key(1, ext)).unwrap();
        let two = blobs.get(&proof_key(2, ext)).unwrap();
        blobs.put(&proof_key(1, ext), &two).unwrap();
        blobs.put(&proof_key(2, ext), &one).unwrap();
    }
    assert!(matches!(
        check(&blobs),
        Err(RoundError::PublicMismatch { batch: 1, .. })
    ));
    // With the indices in the JSON rewritten too, the STARK (which binds the index) rejects.
    let mut public: serde_json::Value =
        serde_json::from_slice(&blobs.get(&proof_key(1, "json")).unwrap()).unwrap();
    public["batch_index"] = 1.into();
    let m = custodia_round::load_manifest(&blobs).unwrap();
    public["batch_root"] = serde_json::to_value(m.batch_roots[1]).unwrap();
    blobs
        .put(&proof_key(1, "json"), &serde_json::to_vec(&public).unwrap())
        .unwrap();
    assert!(matches!(
        check(&blobs),
        Err(RoundError::Proof { batch: 1, .. })
    ));
}

#[test]
fn a_commitment_from_another_round_is_rejected() {
    let (_dir, blobs) = copy();
    let m = custodia_round::load_manifest(&blobs).unwrap();
    // The same boundary opened under another round's binding: another commitment.
    let b1 = custodia_round::read_boundary(&blobs, &m, 1).unwrap();
    let mut other = m.clone();
    other.round = "another".into();
    let foreign = commitment(&other.binding().unwrap(), 1, &b1.state, &b1.salt);
    let mut public: serde_json::Value =
        serde_json::from_slice(&blobs.get(&proof_key(1, "json")).unwrap()).unwrap();
    public["chain_in"] = serde_json::to_value(foreign).unwrap();
    blobs
        .put(&proof_key(1, "json"), &serde_json::to_vec(&public).unwrap())
        .unwrap();
    assert!(matches!(
        check(&blobs),
        Err(RoundError::Proof { batch: 1, .. })
    ));
}

fn put_manifest(blobs: &FsBlobs, m: &RoundManifest) {
    blobs
        .put(MANIFEST, &serde_json::to_vec_pretty(m).unwrap())
        .unwrap();
}

#[test]
fn a_last_opening_that_does_not_match_the_published_totals_is_rejected() {
    let (_dir, blobs) = copy();
    let original = custodia_round::load_manifest(&blobs).unwrap();
    // Totals and opening moved together by one unit: the chain does not end there.
    let mut m = original.clone();
    m.chain.last_state[0].equity_lo += 1;
    m.totals[0].equity = custodia_primitives::Total::from_units(m.totals[0].equity.units() + 1);
    put_manifest(&blobs, &m);
    assert!(
        matches!(check(&blobs), Err(RoundError::Chain { batch: 3, .. })),
        "{:?}",
        check(&blobs)
    );
    // The opening alone moved: it no longer adds up to the published totals.
    let mut m = original.clone();
    m.chain.last_state[1].debt_hi += 1;
    put_manifest(&blobs, &m);
    assert!(matches!(
        check(&blobs),
        Err(RoundError::Totals { side: "debt", .. })
    ));
    // Another last salt.
    let mut m = original.clone();
    m.chain.last_salt.0[3] ^= 1;
    put_manifest(&blobs, &m);
    assert!(matches!(check(&blobs), Err(RoundError::Chain { .. })));
    // Negative twin: the manifest as built verifies.
    put_manifest(&blobs, &original);
    check(&blobs).expect("verified");
}

#[test]
fn a_running_total_that_wraps_the_field_is_rejected() {
    // A prover that starts batch 0 from p − (its own sums) would end it at 0 mod p: the batch's
    // liabilities would vanish.
    let (_dir, blobs) = copy();
    let m = custodia_round::load_manifest(&blobs).unwrap();
    let w = custodia_round::read_witness(&blobs, &m, 0).unwrap();
    let sums = custodia_prover::batch_sums(&w);
    let p = <custodia_hash::F as p3_field::PrimeField64>::ORDER_U64;
    let neg = |v: u64| if v == 0 { 0 } else { p - v };
    let wrapped = Boundary {
        state: sums
            .iter()
            .map(|t| AssetTotals {
                equity_lo: neg(t.equity_lo),
                equity_hi: neg(t.equity_hi),
                debt_lo: neg(t.debt_lo),
                debt_hi: neg(t.debt_hi),
            })
            .collect(),
        salt: custodia_round::read_boundary(&blobs, &m, 0).unwrap().salt,
    };
    let mut params = custodia_round::batch_params(
        &m,
        &wrapped,
        &custodia_round::read_boundary(&blobs, &m, 1).unwrap(),
    )
    .unwrap();
    params.chain_in = wrapped;
    // Every incoming word is ≥ 2^63: the prover refuses to prove it, and the chain AIR's limbs
    // cannot express it (a hand-forged trace of it is rejected by the verifier:
    // custodia-prover's `a_running_total_limb_that_would_wrap_is_rejected`).
    let opts = custodia_air::ProofOptions::STANDARD;
    assert!(matches!(
        custodia_prover::public_inputs(&w, &params, &opts),
        Err(custodia_prover::ProveError::Chain(_))
    ));
    assert!(matches!(
        custodia_prover::prove_batch(&w, &params, &opts),
        Err(custodia_prover::ProveError::Chain(_))
    ));
    // Negative twin: the same batch from its true (zero) start proves.
    let honest = custodia_round::batch_params(
        &m,
        &custodia_round::read_boundary(&blobs, &m, 0).unwrap(),
        &custodia_round::read_boundary(&blobs, &m, 1).unwrap(),
    )
    .unwrap();
    custodia_prover::prove_batch(&w, &honest, &opts).expect("the true start proves");
}

#[test]
fn zero_or_reused_salts_are_refused_and_why_they_matter() {
    let blobs = FsBlobs::new(four_batches().join("round"));
    let m = custodia_round::load_manifest(&blobs).unwrap();
    let boundaries: Vec<Boundary> = (0..=4)
        .map(|b| custodia_round::read_boundary(&blobs, &m, b).unwrap())
        .collect();
    // The builder draws a distinct, non-zero salt per boundary.
    let mut salts: Vec<Digest> = boundaries.iter().map(|b| b.salt).collect();
    assert!(!salts.contains(&Digest::default()));
    salts.sort_by_key(|d| d.0);
    salts.dedup();
    assert_eq!(salts.len(), 5);
    // Why: with a salt of zero (or one already opened elsewhere), anyone who guesses a partial
    // sum confirms the guess by recomputing the commitment. Here the guess is right.
    let binding = m.binding().unwrap();
    let guess = &boundaries[2].state;
    let unsalted = commitment(&binding, 2, guess, &Digest::default());
    assert_eq!(unsalted, commitment(&binding, 2, guess, &Digest::default()));
    // With the real, secret salt the public commitment does not match any salt-free guess.
    let public_c2: serde_json::Value =
        serde_json::from_slice(&blobs.get(&proof_key(2, "json")).unwrap()).unwrap();
    let c2: Digest = serde_json::from_value(public_c2["chain_in"].clone()).unwrap();
    assert_ne!(c2, unsalted);
    assert_eq!(c2, commitment(&binding, 2, guess, &boundaries[2].salt));
    // The verifier refuses published openings with a zero or repeated salt.
    let (_dir, copy) = copy();
    let mut zero = m.clone();
    zero.chain.first_salt = Digest::default();
    put_manifest(&copy, &zero);
    assert!(matches!(check(&copy), Err(RoundError::ChainOpening(_))));
    let mut same = m.clone();
    same.chain.last_salt = same.chain.first_salt;
    put_manifest(&copy, &same);
    assert!(matches!(check(&copy), Err(RoundError::ChainOpening(_))));
}

#[test]
fn prove_skip_existing_keeps_valid_proofs_and_redoes_the_rest() {
    let (_dir, blobs) = copy();
    let done = custodia_round::prove_all(&blobs, true, 1, &Silent).unwrap();
    assert_eq!((done.batches, done.skipped), (0, 4));
    // An interrupted round: one proof missing, one cut short.
    std::fs::remove_file(blobs.path(&proof_key(1, "proof")).unwrap()).unwrap();
    let cut = blobs.get(&proof_key(3, "proof")).unwrap();
    blobs
        .put(&proof_key(3, "proof"), &cut[..cut.len() / 2])
        .unwrap();
    let done = custodia_round::prove_all(&blobs, true, 1, &Silent).unwrap();
    assert_eq!((done.batches, done.skipped), (2, 2));
    check(&blobs).expect("the resumed round verifies");
    // A valid proof for other chain boundaries (a stale salt) is proven again, not kept.
    let m = custodia_round::load_manifest(&blobs).unwrap();
    let w = custodia_round::read_witness(&blobs, &m, 2).unwrap();
    let mut stale_in = custodia_round::read_boundary(&blobs, &m, 2).unwrap();
    stale_in.salt.0[1] ^= 1;
    let chain_out = custodia_round::read_boundary(&blobs, &m, 3).unwrap();
    let stale = custodia_round::prove_batch(&m, 2, &w, (&stale_in, &chain_out)).unwrap();
    custodia_round::store_proof(&blobs, 2, &stale).unwrap();
    assert!(!custodia_round::has_valid_proof(&blobs, &m, 2));
    let done = custodia_round::prove_all(&blobs, true, 1, &Silent).unwrap();
    assert_eq!((done.batches, done.skipped), (1, 3));
    check(&blobs).expect("verified");
    // Negative twin: without the flag every batch is proven again.
    let done =
        custodia_round::prove_all(&blobs, false, custodia_round::DEFAULT_JOBS, &Silent).unwrap();
    assert_eq!((done.batches, done.skipped), (4, 0));
}
