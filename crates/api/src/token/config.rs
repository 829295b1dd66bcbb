//! `[token]`: how many assessments run at once, the gas bound and the flag threshold.

use std::collections::BTreeMap;
use std::time::Duration;

use custodia_token::ScanSettings;
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// `[token]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenConfig {
    /// Assessments running at once (each takes one CPU for milliseconds); the others wait.
    pub lanes: usize,
    /// Largest gas limit a request may ask for per simulated transaction (the request's
    /// `simulation.gas_per_tx`; default and most 16 777 216, a mainnet transaction's cap since
    /// EIP-7825). A simulation's CPU time is bounded by the gas of all its transactions
    /// together (`SimConfig::gas_per_simulation`, 12 000 000).
    pub max_gas_per_tx: u64,
    /// Score from which a token is reported `flagged` (the CLI's `--fail-score`).
    pub flag_at: u8,
    /// Run the buy/sell simulation when a request carries creation code; off: bytecode and
    /// holders only.
    pub simulate: bool,
    /// Scan workers `custodia serve` runs on the job queue (0: none here; `custodia token
    /// work` runs them elsewhere).
    pub workers: usize,
    /// How long a worker holds a scan before another may take it over (seconds).
    pub lease_secs: u64,
    /// Attempts per scan before it is given up.
    pub max_attempts: u32,
    /// How often an idle worker looks for scans (milliseconds).
    pub poll_millis: u64,
    /// JSON-RPC node per chain for forked scans (`ethereum = "http://127.0.0.1:8545"`);
    /// a chain without one refuses forked scans.
    pub rpc: BTreeMap<String, String>,
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self {
            lanes: 2,
            max_gas_per_tx: custodia_token::MAX_GAS_PER_TX,
            flag_at: 67,
            simulate: true,
            workers: 1,
            lease_secs: 300,
            max_attempts: 3,
            poll_millis: 500,
            rpc: BTreeMap::new(),
        }
    }
}

impl TokenConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if self.lanes == 0 || self.lanes > 1024 {
            return bad("token.lanes must be 1 to 1024");
        }
        if self.max_gas_per_tx == 0 || self.max_gas_per_tx > custodia_token::MAX_GAS_PER_TX {
            return bad("token.max_gas_per_tx must be 1 to 16777216");
        }
        if self.flag_at == 0 || self.flag_at > 100 {
            return bad("token.flag_at must be 1 to 100");
        }
        if self.workers > 64 {
            return bad("token.workers must be 0 to 64");
        }
        if self.lease_secs == 0 || self.lease_secs > 86_400 {
            return bad("token.lease_secs must be 1 to 86400");
        }
        if self.max_attempts == 0 || self.max_attempts > 100 {
            return bad("token.max_attempts must be 1 to 100");
        }
        if self.poll_millis == 0 || self.poll_millis > 60_000 {
            return bad("token.poll_millis must be 1 to 60000");
        }
        for (chain, url) in &self.rpc {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::Invalid(format!(
                    "token.rpc.{chain} must be an http:// or https:// URL"
                )));
            }
        }
        Ok(())
    }
}

impl TokenConfig {
    /// The scan use case's settings.
    pub fn scan_settings(&self) -> ScanSettings {
        ScanSettings {
            lease: Duration::from_secs(self.lease_secs),
            max_attempts: self.max_attempts,
            ..ScanSettings::default()
        }
    }
}
