//! Load generator over HTTP/1.1 keep-alive on loopback, in four modes sharing one driver
//! (`--connections` keep-alive connections for `--warmup` + `--duration` seconds, latency from
//! request written to response read, every response judged by the mode).
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
//! connection sends logins of `--login-users` synthetic users (each from its own address, /24
//! and device; `--failure-percent` of them wrong passwords). Every response must be HTTP 200 with
//! a decision; the mix of decisions is printed.
//!
//! **protect**: the derivatives order check (`POST /v1/protect/orders/check`). Starts a
//! 30-day cooling-off for every tenth of `--protect-users` synthetic accounts (unless
//! `--skip-import`), creates a service token, then sends orders that open or add to a
//! position from every channel (one in seven reduce-only). An order that adds risk for an
//! account in a cooling-off must come back `deny` with reason `cooling_off`, a reduce-only one
//! must pass; anything else is an invalid run.
//!
//! ```text
//! custodia-loadgen --addr 127.0.0.1:8080 --admin-token TOKEN [--connections 32] [--duration 10]
//!                  [--warmup 2] [--threads 1]
//!                  [--mode gateway|guard|login|protect] [--kind addresses|domains] [--batch 1000]
//!                  [--guard-addresses 1000000] [--guard-domains 300000] [--hit-percent 10]
//!                  [--seed 1] [--skip-import] [--login-users 10000] [--failure-percent 5]
//!                  [--protect-users 10000]
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
    protect_users: u64,
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
        protect_users: 10_000,
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
            "--protect-users" => a.protect_users = v()?.parse()?,
            other => bail!("unknown argument {other}"),
        }
    }
    if !matches!(a.mode.as_str(), "gateway" | "guard" | "login" | "protect") {
        bail!("--mode must be gateway, guard, login or protect");
    }
    if a.login_users == 0 || a.failure_percent > 100 {
        bail!("--login-users must be at least 1 and --failure-percent at most 100");
    }
    if a.protect_users == 0 {
        bail!("--protect-users must be at least 1");
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

/// One request a mode wants sent, and what its answer must show.
struct Req<'a> {
    body: std::borrow::Cow<'a, str>,
    /// Listed items the response must report (guard addresses).
    listed: Option<usize>,
    /// A number the mode gives itself for judging (protect: the account's index).
    tag: u64,
}

/// What each mode plugs into the shared driver.
trait Load: Send + Sync + 'static {
    /// The endpoint.
    fn path(&self) -> &str;
    /// The bearer token.
    fn token(&self) -> &str;
    /// Request `n` of connection `conn`.
    fn request(&self, conn: usize, n: u64) -> Req<'_>;
    /// A good answer's label (counted), or why it is wrong.
    fn judge(&self, req: &Req<'_>, status: u16, body: &[u8]) -> Result<String, String>;
    /// Items checked per request (a guard batch), for the items/s figure.
    fn items(&self) -> u64 {
        1
    }
}

#[derive(Default)]
struct Tally {
    lat_us: Vec<u32>,
    labels: std::collections::BTreeMap<String, u64>,
    bad: u64,
    errors: u64,
}

async fn worker<L: Load>(
    addr: String,
    load: std::sync::Arc<L>,
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
        let req = load.request(conn, n);
        let start = Instant::now();
        let r = c.call("POST", load.path(), load.token(), &req.body).await;
        let lat = start.elapsed();
        if start < measure_from {
            continue;
        }
        match r {
            Ok((status, b)) => match load.judge(&req, status, &b) {
                Ok(label) => {
                    *t.labels.entry(label).or_default() += 1;
                    t.lat_us
                        .push(lat.as_micros().min(u128::from(u32::MAX)) as u32);
                }
                Err(why) => {
                    if t.bad == 0 {
                        eprintln!("first wrong response: HTTP {status}: {why}");
                    }
                    t.bad += 1;
                }
            },
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

/// Drives `load` over `--connections` connections and prints the figures every mode prints;
/// fails when any answer was wrong or any connection broke (the run is invalid then).
async fn drive<L: Load>(a: &Args, load: L, unit: &str) -> anyhow::Result<()> {
    let load = std::sync::Arc::new(load);
    let measure_from = Instant::now() + Duration::from_secs(a.warmup);
    let until = measure_from + Duration::from_secs(a.duration);
    let tasks: Vec<_> = (0..a.connections)
        .map(|i| tokio::spawn(worker(a.addr.clone(), load.clone(), i, measure_from, until)))
        .collect();
    let mut all = Tally::default();
    for t in tasks {
        let t = t.await?;
        all.lat_us.extend(t.lat_us);
        for (k, v) in t.labels {
            *all.labels.entry(k).or_default() += v;
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
    let done = all.lat_us.len() as u64;
    let secs = a.duration as f64;
    println!(
        "mode={} connections={} duration={}s warmup={}s client_threads={}",
        a.mode, a.connections, a.duration, a.warmup, a.threads
    );
    println!(
        "requests={done} answers={:?} wrong={} errors={}",
        all.labels, all.bad, all.errors
    );
    if load.items() == 1 {
        println!("throughput={:.0} {unit}/s", done as f64 / secs);
    } else {
        println!(
            "throughput={:.0} {unit}/s ({:.1} requests/s)",
            (done * load.items()) as f64 / secs,
            done as f64 / secs
        );
    }
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
            "{} wrong answers and {} connection errors: the benchmark is invalid",
            all.bad,
            all.errors
        );
    }
    Ok(())
}

/// A service operator's token, created through the admin API.
async fn operator(a: &Args, c: &mut Conn, role: &str) -> anyhow::Result<String> {
    let run = SystemClock.now().as_millis();
    let op = json_call(
        c,
        "POST",
        "/v1/operators",
        &a.admin,
        json!({"name": format!("bench-{}-{run}", a.mode), "role": role}),
    )
    .await?;
    Ok(op["token"].as_str().context("token")?.to_owned())
}

/// The value after `"key":"` in a JSON body.
fn field<'b>(b: &'b [u8], key: &str) -> Option<&'b str> {
    let text = std::str::from_utf8(b).ok()?;
    let pat = format!("\"{key}\":\"");
    let at = text.find(&pat)? + pat.len();
    let end = text[at..].find('"')?;
    Some(&text[at..at + end])
}

/// `--mode gateway`.
struct Gateway(Setup);

impl Load for Gateway {
    fn path(&self) -> &str {
        "/v1/gateway/verify"
    }
    fn token(&self) -> &str {
        &self.0.token
    }
    fn request(&self, conn: usize, n: u64) -> Req<'_> {
        Req {
            body: request(&self.0, conn, n).into(),
            listed: None,
            tag: 0,
        }
    }
    fn judge(&self, _: &Req<'_>, status: u16, b: &[u8]) -> Result<String, String> {
        match (status, field(b, "decision")) {
            (200, Some("allow")) => Ok("allow".into()),
            _ => Err(String::from_utf8_lossy(b).into_owned()),
        }
    }
}

fn main() -> anyhow::Result<()> {
    let a = args()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.threads.max(1))
        .enable_all()
        .build()?;
    rt.block_on(async {
        match a.mode.as_str() {
            "guard" => guard::run(&a).await,
            "login" => login::run(&a).await,
            "protect" => protect::run(&a).await,
            _ => {
                let s = setup(&a).await?;
                drive(&a, Gateway(s), "req").await
            }
        }
    })
}

/// `--mode login`.
mod login {
    use super::*;

    struct Login {
        token: String,
        users: u64,
        failure_percent: u64,
        seed: u64,
    }

    impl Load for Login {
        fn path(&self) -> &str {
            "/v1/login/assess"
        }
        fn token(&self) -> &str {
            &self.token
        }
        fn request(&self, conn: usize, n: u64) -> Req<'_> {
            // A splitmix step spreads users and outcomes evenly whatever the request number.
            let n = ((conn as u64) << 40) + n;
            let mut z = n.wrapping_add(self.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            let u = z % self.users;
            let outcome = if (z >> 32) % 100 < self.failure_percent {
                "failure"
            } else {
                "success"
            };
            let body = json!({
                "user": format!("lg-{u}"),
                // Each user on a network of its own (a /24 per user for up to 65,536 users),
                // as home users are: a shared /24 would collect every user's occasional typo
                // and, rightly, be treated as a spraying source.
                "ip": format!("10.{}.{}.{}", (u >> 8) & 255, u & 255, 1 + ((u >> 16) & 127)),
                "device_id": format!("dev-{u}"),
                "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "outcome": outcome,
            })
            .to_string();
            Req {
                body: body.into(),
                listed: None,
                tag: u,
            }
        }
        fn judge(&self, _: &Req<'_>, status: u16, b: &[u8]) -> Result<String, String> {
            match (status, field(b, "decision")) {
                (200, Some(d)) => Ok(d.to_owned()),
                _ => Err(String::from_utf8_lossy(b).into_owned()),
            }
        }
    }

    pub(super) async fn run(a: &Args) -> anyhow::Result<()> {
        let mut c = Conn::open(&a.addr).await?;
        let token = operator(a, &mut c, "service").await?;
        println!(
            "users={} failure_percent={}",
            a.login_users, a.failure_percent
        );
        let load = Login {
            token,
            users: a.login_users,
            failure_percent: a.failure_percent,
            seed: a.seed,
        };
        drive(a, load, "req").await
    }
}

/// `--mode protect`.
mod protect {
    use super::*;

    const CHANNELS: [&str; 8] = [
        "web",
        "app",
        "api",
        "websocket",
        "bot",
        "copy_trading",
        "broker_oauth",
        "strategy",
    ];

    struct Protect {
        token: String,
        users: u64,
        seed: u64,
    }

    fn cooled(u: u64) -> bool {
        u.is_multiple_of(10)
    }

    impl Load for Protect {
        fn path(&self) -> &str {
            "/v1/protect/orders/check"
        }
        fn token(&self) -> &str {
            &self.token
        }
        fn request(&self, conn: usize, n: u64) -> Req<'_> {
            let n = ((conn as u64) << 40) + n;
            let mut z = n.wrapping_add(self.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            let u = z % self.users;
            let reduce = (z >> 40).is_multiple_of(7);
            let side = if reduce { "sell" } else { "buy" };
            let body = json!({
                "user": format!("pu-{u}"),
                "channel": CHANNELS[((z >> 32) % 8) as usize],
                "product": "perpetual",
                "instrument": "BTC-USDT-SWAP",
                "side": side,
                "pos_side": "net",
                "size": "1",
                "reduce_only": reduce,
                "position": "2",
                "leverage": "3",
                "position_usd_cents": 100_000,
                "order_usd_cents": 50_000,
            })
            .to_string();
            // The tag: the account, and whether the order only reduces (top bit).
            Req {
                body: body.into(),
                listed: None,
                tag: u | (u64::from(reduce) << 63),
            }
        }
        fn judge(&self, req: &Req<'_>, status: u16, b: &[u8]) -> Result<String, String> {
            let (u, reduce) = (req.tag & !(1 << 63), req.tag >> 63 == 1);
            let d = match (status, field(b, "decision")) {
                (200, Some(d)) => d,
                _ => return Err(String::from_utf8_lossy(b).into_owned()),
            };
            let says_cooling = field(b, "code") == Some("cooling_off");
            match (cooled(u) && !reduce, d, says_cooling) {
                (true, "deny", true) => Ok("deny_cooling_off".into()),
                (false, _, false) if !(reduce && d != "allow") => Ok(d.to_owned()),
                _ => Err(format!(
                    "account pu-{u} (cooling-off: {}, reduce-only: {reduce}) got {}",
                    cooled(u),
                    String::from_utf8_lossy(b)
                )),
            }
        }
    }

    pub(super) async fn run(a: &Args) -> anyhow::Result<()> {
        let mut c = Conn::open(&a.addr).await?;
        let token = operator(a, &mut c, "service").await?;
        if !a.skip_import {
            let t = Instant::now();
            let mut n = 0;
            for u in (0..a.protect_users).filter(|u| cooled(*u)) {
                json_call(
                    &mut c,
                    "PUT",
                    &format!("/v1/protect/users/pu-{u}/cooling-off"),
                    &token,
                    json!({"days": 30}),
                )
                .await?;
                n += 1;
            }
            eprintln!(
                "{n} cooling-offs started in {:.1} s",
                t.elapsed().as_secs_f64()
            );
        }
        println!(
            "users={} in_cooling_off=1/10 reduce_only=1/7",
            a.protect_users
        );
        let load = Protect {
            token,
            users: a.protect_users,
            seed: a.seed,
        };
        drive(a, load, "checks").await
    }
}

/// `--mode guard`.
mod guard {
    use std::time::Instant;

    use anyhow::{Context as _, bail};
    use custodia_events::{Clock, SystemClock};
    use custodia_guard::bench::{
        SplitMix, domain_queries, synthetic_address, synthetic_addresses, synthetic_domains,
    };
    use serde_json::{Value, json};

    use super::{Args, Conn, Load, Req, drive, json_call};

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

    struct Guard {
        token: String,
        path: &'static str,
        bodies: Vec<Body>,
        batch: usize,
    }

    impl Load for Guard {
        fn path(&self) -> &str {
            self.path
        }
        fn token(&self) -> &str {
            &self.token
        }
        fn request(&self, conn: usize, n: u64) -> Req<'_> {
            let b = &self.bodies[(conn * 7 + n as usize) % self.bodies.len()];
            Req {
                body: b.json.as_str().into(),
                listed: b.listed,
                tag: 0,
            }
        }
        fn judge(&self, req: &Req<'_>, status: u16, resp: &[u8]) -> Result<String, String> {
            if status == 200
                && tail_count(resp, "invalid") == Some(0)
                && req
                    .listed
                    .is_none_or(|n| tail_count(resp, "listed") == Some(n))
            {
                return Ok("ok".into());
            }
            let tail = &resp[resp.len().saturating_sub(300)..];
            Err(format!("…{}", String::from_utf8_lossy(tail)))
        }
        fn items(&self) -> u64 {
            self.batch as u64
        }
    }

    fn metric(text: &str, name: &str) -> f64 {
        text.lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    pub(super) async fn run(a: &Args) -> anyhow::Result<()> {
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
                a,
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
                a,
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
        let bodies = bodies(a);
        eprintln!(
            "{} request bodies of {} {} built in {:.1} s ({} bytes each on average)",
            bodies.len(),
            a.batch,
            a.kind,
            t.elapsed().as_secs_f64(),
            bodies.iter().map(|b| b.json.len()).sum::<usize>() / bodies.len()
        );
        println!(
            "kind={} batch={} hit_percent={}",
            a.kind, a.batch, a.hit_percent
        );
        let load = Guard {
            token,
            path: if a.kind == "addresses" {
                "/v1/guard/addresses/screen"
            } else {
                "/v1/guard/domains/check"
            },
            bodies,
            batch: a.batch,
        };
        let result = drive(a, load, "checks").await;
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
        result
    }
}
