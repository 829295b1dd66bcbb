#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use std::collections::{BTreeMap, HashMap, HashSet};

use custodia_primitives::{Amount, Total};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub mod edwards;
pub mod schemes;
mod wallets;

pub use wallets::{WalletRow, parse_wallets};

/// Format tag of the exchange's `reserves.json`.
pub const REPORT_FORMAT: &str = "custodia-reserves/1";
/// 100% in basis points.
pub const FULL_BPS: u64 = 10_000;
/// First field of every ownership message (`docs/reserves.md`).
pub const MESSAGE_PREFIX: &str = "Custodia proof of reserves";

/// The message the owner of `address` signs for `round` of `exchange` at block `height`.
pub fn ownership_message(exchange: &str, round: &str, height: u64, address: &str) -> String {
    format!("{MESSAGE_PREFIX} | {exchange} | round {round} | height {height} | {address}")
}

/// The files cannot be read as a proof of assets at all (exit code 2, not a rejection).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CheckError {
    /// `reserves.json` is not a reserves report.
    #[error("reserves.json: {reason}")]
    Report {
        /// What is wrong.
        reason: String,
    },
    /// The wallet file cannot be parsed.
    #[error("wallet file: {reason}")]
    Wallets {
        /// What is wrong.
        reason: String,
    },
}

/// One asset's totals, as `round.json` states them (and the round's proofs establish).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Liability {
    /// Asset symbol.
    pub asset: String,
    /// Ledger decimals.
    pub decimals: u8,
    /// Sum of the users' balances, smallest units.
    pub equity: u128,
    /// Sum of the users' debts, smallest units.
    pub debt: u128,
}

/// Where one asset stands after the re-check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetOutcome {
    /// The wallets re-checked here hold at least what customers are owed.
    Covered,
    /// At least 100% only when wallets this verifier cannot re-check are counted.
    CoveredCountingUnchecked,
    /// Less than customers are owed, even counting every wallet the exchange lists.
    Below100,
    /// Customers' debt is at least their balances: nothing is owed net.
    NothingOwed,
    /// The exchange lists no wallet for the asset and reports it as not verifiable.
    NotMeasured,
}

/// One asset's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetCheck {
    /// Asset symbol.
    pub asset: String,
    /// Ledger decimals.
    pub decimals: u8,
    /// Wallets whose signature was re-checked here.
    pub wallets: usize,
    /// Their balances, smallest units.
    pub reserves: u128,
    /// Wallets the exchange counts whose scheme this verifier does not re-check.
    pub wallets_unchecked: usize,
    /// Their balances, smallest units.
    pub reserves_unchecked: u128,
    /// Owed to customers net (equity − debt), smallest units; negative when debt exceeds it.
    pub net: i128,
    /// Re-checked reserves ÷ net, basis points rounded down (positive net only).
    pub ratio_bps: Option<u64>,
    /// The same counting the wallets not re-checked here.
    pub ratio_with_unchecked_bps: Option<u64>,
    /// The verdict.
    pub outcome: AssetOutcome,
}

/// `units` with `decimals` as an exact decimal: `1234567.5`.
fn decimal(units: u128, decimals: u8) -> String {
    Total::from_units(units).to_decimal(decimals)
}

/// Basis points as a percentage with two decimals: `10327` → `103.27%`.
pub fn percent(bps: u64) -> String {
    format!("{}.{:02}%", bps / 100, bps % 100)
}

/// `floor(reserves × 10000 / net)`, saturating; `net` must be positive.
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

impl AssetCheck {
    /// The line a customer reads.
    pub fn text(&self) -> String {
        let owed = decimal(self.net.unsigned_abs(), self.decimals);
        let held = decimal(self.reserves, self.decimals);
        let a = &self.asset;
        let wallets = |n: usize| {
            if n == 1 {
                "1 wallet".to_owned()
            } else {
                format!("{n} wallets")
            }
        };
        match self.outcome {
            AssetOutcome::Covered => format!(
                "{a}: the exchange holds {} of what it owes its customers ({held} {a} held in {}, \
                 every signature re-checked here; {owed} {a} owed).",
                percent(self.ratio_bps.unwrap_or(0)),
                wallets(self.wallets)
            ),
            AssetOutcome::CoveredCountingUnchecked => format!(
                "{a}: {} of what the exchange owes its customers, but only counting {} whose \
                 signature type this verifier cannot re-check ({} {a}); the wallets it did \
                 re-check hold {} ({held} {a} of {owed} {a} owed). Check the rest with \
                 `custodia reserves verify`.",
                percent(self.ratio_with_unchecked_bps.unwrap_or(0)),
                wallets(self.wallets_unchecked),
                decimal(self.reserves_unchecked, self.decimals),
                percent(self.ratio_bps.unwrap_or(0)),
            ),
            AssetOutcome::Below100 => format!(
                "{a}: the exchange holds only {} of what it owes its customers ({} {a} held, \
                 {owed} {a} owed): not enough to pay every customer back.",
                percent(self.ratio_with_unchecked_bps.unwrap_or(0)),
                decimal(self.reserves + self.reserves_unchecked, self.decimals),
            ),
            AssetOutcome::NothingOwed => format!(
                "{a}: customers' debt is at least their balances, so nothing is owed net \
                 ({} held).",
                decimal(self.reserves + self.reserves_unchecked, self.decimals)
            ),
            AssetOutcome::NotMeasured => format!(
                "{a}: not measured: the exchange lists no wallet it can prove for {a} ({owed} \
                 {a} owed)."
            ),
        }
    }
}

/// A wallet the exchange counts that does not check out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalletProblem {
    /// Line (CSV) or entry (JSON) of the wallet file.
    pub line: usize,
    /// Chain.
    pub chain: String,
    /// Address as the report gives it.
    pub address: String,
    /// Asset.
    pub asset: String,
    /// What is wrong.
    pub reason: String,
}

/// A wallet counted by the exchange whose scheme this verifier does not re-check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unchecked {
    /// Line (CSV) or entry (JSON) of the wallet file.
    pub line: usize,
    /// Chain.
    pub chain: String,
    /// Asset.
    pub asset: String,
    /// The scheme, as the report names it.
    pub scheme: String,
}

/// The result of [`check_reserves`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReservesCheck {
    /// The exchange the messages name.
    pub exchange: String,
    /// The round.
    pub round: String,
    /// One line per asset of the round, in round order.
    pub assets: Vec<AssetCheck>,
    /// Wallets re-checked here (signature valid, row consistent).
    pub wallets_checked: usize,
    /// Counted wallets that fail.
    pub failed: Vec<WalletProblem>,
    /// Counted wallets not re-checked here.
    pub unchecked: Vec<Unchecked>,
    /// Report-level disagreements with the files (another round, sums that do not add up).
    pub mismatches: Vec<String>,
}

impl ReservesCheck {
    /// No failed wallet, no mismatch, no asset below 100%.
    pub fn ok(&self) -> bool {
        self.failed.is_empty()
            && self.mismatches.is_empty()
            && !self
                .assets
                .iter()
                .any(|a| a.outcome == AssetOutcome::Below100)
    }

    /// One sentence for the summary: every asset covered, or what is not.
    pub fn headline(&self) -> String {
        if !self.failed.is_empty() || !self.mismatches.is_empty() {
            return format!(
                "the exchange's proof of reserves does not check out ({} problem{})",
                self.failed.len() + self.mismatches.len(),
                if self.failed.len() + self.mismatches.len() == 1 {
                    ""
                } else {
                    "s"
                }
            );
        }
        let below: Vec<String> = self
            .assets
            .iter()
            .filter(|a| a.outcome == AssetOutcome::Below100)
            .map(|a| {
                format!(
                    "{} ({})",
                    a.asset,
                    percent(a.ratio_with_unchecked_bps.unwrap_or(0))
                )
            })
            .collect();
        if !below.is_empty() {
            return format!(
                "the exchange holds less than it owes its customers in {}",
                below.join(", ")
            );
        }
        let covered = self
            .assets
            .iter()
            .filter(|a| a.outcome == AssetOutcome::Covered)
            .count();
        let partly = self
            .assets
            .iter()
            .filter(|a| a.outcome == AssetOutcome::CoveredCountingUnchecked)
            .count();
        if partly == 0 {
            format!("the exchange's wallets cover what it owes in all {covered} assets it owes")
        } else {
            format!(
                "the exchange's wallets cover what it owes in {covered} assets, and in {partly} \
                 more only counting wallets this verifier cannot re-check"
            )
        }
    }
}

#[derive(Deserialize)]
struct Report {
    format: String,
    exchange: String,
    round: String,
    heights: BTreeMap<String, u64>,
    assets: Vec<ReportAsset>,
    wallets: Vec<ReportWallet>,
}

#[derive(Deserialize)]
struct ReportAsset {
    asset: String,
    decimals: u8,
    reserves: serde_json::Value,
    status: String,
}

#[derive(Deserialize)]
struct ReportWallet {
    line: usize,
    chain: String,
    address: String,
    asset: String,
    balance: serde_json::Value,
    height: u64,
    scheme: String,
}

/// An integer the report writes as a number or a decimal string.
fn units(v: &serde_json::Value) -> Option<u128> {
    match v {
        serde_json::Value::Number(n) => n.as_u64().map(u128::from),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Re-checks the exchange's proof of assets of round `round` against the round's totals:
/// `report` is `reserves.json`, `wallet_file` the published `wallets.csv` or `wallets.json`.
///
/// Every wallet the report counts is looked up in the wallet file by line, compared (chain,
/// asset, balance, height), and its signature verified over the message rebuilt from the
/// report's exchange name, `round`, the height and the address; balances are summed per asset
/// and divided by `equity − debt`.
///
/// # Errors
/// [`CheckError`] when a file cannot be read as what it claims to be. Everything found by
/// checking is in the [`ReservesCheck`].
pub fn check_reserves(
    round: &str,
    liabilities: &[Liability],
    report: &[u8],
    wallet_file: &[u8],
) -> Result<ReservesCheck, CheckError> {
    let report: Report = serde_json::from_slice(report).map_err(|e| CheckError::Report {
        reason: format!("not a reserves report: {e}"),
    })?;
    if report.format != REPORT_FORMAT {
        return Err(CheckError::Report {
            reason: format!("format `{}`, expected `{REPORT_FORMAT}`", report.format),
        });
    }
    let rows = parse_wallets(wallet_file)?;
    let by_line: HashMap<usize, &WalletRow> = rows.iter().map(|r| (r.line, r)).collect();
    let mut out = ReservesCheck {
        exchange: report.exchange.clone(),
        round: round.to_owned(),
        assets: Vec::new(),
        wallets_checked: 0,
        failed: Vec::new(),
        unchecked: Vec::new(),
        mismatches: Vec::new(),
    };
    if report.round != round {
        out.mismatches.push(format!(
            "the reserves report is for round {}, not round {round}",
            report.round
        ));
    }
    let decimals: HashMap<&str, u8> = liabilities
        .iter()
        .map(|l| (l.asset.as_str(), l.decimals))
        .collect();
    // Per asset: (re-checked count, sum, unchecked count, sum).
    let mut sums: HashMap<String, (usize, u128, usize, u128)> = HashMap::new();
    let mut seen: HashSet<(String, String, String)> = HashSet::new();
    for w in &report.wallets {
        let problem = |reason: String| WalletProblem {
            line: w.line,
            chain: w.chain.clone(),
            address: w.address.clone(),
            asset: w.asset.clone(),
            reason,
        };
        match check_wallet(w, &report, round, &by_line, &decimals, &mut seen) {
            Ok((balance, Verdict::Checked)) => {
                out.wallets_checked += 1;
                let s = sums.entry(w.asset.clone()).or_default();
                s.0 += 1;
                s.1 += balance;
            }
            Ok((balance, Verdict::Unchecked)) => {
                out.unchecked.push(Unchecked {
                    line: w.line,
                    chain: w.chain.clone(),
                    asset: w.asset.clone(),
                    scheme: w.scheme.clone(),
                });
                let s = sums.entry(w.asset.clone()).or_default();
                s.2 += 1;
                s.3 += balance;
            }
            Err(reason) => out.failed.push(problem(reason)),
        }
    }
    let claimed: HashMap<&str, &ReportAsset> = report
        .assets
        .iter()
        .map(|a| (a.asset.as_str(), a))
        .collect();
    for a in &report.assets {
        if !decimals.contains_key(a.asset.as_str()) {
            out.mismatches.push(format!(
                "the reserves report lists {}, which round {round} does not have",
                a.asset
            ));
        }
    }
    for l in liabilities {
        let (n, reserves, nu, unchecked) = sums.get(&l.asset).copied().unwrap_or_default();
        let net = i128::try_from(l.equity).unwrap_or(i128::MAX)
            - i128::try_from(l.debt).unwrap_or(i128::MAX);
        let claim = claimed.get(l.asset.as_str());
        if let Some(c) = claim {
            let all = reserves.saturating_add(unchecked);
            if c.decimals != l.decimals {
                out.mismatches.push(format!(
                    "{}: the reserves report says {} decimals, the round {}",
                    l.asset, c.decimals, l.decimals
                ));
            } else if units(&c.reserves) != Some(all) {
                out.mismatches.push(format!(
                    "{}: the reserves report claims {} {} held, but the wallets that check out \
                     hold {}",
                    l.asset,
                    units(&c.reserves).map_or_else(
                        || "an unreadable amount".to_owned(),
                        |u| decimal(u, l.decimals)
                    ),
                    l.asset,
                    decimal(all, l.decimals)
                ));
            }
        }
        let (ratio, ratio_all, outcome) = if net <= 0 {
            (None, None, AssetOutcome::NothingOwed)
        } else {
            let owed = net.unsigned_abs();
            let r = ratio_bps(reserves, owed);
            let r_all = ratio_bps(reserves.saturating_add(unchecked), owed);
            let not_verifiable = n + nu == 0 && claim.is_some_and(|c| c.status == "not_verifiable");
            let outcome = if not_verifiable {
                AssetOutcome::NotMeasured
            } else if r >= FULL_BPS {
                AssetOutcome::Covered
            } else if r_all >= FULL_BPS {
                AssetOutcome::CoveredCountingUnchecked
            } else {
                AssetOutcome::Below100
            };
            (Some(r), Some(r_all), outcome)
        };
        out.assets.push(AssetCheck {
            asset: l.asset.clone(),
            decimals: l.decimals,
            wallets: n,
            reserves,
            wallets_unchecked: nu,
            reserves_unchecked: unchecked,
            net,
            ratio_bps: ratio,
            ratio_with_unchecked_bps: ratio_all,
            outcome,
        });
    }
    Ok(out)
}

enum Verdict {
    Checked,
    Unchecked,
}

/// One counted wallet: its balance and whether its signature was re-checked, or why it fails.
fn check_wallet(
    w: &ReportWallet,
    report: &Report,
    round: &str,
    by_line: &HashMap<usize, &WalletRow>,
    decimals: &HashMap<&str, u8>,
    seen: &mut HashSet<(String, String, String)>,
) -> Result<(u128, Verdict), String> {
    let row = by_line
        .get(&w.line)
        .ok_or_else(|| format!("the wallet file has no line {}", w.line))?;
    if row.chain != w.chain || row.asset != w.asset {
        return Err(format!(
            "line {} of the wallet file is {} {}, the report counts {} {}",
            w.line, row.chain, row.asset, w.chain, w.asset
        ));
    }
    let d = *decimals
        .get(w.asset.as_str())
        .ok_or_else(|| format!("{} is not an asset of round {round}", w.asset))?;
    let stated = Amount::parse(&row.balance, d)
        .map_err(|e| format!("the wallet file's balance `{}`: {e}", row.balance))?;
    let counted = units(&w.balance).ok_or("the report's balance is not an integer")?;
    if u128::from(stated.units()) != counted {
        return Err(format!(
            "the report counts {} {}, the wallet file states {}",
            decimal(counted, d),
            w.asset,
            row.balance
        ));
    }
    let height: u64 = row
        .height
        .parse()
        .map_err(|_| format!("the wallet file's height `{}` is not a number", row.height))?;
    let pinned = report.heights.get(&w.chain).copied();
    if height != w.height || pinned != Some(height) {
        return Err(format!(
            "height {height} is not the snapshot height the report pins for {} ({})",
            w.chain,
            pinned.map_or_else(|| "none".to_owned(), |h| h.to_string())
        ));
    }
    if !seen.insert((w.chain.clone(), w.address.clone(), w.asset.clone())) {
        return Err("the same wallet and asset are counted twice".into());
    }
    // The message is rebuilt, never read from the file; the address the report names must be
    // the canonical spelling of the file's address, which the signature must prove.
    let message = ownership_message(&report.exchange, round, height, &w.address);
    let canonical = match w.scheme.as_str() {
        "eip191" => schemes::eip191(&row.address, &message, &row.signatures)?,
        "tip191" => schemes::tip191(&row.address, &message, &row.signatures)?,
        "bip137" => schemes::bitcoin_bip137(&row.address, &message, &row.signatures)?,
        "solana-offchain" | "solana-raw" => edwards::solana(
            &row.address,
            &message,
            &row.signatures,
            &row.script,
            w.scheme == "solana-offchain",
        )?,
        "sr25519-bytes" | "ed25519-bytes" => edwards::polkadot(
            &row.address,
            &message,
            &row.signatures,
            w.scheme == "sr25519-bytes",
        )?,
        "aip62" => edwards::aptos(&row.address, &message, &row.signatures, &row.script)?,
        "sui-personal-message" => edwards::sui(&row.address, &message, &row.signatures)?,
        "sep53" => edwards::stellar(&row.address, &message, &row.signatures)?,
        "xrpl-keypairs" => edwards::xrpl(&row.address, &message, &row.signatures, &row.script)?,
        "coin-signed-message" => match schemes::coin_of(&w.chain) {
            Some(coin) => {
                schemes::coin_signed_message(coin, &row.address, &message, &row.signatures)?
            }
            None => return Ok((counted, Verdict::Unchecked)),
        },
        _ => return Ok((counted, Verdict::Unchecked)),
    };
    if canonical != w.address {
        return Err(format!(
            "the report names {}, the wallet file's address is {canonical}",
            w.address
        ));
    }
    Ok((counted, Verdict::Checked))
}
