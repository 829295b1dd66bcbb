//! Several months in one run, and the round's proof of assets: what a customer sees.

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use custodia_primitives::{AssetId, AssetRegistry};
use custodia_sumtree::{InclusionProof, RoundManifest};

use crate::cli::write_round_as;

/// Three proven rounds, each naming the one before it, written once per test process.
fn months() -> &'static [tempfile::TempDir; 3] {
    static DIRS: OnceLock<[tempfile::TempDir; 3]> = OnceLock::new();
    DIRS.get_or_init(|| {
        let dirs = [(); 3].map(|()| tempfile::tempdir().expect("tempdir"));
        let mut previous: Option<RoundManifest> = None;
        for (i, (id, time)) in [
            ("2026-09", "2026-09-30T23:59:59Z"),
            ("2026-10", "2026-10-31T23:59:59Z"),
            ("2026-11", "2026-11-30T23:59:59Z"),
        ]
        .into_iter()
        .enumerate()
        {
            write_round_as(dirs[i].path(), id, time, previous.as_ref());
            previous = Some(manifest(dirs[i].path()));
        }
        dirs
    })
}

fn manifest(dir: &Path) -> RoundManifest {
    serde_json::from_slice(&fs::read(dir.join("round.json")).expect("read")).expect("manifest")
}

/// What one user keeps of one month: round.json, their inclusion file and their batch's proof.
fn user_month(round: &Path, user: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    let file = round.join(format!("inclusion/{user}.json"));
    let p = InclusionProof::from_json(&fs::read(&file).expect("read")).expect("parse");
    let b = p.leaf_index >> manifest(round).shape.log_batch;
    fs::copy(&file, d.path().join("my-inclusion.json")).expect("copy");
    fs::copy(round.join("round.json"), d.path().join("round.json")).expect("copy");
    for ext in ["proof", "json"] {
        let name = format!("batch-{b:05}.{ext}");
        fs::copy(round.join("proofs").join(&name), d.path().join(&name)).expect("copy");
    }
    d
}

fn run(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_custodia-verify"))
        .args(args)
        .output()
        .expect("run custodia-verify");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().expect("exit code"), text)
}

#[test]
fn a_user_checks_three_months_that_chain_in_one_run() {
    let m = months();
    let user = "user-0001";
    let folders: Vec<tempfile::TempDir> = m.iter().map(|r| user_month(r.path(), user)).collect();
    // Given newest first: the rounds are ordered by snapshot time.
    let args: Vec<&std::ffi::OsStr> = folders.iter().rev().map(|d| d.path().as_os_str()).collect();
    let (code, text) = run(&args);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.starts_with("Your balances are included in all 3 rounds from 2026-09 to 2026-11"),
        "{text}"
    );
    assert!(text.contains("the 3 rounds form one history"), "{text}");
    assert!(text.contains("follows 2026-10"), "{text}");

    // JSON: one line per round, oldest first, and the history check.
    let mut json_args = vec!["--json".as_ref()];
    json_args.extend(args.iter().copied());
    let (code, out) = run(&json_args);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    let rounds: Vec<&str> = v["rounds"]
        .as_array()
        .expect("rounds")
        .iter()
        .map(|r| r["round"].as_str().expect("id"))
        .collect();
    assert_eq!(rounds, ["2026-09", "2026-10", "2026-11"]);
    assert!(
        v["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .any(|c| c["kind"] == "history" && c["ok"] == true)
    );

    // The roots the exchange published, one per month (any order): all match.
    let roots: Vec<String> = m.iter().map(|r| manifest(r.path()).root.to_hex()).collect();
    let mut with_roots: Vec<&std::ffi::OsStr> = Vec::new();
    for r in &roots {
        with_roots.push("--root".as_ref());
        with_roots.push(r.as_ref());
    }
    with_roots.extend(args.iter().copied());
    let (code, text) = run(&with_roots);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("root the exchange published"), "{text}");
}

#[test]
fn a_gap_or_a_foreign_root_in_the_months_is_rejected() {
    let m = months();
    let user = "user-0001";
    let first = user_month(m[0].path(), user);
    let last = user_month(m[2].path(), user);
    // 2026-10 left out: 2026-11 names 2026-10, not 2026-09.
    let (code, text) = run(&[first.path().as_os_str(), last.path().as_os_str()]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("REJECTED: the rounds do not form one history"),
        "{text}"
    );
    assert!(
        text.contains("follows round 2026-10, not round 2026-09"),
        "{text}"
    );
    assert!(text.starts_with("Do not rely on all 2 rounds"), "{text}");

    // A root the exchange published that belongs to none of the rounds.
    let middle = user_month(m[1].path(), user);
    let (code, text) = run(&[
        "--root".as_ref(),
        "11".repeat(32).as_ref(),
        first.path().as_os_str(),
        middle.path().as_os_str(),
    ]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("is the root of none of the rounds"), "{text}");

    // The same month twice cannot be checked as a history (exit 2).
    let again = user_month(m[0].path(), user);
    let (code, text) = run(&[
        first.path().as_os_str(),
        again.path().as_os_str(),
        middle.path().as_os_str(),
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("given twice"), "{text}");
}

/// The round's totals as the exchange's proof-of-assets tools read them.
fn liabilities(m: &RoundManifest) -> (AssetRegistry, custodia_reserves::Liabilities) {
    let registry = AssetRegistry::default_assets();
    let assets = m
        .totals
        .iter()
        .map(|t| custodia_reserves::AssetLiability {
            asset: t.asset.clone(),
            decimals: t.decimals,
            equity: t.equity,
            debt: t.debt,
        })
        .collect();
    (
        registry,
        custodia_reserves::Liabilities::new(m.round.clone(), assets).expect("liabilities"),
    )
}

/// A copy of round 2026-11 with the exchange's wallet file and reserves report; `below`: the
/// asset the demo leaves under-reserved (an asset the round lacks: none).
fn with_reserves(below: &str) -> tempfile::TempDir {
    let src = months()[2].path();
    let d = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(d.path().join("proofs")).expect("mkdir");
    fs::copy(src.join("round.json"), d.path().join("round.json")).expect("copy");
    for e in fs::read_dir(src.join("proofs")).expect("proofs") {
        let e = e.expect("entry");
        fs::copy(e.path(), d.path().join("proofs").join(e.file_name())).expect("copy");
    }
    let m = manifest(src);
    let (registry, l) = liabilities(&m);
    let mut cfg = custodia_reserves::DemoConfig::new("Custodia Test Exchange", 5);
    cfg.below_100 = Some(AssetId::new(below).expect("asset"));
    let demo = custodia_reserves::demo_wallets(&registry, &l, &cfg).expect("demo wallets");
    let report =
        custodia_reserves::verify_wallets(&demo.rows, &l, &registry, &demo.params).expect("verify");
    fs::write(d.path().join("wallets.csv"), &demo.wallet_file).expect("write");
    fs::write(d.path().join("reserves.json"), report.to_json()).expect("write");
    d
}

#[test]
fn the_round_folder_shows_reserve_ratios_with_signatures_rechecked() {
    let d = with_reserves("NONE");
    let (code, text) = run(&[d.path().as_os_str()]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("As for reserves: the exchange's wallets cover"),
        "{text}"
    );
    assert!(
        text.contains("Reserves the exchange proves it holds"),
        "{text}"
    );
    assert!(text.contains("every signature re-checked here"), "{text}");
    let (code, out) = run(&["--json".as_ref(), d.path().as_os_str()]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    let lines = v["reserves"].as_array().expect("reserves");
    assert_eq!(lines.len(), manifest(d.path()).totals.len());
    assert!(lines.iter().all(|l| l["outcome"] != "below100"), "{out}");
}

#[test]
fn an_asset_below_100_percent_or_a_forged_signature_is_a_rejection() {
    let m = manifest(months()[2].path());
    let asset = m.totals[0].asset.to_string();
    let d = with_reserves(&asset);
    let (code, text) = run(&[d.path().as_os_str()]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(&format!("REJECTED: {asset}: the exchange holds only")),
        "{text}"
    );
    assert!(text.contains("less than it owes its customers"), "{text}");

    // A forged signature on an otherwise covered round: the wallet is named, the sums disagree.
    let d = with_reserves("NONE");
    let csv = fs::read_to_string(d.path().join("wallets.csv")).expect("read");
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with("ethereum,"))
        .expect("an ethereum wallet");
    let sig_at = lines[i].rfind(",0x").expect("a hex signature") + 10;
    let c = lines[i].as_bytes()[sig_at];
    lines[i].replace_range(sig_at..=sig_at, if c == b'a' { "b" } else { "a" });
    fs::write(d.path().join("wallets.csv"), lines.join("\n") + "\n").expect("write");
    let (code, text) = run(&[d.path().as_os_str()]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("but it does not check out"), "{text}");
    assert!(text.contains("does not check out ("), "{text}");

    // reserves.json without the wallet file: noted, not judged.
    let d = with_reserves("NONE");
    fs::remove_file(d.path().join("wallets.csv")).expect("rm");
    let (code, text) = run(&[d.path().as_os_str()]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Reserve ratios not re-checked"), "{text}");
}
