//! The guard's in-process figures as JSON, building only this crate (`custodia bench guard`
//! prints the same report from the binary).
//!
//! usage: cargo run --release -p custodia-guard --example bench_report [DOMAINS ADDRESSES]

fn main() {
    let a: Vec<usize> = std::env::args()
        .skip(1)
        .map(|s| s.parse().expect("counts are integers"))
        .collect();
    let mut cfg = custodia_guard::bench::BenchConfig::default();
    if let [domains, addresses] = a[..] {
        cfg.blocked_domains = domains;
        cfg.addresses = addresses;
    }
    let r = custodia_guard::bench::run(cfg);
    println!(
        "{}",
        serde_json::to_string_pretty(&r).expect("report serialises")
    );
}
