//! Measurements behind `crates/guard/BENCH_NOTES.md`: synthetic lists of the sizes the issue
//! names, and a [`run`] the `custodia bench guard` subcommand (or any caller) can print.
//!
//! The criterion benches in `benches/guard.rs` use the same generators.

use std::time::{Duration, Instant};

use custodia_chain::{self as chain, Network};
use serde::Serialize;

use crate::{
    Address, AddressEntry, AddressIndex, Category, Chain, DomainChecker, DomainEntry, Snapshot,
    SnapshotData, default_brands,
};

/// SplitMix64, seeded: the same synthetic data on every machine.
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Random bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

const TLDS: &[&str] = &[
    "com", "net", "org", "io", "xyz", "top", "site", "online", "app", "co", "info", "live",
];
const HOSTING: &[&str] = &[
    "pages.dev",
    "vercel.app",
    "netlify.app",
    "web.app",
    "workers.dev",
];
const SYLLABLES: &[&str] = &[
    "ka", "zu", "mi", "ro", "te", "ban", "lo", "qui", "vex", "nor", "dal", "pix", "sum", "tor",
    "ela", "wyn", "fi", "go", "hu", "jet",
];

fn word(rng: &mut SplitMix) -> String {
    let n = 2 + rng.below(3);
    (0..n)
        .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
        .collect()
}

/// `n` distinct synthetic phishing hosts shaped like ScamSniffer's list: random names on
/// common TLDs, a fifth on shared hosting, some with a number or a second word.
pub fn synthetic_domains(n: usize, seed: u64) -> Vec<String> {
    let mut rng = SplitMix(seed);
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut label = word(&mut rng);
        match rng.below(4) {
            0 => label.push_str(&format!("-{}", word(&mut rng))),
            1 => label.push_str(&format!("{}", rng.below(10_000))),
            _ => {}
        }
        let host = if rng.below(5) == 0 {
            format!("{label}.{}", HOSTING[rng.below(HOSTING.len())])
        } else {
            format!("{label}.{}", TLDS[rng.below(TLDS.len())])
        };
        if seen.insert(host.clone()) {
            out.push(host);
        }
    }
    out
}

/// A random address: 70% EVM, 15% TRON, 10% Bitcoin (P2PKH and segwit v0), 5% Solana.
pub fn synthetic_address(rng: &mut SplitMix) -> Address {
    let mut b = [0u8; 32];
    rng.fill(&mut b);
    let r = rng.below(100);
    let b20: [u8; 20] = b[..20].try_into().expect("20 bytes");
    let a = if r < 70 {
        chain::Address::evm(b20)
    } else if r < 85 {
        chain::Address::tron(b20)
    } else if r < 90 {
        chain::Address::p2pkh(Network::Mainnet, b20)
    } else if r < 95 {
        chain::Address::segwit(Network::Mainnet, 0, &b20).expect("20-byte v0 program")
    } else {
        chain::Address::solana(b)
    };
    Address::from(a)
}

/// `n` synthetic listed addresses across categories and two sources.
pub fn synthetic_addresses(n: usize, seed: u64) -> Vec<AddressEntry> {
    let mut rng = SplitMix(seed);
    (0..n)
        .map(|i| AddressEntry {
            address: synthetic_address(&mut rng),
            category: Category::ALL[i % Category::ALL.len()],
            source: if i % 3 == 0 {
                "ofac-sdn"
            } else {
                "scamsniffer"
            }
            .to_owned(),
            date: None,
            label: None,
        })
        .collect()
}

/// A domain checker with the default brands and `blocked` synthetic blocklist entries.
pub fn checker_with_blocklist(blocked: &[String]) -> DomainChecker {
    let mut c = DomainChecker::with_defaults();
    let list = c.blocklist_mut();
    for h in blocked {
        list.insert(&DomainEntry {
            host: h.clone(),
            category: Category::Phishing,
            source: "synthetic".into(),
            date: None,
        })
        .expect("few sources");
    }
    c
}

/// A query mix for the domain check: a third blocked hosts (some as subdomains), a third
/// unlisted random hosts, a third brand look-alikes and official sites.
pub fn domain_queries(blocked: &[String], n: usize, seed: u64) -> Vec<String> {
    let mut rng = SplitMix(seed);
    let brands = default_brands();
    let words = [
        "login", "wallet", "airdrop", "support", "claim", "app", "news",
    ];
    (0..n)
        .map(|i| match i % 3 {
            0 => {
                let h = &blocked[rng.below(blocked.len())];
                if rng.below(2) == 0 {
                    format!("www.{h}")
                } else {
                    h.clone()
                }
            }
            1 => format!("{}.{}", word(&mut rng), TLDS[rng.below(TLDS.len())]),
            _ => {
                let b = &brands[rng.below(brands.len())];
                let d = &b.domains[0];
                let label = d.split('.').next().unwrap_or("x");
                match rng.below(4) {
                    0 => d.clone(),
                    1 => format!("{label}-{}.com", words[rng.below(words.len())]),
                    2 => format!("{}.{}.xyz", d, word(&mut rng)),
                    _ => format!("https://{label}{}.net/login", rng.below(100)),
                }
            }
        })
        .collect()
}

/// Percentiles of a set of durations, in nanoseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50_ns: u64,
    /// 90th percentile.
    pub p90_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// Mean.
    pub mean_ns: u64,
}

fn percentiles(mut d: Vec<Duration>) -> Percentiles {
    d.sort();
    let at = |q: f64| d[((d.len() as f64 * q) as usize).min(d.len() - 1)].as_nanos() as u64;
    let total: u128 = d.iter().map(|x| x.as_nanos()).sum();
    Percentiles {
        p50_ns: at(0.50),
        p90_ns: at(0.90),
        p99_ns: at(0.99),
        mean_ns: (total / d.len() as u128) as u64,
    }
}

/// Sizes for [`run`].
#[derive(Debug, Clone, Copy)]
pub struct BenchConfig {
    /// Blocked domains loaded.
    pub blocked_domains: usize,
    /// Domain checks timed.
    pub domain_queries: usize,
    /// Listed addresses loaded.
    pub addresses: usize,
    /// Address lookups timed.
    pub address_queries: usize,
    /// Seed.
    pub seed: u64,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig {
            blocked_domains: 300_000,
            domain_queries: 200_000,
            addresses: 1_000_000,
            address_queries: 1_000_000,
            seed: 1,
        }
    }
}

/// What [`run`] measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Blocked domains loaded.
    pub blocked_domains: usize,
    /// Seconds to build the checker with them.
    pub domain_build_s: f64,
    /// Per-check latency over the whole query mix (one thread).
    pub domain_check: Percentiles,
    /// Latency of queries that hit the blocklist.
    pub domain_check_blocked: Percentiles,
    /// Latency of unlisted random hosts.
    pub domain_check_unlisted: Percentiles,
    /// Latency of brand look-alikes and official sites.
    pub domain_check_brand: Percentiles,
    /// Listed addresses loaded.
    pub addresses: usize,
    /// Seconds to build the address index.
    pub address_build_s: f64,
    /// Lookups per second of parsed addresses (half listed), one thread.
    pub address_lookups_per_s: f64,
    /// Parse-and-lookup per second from text (canonical forms, half listed), one thread.
    pub address_screens_per_s: f64,
    /// The same on every core (the index is shared read-only), and the thread count.
    pub address_screens_per_s_all_cores: f64,
    /// Threads used for the all-cores figure.
    pub threads: usize,
    /// Snapshot size in bytes with all of the above.
    pub snapshot_bytes: usize,
    /// Seconds to build and encode it.
    pub snapshot_write_s: f64,
    /// Seconds to read and verify it.
    pub snapshot_read_s: f64,
    /// Binary-search lookups per second in the verified snapshot (what a wallet does).
    pub snapshot_lookups_per_s: f64,
    /// Compact snapshot (what the browser extension ships) size in bytes, same content.
    pub compact_bytes: usize,
    /// Seconds to build and encode it from the full snapshot.
    pub compact_write_s: f64,
    /// Seconds to read and verify it (hash and every Rice-coded value).
    pub compact_read_s: f64,
    /// Fingerprint lookups per second in it (hash + binary search).
    pub compact_lookups_per_s: f64,
    /// Entries changed for the delta measurement: 1% of the addresses and of the blocked hosts
    /// replaced by new ones (removed + added).
    pub compact_delta_changes: usize,
    /// Size of the compact delta for that change, in bytes.
    pub compact_delta_bytes: usize,
    /// Seconds to compute and encode it from the two compact snapshots.
    pub compact_delta_write_s: f64,
    /// Seconds to read it, apply it to the older compact file (read and verified too) and
    /// encode the result: what an extension does before checking the signature.
    pub compact_delta_apply_s: f64,
}

/// Runs every measurement once and reports.
pub fn run(cfg: BenchConfig) -> BenchReport {
    // Domains.
    let blocked = synthetic_domains(cfg.blocked_domains, cfg.seed);
    let t = Instant::now();
    let checker = checker_with_blocklist(&blocked);
    let domain_build_s = t.elapsed().as_secs_f64();
    let queries = domain_queries(&blocked, cfg.domain_queries, cfg.seed ^ 0xd0);
    for q in queries.iter().take(1000) {
        let _ = checker.check(q); // warm caches
    }
    let mut by_class: [Vec<Duration>; 3] = Default::default();
    let mut all = Vec::with_capacity(queries.len());
    for (i, q) in queries.iter().enumerate() {
        let t = Instant::now();
        let v = checker.check(q);
        let d = t.elapsed();
        std::hint::black_box(&v);
        by_class[i % 3].push(d);
        all.push(d);
    }
    let [b, u, r] = by_class;

    // Addresses.
    let entries = synthetic_addresses(cfg.addresses, cfg.seed ^ 0xad);
    let t = Instant::now();
    let mut index = AddressIndex::with_capacity(entries.len());
    index.extend(&entries).expect("few sources");
    let address_build_s = t.elapsed().as_secs_f64();
    let mut rng = SplitMix(cfg.seed ^ 0x51);
    let probes: Vec<Address> = (0..cfg.address_queries)
        .map(|i| {
            if i % 2 == 0 {
                entries[rng.below(entries.len())].address
            } else {
                synthetic_address(&mut rng)
            }
        })
        .collect();
    let t = Instant::now();
    let mut hits = 0usize;
    for a in &probes {
        hits += index.worst(a).is_some() as usize;
    }
    let address_lookups_per_s = probes.len() as f64 / t.elapsed().as_secs_f64();
    std::hint::black_box(hits);
    let texts: Vec<String> = probes.iter().map(Address::canonical).collect();
    let t = Instant::now();
    let mut hits = 0usize;
    for s in &texts {
        if let Ok(a) = Address::parse_any(s) {
            hits += index.worst(&a).is_some() as usize;
        }
    }
    let address_screens_per_s = texts.len() as f64 / t.elapsed().as_secs_f64();
    std::hint::black_box(hits);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let t = Instant::now();
    let chunk = texts.len().div_ceil(threads);
    let hits: usize = std::thread::scope(|s| {
        let handles: Vec<_> = texts
            .chunks(chunk)
            .map(|part| {
                let index = &index;
                s.spawn(move || {
                    part.iter()
                        .filter_map(|s| Address::parse_any(s).ok())
                        .filter(|a| index.worst(a).is_some())
                        .count()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .sum()
    });
    let address_screens_per_s_all_cores = texts.len() as f64 / t.elapsed().as_secs_f64();
    std::hint::black_box(hits);

    // Snapshot.
    let t = Instant::now();
    let data = SnapshotData {
        addresses: entries,
        blocked: blocked
            .iter()
            .map(|h| DomainEntry {
                host: h.clone(),
                category: Category::Phishing,
                source: "synthetic".into(),
                date: None,
            })
            .collect(),
        allowed: Vec::new(),
        brands: default_brands(),
    };
    let snap = Snapshot::build(&data, 1, 0).expect("valid data");
    let bytes = snap.to_bytes();
    let snapshot_write_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let read = Snapshot::from_bytes(&bytes).expect("round trip");
    let snapshot_read_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut hits = 0usize;
    for a in &probes {
        hits += read.contains_address(a) as usize;
    }
    let snapshot_lookups_per_s = probes.len() as f64 / t.elapsed().as_secs_f64();
    std::hint::black_box(hits);

    let t = Instant::now();
    let compact = crate::CompactSnapshot::from_snapshot(&read).to_bytes();
    let compact_write_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let cread = crate::CompactSnapshot::from_bytes(&compact).expect("round trip");
    let compact_read_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut hits = 0usize;
    for a in &probes {
        hits += cread.address_category(a).is_some() as usize;
    }
    let compact_lookups_per_s = probes.len() as f64 / t.elapsed().as_secs_f64();
    std::hint::black_box(hits);

    // A day's change: 1% of each list replaced by new entries.
    let mut next = data;
    let (na, nb) = (next.addresses.len() / 100, next.blocked.len() / 100);
    next.addresses.truncate(next.addresses.len() - na);
    next.addresses
        .extend(synthetic_addresses(na, cfg.seed.wrapping_add(1_000)));
    next.blocked.truncate(next.blocked.len() - nb);
    next.blocked.extend(
        synthetic_domains(nb, cfg.seed.wrapping_add(1_000))
            .into_iter()
            .map(|h| DomainEntry {
                host: format!("n-{h}"),
                category: Category::Phishing,
                source: "synthetic".into(),
                date: None,
            }),
    );
    let newer = crate::CompactSnapshot::from_snapshot(
        &Snapshot::build(&next, 2, 86_400).expect("valid data"),
    );
    let t = Instant::now();
    let delta = cread.diff(&newer).to_bytes();
    let compact_delta_write_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let rebuilt = crate::CompactDelta::from_bytes(&delta)
        .and_then(|d| d.apply(&crate::CompactSnapshot::from_bytes(&compact)?))
        .expect("the delta applies")
        .to_bytes();
    let compact_delta_apply_s = t.elapsed().as_secs_f64();
    assert_eq!(
        rebuilt,
        newer.to_bytes(),
        "the delta rebuilds the newer file"
    );

    BenchReport {
        blocked_domains: cfg.blocked_domains,
        domain_build_s,
        domain_check: percentiles(all),
        domain_check_blocked: percentiles(b),
        domain_check_unlisted: percentiles(u),
        domain_check_brand: percentiles(r),
        addresses: cfg.addresses,
        address_build_s,
        address_lookups_per_s,
        address_screens_per_s,
        address_screens_per_s_all_cores,
        threads,
        snapshot_bytes: bytes.len(),
        snapshot_write_s,
        snapshot_read_s,
        snapshot_lookups_per_s,
        compact_bytes: compact.len(),
        compact_write_s,
        compact_read_s,
        compact_lookups_per_s,
        compact_delta_changes: 2 * (na + nb),
        compact_delta_bytes: delta.len(),
        compact_delta_write_s,
        compact_delta_apply_s,
    }
}

/// Which chains [`synthetic_address`] produces, for documentation.
pub const SYNTHETIC_CHAINS: [Chain; 4] = Chain::ALL;
