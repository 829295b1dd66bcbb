//! One-shot timing of demo generation and wide-CSV ingestion (the numbers in `BENCH_NOTES.md`).
//!
//! `cargo run --release -p custodia-snapshot --example ingest_timing -- [USERS] [ASSETS] [DIR]`
//! (defaults: 1000000 users, 22 assets, a fresh temporary directory).

use std::path::PathBuf;
use std::time::Instant;

use custodia_snapshot::demo::{self, DemoConfig, SNAPSHOT_FILE};
use custodia_snapshot::{check_collateral_usd, load, load_prices};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let users = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let assets = args.next().map_or(Ok(22), |s| s.parse())?;
    let tmp = tempfile::tempdir()?;
    let dir = args
        .next()
        .map_or_else(|| tmp.path().to_path_buf(), PathBuf::from);
    let cfg = DemoConfig {
        users,
        assets,
        seed: 1,
    };

    let t = Instant::now();
    let summary = demo::generate(&cfg, &dir)?;
    let generate = t.elapsed();
    let path = dir.join(SNAPSHOT_FILE);
    let bytes = std::fs::metadata(&path)?.len();

    let t = Instant::now();
    let snapshot = load(&path, &summary.registry, None)?;
    let ingest = t.elapsed();

    let t = Instant::now();
    let (equity, _) = snapshot.totals();
    let totals = t.elapsed();
    assert_eq!(equity, summary.equity_totals);

    let prices = load_prices(&dir.join(demo::PRICES_FILE), &summary.registry)?;
    let t = Instant::now();
    let ok = (0..snapshot.num_users())
        .filter(|&u| check_collateral_usd(snapshot.user_balances(u), &prices).is_ok())
        .count();
    let collateral = t.elapsed();
    assert_eq!(ok, snapshot.num_users());

    let mb = bytes as f64 / 1e6;
    println!("users {users}, assets {assets}, snapshot.csv {mb:.1} MB");
    println!("generate   {:>8.3} s", generate.as_secs_f64());
    println!(
        "ingest     {:>8.3} s  ({:.0} MB/s, {:.2} M users/s)",
        ingest.as_secs_f64(),
        mb / ingest.as_secs_f64(),
        users as f64 / 1e6 / ingest.as_secs_f64()
    );
    println!("totals     {:>8.3} s", totals.as_secs_f64());
    println!(
        "collateral {:>8.3} s  (all users)",
        collateral.as_secs_f64()
    );
    println!(
        "users with debt {}, zero cells {:.1}%",
        summary.users_with_debt,
        summary.zero_balances as f64 * 100.0 / (2 * users * assets) as f64
    );
    Ok(())
}
