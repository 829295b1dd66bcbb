//! A round's published proof-of-assets files, re-checked: the demo's real signatures, a report
//! that agrees, and every way the files can lie.

use custodia_primitives::{AssetId, AssetRegistry, Total};
use custodia_reserves::{
    AssetLiability, DemoConfig, Liabilities, WalletFormat, demo_wallets, verify_wallets,
};
use custodia_reserves_check::{AssetOutcome, Liability, check_reserves};

/// BTC (every Bitcoin kind), ETH (EVM), USDT (EVM and TRON tokens), TRX, DOGE, LTC, the
/// Edwards-curve chains' SOL, DOT (sr25519), APT and XRP (ed25519 and secp256k1 accounts), and
/// TON (`ton_proof`: not re-checked here), with positive net liabilities.
fn liabilities() -> (AssetRegistry, Liabilities, Vec<Liability>) {
    let registry = AssetRegistry::default_assets();
    let wanted = [
        ("BTC", 1_234_567_890u128, 1_000_000u128),
        ("ETH", 98_765_432_100_000_000_000, 0),
        ("USDT", 5_000_000_000_000, 1_000_000),
        ("TRX", 77_000_000_000, 0),
        ("DOGE", 900_000_000_000, 0),
        ("LTC", 40_000_000_000, 0),
        ("SOL", 12_000_000_000_000, 0),
        ("DOT", 3_000_000_000_000, 0),
        ("APT", 800_000_000_000, 0),
        ("XRP", 9_000_000_000_000, 0),
        ("TON", 4_000_000_000_000, 0),
    ];
    let mut assets = Vec::new();
    let mut ours = Vec::new();
    for (sym, e, d) in wanted {
        let info = registry.get(registry.index_of(sym).unwrap()).unwrap();
        assets.push(AssetLiability {
            asset: AssetId::new(sym).unwrap(),
            decimals: info.decimals,
            equity: Total::from_units(e),
            debt: Total::from_units(d),
        });
        ours.push(Liability {
            asset: sym.to_owned(),
            decimals: info.decimals,
            equity: e,
            debt: d,
        });
    }
    (registry, Liabilities::new("2026-11", assets).unwrap(), ours)
}

/// The exchange's files: the wallet file and its own report.
fn files(below: Option<&str>, format: WalletFormat) -> (String, String, Vec<Liability>) {
    let (registry, l, ours) = liabilities();
    let mut cfg = DemoConfig::new("Custodia Demo Exchange", 7);
    cfg.format = format;
    // An asset the round does not have: nothing is left below 100%.
    cfg.below_100 = Some(AssetId::new(below.unwrap_or("NONE")).unwrap());
    let demo = demo_wallets(&registry, &l, &cfg).unwrap();
    let report = verify_wallets(&demo.rows, &l, &registry, &demo.params).unwrap();
    (demo.wallet_file, report.to_json(), ours)
}

#[test]
fn the_exchanges_files_recheck_to_the_same_ratios() {
    for format in [WalletFormat::Csv, WalletFormat::Json] {
        let (wallets, report, l) = files(None, format);
        let c = check_reserves("2026-11", &l, report.as_bytes(), wallets.as_bytes()).unwrap();
        assert!(c.ok(), "{c:#?}");
        assert!(c.failed.is_empty() && c.mismatches.is_empty(), "{c:#?}");
        let parsed: serde_json::Value = serde_json::from_str(&report).unwrap();
        for a in &c.assets {
            let claimed = parsed["assets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["asset"] == a.asset.as_str())
                .unwrap();
            // Counting every wallet, the re-check lands on the exchange's own ratio.
            assert_eq!(
                a.ratio_with_unchecked_bps,
                claimed["ratio_bps"].as_u64(),
                "{}",
                a.asset
            );
        }
        let outcome = |s: &str| c.assets.iter().find(|a| a.asset == s).unwrap().outcome;
        // Single-key BIP-137, EVM, TRON and coin signatures are re-checked here, and so are the
        // ed25519 and sr25519 chains' (Solana off-chain and raw, Polkadot, Aptos, XRPL).
        for s in ["ETH", "USDT", "TRX", "DOGE", "SOL", "DOT", "APT", "XRP"] {
            assert_eq!(outcome(s), AssetOutcome::Covered, "{s}: {c:#?}");
        }
        for scheme in [
            "solana-offchain",
            "solana-raw",
            "sr25519-bytes",
            "aip62",
            "xrpl-keypairs",
        ] {
            assert!(
                !c.unchecked.iter().any(|u| u.scheme == scheme),
                "{scheme}: {:#?}",
                c.unchecked
            );
        }
        // TON's `ton_proof` wallets: counted by the exchange, not re-checked here, and said so.
        assert_eq!(outcome("TON"), AssetOutcome::CoveredCountingUnchecked);
        assert!(c.unchecked.iter().any(|u| u.asset == "TON"));
        let ton = c.assets.iter().find(|a| a.asset == "TON").unwrap();
        assert!(ton.text().contains("cannot re-check"), "{}", ton.text());
        assert!(c.wallets_checked > 10, "{}", c.wallets_checked);
    }
}

#[test]
fn an_asset_below_100_percent_is_a_clear_negative_outcome() {
    let (wallets, report, l) = files(Some("ETH"), WalletFormat::Csv);
    let c = check_reserves("2026-11", &l, report.as_bytes(), wallets.as_bytes()).unwrap();
    assert!(c.failed.is_empty() && c.mismatches.is_empty(), "{c:#?}");
    assert!(!c.ok());
    let eth = c.assets.iter().find(|a| a.asset == "ETH").unwrap();
    assert_eq!(eth.outcome, AssetOutcome::Below100);
    assert!(eth.text().contains("holds only 9"), "{}", eth.text());
    assert!(eth.text().contains("not enough to pay"), "{}", eth.text());
    assert!(
        c.headline().contains("less than it owes"),
        "{}",
        c.headline()
    );
}

/// Flips one character of the signature column of the first row of `chain` in a CSV file.
fn tamper_signature(csv: &str, chain: &str) -> String {
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with(&format!("{chain},")))
        .unwrap();
    // The signatures column (7th; no field of the demo file holds a comma).
    let mut fields: Vec<String> = lines[i].split(',').map(str::to_owned).collect();
    let sig = &mut fields[6];
    let mid = sig.len() / 2;
    let c = sig.as_bytes()[mid];
    // 2 and 3 are digits of hex, base58 and base64 alike: the signature stays decodable.
    let swapped = if c == b'2' { "3" } else { "2" };
    sig.replace_range(mid..=mid, swapped);
    lines[i] = fields.join(",");
    lines.join("\n") + "\n"
}

#[test]
fn a_counted_wallet_whose_signature_fails_is_a_rejection() {
    let (wallets, report, l) = files(None, WalletFormat::Csv);
    for chain in [
        "ethereum", "bitcoin", "tron", "dogecoin", "solana", "polkadot", "aptos", "xrpl",
    ] {
        let bad = tamper_signature(&wallets, chain);
        assert_ne!(bad, wallets);
        let c = check_reserves("2026-11", &l, report.as_bytes(), bad.as_bytes()).unwrap();
        assert!(!c.ok(), "{chain}");
        assert!(
            c.failed.iter().any(|f| f.chain == chain),
            "{chain}: {:#?}",
            c.failed
        );
        // The sums no longer match the report either.
        assert!(!c.mismatches.is_empty(), "{chain}");
        assert!(c.headline().contains("does not check out"));
    }
}

#[test]
fn a_report_that_disagrees_with_the_files_is_a_rejection() {
    let (wallets, report, l) = files(None, WalletFormat::Csv);
    // Another round's id.
    let c = check_reserves("2026-12", &l, report.as_bytes(), wallets.as_bytes()).unwrap();
    assert!(!c.ok());
    assert!(
        c.mismatches.iter().any(|m| m.contains("for round 2026-11")),
        "{c:#?}"
    );
    // Every message names 2026-11: under 2026-12 no re-checked signature holds.
    assert!(!c.failed.is_empty());

    // An inflated balance in the wallet file (the signature does not cover balances; the report
    // must agree with the file).
    let mut v: serde_json::Value = serde_json::from_str(&report).unwrap();
    let w = v["wallets"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|w| w["chain"] == "ethereum" && w["asset"] == "ETH")
        .unwrap();
    let b = w["balance"].as_u64().unwrap();
    w["balance"] = serde_json::json!(b + 1);
    let c = check_reserves("2026-11", &l, v.to_string().as_bytes(), wallets.as_bytes()).unwrap();
    assert!(
        c.failed.iter().any(|f| f.reason.contains("states")),
        "{c:#?}"
    );

    // The same wallet counted twice.
    let mut v: serde_json::Value = serde_json::from_str(&report).unwrap();
    let ws = v["wallets"].as_array_mut().unwrap();
    let first = ws[0].clone();
    ws.push(first);
    let c = check_reserves("2026-11", &l, v.to_string().as_bytes(), wallets.as_bytes()).unwrap();
    assert!(
        c.failed.iter().any(|f| f.reason.contains("twice")),
        "{c:#?}"
    );

    // Negative twin of all three: the untouched files check out.
    let c = check_reserves("2026-11", &l, report.as_bytes(), wallets.as_bytes()).unwrap();
    assert!(c.ok());
}

#[test]
fn unreadable_files_are_input_errors() {
    let (wallets, report, l) = files(None, WalletFormat::Csv);
    assert!(check_reserves("2026-11", &l, b"not json", wallets.as_bytes()).is_err());
    assert!(
        check_reserves(
            "2026-11",
            &l,
            br#"{"format":"other/1","exchange":"x","round":"r","heights":{},"assets":[],"wallets":[]}"#,
            wallets.as_bytes()
        )
        .is_err()
    );
    assert!(check_reserves("2026-11", &l, report.as_bytes(), b"bogus,header\n1,2\n").is_err());
    assert!(check_reserves("2026-11", &l, report.as_bytes(), &[0xff, 0xfe]).is_err());
    // Negative twin: the real files are read.
    assert!(check_reserves("2026-11", &l, report.as_bytes(), wallets.as_bytes()).is_ok());
}
