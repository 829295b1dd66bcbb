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
        num_batches: 12,
        log_batch: 10,
        batch_root: Digest([5, 6, 7, 8]),
        chain_in: Digest([9, 10, 11, 12]),
        chain_out: Digest([13, 14, 15, 16]),
        assets: vec![
            AssetParams::exact(12, 0),
            AssetParams::exact(MAX_PRICE, 10_000),
        ],
    }
}

#[test]
fn field_layout_round_trips() {
    let p = sample();
    let f = p.to_field_elements().unwrap();
    assert_eq!(f.len(), BatchPublicInputs::len_for(2));
    for air in &CustodiaAir::all(2, 10, 7) {
        assert_eq!(BaseAir::num_public_values(air), f.len());
    }
    assert_eq!(BatchPublicInputs::from_field_elements(&f).unwrap(), p);
    // Negative twin: a non-canonical root element is refused.
    let mut bad = p.clone();
    bad.batch_root.0[1] = u64::MAX;
    assert_eq!(
        bad.to_field_elements(),
        Err(PublicInputsError::NonCanonical("batch root"))
    );
    p.validate().unwrap();
    // A batch index beyond the round is refused.
    let mut beyond = p.clone();
    beyond.batch_index = 12;
    assert!(matches!(
        beyond.validate(),
        Err(PublicInputsError::BatchIndex {
            index: 12,
            batches: 12
        })
    ));
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
    let at = |price, n| vec![AssetParams::exact(price, 0); n];
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
        check_prices(&[AssetParams::exact(1, 10_001)]),
        Err(PublicInputsError::Haircut { .. })
    ));
    assert!(matches!(
        check_prices(&[]),
        Err(PublicInputsError::AssetCount(0))
    ));
}

#[test]
fn regression_a_zero_price_is_refused_by_the_statement() {
    // A zero price values the asset's debt at nothing: refused on the verifier's side too, so a
    // round that commits one cannot be verified whatever its proofs say.
    for (debt, collateral, side) in [(0, 0, "debt"), (5, 0, "collateral")] {
        let a = AssetParams {
            debt_price: debt,
            collateral_price: collateral,
            haircut_bps: 0,
        };
        assert_eq!(
            check_prices(&[a]),
            Err(PublicInputsError::ZeroPrice { asset: 0, side })
        );
    }
    // Collateral may never be valued above debt of the same asset.
    let a = AssetParams {
        debt_price: 5,
        collateral_price: 6,
        haircut_bps: 0,
    };
    assert!(matches!(
        check_prices(&[a]),
        Err(PublicInputsError::PriceOrder { asset: 0, .. })
    ));
    // Negative twin: rounded prices one apart, and exact ones, pass.
    let a = AssetParams {
        debt_price: 6,
        collateral_price: 5,
        haircut_bps: 0,
    };
    check_prices(&[a, AssetParams::exact(1, 0)]).unwrap();
}

#[test]
fn pinned_options_give_100_bits() {
    assert_eq!(ProofOptions::STANDARD.conjectured_security_bits(), 100);
    assert_eq!(ProofOptions::STANDARD.min_log_rows(), 7);
    assert!(ProofOptions::insecure_testing().conjectured_security_bits() < 100);
}

#[test]
fn the_pinned_constraint_digest_is_this_builds() {
    // Changing a constraint, a column, a bus or the public layout changes the digest: update
    // CONSTRAINT_DIGEST (and the proof format version) deliberately, never by accident.
    let got = custodia_air::digest::constraint_digest();
    assert_eq!(
        hex(&got),
        hex(&custodia_air::digest::CONSTRAINT_DIGEST),
        "the AIR changed"
    );
    // Negative twin: the digest depends on the shapes evaluated (and so on the AIR).
    assert_ne!(got, [0; 32]);
}

#[test]
fn the_protocol_document_names_the_pinned_digest() {
    // docs/por-protocol.md §10 tells readers which digest this version's verifier accepts: it
    // must be this build's, and every retired digest may appear only abbreviated, as refused.
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/por-protocol.md"),
    )
    .expect("docs/por-protocol.md");
    let current = hex(&custodia_air::digest::CONSTRAINT_DIGEST);
    assert!(doc.contains(&format!("`{current}` in this version")));
    // Negative twin: no retired digest is written out in full.
    for retired in [
        WIDTH_12_LEAF_DIGEST,
        WIDE_PERMUTATIONS_DIGEST,
        WIDTH_16_LEAF_DIGEST,
    ] {
        let full = hex(&retired);
        assert!(!doc.contains(&full), "{full} is written out in full");
        assert!(
            doc.contains(&format!("`{}…", &full[..8])),
            "{full} is not named"
        );
    }
}

/// The constraint digest of the statement whose leaves used the width-12 sponge (rate 8), the
/// one every proof before `custodia-inclusion/4` carries.
const WIDTH_12_LEAF_DIGEST: [u8; 32] = [
    0x22, 0xe6, 0x25, 0x37, 0x32, 0x4d, 0xfc, 0x34, 0x43, 0x78, 0xc3, 0x68, 0x2f, 0xd3, 0xb6, 0xb3,
    0x96, 0x36, 0x94, 0xa3, 0xc0, 0xb4, 0x27, 0xc2, 0x46, 0x08, 0xc2, 0x59, 0x80, 0x25, 0xcf, 0x3a,
];

/// The constraint digest of the width-16 leaf sponge whose permutations still committed every
/// input and output lane (`p3-poseidon2-air` blocks): same hashes, a wider trace.
const WIDE_PERMUTATIONS_DIGEST: [u8; 32] = [
    0x51, 0x65, 0xdb, 0xd2, 0x78, 0x4f, 0x10, 0x2c, 0x8b, 0x91, 0x68, 0xe5, 0xf7, 0x70, 0x50, 0xb0,
    0x28, 0x58, 0xb4, 0x33, 0x47, 0x7c, 0x74, 0xdf, 0x4b, 0xa7, 0x65, 0xba, 0xd1, 0x35, 0xaf, 0xde,
];

/// The constraint digest of the width-16 leaf sponge (rate 12) with the narrow permutation
/// gadget, the one every proof of `custodia-inclusion/4` carries.
const WIDTH_16_LEAF_DIGEST: [u8; 32] = [
    0x53, 0xf2, 0x24, 0x24, 0x84, 0x15, 0x97, 0xcf, 0x4f, 0x25, 0xa6, 0xc2, 0xad, 0xb6, 0x6f, 0x6e,
    0x2c, 0x6f, 0x83, 0xb4, 0x36, 0x48, 0xaf, 0x28, 0x59, 0x54, 0x41, 0xb1, 0x2d, 0x81, 0x30, 0xb9,
];

/// A header naming `retired` is refused by that name, before any cryptography.
fn assert_refused_by_name(retired: [u8; 32], prefix: &str) {
    use custodia_air::format::{FormatError, decode_header, encode_header};
    // This build's header reads back.
    let mut header = encode_header(&ProofOptions::STANDARD);
    assert!(decode_header(&header).is_ok());
    assert_ne!(custodia_air::digest::CONSTRAINT_DIGEST, retired);
    header[9..41].copy_from_slice(&retired);
    let err = decode_header(&header).unwrap_err();
    assert!(
        matches!(err, FormatError::ConstraintSystem { got, want }
            if got == retired && want == custodia_air::digest::CONSTRAINT_DIGEST),
        "{err:?}"
    );
    assert!(err.to_string().contains(prefix), "{err}");
}

#[test]
fn regression_a_proof_of_the_width_12_leaf_sponge_is_refused_by_its_constraint_digest() {
    assert_refused_by_name(WIDTH_12_LEAF_DIGEST, "22e62537");
}

#[test]
fn regression_a_proof_of_the_wide_permutation_blocks_is_refused_by_its_constraint_digest() {
    assert_refused_by_name(WIDE_PERMUTATIONS_DIGEST, "5165dbd2");
}

#[test]
fn regression_a_proof_of_the_width_16_leaf_sponge_is_refused_by_its_constraint_digest() {
    assert_refused_by_name(WIDTH_16_LEAF_DIGEST, "53f22424");
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn chain_commitment_vector() {
    // Pinned: docs/por-protocol.md quotes it. C = sponge(CHAIN, A = 1, [binding, b, S, salt]).
    use custodia_air::chain::commitment;
    let state = [AssetTotals {
        equity_lo: 1,
        equity_hi: 2,
        debt_lo: 3,
        debt_hi: 4,
    }];
    let c = commitment(&Digest([1, 2, 3, 4]), 7, &state, &Digest([5, 6, 7, 8]));
    assert_eq!(c.to_hex(), CHAIN_VECTOR);
    // Negative twins: another boundary index, salt or total is another commitment.
    assert_ne!(
        commitment(&Digest([1, 2, 3, 4]), 8, &state, &Digest([5, 6, 7, 8])),
        c
    );
    assert_ne!(
        commitment(&Digest([1, 2, 3, 4]), 7, &state, &Digest([5, 6, 7, 9])),
        c
    );
    let mut other = state;
    other[0].debt_hi += 1;
    assert_ne!(
        commitment(&Digest([1, 2, 3, 4]), 7, &other, &Digest([5, 6, 7, 8])),
        c
    );
}

const CHAIN_VECTOR: &str = "a7be4a365489273049f3d20987de92a605389ee53ea3705e99d9c7a675204d06";
