//! User protection over HTTP: the order check, the cooling-off (start and extend only: there is
//! no route that ends one), account facts for the new-account caps, the deposit-address book,
//! wrong-deposit diagnosis, recovery cases for operators and their status for users. The rules
//! are in `custodia-protect`; this folder maps HTTP onto its use cases.

mod config;
mod doc;
mod metrics;
mod routes;
mod state;
mod wire;

pub use self::config::ProtectConfig;
pub(crate) use self::doc::ProtectDoc;
pub use self::metrics::ProtectMetrics;
pub use self::routes::{OrderPath, routes};
pub use self::state::ProtectPart;
