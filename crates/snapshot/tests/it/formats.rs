//! Good inputs: the three formats agree, writers and readers round-trip.

use std::path::Path;

use custodia_primitives::{AccountId, Amount, AssetRegistry, Total};
use custodia_snapshot::{Format, Snapshot, load, read};
use proptest::prelude::*;

/// BTC (8 decimals), ETH (8), USDT (6).
fn registry() -> AssetRegistry {
    AssetRegistry::default_assets().truncated(3).unwrap()
}

fn parse(name: &str, text: &str) -> Snapshot {
    read(text.as_bytes(), Path::new(name), &registry(), None)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn amt(units: u64) -> Amount {
    Amount::new(units).unwrap()
}

/// u1: 0.5 BTC, 120 USDT owing 10 USDT; u2: nothing; u3: 1.25 ETH, owing 0.00000001 BTC.
fn expected() -> Snapshot {
    let users = ["u1", "u2", "u3"]
        .map(|u| AccountId::new(u).unwrap())
        .to_vec();
    #[rustfmt::skip]
    let balances = [
        50_000_000, 0, 0, 0, 120_000_000, 10_000_000,
        0, 0, 0, 0, 0, 0,
        0, 1, 125_000_000, 0, 0, 0,
    ]
    .map(amt)
    .to_vec();
    Snapshot::from_parts(registry(), users, balances).unwrap()
}

#[test]
fn three_formats_give_the_same_snapshot() {
    let want = expected();
    let wide = "user_id,BTC,BTC_debt,ETH,ETH_debt,USDT,USDT_debt\n\
                u1,0.5,0,0,0,120,10\n\
                u2,0,0,0,0,0,0\n\
                u3,0,0.00000001,1.25,0,0,0\n";
    assert_eq!(parse("snapshot.csv", wide), want);
    // Any column order; ETH_debt omitted; CRLF, a BOM, quotes, blank lines, no final newline.
    let wide_shuffled = "\u{feff}USDT_debt,ETH,user_id,\"BTC\",USDT,BTC_debt\r\n\
                         10,0,u1,0.50000000,120.000000,0\r\n\
                         \r\n\
                         0,0,u2,0,0,0\r\n\
                         0,1.25,u3,.0,0,0.00000001";
    assert_eq!(parse("snapshot.csv", wide_shuffled), want);
    let long = "user_id,asset,equity,debt\n\
                u1,BTC,0.5,0\n\
                u1,USDT,120,10\n\
                u2,BTC,0,0\n\
                u3,ETH,1.25,0\n\
                u3,BTC,0,0.00000001\n";
    assert_eq!(parse("snapshot.csv", long), want);
    // Debt column optional (then debt is zero) and columns in any order.
    let long_no_debt = "asset,user_id,equity\nBTC,u1,0.5\n";
    let s = parse("snapshot.csv", long_no_debt);
    assert_eq!(
        s.user_balances(0),
        &[
            amt(50_000_000),
            Amount::ZERO,
            Amount::ZERO,
            Amount::ZERO,
            Amount::ZERO,
            Amount::ZERO
        ]
    );
    let jsonl = r#"{"user_id":"u1","equity":{"BTC":"0.5","USDT":"120"},"debt":{"USDT":"10"}}
{"user_id":"u2","equity":{}}

{ "debt" : { "BTC" : "0.00000001" } , "equity" : { "ETH" : "1.25" } , "user_id" : "u\u0033" }
"#;
    assert_eq!(parse("snapshot.jsonl", jsonl), want);
    assert_eq!(parse("snapshot.ndjson", jsonl), want);
    // Unknown extension: sniffed from the content.
    assert_eq!(parse("snapshot.txt", jsonl), want);
    assert_eq!(parse("snapshot.txt", wide), want);
    assert_eq!(parse("-", long), want);
    // A forced format wins over the extension.
    let forced = read(
        jsonl.as_bytes(),
        Path::new("x.csv"),
        &registry(),
        Some(Format::JsonLines),
    );
    assert_eq!(forced.unwrap(), want);
}

#[test]
fn assets_missing_from_the_file_are_zero_and_zero_users_are_kept() {
    let s = parse("s.csv", "user_id,ETH\nu1,2\nu2,0\n");
    assert_eq!(s.num_users(), 2);
    assert_eq!(s.num_assets(), 3);
    assert_eq!(s.equity(0, 1), amt(200_000_000));
    assert!(s.user_balances(1).iter().all(|a| a.is_zero()));
    let (eq, debt) = s.totals();
    assert_eq!(
        eq,
        vec![Total::ZERO, Total::from_units(200_000_000), Total::ZERO]
    );
    assert_eq!(debt, vec![Total::ZERO; 3]);
}

#[test]
fn snapshot_accessors() {
    let s = expected();
    assert_eq!(s.find_user("u3"), Some(2));
    assert_eq!(s.find_user("u4"), None);
    assert_eq!(s.debt(2, 0), amt(1));
    assert_eq!(s.equity(0, 2), amt(120_000_000));
    let (eq, debt) = s.totals();
    assert_eq!(
        eq.iter().map(|t| t.units()).collect::<Vec<_>>(),
        [50_000_000, 125_000_000, 120_000_000]
    );
    assert_eq!(
        debt.iter().map(|t| t.units()).collect::<Vec<_>>(),
        [1, 0, 10_000_000]
    );

    let mut edited = s.clone();
    edited.users[2] = AccountId::new("u9").unwrap();
    assert_eq!(
        edited.find_user("u3"),
        None,
        "a stale index never returns a wrong row"
    );
    assert_eq!(edited.find_user("u9"), None);
    edited.rebuild_index();
    assert_eq!(edited.find_user("u9"), Some(2));

    let dup = Snapshot::from_parts(
        registry(),
        vec![AccountId::new("a").unwrap(), AccountId::new("a").unwrap()],
        vec![Amount::ZERO; 12],
    );
    assert_eq!(
        dup.unwrap_err().to_string(),
        r#"<memory>:2: duplicate user "a" (first seen on line 1)"#
    );
    assert!(
        Snapshot::from_parts(
            registry(),
            vec![AccountId::new("a").unwrap()],
            vec![Amount::ZERO; 5]
        )
        .is_err()
    );
    assert!(Snapshot::from_parts(registry(), vec![], vec![]).is_err());
}

#[test]
fn load_reads_files_and_reports_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.csv");
    std::fs::write(&path, "user_id,BTC\nu1,1\n").unwrap();
    let s = load(&path, &registry(), None).unwrap();
    assert_eq!(s.equity(0, 0), amt(100_000_000));
    let missing = dir.path().join("nope.csv");
    let err = load(&missing, &registry(), None).unwrap_err();
    assert_eq!(err.path, missing);
    assert!(
        matches!(
            err.reason,
            custodia_snapshot::Reason::Io {
                kind: std::io::ErrorKind::NotFound,
                ..
            }
        ),
        "{err}"
    );
}

/// Users with mostly-zero balances spread over the whole `u64` range below 2^62.
fn snapshots() -> impl Strategy<Value = Snapshot> {
    let amount = prop_oneof![
        3 => Just(0u64),
        1 => 0u64..1000,
        1 => 0u64..(1 << 62),
    ];
    (1usize..6, 1usize..12).prop_flat_map(move |(assets, users)| {
        proptest::collection::vec(amount.clone(), users * 2 * assets).prop_map(move |units| {
            // A registry with varied decimals: SHIB (2), USDT (6), BTC (8), SOL (9), …
            let all = AssetRegistry::default_assets();
            let pick = [11, 2, 0, 6, 9];
            let list = pick[..assets]
                .iter()
                .map(|&i| all.assets()[i].clone())
                .collect();
            let reg = AssetRegistry::new(list).unwrap();
            let users = (0..users)
                .map(|u| AccountId::new(format!("user-{u}@x")).unwrap())
                .collect();
            let balances = units.into_iter().map(amt).collect();
            Snapshot::from_parts(reg, users, balances).unwrap()
        })
    })
}

proptest! {
    #[test]
    fn any_snapshot_round_trips_through_every_format(s in snapshots()) {
        for format in [Format::WideCsv, Format::LongCsv, Format::JsonLines] {
            let mut bytes = Vec::new();
            s.write(format, &mut bytes).unwrap();
            let back = read(bytes.as_slice(), Path::new("any"), &s.assets, Some(format))
                .map_err(|e| TestCaseError::fail(format!("{format:?}: {e}")))?;
            prop_assert_eq!(&back, &s);
            // Detection agrees with the forced format.
            let name = if format == Format::JsonLines { "s.jsonl" } else { "s.csv" };
            let detected = read(bytes.as_slice(), Path::new(name), &s.assets, None).unwrap();
            prop_assert_eq!(&detected, &s);
        }
    }
}
