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

/// Host lists from the command line: a MetaMask configuration fills the blocklist and the
/// allowlist, a hosts file can go to either list, `--list allow` refuses address formats, and
/// `guard snapshot --publish` publishes the stored lists and exports them signed.
#[test]
fn host_lists_publish_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("g.db").display());
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    // Before: a look-alike the rules block, and an unlisted host that opens.
    let o = custodia(&url, &["guard", "check", "coinbase-careers.com"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let o = custodia(&url, &["guard", "check", "drainer-kit.xyz"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    std::fs::write(
        p("config.json"),
        r#"{"version": 2, "tolerance": 2, "fuzzylist": ["metamask.io"],
            "whitelist": ["coinbase-careers.com"], "blacklist": ["drainer-kit.xyz", "bad host!"]}"#,
    )
    .unwrap();
    let mm = p("config.json");
    let o = custodia(
        &url,
        &[
            "guard", "import", &mm, "--source", "metamask", "--format", "metamask",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("2 entries imported"), "{}", text(&o));
    assert!(text(&o).contains("1 blocked and 1 allowed"), "{}", text(&o));
    assert!(
        text(&o).contains("fuzzylist (1 domains) is not imported"),
        "{}",
        text(&o)
    );
    let o = custodia(&url, &["guard", "check", "coinbase-careers.com"]);
    assert_eq!(o.status.code(), Some(0), "allowlisted now: {}", text(&o));
    let o = custodia(&url, &["guard", "check", "www.drainer-kit.xyz"]);
    assert_eq!(o.status.code(), Some(1), "blocklisted now: {}", text(&o));
    // A plain hosts file into the allowlist of another source.
    std::fs::write(p("allow.txt"), "ledger-cli.org\n").unwrap();
    let allow = p("allow.txt");
    let args = [
        "guard", "import", &allow, "--source", "ops", "--format", "hosts",
    ];
    let o = custodia(&url, &[&args[..], &["--list", "allow"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("2 allowed"), "{}", text(&o));
    // `--list allow` with an address format, and a bad date: refused, nothing written.
    let o = custodia(
        &url,
        &[
            "guard",
            "import",
            &allow,
            "--source",
            "x",
            "--format",
            "lines",
            "--category",
            "scam",
            "--list",
            "allow",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--list allow applies to"), "{}", text(&o));
    let o = custodia(&url, &[&args[..], &["--date", "2024-13-40"]].concat());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--date 2024-13-40"), "{}", text(&o));
    // A key file that does not exist: refused before anything is published.
    let missing = p("missing.key");
    let out = p("export");
    let o = custodia(
        &url,
        &[
            "guard",
            "snapshot",
            "--out",
            &out,
            "--sign-key",
            &missing,
            "--publish",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // Publish and export, signed: version 1, so the refused run published nothing.
    let key = p("guard.key");
    let o = custodia(&url, &["guard", "keygen", "--out", &key]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let export = ["guard", "snapshot", "--out", &out, "--sign-key", &key];
    let o = custodia(&url, &[&export[..], &["--publish"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("snapshot version 1"), "{}", text(&o));
    let bytes = std::fs::read(dir.path().join("export/compact.bin")).unwrap();
    let c = CompactSnapshot::from_bytes(&bytes).unwrap();
    assert_eq!((c.counts().blocked, c.counts().allowed), (1, 2));
    let pubkey = SnapshotSigningKey::from_key_file_text(&std::fs::read_to_string(&key).unwrap())
        .unwrap()
        .public()
        .to_hex();
    let (cb, cs) = (p("export/compact.bin"), p("export/compact.sig"));
    let o = custodia(&url, &["guard", "verify", &cb, &cs, "--key", &pubkey]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Exported again without --publish: the same version.
    let o = custodia(&url, &export);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("snapshot version 1"), "{}", text(&o));
    let o = custodia(&url, &[&export[..], &["--publish"]].concat());
    assert!(text(&o).contains("snapshot version 2"), "{}", text(&o));
}
