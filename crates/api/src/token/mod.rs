//! Scam-token detection over HTTP: one assessment per request (bytecode, holders and, when
//! creation code is given, the buy/sell simulation). The analysis is in `custodia-token`;
//! this folder maps HTTP onto its use case.

mod config;
mod doc;
mod metrics;
mod routes;
mod state;
mod wire;

pub use self::config::TokenConfig;
pub(crate) use self::doc::TokenDoc;
pub use self::metrics::TokenMetrics;
pub use self::routes::routes;
pub use self::state::{Scans, SharedClock, TokenPart};
