//! The integration tests of `custodia-chain-rpc`, one binary.

mod rpc;
