//! Proving jobs and the round check: a batch from the manifest and its witness alone, and every
//! way a job or a round is refused.

use custodia_round::folder::{AGGREGATE, MANIFEST, boundary_key, proof_key, witness_key};
use custodia_round::{AGGREGATE_FORMAT, AggregateRecord, Blobs, Error, FsBlobs, MemBlobs, Silent};
use custodia_sumtree::witness::BatchWitness;
use custodia_verifier::round::RoundError;

use crate::common::{copy_of_proven_round, params, proven_round, users};

fn proven() -> FsBlobs {
    FsBlobs::new(proven_round().join("round"))
}

#[test]
fn a_worker_proves_a_batch_from_the_manifest_and_its_witness_alone() {
    let round = proven();
    // The worker's store holds exactly four objects: the manifest, the witness and the two
    // chain boundaries around the batch.
    let worker = MemBlobs::new();
    for key in [
        MANIFEST.to_owned(),
        witness_key(1),
        boundary_key(1),
        boundary_key(2),
    ] {
        worker.put(&key, &round.get(&key).unwrap()).unwrap();
    }
    let m = custodia_round::load_manifest(&worker).unwrap();
    let bytes = custodia_round::prove_one(&worker, &m, 1).unwrap();
    assert_eq!(
        worker.list("").unwrap(),
        [
            witness_key(1),
            boundary_key(1),
            boundary_key(2),
            proof_key(1, "json"),
            proof_key(1, "proof"),
            MANIFEST.to_owned()
        ]
    );
    let proof = worker.get(&proof_key(1, "proof")).unwrap();
    assert_eq!(proof.len(), bytes);
    // Its proof checks against the round like the one proven at home.
    let public =
        custodia_verifier::round::check_public(&m, 1, &worker.get(&proof_key(1, "json")).unwrap())
            .unwrap();
    custodia_verifier::verify_batch(&proof, &public).expect("the worker's proof verifies");
    // Negative twin: the same proof claimed for batch 0 is rejected.
    assert!(
        custodia_verifier::round::check_public(&m, 0, &worker.get(&proof_key(1, "json")).unwrap())
            .is_err()
    );
}

#[test]
fn a_proven_round_aggregates_and_records_the_check() {
    let (_dir, blobs) = copy_of_proven_round();
    let record = custodia_round::aggregate(&blobs, &Silent)
        .unwrap()
        .expect("verified");
    let m = custodia_round::load_manifest(&blobs).unwrap();
    assert_eq!(record.format, AGGREGATE_FORMAT);
    assert_eq!(record.round, "2026-11");
    assert_eq!(record.root, m.root.to_hex());
    assert_eq!(record.round_binding, m.binding().unwrap().to_hex());
    assert_eq!(record.batches, 2);
    assert_eq!(record.leaves, 256);
    assert_eq!(record.totals, m.totals);
    let stored: AggregateRecord = serde_json::from_slice(&blobs.get(AGGREGATE).unwrap()).unwrap();
    assert_eq!(stored, record);
}

#[test]
fn batches_verified_one_by_one_aggregate_to_the_same_record() {
    let (_dir, blobs) = copy_of_proven_round();
    let m = custodia_round::load_manifest(&blobs).unwrap();
    let verify = |b: usize| {
        let files = custodia_verifier::round::BatchFiles {
            proof: blobs.get(&proof_key(b, "proof")).unwrap(),
            public: blobs.get(&proof_key(b, "json")).unwrap(),
        };
        custodia_verifier::round::verify_round_batch(&m, b, &files).unwrap()
    };
    let record = custodia_round::aggregate_verified(&blobs, vec![verify(0), verify(1)])
        .unwrap()
        .expect("verified");
    let stored: AggregateRecord = serde_json::from_slice(&blobs.get(AGGREGATE).unwrap()).unwrap();
    blobs.put(AGGREGATE, b"").unwrap();
    let whole = custodia_round::aggregate(&blobs, &Silent).unwrap().unwrap();
    assert_eq!(record, whole);
    assert_eq!(stored, whole);

    // Twins: batches handed in out of order, or one missing, reject the round and record nothing.
    for (verified, why) in [
        (vec![verify(1), verify(0)], "batch 1 of this round"),
        (vec![verify(0)], "no verified proof"),
    ] {
        blobs.put(AGGREGATE, b"").unwrap();
        let rejected = custodia_round::aggregate_verified(&blobs, verified)
            .unwrap()
            .unwrap_err();
        assert!(rejected.to_string().contains(why), "{rejected}");
        assert!(blobs.get(AGGREGATE).unwrap().is_empty());
    }
}

#[test]
fn other_prices_in_the_manifest_are_rejected_and_nothing_is_recorded() {
    let (_dir, blobs) = copy_of_proven_round();
    let original = custodia_round::load_manifest(&blobs).unwrap();
    // An integer that no longer follows from its usd string: the manifest itself is refused.
    let mut m = original.clone();
    m.prices.as_mut().unwrap().assets[0].debt_price += 1;
    blobs
        .put(MANIFEST, &serde_json::to_vec_pretty(&m).unwrap())
        .unwrap();
    let rejected = custodia_round::aggregate(&blobs, &Silent)
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(&rejected, RoundError::Manifest(why) if why.contains("gives debt price")),
        "{rejected}"
    );
    assert!(!blobs.exists(AGGREGATE).unwrap());
    // A consistent but different price (usd and both integers changed together): the binding
    // differs, so every proof is foreign.
    let mut m = original;
    let btc = &mut m.prices.as_mut().unwrap().assets[0];
    btc.usd = "67001".into();
    btc.debt_price = 67_001_000;
    btc.collateral_price = 67_001_000;
    blobs
        .put(MANIFEST, &serde_json::to_vec_pretty(&m).unwrap())
        .unwrap();
    let rejected = custodia_round::aggregate(&blobs, &Silent)
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            rejected,
            RoundError::PublicMismatch {
                batch: 0,
                field: "round_binding"
            }
        ),
        "{rejected}"
    );
    assert!(!blobs.exists(AGGREGATE).unwrap());
}

#[test]
fn regression_usd_strings_are_bound_to_the_round() {
    let (_dir, blobs) = copy_of_proven_round();
    let mut m = custodia_round::load_manifest(&blobs).unwrap();
    // A usd string that rounds to the very same integers still changes the binding: what tools
    // print is what the proofs were made for.
    m.prices.as_mut().unwrap().assets[1].usd = "1.00000000".into();
    let rejected = custodia_round::check_round(&blobs, &m, &Silent).unwrap_err();
    assert!(
        matches!(
            rejected,
            RoundError::PublicMismatch {
                field: "round_binding",
                ..
            }
        ),
        "{rejected}"
    );
    // A usd of zero is refused outright, whatever the integers say.
    m.prices.as_mut().unwrap().assets[1].usd = "0".into();
    let rejected = custodia_round::check_round(&blobs, &m, &Silent).unwrap_err();
    assert!(
        matches!(&rejected, RoundError::Manifest(why) if why.contains("zero")),
        "{rejected}"
    );
    // Negative twin: the manifest as published verifies.
    let m = custodia_round::load_manifest(&blobs).unwrap();
    custodia_round::check_round(&blobs, &m, &Silent).expect("verified");
}

#[test]
fn a_missing_proof_is_a_rejection_naming_the_file() {
    let (dir, blobs) = copy_of_proven_round();
    std::fs::remove_file(blobs.path(&proof_key(1, "proof")).unwrap()).unwrap();
    let m = custodia_round::load_manifest(&blobs).unwrap();
    let rejected = custodia_round::check_round(&blobs, &m, &Silent).unwrap_err();
    match rejected {
        RoundError::Missing { batch: 1, reason } => assert!(
            reason.starts_with(
                &dir.path()
                    .join("round/proofs/batch-00001.proof")
                    .display()
                    .to_string()
            ),
            "{reason}"
        ),
        other => panic!("expected a missing batch, got {other}"),
    }
}

#[test]
fn a_missing_witness_is_not_found() {
    let round = proven();
    let worker = MemBlobs::new();
    worker.put(MANIFEST, &round.get(MANIFEST).unwrap()).unwrap();
    let m = custodia_round::load_manifest(&worker).unwrap();
    let err = custodia_round::prove_one(&worker, &m, 0).unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { location, .. } if location == "memory:/private/batch-00000.wit"),
        "{err}"
    );
    // And a missing manifest too.
    let err = custodia_round::load_manifest(&MemBlobs::new()).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
}

#[test]
fn a_tampered_witness_is_refused_before_proving() {
    let round = proven();
    let m = custodia_round::load_manifest(&round).unwrap();
    let mut w = custodia_round::read_witness(&round, &m, 0).unwrap();
    // One more unit of equity somewhere: still collateralised, but not the committed tree.
    w.balances[2] = custodia_primitives::Amount::new(w.balances[2].units() + 1).unwrap();
    let chain = (
        custodia_round::read_boundary(&round, &m, 0).unwrap(),
        custodia_round::read_boundary(&round, &m, 1).unwrap(),
    );
    let err = custodia_round::prove_batch(&m, 0, &w, (&chain.0, &chain.1)).unwrap_err();
    assert!(
        matches!(&err, Error::RootMismatch { batch: 0, expected, got } if *expected == m.batch_roots[0] && got != expected),
        "{err}"
    );
    // Tampered bytes on disk do not even decode.
    let worker = MemBlobs::new();
    worker.put(MANIFEST, &round.get(MANIFEST).unwrap()).unwrap();
    let mut bytes = round.get(&witness_key(0)).unwrap();
    bytes.truncate(bytes.len() - 1);
    worker.put(&witness_key(0), &bytes).unwrap();
    let err = custodia_round::read_witness(&worker, &m, 0).unwrap_err();
    assert!(matches!(err, Error::Witness { .. }), "{err}");
}

#[test]
fn a_witness_of_another_batch_is_refused() {
    let round = proven();
    let m = custodia_round::load_manifest(&round).unwrap();
    let worker = MemBlobs::new();
    worker.put(MANIFEST, &round.get(MANIFEST).unwrap()).unwrap();
    worker
        .put(&witness_key(0), &round.get(&witness_key(1)).unwrap())
        .unwrap();
    let err = custodia_round::read_witness(&worker, &m, 0).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ForeignWitness {
                batch: 0,
                field: "batch index",
                expected: 0,
                got: 1,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "memory:/private/batch-00000.wit does not belong to batch 0 of this round"
    );
    let w: BatchWitness = custodia_round::read_witness(&round, &m, 1).unwrap();
    let chain = (
        custodia_round::read_boundary(&round, &m, 0).unwrap(),
        custodia_round::read_boundary(&round, &m, 1).unwrap(),
    );
    assert!(matches!(
        custodia_round::prove_batch(&m, 0, &w, (&chain.0, &chain.1)),
        Err(Error::ForeignWitness { .. })
    ));
}

#[test]
fn batches_beyond_the_round_and_rounds_without_prices_are_refused() {
    let round = proven();
    let m = custodia_round::load_manifest(&round).unwrap();
    let err = custodia_round::prove_one(&round, &m, 2).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NoSuchBatch {
                batch: 2,
                batches: 2
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "batch 2 does not exist: the round has 2 batches"
    );

    let snap = users();
    let blobs = MemBlobs::new();
    custodia_round::build_folder(&snap, None, &params("r"), &blobs, false, &Silent).unwrap();
    let m = custodia_round::load_manifest(&blobs).unwrap();
    let err = custodia_round::prove_one(&blobs, &m, 0).unwrap_err();
    assert!(matches!(err, Error::NoPrices), "{err}");
    let err = custodia_round::prove_all(&blobs, false, custodia_round::DEFAULT_JOBS, &Silent)
        .unwrap_err();
    assert!(
        matches!(err, Error::Manifest(RoundError::Manifest(_))),
        "{err}"
    );
}

#[test]
fn a_manifest_of_another_format_is_refused() {
    let blobs = MemBlobs::new();
    let mut m = custodia_round::load_manifest(&proven()).unwrap();
    m.format = "custodia-round/9".into();
    blobs
        .put(MANIFEST, &serde_json::to_vec(&m).unwrap())
        .unwrap();
    let err = custodia_round::load_manifest(&blobs).unwrap_err();
    assert!(
        matches!(&err, Error::ManifestFormat { got, .. } if got == "custodia-round/9"),
        "{err}"
    );
    blobs.put(MANIFEST, b"{}").unwrap();
    assert!(matches!(
        custodia_round::load_manifest(&blobs),
        Err(Error::NotAManifest { .. })
    ));
}

#[test]
fn concurrent_jobs_return_every_result_in_index_order() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    for jobs in [1, 2, 3, 64] {
        let calls = AtomicUsize::new(0);
        let out = custodia_round::concurrently(10, jobs, |i| {
            calls.fetch_add(1, Ordering::Relaxed);
            Ok::<_, String>(i * i)
        })
        .unwrap();
        assert_eq!(
            out,
            (0..10).map(|i| i * i).collect::<Vec<_>>(),
            "jobs {jobs}"
        );
        assert_eq!(calls.load(Ordering::Relaxed), 10, "each index runs once");
    }
    // Zero jobs still runs one worker; zero indexes run nothing.
    assert_eq!(
        custodia_round::concurrently(3, 0, Ok::<_, ()>).unwrap(),
        vec![0, 1, 2]
    );
    assert!(
        custodia_round::concurrently(0, 2, Ok::<_, ()>)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn concurrent_jobs_stop_at_an_error_and_report_the_lowest_failed_index() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = AtomicUsize::new(0);
    let err = custodia_round::concurrently(1000, 1, |i| {
        calls.fetch_add(1, Ordering::Relaxed);
        if i >= 3 { Err(i) } else { Ok(i) }
    })
    .unwrap_err();
    assert_eq!(err, 3);
    assert_eq!(
        calls.load(Ordering::Relaxed),
        4,
        "no index is started after the failure"
    );
    // With two workers, later indexes may also have failed: the lowest is reported.
    let err = custodia_round::concurrently(8, 2, |i| if i % 2 == 1 { Err(i) } else { Ok(i) })
        .unwrap_err();
    assert_eq!(err, 1);
}
