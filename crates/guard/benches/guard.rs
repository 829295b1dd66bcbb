//! Criterion benches for the guard's hot paths: a domain check with 300k blocked domains
//! loaded, and address lookups against 1M listed addresses.
//!
//! `cargo bench -p custodia-guard --bench guard`. The one-shot figures with percentiles in
//! `BENCH_NOTES.md` come from `custodia_guard::bench::run` (example `guard_bench`).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use custodia_guard::bench::{
    SplitMix, checker_with_blocklist, domain_queries, synthetic_address, synthetic_addresses,
    synthetic_domains,
};
use custodia_guard::{Address, AddressIndex, DomainChecker, Snapshot, SnapshotData};

fn domains(c: &mut Criterion) {
    let blocked = synthetic_domains(300_000, 1);
    let checker = checker_with_blocklist(&blocked);
    let queries = domain_queries(&blocked, 3_000, 2);
    let mut g = c.benchmark_group("domain_check_300k_blocked");
    g.throughput(Throughput::Elements(queries.len() as u64));
    g.bench_function("mixed_queries", |b| {
        b.iter(|| {
            for q in &queries {
                black_box(checker.check(black_box(q)).ok());
            }
        })
    });
    g.finish();
    let empty = DomainChecker::with_defaults();
    let mut g = c.benchmark_group("domain_check_single");
    for host in [
        "www.google.com",
        "okx-login.com",
        "bіnance.com",
        "claim.okx.com.evil.io",
    ] {
        g.bench_function(host, |b| {
            b.iter(|| black_box(empty.check(black_box(host)).ok()))
        });
    }
    g.finish();
}

fn addresses(c: &mut Criterion) {
    let entries = synthetic_addresses(1_000_000, 3);
    let mut index = AddressIndex::with_capacity(entries.len());
    index.extend(&entries).unwrap();
    let mut rng = SplitMix(4);
    let probes: Vec<Address> = (0..10_000)
        .map(|i| {
            if i % 2 == 0 {
                entries[rng.below(entries.len())].address
            } else {
                synthetic_address(&mut rng)
            }
        })
        .collect();
    let texts: Vec<String> = probes.iter().map(Address::canonical).collect();
    let mut g = c.benchmark_group("address_lookup_1m");
    g.throughput(Throughput::Elements(probes.len() as u64));
    g.bench_function("parsed", |b| {
        b.iter(|| {
            probes
                .iter()
                .filter(|a| index.worst(black_box(a)).is_some())
                .count()
        })
    });
    g.bench_function("parse_and_lookup", |b| {
        b.iter(|| {
            texts
                .iter()
                .filter_map(|s| Address::parse_any(black_box(s)).ok())
                .filter(|a| index.worst(a).is_some())
                .count()
        })
    });
    let snap = Snapshot::build(
        &SnapshotData {
            addresses: entries,
            ..SnapshotData::default()
        },
        1,
        0,
    )
    .unwrap();
    g.bench_function("snapshot_binary_search", |b| {
        b.iter(|| {
            probes
                .iter()
                .filter(|a| snap.contains_address(black_box(a)))
                .count()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = domains, addresses
}
criterion_main!(benches);
