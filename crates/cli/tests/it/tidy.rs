//! Repository policy as tests: the dependency invariants of ARCHITECTURE.md, checked on the real
//! dependency graph (`cargo metadata`).

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

/// The host's target triple: the dependency graph is checked for the platform being built (the
/// packages of other platforms are never downloaded, and `--offline` could not resolve them).
fn host() -> String {
    let out = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc -vV names the host")
}

fn metadata() -> Value {
    let host = host();
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
        ])
        .arg(&host)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("metadata JSON")
}

/// Names of every package `root` depends on at run time (normal dependencies, transitively).
fn runtime_closure(meta: &Value, root: &str) -> BTreeSet<String> {
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: HashMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let start = names
        .iter()
        .find(|(_, n)| **n == root)
        .map(|(id, _)| *id)
        .expect("package exists");
    let mut seen = BTreeSet::new();
    let mut stack = vec![start];
    while let Some(id) = stack.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            let pkg = dep["pkg"].as_str().unwrap();
            if normal && seen.insert(names[pkg].to_owned()) {
                stack.push(pkg);
            }
        }
    }
    seen
}

#[test]
fn verifier_side_never_depends_on_prover_store_api_or_async_runtime() {
    let meta = metadata();
    let forbidden = [
        "custodia-prover",
        "custodia-store",
        "custodia-api",
        "custodia-cli",
        "tokio",
        "sqlx",
        "rusqlite",
        "axum",
        "hyper",
    ];
    for krate in [
        "custodia-primitives",
        "custodia-hash",
        "custodia-sumtree",
        "custodia-air",
        "custodia-verifier",
    ] {
        let deps = runtime_closure(&meta, krate);
        for f in forbidden {
            assert!(!deps.contains(f), "{krate} must not depend on {f}");
        }
    }
}

/// The chain vocabulary and the proof-of-assets and guard domains know no HTTP, SQL or async
/// runtime: node clients live in `custodia-chain-rpc`, and the vocabulary links no rust-bitcoin.
#[test]
fn chain_vocabulary_and_domains_know_no_outside_world() {
    let meta = metadata();
    let outside = ["ureq", "reqwest", "hyper", "tokio", "sqlx", "axum"];
    for (krate, extra) in [
        ("custodia-chain", &["bitcoin", "custodia-reserves"][..]),
        ("custodia-reserves", &["custodia-chain-rpc"][..]),
        ("custodia-guard", &[][..]),
    ] {
        let deps = runtime_closure(&meta, krate);
        for f in outside.iter().chain(extra) {
            assert!(!deps.contains(*f), "{krate} must not depend on {f}");
        }
    }
    // Negative twin: the adapter does reach HTTP, so the check sees what it looks for.
    assert!(runtime_closure(&meta, "custodia-chain-rpc").contains("ureq"));
}

#[test]
fn plonky3_is_pinned_exactly() {
    let root: toml_like::Root =
        toml_like::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml"));
    for (name, req) in root.p3_requirements {
        assert!(
            req.starts_with("\"=0.8.0\"") || req.contains("version = \"=0.8.0\""),
            "{name} = {req} is not pinned to =0.8.0"
        );
    }
}

/// Just enough reading of the root manifest for the pin check, without a TOML dependency here.
mod toml_like {
    pub struct Root {
        pub p3_requirements: Vec<(String, String)>,
    }

    pub fn read(path: &str) -> Root {
        let text = std::fs::read_to_string(path).expect("root manifest");
        let p3_requirements = text
            .lines()
            .filter(|l| l.starts_with("p3-"))
            .filter_map(|l| {
                l.split_once('=')
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            })
            .collect();
        Root { p3_requirements }
    }
}
