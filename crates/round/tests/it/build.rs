//! Building: the id rule, committed prices, the collateral pre-check, the folder.

use custodia_events::Timestamp;
use custodia_round::folder::{ASSETS, INCLUSION_DIR, MANIFEST, PRICES, SEED};
use custodia_round::{Blobs, Error, FsBlobs, Silent};
use custodia_snapshot::{Price, Prices};
use custodia_sumtree::{RoundManifest, TreeShape};

use crate::common::{params, prices, registry, snapshot, users};

#[test]
fn round_ids_follow_the_rule() {
    for good in ["2026-11", "a", "A.b_c-9", &"x".repeat(64)] {
        custodia_round::check_round_id(good).expect(good);
    }
    for bad in ["", &"x".repeat(65), "a/b", "a b", "ü", "../x"] {
        let err = custodia_round::check_round_id(bad).unwrap_err();
        assert!(
            matches!(&err, Error::RoundId { id } if id == bad),
            "{bad}: {err}"
        );
        assert_eq!(
            err.to_string(),
            format!("round id `{bad}` must be 1-64 characters of A-Z a-z 0-9 - _ .")
        );
    }
}

#[test]
fn prices_are_committed_at_the_largest_scale_the_air_allows() {
    // Two assets: the carry-chain bound 2^62 / (2 · 65535 · 10^4) ≈ 3.5 · 10^9 is looser than
    // `price · 10^4 < 2^40`, so every price stays ≤ MAX_PRICE = 109_951_162.
    // BTC: 67000 USD / 10^8 sat = 6.7e-4 USD per sat → 67_000_000 at 10^-11; USDT → 100_000.
    let c = custodia_round::commit_prices(&registry(), &prices()).unwrap();
    assert_eq!(c.scale, 11);
    let got: Vec<_> = c
        .assets
        .iter()
        .map(|p| {
            (
                p.asset.as_str(),
                p.usd.as_str(),
                p.debt_price,
                p.collateral_price,
                p.haircut_bps,
            )
        })
        .collect();
    // Both prices are exact here, so debt and collateral prices agree.
    assert_eq!(
        got,
        [
            ("BTC", "67000", 67_000_000, 67_000_000, 500),
            ("USDT", "1", 100_000, 100_000, 0)
        ]
    );
    // One scale more would push BTC past the bound.
    assert!(c.assets[0].debt_price * 10 > custodia_air::public::MAX_PRICE);
}

#[test]
fn regression_inexact_prices_round_debt_up_and_collateral_down() {
    // USDT at 0.99999999 USD is 99_999.999 units at scale 11: debt is valued at 100_000,
    // collateral at 99_999. Rounding to nearest (100_000 for both) would call the user below
    // covered: 670 units of USDT are worth 6.6999999e-4 USD, less than the 6.7e-4 USD of one
    // satoshi of BTC debt.
    let p = Prices::new(
        &registry(),
        vec![
            Price::new(67_000 * 100_000_000, 500).unwrap(),
            Price::new(99_999_999, 0).unwrap(),
        ],
    )
    .unwrap();
    let c = custodia_round::commit_prices(&registry(), &p).unwrap();
    assert_eq!(c.scale, 11);
    assert_eq!(
        (c.assets[1].debt_price, c.assets[1].collateral_price),
        (100_000, 99_999)
    );
    let under = snapshot(&[(0, 1, 670, 0)]);
    let err = custodia_round::check_collateral(&under, &c).unwrap_err();
    assert!(
        matches!(&err, Error::Undercollateralised { count: 1, .. }),
        "{err}"
    );
    // Negative twin: one unit more of collateral covers the debt at the rounded-down price.
    let covered = snapshot(&[(0, 1, 671, 0)]);
    custodia_round::check_collateral(&covered, &c).expect("covered");
}

#[test]
fn regression_a_snapshot_time_with_an_offset_or_fraction_is_refused() {
    // One instant, one spelling: `+00:00`, `+14:00`, fractions and lower case would each give
    // another binding (or, truncated, the same binding for different times).
    for bad in [
        "2026-11-30T23:59:59+00:00",
        "2026-11-30T23:59:59+14:00",
        "2026-11-30T23:59:59.5Z",
        "2026-11-30t23:59:59z",
        "2026-02-30T00:00:00Z",
        "2026-11-30T24:00:00Z",
        "",
    ] {
        let err = custodia_round::check_snapshot_time(bad).unwrap_err();
        assert!(matches!(err, Error::SnapshotTime { .. }), "{bad}: {err}");
        let mut params = params("2026-11");
        params.snapshot_time = bad.into();
        let err = custodia_round::build(&users(), Some(&prices()), &params, &Silent).unwrap_err();
        assert!(matches!(err, Error::SnapshotTime { .. }), "{bad}: {err}");
    }
    // Negative twin: the canonical form, leap day included.
    for good in ["2026-11-30T23:59:59Z", "2028-02-29T00:00:00Z"] {
        custodia_round::check_snapshot_time(good).expect(good);
    }
}

#[test]
fn a_price_that_rounds_to_zero_is_refused_by_name() {
    // USDT at 10^-8 USD: 10^-14 USD per smallest unit, below 10^-11 at the scale BTC allows.
    let tiny = Prices::new(
        &registry(),
        vec![
            Price::new(67_000 * 100_000_000, 500).unwrap(),
            Price::new(1, 0).unwrap(),
        ],
    )
    .unwrap();
    let err = custodia_round::commit_prices(&registry(), &tiny).unwrap_err();
    assert!(
        matches!(&err, Error::PriceRoundsToZero { asset, scale: 11, .. } if asset.as_str() == "USDT"),
        "{err}"
    );
}

#[test]
fn regression_a_zero_price_is_refused() {
    // A zero price would value that asset's debt at nothing: a user with debt and no collateral
    // would pass as covered.
    let zero = Prices::new(
        &registry(),
        vec![
            Price::new(67_000 * 100_000_000, 500).unwrap(),
            Price::new(0, 0).unwrap(),
        ],
    )
    .unwrap();
    let err = custodia_round::commit_prices(&registry(), &zero).unwrap_err();
    assert!(
        matches!(&err, Error::ZeroPrice { asset } if asset.as_str() == "USDT"),
        "{err}"
    );
    let debtor = snapshot(&[(0, 0, 0, 1_000_000)]);
    let err = custodia_round::build(&debtor, Some(&zero), &params("zero"), &Silent).unwrap_err();
    assert!(matches!(err, Error::ZeroPrice { .. }), "{err}");
    // Negative twin: the same debtor at a positive price is refused as undercollateralised.
    let err =
        custodia_round::build(&debtor, Some(&prices()), &params("zero"), &Silent).unwrap_err();
    assert!(matches!(err, Error::Undercollateralised { .. }), "{err}");
}

#[test]
fn collateral_is_checked_at_committed_prices_to_the_unit() {
    // 1 BTC = 10^8 sat at 67_000_000 · (10^4 − 500) covers 63_650 USDT = 63_650 · 10^6 units
    // at 100_000 · 10^4, exactly.
    let at_limit = snapshot(&[(100_000_000, 0, 0, 63_650_000_000)]);
    let c = custodia_round::commit_prices(&registry(), &prices()).unwrap();
    custodia_round::check_collateral(&at_limit, &c).expect("exactly covered");

    let over = snapshot(&[
        (5, 0, 0, 0),
        (100_000_000, 0, 0, 63_650_000_001),
        (0, 0, 0, 1),
    ]);
    let err = custodia_round::check_collateral(&over, &c).unwrap_err();
    assert!(
        matches!(&err, Error::Undercollateralised { count: 2, first } if first.as_str() == "user-0001"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "2 user(s) have debt not covered by their collateral after haircuts; first: user-0001"
    );
}

#[test]
fn an_undercollateralised_round_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = FsBlobs::new(dir.path().join("round"));
    let snap = snapshot(&[(100_000_000, 0, 0, 63_650_000_001)]);
    let prices = prices();
    let err =
        custodia_round::build_folder(&snap, Some(&prices), &params("r1"), &blobs, false, &Silent)
            .unwrap_err();
    assert!(
        matches!(err, Error::Undercollateralised { count: 1, .. }),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn a_built_folder_holds_the_manifest_the_tree_and_every_user() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = FsBlobs::new(dir.path().join("round"));
    let snap = users();
    let prices = prices();
    let round = custodia_round::build_folder(
        &snap,
        Some(&prices),
        &params("2026-11"),
        &blobs,
        false,
        &Silent,
    )
    .unwrap();
    let m = &round.manifest;
    assert_eq!(m.shape, TreeShape::for_users(40, 7, 8).unwrap());
    assert_eq!(m.shape.num_batches(), 2);
    let (equity, debt) = snap.totals();
    assert_eq!(
        *m,
        RoundManifest::for_tree(
            "2026-11",
            "2026-11-30T23:59:59Z",
            &snap.assets,
            &round.built.tree,
            (&equity, &debt),
            Some(custodia_round::commit_prices(&snap.assets, &prices).unwrap()),
            custodia_round::chain_openings(&round.boundaries),
        )
    );
    assert_eq!(custodia_round::load_manifest(&blobs).unwrap(), *m);
    assert_eq!(
        blobs.list("").unwrap(),
        [
            ASSETS,
            "inclusion/batch-00000.jsonl",
            "inclusion/batch-00001.jsonl",
            PRICES,
            "private/batch-00000.wit",
            "private/batch-00001.wit",
            "private/boundary-00000.json",
            "private/boundary-00001.json",
            "private/boundary-00002.json",
            SEED,
            MANIFEST,
        ]
    );
    assert_eq!(
        blobs.get(SEED).unwrap(),
        hex::encode([5u8; 32]).into_bytes()
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no staging folder left"
    );
    // Every user's inclusion proof is there and verifies; a stranger's is not.
    let inclusion: usize = blobs
        .list(INCLUSION_DIR)
        .unwrap()
        .iter()
        .map(|k| {
            blobs
                .get(k)
                .unwrap()
                .split(|&c| c == b'\n')
                .filter(|l| !l.is_empty())
                .count()
        })
        .sum();
    assert_eq!(inclusion, 40);
    let p = custodia_round::find_inclusion(&blobs, "user-0007")
        .unwrap()
        .expect("found");
    p.verify(&m.root).expect("verifies");
    assert!(
        custodia_round::find_inclusion(&blobs, "user-9999")
            .unwrap()
            .is_none()
    );
}

#[test]
fn the_same_seed_builds_the_same_tree_and_another_seed_another() {
    let snap = users();
    let a = custodia_round::build(&snap, None, &params("r"), &Silent).unwrap();
    let b = custodia_round::build(&snap, None, &params("r"), &Silent).unwrap();
    assert_eq!(a.manifest, b.manifest);
    let mut other = params("r");
    other.seed[0] ^= 1;
    let c = custodia_round::build(&snap, None, &other, &Silent).unwrap();
    assert_ne!(a.manifest.root, c.manifest.root);
    assert_eq!(a.manifest.totals, c.manifest.totals);
}

#[test]
fn an_occupied_folder_is_replaced_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = FsBlobs::new(dir.path().join("round"));
    blobs.put("notes.txt", b"mine").unwrap();
    let snap = users();
    let err = custodia_round::build_folder(&snap, None, &params("r"), &blobs, false, &Silent)
        .unwrap_err();
    assert!(matches!(err, Error::FolderNotEmpty { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "{} already exists and is not empty (pass --force to replace it)",
            dir.path().join("round").display()
        )
    );
    assert_eq!(blobs.get("notes.txt").unwrap(), b"mine", "left alone");
    custodia_round::build_folder(&snap, None, &params("r"), &blobs, true, &Silent).unwrap();
    assert!(!blobs.exists("notes.txt").unwrap(), "replaced whole");
    assert!(
        !blobs.exists(PRICES).unwrap(),
        "no prices given, none written"
    );
}

#[test]
fn snapshot_time_is_rfc3339_to_the_second() {
    let t = Timestamp::from_millis(1_764_547_199_999);
    assert_eq!(custodia_round::snapshot_time(t), "2025-11-30T23:59:59Z");
    assert_eq!(
        custodia_round::snapshot_time(Timestamp::from_millis(0)),
        "1970-01-01T00:00:00Z"
    );
}
