//! The token crate's one integration-test binary: every fixture contract, compiled by solc
//! (`fixtures/regenerate.sh`), classified from its bytecode and by simulation.

mod classify;
mod fixtures;
mod golden;
mod hostile;
mod large;
mod service;
mod summary;
