//! `bench_verify`: how fast a large wallet file is verified (for `custodia bench reserves` and
//! `BENCH_NOTES.md`; not a timed test).

use std::collections::BTreeMap;
use std::time::Instant;

use custodia_primitives::{Amount, AssetId, AssetRegistry, Total};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use crate::demo::{BTC_SLOTS, DEMO_HEIGHTS, RowContext, Slot, signed_row, slots_of};
use crate::model::{AssetLiability, Liabilities};
use crate::params::VerifyParams;
use crate::verify::verify_wallets;
use crate::wallet::{WalletFormat, WalletRow, parse_wallets, write_wallets};

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

/// A generated wallet file and everything needed to verify it.
#[derive(Debug, Clone)]
pub struct BenchFixture {
    /// The wallets (fresh key per wallet, every scheme in turn).
    pub rows: Vec<WalletRow>,
    /// A round whose liabilities equal the wallets' balances (every ratio is 100%).
    pub liabilities: Liabilities,
    /// The default registry.
    pub registry: AssetRegistry,
    /// Parameters pinning the heights used.
    pub params: VerifyParams,
}

/// Generates `n` wallets cycling through every scheme: the eleven Bitcoin kinds (BIP-137,
/// BIP-322 P2WPKH / P2SH-P2WPKH / P2TR, 2-of-3 multisig in both forms), EIP-191 on Ethereum
/// (ETH and USDT) and TIP-191 on TRON (TRX and USDT). Seeded: the same `n` gives the same file.
pub fn bench_fixture(n: usize) -> BenchFixture {
    let registry = AssetRegistry::default_assets();
    let exchange = "Bench Exchange";
    let round = "bench-1";
    let mut params = VerifyParams::new(exchange);
    for (chain, h) in DEMO_HEIGHTS {
        params = params.with_height(chain, h);
    }
    // The mix: every Bitcoin wallet type, EVM and TRON coins and tokens, and every wallet type
    // of every other chain of the default registry, in turn.
    let mut slots: Vec<(&str, Slot, &str)> =
        BTC_SLOTS.iter().map(|s| ("bitcoin", *s, "BTC")).collect();
    slots.extend([
        ("ethereum", Slot::Evm, "ETH"),
        ("ethereum", Slot::Evm, "USDT"),
        ("tron", Slot::Tron, "TRX"),
        ("tron", Slot::Tron, "USDT"),
    ]);
    for (chain, asset) in [
        ("dogecoin", "DOGE"),
        ("litecoin", "LTC"),
        ("bitcoincash", "BCH"),
        ("xrpl", "XRP"),
        ("solana", "SOL"),
        ("ton", "TON"),
        ("cardano", "ADA"),
        ("polkadot", "DOT"),
        ("filecoin", "FIL"),
        ("aptos", "APT"),
    ] {
        let kind = params.chain(chain).expect("built-in chain").kind;
        slots.extend(slots_of(kind).into_iter().map(|s| (chain, s, asset)));
    }
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let mut totals: BTreeMap<AssetId, Total> = BTreeMap::new();
    let decimals_of = |asset: &AssetId| {
        registry
            .get(registry.index_of(asset.as_str()).expect("default asset"))
            .expect("index")
            .decimals
    };
    let rows: Vec<WalletRow> = (0..n)
        .map(|i| {
            let (chain, slot, asset) = slots[i % slots.len()];
            let chain = params.chain(chain).expect("built-in chain");
            let asset = AssetId::new(asset).expect("valid symbol");
            let amount = Amount::new(1_000 + (i as u64 % 997) * 1_000).expect("small");
            let t = totals.entry(asset.clone()).or_insert(Total::ZERO);
            *t = t.checked_add(amount).expect("small");
            let ctx = RowContext {
                exchange,
                round,
                chain,
                height: params.heights[&chain.name],
            };
            let balance = amount.to_decimal(decimals_of(&asset));
            let mut row = signed_row(&ctx, slot, &mut rng, None, &asset, balance);
            row.line = i + 2;
            row
        })
        .collect();
    let liabilities = Liabilities::new(
        round,
        totals
            .into_iter()
            .map(|(asset, equity)| AssetLiability {
                decimals: decimals_of(&asset),
                asset,
                equity,
                debt: Total::ZERO,
            })
            .collect(),
    )
    .expect("valid round");
    BenchFixture {
        rows,
        liabilities,
        registry,
        params,
    }
}

/// Generates [`bench_fixture`]`(n)`, writes it as CSV, then times parsing and verification with
/// the default (stated) balance source on all rayon threads.
pub fn bench_verify(n: usize) -> BenchReport {
    let t0 = Instant::now();
    let BenchFixture {
        rows,
        liabilities,
        registry,
        params,
    } = bench_fixture(n);
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
