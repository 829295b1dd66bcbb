//! Proves and verifies batches of the full statement and prints timings, proof size and peak
//! memory. `cargo run --release -p custodia-prover --example bench_batch -- <assets> <log_batch>
//! [standard|rate-half] [repetitions]`. `rate-half` proves with FRI blowup 2 and 84 queries (the
//! same conjectured bits as the standard blowup 4 with 42 queries): a measurement of that lever,
//! not options the verifier accepts.

use std::time::Instant;

use custodia_air::{AssetParams, ProofOptions};
use custodia_hash::Digest;
use custodia_primitives::Amount;
use custodia_prover::{BatchParams, batch_traces, prove_traces};
use custodia_sumtree::witness::BatchWitness;

fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0)
        / 1024
}

/// User and system CPU seconds of this process so far (`/proc/self/stat`, 100 ticks a second).
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    (
        f.get(11).copied().unwrap_or(0.0) / 100.0,
        f.get(12).copied().unwrap_or(0.0) / 100.0,
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let assets: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(22);
    let log_batch: u32 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(12);
    let n = 1usize << log_batch;
    let params = BatchParams::single(
        Digest([1, 2, 3, 4]),
        (0..assets)
            .map(|i| AssetParams::exact(10_000 + i as u64, 1_000))
            .collect(),
        [Digest([5, 6, 7, 8]), Digest([9, 10, 11, 12])],
    );
    let mut x = 0x1234_5678u64;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let uids = (0..n)
        .map(|_| Digest([rnd() >> 1, rnd() >> 1, rnd() >> 1, rnd() >> 1]))
        .collect();
    let balances = (0..n * 2 * assets)
        .map(|k| Amount::new(if k % 2 == 0 { rnd() >> 24 } else { rnd() >> 44 }).unwrap())
        .collect();
    let w = BatchWitness {
        num_assets: assets,
        log_batch,
        batch: 0,
        uids,
        balances,
    };
    let opts = match args.get(3).map(String::as_str) {
        None | Some("standard") => ProofOptions::STANDARD,
        Some("rate-half") => ProofOptions {
            log_blowup: 1,
            num_queries: 84,
            ..ProofOptions::STANDARD
        },
        Some(other) => panic!("unknown options {other}: standard or rate-half"),
    };
    let reps: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(1);
    println!(
        "options {opts:?}: {} conjectured bits",
        opts.conjectured_security_bits()
    );
    println!(
        "lookup columns per AIR (packed): {:?}",
        aux_columns(assets, log_batch)
    );

    for _ in 0..reps {
        run(&w, &params, &opts, n);
    }
}

fn run(w: &BatchWitness, params: &BatchParams, opts: &ProofOptions, n: usize) {
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    let traces = batch_traces(w, params, opts).expect("valid witness");
    let t_trace = t.elapsed();
    let t = Instant::now();
    let proof = prove_traces(&traces, opts, [9; 32]).expect("proves");
    let t_prove = t.elapsed();
    let rss = peak_rss_mib();
    let cpu1 = cpu_seconds();
    let t = Instant::now();
    custodia_verifier::verify_batch_with_options(&proof, &traces.public, opts).expect("verifies");
    let t_verify = t.elapsed();
    println!(
        "assets={} log_batch={} width={} trace_gen={:.2}s prove={:.2}s per_user={:.1}us proof={} bytes verify={:.0}ms peak_rss={} MiB cpu={:.2}s user + {:.2}s sys",
        w.num_assets,
        w.log_batch,
        traces.main.width,
        t_trace.as_secs_f64(),
        t_prove.as_secs_f64(),
        (t_trace + t_prove).as_secs_f64() * 1e6 / n as f64,
        proof.len(),
        t_verify.as_secs_f64() * 1e3,
        rss,
        cpu1.0 - cpu0.0,
        cpu1.1 - cpu0.1
    );
}

#[allow(dead_code)]
fn aux_columns(assets: usize, log_batch: u32) -> Vec<usize> {
    let c = custodia_air::config::make_config(&ProofOptions::STANDARD, [0; 32]);
    let chain = custodia_air::chain::log_rows(assets, ProofOptions::STANDARD.min_log_rows());
    let airs = custodia_air::CustodiaAir::all(assets, log_batch, chain);
    let degs: Vec<usize> = custodia_air::CustodiaAir::log_heights(log_batch, chain)
        .iter()
        .map(|&b| b as usize + 1)
        .collect();
    let pd = p3_batch_stark::ProverData::from_airs_and_degrees(&c, &airs, &degs).unwrap();
    pd.common.lookups.iter().map(|l| l.len()).collect()
}
