//! `bench_verify`: how fast a large wallet file is verified (for `custodia bench reserves` and
//! `BENCH_NOTES.md`; not a timed test).

use std::collections::BTreeMap;
use std::time::Instant;

use custodia_primitives::{AssetId, AssetRegistry, Total};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use crate::demo::{BTC_SLOTS, RowContext, Slot, signed_row};
use crate::params::VerifyParams;
use crate::verify::{AssetLiability, Liabilities, verify_wallets};
use crate::wallet::{WalletFormat, parse_wallets, write_wallets};

/// What [`bench_verify`] measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    /// Wallets in the file.
    pub wallets: usize,
    /// Signatures in the file (multisig wallets carry several).
    pub signatures: usize,
    /// Rayon threads used.
    pub threads: usize,
    /// Seconds to generate and sign the file (not part of verification).
    pub generate_seconds: f64,
    /// Seconds to parse the CSV file.
    pub parse_seconds: f64,
    /// Seconds to verify every wallet and build the report.
    pub verify_seconds: f64,
    /// `signatures / verify_seconds`.
    pub signatures_per_second: f64,
    /// `wallets / (parse_seconds + verify_seconds)`.
    pub wallets_per_second: f64,
    /// Whether every wallet verified (a sanity check of the run).
    pub all_verified: bool,
}

/// Generates `n` wallets cycling through every scheme (the eleven Bitcoin kinds, EIP-191 on
/// Ethereum, TIP-191 on TRON; one fresh key per wallet), writes them as CSV, then times parsing
/// and verification with the default (stated) balance source on all rayon threads.
pub fn bench_verify(n: usize) -> BenchReport {
    let t0 = Instant::now();
    let registry = AssetRegistry::default_assets();
    let exchange = "Bench Exchange";
    let round = "bench-1";
    let params = VerifyParams::new(exchange)
        .with_height("bitcoin", 840_000)
        .with_height("ethereum", 19_500_000)
        .with_height("tron", 60_000_000);
    let mut slots: Vec<(&str, Slot, &str)> =
        BTC_SLOTS.iter().map(|s| ("bitcoin", *s, "BTC")).collect();
    slots.extend([
        ("ethereum", Slot::Evm, "ETH"),
        ("ethereum", Slot::Evm, "USDT"),
        ("tron", Slot::Tron, "TRX"),
        ("tron", Slot::Tron, "USDT"),
    ]);
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let mut totals: BTreeMap<AssetId, Total> = BTreeMap::new();
    let rows: Vec<_> = (0..n)
        .map(|i| {
            let (chain, slot, asset) = slots[i % slots.len()];
            let chain = params.chain(chain).expect("built-in chain");
            let asset = AssetId::new(asset).expect("valid symbol");
            let decimals = registry
                .get(registry.index_of(asset.as_str()).expect("default asset"))
                .expect("index")
                .decimals;
            let units = 1_000 + (i as u64 % 997) * 1_000;
            let t = totals.entry(asset.clone()).or_insert(Total::ZERO);
            *t = t
                .checked_add(custodia_primitives::Amount::new(units).expect("small"))
                .expect("small");
            let ctx = RowContext {
                exchange,
                round,
                chain,
                height: params.heights[&chain.name],
            };
            let balance = custodia_primitives::Amount::new(units)
                .expect("small")
                .to_decimal(decimals);
            signed_row(&ctx, slot, &mut rng, None, &asset, balance)
        })
        .collect();
    let liabilities = Liabilities::new(
        round,
        totals
            .into_iter()
            .map(|(asset, equity)| AssetLiability {
                decimals: registry
                    .get(registry.index_of(asset.as_str()).expect("default asset"))
                    .expect("index")
                    .decimals,
                asset,
                equity,
                debt: Total::ZERO,
            })
            .collect(),
    )
    .expect("valid round");
    let text = write_wallets(&rows, WalletFormat::Csv);
    let signatures = rows.iter().map(|r| r.signatures.len()).sum();
    let generate_seconds = t0.elapsed().as_secs_f64();

    let t1 = Instant::now();
    let parsed = parse_wallets(&text).expect("generated file parses");
    let parse_seconds = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let report = verify_wallets(&parsed, &liabilities, &registry, &params).expect("valid inputs");
    let verify_seconds = t2.elapsed().as_secs_f64();
    BenchReport {
        wallets: n,
        signatures,
        threads: rayon::current_num_threads(),
        generate_seconds,
        parse_seconds,
        verify_seconds,
        signatures_per_second: signatures as f64 / verify_seconds,
        wallets_per_second: n as f64 / (parse_seconds + verify_seconds),
        all_verified: report.summary.wallets_verified == n,
    }
}
