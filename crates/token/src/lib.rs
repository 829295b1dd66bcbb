#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod analyze;
mod disasm;
mod error;
pub mod events;
mod holders;
mod input;
mod score;
pub mod selectors;
mod service;
mod sim;

pub use analyze::{StaticReport, analyze, eip1967_implementation_slot};
pub use disasm::{Code, Entry, MAX_CODE, Reach, decode_hex};
pub use error::TokenError;
pub use events::{TokenAssessed, TokenTally, kinds};
pub use holders::{BURN_ADDRESSES, HolderReport, holders};
pub use input::{Holder, Lock, MAX_DEPLOYMENTS, MAX_HOLDERS, TokenInput, evm_address};
pub use score::{Assessment, Level, Reason, ReasonCode, assess};
pub use service::{TokenService, TokenServiceError, event_of};
pub use sim::{Arg, Deployment, ROUTER, SIM_DEPLOYER, SimConfig, SimReport, Trade, simulate};
