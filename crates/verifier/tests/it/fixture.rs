//! The committed v2 round (`tests/fixtures/round-v2`, made by `tests/fixtures/regenerate.sh`)
//! still verifies with this build: whole round, chain, and three users' inclusion files.

use std::path::PathBuf;

use custodia_verifier::bundle::Bundle;
use custodia_verifier::bundle::disk::discover;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/round-v2")
}

#[test]
fn the_committed_v2_round_verifies() {
    let bundle = discover(&[fixture()]).expect("the fixture is readable");
    assert_eq!(bundle.inclusion_count(), 3);
    let report = bundle.check(|_| {}).expect("checkable");
    assert!(report.verified(), "{report:#?}");
    assert_eq!(report.round, "fixture-v2");
    assert_eq!(report.findings.len(), 4, "{report:#?}");
    assert!(
        report.findings[3]
            .text
            .contains("all 2 batch proofs of round fixture-v2"),
        "{report:#?}"
    );
}

#[test]
fn the_committed_round_with_one_byte_changed_is_rejected() {
    let dir = fixture();
    let manifest = std::fs::read_to_string(dir.join("round.json")).unwrap();
    // The published last salt, one hex digit off: the chain no longer ends there.
    let m: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let salt = m["chain"]["last_salt"].as_str().unwrap().to_owned();
    let flipped = format!(
        "{}{}",
        if salt.starts_with('0') { '1' } else { '0' },
        &salt[1..]
    );
    let tampered = manifest.replace(&salt, &flipped);
    let mut bundle = Bundle::new();
    bundle
        .add_bytes("round.json", tampered.into_bytes())
        .unwrap();
    for b in 0..2 {
        for ext in ["proof", "json"] {
            let name = format!("batch-{b:05}.{ext}");
            let bytes = std::fs::read(dir.join("proofs").join(&name)).unwrap();
            bundle.add_bytes(&name, bytes).unwrap();
        }
    }
    let report = bundle.check(|_| {}).unwrap();
    assert!(!report.verified());
    assert!(
        report.findings[0].text.contains("chain does not end"),
        "{report:#?}"
    );
}
