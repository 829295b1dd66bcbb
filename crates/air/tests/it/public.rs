//! Public-input layout and the statement's bounds.

use custodia_air::public::{MAX_PRICE, check_prices};
use custodia_air::{
    AssetParams, AssetTotals, BatchPublicInputs, CustodiaAir, ProofOptions, PublicInputsError,
};
use custodia_hash::Digest;
use p3_air::BaseAir;

fn sample() -> BatchPublicInputs {
    BatchPublicInputs {
        round_binding: Digest([1, 2, 3, 4]),
        batch_index: 9,
        log_batch: 10,
        batch_root: Digest([5, 6, 7, 8]),
        assets: vec![
            AssetParams {
                price: 12,
                haircut_bps: 0,
            },
            AssetParams {
                price: MAX_PRICE,
                haircut_bps: 10_000,
            },
        ],
        totals: vec![
            AssetTotals {
                equity_lo: 1,
                equity_hi: 2,
                debt_lo: 3,
                debt_hi: 4,
            },
            AssetTotals::default(),
        ],
    }
}

#[test]
fn field_layout_round_trips() {
    let p = sample();
    let f = p.to_field_elements().unwrap();
    assert_eq!(f.len(), BatchPublicInputs::len_for(2));
    let air = &CustodiaAir::all(2, 10)[0];
    assert_eq!(BaseAir::num_public_values(air), f.len());
    assert_eq!(BatchPublicInputs::from_field_elements(&f).unwrap(), p);
    // Negative twin: a non-canonical root element is refused.
    let mut bad = p.clone();
    bad.batch_root.0[1] = u64::MAX;
    assert_eq!(
        bad.to_field_elements(),
        Err(PublicInputsError::NonCanonical("batch root"))
    );
}

#[test]
fn totals_split_recombines_exactly() {
    let mut t = AssetTotals::default();
    t.add((1 << 62) - 1, 5);
    t.add((1 << 62) - 1, 0);
    assert_eq!(t.equity(), 2 * ((1u128 << 62) - 1));
    assert_eq!(t.debt(), 5);
}

#[test]
fn price_bounds() {
    let at = |price, n| {
        vec![
            AssetParams {
                price,
                haircut_bps: 0
            };
            n
        ]
    };
    check_prices(&at(MAX_PRICE, 1)).unwrap();
    assert!(matches!(
        check_prices(&at(MAX_PRICE + 1, 1)),
        Err(PublicInputsError::PriceTooLarge { .. })
    ));
    // The collateral bound: 64 assets at the largest price fit, 65 do not.
    check_prices(&at(MAX_PRICE, 64)).unwrap();
    assert!(matches!(
        check_prices(&at(MAX_PRICE, 65)),
        Err(PublicInputsError::CollateralBound { .. })
    ));
    assert!(matches!(
        check_prices(&[AssetParams {
            price: 1,
            haircut_bps: 10_001
        }]),
        Err(PublicInputsError::Haircut { .. })
    ));
    assert!(matches!(
        check_prices(&[]),
        Err(PublicInputsError::AssetCount(0))
    ));
}

#[test]
fn pinned_options_give_100_bits() {
    assert_eq!(ProofOptions::STANDARD.conjectured_security_bits(), 100);
    assert_eq!(ProofOptions::STANDARD.min_log_rows(), 7);
    assert!(ProofOptions::insecure_testing().conjectured_security_bits() < 100);
}
