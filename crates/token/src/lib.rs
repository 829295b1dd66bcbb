#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod analyze;
mod disasm;
mod error;
pub mod events;
mod fork;
mod holders;
mod input;
mod owner;
mod scan;
mod score;
pub mod selectors;
mod service;
mod sim;

pub use analyze::{StaticReport, analyze, eip1967_implementation_slot};
pub use disasm::{Code, Entry, MAX_CODE, Reach, decode_hex};
pub use error::TokenError;
pub use events::{TokenAssessed, TokenTally, kinds};
pub use fork::{ChainState, ForkSpec, MAX_STATE_READS, PinnedBlock, RemoteAccount, StateError};
pub use holders::{BURN_ADDRESSES, HolderReport, holders};
pub use input::{Holder, Lock, MAX_DEPLOYMENTS, MAX_HOLDERS, TokenInput, evm_address};
pub use owner::{MAX_WALK_STATES, Privileges};
pub use scan::{
    ForkOrder, NoChainState, SCAN_QUEUE, ScanError, ScanRequest, ScanSettings, ScanStatus,
    ScanTicket, StateSource, TokenScans, Worked, run as run_scan, scan_key,
};
pub use score::{Assessment, Level, Reason, ReasonCode, assess, assess_forked};
pub use service::{TokenService, TokenServiceError, event_of};
pub use sim::{
    Arg, Deployment, ForkReport, GAS_PER_SIMULATION, MAX_GAS_PER_TX, ROUTER, SIM_DEPLOYER,
    SimConfig, SimReport, Trade, simulate, simulate_fork,
};
