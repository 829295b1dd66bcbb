#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod analyze;
mod disasm;
mod error;
pub mod selectors;
mod sim;

pub use analyze::{StaticReport, analyze, eip1967_implementation_slot};
pub use disasm::{Code, Entry, MAX_CODE, Reach, decode_hex};
pub use error::TokenError;
pub use sim::{Arg, Deployment, ROUTER, SIM_DEPLOYER, SimConfig, SimReport, Trade, simulate};
