//! `[login]`: the login defence's thresholds and the IP range file.

use std::path::PathBuf;

use custodia_login::{
    BrutePolicy, GeoPrefer, GeoSources, LoginSettings, MmdbGeo, RangeTable, RulePolicy, ScoreModel,
    SprayPolicy, WithdrawPolicy,
};
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// `login.geo_prefer`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GeoPreferConfig {
    /// The `.mmdb` databases first.
    #[default]
    Mmdb,
    /// The CSV ranges first.
    Ranges,
}

/// `[login]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    /// IP ranges (`start,end,country,asn,lat,lon,kinds`; kinds `tor|vpn|hosting|listed`); none:
    /// every address is unknown and only the device and agent features speak.
    pub geo_ranges: Option<PathBuf>,
    /// MaxMind-format databases (`.mmdb`: GeoIP2/GeoLite2 City or Country, ASN, Anonymous IP),
    /// read in this order; the first that knows a field answers it.
    pub geo_mmdb: Vec<PathBuf>,
    /// Which source answers first when both know a field: `mmdb` (default) or `ranges`. The
    /// other fills in what it does not know; Tor/VPN/hosting/listed flags add up.
    pub geo_prefer: GeoPreferConfig,
    /// Risk score at which a login asks for a second factor.
    pub step_up_at: u8,
    /// Risk score at which a login is refused.
    pub block_at: u8,
    /// Faster than this between logins is impossible travel (km/h).
    pub max_speed_kmh: u32,
    /// Closer than this is never travel (km; GeoIP error).
    pub min_distance_km: u32,
    /// Half-life of behavioural history, days.
    pub history_half_life_days: u32,
    /// Largest accepted distance between a reported login time and the service's clock.
    pub max_clock_skew_secs: u32,
    /// Failures before a temporary lock (Keycloak `failureFactor`).
    pub failure_factor: u32,
    /// Lock length per multiple of the factor (`waitIncrementSeconds`).
    pub wait_increment_secs: u32,
    /// Longest lock (`maxFailureWaitSeconds`).
    pub max_failure_wait_secs: u32,
    /// Two failures closer than this are a script (`quickLoginCheckMilliSeconds`).
    pub quick_login_check_ms: u32,
    /// Lock after such quick failures (`minimumQuickLoginWaitSeconds`).
    pub min_quick_login_wait_secs: u32,
    /// Failures older than this are forgotten (`maxDeltaTimeSeconds`).
    pub failure_reset_secs: u32,
    /// Window for the stuffing and spraying counters.
    pub spray_window_secs: u32,
    /// Distinct accounts failing from one IP that make it a stuffing source.
    pub stuffing_accounts: u32,
    /// Distinct accounts failing from one /24 or /48 that make it a spraying source.
    pub spraying_accounts: u32,
    /// Withdrawal hold after a security change or new-device login, hours.
    pub change_lock_hours: u32,
    /// Withdrawal hold on a newly allowlisted address, hours.
    pub new_address_lock_hours: u32,
    /// Most value withdrawn per user per rolling 24 h, USD cents (0: no limit).
    pub daily_usd_limit_cents: u64,
    /// Seconds between writes of the population's history.
    pub population_flush_secs: u64,
}

impl Default for LoginConfig {
    fn default() -> Self {
        let r = RulePolicy::default();
        let b = BrutePolicy::default();
        let s = SprayPolicy::default();
        Self {
            geo_ranges: None,
            geo_mmdb: Vec::new(),
            geo_prefer: GeoPreferConfig::Mmdb,
            step_up_at: r.step_up_at,
            block_at: r.block_at,
            max_speed_kmh: r.max_speed_kmh as u32,
            min_distance_km: r.min_distance_km as u32,
            history_half_life_days: 90,
            max_clock_skew_secs: 300,
            failure_factor: b.failure_factor,
            wait_increment_secs: (b.wait_increment_ms / 1000) as u32,
            max_failure_wait_secs: (b.max_wait_ms / 1000) as u32,
            quick_login_check_ms: b.quick_login_check_ms as u32,
            min_quick_login_wait_secs: (b.min_quick_wait_ms / 1000) as u32,
            failure_reset_secs: (b.max_delta_ms / 1000) as u32,
            spray_window_secs: (s.window_ms / 1000) as u32,
            stuffing_accounts: s.stuffing_accounts,
            spraying_accounts: s.spraying_accounts,
            change_lock_hours: 24,
            new_address_lock_hours: 24,
            daily_usd_limit_cents: 0,
            population_flush_secs: 10,
        }
    }
}

impl LoginConfig {
    /// The use cases' settings.
    pub fn settings(&self) -> LoginSettings {
        let s = |x: u32| i64::from(x) * 1000;
        LoginSettings {
            model: ScoreModel::default(),
            rules: RulePolicy {
                step_up_at: self.step_up_at,
                block_at: self.block_at,
                max_speed_kmh: f64::from(self.max_speed_kmh),
                min_distance_km: f64::from(self.min_distance_km),
            },
            brute: BrutePolicy {
                failure_factor: self.failure_factor,
                wait_increment_ms: s(self.wait_increment_secs),
                max_wait_ms: s(self.max_failure_wait_secs),
                quick_login_check_ms: i64::from(self.quick_login_check_ms),
                min_quick_wait_ms: s(self.min_quick_login_wait_secs),
                max_delta_ms: s(self.failure_reset_secs),
            },
            spray: SprayPolicy {
                window_ms: s(self.spray_window_secs),
                stuffing_accounts: self.stuffing_accounts,
                spraying_accounts: self.spraying_accounts,
            },
            withdraw: WithdrawPolicy {
                change_lock_ms: s(self.change_lock_hours) * 3600,
                new_address_lock_ms: s(self.new_address_lock_hours) * 3600,
                daily_usd_cents: self.daily_usd_limit_cents,
                daily_per_asset: Default::default(),
            },
            half_life_ms: s(self.history_half_life_days) * 86_400,
            max_skew_ms: s(self.max_clock_skew_secs),
        }
    }

    /// The IP ranges, loaded from `geo_ranges` (empty when unset).
    pub fn ranges(&self) -> Result<RangeTable, ConfigError> {
        let Some(path) = &self.geo_ranges else {
            return Ok(RangeTable::default());
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::Invalid(format!("login.geo_ranges {}: {e}", path.display()))
        })?;
        RangeTable::parse(&text)
            .map_err(|e| ConfigError::Invalid(format!("login.geo_ranges {}: {e}", path.display())))
    }

    /// Every IP source: the `.mmdb` databases of `geo_mmdb` (each verified whole) and the CSV
    /// ranges, merged as `geo_prefer` says.
    pub fn geo(&self) -> Result<GeoSources, ConfigError> {
        let databases = self
            .geo_mmdb
            .iter()
            .map(|path| {
                let bytes = std::fs::read(path).map_err(|e| {
                    ConfigError::Invalid(format!("login.geo_mmdb {}: {e}", path.display()))
                })?;
                MmdbGeo::from_bytes(&path.display().to_string(), bytes)
                    .map_err(|e| ConfigError::Invalid(format!("login.geo_mmdb {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let prefer = match self.geo_prefer {
            GeoPreferConfig::Mmdb => GeoPrefer::Mmdb,
            GeoPreferConfig::Ranges => GeoPrefer::Ranges,
        };
        Ok(GeoSources::new(databases, self.ranges()?, prefer))
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if !(self.step_up_at < self.block_at && self.block_at <= 100) {
            return bad("login.step_up_at must be below login.block_at, which must be at most 100");
        }
        if self.failure_factor == 0 || self.stuffing_accounts == 0 || self.spraying_accounts == 0 {
            return bad(
                "login.failure_factor, login.stuffing_accounts and login.spraying_accounts must be at least 1",
            );
        }
        if self.history_half_life_days == 0 || self.population_flush_secs == 0 {
            return bad(
                "login.history_half_life_days and login.population_flush_secs must be at least 1",
            );
        }
        Ok(())
    }
}
