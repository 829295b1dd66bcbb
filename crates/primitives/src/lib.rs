#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod account;
mod amount;
mod asset;
mod error;
pub mod pack;

pub use account::AccountId;
pub use amount::{Amount, AmountErrorKind, Total};
pub use asset::{AssetId, AssetInfo, AssetRegistry, DEFAULT_ASSETS_TOML};
pub use error::{AmountError, IdError, RegistryError};
