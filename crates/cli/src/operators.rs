//! `custodia operators create|list|revoke`: operator tokens managed on the store directly, for
//! the first admin, for rotation, and when no admin token is at hand. Glue only: the use cases
//! are `custodia_keys::create_operator` and `revoke_operator`, recorded in the event log like
//! their HTTP twins.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use custodia_events::{OsEntropy, SystemClock};
use custodia_keys::{OperatorRepo as _, Role, create_operator, revoke_operator};
use custodia_store::Access;
use serde::Serialize;

use crate::Outcome;
use crate::output::Output;
use crate::service::{load, open_existing};

#[derive(Debug, Subcommand)]
pub enum OperatorsCommand {
    /// Create an operator and print its bearer token (once: only its SHA-256 is stored).
    Create(CreateArgs),
    /// List operators (names, roles, creation and revocation times; never tokens).
    List(StoreArgs),
    /// Revoke an operator's token. New requests with it fail at once on a fresh process and
    /// within `server.operator_cache_secs` (30 s) on a running service.
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct StoreArgs {
    /// TOML configuration file (store URL); CUSTODIA_STORE_URL overrides it.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Unique name, 1-64 of a-z A-Z 0-9 _ - . (names stay taken after revocation).
    pub name: String,
    /// admin, analyst (read-only: audit, console), service (key management for the web back
    /// end) or gateway (the signed-request check only).
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The operator's name.
    pub name: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
        .ok_or_else(|| format!("unknown role {s:?}: use admin, analyst, service or gateway"))
}

/// Who the event log names for these commands: the local operator at the shell.
const ACTOR: &str = "system:cli";

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

#[derive(Serialize)]
struct Created {
    status: &'static str,
    name: String,
    role: &'static str,
    token: String,
}

#[derive(Serialize)]
struct Listed {
    name: String,
    role: &'static str,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_at: Option<String>,
}

#[derive(Serialize)]
struct Revoked {
    status: &'static str,
    name: String,
    role: &'static str,
    revoked_at: String,
}

pub fn run(cmd: OperatorsCommand, out: &Output) -> Result<Outcome> {
    match cmd {
        OperatorsCommand::Create(a) => {
            let cfg = load(a.store.config.as_ref())?;
            let c = runtime()?.block_on(async {
                let store = open_existing(&cfg, Access::ReadWrite).await?;
                let r = create_operator(
                    &store,
                    &SystemClock,
                    &OsEntropy,
                    ACTOR,
                    &a.name,
                    a.role,
                    None,
                )
                .await;
                store.close().await;
                anyhow::Ok(r?)
            })?;
            let j = Created {
                status: "created",
                name: c.record.name.clone(),
                role: c.record.role.as_str(),
                token: c.token.expose().to_owned(),
            };
            out.emit(&j, || {
                format!(
                    "operator `{}` ({}) created; its token, shown only now:\n{}",
                    j.name, j.role, j.token
                )
            });
        }
        OperatorsCommand::List(a) => {
            let cfg = load(a.config.as_ref())?;
            let ops = runtime()?.block_on(async {
                let store = open_existing(&cfg, Access::ReadOnly).await?;
                let r = store.list_operators().await;
                store.close().await;
                anyhow::Ok(r?)
            })?;
            let rows: Vec<Listed> = ops
                .iter()
                .map(|o| Listed {
                    name: o.name.clone(),
                    role: o.role.as_str(),
                    created_at: o.created_at.to_iso8601_millis(),
                    revoked_at: o.revoked_at.map(|t| t.to_iso8601_millis()),
                })
                .collect();
            out.emit(&rows, || {
                if rows.is_empty() {
                    return "no operators (create one with `custodia operators create NAME --role admin`)".into();
                }
                let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
                let mut s = format!("{:<w$}  {:<8}  {:<24}  state", "name", "role", "created");
                for r in &rows {
                    let state = r
                        .revoked_at
                        .as_ref()
                        .map_or("active".to_owned(), |t| format!("revoked {t}"));
                    s.push_str(&format!("\n{:<w$}  {:<8}  {:<24}  {state}", r.name, r.role, r.created_at));
                }
                s
            });
        }
        OperatorsCommand::Revoke(a) => {
            let cfg = load(a.store.config.as_ref())?;
            let rec = runtime()?.block_on(async {
                let store = open_existing(&cfg, Access::ReadWrite).await?;
                let r = revoke_operator(&store, &SystemClock, ACTOR, &a.name).await;
                store.close().await;
                anyhow::Ok(r?)
            })?;
            let j = Revoked {
                status: "revoked",
                name: rec.name.clone(),
                role: rec.role.as_str(),
                revoked_at: rec
                    .revoked_at
                    .map(|t| t.to_iso8601_millis())
                    .unwrap_or_default(),
            };
            out.emit(&j, || {
                format!(
                    "operator `{}` ({}) revoked; a running service stops accepting its token \
                     within server.operator_cache_secs",
                    j.name, j.role
                )
            });
        }
    }
    Ok(Outcome::Ok)
}
