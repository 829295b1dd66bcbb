//! Account-takeover defence over HTTP: login assessment, withdrawal screening (with the guard's
//! address intelligence), security changes, allowlists and anti-phishing codes. The rules are in
//! `custodia-login`; this folder maps HTTP onto its use cases.

mod config;
mod doc;
mod metrics;
mod routes;
mod state;
mod wire;

pub use self::config::LoginConfig;
pub(crate) use self::doc::LoginDoc;
pub use self::metrics::LoginMetrics;
pub use self::routes::routes;
pub use self::state::{KekSealer, LoginPart};
