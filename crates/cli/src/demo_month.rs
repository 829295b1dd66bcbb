//! `custodia demo`'s month: an exchange's calendar month played through the real services.
//!
//! The service runs in this process exactly as `custodia serve` wires it (the same `Services`,
//! router and SQLite store under the demo folder) except for two ports: a manual clock the
//! simulation moves through the month, and seeded entropy, so one seed gives one event log and
//! one report. The exchange's side talks to it over HTTP on 127.0.0.1 like a real back end,
//! gateway and admin console would. Nothing here decides anything: every verdict counted in
//! [`MonthFacts`] is the one the service answered.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use custodia_api::{Config, Limits, Services};
use custodia_events::{CheckpointKey, Clock as _, ManualClock, SeededEntropy, Timestamp};
use custodia_keys::{Kek, Role, SecretString, TotpSeed, create_operator, prehash, sign};
use custodia_report::Month;
use custodia_store::Store;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::output::Output;

/// The demo's configuration file (written next to the store so the printed follow-up commands
/// read the same store).
pub const CONFIG_FILE: &str = "custodia.toml";
/// The checkpoint signing key the month's log is anchored with.
pub const CHECKPOINT_KEY_FILE: &str = "checkpoint.key";

const ADMIN: &str = "demo-admin-token-0000000000000000000000000001";
const ADMIN2: &str = "demo-admin-token-0000000000000000000000000002";
const BACKEND: &str = "demo-backend-token-00000000000000000000000001";
const GATEWAY: &str = "demo-gateway-token-00000000000000000000000001";

const DAY_MS: i64 = 86_400_000;
const POOL: &str = "swap:BTC-USDT:USDT";

/// What the month's clients were told by the service, counted from its answers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MonthFacts {
    /// The month simulated (`YYYY-MM`).
    pub month: String,
    /// Users active in the month.
    pub users: usize,
    /// Login assessments answered.
    pub logins: u64,
    /// Logins answered `step_up`.
    pub logins_stepped_up: u64,
    /// Logins answered `block`.
    pub logins_blocked: u64,
    /// Failed logins of the credential-stuffing wave.
    pub stuffing_attempts: u64,
    /// Failed logins of the password-spraying wave.
    pub spraying_attempts: u64,
    /// Takeover attempts (a stolen password from far away on a new device).
    pub takeover_attempts: u64,
    /// Withdrawals screened.
    pub withdrawals: u64,
    /// Withdrawals answered `hold` or `block`.
    pub withdrawals_intercepted: u64,
    /// Withdrawals to a listed phishing address.
    pub phishing_withdrawals: u64,
    /// Withdrawals to an address-poisoning look-alike.
    pub poisoned_withdrawals: u64,
    /// API keys created.
    pub keys_created: u64,
    /// API keys created bound to IP addresses.
    pub keys_ip_bound: u64,
    /// Signed requests the gateway check allowed.
    pub gateway_allowed: u64,
    /// Keys expired by the idle purges.
    pub keys_purged: u64,
    /// Users who started a cooling-off.
    pub cooling_off_users: u64,
    /// Orders denied during a cooling-off.
    pub orders_blocked: u64,
    /// Deposits diagnosed.
    pub deposits: u64,
    /// Deposits diagnosed as wrong (network, memo, token…).
    pub wrong_deposits: u64,
    /// Recovery cases opened.
    pub cases_opened: u64,
    /// Cases recovered or credited.
    pub cases_recovered: u64,
    /// Cases rejected.
    pub cases_rejected: u64,
    /// Liquidations applied.
    pub liquidations: u64,
    /// Positions the ADL closed.
    pub positions_deleveraged: u64,
    /// Tokens assessed before listing.
    pub tokens_assessed: u64,
    /// Tokens the assessment rated medium risk or above.
    pub tokens_flagged: u64,
    /// Of which honeypots (could not be sold in the simulation).
    pub tokens_honeypots: u64,
    /// Addresses the feeds added, by category.
    pub addresses_listed: u64,
    /// Hosts the feeds added to the blocklist.
    pub domains_listed: u64,
    /// Hosts checked by the browser extension and the web back end.
    pub domains_checked: u64,
    /// Of which an alert was raised.
    pub domain_alerts: u64,
    /// The event log's head at the end of the month.
    pub head_seq: u64,
}

/// Where the simulated month left its files.
pub struct Simulated {
    /// What the services answered.
    pub facts: MonthFacts,
    /// The configuration file for follow-up commands.
    pub config: PathBuf,
    /// The checkpoint key's public half.
    pub checkpoint_public: String,
}

/// A small deterministic generator (SplitMix64): the demo needs no statistics, only the same
/// choices for the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// An HTTP/1.1 client of the in-process service: one connection per request (`Connection:
/// close`, read to the end), so no request is ever sent twice and no answer is mixed with the
/// next one's. Loopback connections cost microseconds.
struct Http {
    addr: String,
}

impl Http {
    async fn call(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: &str,
    ) -> Result<(u16, Value)> {
        let mut s = TcpStream::connect(&self.addr)
            .await
            .with_context(|| format!("connecting to the demo service at {}", self.addr))?;
        s.set_nodelay(true)?;
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: demo\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).await?;
        let mut buf = Vec::with_capacity(4096);
        s.read_to_end(&mut buf).await?;
        let p = buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .with_context(|| format!("{method} {path}: no complete answer"))?;
        let head = std::str::from_utf8(&buf[..p])?.to_ascii_lowercase();
        let status: u16 = head
            .get(9..12)
            .context("short status line")?
            .parse()
            .context("status code")?;
        let raw = &buf[p + 4..];
        let body = if head.contains("transfer-encoding: chunked") {
            dechunk(raw).with_context(|| format!("{method} {path}: bad chunked answer"))?
        } else {
            raw.to_vec()
        };
        Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
    }
}

/// The body of a `Transfer-Encoding: chunked` answer.
fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = raw.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&raw[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        raw = &raw[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}

/// The month's driver: the service's handle (to flush its event writer between requests, so the
/// log's order is the order of the requests), the clock and the client.
struct Sim {
    services: Services<Store>,
    clock: ManualClock,
    http: Http,
    rng: Rng,
    facts: MonthFacts,
    /// Users who started a cooling-off this month.
    cooling: std::collections::BTreeSet<String>,
}

impl Sim {
    /// One request at the current simulated time. Anything but 2xx is an error naming the
    /// endpoint and the service's answer, except the statuses the caller expects.
    async fn call(&mut self, method: &str, path: &str, token: &str, body: Value) -> Result<Value> {
        let (status, v) = self.call_any(method, path, token, body).await?;
        if !(200..300).contains(&status) {
            bail!("{method} {path}: HTTP {status}: {v}");
        }
        Ok(v)
    }

    async fn call_any(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: Value,
    ) -> Result<(u16, Value)> {
        let text = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let r = self.http.call(method, path, token, &text).await?;
        // Decisions without a state change of their own go through the batched writer: wait for
        // them so the next request's events come after them in the log.
        self.services.recorder.flush().await;
        Ok(r)
    }

    fn at(&self, t: Timestamp) {
        if t.as_millis() > self.clock.now().as_millis() {
            self.clock.set(t);
        }
    }

    fn tick(&self, ms: i64) {
        self.clock.advance_millis(ms);
    }
}

fn user(i: usize) -> String {
    format!("user{i:05}")
}

/// A home address of user `i`: one /24 per country block, so users of one country share
/// networks like real ISPs' customers.
fn home_ip(i: usize) -> String {
    let country = i % 4;
    format!("10.{}.{}.{}", country, (i / 250) % 250, i % 250 + 1)
}

fn evm(tag: u64, n: u64) -> String {
    format!("0x{tag:08x}{n:032x}")
}

/// The address ranges the login defence knows (a real deployment points at MaxMind files):
/// four home countries, and the networks attacks come from.
const GEO_RANGES: &str = "start,end,country,asn,lat,lon,kinds
10.0.0.0,10.0.255.255,DE,3320,52.52,13.40,
10.1.0.0,10.1.255.255,FR,3215,48.86,2.35,
10.2.0.0,10.2.255.255,GB,2856,51.51,-0.13,
10.3.0.0,10.3.255.255,SG,9506,1.35,103.82,
100.64.0.0,100.64.255.255,BR,28573,-23.55,-46.63,hosting
100.65.0.0,100.65.255.255,US,16509,39.04,-77.49,hosting
100.66.0.0,100.66.0.255,NL,60729,52.37,4.90,tor
";

fn config_text(dir: &Path, seed: u64) -> String {
    let store = dir.join("store.db");
    let kek = hex::encode(sha2_seed(seed, b"demo-kek"));
    format!(
        "# Written by `custodia demo`: the demo month's store and keys. Not for production.\n\
         [server]\nlisten = \"127.0.0.1:8080\"\n\n\
         [store]\nurl = \"sqlite://{}\"\n\n\
         [secrets]\nkek = \"{kek}\"\nbootstrap_admin_token = \"{ADMIN}\"\n\n\
         [login]\ngeo_ranges = \"{}\"\n\n\
         [audit]\ncheckpoint_key_file = \"{}\"\n\n\
         [console]\nreports_dir = \"{}\"\n",
        toml_path(&store),
        toml_path(&dir.join("geo-ranges.csv")),
        toml_path(&dir.join(CHECKPOINT_KEY_FILE)),
        toml_path(&dir.parent().unwrap_or(dir).join("report")),
    )
}

fn toml_path(p: &Path) -> String {
    std::path::absolute(p)
        .unwrap_or_else(|_| p.to_owned())
        .display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
}

fn sha2_seed(seed: u64, tag: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(tag);
    h.update(seed.to_le_bytes());
    h.finalize().into()
}

fn write_key_file(path: &Path, text: &str) -> Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    let mut f = o
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// Plays `month` for `users` users through the service; the store, configuration and keys are
/// written under `dir` (which must exist and hold no store yet).
pub fn simulate(
    dir: &Path,
    month: Month,
    users: usize,
    seed: u64,
    out: &Output,
) -> Result<Simulated> {
    std::fs::write(dir.join("geo-ranges.csv"), GEO_RANGES)?;
    let key = CheckpointKey::from_seed(&sha2_seed(seed, b"demo-checkpoint"));
    write_key_file(&dir.join(CHECKPOINT_KEY_FILE), &key.to_key_file_text())?;
    let text = config_text(dir, seed);
    let config_path = dir.join(CONFIG_FILE);
    std::fs::write(&config_path, &text)?;
    let config = Config::from_parts(&text, Vec::<(String, String)>::new())
        .context("the demo's configuration")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let facts = rt.block_on(run_month(config, &key, month, users.max(8), seed, out))?;
    Ok(Simulated {
        facts,
        config: config_path,
        checkpoint_public: key.public().to_hex(),
    })
}

async fn run_month(
    config: Config,
    key: &CheckpointKey,
    month: Month,
    users: usize,
    seed: u64,
    out: &Output,
) -> Result<MonthFacts> {
    let store = Store::open(config.store.url.expose(), config.store.max_connections)
        .await
        .context("opening the demo store")?;
    let clock = ManualClock::new(month.start());
    let entropy = SeededEntropy::new(seed);
    for (name, role, token) in [
        ("demo-admin", Role::Admin, ADMIN),
        ("demo-admin-2", Role::Admin, ADMIN2),
        ("demo-backend", Role::Service, BACKEND),
        ("demo-gateway", Role::Gateway, GATEWAY),
    ] {
        create_operator(
            &store,
            &clock,
            &entropy,
            "system:demo",
            name,
            role,
            Some(&SecretString::new(token)),
        )
        .await
        .with_context(|| format!("creating operator {name}"))?;
    }
    let kek = Kek::parse(config.secrets.kek.as_ref().context("secrets.kek")?)?;
    let services = Services::new(
        store.clone(),
        Arc::new(clock.clone()),
        Arc::new(SeededEntropy::new(seed ^ 0x5eed)),
        kek,
        &config,
        None,
        crate::serve::login_intel,
    );
    services
        .fund
        .service
        .ensure_pools()
        .await
        .context("creating the fund pools")?;
    services
        .guard
        .reload()
        .await
        .context("loading the guard's lists")?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(custodia_api::serve(
        listener,
        services.router(),
        Limits::from_config(&config.server),
        async move {
            let _ = stop_rx.wait_for(|s| *s).await;
        },
    ));
    let mut sim = Sim {
        services,
        clock,
        http: Http { addr },
        rng: Rng(seed ^ 0x6d_6f6e_7468),
        facts: MonthFacts {
            month: month.to_string(),
            users,
            ..MonthFacts::default()
        },
        cooling: Default::default(),
    };
    let r = play(&mut sim, month, users, out).await;
    sim.services.flush().await;
    // The month closes with a signed checkpoint of the log's head, as `serve`'s anchoring does.
    sim.at(Timestamp::from_millis(month.end().as_millis() - 1));
    custodia_events::write_checkpoint(&store, key, &sim.clock)
        .await
        .context("signing the month's checkpoint")?;
    let _ = stop_tx.send(true);
    let _ = server.await;
    sim.facts.head_seq = custodia_events::EventReader::head(&store).await?.0;
    store.close().await;
    r?;
    Ok(sim.facts)
}

/// An API key a user's bot holds.
struct ApiKey {
    key_id: String,
    secret: String,
    passphrase: String,
}

async fn play(sim: &mut Sim, month: Month, users: usize, out: &Output) -> Result<()> {
    let start = month.start().as_millis();
    let days = ((month.end().as_millis() - start) / DAY_MS) as usize;
    let t = std::time::Instant::now();
    feeds(sim, 1).await?;
    setup_accounts(sim, users).await?;
    out.note(format!(
        "  {:<28} {:>8.2} s  {} users, {} addresses and {} hosts from the feeds",
        "month: accounts and feeds",
        t.elapsed().as_secs_f64(),
        users,
        sim.facts.addresses_listed,
        sim.facts.domains_listed
    ));
    let t = std::time::Instant::now();
    let bar = out.bar(days as u64, "days of the month");
    let mut keys: Vec<(usize, ApiKey)> = Vec::new();
    let crash_day = days / 2 + 2;
    for day in 0..days {
        let base = start + day as i64 * DAY_MS;
        sim.at(Timestamp::from_millis(base + 6 * 3_600_000));
        if day == 14 {
            feeds(sim, 2).await?;
        }
        logins(sim, users, day).await?;
        match day {
            3 => stuffing(sim, users).await?,
            9 => spraying(sim, users).await?,
            _ => {}
        }
        if day % 6 == 5 {
            takeover(sim, users, day).await?;
        }
        if day < 8 {
            create_keys(sim, users, day, &mut keys).await?;
        }
        use_keys(sim, &keys, day).await?;
        withdrawals(sim, users, day).await?;
        deposits(sim, users, day).await?;
        derivatives(sim, users, day).await?;
        liquidations(sim, day, day == crash_day).await?;
        if day % 4 == 1 {
            tokens(sim, day).await?;
        }
        domain_checks(sim, users, day).await?;
        // The idle purge runs once a day, as `serve` schedules it.
        sim.at(Timestamp::from_millis(base + 23 * 3_600_000));
        let r = sim
            .call("POST", "/v1/admin/keys/purge", ADMIN, Value::Null)
            .await?;
        sim.facts.keys_purged += r["expired"].as_u64().unwrap_or(0);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let f = &sim.facts;
    out.note(format!(
        "  {:<28} {:>8.2} s  {} logins ({} stepped up, {} blocked), {} withdrawals ({} stopped), {} keys ({} purged idle)",
        "month: the exchange's days",
        t.elapsed().as_secs_f64(),
        f.logins,
        f.logins_stepped_up,
        f.logins_blocked,
        f.withdrawals,
        f.withdrawals_intercepted,
        f.keys_created,
        f.keys_purged
    ));
    out.note(format!(
        "  {:<28} {:>8} {}  {} liquidations ({} positions deleveraged), {} deposits ({} wrong, {} cases), {} tokens ({} flagged), {} orders blocked",
        "",
        "",
        " ",
        f.liquidations,
        f.positions_deleveraged,
        f.deposits,
        f.wrong_deposits,
        f.cases_opened,
        f.tokens_assessed,
        f.tokens_flagged,
        f.orders_blocked
    ));
    Ok(())
}

/// Threat-intelligence feeds: phishing and sanctioned addresses, phishing hosts.
async fn feeds(sim: &mut Sim, wave: u64) -> Result<()> {
    let date = sim.clock.now().to_iso8601_millis()[..10].to_owned();
    for (category, tag, n) in [
        ("phishing", 0xbad0_0000 + wave, 40u64),
        ("sanctions", 0x5a0c_0000 + wave, 12),
        ("scam", 0x5ca3_0000 + wave, 20),
    ] {
        let lines: String = (0..n).map(|i| format!("{}\n", evm(tag, i))).collect();
        let path = format!(
            "/v1/admin/guard/lists/addresses?format=lines&source=demo-feed-{category}&category={category}&date={date}"
        );
        let r = sim.call_raw("POST", &path, ADMIN, &lines).await?;
        sim.facts.addresses_listed += sum_added(&r);
    }
    let hosts: String = (0..30)
        .map(|i| format!("okx-wallet-claim{wave}{i}.com\n"))
        .collect();
    let path = "/v1/admin/guard/lists/domains?format=lines&source=demo-feed-hosts&list=block&category=phishing";
    let r = sim.call_raw("POST", path, ADMIN, &hosts).await?;
    sim.facts.domains_listed += sum_added(&r);
    Ok(())
}

fn sum_added(r: &Value) -> u64 {
    r["lists"]
        .as_array()
        .map(|ls| {
            ls.iter()
                .map(|l| match &l["added"] {
                    Value::Object(m) => m.values().filter_map(Value::as_u64).sum(),
                    v => v.as_u64().unwrap_or(0),
                })
                .sum()
        })
        .unwrap_or(0)
}

impl Sim {
    async fn call_raw(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: &str,
    ) -> Result<Value> {
        let (status, v) = self.http.call(method, path, token, body).await?;
        self.services.recorder.flush().await;
        if !(200..300).contains(&status) {
            bail!("{method} {path}: HTTP {status}: {v}");
        }
        Ok(v)
    }
}

/// Accounts as the exchange registers them: most opened long ago and past the knowledge check,
/// a tenth new this month (rookies).
async fn setup_accounts(sim: &mut Sim, users: usize) -> Result<()> {
    for i in 0..users {
        let u = user(i);
        let rookie = i % 10 == 7;
        let opened = if rookie {
            sim.clock.now().to_iso8601_millis()
        } else {
            "2024-03-01T00:00:00.000Z".to_owned()
        };
        sim.call(
            "PUT",
            &format!("/v1/protect/accounts/{u}"),
            BACKEND,
            json!({"opened_at": opened}),
        )
        .await?;
        if !rookie {
            sim.call(
                "POST",
                &format!("/v1/protect/accounts/{u}/knowledge-check"),
                BACKEND,
                Value::Null,
            )
            .await?;
        }
        sim.call(
            "PUT",
            "/v1/protect/deposit-addresses",
            BACKEND,
            json!({"user": u, "network": "ethereum", "address": evm(0x00de_0000, i as u64)}),
        )
        .await?;
        sim.tick(1_000);
    }
    Ok(())
}

async fn login(
    sim: &mut Sim,
    u: &str,
    ip: &str,
    device: &str,
    agent: &str,
    ok: bool,
) -> Result<String> {
    let r = sim
        .call(
            "POST",
            "/v1/login/assess",
            BACKEND,
            json!({"user": u, "ip": ip, "device_id": device, "user_agent": agent, "outcome": if ok { "success" } else { "failure" }}),
        )
        .await?;
    let d = r["decision"].as_str().unwrap_or("").to_owned();
    sim.facts.logins += 1;
    match d.as_str() {
        "step_up" => sim.facts.logins_stepped_up += 1,
        "block" => sim.facts.logins_blocked += 1,
        _ => {}
    }
    Ok(d)
}

const AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0";
const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1";

/// Everyday logins: each user about every other day, from home, on their own devices; a few
/// mistype their password first.
async fn logins(sim: &mut Sim, users: usize, day: usize) -> Result<()> {
    for i in 0..users {
        if (i + day) % 2 == 1 {
            continue;
        }
        let u = user(i);
        let phone = sim.rng.chance(30);
        let (device, agent) = if phone {
            (format!("{u}-phone"), PHONE)
        } else {
            (format!("{u}-laptop"), AGENT)
        };
        if sim.rng.chance(4) {
            login(sim, &u, &home_ip(i), &device, agent, false).await?;
            sim.tick(20_000);
        }
        // Now and then through Tor, on the user's own device: a second factor is asked.
        let ip = if sim.rng.chance(2) {
            format!("100.66.0.{}", i % 250 + 1)
        } else {
            home_ip(i)
        };
        login(sim, &u, &ip, &device, agent, true).await?;
        sim.tick(7_000);
    }
    Ok(())
}

/// A credential-stuffing wave: leaked pairs tried against many accounts from one address.
async fn stuffing(sim: &mut Sim, users: usize) -> Result<()> {
    for k in 0..40 {
        let u = user((k * 7) % users);
        login(
            sim,
            &u,
            "100.65.7.9",
            "bot-stuffer",
            "python-requests/2.31",
            false,
        )
        .await?;
        sim.facts.stuffing_attempts += 1;
        sim.tick(1_500);
    }
    Ok(())
}

/// Password spraying: one common password against many accounts, from many addresses of one
/// /24 to stay under per-address limits.
async fn spraying(sim: &mut Sim, users: usize) -> Result<()> {
    for k in 0..70 {
        let u = user((k * 11 + 3) % users);
        let ip = format!("100.64.20.{}", k % 200 + 1);
        login(sim, &u, &ip, &format!("spray-{k}"), "curl/8.5", false).await?;
        sim.facts.spraying_attempts += 1;
        sim.tick(2_000);
    }
    Ok(())
}

/// An account takeover: the victim logs in at home, then a stolen password is used from another
/// continent minutes later on a device the victim never used, followed by a withdrawal attempt.
async fn takeover(sim: &mut Sim, users: usize, day: usize) -> Result<()> {
    let i = (day * 13 + 5) % users;
    let u = user(i);
    login(sim, &u, &home_ip(i), &format!("{u}-laptop"), AGENT, true).await?;
    sim.tick(10 * 60_000);
    login(
        sim,
        &u,
        &format!("100.64.9.{}", day + 1),
        &format!("attacker-{day}"),
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        true,
    )
    .await?;
    sim.facts.takeover_attempts += 1;
    // The attacker resets the password and tries to move the funds out.
    sim.call(
        "POST",
        "/v1/login/security-changes",
        BACKEND,
        json!({"user": u, "change": "password_reset"}),
    )
    .await?;
    sim.tick(60_000);
    withdraw(sim, &u, &evm(0x0a77_ac4e, day as u64), 25_000_000, &[]).await?;
    Ok(())
}

async fn withdraw(
    sim: &mut Sim,
    u: &str,
    to: &str,
    usd_cents: u64,
    recent: &[String],
) -> Result<String> {
    let r = sim
        .call(
            "POST",
            "/v1/login/withdrawals/screen",
            BACKEND,
            json!({"user": u, "asset": "USDT", "amount": format!("{}", usd_cents / 100), "usd_cents": usd_cents,
                   "destination": to, "chain": "ethereum", "recent": recent}),
        )
        .await?;
    let d = r["decision"].as_str().unwrap_or("").to_owned();
    sim.facts.withdrawals += 1;
    if d == "hold" || d == "block" {
        sim.facts.withdrawals_intercepted += 1;
    }
    Ok(d)
}

/// Withdrawals: most to the user's own usual address; now and then to an address the feeds
/// list as phishing, or to a look-alike of an address the user used before (poisoning).
async fn withdrawals(sim: &mut Sim, users: usize, day: usize) -> Result<()> {
    for k in 0..(users / 8).max(2) {
        let i = (k * 5 + day * 3) % users;
        let u = user(i);
        let own = evm(0x0c01_d000, i as u64);
        let roll = sim.rng.below(100);
        if roll < 4 {
            let listed = evm(0xbad0_0001, sim.rng.below(40));
            withdraw(sim, &u, &listed, 120_000, &[own]).await?;
            sim.facts.phishing_withdrawals += 1;
        } else if roll < 8 {
            // Same first and last characters as the user's address, different middle.
            let lookalike = format!("{}{}{}", &own[..8], "f".repeat(28), &own[36..]);
            sim.guard_poisoning(&u, &lookalike, &own).await?;
            withdraw(sim, &u, &lookalike, 300_000, std::slice::from_ref(&own)).await?;
            sim.facts.poisoned_withdrawals += 1;
        } else {
            let cents = 5_000 + sim.rng.below(200_000);
            withdraw(sim, &u, &own, cents, std::slice::from_ref(&own)).await?;
        }
        sim.tick(90_000);
    }
    Ok(())
}

impl Sim {
    /// The wallet front end asks the guard before it shows the address the user pasted.
    async fn guard_poisoning(&mut self, u: &str, dest: &str, known: &str) -> Result<()> {
        self.call(
            "POST",
            "/v1/guard/poisoning/check",
            BACKEND,
            json!({"user": u, "destination": dest, "chain": "ethereum", "recent": [known]}),
        )
        .await?;
        Ok(())
    }
}

/// API keys: bots set up in the first week, some bound to IP addresses; some are used daily
/// through the gateway check, the rest go idle and the daily purge expires them.
async fn create_keys(
    sim: &mut Sim,
    users: usize,
    day: usize,
    keys: &mut Vec<(usize, ApiKey)>,
) -> Result<()> {
    for k in 0..(users / 40).max(2) {
        let i = (day * 37 + k * 17) % users;
        if keys.iter().any(|(j, _)| *j == i) {
            continue;
        }
        let u = user(i);
        let e = sim
            .call("POST", &format!("/v1/users/{u}/totp"), BACKEND, json!({}))
            .await?;
        let seed = TotpSeed::from_base32(e["secret_base32"].as_str().context("secret_base32")?)
            .context("the enrolment's seed")?;
        sim.tick(31_000);
        let bound = sim.rng.chance(40);
        let trades = sim.rng.chance(70);
        let perms = if trades {
            json!(["read", "trade"])
        } else {
            json!(["read", "withdraw"])
        };
        let ips = if bound {
            json!([home_ip(i)])
        } else {
            json!([])
        };
        let passphrase = format!("Demo!Pass{i}x");
        let r = sim
            .call(
                "POST",
                &format!("/v1/users/{u}/api-keys"),
                BACKEND,
                json!({"totp_code": seed.code_at(sim.clock.now()), "label": format!("bot-{k}"), "permissions": perms, "ips": ips, "passphrase": passphrase}),
            )
            .await?;
        sim.facts.keys_created += 1;
        if bound {
            sim.facts.keys_ip_bound += 1;
        }
        keys.push((
            i,
            ApiKey {
                key_id: r["key_id"].as_str().context("key_id")?.to_owned(),
                secret: r["secret"].as_str().context("secret")?.to_owned(),
                passphrase,
            },
        ));
        sim.tick(45_000);
    }
    Ok(())
}

async fn use_keys(sim: &mut Sim, keys: &[(usize, ApiKey)], day: usize) -> Result<()> {
    for (n, (i, k)) in keys.iter().enumerate() {
        // Two keys in three are run by active bots; the rest were set up and forgotten.
        if n % 3 == 2 {
            continue;
        }
        let ts = sim.clock.now().to_iso8601_millis();
        let path = format!("/api/v5/account/balance?ccy=USDT&d={day}");
        let sig = sign(k.secret.as_bytes(), &prehash(&ts, "GET", &path, ""));
        let r = sim
            .call(
                "POST",
                "/v1/gateway/verify",
                GATEWAY,
                json!({"method": "GET", "path": path, "body": "", "client_ip": home_ip(*i),
                       "required_permission": "read",
                       "headers": {"OK-ACCESS-KEY": k.key_id, "OK-ACCESS-SIGN": sig, "OK-ACCESS-TIMESTAMP": ts, "OK-ACCESS-PASSPHRASE": k.passphrase}}),
            )
            .await?;
        if r["decision"] == "allow" {
            sim.facts.gateway_allowed += 1;
        }
        sim.tick(5_000);
    }
    Ok(())
}

/// Deposits: most arrive right; some on the wrong network, with a wrong memo or a token the
/// exchange does not list. Recoverable ones get a case, operators verify and approve (two
/// people), and the funds go back on chain or are credited; a few are rejected.
async fn deposits(sim: &mut Sim, users: usize, day: usize) -> Result<()> {
    for k in 0..(users / 20).max(2) {
        let i = (k * 3 + day * 7) % users;
        let u = user(i);
        let to = evm(0x00de_0000, i as u64);
        let hash = format!("0x{:064x}", (day as u64) << 32 | k as u64);
        let wrong = sim.rng.chance(12);
        let transfer = if wrong {
            // USDT sent on Arbitrum to the user's Ethereum deposit address.
            json!({"network": "arbitrum", "token": "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9", "to": to,
                   "amount": "2500000000", "usd_cents": 250_000, "tx_hash": hash})
        } else {
            json!({"network": "ethereum", "token": "0xdAC17F958D2ee523a2206206994597C13D831ec7", "to": to,
                   "amount": "150000000", "usd_cents": 15_000, "tx_hash": hash})
        };
        let d = sim
            .call(
                "POST",
                "/v1/protect/deposits/diagnose",
                BACKEND,
                json!({"transfer": transfer, "claimant": u}),
            )
            .await?;
        sim.facts.deposits += 1;
        if d["case"] != "correct" {
            sim.facts.wrong_deposits += 1;
        }
        if d["outcome"] == "recoverable" {
            let c = sim
                .call(
                    "POST",
                    "/v1/protect/cases",
                    BACKEND,
                    json!({"user": u, "transfer": transfer}),
                )
                .await?;
            sim.facts.cases_opened += 1;
            let id = c["id"].as_str().context("case id")?.to_owned();
            let path = format!("/v1/protect/cases/{id}/actions");
            sim.tick(3_600_000);
            if sim.rng.chance(20) {
                sim.call(
                    "POST",
                    &path,
                    ADMIN,
                    json!({"action": "reject", "reason": "the sender could not prove ownership"}),
                )
                .await?;
                sim.facts.cases_rejected += 1;
            } else {
                sim.call(
                    "POST",
                    &path,
                    ADMIN,
                    json!({"action": "verify_ownership", "note": "signed message checked"}),
                )
                .await?;
                sim.tick(1_800_000);
                sim.call("POST", &path, ADMIN2, json!({"action": "approve"}))
                    .await?;
                sim.tick(1_800_000);
                let action = if sim.rng.chance(50) {
                    json!({"action": "recover", "tx_hash": format!("0x{:064x}", 0xfeed_0000u64 + (day as u64) * 100 + k as u64)})
                } else {
                    json!({"action": "credit"})
                };
                sim.call("POST", &path, ADMIN2, action).await?;
                sim.facts.cases_recovered += 1;
            }
        }
        sim.tick(60_000);
    }
    Ok(())
}

/// Derivatives: rookies and a few others choose a cooling-off; their orders that add risk are
/// refused, reduce-only ones pass.
async fn derivatives(sim: &mut Sim, users: usize, day: usize) -> Result<()> {
    if day.is_multiple_of(3) {
        for k in 0..(users / 50).max(1) {
            let u = user((k * 10 + 7 + day) % users);
            // A user already cooling off may only lengthen it: a refusal is the service's answer,
            // not a failure of the demo.
            let (status, _) = sim
                .call_any(
                    "PUT",
                    &format!("/v1/protect/users/{u}/cooling-off"),
                    BACKEND,
                    json!({"days": 7}),
                )
                .await?;
            if (200..300).contains(&status) && sim.cooling.insert(u) {
                sim.facts.cooling_off_users += 1;
            }
            sim.tick(30_000);
        }
    }
    for k in 0..(users / 10).max(2) {
        let u = user((k * 13 + day) % users);
        let order = json!({"user": u, "channel": if k % 2 == 0 { "app" } else { "api" }, "product": "perpetual",
            "instrument": "BTC-USDT-SWAP", "side": "buy", "size": "1", "leverage": "3", "order_usd_cents": 90_000});
        let r = sim
            .call("POST", "/v1/protect/orders/check", GATEWAY, order)
            .await?;
        if r["decision"] == "deny"
            && r["reasons"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x["code"] == "cooling_off"))
        {
            sim.facts.orders_blocked += 1;
        }
        sim.tick(20_000);
    }
    Ok(())
}

fn position(id: &str, side: &str, size: i64, entry: i64, margin: i64) -> Value {
    json!({"id": id, "account": format!("acct-{id}"), "side": side, "size": size,
           "entry": entry.to_string(), "margin": margin.to_string(), "maintenance": (margin / 10).to_string()})
}

/// Liquidations: ordinary days settle a few with small surpluses and deficits; the flash crash
/// drains the perpetual swap pool past its decline limit and the ADL closes profitable shorts.
async fn liquidations(sim: &mut Sim, day: usize, crash: bool) -> Result<()> {
    if day == 0 {
        sim.call(
            "POST",
            "/v1/fund/top-ups",
            ADMIN,
            json!({"key": "demo-seed-capital", "pool": POOL, "amount": "2000000"}),
        )
        .await?;
    }
    let contract = json!({"kind": "linear", "ct_val": "0.01", "price_decimals": 1});
    let mut batch = Vec::new();
    let entry = 60_000 + (day as i64 % 7) * 500;
    for k in 0..6 {
        let size = 10 + sim.rng.below(90) as i64;
        // 10x: margin is a tenth of the notional; bankruptcy at 90 % of the entry.
        let margin = entry * size / 1000;
        let bankrupt = entry * 9 / 10;
        let fill = if k % 3 == 0 {
            bankrupt - 40
        } else {
            bankrupt + 60
        };
        batch.push(
            json!({"key": format!("liq-{day}-{k}"), "pool": POOL, "contract": contract,
            "position": position(&format!("d{day}p{k}"), "long", size, entry, margin),
            "mark": (entry * 905 / 1000).to_string(), "fill": fill.to_string(), "candidates": []}),
        );
    }
    if crash {
        for k in 0..4 {
            let size = 5_000;
            let margin = entry * size / 1000;
            let candidates: Vec<Value> = (0..5)
                .map(|c| {
                    position(
                        &format!("crash{k}s{c}"),
                        "short",
                        800,
                        entry + 2_000,
                        (entry + 2_000) * 800 / 1000,
                    )
                })
                .collect();
            batch.push(json!({"key": format!("crash-{day}-{k}"), "pool": POOL, "contract": contract,
                "position": position(&format!("crash{k}"), "long", size, entry, margin),
                "mark": (entry * 7 / 10).to_string(), "fill": (entry * 7 / 10).to_string(), "candidates": candidates}));
        }
    }
    let r = sim
        .call(
            "POST",
            "/v1/fund/liquidations",
            BACKEND,
            json!({"liquidations": batch}),
        )
        .await?;
    for x in r["results"].as_array().into_iter().flatten() {
        if x["status"] == "applied" {
            sim.facts.liquidations += 1;
            sim.facts.positions_deleveraged += x["settled"]["deleveraged"]
                .as_array()
                .map_or(0, |a| a.len() as u64);
        }
    }
    if crash {
        // The exchange refills the pool after the crash; the next operations end the episode.
        sim.tick(2 * 3_600_000);
        sim.call(
            "POST",
            "/v1/fund/top-ups",
            ADMIN,
            json!({"key": format!("refill-{day}"), "pool": POOL, "amount": "3000000"}),
        )
        .await?;
    }
    Ok(())
}

const TOKEN_FIXTURES: [(&str, &str); 6] = [
    (
        "PlainToken",
        include_str!("../../token/fixtures/build/PlainToken.json"),
    ),
    (
        "SellBlockHoneypot",
        include_str!("../../token/fixtures/build/SellBlockHoneypot.json"),
    ),
    (
        "HighSellTax",
        include_str!("../../token/fixtures/build/HighSellTax.json"),
    ),
    (
        "HiddenOwner",
        include_str!("../../token/fixtures/build/HiddenOwner.json"),
    ),
    (
        "OwnerMint",
        include_str!("../../token/fixtures/build/OwnerMint.json"),
    ),
    (
        "FixedFeeToken",
        include_str!("../../token/fixtures/build/FixedFeeToken.json"),
    ),
];

/// Listings: candidate tokens assessed before they are listed, honeypots among them.
async fn tokens(sim: &mut Sim, day: usize) -> Result<()> {
    for (k, (_, text)) in TOKEN_FIXTURES.iter().enumerate() {
        if (k + day) % 2 == 1 {
            continue;
        }
        let v: Value = serde_json::from_str(text).context("a token fixture")?;
        let body = json!({"chain": "ethereum", "address": evm(0x70ce_0000, (day * 10 + k) as u64),
            "runtime_code": v["runtime"], "deploy": [{"creation_code": v["creation"]}]});
        let r = sim.call("POST", "/v1/tokens/assess", BACKEND, body).await?;
        sim.facts.tokens_assessed += 1;
        // Flagged: medium risk or above (the report's definition).
        if r["level"].as_str().is_some_and(|l| l != "low") {
            sim.facts.tokens_flagged += 1;
        }
        if r["is_honeypot"] == true {
            sim.facts.tokens_honeypots += 1;
        }
        sim.tick(600_000);
    }
    Ok(())
}

/// The browser extension and the web back end check the hosts users visit: mostly the real
/// site, sometimes a look-alike or a host the feeds list.
async fn domain_checks(sim: &mut Sim, users: usize, day: usize) -> Result<()> {
    let mut hosts = Vec::new();
    for k in 0..(users / 4).max(4) {
        let roll = sim.rng.below(100);
        hosts.push(if roll < 3 {
            format!("okx-wallet-claim1{}.com", sim.rng.below(30))
        } else if roll < 6 {
            [
                "0kx.com",
                "okx-support-help.com",
                "okx.com.secure-login.io",
                "binance-verify.net",
            ][k % 4]
                .to_owned()
        } else {
            ["www.okx.com", "docs.rs", "github.com", "example.org"][k % 4].to_owned()
        });
    }
    for chunk in hosts.chunks(500) {
        let r = sim
            .call(
                "POST",
                "/v1/guard/domains/check",
                BACKEND,
                json!({"hosts": chunk, "user": user(day % users)}),
            )
            .await?;
        sim.facts.domains_checked += chunk.len() as u64;
        sim.facts.domain_alerts += r["alerts"].as_u64().unwrap_or(0);
    }
    Ok(())
}
