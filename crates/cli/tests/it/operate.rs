//! The operator's side of `custodia`: commands that must never create or change a store they
//! were pointed at by mistake, operator tokens, configuration checks and printing, unknown
//! variables, error messages that name the place and the reason once, and the service's logs
//! and console as a process sees them.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use custodia_store::Store;

const KEK: &str = "8f3c1a9e5b7d2f4061a8c3e5b7d9f1a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2f4";
const ADMIN_TOKEN: &str = "bootstrap-admin-token-0123456789abcdef";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_custodia"));
    // The test runner's own CUSTODIA_* variables must not leak into what is checked.
    for (k, _) in std::env::vars() {
        if k.starts_with("CUSTODIA_") || k == "RUST_LOG" || k == "NO_COLOR" {
            c.env_remove(k);
        }
    }
    c
}

fn run(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = bin();
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("runs custodia")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn new_store(url: &str) {
    rt().block_on(async { Store::open(url, 1).await.unwrap().close().await });
}

#[test]
fn commands_on_a_mistyped_store_exit_2_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo.db");
    let url = format!("sqlite://{}", typo.display());
    for args in [
        &["audit", "verify"][..],
        &["keys", "purge"],
        &["keys", "purge", "--dry-run"],
        &["operators", "list"],
        &["operators", "create", "alice", "--role", "admin"],
        &["operators", "revoke", "alice"],
    ] {
        let o = run(&[("CUSTODIA_STORE_URL", &url)], args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {o:?}");
        let err = text(&o.stderr);
        assert!(
            err.contains("no Custodia store at") && err.contains("typo.db"),
            "{args:?}: {err}"
        );
        assert!(err.contains("never creates one"), "{err}");
        assert!(!typo.exists(), "{args:?} created the database");
    }
    // The positive twin: the same commands on a real store answer 0.
    let real = dir.path().join("real.db");
    let url = format!("sqlite://{}", real.display());
    new_store(&url);
    for args in [
        &["audit", "verify"][..],
        &["keys", "purge", "--dry-run"],
        &["operators", "list"],
    ] {
        let o = run(&[("CUSTODIA_STORE_URL", &url)], args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {o:?}");
    }
}

#[test]
fn audit_verify_does_not_write_to_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ro.db");
    let url = format!("sqlite://{}", db.display());
    new_store(&url);
    let before = std::fs::read(&db).unwrap();
    let o = run(&[("CUSTODIA_STORE_URL", &url)], &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the database file changed"
    );
}

#[test]
fn operators_are_created_listed_and_revoked_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ops.db").display());
    new_store(&url);
    let env = [("CUSTODIA_STORE_URL", url.as_str())];
    let o = run(
        &env,
        &[
            "--json",
            "operators",
            "create",
            "alice",
            "--role",
            "analyst",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let token = j["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("cst_") && token.len() > 40, "{token}");
    assert_eq!(j["role"], "analyst");

    let o = run(&env, &["operators", "create", "alice", "--role", "admin"]);
    assert_eq!(o.status.code(), Some(2), "a taken name is refused");
    let o = run(&env, &["operators", "create", "bob", "--role", "root"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("unknown role"), "{o:?}");

    let o = run(&env, &["operators", "list"]);
    let listing = text(&o.stdout);
    assert!(
        listing.contains("alice") && listing.contains("analyst") && listing.contains("active"),
        "{listing}"
    );
    assert!(!listing.contains(&token), "a listing never shows tokens");

    let o = run(&env, &["--json", "operators", "revoke", "alice"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let o = run(&env, &["--json", "operators", "list"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(j[0]["revoked_at"].is_string(), "{j}");
    let o = run(&env, &["operators", "revoke", "alice"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no active operator named `alice`"),
        "{o:?}"
    );

    // Both changes are in the event log, and the chain still verifies.
    let o = run(&env, &["--json", "audit", "verify"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (j["status"].as_str(), j["checked"].as_u64()),
        (Some("intact"), Some(2))
    );
}

#[test]
fn check_config_and_print_config() {
    let dir = tempfile::tempdir().unwrap();
    let good = [
        ("CUSTODIA_SECRETS_KEK", KEK),
        (
            "CUSTODIA_STORE_URL",
            "postgres://custodia:hunter2@db.internal:5432/custodia",
        ),
    ];
    let o = run(&good, &["serve", "--check-config"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let out = text(&o.stdout);
    assert!(out.starts_with("configuration OK"), "{out}");
    assert!(
        out.contains("db.internal:5432/custodia (not contacted)") && !out.contains("hunter2"),
        "{out}"
    );

    for (env, want) in [
        (
            vec![("CUSTODIA_STORE_URL", "sqlite://x.db")],
            "secrets.kek is required",
        ),
        (vec![("CUSTODIA_SECRETS_KEK", "abc")], "secrets.kek"),
        (
            vec![
                ("CUSTODIA_SECRETS_KEK", KEK),
                ("CUSTODIA_STORE_URL", "mysql://u:hunter2@h/d"),
            ],
            "unsupported database URL scheme `mysql`",
        ),
        (
            vec![
                ("CUSTODIA_SECRETS_KEK", KEK),
                ("CUSTODIA_WEB_VERIFIER_PAGE", "/nonexistent/page.html"),
            ],
            "web.verifier_page: cannot open /nonexistent/page.html",
        ),
        (
            vec![
                ("CUSTODIA_SECRETS_KEK", KEK),
                ("CUSTODIA_SECRETS_BOOTSTRAP_ADMIN_TOKEN", "short"),
            ],
            "at least 32 characters",
        ),
        (
            vec![
                ("CUSTODIA_SECRETS_KEK", KEK),
                ("CUSTODIA_SERVER_LISTEN", "nope"),
            ],
            "server.listen",
        ),
    ] {
        let o = run(&env, &["serve", "--check-config"]);
        assert_eq!(o.status.code(), Some(2), "{env:?}: {o:?}");
        let err = text(&o.stderr);
        assert!(err.contains(want), "{env:?}: {err}");
        assert!(!err.contains("hunter2"));
    }

    let toml = dir.path().join("c.toml");
    std::fs::write(
        &toml,
        "[server]\nlisten = \"0.0.0.0:9000\"\n[keys]\nidle_expiry_days = 30\n",
    )
    .unwrap();
    let o = run(
        &[
            ("CUSTODIA_SECRETS_KEK", KEK),
            ("CUSTODIA_SECRETS_BOOTSTRAP_ADMIN_TOKEN", ADMIN_TOKEN),
            (
                "CUSTODIA_STORE_URL",
                "postgres://custodia:hunter2@db/custodia",
            ),
            ("CUSTODIA_KEYS_MAX_IPS", "7"),
        ],
        &[
            "serve",
            "--print-config",
            "--config",
            toml.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let printed = text(&o.stdout);
    for want in [
        "listen = \"0.0.0.0:9000\"",
        "idle_expiry_days = 30",
        "max_ips = 7",
        "url = \"postgres://custodia:***@db/custodia\"",
        "kek = \"***\"",
        "bootstrap_admin_token = \"***\"",
    ] {
        assert!(printed.contains(want), "missing {want} in\n{printed}");
    }
    for secret in [KEK, ADMIN_TOKEN, "hunter2"] {
        assert!(!printed.contains(secret), "{secret} printed");
    }
}

#[test]
fn unknown_custodia_variables_are_warned_about_by_name() {
    let o = run(
        &[
            ("CUSTODIA_SECRETS_KEK", KEK),
            ("CUSTODIA_SERVER_LISTN", "0.0.0.0:1"),
        ],
        &["serve", "--check-config"],
    );
    assert_eq!(o.status.code(), Some(0), "a warning, not an error: {o:?}");
    let err = text(&o.stderr);
    assert!(
        err.contains("warning: CUSTODIA_SERVER_LISTN is not a Custodia setting and is ignored (did you mean CUSTODIA_SERVER_LISTEN?)"),
        "{err}"
    );
    let o = run(
        &[("CUSTODIA_SECRETS_KEK", KEK)],
        &["serve", "--check-config"],
    );
    assert!(!text(&o.stderr).contains("warning"), "{o:?}");
}

#[test]
fn errors_name_the_place_and_the_reason_once() {
    let o = run(
        &[(
            "CUSTODIA_STORE_URL",
            "postgres://custodia:hunter2@127.0.0.1:1/custodia",
        )],
        &["audit", "verify"],
    );
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert_eq!(
        text(&o.stderr).trim(),
        "error: opening the store: cannot connect to 127.0.0.1:1/custodia (connection refused)"
    );
    let o = run(
        &[],
        &["audit", "verify", "--config", "/nonexistent/custodia.toml"],
    );
    let err = text(&o.stderr);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    assert!(err.contains("/nonexistent/custodia.toml"), "{err}");
}

/// A running `custodia serve` on a free port, stopped on drop.
struct Serve {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(env: &[(&str, &str)]) -> Serve {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let mut c = bin();
    c.args(["serve"])
        .env("CUSTODIA_SERVER_LISTEN", "127.0.0.1:0")
        .env("CUSTODIA_STORE_URL", &url)
        .env("CUSTODIA_SECRETS_KEK", KEK)
        .env("CUSTODIA_SECRETS_BOOTSTRAP_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("CUSTODIA_KEYS_ARGON2_MEMORY_KIB", "64")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        line.clear();
        assert!(Instant::now() < deadline, "serve did not start");
        if err.read_line(&mut line).unwrap() == 0 {
            panic!("serve exited: {line}");
        }
        if let Some(a) = line.trim().strip_prefix("listening on ") {
            break a.to_owned();
        }
    };
    Serve {
        child,
        addr,
        _dir: dir,
    }
}

fn http_get(addr: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}\r\n"
    )
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let status = buf.split(' ').nth(1).unwrap().parse().unwrap();
    (status, buf)
}

fn stop(mut s: Serve) -> String {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-TERM", &s.child.id().to_string()])
            .status();
    }
    let mut out = String::new();
    let mut stdout = s.child.stdout.take().unwrap();
    stdout.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn logs_are_plain_json_when_piped_and_requests_are_in_them() {
    let s = serve(&[("CUSTODIA_LOG_FORMAT", "json")]);
    let (status, _) = http_get(&s.addr, "/v1/console/panels", Some(ADMIN_TOKEN));
    assert_eq!(status, 200);
    let (status, _) = http_get(&s.addr, "/healthz", None);
    assert_eq!(status, 200);
    let (status, body) = http_get(&s.addr, "/metrics", None);
    assert_eq!(status, 200);
    assert!(
        body.contains("custodia_audit_chain_intact"),
        "the chain gauge is exported"
    );
    assert!(body.contains("custodia_build_info{"), "{body}");
    let logs = stop(s);
    assert!(
        !logs.contains('\u{1b}'),
        "ANSI escapes in piped logs:\n{logs}"
    );
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let access: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["target"] == "custodia::access")
        .collect();
    assert!(
        access
            .iter()
            .any(|l| l["span"]["path"] == "/v1/console/panels" && l["fields"]["status"] == 200),
        "no access-log line for the console call:\n{logs}"
    );
    assert!(
        !access.iter().any(|l| l["span"]["path"] == "/healthz"),
        "probes stay out of the info-level access log"
    );
    assert!(!logs.contains(ADMIN_TOKEN), "a token reached the logs");
}

#[test]
fn rust_log_replaces_the_configured_filter() {
    // With RUST_LOG=debug the probes' access lines appear; a bad RUST_LOG is named as such.
    let s = serve(&[
        ("CUSTODIA_LOG_FORMAT", "json"),
        ("RUST_LOG", "warn,custodia::access=debug"),
    ]);
    http_get(&s.addr, "/healthz", None);
    let logs = stop(s);
    assert!(logs.lines().any(|l| l.contains("\"/healthz\"")), "{logs}");
    assert!(
        !logs.contains("custodia serve listening"),
        "info lines are filtered out:\n{logs}"
    );
    let o = run(
        &[
            ("CUSTODIA_SECRETS_KEK", KEK),
            ("RUST_LOG", "info,=x=y"),
            ("CUSTODIA_SERVER_LISTEN", "127.0.0.1:0"),
        ],
        &["serve"],
    );
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        text(&o.stderr).contains("RUST_LOG `info,=x=y` is not a valid filter"),
        "{o:?}"
    );
}
