#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod address;
mod base58;
mod bitcoin;
mod chain;
mod error;
pub mod evm;
mod keccak;
pub mod solana;
pub mod tron;

pub use address::{Address, AddressKind};
pub use chain::{BitcoinParams, Chain, Network};
pub use error::{AddressReason, ChainError};
pub use keccak::{keccak256, keccak256_concat};
