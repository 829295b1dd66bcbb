//! The demo wallet generator: every scheme, ratios of 100–115% with one asset below, determinism,
//! and a committed fixture (regenerate with `CUSTODIA_REGENERATE=1 cargo test -p
//! custodia-reserves --test it demo`).

use std::collections::BTreeSet;
use std::path::Path;

use custodia_primitives::{AssetId, AssetRegistry, Total};
use custodia_reserves::{
    AssetLiability, AssetStatus, DemoConfig, Liabilities, ReservesReport, Scheme, VerifyParams,
    WalletFormat, demo_wallets, parse_wallets, verify_wallets,
};

/// Liabilities from the snapshot crate's demo population (20k users, 22 assets).
fn demo_round() -> (AssetRegistry, Liabilities, custodia_snapshot::Prices) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = custodia_snapshot::demo::DemoConfig {
        users: 20_000,
        assets: 22,
        seed: 1,
    };
    let s = custodia_snapshot::demo::generate(&cfg, dir.path()).unwrap();
    let prices = custodia_snapshot::demo::demo_prices(&s.registry);
    let assets = s
        .registry
        .assets()
        .iter()
        .zip(s.equity_totals.iter().zip(&s.debt_totals))
        .map(|(a, (e, d))| AssetLiability {
            asset: a.id.clone(),
            decimals: a.decimals,
            equity: *e,
            debt: *d,
        })
        .collect();
    (
        s.registry,
        Liabilities::new("2026-11", assets).unwrap(),
        prices,
    )
}

fn verify(
    rows: &[custodia_reserves::WalletRow],
    liab: &Liabilities,
    reg: &AssetRegistry,
    p: &VerifyParams,
) -> ReservesReport {
    verify_wallets(rows, liab, reg, p).unwrap()
}

#[test]
fn demo_wallets_verify_with_ratios_around_100_to_115_and_one_below() {
    let (registry, liab, prices) = demo_round();
    let demo = demo_wallets(
        &registry,
        &liab,
        &DemoConfig::new("Custodia Demo Exchange", 1),
    )
    .unwrap();
    let mut params = demo.params.clone();
    for (i, a) in registry.assets().iter().enumerate() {
        params
            .usd_e8
            .insert(a.id.clone(), prices.get(i).unwrap().usd_e8());
    }
    let report = verify(&demo.rows, &liab, &registry, &params);
    assert_eq!(report.rejected, vec![], "every demo wallet verifies");
    assert_eq!(report.summary.wallets_verified, demo.rows.len());

    let below = demo.below_100.clone().unwrap();
    assert_eq!(below.as_str(), "USDC");
    assert_eq!(report.summary.assets_below_100, vec![below.clone()]);
    for a in &report.assets {
        match a.status {
            AssetStatus::Covered | AssetStatus::Below100 => {
                let target = demo.target_bps[&a.asset];
                let got = a.ratio_bps.unwrap();
                assert!(
                    got == target || got + 1 == target,
                    "{}: {got} vs {target}",
                    a.asset
                );
                if a.asset == below {
                    assert!((9_500..10_000).contains(&got), "{}: {got}", a.asset);
                } else {
                    assert!((10_000..=11_500).contains(&got), "{}: {got}", a.asset);
                }
                assert!(a.reserves_usd.is_some());
            }
            AssetStatus::NotVerifiable => {
                panic!("{}: every default chain has a verifier", a.asset)
            }
            AssetStatus::NoNetLiabilities => {}
        }
    }
    // Every scheme appears, every chain the defaults support is used.
    let schemes: BTreeSet<String> = report
        .wallets
        .iter()
        .map(|w| format!("{:?}", w.scheme))
        .collect();
    for s in [
        Scheme::Bip137,
        Scheme::Bip322Simple,
        Scheme::MultisigBip137,
        Scheme::MultisigBip322Simple,
        Scheme::Eip191,
        Scheme::Tip191,
        Scheme::CoinSignedMessage,
        Scheme::XrplKeypairs,
        Scheme::SolanaOffchain,
        Scheme::SolanaRaw,
        Scheme::TonProof,
        Scheme::Cip8,
        Scheme::Sr25519Bytes,
        Scheme::Frc0102,
        Scheme::Aip62,
    ] {
        assert!(schemes.contains(&format!("{s:?}")), "{s:?} missing");
    }
    let chains: BTreeSet<&str> = report.wallets.iter().map(|w| w.chain.as_str()).collect();
    assert_eq!(
        chains.into_iter().collect::<Vec<_>>(),
        [
            "aptos",
            "arbitrum",
            "bitcoin",
            "bitcoincash",
            "cardano",
            "dogecoin",
            "ethereum",
            "ethereumclassic",
            "filecoin",
            "litecoin",
            "optimism",
            "polkadot",
            "solana",
            "ton",
            "tron",
            "xrpl"
        ]
    );
    // Every asset of the default registry is measured: nothing is left "not verifiable".
    assert!(
        report.summary.assets_not_verifiable.is_empty(),
        "{:?}",
        report.summary.assets_not_verifiable
    );
    // The chains whose keys can change say so on each wallet.
    for w in &report.wallets {
        let changeable = matches!(w.chain.as_str(), "xrpl" | "aptos" | "tron" | "ton");
        assert_eq!(
            w.key_authority,
            if changeable {
                custodia_reserves::KeyAuthority::NotChecked
            } else {
                custodia_reserves::KeyAuthority::Intrinsic
            },
            "{}",
            w.chain
        );
    }
    let table = report.render_table();
    assert!(table.contains("BELOW 100%"), "{table}");
}

#[test]
fn demo_is_deterministic_and_both_formats_verify() {
    let (registry, liab, _) = demo_round();
    let cfg = DemoConfig::new("Custodia Demo Exchange", 9);
    let a = demo_wallets(&registry, &liab, &cfg).unwrap();
    let b = demo_wallets(&registry, &liab, &cfg).unwrap();
    assert_eq!(a.wallet_file, b.wallet_file);
    let c = demo_wallets(
        &registry,
        &liab,
        &DemoConfig::new("Custodia Demo Exchange", 10),
    )
    .unwrap();
    assert_ne!(a.wallet_file, c.wallet_file);

    let json = demo_wallets(
        &registry,
        &liab,
        &DemoConfig {
            format: WalletFormat::Json,
            below_100: Some(AssetId::new("BTC").unwrap()),
            ..cfg.clone()
        },
    )
    .unwrap();
    assert!(json.wallet_file.starts_with('{'));
    let rows = parse_wallets(&json.wallet_file).unwrap();
    let report = verify(&rows, &liab, &registry, &json.params);
    assert!(report.rejected.is_empty());
    assert_eq!(
        report.summary.assets_below_100,
        vec![AssetId::new("BTC").unwrap()]
    );

    // The parameters travel as reserves.toml.
    let p = VerifyParams::from_toml(&a.params.to_toml()).unwrap();
    assert_eq!(p, a.params);
    // Verified under another exchange's name, nothing counts.
    let other = VerifyParams {
        exchange: "Someone Else".into(),
        ..p
    };
    let report = verify(&a.rows, &liab, &registry, &other);
    assert_eq!(report.summary.wallets_verified, 0);
    assert!(report.rejected.iter().all(|r| r.code == "wrong_exchange"));
}

/// A small fixed round for the committed fixture (independent of other crates' generators).
fn fixture_round() -> (AssetRegistry, Liabilities) {
    let registry = AssetRegistry::default_assets().truncated(5).unwrap();
    let line = |i: usize, equity: u128, debt: u128| {
        let a = registry.get(i).unwrap();
        AssetLiability {
            asset: a.id.clone(),
            decimals: a.decimals,
            equity: Total::from_units(equity),
            debt: Total::from_units(debt),
        }
    };
    let liab = Liabilities::new(
        "2026-11",
        vec![
            line(0, 1_234_567_890_123, 4_567_890_123),
            line(1, 98_765_432_100_000, 0),
            line(2, 5_000_000_000_000, 1_000_000_000),
            line(3, 2_500_000_000_000, 0),
            line(4, 10_000_000_000, 0),
        ],
    )
    .unwrap();
    (registry, liab)
}

#[test]
fn committed_fixture_is_reproduced_and_verifies() {
    let (registry, liab) = fixture_round();
    let demo = demo_wallets(
        &registry,
        &liab,
        &DemoConfig::new("Custodia Demo Exchange", 1),
    )
    .unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let wallets = dir.join("demo-wallets.csv");
    let params = dir.join("demo-reserves.toml");
    if std::env::var_os("CUSTODIA_REGENERATE").is_some() {
        std::fs::write(&wallets, &demo.wallet_file).unwrap();
        std::fs::write(&params, demo.params.to_toml()).unwrap();
    }
    let committed = std::fs::read_to_string(&wallets).unwrap();
    assert_eq!(
        committed, demo.wallet_file,
        "the generator changed: regenerate with CUSTODIA_REGENERATE=1"
    );
    let p = VerifyParams::from_toml(&std::fs::read_to_string(&params).unwrap()).unwrap();
    assert_eq!(p, demo.params);
    let report = custodia_reserves::verify_wallet_file(&wallets, &liab, &registry, &p).unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(
        report.summary.assets_below_100,
        vec![AssetId::new("USDC").unwrap()]
    );
}

#[test]
fn bench_fixture_verifies() {
    let r = custodia_reserves::bench_verify(45);
    assert!(r.all_verified);
    assert_eq!(r.wallets, 45);
    assert!(
        r.signatures > 45,
        "multisig wallets carry several signatures"
    );
}
