//! The demo generator: determinism, round trip, realism, collateral.

use std::path::Path;

use custodia_primitives::{Amount, AssetRegistry};
use custodia_snapshot::demo::{self, ASSETS_FILE, DemoConfig, PRICES_FILE, SNAPSHOT_FILE};
use custodia_snapshot::{Price, Prices, check_collateral_usd, load, load_prices};

fn generate(cfg: &DemoConfig) -> (tempfile::TempDir, demo::DemoSummary) {
    let dir = tempfile::tempdir().unwrap();
    let summary = demo::generate(cfg, dir.path()).unwrap();
    (dir, summary)
}

fn read_all(dir: &Path) -> Vec<Vec<u8>> {
    [ASSETS_FILE, PRICES_FILE, SNAPSHOT_FILE]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect()
}

#[test]
fn demo_round_trips_and_is_realistic() {
    let cfg = DemoConfig {
        users: 20_000,
        assets: 22,
        seed: 7,
    };
    let (dir, summary) = generate(&cfg);
    let registry =
        AssetRegistry::from_toml(&std::fs::read_to_string(dir.path().join(ASSETS_FILE)).unwrap())
            .unwrap();
    assert_eq!(registry, AssetRegistry::default_assets());
    assert_eq!(registry, summary.registry);
    let snapshot = load(&dir.path().join(SNAPSHOT_FILE), &registry, None).unwrap();
    let prices = load_prices(&dir.path().join(PRICES_FILE), &registry).unwrap();
    assert_eq!(prices, demo::demo_prices(&registry));

    assert_eq!(snapshot.num_users(), 20_000);
    assert_eq!(snapshot.users[0].as_str(), "user-000000001");
    assert_eq!(snapshot.find_user("user-000020000"), Some(19_999));
    let (equity, debt) = snapshot.totals();
    assert_eq!(equity, summary.equity_totals);
    assert_eq!(debt, summary.debt_totals);

    // The summary's counts match the data.
    let rows = || (0..snapshot.num_users()).map(|u| snapshot.user_balances(u));
    let with_debt = rows()
        .filter(|r| r.iter().skip(1).step_by(2).any(|a| !a.is_zero()))
        .count();
    let empty = rows().filter(|r| r.iter().all(|a| a.is_zero())).count();
    let zeros = snapshot.balances.iter().filter(|a| a.is_zero()).count() as u64;
    assert_eq!(with_debt, summary.users_with_debt);
    assert_eq!(empty, summary.empty_users);
    assert_eq!(zeros, summary.zero_balances);

    // Realism: a few percent margin users, ~10% dust, ~1% empty, mostly zero cells, heavy tail.
    let pct = |n: usize| n * 100 / cfg.users;
    assert!(
        (3..=5).contains(&pct(with_debt)),
        "{with_debt} users with debt"
    );
    assert!(
        (9..=11).contains(&pct(summary.dust_users)),
        "{} dust users",
        summary.dust_users
    );
    assert!(
        (1..=2).contains(&(empty * 100).div_ceil(cfg.users)),
        "{empty} empty users"
    );
    assert!(
        zeros * 10 > snapshot.balances.len() as u64 * 9,
        "most cells are zero"
    );
    const USD: u128 = 100_000_000; // one dollar in USD × 10^8
    let mut usd: Vec<u128> = rows()
        .map(|r| (0..22).map(|i| prices.usd_value(i, r[2 * i])).sum())
        .collect();
    usd.sort_unstable();
    let median = usd[usd.len() / 2];
    let top = usd[usd.len() - 1];
    assert!(
        median > USD && median < 10_000 * USD,
        "median ${}",
        median / USD
    );
    assert!(top > 1_000_000 * USD, "the largest account holds over $1M");
    // Debt only in USDT, USDC, BTC, ETH.
    for (i, t) in debt.iter().enumerate() {
        let sym = registry.assets()[i].id.as_str();
        assert_eq!(
            t.units() > 0,
            ["BTC", "ETH", "USDT", "USDC"].contains(&sym),
            "{sym}"
        );
    }

    // Every user satisfies the collateral rule.
    for u in 0..snapshot.num_users() {
        check_collateral_usd(snapshot.user_balances(u), &prices)
            .unwrap_or_else(|e| panic!("{}: {e}", snapshot.users[u]));
    }
}

#[test]
fn demo_is_deterministic_per_seed() {
    let cfg = DemoConfig {
        users: 2000,
        assets: 30,
        seed: 42,
    };
    let (a, sa) = generate(&cfg);
    let (b, sb) = generate(&cfg);
    assert_eq!(read_all(a.path()), read_all(b.path()));
    assert_eq!(sa, sb);
    let (c, _) = generate(&DemoConfig { seed: 43, ..cfg });
    let (fa, fc) = (read_all(a.path()), read_all(c.path()));
    assert_eq!(fa[0], fc[0], "same registry");
    assert_eq!(fa[1], fc[1], "same prices");
    assert_ne!(fa[2], fc[2], "different users");
}

#[test]
fn demo_scales_to_hundreds_of_assets() {
    let (dir, summary) = generate(&DemoConfig {
        users: 500,
        assets: 200,
        seed: 1,
    });
    let registry = summary.registry.clone();
    assert_eq!(registry.len(), 200);
    assert_eq!(registry.assets()[22].id.as_str(), "TOK23");
    assert_eq!(registry.assets()[199].id.as_str(), "TOK200");
    let snapshot = load(&dir.path().join(SNAPSHOT_FILE), &registry, None).unwrap();
    let prices = load_prices(&dir.path().join(PRICES_FILE), &registry).unwrap();
    assert_eq!(snapshot.totals().0, summary.equity_totals);
    for u in 0..snapshot.num_users() {
        assert!(check_collateral_usd(snapshot.user_balances(u), &prices).is_ok());
    }
    // Fewer assets than the defaults also works.
    let (_d, one) = generate(&DemoConfig {
        users: 300,
        assets: 1,
        seed: 1,
    });
    assert_eq!(one.registry.len(), 1);
}

#[test]
fn demo_rejects_impossible_configs() {
    let dir = tempfile::tempdir().unwrap();
    for cfg in [
        DemoConfig {
            users: 0,
            assets: 22,
            seed: 1,
        },
        DemoConfig {
            users: 1,
            assets: 0,
            seed: 1,
        },
        DemoConfig {
            users: 1,
            assets: 10_001,
            seed: 1,
        },
    ] {
        assert!(demo::generate(&cfg, dir.path()).is_err(), "{cfg:?}");
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written"
    );
}

/// BTC $60 000 (haircut 5%), USDT $1 (no haircut).
fn btc_usdt() -> Prices {
    let reg = AssetRegistry::default_assets();
    let reg = AssetRegistry::new(vec![reg.assets()[0].clone(), reg.assets()[2].clone()]).unwrap();
    let prices = vec![
        Price::new(60_000 * 100_000_000, 500).unwrap(),
        Price::new(100_000_000, 0).unwrap(),
    ];
    Prices::new(&reg, prices).unwrap()
}

fn row(btc_eq: u64, btc_debt: u64, usdt_eq: u64, usdt_debt: u64) -> Vec<Amount> {
    [btc_eq, btc_debt, usdt_eq, usdt_debt]
        .map(|u| Amount::new(u).unwrap())
        .to_vec()
}

#[test]
fn collateral_rule_is_exact() {
    let p = btc_usdt();
    // 1 BTC = $60 000, haircut value $57 000: borrowing exactly $57 000 passes, one unit more fails.
    assert!(check_collateral_usd(&row(100_000_000, 0, 0, 57_000_000_000), &p).is_ok());
    let err = check_collateral_usd(&row(100_000_000, 0, 0, 57_000_000_001), &p).unwrap_err();
    assert_eq!(err.debt_usd_e8, 5_700_000_000_100);
    assert_eq!(err.collateral_usd_e8, 5_700_000_000_000);
    assert_eq!(
        err.to_string(),
        "undercollateralised: debt worth 57000.000001 USD exceeds haircut collateral worth 57000 USD"
    );
    // An undercollateralised user: 0.1 BTC ($5 700 after haircut) against $6 000 of USDT debt.
    assert!(check_collateral_usd(&row(10_000_000, 0, 0, 6_000_000_000), &p).is_err());
    // Debt in the same asset as the collateral: the haircut still applies.
    assert!(check_collateral_usd(&row(100_000_000, 95_000_000, 0, 0), &p).is_ok());
    assert!(check_collateral_usd(&row(100_000_000, 95_000_001, 0, 0), &p).is_err());
    // No debt always passes, even with nothing.
    assert!(check_collateral_usd(&row(0, 0, 0, 0), &p).is_ok());
    // Debt with nothing behind it fails.
    assert!(check_collateral_usd(&row(0, 0, 0, 1), &p).is_err());
    // Extremes do not overflow: maximal amounts at maximal prices with 18-decimal alignment.
    let reg = AssetRegistry::from_toml(
        "[[asset]]\nid=\"A\"\nname=\"a\"\ndecimals=0\nchains=[\"x\"]\n\
         [[asset]]\nid=\"B\"\nname=\"b\"\ndecimals=18\nchains=[\"x\"]\n",
    )
    .unwrap();
    let max = Prices::new(&reg, vec![Price::new(u64::MAX, 0).unwrap(); 2]).unwrap();
    let m = Amount::MAX.units();
    assert!(
        check_collateral_usd(
            &[Amount::MAX, Amount::ZERO, Amount::ZERO, Amount::MAX],
            &max
        )
        .is_ok()
    );
    let err = check_collateral_usd(
        &[Amount::ZERO, Amount::MAX, Amount::MAX, Amount::ZERO],
        &max,
    )
    .unwrap_err();
    assert_eq!(err.debt_usd_e8, u128::from(m) * u128::from(u64::MAX));
    assert_eq!(
        err.collateral_usd_e8,
        u128::from(m) * u128::from(u64::MAX) / 10u128.pow(18)
    );
}

#[test]
fn usd_value_rounds_down() {
    let p = btc_usdt();
    assert_eq!(
        p.usd_value(0, Amount::new(100_000_000).unwrap()),
        6_000_000_000_000
    );
    assert_eq!(p.usd_value(0, Amount::new(1).unwrap()), 60_000); // 1 sat = $0.0006
    assert_eq!(p.usd_value(1, Amount::new(1).unwrap()), 100); // 1e-6 USDT = 1e-6 USD
    let cheap = Prices::new(
        &AssetRegistry::default_assets().truncated(1).unwrap(),
        vec![Price::new(3, 0).unwrap()],
    )
    .unwrap();
    assert_eq!(cheap.usd_value(0, Amount::new(99_999_999).unwrap()), 2); // 2.99999997 -> 2
}

#[test]
fn prices_round_trip_through_toml() {
    let reg = demo::demo_registry(40).unwrap();
    let prices = demo::demo_prices(&reg);
    let text = prices.to_toml();
    let back = custodia_snapshot::parse_prices(&text, Path::new("p.toml"), &reg).unwrap();
    assert_eq!(back, prices);
    assert_eq!(prices.get(0).unwrap().usd_decimal(), "67012.5");
    assert_eq!(prices.get(2).unwrap().haircut_bps(), 0);
    assert!(
        prices
            .as_slice()
            .iter()
            .all(|p| p.usd_e8() > 0 && p.haircut_bps() <= 5000)
    );
    assert!(Price::new(1, 10_001).is_none());
}
