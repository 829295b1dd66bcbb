//! Durability: a burst of acknowledged writes, SIGKILL mid-burst, restart, and every acknowledged
//! write is there and the event chain verifies. Runs the real server binary as a child process.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use custodia_events::{Clock, SystemClock};
use custodia_keys::TotpSeed;
use serde_json::{Value, json};

const KEK_HEX: &str = "8f3c1a9e5b7d2f4061a8c3e5b7d9f1a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2f4";
const ADMIN: &str = "adm_9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d";
const PASS: &str = "Str0ng!Passphrase";

/// `custodia serve` on a free port; its address from the `listening on ADDR` line on stderr.
fn spawn(url: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_custodia"))
        .arg("serve")
        .env("CUSTODIA_STORE_URL", url)
        .env("CUSTODIA_SECRETS_KEK", KEK_HEX)
        .env("CUSTODIA_SECRETS_BOOTSTRAP_ADMIN_TOKEN", ADMIN)
        .env("CUSTODIA_SERVER_LISTEN", "127.0.0.1:0")
        .env("CUSTODIA_KEYS_ARGON2_MEMORY_KIB", "64")
        .env("CUSTODIA_KEYS_ARGON2_ITERATIONS", "1")
        .env("CUSTODIA_KEYS_PURGE_INTERVAL_SECS", "0")
        .env("CUSTODIA_LOG_FILTER", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn custodia serve");
    let mut line = String::new();
    BufReader::new(child.stderr.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, addr)
}

/// One request on its own connection; `None` when the connection fails (server killed).
fn http(addr: &str, method: &str, path: &str, body: Option<&Value>) -> Option<(u16, Value)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {ADMIN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).ok()?;
    let text = String::from_utf8_lossy(&resp);
    let status: u16 = text.split(' ').nth(1)?.parse().ok()?;
    let (_, b) = text.split_once("\r\n\r\n")?;
    Some((status, serde_json::from_str(b).unwrap_or(Value::Null)))
}

fn burst_kill_restart(url: &str, label: &str) {
    let (mut child, addr) = spawn(url);
    let acked_users = Arc::new(Mutex::new(Vec::<String>::new()));
    let acked_keys = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let acks = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (addr, users, keys, acks, stop) = (
            addr.clone(),
            acked_users.clone(),
            acked_keys.clone(),
            acks.clone(),
            stop.clone(),
        );
        workers.push(std::thread::spawn(move || {
            for i in 0.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let user = format!("d{w}_{i}");
                let Some((201, r)) = http(&addr, "POST", &format!("/v1/users/{user}/totp"), None) else { break };
                users.lock().unwrap().push(user.clone());
                acks.fetch_add(1, Ordering::SeqCst);
                let seed = TotpSeed::from_base32(r["secret_base32"].as_str().unwrap()).unwrap();
                let body = json!({"totp_code": seed.code_at(SystemClock.now()), "label": "d", "permissions": ["trade"], "passphrase": PASS});
                let Some((201, k)) = http(&addr, "POST", &format!("/v1/users/{user}/api-keys"), Some(&body)) else { break };
                keys.lock().unwrap().push((user, k["key_id"].as_str().unwrap().to_owned()));
                acks.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    let start = Instant::now();
    while acks.load(Ordering::SeqCst) < 60 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL, mid-burst: the workers are still sending
    child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    let users = acked_users.lock().unwrap().clone();
    let keys = acked_keys.lock().unwrap().clone();
    assert!(users.len() + keys.len() >= 60, "{label}: burst too small");

    let (child2, addr) = spawn(url);
    for u in &users {
        let (status, r) = http(&addr, "POST", &format!("/v1/users/{u}/totp"), None).unwrap();
        assert_eq!(
            (status, r["code"].as_str()),
            (409, Some("totp_already_enrolled")),
            "{label}: enrolment of {u} lost"
        );
    }
    for (u, k) in &keys {
        let (status, r) = http(&addr, "GET", &format!("/v1/users/{u}/api-keys"), None).unwrap();
        assert_eq!(status, 200);
        assert!(
            r["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["key_id"] == k.as_str()),
            "{label}: acknowledged key {k} of {u} lost"
        );
    }
    let (_, report) = http(&addr, "GET", "/v1/audit/verify", None).unwrap();
    assert_eq!(report["intact"], true, "{label}: {report}");
    // Bootstrap operator + one event per acknowledged write, at least.
    assert!(
        report["head_seq"].as_u64().unwrap() as usize > users.len() + keys.len(),
        "{label}: {report}"
    );

    // Graceful shutdown on SIGTERM: exit status 0.
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child2.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let mut child2 = child2;
    let code = child2.wait().unwrap();
    assert!(code.success(), "{label}: SIGTERM exit {code:?}");
    eprintln!(
        "{label}: {} enrolments and {} keys acknowledged before SIGKILL, all present",
        users.len(),
        keys.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let sqlite = custodia_store::testkit::sqlite("durability").await;
    sqlite.store.close().await;
    let url = sqlite.url.clone();
    tokio::task::spawn_blocking(move || burst_kill_restart(&url, "sqlite"))
        .await
        .unwrap();
    if let Some(pg) = custodia_store::testkit::postgres("durability").await {
        pg.store.close().await;
        let url = pg.url.clone();
        tokio::task::spawn_blocking(move || burst_kill_restart(&url, "postgres"))
            .await
            .unwrap();
    }
}
