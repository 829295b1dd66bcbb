#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod decimal;
pub mod demo;
mod error;
mod ingest;
mod prices;
mod snapshot;

pub use error::{PriceProblem, Reason, Side, SnapshotError};
pub use ingest::{Format, load, read};
pub use prices::{
    BPS_ONE, PRICE_SCALE, PRICE_SCALE_DECIMALS, Price, Prices, Undercollateralised,
    check_collateral_usd, load_prices, parse_prices,
};
pub use snapshot::Snapshot;
