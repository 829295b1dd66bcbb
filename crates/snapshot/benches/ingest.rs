//! Ingestion and generation throughput over a 100 000-user × 22-asset demo round.
//!
//! `cargo bench -p custodia-snapshot --bench ingest`; the 1M-user figures in `BENCH_NOTES.md` come
//! from `examples/ingest_timing.rs`.

use std::fs::File;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use custodia_snapshot::demo::{self, DemoConfig, SNAPSHOT_FILE};
use custodia_snapshot::{Format, load};

const USERS: usize = 100_000;

fn ingest(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let cfg = DemoConfig {
        users: USERS,
        assets: 22,
        seed: 1,
    };
    let summary = demo::generate(&cfg, dir.path()).expect("demo round");
    let registry = summary.registry;
    let wide = dir.path().join(SNAPSHOT_FILE);
    let snapshot = load(&wide, &registry, None).expect("demo loads");
    let long = dir.path().join("long.csv");
    let jsonl = dir.path().join("snapshot.jsonl");
    snapshot
        .write(Format::LongCsv, File::create(&long).expect("create"))
        .expect("write long CSV");
    snapshot
        .write(Format::JsonLines, File::create(&jsonl).expect("create"))
        .expect("write JSON Lines");

    let mut group = c.benchmark_group("ingest_100k_users_22_assets");
    group.sample_size(10);
    group.throughput(Throughput::Elements(USERS as u64));
    for (name, path) in [
        ("wide_csv", &wide),
        ("long_csv", &long),
        ("json_lines", &jsonl),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| load(black_box(path), &registry, None).expect("loads"))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("demo_100k_users_22_assets");
    group.sample_size(10);
    group.throughput(Throughput::Elements(USERS as u64));
    group.bench_function("generate", |b| {
        b.iter(|| demo::generate(black_box(&cfg), dir.path()).expect("generates"))
    });
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
