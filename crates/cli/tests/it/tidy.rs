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
    // No package is named "", so nothing is skipped.
    runtime_closure_except(meta, root, "")
}

/// Like `runtime_closure`, without descending into `skip`: what `root` links by itself.
fn runtime_closure_except(meta: &Value, root: &str, skip: &str) -> BTreeSet<String> {
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
            if normal && names[pkg] != skip && seen.insert(names[pkg].to_owned()) {
                stack.push(pkg);
            }
        }
    }
    seen
}

/// Workspace members (the crates of ours that exist now).
fn members(meta: &Value) -> BTreeSet<String> {
    let ids: BTreeSet<&str> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| ids.contains(p["id"].as_str().unwrap()))
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The packages in `deps` whose name is `rule` or starts with `rule` followed by `-` or `_`
/// (`sqlx` also forbids `sqlx-core`, `tokio` also `tokio-util`).
fn matching<'a>(deps: &'a BTreeSet<String>, rule: &str) -> Vec<&'a str> {
    deps.iter()
        .map(String::as_str)
        .filter(|d| {
            *d == rule
                || d.strip_prefix(rule)
                    .is_some_and(|rest| rest.starts_with('-') || rest.starts_with('_'))
        })
        .collect()
}

/// Fails with every rule `krate` breaks.
fn check(meta: &Value, krate: &str, forbidden: &[&str], why: &str) {
    let deps = runtime_closure(meta, krate);
    let broken: Vec<&str> = forbidden.iter().flat_map(|f| matching(&deps, f)).collect();
    assert!(broken.is_empty(), "{krate} must not link {broken:?}: {why}");
}

/// What the user's side may never link: our prover side, the services, async runtimes, SQL and
/// HTTP clients. A user audits the verifier alone.
const NOT_ON_THE_VERIFIER_SIDE: &[&str] = &[
    "custodia-prover",
    "custodia-round",
    "custodia-store",
    "custodia-api",
    "custodia-cli",
    "tokio",
    "sqlx",
    "libsqlite3",
    "rusqlite",
    "axum",
    "hyper",
    "reqwest",
    "ureq",
    // libsecp256k1 (C): customers' wallet-signature checks are pure Rust (k256), for wasm32.
    "secp256k1-sys",
];

/// What domain crates may never link: they own rules, ports and use cases; adapters know the
/// outside world.
const NOT_IN_A_DOMAIN: &[&str] = &[
    "sqlx",
    "libsqlite3",
    "axum",
    "tokio",
    "hyper",
    "ureq",
    "reqwest",
    "custodia-store",
    "custodia-api",
];

const VERIFIER_SIDE: &[&str] = &[
    "custodia-primitives",
    "custodia-hash",
    "custodia-sumtree",
    "custodia-air",
    "custodia-verifier",
    "custodia-verify",
    "custodia-verifier-wasm",
    "custodia-chain",
    "custodia-reserves-check",
];

/// Vocabulary and domain crates, now and to come (`login`, `token`, `fund`, `protect`,
/// `report`): each is checked as soon as it exists.
const DOMAINS: &[&str] = &[
    "custodia-primitives",
    "custodia-events",
    "custodia-chain",
    "custodia-keys",
    "custodia-guard",
    "custodia-reserves",
    "custodia-snapshot",
    "custodia-round",
    "custodia-login",
    "custodia-token",
    "custodia-fund",
    "custodia-protect",
    "custodia-report",
];

#[test]
fn verifier_side_links_no_prover_service_runtime_sql_or_http() {
    let meta = metadata();
    for krate in VERIFIER_SIDE {
        check(
            &meta,
            krate,
            NOT_ON_THE_VERIFIER_SIDE,
            "the verifier side stands alone",
        );
    }
}

#[test]
fn domain_crates_link_no_sql_http_or_async_runtime() {
    let meta = metadata();
    let members = members(&meta);
    for krate in DOMAINS.iter().filter(|k| members.contains(**k)) {
        check(
            &meta,
            krate,
            NOT_IN_A_DOMAIN,
            "domains are generic over ports",
        );
    }
    // The chain vocabulary links no rust-bitcoin; proof of assets reaches nodes only through
    // the adapter the binary wires.
    check(
        &meta,
        "custodia-chain",
        &["bitcoin", "custodia-reserves"],
        "vocabulary only",
    );
    check(
        &meta,
        "custodia-reserves",
        &["custodia-chain-rpc"],
        "the binary wires nodes",
    );
    // The HTTP shell knows no SQL: it sees storage only through the domain ports.
    check(
        &meta,
        "custodia-api",
        &["custodia-store", "sqlx", "libsqlite3"],
        "api is a shell",
    );
}

#[test]
fn only_the_token_crate_links_revm_and_the_report_depends_on_events_alone() {
    let meta = metadata();
    let members = members(&meta);
    for krate in members.iter().filter(|k| *k != "custodia-token") {
        // Linking custodia-token (the binary wires it) is allowed; naming revm is not.
        let deps = runtime_closure_except(&meta, krate, "custodia-token");
        assert!(
            matching(&deps, "revm").is_empty(),
            "{krate} must not link revm except through custodia-token: only custodia-token simulates EVM calls"
        );
    }
    if members.contains("custodia-report") {
        let ours: Vec<String> = runtime_closure(&meta, "custodia-report")
            .into_iter()
            .filter(|d| d.starts_with("custodia-"))
            .collect();
        // `primitives` holds value types only (amounts, totals, ids): no service, no I/O.
        assert_eq!(
            ours,
            ["custodia-events", "custodia-primitives"],
            "the report folds the log through tallies only"
        );
    }
}

/// Negative twins: the checker sees what it looks for, in crates that are allowed it.
#[test]
fn the_rules_catch_what_they_look_for() {
    let meta = metadata();
    let cli = runtime_closure(&meta, "custodia-cli");
    for rule in [
        "tokio",
        "sqlx",
        "axum",
        "hyper",
        "custodia-prover",
        "custodia-store",
    ] {
        assert!(!matching(&cli, rule).is_empty(), "the binary links {rule}");
    }
    assert!(
        matching(&cli, "sqlx").len() > 1,
        "prefix rules match sqlx-core and friends too"
    );
    assert!(!matching(&runtime_closure(&meta, "custodia-chain-rpc"), "ureq").is_empty());
    let set: BTreeSet<String> = ["tokio-util", "tokiox", "tokio"].map(str::to_owned).into();
    assert_eq!(matching(&set, "tokio"), ["tokio", "tokio-util"]);
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

/// The README's main job is `cargo run --release -- demo`: with more than one binary in the
/// crate, cargo needs to be told which one that is.
#[test]
fn cargo_run_runs_the_custodia_binary() {
    let meta = metadata();
    let cli = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "custodia-cli")
        .expect("the CLI package");
    let bins = cli["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"].as_array().unwrap().iter().any(|k| k == "bin"))
        .count();
    assert!(bins > 1 || cli["default_run"].is_null() || cli["default_run"] == "custodia");
    if bins > 1 {
        assert_eq!(
            cli["default_run"], "custodia",
            "set default-run in crates/cli/Cargo.toml"
        );
    }
}
