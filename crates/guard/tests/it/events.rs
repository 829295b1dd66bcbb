//! Event payloads round-trip through JSON, and the report's counts fold from them.

use custodia_guard::{
    Address, AddressIndex, AddressScreened, Category, DomainChecked, DomainChecker, GuardEvent,
    GuardStats, ListMeta, PoisoningConfig, PoisoningFlagged, ScreenContext, check_poisoning,
    import_address_lines, kinds,
};

#[test]
fn payloads_are_json_objects_and_parse_back() {
    let mut idx = AddressIndex::new();
    let m = ListMeta::new("ofac-sdn", Category::Sanctions, None).unwrap();
    let import = import_address_lines(
        "0xd90e2f925DA726b50C4Ed8D0Fb90Ad053324F31b\n0x123\n",
        None,
        &m,
    );
    let imported = idx.apply_import("ofac-sdn", &import).unwrap();
    let screened = AddressScreened::from_screening(
        &idx.screen("0xd90e2f925da726b50c4ed8d0fb90ad053324f31b", None)
            .unwrap(),
        ScreenContext::Withdrawal,
    );
    let verdict = DomainChecker::with_defaults()
        .check("okx-login.com")
        .unwrap();
    let checked = DomainChecked::from_verdict(&verdict);
    let real = Address::parse_any("0xa9d1e08c7793af67e9d92fe308d5697fb81d3e43").unwrap();
    let fake = Address::parse_any("0xa9d1ffffffffffffffffffffffffffffffff3e43").unwrap();
    let flagged = PoisoningFlagged::from(
        &check_poisoning(&fake, &[real], &PoisoningConfig::default()).unwrap(),
    );
    let events = [
        GuardEvent::ListImported(imported),
        GuardEvent::AddressScreened(screened),
        GuardEvent::DomainChecked(checked),
        GuardEvent::PoisoningFlagged(flagged),
    ];
    let rendered: Vec<String> = events
        .iter()
        .map(|e| format!("{} {}", e.kind(), e.payload()))
        .collect();
    assert_eq!(
        rendered,
        [
            r#"guard.list_imported {"accepted":1,"added":{"sanctions":1},"kind":"addresses","rejected":1,"source":"ofac-sdn","unsupported":0}"#,
            r#"guard.address_screened {"address":"0xd90e2f925da726b50c4ed8d0fb90ad053324f31b","categories":["sanctions"],"chain":"evm","context":"withdrawal","sources":["ofac-sdn"],"warning_shown":true}"#,
            r#"guard.domain_checked {"brand":"OKX","host":"okx-login.com","level":"very-high","registrable":"okx-login.com","rules":["brand-token"],"warning_shown":true}"#,
            r#"guard.poisoning_flagged {"chain":"evm","imitates":"0xa9d1e08c7793af67e9d92fe308d5697fb81d3e43","lookalike":"0xa9d1ffffffffffffffffffffffffffffffff3e43","prefix_len":4,"suffix_len":4,"warning_shown":true}"#,
        ]
    );
    for e in &events {
        assert_eq!(
            GuardEvent::parse(e.kind(), &e.payload()).unwrap().as_ref(),
            Some(e)
        );
    }
    assert_eq!(
        GuardEvent::parse("api_key.created", &serde_json::json!({})).unwrap(),
        None
    );
    assert!(GuardEvent::parse(kinds::DOMAIN_CHECKED, &serde_json::json!({"host": 1})).is_err());
}

#[test]
fn stats_fold_from_the_event_log() {
    let ev = |kind: &str, v: serde_json::Value| (kind.to_owned(), v);
    let addr = "0xa9d1ffffffffffffffffffffffffffffffff3e43";
    let real = "0xa9d1e08c7793af67e9d92fe308d5697fb81d3e43";
    let log = vec![
        ev(
            kinds::LIST_IMPORTED,
            serde_json::json!({"source":"ofac-sdn","kind":"addresses","accepted":5,"added":{"sanctions":4,"mixer":1},"rejected":0,"unsupported":2}),
        ),
        ev(
            kinds::LIST_IMPORTED,
            serde_json::json!({"source":"scamsniffer","kind":"addresses","accepted":9,"added":{"phishing":7,"scam":2},"rejected":1,"unsupported":0}),
        ),
        ev(
            kinds::LIST_IMPORTED,
            serde_json::json!({"source":"scamsniffer","kind":"blocked_domains","accepted":3,"added":{"phishing":3},"rejected":0,"unsupported":0}),
        ),
        ev(
            kinds::ADDRESS_SCREENED,
            serde_json::json!({"chain":"evm","address":real,"context":"withdrawal","categories":[],"sources":[],"warning_shown":false}),
        ),
        ev(
            kinds::ADDRESS_SCREENED,
            serde_json::json!({"chain":"evm","address":addr,"context":"deposit","categories":["scam","sanctions"],"sources":["a","b"],"warning_shown":true}),
        ),
        ev(
            kinds::DOMAIN_CHECKED,
            serde_json::json!({"host":"okx-login.com","level":"very-high","rules":["brand-token"],"warning_shown":true}),
        ),
        ev(
            kinds::DOMAIN_CHECKED,
            serde_json::json!({"host":"okx.co.uk","level":"high","rules":["brand-other-suffix"],"warning_shown":true}),
        ),
        ev(
            kinds::DOMAIN_CHECKED,
            serde_json::json!({"host":"opensearch.org","level":"medium","rules":["brand-embedded"],"warning_shown":false}),
        ),
        ev(
            kinds::DOMAIN_CHECKED,
            serde_json::json!({"host":"google.com","level":"none","rules":[],"warning_shown":false}),
        ),
        ev(
            kinds::POISONING_FLAGGED,
            serde_json::json!({"chain":"evm","lookalike":addr,"imitates":real,"prefix_len":4,"suffix_len":4,"warning_shown":true}),
        ),
        ev(
            kinds::POISONING_FLAGGED,
            serde_json::json!({"chain":"evm","lookalike":addr,"imitates":real,"prefix_len":4,"suffix_len":4,"warning_shown":true}),
        ),
        // The checks themselves: two batch calls' counts (clean checks included).
        ev(
            kinds::CHECKS_COUNTED,
            serde_json::json!({"addresses":5,"addresses_listed":1,"domains":0,"domain_levels":{"very_high":0,"high":0,"medium":0}}),
        ),
        ev(
            kinds::CHECKS_COUNTED,
            serde_json::json!({"addresses":0,"addresses_listed":0,"domains":10,"domain_levels":{"very_high":1,"high":1,"medium":1}}),
        ),
        ev("api_key.created", serde_json::json!({"user":"u1"})),
    ];
    let s = GuardStats::from_events(log.iter().map(|(k, v)| (k.as_str(), v))).unwrap();
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "addresses_recorded": {"sanctions": 4, "mixer": 1, "phishing": 7, "scam": 2},
            "domains_recorded": 3,
            "addresses_screened": 5,
            "address_hits": {"sanctions": 1},
            "domains_checked": 10,
            "domain_alerts": {"very_high": 1, "high": 1, "medium": 1},
            "poisoning_checked": 0,
            "poisoning_flagged": 2,
            "lookalikes_caught": 1,
            "tx_warnings_shown": 3,
        })
    );
    assert_eq!(s.phishing_addresses_recorded(), 9);
    assert_eq!(s.black_addresses_recorded(), 5);
    assert_eq!(s.domain_alerts.alerts(), 2);
}

#[test]
fn service_batches_record_alerts_only() {
    use std::sync::Arc;

    use custodia_guard::{AddressQuery, GuardService, MAX_BATCH};
    use custodia_primitives::AccountId;

    let mut idx = AddressIndex::new();
    let m = ListMeta::new("ofac-sdn", Category::Sanctions, None).unwrap();
    idx.apply_import(
        "ofac-sdn",
        &import_address_lines("0xd90e2f925DA726b50C4Ed8D0Fb90Ad053324F31b\n", None, &m),
    )
    .unwrap();
    let svc = GuardService {
        addresses: Arc::new(idx),
        ..GuardService::empty()
    };
    let user = AccountId::new("u-1").unwrap();
    let q = |a: &str| AddressQuery {
        address: a.into(),
        chain: None,
        context: ScreenContext::Withdrawal,
    };
    let b = svc
        .screen_addresses(
            Some(&user),
            &[
                q("0xd90e2f925da726b50c4ed8d0fb90ad053324f31b"),
                q("0x0000000000000000000000000000000000000001"),
                q("not an address"),
            ],
        )
        .unwrap();
    assert!(b.results[0].as_ref().unwrap().is_listed());
    assert!(!b.results[1].as_ref().unwrap().is_listed());
    assert!(b.results[2].is_err());
    // The alert, and the count of both well-formed checks (the clean one included).
    assert_eq!(b.events.len(), 2);
    assert_eq!(b.events[0].subject, "user:u-1");
    assert_eq!(b.events[0].event.kind(), kinds::ADDRESS_SCREENED);
    assert_eq!(
        b.events[1].event,
        GuardEvent::ChecksCounted(custodia_guard::ChecksCounted {
            addresses: 2,
            addresses_listed: 1,
            ..Default::default()
        })
    );
    let b = svc
        .check_domains(None, &["google.com".into(), "okx-login.com".into()])
        .unwrap();
    assert_eq!(b.results.len(), 2);
    assert_eq!(b.events.len(), 2);
    assert_eq!(b.events[0].subject, "domain:okx-login.com");
    assert_eq!(b.events[1].subject, "guard:checks");
    let GuardEvent::ChecksCounted(c) = &b.events[1].event else {
        panic!("{:?}", b.events[1]);
    };
    assert_eq!((c.domains, c.domain_levels.very_high), (2, 1));
    // Nothing well-formed: nothing counted.
    let b = svc.check_domains(None, &["".into()]).unwrap();
    assert!(b.events.is_empty());
    let too_many = vec![String::from("a.com"); MAX_BATCH + 1];
    assert!(svc.check_domains(None, &too_many).is_err());
    let real = Address::parse_any("0xa9d1e08c7793af67e9d92fe308d5697fb81d3e43").unwrap();
    let fake = Address::parse_any("0xa9d1ffffffffffffffffffffffffffffffff3e43").unwrap();
    let (m, events) = svc.check_poisoning(&user, &fake, &[real]);
    assert_eq!(m.unwrap().imitates, real);
    assert_eq!(events[0].event.kind(), kinds::POISONING_FLAGGED);
    // Every poisoning check is counted, the clean one too; only the flag is an alert.
    let (clean, clean_events) = svc.check_poisoning(&user, &real, &[real]);
    assert!(clean.is_none());
    let mut stats = GuardStats::new();
    for e in events.iter().chain(&clean_events) {
        stats.record(&e.event);
    }
    assert_eq!((stats.poisoning_checked, stats.poisoning_flagged), (2, 1));
    assert_eq!(clean_events.len(), 1);
    assert_eq!(clean_events[0].event.kind(), kinds::CHECKS_COUNTED);
}
