//! Load generator over HTTP/1.1 keep-alive on loopback, in two modes.
//!
//! **gateway** (default): the signed-request check (`POST /v1/gateway/verify`). Sets up its own
//! user, key and service token through the API with an admin token, then drives
//! `--connections` concurrent connections for `--duration` seconds, each request a fresh,
//! correctly signed and unique one (so none is a replay).
//!
//! **guard**: the threat-intelligence batch endpoints. Imports `--guard-addresses` synthetic
//! listed addresses and `--guard-domains` synthetic blocked hosts through the admin list
//! endpoints (unless `--skip-import`), creates a service token, then drives batches of
//! `--batch` items (`--kind addresses` → `POST /v1/guard/addresses/screen`, `--kind domains` →
//! `POST /v1/guard/domains/check`) with `--hit-percent` of the items listed (domains: as many
//! again are brand look-alikes or official sites, the rest unlisted random hosts). Every
//! response is checked: HTTP 200, no invalid item, and (addresses) exactly the expected number
//! listed.
//!
//! **login**: the login assessment (`POST /v1/login/assess`). Creates a service token, then each
//! connection sends logins of `--login-users` synthetic users (each from its own address and
//! device; `--failure-percent` of them wrong passwords). Every response must be HTTP 200 with
//! a decision; the mix of decisions is printed.
//!
//! ```text
//! custodia-loadgen --addr 127.0.0.1:8080 --admin-token TOKEN [--connections 32] [--duration 10]
//!                  [--warmup 2] [--threads 1]
//!                  [--mode gateway|guard] [--kind addresses|domains] [--batch 1000]
//!                  [--guard-addresses 1000000] [--guard-domains 300000] [--hit-percent 10]
//!                  [--seed 1] [--skip-import] [--login-users 10000] [--failure-percent 5]
//! ```
//! Prints requests/s (guard: checks/s) and latency percentiles (client-side, request written to
//! response read).

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
    mode: String,
    kind: String,
    batch: usize,
    guard_addresses: usize,
    guard_domains: usize,
    hit_percent: u32,
    seed: u64,
    skip_import: bool,
    login_users: u64,
    failure_percent: u64,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        addr: "127.0.0.1:8080".into(),
        admin: String::new(),
        connections: 32,
        duration: 10,
        warmup: 2,
        threads: 1,
        mode: "gateway".into(),
        kind: "addresses".into(),
        batch: 1000,
        guard_addresses: 1_000_000,
        guard_domains: 300_000,
        hit_percent: 10,
        seed: 1,
        skip_import: false,
        login_users: 10_000,
        failure_percent: 5,
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
            "--mode" => a.mode = v()?,
            "--kind" => a.kind = v()?,
            "--batch" => a.batch = v()?.parse()?,
            "--guard-addresses" => a.guard_addresses = v()?.parse()?,
            "--guard-domains" => a.guard_domains = v()?.parse()?,
            "--hit-percent" => a.hit_percent = v()?.parse()?,
            "--seed" => a.seed = v()?.parse()?,
            "--skip-import" => a.skip_import = true,
            "--login-users" => a.login_users = v()?.parse()?,
            "--failure-percent" => a.failure_percent = v()?.parse()?,
            other => bail!("unknown argument {other}"),
        }
    }
    if !matches!(a.mode.as_str(), "gateway" | "guard" | "login") {
        bail!("--mode must be gateway, guard or login");
    }
    if a.login_users == 0 || a.failure_percent > 100 {
        bail!("--login-users must be at least 1 and --failure-percent at most 100");
    }
    if !matches!(a.kind.as_str(), "addresses" | "domains") {
        bail!("--kind must be addresses or domains");
    }
    if a.batch == 0 || a.hit_percent > 100 {
        bail!("--batch must be at least 1 and --hit-percent at most 100");
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
        json!({"name": format!("bench-gw-{run}"), "role": "gateway"}),
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
    if a.mode == "guard" {
        return rt.block_on(guard::run(a));
    }
    if a.mode == "login" {
        return rt.block_on(login::run(a));
    }
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

/// `--mode login`.
mod login {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;

    #[derive(Default)]
    struct Tally {
        lat_us: Vec<u32>,
        decisions: BTreeMap<String, u64>,
        bad: u64,
        errors: u64,
    }

    fn body(a: &Args, n: u64) -> String {
        // A splitmix step spreads users and outcomes evenly whatever the request number.
        let mut z = n.wrapping_add(a.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let u = z % a.login_users;
        let outcome = if (z >> 32) % 100 < a.failure_percent {
            "failure"
        } else {
            "success"
        };
        json!({
            "user": format!("lg-{u}"),
            "ip": format!("10.{}.{}.{}", (u >> 16) & 255, (u >> 8) & 255, u & 255),
            "device_id": format!("dev-{u}"),
            "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "outcome": outcome,
        })
        .to_string()
    }

    async fn worker(
        a: Arc<Args>,
        token: Arc<String>,
        conn: u64,
        measure_from: Instant,
        until: Instant,
    ) -> Tally {
        let mut t = Tally::default();
        let Ok(mut c) = Conn::open(&a.addr).await else {
            t.errors += 1;
            return t;
        };
        let mut n = conn << 40;
        while Instant::now() < until {
            n += 1;
            let b = body(&a, n);
            let start = Instant::now();
            let r = c.call("POST", "/v1/login/assess", &token, &b).await;
            let lat = start.elapsed();
            if start < measure_from {
                continue;
            }
            match r {
                Ok((200, b)) => {
                    let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
                    match v["decision"].as_str() {
                        Some(d) => {
                            *t.decisions.entry(d.to_owned()).or_default() += 1;
                            t.lat_us
                                .push(lat.as_micros().min(u128::from(u32::MAX)) as u32);
                        }
                        None => t.bad += 1,
                    }
                }
                Ok((status, b)) => {
                    if t.bad == 0 {
                        eprintln!(
                            "first failed response: HTTP {status} {}",
                            String::from_utf8_lossy(&b)
                        );
                    }
                    t.bad += 1;
                }
                Err(_) => {
                    t.errors += 1;
                    match Conn::open(&a.addr).await {
                        Ok(nc) => c = nc,
                        Err(_) => break,
                    }
                }
            }
        }
        t
    }

    pub(super) async fn run(a: Args) -> anyhow::Result<()> {
        let mut c = Conn::open(&a.addr).await?;
        let run = SystemClock.now().as_millis();
        let op = json_call(
            &mut c,
            "POST",
            "/v1/operators",
            &a.admin,
            json!({"name": format!("bench-login-{run}"), "role": "service"}),
        )
        .await?;
        let token = Arc::new(op["token"].as_str().context("token")?.to_owned());
        let a = Arc::new(a);
        let measure_from = Instant::now() + Duration::from_secs(a.warmup);
        let until = measure_from + Duration::from_secs(a.duration);
        let tasks: Vec<_> = (0..a.connections as u64)
            .map(|i| tokio::spawn(worker(a.clone(), token.clone(), i, measure_from, until)))
            .collect();
        let mut all = Tally::default();
        for t in tasks {
            let t = t.await?;
            all.lat_us.extend(t.lat_us);
            for (k, v) in t.decisions {
                *all.decisions.entry(k).or_default() += v;
            }
            all.bad += t.bad;
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
        let done = all.lat_us.len();
        println!(
            "mode=login users={} failure_percent={} connections={} duration={}s warmup={}s client_threads={}",
            a.login_users, a.failure_percent, a.connections, a.duration, a.warmup, a.threads
        );
        println!(
            "assessed={done} decisions={:?} bad={} errors={}",
            all.decisions, all.bad, all.errors
        );
        println!("throughput={:.0} req/s", done as f64 / a.duration as f64);
        println!(
            "latency_ms p50={:.3} p90={:.3} p99={:.3} p99.9={:.3} max={:.3}",
            pct(0.50),
            pct(0.90),
            pct(0.99),
            pct(0.999),
            pct(1.0)
        );
        if all.bad > 0 || all.errors > 0 {
            bail!(
                "{} failed responses and {} connection errors: the benchmark is invalid",
                all.bad,
                all.errors
            );
        }
        Ok(())
    }
}

/// `--mode guard`.
mod guard {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use anyhow::{Context as _, bail};
    use custodia_events::{Clock, SystemClock};
    use custodia_guard::bench::{
        SplitMix, domain_queries, synthetic_address, synthetic_addresses, synthetic_domains,
    };
    use serde_json::{Value, json};

    use super::{Args, Conn, json_call};

    /// Distinct request bodies cycled through (built before the clock starts).
    const BODIES: usize = 256;

    struct Body {
        json: String,
        /// Listed items the response must report (addresses only).
        listed: Option<usize>,
    }

    async fn import(c: &mut Conn, a: &Args, path: &str, lines: String) -> anyhow::Result<Value> {
        let t = Instant::now();
        let mb = lines.len() as f64 / 1e6;
        let (status, b) = c.call("POST", path, &a.admin, &lines).await?;
        let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
        if status != 200 {
            bail!("POST {path}: HTTP {status}: {v}");
        }
        eprintln!(
            "imported {mb:.1} MB in {:.1} s: {}",
            t.elapsed().as_secs_f64(),
            v["totals"]
        );
        Ok(v)
    }

    fn bodies(a: &Args) -> Vec<Body> {
        let mut rng = SplitMix(a.seed ^ 0x10ad);
        if a.kind == "addresses" {
            let hit = |rng: &mut SplitMix| rng.below(100) < a.hit_percent as usize;
            // The same generator and seed as the import: entries[i] is listed.
            let listed = synthetic_addresses(a.guard_addresses.max(1), a.seed);
            (0..BODIES)
                .map(|_| {
                    let mut n = 0;
                    let items: Vec<String> = (0..a.batch)
                        .map(|_| {
                            if hit(&mut rng) {
                                n += 1;
                                listed[rng.below(listed.len())].address.canonical()
                            } else {
                                synthetic_address(&mut rng).canonical()
                            }
                        })
                        .collect();
                    Body {
                        json: json!({"addresses": items, "context": "withdrawal"}).to_string(),
                        listed: Some(n),
                    }
                })
                .collect()
        } else {
            // `--hit-percent` of the hosts are blocked ones (or their subdomains), as many again
            // are brand look-alikes or official sites (`domain_queries`' third class), the rest
            // unlisted random hosts (its second class).
            let blocked = synthetic_domains(a.guard_domains.max(1), a.seed ^ 0xd0);
            let mix = domain_queries(&blocked, 30_000, a.seed ^ 0xd1);
            let class = |k: usize| -> Vec<&str> {
                mix.iter()
                    .enumerate()
                    .filter(|(i, _)| i % 3 == k)
                    .map(|(_, q)| q.as_str())
                    .collect()
            };
            // Random names come from the same syllables as the blocklist: keep only the ones it
            // does not list, so "unlisted" means unlisted.
            let is_blocked: std::collections::HashSet<&str> =
                blocked.iter().map(String::as_str).collect();
            let (listed, brands) = (class(0), class(2));
            let unlisted: Vec<&str> = class(1)
                .into_iter()
                .filter(|h| !is_blocked.contains(h))
                .collect();
            (0..BODIES)
                .map(|_| {
                    let items: Vec<&str> = (0..a.batch)
                        .map(|_| {
                            let r = rng.below(100);
                            let p = a.hit_percent as usize;
                            let pool = if r < p {
                                &listed
                            } else if r < 2 * p {
                                &brands
                            } else {
                                &unlisted
                            };
                            pool[rng.below(pool.len())]
                        })
                        .collect();
                    Body {
                        json: json!({"hosts": items}).to_string(),
                        listed: None,
                    }
                })
                .collect()
        }
    }

    #[derive(Default)]
    struct Tally {
        lat_us: Vec<u32>,
        requests: u64,
        checks: u64,
        bad: u64,
        errors: u64,
    }

    /// The integer after the last `"key":` in a response body.
    fn tail_count(b: &[u8], key: &str) -> Option<usize> {
        let pat = format!("\"{key}\":");
        let text = std::str::from_utf8(&b[b.len().saturating_sub(256)..]).ok()?;
        let at = text.rfind(&pat)? + pat.len();
        let digits: String = text[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    }

    /// What every connection shares.
    struct Shared {
        addr: String,
        token: String,
        path: &'static str,
        bodies: Vec<Body>,
        measure_from: Instant,
        until: Instant,
        batch: usize,
    }

    async fn worker(sh: Arc<Shared>, start: usize) -> Tally {
        let mut t = Tally::default();
        let Ok(mut c) = Conn::open(&sh.addr).await else {
            t.errors += 1;
            return t;
        };
        let mut i = start;
        while Instant::now() < sh.until {
            let b = &sh.bodies[i % sh.bodies.len()];
            i += 1;
            let begin = Instant::now();
            let r = c.call("POST", sh.path, &sh.token, &b.json).await;
            let lat = begin.elapsed();
            if begin < sh.measure_from {
                continue;
            }
            match r {
                Ok((200, resp))
                    if tail_count(&resp, "invalid") == Some(0)
                        && b.listed
                            .is_none_or(|n| tail_count(&resp, "listed") == Some(n)) =>
                {
                    t.requests += 1;
                    t.checks += sh.batch as u64;
                    t.lat_us
                        .push(lat.as_micros().min(u128::from(u32::MAX)) as u32);
                }
                Ok((status, resp)) => {
                    if t.bad == 0 {
                        let tail = &resp[resp.len().saturating_sub(300)..];
                        eprintln!(
                            "unexpected response: HTTP {status} …{}",
                            String::from_utf8_lossy(tail)
                        );
                    }
                    t.bad += 1;
                }
                Err(_) => {
                    t.errors += 1;
                    match Conn::open(&sh.addr).await {
                        Ok(nc) => c = nc,
                        Err(_) => break,
                    }
                }
            }
        }
        t
    }

    fn metric(text: &str, name: &str) -> f64 {
        text.lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    pub(super) async fn run(a: Args) -> anyhow::Result<()> {
        let mut c = Conn::open(&a.addr).await?;
        if !a.skip_import {
            let entries = synthetic_addresses(a.guard_addresses, a.seed);
            let lines: String = entries
                .iter()
                .map(|e| e.address.canonical() + "\n")
                .collect();
            drop(entries);
            import(
                &mut c,
                &a,
                "/v1/admin/guard/lists/addresses?format=lines&source=loadgen&category=phishing",
                lines,
            )
            .await?;
            let lines: String = synthetic_domains(a.guard_domains, a.seed ^ 0xd0)
                .iter()
                .map(|h| format!("{h}\n"))
                .collect();
            import(
                &mut c,
                &a,
                "/v1/admin/guard/lists/domains?format=lines&source=loadgen",
                lines,
            )
            .await?;
        }
        let run = SystemClock.now().as_millis();
        let op = json_call(
            &mut c,
            "POST",
            "/v1/operators",
            &a.admin,
            json!({"name": format!("bench-guard-{run}"), "role": "service"}),
        )
        .await?;
        let token = op["token"].as_str().context("token")?.to_owned();
        let t = Instant::now();
        let bodies = bodies(&a);
        eprintln!(
            "{} request bodies of {} {} built in {:.1} s ({} bytes each on average)",
            bodies.len(),
            a.batch,
            a.kind,
            t.elapsed().as_secs_f64(),
            bodies.iter().map(|b| b.json.len()).sum::<usize>() / bodies.len()
        );
        let measure_from = Instant::now() + Duration::from_secs(a.warmup);
        let sh = Arc::new(Shared {
            addr: a.addr.clone(),
            token,
            path: if a.kind == "addresses" {
                "/v1/guard/addresses/screen"
            } else {
                "/v1/guard/domains/check"
            },
            bodies,
            measure_from,
            until: measure_from + Duration::from_secs(a.duration),
            batch: a.batch,
        });
        let mut tasks = Vec::new();
        for i in 0..a.connections {
            tasks.push(tokio::spawn(worker(sh.clone(), i * 7)));
        }
        let mut all = Tally::default();
        for t in tasks {
            let t = t.await?;
            all.lat_us.extend(t.lat_us);
            all.requests += t.requests;
            all.checks += t.checks;
            all.bad += t.bad;
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
        let secs = a.duration as f64;
        println!(
            "mode=guard kind={} batch={} hit_percent={} connections={} duration={}s warmup={}s client_threads={}",
            a.kind, a.batch, a.hit_percent, a.connections, a.duration, a.warmup, a.threads
        );
        println!(
            "requests={} checks={} bad={} errors={}",
            all.requests, all.checks, all.bad, all.errors
        );
        println!(
            "throughput={:.0} checks/s ({:.1} batches/s)",
            all.checks as f64 / secs,
            all.requests as f64 / secs
        );
        println!(
            "batch_latency_ms p50={:.3} p90={:.3} p99={:.3} p99.9={:.3} max={:.3}",
            pct(0.50),
            pct(0.90),
            pct(0.99),
            pct(0.999),
            pct(1.0)
        );
        let (status, m) = c.call("GET", "/metrics", &a.admin, "").await?;
        if status == 200 {
            let m = String::from_utf8_lossy(&m);
            println!(
                "server: guard_checks_total={} audit_events_written={} audit_events_dropped={}",
                metric(&m, "custodia_guard_checks_total"),
                metric(&m, "custodia_audit_events_written_total"),
                metric(&m, "custodia_audit_events_dropped_total"),
            );
        }
        if all.bad > 0 || all.errors > 0 {
            bail!(
                "{} wrong and {} failed requests: the benchmark is invalid",
                all.bad,
                all.errors
            );
        }
        Ok(())
    }
}
