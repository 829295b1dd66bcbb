//! Publishing a round to its users (issue 15): `por build`'s argument checks, `por publish`,
//! `por inclusion --all`, `por history`, the exit-code table shared by every verifier, and quiet
//! broken pipes.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::cli::{built_round, code, copy_dir, custodia, proven_round, text};

#[test]
fn build_arguments_are_checked_before_the_snapshot_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("absent.csv");
    let out = dir.path().join("round");
    let base = |extra: &[&str]| {
        let mut args = vec![
            "por",
            "build",
            "--snapshot",
            absent.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        custodia(&args)
    };
    // --round is a folder everywhere else: here it gets a pointer to --id.
    let o = base(&[
        "--round", "2026-11", "--id", "2026-11", "--prices", "p.toml",
    ]);
    assert_eq!(code(&o), 2);
    assert!(text(&o).contains("--id"), "{}", text(&o));
    // No prices: the round could never be proven.
    let o = base(&["--id", "2026-11"]);
    assert_eq!(code(&o), 2);
    assert!(text(&o).contains("--prices"), "{}", text(&o));
    // A snapshot time that is not RFC 3339 UTC.
    let o = base(&[
        "--id",
        "2026-11",
        "--prices",
        "p.toml",
        "--snapshot-time",
        "yesterday lunch",
    ]);
    assert_eq!(code(&o), 2);
    assert!(text(&o).contains("RFC 3339"), "{}", text(&o));
    // Negative twin: valid arguments get as far as the (absent) snapshot.
    let prices = dir.path().join("p.toml");
    std::fs::write(&prices, "[[price]]\nasset = \"BTC\"\nusd = \"1\"\n").unwrap();
    let o = base(&[
        "--id",
        "2026-11",
        "--prices",
        prices.to_str().unwrap(),
        "--snapshot-time",
        "2026-11-30T23:59:59Z",
    ]);
    assert_eq!(code(&o), 2);
    assert!(!text(&o).contains("RFC 3339"), "{}", text(&o));
    assert!(!out.exists());
}

fn root_of(round: &Path) -> String {
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(round.join("round.json")).unwrap()).unwrap();
    m["root"].as_str().unwrap().to_owned()
}

/// The exit code of every verifier on the same folder: `custodia verify round`, `por aggregate`
/// (when no root is given), the `custodia-verify` front end and the browser page's.
fn codes(round: &Path, root: Option<&str>) -> Vec<(&'static str, i32)> {
    let mut args = vec!["verify", "round", round.to_str().unwrap()];
    if let Some(r) = root {
        args.extend(["--root", r]);
    }
    let mut out = vec![("custodia verify round", code(&custodia(&args)))];
    if root.is_none() {
        let o = custodia(&["por", "aggregate", "--round", round.to_str().unwrap()]);
        out.push(("custodia por aggregate", code(&o)));
    }
    let digest: Vec<_> = root
        .map(|r| custodia_hash::Digest::from_hex(r).unwrap())
        .into_iter()
        .collect();
    let cli = match custodia_verify::run(&[round.to_path_buf()], &digest) {
        Ok(r) => i32::from(r.outcome().code()),
        Err(_) => 2,
    };
    out.push(("custodia-verify", cli));
    let mut page = custodia_verifier_wasm::Verifier::new();
    if let Some(r) = root {
        assert!(page.expect_root(r).contains("ok"));
    }
    for key in [
        "round.json",
        "proofs/batch-00000.proof",
        "proofs/batch-00000.json",
        "proofs/batch-00001.proof",
        "proofs/batch-00001.json",
        "proofs/batch-00002.proof",
        "proofs/batch-00002.json",
        "proofs/batch-00003.proof",
        "proofs/batch-00003.json",
    ] {
        if let Ok(bytes) = std::fs::read(round.join(key)) {
            page.add(key, bytes);
        }
    }
    let v: serde_json::Value = serde_json::from_str(&page.check()).unwrap();
    out.push(("page", v["exit_code"].as_i64().unwrap() as i32));
    out
}

#[test]
fn publish_then_every_verifier_gives_the_same_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let round = proven_round(dir.path());
    let root = root_of(&round);
    let public = dir.path().join("public");
    // Into the round folder: refused, nothing written.
    let inside = round.join("public");
    let o = custodia(&[
        "por",
        "publish",
        "--round",
        round.to_str().unwrap(),
        "--out",
        inside.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(!inside.exists());
    let o = custodia(&[
        "--json",
        "por",
        "publish",
        "--round",
        round.to_str().unwrap(),
        "--out",
        public.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["kept_back"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "private/seed")
    );
    assert!(!public.join("private").exists() && !public.join("inclusion").exists());

    let table = |dir: &Path, root: Option<&str>, want: i32, case: &str| {
        for (tool, got) in codes(dir, root) {
            assert_eq!(got, want, "{case}: {tool}");
        }
    };
    table(&public, None, 0, "published round");
    table(&public, Some(&root), 0, "published round, its root");
    table(&public, Some(&"00".repeat(32)), 1, "another root");
    let proofs = public.join("proofs");
    let backup = dir.path().join("backup");
    copy_dir(&proofs, &backup);
    let p = proofs.join("batch-00001.proof");
    let mut bytes = std::fs::read(&p).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x10;
    std::fs::write(&p, &bytes).unwrap();
    table(&public, None, 1, "flipped proof byte");
    std::fs::remove_file(&p).unwrap();
    table(&public, None, 2, "missing proof file");
    std::fs::write(proofs.join("batch-00001.json"), b"{not json").unwrap();
    std::fs::copy(backup.join("batch-00001.proof"), &p).unwrap();
    table(&public, None, 2, "malformed public inputs");

    // The text report: plain words first, the proven totals below.
    std::fs::copy(
        backup.join("batch-00001.json"),
        proofs.join("batch-00001.json"),
    )
    .unwrap();
    let o = custodia(&["verify", "round", public.to_str().unwrap(), "--root", &root]);
    let t = text(&o);
    assert!(t.starts_with("Round 2026-11 checks out"), "{t}");
    assert!(t.contains("Per-asset totals the proofs establish"), "{t}");
}

#[test]
fn every_user_file_is_delivered_and_pipes_close_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let (round, _) = built_round(dir.path());
    let out = dir.path().join("delivery");
    let o = custodia(&[
        "--json",
        "por",
        "inclusion",
        "--round",
        round.to_str().unwrap(),
        "--all",
        "--layout",
        "files",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (v["users"].as_u64(), v["written"].as_u64()),
        (Some(300), Some(300))
    );
    let user = "user-000000007";
    let file = out
        .join(custodia_round::shard(
            &custodia_primitives::AccountId::new(user).unwrap(),
        ))
        .join(format!("{user}.json"));
    let delivered: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let o = custodia(&[
        "por",
        "inclusion",
        "--round",
        round.to_str().unwrap(),
        "--user",
        user,
    ]);
    let printed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(delivered, printed);
    // The default layout: packs and an index; one user extracted equals the printed file.
    let pack = dir.path().join("pack");
    let o = custodia(&[
        "--json",
        "por",
        "inclusion",
        "--round",
        round.to_str().unwrap(),
        "--all",
        "--out",
        pack.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["layout"], "pack");
    assert!(pack.join("index.bin").is_file());
    let o = custodia(&[
        "por",
        "inclusion",
        "--delivery",
        pack.to_str().unwrap(),
        "--user",
        user,
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let extracted: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(extracted, printed);
    // Negative twin: a user the round does not hold.
    let o = custodia(&[
        "por",
        "inclusion",
        "--delivery",
        pack.to_str().unwrap(),
        "--user",
        "nobody",
    ]);
    assert_ne!(code(&o), 0);
    assert!(text(&o).contains("is not in the delivery"), "{}", text(&o));

    // Run again: everything is done already.
    let o = custodia(&[
        "--json",
        "por",
        "inclusion",
        "--round",
        round.to_str().unwrap(),
        "--all",
        "--layout",
        "files",
        "--out",
        out.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (v["users"].as_u64(), v["written"].as_u64()),
        (Some(300), Some(0))
    );

    // `| head`: the reader goes away before the output is written; no panic (exit 101).
    for (args, want) in [
        (
            vec![
                "por",
                "inclusion",
                "--round",
                round.to_str().unwrap(),
                "--user",
                user,
            ],
            0,
        ),
        (
            vec![
                "--json",
                "verify",
                "inclusion",
                file.to_str().unwrap(),
                "--root",
                &"00".repeat(32),
            ],
            1,
        ),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_custodia"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn rounds_chain_and_a_rewritten_round_breaks_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = built_round(dir.path());
    let data = dir.path().join("data");
    let snapshot = data.join("snapshot.csv");
    let assets = data.join("assets.toml");
    let prices = data.join("prices.toml");
    let build = |id: &str, time: &str, out: &Path, previous: Option<&Path>| {
        let mut args = vec![
            "por",
            "build",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--assets",
            assets.to_str().unwrap(),
            "--prices",
            prices.to_str().unwrap(),
            "--id",
            id,
            "--snapshot-time",
            time,
            "--log-batch",
            "7",
            "--out",
            out.to_str().unwrap(),
        ];
        if let Some(p) = previous {
            args.extend(["--previous", p.to_str().unwrap()]);
        }
        custodia(&args)
    };
    let second = dir.path().join("second");
    let o = build("2026-12", "2026-12-31T23:59:59Z", &second, Some(&first));
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = custodia(&[
        "por",
        "history",
        first.to_str().unwrap(),
        second.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(
        text(&o).contains("VERIFIED: 2 rounds form one history"),
        "{}",
        text(&o)
    );
    // The same id again, or an earlier time, cannot follow.
    let o = build(
        "2026-11",
        "2026-12-31T23:59:59Z",
        &dir.path().join("x"),
        Some(&first),
    );
    assert_eq!(code(&o), 2, "{}", text(&o));
    // November rebuilt after December committed to it (a fresh seed: another root).
    let rewritten = dir.path().join("rewritten");
    let o = build("2026-11", "2026-11-30T23:59:59Z", &rewritten, None);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = custodia(&[
        "por",
        "history",
        rewritten.to_str().unwrap(),
        second.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("was rewritten"), "{}", text(&o));
}
