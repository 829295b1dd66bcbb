//! `custodia demo`'s month end to end: a small month played through the real services over
//! HTTP, the round proven and published, the report written and verified. Every section must
//! show what the simulation was answered, the same seed must give the same report, a month
//! nothing happened in says so, and a tampered checkpoint is refused.

use std::path::Path;

use serde_json::Value;

use crate::cli::{code, custodia, text};

fn demo(out: &Path) -> Value {
    let o = custodia(&[
        "--json",
        "demo",
        "--users",
        "200",
        "--assets",
        "4",
        "--log-batch",
        "7",
        "--month-users",
        "24",
        "--seed",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn section<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no section {id}"))
}

/// A count figure of a section (`None` when the section does not show it).
fn count(r: &Value, id: &str, key: &str) -> Option<u64> {
    section(r, id)["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .and_then(|f| f["value"]["n"].as_u64())
}

#[test]
fn the_demo_month_reports_what_the_services_answered() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let v = demo(&out);
    assert_eq!(v["status"], "ok", "{v}");
    assert_eq!(v["report"]["verify"], "identical", "{v}");
    let facts = &v["month"];
    let fact = |k: &str| facts[k].as_u64().unwrap_or_else(|| panic!("fact {k}"));
    let report_json = std::fs::read(out.join("report/report.json")).unwrap();
    let r: Value = serde_json::from_slice(&report_json).unwrap();
    assert_eq!(r["month"], "2026-11");

    // Every service recorded the month, with real figures.
    for id in [
        "fund",
        "login",
        "api_keys",
        "rookie",
        "wrong_deposits",
        "tokens",
        "blacklist",
        "domain_alerts",
        "poisoning",
    ] {
        assert_eq!(section(&r, id)["recorded"], true, "{id}");
    }
    assert_eq!(r["por"]["proof"]["status"], "verified");
    assert_eq!(r["por"]["round"], "2026-11");

    // Each figure is what the clients were answered over the month.
    for (id, key, fact_key) in [
        ("login", "login.stepped_up", "logins_stepped_up"),
        ("login", "login.blocked", "logins_blocked"),
        ("login", "login.withdrawals_screened", "withdrawals"),
        (
            "login",
            "login.withdrawals_intercepted",
            "withdrawals_intercepted",
        ),
        ("api_keys", "api_keys.created", "keys_created"),
        ("api_keys", "api_keys.created_ip_bound", "keys_ip_bound"),
        ("api_keys", "api_keys.expired_idle", "keys_purged"),
        ("rookie", "protect.cooling_off_users", "cooling_off_users"),
        (
            "rookie",
            "protect.orders_blocked_cooling_off",
            "orders_blocked",
        ),
        ("wrong_deposits", "protect.cases_opened", "cases_opened"),
        (
            "wrong_deposits",
            "protect.cases_recovered",
            "cases_recovered",
        ),
        ("tokens", "token.assessed", "tokens_assessed"),
        ("tokens", "token.flagged", "tokens_flagged"),
        ("tokens", "token.honeypots", "tokens_honeypots"),
        ("blacklist", "guard.addresses_screened", "withdrawals"),
        ("blacklist", "guard.domains_checked", "domains_checked"),
        (
            "fund",
            "fund.swap:BTC-USDT:USDT.liquidations",
            "liquidations",
        ),
        (
            "fund",
            "fund.swap:BTC-USDT:USDT.positions_deleveraged",
            "positions_deleveraged",
        ),
    ] {
        let got = count(&r, id, key).unwrap_or_else(|| panic!("{id} shows no {key}"));
        assert_eq!(got, fact(fact_key), "{key}");
        assert!(got > 0, "{key} is zero: the demo month must exercise it");
    }
    // Every login request counted once, including the wrong passwords whose failure tipped a
    // lock (logged twice by the login defence: the second event says which decision it revises).
    assert_eq!(
        count(&r, "login", "login.assessed").unwrap(),
        fact("logins")
    );
    // The attacks were stopped, and the flash crash ran the ADL.
    assert!(fact("stuffing_attempts") > 0 && fact("takeover_attempts") > 0);
    assert!(count(&r, "fund", "fund.swap:BTC-USDT:USDT.adl_episodes").unwrap() >= 1);
    assert!(count(&r, "blacklist", "guard.phishing_addresses_recorded").unwrap() > 0);
    assert!(count(&r, "blacklist", "guard.black_addresses_recorded").unwrap() > 0);
    assert!(count(&r, "domain_alerts", "guard.risk_domain_alerts").unwrap() > 0);
    assert!(count(&r, "poisoning", "guard.similar_addresses_recorded").unwrap() > 0);
    // The report cites the month's signed checkpoint.
    assert!(r["chain"]["checkpoint"]["seq"].as_u64().unwrap() > 0);

    // Same seed, same report, byte for byte.
    demo(&out);
    assert_eq!(
        std::fs::read(out.join("report/report.json")).unwrap(),
        report_json,
        "the same seed gave a different report"
    );

    let config = out.join("service/custodia.toml");
    let config = config.to_str().unwrap();
    let public = out.join("public");
    let key = v["report"]["checkpoint_key"].as_str().unwrap().to_owned();
    let verify = |report: &Path, key: &str| {
        custodia(&[
            "report",
            "verify",
            "--config",
            config,
            "--report",
            report.to_str().unwrap(),
            "--round",
            public.to_str().unwrap(),
            "--checkpoint-key",
            key,
        ])
    };
    let o = verify(&out.join("report/report.json"), &key);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("signature valid"), "{}", text(&o));

    // Twin: a checkpoint whose signature was altered is refused, as is another key's.
    let t = String::from_utf8(report_json.clone()).unwrap();
    let sig = r["chain"]["checkpoint"]["signature"].as_str().unwrap();
    let flipped = format!(
        "{}{}",
        if sig.starts_with('0') { "1" } else { "0" },
        &sig[1..]
    );
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, t.replace(sig, &flipped)).unwrap();
    let o = verify(&tampered, &key);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(
        text(&o).contains("REJECTED") && text(&o).contains("checkpoint"),
        "{}",
        text(&o)
    );
    let other = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    let o = verify(&out.join("report/report.json"), other);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("REJECTED"), "{}", text(&o));

    // Twin: the month before, nothing was recorded, and every section says so with no number.
    let empty = dir.path().join("october");
    let o = custodia(&[
        "report",
        "--config",
        config,
        "--month",
        "2026-10",
        "--out",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let e: Value =
        serde_json::from_slice(&std::fs::read(empty.join("report.json")).unwrap()).unwrap();
    for s in e["sections"].as_array().unwrap() {
        assert_eq!(s["recorded"], false, "{}", s["id"]);
        assert_eq!(s["figures"].as_array().unwrap().len(), 0, "{}", s["id"]);
    }
}
