//! `custodia reserves …`: proof of assets — wallet ownership, balances, per-asset reserve ratios.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use custodia_chain_rpc::{BitcoindRpc, EvmRpc, JsonRpcClient};
use custodia_primitives::{Amount, AssetRegistry};
use custodia_reserves::{
    AssetLiability, BalanceSource, ChainKind, ChainSources, Liabilities, ReservesReport,
    StatedBalances, VerifyParams, read_wallet_file, verify_wallets_with,
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
    /// Check balances against a node instead of taking the file's: `CHAIN=http://host:port`, an
    /// EVM node (archive, for past heights) for an EVM chain, bitcoind held at the snapshot
    /// height for a Bitcoin chain. Repeat per chain; chains without a node keep the stated
    /// balances.
    #[arg(long = "node", value_name = "CHAIN=URL")]
    pub nodes: Vec<String>,
    /// HTTP basic credentials of a chain's node: a file holding `user:password` (bitcoind's
    /// `.cookie` file has this form).
    #[arg(long = "node-auth", value_name = "CHAIN=FILE")]
    pub node_auth: Vec<String>,
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
    // Only prices the manifest binds: each usd string must be the exact source of the integers
    // the proofs use (checked with the rest of the manifest).
    if custodia_verifier::round::check_manifest(m).is_err() {
        return;
    }
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

/// Splits a `CHAIN=VALUE` argument.
fn chain_arg<'a>(flag: &str, arg: &'a str) -> Result<(&'a str, &'a str)> {
    match arg.split_once('=') {
        Some((chain, value)) if !chain.is_empty() && !value.is_empty() => Ok((chain, value)),
        _ => bail!("--{flag} `{arg}`: expected CHAIN=VALUE"),
    }
}

/// One balance source per `--node`, by chain: an EVM node or bitcoind, as the chain's kind says.
fn node_sources(
    params: &VerifyParams,
    nodes: &[String],
    auth: &[String],
) -> Result<Vec<(String, Box<dyn BalanceSource>)>> {
    let mut credentials = std::collections::BTreeMap::new();
    for a in auth {
        let (chain, path) = chain_arg("node-auth", a)?;
        let text =
            fs::read_to_string(path).with_context(|| format!("reading node credentials {path}"))?;
        let Some((user, password)) = text.trim_end().split_once(':') else {
            bail!("{path}: expected `user:password`");
        };
        credentials.insert(chain.to_owned(), (user.to_owned(), password.to_owned()));
    }
    let mut sources: Vec<(String, Box<dyn BalanceSource>)> = Vec::new();
    for n in nodes {
        let (chain, url) = chain_arg("node", n)?;
        let Some(spec) = params.chain(chain) else {
            bail!("--node {chain}: not a chain of the verifier parameters");
        };
        if sources.iter().any(|(c, _)| c == chain) {
            bail!("--node {chain}: given twice");
        }
        let mut client = JsonRpcClient::new(url).with_context(|| format!("--node {chain}"))?;
        if let Some((user, password)) = credentials.remove(chain) {
            client = client.with_basic_auth(&user, &password);
        }
        let source: Box<dyn BalanceSource> = match spec.kind {
            ChainKind::Evm => Box::new(EvmRpc::new(client)),
            ChainKind::Tron => {
                bail!("--node {chain}: TRON nodes answer for the latest block only; no TRON source")
            }
            _ => Box::new(BitcoindRpc::new(client)),
        };
        sources.push((chain.to_owned(), source));
    }
    if let Some(chain) = credentials.keys().next() {
        bail!("--node-auth {chain}: no --node for that chain");
    }
    Ok(sources)
}

/// Verifies the wallet file against `source` and writes the report; returns it.
pub fn verify_and_write(
    wallets: &Path,
    round: &Path,
    params: &mut VerifyParams,
    source: &dyn BalanceSource,
    report_path: &Path,
) -> Result<ReservesReport> {
    let m = round_dir::load_manifest(round)?;
    let registry = round_registry(round)?;
    add_round_prices(params, &m);
    let liabilities = liabilities(&m)?;
    let rows = read_wallet_file(wallets)?;
    let checked = verify_wallets_with(&rows, &liabilities, &registry, params, source)?;
    let report = ReservesReport::build(&liabilities, &registry, params, checked)?;
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
    let nodes = node_sources(&params, &a.nodes, &a.node_auth)?;
    let report = if nodes.is_empty() {
        verify_and_write(
            &a.wallets,
            &a.round,
            &mut params,
            &StatedBalances,
            &report_path,
        )?
    } else {
        let routed = nodes
            .iter()
            .fold(ChainSources::new(), |r, (chain, source)| {
                r.route(chain.clone(), source.as_ref())
            })
            .fallback(&StatedBalances);
        verify_and_write(&a.wallets, &a.round, &mut params, &routed, &report_path)?
    };
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
