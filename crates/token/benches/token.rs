//! The two figures per contract size: static analyses per second on one thread for the
//! small fixtures (2-4 KB of runtime code) and for the mainnet-size ones (10-16 KB, 16-24 KB),
//! and one full simulation of the slowest tokens (the one that loops forever, the 19 KB
//! honeypot, the plain token).
//!
//! `cargo bench -p custodia-token --bench token`; `-- static` or `-- simulate` for one group.

#[path = "shared/fixture_paths.rs"]
mod fixture_paths;

use fixture_paths::fixture_paths;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use custodia_token::{Deployment, SimConfig, analyze, decode_hex, simulate};

/// The market's own contracts and the proxy's implementation are not tokens on their own.
const NOT_TOKENS: &[&str] = &["Quote", "Factory", "Pair", "Router", "HoneypotImpl"];

struct Compiled {
    name: String,
    creation: String,
    runtime: Vec<u8>,
}

fn compiled() -> Vec<Compiled> {
    fixture_paths()
        .iter()
        .map(|p| {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json");
            Compiled {
                name: p.file_stem().unwrap().to_string_lossy().into_owned(),
                creation: v["creation"].as_str().expect("creation").to_string(),
                runtime: decode_hex(v["runtime"].as_str().expect("runtime"), "runtime_code")
                    .expect("hex"),
            }
        })
        .filter(|c| !NOT_TOKENS.contains(&c.name.as_str()))
        .collect()
}

/// Size classes of runtime code, in bytes.
const CLASSES: &[(&str, usize, usize)] = &[
    ("small_under_4kb", 0, 4_096),
    ("large_10_to_16kb", 10_000, 16_384),
    ("huge_16_to_24kb", 16_384, 24_577),
];

fn static_analysis(c: &mut Criterion) {
    let all = compiled();
    let mut g = c.benchmark_group("static");
    for &(class, lo, hi) in CLASSES {
        let codes: Vec<&Compiled> = all
            .iter()
            .filter(|x| (lo..hi).contains(&x.runtime.len()))
            .collect();
        if codes.is_empty() {
            continue;
        }
        let mean = codes.iter().map(|x| x.runtime.len()).sum::<usize>() / codes.len();
        eprintln!(
            "static/{class}: {} contracts, mean {mean} bytes: {}",
            codes.len(),
            codes
                .iter()
                .map(|x| x.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        g.throughput(Throughput::Elements(codes.len() as u64));
        // The copy of the code is part of each analysis, as it is for a request.
        g.bench_function(class, |b| {
            b.iter(|| {
                for x in &codes {
                    black_box(analyze(x.runtime.clone(), "runtime_code").expect("analysis"));
                }
            })
        });
    }
    g.finish();
}

fn simulation(c: &mut Criterion) {
    let all = compiled();
    let cfg = SimConfig::default();
    let mut g = c.benchmark_group("simulate");
    g.sample_size(20);
    for name in ["InfiniteLoop", "ReflectionHoneypot", "PlainToken"] {
        let x = all.iter().find(|x| x.name == name).expect(name);
        let token = vec![Deployment {
            creation_code: x.creation.clone(),
            args: vec![],
        }];
        g.bench_function(name, |b| {
            b.iter(|| black_box(simulate(&token, &cfg).expect("simulation")))
        });
    }
    g.finish();
}

criterion_group!(benches, static_analysis, simulation);
criterion_main!(benches);
