use proptest::prelude::*;

use super::*;

#[test]
fn domain_tags_are_distinct_field_elements() {
    let tags = [
        domain::LEAF,
        domain::NODE,
        domain::UID,
        domain::ASSETS,
        domain::ROUND,
    ];
    for (i, a) in tags.iter().enumerate() {
        assert!(*a < F::ORDER_U64);
        for b in &tags[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn permutation_vector() {
    // Pinned output of the width-12 Goldilocks Poseidon2 on [0, 1, ..., 11]. If this changes,
    // the Plonky3 instance changed under us and every published root with it.
    let mut state: [F; WIDTH] = core::array::from_fn(|i| F::new(i as u64));
    permute(&mut state);
    let got: Vec<u64> = state.iter().map(|x| x.as_canonical_u64()).collect();
    assert_eq!(got, PERM_0_11.to_vec());
}

/// The Horizen Labs reference vector for this instance (also Plonky3's own known-answer test).
const PERM_0_11: [u64; WIDTH] = [
    0xf292ab67c0f14b03,
    0x0a32f1b37656544c,
    0x053c61ab895498de,
    0x02ff92e55b196ffb,
    0x58176e8f6f58cab2,
    0xb0aa1206e7aec0f8,
    0xe90c13f3dce83ca4,
    0xf4da15333edf39c2,
    0x23b701c053c2ca6c,
    0xd233d593dcdfbf58,
    0x4effa5f9516fb52e,
    0x0aaf4489f1f40166,
];

#[test]
fn leaf_permutation_vector() {
    // Plonky3's own known-answer test for `default_goldilocks_poseidon2_16` (p3-goldilocks 0.8.0,
    // `test_default_goldilocks_poseidon2_width_16`): the leaf sponge's instance is that one.
    let mut state: [F; LEAF_WIDTH] = PERM16_IN.map(F::new);
    leaf_permutation().permute_mut(&mut state);
    let got: Vec<u64> = state.iter().map(|x| x.as_canonical_u64()).collect();
    assert_eq!(got, PERM16_OUT.to_vec());
    // Negative twin: the width-12 instance on the first 12 elements gives something else.
    let mut narrow: [F; WIDTH] = core::array::from_fn(|i| F::new(PERM16_IN[i]));
    permute(&mut narrow);
    assert_ne!(narrow[..4], state[..4]);
}

const PERM16_IN: [u64; LEAF_WIDTH] = [
    0x4d3f967fab9d4979,
    0x57e1fba55677697e,
    0x57429a86e75a3774,
    0x31d379f3a592b5eb,
    0x497232e1b648e3f1,
    0x325a7db57173c39e,
    0xa802252d78bee916,
    0x8920f55e154adef8,
    0xa1225bc9c7913658,
    0xd687be5097ffd038,
    0x89f514ef0c913e48,
    0x21fd4a9cf548cd84,
    0x570a1586ada436ff,
    0x46bfbf38ccd740ae,
    0x23651b3f3ab26484,
    0xe90f3b02127fa552,
];

const PERM16_OUT: [u64; LEAF_WIDTH] = [
    0xf0f7717837c7032a,
    0xf12fbcc838feb15b,
    0xd8661f6fa4165ad8,
    0x351cdc546760d1a9,
    0x99474334bf02445f,
    0x46fc4e9ceb376d6a,
    0x4601808321fcd920,
    0xc58bfd0342dc60df,
    0xb7f3acd43f3c029c,
    0x5c7afa6a6997dfc5,
    0xecbef8b82906c887,
    0xd490e3b4e945d87c,
    0x31866766b83ebe0b,
    0xb32d52f6e7a5bea2,
    0x9522431667b3c5f9,
    0xeaf5638a69518f65,
];

#[test]
fn leaf_sponge_absorbs_twelve_per_permutation() {
    // By hand: 13 inputs are two width-16 permutations from [0 × 12 | LEAF, A, 0, 0].
    let input: Vec<F> = (0..13).map(|i| F::new(i * 31 + 5)).collect();
    let mut state = leaf_sponge_iv(7);
    assert_eq!(state[LEAF_RATE], F::new(domain::LEAF));
    state[..LEAF_RATE].copy_from_slice(&input[..LEAF_RATE]);
    leaf_permutation().permute_mut(&mut state);
    state[0] = input[12];
    state[1..LEAF_RATE].fill(F::ZERO);
    leaf_permutation().permute_mut(&mut state);
    let by_hand = Digest::from_field(state[..4].try_into().unwrap());
    assert_eq!(leaf_sponge(7, &input), by_hand);
    // Negative twins: the asset count, the 13th element, and the width-12 sponge all differ.
    assert_ne!(leaf_sponge(8, &input), by_hand);
    let mut other = input.clone();
    other[12] += F::ONE;
    assert_ne!(leaf_sponge(7, &other), by_hand);
    assert_ne!(sponge(domain::LEAF, 7, &input), by_hand);
    assert_eq!(leaf_sponge_permutations(12), 1);
    assert_eq!(leaf_sponge_permutations(13), 2);
    assert_eq!(leaf_sponge_permutations(48), 4);
    assert_eq!(leaf_sponge_permutations(404), 34);
}

#[test]
fn sponge_and_compress_vectors() {
    let a = sponge(domain::UID, 0, &[]);
    let b = sponge(domain::UID, 1, &[]);
    let c = sponge(domain::UID, 0, &[F::ONE]);
    assert_ne!(a, b, "the length parameter separates domains");
    assert_ne!(a, c);
    // Nine inputs use two permutations; the ninth element matters.
    let nine: Vec<F> = (0..9).map(F::new).collect();
    let mut nine2 = nine.clone();
    nine2[8] = F::new(100);
    assert_ne!(
        sponge(domain::LEAF, 9, &nine),
        sponge(domain::LEAF, 9, &nine2)
    );
    assert_eq!(sponge_permutations(0), 1);
    assert_eq!(sponge_permutations(8), 1);
    assert_eq!(sponge_permutations(9), 2);
    assert_eq!(sponge_permutations(48), 6);
    let l = Digest([1, 2, 3, 4]);
    let r = Digest([5, 6, 7, 8]);
    assert_ne!(compress(&l, &r), compress(&r, &l));
    assert_eq!(
        [
            sponge(domain::LEAF, 9, &nine).to_hex(),
            compress(&l, &r).to_hex(),
            leaf_sponge(9, &nine).to_hex(),
        ],
        VECTORS
    );
}

/// Quoted in docs/por-protocol.md §3: the width-12 sponge, the compression and the leaf sponge.
const VECTORS: [&str; 3] = [
    "9c1d07cb6b529510cc01d4911a8e1e2030a6f0f19d585dc686dfd2580e55144e",
    "8470fa6e0887005bd5fb84af6f4578e8ada6aa04e144a6d3ffe148a3ab885399",
    "fc344de6d7cdc2877873811a649b51a7147d5acbeaf5e77409553ee2c8bb4a26",
];

#[test]
fn digest_encodings_round_trip_and_reject_garbage() {
    let d = compress(&Digest([1, 2, 3, 4]), &Digest([5, 6, 7, 8]));
    assert_eq!(Digest::from_hex(&d.to_hex()), Ok(d));
    assert_eq!(
        Digest::from_hex(&format!("0x{}", d.to_hex().to_uppercase())),
        Ok(d)
    );
    assert_eq!(Digest::from_hex("abcd"), Err(DigestError::Length(4)));
    assert!(matches!(
        Digest::from_hex(&"zz".repeat(32)),
        Err(DigestError::Hex(_))
    ));
    assert_eq!(
        Digest::from_hex(&"ff".repeat(32)),
        Err(DigestError::NonCanonical { index: 0 })
    );
    let json = serde_json::to_string(&d).unwrap();
    assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), d);
}

#[test]
fn pack_bytes_is_seven_bytes_per_element() {
    let p = pack_bytes(&[1, 0, 0, 0, 0, 0, 0, 2]);
    assert_eq!(p, vec![F::new(1), F::new(2)]);
    assert_eq!(pack_bytes(&[0xff; 7]), vec![F::new((1 << 56) - 1)]);
}

#[test]
fn packed_helpers_equal_the_scalar_functions() {
    for count in [0usize, 1, 3, 4, 5, 9, 17] {
        let len = 20;
        let input = |i: usize, j: usize| F::new((i * 1000 + j) as u64);
        let many = sponge_many(domain::LEAF, 7, count, len, input);
        let leaves = leaf_sponge_many(7, count, len, input);
        assert_eq!(many.len(), count);
        assert_eq!(leaves.len(), count);
        for (i, (d, leaf)) in many.iter().zip(&leaves).enumerate() {
            let v: Vec<F> = (0..len).map(|j| input(i, j)).collect();
            assert_eq!(*d, sponge(domain::LEAF, 7, &v));
            assert_eq!(*leaf, leaf_sponge(7, &v));
            assert_ne!(d, leaf);
        }
        let kids: Vec<Digest> = (0..2 * count as u64)
            .map(|i| Digest([i, i + 1, i + 2, i + 3]))
            .collect();
        let parents = compress_pairs(&kids);
        for (i, p) in parents.iter().enumerate() {
            assert_eq!(*p, compress(&kids[2 * i], &kids[2 * i + 1]));
        }
    }
}

proptest! {
    #[test]
    fn any_digest_bytes_never_panic(bytes in proptest::array::uniform32(any::<u8>())) {
        if let Ok(d) = Digest::from_bytes(&bytes) {
            prop_assert_eq!(d.to_bytes(), bytes);
        }
    }
}
