#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod address;
pub mod aelf;
mod base58;
mod bitcoin;
pub mod cardano;
mod chain;
pub mod checksum;
pub mod coins;
pub mod cosmos;
pub mod eos;
mod error;
pub mod evm;
pub mod filecoin;
pub mod hex32;
mod keccak;
pub mod solana;
pub mod ss58;
pub mod stellar;
pub mod ton;
pub mod tron;
pub mod xrpl;

pub use address::{Address, AddressKind};
pub use chain::{BitcoinParams, Chain, Network};
pub use error::{AddressReason, ChainError};
pub use keccak::{keccak256, keccak256_concat};
