//! Load generator for the signed-request check (`POST /v1/gateway/verify`) over HTTP/1.1
//! keep-alive on loopback. Sets up its own user, key and service token through the API with an
//! admin token, then drives `--connections` concurrent connections for `--duration` seconds,
//! each request a fresh, correctly signed and unique one (so none is a replay).
//!
//! ```text
//! custodia-loadgen --addr 127.0.0.1:8080 --admin-token TOKEN [--connections 32] [--duration 10]
//!                  [--warmup 2] [--threads 1]
//! ```
//! Prints requests/s and latency percentiles (client-side, request written to response read).

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use custodia_events::{Clock, SystemClock};
use custodia_keys::{TotpSeed, prehash, sign};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Args {
    addr: String,
    admin: String,
    connections: usize,
    duration: u64,
    warmup: u64,
    threads: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        addr: "127.0.0.1:8080".into(),
        admin: String::new(),
        connections: 32,
        duration: 10,
        warmup: 2,
        threads: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().with_context(|| format!("{k} needs a value"));
        match k.as_str() {
            "--addr" => a.addr = v()?,
            "--admin-token" => a.admin = v()?,
            "--connections" => a.connections = v()?.parse()?,
            "--duration" => a.duration = v()?.parse()?,
            "--warmup" => a.warmup = v()?.parse()?,
            "--threads" => a.threads = v()?.parse()?,
            other => bail!("unknown argument {other}"),
        }
    }
    if a.admin.is_empty() {
        a.admin = std::env::var("CUSTODIA_SECRETS_BOOTSTRAP_ADMIN_TOKEN")
            .context("--admin-token or CUSTODIA_SECRETS_BOOTSTRAP_ADMIN_TOKEN")?;
    }
    Ok(a)
}

/// A keep-alive HTTP/1.1 connection.
struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: &str) -> anyhow::Result<Self> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        Ok(Self {
            s,
            buf: Vec::with_capacity(4096),
        })
    }

    async fn call(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: &str,
    ) -> anyhow::Result<(u16, Vec<u8>)> {
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.s.write_all(req.as_bytes()).await?;
        self.buf.clear();
        let mut chunk = [0u8; 4096];
        let (head_end, len) = loop {
            let n = self.s.read(&mut chunk).await?;
            if n == 0 {
                bail!("connection closed");
            }
            self.buf.extend_from_slice(&chunk[..n]);
            if let Some(p) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..p])?;
                let len = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>())
                    })
                    .context("no content-length")??;
                break (p + 4, len);
            }
        };
        while self.buf.len() < head_end + len {
            let n = self.s.read(&mut chunk).await?;
            if n == 0 {
                bail!("connection closed mid-body");
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        let status: u16 = std::str::from_utf8(&self.buf[9..12])?.parse()?;
        Ok((status, self.buf[head_end..head_end + len].to_vec()))
    }
}

async fn json_call(
    c: &mut Conn,
    method: &str,
    path: &str,
    token: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let (status, b) = c.call(method, path, token, &body.to_string()).await?;
    let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
    if !(200..300).contains(&status) {
        bail!("{method} {path}: HTTP {status}: {v}");
    }
    Ok(v)
}

struct Setup {
    token: String,
    key: String,
    secret: String,
    passphrase: String,
}

async fn setup(a: &Args) -> anyhow::Result<Setup> {
    let mut c = Conn::open(&a.addr).await?;
    let run = SystemClock.now().as_millis();
    let user = format!("bench-{run}");
    let e = json_call(
        &mut c,
        "POST",
        &format!("/v1/users/{user}/totp"),
        &a.admin,
        json!({}),
    )
    .await?;
    let seed = TotpSeed::from_base32(e["secret_base32"].as_str().context("secret_base32")?)
        .context("seed")?;
    let passphrase = "Bench!Passphrase1".to_owned();
    let k = json_call(
        &mut c,
        "POST",
        &format!("/v1/users/{user}/api-keys"),
        &a.admin,
        json!({"totp_code": seed.code_at(SystemClock.now()), "label": "bench", "permissions": ["read", "trade"], "passphrase": passphrase}),
    )
    .await?;
    let op = json_call(
        &mut c,
        "POST",
        "/v1/operators",
        &a.admin,
        json!({"name": format!("bench-gw-{run}"), "role": "service"}),
    )
    .await?;
    Ok(Setup {
        token: op["token"].as_str().context("token")?.to_owned(),
        key: k["key_id"].as_str().context("key_id")?.to_owned(),
        secret: k["secret"].as_str().context("secret")?.to_owned(),
        passphrase,
    })
}

fn request(s: &Setup, conn: usize, n: u64) -> String {
    let ts = SystemClock.now().to_iso8601_millis();
    let path = format!("/api/v5/account/balance?ccy=BTC&c={conn}&n={n}");
    let sig = sign(s.secret.as_bytes(), &prehash(&ts, "GET", &path, ""));
    json!({
        "method": "GET",
        "path": path,
        "body": "",
        "client_ip": "203.0.113.50",
        "required_permission": "read",
        "headers": {"OK-ACCESS-KEY": s.key, "OK-ACCESS-SIGN": sig, "OK-ACCESS-TIMESTAMP": ts, "OK-ACCESS-PASSPHRASE": s.passphrase}
    })
    .to_string()
}

const ALLOW: &[u8] = b"\"decision\":\"allow\"";

#[derive(Default)]
struct Tally {
    lat_us: Vec<u32>,
    allowed: u64,
    denied: u64,
    errors: u64,
}

async fn worker(
    addr: String,
    s: std::sync::Arc<Setup>,
    conn: usize,
    measure_from: Instant,
    until: Instant,
) -> Tally {
    let mut t = Tally::default();
    let Ok(mut c) = Conn::open(&addr).await else {
        t.errors += 1;
        return t;
    };
    let mut n = 0u64;
    while Instant::now() < until {
        n += 1;
        let body = request(&s, conn, n);
        let start = Instant::now();
        let r = c.call("POST", "/v1/gateway/verify", &s.token, &body).await;
        let lat = start.elapsed();
        if start < measure_from {
            continue;
        }
        match r {
            Ok((200, b)) if b.windows(ALLOW.len()).any(|w| w == ALLOW) => {
                t.allowed += 1;
                t.lat_us
                    .push(lat.as_micros().min(u128::from(u32::MAX)) as u32);
            }
            Ok((status, b)) => {
                if t.denied == 0 {
                    eprintln!(
                        "first non-allow response: HTTP {status} {}",
                        String::from_utf8_lossy(&b)
                    );
                }
                t.denied += 1;
            }
            Err(_) => {
                t.errors += 1;
                match Conn::open(&addr).await {
                    Ok(nc) => c = nc,
                    Err(_) => break,
                }
            }
        }
    }
    t
}

fn main() -> anyhow::Result<()> {
    let a = args()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.threads.max(1))
        .enable_all()
        .build()?;
    rt.block_on(async {
        let s = std::sync::Arc::new(setup(&a).await?);
        let measure_from = Instant::now() + Duration::from_secs(a.warmup);
        let until = measure_from + Duration::from_secs(a.duration);
        let mut tasks = Vec::new();
        for i in 0..a.connections {
            tasks.push(tokio::spawn(worker(
                a.addr.clone(),
                s.clone(),
                i,
                measure_from,
                until,
            )));
        }
        let mut all = Tally::default();
        for t in tasks {
            let t = t.await?;
            all.lat_us.extend(t.lat_us);
            all.allowed += t.allowed;
            all.denied += t.denied;
            all.errors += t.errors;
        }
        all.lat_us.sort_unstable();
        let pct = |p: f64| -> f64 {
            if all.lat_us.is_empty() {
                return 0.0;
            }
            let i = ((all.lat_us.len() as f64 * p).ceil() as usize).clamp(1, all.lat_us.len()) - 1;
            f64::from(all.lat_us[i]) / 1000.0
        };
        let rps = all.allowed as f64 / a.duration as f64;
        println!(
            "connections={} duration={}s warmup={}s client_threads={}",
            a.connections, a.duration, a.warmup, a.threads
        );
        println!(
            "allowed={} denied={} errors={}",
            all.allowed, all.denied, all.errors
        );
        println!("throughput={rps:.0} req/s");
        println!(
            "latency_ms p50={:.3} p90={:.3} p99={:.3} p99.9={:.3} max={:.3}",
            pct(0.50),
            pct(0.90),
            pct(0.99),
            pct(0.999),
            pct(1.0)
        );
        if all.denied > 0 || all.errors > 0 {
            bail!(
                "{} denied and {} failed requests: the benchmark is invalid",
                all.denied,
                all.errors
            );
        }
        Ok(())
    })
}
