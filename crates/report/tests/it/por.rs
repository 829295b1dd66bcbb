use std::path::Path;

use custodia_report::{PorInput, ProofStatus, ReportError};
use serde_json::json;

fn write(dir: &Path, rel: &str, v: &serde_json::Value) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// A public folder shaped like `por publish` output (the fields the report reads).
pub(crate) fn public_round(dir: &Path, round: &str, usdt_reserves: &str, with_reserves: bool) {
    write(
        dir,
        "round.json",
        &json!({
            "format": "custodia-round/2", "round": round, "snapshot_time": "2025-01-25T00:00:00Z",
            "root": "ab".repeat(32), "assets_digest": "cd".repeat(32),
            "totals": [
                {"asset": "BTC", "decimals": 8, "equity": "150000000", "debt": "50000000"},
                {"asset": "USDT", "decimals": 6, "equity": "2000000000", "debt": "0"}
            ]
        }),
    );
    write(
        dir,
        "proofs/aggregate.json",
        &json!({"format": "custodia-aggregate/1", "round": round, "root": "ab".repeat(32),
                "batches": 4, "leaves": 65536, "security_bits": 100}),
    );
    if with_reserves {
        write(
            dir,
            "reserves.json",
            &json!({
                "format": "custodia-reserves/1", "round": round,
                "summary": {"wallets_verified": 3, "wallets_rejected": 0,
                            "assets_below_100": ["USDT"], "assets_not_verifiable": [], "all_covered": false},
                "assets": [
                    {"asset": "BTC", "reserves": "110000000", "ratio_bps": 11000, "status": "covered"},
                    {"asset": "USDT", "reserves": usdt_reserves, "ratio_bps": 9500, "status": "below100"}
                ]
            }),
        );
    }
}

pub(crate) fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("custodia-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn input(dir: &Path) -> PorInput {
    PorInput {
        dir: dir.to_path_buf(),
        previous: None,
        proof: ProofStatus::NotChecked,
    }
}

#[test]
fn reads_holdings_reserves_and_ratios_from_the_public_files() {
    let d = tmp("reads");
    public_round(&d, "2025-01", "1900000000", true);
    let p = input(&d).load().unwrap();
    assert_eq!(p.round, "2025-01");
    assert_eq!(
        (p.batches, p.leaves, p.security_bits),
        (Some(4), Some(65536), Some(100))
    );
    let btc = &p.assets[0];
    assert_eq!(
        (
            btc.net_liabilities.as_str(),
            btc.reserves.as_deref(),
            btc.ratio_bps
        ),
        ("100000000", Some("110000000"), Some(11000))
    );
    assert_eq!(p.assets[1].status, "below100");
    assert_eq!(p.reserves.as_ref().unwrap().assets_below_100, ["USDT"]);
    let names: Vec<&str> = p.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        names,
        ["proofs/aggregate.json", "reserves.json", "round.json"]
    );
    let bytes = std::fs::read(d.join("round.json")).unwrap();
    use sha2_check::digest;
    assert_eq!(p.files[2].sha256, digest(&bytes));
}

mod sha2_check {
    /// SHA-256 through the system's `sha256sum`, an implementation independent of the crate's.
    pub fn digest(bytes: &[u8]) -> String {
        use std::io::Write as _;
        let mut c = std::process::Command::new("sha256sum")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(bytes).unwrap();
        let out = c.wait_with_output().unwrap();
        String::from_utf8(out.stdout).unwrap()[..64].to_owned()
    }
}

#[test]
fn without_proof_of_assets_no_ratio_is_invented() {
    let d = tmp("noreserves");
    public_round(&d, "2025-01", "1", false);
    let p = input(&d).load().unwrap();
    assert!(p.reserves.is_none());
    assert!(
        p.assets
            .iter()
            .all(|a| a.ratio_bps.is_none() && a.reserves.is_none())
    );
    assert!(p.assets.iter().all(|a| a.status == "no_proof_of_assets"));
}

#[test]
fn files_from_different_rounds_are_refused() {
    let d = tmp("mixed");
    public_round(&d, "2025-01", "1", true);
    let other = tmp("mixed-other");
    public_round(&other, "2024-12", "1", true);
    std::fs::copy(other.join("reserves.json"), d.join("reserves.json")).unwrap();
    let e = input(&d).load().unwrap_err();
    assert!(
        matches!(
            e,
            ReportError::RoundMismatch {
                what: "round id",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("2024-12"), "{e}");
}

#[test]
fn hostile_or_missing_files_get_specific_errors() {
    let d = tmp("missing");
    let e = input(&d).load().unwrap_err();
    assert!(
        e.to_string().contains("round.json") && e.to_string().contains("por publish"),
        "{e}"
    );

    let d = tmp("notjson");
    public_round(&d, "2025-01", "1", true);
    std::fs::write(d.join("reserves.json"), b"\xff\xfe not json").unwrap();
    let e = input(&d).load().unwrap_err();
    assert!(
        e.to_string().contains("reserves.json") && e.to_string().contains("JSON"),
        "{e}"
    );

    let d = tmp("badunits");
    public_round(&d, "2025-01", "-5", true);
    let e = input(&d).load().unwrap_err();
    assert!(e.to_string().contains("\"-5\""), "{e}");

    let d = tmp("dir");
    public_round(&d, "2025-01", "1", true);
    std::fs::remove_file(d.join("reserves.json")).unwrap();
    std::fs::create_dir(d.join("reserves.json")).unwrap();
    let e = input(&d).load().unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
}

#[test]
fn the_previous_round_gives_the_change() {
    let d = tmp("now");
    public_round(&d, "2025-01", "1900000000", true);
    let prev = tmp("prev");
    public_round(&prev, "2024-12", "2100000000", true);
    let mut i = input(&d);
    i.previous = Some(prev.clone());
    let p = i.load().unwrap();
    let c = p.change.unwrap();
    assert_eq!(c.previous_round, "2024-12");
    assert_eq!(c.assets.len(), 2);
    assert!(c.added.is_empty() && c.removed.is_empty());
    // The same round given as its own predecessor is refused.
    let mut same = input(&d);
    same.previous = Some(d.clone());
    assert!(matches!(
        same.load(),
        Err(ReportError::RoundMismatch { .. })
    ));
}
