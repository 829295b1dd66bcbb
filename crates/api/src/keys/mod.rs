//! API keys over HTTP: TOTP enrolment, key creation, listing and deletion, the gateway's
//! signed-request check and the idle purge, over [`custodia_keys::KeyService`].

mod config;
mod doc;
mod metrics;
mod routes;
mod state;
mod wire;

pub use self::config::KeysConfig;
pub(crate) use self::doc::KeysDoc;
pub use self::metrics::KeyMetrics;
pub use self::routes::routes;
pub use self::state::KeysState;
pub use self::wire::*;
