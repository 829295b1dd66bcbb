use crate::Argon2Params;

/// The API-key rules a deployment configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPolicy {
    /// Largest accepted distance between `OK-ACCESS-TIMESTAMP` and server time (OKX: 30 s).
    pub window_ms: i64,
    /// Idle time after which unbound trade/withdraw keys expire (OKX: 14 days).
    pub idle_expiry_ms: i64,
    /// Most IP entries per key (OKX: 20).
    pub max_ips: usize,
    /// Argon2id cost for passphrase hashes.
    pub argon2: Argon2Params,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        Self {
            window_ms: 30_000,
            idle_expiry_ms: 14 * 86_400_000,
            max_ips: 20,
            argon2: Argon2Params::default(),
        }
    }
}
