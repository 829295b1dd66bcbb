//! `[token]`: how many assessments run at once, the gas bound and the flag threshold.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// `[token]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenConfig {
    /// Assessments running at once (each takes one CPU for milliseconds); the others wait.
    pub lanes: usize,
    /// Largest gas limit a request may ask for per simulated transaction (the request's
    /// `simulation.gas_per_tx`, default 3 000 000): it bounds a simulation's CPU time.
    pub max_gas_per_tx: u64,
    /// Score from which a token is reported `flagged` (the CLI's `--fail-score`).
    pub flag_at: u8,
    /// Run the buy/sell simulation when a request carries creation code; off: bytecode and
    /// holders only.
    pub simulate: bool,
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self {
            lanes: 2,
            max_gas_per_tx: 3_000_000,
            flag_at: 67,
            simulate: true,
        }
    }
}

impl TokenConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if self.lanes == 0 || self.lanes > 1024 {
            return bad("token.lanes must be 1 to 1024");
        }
        if self.max_gas_per_tx == 0 || self.max_gas_per_tx > 30_000_000 {
            return bad("token.max_gas_per_tx must be 1 to 30000000");
        }
        if self.flag_at == 0 || self.flag_at > 100 {
            return bad("token.flag_at must be 1 to 100");
        }
        Ok(())
    }
}
