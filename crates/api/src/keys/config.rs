//! `[keys]`: the key service's rules and caches.

use std::time::Duration;

use custodia_keys::{Argon2Params, KeyPolicy, KeySettings, OKX_V5, RouteTable};
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// `[keys]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeysConfig {
    /// Largest accepted distance between `OK-ACCESS-TIMESTAMP` and server time.
    pub timestamp_window_secs: u64,
    /// Idle days after which unbound trade/withdraw keys expire.
    pub idle_expiry_days: u64,
    /// Seconds between idle purges inside `serve` (0 disables the schedule).
    pub purge_interval_secs: u64,
    /// Most IP entries per key.
    pub max_ips: usize,
    /// Seconds between writes of `last_used_at` and `api_key.used` events.
    pub usage_flush_secs: u64,
    /// Seconds a key (and its decrypted secret) stays cached before being re-read.
    pub key_cache_secs: u64,
    /// Argon2id memory (KiB) for new passphrase hashes.
    pub argon2_memory_kib: u32,
    /// Argon2id iterations.
    pub argon2_iterations: u32,
    /// Argon2id lanes.
    pub argon2_parallelism: u32,
    /// Issuer shown in authenticator apps.
    pub totp_issuer: String,
    /// TOTP code checks per user between successes before a lockout.
    pub totp_max_failures: u32,
    /// Lockout length, in seconds.
    pub totp_lockout_secs: u64,
    /// Seconds between deletions of expired replay claims (0 disables the schedule).
    pub replay_purge_secs: u64,
    /// The permission each gateway route needs (`[[keys.routes]]`); requests on routes that
    /// match no entry are denied. The default is OKX v5's layout.
    pub routes: Vec<RouteConfig>,
}

/// `[[keys.routes]]`: one gateway route and the permission it needs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// HTTP method, or `*` for any.
    pub method: String,
    /// Exact path, or a prefix ending in `*` (`/api/v5/trade/*`).
    pub path: String,
    /// `read`, `trade` or `withdraw`: required (a route without one refuses to start).
    #[serde(default)]
    pub permission: Option<String>,
}

impl Default for KeysConfig {
    fn default() -> Self {
        let a = Argon2Params::default();
        Self {
            timestamp_window_secs: 30,
            idle_expiry_days: 14,
            purge_interval_secs: 3600,
            max_ips: 20,
            usage_flush_secs: 10,
            key_cache_secs: 5,
            argon2_memory_kib: a.memory_kib,
            argon2_iterations: a.iterations,
            argon2_parallelism: a.parallelism,
            totp_issuer: "Custodia".into(),
            totp_max_failures: 5,
            totp_lockout_secs: 300,
            replay_purge_secs: 60,
            routes: OKX_V5
                .iter()
                .map(|(m, p, perm)| RouteConfig {
                    method: (*m).into(),
                    path: (*p).into(),
                    permission: Some((*perm).into()),
                })
                .collect(),
        }
    }
}

impl KeysConfig {
    /// The domain policy these settings describe.
    pub fn policy(&self) -> KeyPolicy {
        KeyPolicy {
            window_ms: (self.timestamp_window_secs as i64).saturating_mul(1000),
            idle_expiry_ms: (self.idle_expiry_days as i64).saturating_mul(86_400_000),
            max_ips: self.max_ips,
            argon2: Argon2Params {
                memory_kib: self.argon2_memory_kib,
                iterations: self.argon2_iterations,
                parallelism: self.argon2_parallelism,
            },
        }
    }
}

impl KeysConfig {
    /// The route table these settings describe.
    pub fn route_table(&self) -> Result<RouteTable, ConfigError> {
        RouteTable::parse(
            self.routes
                .iter()
                .map(|r| (r.method.as_str(), r.path.as_str(), r.permission.as_deref())),
        )
        .map_err(|e| ConfigError::Invalid(format!("keys.routes: {e}")))
    }

    /// What the key service is built with (on a loaded configuration: loading checks the route
    /// table, so the built-in fallback below is never used in practice).
    pub fn settings(&self) -> KeySettings {
        KeySettings {
            policy: self.policy(),
            totp_issuer: self.totp_issuer.clone(),
            totp_max_failures: self.totp_max_failures,
            totp_lockout_secs: self.totp_lockout_secs,
            key_cache: Duration::from_secs(self.key_cache_secs),
            routes: self.route_table().unwrap_or_else(|_| RouteTable::okx_v5()),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        let k = self;
        if k.timestamp_window_secs == 0 || k.timestamp_window_secs > 300 {
            return bad("keys.timestamp_window_secs must be 1 to 300");
        }
        if k.idle_expiry_days == 0 {
            return bad("keys.idle_expiry_days must be at least 1");
        }
        if k.max_ips == 0 || k.max_ips > 100 {
            return bad("keys.max_ips must be 1 to 100");
        }
        if k.totp_max_failures == 0 || k.totp_max_failures > 100 {
            return bad("keys.totp_max_failures must be 1 to 100");
        }
        self.route_table()?;
        if k.usage_flush_secs == 0 || k.key_cache_secs == 0 {
            return bad("keys.usage_flush_secs and keys.key_cache_secs must be at least 1");
        }
        if k.argon2_memory_kib < 8 * k.argon2_parallelism.max(1)
            || k.argon2_iterations == 0
            || k.argon2_parallelism == 0
        {
            return bad(
                "keys.argon2_*: memory must be at least 8 KiB per lane, iterations and lanes at least 1",
            );
        }
        if k.totp_issuer.is_empty() || k.totp_issuer.contains(':') {
            return bad("keys.totp_issuer must be non-empty and must not contain ':'");
        }
        Ok(())
    }
}
