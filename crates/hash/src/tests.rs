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
            compress(&l, &r).to_hex()
        ],
        VECTORS
    );
}

const VECTORS: [&str; 2] = [
    "9c1d07cb6b529510cc01d4911a8e1e2030a6f0f19d585dc686dfd2580e55144e",
    "8470fa6e0887005bd5fb84af6f4578e8ada6aa04e144a6d3ffe148a3ab885399",
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
        assert_eq!(many.len(), count);
        for (i, d) in many.iter().enumerate() {
            let v: Vec<F> = (0..len).map(|j| input(i, j)).collect();
            assert_eq!(*d, sponge(domain::LEAF, 7, &v));
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
