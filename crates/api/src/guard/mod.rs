//! Threat intelligence over HTTP: the guard's `Catalog` (what checks read) and its
//! `CatalogWriter` (imports, publications) in this service's state, its routes
//! (`routes.rs`), wire types (`wire.rs`), configuration (`config.rs`), metrics and OpenAPI
//! stubs (`doc.rs`).

mod config;
mod doc;
mod metrics;
mod routes;
mod state;
mod wire;

pub use self::config::{BrandConfig, GuardConfig, PoisoningSection, PolicyConfig};
pub(crate) use self::doc::GuardDoc;
pub use self::metrics::GuardMetrics;
pub use self::routes::routes;
pub use self::state::{GuardState, GuardStore};
