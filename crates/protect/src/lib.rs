#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod case;
mod cooling;
mod deposit;
mod error;
pub mod events;
mod order;
mod ports;
mod registry;
mod service;

pub use case::{
    Case, CaseAction, CaseId, CaseOutcome, CaseState, MAX_NOTE, Transition, validate_actor,
};
pub use cooling::{CoolingOff, CoolingPolicy, DAY_MS, extend_cooling};
pub use deposit::{
    AddressBook, BookEntry, BookHit, CaseKind, Diagnosis, FeeRule, FeeSchedule, MemBook, Outcome,
    Transfer, TransferInput, diagnose,
};
pub use error::ProtectError;
pub use events::{ProtectTally, kinds};
pub use order::{
    AccountFacts, Channel, DenyReason, Effect, NewAccountPolicy, Order, OrderDecision, OrderInput,
    PosSide, Product, ProductCap, Side, check_order, effect, parse_leverage,
};
pub use ports::{
    AccountState, AddressStatus, DepositAddress, ProtectOverview, ProtectRepo, Registered,
};
pub use registry::{AddressFormat, BookKey, Listing, MemoRule, NETWORKS, NetworkSpec, Registry};
pub use service::{ProtectService, ProtectSettings};
