//! CPU time per static analysis of each committed fixture, on this one thread: the figure the
//! issue's "≥ 1k contracts/s on one core" is about, read from the kernel's own count of the
//! time this thread ran (`/proc/thread-self/schedstat`, nanoseconds), so other processes
//! sharing the machine do not inflate it the way they inflate wall time.
//!
//! `cargo run --release -p custodia-token --example static_cpu [-- MILLIS_PER_FIXTURE [NAME]]`
//! (default 1 000 ms of CPU per fixture; NAME: that fixture only).

#[path = "../benches/shared/fixture_paths.rs"]
mod fixture_paths;

use fixture_paths::fixture_paths;
use std::time::Instant;

use custodia_token::{analyze, decode_hex};

/// Nanoseconds this thread has run on a CPU.
fn cpu_ns() -> u64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    text.split_whitespace()
        .next()
        .and_then(|x| x.parse().ok())
        .expect("schedstat's first field")
}

fn main() {
    let budget_ms: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("milliseconds per fixture"))
        .unwrap_or(1_000);
    let paths = fixture_paths();
    let mut rows = Vec::new();
    for p in &paths {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json");
        let code =
            decode_hex(v["runtime"].as_str().expect("runtime"), "runtime_code").expect("hex");
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        if let Some(only) = std::env::args().nth(2)
            && only != name
        {
            continue;
        }
        // Warm up (the thread's spare buffers, the page cache of the code).
        for _ in 0..3 {
            std::hint::black_box(analyze(code.clone(), "runtime_code").expect("analysis"));
        }
        let (c0, w0) = (cpu_ns(), Instant::now());
        let mut n = 0u64;
        while cpu_ns() - c0 < budget_ms * 1_000_000 {
            for _ in 0..16 {
                std::hint::black_box(analyze(code.clone(), "runtime_code").expect("analysis"));
            }
            n += 16;
        }
        let cpu = (cpu_ns() - c0) as f64 / n as f64;
        let wall = w0.elapsed().as_nanos() as f64 / n as f64;
        rows.push((name, code.len(), n, cpu, wall));
    }
    println!(
        "{:<22} {:>7} {:>7} {:>12} {:>12} {:>10}",
        "fixture", "bytes", "runs", "cpu_us/run", "wall_us/run", "cpu_per_s"
    );
    for (name, len, n, cpu, wall) in &rows {
        println!(
            "{name:<22} {len:>7} {n:>7} {:>12.1} {:>12.1} {:>10.0}",
            cpu / 1e3,
            wall / 1e3,
            1e9 / cpu
        );
    }
    // The bench's size classes: contracts per CPU-second over each class's fixtures.
    for (class, lo, hi) in [
        ("small_under_4kb", 0, 4_096),
        ("large_10_to_16kb", 10_000, 16_384),
        ("huge_16_to_24kb", 16_384, 24_577),
    ] {
        let in_class: Vec<_> = rows.iter().filter(|r| (lo..hi).contains(&r.1)).collect();
        if in_class.is_empty() {
            continue;
        }
        let mean = in_class.iter().map(|r| r.3).sum::<f64>() / in_class.len() as f64;
        let worst = in_class.iter().map(|r| r.3).fold(0.0, f64::max);
        println!(
            "class {class:<18} {} fixtures: mean {:.1} us CPU ({:.0}/s), slowest {:.1} us ({:.0}/s)",
            in_class.len(),
            mean / 1e3,
            1e9 / mean,
            worst / 1e3,
            1e9 / worst
        );
    }
}
