//! Prints `custodia_guard::bench::run` as JSON (the figures in BENCH_NOTES.md).
fn main() {
    let report = custodia_guard::bench::run(custodia_guard::bench::BenchConfig::default());
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
