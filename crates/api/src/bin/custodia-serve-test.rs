//! Test and benchmark helper: `custodia serve` as a standalone process.
//!
//! Loads the config (optional path argument, then `CUSTODIA_*` variables), binds
//! `server.listen` (port 0 picks a free port), prints `LISTENING <addr>` on stdout, and serves
//! until SIGTERM or ctrl-c. The durability test kills it with SIGKILL mid-burst.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args_os().nth(1).map(PathBuf::from);
    let config = custodia_api::Config::load(path.as_deref()).context("loading configuration")?;
    custodia_api::init_tracing(&config.log)?;
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("binding {}", config.server.listen))?;
    let mut out = std::io::stdout();
    writeln!(out, "LISTENING {}", listener.local_addr()?)?;
    out.flush()?;
    custodia_api::run(config, listener, custodia_api::shutdown_signal()).await
}
