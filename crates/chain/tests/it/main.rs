//! The integration tests of `custodia-chain`, one binary: published vectors for every format,
//! each with negative twins, and properties over arbitrary input.

mod any;
mod bitcoin;
mod evm;
mod formats;
mod keccak;
mod key;
mod props;
mod solana;
mod tron;

use custodia_chain::{Address, Chain, ChainError, Network};

/// Parses `input` for `chain` on `network` and returns the canonical text, or the error's
/// message.
pub fn check(chain: Chain, network: Network, input: &str) -> Result<String, String> {
    Address::parse_on(chain, network, input)
        .map(|a| a.canonical())
        .map_err(|e| e.to_string())
}

/// The message of a rejected input (panics when it is accepted).
pub fn reject(chain: Chain, network: Network, input: &str) -> String {
    match Address::parse_on(chain, network, input) {
        Ok(a) => panic!("{input} was accepted as {a:?}"),
        Err(e) => e.to_string(),
    }
}

/// The reason of a rejected input.
pub fn reason(e: ChainError) -> custodia_chain::AddressReason {
    e.address_reason().expect("an address error").clone()
}
