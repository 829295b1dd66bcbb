//! Account-takeover defence over HTTP: login assessment, withdrawal screening, security changes,
//! allowlists and anti-phishing codes. The rules and the use cases are in `custodia-login` (the
//! destination's address intelligence comes through its `DestinationIntel` port, which the
//! binary implements); this folder maps HTTP onto them.

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
