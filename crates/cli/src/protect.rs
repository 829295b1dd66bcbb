//! `custodia protect`: user protection from the command line, over the configured store — the
//! cooling-off (start, extend, show: there is no verb that ends one), account facts, the
//! deposit-address book, diagnosis and recovery cases. Glue only: the use cases are in
//! `custodia-protect`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use custodia_api::Config;
use custodia_events::{OsEntropy, SystemClock, Timestamp};
use custodia_primitives::AccountId;
use custodia_protect::{
    AddressStatus, Case, CaseAction, CaseId, CaseState, Outcome, ProtectService, TransferInput,
};
use custodia_store::Store;
use serde_json::json;

use crate::Outcome as Exit;
use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum ProtectCommand {
    /// The derivatives cooling-off period: start or extend it, show it. It cannot be ended.
    #[command(subcommand)]
    CoolingOff(CoolingCommand),
    /// Account facts the new-account caps read.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Add, replace or retire a deposit address in the book.
    Address(AddressArgs),
    /// Diagnose an incoming transfer (what happened, what can be done).
    Diagnose(DiagnoseArgs),
    /// Wrong-deposit recovery cases.
    #[command(subcommand)]
    Case(CaseCommand),
}

#[derive(Debug, Args)]
pub struct Common {
    /// TOML configuration file (store URL, `[protect]`); `CUSTODIA_*` variables override it.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Who does it, as recorded in the log (`operator:NAME`).
    #[arg(long, default_value = "operator:cli")]
    pub actor: String,
}

#[derive(Debug, Subcommand)]
pub enum CoolingCommand {
    /// Start a cooling-off of DAYS (one of `protect.cooling_off_days`), or extend the running one.
    Start {
        /// The account.
        #[arg(long)]
        user: String,
        /// Days.
        #[arg(long)]
        days: u32,
        #[command(flatten)]
        common: Common,
    },
    /// Show the user's cooling-off.
    Show {
        /// The account.
        #[arg(long)]
        user: String,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Register when the account was opened.
    Register {
        /// The account.
        #[arg(long)]
        user: String,
        /// ISO 8601 UTC with milliseconds.
        #[arg(long)]
        opened_at: String,
        #[command(flatten)]
        common: Common,
    },
    /// Record that the account passed the derivatives knowledge check.
    KnowledgeCheck {
        /// The account.
        #[arg(long)]
        user: String,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Args)]
pub struct AddressArgs {
    /// The owner.
    #[arg(long)]
    user: String,
    /// Network it is issued for.
    #[arg(long)]
    network: String,
    /// The address.
    #[arg(long)]
    address: String,
    /// Memo or tag on shared addresses.
    #[arg(long)]
    memo: Option<String>,
    /// Mark it retired.
    #[arg(long)]
    retired: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
pub struct TransferArgs {
    /// Network (`ethereum`, `tron`, `xrp`, …).
    #[arg(long)]
    network: String,
    /// Token contract (absent: the native coin).
    #[arg(long)]
    token: Option<String>,
    /// Destination address.
    #[arg(long)]
    to: String,
    /// Memo or tag.
    #[arg(long)]
    memo: Option<String>,
    /// Amount in smallest units.
    #[arg(long)]
    amount: String,
    /// Transaction hash.
    #[arg(long)]
    tx_hash: String,
    /// Value in USD cents.
    #[arg(long)]
    usd_cents: Option<u64>,
}

impl TransferArgs {
    fn input(&self) -> TransferInput {
        TransferInput {
            network: self.network.clone(),
            token: self.token.clone(),
            to: self.to.clone(),
            memo: self.memo.clone(),
            amount: self.amount.clone(),
            tx_hash: self.tx_hash.clone(),
            usd_cents: self.usd_cents,
        }
    }
}

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    #[command(flatten)]
    transfer: TransferArgs,
    /// The user who reports it.
    #[arg(long)]
    claimant: Option<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Open a case for USER's transfer (only recoverable diagnoses open one).
    Open {
        /// The claimant.
        #[arg(long)]
        user: String,
        #[command(flatten)]
        transfer: TransferArgs,
        #[command(flatten)]
        common: Common,
    },
    /// List cases (by state).
    List {
        /// Only this state.
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Show a case with its history.
    Show {
        /// Case id.
        id: String,
        #[command(flatten)]
        common: Common,
    },
    /// Move a case: verify-ownership, approve, recover (--tx-hash), credit, reject (--reason).
    Act {
        /// Case id.
        id: String,
        /// verify-ownership, approve, recover, credit, reject.
        action: String,
        /// The return transaction (recover).
        #[arg(long)]
        tx_hash: Option<String>,
        /// The reason the user sees (reject).
        #[arg(long)]
        reason: Option<String>,
        /// A note.
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        common: Common,
    },
}

fn user(s: &str) -> Result<AccountId> {
    AccountId::new(s).map_err(|e| anyhow::anyhow!("--user: {e}"))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn service(c: &Common) -> Result<ProtectService<Store>> {
    let cfg = Config::load(c.config.as_deref()).context("loading configuration")?;
    let settings = cfg.protect.settings().context("[protect]")?;
    let store = Store::open(cfg.store.url.expose(), cfg.store.max_connections)
        .await
        .context("opening the store")?;
    Ok(ProtectService::new(
        store,
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
        settings,
    ))
}

fn case_json(c: &Case) -> serde_json::Value {
    json!({
        "id": c.id.to_string(), "user": c.user.as_str(), "kind": c.kind.as_str(),
        "state": c.state.as_str(), "network": c.network, "tx_hash": c.tx_hash,
        "asset": c.asset, "amount": c.amount.to_string(), "fee_units": c.fee_units.to_string(),
        "fee_usd_cents": c.fee_usd_cents, "reason": c.reason,
        "outcome": c.outcome.as_ref().map(|o| serde_json::to_value(o).unwrap_or_default()),
        "history": c.history.iter().map(|t| json!({
            "from": t.from.map(CaseState::as_str), "to": t.to.as_str(), "actor": t.actor,
            "at": t.at.to_iso8601_millis(), "note": t.note,
        })).collect::<Vec<_>>(),
    })
}

fn case_line(c: &Case) -> String {
    format!(
        "{}  {:<18} {:<18} {} {} ({}), fee {} USD cents",
        c.id,
        c.state.as_str(),
        c.kind.as_str(),
        c.amount,
        c.asset.as_deref().unwrap_or("unlisted token"),
        c.network,
        c.fee_usd_cents
    )
}

pub fn run(cmd: ProtectCommand, out: &Output) -> Result<Exit> {
    runtime()?.block_on(async {
        match cmd {
            ProtectCommand::CoolingOff(CoolingCommand::Start { user: u, days, common }) => {
                let svc = service(&common).await?;
                let c = svc.start_cooling_off(&user(&u)?, days, &common.actor).await?;
                let v = json!({"user": u, "started_at": c.started_at.to_iso8601_millis(), "until": c.until.to_iso8601_millis()});
                out.emit(&v, || format!("{u}: derivatives cooling-off until {}", c.until));
            }
            ProtectCommand::CoolingOff(CoolingCommand::Show { user: u, common }) => {
                let svc = service(&common).await?;
                let c = svc.cooling_off(&user(&u)?).await?;
                let v = json!({"user": u, "active": c.is_some(), "until": c.map(|c| c.until.to_iso8601_millis())});
                out.emit(&v, || match c {
                    Some(c) => format!("{u}: cooling-off until {}", c.until),
                    None => format!("{u}: no cooling-off"),
                });
            }
            ProtectCommand::Account(AccountCommand::Register { user: u, opened_at, common }) => {
                let at = Timestamp::parse_iso8601_millis(&opened_at)
                    .map_err(|e| anyhow::anyhow!("--opened-at: {e}"))?;
                let svc = service(&common).await?;
                let r = svc.register_account(&user(&u)?, at, &common.actor).await?;
                out.emit(&json!({"user": u, "registered": format!("{r:?}").to_lowercase()}), || {
                    format!("{u}: opened {opened_at}")
                });
            }
            ProtectCommand::Account(AccountCommand::KnowledgeCheck { user: u, common }) => {
                let svc = service(&common).await?;
                let new = svc.pass_knowledge_check(&user(&u)?, &common.actor).await?;
                out.emit(&json!({"user": u, "new": new}), || {
                    format!("{u}: knowledge check {}", if new { "recorded" } else { "already recorded" })
                });
            }
            ProtectCommand::Address(a) => {
                let svc = service(&a.common).await?;
                let status = if a.retired { AddressStatus::Retired } else { AddressStatus::Active };
                let e = svc
                    .set_deposit_address(&user(&a.user)?, &a.network, &a.address, a.memo.as_deref(), status, &a.common.actor)
                    .await?;
                out.emit(&json!({"key": e.key.0, "memo": e.memo, "user": a.user, "status": status.as_str()}), || {
                    format!("{} ({}) → {} [{}]", e.key.0, e.memo.as_deref().unwrap_or("no memo"), a.user, status.as_str())
                });
            }
            ProtectCommand::Diagnose(a) => {
                let svc = service(&a.common).await?;
                let claimant = a.claimant.as_deref().map(user).transpose()?;
                let (_, d) = svc.diagnose(&a.transfer.input(), claimant.as_ref()).await?;
                let fee = match &d.outcome {
                    Outcome::Recoverable { fee_usd_cents, .. } => Some(*fee_usd_cents),
                    _ => None,
                };
                out.emit(&json!({"case": d.case.as_str(), "outcome": d.outcome.as_str(), "reason": d.reason, "fee_usd_cents": fee}), || {
                    format!("{}: {} — {}", d.case, d.outcome.as_str(), d.reason)
                });
            }
            ProtectCommand::Case(CaseCommand::Open { user: u, transfer, common }) => {
                let svc = service(&common).await?;
                let c = svc.open_case(&transfer.input(), &user(&u)?, &common.actor).await?;
                out.emit(&case_json(&c), || format!("opened {}", case_line(&c)));
            }
            ProtectCommand::Case(CaseCommand::List { state, common }) => {
                let state = state
                    .as_deref()
                    .map(|s| CaseState::parse(s).ok_or_else(|| anyhow::anyhow!("--state: unknown state {s:?}")))
                    .transpose()?;
                let svc = service(&common).await?;
                let mut all = Vec::new();
                let mut after: Option<CaseId> = None;
                loop {
                    let page = svc.cases(state, after.as_ref(), 500).await?;
                    let full = page.len() == 500;
                    after = page.last().map(|c| c.id.clone());
                    all.extend(page);
                    if !full {
                        break;
                    }
                }
                out.emit(&all.iter().map(case_json).collect::<Vec<_>>(), || {
                    all.iter().map(case_line).collect::<Vec<_>>().join("\n")
                });
            }
            ProtectCommand::Case(CaseCommand::Show { id, common }) => {
                let svc = service(&common).await?;
                let c = svc.case(&CaseId::parse(&id)?).await?;
                out.emit(&case_json(&c), || {
                    let mut s = case_line(&c);
                    for t in &c.history {
                        s.push_str(&format!("\n  {}  {:<18} by {}", t.at, t.to.as_str(), t.actor));
                    }
                    s
                });
            }
            ProtectCommand::Case(CaseCommand::Act { id, action, tx_hash, reason, note, common }) => {
                let action = match action.as_str() {
                    "verify-ownership" => CaseAction::VerifyOwnership,
                    "approve" => CaseAction::Approve,
                    "recover" => CaseAction::Recover {
                        tx_hash: tx_hash.context("recover needs --tx-hash")?,
                    },
                    "credit" => CaseAction::Credit,
                    "reject" => CaseAction::Reject {
                        reason: reason.context("reject needs --reason")?,
                    },
                    other => anyhow::bail!(
                        "unknown action {other:?}: verify-ownership, approve, recover, credit or reject"
                    ),
                };
                let svc = service(&common).await?;
                let c = svc.act(&CaseId::parse(&id)?, &action, &common.actor, note.as_deref()).await?;
                out.emit(&case_json(&c), || case_line(&c));
            }
        }
        anyhow::Ok(Exit::Ok)
    })
}
