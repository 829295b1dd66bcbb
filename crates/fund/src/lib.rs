#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod adl;
mod contract;
mod error;
pub mod events;
mod ledger;
mod liquidation;
mod pool;
mod ports;
mod service;
pub mod sim;

pub use adl::{ADL_END, AdlPolicy, AdlType, Deleveraged, Ranked, deleverage, rank};
pub use contract::{Contract, ContractKind, Position, PositionId, Price, Side};
pub use error::{FundError, FundResult};
pub use events::{FundTally, PoolMonth, kinds};
pub use ledger::{
    Applied, Book, EntryKind, Leg, Liquidation, OpKey, Operation, Outcome, PoolState, Request,
    Settled, apply, window_peak,
};
pub use liquidation::{Settlement, settle};
pub use pool::{BusinessLine, PoolId, PoolSpec};
pub use ports::{FundRepo, JournalQuery, JournalRow, PoolActivity, Submitted};
pub use service::{FundService, FundSettings, MAX_BATCH};
