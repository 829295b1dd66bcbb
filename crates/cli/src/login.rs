//! `custodia login`: the account-takeover defence from the command line — assess one login
//! (read-only by default), look addresses up in the configured IP sources, show what the store
//! holds about a user — and [`CatalogIntel`], the login defence's address intelligence over the
//! guard's catalog, which `serve` wires in.
//! Glue only: the rules and use cases are in `custodia-login`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use custodia_api::Config;
use custodia_events::{Audit, Clock as _, NewEvent, SystemClock, Timestamp};
use custodia_guard::{AddressQuery, Catalog, ScreenContext};
use custodia_login::{
    DestinationIntel, GeoLookup as _, IntelFindings, LoginInput, LoginRepo as _, LoginService,
    NoIntel, WithdrawalRequest,
};
use custodia_primitives::AccountId;
use custodia_store::Store;
use serde::Serialize;

use crate::Outcome;
use crate::output::Output;

/// The login defence's address intelligence: the guard's lists (sanctions, hacks, scams) and
/// its address-poisoning rule, read from the catalog's current snapshot.
pub struct CatalogIntel(Arc<Catalog>);

impl CatalogIntel {
    /// Over `catalog` (reloads and imports show up on the next screening).
    pub fn new(catalog: Arc<Catalog>) -> Self {
        Self(catalog)
    }
}

impl DestinationIntel for CatalogIntel {
    fn examine(&self, r: &WithdrawalRequest, actor: &str) -> IntelFindings {
        let guard = self.0.current();
        let query = AddressQuery {
            address: r.destination.canonical(),
            chain: Some(r.destination.chain()),
            context: ScreenContext::Withdrawal,
        };
        let (listed, mut pending) =
            match guard.screen_addresses(Some(&r.user), std::slice::from_ref(&query)) {
                Ok(batch) => {
                    let listed = match batch.results.first() {
                        Some(Ok(s)) => {
                            let mut c: Vec<String> = s
                                .hits
                                .iter()
                                .map(|h| h.category.as_str().to_owned())
                                .collect();
                            c.dedup();
                            c
                        }
                        // A valid address the lists cannot screen: fail closed.
                        _ => vec!["unscreenable".to_owned()],
                    };
                    (listed, batch.events)
                }
                Err(_) => (vec!["unscreenable".to_owned()], Vec::new()),
            };
        let destination = custodia_guard::Address::from(r.destination);
        let recent: Vec<custodia_guard::Address> = r.recent.iter().map(|a| (*a).into()).collect();
        let (poisoned, flagged) = guard.check_poisoning(&r.user, &destination, &recent);
        pending.extend(flagged);
        IntelFindings {
            listed,
            imitates: poisoned.map(|m| m.imitates.canonical()),
            events: pending
                .into_iter()
                .map(|p| p.event.to_event(r.at, actor, &p.subject))
                .collect(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum LoginCommand {
    /// Assess one login against the store's history and the `[login]` rules. Read-only unless
    /// `--record`: nothing is learnt, no counter moves.
    Assess(AssessArgs),
    /// Look addresses up in the configured IP sources (`login.geo_mmdb`, `login.geo_ranges`);
    /// with no address, load and verify every source and say what was loaded.
    Geo(GeoArgs),
    /// What the store holds about a user: history, lock, allowlist, withdrawal holds.
    Profile(ProfileArgs),
}

#[derive(Debug, Args)]
pub struct AssessArgs {
    /// TOML configuration file (store URL, `[login]`).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Account id.
    #[arg(long)]
    pub user: String,
    /// Client IP.
    #[arg(long)]
    pub ip: String,
    /// Device id (cookie or app install id).
    #[arg(long)]
    pub device: String,
    /// User agent.
    #[arg(long, default_value = "")]
    pub agent: String,
    /// `success` or `failure`.
    #[arg(long, default_value = "success")]
    pub outcome: String,
    /// When (ISO 8601 UTC with milliseconds); default now.
    #[arg(long)]
    pub time: Option<String>,
    /// Record it as the service would (learn, count, write the event).
    #[arg(long)]
    pub record: bool,
}

#[derive(Debug, Args)]
pub struct GeoArgs {
    /// TOML configuration file (`[login]`).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Addresses to look up.
    pub ips: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// TOML configuration file (store URL, `[login]`).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Account id.
    #[arg(long)]
    pub user: String,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn load(path: Option<&PathBuf>) -> Result<Config> {
    Config::load(path.map(PathBuf::as_path)).context("loading configuration")
}

/// Holds the decisions the service queues (a lock tipped by `--record`ed failure) until the
/// command appends them, before it exits; the other events are written by the store ports.
#[derive(Default)]
struct Held(std::sync::Mutex<Vec<NewEvent>>);

impl Audit for Held {
    fn record(&self, event: NewEvent) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }
}

pub fn run(cmd: LoginCommand, out: &Output) -> Result<Outcome> {
    match cmd {
        LoginCommand::Assess(a) => assess(a, out),
        LoginCommand::Geo(a) => geo(a, out),
        LoginCommand::Profile(a) => profile(a, out),
    }
}

#[derive(Serialize)]
struct ReasonReport {
    code: &'static str,
    level: &'static str,
    detail: String,
}

#[derive(Serialize)]
struct AssessReport {
    user: String,
    decision: &'static str,
    score: u8,
    recorded: bool,
    reasons: Vec<ReasonReport>,
}

fn assess(a: AssessArgs, out: &Output) -> Result<Outcome> {
    let cfg = load(a.config.as_ref())?;
    let geo = cfg.login.geo().context("login IP sources")?;
    let at = a
        .time
        .as_deref()
        .map(|t| {
            Timestamp::parse_iso8601_millis(t)
                .map_err(|_| anyhow::anyhow!("--time must be ISO 8601 UTC with milliseconds"))
        })
        .transpose()?;
    let settings = cfg.login.settings();
    let report = runtime()?.block_on(async {
        let store = Store::open(cfg.store.url.expose(), cfg.store.max_connections)
            .await
            .context("opening the store")?;
        let svc = LoginService::new(
            store.clone(),
            geo,
            Arc::new(NoIntel),
            Arc::new(SystemClock),
            settings.clone(),
        );
        // A command-line check may look at any past login: no clock-skew limit.
        let input = LoginInput::parse(
            &a.user,
            at,
            &a.ip,
            &a.device,
            &a.agent,
            &a.outcome,
            at.unwrap_or_else(|| SystemClock.now()),
            settings.max_skew_ms,
        )?;
        svc.flush_population()
            .await
            .context("loading the population's history")?;
        let verdict = if a.record {
            let held = Held::default();
            let v = svc.assess(&held, &input).await?;
            let queued = std::mem::take(&mut *held.0.lock().unwrap_or_else(|e| e.into_inner()));
            if !queued.is_empty() {
                use custodia_events::EventAppender as _;
                store.append(queued).await?;
            }
            svc.flush_population().await?;
            v
        } else {
            svc.preview(&input).await?
        };
        store.close().await;
        anyhow::Ok(AssessReport {
            user: input.user.as_str().to_owned(),
            decision: verdict.decision.as_str(),
            score: verdict.score,
            recorded: a.record,
            reasons: verdict
                .reasons
                .into_iter()
                .map(|r| ReasonReport {
                    code: r.code,
                    level: r.level.as_str(),
                    detail: r.detail,
                })
                .collect(),
        })
    })?;
    out.emit(&report, || {
        let mut s = format!(
            "{}: {} (score {}){}",
            report.user,
            report.decision,
            report.score,
            if report.recorded {
                ", recorded"
            } else {
                ", not recorded"
            }
        );
        for r in &report.reasons {
            s.push_str(&format!("\n  {:<8} {:<20} {}", r.level, r.code, r.detail));
        }
        s
    });
    Ok(Outcome::Ok)
}

#[derive(Serialize)]
struct SourceReport {
    kind: &'static str,
    name: String,
    entries: u64,
    built: Option<String>,
}

#[derive(Serialize)]
struct LookupReport {
    ip: String,
    country: Option<String>,
    asn: Option<u32>,
    lat: Option<f64>,
    lon: Option<f64>,
    kinds: Vec<&'static str>,
}

#[derive(Serialize)]
struct GeoReport {
    sources: Vec<SourceReport>,
    lookups: Vec<LookupReport>,
}

fn geo(a: GeoArgs, out: &Output) -> Result<Outcome> {
    let cfg = load(a.config.as_ref())?;
    let geo = cfg.login.geo().context("login IP sources")?;
    let mut sources: Vec<SourceReport> = geo
        .databases()
        .iter()
        .zip(&cfg.login.geo_mmdb)
        .map(|(d, path)| SourceReport {
            kind: "mmdb",
            name: format!("{} ({})", path.display(), d.database_type()),
            entries: d.node_count(),
            built: i64::try_from(d.build_epoch())
                .ok()
                .and_then(|s| s.checked_mul(1000))
                .map(|ms| Timestamp::from_millis(ms).to_iso8601_millis()),
        })
        .collect();
    if let Some(p) = &cfg.login.geo_ranges {
        sources.push(SourceReport {
            kind: "ranges",
            name: p.display().to_string(),
            entries: geo.ranges().len() as u64,
            built: None,
        });
    }
    let lookups = a
        .ips
        .iter()
        .map(|s| {
            let ip: IpAddr = s
                .trim()
                .parse()
                .with_context(|| format!("{s:?} is not an IP address"))?;
            let g = geo.lookup(ip);
            let n = g.network;
            let kinds = [
                (n.tor, "tor"),
                (n.vpn, "vpn"),
                (n.hosting, "hosting"),
                (n.listed, "listed"),
            ]
            .into_iter()
            .filter_map(|(on, k)| on.then_some(k))
            .collect();
            anyhow::Ok(LookupReport {
                ip: ip.to_string(),
                country: g.country.map(|c| c.as_str().to_owned()),
                asn: g.asn,
                lat: g.position.map(|p| p.lat),
                lon: g.position.map(|p| p.lon),
                kinds,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let report = GeoReport { sources, lookups };
    out.emit(&report, || {
        let mut s = String::new();
        if report.sources.is_empty() {
            s.push_str("no IP source configured (login.geo_mmdb, login.geo_ranges)");
        }
        for src in &report.sources {
            s.push_str(&format!(
                "{} {}: {} {}{}\n",
                src.kind,
                src.name,
                src.entries,
                if src.kind == "mmdb" {
                    "nodes"
                } else {
                    "ranges"
                },
                src.built
                    .as_ref()
                    .map(|b| format!(", built {b}"))
                    .unwrap_or_default()
            ));
        }
        for l in &report.lookups {
            let opt = |o: Option<String>| o.unwrap_or_else(|| "?".into());
            s.push_str(&format!(
                "{}  country {}  AS{}  position {}  {}\n",
                l.ip,
                opt(l.country.clone()),
                opt(l.asn.map(|a| a.to_string())),
                match (l.lat, l.lon) {
                    (Some(la), Some(lo)) => format!("{la:.2},{lo:.2}"),
                    _ => "?".into(),
                },
                if l.kinds.is_empty() {
                    "-".to_owned()
                } else {
                    l.kinds.join("|")
                }
            ));
        }
        s.trim_end().to_owned()
    });
    Ok(Outcome::Ok)
}

#[derive(Serialize)]
struct ValueReport {
    value: String,
    weight: f64,
}

#[derive(Serialize)]
struct HoldReport {
    change: &'static str,
    at: String,
    until: String,
}

#[derive(Serialize)]
struct ProfileReport {
    user: String,
    known: bool,
    logins: f64,
    features: std::collections::BTreeMap<&'static str, Vec<ValueReport>>,
    last_success: Option<String>,
    failures: u32,
    locked_until: Option<String>,
    allowlist_only: bool,
    allowlist: Vec<(String, String)>,
    holds: Vec<HoldReport>,
}

fn profile(a: ProfileArgs, out: &Output) -> Result<Outcome> {
    let cfg = load(a.config.as_ref())?;
    let user =
        AccountId::new(&a.user).map_err(|_| anyhow::anyhow!("--user is not a valid account id"))?;
    let settings = cfg.login.settings();
    let now = SystemClock.now();
    let view = runtime()?.block_on(async {
        let store = Store::open(cfg.store.url.expose(), cfg.store.max_connections)
            .await
            .context("opening the store")?;
        let v = store
            .account_view(&user, now.minus_millis(settings.withdraw.change_lock_ms))
            .await?;
        store.close().await;
        anyhow::Ok(v)
    })?;
    let mut features = std::collections::BTreeMap::new();
    let (mut logins, mut last_success) = (0.0, None);
    if let Some(mut p) = view.profile.clone() {
        p.decay_to(now, settings.half_life_ms);
        logins = (p.total * 10.0).round() / 10.0;
        last_success = p
            .last_success
            .map(|l| Timestamp::from_millis(l.at_ms).to_iso8601_millis());
        for (f, values) in &p.counts {
            let mut v: Vec<ValueReport> = values
                .iter()
                .map(|(value, w)| ValueReport {
                    value: value.clone(),
                    weight: (w * 100.0).round() / 100.0,
                })
                .collect();
            v.sort_by(|a, b| b.weight.total_cmp(&a.weight));
            features.insert(f.as_str(), v);
        }
    }
    let report = ProfileReport {
        user: user.as_str().to_owned(),
        known: view.profile.is_some(),
        logins,
        features,
        last_success,
        failures: view.brute.failures,
        locked_until: settings
            .brute
            .locked(&view.brute, now)
            .map(|t| t.to_iso8601_millis()),
        allowlist_only: view.allowlist_only,
        allowlist: view
            .allowlist
            .iter()
            .map(|(a, t)| (a.clone(), t.to_iso8601_millis()))
            .collect(),
        holds: view
            .changes
            .iter()
            .map(|(c, t)| HoldReport {
                change: c.as_str(),
                at: t.to_iso8601_millis(),
                until: t
                    .minus_millis(-settings.withdraw.change_lock_ms)
                    .to_iso8601_millis(),
            })
            .collect(),
    };
    out.emit(&report, || {
        let mut s = format!(
            "{}: {}",
            report.user,
            if report.known {
                format!("{} logins in the decayed history", report.logins)
            } else {
                "no login history".to_owned()
            }
        );
        for (f, vs) in &report.features {
            let top: Vec<String> = vs
                .iter()
                .take(5)
                .map(|v| format!("{} ({})", v.value, v.weight))
                .collect();
            s.push_str(&format!("\n  {f:<8} {}", top.join(", ")));
        }
        if let Some(l) = &report.last_success {
            s.push_str(&format!("\n  last successful login {l}"));
        }
        s.push_str(&format!(
            "\n  failures {}; {}",
            report.failures,
            report
                .locked_until
                .as_ref()
                .map_or("not locked".to_owned(), |u| format!("locked until {u}"))
        ));
        s.push_str(&format!(
            "\n  withdrawals: {}",
            if report.allowlist_only {
                "allowlist only"
            } else {
                "any address"
            }
        ));
        for (a, t) in &report.allowlist {
            s.push_str(&format!("\n    allowlisted {a} since {t}"));
        }
        for h in &report.holds {
            s.push_str(&format!(
                "\n    held until {} ({} at {})",
                h.until, h.change, h.at
            ));
        }
        s
    });
    Ok(Outcome::Ok)
}
