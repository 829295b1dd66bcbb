//! `por inclusion --all`: users delivered per second, pack (the default) against one file per
//! user. `cargo bench -p custodia-round --bench delivery`; `CUSTODIA_BENCH_USERS` (default
//! 200 000) users × 4 assets, batches of 2^14 leaves, built once (not proven: delivery reads only
//! the manifest and the inclusion files). `CUSTODIA_BENCH_DIR` picks the file system the
//! deliveries are written to (default: the system temporary folder).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use custodia_primitives::{AccountId, Amount, AssetRegistry};
use custodia_round::{BuildParams, FsBlobs, Layout, Silent};
use custodia_snapshot::{Price, Prices, Snapshot};

const ASSETS: &str = "\
[[asset]]\nid = \"BTC\"\nname = \"Bitcoin\"\ndecimals = 8\nchains = [\"bitcoin\"]\n\n\
[[asset]]\nid = \"ETH\"\nname = \"Ether\"\ndecimals = 8\nchains = [\"ethereum\"]\n\n\
[[asset]]\nid = \"USDT\"\nname = \"Tether\"\ndecimals = 6\nchains = [\"tron\"]\n\n\
[[asset]]\nid = \"USDC\"\nname = \"USD Coin\"\ndecimals = 6\nchains = [\"ethereum\"]\n";

fn bench(c: &mut Criterion) {
    let users: usize = std::env::var("CUSTODIA_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let base =
        std::env::var_os("CUSTODIA_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let work = tempfile::tempdir_in(&base).expect("tempdir");
    let registry = AssetRegistry::from_toml(ASSETS).expect("registry");
    let ids: Vec<AccountId> = (0..users)
        .map(|i| AccountId::new(format!("user-{i:09}")).expect("id"))
        .collect();
    let balances: Vec<Amount> = (0..users as u64)
        .flat_map(|u| {
            [
                u % 1_000_000,
                0,
                (u * 31) % 10_000_000,
                0,
                (u * 7) % 100_000_000,
                0,
                (u * 13) % 100_000_000,
                0,
            ]
        })
        .map(|v| Amount::new(v).expect("amount"))
        .collect();
    let snap = Snapshot::from_parts(registry.clone(), ids, balances).expect("snapshot");
    let prices = Prices::new(
        &registry,
        (0..4)
            .map(|_| Price::new(100_000_000, 0).expect("price"))
            .collect(),
    )
    .expect("prices");
    let round = FsBlobs::new(work.path().join("round"));
    let t = Instant::now();
    custodia_round::build_folder(
        &snap,
        Some(&prices),
        &BuildParams {
            round: "2026-11".into(),
            snapshot_time: "2026-11-30T23:59:59Z".into(),
            log_batch: 14,
            min_log_leaves: 14,
            seed: [5; 32],
            previous: None,
        },
        &round,
        false,
        &Silent,
    )
    .expect("build");
    eprintln!("built {users} users in {:.1} s", t.elapsed().as_secs_f64());

    let mut g = c.benchmark_group("delivery");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(users as u64));
    for (name, layout) in [("pack", Layout::Pack), ("files", Layout::Files)] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for i in 0..iters {
                    let out = work.path().join(format!("{name}-{i}"));
                    let t = Instant::now();
                    let d = custodia_round::deliver_all(&round, &out, layout, &Silent)
                        .expect("deliver");
                    spent += t.elapsed();
                    assert_eq!(d.users, users as u64);
                    std::fs::remove_dir_all(&out).expect("clean");
                }
                spent
            });
        });
    }
    // One user's file out of the pack, as the service reads it.
    let out = work.path().join("lookup");
    custodia_round::deliver_all(&round, &out, Layout::Pack, &Silent).expect("deliver");
    let probe: Vec<AccountId> = (0..1000)
        .map(|i| AccountId::new(format!("user-{:09}", (i * 7919) % users)).expect("id"))
        .collect();
    g.throughput(Throughput::Elements(probe.len() as u64));
    g.bench_function("pack-lookup-1000", |b| {
        b.iter(|| {
            for u in &probe {
                assert!(
                    custodia_round::read_delivered(&out, "2026-11", u)
                        .expect("read")
                        .is_some()
                );
            }
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
