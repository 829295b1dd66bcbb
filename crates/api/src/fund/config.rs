//! `[fund]`: the pools and the auto-deleveraging thresholds.

use custodia_fund::{AdlPolicy, FundSettings, PoolId, PoolSpec};
use custodia_primitives::Amount;
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// One `[[fund.pools]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PoolConfig {
    /// `swap:BTC-USDT:USDT`, `futures:BTC-USD:BTC`, `option:BTC-USD:BTC`, `margin:USDT`,
    /// `safety:USDT`.
    pub pool: String,
    /// Decimals of the currency's smallest unit (the asset registry's ledger precision).
    pub decimals: u8,
    /// Balance at or below which the pool stops paying deficits (`bal_adl_start`), in the
    /// currency (`"250000"`, `"0.5"`).
    pub floor: String,
}

/// `[fund]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FundConfig {
    /// Decline from the 8-hour peak that starts ADL, basis points (3 000 = 30 %).
    pub adl_decline_bp: u32,
    /// The peak's window, hours.
    pub adl_window_hours: u32,
    /// Outstanding pre-market liquidation orders that (with `backlog_secs`) start ADL.
    pub backlog_orders: u64,
    /// Age of the oldest outstanding liquidation order that (with `backlog_orders`) starts ADL.
    pub backlog_secs: u32,
    /// How far above the level it protects a pool must climb back before its ADL episode
    /// ends, basis points of the peak (500 = 5 %); at most `adl_decline_bp`.
    pub adl_release_bp: u32,
    /// The shortest ADL episode, seconds.
    pub adl_min_episode_secs: u32,
    /// The pools.
    pub pools: Vec<PoolConfig>,
}

fn pool(id: &str, decimals: u8) -> PoolConfig {
    PoolConfig {
        pool: id.into(),
        decimals,
        floor: "0".into(),
    }
}

impl Default for FundConfig {
    fn default() -> Self {
        let p = AdlPolicy::default();
        Self {
            adl_decline_bp: p.decline_bp,
            adl_window_hours: (p.window_ms / 3_600_000) as u32,
            backlog_orders: p.backlog_orders,
            backlog_secs: (p.backlog_ms / 1000) as u32,
            adl_release_bp: p.release_bp,
            adl_min_episode_secs: (p.min_episode_ms / 1000) as u32,
            // One pool per line for BTC, coin- and USDT-margined apart, margin per currency,
            // and the platform safety fund.
            pools: vec![
                pool("swap:BTC-USDT:USDT", 6),
                pool("swap:BTC-USD:BTC", 8),
                pool("futures:BTC-USDT:USDT", 6),
                pool("futures:BTC-USD:BTC", 8),
                pool("option:BTC-USD:BTC", 8),
                pool("margin:USDT", 6),
                pool("margin:BTC", 8),
                pool("safety:USDT", 6),
            ],
        }
    }
}

impl FundConfig {
    /// The use cases' settings, or what is wrong with the section.
    pub fn settings(&self) -> Result<FundSettings, ConfigError> {
        let bad = |m: String| ConfigError::Invalid(m);
        let mut pools = Vec::with_capacity(self.pools.len());
        for p in &self.pools {
            let id: PoolId = p
                .pool
                .parse()
                .map_err(|e| bad(format!("fund.pools: {e}")))?;
            if p.decimals > Amount::MAX_DECIMALS {
                return Err(bad(format!("fund.pools {}: decimals at most 18", p.pool)));
            }
            let floor = Amount::parse(&p.floor, p.decimals)
                .map_err(|e| bad(format!("fund.pools {} floor: {e}", p.pool)))?;
            pools.push(PoolSpec {
                id,
                decimals: p.decimals,
                floor,
            });
        }
        let policy = AdlPolicy {
            decline_bp: self.adl_decline_bp,
            window_ms: i64::from(self.adl_window_hours) * 3_600_000,
            backlog_orders: self.backlog_orders,
            backlog_ms: i64::from(self.backlog_secs) * 1000,
            release_bp: self.adl_release_bp,
            min_episode_ms: i64::from(self.adl_min_episode_secs) * 1000,
        };
        policy.check().map_err(|e| bad(format!("fund: {e}")))?;
        let mut ids: Vec<&PoolId> = pools.iter().map(|p| &p.id).collect();
        ids.sort();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(bad(format!("fund.pools: {} listed twice", w[0])));
        }
        Ok(FundSettings { pools, policy })
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        self.settings().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_sections_are_refused() {
        let s = FundConfig::default().settings().unwrap();
        assert_eq!(s.pools.len(), 8);
        assert_eq!(s.policy, AdlPolicy::default());
        let mut c = FundConfig::default();
        c.pools.push(pool("swap:BTC-USDT:USDT", 6));
        assert!(
            c.settings()
                .unwrap_err()
                .to_string()
                .contains("listed twice")
        );
        let mut c = FundConfig::default();
        c.pools[0].floor = "-1".into();
        assert!(c.settings().is_err());
        let mut c = FundConfig::default();
        c.pools[0].pool = "perp:BTC".into();
        assert!(c.settings().is_err());
        let c = FundConfig {
            adl_decline_bp: 0,
            ..FundConfig::default()
        };
        assert!(c.settings().is_err());
        // The release margin may not exceed the decline that starts an episode.
        let c = FundConfig {
            adl_release_bp: 3_001,
            ..FundConfig::default()
        };
        assert!(c.settings().unwrap_err().to_string().contains("release_bp"));
        let c = FundConfig {
            adl_release_bp: 0,
            adl_min_episode_secs: 0,
            ..FundConfig::default()
        };
        assert_eq!(c.settings().unwrap().policy.release_bp, 0);
    }
}
