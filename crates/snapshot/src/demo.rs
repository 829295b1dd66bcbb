//! A deterministic generator of realistic demo rounds: `assets.toml`, `prices.toml` and a wide-CSV
//! `snapshot.csv`.
//!
//! The population mimics an exchange's book: balances are heavy-tailed (most holdings are worth
//! tens of dollars, a few hundred users hold millions), most users hold one to four assets so most
//! cells are zero, about 10% of users hold nothing but dust, 1% hold nothing at all, and about 4%
//! carry margin debt in USDT, USDC, BTC or ETH, backed by other assets at 10–60% of their haircut
//! value, so every user satisfies [`crate::check_collateral_usd`] with room to spare.
//!
//! Everything is drawn from `ChaCha20Rng::seed_from_u64(seed)` with integer arithmetic only (no
//! floating point), so a seed gives the same bytes on every platform.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use custodia_primitives::{AccountId, Amount, AssetId, AssetInfo, AssetRegistry, Total};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::snapshot::{write_wide_header, write_wide_row};
use crate::{Price, Prices, Reason, SnapshotError, check_collateral_usd};

/// The registry file the generator writes.
pub const ASSETS_FILE: &str = "assets.toml";
/// The price file the generator writes.
pub const PRICES_FILE: &str = "prices.toml";
/// The snapshot file the generator writes (wide CSV).
pub const SNAPSHOT_FILE: &str = "snapshot.csv";
/// The most assets a demo round may have.
pub const MAX_DEMO_ASSETS: usize = 10_000;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoConfig {
    /// Number of users (at least 1).
    pub users: usize,
    /// Number of assets: the first of the 22 defaults, then `TOK23`, `TOK24`, … (1 to
    /// [`MAX_DEMO_ASSETS`]).
    pub assets: usize,
    /// RNG seed: the same seed writes the same bytes.
    pub seed: u64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            users: 10_000,
            assets: 22,
            seed: 1,
        }
    }
}

/// What [`generate`] wrote, for the caller to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// Users written.
    pub users: usize,
    /// Assets in the round.
    pub assets: usize,
    /// Users with some non-zero debt.
    pub users_with_debt: usize,
    /// Users holding only dust (under one dollar per holding).
    pub dust_users: usize,
    /// Users whose balances are all zero.
    pub empty_users: usize,
    /// Zero cells among the `users × 2 × assets` equity and debt amounts.
    pub zero_balances: u64,
    /// Total equity per asset, in registry order.
    pub equity_totals: Vec<Total>,
    /// Total debt per asset, in registry order.
    pub debt_totals: Vec<Total>,
    /// The round's registry (also written to [`ASSETS_FILE`]).
    pub registry: AssetRegistry,
}

/// The demo registry: the first `assets` default assets, then synthetic tokens `TOK23`, `TOK24`, …
/// (6 decimals, chain `ethereum`).
pub fn demo_registry(assets: usize) -> Result<AssetRegistry, SnapshotError> {
    if assets == 0 || assets > MAX_DEMO_ASSETS {
        return Err(config_error("assets must be between 1 and 10000"));
    }
    let defaults = AssetRegistry::default_assets();
    let mut list: Vec<AssetInfo> = defaults.assets().iter().take(assets).cloned().collect();
    for n in defaults.len() + 1..=assets {
        list.push(AssetInfo {
            id: AssetId::new(format!("TOK{n}")).expect("TOKn is a valid symbol"),
            name: format!("Demo token {n}"),
            decimals: 6,
            chains: vec!["ethereum".into()],
            max_supply: None,
        });
    }
    Ok(AssetRegistry::new(list).expect("the demo registry is valid"))
}

/// Plausible, fixed demo prices: a table for the 22 defaults; synthetic and unknown assets get a
/// price derived from their position ($0.001 to $100) and a 50% haircut.
pub fn demo_prices(registry: &AssetRegistry) -> Prices {
    let prices = registry
        .assets()
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let (usd_e8, haircut) = default_price(a.id.as_str()).unwrap_or_else(|| {
                let h = splitmix64(i as u64);
                let mantissa = 100 + h % 900;
                let exp = 3 + (h >> 32) % 5;
                (mantissa * 10u64.pow(exp as u32), 5000)
            });
            Price::new(usd_e8, haircut).expect("demo haircuts are at most 10000")
        })
        .collect();
    Prices::new(registry, prices).expect("one price per asset")
}

/// `(USD × 10^8, haircut bps)` of a default asset.
fn default_price(symbol: &str) -> Option<(u64, u16)> {
    Some(match symbol {
        "BTC" => (6_701_250_000_000, 500),
        "ETH" => (351_225_000_000, 500),
        "USDT" => (100_000_000, 0),
        "USDC" => (100_000_000, 0),
        "OKB" => (4_870_000_000, 2000),
        "XRP" => (52_130_000, 2000),
        "SOL" => (14_532_000_000, 1500),
        "DOGE" => (12_340_000, 3000),
        "TRX" => (11_870_000, 2500),
        "TON" => (684_000_000, 2500),
        "ADA" => (45_120_000, 2500),
        "SHIB" => (2_291, 5000),
        "PEPE" => (1_187, 5000),
        "LTC" => (8_245_000_000, 2000),
        "BCH" => (47_890_000_000, 2000),
        "DOT" => (712_000_000, 2500),
        "LINK" => (1_783_000_000, 2000),
        "ETC" => (2_741_000_000, 2500),
        "FIL" => (592_000_000, 3000),
        "APT" => (937_000_000, 3000),
        "ARB" => (112_000_000, 3000),
        "OP" => (245_000_000, 3000),
        _ => return None,
    })
}

/// How popular an asset is (relative weight of being held).
fn popularity(symbol: &str) -> u32 {
    match symbol {
        "USDT" => 300,
        "BTC" => 250,
        "ETH" => 160,
        "USDC" => 120,
        "SOL" => 50,
        "XRP" | "DOGE" => 40,
        "OKB" | "ADA" => 25,
        "TRX" | "TON" | "SHIB" | "PEPE" => 20,
        "LTC" => 15,
        "LINK" => 12,
        "BCH" | "DOT" | "ARB" | "OP" => 10,
        "APT" => 8,
        "ETC" | "FIL" => 6,
        _ => 3,
    }
}

/// Writes a demo round into `out_dir` (created if needed): [`ASSETS_FILE`], [`PRICES_FILE`] and
/// [`SNAPSHOT_FILE`]. Users are `user-000000001`, `user-000000002`, …
pub fn generate(cfg: &DemoConfig, out_dir: &Path) -> Result<DemoSummary, SnapshotError> {
    if cfg.users == 0 {
        return Err(config_error("users must be at least 1"));
    }
    let registry = demo_registry(cfg.assets)?;
    let prices = demo_prices(&registry);
    fs::create_dir_all(out_dir).map_err(|e| SnapshotError::io(out_dir, &e))?;
    let write = |name: &str, text: &str| {
        let path = out_dir.join(name);
        fs::write(&path, text).map_err(|e| SnapshotError::io(&path, &e))
    };
    write(ASSETS_FILE, &registry.to_toml())?;
    write(PRICES_FILE, &prices.to_toml())?;
    let path = out_dir.join(SNAPSHOT_FILE);
    let file = File::create(&path).map_err(|e| SnapshotError::io(&path, &e))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let summary = write_users(cfg, &registry, &prices, &mut out)
        .and_then(|s| out.flush().map(|()| s))
        .map_err(|e| SnapshotError::io(&path, &e))?;
    Ok(summary)
}

fn config_error(msg: &'static str) -> SnapshotError {
    SnapshotError::new("<demo>", None, None, Reason::InvalidDemoConfig(msg))
}

/// The population mix, per 10 000 users.
const EMPTY_PER_10K: u32 = 100;
const DUST_PER_10K: u32 = 1000;
const MARGIN_PER_10K: u32 = 400;

/// Holding sizes: cumulative per-10 000 odds that a holding falls in decade k or below, decade k
/// being [10^(k-1), 10^k) USD: $0.1–1 5%, $1–10 15%, $10–100 30%, $100–1k 28%, $1k–10k 15%,
/// $10k–100k 5.7%, $100k–1M 1.1%, $1M–10M 0.19%, $10M–100M 0.01%.
const DECADES_CUMULATIVE: [u32; 9] = [500, 2000, 5000, 7800, 9300, 9870, 9980, 9999, 10_000];

/// How many assets a regular user holds: 1 (45%), 2 (28%), 3 (15%), 4 (8%), 5–8 (4%).
fn holdings_count(rng: &mut ChaCha20Rng) -> usize {
    match rng.random_range(0..100u32) {
        0..45 => 1,
        45..73 => 2,
        73..88 => 3,
        88..96 => 4,
        _ => rng.random_range(5..=8),
    }
}

/// A heavy-tailed holding value in USD × 10^8, at least `10^(min_decade-1)` USD.
fn holding_usd_e8(rng: &mut ChaCha20Rng, min_decade: u32) -> u128 {
    let r = rng.random_range(0..10_000u32);
    let decade = DECADES_CUMULATIVE.partition_point(|&c| c <= r) as u32;
    let decade = decade.max(min_decade);
    // Six significant digits: mantissa × 10^(decade + 2) e8 lies in [10^(decade-1), 10^decade) USD.
    let mantissa = rng.random_range(100_000u128..1_000_000);
    mantissa * 10u128.pow(decade + 2)
}

/// A dust value: $0.0001 to $1, log-uniform, in USD × 10^8.
fn dust_usd_e8(rng: &mut ChaCha20Rng) -> u128 {
    let decade = rng.random_range(2..6u32);
    rng.random_range(100u128..1000) * 10u128.pow(decade)
}

/// Smallest units of asset `i` worth about `usd_e8` (rounded down), at least one unit.
fn units_for(prices: &Prices, registry: &AssetRegistry, i: usize, usd_e8: u128) -> Amount {
    let price = u128::from(prices.as_slice()[i].usd_e8()).max(1);
    let scale = 10u128.pow(u32::from(registry.assets()[i].decimals));
    let units = (usd_e8 * scale / price).clamp(1, u128::from(Amount::MAX.units()));
    Amount::new(units as u64).expect("clamped below 2^62")
}

/// Draws `k` distinct assets by popularity, never `exclude`.
fn pick_assets(
    rng: &mut ChaCha20Rng,
    cumulative: &[u32],
    k: usize,
    exclude: Option<usize>,
    out: &mut Vec<usize>,
) {
    out.clear();
    let n = cumulative.len();
    let available = n - usize::from(exclude.is_some());
    let k = k.min(available);
    let total = cumulative[n - 1];
    while out.len() < k {
        let mut pick = None;
        for _ in 0..32 {
            let r = rng.random_range(0..total);
            let i = cumulative.partition_point(|&c| c <= r);
            if Some(i) != exclude && !out.contains(&i) {
                pick = Some(i);
                break;
            }
        }
        // Small registries with skewed weights: fall back to the first free asset.
        let i = pick.unwrap_or_else(|| {
            (0..n)
                .find(|i| Some(*i) != exclude && !out.contains(i))
                .expect("k <= available")
        });
        out.push(i);
    }
}

fn write_users<W: Write>(
    cfg: &DemoConfig,
    registry: &AssetRegistry,
    prices: &Prices,
    out: &mut W,
) -> std::io::Result<DemoSummary> {
    let a = registry.len();
    let mut rng = ChaCha20Rng::seed_from_u64(cfg.seed);
    let cumulative: Vec<u32> = registry
        .assets()
        .iter()
        .scan(0u32, |s, info| {
            *s += popularity(info.id.as_str());
            Some(*s)
        })
        .collect();
    // Debt assets with their odds: USDT 50, USDC 20, BTC 15, ETH 15 (those in the round).
    let debt_assets: Vec<(usize, u32)> = [("USDT", 50), ("USDC", 20), ("BTC", 15), ("ETH", 15)]
        .iter()
        .filter_map(|&(s, w)| registry.index_of(s).map(|i| (i, w)))
        .collect();
    let debt_total: u32 = debt_assets.iter().map(|&(_, w)| w).sum();

    let mut summary = DemoSummary {
        users: cfg.users,
        assets: a,
        users_with_debt: 0,
        dust_users: 0,
        empty_users: 0,
        zero_balances: 0,
        equity_totals: Vec::new(),
        debt_totals: Vec::new(),
        registry: registry.clone(),
    };
    let mut sums = vec![0u128; 2 * a];
    let mut row = vec![Amount::ZERO; 2 * a];
    let mut picks = Vec::with_capacity(8);
    let mut line = Vec::with_capacity(64 + 24 * 2 * a);
    let mut id = String::with_capacity(16);
    write_wide_header(&mut line, registry);
    out.write_all(&line)?;

    for n in 1..=cfg.users {
        row.fill(Amount::ZERO);
        let roll = rng.random_range(0..10_000u32);
        if roll < EMPTY_PER_10K {
            summary.empty_users += 1;
        } else if roll < EMPTY_PER_10K + DUST_PER_10K {
            summary.dust_users += 1;
            let k = rng.random_range(1..=2);
            pick_assets(&mut rng, &cumulative, k, None, &mut picks);
            for &i in &picks {
                let usd = dust_usd_e8(&mut rng);
                row[2 * i] = units_for(prices, registry, i, usd);
            }
        } else if roll < EMPTY_PER_10K + DUST_PER_10K + MARGIN_PER_10K && debt_total > 0 {
            let r = rng.random_range(0..debt_total);
            let mut acc = 0;
            let d = debt_assets
                .iter()
                .find(|&&(_, w)| {
                    acc += w;
                    r < acc
                })
                .map_or(0, |&(i, _)| i);
            let k = rng.random_range(1..=3);
            let exclude = (a > 1).then_some(d);
            pick_assets(&mut rng, &cumulative, k, exclude, &mut picks);
            let mut haircut_value: u128 = 0;
            for &i in &picks {
                let usd = holding_usd_e8(&mut rng, 3); // collateral of $100 and more
                let units = units_for(prices, registry, i, usd);
                row[2 * i] = units;
                let weight = u128::from(10_000 - prices.as_slice()[i].haircut_bps());
                haircut_value += prices.usd_value(i, units) * weight / 10_000;
            }
            // Borrow 10–60% of the haircut collateral value, rounded down.
            let ratio = rng.random_range(10..=60u128);
            let target = haircut_value * ratio / 100;
            let price = u128::from(prices.as_slice()[d].usd_e8()).max(1);
            let scale = 10u128.pow(u32::from(registry.assets()[d].decimals));
            let debt = (target * scale / price).min(u128::from(Amount::MAX.units()));
            row[2 * d + 1] = Amount::new(debt as u64).expect("clamped below 2^62");
            // Rounding down makes this hold by construction; the exact check keeps it so.
            while check_collateral_usd(&row, prices).is_err() {
                let halved = row[2 * d + 1].units() / 2;
                row[2 * d + 1] = Amount::new(halved).expect("smaller than before");
            }
        } else {
            let k = holdings_count(&mut rng);
            pick_assets(&mut rng, &cumulative, k, None, &mut picks);
            for &i in &picks {
                let usd = holding_usd_e8(&mut rng, 0);
                row[2 * i] = units_for(prices, registry, i, usd);
            }
        }
        if row.iter().skip(1).step_by(2).any(|d| !d.is_zero()) {
            summary.users_with_debt += 1;
        }
        for (s, v) in sums.iter_mut().zip(&row) {
            *s += u128::from(v.units());
            summary.zero_balances += u64::from(v.is_zero());
        }
        id.clear();
        push_user_id(&mut id, n);
        debug_assert!(AccountId::new(id.as_str()).is_ok());
        line.clear();
        write_wide_row(&mut line, &id, &row, registry);
        out.write_all(&line)?;
    }
    summary.equity_totals = sums
        .iter()
        .step_by(2)
        .map(|&s| Total::from_units(s))
        .collect();
    summary.debt_totals = sums[1..]
        .iter()
        .step_by(2)
        .map(|&s| Total::from_units(s))
        .collect();
    Ok(summary)
}

/// `user-` and `n` zero-padded to 9 digits.
fn push_user_id(id: &mut String, n: usize) {
    id.push_str("user-");
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    let mut v = n;
    while v > 0 || digits.len() - start < 9 {
        start -= 1;
        digits[start] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    id.extend(digits[start..].iter().map(|&b| char::from(b)));
}

/// SplitMix64: a fixed mixing function for the synthetic prices.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
