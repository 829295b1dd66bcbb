//! `[keys]`: the key service's rules and caches.

use std::time::Duration;

use custodia_keys::{Argon2Params, KeyPolicy, KeySettings};
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
    /// Live entries the replay cache holds before it fails closed.
    pub replay_cache_capacity: usize,
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
    /// Wrong TOTP codes per user before a lockout.
    pub totp_max_failures: u32,
    /// Lockout length, in seconds.
    pub totp_lockout_secs: u64,
}

impl Default for KeysConfig {
    fn default() -> Self {
        let a = Argon2Params::default();
        Self {
            timestamp_window_secs: 30,
            idle_expiry_days: 14,
            purge_interval_secs: 3600,
            max_ips: 20,
            replay_cache_capacity: 1_000_000,
            usage_flush_secs: 10,
            key_cache_secs: 5,
            argon2_memory_kib: a.memory_kib,
            argon2_iterations: a.iterations,
            argon2_parallelism: a.parallelism,
            totp_issuer: "Custodia".into(),
            totp_max_failures: 5,
            totp_lockout_secs: 300,
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
    /// What the key service is built with.
    pub fn settings(&self) -> KeySettings {
        KeySettings {
            policy: self.policy(),
            totp_issuer: self.totp_issuer.clone(),
            totp_max_failures: self.totp_max_failures,
            totp_lockout_secs: self.totp_lockout_secs,
            key_cache: Duration::from_secs(self.key_cache_secs),
            replay_capacity: self.replay_cache_capacity,
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
        if k.replay_cache_capacity < 16 {
            return bad("keys.replay_cache_capacity must be at least 16");
        }
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
