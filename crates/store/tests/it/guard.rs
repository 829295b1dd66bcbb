//! The guard's lists and snapshots on every engine (SQLite always, PostgreSQL when configured).

use std::collections::BTreeSet;

use custodia_events::{
    Actor, ChainVerifier, EventAppender, EventKind, EventReader, NewEvent, Payload, RepoError,
    Subject, Timestamp,
};
use custodia_guard::{
    Address, AddressEntry, Category, Chain, DomainEntry, GuardReplace, GuardRepo, StoredSnapshot,
};
use custodia_store::testkit::stores;
use custodia_store::{Backend, Store};
use serde_json::json;

fn ev(i: i64, kind: &str) -> NewEvent {
    NewEvent {
        time: Timestamp::from_millis(1_700_000_000_000 + i),
        kind: EventKind::new(kind).unwrap(),
        actor: Actor::new("operator:root").unwrap(),
        subject: Subject::new(format!("guard_list:{i}")).unwrap(),
        payload: Payload::from_value(&json!({ "i": i })).unwrap(),
    }
}

fn evm(hex_tail: u8) -> Address {
    Address::parse(Chain::Evm, &format!("0x{}", hex::encode([hex_tail; 20]))).unwrap()
}

fn addr(a: Address, category: Category, source: &str, date: Option<&str>) -> AddressEntry {
    AddressEntry {
        address: a,
        category,
        source: source.into(),
        date: date.map(|d| d.parse().unwrap()),
        label: (category == Category::Sanctions).then(|| "LAZARUS GROUP".to_owned()),
    }
}

fn host(h: &str, source: &str) -> DomainEntry {
    DomainEntry {
        host: h.into(),
        category: Category::Phishing,
        source: source.into(),
        date: Some("2026-01-02".parse().unwrap()),
    }
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

async fn chain_intact(s: &Store) -> (bool, u64) {
    let mut v = ChainVerifier::new();
    for e in s.events_after(0, 10_000).await.unwrap() {
        v.push(&e).unwrap();
    }
    let r = v.finish(Some(s.head().await.unwrap()));
    (r.is_intact(), r.checked)
}

fn sorted<T: Ord + Clone>(v: &[T]) -> BTreeSet<T> {
    v.iter().cloned().collect()
}

// AddressEntry / DomainEntry are not Ord: compare through a key.
fn akey(e: &AddressEntry) -> (Vec<u8>, String, String, Option<String>, Option<String>) {
    (
        e.address.key_bytes().to_vec(),
        e.source.clone(),
        e.category.to_string(),
        e.date.map(|d| d.to_string()),
        e.label.clone(),
    )
}

fn dkey(e: &DomainEntry) -> (String, String, String, Option<String>) {
    (
        e.host.clone(),
        e.source.clone(),
        e.category.to_string(),
        e.date.map(|d| d.to_string()),
    )
}

#[tokio::test]
async fn a_list_import_replaces_only_its_own_rows_with_its_event() {
    for t in stores("guard_replace").await {
        let s = &t.store;
        let ofac = vec![
            addr(evm(1), Category::Sanctions, "ofac-sdn", Some("2022-08-08")),
            addr(evm(2), Category::Sanctions, "ofac-sdn", None),
            addr(
                Address::parse_any("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq").unwrap(),
                Category::Sanctions,
                "ofac-sdn",
                None,
            ),
        ];
        let r = s
            .replace_guard_list(
                GuardReplace {
                    list_source: "ofac-sdn",
                    addresses: Some(&ofac),
                    blocked: None,
                    allowed: None,
                    at: at(10),
                },
                vec![ev(1, "guard.list_imported")],
            )
            .await
            .unwrap();
        assert_eq!((r.removed, r.inserted), (0, 3), "{}", t.label);
        assert_eq!(r.events.len(), 1);
        assert_eq!(r.events[0].body.kind.as_str(), "guard.list_imported");

        // Another list names one of the same addresses: two records, one per source; JSON-style
        // derived sources belong to their list.
        let scam = vec![
            addr(evm(1), Category::Scam, "scamsniffer", None),
            addr(evm(3), Category::Phishing, "scamsniffer:bytehound", None),
        ];
        s.replace_guard_list(
            GuardReplace {
                list_source: "scamsniffer",
                addresses: Some(&scam),
                blocked: None,
                allowed: None,
                at: at(11),
            },
            vec![ev(2, "guard.list_imported")],
        )
        .await
        .unwrap();
        let all = s.guard_lists().await.unwrap();
        let want: Vec<AddressEntry> = ofac.iter().chain(&scam).cloned().collect();
        assert_eq!(
            sorted(&all.addresses.iter().map(akey).collect::<Vec<_>>()),
            sorted(&want.iter().map(akey).collect::<Vec<_>>()),
            "{}",
            t.label
        );

        // Re-importing OFAC with a different set removes exactly OFAC's old rows.
        let ofac2 = vec![addr(evm(9), Category::Sanctions, "ofac-sdn", None)];
        let r = s
            .replace_guard_list(
                GuardReplace {
                    list_source: "ofac-sdn",
                    addresses: Some(&ofac2),
                    blocked: None,
                    allowed: None,
                    at: at(12),
                },
                vec![ev(3, "guard.list_imported")],
            )
            .await
            .unwrap();
        assert_eq!((r.removed, r.inserted), (3, 1), "{}", t.label);
        let all = s.guard_lists().await.unwrap();
        let want: Vec<AddressEntry> = ofac2.iter().chain(&scam).cloned().collect();
        assert_eq!(
            sorted(&all.addresses.iter().map(akey).collect::<Vec<_>>()),
            sorted(&want.iter().map(akey).collect::<Vec<_>>()),
            "{}",
            t.label
        );
        assert_eq!(chain_intact(s).await, (true, 3), "{}", t.label);
    }
}

#[tokio::test]
async fn host_lists_keep_one_row_per_source_and_parts_not_given_are_untouched() {
    for t in stores("guard_hosts").await {
        let s = &t.store;
        // A MetaMask-style import: block and allow in one transaction, sources per config.
        let block = vec![
            host("evil.example", "metamask:default@2"),
            host("xn--kx-gka.com", "metamask:default@2"),
            // The same host twice with one source: the last one wins, no conflict.
            host("dup.example", "metamask:default@2"),
            DomainEntry {
                category: Category::Scam,
                ..host("dup.example", "metamask:default@2")
            },
        ];
        let allow = vec![host("okx.com", "metamask:default@2")];
        let r = s
            .replace_guard_list(
                GuardReplace {
                    list_source: "metamask",
                    addresses: None,
                    blocked: Some(&block),
                    allowed: Some(&allow),
                    at: at(1),
                },
                vec![ev(1, "guard.list_imported"), ev(2, "guard.list_imported")],
            )
            .await
            .unwrap();
        assert_eq!((r.inserted, r.events.len()), (4, 2), "{}", t.label);
        // Another list blocks the same host: both rows stay.
        let other = vec![host("evil.example", "openphish")];
        s.replace_guard_list(
            GuardReplace {
                list_source: "openphish",
                addresses: None,
                blocked: Some(&other),
                allowed: None,
                at: at(2),
            },
            vec![],
        )
        .await
        .unwrap();
        // Replacing MetaMask's blocklist alone leaves its allowlist and the other list alone.
        let block2 = vec![host("new.example", "metamask:default@3")];
        let r = s
            .replace_guard_list(
                GuardReplace {
                    list_source: "metamask",
                    addresses: None,
                    blocked: Some(&block2),
                    allowed: None,
                    at: at(3),
                },
                vec![],
            )
            .await
            .unwrap();
        assert_eq!((r.removed, r.inserted), (3, 1), "{}", t.label);
        let l = s.guard_lists().await.unwrap();
        let hosts: BTreeSet<_> = l.blocked.iter().map(dkey).collect();
        let want: BTreeSet<_> = block2.iter().chain(&other).map(dkey).collect();
        assert_eq!(hosts, want, "{}", t.label);
        assert_eq!(
            l.allowed.iter().map(dkey).collect::<Vec<_>>(),
            allow.iter().map(dkey).collect::<Vec<_>>()
        );
        assert!(l.addresses.is_empty());
    }
}

/// A failure in the middle of an import (here a trigger refusing one host) writes nothing: the
/// list's previous rows and the event log are as before.
#[tokio::test]
async fn a_failed_import_changes_nothing() {
    for t in stores("guard_atomic").await {
        let s = &t.store;
        let first = vec![addr(evm(1), Category::Hack, "internal", None)];
        s.replace_guard_list(
            GuardReplace {
                list_source: "internal",
                addresses: Some(&first),
                blocked: None,
                allowed: None,
                at: at(1),
            },
            vec![ev(1, "guard.list_imported")],
        )
        .await
        .unwrap();
        let ddl: &[&str] = match s.backend() {
            Backend::Sqlite => &["CREATE TRIGGER boom BEFORE INSERT ON guard_domain_entries \
                 WHEN NEW.host = 'boom.example' BEGIN SELECT RAISE(ABORT, 'boom'); END"],
            Backend::Postgres => &[
                "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN IF NEW.host = 'boom.example' THEN RAISE EXCEPTION 'boom'; END IF; \
                 RETURN NEW; END $$",
                "CREATE TRIGGER boom BEFORE INSERT ON guard_domain_entries \
                 FOR EACH ROW EXECUTE FUNCTION boom()",
            ],
        };
        for d in ddl {
            s.execute_raw_for_tests(d).await.unwrap();
        }
        let second = vec![addr(evm(2), Category::Hack, "internal", None)];
        let bad = vec![host("boom.example", "internal")];
        let r = s
            .replace_guard_list(
                GuardReplace {
                    list_source: "internal",
                    addresses: Some(&second),
                    blocked: Some(&bad),
                    allowed: None,
                    at: at(2),
                },
                vec![ev(2, "guard.list_imported")],
            )
            .await;
        assert!(
            matches!(r, Err(RepoError::Unavailable { .. })),
            "{}: {r:?}",
            t.label
        );
        let l = s.guard_lists().await.unwrap();
        assert_eq!(
            l.addresses.iter().map(akey).collect::<Vec<_>>(),
            first.iter().map(akey).collect::<Vec<_>>(),
            "{}",
            t.label
        );
        assert!(l.blocked.is_empty());
        assert_eq!(chain_intact(s).await, (true, 1), "{}", t.label);
    }
}

/// More rows than one read page (20,000), across chains: every one comes back, once.
#[tokio::test]
async fn lists_larger_than_a_page_read_back_whole() {
    for t in stores("guard_pages").await {
        let s = &t.store;
        let entries = custodia_guard::bench::synthetic_addresses(45_000, 7);
        s.replace_guard_list(
            GuardReplace {
                list_source: "synthetic",
                addresses: Some(&entries),
                blocked: None,
                allowed: None,
                at: at(1),
            },
            vec![],
        )
        .await
        .unwrap();
        let l = s.guard_lists().await.unwrap();
        assert_eq!(l.addresses.len(), entries.len(), "{}", t.label);
        assert_eq!(
            sorted(&l.addresses.iter().map(akey).collect::<Vec<_>>()),
            sorted(&entries.iter().map(akey).collect::<Vec<_>>()),
            "{}",
            t.label
        );
    }
}

fn snap(version: u64) -> StoredSnapshot {
    let bytes = vec![version as u8; 1000 + version as usize];
    StoredSnapshot {
        version,
        created: 1_767_225_600 + version,
        sha256: [version as u8; 32],
        bytes,
        published_at: at(version as i64),
    }
}

#[tokio::test]
async fn snapshots_are_versioned_pruned_and_conflicts_refused() {
    for t in stores("guard_snapshots").await {
        let s = &t.store;
        assert_eq!(s.latest_guard_snapshot().await.unwrap(), None);
        for v in 1..=3 {
            s.put_guard_snapshot(&snap(v), 2, ev(v as i64, "guard.snapshot_published"))
                .await
                .unwrap();
        }
        assert_eq!(
            s.latest_guard_snapshot().await.unwrap(),
            Some(snap(3)),
            "{}",
            t.label
        );
        assert_eq!(s.guard_snapshot(2).await.unwrap(), Some(snap(2)));
        assert_eq!(s.guard_snapshot(1).await.unwrap(), None, "pruned: keep = 2");
        assert_eq!(s.guard_snapshot(u64::MAX).await.unwrap(), None);
        let dup = s
            .put_guard_snapshot(&snap(3), 2, ev(9, "guard.snapshot_published"))
            .await;
        assert!(
            matches!(dup, Err(RepoError::Conflict { .. })),
            "{}: {dup:?}",
            t.label
        );
        // The refused write appended nothing.
        assert_eq!(chain_intact(s).await, (true, 3), "{}", t.label);
    }
}

#[tokio::test]
async fn events_of_kinds_filters_kind_time_and_seq() {
    for t in stores("guard_events").await {
        let s = &t.store;
        s.append(vec![
            ev(1, "guard.address_screened"),
            ev(2, "gateway.request_denied"),
            ev(3, "guard.domain_checked"),
            ev(4, "guard.address_screened"),
            ev(5, "guard.list_imported"),
        ])
        .await
        .unwrap();
        let kinds = ["guard.address_screened", "guard.domain_checked"];
        let seqs = |v: Vec<custodia_events::Event>| v.iter().map(|e| e.seq).collect::<Vec<_>>();
        let all = s
            .events_of_kinds(&kinds, at(0), at(i64::MAX), 0, 100)
            .await
            .unwrap();
        assert_eq!(seqs(all), [1, 3, 4], "{}", t.label);
        let t0 = 1_700_000_000_000;
        let window = s
            .events_of_kinds(&kinds, at(t0 + 2), at(t0 + 4), 0, 100)
            .await
            .unwrap();
        assert_eq!(seqs(window), [3]);
        let page = s
            .events_of_kinds(&kinds, at(0), at(i64::MAX), 1, 1)
            .await
            .unwrap();
        assert_eq!(seqs(page), [3]);
        assert!(
            s.events_of_kinds(&[], at(0), at(i64::MAX), 0, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// The batched audit writer appends up to 1000 events at once; they are inserted in multi-row
/// statements and must chain exactly as one-by-one appends do.
#[tokio::test]
async fn large_appends_are_chunked_and_chain() {
    for t in stores("guard_big_append").await {
        let s = &t.store;
        s.append(vec![ev(0, "test.first")]).await.unwrap();
        let batch: Vec<NewEvent> = (1..=1234)
            .map(|i| ev(i, "guard.address_screened"))
            .collect();
        let out = s.append(batch).await.unwrap();
        assert_eq!(out.len(), 1234);
        assert_eq!(out.first().map(|e| e.seq), Some(2));
        assert_eq!(out.last().map(|e| e.seq), Some(1235));
        assert_eq!(s.head().await.unwrap(), (1235, out.last().unwrap().hash));
        let mut v = ChainVerifier::new();
        let mut after = 0;
        loop {
            let page = s.events_after(after, 500).await.unwrap();
            let Some(last) = page.last() else { break };
            after = last.seq;
            for e in &page {
                v.push(e).unwrap();
            }
        }
        let r = v.finish(Some(s.head().await.unwrap()));
        assert!(r.is_intact(), "{}: {:?}", t.label, r.first_break);
        assert_eq!(r.checked, 1235);
        // The rows read back are the events returned.
        let stored = s.events_after(600, 1).await.unwrap();
        assert_eq!(stored[0], out[599], "{}", t.label);
    }
}
