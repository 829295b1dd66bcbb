#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod error;
pub mod jobs;
mod migrations;
mod repo;
mod rows;
mod store;

pub use error::StoreError;
pub use jobs::{JobQueue, JobReader};
pub use migrations::{MIGRATIONS, Migration, SCHEMA_VERSION};
pub use repo::{
    ApiKeyRepo, EventAppender, EventReader, GuardLists, GuardReplace, GuardReplaced, GuardRepo,
    OperatorRecord, OperatorRepo, Role, StoreHealth, StoredSnapshot, TotpRecord, TotpRepo,
};
pub use store::{Backend, Store};

#[doc(hidden)]
pub mod testkit;
