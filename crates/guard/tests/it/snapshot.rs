//! Offline snapshots and deltas: round trips, verification, tamper detection, and a committed
//! fixture that pins the byte format.

use custodia_guard::{
    Address, Category, DomainEntry, GuardError, Host, ListMeta, Snapshot, SnapshotData,
    SnapshotDelta, default_brands, import_address_lines, import_ofac_sdn_xml,
};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
/// 2024-11-20T00:00:00Z.
const CREATED: u64 = 1_732_060_800;

fn entry(host: &str, category: Category, source: &str) -> DomainEntry {
    DomainEntry {
        host: host.into(),
        category,
        source: source.into(),
        date: Some("2024-11-19".parse().unwrap()),
    }
}

fn sample() -> SnapshotData {
    let xml = std::fs::read_to_string(format!("{FIXTURES}/sdn_advanced_sample.xml")).unwrap();
    let m = ListMeta::new("ofac-sdn", Category::Sanctions, None).unwrap();
    let mut addresses = import_ofac_sdn_xml(&xml, &m).unwrap().entries;
    let text = std::fs::read_to_string(format!("{FIXTURES}/addresses_community.txt")).unwrap();
    let m = ListMeta::new(
        "internal",
        Category::Phishing,
        Some("2024-11-20".parse().unwrap()),
    )
    .unwrap();
    addresses.extend(import_address_lines(&text, None, &m).entries);
    SnapshotData {
        addresses,
        blocked: vec![
            entry("drainer-kit.xyz", Category::Phishing, "scamsniffer"),
            entry(
                "vote-okxpolls-640.pages.dev",
                Category::Phishing,
                "scamsniffer",
            ),
            entry("fake-yield.finance", Category::Scam, "internal"),
        ],
        allowed: vec![entry(
            "okx-ventures.example",
            Category::Phishing,
            "internal",
        )],
        brands: default_brands(),
    }
}

/// A delta applied to another base than its own: refused, naming both versions.
fn assert_wrong_base(e: GuardError, expected: u64, got: u64) {
    assert!(
        matches!(
            e,
            GuardError::DeltaBase { expected_version, got_version, .. }
                if expected_version == expected && got_version == got
        ),
        "{e}"
    );
}

#[test]
fn round_trip_and_lookups() {
    let snap = Snapshot::build(&sample(), 7, CREATED).unwrap();
    let bytes = snap.to_bytes();
    let read = Snapshot::from_bytes(&bytes).unwrap();
    assert_eq!(read, snap);
    assert_eq!(read.hash(), snap.hash());
    assert_eq!((read.version(), read.created()), (7, CREATED));
    let c = read.counts();
    assert_eq!(
        (c.addresses, c.blocked, c.allowed, c.sources),
        (16, 3, 1, 3)
    );
    // Lookups by binary search, hits merged across sources, most severe first.
    let tron = Address::parse_any("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").unwrap();
    let hits: Vec<String> = read
        .lookup_address(&tron)
        .iter()
        .map(|h| format!("{} {} {:?}", h.category, h.source, h.label))
        .collect();
    assert_eq!(
        hits,
        [
            "sanctions ofac-sdn Some(\"EXAMPLE EXCHANGE & OTC DESK\")",
            "phishing internal None"
        ]
    );
    let clean = Address::parse_any("0x0000000000000000000000000000000000000001").unwrap();
    assert!(read.lookup_address(&clean).is_empty());
    assert!(!read.contains_address(&clean));
    assert!(read.contains_address(&tron));
    let h = Host::parse("https://claim.drainer-kit.xyz/x").unwrap();
    assert_eq!(read.find_blocked(&h).unwrap().entry, "drainer-kit.xyz");
    assert!(
        read.find_blocked(&Host::parse("pages.dev").unwrap())
            .is_none()
    );
    assert!(
        read.find_allowed(&Host::parse("www.okx-ventures.example").unwrap())
            .is_some()
    );
    // Server-side structures from the snapshot agree with it.
    let idx = read.address_index().unwrap();
    assert_eq!(idx.lookup(&tron).len(), 2);
    assert_eq!(read.brands(), default_brands().as_slice());
    // The same content in another order encodes to the same bytes.
    let mut shuffled = sample();
    shuffled.addresses.reverse();
    shuffled.blocked.reverse();
    assert_eq!(
        Snapshot::build(&shuffled, 7, CREATED).unwrap().to_bytes(),
        bytes
    );
}

#[test]
fn committed_fixture_pins_the_format() {
    let path = format!("{FIXTURES}/snapshot_v7.bin");
    let bytes = Snapshot::build(&sample(), 7, CREATED).unwrap().to_bytes();
    if std::env::var_os("GUARD_UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, &bytes).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == bytes,
        "snapshot encoding changed: if intended, bump SNAPSHOT_FORMAT and regenerate with GUARD_UPDATE_FIXTURES=1"
    );
    assert_eq!(Snapshot::from_bytes(&committed).unwrap().version(), 7);
}

#[test]
fn any_flipped_bit_or_truncation_is_detected() {
    let bytes = Snapshot::build(&sample(), 1, CREATED).unwrap().to_bytes();
    for i in (0..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[i] ^= 0x10;
        assert!(
            Snapshot::from_bytes(&b).is_err(),
            "flip at byte {i} accepted"
        );
    }
    for n in [0, 10, 83, 84, bytes.len() - 1] {
        assert!(
            Snapshot::from_bytes(&bytes[..n]).is_err(),
            "truncation to {n} accepted"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        Snapshot::from_bytes(&longer),
        Err(GuardError::SnapshotHash { .. })
    ));
    let mut b = bytes.clone();
    b[100] ^= 1;
    let e = Snapshot::from_bytes(&b).unwrap_err().to_string();
    assert!(
        e.starts_with("snapshot content hash mismatch: header says "),
        "{e}"
    );
    let mut b = bytes;
    b[8] = 2;
    assert_eq!(
        Snapshot::from_bytes(&b).unwrap_err().to_string(),
        "invalid snapshot: format 2; this reader understands format 1"
    );
}

#[test]
fn deltas_reproduce_the_next_snapshot() {
    let v1 = Snapshot::build(&sample(), 1, CREATED).unwrap();
    let mut next = sample();
    // Removed: one address listing and one blocked host. Changed: a category. Added: both.
    let tornado = Address::parse_any("0xd90e2f925da726b50c4ed8d0fb90ad053324f31b").unwrap();
    next.addresses.retain(|e| e.address != tornado);
    next.addresses[0].category = Category::Hack;
    next.addresses.push(custodia_guard::AddressEntry {
        address: Address::parse_any("0x1111111111111111111111111111111111111111").unwrap(),
        category: Category::Mixer,
        source: "chainalysis".into(),
        date: Some("2024-11-21".parse().unwrap()),
        label: Some("Mixer X".into()),
    });
    next.blocked.retain(|e| e.host != "drainer-kit.xyz");
    next.blocked
        .push(entry("new-drainer.top", Category::Phishing, "scamsniffer"));
    let v2 = Snapshot::build(&next, 2, CREATED + 86_400).unwrap();
    let delta = v1.diff(&v2);
    assert_eq!(delta.added_addresses.len(), 2);
    assert_eq!(delta.removed_addresses.len(), 1);
    assert_eq!(delta.added_blocked.len(), 1);
    assert_eq!(delta.removed_blocked, ["drainer-kit.xyz"]);
    assert!(delta.brands.is_none());
    assert_eq!(delta.len(), 5);
    // Through its file form and back, applied to v1: exactly v2.
    let file = delta.to_bytes();
    let read = SnapshotDelta::from_bytes(&file).unwrap();
    assert_eq!(read, delta);
    let applied = read.apply(&v1).unwrap();
    assert_eq!(applied.to_bytes(), v2.to_bytes());
    // A delta from a snapshot to itself is empty.
    assert!(v2.diff(&v2).is_empty());
    // Applied to the wrong base: refused, naming both versions.
    assert_wrong_base(read.apply(&v2).unwrap_err(), 1, 2);
    // A tampered delta file: refused by its hash.
    let mut bad = file.clone();
    let last = bad.len() - 2;
    bad[last] ^= 1;
    assert!(matches!(
        SnapshotDelta::from_bytes(&bad),
        Err(GuardError::SnapshotHash { .. })
    ));
    // A delta whose content was edited but re-hashed still cannot produce v2.
    let mut forged = delta.clone();
    forged
        .added_blocked
        .push(entry("innocent.example", Category::Phishing, "x"));
    assert!(matches!(
        forged.apply(&v1),
        Err(GuardError::SnapshotHash { .. })
    ));
    // Brand changes travel in the delta.
    let mut with_brand = next.clone();
    with_brand
        .brands
        .push(custodia_guard::Brand::new("Acme", &["acme.example"]));
    let v3 = Snapshot::build(&with_brand, 3, CREATED).unwrap();
    let d = v2.diff(&v3);
    assert_eq!(
        d.brands.as_ref().map(Vec::len),
        Some(default_brands().len() + 1)
    );
    assert_eq!(d.apply(&v2).unwrap().to_bytes(), v3.to_bytes());
}

mod signatures {
    use super::*;
    use custodia_guard::{SIGNATURE_LEN, SnapshotPublicKey, SnapshotSignature, SnapshotSigningKey};

    fn key(seed: u8) -> SnapshotSigningKey {
        SnapshotSigningKey::from_seed(&[seed; 32])
    }

    #[test]
    fn a_signed_snapshot_opens_with_the_trusted_key() {
        let snap = Snapshot::build(&sample(), 7, CREATED).unwrap();
        let bytes = snap.to_bytes();
        let k = key(1);
        let sig = k.sign(&snap).to_bytes();
        assert_eq!(sig.len(), SIGNATURE_LEN);
        let read = SnapshotSignature::from_bytes(&sig).unwrap();
        assert_eq!(read.key_id, k.public().key_id());
        // Several trusted keys (a rotation): the id picks the right one.
        let opened = read.open(&bytes, &[key(2).public(), k.public()]).unwrap();
        assert_eq!(opened, snap);
        // The public key's text form and the key file round-trip.
        let p = SnapshotPublicKey::parse_hex(&k.public().to_hex()).unwrap();
        assert_eq!(p, k.public());
        let text = k.to_key_file_text();
        assert!(text.contains(&p.key_id_hex()));
        let again = SnapshotSigningKey::from_key_file_text(&text).unwrap();
        assert_eq!(again.public(), k.public());
    }

    #[test]
    fn untrusted_forged_or_mismatched_signatures_are_refused() {
        let snap = Snapshot::build(&sample(), 7, CREATED).unwrap();
        let bytes = snap.to_bytes();
        let k = key(1);
        let sig = k.sign(&snap);
        // Signed by a key that is not trusted: the error names both ids.
        let e = sig.open(&bytes, &[key(2).public()]).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, GuardError::Signature { .. }), "{e}");
        assert!(msg.contains(&k.public().key_id_hex()), "{msg}");
        assert!(msg.contains(&key(2).public().key_id_hex()), "{msg}");
        // A flipped signature bit.
        let mut forged = sig;
        forged.signature[5] ^= 1;
        let e = forged.open(&bytes, &[k.public()]).unwrap_err();
        assert!(e.to_string().contains("does not verify"), "{e}");
        // A signature claiming another hash (re-signed fields without the key) fails too.
        let mut other = sig;
        other.hash[0] ^= 1;
        assert!(other.open(&bytes, &[k.public()]).is_err());
        // A validly signed, different snapshot: the signature is not for these bytes.
        let newer = Snapshot::build(&sample(), 8, CREATED).unwrap();
        let e = sig.open(&newer.to_bytes(), &[k.public()]).unwrap_err();
        assert!(e.to_string().contains("version 7"), "{e}");
        // A tampered snapshot body under an intact signature: the content hash refuses it.
        let mut tampered = bytes.clone();
        let last = tampered.len() - 3;
        tampered[last] ^= 0x20;
        assert!(matches!(
            sig.open(&tampered, &[k.public()]).unwrap_err(),
            GuardError::SnapshotHash { .. }
        ));
        // Malformed signature files.
        let good = sig.to_bytes();
        assert!(SnapshotSignature::from_bytes(&good[..100]).is_err());
        let mut magic = good.clone();
        magic[0] = b'X';
        assert!(SnapshotSignature::from_bytes(&magic).is_err());
        // Keys: not hex, wrong length, two key lines.
        assert!(SnapshotPublicKey::parse_hex("zz").is_err());
        assert!(SnapshotPublicKey::parse_hex(&"g".repeat(64)).is_err());
        let two = format!("{}\n{}\n", "11".repeat(32), "22".repeat(32));
        assert!(matches!(
            SnapshotSigningKey::from_key_file_text(&two).unwrap_err(),
            GuardError::SigningKey { .. }
        ));
    }
}

mod compact {
    use super::*;
    use custodia_guard::bench::{synthetic_addresses, synthetic_domains};
    use custodia_guard::{CompactSnapshot, SnapshotSigningKey};
    use sha2::{Digest as _, Sha256};

    #[test]
    fn lookups_match_the_full_snapshot() {
        let full = Snapshot::build(&sample(), 7, CREATED).unwrap();
        let c = CompactSnapshot::from_snapshot(&full);
        let bytes = c.to_bytes();
        let read = CompactSnapshot::from_bytes(&bytes).unwrap();
        assert_eq!(read, c);
        assert_eq!(read.version(), 7);
        assert_eq!(read.brands(), full.brands());
        // Every listed address is found with its most severe category; an unlisted one is not.
        for e in &sample().addresses {
            let worst = full.lookup_address(&e.address)[0].category;
            assert_eq!(
                read.address_category(&e.address),
                Some(worst),
                "{}",
                e.address
            );
        }
        let clean = Address::parse_any("0x52908400098527886e0f7030069857d2e4169ee7").unwrap();
        assert_eq!(read.address_category(&clean), None);
        // Hosts: label-suffix semantics, as the full lists.
        let h = Host::parse("https://www.drainer-kit.xyz/claim").unwrap();
        assert_eq!(
            read.find_blocked(&h),
            Some(("drainer-kit.xyz", Category::Phishing))
        );
        assert_eq!(read.find_blocked(&Host::parse("kit.xyz").unwrap()), None);
        let h = Host::parse("app.okx-ventures.example").unwrap();
        assert_eq!(read.find_allowed(&h), Some("okx-ventures.example"));
        assert_eq!(
            read.find_allowed(&Host::parse("okx.example").unwrap()),
            None
        );
        // Canonical: built twice, the same bytes.
        assert_eq!(CompactSnapshot::from_snapshot(&full).to_bytes(), bytes);
    }

    #[test]
    fn compact_is_small_where_the_full_format_is_not() {
        // 100k addresses and 30k hosts: a tenth of the 1M + 300k (the full-size figure
        // is `custodia bench guard`'s, docs/BENCHMARKS.md).
        let mut data = SnapshotData {
            addresses: synthetic_addresses(100_000, 5),
            blocked: synthetic_domains(30_000, 6)
                .into_iter()
                .map(|h| entry(&h, Category::Phishing, "feed"))
                .collect(),
            allowed: vec![],
            brands: default_brands(),
        };
        data.allowed.push(entry(
            "okx-ventures.example",
            Category::Phishing,
            "internal",
        ));
        let full = Snapshot::build(&data, 1, CREATED).unwrap();
        let c = CompactSnapshot::from_snapshot(&full);
        let (fb, cb) = (full.to_bytes().len(), c.to_bytes().len());
        let per_item = (cb as f64) / 130_000.0;
        // About 25 bits of Rice code and 4 of category per entry at this size (3.66 bytes); at
        // 1M + 300k the gaps are smaller and it is ~3.3 bytes (docs/BENCHMARKS.md).
        assert!(per_item < 3.8, "{cb} bytes: {per_item:.2} bytes per entry");
        assert!(fb > 8 * cb, "full {fb} vs compact {cb}");
        for e in data.addresses.iter().step_by(997) {
            assert!(c.address_category(&e.address).is_some());
        }
    }

    /// `bytes` with the header hash recomputed: what a forger without the key could make, so
    /// the decoder's own checks are reached.
    fn rehash(mut bytes: Vec<u8>) -> Vec<u8> {
        let header = 44;
        let mut h = Sha256::new();
        h.update(&bytes[..header]);
        h.update(&bytes[header + 32..]);
        let d = h.finalize();
        bytes[header..header + 32].copy_from_slice(&d);
        bytes
    }

    #[test]
    fn tampered_or_hostile_compact_files_are_refused() {
        let full = Snapshot::build(&sample(), 7, CREATED).unwrap();
        let c = CompactSnapshot::from_snapshot(&full);
        let bytes = c.to_bytes();
        let mut flipped = bytes.clone();
        flipped[100] ^= 4;
        assert!(matches!(
            CompactSnapshot::from_bytes(&flipped).unwrap_err(),
            GuardError::SnapshotHash { .. }
        ));
        // Rehashed hostile edits: every one is an error, never a panic.
        for i in (0..bytes.len()).filter(|i| !(44..76).contains(i)) {
            for bit in [0x01u8, 0x80] {
                let mut b = bytes.clone();
                b[i] ^= bit;
                let _ = CompactSnapshot::from_bytes(&rehash(b));
            }
        }
        // A count no stream can hold is refused before allocating.
        let mut huge = bytes.clone();
        huge[28..32].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = CompactSnapshot::from_bytes(&rehash(huge)).unwrap_err();
        assert!(e.to_string().contains("cannot fit"), "{e}");
        for n in [0, 10, 75, bytes.len() - 1] {
            assert!(CompactSnapshot::from_bytes(&bytes[..n]).is_err());
        }
        // Signatures: the compact signature opens it; a full snapshot's signature of the same
        // content does not.
        let k = SnapshotSigningKey::from_seed(&[3; 32]);
        let sig = k.sign_compact(&c);
        assert_eq!(sig.open_compact(&bytes, &[k.public()]).unwrap(), c);
        let full_sig = k.sign(&full);
        assert!(full_sig.open_compact(&bytes, &[k.public()]).is_err());
        assert!(sig.open(&full.to_bytes(), &[k.public()]).is_err());
    }
}

mod compact_delta {
    use super::*;
    use custodia_guard::bench::synthetic_addresses;
    use custodia_guard::{CompactDelta, CompactSnapshot, SnapshotSigningKey};
    use sha2::{Digest as _, Sha256};

    /// v1 (the sample) and v2: one address listing and one blocked host removed, a category
    /// changed, an address, a blocked host and an allowed host added.
    fn versions() -> (Snapshot, Snapshot, SnapshotData) {
        let v1 = Snapshot::build(&sample(), 1, CREATED).unwrap();
        let mut next = sample();
        let tornado = Address::parse_any("0xd90e2f925da726b50c4ed8d0fb90ad053324f31b").unwrap();
        next.addresses.retain(|e| e.address != tornado);
        next.addresses[0].category = Category::Hack;
        next.addresses.push(custodia_guard::AddressEntry {
            address: Address::parse_any("0x1111111111111111111111111111111111111111").unwrap(),
            category: Category::Mixer,
            source: "chainalysis".into(),
            date: None,
            label: None,
        });
        next.blocked.retain(|e| e.host != "drainer-kit.xyz");
        next.blocked
            .push(entry("new-drainer.top", Category::Phishing, "scamsniffer"));
        next.allowed.push(entry(
            "kraken-comics.example",
            Category::Phishing,
            "internal",
        ));
        let v2 = Snapshot::build(&next, 2, CREATED + 86_400).unwrap();
        (v1, v2, next)
    }

    #[test]
    fn a_delta_rebuilds_the_newer_compact_snapshot_exactly() {
        let (v1, v2, _) = versions();
        let (c1, c2) = (
            CompactSnapshot::from_snapshot(&v1),
            CompactSnapshot::from_snapshot(&v2),
        );
        let d = c1.diff(&c2);
        assert_eq!((d.from_version(), d.to_version()), (1, 2));
        // Tornado's address gone, one category changed, one address added; one host each way;
        // one allowed host added.
        assert_eq!(d.len(), 3 + 2 + 1, "{d:?}");
        let file = d.to_bytes();
        let read = CompactDelta::from_bytes(&file).unwrap();
        assert_eq!(read, d);
        let got = read.apply(&c1).unwrap();
        assert_eq!(got.to_bytes(), c2.to_bytes());
        assert_eq!(got.hash(), c2.hash());
        // The rebuilt snapshot opens with the newer snapshot's ordinary signature.
        let k = SnapshotSigningKey::from_seed(&[9; 32]);
        let sig = k.sign_compact(&c2);
        assert_eq!(
            sig.open_compact(&got.to_bytes(), &[k.public()]).unwrap(),
            c2
        );
        // What the new version lists is found, what it dropped is not.
        let h = Host::parse("new-drainer.top").unwrap();
        assert!(got.find_blocked(&h).is_some());
        assert!(c1.find_blocked(&h).is_none());
        let h = Host::parse("drainer-kit.xyz").unwrap();
        assert!(got.find_blocked(&h).is_none());
        // Nothing changed: an empty delta, 200-odd bytes.
        let same = CompactSnapshot::from_snapshot(&Snapshot::build(&sample(), 3, CREATED).unwrap());
        let e = c1.diff(&same);
        assert!(e.is_empty());
        assert!(e.to_bytes().len() < 200, "{}", e.to_bytes().len());
        assert_eq!(e.apply(&c1).unwrap().to_bytes(), same.to_bytes());
    }

    #[test]
    fn brand_changes_travel_in_the_delta() {
        let (_, v2, next) = versions();
        let mut with_brand = next;
        with_brand
            .brands
            .push(custodia_guard::Brand::new("Acme", &["acme.example"]));
        let v3 = Snapshot::build(&with_brand, 3, CREATED).unwrap();
        let (c2, c3) = (
            CompactSnapshot::from_snapshot(&v2),
            CompactSnapshot::from_snapshot(&v3),
        );
        let got = CompactDelta::from_bytes(&c2.diff(&c3).to_bytes())
            .unwrap()
            .apply(&c2)
            .unwrap();
        assert_eq!(got.brands().len(), default_brands().len() + 1);
        assert_eq!(got.to_bytes(), c3.to_bytes());
    }

    #[test]
    fn a_delta_is_small_next_to_the_whole_file() {
        // 100k addresses, 1% changed: the delta carries ~6 bytes per change.
        let mut data = SnapshotData {
            addresses: synthetic_addresses(100_000, 5),
            blocked: vec![],
            allowed: vec![],
            brands: default_brands(),
        };
        let c1 = CompactSnapshot::from_snapshot(&Snapshot::build(&data, 1, CREATED).unwrap());
        data.addresses.truncate(99_500);
        data.addresses.extend(synthetic_addresses(500, 77));
        let c2 = CompactSnapshot::from_snapshot(&Snapshot::build(&data, 2, CREATED).unwrap());
        let d = c1.diff(&c2).to_bytes();
        let whole = c2.to_bytes().len();
        assert!(d.len() < 7_000, "delta {} bytes", d.len());
        assert!(d.len() * 40 < whole, "delta {} vs whole {whole}", d.len());
        let got = CompactDelta::from_bytes(&d).unwrap().apply(&c1).unwrap();
        assert_eq!(got.to_bytes(), c2.to_bytes());
    }

    /// `bytes` with the trailing SHA-256 recomputed, so the parser's own checks are reached.
    fn resum(mut bytes: Vec<u8>) -> Vec<u8> {
        let n = bytes.len() - 32;
        let s = Sha256::digest(&bytes[..n]);
        bytes[n..].copy_from_slice(&s);
        bytes
    }

    #[test]
    fn wrong_base_forged_or_hostile_deltas_are_refused() {
        let (v1, v2, _) = versions();
        let (c1, c2) = (
            CompactSnapshot::from_snapshot(&v1),
            CompactSnapshot::from_snapshot(&v2),
        );
        let d = c1.diff(&c2);
        let file = d.to_bytes();
        // The wrong base: refused, naming both versions.
        assert_wrong_base(d.apply(&c2).unwrap_err(), 1, 2);
        // A flipped bit: the file's own hash.
        let mut bad = file.clone();
        bad[90] ^= 1;
        assert!(matches!(
            CompactDelta::from_bytes(&bad),
            Err(GuardError::SnapshotHash { .. })
        ));
        // A forger who re-sums the file after adding a blocked host: it parses, but cannot
        // rebuild the snapshot the delta names (and could not sign another).
        let head = 8 + 2 + 2 + 8 + 32 + 8 + 8 + 32;
        let addr_len = {
            let r = u32::from_le_bytes(file[head..head + 4].try_into().unwrap()) as usize;
            let p = u32::from_le_bytes(file[head + 4..head + 8].try_into().unwrap()) as usize;
            8 + r * 5 + p * 6
        };
        let blocked_at = head + addr_len;
        let mut forged = file[..file.len() - 32].to_vec();
        let puts = u32::from_le_bytes(forged[blocked_at + 4..blocked_at + 8].try_into().unwrap());
        assert_eq!(puts, 1);
        let removed =
            u32::from_le_bytes(forged[blocked_at..blocked_at + 4].try_into().unwrap()) as usize;
        let put_at = blocked_at + 8 + removed * 5;
        let mut extra = vec![0xff, 0xff, 0xff, 0xff, 0xfe, 0];
        if forged[put_at..put_at + 5] > extra[..5] {
            extra[..5].copy_from_slice(&[0, 0, 0, 0, 1]);
            forged.splice(put_at..put_at, extra);
        } else {
            forged.splice(put_at + 6..put_at + 6, extra);
        }
        forged[blocked_at + 4..blocked_at + 8].copy_from_slice(&2u32.to_le_bytes());
        forged.extend_from_slice(&[0; 32]);
        let forged = CompactDelta::from_bytes(&resum(forged)).unwrap();
        assert!(matches!(
            forged.apply(&c1),
            Err(GuardError::SnapshotHash { .. })
        ));
        // Every single-bit edit, re-summed: an error or a delta that does not rebuild v2 —
        // never a panic, never v2's hash with other content.
        for i in 0..file.len() - 32 {
            for bit in [0x01u8, 0x80] {
                let mut b = file.clone();
                b[i] ^= bit;
                if let Ok(d) = CompactDelta::from_bytes(&resum(b))
                    && let Ok(got) = d.apply(&c1)
                {
                    assert_ne!(got.hash(), c2.hash(), "byte {i} bit {bit}");
                }
            }
        }
        // Counts no file can hold, truncations, and a backwards version.
        let mut huge = file.clone();
        huge[head..head + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = CompactDelta::from_bytes(&resum(huge)).unwrap_err();
        assert!(e.to_string().contains("do not fit"), "{e}");
        for n in [0, 10, head, file.len() - 1] {
            assert!(CompactDelta::from_bytes(&file[..n]).is_err());
        }
        let back = c2.diff(&c1).to_bytes();
        let e = CompactDelta::from_bytes(&back).unwrap_err();
        assert!(e.to_string().contains("back to version 1"), "{e}");
        // A full-format delta is not a compact one.
        assert!(CompactDelta::from_bytes(&v1.diff(&v2).to_bytes()).is_err());
    }
}
