//! `custodia guard` end to end: hosts checked and addresses screened offline against the
//! store (exit 1 on an alert, 0 when clean), the signing key made once (never overwritten),
//! and a snapshot verified with its signature (exit 1 when tampered or signed by another key).

use crate::cli::{custodia_on as custodia, text};
use custodia_guard::{CompactSnapshot, Snapshot, SnapshotData, SnapshotSigningKey, default_brands};

#[test]
fn check_and_screen_offline_against_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("g.db").display());
    let o = custodia(&url, &["guard", "check", "https://binance-login.com/x"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("very-high") || text(&o).contains(": high"),
        "{}",
        text(&o)
    );
    let o = custodia(
        &url,
        &["guard", "check", "www.binance.com", "en.wikipedia.org"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("official domain of Binance"),
        "{}",
        text(&o)
    );
    let o = custodia(
        &url,
        &[
            "guard",
            "screen",
            "0x52908400098527886e0f7030069857d2e4169ee7",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("not listed"), "{}", text(&o));
    // Import a list, then the same address is flagged offline.
    let list = dir.path().join("list.txt");
    std::fs::write(
        &list,
        "0x52908400098527886e0f7030069857d2e4169ee7\nnot-an-address\n",
    )
    .unwrap();
    let l = list.to_str().unwrap();
    let import = [
        "guard",
        "import",
        l,
        "--source",
        "internal",
        "--format",
        "lines",
        "--category",
        "scam",
    ];
    let o = custodia(&url, &import);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("1 entries imported"), "{}", text(&o));
    let screen = [
        "guard",
        "screen",
        "0x52908400098527886e0f7030069857d2e4169ee7",
    ];
    let o = custodia(&url, &screen);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("LISTED scam (internal)"), "{}", text(&o));
    // A file with no valid entry changes nothing.
    std::fs::write(&list, "<html>error</html>\n").unwrap();
    let o = custodia(&url, &import);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = custodia(&url, &screen);
    assert_eq!(o.status.code(), Some(1), "still listed: {}", text(&o));
    let o = custodia(&url, &["guard", "screen", "0x1234"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // Nothing published yet: a clear error, no file.
    let out = dir.path().join("export");
    let o = custodia(&url, &["guard", "snapshot", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("no snapshot has been published"),
        "{}",
        text(&o)
    );
}

#[test]
fn keygen_then_verify_signed_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("guard.key");
    let k = key_path.to_str().unwrap();
    let o = custodia("sqlite::memory:", &["guard", "keygen", "--out", k]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let o = custodia("sqlite::memory:", &["guard", "keygen", "--out", k]);
    assert_eq!(o.status.code(), Some(2), "never overwrites: {}", text(&o));

    let key = SnapshotSigningKey::from_key_file_text(&std::fs::read_to_string(&key_path).unwrap())
        .unwrap();
    let public = key.public().to_hex();
    let data = SnapshotData {
        brands: default_brands(),
        ..SnapshotData::default()
    };
    let snap = Snapshot::build(&data, 4, 1_732_060_800).unwrap();
    let compact = CompactSnapshot::from_snapshot(&snap);
    let files = [
        ("full", snap.to_bytes(), key.sign(&snap).to_bytes()),
        (
            "compact",
            compact.to_bytes(),
            key.sign_compact(&compact).to_bytes(),
        ),
    ];
    for (name, bytes, sig) in files {
        let s = dir.path().join(format!("{name}.bin"));
        let g = dir.path().join(format!("{name}.sig"));
        std::fs::write(&s, &bytes).unwrap();
        std::fs::write(&g, &sig).unwrap();
        let args = |key: &str| {
            vec![
                "guard".to_owned(),
                "verify".into(),
                s.display().to_string(),
                g.display().to_string(),
                "--key".into(),
                key.to_owned(),
            ]
        };
        let run = |a: Vec<String>| {
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            custodia("sqlite::memory:", &a)
        };
        let o = run(args(&public));
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o));
        assert!(
            text(&o).contains(&format!("VERIFIED: {name} snapshot version 4")),
            "{}",
            text(&o)
        );
        let other = SnapshotSigningKey::from_seed(&[1; 32]).public().to_hex();
        let o = run(args(&other));
        assert_eq!(o.status.code(), Some(1), "{name}: {}", text(&o));
        assert!(text(&o).contains("not trusted"), "{}", text(&o));
        let mut bad = bytes.clone();
        let n = bad.len() - 2;
        bad[n] ^= 1;
        std::fs::write(&s, &bad).unwrap();
        let o = run(args(&public));
        assert_eq!(o.status.code(), Some(1), "{name}: {}", text(&o));
        assert!(text(&o).contains("REJECTED"), "{}", text(&o));
    }
}
