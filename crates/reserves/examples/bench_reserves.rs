//! Times a generated wallet file: `cargo run --release -p custodia-reserves --example
//! bench_reserves -- 10000` (prints the `BenchReport` as JSON).

fn main() {
    let n = std::env::args()
        .nth(1)
        .map_or(10_000, |s| s.parse().expect("wallet count"));
    let report = custodia_reserves::bench_verify(n);
    println!(
        "{}",
        serde_json::to_string_pretty(&report).expect("the report serialises")
    );
}
