//! `custodia reserves …`: proof of assets — wallet ownership, balances, per-asset reserve ratios.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use custodia_primitives::{Amount, AssetRegistry};
use custodia_reserves::{
    AssetLiability, Liabilities, ReservesReport, VerifyParams, verify_wallet_file,
};
use custodia_sumtree::RoundManifest;

use crate::Outcome;
use crate::output::Output;
use crate::round_dir;

#[derive(Debug, Subcommand)]
pub enum ReservesCommand {
    /// Verify the exchange's wallet file against a round: signatures over the round-bound
    /// message, balances at the snapshot height, per-asset reserve ratios.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Wallet file (CSV or JSON; see docs/formats.md).
    #[arg(long)]
    pub wallets: PathBuf,
    /// The round folder (its round.json gives the liabilities).
    #[arg(long)]
    pub round: PathBuf,
    /// Verifier parameters: exchange name, snapshot height per chain, token contracts
    /// (default: reserves.toml beside the wallet file).
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Where to write the report (default: reserves.json in the round folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Exit with 1 when an asset is below 100% or has liabilities this verifier cannot check.
    #[arg(long)]
    pub strict: bool,
}

pub fn run(cmd: ReservesCommand, out: &Output) -> Result<Outcome> {
    match cmd {
        ReservesCommand::Verify(a) => verify(a, out),
    }
}

/// The round's liabilities as the reserves verifier takes them.
pub fn liabilities(m: &RoundManifest) -> Result<Liabilities> {
    let assets = m
        .totals
        .iter()
        .map(|t| AssetLiability {
            asset: t.asset.clone(),
            decimals: t.decimals,
            equity: t.equity,
            debt: t.debt,
        })
        .collect();
    Ok(Liabilities::new(m.round.clone(), assets)?)
}

/// Reads `assets.toml` of a round folder.
pub fn round_registry(dir: &Path) -> Result<AssetRegistry> {
    let path = dir.join("assets.toml");
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    AssetRegistry::from_toml(&text).with_context(|| path.display().to_string())
}

/// Fills the parameters' USD prices from the round's committed prices (for the report's USD
/// column), keeping any the operator set.
pub fn add_round_prices(params: &mut VerifyParams, m: &RoundManifest) {
    if let Some(p) = &m.prices {
        for a in &p.assets {
            if let Ok(usd_e8) = Amount::parse(&a.usd, 8) {
                params
                    .usd_e8
                    .entry(a.asset.clone())
                    .or_insert(usd_e8.units());
            }
        }
    }
}

/// Verifies and writes the report; returns it.
pub fn verify_and_write(
    wallets: &Path,
    round: &Path,
    params: &mut VerifyParams,
    report_path: &Path,
) -> Result<ReservesReport> {
    let m = round_dir::load_manifest(round)?;
    let registry = round_registry(round)?;
    add_round_prices(params, &m);
    let report = verify_wallet_file(wallets, &liabilities(&m)?, &registry, params)?;
    fs::write(report_path, report.to_json())
        .with_context(|| format!("writing {}", report_path.display()))?;
    let chart = report_path.with_file_name("reserves-chart.json");
    fs::write(&chart, serde_json::to_vec_pretty(&report.chart_data())?)
        .with_context(|| format!("writing {}", chart.display()))?;
    Ok(report)
}

fn verify(a: VerifyArgs, out: &Output) -> Result<Outcome> {
    let params_path = a
        .params
        .clone()
        .unwrap_or_else(|| a.wallets.with_file_name("reserves.toml"));
    let text = fs::read_to_string(&params_path).with_context(|| {
        format!(
            "reading verifier parameters {} (pass --params)",
            params_path.display()
        )
    })?;
    let mut params =
        VerifyParams::from_toml(&text).with_context(|| params_path.display().to_string())?;
    let report_path = a
        .out
        .clone()
        .unwrap_or_else(|| a.round.join("reserves.json"));
    let report = verify_and_write(&a.wallets, &a.round, &mut params, &report_path)?;
    out.emit(&report, || {
        format!(
            "{}\nreport written to {}",
            report.render_table(),
            report_path.display()
        )
    });
    let flagged = !report.summary.assets_below_100.is_empty()
        || !report.summary.assets_not_verifiable.is_empty();
    Ok(if a.strict && flagged {
        Outcome::Rejected
    } else {
        Outcome::Ok
    })
}
