//! `custodia bench guard`: every figure is reported, in JSON and for people.

use std::process::Command;

fn custodia(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_custodia"))
        .args(args)
        .output()
        .expect("custodia runs")
}

const SMALL: &[&str] = &[
    "bench",
    "guard",
    "--domains",
    "2000",
    "--domain-queries",
    "3000",
    "--addresses",
    "5000",
    "--address-queries",
    "5000",
];

#[test]
fn bench_guard_reports_every_figure() {
    let o = custodia(&[&["--json"], SMALL].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["blocked_domains"], 2000);
    assert_eq!(v["addresses"], 5000);
    for p in [
        "domain_check",
        "domain_check_blocked",
        "domain_check_unlisted",
        "domain_check_brand",
    ] {
        let p50 = v[p]["p50_ns"].as_u64().unwrap();
        assert!(
            p50 > 0 && p50 <= v[p]["p99_ns"].as_u64().unwrap(),
            "{p}: {v}"
        );
    }
    for f in [
        "address_lookups_per_s",
        "address_screens_per_s",
        "address_screens_per_s_all_cores",
        "snapshot_lookups_per_s",
    ] {
        assert!(v[f].as_f64().unwrap() > 1000.0, "{f}: {v}");
    }
    assert!(v["snapshot_bytes"].as_u64().unwrap() > 5000 * 30, "{v}");

    let o = custodia(SMALL);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    for want in [
        "domains:   2000 blocked",
        "addresses: 5000 listed",
        "snapshot:  ",
    ] {
        assert!(text.contains(want), "{want} missing from\n{text}");
    }
}

#[test]
fn bench_guard_refuses_empty_sizes() {
    let o = custodia(&["bench", "guard", "--addresses", "0"]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("must be at least 1"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
