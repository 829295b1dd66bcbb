//! Each fixture classified with the right reasons.

use custodia_token::{SimConfig, analyze, decode_hex, simulate};

use crate::fixtures::{TOKENS, deployments, load};

#[test]
fn explore() {
    for name in TOKENS {
        let f = load(name);
        let s = analyze(decode_hex(&f.runtime, "runtime").unwrap(), "runtime").unwrap();
        let sim = simulate(&deployments(name), &SimConfig::default());
        println!("{name}: {:?} {:?} fns={:?} erc20={} sd={} proxy={} ext={} time={}", s.capabilities, s.selectors.len(), s.functions, s.erc20, s.selfdestruct, s.is_proxy(), s.external_call_in_transfer, s.time_in_transfer);
        println!("   sim: {sim:?}");
    }
}
