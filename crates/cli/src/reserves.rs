//! `custodia reserves …`: proof of assets — wallet ownership, balances, per-asset reserve ratios.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use custodia_chain_rpc::{
    AptosRest, BitcoindRpc, EvmRpc, FilecoinRpc, JsonRpcClient, SubstrateRpc, XrplRpc,
};
use custodia_primitives::{Amount, AssetRegistry};
use custodia_reserves::{
    AssetLiability, BalanceSource, ChainKind, ChainSources, Liabilities, ReservesReport,
    StatedBalances, VerifyParams, WalletFormat, read_wallet_file, verify_wallets_with,
    write_wallets,
};
use custodia_sumtree::RoundManifest;

use crate::Outcome;
use crate::output::Output;
use crate::round_dir;

#[derive(Debug, Subcommand)]
pub enum ReservesCommand {
    /// Verify the exchange's wallet file against a round: signatures over the round-bound
    /// message, balances at the snapshot height, per-asset reserve ratios. Exits 1 when an
    /// asset is below 100% or cannot be measured, or a wallet is rejected (unless
    /// --allow-shortfall).
    Verify(VerifyArgs),
    /// Write the wallet file custody signers fill in: for every address of the list, the
    /// canonical address, the chain's snapshot height and the exact message to sign.
    Template(TemplateArgs),
    /// Check another exchange's published proof-of-assets file (opt-in compatibility reader):
    /// OKX's wallet-signature CSV with its fixed message and formats, keeping the checks OKX's
    /// verifier skips. Exits 1 when a row is rejected.
    Okx(OkxArgs),
}

#[derive(Debug, Args)]
pub struct OkxArgs {
    /// OKX's published CSV (coin,Type,Network,Snapshot Height,address,amount,message,
    /// signature1,signature2,redeem script/public key,EOA1,EOA2).
    #[arg(long)]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// The round folder (its round.json gives the round id, its assets.toml the registry).
    #[arg(long)]
    pub round: PathBuf,
    /// Address list: CSV with the columns chain,address,asset and optionally balance and
    /// key_data (see docs/reserves.md).
    #[arg(long)]
    pub addresses: PathBuf,
    /// Verifier parameters: exchange name and snapshot heights (default: reserves.toml in the
    /// round folder).
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Where to write the wallet file (default: wallets-to-sign.csv, or .json, in the round
    /// folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// CSV or JSON.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: TemplateFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TemplateFormat {
    Csv,
    Json,
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
    /// Exit 0 even when an asset is below 100% or cannot be measured, or a wallet is rejected
    /// (the report still lists them). Without it such a result exits 1.
    #[arg(long)]
    pub allow_shortfall: bool,
    /// The default since exits became strict; kept so that older scripts still run.
    #[arg(long, hide = true, conflicts_with = "allow_shortfall")]
    pub strict: bool,
    /// Check balances against a node instead of taking the file's: `CHAIN=http(s)://host:port`,
    /// an EVM node (archive, for past heights; also EIP-1271 contract wallets) for an EVM chain,
    /// bitcoind (or Litecoin/Dash/BCH node) held at the snapshot height for a Bitcoin-family
    /// chain, a full-history rippled for `xrpl` (balance and master-key authority). Repeat per
    /// chain; replaces reserves.toml's [nodes.CHAIN]; chains without a node keep the stated
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
        ReservesCommand::Template(a) => template(a, out),
        ReservesCommand::Okx(a) => okx(a, out),
    }
}

fn okx(a: OkxArgs, out: &Output) -> Result<Outcome> {
    let text =
        fs::read_to_string(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let report = custodia_reserves::okx::verify_okx_file(&text)
        .with_context(|| a.file.display().to_string())?;
    out.emit(&report, || {
        let mut s = format!(
            "OKX proof of assets: {} rows verified, {} rejected\n",
            report.verified, report.rejected
        );
        for (coin, (ok, bad)) in &report.by_coin {
            s.push_str(&format!("{coin:<8} {ok:>6} verified {bad:>6} rejected\n"));
        }
        for r in report.rows.iter().filter(|r| r.rejected.is_some()).take(20) {
            let (code, why) = r.rejected.as_ref().expect("filtered");
            s.push_str(&format!(
                "line {} {} {}: {code}: {why}\n",
                r.line, r.coin, r.address
            ));
        }
        s.push_str(&format!("note: {}", report.caveat));
        s
    });
    Ok(if report.rejected > 0 {
        Outcome::Rejected
    } else {
        Outcome::Ok
    })
}

fn template(a: TemplateArgs, out: &Output) -> Result<Outcome> {
    let params_path = a
        .params
        .clone()
        .unwrap_or_else(|| a.round.join("reserves.toml"));
    let text = fs::read_to_string(&params_path).with_context(|| {
        format!(
            "reading verifier parameters {} (pass --params)",
            params_path.display()
        )
    })?;
    let params =
        VerifyParams::from_toml(&text).with_context(|| params_path.display().to_string())?;
    let m = round_dir::load_manifest(&a.round)?;
    let registry = round_registry(&a.round)?;
    let list = fs::read_to_string(&a.addresses)
        .with_context(|| format!("reading {}", a.addresses.display()))?;
    let chains = |asset: &str| {
        registry
            .index_of(asset)
            .and_then(|i| registry.get(i))
            .map(|info| info.chains.as_slice())
    };
    let rows = custodia_reserves::wallet_template(&list, &m.round, &params, chains)
        .with_context(|| a.addresses.display().to_string())?;
    let format = match a.format {
        TemplateFormat::Csv => WalletFormat::Csv,
        TemplateFormat::Json => WalletFormat::Json,
    };
    let path = a.out.clone().unwrap_or_else(|| {
        a.round
            .join(format!("wallets-to-sign.{}", format.extension()))
    });
    fs::write(&path, write_wallets(&rows, format))
        .with_context(|| format!("writing {}", path.display()))?;
    let summary = serde_json::json!({
        "round": m.round,
        "wallets": rows.len(),
        "file": path.display().to_string(),
    });
    out.emit(&summary, || {
        format!(
            "{} wallets to sign for round {} written to {}",
            rows.len(),
            m.round,
            path.display()
        )
    });
    Ok(Outcome::Ok)
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
    // reserves.toml's [nodes.<chain>] first; a --node for the same chain replaces it.
    let mut wanted: std::collections::BTreeMap<String, String> = params
        .nodes
        .iter()
        .map(|(c, n)| (c.clone(), n.url.clone()))
        .collect();
    for (chain, n) in &params.nodes {
        if let Some(path) = &n.auth_file
            && !credentials.contains_key(chain)
        {
            let text = fs::read_to_string(path)
                .with_context(|| format!("reading node credentials {path} (nodes.{chain})"))?;
            let Some((user, password)) = text.trim_end().split_once(':') else {
                bail!("{path}: expected `user:password`");
            };
            credentials.insert(chain.clone(), (user.to_owned(), password.to_owned()));
        }
    }
    let mut given = std::collections::BTreeSet::new();
    for n in nodes {
        let (chain, url) = chain_arg("node", n)?;
        if !given.insert(chain.to_owned()) {
            bail!("--node {chain}: given twice");
        }
        wanted.insert(chain.to_owned(), url.to_owned());
    }
    let mut sources: Vec<(String, Box<dyn BalanceSource>)> = Vec::new();
    for (chain, url) in &wanted {
        let (chain, url) = (chain.as_str(), url.as_str());
        let Some(spec) = params.chain(chain) else {
            bail!("--node {chain}: not a chain of the verifier parameters");
        };
        let mut client = JsonRpcClient::new(url).with_context(|| format!("--node {chain}"))?;
        if let Some((user, password)) = credentials.remove(chain) {
            client = client.with_basic_auth(&user, &password);
        }
        let source: Box<dyn BalanceSource> = match spec.kind {
            ChainKind::Evm => Box::new(EvmRpc::new(client)),
            ChainKind::Tron => {
                bail!("--node {chain}: TRON nodes answer for the latest block only; no TRON source")
            }
            // Bitcoin Core and its descendants with `scantxoutset` (Litecoin, Dash, Bitcoin Cash
            // Node; not Dogecoin Core 1.14).
            ChainKind::Bitcoin
            | ChainKind::BitcoinTestnet
            | ChainKind::BitcoinSignet
            | ChainKind::BitcoinRegtest
            | ChainKind::Litecoin
            | ChainKind::Dash
            | ChainKind::BitcoinCash => Box::new(BitcoindRpc::new(client)),
            ChainKind::Xrpl => Box::new(XrplRpc::new(client)),
            ChainKind::Filecoin => Box::new(FilecoinRpc::new(client)),
            ChainKind::Aptos => Box::new(AptosRest::new(client)),
            ChainKind::Polkadot => Box::new(SubstrateRpc::new(client)),
            other => bail!(
                "--node {chain}: no node balance source for {other:?} chains yet; their wallets keep the stated balances"
            ),
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
        || !report.summary.assets_not_verifiable.is_empty()
        || report.summary.wallets_rejected > 0;
    Ok(if !a.allow_shortfall && flagged {
        Outcome::Rejected
    } else {
        Outcome::Ok
    })
}
