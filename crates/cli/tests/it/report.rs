//! `custodia report` end to end: events written by a real service through the real store, a
//! proven and published round, the report in three forms, and `report verify` (identical, and
//! its twins: a tampered figure, a round left out).

use std::path::Path;

use custodia_events::{Clock as _, SystemClock};

use crate::cli::custodia_on as custodia;
use crate::cli::{code, proven_round, text};

fn this_month() -> String {
    SystemClock.now().to_iso8601_millis()[..7].to_owned()
}

fn cooling_off(url: &str, user: &str) {
    let o = custodia(
        url,
        &[
            "protect",
            "cooling-off",
            "start",
            "--user",
            user,
            "--days",
            "7",
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn the_month_is_reported_from_the_store_and_recomputes_identically() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("r.db").display());
    // Events land in the month it is now; retry if the month turned meanwhile.
    let month = loop {
        let before = this_month();
        cooling_off(&url, "alice");
        cooling_off(&url, "bob");
        if this_month() == before {
            break before;
        }
    };
    let round = proven_round(dir.path());
    let public = dir.path().join("public");
    let o = custodia(
        &url,
        &[
            "por",
            "publish",
            "--round",
            round.to_str().unwrap(),
            "--out",
            public.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let out = dir.path().join("report");
    let o = custodia(
        &url,
        &[
            "report",
            "--month",
            &month,
            "--round",
            public.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("custodia report verify"), "{}", text(&o));

    let r = json(&out.join("report.json"));
    let rookie = r["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "rookie")
        .unwrap();
    assert_eq!(rookie["recorded"], true);
    let users = rookie["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "protect.cooling_off_users")
        .unwrap();
    assert_eq!(users["value"]["n"], 2);
    assert_eq!(users["trace"]["events"], 2);
    // Services that recorded nothing say so, with no number.
    let fund = r["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "fund")
        .unwrap();
    assert_eq!(fund["recorded"], false);
    assert_eq!(fund["figures"].as_array().unwrap().len(), 0);
    // The round's verdict comes from the verifier.
    assert_eq!(r["por"]["proof"]["status"], "verified");
    assert_eq!(r["por"]["round"], "2026-11");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for id in [
        "por",
        "fund",
        "login",
        "api_keys",
        "rookie",
        "wrong_deposits",
        "tokens",
        "blacklist",
        "domain_alerts",
        "poisoning",
        "faq",
    ] {
        assert!(html.contains(&format!("data-section=\"{id}\"")), "{id}");
    }
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("## Rookie protection"), "{md}");

    let verify = |report: &Path, round: Option<&Path>| {
        let mut args = vec!["report", "verify", "--report", report.to_str().unwrap()];
        if let Some(r) = round {
            args.extend(["--round", r.to_str().unwrap()]);
        }
        custodia(&url, &args)
    };
    // A later event of the same month does not change the pinned report.
    cooling_off(&url, "carol");
    let o = verify(&out.join("report.json"), Some(&public));
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("IDENTICAL"), "{}", text(&o));

    // A figure edited after the fact is found, with the line.
    let edited = dir.path().join("edited.json");
    let t = std::fs::read_to_string(out.join("report.json")).unwrap();
    let needle = "\"key\": \"protect.cooling_off_users\"";
    let at = t.find(needle).unwrap();
    let n_at = at + t[at..].find("\"n\": 2").unwrap();
    let tampered = format!("{}\"n\": 3{}", &t[..n_at], &t[n_at + 6..]);
    std::fs::write(&edited, tampered).unwrap();
    let o = verify(&edited, Some(&public));
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(
        text(&o).contains("DIFFERS") && text(&o).contains("\"n\": 3"),
        "{}",
        text(&o)
    );

    // The round it cites must be given; a bad month is refused before anything is read.
    let o = verify(&out.join("report.json"), None);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("--round"), "{}", text(&o));
    let o = custodia(
        &url,
        &[
            "report",
            "--month",
            "2025-13",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("YYYY-MM"), "{}", text(&o));
}
