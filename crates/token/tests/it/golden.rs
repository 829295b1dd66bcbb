//! The static report of every committed fixture, compared field by field with the one recorded
//! in `fixtures/static_reports.json`: speed work on the analysis must not change a single
//! finding (selectors, capabilities, reachable blocks, privileged / hidden / owner slots,
//! owner writers, what the transfer functions reach). The market's own contracts and the
//! proxy's implementation are included: they are real code too.
//!
//! The record was written by the analysis before the function summaries
//! (`CUSTODIA_BLESS_STATIC=1 cargo test -p custodia-token --test it golden` rewrites it; only
//! do that for a change that is meant to alter findings, and say why in the commit).

use std::collections::BTreeMap;
use std::path::PathBuf;

use custodia_token::{StaticReport, analyze, decode_hex};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every compiled fixture's static report, by name.
fn reports() -> BTreeMap<String, StaticReport> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir().join("build")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let code = decode_hex(v["runtime"].as_str().unwrap(), "runtime_code").unwrap();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        out.insert(name, analyze(code, "runtime_code").unwrap());
    }
    out
}

#[test]
fn every_fixture_keeps_its_recorded_static_report() {
    let path = dir().join("static_reports.json");
    let now = reports();
    if std::env::var_os("CUSTODIA_BLESS_STATIC").is_some() {
        let text = serde_json::to_string_pretty(&now).unwrap();
        std::fs::write(&path, text + "\n").unwrap();
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let recorded: BTreeMap<String, StaticReport> = serde_json::from_str(&text).unwrap();
    assert_eq!(
        recorded.keys().collect::<Vec<_>>(),
        now.keys().collect::<Vec<_>>(),
        "the set of fixtures changed: re-record deliberately"
    );
    assert!(recorded.len() >= 30, "{} fixtures", recorded.len());
    for (name, want) in &recorded {
        assert_eq!(&now[name], want, "{name}: the static report changed");
    }
}

#[test]
fn a_changed_finding_is_caught() {
    // The twin: the comparison is field by field, so one flipped finding or one block more
    // differs.
    let now = reports();
    let mut r = now["PlainToken"].clone();
    assert_eq!(r, now["PlainToken"]);
    r.reachable_blocks.0 += 1;
    assert_ne!(r, now["PlainToken"]);
    let mut r = now["HiddenOwner"].clone();
    r.privileges.hidden_slots.clear();
    assert_ne!(r, now["HiddenOwner"]);
}
