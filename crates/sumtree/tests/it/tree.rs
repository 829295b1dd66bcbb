//! Tree, layout and inclusion-proof behaviour, with a negative twin for every positive check.

use custodia_hash::Digest;
use custodia_primitives::{AccountId, Amount, AssetRegistry};
use custodia_sumtree::witness::{BatchWitness, WitnessError};
use custodia_sumtree::{
    InclusionError, InclusionProof, Nonce, TreeError, TreeShape, assets_digest, build_tree,
    leaf_hash, root_from_path, round_context, uid_hash,
};
use proptest::prelude::*;

const SEED: [u8; 32] = [7; 32];
const ROUND: &str = "test-round";

/// The context of round [`ROUND`] over the first `a` default assets.
fn ctx(a: usize) -> Digest {
    round_context(ROUND, &assets_digest(&registry(a)))
}

fn users(n: usize) -> Vec<AccountId> {
    (0..n)
        .map(|i| AccountId::new(format!("user-{i:06}")).unwrap())
        .collect()
}

fn registry(a: usize) -> AssetRegistry {
    AssetRegistry::default_assets().truncated(a).unwrap()
}

fn amounts(v: &[u64]) -> Vec<Amount> {
    v.iter().map(|&x| Amount::new(x).unwrap()).collect()
}

fn proof_for(
    built: &custodia_sumtree::BuiltTree,
    ids: &[AccountId],
    balances: &[Amount],
    assets: &AssetRegistry,
    u: usize,
) -> InclusionProof {
    let w = 2 * assets.len();
    let slot = built.layout.user_slot[u] as usize;
    InclusionProof::new(
        ROUND,
        ids[u].clone(),
        built.layout.nonces[u],
        assets,
        &balances[u * w..(u + 1) * w],
        slot as u64,
        built.tree.path(slot).unwrap(),
        built.tree.root(),
    )
}

#[test]
fn leaf_vector() {
    // Pinned: changing the encoding changes every published root; docs/por-protocol.md quotes it.
    let id = AccountId::new("alice").unwrap();
    let nonce = Nonce([0x11; 32]);
    let context = round_context("2026-11", &assets_digest(&registry(2)));
    let uid = uid_hash(&id, &nonce, &context);
    let leaf = leaf_hash(&uid, &amounts(&[50_000_000, 0, 120_000_000, 10_000_000]));
    let assets = assets_digest(&registry(22));
    assert_eq!(
        [
            context.to_hex(),
            uid.to_hex(),
            leaf.to_hex(),
            assets.to_hex()
        ],
        LEAF_VECTORS
    );
    // Negative twin: another round id gives another context, uid and leaf.
    let other = round_context("2026-12", &assets_digest(&registry(2)));
    assert_ne!(uid_hash(&id, &nonce, &other), uid);
}

const LEAF_VECTORS: [&str; 4] = [
    "dd7fe0f2b2ecc9bba979d1cb0b8ff072ea5892006cd27bbe06a68b020e20d154",
    "c7c6f72b07984071acae61c1741cde29d6b5f27eef922637f2ea83a65cb3e38a",
    "03bcd4a3f6031a46847e1a9c948f5950a88c4d40f0c23b933acba00daa782816",
    "d6f2f338e7aaf66fcc71f757c2f0e4443e60fc02d2256c0d4cd11555b0d078d6",
];

#[test]
fn regression_relabelled_assets_or_round_in_an_inclusion_file_are_rejected() {
    // The leaf binds balances by position; the labels come from the file. Since version 2 the
    // uid hash absorbs the round id and the asset list, so relabelling breaks the path.
    let assets = registry(3);
    let ids = users(5);
    let balances = amounts(&[7; 30]);
    let shape = TreeShape::for_users(5, 2, 0).unwrap();
    let built = build_tree(&ids, &balances, 3, shape, &SEED, &ctx(3)).unwrap();
    let root = built.tree.root();
    let good = proof_for(&built, &ids, &balances, &assets, 1);
    good.verify(&root).expect("the file as written verifies");
    let mut swapped = good.clone();
    swapped.assets.swap(0, 1);
    // Equity and debt keep their symbols, so the amounts move to the other position too.
    assert!(matches!(
        swapped.verify(&root),
        Err(InclusionError::RootMismatch { .. })
    ));
    let mut decimals = good.clone();
    decimals.assets[2].1 += 1;
    assert!(matches!(
        decimals.verify(&root),
        Err(InclusionError::RootMismatch { .. })
    ));
    let mut renamed = good.clone();
    let old = renamed.assets[0].0.to_string();
    renamed.assets[0].0 = custodia_primitives::AssetId::new("FAKE").unwrap();
    for map in [&mut renamed.equity, &mut renamed.debt] {
        for (k, _) in &mut map.0 {
            if *k == old {
                *k = "FAKE".into();
            }
        }
    }
    assert!(matches!(
        renamed.verify(&root),
        Err(InclusionError::RootMismatch { .. })
    ));
    let mut other_round = good.clone();
    other_round.round = "another-round".into();
    assert!(matches!(
        other_round.verify(&root),
        Err(InclusionError::RootMismatch { .. })
    ));
    let mut bad_id = good;
    bad_id.round = "test-round\0".into();
    assert!(matches!(
        bad_id.verify(&root),
        Err(InclusionError::RoundId(_))
    ));
}

#[test]
fn every_user_has_a_verifying_proof_and_tampering_fails() {
    let assets = registry(3);
    let ids = users(37);
    let balances: Vec<Amount> = (0..37 * 6)
        .map(|i| Amount::new((i * 7919 % 1000) as u64).unwrap())
        .collect();
    let shape = TreeShape::for_users(ids.len(), 3, 0).unwrap();
    assert_eq!(shape.num_leaves(), 64);
    let built = build_tree(&ids, &balances, 3, shape, &SEED, &ctx(3)).unwrap();
    let root = built.tree.root();
    for u in 0..ids.len() {
        let p = proof_for(&built, &ids, &balances, &assets, u);
        let v = p.verify(&root).unwrap();
        assert_eq!(v.user_id, ids[u]);
        // Negative twin: the same file against another root fails.
        let other = Digest([1, 2, 3, 4]);
        assert!(matches!(
            p.verify(&other),
            Err(InclusionError::FileRoot { .. })
        ));
    }
    // A balance off by one unit is rejected.
    let mut p = proof_for(&built, &ids, &balances, &assets, 5);
    p.equity.0[0].1 = bump(&p.equity.0[0].1);
    assert!(matches!(
        p.verify(&root),
        Err(InclusionError::RootMismatch { .. })
    ));
    // Another user's nonce, id, index or sibling: rejected.
    let good = proof_for(&built, &ids, &balances, &assets, 5);
    let mut p = good.clone();
    p.nonce.0[0] ^= 1;
    assert!(matches!(
        p.verify(&root),
        Err(InclusionError::RootMismatch { .. })
    ));
    let mut p = good.clone();
    p.user_id = ids[6].clone();
    assert!(matches!(
        p.verify(&root),
        Err(InclusionError::RootMismatch { .. })
    ));
    let mut p = good.clone();
    p.leaf_index ^= 1;
    assert!(matches!(
        p.verify(&root),
        Err(InclusionError::RootMismatch { .. })
    ));
    let mut p = good.clone();
    p.siblings[3].0[0] ^= 1;
    assert!(matches!(
        p.verify(&root),
        Err(InclusionError::RootMismatch { .. })
    ));
    let mut p = good.clone();
    p.siblings.pop();
    assert!(
        p.verify(&root).is_err(),
        "a shortened path cannot reach the root"
    );
    let mut p = good.clone();
    p.siblings.resize(33, Digest::default());
    assert!(matches!(p.verify(&root), Err(InclusionError::Height(33))));
    let mut p = good.clone();
    p.leaf_index = 1 << 40;
    assert!(matches!(
        p.verify(&root),
        Err(InclusionError::LeafIndex { .. })
    ));
    let mut p = good.clone();
    p.equity.0.push(("DOGE".into(), "1".into()));
    assert!(matches!(
        p.verify(&root),
        Err(InclusionError::UnknownAsset(_))
    ));
    let mut p = good.clone();
    match p.debt.0.first_mut() {
        Some(d) => d.1 = "-1".into(),
        None => p.debt.0.push((p.equity.0[0].0.clone(), "-1".into())),
    }
    assert!(matches!(
        p.verify(&root),
        Err(InclusionError::Amount { side: "debt", .. })
    ));
    let mut p = good;
    p.assets.swap(0, 1);
    assert!(p.verify(&root).is_err(), "asset order is bound");
}

fn bump(s: &str) -> String {
    // Adds one to the last digit position, keeping the decimal form valid.
    let v: u128 = s.replace('.', "").parse().unwrap();
    let digits = s.split_once('.').map_or(0, |(_, f)| f.len());
    let n = format!("{:0width$}", v + 1, width = digits + 1);
    if digits == 0 {
        n
    } else {
        format!("{}.{}", &n[..n.len() - digits], &n[n.len() - digits..])
    }
}

#[test]
fn layout_is_deterministic_and_seed_dependent() {
    let ids = users(10);
    let bal = vec![Amount::ZERO; 20];
    let shape = TreeShape::new(6, 2).unwrap();
    let a = build_tree(&ids, &bal, 1, shape, &SEED, &ctx(1)).unwrap();
    let b = build_tree(&ids, &bal, 1, shape, &SEED, &ctx(1)).unwrap();
    let c = build_tree(&ids, &bal, 1, shape, &[8; 32], &ctx(1)).unwrap();
    assert_eq!(a.tree.root(), b.tree.root());
    assert_ne!(a.tree.root(), c.tree.root());
    assert_ne!(a.layout.user_slot, c.layout.user_slot);
    // Padding leaves get distinct random ids: no two leaves are equal even with all-zero balances.
    let mut leaves = a.tree.leaves().to_vec();
    leaves.sort();
    leaves.dedup();
    assert_eq!(leaves.len(), 64);
}

#[test]
fn batch_roots_join_into_the_root_and_witnesses_round_trip() {
    let ids = users(20);
    let bal: Vec<Amount> = (0..40).map(|i| Amount::new(i as u64).unwrap()).collect();
    let shape = TreeShape::new(5, 3).unwrap();
    let built = build_tree(&ids, &bal, 1, shape, &SEED, &ctx(1)).unwrap();
    assert_eq!(built.tree.batch_roots().len(), 4);
    let mut level = built.tree.batch_roots().to_vec();
    while level.len() > 1 {
        level = custodia_hash::compress_pairs(&level);
    }
    assert_eq!(level[0], built.tree.root());
    for b in 0..4 {
        let w = BatchWitness::from_tree(&built, &bal, 1, b);
        let bytes = w.to_bytes();
        let back = BatchWitness::from_bytes(&bytes).unwrap();
        assert_eq!(back, w);
        let leaves = back.leaves();
        assert_eq!(leaves, built.tree.leaves()[b * 8..(b + 1) * 8]);
        let mut lvl = leaves;
        while lvl.len() > 1 {
            lvl = custodia_hash::compress_pairs(&lvl);
        }
        assert_eq!(lvl[0], built.tree.batch_roots()[b]);
        // Negative twins: truncated, oversized value, bad magic.
        assert!(matches!(
            BatchWitness::from_bytes(&bytes[..bytes.len() - 1]),
            Err(WitnessError::Length { .. })
        ));
        let mut bad = bytes.clone();
        let first_balance = 24 + 32;
        bad[first_balance + 7] = 0x40; // 2^62
        assert!(matches!(
            BatchWitness::from_bytes(&bad),
            Err(WitnessError::Value { .. })
        ));
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert_eq!(BatchWitness::from_bytes(&bad), Err(WitnessError::Header));
    }
}

#[test]
fn shape_errors() {
    assert_eq!(
        TreeShape::new(33, 3),
        Err(TreeError::TooLarge { log_leaves: 33 })
    );
    assert_eq!(
        TreeShape::new(3, 4),
        Err(TreeError::BatchLargerThanTree {
            log_batch: 4,
            log_leaves: 3
        })
    );
    assert_eq!(TreeShape::for_users(1000, 4, 0).unwrap().log_leaves, 10);
    assert_eq!(TreeShape::for_users(1000, 4, 16).unwrap().log_leaves, 16);
    assert_eq!(TreeShape::for_users(3, 4, 0).unwrap().log_leaves, 4);
    let ids = users(9);
    assert!(matches!(
        build_tree(
            &ids,
            &[Amount::ZERO; 18],
            1,
            TreeShape::new(3, 1).unwrap(),
            &SEED,
            &ctx(1),
        ),
        Err(TreeError::TooManyUsers { .. })
    ));
    assert!(matches!(
        build_tree(
            &ids,
            &[Amount::ZERO; 17],
            1,
            TreeShape::new(4, 1).unwrap(),
            &SEED,
            &ctx(1),
        ),
        Err(TreeError::BalancesShape { .. })
    ));
}

#[test]
fn proof_json_is_small_and_strict() {
    let assets = registry(22);
    let ids = users(3);
    let mut bal = vec![Amount::ZERO; 3 * 44];
    for (i, b) in bal.iter_mut().enumerate() {
        // A whale: six assets with 12-digit balances, two of them with debt too.
        if i % 44 < 12 && (i % 2 == 0 || i % 44 < 4) {
            *b = Amount::new(123_456_789_012 + i as u64).unwrap();
        }
    }
    // A 2^20-leaf tree's path has 20 siblings; simulate it with a real small tree plus fake
    // siblings to measure the size of a realistic file.
    let built = build_tree(
        &ids,
        &bal,
        22,
        TreeShape::new(2, 0).unwrap(),
        &SEED,
        &ctx(22),
    )
    .unwrap();
    let mut p = proof_for(&built, &ids, &bal, &assets, 0);
    p.siblings.resize(20, Digest([1, 2, 3, 4]));
    let json = p.to_json();
    assert!(
        json.len() <= 2048,
        "inclusion file is {} bytes: {json}",
        json.len()
    );
    assert_eq!(InclusionProof::from_json(json.as_bytes()).unwrap(), p);
    // Unknown fields, wrong format tag, garbage, oversize: specific errors, no panic.
    let extra = json.replacen('{', "{\"x\":1,", 1);
    assert!(matches!(
        InclusionProof::from_json(extra.as_bytes()),
        Err(InclusionError::Json(_))
    ));
    let other = json.replace(custodia_sumtree::proof::FORMAT, "custodia-inclusion/9");
    assert!(matches!(
        InclusionProof::from_json(other.as_bytes()),
        Err(InclusionError::Format(_))
    ));
    assert!(matches!(
        InclusionProof::from_json(b"\xff\x00"),
        Err(InclusionError::Json(_))
    ));
    let big = vec![b' '; custodia_sumtree::proof::MAX_PROOF_BYTES + 1];
    assert!(matches!(
        InclusionProof::from_json(&big),
        Err(InclusionError::TooLarge(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any balances: every inclusion proof verifies; any changed balance unit, sibling byte or
    /// index is rejected.
    #[test]
    fn any_balances_verify_and_any_change_rejects(
        n in 1usize..40,
        vals in proptest::collection::vec(0u64..(1 << 62), 1..400),
        flip in any::<(usize, usize, u8)>(),
    ) {
        let assets = registry(2);
        let ids = users(n);
        let bal: Vec<Amount> = (0..n * 4).map(|i| Amount::new(vals[i % vals.len()]).unwrap()).collect();
        let built = build_tree(&ids, &bal, 2, TreeShape::for_users(n, 2, 0).unwrap(), &SEED, &ctx(2)).unwrap();
        let root = built.tree.root();
        for u in 0..n {
            prop_assert!(proof_for(&built, &ids, &bal, &assets, u).verify(&root).is_ok());
        }
        let u = flip.0 % n;
        let good = proof_for(&built, &ids, &bal, &assets, u);
        // Change one sibling byte (re-encoded through hex so the digest stays canonical).
        if !good.siblings.is_empty() {
            let mut p = good.clone();
            let s = flip.1 % p.siblings.len();
            let mut bytes = p.siblings[s].to_bytes();
            bytes[(flip.2 % 7) as usize] ^= 1;
            p.siblings[s] = Digest::from_bytes(&bytes).unwrap();
            prop_assert!(p.verify(&root).is_err());
        }
        // Change one balance by one unit.
        let w = 4;
        let mut b2 = bal[u * w..(u + 1) * w].to_vec();
        let k = flip.1 % w;
        b2[k] = Amount::new(b2[k].units() ^ 1).unwrap();
        let uid = uid_hash(&ids[u], &built.layout.nonces[u], &ctx(2));
        let forged = root_from_path(leaf_hash(&uid, &b2), good.leaf_index, &good.siblings);
        prop_assert_ne!(forged, root);
    }
}

#[test]
fn fast_writer_matches_serde_byte_for_byte() {
    use custodia_sumtree::proof::ProofWriter;
    let assets = registry(22);
    let ids = users(50);
    let bal: Vec<Amount> = (0..50 * 44)
        .map(|i| {
            Amount::new(if i % 3 == 0 {
                0
            } else {
                (i as u64).pow(5) % (1 << 62)
            })
            .unwrap()
        })
        .collect();
    let built = build_tree(
        &ids,
        &bal,
        22,
        TreeShape::new(6, 2).unwrap(),
        &SEED,
        &custodia_sumtree::round_context("round-7", &assets_digest(&assets)),
    )
    .unwrap();
    let w = ProofWriter::new("round-7", &assets, &built.tree.root());
    for u in 0..50 {
        let mut expect = proof_for(&built, &ids, &bal, &assets, u);
        expect.round = "round-7".into();
        assert_eq!(written(&w, &built, &ids, &bal, 44, u), expect.to_json());
    }
}

#[test]
fn regression_the_round_binding_encodes_lengths_and_refuses_what_it_cannot_encode() {
    use custodia_primitives::Total;
    use custodia_sumtree::{BindingError, RoundManifest};
    let assets = registry(1);
    let ids = users(3);
    let built = build_tree(
        &ids,
        &amounts(&[1; 6]),
        1,
        TreeShape::new(2, 1).unwrap(),
        &SEED,
        &ctx(1),
    )
    .unwrap();
    let totals = [Total::from_units(3)];
    let m = RoundManifest::for_tree(
        "r1",
        "2026-11-30T23:59:59Z",
        &assets,
        &built.tree,
        (&totals, &totals),
        None,
        custodia_sumtree::ChainOpenings {
            first_salt: Digest([1, 2, 3, 4]),
            last_salt: Digest([5, 6, 7, 8]),
            last_state: Vec::new(),
        },
    );
    let binding = m.binding().unwrap();
    // Pinned: docs/por-protocol.md quotes it (round `r1`, that time, 1 asset, no prices).
    assert_eq!(
        [m.root.to_hex(), binding.to_hex()],
        BINDING_VECTOR,
        "{:?}",
        [m.root.to_hex(), binding.to_hex()]
    );
    // Version 1 zero-padded the id and the time without lengths and truncated them: `r1` and
    // `r1\0` bound alike, and so did two offsets cut off at 32 bytes.
    for (round, time) in [
        ("r1\0", "2026-11-30T23:59:59Z"),
        (&"a".repeat(65)[..], "2026-11-30T23:59:59Z"),
        ("r 1", "2026-11-30T23:59:59Z"),
    ] {
        let mut other = m.clone();
        other.round = round.into();
        other.snapshot_time = time.into();
        assert!(
            matches!(other.binding(), Err(BindingError::RoundId(_))),
            "{round:?}"
        );
    }
    for time in [
        "2026-11-30T23:59:59+00:00",
        "2026-11-30T23:59:59.000000000000+14:00",
        "2026-11-30T23:59:59Z\0",
    ] {
        let mut other = m.clone();
        other.snapshot_time = time.into();
        assert!(
            matches!(other.binding(), Err(BindingError::SnapshotTime(_))),
            "{time:?}"
        );
    }
    // Negative twin: every valid change is another binding; the same manifest the same one.
    assert_eq!(m.clone().binding().unwrap(), binding);
    for (round, time) in [
        ("r1.", "2026-11-30T23:59:59Z"),
        ("r", "2026-11-30T23:59:59Z"),
        ("r1", "2026-11-30T23:59:58Z"),
    ] {
        let mut other = m.clone();
        other.round = round.into();
        other.snapshot_time = time.into();
        assert_ne!(other.binding().unwrap(), binding, "{round} {time}");
    }
}

const BINDING_VECTOR: [&str; 2] = [
    "0cbefdde884885e97fd4a770a9a1e8ea6f7052a9c622e98bb73b18cea8e9e05a",
    "770adb801fa3e5e219c659ee10b6b5748272fd1ac5cfebb06ea2b2d6e8458425",
];

/// `n` assets: the 22 defaults, then `A022`, `A023`, … with 6 decimals.
fn many_assets(n: usize) -> AssetRegistry {
    let mut list = registry(22).assets().to_vec();
    for i in 22..n {
        let mut a = list[21].clone();
        a.id = custodia_primitives::AssetId::new(format!("A{i:03}")).unwrap();
        a.decimals = 6;
        list.push(a);
    }
    AssetRegistry::new(list).unwrap()
}

fn list_of(assets: &AssetRegistry) -> Vec<(custodia_primitives::AssetId, u8)> {
    assets
        .assets()
        .iter()
        .map(|a| (a.id.clone(), a.decimals))
        .collect()
}

/// A 200-asset round over 4 users; user 0 holds three assets (one with debt), user 1 nothing.
fn round_of_200() -> (
    custodia_sumtree::BuiltTree,
    Vec<AccountId>,
    Vec<Amount>,
    AssetRegistry,
) {
    let assets = many_assets(200);
    let ids = users(4);
    let w = 400;
    let mut bal = vec![Amount::ZERO; 4 * w];
    for (pos, units) in [(0, 123_456_789_012u64), (5, 42_000_000), (150, 7)] {
        bal[2 * pos] = Amount::new(units).unwrap();
    }
    bal[2 * 5 + 1] = Amount::new(1_000_000).unwrap();
    for u in 2..4 {
        bal[u * w + 2 * (u * 40)] = Amount::new(1 + u as u64).unwrap();
    }
    let ctx = round_context(ROUND, &assets_digest(&assets));
    let built = build_tree(&ids, &bal, 200, TreeShape::new(2, 0).unwrap(), &SEED, &ctx).unwrap();
    (built, ids, bal, assets)
}

#[test]
fn a_200_asset_inclusion_file_is_compact_under_2_kb_and_verifies_once_bound() {
    let (built, ids, bal, assets) = round_of_200();
    let root = built.tree.root();
    let mut p = proof_for(&built, &ids, &bal, &assets, 0);
    assert!(p.is_compact());
    assert_eq!(p.num_assets(), 200);
    let held: Vec<u32> = p.held.iter().map(|h| h.0).collect();
    assert_eq!(held, [0, 5, 150]);
    // A 2^20-leaf round's path has 20 siblings: the file must stay within 2 KB.
    let mut big = p.clone();
    big.siblings.resize(20, Digest([1, 2, 3, 4]));
    let json = big.to_json();
    assert!(json.len() <= 2048, "{} bytes: {json}", json.len());
    assert_eq!(InclusionProof::from_json(json.as_bytes()).unwrap(), big);
    // Unbound, a compact file is refused rather than printed with unchecked labels.
    assert!(matches!(
        p.verify(&root),
        Err(InclusionError::AssetsNotBound {
            held: 3,
            num_assets: 200
        })
    ));
    // Bound to the round's list it verifies, with every asset's balance in place.
    let v = p
        .bind_assets(&list_of(&assets))
        .unwrap()
        .verify(&root)
        .unwrap();
    assert_eq!(v.balances.len(), 200);
    assert_eq!(v.balances[5].2, Amount::new(42_000_000).unwrap());
    assert_eq!(v.balances[5].3, Amount::new(1_000_000).unwrap());
    assert!(v.balances[6].2.is_zero());
    // A user holding nothing has no `held` at all and still verifies.
    let empty = proof_for(&built, &ids, &bal, &assets, 1);
    assert!(empty.held.is_empty() && !empty.to_json().contains("held"));
    let back = InclusionProof::from_json(empty.to_json().as_bytes()).unwrap();
    assert!(
        back.bind_assets(&list_of(&assets))
            .unwrap()
            .verify(&root)
            .is_ok()
    );
    // Negative twin: one unit more is caught after binding too.
    p.equity.0[0].1.push('1');
    assert!(
        p.bind_assets(&list_of(&assets))
            .unwrap()
            .verify(&root)
            .is_err()
    );
}

#[test]
fn regression_a_compact_file_with_relabelled_assets_is_refused_by_the_rounds_list() {
    let (built, ids, bal, assets) = round_of_200();
    let list = list_of(&assets);
    let good = proof_for(&built, &ids, &bal, &assets, 0);
    // Renamed: BTC (position 0) called ETH. The leaf is the same; the round's list is not.
    let mut renamed = good.clone();
    renamed.held[0].1 = custodia_primitives::AssetId::new("ETH").unwrap();
    renamed.equity.0[0].0 = "ETH".into();
    assert!(matches!(
        renamed.bind_assets(&list),
        Err(InclusionError::AssetList(m)) if m.contains("asset 0")
    ));
    // Decimals moved: 8 → 7 with the digits shifted gives the same units.
    let mut shifted = good.clone();
    shifted.held[0].2 = 7;
    assert!(shifted.bind_assets(&list).is_err());
    // Another round's list (one symbol differs) does not hash to the file's digest.
    let mut other = list.clone();
    other[199].0 = custodia_primitives::AssetId::new("ZZZ").unwrap();
    assert!(matches!(
        good.bind_assets(&other),
        Err(InclusionError::AssetList(m)) if m.contains("assets_digest")
    ));
    // A shorter list is refused by its length.
    assert!(good.bind_assets(&list[..199]).is_err());
    // Twin: the round's own list binds.
    assert!(good.bind_assets(&list).is_ok());
    // An inline file must carry exactly the round's list.
    let (b22, ids22, bal22) = {
        let ids = users(2);
        let bal = vec![Amount::new(5).unwrap(); 2 * 44];
        let b = build_tree(
            &ids,
            &bal,
            22,
            TreeShape::new(1, 0).unwrap(),
            &SEED,
            &ctx(22),
        )
        .unwrap();
        (b, ids, bal)
    };
    let inline = proof_for(&b22, &ids22, &bal22, &registry(22), 0);
    assert!(!inline.is_compact());
    let l22 = list_of(&registry(22));
    assert!(inline.bind_assets(&l22).is_ok());
    let mut l22b = l22.clone();
    l22b.swap(0, 1);
    assert!(inline.bind_assets(&l22b).is_err());
}

#[test]
fn compact_files_have_one_form_and_one_spelling() {
    let (built, ids, bal, assets) = round_of_200();
    let json = proof_for(&built, &ids, &bal, &assets, 0).to_json();
    let parse = |s: &str| InclusionProof::from_json(s.as_bytes());
    assert!(parse(&json).is_ok());
    let cases = [
        // Both forms at once.
        json.replacen(
            "\"assets_digest\"",
            "\"assets\":\"BTC:8\",\"assets_digest\"",
            1,
        ),
        // No digest.
        json.replacen("\"num_assets\":200,", "", 1).replacen(
            "\"assets_digest\"",
            "\"x_assets_digest\"",
            1,
        ),
        // Positions out of order, out of range, with a leading zero or a sign.
        json.replacen("BTC:8@0,XRP:6@5", "XRP:6@5,BTC:8@0", 1),
        json.replacen("@150", "@200", 1),
        json.replacen("@5,", "@05,", 1),
        json.replacen("@5,", "@+5,", 1),
        // An older tag (hashed with the width-16 leaf sponge).
        json.replacen("custodia-inclusion/5", "custodia-inclusion/4", 1),
        // No asset count at all.
        json.replacen("\"num_assets\":200", "\"num_assets\":0", 1),
    ];
    for (i, bad) in cases.iter().enumerate() {
        assert_ne!(bad, &json, "case {i} did not change the file");
        assert!(parse(bad).is_err(), "case {i} was accepted: {bad}");
    }
    // A held asset with no balance: parsed, but refused when the leaf is computed.
    let with_zero = json.replacen("@150", "@150,A151:6@151", 1);
    let p = parse(&with_zero).unwrap();
    assert!(matches!(p.leaf(), Err(InclusionError::HeldZero(a)) if a == "A151"));
    // A balance for an asset the file does not hold.
    let stray = json.replacen("\"equity\":{", "\"equity\":{\"A199\":\"1\",", 1);
    assert!(matches!(
        parse(&stray).unwrap().leaf(),
        Err(InclusionError::UnknownAsset(a)) if a == "A199"
    ));
}

#[test]
fn files_of_older_leaf_sponges_are_refused_as_unsupported() {
    let assets = registry(3);
    let ids = users(2);
    let bal = vec![Amount::new(9).unwrap(); 2 * 6];
    let built = build_tree(&ids, &bal, 3, TreeShape::new(1, 0).unwrap(), &SEED, &ctx(3)).unwrap();
    let p = proof_for(&built, &ids, &bal, &assets, 1);
    let json = p.to_json();
    assert!(json.contains("\"custodia-inclusion/5\""));
    let back = InclusionProof::from_json(json.as_bytes()).unwrap();
    assert!(back.verify(&built.tree.root()).is_ok());
    // Twins: versions 1 to 4 (4 hashed leaves with the width-16 sponge, 3 and 2 with the
    // width-12 one) are refused by their tag, before any hashing, so the user reads
    // "unsupported", not "not included".
    for old in [
        "custodia-inclusion/4",
        "custodia-inclusion/3",
        "custodia-inclusion/2",
        "custodia-inclusion/1",
    ] {
        let file = json.replacen("custodia-inclusion/5", old, 1);
        assert!(
            matches!(
                InclusionProof::from_json(file.as_bytes()),
                Err(InclusionError::Format(f)) if f == old
            ),
            "{old} was not refused as unsupported"
        );
    }
}

#[test]
fn fast_writer_matches_serde_for_compact_files() {
    use custodia_sumtree::proof::ProofWriter;
    let (built, ids, bal, assets) = round_of_200();
    let w = ProofWriter::new(ROUND, &assets, &built.tree.root());
    for u in 0..4 {
        assert_eq!(
            written(&w, &built, &ids, &bal, 400, u),
            proof_for(&built, &ids, &bal, &assets, u).to_json()
        );
    }
}

/// User `u`'s file as the bulk writer writes it (`width` balances per user).
fn written(
    w: &custodia_sumtree::proof::ProofWriter,
    built: &custodia_sumtree::BuiltTree,
    ids: &[AccountId],
    bal: &[Amount],
    width: usize,
    u: usize,
) -> String {
    let slot = built.layout.user_slot[u] as usize;
    let mut buf = Vec::new();
    w.write(
        &mut buf,
        &ids[u],
        &built.layout.nonces[u],
        &bal[u * width..(u + 1) * width],
        slot as u64,
        built.tree.path_iter(slot),
    );
    String::from_utf8(buf).unwrap()
}
