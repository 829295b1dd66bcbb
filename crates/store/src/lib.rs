#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod checkpoints;
mod db;
mod error;
mod events;
mod fund;
mod guard;
pub mod jobs;
mod keys;
mod login;
mod login_pg;
mod login_sqlite;
mod migrations;
mod paging;
mod protect;
mod replay;
mod rows;

pub use db::{Access, Backend, Store, target_of};
pub use error::StoreError;
pub use jobs::{JobQueue, JobReader};
pub use migrations::{MIGRATIONS, Migration, SCHEMA_VERSION};

#[cfg(feature = "test-utils")]
pub mod testkit;
