//! The result of a verification: `reserves.json`, a human table and chart-ready data.
//!
//! Every number is exact: amounts are integers in smallest units (serialised as decimal strings,
//! like `round.json`'s totals) with an exact decimal rendering next to them; ratios are
//! floor-rounded basis points computed on integers, and "below 100%" is the exact comparison
//! `reserves < net liabilities`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use custodia_primitives::{AssetId, AssetRegistry, Total};
use serde::{Deserialize, Serialize};

use crate::ReservesError;
use crate::model::{CheckedWallets, Liabilities, RejectedWallet, VerifiedWallet};
use crate::params::{USD_DECIMALS, VerifyParams};

/// Format tag of `reserves.json`.
pub const REPORT_FORMAT: &str = "custodia-reserves/1";
/// 100% in basis points.
pub const FULL_BPS: u64 = 10_000;

/// Where an asset stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetStatus {
    /// Verified reserves cover net liabilities (ratio ≥ 100%).
    Covered,
    /// Verified reserves are below net liabilities.
    Below100,
    /// Debt is at least equity: nothing is owed net, no ratio.
    NoNetLiabilities,
    /// None of the asset's chains has an ownership verifier, and no wallet was submitted:
    /// not measured (no ratio), listed separately.
    NotVerifiable,
}

/// One asset's line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetReserves {
    /// The asset.
    pub asset: AssetId,
    /// Ledger decimals.
    pub decimals: u8,
    /// Verified wallets counted.
    pub wallets: usize,
    /// Verified reserves, smallest units.
    pub reserves: Total,
    /// Verified reserves, exact decimal.
    pub reserves_decimal: String,
    /// Verified reserves per chain, smallest units.
    pub reserves_by_chain: BTreeMap<String, Total>,
    /// Total user equity (round totals), smallest units.
    pub equity: Total,
    /// Total user debt (round totals), smallest units.
    pub debt: Total,
    /// `equity − debt`, smallest units, signed decimal string.
    pub net_liabilities: String,
    /// `equity − debt`, exact decimal, signed.
    pub net_liabilities_decimal: String,
    /// `floor(reserves × 10000 / net)`, when net liabilities are positive and the asset is
    /// verifiable.
    pub ratio_bps: Option<u64>,
    /// The ratio in percent with two decimals, rounded down (`"103.27"`).
    pub ratio_percent: Option<String>,
    /// Exactly `reserves < net liabilities` (for a verifiable asset with positive net).
    pub below_100: bool,
    /// Summary status.
    pub status: AssetStatus,
    /// Reserves in USD (floor, 8 decimals), when a price was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserves_usd: Option<String>,
    /// Net liabilities in USD (floor, 8 decimals), when a price was given and net is positive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_liabilities_usd: Option<String>,
}

/// Counts over the whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Rows in the wallet file.
    pub wallets_in_file: usize,
    /// Rows counted.
    pub wallets_verified: usize,
    /// Rows rejected (duplicates included).
    pub wallets_rejected: usize,
    /// Rows rejected as duplicates.
    pub duplicates: usize,
    /// Signatures checked on counted wallets.
    pub signatures_checked: usize,
    /// Assets whose reserves are below net liabilities.
    pub assets_below_100: Vec<AssetId>,
    /// Assets with net liabilities on chains this verifier cannot check.
    pub assets_not_verifiable: Vec<AssetId>,
    /// Whether every verifiable asset with net liabilities is covered.
    pub all_covered: bool,
}

/// The full result: serialised as `reserves.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservesReport {
    /// Always [`REPORT_FORMAT`].
    pub format: String,
    /// Exchange name.
    pub exchange: String,
    /// Round id.
    pub round: String,
    /// Snapshot height per chain the wallets were held to.
    pub heights: BTreeMap<String, u64>,
    /// Where balances came from (`stated` = taken from the wallet file).
    pub balance_source: String,
    /// Counts.
    pub summary: Summary,
    /// One line per asset of the round, in round order.
    pub assets: Vec<AssetReserves>,
    /// Counted wallets, in file order.
    pub wallets: Vec<VerifiedWallet>,
    /// Rejected wallets with reasons, in file order.
    pub rejected: Vec<RejectedWallet>,
}

/// One bar of a reserve-ratio chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartBar {
    /// Asset (the bar's label).
    pub asset: AssetId,
    /// Ratio in basis points (bar height; `None` = not measured).
    pub ratio_bps: Option<u64>,
    /// Reserves, exact decimal.
    pub reserves: String,
    /// Net liabilities, exact decimal (signed).
    pub net_liabilities: String,
    /// Reserves in USD, when priced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserves_usd: Option<String>,
    /// Net liabilities in USD, when priced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_liabilities_usd: Option<String>,
    /// Colour hint: below the threshold.
    pub below_100: bool,
    /// Status.
    pub status: AssetStatus,
    /// Reserves per chain, exact decimals (stacked bars).
    pub by_chain: BTreeMap<String, String>,
}

/// Chart-ready data: one bar per asset and the 100% line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartData {
    /// Round id (chart title).
    pub round: String,
    /// The 100% line in basis points.
    pub threshold_bps: u64,
    /// Bars, in round order.
    pub bars: Vec<ChartBar>,
}

/// `floor(reserves × 10000 / net)`, saturating at `u64::MAX`; `net` must be positive.
pub fn ratio_bps(reserves: u128, net: u128) -> u64 {
    let whole = reserves / net;
    let frac = (reserves % net).saturating_mul(u128::from(FULL_BPS)) / net;
    u64::try_from(
        whole
            .saturating_mul(u128::from(FULL_BPS))
            .saturating_add(frac),
    )
    .unwrap_or(u64::MAX)
}

/// Basis points as a percentage with two decimals: `10327` → `"103.27"`.
pub fn percent(bps: u64) -> String {
    format!("{}.{:02}", bps / 100, bps % 100)
}

fn signed_decimal(equity: Total, debt: Total, decimals: u8) -> (String, String) {
    let (e, d) = (equity.units(), debt.units());
    if e >= d {
        let t = Total::from_units(e - d);
        (t.units().to_string(), t.to_decimal(decimals))
    } else {
        let t = Total::from_units(d - e);
        (
            format!("-{}", t.units()),
            format!("-{}", t.to_decimal(decimals)),
        )
    }
}

fn usd(units: u128, usd_e8: u64, decimals: u8) -> Option<String> {
    let v = units.checked_mul(u128::from(usd_e8))? / 10u128.pow(u32::from(decimals));
    Some(Total::from_units(v).to_decimal(USD_DECIMALS))
}

impl ReservesReport {
    /// The report of checked wallets: per-asset reserves, ratios against the round's net
    /// liabilities, and the summary counts.
    ///
    /// # Errors
    /// [`ReservesError::Overflow`] if an asset's reserves leave the representable range.
    pub fn build(
        liabilities: &Liabilities,
        registry: &AssetRegistry,
        params: &VerifyParams,
        checked: CheckedWallets,
    ) -> Result<Self, ReservesError> {
        let CheckedWallets {
            verified: wallets,
            rejected,
            signatures_checked: signatures,
            balance_source: source,
        } = checked;
        let mut assets = Vec::with_capacity(liabilities.assets.len());
        for l in &liabilities.assets {
            let mut reserves = Total::ZERO;
            let mut by_chain: BTreeMap<String, Total> = BTreeMap::new();
            let mut count = 0;
            for w in wallets.iter().filter(|w| w.asset == l.asset) {
                count += 1;
                let overflow = || ReservesError::Overflow {
                    what: format!("reserves of {}", l.asset),
                };
                reserves = reserves.checked_add(w.balance).ok_or_else(overflow)?;
                let c = by_chain.entry(w.chain.clone()).or_insert(Total::ZERO);
                *c = c.checked_add(w.balance).ok_or_else(overflow)?;
            }
            let verifiable = count > 0
                || registry
                    .index_of(l.asset.as_str())
                    .and_then(|i| registry.get(i))
                    .is_some_and(|info| {
                        info.chains.iter().any(|c| {
                            params.chain(c).is_some_and(|spec| {
                                spec.native_asset == l.asset
                                    || params.token(c, l.asset.as_str()).is_some()
                            })
                        })
                    });
            let net = l.net();
            let (status, ratio) = match net {
                None => (AssetStatus::NoNetLiabilities, None),
                Some(_) if !verifiable => (AssetStatus::NotVerifiable, None),
                Some(n) => {
                    let bps = ratio_bps(reserves.units(), n.units());
                    if reserves < n {
                        (AssetStatus::Below100, Some(bps))
                    } else {
                        (AssetStatus::Covered, Some(bps))
                    }
                }
            };
            let (net_units, net_decimal) = signed_decimal(l.equity, l.debt, l.decimals);
            let price = params.usd_e8.get(&l.asset).copied();
            assets.push(AssetReserves {
                asset: l.asset.clone(),
                decimals: l.decimals,
                wallets: count,
                reserves,
                reserves_decimal: reserves.to_decimal(l.decimals),
                reserves_by_chain: by_chain,
                equity: l.equity,
                debt: l.debt,
                net_liabilities: net_units,
                net_liabilities_decimal: net_decimal,
                ratio_bps: ratio,
                ratio_percent: ratio.map(percent),
                below_100: status == AssetStatus::Below100,
                status,
                reserves_usd: price.and_then(|p| usd(reserves.units(), p, l.decimals)),
                net_liabilities_usd: price
                    .zip(net)
                    .and_then(|(p, n)| usd(n.units(), p, l.decimals)),
            });
        }
        let pick = |s: AssetStatus| -> Vec<AssetId> {
            assets
                .iter()
                .filter(|a| a.status == s)
                .map(|a| a.asset.clone())
                .collect()
        };
        let below = pick(AssetStatus::Below100);
        let summary = Summary {
            wallets_in_file: wallets.len() + rejected.len(),
            wallets_verified: wallets.len(),
            wallets_rejected: rejected.len(),
            duplicates: rejected
                .iter()
                .filter(|r| r.code == "duplicate_address")
                .count(),
            signatures_checked: signatures,
            all_covered: below.is_empty(),
            assets_below_100: below,
            assets_not_verifiable: pick(AssetStatus::NotVerifiable),
        };
        Ok(ReservesReport {
            format: REPORT_FORMAT.into(),
            exchange: params.exchange.clone(),
            round: liabilities.round.clone(),
            heights: params.heights.clone(),
            balance_source: source,
            summary,
            assets,
            wallets,
            rejected,
        })
    }
}

impl ReservesReport {
    /// `reserves.json`: pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("the report serialises");
        s.push('\n');
        s
    }

    /// The asset line of `asset`.
    pub fn asset(&self, asset: &str) -> Option<&AssetReserves> {
        self.assets.iter().find(|a| a.asset.as_str() == asset)
    }

    /// Chart-ready data: one bar per asset of the round.
    pub fn chart_data(&self) -> ChartData {
        ChartData {
            round: self.round.clone(),
            threshold_bps: FULL_BPS,
            bars: self
                .assets
                .iter()
                .map(|a| ChartBar {
                    asset: a.asset.clone(),
                    ratio_bps: a.ratio_bps,
                    reserves: a.reserves_decimal.clone(),
                    net_liabilities: a.net_liabilities_decimal.clone(),
                    reserves_usd: a.reserves_usd.clone(),
                    net_liabilities_usd: a.net_liabilities_usd.clone(),
                    below_100: a.below_100,
                    status: a.status,
                    by_chain: a
                        .reserves_by_chain
                        .iter()
                        .map(|(c, t)| (c.clone(), t.to_decimal(a.decimals)))
                        .collect(),
                })
                .collect(),
        }
    }

    /// A plain-text table for terminals and Markdown code blocks.
    pub fn render_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Proof of reserves — {} — round {} (balances: {})",
            self.exchange, self.round, self.balance_source
        );
        let heights: Vec<String> = self
            .heights
            .iter()
            .map(|(c, h)| format!("{c} {h}"))
            .collect();
        let _ = writeln!(out, "Snapshot heights: {}", heights.join(", "));
        let header = [
            "asset",
            "wallets",
            "reserves",
            "net liabilities",
            "ratio",
            "status",
        ];
        let rows: Vec<[String; 6]> = self
            .assets
            .iter()
            .map(|a| {
                [
                    a.asset.to_string(),
                    a.wallets.to_string(),
                    a.reserves_decimal.clone(),
                    a.net_liabilities_decimal.clone(),
                    a.ratio_percent
                        .as_ref()
                        .map_or_else(|| "n/a".to_owned(), |p| format!("{p}%")),
                    match a.status {
                        AssetStatus::Covered => "ok".to_owned(),
                        AssetStatus::Below100 => "BELOW 100%".to_owned(),
                        AssetStatus::NoNetLiabilities => "no net liabilities".to_owned(),
                        AssetStatus::NotVerifiable => {
                            "not verifiable (unsupported chain)".to_owned()
                        }
                    },
                ]
            })
            .collect();
        let mut width = header.map(str::len);
        for r in &rows {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cells: [&str; 6], out: &mut String| {
            let _ = writeln!(
                out,
                "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}  {:>w4$}  {}",
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                cells[4],
                cells[5],
                w0 = width[0],
                w1 = width[1],
                w2 = width[2],
                w3 = width[3],
                w4 = width[4],
            );
        };
        line(header, &mut out);
        for r in &rows {
            line(
                [&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]].map(String::as_str),
                &mut out,
            );
        }
        let s = &self.summary;
        let _ = writeln!(
            out,
            "{} wallets: {} verified, {} rejected ({} duplicates); {} signatures checked",
            s.wallets_in_file,
            s.wallets_verified,
            s.wallets_rejected,
            s.duplicates,
            s.signatures_checked
        );
        if !s.assets_below_100.is_empty() {
            let list: Vec<&str> = s.assets_below_100.iter().map(AssetId::as_str).collect();
            let _ = writeln!(out, "BELOW 100%: {}", list.join(", "));
        }
        if !self.rejected.is_empty() {
            const SHOWN: usize = 20;
            let _ = writeln!(out, "Rejected wallets:");
            for r in self.rejected.iter().take(SHOWN) {
                let _ = writeln!(
                    out,
                    "  line {:>5}  {} {} {}: {}",
                    r.line, r.chain, r.asset, r.address, r.reason
                );
            }
            if self.rejected.len() > SHOWN {
                let _ = writeln!(
                    out,
                    "  … and {} more (see reserves.json)",
                    self.rejected.len() - SHOWN
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_floored_exactly() {
        for (r, n, bps) in [
            (1, 1, 10_000),
            (0, 5, 0),
            (2, 3, 6_666),
            (99_999, 100_000, 9_999),
            (115, 100, 11_500),
            (u128::MAX, 1, u64::MAX),
            (u128::MAX, u128::MAX - 1, 10_000),
        ] {
            assert_eq!(ratio_bps(r, n), bps, "{r}/{n}");
        }
        assert_eq!(percent(10_327), "103.27");
        assert_eq!(percent(9_999), "99.99");
        assert_eq!(percent(5), "0.05");
    }
}
