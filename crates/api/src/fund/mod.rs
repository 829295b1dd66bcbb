//! The safety fund and risk provision fund over HTTP: OKX's public insurance-fund read, pool
//! balances and their history for the report's chart, the liquidation engine's settlements and
//! backlog reports, the ADL queue, and operators' top-ups and transfers. The rules are in
//! `custodia-fund`; this folder maps HTTP onto its use cases.

mod config;
mod doc;
mod metrics;
pub(crate) mod routes;
mod state;
mod wire;

pub use self::config::{FundConfig, PoolConfig};
pub(crate) use self::doc::FundDoc;
pub use self::metrics::FundMetrics;
pub use self::routes::routes;
pub use self::state::FundPart;
