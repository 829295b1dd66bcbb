#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod client;
mod error;
mod sources;
mod state;

pub use client::JsonRpcClient;
pub use error::ChainRpcError;
pub use sources::{
    AptosRest, BitcoindRpc, EvmRpc, FilecoinRpc, SubstrateRpc, XrplRpc, balance_of_calldata,
    is_valid_signature_calldata, parse_hex_quantity, system_account_key,
};
pub use state::{EvmState, MAX_NODE_CODE};
