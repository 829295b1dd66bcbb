//! `custodia audit keygen`, `custodia audit verify` with checkpoints, and `serve` signing
//! checkpoints into the store and the external file: exit codes 0 intact / 1 tampered /
//! 2 usage, unreadable store or refused configuration.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::cli::custodia_on as custodia;
use custodia_events::{Actor, EventKind, Payload, Subject};
use custodia_events::{
    CheckpointKey, CheckpointOutcome, Clock as _, EventAppender as _, EventReader as _,
    ManualClock, NewEvent, Timestamp, write_checkpoint,
};
use custodia_store::Store;
use serde_json::Value;

const KEK_HEX: &str = "8f3c1a9e5b7d2f4061a8c3e5b7d9f1a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2f4";
const ADMIN: &str = "adm_9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d";

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("not JSON: {o:?}"))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn keygen(path: &Path) -> (CheckpointKey, String) {
    let o = custodia(
        "sqlite::memory:",
        &["--json", "audit", "keygen", "--out", path.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let public = json(&o)["public_key"].as_str().unwrap().to_owned();
    let key = CheckpointKey::from_key_file_text(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(key.public().to_hex(), public);
    (key, public)
}

#[test]
fn keygen_writes_a_private_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ckpt.key");
    let (_, public) = keygen(&path);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let before = std::fs::read(&path).unwrap();
    let o = custodia(
        "sqlite::memory:",
        &["audit", "keygen", "--out", path.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("refusing to overwrite"));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the key was not touched"
    );
    assert!(!String::from_utf8_lossy(&before).is_empty() && public.len() == 64);
}

#[test]
fn verify_with_checkpoints_file_and_expected_head() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("a.db").display());
    let (key, public) = keygen(&dir.path().join("k"));
    let file = dir.path().join("checkpoints.jsonl");
    let clock = ManualClock::new(Timestamp::from_millis(1_767_225_600_000));
    let (store, head) = rt().block_on(async {
        let s = Store::open(&url, 2).await.unwrap();
        let mut lines = String::new();
        for round in 0..2 {
            for i in 0..4 {
                s.append(vec![NewEvent {
                    time: clock.now(),
                    kind: EventKind::new("test.happened").unwrap(),
                    actor: Actor::new("system:test").unwrap(),
                    subject: Subject::new(format!("t:{round}:{i}")).unwrap(),
                    payload: Payload::empty(),
                }])
                .await
                .unwrap();
            }
            let CheckpointOutcome::Written(c) = write_checkpoint(&s, &key, &clock).await.unwrap()
            else {
                panic!("no checkpoint")
            };
            lines.push_str(&c.to_json_line());
            lines.push('\n');
        }
        std::fs::write(&file, lines).unwrap();
        let head = s.head().await.unwrap();
        (s, head)
    });
    let expect = format!("{}:{}", head.0, head.1);
    let args = [
        "--json",
        "audit",
        "verify",
        "--checkpoint-key",
        &public,
        "--checkpoints",
        file.to_str().unwrap(),
        "--expect-head",
        &expect,
    ];
    let o = custodia(&url, &args);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let j = json(&o);
    assert_eq!(j["status"], "intact");
    assert_eq!(j["checkpoints"]["signatures_checked"], true);
    assert_eq!(j["checkpoints"]["stored"], 2);
    assert_eq!(j["checkpoints"]["external"], 2);
    assert_eq!(j["checkpoints"]["latest"]["seq"], 8);

    // Text output names what was checked.
    let o = custodia(&url, &args[1..]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("event chain intact: 8 events"), "{text}");
    assert!(
        text.contains(&format!("signatures checked against {public}")),
        "{text}"
    );

    // The tail and its checkpoint rows are deleted by someone with DDL rights.
    rt().block_on(async {
        for q in [
            "DROP TRIGGER events_no_delete",
            "DROP TRIGGER audit_checkpoints_no_delete",
            "DELETE FROM events WHERE seq > 6",
            "DELETE FROM audit_checkpoints WHERE seq > 6",
        ] {
            store.execute_raw_for_tests(q).await.unwrap();
        }
        store.close().await;
    });
    let o = custodia(&url, &args);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let j = json(&o);
    assert_eq!(j["status"], "broken");
    let codes: Vec<&str> = j["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["checkpoint_deleted", "truncated", "truncated"],
        "{j}"
    );
    let o = custodia(&url, &args[1..]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("AUDIT FAILED: 3 problem(s)"), "{text}");
    assert!(text.contains("checkpoint rows were deleted"), "{text}");

    // Usage errors are exit 2 with a specific message.
    for (bad, want) in [
        (
            vec!["audit", "verify", "--expect-head", "12"],
            "expected SEQ:HASH",
        ),
        (
            vec!["audit", "verify", "--checkpoint-key", "abc"],
            "checkpoint public key",
        ),
    ] {
        let o = custodia(&url, &bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains(want), "{o:?}");
    }
    std::fs::write(&file, "{\"v\":1}\n").unwrap();
    let o = custodia(
        &url,
        &["audit", "verify", "--checkpoints", file.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("line 1"),
        "{o:?}"
    );
}

fn serve(url: &str, envs: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_custodia"));
    c.arg("serve")
        .env("CUSTODIA_STORE_URL", url)
        .env("CUSTODIA_SECRETS_KEK", KEK_HEX)
        .env("CUSTODIA_SECRETS_BOOTSTRAP_ADMIN_TOKEN", ADMIN)
        .env("CUSTODIA_SERVER_LISTEN", "127.0.0.1:0")
        .env("CUSTODIA_KEYS_PURGE_INTERVAL_SECS", "0")
        .env("CUSTODIA_LOG_FILTER", "warn");
    for (k, v) in envs {
        c.env(k, v);
    }
    c
}

#[test]
fn serve_refuses_unsafe_audit_settings() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("r.db").display());
    let o = serve(&url, &[("CUSTODIA_AUDIT_RETENTION_DAYS", "30")])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("audit.retention_days needs audit.checkpoint_key_file"),
        "{o:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let key = dir.path().join("k");
        keygen(&key);
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
        let o = serve(
            &url,
            &[("CUSTODIA_AUDIT_CHECKPOINT_KEY_FILE", key.to_str().unwrap())],
        )
        .output()
        .unwrap();
        assert_eq!(o.status.code(), Some(2), "{o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("accessible to group or others (mode 0640)"),
            "{err}"
        );
        assert!(err.contains("chmod 600"), "{err}");
    }
}

#[test]
fn serve_signs_checkpoints_into_the_store_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let key = dir.path().join("k");
    let (_, public) = keygen(&key);
    let file = dir.path().join("checkpoints.jsonl");
    let mut child = serve(
        &url,
        &[
            ("CUSTODIA_AUDIT_CHECKPOINT_KEY_FILE", key.to_str().unwrap()),
            ("CUSTODIA_AUDIT_CHECKPOINT_INTERVAL_SECS", "1"),
            ("CUSTODIA_AUDIT_CHECKPOINT_LOG", file.to_str().unwrap()),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening on"), "{line}");
    // The bootstrap admin's event moved the head: the first tick signs it.
    let start = Instant::now();
    while std::fs::read_to_string(&file).map_or(true, |t| t.is_empty())
        && start.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    let o = custodia(
        &url,
        &[
            "--json",
            "audit",
            "verify",
            "--checkpoint-key",
            &public,
            "--checkpoints",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let j = json(&o);
    assert_eq!(j["checkpoints"]["stored"], 1);
    assert_eq!(j["checkpoints"]["latest"]["public_key"], public.as_str());
    // Another key's public half: every checkpoint is reported as signed by the wrong key.
    let other = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    let o = custodia(
        &url,
        &["--json", "audit", "verify", "--checkpoint-key", other],
    );
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert_eq!(json(&o)["problems"][0]["code"], "wrong_key");
}

#[test]
fn serve_prunes_old_events_up_to_a_signed_checkpoint() {
    use custodia_events::{CheckpointReader as _, VerifyOptions, verify_anchored};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    let key_path = dir.path().join("k");
    let (key, _) = keygen(&key_path);
    // Events and a checkpoint from 2020: far older than one day whatever the machine's clock.
    let clock = ManualClock::new(Timestamp::from_millis(1_577_836_800_000));
    rt().block_on(async {
        let s = Store::open(&url, 2).await.unwrap();
        for i in 0..6 {
            s.append(vec![NewEvent {
                time: clock.now(),
                kind: EventKind::new("test.happened").unwrap(),
                actor: Actor::new("system:test").unwrap(),
                subject: Subject::new(format!("old:{i}")).unwrap(),
                payload: Payload::empty(),
            }])
            .await
            .unwrap();
        }
        write_checkpoint(&s, &key, &clock).await.unwrap();
        s.close().await;
    });
    let mut child = serve(
        &url,
        &[
            (
                "CUSTODIA_AUDIT_CHECKPOINT_KEY_FILE",
                key_path.to_str().unwrap(),
            ),
            ("CUSTODIA_AUDIT_RETENTION_DAYS", "1"),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening on"), "{line}");
    let rt = rt();
    let s = rt.block_on(Store::open(&url, 2)).unwrap();
    let start = Instant::now();
    let mut anchor = 0;
    while anchor == 0 && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
        anchor = rt.block_on(s.anchor()).unwrap().seq;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        anchor, 6,
        "the retention job anchored on the 2020 checkpoint"
    );
    let events = rt.block_on(s.events_after(0, 100)).unwrap();
    assert!(events.iter().all(|e| e.seq > 6), "{events:?}");
    let pk = key.public();
    let r = rt
        .block_on(verify_anchored(
            &s,
            &VerifyOptions {
                keys: &[pk],
                ..Default::default()
            },
        ))
        .unwrap();
    assert!(r.is_intact(), "{:?}", r.findings);
}
