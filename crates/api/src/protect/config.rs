//! `[protect]`: cooling-off durations, new-account caps per product, the listing table and the
//! recovery fees.

use std::collections::BTreeMap;
use std::path::PathBuf;

use custodia_protect::{
    CaseKind, CoolingPolicy, FeeRule, FeeSchedule, Listing, NewAccountPolicy, Product, ProductCap,
    ProtectSettings, Registry, parse_leverage,
};
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// One product's caps for new accounts.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CapConfig {
    /// Highest leverage (`"5"`, `"2.5"`).
    pub max_leverage: String,
    /// Largest position, whole USD.
    pub max_position_usd: u64,
}

/// A recovery fee rule.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FeeConfig {
    /// Share, basis points (500 = 5 %).
    pub fee_bp: u32,
    /// Floor, whole USD.
    pub min_fee_usd: u64,
    /// Smallest value recovered, whole USD.
    pub min_value_usd: u64,
}

/// `[protect]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProtectConfig {
    /// Cooling-off durations users may choose, days (file only: a list).
    pub cooling_off_days: Vec<u32>,
    /// Accounts younger than this are capped.
    pub new_account_days: u32,
    /// Whether accounts without the derivatives knowledge check are capped too.
    pub require_knowledge_check: bool,
    /// Recovery fee share, basis points.
    pub recovery_fee_bp: u32,
    /// Recovery fee floor, whole USD.
    pub recovery_min_fee_usd: u64,
    /// Smallest value recovered, whole USD.
    pub recovery_min_value_usd: u64,
    /// A TOML file of `[[listing]]` tables (asset, network, contract, decimals, min_deposit,
    /// deposits) replacing the built-in listings.
    pub listings: Option<PathBuf>,
    /// Caps per product (`[protect.caps.perpetual]`; file only). Products not named are not
    /// capped.
    pub caps: BTreeMap<String, CapConfig>,
    /// Fee rules per case (`[protect.fees.missing_memo]`; file only).
    pub fees: BTreeMap<String, FeeConfig>,
}

impl Default for ProtectConfig {
    fn default() -> Self {
        let n = NewAccountPolicy::default();
        let f = FeeRule::default();
        Self {
            cooling_off_days: CoolingPolicy::default().days().to_vec(),
            new_account_days: n.min_age_days,
            require_knowledge_check: n.require_knowledge_check,
            recovery_fee_bp: f.fee_bp,
            recovery_min_fee_usd: f.min_fee_usd_cents / 100,
            recovery_min_value_usd: f.min_value_usd_cents / 100,
            listings: None,
            caps: n
                .caps
                .iter()
                .map(|(p, c)| {
                    let x = c.max_leverage_x100;
                    (
                        p.as_str().to_owned(),
                        CapConfig {
                            max_leverage: if x.is_multiple_of(100) {
                                (x / 100).to_string()
                            } else {
                                format!("{}.{:02}", x / 100, x % 100)
                            },
                            max_position_usd: c.max_position_usd_cents / 100,
                        },
                    )
                })
                .collect(),
            fees: BTreeMap::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListingFile {
    listing: Vec<Listing>,
}

fn bad(m: String) -> ConfigError {
    ConfigError::Invalid(m)
}

fn fee(name: &str, f: &FeeConfig) -> Result<FeeRule, ConfigError> {
    let cents = |usd: u64| {
        usd.checked_mul(100)
            .ok_or_else(|| bad(format!("protect.{name}: amount too large")))
    };
    Ok(FeeRule {
        fee_bp: f.fee_bp,
        min_fee_usd_cents: cents(f.min_fee_usd)?,
        min_value_usd_cents: cents(f.min_value_usd)?,
    })
}

impl ProtectConfig {
    /// The use cases' settings (reads the listings file when set).
    pub fn settings(&self) -> Result<ProtectSettings, ConfigError> {
        let cooling = CoolingPolicy::new(self.cooling_off_days.clone())
            .map_err(|e| bad(format!("protect.cooling_off_days: {e}")))?;
        let mut caps = BTreeMap::new();
        for (name, c) in &self.caps {
            let product = Product::parse(name).map_err(|e| bad(format!("protect.caps: {e}")))?;
            let max_leverage_x100 = parse_leverage(&c.max_leverage)
                .map_err(|e| bad(format!("protect.caps.{name}: {e}")))?;
            caps.insert(
                product,
                ProductCap {
                    max_leverage_x100,
                    max_position_usd_cents: c.max_position_usd.saturating_mul(100),
                },
            );
        }
        let mut fees = FeeSchedule {
            default: fee(
                "recovery",
                &FeeConfig {
                    fee_bp: self.recovery_fee_bp,
                    min_fee_usd: self.recovery_min_fee_usd,
                    min_value_usd: self.recovery_min_value_usd,
                },
            )?,
            overrides: BTreeMap::new(),
        };
        for (name, f) in &self.fees {
            let case = CaseKind::parse(name).ok_or_else(|| {
                bad(format!(
                    "protect.fees: unknown case {name:?} (wrong_network, unsupported_token, missing_memo, wrong_memo, retired_address)"
                ))
            })?;
            fees.overrides
                .insert(case, fee(&format!("fees.{name}"), f)?);
        }
        fees.validate().map_err(|e| bad(format!("protect: {e}")))?;
        let registry = match &self.listings {
            None => Registry::defaults(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| bad(format!("protect.listings {}: {e}", path.display())))?;
                let file: ListingFile = toml::from_str(&text)
                    .map_err(|e| bad(format!("protect.listings {}: {e}", path.display())))?;
                Registry::new(file.listing)
                    .map_err(|e| bad(format!("protect.listings {}: {e}", path.display())))?
            }
        };
        Ok(ProtectSettings {
            cooling,
            new_accounts: NewAccountPolicy {
                min_age_days: self.new_account_days,
                require_knowledge_check: self.require_knowledge_check,
                caps,
            },
            registry,
            fees,
        })
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.new_account_days > 3650 {
            return Err(bad("protect.new_account_days must be at most 3650".into()));
        }
        self.settings().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_bad_values_are_named() {
        let s = ProtectConfig::default().settings().unwrap();
        assert_eq!(s.cooling.days(), &[1, 3, 7, 14, 30]);
        assert_eq!(s.new_accounts, NewAccountPolicy::default());
        assert_eq!(s.fees, FeeSchedule::default());
        type Edit = Box<dyn Fn(&mut ProtectConfig)>;
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|c| c.cooling_off_days = vec![]),
                "cooling_off_days",
            ),
            (
                Box::new(|c| c.cooling_off_days = vec![0]),
                "cooling_off_days",
            ),
            (Box::new(|c| c.recovery_fee_bp = 10_001), "fee_bp"),
            (Box::new(|c| c.recovery_min_fee_usd = 2_000), "fee floor"),
            (Box::new(|c| c.new_account_days = 5000), "new_account_days"),
            (
                Box::new(|c| {
                    c.caps.insert(
                        "nft".into(),
                        CapConfig {
                            max_leverage: "2".into(),
                            max_position_usd: 1,
                        },
                    );
                }),
                "protect.caps",
            ),
            (
                Box::new(|c| {
                    c.caps.get_mut("perpetual").unwrap().max_leverage = "0.5".into();
                }),
                "protect.caps.perpetual",
            ),
            (
                Box::new(|c| {
                    c.fees.insert(
                        "typo".into(),
                        FeeConfig {
                            fee_bp: 1,
                            min_fee_usd: 0,
                            min_value_usd: 0,
                        },
                    );
                }),
                "unknown case",
            ),
            (
                Box::new(|c| c.listings = Some("/nonexistent/listings.toml".into())),
                "protect.listings",
            ),
        ];
        for (edit, want) in cases {
            let mut c = ProtectConfig::default();
            edit(&mut c);
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
        }
    }
}
