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

/// The constraint digest every proof of the width-12 leaf sponge carries (before
/// `custodia-inclusion/4`).
const WIDTH_12_LEAF_DIGEST: &str =
    "22e62537324dfc344378c3682fd3b6b3963694a3c0b427c24608c2598025cf3a";

/// The constraint digest every proof of the width-16 leaf sponge carries
/// (`custodia-inclusion/4`).
const WIDTH_16_LEAF_DIGEST: &str =
    "53f22424841597cf4f25a6c2adb66f6e2c6f83b43648af28595441b12d8130b9";

/// A round of an older leaf sponge differs from this one only in what its files name: the
/// proofs' constraint digest and the inclusion files' tag. Both must be refused by name, not as a
/// cryptographic failure (a root mismatch or a bad proof).
fn assert_older_round_refused(old_digest_hex: &str, old_tag: &str) {
    let dir = fixture();
    let old_digest: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&old_digest_hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let mut bundle = Bundle::new();
    bundle
        .add_bytes("round.json", std::fs::read(dir.join("round.json")).unwrap())
        .unwrap();
    for b in 0..2 {
        for ext in ["proof", "json"] {
            let name = format!("batch-{b:05}.{ext}");
            let mut bytes = std::fs::read(dir.join("proofs").join(&name)).unwrap();
            if ext == "proof" {
                bytes[9..41].copy_from_slice(&old_digest);
            }
            bundle.add_bytes(&name, bytes).unwrap();
        }
    }
    let report = bundle.check(|_| {}).unwrap();
    assert!(!report.verified());
    let text: String = report.findings.iter().map(|f| f.text.clone()).collect();
    assert!(
        text.contains("constraint system") && text.contains(old_digest_hex),
        "{report:#?}"
    );
    // The same round's inclusion file under the old tag: refused as an unsupported version.
    let file = std::fs::read_to_string(dir.join("inclusion/user-0001.json")).unwrap();
    assert!(file.contains("\"custodia-inclusion/5\""));
    let old = file.replacen("custodia-inclusion/5", old_tag, 1);
    let err = Bundle::new()
        .add_bytes("user-0001.json", old.into_bytes())
        .unwrap_err();
    assert!(
        err.to_string().contains("unsupported format version"),
        "{err}"
    );
    // Negative twin: the untouched file is read as an inclusion file.
    assert!(
        Bundle::new()
            .add_bytes("user-0001.json", file.into_bytes())
            .is_ok()
    );
}

#[test]
fn regression_a_round_of_the_width_12_leaf_sponge_is_refused_as_unsupported() {
    assert_older_round_refused(WIDTH_12_LEAF_DIGEST, "custodia-inclusion/3");
}

#[test]
fn regression_a_round_of_the_width_16_leaf_sponge_is_refused_as_unsupported() {
    assert_older_round_refused(WIDTH_16_LEAF_DIGEST, "custodia-inclusion/4");
}
