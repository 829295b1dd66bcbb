//! The browser guard's entry points, run natively: the same code the extension runs as wasm.

use custodia_guard::{
    Address, AddressEntry, Category, Chain, CompactSnapshot, DomainEntry, Snapshot, SnapshotData,
    SnapshotSigningKey, default_brands,
};
use custodia_guard_wasm::{Guard, parse_trusted_keys};
use serde_json::Value;

const LISTED: &str = "0x098b716b8aaf21512996dc57eb0615e2383e2f96";

/// The full snapshot, its signature and the public key (`compact`: the compact form instead).
fn signed_as(compact: bool) -> (Vec<u8>, Vec<u8>, String) {
    let data = SnapshotData {
        addresses: vec![AddressEntry {
            address: Address::parse(Chain::Evm, LISTED).unwrap(),
            category: Category::Hack,
            source: "internal".into(),
            date: None,
            label: Some("Ronin bridge exploiter".into()),
        }],
        blocked: vec![DomainEntry {
            host: "drainer-kit.xyz".into(),
            category: Category::Phishing,
            source: "internal".into(),
            date: None,
        }],
        allowed: vec![],
        brands: default_brands(),
    };
    let snap = Snapshot::build(&data, 3, 1_732_060_800).unwrap();
    let key = SnapshotSigningKey::from_seed(&[7; 32]);
    if compact {
        let c = CompactSnapshot::from_snapshot(&snap);
        return (
            c.to_bytes(),
            key.sign_compact(&c).to_bytes(),
            key.public().to_hex(),
        );
    }
    (
        snap.to_bytes(),
        key.sign(&snap).to_bytes(),
        key.public().to_hex(),
    )
}

fn signed() -> (Vec<u8>, Vec<u8>, String) {
    signed_as(false)
}

fn json(s: String) -> Value {
    serde_json::from_str(&s).unwrap()
}

#[test]
fn phishing_is_blocked_and_the_official_site_is_not() {
    for compact in [false, true] {
        blocks(compact);
    }
}

fn blocks(compact: bool) {
    let (snap, sig, key) = signed_as(compact);
    let g = Guard::new(&snap, &sig, &key).unwrap();
    assert_eq!(g.version(), 3.0);
    let format = json(g.counts())["format"].clone();
    assert_eq!(format, if compact { "compact" } else { "full" });
    let v = json(g.check_url("https://binance-login.com/account?x=1"));
    assert_eq!(v["status"], "ok");
    assert_eq!(v["block"], true, "{v}");
    assert!(!v["verdict"]["reasons"].as_array().unwrap().is_empty());
    let v = json(g.check_url("https://app.drainer-kit.xyz/"));
    assert_eq!(v["block"], true, "{v}");
    assert_eq!(v["verdict"]["reasons"][0]["rule"], "blocklist");
    // The twins: the official domain and an unrelated site pass.
    for ok in [
        "https://www.binance.com/en",
        "https://en.wikipedia.org/wiki/Rust",
    ] {
        let v = json(g.check_url(ok));
        assert_eq!(v["block"], false, "{ok}: {v}");
    }
    // Not a web host: an error the extension lets through, never a panic.
    let v = json(g.check_url("chrome://extensions"));
    assert!(v["status"] == "ok" || v["status"] == "error");
    assert_eq!(json(g.check_url(""))["status"], "error");
}

#[test]
fn listed_addresses_are_found_and_others_are_not() {
    let (snap, sig, key) = signed_as(true);
    let g = Guard::new(&snap, &sig, &key).unwrap();
    let v = json(g.screen_address(LISTED));
    assert_eq!(
        (v["listed"].clone(), v["hits"][0]["category"].clone()),
        (true.into(), "hack".into())
    );
    let v = json(g.screen_address("0x0000000000000000000000000000000000000001"));
    assert_eq!(v["listed"], false, "{v}");
    let (snap, sig, key) = signed();
    let g = Guard::new(&snap, &sig, &key).unwrap();
    let v = json(g.screen_address(&format!(
        "  {}  ",
        LISTED.to_uppercase().replace("0X", "0x")
    )));
    assert_eq!(v["listed"], true, "{v}");
    assert_eq!(v["hits"][0]["category"], "hack");
    let v = json(g.screen_address("0x0000000000000000000000000000000000000001"));
    assert_eq!(v["listed"], false, "{v}");
    assert_eq!(json(g.screen_address("hello"))["status"], "error");
}

#[test]
fn tampered_or_untrusted_snapshots_are_refused() {
    let (snap, sig, key) = signed();
    let mut bad = snap.clone();
    let n = bad.len() - 10;
    bad[n] ^= 1;
    let e = Guard::new(&bad, &sig, &key).unwrap_err();
    assert!(e.contains("hash"), "{e}");
    let other = SnapshotSigningKey::from_seed(&[8; 32]).public().to_hex();
    let e = Guard::new(&snap, &sig, &other).unwrap_err();
    assert!(e.contains("not trusted"), "{e}");
    let e = Guard::new(&snap, &sig[..50], &key).unwrap_err();
    assert!(e.contains("122 bytes"), "{e}");
    assert!(
        Guard::new(&snap, &sig, "")
            .unwrap_err()
            .contains("no trusted")
    );
    // Two keys, comma or space separated: the signing one is found.
    assert_eq!(
        parse_trusted_keys(&format!("{other}, {key}"))
            .unwrap()
            .len(),
        2
    );
    assert!(Guard::new(&snap, &sig, &format!("{other} {key}")).is_ok());
    // The compact form: tampered refused, and a full snapshot's signature does not open it.
    let (csnap, csig, _) = signed_as(true);
    assert!(Guard::new(&csnap, &csig, &key).is_ok());
    let mut bad = csnap.clone();
    bad[90] ^= 1;
    assert!(Guard::new(&bad, &csig, &key).unwrap_err().contains("hash"));
    assert!(Guard::new(&csnap, &sig, &key).is_err());
}

#[test]
fn lookalikes_of_addresses_used_before_are_caught() {
    use custodia_guard_wasm::check_lookalike_js;
    let used = "0x52908400098527886e0f7030069857d2e4169ee7";
    // Same first and last four characters after `0x`, another middle: an address-poisoning
    // look-alike of the one used before.
    let fake = "0x5290ffffffffffffffffffffffffffffffff9ee7";
    let v = json(check_lookalike_js(fake, &format!("{LISTED} {used}")));
    assert_eq!(v["status"], "ok", "{v}");
    assert_eq!(v["match"]["imitates"], used, "{v}");
    assert!(v["match"]["prefix_len"].as_u64().unwrap() >= 4);
    // The twins: the address itself, an unrelated one, and one sharing only the start.
    for other in [
        used,
        "0x0000000000000000000000000000000000000001",
        "0x5290ffffffffffffffffffffffffffffffff0000",
    ] {
        let v = json(check_lookalike_js(other, used));
        assert_eq!(v["status"], "ok", "{v}");
        assert!(v["match"].is_null(), "{other}: {v}");
    }
    // Junk among the remembered addresses is skipped; junk as the address is an error.
    let v = json(check_lookalike_js(fake, &format!("not-an-address {used}")));
    assert_eq!(v["match"]["imitates"], used, "{v}");
    assert_eq!(json(check_lookalike_js("hello", used))["status"], "error");
}
