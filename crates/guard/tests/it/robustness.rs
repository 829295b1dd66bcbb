//! Hostile input never panics: random hosts and URLs, random address strings, random snapshot
//! and delta bytes (seeded, so failures reproduce).

use custodia_guard::bench::SplitMix;
use custodia_guard::{
    Address, AddressIndex, Category, DomainChecker, GuardService, ListMeta, Snapshot,
    SnapshotDelta, import_address_json, import_address_lines, import_domain_lines,
    import_metamask_config, import_ofac_sdn_xml,
};

const PIECES: &[&str] = &[
    "okx",
    "binance",
    "login",
    "-",
    ".",
    "..",
    "xn--",
    "xn--80ak6aa92e",
    "@",
    ":",
    "/",
    "//",
    "https://",
    "?",
    "#",
    "\\",
    "[",
    "]",
    "::1",
    "0",
    "1",
    "рау",
    "і",
    "ο",
    "κ",
    "т",
    "ä",
    "\u{301}",
    "\u{200d}",
    "日本",
    "com",
    "pages.dev",
    "co.uk",
    "www",
    "_",
    " ",
    "%",
    "\u{0}",
    "ＯＫＸ",
    "🙂",
    "bc1q",
    "0x",
    "T",
    "41",
    "So1",
    "z",
    "l",
    "I",
];

fn random_text(rng: &mut SplitMix) -> String {
    (0..rng.below(12))
        .map(|_| PIECES[rng.below(PIECES.len())])
        .collect()
}

#[test]
fn domain_checks_and_address_parsing_never_panic() {
    let checker = DomainChecker::with_defaults();
    let mut rng = SplitMix(2024);
    for _ in 0..30_000 {
        let s = random_text(&mut rng);
        let _ = checker.check(&s);
        let _ = Address::parse_any(&s);
    }
    // Long inputs are refused, not processed.
    assert!(checker.check(&"a".repeat(5000)).is_err());
    assert!(
        checker
            .check(&format!("{}.com", "okx-".repeat(60)))
            .is_err()
    );
}

#[test]
fn importers_never_panic_on_garbage() {
    let mut rng = SplitMix(7);
    let m = ListMeta::new("x", Category::Scam, None).unwrap();
    for _ in 0..2_000 {
        let s: String = (0..rng.below(20))
            .map(|_| {
                let p = [
                    "\n",
                    "[",
                    "]",
                    "{",
                    "}",
                    "\"",
                    ",",
                    "<Sanctions>",
                    "</Sanctions>",
                    "<Feature FeatureTypeID=\"1\">",
                    "<VersionDetail>",
                    "</VersionDetail>",
                    "<FeatureType ID=\"1\">Digital Currency Address - ETH</FeatureType>",
                    "0x12",
                    "&amp;",
                    "&#x41;",
                    "&bogus;",
                    "#",
                    "address",
                    ":",
                ];
                p[rng.below(p.len())]
            })
            .collect();
        let _ = import_address_lines(&s, None, &m);
        let _ = import_address_json(&s, None, &m);
        let _ = import_ofac_sdn_xml(&s, &m);
        let _ = import_domain_lines(&s, &m);
        let _ = import_metamask_config(&s, &m);
    }
}

#[test]
fn random_bytes_are_never_a_snapshot() {
    let mut rng = SplitMix(9);
    for _ in 0..5_000 {
        let mut b = vec![0u8; rng.below(300)];
        rng.fill(&mut b);
        if rng.below(2) == 0 && b.len() >= 8 {
            b[..8].copy_from_slice(b"CGUARDSN");
        }
        assert!(Snapshot::from_bytes(&b).is_err());
        assert!(SnapshotDelta::from_bytes(&b).is_err());
    }
}

#[test]
fn shared_state_is_send_and_sync() {
    fn both<T: Send + Sync>() {}
    both::<DomainChecker>();
    both::<AddressIndex>();
    both::<Snapshot>();
    both::<GuardService>();
}
