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

/// Plonky3's own known-answer test for this instance (`default_goldilocks_poseidon2_12`).
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
    // The width-20 instance on [0, 1, ..., 19]. Plonky3 publishes no width-20 known answer, so
    // this one comes from an independent implementation of the Poseidon2 definition
    // (`vectors/poseidon2_goldilocks.py`, which also reproduces Plonky3's width-12 and width-16
    // known answers).
    let mut state: [F; LEAF_WIDTH] = core::array::from_fn(|i| F::new(i as u64));
    leaf_permutation().permute_mut(&mut state);
    let got: Vec<u64> = state.iter().map(|x| x.as_canonical_u64()).collect();
    assert_eq!(got, PERM20_0_19.to_vec());
    // Negative twin: the width-12 instance on the first 12 elements gives something else.
    let mut narrow: [F; WIDTH] = core::array::from_fn(|i| F::new(i as u64));
    permute(&mut narrow);
    assert_ne!(narrow[..4], state[..4]);
}

const PERM20_0_19: [u64; LEAF_WIDTH] = [
    0x8441a28691b437e0,
    0xe15e1b0e6f89dd93,
    0xe069fd87be286115,
    0xc9bfdebde9e6bc4b,
    0xf000cd9fd25c9ef5,
    0x1e215987a0ab34e6,
    0xa70fe0ab5748e1c9,
    0x31f3d475fc7df0cc,
    0xd38ee3f10fefb15a,
    0xad9483f954ddcbfb,
    0x0eb50b89adbf4161,
    0x8fa502bad3668284,
    0x657923f25a6e53cd,
    0x2484c12283eebc81,
    0x4aa0904ed63f3cd3,
    0xbdebfc66b7ecb2e7,
    0x319deb8589d01531,
    0x0487afddb3ffb947,
    0x37b4036ea003a29e,
    0xfe782ebbb6ed8d6e,
];

#[test]
fn grain_reproduces_plonky3s_published_constants() {
    use p3_goldilocks::{
        GOLDILOCKS_POSEIDON2_RC_8_EXTERNAL_FINAL, GOLDILOCKS_POSEIDON2_RC_8_EXTERNAL_INITIAL,
        GOLDILOCKS_POSEIDON2_RC_8_INTERNAL, GOLDILOCKS_POSEIDON2_RC_16_EXTERNAL_FINAL,
        GOLDILOCKS_POSEIDON2_RC_16_EXTERNAL_INITIAL, GOLDILOCKS_POSEIDON2_RC_16_INTERNAL,
    };
    let c8 = grain::goldilocks_poseidon2_constants::<8>();
    assert_eq!(c8.0, GOLDILOCKS_POSEIDON2_RC_8_EXTERNAL_INITIAL);
    assert_eq!(c8.1, GOLDILOCKS_POSEIDON2_RC_8_INTERNAL);
    assert_eq!(c8.2, GOLDILOCKS_POSEIDON2_RC_8_EXTERNAL_FINAL);
    let c12 = grain::goldilocks_poseidon2_constants::<12>();
    assert_eq!(c12.0, RC_12_EXTERNAL_INITIAL);
    assert_eq!(c12.1, RC_12_INTERNAL);
    assert_eq!(c12.2, RC_12_EXTERNAL_FINAL);
    let c16 = grain::goldilocks_poseidon2_constants::<16>();
    assert_eq!(c16.0, GOLDILOCKS_POSEIDON2_RC_16_EXTERNAL_INITIAL);
    assert_eq!(c16.1, GOLDILOCKS_POSEIDON2_RC_16_INTERNAL);
    assert_eq!(c16.2, GOLDILOCKS_POSEIDON2_RC_16_EXTERNAL_FINAL);
    // Negative twin: the width enters the register, so width 12's stream is not width 16's.
    assert_ne!(c12.1, c16.1);
}

#[test]
fn the_width_20_table_is_grains_output() {
    let c20 = grain::goldilocks_poseidon2_constants::<20>();
    assert_eq!(c20.0, RC_20_EXTERNAL_INITIAL);
    assert_eq!(c20.1, RC_20_INTERNAL);
    assert_eq!(c20.2, RC_20_EXTERNAL_FINAL);
    // Every constant is distinct: a stuck or short generator would repeat itself.
    let mut all: Vec<u64> = c20
        .0
        .iter()
        .chain(&c20.2)
        .flatten()
        .chain(&c20.1)
        .map(|x| x.as_canonical_u64())
        .collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 2 * 4 * LEAF_WIDTH + PARTIAL_ROUNDS);
}

#[test]
fn leaf_sponge_absorbs_sixteen_per_permutation() {
    // By hand: 17 inputs are two width-20 permutations from [0 × 16 | LEAF, A, 0, 0].
    let input: Vec<F> = (0..17).map(|i| F::new(i * 31 + 5)).collect();
    let mut state = leaf_sponge_iv(7);
    assert_eq!(state[LEAF_RATE], F::new(domain::LEAF));
    state[..LEAF_RATE].copy_from_slice(&input[..LEAF_RATE]);
    leaf_permutation().permute_mut(&mut state);
    state[0] = input[16];
    state[1..LEAF_RATE].fill(F::ZERO);
    leaf_permutation().permute_mut(&mut state);
    let by_hand = Digest::from_field(state[..4].try_into().unwrap());
    assert_eq!(leaf_sponge(7, &input), by_hand);
    // Negative twins: the asset count, the 17th element, and the width-12 sponge all differ.
    assert_ne!(leaf_sponge(8, &input), by_hand);
    let mut other = input.clone();
    other[16] += F::ONE;
    assert_ne!(leaf_sponge(7, &other), by_hand);
    assert_ne!(sponge(domain::LEAF, 7, &input), by_hand);
    assert_eq!(leaf_sponge_permutations(16), 1);
    assert_eq!(leaf_sponge_permutations(17), 2);
    assert_eq!(leaf_sponge_permutations(48), 3);
    assert_eq!(leaf_sponge_permutations(404), 26);
}

#[test]
fn leaf_sponge_chains_26_blocks() {
    // A 200-asset leaf's input length: 404 elements, 26 permutations whose capacity lanes carry
    // from one to the next. The digest is the independent implementation's
    // (`vectors/poseidon2_goldilocks.py`).
    let input: Vec<F> = (0..404).map(F::new).collect();
    assert_eq!(
        leaf_sponge(200, &input).to_hex(),
        "e2f806e6abe9f2067d523c3de07a8559cbb3303b9846899cfb02e203f9c13b2a"
    );
    // Negative twin: the first block reaches the digest only through the carried capacity.
    let mut other = input.clone();
    other[0] = F::new(1_000);
    assert_ne!(leaf_sponge(200, &other), leaf_sponge(200, &input));
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

/// Quoted in docs/por-protocol.md §3: the width-12 sponge, the compression and the leaf sponge
/// (the last also printed by `vectors/poseidon2_goldilocks.py`, an independent implementation).
const VECTORS: [&str; 3] = [
    "9c1d07cb6b529510cc01d4911a8e1e2030a6f0f19d585dc686dfd2580e55144e",
    "8470fa6e0887005bd5fb84af6f4578e8ada6aa04e144a6d3ffe148a3ab885399",
    "550d9254fc9a9aab34e2bc52e1424e9cb745244d2cdd5bbecd5974fd41bb4bd3",
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
